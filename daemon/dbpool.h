/* dbpool.h: a few PostgreSQL connections shared by the API's request threads (never the loop's). */
#ifndef LS_DBPOOL_H
#define LS_DBPOOL_H

#include <libpq-fe.h>
#include <stddef.h>

#include "err.h"

struct dbpool;

/* A pool of at most size connections to dsn, opened when first needed. */
struct dbpool *dbpool_new(const char *dsn, long statement_timeout_ms, size_t size,
                          struct ls_err *err) LS_MUST_CHECK;
void dbpool_free(struct dbpool *p);

/* A connection for this thread's exclusive use, waiting up to wait_ms for one to be
 * free. NULL with a reason when none is free in time or the database cannot be reached
 * (the caller answers 503). */
PGconn *dbpool_get(struct dbpool *p, int wait_ms, struct ls_err *err) LS_MUST_CHECK;

/* As dbpool_get; when the connection is one this pool has not yet run prepare on (just
 * opened), prepare runs on it first, so statements are prepared once per connection. A
 * pool's callers all pass the same prepare. NULL with a reason when prepare fails. */
PGconn *dbpool_get_prepared(struct dbpool *p, int wait_ms,
                            int (*prepare)(PGconn *, struct ls_err *),
                            struct ls_err *err) LS_MUST_CHECK;

/* Gives a connection back; one that was lost or is inside a transaction is closed, so
 * the next user reconnects. */
void dbpool_put(struct dbpool *p, PGconn *conn);

#endif
