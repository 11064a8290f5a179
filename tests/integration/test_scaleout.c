/* test_scaleout.c: two daemons on one stream and one database: nothing double-counted, no
 * deadlock, and one publication for every recorded score change. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../harness/http.h"
#include "../testhelp.h"

/* The shared stream: CONTACTS contacts, up to ROUNDS events each, every contact's events
 * interleaved with everyone else's; some sent twice in a row (one copy to each daemon). */
#define CONTACTS 200
#define ROUNDS 30
/* First sight: NEW new contacts per round whose first events reach both daemons at once. */
#define NEW 100
#define NEW_ROUNDS 4

static const char *const daemon_name[2] = {"A", "B"};

static long end_ms; /* one deadline for the whole test, so a stall fails it in bounded time */

/* What is left of the deadline (a little at least, to read what is there). */
static int
left_ms(void)
{
	long left = end_ms - h_now_ms();

	return left > 2000 ? (int)left : 2000;
}

/* Contact ids that sort differently by bytes and by case, with a multibyte one among them. */
static void
stream_contact(char *buf, size_t size, int c)
{
	static const char *const stem[] = {"xA", "xa", "x_", "x\xc3\xa9"};

	snprintf(buf, size, "%s%03d", stem[c % 4], c);
}

/* How many rounds contact c takes part in: a few contacts drop out early, so counts differ. */
static int
stream_rounds(int c, int rounds)
{
	return rounds - c % 4;
}

struct stream {
	char **msgs; /* in sending order */
	size_t nmsgs;
	long distinct, dups, outcomes;
	long expect[CONTACTS]; /* events per contact */
};

static void
stream_free(struct stream *s)
{
	for (size_t i = 0; i < s->nmsgs; i++)
		free(s->msgs[i]);
	free(s->msgs);
}

/* Round r, position k: contact (k + r) % contacts, so that with round-robin over two daemons a
 * contact's events alternate between them from one round to the next. Every seventh event is
 * sent twice in a row, so its two copies reach different daemons at about the same time. */
static int
stream_build(struct stream *s, int contacts, int rounds)
{
	static const char *const types[] = {"page.viewed", "email.opened", "email.clicked",
	                                    "content.downloaded", "form.submitted"};

	memset(s, 0, sizeof(*s));
	s->msgs = calloc((size_t)contacts * (size_t)rounds * 2, sizeof(*s->msgs));
	if (s->msgs == NULL)
		return -1;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < contacts; k++) {
			int c = (k + r) % contacts;
			char id[32], who[32], when[40];
			const char *type = types[(r + c) % 5], *data = NULL;
			char *ev;

			if (r >= stream_rounds(c, rounds))
				continue;
			stream_contact(who, sizeof(who), c);
			snprintf(id, sizeof(id), "s-%d-%d", c, r);
			snprintf(when, sizeof(when), "2026-11-%02dT%02d:%02d:%02dZ", 17 + r / 10,
			         8 + r % 10, c / 60, c % 60);
			if (strcmp(type, "page.viewed") == 0)
				data = "{\"path\":\"/pricing\"}";
			if (r % 10 == 9 && c % 3 == 0) {
				type = "sdr.outcome";
				data = "{\"outcome\":\"connected\",\"minutes\":4,\"sdr\":\"rep1\"}";
				s->outcomes++;
			}
			ev = h_event(id, type, who, when, data);
			if (ev == NULL)
				return -1;
			s->msgs[s->nmsgs++] = ev;
			s->distinct++;
			s->expect[c]++;
			if ((r * contacts + k) % 7 == 3) {
				s->msgs[s->nmsgs] = strdup(ev);
				if (s->msgs[s->nmsgs++] == NULL)
					return -1;
				s->dups++;
			}
		}
	}
	return 0;
}

/* ---- what the daemons published ---- */

struct pub {
	char *key; /* contact, event, score, previous score */
	char *contact;
	int from; /* 0: daemon A, 1: daemon B */
};

struct pubs {
	struct pub *items;
	size_t n, cap;
	long bad; /* messages that were not a score JSON object */
};

