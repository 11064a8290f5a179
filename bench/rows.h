/* rows.h: the rows the daemon writes for a batch of events, computed for the direct-to-database
 * benches. */
#ifndef LS_BENCH_ROWS_H
#define LS_BENCH_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/*
 * Per batch the daemon writes one events row per event, one contacts row per distinct
 * contact (its feature state and score) and, with score.publish_delta = 0, one
 * score_changes row per distinct contact. These are those rows, with a state and reasons
 * of the size and shape the daemon stores (about 230 and 280 bytes of JSON).
 */
#define ROWS_MODEL_VERSION "starter-bench"
#define ROWS_JSON_MAX 512

struct contact_out {
	const char *id, *account; /* borrowed from the events */
	long applied;             /* events_applied after this batch */
	int64_t first_us, last_us;
	int score, prev_score; /* prev -1: first score */
	char tier, prev_tier;  /* prev 0: none */
	double probability, fit, engagement;
	const struct event *last; /* the event the change is recorded against */
	char state[ROWS_JSON_MAX];
	char reasons[ROWS_JSON_MAX];
};

struct contact_run;

struct rows {
	const struct bench_events *e;
	char **data;             /* each event's data as compact JSON */
	struct bench_index ix;   /* subject -> contact number */
	struct contact_run *run; /* per contact, across batches */
	size_t *order;           /* scratch: a batch's events by subject */
};

int rows_init(struct rows *r, const struct bench_events *e) LS_MUST_CHECK;
void rows_free(struct rows *r);

/* Fills out[] (room for to - from) with the distinct contacts of events [from, to) in byte
 * order of id, and sets *n. Advances each contact's running totals. */
void rows_plan(struct rows *r, size_t from, size_t to, struct contact_out *out, size_t *n);

#endif
