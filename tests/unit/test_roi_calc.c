/* test_roi_calc.c: the ROI calculator against every worked example in ROI-EXAMPLES.md, plus edges.
 */
#include <math.h>
#include <string.h>

#include "../../daemon/roi_calc.h"
#include "../testhelp.h"

/* A printed percentage with one or two decimals, as the examples show them. */
static double
pct(double ratio, double decimals)
{
	double scale = pow(10.0, decimals);

	return round(ratio * 100.0 * scale) / scale;
}

static void
test_basic_example(void)
{
	/* §1: efficiency 280,000 + 80,000, revenue 120,000, risk 60,000; TCO 450,000. */
	struct roi_value v = {.efficiency = 280000.0 + 80000.0, .revenue = 120000, .risk = 60000};
	struct ls_err err = {{0}};
	double roi = -1;

	TEST_NEAR("§1 value", roi_value_total(&v), 540000, 1e-9);
	TEST_CHECK("§1 ok", roi_basic(roi_value_total(&v), 450000, &roi, &err) == 0);
	TEST_NEAR("§1 basic ROI", roi, 0.2, 1e-12);
	TEST_NEAR("§1 printed", pct(roi, 1), 20.0, 1e-9);
}

static void
test_basic_errors(void)
{
	struct ls_err err = {{0}};
	double roi = 0;

	TEST_CHECK("tco 0", roi_basic(100, 0, &roi, &err) == -1);
	TEST_STREQ("tco 0 reason", err.msg, "annual TCO is 0, must be above 0");
	TEST_CHECK("tco negative", roi_basic(100, -5, &roi, &err) == -1);
	TEST_STREQ("tco negative reason", err.msg, "annual TCO is -5, must be above 0");
	TEST_CHECK("value nan", roi_basic(NAN, 10, &roi, &err) == -1);
	TEST_STREQ("value nan reason", err.msg, "annual value is not a finite number");
	TEST_CHECK("tco inf", roi_basic(1, INFINITY, &roi, &err) == -1);
	TEST_CHECK("NULL err is fine", roi_basic(1, 0, &roi, NULL) == -1);
	TEST_CHECK("negative value allowed", roi_basic(-90, 100, &roi, &err) == 0);
	TEST_NEAR("loss ROI", roi, -1.9, 1e-12);
}

static void
test_annualise(void)
{
	struct ls_err err = {{0}};
	double a = 0;

	TEST_CHECK("annualise week", roi_annualise(4500, 7, &a, &err) == 0);
	TEST_NEAR("annualise week value", a, 4500.0 * 365.0 / 7.0, 1e-9);
	TEST_CHECK("annualise year", roi_annualise(1000, 365, &a, &err) == 0);
	TEST_NEAR("annualise year value", a, 1000, 1e-9);
	TEST_CHECK("annualise 0 days", roi_annualise(1000, 0, &a, &err) == -1);
	TEST_STREQ("annualise reason", err.msg, "window days is 0, must be above 0");
	TEST_CHECK("annualise nan", roi_annualise(NAN, 7, &a, &err) == -1);
}

static const struct roi_scenario example_scenarios[] = {
    {"best", 720000, 0.2},
    {"base", 540000, 0.5},
    {"worst", 280000, 0.3},
};

static void
test_risk_adjusted_example(void)
{
	struct ls_err err = {{0}};
	struct roi_risk r = {0};

	/* §2: 720,000 x 0.2 + 540,000 x 0.5 + 280,000 x 0.3 = 498,000. */
	TEST_CHECK("§2 check", roi_scenarios_check(example_scenarios, 3, &err) == 0);
	TEST_CHECK("§2 ok", roi_risk_adjusted(example_scenarios, 3, 450000, &r, &err) == 0);
	TEST_NEAR("§2 expected value", r.expected_value, 498000, 1e-6);
	TEST_NEAR("§2 risk-adjusted ROI", r.roi, 48000.0 / 450000.0, 1e-12);
	TEST_NEAR("§2 printed", pct(r.roi, 2), 10.67, 1e-9);
}

