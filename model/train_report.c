/* train_report.c: a run's metrics as JSON (machines) and as a table (people). */
#include "train_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

static int
set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v);
}

static json_t *
columns_json(const struct dataset *ds)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < ds->nfields; i++)
		if (json_array_append_new(a, json_string(ds->fields[i].name)) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
params_json(const struct train_facts *f, int folds)
{
	json_t *p = json_object();
	int bad;

	if (p == NULL)
		return NULL;
	bad = set(p, "C", json_real(f->C)) ||
	      (f->o->kind == MANIFEST_SVM_RBF && set(p, "gamma", json_real(f->gamma))) ||
	      set(p, "class_weight", json_string(f->o->balanced ? "balanced" : "none")) ||
	      set(p, "folds", json_integer(folds)) || set(p, "cv_auc", json_real(f->cv_auc)) ||
	      set(p, "min_level_count", json_integer((json_int_t)f->o->min_level_count)) ||
	      set(p, "bins", json_integer((json_int_t)f->bins)) ||
	      set(p, "calibration",
	          json_pack("{s:s, s:f, s:f}", "method", "platt", "a", f->calib->a, "b",
	                    f->calib->b));
	if (bad) {
		json_decref(p);
		return NULL;
	}
	return p;
}

static char
tier_of(const struct manifest_tiers *t, double p)
{
	long s = lround(100 * p);

	return s >= t->a ? 'A' : s >= t->b ? 'B' : s >= t->c ? 'C' : 'D';
}

/* Holdout rows and conversion rate per tier: do the tiers sort leads as they promise? */
static json_t *
tier_rates_json(const struct train_facts *f)
{
	size_t n[4] = {0}, pos[4] = {0}, i;
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	for (i = 0; i < f->sp->ntest; i++) {
		int t = tier_of(f->tiers, f->prob[i]) - 'A';

		n[t]++;
		pos[t] += f->ds->labels[f->sp->test[i]] != 0;
	}
	for (i = 0; i < 4; i++) {
		char name[2] = {(char)('A' + i), '\0'};
		json_t *o = json_pack("{s:s, s:I, s:I, s:f}", "tier", name, "count",
		                      (json_int_t)n[i], "positives", (json_int_t)pos[i], "rate",
		                      n[i] ? (double)pos[i] / (double)n[i] : 0.0);

		if (json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static size_t
positives(const struct dataset *ds, const size_t *rows, size_t n)
{
	size_t i, p = 0;

	for (i = 0; i < n; i++)
		p += ds->labels[rows[i]] != 0;
	return p;
}

/* The keys the report and the training block share. */
static int
common(json_t *o, const struct train_facts *f, const struct train_source *src, int folds)
{
	const struct split *sp = f->sp;
	int svm = f->o->kind != MANIFEST_LOGISTIC;

	return set(o, "version", json_string(src->version)) ||
	       set(o, "kind", json_string(manifest_kind_name(f->o->kind))) ||
	       set(o, "rows_train", json_integer((json_int_t)sp->ntrain)) ||
	       set(o, "rows_test", json_integer((json_int_t)sp->ntest)) ||
	       set(o, "positives_train",
	           json_integer((json_int_t)positives(f->ds, sp->train, sp->ntrain))) ||
	       set(o, "positives_test",
	           json_integer((json_int_t)positives(f->ds, sp->test, sp->ntest))) ||
	       set(o, "columns", columns_json(f->ds)) ||
	       set(o, "encoded_columns", json_integer((json_int_t)f->enc->dim)) ||
	       set(o, "params", params_json(f, folds)) ||
	       (svm && set(o, "sample_size",
	                   json_pack("{s:I, s:I}", "search", (json_int_t)f->nsearch, "fit",
	                             (json_int_t)f->nfit))) ||
	       (svm && set(o, "support_vectors", json_integer((json_int_t)f->nsv))) ||
	       set(o, "split",
	           json_pack("{s:s, s:I}", "method", sp->method, "gap_rows",
	                     (json_int_t)sp->ngap)) ||
	       set(o, "seconds", json_real(round(f->seconds * 1000) / 1000));
}

static json_t *
training_json(const struct train_facts *f, const struct train_source *src, int folds)
{
	json_t *t = src->training != NULL ? json_deep_copy(src->training) : json_object();
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	if (t == NULL || !json_is_object(t)) {
		json_decref(t);
		return NULL;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (common(t, f, src, folds) || set(t, "trained_at", json_string(when))) {
		json_decref(t);
		return NULL;
	}
	json_object_del(t, "version"); /* the manifest says it once, at the top */
	json_object_del(t, "kind");
	return t;
}

int
train_report_build(const struct train_facts *f, const struct train_source *src, json_t **training,
                   json_t **metrics, struct ls_err *err)
{
	const struct split *sp = f->sp;
	int folds = f->o->folds > 0 ? f->o->folds : f->o->kind == MANIFEST_LOGISTIC ? 5 : 3;
	int *lab = malloc((sp->ntest ? sp->ntest : 1) * sizeof(int));
	size_t i, k = f->o->precision_k ? f->o->precision_k : TRAIN_PRECISION_K;
	json_t *m;

	*training = *metrics = NULL;
	if (lab == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < sp->ntest; i++)
		lab[i] = f->ds->labels[sp->test[i]];
	m = metrics_json(f->prob, lab, sp->ntest, k, err);
	free(lab);
	if (m == NULL)
		return ls_err_prefix(err, "holdout metrics");
	/* rows_test and positives_test say what "n" and "positives" would. */
	json_object_del(m, "n");
	json_object_del(m, "positives");
	if (common(m, f, src, folds) ||
	    set(m, "tiers",
	        json_pack("{s:i, s:i, s:i}", "A", f->tiers->a, "B", f->tiers->b, "C",
	                  f->tiers->c)) ||
	    set(m, "tier_rates", tier_rates_json(f)) ||
	    (*training = training_json(f, src, folds)) == NULL) {
		json_decref(m);
		return ls_err_set(err, "out of memory building the report");
	}
	*metrics = m;
	return 0;
}

/* ---- the table for people ---- */

static double
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
print_calibration(FILE *fp, const json_t *cal)
{
	size_t i;
	const json_t *b;

	fprintf(fp, "  calibration by decile (holdout)\n"
	            "    decile   rows  predicted  observed\n");
	json_array_foreach(cal, i, b)
	{
		fprintf(fp, "    %6.0f %6.0f  %9.4f  %8.4f\n", num(b, "bucket"), num(b, "count"),
		        num(b, "mean_predicted"), num(b, "observed_rate"));
	}
}

static void
print_tiers(FILE *fp, const json_t *r)
{
	const json_t *t = json_object_get(r, "tiers"), *x;
	size_t i;

	fprintf(fp, "  tiers          A >= %.0f, B >= %.0f, C >= %.0f (score 0-100)\n", num(t, "A"),
	        num(t, "B"), num(t, "C"));
	json_array_foreach(json_object_get(r, "tier_rates"), i, x)
	{
		fprintf(fp, "    tier %s  %6.0f holdout rows, %5.1f %% converted\n",
		        json_string_value(json_object_get(x, "tier")), num(x, "count"),
		        100 * num(x, "rate"));
	}
}

void
train_report_print(FILE *fp, const json_t *r)
{
	const json_t *pk = json_object_get(r, "precision_at_k");
	const json_t *params = json_object_get(r, "params"), *col;
	const json_t *ss = json_object_get(r, "sample_size");
	size_t i;

	fprintf(fp, "model %s (%s)\n", json_string_value(json_object_get(r, "version")),
	        json_string_value(json_object_get(r, "kind")));
	fprintf(fp,
	        "  rows           training %.0f (%.0f positive), holdout %.0f (%.0f positive)\n",
	        num(r, "rows_train"), num(r, "positives_train"), num(r, "rows_test"),
	        num(r, "positives_test"));
	if (ss != NULL)
		fprintf(fp,
		        "  sample         grid search %.0f rows, final fit %.0f rows, %.0f "
		        "support vectors\n",
		        num(ss, "search"), num(ss, "fit"), num(r, "support_vectors"));
	fprintf(fp, "  chosen         C %g", num(params, "C"));
	if (json_object_get(params, "gamma") != NULL)
		fprintf(fp, ", gamma %g", num(params, "gamma"));
	if (num(params, "bins") > 0)
		fprintf(fp, ", numbers also in up to %.0f quantile bins", num(params, "bins"));
	fprintf(fp, " (cross-validated AUC %.4f)\n", num(params, "cv_auc"));
	fprintf(fp, "  holdout        AUC %.4f   PR AUC %.4f   log loss %.4f   Brier %.4f\n",
	        num(r, "auc"), num(r, "pr_auc"), num(r, "log_loss"), num(r, "brier"));
	fprintf(fp, "                 lift in the top decile %.2f   precision at %.0f %.4f\n",
	        num(r, "lift_top_decile"), num(pk, "k"), num(pk, "value"));
	print_tiers(fp, r);
	print_calibration(fp, json_object_get(r, "calibration"));
	fprintf(fp, "  columns (%zu):", json_array_size(json_object_get(r, "columns")));
	json_array_foreach(json_object_get(r, "columns"), i, col)
	{
		fprintf(fp, "%s %s", i ? "," : "", json_string_value(col));
	}
	fprintf(fp, "\n  trained in %.2f s\n", num(r, "seconds"));
}
