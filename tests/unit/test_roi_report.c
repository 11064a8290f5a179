/* test_roi_report.c: the figures JSON from a window's groups, and the roi.* parameter checks. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../daemon/roi_report.h"
#include "../testhelp.h"

static const struct roi_params base_params = {
	.hourly_cost = 60,
	.value_per_meeting = 500,
	.annual_tco = 450000,
	.initial_investment = 350000,
	.discount_rate = 0.08,
	.horizon_years = 3,
	.multiplier = {1.333333333333, 1.0, 0.518518518519},
	.probability = {0.2, 0.5, 0.3},
	.min_holdout_meetings = 5,
};

static double
get(const json_t *o, const char *path)
{
	char buf[128], *key, *save = NULL;
	const json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key != NULL; key = strtok_r(NULL, ".", &save))
		v = json_object_get(v, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* ROI-EXAMPLES.md section 5: hold-out 1,200 minutes for 8 meetings, scored 6,000 for 80:
 * (150 - 75) x 80 / 60 = 100 hours that week. Per-lead data: 8 hold-out leads of 150
 * minutes and one meeting each; 80 scored leads of 75 minutes and one meeting each. */
static void
test_section5(void)
{
	struct roi_window_data w;
	struct roi_lead hold[8], scored[80];
	struct ls_err err;
	json_t *r;

	memset(&w, 0, sizeof(w));
	for (int i = 0; i < 8; i++)
		hold[i] = (struct roi_lead){150, 1};
	for (int i = 0; i < 80; i++)
		scored[i] = (struct roi_lead){75, 1};
	w.group[1] = (struct roi_group){1200, 8, 8, 0, hold, 8};
	w.group[0] = (struct roi_group){6000, 80, 80, 0, scored, 80};
	w.reps = 5;
	r = roi_report_build(&w, &base_params, 0, 7LL * 86400 * 1000000, "week", &err);
	TEST_CHECK("report built", r != NULL);
	TEST_NEAR("hours saved (section 5)", get(r, "hours_saved"), 100.0, 1e-9);
	TEST_NEAR("hold-out minutes per meeting", get(r, "groups.holdout.minutes_per_meeting"), 150, 1e-9);
	TEST_NEAR("scored minutes per meeting", get(r, "groups.scored.minutes_per_meeting"), 75, 1e-9);
	TEST_NEAR("hours per rep per week", get(r, "hours_saved_per_rep_week"), 20.0, 1e-9);
	TEST_NEAR("efficiency value", get(r, "efficiency_value"), 6000.0, 1e-9);
	/* Identical spreads inside each group: the interval collapses onto the estimate. */
	TEST_NEAR("interval low", get(r, "hours_saved_low"), 100.0, 1e-6);
	TEST_STREQ("verdict", json_string_value(json_object_get(r, "verdict")), "saving");
	TEST_NEAR("annual value = week value x 365/7",
		  get(r, "annual_value"), (6000.0 + 0.0) * 365.0 / 7.0, 1e-6);
	TEST_NEAR("basic ROI from the annual value", get(r, "basic_roi"),
		  (6000.0 * 365.0 / 7.0 - 450000) / 450000, 1e-9);
	TEST_CHECK("npv computed", isfinite(get(r, "npv")));
	json_decref(r);

	/* Too small a hold-out: the verdict says so instead of a bare number. */
	w.group[1] = (struct roi_group){300, 2, 2, 0, hold, 2};
	hold[0] = hold[1] = (struct roi_lead){150, 1};
	r = roi_report_build(&w, &base_params, 0, 7LL * 86400 * 1000000, "week", &err);
	TEST_STREQ("not enough data", json_string_value(json_object_get(r, "verdict")),
		   "not enough data");
	json_decref(r);

	/* No hold-out meetings at all: hours saved cannot be computed: null, not 0. */
	w.group[1] = (struct roi_group){300, 0, 2, 0, NULL, 0};
	r = roi_report_build(&w, &base_params, 0, 7LL * 86400 * 1000000, "week", &err);
	TEST_CHECK("hours saved null", json_is_null(json_object_get(r, "hours_saved")));
	TEST_CHECK("ROI null without a value", json_is_null(json_object_get(r, "basic_roi")));
	json_decref(r);
}

static void
test_lift(void)
{
	struct roi_window_data w;
	struct ls_err err;
	json_t *r, *d;

	memset(&w, 0, sizeof(w));
	w.deciles[9] = (struct roi_bucket){10, 5};
	w.deciles[0] = (struct roi_bucket){10, 1};
	w.tiers[0] = (struct roi_bucket){10, 5};
	w.tiers[3] = (struct roi_bucket){10, 1};
	r = roi_report_build(&w, &base_params, 0, 86400000000LL, "day", &err);
	d = json_object_get(json_object_get(r, "lift"), "deciles");
	TEST_CHECK("ten deciles", json_array_size(d) == 10);
	TEST_STREQ("top decile label", json_string_value(json_object_get(json_array_get(d, 9), "bucket")),
		   "90-100");
	/* overall 6/20 = 0.3; top decile 0.5 -> lift 1.667 */
	TEST_NEAR("top decile lift", json_number_value(json_object_get(json_array_get(d, 9), "lift")),
		  0.5 / 0.3, 1e-9);
	TEST_NEAR("tier A rate",
		  json_number_value(json_object_get(
		      json_array_get(json_object_get(json_object_get(r, "lift"), "tiers"), 0), "rate")),
		  0.5, 1e-12);
	json_decref(r);
}

static void
test_params_check(void)
{
	struct roi_params p = base_params;
	struct ls_err err;

	TEST_CHECK("the example parameters pass", roi_params_check(&p, &err) == 0);
	p.probability[2] = 0.2;
	TEST_CHECK("probabilities not summing to 1 refused", roi_params_check(&p, &err) < 0);
	TEST_CHECK("reason names the sum", strstr(err.msg, "sum to 0.9") != NULL);
	p = base_params;
	p.annual_tco = -1;
	TEST_CHECK("negative cost refused", roi_params_check(&p, &err) < 0 &&
						    strstr(err.msg, "negative") != NULL);
	p = base_params;
	p.discount_rate = -1;
	TEST_CHECK("discount rate of -100 % refused", roi_params_check(&p, &err) < 0);
	p = base_params;
	p.horizon_years = 0;
	TEST_CHECK("zero horizon refused", roi_params_check(&p, &err) < 0);
	p = base_params;
	p.multiplier[0] = -0.5;
	TEST_CHECK("negative multiplier refused", roi_params_check(&p, &err) < 0);
}

int
main(void)
{
	test_section5();
	test_lift();
	test_params_check();
	return TEST_REPORT();
}
