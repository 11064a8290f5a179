/* metrics.c: holdout metrics computed from one descending sort, ties grouped. */
#include "metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define LOG_LOSS_EPS 1e-15

struct scored {
	double s;
	int y; /* 0 or 1 */
};

/* Rows with their class counts, after the checks every metric shares. */
struct rows {
	const double *score;
	const int *label;
	size_t n;
	size_t positives;
};

static int
check_rows(struct rows *r, int need_prob, struct ls_err *err)
{
	size_t i;
	double s;

	if (r->n == 0)
		return ls_err_set(err, "no rows to evaluate");
	r->positives = 0;
	for (i = 0; i < r->n; i++) {
		s = r->score[i];
		if (isnan(s))
			return ls_err_set(err, "row %zu of %zu: score is NaN", i + 1, r->n);
		if (need_prob && !(s >= 0.0 && s <= 1.0))
			return ls_err_set(err, "row %zu of %zu: probability %g outside [0, 1]",
			                  i + 1, r->n, s);
		if (r->label[i] != 0)
			r->positives++;
	}
	return 0;
}

static int
need_positive(const struct rows *r, struct ls_err *err)
{
	if (r->positives == 0)
		return ls_err_set(err, "no positive labels among %zu rows", r->n);
	return 0;
}

static int
need_both_classes(const struct rows *r, struct ls_err *err)
{
	if (r->positives == 0 || r->positives == r->n)
		return ls_err_set(err, "only one class in the labels (%zu positive of %zu rows)",
		                  r->positives, r->n);
	return 0;
}

static int
cmp_desc(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	return x->s > y->s ? -1 : x->s < y->s;
}

static struct scored *
sort_desc(const struct rows *r, struct ls_err *err)
{
	struct scored *v = calloc(r->n, sizeof(*v));
	size_t i;

	if (v == NULL) {
		ls_err_set(err, "out of memory (%zu rows)", r->n);
		return NULL;
	}
	for (i = 0; i < r->n; i++) {
		v[i].s = r->score[i];
		v[i].y = r->label[i] != 0;
	}
	qsort(v, r->n, sizeof(*v), cmp_desc);
	return v;
}

/* End of the group of equal scores starting at a; *pos gets its positives. */
static size_t
group_end(const struct scored *v, size_t n, size_t a, size_t *pos)
{
	size_t b = a;

	*pos = 0;
	while (b < n && v[b].s == v[a].s)
		*pos += (size_t)v[b++].y;
	return b;
}

/* Doubled pair counts stay integers, so the result is one exact division. */
static double
auc_sorted(const struct scored *v, size_t n, size_t positives)
{
	uint64_t pairs2 = 0, above = 0;
	size_t a, b, p, q;

	for (a = 0; a < n; a = b) {
		b = group_end(v, n, a, &p);
		q = b - a - p;
		pairs2 += 2 * (uint64_t)q * above + (uint64_t)p * q;
		above += p;
	}
	return (double)pairs2 / (2.0 * (double)positives * (double)(n - positives));
}

static double
ap_sorted(const struct scored *v, size_t n, size_t positives)
{
	size_t a, b, p, tp = 0;
	double ap = 0.0;

	for (a = 0; a < n; a = b) {
		b = group_end(v, n, a, &p);
		tp += p;
		if (p > 0)
			ap += (double)p / (double)positives * ((double)tp / (double)b);
	}
	return ap;
}

/* Expected positives at sorted positions [lo, hi): a tie group cut by an edge gives each
 * side its share of the group's positives. */
static double
positives_in(const struct scored *v, size_t n, size_t lo, size_t hi)
{
	size_t a, b, p, from, to;
	double sum = 0.0;

	for (a = 0; a < hi; a = b) {
		b = group_end(v, n, a, &p);
		if (b <= lo || p == 0)
			continue;
		from = a > lo ? a : lo;
		to = b < hi ? b : hi;
		if (to - from == b - a)
			sum += (double)p;
		else
			sum += (double)p * (double)(to - from) / (double)(b - a);
	}
	return sum;
}

