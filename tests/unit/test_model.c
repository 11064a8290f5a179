/* test_model.c: bundles trained here, written, loaded back and checked against the libraries. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../model/bundle.h"
#include "../../model/model.h"
#include "../../model/model_impl.h"
#include "../harness/harness.h"
#include "../testhelp.h"

#define HASH1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static char *industry_levels[] = {"software", "retail"};
static double industry_priors[] = {0.8, -0.3};

static struct field_def spec_fields[] = {
    {"visits", FIELD_NUMERIC, GROUP_ENGAGEMENT, SOURCE_SIGNAL, 0, TRANSFORM_LOG1P, 0.5, NULL, NULL,
     0},
    {"employees", FIELD_NUMERIC, GROUP_FIT, SOURCE_ATTRIBUTE, 0, TRANSFORM_NONE, 0.002, NULL, NULL,
     0},
    {"industry", FIELD_CATEGORICAL, GROUP_FIT, SOURCE_ATTRIBUTE, 1, TRANSFORM_NONE, 0,
     industry_levels, industry_priors, 2},
};

static struct featspec spec = {
    .version = 1,
    .hash = HASH1,
    .fields = spec_fields,
    .nfields = 3,
    .starter_intercept = -2.0,
};

static const struct encoder_field train_fields[] = {
    {"visits", FIELD_NUMERIC, GROUP_ENGAGEMENT, TRANSFORM_LOG1P},
    {"employees", FIELD_NUMERIC, GROUP_FIT, TRANSFORM_NONE},
    {"industry", FIELD_CATEGORICAL, GROUP_FIT, TRANSFORM_NONE},
};

/* ---- synthetic data: 48 rows, labelled by a known rule ---- */

#define NTRAIN 48
#define DIM 7 /* visits, employees, industry=mining|retail|software|__other__|__missing__ */

static struct raw_value data[NTRAIN][3];
static struct raw_row rows[NTRAIN];
static double labels[NTRAIN];
static double X[NTRAIN][DIM];
static double base[DIM];
static struct encoder *enc;
static char tmpdir[64];

static unsigned long long lcg = 12345;

static double
uniform(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg >> 11) / 9007199254740992.0;
}

static void
make_data(void)
{
	static const char *inds[] = {"software", "retail", "mining", NULL};
	size_t i, npos = 0;

	for (i = 0; i < NTRAIN; i++) {
		double v = floor(uniform() * 20), e = 10 + floor(uniform() * 990), s;
		const char *ind = inds[i % 4];

		data[i][0] = (struct raw_value){i % 7 == 3, v, NULL};
		data[i][1] = (struct raw_value){i % 5 == 2, e, NULL};
		data[i][2] = (struct raw_value){ind == NULL, 0, ind};
		s = 0.35 * (i % 7 == 3 ? 0 : v) + (i % 4 == 0 ? 2.0 : 0) - (i % 4 == 1 ? 1.0 : 0) +
		    0.002 * (i % 5 == 2 ? 0 : e) - 3.0;
		labels[i] = s > 0 ? 1 : 0;
		npos += s > 0;
		rows[i].values = data[i];
		rows[i].n = 3;
	}
	TEST_CHECK("both classes present", npos > 8 && npos < NTRAIN - 8);
}

static int
encode_all(void)
{
	struct ls_err err = {{0}};
	size_t i;

	if ((enc = encoder_fit(train_fields, 3, rows, NTRAIN, 1, &err)) == NULL) {
		printf("fit: %s\n", err.msg);
		return -1;
	}
	TEST_CHECK("encoded dim", encoder_dim(enc) == DIM);
	for (i = 0; i < NTRAIN; i++)
		if (encoder_encode(enc, &rows[i], X[i]) < 0)
			return -1;
	encoder_encode_missing(enc, base);
	return 0;
}

static void
quiet(const char *s)
{
	(void)s;
}

/* liblinear rows: the nonzero columns, then the bias feature. */
static void
ll_nodes(const double *x, struct feature_node *n)
{
	size_t j, k = 0;

	for (j = 0; j < DIM; j++)
		if (x[j] != 0)
			n[k++] = (struct feature_node){(int)j + 1, x[j]};
	n[k++] = (struct feature_node){DIM + 1, 1.0};
	n[k].index = -1;
}

static void
sv_nodes(const double *x, struct svm_node *n)
{
	size_t j, k = 0;

	for (j = 0; j < DIM; j++)
		if (x[j] != 0)
			n[k++] = (struct svm_node){(int)j + 1, x[j]};
	n[k].index = -1;
}

static struct feature_node llx[NTRAIN][DIM + 2];
static struct svm_node svx[NTRAIN][DIM + 1];

/* Training order: row first_row first, so the label seen first (label[0]) can be chosen. */
static void
order(size_t first_row, size_t *perm)
{
	size_t i, k = 1;

	perm[0] = first_row;
	for (i = 0; i < NTRAIN; i++)
		if (i != first_row)
			perm[k++] = i;
}

static size_t
first_with_label(double y)
{
	size_t i;

	for (i = 0; i < NTRAIN && labels[i] != y; i++)
		;
	return i;
}

static struct ll_model *
train_logistic(size_t first_row, int solver)
{
	static struct feature_node *xp[NTRAIN];
	static double y[NTRAIN];
	/* liblinear counts the bias feature in n: nr_feature comes out as n - 1. */
	struct problem prob = {NTRAIN, DIM + 1, y, xp, 1.0};
	struct parameter param = {0};
	size_t perm[NTRAIN], i;

	order(first_row, perm);
	for (i = 0; i < NTRAIN; i++) {
		ll_nodes(X[perm[i]], llx[perm[i]]);
		xp[i] = llx[perm[i]];
		y[i] = labels[perm[i]];
	}
	param.solver_type = solver;
	param.eps = 0.001;
	param.C = 1;
	if (check_parameter(&prob, &param) != NULL)
		return NULL;
	return train(&prob, &param);
}

/* The problem must outlive the model until it is saved: both are static here. */
static struct svm_node *svp[NTRAIN];
static double svy[NTRAIN];
static struct svm_problem svprob = {NTRAIN, svy, svp};

static struct svm_model *
train_svm(size_t first_row, int kernel, int probability)
{
	struct svm_parameter param = {0};
	size_t perm[NTRAIN], i;

	order(first_row, perm);
	for (i = 0; i < NTRAIN; i++) {
		sv_nodes(X[perm[i]], svx[perm[i]]);
		svp[i] = svx[perm[i]];
		svy[i] = labels[perm[i]];
	}
	param.svm_type = C_SVC;
	param.kernel_type = kernel;
	param.degree = 3;
	param.gamma = 0.5;
	param.cache_size = 8;
	param.eps = 1e-4;
	param.C = 1;
	param.shrinking = 1;
	param.probability = probability;
	srand(7);
	if (svm_check_parameter(&svprob, &param) != NULL)
		return NULL;
	return svm_train(&svprob, &param);
}

