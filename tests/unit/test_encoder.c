/* test_encoder.c: encodings worked out by hand, fitting on a tiny table, the JSON round trip. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/encoder.h"
#include "../testhelp.h"

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
    .hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    .fields = spec_fields,
    .nfields = 3,
};

#define NUM(x)                                                                                     \
	{                                                                                          \
		0, (x), NULL                                                                       \
	}
#define STR(s)                                                                                     \
	{                                                                                          \
		0, 0, (s)                                                                          \
	}
#define MISSING                                                                                    \
	{                                                                                          \
		1, 0, NULL                                                                         \
	}

static void
check_vec(const char *what, const double *got, const double *want, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		TEST_NEAR(what, got[j], want[j], 1e-12);
}

static void
test_from_spec(void)
{
	struct ls_err err = {{0}};
	struct encoder *enc = encoder_from_spec(&spec, &err);
	static const char *names[] = {
	    "visits",          "employees",          "industry=software",
	    "industry=retail", "industry=__other__", "industry=__missing__"};
	struct raw_value v1[] = {NUM(3), MISSING, STR("retail")};
	struct raw_value v2[] = {NUM(-5), NUM(250), STR("mining")};
	struct raw_value v3[] = {NUM(NAN), NUM(1), STR("")};
	struct raw_value v4[] = {MISSING, MISSING, STR(NULL)};
	struct raw_value v5[] = {MISSING, MISSING, {1, 0, "software"}};
	struct raw_row r1 = {v1, 3}, r2 = {v2, 3}, r3 = {v3, 3}, r4 = {v4, 3}, r5 = {v5, 3};
	struct raw_row short_row = {v1, 2};
	double x[6], base[6];
	size_t j;

	TEST_CHECK("from_spec builds", enc != NULL);
	if (enc == NULL)
		return;
	TEST_CHECK("dim: 1 + 1 + (2 levels + 2)", encoder_dim(enc) == 6);
	for (j = 0; j < 6; j++)
		TEST_STREQ("column name", enc->colnames[j], names[j]);
	TEST_CHECK("column inputs", enc->colinput[0] == 0 && enc->colinput[1] == 1 &&
	                                enc->colinput[2] == 2 && enc->colinput[5] == 2);
	TEST_CHECK("groups kept",
	           enc->inputs[0].group == GROUP_ENGAGEMENT && enc->inputs[2].group == GROUP_FIT);

	TEST_CHECK("encode 1", encoder_encode(enc, &r1, x) == 0);
	check_vec("log1p(3), impute 0, retail", x, (double[]){1.3862943611198906, 0, 0, 1, 0, 0},
	          6);
	TEST_CHECK("encode 2", encoder_encode(enc, &r2, x) == 0);
	check_vec("negative clamps to 0, unseen level to __other__", x,
	          (double[]){0, 250, 0, 0, 1, 0}, 6);
	TEST_CHECK("encode 3", encoder_encode(enc, &r3, x) == 0);
	check_vec("NaN imputed, empty string is missing", x, (double[]){0, 1, 0, 0, 0, 1}, 6);
	TEST_CHECK("encode 4", encoder_encode(enc, &r4, x) == 0);
	check_vec("NULL string is missing", x, (double[]){0, 0, 0, 0, 0, 1}, 6);
	TEST_CHECK("encode 5", encoder_encode(enc, &r5, x) == 0);
	check_vec("missing flag wins over a string", x, (double[]){0, 0, 0, 0, 0, 1}, 6);
	TEST_CHECK("wrong row length refused", encoder_encode(enc, &short_row, x) == -1);

	encoder_encode_missing(enc, base);
	check_vec("all-missing row", base, (double[]){0, 0, 0, 0, 0, 1}, 6);
	encoder_free(enc);
}

static struct encoder *
from_json_text(const char *text, struct ls_err *err)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	struct encoder *enc;

	if (j == NULL) {
		printf("bad test JSON: %s\n", jerr.text);
		return NULL;
	}
	enc = encoder_from_json(j, err);
	json_decref(j);
	return enc;
}

static void
test_standardise(void)
{
	struct ls_err err = {{0}};
	struct encoder *enc = from_json_text(
	    "[{\"name\":\"x\",\"kind\":\"numeric\",\"group\":\"fit\",\"transform\":\"log1p\","
	    "\"impute\":4,\"mean\":1,\"std\":0.5},"
	    "{\"name\":\"y\",\"kind\":\"numeric\",\"group\":\"engagement\",\"transform\":\"none\","
	    "\"impute\":-1.5,\"mean\":10,\"std\":4}]",
	    &err);
	struct raw_value v1[] = {MISSING, NUM(18)};
	struct raw_value v2[] = {NUM(M_E - 1), MISSING};
	struct raw_value v3[] = {NUM(-3), NUM(10)};
	struct raw_row r1 = {v1, 2}, r2 = {v2, 2}, r3 = {v3, 2};
	double x[2];

	TEST_CHECK("numeric encoder from JSON", enc != NULL);
	if (enc == NULL) {
		printf("  %s\n", err.msg);
		return;
	}
	TEST_CHECK("encode", encoder_encode(enc, &r1, x) == 0);
	TEST_NEAR("impute 4 -> (log1p(4) - 1) / 0.5", x[0], 1.2188758248682006, 1e-12);
	TEST_NEAR("(18 - 10) / 4", x[1], 2.0, 1e-12);
	TEST_CHECK("encode", encoder_encode(enc, &r2, x) == 0);
	TEST_NEAR("log1p(e - 1) = 1 -> 0", x[0], 0.0, 1e-12);
	TEST_NEAR("impute -1.5 -> (-1.5 - 10) / 4", x[1], -2.875, 1e-12);
	TEST_CHECK("encode", encoder_encode(enc, &r3, x) == 0);
	TEST_NEAR("-3 clamps to 0 -> (0 - 1) / 0.5", x[0], -2.0, 1e-12);
	TEST_NEAR("at the mean", x[1], 0.0, 1e-12);
	encoder_free(enc);
}

/* The tiny table: a numeric column, a log1p column, a categorical and a constant one. */
#define NROWS 6
static struct raw_value table[NROWS][5] = {
    {NUM(1), NUM(0), STR("beta"), NUM(5), MISSING},
    {NUM(2), NUM(1), STR("alpha"), NUM(5), MISSING},
    {MISSING, NUM(3), STR("beta"), NUM(5), MISSING},
    {NUM(4), MISSING, MISSING, NUM(5), MISSING},
    {NUM(10), NUM(7), STR("gamma"), NUM(5), MISSING},
    {NUM(3), MISSING, STR("beta"), NUM(5), MISSING},
};
static const struct encoder_field table_fields[] = {
    {"a", FIELD_NUMERIC, GROUP_FIT, TRANSFORM_NONE},
    {"b", FIELD_NUMERIC, GROUP_ENGAGEMENT, TRANSFORM_LOG1P},
    {"c", FIELD_CATEGORICAL, GROUP_FIT, TRANSFORM_NONE},
    {"d", FIELD_NUMERIC, GROUP_FIT, TRANSFORM_NONE},
    {"e", FIELD_NUMERIC, GROUP_FIT, TRANSFORM_NONE},
};

