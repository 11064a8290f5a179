/* cmd_simulate.c: `leadscore simulate`: the synthetic funnel to standard output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "simulate.h"

int
cmd_simulate(int argc, char **argv)
{
	struct sim_opts o;
	struct ls_err err;
	FILE *truth = NULL;
	int rc = CLI_OK;

	sim_opts_init(&o);
	if (sim_opts_parse(argc, argv, &o, &err) < 0) {
		fprintf(stderr, "leadscore simulate: %s\n", err.msg);
		return CLI_USAGE;
	}
	if (o.help) {
		sim_usage(stdout);
		return CLI_OK;
	}
	if (o.truth_path != NULL) {
		truth = fopen(o.truth_path, "w");
		if (truth == NULL) {
			fprintf(stderr, "leadscore simulate: cannot write %s: %s\n", o.truth_path,
				strerror(errno));
			return CLI_FAIL;
		}
	}
	if (simulate_write(&o, stdout, truth, &err) < 0) {
		fprintf(stderr, "leadscore simulate: %s\n", err.msg);
		rc = CLI_FAIL;
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "leadscore simulate: writing the events: %s\n", strerror(errno));
		rc = CLI_FAIL;
	}
	if (truth != NULL && fclose(truth) != 0) {
		fprintf(stderr, "leadscore simulate: writing %s: %s\n", o.truth_path, strerror(errno));
		rc = CLI_FAIL;
	}
	return rc;
}
