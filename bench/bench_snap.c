/* bench_snap.c: seeded training snapshots by binary COPY, and the trainer's time to read them. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/db.h"
#include "../daemon/snapshots.h"
#include "../model/snaprow.h"
#include "../model/train_db.h"
#include "common.h"
#include "pgcopy.h"

/*
 * usage:
 *   bench_snap gen --dsn DSN --spec FILE --rows N [--seed S] [--days D]
 *       Empties contacts, events and contact_snapshots, then writes N snapshot rows under the
 *       spec's hash, from a seeded simulation of contacts over D days (default 180) ending 30
 *       days (the label horizon) before 2026-01-01, so every row's label is known:
 *         - each contact has firmographics (company size, seniority, industry; a few
 *           missing), an engagement level, and a chance to convert that rises with both;
 *         - it is active on a number of days (about 20 on average, many with few), and on
 *           each it does a Poisson number of each signal's events; in the 30 days before a
 *           conversion the buying signals (pricing views, demo requests, replies...) ramp up;
 *         - a snapshot per active day holds the decayed signal counts at the end of that day
 *           (each signal's half-life from the spec), the attributes and the derived values,
 *           in the daemon's snapshot format (snaprow_to_json); no snapshot is taken on or
 *           after the day of the conversion;
 *       plus an events row per active day (its last event), an opportunity.created event per
 *       conversion (and deal.won for half), one events row at 2026-01-01 (the newest, so the
 *       labels of every snapshot are known) and a contacts row per contact (converted_at, last
 *       event). Rows, contacts and the share of positive rows are printed as results.
 *   bench_snap read --dsn DSN --spec FILE
 *       Times the trainer's read of those rows: the query and stream `leadscore train` runs
 *       (snapshot_read_examples, one row at a time, each row dropped), then the whole load
 *       (train_db_load: the same stream, parsed and labelled into the training dataset).
 */

#define END_US 1767225600000000LL /* 2026-01-01: the newest event */
#define DAY_US INT64_C(86400000000)
#define HORIZON_DAYS 30
#define MEAN_DAYS 20 /* active days per contact, on average */

/* A count as a result, every digit kept (bench_result keeps six). */
static void
result_count(const char *name, long n)
{
	printf("result %s %ld\n", name, n);
	fflush(stdout);
}

/* ---- a seeded stream ---- */

static uint64_t rng_state;

static double
uniform(void)
{
	return (double)(dataset_rand(&rng_state) >> 11) / 9007199254740992.0;
}

