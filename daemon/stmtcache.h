/* stmtcache.h: statements prepared on a connection the first time they run there, so a
 * statement run once per batch is parsed and planned once per connection, not per batch. */
#ifndef LS_STMTCACHE_H
#define LS_STMTCACHE_H

#include <libpq-fe.h>

#include "err.h"

/*
 * Runs sql with parameters as PQexecParams would (text results), through a named statement
 * that is prepared on conn the first time this sql runs on it. The connection keeps its list
 * of statements (libpq instance data), freed with the connection and emptied by PQreset.
 * A prepared statement outlives the transaction it was prepared in, even a rolled-back one.
 * NULL, with err set, when the statement could not be prepared or no result came back.
 */
PGresult *stmt_exec(PGconn *conn, const char *sql, int n, const char *const *values,
                    const int *lengths, const int *formats, struct ls_err *err);

/* The statements conn has prepared through stmt_exec (0 for a connection that ran none). */
int stmt_count(const PGconn *conn);

#endif
