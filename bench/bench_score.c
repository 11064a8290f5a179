/* bench_score.c: predictions per second of logistic and RBF bundles, beside liblinear and libsvm
 * called directly. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/bundle.h"
#include "../model/model.h"
#include "common.h"

/*
 * usage: bench_score --dir DIR [--reps R] [--secs S] [--rbf-rows N]
 *
 * Trains a logistic model (liblinear) and an RBF SVM (libsvm, with probability estimates) on
 * synthetic rows of 20 numeric features, writes both as bundles under DIR, loads them back
 * and times, on one thread, over the same rows:
 *   model_predict (encoding included), model_score with 6 reasons (what the daemon calls),
 *   and the library's own predict_probability / svm_predict_probability on rows encoded
 *   beforehand: the baseline.
 * Each figure is the median over R rounds of at least S seconds each.
 */

#define NF 20     /* features */
#define POOL 4096 /* rows scored, round and round */
#define HASH "00000000000000000000000000000000000000000000000000000000000000b0"

static struct raw_value vals[POOL][NF];
static struct raw_row rows[POOL];
static double enc_x[POOL][NF];
static struct feature_node ll_x[POOL][NF + 2];
static struct svm_node sv_x[POOL][NF + 1];
static volatile double sink;

static unsigned long long lcg = 42;

