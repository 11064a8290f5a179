/* test_api_http.c: the HTTP API's edges: tokens and roles, every error status, ingest, metrics,
 * readiness. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness/harness.h"
#include "../harness/http.h"
#include "../testhelp.h"

static char admin[64], sdr[64], producer[64];
static char out[65536];
static const char *pgdir;

#define EV(id, type, subject, time, data)                                                          \
	"{\"specversion\":\"1.0\",\"id\":\"" id "\",\"source\":\"test://api\",\"type\":\"" type    \
	"\",\"subject\":\"" subject "\",\"time\":\"" time "\",\"data\":" data "}"

static int
get(const struct h_daemon *d, const char *path, const char *token)
{
	return h_http(d->http_port, "GET", path, token, NULL, NULL, 0, out, sizeof(out));
}

static int
post(const struct h_daemon *d, const char *path, const char *token, const char *body)
{
	return h_http(d->http_port, "POST", path, token, body, NULL, 0, out, sizeof(out));
}

static int
has(const char *needle)
{
	const char *space = strrchr(needle, ' '), *line;
	char name[256];

	if (strstr(out, needle) != NULL)
		return 1;
	/* For a metric, show the value it has rather than the whole page. */
	if (strncmp(needle, "leadscore_", 10) == 0 && space != NULL) {
		snprintf(name, sizeof(name), "\n%.*s ", (int)(space - needle), needle);
		if ((line = strstr(out, name)) != NULL) {
			printf("  expected %s, got %.*s\n", needle, (int)strcspn(line + 1, "\n"),
			       line + 1);
			return 0;
		}
	}
	printf("  expected %s in: %.600s\n", needle, out);
	return 0;
}

static void
test_auth(const struct h_daemon *d)
{
	TEST_CHECK("no token: 401", h_http(d->http_port, "GET", "/v1/queue", NULL, NULL, NULL, 1,
	                                   out, sizeof(out)) == 401);
	TEST_CHECK("401 asks for a bearer token", has("WWW-Authenticate: Bearer"));
	TEST_CHECK("401 is a problem document", has("application/problem+json"));
	TEST_CHECK("unknown token: 401", get(d, "/v1/queue", "lsk_not-a-token") == 401);
	TEST_CHECK("says the token is not valid", has("not valid"));
	TEST_CHECK("basic auth is no bearer token",
	           h_http(d->http_port, "GET", "/v1/queue", NULL, NULL, "Authorization: Basic eDp5",
	                  0, out, sizeof(out)) == 401);
	TEST_CHECK("producer may not read the queue: 403", get(d, "/v1/queue", producer) == 403);
	TEST_CHECK("403 names the role", has("role producer may not GET /v1/queue"));
	TEST_CHECK("sdr may not post events: 403",
	           post(d, "/v1/events", sdr,
	                EV("a-1", "page.viewed", "ann", "2026-11-20T10:00:00Z", "{}")) == 403);
	TEST_CHECK("sdr reads the queue", get(d, "/v1/queue", sdr) == 200);
	TEST_CHECK("admin reads the queue", get(d, "/v1/queue", admin) == 200);
	TEST_CHECK("producer posts events",
	           post(d, "/v1/events", producer,
	                EV("a-1", "page.viewed", "ann", "2026-11-20T10:00:00Z", "{}")) == 200);
	TEST_CHECK("admin posts events",
	           post(d, "/v1/events", admin,
	                EV("a-2", "page.viewed", "ann", "2026-11-20T10:05:00Z", "{}")) == 200);
	TEST_CHECK("probes are open by default", get(d, "/healthz", NULL) == 200);
}

