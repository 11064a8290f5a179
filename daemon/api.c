/* api.c: the API's shared state and lifecycle, tokens, and the ingest path for events and outcomes.
 */
#include "api.h"
#include "roi_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <zmq.h>

#include "db.h"
#include "event.h"
#include "http.h"
#include "log.h"
#include "rep.h"

#define POOL_WAIT_MS 5000 /* how long a request waits for a free database connection */

void
api_fail(struct api_reply *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

void
api_reply_clear(struct api_reply *r)
{
	json_decref(r->body);
	free(r->body_text);
	memset(r, 0, sizeof(*r));
}

const char *
api_status_title(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

/* The roi.* keys, as GET /v1/roi uses them (the caller holds the lock, or owns a). */
static void
api_set_roi(struct api *a, const struct config *cfg)
{
	static const char *const windows[] = {"day", "week", "month"};

	roi_params_from_config(cfg, &a->roi);
	snprintf(a->roi_window, sizeof(a->roi_window), "%s", windows[cfg->roi_window % 3]);
}

struct api *
api_start(const struct config *cfg, void *zctx, struct ls_err *err)
{
	struct api *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	pthread_rwlock_init(&a->lock, NULL);
	a->zctx = zctx;
	a->lease_seconds = cfg->api_lease_seconds;
	a->cursor_ttl_s = cfg->api_cursor_ttl_s;
	api_set_roi(a, cfg);
	a->ingest_timeout_ms = cfg->api_ingest_timeout_ms;
	a->max_body_bytes = cfg->api_max_body_bytes;
	a->pool = dbpool_new(cfg->database_dsn, cfg->database_statement_timeout_ms,
	                     (size_t)cfg->api_db_connections, err);
	if (a->pool == NULL || api_reload(a, cfg, err) < 0 ||
	    api_set_spec(a, cfg->features_spec, err) < 0)
		goto fail;
	if (cfg->api_http[0] != '\0') {
		a->http = http_start(a, cfg->api_http, cfg->api_max_connections, err);
		if (a->http == NULL) {
			ls_err_prefix(err, "api.http");
			goto fail;
		}
	}
	if (cfg->napi_rep > 0) {
		a->rep = rep_start(a, cfg->api_rep, cfg->napi_rep, err);
		if (a->rep == NULL) {
			ls_err_prefix(err, "api.rep");
			goto fail;
		}
	}
	if (cfg->nauth_token == 0 && (a->http != NULL || a->rep != NULL))
		log_warnx("auth.token is empty: every /v1 request will be refused (401); "
		          "create a token with `leadscore token ROLE`");
	return a;
fail:
	api_stop(a);
	return NULL;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	/* Requests still waiting for an acknowledgement give up now rather than at their
	 * timeout: the loop has committed and answered everything it took in. */
	atomic_store(&a->drained, 1);
	http_stop(a->http);
	rep_stop(a->rep);
	dbpool_free(a->pool);
	auth_table_free(a->auth);
	featspec_free(a->spec);
	pthread_rwlock_destroy(&a->lock);
	free(a);
}

int
api_reload(struct api *a, const struct config *cfg, struct ls_err *err)
{
	struct auth_table *t = auth_table_new(cfg->auth_token, cfg->nauth_token, err), *old;

	if (t == NULL)
		return -1;
	pthread_rwlock_wrlock(&a->lock);
	old = a->auth;
	a->auth = t;
	a->probes_open = cfg->auth_probes == CONFIG_PROBES_OPEN;
	pthread_rwlock_unlock(&a->lock);
	auth_table_free(old);
	pthread_rwlock_wrlock(&a->lock);
	api_set_roi(a, cfg);
	pthread_rwlock_unlock(&a->lock);
	return 0;
}

int
api_set_spec(struct api *a, const char *path, struct ls_err *err)
{
	struct featspec *spec = featspec_load(path, err), *old;

	if (spec == NULL)
		return ls_err_prefix(err, "features.spec");
	pthread_rwlock_wrlock(&a->lock);
	old = a->spec;
	a->spec = spec;
	pthread_rwlock_unlock(&a->lock);
	featspec_free(old);
	return 0;
}

void
api_set_stopping(struct api *a)
{
	if (a != NULL)
		atomic_store(&a->stopping, 1);
}

int
api_http_port(const struct api *a)
{
	return a != NULL && a->http != NULL ? http_port(a->http) : 0;
}

void
api_rep_endpoint(const struct api *a, char *buf, size_t size)
{
	buf[0] = '\0';
	if (a != NULL && a->rep != NULL)
		rep_endpoint(a->rep, buf, size);
}

int
api_authenticate(struct api *a, const char *token, size_t len, int *probes_open)
{
	int role;

	pthread_rwlock_rdlock(&a->lock);
	role = token != NULL ? auth_check(a->auth, token, len) : 0;
	*probes_open = a->probes_open;
	pthread_rwlock_unlock(&a->lock);
	return role;
}

const char *
api_refusal(struct api *a)
{
	size_t n;

	pthread_rwlock_rdlock(&a->lock);
	n = a->auth != NULL ? a->auth->n : 0;
	pthread_rwlock_unlock(&a->lock);
	return n == 0 ? "no API token is configured: add one to [auth] (leadscore token ROLE)"
		      : "the token is not valid";
}

/* ---- the ingest path ---- */

/* Waits for the loop's reply in short slices, so a stopping daemon need not wait out the
 * whole timeout. 1 when a reply is there, 0 when none will come in time. */
static int
wait_reply(struct api *a, void *sock)
{
	zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
	long waited = 0;
	int drained = 0;

	while (waited < a->ingest_timeout_ms && !drained) {
		long slice = a->ingest_timeout_ms - waited < 100 ? a->ingest_timeout_ms - waited : 100;
		int rc;

		/* Read before polling: a reply sent just before the drain still counts. */
		drained = atomic_load(&a->drained);
		rc = zmq_poll(&item, 1, drained ? 0 : slice);

		if (rc > 0)
			return 1;
		if (rc < 0 && zmq_errno() != EINTR)
			return 0;
		waited += slice;
	}
	return 0;
}

/* Sends payload to the event loop's acknowledged ingest and waits for the reply: the same
 * per-event ack body a DEALER on the bus gets, after commit. */
static void
ingest_forward(struct api *a, const char *payload, size_t len, struct api_reply *r)
{
	void *sock;
	int linger = 0, rc;
	zmq_msg_t msg;
	json_t *ack;

	if (atomic_load(&a->stopping)) {
		api_fail(r, 503, "the daemon is stopping: send again later (a repeat is harmless)");
		return;
	}
	sock = zmq_socket(a->zctx, ZMQ_DEALER);
	if (sock == NULL || zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_connect(sock, API_INGEST_ENDPOINT) < 0 || zmq_send(sock, payload, len, 0) < 0) {
		api_fail(r, 503, "the ingest path is unavailable: %s", zmq_strerror(zmq_errno()));
		if (sock != NULL)
			zmq_close(sock);
		return;
	}
	rc = wait_reply(a, sock);
	if (rc != 1) {
		api_fail(r, 503,
		         "not committed within %ld ms (is the database away?): send again; events "
		         "already applied count as duplicates",
		         a->ingest_timeout_ms);
		zmq_close(sock);
		return;
	}
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, sock, 0) < 0 ||
	    (ack = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, NULL)) == NULL) {
		api_fail(r, 500, "unreadable reply from the ingest path");
	} else if (json_integer_value(json_object_get(ack, "accepted")) +
	               json_integer_value(json_object_get(ack, "duplicates")) ==
	           0) {
		json_t *first = json_array_get(json_object_get(ack, "rejected"), 0);

		api_fail(r, 400, "no event accepted: %s",
		         first ? json_string_value(json_object_get(first, "reason")) : "empty");
		r->body = ack;
	} else {
		r->status = 200;
		r->body = ack;
	}
	zmq_msg_close(&msg);
	zmq_close(sock);
}

