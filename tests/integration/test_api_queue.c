/* test_api_queue.c: queue order, filters, exclusions, walks while scores move, lead detail,
 * accounts, CLI, REP. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "../../daemon/auth.h"
#include "../harness/harness.h"
#include "../harness/http.h"
#include "../testhelp.h"

#define NCONTACTS 24

static char admin[64], sdr[64], producer[64];
static char out[262144];
static void *zctx;
static struct h_daemon d;

/* An event at now - ago_s seconds (behaviour stays "engaged" whenever the test runs). */
static void
event_json(char *buf, size_t size, const char *id, const char *type, const char *subject,
           const char *account, long ago_s, const char *data)
{
	time_t t = time(NULL) - ago_s;
	struct tm tm;
	char when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, size,
	         "{\"specversion\":\"1.0\",\"id\":\"%s\",\"source\":\"test://q\",\"type\":\"%s\","
	         "\"subject\":\"%s\",\"time\":\"%s\"%s%s%s,\"data\":%s}",
	         id, type, subject, when, account ? ",\"account\":\"" : "", account ? account : "",
	         account ? "\"" : "", data ? data : "{}");
}

/* Sends one event and waits for its commit. */
static int
send1(const char *id, const char *type, const char *subject, const char *account, long ago_s,
      const char *data)
{
	char msg[2048], reply[1024];

	event_json(msg, sizeof(msg), id, type, subject, account, ago_s, data);
	return h_send_ack(zctx, d.router, msg, strlen(msg), reply, sizeof(reply), 10000) == 0 &&
	               strstr(reply, "\"accepted\":1") != NULL
	           ? 0
	           : -1;
}

/* NCONTACTS contacts of growing engagement, two owners, two segments, three accounts;
 * then three engaged contacts that may not be called. */
static int
populate(void)
{
	static const char *const seniority[] = {"c_level", "vp", "director", "manager"};
	int ok = 0;

	for (int i = 0; i < NCONTACTS; i++) {
		char c[16], id[32], acct[16], data[256];

		snprintf(c, sizeof(c), "q%02d", i);
		snprintf(acct, sizeof(acct), "acct-%d", i % 3);
		snprintf(id, sizeof(id), "%s-p", c);
		snprintf(
		    data, sizeof(data),
		    "{\"owner\":\"%s\",\"segment\":\"%s\",\"seniority\":\"%s\",\"consent\":true}",
		    i % 2 ? "kim" : "sam", i % 4 < 2 ? "smb" : "ent", seniority[i % 4]);
		ok |= send1(id, "contact.updated", c, acct, 7200, data);
		for (int k = 0; k < i % 7; k++) {
			snprintf(id, sizeof(id), "%s-v%d", c, k);
			ok |= send1(id, k % 2 ? "page.viewed" : "email.clicked", c, acct,
			            3600 - k * 60, k % 2 ? "{\"path\":\"/pricing\"}" : NULL);
		}
	}
	ok |= send1("x1-p", "contact.updated", "x-noconsent", "acct-0", 7000,
	            "{\"consent\":false,\"owner\":\"sam\"}");
	ok |= send1("x1-d", "demo.requested", "x-noconsent", "acct-0", 600, NULL);
	ok |= send1("x2-d", "demo.requested", "x-bounced", "acct-0", 600, NULL);
	ok |= send1("x2-b", "email.bounced", "x-bounced", "acct-0", 500, NULL);
	ok |= send1("x3-d", "demo.requested", "x-unsub", "acct-0", 600, NULL);
	ok |= send1("x3-u", "email.unsubscribed", "x-unsub", "acct-0", 500, NULL);
	return ok;
}

static json_t *
get_json(const char *path, const char *token, int *status)
{
	*status = h_http(d.http_port, "GET", path, token, NULL, NULL, 0, out, sizeof(out));
	return json_loads(out, 0, NULL);
}

