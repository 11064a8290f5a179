/* store.c: the feature store's SQL: bulk statements with one JSON parameter each, rows in byte
 * order. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "pgarray.h"

/* contacts comes before leases: a claim locks the contact row, then its lease row, and
 * forget takes them in the same order, so the two cannot deadlock. Queue walks keep ids in
 * arrays (queue_pages), not rows: store_forget removes them there after these. */
const char *const store_contact_tables[] = {
    "events",   "score_changes", "dead_letters", "contact_snapshots",
    "outcomes", "contacts",      "leases",       NULL};

/* How a batch statement runs: planned for its arrays each time (its best plan depends on
 * the table's size), or prepared once on the writer's connection (an INSERT from unnest,
 * whose plan cannot change). */
enum run_as { PLANNED_EACH_TIME, PREPARED };

/* Runs sql with binary array parameters; NULL (err set) unless the status is want. */
static PGresult *
exec_arrays(PGconn *conn, enum run_as how, const char *sql, struct pgarray *arrays, int n,
            ExecStatusType want, const char *what, struct ls_err *err)
{
	PGresult *res = how == PREPARED ? pgarray_exec_prepared(conn, sql, arrays, n, err)
	                                : pgarray_exec(conn, sql, arrays, n, err);

	for (int i = 0; i < n; i++)
		pgarray_free(&arrays[i]);
	if (res == NULL) {
		ls_err_prefix(err, "%s", what);
		return NULL;
	}
	if (db_result_check(res, want, what, err) < 0)
		return NULL;
	return res;
}

int
store_begin(PGconn *conn, struct ls_err *err)
{
	return db_exec(conn, "BEGIN", err);
}

int
store_commit(PGconn *conn, struct ls_err *err)
{
	return db_exec(conn, "COMMIT", err);
}

void
store_rollback(PGconn *conn)
{
	if (PQstatus(conn) == CONNECTION_OK)
		db_exec_quiet(conn, "ROLLBACK");
}

json_t *
store_time_json(int64_t us)
{
	char buf[64];
	struct tm tm;
	time_t secs;
	long frac;

	if (us == 0)
		return json_null();
	secs = (time_t)(us / 1000000);
	frac = (long)(us % 1000000);
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return json_string(buf);
}

