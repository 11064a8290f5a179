/* test_train.c: training from rows: splits, folds, calibration, tiers, CSV rows, the guard,
 * refusals. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cli/train_cli.h"
#include "../../model/dataset.h"
#include "../../model/encoder.h"
#include "../../model/manifest.h"
#include "../../model/model.h"
#include "../../model/train.h"
#include "../../model/train_calib.h"
#include "../../model/train_csv.h"
#include "../../model/train_search.h"
#include "../harness/harness.h"
#include "../testhelp.h"

#define CASES "tests/cases/train/"

/* TEST_CHECK that also gives the outcome, to clean up after an unexpected success. */
static int
test_ok(const char *descr, int cond, int line)
{
	if (cond) {
		th_passed++;
	} else {
		th_failed++;
		printf("FAIL %s:%d: %s\n", __FILE__, line, descr);
	}
	return cond;
}
#define TEST_OK(descr, cond) test_ok(descr, cond, __LINE__)

static char tmpdir[64];

/* ---- calibration ---- */

static void
test_platt(void)
{
	double f[200], hi, lo, g1 = 0, g2 = 0, npos = 0, nneg = 0;
	int y[200];
	struct manifest_calib c = {0, 0, 0};
	struct ls_err err = {{0}};
	size_t i;

	/* Overlapping classes: decision values rise with the label, with noise. */
	for (i = 0; i < 200; i++) {
		y[i] = i % 3 == 0;
		f[i] = (y[i] ? 1.0 : -1.0) + 2.0 * sin((double)i * 1.7);
		npos += y[i];
	}
	nneg = 200 - npos;
	TEST_CHECK("platt fits", calib_platt(f, y, 200, &c, &err) == 0 && c.platt == 1);
	TEST_CHECK("higher decision, higher probability", c.a < 0);
	/* At the optimum the gradient vanishes: sum(t - p) = 0 and sum f (t - p) = 0, with
	 * Platt's targets in place of 1 and 0. */
	hi = (npos + 1) / (npos + 2);
	lo = 1 / (nneg + 2);
	for (i = 0; i < 200; i++) {
		double p = 1 / (1 + exp(c.a * f[i] + c.b)), t = y[i] ? hi : lo;

		g1 += t - p;
		g2 += f[i] * (t - p);
	}
	TEST_NEAR("gradient in b vanishes", g1, 0, 1e-4);
	TEST_NEAR("gradient in a vanishes", g2, 0, 1e-4);
	TEST_NEAR("clamped high", calib_prob(&c, 1e6), CALIB_P_MAX, 0);
	TEST_NEAR("clamped low", calib_prob(&c, -1e6), CALIB_P_MIN, 0);
	{
		double p = calib_prob(&c, 0.3);

		TEST_CHECK("in between", p > CALIB_P_MIN && p < CALIB_P_MAX);
	}
	/* Separable data: targets keep the fit finite and off 0 and 1. */
	for (i = 0; i < 200; i++)
		f[i] = y[i] ? 5.0 + (double)i : -5.0 - (double)i;
	TEST_CHECK("separable fits", calib_platt(f, y, 200, &c, &err) == 0);
	TEST_CHECK("separable finite", isfinite(c.a) && isfinite(c.b));
	for (i = 0; i < 200; i++)
		y[i] = 1;
	TEST_CHECK("one class refused", calib_platt(f, y, 200, &c, &err) < 0);
	TEST_STREQ("one class reason", err.msg, "calibration needs both classes");
	y[0] = 0;
	f[3] = NAN;
	TEST_CHECK("NaN refused", calib_platt(f, y, 200, &c, &err) < 0);
}

