/* curve.c: CURVE keys for ZeroMQ: key files, sets of admitted client keys, socket options. */
#include "curve.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"

#define ZAP_DOMAIN "leadscore"

static const char z85_chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                ".-:+=^!/*?&<>()[]{}@%$#";

int
curve_available(struct ls_err *err)
{
	if (!zmq_has("curve"))
		return ls_err_set(err,
		                  "this libzmq was built without CURVE support (zmq_has(\"curve\") "
		                  "is false): install a libzmq built with libsodium");
	return 0;
}

int
curve_key_parse(const char *text, uint8_t bin[CURVE_KEY_BYTES], struct ls_err *err)
{
	uint8_t scratch[CURVE_KEY_BYTES];
	size_t len = strlen(text);

	if (len != CURVE_Z85_LEN)
		return ls_err_set(err, "not a key: %zu characters, not 40 (Z85)", len);
	if (strspn(text, z85_chars) != len)
		return ls_err_set(err, "not a key: '%c' is not a Z85 character",
		                  text[strspn(text, z85_chars)]);
	/* Five characters hold 32 bits; some spellings hold more and do not decode. */
	if (zmq_z85_decode(bin != NULL ? bin : scratch, text) == NULL)
		return ls_err_set(err, "not a key: not valid Z85");
	return 0;
}

int
curve_keypair_new(struct curve_keypair *kp, struct ls_err *err)
{
	memset(kp, 0, sizeof(*kp));
	if (curve_available(err) < 0)
		return -1;
	if (zmq_curve_keypair(kp->public_key, kp->secret_key) < 0)
		return ls_err_set(err, "zmq_curve_keypair: %s", zmq_strerror(zmq_errno()));
	return 0;
}

char *
curve_keypair_format(const struct curve_keypair *kp)
{
	size_t size = 256;
	char *text = malloc(size);

	if (text == NULL)
		return NULL;
	if (kp->secret_key[0] != '\0')
		snprintf(text, size,
		         "# leadscore CURVE key pair (leadscore keygen). Keep this file secret.\n"
		         "# Peers are given the public key only.\n"
		         "public-key = %s\nsecret-key = %s\n",
		         kp->public_key, kp->secret_key);
	else
		snprintf(text, size, "# leadscore CURVE public key\npublic-key = %s\n",
		         kp->public_key);
	return text;
}

/* ---- reading key files ---- */

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One "name = value" line of a key file into kp. */
static int
keyfile_line(char *line, struct curve_keypair *kp, struct ls_err *err)
{
	char *eq = strchr(line, '='), *name, *value, *slot;

	if (eq == NULL)
		return ls_err_set(err, "expected public-key = KEY or secret-key = KEY");
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	if (strcmp(name, "public-key") == 0)
		slot = kp->public_key;
	else if (strcmp(name, "secret-key") == 0)
		slot = kp->secret_key;
	else
		return ls_err_set(err, "unknown name '%.32s' (public-key or secret-key)", name);
	if (slot[0] != '\0')
		return ls_err_set(err, "%s: given twice", name);
	if (curve_key_parse(value, NULL, err) < 0)
		return ls_err_prefix(err, "%s", name);
	memcpy(slot, value, CURVE_Z85_LEN + 1);
	return 0;
}

static int
keyfile_parse(FILE *f, const char *path, struct curve_keypair *kp, struct ls_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;

	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		char *s = trim(line);

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		if (keyfile_line(s, kp, err) < 0)
			rc = ls_err_prefix(err, "%s:%d", path, lineno);
	}
	if (rc == 0 && ferror(f))
		rc = ls_err_set(err, "%s: read error: %s", path, strerror(errno));
	free(line);
	return rc;
}

/* The secret key must be there and be the public key's. */
static int
keypair_check(const char *path, struct curve_keypair *kp, struct ls_err *err)
{
	char derived[CURVE_Z85_LEN + 1];

	if (kp->secret_key[0] == '\0')
		return ls_err_set(err,
		                  "%s: no secret-key line (a key pair from leadscore keygen "
		                  "is needed, not a public key file)",
		                  path);
	if (zmq_curve_public(derived, kp->secret_key) < 0)
		return ls_err_set(err, "%s: zmq_curve_public: %s", path, zmq_strerror(zmq_errno()));
	if (kp->public_key[0] == '\0')
		memcpy(kp->public_key, derived, sizeof(derived));
	else if (strcmp(kp->public_key, derived) != 0)
		return ls_err_set(err, "%s: public-key does not belong to secret-key", path);
	return 0;
}

