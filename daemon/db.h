/* db.h: PostgreSQL connections and the small helpers every SQL-holding module shares. */
#ifndef LS_DB_H
#define LS_DB_H

#include <libpq-fe.h>

#include "err.h"

/* Connects with a libpq connection string (empty: PG* environment variables),
 * sets the session's statement timeout (0: none) and a UTC time zone. */
PGconn *db_connect(const char *dsn, long statement_timeout_ms, struct ls_err *err) LS_MUST_CHECK;

/* Runs a parameterless command; 0, or -1 with the server's message. */
int db_exec(PGconn *conn, const char *sql, struct ls_err *err) LS_MUST_CHECK;

/* Runs a command whose failure changes nothing for the caller (ROLLBACK,
 * unlock after an error): the first error is the one worth reporting. */
void db_exec_quiet(PGconn *conn, const char *sql);

/* Checks a result's status; on mismatch fills err with "what: message", clears res, returns -1. */
int db_result_check(PGresult *res, ExecStatusType want, const char *what,
                    struct ls_err *err) LS_MUST_CHECK;

/* The SQLSTATE of the calling thread's last failed statement ("" when unknown). */
const char *db_last_sqlstate(void);
/* Notes a write conflict found by the caller (not the server) as SQLSTATE 40001. */
void db_note_conflict(void);

/* 1 for the SQLSTATEs worth retrying as they are (a timeout, a deadlock, a lock not
 * available, resources short for now): the work was fine, the moment was not. */
int db_sqlstate_transient(const char *state);

/* 1 when the connection is gone (so the work should be retried after a
 * reconnect), 0 when the server is there and refused the statement itself. */
int db_connection_lost(PGconn *conn);

/* Prepares a named statement; 0 or -1. types (NULL: all inferred) gives the parameters'
 * type OIDs, 0 for one the server infers; a parameter the SQL does not use needs one. */
int db_prepare(PGconn *conn, const char *name, const char *sql, int nparams, const Oid *types,
               struct ls_err *err) LS_MUST_CHECK;

#endif
