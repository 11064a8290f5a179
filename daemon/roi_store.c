/* roi_store.c: the SQL behind time-saved and ROI: outcomes, windows, daily roll-ups. */
#include "roi_store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "store.h"

int
roi_store_insert_outcomes(PGconn *conn, const struct outcome_row *rows, size_t n,
			  struct ls_err *err)
{
	json_t *doc;
	char *text;
	const char *params[1];
	PGresult *res;

	if (n == 0)
		return 0;
	doc = json_array();
	for (size_t i = 0; doc != NULL && i < n; i++) {
		const struct outcome_row *r = &rows[i];
		char tier[2] = {r->tier, '\0'};
		json_t *rec = json_pack("{s:s, s:s, s:s, s:o, s:s?, s:s, s:f, s:b, s:o, s:s?}", "c",
					r->contact_id, "s", r->source, "i", r->event_id, "t",
					store_time_json(r->time_us), "sdr", r->sdr, "o", r->outcome,
					"m", r->minutes, "h", r->holdout, "score",
					r->score < 0 ? json_null() : json_integer(r->score), "tier",
					r->tier ? tier : NULL);

		if (rec == NULL || json_array_append_new(doc, rec) < 0) {
			json_decref(doc);
			doc = NULL;
		}
	}
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return ls_err_set(err, "out of memory");
	params[0] = text;
	res = PQexecParams(conn,
			   "INSERT INTO outcomes (contact_id, source, event_id, time, sdr, outcome, "
			   "minutes, holdout, score, tier) SELECT c, s, i, t, sdr, o, m, h, score, "
			   "tier FROM jsonb_to_recordset($1::jsonb) AS x(c text, s text, i text, "
			   "t timestamptz, sdr text, o text, m double precision, h boolean, "
			   "score smallint, tier char(1)) ON CONFLICT DO NOTHING",
			   1, NULL, params, NULL, NULL, 0);
	free(text);
	if (db_result_check(res, PGRES_COMMAND_OK, "recording outcomes", err) < 0)
		return -1;
	PQclear(res);
	return 0;
}

static void
time_params(int64_t from_us, int64_t to_us, char *from, char *to, size_t size)
{
	json_t *f = store_time_json(from_us), *t = store_time_json(to_us);

	snprintf(from, size, "%s", json_is_string(f) ? json_string_value(f) : "-infinity");
	snprintf(to, size, "%s", json_is_string(t) ? json_string_value(t) : "infinity");
	json_decref(f);
	json_decref(t);
}

static int
add_obs(struct roi_window_data *w, int g, size_t *cap, double minutes, double meetings)
{
	struct roi_group *grp = &w->group[g];

	if (grp->nobs == cap[g]) {
		size_t ncap = cap[g] ? cap[g] * 2 : 64;
		struct roi_lead *p = realloc(w->obs[g], ncap * sizeof(*p));

		if (p == NULL)
			return -1;
		w->obs[g] = p;
		cap[g] = ncap;
	}
	w->obs[g][grp->nobs].minutes = minutes;
	w->obs[g][grp->nobs].meetings = meetings;
	grp->nobs++;
	return 0;
}

static void
add_buckets(struct roi_window_data *w, const char *tier, const char *score, double meetings)
{
	double converted = meetings > 0 ? 1 : 0;

	if (tier[0] >= 'A' && tier[0] <= 'D') {
		w->tiers[tier[0] - 'A'].leads += 1;
		w->tiers[tier[0] - 'A'].conversions += converted;
	}
	if (score[0] != '\0') {
		int d = atoi(score) / 10;

		d = d > 9 ? 9 : d < 0 ? 0 : d;
		w->deciles[d].leads += 1;
		w->deciles[d].conversions += converted;
	}
}

int
roi_store_window(PGconn *conn, int64_t from_us, int64_t to_us, struct roi_window_data *w,
		 struct ls_err *err)
{
	char from[40], to[40];
	const char *params[2] = {from, to};
	size_t cap[2] = {0, 0};
	PGresult *res;

	memset(w, 0, sizeof(*w));
	time_params(from_us, to_us, from, to, sizeof(from));
	res = PQexecParams(conn,
			   "SELECT holdout::int, sum(minutes), "
			   "count(*) FILTER (WHERE outcome = 'meeting_booked'), "
			   "bool_or(outcome = 'disqualified')::int, "
			   "coalesce((array_agg(tier ORDER BY time))[1], ''), "
			   "coalesce((array_agg(score ORDER BY time))[1]::text, '') "
			   "FROM outcomes WHERE time >= $1 AND time < $2 "
			   "GROUP BY contact_id, holdout ORDER BY contact_id",
			   2, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_TUPLES_OK, "reading outcomes", err) < 0)
		return -1;
	for (int r = 0; r < PQntuples(res); r++) {
		int g = atoi(PQgetvalue(res, r, 0)) ? 1 : 0;
		double minutes = strtod(PQgetvalue(res, r, 1), NULL);
		double meetings = strtod(PQgetvalue(res, r, 2), NULL);

		w->group[g].minutes += minutes;
		w->group[g].meetings += meetings;
		w->group[g].leads += 1;
		if (atoi(PQgetvalue(res, r, 3)))
			w->group[g].disqualified_minutes += minutes;
		add_buckets(w, PQgetvalue(res, r, 4), PQgetvalue(res, r, 5), meetings);
		if (add_obs(w, g, cap, minutes, meetings) < 0) {
			PQclear(res);
			roi_window_data_clear(w);
			return ls_err_set(err, "out of memory");
		}
	}
	PQclear(res);
	w->group[0].obs = w->obs[0];
	w->group[1].obs = w->obs[1];
	res = PQexecParams(conn,
			   "SELECT count(DISTINCT sdr) FROM outcomes WHERE time >= $1 AND time < $2",
			   2, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_TUPLES_OK, "counting reps", err) < 0) {
		roi_window_data_clear(w);
		return -1;
	}
	w->reps = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