static void
test_scenario_errors(void)
{
	struct roi_scenario bad_sum[] = {
	    {"best", 720000, 0.2}, {"base", 540000, 0.5}, {"worst", 280000, 0.2}};
	struct roi_scenario bad_p[] = {{"best", 1, 1.5}, {"base", 1, -0.5}};
	struct roi_scenario neg_p[] = {{NULL, 1, 1.0}, {NULL, 1, -1e-3}};
	struct roi_scenario bad_v[] = {{"best", NAN, 0.5}, {"base", 1, 0.5}};
	struct roi_scenario near[] = {{"a", 10, 0.5 + 1e-10}, {"b", 20, 0.5}};
	struct ls_err err = {{0}};
	struct roi_risk r = {0};

	TEST_CHECK("0.2/0.5/0.2 refused", roi_risk_adjusted(bad_sum, 3, 450000, &r, &err) == -1);
	TEST_STREQ("sum reason", err.msg, "scenario probabilities sum to 0.9, not 1");
	TEST_CHECK("p > 1", roi_scenarios_check(bad_p, 2, &err) == -1);
	TEST_STREQ("p > 1 reason", err.msg, "scenario 'best': probability 1.5 is outside [0, 1]");
	TEST_CHECK("p < 0 unnamed", roi_scenarios_check(neg_p, 2, &err) == -1);
	TEST_STREQ("p < 0 reason", err.msg, "scenario 2: probability -0.001 is outside [0, 1]");
	TEST_CHECK("value nan", roi_scenarios_check(bad_v, 2, &err) == -1);
	TEST_STREQ("value nan reason", err.msg, "scenario 'best': value is not a finite number");
	TEST_CHECK("none", roi_scenarios_check(NULL, 0, &err) == -1);
	TEST_STREQ("none reason", err.msg, "no scenarios given");
	TEST_CHECK("empty", roi_scenarios_check(example_scenarios, 0, &err) == -1);
	TEST_CHECK("within tolerance", roi_scenarios_check(near, 2, &err) == 0);
	TEST_CHECK("bad tco", roi_risk_adjusted(example_scenarios, 3, 0, &r, &err) == -1);
	TEST_STREQ("bad tco reason", err.msg, "annual TCO is 0, must be above 0");
}

static void
test_scenarios_from_multipliers(void)
{
	/* The configuration's view of §2: multipliers of the base 540,000. */
	struct roi_multiplier m[] = {
	    {"best", 720.0 / 540.0, 0.2}, {"base", 1.0, 0.5}, {"worst", 280.0 / 540.0, 0.3}};
	struct roi_multiplier bad_sum[] = {
	    {"best", 1.2, 0.2}, {"base", 1, 0.5}, {"worst", 0.8, 0.2}};
	struct roi_multiplier neg[] = {{"best", 1.2, 0.5}, {"worst", -0.1, 0.5}};
	struct roi_multiplier bad_p[] = {{"best", 1.2, NAN}, {"worst", 0.8, 0.5}};
	struct roi_scenario s[3] = {{0}};
	struct ls_err err = {{0}};
	struct roi_risk r = {0};

	TEST_CHECK("multipliers ok", roi_scenarios_from_multipliers(540000, m, 3, s, &err) == 0);
	TEST_STREQ("name kept", s[0].name, "best");
	TEST_NEAR("best value", s[0].value, 720000, 1e-6);
	TEST_NEAR("base value", s[1].value, 540000, 1e-6);
	TEST_NEAR("worst value", s[2].value, 280000, 1e-6);
	TEST_NEAR("worst probability", s[2].probability, 0.3, 0);
	TEST_CHECK("then risk-adjusted", roi_risk_adjusted(s, 3, 450000, &r, &err) == 0);
	TEST_NEAR("same expected value", r.expected_value, 498000, 1e-6);

	TEST_CHECK("bad sum", roi_scenarios_from_multipliers(540000, bad_sum, 3, s, &err) == -1);
	TEST_STREQ("bad sum reason", err.msg, "scenario probabilities sum to 0.9, not 1");
	TEST_CHECK("negative multiplier",
	           roi_scenarios_from_multipliers(540000, neg, 2, s, &err) == -1);
	TEST_STREQ("negative multiplier reason", err.msg,
	           "scenario 'worst': multiplier -0.1 must be a number >= 0");
	TEST_CHECK("nan probability",
	           roi_scenarios_from_multipliers(540000, bad_p, 2, s, &err) == -1);
	TEST_STREQ("nan probability reason", err.msg,
	           "scenario 'best': probability nan is outside [0, 1]");
	TEST_CHECK("no multipliers",
	           roi_scenarios_from_multipliers(540000, NULL, 3, s, &err) == -1);
	TEST_STREQ("no multipliers reason", err.msg, "no scenarios given");
	TEST_CHECK("nan base", roi_scenarios_from_multipliers(NAN, m, 3, s, &err) == -1);
	TEST_STREQ("nan base reason", err.msg, "base annual value is not a finite number");
}

static const struct roi_year example_years[] = {
    {.cost = 350000},
    {.cost = 180000, .efficiency = 200000, .revenue = 60000, .risk = 40000},
    {.cost = 150000, .efficiency = 280000, .revenue = 150000, .risk = 60000},
    {.cost = 150000, .efficiency = 320000, .revenue = 220000, .risk = 80000},
};