static void
pubs_add(struct pubs *p, const char *body, int from)
{
	json_t *doc = json_loads(body, 0, NULL);
	json_t *contact = json_object_get(doc, "contact"), *event = json_object_get(doc, "event");
	json_t *score = json_object_get(doc, "score"),
	       *prev = json_object_get(doc, "previous_score");
	char key[512], prevs[16] = "-";

	if (!json_is_string(contact) || !json_is_string(event) || !json_is_integer(score)) {
		p->bad++;
		json_decref(doc);
		return;
	}
	if (json_is_integer(prev))
		snprintf(prevs, sizeof(prevs), "%lld", (long long)json_integer_value(prev));
	snprintf(key, sizeof(key), "%s\x1f%s\x1f%lld\x1f%s", json_string_value(contact),
	         json_string_value(event), (long long)json_integer_value(score), prevs);
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		struct pub *items = realloc(p->items, cap * sizeof(*items));

		if (items == NULL) {
			p->bad++;
			json_decref(doc);
			return;
		}
		p->items = items;
		p->cap = cap;
	}
	p->items[p->n].key = strdup(key);
	p->items[p->n].contact = strdup(json_string_value(contact));
	p->items[p->n].from = from;
	if (p->items[p->n].key == NULL || p->items[p->n].contact == NULL)
		p->bad++;
	else
		p->n++;
	json_decref(doc);
}

static void
pubs_free(struct pubs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].key);
		free(p->items[i].contact);
	}
	free(p->items);
}

/* Reads both subscribers until neither has anything for quiet_ms. */
static void
drain(void *const subs[2], struct pubs *p, int quiet_ms)
{
	static char body[65536];
	char topic[64];

	for (;;) {
		zmq_pollitem_t items[2] = {{subs[0], 0, ZMQ_POLLIN, 0},
		                           {subs[1], 0, ZMQ_POLLIN, 0}};
		int got = 0;

		if (zmq_poll(items, 2, quiet_ms) <= 0)
			return;
		for (int i = 0; i < 2; i++) {
			if (!(items[i].revents & ZMQ_POLLIN))
				continue;
			if (h_sub_recv(subs[i], topic, sizeof(topic), body, sizeof(body), 0) == 0) {
				if (strcmp(topic, "score") == 0)
					pubs_add(p, body, i);
				got = 1;
			}
		}
		if (!got)
			return;
	}
}

/* A SUB socket for topic score that never drops on its side: no receive high-water mark. */
static void *
score_sub(void *zctx, const char *endpoint)
{
	void *sock = zmq_socket(zctx, ZMQ_SUB);
	int linger = 0, hwm = 0;

	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "score", 5);
	if (zmq_connect(sock, endpoint) < 0) {
		zmq_close(sock);
		return NULL;
	}
	return sock;
}

/* 1 when contact was published by both daemons. */
static int
published_by_both(const struct pubs *p, const char *contact)
{
	int seen = 0;

	for (size_t i = 0; i < p->n && seen != 3; i++)
		if (strcmp(p->items[i].contact, contact) == 0)
			seen |= 1 << p->items[i].from;
	return seen == 3;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every score_changes row published exactly once across both PUB sockets, and nothing else. */
static void
check_publications(PGconn *db, const struct pubs *p)
{
	PGresult *res =
	    PQexec(db, "SELECT contact_id || chr(31) || coalesce(event_id, '') || "
	               "chr(31) || score || chr(31) || coalesce(previous_score::text, '-') "
	               "FROM score_changes");
	char **keys = calloc(p->n ? p->n : 1, sizeof(*keys));
	long rows, unpublished = 0, twice = 0, unrecorded = 0, shown = 0;
	size_t j = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || keys == NULL) {
		TEST_CHECK("score changes read", 0);
		PQclear(res);
		free(keys);
		return;
	}
	rows = PQntuples(res);
	for (size_t i = 0; i < p->n; i++)
		keys[i] = p->items[i].key;
	qsort(keys, p->n, sizeof(*keys), key_cmp);
	{
		char **dbk = calloc(rows ? (size_t)rows : 1, sizeof(*dbk));

		for (long r = 0; dbk != NULL && r < rows; r++)
			dbk[r] = PQgetvalue(res, (int)r, 0);
		if (dbk != NULL)
			qsort(dbk, (size_t)rows, sizeof(*dbk), key_cmp);
		/* A merge of the two sorted lists. */
		for (long r = 0; dbk != NULL && r < rows; r++) {
			long n = 0;

			while (j < p->n && strcmp(keys[j], dbk[r]) < 0) {
				if (shown++ < 5)
					printf("published, not recorded: %s\n", keys[j]);
				unrecorded++;
				j++;
			}
			while (j < p->n && strcmp(keys[j], dbk[r]) == 0) {
				n++;
				j++;
			}
			if (n == 0) {
				if (shown++ < 5)
					printf("recorded, not published: %s\n", dbk[r]);
				unpublished++;
			} else if (n > 1) {
				if (shown++ < 5)
					printf("published %ld times: %s\n", n, dbk[r]);
				twice++;
			}
		}
		unrecorded += (long)(p->n - j);
		free(dbk);
	}
	printf("score changes: %ld recorded, %zu published (%ld unpublished, %ld more than once, "
	       "%ld not recorded, %ld unreadable)\n",
	       rows, p->n, unpublished, twice, unrecorded, p->bad);
	TEST_CHECK("some score changes recorded", rows > 0);
	TEST_CHECK("every score change published", unpublished == 0);
	TEST_CHECK("no score change published twice", twice == 0);
	TEST_CHECK("nothing published that was not recorded", unrecorded == 0);
	TEST_CHECK("every publication readable", p->bad == 0);
	free(keys);
	PQclear(res);
}

