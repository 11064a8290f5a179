/* snapshots.h: point-in-time feature snapshots: taken in the batch path, read back for training. */
#ifndef LS_SNAPSHOTS_H
#define LS_SNAPSHOTS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "../model/features.h"
#include "err.h"

/*
 * A contact's snapshot for a day is its raw feature row as of the end of that day (UTC),
 * taken when its first event of a later day is about to be applied: the state then holds
 * every event of the day and nothing after it, so a snapshot never sees its own future
 * however late the batch runs. One per contact and active day; the first one taken stays.
 */

struct snapshot {
	const char *contact_id; /* borrowed from the batch */
	int64_t as_of_us;       /* last microsecond of the day */
	json_t *features;       /* {"field": value}, owned */
};

struct snapshot_list {
	struct snapshot *items;
	size_t n, cap;
};

/* 1 when an event at ev_us falls on a later UTC day than the contact's last event
 * (last_us; 0: the contact has none), so the last event's day is complete. */
int snapshot_due(int64_t last_us, int64_t ev_us);

/* Adds the contact's row as of the end of last_us's day. 0, or -1 when out of memory. */
int snapshot_take(struct snapshot_list *l, const char *contact_id, const struct fstate *st,
                  const struct featspec *spec, int64_t last_us) LS_MUST_CHECK;
void snapshot_list_clear(struct snapshot_list *l);

/* Writes the list in the caller's transaction (rows in contact-id order). */
int snapshot_store(PGconn *conn, const struct snapshot_list *l, const char *spec_hash,
                   struct ls_err *err) LS_MUST_CHECK;

/* One training candidate as the database holds it. */
struct snapshot_example {
	const char *contact_id;
	int64_t as_of_us;     /* a snapshot's as_of; an open row's last event time */
	int64_t converted_us; /* the contact's first event of a label type; 0: none */
	const char *features; /* a snapshot's row (JSON text); NULL for an open row */
	const char *state;    /* an open row's contacts.state (JSON text); NULL for a snapshot */
};

typedef int (*snapshot_each_fn)(void *ctx, const struct snapshot_example *ex, struct ls_err *err);

/* Streams the snapshots taken under spec_hash and, for every contact whose last active day
 * has no snapshot yet (that day is not over, or the contact went quiet), an open row with
 * its current state, which holds nothing after its last event. Each comes with the
 * contact's first conversion: its first event of label_types, or, when spec_labels says
 * those are the feature spec's, contacts.converted_at if earlier (it outlives raw-event
 * retention). Rows come by as_of, then contact; a callback that fails stops the stream and
 * its reason is returned. */
int snapshot_read_examples(PGconn *conn, const char *spec_hash, char *const *label_types,
                           size_t ntypes, int spec_labels, snapshot_each_fn each, void *ctx,
                           struct ls_err *err) LS_MUST_CHECK;

/* The newest event time held (0: none): labels are known up to this instant. */
int snapshot_data_end(PGconn *conn, int64_t *out, struct ls_err *err) LS_MUST_CHECK;

/* Deletes the snapshots whose day ended more than days ago; *removed: how many. */
int snapshot_prune(PGconn *conn, long days, long *removed, struct ls_err *err) LS_MUST_CHECK;

#endif
