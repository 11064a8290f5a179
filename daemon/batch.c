/* batch.c: the members of one database transaction. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

struct batch *
batch_new(void)
{
	struct batch *b = calloc(1, sizeof(struct batch));

	if (b != NULL)
		b->part = -1;
	return b;
}

static int
grow(void **items, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*items, ncap * size);
	if (p == NULL)
		return -1;
	*items = p;
	*cap = ncap;
	return 0;
}

int
batch_add_event(struct batch *b, struct event *ev, struct ack *ack, size_t index)
{
	struct batch_event *be;

	if (grow((void **)&b->events, &b->cap_events, b->nevents + 1, sizeof(*b->events)) < 0)
		return -1;
	be = &b->events[b->nevents++];
	be->ev = *ev;
	memset(ev, 0, sizeof(*ev));
	be->ack = ack;
	be->index = index;
	be->status = ITEM_PENDING;
	if (ack != NULL)
		ack->pending++;
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int
batch_add_dead(struct batch *b, const char *transport, const char *reason, const char *raw,
               size_t raw_len, size_t keep, const char *source, const char *id, const char *subject,
               struct ack *ack)
{
	struct dead_letter *d;
	size_t n = raw_len < keep ? raw_len : keep;

	if (grow((void **)&b->dead, &b->cap_dead, b->ndead + 1, sizeof(*b->dead)) < 0)
		return -1;
	d = &b->dead[b->ndead];
	memset(d, 0, sizeof(*d));
	d->raw = malloc(n ? n : 1);
	if (d->raw == NULL)
		return -1;
	memcpy(d->raw, raw, n);
	d->raw_len = n;
	d->orig_len = raw_len;
	d->transport = transport;
	strncpy(d->reason, reason, sizeof(d->reason) - 1);
	d->source = dup_or_null(source);
	d->id = dup_or_null(id);
	d->subject = dup_or_null(subject);
	d->ack = ack;
	if (ack != NULL)
		ack->pending++;
	b->ndead++;
	return 0;
}

size_t
batch_size(const struct batch *b)
{
	return b->nevents + b->ndead;
}

struct batch *
batch_split(struct batch *b, size_t from_event, size_t from_dead)
{
	struct batch *nb = batch_new();

	if (nb == NULL)
		return NULL;
	for (size_t i = from_event; i < b->nevents; i++) {
		if (grow((void **)&nb->events, &nb->cap_events, nb->nevents + 1,
		         sizeof(*nb->events)) < 0)
			goto fail;
		nb->events[nb->nevents++] = b->events[i];
	}
	for (size_t i = from_dead; i < b->ndead; i++) {
		if (grow((void **)&nb->dead, &nb->cap_dead, nb->ndead + 1, sizeof(*nb->dead)) < 0)
			goto fail;
		nb->dead[nb->ndead++] = b->dead[i];
	}
	b->nevents = from_event < b->nevents ? from_event : b->nevents;
	b->ndead = from_dead < b->ndead ? from_dead : b->ndead;
	nb->opened_us = b->opened_us;
	nb->barrier = b->barrier;
	nb->part = b->part;
	return nb;
fail:
	/* Nothing moved for good: the members still belong to b. */
	nb->nevents = 0;
	nb->ndead = 0;
	batch_free(nb);
	return NULL;
}

size_t
batch_part_of(const char *contact_id, size_t nparts)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)contact_id; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return nparts > 1 ? (size_t)(h % nparts) : 0;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nevents; i++)
		event_clear(&b->events[i].ev);
	for (size_t i = 0; i < b->ndead; i++) {
		free(b->dead[i].raw);
		free(b->dead[i].source);
		free(b->dead[i].id);
		free(b->dead[i].subject);
	}
	free(b->events);
	free(b->dead);
	free(b);
}
