/* test_ingest.c: acknowledged ingest end to end: acks after commit, dedupe across restarts, bad input. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../testhelp.h"

static long
ack_field(const char *reply, const char *field)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", field);
	p = strstr(reply, key);
	return p ? atol(p + strlen(key)) : -1;
}

static void
test_ack_after_commit(void *zctx, struct h_daemon *d, PGconn *db)
{
	char *e1 = h_event("a-1", "page.viewed", "alice", "2026-11-20T10:00:00Z",
			   "{\"path\":\"/pricing\"}");
	char *e2 = h_event("a-2", "email.opened", "alice", "2026-11-20T10:05:00Z", NULL);
	char *e3 = h_event("b-1", "page.viewed", "bob", "2026-11-20T10:06:00.250Z", NULL);
	char msg[2048], reply[4096];

	snprintf(msg, sizeof(msg), "[%s,%s,%s]", e1, e2, e3);
	TEST_CHECK("acknowledged", h_send_ack(zctx, d->router, msg, strlen(msg), reply,
					      sizeof(reply), 10000) == 0);
	TEST_CHECK("3 accepted", ack_field(reply, "accepted") == 3);
	TEST_CHECK("0 duplicates", ack_field(reply, "duplicates") == 0);
	TEST_CHECK("nothing rejected", strstr(reply, "\"rejected\":[]") != NULL);
	/* The ack came after the commit: the rows are there the moment it arrives. */
	TEST_CHECK("events committed before the ack",
		   h_query_long(db, "SELECT count(*) FROM events") == 3);
	TEST_CHECK("alice has 2 applied",
		   h_query_long(db, "SELECT events_applied FROM contacts WHERE contact_id='alice'") == 2);
	TEST_CHECK("alice scored",
		   h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id='alice' AND "
				    "score IS NOT NULL AND tier IS NOT NULL") == 1);
	TEST_CHECK("time kept to the millisecond",
		   h_query_long(db, "SELECT extract(milliseconds FROM time)::int FROM events "
				    "WHERE event_id='b-1'") == 250);

	/* The same message again: all duplicates, nothing changes. */
	TEST_CHECK("resend acknowledged", h_send_ack(zctx, d->router, msg, strlen(msg), reply,
						     sizeof(reply), 10000) == 0);
	TEST_CHECK("resend: 0 accepted", ack_field(reply, "accepted") == 0);
	TEST_CHECK("resend: 3 duplicates", ack_field(reply, "duplicates") == 3);
	TEST_CHECK("still 2 applied to alice",
		   h_query_long(db, "SELECT events_applied FROM contacts WHERE contact_id='alice'") == 2);

	/* A repeat inside one message counts once. */
	char *e4 = h_event("c-1", "email.clicked", "carol", "2026-11-20T11:00:00Z", NULL);
	snprintf(msg, sizeof(msg), "[%s,%s]", e4, e4);
	TEST_CHECK("in-message repeat acknowledged",
		   h_send_ack(zctx, d->router, msg, strlen(msg), reply, sizeof(reply), 10000) == 0);
	TEST_CHECK("in-message repeat: 1 accepted", ack_field(reply, "accepted") == 1);
	TEST_CHECK("in-message repeat: 1 duplicate", ack_field(reply, "duplicates") == 1);

	/* After a restart the ledger in PostgreSQL still knows them. */
	TEST_CHECK("daemon stops cleanly", h_daemon_stop(d, SIGTERM, 20000) == 0);
	TEST_CHECK("daemon restarts", h_daemon_restart(d) == 0);
	snprintf(msg, sizeof(msg), "[%s,%s,%s]", e1, e2, e3);
	TEST_CHECK("after restart acknowledged",
		   h_send_ack(zctx, d->router, msg, strlen(msg), reply, sizeof(reply), 10000) == 0);
	TEST_CHECK("after restart: 3 duplicates", ack_field(reply, "duplicates") == 3);
	TEST_CHECK("after restart: 0 accepted", ack_field(reply, "accepted") == 0);
	TEST_CHECK("after restart: still 4 events", h_query_long(db, "SELECT count(*) FROM events") == 4);
	free(e1);
	free(e2);
	free(e3);
	free(e4);
}

