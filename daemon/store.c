/* store.c: the feature store's SQL: bulk statements with one JSON parameter each, rows in byte order. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"

/* contacts comes before leases: a claim locks the contact row, then its lease row, and
 * forget takes them in the same order, so the two cannot deadlock. */
const char *const store_contact_tables[] = {"events", "score_changes", "dead_letters",
					    "contact_snapshots", "outcomes", "contacts", "leases",
					    "queue_seen", NULL};

/* Runs sql with one text parameter holding a JSON document. */
static PGresult *
exec_json(PGconn *conn, const char *sql, const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	const char *params[1] = {text};
	PGresult *res;

	if (text == NULL)
		return NULL;
	res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	free(text);
	return res;
}

static int
exec_json_command(PGconn *conn, const char *sql, const json_t *doc, const char *what,
		  struct ls_err *err)
{
	PGresult *res = exec_json(conn, sql, doc);

	if (db_result_check(res, PGRES_COMMAND_OK, what, err) < 0)
		return -1;
	PQclear(res);
	return 0;
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
	row->reasons = get_json(res, r, 15);
	row->segment = get_str(res, r, 16);
	row->holdout = PQgetvalue(res, r, 17)[0] == 't';
	if (row->contact_id == NULL || row->state == NULL)
		return -1;
	return 0;
}

#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"

int
store_lock_contacts(PGconn *conn, char *const *ids, size_t n, struct contact_row *rows,
		    struct ls_err *err)
{
	json_t *doc = json_array();
	PGresult *res;
	int rc = -1;

	if (doc == NULL)
		return ls_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(doc, json_string(ids[i])) < 0) {
			json_decref(doc);
			return ls_err_set(err, "out of memory");
		}
	if (exec_json_command(conn,
			      "INSERT INTO contacts (contact_id) SELECT c FROM "
			      "jsonb_array_elements_text($1::jsonb) AS c ORDER BY c COLLATE \"C\" "
			      "ON CONFLICT DO NOTHING",
			      doc, "creating contacts", err) < 0)
		goto out;
	res = exec_json(conn,
			"SELECT contact_id, account, owner, consent, bounced, unsubscribed, state, "
			"events_applied, " US("first_seen") ", " US("last_event_at") ", "
			US("last_activity_at") ", " US("converted_at") ", score, tier, probability, "
			"reasons, segment, holdout FROM contacts WHERE contact_id IN "
			"(SELECT jsonb_array_elements_text($1::jsonb)) "
			"ORDER BY contact_id COLLATE \"C\" FOR UPDATE",
			doc);
	if (db_result_check(res, PGRES_TUPLES_OK, "locking contacts", err) < 0)
		goto out;
	if ((size_t)PQntuples(res) != n) {
		ls_err_set(err, "locking contacts: %d rows for %zu ids", PQntuples(res), n);
		PQclear(res);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (read_contact(res, (int)i, &rows[i]) < 0 ||
		    strcmp(rows[i].contact_id, ids[i]) != 0) {
			rc = ls_err_set(err, "locking contacts: unexpected row for %s", ids[i]);
			for (size_t j = 0; j <= i; j++)
				contact_row_clear(&rows[j]);
			break;
		}
	}
	PQclear(res);
out:
	json_decref(doc);
	return rc;
}

static json_t *
event_record(const struct event *ev)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:O}", "c", ev->subject, "s", ev->source, "i",
			 ev->id, "t", ev->type, "tm", store_time_json(ev->time_us), "d", ev->data);
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
		keys[r] = key_join(PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
				   PQgetvalue(res, r, 2));
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
	json_t *doc = json_array();
	PGresult *res;
	int rc = -1;

	if (doc == NULL)
		return ls_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(doc, event_record(evs[i])) < 0)
			goto oom;
	res = exec_json(conn,
			"INSERT INTO events (contact_id, source, event_id, type, time, data) "
			"SELECT c, s, i, t, tm, d FROM jsonb_to_recordset($1::jsonb) AS "
			"x(c text, s text, i text, t text, tm timestamptz, d jsonb) "
			"ORDER BY c COLLATE \"C\", s COLLATE \"C\", i COLLATE \"C\" "
			"ON CONFLICT DO NOTHING RETURNING contact_id, source, event_id",
			doc);
	if (db_result_check(res, PGRES_TUPLES_OK, "recording events", err) < 0)
		goto out;
	rc = mark_new(res, evs, n, is_new);
	PQclear(res);
	if (rc < 0)
		goto oom;
	goto out;
oom:
	rc = ls_err_set(err, "out of memory");
out:
	json_decref(doc);
	return rc;
}

