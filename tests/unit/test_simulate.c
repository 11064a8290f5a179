/* test_simulate.c: simulate: options, determinism, event shape, truth that carries signal. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../cli/simulate.h"
#include "../testhelp.h"

#define END_2026_11_21 1795219200LL /* 2026-11-21T00:00:00Z, worked out independently */
#define DAY_S 86400LL
#define MAX_CONTACTS 2000

struct output {
	char *ev, *tr;
	size_t evlen, trlen;
};

static int
run_sim(const struct sim_opts *o, struct output *out, int with_truth, struct ls_err *err)
{
	FILE *ev = open_memstream(&out->ev, &out->evlen);
	FILE *tr = with_truth ? open_memstream(&out->tr, &out->trlen) : NULL;
	int rc;

	if (ev == NULL || (with_truth && tr == NULL)) {
		perror("open_memstream");
		exit(1);
	}
	rc = simulate_write(o, ev, tr, err);
	fclose(ev);
	if (tr != NULL)
		fclose(tr);
	return rc;
}

static void
output_free(struct output *out)
{
	free(out->ev);
	free(out->tr);
	memset(out, 0, sizeof(*out));
}

static int
parse_args(int argc, const char **args, struct sim_opts *o, struct ls_err *err)
{
	char *argv[16];

	for (int i = 0; i < argc; i++)
		argv[i] = (char *)args[i];
	return sim_opts_parse(argc, argv, o, err);
}

#define PARSE(o, err, ...)                                                                         \
	parse_args((int)(sizeof((const char *[]){"simulate", __VA_ARGS__}) / sizeof(char *)),      \
	           (const char *[]){"simulate", __VA_ARGS__}, (o), (err))

static void
expect_parse_error(const char *descr, int rc, const struct ls_err *err, const char *want)
{
	TEST_CHECK(descr, rc == -1);
	TEST_CHECK(descr, strstr(err->msg, want) != NULL);
	if (strstr(err->msg, want) == NULL)
		printf("  reason was: %s\n", err->msg);
}

