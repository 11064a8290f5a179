/* cmd_queue.c: `leadscore queue`: the priority queue as a table, or JSON lines for scripts. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/queue.h"
#include "cli.h"
#include "tables.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: leadscore queue [-c FILE | --dsn DSN] [--owner X] [--tier T] "
	        "[--segment S] [--limit N] [--json]\n"
	        "  the best leads first, with the reasons behind each score; contacts under a\n"
	        "  live lease, without consent, bounced or unsubscribed are never listed\n");
}

static void
print_rows(PGresult *res, int as_json)
{
	char reasons[512], when[32];

	if (!as_json)
		printf("%-4s %-14s %-22s %5s %4s %-8s %-12s %-16s %s\n", "#", "CONTACT", "ACCOUNT",
		       "SCORE", "TIER", "GROUP", "OWNER", "LAST ACTIVITY", "REASONS");
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *item;

		item = json_loads(PQgetvalue(res, r, 0), 0, NULL);
		if (as_json) {
			char *text = item ? json_dumps(item, JSON_COMPACT) : NULL;

			printf("%s\n", text ? text : "null");
			free(text);
			json_decref(item);
			continue;
		}
		cli_format_reasons(json_object_get(item, "reasons"), reasons, sizeof(reasons));
		cli_short_time(cli_str(item, "last_activity"), when, sizeof(when));
		/* A hold-out contact's place ignores its score: say so beside it. */
		printf("%-4d %-14s %-22s %5lld %4s %-8s %-12s %-16s %s\n", r + 1,
		       cli_str(item, "contact"), cli_str(item, "account"),
		       (long long)json_integer_value(json_object_get(item, "score")),
		       cli_str(item, "tier"), cli_str(item, "group"), cli_str(item, "owner"), when,
		       reasons);
		json_decref(item);
	}
}

int
cmd_queue(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"dsn", required_argument, NULL, 'd'},
	                                     {"owner", required_argument, NULL, 'o'},
	                                     {"tier", required_argument, NULL, 't'},
	                                     {"segment", required_argument, NULL, 's'},
	                                     {"limit", required_argument, NULL, 'l'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct cli_db_opts db = {0};
	struct queue_filter f = {NULL, NULL, NULL, 20};
	struct ls_err err;
	int c, as_json = 0;
	PGconn *conn;
	PGresult *res;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cli_db_option(c, optarg, &db))
			continue;
		switch (c) {
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
		case 's':
			f.segment = optarg;
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