static json_t *
contact_record(const struct contact_row *r)
{
	char tier[2] = {r->tier, '\0'};

	return json_pack("{s:s, s:s?, s:s?, s:s?, s:b, s:o, s:b, s:b, s:b, s:O, s:I, s:o, s:o, "
			 "s:o, s:o, s:i, s:s, s:f, s:O?, s:f, s:f, s:s}",
			 "contact_id", r->contact_id, "account", r->account, "owner", r->owner,
			 "segment", r->segment, "holdout", r->holdout, "holdout_key",
			 r->holdout ? json_real(r->holdout_key) : json_null(),
			 "consent", r->consent, "bounced", r->bounced, "unsubscribed",
			 r->unsubscribed, "state", r->state, "events_applied",
			 (json_int_t)r->events_applied, "first_seen",
			 store_time_json(r->first_seen_us), "last_event_at",
			 store_time_json(r->last_event_us), "last_activity_at",
			 store_time_json(r->last_activity_us), "converted_at",
			 store_time_json(r->converted_us), "score", r->score, "tier", tier,
			 "probability", r->probability, "reasons", r->reasons, "fit", r->fit,
			 "engagement", r->engagement, "model_version", r->model_version);
}

int
store_update_contacts(PGconn *conn, const struct contact_row *rows, size_t n, struct ls_err *err)
{
	json_t *doc = json_array();
	int rc;

	if (doc == NULL)
		return ls_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].dirty)
			continue;
		if (json_array_append_new(doc, contact_record(&rows[i])) < 0) {
			json_decref(doc);
			return ls_err_set(err, "out of memory");
		}
	}
	rc = exec_json_command(
	    conn,
	    "UPDATE contacts c SET account = x.account, owner = x.owner, segment = x.segment, "
	    "holdout = x.holdout, holdout_key = x.holdout_key, consent = x.consent, "
	    "bounced = x.bounced, unsubscribed = x.unsubscribed, state = x.state, "
	    "events_applied = x.events_applied, first_seen = x.first_seen, "
	    "last_event_at = x.last_event_at, last_activity_at = x.last_activity_at, "
	    "converted_at = x.converted_at, score = x.score, tier = x.tier, "
	    "probability = x.probability, reasons = x.reasons, fit = x.fit, "
	    "engagement = x.engagement, model_version = x.model_version, scored_at = now(), "
	    "updated_at = now() FROM jsonb_to_recordset($1::jsonb) AS x(contact_id text, "
	    "account text, owner text, segment text, holdout boolean, "
	    "holdout_key double precision, consent boolean, "
	    "bounced boolean, "
	    "unsubscribed boolean, "
	    "state jsonb, events_applied bigint, first_seen timestamptz, "
	    "last_event_at timestamptz, last_activity_at timestamptz, converted_at timestamptz, "
	    "score smallint, tier char(1), probability double precision, reasons jsonb, "
	    "fit double precision, engagement double precision, model_version text) "
	    "WHERE c.contact_id = x.contact_id",
	    doc, "updating contacts", err);
	json_decref(doc);
	return rc;
}

static json_t *
tier_json(char tier)
{
	char s[2] = {tier, '\0'};

	return tier ? json_string(s) : json_null();
}

int
store_insert_score_changes(PGconn *conn, const struct score_change *changes, size_t n,
			   struct ls_err *err)
{
	json_t *doc;
	int rc;

	if (n == 0)
		return 0;
	doc = json_array();
	if (doc == NULL)
		return ls_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct score_change *c = &changes[i];
		json_t *rec = json_pack(
		    "{s:s, s:i, s:o, s:o, s:o, s:f, s:s, s:s?, s:s?, s:O?}", "contact_id",
		    c->contact_id, "score", c->score, "previous_score",
		    c->previous_score < 0 ? json_null() : json_integer(c->previous_score), "tier",
		    tier_json(c->tier), "previous_tier", tier_json(c->previous_tier), "probability",
		    c->probability, "model_version", c->model_version, "event_source",
		    c->event_source, "event_id", c->event_id, "reasons", c->reasons);

		if (json_array_append_new(doc, rec) < 0) {
			json_decref(doc);
			return ls_err_set(err, "out of memory");
		}
	}
	rc = exec_json_command(
	    conn,
	    "INSERT INTO score_changes (contact_id, score, previous_score, tier, previous_tier, "
	    "probability, model_version, event_source, event_id, reasons) "
	    "SELECT contact_id, score, previous_score, tier, previous_tier, probability, "
	    "model_version, event_source, event_id, reasons FROM jsonb_to_recordset($1::jsonb) AS "
	    "x(contact_id text, score smallint, previous_score smallint, tier char(1), "
	    "previous_tier char(1), probability double precision, model_version text, "
	    "event_source text, event_id text, reasons jsonb)",
	    doc, "recording score changes", err);
	json_decref(doc);
	return rc;
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
					 d->subject, d->raw, orig};
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

int
store_forget(PGconn *conn, const char *contact_id, long *removed, struct ls_err *err)
{
	const char *params[1] = {contact_id};
	char sql[128];

	*removed = 0;
	for (size_t i = 0; store_contact_tables[i] != NULL; i++) {
		PGresult *res;

		/* Table names come from our own constant list, never from input. */
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE contact_id = $1",
			 store_contact_tables[i]);
		res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
		if (db_result_check(res, PGRES_COMMAND_OK, "forgetting a contact", err) < 0)
			return -1;
		*removed += atol(PQcmdTuples(res));
		PQclear(res);
	}
	return 0;
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
	json_decref(row->reasons);
	memset(row, 0, sizeof(*row));
}