static void
test_opts(void)
{
	struct sim_opts o;
	struct ls_err err = {{0}};
	char *argv0[] = {"simulate"};

	TEST_CHECK("no options", sim_opts_parse(1, argv0, &o, &err) == 0);
	TEST_CHECK("default contacts", o.contacts == 1000);
	TEST_CHECK("default days", o.days == 30);
	TEST_CHECK("default seed", o.seed == 1);
	TEST_CHECK("default end is now", o.end_us == 0);
	TEST_CHECK("no truth", o.truth_path == NULL && !o.outcomes && !o.help);

	TEST_CHECK("all options",
	           PARSE(&o, &err, "--contacts", "300", "--days=14", "--seed",
	                 "18446744073709551615", "--end", "2026-11-21T12:30:00.250+02:30",
	                 "--truth", "t.csv", "--outcomes") == 0);
	TEST_CHECK("contacts", o.contacts == 300);
	TEST_CHECK("days", o.days == 14);
	TEST_CHECK("largest seed", o.seed == UINT64_MAX);
	TEST_CHECK("end with offset and fraction", o.end_us == 1795255200LL * 1000000 + 250000);
	TEST_STREQ("truth path", o.truth_path, "t.csv");
	TEST_CHECK("outcomes", o.outcomes == 1);
	TEST_CHECK("leap day", PARSE(&o, &err, "--end", "2024-02-29T00:00:00Z") == 0 &&
	                           o.end_us == 1709164800LL * 1000000);
	TEST_CHECK("lower-case t and z, negative offset",
	           PARSE(&o, &err, "--end=2026-11-20t19:00:00.5-05:00") == 0 &&
	               o.end_us == (END_2026_11_21 * 1000000 + 500000));
	TEST_CHECK("help", PARSE(&o, &err, "--contacts", "5", "--help", "--bogus") == 0 && o.help);
	TEST_CHECK("-h", PARSE(&o, &err, "-h") == 0 && o.help);

	expect_parse_error("unknown flag", PARSE(&o, &err, "--contact", "5"), &err,
	                   "unknown option \"--contact\"");
	expect_parse_error("positional", PARSE(&o, &err, "extra"), &err, "unknown option");
	expect_parse_error("flag without value takes none", PARSE(&o, &err, "--outcomes=1"), &err,
	                   "unknown option");
	expect_parse_error("negative contacts", PARSE(&o, &err, "--contacts", "-5"), &err,
	                   "--contacts must be from 1 to 10000000, not -5");
	expect_parse_error("zero contacts", PARSE(&o, &err, "--contacts=0"), &err,
	                   "--contacts must be");
	expect_parse_error("too many contacts", PARSE(&o, &err, "--contacts", "10000001"), &err,
	                   "--contacts must be");
	expect_parse_error("huge contacts", PARSE(&o, &err, "--contacts", "99999999999999999999"),
	                   &err, "--contacts must be");
	expect_parse_error("trailing junk", PARSE(&o, &err, "--contacts", "12abc"), &err,
	                   "--contacts: not a number");
	expect_parse_error("leading space", PARSE(&o, &err, "--contacts", " 12"), &err,
	                   "--contacts: not a number");
	expect_parse_error("zero days", PARSE(&o, &err, "--days", "0"), &err,
	                   "--days must be from 1 to 3650, not 0");
	expect_parse_error("too many days", PARSE(&o, &err, "--days", "3651"), &err,
	                   "--days must be");
	expect_parse_error("empty days", PARSE(&o, &err, "--days="), &err, "--days: not a number");
	expect_parse_error("non-numeric seed", PARSE(&o, &err, "--seed", "abc"), &err,
	                   "--seed: not a whole number");
	expect_parse_error("negative seed", PARSE(&o, &err, "--seed", "-1"), &err,
	                   "--seed: not a whole number");
	expect_parse_error("seed over 2^64", PARSE(&o, &err, "--seed", "18446744073709551616"),
	                   &err, "--seed: too large");
	expect_parse_error("missing value", PARSE(&o, &err, "--contacts", "5", "--days"), &err,
	                   "--days needs a value");
	expect_parse_error("empty truth", PARSE(&o, &err, "--truth="), &err,
	                   "--truth: empty file name");
	expect_parse_error("month 13", PARSE(&o, &err, "--end", "2026-13-01T00:00:00Z"), &err,
	                   "--end: not an RFC 3339 date-time");
	expect_parse_error("no leap day", PARSE(&o, &err, "--end", "2025-02-29T00:00:00Z"), &err,
	                   "--end: not an RFC 3339");
	expect_parse_error("no zone", PARSE(&o, &err, "--end", "2026-11-21T10:00:00"), &err,
	                   "--end: not an RFC 3339");
	expect_parse_error("empty fraction", PARSE(&o, &err, "--end", "2026-11-21T10:00:00.Z"),
	                   &err, "--end: not an RFC 3339");
	expect_parse_error("date only", PARSE(&o, &err, "--end", "2026-11-21"), &err,
	                   "--end: not an RFC 3339");
	expect_parse_error("trailing text", PARSE(&o, &err, "--end", "2026-11-21T10:00:00Zx"), &err,
	                   "--end: not an RFC 3339");
	expect_parse_error("bad offset", PARSE(&o, &err, "--end", "2026-11-21T10:00:00+24:00"),
	                   &err, "--end: not an RFC 3339");
	expect_parse_error("window before 1970",
	                   PARSE(&o, &err, "--end", "1970-01-05T00:00:00Z", "--days", "7"), &err,
	                   "--end is too early");
	expect_parse_error("end at the epoch is not 'now'",
	                   PARSE(&o, &err, "--end", "1970-01-01T00:00:00Z"), &err,
	                   "--end is too early");
}

