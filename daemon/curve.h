/* curve.h: CURVE keys for ZeroMQ: key files, sets of admitted client keys, socket options. */
#ifndef LS_CURVE_H
#define LS_CURVE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct config;

#define CURVE_Z85_LEN 40 /* a 32-byte key in Z85 text */
#define CURVE_KEY_BYTES 32

/*
 * A key file, as `leadscore keygen` writes it: comment lines (#), blank lines, and
 *     public-key = <40 Z85 characters>
 *     secret-key = <40 Z85 characters>
 * A public key file (what peers of this side are given) holds the public-key line alone.
 */
struct curve_keypair {
	char public_key[CURVE_Z85_LEN + 1];
	char secret_key[CURVE_Z85_LEN + 1]; /* "" when only the public key is known */
};

/* 0 when this libzmq can do CURVE; -1 with a reason otherwise. */
int curve_available(struct ls_err *err) LS_MUST_CHECK;

/* 0 when text is a key: exactly 40 Z85 characters that decode. bin (may be NULL) gets it. */
int curve_key_parse(const char *text, uint8_t bin[CURVE_KEY_BYTES],
                    struct ls_err *err) LS_MUST_CHECK;

/* A fresh key pair. */
int curve_keypair_new(struct curve_keypair *kp, struct ls_err *err) LS_MUST_CHECK;

/* The key file's text for kp (both keys, or the public one when the secret is ""). Caller
 * frees; NULL when out of memory. */
char *curve_keypair_format(const struct curve_keypair *kp);

/*
 * Reads a key file. need_secret: the secret key must be there, the file may not be
 * readable by others (mode o+r), and the public key, when present, must belong to it.
 * Errors name the file and line: "client.key:3: secret-key: not a key (40 Z85 characters)".
 */
int curve_keypair_load(const char *path, int need_secret, struct curve_keypair *kp,
                       struct ls_err *err) LS_MUST_CHECK;

/* Creates path holding kp: mode 0600 with a secret key, 0644 for a public key alone. Refuses
 * to replace a file unless force. */
int curve_keypair_write(const char *path, const struct curve_keypair *kp, int force,
                        struct ls_err *err) LS_MUST_CHECK;

/* A public key given as itself (40 Z85 characters) or as the path of a key file. */
int curve_public_key_arg(const char *text, char out[CURVE_Z85_LEN + 1],
                         struct ls_err *err) LS_MUST_CHECK;

/* The client keys a CURVE server admits, each with a label for the log ("" when none). */
struct curve_keyset {
	struct curve_client {
		uint8_t key[CURVE_KEY_BYTES];
		char label[48];
	} * clients;
	size_t n;
};

/*
 * The set of the items (each "KEY" or "KEY LABEL") and, when file is not "", the lines of
 * file (the same, plus blank lines and # comments). NULL with the first bad item's reason.
 */
struct curve_keyset *curve_keyset_new(char *const *items, size_t n, const char *file,
                                      struct ls_err *err) LS_MUST_CHECK;
/* The entry of key, or NULL. */
const struct curve_client *curve_keyset_find(const struct curve_keyset *s,
                                             const uint8_t key[CURVE_KEY_BYTES]);
void curve_keyset_free(struct curve_keyset *s);

/* The [curve] keys' own rules (config_validate applies them): keys that parse, and the
 * keys that enabling CURVE needs. Reads no file. */
int curve_config_check(const struct config *cfg, struct ls_err *err) LS_MUST_CHECK;

/* With CURVE on: the daemon's key file and curve.clients_file load (what the daemon will
 * read at start). 0 when off. */
int curve_config_check_files(const struct config *cfg, struct ls_err *err) LS_MUST_CHECK;

/* Makes sock a CURVE client of the server whose public key is server_key, as kp (which
 * must hold its secret key). Before zmq_connect. */
int curve_client_setup(void *sock, const struct curve_keypair *kp, const char *server_key,
                       struct ls_err *err) LS_MUST_CHECK;

/* Makes sock a CURVE server as kp, authenticated through ZAP. Before zmq_bind. */
int curve_server_setup(void *sock, const struct curve_keypair *kp,
                       struct ls_err *err) LS_MUST_CHECK;

/* The first characters of a key, for logs ("rq:rM>}U?@...", never the whole key). */
void curve_key_hint(const uint8_t key[CURVE_KEY_BYTES], char out[16]);

#endif
