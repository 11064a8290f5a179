/* bench_naive.c: the baseline integration: one transaction per event, one statement at a time. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/db.h"
#include "common.h"
#include "rows.h"

/*
 * usage: bench_naive --dsn DSN --events FILE [--count N]
 *
 * What a simple integration does with each event: begin, make sure the contact exists, read
 * and lock its state, record the event, write the new state and score, record the score
 * change, commit. Each statement is its own round trip (PQexecParams, nothing prepared).
 * Reports events per second and the commit-to-commit time of one event (p50, p99): the
 * latency of one durable transaction on this machine.
 */

static int
exec(PGconn *conn, const char *sql, int n, const char *const *params, ExecStatusType want,
     struct ls_err *err)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (db_result_check(res, want, "naive", err) < 0)
		return -1;
	PQclear(res);
	return 0;
}

static int
one_event(PGconn *conn, const struct event *ev, const char *data, const struct contact_out *c,
          struct ls_err *err)
{
	char when[40], first[40], applied[24], score[8], prev[8], prob[32];
	char tier[2] = {c->tier, '\0'}, ptier[2] = {c->prev_tier, '\0'};
	const char *id[1] = {ev->subject};
	const char *evp[6] = {ev->subject, ev->source, ev->id, ev->type, when, data};
	const char *ct[9] = {ev->subject, ev->account, c->state, applied,   first,
	                     when,        score,       tier,     c->reasons};
	const char *sc[9] = {ev->subject,
	                     score,
	                     c->prev_score < 0 ? NULL : prev,
	                     tier,
	                     c->prev_tier ? ptier : NULL,
	                     prob,
	                     ev->source,
	                     ev->id,
	                     c->reasons};

	rfc3339_format(ev->time_us, when, sizeof(when));
	rfc3339_format(c->first_us, first, sizeof(first));
	snprintf(applied, sizeof(applied), "%ld", c->applied);
	snprintf(score, sizeof(score), "%d", c->score);
	snprintf(prev, sizeof(prev), "%d", c->prev_score);
	snprintf(prob, sizeof(prob), "%.17g", c->probability);
	if (exec(conn, "BEGIN", 0, NULL, PGRES_COMMAND_OK, err) < 0 ||
	    exec(conn, "INSERT INTO contacts (contact_id) VALUES ($1) ON CONFLICT DO NOTHING", 1,
	         id, PGRES_COMMAND_OK, err) < 0 ||
	    exec(conn,
	         "SELECT state, events_applied FROM contacts WHERE contact_id = $1 FOR UPDATE", 1,
	         id, PGRES_TUPLES_OK, err) < 0 ||
	    exec(conn,
	         "INSERT INTO events (contact_id, source, event_id, type, time, data) "
	         "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	         6, evp, PGRES_COMMAND_OK, err) < 0 ||
	    exec(conn,
	         "UPDATE contacts SET account = coalesce($2, account), state = $3, "
	         "events_applied = $4, first_seen = $5, last_event_at = $6, last_activity_at = $6, "
	         "score = $7::smallint, tier = $8, probability = $7::smallint / 100.0, reasons = "
	         "$9, "
	         "model_version = '" ROWS_MODEL_VERSION "', scored_at = now(), updated_at = now() "
	         "WHERE contact_id = $1",
	         9, ct, PGRES_COMMAND_OK, err) < 0 ||
	    exec(conn,
	         "INSERT INTO score_changes (contact_id, score, previous_score, tier, "
	         "previous_tier, "
	         "probability, model_version, event_source, event_id, reasons) VALUES ($1, $2, $3, "
	         "$4, $5, $6, '" ROWS_MODEL_VERSION "', $7, $8, $9)",
	         9, sc, PGRES_COMMAND_OK, err) < 0)
		return -1;
	return exec(conn, "COMMIT", 0, NULL, PGRES_COMMAND_OK, err);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"dsn", required_argument, NULL, 'd'},
	                                     {"events", required_argument, NULL, 'e'},
	                                     {"count", required_argument, NULL, 'n'},
	                                     {NULL, 0, NULL, 0}};
	const char *dsn = "", *path = NULL;
	long count = 0;
	struct bench_events e;
	struct rows rows;
	struct contact_out c;
	struct ls_err err = {{0}};
	PGconn *conn;
	double *lat;
	int64_t t0;
	size_t n, one;
	int opt, rc = 1;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'd')
			dsn = optarg;
		else if (opt == 'e')
			path = optarg;
		else if (opt == 'n')
			count = strtol(optarg, NULL, 10);
		else
			return 2;
	}
	if (path == NULL) {
		fprintf(stderr, "usage: bench_naive --dsn DSN --events FILE [--count N]\n");
		return 2;
	}
	if (bench_events_load(path, &e, &err) < 0 || (conn = db_connect(dsn, 0, &err)) == NULL) {
		fprintf(stderr, "bench_naive: %s\n", err.msg);
		return 1;
	}
	n = count > 0 && (size_t)count < e.n ? (size_t)count : e.n;
	lat = calloc(n ? n : 1, sizeof(*lat));
	if (lat == NULL || rows_init(&rows, &e) < 0) {
		fprintf(stderr, "bench_naive: out of memory\n");
		return 1;
	}
	t0 = bench_mono_us();
	for (size_t i = 0; i < n; i++) {
		int64_t s = bench_mono_us();

		rows_plan(&rows, i, i + 1, &c, &one);
		if (one_event(conn, &e.evs[i], rows.data[i], &c, &err) < 0) {
			fprintf(stderr, "bench_naive: event %zu: %s\n", i + 1, err.msg);
			goto out;
		}
		lat[i] = (double)(bench_mono_us() - s) / 1000.0;
	}
	bench_result("naive_eps", (double)n * 1e6 / (double)(bench_mono_us() - t0));
	bench_result("naive_txn_p50_ms", bench_quantile(lat, n, 0.50));
	bench_result("naive_txn_p99_ms", bench_quantile(lat, n, 0.99));
	rc = 0;
out:
	PQfinish(conn);
	rows_free(&rows);
	free(lat);
	bench_events_free(&e);
	return rc;
}
