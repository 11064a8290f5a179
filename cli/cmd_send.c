/* cmd_send.c: `leadscore send [--ack] FILE|-`: JSON lines of CloudEvents to the daemon (plain or
 * CURVE). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../daemon/config.h"
#include "../daemon/curve.h"
#include "cli.h"
#include "send_link.h"

#define DEFAULT_PULL "tcp://127.0.0.1:5571"
#define DEFAULT_ROUTER "tcp://127.0.0.1:5572"

struct send_opts {
	int ack;
	const char *endpoint;
	const char *config_path;
	long batch;	 /* events per acknowledged message */
	long timeout_ms; /* before resending an unacknowledged message */
	long retries;	 /* resends per message; 0: until acknowledged */
	const char *path;
	const char *key_path;	/* --key: this client's CURVE key pair */
	const char *server_key; /* --server-key: the daemon's public key, or a file holding it */
	const struct send_curve *curve; /* NULL: plain; else points at curve_keys */
	struct send_curve curve_keys;
};

struct send_totals {
	long lines, messages, accepted, duplicates, rejected, resends;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: leadscore send [--ack] [--endpoint EP | -c FILE] [--batch N] [--timeout MS]\n"
		"                      [--retries N] [--key FILE --server-key KEY|FILE] FILE|-\n"
		"  Sends one CloudEvent per line (JSON). Without --ack: PUSH to ingest.pull, best\n"
		"  effort. With --ack: to ingest.router in batches of N, resending each batch until\n"
		"  the daemon acknowledges it after commit (duplicates are harmless).\n"
		"  --endpoint EP   ZeroMQ endpoint (default: from -c, else %s or %s)\n"
		"  --batch N       events per acknowledged message (default 100)\n"
		"  --timeout MS    wait for an acknowledgement before resending (default 5000)\n"
		"  --retries N     resends per message, 0 = until acknowledged (default 0)\n"
		"  --key FILE      this producer's CURVE key pair (leadscore keygen --out FILE),\n"
		"                  for a daemon with curve.enabled: its public key must be in the\n"
		"                  daemon's curve.clients\n"
		"  --server-key K  the daemon's public key: 40 Z85 characters, or a key file holding\n"
		"                  it (the FILE.pub of the daemon's keygen); with -c and no\n"
		"                  --server-key, the public key of the config's curve.key_file\n"
		"  Exit status: 0 all taken, 1 some events rejected or not delivered, 2 bad usage.\n",
		DEFAULT_PULL, DEFAULT_ROUTER);
}

static int
parse_opts(int argc, char **argv, struct send_opts *o)
{
	static const struct option opts[] = {{"ack", no_argument, NULL, 'a'},
					     {"endpoint", required_argument, NULL, 'e'},
					     {"config", required_argument, NULL, 'c'},
					     {"batch", required_argument, NULL, 'b'},
					     {"timeout", required_argument, NULL, 't'},
					     {"retries", required_argument, NULL, 'r'},
					     {"key", required_argument, NULL, 'k'},
					     {"server-key", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->batch = 100;
	o->timeout_ms = 5000;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->ack = 1;
			break;
		case 'e':
			o->endpoint = optarg;
			break;
		case 'c':
			o->config_path = optarg;
			break;
		case 'b':
			if (cli_parse_long("send", "--batch", optarg, 1, 100000, &o->batch) < 0)
				return CLI_USAGE;
			break;
		case 't':
			if (cli_parse_long("send", "--timeout", optarg, 1, 3600000, &o->timeout_ms) < 0)
				return CLI_USAGE;
			break;
		case 'r':
			if (cli_parse_long("send", "--retries", optarg, 0, 1000000, &o->retries) < 0)
				return CLI_USAGE;
			break;
		case 'k':
			o->key_path = optarg;
			break;
		case 's':
			o->server_key = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return cli_bad_option("send", argv);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "leadscore send: one FILE (or - for standard input) is needed\n");
		return CLI_USAGE;
	}
	o->path = argv[optind];
	if (o->server_key != NULL && o->key_path == NULL) {
		fprintf(stderr, "leadscore send: --server-key needs --key FILE (this producer's "
				"key pair)\n");
		return CLI_USAGE;
	}
	return 0;
}

