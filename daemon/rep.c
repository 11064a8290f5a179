/* rep.c: the request/reply API: a ROUTER socket served by its own thread, JSON in and out. */
#include "rep.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "api.h"
#include "jsonw.h"
#include "log.h"
#include "zsock.h"

#define MAX_FRAMES 8
#define POLL_MS 200 /* how often the thread looks at its stop flag */

struct rep_server {
	struct api *api;
	void *sock;
	pthread_t thread;
	atomic_int stop;
	char endpoint[256];
};

typedef void (*rep_op)(struct api *a, const json_t *args, struct api_reply *r);

static void
op_queue(struct api *a, const json_t *args, struct api_reply *r)
{
	api_op_queue(a, args, METRICS_API_REP, r);
}

static const struct {
	const char *name;
	rep_op run;
} ops[] = {{"queue", op_queue},   {"claim", api_op_claim},     {"release", api_op_release},
           {"lead", api_op_lead}, {"account", api_op_account}, {"accounts", api_op_accounts},
           {"outcome", NULL}};

/* A body that is already text: the reply as reply_text would write it. */
static char *
reply_text_spliced(const struct api_reply *r)
{
	struct jsonw w;

	jsonw_init(&w);
	jsonw_rawz(&w, "{");
	jsonw_key(&w, "status", 1);
	jsonw_int(&w, r->status);
	jsonw_key(&w, "body", 0);
	jsonw_rawz(&w, r->body_text);
	if (r->event_id[0] != '\0') {
		jsonw_key(&w, "id", 0);
		jsonw_string(&w, r->event_id);
	}
	jsonw_rawz(&w, "}");
	return jsonw_take(&w, NULL);
}

static char *
reply_text(const struct api_reply *r)
{
	json_t *doc;
	char *text;

	if (r->status < 400 && r->body_text != NULL)
		return reply_text_spliced(r);
	if ((doc = json_pack("{s:i}", "status", r->status)) == NULL)
		return NULL;
	if (r->status >= 400) {
		json_object_set_new(doc, "error", json_string(r->detail));
		if (r->body != NULL)
			json_object_update_missing(doc, r->body);
	} else if (r->body != NULL) {
		json_object_set(doc, "body", r->body);
	}
	if (r->event_id[0] != '\0')
		json_object_set_new(doc, "id", json_string(r->event_id));
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

/* 0 when the request's token admits an SDR operation, else the refusal in r. */
static int
rep_authorize(struct api *a, json_t *req, struct api_reply *r)
{
	json_t *tok = json_object_get(req, "token");
	int open, role;

	if (!json_is_string(tok) || json_string_length(tok) == 0) {
		metrics_auth_failure(METRICS_AUTH_MISSING);
		api_fail(r, 401, "a token member is required");
		return -1;
	}
	role = api_authenticate(a, json_string_value(tok), json_string_length(tok), &open);
	if (role == 0) {
		metrics_auth_failure(METRICS_AUTH_INVALID);
		api_fail(r, 401, "%s", api_refusal(a));
		return -1;
	}
	if (!(role & (AUTH_SDR | AUTH_ADMIN))) {
		metrics_auth_failure(METRICS_AUTH_FORBIDDEN);
		api_fail(r, 403, "role %s may not use the request/reply API", auth_role_name(role));
		return -1;
	}
	return 0;
}

static void
rep_dispatch(struct api *a, json_t *req, struct api_reply *r)
{
	json_t *op = json_object_get(req, "op");
	const char *name = json_string_value(op);
	size_t i;

	if (name == NULL) {
		api_fail(r, 400,
		         "op is required (queue, claim, release, lead, account, accounts, "
		         "outcome)");
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]) && strcmp(ops[i].name, name) != 0; i++)
		;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		api_fail(r, 404,
		         "no op '%.40s' (queue, claim, release, lead, account, accounts, "
		         "outcome)",
		         name);
		return;
	}
	if (rep_authorize(a, req, r) < 0)
		return;
	json_object_del(req, "token");
	if (ops[i].run == NULL) {
		json_t *key = json_object_get(req, "idempotency_key");
		char *copy = json_is_string(key) ? strdup(json_string_value(key)) : NULL;

		json_object_del(req, "op");
		json_object_del(req, "idempotency_key");
		api_op_outcome(a, req, copy, r);
		free(copy);
		return;
	}
	json_object_del(req, "op");
	ops[i].run(a, req, r);
}

