/* test_swap.c: the live model swap: no event lost or scored by a half-loaded model; bad bundles
 * refused. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "../harness/h_bundle.h"
#include "../harness/harness.h"
#include "../testhelp.h"

#define PER_BATCH 20
#define NCONTACTS 60
#define MAX_BATCHES 3000

/* The steady stream, in a child process of its own: acknowledged batches one after another
 * until the parent writes to stop_fd. Reports {sent, accepted} on out_fd. */
static void
stream(const char *router, int stop_fd, int out_fd)
{
	void *zctx = zmq_ctx_new();
	long counts[2] = {0, 0};

	for (int b = 0; b < MAX_BATCHES; b++) {
		char msg[16384], reply[4096], id[32], subject[16], t[32], want[32];
		struct pollfd pfd = {stop_fd, POLLIN, 0};
		size_t used = 0;

		if (poll(&pfd, 1, 0) > 0)
			break;
		msg[used++] = '[';
		for (int i = 0; i < PER_BATCH; i++) {
			int k = b * PER_BATCH + i;
			char *ev;

			snprintf(id, sizeof(id), "s-%d", k);
			snprintf(subject, sizeof(subject), "c%02d", k % NCONTACTS);
			snprintf(t, sizeof(t), "2026-11-20T%02d:%02d:%02dZ", 8 + k / 3600 % 12,
			         (k / 60) % 60, k % 60);
			ev = h_event(id, "page.viewed", subject, t, "{\"path\":\"/pricing\"}");
			used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s",
			                         i ? "," : "", ev);
			free(ev);
		}
		msg[used++] = ']';
		counts[0] += PER_BATCH;
		snprintf(want, sizeof(want), "\"accepted\":%d", PER_BATCH);
		if (h_send_ack(zctx, router, msg, used, reply, sizeof(reply), 20000) == 0 &&
		    strstr(reply, want) != NULL)
			counts[1] += PER_BATCH;
	}
	if (write(out_fd, counts, sizeof(counts)) != (ssize_t)sizeof(counts))
		counts[1] = -1;
	zmq_ctx_term(zctx);
	_exit(0); /* the counts speak; under valgrind the status is its verdict on the copy */
}

static int
register_promote(const char *dsn, const char *dir)
{
	const char *args[] = {"models", "--dsn", dsn, "register", dir, "--promote", NULL};

	return h_cli(NULL, 0, args);
}

/* Whether a `model` message for version arrives within timeout_ms. */
static int
model_published(void *sub, const char *version, char *body, size_t size, int timeout_ms)
{
	char topic[32], want[128];

	snprintf(want, sizeof(want), "\"version\":\"%s\"", version);
	while (h_sub_recv(sub, topic, sizeof(topic), body, size, timeout_ms) == 0)
		if (strcmp(topic, "model") == 0 && strstr(body, want) != NULL)
			return 1;
	return 0;
}

/* In commit order, the model behind the scores changes only as often as models were put in
 * force (never back and forth inside a batch), and every score is the one its model gives
 * (flat bundles give one score each), so no event met a half-loaded model. */
static void
check_scores(PGconn *db, const char *a, int score_a, const char *b, int score_b, int swaps)
{
	PGresult *res = PQexec(db, "SELECT model_version, score FROM score_changes ORDER BY seq");
	int prev = 0, changes = 0, unknown = 0, bad_score = 0, seen_a = 0, seen_b = 0;

	for (int r = 0; r < PQntuples(res); r++) {
		const char *v = PQgetvalue(res, r, 0);
		int s = atoi(PQgetvalue(res, r, 1));
		int m = strncmp(v, "starter-", 8) == 0 ? 0
		        : strcmp(v, a) == 0            ? 1
		        : strcmp(v, b) == 0            ? 2
		                                       : 3;

		unknown += m == 3;
		changes += m != prev;
		prev = m;
		if ((m == 1 && s != score_a) || (m == 2 && s != score_b))
			bad_score++;
		seen_a |= m == 1;
		seen_b |= m == 2;
	}
	printf("score changes: %d rows, the model changed %d times\n", PQntuples(res), changes);
	TEST_CHECK("score changes recorded", PQntuples(res) > 0);
	TEST_CHECK("only the models put in force scored", unknown == 0);
	TEST_CHECK("models switch between batches, not inside them", changes <= swaps);
	TEST_CHECK("every score is its model's (none from a half-loaded model)", bad_score == 0);
	TEST_CHECK("both new models scored part of the stream", seen_a && seen_b);
	PQclear(res);
}

