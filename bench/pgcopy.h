/* pgcopy.h: rows in PostgreSQL's binary COPY format for the bench's writers: gathered in memory
 * and sent whole, or streamed a chunk at a time while they are made. */
#ifndef LS_BENCH_PGCOPY_H
#define LS_BENCH_PGCOPY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "../daemon/err.h"

struct pgcopy {
	PGconn *conn; /* streaming: the connection whose COPY is under way; NULL: gathering */
	char *p;      /* kept between uses; pgcopy_free frees it */
	size_t len, cap;
	int oom, unsent; /* a row lost for want of memory; a chunk the connection refused */
};

/* Gathering: a new set of rows (the format's header) in b's buffer. */
void pgcopy_start(struct pgcopy *b);
/* Runs sql (COPY ... FROM STDIN (FORMAT binary)) and sends the gathered rows. 0 or -1. */
int pgcopy_send(struct pgcopy *b, PGconn *conn, const char *sql, struct ls_err *err) LS_MUST_CHECK;

/* Streaming: runs sql, then sends the rows as they come, until pgcopy_end. 0 or -1. */
int pgcopy_begin(struct pgcopy *b, PGconn *conn, const char *sql, struct ls_err *err) LS_MUST_CHECK;
/* Sends the rest and ends the COPY; what names it in an error. 0 or -1. */
int pgcopy_end(struct pgcopy *b, const char *what, struct ls_err *err) LS_MUST_CHECK;

void pgcopy_free(struct pgcopy *b);

/* A row of fields fields; then each field, in the table's column order. */
void pgcopy_row(struct pgcopy *b, int fields);
void pgcopy_text(struct pgcopy *b, const char *s); /* NULL: SQL NULL */
void pgcopy_char(struct pgcopy *b, char c);        /* '\0': SQL NULL */
void pgcopy_jsonb(struct pgcopy *b, const char *json);
void pgcopy_ts(struct pgcopy *b, int64_t unix_us); /* 0: SQL NULL */
void pgcopy_date(struct pgcopy *b, int64_t unix_us);
void pgcopy_f8(struct pgcopy *b, double v);
void pgcopy_i2(struct pgcopy *b, int v);
void pgcopy_i8(struct pgcopy *b, long long v);
void pgcopy_bool(struct pgcopy *b, int v);

#endif