/* The contacts the database says should be listed, best first, as "a,b,c,". */
static void
expected_order(PGconn *db, const char *where, char *buf, size_t size)
{
	char sql[1024];
	PGresult *res;
	size_t used = 0;

	snprintf(
	    sql, sizeof(sql),
	    "SELECT contact_id FROM contacts WHERE score IS NOT NULL AND consent AND NOT "
	    "bounced AND NOT unsubscribed AND contact_id NOT IN (SELECT contact_id FROM leases "
	    "WHERE expires_at > now()) %s ORDER BY score DESC, contact_id",
	    where);
	res = PQexec(db, sql);
	buf[0] = '\0';
	for (int i = 0; i < PQntuples(res) && used + 40 < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s,", PQgetvalue(res, i, 0));
	PQclear(res);
}

static void
items_order(const json_t *items, char *buf, size_t size)
{
	size_t i, used = 0;
	json_t *it;

	buf[0] = '\0';
	json_array_foreach(items, i, it)
	{
		if (used + 40 >= size)
			break;
		used += (size_t)snprintf(buf + used, size - used, "%s,",
		                         json_string_value(json_object_get(it, "contact")));
	}
}

static void
check_listing(PGconn *db, const char *query, const char *where, const char *what)
{
	char path[256], want[4096], got[4096];
	int status;
	json_t *doc;

	snprintf(path, sizeof(path), "/v1/queue?limit=500%s", query);
	doc = get_json(path, sdr, &status);
	TEST_CHECK(what, status == 200 && doc != NULL);
	expected_order(db, where, want, sizeof(want));
	items_order(json_object_get(doc, "items"), got, sizeof(got));
	TEST_STREQ(what, got, want);
	TEST_CHECK("a short page ends the walk", json_is_null(json_object_get(doc, "next_cursor")));
	json_decref(doc);
}

static void
test_order_and_filters(PGconn *db)
{
	int status;
	json_t *doc = get_json("/v1/queue?limit=3", sdr, &status), *first;

	TEST_CHECK("queue read",
	           status == 200 && json_array_size(json_object_get(doc, "items")) == 3);
	first = json_array_get(json_object_get(doc, "items"), 0);
	{
		static const char *const fields[] = {"contact",       "account", "score",
		                                     "probability",   "tier",    "reasons",
		                                     "last_activity", "owner",   "segment"};

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			TEST_CHECK(fields[i], json_object_get(first, fields[i]) != NULL);
	}
	TEST_CHECK("reasons explain", json_array_size(json_object_get(first, "reasons")) > 0);
	TEST_CHECK("a full page has a cursor", json_is_string(json_object_get(doc, "next_cursor")));
	json_decref(doc);
	TEST_CHECK("scores differ",
	           h_query_long(db, "SELECT count(DISTINCT score) FROM contacts") > 5);
	check_listing(db, "", "", "whole queue in order");
	check_listing(db, "&owner=sam", "AND owner = 'sam'", "owner filter");
	check_listing(db, "&segment=ent", "AND segment = 'ent'", "segment filter");
	check_listing(db, "&owner=kim&segment=smb", "AND owner = 'kim' AND segment = 'smb'",
	              "owner and segment");
	check_listing(db, "&tier=C", "AND tier = 'C'", "tier filter");
	check_listing(db, "&owner=nobody", "AND false", "no such owner");
	doc = get_json("/v1/queue?limit=500", sdr, &status);
	TEST_CHECK("no consent never listed", strstr(out, "x-noconsent") == NULL);
	TEST_CHECK("bounced never listed", strstr(out, "x-bounced") == NULL);
	TEST_CHECK("unsubscribed never listed", strstr(out, "x-unsub") == NULL);
	TEST_CHECK("they are scored all the same",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'x-%' AND "
	                            "score IS NOT NULL") == 3);
	json_decref(doc);
}

static long
score_of(PGconn *db, const char *contact)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT score FROM contacts WHERE contact_id = '%s'", contact);
	return h_query_long(db, sql);
}

/* Moves scores across the boundary of the page just returned: its best contact (already
 * returned) drops below it, the lowest contact (not returned yet) jumps above it. */
