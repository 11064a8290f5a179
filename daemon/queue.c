/* queue.c: the SQL of the priority queue: listing, walks in pages, claims and leases. */
#include "queue.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* Times as RFC 3339 UTC (db_connect sets the session to UTC). */
#define TS(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Who may be listed at all: scored, reachable, allowed to be contacted. The partial index
 * contacts_queue_idx has exactly this predicate. */
#define QUEUE_CALLABLE "c.score IS NOT NULL AND c.consent AND NOT c.bounced AND NOT c.unsubscribed"
#define QUEUE_UNLEASED                                                                             \
	"NOT EXISTS (SELECT 1 FROM leases l WHERE l.contact_id = c.contact_id AND "                \
	"l.expires_at > now())"
/* $1 owner, $2 tier, $3 segment; NULL matches any. */
#define QUEUE_FILTER                                                                               \
	"($1::text IS NULL OR c.owner = $1) AND ($2::text IS NULL OR c.tier = $2) AND "            \
	"($3::text IS NULL OR c.segment = $3)"
/* The queue's order, in this one place: best score first, contact id breaking ties. A
 * hold-out contact's queue_key is its fixed hashed position instead of its score
 * (schema/004_roi.sql), so its place ignores the score. */
#define QUEUE_ORDER "c.queue_key DESC, c.contact_id"

#define QUEUE_ITEM                                                                                 \
	"json_build_object('contact', c.contact_id, 'account', c.account, 'score', c.score, "      \
	"'probability', c.probability, 'tier', c.tier, 'reasons', coalesce(c.reasons, '[]'), "     \
	"'last_activity', " TS("c.last_activity_at") ", 'owner', c.owner, 'segment', c.segment, "    \
	"'group', CASE WHEN c.holdout THEN 'holdout' ELSE 'scored' END"

#define LEASE_ITEM                                                                                 \
	"json_build_object('sdr', l.sdr, 'claimed_at', " TS("l.claimed_at") ", 'expires_at', " TS( \
	    "l.expires_at") ")"

static PGresult *
exec(PGconn *conn, const char *sql, int n, const char *const *params, ExecStatusType want,
     const char *what, struct ls_err *err)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (db_result_check(res, want, what, err) < 0)
		return NULL;
	return res;
}

PGresult *
queue_fetch(PGconn *conn, const struct queue_filter *f, struct ls_err *err)
{
	char limit[24];
	const char *params[4] = {f->owner, f->tier, f->segment, limit};

	snprintf(limit, sizeof(limit), "%ld", f->limit);
	return exec(conn,
	            "SELECT " QUEUE_ITEM ")::text FROM contacts c WHERE " QUEUE_CALLABLE
	            " AND " QUEUE_UNLEASED " AND " QUEUE_FILTER " ORDER BY " QUEUE_ORDER
	            " LIMIT $4::bigint",
	            4, params, PGRES_TUPLES_OK, "reading the queue", err);
}

/* The page's contacts as the walk first returned them, still listable, in that order.
 * 1 with *out and the number first returned in *recorded when the walk has that page,
 * 0 when it has not, -1 on error. */
static int
walk_replay(PGconn *conn, const char *walk_id, const char *page, PGresult **out, long *recorded,
            struct ls_err *err)
{
	const char *params[2] = {walk_id, page};
	PGresult *res;

	res = exec(conn, "SELECT count(*) FROM queue_seen WHERE walk_id = $1 AND page = $2", 2,
	           params, PGRES_TUPLES_OK, "reading a queue walk", err);
	if (res == NULL)
		return -1;
	*recorded = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (*recorded == 0)
		return 0;
	*out = exec(
	    conn,
	    "SELECT " QUEUE_ITEM ")::text FROM queue_seen s JOIN contacts c ON "
	    "c.contact_id = s.contact_id WHERE s.walk_id = $1 AND s.page = $2 AND " QUEUE_CALLABLE
	    " AND " QUEUE_UNLEASED " ORDER BY s.rank",
	    2, params, PGRES_TUPLES_OK, "replaying a queue page", err);
	return *out != NULL ? 1 : -1;
}

