/* test_config.c: the key table, defaults, loading, every load error, lists, reload diffs, example.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../daemon/config.h"
#include "../testhelp.h"

#define CASES "tests/cases/config/"
#define EXAMPLE "docs/leadscored.conf.example"

/* The keys as the product specifies them, written out independently of config.c. */
static const struct want_key {
	const char *key;
	enum config_type type;
	const char *def;
	double min, max;
	int reloadable;
} want_keys[] = {
    {"daemon.log_level", CONFIG_ENUM, "info", 0, 0, 1},
    {"daemon.endpoints_file", CONFIG_STRING, "", 0, 0, 0},
    {"database.dsn", CONFIG_STRING, "", 0, 0, 0},
    {"database.statement_timeout_ms", CONFIG_INT, "30000", 0, 3600000, 1},
    {"database.reconnect_max_ms", CONFIG_INT, "30000", 100, 600000, 1},
    {"database.writers", CONFIG_INT, "2", 1, 16, 0},
    {"ingest.pull", CONFIG_LIST, "tcp://127.0.0.1:5571", 0, 0, 0},
    {"ingest.router", CONFIG_LIST, "tcp://127.0.0.1:5572", 0, 0, 0},
    {"ingest.sub", CONFIG_LIST, "", 0, 0, 0},
    {"ingest.subscribe", CONFIG_LIST, "", 0, 0, 0},
    {"ingest.max_message_bytes", CONFIG_INT, "1048576", 1024, 67108864, 1},
    {"ingest.max_batch_events", CONFIG_INT, "1000", 1, 100000, 1},
    {"ingest.dead_letter_bytes", CONFIG_INT, "4096", 64, 1048576, 1},
    {"ingest.rcvhwm", CONFIG_INT, "10000", 1, 10000000, 0},
    {"batch.max_events", CONFIG_INT, "500", 1, 100000, 1},
    {"batch.max_latency_ms", CONFIG_INT, "5", 0, 10000, 1},
    {"batch.max_pending", CONFIG_INT, "20000", 100, 10000000, 1},
    {"publish.pub", CONFIG_LIST, "tcp://127.0.0.1:5573", 0, 0, 0},
    {"publish.sndhwm", CONFIG_INT, "100000", 1, 10000000, 0},
    {"publish.hot", CONFIG_BOOL, "true", 0, 0, 1},
    {"model.dir", CONFIG_STRING, "/var/lib/leadscore/models", 0, 0, 1},
    {"features.spec", CONFIG_STRING, "/usr/share/leadscore/features.json", 0, 0, 1},
    {"train.kind", CONFIG_ENUM, "logistic", 0, 0, 1},
    {"train.min_positives", CONFIG_INT, "120", 0, 100000000, 1},
    {"train.holdout_fraction", CONFIG_DOUBLE, "0.2", 0.05, 0.5, 1},
    {"train.promote_tolerance", CONFIG_DOUBLE, "0.01", 0, 1, 1},
    {"train.snapshot_days", CONFIG_INT, "400", 0, 36500, 1},
    {"score.publish_delta", CONFIG_INT, "5", 0, 100, 1},
    {"score.reasons", CONFIG_INT, "6", 0, 8, 1},
    {"api.http", CONFIG_STRING, "127.0.0.1:5580", 0, 0, 0},
    {"api.rep", CONFIG_LIST, "tcp://127.0.0.1:5574", 0, 0, 0},
    {"api.max_connections", CONFIG_INT, "64", 1, 10000, 0},
    {"api.db_connections", CONFIG_INT, "4", 1, 100, 0},
    {"api.max_body_bytes", CONFIG_INT, "1048576", 1024, 67108864, 0},
    {"api.ingest_timeout_ms", CONFIG_INT, "10000", 100, 600000, 0},
    {"api.lease_seconds", CONFIG_INT, "900", 1, 86400, 0},
    {"api.cursor_ttl_s", CONFIG_INT, "3600", 60, 86400, 0},
    {"curve.enabled", CONFIG_BOOL, "false", 0, 0, 0},
    {"curve.key_file", CONFIG_STRING, "", 0, 0, 0},
    {"curve.clients", CONFIG_LIST, "", 0, 0, 1},
    {"curve.clients_file", CONFIG_STRING, "", 0, 0, 1},
    {"curve.sub_server_key", CONFIG_STRING, "", 0, 0, 0},
    {"auth.token", CONFIG_LIST, "", 0, 0, 1},
    {"auth.probes", CONFIG_ENUM, "open", 0, 0, 1},
    {"retention.days", CONFIG_INT, "365", 0, 36500, 1},
    {"retention.dedupe_days", CONFIG_INT, "30", 0, 36500, 1},
    {"retention.batch_rows", CONFIG_INT, "5000", 1, 1000000, 1},
    {"retention.interval", CONFIG_INT, "60", 1, 86400, 1},
    {"roi.holdout_percent", CONFIG_DOUBLE, "10", 0, 50, 1},
    {"roi.publish_interval", CONFIG_INT, "300", 1, 86400, 1},
    {"roi.window", CONFIG_ENUM, "week", 0, 0, 1},
    {"roi.min_holdout_meetings", CONFIG_INT, "5", 1, 100000, 1},
    {"roi.hourly_cost", CONFIG_DOUBLE, "60", 0, 1e6, 1},
    {"roi.value_per_meeting", CONFIG_DOUBLE, "500", 0, 1e9, 1},
    {"roi.annual_tco", CONFIG_DOUBLE, "0", 0, 1e12, 1},
    {"roi.initial_investment", CONFIG_DOUBLE, "0", 0, 1e12, 1},
    {"roi.discount_rate", CONFIG_DOUBLE, "0.08", -0.99, 10, 1},
    {"roi.horizon_years", CONFIG_INT, "3", 1, 50, 1},
    {"roi.best_multiplier", CONFIG_DOUBLE, "1.3333", 0, 100, 1},
    {"roi.base_multiplier", CONFIG_DOUBLE, "1", 0, 100, 1},
    {"roi.worst_multiplier", CONFIG_DOUBLE, "0.5185", 0, 100, 1},
    {"roi.best_probability", CONFIG_DOUBLE, "0.2", 0, 1, 1},
    {"roi.base_probability", CONFIG_DOUBLE, "0.5", 0, 1, 1},
    {"roi.worst_probability", CONFIG_DOUBLE, "0.3", 0, 1, 1},
};