static double
gauss(void)
{
	double u, v;

	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	u = ((double)(lcg >> 11) + 1) / 9007199254740993.0;
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	v = (double)(lcg >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static double
uniform(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg >> 11) / 9007199254740992.0;
}

static void
make_rows(void)
{
	for (size_t i = 0; i < POOL; i++) {
		for (size_t j = 0; j < NF; j++)
			vals[i][j] = (struct raw_value){0, gauss() * (1 + (double)j), NULL};
		rows[i] = (struct raw_row){vals[i], NF};
	}
}

/* Labels: a linear rule for the logistic model, a ring with noise for the RBF one (so that
 * many rows end up support vectors). */
static double
label(size_t i, int rbf)
{
	double s = 0;

	if (!rbf) {
		for (size_t j = 0; j < NF; j++)
			s += (double)((int)(j % 5) - 2) * 0.4 * vals[i][j].num / (1 + (double)j);
		return uniform() < 1 / (1 + exp(-(s - 1))) ? 1 : 0;
	}
	s = pow(vals[i][0].num, 2) + pow(vals[i][1].num / 2, 2) +
	    vals[i][2].num * vals[i][3].num / 12;
	return (s > 1.4) != (uniform() < 0.2) ? 1 : 0;
}

static struct encoder *
fit_encoder(struct ls_err *err)
{
	static char names[NF][8];
	struct encoder_field f[NF];

	for (size_t j = 0; j < NF; j++) {
		snprintf(names[j], sizeof(names[j]), "f%02zu", j + 1);
		f[j] = (struct encoder_field){names[j], FIELD_NUMERIC,
		                              j < NF / 2 ? GROUP_FIT : GROUP_ENGAGEMENT,
		                              TRANSFORM_NONE};
	}
	return encoder_fit(f, NF, rows, POOL, 1, err);
}

static int
encode_rows(const struct encoder *enc, struct ls_err *err)
{
	for (size_t i = 0; i < POOL; i++) {
		size_t k = 0;

		if (encoder_encode(enc, &rows[i], enc_x[i]) < 0)
			return ls_err_set(err, "row %zu does not fit the encoder", i);
		for (size_t j = 0; j < NF; j++) {
			ll_x[i][j] = (struct feature_node){(int)j + 1, enc_x[i][j]};
			if (enc_x[i][j] != 0)
				sv_x[i][k++] = (struct svm_node){(int)j + 1, enc_x[i][j]};
		}
		ll_x[i][NF] = (struct feature_node){NF + 1, 1.0}; /* the bias feature */
		ll_x[i][NF + 1].index = -1;
		sv_x[i][k].index = -1;
	}
	return 0;
}

static void
quiet(const char *s)
{
	(void)s;
}

static int
write_logistic(const char *dir, const struct bundle_meta *meta, struct ls_err *err)
{
	static struct feature_node *xp[POOL];
	static double y[POOL];
	struct problem prob = {POOL, NF + 1, y, xp, 1.0};
	struct parameter param = {0};
	struct ll_model *lm;
	int rc;

	for (size_t i = 0; i < POOL; i++) {
		xp[i] = ll_x[i];
		y[i] = label(i, 0);
	}
	param.solver_type = L2R_LR;
	param.eps = 0.001;
	param.C = 1;
	set_print_string_function(quiet);
	if ((lm = train(&prob, &param)) == NULL)
		return ls_err_set(err, "liblinear: training failed");
	rc = bundle_write_logistic(dir, meta, lm, err);
	free_and_destroy_model(&lm);
	return rc;
}

static int
write_rbf(const char *dir, const struct bundle_meta *meta, size_t n, struct ls_err *err)
{
	static struct svm_node *xp[POOL];
	static double y[POOL];
	struct svm_problem prob = {(int)n, y, xp};
	struct svm_parameter param = {0};
	struct svm_model *sm;
	int rc;

	for (size_t i = 0; i < n; i++) {
		xp[i] = sv_x[i];
		y[i] = label(i, 1);
	}
	param.svm_type = C_SVC;
	param.kernel_type = RBF;
	param.gamma = 1.0 / NF;
	param.C = 1;
	param.cache_size = 100;
	param.eps = 1e-3;
	param.shrinking = 1;
	param.probability = 1;
	svm_set_print_string_function(quiet);
	srand(7);
	if ((sm = svm_train(&prob, &param)) == NULL)
		return ls_err_set(err, "libsvm: training failed");
	bench_result("score_rbf_sv", svm_get_nr_sv(sm));
	rc = bundle_write_svm(dir, meta, sm, err); /* before prob goes: sm points into it */
	svm_free_and_destroy_model(&sm);
	return rc;
}

/* ---- timing ---- */

enum what { PREDICT, SCORE, LIBLINEAR, LIBSVM };

static double
one(enum what w, const void *m, size_t i)
{
	struct score s;
	struct ls_err err;
	double pe[2];

	switch (w) {
	case PREDICT:
		return model_predict(m, &rows[i]);
	case SCORE:
		return model_score(m, &rows[i], 6, &s, &err) == 0 ? s.probability : 0;
	case LIBLINEAR:
		predict_probability(m, ll_x[i], pe);
		return pe[0];
	case LIBSVM:
		svm_predict_probability(m, sv_x[i], pe);
		return pe[0];
	}
	return 0;
}

/* Predictions per second over at least secs seconds. */
static double
rate(enum what w, const void *m, double secs)
{
	int64_t t0 = bench_mono_us(), t;
	size_t n = 0;
	double acc = 0;

	/* The clock is read every 64 predictions: the slowest take 2 ms each. */
	do {
		for (size_t k = 0; k < 64; k++, n++)
			acc += one(w, m, n % POOL);
		t = bench_mono_us();
	} while ((double)(t - t0) < secs * 1e6);
	sink = acc;
	return (double)n * 1e6 / (double)(t - t0);
}

static double
median(double *v, size_t n)
{
	return bench_quantile(v, n, 0.5);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
	                                     {"reps", required_argument, NULL, 'r'},
	                                     {"secs", required_argument, NULL, 's'},
	                                     {"rbf-rows", required_argument, NULL, 'n'},
	                                     {NULL, 0, NULL, 0}};
	static const char *const names[6] = {"score_lr_predict", "score_lr_score",
	                                     "score_liblinear",  "score_rbf_predict",
	                                     "score_rbf_score",  "score_libsvm"};
	const char *dir = NULL;
	long reps = 3, rbf_rows = 2300;
	double secs = 1, r[6][64];
	char lr_dir[512], rbf_dir[512], path[600];
	struct ls_err err = {{0}};
	struct encoder *enc;
	struct model *lr, *rbf;
	struct ll_model *ll;
	struct svm_model *sv;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'r')
			reps = strtol(optarg, NULL, 10);
		else if (c == 's')
			secs = strtod(optarg, NULL);
		else if (c == 'n')
			rbf_rows = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (dir == NULL || reps < 1 || reps > 64 || rbf_rows < 100 || rbf_rows > POOL) {
		fprintf(stderr,
		        "usage: bench_score --dir DIR [--reps 1-64] [--secs S] "
		        "[--rbf-rows 100-%d]\n",
		        POOL);
		return 2;
	}
	make_rows();
	if ((enc = fit_encoder(&err)) == NULL || encode_rows(enc, &err) < 0)
		goto fail;
	snprintf(lr_dir, sizeof(lr_dir), "%s/lr", dir);
	snprintf(rbf_dir, sizeof(rbf_dir), "%s/rbf", dir);
	{
		struct bundle_meta lm = {"bench-lr", HASH, 1, enc, {0}, NULL, NULL, NULL, NULL};
		struct bundle_meta rm = {"bench-rbf", HASH, 1, enc, {0}, NULL, NULL, NULL, NULL};

		if (write_logistic(lr_dir, &lm, &err) < 0 ||
		    write_rbf(rbf_dir, &rm, (size_t)rbf_rows, &err) < 0)
			goto fail;
	}
	if ((lr = model_load(lr_dir, &err)) == NULL || (rbf = model_load(rbf_dir, &err)) == NULL)
		goto fail;
	snprintf(path, sizeof(path), "%s/model.txt", lr_dir);
	ll = load_model(path);
	snprintf(path, sizeof(path), "%s/model.txt", rbf_dir);
	sv = svm_load_model(path);
	if (ll == NULL || sv == NULL) {
		ls_err_set(&err, "the libraries cannot read the bundles' model files");
		goto fail;
	}
	for (long k = 0; k < reps; k++) {
		r[0][k] = rate(PREDICT, lr, secs);
		r[1][k] = rate(SCORE, lr, secs);
		r[2][k] = rate(LIBLINEAR, ll, secs);
		r[3][k] = rate(PREDICT, rbf, secs);
		r[4][k] = rate(SCORE, rbf, secs);
		r[5][k] = rate(LIBSVM, sv, secs);
	}
	for (size_t w = 0; w < 6; w++)
		bench_result(names[w], median(r[w], (size_t)reps));
	model_free(lr);
	model_free(rbf);
	free_and_destroy_model(&ll);
	svm_free_and_destroy_model(&sv);
	encoder_free(enc);
	return 0;
fail:
	fprintf(stderr, "bench_score: %s\n", err.msg);
	return 1;
}