static void
test_npv_example(void)
{
	const double nets[] = {-350000, 120000, 340000, 470000};
	const double cums[] = {-350000, -230000, 110000, 580000};
	const double d = 1.08;
	/* The closed forms as the example writes them. */
	const double npv = -350000 + 120000 / d + 340000 / (d * d) + 470000 / (d * d * d);
	const double pvc = 350000 + 180000 / d + 150000 / (d * d) + 150000 / (d * d * d);
	struct roi_flow f[4];
	struct roi_multiyear r = {0};
	struct ls_err err = {{0}};

	TEST_CHECK("§3 ok", roi_years_eval(example_years, 4, 0.08, f, &r, &err) == 0);
	for (size_t k = 0; k < 4; k++) {
		TEST_NEAR("§3 net", f[k].net, nets[k], 1e-9);
		TEST_NEAR("§3 cumulative", f[k].cumulative, cums[k], 1e-9);
	}
	TEST_NEAR("§3 year 2 pv net", f[2].pv_net, 340000 / (d * d), 1e-9);
	TEST_NEAR("§3 year 3 pv cost", f[3].pv_cost, 150000 / (d * d * d), 1e-9);
	TEST_NEAR("§3 total cost", r.total_cost, 830000, 1e-9);
	TEST_NEAR("§3 total net", r.total_net, 580000, 1e-9);
	TEST_NEAR("§3 three-year ROI", r.roi, 580000.0 / 830000.0, 1e-12);
	TEST_NEAR("§3 three-year ROI printed", pct(r.roi, 1), 69.9, 1e-9);
	/* Exact NPV is 425,707.46 and PV of costs 764,342.33; the example prints
	 * 425,708 and 764,343, so the printed figures are held to within a euro
	 * and the exact ones to the closed form. */
	TEST_NEAR("§3 NPV exact", r.npv, npv, 1e-6);
	TEST_NEAR("§3 NPV printed", r.npv, 425708, 1.0);
	TEST_NEAR("§3 PV costs exact", r.pv_cost, pvc, 1e-6);
	TEST_NEAR("§3 PV costs printed", r.pv_cost, 764343, 1.0);
	TEST_NEAR("§3 NPV-ROI", r.npv_roi, npv / pvc, 1e-12);
	TEST_NEAR("§3 NPV-ROI printed", round(r.npv_roi * 1000) / 1000, 0.557, 1e-12);
	TEST_NEAR("§3 NPV-ROI printed %", pct(r.npv_roi, 1), 55.7, 1e-9);
	TEST_CHECK("§3 break-even year 2", r.break_even_year == 2);
	TEST_NEAR("§3 payback", r.payback_years, 1.0 + 230000.0 / 340000.0, 1e-12);
	TEST_CHECK("flows optional", roi_years_eval(example_years, 4, 0.08, NULL, &r, &err) == 0);
	TEST_NEAR("same NPV without flows", r.npv, npv, 1e-6);
}

static void
test_efficiency_example(void)
{
	/* §4: three lines, staff 4 -> 1 each, 60,000 a person; first-year cost 380,000. */
	double saved = 3.0 * (4 - 1) * 60000.0, roi = 0;
	struct ls_err err = {{0}};

	TEST_NEAR("§4 saved", saved, 540000, 1e-9);
	TEST_CHECK("§4 ok", roi_basic(saved, 380000, &roi, &err) == 0);
	TEST_NEAR("§4 ROI", roi, 160000.0 / 380000.0, 1e-12);
	TEST_NEAR("§4 printed", pct(roi, 1), 42.1, 1e-9);
}

static void
test_payback_edges(void)
{
	struct roi_year zero_cross[4], never[3],
	    at_start[2] = {{.cost = 0, .revenue = 10}, {.cost = 5}};
	struct roi_value v = {.efficiency = 60};
	struct roi_value small = {.efficiency = 5};
	struct roi_multiyear r = {0};
	struct ls_err err = {{0}};

	/* Cumulative -100, -50, 0, 50: reaches 0 exactly at the end of year 2. */
	TEST_CHECK("build", roi_years_build(100, 10, &v, 3, zero_cross, 4, &err) == 0);
	TEST_CHECK("eval", roi_years_eval(zero_cross, 4, 0, NULL, &r, &err) == 0);
	TEST_CHECK("0 is not positive", r.break_even_year == 3);
	TEST_NEAR("paid back at 2.0", r.payback_years, 2.0, 1e-12);
	TEST_NEAR("rate 0 NPV is the net", r.npv, 50, 1e-9);
	TEST_NEAR("rate 0 NPV-ROI is the ROI", r.npv_roi, r.roi, 1e-12);

	TEST_CHECK("build never", roi_years_build(100, 10, &small, 2, never, 3, &err) == 0);
	TEST_CHECK("eval never", roi_years_eval(never, 3, 0.05, NULL, &r, &err) == 0);
	TEST_CHECK("never breaks even", r.break_even_year == -1);
	TEST_NEAR("no payback", r.payback_years, -1, 0);

	TEST_CHECK("eval at start", roi_years_eval(at_start, 2, 0.05, NULL, &r, &err) == 0);
	TEST_CHECK("breaks even in year 0", r.break_even_year == 0);
	TEST_NEAR("payback 0", r.payback_years, 0, 0);
}