static void
test_write_errors(void)
{
	struct sim_opts o;
	struct ls_err err = {{0}};
	FILE *ro = fopen("/dev/null", "r"), *sink = fopen("/dev/null", "w");

	if (ro == NULL || sink == NULL) {
		perror("/dev/null");
		exit(1);
	}
	sim_opts_init(&o);
	o.contacts = 20;
	o.days = 2;
	o.end_us = END_2026_11_21 * 1000000;
	TEST_CHECK("events to a read-only stream", simulate_write(&o, ro, NULL, &err) == -1);
	TEST_CHECK("says so", strncmp(err.msg, "writing events", 14) == 0);
	TEST_CHECK("truth to a read-only stream", simulate_write(&o, sink, ro, &err) == -1);
	TEST_CHECK("says so", strncmp(err.msg, "writing truth", 13) == 0);
	o.contacts = 0;
	TEST_CHECK("zero contacts refused", simulate_write(&o, sink, NULL, &err) == -1);
	TEST_CHECK("says so", strstr(err.msg, "contacts must be") != NULL);
	o.contacts = 20;
	o.days = 0;
	TEST_CHECK("zero days refused", simulate_write(&o, sink, NULL, &err) == -1);
	TEST_CHECK("says so", strstr(err.msg, "days must be") != NULL);
	o.days = 30;
	o.end_us = 29 * DAY_S * 1000000;
	TEST_CHECK("window before 1970 refused", simulate_write(&o, sink, NULL, &err) == -1);
	TEST_CHECK("says so", strstr(err.msg, "before 1970") != NULL);
	fclose(ro);
	fclose(sink);
}

/* What the checks below learn about each contact from the events. */
struct seen {
	int events, behaviour, opportunities, closed, first_is_profile;
	char account[80];
	char opp_time[32];
};

static const char *const known_types[] = {
    "contact.updated", "page.viewed",        "email.opened",       "email.clicked",
    "email.replied",   "form.submitted",     "content.downloaded", "webinar.attended",
    "demo.requested",  "intent.surged",      "job.changed",        "company.funded",
    "email.bounced",   "email.unsubscribed", "sdr.outcome",        "opportunity.created",
    "deal.won",        "deal.lost"};
enum { FIRST_NON_BEHAVIOUR = 10 }; /* known_types[1..9] are behaviour */

static int
type_index(const char *type)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(type, known_types[i]) == 0)
			return (int)i;
	return -1;
}