/* Keeps the contacts of a page, in order, as returned by the walk. */
static int
walk_record(PGconn *conn, const char *walk_id, const char *page, PGresult *items,
            struct ls_err *err)
{
	json_t *ids = json_array();
	char *text;
	PGresult *res;

	if (ids == NULL)
		return ls_err_set(err, "out of memory");
	for (int r = 0; r < PQntuples(items); r++) {
		json_t *item = json_loads(PQgetvalue(items, r, 0), 0, NULL);

		if (item == NULL || json_array_append(ids, json_object_get(item, "contact")) < 0) {
			json_decref(item);
			json_decref(ids);
			return ls_err_set(err, "out of memory");
		}
		json_decref(item);
	}
	text = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	if (text == NULL)
		return ls_err_set(err, "out of memory");
	{
		const char *params[3] = {walk_id, page, text};

		res = exec(
		    conn,
		    "INSERT INTO queue_seen (contact_id, walk_id, page, rank) "
		    "SELECT x.c, $1, $2::integer, x.r FROM jsonb_array_elements_text($3::jsonb) "
		    "WITH ORDINALITY AS x(c, r) ORDER BY x.c COLLATE \"C\" ON CONFLICT DO NOTHING",
		    3, params, PGRES_COMMAND_OK, "recording a queue page", err);
	}
	free(text);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static PGresult *
walk_fresh(PGconn *conn, const struct queue_filter *f, const char *walk_id, struct ls_err *err)
{
	char limit[24];
	const char *params[5] = {f->owner, f->tier, f->segment, limit, walk_id};

	snprintf(limit, sizeof(limit), "%ld", f->limit);
	return exec(conn,
	            "SELECT " QUEUE_ITEM ")::text FROM contacts c WHERE " QUEUE_CALLABLE
	            " AND " QUEUE_UNLEASED " AND " QUEUE_FILTER
	            " AND NOT EXISTS (SELECT 1 FROM queue_seen s WHERE s.contact_id = c.contact_id "
	            "AND s.walk_id = $5) ORDER BY " QUEUE_ORDER " LIMIT $4::bigint",
	            5, params, PGRES_TUPLES_OK, "reading the queue", err);
}

PGresult *
queue_walk_page(PGconn *conn, const struct queue_filter *f, const char *walk_id, long page,
                int *more, struct ls_err *err)
{
	const char *params[1] = {walk_id};
	PGresult *res = NULL, *lock;
	char pg[24];
	long recorded = 0;
	int found = 0;

	*more = 0;
	snprintf(pg, sizeof(pg), "%ld", page);
	if (db_exec(conn, "BEGIN", err) < 0)
		return NULL;
	/* One request at a time per walk, so a page asked for twice at once is computed once. */
	lock = exec(conn, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7262004))", 1, params,
	            PGRES_TUPLES_OK, "locking a queue walk", err);
	if (lock == NULL)
		goto fail;
	PQclear(lock);
	if (page > 0 && (found = walk_replay(conn, walk_id, pg, &res, &recorded, err)) < 0)
		goto fail;
	if (!found) {
		res = walk_fresh(conn, f, walk_id, err);
		if (res == NULL)
			goto fail;
		/* A first page that is not full ends the walk: nothing to remember. */
		if ((page > 0 || PQntuples(res) == f->limit) &&
		    walk_record(conn, walk_id, pg, res, err) < 0)
			goto fail;
	}
	*more = found ? recorded >= f->limit : PQntuples(res) == f->limit;
	if (db_exec(conn, "COMMIT", err) < 0)
		goto fail;
	return res;
fail:
	PQclear(res);
	db_exec_quiet(conn, "ROLLBACK");
	*more = 0;
	return NULL;
}

