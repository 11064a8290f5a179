/* bench_db.c: the bench's database chores: empty the tables, count rows, bulk-load contacts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/db.h"
#include "common.h"

/*
 * usage: bench_db reset|count|load --dsn DSN [--count N] [--prefix P] [--base-us T]
 *   reset  empties the contact tables (between repetitions) and checkpoints
 *   count  prints the rows in events, score_changes, contacts (and contact_snapshots)
 *   load   bulk-loads N scored contacts P0000001.. with a feature state of the daemon's shape
 *          (as of T, unix microseconds), then vacuums, analyzes and checkpoints
 */

static int
count_rows(PGconn *conn, const char *table, struct ls_err *err)
{
	char sql[96], name[64];
	PGresult *res;

	/* Table names come from this file's constant list, never from input. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	res = PQexec(conn, sql);
	if (db_result_check(res, PGRES_TUPLES_OK, sql, err) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s_rows", table);
	bench_result(name, strtod(PQgetvalue(res, 0, 0), NULL));
	PQclear(res);
	return 0;
}

/* 1 when the schema has the table (it depends on the migrations of this build). */
static int
has_table(PGconn *conn, const char *table)
{
	const char *params[1] = {table};
	PGresult *res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, params,
	                             NULL, NULL, 0);
	int yes = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';

	PQclear(res);
	return yes;
}

static int
load(PGconn *conn, long count, const char *prefix, long long base_us, struct ls_err *err)
{
	char n[24], base[24];
	const char *params[3] = {n, base, prefix};
	PGresult *res;

	snprintf(n, sizeof(n), "%ld", count);
	snprintf(base, sizeof(base), "%lld", base_us);
	res = PQexecParams(
	    conn,
	    "INSERT INTO contacts (contact_id, account, owner, state, events_applied, first_seen, "
	    "last_event_at, last_activity_at, score, tier, probability, reasons, fit, engagement, "
	    "model_version, scored_at) "
	    "SELECT $3 || lpad(g::text, 7, '0'), 'acct-' || (g % 250000) || '.example', 'dana', "
	    "jsonb_build_object('v', 1, 'at', $2::bigint, 'first', $2::bigint - 86400000000, "
	    "'last', $2::bigint, 'd0', $2::bigint / 86400000000, 'bits', '0000000000000003', "
	    "'s', jsonb_build_object('page_views', (g % 7) * 0.37, 'email_opens', (g % 5) * 0.21, "
	    "'intent', (g % 11) * 0.05), 'a', jsonb_build_object('company_size', 10 + g % 5000, "
	    "'seniority', 'director', 'industry', 'software')), 5, "
	    "to_timestamp(($2::bigint - 86400000000) / 1e6), to_timestamp($2::bigint / 1e6), "
	    "to_timestamp($2::bigint / 1e6), g % 100, CASE WHEN g % 100 >= 70 THEN 'A' "
	    "WHEN g % 100 >= 40 THEN 'B' WHEN g % 100 >= 15 THEN 'C' ELSE 'D' END, "
	    "(g % 100) / 100.0 + 0.001, '[{\"feature\": \"intent\", \"effect\": 0.52}, "
	    "{\"feature\": \"active_days_30\", \"effect\": 0.3}, {\"feature\": \"page_views\", "
	    "\"effect\": 0.27}, {\"feature\": \"seniority=individual\", \"effect\": -0.1}, "
	    "{\"feature\": \"days_since_last_activity\", \"effect\": -0.004}]', 0.2, 0.3, "
	    "'starter-bench', now() FROM generate_series(1, $1::int) AS g",
	    3, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_COMMAND_OK, "loading contacts", err) < 0)
		return -1;
	PQclear(res);
	return db_exec(conn, "VACUUM ANALYZE contacts", err) < 0 ? -1
	                                                         : db_exec(conn, "CHECKPOINT", err);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"dsn", required_argument, NULL, 'd'},
	                                     {"count", required_argument, NULL, 'n'},
	                                     {"prefix", required_argument, NULL, 'p'},
	                                     {"base-us", required_argument, NULL, 'b'},
	                                     {NULL, 0, NULL, 0}};
	/* contact_snapshots: written by builds that record training snapshots. */
	static const char *const tables[] = {"events", "score_changes", "contacts",
	                                     "contact_snapshots"};
	const char *dsn = "", *mode = argc > 1 ? argv[1] : "", *prefix = "m";
	long count = 0;
	long long base_us = 1767225600000000LL; /* 2026-01-01 */
	struct ls_err err = {{0}};
	PGconn *conn;
	int c, rc = -1;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dsn = optarg;
		else if (c == 'n')
			count = strtol(optarg, NULL, 10);
		else if (c == 'p')
			prefix = optarg;
		else if (c == 'b')
			base_us = strtoll(optarg, NULL, 10);
		else
			return 2;
	}
	if ((conn = db_connect(dsn, 0, &err)) == NULL) {
		fprintf(stderr, "bench_db: %s\n", err.msg);
		return 1;
	}
	if (strcmp(mode, "reset") == 0) {
		rc = db_exec(conn, "TRUNCATE contacts, events, score_changes, dead_letters", &err);
		if (rc == 0 && has_table(conn, "contact_snapshots"))
			rc = db_exec(conn, "TRUNCATE contact_snapshots", &err);
		if (rc == 0)
			rc = db_exec(conn, "CHECKPOINT", &err);
	} else if (strcmp(mode, "count") == 0) {
		rc = 0;
		for (size_t i = 0; i < 4 && rc == 0; i++)
			if (i < 3 || has_table(conn, tables[i]))
				rc = count_rows(conn, tables[i], &err);
	} else if (strcmp(mode, "load") == 0 && count > 0) {
		rc = load(conn, count, prefix, base_us, &err);
	} else {
		fprintf(stderr, "usage: bench_db reset|count|load --dsn DSN [--count N] "
		                "[--prefix P] [--base-us T]\n");
		PQfinish(conn);
		return 2;
	}
	if (rc < 0)
		fprintf(stderr, "bench_db %s: %s\n", mode, err.msg);
	PQfinish(conn);
	return rc < 0 ? 1 : 0;
}