static void
test_years_build(void)
{
	struct roi_value v = {.efficiency = 200000, .revenue = 100000};
	struct roi_year y[5];
	struct roi_multiyear r = {0};
	struct ls_err err = {{0}};

	TEST_CHECK("build ok", roi_years_build(350000, 150000, &v, 3, y, 5, &err) == 0);
	TEST_NEAR("year 0 cost", y[0].cost, 350000, 0);
	TEST_NEAR("year 0 no value", y[0].efficiency + y[0].revenue + y[0].risk, 0, 0);
	TEST_NEAR("year 3 cost", y[3].cost, 150000, 0);
	TEST_NEAR("year 3 revenue", y[3].revenue, 100000, 0);
	TEST_CHECK("eval built", roi_years_eval(y, 4, 0.08, NULL, &r, &err) == 0);
	TEST_NEAR("total cost", r.total_cost, 800000, 1e-9);
	TEST_NEAR("total net", r.total_net, 100000, 1e-9);
	TEST_CHECK("break-even year 3", r.break_even_year == 3);
	TEST_NEAR("payback", r.payback_years, 2.0 + 50000.0 / 150000.0, 1e-12);
	TEST_NEAR("npv", r.npv, -350000 + 150000 / 1.08 + 150000 / 1.1664 + 150000 / 1.259712,
	          1e-6);

	TEST_CHECK("horizon 0", roi_years_build(1, 1, &v, 0, y, 5, &err) == -1);
	TEST_STREQ("horizon 0 reason", err.msg, "horizon must be at least 1 year");
	TEST_CHECK("too few rows", roi_years_build(1, 1, &v, 3, y, 3, &err) == -1);
	TEST_STREQ("too few rows reason", err.msg, "a 3-year horizon needs 4 rows, have 3");
	TEST_CHECK("no rows", roi_years_build(1, 1, &v, 3, NULL, 5, &err) == -1);
	TEST_STREQ("no rows reason", err.msg, "a 3-year horizon needs 4 rows, have 0");
	TEST_CHECK("negative investment", roi_years_build(-1, 1, &v, 3, y, 5, &err) == -1);
	TEST_STREQ("negative investment reason", err.msg,
	           "initial investment is -1, must not be negative");
	TEST_CHECK("negative tco", roi_years_build(1, -2, &v, 3, y, 5, &err) == -1);
	TEST_STREQ("negative tco reason", err.msg, "annual TCO is -2, must not be negative");
	TEST_CHECK("nan tco", roi_years_build(1, NAN, &v, 3, y, 5, &err) == -1);
	TEST_STREQ("nan tco reason", err.msg, "annual TCO is not a finite number");
	TEST_CHECK("no value", roi_years_build(1, 1, NULL, 3, y, 5, &err) == -1);
	TEST_STREQ("no value reason", err.msg, "annual value is not a finite number");
	v.risk = INFINITY;
	TEST_CHECK("infinite value", roi_years_build(1, 1, &v, 3, y, 5, &err) == -1);
}

static void
test_years_errors(void)
{
	static struct roi_year many[1001];
	struct roi_year y[2] = {{.cost = 100}, {.cost = 10, .efficiency = 200}};
	struct roi_year free_plan[2] = {{.cost = 0}, {.cost = 0, .efficiency = 10}};
	struct roi_multiyear r = {0};
	struct ls_err err = {{0}};

	TEST_CHECK("rate -1", roi_years_eval(y, 2, -1, NULL, &r, &err) == -1);
	TEST_STREQ("rate -1 reason", err.msg, "discount rate -1 must be above -1");
	TEST_CHECK("rate -1.5", roi_years_eval(y, 2, -1.5, NULL, &r, &err) == -1);
	TEST_CHECK("rate nan", roi_years_eval(y, 2, NAN, NULL, &r, &err) == -1);
	TEST_CHECK("rate -0.5 is allowed", roi_years_eval(y, 2, -0.5, NULL, &r, &err) == 0);
	TEST_NEAR("rate -0.5 npv", r.npv, -100 + 190 / 0.5, 1e-9);
	y[1].cost = -10;
	TEST_CHECK("negative cost", roi_years_eval(y, 2, 0.08, NULL, &r, &err) == -1);
	TEST_STREQ("negative cost reason", err.msg, "year 1: cost -10 is negative");
	y[1].cost = 10;
	y[1].revenue = NAN;
	TEST_CHECK("nan revenue", roi_years_eval(y, 2, 0.08, NULL, &r, &err) == -1);
	TEST_STREQ("nan revenue reason", err.msg, "year 1: a figure is not a finite number");
	TEST_CHECK("no cost", roi_years_eval(free_plan, 2, 0.08, NULL, &r, &err) == -1);
	TEST_STREQ("no cost reason", err.msg, "total cost is 0: ROI is undefined");
	TEST_CHECK("no years", roi_years_eval(y, 0, 0.08, NULL, &r, &err) == -1);
	TEST_STREQ("no years reason", err.msg, "no years given");
	TEST_CHECK("NULL years", roi_years_eval(NULL, 2, 0.08, NULL, &r, &err) == -1);
	TEST_CHECK("absurd horizon", roi_years_eval(many, 1001, 0.08, NULL, &r, &err) == -1);
	TEST_STREQ("absurd horizon reason", err.msg, "1001 years is not a plausible horizon");
}

/* §5 with per-lead observations behind the totals:
 * hold-out 40 leads: 8 booked at 60 min, 32 not at 22.5 min (1,200 min, 8 meetings);
 * scored 200 leads: 80 booked at 45 min, 120 not at 20 min (6,000 min, 80 meetings). */
static struct roi_lead holdout_obs[4 * 40];
static struct roi_lead scored_obs[200];