int
curve_keypair_load(const char *path, int need_secret, struct curve_keypair *kp, struct ls_err *err)
{
	struct stat st;
	FILE *f;
	int rc;

	memset(kp, 0, sizeof(*kp));
	f = fopen(path, "r");
	if (f == NULL)
		return ls_err_set(err, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0)
		st.st_mode = 0;
	rc = keyfile_parse(f, path, kp, err);
	fclose(f);
	if (rc == 0 && need_secret)
		rc = keypair_check(path, kp, err);
	/* As ssh does with its keys: a secret others can read is no longer one. */
	if (rc == 0 && need_secret && (st.st_mode & S_IRWXO) != 0)
		rc = ls_err_set(err,
		                "%s holds a secret key but others may read it (mode %04o): "
		                "chmod o-rwx it",
		                path, (unsigned)(st.st_mode & 07777));
	if (rc == 0 && !need_secret && kp->public_key[0] == '\0') {
		if (kp->secret_key[0] != '\0')
			rc = keypair_check(path, kp, err);
		else
			rc = ls_err_set(err, "%s: no public-key line", path);
	}
	if (rc < 0)
		memset(kp, 0, sizeof(*kp)); /* no secret left behind */
	return rc;
}

int
curve_keypair_write(const char *path, const struct curve_keypair *kp, int force, struct ls_err *err)
{
	char *text = curve_keypair_format(kp);
	mode_t mode = kp->secret_key[0] != '\0' ? 0600 : 0644;
	size_t len;
	int fd, rc = 0;

	if (text == NULL)
		return ls_err_set(err, "out of memory");
	len = strlen(text);
	if (force && unlink(path) < 0 && errno != ENOENT) {
		free(text);
		return ls_err_set(err, "cannot replace %s: %s", path, strerror(errno));
	}
	/* O_EXCL: never write a secret into a file someone else made (or a symlink). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = ls_err_set(err, "cannot create %s: %s%s", path, strerror(errno),
		                errno == EEXIST ? " (--force replaces it)" : "");
		free(text);
		return rc;
	}
	if (fchmod(fd, mode) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		rc = ls_err_set(err, "cannot write %s: %s", path, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = ls_err_set(err, "cannot write %s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(path);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

int
curve_public_key_arg(const char *text, char out[CURVE_Z85_LEN + 1], struct ls_err *err)
{
	struct curve_keypair kp;
	struct ls_err why;

	if (curve_key_parse(text, NULL, &why) == 0) {
		memcpy(out, text, CURVE_Z85_LEN + 1);
		return 0;
	}
	/* Forty characters that are not a file: a mistyped key, said as such. */
	if (access(text, F_OK) != 0 && strlen(text) == CURVE_Z85_LEN) {
		if (err != NULL)
			*err = why;
		return -1;
	}
	if (curve_keypair_load(text, 0, &kp, err) < 0)
		return -1;
	memcpy(out, kp.public_key, CURVE_Z85_LEN + 1);
	explicit_bzero(&kp, sizeof(kp));
	return 0;
}

/* ---- sets of client keys ---- */

/* One "KEY [LABEL]" item. */
static int
keyset_add(struct curve_keyset *s, const char *item, struct ls_err *err)
{
	char key[CURVE_Z85_LEN + 1];
	size_t klen = strcspn(item, " \t");
	const char *label = item + klen;
	struct curve_client *grown;

	if (klen > CURVE_Z85_LEN)
		return ls_err_set(err, "not a key: %zu characters, not 40 (Z85)", klen);
	memcpy(key, item, klen);
	key[klen] = '\0';
	grown = realloc(s->clients, (s->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return ls_err_set(err, "out of memory");
	s->clients = grown;
	if (curve_key_parse(key, grown[s->n].key, err) < 0)
		return -1;
	while (*label == ' ' || *label == '\t')
		label++;
	snprintf(grown[s->n].label, sizeof(grown[s->n].label), "%s", label);
	s->n++;
	return 0;
}

static int
keyset_file(struct curve_keyset *s, const char *path, struct ls_err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;

	if (f == NULL)
		return ls_err_set(err, "cannot open %s: %s", path, strerror(errno));
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		char *item = trim(line);

		lineno++;
		/* '#' is a Z85 digit, but too large to begin a key (its group would pass 2^32). */
		if (*item == '\0' || *item == '#')
			continue;
		if (keyset_add(s, item, err) < 0)
			rc = ls_err_prefix(err, "%s:%d", path, lineno);
	}
	if (rc == 0 && ferror(f))
		rc = ls_err_set(err, "%s: read error: %s", path, strerror(errno));
	free(line);
	fclose(f);
	return rc;
}

struct curve_keyset *
curve_keyset_new(char *const *items, size_t n, const char *file, struct ls_err *err)
{
	struct curve_keyset *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (keyset_add(s, items[i], err) < 0) {
			ls_err_prefix(err, "curve.clients #%zu", i + 1);
			curve_keyset_free(s);
			return NULL;
		}
	}
	if (file != NULL && file[0] != '\0' && keyset_file(s, file, err) < 0) {
		ls_err_prefix(err, "curve.clients_file");
		curve_keyset_free(s);
		return NULL;
	}
	return s;
}