static double
lift_sorted(const struct scored *v, size_t n, size_t positives)
{
	size_t top = n / 10 + (n % 10 != 0);
	double top_rate = positives_in(v, n, 0, top) / (double)top;

	return top_rate / ((double)positives / (double)n);
}

/* floor(b * n / 10) without overflowing b * n. */
static size_t
decile_edge(size_t n, size_t b)
{
	return n / 10 * b + n % 10 * b / 10;
}

/* Buckets count up from the lowest scores, which sit at the end of the descending order. */
static size_t
calibration_sorted(const struct scored *v, size_t n, struct metrics_bucket out[METRICS_DECILES])
{
	size_t b, i, lo, hi, nout = 0;
	double sum;

	for (b = 1; b <= METRICS_DECILES; b++) {
		lo = n - decile_edge(n, b);
		hi = n - decile_edge(n, b - 1);
		if (lo == hi)
			continue;
		sum = 0.0;
		for (i = lo; i < hi; i++)
			sum += v[i].s;
		out[nout].bucket = (int)b;
		out[nout].count = hi - lo;
		out[nout].mean_predicted = sum / (double)(hi - lo);
		out[nout].observed_rate = positives_in(v, n, lo, hi) / (double)(hi - lo);
		nout++;
	}
	return nout;
}

/* Clips the probability given to the true class rather than p itself: equal in exact
 * arithmetic, but 1 - (1 - 1e-15) is not 1e-15 in doubles, and a confident miss should
 * cost the same, -ln(1e-15), on either class. */
static double
log_loss_rows(const struct rows *r)
{
	double sum = 0.0, q;
	size_t i;

	for (i = 0; i < r->n; i++) {
		q = r->label[i] != 0 ? r->score[i] : 1.0 - r->score[i];
		sum -= log(fmin(fmax(q, LOG_LOSS_EPS), 1.0 - LOG_LOSS_EPS));
	}
	return sum / (double)r->n;
}

static double
brier_rows(const struct rows *r)
{
	double sum = 0.0, d;
	size_t i;

	for (i = 0; i < r->n; i++) {
		d = r->score[i] - (r->label[i] != 0 ? 1.0 : 0.0);
		sum += d * d;
	}
	return sum / (double)r->n;
}

int
metrics_roc_auc(const double *score, const int *label, size_t n, double *out, struct ls_err *err)
{
	struct rows r = {score, label, n, 0};
	struct scored *v;

	if (check_rows(&r, 0, err) != 0 || need_both_classes(&r, err) != 0)
		return -1;
	if ((v = sort_desc(&r, err)) == NULL)
		return -1;
	*out = auc_sorted(v, n, r.positives);
	free(v);
	return 0;
}

int
metrics_average_precision(const double *score, const int *label, size_t n, double *out,
                          struct ls_err *err)
{
	struct rows r = {score, label, n, 0};
	struct scored *v;

	if (check_rows(&r, 0, err) != 0 || need_positive(&r, err) != 0)
		return -1;
	if ((v = sort_desc(&r, err)) == NULL)
		return -1;
	*out = ap_sorted(v, n, r.positives);
	free(v);
	return 0;
}

int
metrics_log_loss(const double *prob, const int *label, size_t n, double *out, struct ls_err *err)
{
	struct rows r = {prob, label, n, 0};

	if (check_rows(&r, 1, err) != 0)
		return -1;
	*out = log_loss_rows(&r);
	return 0;
}

int
metrics_brier(const double *prob, const int *label, size_t n, double *out, struct ls_err *err)
{
	struct rows r = {prob, label, n, 0};

	if (check_rows(&r, 1, err) != 0)
		return -1;
	*out = brier_rows(&r);
	return 0;
}

int
metrics_lift_top_decile(const double *score, const int *label, size_t n, double *out,
                        struct ls_err *err)
{
	struct rows r = {score, label, n, 0};
	struct scored *v;

	if (check_rows(&r, 0, err) != 0 || need_positive(&r, err) != 0)
		return -1;
	if ((v = sort_desc(&r, err)) == NULL)
		return -1;
	*out = lift_sorted(v, n, r.positives);
	free(v);
	return 0;
}