#define NWANT (sizeof(want_keys) / sizeof(want_keys[0]))

static const struct config_key *
table_key(const char *dotted)
{
	size_t n;
	const struct config_key *keys = config_keys(&n);
	char name[128];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s.%s", keys[i].section, keys[i].name);
		if (strcmp(name, dotted) == 0)
			return &keys[i];
	}
	return NULL;
}

static void
test_table(void)
{
	size_t n, m;
	const struct config_key *keys = config_keys(&n);

	TEST_CHECK("table has every specified key and no other", n == NWANT);
	TEST_CHECK("config_keys without a count", config_keys(NULL) == keys);
	for (size_t i = 0; i < NWANT; i++) {
		const struct want_key *w = &want_keys[i];
		const struct config_key *k = table_key(w->key);

		TEST_CHECK(w->key, k != NULL);
		if (k == NULL)
			continue;
		TEST_CHECK(w->key, k->type == w->type);
		TEST_STREQ(w->key, k->def, w->def);
		TEST_CHECK(w->key, k->reloadable == w->reloadable);
		TEST_CHECK(w->key, k->doc != NULL && k->doc[0] != '\0' && strlen(k->doc) < 100);
		if (w->type == CONFIG_INT) {
			TEST_NEAR(w->key, k->min, w->min, 0);
			TEST_NEAR(w->key, k->max, w->max, 0);
		}
	}
	for (size_t i = 0; i < n; i++) {
		m = 0;
		for (size_t j = 0; j < n; j++)
			m += strcmp(keys[i].section, keys[j].section) == 0 &&
			     strcmp(keys[i].name, keys[j].name) == 0;
		TEST_CHECK("key names are unique", m == 1);
	}
	TEST_STREQ("enum values", table_key("daemon.log_level")->values, "debug|info|warn|error");
	TEST_STREQ("type name", config_type_name(CONFIG_LIST), "list");
	TEST_STREQ("type name", config_type_name(CONFIG_DOUBLE), "double");
	TEST_STREQ("type name", config_type_name(CONFIG_BOOL), "bool");
	TEST_STREQ("type name", config_type_name(CONFIG_ENUM), "enum");
	TEST_STREQ("type name", config_type_name(CONFIG_INT), "int");
	TEST_STREQ("type name", config_type_name(CONFIG_STRING), "string");
}

