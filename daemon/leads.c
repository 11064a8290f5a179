/* leads.c: the SQL of lead detail and account roll-ups. */
#include "leads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/features.h"
#include "db.h"

#define TS(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Which group a contact is in for measuring the scores' worth (roi.holdout_percent). */
#define LEAD_GROUP "CASE WHEN c.holdout THEN 'holdout' ELSE 'scored' END"

#define LEAD_CHANGE                                                                                \
	"json_build_object('time', " TS(                                                           \
	    "sc.changed_at") ", 'score', sc.score, "                                               \
	                     "'previous_score', sc.previous_score, 'tier', sc.tier, "              \
	                     "'previous_tier', sc.previous_tier, "                                 \
	                     "'probability', sc.probability, 'model', sc.model_version, 'event', " \
	                     "json_build_object('source', sc.event_source, 'id', sc.event_id), "   \
	                     "'reasons', sc.reasons)"

int
leads_detail(PGconn *conn, const char *contact, long nchanges, char **detail, char **state,
             struct ls_err *err)
{
	char n[24];
	const char *params[2] = {contact, n};
	PGresult *res;

	*detail = *state = NULL;
	snprintf(n, sizeof(n), "%ld", nchanges);
	res =
	    PQexecParams(conn,
	                 "SELECT json_build_object('contact', c.contact_id, 'account', c.account, "
	                 "'owner', "
	                 "c.owner, 'segment', c.segment, 'score', c.score, 'probability', "
	                 "c.probability, "
	                 "'tier', c.tier, 'reasons', coalesce(c.reasons, '[]'), 'split', CASE WHEN "
	                 "c.score IS "
	                 "NULL THEN NULL ELSE json_build_object('fit', c.fit, 'engagement', "
	                 "c.engagement) END, "
	                 "'model', c.model_version, 'scored_at', " TS(
	                     "c.scored_at") ", 'events_applied', "
	                                    "c.events_applied, 'first_seen', " TS("c.first_seen") ", 'last_event', " TS("c.last_event_at") ", 'last_activity', " TS(
	                                        "c.last_activity_at") ", "
	                                                              "'converted_at', " TS(
	                                                                  "c.converted_at") ", "
	                                                                                    "'conse"
	                                                                                    "nt', "
	                                                                                    "c."
	                                                                                    "consen"
	                                                                                    "t, "
	                                                                                    "'bounc"
	                                                                                    "ed', "
	                                                                                    "c."
	                                                                                    "bounce"
	                                                                                    "d, "
	                                                                                    "'unsub"
	                                                                                    "scribe"
	                                                                                    "d', "
	                                                                                    "c."
	                                                                                    "unsubs"
	                                                                                    "cribed"
	                                                                                    ", "
	                                                                                    "'group"
	                                                                                    "',"
	                                                                                    " " LEAD_GROUP
	                                                                                    ", "
	                                                                                    "'lease"
	                                                                                    "', "
	                                                                                    "(SELEC"
	                                                                                    "T "
	                                                                                    "json_"
	                                                                                    "build_"
	                                                                                    "object"
	                                                                                    "('sdr'"
	                                                                                    ", "
	                                                                                    "l.sdr,"
	                                                                                    " '"
	                                                                                    "claime"
	                                                                                    "d_at',"
	                                                                                    " " TS("l.claimed_at") ", 'expires_at', " TS(
	                                                                                        "l."
	                                                                                        "ex"
	                                                                                        "pi"
	                                                                                        "re"
	                                                                                        "s_"
	                                                                                        "a"
	                                                                                        "t") ") FROM leases l WHERE l.contact_id = "
	                                                                                             "c.contact_id AND l.expires_at > now()), "
	                                                                                             "'score_changes', coalesce((SELECT json_agg(x.j ORDER BY x.seq DESC) FROM (SELECT "
	                                                                                             "sc.seq, " LEAD_CHANGE
	                                                                                             " AS j FROM score_changes sc WHERE sc.contact_id = "
	                                                                                             "c.contact_id ORDER BY sc.seq DESC LIMIT $2::bigint) x), '[]'))::text, c.state::text "
	                                                                                             "FROM contacts c WHERE c.contact_id = $1",
	                 2, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_TUPLES_OK, "reading a lead", err) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	*detail = strdup(PQgetvalue(res, 0, 0));
	*state = strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (*detail == NULL || *state == NULL) {
		free(*detail);
		free(*state);
		*detail = *state = NULL;
		return ls_err_set(err, "out of memory");
	}
	return 1;
}

PGresult *
leads_accounts(PGconn *conn, const char *account, long limit, struct ls_err *err)
{
	char n[24];
	const char *params[2] = {account, n};
	PGresult *res;

	snprintf(n, sizeof(n), "%ld", limit);
	res = PQexecParams(
	    conn,
	    "WITH ranked AS (SELECT c.account, c.contact_id, c.score, c.tier, c.probability, "
	    "c.last_activity_at, row_number() OVER (PARTITION BY c.account ORDER BY c.score DESC, "
	    "c.contact_id) AS rn FROM contacts c WHERE c.account IS NOT NULL AND c.score IS NOT "
	    "NULL AND ($1::text IS NULL OR c.account = $1)), "
	    "agg AS (SELECT account, 1 - exp(sum(ln(1 - least(probability, 0.999999))) FILTER "
	    "(WHERE rn <= 3)) AS p, count(*) AS contacts, count(*) FILTER (WHERE "
	    "last_activity_at >= now() - interval '30 days') AS engaged, "
	    "max(contact_id) FILTER (WHERE rn = 1) AS best, max(score) FILTER (WHERE rn = 1) AS "
	    "best_score, max(tier) FILTER (WHERE rn = 1) AS best_tier FROM ranked GROUP BY "
	    "account) "
	    "SELECT json_build_object('account', account, 'score', round(100 * p)::integer, "
	    "'probability', p, 'contacts', contacts, 'engaged_contacts', engaged, 'best_contact', "
	    "json_build_object('contact', best, 'score', best_score, 'tier', best_tier))::text "
	    "FROM agg ORDER BY round(100 * p) DESC, account LIMIT $2::bigint",
	    2, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_TUPLES_OK, "reading accounts", err) < 0)
		return NULL;
	return res;
}

json_t *
leads_features(const struct featspec *spec, const char *state_text, int64_t as_of_us)
{
	json_t *state = json_loads(state_text, 0, NULL), *out = NULL;
	struct raw_value vals[256];
	struct ls_err err;
	struct fstate st;
	int rc;

	if (state == NULL || spec->nfields > sizeof(vals) / sizeof(vals[0])) {
		json_decref(state);
		return NULL;
	}
	/* A contact created but never applied to holds the column default, {}. */
	rc = json_object_size(state) == 0 ? fstate_init(&st, spec)
	                                  : fstate_from_json(&st, spec, state, &err);
	json_decref(state);
	if (rc < 0)
		return NULL;
	{
		struct raw_row row = {vals, spec->nfields};

		fstate_row(&st, spec, as_of_us, &row);
	}
	out = json_object();
	for (size_t i = 0; out != NULL && i < spec->nfields; i++) {
		json_t *v = vals[i].missing ? json_null()
		            : spec->fields[i].kind == FIELD_CATEGORICAL
		                ? json_string(vals[i].str ? vals[i].str : "")
		                : json_real(vals[i].num);

		if (json_object_set_new(out, spec->fields[i].name, v) < 0) {
			json_decref(out);
			out = NULL;
		}
	}
	fstate_clear(&st);
	return out;
}
