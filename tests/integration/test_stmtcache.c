/* test_stmtcache.c: statements prepared on first use, once per connection, on a real server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/db.h"
#include "../../daemon/pgarray.h"
#include "../../daemon/stmtcache.h"
#include "../harness/harness.h"
#include "../testhelp.h"

#define SQL_ADD "SELECT $1::int8 + 1"
#define SQL_SUM "SELECT sum(x)::text FROM unnest($1::int8[]) AS x"

/* Runs sql with one text parameter; its single value into out ("" on failure). */
static int
run(PGconn *conn, const char *sql, const char *param, char *out, size_t size, struct ls_err *err)
{
	const char *values[1] = {param};
	PGresult *res = stmt_exec(conn, sql, 1, values, NULL, NULL, err);
	int ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;

	snprintf(out, size, "%s", ok ? PQgetvalue(res, 0, 0) : "");
	if (res != NULL && !ok)
		snprintf(err->msg, sizeof(err->msg), "%s", PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

/* The times the server ran the statements of this session, and how many it holds. */
static long
server_runs(PGconn *conn)
{
	return h_query_long(conn, "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM "
	                          "pg_prepared_statements");
}

static void
test_once_per_connection(PGconn *conn, PGconn *other)
{
	struct ls_err err;
	char out[64], copy[64];

	TEST_CHECK("a fresh connection has no statements", stmt_count(conn) == 0);
	TEST_CHECK("first run", run(conn, SQL_ADD, "41", out, sizeof(out), &err) == 0);
	TEST_STREQ("first run's answer", out, "42");
	TEST_CHECK("second run", run(conn, SQL_ADD, "1", out, sizeof(out), &err) == 0);
	TEST_STREQ("second run's answer", out, "2");
	/* The same text from another buffer is the same statement. */
	snprintf(copy, sizeof(copy), "%s", SQL_ADD);
	TEST_CHECK("same text, other buffer", run(conn, copy, "9", out, sizeof(out), &err) == 0);
	TEST_STREQ("its answer", out, "10");
	TEST_CHECK("one statement prepared", stmt_count(conn) == 1);
	TEST_CHECK("the server holds one", h_query_long(conn, "SELECT count(*) FROM "
	                                                      "pg_prepared_statements") == 1);
	TEST_CHECK("and ran it three times", server_runs(conn) == 3);
	TEST_CHECK("another connection has its own list", stmt_count(other) == 0);
	TEST_CHECK("where it runs too", run(other, SQL_ADD, "0", out, sizeof(out), &err) == 0);
	TEST_STREQ("its answer there", out, "1");
	TEST_CHECK("prepared there once", stmt_count(other) == 1 && stmt_count(conn) == 1);
}

static void
test_rollback_and_errors(PGconn *conn)
{
	struct ls_err err;
	char out[128];
	int before;
	struct pgarray a;
	PGresult *res;

	/* Prepared inside a transaction that rolls back: the statement stays. */
	TEST_CHECK("begin", db_exec(conn, "BEGIN", &err) == 0);
	TEST_CHECK("new statement in a transaction",
	           run(conn, "SELECT $1::text || 'x'", "a", out, sizeof(out), &err) == 0);
	db_exec_quiet(conn, "ROLLBACK");
	before = stmt_count(conn);
	TEST_CHECK("runs after the rollback",
	           run(conn, "SELECT $1::text || 'x'", "b", out, sizeof(out), &err) == 0);
	TEST_STREQ("its answer", out, "bx");
	TEST_CHECK("not prepared again", stmt_count(conn) == before);

	/* A statement the server refuses is reported, and not kept. */
	TEST_CHECK("refused statement", run(conn, "SELECT $1::int8 FROM no_such_table", "1", out,
	                                    sizeof(out), &err) < 0);
	TEST_CHECK("the server's reason", strstr(err.msg, "no_such_table") != NULL);
	TEST_CHECK("not kept", stmt_count(conn) == before);
	TEST_CHECK("the connection goes on", run(conn, SQL_ADD, "5", out, sizeof(out), &err) == 0);
	TEST_STREQ("its answer", out, "6");

	/* Arrays through a prepared statement, twice with different lengths. */
	for (int round = 0; round < 2; round++) {
		pgarray_init(&a, PGARRAY_INT8);
		for (int i = 1; i <= 10 * (round + 1); i++)
			pgarray_int8(&a, i);
		res = pgarray_exec_prepared(conn, SQL_SUM, &a, 1, &err);
		pgarray_free(&a);
		TEST_CHECK("arrays through a prepared statement",
		           res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK);
		if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
			TEST_STREQ("their sum", PQgetvalue(res, 0, 0), round == 0 ? "55" : "210");
		PQclear(res);
	}
	TEST_CHECK("the array statement prepared once", stmt_count(conn) == before + 1);
}

static void
test_reset_and_loss(PGconn *conn, PGconn *admin)
{
	struct ls_err err;
	char out[64], pid[32];

	/* A reset connection is a new session: its statements are prepared again. */
	TEST_CHECK("statements before the reset", stmt_count(conn) > 0);
	PQreset(conn);
	TEST_CHECK("reconnected", PQstatus(conn) == CONNECTION_OK);
	TEST_CHECK("none after the reset", stmt_count(conn) == 0);
	TEST_CHECK("runs after the reset", run(conn, SQL_ADD, "7", out, sizeof(out), &err) == 0);
	TEST_STREQ("its answer", out, "8");
	TEST_CHECK("prepared again", stmt_count(conn) == 1);

	/* The server ends the session: the failure is an error, not a crash or a leak. */
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(conn));
	{
		const char *values[1] = {pid};
		PGresult *res = PQexecParams(admin, "SELECT pg_terminate_backend($1::int)", 1, NULL,
		                             values, NULL, NULL, 0);

		TEST_CHECK("session terminated", PQresultStatus(res) == PGRES_TUPLES_OK);
		PQclear(res);
	}
	h_sleep_ms(200);
	TEST_CHECK("a run on the ended session fails",
	           run(conn, "SELECT $1::int8 * 2", "3", out, sizeof(out), &err) < 0);
	TEST_CHECK("and is seen as a lost connection", db_connection_lost(conn));
}

int
main(void)
{
	const char *dsn = h_db_create("t_stmtcache");
	PGconn *conn, *other, *admin;

	TEST_CHECK("test database", dsn != NULL);
	if (dsn == NULL || (conn = h_db_connect(dsn)) == NULL)
		return TEST_REPORT();
	if ((other = h_db_connect(dsn)) == NULL || (admin = h_db_connect(dsn)) == NULL) {
		TEST_CHECK("second and third connections", 0);
		return TEST_REPORT();
	}
	test_once_per_connection(conn, other);
	test_rollback_and_errors(conn);
	test_reset_and_loss(conn, admin);
	PQfinish(conn);
	PQfinish(other);
	PQfinish(admin);
	return TEST_REPORT();
}
