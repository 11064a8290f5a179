/* cmd_roi.c: `leadscore roi`: time saved and ROI for a sales manager, as text, JSON or an SVG chart. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../daemon/config.h"
#include "../daemon/event.h"
#include "../daemon/roi_config.h"
#include "../daemon/roi_report.h"
#include "../daemon/roi_store.h"
#include "cli.h"
#include "roi_svg.h"

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: leadscore roi [-c FILE | --dsn DSN] [--from T] [--to T] [--window W] [--json]\n"
		"                     [--svg FILE]\n"
		"  Hours saved by scoring, measured against the hold-out group, and the ROI figures\n"
		"  from the roi.* costs in the daemon's configuration (-c; defaults otherwise).\n"
		"  --from, --to  RFC 3339 times or YYYY-MM-DD dates (default: the last --window)\n"
		"  --window W    day, week or month (default week)\n"
		"  --json        the figures as one JSON object\n"
		"  --svg FILE    also draw lift by score decile and hours saved over time\n");
}

/* A figure with `decimals` digits and a unit ("" or " %", " years"), or n/a when unset. */
static void
fmt_num(char *buf, size_t size, const json_t *v, int decimals, const char *unit, double scale)
{
	if (json_is_number(v))
		snprintf(buf, size, "%.*f%s", decimals, json_number_value(v) * scale, unit);
	else
		snprintf(buf, size, "n/a");
}

static void
print_groups(const json_t *r)
{
	const json_t *s = json_object_get(json_object_get(r, "groups"), "scored");
	const json_t *h = json_object_get(json_object_get(r, "groups"), "holdout");
	static const struct {
		const char *label, *key;
		int decimals;
		const char *unit;
		double scale;
	} rows[] = {
		{"leads worked", "leads", 0, "", 1},
		{"minutes logged", "minutes", 0, "", 1},
		{"meetings booked", "meetings", 0, "", 1},
		{"minutes per booked meeting", "minutes_per_meeting", 1, "", 1},
		{"share of minutes on disqualified leads", "disqualified_share", 1, " %", 100},
		{"meetings per lead worked", "meeting_rate", 3, "", 1},
	};
	char a[32], b[32];

	printf("\n%-40s %12s %12s\n", "", "scored", "hold-out");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fmt_num(a, sizeof(a), json_object_get(s, rows[i].key), rows[i].decimals, rows[i].unit,
			rows[i].scale);
		fmt_num(b, sizeof(b), json_object_get(h, rows[i].key), rows[i].decimals, rows[i].unit,
			rows[i].scale);
		printf("%-40s %12s %12s\n", rows[i].label, a, b);
	}
}

static void
print_lift(const json_t *r, const char *which, const char *title)
{
	const json_t *arr = json_object_get(json_object_get(r, "lift"), which), *b;
	char rate[16], lift[16];
	size_t i;

	printf("\n%s\n%-10s %8s %12s %8s %8s\n", title, "bucket", "leads", "conversions", "rate",
	       "lift");
	json_array_foreach(arr, i, b)
	{
		fmt_num(rate, sizeof(rate), json_object_get(b, "rate"), 1, " %", 100);
		fmt_num(lift, sizeof(lift), json_object_get(b, "lift"), 2, "", 1);
		printf("%-10s %8.0f %12.0f %8s %8s\n", json_string_value(json_object_get(b, "bucket")),
		       json_number_value(json_object_get(b, "leads")),
		       json_number_value(json_object_get(b, "conversions")), rate, lift);
	}
}

static void
print_report(const json_t *r, const struct roi_params *p)
{
	char per_rep[32], hours[32], low[32], high[32], basic[32], risk[32], v[32], npv[32],
	    npvroi[32], payback[32];
	const char *verdict = json_string_value(json_object_get(r, "verdict"));

	fmt_num(per_rep, sizeof(per_rep), json_object_get(r, "hours_saved_per_rep_week"), 1, "", 1);
	fmt_num(hours, sizeof(hours), json_object_get(r, "hours_saved"), 1, "", 1);
	fmt_num(low, sizeof(low), json_object_get(r, "hours_saved_low"), 1, "", 1);
	fmt_num(high, sizeof(high), json_object_get(r, "hours_saved_high"), 1, "", 1);
	fmt_num(basic, sizeof(basic), json_object_get(r, "basic_roi"), 1, " %", 100);
	fmt_num(risk, sizeof(risk), json_object_get(r, "risk_adjusted_roi"), 1, " %", 100);
	printf("leadscore ROI report, %s to %s (%.0f days, %lld reps)\n\n",
	       json_string_value(json_object_get(r, "from")),
	       json_string_value(json_object_get(r, "to")),
	       json_number_value(json_object_get(r, "days")),
	       (long long)json_integer_value(json_object_get(r, "reps")));
	printf("Summary: %s hours saved per rep per week; ROI %s (risk-adjusted %s).\n", per_rep,
	       basic, risk);
	printf("Hours saved in the window: %s (95 %% interval %s to %s). Verdict: %s.\n", hours,
	       low, high, verdict);
	if (verdict != NULL && strcmp(verdict, "not enough data") == 0)
		printf("The hold-out group booked fewer than %.0f meetings: too few for a firm "
		       "figure; the interval is what the data supports.\n",
		       p->min_holdout_meetings);
	print_groups(r);
	print_lift(r, "tiers", "Conversion by tier (meeting booked, all leads worked)");
	print_lift(r, "deciles", "Lift by score decile");
	fmt_num(v, sizeof(v), json_object_get(r, "annual_value"), 0, "", 1);
	fmt_num(npv, sizeof(npv), json_object_get(r, "npv"), 0, "", 1);
	fmt_num(npvroi, sizeof(npvroi), json_object_get(r, "npv_roi"), 1, " %", 100);
	fmt_num(payback, sizeof(payback), json_object_get(r, "payback_years"), 2, " years", 1);
	printf("\nROI tiers (annual TCO %.0f, initial investment %.0f)\n", p->annual_tco,
	       p->initial_investment);
	printf("  annualised value                 %s\n", v);
	printf("  basic ROI                        %s\n", basic);
	printf("  risk-adjusted ROI                %s (scenarios %.2f/%.2f/%.2f x value)\n", risk,
	       p->multiplier[0], p->multiplier[1], p->multiplier[2]);
	{
		char label[64];

		snprintf(label, sizeof(label), "NPV over %ld years at %.1f %%", p->horizon_years,
			 p->discount_rate * 100);
		printf("  %-32s %s\n", label, npv);
	}
	printf("  NPV-ROI                          %s\n", npvroi);
	printf("  payback                          %s\n", payback);
}

