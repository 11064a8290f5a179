/* test_batcher.c: members grouped by contact partition, sealed by size, age and forget barriers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/batcher.h"
#include "../testhelp.h"

static int
add(struct batcher *bt, const char *contact, const char *type, int64_t now_us)
{
	struct event ev = {0};

	ev.id = strdup("e");
	ev.source = strdup("test");
	ev.type = strdup(type);
	ev.subject = strdup(contact);
	ev.data = json_object();
	if (ev.id == NULL || ev.source == NULL || ev.type == NULL || ev.subject == NULL ||
	    ev.data == NULL || batcher_add_event(bt, &ev, NULL, 0, now_us) < 0) {
		event_clear(&ev);
		return -1;
	}
	return 0;
}

static size_t
queued(const struct batcher *bt)
{
	size_t n = 0;

	for (const struct batch *b = bt->head; b != NULL; b = b->next)
		n++;
	return n;
}

/* Two contacts that fall in different partitions of 2. */
static void
two_parts(const char **a, const char **b)
{
	static const char *const ids[] = {"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"};

	*a = ids[0];
	*b = NULL;
	for (size_t i = 1; i < 8 && *b == NULL; i++)
		if (batch_part_of(ids[i], 2) != batch_part_of(*a, 2))
			*b = ids[i];
}

static void
test_part_of(void)
{
	size_t seen[4] = {0};
	char id[16];

	TEST_CHECK("one partition: always 0", batch_part_of("anything", 1) == 0);
	TEST_CHECK("stable", batch_part_of("c000042", 4) == batch_part_of("c000042", 4));
	for (int i = 0; i < 4000; i++) {
		snprintf(id, sizeof(id), "c%06d", i);
		seen[batch_part_of(id, 4)]++;
	}
	/* FNV-1a spreads sequential ids: each of 4 partitions gets a fair share. */
	for (size_t k = 0; k < 4; k++)
		TEST_CHECK("partitions evenly used", seen[k] > 800 && seen[k] < 1200);
}

static void
test_partitions(void)
{
	struct batcher bt = {0};
	const char *a, *b;
	size_t ka, kb;

	two_parts(&a, &b);
	TEST_CHECK("two contacts in different partitions", b != NULL);
	if (b == NULL)
		return;
	ka = batch_part_of(a, 2);
	kb = batch_part_of(b, 2);
	bt.max_events = 3;
	batcher_set_parts(&bt, 2);
	TEST_CHECK("add a", add(&bt, a, "page.viewed", 100) == 0);
	TEST_CHECK("add b", add(&bt, b, "page.viewed", 110) == 0);
	TEST_CHECK("add a again", add(&bt, a, "page.viewed", 120) == 0);
	TEST_CHECK("a's partition open with 2", bt.open[ka] && bt.open[ka]->nevents == 2);
	TEST_CHECK("b's partition open with 1", bt.open[kb] && bt.open[kb]->nevents == 1);
	TEST_CHECK("open batches know their partition",
	           bt.open[ka]->part == (int)ka && bt.open[kb]->part == (int)kb);
	TEST_CHECK("pending counts all", bt.pending == 3);
	TEST_CHECK("nothing sealed yet", bt.head == NULL && batcher_has_open(&bt));

	/* Size seals one partition alone. */
	TEST_CHECK("add a a third time", add(&bt, a, "page.viewed", 130) == 0);
	TEST_CHECK("a's batch sealed at 3", queued(&bt) == 1 && bt.head->part == (int)ka &&
	                                        bt.head->nevents == 3 && bt.open[ka] == NULL);
	TEST_CHECK("b's still open", bt.open[kb] != NULL);

	/* Age seals per partition: b's batch opened at 110. */
	batcher_seal_part(&bt, kb, 150, 50);
	TEST_CHECK("younger than max age: stays open", bt.open[kb] != NULL);
	batcher_seal_part(&bt, kb, 160, 50);
	TEST_CHECK("at max age: sealed", bt.open[kb] == NULL && queued(&bt) == 2);
	TEST_CHECK("pending unchanged by sealing", bt.pending == 4);
	batcher_seal_part(&bt, 99, 0, -1); /* out of range: ignored */

	/* take and push_front keep the queue and the count right. */
	{
		struct batch *first = bt.head, *second = first->next;

		batcher_take(&bt, first, second);
		TEST_CHECK("taken from the middle", bt.head == first && bt.tail == first &&
		                                        first->next == NULL && bt.pending == 3);
		batcher_push_front(&bt, second);
		TEST_CHECK("pushed back in front", bt.head == second && second->next == first &&
		                                       bt.tail == first && bt.pending == 4);
		TEST_CHECK("pop takes the front", batcher_pop(&bt) == second && bt.pending == 3);
		batch_free(second);
	}
	batcher_free(&bt);
	TEST_CHECK("freed", bt.head == NULL && !batcher_has_open(&bt) && bt.pending == 0);
}

static void
test_forget_barrier(void)
{
	struct batcher bt = {0};
	const char *a, *b;
	struct batch *q;

	two_parts(&a, &b);
	if (b == NULL)
		return;
	bt.max_events = 100;
	batcher_set_parts(&bt, 2);
	TEST_CHECK("add a", add(&bt, a, "page.viewed", 1) == 0);
	TEST_CHECK("add b", add(&bt, b, "page.viewed", 2) == 0);
	TEST_CHECK("forget a", add(&bt, a, "contact.forgotten", 3) == 0);
	TEST_CHECK("add b after", add(&bt, b, "page.viewed", 4) == 0);
	/* Both open batches were sealed before the forget, which is alone and last. */
	TEST_CHECK("three sealed", queued(&bt) == 3);
	q = bt.head;
	TEST_CHECK("first two are plain", q && !q->barrier && q->next && !q->next->barrier);
	q = q && q->next ? q->next->next : NULL;
	TEST_CHECK("then the forget, alone",
	           q && q->barrier && q->nevents == 1 &&
	               strcmp(q->events[0].ev.type, "contact.forgotten") == 0);
	TEST_CHECK("the later event opened a new batch", bt.open[batch_part_of(b, 2)] != NULL);
	batcher_free(&bt);
}

static void
test_dead_letters(void)
{
	struct batcher bt = {0};

	bt.max_events = 2;
	batcher_set_parts(&bt, 3);
	TEST_CHECK("dead letter", batcher_add_dead(&bt, "pull", "bad", "x", 1, 16, NULL, NULL, NULL,
	                                           NULL, 5) == 0);
	TEST_CHECK("goes to partition 0", bt.open[0] && bt.open[0]->ndead == 1);
	TEST_CHECK("second dead letter", batcher_add_dead(&bt, "pull", "bad", "y", 1, 16, NULL,
	                                                  NULL, NULL, NULL, 6) == 0);
	TEST_CHECK("sealed by size", bt.open[0] == NULL && queued(&bt) == 1 && bt.head->part == 0);
	batcher_free(&bt);

	/* Out-of-range partition counts are clamped. */
	batcher_set_parts(&bt, 0);
	TEST_CHECK("at least one partition", bt.nparts == 1);
	batcher_set_parts(&bt, 1000);
	TEST_CHECK("at most BATCHER_MAX_PARTS", bt.nparts == BATCHER_MAX_PARTS);
}

int
main(void)
{
	test_part_of();
	test_partitions();
	test_forget_barrier();
	test_dead_letters();
	return TEST_REPORT();
}
