/* zap.h: who may connect over ZeroMQ: CURVE on the daemon's sockets, and the ZAP handler that
 * admits only the configured client keys. */
#ifndef LS_ZAP_H
#define LS_ZAP_H

#include <stddef.h>

#include "curve.h"
#include "err.h"

struct config;
struct zap;

/*
 * With curve.enabled on: loads the daemon's key pair and the admitted client keys, serves
 * ZAP (inproc://zeromq.zap.01) from a thread of its own in zctx, and from then on every
 * socket zsock_bind_all binds in zctx on an endpoint other than inproc:// is a CURVE server
 * whose clients must present an admitted key. *out is the handler.
 * With it off: *out is NULL, and TCP endpoints bound beyond loopback get a warning.
 */
int zap_start(void *zctx, const struct config *cfg, struct zap **out,
              struct ls_err *err) LS_MUST_CHECK;

/* SIGHUP: admits the keys of cfg's curve.clients and curve.clients_file from now on (live
 * connections stay). On error, or when cfg turns CURVE off (a restart does that), the old
 * keys stay in force. 0 when z is NULL. */
int zap_reload(struct zap *z, const struct config *cfg, struct ls_err *err) LS_MUST_CHECK;

/* Stops the handler; after the sockets it guards are closed, before zmq_ctx_term. */
void zap_stop(struct zap *z);

/* zsock_bind_all's hook, before it binds: CURVE server options on sock when zctx has a
 * handler and an endpoint is not inproc://. 0 when nothing was to be done. */
int zap_secure_bind(void *zctx, void *sock, char *const *endpoints, size_t n,
                    struct ls_err *err) LS_MUST_CHECK;

/* Makes sock (before zmq_connect) a CURVE client of server_key as the daemon's key pair.
 * 0 and nothing done when z is NULL (CURVE off). */
int zap_secure_connect(const struct zap *z, void *sock, const char *server_key,
                       struct ls_err *err) LS_MUST_CHECK;

#endif
