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
#define QUEUE_ORDER_OF(t) t ".queue_key DESC, " t ".contact_id"
#define QUEUE_ORDER QUEUE_ORDER_OF("c")

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

/* ---- the API's statements, prepared once per pooled connection (queue_prepare) ---- */

/* A page of a walk: the best listable contacts the walk has not returned yet, recorded as
 * one queue_pages row (their ids in rank order) in the same statement when $7 says so, or
 * when the page is full. $1..$3 filter (FILTER: FILTERED, or empty; see below), $4 limit,
 * $5 walk, $6 page, $7 whether to record. SEEN (the walk's returned contacts, hashed once)
 * and CONFLICT are left out for a first page: its walk is new and has no pages. */
#define PAGE_ORDER QUEUE_ORDER_OF("p")
#define WALK_PAGE(FILTER, SEEN, CONFLICT)                                                          \
	"WITH pick AS (SELECT c.contact_id, c.queue_key, " QUEUE_ITEM ")::text AS item "           \
	"FROM contacts c WHERE " QUEUE_CALLABLE " AND " QUEUE_UNLEASED FILTER SEEN                 \
	" ORDER BY " QUEUE_ORDER " LIMIT $4::bigint), "                                            \
	"rec AS (INSERT INTO queue_pages (walk_id, page, contact_ids) "                            \
	"SELECT $5, $6::integer, array_agg(p.contact_id ORDER BY " PAGE_ORDER ") FROM pick p "     \
	"HAVING count(*) > 0 AND ($7::boolean OR count(*) = $4::bigint)" CONFLICT                  \
	") SELECT item FROM pick p ORDER BY " PAGE_ORDER
/* contact_id is never NULL, nor any id in a page, so NOT IN means "not among them"; the
 * planner hashes the subquery's ids once instead of scanning them per candidate. */
#define WALK_UNSEEN                                                                                \
	" AND c.contact_id NOT IN (SELECT unnest(s.contact_ids) FROM queue_pages s "               \
	"WHERE s.walk_id = $5)"

/* The leased contact's item as a claim returns it: the queue item plus its lease, from a
 * row source c with the item's columns and the lease l just written. */
#define CLAIMED_ITEM QUEUE_ITEM ", 'lease', " LEASE_ITEM ")::text"

/*
 * The pick of a claim: the best listable unleased contact, locked. The pick carries the
 * columns of its item, so the item is the row as locked, with no second statement.
 */
#define CLAIM(FILTER)                                                                              \
	"WITH pick AS (SELECT c.contact_id, c.account, c.score, c.probability, c.tier, "           \
	"c.reasons, c.last_activity_at, c.owner, c.segment, c.holdout FROM contacts c "            \
	"WHERE " QUEUE_CALLABLE " AND " QUEUE_UNLEASED FILTER " ORDER BY " QUEUE_ORDER             \
	" LIMIT 1 FOR UPDATE OF c SKIP LOCKED), "                                                  \
	"ins AS (INSERT INTO leases AS l (contact_id, sdr, claimed_at, expires_at) "               \
	"SELECT contact_id, $4, now(), now() + make_interval(secs => $5::bigint) FROM pick "       \
	"ON CONFLICT (contact_id) DO UPDATE SET sdr = excluded.sdr, claimed_at = "                 \
	"excluded.claimed_at, expires_at = excluded.expires_at WHERE l.expires_at <= now() "       \
	"RETURNING l.contact_id, l.sdr, l.claimed_at, l.expires_at) "                              \
	"SELECT (SELECT count(*) FROM pick), (SELECT " CLAIMED_ITEM                                \
	" FROM ins l JOIN pick c ON c.contact_id = l.contact_id)"

/*
 * Each statement that filters the queue comes twice: with the filter ($1 owner, $2 tier,
 * $3 segment), planned per call, and without it (the parameters typed but unused), for a
 * request with no filter, run with the generic plan. A generic plan cannot know that a NULL
 * turns "($1 IS NULL OR owner = $1)" off: it counts the three as selective (1 row of
 * 20,000 listable), and then reading and sorting the whole table, building every row's item,
 * looks cheaper than walking contacts_queue_idx for 50 rows (160 ms instead of 2 ms at
 * 20,000 contacts).
 */
