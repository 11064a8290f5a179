/* config.c: the daemon's configuration: the key table, INI loading (libinih), defaults, diffs. */
#include "config.h"
#include "roi_config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "auth.h"
#include "curve.h"
#include "http.h"

enum { RESTART = 0, RELOAD = 1 };

#define FIELD(f) offsetof(struct config, f)
#define KEY_STRING(sec, name, f, def, rel, doc)                                                    \
	{                                                                                          \
		sec, name, CONFIG_STRING, def, 0, 0, NULL, rel, doc, FIELD(f), 0                   \
	}
#define KEY_INT(sec, name, f, def, lo, hi, rel, doc)                                               \
	{                                                                                          \
		sec, name, CONFIG_INT, def, lo, hi, NULL, rel, doc, FIELD(f), 0                    \
	}
#define KEY_DOUBLE(sec, name, f, def, lo, hi, rel, doc)                                            \
	{                                                                                          \
		sec, name, CONFIG_DOUBLE, def, lo, hi, NULL, rel, doc, FIELD(f), 0                 \
	}
#define KEY_BOOL(sec, name, f, def, rel, doc)                                                      \
	{                                                                                          \
		sec, name, CONFIG_BOOL, def, 0, 0, NULL, rel, doc, FIELD(f), 0                     \
	}
#define KEY_ENUM(sec, name, f, def, values, rel, doc)                                              \
	{                                                                                          \
		sec, name, CONFIG_ENUM, def, 0, 0, values, rel, doc, FIELD(f), 0                   \
	}