/* ---- the daemons' own counts ---- */

struct counts {
	long applied, dups, dropped, retries;
};

static long
metric(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atol(p + n + 1);
		p += n;
	}
	return -1;
}

static int
counts_read(const struct h_daemon *d, struct counts *c)
{
	static char text[262144];
	const char *p;

	memset(c, 0, sizeof(*c));
	if (h_http(d->http_port, "GET", "/metrics", NULL, NULL, NULL, 0, text, sizeof(text)) != 200)
		return -1;
	for (p = text; (p = strstr(p, "\nleadscore_events_total{")) != NULL; p++) {
		const char *end = strchr(p + 1, '\n');
		const char *brace = strstr(p, "outcome=\"applied\"} ");

		if (brace != NULL && (end == NULL || brace < end))
			c->applied += atol(brace + strlen("outcome=\"applied\"} "));
	}
	c->dups = metric(text, "leadscore_duplicates_total");
	c->dropped = metric(text, "leadscore_publish_dropped_total");
	c->retries = metric(text, "leadscore_batch_retries_total");
	return c->dups < 0 || c->dropped < 0 || c->retries < 0 ? -1 : 0;
}

/* Waits until the two daemons together have counted want events (applied or duplicate). */
static int
counts_wait(const struct h_daemon *d, struct counts *c, long want)
{
	for (;;) {
		int ok = counts_read(&d[0], &c[0]) == 0 && counts_read(&d[1], &c[1]) == 0;

		if (ok && c[0].applied + c[0].dups + c[1].applied + c[1].dups >= want)
			return 0;
		if (h_now_ms() > end_ms)
			return -1;
		h_sleep_ms(100);
	}
}

static long
deadlocks(PGconn *db)
{
	PQclear(PQexec(db, "SELECT pg_stat_clear_snapshot()"));
	return h_query_long(db, "SELECT deadlocks FROM pg_stat_database "
	                        "WHERE datname = current_database()");
}

/* Contacts whose applied count differs from what was sent, listed; -1 on error. */
static long
count_mismatches(PGconn *db, const struct stream *s, int contacts)
{
	PGresult *res = PQexec(db, "SELECT contact_id, events_applied FROM contacts "
	                           "WHERE contact_id LIKE 'x%'");
	long off = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return -1;
	}
	for (int c = 0; c < contacts; c++) {
		char who[32];
		long got = -1;

		stream_contact(who, sizeof(who), c);
		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), who) == 0)
				got = atol(PQgetvalue(res, r, 1));
		if (got != s->expect[c]) {
			if (off < 5)
				printf("contact %s: %ld applied, %ld sent\n", who, got,
				       s->expect[c]);
			off++;
		}
	}
	PQclear(res);
	return off;
}

/* How often the shared stream stalls behind a contact another transaction holds. */
#define HOLDS 4

/* lock 1: takes contact who's row in a transaction of db's (1 when it was there); lock 0:
 * waits for the daemons to pile up behind it, then lets go. */
