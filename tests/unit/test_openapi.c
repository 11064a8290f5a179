/* test_openapi.c: docs/openapi.yaml names every route the HTTP server serves, and no other. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../../daemon/auth.h"
#include "../../daemon/http.h"
#include "../testhelp.h"

#define SPEC "docs/openapi.yaml"
#define MAX_OPS 64

struct op {
	char method[8];
	char path[128];
	int secured; /* 1 unless the operation lists an empty security requirement */
};

/* The operations under "paths:": two-space keys are paths, four-space keys methods. */
static size_t
read_ops(FILE *f, struct op *ops, int *version_ok)
{
	static const char *const methods[] = {"get",    "post", "put",     "patch",
	                                      "delete", "head", "options", NULL};
	char line[512], path[128] = "";
	int in_paths = 0;
	size_t n = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "openapi: 3.1", 12) == 0)
			*version_ok = 1;
		if (line[0] != ' ' && line[0] != '\0') {
			in_paths = strcmp(line, "paths:") == 0;
			continue;
		}
		if (!in_paths)
			continue;
		if (strncmp(line, "  /", 3) == 0 && line[strlen(line) - 1] == ':') {
			snprintf(path, sizeof(path), "%.*s", (int)strlen(line) - 3, line + 2);
			continue;
		}
		if (strncmp(line, "    ", 4) == 0 && line[4] != ' ' && n < MAX_OPS) {
			for (size_t i = 0; methods[i] != NULL; i++) {
				size_t len = strlen(methods[i]);

				if (strncmp(line + 4, methods[i], len) == 0 &&
				    line[4 + len] == ':') {
					for (size_t k = 0; k < len; k++)
						ops[n].method[k] =
						    (char)toupper((unsigned char)methods[i][k]);
					ops[n].method[len] = '\0';
					snprintf(ops[n].path, sizeof(ops[n].path), "%s", path);
					ops[n].secured = 1;
					n++;
				}
			}
		}
		if (n > 0 && strstr(line, "security: [{}") != NULL)
			ops[n - 1].secured = 0;
	}
	return n;
}

int
main(void)
{
	struct op ops[MAX_OPS];
	size_t nroutes, nops;
	const struct http_route *routes = http_routes(&nroutes);
	int version_ok = 0;
	FILE *f = fopen(SPEC, "r");

	TEST_CHECK("spec found", f != NULL);
	if (f == NULL)
		return TEST_REPORT();
	nops = read_ops(f, ops, &version_ok);
	fclose(f);
	TEST_CHECK("OpenAPI 3.1", version_ok);
	TEST_CHECK("operations found", nops >= 10);
	for (size_t i = 0; i < nroutes; i++) {
		size_t k;

		for (k = 0; k < nops; k++)
			if (strcmp(ops[k].method, routes[i].method) == 0 &&
			    strcmp(ops[k].path, routes[i].path) == 0)
				break;
		if (k == nops)
			printf("  served but not in %s: %s %s\n", SPEC, routes[i].method,
			       routes[i].path);
		TEST_CHECK("every served route is documented", k < nops);
		if (k < nops)
			TEST_CHECK("probes document optional auth, others require it",
			           ops[k].secured == (routes[i].roles != 0));
	}
	for (size_t k = 0; k < nops; k++) {
		size_t i;

		for (i = 0; i < nroutes; i++)
			if (strcmp(ops[k].method, routes[i].method) == 0 &&
			    strcmp(ops[k].path, routes[i].path) == 0)
				break;
		if (i == nroutes)
			printf("  in %s but not served: %s %s\n", SPEC, ops[k].method, ops[k].path);
		TEST_CHECK("every documented route is served", i < nroutes);
	}
	TEST_CHECK("as many of each", nops == nroutes);
	return TEST_REPORT();
}
