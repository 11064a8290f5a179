/* auth.h: bearer tokens with roles: the config holds only their SHA-256, checked in constant time.
 */
#ifndef LS_AUTH_H
#define LS_AUTH_H

#include <stddef.h>

#include "err.h"

/* Roles as bits, so a route can admit several. */
enum auth_role { AUTH_SDR = 1, AUTH_PRODUCER = 2, AUTH_ADMIN = 4 };
#define AUTH_ANY (AUTH_SDR | AUTH_PRODUCER | AUTH_ADMIN)

#define AUTH_TOKEN_PREFIX "lsk_"
#define AUTH_TOKEN_LEN 47 /* prefix plus 32 random bytes in unpadded base64url */

struct auth_entry {
	int role;
	unsigned char hash[32];
};

struct auth_table {
	struct auth_entry *entries;
	size_t n;
};

/* "sdr", "producer", "admin" to its bit; 0 for anything else. */
int auth_role_parse(const char *name, size_t len);
const char *auth_role_name(int role);

/* Parses one auth.token value, "ROLE:SHA256HEX". */
int auth_parse_entry(const char *line, struct auth_entry *out, struct ls_err *err) LS_MUST_CHECK;
/* The table of every line; NULL with the first bad line's reason. */
struct auth_table *auth_table_new(char *const *lines, size_t n, struct ls_err *err) LS_MUST_CHECK;
void auth_table_free(struct auth_table *t);

/* The role of the token (len bytes), 0 when no entry admits it. Every entry is compared,
 * each in constant time, so the answer's timing says nothing about the hashes. */
int auth_check(const struct auth_table *t, const char *token, size_t len);

/* SHA-256 of data as 64 lowercase hex digits and a NUL. */
void auth_sha256_hex(const char *data, size_t len, char out[65]);

/* A fresh random token (from getrandom) into buf, which holds AUTH_TOKEN_LEN + 1 bytes. */
int auth_token_new(char *buf, size_t size, struct ls_err *err) LS_MUST_CHECK;

#endif