int
metrics_precision_at_k(const double *score, const int *label, size_t n, size_t k, double *out,
                       struct ls_err *err)
{
	struct rows r = {score, label, n, 0};
	struct scored *v;

	if (check_rows(&r, 0, err) != 0)
		return -1;
	if (k == 0 || k > n)
		return ls_err_set(err, "precision at k: k = %zu is not in 1..%zu", k, n);
	if ((v = sort_desc(&r, err)) == NULL)
		return -1;
	*out = positives_in(v, n, 0, k) / (double)k;
	free(v);
	return 0;
}

int
metrics_calibration(const double *prob, const int *label, size_t n,
                    struct metrics_bucket out[METRICS_DECILES], size_t *nout, struct ls_err *err)
{
	struct rows r = {prob, label, n, 0};
	struct scored *v;

	if (check_rows(&r, 1, err) != 0)
		return -1;
	if ((v = sort_desc(&r, err)) == NULL)
		return -1;
	*nout = calibration_sorted(v, n, out);
	free(v);
	return 0;
}

int
metrics_evaluate(const double *prob, const int *label, size_t n, size_t k,
                 struct metrics_report *out, struct ls_err *err)
{
	struct rows r = {prob, label, n, 0};
	struct scored *v;

	if (check_rows(&r, 1, err) != 0 || need_both_classes(&r, err) != 0)
		return -1;
	if (k == 0)
		return ls_err_set(err, "precision at k: k must be at least 1");
	if ((v = sort_desc(&r, err)) == NULL)
		return -1;
	out->n = n;
	out->positives = r.positives;
	out->auc = auc_sorted(v, n, r.positives);
	out->pr_auc = ap_sorted(v, n, r.positives);
	out->log_loss = log_loss_rows(&r);
	out->brier = brier_rows(&r);
	out->lift_top_decile = lift_sorted(v, n, r.positives);
	out->k = k < n ? k : n;
	out->precision_at_k = positives_in(v, n, 0, out->k) / (double)out->k;
	out->ncalibration = calibration_sorted(v, n, out->calibration);
	free(v);
	return 0;
}

static json_t *
bucket_json(const struct metrics_bucket *b)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "bucket", json_integer(b->bucket)) != 0 ||
	    json_object_set_new(o, "count", json_integer((json_int_t)b->count)) != 0 ||
	    json_object_set_new(o, "mean_predicted", json_real(b->mean_predicted)) != 0 ||
	    json_object_set_new(o, "observed_rate", json_real(b->observed_rate)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
calibration_json(const struct metrics_report *r)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < r->ncalibration; i++) {
		if (json_array_append_new(a, bucket_json(&r->calibration[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
precision_json(const struct metrics_report *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "k", json_integer((json_int_t)r->k)) != 0 ||
	    json_object_set_new(o, "value", json_real(r->precision_at_k)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
metrics_report_json(const struct metrics_report *r)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "n", json_integer((json_int_t)r->n)) != 0 ||
	    json_object_set_new(o, "positives", json_integer((json_int_t)r->positives)) != 0 ||
	    json_object_set_new(o, "auc", json_real(r->auc)) != 0 ||
	    json_object_set_new(o, "pr_auc", json_real(r->pr_auc)) != 0 ||
	    json_object_set_new(o, "log_loss", json_real(r->log_loss)) != 0 ||
	    json_object_set_new(o, "brier", json_real(r->brier)) != 0 ||
	    json_object_set_new(o, "lift_top_decile", json_real(r->lift_top_decile)) != 0 ||
	    json_object_set_new(o, "precision_at_k", precision_json(r)) != 0 ||
	    json_object_set_new(o, "calibration", calibration_json(r)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
metrics_json(const double *prob, const int *label, size_t n, size_t k, struct ls_err *err)
{
	struct metrics_report r;
	json_t *o;

	if (metrics_evaluate(prob, label, n, k, &r, err) != 0)
		return NULL;
	o = metrics_report_json(&r);
	if (o == NULL)
		ls_err_set(err, "out of memory building the metrics report");
	return o;
}
