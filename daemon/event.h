/* event.h: CloudEvents 1.0 structured-mode JSON: bytes in, validated events or reasons out. */
#ifndef LS_EVENT_H
#define LS_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Bounds on what one event may carry; longer values are rejected, never truncated. */
#define EVENT_MAX_ID 256
#define EVENT_MAX_SOURCE 1024
#define EVENT_MAX_TYPE 128
#define EVENT_MAX_SUBJECT 256
#define EVENT_MAX_ACCOUNT 256
#define EVENT_MAX_DEPTH 32 /* JSON nesting, so hostile input cannot exhaust the stack */

/* One validated CloudEvent. Strings are owned and NUL-terminated (valid UTF-8). */
struct event {
	char *id;
	char *source;
	char *type;
	char *subject;	/* the contact id */
	char *account;	/* extension attribute; NULL when absent */
	int64_t time_us; /* unix time in microseconds, UTC */
	json_t *data;	/* always a JSON object (empty when absent); owned reference */
};

/* The outcome of one member of a message: a valid event, or why it is not one. */
struct event_item {
	int ok;		     /* 1: ev is valid; 0: reason says why not */
	struct event ev;     /* valid only when ok */
	char *id;	     /* the member's "id" when it had a string one, for the ack; else NULL */
	char reason[160];    /* one-line reason when !ok */
	char *raw;	     /* compact JSON of the member when !ok (bounded by the caller) */
	size_t raw_len;
};

/* A parsed message: one object gives one item, an array one item per member.
 * When the whole message is unusable (too large, not UTF-8, not JSON, not an
 * object or array, empty array), nitems is 0 and message_reason is set. */
struct event_msg {
	struct event_item *items;
	size_t nitems;
	char message_reason[160]; /* "" when the message itself parsed */
};

/* Parses a message of len bytes (need not be NUL-terminated). max_bytes bounds
 * the message and max_events the number of members of an array.
 * Returns 0 with *msg filled (items may still be individually rejected),
 * -1 only on out-of-memory. */
int event_msg_parse(const char *buf, size_t len, size_t max_bytes, size_t max_events,
		    struct event_msg *msg) LS_MUST_CHECK;
void event_msg_free(struct event_msg *msg);

/* Validates one decoded JSON object as a CloudEvent; fills ev (owned copies).
 * Returns 0, or -1 with a one-line reason in err. */
int event_from_json(const json_t *obj, struct event *ev, struct ls_err *err) LS_MUST_CHECK;
void event_clear(struct event *ev);

/* Builds the structured-mode JSON of an event (a new reference), e.g. for resending. */
json_t *event_to_json(const struct event *ev);

/* RFC 3339 date-time (e.g. 2026-11-21T10:00:00.123Z, +02:00 offsets) to unix
 * microseconds. Returns 0, or -1 with a reason. */
int rfc3339_parse(const char *s, int64_t *out_us, struct ls_err *err) LS_MUST_CHECK;
/* Formats unix microseconds as RFC 3339 UTC with milliseconds: 2026-11-21T10:00:00.123Z.
 * buf must hold at least 32 bytes. */
void rfc3339_format(int64_t us, char *buf, size_t size);

#endif
