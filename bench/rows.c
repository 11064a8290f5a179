/* rows.c: per-batch contact rows (state, score, reasons) as the daemon would write them. */
#include "rows.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a contact carries from one batch to the next. */
struct contact_run {
	long applied;
	int64_t first_us;
	int score;
	char tier;
};

int
rows_init(struct rows *r, const struct bench_events *e)
{
	memset(r, 0, sizeof(*r));
	r->e = e;
	r->data = calloc(e->n ? e->n : 1, sizeof(*r->data));
	r->run = calloc(e->ncontacts ? e->ncontacts : 1, sizeof(*r->run));
	r->order = calloc(e->n ? e->n : 1, sizeof(*r->order));
	if (r->data == NULL || r->run == NULL || r->order == NULL ||
	    bench_index_init(&r->ix, e->ncontacts) < 0)
		goto oom;
	for (size_t i = 0; i < e->n; i++) {
		const char *s = e->evs[i].subject;
		size_t k;

		r->data[i] = json_dumps(e->evs[i].data, JSON_COMPACT);
		if (r->data[i] == NULL)
			goto oom;
		if (!bench_index_get(&r->ix, s, strlen(s), &k) &&
		    bench_index_put(&r->ix, s, strlen(s), r->ix.n) < 0)
			goto oom;
	}
	for (size_t k = 0; k < e->ncontacts; k++)
		r->run[k].score = -1;
	return 0;
oom:
	rows_free(r);
	return -1;
}

void
rows_free(struct rows *r)
{
	if (r->data != NULL)
		for (size_t i = 0; i < r->e->n; i++)
			free(r->data[i]);
	free(r->data);
	free(r->run);
	free(r->order);
	bench_index_free(&r->ix);
	memset(r, 0, sizeof(*r));
}

static const struct bench_events *sort_events;

static int
cmp_subject(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_events->evs[x].subject, sort_events->evs[y].subject);

	return c != 0 ? c : (x < y ? -1 : 1);
}

/* A stable pseudo-random number in [0, 1) from a contact and a counter. */
static double
unit(const char *id, long k)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)k;

	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (double)(h >> 11) / 9007199254740992.0;
}

static char
tier_of(int score)
{
	return score >= 70 ? 'A' : score >= 40 ? 'B' : score >= 15 ? 'C' : 'D';
}

/* The shapes of contacts.state and reasons as the daemon stores them (fstate_to_json). */
static void
fill_json(struct contact_out *c)
{
	double u = unit(c->id, c->applied);

	snprintf(c->state, sizeof(c->state),
	         "{\"s\":{\"page_views\":%.17g,\"email_opens\":%.17g,\"intent\":%.17g},"
	         "\"a\":{\"company_size\":%d,\"seniority\":\"director\",\"industry\":\"software\"},"
	         "\"v\":1,\"at\":%" PRId64 ",\"first\":%" PRId64 ",\"last\":%" PRId64
	         ",\"d0\":%" PRId64 ",\"bits\":\"%016" PRIx64 "\"}",
	         1.5 + u, 0.8 * u, 1.2 * (1 - u), 10 + (int)(u * 5000), c->last_us, c->first_us,
	         c->last_us, (int64_t)(c->last_us / 86400000000LL), (uint64_t)c->applied * 3);
	snprintf(c->reasons, sizeof(c->reasons),
	         "[{\"feature\":\"intent\",\"effect\":%.17g},{\"feature\":\"active_days_30\","
	         "\"effect\":%.17g},{\"feature\":\"page_views\",\"effect\":%.17g},"
	         "{\"feature\":\"seniority=individual\",\"effect\":%.17g},"
	         "{\"feature\":\"days_since_last_activity\",\"effect\":%.17g}]",
	         0.75 * u, 0.3 * u, 0.27 * u + 0.01, -0.1 * u, -0.004 * u);
}

/* Closes one contact's group of events [g, k) of the sorted batch. */
static void
close_group(struct rows *r, size_t g, size_t k, struct contact_out *c)
{
	const struct bench_events *e = r->e;
	const struct event *first = &e->evs[r->order[g]];
	struct contact_run *run;
	size_t num = 0;

	(void)bench_index_get(&r->ix, first->subject, strlen(first->subject), &num);
	run = &r->run[num];
	memset(c, 0, sizeof(*c));
	c->id = first->subject;
	for (size_t j = g; j < k; j++) {
		const struct event *ev = &e->evs[r->order[j]];

		if (ev->account != NULL)
			c->account = ev->account;
		if (run->first_us == 0 || ev->time_us < run->first_us)
			run->first_us = ev->time_us;
		if (c->last == NULL || ev->time_us >= c->last->time_us)
			c->last = ev;
	}
	run->applied += (long)(k - g);
	c->applied = run->applied;
	c->first_us = run->first_us;
	c->last_us = c->last->time_us;
	c->prev_score = run->score;
	c->prev_tier = run->tier;
	c->score = (int)(unit(c->id, c->applied) * 100);
	c->tier = tier_of(c->score);
	c->probability = c->score / 100.0 + 0.001;
	c->fit = c->probability * 0.4;
	c->engagement = c->probability * 0.6;
	run->score = c->score;
	run->tier = c->tier;
	fill_json(c);
}

void
rows_plan(struct rows *r, size_t from, size_t to, struct contact_out *out, size_t *n)
{
	size_t m = to - from, g = 0;

	for (size_t i = 0; i < m; i++)
		r->order[i] = from + i;
	sort_events = r->e;
	qsort(r->order, m, sizeof(*r->order), cmp_subject);
	*n = 0;
	for (size_t k = 1; k <= m; k++) {
		if (k < m &&
		    strcmp(r->e->evs[r->order[k]].subject, r->e->evs[r->order[g]].subject) == 0)
			continue;
		close_group(r, g, k, &out[(*n)++]);
		g = k;
	}
}