#define FILTERED " AND " QUEUE_FILTER
#define TEXT_OID 25
static const Oid unused_filter[] = {TEXT_OID, TEXT_OID, TEXT_OID, 0, 0, 0, 0};

static const struct statement {
	const char *name, *sql;
	int nparams;
	const Oid *types; /* NULL: inferred */
} statements[] = {
#define ST_WALK_FIRST "ls_queue_walk_first"
    {ST_WALK_FIRST, WALK_PAGE(FILTERED, "", ""), 7, NULL},
#define ST_WALK_FIRST_ALL "ls_queue_walk_first_all"
    {ST_WALK_FIRST_ALL, WALK_PAGE("", "", ""), 7, unused_filter},
#define ST_WALK_NEXT "ls_queue_walk_next"
    {ST_WALK_NEXT, WALK_PAGE(FILTERED, WALK_UNSEEN, " ON CONFLICT DO NOTHING"), 7, NULL},
#define ST_WALK_NEXT_ALL "ls_queue_walk_next_all"
    {ST_WALK_NEXT_ALL, WALK_PAGE("", WALK_UNSEEN, " ON CONFLICT DO NOTHING"), 7, unused_filter},
#define ST_WALK_LOCK "ls_queue_walk_lock"
    {ST_WALK_LOCK, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7262004))", 1, NULL},
#define ST_WALK_COUNT "ls_queue_walk_count"
    {ST_WALK_COUNT,
     "SELECT coalesce(max(cardinality(contact_ids)), 0) FROM queue_pages WHERE walk_id = $1 "
     "AND page = $2::integer",
     2, NULL},
#define ST_WALK_REPLAY "ls_queue_walk_replay"
    {ST_WALK_REPLAY,
     "SELECT " QUEUE_ITEM ")::text FROM queue_pages s CROSS JOIN LATERAL "
     "unnest(s.contact_ids) WITH ORDINALITY AS u(contact_id, rank) JOIN contacts c ON "
     "c.contact_id = u.contact_id WHERE s.walk_id = $1 AND s.page = $2::integer AND " QUEUE_CALLABLE
     " AND " QUEUE_UNLEASED " ORDER BY u.rank",
     2, NULL},
#define ST_WALK_EXPIRE "ls_queue_walk_expire"
    {ST_WALK_EXPIRE,
     "DELETE FROM queue_pages WHERE seen_at < now() - make_interval(secs => $1::bigint)", 1, NULL},
#define ST_CLAIM "ls_queue_claim"
    {ST_CLAIM, CLAIM(FILTERED), 5, NULL},
#define ST_CLAIM_ALL "ls_queue_claim_all"
    {ST_CLAIM_ALL, CLAIM(""), 5, unused_filter},
#define ST_CLAIM_CONTACT "ls_queue_claim_contact"
    {ST_CLAIM_CONTACT,
     "WITH ins AS (INSERT INTO leases AS l (contact_id, sdr, claimed_at, expires_at) "
     "SELECT c.contact_id, $2, now(), now() + make_interval(secs => $3::bigint) "
     "FROM contacts c WHERE c.contact_id = $1 AND " QUEUE_CALLABLE " "
     "ON CONFLICT (contact_id) DO UPDATE SET sdr = excluded.sdr, claimed_at = CASE WHEN "
     "l.sdr = excluded.sdr AND l.expires_at > now() THEN l.claimed_at ELSE "
     "excluded.claimed_at END, expires_at = excluded.expires_at "
     "WHERE l.expires_at <= now() OR l.sdr = excluded.sdr "
     "RETURNING l.contact_id, l.sdr, l.claimed_at, l.expires_at) "
     "SELECT (SELECT count(*) FROM ins), c.contact_id IS NOT NULL, CASE "
     "WHEN c.score IS NULL THEN 'it has no score yet' WHEN NOT c.consent THEN "
     "'it has no consent' WHEN c.bounced THEN 'its email bounced' WHEN "
     "c.unsubscribed THEN 'it unsubscribed' END, l.sdr, " TS("l.expires_at") ", "
     "(SELECT " CLAIMED_ITEM " FROM ins l WHERE l.contact_id = c.contact_id) "
     "FROM (SELECT 1) one LEFT JOIN contacts c ON c.contact_id = $1 "
     "LEFT JOIN leases l ON l.contact_id = $1 AND l.expires_at > now()",
     3, NULL},