static void
move_across(PGconn *db, const json_t *items)
{
	const char *top = json_string_value(json_object_get(json_array_get(items, 0), "contact"));
	long boundary = (long)json_integer_value(
	    json_object_get(json_array_get(items, json_array_size(items) - 1), "score"));
	char lowest[16];

	TEST_CHECK("seen contact demoted",
	           send1("walk-down", "contact.updated", top, NULL, 60,
	                 "{\"seniority\":\"individual\",\"industry\":\"education\"}") == 0);
	TEST_CHECK("now below the boundary", score_of(db, top) < boundary);
	h_query_str(db,
	            "SELECT contact_id FROM contacts WHERE contact_id LIKE 'q%' ORDER BY score, "
	            "contact_id LIMIT 1",
	            lowest, sizeof(lowest));
	for (int k = 0; k < 4; k++) {
		char id[32];

		snprintf(id, sizeof(id), "walk-up-%d", k);
		TEST_CHECK("unseen contact promoted",
		           send1(id, "demo.requested", lowest, NULL, 30 - k, NULL) == 0);
	}
	TEST_CHECK("now above the boundary", score_of(db, lowest) > boundary);
}

/* Walks the queue 5 at a time while scores move both ways, above and below the page
 * boundary: every contact must come exactly once. */
static void
test_walk_while_scores_move(PGconn *db)
{
	char path[512], cursor[160] = "", seen[NCONTACTS + 1] = {0};
	int pages = 0, dups = 0, status, total = 0;

	for (;;) {
		json_t *doc, *items, *it;
		size_t i;

		snprintf(path, sizeof(path), "/v1/queue?limit=5%s%s", cursor[0] ? "&cursor=" : "",
		         cursor);
		doc = get_json(path, sdr, &status);
		if (status != 200 || doc == NULL) {
			TEST_CHECK("walk page", 0);
			json_decref(doc);
			return;
		}
		items = json_object_get(doc, "items");
		json_array_foreach(items, i, it)
		{
			int n = atoi(json_string_value(json_object_get(it, "contact")) + 1);

			dups += seen[n];
			seen[n] = 1;
			total++;
		}
		if (pages == 1) {
			/* The same page asked again returns the same contacts. */
			char again[4096], first[4096];
			json_t *redo = get_json(path, sdr, &status);

			items_order(items, first, sizeof(first));
			items_order(json_object_get(redo, "items"), again, sizeof(again));
			TEST_STREQ("a repeated page is the same page", again, first);
			json_decref(redo);
			move_across(db, items);
		}
		pages++;
		if (json_is_null(json_object_get(doc, "next_cursor")) || pages > 20) {
			json_decref(doc);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s",
		         json_string_value(json_object_get(doc, "next_cursor")));
		json_decref(doc);
	}
	TEST_CHECK("no contact twice", dups == 0);
	TEST_CHECK("every contact once", total == NCONTACTS);
	for (int i = 0; i < NCONTACTS; i++)
		if (!seen[i])
			printf("  q%02d never listed\n", i);
	TEST_CHECK("walked in pages", pages >= NCONTACTS / 5);
	snprintf(path, sizeof(path), "/v1/queue?limit=5&owner=sam&cursor=%s", cursor);
	json_decref(get_json(path, sdr, &status));
	TEST_CHECK("a cursor is for its own filters", status == 400);
}

/* Two walk pages before the daemon's first queue read: one past api.cursor_ttl_s (3600). */
static void
plant_walks(PGconn *db)
{
	PGresult *res = PQexec(db, "INSERT INTO queue_pages (walk_id, page, contact_ids, seen_at) "
	                           "VALUES ('old-walk', 0, '{q01}', now() - interval '2 hours'), "
	                           "('new-walk', 0, '{q01}', now() - interval '10 minutes')");

	TEST_CHECK("walk pages planted", PQresultStatus(res) == PGRES_COMMAND_OK);
	PQclear(res);
}

