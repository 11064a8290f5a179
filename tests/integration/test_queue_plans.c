/* test_queue_plans.c: a queue read or claim without a filter walks contacts_queue_idx for its
 * page at a size where a generic plan of the filtered statement would read and sort the whole
 * table instead (20,000 listable contacts); the filtered statements still filter. */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/err.h"
#include "../../daemon/queue.h"
#include "../harness/harness.h"
#include "../testhelp.h"

#define CONTACTS 20000

static const char fill[] =
    "INSERT INTO contacts (contact_id, owner, score, probability, tier) "
    "SELECT 'c' || lpad(i::text, 5, '0'), 'o' || (i % 10), (i % 100)::smallint, "
    "(i % 100) / 100.0, 'B' FROM generate_series(1, 20000) i";

/* The generic plan of a prepared statement (as the API runs it without a filter), as text:
 * 1 when it reads contacts through contacts_queue_idx and never scans the whole table. */
static int
walks_the_index(PGconn *db, const char *explain)
{
	PGresult *res;
	char plan[8192] = "";
	size_t used = 0;
	int ok;

	if (!h_exec_ok(db, "BEGIN") ||
	    !h_exec_ok(db, "SET LOCAL plan_cache_mode = force_generic_plan"))
		return 0;
	res = PQexec(db, explain);
	for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++)
		used += (size_t)snprintf(plan + used, used < sizeof(plan) ? sizeof(plan) - used : 0,
		                         "%s\n", PQgetvalue(res, i, 0));
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "%s", PQresultErrorMessage(res));
	PQclear(res);
	h_exec_ok(db, "ROLLBACK");
	ok = strstr(plan, "Index Scan using contacts_queue_idx on contacts") != NULL &&
	     strstr(plan, "Seq Scan on contacts") == NULL;
	if (!ok)
		printf("plan of %s:\n%s", explain, plan);
	return ok;
}

/* How often the server ran a statement with its generic plan. */
static long
generic_runs(PGconn *db, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
	         "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements "
	         "WHERE name = '%s'",
	         name);
	return h_query_long(db, sql);
}

/* 1 when every row's item has this owner. */
static int
all_owned_by(PGresult *res, const char *owner)
{
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *item = json_loads(PQgetvalue(res, i, 0), 0, NULL);
		const char *o = json_string_value(json_object_get(item, "owner"));
		int same = o != NULL && strcmp(o, owner) == 0;

		json_decref(item);
		if (!same)
			return 0;
	}
	return 1;
}

static void
check_plans(PGconn *db)
{
	TEST_CHECK("a first page without a filter walks the index",
	           walks_the_index(db, "EXPLAIN EXECUTE ls_queue_walk_first_all(NULL, NULL, NULL, "
	                               "50, 'w', 0, false)"));
	TEST_CHECK("a later page without a filter walks the index",
	           walks_the_index(db, "EXPLAIN EXECUTE ls_queue_walk_next_all(NULL, NULL, NULL, "
	                               "50, 'w', 1, true)"));
	TEST_CHECK("a claim without a filter walks the index",
	           walks_the_index(db, "EXPLAIN EXECUTE ls_queue_claim_all(NULL, NULL, NULL, "
	                               "'sdr', 60)"));
}

static void
check_calls(PGconn *db)
{
	struct queue_filter all = {NULL, NULL, NULL, 50}, mine = {"o3", NULL, NULL, 50};
	struct ls_err err;
	char buf[64], *item = NULL;
	PGresult *res;
	int more = 0;
	long before = generic_runs(db, "ls_queue_walk_first_all");

	res = queue_walk_page(db, &all, "w1", 0, &more, &err);
	TEST_CHECK("an unfiltered first page", res != NULL && PQntuples(res) == 50 && more);
	TEST_CHECK("it ran the unfiltered statement's generic plan",
	           generic_runs(db, "ls_queue_walk_first_all") == before + 1);
	if (res != NULL) {
		json_t *first = json_loads(PQgetvalue(res, 0, 0), 0, NULL);

		TEST_STREQ("the page starts at the best contact",
		           json_string_value(json_object_get(first, "contact")),
		           h_query_str(db,
		                       "SELECT contact_id FROM contacts ORDER BY queue_key DESC, "
		                       "contact_id LIMIT 1",
		                       buf, sizeof(buf)));
		json_decref(first);
	}
	PQclear(res);
	before = generic_runs(db, "ls_queue_walk_next_all");
	res = queue_walk_page(db, &all, "w1", 1, &more, &err);
	TEST_CHECK("an unfiltered later page", res != NULL && PQntuples(res) == 50);
	TEST_CHECK("it ran the unfiltered statement's generic plan",
	           generic_runs(db, "ls_queue_walk_next_all") == before + 1);
	PQclear(res);
	res = queue_walk_page(db, &mine, "w2", 0, &more, &err);
	TEST_CHECK("a filtered page",
	           res != NULL && PQntuples(res) == 50 && all_owned_by(res, "o3"));
	PQclear(res);
	before = generic_runs(db, "ls_queue_claim_all");
	TEST_CHECK("an unfiltered claim", queue_claim(db, &all, "sdr1", 60, &item, &err) == 1);
	TEST_CHECK("it ran the unfiltered statement's generic plan",
	           generic_runs(db, "ls_queue_claim_all") == before + 1);
	free(item);
	item = NULL;
	TEST_CHECK("a filtered claim", queue_claim(db, &mine, "sdr1", 60, &item, &err) == 1 &&
	                                   item != NULL && strstr(item, "\"o3\"") != NULL);
	free(item);
}

int
main(void)
{
	const char *dsn = h_db_create("t_queue_plans");
	struct ls_err err;
	PGconn *db;

	if (dsn == NULL || (db = h_db_connect(dsn)) == NULL) {
		TEST_CHECK("setup", 0);
		return TEST_REPORT();
	}
	TEST_CHECK("20,000 listable contacts",
	           h_exec_ok(db, fill) && h_exec_ok(db, "ANALYZE contacts, leases, queue_pages") &&
	               h_query_long(db, "SELECT count(*) FROM contacts") == CONTACTS);
	TEST_CHECK("the statements prepare", queue_prepare(db, &err) == 0);
	check_plans(db);
	check_calls(db);
	PQfinish(db);
	return TEST_REPORT();
}