#define KEY_LIST(sec, name, f, def, rel, doc)                                                      \
	{                                                                                          \
		sec, name, CONFIG_LIST, def, 0, 0, NULL, rel, doc, FIELD(f), FIELD(n##f)           \
	}

/* Docs stay short: the example file prints each on one comment line. */
static const struct config_key keys[] = {
    KEY_ENUM("daemon", "log_level", daemon_log_level, "info", "debug|info|warn|error", RELOAD,
             "Least severe level of the messages logged."),
    KEY_STRING("daemon", "endpoints_file", daemon_endpoints_file, "", RESTART,
               "File to write the endpoints actually bound to (useful with port *); empty: none."),

    KEY_STRING("database", "dsn", database_dsn, "", RESTART,
               "libpq connection string; empty: libpq's PG* environment variables."),
    KEY_INT("database", "statement_timeout_ms", database_statement_timeout_ms, "30000", 0, 3600000,
            RELOAD, "Longest a statement may run, in milliseconds; 0: no limit."),
    KEY_INT("database", "reconnect_max_ms", database_reconnect_max_ms, "30000", 100, 600000, RELOAD,
            "Longest wait between reconnection attempts (backoff), in milliseconds."),
    KEY_INT(
        "database", "writers", database_writers, "2", 1, 16, RESTART,
        "Batches applied at once, each on its own connection: one computes while another waits."),

    KEY_LIST("ingest", "pull", ingest_pull, "tcp://127.0.0.1:5571", RESTART,
             "Endpoints to bind a PULL socket on (best-effort ingest from PUSH)."),
    KEY_LIST("ingest", "router", ingest_router, "tcp://127.0.0.1:5572", RESTART,
             "Endpoints to bind a ROUTER socket on (acknowledged ingest from DEALER/REQ)."),
    KEY_LIST("ingest", "sub", ingest_sub, "", RESTART,
             "PUB endpoints to connect a SUB socket to (best-effort ingest)."),
    KEY_LIST("ingest", "subscribe", ingest_subscribe, "", RESTART,
             "Topic prefixes to subscribe to on ingest.sub; empty: everything."),
    KEY_INT("ingest", "max_message_bytes", ingest_max_message_bytes, "1048576", 1024, 67108864,
            RELOAD, "Largest message accepted, in bytes; larger ones are dead-lettered."),
    KEY_INT("ingest", "max_batch_events", ingest_max_batch_events, "1000", 1, 100000, RELOAD,
            "Most events in one message (a JSON array)."),
    KEY_INT("ingest", "dead_letter_bytes", ingest_dead_letter_bytes, "4096", 64, 1048576, RELOAD,
            "Raw bytes of a rejected message kept in its dead letter."),
    KEY_INT("ingest", "rcvhwm", ingest_rcvhwm, "10000", 1, 10000000, RESTART,
            "Receive high-water mark of the ingest sockets, in messages."),

    KEY_INT("batch", "max_events", batch_max_events, "500", 1, 100000, RELOAD,
            "Events that close a batch (one transaction)."),
    KEY_INT("batch", "max_latency_ms", batch_max_latency_ms, "5", 0, 10000, RELOAD,
            "Milliseconds after its first event that close a batch."),
    KEY_INT("batch", "max_pending", batch_max_pending, "20000", 100, 10000000, RELOAD,
            "Events held while the database catches up before intake stops (back-pressure)."),

    KEY_LIST("publish", "pub", publish_pub, "tcp://127.0.0.1:5573", RESTART,
             "Endpoints to bind the PUB socket on (score, hot, roi and model messages)."),
    KEY_INT("publish", "sndhwm", publish_sndhwm, "100000", 1, 10000000, RESTART,
            "Send high-water mark of the PUB socket, in messages."),
    KEY_BOOL("publish", "hot", publish_hot, "true", RELOAD,
             "Publish a hot message when a contact enters tier A."),

    KEY_STRING("model", "dir", model_dir, "/var/lib/leadscore/models", RELOAD,
               "Directory of model bundles (model file plus JSON manifest)."),

    KEY_STRING("features", "spec", features_spec, "/usr/share/leadscore/features.json", RELOAD,
               "Feature spec file (JSON): the signals and attributes that describe a contact."),

    KEY_ENUM("train", "kind", train_kind, "logistic", "logistic|svm-linear|svm-rbf", RELOAD,
             "Model kind the nightly retraining (leadscore train) fits."),
    KEY_INT("train", "min_positives", train_min_positives, "120", 0, 100000000, RELOAD,
            "Fewest positive training examples a model may be trained from."),
    KEY_DOUBLE("train", "holdout_fraction", train_holdout_fraction, "0.2", 0.05, 0.5, RELOAD,
               "Share of the newest labelled snapshots held out to evaluate a new model."),
    KEY_DOUBLE("train", "promote_tolerance", train_promote_tolerance, "0.01", 0, 1, RELOAD,
               "Largest holdout AUC drop against the active model that promotion accepts."),
    KEY_INT("train", "snapshot_days", train_snapshot_days, "400", 0, 36500, RELOAD,
            "Days of feature snapshots kept (the nightly run deletes older ones); 0: all."),

    KEY_INT("score", "publish_delta", score_publish_delta, "5", 0, 100, RELOAD,
            "Least change of a score (0-100) that publishes it; a tier change always does."),
    KEY_INT("score", "reasons", score_reasons, "6", 0, 8, RELOAD,
            "Reasons kept per score, half for and half against."),

    KEY_STRING("api", "http", api_http, "127.0.0.1:5580", RESTART,
               "HTTP API listen address, HOST:PORT ([v6]:PORT, *:PORT for all); empty: off."),
    KEY_LIST("api", "rep", api_rep, "tcp://127.0.0.1:5574", RESTART,
             "Endpoints to bind the ZeroMQ request/reply API on; empty: off."),
    KEY_INT("api", "max_connections", api_max_connections, "64", 1, 10000, RESTART,
            "Most HTTP connections served at once (one thread each)."),
    KEY_INT("api", "db_connections", api_db_connections, "4", 1, 100, RESTART,
            "Database connections the API's requests share (besides the event loop's)."),
    KEY_INT("api", "max_body_bytes", api_max_body_bytes, "1048576", 1024, 67108864, RESTART,
            "Largest HTTP request body accepted, in bytes; larger ones get 413."),
    KEY_INT("api", "ingest_timeout_ms", api_ingest_timeout_ms, "10000", 100, 600000, RESTART,
            "How long an HTTP POST of events waits for its commit before answering 503."),
    KEY_INT("api", "lease_seconds", api_lease_seconds, "900", 1, 86400, RESTART,
            "Lease length of a claim that names none, in seconds."),
    KEY_INT("api", "cursor_ttl_s", api_cursor_ttl_s, "3600", 60, 86400, RESTART,
            "Seconds a queue pagination cursor stays valid."),

    KEY_BOOL("curve", "enabled", curve_enabled, "false", RESTART,
             "CURVE encryption and authentication on every ZeroMQ socket but inproc."),
    KEY_STRING("curve", "key_file", curve_key_file, "", RESTART,
               "The daemon's key pair (leadscore keygen --out FILE); needed when enabled."),
    KEY_LIST("curve", "clients", curve_clients, "", RELOAD,
             "A client public key admitted, as KEY or KEY LABEL (Z85); repeatable."),
    KEY_STRING("curve", "clients_file", curve_clients_file, "", RELOAD,
               "File of admitted client keys, one KEY [LABEL] a line, # comments; empty: none."),
    KEY_STRING("curve", "sub_server_key", curve_sub_server_key, "", RESTART,
               "Public key of the bus ingest.sub connects to; needed with CURVE and ingest.sub."),

    KEY_LIST("auth", "token", auth_token, "", RELOAD,
             "A token the API admits, as ROLE:SHA256HEX (leadscore token ROLE); repeatable."),
    KEY_ENUM("auth", "probes", auth_probes, "open", "open|token", RELOAD,
             "Whether /healthz, /readyz and /metrics need a token (any role)."),

    KEY_INT("retention", "days", retention_days, "365", 0, 36500, RELOAD,
            "Days a raw event's payload is kept after it is stored; 0 keeps everything."),
    KEY_INT("retention", "dedupe_days", retention_dedupe_days, "30", 0, 36500, RELOAD,
            "Days past retention.days an event's key is kept, so repeats stay duplicates."),
    KEY_INT("retention", "batch_rows", retention_batch_rows, "5000", 1, 1000000, RELOAD,
            "Rows one retention statement touches at most, so ingest never waits long."),
    KEY_INT("retention", "interval", retention_interval, "60", 1, 86400, RELOAD,
            "Seconds between retention passes."),

    KEY_DOUBLE(
        "roi", "holdout_percent", roi_holdout_percent, "10", 0, 50, RELOAD,
        "Share of new contacts (stable hash of the id) whose queue position ignores the score."),
    KEY_INT("roi", "publish_interval", roi_publish_interval, "300", 1, 86400, RELOAD,
            "Seconds between roi messages on the PUB socket (and daily roll-ups)."),
    KEY_ENUM("roi", "window", roi_window, "week", "day|week|month", RELOAD,
             "Window the published roi figures cover, ending now."),
    KEY_INT("roi", "min_holdout_meetings", roi_min_holdout_meetings, "5", 1, 100000, RELOAD,
            "Fewer hold-out meetings than this give the verdict \"not enough data\"."),
    KEY_DOUBLE("roi", "hourly_cost", roi_hourly_cost, "60", 0, 1e6, RELOAD,
               "Loaded cost of one SDR hour: hours saved x this = efficiency value."),
    KEY_DOUBLE("roi", "value_per_meeting", roi_value_per_meeting, "500", 0, 1e9, RELOAD,
               "Value of one booked meeting, for the meeting uplift."),
    KEY_DOUBLE("roi", "annual_tco", roi_annual_tco, "0", 0, 1e12, RELOAD,
               "Annual total cost of ownership; 0 leaves the ROI figures unset."),
    KEY_DOUBLE("roi", "initial_investment", roi_initial_investment, "0", 0, 1e12, RELOAD,
               "Year-0 cost of the multi-year (NPV) view."),
    KEY_DOUBLE("roi", "discount_rate", roi_discount_rate, "0.08", -0.99, 10, RELOAD,
               "Discount rate per year for NPV (0.08 for 8 %)."),
    KEY_INT("roi", "horizon_years", roi_horizon_years, "3", 1, 50, RELOAD,
            "Years the NPV view covers after year 0."),
    KEY_DOUBLE("roi", "best_multiplier", roi_best_multiplier, "1.3333", 0, 100, RELOAD,
               "Best-case annual value as a multiple of the measured one."),
    KEY_DOUBLE("roi", "base_multiplier", roi_base_multiplier, "1", 0, 100, RELOAD,
               "Base-case annual value as a multiple of the measured one."),
    KEY_DOUBLE("roi", "worst_multiplier", roi_worst_multiplier, "0.5185", 0, 100, RELOAD,
               "Worst-case annual value as a multiple of the measured one."),
    KEY_DOUBLE("roi", "best_probability", roi_best_probability, "0.2", 0, 1, RELOAD,
               "Probability of the best case; the three must sum to 1."),
    KEY_DOUBLE("roi", "base_probability", roi_base_probability, "0.5", 0, 1, RELOAD,
               "Probability of the base case."),
    KEY_DOUBLE("roi", "worst_probability", roi_worst_probability, "0.3", 0, 1, RELOAD,
               "Probability of the worst case."),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const struct config_key *
config_keys(size_t *n)
{
	if (n != NULL)
		*n = NKEYS;
	return keys;
}

const char *
config_type_name(enum config_type type)
{
	switch (type) {
	case CONFIG_STRING:
		return "string";
	case CONFIG_INT:
		return "int";
	case CONFIG_DOUBLE:
		return "double";
	case CONFIG_BOOL:
		return "bool";
	case CONFIG_ENUM:
		return "enum";
	case CONFIG_LIST:
		return "list";
	}
	return "?";
}

/* ---- typed access to a key's field ---- */

static void *
field_at(struct config *cfg, size_t offset)
{
	return (char *)cfg + offset;
}

static const void *
cfield_at(const struct config *cfg, size_t offset)
{
	return (const char *)cfg + offset;
}

static void
list_clear(char ***items, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*items)[i]);
	free(*items);
	*items = NULL;
	*n = 0;
}