static void
table_rows(struct raw_row *rows)
{
	size_t i;

	for (i = 0; i < NROWS; i++) {
		rows[i].values = table[i];
		rows[i].n = 5;
	}
}

static void
test_fit(void)
{
	struct ls_err err = {{0}};
	struct raw_row rows[NROWS];
	struct encoder *enc;
	double x[9];

	table_rows(rows);
	enc = encoder_fit(table_fields, 5, rows, NROWS, 1, &err);
	TEST_CHECK("fit", enc != NULL);
	if (enc == NULL) {
		printf("  %s\n", err.msg);
		return;
	}
	TEST_NEAR("a: median of 1 2 3 4 10", enc->inputs[0].impute, 3.0, 0);
	TEST_NEAR("a: mean after imputing", enc->inputs[0].mean, 3.8333333333333335, 1e-12);
	TEST_NEAR("a: population std", enc->inputs[0].std, 2.91070819942883, 1e-12);
	TEST_NEAR("b: median of 0 1 3 7", enc->inputs[1].impute, 2.0, 0);
	TEST_NEAR("b: mean of log1p values", enc->inputs[1].mean, 1.0593512767826485, 1e-12);
	TEST_NEAR("b: std of log1p values", enc->inputs[1].std, 0.6333626331933675, 1e-12);
	TEST_CHECK("c: three levels, sorted", enc->inputs[2].nlevels == 3);
	TEST_STREQ("c level 0", enc->inputs[2].levels[0], "alpha");
	TEST_STREQ("c level 1", enc->inputs[2].levels[1], "beta");
	TEST_STREQ("c level 2", enc->inputs[2].levels[2], "gamma");
	TEST_NEAR("d: constant column keeps std 1", enc->inputs[3].std, 1.0, 0);
	TEST_NEAR("d: mean 5", enc->inputs[3].mean, 5.0, 0);
	TEST_NEAR("e: never observed: impute 0", enc->inputs[4].impute, 0.0, 0);
	TEST_NEAR("e: std 1", enc->inputs[4].std, 1.0, 0);
	TEST_CHECK("dim 1 + 1 + 5 + 1 + 1", encoder_dim(enc) == 9);
	TEST_CHECK("encode row 4", encoder_encode(enc, &rows[4], x) == 0);
	TEST_NEAR("a: (10 - mean) / std", x[0], (10 - 3.8333333333333335) / 2.91070819942883,
	          1e-12);
	TEST_NEAR("b: standardised log1p(7)", x[1], 1.6105943284875643, 1e-12);
	TEST_CHECK("c=gamma", x[2] == 0 && x[3] == 0 && x[4] == 1 && x[5] == 0 && x[6] == 0);
	encoder_free(enc);

	enc = encoder_fit(table_fields, 5, rows, NROWS, 2, &err);
	TEST_CHECK("fit, levels seen twice", enc != NULL);
	if (enc != NULL) {
		TEST_CHECK("c: only beta kept", enc->inputs[2].nlevels == 1);
		TEST_STREQ("c: beta", enc->inputs[2].levels[0], "beta");
		TEST_CHECK("encode row 1", encoder_encode(enc, &rows[1], x) == 0);
		TEST_CHECK("alpha pooled into __other__", x[2] == 0 && x[3] == 1 && x[4] == 0);
		TEST_STREQ("pooled column name", enc->colnames[3], "c=__other__");
		encoder_free(enc);
	}

	rows[2].n = 4;
	enc = encoder_fit(table_fields, 5, rows, NROWS, 1, &err);
	TEST_CHECK("ragged row refused", enc == NULL && strstr(err.msg, "row 2") != NULL);
	enc = encoder_fit(table_fields, 0, rows, 0, 1, &err);
	TEST_CHECK("no fields refused", enc == NULL && strstr(err.msg, "no inputs") != NULL);
	rows[2].n = 5;
	enc = encoder_fit(table_fields, 5, rows, 0, 1, &err);
	TEST_CHECK("no rows: defaults", enc != NULL && enc->inputs[0].std == 1.0 &&
	                                    enc->inputs[2].nlevels == 0 && encoder_dim(enc) == 6);
	encoder_free(enc);
}

