/* test_pgarray.c: binary arrays built by pgarray.c read back by PostgreSQL as the values put in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/pgarray.h"
#include "../harness/harness.h"
#include "../testhelp.h"

/* Runs "SELECT x::text FROM unnest($1::TYPE[]) AS x" and joins the rows with '|' ("NULL" for null).
 */
static int
read_back(PGconn *conn, const char *type, struct pgarray *a, char *out, size_t size)
{
	char sql[160];
	struct ls_err err;
	PGresult *res;
	size_t used = 0;

	snprintf(
	    sql, sizeof(sql),
	    "SELECT CASE WHEN x IS NULL THEN 'NULL' ELSE x::text END FROM unnest($1::%s[]) AS x",
	    type);
	res = pgarray_exec(conn, sql, a, 1, &err);
	pgarray_free(a);
	out[0] = '\0';
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s\n", type, res ? PQresultErrorMessage(res) : err.msg);
		PQclear(res);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", r ? "|" : "",
		                         PQgetvalue(res, r, 0));
	PQclear(res);
	return 0;
}

static void
test_types(PGconn *conn)
{
	struct pgarray a;
	char out[512];
	json_t *empty = json_object();
	json_t *doc =
	    json_pack("{s:s, s:[i, f], s:n}", "name", "O'Brien \"q\" \\ é", "v", 3, 0.5, "z");

	pgarray_init(&a, PGARRAY_TEXT);
	pgarray_text(&a, "plain");
	pgarray_text(&a, NULL);
	pgarray_text(&a, "with,comma {brace} \"quote\" é");
	pgarray_text(&a, "");
	TEST_CHECK("text array read back", read_back(conn, "text", &a, out, sizeof(out)) == 0);
	TEST_STREQ("text values", out, "plain|NULL|with,comma {brace} \"quote\" é|");

	pgarray_init(&a, PGARRAY_INT8);
	pgarray_int8(&a, 0);
	pgarray_int8(&a, -1);
	pgarray_int8(&a, 9223372036854775807LL);
	pgarray_int8(&a, -9223372036854775807LL - 1);
	TEST_CHECK("int8 array read back", read_back(conn, "int8", &a, out, sizeof(out)) == 0);
	TEST_STREQ("int8 values", out, "0|-1|9223372036854775807|-9223372036854775808");

	pgarray_init(&a, PGARRAY_INT2);
	pgarray_int2(&a, 100);
	pgarray_int2(&a, -1);
	pgarray_int2(&a, 0);
	pgarray_int2(&a, 32767);
	TEST_CHECK("int2 array read back", read_back(conn, "int2", &a, out, sizeof(out)) == 0);
	TEST_STREQ("int2 values", out, "100|-1|0|32767");

	pgarray_init(&a, PGARRAY_FLOAT8);
	pgarray_float8(&a, 0.1);
	pgarray_float8(&a, -2.5e-300);
	pgarray_null(&a);
	TEST_CHECK("float8 array read back", read_back(conn, "float8", &a, out, sizeof(out)) == 0);
	TEST_STREQ("float8 values", out, "0.1|-2.5e-300|NULL");

	pgarray_init(&a, PGARRAY_BOOL);
	pgarray_bool(&a, 1);
	pgarray_bool(&a, 0);
	pgarray_bool(&a, 7);
	TEST_CHECK("bool array read back", read_back(conn, "bool", &a, out, sizeof(out)) == 0);
	TEST_STREQ("bool values", out, "true|false|true");

	/* 2026-01-02T03:04:05.678901Z, a time before 2000 (negative on the wire), and "never". */
	pgarray_init(&a, PGARRAY_TIMESTAMPTZ);
	pgarray_time(&a, 1767323045678901LL);
	pgarray_time(&a, 631152000000001LL);
	pgarray_time(&a, 0);
	TEST_CHECK("timestamptz array read back",
	           read_back(conn, "timestamptz", &a, out, sizeof(out)) == 0);
	TEST_STREQ("timestamptz values", out,
	           "2026-01-02 03:04:05.678901+00|1990-01-01 00:00:00.000001+00|NULL");

	pgarray_init(&a, PGARRAY_JSONB);
	pgarray_json(&a, doc);
	pgarray_json(&a, NULL);
	pgarray_json(&a, empty);
	TEST_CHECK("jsonb array read back", read_back(conn, "jsonb", &a, out, sizeof(out)) == 0);
	TEST_STREQ(
	    "jsonb values", out,
	    "{\"v\": [3, 0.5], \"z\": null, \"name\": \"O'Brien \\\"q\\\" \\\\ é\"}|NULL|{}");
	json_decref(doc);
	json_decref(empty);

	pgarray_init(&a, PGARRAY_TEXT);
	pgarray_char(&a, 'A');
	pgarray_char(&a, 0);
	TEST_CHECK("text array read back", read_back(conn, "text", &a, out, sizeof(out)) == 0);
	TEST_STREQ("text values", out, "A|NULL");
}

static void
test_empty_and_errors(PGconn *conn)
{
	struct pgarray a, two[2];
	struct ls_err err;
	char out[64];
	PGresult *res;

	pgarray_init(&a, PGARRAY_TEXT);
	TEST_CHECK("text array read back", read_back(conn, "text", &a, out, sizeof(out)) == 0);
	TEST_STREQ("text values", out, "");

	/* An element type that does not match the cast is refused by the server, not misread. */
	pgarray_init(&a, PGARRAY_INT8);
	pgarray_int8(&a, 5);
	TEST_CHECK("int8 elements under a text cast refused",
	           read_back(conn, "text", &a, out, sizeof(out)) < 0);

	/* unnest of several arrays pairs them up row by row. */
	pgarray_init(&two[0], PGARRAY_TEXT);
	pgarray_init(&two[1], PGARRAY_INT8);
	pgarray_text(&two[0], "a");
	pgarray_int8(&two[1], 1);
	pgarray_text(&two[0], "b");
	pgarray_int8(&two[1], 2);
	res = pgarray_exec(conn,
	                   "SELECT string_agg(t || '=' || n, ',') FROM unnest($1::text[], "
	                   "$2::int8[]) AS x(t, n)",
	                   two, 2, &err);
	TEST_CHECK("two arrays unnested", res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
		TEST_STREQ("rows paired", PQgetvalue(res, 0, 0), "a=1,b=2");
	PQclear(res);
	pgarray_free(&two[0]);
	pgarray_free(&two[1]);

	/* A builder that failed (here: marked as out of memory) is never sent. */
	pgarray_init(&a, PGARRAY_TEXT);
	a.failed = 1;
	TEST_CHECK("failed builder does not finish", pgarray_finish(&a) < 0);
	res = pgarray_exec(conn, "SELECT $1::text[]", &a, 1, &err);
	TEST_CHECK("failed builder not sent", res == NULL);
	TEST_STREQ("failed builder reason", err.msg, "out of memory");
	pgarray_free(&a);
}

int
main(void)
{
	const char *dsn = h_db_create("t_pgarray");
	PGconn *conn;

	TEST_CHECK("test database", dsn != NULL);
	if (dsn == NULL || (conn = h_db_connect(dsn)) == NULL)
		return TEST_REPORT();
	test_types(conn);
	test_empty_and_errors(conn);
	PQfinish(conn);
	return TEST_REPORT();
}
