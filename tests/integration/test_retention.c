/* test_retention.c: raw-event retention in bounded batches, and dedupe across its boundary. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../testhelp.h"

static long
ack_count(const char *reply, const char *field)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", field);
	p = strstr(reply, key);
	return p ? atol(p + strlen(key)) : -1;
}

int
main(void)
{
	const char *made = h_db_create("t_retention");
	void *zctx = zmq_ctx_new();
	struct h_daemon d;
	char dsn[128], msg[8192], reply[2048];
	char *evs[8];
	size_t used = 0;
	PGconn *db;

	if (made == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn, sizeof(dsn), "%s", made);
	/* Payloads kept 1 day, keys 1 more; two rows per statement, a pass a second. */
	if (h_daemon_start(&d, dsn, "[retention]\ndays = 1\ndedupe_days = 1\nbatch_rows = 2\n"
				    "interval = 1\n") < 0) {
		TEST_CHECK("daemon started", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn);
	for (int i = 0; i < 6; i++) {
		char id[16];

		snprintf(id, sizeof(id), "r-%d", i);
		evs[i] = h_event(id, "page.viewed", i < 5 ? "olga" : "nina", "2026-11-20T10:00:00Z",
				 "{\"path\":\"/pricing\"}");
	}
	msg[used++] = '[';
	for (int i = 0; i < 6; i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "," : "", evs[i]);
	msg[used++] = ']';
	TEST_CHECK("stored", h_send_ack(zctx, d.router, msg, used, reply, sizeof(reply), 10000) == 0 &&
				     ack_count(reply, "accepted") == 6);
	/* Age them as if stored long ago: r-0..r-2 a day and a half (payload goes, key
	 * stays), r-3..r-4 three days (both go); r-5 stays new. */
	PQclear(PQexec(db, "UPDATE events SET received_at = now() - interval '36 hours' "
			   "WHERE event_id IN ('r-0', 'r-1', 'r-2'); "
			   "UPDATE events SET received_at = now() - interval '3 days' "
			   "WHERE event_id IN ('r-3', 'r-4'); "
			   "INSERT INTO dead_letters (received_at, transport, reason, raw, raw_bytes) "
			   "VALUES (now() - interval '2 days', 'pull', 'old', 'x', 1), "
			   "(now(), 'pull', 'new', 'y', 1)"));
	TEST_CHECK("old payloads erased, in bounded batches",
		   h_wait_long(db, "SELECT count(*) FROM events WHERE data IS NULL", 3, 15000) == 3);
	TEST_CHECK("keys past the dedupe window dropped",
		   h_wait_long(db, "SELECT count(*) FROM events", 4, 15000) == 4);
	TEST_CHECK("old dead letters dropped, new kept",
		   h_wait_long(db, "SELECT count(*) FROM dead_letters", 1, 15000) == 1 &&
			   h_query_long(db, "SELECT count(*) FROM dead_letters WHERE reason = 'new'") == 1);
	TEST_CHECK("erased events keep key, type and time",
		   h_query_long(db, "SELECT count(*) FROM events WHERE data IS NULL AND type = "
				    "'page.viewed' AND time IS NOT NULL") == 3);
	TEST_CHECK("new event untouched",
		   h_query_long(db, "SELECT count(*) FROM events WHERE event_id = 'r-5' AND data IS "
				    "NOT NULL") == 1);
	/* A repeat inside the dedupe window is still a duplicate; past it, it counts again. */
	TEST_CHECK("repeat within the window",
		   h_send_ack(zctx, d.router, evs[0], strlen(evs[0]), reply, sizeof(reply), 10000) == 0 &&
			   ack_count(reply, "duplicates") == 1);
	TEST_CHECK("repeat past the window is applied again (documented)",
		   h_send_ack(zctx, d.router, evs[3], strlen(evs[3]), reply, sizeof(reply), 10000) == 0 &&
			   ack_count(reply, "accepted") == 1);
	TEST_CHECK("the contact's counts were not touched by retention",
		   h_query_long(db, "SELECT events_applied FROM contacts WHERE contact_id = 'olga'") == 6);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	{
		char path[600], line[512];
		int logged = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/daemon.log", d.dir);
		f = fopen(path, "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			logged |= strstr(line, "retention: 2 payloads erased") != NULL;
		if (f != NULL)
			fclose(f);
		TEST_CHECK("passes bounded to batch_rows", logged);
	}
	if (th_failed)
		h_daemon_log(&d);
	for (int i = 0; i < 6; i++)
		free(evs[i]);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