static void
test_round_trip(void)
{
	struct ls_err err = {{0}};
	struct raw_row rows[NROWS];
	struct encoder *enc, *back;
	double x[9], y[9];
	json_t *j, *j2;
	char *text, *text2;
	size_t i, k;

	table_rows(rows);
	enc = encoder_fit(table_fields, 5, rows, NROWS, 1, &err);
	if (enc == NULL)
		return;
	j = encoder_to_json(enc);
	text = json_dumps(j, JSON_COMPACT);
	back = encoder_from_json(j, &err);
	TEST_CHECK("round trip parses", back != NULL);
	if (back == NULL) {
		printf("  %s\n", err.msg);
	} else {
		TEST_CHECK("same dim", encoder_dim(back) == encoder_dim(enc));
		for (i = 0; i < NROWS; i++) {
			if (encoder_encode(enc, &rows[i], x) < 0 ||
			    encoder_encode(back, &rows[i], y) < 0)
				TEST_CHECK("encode", 0);
			for (k = 0; k < 9; k++)
				TEST_CHECK("identical encoding", x[k] == y[k]);
		}
		j2 = encoder_to_json(back);
		text2 = json_dumps(j2, JSON_COMPACT);
		TEST_STREQ("identical JSON", text2, text);
		TEST_CHECK("numeric keys",
		           strstr(text, "{\"name\":\"a\",\"kind\":\"numeric\",\"group\":\"fit\","
		                        "\"transform\":\"none\",\"impute\":3.0,") != NULL);
		TEST_CHECK("categorical keys",
		           strstr(text,
		                  "{\"name\":\"c\",\"kind\":\"categorical\",\"group\":\"fit\","
		                  "\"levels\":[\"alpha\",\"beta\",\"gamma\"]}") != NULL);
		free(text2);
		json_decref(j2);
	}
	free(text);
	json_decref(j);
	encoder_free(back);
	encoder_free(enc);
}