static void
fill_example_obs(void)
{
	for (size_t i = 0; i < 4 * 40; i++)
		holdout_obs[i] =
		    (i % 40) < 8 ? (struct roi_lead){60, 1} : (struct roi_lead){22.5, 0};
	for (size_t i = 0; i < 200; i++)
		scored_obs[i] = i < 80 ? (struct roi_lead){45, 1} : (struct roi_lead){20, 0};
}

static const struct roi_time_params params = {.min_holdout_meetings = 5, .z = ROI_Z95};

static void
test_time_saved_example(void)
{
	struct roi_group h = {
	    .minutes = 1200, .meetings = 8, .leads = 40, .disqualified_minutes = 600};
	struct roi_group s = {
	    .minutes = 6000, .meetings = 80, .leads = 200, .disqualified_minutes = 1500};
	struct roi_time_saved t = {0};
	struct ls_err err = {{0}};
	double var, half, eff = 0, per_rep = 0, uplift = 0;

	/* Totals only: the figures, no interval. */
	TEST_CHECK("§5 ok", roi_time_saved(&h, &s, &params, &t, &err) == 0);
	TEST_NEAR("§5 hold-out minutes per meeting", t.mpm_holdout, 150, 1e-12);
	TEST_NEAR("§5 scored minutes per meeting", t.mpm_scored, 75, 1e-12);
	TEST_NEAR("§5 hours saved", t.hours_saved, (150.0 - 75.0) * 80.0 / 60.0, 1e-9);
	TEST_NEAR("§5 hours saved = 100", t.hours_saved, 100, 1e-9);
	TEST_NEAR("hold-out disqualified share", t.dq_share_holdout, 0.5, 1e-12);
	TEST_NEAR("scored disqualified share", t.dq_share_scored, 0.25, 1e-12);
	TEST_NEAR("hold-out meeting rate", t.meeting_rate_holdout, 0.2, 1e-12);
	TEST_NEAR("scored meeting rate", t.meeting_rate_scored, 0.4, 1e-12);
	TEST_CHECK("no interval without observations", t.has_interval == 0);
	TEST_CHECK("interval NAN", isnan(t.low) && isnan(t.high));
	TEST_CHECK("no interval: inconclusive", t.verdict == ROI_INCONCLUSIVE);

	/* With observations: the delta-method interval, worked out by hand.
	 * Hold-out d = x - 150y: -90 (x8), 22.5 (x32): sum d^2 = 81,000;
	 *   Var(R_h) = 40/39 x 81,000 / 8^2.
	 * Scored e = x - 150y: -105 (x80), 20 (x120), mean -30: deviations
	 *   -75 (x80), 50 (x120), sum of squares 750,000; Var = 200 x 750,000 / 199.
	 * Var(60 x hours) = 80^2 Var(R_h) + that. */
	h.obs = holdout_obs;
	h.nobs = 40;
	s.obs = scored_obs;
	s.nobs = 200;
	var = 6400.0 * (40.0 / 39.0 * 81000.0 / 64.0) + 200.0 * 750000.0 / 199.0;
	half = 1.959963984540054 * sqrt(var) / 60.0;
	TEST_CHECK("§5 with obs ok", roi_time_saved(&h, &s, &params, &t, &err) == 0);
	TEST_CHECK("interval present", t.has_interval == 1);
	TEST_NEAR("same point estimate", t.hours_saved, 100, 1e-9);
	TEST_NEAR("interval low", t.low, 100 - half, 1e-9);
	TEST_NEAR("interval high", t.high, 100 + half, 1e-9);
	TEST_CHECK("contains the estimate", t.low < t.hours_saved && t.hours_saved < t.high);
	TEST_CHECK("saving", t.verdict == ROI_SAVING);
	TEST_STREQ("saving name", roi_verdict_name(t.verdict), "saving");

	/* Money from the hours: 45 an hour; 10 reps over the 7-day window. */
	TEST_CHECK("efficiency value", roi_efficiency_value(t.hours_saved, 45, &eff, &err) == 0);
	TEST_NEAR("efficiency value = hours x cost", eff, 4500, 1e-9);
	TEST_CHECK("per rep week",
	           roi_hours_per_rep_week(t.hours_saved, 10, 7, &per_rep, &err) == 0);
	TEST_NEAR("10 hours per rep per week", per_rep, 10, 1e-12);
	TEST_CHECK("per rep 2 weeks", roi_hours_per_rep_week(100, 10, 14, &per_rep, &err) == 0);
	TEST_NEAR("5 hours per rep per week", per_rep, 5, 1e-12);
	/* (0.4 - 0.2) x 200 leads x 500 a meeting. */
	TEST_CHECK("uplift", roi_meeting_uplift(&h, &s, 500, &uplift, &err) == 0);
	TEST_NEAR("uplift value", uplift, 0.2 * 200 * 500, 1e-9);
}

