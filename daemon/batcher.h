/* batcher.h: the open batches (one per contact partition) and the queue of sealed batches
 * waiting for the database. */
#ifndef LS_BATCHER_H
#define LS_BATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"

/* Most partitions (database.writers is at most this). */
#define BATCHER_MAX_PARTS 16

/* A contact's events always go to the open batch of its partition (batch_part_of), and
 * partition k's sealed batches to writer k, one after the other: a contact's batches are
 * applied in order and two writers never hold the same contact. */
struct batcher {
	struct batch *open[BATCHER_MAX_PARTS]; /* gathering; NULL when empty */
	size_t nparts;                         /* 1 until batcher_set_parts */
	struct batch *head, *tail;             /* sealed, oldest first */
	size_t pending;                        /* members held in all batches */
	size_t max_events;                     /* seal an open batch at this size */
};

/* Sets the number of partitions (1 to BATCHER_MAX_PARTS); only before the first member. */
void batcher_set_parts(struct batcher *bt, size_t nparts);
/* Adds an event; a contact.forgotten is put in a batch of its own, after every open batch
 * is sealed. Takes *ev. */
int batcher_add_event(struct batcher *bt, struct event *ev, struct ack *ack, size_t index,
                      int64_t now_us) LS_MUST_CHECK;
/* Dead letters go with partition 0. */
int batcher_add_dead(struct batcher *bt, const char *transport, const char *reason, const char *raw,
                     size_t raw_len, size_t keep, const char *source, const char *id,
                     const char *subject, struct ack *ack, int64_t now_us) LS_MUST_CHECK;
/* Seals every open batch older than max_age_us (all of them when max_age_us < 0). */
void batcher_seal(struct batcher *bt, int64_t now_us, int64_t max_age_us);
/* The same for partition k's open batch alone. */
void batcher_seal_part(struct batcher *bt, size_t k, int64_t now_us, int64_t max_age_us);
/* 1 when any open batch holds members. */
int batcher_has_open(const struct batcher *bt);
/* Removes and returns the oldest sealed batch. */
struct batch *batcher_pop(struct batcher *bt);
/* Puts a batch back at the front (to retry it, or the halves of a split one). */
void batcher_push_front(struct batcher *bt, struct batch *b);
/* Unlinks b, which follows prev in the sealed queue (prev NULL: b is the head). */
void batcher_take(struct batcher *bt, struct batch *prev, struct batch *b);
/* Frees every batch, open and sealed, without answering their senders. */
void batcher_free(struct batcher *bt);

#endif
