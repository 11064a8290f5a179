/* batcher.c: grouping incoming members into batches by contact partition, size, age and
 * forget barriers. */
#include "batcher.h"

#include <string.h>

static size_t
nparts(const struct batcher *bt)
{
	return bt->nparts ? bt->nparts : 1;
}

static void
seal_open(struct batcher *bt, size_t k)
{
	struct batch *b = bt->open[k];

	if (b == NULL)
		return;
	bt->open[k] = NULL;
	b->next = NULL;
	if (bt->tail != NULL)
		bt->tail->next = b;
	else
		bt->head = b;
	bt->tail = b;
}

static struct batch *
open_batch(struct batcher *bt, size_t k, int64_t now_us)
{
	if (bt->open[k] == NULL) {
		bt->open[k] = batch_new();
		if (bt->open[k] != NULL) {
			bt->open[k]->opened_us = now_us;
			bt->open[k]->part = (int)k;
		}
	}
	return bt->open[k];
}

void
batcher_set_parts(struct batcher *bt, size_t n)
{
	bt->nparts = n < 1 ? 1 : n > BATCHER_MAX_PARTS ? BATCHER_MAX_PARTS : n;
}

int
batcher_add_event(struct batcher *bt, struct event *ev, struct ack *ack, size_t index,
                  int64_t now_us)
{
	int forget = strcmp(ev->type, "contact.forgotten") == 0;
	size_t k = batch_part_of(ev->subject, nparts(bt));
	struct batch *b;

	/* A forget erases the contact's rows: alone in its transaction, after everything
	 * taken in before it, it cannot interleave with the contact's other events. */
	if (forget)
		batcher_seal(bt, now_us, -1);
	b = open_batch(bt, k, now_us);
	if (b == NULL || batch_add_event(b, ev, ack, index) < 0)
		return -1;
	bt->pending++;
	if (forget) {
		b->barrier = 1;
		seal_open(bt, k);
	} else if (batch_size(b) >= bt->max_events) {
		seal_open(bt, k);
	}
	return 0;
}

int
batcher_add_dead(struct batcher *bt, const char *transport, const char *reason, const char *raw,
                 size_t raw_len, size_t keep, const char *source, const char *id,
                 const char *subject, struct ack *ack, int64_t now_us)
{
	struct batch *b = open_batch(bt, 0, now_us);

	if (b == NULL ||
	    batch_add_dead(b, transport, reason, raw, raw_len, keep, source, id, subject, ack) < 0)
		return -1;
	bt->pending++;
	if (batch_size(b) >= bt->max_events)
		seal_open(bt, 0);
	return 0;
}

void
batcher_seal_part(struct batcher *bt, size_t k, int64_t now_us, int64_t max_age_us)
{
	struct batch *b = k < BATCHER_MAX_PARTS ? bt->open[k] : NULL;

	if (b != NULL && (max_age_us < 0 || now_us - b->opened_us >= max_age_us))
		seal_open(bt, k);
}

void
batcher_seal(struct batcher *bt, int64_t now_us, int64_t max_age_us)
{
	for (size_t k = 0; k < BATCHER_MAX_PARTS; k++)
		batcher_seal_part(bt, k, now_us, max_age_us);
}

int
batcher_has_open(const struct batcher *bt)
{
	for (size_t k = 0; k < BATCHER_MAX_PARTS; k++)
		if (bt->open[k] != NULL)
			return 1;
	return 0;
}

struct batch *
batcher_pop(struct batcher *bt)
{
	struct batch *b = bt->head;

	if (b == NULL)
		return NULL;
	batcher_take(bt, NULL, b);
	return b;
}

void
batcher_push_front(struct batcher *bt, struct batch *b)
{
	b->next = bt->head;
	bt->head = b;
	if (bt->tail == NULL)
		bt->tail = b;
	bt->pending += batch_size(b);
}

void
batcher_take(struct batcher *bt, struct batch *prev, struct batch *b)
{
	if (prev == NULL)
		bt->head = b->next;
	else
		prev->next = b->next;
	if (bt->tail == b)
		bt->tail = prev;
	b->next = NULL;
	bt->pending -= batch_size(b);
}

void
batcher_free(struct batcher *bt)
{
	struct batch *b;

	while ((b = batcher_pop(bt)) != NULL)
		batch_free(b);
	for (size_t k = 0; k < BATCHER_MAX_PARTS; k++) {
		batch_free(bt->open[k]);
		bt->open[k] = NULL;
	}
	bt->pending = 0;
}
