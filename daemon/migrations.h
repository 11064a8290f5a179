/* migrations.h: the numbered schema migrations built into the binaries, and applying them. */
#ifndef LS_MIGRATIONS_H
#define LS_MIGRATIONS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "err.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* The newest schema version this build knows. */
int migrations_latest(void);

/* The database's schema version (0: not initialised), or -1 with a reason. */
int migrations_current(PGconn *conn, int *version, struct ls_err *err) LS_MUST_CHECK;

/* Applies every migration newer than the database's, each in its own
 * transaction, under an advisory lock so two migrators cannot interleave.
 * *applied counts what was applied. */
int migrations_apply(PGconn *conn, int *applied, struct ls_err *err) LS_MUST_CHECK;

/* 0 when the database is exactly at migrations_latest(); else -1 with a reason
 * that says what to do (run `leadscore migrate`, or upgrade the binaries). */
int migrations_check(PGconn *conn, struct ls_err *err) LS_MUST_CHECK;

#endif
