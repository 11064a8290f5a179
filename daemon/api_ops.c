/* api_ops.c: the queue, claim, lease, lead and account operations, whichever transport asked. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "api.h"
#include "db.h"
#include "event.h"
#include "jsonw.h"
#include "leads.h"
#include "log.h"
#include "queue.h"
#include "roi_config.h"
#include "roi_store.h"

#define POOL_WAIT_MS 5000
#define QUEUE_DEFAULT_LIMIT 50
#define QUEUE_MAX_LIMIT 500
#define CHANGES_DEFAULT 10
#define CHANGES_MAX 100
#define NAME_MAX_LEN 256
#define WALK_SWEEP_US (60LL * 1000000)

/* ---- arguments ---- */

/* 0 when every member of args is one of the NULL-terminated names, else a 400. */
static int
args_known(const json_t *args, const char *const *names, struct api_reply *r)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)args, key, v)
	{
		size_t i;

		for (i = 0; names[i] != NULL && strcmp(names[i], key) != 0; i++)
			;
		if (names[i] == NULL) {
			api_fail(r, 400, "unknown parameter '%.60s'", key);
			return -1;
		}
	}
	return 0;
}

/* An optional string argument (NULL when absent); 1..NAME_MAX_LEN characters. */
static int
arg_str(const json_t *args, const char *name, const char **out, struct api_reply *r)
{
	json_t *v = json_object_get(args, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > NAME_MAX_LEN ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		api_fail(r, 400, "%s must be a string of 1 to %d characters", name, NAME_MAX_LEN);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int
arg_required(const json_t *args, const char *name, const char **out, struct api_reply *r)
{
	if (arg_str(args, name, out, r) < 0)
		return -1;
	if (*out == NULL) {
		api_fail(r, 400, "%s is required", name);
		return -1;
	}
	return 0;
}

/* An optional whole number in [min, max], given as a JSON integer or a decimal string
 * (query strings have no numbers). */
static int
arg_long(const json_t *args, const char *name, long min, long max, long def, long *out,
         struct api_reply *r)
{
	json_t *v = json_object_get(args, name);
	long long n;

	*out = def;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 20 &&
	           strspn(json_string_value(v), "0123456789") == json_string_length(v)) {
		n = strtoll(json_string_value(v), NULL, 10);
	} else {
		api_fail(r, 400, "%s must be a whole number from %ld to %ld", name, min, max);
		return -1;
	}
	if (n < min || n > max) {
		api_fail(r, 400, "%s must be a whole number from %ld to %ld", name, min, max);
		return -1;
	}
	*out = (long)n;
	return 0;
}

static int
arg_tier(const json_t *args, const char **out, struct api_reply *r)
{
	if (arg_str(args, "tier", out, r) < 0)
		return -1;
	if (*out != NULL && (strlen(*out) != 1 || (*out)[0] < 'A' || (*out)[0] > 'D')) {
		api_fail(r, 400, "tier must be A, B, C or D");
		return -1;
	}
	return 0;
}

static int
filter_args(const json_t *args, struct queue_filter *f, struct api_reply *r)
{
	memset(f, 0, sizeof(*f));
	if (arg_str(args, "owner", &f->owner, r) < 0 || arg_tier(args, &f->tier, r) < 0 ||
	    arg_str(args, "segment", &f->segment, r) < 0)
		return -1;
	return 0;
}

/* ---- database access ---- */

static PGconn *
conn_get(struct api *a, struct api_reply *r)
{
	struct ls_err err = {{0}};
	PGconn *conn = dbpool_get_prepared(a->pool, POOL_WAIT_MS, queue_prepare, &err);

	if (conn == NULL)
		api_fail(r, 503, "database unavailable: %s", err.msg);
	return conn;
}

/* After a failed statement: 503 when the connection is gone, else 500. */
static void
db_failed(struct api_reply *r, PGconn *conn, const struct ls_err *err)
{
	api_fail(r, db_connection_lost(conn) ? 503 : 500, "database error: %s", err->msg);
}

/* ---- queue items, parsed and written once ---- */

/*
 * A queue page's items come from the database as JSON text in PostgreSQL's layout; the
 * reply has them in jansson's compact layout, as every other reply. Parsing and writing
 * them again is most of a queue read's own cost, and the same items come back page after
 * page (the head of the queue moves slowly). So an item's compact text is kept, keyed by its
 * database text: the same text always gives the same item. A fixed table, one item per slot
 * (a newer one takes its slot).
 */
#define ITEM_SLOTS 1024

static struct item_slot {
	uint64_t hash;
	size_t len, out_len;
	char *text, *out;
} item_slots[ITEM_SLOTS];
static pthread_mutex_t item_lock = PTHREAD_MUTEX_INITIALIZER;

/* The compact text of one item, appended to w; -1 when it is not JSON or memory ran out. */
static int
item_append(struct jsonw *w, const char *text, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	struct item_slot *slot, old;
	json_t *doc;
	char *copy, *out;
	int hit = 0;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
	slot = &item_slots[h % ITEM_SLOTS];
	pthread_mutex_lock(&item_lock);
	if (slot->out != NULL && slot->hash == h && slot->len == len &&
	    memcmp(slot->text, text, len) == 0) {
		jsonw_raw(w, slot->out, slot->out_len);
		hit = 1;
	}
	pthread_mutex_unlock(&item_lock);
	if (hit)
		return 0;
	if ((doc = json_loadb(text, len, 0, NULL)) == NULL)
		return -1;
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (out == NULL)
		return -1;
	jsonw_rawz(w, out);
	if ((copy = malloc(len)) == NULL) {
		free(out);
		return 0; /* written, not kept */
	}
	memcpy(copy, text, len);
	pthread_mutex_lock(&item_lock);
	old = *slot;
	*slot = (struct item_slot){h, len, strlen(out), copy, out};
	pthread_mutex_unlock(&item_lock);
	free(old.text);
	free(old.out);
	return 0;
}

/*
 * A queue page as the reply's text, byte for byte what jansson's compact dump of
 * {"items": [...], "next_cursor": next} gives (next NULL: null). NULL when an item is not
 * JSON or memory ran out.
 */
static char *
page_text(PGresult *res, const char *next)
{
	struct jsonw w;

	jsonw_init(&w);
	jsonw_rawz(&w, "{\"items\":[");
	for (int i = 0; i < PQntuples(res); i++) {
		if (i > 0)
			jsonw_rawz(&w, ",");
		if (item_append(&w, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0)) < 0) {
			jsonw_free(&w);
			return NULL;
		}
	}
	jsonw_rawz(&w, "]");
	jsonw_key(&w, "next_cursor", 0);
	jsonw_string(&w, next);
	jsonw_rawz(&w, "}");
	return jsonw_take(&w, NULL);
}

