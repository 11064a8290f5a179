/* train.c: a training run from labelled rows to a bundle whose holdout metrics are the served
 * model's. */
#include "train.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "train_calib.h"
#include "train_fit.h"
#include "train_report.h"
#include "train_search.h"

/* The bundle as loaded must give the in-process probabilities to within this. */
#define SERVE_TOLERANCE 1e-6

void
train_opts_init(struct train_opts *o, enum manifest_kind kind)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->min_positives = TRAIN_MIN_POSITIVES;
	o->positive_desc = "positive label";
	o->min_level_count = TRAIN_MIN_LEVEL_COUNT;
	o->bins = TRAIN_BINS;
	o->balanced = 1;
	o->seed = 1;
	o->threads = 1;
}

void
train_result_clear(struct train_result *res)
{
	json_decref(res->report);
	free(res->test_prob);
	memset(res, 0, sizeof(*res));
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(const struct train_opts *o, const char *fmt, ...) LS_PRINTF(2, 3);

static void
progress(const struct train_opts *o, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (o->progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->progress(o->progress_ctx, msg);
}

static size_t
count_pos(const struct dataset *ds, const size_t *rows, size_t n)
{
	size_t i, pos = 0;

	for (i = 0; i < n; i++)
		pos += ds->labels[rows[i]] != 0;
	return pos;
}

/* The checks that come before any work, each with the reason an admin needs. */
static int
check_data(const struct dataset *ds, const struct split *sp, const struct train_opts *o,
           struct train_result *res, struct ls_err *err)
{
	res->ntrain = sp->ntrain;
	res->ntest = sp->ntest;
	res->pos_train = count_pos(ds, sp->train, sp->ntrain);
	res->pos_test = count_pos(ds, sp->test, sp->ntest);
	if (res->pos_train < o->min_positives)
		return ls_err_set(err,
		                  "refusing to train: the training rows hold %zu positive examples "
		                  "(%s), fewer than the %zu required (train.min_positives); %zu "
		                  "training rows, %zu holdout rows",
		                  res->pos_train, o->positive_desc, o->min_positives, res->ntrain,
		                  res->ntest);
	if (res->pos_train == 0 || res->pos_train == res->ntrain)
		return ls_err_set(err, "the %zu training rows are all %s: nothing to learn",
		                  res->ntrain, res->pos_train ? "positive" : "negative");
	if (res->pos_test == 0 || res->pos_test == res->ntest)
		return ls_err_set(err,
		                  "the %zu holdout rows are all %s: the model cannot be evaluated "
		                  "(a larger holdout fraction or more data is needed)",
		                  res->ntest, res->pos_test ? "positive" : "negative");
	return 0;
}

/* Up to max rows of rows[0..n), with both classes in proportion, in their order. */
static size_t *
stratified_sample(const struct dataset *ds, const size_t *rows, size_t n, size_t max, uint64_t seed,
                  size_t *nout)
{
	size_t npos = count_pos(ds, rows, n), want[2], left[2], i, k = 0;
	size_t *out = malloc((n ? n : 1) * sizeof(size_t));
	uint64_t st = seed;

	if (out == NULL)
		return NULL;
	if (n <= max) {
		memcpy(out, rows, n * sizeof(size_t));
		*nout = n;
		return out;
	}
	want[1] = (size_t)floor((double)max * (double)npos / (double)n + 0.5);
	if (want[1] == 0 && npos > 0)
		want[1] = 1;
	want[0] = max - want[1];
	left[1] = npos;
	left[0] = n - npos;
	for (i = 0; i < n; i++) {
		int c = ds->labels[rows[i]] != 0;

		/* Selection sampling within each class. */
		if (dataset_rand(&st) % left[c] < want[c]) {
			out[k++] = rows[i];
			want[c]--;
		}
		left[c]--;
	}
	*nout = k;
	return out;
}

/* The grid, from the strongest regularisation up (ties go to the first). */
static size_t
make_grid(enum manifest_kind kind, size_t ninputs, struct search_point *g)
{
	size_t n = 0;
	int i, j;

	if (kind == MANIFEST_LOGISTIC) {
		for (i = -12; i <= 4; i++)
			g[n++] = (struct search_point){ldexp(1, i), 0, NAN, 0};
	} else if (kind == MANIFEST_SVM_LINEAR) {
		for (i = -7; i <= 1; i += 2)
			g[n++] = (struct search_point){ldexp(1, i), 0, NAN, 0};
	} else {
		/* Standardised numerics and one-hot groups each add about 2 to the expected
		 * squared distance of two rows, so gamma is scaled by 1 / (2 inputs). */
		double g0 = 1.0 / (2.0 * (double)(ninputs ? ninputs : 1));

		for (i = -1; i <= 5; i += 2)
			for (j = -4; j <= 2; j += 2)
				g[n++] =
				    (struct search_point){ldexp(1, i), g0 * ldexp(1, j), NAN, 0};
	}
	return n;
}

struct fitted {
	size_t bins; /* the encoding: quantile bins per numeric field, 0: none */
	struct encoder *enc;
	struct tproblem prob; /* the fit sample, encoded */
	size_t *fit_rows;
	size_t nfit, nsearch;
	struct tparams par;
	struct search_point best;
	struct tmodel model;
	struct manifest_calib calib;
	struct manifest_tiers tiers;
};

static void
fitted_free(struct fitted *f)
{
	tmodel_free(&f->model);
	tproblem_free(&f->prob);
	encoder_free(f->enc);
	free(f->fit_rows);
	memset(f, 0, sizeof(*f));
}

static int
fit_encoder(const struct dataset *ds, const struct split *sp, const struct train_opts *o,
            struct fitted *f, struct ls_err *err)
{
	struct raw_row *rows = malloc((sp->ntrain ? sp->ntrain : 1) * sizeof(*rows));
	size_t i;

	if (rows == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < sp->ntrain; i++)
		rows[i] = dataset_row(ds, sp->train[i]);
	progress(o, "fitting the encoder on %zu rows of %zu fields (%s)", sp->ntrain, ds->nfields,
	         f->bins ? "numbers also in quantile bins" : "numbers as they are");
	f->enc = encoder_fit(ds->fields, ds->nfields, rows, sp->ntrain, o->min_level_count, err);
	if (f->enc != NULL &&
	    encoder_fit_bins(f->enc, rows, sp->ntrain, f->bins, o->min_level_count, err) < 0) {
		encoder_free(f->enc);
		f->enc = NULL;
	}
	free(rows);
	if (f->enc == NULL)
		return ls_err_prefix(err, "encoder");
	if (o->nmissing > 0 && encoder_set_missing(f->enc, o->missing, o->nmissing, err) < 0)
		return ls_err_prefix(err, "encoder");
	return 0;
}

/* Labels and groups of the problem's rows idx[0..n), for fold assignment. */
static int
assign_folds(const struct dataset *ds, const struct fitted *f, const size_t *idx, size_t n, int k,
             uint64_t seed, int *fold, struct ls_err *err)
{
	int *lab = malloc((n ? n : 1) * sizeof(int));
	const char **grp = malloc((n ? n : 1) * sizeof(char *));
	size_t i;
	int rc, grouped = 0;

	if (lab == NULL || grp == NULL) {
		free(lab);
		free(grp);
		return ls_err_set(err, "out of memory");
	}
	for (i = 0; i < n; i++) {
		lab[i] = f->prob.label[idx[i]];
		grp[i] = ds->groups[f->fit_rows[idx[i]]];
		grouped |= grp[i] != NULL;
	}
	rc = search_assign_folds(lab, grouped ? grp : NULL, n, k, seed, fold, err);
	free(lab);
	free(grp);
	return rc;
}

static int
search(const struct dataset *ds, const struct train_opts *o, struct fitted *f, int k,
       struct ls_err *err)
{
	struct search_point grid[32];
	struct search_opts so = {k, o->threads, o->progress, o->progress_ctx};
	size_t ngrid = make_grid(o->kind, f->enc->ninputs, grid), i;
	size_t *idx = malloc((f->nfit ? f->nfit : 1) * sizeof(size_t)), *sidx;
	int *fold = malloc((f->nfit ? f->nfit : 1) * sizeof(int));
	long best;
	int rc = -1;

	if (idx == NULL || fold == NULL) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < f->nfit; i++)
		idx[i] = i;
	/* The search sample is a stratified subset of the fit sample (all of it for logistic). */
	sidx = stratified_sample(ds, f->fit_rows, f->nfit, f->nsearch, o->seed + 1, &f->nsearch);
	if (sidx == NULL) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	/* Map the sampled dataset rows back to problem positions (both lists keep row order). */
	for (size_t a = 0, b = 0; a < f->nsearch; a++) {
		while (f->fit_rows[b] != sidx[a])
			b++;
		sidx[a] = b;
	}
	progress(o, "cross-validating %zu settings x %d folds on %zu rows", ngrid, k, f->nsearch);
	if (assign_folds(ds, f, sidx, f->nsearch, k, o->seed, fold, err) < 0 ||
	    search_grid(&f->prob, sidx, f->nsearch, fold, &f->par, grid, ngrid, &so, err) < 0) {
		free(sidx);
		goto out;
	}
	free(sidx);
	if ((best = search_best(grid, ngrid)) < 0) {
		ls_err_set(err, "cross-validation: no fold held both classes");
		goto out;
	}
	f->best = grid[best];
	f->par.C = grid[best].C;
	f->par.gamma = grid[best].gamma;
	rc = 0;
out:
	free(idx);
	free(fold);
	return rc;
}

/* Out-of-fold decision values at the chosen setting give the calibration and the tiers. */
static int
calibrate(const struct dataset *ds, const struct train_opts *o, struct fitted *f, int k,
          struct ls_err *err)
{
	struct search_opts so = {k, o->threads, NULL, NULL};
	size_t *idx = malloc((f->nfit ? f->nfit : 1) * sizeof(size_t)), i;
	int *fold = malloc((f->nfit ? f->nfit : 1) * sizeof(int));
	double *oof = malloc((f->nfit ? f->nfit : 1) * sizeof(double));
	int rc = -1;

	if (idx == NULL || fold == NULL || oof == NULL) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < f->nfit; i++)
		idx[i] = i;
	progress(o, "calibrating on out-of-fold decision values of %zu rows", f->nfit);
	if (assign_folds(ds, f, idx, f->nfit, k, o->seed + 2, fold, err) < 0 ||
	    search_oof(&f->prob, idx, f->nfit, fold, &f->par, oof, &so, err) < 0 ||
	    calib_platt(oof, f->prob.label, f->nfit, &f->calib, err) < 0)
		goto out;
	for (i = 0; i < f->nfit; i++)
		oof[i] = calib_prob(&f->calib, oof[i]);
	calib_tiers(oof, f->nfit, &f->tiers);
	rc = 0;
out:
	free(idx);
	free(fold);
	free(oof);
	return rc;
}