#define ST_RELEASE "ls_queue_release"
    {ST_RELEASE,
     "WITH del AS (DELETE FROM leases WHERE contact_id = $1 AND expires_at > now() AND "
     "($2::text IS NULL OR sdr = $2) RETURNING sdr) "
     "SELECT (SELECT sdr FROM del), l.sdr FROM (SELECT 1) one "
     "LEFT JOIN leases l ON l.contact_id = $1 AND l.expires_at > now()",
     2, NULL},
};

int
queue_prepare(PGconn *conn, struct ls_err *err)
{
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if (db_prepare(conn, statements[i].name, statements[i].sql, statements[i].nparams,
		               statements[i].types, err) < 0)
			return -1;
	return 0;
}

static PGresult *
run(PGconn *conn, const char *name, int n, const char *const *params, ExecStatusType want,
    const char *what, struct ls_err *err)
{
	PGresult *res = PQexecPrepared(conn, name, n, params, NULL, NULL, 0);

	if (db_result_check(res, want, what, err) < 0)
		return NULL;
	return res;
}

/*
 * Settings for one transaction (SET LOCAL). A statement prepared with parameters is planned
 * again on every call unless its generic plan looks as cheap as a custom one, which a
 * "LIMIT $n" never does. With no filter the plan is always the same walk down
 * contacts_queue_idx (or a key lookup), so these statements skip planning; with a filter
 * the planner still chooses per call.
 */
#define GENERIC_PLAN "SET LOCAL plan_cache_mode = force_generic_plan"
/* The transactions that write only queue_pages, a walk's memory of the pages it returned,
 * commit without waiting for the WAL flush. A crash of the database can lose the last
 * fraction of a second of those rows, and a client's next page then answers as if those
 * pages had not been recorded (it may repeat contacts of them). Leases, claims and
 * everything else stay durable. */
#define UNFLUSHED "SET LOCAL synchronous_commit = off"

static int
filtered(const struct queue_filter *f)
{
	return f->owner != NULL || f->tier != NULL || f->segment != NULL;
}

/* The result of the next pipelined statement: checked, and drained of its end marker. */
static PGresult *
pipeline_result(PGconn *conn, ExecStatusType want, const char *what, struct ls_err *err)
{
	PGresult *res = PQgetResult(conn), *extra;

	while (res != NULL && (extra = PQgetResult(conn)) != NULL)
		PQclear(extra);
	if (db_result_check(res, want, what, err) < 0)
		return NULL;
	return res;
}

/*
 * BEGIN, the SET LOCALs in settings (NULL-terminated), the prepared statement name and
 * COMMIT, sent together in pipeline mode: one round trip. The statement's result, or NULL
 * with err (the transaction rolled back).
 */