static int64_t
get_us(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static char *
get_str(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : strdup(PQgetvalue(res, row, col));
}

static json_t *
get_json(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return json_loads(PQgetvalue(res, row, col), 0, NULL);
}

static int
read_contact(const PGresult *res, int r, struct contact_row *row)
{
	memset(row, 0, sizeof(*row));
	row->contact_id = get_str(res, r, 0);
	row->account = get_str(res, r, 1);
	row->owner = get_str(res, r, 2);
	row->consent = PQgetvalue(res, r, 3)[0] == 't';
	row->bounced = PQgetvalue(res, r, 4)[0] == 't';
	row->unsubscribed = PQgetvalue(res, r, 5)[0] == 't';
	row->state = get_json(res, r, 6);
	row->events_applied = strtoll(PQgetvalue(res, r, 7), NULL, 10);
	row->first_seen_us = get_us(res, r, 8);
	row->last_event_us = get_us(res, r, 9);
	row->last_activity_us = get_us(res, r, 10);
	row->converted_us = get_us(res, r, 11);
	row->score = PQgetisnull(res, r, 12) ? -1 : atoi(PQgetvalue(res, r, 12));
	row->tier = PQgetisnull(res, r, 13) ? 0 : PQgetvalue(res, r, 13)[0];
	row->probability = PQgetisnull(res, r, 14) ? 0 : strtod(PQgetvalue(res, r, 14), NULL);
	row->segment = get_str(res, r, 15);
	row->holdout = PQgetvalue(res, r, 16)[0] == 't';
	if (row->contact_id == NULL || row->state == NULL)
		return -1;
	return 0;
}

/* A contact this batch sees first: the table's defaults, written by store_write_contacts. */
static int
new_contact(const char *id, struct contact_row *row)
{
	memset(row, 0, sizeof(*row));
	row->contact_id = strdup(id);
	row->state = json_object();
	row->consent = 1;
	row->score = -1;
	row->is_new = 1;
	return row->contact_id != NULL && row->state != NULL ? 0 : -1;
}

#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"

int
store_lock_contacts(PGconn *conn, char *const *ids, size_t n, struct contact_row *rows,
                    struct ls_err *err)
{
	struct pgarray arr;
	PGresult *res;
	size_t r = 0, nres;

	pgarray_init(&arr, PGARRAY_TEXT);
	for (size_t i = 0; i < n; i++)
		pgarray_text(&arr, ids[i]);
	/* The contacts not there yet are created at the end of the batch, written once. */
	res = exec_arrays(
	    conn, PLANNED_EACH_TIME,
	    "SELECT contact_id, account, owner, consent, bounced, unsubscribed, state, "
	    "events_applied, " US("first_seen") ", " US("last_event_at") ", " US(
	        "last_activity_at") ", " US("converted_at") ", score, tier, probability, "
	                                                    "segment, holdout FROM contacts WHERE "
	                                                    "contact_id = ANY ($1::text[]) "
	                                                    "ORDER BY contact_id COLLATE \"C\" FOR "
	                                                    "UPDATE",
	    &arr, 1, PGRES_TUPLES_OK, "locking contacts", err);
	if (res == NULL)
		return -1;
	nres = (size_t)PQntuples(res);
	for (size_t i = 0; i < n; i++) {
		int found = r < nres && strcmp(PQgetvalue(res, (int)r, 0), ids[i]) == 0;
		int rc =
		    found ? read_contact(res, (int)r++, &rows[i]) : new_contact(ids[i], &rows[i]);

		if (rc < 0) {
			for (size_t j = 0; j <= i; j++)
				contact_row_clear(&rows[j]);
			PQclear(res);
			return ls_err_set(err, "locking contacts: cannot read the row of %s",
			                  ids[i]);
		}
	}
	PQclear(res);
	if (r != nres) {
		for (size_t j = 0; j < n; j++)
			contact_row_clear(&rows[j]);
		return ls_err_set(err, "locking contacts: %zu rows for %zu ids", nres, n);
	}
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "subject\x1fsource\x1fid": one string per dedupe key, for matching RETURNING rows. */
static char *
key_join(const char *c, const char *s, const char *i)
{
	size_t n = strlen(c) + strlen(s) + strlen(i) + 3;
	char *k = malloc(n);

	if (k != NULL)
		snprintf(k, n, "%s\x1f%s\x1f%s", c, s, i);
	return k;
}

static int
mark_new(const PGresult *res, struct event *const *evs, size_t n, unsigned char *is_new)
{
	int rows = PQntuples(res);
	char **keys = calloc(rows ? (size_t)rows : 1, sizeof(*keys));
	int rc = 0;

	if (keys == NULL)
		return -1;
	for (int r = 0; r < rows && rc == 0; r++) {
		keys[r] =
		    key_join(PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
		if (keys[r] == NULL)
			rc = -1;
	}
	if (rc == 0)
		qsort(keys, (size_t)rows, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *k = key_join(evs[i]->subject, evs[i]->source, evs[i]->id);

		if (k == NULL) {
			rc = -1;
			break;
		}
		is_new[i] = bsearch(&k, keys, (size_t)rows, sizeof(*keys), key_cmp) != NULL;
		free(k);
	}
	for (int r = 0; r < rows; r++)
		free(keys[r]);
	free(keys);
	return rc;
}

int
store_insert_events(PGconn *conn, struct event *const *evs, size_t n, unsigned char *is_new,
                    struct ls_err *err)
{
	struct pgarray col[6];
	PGresult *res;
	int rc;

	pgarray_init(&col[0], PGARRAY_TEXT);
	pgarray_init(&col[1], PGARRAY_TEXT);
	pgarray_init(&col[2], PGARRAY_TEXT);
	pgarray_init(&col[3], PGARRAY_TEXT);
	pgarray_init(&col[4], PGARRAY_TIMESTAMPTZ);
	pgarray_init(&col[5], PGARRAY_JSONB);
	for (size_t i = 0; i < n; i++) {
		pgarray_text(&col[0], evs[i]->subject);
		pgarray_text(&col[1], evs[i]->source);
		pgarray_text(&col[2], evs[i]->id);
		pgarray_text(&col[3], evs[i]->type);
		pgarray_time(&col[4], evs[i]->time_us);
		pgarray_json(&col[5], evs[i]->data);
	}
	/* evs come in key order (byte order), so concurrent batches insert in one order. */
	res = exec_arrays(conn, PREPARED,
	                  "INSERT INTO events (contact_id, source, event_id, type, time, data) "
	                  "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
	                  "$5::timestamptz[], $6::jsonb[]) "
	                  "ON CONFLICT DO NOTHING RETURNING contact_id, source, event_id",
	                  col, 6, PGRES_TUPLES_OK, "recording events", err);
	if (res == NULL)
		return -1;
	rc = mark_new(res, evs, n, is_new);
	PQclear(res);
	return rc < 0 ? ls_err_set(err, "out of memory") : 0;
}

/* The columns the batch writes, in the order of the statements below. */
enum {
	C_ID,
	C_ACCOUNT,
	C_OWNER,
	C_SEGMENT,
	C_HOLDOUT,
	C_HOLDOUT_KEY,
	C_CONSENT,
	C_BOUNCED,
	C_UNSUBSCRIBED,
	C_STATE,
	C_APPLIED,
	C_FIRST_SEEN,
	C_LAST_EVENT,
	C_LAST_ACTIVITY,
	C_CONVERTED,
	C_SCORE,
	C_TIER,
	C_PROBABILITY,
	C_REASONS,
	C_FIT,
	C_ENGAGEMENT,
	C_MODEL,
	C_COUNT
};

#define CONTACT_COLUMNS                                                                            \
	"contact_id, account, owner, segment, holdout, holdout_key, consent, bounced, "            \
	"unsubscribed, state, events_applied, first_seen, last_event_at, last_activity_at, "       \
	"converted_at, score, tier, probability, reasons, fit, engagement, model_version"
#define CONTACT_UNNEST                                                                             \
	"unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::float8[], "        \
	"$7::bool[], $8::bool[], $9::bool[], $10::jsonb[], $11::int8[], $12::timestamptz[], "      \
	"$13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::int2[], $17::text[], "   \
	"$18::float8[], $19::jsonb[], $20::float8[], $21::float8[], $22::text[]) AS "              \
	"x(" CONTACT_COLUMNS ")"

static const uint32_t contact_types[C_COUNT] = {
    PGARRAY_TEXT,        PGARRAY_TEXT,        PGARRAY_TEXT,        PGARRAY_TEXT,
    PGARRAY_BOOL,        PGARRAY_FLOAT8,      PGARRAY_BOOL,        PGARRAY_BOOL,
    PGARRAY_BOOL,        PGARRAY_JSONB,       PGARRAY_INT8,        PGARRAY_TIMESTAMPTZ,
    PGARRAY_TIMESTAMPTZ, PGARRAY_TIMESTAMPTZ, PGARRAY_TIMESTAMPTZ, PGARRAY_INT2,
    PGARRAY_TEXT,        PGARRAY_FLOAT8,      PGARRAY_JSONB,       PGARRAY_FLOAT8,
    PGARRAY_FLOAT8,      PGARRAY_TEXT,
};

static void
contact_columns(struct pgarray *col, const struct contact_row *r)
{
	pgarray_text(&col[C_ID], r->contact_id);
	pgarray_text(&col[C_ACCOUNT], r->account);
	pgarray_text(&col[C_OWNER], r->owner);
	pgarray_text(&col[C_SEGMENT], r->segment);
	pgarray_bool(&col[C_HOLDOUT], r->holdout);
	if (r->holdout)
		pgarray_float8(&col[C_HOLDOUT_KEY], r->holdout_key);
	else
		pgarray_null(&col[C_HOLDOUT_KEY]);
	pgarray_bool(&col[C_CONSENT], r->consent);
	pgarray_bool(&col[C_BOUNCED], r->bounced);
	pgarray_bool(&col[C_UNSUBSCRIBED], r->unsubscribed);
	pgarray_json(&col[C_STATE], r->state);
	pgarray_int8(&col[C_APPLIED], r->events_applied);
	pgarray_time(&col[C_FIRST_SEEN], r->first_seen_us);
	pgarray_time(&col[C_LAST_EVENT], r->last_event_us);
	pgarray_time(&col[C_LAST_ACTIVITY], r->last_activity_us);
	pgarray_time(&col[C_CONVERTED], r->converted_us);
	pgarray_int2(&col[C_SCORE], r->score);
	pgarray_char(&col[C_TIER], r->tier);
	pgarray_float8(&col[C_PROBABILITY], r->probability);
	pgarray_json_text(&col[C_REASONS], r->reasons);
	pgarray_float8(&col[C_FIT], r->fit);
	pgarray_float8(&col[C_ENGAGEMENT], r->engagement);
	pgarray_text(&col[C_MODEL], r->model_version);
}

/* The dirty rows that are (want_new) or are not yet in the table, as column arrays. */
static size_t
contact_arrays(struct pgarray *col, const struct contact_row *rows, size_t n, int want_new)
{
	size_t count = 0;

	for (int c = 0; c < C_COUNT; c++)
		pgarray_init(&col[c], contact_types[c]);
	for (size_t i = 0; i < n; i++)
		if (rows[i].dirty && rows[i].is_new == want_new) {
			contact_columns(col, &rows[i]);
			count++;
		}
	return count;
}

static void
free_arrays(struct pgarray *col, int n)
{
	for (int c = 0; c < n; c++)
		pgarray_free(&col[c]);
}

static int
update_contacts(PGconn *conn, const struct contact_row *rows, size_t n, struct ls_err *err)
{
	struct pgarray col[C_COUNT];
	PGresult *res;

	if (contact_arrays(col, rows, n, 0) == 0) {
		free_arrays(col, C_COUNT);
		return 0;
	}
	res = exec_arrays(
	    conn, PLANNED_EACH_TIME,
	    "UPDATE contacts c SET account = x.account, owner = x.owner, segment = x.segment, "
	    "holdout = x.holdout, holdout_key = x.holdout_key, consent = x.consent, "
	    "bounced = x.bounced, unsubscribed = x.unsubscribed, state = x.state, "
	    "events_applied = x.events_applied, first_seen = x.first_seen, "
	    "last_event_at = x.last_event_at, last_activity_at = x.last_activity_at, "
	    "converted_at = x.converted_at, score = x.score, tier = x.tier, "
	    "probability = x.probability, reasons = x.reasons, fit = x.fit, "
	    "engagement = x.engagement, model_version = x.model_version, scored_at = now(), "
	    "updated_at = now() FROM " CONTACT_UNNEST " WHERE c.contact_id = x.contact_id",
	    col, C_COUNT, PGRES_COMMAND_OK, "updating contacts", err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* New contacts are inserted whole. Another writer (a second daemon) may have created one
 * since this batch looked: then nothing here is stale yet, but the batch must be redone
 * on top of that row, so it fails as a serialization conflict and is retried whole. */
static int
insert_contacts(PGconn *conn, const struct contact_row *rows, size_t n, struct ls_err *err)
{
	struct pgarray col[C_COUNT];
	size_t count = contact_arrays(col, rows, n, 1);
	PGresult *res;
	long inserted;

	if (count == 0) {
		free_arrays(col, C_COUNT);
		return 0;
	}
	res = exec_arrays(conn, PREPARED,
	                  "INSERT INTO contacts (" CONTACT_COLUMNS ", scored_at, updated_at) "
	                  "SELECT *, now(), now() FROM " CONTACT_UNNEST
	                  " ON CONFLICT (contact_id) DO NOTHING",
	                  col, C_COUNT, PGRES_COMMAND_OK, "creating contacts", err);
	if (res == NULL)
		return -1;
	inserted = atol(PQcmdTuples(res));
	PQclear(res);
	if (inserted != (long)count) {
		db_note_conflict();
		return ls_err_set(err,
		                  "creating contacts: %zu of them were created meanwhile by "
		                  "another writer",
		                  count - (size_t)inserted);
	}
	return 0;
}

/*
 * New contacts first, then the ones the batch locked. Inserting a contact that another writer
 * found (it was created meanwhile) and is updating waits for that writer. Were the updates
 * first, that writer could by then be waiting in its own insert for one of this batch's new
 * contacts: a deadlock. Inserting first, the batch has updated nothing when it waits (and
 * every batch inserts in contact order), and its updates wait for no one: it holds those rows.
 */
int
store_write_contacts(PGconn *conn, const struct contact_row *rows, size_t n, struct ls_err *err)
{
	if (insert_contacts(conn, rows, n, err) < 0)
		return -1;
	return update_contacts(conn, rows, n, err);
}

int
store_insert_score_changes(PGconn *conn, const struct score_change *changes, size_t n,
                           struct ls_err *err)
{
	struct pgarray col[10];
	static const uint32_t types[10] = {PGARRAY_TEXT, PGARRAY_INT2,   PGARRAY_INT2, PGARRAY_TEXT,
	                                   PGARRAY_TEXT, PGARRAY_FLOAT8, PGARRAY_TEXT, PGARRAY_TEXT,
	                                   PGARRAY_TEXT, PGARRAY_JSONB};
	PGresult *res;

	if (n == 0)
		return 0;
	for (int c = 0; c < 10; c++)
		pgarray_init(&col[c], types[c]);
	for (size_t i = 0; i < n; i++) {
		const struct score_change *sc = &changes[i];

		pgarray_text(&col[0], sc->contact_id);
		pgarray_int2(&col[1], sc->score);
		if (sc->previous_score < 0)
			pgarray_null(&col[2]);
		else
			pgarray_int2(&col[2], sc->previous_score);
		pgarray_char(&col[3], sc->tier);
		pgarray_char(&col[4], sc->previous_tier);
		pgarray_float8(&col[5], sc->probability);
		pgarray_text(&col[6], sc->model_version);
		pgarray_text(&col[7], sc->event_source);
		pgarray_text(&col[8], sc->event_id);
		pgarray_json_text(&col[9], sc->reasons);
	}
	res = exec_arrays(
	    conn, PREPARED,
	    "INSERT INTO score_changes (contact_id, score, previous_score, tier, "
	    "previous_tier, probability, model_version, event_source, event_id, reasons) "
	    "SELECT * FROM unnest($1::text[], $2::int2[], $3::int2[], $4::text[], "
	    "$5::text[], $6::float8[], $7::text[], $8::text[], $9::text[], $10::jsonb[])",
	    col, 10, PGRES_COMMAND_OK, "recording score changes", err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
store_insert_dead_letters(PGconn *conn, const struct dead_letter *dead, size_t n,
                          struct ls_err *err)
{
	/* Raw bytes go as binary parameters: they may be anything. One statement per
	 * letter is fine, dead letters are the exception. */
	for (size_t i = 0; i < n; i++) {
		const struct dead_letter *d = &dead[i];
		char orig[24];
		const char *params[7] = {d->transport, d->reason, d->source, d->id,
		                         d->subject,   d->raw,    orig};
		int lengths[7] = {0, 0, 0, 0, 0, (int)d->raw_len, 0};
		int formats[7] = {0, 0, 0, 0, 0, 1, 0};
		PGresult *res;

		snprintf(orig, sizeof(orig), "%zu", d->orig_len);
		res = PQexecParams(conn,
		                   "INSERT INTO dead_letters (transport, reason, event_source, "
		                   "event_id, contact_id, raw, raw_bytes) "
		                   "VALUES ($1, $2, $3, $4, $5, $6, $7)",
		                   7, NULL, params, lengths, formats, 0);
		if (db_result_check(res, PGRES_COMMAND_OK, "recording a dead letter", err) < 0)
			return -1;
		PQclear(res);
	}
	return 0;
}

/* One statement of a forget ($1 the contact): the rows it touched are added to *removed. */
static int
forget_in(PGconn *conn, const char *sql, const char *contact_id, long *removed, struct ls_err *err)
{
	const char *params[1] = {contact_id};
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);

	if (db_result_check(res, PGRES_COMMAND_OK, "forgetting a contact", err) < 0)
		return -1;
	*removed += atol(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

int
store_forget(PGconn *conn, const char *contact_id, long *removed, struct ls_err *err)
{
	const char *params[1] = {contact_id};
	char sql[128];

	PGresult *res;

	*removed = 0;
	/* The contact row first, as a batch and a claim lock it: then a forget waits for them
	 * (or they for it) instead of each holding what the other needs next. */
	res = PQexecParams(conn, "SELECT 1 FROM contacts WHERE contact_id = $1 FOR UPDATE", 1, NULL,
	                   params, NULL, NULL, 0);
	if (db_result_check(res, PGRES_TUPLES_OK, "forgetting a contact", err) < 0)
		return -1;
	PQclear(res);
	for (size_t i = 0; store_contact_tables[i] != NULL; i++) {
		/* Table names come from our own constant list, never from input. */
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE contact_id = $1",
		         store_contact_tables[i]);
		if (forget_in(conn, sql, contact_id, removed, err) < 0)
			return -1;
	}
	return forget_in(conn,
	                 "UPDATE queue_pages SET contact_ids = array_remove(contact_ids, $1) "
	                 "WHERE $1 = ANY (contact_ids)",
	                 contact_id, removed, err);
}

int
store_active_model(PGconn *conn, char **version, char **path, struct ls_err *err)
{
	PGresult *res = PQexec(conn, "SELECT version, path FROM models WHERE status = 'active'");

	*version = *path = NULL;
	if (db_result_check(res, PGRES_TUPLES_OK, "reading the model registry", err) < 0)
		return -1;
	if (PQntuples(res) == 1) {
		*version = strdup(PQgetvalue(res, 0, 0));
		*path = strdup(PQgetvalue(res, 0, 1));
		if (*version == NULL || *path == NULL) {
			free(*version);
			free(*path);
			*version = *path = NULL;
			PQclear(res);
			return ls_err_set(err, "out of memory");
		}
	}
	PQclear(res);
	return 0;
}

void
contact_row_clear(struct contact_row *row)
{
	free(row->contact_id);
	free(row->account);
	free(row->owner);
	free(row->segment);
	json_decref(row->state);
	free(row->reasons);
	memset(row, 0, sizeof(*row));
}