/* The first queue read swept the expired walk's page and kept the other. */
static void
test_walks_expire(PGconn *db)
{
	TEST_CHECK("an expired walk's page is swept",
	           h_wait_long(db, "SELECT count(*) FROM queue_pages WHERE walk_id = 'old-walk'", 0,
	                       5000) == 0);
	TEST_CHECK(
	    "a live walk's page stays",
	    h_query_long(db, "SELECT count(*) FROM queue_pages WHERE walk_id = 'new-walk'") == 1);
}

static void
test_lead_detail(PGconn *db)
{
	int status;
	char top[32];
	json_t *doc, *changes, *features;

	h_query_str(db,
	            "SELECT contact_id FROM contacts WHERE contact_id LIKE 'q%' ORDER BY "
	            "score DESC, contact_id LIMIT 1",
	            top, sizeof(top));
	TEST_CHECK("claimed for the detail",
	           h_http(d.http_port, "POST", "/v1/queue/claim", sdr, "{\"sdr\":\"lee\"}", NULL, 0,
	                  out, sizeof(out)) == 200 &&
	               strstr(out, top) != NULL);
	{
		char path[64];

		snprintf(path, sizeof(path), "/v1/leads/%s?changes=2", top);
		doc = get_json(path, sdr, &status);
	}
	TEST_CHECK("lead detail", status == 200 && doc != NULL);
	TEST_CHECK("score", json_is_integer(json_object_get(doc, "score")));
	TEST_CHECK("probability", json_is_real(json_object_get(doc, "probability")));
	TEST_CHECK("tier", json_is_string(json_object_get(doc, "tier")));
	TEST_CHECK("reasons", json_array_size(json_object_get(doc, "reasons")) > 0);
	TEST_CHECK("fit vs engagement",
	           json_is_real(json_object_get(json_object_get(doc, "split"), "fit")) &&
	               json_is_real(json_object_get(json_object_get(doc, "split"), "engagement")));
	features = json_object_get(doc, "features");
	TEST_CHECK("features by name", json_is_number(json_object_get(features, "email_clicks")) &&
	                                   json_is_string(json_object_get(features, "seniority")));
	TEST_CHECK("events applied",
	           json_integer_value(json_object_get(doc, "events_applied")) ==
	               h_query_long(db, "SELECT events_applied FROM contacts ORDER BY score DESC, "
	                                "contact_id LIMIT 1"));
	TEST_STREQ("group", json_string_value(json_object_get(doc, "group")), "scored");
	TEST_STREQ("lease holder",
	           json_string_value(json_object_get(json_object_get(doc, "lease"), "sdr")), "lee");
	changes = json_object_get(doc, "score_changes");
	TEST_CHECK("last changes, at most as many as asked",
	           json_array_size(changes) >= 1 && json_array_size(changes) <= 2);
	TEST_CHECK("change names its event",
	           json_is_string(json_object_get(
	               json_object_get(json_array_get(changes, 0), "event"), "id")));
	TEST_CHECK(
	    "change names its model",
	    json_string_value(json_object_get(json_array_get(changes, 0), "model")) != NULL &&
	        strncmp(json_string_value(json_object_get(json_array_get(changes, 0), "model")),
	                "starter-", 8) == 0);
	json_decref(doc);
	doc = get_json("/v1/leads/x-bounced", sdr, &status);
	TEST_CHECK("a contact that may not be called still has its detail",
	           status == 200 && json_is_true(json_object_get(doc, "bounced")));
	json_decref(doc);
}

