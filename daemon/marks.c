/* marks.c: the publish_marks row of a topic, moved by one statement so that of several
 * daemons exactly one wins it. */
#include "marks.h"

#include <stdio.h>

#include "db.h"

/* roi: the start of the interval now falls in, never earlier than the mark. */
const char marks_roi_sql[] =
    "INSERT INTO publish_marks AS m (topic, roi_slot) "
    "VALUES ('roi', floor(extract(epoch FROM clock_timestamp()) / $1::int)::bigint * $1::int) "
    "ON CONFLICT (topic) DO UPDATE SET roi_slot = EXCLUDED.roi_slot, marked_at = now() "
    "WHERE m.roi_slot IS NULL OR m.roi_slot < EXCLUDED.roi_slot RETURNING 1";

/* model: any other version than the last announced. */
const char marks_model_sql[] =
    "INSERT INTO publish_marks AS m (topic, model_version) VALUES ('model', $1) "
    "ON CONFLICT (topic) DO UPDATE SET model_version = EXCLUDED.model_version, "
    "marked_at = now() "
    "WHERE m.model_version IS DISTINCT FROM EXCLUDED.model_version RETURNING 1";

/* A row comes back only when the mark moved: inserted, or updated past its WHERE. Two
 * daemons at once: the second waits for the first's row lock, then sees its mark. */
static int
take(PGconn *conn, const char *sql, const char *param, const char *what, struct ls_err *err)
{
	const char *params[1] = {param};
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	int won;

	if (db_result_check(res, PGRES_TUPLES_OK, what, err) < 0)
		return -1;
	won = PQntuples(res) == 1;
	PQclear(res);
	return won;
}

int
marks_take_roi(PGconn *conn, long interval_s, struct ls_err *err)
{
	char interval[24];

	if (interval_s < 1)
		return ls_err_set(err, "roi interval %ld: must be at least 1 s", interval_s);
	snprintf(interval, sizeof(interval), "%ld", interval_s);
	return take(conn, marks_roi_sql, interval, "marking the roi interval", err);
}

int
marks_take_model(PGconn *conn, const char *version, struct ls_err *err)
{
	return take(conn, marks_model_sql, version, "marking the model announced", err);
}