static json_t *
rows_json(PGresult *res)
{
	json_t *items = json_array();

	for (int i = 0; items != NULL && i < PQntuples(res); i++)
		if (json_array_append_new(items, json_loads(PQgetvalue(res, i, 0), 0, NULL)) < 0) {
			json_decref(items);
			return NULL;
		}
	return items;
}

/* ---- queue walks and their cursors ---- */

static int64_t
wall_s(void)
{
	return (int64_t)time(NULL);
}

/* FNV-1a over the filters, so a cursor is only used with the query that made it. */
static uint64_t
filter_print(const struct queue_filter *f)
{
	const char *parts[3] = {f->owner, f->tier, f->segment};
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < 3; i++) {
		const char *p = parts[i] != NULL ? parts[i] : "";

		h = (h ^ (parts[i] != NULL ? 1u : 2u)) * 1099511628211ULL;
		for (; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	}
	return h;
}

struct cursor {
	char walk[33];
	long page;
	int64_t started;
	uint64_t print;
};

/* "WALK.PAGE.STARTED.PRINT": 32 hex digits, page, unix seconds, 16 hex digits. */
static void
cursor_format(const struct cursor *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s.%ld.%" PRId64 ".%016" PRIx64, c->walk, c->page, c->started,
	         c->print);
}

static int
cursor_parse(const char *text, struct cursor *c)
{
	char tail;
	unsigned long long print;
	long long started;

	if (strlen(text) > 80 || strspn(text, "0123456789abcdef") != 32 || text[32] != '.')
		return -1;
	memcpy(c->walk, text, 32);
	c->walk[32] = '\0';
	if (sscanf(text + 33, "%ld.%lld.%16llx%c", &c->page, &started, &print, &tail) != 3 ||
	    c->page < 1 || c->page > 1000000 || started <= 0)
		return -1;
	c->started = started;
	c->print = print;
	return 0;
}

