/* cmd_lead.c: `leadscore lead CONTACT`: why a lead scored as it did, as a readable page or JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../daemon/config.h"
#include "../daemon/leads.h"
#include "cli.h"
#include "tables.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: leadscore lead [-c FILE | --dsn DSN] [--spec FILE] [--changes N] [--json] "
	        "CONTACT\n"
	        "  a lead's score, tier, reasons, fit vs engagement, features, lease and its last\n"
	        "  score changes with the event and model behind each; features need the feature\n"
	        "  spec (--spec, or features.spec of the -c config)\n");
}

static void
print_summary(const json_t *d)
{
	const json_t *split = json_object_get(d, "split"), *lease = json_object_get(d, "lease");
	char reasons[1024], t1[32], t2[32], t3[32];

	printf("contact         %s\n", cli_str(d, "contact"));
	printf("account         %s\n", cli_str(d, "account"));
	printf("owner           %s\n", cli_str(d, "owner"));
	printf("segment         %s\n", cli_str(d, "segment"));
	if (json_is_integer(json_object_get(d, "score")))
		printf("score           %lld (tier %s, probability %.3f)\n",
		       (long long)json_integer_value(json_object_get(d, "score")),
		       cli_str(d, "tier"), json_number_value(json_object_get(d, "probability")));
	else
		printf("score           - (not scored yet)\n");
	if (json_is_object(split))
		printf("split           fit %+.2f, engagement %+.2f\n",
		       json_number_value(json_object_get(split, "fit")),
		       json_number_value(json_object_get(split, "engagement")));
	cli_short_time(cli_str(d, "scored_at"), t1, sizeof(t1));
	printf("model           %s (scored %s)\n", cli_str(d, "model"), t1);
	cli_short_time(cli_str(d, "first_seen"), t1, sizeof(t1));
	cli_short_time(cli_str(d, "last_activity"), t2, sizeof(t2));
	printf("events          %lld applied; first seen %s, last activity %s\n",
	       (long long)json_integer_value(json_object_get(d, "events_applied")), t1, t2);
	printf("may be called   %s\n",
	       !json_is_true(json_object_get(d, "consent"))       ? "no (no consent)"
	       : json_is_true(json_object_get(d, "bounced"))      ? "no (email bounced)"
	       : json_is_true(json_object_get(d, "unsubscribed")) ? "no (unsubscribed)"
	                                                          : "yes");
	printf("group           %s\n", cli_str(d, "group"));
	if (json_is_object(lease)) {
		cli_short_time(cli_str(lease, "claimed_at"), t1, sizeof(t1));
		cli_short_time(cli_str(lease, "expires_at"), t3, sizeof(t3));
		printf("lease           %s since %s, until %s\n", cli_str(lease, "sdr"), t1, t3);
	} else {
		printf("lease           -\n");
	}
	cli_format_reasons(json_object_get(d, "reasons"), reasons, sizeof(reasons));
	printf("reasons         %s\n", reasons[0] ? reasons : "-");
}

static void
print_features(const json_t *features)
{
	const char *name;
	json_t *v;

	if (!json_is_object(features))
		return;
	printf("\n%-28s %s\n", "FEATURE", "VALUE");
	json_object_foreach((json_t *)features, name, v)
	{
		if (json_is_number(v))
			printf("%-28s %.4g\n", name, json_number_value(v));
		else
			printf("%-28s %s\n", name, json_is_string(v) ? json_string_value(v) : "-");
	}
}

static void
print_changes(const json_t *changes)
{
	size_t i;
	json_t *c;

	printf("\n%-16s %5s %6s %4s %5s  %-22s %s\n", "SCORE CHANGES", "SCORE", "FROM", "TIER",
	       "FROM", "MODEL", "EVENT");
	json_array_foreach(changes, i, c)
	{
		const json_t *prev = json_object_get(c, "previous_score");
		const json_t *ev = json_object_get(c, "event");
		char when[32], from[16];

		cli_short_time(cli_str(c, "time"), when, sizeof(when));
		if (json_is_integer(prev))
			snprintf(from, sizeof(from), "%lld", (long long)json_integer_value(prev));
		else
			snprintf(from, sizeof(from), "-");
		printf("%-16s %5lld %6s %4s %5s  %-22s %s %s\n", when,
		       (long long)json_integer_value(json_object_get(c, "score")), from,
		       cli_str(c, "tier"), cli_str(c, "previous_tier"), cli_str(c, "model"),
		       cli_str(ev, "source"), cli_str(ev, "id"));
	}
	if (json_array_size(changes) == 0)
		printf("(none)\n");
}

/* The spec features are computed with: --spec, else the config's features.spec. */
static struct featspec *
load_spec(const char *spec_path, const char *config_path)
{
	struct ls_err err;
	struct config *cfg = NULL;
	struct featspec *spec;

	if (spec_path == NULL && config_path != NULL) {
		cfg = config_load(config_path, &err);
		if (cfg == NULL) {
			fprintf(stderr, "leadscore lead: %s\n", err.msg);
			return NULL;
		}
		spec_path = cfg->features_spec;
	}
	if (spec_path == NULL)
		return NULL;
	spec = featspec_load(spec_path, &err);
	if (spec == NULL)
		fprintf(stderr, "leadscore lead: features left out: %s: %s\n", spec_path, err.msg);
	config_free(cfg);
	return spec;
}

static int
show(PGconn *conn, const char *contact, long nchanges, struct featspec *spec, int as_json)
{
	char *detail, *state, *text;
	struct ls_err err;
	json_t *d;
	int rc = leads_detail(conn, contact, nchanges, &detail, &state, &err);

	if (rc < 0) {
		fprintf(stderr, "leadscore lead: %s\n", err.msg);
		return CLI_FAIL;
	}
	if (rc == 0) {
		fprintf(stderr, "leadscore lead: no contact %s\n", contact);
		return CLI_FAIL;
	}
	d = json_loads(detail, 0, NULL);
	if (d != NULL && spec != NULL)
		json_object_set_new(d, "features",
		                    leads_features(spec, state, (int64_t)time(NULL) * 1000000));
	free(detail);
	free(state);
	if (d == NULL) {
		fprintf(stderr, "leadscore lead: out of memory\n");
		return CLI_FAIL;
	}
	if (as_json) {
		text = json_dumps(d, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "null");
		free(text);
	} else {
		print_summary(d);
		print_features(json_object_get(d, "features"));
		print_changes(json_object_get(d, "score_changes"));
	}
	json_decref(d);
	return CLI_OK;
}

int
cmd_lead(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"dsn", required_argument, NULL, 'd'},
	                                     {"spec", required_argument, NULL, 's'},
	                                     {"changes", required_argument, NULL, 'n'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct cli_db_opts db = {0};
	const char *spec_path = NULL;
	struct featspec *spec;
	long nchanges = 10;
	int c, as_json = 0, rc;
	PGconn *conn;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cli_db_option(c, optarg, &db))
			continue;
		switch (c) {
		case 's':
			spec_path = optarg;
			break;
		case 'n':
			if (cli_parse_long("lead", "--changes", optarg, 0, 100, &nchanges) < 0)
				return CLI_USAGE;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("lead", argv);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "leadscore lead: exactly one CONTACT is needed\n");
		return CLI_USAGE;
	}
	conn = cli_db_connect("lead", &db);
	if (conn == NULL)
		return CLI_FAIL;
	spec = load_spec(spec_path, db.config_path);
	rc = show(conn, argv[optind], nchanges, spec, as_json);
	featspec_free(spec);
	PQfinish(conn);
	return rc;
}