static struct bundle_meta
meta_for(const char *version)
{
	struct bundle_meta m = {0};

	m.version = version;
	m.spec_hash = HASH1;
	m.spec_version = 1;
	m.enc = enc;
	return m;
}

static void
bundle_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* ---- reasons worked out independently of model.c ---- */

struct want_reason {
	char label[96];
	double effect;
};

static void
field_label(size_t row, size_t field, char *buf, size_t size)
{
	const struct raw_value *v = &data[row][field];

	if (field < 2)
		snprintf(buf, size, "%s", train_fields[field].name);
	else
		snprintf(buf, size, "industry=%s", v->missing ? "__missing__" : v->str);
}

/* Strongest for first (descending), then strongest against (most negative first). */
static size_t
want_reasons(size_t row, const double *eff, size_t max, struct want_reason *out)
{
	size_t idx[3] = {0, 1, 2}, i, k, n = 0, npos = 0, nneg = 0;

	for (i = 0; i < 3; i++)
		for (k = i + 1; k < 3; k++)
			if (eff[idx[k]] > eff[idx[i]]) {
				size_t t = idx[i];
				idx[i] = idx[k];
				idx[k] = t;
			}
	for (i = 0; i < 3; i++)
		if (eff[idx[i]] > 0 && npos < (max + 1) / 2) {
			field_label(row, idx[i], out[n].label, sizeof(out[n].label));
			out[n++].effect = eff[idx[i]];
			npos++;
		}
	for (i = 3; i-- > 0;)
		if (eff[idx[i]] < 0 && nneg < max / 2) {
			field_label(row, idx[i], out[n].label, sizeof(out[n].label));
			out[n++].effect = eff[idx[i]];
			nneg++;
		}
	return n;
}

static void
check_reasons(const char *what, size_t row, const struct score *s, const double *eff, size_t max,
              double tol)
{
	struct want_reason want[3];
	size_t n = want_reasons(row, eff, max, want), i;

	TEST_CHECK(what, s->nreasons == n);
	for (i = 0; i < n && i < s->nreasons; i++) {
		TEST_STREQ(what, s->reasons[i].feature, want[i].label);
		TEST_NEAR(what, s->reasons[i].effect, want[i].effect, tol);
	}
	TEST_NEAR(what, s->fit, eff[1] + eff[2], tol);
	TEST_NEAR(what, s->engagement, eff[0], tol);
}

/* Per-field log-odds effects of a linear model with weights w. */
static void
linear_effects(const double *w, const double *x, double *eff)
{
	size_t j;

	eff[0] = w[0] * (x[0] - base[0]);
	eff[1] = w[1] * (x[1] - base[1]);
	eff[2] = 0;
	for (j = 2; j < DIM; j++)
		eff[2] += w[j] * (x[j] - base[j]);
}

static double
logit(double p)
{
	return log(p / (1 - p));
}

/* ---- the starter ---- */

static void
test_starter(void)
{
	struct ls_err err = {{0}};
	struct model *m = model_starter(&spec, &err);
	struct raw_value v1[] = {{0, 3, NULL}, {0, 100, NULL}, {0, 0, "software"}};
	struct raw_value v2[] = {{0, 3, NULL}, {0, 100, NULL}, {0, 0, "retail"}};
	struct raw_value v3[] = {{1, 0, NULL}, {1, 0, NULL}, {1, 0, NULL}};
	struct raw_row r1 = {v1, 3}, r2 = {v2, 3}, r3 = {v3, 3}, bad = {v1, 2};
	struct score s;

	TEST_CHECK("starter builds", m != NULL);
	if (m == NULL) {
		printf("  %s\n", err.msg);
		return;
	}
	TEST_STREQ("starter kind", model_kind(m), "starter");
	TEST_STREQ("starter version", model_version(m), "starter-0123456789ab");
	TEST_STREQ("starter manifest kind",
	           json_string_value(json_object_get(model_manifest(m), "kind")), "starter");
	TEST_CHECK("starter fits its spec", model_check_spec(m, &spec, &err) == 0);

	/* f = -2 + 0.5 log1p(3) + 0.002 * 100 + 0.8 */
	TEST_CHECK("score 1", model_score(m, &r1, 8, &s, &err) == 0);
	TEST_NEAR("starter p", s.probability, 0.42388311523417094, 1e-12);
	TEST_CHECK("starter score 42, tier B", s.score == 42 && s.tier == 'B');
	TEST_CHECK("three reasons for", s.nreasons == 3);
	TEST_STREQ("strongest: the level prior", s.reasons[0].feature, "industry=software");
	TEST_NEAR("0.8", s.reasons[0].effect, 0.8, 1e-12);
	TEST_STREQ("then visits", s.reasons[1].feature, "visits");
	TEST_NEAR("0.5 log1p(3)", s.reasons[1].effect, 0.5 * log1p(3), 1e-12);
	TEST_STREQ("then employees", s.reasons[2].feature, "employees");
	TEST_NEAR("0.002 * 100", s.reasons[2].effect, 0.2, 1e-12);
	TEST_NEAR("fit", s.fit, 1.0, 1e-12);
	TEST_NEAR("engagement", s.engagement, 0.5 * log1p(3), 1e-12);

	TEST_CHECK("score 2", model_score(m, &r2, 3, &s, &err) == 0);
	TEST_NEAR("starter p, retail", s.probability, 0.1967309239566766, 1e-12);
	TEST_CHECK("score 20, tier C", s.score == 20 && s.tier == 'C');
	TEST_CHECK("two for, one against", s.nreasons == 3);
	TEST_STREQ("for: visits", s.reasons[0].feature, "visits");
	TEST_STREQ("for: employees", s.reasons[1].feature, "employees");
	TEST_STREQ("against: retail", s.reasons[2].feature, "industry=retail");
	TEST_NEAR("-0.3", s.reasons[2].effect, -0.3, 1e-12);

	TEST_CHECK("score 2, one reason", model_score(m, &r2, 1, &s, &err) == 0);
	TEST_CHECK("only the strongest for", s.nreasons == 1 && s.reasons[0].effect > 0.6);

	TEST_CHECK("score 3", model_score(m, &r3, 8, &s, &err) == 0);
	TEST_NEAR("all missing: the intercept", s.probability, 1 / (1 + exp(2.0)), 1e-12);
	TEST_CHECK("score 12, tier D, nothing to explain",
	           s.score == 12 && s.tier == 'D' && s.nreasons == 0 && s.fit == 0);
	TEST_NEAR("predict = score", model_predict(m, &r1), 0.42388311523417094, 1e-12);

	TEST_CHECK("no reasons asked", model_score(m, &r1, 0, &s, &err) == 0 && s.nreasons == 0 &&
	                                   s.fit == 0 && s.engagement == 0);
	TEST_CHECK("wrong row refused",
	           model_score(m, &bad, 8, &s, &err) == -1 && strstr(err.msg, "2 values"));
	TEST_CHECK("predict on a wrong row is NaN", isnan(model_predict(m, &bad)));
	TEST_CHECK("more reasons than fit",
	           model_score(m, &r1, 20, &s, &err) == 0 && s.nreasons == 3);
	model_free(m);

	spec.starter_intercept = -50;
	m = model_starter(&spec, &err);
	TEST_CHECK("tiny p clamped", m != NULL && model_score(m, &r3, 0, &s, &err) == 0 &&
	                                 s.probability == 1e-6 && s.score == 0 && s.tier == 'D');
	model_free(m);
	spec.starter_intercept = 50;
	m = model_starter(&spec, &err);
	TEST_CHECK("p near 1 clamped", m != NULL && model_score(m, &r3, 0, &s, &err) == 0 &&
	                                   s.probability == 1 - 1e-6 && s.score == 100 &&
	                                   s.tier == 'A');
	spec.starter_intercept = -2;

	spec.nfields = 0;
	model_free(m);
	m = model_starter(&spec, &err);
	TEST_CHECK("starter of an empty spec refused",
	           m == NULL && strstr(err.msg, "starter model") != NULL);
	spec.nfields = 3;
}

