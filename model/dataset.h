/* dataset.h: labelled raw rows for training, and how they split into training and holdout. */
#ifndef LS_DATASET_H
#define LS_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "../daemon/err.h"
#include "encoder.h"
#include "rawrow.h"

/* Rows of raw values in the order of fields[], each with a label, a time and a group. */
struct dataset {
	struct encoder_field *fields; /* nfields; names owned by the dataset */
	size_t nfields;
	struct raw_value *values; /* nrows * nfields; strings interned in the dataset */
	int *labels;              /* 0 or 1 */
	int64_t *times;           /* database: as_of (unix us); CSV: the row's position */
	const char **groups;      /* rows of one contact share a group (interned); NULL: none */
	size_t nrows, cap;
	struct strpool *pool;
};

/* An empty dataset over copies of fields. 0, or -1 with a reason. */
int dataset_init(struct dataset *ds, const struct encoder_field *fields, size_t nfields,
                 struct ls_err *err) LS_MUST_CHECK;
void dataset_free(struct dataset *ds);

/* Appends a row and returns its nfields values (all missing) to fill, or NULL when out of
 * memory. group may be NULL; it is copied. */
struct raw_value *dataset_add(struct dataset *ds, int label, int64_t time,
                              const char *group) LS_MUST_CHECK;

/* A copy of s that lives as long as the dataset (one copy per distinct string), or NULL. */
const char *dataset_intern(struct dataset *ds, const char *s) LS_MUST_CHECK;

/* Row i as a raw_row (valid until the next dataset_add). */
struct raw_row dataset_row(const struct dataset *ds, size_t i);

/* Row indices of the training part and the holdout (tail, random: in dataset order; time: in
 * time order). */
struct split {
	size_t *train, *test;
	size_t ntrain, ntest;
	size_t ngap;        /* time split: rows left out between the two (see split_time) */
	const char *method; /* "tail", "random" or "time" */
};

/*
 * tail: the holdout is the last round(f * n) rows (a file in time order).
 * random: round(f * n) rows drawn with seed.
 * time: the holdout is the latest slice of about f * n rows by time, whole instants at a
 *   time (snapshots of one day share their as_of); training takes only the rows whose time
 *   is at least gap_us before the holdout's first, so no training label, which looks gap_us
 *   ahead, sees the holdout's period.
 * Each needs at least one row on both sides; -1 with a reason otherwise.
 */
int split_tail(const struct dataset *ds, double f, struct split *sp,
               struct ls_err *err) LS_MUST_CHECK;
int split_random(const struct dataset *ds, double f, uint64_t seed, struct split *sp,
                 struct ls_err *err) LS_MUST_CHECK;
int split_time(const struct dataset *ds, double f, int64_t gap_us, struct split *sp,
               struct ls_err *err) LS_MUST_CHECK;
void split_free(struct split *sp);

/* A deterministic random stream (splitmix64) for shuffles and samples. */
uint64_t dataset_rand(uint64_t *state);

#endif
