/* queue.c: the SQL of the priority queue. */
#include "queue.h"

#include <stdio.h>

#include "db.h"

PGresult *
queue_fetch(PGconn *conn, const struct queue_filter *f, struct ls_err *err)
{
	char limit[24];
	const char *params[3] = {f->owner, f->tier, limit};
	PGresult *res;

	snprintf(limit, sizeof(limit), "%ld", f->limit);
	res = PQexecParams(conn,
			   "SELECT contact_id, account, score, tier, coalesce(reasons::text, '[]'), "
			   "coalesce(to_char(last_activity_at, 'YYYY-MM-DD HH24:MI'), ''), "
			   "coalesce(owner, '') FROM contacts "
			   "WHERE score IS NOT NULL AND consent AND NOT bounced AND NOT unsubscribed "
			   "AND ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR tier = $2) "
			   "ORDER BY score DESC, contact_id LIMIT $3::bigint",
			   3, NULL, params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_TUPLES_OK, "reading the queue", err) < 0)
		return NULL;
	return res;
}