static void
test_tiers(void)
{
	double p[100];
	struct manifest_tiers t;
	size_t i;

	for (i = 0; i < 100; i++)
		p[i] = (double)(i + 1) / 100; /* scores 1..100 */
	calib_tiers(p, 100, &t);
	TEST_CHECK("A is the top tenth", t.a == 91);
	TEST_CHECK("B the next fifth", t.b == 71);
	TEST_CHECK("C the next three tenths", t.c == 41);
	for (i = 0; i < 100; i++)
		p[i] = 0.001;
	calib_tiers(p, 100, &t);
	TEST_CHECK("all zero scores: nudged apart", t.a == 2 && t.b == 1 && t.c == 0);
	for (i = 0; i < 100; i++)
		p[i] = 0.9999;
	calib_tiers(p, 100, &t);
	TEST_CHECK("all top scores: nudged apart", t.a == 100 && t.b == 99 && t.c == 98);
	calib_tiers(p, 0, &t);
	TEST_CHECK("no rows: defaults", t.a == MANIFEST_TIER_A && t.c == MANIFEST_TIER_C);
	calib_tiers(p, 1, &t);
	TEST_CHECK("one row: valid", t.a > t.b && t.b > t.c && t.c >= 0 && t.a <= 100);
}

/* ---- datasets, splits, folds ---- */

static const struct encoder_field fields3[] = {
    {"x1", FIELD_NUMERIC, GROUP_ENGAGEMENT, TRANSFORM_NONE},
    {"x2", FIELD_NUMERIC, GROUP_FIT, TRANSFORM_LOG1P},
    {"c", FIELD_CATEGORICAL, GROUP_FIT, TRANSFORM_NONE},
};

static unsigned long long lcg = 99;

static double
uniform(void)
{
	lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg >> 11) / 9007199254740992.0;
}