const struct curve_client *
curve_keyset_find(const struct curve_keyset *s, const uint8_t key[CURVE_KEY_BYTES])
{
	/* A few keys at most per deployment, checked once per connection: a scan will do. */
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (memcmp(s->clients[i].key, key, CURVE_KEY_BYTES) == 0)
			return &s->clients[i];
	return NULL;
}

void
curve_keyset_free(struct curve_keyset *s)
{
	if (s == NULL)
		return;
	free(s->clients);
	free(s);
}

/* ---- configuration ---- */

int
curve_config_check(const struct config *cfg, struct ls_err *err)
{
	struct curve_keyset *set;

	set = curve_keyset_new(cfg->curve_clients, cfg->ncurve_clients, NULL, err);
	if (set == NULL)
		return -1;
	curve_keyset_free(set);
	if (cfg->curve_sub_server_key[0] != '\0' &&
	    curve_key_parse(cfg->curve_sub_server_key, NULL, err) < 0)
		return ls_err_prefix(err, "curve.sub_server_key");
	if (!cfg->curve_enabled) {
		if (cfg->curve_sub_server_key[0] != '\0')
			return ls_err_set(err,
			                  "curve.sub_server_key is set but curve.enabled is off");
		return 0;
	}
	if (cfg->curve_key_file[0] == '\0')
		return ls_err_set(err,
		                  "curve.enabled is on but curve.key_file is empty: make a key "
		                  "pair with leadscore keygen --out FILE");
	if (cfg->ncurve_clients == 0 && cfg->curve_clients_file[0] == '\0')
		return ls_err_set(err, "curve.enabled is on but no client may connect: set "
		                       "curve.clients or curve.clients_file");
	if (cfg->ningest_sub > 0 && cfg->curve_sub_server_key[0] == '\0')
		return ls_err_set(err, "curve.enabled is on and ingest.sub is set: "
		                       "curve.sub_server_key (the bus's public key) is needed");
	return 0;
}

int
curve_config_check_files(const struct config *cfg, struct ls_err *err)
{
	struct curve_keypair kp;
	struct curve_keyset *set;

	if (!cfg->curve_enabled)
		return 0;
	if (curve_available(err) < 0)
		return ls_err_prefix(err, "curve.enabled");
	if (curve_keypair_load(cfg->curve_key_file, 1, &kp, err) < 0)
		return ls_err_prefix(err, "curve.key_file");
	explicit_bzero(&kp, sizeof(kp));
	set =
	    curve_keyset_new(cfg->curve_clients, cfg->ncurve_clients, cfg->curve_clients_file, err);
	curve_keyset_free(set);
	return set != NULL ? 0 : -1;
}

/* ---- sockets ---- */

static int
setopt(void *sock, int opt, const void *val, size_t len, const char *name, struct ls_err *err)
{
	if (zmq_setsockopt(sock, opt, val, len) < 0)
		return ls_err_set(err, "zmq_setsockopt %s: %s", name, zmq_strerror(zmq_errno()));
	return 0;
}

int
curve_client_setup(void *sock, const struct curve_keypair *kp, const char *server_key,
                   struct ls_err *err)
{
	if (kp->secret_key[0] == '\0')
		return ls_err_set(err, "a CURVE client needs its secret key");
	if (setopt(sock, ZMQ_CURVE_SERVERKEY, server_key, CURVE_Z85_LEN, "CURVE_SERVERKEY", err) <
	        0 ||
	    setopt(sock, ZMQ_CURVE_PUBLICKEY, kp->public_key, CURVE_Z85_LEN, "CURVE_PUBLICKEY",
	           err) < 0 ||
	    setopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_key, CURVE_Z85_LEN, "CURVE_SECRETKEY",
	           err) < 0)
		return -1;
	return 0;
}

int
curve_server_setup(void *sock, const struct curve_keypair *kp, struct ls_err *err)
{
	int on = 1;

	if (setopt(sock, ZMQ_CURVE_SERVER, &on, sizeof(on), "CURVE_SERVER", err) < 0 ||
	    setopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_key, CURVE_Z85_LEN, "CURVE_SECRETKEY",
	           err) < 0 ||
	    setopt(sock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN), "ZAP_DOMAIN", err) < 0)
		return -1;
	return 0;
}

void
curve_key_hint(const uint8_t key[CURVE_KEY_BYTES], char out[16])
{
	char z85[CURVE_Z85_LEN + 1];

	if (zmq_z85_encode(z85, key, CURVE_KEY_BYTES) == NULL)
		snprintf(out, 16, "?");
	else
		snprintf(out, 16, "%.8s...", z85);
}