static void
check_defaults(const char *what, const struct config *c)
{
	TEST_CHECK(what, c->daemon_log_level == CONFIG_LOG_INFO);
	TEST_STREQ(what, c->daemon_endpoints_file, "");
	TEST_STREQ(what, c->database_dsn, "");
	TEST_CHECK(what, c->database_statement_timeout_ms == 30000);
	TEST_CHECK(what, c->database_reconnect_max_ms == 30000);
	TEST_CHECK(what, c->database_writers == 2);
	TEST_CHECK(what, c->ningest_pull == 1);
	TEST_STREQ(what, c->ningest_pull == 1 ? c->ingest_pull[0] : NULL, "tcp://127.0.0.1:5571");
	TEST_CHECK(what, c->ningest_router == 1);
	TEST_STREQ(what, c->ningest_router == 1 ? c->ingest_router[0] : NULL,
	           "tcp://127.0.0.1:5572");
	TEST_CHECK(what, c->ningest_sub == 0 && c->ingest_sub == NULL);
	TEST_CHECK(what, c->ningest_subscribe == 0 && c->ingest_subscribe == NULL);
	TEST_CHECK(what, c->ingest_max_message_bytes == 1048576);
	TEST_CHECK(what, c->ingest_max_batch_events == 1000);
	TEST_CHECK(what, c->ingest_dead_letter_bytes == 4096);
	TEST_CHECK(what, c->ingest_rcvhwm == 10000);
	TEST_CHECK(what, c->batch_max_events == 500);
	TEST_CHECK(what, c->batch_max_latency_ms == 5);
	TEST_CHECK(what, c->batch_max_pending == 20000);
	TEST_CHECK(what, c->npublish_pub == 1);
	TEST_STREQ(what, c->npublish_pub == 1 ? c->publish_pub[0] : NULL, "tcp://127.0.0.1:5573");
	TEST_CHECK(what, c->publish_sndhwm == 100000);
	TEST_CHECK(what, c->publish_hot == 1);
	TEST_STREQ(what, c->model_dir, "/var/lib/leadscore/models");
	TEST_STREQ(what, c->features_spec, "/usr/share/leadscore/features.json");
	TEST_CHECK(what, c->score_publish_delta == 5);
	TEST_CHECK(what, c->score_reasons == 6);
	TEST_STREQ(what, c->api_http, "127.0.0.1:5580");
	TEST_CHECK(what, c->napi_rep == 1);
	TEST_STREQ(what, c->napi_rep == 1 ? c->api_rep[0] : NULL, "tcp://127.0.0.1:5574");
	TEST_CHECK(what, c->api_max_connections == 64);
	TEST_CHECK(what, c->api_db_connections == 4);
	TEST_CHECK(what, c->api_max_body_bytes == 1048576);
	TEST_CHECK(what, c->api_ingest_timeout_ms == 10000);
	TEST_CHECK(what, c->api_lease_seconds == 900);
	TEST_CHECK(what, c->api_cursor_ttl_s == 3600);
	TEST_CHECK(what, c->nauth_token == 0 && c->auth_token == NULL);
	TEST_CHECK(what, c->auth_probes == CONFIG_PROBES_OPEN);
	TEST_NEAR(what, c->roi_holdout_percent, 10, 0);
	TEST_CHECK(what, c->roi_publish_interval == 300);
	TEST_CHECK(what, c->roi_horizon_years == 3);
	TEST_NEAR(what, c->roi_discount_rate, 0.08, 0);
	TEST_NEAR(what,
	          c->roi_best_probability + c->roi_base_probability + c->roi_worst_probability, 1.0,
	          1e-12);
}