/* ---- parsing one value ---- */

static int
out_of_bounds(const struct config_key *k, const char *text, struct ls_err *err)
{
	return ls_err_set(err, "%s is out of bounds (%.15g..%.15g)", text, k->min, k->max);
}

static int
parse_int(const struct config_key *k, const char *text, long *out, struct ls_err *err)
{
	char *end;
	long v;

	/* strtol would skip leading blanks; a value has none after trimming. */
	if (!isdigit((unsigned char)text[0]) && text[0] != '-' && text[0] != '+')
		return ls_err_set(err, "not a number: '%s'", text);
	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text)
		return ls_err_set(err, "not a number: '%s'", text);
	if (*end != '\0')
		return ls_err_set(err, "trailing junk after number: '%s'", text);
	if (errno == ERANGE || (double)v < k->min || (double)v > k->max)
		return out_of_bounds(k, text, err);
	*out = v;
	return 0;
}

static int
parse_double(const struct config_key *k, const char *text, double *out, struct ls_err *err)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)text[0]) && strchr("+-.", text[0]) == NULL)
		return ls_err_set(err, "not a number: '%s'", text);
	errno = 0;
	v = strtod(text, &end);
	if (end == text)
		return ls_err_set(err, "not a number: '%s'", text);
	if (*end != '\0')
		return ls_err_set(err, "trailing junk after number: '%s'", text);
	/* strtod also reads hex, "inf" and "nan": plain decimals only. */
	if (strspn(text, "0123456789+-.eE") != (size_t)(end - text))
		return ls_err_set(err, "not a number: '%s'", text);
	if (errno == ERANGE || !(v >= k->min && v <= k->max))
		return out_of_bounds(k, text, err);
	*out = v;
	return 0;
}