static int
hold_contact(PGconn *db, const char *who, int lock)
{
	const char *params[1] = {who};
	PGresult *res;
	int rows;

	if (!lock) {
		h_sleep_ms(1500);
		PQclear(PQexec(db, "COMMIT"));
		return 0;
	}
	/* The stream runs ahead of what is applied: wait for the contact to be there. */
	for (long until = h_now_ms() + left_ms(); h_now_ms() < until; h_sleep_ms(20)) {
		res = PQexecParams(db, "SELECT 1 FROM contacts WHERE contact_id = $1", 1, NULL,
		                   params, NULL, NULL, 0);
		rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : -1;
		PQclear(res);
		if (rows == 1)
			break;
	}
	PQclear(PQexec(db, "BEGIN"));
	res = PQexecParams(db, "SELECT 1 FROM contacts WHERE contact_id = $1 FOR UPDATE", 1, NULL,
	                   params, NULL, NULL, 0);
	rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : -1;
	PQclear(res);
	return rows == 1;
}

/* One PUSH socket connected to both daemons spreads the stream; both apply it at once. */
static void
test_shared_stream(void *zctx, const struct h_daemon *d, PGconn *db, void *const subs[2],
                   struct pubs *pubs, int contacts, int rounds)
{
	struct stream s;
	struct counts c[2];
	void *push = zmq_socket(zctx, ZMQ_PUSH);
	int linger = 10000, sent = 1, both = 0, held = 0, holding = 0;
	char sql[256], hold_who[32];
	long t0, applied, ms, snaps;

	if (stream_build(&s, contacts, rounds) < 0) {
		TEST_CHECK("stream built", 0);
		stream_free(&s);
		zmq_close(push);
		return;
	}
	stream_contact(hold_who, sizeof(hold_who), contacts / 2 + 1);
	zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger));
	TEST_CHECK("PUSH connected to daemon A", zmq_connect(push, d[0].pull) == 0);
	TEST_CHECK("PUSH connected to daemon B", zmq_connect(push, d[1].pull) == 0);
	h_sleep_ms(300); /* both connections up, so round-robin has both from the start */
	t0 = h_now_ms();
	for (size_t i = 0; i < s.nmsgs && sent; i++) {
		/* HOLDS times in the stream another transaction holds one contact for a while
		 * (as an SDR claim or a forget may): both daemons' batches pile up behind it,
		 * each holding what it locked so far, and go on together when it lets go. Rows
		 * locked in one order make that safe; another order deadlocks here. */
		size_t phase = i % (s.nmsgs / (HOLDS + 1));

		if (i >= s.nmsgs / (HOLDS + 1) && phase == 0 && !holding && held < HOLDS)
			held += holding = hold_contact(db, hold_who, 1);
		if (holding && phase == s.nmsgs / (HOLDS + 1) / 2)
			holding = hold_contact(db, hold_who, 0);
		sent = zmq_send(push, s.msgs[i], strlen(s.msgs[i]), 0) >= 0;
	}
	if (holding)
		hold_contact(db, hold_who, 0);
	TEST_CHECK("stream sent", sent);
	TEST_CHECK("a contact held mid-stream, several times", held == HOLDS);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE contact_id LIKE 'x%%'");
	applied = h_wait_long(db, sql, s.distinct, left_ms());
	ms = h_now_ms() - t0;
	printf("shared stream: %zu messages (%ld distinct events, %ld repeats) over %d contacts, "
	       "applied by two daemons in %ld ms (%d stalls of 1.5 s included)\n",
	       s.nmsgs, s.distinct, s.dups, contacts, ms, held);
	TEST_CHECK("every event applied within the deadline", applied == s.distinct);
	TEST_CHECK("both daemons counted every message", counts_wait(d, c, (long)s.nmsgs) == 0);
	printf("daemon A: %ld applied, %ld duplicates; daemon B: %ld applied, %ld duplicates\n",
	       c[0].applied, c[0].dups, c[1].applied, c[1].dups);
	TEST_CHECK("daemon A applied part of the stream", c[0].applied > 0);
	TEST_CHECK("daemon B applied part of the stream", c[1].applied > 0);
	TEST_CHECK("applied in total = distinct events", c[0].applied + c[1].applied == s.distinct);
	TEST_CHECK("duplicates in total = repeats sent", c[0].dups + c[1].dups == s.dups);

	/* The database agrees with what was sent, contact by contact. */
	TEST_CHECK("every contact present",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'x%'") ==
	               contacts);
	TEST_CHECK("every contact's applied count is exact",
	           count_mismatches(db, &s, contacts) == 0);
	TEST_CHECK("events rows = distinct events", h_query_long(db, sql) == s.distinct);
	TEST_CHECK("applied counts add up to the ledger",
	           h_query_long(db, "SELECT sum(events_applied) FROM contacts "
	                            "WHERE contact_id LIKE 'x%'") == s.distinct);
	TEST_CHECK("outcomes recorded once each",
	           h_query_long(db, "SELECT count(*) FROM outcomes WHERE contact_id LIKE 'x%'") ==
	               s.outcomes);
	/* A contact is scored for the first time once, whichever daemon got there first. */
	TEST_CHECK("one first score per contact",
	           h_query_long(db, "SELECT count(*) FROM (SELECT contact_id FROM score_changes "
	                            "WHERE contact_id LIKE 'x%' AND previous_score IS NULL "
	                            "GROUP BY 1 HAVING count(*) = 1) f") == contacts);
	TEST_CHECK("no contact with two first scores",
	           h_query_long(
	               db, "SELECT count(*) FROM (SELECT contact_id FROM score_changes "
	                   "WHERE previous_score IS NULL GROUP BY 1 HAVING count(*) > 1) f") == 0);
	/* Days 17 to 19: a snapshot closes each earlier day a contact was active on, once
	 * (whether a day is closed depends on the order its events arrived in). */
	snaps =
	    h_query_long(db, "SELECT count(*) FROM contact_snapshots WHERE contact_id LIKE 'x%'");
	TEST_CHECK("feature snapshots taken, at most one per contact and closed day",
	           snaps > 0 && snaps <= 2L * contacts);

	/* Contention, not two halves: most contacts went through both daemons. */
	drain(subs, pubs, 1000);
	for (int k = 0; k < contacts; k++) {
		char who[32];

		stream_contact(who, sizeof(who), k);
		both += published_by_both(pubs, who);
	}
	printf("%d of %d contacts were applied by both daemons\n", both, contacts);
	TEST_CHECK("most contacts applied by both daemons", both >= contacts / 2);
	stream_free(&s);
	zmq_close(push);
}

