/* featspec.h: the feature spec: which signals, attributes and derived values describe a contact. */
#ifndef LS_FEATSPEC_H
#define LS_FEATSPEC_H

#include <stddef.h>

#include "../daemon/err.h"

enum field_kind { FIELD_NUMERIC, FIELD_CATEGORICAL };
enum field_group { GROUP_FIT, GROUP_ENGAGEMENT };
enum field_source { SOURCE_SIGNAL, SOURCE_ATTRIBUTE, SOURCE_DERIVED };
enum field_transform { TRANSFORM_NONE, TRANSFORM_LOG1P };

/* Derived values the vectorizer knows how to compute. */
enum derived_kind {
	DERIVED_DAYS_SINCE_ACTIVITY, /* "days_since_last_activity": capped at 365 */
	DERIVED_ACTIVE_DAYS_30,	     /* "active_days_30": distinct days with behaviour, last 30 */
	DERIVED_DAYS_KNOWN,	     /* "days_known": since first seen, capped at 365 */
};

/* A signal: events of one type (optionally filtered on a data field) kept as
 * an exponentially decayed count with the given half-life. */
struct signal_def {
	char *type;	    /* CloudEvent type, e.g. "page.viewed" */
	char *data_field;   /* optional filter: data[data_field] ... */
	char *prefix;	    /* ... starts with prefix (NULL: no prefix filter) */
	char *equals;	    /* ... equals this string (NULL: no equality filter) */
	char *weight_field; /* optional: add data[weight_field] (number 0..1) instead of 1 */
	double half_life_s;
	double decay_per_us; /* ln 2 / half-life in us: decays by exp(-decay_per_us * dt) */
};

/* One model input, in raw-row order. */
struct field_def {
	char *name;
	enum field_kind kind;
	enum field_group group;
	enum field_source source;
	size_t source_index; /* into signals[], or the derived_kind, or attribute number */
	enum field_transform transform;
	double prior;	     /* starter-model weight for a numeric field (after transform) */
	char **levels;	     /* categorical: known levels */
	double *level_priors; /* categorical: starter weight per level */
	size_t nlevels;
};

struct featspec {
	int version;
	char hash[65];	     /* sha256 hex of the file's bytes: ties models to the spec */
	struct field_def *fields;
	size_t nfields;
	struct signal_def *signals;
	size_t nsignals;
	double starter_intercept;
	char **label_types;  /* event types that count as conversion */
	size_t nlabel_types;
	double label_horizon_days;
};

/* Loads and validates a spec from a JSON file or buffer. NULL with a reason on error. */
struct featspec *featspec_load(const char *path, struct ls_err *err) LS_MUST_CHECK;
struct featspec *featspec_parse(const char *json, size_t len, struct ls_err *err) LS_MUST_CHECK;
void featspec_free(struct featspec *spec);

/* Index of the field named name, or -1. */
long featspec_field_index(const struct featspec *spec, const char *name);

#endif
