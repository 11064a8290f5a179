/* test_metrics.c: the evaluation metrics against hand-worked values and a slow pairwise AUC. */
#include "../../model/metrics.h"
#include "../testhelp.h"

#include <stdint.h>
#include <stdlib.h>

#define EPS 1e-12

/*
 * Four rows: scores {0.1, 0.4, 0.35, 0.8}, labels {0, 0, 1, 1}.
 * AUC: positive pairs (0.35, 0.1) win, (0.35, 0.4) lose, (0.8, 0.1) and (0.8, 0.4) win:
 * 3 of 4 = 0.75.
 * AP, thresholds from the top: 0.8 (pos): P = 1/1, R = 1/2, adds (1/2 - 0) * 1 = 0.5;
 * 0.4 (neg): R unchanged, adds 0; 0.35 (pos): P = 2/3, R = 1, adds 1/2 * 2/3 = 1/3;
 * 0.1 (neg): adds 0. AP = 0.5 + 0.3333.. = 0.8333..
 */
static void
test_four_rows(void)
{
	const double s[] = {0.1, 0.4, 0.35, 0.8};
	const int y[] = {0, 0, 1, 1};
	double v = -1;

	TEST_CHECK("auc", metrics_roc_auc(s, y, 4, &v, NULL) == 0);
	TEST_NEAR("auc", v, 0.75, EPS);
	TEST_CHECK("ap", metrics_average_precision(s, y, 4, &v, NULL) == 0);
	TEST_NEAR("ap", v, 5.0 / 6.0, EPS);
}

/*
 * Ties: scores {0.5, 0.5, 0.2, 0.9}, labels {1, 0, 0, 1}.
 * AUC pairs: (0.5+, 0.5-) tie = 1/2, (0.5+, 0.2) 1, (0.9, 0.5-) 1, (0.9, 0.2) 1: 3.5 / 4.
 * AP: 0.9 (pos): P = 1, R = 1/2, adds 0.5; the 0.5 group is one threshold (1 pos, 1 neg):
 * P = 2/3, R = 1, adds 1/2 * 2/3; 0.2 adds 0: 0.8333.. Putting the tied positive first
 * would give 1.0 instead, so this checks the grouping.
 */
static void
test_ties(void)
{
	const double s[] = {0.5, 0.5, 0.2, 0.9};
	const int y[] = {1, 0, 0, 1};
	const int y_rev[] = {0, 1, 0, 1}; /* the tied pair in the other order */
	double v = -1;

	TEST_CHECK("auc ties", metrics_roc_auc(s, y, 4, &v, NULL) == 0);
	TEST_NEAR("auc ties", v, 0.875, EPS);
	TEST_CHECK("auc ties swapped", metrics_roc_auc(s, y_rev, 4, &v, NULL) == 0);
	TEST_NEAR("auc ties swapped", v, 0.875, EPS);
	TEST_CHECK("ap ties", metrics_average_precision(s, y, 4, &v, NULL) == 0);
	TEST_NEAR("ap ties", v, 5.0 / 6.0, EPS);
	TEST_CHECK("ap ties swapped", metrics_average_precision(s, y_rev, 4, &v, NULL) == 0);
	TEST_NEAR("ap ties swapped", v, 5.0 / 6.0, EPS);
}

/*
 * All scores equal {0.3 x 4}, labels {0, 1, 0, 1}: every pair ties, AUC = 1/2.
 * AP: one threshold, P = 2/4, R = 1: 0.5. Top decile is ceil(0.4) = 1 row, which holds
 * an expected 2/4 positives: rate 0.5 over 0.5 overall, lift 1. Precision at 1: 0.5.
 */
static void
test_all_same(void)
{
	const double s[] = {0.3, 0.3, 0.3, 0.3};
	const int y[] = {0, 1, 0, 1};
	double v = -1;

	TEST_CHECK("auc same", metrics_roc_auc(s, y, 4, &v, NULL) == 0);
	TEST_NEAR("auc same", v, 0.5, 0);
	TEST_CHECK("ap same", metrics_average_precision(s, y, 4, &v, NULL) == 0);
	TEST_NEAR("ap same", v, 0.5, EPS);
	TEST_CHECK("lift same", metrics_lift_top_decile(s, y, 4, &v, NULL) == 0);
	TEST_NEAR("lift same", v, 1.0, EPS);
	TEST_CHECK("p@1 same", metrics_precision_at_k(s, y, 4, 1, &v, NULL) == 0);
	TEST_NEAR("p@1 same", v, 0.5, EPS);
}

