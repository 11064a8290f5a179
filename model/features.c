/* features.c: a contact's feature state: events in, decayed signals and raw rows out, JSON for
 * storage. */
#include "features.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_DAY INT64_C(86400000000)
#define DERIVED_CAP_DAYS 365.0
#define ACTIVE_WINDOW_DAYS 30
#define STATE_VERSION 1

/* The contact's own actions. Third-party news about the contact (intent
 * surges, job changes, funding) and deliverability events are not activity. */
static const char *const behaviour_types[] = {
    "page.viewed",    "email.opened",       "email.clicked",    "email.replied",
    "form.submitted", "content.downloaded", "webinar.attended", "demo.requested",
};

static const char *const state_keys[] = {"v", "at", "s", "a", "first", "last", "d0", "bits", "pa"};

int
fstate_init(struct fstate *st, const struct featspec *spec)
{
	memset(st, 0, sizeof(*st));
	if (spec->nsignals > 0) {
		st->signals = calloc(spec->nsignals, sizeof(*st->signals));
		if (st->signals == NULL)
			return -1;
	}
	st->nsignals = spec->nsignals;
	st->attributes = json_object();
	if (st->attributes == NULL) {
		fstate_clear(st);
		return -1;
	}
	return 0;
}

void
fstate_clear(struct fstate *st)
{
	free(st->signals);
	json_decref(st->attributes);
	memset(st, 0, sizeof(*st));
}

/* Floor division, so that instants before the epoch fall on the right day. */
static int64_t
day_of(int64_t us)
{
	return us / US_PER_DAY - (us % US_PER_DAY < 0 ? 1 : 0);
}

/* Differences in double: stored times are untrusted and int64 subtraction could overflow. */
static double
diff_us(int64_t a, int64_t b)
{
	return (double)a - (double)b;
}

/* Whether the event feeds signal sig, and with what weight. An event whose
 * weight field is missing or not a number is skipped for that signal: it
 * carries no measurement, and counting it as a full 1 would overstate it. */
static int
signal_weight(const struct signal_def *sig, const struct event *ev, double *w)
{
	const json_t *v;

	if (strcmp(sig->type, ev->type) != 0)
		return 0;
	if (sig->data_field != NULL) {
		const char *s;

		v = json_object_get(ev->data, sig->data_field);
		if (!json_is_string(v))
			return 0;
		s = json_string_value(v);
		if (sig->prefix != NULL && strncmp(s, sig->prefix, strlen(sig->prefix)) != 0)
			return 0;
		if (sig->equals != NULL && strcmp(s, sig->equals) != 0)
			return 0;
	}
	*w = 1.0;
	if (sig->weight_field != NULL) {
		v = json_object_get(ev->data, sig->weight_field);
		if (!json_is_number(v))
			return 0;
		*w = fmin(fmax(json_number_value(v), 0.0), 1.0);
	}
	return 1;
}

/* All signals share one reference time, so moving it decays every one of them. */
static void
advance_signals(struct fstate *st, const struct featspec *spec, int64_t to_us)
{
	double dt = diff_us(to_us, st->signals_at_us);

	for (size_t i = 0; i < st->nsignals && i < spec->nsignals; i++) {
		if (st->signals[i] != 0.0)
			st->signals[i] *= exp(-spec->signals[i].decay_per_us * dt);
	}
	st->signals_at_us = to_us;
}

/* Each value stays sum(w * 2^-((at - te) / half_life)) over the events seen,
 * whichever order they arrive in: a late event is added already decayed. */
static int
apply_signals(struct fstate *st, const struct featspec *spec, const struct event *ev)
{
	int changed = 0;
	double w;

	for (size_t i = 0; i < st->nsignals && i < spec->nsignals; i++) {
		if (!signal_weight(&spec->signals[i], ev, &w) || w <= 0.0)
			continue;
		if (ev->time_us > st->signals_at_us)
			advance_signals(st, spec, ev->time_us);
		if (ev->time_us < st->signals_at_us)
			w *= exp(-spec->signals[i].decay_per_us *
			         diff_us(st->signals_at_us, ev->time_us));
		st->signals[i] += w;
		changed = 1;
	}
	return changed;
}

static int
is_behaviour(const char *type)
{
	for (size_t i = 0; i < sizeof(behaviour_types) / sizeof(behaviour_types[0]); i++) {
		if (strcmp(type, behaviour_types[i]) == 0)
			return 1;
	}
	return 0;
}

/* Bit i of active_bits is day active_day0 - i; days more than 63 before the
 * newest active day fall out of the window and are forgotten. */
