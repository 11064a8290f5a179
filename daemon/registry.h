/* registry.h: the model registry in PostgreSQL: register, promote, roll back, list. */
#ifndef LS_REGISTRY_H
#define LS_REGISTRY_H

#include <libpq-fe.h>

#include "err.h"

/* Registers a bundle as a candidate. manifest and metrics are JSON texts. */
int registry_register(PGconn *conn, const char *version, const char *kind, const char *path,
		      const char *manifest, const char *metrics, struct ls_err *err) LS_MUST_CHECK;

/* Makes version the active model (the previous one retires) and tells running
 * daemons (NOTIFY leadscore_models), all in one transaction. */
int registry_promote(PGconn *conn, const char *version, const char *reason,
		     struct ls_err *err) LS_MUST_CHECK;

/* Re-promotes the model active before the current one; with none, retires the
 * current one so the starter model scores again. *version: what is active now
 * (NULL for the starter); caller frees. */
int registry_rollback(PGconn *conn, char **version, struct ls_err *err) LS_MUST_CHECK;

/* Rows: version, kind, status, created_at, promoted_at, metrics (JSON text), path. */
PGresult *registry_list(PGconn *conn, struct ls_err *err) LS_MUST_CHECK;

#endif
