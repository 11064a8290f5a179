/* auth.c: role tokens: parsing the config's hashes, checking a presented token, making new ones. */
#include "auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const struct {
	const char *name;
	int role;
} roles[] = {{"sdr", AUTH_SDR}, {"producer", AUTH_PRODUCER}, {"admin", AUTH_ADMIN}};

int
auth_role_parse(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strlen(roles[i].name) == len && strncmp(name, roles[i].name, len) == 0)
			return roles[i].role;
	return 0;
}

const char *
auth_role_name(int role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "?";
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
auth_parse_entry(const char *line, struct auth_entry *out, struct ls_err *err)
{
	const char *colon = strchr(line, ':'), *hex;

	if (colon == NULL)
		return ls_err_set(err, "'%.40s' is not ROLE:SHA256HEX", line);
	out->role = auth_role_parse(line, (size_t)(colon - line));
	if (out->role == 0)
		return ls_err_set(err, "unknown role '%.*s' (sdr, producer or admin)",
		                  (int)(colon - line < 20 ? colon - line : 20), line);
	hex = colon + 1;
	if (strlen(hex) != 64)
		return ls_err_set(
		    err, "%s: the hash must be 64 hex digits (SHA-256), not %zu characters",
		    auth_role_name(out->role), strlen(hex));
	for (size_t i = 0; i < 32; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return ls_err_set(err,
			                  "%s: the hash has a character that is not a hex digit",
			                  auth_role_name(out->role));
		out->hash[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

struct auth_table *
auth_table_new(char *const *lines, size_t n, struct ls_err *err)
{
	struct auth_table *t = calloc(1, sizeof(*t));

	if (t == NULL || (n > 0 && (t->entries = calloc(n, sizeof(*t->entries))) == NULL)) {
		free(t);
		ls_err_set(err, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (auth_parse_entry(lines[i], &t->entries[i], err) < 0) {
			ls_err_prefix(err, "auth.token #%zu", i + 1);
			auth_table_free(t);
			return NULL;
		}
		t->n = i + 1;
	}
	return t;
}

void
auth_table_free(struct auth_table *t)
{
	if (t == NULL)
		return;
	free(t->entries);
	free(t);
}

static void
sha256(const char *data, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	/* EVP_Digest fails only without memory; a zero hash then matches no entry. */
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

int
auth_check(const struct auth_table *t, const char *token, size_t len)
{
	unsigned char h[32];
	int role = 0;

	if (t == NULL || len == 0)
		return 0;
	sha256(token, len, h);
	for (size_t i = 0; i < t->n; i++)
		if (CRYPTO_memcmp(h, t->entries[i].hash, 32) == 0 && role == 0)
			role = t->entries[i].role;
	return role;
}

void
auth_sha256_hex(const char *data, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char h[32];

	sha256(data, len, h);
	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[64] = '\0';
}

int
auth_token_new(char *buf, size_t size, struct ls_err *err)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[33] = {0};
	size_t got = 0, o;

	if (size < AUTH_TOKEN_LEN + 1)
		return ls_err_set(err, "token buffer too small");
	while (got < 32) {
		ssize_t r = getrandom(raw + got, 32 - got, 0);

		if (r < 0 && errno != EINTR)
			return ls_err_set(err, "getrandom: %s", strerror(errno));
		if (r > 0)
			got += (size_t)r;
	}
	memcpy(buf, AUTH_TOKEN_PREFIX, 4);
	o = 4;
	/* 32 bytes: ten full 3-byte groups, then 2 bytes giving 3 characters (no padding). */
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
		             (i + 2 < 33 ? raw[i + 2] : 0);

		buf[o++] = b64[v >> 18 & 63];
		buf[o++] = b64[v >> 12 & 63];
		buf[o++] = b64[v >> 6 & 63];
		if (i + 2 < 32)
			buf[o++] = b64[v & 63];
	}
	buf[o] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return o == AUTH_TOKEN_LEN ? 0 : ls_err_set(err, "token length %zu", o);
}
