/* test_features.c: the feature state: decay against closed form, filters, activity, attributes,
 * JSON. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../model/features.h"
#include "../testhelp.h"

#define SEC INT64_C(1000000)
#define DAY (86400 * SEC)
/* Noon UTC of unix day 20600, so that +/- hours stay on the same day. */
#define DAY0 INT64_C(20600)
#define T0 (DAY0 * DAY + 12 * 3600 * SEC)

static struct featspec *shipped;

static struct featspec *
spec_from(const char *text)
{
	struct ls_err err = {""};
	struct featspec *spec = featspec_parse(text, strlen(text), &err);

	if (spec == NULL)
		printf("spec: %s\n", err.msg);
	return spec;
}

/* Builds an event as the parser would hand it over (owned strings, an object
 * as data), applies it, and frees it. data is consumed; NULL means {}. */
static int
apply(struct fstate *st, const struct featspec *spec, const char *type, int64_t t, json_t *data)
{
	struct event ev = {0};
	int r;

	ev.id = strdup("e-1");
	ev.source = strdup("test");
	ev.type = strdup(type);
	ev.subject = strdup("contact-1");
	ev.time_us = t;
	ev.data = data != NULL ? data : json_object();
	if (ev.id == NULL || ev.source == NULL || ev.type == NULL || ev.subject == NULL ||
	    ev.data == NULL) {
		printf("out of memory building an event\n");
		exit(2);
	}
	r = fstate_apply(st, spec, &ev);
	free(ev.id);
	free(ev.source);
	free(ev.type);
	free(ev.subject);
	json_decref(ev.data);
	return r;
}

static json_t *
path_data(const char *path)
{
	return json_pack("{s:s}", "path", path);
}

static long
idx(const struct featspec *spec, const char *name)
{
	long i = featspec_field_index(spec, name);

	if (i < 0) {
		printf("no field %s\n", name);
		exit(2);
	}
	return i;
}

static double
sig(const struct fstate *st, const struct featspec *spec, const char *name, int64_t at)
{
	return fstate_signal_at(st, spec, spec->fields[idx(spec, name)].source_index, at);
}

static void
test_decay_one_event(void)
{
	struct fstate st;

	TEST_CHECK("init", fstate_init(&st, shipped) == 0);
	TEST_CHECK("fresh state is zero", sig(&st, shipped, "pricing_views", T0) == 0.0);
	TEST_CHECK("pricing view changes features",
	           apply(&st, shipped, "page.viewed", T0, path_data("/pricing")) == 1);
	TEST_NEAR("value at the event", sig(&st, shipped, "pricing_views", T0), 1.0, 1e-15);
	TEST_NEAR("one half-life later", sig(&st, shipped, "pricing_views", T0 + 7 * DAY), 0.5,
	          1e-12);
	TEST_NEAR("two half-lives later", sig(&st, shipped, "pricing_views", T0 + 14 * DAY), 0.25,
	          1e-12);
	TEST_NEAR("page views, one of their half-lives",
	          sig(&st, shipped, "page_views", T0 + 14 * DAY), 0.5, 1e-12);
	TEST_NEAR("never grows backwards", sig(&st, shipped, "pricing_views", T0 - DAY), 1.0,
	          1e-15);
	/* A second view one half-life later: 0.5 + 1. */
	apply(&st, shipped, "page.viewed", T0 + 7 * DAY, path_data("/pricing/enterprise"));
	TEST_NEAR("decayed then added", sig(&st, shipped, "pricing_views", T0 + 7 * DAY), 1.5,
	          1e-12);
	TEST_CHECK("reference time moved", st.signals_at_us == T0 + 7 * DAY);
	TEST_NEAR("other signal decayed with the move", st.signals[0], pow(2.0, -7.0 / 14.0) + 1.0,
	          1e-12);
	/* An event one half-life before the reference time counts half. */
	apply(&st, shipped, "page.viewed", T0, path_data("/pricing"));
	TEST_NEAR("late event added decayed", sig(&st, shipped, "pricing_views", T0 + 7 * DAY), 2.0,
	          1e-12);
	TEST_CHECK("late event keeps the reference time", st.signals_at_us == T0 + 7 * DAY);
	TEST_CHECK("out-of-range index reads 0", fstate_signal_at(&st, shipped, 99, T0) == 0.0);
	fstate_clear(&st);
	fstate_clear(&st);
	TEST_CHECK("clear twice is harmless", st.signals == NULL && st.attributes == NULL);
}

struct timed {
	int64_t t;
	int pricing; /* 1: a /pricing view, 0: another page */
	double strength;
};