static PGresult *
run_in_txn(PGconn *conn, const char *const *settings, const char *name, int n,
           const char *const *params, ExecStatusType want, const char *what, struct ls_err *err)
{
	PGresult *res = NULL, *r;
	int sent = 1, nset = 0, failed = 0;

	if (PQenterPipelineMode(conn) != 1)
		return ls_err_set(err, "%s: no pipeline: %s", what, PQerrorMessage(conn)), NULL;
	sent = PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
	for (; sent && settings[nset] != NULL; nset++)
		sent = PQsendQueryParams(conn, settings[nset], 0, NULL, NULL, NULL, NULL, 0);
	sent = sent && PQsendQueryPrepared(conn, name, n, params, NULL, NULL, 0) &&
	       PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) &&
	       PQpipelineSync(conn);
	if (!sent) {
		/* The connection is broken or unusable: dbpool_put closes it. */
		ls_err_set(err, "%s: %s", what, PQerrorMessage(conn));
		return NULL;
	}
	for (int i = 0; i < nset + 1 && !failed; i++) {
		if ((r = pipeline_result(conn, PGRES_COMMAND_OK, what, err)) == NULL)
			failed = 1;
		PQclear(r);
	}
	if (!failed && (res = pipeline_result(conn, want, what, err)) == NULL)
		failed = 1;
	if (!failed && (r = pipeline_result(conn, PGRES_COMMAND_OK, what, err)) == NULL)
		failed = 1;
	else if (!failed)
		PQclear(r);
	/* After a failure the rest answer PGRES_PIPELINE_ABORTED (each with its end marker),
	 * up to the sync: at most two reads per statement sent, and the sync. */
	for (int left = 2 * (nset + 3) + 1; left > 0; left--) {
		ExecStatusType st;

		if ((r = PQgetResult(conn)) == NULL && PQstatus(conn) != CONNECTION_OK)
			break;
		st = r != NULL ? PQresultStatus(r) : PGRES_EMPTY_QUERY;
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (PQexitPipelineMode(conn) != 1 && !failed) {
		ls_err_set(err, "%s: %s", what, PQerrorMessage(conn));
		failed = 1;
	}
	if (failed) {
		PQclear(res);
		if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF &&
		    PQtransactionStatus(conn) != PQTRANS_IDLE)
			db_exec_quiet(conn, "ROLLBACK");
		return NULL;
	}
	return res;
}

/* A lone statement of the API: in a transaction of its own without a filter (for the
 * generic plan), on its own with one. */
static PGresult *
run_api(PGconn *conn, int generic, const char *name, int n, const char *const *params,
        ExecStatusType want, const char *what, struct ls_err *err)
{
	static const char *const settings[] = {GENERIC_PLAN, NULL};

	if (generic)
		return run_in_txn(conn, settings, name, n, params, want, what, err);
	return run(conn, name, n, params, want, what, err);
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

	res = run(conn, ST_WALK_COUNT, 2, params, PGRES_TUPLES_OK, "reading a queue walk", err);
	if (res == NULL)
		return -1;
	*recorded = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (*recorded == 0)
		return 0;
	*out = run(conn, ST_WALK_REPLAY, 2, params, PGRES_TUPLES_OK, "replaying a queue page", err);
	return *out != NULL ? 1 : -1;
}