static void
test_defaults(void)
{
	struct ls_err err = {{0}};
	struct config *c = config_defaults(&err);

	TEST_CHECK("defaults", c != NULL);
	if (c == NULL)
		return;
	check_defaults("defaults", c);
	TEST_CHECK("defaults are valid", config_validate(c, &err) == 0);
	config_free(c);

	c = config_load(CASES "empty.conf", &err);
	TEST_CHECK("empty file loads", c != NULL);
	if (c != NULL)
		check_defaults("empty file", c);
	config_free(c);
	config_free(NULL);
}

static void
test_full(void)
{
	struct ls_err err = {{0}};
	struct config *c = config_load(CASES "full.conf", &err);

	TEST_CHECK("full file loads", c != NULL);
	if (c == NULL) {
		printf("  reason: %s\n", err.msg);
		return;
	}
	TEST_CHECK("enum, case-insensitive", c->daemon_log_level == CONFIG_LOG_WARN);
	TEST_STREQ("string", c->daemon_endpoints_file, "/run/leadscore/endpoints");
	TEST_STREQ("string with = inside", c->database_dsn,
	           "host=db.internal port=6432 dbname=leads user=leadscore");
	TEST_CHECK("lower bound accepted", c->database_statement_timeout_ms == 0);
	TEST_CHECK("upper bound accepted", c->database_reconnect_max_ms == 600000);
	TEST_CHECK("list replaces default", c->ningest_pull == 1);
	TEST_STREQ("list item", c->ingest_pull[0], "ipc:///run/leadscore/pull");
	TEST_CHECK("comma list", c->ningest_router == 2);
	TEST_STREQ("comma list 0", c->ingest_router[0], "tcp://*:6000");
	TEST_STREQ("comma list 1", c->ingest_router[1], "tcp://[::1]:6001");
	TEST_CHECK("sub", c->ningest_sub == 1);
	TEST_STREQ("sub", c->ingest_sub[0], "tcp://cdp.internal:7000");
	TEST_CHECK("repeated list", c->ningest_subscribe == 2);
	TEST_STREQ("repeated list 0", c->ingest_subscribe[0], "page.");
	TEST_STREQ("repeated list 1", c->ingest_subscribe[1], "email.");
	TEST_CHECK("max message", c->ingest_max_message_bytes == 67108864);
	TEST_CHECK("max batch events", c->ingest_max_batch_events == 1);
	TEST_CHECK("dead letter", c->ingest_dead_letter_bytes == 64);
	TEST_CHECK("rcvhwm", c->ingest_rcvhwm == 10000000);
	TEST_CHECK("indented key, inline comment", c->batch_max_events == 100000);
	TEST_CHECK("latency", c->batch_max_latency_ms == 0);
	TEST_CHECK("pending", c->batch_max_pending == 10000000);
	TEST_CHECK("pub", c->npublish_pub == 1);
	TEST_STREQ("pub", c->publish_pub[0], "tcp://*:6002");
	TEST_CHECK("sndhwm", c->publish_sndhwm == 1);
	TEST_CHECK("bool off", c->publish_hot == 0);
	TEST_STREQ("quotes removed", c->model_dir, "/srv/models");
	TEST_STREQ("spec", c->features_spec, "/etc/leadscore/features.json");
	TEST_CHECK("train.kind", c->train_kind == 2);
	TEST_CHECK("train.min_positives", c->train_min_positives == 0);
	TEST_CHECK("train.holdout_fraction", c->train_holdout_fraction == 0.5);
	TEST_CHECK("train.promote_tolerance", c->train_promote_tolerance == 0);
	TEST_CHECK("train.snapshot_days", c->train_snapshot_days == 36500);
	TEST_CHECK("delta", c->score_publish_delta == 0);
	TEST_CHECK("reasons", c->score_reasons == 8);
	TEST_STREQ("api.http", c->api_http, "[::1]:8443");
	TEST_CHECK("api.rep", c->napi_rep == 1);
	TEST_STREQ("api.rep", c->api_rep[0], "ipc:///run/leadscore/rep");
	TEST_CHECK("api.max_connections", c->api_max_connections == 10000);
	TEST_CHECK("api.db_connections", c->api_db_connections == 100);
	TEST_CHECK("api.max_body_bytes", c->api_max_body_bytes == 1024);
	TEST_CHECK("api.ingest_timeout_ms", c->api_ingest_timeout_ms == 100);
	TEST_CHECK("api.lease_seconds", c->api_lease_seconds == 1);
	TEST_CHECK("api.cursor_ttl_s", c->api_cursor_ttl_s == 60);
	TEST_CHECK("auth.token", c->nauth_token == 2);
	TEST_CHECK("auth.probes", c->auth_probes == CONFIG_PROBES_TOKEN);
	config_free(c);
}