static void
apply_in_order(struct fstate *st, const struct timed *ev, const size_t *order, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct timed *e = &ev[order[k]];
		apply(st, shipped, "page.viewed", e->t,
		      path_data(e->pricing ? "/pricing" : "/blog"));
		apply(st, shipped, "intent.surged", e->t,
		      json_pack("{s:f}", "strength", e->strength));
	}
}

/* The state must not depend on arrival order: compare several orders with
 * the closed-form sum of w * 2^(-(T - te) / half-life). */
static void
test_order_independence(void)
{
	enum { N = 24 };
	struct timed ev[N];
	size_t order[N];
	uint32_t seed = 12345;
	int64_t as_of = T0 + 70 * DAY;
	double want_pages = 0, want_pricing = 0, want_intent = 0;

	for (size_t i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		ev[i].t = T0 + (int64_t)(seed % (60u * 24u)) * 3600 * SEC;
		ev[i].pricing = (int)(i % 3 == 0);
		ev[i].strength = (double)(i % 5) / 4.0; /* 0, 0.25 .. 1 */
		want_pages += pow(2.0, -(double)(as_of - ev[i].t) / (14.0 * DAY));
		if (ev[i].pricing)
			want_pricing += pow(2.0, -(double)(as_of - ev[i].t) / (7.0 * DAY));
		want_intent += ev[i].strength * pow(2.0, -(double)(as_of - ev[i].t) / (14.0 * DAY));
	}
	for (int pass = 0; pass < 4; pass++) {
		struct fstate st;

		for (size_t i = 0; i < N; i++)
			order[i] = pass == 1 ? N - 1 - i : i;
		if (pass >= 2) { /* Fisher-Yates with a fixed seed per pass */
			for (size_t i = N - 1; i > 0; i--) {
				size_t j, tmp;
				seed = seed * 1103515245u + 12345u;
				j = (seed >> 8) % (i + 1);
				tmp = order[i];
				order[i] = order[j];
				order[j] = tmp;
			}
		}
		if (fstate_init(&st, shipped) != 0)
			return;
		apply_in_order(&st, ev, order, N);
		TEST_NEAR("page views: closed form", sig(&st, shipped, "page_views", as_of),
		          want_pages, 1e-12 * want_pages);
		TEST_NEAR("pricing views: closed form", sig(&st, shipped, "pricing_views", as_of),
		          want_pricing, 1e-12 * want_pricing);
		TEST_NEAR("intent: closed form", sig(&st, shipped, "intent", as_of), want_intent,
		          1e-12 * want_intent);
		fstate_clear(&st);
	}
}

static void
test_weight_field(void)
{
	struct fstate st;

	if (fstate_init(&st, shipped) != 0)
		return;
	apply(&st, shipped, "intent.surged", T0,
	      json_pack("{s:s,s:f}", "topic", "crm", "strength", 0.5));
	TEST_NEAR("strength 0.5 adds 0.5", sig(&st, shipped, "intent", T0), 0.5, 1e-15);
	apply(&st, shipped, "intent.surged", T0, json_pack("{s:f}", "strength", 1.7));
	TEST_NEAR("strength clamped to 1", sig(&st, shipped, "intent", T0), 1.5, 1e-15);
	apply(&st, shipped, "intent.surged", T0, json_pack("{s:i}", "strength", 1));
	TEST_NEAR("integer strength", sig(&st, shipped, "intent", T0), 2.5, 1e-15);
	TEST_CHECK("negative strength: no effect",
	           apply(&st, shipped, "intent.surged", T0, json_pack("{s:f}", "strength", -0.3)) ==
	               0);
	TEST_CHECK("missing strength: skipped", apply(&st, shipped, "intent.surged", T0,
	                                              json_pack("{s:s}", "topic", "crm")) == 0);
	TEST_CHECK("string strength: skipped", apply(&st, shipped, "intent.surged", T0,
	                                             json_pack("{s:s}", "strength", "high")) == 0);
	TEST_NEAR("still 2.5", sig(&st, shipped, "intent", T0), 2.5, 1e-15);
	TEST_CHECK("intent is not activity", st.last_activity_us == 0 && st.active_bits == 0);
	fstate_clear(&st);
}