static void
test_tiers(void)
{
	struct ls_err err = {{0}};
	struct model *m = model_starter(&spec, &err);

	if (m == NULL)
		return;
	TEST_CHECK("100 A", model_tier(m, 100) == 'A');
	TEST_CHECK("70 A", model_tier(m, 70) == 'A');
	TEST_CHECK("69 B", model_tier(m, 69) == 'B');
	TEST_CHECK("40 B", model_tier(m, 40) == 'B');
	TEST_CHECK("39 C", model_tier(m, 39) == 'C');
	TEST_CHECK("15 C", model_tier(m, 15) == 'C');
	TEST_CHECK("14 D", model_tier(m, 14) == 'D');
	TEST_CHECK("0 D", model_tier(m, 0) == 'D');
	model_free(m);
}

/* ---- logistic ---- */

static char
tier_of(int score, int a, int b, int c)
{
	return score >= a ? 'A' : score >= b ? 'B' : score >= c ? 'C' : 'D';
}

static void
check_logistic(const char *name, size_t first_row)
{
	struct ls_err err = {{0}};
	struct ll_model *lm = train_logistic(first_row, L2R_LR);
	struct manifest_tiers tiers = {80, 50, 20};
	struct bundle_meta meta = meta_for("lr-1");
	struct feature_node bn[DIM + 2];
	json_t *training = json_pack("{s:i}", "rows", NTRAIN);
	json_t *metrics = json_pack("{s:f}", "auc", 0.91);
	double pe[2], w[DIM], eff[3], maxd = 0, sign, p;
	char dir[128];
	struct model *m;
	struct score s;
	size_t i, j, pos;

	TEST_CHECK("liblinear trains", lm != NULL);
	if (lm == NULL)
		return;
	pos = lm->label[0] == 1 ? 0 : 1;
	TEST_CHECK("label order as arranged", lm->label[0] == labels[first_row]);
	meta.tiers = &tiers;
	meta.training = training;
	meta.metrics = metrics;
	bundle_dir(dir, sizeof(dir), name);
	if (bundle_write_logistic(dir, &meta, lm, &err) < 0) {
		printf("  write: %s\n", err.msg);
		TEST_CHECK("logistic bundle written", 0);
	}
	if ((m = model_load(dir, &err)) == NULL) {
		printf("  load: %s\n", err.msg);
		TEST_CHECK("logistic bundle loads", 0);
		free_and_destroy_model(&lm);
		json_decref(training);
		json_decref(metrics);
		return;
	}
	TEST_STREQ("kind", model_kind(m), "logistic");
	TEST_STREQ("version", model_version(m), "lr-1");
	TEST_CHECK("training kept",
	           json_equal(json_object_get(model_manifest(m), "training"), training));
	TEST_CHECK("metrics kept",
	           json_equal(json_object_get(model_manifest(m), "metrics"), metrics));
	TEST_CHECK("linear weights in the manifest",
	           json_array_size(json_object_get(json_object_get(model_manifest(m), "linear"),
	                                           "weights")) == DIM);

	sign = pos == 0 ? 1.0 : -1.0;
	for (j = 0; j < DIM; j++)
		w[j] = sign * lm->w[j];
	ll_nodes(base, bn);
	predict_probability(lm, bn, pe);
	for (i = 0; i < NTRAIN; i++) {
		predict_probability(lm, llx[i], pe);
		p = model_predict(m, &rows[i]);
		if (fabs(p - pe[pos]) > maxd)
			maxd = fabs(p - pe[pos]);
		TEST_CHECK("score", model_score(m, &rows[i], 8, &s, &err) == 0);
		TEST_CHECK("score = round(100 p)", s.score == (int)lround(100 * pe[pos]));
		TEST_CHECK("custom tiers", s.tier == tier_of(s.score, 80, 50, 20));
		linear_effects(w, X[i], eff);
		check_reasons("logistic reasons", i, &s, eff, 8, 1e-9);
	}
	TEST_NEAR("p matches predict_probability", maxd, 0, 1e-9);

	/* The effects add up to the log-odds distance from the baseline. */
	predict_probability(lm, llx[5], pe);
	p = pe[pos];
	predict_probability(lm, bn, pe);
	TEST_CHECK("score row 5", model_score(m, &rows[5], 8, &s, &err) == 0);
	TEST_NEAR("fit + engagement = logit(p) - logit(p_base)", s.fit + s.engagement,
	          logit(p) - logit(pe[pos]), 1e-9);
	TEST_CHECK("fits its spec", model_check_spec(m, &spec, &err) == 0);

	model_free(m);
	free_and_destroy_model(&lm);
	json_decref(training);
	json_decref(metrics);
}

/* ---- libsvm, linear kernel ---- */

static double
oriented_decision(const struct svm_model *sm, const double *x)
{
	struct svm_node n[DIM + 1];
	double d;

	sv_nodes(x, n);
	svm_predict_values(sm, n, &d);
	return msvm_positive(sm) == 0 ? d : -d;
}