static void
test_live_swap(void *zctx, const char *dsn)
{
	struct h_daemon d;
	char dir_a[300], dir_b[300], body[4096], topic[32];
	PGconn *db = h_db_connect(dsn);
	int stop[2], out[2], status;
	long counts[2] = {0, 0};
	char sql[200];
	void *sub;
	pid_t child;

	if (h_daemon_start(&d, dsn, "[score]\npublish_delta = 0\n") < 0) {
		TEST_CHECK("daemon started", 0);
		return;
	}
	sub = h_sub(zctx, d.pub, "model");
	snprintf(dir_a, sizeof(dir_a), "%s/swap-a", d.dir);
	snprintf(dir_b, sizeof(dir_b), "%s/swap-b", d.dir);
	TEST_CHECK("bundles written",
	           h_bundle_write(dir_a, "swap-a", 1.0, NULL, NULL, 0, NULL, 0.75) == 0 &&
	               h_bundle_write(dir_b, "swap-b", -1.0, NULL, NULL, 0, NULL, 0.625) == 0);
	if (pipe(stop) < 0 || pipe(out) < 0 || (child = fork()) < 0) {
		TEST_CHECK("stream started", 0);
		return;
	}
	if (child == 0) {
		close(stop[1]);
		close(out[0]);
		stream(d.router, stop[0], out[1]);
	}
	close(stop[0]);
	close(out[1]);
	/* Promotions and a reload land while batches keep committing. */
	h_wait_long(db, "SELECT (count(*) > 300)::int FROM events", 1, 20000);
	TEST_CHECK("first promotion", register_promote(dsn, dir_a) == 0);
	TEST_CHECK("model topic for the first",
	           model_published(sub, "swap-a", body, sizeof(body), 5000));
	TEST_CHECK("model message has version, kind and metrics",
	           strstr(body, "\"kind\":\"starter\"") != NULL &&
	               strstr(body, "\"auc\":0.75") != NULL);
	snprintf(sql, sizeof(sql), "SELECT (count(*) > %ld)::int FROM events",
	         h_query_long(db, "SELECT count(*) FROM events") + 300);
	h_wait_long(db, sql, 1, 20000);
	TEST_CHECK("second promotion", register_promote(dsn, dir_b) == 0);
	TEST_CHECK("model topic for the second",
	           model_published(sub, "swap-b", body, sizeof(body), 5000));
	/* Promotions back and forth: each must take effect while batches run back to back (a
	 * notification that arrives during a batch's transaction must not wait for the next). */
	for (int i = 0; i < 6; i++) {
		const char *v = i % 2 ? "swap-b" : "swap-a";
		const char *args[] = {"models", "--dsn", dsn, "promote", v, NULL};

		TEST_CHECK("promotion during the stream", h_cli(NULL, 0, args) == 0);
		TEST_CHECK("model switched promptly",
		           model_published(sub, v, body, sizeof(body), 3000));
	}
	/* A reload in the middle of the stream changes nothing, and announces nothing. */
	kill(d.pid, SIGHUP);
	TEST_CHECK("no model message after SIGHUP",
	           h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body), 1500) < 0);
	TEST_CHECK("the reload happened", h_log_count(&d, "configuration reloaded") == 1);
	snprintf(sql, sizeof(sql), "SELECT (count(*) > %ld)::int FROM events",
	         h_query_long(db, "SELECT count(*) FROM events") + 300);
	h_wait_long(db, sql, 1, 20000);
	TEST_CHECK("stream stopped", write(stop[1], "x", 1) == 1);
	TEST_CHECK("stream read", read(out[0], counts, sizeof(counts)) == (ssize_t)sizeof(counts));
	close(stop[1]);
	close(out[0]);
	TEST_CHECK("stream finished", waitpid(child, &status, 0) == child);
	printf("stream: %ld events sent, %ld acknowledged\n", counts[0], counts[1]);
	TEST_CHECK("every event acknowledged as accepted",
	           counts[0] > 900 && counts[0] == counts[1] && WIFEXITED(status));
	snprintf(sql, sizeof(sql), "SELECT (count(*) = %ld)::int FROM events", counts[0]);
	TEST_CHECK("every event committed once", h_query_long(db, sql) == 1);
	snprintf(sql, sizeof(sql), "SELECT (sum(events_applied) = %ld)::int FROM contacts",
	         counts[0]);
	TEST_CHECK("every event applied to its contact", h_query_long(db, sql) == 1);
	check_scores(db, "swap-a", h_bundle_flat_score(1.0), "swap-b", h_bundle_flat_score(-1.0),
	             8);
	zmq_close(sub);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
}

static int
send_one(void *zctx, const char *router, const char *id, const char *who)
{
	char reply[2048];
	char *ev = h_event(id, "page.viewed", who, "2026-11-20T10:00:00Z", NULL);
	int rc = h_send_ack(zctx, router, ev, strlen(ev), reply, sizeof(reply), 10000);

	free(ev);
	return rc == 0 && strstr(reply, "\"accepted\":1") != NULL ? 0 : -1;
}