static void
test_filters(void)
{
	static const char text[] =
	    "{\"version\": 1, \"label\": {\"types\": [\"deal.won\"], \"horizon_days\": 30},"
	    " \"signals\": ["
	    "  {\"name\": \"pricing\", \"type\": \"page.viewed\","
	    "   \"where\": {\"field\": \"path\", \"prefix\": \"/pricing\"}, \"half_life_days\": 7},"
	    "  {\"name\": \"ebook\", \"type\": \"content.downloaded\","
	    "   \"where\": {\"field\": \"asset\", \"equals\": \"ebook-2026\"}, \"half_life_days\": "
	    "7}]}";
	struct featspec *spec = spec_from(text);
	struct fstate st;

	if (spec == NULL || fstate_init(&st, spec) != 0) {
		TEST_CHECK("filter spec", 0);
		featspec_free(spec);
		return;
	}
	apply(&st, spec, "page.viewed", T0, path_data("/pricing"));
	apply(&st, spec, "page.viewed", T0, path_data("/pricing/enterprise"));
	apply(&st, spec, "page.viewed", T0, path_data("/pricingx"));
	apply(&st, spec, "page.viewed", T0, path_data("/docs/pricing"));
	apply(&st, spec, "page.viewed", T0, path_data("/pric"));
	apply(&st, spec, "page.viewed", T0, json_pack("{s:i}", "path", 7));
	apply(&st, spec, "page.viewed", T0, NULL);
	apply(&st, spec, "email.clicked", T0, path_data("/pricing"));
	TEST_NEAR("prefix matches 3 of 8", sig(&st, spec, "pricing", T0), 3.0, 0);
	apply(&st, spec, "content.downloaded", T0, json_pack("{s:s}", "asset", "ebook-2026"));
	apply(&st, spec, "content.downloaded", T0, json_pack("{s:s}", "asset", "ebook-2025"));
	apply(&st, spec, "content.downloaded", T0, json_pack("{s:s}", "asset", "ebook-2026x"));
	apply(&st, spec, "content.downloaded", T0, json_pack("{s:s}", "asset", "ebook"));
	apply(&st, spec, "content.downloaded", T0, json_pack("{s:b}", "asset", 1));
	TEST_NEAR("equals matches 1 of 5", sig(&st, spec, "ebook", T0), 1.0, 0);
	fstate_clear(&st);
	featspec_free(spec);
}

static void
test_activity(void)
{
	struct fstate st;
	struct raw_row row;
	struct raw_value vals[32];
	long since = idx(shipped, "days_since_last_activity");
	long active = idx(shipped, "active_days_30");
	long known = idx(shipped, "days_known");

	row.values = vals;
	row.n = shipped->nfields;
	if (fstate_init(&st, shipped) != 0)
		return;
	fstate_row(&st, shipped, T0, &row);
	TEST_NEAR("never active: 365", vals[since].num, 365, 0);
	TEST_NEAR("never seen: known 0", vals[known].num, 0, 0);
	TEST_NEAR("no active days", vals[active].num, 0, 0);

	TEST_CHECK("job change changes features (first seen)",
	           apply(&st, shipped, "job.changed", T0 - 10 * DAY, NULL) == 1);
	TEST_CHECK("job change is not activity", st.last_activity_us == 0);
	TEST_CHECK("first seen", st.first_seen_us == T0 - 10 * DAY);
	apply(&st, shipped, "email.opened", T0, NULL);
	apply(&st, shipped, "form.submitted", T0 - 2 * DAY, NULL);
	apply(&st, shipped, "email.clicked", T0 - 2 * DAY + SEC, NULL);
	TEST_CHECK("last activity is the max", st.last_activity_us == T0);
	TEST_CHECK("day0 and bits", st.active_day0 == DAY0 && st.active_bits == 0x5);
	apply(&st, shipped, "demo.requested", T0 + 3 * DAY, NULL);
	TEST_CHECK("forward shift", st.active_day0 == DAY0 + 3 && st.active_bits == 0x29);
	TEST_CHECK("bounce is no activity",
	           apply(&st, shipped, "email.bounced", T0 + 4 * DAY, NULL) == 0);
	apply(&st, shipped, "webinar.attended", T0 - 70 * DAY, NULL);
	TEST_CHECK("too old for the window: bits kept", st.active_bits == 0x29);
	TEST_CHECK("old event moves first seen", st.first_seen_us == T0 - 70 * DAY);
	TEST_CHECK("old event keeps last activity", st.last_activity_us == T0 + 3 * DAY);
	apply(&st, shipped, "content.downloaded", T0 - 60 * DAY, NULL);
	TEST_CHECK("63 days back fits", st.active_bits == (0x29 | UINT64_C(1) << 63));

	fstate_row(&st, shipped, T0 + 3 * DAY + 12 * 3600 * SEC, &row);
	TEST_NEAR("half a day since activity", vals[since].num, 0.5, 1e-12);
	TEST_NEAR("3 active days in 30", vals[active].num, 3, 0);
	TEST_NEAR("known 73.5 days", vals[known].num, 73.5, 1e-12);
	fstate_row(&st, shipped, T0 + 31 * DAY, &row);
	TEST_NEAR("window [D+2, D+31]: one day", vals[active].num, 1, 0);
	fstate_row(&st, shipped, T0 + 32 * DAY, &row);
	TEST_NEAR("window [D+3, D+32]: one day", vals[active].num, 1, 0);
	fstate_row(&st, shipped, T0 + 33 * DAY, &row);
	TEST_NEAR("window [D+4, D+33]: none", vals[active].num, 0, 0);
	fstate_row(&st, shipped, T0 - DAY, &row);
	TEST_NEAR("as of before day0: D-2 only", vals[active].num, 1, 0);
	TEST_NEAR("activity after as_of: 0 days since", vals[since].num, 0, 0);
	fstate_row(&st, shipped, T0 + 1000 * DAY, &row);
	TEST_NEAR("since capped", vals[since].num, 365, 0);
	TEST_NEAR("known capped", vals[known].num, 365, 0);
	TEST_NEAR("long after: no active days", vals[active].num, 0, 0);

	apply(&st, shipped, "page.viewed", T0 + 200 * DAY, path_data("/"));
	TEST_CHECK("a jump past 64 days restarts the window",
	           st.active_day0 == DAY0 + 200 && st.active_bits == 1);
	fstate_clear(&st);

	if (fstate_init(&st, shipped) != 0)
		return;
	apply(&st, shipped, "page.viewed", -1, path_data("/"));
	TEST_CHECK("day of an instant before the epoch", st.active_day0 == -1);
	fstate_clear(&st);
}