/*
 * Perfect and reversed rankings: AUC 1 and 0; AP 1 for the perfect one and, reversed
 * (scores {0.9, 0.8, 0.2, 0.1} on labels {0, 0, 1, 1}), 1/2 * 1/3 + 1/2 * 2/4 = 5/12.
 * Labels other than 0 count as positive.
 */
static void
test_extremes(void)
{
	const double s[] = {0.9, 0.8, 0.2, 0.1};
	const int good[] = {1, 7, 0, 0}, bad[] = {0, 0, 1, 1};
	double v = -1;

	TEST_CHECK("auc perfect", metrics_roc_auc(s, good, 4, &v, NULL) == 0 && v == 1.0);
	TEST_CHECK("ap perfect", metrics_average_precision(s, good, 4, &v, NULL) == 0);
	TEST_NEAR("ap perfect", v, 1.0, EPS);
	TEST_CHECK("auc reversed", metrics_roc_auc(s, bad, 4, &v, NULL) == 0 && v == 0.0);
	TEST_CHECK("ap reversed", metrics_average_precision(s, bad, 4, &v, NULL) == 0);
	TEST_NEAR("ap reversed", v, 5.0 / 12.0, EPS);
}

/*
 * Three rows: p {0.9, 0.2, 0.6}, y {1, 0, 0}.
 * Log loss = -(ln 0.9 + ln 0.8 + ln 0.4) / 3
 *          = (0.105360516 + 0.223143551 + 0.916290732) / 3 = 0.414931600.
 * Brier = ((0.9-1)^2 + 0.2^2 + 0.6^2) / 3 = (0.01 + 0.04 + 0.36) / 3 = 0.136666667.
 * Clipping: p = 0 on a positive and p = 1 on a negative each cost -ln(1e-15) = 34.538776395;
 * p = 1 on a positive and 0 on a negative cost -ln(1 - 1e-15), about 1e-15.
 */
static void
test_log_loss_brier(void)
{
	const double p[] = {0.9, 0.2, 0.6}, wrong[] = {0.0, 1.0}, right[] = {1.0, 0.0};
	const int y[] = {1, 0, 0}, y2[] = {1, 0};
	double v = -1;

	TEST_CHECK("log loss", metrics_log_loss(p, y, 3, &v, NULL) == 0);
	TEST_NEAR("log loss", v, 0.414931600, 1e-9);
	TEST_CHECK("brier", metrics_brier(p, y, 3, &v, NULL) == 0);
	TEST_NEAR("brier", v, 0.41 / 3.0, EPS);
	TEST_CHECK("log loss clipped", metrics_log_loss(wrong, y2, 2, &v, NULL) == 0);
	TEST_NEAR("log loss clipped", v, 34.538776395, 1e-8);
	TEST_CHECK("log loss clipped right", metrics_log_loss(right, y2, 2, &v, NULL) == 0);
	TEST_NEAR("log loss clipped right", v, 0.0, 1e-14);
	TEST_CHECK("log loss clipped right > 0", v > 0.0);
	TEST_CHECK("brier one class is fine", metrics_brier(p + 1, y + 1, 2, &v, NULL) == 0);
	TEST_NEAR("brier one class", v, 0.2, EPS);
}

/*
 * Twenty rows: scores (20 - i) / 20 for i = 0..19, so rank r (1 = best) has score
 * (21 - r) / 20; positives at ranks 1, 2, 4, 7, 11, 16 (6 of 20, rate 0.3).
 * Top decile: ceil(20 / 10) = 2 rows, both positive: lift = 1.0 / 0.3 = 3.3333..
 * Precision@5: ranks 1, 2, 4 of 5 = 0.6; @10 adds rank 7: 0.4; @20: 0.3.
 */
static const int twenty_pos_ranks[] = {1, 2, 4, 7, 11, 16};

static void
make_twenty(double s[20], int y[20], size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		s[i] = (double)(20 - i) / 20.0;
		y[i] = 0;
		for (j = 0; j < 6; j++)
			if ((size_t)twenty_pos_ranks[j] == i + 1)
				y[i] = 1;
	}
}

