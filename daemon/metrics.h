/* metrics.h: the daemon's Prometheus metrics: lock-free counters bumped anywhere, rendered in one
 * place. */
#ifndef LS_METRICS_H
#define LS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* What became of one event (label outcome of leadscore_events_total). */
enum metrics_outcome { METRICS_APPLIED, METRICS_DUPLICATE, METRICS_REJECTED, METRICS_NOUTCOMES };

/* Why input was rejected, as a small fixed set of classes (label reason). */
enum metrics_reject {
	METRICS_REJECT_TOO_LARGE, /* message or batch over a limit */
	METRICS_REJECT_MALFORMED, /* not UTF-8, not JSON, wrong shape */
	METRICS_REJECT_INVALID,   /* JSON, but not a valid CloudEvent */
	METRICS_REJECT_DATABASE,  /* the database refused it */
	METRICS_NREJECTS
};

enum metrics_claim {
	METRICS_CLAIMED,
	METRICS_CLAIM_EMPTY,
	METRICS_CLAIM_CONFLICT,
	METRICS_NCLAIMS
};
enum metrics_api { METRICS_API_HTTP, METRICS_API_REP, METRICS_NAPIS };
enum metrics_auth {
	METRICS_AUTH_MISSING,
	METRICS_AUTH_INVALID,
	METRICS_AUTH_FORBIDDEN,
	METRICS_NAUTHS
};
enum metrics_conn { METRICS_CONN_INGEST, METRICS_CONN_API, METRICS_NCONNS };

/* Counts one event by type (unknown types count as "other", NULL as "unknown"). */
void metrics_event(const char *type, enum metrics_outcome outcome);
/* Counts one rejected message or member. */
void metrics_reject(enum metrics_reject reason);
/* The class of a rejection reason as event.c words it; member: the reason is about one
 * member of a batch rather than the whole message. */
enum metrics_reject metrics_reject_class(const char *reason, int member);
/* One committed batch: its size in members and how long its transaction took. */
void metrics_batch(size_t members, int64_t commit_us);
/* A batch put back after a transient database error. */
void metrics_batch_retried(void);
/* A message sent (or dropped at the high-water mark) on the PUB socket, by topic. */
void metrics_published(const char *topic, int dropped);
void metrics_queue_request(enum metrics_api api);
void metrics_claim(enum metrics_claim result);
void metrics_db_reconnect(enum metrics_conn conn);
void metrics_auth_failure(enum metrics_auth why);
/* A ZeroMQ connection refused by CURVE authentication (the ZAP handler said no). */
void metrics_curve_refused(void);
/* One HTTP response, by status code. */
void metrics_http_response(int status);
/* Gauges the event loop keeps current. */
void metrics_set_pending(size_t members);
void metrics_set_db_up(int up);
/* The model in force (copied). */
void metrics_set_model(const char *version, const char *kind);
/* 1 once a model has been set. */
int metrics_model_loaded(void);

/* The Prometheus text exposition (format 0.0.4) of every metric; caller frees. NULL on
 * out of memory. */
char *metrics_render(size_t *len);

/* Event types with a label of their own (NULL-terminated). */
extern const char *const metrics_event_types[];

#endif