/* Without signals, only activity can change: a repeat of a known day at an
 * older time has no feature effect. */
static void
test_activity_return(void)
{
	struct featspec *spec = spec_from(
	    "{\"version\": 1, \"label\": {\"types\": [\"deal.won\"], \"horizon_days\": 30},"
	    " \"derived\": [{\"name\": \"active_days_30\"}]}");
	struct fstate st;

	if (spec == NULL || fstate_init(&st, spec) != 0) {
		TEST_CHECK("derived-only spec", 0);
		featspec_free(spec);
		return;
	}
	TEST_CHECK("first seen", apply(&st, spec, "contact.updated", T0 - 2 * DAY, NULL) == 1);
	TEST_CHECK("first activity", apply(&st, spec, "email.clicked", T0, NULL) == 1);
	TEST_CHECK("same day, older: nothing new",
	           apply(&st, spec, "email.clicked", T0 - 3600 * SEC, NULL) == 0);
	TEST_CHECK("same day, newer: last activity moves",
	           apply(&st, spec, "email.clicked", T0 + 3600 * SEC, NULL) == 1);
	TEST_CHECK("older day: a new bit", apply(&st, spec, "email.opened", T0 - DAY, NULL) == 1);
	TEST_CHECK("older day again: nothing new",
	           apply(&st, spec, "email.opened", T0 - DAY, NULL) == 0);
	TEST_CHECK("outcome after first seen: nothing",
	           apply(&st, spec, "sdr.outcome", T0, NULL) == 0);
	TEST_CHECK("state", st.active_bits == 3 && st.last_activity_us == T0 + 3600 * SEC &&
	                        st.first_seen_us == T0 - 2 * DAY);
	fstate_clear(&st);
	featspec_free(spec);
}

