/* manifest.h: a model bundle's manifest.json: strict parsing, validation and building. */
#ifndef LS_MANIFEST_H
#define LS_MANIFEST_H

#include <jansson.h>

#include "../daemon/err.h"
#include "encoder.h"

/*
 * {"format": 1,
 *  "kind": "starter" | "logistic" | "svm-linear" | "svm-rbf",
 *  "version": "20261121-0300",             1..63 of [A-Za-z0-9._:+-]
 *  "model_file": "model.txt",              a plain file name in the bundle; absent for starter
 *  "feature_spec": {"hash": "<sha256 hex>", "version": 1},
 *  "inputs": [...],                        the encoder (encoder_to_json)
 *  "linear": {"weights": [...], "bias": b}, collapsed weights in column order, oriented so
 *                                          that positive favours conversion: required for the
 *                                          starter, optional for logistic and svm-linear (then
 *                                          checked against the model file), refused for svm-rbf
 *  "calibration": {"method": "platt", "a": A, "b": B} | {"method": "none"},
 *  "tiers": {"A": 70, "B": 40, "C": 15},   100 >= A > B > C >= 0
 *  "baseline": [...],                      encoded vector reasons are measured against
 *  "training": {...}, "metrics": {...}}    free-form, kept as they are
 *
 * Platt: p = 1 / (1 + exp(A f + B)), f the decision value oriented as the weights are.
 * "none" (or no calibration) means the kind's own: the logistic sigmoid for starter and
 * logistic, libsvm's probA/probB for svm-linear, svm_predict_probability for svm-rbf.
 * Without "baseline" it is the encoding of an all-missing row (numerics at their impute
 * value, categoricals at __missing__): reasons then say how a contact differs from one we
 * know nothing about. Without "tiers" they are 70/40/15. Other keys are refused.
 */

#define MANIFEST_FILE "manifest.json"
#define MANIFEST_FORMAT 1
#define MANIFEST_VERSION_MAX 64 /* bytes, with the NUL */
#define MANIFEST_TIER_A 70
#define MANIFEST_TIER_B 40
#define MANIFEST_TIER_C 15

enum manifest_kind { MANIFEST_STARTER, MANIFEST_LOGISTIC, MANIFEST_SVM_LINEAR, MANIFEST_SVM_RBF };

struct manifest_calib {
	int platt; /* 0: the kind's own probability */
	double a, b;
};

struct manifest_tiers {
	int a, b, c; /* lowest score of tiers A, B and C */
};

struct manifest {
	json_t *root; /* the whole document (one reference held) */
	enum manifest_kind kind;
	const char *version;    /* borrowed from root */
	const char *model_file; /* borrowed from root; NULL for the starter */
	char spec_hash[65];
	int spec_version;
	struct encoder *enc; /* owned */
	double *weights;     /* enc->dim "linear" weights (owned), NULL when absent */
	double bias;
	struct manifest_calib calib;
	struct manifest_tiers tiers;
	double *baseline; /* enc->dim (owned): always set */
};

/* What a new manifest is made of (bundle writer, starter model). */
struct manifest_parts {
	enum manifest_kind kind;
	const char *version;
	const char *model_file; /* NULL for the starter */
	const char *spec_hash;
	int spec_version;
	const struct encoder *enc;
	const double *weights; /* NULL: no "linear" block */
	double bias;
	struct manifest_calib calib;
	struct manifest_tiers tiers;
	const double *baseline; /* NULL: the default, not written */
	const json_t *training; /* NULL: omitted; copied */
	const json_t *metrics;  /* NULL: omitted; copied */
};

/* Validates root and fills m, which takes its own reference to root.
 * Returns 0, or -1 with a reason (m is then empty). */
int manifest_parse(json_t *root, struct manifest *m, struct ls_err *err) LS_MUST_CHECK;
/* Reads and parses a manifest file ("manifest.json: line 3 column 7: ..." on bad JSON). */
int manifest_load(const char *path, struct manifest *m, struct ls_err *err) LS_MUST_CHECK;
void manifest_clear(struct manifest *m);

/* A new manifest document, or NULL with a reason (it is not validated: parse it). */
json_t *manifest_build(const struct manifest_parts *p, struct ls_err *err) LS_MUST_CHECK;

const char *manifest_kind_name(enum manifest_kind kind);
int manifest_kind_parse(const char *name, enum manifest_kind *out) LS_MUST_CHECK;
/* 0 when 100 >= a > b > c >= 0, else -1 with a reason. */
int manifest_tiers_check(const struct manifest_tiers *t, struct ls_err *err) LS_MUST_CHECK;

#endif
