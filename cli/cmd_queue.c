/* cmd_queue.c: `leadscore queue`: the priority queue as a table, or JSON lines for scripts. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/queue.h"
#include "cli.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: leadscore queue [-c FILE | --dsn DSN] [--owner X] [--tier T] [--limit N]"
		     " [--json]\n"
		     "  the best leads first, with the reasons behind each score\n");
}

/* "pricing_views +1.20, demo_requests +0.90 | days_since_last_activity -0.30" */
static void
format_reasons(const char *json_text, char *out, size_t size)
{
	json_t *arr = json_loads(json_text, 0, NULL), *r;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(arr, i, r)
	{
		int n = snprintf(out + used, size - used, "%s%s %+.2f", i ? ", " : "",
				 json_string_value(json_object_get(r, "feature")),
				 json_number_value(json_object_get(r, "effect")));

		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	json_decref(arr);
}

static void
print_rows(PGresult *res, int as_json)
{
	char reasons[512];

	if (!as_json)
		printf("%-4s %-12s %-26s %5s %4s  %-16s %s\n", "#", "CONTACT", "ACCOUNT", "SCORE",
		       "TIER", "LAST ACTIVITY", "REASONS");
	for (int r = 0; r < PQntuples(res); r++) {
		if (as_json) {
			json_t *row = json_pack(
			    "{s:s, s:s?, s:i, s:s, s:o, s:s, s:s}", "contact", PQgetvalue(res, r, 0),
			    "account", PQgetisnull(res, r, 1) ? NULL : PQgetvalue(res, r, 1), "score",
			    atoi(PQgetvalue(res, r, 2)), "tier", PQgetvalue(res, r, 3), "reasons",
			    json_loads(PQgetvalue(res, r, 4), 0, NULL), "last_activity",
			    PQgetvalue(res, r, 5), "owner", PQgetvalue(res, r, 6));
			char *text = row ? json_dumps(row, JSON_COMPACT) : NULL;

			if (text != NULL)
				printf("%s\n", text);
			free(text);
			json_decref(row);
			continue;
		}
		format_reasons(PQgetvalue(res, r, 4), reasons, sizeof(reasons));
		printf("%-4d %-12s %-26s %5s %4s  %-16s %s\n", r + 1, PQgetvalue(res, r, 0),
		       PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
		       PQgetvalue(res, r, 5), reasons);
	}
}

int
cmd_queue(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"dsn", required_argument, NULL, 'd'},
					     {"owner", required_argument, NULL, 'o'},
					     {"tier", required_argument, NULL, 't'},
					     {"limit", required_argument, NULL, 'l'},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct cli_db_opts db = {0};
	struct queue_filter f = {NULL, NULL, 20};
	struct ls_err err;
	int c, as_json = 0;
	PGconn *conn;
	PGresult *res;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			db.config_path = optarg;
			break;
		case 'd':
			db.dsn = optarg;
			break;
		case 'o':
			f.owner = optarg;
			break;
		case 't':
			if (strlen(optarg) != 1 || optarg[0] < 'A' || optarg[0] > 'D') {
				fprintf(stderr, "leadscore queue: --tier takes A, B, C or D\n");
				return CLI_USAGE;
			}
			f.tier = optarg;
			break;
		case 'l':
			if (cli_parse_long("queue", "--limit", optarg, 1, 10000, &f.limit) < 0)
				return CLI_USAGE;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("queue", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "leadscore queue: unexpected argument '%s'\n", argv[optind]);
		return CLI_USAGE;
	}
	conn = cli_db_connect("queue", &db);
	if (conn == NULL)
		return CLI_FAIL;
	res = queue_fetch(conn, &f, &err);
	if (res == NULL) {
		fprintf(stderr, "leadscore queue: %s\n", err.msg);
		PQfinish(conn);
		return CLI_FAIL;
	}
	print_rows(res, as_json);
	PQclear(res);
	PQfinish(conn);
	return CLI_OK;
}
