/* retention.c: the SQL of raw-event retention; each statement touches a bounded number of rows. */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static int
bounded(PGconn *conn, const char *sql, long days, long rows, const char *what, long *done,
	struct ls_err *err)
{
	char d[24], r[24];
	const char *params[2] = {d, r};
	PGresult *res;

	snprintf(d, sizeof(d), "%ld", days);
	snprintf(r, sizeof(r), "%ld", rows);
	res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_COMMAND_OK, what, err) < 0)
		return -1;
	*done = atol(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

int
retention_pass(PGconn *conn, long days, long dedupe_days, long batch_rows,
	       struct retention_result *out, struct ls_err *err)
{
	memset(out, 0, sizeof(*out));
	if (days == 0)
		return 0;
	/* Row locks are taken by ctid in one statement each, and SKIP LOCKED leaves rows a
	 * batch holds to a later pass: retention never waits for ingest. */
	if (bounded(conn,
		    "UPDATE events SET data = NULL WHERE ctid = ANY (ARRAY(SELECT ctid FROM events "
		    "WHERE received_at < now() - make_interval(days => $1::int) AND data IS NOT NULL "
		    "LIMIT $2::int FOR UPDATE SKIP LOCKED))",
		    days, batch_rows, "erasing old event payloads", &out->payloads_erased, err) < 0 ||
	    bounded(conn,
		    "DELETE FROM events WHERE ctid = ANY (ARRAY(SELECT ctid FROM events "
		    "WHERE received_at < now() - make_interval(days => $1::int) "
		    "LIMIT $2::int FOR UPDATE SKIP LOCKED))",
		    days + dedupe_days, batch_rows, "dropping old event keys", &out->keys_dropped,
		    err) < 0 ||
	    bounded(conn,
		    "DELETE FROM dead_letters WHERE id = ANY (ARRAY(SELECT id FROM dead_letters "
		    "WHERE received_at < now() - make_interval(days => $1::int) "
		    "LIMIT $2::int FOR UPDATE SKIP LOCKED))",
		    days, batch_rows, "dropping old dead letters", &out->dead_dropped, err) < 0)
		return -1;
	return 0;
}