static void
test_attributes(void)
{
	struct fstate st;
	struct raw_row row;
	struct raw_value vals[32];
	long size = idx(shipped, "company_size");
	long sen = idx(shipped, "seniority");
	long ind = idx(shipped, "industry");
	json_t *nul;

	row.values = vals;
	row.n = shipped->nfields;
	if (fstate_init(&st, shipped) != 0)
		return;
	fstate_row(&st, shipped, T0, &row);
	TEST_CHECK("absent attributes are missing",
	           vals[size].missing && vals[sen].missing && vals[ind].missing);
	TEST_CHECK("signals are not missing", !vals[0].missing);

	TEST_CHECK("update changes features",
	           apply(&st, shipped, "contact.updated", T0,
	                 json_pack("{s:i,s:s,s:s,s:s,s:s,s:b}", "company_size", 250, "seniority",
	                           "vp", "industry", "software", "country", "DE", "title", "CTO",
	                           "consent", 1)) == 1);
	fstate_row(&st, shipped, T0, &row);
	TEST_CHECK("size present", !vals[size].missing);
	TEST_NEAR("size raw (no transform)", vals[size].num, 250, 0);
	TEST_STREQ("seniority", vals[sen].str, "vp");
	TEST_STREQ("industry", vals[ind].str, "software");
	TEST_CHECK("undeclared data not kept", json_object_get(st.attributes, "country") == NULL &&
	                                           json_object_size(st.attributes) == 3);
	TEST_CHECK("same values (250.0 for 250): no change",
	           apply(&st, shipped, "contact.updated", T0,
	                 json_pack("{s:f,s:s}", "company_size", 250.0, "seniority", "vp")) == 0);
	TEST_CHECK("wrong types ignored", apply(&st, shipped, "contact.updated", T0,
	                                        json_pack("{s:s,s:i,s:b}", "company_size", "big",
	                                                  "seniority", 3, "industry", 0)) == 0);
	nul = json_object();
	json_object_set_new(nul, "seniority", json_stringn("v\0p", 3));
	TEST_CHECK("a string holding NUL is ignored",
	           apply(&st, shipped, "contact.updated", T0, nul) == 0);
	fstate_row(&st, shipped, T0, &row);
	TEST_NEAR("size kept", vals[size].num, 250, 0);
	TEST_STREQ("seniority kept", vals[sen].str, "vp");
	TEST_CHECK("null clears", apply(&st, shipped, "contact.updated", T0,
	                                json_pack("{s:n}", "seniority")) == 1);
	TEST_CHECK("null again: no change", apply(&st, shipped, "contact.updated", T0,
	                                          json_pack("{s:n}", "seniority")) == 0);
	fstate_row(&st, shipped, T0, &row);
	TEST_CHECK("cleared is missing", vals[sen].missing && vals[sen].str == NULL);
	TEST_STREQ("other attribute untouched", vals[ind].str, "software");
	TEST_CHECK("unknown level kept as given",
	           apply(&st, shipped, "contact.updated", T0,
	                 json_pack("{s:s,s:f}", "seniority", "intern", "company_size", 12.5)) == 1);
	fstate_row(&st, shipped, T0, &row);
	TEST_STREQ("unknown level", vals[sen].str, "intern");
	TEST_NEAR("new size", vals[size].num, 12.5, 0);
	TEST_CHECK("attributes only from contact.updated",
	           apply(&st, shipped, "form.submitted", T0,
	                 json_pack("{s:s}", "seniority", "c_level")) == 1 &&
	               strcmp(json_string_value(json_object_get(st.attributes, "seniority")),
	                      "intern") == 0);
	/* Profile fields follow the event time: an update dated before the newest applied one
	 * (a late event, or one another daemon applied first) changes nothing. */
	TEST_CHECK("newest update time kept", st.profile_at_us == T0);
	(void)apply(&st, shipped, "contact.updated", T0 - 1, /* it still moves first_seen */
	            json_pack("{s:s}", "seniority", "c_level"));
	TEST_CHECK("an older update leaves the time", st.profile_at_us == T0);
	fstate_row(&st, shipped, T0, &row);
	TEST_STREQ("the newer value stays", vals[sen].str, "intern");
	TEST_CHECK("an update of the same time applies",
	           apply(&st, shipped, "contact.updated", T0,
	                 json_pack("{s:s}", "seniority", "director")) == 1);
	TEST_CHECK("a later one applies and moves the time",
	           apply(&st, shipped, "contact.updated", T0 + 5,
	                 json_pack("{s:s}", "seniority", "vp")) == 1 &&
	               st.profile_at_us == T0 + 5);
	{
		json_t *stored = fstate_to_json(&st, shipped);
		struct fstate back;
		struct ls_err err;

		TEST_CHECK("profile time stored",
		           stored != NULL && json_integer_value(json_object_get(stored, "pa")) == T0 + 5);
		TEST_CHECK("and read back", stored != NULL &&
		                                fstate_from_json(&back, shipped, stored, &err) == 0 &&
		                                back.profile_at_us == T0 + 5);
		if (stored != NULL && back.signals != NULL)
			fstate_clear(&back);
		/* A state stored before the profile time existed reads as "none yet". */
		json_object_del(stored, "pa");
		TEST_CHECK("older state without it loads",
		           fstate_from_json(&back, shipped, stored, &err) == 0 &&
		               back.profile_at_us == 0);
		fstate_clear(&back);
		json_decref(stored);
	}
	fstate_clear(&st);
}

