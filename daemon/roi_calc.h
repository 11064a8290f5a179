/* roi_calc.h: the ROI and time-saved calculator: figures in, figures out, no I/O. */
#ifndef LS_ROI_CALC_H
#define LS_ROI_CALC_H

#include <stddef.h>

#include "err.h"

/*
 * All ratios are fractions (0.2 for 20 %). Amounts are in the configured
 * currency; minutes and hours are what they say. A figure that is undefined
 * (a rate over zero leads, minutes per meeting with no meetings) is NAN:
 * the caller renders it as "n/a" or JSON null, never as a number.
 */

/* The standard normal quantile for a two-sided 95 % interval. */
#define ROI_Z95 1.959963984540054

/* Probabilities must sum to 1 within this, else the scenarios are refused. */
#define ROI_PROB_TOLERANCE 1e-9

/* ---- Tier 1: basic ROI ---- */

/* Annual value split as the framework reports it. */
struct roi_value {
	double efficiency; /* time and staff saved */
	double revenue;    /* extra sales, e.g. meeting uplift */
	double risk;       /* losses avoided */
};

double roi_value_total(const struct roi_value *v);

/* (value - tco) / tco. Refuses tco <= 0 and non-finite inputs. */
int roi_basic(double value, double tco, double *roi, struct ls_err *err) LS_MUST_CHECK;

/* A value over a window of `days` scaled to a 365-day year. days > 0. */
int roi_annualise(double value, double days, double *annual, struct ls_err *err) LS_MUST_CHECK;

/* ---- Tier 2: risk-adjusted ROI over scenarios ---- */

struct roi_scenario {
	const char *name; /* "best", "base", "worst"; may be NULL */
	double value;     /* annual value in this scenario */
	double probability;
};

/* The configuration states scenarios as multipliers of the base annual value. */
struct roi_multiplier {
	const char *name;
	double multiplier; /* >= 0 */
	double probability;
};

/* 0 when n >= 1, every probability is in [0, 1], every value is finite and the
 * probabilities sum to 1 within ROI_PROB_TOLERANCE; else -1 with a reason such as
 * "scenario probabilities sum to 0.9, not 1" (a configuration error). */
int roi_scenarios_check(const struct roi_scenario *s, size_t n, struct ls_err *err) LS_MUST_CHECK;

/* out[i] = {m[i].name, base_value * m[i].multiplier, m[i].probability}, after the
 * same probability checks as roi_scenarios_check. out holds n entries. */
int roi_scenarios_from_multipliers(double base_value, const struct roi_multiplier *m, size_t n,
                                   struct roi_scenario *out, struct ls_err *err) LS_MUST_CHECK;

struct roi_risk {
	double expected_value; /* sum of value x probability */
	double roi;            /* (expected_value - tco) / tco */
};

int roi_risk_adjusted(const struct roi_scenario *s, size_t n, double tco, struct roi_risk *out,
                      struct ls_err *err) LS_MUST_CHECK;

/* ---- Tier 3: multi-year cash flows, NPV, payback ---- */

/* One year of the plan; year 0 is the start (the initial investment). */
struct roi_year {
	double cost; /* >= 0 */
	double efficiency;
	double revenue;
	double risk;
};

/* Per-year figures, for a report table. */
struct roi_flow {
	double net;        /* efficiency + revenue + risk - cost */
	double cumulative; /* sum of net over years 0..this one */
	double pv_net;     /* net / (1 + rate)^year */
	double pv_cost;    /* cost / (1 + rate)^year */
};

struct roi_multiyear {
	double total_cost;
	double total_net; /* the cumulative net at the end of the horizon */
	double roi;       /* total_net / total_cost */
	double npv;       /* sum of pv_net */
	double pv_cost;   /* sum of pv_cost */
	double npv_roi;   /* npv / pv_cost */
	/* The first year whose cumulative net is > 0; -1 if it never is. */
	int break_even_year;
	/* Years from the start until the cumulative net reaches 0. Year 0's flows
	 * fall at time 0; year k's accrue evenly over (k-1, k], so with break-even
	 * year k >= 1 the payback is (k - 1) + (-cumulative[k-1]) / net[k]
	 * (e.g. 1.68 when year 1 ends at -230,000 and year 2 nets 340,000).
	 * 0 when year 0 already breaks even; -1 if the plan never does. */
	double payback_years;
};

/* Evaluates years 0..n-1 at the discount rate (> -1; 0.08 for 8 %). flows may be
 * NULL, else it receives n entries. Refuses negative costs, a total cost of 0,
 * non-finite figures and n == 0. */
int roi_years_eval(const struct roi_year *y, size_t n, double rate, struct roi_flow *flows,
                   struct roi_multiyear *out, struct ls_err *err) LS_MUST_CHECK;

/* Builds the plan from the configuration: year 0 costs initial_investment and
 * yields nothing; years 1..horizon_years cost annual_tco and yield *annual.
 * out must hold horizon_years + 1 entries (out_len says how many it holds). */