void
api_op_events(struct api *a, const char *body, size_t len, struct api_reply *r)
{
	ingest_forward(a, body, len, r);
}

static const char *const outcome_values[] = {"connected", "meeting_booked", "disqualified",
                                             "no_answer", "nurture",        NULL};

static int
valid_outcome(const char *s)
{
	for (size_t i = 0; outcome_values[i] != NULL; i++)
		if (strcmp(s, outcome_values[i]) == 0)
			return 1;
	return 0;
}

/* A random event id for an outcome sent without an Idempotency-Key. */
static int
random_id(char *buf, size_t size)
{
	unsigned char raw[16];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	snprintf(buf, size, "out-");
	for (size_t i = 0; i < sizeof(raw) && 4 + 2 * i + 2 < size; i++)
		snprintf(buf + 4 + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Checks the outcome body's members; 0, or -1 with a 400 reply. */
static int
outcome_check(const json_t *args, struct api_reply *r)
{
	static const char *const required[] = {"contact", "outcome", "sdr"};
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)args, key, v)
	{
		if (strcmp(key, "contact") && strcmp(key, "outcome") && strcmp(key, "sdr") &&
		    strcmp(key, "minutes") && strcmp(key, "time") && strcmp(key, "account")) {
			api_fail(r, 400,
			         "unknown member '%.60s' (contact, outcome, sdr, minutes, "
			         "time, account)",
			         key);
			return -1;
		}
		if (strcmp(key, "minutes") != 0 && !json_is_string(v)) {
			api_fail(r, 400, "%s must be a string", key);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		v = json_object_get(args, required[i]);
		if (v == NULL || json_string_length(v) == 0) {
			api_fail(r, 400, "%s is required", required[i]);
			return -1;
		}
	}
	if (!valid_outcome(json_string_value(json_object_get(args, "outcome")))) {
		api_fail(r, 400,
		         "outcome must be connected, meeting_booked, disqualified, no_answer "
		         "or nurture");
		return -1;
	}
	v = json_object_get(args, "minutes");
	if (v != NULL &&
	    (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1440)) {
		api_fail(r, 400, "minutes must be a number from 0 to 1440");
		return -1;
	}
	return 0;
}

static int64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The CloudEvent an outcome body stands for: type sdr.outcome, source
 * "http://leadscore/outcomes", id the Idempotency-Key (or a random one), subject the
 * contact, time the body's time (or now), account the body's account; data holds outcome,
 * minutes and sdr. The ingest path validates it like any event.
 */
void
api_op_outcome(struct api *a, const json_t *args, const char *idempotency_key, struct api_reply *r)
{
	char when[40];
	json_t *ev, *data, *tm;
	char *text;

	if (outcome_check(args, r) < 0)
		return;
	if (idempotency_key != NULL) {
		if (idempotency_key[0] == '\0' || strlen(idempotency_key) > EVENT_MAX_ID) {
			api_fail(r, 400, "Idempotency-Key must have 1 to %d characters",
			         EVENT_MAX_ID);
			return;
		}
		snprintf(r->event_id, sizeof(r->event_id), "%s", idempotency_key);
	} else if (random_id(r->event_id, sizeof(r->event_id)) < 0) {
		api_fail(r, 500, "no randomness for an event id: %s", strerror(errno));
		return;
	}
	rfc3339_format(wall_us(), when, sizeof(when));
	data = json_pack("{s:O, s:O}", "outcome", json_object_get(args, "outcome"), "sdr",
	                 json_object_get(args, "sdr"));
	if (data != NULL && json_object_get(args, "minutes") != NULL)
		json_object_set(data, "minutes", json_object_get(args, "minutes"));
	tm = json_object_get(args, "time");
	ev = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:o}", "specversion", "1.0", "id",
	               r->event_id, "source", "http://leadscore/outcomes", "type", "sdr.outcome",
	               "subject", json_object_get(args, "contact"), "time",
	               tm != NULL ? json_incref(tm) : json_string(when), "data", data);
	if (ev != NULL && json_object_get(args, "account") != NULL)
		json_object_set(ev, "account", json_object_get(args, "account"));
	text = ev != NULL ? json_dumps(ev, JSON_COMPACT) : NULL;
	json_decref(ev);
	if (text == NULL) {
		api_fail(r, 500, "out of memory");
		return;
	}
	ingest_forward(a, text, strlen(text), r);
	free(text);
}

void
api_op_ready(struct api *a, struct api_reply *r)
{
	struct ls_err err = {{0}};
	PGconn *conn;
	int ok = 0;

	/* A pooled connection may have died with the server: a second, fresh try tells. */
	for (int attempt = 0; attempt < 2 && !ok; attempt++) {
		conn = dbpool_get(a->pool, POOL_WAIT_MS, &err);
		if (conn == NULL)
			break;
		ok = db_exec(conn, "SELECT 1", &err) == 0;
		dbpool_put(a->pool, conn);
	}
	if (!ok) {
		api_fail(r, 503, "database unreachable: %s", err.msg);
		return;
	}
	if (!metrics_model_loaded()) {
		api_fail(r, 503, "no model loaded yet");
		return;
	}
	r->status = 200;
	r->body =
	    json_pack("{s:s, s:s, s:s}", "status", "ready", "database", "ok", "model", "loaded");
}