static int
new_walk(struct cursor *c)
{
	unsigned char raw[16];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(c->walk + 2 * i, 3, "%02x", raw[i]);
	c->page = 0;
	c->started = wall_s();
	return 0;
}

/* At most once a minute, the pages of expired walks go. */
static void
sweep_walks(struct api *a, PGconn *conn)
{
	struct timespec ts;
	long long now, last;
	struct ls_err err;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	last = atomic_load(&a->walks_expired_us);
	if (last != 0 && now - last < WALK_SWEEP_US)
		return;
	if (!atomic_compare_exchange_strong(&a->walks_expired_us, &last, now))
		return;
	if (queue_walk_expire(conn, a->cursor_ttl_s, &err) < 0)
		log_warnx("%s", err.msg);
}

static int
walk_from_args(struct api *a, const json_t *args, const struct queue_filter *f, struct cursor *c,
               struct api_reply *r)
{
	const char *text;

	if (arg_str(args, "cursor", &text, r) < 0)
		return -1;
	if (text == NULL) {
		if (new_walk(c) < 0) {
			api_fail(r, 500, "no randomness for a queue walk: %s", strerror(errno));
			return -1;
		}
		c->print = filter_print(f);
		return 0;
	}
	if (cursor_parse(text, c) < 0) {
		api_fail(r, 400, "cursor is not one this server issued");
		return -1;
	}
	if (c->print != filter_print(f)) {
		api_fail(r, 400,
		         "cursor belongs to a query with other filters (owner, tier, segment)");
		return -1;
	}
	if (wall_s() - c->started > a->cursor_ttl_s) {
		api_fail(r, 400, "cursor expired (older than %ld s): start again without one",
		         a->cursor_ttl_s);
		return -1;
	}
	return 0;
}

void
api_op_queue(struct api *a, const json_t *args, enum metrics_api via, struct api_reply *r)
{
	static const char *const names[] = {"owner", "tier", "segment", "limit", "cursor", NULL};
	struct queue_filter f;
	struct cursor c;
	struct ls_err err = {{0}};
	char next[128];
	PGresult *res = NULL;
	PGconn *conn;
	int more = 0;

	metrics_queue_request(via);
	if (args_known(args, names, r) < 0 || filter_args(args, &f, r) < 0 ||
	    arg_long(args, "limit", 1, QUEUE_MAX_LIMIT, QUEUE_DEFAULT_LIMIT, &f.limit, r) < 0 ||
	    walk_from_args(a, args, &f, &c, r) < 0)
		return;
	/* A read: when a pooled connection turns out dead, one more try on a fresh one. */
	for (int attempt = 0; attempt < 2 && res == NULL; attempt++) {
		if ((conn = conn_get(a, r)) == NULL)
			return;
		if (c.page == 0)
			sweep_walks(a, conn);
		res = queue_walk_page(conn, &f, c.walk, c.page, &more, &err);
		if (res == NULL && (!db_connection_lost(conn) || attempt == 1))
			db_failed(r, conn, &err);
		dbpool_put(a->pool, conn);
		if (res == NULL && r->status != 0)
			return;
	}
	c.page++;
	cursor_format(&c, next, sizeof(next));
	r->body_text = page_text(res, more ? next : NULL);
	PQclear(res);
	if (r->body_text != NULL)
		r->status = 200;
	else
		api_fail(r, 500, "a queue item is not JSON, or out of memory");
}

/* ---- claims and leases ---- */

static void
claim_named(PGconn *conn, const char *contact, const char *sdr, long secs, struct api_reply *r)
{
	enum queue_claim_result result;
	struct ls_err err = {{0}};
	char why[600], *item = NULL;

	if (queue_claim_contact(conn, contact, sdr, secs, &result, &item, why, sizeof(why), &err) <
	    0) {
		db_failed(r, conn, &err);
		return;
	}
	switch (result) {
	case QUEUE_CLAIMED:
		metrics_claim(METRICS_CLAIMED);
		r->body = json_loads(item, 0, NULL);
		r->status = r->body != NULL ? 200 : 500;
		break;
	case QUEUE_NO_CONTACT:
		api_fail(r, 404, "%s", why);
		break;
	case QUEUE_NOT_LISTABLE:
	case QUEUE_LEASED:
		metrics_claim(METRICS_CLAIM_CONFLICT);
		api_fail(r, 409, "%s", why);
		break;
	}
	free(item);
}