struct bad_case {
	const char *name;
	const char *payload; /* NULL: built in the test */
	const char *reason;  /* expected in the dead letter's reason */
};

static void
expect_dead(PGconn *db, const char *name, const char *reason, long before)
{
	char sql[512], got[512];

	snprintf(sql, sizeof(sql), "SELECT reason FROM dead_letters ORDER BY id DESC LIMIT 1");
	h_query_str(db, sql, got, sizeof(got));
	if (strstr(got, reason) == NULL)
		printf("case %s: reason \"%s\" lacks \"%s\"\n", name, got, reason);
	TEST_CHECK("dead letter has the reason", strstr(got, reason) != NULL);
	TEST_CHECK("one dead letter more",
		   h_query_long(db, "SELECT count(*) FROM dead_letters") == before + 1);
}

static void
test_bad_input(void *zctx, struct h_daemon *d, PGconn *db)
{
	static const struct bad_case cases[] = {
		{"not JSON", "{\"specversion\": \"1.0\", oops", "not valid JSON"},
		{"invalid UTF-8", "{\"specversion\":\"1.0\",\"id\":\"\xff\xfe\"}", "UTF-8"},
		{"missing subject",
		 "{\"specversion\":\"1.0\",\"id\":\"m1\",\"source\":\"t\",\"type\":\"page.viewed\","
		 "\"time\":\"2026-11-20T10:00:00Z\"}",
		 "subject"},
		{"subject wrongly typed",
		 "{\"specversion\":\"1.0\",\"id\":\"m2\",\"source\":\"t\",\"type\":\"page.viewed\","
		 "\"subject\":42,\"time\":\"2026-11-20T10:00:00Z\"}",
		 "subject"},
		{"bad time",
		 "{\"specversion\":\"1.0\",\"id\":\"m3\",\"source\":\"t\",\"type\":\"page.viewed\","
		 "\"subject\":\"x\",\"time\":\"2026-02-30T10:00:00Z\"}",
		 "RFC 3339"},
		{"data not an object",
		 "{\"specversion\":\"1.0\",\"id\":\"m4\",\"source\":\"t\",\"type\":\"page.viewed\","
		 "\"subject\":\"x\",\"time\":\"2026-11-20T10:00:00Z\",\"data\":[1]}",
		 "data"},
		{"oversized", NULL, "too large"},
	};
	char reply[4096], big[6000];
	long before;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = cases[i].payload;

		if (p == NULL) {
			memset(big, ' ', sizeof(big) - 1);
			big[sizeof(big) - 1] = '\0';
			memcpy(big, "[{}", 3);
			big[sizeof(big) - 2] = ']';
			p = big;
		}
		before = h_query_long(db, "SELECT count(*) FROM dead_letters");
		TEST_CHECK("bad input acknowledged",
			   h_send_ack(zctx, d->router, p, strlen(p), reply, sizeof(reply), 10000) == 0);
		TEST_CHECK("bad input: 0 accepted", ack_field(reply, "accepted") == 0);
		TEST_CHECK("bad input: reason in the ack", strstr(reply, cases[i].reason) != NULL);
		expect_dead(db, cases[i].name, cases[i].reason, before);
	}
	TEST_CHECK("raw bytes kept, bounded",
		   h_query_long(db, "SELECT max(length(raw)) FROM dead_letters") <= 1024);
	TEST_CHECK("original size recorded",
		   h_query_long(db, "SELECT max(raw_bytes) FROM dead_letters") == (long)sizeof(big) - 1);

	/* A batch with good and bad members: the good ones are applied. */
	char *g1 = h_event("mix-1", "page.viewed", "dave", "2026-11-20T12:00:00Z", NULL);
	char *g2 = h_event("mix-3", "form.submitted", "dave", "2026-11-20T12:01:00Z", NULL);
	char msg[2048];

	snprintf(msg, sizeof(msg),
		 "[%s,{\"specversion\":\"1.0\",\"id\":\"mix-2\",\"source\":\"t\"},%s,7]", g1, g2);
	before = h_query_long(db, "SELECT count(*) FROM dead_letters");
	TEST_CHECK("mixed batch acknowledged",
		   h_send_ack(zctx, d->router, msg, strlen(msg), reply, sizeof(reply), 10000) == 0);
	TEST_CHECK("mixed: 2 accepted", ack_field(reply, "accepted") == 2);
	TEST_CHECK("mixed: member 1 rejected with its id",
		   strstr(reply, "\"index\":1,\"id\":\"mix-2\"") != NULL);
	TEST_CHECK("mixed: member 3 rejected", strstr(reply, "\"index\":3") != NULL);
	TEST_CHECK("mixed: 2 dead letters",
		   h_query_long(db, "SELECT count(*) FROM dead_letters") == before + 2);
	TEST_CHECK("mixed: dave has both good events",
		   h_query_long(db, "SELECT events_applied FROM contacts WHERE contact_id='dave'") == 2);
	free(g1);
	free(g2);
}

