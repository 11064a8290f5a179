/* pgarray.h: one-dimensional PostgreSQL arrays in binary format, for bulk statements that take
 * one array per column (unnest) instead of a document the server has to parse. */
#ifndef LS_PGARRAY_H
#define LS_PGARRAY_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Element type OIDs (pg_type.h); the statement casts each parameter to the matching array. */
#define PGARRAY_BOOL 16u
#define PGARRAY_INT8 20u
#define PGARRAY_INT2 21u
#define PGARRAY_TEXT 25u
#define PGARRAY_FLOAT8 701u
#define PGARRAY_TIMESTAMPTZ 1184u
#define PGARRAY_JSONB 3802u

/* Appends never fail on their own: an allocation failure is remembered and reported by
 * pgarray_finish, so builders can append a whole row without checking each value. */
struct pgarray {
	char *buf;
	size_t len, cap;
	uint32_t elem_oid;
	int32_t n;
	int has_null;
	int failed;
};

void pgarray_init(struct pgarray *a, uint32_t elem_oid);
void pgarray_free(struct pgarray *a);

void pgarray_null(struct pgarray *a);
void pgarray_text(struct pgarray *a, const char *s); /* NULL: SQL NULL */
void pgarray_char(struct pgarray *a, char c);        /* 0: SQL NULL */
void pgarray_int8(struct pgarray *a, int64_t v);
void pgarray_int2(struct pgarray *a, int v);
void pgarray_float8(struct pgarray *a, double v);
void pgarray_bool(struct pgarray *a, int v);
/* Unix microseconds; 0 is SQL NULL (the store's "never"). */
void pgarray_time(struct pgarray *a, int64_t unix_us);
/* A JSON value as jsonb, serialized straight into the array; NULL: SQL NULL. */
void pgarray_json(struct pgarray *a, const json_t *v);

/* JSON text (already valid JSON) as jsonb; NULL: SQL NULL. */
void pgarray_json_text(struct pgarray *a, const char *text);

/* Writes the header. Returns 0, or -1 when an append ran out of memory. */
int pgarray_finish(struct pgarray *a) LS_MUST_CHECK;

/* Runs sql with arrays[0..n) as binary parameters $1..$n (finished first), text results.
 * NULL, with err set, when nothing could be sent or no result came back. */
PGresult *pgarray_exec(PGconn *conn, const char *sql, struct pgarray *arrays, int n,
                       struct ls_err *err);

/* The same through a statement prepared on conn the first time sql runs there
 * (stmtcache.h): parsed once per connection, and planned once when PostgreSQL finds the
 * generic plan as good. Only for statements whose best plan cannot change as tables
 * grow (an INSERT from unnest): a generic plan chosen while a table was empty stays. */
PGresult *pgarray_exec_prepared(PGconn *conn, const char *sql, struct pgarray *arrays, int n,
                                struct ls_err *err);

#endif