static void
check_svm_linear(const char *name, double first_label)
{
	struct ls_err err = {{0}};
	size_t first = first_with_label(first_label), i, j;
	struct svm_model *sm = train_svm(first, LINEAR, 1), *file;
	struct bundle_meta meta = meta_for("svmlin-1");
	struct svm_node n[DIM + 1];
	double w[DIM], b, eff[3], f, d, p0, p1, maxd = 0, maxp = 0, maxc = 0, pe[2];
	char dir[128], path[160];
	struct model *m;
	struct score s;

	TEST_CHECK("libsvm trains (linear)", sm != NULL);
	if (sm == NULL)
		return;
	TEST_CHECK("label order as arranged", sm->label[0] == first_label);
	bundle_dir(dir, sizeof(dir), name);
	TEST_CHECK("svm-linear bundle written", bundle_write_svm(dir, &meta, sm, &err) == 0);
	svm_free_and_destroy_model(&sm);
	if ((m = model_load(dir, &err)) == NULL) {
		printf("  load: %s\n", err.msg);
		TEST_CHECK("svm-linear bundle loads", 0);
		return;
	}
	TEST_STREQ("kind", model_kind(m), "svm-linear");
	snprintf(path, sizeof(path), "%s/model.txt", dir);
	file = svm_load_model(path);
	TEST_CHECK("collapse", mlinear_weights(MANIFEST_SVM_LINEAR, path, DIM, w, &b, &err) == 0);
	for (i = 0; i < NTRAIN; i++) {
		sv_nodes(X[i], n);
		svm_predict_values(file, n, &d); /* positive: file->label[0] */
		f = b;
		for (j = 0; j < DIM; j++)
			f += w[j] * X[i][j];
		if (fabs(f - (file->label[0] == 1 ? d : -d)) > maxd)
			maxd = fabs(f - (file->label[0] == 1 ? d : -d));
		/* libsvm's Platt gives the probability of label[0]. */
		p0 = 1 / (1 + exp(file->probA[0] * d + file->probB[0]));
		p1 = file->label[0] == 1 ? p0 : 1 - p0;
		if (fabs(model_predict(m, &rows[i]) - p1) > maxp)
			maxp = fabs(model_predict(m, &rows[i]) - p1);
		svm_predict_probability(file, n, pe);
		if (fabs(model_predict(m, &rows[i]) - pe[msvm_positive(file)]) > maxc)
			maxc = fabs(model_predict(m, &rows[i]) - pe[msvm_positive(file)]);
		TEST_CHECK("score", model_score(m, &rows[i], 4, &s, &err) == 0);
		linear_effects(w, X[i], eff);
		check_reasons("svm-linear reasons", i, &s, eff, 4, 1e-9);
	}
	TEST_NEAR("collapsed decision = libsvm's", maxd, 0, 1e-6);
	TEST_NEAR("p = libsvm's Platt on the decision value", maxp, 0, 1e-6);
	TEST_NEAR("p = svm_predict_probability", maxc, 0, 1e-9);
	model_free(m);
	svm_free_and_destroy_model(&file);
}

static void
test_svm_linear(void)
{
	check_svm_linear("svmlin-pos-first", 1);
	check_svm_linear("svmlin-neg-first", 0);
}

