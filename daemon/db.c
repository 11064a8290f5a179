/* db.c: PostgreSQL connections and result checking, shared by the store and the CLI. */
#include "db.h"

#include <stdio.h>
#include <string.h>

static void
strip_newline(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

PGconn *
db_connect(const char *dsn, long statement_timeout_ms, struct ls_err *err)
{
	PGconn *conn;
	char sql[96];

	conn = PQconnectdb(dsn != NULL ? dsn : "");
	if (conn == NULL) {
		ls_err_set(err, "out of memory connecting to PostgreSQL");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		ls_err_set(err, "cannot connect to PostgreSQL: %s", PQerrorMessage(conn));
		if (err != NULL)
			strip_newline(err->msg);
		PQfinish(conn);
		return NULL;
	}
	snprintf(sql, sizeof(sql), "SET statement_timeout = %ld", statement_timeout_ms);
	if (db_exec(conn, sql, err) < 0 || db_exec(conn, "SET TIME ZONE 'UTC'", err) < 0) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* The SQLSTATE of this thread's last failed statement ("" when unknown). */
static _Thread_local char last_sqlstate[6];

const char *
db_last_sqlstate(void)
{
	return last_sqlstate;
}

void
db_note_conflict(void)
{
	snprintf(last_sqlstate, sizeof(last_sqlstate), "40001");
}

int
db_sqlstate_transient(const char *state)
{
	static const char *const transient[] = {
	    "40001",                   /* serialization_failure */
	    "40P01",                   /* deadlock_detected */
	    "55P03",                   /* lock_not_available */
	    "57014",                   /* query_canceled: the statement timeout */
	    "57P01", "57P02", "57P03", /* shutdown, crash, cannot connect now */
	};

	/* Class 53 (insufficient resources) and 58 (system errors) pass too. */
	if (strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0 ||
	    strncmp(state, "08", 2) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		if (strcmp(state, transient[i]) == 0)
			return 1;
	return 0;
}

int
db_result_check(PGresult *res, ExecStatusType want, const char *what, struct ls_err *err)
{
	const char *state;

	if (res != NULL && PQresultStatus(res) == want)
		return 0;
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(last_sqlstate, sizeof(last_sqlstate), "%s", state != NULL ? state : "");
	if (res == NULL)
		ls_err_set(err, "%s: no result (connection lost or out of memory)", what);
	else
		ls_err_set(err, "%s: %s", what, PQresultErrorMessage(res));
	if (err != NULL)
		strip_newline(err->msg);
	PQclear(res);
	return -1;
}

int
db_exec(PGconn *conn, const char *sql, struct ls_err *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(res);
		return 0;
	}
	return db_result_check(res, PGRES_COMMAND_OK, sql, err);
}

void
db_exec_quiet(PGconn *conn, const char *sql)
{
	PQclear(PQexec(conn, sql));
}

int
db_connection_lost(PGconn *conn)
{
	return conn == NULL || PQstatus(conn) != CONNECTION_OK;
}

int
db_prepare(PGconn *conn, const char *name, const char *sql, int nparams, const Oid *types,
           struct ls_err *err)
{
	PGresult *res = PQprepare(conn, name, sql, nparams, types);

	return db_result_check(res, PGRES_COMMAND_OK, name, err) < 0 ? -1 : (PQclear(res), 0);
}
