/* test_curve.c: CURVE key files, admitted-key sets, [curve] config rules, and the ZAP handler on
 * real in-process sockets. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "../../daemon/config.h"
#include "../../daemon/curve.h"
#include "../../daemon/metrics.h"
#include "../../daemon/zap.h"
#include "../../daemon/zsock.h"
#include "../testhelp.h"

static char dir[64];

static const char *
path_in(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* tmpl with each $P replaced by pub and each $S by sec. */
static void
fill(char *out, size_t size, const char *tmpl, const char *pub, const char *sec)
{
	size_t n = 0;

	for (const char *p = tmpl; *p != '\0' && n + 1 < size; p++) {
		const char *with = p[0] == '$' && p[1] == 'P'   ? pub
		                   : p[0] == '$' && p[1] == 'S' ? sec
		                                                : NULL;

		if (with == NULL) {
			out[n++] = *p;
			continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s", with);
		if (n >= size)
			n = size - 1;
		p++;
	}
	out[n] = '\0';
}

/* Whether the reason of a failed call holds want. */
static int
says(int rc, const struct ls_err *err, const char *want)
{
	if (rc == 0 || strstr(err->msg, want) == NULL) {
		printf("  got rc %d \"%s\"\n  want \"%s\"\n", rc, err->msg, want);
		return 0;
	}
	return 1;
}

static void
test_keys(void)
{
	struct curve_keypair kp;
	struct ls_err err = {{0}};
	uint8_t bin[CURVE_KEY_BYTES];
	char text[CURVE_Z85_LEN + 1];

	TEST_CHECK("libzmq has CURVE", curve_available(&err) == 0);
	TEST_CHECK("key pair", curve_keypair_new(&kp, &err) == 0);
	TEST_CHECK("public key is Z85", curve_key_parse(kp.public_key, bin, &err) == 0);
	TEST_CHECK("secret key is Z85", curve_key_parse(kp.secret_key, NULL, &err) == 0);
	TEST_CHECK("decoded", zmq_z85_encode(text, bin, sizeof(bin)) != NULL &&
	                          strcmp(text, kp.public_key) == 0);
	TEST_CHECK("39 characters",
	           says(curve_key_parse("0123456789012345678901234567890123456789" + 1, NULL, &err),
	                &err, "39 characters, not 40"));
	TEST_CHECK("41 characters",
	           says(curve_key_parse("01234567890123456789012345678901234567890", NULL, &err),
	                &err, "41 characters, not 40"));
	TEST_CHECK("not Z85",
	           says(curve_key_parse("0123456789012345678901234567890123456,89", NULL, &err),
	                &err, "',' is not a Z85 character"));
	/* '#' is the largest digit: five of them exceed 32 bits. */
	TEST_CHECK("overflow",
	           says(curve_key_parse("########################################", NULL, &err),
	                &err, "not valid Z85"));
	curve_key_hint(bin, text);
	TEST_CHECK("hint is the first characters",
	           strncmp(text, kp.public_key, 8) == 0 && strcmp(text + 8, "...") == 0);
}

static void
test_key_files(void)
{
	struct curve_keypair kp, got, other;
	struct ls_err err = {{0}};
	struct stat st;
	char text[512];

	TEST_CHECK("pairs",
	           curve_keypair_new(&kp, &err) == 0 && curve_keypair_new(&other, &err) == 0);
	unlink(path_in("a.key"));
	TEST_CHECK("written", curve_keypair_write(path_in("a.key"), &kp, 0, &err) == 0);
	TEST_CHECK("mode 0600", stat(path_in("a.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
	TEST_CHECK("loaded", curve_keypair_load(path_in("a.key"), 1, &got, &err) == 0);
	TEST_STREQ("public", got.public_key, kp.public_key);
	TEST_STREQ("secret", got.secret_key, kp.secret_key);
	TEST_CHECK("not replaced", says(curve_keypair_write(path_in("a.key"), &other, 0, &err),
	                                &err, "File exists (--force replaces it)"));
	TEST_CHECK("replaced with force",
	           curve_keypair_write(path_in("a.key"), &other, 1, &err) == 0 &&
	               curve_keypair_load(path_in("a.key"), 1, &got, &err) == 0 &&
	               strcmp(got.public_key, other.public_key) == 0);
	TEST_CHECK("cannot create", says(curve_keypair_write("/nonexistent/x.key", &kp, 0, &err),
	                                 &err, "cannot create /nonexistent/x.key"));

	/* A public key file: what a peer is given. */
	struct curve_keypair pub = kp;
	memset(pub.secret_key, 0, sizeof(pub.secret_key));
	unlink(path_in("a.pub"));
	TEST_CHECK("public file written",
	           curve_keypair_write(path_in("a.pub"), &pub, 0, &err) == 0);
	TEST_CHECK("public file mode 0644",
	           stat(path_in("a.pub"), &st) == 0 && (st.st_mode & 0777) == 0644);
	TEST_CHECK("public file loads", curve_keypair_load(path_in("a.pub"), 0, &got, &err) == 0 &&
	                                    strcmp(got.public_key, kp.public_key) == 0 &&
	                                    got.secret_key[0] == '\0');
	TEST_CHECK("public file is no pair",
	           says(curve_keypair_load(path_in("a.pub"), 1, &got, &err), &err,
	                "a.pub: no secret-key line"));

	/* A secret alone gives its public key. */
	snprintf(text, sizeof(text), "# mine\n\n  secret-key = %s  \n", kp.secret_key);
	write_file(path_in("s.key"), text, 0600);
	TEST_CHECK("secret alone", curve_keypair_load(path_in("s.key"), 1, &got, &err) == 0 &&
	                               strcmp(got.public_key, kp.public_key) == 0);
	TEST_CHECK("public derived for peers",
	           curve_keypair_load(path_in("s.key"), 0, &got, &err) == 0 &&
	               strcmp(got.public_key, kp.public_key) == 0);

	static const struct {
		const char *text, *why;
		mode_t mode;
	} bad[] = {
	    {"public-key = $P\nsecret-key = $S\n", "others may read it (mode 0644)", 0644},
	    {"public-key\n", "b.key:1: expected public-key = KEY", 0600},
	    {"# c\nprivate-key = $S\n", "b.key:2: unknown name 'private-key'", 0600},
	    {"secret-key = $S\nsecret-key = $S\n", "b.key:2: secret-key: given twice", 0600},
	    {"secret-key = abc\n", "b.key:1: secret-key: not a key: 3 characters, not 40", 0600},
	    {"public-key = $P\nsecret-key = $S\n", "public-key does not belong to secret-key",
	     0600},
	    {"# nothing\n", "b.key: no secret-key line", 0600},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* The mismatched case pairs one key's public half with another's secret. */
		fill(text, sizeof(text), bad[i].text, i == 5 ? other.public_key : kp.public_key,
		     kp.secret_key);
		write_file(path_in("b.key"), text, bad[i].mode);
		TEST_CHECK(bad[i].why, says(curve_keypair_load(path_in("b.key"), 1, &got, &err),
		                            &err, bad[i].why));
		TEST_CHECK("nothing left behind", got.secret_key[0] == '\0');
	}
	TEST_CHECK("missing", says(curve_keypair_load(path_in("none.key"), 1, &got, &err), &err,
	                           "cannot open"));
	write_file(path_in("e.pub"), "# empty\n", 0644);
	TEST_CHECK(
	    "public file without a key",
	    says(curve_keypair_load(path_in("e.pub"), 0, &got, &err), &err, "no public-key line"));

	/* --server-key: the key itself, or a file. */
	char arg[CURVE_Z85_LEN + 1];
	TEST_CHECK("key argument", curve_public_key_arg(kp.public_key, arg, &err) == 0 &&
	                               strcmp(arg, kp.public_key) == 0);
	TEST_CHECK("file argument", curve_public_key_arg(path_in("a.pub"), arg, &err) == 0 &&
	                                strcmp(arg, kp.public_key) == 0);
	TEST_CHECK("mistyped key",
	           says(curve_public_key_arg("0123456789012345678901234567890123456,89", arg, &err),
	                &err, "not a Z85 character"));
	TEST_CHECK("missing file",
	           says(curve_public_key_arg(path_in("none.pub"), arg, &err), &err, "cannot open"));
}

static void
test_keysets(void)
{
	struct curve_keypair a, b, c;
	struct ls_err err = {{0}};
	struct curve_keyset *s;
	uint8_t ka[CURVE_KEY_BYTES], kb[CURVE_KEY_BYTES], kc[CURVE_KEY_BYTES];
	char item0[80], item1[80], text[512];
	char *items[2] = {item0, item1};

	TEST_CHECK("pairs", curve_keypair_new(&a, &err) == 0 && curve_keypair_new(&b, &err) == 0 &&
	                        curve_keypair_new(&c, &err) == 0);
	TEST_CHECK("binary", curve_key_parse(a.public_key, ka, &err) == 0 &&
	                         curve_key_parse(b.public_key, kb, &err) == 0 &&
	                         curve_key_parse(c.public_key, kc, &err) == 0);
	snprintf(item0, sizeof(item0), "%s", a.public_key);
	snprintf(item1, sizeof(item1), "%s web tracker", b.public_key);
	s = curve_keyset_new(items, 2, "", &err);
	TEST_CHECK("set from items", s != NULL && s->n == 2);
	TEST_CHECK("a admitted", curve_keyset_find(s, ka) != NULL);
	TEST_CHECK("b admitted with its label",
	           curve_keyset_find(s, kb) != NULL &&
	               strcmp(curve_keyset_find(s, kb)->label, "web tracker") == 0);
	TEST_CHECK("c not admitted", curve_keyset_find(s, kc) == NULL);
	curve_keyset_free(s);

	snprintf(item1, sizeof(item1), "%.39s", b.public_key);
	s = curve_keyset_new(items, 2, NULL, &err);
	TEST_CHECK("bad item", s == NULL && says(-1, &err, "curve.clients #2: not a key: 39"));

	/* A file: comments, blank lines, labels. No key starts with '#': a 5-digit group led by
	 * '#' (84) would pass 2^32. */
	TEST_CHECK("no key starts with #",
	           says(curve_key_parse("#000000000000000000000000000000000000000", NULL, &err),
	                &err, "not valid Z85"));
	snprintf(text, sizeof(text), "# admitted producers\n\n%s crm sync\n  %s\n#end\n",
	         c.public_key, a.public_key);
	write_file(path_in("clients"), text, 0644);
	s = curve_keyset_new(NULL, 0, path_in("clients"), &err);
	TEST_CHECK("set from a file", s != NULL && s->n == 2);
	TEST_CHECK("c from the file", s != NULL && curve_keyset_find(s, kc) != NULL &&
	                                  strcmp(curve_keyset_find(s, kc)->label, "crm sync") == 0);
	TEST_CHECK("b not in the file", curve_keyset_find(s, kb) == NULL);
	curve_keyset_free(s);
	snprintf(text, sizeof(text), "%s\n\nnot-a-key label\n", c.public_key);
	write_file(path_in("clients"), text, 0644);
	s = curve_keyset_new(NULL, 0, path_in("clients"), &err);
	TEST_CHECK("bad line", s == NULL && says(-1, &err, "curve.clients_file: ") &&
	                           says(-1, &err, "clients:3: not a key: 9 characters"));
	s = curve_keyset_new(NULL, 0, path_in("none"), &err);
	TEST_CHECK("missing file", s == NULL && says(-1, &err, "curve.clients_file: cannot open"));
	TEST_CHECK("NULL set admits none", curve_keyset_find(NULL, ka) == NULL);
	curve_keyset_free(NULL);
}

/* Loads a config of text (a temporary file). */
static struct config *
load_text(const char *text, struct ls_err *err)
{
	struct config *c;

	write_file(path_in("t.conf"), text, 0644);
	c = config_load(path_in("t.conf"), err);
	return c;
}

static void
test_config(void)
{
	struct curve_keypair server, client;
	struct ls_err err = {{0}};
	struct config *c;
	char text[1024];

	TEST_CHECK("pairs",
	           curve_keypair_new(&server, &err) == 0 && curve_keypair_new(&client, &err) == 0);
	unlink(path_in("server.key"));
	TEST_CHECK("server key", curve_keypair_write(path_in("server.key"), &server, 0, &err) == 0);

	c = load_text("[curve]\n", &err);
	TEST_CHECK("off by default", c != NULL && !c->curve_enabled);
	TEST_CHECK("off: no files to check", c != NULL && curve_config_check_files(c, &err) == 0);
	config_free(c);

	snprintf(text, sizeof(text),
	         "[curve]\nenabled = true\nkey_file = %s\nclients = %s producer one\n"
	         "clients = %s\n",
	         path_in("server.key"), client.public_key, server.public_key);
	c = load_text(text, &err);
	TEST_CHECK("on", c != NULL && c->curve_enabled && c->ncurve_clients == 2);
	if (c != NULL) {
		char want[64];

		snprintf(want, sizeof(want), "%s producer one", client.public_key);
		TEST_STREQ("item with a label", c->curve_clients[0], want);
		TEST_STREQ("item, Z85 punctuation intact", c->curve_clients[1], server.public_key);
		TEST_CHECK("files load", curve_config_check_files(c, &err) == 0);
	}
	config_free(c);

	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"[curve]\nenabled = yes\n", "curve.enabled is on but curve.key_file is empty"},
	    {"[curve]\nenabled = yes\nkey_file = /x\n", "no client may connect: set curve.clients"},
	    {"[curve]\nclients = abc\n", "curve.clients #1: not a key: 3 characters, not 40"},
	    {"[curve]\nsub_server_key = abc\n", "curve.sub_server_key: not a key: 3 characters"},
	    {"[curve]\nsub_server_key = $P\n",
	     "curve.sub_server_key is set but curve.enabled is off"},
	    {"[ingest]\nsub = tcp://127.0.0.1:9\n[curve]\nenabled = on\nkey_file = /x\n"
	     "clients = $P\n",
	     "ingest.sub is set: curve.sub_server_key (the bus's public key) is needed"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fill(text, sizeof(text), bad[i].text, client.public_key, "");
		c = load_text(text, &err);
		TEST_CHECK(bad[i].why, c == NULL && says(-1, &err, bad[i].why));
		config_free(c);
	}

	/* Rules that read files: --check-config and the daemon's start. */
	static const struct {
		const char *key_file, *clients_file, *why;
	} files[] = {
	    {"none.key", "", "curve.key_file: cannot open"},
	    {"client.pub", "", "curve.key_file: "},
	    {"server.key", "none.clients", "curve.clients_file: cannot open"},
	};
	write_file(path_in("client.pub"), "public-key = 0000000000000000000000000000000000000000\n",
	           0644);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(
		    text, sizeof(text),
		    "[curve]\nenabled = true\nkey_file = %s\nclients = %s\nclients_file = %s\n",
		    path_in(files[i].key_file), client.public_key,
		    files[i].clients_file[0] ? path_in(files[i].clients_file) : "");
		c = load_text(text, &err);
		TEST_CHECK("loads", c != NULL);
		if (c != NULL)
			TEST_CHECK(files[i].why,
			           says(curve_config_check_files(c, &err), &err, files[i].why));
		config_free(c);
	}
}

/* A DEALER of zctx sends "hello" to ep as kp (NULL: plain); 1 when the ROUTER got it. */
static int
reaches(void *zctx, void *router, const char *ep, const struct curve_keypair *kp,
        const char *server_key)
{
	void *d = zmq_socket(zctx, ZMQ_DEALER);
	zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
	struct ls_err err;
	int linger = 0, got = 0;
	char buf[64];

	zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof(linger));
	if (kp != NULL && curve_client_setup(d, kp, server_key, &err) < 0)
		printf("  client setup: %s\n", err.msg);
	if (zmq_connect(d, ep) == 0 && zmq_send(d, "hello", 5, 0) == 5 &&
	    zmq_poll(&item, 1, 1500) == 1) {
		zmq_recv(router, buf, sizeof(buf), 0); /* identity */
		got = zmq_recv(router, buf, sizeof(buf), 0) == 5;
	}
	zmq_close(d);
	return got;
}

static unsigned long long
refusals(void)
{
	size_t len;
	char *page = metrics_render(&len);
	const char *p = page ? strstr(page, "\nleadscore_curve_refused_total ") : NULL;
	unsigned long long n = p ? strtoull(p + 31, NULL, 10) : 0;

	free(page);
	return n;
}

/* With CURVE off, what zap_start says about cfg's endpoints (stderr caught in a file). */
static char *
off_warnings(const char *conf, char *out, size_t size)
{
	struct ls_err err;
	struct config *cfg = load_text(conf, &err);
	struct zap *z = NULL;
	int saved = dup(2), fd = open(path_in("stderr"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	ssize_t n = 0;

	out[0] = '\0';
	if (cfg == NULL || saved < 0 || fd < 0) {
		printf("  off_warnings: %s\n", cfg == NULL ? err.msg : "cannot redirect");
		goto out;
	}
	fflush(stderr);
	dup2(fd, 2);
	if (zap_start(NULL, cfg, &z, &err) < 0 || z != NULL)
		fprintf(stderr, "zap_start failed\n");
	fflush(stderr);
	dup2(saved, 2);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (saved >= 0)
		close(saved);
	config_free(cfg);
	return out;
}

static void
test_off(void)
{
	char out[2048];

	off_warnings("[ingest]\npull = tcp://127.0.0.1:1, tcp://localhost:2, ipc:///tmp/x\n"
	             "router = tcp://[::1]:3, tcp://127.0.0.2:*\n[publish]\npub = tcp://lo:4\n"
	             "[api]\nrep = inproc://x\n",
	             out, sizeof(out));
	TEST_CHECK("loopback: no warning", out[0] == '\0');
	if (out[0] != '\0')
		printf("  got: %s", out);
	off_warnings("[ingest]\npull = tcp://0.0.0.0:5571\nrouter = tcp://*:5572\n"
	             "[publish]\npub = tcp://eth0:5573, tcp://127.0.0.1:5574\n"
	             "[api]\nrep = tcp://10.0.0.1:5575\n",
	             out, sizeof(out));
	TEST_CHECK("warned: pull",
	           strstr(out, "curve is off and ingest.pull binds tcp://0.0.0.0:5571: "
	                       "anyone who can reach it may connect") != NULL);
	TEST_CHECK("warned: router", strstr(out, "ingest.router binds tcp://*:5572") != NULL);
	TEST_CHECK("warned: pub", strstr(out, "publish.pub binds tcp://eth0:5573") != NULL);
	TEST_CHECK("not warned: loopback pub", strstr(out, "5574") == NULL);
	TEST_CHECK("warned: rep", strstr(out, "api.rep binds tcp://10.0.0.1:5575") != NULL);
}

static void
test_zap(void)
{
	struct curve_keypair server, known, stranger;
	struct ls_err err = {{0}};
	struct config *cfg;
	struct zap *z = NULL;
	void *zctx = zmq_ctx_new(), *client_ctx = zmq_ctx_new(), *router, *inproc;
	char text[1024], ep[256];
	char *any[] = {"tcp://127.0.0.1:*"}, *local[] = {"inproc://plain"};
	unsigned long long before;

	TEST_CHECK("pairs", curve_keypair_new(&server, &err) == 0 &&
	                        curve_keypair_new(&known, &err) == 0 &&
	                        curve_keypair_new(&stranger, &err) == 0);
	unlink(path_in("zap.key"));
	TEST_CHECK("server key", curve_keypair_write(path_in("zap.key"), &server, 0, &err) == 0);
	snprintf(text, sizeof(text), "%s known one\n", known.public_key);
	write_file(path_in("zap.clients"), text, 0644);
	snprintf(text, sizeof(text), "[curve]\nenabled = true\nkey_file = %s\nclients_file = %s\n",
	         path_in("zap.key"), path_in("zap.clients"));
	cfg = load_text(text, &err);
	TEST_CHECK("config", cfg != NULL);
	if (cfg == NULL)
		return;
	TEST_CHECK("handler started", zap_start(zctx, cfg, &z, &err) == 0 && z != NULL);
	router = zsock_bind_all(zctx, ZMQ_ROUTER, any, 1, 100, &err);
	inproc = zsock_bind_all(zctx, ZMQ_ROUTER, local, 1, 100, &err);
	TEST_CHECK("bound", router != NULL && inproc != NULL);
	zsock_last_endpoint(router, ep, sizeof(ep));

	before = refusals();
	TEST_CHECK("known key admitted",
	           reaches(client_ctx, router, ep, &known, server.public_key));
	TEST_CHECK("unknown key refused",
	           !reaches(client_ctx, router, ep, &stranger, server.public_key));
	TEST_CHECK("refusal counted", refusals() > before);
	TEST_CHECK("plain client refused", !reaches(client_ctx, router, ep, NULL, NULL));
	TEST_CHECK("wrong server key refused",
	           !reaches(client_ctx, router, ep, &known, stranger.public_key));
	TEST_CHECK("inproc stays plain", reaches(zctx, inproc, "inproc://plain", NULL, NULL));

	/* SIGHUP: the stranger is admitted from now on; a bad file keeps the set in force. */
	snprintf(text, sizeof(text), "%s\n%s\n", known.public_key, stranger.public_key);
	write_file(path_in("zap.clients"), text, 0644);
	TEST_CHECK("reloaded", zap_reload(z, cfg, &err) == 0);
	TEST_CHECK("stranger admitted after reload",
	           reaches(client_ctx, router, ep, &stranger, server.public_key));
	write_file(path_in("zap.clients"), "junk\n", 0644);
	TEST_CHECK("bad reload refused",
	           says(zap_reload(z, cfg, &err), &err, "zap.clients:1: not a key"));
	TEST_CHECK("old keys stay", reaches(client_ctx, router, ep, &stranger, server.public_key));
	TEST_CHECK("reload without handler", zap_reload(NULL, cfg, &err) == 0);
	{
		struct config *off = load_text("[curve]\nenabled = false\n", &err);

		TEST_CHECK("reload turning CURVE off keeps the keys",
		           off != NULL && zap_reload(z, off, &err) == 0 &&
		               reaches(client_ctx, router, ep, &stranger, server.public_key));
		config_free(off);
	}
	TEST_CHECK("connect without handler", zap_secure_connect(NULL, router, "x", &err) == 0);

	zmq_close(router);
	zmq_close(inproc);
	zap_stop(z);
	zap_stop(NULL);
	config_free(cfg);

	/* Off: nothing started, sockets plain. */
	cfg = load_text("[ingest]\npull = tcp://0.0.0.0:5571\n", &err);
	TEST_CHECK("off", cfg != NULL && zap_start(zctx, cfg, &z, &err) == 0 && z == NULL);
	config_free(cfg);
	router = zsock_bind_all(zctx, ZMQ_ROUTER, any, 1, 100, &err);
	zsock_last_endpoint(router, ep, sizeof(ep));
	TEST_CHECK("plain when off", reaches(client_ctx, router, ep, NULL, NULL));
	zmq_close(router);

	/* A key file that does not load stops the start. */
	snprintf(text, sizeof(text), "[curve]\nenabled = true\nkey_file = %s\nclients = %s\n",
	         path_in("none.key"), known.public_key);
	cfg = load_text(text, &err);
	TEST_CHECK("no key file",
	           cfg != NULL &&
	               says(zap_start(zctx, cfg, &z, &err), &err, "curve.key_file: cannot open") &&
	               z == NULL);
	config_free(cfg);
	zmq_ctx_term(client_ctx);
	zmq_ctx_term(zctx);
}

int
main(void)
{
	char tmpl[] = "/tmp/test_curve_XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		TEST_CHECK("temporary directory", 0);
		return TEST_REPORT();
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	test_keys();
	test_key_files();
	test_keysets();
	test_config();
	test_off();
	test_zap();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		TEST_CHECK("cleaned up", system(cmd) == 0);
	}
	return TEST_REPORT();
}