/* One encoding: the encoder, the encoded fit sample and the grid search on it. */
static int
prepare(const struct dataset *ds, const struct split *sp, const struct train_opts *o, size_t bins,
        int k, struct fitted *f, struct ls_err *err)
{
	int svm = o->kind != MANIFEST_LOGISTIC;
	size_t max = !svm ? sp->ntrain : o->max_rows ? o->max_rows : TRAIN_MAX_ROWS;
	size_t npos = count_pos(ds, sp->train, sp->ntrain);

	f->bins = bins;
	if (fit_encoder(ds, sp, o, f, err) < 0)
		return -1;
	f->par.kind = o->kind;
	f->par.w_pos = o->balanced ? (double)sp->ntrain / (2.0 * (double)npos) : 1.0;
	f->par.w_neg = o->balanced ? (double)sp->ntrain / (2.0 * (double)(sp->ntrain - npos)) : 1.0;
	f->fit_rows = stratified_sample(ds, sp->train, sp->ntrain, max, o->seed, &f->nfit);
	if (f->fit_rows == NULL)
		return ls_err_set(err, "out of memory");
	f->nsearch = !svm ? f->nfit : o->search_rows ? o->search_rows : TRAIN_SEARCH_ROWS;
	if (f->nsearch > f->nfit)
		f->nsearch = f->nfit;
	if (f->nfit < sp->ntrain)
		progress(o, "sampled %zu of %zu training rows for %s", f->nfit, sp->ntrain,
		         manifest_kind_name(o->kind));
	if (tproblem_build(&f->prob, o->kind, f->enc, ds, f->fit_rows, f->nfit, err) < 0)
		return -1;
	return search(ds, o, f, k, err);
}

