/* test_scores.c: scores are published on change, `hot` on entering tier A, engaged leads rank first. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../testhelp.h"

/* Sends events (JSON texts) as one acknowledged batch; frees them. */
static int
send_batch(void *zctx, const char *router, char **evs, size_t n)
{
	char msg[16384], reply[4096];
	size_t used = 0;

	msg[used++] = '[';
	for (size_t i = 0; i < n; i++) {
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? "," : "", evs[i]);
		free(evs[i]);
	}
	msg[used++] = ']';
	msg[used] = '\0';
	return h_send_ack(zctx, router, msg, used, reply, sizeof(reply), 10000);
}

static int
engaged_contact(void *zctx, const char *router, const char *who)
{
	char *evs[12];
	char id[64];
	size_t n = 0;
	static const char *types[] = {"demo.requested", "page.viewed", "page.viewed", "page.viewed",
				      "email.replied",	"email.replied", "webinar.attended",
				      "form.submitted", "email.clicked", "content.downloaded"};

	snprintf(id, sizeof(id), "%s-profile", who);
	evs[n++] = h_event(id, "contact.updated", who, "2026-11-19T09:00:00Z",
			   "{\"company_size\":800,\"seniority\":\"vp\",\"industry\":\"software\","
			   "\"owner\":\"sam\",\"consent\":true}");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char t[40];

		snprintf(id, sizeof(id), "%s-%zu", who, i);
		snprintf(t, sizeof(t), "2026-11-20T%02zu:00:00Z", 8 + i);
		evs[n++] = h_event(id, types[i], who, t,
				   strcmp(types[i], "page.viewed") == 0 ? "{\"path\":\"/pricing\"}"
									: NULL);
	}
	return send_batch(zctx, router, evs, n);
}

static int
wait_for(void *sub, const char *topic, const char *contact, char *body, size_t size)
{
	char t[32];

	for (int i = 0; i < 200; i++) {
		if (h_sub_recv(sub, t, sizeof(t), body, size, 5000) < 0)
			return -1;
		if (strcmp(t, topic) == 0 && strstr(body, contact) != NULL)
			return 0;
	}
	return -1;
}

int
main(void)
{
	const char *dsn = h_db_create("t_scores");
	void *zctx = zmq_ctx_new(), *sub;
	struct h_daemon d;
	char body[8192], t[32];
	PGconn *db;

	if (dsn == NULL || h_daemon_start(&d, dsn, "[score]\npublish_delta = 10\n") < 0)
		{
		TEST_CHECK("daemon started", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn);
	sub = h_sub(zctx, d.pub, "");

	TEST_CHECK("engaged contact sent", engaged_contact(zctx, d.router, "hot-1") == 0);
	char *cold = h_event("cold-1-a", "email.opened", "cold-1", "2026-11-20T09:00:00Z", NULL);
	TEST_CHECK("cold contact sent", send_batch(zctx, d.router, &cold, 1) == 0);

	TEST_CHECK("score published for the engaged contact",
		   wait_for(sub, "score", "\"hot-1\"", body, sizeof(body)) == 0);
	{
		static const char *fields[] = {"\"contact\":",	     "\"score\":",  "\"probability\":",
					       "\"tier\":\"A\"",     "\"previous_score\":null",
					       "\"previous_tier\":null", "\"reasons\":[{",
					       "\"model\":\"starter-", "\"time\":\"", "\"event\":\"hot-1-"};

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (strstr(body, fields[i]) == NULL)
				printf("score message lacks %s: %s\n", fields[i], body);
			TEST_CHECK("score message field", strstr(body, fields[i]) != NULL);
		}
	}
	TEST_CHECK("hot published on entering tier A",
		   wait_for(sub, "hot", "\"hot-1\"", body, sizeof(body)) == 0);
	TEST_CHECK("first score of the cold contact published",
		   wait_for(sub, "score", "\"cold-1\"", body, sizeof(body)) == 0);

	TEST_CHECK("engaged contact in tier A",
		   h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id='hot-1' AND tier='A'") == 1);
	TEST_CHECK("engaged outranks barely engaged",
		   h_query_long(db, "SELECT (SELECT score FROM contacts WHERE contact_id='hot-1') - "
				    "(SELECT score FROM contacts WHERE contact_id='cold-1')") > 30);
	TEST_CHECK("score change audited with event and model",
		   h_query_long(db, "SELECT count(*) FROM score_changes WHERE contact_id='hot-1' AND "
				    "event_id LIKE 'hot-1-%' AND model_version LIKE 'starter-%'") == 1);

	/* A small move (below publish_delta, same tier) is stored but not published. */
	cold = h_event("cold-1-b", "email.opened", "cold-1", "2026-11-20T09:30:00Z", NULL);
	TEST_CHECK("small change sent", send_batch(zctx, d.router, &cold, 1) == 0);
	TEST_CHECK("small change applied",
		   h_query_long(db, "SELECT events_applied FROM contacts WHERE contact_id='cold-1'") == 2);
	TEST_CHECK("small change not published",
		   h_sub_recv(sub, t, sizeof(t), body, sizeof(body), 1000) < 0);
	TEST_CHECK("small change not audited",
		   h_query_long(db, "SELECT count(*) FROM score_changes WHERE contact_id='cold-1'") == 1);

	/* Bounced, unsubscribed and no-consent contacts stay out of the queue. */
	char *evs[3] = {h_event("q-1", "email.bounced", "hot-1", "2026-11-20T20:00:00Z", NULL)};
	TEST_CHECK("bounce sent", send_batch(zctx, d.router, evs, 1) == 0);
	TEST_CHECK("bounced contact flagged",
		   h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id='hot-1' AND bounced") == 1);
	{
		char out[4096];
		const char *args[] = {"queue", "--dsn", dsn, "--json", NULL};

		TEST_CHECK("queue lists", h_cli(out, sizeof(out), args) == 0);
		TEST_CHECK("bounced contact not queued", strstr(out, "hot-1") == NULL);
		TEST_CHECK("cold contact queued", strstr(out, "cold-1") != NULL);
	}

	zmq_close(sub);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
