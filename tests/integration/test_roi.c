/* test_roi.c: ROI-EXAMPLES section 5 as real outcome events through the daemon, read back. */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../../daemon/holdout.h"
#include "../harness/harness.h"
#include "../harness/http.h"
#include "../testhelp.h"

#define HOLDOUT_PERCENT 10.0

/* The n-th contact id of a group: ids are tried in order and kept by their hash. */
static void
contact_in_group(int holdout, int n, char *out, size_t size)
{
	for (int i = 0, found = 0;; i++) {
		snprintf(out, size, "roi-%d", i);
		if (holdout_member(out, HOLDOUT_PERCENT) == holdout && found++ == n)
			return;
	}
}

static int
send_one(void *zctx, const char *router, char *ev)
{
	char reply[1024];
	int rc = h_send_ack(zctx, router, ev, strlen(ev), reply, sizeof(reply), 10000);

	if (rc == 0 && strstr(reply, "\"accepted\":1") == NULL) {
		printf("%s: %s\n", ev, reply);
		rc = -1;
	}
	free(ev);
	return rc;
}

/* One lead: a profile (scored), then one outcome with a booked meeting after `minutes`. */
static int
send_lead(void *zctx, const char *router, const char *who, int minutes, int day)
{
	char data[160], t[40];

	if (send_one(zctx, router,
		     h_event("p", "contact.updated", who, "2026-11-16T08:00:00Z",
			     "{\"seniority\":\"manager\",\"consent\":true}")) < 0)
		return -1;
	snprintf(data, sizeof(data),
		 "{\"outcome\":\"meeting_booked\",\"minutes\":%d,\"sdr\":\"rep-%d\"}", minutes,
		 day % 4);
	snprintf(t, sizeof(t), "2026-11-%02dT10:00:00Z", 16 + day);
	return send_one(zctx, router, h_event("o", "sdr.outcome", who, t, data));
}

static double
json_path(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Events every 0.9 s wake the daemon between its roi ticks (roi.publish_interval = 1): the
 * ticks still come every second. A wakeup used to put the next tick off by a whole poll wait,
 * up to a second, so they came every 1.8 s. */
static void
test_roi_on_time(void *zctx, const struct h_daemon *d)
{
	void *sub = h_sub(zctx, d->pub, "roi"), *push = zmq_socket(zctx, ZMQ_PUSH);
	long end = h_now_ms() + 9000, next_event = 0;
	int roi = 0, sent = 0, linger = 0;
	char topic[16], body[256], id[32];

	zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger));
	TEST_CHECK("connected", sub != NULL && zmq_connect(push, d->pull) == 0);
	for (long now = h_now_ms(); now < end; now = h_now_ms()) {
		long until;

		if (now >= next_event) {
			char *ev;

			snprintf(id, sizeof(id), "tick-%d", sent);
			ev = h_event(id, "page.viewed", "ticker", "2026-11-20T10:00:00Z", NULL);
			sent += ev != NULL && zmq_send(push, ev, strlen(ev), 0) >= 0;
			free(ev);
			next_event = now + 900;
		}
		until = next_event < end ? next_event : end;
		if (h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body), (int)(until - now)) ==
		        0 &&
		    strcmp(topic, "roi") == 0)
			roi++;
	}
	printf("roi messages in 9 s, with %d events 0.9 s apart: %d\n", sent, roi);
	TEST_CHECK("events sent", sent >= 9);
	TEST_CHECK("roi every second while events wake the daemon", roi >= 7);
	zmq_close(push);
	zmq_close(sub);
}

