/* encoder.c: raw rows to dense model vectors: impute, transform, standardise, one-hot. */
#include "encoder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    [FIELD_NUMERIC] = "numeric", [FIELD_CATEGORICAL] = "categorical"};
static const char *const group_names[] = {[GROUP_FIT] = "fit", [GROUP_ENGAGEMENT] = "engagement"};
static const char *const transform_names[] = {
    [TRANSFORM_NONE] = "none", [TRANSFORM_LOG1P] = "log1p"};

#define NAMES_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A std this small relative to the mean is rounding noise of a constant column. */
#define STD_NEGLIGIBLE 1e-12

static char *
str_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static void
input_clear(struct encoder_input *in)
{
	size_t i;

	free(in->name);
	for (i = 0; i < in->nlevels; i++)
		free(in->levels[i]);
	free(in->levels);
	free(in->by_name);
	for (i = 0; i < in->nmissing; i++)
		free(in->missing[i]);
	free(in->missing);
	free(in->bins);
}

void
encoder_free(struct encoder *enc)
{
	size_t i;

	if (enc == NULL)
		return;
	for (i = 0; i < enc->ninputs; i++)
		input_clear(&enc->inputs[i]);
	free(enc->inputs);
	for (i = 0; i < enc->dim && enc->colnames != NULL; i++)
		free(enc->colnames[i]);
	free(enc->colnames);
	free(enc->colinput);
	free(enc);
}

size_t
encoder_dim(const struct encoder *enc)
{
	return enc->dim;
}

/* An encoder with n blank inputs (numeric, mean 0, std 1), to be filled and then finished. */
static struct encoder *
enc_alloc(size_t n, struct ls_err *err)
{
	struct encoder *enc = calloc(1, sizeof(*enc));
	size_t i;

	if (enc == NULL || (enc->inputs = calloc(n ? n : 1, sizeof(*enc->inputs))) == NULL) {
		free(enc);
		ls_err_set(err, "out of memory");
		return NULL;
	}
	enc->ninputs = n;
	for (i = 0; i < n; i++)
		enc->inputs[i].std = 1.0;
	return enc;
}

static int
set_name(struct encoder_input *in, const char *name, struct ls_err *err)
{
	if (name == NULL || name[0] == '\0')
		return ls_err_set(err, "input with an empty name");
	if ((in->name = str_dup(name)) == NULL)
		return ls_err_set(err, "out of memory");
	return 0;
}

/* Copies n levels into in (levels may be NULL when n is 0). */
static int
set_levels(struct encoder_input *in, char *const *levels, size_t n, struct ls_err *err)
{
	size_t i;

	if ((in->levels = calloc(n ? n : 1, sizeof(char *))) == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < n; i++) {
		if ((in->levels[i] = str_dup(levels[i])) == NULL)
			return ls_err_set(err, "out of memory");
		in->nlevels++;
	}
	return 0;
}

/* Sorts pointers into the levels array, so the index of each is its offset (qsort_r is not C11). */
static int
cmp_level_ptr(const void *a, const void *b)
{
	return strcmp(**(char **const *)a, **(char **const *)b);
}

static int
check_levels(struct encoder_input *in, struct ls_err *err)
{
	char ***order;
	size_t i;

	for (i = 0; i < in->nlevels; i++) {
		if (in->levels[i][0] == '\0')
			return ls_err_set(err, "input \"%s\": empty level", in->name);
		if (strcmp(in->levels[i], ENCODER_OTHER) == 0 ||
		    strcmp(in->levels[i], ENCODER_MISSING) == 0)
			return ls_err_set(err, "input \"%s\": level \"%s\" is reserved", in->name,
			                  in->levels[i]);
	}
	in->by_name = calloc(in->nlevels ? in->nlevels : 1, sizeof(size_t));
	order = calloc(in->nlevels ? in->nlevels : 1, sizeof(char **));
	if (in->by_name == NULL || order == NULL) {
		free(order);
		return ls_err_set(err, "out of memory");
	}
	for (i = 0; i < in->nlevels; i++)
		order[i] = &in->levels[i];
	qsort(order, in->nlevels, sizeof(char **), cmp_level_ptr);
	for (i = 0; i < in->nlevels; i++)
		in->by_name[i] = (size_t)(order[i] - in->levels);
	free(order);
	for (i = 1; i < in->nlevels; i++)
		if (strcmp(in->levels[in->by_name[i - 1]], in->levels[in->by_name[i]]) == 0)
			return ls_err_set(err, "input \"%s\": level \"%s\" appears twice", in->name,
			                  in->levels[in->by_name[i]]);
	return 0;
}

