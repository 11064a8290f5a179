/* cmd_keygen.c: `leadscore keygen [--out FILE]`: a CURVE key pair for the ZeroMQ sockets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../daemon/curve.h"
#include "cli.h"

static void
usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: leadscore keygen [--out FILE [--force]]\n"
	    "  Makes a CURVE key pair for the daemon's ZeroMQ sockets (curve.key_file) or for\n"
	    "  one of its clients (leadscore send --key; its public key goes in curve.clients).\n"
	    "  --out FILE   write the pair to FILE (mode 0600) and the public key alone to\n"
	    "               FILE.pub (for peers), and print the public key; without --out the\n"
	    "               key file is printed to standard output\n"
	    "  --force      replace FILE and FILE.pub when they exist\n"
	    "  File format: '# comment' lines, 'public-key = KEY' and 'secret-key = KEY' with\n"
	    "  each KEY 40 Z85 characters.\n");
}

/* FILE and FILE.pub; the secret first, so a failure never leaves a public key alone. */
static int
write_files(const char *out, const struct curve_keypair *kp, int force)
{
	struct curve_keypair pub = *kp;
	struct ls_err err;
	size_t n = strlen(out) + 5;
	char *pub_path = malloc(n);
	int rc = CLI_OK;

	memset(pub.secret_key, 0, sizeof(pub.secret_key));
	if (pub_path == NULL)
		return CLI_FAIL;
	snprintf(pub_path, n, "%s.pub", out);
	/* Both or neither: a new pair beside an old FILE.pub would hand out the wrong key. */
	if (!force && access(pub_path, F_OK) == 0) {
		fprintf(stderr, "leadscore keygen: %s exists (--force replaces it)\n", pub_path);
		rc = CLI_FAIL;
	} else if (curve_keypair_write(out, kp, force, &err) < 0) {
		fprintf(stderr, "leadscore keygen: %s\n", err.msg);
		rc = CLI_FAIL;
	} else if (curve_keypair_write(pub_path, &pub, force, &err) < 0) {
		fprintf(stderr, "leadscore keygen: %s\n", err.msg);
		if (unlink(out) < 0 && errno != ENOENT)
			fprintf(stderr, "leadscore keygen: cannot remove %s\n", out);
		rc = CLI_FAIL;
	} else {
		printf("%s\n", kp->public_key);
		fprintf(stderr, "leadscore keygen: wrote %s (keep it secret) and %s\n", out,
		        pub_path);
	}
	free(pub_path);
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
	                                     {"force", no_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct curve_keypair kp;
	struct ls_err err;
	const char *out = NULL;
	int force = 0, c, rc;
	char *text;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("keygen", argv);
		}
	}
	if (optind != argc || (force && out == NULL)) {
		fprintf(stderr, "leadscore keygen: %s\n",
		        optind != argc ? "no arguments are taken (--out FILE names the file)"
		                       : "--force needs --out FILE");
		return CLI_USAGE;
	}
	if (curve_keypair_new(&kp, &err) < 0) {
		fprintf(stderr, "leadscore keygen: %s\n", err.msg);
		return CLI_FAIL;
	}
	if (out != NULL) {
		rc = write_files(out, &kp, force);
	} else {
		text = curve_keypair_format(&kp);
		rc = text != NULL && fputs(text, stdout) >= 0 ? CLI_OK : CLI_FAIL;
		if (text != NULL)
			explicit_bzero(text, strlen(text));
		free(text);
	}
	explicit_bzero(&kp, sizeof(kp));
	return rc;
}
