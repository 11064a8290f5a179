/* cli.c: helpers shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/config.h"
#include "../daemon/db.h"

int
cli_db_option(int c, const char *arg, struct cli_db_opts *db)
{
	if (c == 'c')
		db->config_path = arg;
	else if (c == 'd')
		db->dsn = arg;
	else
		return 0;
	return 1;
}

PGconn *
cli_db_connect(const char *cmd, const struct cli_db_opts *o)
{
	struct ls_err err;
	struct config *cfg = NULL;
	const char *dsn = o->dsn;
	PGconn *conn;

	if (dsn == NULL && o->config_path != NULL) {
		cfg = config_load(o->config_path, &err);
		if (cfg == NULL) {
			fprintf(stderr, "leadscore %s: %s\n", cmd, err.msg);
			return NULL;
		}
		dsn = cfg->database_dsn;
	}
	conn = db_connect(dsn, 0, &err);
	if (conn == NULL)
		fprintf(stderr, "leadscore %s: %s\n", cmd, err.msg);
	config_free(cfg);
	return conn;
}

int
cli_bad_option(const char *cmd, char **argv)
{
	if (optopt != 0 && optopt != '?')
		fprintf(stderr, "leadscore %s: bad or incomplete option '-%c' (see --help)\n", cmd,
			optopt);
	else
		fprintf(stderr, "leadscore %s: bad or incomplete option '%s' (see --help)\n", cmd,
			argv[optind - 1]);
	return CLI_USAGE;
}

int
cli_parse_long(const char *cmd, const char *flag, const char *text, long min, long max,
	       long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "leadscore %s: %s needs a whole number from %ld to %ld, not '%s'\n",
			cmd, flag, min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}