static void
test_lift_precision(void)
{
	double s[20], v = -1;
	int y[20];

	make_twenty(s, y, 20);
	TEST_CHECK("lift", metrics_lift_top_decile(s, y, 20, &v, NULL) == 0);
	TEST_NEAR("lift", v, 1.0 / 0.3, EPS);
	TEST_CHECK("p@5", metrics_precision_at_k(s, y, 20, 5, &v, NULL) == 0);
	TEST_NEAR("p@5", v, 0.6, EPS);
	TEST_CHECK("p@10", metrics_precision_at_k(s, y, 20, 10, &v, NULL) == 0);
	TEST_NEAR("p@10", v, 0.4, EPS);
	TEST_CHECK("p@20", metrics_precision_at_k(s, y, 20, 20, &v, NULL) == 0);
	TEST_NEAR("p@20", v, 0.3, EPS);

	/* First 15 rows with rank 2 made negative: positives at ranks 1, 4, 7, 11 (4 of 15).
	 * Top decile is ceil(1.5) = 2 rows (1 positive): 0.5 / (4/15) = 1.875; rounding down
	 * to 1 row would give 3.75. */
	y[1] = 0;
	TEST_CHECK("lift ceil", metrics_lift_top_decile(s, y, 15, &v, NULL) == 0);
	TEST_NEAR("lift ceil", v, 1.875, EPS);
}

/*
 * A tie across the cut: scores {0.9, 0.8, 0.8, 0.8, 0.1}, labels {1, 1, 0, 0, 0}.
 * Top 2 = the 0.9 row (positive) plus one of the three 0.8 rows, which hold 1 positive:
 * expected positives 1 + 1/3, precision@2 = 2/3, whatever the input order.
 */
static void
test_precision_tie(void)
{
	const double s[] = {0.9, 0.8, 0.8, 0.8, 0.1}, s2[] = {0.8, 0.8, 0.1, 0.8, 0.9};
	const int y[] = {1, 1, 0, 0, 0}, y2[] = {0, 0, 0, 1, 1};
	double v = -1;

	TEST_CHECK("p@2 tie", metrics_precision_at_k(s, y, 5, 2, &v, NULL) == 0);
	TEST_NEAR("p@2 tie", v, 2.0 / 3.0, EPS);
	TEST_CHECK("p@2 tie permuted", metrics_precision_at_k(s2, y2, 5, 2, &v, NULL) == 0);
	TEST_NEAR("p@2 tie permuted", v, 2.0 / 3.0, EPS);
	TEST_CHECK("p@4 whole group", metrics_precision_at_k(s2, y2, 5, 4, &v, NULL) == 0);
	TEST_NEAR("p@4 whole group", v, 0.5, EPS);
}

/*
 * Calibration on the twenty rows: ascending, bucket b holds positions 2b-2 and 2b-1,
 * scores (2b-1)/20 and 2b/20, mean (4b-1)/40 (b1: 0.075 .. b10: 0.975). Rank r sits at
 * ascending position 20 - r: positives 16, 11, 7, 4 at positions 4, 9, 13, 16 (buckets 3,
 * 5, 7, 9, one each: rate 0.5) and ranks 2, 1 at 18, 19 (bucket 10: rate 1).
 */
static void
test_calibration_twenty(void)
{
	static const double rate[10] = {0, 0, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 1.0};
	struct metrics_bucket b[METRICS_DECILES];
	double s[20];
	int y[20];
	size_t nb = 0, i;

	make_twenty(s, y, 20);
	TEST_CHECK("calibration", metrics_calibration(s, y, 20, b, &nb, NULL) == 0);
	TEST_CHECK("calibration buckets", nb == 10);
	for (i = 0; i < nb && i < 10; i++) {
		TEST_CHECK("bucket number", b[i].bucket == (int)i + 1);
		TEST_CHECK("bucket count", b[i].count == 2);
		TEST_NEAR("bucket mean", b[i].mean_predicted, (4.0 * (double)(i + 1) - 1) / 40.0,
		          EPS);
		TEST_NEAR("bucket rate", b[i].observed_rate, rate[i], EPS);
	}
}

