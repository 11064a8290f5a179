/* model.h: the model interface the scorer sees: load a bundle, predict, explain, tier. */
#ifndef LS_MODEL_H
#define LS_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "../daemon/err.h"
#include "featspec.h"
#include "rawrow.h"

#define SCORE_MAX_REASONS 8

/* One reason: a raw field (for categoricals "field=level") and its effect.
 * For linear models the effect is the log-odds contribution against the
 * baseline; for RBF the change in probability when the field is set to its
 * baseline. Positive pushes the score up. */
struct score_reason {
	char feature[96];
	double effect;
};

struct score {
	double probability; /* calibrated, in (0, 1) */
	int score;	    /* round(100 * probability) */
	char tier;	    /* 'A'..'D' by the bundle's thresholds */
	struct score_reason reasons[SCORE_MAX_REASONS]; /* strongest for first, then against */
	size_t nreasons;
	double fit;	   /* summed effect of fit (profile) fields */
	double engagement; /* summed effect of engagement (behaviour) fields */
};

struct model;

/* Loads a bundle directory: manifest.json plus the model file it names.
 * NULL with a reason on any error (missing file, bad manifest, wrong kind). */
struct model *model_load(const char *dir, struct ls_err *err) LS_MUST_CHECK;

/* The transparent starter model: prior weights from the feature spec. */
struct model *model_starter(const struct featspec *spec, struct ls_err *err) LS_MUST_CHECK;

/* 0 when the bundle was built for this spec (same hash, same fields), else -1 with why. */
int model_check_spec(const struct model *m, const struct featspec *spec,
		     struct ls_err *err) LS_MUST_CHECK;

/* Scores one raw row (in spec field order). With nreasons_max > 0, fills
 * up to that many reasons (half for, half against) and the fit/engagement split.
 * Returns 0, or -1 with a reason (row does not match the model). */
int model_score(const struct model *m, const struct raw_row *row, size_t nreasons_max,
		struct score *out, struct ls_err *err) LS_MUST_CHECK;

/* Probability only: the fast path for bulk scoring. */
double model_predict(const struct model *m, const struct raw_row *row);

const char *model_kind(const struct model *m);	  /* "starter", "logistic", "svm-linear", "svm-rbf" */
const char *model_version(const struct model *m); /* "starter-<spec hash prefix>" for the starter */
const json_t *model_manifest(const struct model *m); /* borrowed */
char model_tier(const struct model *m, int score);
void model_free(struct model *m);

#endif