static void
test_lists(void)
{
	struct ls_err err = {{0}};
	struct config *c = config_load(CASES "lists.conf", &err);

	TEST_CHECK("lists load", c != NULL);
	if (c == NULL) {
		printf("  reason: %s\n", err.msg);
		return;
	}
	TEST_CHECK("comma then repeat", c->ningest_pull == 3);
	TEST_STREQ("trimmed 0", c->ingest_pull[0], "tcp://127.0.0.1:7001");
	TEST_STREQ("trimmed 1", c->ingest_pull[1], "tcp://127.0.0.1:7002");
	TEST_STREQ("repeat", c->ingest_pull[2], "tcp://127.0.0.1:7003");
	TEST_CHECK("empty value empties", c->ningest_router == 0 && c->ingest_router == NULL);
	TEST_CHECK("no blanks", c->ningest_sub == 2);
	TEST_STREQ("no blanks 0", c->ingest_sub[0], "tcp://a:1");
	TEST_STREQ("no blanks 1", c->ingest_sub[1], "tcp://b:2");
	TEST_CHECK("quoted empty", c->ningest_subscribe == 0);
	TEST_CHECK("repeated pub", c->npublish_pub == 2);
	TEST_STREQ("pub 0", c->publish_pub[0], "tcp://127.0.0.1:7004");
	TEST_STREQ("pub 1", c->publish_pub[1], "tcp://127.0.0.1:7005");
	config_free(c);
}

