/* roi_calc.c: ROI tiers (basic, risk-adjusted, NPV) and time saved by scoring, as pure arithmetic.
 */
#include "roi_calc.h"

#include <math.h>
#include <stdio.h>

/* Sums of logged minutes are exact in practice; this only absorbs float noise
 * when the caller's totals were accumulated in a different order. */
#define ROI_SUM_TOLERANCE 1e-9

static int
need_finite(double v, const char *what, struct ls_err *err)
{
	if (!isfinite(v))
		return ls_err_set(err, "%s is not a finite number", what);
	return 0;
}

static int
need_nonneg(double v, const char *what, struct ls_err *err)
{
	if (need_finite(v, what, err) == -1)
		return -1;
	if (v < 0)
		return ls_err_set(err, "%s is %g, must not be negative", what, v);
	return 0;
}

static int
need_positive(double v, const char *what, struct ls_err *err)
{
	if (need_finite(v, what, err) == -1)
		return -1;
	if (v <= 0)
		return ls_err_set(err, "%s is %g, must be above 0", what, v);
	return 0;
}

static double
ratio_or_nan(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

double
roi_value_total(const struct roi_value *v)
{
	return v->efficiency + v->revenue + v->risk;
}

int
roi_basic(double value, double tco, double *roi, struct ls_err *err)
{
	if (need_finite(value, "annual value", err) == -1 ||
	    need_positive(tco, "annual TCO", err) == -1)
		return -1;
	*roi = (value - tco) / tco;
	return 0;
}

int
roi_annualise(double value, double days, double *annual, struct ls_err *err)
{
	if (need_finite(value, "value", err) == -1 || need_positive(days, "window days", err) == -1)
		return -1;
	*annual = value * 365.0 / days;
	return 0;
}

static void
scenario_label(const char *name, size_t i, char *buf, size_t size)
{
	if (name != NULL)
		snprintf(buf, size, "scenario '%s'", name);
	else
		snprintf(buf, size, "scenario %zu", i + 1);
}

/* The part of the scenario check shared by both ways of stating scenarios. */
static int
check_probability(const char *name, size_t i, double p, struct ls_err *err)
{
	char label[96];

	scenario_label(name, i, label, sizeof(label));
	if (!isfinite(p) || p < 0 || p > 1)
		return ls_err_set(err, "%s: probability %g is outside [0, 1]", label, p);
	return 0;
}

static int
check_probability_sum(double sum, struct ls_err *err)
{
	if (fabs(sum - 1.0) > ROI_PROB_TOLERANCE)
		return ls_err_set(err, "scenario probabilities sum to %g, not 1", sum);
	return 0;
}

int
roi_scenarios_check(const struct roi_scenario *s, size_t n, struct ls_err *err)
{
	char label[96];
	double sum = 0;

	if (s == NULL || n == 0)
		return ls_err_set(err, "no scenarios given");
	for (size_t i = 0; i < n; i++) {
		if (check_probability(s[i].name, i, s[i].probability, err) == -1)
			return -1;
		if (!isfinite(s[i].value)) {
			scenario_label(s[i].name, i, label, sizeof(label));
			return ls_err_set(err, "%s: value is not a finite number", label);
		}
		sum += s[i].probability;
	}
	return check_probability_sum(sum, err);
}

int
roi_scenarios_from_multipliers(double base_value, const struct roi_multiplier *m, size_t n,
                               struct roi_scenario *out, struct ls_err *err)
{
	char label[96];
	double sum = 0;

	if (need_finite(base_value, "base annual value", err) == -1)
		return -1;
	if (m == NULL || n == 0)
		return ls_err_set(err, "no scenarios given");
	for (size_t i = 0; i < n; i++) {
		if (check_probability(m[i].name, i, m[i].probability, err) == -1)
			return -1;
		if (!isfinite(m[i].multiplier) || m[i].multiplier < 0) {
			scenario_label(m[i].name, i, label, sizeof(label));
			return ls_err_set(err, "%s: multiplier %g must be a number >= 0", label,
			                  m[i].multiplier);
		}
		sum += m[i].probability;
	}
	if (check_probability_sum(sum, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		out[i].name = m[i].name;
		out[i].value = base_value * m[i].multiplier;
		out[i].probability = m[i].probability;
	}
	return 0;
}

int
roi_risk_adjusted(const struct roi_scenario *s, size_t n, double tco, struct roi_risk *out,
                  struct ls_err *err)
{
	double ev = 0;

	if (roi_scenarios_check(s, n, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		ev += s[i].value * s[i].probability;
	if (roi_basic(ev, tco, &out->roi, err) == -1)
		return -1;
	out->expected_value = ev;
	return 0;
}

static int
check_year(const struct roi_year *y, size_t k, struct ls_err *err)
{
	if (!isfinite(y->cost) || !isfinite(y->efficiency) || !isfinite(y->revenue) ||
	    !isfinite(y->risk))
		return ls_err_set(err, "year %zu: a figure is not a finite number", k);
	if (y->cost < 0)
		return ls_err_set(err, "year %zu: cost %g is negative", k, y->cost);
	return 0;
}

/* Interpolates within the break-even year; see struct roi_multiyear. */
static double
payback_years(int year, double cumulative_before, double net)
{
	if (year == 0)
		return 0;
	return (double)(year - 1) + -cumulative_before / net;
}

int
roi_years_eval(const struct roi_year *y, size_t n, double rate, struct roi_flow *flows,
               struct roi_multiyear *out, struct ls_err *err)
{
	struct roi_multiyear r = {.break_even_year = -1, .payback_years = -1};
	double cum = 0;

	if (y == NULL || n == 0)
		return ls_err_set(err, "no years given");
	if (n > 1000)
		return ls_err_set(err, "%zu years is not a plausible horizon", n);
	if (!isfinite(rate) || rate <= -1)
		return ls_err_set(err, "discount rate %g must be above -1", rate);
	for (size_t k = 0; k < n; k++) {
		if (check_year(&y[k], k, err) == -1)
			return -1;
	}
	for (size_t k = 0; k < n; k++) {
		double factor = pow(1.0 + rate, (double)k);
		double net = y[k].efficiency + y[k].revenue + y[k].risk - y[k].cost;
		double before = cum;

		cum += net;
		r.total_cost += y[k].cost;
		r.npv += net / factor;
		r.pv_cost += y[k].cost / factor;
		if (r.break_even_year == -1 && cum > 0) {
			r.break_even_year = (int)k;
			r.payback_years = payback_years((int)k, before, net);
		}
		if (flows != NULL) {
			flows[k].net = net;
			flows[k].cumulative = cum;
			flows[k].pv_net = net / factor;
			flows[k].pv_cost = y[k].cost / factor;
		}
	}
	if (r.total_cost <= 0)
		return ls_err_set(err, "total cost is 0: ROI is undefined");
	r.total_net = cum;
	r.roi = cum / r.total_cost;
	r.npv_roi = r.npv / r.pv_cost;
	*out = r;
	return 0;
}

int
roi_years_build(double initial_investment, double annual_tco, const struct roi_value *annual,
                unsigned horizon_years, struct roi_year *out, size_t out_len, struct ls_err *err)
{
	if (need_nonneg(initial_investment, "initial investment", err) == -1 ||
	    need_nonneg(annual_tco, "annual TCO", err) == -1)
		return -1;
	if (annual == NULL || !isfinite(roi_value_total(annual)))
		return ls_err_set(err, "annual value is not a finite number");
	if (horizon_years == 0)
		return ls_err_set(err, "horizon must be at least 1 year");
	if (out == NULL || out_len < (size_t)horizon_years + 1)
		return ls_err_set(err, "a %u-year horizon needs %zu rows, have %zu", horizon_years,
		                  (size_t)horizon_years + 1, out == NULL ? (size_t)0 : out_len);
	out[0] = (struct roi_year){.cost = initial_investment};
	for (size_t k = 1; k <= horizon_years; k++) {
		out[k] = (struct roi_year){.cost = annual_tco,
		                           .efficiency = annual->efficiency,
		                           .revenue = annual->revenue,
		                           .risk = annual->risk};
	}
	return 0;
}

/* ---- time saved ---- */

const char *
roi_verdict_name(enum roi_verdict v)
{
	switch (v) {
	case ROI_NOT_ENOUGH_DATA:
		return "not enough data";
	case ROI_INCONCLUSIVE:
		return "inconclusive";
	case ROI_SAVING:
		return "saving";
	case ROI_NO_SAVING:
		return "no saving";
	}
	return "unknown";
}

static int
sums_agree(double sum, double total)
{
	return fabs(sum - total) <= ROI_SUM_TOLERANCE * fmax(1.0, fabs(total));
}

static int
check_obs(const struct roi_group *g, const char *label, struct ls_err *err)
{
	double minutes = 0, meetings = 0;

	if (g->nobs == 0)
		return 0;
	if (g->obs == NULL)
		return ls_err_set(err, "%s: %zu observations but no array", label, g->nobs);
	for (size_t i = 0; i < g->nobs; i++) {
		const struct roi_lead *o = &g->obs[i];

		if (!isfinite(o->minutes) || !isfinite(o->meetings) || o->minutes < 0 ||
		    o->meetings < 0)
			return ls_err_set(err, "%s: lead %zu has negative or non-finite figures",
			                  label, i);
		minutes += o->minutes;
		meetings += o->meetings;
	}
	if ((double)g->nobs != g->leads)
		return ls_err_set(err, "%s: %zu observations, but %g leads worked", label, g->nobs,
		                  g->leads);
	if (!sums_agree(minutes, g->minutes))
		return ls_err_set(err, "%s: observations sum to %g minutes, totals say %g", label,
		                  minutes, g->minutes);
	if (!sums_agree(meetings, g->meetings))
		return ls_err_set(err, "%s: observations sum to %g meetings, totals say %g", label,
		                  meetings, g->meetings);
	return 0;
}

static int
check_group(const struct roi_group *g, const char *label, struct ls_err *err)
{
	if (g == NULL)
		return ls_err_set(err, "%s: no figures", label);
	if (need_nonneg(g->minutes, "minutes", err) == -1 ||
	    need_nonneg(g->meetings, "meetings", err) == -1 ||
	    need_nonneg(g->leads, "leads", err) == -1 ||
	    need_nonneg(g->disqualified_minutes, "disqualified minutes", err) == -1)
		return ls_err_prefix(err, "%s", label);
	if (g->disqualified_minutes > g->minutes)
		return ls_err_set(err, "%s: %g disqualified minutes exceed %g minutes logged",
		                  label, g->disqualified_minutes, g->minutes);
	return check_obs(g, label, err);
}

static int
check_params(const struct roi_time_params *p, struct ls_err *err)
{
	if (p == NULL)
		return ls_err_set(err, "no time-saved parameters");
	if (need_nonneg(p->min_holdout_meetings, "minimum hold-out meetings", err) == -1 ||
	    need_positive(p->z, "interval z", err) == -1)
		return -1;
	return 0;
}

/* Var(R_h) of the hold-out's ratio of sums; needs n >= 2 and meetings > 0. */
static double
holdout_ratio_var(const struct roi_group *h, double r)
{
	double n = (double)h->nobs, ss = 0;

	for (size_t i = 0; i < h->nobs; i++) {
		double d = h->obs[i].minutes - r * h->obs[i].meetings;

		ss += d * d;
	}
	return n / (n - 1) * ss / (h->meetings * h->meetings);
}

/* Var of sum over scored leads of (x_i - r y_i), r held fixed; needs n >= 2. */
static double
scored_sum_var(const struct roi_group *s, double r)
{
	double n = (double)s->nobs, mean, ss = 0;

	mean = (s->minutes - r * s->meetings) / n;
	for (size_t i = 0; i < s->nobs; i++) {
		double d = s->obs[i].minutes - r * s->obs[i].meetings - mean;

		ss += d * d;
	}
	return n * ss / (n - 1);
}

static enum roi_verdict
verdict(const struct roi_group *h, const struct roi_time_params *p, const struct roi_time_saved *t)
{
	if (h->meetings <= 0 || h->meetings < p->min_holdout_meetings)
		return ROI_NOT_ENOUGH_DATA;
	if (!t->has_interval || (t->low <= 0 && t->high >= 0))
		return ROI_INCONCLUSIVE;
	return t->low > 0 ? ROI_SAVING : ROI_NO_SAVING;
}

int
roi_time_saved(const struct roi_group *holdout, const struct roi_group *scored,
               const struct roi_time_params *p, struct roi_time_saved *out, struct ls_err *err)
{
	struct roi_time_saved t = {.hours_saved = NAN, .low = NAN, .high = NAN};

	if (check_group(holdout, "hold-out group", err) == -1 ||
	    check_group(scored, "scored group", err) == -1 || check_params(p, err) == -1)
		return -1;
	t.mpm_holdout = ratio_or_nan(holdout->minutes, holdout->meetings);
	t.mpm_scored = ratio_or_nan(scored->minutes, scored->meetings);
	t.dq_share_holdout = ratio_or_nan(holdout->disqualified_minutes, holdout->minutes);
	t.dq_share_scored = ratio_or_nan(scored->disqualified_minutes, scored->minutes);
	t.meeting_rate_holdout = ratio_or_nan(holdout->meetings, holdout->leads);
	t.meeting_rate_scored = ratio_or_nan(scored->meetings, scored->leads);
	if (holdout->meetings > 0) {
		double r = t.mpm_holdout;

		t.hours_saved = (r * scored->meetings - scored->minutes) / 60.0;
		if (holdout->nobs >= 2 && scored->nobs >= 2) {
			double var =
			    scored->meetings * scored->meetings * holdout_ratio_var(holdout, r) +
			    scored_sum_var(scored, r);
			double half = p->z * sqrt(var) / 60.0;

			t.has_interval = 1;
			t.low = t.hours_saved - half;
			t.high = t.hours_saved + half;
		}
	}
	t.verdict = verdict(holdout, p, &t);
	*out = t;
	return 0;
}

int
roi_efficiency_value(double hours, double hourly_cost, double *value, struct ls_err *err)
{
	if (need_finite(hours, "hours saved", err) == -1 ||
	    need_nonneg(hourly_cost, "hourly cost", err) == -1)
		return -1;
	*value = hours * hourly_cost;
	return 0;
}

int
roi_hours_per_rep_week(double hours, double reps, double days, double *out, struct ls_err *err)
{
	if (need_finite(hours, "hours saved", err) == -1 ||
	    need_positive(reps, "reps", err) == -1 || need_positive(days, "window days", err) == -1)
		return -1;
	*out = hours / reps / (days / 7.0);
	return 0;
}

int
roi_meeting_uplift(const struct roi_group *holdout, const struct roi_group *scored,
                   double value_per_meeting, double *value, struct ls_err *err)
{
	double uplift;

	if (check_group(holdout, "hold-out group", err) == -1 ||
	    check_group(scored, "scored group", err) == -1 ||
	    need_nonneg(value_per_meeting, "value per meeting", err) == -1)
		return -1;
	if (holdout->leads <= 0 || scored->leads <= 0)
		return ls_err_set(err, "meeting uplift needs leads worked in both groups");
	uplift = scored->meetings / scored->leads - holdout->meetings / holdout->leads;
	*value = uplift * scored->leads * value_per_meeting;
	return 0;
}

int
roi_lift_table(const struct roi_bucket *b, size_t n, struct roi_lift *out, double *overall,
               struct ls_err *err)
{
	double leads = 0, conv = 0, all;

	if (b == NULL || n == 0)
		return ls_err_set(err, "no buckets given");
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(b[i].leads) || !isfinite(b[i].conversions) || b[i].leads < 0 ||
		    b[i].conversions < 0)
			return ls_err_set(err, "bucket %zu: negative or non-finite counts", i);
		if (b[i].conversions > b[i].leads)
			return ls_err_set(err, "bucket %zu: %g conversions exceed %g leads", i,
			                  b[i].conversions, b[i].leads);
		leads += b[i].leads;
		conv += b[i].conversions;
	}
	all = ratio_or_nan(conv, leads);
	for (size_t i = 0; i < n; i++) {
		out[i].rate = ratio_or_nan(b[i].conversions, b[i].leads);
		out[i].lift =
		    isnan(out[i].rate) || isnan(all) ? NAN : ratio_or_nan(out[i].rate, all);
	}
	*overall = all;
	return 0;
}