static void
test_accounts(PGconn *db)
{
	int status;
	json_t *doc = get_json("/v1/accounts?limit=10", sdr, &status), *items, *a0;
	char best[32];
	long prev = 101;
	size_t i;
	json_t *it;

	items = json_object_get(doc, "items");
	TEST_CHECK("accounts listed", status == 200 && json_array_size(items) == 3);
	json_array_foreach(items, i, it)
	{
		long s = (long)json_integer_value(json_object_get(it, "score"));

		TEST_CHECK("accounts best first", s <= prev);
		prev = s;
	}
	json_decref(doc);
	doc = get_json("/v1/accounts/acct-1", sdr, &status);
	TEST_CHECK("one account", status == 200);
	h_query_str(db,
	            "SELECT contact_id FROM contacts WHERE account = 'acct-1' AND score IS NOT "
	            "NULL ORDER BY score DESC, contact_id LIMIT 1",
	            best, sizeof(best));
	a0 = json_object_get(doc, "best_contact");
	TEST_STREQ("best contact", json_string_value(json_object_get(a0, "contact")), best);
	TEST_CHECK("contacts counted", json_integer_value(json_object_get(doc, "contacts")) == 8);
	TEST_CHECK("engaged contacts counted",
	           json_integer_value(json_object_get(doc, "engaged_contacts")) ==
	               h_query_long(db,
	                            "SELECT count(*) FROM contacts WHERE account = 'acct-1' AND "
	                            "last_activity_at > now() - interval '30 days'"));
	TEST_CHECK("account score rolls up its best contacts",
	           json_integer_value(json_object_get(doc, "score")) >=
	               json_integer_value(json_object_get(a0, "score")));
	json_decref(doc);
}

