/* leadscore.c: the admin and user CLI: one subcommand per file, dispatched here. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *doc;
};

static const struct command commands[] = {
	{"migrate", cmd_migrate, "apply the schema migrations to the database"},
	{"send", cmd_send, "send CloudEvents (JSON lines) to the daemon"},
	{"simulate", cmd_simulate, "write a synthetic B2B funnel as CloudEvents JSON lines"},
	{"train", cmd_train, "train a model from the database or a CSV file, with holdout metrics"},
	{"models", cmd_models, "list, register, promote and roll back models"},
	{"queue", cmd_queue, "the priority queue: best leads first, with reasons"},
	{"lead", cmd_lead, "one lead: score, reasons, features, lease, score changes"},
	{"token", cmd_token, "make an API token for a role, and its [auth] config line"},
	{"keygen", cmd_keygen, "make a CURVE key pair for the ZeroMQ sockets (curve.key_file)"},
	{"sdr-sim", cmd_sdrsim, "simulated reps working the live queue (for demos and ROI)"},
	{"roi", cmd_roi, "time saved and ROI against the hold-out group (report, JSON, SVG)"},
	{"forget", cmd_forget, "erase everything held on a contact"},
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: leadscore COMMAND [OPTIONS]   (leadscore COMMAND --help for more)\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].doc);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "leadscore: unknown command '%s' (see leadscore --help)\n", argv[1]);
	return CLI_USAGE;
}