/* The encoding is chosen like C: numbers as they are, or also in quantile bins (a curve
 * instead of a line per field), whichever cross-validates better. */
static int
fit(const struct dataset *ds, const struct split *sp, const struct train_opts *o, struct fitted *f,
    struct ls_err *err)
{
	int k = o->folds > 0 ? o->folds : o->kind != MANIFEST_LOGISTIC ? 3 : 5;
	struct fitted alt;
	size_t i, *all;
	int rc;

	if (prepare(ds, sp, o, 0, k, f, err) < 0)
		return -1;
	if (o->bins >= 2) {
		memset(&alt, 0, sizeof(alt));
		if (prepare(ds, sp, o, o->bins, k, &alt, err) < 0) {
			fitted_free(&alt);
			return -1;
		}
		progress(o, "encoding: cross-validated AUC %.4f as they are, %.4f with bins",
		         f->best.auc, alt.best.auc);
		if (alt.best.auc > f->best.auc) {
			fitted_free(f);
			*f = alt;
		} else {
			fitted_free(&alt);
		}
	}
	if (calibrate(ds, o, f, k, err) < 0)
		return -1;
	progress(o, "fitting the final model on %zu rows", f->nfit);
	if ((all = malloc((f->nfit ? f->nfit : 1) * sizeof(size_t))) == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < f->nfit; i++)
		all[i] = i;
	rc = tmodel_fit(&f->model, &f->prob, all, f->nfit, &f->par, err);
	free(all);
	return rc;
}

/* In-process holdout probabilities: the same encoder, model and calibration as the bundle. */
static int
holdout(const struct dataset *ds, const struct split *sp, const struct fitted *f, double *prob,
        struct ls_err *err)
{
	struct tproblem tp;
	size_t i;