/* The limits on one message: members per batch and JSON depth, each refused whole. */
static void
test_limits(void *zctx, struct h_daemon *d, PGconn *db)
{
	char msg[4096], reply[4096];
	size_t used = 0;
	long before = h_query_long(db, "SELECT count(*) FROM dead_letters");

	/* ingest.max_batch_events = 4 in this daemon's config: five members are too many. */
	msg[used++] = '[';
	for (int i = 0; i < 5; i++) {
		char id[16], *ev;

		snprintf(id, sizeof(id), "lim-%d", i);
		ev = h_event(id, "page.viewed", "lena", "2026-11-20T10:00:00Z", NULL);
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "," : "", ev);
		free(ev);
	}
	msg[used++] = ']';
	TEST_CHECK("too many members acknowledged",
		   h_send_ack(zctx, d->router, msg, used, reply, sizeof(reply), 10000) == 0);
	TEST_CHECK("too many members: reason", strstr(reply, "exceeds limit 4") != NULL);
	TEST_CHECK("too many members: nothing applied",
		   h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id = 'lena'") == 0);
	/* 33 levels of nesting inside data: past the parser's limit of 32. */
	used = (size_t)snprintf(msg, sizeof(msg),
				"{\"specversion\":\"1.0\",\"id\":\"deep\",\"source\":\"t\","
				"\"type\":\"page.viewed\",\"subject\":\"lena\","
				"\"time\":\"2026-11-20T10:00:00Z\",\"data\":");
	for (int i = 0; i < 33; i++)
		msg[used++] = '[';
	for (int i = 0; i < 33; i++)
		msg[used++] = ']';
	msg[used++] = '}';
	TEST_CHECK("deep JSON acknowledged",
		   h_send_ack(zctx, d->router, msg, used, reply, sizeof(reply), 10000) == 0);
	TEST_CHECK("deep JSON: reason", strstr(reply, "nested too deeply") != NULL);
	TEST_CHECK("both dead-lettered",
		   h_query_long(db, "SELECT count(*) FROM dead_letters") == before + 2);
}

int
main(void)
{
	const char *dsn = h_db_create("t_ingest");
	struct h_daemon d;
	PGconn *db;
	void *zctx = zmq_ctx_new();

	if (dsn == NULL || h_daemon_start(&d, dsn,
					  "[ingest]\nmax_message_bytes = 4096\n"
					  "dead_letter_bytes = 1024\nmax_batch_events = 4\n") < 0)
		{
		TEST_CHECK("daemon started", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn);
	test_ack_after_commit(zctx, &d, db);
	test_bad_input(zctx, &d, db);
	test_limits(zctx, &d, db);
	TEST_CHECK("daemon drains and exits 0 on SIGTERM", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
