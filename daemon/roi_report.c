/* roi_report.c: turning a window's outcomes into hours saved, value and the three ROI tiers. */
#include "roi_report.h"

#include <math.h>
#include <string.h>

#include "event.h"

static const char *const scenario_names[3] = {"best", "base", "worst"};

int
roi_params_check(const struct roi_params *p, struct ls_err *err)
{
	struct roi_multiplier m[3];
	struct roi_scenario s[3];

	if (p->hourly_cost < 0 || p->value_per_meeting < 0 || p->annual_tco < 0 ||
	    p->initial_investment < 0)
		return ls_err_set(err, "roi: costs and values must not be negative");
	if (!(p->discount_rate > -1))
		return ls_err_set(err, "roi.discount_rate must be above -1 (-100 %%)");
	if (p->horizon_years < 1 || p->horizon_years > 50)
		return ls_err_set(err, "roi.horizon_years must be from 1 to 50");
	for (int i = 0; i < 3; i++) {
		if (p->multiplier[i] < 0)
			return ls_err_set(err, "roi.%s_multiplier must not be negative",
					  scenario_names[i]);
		m[i] = (struct roi_multiplier){scenario_names[i], p->multiplier[i], p->probability[i]};
	}
	if (roi_scenarios_from_multipliers(1.0, m, 3, s, err) < 0)
		return ls_err_prefix(err, "roi");
	return 0;
}

/* A JSON number, or null for what could not be computed. */
static json_t *
num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
group_json(const struct roi_group *g, double mpm, double dq_share, double meeting_rate)
{
	return json_pack("{s:f, s:f, s:f, s:o, s:o, s:o}", "minutes", g->minutes, "meetings",
			 g->meetings, "leads", g->leads, "minutes_per_meeting", num(mpm),
			 "disqualified_share", num(dq_share), "meeting_rate", num(meeting_rate));
}

static json_t *
lift_json(const struct roi_bucket *b, size_t n, const char *const *names)
{
	struct roi_lift lift[ROI_DECILES];
	json_t *arr = json_array();
	double overall;
	char label[16];

	if (arr == NULL || roi_lift_table(b, n, lift, &overall, NULL) < 0) {
		json_decref(arr);
		return json_array();
	}
	for (size_t i = 0; i < n; i++) {
		if (names == NULL)
			snprintf(label, sizeof(label), "%zu-%zu", i * 10, i == 9 ? 100 : i * 10 + 9);
		json_array_append_new(arr, json_pack("{s:s, s:f, s:f, s:o, s:o}", "bucket",
						     names ? names[i] : label, "leads", b[i].leads,
						     "conversions", b[i].conversions, "rate",
						     num(lift[i].rate), "lift", num(lift[i].lift)));
	}
	return arr;
}

/* The ROI tiers from an annual value; every figure NAN when it cannot be computed. */
struct roi_tiers {
	double basic, expected, risk_adjusted, npv, npv_roi, payback;
	int break_even;
};

static void
roi_tiers_compute(const struct roi_params *p, const struct roi_value *annual, struct roi_tiers *t)
{
	struct roi_multiplier m[3];
	struct roi_scenario s[3];
	struct roi_risk risk;
	struct roi_year years[51];
	struct roi_multiyear my;
	double value = roi_value_total(annual);

	*t = (struct roi_tiers){NAN, NAN, NAN, NAN, NAN, NAN, -1};
	if (!isfinite(value))
		return;
	if (roi_basic(value, p->annual_tco, &t->basic, NULL) < 0)
		t->basic = NAN;
	for (int i = 0; i < 3; i++)
		m[i] = (struct roi_multiplier){scenario_names[i], p->multiplier[i], p->probability[i]};
	if (roi_scenarios_from_multipliers(value, m, 3, s, NULL) == 0 &&
	    roi_risk_adjusted(s, 3, p->annual_tco, &risk, NULL) == 0) {
		t->expected = risk.expected_value;
		t->risk_adjusted = risk.roi;
	}
	if (roi_years_build(p->initial_investment, p->annual_tco, annual,
			    (unsigned)p->horizon_years, years, 51, NULL) == 0 &&
	    roi_years_eval(years, (size_t)p->horizon_years + 1, p->discount_rate, NULL, &my,
			   NULL) == 0) {
		t->npv = my.npv;
		t->npv_roi = my.npv_roi;
		t->payback = my.payback_years >= 0 ? my.payback_years : NAN;
		t->break_even = my.break_even_year;
	}
}

json_t *
roi_report_build(const struct roi_window_data *w, const struct roi_params *p, int64_t from_us,
		 int64_t to_us, const char *window, struct ls_err *err)
{
	static const char *const tiers[ROI_TIERS] = {"A", "B", "C", "D"};
	struct roi_time_params tp = {p->min_holdout_meetings, ROI_Z95};
	struct roi_time_saved ts;
	struct roi_value annual = {NAN, NAN, 0};
	struct roi_tiers rt;
	double days = (double)(to_us - from_us) / 86400e6, per_rep = NAN, eff = NAN, uplift = NAN;
	char from[40], to[40];

	if (roi_time_saved(&w->group[1], &w->group[0], &tp, &ts, err) < 0)
		return NULL;
	if (isfinite(ts.hours_saved)) {
		if (w->reps > 0 && days > 0 &&
		    roi_hours_per_rep_week(ts.hours_saved, (double)w->reps, days, &per_rep, NULL) < 0)
			per_rep = NAN;
		if (roi_efficiency_value(ts.hours_saved, p->hourly_cost, &eff, NULL) < 0)
			eff = NAN;
	}
	if (roi_meeting_uplift(&w->group[1], &w->group[0], p->value_per_meeting, &uplift, NULL) < 0)
		uplift = NAN;
	if (days > 0 && isfinite(eff) && isfinite(uplift)) {
		annual.efficiency = eff * 365.0 / days;
		annual.revenue = uplift * 365.0 / days;
	}
	roi_tiers_compute(p, &annual, &rt);
	rfc3339_format(from_us, from, sizeof(from));
	rfc3339_format(to_us, to, sizeof(to));
	return json_pack(
	    "{s:s, s:s, s:s, s:f, s:I, s:s, s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o}}",
	    "from", from, "to", to, "window", window, "days", days, "reps", (json_int_t)w->reps,
	    "verdict", roi_verdict_name(ts.verdict), "hours_saved", num(ts.hours_saved),
	    "hours_saved_low", num(ts.low), "hours_saved_high", num(ts.high),
	    "hours_saved_per_rep_week", num(per_rep), "groups", "scored",
	    group_json(&w->group[0], ts.mpm_scored, ts.dq_share_scored, ts.meeting_rate_scored),
	    "holdout",
	    group_json(&w->group[1], ts.mpm_holdout, ts.dq_share_holdout, ts.meeting_rate_holdout),
	    "efficiency_value", num(eff), "meeting_uplift_value", num(uplift), "annual_value",
	    num(roi_value_total(&annual)), "basic_roi", num(rt.basic), "expected_value",
	    num(rt.expected), "risk_adjusted_roi", num(rt.risk_adjusted), "npv", num(rt.npv),
	    "npv_roi", num(rt.npv_roi), "payback_years", num(rt.payback), "break_even_year",
	    rt.break_even >= 0 ? json_integer(rt.break_even) : json_null(), "lift", "tiers",
	    lift_json(w->tiers, ROI_TIERS, tiers), "deciles", lift_json(w->deciles, ROI_DECILES, NULL));
}
