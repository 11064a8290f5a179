/* roi_config.c: mapping roi.* keys onto the calculator's parameters. */
#include "roi_config.h"

#include <stdio.h>
#include <string.h>

#include "event.h"

void
roi_params_from_config(const struct config *cfg, struct roi_params *p)
{
	*p = (struct roi_params){
		.hourly_cost = cfg->roi_hourly_cost,
		.value_per_meeting = cfg->roi_value_per_meeting,
		.annual_tco = cfg->roi_annual_tco,
		.initial_investment = cfg->roi_initial_investment,
		.discount_rate = cfg->roi_discount_rate,
		.horizon_years = cfg->roi_horizon_years,
		.multiplier = {cfg->roi_best_multiplier, cfg->roi_base_multiplier,
			       cfg->roi_worst_multiplier},
		.probability = {cfg->roi_best_probability, cfg->roi_base_probability,
				cfg->roi_worst_probability},
		.min_holdout_meetings = (double)cfg->roi_min_holdout_meetings,
	};
}

long long
roi_window_us(const char *name)
{
	static const struct {
		const char *name;
		long long days;
	} windows[] = {{"day", 1}, {"week", 7}, {"month", 30}};

	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		if (strcmp(name, windows[i].name) == 0)
			return windows[i].days * 86400LL * 1000000LL;
	return 0;
}

int
roi_parse_when(const char *text, int64_t *us)
{
	char buf[64];

	if (strlen(text) == 10) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", text);
		text = buf;
	}
	return rfc3339_parse(text, us, NULL);
}