static void
expect_same_state(const struct fstate *a, const struct fstate *b)
{
	int same = a->nsignals == b->nsignals;

	for (size_t i = 0; same && i < a->nsignals; i++)
		same = a->signals[i] == b->signals[i];
	TEST_CHECK("signals exactly equal", same);
	TEST_CHECK("times equal", a->signals_at_us == b->signals_at_us &&
	                              a->first_seen_us == b->first_seen_us &&
	                              a->last_activity_us == b->last_activity_us);
	TEST_CHECK("bitmap equal",
	           a->active_day0 == b->active_day0 && a->active_bits == b->active_bits);
	TEST_CHECK("attributes equal", json_equal(a->attributes, b->attributes));
}

static void
round_trip(const struct fstate *st, const char *what)
{
	json_t *j = fstate_to_json(st, shipped), *back_json, *j2;
	struct fstate back;
	struct ls_err err = {""};
	char *text;

	TEST_CHECK(what, j != NULL);
	if (j == NULL)
		return;
	/* Through text, as it is stored: default dump flags. */
	text = json_dumps(j, JSON_COMPACT);
	back_json = text != NULL ? json_loads(text, 0, NULL) : NULL;
	TEST_CHECK("stored text parses", back_json != NULL);
	TEST_CHECK("from_json", fstate_from_json(&back, shipped, back_json, &err) == 0);
	expect_same_state(st, &back);
	j2 = fstate_to_json(&back, shipped);
	TEST_CHECK("same JSON again", json_equal(j, j2));
	json_decref(j2);
	fstate_clear(&back);
	json_decref(back_json);
	free(text);
	json_decref(j);
}

static void
test_json_round_trip(void)
{
	struct fstate st;
	json_t *j;

	if (fstate_init(&st, shipped) != 0)
		return;
	round_trip(&st, "empty state to JSON");
	apply(&st, shipped, "page.viewed", T0, path_data("/pricing"));
	apply(&st, shipped, "page.viewed", T0 - 3 * DAY - 17 * SEC, path_data("/pricing"));
	apply(&st, shipped, "email.replied", T0 + 5 * DAY + 123457, NULL);
	apply(&st, shipped, "intent.surged", T0 - 40 * DAY, json_pack("{s:f}", "strength", 0.3));
	apply(&st, shipped, "contact.updated", T0,
	      json_pack("{s:f,s:s,s:s}", "company_size", 1234.5678901234567, "seniority",
	                "director", "industry", "retail"));
	apply(&st, shipped, "webinar.attended", T0 - 58 * DAY, NULL);
	round_trip(&st, "busy state to JSON");

	j = fstate_to_json(&st, shipped);
	TEST_CHECK("zero signals left out",
	           j != NULL && json_object_get(json_object_get(j, "s"), "funding") == NULL &&
	               json_object_size(json_object_get(j, "s")) == 5);
	TEST_CHECK("version 1", json_integer_value(json_object_get(j, "v")) == 1);
	TEST_STREQ("bits as hex", json_string_value(json_object_get(j, "bits")),
	           "8000000000000121");
	json_decref(j);
	fstate_clear(&st);
}

static void
test_from_json_names(void)
{
	struct fstate st;
	struct ls_err err = {""};
	json_t *j = json_loads("{\"v\":1,\"at\":5000,\"s\":{\"pricing_views\":1.25,"
	                       "\"retired_signal\":3,\"email_opens\":2},"
	                       "\"a\":{\"seniority\":\"vp\",\"industry\":7,\"company_size\":40,"
	                       "\"region\":\"emea\"},"
	                       "\"first\":1000,\"last\":4000,\"d0\":0,\"bits\":\"3\"}",
	                       0, NULL);

	TEST_CHECK("fixture parses", j != NULL);
	TEST_CHECK("loads", fstate_from_json(&st, shipped, j, &err) == 0);
	TEST_NEAR("known signal restored", sig(&st, shipped, "pricing_views", 5000), 1.25, 0);
	TEST_NEAR("integer value restored", sig(&st, shipped, "email_opens", 5000), 2, 0);
	TEST_NEAR("missing signal is zero", sig(&st, shipped, "demo_requests", 5000), 0, 0);
	TEST_CHECK("at", st.signals_at_us == 5000);
	TEST_CHECK("times", st.first_seen_us == 1000 && st.last_activity_us == 4000);
	TEST_CHECK("bits", st.active_day0 == 0 && st.active_bits == 3);
	TEST_STREQ("attribute restored",
	           json_string_value(json_object_get(st.attributes, "seniority")), "vp");
	TEST_NEAR("numeric attribute restored",
	          json_number_value(json_object_get(st.attributes, "company_size")), 40, 0);
	TEST_CHECK("kind mismatch dropped", json_object_get(st.attributes, "industry") == NULL);
	TEST_CHECK("unknown attribute dropped", json_object_get(st.attributes, "region") == NULL);
	fstate_clear(&st);
	json_decref(j);
}

