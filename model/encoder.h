/* encoder.h: raw rows to dense model vectors, the same in training and serving. */
#ifndef LS_ENCODER_H
#define LS_ENCODER_H

#include <jansson.h>
#include <stddef.h>

#include "../daemon/err.h"
#include "featspec.h"
#include "rawrow.h"

/*
 * Each raw field becomes one or more columns:
 * - numeric: one column. A missing (or non-finite) value takes the impute value, then the
 *   transform applies (log1p clamps negatives to 0 first), then (x - mean) / std. With bins
 *   (cut points on the transformed scale, from the training data's quantiles), one more
 *   column per bin follows, exactly one of them 1: a linear model then fits a curve instead
 *   of a line to the field.
 * - categorical: one column per level, then "__other__" (a level not in the list: unseen or
 *   pooled as rare) and "__missing__" (missing, NULL, "" or one of the input's missing tokens,
 *   such as a form's "Select"); exactly one of them is 1.
 * Column names are "field" (numeric), "field:q1".."field:qN" (its bins) and "field=level"
 * (categorical).
 */

#define ENCODER_OTHER "__other__"
#define ENCODER_MISSING "__missing__"

/* A field to encode, as the trainer (CSV columns) or the daemon (spec fields) knows it. */
struct encoder_field {
	const char *name;
	enum field_kind kind;
	enum field_group group;
	enum field_transform transform; /* numeric only */
};

/* One raw field as encoded. */
struct encoder_input {
	char *name;
	enum field_kind kind;
	enum field_group group;
	enum field_transform transform;
	double impute; /* numeric: raw value used when missing (before the transform) */
	double mean;   /* numeric: of the transformed values */
	double std;    /* numeric: > 0 */
	double *bins;  /* numeric: nbins strictly increasing cut points (NULL: none) */
	size_t nbins;  /* a value x falls in bin k = the number of cut points <= x */
	char **levels; /* categorical: known levels, in column order */
	size_t nlevels;
	size_t *by_name; /* level indices in strcmp order, for lookup */
	char **missing;  /* categorical: values that also mean missing ("NA", "Select") */
	size_t nmissing;
	size_t col;   /* first column */
	size_t ncols; /* numeric: 1, plus nbins + 1 with bins; categorical: nlevels + 2 */
};

/* Read-only once built. Encoding neither allocates nor changes the encoder, so one
 * encoder may serve several threads. */
struct encoder {
	struct encoder_input *inputs;
	size_t ninputs;
	size_t dim;       /* number of columns */
	char **colnames;  /* dim names */
	size_t *colinput; /* dim: index of the input each column belongs to */
};

/* The starter's encoder: mean 0, std 1, impute 0, the spec's levels in spec order. */
struct encoder *encoder_from_spec(const struct featspec *spec, struct ls_err *err) LS_MUST_CHECK;

/* Fits an encoder on nrows rows (each with nfields values, in fields order): the median of
 * the observed values as impute (0 when none is observed), mean and population std of the
 * transformed values after imputation (so training columns come out at mean 0, std 1),
 * and the levels seen at least min_level_count times, sorted (the rest pool into
 * __other__). */
struct encoder *encoder_fit(const struct encoder_field *fields, size_t nfields,
                            const struct raw_row *rows, size_t nrows, size_t min_level_count,
                            struct ls_err *err) LS_MUST_CHECK;

/* Gives every numeric input up to nbins - 1 cut points at the quantiles of its transformed
 * training values (as encoded: missing ones at the impute value), dropping cut points that
 * would leave a bin with fewer than min_count rows, so heavy ties (most counts are 0) give
 * fewer bins. nbins < 2 removes the bins. Returns 0, or -1 with a reason. */
int encoder_fit_bins(struct encoder *enc, const struct raw_row *rows, size_t nrows, size_t nbins,
                     size_t min_count, struct ls_err *err) LS_MUST_CHECK;

/* Makes every categorical input read the n tokens (non-empty, not one of its levels) as
 * missing, as the trainer did with its data; they go into the manifest with the encoder, so
 * serving reads them the same way. Returns 0, or -1 with a reason. */
int encoder_set_missing(struct encoder *enc, const char *const *tokens, size_t n,
                        struct ls_err *err) LS_MUST_CHECK;

/* The manifest's "inputs" array (a new reference), or NULL on out of memory. */
json_t *encoder_to_json(const struct encoder *enc);
/* Rebuilds an encoder from an "inputs" array; NULL with a reason on any invalid entry. */
struct encoder *encoder_from_json(const json_t *inputs, struct ls_err *err) LS_MUST_CHECK;

/* Encodes row (row->n must equal enc->ninputs) into out[encoder_dim(enc)].
 * Returns 0, or -1 when the row has the wrong number of values. Never allocates. */
int encoder_encode(const struct encoder *enc, const struct raw_row *row, double *out) LS_MUST_CHECK;

/* Encodes an all-missing row: numerics at their impute value, categoricals at __missing__.
 * This is the default baseline reasons are measured against. */
void encoder_encode_missing(const struct encoder *enc, double *out);

size_t encoder_dim(const struct encoder *enc);
void encoder_free(struct encoder *enc);

#endif