static const struct error_case {
	const char *file;
	const char *want; /* a substring of the reason */
} error_cases[] = {
    {"unknown_key.conf", CASES "unknown_key.conf:4: batch.max_event: unknown key"},
    {"bad_roi_probabilities.conf",
     CASES "bad_roi_probabilities.conf: roi: scenario probabilities sum to 0.9, not 1"},
    {"bad_roi_cost.conf",
     CASES "bad_roi_cost.conf:2: roi.annual_tco: -450000 is out of bounds (0..1000000000000)"},
    {"bad_roi_double.conf", CASES "bad_roi_double.conf:2: roi.hourly_cost: not a number: '0x10'"},
    {"bad_token_role.conf",
     CASES "bad_token_role.conf: auth.token #1: unknown role 'root' (sdr, producer or admin)"},
    {"bad_token_hash.conf", CASES "bad_token_hash.conf: auth.token #1: sdr: the hash must be 64 "
                                  "hex digits (SHA-256), not 8 characters"},
    {"bad_http.conf", CASES "bad_http.conf: api.http: 'localhost' is not HOST:PORT"},
    {"bad_http_port.conf", CASES "bad_http_port.conf: api.http: port '70000' is not 0..65535"},
    {"unknown_section.conf",
     CASES "unknown_section.conf:5: bacth.max_events: unknown section [bacth]"},
    {"out_of_bounds.conf",
     CASES "out_of_bounds.conf:2: batch.max_events: 0 is out of bounds (1..100000)"},
    {"above_max.conf", CASES "above_max.conf:2: score.reasons: 9 is out of bounds (0..8)"},
    {"negative.conf", CASES "negative.conf:2: database.statement_timeout_ms: -1 is out of "
                            "bounds (0..3600000)"},
    {"out_of_range.conf", CASES "out_of_range.conf:2: ingest.rcvhwm: 99999999999999999999999 "
                                "is out of bounds (1..10000000)"},
    {"not_a_number.conf", CASES "not_a_number.conf:2: score.publish_delta: not a number: 'five'"},
    {"empty_number.conf", CASES "empty_number.conf:2: score.reasons: not a number: ''"},
    {"trailing_junk.conf",
     CASES "trailing_junk.conf:2: batch.max_latency_ms: trailing junk after number: '5ms'"},
    {"bad_bool.conf", CASES "bad_bool.conf:2: publish.hot: not a boolean: 'maybe'"},
    {"bad_enum.conf", CASES "bad_enum.conf:2: daemon.log_level: 'verbose' is not one of "
                            "debug|info|warn|error"},
    {"duplicate.conf",
     CASES "duplicate.conf:5: batch.max_events: duplicate key (first set on line 2)"},
    {"duplicate_across_sections.conf",
     CASES "duplicate_across_sections.conf:7: model.dir: duplicate key (first set on line 3)"},
    {"empty_item.conf", CASES "empty_item.conf:2: publish.pub: empty item in list: "
                              "'tcp://127.0.0.1:1,,tcp://127.0.0.1:2'"},
    {"no_equals.conf", CASES "no_equals.conf:3: syntax error"},
    {"bad_section.conf", CASES "bad_section.conf:2: syntax error"},
    {"outside_section.conf", CASES "outside_section.conf:1: log_level: key outside any [section]"},
    {"long_line.conf", CASES "long_line.conf:3: line too long (more than 197 characters)"},
    {"no_ingest.conf", CASES "no_ingest.conf: no ingest endpoint"},
    {"no_publish.conf", CASES "no_publish.conf: publish.pub is empty"},
    {"subscribe_without_sub.conf",
     CASES "subscribe_without_sub.conf: ingest.subscribe is set but ingest.sub is empty"},
    {"batch_over_pending.conf", CASES "batch_over_pending.conf: batch.max_events (5000) "
                                      "exceeds batch.max_pending (1000)"},
    {"missing.conf", "cannot open " CASES "missing.conf: No such file or directory"},
    {"", CASES ": read error: Is a directory"},
};

static void
test_errors(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *e = &error_cases[i];
		struct ls_err err = {{0}};
		char path[256];
		struct config *c;

		snprintf(path, sizeof(path), CASES "%s", e->file);
		c = config_load(path, &err);
		TEST_CHECK(e->file, c == NULL);
		TEST_CHECK(e->file, strstr(err.msg, e->want) != NULL);
		if (strstr(err.msg, e->want) == NULL)
			printf("  got  \"%s\"\n  want \"%s\"\n", err.msg, e->want);
		TEST_CHECK("one line", strchr(err.msg, '\n') == NULL);
		config_free(c);
		/* The same failure with nowhere to put the reason. */
		TEST_CHECK(e->file, config_load(path, NULL) == NULL);
	}
}

