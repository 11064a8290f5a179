/* bench_ceiling.c: the daemon's rows written straight into PostgreSQL, batched, by COPY or a
 * pipeline. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/db.h"
#include "common.h"
#include "pgcopy.h"
#include "rows.h"

/*
 * usage: bench_ceiling copy|pipeline --dsn DSN --events FILE [--batch N] [--pgpid PID]
 *
 * One transaction per batch of N events (the daemon's batch.max_events) in file order, as the
 * daemon would commit them: the events rows, one contacts upsert per distinct contact, one
 * score_changes row per distinct contact. Nothing is read back and nothing is computed in the
 * timed loop but the rows themselves: this is the database's limit for the daemon's writes.
 *   copy:     binary COPY for the events and score changes; the contacts through a binary
 *             COPY into a temporary table and one INSERT ... ON CONFLICT DO UPDATE.
 *   pipeline: one prepared statement per row, the whole batch in one libpq pipeline.
 */

static const char contact_cols[] =
    "contact_id, account, owner, consent, bounced, unsubscribed, state, events_applied, "
    "first_seen, last_event_at, last_activity_at, converted_at, score, tier, probability, "
    "reasons, fit, engagement, model_version";

static void
stage_row(struct pgcopy *b, const struct contact_out *c)
{
	pgcopy_row(b, 19);
	pgcopy_text(b, c->id);
	pgcopy_text(b, c->account);
	pgcopy_text(b, "dana");
	pgcopy_bool(b, 1);
	pgcopy_bool(b, 0);
	pgcopy_bool(b, 0);
	pgcopy_jsonb(b, c->state);
	pgcopy_i8(b, c->applied);
	pgcopy_ts(b, c->first_us);
	pgcopy_ts(b, c->last_us);
	pgcopy_ts(b, c->last_us);
	pgcopy_text(b, NULL);
	pgcopy_i2(b, c->score);
	pgcopy_char(b, c->tier);
	pgcopy_f8(b, c->probability);
	pgcopy_jsonb(b, c->reasons);
	pgcopy_f8(b, c->fit);
	pgcopy_f8(b, c->engagement);
	pgcopy_text(b, ROWS_MODEL_VERSION);
}

static void
change_row(struct pgcopy *b, const struct contact_out *c)
{
	pgcopy_row(b, 10);
	pgcopy_text(b, c->id);
	pgcopy_i2(b, c->score);
	if (c->prev_score < 0)
		pgcopy_text(b, NULL);
	else
		pgcopy_i2(b, c->prev_score);
	pgcopy_char(b, c->tier);
	pgcopy_char(b, c->prev_tier);
	pgcopy_f8(b, c->probability);
	pgcopy_text(b, ROWS_MODEL_VERSION);
	pgcopy_text(b, c->last->source);
	pgcopy_text(b, c->last->id);
	pgcopy_jsonb(b, c->reasons);
}

struct writer {
	PGconn *conn;
	struct rows rows;
	struct pgcopy buf;
	struct contact_out *out;
	char upsert[2048];
};

static int
copy_batch(struct writer *w, size_t from, size_t to, struct ls_err *err)
{
	const struct bench_events *e = w->rows.e;
	size_t n;

	rows_plan(&w->rows, from, to, w->out, &n);
	if (db_exec(w->conn, "BEGIN", err) < 0)
		return -1;
	pgcopy_start(&w->buf);
	for (size_t i = from; i < to; i++) {
		const struct event *ev = &e->evs[i];

		pgcopy_row(&w->buf, 6);
		pgcopy_text(&w->buf, ev->subject);
		pgcopy_text(&w->buf, ev->source);
		pgcopy_text(&w->buf, ev->id);
		pgcopy_text(&w->buf, ev->type);
		pgcopy_ts(&w->buf, ev->time_us);
		pgcopy_jsonb(&w->buf, w->rows.data[i]);
	}
	if (pgcopy_send(&w->buf, w->conn,
	                "COPY events (contact_id, source, event_id, type, time, data) FROM STDIN "
	                "(FORMAT binary)",
	                err) < 0)
		return -1;
	pgcopy_start(&w->buf);
	for (size_t k = 0; k < n; k++)
		stage_row(&w->buf, &w->out[k]);
	if (pgcopy_send(&w->buf, w->conn, "COPY bench_stage FROM STDIN (FORMAT binary)", err) < 0)
		return -1;
	pgcopy_start(&w->buf);
	for (size_t k = 0; k < n; k++)
		change_row(&w->buf, &w->out[k]);
	if (pgcopy_send(
	        &w->buf, w->conn,
	        "COPY score_changes (contact_id, score, previous_score, tier, previous_tier, "
	        "probability, model_version, event_source, event_id, reasons) FROM STDIN "
	        "(FORMAT binary)",
	        err) < 0)
		return -1;
	/* One round trip for the upsert and the commit. */
	return db_exec(w->conn, w->upsert, err);
}