static void
test_errors(const struct h_daemon *d)
{
	char big[70000];

	TEST_CHECK("unknown route: 404", h_http(d->http_port, "GET", "/v1/nothing", sdr, NULL, NULL,
	                                        1, out, sizeof(out)) == 404);
	TEST_CHECK("404 is a problem document", has("application/problem+json"));
	TEST_CHECK("404 detail", has("\"status\":404") && has("no route GET /v1/nothing"));
	TEST_CHECK("unknown route without a token is still 404", get(d, "/v2/queue", NULL) == 404);
	TEST_CHECK("trailing slash is another route", get(d, "/v1/queue/", sdr) == 404);
	TEST_CHECK("wrong method: 405", h_http(d->http_port, "DELETE", "/v1/queue", sdr, NULL, NULL,
	                                       1, out, sizeof(out)) == 405);
	TEST_CHECK("405 says what is allowed", has("Allow: GET"));
	TEST_CHECK("malformed JSON: 400", post(d, "/v1/queue/claim", sdr, "{\"sdr\": ") == 400);
	TEST_CHECK("malformed JSON says where", has("not valid JSON") && has("line 1"));
	TEST_CHECK("array body: 400", post(d, "/v1/queue/claim", sdr, "[1]") == 400);
	TEST_CHECK("empty body: 400", post(d, "/v1/queue/claim", sdr, NULL) == 400);
	TEST_CHECK("claim needs an sdr", post(d, "/v1/queue/claim", sdr, "{}") == 400);
	TEST_CHECK("says sdr is required", has("sdr is required"));
	TEST_CHECK("sdr must be a string", post(d, "/v1/queue/claim", sdr, "{\"sdr\":5}") == 400);
	TEST_CHECK("lease too long", post(d, "/v1/queue/claim", sdr,
	                                  "{\"sdr\":\"x\",\"lease_seconds\":86401}") == 400);
	TEST_CHECK("unknown member",
	           post(d, "/v1/queue/claim", sdr, "{\"sdr\":\"x\",\"sdrr\":\"y\"}") == 400);
	TEST_CHECK("duplicate member",
	           post(d, "/v1/queue/claim", sdr, "{\"sdr\":\"x\",\"sdr\":\"y\"}") == 400);
	TEST_CHECK("unknown query parameter", get(d, "/v1/queue?onwer=sam", sdr) == 400);
	TEST_CHECK("names it", has("unknown parameter 'onwer'"));
	TEST_CHECK("repeated query parameter", get(d, "/v1/queue?owner=a&owner=b", sdr) == 400);
	TEST_CHECK("limit 0", get(d, "/v1/queue?limit=0", sdr) == 400);
	TEST_CHECK("limit not a number", get(d, "/v1/queue?limit=ten", sdr) == 400);
	TEST_CHECK("limit too big", get(d, "/v1/queue?limit=501", sdr) == 400);
	TEST_CHECK("tier E", get(d, "/v1/queue?tier=E", sdr) == 400);
	TEST_CHECK("forged cursor", get(d, "/v1/queue?cursor=abc", sdr) == 400);
	TEST_CHECK("query on a POST",
	           post(d, "/v1/queue/claim?sdr=x", sdr, "{\"sdr\":\"x\"}") == 400);
	TEST_CHECK("unknown lead: 404", get(d, "/v1/leads/nobody", sdr) == 404);
	TEST_CHECK("unknown account: 404", get(d, "/v1/accounts/nowhere", sdr) == 404);
	TEST_CHECK("release without a lease: 404",
	           post(d, "/v1/leases/ann/release", sdr, NULL) == 404);
	TEST_CHECK("contact in path and body",
	           post(d, "/v1/leases/ann/release", sdr, "{\"contact\":\"bob\"}") == 400);
	TEST_CHECK("lead changes out of range", get(d, "/v1/leads/ann?changes=101", sdr) == 400);
	TEST_CHECK("outcome with a bad outcome",
	           post(d, "/v1/outcomes", sdr,
	                "{\"contact\":\"ann\",\"outcome\":\"won\",\"sdr\":\"sam\"}") == 400);
	TEST_CHECK("outcome without contact",
	           post(d, "/v1/outcomes", sdr, "{\"outcome\":\"no_answer\",\"sdr\":\"sam\"}") ==
	               400);
	TEST_CHECK("outcome with negative minutes",
	           post(d, "/v1/outcomes", sdr,
	                "{\"contact\":\"ann\",\"outcome\":\"no_answer\",\"sdr\":\"sam\","
	                "\"minutes\":-1}") == 400);

	/* 413: announced by Content-Length, and sent chunked without one. */
	memset(big, ' ', sizeof(big) - 3);
	big[0] = '{';
	big[sizeof(big) - 3] = '}';
	big[sizeof(big) - 2] = '\0';
	TEST_CHECK("oversized body: 413", post(d, "/v1/events", producer, big) == 413);
	TEST_CHECK("413 names the limit", has("api.max_body_bytes"));
	TEST_CHECK("oversized chunked body: 413",
	           h_http(d->http_port, "POST", "/v1/queue/claim", sdr, big,
	                  "Transfer-Encoding: chunked", 0, out, sizeof(out)) == 413);

	/* Events that are no CloudEvents go to the dead letters, as on the bus. */
	TEST_CHECK("malformed events: 400", post(d, "/v1/events", producer, "{\"oops\": ") == 400);
	TEST_CHECK("carries the ack", has("\"accepted\":0") && has("\"rejected\":[{"));
	TEST_CHECK("no event type: 400", post(d, "/v1/events", producer,
	                                      "{\"specversion\":\"1.0\",\"id\":\"x\"}") == 400);
}

