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

int
db_result_check(PGresult *res, ExecStatusType want, const char *what, struct ls_err *err)
{
	if (res != NULL && PQresultStatus(res) == want)
		return 0;
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
db_prepare(PGconn *conn, const char *name, const char *sql, int nparams, struct ls_err *err)
{
	PGresult *res = PQprepare(conn, name, sql, nparams, NULL);

	return db_result_check(res, PGRES_COMMAND_OK, name, err) < 0 ? -1 : (PQclear(res), 0);
}
