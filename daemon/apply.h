/* apply.h: one batch, one transaction: dedupe, update features, score, record, commit. */
#ifndef LS_APPLY_H
#define LS_APPLY_H

#include <libpq-fe.h>
#include <stdint.h>

#include "../model/model.h"
#include "batch.h"
#include "err.h"
#include "scorer.h"

/* A committed score change, to publish. */
struct score_pub {
	char *contact;
	char *account;		/* may be NULL */
	struct score score;
	int previous_score;	/* -1: first score */
	char previous_tier;	/* 0: first score */
	char *event_source, *event_id; /* the event that moved it */
	char *reasons;		/* score.reasons as JSON text */
	int hot;		/* entered tier A */
};

struct apply_result {
	struct score_pub *pubs;
	size_t npubs;
	long applied, duplicates, dead, forgotten;
};

/* What the batch path takes from the configuration. */
struct apply_opts {
	int publish_delta;	/* publish a score that moved at least this much */
	double holdout_percent; /* share of new contacts put in the hold-out group */
};

/* Applies b in one transaction. as_of_us is the stream clock the scores are
 * computed at. On success every event's status is APPLIED or DUPLICATE and out
 * holds the score changes to publish. On failure nothing is committed, all
 * statuses are back to PENDING and err says why (the caller decides, with
 * db_connection_lost(), whether to retry or to split the batch). */
int apply_batch(PGconn *conn, struct batch *b, const struct scorer *sc,
		const struct apply_opts *opts, int64_t as_of_us, struct apply_result *out,
		struct ls_err *err) LS_MUST_CHECK;
void apply_result_clear(struct apply_result *res);

#endif
