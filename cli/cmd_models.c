/* cmd_models.c: `leadscore models list|register|promote|rollback`. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/registry.h"
#include "../model/model.h"
#include "cli.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: leadscore models [-c FILE | --dsn DSN] list [--json]\n"
		     "       leadscore models [-c FILE | --dsn DSN] register DIR [--promote]\n"
		     "       leadscore models [-c FILE | --dsn DSN] promote VERSION\n"
		     "       leadscore models [-c FILE | --dsn DSN] rollback\n"
		     "  register checks that the bundle in DIR loads, then records it as a candidate;\n"
		     "  promote makes a model active (running daemons switch without a restart);\n"
		     "  rollback returns to the model active before (or the starter model).\n");
}

static int
models_list(PGconn *conn, int as_json)
{
	struct ls_err err;
	PGresult *res = registry_list(conn, &err);

	if (res == NULL) {
		fprintf(stderr, "leadscore models: %s\n", err.msg);
		return CLI_FAIL;
	}
	if (!as_json)
		printf("%-28s %-11s %-9s %-16s %-16s %s\n", "VERSION", "KIND", "STATUS", "CREATED",
		       "PROMOTED", "AUC");
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *metrics = json_loads(PQgetvalue(res, r, 5), 0, NULL);
		json_t *auc = json_object_get(metrics, "auc");

		if (as_json) {
			json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?, s:s}", "version",
						PQgetvalue(res, r, 0), "kind", PQgetvalue(res, r, 1),
						"status", PQgetvalue(res, r, 2), "created_at",
						PQgetvalue(res, r, 3), "promoted_at",
						PQgetvalue(res, r, 4), "metrics", metrics, "path",
						PQgetvalue(res, r, 6));
			char *text = row ? json_dumps(row, JSON_COMPACT) : NULL;

			if (text != NULL)
				printf("%s\n", text);
			free(text);
			json_decref(row);
		} else {
			char aucs[32] = "-";

			if (json_is_number(auc))
				snprintf(aucs, sizeof(aucs), "%.4f", json_number_value(auc));
			printf("%-28s %-11s %-9s %-16s %-16s %s\n", PQgetvalue(res, r, 0),
			       PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
			       PQgetvalue(res, r, 4), aucs);
		}
		json_decref(metrics);
	}
	PQclear(res);
	return CLI_OK;
}

static int
models_register(PGconn *conn, const char *dir, int promote)
{
	struct ls_err err;
	char path[PATH_MAX];
	struct model *m;
	const json_t *manifest;
	char *manifest_text, *metrics_text;
	int rc = CLI_FAIL;

	if (realpath(dir, path) == NULL) {
		fprintf(stderr, "leadscore models: no bundle directory %s\n", dir);
		return CLI_FAIL;
	}
	m = model_load(path, &err);
	if (m == NULL) {
		fprintf(stderr, "leadscore models: %s: %s\n", path, err.msg);
		return CLI_FAIL;
	}
	manifest = model_manifest(m);
	manifest_text = json_dumps(manifest, JSON_COMPACT);
	metrics_text = json_object_get(manifest, "metrics")
			   ? json_dumps(json_object_get(manifest, "metrics"), JSON_COMPACT)
			   : NULL;
	if (manifest_text != NULL &&
	    registry_register(conn, model_version(m), model_kind(m), path, manifest_text,
			      metrics_text, &err) == 0 &&
	    (!promote || registry_promote(conn, model_version(m), "registered with --promote",
					  &err) == 0)) {
		printf("registered %s (%s)%s\n", model_version(m), model_kind(m),
		       promote ? ", now active" : "");
		rc = CLI_OK;
	} else {
		fprintf(stderr, "leadscore models: %s\n", err.msg);
	}
	free(manifest_text);
	free(metrics_text);
	model_free(m);
	return rc;
}

static int
run(PGconn *conn, int argc, char **argv)
{
	struct ls_err err;
	const char *sub = argv[0];

	if (strcmp(sub, "list") == 0 && (argc == 1 || (argc == 2 && !strcmp(argv[1], "--json"))))
		return models_list(conn, argc == 2);
	if (strcmp(sub, "register") == 0 && argc >= 2 && argc <= 3) {
		if (argc == 3 && strcmp(argv[2], "--promote") != 0)
			goto bad;
		return models_register(conn, argv[1], argc == 3);
	}
	if (strcmp(sub, "promote") == 0 && argc == 2) {
		if (registry_promote(conn, argv[1], "promoted by an admin", &err) < 0) {
			fprintf(stderr, "leadscore models: %s\n", err.msg);
			return CLI_FAIL;
		}
		printf("%s is now active\n", argv[1]);
		return CLI_OK;
	}
	if (strcmp(sub, "rollback") == 0 && argc == 1) {
		char *version;

		if (registry_rollback(conn, &version, &err) < 0) {
			fprintf(stderr, "leadscore models: %s\n", err.msg);
			return CLI_FAIL;
		}
		printf("%s is now active\n", version ? version : "the starter model");
		free(version);
		return CLI_OK;
	}
bad:
	fprintf(stderr, "leadscore models: bad arguments for '%s' (see --help)\n", sub);
	return CLI_USAGE;
}

int
cmd_models(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"dsn", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct cli_db_opts db = {0};
	PGconn *conn;
	int c, rc;

	opterr = 0;
	/* '+': stop at the subcommand, whose own flags follow it. */
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		if (cli_db_option(c, optarg, &db))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("models", argv);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "leadscore models: a subcommand is needed (list, register, promote, "
				"rollback)\n");
		return CLI_USAGE;
	}
	if (strcmp(argv[optind], "list") && strcmp(argv[optind], "register") &&
	    strcmp(argv[optind], "promote") && strcmp(argv[optind], "rollback")) {
		fprintf(stderr, "leadscore models: unknown subcommand '%s'\n", argv[optind]);
		return CLI_USAGE;
	}
	conn = cli_db_connect("models", &db);
	if (conn == NULL)
		return CLI_FAIL;
	rc = run(conn, argc - optind, argv + optind);
	PQfinish(conn);
	return rc;
}
