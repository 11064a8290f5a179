/* cmd_migrate.c: `leadscore migrate`: bring the database schema up to this build's version. */
#include <stdio.h>
#include <string.h>

#include "../daemon/migrations.h"
#include "cli.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: leadscore migrate [-c FILE | --dsn DSN]\n"
		     "  applies every schema migration the database lacks, each in its own transaction\n"
		     "  -c, --config FILE  take database.dsn from the daemon's configuration\n"
		     "      --dsn DSN      a libpq connection string (default: PG* variables)\n");
}

int
cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"dsn", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct cli_db_opts db = {0};
	struct ls_err err;
	PGconn *conn;
	int c, applied, current;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cli_db_option(c, optarg, &db))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("migrate", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "leadscore migrate: unexpected argument '%s'\n", argv[optind]);
		return CLI_USAGE;
	}
	conn = cli_db_connect("migrate", &db);
	if (conn == NULL)
		return CLI_FAIL;
	if (migrations_apply(conn, &applied, &err) < 0 ||
	    migrations_current(conn, &current, &err) < 0) {
		fprintf(stderr, "leadscore migrate: %s\n", err.msg);
		PQfinish(conn);
		return CLI_FAIL;
	}
	printf("schema at version %d (%d migration%s applied)\n", current, applied,
	       applied == 1 ? "" : "s");
	PQfinish(conn);
	return CLI_OK;
}