static int
in_set(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s != NULL && strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

/* Unix seconds of a "YYYY-MM-DDTHH:MM:SS.mmmZ" time, or -1. */
static long long
time_seconds(const char *t, int *ms)
{
	struct tm tm = {0};
	int n = 0;

	if (strlen(t) != 24 ||
	    sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, ms, &n) != 7 ||
	    n != 23 || t[23] != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

static const char *
jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void
check_profile(const json_t *data, long *bad)
{
	static const char *const sen[] = {"c_level", "vp", "director", "manager", "individual"};
	static const char *const ind[] = {"software", "finance",   "healthcare", "manufacturing",
	                                  "retail",   "education", "other"};
	const json_t *size = json_object_get(data, "company_size");
	const char *country = jstr(data, "country");

	if (!json_is_integer(size) || json_integer_value(size) < 1 ||
	    !in_set(jstr(data, "seniority"), sen, 5) || !in_set(jstr(data, "industry"), ind, 7) ||
	    country == NULL || strlen(country) != 2 || jstr(data, "title") == NULL ||
	    jstr(data, "owner") == NULL || !json_is_boolean(json_object_get(data, "consent")))
		(*bad)++;
}

static void
check_data(const char *type, const json_t *data, long *bad)
{
	static const char *const outcomes[] = {"connected", "meeting_booked", "disqualified",
	                                       "no_answer", "nurture"};

	if (strcmp(type, "contact.updated") == 0) {
		check_profile(data, bad);
	} else if (strcmp(type, "page.viewed") == 0) {
		if (jstr(data, "path") == NULL || jstr(data, "path")[0] != '/')
			(*bad)++;
	} else if (strcmp(type, "intent.surged") == 0) {
		double st = json_real_value(json_object_get(data, "strength"));

		if (jstr(data, "topic") == NULL ||
		    !json_is_real(json_object_get(data, "strength")) || st < 0.0 || st > 1.0)
			(*bad)++;
	} else if (strcmp(type, "sdr.outcome") == 0) {
		json_int_t min = json_integer_value(json_object_get(data, "minutes"));

		if (!in_set(jstr(data, "outcome"), outcomes, 5) || min < 5 || min > 30 ||
		    jstr(data, "sdr") == NULL)
			(*bad)++;
	}
}

struct tally {
	long lines, bad_json, bad_attr, bad_time, unsorted, bad_id, bad_data, bad_order, sdr;
	long long end_s;
	int days;
	long ncontacts;
	struct seen *seen;
};

static void
check_event(struct tally *ta, const json_t *e, long lineno, long long *prev_ms)
{
	const char *type = jstr(e, "type"), *subject = jstr(e, "subject"), *t = jstr(e, "time");
	const char *id = jstr(e, "id"), *source = jstr(e, "source"), *account = jstr(e, "account");
	const json_t *data = json_object_get(e, "data");
	char want_id[48], *end = NULL;
	long long s, at_ms;
	struct seen *sn;
	long cn = 0;
	int ms = 0, ti;

	snprintf(want_id, sizeof(want_id), "sim-7-%ld", lineno);
	if (subject != NULL && subject[0] == 'c' && strlen(subject) == 7)
		cn = strtol(subject + 1, &end, 10);
	ti = type != NULL ? type_index(type) : -1;
	if (!json_is_object(e) || jstr(e, "specversion") == NULL ||
	    strcmp(jstr(e, "specversion"), "1.0") != 0 || ti < 0 || source == NULL ||
	    strncmp(source, "sim://leadscore/", 16) != 0 || end == NULL || *end != '\0' || cn < 1 ||
	    cn > ta->ncontacts || account == NULL || !json_is_object(data)) {
		ta->bad_attr++;
		return;
	}
	if (id == NULL || strcmp(id, want_id) != 0)
		ta->bad_id++;
	s = t != NULL ? time_seconds(t, &ms) : -1;
	at_ms = s * 1000 + ms;
	if (s < ta->end_s - ta->days * DAY_S || s >= ta->end_s)
		ta->bad_time++;
	if (at_ms < *prev_ms)
		ta->unsorted++;
	*prev_ms = at_ms;
	check_data(type, data, &ta->bad_data);
	ta->sdr += ti == type_index("sdr.outcome");
	sn = &ta->seen[cn - 1];
	if (sn->events++ == 0) {
		sn->first_is_profile = ti == 0;
		snprintf(sn->account, sizeof(sn->account), "%s", account);
	} else if (strcmp(sn->account, account) != 0) {
		ta->bad_attr++;
	}
	sn->behaviour += ti >= 1 && ti < FIRST_NON_BEHAVIOUR;
	if (strcmp(type, "opportunity.created") == 0) {
		sn->opportunities++;
		snprintf(sn->opp_time, sizeof(sn->opp_time), "%s", t);
	}
	if (strcmp(type, "deal.won") == 0 || strcmp(type, "deal.lost") == 0) {
		sn->closed++;
		if (sn->opportunities != 1 || strcmp(sn->opp_time, t) >= 0)
			ta->bad_order++;
	}
}

static void
check_events(struct tally *ta, const char *buf, size_t len)
{
	long long prev_ms = 0;
	const char *p = buf, *stop = buf + len;

	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(stop - p);
		json_error_t jerr;
		json_t *e = json_loadb(p, n, 0, &jerr);

		ta->lines++;
		if (e == NULL || nl == NULL)
			ta->bad_json++;
		else
			check_event(ta, e, ta->lines, &prev_ms);
		json_decref(e);
		p += n + 1;
	}
}

/* Checks the truth CSV against the events; returns the mean p_true of converters in
 * *p_conv and of the others in *p_non, the conversion rate in *rate. */
static void
check_truth(struct tally *ta, char *csv, double *p_conv, double *p_non, double *rate,
            double *mean_p, double *beh_conv, double *beh_non)
{
	char *save = NULL, *line = strtok_r(csv, "\n", &save);
	long rows = 0, bad = 0, conv = 0, mismatch = 0;
	double sum_conv = 0.0, sum_non = 0.0, bconv = 0.0, bnon = 0.0;

	TEST_STREQ("truth header", line, "contact_id,account,p_true,converted");
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char id[16], account[80], want[24];
		double p = -1.0;
		int c = -1, n = 0;
		struct seen *sn;

		rows++;
		snprintf(want, sizeof(want), "c%06ld", rows);
		if (sscanf(line, "%15[^,],%79[^,],%lf,%d%n", id, account, &p, &c, &n) != 4 ||
		    line[n] != '\0' || strcmp(id, want) != 0 || p < 0.0 || p > 1.0 ||
		    (c != 0 && c != 1) || rows > ta->ncontacts) {
			bad++;
			continue;
		}
		sn = &ta->seen[rows - 1];
		if (strcmp(sn->account, account) != 0 || !sn->first_is_profile)
			bad++;
		mismatch += sn->opportunities != c;
		conv += c;
		*(c ? &sum_conv : &sum_non) += p;
		*(c ? &bconv : &bnon) += sn->behaviour;
	}
	TEST_CHECK("one truth row per contact", rows == ta->ncontacts);
	TEST_CHECK("truth rows well formed and matching the events", bad == 0);
	TEST_CHECK("converted == emitted opportunity.created", mismatch == 0);
	TEST_CHECK("some converters and some not", conv > 0 && conv < rows);
	*rate = (double)conv / (double)rows;
	*mean_p = (sum_conv + sum_non) / (double)rows;
	*p_conv = conv ? sum_conv / (double)conv : 0.0;
	*p_non = sum_non / (double)(rows - conv);
	*beh_conv = conv ? bconv / (double)conv : 0.0;
	*beh_non = bnon / (double)(rows - conv);
}