/* A linear SVM without probability estimates: refused, unless the manifest calibrates it. */
static void
test_svm_platt(void)
{
	struct ls_err err = {{0}};
	size_t first = first_with_label(0), i;
	struct svm_model *sm = train_svm(first, LINEAR, 0), *file;
	struct bundle_meta meta = meta_for("svmlin-2");
	char dir[128], path[160];
	double maxp = 0, p, d;
	struct model *m;

	if (sm == NULL)
		return;
	TEST_CHECK("label 0 first", sm->label[0] == 0);
	bundle_dir(dir, sizeof(dir), "svm-noprob");
	TEST_CHECK("no probability, no calibration: refused",
	           bundle_write_svm(dir, &meta, sm, &err) == -1 &&
	               strstr(err.msg, "no probability information") != NULL);
	TEST_CHECK("nothing left behind", access(dir, F_OK) == -1);
	meta.calib = (struct manifest_calib){1, -2.0, 0.5};
	bundle_dir(dir, sizeof(dir), "svm-platt");
	TEST_CHECK("with Platt from the manifest", bundle_write_svm(dir, &meta, sm, &err) == 0);
	svm_free_and_destroy_model(&sm);
	if ((m = model_load(dir, &err)) == NULL) {
		TEST_CHECK("loads", 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/model.txt", dir);
	file = svm_load_model(path);
	for (i = 0; i < NTRAIN; i++) {
		d = oriented_decision(file, X[i]);
		p = 1 / (1 + exp(-2.0 * d + 0.5));
		if (fabs(model_predict(m, &rows[i]) - p) > maxp)
			maxp = fabs(model_predict(m, &rows[i]) - p);
	}
	TEST_NEAR("manifest Platt on the oriented decision value", maxp, 0, 1e-6);
	model_free(m);
	svm_free_and_destroy_model(&file);
}

/* ---- libsvm, RBF ---- */

static double
file_prob(const struct svm_model *sm, const double *x)
{
	struct svm_node n[DIM + 1];
	double pe[2];

	sv_nodes(x, n);
	svm_predict_probability(sm, n, pe);
	return pe[msvm_positive(sm)];
}

/* The probability libsvm gives x: its own estimate, or with platt the manifest's Platt
 * (check_rbf's) on the oriented decision value. */
static double
rbf_expected(const struct svm_model *file, int platt, const double *x)
{
	return platt ? 1 / (1 + exp(-2.0 * oriented_decision(file, x) + 0.5)) : file_prob(file, x);
}

/* first_label: the label of the first training row, so of libsvm's label[0]; platt: the
 * model has no probability estimates and the manifest calibrates it. */
static void
check_rbf(const char *name, double first_label, int platt)
{
	struct ls_err err = {{0}};
	size_t first = first_with_label(first_label), i, f;
	struct svm_model *sm = train_svm(first, RBF, !platt), *file;
	struct bundle_meta meta = meta_for(name);
	struct raw_value saved;
	double maxd = 0, p, eff[3], x[DIM];
	char dir[128], path[160];
	struct model *m;
	struct score s;

	TEST_CHECK("libsvm trains (rbf)", sm != NULL);
	if (sm == NULL)
		return;
	if (platt)
		meta.calib = (struct manifest_calib){1, -2.0, 0.5};
	bundle_dir(dir, sizeof(dir), name);
	TEST_CHECK("svm-rbf bundle written", bundle_write_svm(dir, &meta, sm, &err) == 0);
	svm_free_and_destroy_model(&sm);
	if ((m = model_load(dir, &err)) == NULL) {
		printf("  load: %s\n", err.msg);
		TEST_CHECK("svm-rbf bundle loads", 0);
		return;
	}
	TEST_STREQ("kind", model_kind(m), "svm-rbf");
	TEST_CHECK("no linear block", json_object_get(model_manifest(m), "linear") == NULL);
	snprintf(path, sizeof(path), "%s/model.txt", dir);
	file = svm_load_model(path);
	TEST_CHECK("the first row's label first", file->label[0] == (int)first_label);
	for (i = 0; i < NTRAIN; i++) {
		p = rbf_expected(file, platt, X[i]);
		if (fabs(model_predict(m, &rows[i]) - p) > maxd)
			maxd = fabs(model_predict(m, &rows[i]) - p);
		TEST_CHECK("score", model_score(m, &rows[i], 8, &s, &err) == 0);
		TEST_CHECK("score = round(100 p)", s.score == (int)lround(100 * p));
		TEST_CHECK("default tiers", s.tier == tier_of(s.score, 70, 40, 15));
		/* The baseline is the all-missing row: setting a field missing puts it there. */
		for (f = 0; f < 3; f++) {
			saved = data[i][f];
			data[i][f].missing = 1;
			data[i][f].str = NULL;
			if (encoder_encode(enc, &rows[i], x) < 0)
				TEST_CHECK("encode", 0);
			eff[f] = p - rbf_expected(file, platt, x);
			data[i][f] = saved;
		}
		check_reasons("rbf reasons", i, &s, eff, 8, 1e-9);
	}
	TEST_NEAR("p matches svm_predict_probability", maxd, 0, 1e-12);
	TEST_CHECK("no reasons asked, none computed",
	           model_score(m, &rows[0], 0, &s, &err) == 0 && s.nreasons == 0 && s.fit == 0);
	model_free(m);
	svm_free_and_destroy_model(&file);
}

static void
test_rbf(void)
{
	check_rbf("rbf-neg-first", 0, 0);
	check_rbf("rbf-pos-first", 1, 0);
	check_rbf("rbf-platt", 0, 1);
}

/* ---- a starter bundle on disk ---- */

static void
test_starter_bundle(void)
{
	struct ls_err err = {{0}};
	struct bundle_meta meta = meta_for("starter-disk");
	struct encoder *senc = encoder_from_spec(&spec, &err);
	double w[6] = {0.5, 0.002, 0.8, -0.3, 0, 0};
	struct model *m, *mem = model_starter(&spec, &err);
	char dir[128];
	size_t i;

	if (senc == NULL || mem == NULL)
		return;
	meta.enc = senc;
	bundle_dir(dir, sizeof(dir), "starter");
	TEST_CHECK("starter bundle written", bundle_write_starter(dir, &meta, w, -2.0, &err) == 0);
	TEST_CHECK("starter bundle: no weights refused",
	           bundle_write_starter(dir, &meta, NULL, 0, &err) == -1);
	if ((m = model_load(dir, &err)) != NULL) {
		TEST_STREQ("kind", model_kind(m), "starter");
		for (i = 0; i < NTRAIN; i++)
			TEST_NEAR("same as the in-memory starter", model_predict(m, &rows[i]),
			          model_predict(mem, &rows[i]), 1e-12);
		model_free(m);
	} else {
		printf("  load: %s\n", err.msg);
		TEST_CHECK("starter bundle loads", 0);
	}
	{
		double b[6] = {1.0, 50, 0, 1, 0, 0}; /* visits e - 1, 50 employees, retail */
		struct raw_value v[] = {{0, 3, NULL}, {0, 100, NULL}, {0, 0, "software"}};
		struct raw_row r = {v, 3};
		struct score sc;

		meta.baseline = b;
		bundle_dir(dir, sizeof(dir), "starter-baseline");
		TEST_CHECK("starter bundle with a baseline",
		           bundle_write_starter(dir, &meta, w, -2.0, &err) == 0);
		if ((m = model_load(dir, &err)) != NULL) {
			TEST_CHECK("baseline kept", json_array_size(json_object_get(
			                                model_manifest(m), "baseline")) == 6);
			TEST_CHECK("score", model_score(m, &r, 8, &sc, &err) == 0);
			TEST_CHECK("three reasons", sc.nreasons == 3);
			TEST_STREQ("level against level", sc.reasons[0].feature,
			           "industry=software");
			TEST_NEAR("0.8 - -0.3", sc.reasons[0].effect, 1.1, 1e-12);
			TEST_STREQ("then visits", sc.reasons[1].feature, "visits");
			TEST_NEAR("0.5 (log1p 3 - 1)", sc.reasons[1].effect, 0.5 * (log1p(3) - 1),
			          1e-12);
			TEST_STREQ("then employees", sc.reasons[2].feature, "employees");
			TEST_NEAR("0.002 * (100 - 50)", sc.reasons[2].effect, 0.1, 1e-12);
			model_free(m);
		} else {
			TEST_CHECK("loads", 0);
		}
	}
	model_free(mem);
	encoder_free(senc);
}

/* ---- spec checks ---- */

static void
test_check_spec(void)
{
	struct ls_err err = {{0}};
	struct field_def renamed[3] = {spec_fields[0], spec_fields[1], spec_fields[2]};
	struct featspec other = spec;
	char dir[128];
	struct model *m;

	bundle_dir(dir, sizeof(dir), "lr-neg-first");
	if ((m = model_load(dir, &err)) == NULL)
		return;
	TEST_CHECK("same spec", model_check_spec(m, &spec, &err) == 0);
	memcpy(other.hash, HASH2, sizeof(other.hash));
	other.version = 2;
	TEST_CHECK("other spec refused", model_check_spec(m, &other, &err) == -1);
	TEST_STREQ("says which", err.msg,
	           "bundle was trained for feature spec 0123456789ab... (version 1), "
	           "daemon runs fedcba987654... (version 2)");
	other = spec;
	renamed[1].name = "headcount";
	other.fields = renamed;
	TEST_CHECK("renamed field refused", model_check_spec(m, &other, &err) == -1);
	TEST_STREQ("says where", err.msg,
	           "bundle input 1 is \"employees\" (numeric), the feature spec's field is "
	           "\"headcount\" (numeric)");
	renamed[1] = spec_fields[1];
	renamed[2].kind = FIELD_NUMERIC;
	TEST_CHECK("kind change refused", model_check_spec(m, &other, &err) == -1 &&
	                                      strstr(err.msg, "(categorical)") != NULL);
	other.nfields = 2;
	TEST_CHECK("field count refused",
	           model_check_spec(m, &other, &err) == -1 && strstr(err.msg, "3 inputs") != NULL);
	model_free(m);
}

/* ---- load errors ---- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc((size_t)n + 1, 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
spit(const char *path, const char *data_, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		return;
	if (fwrite(data_, 1, len, fp) != len)
		printf("short write %s\n", path);
	fclose(fp);
}

/* A bundle directory with this manifest (or text) and model file (NULL: none). */
static void
variant(const char *name, const json_t *man, const char *man_text, const char *model,
        size_t model_len, char *dir, size_t size)
{
	char path[256];

	bundle_dir(dir, size, name);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if (man != NULL)
		json_dump_file(man, path, 0);
	else if (man_text != NULL)
		spit(path, man_text, strlen(man_text));
	snprintf(path, sizeof(path), "%s/model.txt", dir);
	if (model != NULL)
		spit(path, model, model_len);
}

static void
expect_error(const char *name, const json_t *man, const char *model, size_t model_len,
             const char *want)
{
	struct ls_err err = {{0}};
	struct model *m;
	char dir[128];

	variant(name, man, NULL, model, model_len, dir, sizeof(dir));
	m = model_load(dir, &err);
	TEST_CHECK(want, m == NULL && strstr(err.msg, want) != NULL);
	if (m != NULL || strstr(err.msg, want) == NULL)
		printf("  %s: got: %s\n", name, m != NULL ? "(loaded)" : err.msg);
	model_free(m);
}

/* The model text with the first occurrence of from replaced by to. */
static char *
replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) + strlen(to) + 1;
	char *out = calloc(n, 1);

	if (at == NULL || out == NULL) {
		printf("test setup: \"%s\" not found\n", from);
		free(out);
		return NULL;
	}
	memcpy(out, text, (size_t)(at - text));
	strcat(out, to);
	strcat(out, at + strlen(from));
	return out;
}

