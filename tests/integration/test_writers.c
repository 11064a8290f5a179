/* test_writers.c: several batch writers apply one stream exactly once, a contact's batches in
 * order, a forget alone; one writer gives the same counts. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../harness/http.h"
#include "../testhelp.h"

#define CONTACTS 160
#define PER_CONTACT 20
#define PER_MESSAGE 40
#define NMSG (CONTACTS * PER_CONTACT / PER_MESSAGE)
#define RESENT 10 /* messages pushed twice: their events are duplicates */

static unsigned long long rng = 88172645463325252ULL;

static unsigned
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

/* Every (contact, n) pair once, shuffled, in messages of PER_MESSAGE events. */
static char **
build_messages(void)
{
	static int order[CONTACTS * PER_CONTACT];
	char **msgs = calloc(NMSG, sizeof(*msgs));

	if (msgs == NULL)
		return NULL;
	for (int i = 0; i < CONTACTS * PER_CONTACT; i++)
		order[i] = i;
	for (int i = CONTACTS * PER_CONTACT - 1; i > 0; i--) {
		int j = (int)(next_rand() % (unsigned)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (int m = 0; m < NMSG; m++) {
		size_t size = PER_MESSAGE * 512, used = 0;

		if ((msgs[m] = malloc(size)) == NULL)
			return msgs;
		msgs[m][used++] = '[';
		for (int i = 0; i < PER_MESSAGE; i++) {
			int k = order[m * PER_MESSAGE + i];
			char id[32], who[32], when[32], *ev;

			snprintf(id, sizeof(id), "w-%d", k);
			snprintf(who, sizeof(who), "wc%03d", k % CONTACTS);
			snprintf(when, sizeof(when), "2026-11-%02dT10:%02d:00Z",
			         1 + (k / CONTACTS) % 20, k % 60);
			ev = h_event(id, k % 3 ? "page.viewed" : "email.clicked", who, when, NULL);
			used += (size_t)snprintf(msgs[m] + used, size - used, "%s%s", i ? "," : "",
			                         ev ? ev : "{}");
			free(ev);
		}
		msgs[m][used++] = ']';
		msgs[m][used] = '\0';
	}
	return msgs;
}

static void
free_messages(char **msgs)
{
	for (int m = 0; msgs != NULL && m < NMSG; m++)
		free(msgs[m]);
	free(msgs);
}

/* 40 events of contacts outside the stream's, as one message. */
static char *
other_traffic(void)
{
	size_t size = 40 * 512, used = 0;
	char *msg = malloc(size);

	if (msg == NULL)
		return NULL;
	msg[used++] = '[';
	for (int i = 0; i < 40; i++) {
		char id[32], who[32], *ev;

		snprintf(id, sizeof(id), "x-%d", i);
		snprintf(who, sizeof(who), "wx%03d", i);
		ev = h_event(id, "page.viewed", who, "2026-11-24T10:00:00Z", NULL);
		used +=
		    (size_t)snprintf(msg + used, size - used, "%s%s", i ? "," : "", ev ? ev : "{}");
		free(ev);
	}
	msg[used++] = ']';
	msg[used] = '\0';
	return msg;
}

/* leadscore_duplicates_total from /metrics, waiting up to 10 s for want. */
static long
duplicates_total(const struct h_daemon *d, long want)
{
	static char metrics[65536];
	long got = -1;

	for (int i = 0; i < 100 && got != want; i++) {
		const char *p;

		if (i > 0)
			h_sleep_ms(100);
		if (h_http(d->http_port, "GET", "/metrics", NULL, NULL, NULL, 0, metrics,
		           sizeof(metrics)) != 200)
			continue;
		p = strstr(metrics, "\nleadscore_duplicates_total ");
		got = p ? atol(p + strlen("\nleadscore_duplicates_total ")) : -1;
	}
	return got;
}

/* How many different writers the daemon's log says committed a batch. */
static int
writers_seen(const struct h_daemon *d)
{
	char path[512], line[512];
	int seen[16] = {0}, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", d->dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, "committed by writer ");
		int w;

		if (p != NULL && (w = atoi(p + strlen("committed by writer "))) >= 0 && w < 16 &&
		    !seen[w]) {
			seen[w] = 1;
			n++;
		}
	}
	fclose(f);
	return n;
}

static void
run(const char *name, int writers, char **msgs)
{
	char extra[128], label[96], reply[4096];
	struct h_daemon d;
	const char *dsn = h_db_create(name);
	PGconn *db = NULL;
	void *zctx = zmq_ctx_new();
	const char *resend[RESENT];
	char *forget = NULL, *after = NULL, *traffic = NULL;

	snprintf(extra, sizeof(extra), "[database]\nwriters = %d\n[batch]\nmax_events = 30\n",
	         writers);
	snprintf(label, sizeof(label), "%d writers: daemon starts", writers);
	TEST_CHECK(label, dsn != NULL && h_daemon_start(&d, dsn, extra) == 0);
	if (dsn == NULL || (db = h_db_connect(dsn)) == NULL)
		goto out;
	TEST_CHECK("stream pushed", h_push(zctx, d.pull, (const char *const *)msgs, NMSG) == 0);
	for (int i = 0; i < RESENT; i++)
		resend[i] = msgs[i * 7];
	TEST_CHECK("repeats pushed", h_push(zctx, d.pull, resend, RESENT) == 0);
	TEST_CHECK("every event applied once",
	           h_wait_long(db, "SELECT sum(events_applied) FROM contacts",
	                       CONTACTS * PER_CONTACT, 30000) == CONTACTS * PER_CONTACT);
	TEST_CHECK("ledger holds each event once",
	           h_query_long(db, "SELECT count(*) FROM events") == CONTACTS * PER_CONTACT);
	TEST_CHECK("each contact has all its events",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE events_applied = 20") ==
	               CONTACTS);
	/* The repeats come through the queue after the originals: all duplicates, none applied. */
	TEST_CHECK("repeats counted as duplicates",
	           duplicates_total(&d, RESENT * PER_MESSAGE) == RESENT * PER_MESSAGE);

	/* A forget, acknowledged, while events of other contacts stream in: it runs alone, and
	 * the contact's later events start it afresh. */
	forget = h_event("w-forget", "contact.forgotten", "wc007", "2026-11-25T00:00:00Z", NULL);
	after = h_event("w-after", "page.viewed", "wc007", "2026-11-25T00:01:00Z", NULL);
	/* Other contacts only: PUSH and the acknowledged socket are not ordered with each other,
	 * and a resent event of the forgotten contact arriving after the forget would be new
	 * again (the forget erases its ledger too). */
	traffic = other_traffic();
	TEST_CHECK("more traffic pushed",
	           traffic != NULL && h_push(zctx, d.pull, (const char *const *)&traffic, 1) == 0);
	TEST_CHECK("forget acknowledged",
	           forget && h_send_ack(zctx, d.router, forget, strlen(forget), reply,
	                                sizeof(reply), 10000) == 0);
	TEST_CHECK("later event acknowledged", after &&
	                                           h_send_ack(zctx, d.router, after, strlen(after),
	                                                      reply, sizeof(reply), 10000) == 0 &&
	                                           strstr(reply, "\"accepted\":1") != NULL);
	TEST_CHECK("forgotten contact restarted with its one later event",
	           h_query_long(
	               db, "SELECT events_applied FROM contacts WHERE contact_id = 'wc007'") == 1);
	TEST_CHECK("its old events are gone",
	           h_query_long(db, "SELECT count(*) FROM events WHERE contact_id = 'wc007'") == 1);
	TEST_CHECK("the others untouched",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE events_applied = 20") ==
	               CONTACTS - 1);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	snprintf(label, sizeof(label), "%d writers: each one committed batches", writers);
	TEST_CHECK(label, writers_seen(&d) == writers);
	if (th_failed)
		h_daemon_log(&d);
out:
	free(traffic);
	free(forget);
	free(after);
	PQfinish(db);
	zmq_ctx_term(zctx);
}

int
main(void)
{
	char **msgs = build_messages();

	TEST_CHECK("messages built", msgs != NULL && msgs[NMSG - 1] != NULL);
	if (msgs != NULL && msgs[NMSG - 1] != NULL) {
		run("t_writers4", 4, msgs);
		run("t_writers1", 1, msgs);
	}
	free_messages(msgs);
	return TEST_REPORT();
}
