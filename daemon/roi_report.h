/* roi_report.h: one window's time-saved and ROI figures, from outcomes and the configured costs. */
#ifndef LS_ROI_REPORT_H
#define LS_ROI_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "roi_store.h"

/* The roi.* configuration the figures need. */
struct roi_params {
	double hourly_cost;
	double value_per_meeting;
	double annual_tco;
	double initial_investment;
	double discount_rate;
	long horizon_years;
	double multiplier[3];  /* best, base, worst */
	double probability[3]; /* best, base, worst: sum to 1 */
	double min_holdout_meetings;
};

/* Checks the parameters the way --check-config must: probabilities sum to 1, no
 * negative costs, a discount rate above -100 %, a horizon of 1..50 years. */
int roi_params_check(const struct roi_params *p, struct ls_err *err) LS_MUST_CHECK;

/* The figures as JSON (ratios as fractions; a figure that cannot be computed is null):
 * from, to, window, days, reps, verdict, hours_saved, hours_saved_low, hours_saved_high,
 * hours_saved_per_rep_week, groups {scored, holdout}, efficiency_value,
 * meeting_uplift_value, annual_value, basic_roi, expected_value, risk_adjusted_roi, npv,
 * npv_roi, payback_years, break_even_year, lift {tiers, deciles}. */
json_t *roi_report_build(const struct roi_window_data *w, const struct roi_params *p,
			 int64_t from_us, int64_t to_us, const char *window,
			 struct ls_err *err) LS_MUST_CHECK;

#endif
