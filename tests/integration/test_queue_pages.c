/* test_queue_pages.c: schema 008 turns queue_seen's rows into one queue_pages row per page,
 * keeping walks in progress, in rank order. */
#include <libpq-fe.h>
#include <stdio.h>

#include "../../daemon/migrations.h"
#include "../harness/harness.h"
#include "../testhelp.h"

/* queue_seen as 003 and 006 left it, with two walks in progress. */
static const char before_008[] =
    "DROP TABLE queue_pages;"
    "CREATE TABLE queue_seen (contact_id text NOT NULL, walk_id text NOT NULL, "
    "page integer NOT NULL, rank integer NOT NULL, seen_at timestamptz NOT NULL DEFAULT now(), "
    "PRIMARY KEY (walk_id, contact_id));"
    "INSERT INTO queue_seen VALUES "
    "('c1', 'w1', 0, 2, '2026-11-20 10:00:01Z'), ('c3', 'w1', 0, 1, '2026-11-20 10:00:00Z'), "
    "('c2', 'w1', 0, 3, '2026-11-20 10:00:02Z'), ('c9', 'w1', 1, 1, '2026-11-20 10:05:00Z'), "
    "('c1', 'w2', 0, 1, '2026-11-20 11:00:00Z');";

static const struct migration *
migration(int version)
{
	for (size_t i = 0; i < migrations_count; i++)
		if (migrations[i].version == version)
			return &migrations[i];
	return NULL;
}

int
main(void)
{
	const char *dsn = h_db_create("t_queue_pages");
	const struct migration *m = migration(8);
	char buf[128];
	PGconn *db;

	if (dsn == NULL || m == NULL || (db = h_db_connect(dsn)) == NULL) {
		TEST_CHECK("setup", 0);
		return TEST_REPORT();
	}
	TEST_CHECK("back to the schema before 008", h_exec_ok(db, before_008));
	TEST_CHECK("008 applies", h_exec_ok(db, m->sql));
	TEST_CHECK("one row per walk page",
	           h_query_long(db, "SELECT count(*) FROM queue_pages") == 3);
	TEST_STREQ("a page's ids in rank order",
	           h_query_str(db,
	                       "SELECT contact_ids::text FROM queue_pages WHERE walk_id = 'w1' "
	                       "AND page = 0",
	                       buf, sizeof(buf)),
	           "{c3,c1,c2}");
	TEST_STREQ("a later page of the same walk",
	           h_query_str(db,
	                       "SELECT contact_ids::text FROM queue_pages WHERE walk_id = 'w1' "
	                       "AND page = 1",
	                       buf, sizeof(buf)),
	           "{c9}");
	TEST_STREQ("a page is as old as its first row",
	           h_query_str(db,
	                       "SELECT to_char(seen_at AT TIME ZONE 'UTC', 'HH24:MI:SS') FROM "
	                       "queue_pages WHERE walk_id = 'w1' AND page = 0",
	                       buf, sizeof(buf)),
	           "10:00:00");
	TEST_CHECK("queue_seen is gone",
	           h_query_long(db, "SELECT count(*) FROM pg_class WHERE relname = 'queue_seen'") ==
	               0);
	PQfinish(db);
	return TEST_REPORT();
}