#define NUMERIC_X "{\"name\":\"x\",\"kind\":\"numeric\",\"group\":\"fit\",\"transform\":\"none\","
#define CAT_C "{\"name\":\"c\",\"kind\":\"categorical\",\"group\":\"fit\","

static void
expect_json_error(const char *text, const char *want)
{
	struct ls_err err = {{0}};
	struct encoder *enc = from_json_text(text, &err);

	TEST_CHECK(want, enc == NULL && strstr(err.msg, want) != NULL);
	if (enc != NULL || strstr(err.msg, want) == NULL)
		printf("  got: %s\n", enc != NULL ? "(accepted)" : err.msg);
	encoder_free(enc);
}

static void
test_json_errors(void)
{
	expect_json_error("{}", "inputs must be an array");
	expect_json_error("[]", "no inputs");
	expect_json_error("[1]", "inputs[0]: not an object");
	expect_json_error("[{\"kind\":\"numeric\"}]", "name must be a non-empty string");
	expect_json_error("[{\"name\":\"\",\"kind\":\"numeric\"}]", "name must be a non-empty");
	expect_json_error("[{\"name\":\"x\",\"kind\":\"text\",\"group\":\"fit\"}]", "kind must be");
	expect_json_error("[{\"name\":\"x\",\"kind\":3,\"group\":\"fit\"}]", "kind must be");
	expect_json_error("[{\"name\":\"x\",\"kind\":\"numeric\",\"group\":\"other\"}]",
	                  "group must be");
	expect_json_error("[{\"name\":\"x\",\"kind\":\"numeric\",\"group\":\"fit\","
	                  "\"transform\":\"sqrt\",\"impute\":0,\"mean\":0,\"std\":1}]",
	                  "transform must be");
	expect_json_error("[" NUMERIC_X "\"impute\":0,\"mean\":\"0\",\"std\":1}]",
	                  "must be finite numbers");
	expect_json_error("[" NUMERIC_X "\"impute\":0,\"mean\":0}]", "must be finite numbers");
	expect_json_error("[" NUMERIC_X "\"impute\":0,\"mean\":0,\"std\":0}]",
	                  "std must be positive");
	expect_json_error("[" NUMERIC_X "\"impute\":0,\"mean\":0,\"std\":-2}]",
	                  "std must be positive");
	expect_json_error("[" NUMERIC_X "\"impute\":0,\"mean\":0,\"std\":1,\"levels\":[]}]",
	                  "unknown key \"levels\"");
	expect_json_error("[" CAT_C "\"levels\":\"a\"}]", "levels must be an array of strings");
	expect_json_error("[" CAT_C "\"levels\":[\"a\",2]}]", "levels must be an array");
	expect_json_error("[" CAT_C "\"levels\":[\"a\",\"b\",\"a\"]}]", "appears twice");
	expect_json_error("[" CAT_C "\"levels\":[\"a\",\"__other__\"]}]", "is reserved");
	expect_json_error("[" CAT_C "\"levels\":[\"__missing__\"]}]", "is reserved");
	expect_json_error("[" CAT_C "\"levels\":[\"\"]}]", "empty level");
	expect_json_error("[" CAT_C "\"levels\":[],\"mean\":0}]", "unknown key \"mean\"");
	expect_json_error("[" CAT_C "\"levels\":[]}," CAT_C "\"levels\":[]}]",
	                  "input \"c\" appears twice");
}