static int
parse_bool(const char *text, int *out, struct ls_err *err)
{
	static const char *const truths[] = {"true", "yes", "on", "1"};
	static const char *const lies[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(text, lies[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return ls_err_set(err, "not a boolean: '%s' (true/false, yes/no, on/off, 1/0)", text);
}

static int
parse_enum(const struct config_key *k, const char *text, int *out, struct ls_err *err)
{
	const char *p = k->values;
	int index = 0;

	while (*p != '\0') {
		size_t len = strcspn(p, "|");

		if (strlen(text) == len && strncasecmp(text, p, len) == 0) {
			*out = index;
			return 0;
		}
		p += len;
		if (*p == '|')
			p++;
		index++;
	}
	return ls_err_set(err, "'%s' is not one of %s", text, k->values);
}

static int
list_append(char ***items, size_t *n, const char *item, size_t len, struct ls_err *err)
{
	char **grown, *copy;

	copy = strndup(item, len);
	if (copy == NULL)
		return ls_err_set(err, "out of memory");
	grown = realloc(*items, (*n + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return ls_err_set(err, "out of memory");
	}
	grown[(*n)++] = copy;
	*items = grown;
	return 0;
}

/* Adds the comma-separated items of text; an empty text adds none. */
static int
parse_list(const char *text, char ***items, size_t *n, struct ls_err *err)
{
	const char *p = text;

	if (*text == '\0')
		return 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *start = p, *end = p + len;

		while (start < end && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		if (start == end)
			return ls_err_set(err, "empty item in list: '%s'", text);
		if (list_append(items, n, start, (size_t)(end - start), err) != 0)
			return -1;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int
set_string(char **dst, const char *text, struct ls_err *err)
{
	char *copy = strdup(text);

	if (copy == NULL)
		return ls_err_set(err, "out of memory");
	free(*dst);
	*dst = copy;
	return 0;
}

/* Stores text as k's value; a list key gains items rather than being replaced. */
static int
set_value(struct config *cfg, const struct config_key *k, const char *text, struct ls_err *err)
{
	void *dst = field_at(cfg, k->offset);

	switch (k->type) {
	case CONFIG_STRING:
		return set_string(dst, text, err);
	case CONFIG_INT:
		return parse_int(k, text, dst, err);
	case CONFIG_DOUBLE:
		return parse_double(k, text, dst, err);
	case CONFIG_BOOL:
		return parse_bool(text, dst, err);
	case CONFIG_ENUM:
		return parse_enum(k, text, dst, err);
	case CONFIG_LIST:
		return parse_list(text, dst, field_at(cfg, k->count_offset), err);
	}
	return ls_err_set(err, "unknown key type");
}

/* ---- whole configurations ---- */

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &keys[i];

		if (k->type == CONFIG_STRING)
			free(*(char **)field_at(cfg, k->offset));
		else if (k->type == CONFIG_LIST)
			list_clear(field_at(cfg, k->offset), field_at(cfg, k->count_offset));
	}
	free(cfg);
}

struct config *
config_defaults(struct ls_err *err)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (set_value(cfg, &keys[i], keys[i].def, err) != 0) {
			ls_err_prefix(err, "default of %s.%s", keys[i].section, keys[i].name);
			config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

/* The API's keys: a listen address that parses and token lines that do. */
static int
config_validate_api(const struct config *cfg, struct ls_err *err)
{
	struct auth_table *t;

	if (cfg->api_http[0] != '\0' && http_parse_address(cfg->api_http, NULL, err) < 0)
		return ls_err_prefix(err, "api.http");
	t = auth_table_new(cfg->auth_token, cfg->nauth_token, err);
	auth_table_free(t);
	return t != NULL ? 0 : -1;
}

/* The ROI figures' own rules (probabilities summing to 1 and the like) live with them. */
static int
config_validate_roi(const struct config *cfg, struct ls_err *err)
{
	struct roi_params p;

	roi_params_from_config(cfg, &p);
	return roi_params_check(&p, err);
}

int
config_validate(const struct config *cfg, struct ls_err *err)
{
	if (cfg->ningest_pull + cfg->ningest_router + cfg->ningest_sub == 0)
		return ls_err_set(
		    err, "no ingest endpoint: set ingest.pull, ingest.router or ingest.sub");
	if (cfg->npublish_pub == 0)
		return ls_err_set(err,
		                  "publish.pub is empty: scores need an endpoint to go out on");
	if (cfg->ningest_subscribe > 0 && cfg->ningest_sub == 0)
		return ls_err_set(err, "ingest.subscribe is set but ingest.sub is empty");
	if (cfg->batch_max_events > cfg->batch_max_pending)
		return ls_err_set(err, "batch.max_events (%ld) exceeds batch.max_pending (%ld)",
		                  cfg->batch_max_events, cfg->batch_max_pending);
	if (config_validate_api(cfg, err) < 0 || curve_config_check(cfg, err) < 0)
		return -1;
	return config_validate_roi(cfg, err);
}

/* ---- loading a file ---- */

struct load_ctx {
	const char *path;
	FILE *fp;
	char *line; /* getline's buffer */
	size_t cap;
	int lineno;
	int *first_line; /* per key: line of its first occurrence, 0 when not yet seen */
	struct config *cfg;
	int fail_line; /* 0 while all is well; -1 when no line was read */
	struct ls_err reason;
};

static int load_fail(struct load_ctx *c, const char *fmt, ...) LS_PRINTF(2, 3);

static int
load_fail(struct load_ctx *c, const char *fmt, ...)
{
	char why[sizeof(c->reason.msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->lineno == 0) {
		c->fail_line = -1;
		return ls_err_set(&c->reason, "%s: %s", c->path, why);
	}
	c->fail_line = c->lineno;
	return ls_err_set(&c->reason, "%s:%d: %s", c->path, c->lineno, why);
}

/*
 * Feeds inih one line at a time so that lineno is the line being handled
 * (the installed libinih does not pass line numbers to handlers). Leading
 * blanks are dropped, which turns off inih's continuation lines: an indented
 * key is a key, not more of the previous value. A line that would not fit
 * inih's buffer is refused rather than silently split in two.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct load_ctx *c = stream;
	ssize_t got;
	size_t len;
	const char *s;

	if (c->fail_line != 0)
		return NULL;
	got = getline(&c->line, &c->cap, c->fp);
	if (got < 0) {
		if (ferror(c->fp))
			load_fail(c, "read error: %s", strerror(errno));
		return NULL;
	}
	c->lineno++;
	s = c->line;
	len = (size_t)got;
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (num < 3 || len > (size_t)num - 3) {
		load_fail(c, "line too long (more than %d characters)", num - 3);
		return NULL;
	}
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static const struct config_key *
find_key(const char *section, const char *name, int *section_known)
{
	*section_known = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		*section_known = 1;
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

/* A value may be wrapped in double quotes, e.g. to write an empty one as "". */
static void
unquote(char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		memmove(s, s + 1, len - 2);
		s[len - 2] = '\0';
	}
}

static int
store_pair(struct load_ctx *c, const struct config_key *k, const char *value)
{
	size_t idx = (size_t)(k - keys);
	struct ls_err why;
	char *text;
	int rc;

	if (c->first_line[idx] != 0 && k->type != CONFIG_LIST)
		return load_fail(c, "%s.%s: duplicate key (first set on line %d)", k->section,
		                 k->name, c->first_line[idx]);
	if (c->first_line[idx] == 0 && k->type == CONFIG_LIST)
		list_clear(field_at(c->cfg, k->offset), field_at(c->cfg, k->count_offset));
	c->first_line[idx] = c->lineno;
	text = strdup(value);
	if (text == NULL)
		return load_fail(c, "%s.%s: out of memory", k->section, k->name);
	unquote(text);
	rc = set_value(c->cfg, k, text, &why);
	free(text);
	if (rc != 0)
		return load_fail(c, "%s.%s: %s", k->section, k->name, why.msg);
	return 0;
}

/* The key a pair names, or NULL with the reason recorded. */
static const struct config_key *
lookup(struct load_ctx *c, const char *section, const char *name)
{
	const struct config_key *k;
	int section_known;

	if (*section == '\0') {
		load_fail(c, "%s: key outside any [section]", name);
		return NULL;
	}
	k = find_key(section, name, &section_known);
	if (!section_known)
		load_fail(c, "%s.%s: unknown section [%s]", section, name, section);
	else if (k == NULL)
		load_fail(c, "%s.%s: unknown key", section, name);
	return k;
}

/* inih's handler: nonzero means the pair was accepted. */
static int
handle_pair(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	const struct config_key *k;

	if (c->fail_line != 0)
		return 0;
	k = lookup(c, section, name);
	return k != NULL && store_pair(c, k, value) == 0;
}

static int
parse_file(struct load_ctx *c, struct ls_err *err)
{
	int rc;

	rc = ini_parse_stream(read_line, c, handle_pair, c);
	/* inih reports the first bad line, ours or its own (a syntax error). */
	if (rc > 0 && rc != c->fail_line)
		return ls_err_set(err, "%s:%d: syntax error: expected [section] or name = value",
		                  c->path, rc);
	if (c->fail_line != 0) {
		*err = c->reason;
		return -1;
	}
	if (rc != 0)
		return ls_err_set(err, "%s: out of memory", c->path);
	return 0;
}

static int
load_into(struct load_ctx *c, struct ls_err *err)
{
	c->first_line = calloc(NKEYS, sizeof(*c->first_line));
	if (c->first_line == NULL)
		return ls_err_set(err, "out of memory");
	c->fp = fopen(c->path, "r");
	if (c->fp == NULL)
		return ls_err_set(err, "cannot open %s: %s", c->path, strerror(errno));
	if (parse_file(c, err) != 0)
		return -1;
	if (config_validate(c->cfg, err) != 0)
		return ls_err_prefix(err, "%s", c->path);
	return 0;
}

struct config *
config_load(const char *path, struct ls_err *err)
{
	struct load_ctx c = {.path = path};
	struct ls_err local;
	int rc;

	if (err == NULL)
		err = &local;
	c.cfg = config_defaults(err);
	if (c.cfg == NULL)
		return NULL;
	rc = load_into(&c, err);
	if (c.fp != NULL)
		fclose(c.fp);
	free(c.line);
	free(c.first_line);
	if (rc != 0) {
		config_free(c.cfg);
		return NULL;
	}
	return c.cfg;
}

/* ---- comparing configurations ---- */

static int
lists_equal(const struct config *a, const struct config *b, const struct config_key *k)
{
	const size_t *na = cfield_at(a, k->count_offset), *nb = cfield_at(b, k->count_offset);
	char *const *ia = *(char **const *)cfield_at(a, k->offset);
	char *const *ib = *(char **const *)cfield_at(b, k->offset);

	if (*na != *nb)
		return 0;
	for (size_t i = 0; i < *na; i++) {
		if (strcmp(ia[i], ib[i]) != 0)
			return 0;
	}
	return 1;
}

static int
values_equal(const struct config *a, const struct config *b, const struct config_key *k)
{
	const void *fa = cfield_at(a, k->offset), *fb = cfield_at(b, k->offset);

	switch (k->type) {
	case CONFIG_STRING:
		return strcmp(*(char *const *)fa, *(char *const *)fb) == 0;
	case CONFIG_INT:
		return *(const long *)fa == *(const long *)fb;
	case CONFIG_DOUBLE:
		return *(const double *)fa == *(const double *)fb;
	case CONFIG_BOOL:
	case CONFIG_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case CONFIG_LIST:
		return lists_equal(a, b, k);
	}
	return 0;
}

/* Appends to buf as far as it fits, always leaving it terminated. */
static void
append_name(char *buf, size_t size, size_t *used, int first, const struct config_key *k)
{
	int n;

	if (buf == NULL || *used + 1 >= size)
		return;
	n = snprintf(buf + *used, size - *used, "%s%s.%s", first ? "" : ", ", k->section, k->name);
	if (n < 0)
		return;
	*used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

int
config_diff_unreloadable(const struct config *old, const struct config *new, char *buf, size_t size)
{
	size_t used = 0;
	int count = 0;

	if (buf != NULL && size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].reloadable || values_equal(old, new, &keys[i]))
			continue;
		append_name(buf, size, &used, count == 0, &keys[i]);
		count++;
	}
	return count;
}