void
api_op_claim(struct api *a, const json_t *args, struct api_reply *r)
{
	static const char *const names[] = {"sdr",     "owner",         "tier", "segment",
	                                    "contact", "lease_seconds", NULL};
	struct queue_filter f;
	struct ls_err err = {{0}};
	const char *sdr, *contact;
	char *item = NULL;
	PGconn *conn;
	long secs;
	int rc;

	if (args_known(args, names, r) < 0 || arg_required(args, "sdr", &sdr, r) < 0 ||
	    filter_args(args, &f, r) < 0 || arg_str(args, "contact", &contact, r) < 0 ||
	    arg_long(args, "lease_seconds", 1, 86400, a->lease_seconds, &secs, r) < 0)
		return;
	if ((conn = conn_get(a, r)) == NULL)
		return;
	if (contact != NULL) {
		claim_named(conn, contact, sdr, secs, r);
		dbpool_put(a->pool, conn);
		return;
	}
	rc = queue_claim(conn, &f, sdr, secs, &item, &err);
	if (rc < 0) {
		db_failed(r, conn, &err);
	} else if (rc == 0) {
		metrics_claim(METRICS_CLAIM_EMPTY);
		r->status = 204;
	} else {
		metrics_claim(METRICS_CLAIMED);
		r->body = json_loads(item, 0, NULL);
		r->status = r->body != NULL ? 200 : 500;
	}
	free(item);
	dbpool_put(a->pool, conn);
}

void
api_op_release(struct api *a, const json_t *args, struct api_reply *r)
{
	static const char *const names[] = {"contact", "sdr", NULL};
	enum queue_release_result result;
	struct ls_err err = {{0}};
	const char *contact, *sdr;
	char holder[NAME_MAX_LEN + 1];
	PGconn *conn;

	if (args_known(args, names, r) < 0 || arg_required(args, "contact", &contact, r) < 0 ||
	    arg_str(args, "sdr", &sdr, r) < 0)
		return;
	if ((conn = conn_get(a, r)) == NULL)
		return;
	if (queue_release(conn, contact, sdr, &result, holder, sizeof(holder), &err) < 0) {
		db_failed(r, conn, &err);
	} else if (result == QUEUE_RELEASED) {
		r->body =
		    json_pack("{s:s, s:s, s:b}", "contact", contact, "sdr", holder, "released", 1);
		r->status = r->body != NULL ? 200 : 500;
	} else if (result == QUEUE_HELD_BY_OTHER) {
		api_fail(r, 409, "contact %s is leased to %s, not %s", contact, holder, sdr);
	} else {
		api_fail(r, 404, "contact %s has no live lease", contact);
	}
	dbpool_put(a->pool, conn);
}

/* ---- lead detail and accounts ---- */

/* The features under the spec in force (the loop may swap it on reload). */
static json_t *
features_json(struct api *a, const char *state)
{
	json_t *out = NULL;

	pthread_rwlock_rdlock(&a->lock);
	if (a->spec != NULL)
		out = leads_features(a->spec, state, (int64_t)time(NULL) * 1000000);
	pthread_rwlock_unlock(&a->lock);
	return out;
}

void
api_op_lead(struct api *a, const json_t *args, struct api_reply *r)
{
	static const char *const names[] = {"contact", "changes", NULL};
	struct ls_err err = {{0}};
	const char *contact;
	char *detail = NULL, *state = NULL;
	PGconn *conn;
	long nchanges;
	int rc = -1;

	if (args_known(args, names, r) < 0 || arg_required(args, "contact", &contact, r) < 0 ||
	    arg_long(args, "changes", 0, CHANGES_MAX, CHANGES_DEFAULT, &nchanges, r) < 0)
		return;
	for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
		if ((conn = conn_get(a, r)) == NULL)
			return;
		rc = leads_detail(conn, contact, nchanges, &detail, &state, &err);
		if (rc < 0 && (!db_connection_lost(conn) || attempt == 1))
			db_failed(r, conn, &err);
		dbpool_put(a->pool, conn);
		if (rc < 0 && r->status != 0)
			return;
	}
	if (rc == 0) {
		api_fail(r, 404, "no contact %s", contact);
		return;
	}
	r->body = json_loads(detail, 0, NULL);
	if (r->body != NULL) {
		json_t *features = features_json(a, state);

		json_object_set_new(r->body, "features", features ? features : json_null());
	}
	r->status = r->body != NULL ? 200 : 500;
	free(detail);
	free(state);
}

