/* test_api_claims.c: claims and leases: 50 concurrent claimers never share a contact; release,
 * expiry, renewal. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../harness/http.h"
#include "../testhelp.h"

#define NCONTACTS 30 /* fewer than claimers, so some claims find nothing left */
#define NCLAIMERS 50

static char sdr[64];
static char out[65536];
static struct h_daemon d;

static int
claim(const char *body)
{
	return h_http(d.http_port, "POST", "/v1/queue/claim", sdr, body, NULL, 0, out, sizeof(out));
}

static int
release(const char *contact, const char *body)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/leases/%s/release", contact);
	return h_http(d.http_port, "POST", path, sdr, body, NULL, 0, out, sizeof(out));
}

static long
queue_size(const char *query)
{
	char path[128];
	json_t *doc;
	long n = -1;

	snprintf(path, sizeof(path), "/v1/queue?limit=500%s", query);
	if (h_http(d.http_port, "GET", path, sdr, NULL, NULL, 0, out, sizeof(out)) == 200 &&
	    (doc = json_loads(out, 0, NULL)) != NULL) {
		n = (long)json_array_size(json_object_get(doc, "items"));
		json_decref(doc);
	}
	return n;
}

/* Contacts c00..c29 (two thirds owned by sam), scored, plus one that bounced. */
static int
populate(void *zctx)
{
	char msg[65536], reply[8192];
	size_t used = 0;

	used += (size_t)snprintf(msg, sizeof(msg), "[");
	for (int i = 0; i < NCONTACTS; i++) {
		char id[32], who[16], data[96], *ev;

		snprintf(who, sizeof(who), "c%02d", i);
		snprintf(id, sizeof(id), "%s-p", who);
		snprintf(data, sizeof(data), "{\"owner\":\"%s\",\"company_size\":%d}",
		         i % 3 ? "sam" : "kim", 10 + i * 37);
		ev = h_event(id, "contact.updated", who, "2026-11-20T09:00:00Z", data);
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s,", ev);
		free(ev);
	}
	{
		char *a = h_event("z-1", "demo.requested", "zed", "2026-11-20T09:00:00Z", NULL);
		char *b = h_event("z-2", "email.bounced", "zed", "2026-11-20T09:01:00Z", NULL);

		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s,%s]", a, b);
		free(a);
		free(b);
	}
	if (h_send_ack(zctx, d.router, msg, used, reply, sizeof(reply), 20000) < 0)
		return -1;
	return strstr(reply, "\"accepted\":32") != NULL ? 0 : -1;
}

/* NCLAIMERS curl processes claim at once; returns how many got a contact, and checks no
 * contact went to two of them. */
static int
claim_storm(const char *body, const char *want_owner)
{
	static struct h_http_job jobs[NCLAIMERS];
	char seen[NCONTACTS] = {0};
	int got = 0, empty = 0, twice = 0, other = 0, wrong_owner = 0;

	for (int i = 0; i < NCLAIMERS; i++)
		if (h_http_start(&jobs[i], d.http_port, "POST", "/v1/queue/claim", sdr, body) < 0)
			jobs[i].pid = -1;
	for (int i = 0; i < NCLAIMERS; i++) {
		char reply[8192];
		int status = h_http_wait(&jobs[i], reply, sizeof(reply));
		json_t *doc;
		const char *c;

		if (status == 204) {
			empty++;
			continue;
		}
		doc = json_loads(reply, 0, NULL);
		c = json_string_value(json_object_get(doc, "contact"));
		if (status != 200 || c == NULL || c[0] != 'c') {
			other++;
			printf("  claim answered %d: %.200s\n", status, reply);
		} else {
			int n = atoi(c + 1);

			twice += seen[n];
			seen[n] = 1;
			got++;
			const char *owner = json_string_value(json_object_get(doc, "owner"));

			if (want_owner != NULL && (owner == NULL || strcmp(owner, want_owner) != 0))
				wrong_owner++;
		}
		json_decref(doc);
	}
	TEST_CHECK("no contact leased twice", twice == 0);
	TEST_CHECK("every claim answered 200 or 204", other == 0);
	TEST_CHECK("claims answered", got + empty == NCLAIMERS);
	TEST_CHECK("owner filter held", wrong_owner == 0);
	return got;
}

