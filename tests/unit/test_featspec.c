/* test_featspec.c: the feature spec parser: the shipped spec, every kind of bad spec, the hash. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/featspec.h"
#include "../testhelp.h"

#define CASES_DIR "tests/cases/featspec"

/* Reads a whole small file; NULL when it cannot. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = malloc(1 << 20);
	if (buf == NULL) {
		fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static const struct field_def *
field(const struct featspec *spec, const char *name)
{
	long i = featspec_field_index(spec, name);

	return i < 0 ? NULL : &spec->fields[i];
}

static void
test_shipped_spec(void)
{
	static const char *const order[] = {
	    "page_views",     "pricing_views", "email_opens",       "email_clicks",
	    "email_replies",  "form_fills",    "content_downloads", "webinars",
	    "demo_requests",  "intent",        "job_changes",       "funding",
	    "company_size",   "seniority",     "industry",          "days_since_last_activity",
	    "active_days_30", "days_known"};
	static const char *const types[] = {
	    "page.viewed",    "page.viewed",    "email.opened",       "email.clicked",
	    "email.replied",  "form.submitted", "content.downloaded", "webinar.attended",
	    "demo.requested", "intent.surged",  "job.changed",        "company.funded"};
	static const char *const seniority[] = {"c_level", "vp", "director", "manager",
	                                        "individual"};
	static const char *const industry[] = {
	    "software", "finance", "healthcare", "manufacturing", "retail", "education", "other"};
	struct ls_err err = {""};
	struct featspec *spec = featspec_load("model/features.json", &err), *again;
	const struct field_def *f;
	char *bytes;
	size_t len = 0;

	TEST_CHECK("shipped spec loads", spec != NULL);
	if (spec == NULL) {
		printf("  reason: %s\n", err.msg);
		return;
	}
	TEST_CHECK("version", spec->version == 1);
	TEST_CHECK("18 fields", spec->nfields == 18);
	TEST_CHECK("12 signals", spec->nsignals == 12);
	for (size_t i = 0; i < 18 && i < spec->nfields; i++)
		TEST_STREQ("field order", spec->fields[i].name, order[i]);
	for (size_t i = 0; i < 12 && i < spec->nsignals; i++) {
		TEST_STREQ("signal type", spec->signals[i].type, types[i]);
		TEST_CHECK("signal field", spec->fields[i].source == SOURCE_SIGNAL &&
		                               spec->fields[i].source_index == i &&
		                               spec->fields[i].group == GROUP_ENGAGEMENT &&
		                               spec->fields[i].kind == FIELD_NUMERIC &&
		                               spec->fields[i].transform == TRANSFORM_LOG1P);
		TEST_NEAR("decay precomputed", spec->signals[i].decay_per_us,
		          log(2.0) / (spec->signals[i].half_life_s * 1e6), 1e-25);
	}
	TEST_NEAR("page views half-life 14 d", spec->signals[0].half_life_s, 14 * 86400.0, 1e-9);
	TEST_NEAR("pricing half-life 7 d", spec->signals[1].half_life_s, 7 * 86400.0, 1e-9);
	TEST_STREQ("pricing filter field", spec->signals[1].data_field, "path");
	TEST_STREQ("pricing prefix", spec->signals[1].prefix, "/pricing");
	TEST_CHECK("pricing no equals", spec->signals[1].equals == NULL);
	TEST_CHECK("page views unfiltered", spec->signals[0].data_field == NULL);
	TEST_STREQ("intent weighted", spec->signals[9].weight_field, "strength");
	TEST_CHECK("demo half-life is long", spec->signals[8].half_life_s >= 30 * 86400.0);

	f = field(spec, "company_size");
	TEST_CHECK("company_size numeric log1p fit",
	           f != NULL && f->kind == FIELD_NUMERIC && f->transform == TRANSFORM_LOG1P &&
	               f->group == GROUP_FIT && f->source == SOURCE_ATTRIBUTE &&
	               f->source_index == 0 && f->prior > 0);
	f = field(spec, "seniority");
	TEST_CHECK("seniority categorical", f != NULL && f->kind == FIELD_CATEGORICAL &&
	                                        f->nlevels == 5 && f->source_index == 1 &&
	                                        f->transform == TRANSFORM_NONE);
	for (size_t i = 0; f != NULL && i < 5 && i < f->nlevels; i++)
		TEST_STREQ("seniority level", f->levels[i], seniority[i]);
	TEST_CHECK("c_level above individual",
	           f != NULL && f->nlevels == 5 && f->level_priors[0] > f->level_priors[4]);
	f = field(spec, "industry");
	TEST_CHECK("industry categorical", f != NULL && f->nlevels == 7);
	for (size_t i = 0; f != NULL && i < 7 && i < f->nlevels; i++)
		TEST_STREQ("industry level", f->levels[i], industry[i]);
	f = field(spec, "days_since_last_activity");
	TEST_CHECK("recency derived, negative prior",
	           f != NULL && f->source == SOURCE_DERIVED &&
	               f->source_index == DERIVED_DAYS_SINCE_ACTIVITY && f->prior < 0 &&
	               f->group == GROUP_ENGAGEMENT);
	f = field(spec, "active_days_30");
	TEST_CHECK("active days derived", f != NULL && f->source_index == DERIVED_ACTIVE_DAYS_30);
	f = field(spec, "days_known");
	TEST_CHECK("days known derived", f != NULL && f->source_index == DERIVED_DAYS_KNOWN);

	TEST_CHECK("label types", spec->nlabel_types == 2);
	if (spec->nlabel_types == 2) {
		TEST_STREQ("label 0", spec->label_types[0], "opportunity.created");
		TEST_STREQ("label 1", spec->label_types[1], "deal.won");
	}
	TEST_NEAR("horizon", spec->label_horizon_days, 30, 0);
	TEST_CHECK("intercept is low", spec->starter_intercept < -1.0);
	TEST_CHECK("hash is 64 hex",
	           strlen(spec->hash) == 64 && strspn(spec->hash, "0123456789abcdef") == 64);

	bytes = slurp("model/features.json", &len);
	again = bytes != NULL ? featspec_parse(bytes, len, &err) : NULL;
	TEST_CHECK("parse of the same bytes", again != NULL);
	if (again != NULL)
		TEST_STREQ("load and parse hash alike", again->hash, spec->hash);
	featspec_free(again);
	free(bytes);
	featspec_free(spec);
}

static void
test_hash(void)
{
	static const char text[] =
	    "{\"version\": 1, \"label\": {\"types\": [\"deal.won\"], "
	    "\"horizon_days\": 30}, \"derived\": [{\"name\": \"days_known\"}]}";
	struct ls_err err = {""};
	struct featspec *spec = featspec_parse(text, strlen(text), &err);

	TEST_CHECK("tiny spec parses", spec != NULL);
	if (spec != NULL)
		TEST_STREQ("sha256 of the bytes", spec->hash,
		           "bc395b8066061fa1ea0bd1914aef7aacd7be1a3af9bc53ed79685ce33a44a971");
	featspec_free(spec);
}

static void
test_good_cases(void)
{
	struct ls_err err = {""};
	struct featspec *spec = featspec_load(CASES_DIR "/good_minimal.json", &err);

	TEST_CHECK("minimal loads", spec != NULL);
	if (spec != NULL) {
		TEST_CHECK("minimal: one derived field, no signals",
		           spec->nfields == 1 && spec->nsignals == 0 &&
		               spec->fields[0].source == SOURCE_DERIVED &&
		               spec->fields[0].source_index == DERIVED_DAYS_KNOWN);
		TEST_NEAR("no starter: intercept 0", spec->starter_intercept, 0, 0);
		TEST_NEAR("no prior: 0", spec->fields[0].prior, 0, 0);
		TEST_CHECK("derived default transform none",
		           spec->fields[0].transform == TRANSFORM_NONE);
		TEST_NEAR("horizon 14", spec->label_horizon_days, 14, 0);
	}
	featspec_free(spec);

	spec = featspec_load(CASES_DIR "/good_filters.json", &err);
	TEST_CHECK("filters loads", spec != NULL);
	if (spec == NULL) {
		printf("  reason: %s\n", err.msg);
		return;
	}
	TEST_CHECK("filters: 6 fields", spec->nfields == 6 && spec->nsignals == 3);
	TEST_STREQ("equals field", spec->signals[1].data_field, "asset");
	TEST_STREQ("equals value", spec->signals[1].equals, "ebook-2026");
	TEST_CHECK("equals has no prefix", spec->signals[1].prefix == NULL);
	TEST_CHECK("explicit transform none", spec->fields[1].transform == TRANSFORM_NONE);
	TEST_CHECK("signal default transform log1p", spec->fields[0].transform == TRANSFORM_LOG1P);
	TEST_NEAR("signal prior default 0", spec->fields[0].prior, 0, 0);
	TEST_NEAR("intercept", spec->starter_intercept, -1.5, 0);
	TEST_NEAR("decay for 7 d", spec->signals[0].decay_per_us, 0.6931471805599453 / 6.048e11,
	          1e-26);
	TEST_CHECK("attribute numbering",
	           spec->fields[3].source_index == 0 && spec->fields[4].source_index == 1);
	TEST_CHECK("level priors", spec->fields[4].nlevels == 2 &&
	                               spec->fields[4].level_priors[0] == 1.0 &&
	                               spec->fields[4].level_priors[1] == 0.5);
	TEST_CHECK("derived transform log1p", spec->fields[5].transform == TRANSFORM_LOG1P);
	TEST_CHECK("index of a missing name", featspec_field_index(spec, "nope") == -1);
	TEST_CHECK("index of tier", featspec_field_index(spec, "tier") == 4);
	featspec_free(spec);
}

static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static int
run_bad_case(const char *name)
{
	char path[512], reason_path[512];
	struct ls_err err = {""};
	struct featspec *spec;
	char *want;
	size_t n = strlen(name);

	snprintf(path, sizeof(path), "%s/%s", CASES_DIR, name);
	snprintf(reason_path, sizeof(reason_path), "%s/%.*s.reason", CASES_DIR, (int)(n - 5), name);
	want = slurp(reason_path, NULL);
	TEST_CHECK("each bad case has a .reason", want != NULL);
	if (want == NULL) {
		printf("  missing %s\n", reason_path);
		return 0;
	}
	trim(want);
	spec = featspec_load(path, &err);
	TEST_CHECK("bad case rejected", spec == NULL);
	if (spec == NULL) {
		TEST_CHECK("reason names the file", strncmp(err.msg, path, strlen(path)) == 0);
		TEST_CHECK("reason as expected", strstr(err.msg, want) != NULL);
		if (strstr(err.msg, want) == NULL)
			printf("  %s: got \"%s\", want \"%s\"\n", name, err.msg, want);
	}
	featspec_free(spec);
	free(want);
	return 1;
}

static void
test_bad_cases(void)
{
	struct dirent **names = NULL;
	int n = scandir(CASES_DIR, &names, NULL, alphasort), nbad = 0;

	TEST_CHECK("cases directory readable", n > 0);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (len > 5 && strcmp(name + len - 5, ".json") == 0 &&
		    strncmp(name, "good_", 5) != 0)
			nbad += run_bad_case(name);
		free(names[i]);
	}
	free(names);
	TEST_CHECK("at least 50 bad cases ran", nbad >= 50);
}

static void
test_load_errors(void)
{
	struct ls_err err = {""};
	struct featspec *spec = featspec_load("tests/cases/featspec/no-such-file.json", &err);
	char *big;

	TEST_CHECK("missing file fails", spec == NULL);
	TEST_CHECK("reason names the path",
	           strstr(err.msg, "tests/cases/featspec/no-such-file.json: cannot open") != NULL);
	TEST_CHECK("reason gives errno text", strstr(err.msg, "No such file") != NULL);
	spec = featspec_load("tests/cases/featspec", &err);
	TEST_CHECK("a directory fails", spec == NULL);
	TEST_CHECK("directory reason names the path",
	           strstr(err.msg, "tests/cases/featspec") != NULL);

	big = calloc(1, (1 << 20) + 2);
	TEST_CHECK("alloc", big != NULL);
	if (big != NULL) {
		memset(big, ' ', (1 << 20) + 1);
		spec = featspec_parse(big, (1 << 20) + 1, &err);
		TEST_CHECK("oversized spec rejected",
		           spec == NULL && strstr(err.msg, "larger than") != NULL);
		free(big);
	}
	spec = featspec_parse("{", 1, NULL);
	TEST_CHECK("NULL err is allowed", spec == NULL);
	featspec_free(NULL);
}

int
main(void)
{
	test_shipped_spec();
	test_hash();
	test_good_cases();
	test_bad_cases();
	test_load_errors();
	return TEST_REPORT();
}
