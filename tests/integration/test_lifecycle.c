/* test_lifecycle.c: SIGTERM commits and acknowledges what is held; forget erases a contact everywhere. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../testhelp.h"

static void
test_sigterm_drains(void *zctx, const char *dsn)
{
	struct h_daemon d;
	char msg[8192], reply[4096];
	size_t used = 0;
	void *dealer;
	int linger = 0;
	PGconn *db = h_db_connect(dsn);

	/* Batches wait up to 5 s, so the events are still in hand when SIGTERM comes. */
	if (h_daemon_start(&d, dsn, "[batch]\nmax_latency_ms = 5000\nmax_events = 10000\n") < 0) {
		TEST_CHECK("daemon started", 0);
		return;
	}
	msg[used++] = '[';
	for (int i = 0; i < 20; i++) {
		char id[32], *ev;

		snprintf(id, sizeof(id), "drain-%d", i);
		ev = h_event(id, "page.viewed", i % 2 ? "dora" : "dan", "2026-11-20T10:00:00Z", NULL);
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "," : "", ev);
		free(ev);
	}
	msg[used++] = ']';
	dealer = zmq_socket(zctx, ZMQ_DEALER);
	zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_connect(dealer, d.router);
	zmq_send(dealer, msg, used, 0);
	h_sleep_ms(500);
	TEST_CHECK("nothing committed yet (batch still open)",
		   h_query_long(db, "SELECT count(*) FROM events") == 0);
	kill(d.pid, SIGTERM);
	{
		zmq_pollitem_t item = {dealer, 0, ZMQ_POLLIN, 0};
		int got = zmq_poll(&item, 1, 10000) == 1;
		int r = got ? zmq_recv(dealer, reply, sizeof(reply) - 1, 0) : -1;

		if (r >= 0)
			reply[r] = '\0';
		TEST_CHECK("held events acknowledged on SIGTERM",
			   r >= 0 && strstr(reply, "\"accepted\":20") != NULL);
	}
	TEST_CHECK("daemon exits 0 after draining", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	TEST_CHECK("all 20 committed", h_query_long(db, "SELECT count(*) FROM events") == 20);
	zmq_close(dealer);
	PQfinish(db);
}

/* Every table with a contact_id column must hold nothing about the contact. */
static long
rows_about(PGconn *db, const char *contact)
{
	PGresult *tables = PQexec(db, "SELECT table_name FROM information_schema.columns WHERE "
				      "column_name = 'contact_id' AND table_schema = 'public'");
	long total = 0;

	for (int i = 0; i < PQntuples(tables); i++) {
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE contact_id = '%s'",
			 PQgetvalue(tables, i, 0), contact);
		total += h_query_long(db, sql);
	}
	TEST_CHECK("contact tables found", PQntuples(tables) >= 4);
	PQclear(tables);
	return total;
}

static void
test_forget(void *zctx, const char *dsn)
{
	struct h_daemon d;
	char reply[4096], msg[4096];
	PGconn *db = h_db_connect(dsn);
	char *a = h_event("f-1", "page.viewed", "fiona", "2026-11-20T10:00:00Z", NULL);
	char *b = h_event("f-2", "contact.updated", "fiona", "2026-11-20T10:01:00Z",
			  "{\"seniority\":\"vp\"}");
	char *c = h_event("f-3", "contact.forgotten", "fiona", "2026-11-20T11:00:00Z", NULL);
	char *g = h_event("g-1", "page.viewed", "gus", "2026-11-20T10:00:00Z", NULL);
	const char *args[] = {"forget", "--dsn", dsn, "gus", NULL};

	if (h_daemon_start(&d, dsn, NULL) < 0) {
		TEST_CHECK("daemon started", 0);
		return;
	}
	snprintf(msg, sizeof(msg), "[%s,%s,%s]", a, b, g);
	TEST_CHECK("events sent", h_send_ack(zctx, d.router, msg, strlen(msg), reply, sizeof(reply),
					     10000) == 0);
	TEST_CHECK("contact has rows", rows_about(db, "fiona") > 0);
	TEST_CHECK("forget acknowledged", h_send_ack(zctx, d.router, c, strlen(c), reply,
						     sizeof(reply), 10000) == 0);
	TEST_CHECK("forget accepted", strstr(reply, "\"accepted\":1") != NULL);
	TEST_CHECK("no row about the forgotten contact anywhere", rows_about(db, "fiona") == 0);
	TEST_CHECK("other contacts untouched", rows_about(db, "gus") > 0);
	TEST_CHECK("leadscore forget succeeds", h_cli(NULL, 0, args) == 0);
	TEST_CHECK("leadscore forget leaves no row", rows_about(db, "gus") == 0);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	free(a);
	free(b);
	free(c);
	free(g);
	PQfinish(db);
}

static void
test_refuses_unknown_schema(void)
{
	PGconn *admin = h_db_connect("dbname=postgres");
	struct h_daemon d;

	PQclear(PQexec(admin, "DROP DATABASE IF EXISTS t_noschema WITH (FORCE)"));
	PQclear(PQexec(admin, "CREATE DATABASE t_noschema"));
	PQfinish(admin);
	TEST_CHECK("daemon refuses a database without the schema",
		   h_daemon_start(&d, "dbname=t_noschema", NULL) < 0);
}

int
main(void)
{
	void *zctx = zmq_ctx_new();
	const char *dsn = h_db_create("t_lifecycle");
	char dsn_copy[256];

	if (dsn == NULL)
		{
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	test_sigterm_drains(zctx, dsn_copy);
	test_forget(zctx, dsn_copy);
	test_refuses_unknown_schema();
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