PGresult *
queue_walk_page(PGconn *conn, const struct queue_filter *f, const char *walk_id, long page,
                int *more, struct ls_err *err)
{
	static const char *const first[] = {UNFLUSHED, GENERIC_PLAN, NULL};
	char limit[24], pg[24];
	const char *params[7] = {f->owner, f->tier, f->segment, limit, walk_id, pg, "false"};
	PGresult *res = NULL, *lock;
	long recorded = 0;
	int found = 0;

	*more = 0;
	snprintf(limit, sizeof(limit), "%ld", f->limit);
	snprintf(pg, sizeof(pg), "%ld", page);
	if (page == 0) {
		/* A first page is one statement (a full one is recorded as it is read) and
		 * needs no lock: its walk is new, known to no one else yet. */
		res = run_in_txn(conn, filtered(f) ? first + 1 : first,
		                 filtered(f) ? ST_WALK_FIRST : ST_WALK_FIRST_ALL, 7, params,
		                 PGRES_TUPLES_OK, "reading the queue", err);
		*more = res != NULL && PQntuples(res) == f->limit;
		return res;
	}
	if (db_exec(conn, filtered(f) ? "BEGIN; " UNFLUSHED : "BEGIN; " UNFLUSHED "; " GENERIC_PLAN,
	            err) < 0)
		goto fail;
	/* One request at a time per walk, so a page asked for twice at once is computed once. */
	lock = run(conn, ST_WALK_LOCK, 1, params + 4, PGRES_TUPLES_OK, "locking a queue walk", err);
	if (lock == NULL)
		goto fail;
	PQclear(lock);
	if ((found = walk_replay(conn, walk_id, pg, &res, &recorded, err)) < 0)
		goto fail;
	if (!found) {
		/* A later page is always remembered. */
		params[6] = "true";
		res = run(conn, filtered(f) ? ST_WALK_NEXT : ST_WALK_NEXT_ALL, 7, params,
		          PGRES_TUPLES_OK, "reading the queue", err);
		if (res == NULL)
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
	/* Only queue_pages, as above: a delete lost in a crash is done again by the next sweep. */
	static const char *const settings[] = {UNFLUSHED, NULL};
	char ttl[24];
	const char *params[1] = {ttl};
	PGresult *res;

	snprintf(ttl, sizeof(ttl), "%ld", ttl_s);
	res = run_in_txn(conn, settings, ST_WALK_EXPIRE, 1, params, PGRES_COMMAND_OK,
	                 "expiring queue walks", err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* One attempt: 1 leased (*item set), 0 nothing to lease, 2 lost a race (try again). */
static int
claim_once(PGconn *conn, const struct queue_filter *f, const char *sdr, const char *secs,
           char **item, struct ls_err *err)
{
	const char *params[5] = {f->owner, f->tier, f->segment, sdr, secs};
	PGresult *res;
	int rc;

	res = run_api(conn, !filtered(f), filtered(f) ? ST_CLAIM : ST_CLAIM_ALL, 5, params,
	              PGRES_TUPLES_OK, "claiming a contact", err);
	if (res == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 1)) {
		*item = strdup(PQgetvalue(res, 0, 1));
		rc = *item != NULL ? 1 : ls_err_set(err, "out of memory");
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
	char secs[24];
	int rc = 2;

	*item = NULL;
	snprintf(secs, sizeof(secs), "%ld", lease_s);
	/* Each attempt sees every claim committed before it, so a few always suffice in
	 * practice; past them the queue is as good as empty for this caller. */
	for (int attempt = 0; attempt < 20 && rc == 2; attempt++)
		rc = claim_once(conn, f, sdr, secs, item, err);
	if (rc <= 0 || rc == 2)
		return rc < 0 ? -1 : 0;
	return 1;
}

int
queue_claim_contact(PGconn *conn, const char *contact, const char *sdr, long lease_s,
                    enum queue_claim_result *result, char **item, char *why, size_t why_size,
                    struct ls_err *err)
{
	char secs[24];
	const char *params[3] = {contact, sdr, secs};
	PGresult *res;
	int rc = 0;

	*item = NULL;
	why[0] = '\0';
	snprintf(secs, sizeof(secs), "%ld", lease_s);
	res = run_api(conn, 1, ST_CLAIM_CONTACT, 3, params, PGRES_TUPLES_OK, "claiming a contact",
	              err);
	if (res == NULL)
		return -1;
	if (atoi(PQgetvalue(res, 0, 0)) == 1) {
		*result = QUEUE_CLAIMED;
		if (PQgetisnull(res, 0, 5))
			rc = ls_err_set(err, "claimed contact %s vanished", contact);
		else if ((*item = strdup(PQgetvalue(res, 0, 5))) == NULL)
			rc = ls_err_set(err, "out of memory");
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
	return rc;
}

int
queue_release(PGconn *conn, const char *contact, const char *sdr, enum queue_release_result *result,
              char *holder, size_t holder_size, struct ls_err *err)
{
	const char *params[2] = {contact, sdr};
	PGresult *res;

	holder[0] = '\0';
	res = run_api(conn, 1, ST_RELEASE, 2, params, PGRES_TUPLES_OK, "releasing a lease", err);
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
