/* zsock.h: small ZeroMQ socket helpers shared by ingest, publish and the CLI. */
#ifndef LS_ZSOCK_H
#define LS_ZSOCK_H

#include <stddef.h>

#include "err.h"

/* A socket of type bound to every endpoint, with its high-water mark set; a CURVE server when
 * zctx has a ZAP handler (zap.h) and an endpoint is not inproc://. NULL with a reason. */
void *zsock_bind_all(void *zctx, int type, char *const *endpoints, size_t n, int hwm,
		     struct ls_err *err) LS_MUST_CHECK;

/* The endpoint a bind actually got (resolves port *); "" when unknown. */
void zsock_last_endpoint(void *sock, char *buf, size_t size);

#endif