/*
 * Uneven and small n. n = 25: edges floor(25b/10) = 0 2 5 7 10 12 15 17 20 22 25, counts
 * 2 3 2 3 2 3 2 3 2 3. n = 7: edges 0 0 1 2 2 3 4 4 5 6 7, so buckets 1, 4, 7 are empty
 * and the 7 rows fill buckets 2 3 5 6 8 9 10, one each, lowest score first.
 * Ties: 20 rows all at 0.5 with 5 positives: every bucket gets 2 rows and rate 0.25.
 */
static void
test_calibration_shapes(void)
{
	static const int want7[] = {2, 3, 5, 6, 8, 9, 10};
	struct metrics_bucket b[METRICS_DECILES];
	double s[25];
	int y[25];
	size_t nb = 0, i, ok = 1;

	for (i = 0; i < 25; i++) {
		s[i] = (double)i / 25.0;
		y[i] = (int)(i % 2);
	}
	TEST_CHECK("n=25", metrics_calibration(s, y, 25, b, &nb, NULL) == 0 && nb == 10);
	for (i = 0; i < nb; i++)
		ok &= b[i].count == (i % 2 ? 3u : 2u);
	TEST_CHECK("n=25 counts", ok);
	/* Bucket 2 holds positions 2, 3, 4: mean score 3/25, labels 0 1 0. */
	TEST_NEAR("n=25 bucket 2 mean", b[1].mean_predicted, 3.0 / 25.0, EPS);
	TEST_NEAR("n=25 bucket 2 rate", b[1].observed_rate, 1.0 / 3.0, EPS);

	TEST_CHECK("n=7", metrics_calibration(s, y, 7, b, &nb, NULL) == 0 && nb == 7);
	for (i = 0, ok = 1; i < nb && i < 7; i++)
		ok &= b[i].bucket == want7[i] && b[i].count == 1 && b[i].mean_predicted == s[i] &&
		      b[i].observed_rate == (double)y[i];
	TEST_CHECK("n=7 buckets", ok);

	for (i = 0; i < 20; i++) {
		s[i] = 0.5;
		y[i] = i < 5;
	}
	TEST_CHECK("ties", metrics_calibration(s, y, 20, b, &nb, NULL) == 0 && nb == 10);
	for (i = 0, ok = 1; i < nb; i++)
		ok &= b[i].count == 2 && fabs(b[i].observed_rate - 0.25) < EPS &&
		      b[i].mean_predicted == 0.5;
	TEST_CHECK("ties spread evenly", ok);
}

static uint64_t
next_rand(uint64_t *state)
{
	/* splitmix64: the same sequence on every platform */
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* The definition itself, O(n^2): doubled so that ties stay integers. */
static double
slow_auc(const double *s, const int *y, size_t n)
{
	uint64_t pairs2 = 0, pos = 0, neg = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (y[i] == 0)
			continue;
		for (j = 0; j < n; j++) {
			if (y[j] != 0)
				continue;
			pairs2 += s[i] > s[j] ? 2 : s[i] == s[j] ? 1 : 0;
		}
	}
	for (i = 0; i < n; i++)
		y[i] != 0 ? pos++ : neg++;
	return (double)pairs2 / (2.0 * (double)pos * (double)neg);
}

static void
check_random_auc(uint64_t seed, size_t n, unsigned levels, unsigned pos_per_100)
{
	double *s = calloc(n, sizeof(*s)), fast = -1, slow;
	int *y = calloc(n, sizeof(*y));
	uint64_t st = seed;
	size_t i;

	if (s == NULL || y == NULL) {
		TEST_CHECK("alloc", 0);
		free(s);
		free(y);
		return;
	}
	for (i = 0; i < n; i++) {
		s[i] = (double)(next_rand(&st) % levels) / (double)levels;
		y[i] = next_rand(&st) % 100 < pos_per_100;
	}
	slow = slow_auc(s, y, n);
	TEST_CHECK("random auc", metrics_roc_auc(s, y, n, &fast, NULL) == 0);
	if (fast != slow)
		printf("seed %llu: fast %.17g slow %.17g\n", (unsigned long long)seed, fast, slow);
	TEST_CHECK("random auc equals pairwise count exactly", fast == slow);
	free(s);
	free(y);
}

static void
test_auc_property(void)
{
	check_random_auc(1, 3000, 50, 40);       /* many ties */
	check_random_auc(2, 3000, 1000, 50);     /* some ties */
	check_random_auc(3, 4000, 7, 10);        /* huge tie groups, few positives */
	check_random_auc(4, 2000, 1u << 30, 97); /* almost no ties, few negatives */
}

