/* batch.h: events and dead letters gathered for one database transaction. */
#ifndef LS_BATCH_H
#define LS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "ack.h"
#include "err.h"
#include "event.h"

enum item_status { ITEM_PENDING, ITEM_APPLIED, ITEM_DUPLICATE };

struct batch_event {
	struct event ev;
	struct ack *ack; /* NULL for best-effort transports (PULL, SUB) */
	size_t index;    /* member index in its message, for the ack */
	enum item_status status;
};

struct dead_letter {
	const char *transport; /* static string: "pull", "router", "sub", "http" */
	char reason[160];
	char *raw; /* bounded copy of the bytes */
	size_t raw_len;
	size_t orig_len;             /* the full size that arrived */
	char *source, *id, *subject; /* when known, else NULL */
	struct ack *ack;
};

struct batch {
	struct batch_event *events;
	size_t nevents, cap_events;
	struct dead_letter *dead;
	size_t ndead, cap_dead;
	int64_t opened_us;  /* monotonic time the first member arrived */
	int barrier;        /* holds a contact.forgotten: applied alone */
	int part;           /* contact partition (batch_partition); -1: not partitioned */
	struct batch *next; /* in the queue of sealed batches */
};

struct batch *batch_new(void);
/* Takes ownership of *ev (cleared on success). */
int batch_add_event(struct batch *b, struct event *ev, struct ack *ack, size_t index) LS_MUST_CHECK;
/* Copies at most keep bytes of raw. */
int batch_add_dead(struct batch *b, const char *transport, const char *reason, const char *raw,
                   size_t raw_len, size_t keep, const char *source, const char *id,
                   const char *subject, struct ack *ack) LS_MUST_CHECK;
size_t batch_size(const struct batch *b);
/* Moves the members from index `from` on into a new batch (for splitting a
 * batch the database refused). NULL on out of memory. */
struct batch *batch_split(struct batch *b, size_t from_event, size_t from_dead);
/* The partition of a contact id among nparts: stable, so that a contact's events always
 * go to the same writer, one batch after the other. */
size_t batch_part_of(const char *contact_id, size_t nparts);
void batch_free(struct batch *b);

#endif