struct roi_opts {
	struct cli_db_opts db;
	const char *from, *to, *window, *svg;
	int json;
};

static int
parse(int argc, char **argv, struct roi_opts *o)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"dsn", required_argument, NULL, 'd'},
					     {"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"window", required_argument, NULL, 'w'},
					     {"svg", required_argument, NULL, 's'},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->window = "week";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cli_db_option(c, optarg, &o->db))
			continue;
		switch (c) {
		case 'f': o->from = optarg; break;
		case 't': o->to = optarg; break;
		case 'w': o->window = optarg; break;
		case 's': o->svg = optarg; break;
		case 'j': o->json = 1; break;
		case 'h': usage(stdout); return -1;
		default: return cli_bad_option("roi", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "leadscore roi: unexpected argument '%s'\n", argv[optind]);
		return CLI_USAGE;
	}
	if (roi_window_us(o->window) == 0) {
		fprintf(stderr, "leadscore roi: --window takes day, week or month, not '%s'\n",
			o->window);
		return CLI_USAGE;
	}
	return 0;
}

static int
load_params(const struct roi_opts *o, struct roi_params *p)
{
	struct ls_err err;
	struct config *cfg = o->db.config_path ? config_load(o->db.config_path, &err)
					       : config_defaults(&err);

	if (cfg == NULL) {
		fprintf(stderr, "leadscore roi: %s\n", err.msg);
		return -1;
	}
	roi_params_from_config(cfg, p);
	config_free(cfg);
	return 0;
}

static int
resolve_window(const struct roi_opts *o, int64_t *from, int64_t *to)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	*to = (int64_t)now.tv_sec * 1000000;
	if (o->to != NULL && roi_parse_when(o->to, to) < 0) {
		fprintf(stderr, "leadscore roi: --to needs an RFC 3339 time or a date, not '%s'\n",
			o->to);
		return -1;
	}
	*from = *to - roi_window_us(o->window);
	if (o->from != NULL && roi_parse_when(o->from, from) < 0) {
		fprintf(stderr, "leadscore roi: --from needs an RFC 3339 time or a date, not '%s'\n",
			o->from);
		return -1;
	}
	if (*from >= *to) {
		fprintf(stderr, "leadscore roi: --from must be before --to\n");
		return -1;
	}
	return 0;
}

static int
write_svg(PGconn *conn, const char *path, const json_t *r, int64_t from, int64_t to)
{
	struct roi_day *days = NULL;
	struct ls_err err;
	size_t ndays = 0;
	FILE *f;
	int rc;

	if (roi_store_persist_days(conn, from, to, &err) < 0 ||
	    roi_store_days(conn, from, to + 86400LL * 1000000, &days, &ndays, &err) < 0) {
		fprintf(stderr, "leadscore roi: %s\n", err.msg);
		return -1;
	}
	f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "leadscore roi: cannot write %s: %s\n", path, strerror(errno));
		free(days);
		return -1;
	}
	rc = roi_svg_write(f, r, days, ndays);
	if (fclose(f) != 0 || rc < 0) {
		fprintf(stderr, "leadscore roi: writing %s failed\n", path);
		rc = -1;
	}
	free(days);
	return rc;
}

int
cmd_roi(int argc, char **argv)
{
	struct roi_opts o;
	struct roi_params p;
	struct roi_window_data w;
	struct ls_err err;
	int64_t from, to;
	PGconn *conn;
	json_t *r = NULL;
	int rc = parse(argc, argv, &o);

	if (rc != 0)
		return rc < 0 ? CLI_OK : rc;
	if (resolve_window(&o, &from, &to) < 0)
		return CLI_USAGE;
	if (load_params(&o, &p) < 0)
		return CLI_FAIL;
	conn = cli_db_connect("roi", &o.db);
	if (conn == NULL)
		return CLI_FAIL;
	rc = CLI_FAIL;
	if (roi_store_window(conn, from, to, &w, &err) < 0 ||
	    (r = roi_report_build(&w, &p, from, to, o.window, &err)) == NULL) {
		fprintf(stderr, "leadscore roi: %s\n", err.msg);
		goto out;
	}
	if (o.json) {
		char *text = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(10));

		if (text != NULL)
			printf("%s\n", text);
		free(text);
	} else {
		print_report(r, &p);
	}
	if (o.svg != NULL && write_svg(conn, o.svg, r, from, to) < 0)
		goto out;
	rc = CLI_OK;
out:
	json_decref(r);
	roi_window_data_clear(&w); /* zeroed by roi_store_window even when it fails */
	PQfinish(conn);
	return rc;
}
