/* api.h: the SDR and CRM interface: operations shared by the HTTP and ZeroMQ request/reply servers.
 */
#ifndef LS_API_H
#define LS_API_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../model/featspec.h"
#include "auth.h"
#include "config.h"
#include "dbpool.h"
#include "err.h"
#include "metrics.h"
#include "roi_report.h"

/* Where the event loop takes events from the API: its acknowledged ingest path. */
#define API_INGEST_ENDPOINT "inproc://leadscore-api-ingest"

struct http_server;
struct rep_server;

/* Everything the request threads share. The loop thread changes only what the lock
 * guards (tokens, probes switch, feature spec) and the stopping flag. */
struct api {
	struct dbpool *pool;
	void *zctx;
	long lease_seconds, cursor_ttl_s, ingest_timeout_ms, max_body_bytes;
	pthread_rwlock_t lock;
	struct auth_table *auth; /* under lock */
	int probes_open;         /* under lock */
	struct featspec *spec;   /* under lock; NULL until loaded */
	struct roi_params roi;   /* under lock: the roi.* costs GET /v1/roi uses */
	char roi_window[8];      /* under lock: its default window */
	atomic_int stopping;
	atomic_int drained; /* the loop has stopped: no acknowledgement will come any more */
	atomic_llong walks_expired_us; /* last sweep of old queue walks */
	struct http_server *http;
	struct rep_server *rep;
};

/* The outcome of one operation, whichever transport asked. */
struct api_reply {
	int status;       /* HTTP status code */
	json_t *body;     /* 2xx: the body (owned; NULL for 204); 4xx/5xx: extra members or NULL */
	char *body_text;  /* 2xx: the body as compact JSON text instead (owned), or NULL */
	char detail[512]; /* 4xx/5xx: what went wrong, in a sentence */
	char event_id[300]; /* outcomes: the CloudEvent id used, for the Idempotency-Key header */
};

/* Starts the HTTP and request/reply servers the config asks for. The caller has bound
 * API_INGEST_ENDPOINT (a ROUTER in zctx). NULL with a reason. */
struct api *api_start(const struct config *cfg, void *zctx, struct ls_err *err) LS_MUST_CHECK;
/* Stops both servers (waiting for requests in progress) and frees everything. NULL-safe. */
void api_stop(struct api *a);
/* Applies a reloaded config's tokens and probes switch. */
int api_reload(struct api *a, const struct config *cfg, struct ls_err *err) LS_MUST_CHECK;
/* Loads the feature spec lead detail computes features with. */
int api_set_spec(struct api *a, const char *path, struct ls_err *err) LS_MUST_CHECK;
/* From now on, refuses new events (503): the daemon is draining. */
void api_set_stopping(struct api *a);
/* The HTTP port actually bound (0 when HTTP is off) and the first REP endpoint bound. */
int api_http_port(const struct api *a);
void api_rep_endpoint(const struct api *a, char *buf, size_t size);

/* The role a bearer token has (0: none); with probes_open set when probes need no token. */
int api_authenticate(struct api *a, const char *token, size_t len, int *probes_open);
/* Why a token was refused, for the 401's detail: none is configured, or this one is not. */
const char *api_refusal(struct api *a);

/* ---- operations: args is a JSON object of named arguments (strings or numbers) ---- */

void api_op_queue(struct api *a, const json_t *args, enum metrics_api via, struct api_reply *r);
void api_op_claim(struct api *a, const json_t *args, struct api_reply *r);
void api_op_release(struct api *a, const json_t *args, struct api_reply *r);
void api_op_lead(struct api *a, const json_t *args, struct api_reply *r);
void api_op_account(struct api *a, const json_t *args, struct api_reply *r);
/* Time saved and ROI for a window: from, to (RFC 3339 or YYYY-MM-DD), window. */
void api_op_roi(struct api *a, const json_t *args, struct api_reply *r);
void api_op_accounts(struct api *a, const json_t *args, struct api_reply *r);
/* An sdr.outcome body turned into a CloudEvent; idempotency_key (may be NULL) is its id. */
void api_op_outcome(struct api *a, const json_t *args, const char *idempotency_key,
                    struct api_reply *r);
/* Raw CloudEvents (one or a batch) through the acknowledged ingest path. */
void api_op_events(struct api *a, const char *body, size_t len, struct api_reply *r);
void api_op_ready(struct api *a, struct api_reply *r);

/* Sets an error reply: status and a formatted detail. */
void api_fail(struct api_reply *r, int status, const char *fmt, ...) LS_PRINTF(3, 4);
void api_reply_clear(struct api_reply *r);
/* The reason phrase of a status code ("Not Found"). */
const char *api_status_title(int status);

#endif