static void
test_interval_narrows(void)
{
	struct roi_group h = {
	    .minutes = 1200, .meetings = 8, .leads = 40, .obs = holdout_obs, .nobs = 40};
	struct roi_group s = {
	    .minutes = 6000, .meetings = 80, .leads = 200, .obs = scored_obs, .nobs = 200};
	struct roi_time_saved small = {0}, big = {0};
	struct ls_err err = {{0}};

	TEST_CHECK("small", roi_time_saved(&h, &s, &params, &small, &err) == 0);
	/* Four times the hold-out, same mix: same estimate, tighter interval. */
	h.minutes = 4800;
	h.meetings = 32;
	h.leads = 160;
	h.nobs = 160;
	TEST_CHECK("big", roi_time_saved(&h, &s, &params, &big, &err) == 0);
	TEST_NEAR("same estimate", big.hours_saved, small.hours_saved, 1e-9);
	TEST_CHECK("narrower", big.high - big.low < small.high - small.low);
	TEST_CHECK("big contains estimate",
	           big.low < big.hours_saved && big.hours_saved < big.high);
}

static void
test_time_saved_tiny_by_hand(void)
{
	/* Hold-out (30,1) (10,0) (20,1): R_h = 30, d = 0, 10, -10, Var(R_h) = 3/2 x 200 / 4 = 75.
	 * Scored (10,1) (5,0) (15,1) (10,1): e = -20, 5, -15, -20, mean -12.5,
	 * squares 56.25 + 306.25 + 6.25 + 56.25 = 425, n s^2 = 4 x 425 / 3.
	 * hours = (30 x 3 - 40) / 60; Var(60 hours) = 9 x 75 + 4 x 425 / 3. */
	struct roi_lead ho[] = {{30, 1}, {10, 0}, {20, 1}};
	struct roi_lead so[] = {{10, 1}, {5, 0}, {15, 1}, {10, 1}};
	struct roi_group h = {.minutes = 60, .meetings = 2, .leads = 3, .obs = ho, .nobs = 3};
	struct roi_group s = {.minutes = 40, .meetings = 3, .leads = 4, .obs = so, .nobs = 4};
	struct roi_time_params p = {.min_holdout_meetings = 2, .z = 2};
	struct roi_time_saved t = {0};
	struct ls_err err = {{0}};
	double se = sqrt(9.0 * 75.0 + 4.0 * 425.0 / 3.0) / 60.0;

	TEST_CHECK("tiny ok", roi_time_saved(&h, &s, &p, &t, &err) == 0);
	TEST_NEAR("tiny hours", t.hours_saved, 50.0 / 60.0, 1e-12);
	TEST_NEAR("tiny low", t.low, 50.0 / 60.0 - 2 * se, 1e-12);
	TEST_NEAR("tiny high", t.high, 50.0 / 60.0 + 2 * se, 1e-12);
	TEST_CHECK("spans 0: inconclusive", t.verdict == ROI_INCONCLUSIVE);
	TEST_STREQ("inconclusive name", roi_verdict_name(t.verdict), "inconclusive");

	/* One observation per group is too few for a variance. */
	h = (struct roi_group){.minutes = 30, .meetings = 1, .leads = 1, .obs = ho, .nobs = 1};
	p.min_holdout_meetings = 1;
	TEST_CHECK("one obs ok", roi_time_saved(&h, &s, &p, &t, &err) == 0);
	TEST_CHECK("one obs: no interval", t.has_interval == 0);
	TEST_NEAR("one obs estimate", t.hours_saved, (30.0 * 3 - 40) / 60.0, 1e-12);
}

static void
test_not_enough_data(void)
{
	struct roi_lead ho[] = {{100, 1}, {200, 1}, {150, 1}, {50, 0}};
	struct roi_group h = {.minutes = 500, .meetings = 3, .leads = 4, .obs = ho, .nobs = 4};
	struct roi_group s = {
	    .minutes = 6000, .meetings = 80, .leads = 200, .obs = scored_obs, .nobs = 200};
	struct roi_group empty = {0};
	struct roi_time_saved t = {0};
	struct ls_err err = {{0}};

	/* Three hold-out meetings against a minimum of five: the figure and its
	 * interval are still given, but the verdict says they cannot be trusted. */
	TEST_CHECK("small hold-out ok", roi_time_saved(&h, &s, &params, &t, &err) == 0);
	TEST_CHECK("not enough data", t.verdict == ROI_NOT_ENOUGH_DATA);
	TEST_STREQ("not enough data name", roi_verdict_name(t.verdict), "not enough data");
	TEST_NEAR("estimate still shown", t.hours_saved, (500.0 / 3.0 * 80 - 6000) / 60.0, 1e-9);
	TEST_CHECK("interval still shown", t.has_interval == 1 && t.low < t.high);

	/* Hold-out with no meetings at all: nothing to compare against. */
	TEST_CHECK("empty hold-out ok", roi_time_saved(&empty, &s, &params, &t, &err) == 0);
	TEST_CHECK("empty: not enough data", t.verdict == ROI_NOT_ENOUGH_DATA);
	TEST_CHECK("empty: no estimate", isnan(t.hours_saved));
	TEST_CHECK("empty: no mpm", isnan(t.mpm_holdout));
	TEST_CHECK("empty: no dq share", isnan(t.dq_share_holdout));
	TEST_CHECK("empty: no rate", isnan(t.meeting_rate_holdout));
	TEST_CHECK("empty: no interval", t.has_interval == 0 && isnan(t.low));
	TEST_NEAR("scored side still reported", t.mpm_scored, 75, 1e-12);

	/* A minimum of 0 still needs at least one hold-out meeting. */
	struct roi_time_params p0 = {.min_holdout_meetings = 0, .z = ROI_Z95};
	TEST_CHECK("min 0 ok", roi_time_saved(&empty, &s, &p0, &t, &err) == 0);
	TEST_CHECK("min 0: still not enough", t.verdict == ROI_NOT_ENOUGH_DATA);
}