/* The report equals the single metrics (one sort or several, the same numbers). */
static void
test_evaluate(void)
{
	struct metrics_report r;
	double s[20], v;
	int y[20];

	make_twenty(s, y, 20);
	TEST_CHECK("evaluate", metrics_evaluate(s, y, 20, 5, &r, NULL) == 0);
	TEST_CHECK("n, positives", r.n == 20 && r.positives == 6);
	TEST_CHECK("auc", metrics_roc_auc(s, y, 20, &v, NULL) == 0 && r.auc == v);
	/* Hand count for the twenty rows: each positive at rank r beats the negatives below
	 * it: ranks 1 and 2 beat all 14, rank 4 beats 13, 7 beats 11, 11 beats 8, 16 beats 4:
	 * 64 of 84 pairs. */
	TEST_NEAR("auc by hand", r.auc, 64.0 / 84.0, EPS);
	TEST_CHECK("ap", metrics_average_precision(s, y, 20, &v, NULL) == 0 && r.pr_auc == v);
	/* AP: (1/6) (1/1 + 2/2 + 3/4 + 4/7 + 5/11 + 6/16). */
	TEST_NEAR("ap by hand", r.pr_auc,
	          (1.0 + 1.0 + 0.75 + 4.0 / 7.0 + 5.0 / 11.0 + 6.0 / 16.0) / 6.0, EPS);
	TEST_CHECK("log loss", metrics_log_loss(s, y, 20, &v, NULL) == 0 && r.log_loss == v);
	TEST_CHECK("brier", metrics_brier(s, y, 20, &v, NULL) == 0 && r.brier == v);
	TEST_NEAR("lift", r.lift_top_decile, 1.0 / 0.3, EPS);
	TEST_CHECK("k", r.k == 5);
	TEST_NEAR("p@k", r.precision_at_k, 0.6, EPS);
	TEST_CHECK("calibration", r.ncalibration == 10 && r.calibration[9].observed_rate == 1.0);
	TEST_CHECK("k capped", metrics_evaluate(s, y, 20, 100, &r, NULL) == 0 && r.k == 20);
	TEST_NEAR("p@n", r.precision_at_k, 0.3, EPS);
}

static void
test_json(void)
{
	static const char *keys[] = {"n",
	                             "positives",
	                             "auc",
	                             "pr_auc",
	                             "log_loss",
	                             "brier",
	                             "lift_top_decile",
	                             "precision_at_k",
	                             "calibration"};
	const json_t *cal, *b, *pk;
	double s[20];
	int y[20];
	size_t i, ok = 1;
	json_t *j;

	make_twenty(s, y, 20);
	j = metrics_json(s, y, 20, 10, NULL);
	TEST_CHECK("json", j != NULL);
	if (j == NULL)
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ok &= json_object_get(j, keys[i]) != NULL;
	TEST_CHECK("json keys", ok && json_object_size(j) == 9);
	TEST_NEAR("json auc", json_real_value(json_object_get(j, "auc")), 64.0 / 84.0, EPS);
	TEST_NEAR("json lift", json_real_value(json_object_get(j, "lift_top_decile")), 1.0 / 0.3,
	          EPS);
	TEST_CHECK("json n", json_integer_value(json_object_get(j, "n")) == 20);
	pk = json_object_get(j, "precision_at_k");
	TEST_CHECK("json p@k k", json_integer_value(json_object_get(pk, "k")) == 10);
	TEST_NEAR("json p@k value", json_real_value(json_object_get(pk, "value")), 0.4, EPS);
	cal = json_object_get(j, "calibration");
	TEST_CHECK("json calibration", json_array_size(cal) == 10);
	b = json_array_get(cal, 9);
	TEST_CHECK("json bucket", json_integer_value(json_object_get(b, "bucket")) == 10 &&
	                              json_integer_value(json_object_get(b, "count")) == 2 &&
	                              json_object_size(b) == 4);
	TEST_NEAR("json bucket mean", json_real_value(json_object_get(b, "mean_predicted")), 0.975,
	          EPS);
	TEST_NEAR("json bucket rate", json_real_value(json_object_get(b, "observed_rate")), 1.0, 0);
	json_decref(j);
}