static void
test_ingest(const struct h_daemon *d, PGconn *db)
{
	const char *batch =
	    "[" EV("b-1", "contact.updated", "bea", "2026-11-20T09:00:00Z",
	           "{\"owner\":\"sam\",\"seniority\":\"vp\"}") "," EV("b-2", "demo.requested",
	                                                              "bea", "2026-11-20T09:10:00Z",
	                                                              "{}") ","
	                                                                    "{\"id\":\"bad\"}]";
	const char *outcome = "{\"contact\":\"bea\",\"outcome\":\"meeting_booked\",\"minutes\":12,"
	                      "\"sdr\":\"sam\",\"time\":\"2026-11-20T12:00:00Z\"}";

	TEST_CHECK("batch accepted in part", post(d, "/v1/events", producer, batch) == 200);
	TEST_CHECK("ack body", has("\"accepted\":2") && has("\"duplicates\":0") &&
	                           has("\"index\":2") && has("\"id\":\"bad\""));
	TEST_CHECK("applied before the answer",
	           h_query_long(db, "SELECT events_applied FROM contacts WHERE contact_id='bea'") ==
	               2);
	TEST_CHECK("dead letter says http",
	           h_query_long(db, "SELECT count(*) FROM dead_letters WHERE transport='http' AND "
	                            "event_id='bad'") == 1);
	TEST_CHECK("resent batch", post(d, "/v1/events", producer, batch) == 200);
	TEST_CHECK("duplicates counted", has("\"accepted\":0") && has("\"duplicates\":2"));

	TEST_CHECK("outcome accepted",
	           h_http(d->http_port, "POST", "/v1/outcomes", sdr, outcome,
	                  "Idempotency-Key: call-17", 1, out, sizeof(out)) == 200);
	TEST_CHECK("outcome ack", has("{\"accepted\":1,\"duplicates\":0,\"rejected\":[]}"));
	TEST_CHECK("key echoed", has("Idempotency-Key: call-17"));
	TEST_CHECK("outcome is an sdr.outcome event",
	           h_query_long(db, "SELECT count(*) FROM events WHERE contact_id='bea' AND "
	                            "source='http://leadscore/outcomes' AND event_id='call-17' AND "
	                            "type='sdr.outcome' AND data->>'outcome'='meeting_booked' AND "
	                            "(data->>'minutes')::int=12 AND data->>'sdr'='sam' AND "
	                            "time='2026-11-20T12:00:00Z'") == 1);
	TEST_CHECK("same key again",
	           h_http(d->http_port, "POST", "/v1/outcomes", sdr, outcome,
	                  "Idempotency-Key: call-17", 0, out, sizeof(out)) == 200);
	TEST_CHECK("is a duplicate", has("\"duplicates\":1"));
	TEST_CHECK("outcome without key",
	           post(d, "/v1/outcomes", sdr,
	                "{\"contact\":\"bea\",\"outcome\":\"no_answer\",\"sdr\":\"sam\"}") == 200);
	TEST_CHECK("gets an id of its own",
	           h_query_long(db,
	                        "SELECT count(*) FROM events WHERE contact_id='bea' AND "
	                        "event_id LIKE 'out-%' AND time > now() - interval '1 hour'") == 1);
}