static long
ack_field(const char *reply, const char *field)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", field);
	p = strstr(reply, key);
	return p ? atol(p + strlen(key)) : -1;
}

/* The first events of new contacts reach both daemons at the same instant, acknowledged: each
 * daemon gets one event of its own and one that both get (the same source and id). */
static void
test_first_sight(void *zctx, const struct h_daemon *d, PGconn *db, int per_round, int rounds)
{
	void *dealer[2];
	long replies = 0, accepted = 0, duplicates = 0, rejected = 0, want = 0;
	struct counts before[2], after[2];
	int linger = 0;

	TEST_CHECK("counts before first sight",
	           counts_read(&d[0], &before[0]) == 0 && counts_read(&d[1], &before[1]) == 0);
	for (int i = 0; i < 2; i++) {
		dealer[i] = zmq_socket(zctx, ZMQ_DEALER);
		zmq_setsockopt(dealer[i], ZMQ_LINGER, &linger, sizeof(linger));
		zmq_connect(dealer[i], d[i].router);
	}
	for (int r = 0; r < rounds; r++) {
		long deadline, got = 0;

		for (int k = 0; k < per_round; k++) {
			char who[32], own[32], shared[32], msg[2048];

			snprintf(who, sizeof(who), "n%d-%03d", r, k);
			snprintf(shared, sizeof(shared), "first-%d-%d", r, k);
			for (int i = 0; i < 2; i++) {
				char *e1, *e2;

				snprintf(own, sizeof(own), "own-%d-%d-%s", r, k, daemon_name[i]);
				e1 = h_event(own, i ? "email.opened" : "page.viewed", who,
				             i ? "2026-11-20T09:00:02Z" : "2026-11-20T09:00:00Z",
				             NULL);
				e2 = h_event(shared, "form.submitted", who, "2026-11-20T09:00:01Z",
				             NULL);
				snprintf(msg, sizeof(msg), "[%s,%s]", e1, e2);
				zmq_send(dealer[i], msg, strlen(msg), 0);
				free(e1);
				free(e2);
			}
		}
		want += 2L * per_round;
		deadline = h_now_ms() + left_ms();
		while (got < 2L * per_round && h_now_ms() < deadline) {
			zmq_pollitem_t items[2] = {{dealer[0], 0, ZMQ_POLLIN, 0},
			                           {dealer[1], 0, ZMQ_POLLIN, 0}};

			if (zmq_poll(items, 2, 1000) <= 0)
				continue;
			for (int i = 0; i < 2; i++) {
				char reply[4096];
				int n;

				if (!(items[i].revents & ZMQ_POLLIN))
					continue;
				n = zmq_recv(dealer[i], reply, sizeof(reply) - 1, 0);
				if (n < 0)
					continue;
				reply[n < (int)sizeof(reply) - 1 ? n : (int)sizeof(reply) - 1] =
				    '\0';
				accepted += ack_field(reply, "accepted");
				duplicates += ack_field(reply, "duplicates");
				rejected += strstr(reply, "\"rejected\":[]") == NULL;
				got++;
			}
		}
		replies += got;
	}
	printf("first sight: %d new contacts reached both daemons at once; acks: %ld accepted, "
	       "%ld duplicates\n",
	       per_round * rounds, accepted, duplicates);
	TEST_CHECK("every message acknowledged", replies == want);
	TEST_CHECK("acks: three events accepted per contact", accepted == 3L * per_round * rounds);
	TEST_CHECK("acks: the shared event a duplicate once per contact",
	           duplicates == (long)per_round * rounds);
	TEST_CHECK("acks: nothing rejected", rejected == 0);
	TEST_CHECK("every new contact has exactly three applied",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'n%' AND "
	                            "events_applied = 3") == (long)per_round * rounds);
	TEST_CHECK("no other new contact",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'n%'") ==
	               (long)per_round * rounds);
	TEST_CHECK("events rows for new contacts = distinct events",
	           h_query_long(db, "SELECT count(*) FROM events WHERE contact_id LIKE 'n%'") ==
	               3L * per_round * rounds);
	TEST_CHECK("one first score per new contact",
	           h_query_long(db,
	                        "SELECT count(*) FROM (SELECT contact_id FROM score_changes "
	                        "WHERE contact_id LIKE 'n%' AND previous_score IS NULL "
	                        "GROUP BY 1 HAVING count(*) = 1) f") == (long)per_round * rounds);
	/* Daemon A's own event is the earliest, daemon B's the latest: the row has both. */
	TEST_CHECK("first and last event times from both daemons",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'n%' AND "
	                            "first_seen = '2026-11-20T09:00:00Z' AND "
	                            "last_event_at = '2026-11-20T09:00:02Z'") ==
	               (long)per_round * rounds);
	TEST_CHECK("counts after first sight",
	           counts_read(&d[0], &after[0]) == 0 && counts_read(&d[1], &after[1]) == 0);
	printf("first sight: daemon A applied %ld and found %ld duplicates, daemon B %ld and %ld\n",
	       after[0].applied - before[0].applied, after[0].dups - before[0].dups,
	       after[1].applied - before[1].applied, after[1].dups - before[1].dups);
	TEST_CHECK("metrics: applied in total = distinct events",
	           after[0].applied - before[0].applied + after[1].applied - before[1].applied ==
	               3L * per_round * rounds);
	TEST_CHECK("metrics: duplicates in total = shared events",
	           after[0].dups - before[0].dups + after[1].dups - before[1].dups ==
	               (long)per_round * rounds);
	for (int i = 0; i < 2; i++)
		zmq_close(dealer[i]);
}

