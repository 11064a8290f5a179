/* test_cli.c: the CLI end to end: usage errors, --check-config, simulate | send --ack, SUB ingest. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../testhelp.h"

/* Runs a shell command line; returns its exit status and leaves its stderr in err_out. */
static int
sh(const char *cmd, char *err_out, size_t size)
{
	char full[4096], path[] = "/tmp/leadscore-cli-XXXXXX";
	int fd = mkstemp(path), status;
	FILE *f;
	size_t n = 0;

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(full, sizeof(full), "%s 2>%s", cmd, path);
	status = system(full);
	f = fopen(path, "r");
	if (err_out != NULL && size > 0) {
		err_out[0] = '\0';
		if (f != NULL) {
			n = fread(err_out, 1, size - 1, f);
			err_out[n] = '\0';
		}
	}
	if (f != NULL)
		fclose(f);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *
bin(void)
{
	return getenv("LEADSCORE_BIN") ? getenv("LEADSCORE_BIN") : "bin";
}

static void
test_usage_errors(void)
{
	static const char *bad[] = {
		"leadscore frobnicate",	      "leadscore migrate --bogus",
		"leadscore send --ack",	      "leadscore send --batch 0 x",
		"leadscore send --nope x",    "leadscore simulate --contacts -1",
		"leadscore simulate --days",  "leadscore queue --tier E",
		"leadscore queue --limit x",  "leadscore models",
		"leadscore models frob",      "leadscore forget",
		"leadscored --bogus",	      "leadscored",
	};
	char cmd[512], err[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc, lines = 0;

		snprintf(cmd, sizeof(cmd), "%s/%s", bin(), bad[i]);
		rc = sh(cmd, err, sizeof(err));
		for (char *p = err; *p; p++)
			lines += *p == '\n';
		if (rc != 2 || lines < 1)
			printf("'%s': exit %d, stderr: %s\n", bad[i], rc, err);
		TEST_CHECK("bad usage exits 2", rc == 2);
		TEST_CHECK("bad usage explains itself", lines >= 1 && strlen(err) > 10);
	}
	snprintf(cmd, sizeof(cmd), "%s/leadscore send --help >/dev/null", bin());
	TEST_CHECK("--help exits 0", sh(cmd, err, sizeof(err)) == 0);
}

static void
test_check_config(void)
{
	char dir[] = "/tmp/leadscore-cfg-XXXXXX", path[512], cmd[1024], err[2048];
	const char *top = getenv("LEADSCORE_TOP") ? getenv("LEADSCORE_TOP") : ".";
	FILE *f;

	TEST_CHECK("temp dir", mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/good.conf", dir);
	f = fopen(path, "w");
	fprintf(f, "[features]\nspec = %s/model/features.json\n", top);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/leadscored -c %s --check-config >/dev/null", bin(), path);
	TEST_CHECK("valid config: exit 0", sh(cmd, err, sizeof(err)) == 0);

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	f = fopen(path, "w");
	fprintf(f, "[batch]\nmax_events = 0\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/leadscored -c %s --check-config", bin(), path);
	TEST_CHECK("out-of-bounds value: non-zero", sh(cmd, err, sizeof(err)) != 0);
	TEST_CHECK("reason names the key and the line",
		   strstr(err, "batch.max_events") != NULL && strstr(err, ":2:") != NULL);
	TEST_CHECK("reason is one line", strchr(err, '\n') == err + strlen(err) - 1);

	snprintf(path, sizeof(path), "%s/badspec.conf", dir);
	f = fopen(path, "w");
	fprintf(f, "[features]\nspec = %s/no-such-spec.json\n", dir);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/leadscored -c %s --check-config", bin(), path);
	TEST_CHECK("missing feature spec: non-zero", sh(cmd, err, sizeof(err)) != 0);
	TEST_CHECK("reason names the spec", strstr(err, "no-such-spec.json") != NULL);
}

static void
test_simulate_send(void *zctx, const char *dsn)
{
	struct h_daemon d;
	char cmd[2048], err[4096], events[600];
	PGconn *db = h_db_connect(dsn);
	long lines;

	if (h_daemon_start(&d, dsn, NULL) < 0) {
		TEST_CHECK("daemon started", 0);
		return;
	}
	snprintf(events, sizeof(events), "%s/events.jsonl", d.dir);
	snprintf(cmd, sizeof(cmd), "%s/leadscore simulate --contacts 300 --days 5 --seed 3 "
				   "--end 2026-11-20T00:00:00Z > %s", bin(), events);
	TEST_CHECK("simulate", sh(cmd, err, sizeof(err)) == 0);
	snprintf(cmd, sizeof(cmd), "wc -l < %s > %s.n", events, events);
	TEST_CHECK("count lines", system(cmd) == 0);
	{
		char npath[700];
		FILE *f;

		snprintf(npath, sizeof(npath), "%s.n", events);
		f = fopen(npath, "r");
		lines = 0;
		if (f != NULL && fscanf(f, "%ld", &lines) != 1)
			lines = 0;
		if (f != NULL)
			fclose(f);
	}
	TEST_CHECK("simulated events", lines > 300);
	snprintf(cmd, sizeof(cmd), "%s/leadscore send --ack --endpoint %s --batch 200 %s", bin(),
		 d.router, events);
	TEST_CHECK("send --ack", sh(cmd, err, sizeof(err)) == 0);
	{
		char want[128];

		snprintf(want, sizeof(want), "%ld accepted, 0 duplicates, 0 rejected", lines);
		if (strstr(err, want) == NULL)
			printf("send said: %s\n", err);
		TEST_CHECK("send reports every event accepted", strstr(err, want) != NULL);
	}
	TEST_CHECK("every event committed", h_query_long(db, "SELECT count(*) FROM events") == lines);
	TEST_CHECK("applied counts add up",
		   h_query_long(db, "SELECT sum(events_applied) FROM contacts") == lines);
	TEST_CHECK("resend: all duplicates", sh(cmd, err, sizeof(err)) == 0 &&
						     strstr(err, " 0 accepted") != NULL);
	/* A file with a broken line: the rest is taken, the line is reported, exit 1. */
	snprintf(cmd, sizeof(cmd),
		 "printf '%%s\\n' 'not json' '{\"specversion\":\"1.0\"}' | %s/leadscore send --ack "
		 "--endpoint %s -",
		 bin(), d.router);
	TEST_CHECK("rejected lines: exit 1", sh(cmd, err, sizeof(err)) == 1);
	TEST_CHECK("rejected lines named", strstr(err, "line 1: rejected") != NULL &&
					      strstr(err, "line 2: rejected") != NULL);
	/* Best-effort PUSH. */
	snprintf(cmd, sizeof(cmd),
		 "printf '%%s\\n' '{\"specversion\":\"1.0\",\"id\":\"p1\",\"source\":\"s\",\"type\":"
		 "\"email.opened\",\"subject\":\"push-1\",\"time\":\"2026-11-20T10:00:00Z\"}' | "
		 "%s/leadscore send --endpoint %s -",
		 bin(), d.pull);
	TEST_CHECK("send over PUSH", sh(cmd, err, sizeof(err)) == 0);
	TEST_CHECK("pushed event applied",
		   h_wait_long(db, "SELECT count(*) FROM contacts WHERE contact_id='push-1'", 1,
			       5000) == 1);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	(void)zctx;
}

static void
test_sub_ingest(void *zctx, const char *dsn)
{
	struct h_daemon d;
	char extra[512], endpoint[128];
	size_t len = sizeof(endpoint);
	void *bus = zmq_socket(zctx, ZMQ_PUB);
	PGconn *db = h_db_connect(dsn);
	int linger = 0;

	zmq_setsockopt(bus, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_bind(bus, "tcp://127.0.0.1:*");
	zmq_getsockopt(bus, ZMQ_LAST_ENDPOINT, endpoint, &len);
	snprintf(extra, sizeof(extra), "[ingest]\nsub = %s\nsubscribe = events.\n", endpoint);
	if (h_daemon_start(&d, dsn, extra) < 0) {
		TEST_CHECK("daemon with SUB started", 0);
		return;
	}
	/* Resend until the subscription has reached us: PUB drops before that. */
	for (int i = 0; i < 50; i++) {
		char *ev = h_event("s-1", "email.clicked", "sub-1", "2026-11-20T10:00:00Z", NULL);

		zmq_send(bus, "events.web", 10, ZMQ_SNDMORE);
		zmq_send(bus, ev, strlen(ev), 0);
		zmq_send(bus, "other", 5, ZMQ_SNDMORE);
		free(ev);
		ev = h_event("s-2", "email.clicked", "sub-2", "2026-11-20T10:00:00Z", NULL);
		zmq_send(bus, ev, strlen(ev), 0);
		free(ev);
		if (h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id='sub-1'") == 1)
			break;
		h_sleep_ms(100);
	}
	TEST_CHECK("event taken from the subscribed topic",
		   h_wait_long(db, "SELECT count(*) FROM contacts WHERE contact_id='sub-1'", 1, 3000) == 1);
	TEST_CHECK("repeats on the bus deduped",
		   h_query_long(db, "SELECT events_applied FROM contacts WHERE contact_id='sub-1'") == 1);
	TEST_CHECK("other topics ignored",
		   h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id='sub-2'") == 0);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	zmq_close(bus);
	PQfinish(db);
}

int
main(void)
{
	void *zctx = zmq_ctx_new();
	const char *dsn = h_db_create("t_cli");
	char dsn_copy[128];

	test_usage_errors();
	test_check_config();
	if (dsn == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	test_simulate_send(zctx, dsn_copy);
	test_sub_ingest(zctx, dsn_copy);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