static long level_index(const struct encoder_input *in, const char *s);

/* Missing tokens (from a manifest) must be non-empty and not also levels. */
static int
check_missing(const struct encoder_input *in, struct ls_err *err)
{
	size_t k;

	for (k = 0; k < in->nmissing; k++) {
		if (in->missing[k][0] == '\0')
			return ls_err_set(err, "input \"%s\": empty missing token", in->name);
		if (level_index(in, in->missing[k]) >= 0)
			return ls_err_set(err, "input \"%s\": \"%s\" is both a level and missing",
			                  in->name, in->missing[k]);
	}
	return 0;
}

static int
check_input(struct encoder_input *in, struct ls_err *err)
{
	if ((size_t)in->kind >= NAMES_LEN(kind_names) ||
	    (size_t)in->group >= NAMES_LEN(group_names) ||
	    (size_t)in->transform >= NAMES_LEN(transform_names))
		return ls_err_set(err, "input \"%s\": bad kind, group or transform", in->name);
	if (in->kind == FIELD_CATEGORICAL)
		return check_levels(in, err) < 0 ? -1 : check_missing(in, err);
	if (!isfinite(in->impute) || !isfinite(in->mean))
		return ls_err_set(err, "input \"%s\": impute and mean must be finite", in->name);
	if (!isfinite(in->std) || in->std <= 0)
		return ls_err_set(err, "input \"%s\": std must be positive", in->name);
	for (size_t k = 0; k < in->nbins; k++)
		if (!isfinite(in->bins[k]) || (k > 0 && !(in->bins[k] > in->bins[k - 1])))
			return ls_err_set(
			    err, "input \"%s\": bins must be increasing finite numbers", in->name);
	return 0;
}

static char *
column_name(const char *field, const char *level)
{
	size_t nf = strlen(field), nl = strlen(level);
	char *s = malloc(nf + nl + 2);

	if (s == NULL)
		return NULL;
	memcpy(s, field, nf);
	s[nf] = '=';
	memcpy(s + nf + 1, level, nl + 1);
	return s;
}

static char *
bin_name(const char *field, size_t k)
{
	size_t n = strlen(field) + 24;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s:q%zu", field, k);
	return s;
}

static int
name_columns(struct encoder *enc, struct ls_err *err)
{
	size_t i, k, j = 0;

	enc->colnames = calloc(enc->dim ? enc->dim : 1, sizeof(char *));
	enc->colinput = calloc(enc->dim ? enc->dim : 1, sizeof(size_t));
	if (enc->colnames == NULL || enc->colinput == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < enc->ninputs; i++) {
		const struct encoder_input *in = &enc->inputs[i];

		for (k = 0; k < in->ncols; k++, j++) {
			enc->colinput[j] = i;
			if (in->kind == FIELD_NUMERIC)
				enc->colnames[j] =
				    k == 0 ? str_dup(in->name) : bin_name(in->name, k);
			else if (k < in->nlevels)
				enc->colnames[j] = column_name(in->name, in->levels[k]);
			else
				enc->colnames[j] = column_name(
				    in->name, k == in->nlevels ? ENCODER_OTHER : ENCODER_MISSING);
			if (enc->colnames[j] == NULL)
				return ls_err_set(err, "out of memory");
		}
	}
	return 0;
}

