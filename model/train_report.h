/* train_report.h: the metrics report and the manifest's training block of a run. */
#ifndef LS_TRAIN_REPORT_H
#define LS_TRAIN_REPORT_H

#include <jansson.h>

#include "dataset.h"
#include "encoder.h"
#include "manifest.h"
#include "train.h"

/* What a run found out, for the report. */
struct train_facts {
	const struct dataset *ds;
	const struct split *sp;
	const struct train_opts *o;
	const struct encoder *enc;
	size_t bins; /* the encoding chosen: quantile bins per numeric field, 0: none */
	double C, gamma, cv_auc;
	size_t nsearch, nfit; /* rows the grid search and the final fit used */
	size_t nsv;           /* support vectors (SVMs) */
	const struct manifest_calib *calib;
	const struct manifest_tiers *tiers;
	const double *prob; /* holdout probabilities, sp->ntest */
	double seconds;
};

/* The metrics report (stdout, the manifest's "metrics", the registry) and the manifest's
 * "training" block (src->training plus the run's facts). 0, or -1 with a reason. */
int train_report_build(const struct train_facts *f, const struct train_source *src,
                       json_t **training, json_t **metrics, struct ls_err *err) LS_MUST_CHECK;

#endif