static double
normal(void)
{
	double u = uniform(), v = uniform();

	return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static long
poisson(double lambda)
{
	double l = exp(-lambda), p = 1.0;
	long k = 0;

	if (lambda > 30) /* a normal approximation keeps this loop short */
		return lround(fmax(0, lambda + sqrt(lambda) * normal()));
	do {
		k++;
		p *= uniform();
	} while (p > l);
	return k - 1;
}

static const char *
pick(const char *const *levels, const double *cum, size_t n)
{
	double u = uniform();

	for (size_t i = 0; i < n; i++)
		if (u < cum[i])
			return levels[i];
	return levels[n - 1];
}

/* ---- the simulation ---- */

/* Per signal: events on an active day for an average contact, and the factor in the 30 days
 * before a conversion. Signals of other names get the last line's. */
struct signal_sim {
	const char *name;
	double rate, ramp;
};

static const struct signal_sim signal_sims[] = {{"page_views", 3.0, 1.3},
                                                {"pricing_views", 0.15, 3.0},
                                                {"email_opens", 0.8, 1.2},
                                                {"email_clicks", 0.2, 1.5},
                                                {"email_replies", 0.03, 2.5},
                                                {"form_fills", 0.05, 2.0},
                                                {"content_downloads", 0.08, 1.5},
                                                {"webinars", 0.02, 1.5},
                                                {"demo_requests", 0.01, 6.0},
                                                {"intent", 0.2, 1.8},
                                                {"job_changes", 0.003, 1.0},
                                                {"funding", 0.002, 1.5},
                                                {NULL, 0.05, 1.0}};

static const char *const seniorities[] = {"c_level", "vp", "director", "manager", "individual"};
static const double seniority_cum[] = {0.08, 0.20, 0.40, 0.70, 1.0};
static const double seniority_fit[] = {0.8, 0.6, 0.4, 0.1, -0.3};
static const char *const industries[] = {"software", "finance",   "healthcare", "manufacturing",
                                         "retail",   "education", "other"};
static const double industry_cum[] = {0.30, 0.45, 0.57, 0.70, 0.80, 0.88, 1.0};
static const double industry_fit[] = {0.5, 0.3, 0.1, 0.0, -0.2, -0.4, -0.1};

struct gen {
	const struct featspec *spec;
	struct pgcopy snaps, events;
	const struct signal_sim **sims; /* per spec signal */
	double *decay;                  /* per spec signal: per microsecond */
	double *v;                      /* per spec signal: decayed count */
	struct raw_value *vals;         /* one row, spec field order */
	long rows, want, contacts, positives, conversions;
	int days;
	int64_t first_day_us; /* the window's first day */
};

/* A contact's attributes and hidden propensities. */
struct contact {
	char id[32];
	double size; /* < 0: missing */
	const char *seniority, *industry;
	double engagement;
	int64_t first_us, last_us, conv_us; /* conv_us 0: never converts */
};

static size_t
level_index(const char *const *levels, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (v == levels[i])
			return i;
	return 0;
}

static void
contact_new(struct contact *c, long num)
{
	double fit = 0, logit;

	snprintf(c->id, sizeof(c->id), "s%07ld", num);
	c->size = uniform() < 0.05 ? -1 : fmin(200000, fmax(1, round(exp(5.0 + 1.5 * normal()))));
	c->seniority = uniform() < 0.08 ? NULL : pick(seniorities, seniority_cum, 5);
	c->industry = uniform() < 0.05 ? NULL : pick(industries, industry_cum, 7);
	if (c->seniority != NULL)
		fit += seniority_fit[level_index(seniorities, 5, c->seniority)];
	if (c->industry != NULL)
		fit += industry_fit[level_index(industries, 7, c->industry)];
	if (c->size > 0)
		fit += 0.25 * (log10(c->size) - 2);
	c->engagement = exp(0.6 * normal());
	logit = -2.4 + 1.2 * fit + 0.9 * log(c->engagement) + 0.5 * normal();
	c->conv_us = 0;
	c->first_us = c->last_us = 0;
	if (uniform() < 1 / (1 + exp(-logit)))
		c->conv_us = 1; /* its day is chosen with the active days */
}

static const char *
field_str(const struct contact *c, const char *name)
{
	if (strcmp(name, "seniority") == 0)
		return c->seniority;
	if (strcmp(name, "industry") == 0)
		return c->industry;
	return NULL;
}

static void
put_event(struct gen *g, const struct contact *c, const char *id, const char *type, int64_t at)
{
	pgcopy_row(&g->events, 5);
	pgcopy_text(&g->events, c->id);
	pgcopy_text(&g->events, "bench://snap");
	pgcopy_text(&g->events, id);
	pgcopy_text(&g->events, type);
	pgcopy_ts(&g->events, at);
}

/* One active day: the day's events, then the snapshot as of its end. */
static int
active_day(struct gen *g, struct contact *c, int64_t day_us, int64_t prev_us, int nrecent,
           struct ls_err *err)
{
	const struct featspec *spec = g->spec;
	int64_t at = day_us + (int64_t)((8 + 12 * uniform()) * 3600e6), as_of = day_us + DAY_US - 1;
	int ramp = c->conv_us > 0 && c->conv_us - at < HORIZON_DAYS * DAY_US;
	struct raw_row row = {g->vals, spec->nfields};
	char eid[48], *text;
	json_t *doc;

	for (size_t j = 0; j < spec->nsignals; j++) {
		const struct signal_sim *s = g->sims[j];
		double lambda = s->rate * c->engagement * (ramp ? s->ramp : 1.0), add;

		add = (double)poisson(lambda);
		if (spec->signals[j].weight_field != NULL && add > 0)
			add *= 0.3 + 0.7 * uniform();
		g->v[j] = g->v[j] * exp(-g->decay[j] * (double)(at - prev_us)) + add;
	}
	for (size_t i = 0; i < spec->nfields; i++) {
		const struct field_def *f = &spec->fields[i];
		struct raw_value *rv = &g->vals[i];

		memset(rv, 0, sizeof(*rv));
		if (f->source == SOURCE_SIGNAL) {
			rv->num = g->v[f->source_index] *
			          exp(-g->decay[f->source_index] * (double)(as_of - at));
		} else if (f->source == SOURCE_DERIVED) {
			rv->num = f->source_index == DERIVED_DAYS_SINCE_ACTIVITY
			              ? (double)(as_of - at) / (double)DAY_US
			          : f->source_index == DERIVED_ACTIVE_DAYS_30
			              ? (double)nrecent
			              : fmin(365, (double)(as_of - c->first_us) / (double)DAY_US);
		} else if (f->kind == FIELD_NUMERIC) {
			rv->missing = strcmp(f->name, "company_size") != 0 || c->size < 0;
			rv->num = c->size;
		} else {
			rv->str = field_str(c, f->name);
			rv->missing = rv->str == NULL;
		}
	}
	if ((doc = snaprow_to_json(spec, &row)) == NULL ||
	    (text = json_dumps(doc, JSON_COMPACT)) == NULL) {
		json_decref(doc);
		return ls_err_set(err, "out of memory");
	}
	json_decref(doc);
	pgcopy_row(&g->snaps, 5);
	pgcopy_text(&g->snaps, c->id);
	pgcopy_date(&g->snaps, day_us);
	pgcopy_ts(&g->snaps, as_of);
	pgcopy_text(&g->snaps, spec->hash);
	pgcopy_jsonb(&g->snaps, text);
	free(text);
	/* The day's last event, as the events ledger would hold it. */
	snprintf(eid, sizeof(eid), "d%" PRId64, (int64_t)((day_us - g->first_day_us) / DAY_US));
	put_event(g, c, eid, "page.viewed", at);
	g->rows++;
	g->positives += c->conv_us > 0 && c->conv_us <= as_of + HORIZON_DAYS * DAY_US;
	c->last_us = at;
	return 0;
}

/* One contact's days: n distinct active days in a span of the window (selection sampling,
 * so in order), a conversion somewhere after the first third of them for a converter. */
static int
contact_days(struct gen *g, struct contact *c, struct pgcopy *contacts, struct ls_err *err)
{
	long n = 1 + (long)floor(log(1 - uniform()) / log(1 - 1.0 / MEAN_DAYS));
	long span, start, need, left, recent[HORIZON_DAYS];
	int64_t prev_us = 0, conv_day_us = 0;

	for (int k = 0; k < HORIZON_DAYS; k++)
		recent[k] = -HORIZON_DAYS;
	if (n > g->days)
		n = g->days;
	span = (long)fmin(g->days, fmax((double)n, (double)n * (2 + 4 * uniform())));
	start = (long)floor(uniform() * (double)(g->days - span + 1));
	if (c->conv_us) {
		/* Up to the horizon past the window: some convert after their last snapshot. */
		long conv_day = start + (long)((double)span * (0.3 + 0.9 * uniform()));

		conv_day_us = g->first_day_us + conv_day * DAY_US;
		c->conv_us = conv_day_us + (int64_t)((9 + 8 * uniform()) * 3600e6);
		if (c->conv_us >= END_US - DAY_US)
			c->conv_us = END_US - DAY_US;
	}
	c->first_us = g->first_day_us + start * DAY_US;
	memset(g->v, 0, g->spec->nsignals * sizeof(*g->v));
	need = n;
	left = span;
	for (long d = start; d < start + span && need > 0 && g->rows < g->want; d++, left--) {
		int64_t day_us = g->first_day_us + d * DAY_US;
		int nrecent = 1;

		if (uniform() * (double)left >= (double)need)
			continue;
		need--;
		if (conv_day_us != 0 && day_us >= conv_day_us)
			break;
		/* Active days among the 30 ending with this one. */
		for (int k = 0; k < HORIZON_DAYS; k++)
			nrecent += d - recent[k] < HORIZON_DAYS;
		if (prev_us == 0)
			prev_us = day_us;
		if (active_day(g, c, day_us, prev_us, nrecent, err) < 0)
			return -1;
		recent[d % HORIZON_DAYS] = d;
		prev_us = c->last_us;
	}
	if (c->last_us == 0)
		return 0; /* converted before its first active day: nothing to learn from */
	if (c->conv_us) {
		g->conversions++;
		put_event(g, c, "conversion", "opportunity.created", c->conv_us);
		if (uniform() < 0.5 && c->conv_us + 40 * DAY_US < END_US)
			put_event(g, c, "won", "deal.won", c->conv_us + 40 * DAY_US);
	}
	g->contacts++;
	pgcopy_row(contacts, 5);
	pgcopy_text(contacts, c->id);
	pgcopy_text(contacts, NULL);
	pgcopy_ts(contacts, c->first_us);
	pgcopy_ts(contacts, c->conv_us > c->last_us ? c->conv_us : c->last_us);
	pgcopy_ts(contacts, c->conv_us ? c->conv_us : 0);
	return 0;
}

static int
generate(const char *dsn, const struct featspec *spec, long want, int days, struct ls_err *err)
{
	static const char *const sql[3] = {
	    "COPY contact_snapshots (contact_id, day, as_of, spec_hash, features) FROM STDIN "
	    "(FORMAT binary)",
	    "COPY events (contact_id, source, event_id, type, time) FROM STDIN (FORMAT binary)",
	    "COPY contacts (contact_id, account, first_seen, last_event_at, converted_at) FROM "
	    "STDIN (FORMAT binary)"};
	static const char *const tables[3] = {"contact_snapshots", "events", "contacts"};
	struct pgcopy *streams[3];
	PGconn *conns[3] = {NULL, NULL, NULL};
	struct pgcopy contacts = {0};
	struct contact c, last = {0};
	struct gen g;
	long num = 0;
	int rc = -1;

	memset(&g, 0, sizeof(g));
	g.spec = spec;
	g.want = want;
	g.days = days;
	g.first_day_us = END_US - (int64_t)(HORIZON_DAYS + days) * DAY_US;
	g.sims = calloc(spec->nsignals + 1, sizeof(*g.sims));
	g.decay = calloc(spec->nsignals + 1, sizeof(*g.decay));
	g.v = calloc(spec->nsignals + 1, sizeof(*g.v));
	g.vals = calloc(spec->nfields + 1, sizeof(*g.vals));
	streams[0] = &g.snaps;
	streams[1] = &g.events;
	streams[2] = &contacts;
	if (g.sims == NULL || g.decay == NULL || g.v == NULL || g.vals == NULL) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	for (size_t j = 0; j < spec->nsignals; j++) {
		const struct signal_sim *s = &signal_sims[sizeof(signal_sims) / sizeof(*s) - 1];

		/* A signal's name is its field's. */
		for (size_t i = 0; i < spec->nfields; i++)
			if (spec->fields[i].source == SOURCE_SIGNAL &&
			    spec->fields[i].source_index == j)
				for (s = signal_sims; s->name != NULL; s++)
					if (strcmp(s->name, spec->fields[i].name) == 0)
						break;
		g.sims[j] = s;
		g.decay[j] = spec->signals[j].decay_per_us;
	}
	/* One COPY per connection at a time: three connections, three streams at once. */
	for (int i = 0; i < 3; i++)
		if ((conns[i] = db_connect(dsn, 0, err)) == NULL)
			goto out;
	if (db_exec(conns[0], "TRUNCATE contact_snapshots, events, contacts", err) < 0)
		goto out;
	for (int i = 0; i < 3; i++)
		if (pgcopy_begin(streams[i], conns[i], sql[i], err) < 0)
			goto out;
	while (g.rows < g.want) {
		contact_new(&c, ++num);
		if (contact_days(&g, &c, &contacts, err) < 0)
			goto out;
		if (c.last_us != 0)
			last = c;
	}
	/* The newest event: every snapshot's horizon is over by then. */
	put_event(&g, &last, "end", "page.viewed", END_US);
	for (int i = 0; i < 3; i++)
		if (pgcopy_end(streams[i], tables[i], err) < 0)
			goto out;
	result_count("snap_rows", g.rows);
	result_count("snap_contacts", g.contacts);
	result_count("snap_conversions", g.conversions);
	bench_result("snap_positive_share", (double)g.positives / (double)(g.rows ? g.rows : 1));
	rc = db_exec(conns[0], "VACUUM ANALYZE contact_snapshots", err) < 0 ||
	             db_exec(conns[0], "VACUUM ANALYZE events", err) < 0 ||
	             db_exec(conns[0], "VACUUM ANALYZE contacts", err) < 0 ||
	             db_exec(conns[0], "CHECKPOINT", err) < 0
	         ? -1
	         : 0;
out:
	for (int i = 0; i < 3; i++) {
		if (conns[i] != NULL)
			PQfinish(conns[i]);
		pgcopy_free(streams[i]);
	}
	free(g.sims);
	free(g.decay);
	free(g.v);
	free(g.vals);
	return rc;
}

/* ---- read ---- */

static int
count_example(void *ctx, const struct snapshot_example *ex, struct ls_err *err)
{
	(void)ex;
	(void)err;
	(*(long *)ctx)++;
	return 0;
}

static int
read_back(PGconn *conn, const struct featspec *spec, struct ls_err *err)
{
	struct train_db_opts o = {spec, spec->label_types, spec->nlabel_types,
	                          spec->label_horizon_days, 1};
	struct train_db_info info;
	struct dataset ds;
	long n = 0, pos = 0;
	int64_t t0 = bench_mono_us(), t1;

	if (snapshot_read_examples(conn, spec->hash, spec->label_types, spec->nlabel_types, 1,
	                           count_example, &n, err) < 0)
		return -1;
	t1 = bench_mono_us();
	bench_result("train_read_s", (double)(t1 - t0) / 1e6);
	result_count("train_read_rows", n);
	if (train_db_load(conn, &o, &ds, &info, err) < 0)
		return -1;
	bench_result("train_load_s", (double)(bench_mono_us() - t1) / 1e6);
	for (size_t i = 0; i < ds.nrows; i++)
		pos += ds.labels[i];
	result_count("train_load_rows", (long)ds.nrows);
	result_count("train_load_positives", pos);
	result_count("train_load_left_out", (long)(info.converted + info.censored));
	dataset_free(&ds);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dsn", required_argument, NULL, 'd'},  {"spec", required_argument, NULL, 's'},
	    {"rows", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 'S'},
	    {"days", required_argument, NULL, 'D'}, {NULL, 0, NULL, 0}};
	const char *dsn = "", *spec_path = NULL, *mode = argc > 1 ? argv[1] : "";
	long rows = 0, days = 180;
	struct ls_err err = {{0}};
	struct featspec *spec;
	PGconn *conn;
	int c, rc;

	rng_state = 1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dsn = optarg;
		else if (c == 's')
			spec_path = optarg;
		else if (c == 'n')
			rows = strtol(optarg, NULL, 10);
		else if (c == 'S')
			rng_state = strtoull(optarg, NULL, 10);
		else if (c == 'D')
			days = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (spec_path == NULL || days < 1 || days > 3000 ||
	    !((strcmp(mode, "gen") == 0 && rows > 0) || strcmp(mode, "read") == 0)) {
		fprintf(stderr, "usage: bench_snap gen --dsn DSN --spec FILE --rows N [--seed S] "
		                "[--days D]\n       bench_snap read --dsn DSN --spec FILE\n");
		return 2;
	}
	if ((spec = featspec_load(spec_path, &err)) == NULL) {
		fprintf(stderr, "bench_snap: %s: %s\n", spec_path, err.msg);
		return 1;
	}
	if ((conn = db_connect(dsn, 0, &err)) == NULL) {
		fprintf(stderr, "bench_snap: %s\n", err.msg);
		featspec_free(spec);
		return 1;
	}
	rc = strcmp(mode, "gen") == 0 ? generate(dsn, spec, rows, (int)days, &err)
	                              : read_back(conn, spec, &err);
	if (rc < 0)
		fprintf(stderr, "bench_snap %s: %s\n", mode, err.msg);
	PQfinish(conn);
	featspec_free(spec);
	return rc < 0 ? 1 : 0;
}