static int
copy_setup(struct writer *w, struct ls_err *err)
{
	char sql[512];

	snprintf(w->upsert, sizeof(w->upsert),
	         "INSERT INTO contacts (%s, scored_at, updated_at) SELECT *, now(), now() FROM "
	         "bench_stage ORDER BY contact_id COLLATE \"C\" ON CONFLICT (contact_id) DO UPDATE "
	         "SET account = EXCLUDED.account, owner = EXCLUDED.owner, consent = "
	         "EXCLUDED.consent, bounced = EXCLUDED.bounced, unsubscribed = "
	         "EXCLUDED.unsubscribed, state = EXCLUDED.state, events_applied = "
	         "EXCLUDED.events_applied, first_seen = EXCLUDED.first_seen, last_event_at = "
	         "EXCLUDED.last_event_at, last_activity_at = EXCLUDED.last_activity_at, "
	         "converted_at = EXCLUDED.converted_at, score = EXCLUDED.score, tier = "
	         "EXCLUDED.tier, probability = EXCLUDED.probability, reasons = EXCLUDED.reasons, "
	         "fit = EXCLUDED.fit, engagement = EXCLUDED.engagement, model_version = "
	         "EXCLUDED.model_version, scored_at = now(), updated_at = now(); COMMIT",
	         contact_cols);
	snprintf(sql, sizeof(sql),
	         "CREATE TEMP TABLE bench_stage ON COMMIT DELETE ROWS AS SELECT %s FROM contacts "
	         "WITH NO DATA",
	         contact_cols);
	return db_exec(w->conn, sql, err);
}

/* ---- pipeline ---- */

static int
pipeline_setup(struct writer *w, struct ls_err *err)
{
	if (db_prepare(w->conn, "ev",
	               "INSERT INTO events (contact_id, source, event_id, type, time, data) "
	               "VALUES ($1, $2, $3, $4, $5, $6)",
	               6, NULL, err) < 0 ||
	    db_prepare(
	        w->conn, "ct",
	        "INSERT INTO contacts (contact_id, account, owner, consent, bounced, "
	        "unsubscribed, state, events_applied, first_seen, last_event_at, "
	        "last_activity_at, score, tier, probability, reasons, fit, engagement, "
	        "model_version, scored_at, updated_at) VALUES ($1, $2, 'dana', true, false, "
	        "false, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, now(), now()) "
	        "ON CONFLICT (contact_id) DO UPDATE SET account = EXCLUDED.account, "
	        "owner = EXCLUDED.owner, consent = EXCLUDED.consent, bounced = "
	        "EXCLUDED.bounced, unsubscribed = EXCLUDED.unsubscribed, state = "
	        "EXCLUDED.state, events_applied = EXCLUDED.events_applied, first_seen = "
	        "EXCLUDED.first_seen, last_event_at = EXCLUDED.last_event_at, "
	        "last_activity_at = EXCLUDED.last_activity_at, score = EXCLUDED.score, "
	        "tier = EXCLUDED.tier, probability = EXCLUDED.probability, reasons = "
	        "EXCLUDED.reasons, fit = EXCLUDED.fit, engagement = EXCLUDED.engagement, "
	        "model_version = EXCLUDED.model_version, scored_at = now(), updated_at = now()",
	        13, NULL, err) < 0 ||
	    db_prepare(
	        w->conn, "sc",
	        "INSERT INTO score_changes (contact_id, score, previous_score, tier, "
	        "previous_tier, probability, model_version, event_source, event_id, reasons) "
	        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
	        10, NULL, err) < 0)
		return -1;
	if (PQenterPipelineMode(w->conn) != 1)
		return ls_err_set(err, "cannot enter pipeline mode: %s", PQerrorMessage(w->conn));
	return 0;
}

static int
send_prepared(PGconn *conn, const char *name, int n, const char *const *params)
{
	return PQsendQueryPrepared(conn, name, n, params, NULL, NULL, 0) == 1 ? 0 : -1;
}

static int
send_contact(PGconn *conn, const struct contact_out *c)
{
	char applied[24], first[40], last[40], score[8], tier[2] = {c->tier, '\0'}, prev[8];
	char prob[32], fit[32], eng[32], ptier[2] = {c->prev_tier, '\0'};
	const char *ct[13] = {
	    c->id,      c->account, c->state, applied,           first, last, score, tier, prob,
	    c->reasons, fit,        eng,      ROWS_MODEL_VERSION};
	const char *sc[10] = {c->id,
	                      score,
	                      c->prev_score < 0 ? NULL : prev,
	                      tier,
	                      c->prev_tier ? ptier : NULL,
	                      prob,
	                      ROWS_MODEL_VERSION,
	                      c->last->source,
	                      c->last->id,
	                      c->reasons};

	snprintf(applied, sizeof(applied), "%ld", c->applied);
	rfc3339_format(c->first_us, first, sizeof(first));
	rfc3339_format(c->last_us, last, sizeof(last));
	snprintf(score, sizeof(score), "%d", c->score);
	snprintf(prev, sizeof(prev), "%d", c->prev_score);
	snprintf(prob, sizeof(prob), "%.17g", c->probability);
	snprintf(fit, sizeof(fit), "%.17g", c->fit);
	snprintf(eng, sizeof(eng), "%.17g", c->engagement);
	return send_prepared(conn, "ct", 13, ct) < 0 || send_prepared(conn, "sc", 10, sc) < 0 ? -1
	                                                                                      : 0;
}