static void
expect_model_error(const char *name, const json_t *man, const char *text, const char *from,
                   const char *to, const char *want)
{
	char *t = replaced(text, from, to);

	if (t == NULL) {
		TEST_CHECK("test setup", 0);
		return;
	}
	expect_error(name, man, t, strlen(t), want);
	free(t);
}

static json_t *
with(const json_t *man, const char *key, json_t *value)
{
	json_t *m = json_deep_copy(man);

	if (value == NULL)
		json_object_del(m, key);
	else
		json_object_set_new(m, key, value);
	return m;
}

static void
expect_manifest_error(const char *name, json_t *man, const char *model, size_t model_len,
                      const char *want)
{
	expect_error(name, man, model, model_len, want);
	json_decref(man);
}

static char path_buf[256];

static void
test_manifest_errors(const json_t *man, const char *model, size_t len)
{
	struct ls_err err = {{0}};
	json_t *lin = json_deep_copy(json_object_get(man, "linear")), *m2;
	char dir[128];

	variant("no-manifest", NULL, NULL, NULL, 0, dir, sizeof(dir));
	TEST_CHECK("missing manifest",
	           model_load(dir, &err) == NULL && strstr(err.msg, "manifest.json is missing"));
	variant("bad-json", NULL, "{\"format\": 1,", NULL, 0, dir, sizeof(dir));
	TEST_CHECK("bad JSON",
	           model_load(dir, &err) == NULL && strstr(err.msg, "manifest.json: line 1"));
	variant("not-object", NULL, "[1]", NULL, 0, dir, sizeof(dir));
	TEST_CHECK("not an object",
	           model_load(dir, &err) == NULL && strstr(err.msg, "not a JSON object"));
	TEST_CHECK("nonexistent dir", model_load("/nonexistent/bundle", &err) == NULL &&
	                                  strstr(err.msg, "is missing"));

	expect_manifest_error("format", with(man, "format", json_integer(2)), model, len,
	                      "format must be 1");
	expect_manifest_error("kind", with(man, "kind", json_string("neural")), model, len,
	                      "unknown kind \"neural\"");
	expect_manifest_error("kind-type", with(man, "kind", json_integer(1)), model, len,
	                      "kind must be a string");
	expect_manifest_error("version", with(man, "version", json_string("a b")), model, len,
	                      "version must be");
	expect_manifest_error("version-type", with(man, "version", NULL), model, len,
	                      "version must be a string");
	expect_manifest_error("extra", with(man, "extra", json_true()), model, len,
	                      "unknown key \"extra\"");
	expect_manifest_error("model-file", with(man, "model_file", json_string("../x")), model,
	                      len, "must be a plain file name");
	expect_manifest_error("model-file-type", with(man, "model_file", json_integer(3)), model,
	                      len, "model_file must be a string");
	expect_manifest_error("model-file-absent", with(man, "model_file", NULL), model, len,
	                      "model_file is missing");
	expect_manifest_error("spec", with(man, "feature_spec", json_string("x")), model, len,
	                      "feature_spec must be an object");
	expect_manifest_error(
	    "spec-hash",
	    with(man, "feature_spec", json_pack("{s:s,s:i}", "hash", "XYZ", "version", 1)), model,
	    len, "64 lowercase hex");
	expect_manifest_error("spec-keys",
	                      with(man, "feature_spec", json_pack("{s:s}", "hash", HASH1)), model,
	                      len, "feature_spec must be {");
	expect_manifest_error(
	    "spec-version",
	    with(man, "feature_spec", json_pack("{s:s,s:i}", "hash", HASH1, "version", -1)), model,
	    len, "feature_spec.version out of range");
	expect_manifest_error("inputs", with(man, "inputs", json_pack("[{s:s}]", "name", "x")),
	                      model, len, "inputs[0]");
	expect_manifest_error(
	    "tiers", with(man, "tiers", json_pack("{s:i,s:i,s:i}", "A", 40, "B", 70, "C", 15)),
	    model, len, "tiers must satisfy 100 >= A > B > C >= 0");
	expect_manifest_error("tiers-type", with(man, "tiers", json_pack("{s:i}", "A", 40)), model,
	                      len, "tiers must be");
	expect_manifest_error("calibration",
	                      with(man, "calibration", json_pack("{s:s}", "method", "isotonic")),
	                      model, len, "calibration must be {");
	expect_manifest_error("calibration-type", with(man, "calibration", json_integer(1)), model,
	                      len, "calibration must be an object");
	expect_manifest_error("baseline", with(man, "baseline", json_pack("[f,f]", 0.0, 1.0)),
	                      model, len, "baseline has 2 values, the inputs encode 7 columns");
	expect_manifest_error("baseline-type", with(man, "baseline", json_pack("[s]", "x")), model,
	                      len, "baseline has 1 values");
	expect_manifest_error("training", with(man, "training", json_integer(3)), model, len,
	                      "training must be an object");
	expect_manifest_error("metrics", with(man, "metrics", json_string("good")), model, len,
	                      "metrics must be an object");

	/* The "linear" block. */
	json_array_remove(json_object_get(lin, "weights"), 0);
	expect_manifest_error("weights-length", with(man, "linear", json_deep_copy(lin)), model,
	                      len, "linear.weights has 6 values, the inputs encode 7 columns");
	json_array_insert_new(json_object_get(lin, "weights"), 0, json_real(123.0));
	expect_manifest_error("weights-disagree", with(man, "linear", json_deep_copy(lin)), model,
	                      len, "linear.weights[0] (123) disagrees with the model file");
	json_array_set_new(json_object_get(lin, "weights"), 0, json_string("x"));
	expect_manifest_error("weights-type", with(man, "linear", json_deep_copy(lin)), model, len,
	                      "linear.weights[0] is not a finite number");
	expect_manifest_error("linear-shape", with(man, "linear", json_pack("{s:f}", "bias", 1.0)),
	                      model, len, "linear must be {");
	m2 = with(man, "linear", NULL);
	json_object_set_new(m2, "kind", json_string("starter"));
	json_object_del(m2, "model_file");
	expect_manifest_error("starter-no-linear", m2, NULL, 0, "needs a \"linear\" block");
	expect_manifest_error("starter-model-file", with(man, "kind", json_string("starter")),
	                      model, len, "a starter bundle has no model_file");
	expect_manifest_error("rbf-linear", with(man, "kind", json_string("svm-rbf")), model, len,
	                      "an svm-rbf bundle has no \"linear\" block");
	{
		json_t *l2 = json_deep_copy(json_object_get(man, "linear"));

		json_object_set_new(l2, "bias", json_real(99.0));
		expect_manifest_error("bias-disagree", with(man, "linear", l2), model, len,
		                      "linear.bias (99) disagrees with the model file");
	}
	expect_manifest_error("baseline-shape", with(man, "baseline", json_string("x")), model, len,
	                      "baseline must be an array of numbers");
	{
		json_t *m3 = with(man, "tiers", NULL);
		struct model *m;

		json_object_set_new(m3, "calibration", json_pack("{s:s}", "method", "none"));
		variant("defaults", m3, NULL, model, len, dir, sizeof(dir));
		m = model_load(dir, &err);
		TEST_CHECK("no tiers: 70/40/15", m != NULL && model_tier(m, 70) == 'A' &&
		                                     model_tier(m, 69) == 'B' &&
		                                     model_tier(m, 14) == 'D');
		model_free(m);
		json_decref(m3);
		mkdir(dir, 0700);
		variant("model-dir", man, NULL, NULL, 0, dir, sizeof(dir));
		snprintf(path_buf, sizeof(path_buf), "%s/model.txt", dir);
		mkdir(path_buf, 0700);
		TEST_CHECK("model file a directory",
		           model_load(dir, &err) == NULL && strstr(err.msg, "not a regular file"));
	}
	{
		char long_dir[5000];

		memset(long_dir, 'a', sizeof(long_dir) - 1);
		long_dir[sizeof(long_dir) - 1] = '\0';
		TEST_CHECK("path too long",
		           model_load(long_dir, &err) == NULL && strstr(err.msg, "too long"));
	}
	json_decref(lin);
}

