/* roi_store.h: SDR outcomes and their per-window and per-day aggregates, in PostgreSQL. */
#ifndef LS_ROI_STORE_H
#define LS_ROI_STORE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "roi_calc.h"

/* One sdr.outcome, as recorded by the batch that applied it. */
struct outcome_row {
	const char *contact_id, *source, *event_id, *sdr; /* sdr may be NULL */
	int64_t time_us;
	const char *outcome;
	double minutes;
	int holdout;
	int score; /* -1: not scored yet */
	char tier; /* 0: not scored yet */
};

int roi_store_insert_outcomes(PGconn *conn, const struct outcome_row *rows, size_t n,
			      struct ls_err *err) LS_MUST_CHECK;

#define ROI_TIERS 4
#define ROI_DECILES 10

/* Everything the figures need for one window, per group (0: scored, 1: hold-out). */
struct roi_window_data {
	struct roi_group group[2];
	struct roi_lead *obs[2]; /* owned; group[g].obs points here */
	long reps;		 /* distinct reps who logged outcomes in the window */
	struct roi_bucket tiers[ROI_TIERS];	/* A..D, all worked leads */
	struct roi_bucket deciles[ROI_DECILES]; /* score 0-9, 10-19, ... 90-100 */
};

/* Reads [from_us, to_us): per lead minutes, meetings and whether it was disqualified,
 * its tier and score when first worked, summed per group. */
int roi_store_window(PGconn *conn, int64_t from_us, int64_t to_us, struct roi_window_data *out,
		     struct ls_err *err) LS_MUST_CHECK;
void roi_window_data_clear(struct roi_window_data *w);

/* Recomputes roi_daily for the UTC days from from_us to to_us (inclusive). */
int roi_store_persist_days(PGconn *conn, int64_t from_us, int64_t to_us,
			   struct ls_err *err) LS_MUST_CHECK;

/* One day of roi_daily, both groups. */
struct roi_day {
	char day[11]; /* YYYY-MM-DD */
	struct roi_group group[2];
};

/* The days of roi_daily in [from_us, to_us), oldest first; *days is owned by the caller. */
int roi_store_days(PGconn *conn, int64_t from_us, int64_t to_us, struct roi_day **days,
		   size_t *ndays, struct ls_err *err) LS_MUST_CHECK;

#endif
