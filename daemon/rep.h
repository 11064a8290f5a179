/* rep.h: the API over ZeroMQ request/reply, for tools that live on the bus. */
#ifndef LS_REP_H
#define LS_REP_H

#include <stddef.h>

#include "err.h"

struct api;
struct rep_server;

/* Binds a ROUTER socket (REQ and DEALER peers) on every endpoint and serves it from a
 * thread of its own. NULL with a reason. */
struct rep_server *rep_start(struct api *a, char *const *endpoints, size_t n,
                             struct ls_err *err) LS_MUST_CHECK;
void rep_stop(struct rep_server *r);
/* The last endpoint bound, as bound (port * resolved). */
void rep_endpoint(const struct rep_server *r, char *buf, size_t size);

/*
 * Answers one request, {"op": OP, "token": TOKEN, ...arguments}, with OP one of queue,
 * claim, release, lead, account, accounts, outcome. The reply is {"status": CODE,
 * "body": {...}} on success (no body for 204), {"status": CODE, "error": TEXT} otherwise,
 * with the HTTP API's status codes. Caller frees.
 */
char *rep_handle(struct api *a, const char *req, size_t len);

#endif
