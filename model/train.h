/* train.h: one training run: checks, encoder, grid search, calibration, holdout, bundle. */
#ifndef LS_TRAIN_H
#define LS_TRAIN_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "../daemon/err.h"
#include "dataset.h"
#include "manifest.h"
#include "metrics.h"
#include "model.h"

#define TRAIN_MIN_POSITIVES 120
#define TRAIN_MIN_LEVEL_COUNT 10
#define TRAIN_SEARCH_ROWS 3000 /* SVMs: rows the grid search samples */
#define TRAIN_MAX_ROWS 5000    /* SVMs: rows the final fit uses, which bounds support vectors */
#define TRAIN_PRECISION_K 100
#define TRAIN_BINS 10 /* quantile bins per numeric field */

struct train_opts {
	enum manifest_kind kind;    /* logistic, svm-linear or svm-rbf */
	size_t min_positives;       /* fewer positive training rows: refused */
	const char *positive_desc;  /* what a positive is, for the refusal ("Converted = 1") */
	size_t min_level_count;     /* rarer categorical levels pool into __other__ */
	size_t bins;                /* quantile bins per numeric field (< 2: none) */
	const char *const *missing; /* categorical values that mean missing ("NA", "Select") */
	size_t nmissing;
	int folds;          /* 0: 5 for logistic, 3 for the SVMs */
	size_t search_rows; /* 0: TRAIN_SEARCH_ROWS */
	size_t max_rows;    /* 0: TRAIN_MAX_ROWS */
	int balanced;       /* class weights n / (2 n_class) */
	uint64_t seed;
	int threads;                                  /* fits at once */
	size_t precision_k;                           /* 0: TRAIN_PRECISION_K */
	void (*progress)(void *ctx, const char *msg); /* NULL: silent */
	void *progress_ctx;
};

/* Sensible defaults for kind. */
void train_opts_init(struct train_opts *o, enum manifest_kind kind);

/* What the bundle says about where it comes from. */
struct train_source {
	const char *version;
	const char *spec_hash; /* 64 hex */
	int spec_version;
	const json_t *training; /* keys to add to the manifest's "training" (source, window...) */
};

struct train_result {
	json_t *report; /* the metrics report, as printed on stdout (owned) */
	double auc;
	size_t ntrain, ntest, pos_train, pos_test;
	double *test_prob; /* ntest holdout probabilities from the bundle as loaded (owned) */
};

/*
 * Trains on sp->train, evaluates on sp->test and writes the bundle to out_dir (which must not
 * exist). Refuses, saying why, when the training rows hold fewer than o->min_positives
 * positives or the holdout lacks a class. The bundle is loaded back and must reproduce the
 * holdout predictions, so the metrics are the served model's. 0, or -1 with a reason (and no
 * bundle left behind).
 */
int train_run(const struct dataset *ds, const struct split *sp, const struct train_opts *o,
              const struct train_source *src, const char *out_dir, struct train_result *res,
              struct ls_err *err) LS_MUST_CHECK;
void train_result_clear(struct train_result *res);

/* A loaded model's probabilities for rows[0..n) of ds (fields in the model's input order). */
int train_predict(const struct model *m, const struct dataset *ds, const size_t *rows, size_t n,
                  double *prob, struct ls_err *err) LS_MUST_CHECK;

/* The ROC AUC of probabilities against the rows' labels. */
int train_auc(const struct dataset *ds, const size_t *rows, size_t n, const double *prob,
              double *auc, struct ls_err *err) LS_MUST_CHECK;

/* The report as a table for people (stderr). */
void train_report_print(FILE *fp, const json_t *report);

#endif