/* Places every input's columns one after another and names them. */
static int
enc_layout(struct encoder *enc, struct ls_err *err)
{
	size_t i;

	for (i = 0; i < enc->dim && enc->colnames != NULL; i++)
		free(enc->colnames[i]);
	free(enc->colnames);
	free(enc->colinput);
	enc->colnames = NULL;
	enc->colinput = NULL;
	enc->dim = 0;
	for (i = 0; i < enc->ninputs; i++) {
		struct encoder_input *in = &enc->inputs[i];

		in->col = enc->dim;
		if (in->kind == FIELD_NUMERIC)
			in->ncols = 1 + (in->nbins > 0 ? in->nbins + 1 : 0);
		else
			in->ncols = in->nlevels + 2;
		enc->dim += in->ncols;
	}
	return name_columns(enc, err);
}

/* Validates the filled inputs and lays out the columns; frees enc on error. */
static struct encoder *
enc_finish(struct encoder *enc, struct ls_err *err)
{
	size_t i, k;

	if (enc->ninputs == 0) {
		ls_err_set(err, "no inputs");
		goto fail;
	}
	for (i = 0; i < enc->ninputs; i++) {
		struct encoder_input *in = &enc->inputs[i];

		for (k = 0; k < i; k++)
			if (strcmp(enc->inputs[k].name, in->name) == 0) {
				ls_err_set(err, "input \"%s\" appears twice", in->name);
				goto fail;
			}
		if (check_input(in, err) < 0)
			goto fail;
	}
	if (enc_layout(enc, err) < 0)
		goto fail;
	return enc;
fail:
	encoder_free(enc);
	return NULL;
}

struct encoder *
encoder_from_spec(const struct featspec *spec, struct ls_err *err)
{
	struct encoder *enc = enc_alloc(spec->nfields, err);
	size_t i;

	if (enc == NULL)
		return NULL;
	for (i = 0; i < spec->nfields; i++) {
		const struct field_def *f = &spec->fields[i];
		struct encoder_input *in = &enc->inputs[i];

		in->kind = f->kind;
		in->group = f->group;
		in->transform = f->kind == FIELD_NUMERIC ? f->transform : TRANSFORM_NONE;
		if (set_name(in, f->name, err) < 0 ||
		    (f->kind == FIELD_CATEGORICAL &&
		     set_levels(in, f->levels, f->nlevels, err) < 0)) {
			encoder_free(enc);
			return NULL;
		}
	}
	return enc_finish(enc, err);
}

/* The numeric value before standardisation: imputed, then transformed. */
static double
transformed(const struct encoder_input *in, const struct raw_value *v)
{
	double x = v->missing || !isfinite(v->num) ? in->impute : v->num;

	if (in->transform == TRANSFORM_LOG1P)
		x = log1p(x < 0 ? 0 : x);
	return x;
}

