/* migrations.c: tracking and applying the schema/ migrations in table schema_migrations. */
#include "migrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* Any constant works; it only has to be the same for every migrator. */
#define MIGRATION_LOCK_KEY "7262001"

int
migrations_latest(void)
{
	int latest = 0;

	for (size_t i = 0; i < migrations_count; i++)
		if (migrations[i].version > latest)
			latest = migrations[i].version;
	return latest;
}

int
migrations_current(PGconn *conn, int *version, struct ls_err *err)
{
	PGresult *res;

	res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (db_result_check(res, PGRES_TUPLES_OK, "looking for schema_migrations", err) < 0)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		*version = 0;
		return 0;
	}
	PQclear(res);
	res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (db_result_check(res, PGRES_TUPLES_OK, "reading schema_migrations", err) < 0)
		return -1;
	*version = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
apply_one(PGconn *conn, const struct migration *m, struct ls_err *err)
{
	char version[16];
	const char *params[2] = {version, m->name};
	PGresult *res;

	if (db_exec(conn, "BEGIN", err) < 0)
		return -1;
	res = PQexec(conn, m->sql);
	if (db_result_check(res, PGRES_COMMAND_OK, m->name, err) < 0)
		goto fail;
	PQclear(res);
	snprintf(version, sizeof(version), "%d", m->version);
	res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
			   NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_COMMAND_OK, "recording migration", err) < 0)
		goto fail;
	PQclear(res);
	return db_exec(conn, "COMMIT", err);
fail:
	db_exec_quiet(conn, "ROLLBACK");
	return -1;
}

int
migrations_apply(PGconn *conn, int *applied, struct ls_err *err)
{
	int current, rc = -1;

	*applied = 0;
	if (db_exec(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", err) < 0)
		return -1;
	if (db_exec(conn,
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version integer PRIMARY KEY, name text NOT NULL,"
		    " applied_at timestamptz NOT NULL DEFAULT now())",
		    err) < 0)
		goto out;
	if (migrations_current(conn, &current, err) < 0)
		goto out;
	if (current > migrations_latest()) {
		ls_err_set(err, "database schema is at version %d, newer than this build's %d", current,
			   migrations_latest());
		goto out;
	}
	for (size_t i = 0; i < migrations_count; i++) {
		if (migrations[i].version <= current)
			continue;
		if (apply_one(conn, &migrations[i], err) < 0)
			goto out;
		(*applied)++;
	}
	rc = 0;
out:
	db_exec_quiet(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")");
	return rc;
}

int
migrations_check(PGconn *conn, struct ls_err *err)
{
	int current, latest = migrations_latest();

	if (migrations_current(conn, &current, err) < 0)
		return -1;
	if (current == 0)
		return ls_err_set(err, "database has no leadscore schema: run `leadscore migrate`");
	if (current < latest)
		return ls_err_set(err,
				  "database schema is at version %d, this build needs %d: run "
				  "`leadscore migrate`",
				  current, latest);
	if (current > latest)
		return ls_err_set(err,
				  "database schema is at version %d, newer than this build knows "
				  "(%d): upgrade leadscore",
				  current, latest);
	return 0;
}