/* New contacts are created in one order, the bytes of their ids, whatever order their events
 * came in, and before the batch updates the contacts it found: two writers (of two daemons)
 * creating the same new contacts then wait for each other in one order and cannot deadlock.
 * One writer on a database of its own, so that the rows' physical order (ctid) is the order
 * they were written in: o-50 exists, then one message has events for o-29 down to o-00 (new)
 * and for o-50; its new version must come after them. */
/* Appends one event and sep to msg (size bytes, *used so far). */
static void
append_event(char *msg, size_t size, size_t *used, const char *id, const char *who,
             const char *time, const char *sep)
{
	char *ev = h_event(id, "page.viewed", who, time, NULL);

	if (ev != NULL && *used < size)
		*used += (size_t)snprintf(msg + *used, size - *used, "%s%s", ev, sep);
	free(ev);
}

static void
test_creation_order(void *zctx)
{
	const char *dsn = h_db_create("t_scaleout_order");
	char dsn_copy[128], msg[16384], reply[4096] = "", got[1024] = "", want[1024] = "";
	size_t used = 0;
	struct h_daemon d;
	PGconn *db;

	if (dsn == NULL) {
		TEST_CHECK("order: database created", 0);
		return;
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	if (h_daemon_start(&d, dsn_copy, "[database]\nwriters = 1\n") != 0) {
		TEST_CHECK("order: daemon started", 0);
		return;
	}
	append_event(msg, sizeof(msg), &used, "order-50", "o-50", "2026-11-20T08:00:00Z", "");
	TEST_CHECK("order: the existing contact's event acknowledged",
	           h_send_ack(zctx, d.router, msg, used, reply, sizeof(reply), 20000) == 0 &&
	               ack_field(reply, "accepted") == 1);
	/* One message: o-50 again, then o-29 down to o-00. */
	used = 0;
	msg[used++] = '[';
	append_event(msg, sizeof(msg), &used, "order-50b", "o-50", "2026-11-20T09:30:00Z", ",");
	for (int k = 29; k >= 0; k--) {
		char id[32], who[32];

		snprintf(id, sizeof(id), "order-%d", k);
		snprintf(who, sizeof(who), "o-%02d", k);
		append_event(msg, sizeof(msg), &used, id, who, "2026-11-20T09:00:00Z",
		             k > 0 ? "," : "]");
	}
	for (int k = 0; k < 30; k++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "o-%02d,", k);
	strcat(want, "o-50");
	TEST_CHECK("order: message acknowledged",
	           h_send_ack(zctx, d.router, msg, used, reply, sizeof(reply), 20000) == 0 &&
	               ack_field(reply, "accepted") == 31);
	db = h_db_connect(dsn_copy);
	h_query_str(db,
	            "SELECT string_agg(contact_id, ',' ORDER BY ctid) FROM contacts "
	            "WHERE contact_id LIKE 'o-%'",
	            got, sizeof(got));
	if (strcmp(got, want) != 0)
		printf("contacts in the order they were written: %s\n", got);
	TEST_CHECK("order: new contacts created in the order of their ids, before the update",
	           strcmp(got, want) == 0);
	TEST_CHECK("order: daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed == 0)
		h_remove_tree(d.dir);
	PQfinish(db);
}

/* Profile updates follow the event time, whichever daemon applies them and in whatever
 * order: an update sent first but dated later wins over one dated earlier. Each contact's two
 * updates go out back to back on one PUSH, so round-robin gives them to different daemons. */
static void
test_profile_order(void *zctx, struct h_daemon d[2], PGconn *db, int contacts)
{
	void *push = zmq_socket(zctx, ZMQ_PUSH);
	int linger = 10000, sent = 0;
	char sql[160];

	zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger));
	TEST_CHECK("profile PUSH connected", zmq_connect(push, d[0].pull) == 0 &&
	                                         zmq_connect(push, d[1].pull) == 0);
	h_sleep_ms(300);
	for (int c = 0; c < contacts; c++) {
		char id[32], who[32], *late, *early;

		snprintf(who, sizeof(who), "po%04d", c);
		snprintf(id, sizeof(id), "po-late-%d", c);
		late = h_event(id, "contact.updated", who, "2026-11-20T10:00:01Z",
		               "{\"owner\":\"late\",\"consent\":false}");
		snprintf(id, sizeof(id), "po-early-%d", c);
		early = h_event(id, "contact.updated", who, "2026-11-20T10:00:00Z",
		                "{\"owner\":\"early\",\"consent\":true}");
		sent += late != NULL && early != NULL &&
		        zmq_send(push, late, strlen(late), 0) == (int)strlen(late) &&
		        zmq_send(push, early, strlen(early), 0) == (int)strlen(early);
		free(late);
		free(early);
	}
	TEST_CHECK("profile updates sent", sent == contacts);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM contacts WHERE contact_id LIKE 'po%%' AND events_applied = 2");
	TEST_CHECK("profile updates applied", h_wait_long(db, sql, contacts, left_ms()) == contacts);
	TEST_CHECK("the later-dated owner and consent kept, for every contact",
	           h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'po%' "
	                            "AND owner = 'late' AND NOT consent") == contacts);
	zmq_close(push);
}

