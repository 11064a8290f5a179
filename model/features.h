/* features.h: a contact's feature state: decayed signals, attributes, activity; events in, raw row out. */
#ifndef LS_FEATURES_H
#define LS_FEATURES_H

#include <jansson.h>
#include <stdint.h>

#include "../daemon/err.h"
#include "../daemon/event.h"
#include "featspec.h"
#include "rawrow.h"

/* Everything the model inputs are computed from. Stored per contact as JSON
 * (contacts.state), keyed by name so that a changed spec keeps what it can. */
struct fstate {
	double *signals;	  /* nsignals decayed counts, valid as of signals_at_us */
	size_t nsignals;
	int64_t signals_at_us;
	json_t *attributes;	  /* object: attribute name -> JSON value (owned) */
	int64_t first_seen_us;	  /* 0: never */
	int64_t last_activity_us; /* last behaviour event; 0: none */
	int64_t active_day0;	  /* day number (unix days) of bit 0 of active_bits */
	uint64_t active_bits;	  /* bit i: active on day active_day0 - i */
	int64_t profile_at_us;	  /* time of the newest contact.updated applied; 0: none */
};

/* An empty state for spec (all signals zero). Returns 0 or -1 (out of memory). */
int fstate_init(struct fstate *st, const struct featspec *spec) LS_MUST_CHECK;
void fstate_clear(struct fstate *st);

/* Restores a state stored by fstate_to_json; unknown names are ignored and
 * missing ones start at zero. Returns 0, or -1 with a reason. st is written
 * whole (do not fstate_init it first); on error it is left empty. */
int fstate_from_json(struct fstate *st, const struct featspec *spec, const json_t *stored,
		     struct ls_err *err) LS_MUST_CHECK;
/* A new JSON object for contacts.state, or NULL on out of memory. */
json_t *fstate_to_json(const struct fstate *st, const struct featspec *spec);

/* 1 unless ev is a contact.updated older than the newest one applied: profile fields
 * follow the event time, not the arrival order (late events, several daemons). */
int fstate_profile_fresh(const struct fstate *st, const struct event *ev);

/* Applies one event: bumps the matching signals (decay-aware, in any time
 * order), copies spec attributes from a fresh contact.updated, marks activity.
 * Returns 1 when features changed, 0 when the event has no feature effect. */
int fstate_apply(struct fstate *st, const struct featspec *spec, const struct event *ev);

/* The decayed value of signal i as of as_of_us (as_of before signals_at_us is
 * treated as signals_at_us: values never grow backwards). */
double fstate_signal_at(const struct fstate *st, const struct featspec *spec, size_t i,
			int64_t as_of_us);

/* Fills row (row->n must equal spec->nfields, values caller-owned) with the raw
 * values as of as_of_us. Categorical strings borrow from st->attributes. */
void fstate_row(const struct fstate *st, const struct featspec *spec, int64_t as_of_us,
		struct raw_row *row);

#endif