static void
test_scored_without_meetings(void)
{
	struct roi_lead so[10];
	struct roi_group h = {
	    .minutes = 1200, .meetings = 8, .leads = 40, .obs = holdout_obs, .nobs = 40};
	struct roi_group s = {.minutes = 600, .meetings = 0, .leads = 10, .obs = so, .nobs = 10};
	struct roi_time_saved t = {0};
	struct ls_err err = {{0}};

	for (size_t i = 0; i < 10; i++)
		so[i] = (struct roi_lead){60, 0};
	/* No scored meeting: every scored minute is lost, 600 / 60 = 10 hours. The
	 * scored side has no spread; the hold-out ratio's spread is multiplied by 0. */
	TEST_CHECK("scored none ok", roi_time_saved(&h, &s, &params, &t, &err) == 0);
	TEST_CHECK("no scored mpm", isnan(t.mpm_scored));
	TEST_NEAR("hours lost", t.hours_saved, -10, 1e-9);
	TEST_NEAR("degenerate low", t.low, -10, 1e-9);
	TEST_NEAR("degenerate high", t.high, -10, 1e-9);
	TEST_CHECK("no saving", t.verdict == ROI_NO_SAVING);
	TEST_STREQ("no saving name", roi_verdict_name(t.verdict), "no saving");
	TEST_STREQ("unknown verdict", roi_verdict_name((enum roi_verdict)42), "unknown");
}

