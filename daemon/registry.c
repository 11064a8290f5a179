/* registry.c: the SQL of the model registry. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"

static int
exec_params(PGconn *conn, const char *sql, int n, const char *const *params, const char *what,
	    long *rows, struct ls_err *err)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (db_result_check(res, PGRES_COMMAND_OK, what, err) < 0)
		return -1;
	if (rows != NULL)
		*rows = atol(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

int
registry_register(PGconn *conn, const char *version, const char *kind, const char *path,
		  const char *manifest, const char *metrics, struct ls_err *err)
{
	const char *params[5] = {version, kind, path, manifest, metrics};
	long rows;

	if (exec_params(conn,
			"INSERT INTO models (version, kind, path, manifest, metrics) "
			"VALUES ($1, $2, $3, $4::jsonb, coalesce($5::jsonb, '{}')) "
			"ON CONFLICT (version) DO NOTHING",
			5, params, "registering the model", &rows, err) < 0)
		return -1;
	if (rows == 0)
		return ls_err_set(err, "a model with version %s is already registered", version);
	return 0;
}

static int
promote_in_tx(PGconn *conn, const char *version, const char *reason, struct ls_err *err)
{
	const char *params[2] = {version, reason};
	long rows;

	if (exec_params(conn, "UPDATE models SET status = 'retired' WHERE status = 'active'", 0,
			NULL, "retiring the active model", NULL, err) < 0)
		return -1;
	if (exec_params(conn,
			"UPDATE models SET status = 'active', promoted_at = now() WHERE version = $1",
			1, params, "promoting the model", &rows, err) < 0)
		return -1;
	if (rows == 0)
		return ls_err_set(err, "no model with version %s is registered", version);
	if (exec_params(conn, "INSERT INTO model_promotions (version, reason) VALUES ($1, $2)", 2,
			params, "recording the promotion", NULL, err) < 0)
		return -1;
	return db_exec(conn, "NOTIFY leadscore_models", err);
}

int
registry_promote(PGconn *conn, const char *version, const char *reason, struct ls_err *err)
{
	if (db_exec(conn, "BEGIN", err) < 0)
		return -1;
	if (promote_in_tx(conn, version, reason, err) < 0) {
		db_exec_quiet(conn, "ROLLBACK");
		return -1;
	}
	return db_exec(conn, "COMMIT", err);
}

static int
rollback_in_tx(PGconn *conn, char **version, struct ls_err *err)
{
	PGresult *res;

	/* The newest promotion of a model other than the one in force. */
	res = PQexec(conn, "SELECT p.version FROM model_promotions p "
			   "WHERE p.version IS DISTINCT FROM "
			   "(SELECT version FROM models WHERE status = 'active') "
			   "ORDER BY p.id DESC LIMIT 1 FOR UPDATE");
	if (db_result_check(res, PGRES_TUPLES_OK, "finding the previous model", err) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		*version = NULL;
		if (db_exec(conn, "UPDATE models SET status = 'retired' WHERE status = 'active'",
			    err) < 0)
			return -1;
		return db_exec(conn, "NOTIFY leadscore_models", err);
	}
	*version = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (*version == NULL)
		return ls_err_set(err, "out of memory");
	return promote_in_tx(conn, *version, "rollback", err);
}

int
registry_rollback(PGconn *conn, char **version, struct ls_err *err)
{
	*version = NULL;
	if (db_exec(conn, "BEGIN", err) < 0)
		return -1;
	if (rollback_in_tx(conn, version, err) < 0) {
		db_exec_quiet(conn, "ROLLBACK");
		free(*version);
		*version = NULL;
		return -1;
	}
	return db_exec(conn, "COMMIT", err);
}

PGresult *
registry_list(PGconn *conn, struct ls_err *err)
{
	PGresult *res = PQexec(conn,
			       "SELECT version, kind, status, to_char(created_at, "
			       "'YYYY-MM-DD HH24:MI'), coalesce(to_char(promoted_at, "
			       "'YYYY-MM-DD HH24:MI'), ''), metrics::text, path FROM models "
			       "ORDER BY created_at DESC, version");

	if (db_result_check(res, PGRES_TUPLES_OK, "listing models", err) < 0)
		return NULL;
	return res;
}