int roi_years_build(double initial_investment, double annual_tco, const struct roi_value *annual,
                    unsigned horizon_years, struct roi_year *out, size_t out_len,
                    struct ls_err *err) LS_MUST_CHECK;

/* ---- Time saved by scoring: hold-out group against scored group ---- */

/* One lead worked in the window. */
struct roi_lead {
	double minutes;
	double meetings; /* meetings booked from this lead: 0 or 1 as a rule */
};

/* One group's figures over one window. */
struct roi_group {
	double minutes;              /* minutes logged */
	double meetings;             /* meetings booked */
	double leads;                /* leads worked */
	double disqualified_minutes; /* minutes logged on leads later disqualified */
	/* Optional per-lead observations for the interval. When given they must
	 * agree with the totals above: nobs == leads, and they sum to minutes and
	 * meetings. */
	const struct roi_lead *obs;
	size_t nobs;
};

struct roi_time_params {
	/* Fewer hold-out meetings than this gives "not enough data". */
	double min_holdout_meetings;
	/* Interval half-width in standard errors, e.g. ROI_Z95. */
	double z;
};

enum roi_verdict {
	ROI_NOT_ENOUGH_DATA, /* hold-out without meetings, or fewer than the minimum */
	ROI_INCONCLUSIVE,    /* interval spans 0, or no per-lead data for an interval */
	ROI_SAVING,          /* whole interval above 0 */
	ROI_NO_SAVING        /* whole interval below 0: scoring costs time */
};

/* "not enough data", "inconclusive", "saving", "no saving". */
const char *roi_verdict_name(enum roi_verdict v);

/*
 * Hours saved = (holdout minutes per meeting - scored minutes per meeting)
 *               x scored meetings / 60
 *             = (R_h x K_s - M_s) / 60,
 * with R_h = M_h / K_h the hold-out's minutes per meeting (a ratio of sums),
 * M and K a group's minutes and meetings. The second form stays defined when
 * the scored group booked nothing (then every scored minute counts as lost).
 *
 * Interval (delta method, the two groups independent samples of leads):
 *   Var(R_h) = n_h / (n_h - 1) x sum_h (x_i - R_h y_i)^2 / K_h^2
 *   Var(sum_s (x_i - R_h y_i)) = n_s x s^2 of e_i = x_i - R_h y_i over scored leads
 *   Var(60 x hours) = K_s^2 Var(R_h) + n_s s^2
 *   interval = hours -/+ z x sqrt(Var(60 x hours)) / 60
 * x_i, y_i a lead's minutes and meetings. It needs at least two observations
 * in each group; without them has_interval is 0.
 */
struct roi_time_saved {
	double mpm_holdout;          /* minutes per meeting; NAN without meetings */
	double mpm_scored;           /* likewise */
	double dq_share_holdout;     /* disqualified minutes / minutes; NAN without minutes */
	double dq_share_scored;      /* likewise */
	double meeting_rate_holdout; /* meetings / leads; NAN without leads */
	double meeting_rate_scored;  /* likewise */
	double hours_saved;          /* NAN when the hold-out booked no meeting */
	int has_interval;
	double low, high; /* the interval when has_interval, else NAN */
	enum roi_verdict verdict;
};

/* Refuses negative or non-finite totals, disqualified minutes above minutes,
 * observations that disagree with the totals, and bad params. */
int roi_time_saved(const struct roi_group *holdout, const struct roi_group *scored,
                   const struct roi_time_params *p, struct roi_time_saved *out,
                   struct ls_err *err) LS_MUST_CHECK;

/* hours x hourly_cost; hourly_cost >= 0. */
int roi_efficiency_value(double hours, double hourly_cost, double *value,
                         struct ls_err *err) LS_MUST_CHECK;

/* hours / reps / (days / 7): hours saved per rep per week over a window of days. */
int roi_hours_per_rep_week(double hours, double reps, double days, double *out,
                           struct ls_err *err) LS_MUST_CHECK;

/* (scored meeting rate - hold-out meeting rate) x scored leads x value_per_meeting:
 * the value of the meetings the scored group booked beyond the hold-out's rate.
 * Both groups need leads > 0. */
int roi_meeting_uplift(const struct roi_group *holdout, const struct roi_group *scored,
                       double value_per_meeting, double *value, struct ls_err *err) LS_MUST_CHECK;

/* ---- Lift table: conversion by tier or score decile ---- */

struct roi_bucket {
	double leads;       /* leads worked in the bucket */
	double conversions; /* of those, converted (meeting booked); <= leads */
};

struct roi_lift {
	double rate; /* conversions / leads; NAN for an empty bucket */
	double lift; /* rate / overall rate; NAN when either is undefined or overall is 0 */
};

/* Fills out[0..n-1] and *overall (all conversions / all leads; NAN without leads). */
int roi_lift_table(const struct roi_bucket *b, size_t n, struct roi_lift *out, double *overall,
                   struct ls_err *err) LS_MUST_CHECK;

#endif