/* The endpoint: --endpoint, else the first one in the daemon's config, else the default. */
static char *
pick_endpoint(const struct send_opts *o)
{
	struct ls_err err;
	struct config *cfg;
	char *ep = NULL;

	if (o->endpoint != NULL)
		return strdup(o->endpoint);
	if (o->config_path == NULL)
		return strdup(o->ack ? DEFAULT_ROUTER : DEFAULT_PULL);
	cfg = config_load(o->config_path, &err);
	if (cfg == NULL) {
		fprintf(stderr, "leadscore send: %s\n", err.msg);
		return NULL;
	}
	if (o->ack && cfg->ningest_router > 0)
		ep = strdup(cfg->ingest_router[0]);
	else if (!o->ack && cfg->ningest_pull > 0)
		ep = strdup(cfg->ingest_pull[0]);
	else
		fprintf(stderr, "leadscore send: the config has no ingest.%s endpoint\n",
			o->ack ? "router" : "pull");
	config_free(cfg);
	return ep;
}

/* CURVE as the options say: --key with --server-key or, given -c, with the public key of the
 * config's curve.key_file. A config with curve.enabled on needs --key. */
static int
pick_curve(struct send_opts *o)
{
	struct config *cfg = NULL;
	struct ls_err err;
	int rc = CLI_OK;

	if (o->config_path != NULL && o->server_key == NULL) {
		cfg = config_load(o->config_path, &err);
		if (cfg == NULL) {
			fprintf(stderr, "leadscore send: %s\n", err.msg);
			return CLI_FAIL;
		}
	}
	if (o->key_path == NULL) {
		if (cfg != NULL && cfg->curve_enabled) {
			fprintf(stderr, "leadscore send: the daemon has curve.enabled on: --key FILE "
					"(a key pair in its curve.clients) is needed\n");
			rc = CLI_USAGE;
		}
	} else if (o->server_key == NULL && (cfg == NULL || cfg->curve_key_file[0] == '\0')) {
		fprintf(stderr, "leadscore send: --key needs --server-key (the daemon's public "
				"key)\n");
		rc = CLI_USAGE;
	} else if (curve_available(&err) < 0 ||
		   curve_keypair_load(o->key_path, 1, &o->curve_keys.kp, &err) < 0) {
		fprintf(stderr, "leadscore send: %s\n", err.msg);
		rc = CLI_FAIL;
	} else if (curve_public_key_arg(o->server_key ? o->server_key : cfg->curve_key_file,
					o->curve_keys.server_key, &err) < 0) {
		fprintf(stderr, "leadscore send: %s%s\n", err.msg,
			o->server_key ? "" : " (the server key comes from curve.key_file when "
					     "--server-key is not given)");
		rc = CLI_FAIL;
	} else {
		o->curve = &o->curve_keys;
	}
	config_free(cfg);
	return rc;
}

static int
send_push(void *zctx, const char *endpoint, const struct send_opts *o, FILE *in,
	  struct send_totals *t)
{
	struct send_link l;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = CLI_OK;

