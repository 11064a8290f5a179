/* train_db.h: the daemon's point-in-time snapshots as labelled training rows. */
#ifndef LS_TRAIN_DB_H
#define LS_TRAIN_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "../daemon/err.h"
#include "dataset.h"
#include "featspec.h"

struct train_db_opts {
	const struct featspec *spec;
	char *const *label_types; /* events that count as conversion */
	size_t ntypes;
	double horizon_days; /* a snapshot is positive when one follows within this */
	int spec_labels;     /* label_types are the feature spec's (as the daemon records) */
};

struct train_db_info {
	size_t snapshots; /* rows read: stored snapshots ... */
	size_t open_rows; /* ... and last active days read from the contacts' state */
	size_t converted; /* left out: the contact had converted by then */
	size_t censored;  /* left out: the horizon reaches past the newest event */
	int64_t data_end_us;
};

/*
 * Labels each snapshot (as_of t) by whether the contact's first conversion falls in
 * (t, t + horizon]. Left out: snapshots of contacts already converted at t (nothing left to
 * predict) and those whose horizon reaches past the newest event held (their label is not
 * known yet: counting them negative would teach the model that recent activity does not
 * convert). Each row's time is its as_of and its group the contact, for a time split and
 * grouped folds. 0, or -1 with a reason.
 */
int train_db_load(PGconn *conn, const struct train_db_opts *o, struct dataset *ds,
                  struct train_db_info *info, struct ls_err *err) LS_MUST_CHECK;

#endif
