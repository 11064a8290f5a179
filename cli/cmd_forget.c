/* cmd_forget.c: `leadscore forget CONTACT`: erase every row about a contact. */
#include <stdio.h>

#include "../daemon/db.h"
#include "../daemon/store.h"
#include "cli.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: leadscore forget [-c FILE | --dsn DSN] CONTACT\n"
		     "  erases everything held on CONTACT, in every table, in one transaction\n");
}

int
cmd_forget(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"dsn", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct cli_db_opts db = {0};
	struct ls_err err;
	PGconn *conn;
	long removed;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (cli_db_option(c, optarg, &db))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("forget", argv);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "leadscore forget: exactly one CONTACT is needed\n");
		return CLI_USAGE;
	}
	conn = cli_db_connect("forget", &db);
	if (conn == NULL)
		return CLI_FAIL;
	if (store_begin(conn, &err) < 0 || store_forget(conn, argv[optind], &removed, &err) < 0 ||
	    store_commit(conn, &err) < 0) {
		fprintf(stderr, "leadscore forget: %s\n", err.msg);
		PQfinish(conn);
		return CLI_FAIL;
	}
	printf("forgot %s: %ld rows removed\n", argv[optind], removed);
	PQfinish(conn);
	return CLI_OK;
}