static void
test_shape_and_truth(long contacts, int days, int outcomes)
{
	struct sim_opts o;
	struct ls_err err = {{0}};
	struct output out = {0};
	struct tally ta = {0};
	double p_conv, p_non, rate, mean_p, beh_conv, beh_non;
	long long clean = 0;

	sim_opts_init(&o);
	o.contacts = contacts;
	o.days = days;
	o.seed = 7;
	o.end_us = END_2026_11_21 * 1000000;
	o.outcomes = outcomes;
	TEST_CHECK("simulate", run_sim(&o, &out, 1, &err) == 0);
	ta.end_s = END_2026_11_21;
	ta.days = days;
	ta.ncontacts = contacts;
	ta.seen = calloc((size_t)contacts, sizeof(*ta.seen));
	if (ta.seen == NULL)
		exit(1);
	check_events(&ta, out.ev, out.evlen);
	TEST_CHECK("output ends with a newline", out.evlen > 0 && out.ev[out.evlen - 1] == '\n');
	TEST_CHECK("a plausible volume of events",
	           ta.lines > contacts && ta.lines < contacts * days * 3);
	TEST_CHECK("every line is JSON", ta.bad_json == 0);
	TEST_CHECK("required attributes", ta.bad_attr == 0);
	TEST_CHECK("ids unique: sim-<seed>-<n>", ta.bad_id == 0);
	TEST_CHECK("times valid and inside the window", ta.bad_time == 0);
	TEST_CHECK("times sorted", ta.unsorted == 0);
	TEST_CHECK("data fields", ta.bad_data == 0);
	TEST_CHECK("deals close after their opportunity", ta.bad_order == 0);
	TEST_CHECK("sdr.outcome only with --outcomes", outcomes ? ta.sdr > 0 : ta.sdr == 0);
	for (long i = 0; i < contacts; i++)
		clean += ta.seen[i].events > 0 && ta.seen[i].first_is_profile &&
		         ta.seen[i].opportunities <= 1;
	TEST_CHECK("every contact appears, contact.updated first, one opportunity at most",
	           clean == contacts);

	check_truth(&ta, out.tr, &p_conv, &p_non, &rate, &mean_p, &beh_conv, &beh_non);
	TEST_CHECK("conversion rate a few percent to 15 %", rate >= 0.03 && rate <= 0.15);
	/* Outcomes are drawn from p_true: its mean matches the rate within ~4 standard errors. */
	TEST_NEAR("mean p_true matches the conversion rate", mean_p, rate,
	          4.0 * sqrt(mean_p * (1.0 - mean_p) / (double)contacts));
	TEST_CHECK("hidden p_true higher for converters", p_conv > 2.0 * p_non);
	TEST_CHECK("converters engage more", beh_conv > 2.0 * beh_non);
	if (!(p_conv > 2.0 * p_non) || !(beh_conv > 2.0 * beh_non))
		printf("  p_true %.3f vs %.3f, behaviour %.1f vs %.1f\n", p_conv, p_non, beh_conv,
		       beh_non);
	free(ta.seen);
	output_free(&out);
}