static void
test_spec_errors(void)
{
	static char *bad_levels[] = {"x", "__other__"};
	struct field_def fields[2] = {spec_fields[0], spec_fields[0]};
	struct featspec s = spec;
	struct ls_err err = {{0}};
	struct encoder *enc;

	s.fields = fields;
	s.nfields = 2;
	enc = encoder_from_spec(&s, &err);
	TEST_CHECK("duplicate field names", enc == NULL && strstr(err.msg, "appears twice"));
	fields[1] = spec_fields[2];
	fields[1].levels = bad_levels;
	enc = encoder_from_spec(&s, &err);
	TEST_CHECK("reserved level in spec", enc == NULL && strstr(err.msg, "reserved"));
	fields[1] = spec_fields[1];
	fields[1].name = "";
	enc = encoder_from_spec(&s, &err);
	TEST_CHECK("empty field name", enc == NULL && strstr(err.msg, "empty name"));
	fields[1] = spec_fields[1];
	fields[1].group = (enum field_group)9;
	enc = encoder_from_spec(&s, &err);
	TEST_CHECK("bad group", enc == NULL && strstr(err.msg, "bad kind, group or transform"));
	s.nfields = 0;
	enc = encoder_from_spec(&s, &err);
	TEST_CHECK("empty spec", enc == NULL && strstr(err.msg, "no inputs"));
}

static void
test_fit_errors(void)
{
	struct raw_value huge[2][1] = {{NUM(1e308)}, {NUM(1e308)}};
	struct raw_row rows[2] = {{huge[0], 1}, {huge[1], 1}};
	struct encoder_field f = {"x", FIELD_NUMERIC, GROUP_FIT, TRANSFORM_NONE};
	struct ls_err err = {{0}};
	struct encoder *enc;

	enc = encoder_fit(&f, 1, rows, 2, 1, &err);
	TEST_CHECK("overflowing mean refused", enc == NULL && strstr(err.msg, "must be finite"));
	f.kind = (enum field_kind)7;
	enc = encoder_fit(&f, 1, rows, 2, 1, &err);
	TEST_CHECK("bad kind refused", enc == NULL && strstr(err.msg, "bad kind"));
	f.kind = FIELD_NUMERIC;
	f.name = "";
	enc = encoder_fit(&f, 1, rows, 2, 1, &err);
	TEST_CHECK("empty name refused", enc == NULL && strstr(err.msg, "empty name"));
}

int
main(void)
{
	test_from_spec();
	test_standardise();
	test_fit();
	test_round_trip();
	test_json_errors();
	test_spec_errors();
	test_fit_errors();
	return TEST_REPORT();
}
