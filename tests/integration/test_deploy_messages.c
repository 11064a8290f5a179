/* test_deploy_messages.c: two daemons on one database publish the deployment's own messages
 * once, not once each: topic roi once an interval, topic model once a switch and never for a
 * reload that changed nothing. When the marks cannot be written, model is still announced
 * (by each) and roi waits, with the reason logged; both recover when the table is back. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/h_bundle.h"
#include "../harness/harness.h"
#include "../testhelp.h"

struct seen {
	int roi;
	int model;
	char versions[512]; /* the model messages' versions, space-separated */
};

/* Everything both daemons publish on roi and model for ms milliseconds. */
static void
listen_for(void *sub, int ms, struct seen *seen)
{
	long end = h_now_ms() + ms;
	char topic[32], body[8192];

	memset(seen, 0, sizeof(*seen));
	while (h_now_ms() < end) {
		if (h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body),
		               (int)(end - h_now_ms())) < 0)
			continue;
		if (strcmp(topic, "roi") == 0) {
			seen->roi++;
		} else if (strcmp(topic, "model") == 0) {
			const char *v = strstr(body, "\"version\":\"");
			size_t used = strlen(seen->versions);

			seen->model++;
			if (v != NULL)
				snprintf(seen->versions + used, sizeof(seen->versions) - used,
				         "%.*s ", (int)strcspn(v + 11, "\""), v + 11);
		}
	}
	printf("in %d ms: %d roi, %d model (%s)\n", ms, seen->roi, seen->model, seen->versions);
}

/* Both daemons logged a model whose version starts with version in force, at least times
 * times since they started (each switched, whoever announced). */
static int
both_switched(const struct h_daemon *d, const char *version, long times)
{
	char needle[128];
	long end = h_now_ms() + 10000;

	snprintf(needle, sizeof(needle), "model %s", version);
	while (h_now_ms() < end) {
		if (h_log_count(&d[0], needle) >= times && h_log_count(&d[1], needle) >= times)
			return 1;
		h_sleep_ms(500);
	}
	return 0;
}

/* A flat bundle of version registered and promoted, and both daemons switched to it. */
static int
switch_both(const char *dsn, const struct h_daemon *d, const char *version, double bias)
{
	char dir[400], logged[64];
	const char *args[] = {"models", "--dsn", dsn, "register", dir, "--promote", NULL};

	snprintf(dir, sizeof(dir), "%s/%s", d[0].dir, version);
	snprintf(logged, sizeof(logged), "%s (", version);
	return h_bundle_write(dir, version, bias, NULL, NULL, 0, NULL, 0.7) == 0 &&
	       h_cli(NULL, 0, args) == 0 && both_switched(d, logged, 1);
}

/* Each daemon ticks every second, so an interval of one second is published about once a
 * second in all: a daemon each would be twice that. */
static void
test_roi_once(void *sub)
{
	struct seen seen;

	listen_for(sub, 6000, &seen);
	TEST_CHECK("roi published", seen.roi >= 2);
	TEST_CHECK("roi once an interval, not once a daemon", seen.roi <= 7);
}

static void
test_model_once(const char *dsn, struct h_daemon *d, void *sub)
{
	struct seen seen;

	TEST_CHECK("promoted, both daemons switched", switch_both(dsn, d, "flat-1", 1.0));
	listen_for(sub, 2000, &seen);
	TEST_CHECK("the switch announced once",
	           seen.model == 1 && strcmp(seen.versions, "flat-1 ") == 0);

	for (int i = 0; i < 2; i++)
		kill(d[i].pid, SIGHUP);
	listen_for(sub, 2500, &seen);
	TEST_CHECK("a reload of both announces nothing", seen.model == 0);
	TEST_CHECK("roi goes on after the reload", seen.roi >= 1);
	{
		const char *args[] = {"models", "--dsn", dsn, "rollback", NULL};

		TEST_CHECK("rolled back", h_cli(NULL, 0, args) == 0);
	}
	/* The starter was in force once already, from the start. */
	TEST_CHECK("both back on the starter", both_switched(d, "starter-", 2));
	listen_for(sub, 2000, &seen);
	TEST_CHECK("the rollback announced once",
	           seen.model == 1 && strncmp(seen.versions, "starter-", 8) == 0);
}

/* Without the table: each daemon announces the switch itself rather than not at all, roi
 * is not published, and both say why. With it back, one message each again. */
static void
test_marks_missing(const char *dsn, struct h_daemon *d, void *sub, PGconn *db)
{
	struct seen seen;

	TEST_CHECK("marks table gone",
	           h_exec_ok(db, "ALTER TABLE publish_marks RENAME TO pm_away"));
	/* An roi tick that marked its interval just before may still be on its way: let it
	 * arrive, and read what the subscription holds, before counting. */
	listen_for(sub, 1000, &seen);
	TEST_CHECK("promoted, both daemons switched", switch_both(dsn, d, "flat-2", 2.0));
	listen_for(sub, 2500, &seen);
	TEST_CHECK("each announced the switch", seen.model == 2);
	TEST_CHECK("no roi without the marks", seen.roi == 0);
	for (int i = 0; i < 2; i++) {
		TEST_CHECK("the announcement's reason logged",
		           h_log_count(&d[i], "announcing model flat-2: marking the model") > 0);
		TEST_CHECK("roi's reason logged",
		           h_log_count(&d[i], "roi figures: marking the roi interval") > 0);
	}

	TEST_CHECK("marks table back",
	           h_exec_ok(db, "ALTER TABLE pm_away RENAME TO publish_marks"));
	listen_for(sub, 4000, &seen);
	TEST_CHECK("roi again", seen.roi >= 1 && seen.roi <= 5);
	TEST_CHECK("no model message meanwhile", seen.model == 0);
}

int
main(void)
{
	const char *dsn = h_db_create("t_deploy_messages");
	const char *conf = "[roi]\npublish_interval = 1\n";
	char dsn_copy[128];
	struct h_daemon d[2];
	void *zctx, *sub = NULL;
	PGconn *db;
	int started = 0;

	if (dsn == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	db = h_db_connect(dsn_copy);
	zctx = zmq_ctx_new();
	for (int i = 0; i < 2; i++)
		started += h_daemon_start(&d[i], dsn_copy, conf) == 0;
	TEST_CHECK("two daemons started", started == 2);
	if (started == 2) {
		sub = h_sub(zctx, d[0].pub, "roi");
		TEST_CHECK("subscribed to both",
		           sub != NULL && zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "model", 5) == 0 &&
		               zmq_connect(sub, d[1].pub) == 0);
		h_sleep_ms(300);
		test_roi_once(sub);
		test_model_once(dsn_copy, d, sub);
		test_marks_missing(dsn_copy, d, sub, db);
		zmq_close(sub);
	}
	for (int i = 0; i < 2; i++) {
		if (d[i].pid <= 0)
			continue;
		TEST_CHECK("daemon exits 0", h_daemon_stop(&d[i], SIGTERM, 20000) == 0);
		if (th_failed)
			h_daemon_log(&d[i]);
		else
			h_remove_tree(d[i].dir);
	}
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
