/* pgcopy.c: PostgreSQL's binary COPY format (a header, rows of length-prefixed big-endian
 * fields, a trailer), gathered or streamed. */
#include "pgcopy.h"

#include <stdlib.h>
#include <string.h>

#include "../daemon/db.h"

#define PG_EPOCH_US 946684800000000LL /* 2000-01-01 in Unix microseconds */
#define DAY_US INT64_C(86400000000)
#define CHUNK (4 << 20) /* streaming: bytes sent at a time */

static int
grow(struct pgcopy *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 65536;
	char *p;

	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void
put(struct pgcopy *b, const void *src, size_t n)
{
	if (b->conn != NULL && b->len + n > CHUNK) {
		if (!b->unsent && PQputCopyData(b->conn, b->p, (int)b->len) != 1)
			b->unsent = 1;
		b->len = 0;
	}
	if (b->len + n > b->cap && grow(b, b->len + n) < 0) {
		b->oom = 1;
		return;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void
put_be(struct pgcopy *b, uint64_t v, size_t n)
{
	unsigned char x[8];

	for (size_t i = 0; i < n; i++)
		x[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	put(b, x, n);
}

static void
header(struct pgcopy *b)
{
	static const char sig[] = "PGCOPY\n\377\r\n";

	b->len = 0;
	b->oom = b->unsent = 0;
	put(b, sig, 11);
	put_be(b, 0, 4); /* flags */
	put_be(b, 0, 4); /* header extension */
}

void
pgcopy_start(struct pgcopy *b)
{
	b->conn = NULL;
	header(b);
}

static int
copy_in(PGconn *conn, const char *sql, struct ls_err *err)
{
	PGresult *res = PQexec(conn, sql);

	if (db_result_check(res, PGRES_COPY_IN, sql, err) < 0)
		return -1;
	PQclear(res);
	return 0;
}

/* The trailer, what is left of the rows, the end of the COPY (aborted when a row is
 * missing) and its result. */
static int
finish(struct pgcopy *b, PGconn *conn, const char *what, struct ls_err *err)
{
	PGresult *res;
	int ok;

	put_be(b, 0xffff, 2);
	ok = !b->oom && !b->unsent && PQputCopyData(conn, b->p, (int)b->len) == 1;
	if (PQputCopyEnd(conn, ok ? NULL : "the rows could not be sent") != 1)
		ok = 0;
	res = PQgetResult(conn);
	if (!ok) {
		PQclear(res);
		ls_err_set(err, "COPY %s: %s", what,
		           b->oom ? "out of memory" : PQerrorMessage(conn));
	} else if (db_result_check(res, PGRES_COMMAND_OK, what, err) < 0) {
		ok = 0;
	} else {
		PQclear(res);
	}
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
	return ok ? 0 : -1;
}

int
pgcopy_send(struct pgcopy *b, PGconn *conn, const char *sql, struct ls_err *err)
{
	if (copy_in(conn, sql, err) < 0)
		return -1;
	return finish(b, conn, sql, err);
}

int
pgcopy_begin(struct pgcopy *b, PGconn *conn, const char *sql, struct ls_err *err)
{
	if (copy_in(conn, sql, err) < 0)
		return -1;
	b->conn = conn;
	header(b);
	return 0;
}

int
pgcopy_end(struct pgcopy *b, const char *what, struct ls_err *err)
{
	PGconn *conn = b->conn;

	b->conn = NULL;
	return finish(b, conn, what, err);
}

void
pgcopy_free(struct pgcopy *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
pgcopy_row(struct pgcopy *b, int fields)
{
	put_be(b, (uint16_t)fields, 2);
}

void
pgcopy_text(struct pgcopy *b, const char *s)
{
	if (s == NULL) {
		put_be(b, 0xffffffffu, 4);
		return;
	}
	put_be(b, strlen(s), 4);
	put(b, s, strlen(s));
}

void
pgcopy_char(struct pgcopy *b, char c)
{
	char s[2] = {c, '\0'};

	pgcopy_text(b, c ? s : NULL);
}

void
pgcopy_jsonb(struct pgcopy *b, const char *json)
{
	put_be(b, strlen(json) + 1, 4);
	put_be(b, 1, 1); /* jsonb's binary format: a version byte, then the text */
	put(b, json, strlen(json));
}

void
pgcopy_ts(struct pgcopy *b, int64_t unix_us)
{
	if (unix_us == 0) {
		put_be(b, 0xffffffffu, 4);
		return;
	}
	put_be(b, 8, 4);
	put_be(b, (uint64_t)(unix_us - PG_EPOCH_US), 8);
}

void
pgcopy_date(struct pgcopy *b, int64_t unix_us)
{
	put_be(b, 4, 4);
	put_be(b, (uint32_t)((unix_us - PG_EPOCH_US) / DAY_US), 4);
}

void
pgcopy_f8(struct pgcopy *b, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, 8);
	put_be(b, 8, 4);
	put_be(b, bits, 8);
}

void
pgcopy_i2(struct pgcopy *b, int v)
{
	put_be(b, 2, 4);
	put_be(b, (uint16_t)v, 2);
}

void
pgcopy_i8(struct pgcopy *b, long long v)
{
	put_be(b, 8, 4);
	put_be(b, (uint64_t)v, 8);
}

void
pgcopy_bool(struct pgcopy *b, int v)
{
	put_be(b, 1, 4);
	put_be(b, v ? 1 : 0, 1);
}