static void
test_cli(const char *dsn)
{
	const char *q[] = {"queue", "--dsn", dsn, "--owner", "sam", "--limit", "3", "--json", NULL};
	const char *table[] = {"queue", "--dsn", dsn, "--segment", "ent", NULL};
	const char *lead[] = {"lead", "--dsn", dsn, "--spec", "model/features.json", "q05", NULL};
	const char *lead_json[] = {"lead", "--dsn", dsn, "--json", "q05", NULL};
	const char *none[] = {"lead", "--dsn", dsn, "nobody", NULL};
	const char *bad_role[] = {"token", "root", NULL};
	const char *bad_limit[] = {"queue", "--dsn", dsn, "--limit", "0", NULL};
	char token[64], line[128], hash[65];
	int lines = 0;

	TEST_CHECK("leadscore queue --json", h_cli(out, sizeof(out), q) == 0);
	for (char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	TEST_CHECK("three lines", lines == 3);
	TEST_CHECK("only sam's", strstr(out, "\"owner\":\"kim\"") == NULL &&
	                             strstr(out, "\"owner\":\"sam\"") != NULL);
	TEST_CHECK("leadscore queue table", h_cli(out, sizeof(out), table) == 0);
	TEST_CHECK("table header",
	           strstr(out, "CONTACT") != NULL && strstr(out, "REASONS") != NULL);
	TEST_CHECK("bad limit is a usage error", h_cli(out, sizeof(out), bad_limit) == 2);
	TEST_CHECK("leadscore lead", h_cli(out, sizeof(out), lead) == 0);
	TEST_CHECK("lead page", strstr(out, "contact         q05") != NULL &&
	                            strstr(out, "FEATURE") != NULL &&
	                            strstr(out, "SCORE CHANGES") != NULL &&
	                            strstr(out, "group           scored") != NULL);
	TEST_CHECK("leadscore lead --json", h_cli(out, sizeof(out), lead_json) == 0);
	{
		json_t *doc = json_loads(out, 0, NULL);

		TEST_STREQ("lead json", json_string_value(json_object_get(doc, "contact")), "q05");
		json_decref(doc);
	}
	TEST_CHECK("unknown lead fails", h_cli(out, sizeof(out), none) == 1);
	TEST_CHECK("unknown role is a usage error", h_cli(out, sizeof(out), bad_role) == 2);
	TEST_CHECK("leadscore token",
	           h_token("producer", token, sizeof(token), line, sizeof(line)) == 0);
	auth_sha256_hex(token, strlen(token), hash);
	TEST_CHECK("token shape", strncmp(token, "lsk_", 4) == 0 && strlen(token) == 47);
	TEST_CHECK("config line holds its hash",
	           strncmp(line, "token = producer:", 17) == 0 && strcmp(line + 17, hash) == 0);
}

/* One request over ZeroMQ REQ; the reply parsed. */
static json_t *
rep(const char *request)
{
	void *sock = zmq_socket(zctx, ZMQ_REQ);
	int linger = 0, timeout = 10000, n;
	json_t *doc = NULL;

	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	if (zmq_connect(sock, d.rep) == 0 && zmq_send(sock, request, strlen(request), 0) >= 0 &&
	    (n = zmq_recv(sock, out, sizeof(out) - 1, 0)) >= 0) {
		out[n] = '\0';
		doc = json_loads(out, 0, NULL);
	}
	zmq_close(sock);
	return doc;
}

static long
rep_code(const char *request)
{
	json_t *doc = rep(request);
	long status = doc ? (long)json_integer_value(json_object_get(doc, "status")) : -1;

	json_decref(doc);
	return status;
}

static char reqbuf[1024];
/* The status of a request written printf-style. */
#define rep_status(...) (snprintf(reqbuf, sizeof(reqbuf), __VA_ARGS__), rep_code(reqbuf))

/* A body is exactly jansson's compact text of itself (what the daemon wrote before pages
 * were spliced from kept item texts): a mismatch names the first byte that differs. */
static int
compact_as_jansson(const char *body)
{
	json_t *doc = json_loads(body, 0, NULL);
	char *again = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	int same = again != NULL && strcmp(again, body) == 0;

	if (!same && again != NULL) {
		size_t i = 0;

		while (again[i] != '\0' && again[i] == body[i])
			i++;
		fprintf(stderr, "differs at byte %zu: got \"%.40s\", jansson \"%.40s\"\n", i,
		        body + i, again + i);
	}
	free(again);
	json_decref(doc);
	return same;
}

static void
test_page_text(void)
{
	char req[512];
	int status;
	json_t *doc;

	/* The second read takes every item from the kept texts. */
	for (int round = 0; round < 2; round++) {
		status = h_http(d.http_port, "GET", "/v1/queue?limit=5", sdr, NULL, NULL, 0, out,
		                sizeof(out));
		TEST_CHECK("page read", status == 200);
		TEST_CHECK("full page, as jansson writes it", compact_as_jansson(out));
		doc = json_loads(out, 0, NULL);
		TEST_CHECK("five items and a cursor",
		           json_array_size(json_object_get(doc, "items")) == 5 &&
		               json_is_string(json_object_get(doc, "next_cursor")));
		json_decref(doc);
	}
	status =
	    h_http(d.http_port, "GET", "/v1/queue?limit=500", sdr, NULL, NULL, 0, out, sizeof(out));
	TEST_CHECK("last page, as jansson writes it", status == 200 && compact_as_jansson(out));
	TEST_CHECK("its cursor is null", strstr(out, "\"next_cursor\":null}") != NULL);
	snprintf(req, sizeof(req), "{\"op\":\"queue\",\"token\":\"%s\",\"limit\":4}", sdr);
	json_decref(rep(req));
	TEST_CHECK("rep page, as jansson writes it", compact_as_jansson(out));
	TEST_CHECK("rep page wrapped",
	           strncmp(out, "{\"status\":200,\"body\":{\"items\":[", 31) == 0);
}

static void
test_rep(void)
{
	json_t *doc;
	char req[512];

	TEST_CHECK("rep endpoint", d.rep[0] != '\0');
	snprintf(req, sizeof(req), "{\"op\":\"queue\",\"token\":\"%s\",\"limit\":3}", sdr);
	doc = rep(req);
	TEST_CHECK("rep queue", json_integer_value(json_object_get(doc, "status")) == 200 &&
	                            json_array_size(json_object_get(json_object_get(doc, "body"),
	                                                            "items")) == 3);
	json_decref(doc);
	snprintf(req, sizeof(req), "{\"op\":\"claim\",\"token\":\"%s\",\"sdr\":\"rita\"}", admin);
	doc = rep(req);
	TEST_STREQ("rep claim",
	           json_string_value(json_object_get(
	               json_object_get(json_object_get(doc, "body"), "lease"), "sdr")),
	           "rita");
	{
		char contact[64];

		const char *c =
		    json_string_value(json_object_get(json_object_get(doc, "body"), "contact"));

		snprintf(contact, sizeof(contact), "%s", c != NULL ? c : "");
		TEST_CHECK("rep release by another: 409",
		           rep_status("{\"op\":\"release\",\"token\":\"%s\",\"contact\":\"%s\","
		                      "\"sdr\":\"ron\"}",
		                      sdr, contact) == 409);
		TEST_CHECK("rep release",
		           rep_status("{\"op\":\"release\",\"token\":\"%s\",\"contact\":\"%s\","
		                      "\"sdr\":\"rita\"}",
		                      sdr, contact) == 200);
		TEST_CHECK("rep lead",
		           rep_status("{\"op\":\"lead\",\"token\":\"%s\",\"contact\":\"%s\"}", sdr,
		                      contact) == 200);
	}
	json_decref(doc);
	TEST_CHECK("rep account", rep_status("{\"op\":\"account\",\"token\":\"%s\",\"account\":"
	                                     "\"acct-2\"}",
	                                     sdr) == 200);
	TEST_CHECK("rep accounts",
	           rep_status("{\"op\":\"accounts\",\"token\":\"%s\"}", sdr) == 200);
	TEST_CHECK("rep outcome", rep_status("{\"op\":\"outcome\",\"token\":\"%s\",\"contact\":"
	                                     "\"q03\",\"outcome\":\"no_answer\",\"sdr\":\"rita\","
	                                     "\"minutes\":2,\"idempotency_key\":\"rep-1\"}",
	                                     sdr) == 200);
	TEST_CHECK("rep unknown lead: 404", rep_status("{\"op\":\"lead\",\"token\":\"%s\","
	                                               "\"contact\":\"nobody\"}",
	                                               sdr) == 404);
	TEST_CHECK("rep bad argument: 400", rep_status("{\"op\":\"queue\",\"token\":\"%s\","
	                                               "\"limit\":\"many\"}",
	                                               sdr) == 400);
	TEST_CHECK("rep without token: 401", rep_code("{\"op\":\"queue\"}") == 401);
	TEST_CHECK("rep bad token: 401",
	           rep_status("{\"op\":\"queue\",\"token\":\"%s\"}", "lsk_nope") == 401);
	TEST_CHECK("rep producer: 403",
	           rep_status("{\"op\":\"queue\",\"token\":\"%s\"}", producer) == 403);
	TEST_CHECK("rep unknown op: 404",
	           rep_status("{\"op\":\"dance\",\"token\":\"%s\"}", sdr) == 404);
	TEST_CHECK("rep no op: 400", rep_status("{\"token\":\"%s\"}", sdr) == 400);
	TEST_CHECK("rep not JSON: 400", rep_code("{") == 400);
	TEST_CHECK("rep not an object: 400", rep_code("[]") == 400);
}

int
main(void)
{
	char extra[1024], lines[3][128], dsn[256];
	const char *made = h_db_create("t_api_queue");
	PGconn *db;

	zctx = zmq_ctx_new();
	if (made == NULL || h_token("admin", admin, sizeof(admin), lines[0], 128) < 0 ||
	    h_token("sdr", sdr, sizeof(sdr), lines[1], 128) < 0 ||
	    h_token("producer", producer, sizeof(producer), lines[2], 128) < 0) {
		TEST_CHECK("setup", 0);
		return TEST_REPORT();
	}
	snprintf(dsn, sizeof(dsn), "%s", made);
	/* No hold-out group: the orders checked here are the score's alone. */
	snprintf(extra, sizeof(extra),
		 "[score]\npublish_delta = 0\n[roi]\nholdout_percent = 0\n[auth]\n%s\n%s\n%s\n",
		 lines[0], lines[1], lines[2]);
	if (h_daemon_start(&d, dsn, extra) < 0) {
		TEST_CHECK("daemon started", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn);
	plant_walks(db);
	TEST_CHECK("contacts sent", populate() == 0);
	test_order_and_filters(db);
	test_walks_expire(db);
	test_walk_while_scores_move(db);
	test_lead_detail(db);
	test_accounts(db);
	test_cli(dsn);
	test_rep();
	test_page_text();
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