/* n rows whose label follows x1 and c (with noise); time = row / per_day days. */
static int
synthetic(struct dataset *ds, size_t n, size_t per_day, int signal)
{
	static const char *levels[] = {"alpha", "beta", "gamma", "delta"};
	struct ls_err err;
	size_t i;

	if (dataset_init(ds, fields3, 3, &err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		double x1 = uniform() * 4 - 2, x2 = uniform() * 100;
		const char *c = levels[(size_t)(uniform() * 4)];
		double z = signal * (1.8 * x1 + (strcmp(c, "alpha") == 0 ? 1.5 : 0)) - 0.8;
		int label = uniform() < 1 / (1 + exp(-z));
		char group[16];
		struct raw_value *v;

		snprintf(group, sizeof(group), "g%zu", i % 97);
		v = dataset_add(ds, label, (int64_t)(i / per_day) * 86400000000LL, group);
		if (v == NULL)
			return -1;
		v[0] = (struct raw_value){i % 11 == 5, x1, NULL};
		v[1] = (struct raw_value){0, x2, NULL};
		v[2] =
		    (struct raw_value){i % 13 == 7, 0, i % 13 == 7 ? NULL : dataset_intern(ds, c)};
	}
	return 0;
}

static int
disjoint_cover(const struct split *sp, size_t n)
{
	unsigned char *seen = calloc(n, 1);
	size_t i;
	int ok = seen != NULL;

	for (i = 0; ok && i < sp->ntrain; i++)
		ok = sp->train[i] < n && !seen[sp->train[i]]++;
	for (i = 0; ok && i < sp->ntest; i++)
		ok = sp->test[i] < n && !seen[sp->test[i]]++;
	for (i = 0; ok && i < n; i++)
		ok = seen[i] == 1 || sp->ngap > 0;
	free(seen);
	return ok;
}

static void
test_splits(void)
{
	struct dataset ds;
	struct split sp, sp2;
	struct ls_err err = {{0}};
	size_t i;
	int same = 1;

	TEST_CHECK("dataset", synthetic(&ds, 100, 10, 1) == 0);
	TEST_CHECK("tail", split_tail(&ds, 0.2, &sp, &err) == 0);
	TEST_CHECK("tail sizes", sp.ntrain == 80 && sp.ntest == 20);
	TEST_CHECK("tail takes the last rows", sp.test[0] == 80 && sp.test[19] == 99);
	TEST_CHECK("tail covers", disjoint_cover(&sp, 100));
	TEST_STREQ("tail method", sp.method, "tail");
	split_free(&sp);

	TEST_CHECK("random", split_random(&ds, 0.25, 7, &sp, &err) == 0);
	TEST_CHECK("random sizes", sp.ntrain == 75 && sp.ntest == 25);
	TEST_CHECK("random covers", disjoint_cover(&sp, 100));
	TEST_CHECK("random again", split_random(&ds, 0.25, 7, &sp2, &err) == 0);
	for (i = 0; i < sp.ntest; i++)
		same &= sp.test[i] == sp2.test[i];
	TEST_CHECK("same seed, same split", same);
	split_free(&sp2);
	TEST_CHECK("other seed", split_random(&ds, 0.25, 8, &sp2, &err) == 0);
	same = 1;
	for (i = 0; i < sp.ntest; i++)
		same &= sp.test[i] == sp2.test[i];
	TEST_CHECK("other seed, other split", !same);
	split_free(&sp);
	split_free(&sp2);

	/* 10 days of 10 rows: the newest 2 days are the holdout; with a 3-day gap, training ends
	 * before day 5 (its labels would look into the holdout's days). */
	TEST_CHECK("time", split_time(&ds, 0.2, 3 * 86400000000LL, &sp, &err) == 0);
	TEST_CHECK("time holdout is the newest days",
	           sp.ntest == 20 && ds.times[sp.test[0]] == 8 * 86400000000LL);
	TEST_CHECK("time gap", sp.ngap == 30 && sp.ntrain == 50);
	TEST_CHECK("time training ends a gap before the holdout",
	           ds.times[sp.train[sp.ntrain - 1]] == 4 * 86400000000LL);
	TEST_CHECK("time covers", disjoint_cover(&sp, 100));
	split_free(&sp);
	/* Whole instants: a fraction that cuts a day takes all of it. */
	TEST_CHECK("time whole days",
	           split_time(&ds, 0.15, 0, &sp, &err) == 0 && sp.ntest == 20 && sp.ntrain == 80);
	split_free(&sp);
	TEST_CHECK("gap eats everything", split_time(&ds, 0.2, 30 * 86400000000LL, &sp, &err) < 0);
	TEST_CHECK("gap reason", strstr(err.msg, "within 30 days of it") != NULL);
	if (strstr(err.msg, "within 30 days of it") == NULL)
		printf("  got: %s\n", err.msg);
	TEST_CHECK("empty holdout refused", split_tail(&ds, 0.001, &sp, &err) < 0);
	TEST_CHECK("empty holdout reason", strstr(err.msg, "no holdout") != NULL);
	dataset_free(&ds);
}

static void
test_folds(void)
{
	int label[300], fold[300], count[5][2] = {{0}};
	const char *group[300];
	char names[30][8];
	struct ls_err err = {{0}};
	size_t i, j;
	int ok = 1;

	for (i = 0; i < 30; i++)
		snprintf(names[i], sizeof(names[i]), "g%zu", i);
	for (i = 0; i < 300; i++) {
		label[i] = i % 4 == 0;
		group[i] = names[i % 30];
	}
	TEST_CHECK("stratified", search_assign_folds(label, NULL, 300, 5, 3, fold, &err) == 0);
	for (i = 0; i < 300; i++)
		count[fold[i]][label[i]]++;
	for (i = 0; i < 5; i++)
		ok &= count[i][1] == 15 && count[i][0] == 45;
	TEST_CHECK("each fold has its share of both classes", ok);
	TEST_CHECK("grouped", search_assign_folds(label, group, 300, 5, 3, fold, &err) == 0);
	for (i = 0, ok = 1; i < 300; i++)
		for (j = 0; j < i; j++)
			if (group[i] == group[j])
				ok &= fold[i] == fold[j];
	TEST_CHECK("a group stays in one fold", ok);
	TEST_CHECK("one fold refused", search_assign_folds(label, NULL, 300, 1, 3, fold, &err) < 0);
}

/* ---- CSV rows ---- */

static void
test_csv_rows(void)
{
	static const char *missing[] = {"NA", "Select"};
	static char *exclude[] = {"id"};
	struct train_csv_opts o = {CASES "basic.csv", ',', "converted", NULL, exclude, 1,
	                           missing,           2,   NULL};
	struct train_csv_info info;
	struct dataset ds;
	struct ls_err err = {{0}};

	TEST_CHECK("basic loads", train_csv_load(&o, &ds, &info, &err) == 0);
	if (ds.nrows == 0) {
		printf("  reason: %s\n", err.msg);
		return;
	}
	TEST_CHECK("unlabelled row left out", info.rows == 6 && info.skipped == 1 && ds.nrows == 5);
	TEST_CHECK("fields: all but id and the label", ds.nfields == 3);
	TEST_STREQ("quoted header", ds.fields[2].name, "notes, free text");
	TEST_CHECK("numbers with NA and empty cells are numeric",
	           ds.fields[0].kind == FIELD_NUMERIC);
	TEST_CHECK("text is categorical", ds.fields[1].kind == FIELD_CATEGORICAL);
	TEST_CHECK("labels yes/no/YES/No/true", ds.labels[0] == 1 && ds.labels[1] == 0 &&
	                                            ds.labels[2] == 1 && ds.labels[3] == 0 &&
	                                            ds.labels[4] == 1);
	TEST_CHECK("times are file positions", ds.times[3] == 4 && ds.times[4] == 5);
	TEST_CHECK("NA is missing", ds.values[1 * 3 + 0].missing);
	TEST_CHECK("empty is missing", ds.values[2 * 3 + 0].missing);
	TEST_NEAR("exponent", ds.values[3 * 3 + 0].num, 10, 0);
	TEST_CHECK("Select is missing", ds.values[1 * 3 + 1].missing);
	TEST_STREQ("doubled quotes", ds.values[0 * 3 + 2].str, "said \"call me\", later");
	TEST_STREQ("line break kept", ds.values[4 * 3 + 2].str, "multi\r\nline");
	TEST_CHECK("hash of the columns", strlen(info.spec_hash) == 64);
	train_csv_info_clear(&info);
	dataset_free(&ds);

	o.positive = "no";
	TEST_CHECK("--positive", train_csv_load(&o, &ds, &info, &err) == 0 && ds.labels[1] == 1 &&
	                             ds.labels[0] == 0);
	train_csv_info_clear(&info);
	dataset_free(&ds);
	o.positive = NULL;

	o.path = CASES "ragged.csv";
	o.label = "label";
	o.nexclude = 0;
	TEST_CHECK("ragged refused", train_csv_load(&o, &ds, &info, &err) < 0);
	TEST_CHECK("ragged reason names the line", strstr(err.msg, "line 3") != NULL);
	train_csv_info_clear(&info);
	o.path = CASES "badlabel.csv";
	TEST_CHECK("bad label refused", train_csv_load(&o, &ds, &info, &err) < 0);
	TEST_CHECK("bad label reason",
	           strstr(err.msg, "\"maybe\"") != NULL && strstr(err.msg, "--positive") != NULL);
	train_csv_info_clear(&info);
	o.label = "nope";
	TEST_CHECK("unknown label column", train_csv_load(&o, &ds, &info, &err) < 0 &&
	                                       strstr(err.msg, "no column \"nope\"") != NULL);
	train_csv_info_clear(&info);
	o.label = "label";
	exclude[0] = "zzz";
	o.nexclude = 1;
	TEST_CHECK("unknown excluded column", train_csv_load(&o, &ds, &info, &err) < 0 &&
	                                          strstr(err.msg, "--exclude") != NULL);
	train_csv_info_clear(&info);
	exclude[0] = "label";
	TEST_CHECK("label excluded", train_csv_load(&o, &ds, &info, &err) < 0);
	train_csv_info_clear(&info);
	exclude[0] = "id";
	o.path = CASES "missing.csv";
	TEST_CHECK("missing file", train_csv_load(&o, &ds, &info, &err) < 0);
	train_csv_info_clear(&info);
}

/* ---- missing tokens in the encoder and the manifest ---- */

static void
test_missing_tokens(void)
{
	static const char *missing[] = {"Select", "NA"};
	static struct raw_value vals[3][1] = {{{0, 0, "red"}}, {{0, 0, "blue"}}, {{0, 0, "red"}}};
	static const struct encoder_field f = {"colour", FIELD_CATEGORICAL, GROUP_FIT,
	                                       TRANSFORM_NONE};
	struct raw_row rows[3] = {{vals[0], 1}, {vals[1], 1}, {vals[2], 1}};
	struct raw_value sel = {0, 0, "Select"}, other = {0, 0, "green"};
	struct raw_row rs = {&sel, 1}, ro = {&other, 1};
	struct ls_err err = {{0}};
	struct encoder *enc = encoder_fit(&f, 1, rows, 3, 1, &err), *back;
	double x[4];
	json_t *js;

	TEST_CHECK("fit", enc != NULL && enc->dim == 4);
	if (enc == NULL)
		return;
	TEST_CHECK("tokens set", encoder_set_missing(enc, missing, 2, &err) == 0);
	TEST_CHECK("encode Select", encoder_encode(enc, &rs, x) == 0 && x[3] == 1 && x[2] == 0);
	TEST_CHECK("an unknown level is other", encoder_encode(enc, &ro, x) == 0 && x[2] == 1);
	js = encoder_to_json(enc);
	TEST_CHECK("tokens in the manifest",
	           js != NULL &&
	               json_array_size(json_object_get(json_array_get(js, 0), "missing")) == 2);
	back = encoder_from_json(js, &err);
	TEST_CHECK("read back", back != NULL && back->inputs[0].nmissing == 2);
	TEST_CHECK("read back encodes the same",
	           back != NULL && encoder_encode(back, &rs, x) == 0 && x[3] == 1);
	encoder_free(back);
	json_array_append_new(json_object_get(json_array_get(js, 0), "missing"),
	                      json_string("red"));
	TEST_CHECK("a token that is a level is refused",
	           encoder_from_json(js, &err) == NULL && strstr(err.msg, "both a level") != NULL);
	json_object_set_new(json_array_get(js, 0), "missing", json_integer(1));
	TEST_CHECK("tokens must be strings", encoder_from_json(js, &err) == NULL);
	json_decref(js);
	{
		const char *bad[] = {"blue"};

		TEST_CHECK("setting a level as missing refused",
		           encoder_set_missing(enc, bad, 1, &err) < 0);
	}
	encoder_free(enc);
}

/* ---- training runs ---- */

static void
bundle_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static int
has_keys(const json_t *r)
{
	static const char *keys[] = {
	    "rows_train",     "rows_test",   "positives_train", "auc",
	    "pr_auc",         "log_loss",    "brier",           "lift_top_decile",
	    "precision_at_k", "calibration", "columns",         "tiers",
	    "params",         NULL};

	for (size_t i = 0; keys[i] != NULL; i++)
		if (json_object_get(r, keys[i]) == NULL) {
			printf("  report lacks %s\n", keys[i]);
			return 0;
		}
	return 1;
}

static void
run_kind(enum manifest_kind kind, const char *name)
{
	static const char *const missing[] = {"NA"};
	struct dataset ds;
	struct split sp;
	struct train_opts o;
	struct train_result res;
	struct train_source src = {
	    name, "abababababababababababababababababababababababababababababababab", 3, NULL};
	struct ls_err err = {{0}};
	char dir[128];
	struct model *m;

	lcg = 5;
	if (synthetic(&ds, 700, 35, 1) < 0 || split_random(&ds, 0.3, 1, &sp, &err) < 0) {
		TEST_CHECK("data", 0);
		return;
	}
	train_opts_init(&o, kind);
	o.min_positives = 20;
	o.missing = missing;
	o.nmissing = 1;
	o.threads = 2;
	o.search_rows = 300;
	o.max_rows = 400;
	bundle_path(dir, sizeof(dir), name);
	TEST_CHECK(name, train_run(&ds, &sp, &o, &src, dir, &res, &err) == 0);
	if (res.report == NULL) {
		printf("  reason: %s\n", err.msg);
		goto out;
	}
	TEST_CHECK("report keys", has_keys(res.report));
	TEST_CHECK("learns the signal", res.auc > 0.8);
	TEST_CHECK("report counts",
	           res.ntrain == 490 && res.ntest == 210 &&
	               json_integer_value(json_object_get(res.report, "rows_train")) == 490);
	TEST_CHECK("probabilities off 0 and 1", res.test_prob[0] > 0 && res.test_prob[0] < 1);
	m = model_load(dir, &err);
	TEST_CHECK("bundle loads", m != NULL);
	if (m != NULL) {
		const json_t *man = model_manifest(m);

		TEST_STREQ("kind", model_kind(m), manifest_kind_name(kind));
		TEST_CHECK("calibrated",
		           json_object_get(json_object_get(man, "calibration"), "a") != NULL);
		TEST_CHECK("metrics in the manifest",
		           json_object_get(json_object_get(man, "metrics"), "auc") != NULL);
		TEST_CHECK("training block",
		           json_object_get(json_object_get(man, "training"), "trained_at") != NULL);
		{
			char *inputs = json_dumps(json_object_get(man, "inputs"), 0);

			TEST_CHECK("missing tokens kept",
			           inputs != NULL && strstr(inputs, "\"missing\"") != NULL);
			free(inputs);
		}
		if (kind != MANIFEST_LOGISTIC)
			TEST_CHECK("sample size reported",
			           json_integer_value(json_object_get(
			               json_object_get(res.report, "sample_size"), "fit")) == 400);
		model_free(m);
	}
out:
	train_result_clear(&res);
	split_free(&sp);
	dataset_free(&ds);
}

static int
dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
test_refusals(void)
{
	struct dataset ds;
	struct split sp;
	struct train_opts o;
	struct train_result res;
	struct train_source src = {
	    "r1", "abababababababababababababababababababababababababababababababab", 3, NULL};
	struct ls_err err = {{0}};
	char dir[128], want[200];

	lcg = 11;
	if (synthetic(&ds, 200, 20, 1) < 0 || split_tail(&ds, 0.25, &sp, &err) < 0) {
		TEST_CHECK("data", 0);
		return;
	}
	train_opts_init(&o, MANIFEST_LOGISTIC);
	o.positive_desc = "label 1";
	bundle_path(dir, sizeof(dir), "refused");
	if (!TEST_OK("too few positives refused",
	             train_run(&ds, &sp, &o, &src, dir, &res, &err) < 0))
		train_result_clear(&res);
	snprintf(want, sizeof(want),
	         "refusing to train: the training rows hold %zu positive "
	         "examples (label 1), fewer than the 120 required",
	         res.pos_train);
	TEST_CHECK("the reason says how many and how many are needed",
	           res.pos_train > 0 && res.pos_train < 120 && strstr(err.msg, want) != NULL);
	if (strstr(err.msg, want) == NULL)
		printf("  got: %s\n", err.msg);
	TEST_CHECK("no bundle left behind", !dir_exists(dir));
	/* A holdout of one class cannot be judged. */
	o.min_positives = 1;
	for (size_t i = 0; i < sp.ntest; i++)
		ds.labels[sp.test[i]] = 0;
	TEST_CHECK("one-class holdout refused",
	           train_run(&ds, &sp, &o, &src, dir, &res, &err) < 0 &&
	               strstr(err.msg, "all negative") != NULL);
	TEST_CHECK("still no bundle", !dir_exists(dir));
	/* An existing directory is never overwritten. */
	for (size_t i = 0; i < sp.ntest; i++)
		ds.labels[sp.test[i]] = i % 2;
	mkdir(dir, 0755);
	TEST_CHECK("existing out refused", train_run(&ds, &sp, &o, &src, dir, &res, &err) < 0 &&
	                                       strstr(err.msg, "already exists") != NULL);
	rmdir(dir);
	split_free(&sp);
	dataset_free(&ds);
}

static void
test_guard(void)
{
	struct guard_verdict v;

	train_guard_decide(0.80, 0.78, "the active model m1", 500, 0.01, 0, &v);
	TEST_CHECK("better: promoted", v.promote);
	TEST_CHECK("reason gives both AUCs",
	           strstr(v.reason, "0.8000") != NULL && strstr(v.reason, "0.7800") != NULL);
	train_guard_decide(0.775, 0.78, "the active model m1", 500, 0.01, 0, &v);
	TEST_CHECK("slightly worse, within tolerance: promoted", v.promote);
	train_guard_decide(0.75, 0.78, "the active model m1", 500, 0.01, 0, &v);
	TEST_CHECK("worse beyond tolerance: kept", !v.promote);
	TEST_CHECK("kept reason", strstr(v.reason, "kept the active model m1") != NULL &&
	                              strstr(v.reason, "0.0300 below") != NULL &&
	                              strstr(v.reason, "--force") != NULL);
	train_guard_decide(0.75, 0.78, "the active model m1", 500, 0.01, 1, &v);
	TEST_CHECK("forced: promoted", v.promote && strncmp(v.reason, "forced", 6) == 0);
	train_guard_decide(0.78, 0.78, "the starter model", 10, 0, 0, &v);
	TEST_CHECK("equal with no tolerance: promoted", v.promote);
}

static void
test_dataset_export(void)
{
	struct dataset ds;
	struct split sp;
	struct ls_err err = {{0}};
	char path[128], line[256];
	FILE *f;
	static const struct encoder_field ff[] = {
	    {"n", FIELD_NUMERIC, GROUP_FIT, TRANSFORM_NONE},
	    {"t, text", FIELD_CATEGORICAL, GROUP_FIT, TRANSFORM_NONE}};
	struct raw_value *v;

	if (dataset_init(&ds, ff, 2, &err) < 0)
		return;
	v = dataset_add(&ds, 1, 1, "c1");
	v[0] = (struct raw_value){0, 1.5, NULL};
	v[1] = (struct raw_value){0, 0, dataset_intern(&ds, "say \"hi\"")};
	v = dataset_add(&ds, 0, 86400000000LL, "c2");
	TEST_CHECK("split", split_tail(&ds, 0.5, &sp, &err) == 0);
	bundle_path(path, sizeof(path), "rows.csv");
	TEST_CHECK("export", train_write_dataset(path, &ds, &sp, 1, &err) == 0);
	f = fopen(path, "r");
	TEST_CHECK("header", f != NULL && fgets(line, sizeof(line), f) != NULL &&
	                         strcmp(line, "contact_id,as_of,label,set,n,\"t, text\"\n") == 0);
	TEST_CHECK("row 1", f != NULL && fgets(line, sizeof(line), f) != NULL &&
	                        strcmp(line, "c1,1970-01-01T00:00:00.000001Z,1,train,1.5,\"say "
	                                     "\"\"hi\"\"\"\n") == 0);
	TEST_CHECK("row 2: missing values empty",
	           f != NULL && fgets(line, sizeof(line), f) != NULL &&
	               strcmp(line, "c2,1970-01-02T00:00:00.000000Z,0,test,,\n") == 0);
	if (f != NULL)
		fclose(f);
	TEST_CHECK("unwritable", train_write_dataset("/nonexistent/x.csv", &ds, &sp, 0, &err) < 0);
	split_free(&sp);
	dataset_free(&ds);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_train.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_platt();
	test_tiers();
	test_splits();
	test_folds();
	test_csv_rows();
	test_missing_tokens();
	run_kind(MANIFEST_LOGISTIC, "logistic-1");
	run_kind(MANIFEST_SVM_LINEAR, "svm-linear-1");
	run_kind(MANIFEST_SVM_RBF, "svm-rbf-1");
	test_refusals();
	test_guard();
	test_dataset_export();
	h_remove_tree(tmpdir);
	return TEST_REPORT();
}