static void
expect_error(const char *what, int rc, const struct ls_err *err, const char *want)
{
	TEST_CHECK(what, rc == -1);
	if (strstr(err->msg, want) == NULL)
		printf("%s: error \"%s\" lacks \"%s\"\n", what, err->msg, want);
	TEST_CHECK(what, strstr(err->msg, want) != NULL);
}

static void
test_errors(void)
{
	const double s[] = {0.2, 0.7, 0.4}, nan_s[] = {0.2, NAN, 0.4}, big[] = {0.2, 1.5, 0.4};
	const double neg_p[] = {-0.1, 0.5, 0.4};
	const int y[] = {0, 1, 0}, zeros[] = {0, 0, 0}, ones[] = {1, 1, 1};
	struct metrics_bucket b[METRICS_DECILES];
	struct metrics_report r;
	struct ls_err err = {""};
	double v = -7;
	size_t nb;

	expect_error("auc no rows", metrics_roc_auc(s, y, 0, &v, &err), &err, "no rows");
	expect_error("auc NaN", metrics_roc_auc(nan_s, y, 3, &v, &err), &err,
	             "row 2 of 3: score is NaN");
	expect_error("auc negatives only", metrics_roc_auc(s, zeros, 3, &v, &err), &err,
	             "only one class in the labels (0 positive of 3 rows)");
	expect_error("auc positives only", metrics_roc_auc(s, ones, 3, &v, &err), &err,
	             "(3 positive of 3 rows)");
	expect_error("ap NaN", metrics_average_precision(nan_s, y, 3, &v, &err), &err, "NaN");
	expect_error("ap no positive", metrics_average_precision(s, zeros, 3, &v, &err), &err,
	             "no positive labels among 3 rows");
	TEST_CHECK("ap all positive",
	           metrics_average_precision(s, ones, 3, &v, &err) == 0 && fabs(v - 1.0) < EPS);
	expect_error("log loss range", metrics_log_loss(big, y, 3, &v, &err), &err,
	             "row 2 of 3: probability 1.5 outside [0, 1]");
	expect_error("log loss NaN", metrics_log_loss(nan_s, y, 3, &v, &err), &err, "NaN");
	expect_error("log loss no rows", metrics_log_loss(s, y, 0, &v, &err), &err, "no rows");
	expect_error("brier range", metrics_brier(neg_p, y, 3, &v, &err), &err,
	             "row 1 of 3: probability -0.1 outside");
	expect_error("lift no positive", metrics_lift_top_decile(s, zeros, 3, &v, &err), &err,
	             "no positive labels");
	expect_error("lift NaN", metrics_lift_top_decile(nan_s, y, 3, &v, &err), &err, "NaN");
	expect_error("p@0", metrics_precision_at_k(s, y, 3, 0, &v, &err), &err,
	             "k = 0 is not in 1..3");
	expect_error("p@4", metrics_precision_at_k(s, y, 3, 4, &v, &err), &err,
	             "k = 4 is not in 1..3");
	expect_error("p@k NaN", metrics_precision_at_k(nan_s, y, 3, 1, &v, &err), &err, "NaN");
	expect_error("calibration range", metrics_calibration(big, y, 3, b, &nb, &err), &err,
	             "outside [0, 1]");
	expect_error("evaluate one class", metrics_evaluate(s, ones, 3, 1, &r, &err), &err,
	             "only one class");
	expect_error("evaluate range", metrics_evaluate(big, y, 3, 1, &r, &err), &err, "outside");
	expect_error("evaluate k=0", metrics_evaluate(s, y, 3, 0, &r, &err), &err,
	             "k must be at least 1");
	TEST_CHECK("json error", metrics_json(s, zeros, 3, 1, &err) == NULL);
	TEST_CHECK("json error reason", strstr(err.msg, "only one class") != NULL);
	TEST_CHECK("results untouched on error", v == 1.0);
	TEST_CHECK("NULL err is fine", metrics_roc_auc(s, y, 0, &v, NULL) == -1);
}

int
main(void)
{
	test_four_rows();
	test_ties();
	test_all_same();
	test_extremes();
	test_log_loss_brier();
	test_lift_precision();
	test_precision_tie();
	test_calibration_twenty();
	test_calibration_shapes();
	test_auc_property();
	test_evaluate();
	test_json();
	test_errors();
	return TEST_REPORT();
}