int
main(void)
{
	const char *dsn = h_db_create("t_roi");
	void *zctx = zmq_ctx_new();
	struct h_daemon d;
	char who[64], dsn_copy[128], extra[1024], out[65536];
	char admin[128], line[160], sdr[128], sdr_line[160];
	PGconn *db;
	int sent = 0;

	if (dsn == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	if (h_token("admin", admin, sizeof(admin), line, sizeof(line)) < 0 ||
	    h_token("sdr", sdr, sizeof(sdr), sdr_line, sizeof(sdr_line)) < 0) {
		TEST_CHECK("tokens", 0);
		return TEST_REPORT();
	}
	snprintf(extra, sizeof(extra),
		 "[roi]\nholdout_percent = %g\npublish_interval = 1\n[auth]\n%s\n%s\n",
		 HOLDOUT_PERCENT, line, sdr_line);
	if (h_daemon_start(&d, dsn_copy, extra) < 0) {
		TEST_CHECK("daemon started", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn_copy);
	/* Section 5: hold-out 1,200 minutes for 8 meetings; scored 6,000 for 80. */
	for (int i = 0; i < 8; i++) {
		contact_in_group(1, i, who, sizeof(who));
		sent += send_lead(zctx, d.router, who, 150, i % 5) == 0;
	}
	for (int i = 0; i < 80; i++) {
		contact_in_group(0, i, who, sizeof(who));
		sent += send_lead(zctx, d.router, who, 75, i % 5) == 0;
	}
	TEST_CHECK("88 leads acknowledged", sent == 88);
	{
		char *bad = h_event("bad-1", "sdr.outcome", "roi-0", "2026-11-18T10:00:00Z",
				    "{\"outcome\":\"won\",\"minutes\":5}");
		char *neg = h_event("bad-2", "sdr.outcome", "roi-0", "2026-11-18T10:00:00Z",
				    "{\"outcome\":\"connected\",\"minutes\":-5}");
		char reply[2048];

		TEST_CHECK("unknown outcome rejected",
			   h_send_ack(zctx, d.router, bad, strlen(bad), reply, sizeof(reply), 10000) == 0 &&
				   strstr(reply, "is not one of connected, meeting_booked") != NULL);
		TEST_CHECK("negative minutes rejected",
			   h_send_ack(zctx, d.router, neg, strlen(neg), reply, sizeof(reply), 10000) == 0 &&
				   strstr(reply, "data.minutes must be a number") != NULL);
		TEST_CHECK("both dead-lettered with the event",
			   h_query_long(db, "SELECT count(*) FROM dead_letters WHERE event_id LIKE 'bad-%' "
					    "AND raw_bytes > 100") == 2);
		free(bad);
		free(neg);
	}
	TEST_CHECK("hold-out flagged on 8 contacts",
		   h_query_long(db, "SELECT count(*) FROM contacts WHERE holdout") == 8);
	TEST_CHECK("88 outcomes recorded", h_query_long(db, "SELECT count(*) FROM outcomes") == 88);
	TEST_CHECK("outcome keeps the score it was worked at",
		   h_query_long(db, "SELECT count(*) FROM outcomes WHERE score IS NOT NULL") == 88);
	{
		const char *args[] = {"roi",	  "--dsn", dsn_copy, "--from", "2026-11-16",
				      "--to",	  "2026-11-23", "--json", NULL};
		json_t *r;

		TEST_CHECK("leadscore roi --json", h_cli(out, sizeof(out), args) == 0);
		r = json_loads(out, 0, NULL);
		TEST_CHECK("report is JSON", r != NULL);
		TEST_NEAR("hours saved = (150 - 75) x 80 / 60", json_path(r, "hours_saved", NULL),
			  100.0, 1e-9);
		TEST_NEAR("hold-out minutes per meeting",
			  json_number_value(json_object_get(
			      json_object_get(json_object_get(r, "groups"), "holdout"),
			      "minutes_per_meeting")),
			  150.0, 1e-9);
		TEST_NEAR("scored minutes", json_number_value(json_object_get(
						    json_object_get(json_object_get(r, "groups"), "scored"),
						    "minutes")),
			  6000.0, 1e-9);
		TEST_STREQ("verdict", json_string_value(json_object_get(r, "verdict")), "saving");
		json_decref(r);
	}
	{
		json_t *r;

		TEST_CHECK("GET /v1/roi",
			   h_http(d.http_port, "GET", "/v1/roi?from=2026-11-16&to=2026-11-23", admin,
				  NULL, NULL, 0, out, sizeof(out)) == 200);
		r = json_loads(out, 0, NULL);
		TEST_NEAR("GET /v1/roi: hours_saved", json_path(r, "hours_saved", NULL), 100.0, 1e-9);
		TEST_CHECK("GET /v1/roi: interval around it",
			   json_path(r, "hours_saved_low", NULL) <= 100.0 &&
				   json_path(r, "hours_saved_high", NULL) >= 100.0);
		TEST_NEAR("GET /v1/roi: hold-out minutes",
			  json_number_value(json_object_get(
			      json_object_get(json_object_get(r, "groups"), "holdout"), "minutes")),
			  1200.0, 1e-9);
		TEST_NEAR("GET /v1/roi: scored meetings",
			  json_number_value(json_object_get(
			      json_object_get(json_object_get(r, "groups"), "scored"), "meetings")),
			  80.0, 1e-9);
		TEST_CHECK("GET /v1/roi: ROI fields present",
			   json_object_get(r, "basic_roi") != NULL &&
				   json_object_get(r, "risk_adjusted_roi") != NULL &&
				   json_object_get(r, "npv") != NULL && json_object_get(r, "npv_roi") != NULL);
		json_decref(r);
		TEST_CHECK("GET /v1/roi: bad window is 400",
			   h_http(d.http_port, "GET", "/v1/roi?window=year", admin, NULL, NULL, 0, out,
				  sizeof(out)) == 400);
		TEST_CHECK("GET /v1/roi: the sdr role may not", h_http(d.http_port, "GET", "/v1/roi", sdr,
								       NULL, NULL, 0, out,
								       sizeof(out)) == 403);
		/* A lead's detail says which group it is in. */
		contact_in_group(1, 0, who, sizeof(who));
		snprintf(line, sizeof(line), "/v1/leads/%s", who);
		TEST_CHECK("lead detail", h_http(d.http_port, "GET", line, admin, NULL, NULL, 0, out,
						 sizeof(out)) == 200);
		TEST_CHECK("lead detail shows the hold-out group",
			   strstr(out, "\"group\":\"holdout\"") != NULL);
	}
	{
		const char *args[] = {"queue", "--dsn", dsn_copy, "--limit", "200", "--json", NULL};

		TEST_CHECK("queue lists", h_cli(out, sizeof(out), args) == 0);
		TEST_CHECK("queue items carry their group",
			   strstr(out, "\"group\":\"holdout\"") != NULL &&
				   strstr(out, "\"group\":\"scored\"") != NULL);
	}
	{
		const char *args[] = {"roi", "--dsn", dsn_copy, "--from", "2026-11-16", "--to",
				      "2026-11-23", NULL};

		TEST_CHECK("leadscore roi (report)", h_cli(out, sizeof(out), args) == 0);
		TEST_CHECK("report has the summary line", strstr(out, "hours saved per rep per week") != NULL);
		TEST_CHECK("report shows minutes per meeting",
			   strstr(out, "minutes per booked meeting") != NULL &&
				   strstr(out, "150.0") != NULL && strstr(out, "75.0") != NULL);
		TEST_CHECK("report has the lift table", strstr(out, "Lift by score decile") != NULL);
	}
	{
		char svg[600];
		const char *args[] = {"roi", "--dsn", dsn_copy, "--from", "2026-11-16", "--to",
				      "2026-11-23", "--svg", svg, NULL};
		FILE *f;
		size_t n;

		snprintf(svg, sizeof(svg), "%s/roi.svg", d.dir);
		TEST_CHECK("leadscore roi --svg", h_cli(NULL, 0, args) == 0);
		f = fopen(svg, "r");
		n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
		out[n] = '\0';
		if (f)
			fclose(f);
		TEST_CHECK("svg written", strstr(out, "<svg") != NULL && strstr(out, "</svg>") != NULL);
		TEST_CHECK("daily figures persisted",
			   h_query_long(db, "SELECT sum(meetings) FROM roi_daily") == 88);
	}
	{
		void *sub = h_sub(zctx, d.pub, "roi");
		char topic[16];

		TEST_CHECK("roi published on the bus",
			   h_sub_recv(sub, topic, sizeof(topic), out, sizeof(out), 5000) == 0 &&
				   strcmp(topic, "roi") == 0 && strstr(out, "\"hours_saved\"") != NULL &&
				   strstr(out, "\"verdict\"") != NULL);
		zmq_close(sub);
	}
	test_roi_on_time(zctx, &d);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