static void
test_logistic_file_errors(const json_t *man, const char *model)
{
	static const char nul[] = "solver_type L2R_LR\n\0nr_class 2\n";
	char *cut = strdup(model), *last;

	expect_error("ll-missing", man, NULL, 0, "model file");
	expect_error("ll-garbage", man, "garbage\n", 8, "not a liblinear model");
	expect_error("ll-empty", man, "", 0, "not a liblinear model: no weights");
	expect_error("ll-nul", man, nul, sizeof(nul) - 1, "NUL bytes");
	/* Drop the last weight line. */
	cut[strlen(cut) - 1] = '\0';
	last = strrchr(cut, '\n');
	last[1] = '\0';
	expect_error("ll-truncated", man, cut, strlen(cut), "7 weights, expected 8");
	free(cut);
	expect_model_error("ll-weight", man, model, "\nw\n", "\nw\nfoo\n",
	                   "weight 0 is not a finite number");
	expect_model_error("ll-solver", man, model, "L2R_LR", "L2R_L2LOSS_SVC",
	                   "solver L2R_L2LOSS_SVC is not logistic regression");
	expect_model_error("ll-features", man, model, "nr_feature 7", "nr_feature 9",
	                   "9 features, the inputs encode 7 columns");
	expect_model_error("ll-classes", man, model, "nr_class 2", "nr_class 3", "3 classes");
	expect_model_error("ll-labels", man, model, "label 0 1", "label 0 2",
	                   "labels are 0 and 2: neither is 1");
	expect_model_error("ll-label-count", man, model, "label ", "label 2 ",
	                   "unexpected header line \"label\"");
	expect_model_error("ll-header", man, model, "nr_class 2", "nr_class 2\ncolour blue",
	                   "unexpected header line \"colour\"");
	expect_model_error("ll-incomplete", man, model, "solver_type L2R_LR\n", "",
	                   "header incomplete");
}

/* The RBF model text without its probA and probB lines (they come just before nr_sv). */
static char *
without_prob(const char *model)
{
	const char *a = strstr(model, "probA"), *b = strstr(model, "nr_sv");
	char *out;

	if (a == NULL || b == NULL || b < a || (out = strdup(model)) == NULL)
		return NULL;
	memmove(out + (a - model), out + (b - model), strlen(b) + 1);
	return out;
}