static void
test_determinism(void)
{
	struct sim_opts o;
	struct ls_err err = {{0}};
	struct output a = {0}, b = {0}, c = {0};

	sim_opts_init(&o);
	o.contacts = 300;
	o.days = 14;
	o.seed = 7;
	o.end_us = END_2026_11_21 * 1000000 + 456; /* below a millisecond: ignored */
	o.outcomes = 1;
	TEST_CHECK("run 1", run_sim(&o, &a, 1, &err) == 0);
	o.end_us = END_2026_11_21 * 1000000;
	TEST_CHECK("run 2", run_sim(&o, &b, 1, &err) == 0);
	o.seed = 8;
	TEST_CHECK("run 3", run_sim(&o, &c, 1, &err) == 0);
	TEST_CHECK("same options, same events",
	           a.evlen == b.evlen && memcmp(a.ev, b.ev, a.evlen) == 0);
	TEST_CHECK("same options, same truth",
	           a.trlen == b.trlen && memcmp(a.tr, b.tr, a.trlen) == 0);
	TEST_CHECK("another seed, other events",
	           a.evlen != c.evlen || memcmp(a.ev, c.ev, a.evlen) != 0);
	TEST_CHECK("another seed, other truth",
	           a.trlen != c.trlen || memcmp(a.tr, c.tr, a.trlen) != 0);
	output_free(&a);
	output_free(&b);
	output_free(&c);
}

/* Unix seconds of the "time" of the last line of buf, or -1. */
static long long
last_time(char *buf, size_t len)
{
	char t[25], *line, *at;
	int ms;

	if (len < 2)
		return -1;
	buf[len - 1] = '\0';
	line = strrchr(buf, '\n');
	at = strstr(line != NULL ? line : buf, "\"time\":\"");
	if (at == NULL || strlen(at) < 8 + 24)
		return -1;
	memcpy(t, at + 8, 24);
	t[24] = '\0';
	return time_seconds(t, &ms);
}

/* Without --end the window ends at the current minute. */
static void
test_default_end(void)
{
	struct sim_opts o;
	struct ls_err err = {{0}};
	struct output out = {0};
	long long before = (long long)time(NULL), after, last_s;

	sim_opts_init(&o);
	o.contacts = 30;
	o.days = 2;
	TEST_CHECK("simulate to now", run_sim(&o, &out, 0, &err) == 0);
	after = (long long)time(NULL);
	last_s = last_time(out.ev, out.evlen);
	TEST_CHECK("last event before the current minute", last_s >= 0 && last_s < after / 60 * 60);
	TEST_CHECK("last event within the window", last_s >= before / 60 * 60 - 2 * DAY_S);
	output_free(&out);
}

int
main(void)
{
	test_opts();
	test_write_errors();
	test_determinism();
	test_shape_and_truth(300, 14, 1);
	test_shape_and_truth(MAX_CONTACTS, 14, 0);
	test_default_end();
	return TEST_REPORT();
}