void
roi_window_data_clear(struct roi_window_data *w)
{
	free(w->obs[0]);
	free(w->obs[1]);
	memset(w, 0, sizeof(*w));
}

int
roi_store_persist_days(PGconn *conn, int64_t from_us, int64_t to_us, struct ls_err *err)
{
	char from[40], to[40];
	const char *params[2] = {from, to};
	PGresult *res;

	time_params(from_us, to_us, from, to, sizeof(from));
	res = PQexecParams(
	    conn,
	    "INSERT INTO roi_daily (day, holdout, minutes, leads, meetings, disqualified, "
	    "disqualified_minutes, reps) "
	    "SELECT l.day, l.holdout, sum(l.m), count(*), sum(l.meet), count(*) FILTER (WHERE l.dq), "
	    "coalesce(sum(l.m) FILTER (WHERE l.dq), 0), max(r.reps) "
	    "FROM (SELECT (time AT TIME ZONE 'UTC')::date AS day, holdout, contact_id, "
	    "sum(minutes) AS m, count(*) FILTER (WHERE outcome = 'meeting_booked') AS meet, "
	    "bool_or(outcome = 'disqualified') AS dq FROM outcomes "
	    "WHERE time >= ($1::timestamptz AT TIME ZONE 'UTC')::date "
	    "AND time < ($2::timestamptz AT TIME ZONE 'UTC')::date + 1 GROUP BY 1, 2, 3) l "
	    "JOIN (SELECT (time AT TIME ZONE 'UTC')::date AS day, holdout, "
	    "count(DISTINCT sdr) AS reps FROM outcomes "
	    "WHERE time >= ($1::timestamptz AT TIME ZONE 'UTC')::date "
	    "AND time < ($2::timestamptz AT TIME ZONE 'UTC')::date + 1 GROUP BY 1, 2) r "
	    "USING (day, holdout) GROUP BY l.day, l.holdout "
	    "ON CONFLICT (day, holdout) DO UPDATE SET minutes = EXCLUDED.minutes, "
	    "leads = EXCLUDED.leads, meetings = EXCLUDED.meetings, "
	    "disqualified = EXCLUDED.disqualified, "
	    "disqualified_minutes = EXCLUDED.disqualified_minutes, reps = EXCLUDED.reps, "
	    "computed_at = now()",
	    2, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_COMMAND_OK, "persisting daily ROI figures", err) < 0)
		return -1;
	PQclear(res);
	return 0;
}

int
roi_store_days(PGconn *conn, int64_t from_us, int64_t to_us, struct roi_day **days, size_t *ndays,
	       struct ls_err *err)
{
	char from[40], to[40];
	const char *params[2] = {from, to};
	PGresult *res;
	size_t n = 0;

	*days = NULL;
	*ndays = 0;
	time_params(from_us, to_us, from, to, sizeof(from));
	res = PQexecParams(conn,
			   "SELECT day::text, holdout::int, minutes, meetings, leads, "
			   "disqualified_minutes FROM roi_daily "
			   "WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date "
			   "AND day < ($2::timestamptz AT TIME ZONE 'UTC')::date ORDER BY day, holdout",
			   2, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_TUPLES_OK, "reading daily ROI figures", err) < 0)
		return -1;
	*days = calloc((size_t)PQntuples(res) + 1, sizeof(**days));
	if (*days == NULL) {
		PQclear(res);
		return ls_err_set(err, "out of memory");
	}
	for (int r = 0; r < PQntuples(res); r++) {
		const char *day = PQgetvalue(res, r, 0);
		int g = atoi(PQgetvalue(res, r, 1)) ? 1 : 0;
		struct roi_group *grp;

		if (n == 0 || strcmp((*days)[n - 1].day, day) != 0)
			snprintf((*days)[n++].day, sizeof((*days)[0].day), "%s", day);
		grp = &(*days)[n - 1].group[g];
		grp->minutes = strtod(PQgetvalue(res, r, 2), NULL);
		grp->meetings = strtod(PQgetvalue(res, r, 3), NULL);
		grp->leads = strtod(PQgetvalue(res, r, 4), NULL);
		grp->disqualified_minutes = strtod(PQgetvalue(res, r, 5), NULL);
	}
	*ndays = n;
	PQclear(res);
	return 0;
}