static void
accounts(struct api *a, const char *account, long limit, struct api_reply *r)
{
	struct ls_err err = {{0}};
	PGresult *res = NULL;
	PGconn *conn;

	for (int attempt = 0; attempt < 2 && res == NULL; attempt++) {
		if ((conn = conn_get(a, r)) == NULL)
			return;
		res = leads_accounts(conn, account, limit, &err);
		if (res == NULL && (!db_connection_lost(conn) || attempt == 1))
			db_failed(r, conn, &err);
		dbpool_put(a->pool, conn);
		if (res == NULL && r->status != 0)
			return;
	}
	if (account != NULL) {
		if (PQntuples(res) == 0)
			api_fail(r, 404, "no scored contact in account %s", account);
		else
			r->body = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	} else {
		r->body = json_pack("{s:o}", "items", rows_json(res));
	}
	PQclear(res);
	if (r->status == 0)
		r->status = r->body != NULL ? 200 : 500;
}

void
api_op_account(struct api *a, const json_t *args, struct api_reply *r)
{
	static const char *const names[] = {"account", NULL};
	const char *account;

	if (args_known(args, names, r) < 0 || arg_required(args, "account", &account, r) < 0)
		return;
	accounts(a, account, 1, r);
}

void
api_op_accounts(struct api *a, const json_t *args, struct api_reply *r)
{
	static const char *const names[] = {"limit", NULL};
	long limit;

	if (args_known(args, names, r) < 0 ||
	    arg_long(args, "limit", 1, QUEUE_MAX_LIMIT, QUEUE_DEFAULT_LIMIT, &limit, r) < 0)
		return;
	accounts(a, NULL, limit, r);
}

/* The window a request asks for: [from, to), defaulting to the configured one ending now. */
static int
roi_window(const json_t *args, const char *def_window, int64_t *from, int64_t *to,
	   const char **window, struct api_reply *r)
{
	const char *f, *t;
	struct timespec now;

	if (arg_str(args, "from", &f, r) < 0 || arg_str(args, "to", &t, r) < 0 ||
	    arg_str(args, "window", window, r) < 0)
		return -1;
	if (*window == NULL)
		*window = def_window;
	if (roi_window_us(*window) == 0) {
		api_fail(r, 400, "window must be day, week or month");
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	*to = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	if (t != NULL && roi_parse_when(t, to) < 0) {
		api_fail(r, 400, "to must be an RFC 3339 time or a YYYY-MM-DD date");
		return -1;
	}
	*from = *to - roi_window_us(*window);
	if (f != NULL && roi_parse_when(f, from) < 0) {
		api_fail(r, 400, "from must be an RFC 3339 time or a YYYY-MM-DD date");
		return -1;
	}
	if (*from >= *to) {
		api_fail(r, 400, "from must be before to");
		return -1;
	}
	return 0;
}

void
api_op_roi(struct api *a, const json_t *args, struct api_reply *r)
{
	static const char *const names[] = {"from", "to", "window", NULL};
	struct roi_window_data w;
	struct roi_params p;
	struct ls_err err = {{0}};
	char def_window[8];
	const char *window;
	int64_t from, to;
	PGconn *conn;
	int rc = -1;

	pthread_rwlock_rdlock(&a->lock);
	p = a->roi;
	snprintf(def_window, sizeof(def_window), "%s", a->roi_window);
	pthread_rwlock_unlock(&a->lock);
	if (args_known(args, names, r) < 0 || roi_window(args, def_window, &from, &to, &window, r) < 0)
		return;
	for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
		if ((conn = conn_get(a, r)) == NULL)
			return;
		rc = roi_store_window(conn, from, to, &w, &err);
		if (rc < 0 && (!db_connection_lost(conn) || attempt == 1))
			db_failed(r, conn, &err);
		dbpool_put(a->pool, conn);
		if (rc < 0 && r->status != 0)
			return;
	}
	r->body = roi_report_build(&w, &p, from, to, window, &err);
	roi_window_data_clear(&w);
	if (r->body == NULL)
		api_fail(r, 500, "%s", err.msg);
	else
		r->status = 200;
}