static int
log_has(const struct h_daemon *d, const char *a, const char *b)
{
	char path[600], line[2048];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", d->dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, a) != NULL && (b == NULL || strstr(line, b) != NULL);
	fclose(f);
	return found;
}

static const char *
version_of(PGconn *db, const char *who, char *buf, size_t size)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT model_version FROM contacts WHERE contact_id = '%s'",
	         who);
	return h_query_str(db, sql, buf, size);
}

static void
corrupt_manifest(const char *dir)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("{\"format\": 1, \"kind\": \"logis", f);
		fclose(f);
	}
}

static void
test_bad_bundles(void *zctx, const char *dsn)
{
	struct h_daemon d;
	char dir[300], buf[128], body[4096], topic[32];
	PGconn *db = h_db_connect(dsn);
	void *sub;
	static const char other_spec[] =
	    "0000000000000000000000000000000000000000000000000000000000000000";

	if (h_daemon_start(&d, dsn, NULL) < 0) {
		TEST_CHECK("daemon started", 0);
		return;
	}
	sub = h_sub(zctx, d.pub, "model");
	snprintf(dir, sizeof(dir), "%s/good", d.dir);
	TEST_CHECK("good bundle",
	           h_bundle_write(dir, "good-1", 2.0, NULL, NULL, 0, NULL, 0.7) == 0);
	TEST_CHECK("good promoted", register_promote(dsn, dir) == 0);
	TEST_CHECK("good in force", model_published(sub, "good-1", body, sizeof(body), 5000));

	/* A bundle broken after it was registered: promotion reaches the daemon, which refuses. */
	snprintf(dir, sizeof(dir), "%s/broken", d.dir);
	TEST_CHECK("broken bundle",
	           h_bundle_write(dir, "broken-1", -2.0, NULL, NULL, 0, NULL, 0.9) == 0);
	{
		const char *args[] = {"models", "--dsn", dsn, "register", dir, NULL};

		TEST_CHECK("registered while still good", h_cli(NULL, 0, args) == 0);
	}
	corrupt_manifest(dir);
	{
		const char *args[] = {"models", "--dsn", dsn, "promote", "broken-1", NULL};

		TEST_CHECK("promotion of the broken bundle recorded", h_cli(NULL, 0, args) == 0);
	}
	TEST_CHECK("no model message for the broken bundle",
	           h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body), 1500) < 0);
	TEST_CHECK("events still taken", send_one(zctx, d.router, "b-1", "bea") == 0);
	TEST_CHECK("old model still scores",
	           strcmp(version_of(db, "bea", buf, sizeof(buf)), "good-1") == 0);
	TEST_CHECK("refusal logged with the reason",
	           log_has(&d, "keeping the current model", "manifest.json"));

	/* A bundle made for another feature spec. */
	snprintf(dir, sizeof(dir), "%s/otherspec", d.dir);
	TEST_CHECK("other-spec bundle",
	           h_bundle_write(dir, "otherspec-1", -2.0, NULL, NULL, 0, other_spec, 0.9) == 0);
	TEST_CHECK("other-spec promotion recorded", register_promote(dsn, dir) == 0);
	TEST_CHECK("no model message for the other spec",
	           h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body), 1500) < 0);
	TEST_CHECK("events still taken after", send_one(zctx, d.router, "b-2", "ben") == 0);
	TEST_CHECK("old model still scores after",
	           strcmp(version_of(db, "ben", buf, sizeof(buf)), "good-1") == 0);
	TEST_CHECK("spec mismatch logged",
	           log_has(&d, "keeping the current model", "feature spec"));

	/* A restart with a bad active bundle keeps taking events, scored by the starter model. */
	zmq_close(sub);
	TEST_CHECK("daemon stops", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	TEST_CHECK("daemon restarts with a bad active bundle", h_daemon_restart(&d) == 0);
	TEST_CHECK("events taken after the restart",
	           d.pid > 0 && send_one(zctx, d.router, "b-3", "bo") == 0);
	TEST_CHECK("the starter model scores",
	           strncmp(version_of(db, "bo", buf, sizeof(buf)), "starter-", 8) == 0);
	TEST_CHECK("start-up fallback logged", log_has(&d, "otherspec-1", "starter model"));
	TEST_CHECK("daemon exits 0 at the end", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
}

int
main(void)
{
	void *zctx = zmq_ctx_new();
	const char *dsn = h_db_create("t_swap");
	char dsn_copy[128];

	if (dsn == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	test_live_swap(zctx, dsn_copy);
	dsn = h_db_create("t_swap_bad");
	if (dsn != NULL) {
		snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
		test_bad_bundles(zctx, dsn_copy);
	}
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
