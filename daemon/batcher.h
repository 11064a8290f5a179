/* batcher.h: the open batch and the queue of sealed batches waiting for the database. */
#ifndef LS_BATCHER_H
#define LS_BATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"

struct batcher {
	struct batch *open;	  /* gathering; NULL when empty */
	struct batch *head, *tail; /* sealed, oldest first */
	size_t pending;		  /* members held in all batches */
	size_t max_events;	  /* seal the open batch at this size */
};

/* Adds an event; a contact.forgotten is put in a batch of its own. Takes *ev. */
int batcher_add_event(struct batcher *bt, struct event *ev, struct ack *ack, size_t index,
		      int64_t now_us) LS_MUST_CHECK;
int batcher_add_dead(struct batcher *bt, const char *transport, const char *reason,
		     const char *raw, size_t raw_len, size_t keep, const char *source,
		     const char *id, const char *subject, struct ack *ack,
		     int64_t now_us) LS_MUST_CHECK;
/* Seals the open batch when it is older than max_age_us (or always when max_age_us < 0). */
void batcher_seal(struct batcher *bt, int64_t now_us, int64_t max_age_us);
/* Removes and returns the oldest sealed batch. */
struct batch *batcher_pop(struct batcher *bt);
/* Puts a batch back at the front (to retry it, or the halves of a split one). */
void batcher_push_front(struct batcher *bt, struct batch *b);
void batcher_free(struct batcher *bt);

#endif