/* Loads text from a temporary file. */
static struct config *
load_text(const char *text, struct ls_err *err)
{
	char path[] = "/tmp/test_config_XXXXXX";
	struct config *c;
	int fd = mkstemp(path);
	FILE *fp;

	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		close(fd);
		unlink(path);
		return NULL;
	}
	fputs(text, fp);
	fclose(fp);
	c = config_load(path, err);
	unlink(path);
	return c;
}

static void
test_values(void)
{
	static const struct {
		const char *text;
		int want;
	} bools[] = {
	    {"true", 1},  {"yes", 1}, {"on", 1},  {"1", 1}, {"TRUE", 1},
	    {"false", 0}, {"no", 0},  {"off", 0}, {"0", 0}, {"Off", 0},
	};
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	struct ls_err err = {{0}};
	struct config *c;
	char text[128];

	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		snprintf(text, sizeof(text), "[publish]\nhot = %s\n", bools[i].text);
		c = load_text(text, &err);
		TEST_CHECK(bools[i].text, c != NULL && c->publish_hot == bools[i].want);
		config_free(c);
	}
	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "[daemon]\nlog_level = %s\n", levels[i]);
		c = load_text(text, &err);
		TEST_CHECK(levels[i], c != NULL && c->daemon_log_level == i);
		config_free(c);
	}
	/* Windows line endings, a byte-order mark, name: value and a + sign all load. */
	c = load_text("\xEF\xBB\xBF[batch]\r\nmax_events: +42\r\n[score]\r\nreasons = 3 ; few\r\n",
	              &err);
	TEST_CHECK("crlf, bom, colon", c != NULL);
	TEST_CHECK("crlf value", c != NULL && c->batch_max_events == 42 && c->score_reasons == 3);
	config_free(c);
	/* A hexadecimal number is not a decimal one. */
	c = load_text("[batch]\nmax_events = 0x10\n", &err);
	TEST_CHECK("hex refused", c == NULL && strstr(err.msg, "trailing junk") != NULL);
	config_free(c);
	c = load_text("[batch]\nmax_events = \" 7\"\n", &err);
	TEST_CHECK("blank inside quotes",
	           c == NULL && strstr(err.msg, "not a number: ' 7'") != NULL);
	config_free(c);
}

static void
test_validate(void)
{
	struct ls_err err = {{0}};
	struct config *c = config_defaults(&err);

	TEST_CHECK("defaults", c != NULL);
	if (c == NULL)
		return;
	c->batch_max_events = c->batch_max_pending;
	TEST_CHECK("max_events equal to max_pending", config_validate(c, &err) == 0);
	c->batch_max_events = c->batch_max_pending + 1;
	TEST_CHECK("max_events above max_pending", config_validate(c, &err) == -1);
	TEST_STREQ("reason", err.msg, "batch.max_events (20001) exceeds batch.max_pending (20000)");
	TEST_CHECK("NULL err", config_validate(c, NULL) == -1);
	config_free(c);

	/* Only a SUB endpoint is enough to ingest from. */
	c = load_text("[ingest]\npull =\nrouter =\nsub = tcp://127.0.0.1:9\n", &err);
	TEST_CHECK("sub alone is an ingest endpoint", c != NULL);
	config_free(c);
}