static void
test_concurrent_claims(PGconn *db)
{
	int got = claim_storm("{\"sdr\":\"storm\",\"lease_seconds\":600}", NULL);

	TEST_CHECK("every callable contact leased once", got == NCONTACTS);
	TEST_CHECK("leases in the database",
	           h_query_long(db, "SELECT count(*) FROM leases WHERE expires_at > now() AND "
	                            "sdr = 'storm'") == NCONTACTS);
	TEST_CHECK("the bounced contact was never leased",
	           h_query_long(db, "SELECT count(*) FROM leases WHERE contact_id = 'zed'") == 0);
	TEST_CHECK("leased contacts leave the queue", queue_size("") == 0);
	TEST_CHECK("nothing left: 204", claim("{\"sdr\":\"late\"}") == 204);

	/* Again, with every lease ended and only sam's contacts wanted. */
	PQclear(PQexec(db, "DELETE FROM leases"));
	TEST_CHECK("all back in the queue", queue_size("") == NCONTACTS);
	got = claim_storm("{\"sdr\":\"storm\",\"owner\":\"sam\"}", "sam");
	TEST_CHECK("all of sam's, once each", got == NCONTACTS * 2 / 3);
	TEST_CHECK("kim's untouched", queue_size("&owner=kim") == NCONTACTS / 3);
	PQclear(PQexec(db, "DELETE FROM leases"));
}

static void
test_release_and_expiry(PGconn *db)
{
	char first[16], top[16];
	json_t *doc;

	h_query_str(db,
	            "SELECT contact_id FROM contacts WHERE score IS NOT NULL AND NOT bounced "
	            "ORDER BY score DESC, contact_id LIMIT 1",
	            top, sizeof(top));
	TEST_CHECK("claim", claim("{\"sdr\":\"amy\"}") == 200);
	doc = json_loads(out, 0, NULL);
	snprintf(first, sizeof(first), "%s", json_string_value(json_object_get(doc, "contact")));
	TEST_STREQ("the best contact first", first, top);
	TEST_STREQ("lease holder",
	           json_string_value(json_object_get(json_object_get(doc, "lease"), "sdr")), "amy");
	TEST_CHECK("default lease length (api.lease_seconds)",
	           h_query_long(db,
	                        "SELECT round(extract(epoch FROM expires_at - claimed_at)) FROM "
	                        "leases WHERE sdr = 'amy'") == 900);
	json_decref(doc);
	TEST_CHECK("one fewer in the queue", queue_size("") == NCONTACTS - 1);

	TEST_CHECK("another sdr may not release it: 409",
	           release(first, "{\"sdr\":\"bob\"}") == 409);
	TEST_CHECK("names the holder", strstr(out, "leased to amy") != NULL);
	{
		char body[96];

		snprintf(body, sizeof(body), "{\"sdr\":\"bob\",\"contact\":\"%s\"}", first);
		TEST_CHECK("named claim of amy's contact: 409", claim(body) == 409);
		snprintf(body, sizeof(body),
		         "{\"sdr\":\"amy\",\"contact\":\"%s\",\"lease_seconds\":3000}", first);
		TEST_CHECK("amy renews her lease", claim(body) == 200);
		TEST_CHECK(
		    "renewed",
		    h_query_long(db, "SELECT (extract(epoch FROM expires_at - now()) > 2000)::int "
		                     "FROM leases WHERE sdr = 'amy'") == 1);
	}
	TEST_CHECK("amy releases it", release(first, "{\"sdr\":\"amy\"}") == 200);
	TEST_CHECK("released body", strstr(out, "\"released\":true") != NULL);
	TEST_CHECK("back in the queue", queue_size("") == NCONTACTS);
	TEST_CHECK("release again: 404", release(first, NULL) == 404);
	TEST_CHECK("named claim of an unknown contact: 404",
	           claim("{\"sdr\":\"bob\",\"contact\":\"nobody\"}") == 404);
	TEST_CHECK("named claim of a bounced contact: 409",
	           claim("{\"sdr\":\"bob\",\"contact\":\"zed\"}") == 409);
	TEST_CHECK("says why", strstr(out, "bounced") != NULL);

	/* Expiry: a one-second lease returns the contact by itself. */
	TEST_CHECK("short claim", claim("{\"sdr\":\"cal\",\"lease_seconds\":1}") == 200);
	TEST_CHECK("out of the queue while leased", queue_size("") == NCONTACTS - 1);
	h_sleep_ms(1500);
	TEST_CHECK("back in the queue after expiry", queue_size("") == NCONTACTS);
	TEST_CHECK("an expired lease is no lease: release 404", release(first, NULL) == 404);
	TEST_CHECK("claimable again",
	           claim("{\"sdr\":\"dan\"}") == 200 && strstr(out, first) != NULL);
	TEST_CHECK("the expired row was taken over",
	           h_query_long(db, "SELECT count(*) FROM leases WHERE sdr = 'dan'") == 1);
	TEST_CHECK("release without naming the sdr", release(first, NULL) == 200);
}

