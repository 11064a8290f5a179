/* test_reload.c: SIGHUP and registry notifications switch the model and config without a restart. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../../model/bundle.h"
#include "../../model/encoder.h"
#include "../../model/featspec.h"
#include "../harness/harness.h"
#include "../testhelp.h"

/* A bundle for the shipped spec whose every score is sigmoid(bias): easy to recognise. */
static int
write_flat_bundle(const char *dir, const char *version, double bias)
{
	char spec_path[512];
	struct ls_err err;
	struct featspec *spec;
	struct encoder *enc;
	double *w;
	int rc = -1;

	snprintf(spec_path, sizeof(spec_path), "%s/model/features.json",
		 getenv("LEADSCORE_TOP") ? getenv("LEADSCORE_TOP") : ".");
	spec = featspec_load(spec_path, &err);
	enc = spec ? encoder_from_spec(spec, &err) : NULL;
	w = enc ? calloc(encoder_dim(enc), sizeof(*w)) : NULL;
	if (w != NULL) {
		struct bundle_meta meta = {version, spec->hash, spec->version, enc, {0}, NULL,
					   NULL, NULL, NULL};

		rc = bundle_write_starter(dir, &meta, w, bias, &err);
	}
	if (rc < 0)
		printf("bundle: %s\n", err.msg);
	free(w);
	encoder_free(enc);
	featspec_free(spec);
	return rc;
}

static int
send_one(void *zctx, const char *router, const char *id, const char *who)
{
	char reply[2048];
	char *ev = h_event(id, "page.viewed", who, "2026-11-20T10:00:00Z", NULL);
	int rc = h_send_ack(zctx, router, ev, strlen(ev), reply, sizeof(reply), 10000);

	free(ev);
	return rc;
}

int
main(void)
{
	const char *dsn = h_db_create("t_reload");
	void *zctx = zmq_ctx_new(), *sub;
	struct h_daemon d;
	char dir[512], buf[256], topic[32], body[4096];
	char dsn_copy[128];
	PGconn *db;

	if (dsn == NULL || h_daemon_start(&d, dsn, NULL) < 0) {
		TEST_CHECK("daemon started", 0);
		return TEST_REPORT();
	}
	snprintf(dsn_copy, sizeof(dsn_copy), "%s", dsn);
	db = h_db_connect(dsn_copy);
	sub = h_sub(zctx, d.pub, "model");

	TEST_CHECK("starter scores first", send_one(zctx, d.router, "r-1", "ruth") == 0);
	h_query_str(db, "SELECT model_version FROM contacts WHERE contact_id='ruth'", buf, sizeof(buf));
	TEST_CHECK("starter model in force", strncmp(buf, "starter-", 8) == 0);

	/* An admin changes the registry behind the daemon's back; SIGHUP picks it up. */
	snprintf(dir, sizeof(dir), "%s/flat-high", d.dir);
	TEST_CHECK("bundle written", write_flat_bundle(dir, "flat-high-1", 3.0) == 0);
	{
		const char *args[] = {"models", "--dsn", dsn_copy, "register", dir, NULL};

		TEST_CHECK("bundle registered", h_cli(NULL, 0, args) == 0);
	}
	PQclear(PQexec(db, "UPDATE models SET status = 'active' WHERE version = 'flat-high-1'; "
			   "INSERT INTO model_promotions (version, reason) VALUES ('flat-high-1', 'by hand')"));
	kill(d.pid, SIGHUP);
	TEST_CHECK("model topic published after SIGHUP",
		   h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body), 5000) == 0 &&
			   strstr(body, "\"version\":\"flat-high-1\"") != NULL);
	TEST_CHECK("event after SIGHUP", send_one(zctx, d.router, "r-2", "rita") == 0);
	h_query_str(db, "SELECT model_version || ':' || score FROM contacts WHERE contact_id='rita'",
		    buf, sizeof(buf));
	TEST_CHECK("new model scores after SIGHUP", strcmp(buf, "flat-high-1:95") == 0);

	/* Promotion through the CLI notifies the daemon: no signal needed. */
	snprintf(dir, sizeof(dir), "%s/flat-low", d.dir);
	TEST_CHECK("second bundle written", write_flat_bundle(dir, "flat-low-1", -3.0) == 0);
	{
		const char *args[] = {"models", "--dsn", dsn_copy, "register", dir, "--promote", NULL};

		TEST_CHECK("registered and promoted", h_cli(NULL, 0, args) == 0);
	}
	TEST_CHECK("model topic published after promotion",
		   h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body), 5000) == 0 &&
			   strstr(body, "\"version\":\"flat-low-1\"") != NULL);
	TEST_CHECK("event after promotion", send_one(zctx, d.router, "r-3", "rosa") == 0);
	h_query_str(db, "SELECT model_version || ':' || score FROM contacts WHERE contact_id='rosa'",
		    buf, sizeof(buf));
	TEST_CHECK("promoted model scores", strcmp(buf, "flat-low-1:5") == 0);

	/* Rollback returns to the model before. */
	{
		const char *args[] = {"models", "--dsn", dsn_copy, "rollback", NULL};
		char out[256];

		TEST_CHECK("rollback", h_cli(out, sizeof(out), args) == 0);
		TEST_CHECK("rollback names the model", strstr(out, "flat-high-1") != NULL);
	}
	TEST_CHECK("model topic after rollback",
		   h_sub_recv(sub, topic, sizeof(topic), body, sizeof(body), 5000) == 0 &&
			   strstr(body, "flat-high-1") != NULL);

	/* A broken config on SIGHUP keeps the old one and the daemon keeps working. */
	{
		FILE *f = fopen(d.config, "a");

		fprintf(f, "[batch]\nmax_events = zero\n");
		fclose(f);
	}
	kill(d.pid, SIGHUP);
	h_sleep_ms(300);
	TEST_CHECK("still taking events after a bad reload",
		   send_one(zctx, d.router, "r-4", "rory") == 0);
	TEST_CHECK("event applied after a bad reload",
		   h_query_long(db, "SELECT count(*) FROM contacts WHERE contact_id='rory'") == 1);
	zmq_close(sub);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	{
		char path[600], line[512];
		int kept = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/daemon.log", d.dir);
		f = fopen(path, "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			kept |= strstr(line, "keeping the current configuration") != NULL &&
				strstr(line, "batch.max_events") != NULL;
		if (f != NULL)
			fclose(f);
		TEST_CHECK("bad reload logged with the key", kept);
	}
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
