/* snapshots.c: the feature snapshot store: taking rows in the batch path, their SQL, reading them
 * back. */
#include "snapshots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/snaprow.h"
#include "db.h"
#include "pgarray.h"
#include "store.h"

#define MAX_FIELDS 256

int
snapshot_due(int64_t last_us, int64_t ev_us)
{
	return last_us != 0 && snaprow_day(ev_us) > snaprow_day(last_us);
}

int
snapshot_take(struct snapshot_list *l, const char *contact_id, const struct fstate *st,
              const struct featspec *spec, int64_t last_us)
{
	struct raw_value vals[MAX_FIELDS];
	struct raw_row row = {vals, spec->nfields};
	struct snapshot *s;

	if (spec->nfields > MAX_FIELDS)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct snapshot *items = realloc(l->items, cap * sizeof(*items));

		if (items == NULL)
			return -1;
		l->items = items;
		l->cap = cap;
	}
	s = &l->items[l->n];
	s->contact_id = contact_id;
	s->as_of_us = snaprow_day_end(last_us);
	fstate_row(st, spec, s->as_of_us, &row);
	if ((s->features = snaprow_to_json(spec, &row)) == NULL)
		return -1;
	l->n++;
	return 0;
}

void
snapshot_list_clear(struct snapshot_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->items[i].features);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int
snapshot_store(PGconn *conn, const struct snapshot_list *l, const char *spec_hash,
               struct ls_err *err)
{
	struct pgarray col[4];
	PGresult *res;

	if (l->n == 0)
		return 0;
	pgarray_init(&col[0], PGARRAY_TEXT);
	pgarray_init(&col[1], PGARRAY_TIMESTAMPTZ);
	pgarray_init(&col[2], PGARRAY_TEXT);
	pgarray_init(&col[3], PGARRAY_JSONB);
	for (size_t i = 0; i < l->n; i++) {
		pgarray_text(&col[0], l->items[i].contact_id);
		pgarray_time(&col[1], l->items[i].as_of_us);
		pgarray_text(&col[2], spec_hash);
		pgarray_json(&col[3], l->items[i].features);
	}
	/* Rows come in contact-id order (the batch's), the order concurrent batches share. */
	res = pgarray_exec_prepared(
	    conn,
	    "INSERT INTO contact_snapshots (contact_id, day, as_of, spec_hash, "
	    "features) SELECT c, (a AT TIME ZONE 'UTC')::date, a, h, f "
	    "FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::jsonb[]) "
	    "AS x(c, a, h, f) ON CONFLICT DO NOTHING",
	    col, 4, err);
	for (int c = 0; c < 4; c++)
		pgarray_free(&col[c]);
	if (res == NULL)
		return ls_err_prefix(err, "recording feature snapshots");
	if (db_result_check(res, PGRES_COMMAND_OK, "recording feature snapshots", err) < 0)
		return -1;
	PQclear(res);
	return 0;
}

/* ---- reading back for training ---- */

#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"

/* The first conversion: from the events, and from contacts.converted_at (the daemon's record
 * for the spec's label types, which outlives raw-event retention) when $3 says the label types
 * are the spec's; least() skips NULLs. Times in unix microseconds. */
static const char examples_sql[] =
    "WITH conv AS (SELECT contact_id, min(time) AS t FROM events"
    " WHERE type IN (SELECT jsonb_array_elements_text($1::jsonb)) GROUP BY contact_id) "
    "SELECT s.contact_id, (extract(epoch from s.as_of) * 1000000)::bigint,"
    " (extract(epoch from least(c.t, CASE WHEN $3::boolean THEN k.converted_at END))"
    " * 1000000)::bigint, s.features::text, NULL"
    " FROM contact_snapshots s LEFT JOIN conv c USING (contact_id)"
    " LEFT JOIN contacts k USING (contact_id) WHERE s.spec_hash = $2 "
    "UNION ALL "
    "SELECT k.contact_id, (extract(epoch from k.last_event_at) * 1000000)::bigint,"
    " (extract(epoch from least(c.t, CASE WHEN $3::boolean THEN k.converted_at END))"
    " * 1000000)::bigint, NULL, k.state::text"
    " FROM contacts k LEFT JOIN conv c USING (contact_id) WHERE k.last_event_at IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM contact_snapshots s WHERE s.contact_id = k.contact_id"
    " AND s.day = (k.last_event_at AT TIME ZONE 'UTC')::date) "
    "ORDER BY 2, 1"; /* the same data gives the same rows in the same order */

static int64_t
get_us(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? 0 : strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static const char *
get_text(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

/* Hands one single-row result to the callback. */
static int
pass_row(const PGresult *res, snapshot_each_fn each, void *ctx, struct ls_err *err)
{
	struct snapshot_example ex;

	ex.contact_id = PQgetvalue(res, 0, 0);
	ex.as_of_us = get_us(res, 1);
	ex.converted_us = get_us(res, 2);
	ex.features = get_text(res, 3);
	ex.state = get_text(res, 4);
	return each(ctx, &ex, err);
}

/* Reads the stream to its end (the connection is usable again afterwards). */
static void
drain(PGconn *conn)
{
	PGresult *res;

	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

int
snapshot_read_examples(PGconn *conn, const char *spec_hash, char *const *label_types, size_t ntypes,
                       int spec_labels, snapshot_each_fn each, void *ctx, struct ls_err *err)
{
	json_t *types = json_array();
	char *text = NULL;
	const char *params[3];
	PGresult *res;
	int rc = 0, done = 0;

	for (size_t i = 0; types != NULL && i < ntypes; i++)
		if (json_array_append_new(types, json_string(label_types[i])) < 0)
			break;
	if (types == NULL || json_array_size(types) != ntypes ||
	    (text = json_dumps(types, JSON_COMPACT)) == NULL) {
		json_decref(types);
		return ls_err_set(err, "out of memory");
	}
	json_decref(types);
	params[0] = text;
	params[1] = spec_hash;
	params[2] = spec_labels ? "true" : "false";
	/* One row at a time: the history can be far larger than what a result should hold. */
	if (!PQsendQueryParams(conn, examples_sql, 3, NULL, params, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(conn)) {
		free(text);
		drain(conn);
		return ls_err_set(err, "reading feature snapshots: %s", PQerrorMessage(conn));
	}
	free(text);
	while (!done && (res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && rc == 0)
			rc = pass_row(res, each, ctx, err);
		else if (st == PGRES_TUPLES_OK)
			done = 1;
		else if (st != PGRES_SINGLE_TUPLE && rc == 0)
			rc = ls_err_set(err, "reading feature snapshots: %s",
			                PQresultErrorMessage(res));
		PQclear(res);
	}
	drain(conn);
	return rc;
}

int
snapshot_data_end(PGconn *conn, int64_t *out, struct ls_err *err)
{
	PGresult *res = PQexec(conn, "SELECT " US("max(time)") " FROM events");

	if (db_result_check(res, PGRES_TUPLES_OK, "finding the newest event", err) < 0)
		return -1;
	*out = get_us(res, 0);
	PQclear(res);
	return 0;
}

int
snapshot_prune(PGconn *conn, long days, long *removed, struct ls_err *err)
{
	char n[32];
	const char *params[1] = {n};
	PGresult *res;

	snprintf(n, sizeof(n), "%ld", days);
	res = PQexecParams(conn,
	                   "DELETE FROM contact_snapshots WHERE as_of < now() - $1::int * "
	                   "interval '1 day'",
	                   1, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_COMMAND_OK, "pruning feature snapshots", err) < 0)
		return -1;
	*removed = atol(PQcmdTuples(res));
	PQclear(res);
	return 0;
}
