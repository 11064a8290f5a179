/* test_curve.c: with curve.enabled, only admitted client keys reach the daemon's ZeroMQ sockets:
 * known keys are served, unknown keys and plain clients are refused (counted and logged). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "../../daemon/curve.h"
#include "../harness/harness.h"
#include "../harness/http.h"
#include "../testhelp.h"

#define SHORT_MS 1500 /* how long a refused client is given to get through anyway */
#define LONG_MS 15000 /* how long an admitted one may take (valgrind is slow) */

static char dir[128];
static struct curve_keypair server, client, stranger, bus;

static const char *
path_in(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* `leadscore keygen --out dir/NAME`: the key pair as written, and the printed public key. */
static int
keygen(const char *name, struct curve_keypair *kp)
{
	char out[128];
	const char *args[] = {"keygen", "--out", path_in(name), NULL};
	struct ls_err err;
	struct stat st;

	if (h_cli(out, sizeof(out), args) != 0 ||
	    curve_keypair_load(path_in(name), 1, kp, &err) < 0)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	if (strcmp(out, kp->public_key) != 0 || stat(path_in(name), &st) < 0 ||
	    (st.st_mode & 0777) != 0600)
		return -1;
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A socket of type connected to ep: a CURVE client as kp of server_key, or plain (kp NULL). */
static void *
peer(void *zctx, int type, const char *ep, const struct curve_keypair *kp, const char *server_key)
{
	void *s = zmq_socket(zctx, type);
	struct ls_err err;
	int linger = 0;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (type == ZMQ_SUB)
		zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
	if (kp != NULL && curve_client_setup(s, kp, server_key, &err) < 0)
		printf("curve_client_setup: %s\n", err.msg);
	zmq_connect(s, ep);
	return s;
}

/* Sends payload over a DEALER (or REQ) and waits for the reply; 0 when one came. */
static int
request(void *zctx, int type, const char *ep, const struct curve_keypair *kp, const char *payload,
        char *reply, size_t size, int timeout_ms)
{
	void *s = peer(zctx, type, ep, kp, server.public_key);
	zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
	int rc = -1, n;

	if (zmq_send(s, payload, strlen(payload), 0) >= 0 && zmq_poll(&item, 1, timeout_ms) == 1 &&
	    (n = zmq_recv(s, reply, size - 1, 0)) >= 0) {
		reply[(size_t)n < size - 1 ? (size_t)n : size - 1] = '\0';
		rc = 0;
	}
	zmq_close(s);
	return rc;
}

static int
ack(void *zctx, const struct h_daemon *d, const struct curve_keypair *kp, const char *id,
    int timeout_ms)
{
	char *ev =
	    h_event(id, "page.viewed", id, "2026-11-20T10:00:00Z", "{\"path\":\"/pricing\"}");
	char reply[1024];
	int rc = request(zctx, ZMQ_DEALER, d->router, kp, ev, reply, sizeof(reply), timeout_ms);

	free(ev);
	if (rc == 0 && strstr(reply, "\"accepted\":1") == NULL)
		printf("  unexpected acknowledgement: %s\n", reply);
	return rc == 0 && strstr(reply, "\"accepted\":1") != NULL ? 0 : -1;
}

static long
applied(PGconn *db, const char *contact)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE contact_id = '%s'", contact);
	return h_query_long(db, sql);
}

/* Lines of the daemon's log that hold text. */
static long
log_lines(const struct h_daemon *d, const char *text)
{
	char cmd[512], out[64];

	snprintf(cmd, sizeof(cmd), "grep -cF -- '%s' %s/daemon.log", text, d->dir);
	h_sh(cmd, out, sizeof(out));
	return atol(out);
}

static int
logged(const struct h_daemon *d, const char *text)
{
	return log_lines(d, text) > 0;
}

static unsigned long
refused_count(const struct h_daemon *d)
{
	static char page[65536];
	const char *p;

	if (h_http(d->http_port, "GET", "/metrics", NULL, NULL, NULL, 0, page, sizeof(page)) != 200)
		return 0;
	p = strstr(page, "\nleadscore_curve_refused_total ");
	return p != NULL ? strtoul(p + 31, NULL, 10) : 0;
}

/* ROUTER, PULL and the request/reply API: a known key in, an unknown key and a plain client
 * out. */
static void
test_ingest(void *zctx, const struct h_daemon *d, PGconn *db)
{
	char reply[1024], hint[40];
	unsigned long refused;
	char *ev;

	TEST_CHECK("unknown key gets no ack", ack(zctx, d, &stranger, "stranger-1", SHORT_MS) < 0);
	TEST_CHECK("plain client gets no ack", ack(zctx, d, NULL, "plain-1", SHORT_MS) < 0);
	TEST_CHECK("known key acknowledged", ack(zctx, d, &client, "known-1", LONG_MS) == 0);
	TEST_CHECK("known key's event applied", applied(db, "known-1") == 1);
	TEST_CHECK("unknown key's event never applied", applied(db, "stranger-1") == 0);
	TEST_CHECK("plain client's event never applied", applied(db, "plain-1") == 0);
	refused = refused_count(d);
	TEST_CHECK("refusals counted in /metrics", refused >= 1);
	snprintf(hint, sizeof(hint), "refused client key %.8s...", stranger.public_key);
	TEST_CHECK("refusal logged at info with the key's first characters",
	           log_lines(d, hint) >= 1 && logged(d, "[info] curve: refused client key"));
	/* The refused client retried (libzmq reconnects): each try counted, not each logged. */
	TEST_CHECK("repeated refusals are not each logged",
	           refused < 2 || log_lines(d, hint) < (long)refused);

	ev = h_event("pushed-1", "page.viewed", "pushed-1", "2026-11-20T10:00:00Z", NULL);
	void *s = peer(zctx, ZMQ_PUSH, d->pull, &client, server.public_key);
	TEST_CHECK("known key pushes", zmq_send(s, ev, strlen(ev), 0) >= 0);
	TEST_CHECK("pushed event applied",
	           h_wait_long(db, "SELECT count(*) FROM events WHERE contact_id='pushed-1'", 1,
	                       LONG_MS) == 1);
	zmq_close(s);
	free(ev);
	ev = h_event("pushed-2", "page.viewed", "pushed-2", "2026-11-20T10:00:00Z", NULL);
	s = peer(zctx, ZMQ_PUSH, d->pull, &stranger, server.public_key);
	zmq_send(s, ev, strlen(ev), ZMQ_DONTWAIT);
	h_sleep_ms(SHORT_MS);
	zmq_close(s);
	TEST_CHECK("known key acknowledged again", ack(zctx, d, &client, "known-2", LONG_MS) == 0);
	TEST_CHECK("unknown key's push never applied", applied(db, "pushed-2") == 0);
	free(ev);

	TEST_CHECK("known key reaches the request/reply API",
	           request(zctx, ZMQ_REQ, d->rep, &client, "{\"op\":\"queue\"}", reply,
	                   sizeof(reply), LONG_MS) == 0 &&
	               strstr(reply, "\"status\"") != NULL);
	TEST_CHECK("unknown key gets no API answer",
	           request(zctx, ZMQ_REQ, d->rep, &stranger, "{\"op\":\"queue\"}", reply,
	                   sizeof(reply), SHORT_MS) < 0);
}

/* Scores on the PUB socket reach admitted subscribers only. */
static void
test_publish(void *zctx, const struct h_daemon *d)
{
	void *known = peer(zctx, ZMQ_SUB, d->pub, &client, server.public_key);
	void *unknown = peer(zctx, ZMQ_SUB, d->pub, &stranger, server.public_key);
	void *plain = peer(zctx, ZMQ_SUB, d->pub, NULL, NULL);
	char topic[32], body[8192];
	int got = 0;

	h_sleep_ms(500); /* handshakes and subscriptions reach the publisher */
	TEST_CHECK("event for a new score", ack(zctx, d, &client, "scored-1", LONG_MS) == 0);
	for (int i = 0; i < 20 && !got; i++)
		got = h_sub_recv(known, topic, sizeof(topic), body, sizeof(body), LONG_MS) == 0 &&
		      strcmp(topic, "score") == 0 && strstr(body, "\"scored-1\"") != NULL;
	TEST_CHECK("known subscriber receives the score", got);
	TEST_CHECK("unknown subscriber receives nothing",
	           h_sub_recv(unknown, topic, sizeof(topic), body, sizeof(body), SHORT_MS) < 0);
	TEST_CHECK("plain subscriber receives nothing",
	           h_sub_recv(plain, topic, sizeof(topic), body, sizeof(body), 200) < 0);
	zmq_close(known);
	zmq_close(unknown);
	zmq_close(plain);
}

/* The daemon's SUB socket is a CURVE client of the bus (ingest.sub, curve.sub_server_key). */
static void
test_sub(void *bus_sock, PGconn *db)
{
	char *ev = h_event("bus-1", "page.viewed", "bus-1", "2026-11-20T10:00:00Z", NULL);
	long n = 0;

	/* PUB/SUB drops until the subscription arrives: publish until applied (dedupe). */
	for (int i = 0; i < 100 && n != 1; i++) {
		zmq_send(bus_sock, ev, strlen(ev), ZMQ_DONTWAIT);
		n = h_wait_long(db, "SELECT count(*) FROM events WHERE contact_id='bus-1'", 1, 150);
	}
	TEST_CHECK("event from the CURVE bus applied", n == 1);
	free(ev);
}

/* `leadscore send` as a CURVE client: flags, the config's key, refusals said at once. */
static void
test_send(const struct h_daemon *d, PGconn *db)
{
	const char *bin = getenv("LEADSCORE_BIN") ? getenv("LEADSCORE_BIN") : "bin";
	char cmd[1536], out[2048], *ev;

	ev = h_event("sent-1", "page.viewed", "sent-1", "2026-11-20T10:00:00Z", NULL);
	write_file(path_in("events.jsonl"), ev);
	free(ev);
	snprintf(cmd, sizeof(cmd),
	         "%s/leadscore send --ack --endpoint %s --key %s --server-key %s %s 2>&1", bin,
	         d->router, path_in("client.key"), path_in("server.key.pub"),
	         path_in("events.jsonl"));
	TEST_CHECK("send --key --server-key FILE", h_sh(cmd, out, sizeof(out)) == 0);
	TEST_CHECK("sent event applied", applied(db, "sent-1") == 1);

	snprintf(cmd, sizeof(cmd),
	         "%s/leadscore send --ack --timeout 3000 --endpoint %s --key %s --server-key '%s' "
	         "%s 2>&1",
	         bin, d->router, path_in("stranger.key"), server.public_key,
	         path_in("events.jsonl"));
	TEST_CHECK("send with an unknown key fails", h_sh(cmd, out, sizeof(out)) == 1);
	TEST_CHECK("and says the key was refused", strstr(out, "refused this client key") != NULL);
	if (strstr(out, "refused this client key") == NULL)
		printf("  got: %s\n", out);

	snprintf(
	    cmd, sizeof(cmd),
	    "%s/leadscore send --timeout 3000 --endpoint %s --key %s --server-key '%s' %s 2>&1",
	    bin, d->pull, path_in("stranger.key"), server.public_key, path_in("events.jsonl"));
	TEST_CHECK("push with an unknown key fails",
	           h_sh(cmd, out, sizeof(out)) == 1 && strstr(out, "refused this client key"));

	snprintf(cmd, sizeof(cmd),
	         "%s/leadscore send --ack --timeout 3000 --retries 1 --endpoint %s --key %s "
	         "--server-key %s %s 2>&1",
	         bin, d->router, path_in("client.key"), path_in("stranger.key.pub"),
	         path_in("events.jsonl"));
	TEST_CHECK("send with the wrong server key fails", h_sh(cmd, out, sizeof(out)) == 1);
	TEST_CHECK("and says so", strstr(out, "is --server-key the daemon's public key") != NULL);

	snprintf(cmd, sizeof(cmd), "%s/leadscore send --ack --timeout 3000 --endpoint %s %s 2>&1",
	         bin, d->router, path_in("events.jsonl"));
	TEST_CHECK("plain send to the CURVE daemon fails", h_sh(cmd, out, sizeof(out)) == 1);
	TEST_CHECK("and says CURVE is needed", strstr(out, "give --key and --server-key") != NULL);
	if (strstr(out, "give --key and --server-key") == NULL)
		printf("  got: %s\n", out);

	snprintf(cmd, sizeof(cmd), "%s/leadscore send --ack -c %s %s 2>&1", bin, d->config,
	         path_in("events.jsonl"));
	TEST_CHECK("a CURVE config without --key is a usage error",
	           h_sh(cmd, out, sizeof(out)) == 2 && strstr(out, "--key FILE"));

	ev = h_event("sent-2", "page.viewed", "sent-2", "2026-11-20T10:00:00Z", NULL);
	write_file(path_in("events.jsonl"), ev);
	free(ev);
	snprintf(cmd, sizeof(cmd), "%s/leadscore send --ack -c %s --endpoint %s --key %s %s 2>&1",
	         bin, d->config, d->router, path_in("client.key"), path_in("events.jsonl"));
	TEST_CHECK("-c gives the server key", h_sh(cmd, out, sizeof(out)) == 0);
	TEST_CHECK("sent event applied", applied(db, "sent-2") == 1);

	snprintf(cmd, sizeof(cmd), "%s/leadscore send --server-key '%s' - 2>&1 </dev/null", bin,
	         server.public_key);
	TEST_CHECK("--server-key without --key", h_sh(cmd, out, sizeof(out)) == 2);
}

/* SIGHUP rereads curve.clients_file: the stranger is admitted from then on. */
static void
test_reload(void *zctx, struct h_daemon *d)
{
	char text[256];
	long waited = 0;

	snprintf(text, sizeof(text), "%s test producer\n%s late producer\n", client.public_key,
	         stranger.public_key);
	write_file(path_in("clients"), text);
	kill(d->pid, SIGHUP);
	while (!logged(d, "curve: 2 client keys admitted") && waited < LONG_MS) {
		h_sleep_ms(50);
		waited += 50;
	}
	TEST_CHECK("reload admits the new key", ack(zctx, d, &stranger, "late-1", LONG_MS) == 0);
}

/* Configurations the daemon refuses, with the reason. */
static void
test_bad_config(void)
{
	const char *bin = getenv("LEADSCORE_BIN") ? getenv("LEADSCORE_BIN") : "bin";
	char text[512], cmd[768], out[1024];

	snprintf(text, sizeof(text), "[curve]\nenabled = true\nkey_file = %s\nclients = %s\n",
	         path_in("none.key"), client.public_key);
	write_file(path_in("bad.conf"), text);
	snprintf(cmd, sizeof(cmd), "%s/leadscored -c %s --check-config 2>&1", bin,
	         path_in("bad.conf"));
	TEST_CHECK("missing key file refused",
	           h_sh(cmd, out, sizeof(out)) == 1 && strstr(out, "curve.key_file: cannot open"));
	snprintf(cmd, sizeof(cmd), "%s/leadscored -c %s 2>&1", bin, path_in("bad.conf"));
	TEST_CHECK("daemon start refused too",
	           h_sh(cmd, out, sizeof(out)) == 1 && strstr(out, "curve.key_file: cannot open"));
	chmod(path_in("bus.key"), 0644);
	snprintf(text, sizeof(text), "[curve]\nenabled = true\nkey_file = %s\nclients = %s\n",
	         path_in("bus.key"), client.public_key);
	write_file(path_in("bad.conf"), text);
	snprintf(cmd, sizeof(cmd), "%s/leadscored -c %s --check-config 2>&1", bin,
	         path_in("bad.conf"));
	TEST_CHECK("key file readable by others refused",
	           h_sh(cmd, out, sizeof(out)) == 1 && strstr(out, "others may read it"));
	snprintf(text, sizeof(text), "[curve]\nenabled = true\nkey_file = %s\n",
	         path_in("server.key"));
	write_file(path_in("bad.conf"), text);
	TEST_CHECK("no client key refused",
	           h_sh(cmd, out, sizeof(out)) == 1 && strstr(out, "no client may connect"));
}

/* The bus the daemon's SUB socket connects to: a CURVE server of the test's own. */
static void *
bus_open(void *zctx, char *ep, size_t size)
{
	void *s = zmq_socket(zctx, ZMQ_PUB);
	struct ls_err err;
	int linger = 0;
	size_t len = size;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (curve_server_setup(s, &bus, &err) < 0 || zmq_bind(s, "tcp://127.0.0.1:*") < 0 ||
	    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) < 0) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

int
main(void)
{
	char tmpl[] = "/tmp/test_curve_XXXXXX", extra[1024], bus_ep[256], text[256];
	const char *dsn = h_db_create("t_curve");
	void *zctx = zmq_ctx_new(), *bus_ctx = zmq_ctx_new(), *bus_sock;
	struct h_daemon d;
	PGconn *db;

	if (dsn == NULL || mkdtemp(tmpl) == NULL) {
		TEST_CHECK("setup", 0);
		return TEST_REPORT();
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	TEST_CHECK("keygen",
	           keygen("server.key", &server) == 0 && keygen("client.key", &client) == 0 &&
	               keygen("stranger.key", &stranger) == 0 && keygen("bus.key", &bus) == 0);
	snprintf(text, sizeof(text), "# producers\n%s test producer\n", client.public_key);
	write_file(path_in("clients"), text);
	bus_sock = bus_open(bus_ctx, bus_ep, sizeof(bus_ep));
	TEST_CHECK("bus bound", bus_sock != NULL);
	snprintf(extra, sizeof(extra),
	         "[ingest]\nsub = %s\n[curve]\nenabled = true\nkey_file = %s\nclients_file = %s\n"
	         "sub_server_key = %s\n",
	         bus_ep, path_in("server.key"), path_in("clients"), bus.public_key);
	if (bus_sock == NULL || h_daemon_start(&d, dsn, extra) < 0) {
		TEST_CHECK("daemon started with CURVE on", 0);
		return TEST_REPORT();
	}
	db = h_db_connect(dsn);
	TEST_CHECK("daemon says CURVE is on", logged(&d, "curve: on; server key"));

	test_ingest(zctx, &d, db);
	test_publish(zctx, &d);
	test_sub(bus_sock, db);
	test_send(&d, db);
	test_reload(zctx, &d);
	test_bad_config();

	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);
	PQfinish(db);
	zmq_close(bus_sock);
	zmq_ctx_term(bus_ctx);
	zmq_ctx_term(zctx);
	snprintf(extra, sizeof(extra), "rm -rf %s %s", dir, d.dir);
	TEST_CHECK("cleaned up", system(extra) == 0);
	return TEST_REPORT();
}