static void
test_metrics(const struct h_daemon *d)
{
	char cmd[512], check[4096];

	TEST_CHECK("metrics served", get(d, "/metrics", NULL) == 200);
	TEST_CHECK("events by type and outcome",
	           has("leadscore_events_total{type=\"sdr.outcome\",outcome=\"applied\"} 2"));
	TEST_CHECK("duplicates by type",
	           has("leadscore_events_total{type=\"demo.requested\",outcome=\"duplicate\"} 1"));
	TEST_CHECK("rejects by reason", has("leadscore_rejects_total{reason=\"malformed\"} 1"));
	TEST_CHECK("invalid events", has("leadscore_rejects_total{reason=\"invalid\"} 3"));
	TEST_CHECK("rejected without a type",
	           has("leadscore_events_total{type=\"unknown\",outcome=\"rejected\"} 4"));
	TEST_CHECK("duplicates", has("leadscore_duplicates_total 3"));
	TEST_CHECK("batch sizes", has("leadscore_batch_size_bucket{le=\"+Inf\"}"));
	TEST_CHECK("commit latency", has("leadscore_commit_seconds_count"));
	TEST_CHECK("scores published", has("leadscore_published_total{topic=\"score\"}"));
	TEST_CHECK("queue requests", has("leadscore_queue_requests_total{api=\"http\"}"));
	TEST_CHECK("claims", has("leadscore_claims_total{result=\"claimed\"}"));
	TEST_CHECK("model info", has("leadscore_model_info{version=\"starter-"));
	TEST_CHECK("reconnects", has("leadscore_db_reconnects_total{connection=\"ingest\"}"));
	TEST_CHECK("auth failures", has("leadscore_auth_failures_total{reason=\"forbidden\"} 2"));
	TEST_CHECK("responses", has("leadscore_http_responses_total{code=\"413\"} 2"));
	snprintf(cmd, sizeof(cmd),
	         "curl -sS http://127.0.0.1:%d/metrics | promtool check metrics 2>&1",
	         d->http_port);
	TEST_CHECK("promtool check metrics passes", h_sh(cmd, check, sizeof(check)) == 0);
	if (check[0] != '\0')
		printf("  promtool: %s\n", check);
}

/* Tokens and the probes switch come from the config, again on SIGHUP. */
static void
test_reload(struct h_daemon *d)
{
	char token[64], line[128];
	FILE *f = fopen(d->config, "a");

	if (f == NULL || h_token("sdr", token, sizeof(token), line, sizeof(line)) < 0) {
		TEST_CHECK("new token", 0);
		if (f != NULL)
			fclose(f);
		return;
	}
	TEST_CHECK("new token not admitted yet", get(d, "/v1/queue", token) == 401);
	fprintf(f, "[auth]\n%s\nprobes = token\n", line);
	fclose(f);
	kill(d->pid, SIGHUP);
	for (int i = 0; i < 100 && get(d, "/v1/queue", token) != 200; i++)
		h_sleep_ms(50);
	TEST_CHECK("new token admitted after SIGHUP", get(d, "/v1/queue", token) == 200);
	TEST_CHECK("old tokens still admitted", get(d, "/v1/queue", sdr) == 200);
	TEST_CHECK("protected metrics need a token", get(d, "/metrics", NULL) == 401);
	TEST_CHECK("protected healthz needs a token", get(d, "/healthz", NULL) == 401);
	TEST_CHECK("any role reads protected metrics", get(d, "/metrics", producer) == 200);
	TEST_CHECK("readyz with a token", get(d, "/readyz", sdr) == 200);
}

static void
restart_cluster(void)
{
	char cmd[512], ignored[256];

	snprintf(cmd, sizeof(cmd), "scripts/pgctl.sh start '%s' >/dev/null 2>&1", pgdir);
	(void)h_sh(cmd, ignored, sizeof(ignored));
}