static void
expect_bad_state(const char *text, const char *want)
{
	struct fstate st;
	struct ls_err err = {""};
	json_t *j = json_loads(text, 0, NULL);
	int r;

	TEST_CHECK("bad-state fixture parses", j != NULL);
	st.signals = (double *)1; /* from_json must not read what was there */
	r = fstate_from_json(&st, shipped, j, &err);
	TEST_CHECK("bad state rejected", r == -1);
	TEST_CHECK("rejected state left empty", st.signals == NULL && st.attributes == NULL);
	TEST_CHECK("reason", strstr(err.msg, want) != NULL);
	if (strstr(err.msg, want) == NULL)
		printf("  got \"%s\", want \"%s\"\n", err.msg, want);
	json_decref(j);
}

#define OKBASE "\"at\":0,\"s\":{},\"a\":{},\"first\":0,\"last\":0,\"d0\":0"

static void
test_from_json_errors(void)
{
	expect_bad_state("[1]", "state must be a JSON object");
	expect_bad_state("{\"v\":1," OKBASE ",\"bits\":\"0\",\"x\":1}", "state: unknown key \"x\"");
	expect_bad_state("{" OKBASE ",\"bits\":\"0\"}", "state.v must be an integer");
	expect_bad_state("{\"v\":2," OKBASE ",\"bits\":\"0\"}",
	                 "state.v is 2, this build reads version 1");
	expect_bad_state(
	    "{\"v\":1,\"at\":\"now\",\"s\":{},\"a\":{},\"first\":0,\"last\":0,\"d0\":0,"
	    "\"bits\":\"0\"}",
	    "state.at must be an integer");
	expect_bad_state("{\"v\":1,\"at\":0,\"s\":{},\"a\":{},\"last\":0,\"d0\":0,\"bits\":\"0\"}",
	                 "state.first must be an integer");
	expect_bad_state("{\"v\":1,\"at\":0,\"s\":{},\"a\":{},\"first\":0,\"last\":1.5,\"d0\":0,"
	                 "\"bits\":\"0\"}",
	                 "state.last must be an integer");
	expect_bad_state(
	    "{\"v\":1,\"at\":0,\"s\":{},\"a\":{},\"first\":0,\"last\":0,\"bits\":\"0\"}",
	    "state.d0 must be an integer");
	expect_bad_state("{\"v\":1," OKBASE ",\"bits\":\"xyz\"}", "state.bits must be a string");
	expect_bad_state("{\"v\":1," OKBASE ",\"bits\":\"\"}", "state.bits must be a string");
	expect_bad_state("{\"v\":1," OKBASE ",\"bits\":\"00000000000000001\"}",
	                 "state.bits must be a string");
	expect_bad_state("{\"v\":1," OKBASE ",\"bits\":5}", "state.bits must be a string");
	expect_bad_state("{\"v\":1," OKBASE "}", "state.bits must be a string");
	expect_bad_state("{\"v\":1,\"at\":0,\"s\":[],\"a\":{},\"first\":0,\"last\":0,\"d0\":0,"
	                 "\"bits\":\"0\"}",
	                 "state.s must be an object");
	expect_bad_state("{\"v\":1,\"at\":0,\"s\":{\"intent\":-1},\"a\":{},\"first\":0,\"last\":0,"
	                 "\"d0\":0,\"bits\":\"0\"}",
	                 "state.s.intent must be a number >= 0");
	expect_bad_state("{\"v\":1,\"at\":0,\"s\":{\"gone\":\"1\"},\"a\":{},\"first\":0,\"last\":0,"
	                 "\"d0\":0,\"bits\":\"0\"}",
	                 "state.s.gone must be a number >= 0");
	expect_bad_state(
	    "{\"v\":1,\"at\":0,\"s\":{},\"first\":0,\"last\":0,\"d0\":0,\"bits\":\"0\"}",
	    "state.a must be an object");
	expect_bad_state("{\"v\":1,\"at\":0,\"s\":{},\"a\":{\"seniority\":true},\"first\":0,"
	                 "\"last\":0,\"d0\":0,\"bits\":\"0\"}",
	                 "state.a.seniority must be a number or a string");
}