static void
test_diff(void)
{
	struct ls_err err = {{0}};
	struct config *a = config_load(CASES "reload_old.conf", &err);
	struct config *b = config_load(CASES "reload_new.conf", &err);
	struct config *d = config_defaults(&err);
	struct config *full = config_load(CASES "full.conf", &err);
	char buf[512], small[10];

	TEST_CHECK("loaded", a != NULL && b != NULL && d != NULL && full != NULL);
	if (a == NULL || b == NULL || d == NULL || full == NULL)
		goto out;
	TEST_CHECK("same", config_diff_unreloadable(a, a, buf, sizeof(buf)) == 0);
	TEST_STREQ("same names", buf, "");
	TEST_CHECK("old file equals defaults",
	           config_diff_unreloadable(a, d, buf, sizeof(buf)) == 0);
	TEST_CHECK("two need a restart", config_diff_unreloadable(a, b, buf, sizeof(buf)) == 2);
	TEST_STREQ("names", buf, "ingest.pull, publish.sndhwm");
	TEST_CHECK("truncated", config_diff_unreloadable(a, b, small, sizeof(small)) == 2);
	TEST_STREQ("truncated names", small, "ingest.pu");
	TEST_CHECK("no buffer", config_diff_unreloadable(a, b, NULL, 0) == 2);
	TEST_CHECK("every kind", config_diff_unreloadable(d, full, buf, sizeof(buf)) == 17);
	TEST_STREQ(
	    "every kind names", buf,
	    "daemon.endpoints_file, database.dsn, ingest.pull, ingest.router, ingest.sub, "
	    "ingest.subscribe, ingest.rcvhwm, publish.pub, publish.sndhwm, api.http, api.rep, "
	    "api.max_connections, api.db_connections, api.max_body_bytes, "
	    "api.ingest_timeout_ms, api.lease_seconds, api.cursor_ttl_s");

	/* Same length, different item. */
	free(d->ingest_router[0]);
	d->ingest_router[0] = strdup("tcp://127.0.0.1:1");
	TEST_CHECK("changed item", d->ingest_router[0] != NULL &&
	                               config_diff_unreloadable(a, d, buf, sizeof(buf)) == 1);
	TEST_STREQ("changed item name", buf, "ingest.router");
out:
	config_free(a);
	config_free(b);
	config_free(d);
	config_free(full);
}

static char *
read_all(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *text;
	long len;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (text = calloc(1, (size_t)len + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(text, 1, (size_t)len, fp) != (size_t)len) {
		free(text);
		text = NULL;
	}
	fclose(fp);
	return text;
}

/* Whether the example sets key as "name = ..." under its own [section]. */
static int
example_sets(const char *text, const struct config_key *k)
{
	char header[64], line[64];
	const char *p = text, *next_section;
	size_t len;

	snprintf(header, sizeof(header), "\n[%s]\n", k->section);
	p = strstr(text, header);
	if (p == NULL)
		return 0;
	p += strlen(header);
	next_section = strstr(p, "\n[");
	len = next_section != NULL ? (size_t)(next_section - p) : strlen(p);
	snprintf(line, sizeof(line), "\n%s =", k->name);
	for (const char *q = strstr(p - 1, line); q != NULL; q = strstr(q + 1, line)) {
		if (q < p + len)
			return 1;
	}
	return 0;
}

static void
test_example(void)
{
	struct ls_err err = {{0}};
	struct config *c = config_load(EXAMPLE, &err), *d = config_defaults(&err);
	char *text = read_all(EXAMPLE);
	char doc[160];
	size_t n;
	const struct config_key *keys = config_keys(&n);

	TEST_CHECK("example loads", c != NULL);
	if (c == NULL)
		printf("  reason: %s\n", err.msg);
	else
		check_defaults("example", c);
	TEST_CHECK("example read", text != NULL);
	for (size_t i = 0; text != NULL && i < n; i++) {
		snprintf(doc, sizeof(doc), "\n# %s\n", keys[i].doc);
		TEST_CHECK(keys[i].name, example_sets(text, &keys[i]));
		TEST_CHECK(keys[i].doc, strstr(text, doc) != NULL);
	}
	TEST_CHECK("example sets defaults",
	           c != NULL && d != NULL && config_diff_unreloadable(c, d, NULL, 0) == 0);
	free(text);
	config_free(c);
	config_free(d);
}

int
main(void)
{
	test_table();
	test_defaults();
	test_full();
	test_lists();
	test_errors();
	test_values();
	test_validate();
	test_diff();
	test_example();
	return TEST_REPORT();
}
