/* leadscored.c: the daemon's entry point: arguments, config check, then the event loop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "curve.h"
#include "log.h"
#include "scorer.h"
#include "server.h"

#define LEADSCORE_VERSION "0.1.0"

static void
usage(FILE *out)
{
	fprintf(out, "usage: leadscored -c FILE [--check-config]\n"
		     "  -c, --config FILE   configuration file (INI; see leadscored.conf.example)\n"
		     "  -n, --check-config  validate the configuration (and feature spec), then exit\n"
		     "  -V, --version       print the version\n"
		     "  -h, --help          this help\n");
}

/* --check-config: the file parses, its values are in bounds, the feature spec loads, and
 * with CURVE on its key files load. */
static int
check_config(const char *path)
{
	struct ls_err err;
	struct config *cfg = config_load(path, &err);
	struct scorer *sc;

	if (cfg == NULL) {
		fprintf(stderr, "leadscored: %s\n", err.msg);
		return 1;
	}
	if (curve_config_check_files(cfg, &err) < 0) {
		fprintf(stderr, "leadscored: %s\n", err.msg);
		config_free(cfg);
		return 1;
	}
	sc = scorer_load(cfg->features_spec, NULL, 0, &err);
	if (sc == NULL) {
		fprintf(stderr, "leadscored: features.spec: %s\n", err.msg);
		config_free(cfg);
		return 1;
	}
	scorer_free(sc);
	config_free(cfg);
	printf("leadscored: %s is valid\n", path);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"check-config", no_argument, NULL, 'n'},
					     {"version", no_argument, NULL, 'V'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *config_path = NULL;
	int check = 0, c, rc;
	struct server s;

	while ((c = getopt_long(argc, argv, "c:nVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("leadscored %s\n", LEADSCORE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "leadscored: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (config_path == NULL) {
		fprintf(stderr, "leadscored: -c FILE is required\n");
		return 2;
	}
	if (check)
		return check_config(config_path);
	log_set_ident("leadscored");
	if (server_init(&s, config_path) < 0) {
		server_free(&s);
		return 1;
	}
	rc = server_run(&s);
	server_free(&s);
	return rc;
}