static void
test_time_saved_errors(void)
{
	struct roi_lead ho[] = {{30, 1}, {10, 0}, {20, 1}};
	struct roi_lead neg[] = {{30, 1}, {-10, 0}, {40, 1}};
	struct roi_group good = {.minutes = 60, .meetings = 2, .leads = 3, .obs = ho, .nobs = 3};
	struct roi_group g;
	struct roi_time_params p = params;
	struct roi_time_saved t = {0};
	struct ls_err err = {{0}};

	TEST_CHECK("no hold-out", roi_time_saved(NULL, &good, &params, &t, &err) == -1);
	TEST_STREQ("no hold-out reason", err.msg, "hold-out group: no figures");
	g = good;
	g.minutes = -1;
	TEST_CHECK("negative minutes", roi_time_saved(&good, &g, &params, &t, &err) == -1);
	TEST_STREQ("negative minutes reason", err.msg,
	           "scored group: minutes is -1, must not be negative");
	g = good;
	g.leads = NAN;
	TEST_CHECK("nan leads", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	TEST_STREQ("nan leads reason", err.msg, "hold-out group: leads is not a finite number");
	g = good;
	g.meetings = -2;
	TEST_CHECK("negative meetings", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	g = good;
	g.disqualified_minutes = -1;
	TEST_CHECK("negative dq", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	g.disqualified_minutes = 61;
	TEST_CHECK("dq above minutes", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	TEST_STREQ("dq reason", err.msg,
	           "hold-out group: 61 disqualified minutes exceed 60 minutes logged");
	g = good;
	g.obs = NULL;
	TEST_CHECK("obs missing", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	TEST_STREQ("obs missing reason", err.msg, "hold-out group: 3 observations but no array");
	g = good;
	g.obs = neg;
	TEST_CHECK("negative obs", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	TEST_STREQ("negative obs reason", err.msg,
	           "hold-out group: lead 1 has negative or non-finite figures");
	g = good;
	g.leads = 4;
	TEST_CHECK("obs count", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	TEST_STREQ("obs count reason", err.msg,
	           "hold-out group: 3 observations, but 4 leads worked");
	g = good;
	g.minutes = 61;
	TEST_CHECK("obs minutes", roi_time_saved(&good, &g, &params, &t, &err) == -1);
	TEST_STREQ("obs minutes reason", err.msg,
	           "scored group: observations sum to 60 minutes, totals say 61");
	g = good;
	g.meetings = 3;
	TEST_CHECK("obs meetings", roi_time_saved(&g, &good, &params, &t, &err) == -1);
	TEST_STREQ("obs meetings reason", err.msg,
	           "hold-out group: observations sum to 2 meetings, totals say 3");
	TEST_CHECK("no params", roi_time_saved(&good, &good, NULL, &t, &err) == -1);
	TEST_STREQ("no params reason", err.msg, "no time-saved parameters");
	p.z = 0;
	TEST_CHECK("z 0", roi_time_saved(&good, &good, &p, &t, &err) == -1);
	TEST_STREQ("z 0 reason", err.msg, "interval z is 0, must be above 0");
	p = params;
	p.min_holdout_meetings = -1;
	TEST_CHECK("negative minimum", roi_time_saved(&good, &good, &p, &t, &err) == -1);
	TEST_STREQ("negative minimum reason", err.msg,
	           "minimum hold-out meetings is -1, must not be negative");
}

static void
test_value_helpers_errors(void)
{
	struct roi_group h = {.minutes = 100, .meetings = 1, .leads = 10};
	struct roi_group none = {.minutes = 0, .meetings = 0, .leads = 0};
	struct roi_group bad = {.minutes = -1};
	struct ls_err err = {{0}};
	double v = 0;

	TEST_CHECK("negative hourly cost", roi_efficiency_value(10, -1, &v, &err) == -1);
	TEST_STREQ("hourly reason", err.msg, "hourly cost is -1, must not be negative");
	TEST_CHECK("nan hours", roi_efficiency_value(NAN, 45, &v, &err) == -1);
	TEST_CHECK("negative hours are a cost", roi_efficiency_value(-2, 45, &v, &err) == 0);
	TEST_NEAR("negative value", v, -90, 1e-12);
	TEST_CHECK("0 reps", roi_hours_per_rep_week(10, 0, 7, &v, &err) == -1);
	TEST_STREQ("0 reps reason", err.msg, "reps is 0, must be above 0");
	TEST_CHECK("0 days", roi_hours_per_rep_week(10, 2, 0, &v, &err) == -1);
	TEST_CHECK("nan hours per rep", roi_hours_per_rep_week(NAN, 2, 7, &v, &err) == -1);
	TEST_CHECK("uplift no leads", roi_meeting_uplift(&h, &none, 500, &v, &err) == -1);
	TEST_STREQ("uplift no leads reason", err.msg,
	           "meeting uplift needs leads worked in both groups");
	TEST_CHECK("uplift negative value", roi_meeting_uplift(&h, &h, -5, &v, &err) == -1);
	TEST_STREQ("uplift value reason", err.msg, "value per meeting is -5, must not be negative");
	TEST_CHECK("uplift bad group", roi_meeting_uplift(&bad, &h, 500, &v, &err) == -1);
	TEST_CHECK("uplift NULL group", roi_meeting_uplift(&h, NULL, 500, &v, &err) == -1);
	TEST_CHECK("uplift equal rates", roi_meeting_uplift(&h, &h, 500, &v, &err) == 0);
	TEST_NEAR("no uplift", v, 0, 1e-12);
}

static void
test_lift_table(void)
{
	struct roi_bucket b[] = {{100, 2}, {100, 5}, {100, 13}, {0, 0}};
	struct roi_bucket dead[] = {{50, 0}, {50, 0}};
	struct roi_bucket over[] = {{10, 11}};
	struct roi_bucket neg[] = {{10, 1}, {-1, 0}};
	struct roi_lift l[4];
	struct ls_err err = {{0}};
	double overall = 0;

	TEST_CHECK("lift ok", roi_lift_table(b, 4, l, &overall, &err) == 0);
	TEST_NEAR("overall", overall, 20.0 / 300.0, 1e-12);
	TEST_NEAR("rate 0", l[0].rate, 0.02, 1e-12);
	TEST_NEAR("rate 2", l[2].rate, 0.13, 1e-12);
	TEST_NEAR("lift 0", l[0].lift, 0.02 / (20.0 / 300.0), 1e-12);
	TEST_NEAR("lift 1", l[1].lift, 0.75, 1e-12);
	TEST_NEAR("lift 2", l[2].lift, 1.95, 1e-12);
	TEST_CHECK("empty bucket rate", isnan(l[3].rate));
	TEST_CHECK("empty bucket lift", isnan(l[3].lift));

	TEST_CHECK("no conversions ok", roi_lift_table(dead, 2, l, &overall, &err) == 0);
	TEST_NEAR("overall 0", overall, 0, 0);
	TEST_NEAR("rate 0 bucket", l[0].rate, 0, 0);
	TEST_CHECK("lift undefined", isnan(l[0].lift));

	TEST_CHECK("over", roi_lift_table(over, 1, l, &overall, &err) == -1);
	TEST_STREQ("over reason", err.msg, "bucket 0: 11 conversions exceed 10 leads");
	TEST_CHECK("negative", roi_lift_table(neg, 2, l, &overall, &err) == -1);
	TEST_STREQ("negative reason", err.msg, "bucket 1: negative or non-finite counts");
	TEST_CHECK("none", roi_lift_table(NULL, 0, l, &overall, &err) == -1);
	TEST_STREQ("none reason", err.msg, "no buckets given");
}

int
main(void)
{
	fill_example_obs();
	test_basic_example();
	test_basic_errors();
	test_annualise();
	test_risk_adjusted_example();
	test_scenario_errors();
	test_scenarios_from_multipliers();
	test_npv_example();
	test_efficiency_example();
	test_payback_edges();
	test_years_build();
	test_years_errors();
	test_time_saved_example();
	test_interval_narrows();
	test_time_saved_tiny_by_hand();
	test_not_enough_data();
	test_scored_without_meetings();
	test_time_saved_errors();
	test_value_helpers_errors();
	test_lift_table();
	return TEST_REPORT();
}
