/* pgarray.c: binary one-dimensional arrays (the array_recv wire format) built in one buffer. */
#include "pgarray.h"

#include <stdlib.h>
#include <string.h>

#include "stmtcache.h"

/* ndim, flags, element type, then one dimension: length and lower bound. */
#define HEADER_LEN 20
#define EMPTY_HEADER_LEN 12
#define MAX_PARAMS 32
/* Seconds from the Unix epoch to PostgreSQL's, 2000-01-01. */
#define PG_EPOCH_OFFSET_US (946684800LL * 1000000LL)

static int
reserve(struct pgarray *a, size_t more)
{
	size_t cap;
	char *buf;

	if (a->failed)
		return -1;
	if (a->len + more <= a->cap)
		return 0;
	cap = a->cap ? a->cap : 256;
	while (cap < a->len + more)
		cap *= 2;
	if ((buf = realloc(a->buf, cap)) == NULL) {
		a->failed = 1;
		return -1;
	}
	a->buf = buf;
	a->cap = cap;
	return 0;
}

static void
put_u32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

static void
put_u64(char *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

/* Starts an element of len bytes and returns where its bytes go (NULL: out of memory). */
static char *
element(struct pgarray *a, size_t len)
{
	char *p;

	if (len > INT32_MAX || reserve(a, 4 + len) < 0)
		return a->failed = 1, NULL;
	p = a->buf + a->len;
	put_u32(p, (uint32_t)len);
	a->len += 4 + len;
	a->n++;
	return p + 4;
}

void
pgarray_init(struct pgarray *a, uint32_t elem_oid)
{
	memset(a, 0, sizeof(*a));
	a->elem_oid = elem_oid;
	if (reserve(a, HEADER_LEN) == 0)
		a->len = HEADER_LEN;
}

void
pgarray_free(struct pgarray *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

void
pgarray_null(struct pgarray *a)
{
	if (reserve(a, 4) < 0)
		return;
	put_u32(a->buf + a->len, UINT32_MAX); /* length -1 */
	a->len += 4;
	a->n++;
	a->has_null = 1;
}

void
pgarray_text(struct pgarray *a, const char *s)
{
	size_t len;
	char *p;

	if (s == NULL) {
		pgarray_null(a);
		return;
	}
	len = strlen(s);
	if ((p = element(a, len)) != NULL)
		memcpy(p, s, len);
}

void
pgarray_char(struct pgarray *a, char c)
{
	char s[2] = {c, '\0'};

	pgarray_text(a, c ? s : NULL);
}

void
pgarray_int8(struct pgarray *a, int64_t v)
{
	char *p = element(a, 8);

	if (p != NULL)
		put_u64(p, (uint64_t)v);
}

void
pgarray_int2(struct pgarray *a, int v)
{
	char *p = element(a, 2);

	if (p != NULL) {
		p[0] = (char)((unsigned)v >> 8);
		p[1] = (char)v;
	}
}

void
pgarray_float8(struct pgarray *a, double v)
{
	uint64_t bits;
	char *p = element(a, 8);

	if (p == NULL)
		return;
	memcpy(&bits, &v, sizeof(bits));
	put_u64(p, bits);
}

void
pgarray_bool(struct pgarray *a, int v)
{
	char *p = element(a, 1);

	if (p != NULL)
		p[0] = v ? 1 : 0;
}

void
pgarray_time(struct pgarray *a, int64_t unix_us)
{
	if (unix_us == 0)
		pgarray_null(a);
	else
		pgarray_int8(a, unix_us - PG_EPOCH_OFFSET_US);
}

static int
append_json(const char *buf, size_t size, void *data)
{
	struct pgarray *a = data;

	if (reserve(a, size) < 0)
		return -1;
	memcpy(a->buf + a->len, buf, size);
	a->len += size;
	return 0;
}

void
pgarray_json(struct pgarray *a, const json_t *v)
{
	size_t start;
	char *p;

	if (v == NULL) {
		pgarray_null(a);
		return;
	}
	/* jsonb's binary form is a version byte and the text; the length is known after. */
	if ((p = element(a, 1)) == NULL)
		return;
	*p = 1;
	start = a->len - 5;
	if (json_dump_callback(v, append_json, a, JSON_COMPACT | JSON_ENCODE_ANY) < 0 ||
	    a->len - start - 4 > INT32_MAX) {
		a->failed = 1;
		return;
	}
	put_u32(a->buf + start, (uint32_t)(a->len - start - 4));
}

void
pgarray_json_text(struct pgarray *a, const char *text)
{
	size_t len;
	char *p;

	if (text == NULL) {
		pgarray_null(a);
		return;
	}
	len = strlen(text);
	if ((p = element(a, len + 1)) != NULL) {
		p[0] = 1; /* jsonb's version byte */
		memcpy(p + 1, text, len);
	}
}

int
pgarray_finish(struct pgarray *a)
{
	if (a->failed || a->buf == NULL)
		return -1;
	if (a->n == 0) {
		a->len = EMPTY_HEADER_LEN;
		put_u32(a->buf, 0);
		put_u32(a->buf + 4, 0);
		put_u32(a->buf + 8, a->elem_oid);
		return 0;
	}
	put_u32(a->buf, 1);
	put_u32(a->buf + 4, a->has_null ? 1u : 0u);
	put_u32(a->buf + 8, a->elem_oid);
	put_u32(a->buf + 12, (uint32_t)a->n);
	put_u32(a->buf + 16, 1);
	return 0;
}

/* Finishes arrays[0..n) and points values/lengths/formats at them; 0 or -1 with err. */
static int
bind_arrays(struct pgarray *arrays, int n, const char **values, int *lengths, int *formats,
            struct ls_err *err)
{
	if (n > MAX_PARAMS)
		return ls_err_set(err, "a statement with %d array parameters (at most %d)", n,
		                  MAX_PARAMS);
	for (int i = 0; i < n; i++) {
		if (pgarray_finish(&arrays[i]) < 0)
			return ls_err_set(err, "out of memory");
		if (arrays[i].len > INT32_MAX)
			return ls_err_set(err, "an array parameter of %zu bytes", arrays[i].len);
		values[i] = arrays[i].buf;
		lengths[i] = (int)arrays[i].len;
		formats[i] = 1;
	}
	return 0;
}

PGresult *
pgarray_exec(PGconn *conn, const char *sql, struct pgarray *arrays, int n, struct ls_err *err)
{
	const char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS], formats[MAX_PARAMS];
	PGresult *res;

	if (bind_arrays(arrays, n, values, lengths, formats, err) < 0)
		return NULL;
	res = PQexecParams(conn, sql, n, NULL, values, lengths, formats, 0);
	if (res == NULL)
		ls_err_set(err, "no result (connection lost or out of memory)");
	return res;
}

PGresult *
pgarray_exec_prepared(PGconn *conn, const char *sql, struct pgarray *arrays, int n,
                      struct ls_err *err)
{
	const char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS], formats[MAX_PARAMS];

	if (bind_arrays(arrays, n, values, lengths, formats, err) < 0)
		return NULL;
	return stmt_exec(conn, sql, n, values, lengths, formats, err);
}
