/* cmd_token.c: `leadscore token ROLE`: a fresh API token and the [auth] line that admits it. */
#include <stdio.h>
#include <string.h>

#include "../daemon/auth.h"
#include "cli.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: leadscore token ROLE\n"
	        "  prints a new random bearer token for ROLE (sdr, producer or admin) and, on\n"
	        "  the next line, the line to add to the [auth] section of leadscored.conf;\n"
	        "  the config keeps only the token's SHA-256, so note the token now\n");
}

int
cmd_token(int argc, char **argv)
{
	char token[AUTH_TOKEN_LEN + 1], hash[65];
	struct ls_err err;
	int role;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return CLI_OK;
	}
	if (argc != 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	role = auth_role_parse(argv[1], strlen(argv[1]));
	if (role == 0) {
		fprintf(stderr, "leadscore token: unknown role '%s' (sdr, producer or admin)\n",
		        argv[1]);
		return CLI_USAGE;
	}
	if (auth_token_new(token, sizeof(token), &err) < 0) {
		fprintf(stderr, "leadscore token: %s\n", err.msg);
		return CLI_FAIL;
	}
	auth_sha256_hex(token, strlen(token), hash);
	printf("%s\ntoken = %s:%s\n", token, auth_role_name(role), hash);
	fprintf(stderr, "leadscore token: add the second line to [auth] and reload (SIGHUP); "
	                "the token itself is not stored anywhere\n");
	return CLI_OK;
}
