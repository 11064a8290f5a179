/* featspec.c: reading and validating the feature spec file (strict JSON, exact error reasons). */
#include "featspec.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX_BYTES (1024 * 1024)
/* Long enough for any sensible name, short enough that "field=level" fits a
 * score reason (96 bytes) in full. */
#define SPEC_MAX_NAME 47
#define SPEC_MAX_LEVEL 47
#define SPEC_MAX_TYPE 128

static const char *const top_keys[] = {"version",    "label",   "starter", "signals",
                                       "attributes", "derived", NULL};
static const char *const label_keys[] = {"types", "horizon_days", NULL};
static const char *const starter_keys[] = {"intercept", NULL};
static const char *const signal_keys[] = {"name",           "type",      "where", "weight_field",
                                          "half_life_days", "transform", "prior", NULL};
static const char *const where_keys[] = {"field", "prefix", "equals", NULL};
static const char *const attr_keys[] = {"name", "kind", "transform", "prior", "levels", NULL};
static const char *const derived_keys[] = {"name", "transform", "prior", NULL};

static const char *const derived_names[] = {
    [DERIVED_DAYS_SINCE_ACTIVITY] = "days_since_last_activity",
    [DERIVED_ACTIVE_DAYS_30] = "active_days_30",
    [DERIVED_DAYS_KNOWN] = "days_known",
};
#define NDERIVED (sizeof(derived_names) / sizeof(derived_names[0]))

static int
key_allowed(const char *key, const char *const *allowed)
{
	for (size_t i = 0; allowed[i] != NULL; i++) {
		if (strcmp(key, allowed[i]) == 0)
			return 1;
	}
	return 0;
}

