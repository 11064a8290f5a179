/* batcher.c: grouping incoming members into batches by size, age and forget barriers. */
#include "batcher.h"

#include <string.h>

static void
seal_open(struct batcher *bt)
{
	struct batch *b = bt->open;

	if (b == NULL)
		return;
	bt->open = NULL;
	b->next = NULL;
	if (bt->tail != NULL)
		bt->tail->next = b;
	else
		bt->head = b;
	bt->tail = b;
}

static struct batch *
open_batch(struct batcher *bt, int64_t now_us)
{
	if (bt->open == NULL) {
		bt->open = batch_new();
		if (bt->open != NULL)
			bt->open->opened_us = now_us;
	}
	return bt->open;
}

int
batcher_add_event(struct batcher *bt, struct event *ev, struct ack *ack, size_t index,
		  int64_t now_us)
{
	int forget = strcmp(ev->type, "contact.forgotten") == 0;
	struct batch *b;

	/* A forget erases the contact's rows: alone in its transaction it cannot
	 * interleave with the contact's other events. */
	if (forget)
		seal_open(bt);
	b = open_batch(bt, now_us);
	if (b == NULL || batch_add_event(b, ev, ack, index) < 0)
		return -1;
	bt->pending++;
	if (forget) {
		b->barrier = 1;
		seal_open(bt);
	} else if (batch_size(b) >= bt->max_events) {
		seal_open(bt);
	}
	return 0;
}

int
batcher_add_dead(struct batcher *bt, const char *transport, const char *reason, const char *raw,
		 size_t raw_len, size_t keep, const char *source, const char *id,
		 const char *subject, struct ack *ack, int64_t now_us)
{
	struct batch *b = open_batch(bt, now_us);

	if (b == NULL || batch_add_dead(b, transport, reason, raw, raw_len, keep, source, id,
					subject, ack) < 0)
		return -1;
	bt->pending++;
	if (batch_size(b) >= bt->max_events)
		seal_open(bt);
	return 0;
}

void
batcher_seal(struct batcher *bt, int64_t now_us, int64_t max_age_us)
{
	if (bt->open != NULL && (max_age_us < 0 || now_us - bt->open->opened_us >= max_age_us))
		seal_open(bt);
}

struct batch *
batcher_pop(struct batcher *bt)
{
	struct batch *b = bt->head;

	if (b == NULL)
		return NULL;
	bt->head = b->next;
	if (bt->head == NULL)
		bt->tail = NULL;
	b->next = NULL;
	bt->pending -= batch_size(b);
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
batcher_free(struct batcher *bt)
{
	struct batch *b;

	while ((b = batcher_pop(bt)) != NULL)
		batch_free(b);
	batch_free(bt->open);
	bt->open = NULL;
	bt->pending = 0;
}