char *
rep_handle(struct api *a, const char *text, size_t len)
{
	struct api_reply r = {0};
	json_error_t jerr;
	json_t *req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	char *out;

	if (req == NULL)
		api_fail(&r, 400, "request is not valid JSON: %s", jerr.text);
	else if (!json_is_object(req))
		api_fail(&r, 400, "request must be a JSON object");
	else if ((size_t)a->max_body_bytes < len)
		api_fail(&r, 413, "request over the limit of %ld bytes", a->max_body_bytes);
	else
		rep_dispatch(a, req, &r);
	json_decref(req);
	if (r.status == 0)
		api_fail(&r, 500, "no answer");
	out = reply_text(&r);
	api_reply_clear(&r);
	return out;
}

/* Takes one request off the socket and answers it. */
static void
serve_one(struct rep_server *s)
{
	zmq_msg_t frames[MAX_FRAMES];
	size_t n = 0;
	int more = 1, overflow = 0, ok;
	char *reply;

	while (more) {
		size_t len = sizeof(more);
		zmq_msg_t f;

		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, s->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f);
			break;
		}
		if (n < MAX_FRAMES) {
			zmq_msg_init(&frames[n]);
			zmq_msg_move(&frames[n++], &f);
		} else {
			overflow = 1;
		}
		zmq_msg_close(&f);
		if (zmq_getsockopt(s->sock, ZMQ_RCVMORE, &more, &len) < 0)
			more = 0;
	}
	/* A ROUTER message starts with a routing frame; a longer envelope than any
	 * REQ or DEALER peer sends is not answered. */
	if (n < 2 || overflow || more)
		goto out;
	reply = rep_handle(s->api, zmq_msg_data(&frames[n - 1]), zmq_msg_size(&frames[n - 1]));
	ok = reply != NULL;
	for (size_t i = 0; ok && i + 1 < n; i++)
		ok = zmq_send(s->sock, zmq_msg_data(&frames[i]), zmq_msg_size(&frames[i]),
		              ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0;
	if (ok)
		ok = zmq_send(s->sock, reply, strlen(reply), ZMQ_DONTWAIT) >= 0;
	if (!ok) /* the peer left; it will ask again */
		log_debug("request/reply: answer not delivered: %s", zmq_strerror(zmq_errno()));
	free(reply);
out:
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&frames[i]);
}

static void *
rep_main(void *arg)
{
	struct rep_server *s = arg;

	while (!atomic_load(&s->stop)) {
		zmq_pollitem_t item = {s->sock, 0, ZMQ_POLLIN, 0};
		int rc = zmq_poll(&item, 1, POLL_MS);

		if (rc < 0 && zmq_errno() != EINTR) {
			log_error("request/reply: zmq_poll: %s", zmq_strerror(zmq_errno()));
			break;
		}
		if (rc > 0)
			serve_one(s);
	}
	return NULL;
}

struct rep_server *
rep_start(struct api *a, char *const *endpoints, size_t n, struct ls_err *err)
{
	struct rep_server *s = calloc(1, sizeof(*s));
	int64_t cap = a->max_body_bytes + 65536;

	if (s == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	s->api = a;
	s->sock = zsock_bind_all(a->zctx, ZMQ_ROUTER, endpoints, n, 1000, err);
	if (s->sock == NULL) {
		free(s);
		return NULL;
	}
	/* A bigger request than the API takes gets the peer dropped, not our memory. */
	if (zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &cap, sizeof(cap)) < 0)
		log_warnx("api.rep: cannot set ZMQ_MAXMSGSIZE: %s", zmq_strerror(zmq_errno()));
	zsock_last_endpoint(s->sock, s->endpoint, sizeof(s->endpoint));
	if (pthread_create(&s->thread, NULL, rep_main, s) != 0) {
		ls_err_set(err, "cannot start the request/reply thread");
		zmq_close(s->sock);
		free(s);
		return NULL;
	}
	log_info("request/reply API on %s", s->endpoint);
	return s;
}

void
rep_stop(struct rep_server *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	zmq_close(s->sock);
	free(s);
}

void
rep_endpoint(const struct rep_server *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s", s->endpoint);
}