static void
test_hex_bits(void)
{
	struct fstate st;
	struct ls_err err = {""};
	json_t *j = json_loads("{\"v\":1," OKBASE ",\"bits\":\"FfA09\"}", 0, NULL);

	TEST_CHECK("mixed-case hex",
	           fstate_from_json(&st, shipped, j, &err) == 0 && st.active_bits == 0xffa09);
	fstate_clear(&st);
	json_decref(j);
}

/* The starter model as the spec declares it: intercept plus prior times the
 * transformed value, plus the prior of a categorical's level. */
static double
starter_probability(const struct featspec *spec, const struct raw_row *row)
{
	double z = spec->starter_intercept;

	for (size_t i = 0; i < spec->nfields; i++) {
		const struct field_def *f = &spec->fields[i];
		const struct raw_value *v = &row->values[i];

		if (v->missing)
			continue;
		if (f->kind == FIELD_NUMERIC) {
			z += f->prior * (f->transform == TRANSFORM_LOG1P ? log1p(v->num) : v->num);
			continue;
		}
		for (size_t k = 0; k < f->nlevels; k++) {
			if (strcmp(f->levels[k], v->str) == 0)
				z += f->level_priors[k];
		}
	}
	return 1.0 / (1.0 + exp(-z));
}

static json_t *
profile(int size, const char *seniority, const char *industry)
{
	return json_pack("{s:i,s:s,s:s,s:b}", "company_size", size, "seniority", seniority,
	                 "industry", industry, "consent", 1);
}

static void
test_starter_sanity(void)
{
	struct fstate quiet, hot, best;
	struct raw_row row;
	struct raw_value vals[32];
	double p;

	row.values = vals;
	row.n = shipped->nfields;
	if (fstate_init(&quiet, shipped) != 0 || fstate_init(&hot, shipped) != 0 ||
	    fstate_init(&best, shipped) != 0)
		return;
	apply(&quiet, shipped, "contact.updated", T0 - 20 * DAY,
	      profile(200, "manager", "manufacturing"));
	fstate_row(&quiet, shipped, T0, &row);
	p = starter_probability(shipped, &row);
	TEST_CHECK("quiet typical contact: a few percent", p > 0.005 && p < 0.05);

	apply(&best, shipped, "contact.updated", T0 - 20 * DAY,
	      profile(5000, "c_level", "software"));
	fstate_row(&best, shipped, T0, &row);
	p = starter_probability(shipped, &row);
	TEST_CHECK("quiet ideal-profile contact stays low", p < 0.10);

	apply(&hot, shipped, "contact.updated", T0 - 20 * DAY,
	      profile(200, "manager", "manufacturing"));
	apply(&hot, shipped, "demo.requested", T0 - 3600 * SEC, NULL);
	for (int i = 0; i < 3; i++)
		apply(&hot, shipped, "page.viewed", T0 - (i + 1) * DAY, path_data("/pricing"));
	apply(&hot, shipped, "email.replied", T0 - 2 * DAY, NULL);
	apply(&hot, shipped, "email.replied", T0 - 5 * DAY, NULL);
	fstate_row(&hot, shipped, T0, &row);
	p = starter_probability(shipped, &row);
	TEST_CHECK("demo, pricing and replies: tier A territory", p > 0.7);
	fstate_clear(&quiet);
	fstate_clear(&hot);
	fstate_clear(&best);
}

static void
test_short_row(void)
{
	struct fstate st;
	struct raw_value vals[2] = {{0, 42.0, NULL}, {0, 42.0, NULL}};
	struct raw_row row = {vals, 1};

	if (fstate_init(&st, shipped) != 0)
		return;
	apply(&st, shipped, "page.viewed", T0, path_data("/"));
	fstate_row(&st, shipped, T0, &row);
	TEST_CHECK("short row: only n values written", vals[0].num == 1.0 && vals[1].num == 42.0);
	fstate_clear(&st);
}

int
main(void)
{
	struct ls_err err = {""};

	shipped = featspec_load("model/features.json", &err);
	if (shipped == NULL) {
		printf("FAIL: %s\n", err.msg);
		return 1;
	}
	test_decay_one_event();
	test_order_independence();
	test_weight_field();
	test_filters();
	test_activity();
	test_activity_return();
	test_attributes();
	test_json_round_trip();
	test_from_json_names();
	test_from_json_errors();
	test_hex_bits();
	test_starter_sanity();
	test_short_row();
	featspec_free(shipped);
	return TEST_REPORT();
}