	if (send_link_open(&l, zctx, ZMQ_PUSH, endpoint, 30000, o->curve) < 0)
		return CLI_FAIL;
	/* A refused key (or a plain client of a CURVE daemon) is said before anything is
	 * queued; a daemon not up within --timeout is left to PUSH, which queues meanwhile. */
	if (send_link_wait(&l, 0, o->timeout_ms) < 0) {
		send_link_close(&l);
		return CLI_FAIL;
	}
	while ((len = getline(&line, &cap, in)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		t->lines++;
		if (zmq_send(l.sock, line, (size_t)len, 0) < 0) {
			fprintf(stderr, "leadscore send: %s\n", zmq_strerror(zmq_errno()));
			rc = CLI_FAIL;
			break;
		}
		t->messages++;
	}
	free(line);
	send_link_close(&l); /* lingers until queued messages are delivered (30 s at most) */
	return rc;
}

/* One acknowledged message: the payload and the input line of each member. */
struct pending_msg {
	char *body;
	size_t len;
	long *lines;
	size_t n;
};

static void
report_reply(const char *reply, size_t len, const struct pending_msg *m, struct send_totals *t)
{
	json_t *doc = json_loadb(reply, len, 0, NULL);
	json_t *rejected, *r;
	size_t i;

	if (doc == NULL) {
		fprintf(stderr, "leadscore send: unreadable acknowledgement\n");
		t->rejected += (long)m->n;
		return;
	}
	t->accepted += (long)json_integer_value(json_object_get(doc, "accepted"));
	t->duplicates += (long)json_integer_value(json_object_get(doc, "duplicates"));
	rejected = json_object_get(doc, "rejected");
	json_array_foreach(rejected, i, r)
	{
		size_t idx = (size_t)json_integer_value(json_object_get(r, "index"));

		fprintf(stderr, "line %ld: rejected: %s\n", idx < m->n ? m->lines[idx] : 0L,
			json_string_value(json_object_get(r, "reason")));
		t->rejected++;
	}
	json_decref(doc);
}

/* Sends m until a reply comes; a fresh socket per try drops any stale reply. A refused
 * CURVE key ends the tries: resending cannot help. */
static int
send_until_acked(void *zctx, const char *endpoint, const struct send_opts *o,
		 const struct pending_msg *m, struct send_totals *t)
{
	for (long attempt = 0; o->retries == 0 || attempt <= o->retries; attempt++) {
		struct send_link l;
		zmq_msg_t reply;
		int rc;

		if (send_link_open(&l, zctx, ZMQ_DEALER, endpoint, 0, o->curve) < 0)
			return CLI_FAIL;
		if (attempt > 0)
			t->resends++;
		if (zmq_send(l.sock, m->body, m->len, 0) < 0) {
			send_link_close(&l);
			continue;
		}
		rc = send_link_wait(&l, 1, o->timeout_ms);
		if (rc < 0) {
			send_link_close(&l);
			return CLI_FAIL;
		}
		if (rc == 1) {
			zmq_msg_init(&reply);
			if (zmq_msg_recv(&reply, l.sock, 0) >= 0) {
				report_reply(zmq_msg_data(&reply), zmq_msg_size(&reply), m, t);
				zmq_msg_close(&reply);
				send_link_close(&l);
				return CLI_OK;
			}
			zmq_msg_close(&reply);
		}
		send_link_close(&l);
	}
	fprintf(stderr, "leadscore send: no acknowledgement after %ld tries\n", o->retries + 1);
	return CLI_FAIL;
}

static int
flush_batch(void *zctx, const char *endpoint, const struct send_opts *o, json_t *batch,
	    long *lines, size_t n, struct send_totals *t)
{
	struct pending_msg m = {NULL, 0, lines, n};
	int rc;

	if (n == 0)
		return CLI_OK;
	m.body = json_dumps(batch, JSON_COMPACT);
	if (m.body == NULL)
		return CLI_FAIL;
	m.len = strlen(m.body);
	t->messages++;
	rc = send_until_acked(zctx, endpoint, o, &m, t);
	free(m.body);
	json_array_clear(batch);
	return rc;
}

static int
send_acked(void *zctx, const char *endpoint, const struct send_opts *o, FILE *in,
	   struct send_totals *t)
{
	json_t *batch = json_array();
	long *lines = calloc((size_t)o->batch, sizeof(*lines));
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	int rc = batch && lines ? CLI_OK : CLI_FAIL;

	while (rc == CLI_OK && (len = getline(&line, &cap, in)) > 0) {
		json_t *ev;

		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		t->lines++;
		ev = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
		if (ev == NULL) {
			/* Not JSON: sent alone, so the daemon records it with its reason. */
			struct pending_msg m = {line, (size_t)len, &t->lines, 1};

			t->messages++;
			rc = send_until_acked(zctx, endpoint, o, &m, t);
			continue;
		}
		json_array_append_new(batch, ev);
		lines[n++] = t->lines;
		if ((long)n == o->batch) {
			rc = flush_batch(zctx, endpoint, o, batch, lines, n, t);
			n = 0;
		}
	}
	if (rc == CLI_OK)
		rc = flush_batch(zctx, endpoint, o, batch, lines, n, t);
	free(line);
	free(lines);
	json_decref(batch);
	return rc;
}

int
cmd_send(int argc, char **argv)
{
	struct send_opts o;
	struct send_totals t = {0};
	char *endpoint;
	FILE *in;
	void *zctx;
	int rc = parse_opts(argc, argv, &o);

	if (rc != 0)
		return rc < 0 ? CLI_OK : rc;
	rc = pick_curve(&o);
	if (rc != CLI_OK)
		return rc;
	in = strcmp(o.path, "-") == 0 ? stdin : fopen(o.path, "r");
	if (in == NULL) {
		fprintf(stderr, "leadscore send: cannot open %s: %s\n", o.path, strerror(errno));
		return CLI_FAIL;
	}
	endpoint = pick_endpoint(&o);
	zctx = zmq_ctx_new();
	if (endpoint == NULL || zctx == NULL) {
		rc = CLI_FAIL;
	} else {
		rc = o.ack ? send_acked(zctx, endpoint, &o, in, &t)
			   : send_push(zctx, endpoint, &o, in, &t);
	}
	if (o.ack)
		fprintf(stderr,
			"sent %ld events in %ld messages: %ld accepted, %ld duplicates, %ld rejected"
			" (%ld resends)\n",
			t.lines, t.messages, t.accepted, t.duplicates, t.rejected, t.resends);
	else
		fprintf(stderr, "pushed %ld events\n", t.messages);
	if (in != stdin)
		fclose(in);
	free(endpoint);
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	explicit_bzero(&o.curve_keys, sizeof(o.curve_keys));
	if (rc == CLI_OK && t.rejected > 0)
		rc = CLI_FAIL;
	return rc;
}