static void
test_forget_erases_leases(void *zctx, PGconn *db)
{
	char reply[1024], *ev;

	TEST_CHECK("claim c01", claim("{\"sdr\":\"eve\",\"contact\":\"c01\"}") == 200);
	ev = h_event("f-1", "contact.forgotten", "c01", "2026-11-20T12:00:00Z", NULL);
	TEST_CHECK("forgotten",
	           h_send_ack(zctx, d.router, ev, strlen(ev), reply, sizeof(reply), 10000) == 0);
	free(ev);
	TEST_CHECK("lease erased with the contact",
	           h_query_long(db, "SELECT count(*) FROM leases WHERE contact_id = 'c01'") == 0);
}

/* A contact a walk returned is forgotten from the walk's pages too (ids in arrays since 008). */
static void
test_forget_erases_walks(void *zctx, PGconn *db)
{
	char reply[1024], contact[64] = "", sql[160], *ev;
	const char *at;

	TEST_CHECK("first page of one",
	           h_http(d.http_port, "GET", "/v1/queue?limit=1", sdr, NULL, NULL, 0, out,
	                  sizeof(out)) == 200);
	if ((at = strstr(out, "\"contact\":\"")) != NULL)
		sscanf(at + 11, "%63[^\"]", contact);
	TEST_CHECK("it names a contact", contact[0] != '\0');
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM queue_pages WHERE '%s' = ANY (contact_ids)", contact);
	TEST_CHECK("the walk recorded it", h_query_long(db, sql) == 1);
	ev = h_event("f-2", "contact.forgotten", contact, "2026-11-20T12:00:00Z", NULL);
	TEST_CHECK("forgotten",
	           h_send_ack(zctx, d.router, ev, strlen(ev), reply, sizeof(reply), 10000) == 0);
	free(ev);
	TEST_CHECK("its id erased from the walk with it", h_query_long(db, sql) == 0);
}

int
main(void)
{
	char extra[512], line[128], dsn[256];
	const char *made = h_db_create("t_api_claims");
	void *zctx = zmq_ctx_new();
	PGconn *db;

	if (made == NULL || h_token("sdr", sdr, sizeof(sdr), line, sizeof(line)) < 0) {
		TEST_CHECK("setup", 0);
		return TEST_REPORT();
	}
	snprintf(dsn, sizeof(dsn), "%s", made);
	/* Fewer database connections than claimers: requests also wait their turn. No
	 * hold-out group: the order checked here is the score's alone (test_roi covers it). */
	snprintf(extra, sizeof(extra),
		 "[api]\ndb_connections = 16\n[roi]\nholdout_percent = 0\n[auth]\n%s\n", line);
	if (h_daemon_start(&d, dsn, extra) < 0) {
		TEST_CHECK("daemon started", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn);
	TEST_CHECK("contacts sent", populate(zctx) == 0);
	test_concurrent_claims(db);
	test_release_and_expiry(db);
	test_forget_erases_leases(zctx, db);
	test_forget_erases_walks(zctx, db);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