	if (tproblem_build(&tp, f->prob.kind, f->enc, ds, sp->test, sp->ntest, err) < 0)
		return -1;
	for (i = 0; i < sp->ntest; i++)
		prob[i] = calib_prob(&f->calib, tmodel_decision(&f->model, &tp, i));
	tproblem_free(&tp);
	return 0;
}

static int
write_bundle(const char *dir, const struct train_source *src, const struct fitted *f,
             const json_t *training, const json_t *metrics, struct ls_err *err)
{
	struct bundle_meta meta = {src->version, src->spec_hash, src->spec_version,
	                           f->enc,       f->calib,       &f->tiers,
	                           NULL,         training,       metrics};

	if (f->model.lm != NULL)
		return bundle_write_logistic(dir, &meta, f->model.lm, err);
	return bundle_write_svm(dir, &meta, f->model.sm, err);
}

static void
remove_bundle(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, MANIFEST_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/model.txt", dir);
	unlink(path);
	rmdir(dir);
}

/* Loads the written bundle as the daemon would and checks it predicts what was measured. */
static int
verify_bundle(const char *dir, const struct dataset *ds, const struct split *sp, const double *want,
              double *got, struct ls_err *err)
{
	struct model *m = model_load(dir, err);
	size_t i;
	int rc;

	if (m == NULL)
		return ls_err_prefix(err, "loading the new bundle");
	rc = train_predict(m, ds, sp->test, sp->ntest, got, err);
	model_free(m);
	if (rc < 0)
		return -1;
	for (i = 0; i < sp->ntest; i++)
		if (!(fabs(got[i] - want[i]) <= SERVE_TOLERANCE))
			return ls_err_set(
			    err,
			    "the bundle as loaded predicts %.9g for holdout row %zu, the "
			    "trainer %.9g",
			    got[i], i, want[i]);
	return 0;
}

int
train_run(const struct dataset *ds, const struct split *sp, const struct train_opts *o,
          const struct train_source *src, const char *out_dir, struct train_result *res,
          struct ls_err *err)
{
	struct fitted f;
	struct train_facts facts;
	double t0 = mono_s(), *prob = NULL;
	json_t *training = NULL, *metrics = NULL;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&f, 0, sizeof(f));
	if (check_data(ds, sp, o, res, err) < 0)
		return -1;
	tfit_quiet();
	if ((prob = malloc(sp->ntest * sizeof(double))) == NULL ||
	    (res->test_prob = malloc(sp->ntest * sizeof(double))) == NULL) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	if (fit(ds, sp, o, &f, err) < 0 || holdout(ds, sp, &f, prob, err) < 0)
		goto out;
	progress(o, "evaluating on %zu holdout rows", sp->ntest);
	facts = (struct train_facts){ds,
	                             sp,
	                             o,
	                             f.enc,
	                             f.bins,
	                             f.par.C,
	                             f.par.gamma,
	                             f.best.auc,
	                             f.nsearch,
	                             f.nfit,
	                             f.model.sm ? (size_t)f.model.sm->l : 0,
	                             &f.calib,
	                             &f.tiers,
	                             prob,
	                             mono_s() - t0};
	if (train_report_build(&facts, src, &training, &metrics, err) < 0)
		goto out;
	progress(o, "writing the bundle to %s", out_dir);
	if (write_bundle(out_dir, src, &f, training, metrics, err) < 0)
		goto out;
	if (verify_bundle(out_dir, ds, sp, prob, res->test_prob, err) < 0) {
		remove_bundle(out_dir);
		goto out;
	}
	res->report = metrics;
	metrics = NULL;
	res->auc = json_number_value(json_object_get(res->report, "auc"));
	rc = 0;
out:
	json_decref(training);
	json_decref(metrics);
	free(prob);
	fitted_free(&f);
	if (rc < 0) {
		free(res->test_prob);
		res->test_prob = NULL;
	}
	return rc;
}

int
train_predict(const struct model *m, const struct dataset *ds, const size_t *rows, size_t n,
              double *prob, struct ls_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct raw_row r = dataset_row(ds, rows[i]);

		prob[i] = model_predict(m, &r);
		if (isnan(prob[i]))
			return ls_err_set(err, "the model's inputs do not match the rows' fields");
	}
	return 0;
}

int
train_auc(const struct dataset *ds, const size_t *rows, size_t n, const double *prob, double *auc,
          struct ls_err *err)
{
	int *lab = malloc((n ? n : 1) * sizeof(int));
	size_t i;
	int rc;

	if (lab == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < n; i++)
		lab[i] = ds->labels[rows[i]];
	rc = metrics_roc_auc(prob, lab, n, auc, err);
	free(lab);
	return rc;
}