/* Reads every result of one synced pipeline; the first failure is the one reported. */
static int
drain_pipeline(PGconn *conn, struct ls_err *err)
{
	int rc = 0;

	for (;;) {
		PGresult *res = PQgetResult(conn);
		ExecStatusType st;

		if (res == NULL)
			continue; /* the end of one query's results */
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			return rc;
		}
		if (st != PGRES_COMMAND_OK && rc == 0)
			rc = ls_err_set(err, "pipeline: %s", PQresultErrorMessage(res));
		PQclear(res);
	}
}

static int
pipeline_batch(struct writer *w, size_t from, size_t to, struct ls_err *err)
{
	const struct bench_events *e = w->rows.e;
	size_t n;
	int bad;

	rows_plan(&w->rows, from, to, w->out, &n);
	bad = PQsendQueryParams(w->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1;
	for (size_t i = from; i < to && !bad; i++) {
		const struct event *ev = &e->evs[i];
		char when[40];
		const char *p[6] = {ev->subject, ev->source, ev->id,
		                    ev->type,    when,       w->rows.data[i]};

		rfc3339_format(ev->time_us, when, sizeof(when));
		bad = send_prepared(w->conn, "ev", 6, p) < 0;
	}
	for (size_t k = 0; k < n && !bad; k++)
		bad = send_contact(w->conn, &w->out[k]) < 0;
	if (bad || PQsendQueryParams(w->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQpipelineSync(w->conn) != 1)
		return ls_err_set(err, "pipeline: %s", PQerrorMessage(w->conn));
	return drain_pipeline(w->conn, err);
}

/* ---- main ---- */

static void
usage(void)
{
	fprintf(stderr, "usage: bench_ceiling copy|pipeline --dsn DSN --events FILE [--batch N] "
	                "[--pgpid PID]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"dsn", required_argument, NULL, 'd'},
	                                     {"events", required_argument, NULL, 'e'},
	                                     {"batch", required_argument, NULL, 'b'},
	                                     {"pgpid", required_argument, NULL, 'p'},
	                                     {NULL, 0, NULL, 0}};
	const char *dsn = "", *path = NULL, *mode = argc > 1 ? argv[1] : "";
	long batch = 500, pgpid = 0;
	struct bench_events e;
	struct writer w = {0};
	struct ls_err err = {{0}};
	int c, pipe = strcmp(mode, "pipeline") == 0, rc = 1;
	double cpu0 = 0;
	int64_t t0, t1;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dsn = optarg;
		else if (c == 'e')
			path = optarg;
		else if (c == 'b')
			batch = strtol(optarg, NULL, 10);
		else if (c == 'p')
			pgpid = strtol(optarg, NULL, 10);
		else
			return usage(), 2;
	}
	if ((!pipe && strcmp(mode, "copy") != 0) || path == NULL || batch < 1)
		return usage(), 2;
	if (bench_events_load(path, &e, &err) < 0) {
		fprintf(stderr, "bench_ceiling: %s\n", err.msg);
		return 1;
	}
	w.out = calloc((size_t)batch, sizeof(*w.out));
	if (w.out == NULL || rows_init(&w.rows, &e) < 0) {
		fprintf(stderr, "bench_ceiling: out of memory\n");
		return 1;
	}
	if ((w.conn = db_connect(dsn, 0, &err)) == NULL ||
	    (pipe ? pipeline_setup(&w, &err) : copy_setup(&w, &err)) < 0)
		goto out;
	cpu0 = pgpid > 0 ? bench_cluster_cpu((pid_t)pgpid) : 0;
	t0 = bench_mono_us();
	for (size_t from = 0; from < e.n; from += (size_t)batch) {
		size_t to = from + (size_t)batch < e.n ? from + (size_t)batch : e.n;

		if ((pipe ? pipeline_batch(&w, from, to, &err) : copy_batch(&w, from, to, &err)) <
		    0)
			goto out;
	}
	t1 = bench_mono_us();
	bench_result(pipe ? "ceiling_pipeline_eps" : "ceiling_copy_eps",
	             (double)e.n * 1e6 / (double)(t1 - t0));
	if (pgpid > 0)
		bench_result(pipe ? "ceiling_pipeline_pg_cpu_us" : "ceiling_copy_pg_cpu_us",
		             (bench_cluster_cpu((pid_t)pgpid) - cpu0) * 1e6 / (double)e.n);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_ceiling %s: %s\n", mode, err.msg);
	if (w.conn != NULL)
		PQfinish(w.conn);
	rows_free(&w.rows);
	free(w.out);
	pgcopy_free(&w.buf);
	bench_events_free(&e);
	return rc;
}
