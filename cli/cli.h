/* cli.h: what the `leadscore` subcommands share: option parsing helpers and the database. */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>

/* Exit statuses: 0 done, 1 failed, 2 bad usage. */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* Options every command that talks to the database takes. */
struct cli_db_opts {
	const char *config_path; /* -c FILE: take database.dsn from the daemon's config */
	const char *dsn;	 /* --dsn: a libpq connection string */
};

/* Takes -c/--config ('c') and --dsn ('d') for every command that talks to the database:
 * 1 when c was one of them (its value stored in db), else 0. */
int cli_db_option(int c, const char *arg, struct cli_db_opts *db);

/* Connects as the options say (--dsn, else -c's database.dsn, else PG* variables).
 * Prints the reason and returns NULL on failure. */
PGconn *cli_db_connect(const char *cmd, const struct cli_db_opts *o);

/* Prints "leadscore CMD: unknown option ..." for the option getopt refused. */
int cli_bad_option(const char *cmd, char **argv);

/* Parses a whole decimal number within [min, max]; -1 with a message on error. */
int cli_parse_long(const char *cmd, const char *flag, const char *text, long min, long max,
		   long *out);

int cmd_migrate(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_roi(int argc, char **argv);
int cmd_sdrsim(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_lead(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

#endif