/* /readyz follows the database: 503 while it is stopped, 200 once it is back. */
static void
test_database_away(const struct h_daemon *d, const char *dsn)
{
	char cmd[512], ignored[256];
	int ready = 0;
	PGconn *db;

	TEST_CHECK("ready before", get(d, "/readyz", sdr) == 200);
	snprintf(cmd, sizeof(cmd), "scripts/pgctl.sh stop '%s' >/dev/null 2>&1", pgdir);
	TEST_CHECK("database stopped", h_sh(cmd, ignored, sizeof(ignored)) == 0);
	TEST_CHECK("readyz 503 without the database", get(d, "/readyz", sdr) == 503);
	TEST_CHECK("says why", has("database unreachable"));
	TEST_CHECK("queue 503 without the database", get(d, "/v1/queue", sdr) == 503);
	TEST_CHECK("events not committed: 503",
	           post(d, "/v1/events", producer,
	                EV("away-1", "email.opened", "ann", "2026-11-20T13:00:00Z", "{}")) == 503);
	TEST_CHECK("503 invites a resend", has("send again"));
	TEST_CHECK("healthz stays 200", get(d, "/healthz", sdr) == 200);
	restart_cluster();
	for (int i = 0; i < 300 && !ready; i++) {
		ready = get(d, "/readyz", sdr) == 200;
		if (!ready)
			h_sleep_ms(100);
	}
	TEST_CHECK("readyz 200 once the database is back", ready);
	TEST_CHECK("queue answers again", get(d, "/v1/queue", sdr) == 200);
	db = h_db_connect(dsn);
	TEST_CHECK(
	    "the event held during the outage is committed",
	    h_wait_long(db, "SELECT count(*) FROM events WHERE event_id='away-1'", 1, 20000) == 1);
	TEST_CHECK("its resend is a duplicate",
	           post(d, "/v1/events", producer,
	                EV("away-1", "email.opened", "ann", "2026-11-20T13:00:00Z", "{}")) == 200 &&
	               has("\"duplicates\":1"));
	TEST_CHECK("reconnects counted",
	           get(d, "/metrics", sdr) == 200 &&
	               has("leadscore_db_reconnects_total{connection=\"api\"} ") &&
	               strstr(out, "{connection=\"ingest\"} 0\n") == NULL);
	PQfinish(db);
}

/* Without any token configured, the API refuses every /v1 request and says why. */
static void
test_no_tokens(const char *dsn)
{
	struct h_daemon bare;

	if (h_daemon_start(&bare, dsn, NULL) < 0) {
		TEST_CHECK("daemon without tokens started", 0);
		return;
	}
	TEST_CHECK("any token refused", get(&bare, "/v1/queue", admin) == 401);
	TEST_CHECK("says none is configured", has("no API token is configured"));
	TEST_CHECK("probes still open", get(&bare, "/readyz", NULL) == 200);
	TEST_CHECK("daemon without tokens exits 0", h_daemon_stop(&bare, SIGTERM, 20000) == 0);
}

int
main(void)
{
	char extra[1024], lines[3][128], dsn[256];
	const char *made = h_db_create("t_api_http");
	struct h_daemon d;
	PGconn *db;

	pgdir = getenv("LEADSCORE_PGDIR");
	if (made == NULL || pgdir == NULL ||
	    h_token("admin", admin, sizeof(admin), lines[0], 128) < 0 ||
	    h_token("sdr", sdr, sizeof(sdr), lines[1], 128) < 0 ||
	    h_token("producer", producer, sizeof(producer), lines[2], 128) < 0) {
		TEST_CHECK("setup (database, LEADSCORE_PGDIR, tokens)", 0);
		return TEST_REPORT();
	}
	snprintf(dsn, sizeof(dsn), "%s", made);
	atexit(restart_cluster); /* whatever happens, leave the cluster running */
	snprintf(extra, sizeof(extra),
	         "[api]\nmax_body_bytes = 65536\ningest_timeout_ms = 2000\n"
	         "[database]\nreconnect_max_ms = 500\n[auth]\n%s\n%s\n%s\n",
	         lines[0], lines[1], lines[2]);
	if (h_daemon_start(&d, dsn, extra) < 0 || d.http_port <= 0) {
		TEST_CHECK("daemon started with HTTP", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn);
	test_auth(&d);
	test_errors(&d);
	test_ingest(&d, db);
	TEST_CHECK("a claim for the metrics",
	           post(&d, "/v1/queue/claim", sdr, "{\"sdr\":\"sam\"}") == 200);
	test_metrics(&d);
	test_reload(&d);
	PQfinish(db);
	test_database_away(&d, dsn);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	test_no_tokens(dsn);
	return TEST_REPORT();
}