int
main(void)
{
	/* Under valgrind (make memcheck) everything runs some 30 times slower. */
	int slow = getenv("LEADSCORE_VALGRIND") != NULL;
	int contacts = slow ? 40 : CONTACTS, rounds = slow ? 12 : ROUNDS;
	const char *dsn = h_db_create("t_scaleout");
	/* publish_delta 0: every batch that moves a contact records and publishes its score.
	 * The periodic work (ROI roll-ups, retention passes) runs every second in both. */
	const char *conf = "[score]\npublish_delta = 0\n[roi]\npublish_interval = 1\n"
	                   "[retention]\ninterval = 1\n";
	char dsn_copy[128];
	struct h_daemon d[2];
	struct counts c[2];
	struct pubs pubs = {0};
	void *zctx = zmq_ctx_new(), *subs[2] = {NULL, NULL};
	PGconn *db;
	long deadlocks_before;
	int started = 0;

	if (dsn == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	end_ms = h_now_ms() + (slow ? 900000 : 120000);
	db = h_db_connect(dsn_copy);
	deadlocks_before = deadlocks(db);
	/* Two daemons, each with its own directory, ports and endpoints file; one database. */
	for (int i = 0; i < 2; i++)
		started += h_daemon_start(&d[i], dsn_copy, conf) == 0;
	TEST_CHECK("two daemons started", started == 2);
	if (started != 2) {
		for (int i = 0; i < 2; i++)
			if (d[i].pid > 0)
				h_daemon_stop(&d[i], SIGTERM, 20000);
		return TEST_REPORT();
	}
	TEST_CHECK("own endpoints", strcmp(d[0].pull, d[1].pull) != 0 &&
	                                strcmp(d[0].pub, d[1].pub) != 0 &&
	                                d[0].http_port != d[1].http_port);
	for (int i = 0; i < 2; i++)
		subs[i] = score_sub(zctx, d[i].pub);
	TEST_CHECK("subscribed to both", subs[0] != NULL && subs[1] != NULL);
	h_sleep_ms(300); /* let the subscriptions reach the publishers */

	test_shared_stream(zctx, d, db, subs, &pubs, contacts, rounds);
	test_first_sight(zctx, d, db, slow ? 20 : NEW, slow ? 2 : NEW_ROUNDS);
	test_profile_order(zctx, d, db, slow ? 40 : 300);
	test_creation_order(zctx);

	drain(subs, &pubs, 1500);
	TEST_CHECK("counts read", counts_read(&d[0], &c[0]) == 0 && counts_read(&d[1], &c[1]) == 0);
	TEST_CHECK("no publication dropped", c[0].dropped == 0 && c[1].dropped == 0);
	check_publications(db, &pubs);
	/* A retried batch is allowed (a write conflict is retried whole); a deadlock is not. */
	printf("batches retried after a transient error: A %ld, B %ld\n", c[0].retries,
	       c[1].retries);

	for (int i = 0; i < 2; i++) {
		char what[64];

		snprintf(what, sizeof(what), "daemon %s exits 0", daemon_name[i]);
		TEST_CHECK(what, h_daemon_stop(&d[i], SIGTERM, 20000) == 0);
	}
	/* Nothing deadlocked: no batch was refused with SQLSTATE 40P01 (it would have been
	 * retried and logged), and PostgreSQL counted no deadlock in this database. */
	TEST_CHECK("no deadlock in daemon A's log", h_log_count(&d[0], "40P01") == 0);
	TEST_CHECK("no deadlock in daemon B's log", h_log_count(&d[1], "40P01") == 0);
	h_sleep_ms(1000); /* the daemons' backends report their statistics as they exit */
	{
		long after = deadlocks(db);

		if (after != deadlocks_before)
			printf("pg_stat_database.deadlocks: %ld before, %ld after\n",
			       deadlocks_before, after);
		TEST_CHECK("PostgreSQL counted no deadlock", after == deadlocks_before);
	}
	TEST_CHECK("no batch refused by the database",
	           h_log_count(&d[0], "refused:") + h_log_count(&d[1], "refused:") == 0);
	TEST_CHECK("nothing dead-lettered",
	           h_query_long(db, "SELECT count(*) FROM dead_letters") == 0);
	TEST_CHECK("no errors logged",
	           h_log_count(&d[0], "[error]") + h_log_count(&d[1], "[error]") == 0);

	for (int i = 0; i < 2; i++) {
		zmq_close(subs[i]);
		if (th_failed == 0)
			h_remove_tree(d[i].dir);
		else
			printf("daemon %s's directory kept: %s\n", daemon_name[i], d[i].dir);
	}
	pubs_free(&pubs);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
