/* metrics.h: holdout metrics over (score, label) arrays: ranking, probabilities, calibration. */
#ifndef LS_METRICS_H
#define LS_METRICS_H

#include <jansson.h>
#include <stddef.h>

#include "../daemon/err.h"

/*
 * Inputs: n scores and n labels (0 is negative, anything else positive), n >= 1.
 * Ranking metrics accept any scores but NaN; log loss, Brier and calibration need
 * probabilities in [0, 1]. Each function returns 0 with its result, or -1 with a reason
 * (no rows, NaN, probability out of range, a class missing where the metric needs it,
 * out of memory); results are never NaN.
 *
 * Ties never depend on input order: rows with equal scores form one group, counted as
 * 1/2 between a positive and a negative in ROC AUC, as one threshold in average precision,
 * and, where a cut (top k, top decile, decile edge) splits a group, each side gets its share
 * of the group's positives (the expected count over the orders of the tied rows).
 */

#define METRICS_DECILES 10

/* One calibration bucket: equal-frequency deciles of the rows in ascending score order;
 * bucket b (1..10) holds sorted positions [floor((b-1)n/10), floor(bn/10)), so with fewer
 * than 10 rows some buckets are empty and left out. */
struct metrics_bucket {
	int bucket; /* 1: lowest predicted .. 10: highest */
	size_t count;
	double mean_predicted; /* mean probability in the bucket */
	double observed_rate;  /* share of positives in the bucket */
};

struct metrics_report {
	size_t n;
	size_t positives;
	double auc;
	double pr_auc;
	double log_loss;
	double brier;
	double lift_top_decile;
	size_t k; /* precision_at_k's k: the k asked for, capped at n */
	double precision_at_k;
	struct metrics_bucket calibration[METRICS_DECILES];
	size_t ncalibration; /* non-empty buckets, ascending */
};

/* ROC AUC by Mann-Whitney: the share of (positive, negative) pairs the positive outranks,
 * ties counting 1/2; O(n log n). Needs both classes. */
int metrics_roc_auc(const double *score, const int *label, size_t n, double *out,
                    struct ls_err *err) LS_MUST_CHECK;

/* PR AUC as average precision (scikit-learn's): sum over distinct score thresholds, from
 * the highest, of (R_t - R_{t-1}) * P_t. Needs at least one positive. */
int metrics_average_precision(const double *score, const int *label, size_t n, double *out,
                              struct ls_err *err) LS_MUST_CHECK;

/* Mean of -(y ln p + (1 - y) ln(1 - p)), p clipped to [1e-15, 1 - 1e-15] (the clip is
 * applied to the probability of the true class, so a confident miss costs -ln(1e-15) =
 * 34.54 on either class). */
int metrics_log_loss(const double *prob, const int *label, size_t n, double *out,
                     struct ls_err *err) LS_MUST_CHECK;

/* Mean of (p - y)^2. */
int metrics_brier(const double *prob, const int *label, size_t n, double *out,
                  struct ls_err *err) LS_MUST_CHECK;

/* Positive rate among the top ceil(n / 10) rows by score over the overall positive rate.
 * Needs at least one positive. */
int metrics_lift_top_decile(const double *score, const int *label, size_t n, double *out,
                            struct ls_err *err) LS_MUST_CHECK;

/* Share of positives among the k highest scores; 1 <= k <= n. */
int metrics_precision_at_k(const double *score, const int *label, size_t n, size_t k, double *out,
                           struct ls_err *err) LS_MUST_CHECK;

/* Fills out[] with the non-empty decile buckets (see struct metrics_bucket) and *nout. */
int metrics_calibration(const double *prob, const int *label, size_t n,
                        struct metrics_bucket out[METRICS_DECILES], size_t *nout,
                        struct ls_err *err) LS_MUST_CHECK;

/* Everything above from one sort; k >= 1 is capped at n. Needs both classes. */
int metrics_evaluate(const double *prob, const int *label, size_t n, size_t k,
                     struct metrics_report *out, struct ls_err *err) LS_MUST_CHECK;

/* The report as the JSON the trainer prints and the manifest stores (a new reference, NULL
 * when out of memory):
 * {"n": 1848, "positives": 712, "auc": 0.89, "pr_auc": 0.86, "log_loss": 0.41,
 *  "brier": 0.13, "lift_top_decile": 2.4, "precision_at_k": {"k": 100, "value": 0.93},
 *  "calibration": [{"bucket": 1, "count": 184, "mean_predicted": 0.03,
 *                   "observed_rate": 0.02}, ...]} */
json_t *metrics_report_json(const struct metrics_report *r) LS_MUST_CHECK;

/* metrics_evaluate then metrics_report_json: a new reference, or NULL with a reason. */
json_t *metrics_json(const double *prob, const int *label, size_t n, size_t k,
                     struct ls_err *err) LS_MUST_CHECK;

#endif