/* Unknown keys are errors so that a misspelt key is caught rather than ignored. */
static int
check_keys(const json_t *obj, const char *path, const char *const *allowed, struct ls_err *err)
{
	const char *key;
	json_t *val;
	char known[160];
	size_t used = 0;

	json_object_foreach((json_t *)obj, key, val)
	{
		if (key_allowed(key, allowed))
			continue;
		known[0] = '\0';
		for (size_t i = 0; allowed[i] != NULL && used < sizeof(known); i++) {
			int n = snprintf(known + used, sizeof(known) - used, "%s%s",
			                 i > 0 ? ", " : "", allowed[i]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		if (path[0] == '\0')
			return ls_err_set(err, "unknown top-level key \"%s\" (known keys: %s)", key,
			                  known);
		return ls_err_set(err, "%s: unknown key \"%s\" (known keys: %s)", path, key, known);
	}
	return 0;
}

/* Where a key sits, as the reasons name it: "signals[2].half_life_days", or
 * "version" at the top level (path ""). */
static const char *
locate(char *buf, size_t size, const char *path, const char *key)
{
	snprintf(buf, size, "%s%s%s", path, path[0] != '\0' ? "." : "", key);
	return buf;
}

static int
get_object(const json_t *parent, const char *key, const char *path, int required,
           const json_t **out, struct ls_err *err)
{
	const json_t *v = json_object_get(parent, key);
	char loc[96];

	*out = NULL;
	if (v == NULL) {
		if (required)
			return ls_err_set(err, "%s is missing",
			                  locate(loc, sizeof(loc), path, key));
		return 0;
	}
	if (!json_is_object(v))
		return ls_err_set(err, "%s must be an object", locate(loc, sizeof(loc), path, key));
	*out = v;
	return 0;
}

static int
get_string(const json_t *parent, const char *key, const char *path, int required, const char **out,
           struct ls_err *err)
{
	const json_t *v = json_object_get(parent, key);
	char loc[96];

	*out = NULL;
	if (v == NULL) {
		if (required)
			return ls_err_set(err, "%s is missing",
			                  locate(loc, sizeof(loc), path, key));
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return ls_err_set(err, "%s must be a non-empty string",
		                  locate(loc, sizeof(loc), path, key));
	*out = json_string_value(v);
	return 0;
}

/* *out keeps its default when the key is absent and not required. */
static int
get_number(const json_t *parent, const char *key, const char *path, int required, double *out,
           struct ls_err *err)
{
	const json_t *v = json_object_get(parent, key);
	char loc[96];

	if (v == NULL) {
		if (required)
			return ls_err_set(err, "%s is missing",
			                  locate(loc, sizeof(loc), path, key));
		return 0;
	}
	if (!json_is_number(v))
		return ls_err_set(err, "%s must be a number", locate(loc, sizeof(loc), path, key));
	*out = json_number_value(v);
	return 0;
}

static int
get_positive(const json_t *parent, const char *key, const char *path, double *out,
             struct ls_err *err)
{
	const json_t *v = json_object_get(parent, key);
	char loc[96];

	if (v == NULL || !json_is_number(v) || !(json_number_value(v) > 0))
		return ls_err_set(err, "%s must be a number > 0",
		                  locate(loc, sizeof(loc), path, key));
	*out = json_number_value(v);
	return 0;
}

static int
get_array(const json_t *parent, const char *key, const json_t **out, struct ls_err *err)
{
	const json_t *v = json_object_get(parent, key);

	*out = v;
	if (v != NULL && !json_is_array(v))
		return ls_err_set(err, "%s must be an array", key);
	return 0;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SPEC_MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static int
parse_transform(const json_t *obj, const char *path, enum field_transform dflt,
                enum field_transform *out, struct ls_err *err)
{
	const char *s;

	*out = dflt;
	if (get_string(obj, "transform", path, 0, &s, err) == -1)
		return ls_err_set(err, "%s.transform must be \"none\" or \"log1p\"", path);
	if (s == NULL)
		return 0;
	if (strcmp(s, "none") == 0)
		*out = TRANSFORM_NONE;
	else if (strcmp(s, "log1p") == 0)
		*out = TRANSFORM_LOG1P;
	else
		return ls_err_set(err, "%s.transform must be \"none\" or \"log1p\", not \"%s\"",
		                  path, s);
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* Names are unique across signals, attributes and derived values: a raw row
 * and a model manifest address fields by name. */
static int
add_field_name(struct featspec *spec, const json_t *obj, const char *path, struct ls_err *err)
{
	struct field_def *f = &spec->fields[spec->nfields];
	const char *name;

	if (get_string(obj, "name", path, 1, &name, err) == -1)
		return -1;
	if (!valid_name(name))
		return ls_err_set(err,
		                  "%s.name \"%s\" must match [a-z0-9_]+ (at most %d characters)",
		                  path, name, SPEC_MAX_NAME);
	if (featspec_field_index(spec, name) >= 0)
		return ls_err_set(err, "%s.name \"%s\" is used by an earlier field", path, name);
	f->name = strdup(name);
	if (f->name == NULL)
		return ls_err_set(err, "out of memory");
	spec->nfields++;
	return 0;
}

static int
parse_where(struct signal_def *sig, const json_t *sobj, const char *path, struct ls_err *err)
{
	const json_t *where;
	const char *field, *prefix, *equals;
	char wpath[64];

	if (get_object(sobj, "where", path, 0, &where, err) == -1)
		return -1;
	if (where == NULL)
		return 0;
	snprintf(wpath, sizeof(wpath), "%s.where", path);
	if (check_keys(where, wpath, where_keys, err) == -1 ||
	    get_string(where, "field", wpath, 1, &field, err) == -1)
		return -1;
	/* An empty string filter would be legal, but it is always a mistake. */
	if (get_string(where, "prefix", wpath, 0, &prefix, err) == -1 ||
	    get_string(where, "equals", wpath, 0, &equals, err) == -1)
		return -1;
	if ((prefix == NULL) == (equals == NULL))
		return ls_err_set(err, "%s needs exactly one of \"prefix\" or \"equals\"", wpath);
	sig->data_field = strdup(field);
	sig->prefix = dup_or_null(prefix);
	sig->equals = dup_or_null(equals);
	if (sig->data_field == NULL || (prefix != NULL && sig->prefix == NULL) ||
	    (equals != NULL && sig->equals == NULL))
		return ls_err_set(err, "out of memory");
	return 0;
}

static int
parse_signal(struct featspec *spec, const json_t *sobj, size_t i, struct ls_err *err)
{
	struct signal_def *sig = &spec->signals[i];
	struct field_def *f = &spec->fields[spec->nfields];
	const char *type, *weight;
	double half_life_days = 0;
	char path[48];

	snprintf(path, sizeof(path), "signals[%zu]", i);
	if (!json_is_object(sobj))
		return ls_err_set(err, "%s must be an object", path);
	if (check_keys(sobj, path, signal_keys, err) == -1 ||
	    add_field_name(spec, sobj, path, err) == -1)
		return -1;
	f->kind = FIELD_NUMERIC;
	f->group = GROUP_ENGAGEMENT;
	f->source = SOURCE_SIGNAL;
	f->source_index = i;
	if (get_string(sobj, "type", path, 1, &type, err) == -1)
		return -1;
	if (strlen(type) > SPEC_MAX_TYPE)
		return ls_err_set(err, "%s.type is longer than %d characters", path, SPEC_MAX_TYPE);
	if (get_string(sobj, "weight_field", path, 0, &weight, err) == -1 ||
	    get_positive(sobj, "half_life_days", path, &half_life_days, err) == -1 ||
	    parse_transform(sobj, path, TRANSFORM_LOG1P, &f->transform, err) == -1 ||
	    get_number(sobj, "prior", path, 0, &f->prior, err) == -1)
		return -1;
	spec->nsignals++;
	sig->half_life_s = half_life_days * 86400.0;
	sig->decay_per_us = log(2.0) / (sig->half_life_s * 1e6);
	if (!(sig->decay_per_us > 0) || !isfinite(sig->decay_per_us))
		return ls_err_set(err, "%s.half_life_days is out of range", path);
	sig->type = strdup(type);
	sig->weight_field = dup_or_null(weight);
	if (sig->type == NULL || (weight != NULL && sig->weight_field == NULL))
		return ls_err_set(err, "out of memory");
	return parse_where(sig, sobj, path, err);
}

static int
parse_levels(struct field_def *f, const json_t *aobj, const char *path, struct ls_err *err)
{
	const json_t *levels;
	const char *level;
	json_t *prior;
	size_t n = 0;

	if (get_object(aobj, "levels", path, 1, &levels, err) == -1)
		return -1;
	if (json_object_size(levels) == 0)
		return ls_err_set(err, "%s.levels must name at least one level", path);
	f->levels = calloc(json_object_size(levels), sizeof(*f->levels));
	f->level_priors = calloc(json_object_size(levels), sizeof(*f->level_priors));
	if (f->levels == NULL || f->level_priors == NULL)
		return ls_err_set(err, "out of memory");
	json_object_foreach((json_t *)levels, level, prior)
	{
		if (level[0] == '\0' || strlen(level) > SPEC_MAX_LEVEL)
			return ls_err_set(err, "%s.levels: a level name must be 1 to %d characters",
			                  path, SPEC_MAX_LEVEL);
		if (!json_is_number(prior))
			return ls_err_set(err, "%s.levels.%s must be a number (the level's prior)",
			                  path, level);
		f->levels[n] = strdup(level);
		if (f->levels[n] == NULL)
			return ls_err_set(err, "out of memory");
		f->level_priors[n] = json_number_value(prior);
		f->nlevels = ++n;
	}
	return 0;
}

static int
parse_attribute(struct featspec *spec, const json_t *aobj, size_t i, struct ls_err *err)
{
	struct field_def *f = &spec->fields[spec->nfields];
	const char *kind;
	char path[48];

	snprintf(path, sizeof(path), "attributes[%zu]", i);
	if (!json_is_object(aobj))
		return ls_err_set(err, "%s must be an object", path);
	if (check_keys(aobj, path, attr_keys, err) == -1 ||
	    add_field_name(spec, aobj, path, err) == -1)
		return -1;
	f->group = GROUP_FIT;
	f->source = SOURCE_ATTRIBUTE;
	f->source_index = i;
	f->transform = TRANSFORM_NONE;
	if (get_string(aobj, "kind", path, 1, &kind, err) == -1)
		return ls_err_set(err, "%s.kind must be \"numeric\" or \"categorical\"", path);
	if (strcmp(kind, "numeric") == 0) {
		f->kind = FIELD_NUMERIC;
		if (json_object_get(aobj, "levels") != NULL)
			return ls_err_set(err, "%s.levels is only for categorical attributes",
			                  path);
		if (parse_transform(aobj, path, TRANSFORM_NONE, &f->transform, err) == -1)
			return -1;
		return get_number(aobj, "prior", path, 0, &f->prior, err);
	}
	if (strcmp(kind, "categorical") == 0) {
		f->kind = FIELD_CATEGORICAL;
		if (json_object_get(aobj, "transform") != NULL)
			return ls_err_set(err, "%s.transform is only for numeric attributes", path);
		if (json_object_get(aobj, "prior") != NULL)
			return ls_err_set(err,
			                  "%s.prior is only for numeric attributes (a categorical "
			                  "one gives a prior per level)",
			                  path);
		return parse_levels(f, aobj, path, err);
	}
	return ls_err_set(err, "%s.kind must be \"numeric\" or \"categorical\", not \"%s\"", path,
	                  kind);
}

static int
parse_derived(struct featspec *spec, const json_t *dobj, size_t i, struct ls_err *err)
{
	struct field_def *f = &spec->fields[spec->nfields];
	char path[48];

	snprintf(path, sizeof(path), "derived[%zu]", i);
	if (!json_is_object(dobj))
		return ls_err_set(err, "%s must be an object", path);
	if (check_keys(dobj, path, derived_keys, err) == -1 ||
	    add_field_name(spec, dobj, path, err) == -1)
		return -1;
	f->kind = FIELD_NUMERIC;
	f->group = GROUP_ENGAGEMENT;
	f->source = SOURCE_DERIVED;
	f->source_index = NDERIVED;
	for (size_t k = 0; k < NDERIVED; k++) {
		if (strcmp(f->name, derived_names[k]) == 0)
			f->source_index = k;
	}
	if (f->source_index == NDERIVED)
		return ls_err_set(
		    err, "%s.name \"%s\" is not a known derived value (known: %s, %s, %s)", path,
		    f->name, derived_names[0], derived_names[1], derived_names[2]);
	if (parse_transform(dobj, path, TRANSFORM_NONE, &f->transform, err) == -1)
		return -1;
	return get_number(dobj, "prior", path, 0, &f->prior, err);
}

static int
parse_label(struct featspec *spec, const json_t *root, struct ls_err *err)
{
	const json_t *label, *types;
	size_t n;

	if (get_object(root, "label", "", 1, &label, err) == -1 ||
	    check_keys(label, "label", label_keys, err) == -1)
		return -1;
	types = json_object_get(label, "types");
	if (!json_is_array(types) || json_array_size(types) == 0)
		return ls_err_set(err, "label.types must be a non-empty array of event types");
	n = json_array_size(types);
	spec->label_types = calloc(n, sizeof(*spec->label_types));
	if (spec->label_types == NULL)
		return ls_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(types, i);
		if (!json_is_string(t) || json_string_length(t) == 0 ||
		    json_string_length(t) > SPEC_MAX_TYPE)
			return ls_err_set(err, "label.types[%zu] must be an event type (a string)",
			                  i);
		spec->label_types[i] = strdup(json_string_value(t));
		if (spec->label_types[i] == NULL)
			return ls_err_set(err, "out of memory");
		spec->nlabel_types = i + 1;
	}
	return get_positive(label, "horizon_days", "label", &spec->label_horizon_days, err);
}

static int
parse_header(struct featspec *spec, const json_t *root, struct ls_err *err)
{
	const json_t *v, *starter;

	if (!json_is_object(root))
		return ls_err_set(err, "the spec must be a JSON object");
	if (check_keys(root, "", top_keys, err) == -1)
		return -1;
	v = json_object_get(root, "version");
	if (v == NULL)
		return ls_err_set(err, "version is missing");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return ls_err_set(err, "version must be 1 (the only version this build reads)");
	spec->version = 1;
	if (parse_label(spec, root, err) == -1 ||
	    get_object(root, "starter", "", 0, &starter, err) == -1)
		return -1;
	if (starter == NULL)
		return 0;
	if (check_keys(starter, "starter", starter_keys, err) == -1)
		return -1;
	return get_number(starter, "intercept", "starter", 1, &spec->starter_intercept, err);
}

static int
parse_fields(struct featspec *spec, const json_t *root, struct ls_err *err)
{
	const json_t *sig, *attr, *der;
	size_t nsig, nattr, nder, total;

	if (get_array(root, "signals", &sig, err) == -1 ||
	    get_array(root, "attributes", &attr, err) == -1 ||
	    get_array(root, "derived", &der, err) == -1)
		return -1;
	nsig = json_array_size(sig);
	nattr = json_array_size(attr);
	nder = json_array_size(der);
	total = nsig + nattr + nder;
	if (total == 0)
		return ls_err_set(err,
		                  "the spec declares no fields (signals, attributes, derived)");
	spec->fields = calloc(total, sizeof(*spec->fields));
	spec->signals = calloc(nsig > 0 ? nsig : 1, sizeof(*spec->signals));
	if (spec->fields == NULL || spec->signals == NULL)
		return ls_err_set(err, "out of memory");
	for (size_t i = 0; i < nsig; i++) {
		if (parse_signal(spec, json_array_get(sig, i), i, err) == -1)
			return -1;
	}
	for (size_t i = 0; i < nattr; i++) {
		if (parse_attribute(spec, json_array_get(attr, i), i, err) == -1)
			return -1;
	}
	for (size_t i = 0; i < nder; i++) {
		if (parse_derived(spec, json_array_get(der, i), i, err) == -1)
			return -1;
	}
	return 0;
}

static int
hash_bytes(const char *buf, size_t len, char out[65], struct ls_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return ls_err_set(err, "cannot compute the spec's sha256");
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}

struct featspec *
featspec_parse(const char *json, size_t len, struct ls_err *err)
{
	struct featspec *spec;
	json_error_t jerr;
	json_t *root;

	if (len > SPEC_MAX_BYTES) {
		ls_err_set(err, "the spec is larger than %d bytes", SPEC_MAX_BYTES);
		return NULL;
	}
	/* Duplicate keys would make one of two settings silently win. */
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		ls_err_set(err, "not valid JSON: line %d column %d: %s", jerr.line, jerr.column,
		           jerr.text);
		return NULL;
	}
	spec = calloc(1, sizeof(*spec));
	if (spec == NULL) {
		ls_err_set(err, "out of memory");
	} else if (hash_bytes(json, len, spec->hash, err) == -1 ||
	           parse_header(spec, root, err) == -1 || parse_fields(spec, root, err) == -1) {
		featspec_free(spec);
		spec = NULL;
	}
	json_decref(root);
	return spec;
}

static char *
read_file(const char *path, size_t *len, struct ls_err *err)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n;

	if (fp == NULL) {
		ls_err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	/* One byte more than allowed, so that an oversized file is recognised. */
	buf = malloc(SPEC_MAX_BYTES + 1);
	if (buf == NULL) {
		fclose(fp);
		ls_err_set(err, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, SPEC_MAX_BYTES + 1, fp);
	if (ferror(fp)) {
		ls_err_set(err, "%s: cannot read: %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = n;
	return buf;
}

struct featspec *
featspec_load(const char *path, struct ls_err *err)
{
	struct featspec *spec;
	size_t len = 0;
	char *buf = read_file(path, &len, err);

	if (buf == NULL)
		return NULL;
	spec = featspec_parse(buf, len, err);
	free(buf);
	if (spec == NULL)
		ls_err_prefix(err, "%s", path);
	return spec;
}

static void
free_field(struct field_def *f)
{
	free(f->name);
	for (size_t i = 0; i < f->nlevels; i++)
		free(f->levels[i]);
	free(f->levels);
	free(f->level_priors);
}

static void
free_signal(struct signal_def *s)
{
	free(s->type);
	free(s->data_field);
	free(s->prefix);
	free(s->equals);
	free(s->weight_field);
}

void
featspec_free(struct featspec *spec)
{
	if (spec == NULL)
		return;
	/* A field or signal is counted as soon as it owns memory, so a spec
	 * abandoned midway through parsing frees cleanly too. */
	if (spec->fields != NULL) {
		for (size_t i = 0; i < spec->nfields; i++)
			free_field(&spec->fields[i]);
	}
	if (spec->signals != NULL) {
		for (size_t i = 0; i < spec->nsignals; i++)
			free_signal(&spec->signals[i]);
	}
	for (size_t i = 0; i < spec->nlabel_types; i++)
		free(spec->label_types[i]);
	free(spec->label_types);
	free(spec->fields);
	free(spec->signals);
	free(spec);
}

long
featspec_field_index(const struct featspec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nfields; i++) {
		if (strcmp(spec->fields[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}