static void
test_svm_file_errors(const json_t *man, const char *model)
{
	char *cut = strdup(model), *last, *bare, dir[128], mp[192];
	struct ls_err err = {{0}};
	struct svm_model *file;
	struct model *m;
	json_t *noprob;

	expect_error("sv-garbage", man, "hello\n", 6, "not a libsvm model");
	expect_error("sv-missing", man, NULL, 0, "is missing");
	cut[strlen(cut) - 1] = '\0';
	last = strrchr(cut, '\n');
	last[1] = '\0';
	expect_error("sv-truncated", man, cut, strlen(cut), "support vectors, total_sv says");
	free(cut);
	expect_model_error("sv-kernel", man, model, "kernel_type rbf", "kernel_type linear",
	                   "kernel linear, expected rbf");
	expect_model_error("sv-type", man, model, "svm_type c_svc", "svm_type one_class",
	                   "svm_type one_class is not a classifier");
	expect_model_error("sv-index", man, model, "\nSV\n", "\nSV\n0.5 8:1 \n", "outside 1..7");
	expect_model_error("sv-order", man, model, "\nSV\n", "\nSV\n0.5 3:1 2:1\n",
	                   "support vector 1 is malformed");
	expect_model_error("sv-type-line", man, model, "svm_type c_svc", "svm_type",
	                   "not a libsvm model: bad svm_type line");
	{
		char *head = strdup(model);

		strstr(head, "\nSV\n")[1] = '\0';
		expect_error("sv-no-sv", man, head, strlen(head),
		             "not a libsvm model: no support vectors");
		free(head);
	}
	expect_model_error("sv-no-rho", man, model, "rho ", "probA ", "header incomplete");
	expect_model_error("sv-rho-two", man, model, "rho ", "rho 1 ",
	                   "unexpected header line \"rho\"");
	expect_model_error("sv-nrsv", man, model, "nr_sv ", "nr_sv 1",
	                   "nr_sv does not add up to total_sv");
	expect_model_error("sv-labels", man, model, "label 0 1", "label 0 2",
	                   "labels are 0 and 2: neither is 1");
	expect_model_error("sv-classes", man, model, "nr_class 2", "nr_class 3", "3 classes");
	expect_model_error("sv-total", man, model, "total_sv ", "total_sv 20000",
	                   "support vectors (1 to");
	expect_model_error("sv-gamma", man, model, "gamma ", "gammas ",
	                   "unexpected header line \"gammas\"");
	{
		char *extra = calloc(strlen(model) + 8, 1);

		strcpy(extra, model);
		strcat(extra, "\njunk\n");
		expect_error("sv-extra", man, extra, strlen(extra),
		             "text after the last support vector");
		free(extra);
	}
	noprob = json_deep_copy(man);
	if ((bare = without_prob(model)) == NULL) {
		TEST_CHECK("test setup: probA in the RBF model", 0);
		json_decref(noprob);
		return;
	}
	expect_error("sv-noprob", noprob, bare, strlen(bare), "no probability information");
	json_object_set_new(noprob, "calibration",
	                    json_pack("{s:s,s:f,s:f}", "method", "platt", "a", -1.0, "b", 0.0));
	variant("sv-platt", noprob, NULL, bare, strlen(bare), dir, sizeof(dir));
	m = model_load(dir, &err);
	TEST_CHECK("rbf without probA, with manifest Platt: loads", m != NULL);
	if (m != NULL) {
		snprintf(mp, sizeof(mp), "%s/model.txt", dir);
		file = svm_load_model(mp);
		TEST_NEAR("Platt on the RBF decision value", model_predict(m, &rows[3]),
		          1 / (1 + exp(-oriented_decision(file, X[3]))), 1e-12);
		svm_free_and_destroy_model(&file);
	}
	model_free(m);
	free(bare);
	json_decref(noprob);
}

static void
test_load_errors(void)
{
	char dir[128], path[192];
	json_t *man, *rbf_man;
	json_error_t jerr;
	char *model, *rbf_model;
	size_t len, rbf_len;

	bundle_dir(dir, sizeof(dir), "lr-neg-first");
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	man = json_load_file(path, 0, &jerr);
	snprintf(path, sizeof(path), "%s/model.txt", dir);
	model = slurp(path, &len);
	bundle_dir(dir, sizeof(dir), "rbf-neg-first");
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	rbf_man = json_load_file(path, 0, &jerr);
	snprintf(path, sizeof(path), "%s/model.txt", dir);
	rbf_model = slurp(path, &rbf_len);
	if (man == NULL || model == NULL || rbf_man == NULL || rbf_model == NULL) {
		TEST_CHECK("good bundles to vary", 0);
	} else {
		test_manifest_errors(man, model, len);
		test_logistic_file_errors(man, model);
		test_svm_file_errors(rbf_man, rbf_model);
	}
	json_decref(man);
	json_decref(rbf_man);
	free(model);
	free(rbf_model);
}

/* ---- writer errors ---- */

static int
leftovers(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".tmp-") != NULL;
	if (d != NULL)
		closedir(d);
	return n;
}

static void
test_bundle_errors(void)
{
	struct ls_err err = {{0}};
	struct ll_model *lm = train_logistic(0, L2R_LR), *svc = train_logistic(0, L2R_L2LOSS_SVC);
	struct svm_model *poly = train_svm(0, POLY, 0);
	struct manifest_tiers bad = {50, 50, 10};
	struct bundle_meta meta = meta_for("bad-1");
	char dir[128];

	if (lm == NULL || svc == NULL || poly == NULL) {
		TEST_CHECK("models to write", 0);
		return;
	}
	bundle_dir(dir, sizeof(dir), "lr-neg-first");
	TEST_CHECK("existing bundle not replaced",
	           bundle_write_logistic(dir, &meta, lm, &err) == -1 &&
	               strstr(err.msg, "already exists") != NULL);
	bundle_dir(dir, sizeof(dir), "bad-tiers");
	meta.tiers = &bad;
	TEST_CHECK("bad tiers refused", bundle_write_logistic(dir, &meta, lm, &err) == -1 &&
	                                    strstr(err.msg, "tiers must satisfy") != NULL);
	meta.tiers = NULL;
	meta.version = "no spaces please";
	TEST_CHECK("bad version refused", bundle_write_logistic(dir, &meta, lm, &err) == -1 &&
	                                      strstr(err.msg, "version must be") != NULL);
	meta.version = "bad-1";
	TEST_CHECK("liblinear SVM solver refused",
	           bundle_write_logistic(dir, &meta, svc, &err) == -1 &&
	               strstr(err.msg, "not logistic regression") != NULL);
	TEST_CHECK("polynomial kernel refused", bundle_write_svm(dir, &meta, poly, &err) == -1 &&
	                                            strstr(err.msg, "linear and rbf") != NULL);
	TEST_CHECK("no model", bundle_write_logistic(dir, &meta, NULL, &err) == -1 &&
	                           bundle_write_svm(dir, &meta, NULL, &err) == -1);
	meta.enc = NULL;
	TEST_CHECK("no encoder", bundle_write_logistic(dir, &meta, lm, &err) == -1 &&
	                             strstr(err.msg, "needs an encoder") != NULL);
	meta = meta_for("v");
	TEST_CHECK("bad dir", bundle_write_logistic("/nonexistent/x", &meta, lm, &err) == -1 &&
	                          strstr(err.msg, "cannot create") != NULL);
	{
		char long_dir[5000];

		memset(long_dir, 'a', sizeof(long_dir) - 1);
		long_dir[sizeof(long_dir) - 1] = '\0';
		TEST_CHECK("path too long", bundle_write_logistic(long_dir, &meta, lm, &err) == -1);
	}
	TEST_CHECK("nothing left behind", access(dir, F_OK) == -1 && leftovers() == 0);
	free_and_destroy_model(&lm);
	free_and_destroy_model(&svc);
	svm_free_and_destroy_model(&poly);
}

/* ---- setup and teardown ---- */

int
main(void)
{
	set_print_string_function(quiet);
	svm_set_print_string_function(quiet);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_model.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	make_data();
	if (encode_all() == 0) {
		test_starter();
		test_tiers();
		check_logistic("lr-neg-first", first_with_label(0));
		check_logistic("lr-pos-first", first_with_label(1));
		test_svm_linear();
		test_svm_platt();
		test_rbf();
		test_starter_bundle();
		test_check_spec();
		test_load_errors();
		test_bundle_errors();
	}
	encoder_free(enc);
	h_remove_tree(tmpdir);
	return TEST_REPORT();
}