static long
level_index(const struct encoder_input *in, const char *s)
{
	size_t lo = 0, hi = in->nlevels;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s, in->levels[in->by_name[mid]]);

		if (c == 0)
			return (long)in->by_name[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int
is_missing(const struct encoder_input *in, const struct raw_value *v)
{
	size_t k;

	if (v->missing || v->str == NULL || v->str[0] == '\0')
		return 1;
	for (k = 0; k < in->nmissing; k++)
		if (strcmp(v->str, in->missing[k]) == 0)
			return 1;
	return 0;
}

static void
encode_input(const struct encoder_input *in, const struct raw_value *v, double *out)
{
	size_t k;
	long li;

	if (in->kind == FIELD_NUMERIC) {
		double x = transformed(in, v);
		size_t lo = 0, hi = in->nbins;

		out[in->col] = (x - in->mean) / in->std;
		if (in->nbins == 0)
			return;
		while (lo < hi) { /* the number of cut points <= x */
			size_t mid = lo + (hi - lo) / 2;

			if (in->bins[mid] <= x)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (k = 0; k <= in->nbins; k++)
			out[in->col + 1 + k] = k == lo ? 1.0 : 0.0;
		return;
	}
	for (k = 0; k < in->ncols; k++)
		out[in->col + k] = 0.0;
	if (is_missing(in, v))
		k = in->nlevels + 1;
	else if ((li = level_index(in, v->str)) >= 0)
		k = (size_t)li;
	else
		k = in->nlevels;
	out[in->col + k] = 1.0;
}

int
encoder_encode(const struct encoder *enc, const struct raw_row *row, double *out)
{
	size_t i;

	if (row->n != enc->ninputs)
		return -1;
	for (i = 0; i < enc->ninputs; i++)
		encode_input(&enc->inputs[i], &row->values[i], out);
	return 0;
}

void
encoder_encode_missing(const struct encoder *enc, double *out)
{
	static const struct raw_value missing = {1, 0.0, NULL};
	size_t i;

	for (i = 0; i < enc->ninputs; i++)
		encode_input(&enc->inputs[i], &missing, out);
}

/* ---- fitting ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Median of the observed values, then mean and std of all transformed values. */
static void
fit_numeric(struct encoder_input *in, const struct raw_row *rows, size_t nrows, size_t col,
            double *scratch)
{
	double sum = 0, ss = 0, t;
	size_t i, n = 0;

	for (i = 0; i < nrows; i++) {
		const struct raw_value *v = &rows[i].values[col];

		if (!v->missing && isfinite(v->num))
			scratch[n++] = v->num;
	}
	qsort(scratch, n, sizeof(double), cmp_double);
	if (n > 0)
		in->impute = n % 2 ? scratch[n / 2] : (scratch[n / 2 - 1] + scratch[n / 2]) / 2;
	if (nrows == 0)
		return;
	for (i = 0; i < nrows; i++)
		sum += transformed(in, &rows[i].values[col]);
	in->mean = sum / (double)nrows;
	for (i = 0; i < nrows; i++) {
		t = transformed(in, &rows[i].values[col]) - in->mean;
		ss += t * t;
	}
	in->std = sqrt(ss / (double)nrows);
	if (!(in->std > STD_NEGLIGIBLE * (1 + fabs(in->mean))))
		in->std = 1.0;
}

/* Levels seen at least min_count times, in strcmp order. */
static int
fit_categorical(struct encoder_input *in, const struct raw_row *rows, size_t nrows, size_t col,
                size_t min_count, const char **scratch, struct ls_err *err)
{
	size_t i, j, n = 0, nkept = 0;

	for (i = 0; i < nrows; i++)
		if (!is_missing(in, &rows[i].values[col]))
			scratch[n++] = rows[i].values[col].str;
	qsort(scratch, n, sizeof(char *), cmp_str);
	/* Compact the kept levels to the front of scratch, then copy them. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(scratch[i], scratch[j]) == 0; j++)
			;
		if (j - i >= min_count)
			scratch[nkept++] = scratch[i];
	}
	return set_levels(in, (char *const *)scratch, nkept, err);
}

static int
fit_fields(struct encoder *enc, const struct encoder_field *fields, const struct raw_row *rows,
           size_t nrows, size_t min_count, void *scratch, struct ls_err *err)
{
	size_t i;

	for (i = 0; i < enc->ninputs; i++) {
		struct encoder_input *in = &enc->inputs[i];
		const struct encoder_field *f = &fields[i];

		in->kind = f->kind;
		in->group = f->group;
		in->transform = f->kind == FIELD_NUMERIC ? f->transform : TRANSFORM_NONE;
		if (set_name(in, f->name, err) < 0)
			return -1;
		if ((size_t)f->kind >= NAMES_LEN(kind_names))
			return ls_err_set(err, "input \"%s\": bad kind", in->name);
		if (f->kind == FIELD_NUMERIC)
			fit_numeric(in, rows, nrows, i, scratch);
		else if (fit_categorical(in, rows, nrows, i, min_count, scratch, err) < 0)
			return -1;
	}
	return 0;
}

struct encoder *
encoder_fit(const struct encoder_field *fields, size_t nfields, const struct raw_row *rows,
            size_t nrows, size_t min_level_count, struct ls_err *err)
{
	struct encoder *enc;
	void *scratch;
	size_t i, slot = sizeof(double) > sizeof(char *) ? sizeof(double) : sizeof(char *);

	for (i = 0; i < nrows; i++)
		if (rows[i].n != nfields) {
			ls_err_set(err, "row %zu has %zu values, expected %zu", i, rows[i].n,
			           nfields);
			return NULL;
		}
	if ((enc = enc_alloc(nfields, err)) == NULL)
		return NULL;
	if ((scratch = calloc(nrows ? nrows : 1, slot)) == NULL) {
		ls_err_set(err, "out of memory");
		encoder_free(enc);
		return NULL;
	}
	if (fit_fields(enc, fields, rows, nrows, min_level_count ? min_level_count : 1, scratch,
	               err) < 0) {
		free(scratch);
		encoder_free(enc);
		return NULL;
	}
	free(scratch);
	return enc_finish(enc, err);
}

/* The first index of sorted t[0..n) holding a value >= x. */
static size_t
lower_bound(const double *t, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Quantile cut points of one input, each leaving at least min_count rows on both sides of it
 * within its neighbours. */
static int
fit_input_bins(struct encoder_input *in, double *t, size_t n, size_t nbins, size_t min_count,
               struct ls_err *err)
{
	size_t q, below = 0, k = 0;
	double *cuts = malloc(nbins * sizeof(double));

	if (cuts == NULL)
		return ls_err_set(err, "out of memory");
	qsort(t, n, sizeof(double), cmp_double);
	for (q = 1; q < nbins && n > 0; q++) {
		double c = t[(size_t)((double)q * (double)n / (double)nbins)];
		size_t at = lower_bound(t, n, c); /* rows below the cut */

		if (at - below < min_count || n - at < min_count || (k > 0 && c <= cuts[k - 1]))
			continue;
		cuts[k++] = c;
		below = at;
	}
	free(in->bins);
	in->bins = NULL;
	in->nbins = 0;
	if (k == 0) {
		free(cuts);
		return 0;
	}
	in->bins = cuts;
	in->nbins = k;
	return 0;
}

int
encoder_fit_bins(struct encoder *enc, const struct raw_row *rows, size_t nrows, size_t nbins,
                 size_t min_count, struct ls_err *err)
{
	double *t = malloc((nrows ? nrows : 1) * sizeof(double));
	size_t i, r;

	if (t == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < enc->ninputs; i++) {
		struct encoder_input *in = &enc->inputs[i];

		if (in->kind != FIELD_NUMERIC)
			continue;
		if (nbins < 2) {
			free(in->bins);
			in->bins = NULL;
			in->nbins = 0;
			continue;
		}
		for (r = 0; r < nrows; r++) {
			if (rows[r].n != enc->ninputs) {
				free(t);
				return ls_err_set(err, "row %zu has %zu values, expected %zu", r,
				                  rows[r].n, enc->ninputs);
			}
			t[r] = transformed(in, &rows[r].values[i]);
		}
		if (fit_input_bins(in, t, nrows, nbins, min_count ? min_count : 1, err) < 0) {
			free(t);
			return -1;
		}
	}
	free(t);
	return enc_layout(enc, err);
}

/* Copies n tokens into in->missing, refusing empty ones and known levels. */
static int
set_missing(struct encoder_input *in, char *const *tokens, size_t n, struct ls_err *err)
{
	size_t k;

	if ((in->missing = calloc(n ? n : 1, sizeof(char *))) == NULL)
		return ls_err_set(err, "out of memory");
	for (k = 0; k < n; k++) {
		if (tokens[k] == NULL || tokens[k][0] == '\0')
			return ls_err_set(err, "input \"%s\": empty missing token", in->name);
		if (level_index(in, tokens[k]) >= 0)
			return ls_err_set(err, "input \"%s\": \"%s\" is both a level and missing",
			                  in->name, tokens[k]);
		if ((in->missing[k] = str_dup(tokens[k])) == NULL)
			return ls_err_set(err, "out of memory");
		in->nmissing++;
	}
	return 0;
}

static void
clear_missing(struct encoder_input *in)
{
	size_t k;

	for (k = 0; k < in->nmissing; k++)
		free(in->missing[k]);
	free(in->missing);
	in->missing = NULL;
	in->nmissing = 0;
}

int
encoder_set_missing(struct encoder *enc, const char *const *tokens, size_t n, struct ls_err *err)
{
	size_t i;

	for (i = 0; i < enc->ninputs; i++) {
		struct encoder_input *in = &enc->inputs[i];

		if (in->kind != FIELD_CATEGORICAL)
			continue;
		clear_missing(in);
		if (set_missing(in, (char *const *)tokens, n, err) < 0) {
			clear_missing(in);
			return -1;
		}
	}
	return 0;
}

/* ---- JSON ---- */

static int
set_new(json_t *obj, const char *key, json_t *val)
{
	return json_object_set_new(obj, key, val);
}

static json_t *
input_to_json(const struct encoder_input *in)
{
	json_t *o = json_object(), *levels = NULL;
	size_t k;
	int bad;

	if (o == NULL)
		return NULL;
	bad = set_new(o, "name", json_string(in->name)) ||
	      set_new(o, "kind", json_string(kind_names[in->kind])) ||
	      set_new(o, "group", json_string(group_names[in->group]));
	if (!bad && in->kind == FIELD_NUMERIC) {
		bad = set_new(o, "transform", json_string(transform_names[in->transform])) ||
		      set_new(o, "impute", json_real(in->impute)) ||
		      set_new(o, "mean", json_real(in->mean)) ||
		      set_new(o, "std", json_real(in->std));
		/* Written only when set, so manifests without bins keep their old form. */
		if (!bad && in->nbins > 0)
			bad = (levels = json_array()) == NULL || set_new(o, "bins", levels);
		for (k = 0; !bad && k < in->nbins; k++)
			bad = json_array_append_new(levels, json_real(in->bins[k]));
	} else if (!bad) {
		bad = (levels = json_array()) == NULL || set_new(o, "levels", levels);
		for (k = 0; !bad && k < in->nlevels; k++)
			bad = json_array_append_new(levels, json_string(in->levels[k]));
		/* Written only when set, so manifests without tokens keep their old form. */
		if (!bad && in->nmissing > 0)
			bad = (levels = json_array()) == NULL || set_new(o, "missing", levels);
		for (k = 0; !bad && k < in->nmissing; k++)
			bad = json_array_append_new(levels, json_string(in->missing[k]));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
encoder_to_json(const struct encoder *enc)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < enc->ninputs; i++)
		if (json_array_append_new(a, input_to_json(&enc->inputs[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int
parse_enum(const json_t *v, const char *const *names, size_t n, unsigned *out)
{
	size_t i;

	if (!json_is_string(v))
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	return -1;
}

static int
parse_number(const json_t *o, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int
parse_levels(struct encoder_input *in, const json_t *a, struct ls_err *err)
{
	size_t k;

	if (!json_is_array(a))
		return ls_err_set(err, "levels must be an array of strings");
	if ((in->levels = calloc(json_array_size(a) + 1, sizeof(char *))) == NULL)
		return ls_err_set(err, "out of memory");
	for (k = 0; k < json_array_size(a); k++) {
		const json_t *s = json_array_get(a, k);

		if (!json_is_string(s))
			return ls_err_set(err, "levels must be an array of strings");
		if ((in->levels[k] = str_dup(json_string_value(s))) == NULL)
			return ls_err_set(err, "out of memory");
		in->nlevels++;
	}
	return 0;
}

/* The optional "bins" array of numbers (absent: none); checked with the input. */
static int
parse_bins(struct encoder_input *in, const json_t *a, struct ls_err *err)
{
	size_t k;

	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return ls_err_set(err, "bins must be a non-empty array of numbers");
	if ((in->bins = calloc(json_array_size(a), sizeof(double))) == NULL)
		return ls_err_set(err, "out of memory");
	for (k = 0; k < json_array_size(a); k++) {
		const json_t *x = json_array_get(a, k);

		if (!json_is_number(x))
			return ls_err_set(err, "bins must be a non-empty array of numbers");
		in->bins[k] = json_number_value(x);
		in->nbins++;
	}
	return 0;
}

/* The optional "missing" array (absent: none). */
static int
parse_missing(struct encoder_input *in, const json_t *a, struct ls_err *err)
{
	size_t k;

	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return ls_err_set(err, "missing must be an array of strings");
	if ((in->missing = calloc(json_array_size(a) + 1, sizeof(char *))) == NULL)
		return ls_err_set(err, "out of memory");
	for (k = 0; k < json_array_size(a); k++) {
		const json_t *s = json_array_get(a, k);

		if (!json_is_string(s))
			return ls_err_set(err, "missing must be an array of strings");
		if ((in->missing[k] = str_dup(json_string_value(s))) == NULL)
			return ls_err_set(err, "out of memory");
		in->nmissing++;
	}
	return 0;
}

static int
check_keys(const json_t *o, const char *const *allowed, struct ls_err *err)
{
	const char *key;
	const json_t *v;
	size_t i;

	json_object_foreach((json_t *)o, key, v)
	{
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i] == NULL)
			return ls_err_set(err, "unknown key \"%s\"", key);
	}
	return 0;
}

static int
input_from_json(struct encoder_input *in, const json_t *o, struct ls_err *err)
{
	static const char *const numeric_keys[] = {"name", "kind", "group", "transform", "impute",
	                                           "mean", "std",  "bins",  NULL};
	static const char *const categorical_keys[] = {"name",   "kind",    "group",
	                                               "levels", "missing", NULL};
	const json_t *name = json_object_get(o, "name");
	unsigned kind, group, transform = TRANSFORM_NONE;

	if (!json_is_object(o))
		return ls_err_set(err, "not an object");
	if (!json_is_string(name) || set_name(in, json_string_value(name), err) < 0)
		return ls_err_set(err, "name must be a non-empty string");
	if (parse_enum(json_object_get(o, "kind"), kind_names, NAMES_LEN(kind_names), &kind) < 0)
		return ls_err_set(err, "\"%s\": kind must be \"numeric\" or \"categorical\"",
		                  in->name);
	if (parse_enum(json_object_get(o, "group"), group_names, NAMES_LEN(group_names), &group) <
	    0)
		return ls_err_set(err, "\"%s\": group must be \"fit\" or \"engagement\"", in->name);
	in->kind = (enum field_kind)kind;
	in->group = (enum field_group)group;
	if (check_keys(o, kind == FIELD_NUMERIC ? numeric_keys : categorical_keys, err) < 0)
		return ls_err_prefix(err, "\"%s\"", in->name);
	if (kind == FIELD_CATEGORICAL) {
		if (parse_levels(in, json_object_get(o, "levels"), err) < 0 ||
		    parse_missing(in, json_object_get(o, "missing"), err) < 0)
			return ls_err_prefix(err, "\"%s\"", in->name);
		return 0;
	}
	if (parse_enum(json_object_get(o, "transform"), transform_names, NAMES_LEN(transform_names),
	               &transform) < 0)
		return ls_err_set(err, "\"%s\": transform must be \"none\" or \"log1p\"", in->name);
	in->transform = (enum field_transform)transform;
	if (parse_number(o, "impute", &in->impute) < 0 || parse_number(o, "mean", &in->mean) < 0 ||
	    parse_number(o, "std", &in->std) < 0)
		return ls_err_set(err, "\"%s\": impute, mean and std must be finite numbers",
		                  in->name);
	if (parse_bins(in, json_object_get(o, "bins"), err) < 0)
		return ls_err_prefix(err, "\"%s\"", in->name);
	return 0;
}

struct encoder *
encoder_from_json(const json_t *inputs, struct ls_err *err)
{
	struct encoder *enc;
	size_t i;

	if (!json_is_array(inputs)) {
		ls_err_set(err, "inputs must be an array");
		return NULL;
	}
	if ((enc = enc_alloc(json_array_size(inputs), err)) == NULL)
		return NULL;
	for (i = 0; i < enc->ninputs; i++)
		if (input_from_json(&enc->inputs[i], json_array_get(inputs, i), err) < 0) {
			ls_err_prefix(err, "inputs[%zu]", i);
			encoder_free(enc);
			return NULL;
		}
	if ((enc = enc_finish(enc, err)) == NULL)
		ls_err_prefix(err, "inputs");
	return enc;
}
