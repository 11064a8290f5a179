/* config.h: the daemon's configuration: one table of keys, loaded from an INI file. */
#ifndef LS_CONFIG_H
#define LS_CONFIG_H

#include <stddef.h>

#include "err.h"

/*
 * Every key is one row of the table in config.c plus one field here. Field
 * types follow the key's type:
 *   CONFIG_STRING  char *             (never NULL; "" when empty)
 *   CONFIG_INT     long
 *   CONFIG_DOUBLE  double
 *   CONFIG_BOOL    int                (0 or 1)
 *   CONFIG_ENUM    int                (index into the key's allowed values)
 *   CONFIG_LIST    char ** + size_t   (n items; the array is NULL when n is 0)
 */
enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
	CONFIG_DOUBLE,
	CONFIG_BOOL,
	CONFIG_ENUM,
	CONFIG_LIST,
};

/* Values of daemon.log_level, in the order of enum log_level in log.h. */
enum config_log_level {
	CONFIG_LOG_DEBUG,
	CONFIG_LOG_INFO,
	CONFIG_LOG_WARN,
	CONFIG_LOG_ERROR,
};

/* Values of auth.probes: /healthz, /readyz and /metrics open to all, or token-protected. */
enum config_probes {
	CONFIG_PROBES_OPEN,
	CONFIG_PROBES_TOKEN,
};

struct config {
	int daemon_log_level; /* enum config_log_level */
	char *daemon_endpoints_file;

	char *database_dsn;
	long database_statement_timeout_ms;
	long database_reconnect_max_ms;
	long database_writers;

	char **ingest_pull;
	size_t ningest_pull;
	char **ingest_router;
	size_t ningest_router;
	char **ingest_sub;
	size_t ningest_sub;
	char **ingest_subscribe;
	size_t ningest_subscribe;
	long ingest_max_message_bytes;
	long ingest_max_batch_events;
	long ingest_dead_letter_bytes;
	long ingest_rcvhwm;

	long batch_max_events;
	long batch_max_latency_ms;
	long batch_max_pending;

	char **publish_pub;
	size_t npublish_pub;
	long publish_sndhwm;
	int publish_hot;

	char *model_dir;
	char *features_spec;

	int train_kind; /* index into "logistic|svm-linear|svm-rbf" */
	long train_min_positives;
	double train_holdout_fraction;
	double train_promote_tolerance;
	long train_snapshot_days;

	long score_publish_delta;
	long score_reasons;

	char *api_http;
	char **api_rep;
	size_t napi_rep;
	long api_max_connections;
	long api_db_connections;
	long api_max_body_bytes;
	long api_ingest_timeout_ms;
	long api_lease_seconds;
	long api_cursor_ttl_s;

	int curve_enabled;
	char *curve_key_file;
	char **curve_clients;
	size_t ncurve_clients;
	char *curve_clients_file;
	char *curve_sub_server_key;

	char **auth_token;
	size_t nauth_token;
	int auth_probes; /* enum config_probes */

	long retention_days;
	long retention_dedupe_days;
	long retention_batch_rows;
	long retention_interval;

	double roi_holdout_percent;
	long roi_publish_interval;
	int roi_window; /* index into "day|week|month" */
	long roi_min_holdout_meetings;
	double roi_hourly_cost;
	double roi_value_per_meeting;
	double roi_annual_tco;
	double roi_initial_investment;
	double roi_discount_rate;
	long roi_horizon_years;
	double roi_best_multiplier;
	double roi_base_multiplier;
	double roi_worst_multiplier;
	double roi_best_probability;
	double roi_base_probability;
	double roi_worst_probability;
};

/* One row of the key table. */
struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	const char *def;     /* the default, written as it would be in the file */
	double min, max;     /* CONFIG_INT and CONFIG_DOUBLE: inclusive bounds */
	const char *values;  /* CONFIG_ENUM: allowed values, "a|b|c" */
	int reloadable;      /* 1: SIGHUP applies a new value; 0: restart needed */
	const char *doc;     /* one line */
	size_t offset;       /* of the field in struct config */
	size_t count_offset; /* CONFIG_LIST: of the item count */
};

/* The key table, in the order the example file documents it. */
const struct config_key *config_keys(size_t *n);

/* "string", "int", "double", "bool", "enum" or "list". */
const char *config_type_name(enum config_type type);

/* A configuration holding every key's default. NULL only when out of memory. */
struct config *config_defaults(struct ls_err *err) LS_MUST_CHECK;

/*
 * Loads path over the defaults and validates the result. On error returns
 * NULL with a one-line reason naming file:line and the key, e.g.
 * "/etc/leadscore/leadscored.conf:12: batch.max_events: 0 is out of bounds (1..100000)".
 * A list key's first line in the file replaces its default; further lines
 * (and comma-separated values on one line) add items. Any other key may
 * appear only once.
 */
struct config *config_load(const char *path, struct ls_err *err) LS_MUST_CHECK;

/* Rules that involve more than one key (config_load applies them). */
int config_validate(const struct config *cfg, struct ls_err *err) LS_MUST_CHECK;

/* NULL-safe. */
void config_free(struct config *cfg);

/*
 * Counts the keys that need a restart (not reloadable) whose values differ
 * between old and new, and writes their names to buf ("ingest.pull,
 * publish.sndhwm"), truncated to size; buf may be NULL when size is 0.
 */
int config_diff_unreloadable(const struct config *old, const struct config *new, char *buf,
                             size_t size);

#endif