static int
mark_activity(struct fstate *st, int64_t te)
{
	int64_t day = day_of(te);
	int changed = 0;

	if (st->last_activity_us == 0 || te > st->last_activity_us) {
		st->last_activity_us = te;
		changed = 1;
	}
	if (st->active_bits == 0 || day > st->active_day0) {
		int64_t shift = st->active_bits == 0 ? 64 : day - st->active_day0;
		st->active_bits = shift >= 64 ? 0 : st->active_bits << shift;
		st->active_bits |= 1;
		st->active_day0 = day;
		return 1;
	}
	if (st->active_day0 - day < 64) {
		uint64_t bit = UINT64_C(1) << (st->active_day0 - day);
		if ((st->active_bits & bit) == 0) {
			st->active_bits |= bit;
			changed = 1;
		}
	}
	return changed;
}

/* Whether v can be the value of attribute f. A categorical value is later
 * handed out as a C string, so it may not hold a NUL. */
static int
attribute_fits(const struct field_def *f, const json_t *v)
{
	if (f->kind == FIELD_NUMERIC)
		return json_is_number(v);
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

/* Numbers are stored as reals so that 5000 and 5000.0 compare (and store) alike. */
static json_t *
attribute_new(const struct field_def *f, const json_t *v)
{
	if (f->kind == FIELD_NUMERIC)
		return json_real(json_number_value(v));
	return json_stringn(json_string_value(v), json_string_length(v));
}

/* Sets attribute f to v (which fits it). -1 on out of memory; set_new frees
 * the new value on failure. */
static int
attribute_set(json_t *attrs, const struct field_def *f, const json_t *v)
{
	json_t *nv = attribute_new(f, v);

	if (nv == NULL || json_object_set_new(attrs, f->name, nv) == -1)
		return -1;
	return 0;
}

/* A value of the wrong type is ignored; out of memory leaves the previous value. */
static int
copy_attribute(json_t *attrs, const struct field_def *f, const json_t *v)
{
	const json_t *cur = json_object_get(attrs, f->name);

	if (json_is_null(v)) {
		if (cur == NULL)
			return 0;
		json_object_del(attrs, f->name);
		return 1;
	}
	if (!attribute_fits(f, v))
		return 0;
	if (cur != NULL &&
	    (f->kind == FIELD_NUMERIC ? json_number_value(cur) == json_number_value(v)
	                              : json_equal(cur, v)))
		return 0;
	return attribute_set(attrs, f, v) == 0;
}

static int
apply_attributes(struct fstate *st, const struct featspec *spec, const struct event *ev)
{
	int changed = 0;

	for (size_t i = 0; i < spec->nfields; i++) {
		const struct field_def *f = &spec->fields[i];
		const json_t *v;

		if (f->source != SOURCE_ATTRIBUTE)
			continue;
		v = json_object_get(ev->data, f->name);
		if (v != NULL && copy_attribute(st->attributes, f, v))
			changed = 1;
	}
	return changed;
}

int
fstate_apply(struct fstate *st, const struct featspec *spec, const struct event *ev)
{
	int changed = 0;

	if (st->first_seen_us == 0 || ev->time_us < st->first_seen_us) {
		st->first_seen_us = ev->time_us;
		changed = 1;
	}
	if (apply_signals(st, spec, ev))
		changed = 1;
	if (is_behaviour(ev->type) && mark_activity(st, ev->time_us))
		changed = 1;
	if (strcmp(ev->type, "contact.updated") == 0 && fstate_profile_fresh(st, ev)) {
		st->profile_at_us = ev->time_us;
		if (apply_attributes(st, spec, ev))
			changed = 1;
	}
	return changed;
}

int
fstate_profile_fresh(const struct fstate *st, const struct event *ev)
{
	return strcmp(ev->type, "contact.updated") != 0 || ev->time_us >= st->profile_at_us;
}

double
fstate_signal_at(const struct fstate *st, const struct featspec *spec, size_t i, int64_t as_of_us)
{
	double v;

	if (i >= st->nsignals || i >= spec->nsignals)
		return 0.0;
	v = st->signals[i];
	if (v == 0.0 || as_of_us <= st->signals_at_us)
		return v;
	return v * exp(-spec->signals[i].decay_per_us * diff_us(as_of_us, st->signals_at_us));
}

static double
clamp_days(double days)
{
	return fmin(fmax(days, 0.0), DERIVED_CAP_DAYS);
}

/* Distinct active days among the window's days ending with as_of's day. */
static double
active_days(const struct fstate *st, int64_t as_of_us)
{
	int64_t lo = st->active_day0 - day_of(as_of_us); /* bit of as_of's day */
	int64_t hi = lo + ACTIVE_WINDOW_DAYS - 1;        /* bit of the window's first day */
	uint64_t bits;

	if (st->active_bits == 0 || hi < 0 || lo > 63)
		return 0.0;
	if (lo < 0)
		lo = 0;
	if (hi > 63)
		hi = 63;
	bits = st->active_bits >> lo;
	if (hi - lo < 63)
		bits &= (UINT64_C(1) << (hi - lo + 1)) - 1;
	return (double)__builtin_popcountll(bits);
}

static double
derived_value(const struct fstate *st, size_t kind, int64_t as_of_us)
{
	switch (kind) {
	case DERIVED_DAYS_SINCE_ACTIVITY:
		if (st->last_activity_us == 0)
			return DERIVED_CAP_DAYS;
		return clamp_days(diff_us(as_of_us, st->last_activity_us) / (double)US_PER_DAY);
	case DERIVED_ACTIVE_DAYS_30:
		return active_days(st, as_of_us);
	case DERIVED_DAYS_KNOWN:
		if (st->first_seen_us == 0)
			return 0.0;
		return clamp_days(diff_us(as_of_us, st->first_seen_us) / (double)US_PER_DAY);
	default:
		return 0.0;
	}
}

static void
attribute_value(const struct fstate *st, const struct field_def *f, struct raw_value *rv)
{
	const json_t *v = json_object_get(st->attributes, f->name);

	if (f->kind == FIELD_NUMERIC && json_is_number(v))
		rv->num = json_number_value(v);
	else if (f->kind == FIELD_CATEGORICAL && json_is_string(v))
		rv->str = json_string_value(v);
	else
		rv->missing = 1;
}

void
fstate_row(const struct fstate *st, const struct featspec *spec, int64_t as_of_us,
           struct raw_row *row)
{
	size_t n = row->n < spec->nfields ? row->n : spec->nfields;

	for (size_t i = 0; i < n; i++) {
		const struct field_def *f = &spec->fields[i];
		struct raw_value *rv = &row->values[i];

		memset(rv, 0, sizeof(*rv));
		switch (f->source) {
		case SOURCE_SIGNAL:
			rv->num = fstate_signal_at(st, spec, f->source_index, as_of_us);
			break;
		case SOURCE_ATTRIBUTE:
			attribute_value(st, f, rv);
			break;
		case SOURCE_DERIVED:
			rv->num = derived_value(st, f->source_index, as_of_us);
			break;
		}
	}
}

/* Zero signals are left out (they read back as zero), which keeps the stored
 * state small for the many contacts with little activity. */
static int
signals_to_json(const struct fstate *st, const struct featspec *spec, json_t *s)
{
	for (size_t i = 0; i < spec->nfields; i++) {
		const struct field_def *f = &spec->fields[i];
		double v;

		if (f->source != SOURCE_SIGNAL || f->source_index >= st->nsignals)
			continue;
		v = st->signals[f->source_index];
		if (v != 0.0 && json_object_set_new(s, f->name, json_real(v)) == -1)
			return -1;
	}
	return 0;
}

json_t *
fstate_to_json(const struct fstate *st, const struct featspec *spec)
{
	json_t *o = json_object(), *s = json_object();
	json_t *a = st->attributes != NULL ? json_deep_copy(st->attributes) : json_object();
	char bits[17];
	int bad;

	snprintf(bits, sizeof(bits), "%016" PRIx64, st->active_bits);
	bad = o == NULL || s == NULL || a == NULL || signals_to_json(st, spec, s) == -1;
	/* set_new takes its value even on failure, so s and a are never freed twice. */
	bad |= json_object_set_new(o, "s", s) == -1;
	bad |= json_object_set_new(o, "a", a) == -1;
	bad |= json_object_set_new(o, "v", json_integer(STATE_VERSION)) == -1;
	bad |= json_object_set_new(o, "at", json_integer(st->signals_at_us)) == -1;
	bad |= json_object_set_new(o, "first", json_integer(st->first_seen_us)) == -1;
	bad |= json_object_set_new(o, "last", json_integer(st->last_activity_us)) == -1;
	bad |= json_object_set_new(o, "d0", json_integer(st->active_day0)) == -1;
	bad |= json_object_set_new(o, "pa", json_integer(st->profile_at_us)) == -1;
	bad |= json_object_set_new(o, "bits", json_string(bits)) == -1;
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
state_key_known(const char *key)
{
	for (size_t i = 0; i < sizeof(state_keys) / sizeof(state_keys[0]); i++) {
		if (strcmp(key, state_keys[i]) == 0)
			return 1;
	}
	return 0;
}

static int
get_int64(const json_t *stored, const char *key, int64_t *out, struct ls_err *err)
{
	const json_t *v = json_object_get(stored, key);

	if (!json_is_integer(v))
		return ls_err_set(err, "state.%s must be an integer", key);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int
parse_bits(const json_t *v, uint64_t *out, struct ls_err *err)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	uint64_t bits = 0;

	if (!json_is_string(v) || n == 0 || n > 16)
		return ls_err_set(err, "state.bits must be a string of 1 to 16 hex digits");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return ls_err_set(err, "state.bits must be a string of 1 to 16 hex digits");
		bits = bits << 4 | d;
	}
	*out = bits;
	return 0;
}

/* Every stored value is checked, known name or not: a bad one means the
 * stored state is corrupt, not merely from another spec. */
static int
signals_from_json(struct fstate *st, const struct featspec *spec, const json_t *s,
                  struct ls_err *err)
{
	const char *name;
	json_t *v;

	if (!json_is_object(s))
		return ls_err_set(err, "state.s must be an object");
	json_object_foreach((json_t *)s, name, v)
	{
		long idx;

		if (!json_is_number(v) || !(json_number_value(v) >= 0.0))
			return ls_err_set(err, "state.s.%s must be a number >= 0", name);
		idx = featspec_field_index(spec, name);
		if (idx >= 0 && spec->fields[idx].source == SOURCE_SIGNAL &&
		    spec->fields[idx].source_index < st->nsignals)
			st->signals[spec->fields[idx].source_index] = json_number_value(v);
	}
	return 0;
}

/* A value whose kind no longer matches the spec's field is dropped: the state
 * is valid, only written under another spec. */
static int
attributes_from_json(struct fstate *st, const struct featspec *spec, const json_t *a,
                     struct ls_err *err)
{
	const char *name;
	json_t *v;

	if (!json_is_object(a))
		return ls_err_set(err, "state.a must be an object");
	json_object_foreach((json_t *)a, name, v)
	{
		long idx;
		const struct field_def *f;

		if (!json_is_number(v) && !json_is_string(v))
			return ls_err_set(err, "state.a.%s must be a number or a string", name);
		idx = featspec_field_index(spec, name);
		if (idx < 0)
			continue;
		f = &spec->fields[idx];
		if (f->source != SOURCE_ATTRIBUTE || !attribute_fits(f, v))
			continue;
		if (attribute_set(st->attributes, f, v) == -1)
			return ls_err_set(err, "out of memory");
	}
	return 0;
}

static int
parse_state(struct fstate *st, const struct featspec *spec, const json_t *stored,
            struct ls_err *err)
{
	const char *key;
	json_t *v;
	int64_t version = 0;

	if (!json_is_object(stored))
		return ls_err_set(err, "state must be a JSON object");
	json_object_foreach((json_t *)stored, key, v)
	{
		if (!state_key_known(key))
			return ls_err_set(err, "state: unknown key \"%s\"", key);
	}
	if (get_int64(stored, "v", &version, err) == -1)
		return -1;
	if (version != STATE_VERSION)
		return ls_err_set(err, "state.v is %" PRId64 ", this build reads version %d",
		                  version, STATE_VERSION);
	if (get_int64(stored, "at", &st->signals_at_us, err) == -1 ||
	    get_int64(stored, "first", &st->first_seen_us, err) == -1 ||
	    get_int64(stored, "last", &st->last_activity_us, err) == -1 ||
	    get_int64(stored, "d0", &st->active_day0, err) == -1 ||
	    (json_object_get(stored, "pa") != NULL && /* absent in states stored before it */
	     get_int64(stored, "pa", &st->profile_at_us, err) == -1) ||
	    parse_bits(json_object_get(stored, "bits"), &st->active_bits, err) == -1 ||
	    signals_from_json(st, spec, json_object_get(stored, "s"), err) == -1)
		return -1;
	return attributes_from_json(st, spec, json_object_get(stored, "a"), err);
}

int
fstate_from_json(struct fstate *st, const struct featspec *spec, const json_t *stored,
                 struct ls_err *err)
{
	struct fstate tmp;

	memset(st, 0, sizeof(*st));
	if (fstate_init(&tmp, spec) == -1)
		return ls_err_set(err, "out of memory");
	if (parse_state(&tmp, spec, stored, err) == -1) {
		fstate_clear(&tmp);
		return -1;
	}
	*st = tmp;
	return 0;
}
