/* bundle.h: writing model bundles (manifest.json plus the model file), atomically. */
#ifndef LS_BUNDLE_H
#define LS_BUNDLE_H

#include <jansson.h>

/* liblinear's <linear.h> names its model `struct model`, as model.h names ours: here it is
 * included as `struct ll_model`, so a file can use both. Include <linear.h> only this way. */
#define model ll_model
#include <linear.h>
#undef model
#include <svm.h>

#include "../daemon/err.h"
#include "encoder.h"
#include "manifest.h"

/* What every bundle carries besides the model itself. */
struct bundle_meta {
	const char *version;   /* 1..63 of [A-Za-z0-9._:+-] */
	const char *spec_hash; /* sha256 hex of the feature spec */
	int spec_version;
	const struct encoder *enc;
	struct manifest_calib calib;        /* {0}: the kind's own probability */
	const struct manifest_tiers *tiers; /* NULL: 70/40/15 */
	const double *baseline;             /* NULL: the all-missing row */
	const json_t *training;             /* NULL: omitted */
	const json_t *metrics;              /* NULL: omitted */
};

/*
 * Each writer builds the bundle in DIR.tmp-XXXXXX beside dir (files fsynced), loads it back
 * with model_load to prove it usable, then renames it to dir, which must not exist yet.
 * Returns 0, or -1 with a reason and nothing left behind.
 * libsvm and liblinear switch the process locale while saving: call from one thread.
 */

/* A starter-kind bundle: weights (enc->dim, in column order) and bias, no model file. */
int bundle_write_starter(const char *dir, const struct bundle_meta *meta, const double *weights,
                         double bias, struct ls_err *err) LS_MUST_CHECK;

/* A "logistic" bundle from a liblinear logistic-regression model (two classes, one labelled
 * 1) whose nr_feature is enc->dim: with a bias, train with prob.n = dim + 1 and the bias
 * feature at index dim + 1, as liblinear expects. The manifest also gets the weights,
 * oriented to label 1. */
int bundle_write_logistic(const char *dir, const struct bundle_meta *meta,
                          const struct ll_model *lm, struct ls_err *err) LS_MUST_CHECK;

/* An "svm-linear" or "svm-rbf" bundle (by the kernel) from a libsvm classifier. A model fresh
 * from svm_train points into its svm_problem: keep the problem alive until this returns. */
int bundle_write_svm(const char *dir, const struct bundle_meta *meta, const struct svm_model *sm,
                     struct ls_err *err) LS_MUST_CHECK;

#endif