int
queue_walk_expire(PGconn *conn, long ttl_s, struct ls_err *err)
{
	char ttl[24];
	const char *params[1] = {ttl};
	PGresult *res;

	snprintf(ttl, sizeof(ttl), "%ld", ttl_s);
	res =
	    exec(conn,
	         "DELETE FROM queue_seen WHERE seen_at < now() - make_interval(secs => $1::bigint)",
	         1, params, PGRES_COMMAND_OK, "expiring queue walks", err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The queue item of a leased contact, with its lease. */
static int
leased_item(PGconn *conn, const char *contact, char **item, struct ls_err *err)
{
	const char *params[1] = {contact};
	PGresult *res;

	res = exec(conn,
	           "SELECT " QUEUE_ITEM ", 'lease', " LEASE_ITEM ")::text FROM contacts c JOIN "
	           "leases l ON l.contact_id = c.contact_id WHERE c.contact_id = $1",
	           1, params, PGRES_TUPLES_OK, "reading a claimed contact", err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ls_err_set(err, "claimed contact %s vanished", contact);
	}
	*item = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *item != NULL ? 0 : ls_err_set(err, "out of memory");
}

/* One attempt: 1 leased (*contact set), 0 nothing to lease, 2 lost a race (try again). */
static int
claim_once(PGconn *conn, const struct queue_filter *f, const char *sdr, const char *secs,
           char *contact, size_t size, struct ls_err *err)
{
	const char *params[5] = {f->owner, f->tier, f->segment, sdr, secs};
	PGresult *res;
	int rc;

	res = exec(
	    conn,
	    "WITH pick AS (SELECT c.contact_id FROM contacts c WHERE " QUEUE_CALLABLE
	    " AND " QUEUE_UNLEASED " AND " QUEUE_FILTER " ORDER BY " QUEUE_ORDER
	    " LIMIT 1 FOR UPDATE OF c SKIP LOCKED), "
	    "ins AS (INSERT INTO leases AS l (contact_id, sdr, claimed_at, expires_at) "
	    "SELECT contact_id, $4, now(), now() + make_interval(secs => $5::bigint) FROM pick "
	    "ON CONFLICT (contact_id) DO UPDATE SET sdr = excluded.sdr, claimed_at = "
	    "excluded.claimed_at, expires_at = excluded.expires_at WHERE l.expires_at <= now() "
	    "RETURNING l.contact_id) "
	    "SELECT (SELECT count(*) FROM pick), (SELECT contact_id FROM ins)",
	    5, params, PGRES_TUPLES_OK, "claiming a contact", err);
	if (res == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 1)) {
		snprintf(contact, size, "%s", PQgetvalue(res, 0, 1));
		rc = 1;
	} else {
		/* Picked but not leased: a claim that committed after our snapshot got it. */
		rc = atoi(PQgetvalue(res, 0, 0)) > 0 ? 2 : 0;
	}
	PQclear(res);
	return rc;
}

int
queue_claim(PGconn *conn, const struct queue_filter *f, const char *sdr, long lease_s, char **item,
            struct ls_err *err)
{
	char secs[24], contact[512];
	int rc = 2;

	*item = NULL;
	snprintf(secs, sizeof(secs), "%ld", lease_s);
	/* Each attempt sees every claim committed before it, so a few always suffice in
	 * practice; past them the queue is as good as empty for this caller. */
	for (int attempt = 0; attempt < 20 && rc == 2; attempt++)
		rc = claim_once(conn, f, sdr, secs, contact, sizeof(contact), err);
	if (rc <= 0 || rc == 2)
		return rc < 0 ? -1 : 0;
	return leased_item(conn, contact, item, err) < 0 ? -1 : 1;
}

int
queue_claim_contact(PGconn *conn, const char *contact, const char *sdr, long lease_s,
                    enum queue_claim_result *result, char **item, char *why, size_t why_size,
                    struct ls_err *err)
{
	char secs[24];
	const char *params[3] = {contact, sdr, secs};
	PGresult *res;

	*item = NULL;
	why[0] = '\0';
	snprintf(secs, sizeof(secs), "%ld", lease_s);
	res = exec(
	    conn,
	    "WITH ins AS (INSERT INTO leases AS l (contact_id, sdr, claimed_at, expires_at) "
	    "SELECT c.contact_id, $2, now(), now() + make_interval(secs => $3::bigint) "
	    "FROM contacts c WHERE c.contact_id = $1 AND " QUEUE_CALLABLE " "
	    "ON CONFLICT (contact_id) DO UPDATE SET sdr = excluded.sdr, claimed_at = CASE WHEN "
	    "l.sdr = excluded.sdr AND l.expires_at > now() THEN l.claimed_at ELSE "
	    "excluded.claimed_at END, expires_at = excluded.expires_at "
	    "WHERE l.expires_at <= now() OR l.sdr = excluded.sdr RETURNING l.contact_id) "
	    "SELECT (SELECT count(*) FROM ins), c.contact_id IS NOT NULL, CASE "
	    "WHEN c.score IS NULL THEN 'it has no score yet' WHEN NOT c.consent THEN "
	    "'it has no consent' WHEN c.bounced THEN 'its email bounced' WHEN "
	    "c.unsubscribed THEN 'it unsubscribed' END, l.sdr, " TS(
	        "l.expires_at") " "
	                        "FROM (SELECT 1) one LEFT JOIN contacts c ON c.contact_id = $1 "
	                        "LEFT JOIN leases l ON l.contact_id = $1 AND l.expires_at > now()",
	    3, params, PGRES_TUPLES_OK, "claiming a contact", err);
	if (res == NULL)
		return -1;
	if (atoi(PQgetvalue(res, 0, 0)) == 1) {
		*result = QUEUE_CLAIMED;
	} else if (PQgetvalue(res, 0, 1)[0] != 't') {
		*result = QUEUE_NO_CONTACT;
		snprintf(why, why_size, "no contact %s", contact);
	} else if (!PQgetisnull(res, 0, 2)) {
		*result = QUEUE_NOT_LISTABLE;
		snprintf(why, why_size, "contact %s is not in the queue: %s", contact,
		         PQgetvalue(res, 0, 2));
	} else {
		*result = QUEUE_LEASED;
		snprintf(why, why_size, "contact %s is leased to %s until %s", contact,
		         PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	if (*result != QUEUE_CLAIMED)
		return 0;
	return leased_item(conn, contact, item, err);
}

int
queue_release(PGconn *conn, const char *contact, const char *sdr, enum queue_release_result *result,
              char *holder, size_t holder_size, struct ls_err *err)
{
	const char *params[2] = {contact, sdr};
	PGresult *res;

	holder[0] = '\0';
	res =
	    exec(conn,
	         "WITH del AS (DELETE FROM leases WHERE contact_id = $1 AND expires_at > now() AND "
	         "($2::text IS NULL OR sdr = $2) RETURNING sdr) "
	         "SELECT (SELECT sdr FROM del), l.sdr FROM (SELECT 1) one "
	         "LEFT JOIN leases l ON l.contact_id = $1 AND l.expires_at > now()",
	         2, params, PGRES_TUPLES_OK, "releasing a lease", err);
	if (res == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 0)) {
		*result = QUEUE_RELEASED;
		snprintf(holder, holder_size, "%s", PQgetvalue(res, 0, 0));
	} else if (!PQgetisnull(res, 0, 1)) {
		*result = QUEUE_HELD_BY_OTHER;
		snprintf(holder, holder_size, "%s", PQgetvalue(res, 0, 1));
	} else {
		*result = QUEUE_NO_LEASE;
	}
	PQclear(res);
	return 0;
}
