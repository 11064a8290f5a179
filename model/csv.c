/* csv.c: in-place CSV decoding into one text buffer and one offset per cell. */
#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum field_end { END_DELIM, END_LINE, END_INPUT };

/* Decoding happens in place: a decoded field is never longer than its encoding plus the
 * delimiter it replaces with NUL, so the write position w never passes the read position r
 * (the one extra byte after the input holds the last cell's NUL). */
struct parser {
	char *buf; /* the input, len + 1 bytes; owned until the table takes it */
	size_t len;
	size_t r;
	size_t w;
	size_t line; /* physical line of buf[r], from 1 */
	char delim;
	uint32_t *offs; /* cell starts in buf; owned until the table takes it */
	size_t noffs;
	size_t cap;
	size_t blank_until; /* input before this offset is known to go on past blank lines */
	struct ls_err *err;
};

struct name_ref {
	const char *name;
	size_t col;
};

static int
is_line_end(char c)
{
	return c == '\n' || c == '\r';
}

static int
nul_error(const struct parser *p, size_t field)
{
	return ls_err_set(p->err, "line %zu: NUL byte in field %zu (not a text file?)", p->line,
	                  field);
}

static int
grow_offsets(struct parser *p, size_t cap)
{
	uint32_t *o;

	if (cap > SIZE_MAX / sizeof(*o))
		return ls_err_set(p->err, "out of memory (%zu cells)", cap);
	o = realloc(p->offs, cap * sizeof(*o));
	if (o == NULL)
		return ls_err_set(p->err, "out of memory (%zu cells)", cap);
	p->offs = o;
	p->cap = cap;
	return 0;
}

static int
push_offset(struct parser *p, size_t off)
{
	if (p->noffs == p->cap) {
		size_t cap = p->cap != 0 ? p->cap * 2 : 64;

		if (cap < p->cap)
			return ls_err_set(p->err, "out of memory (%zu cells)", p->cap);
		if (grow_offsets(p, cap) != 0)
			return -1;
	}
	p->offs[p->noffs++] = (uint32_t)off;
	return 0;
}

/* Sizes the offsets once from the number of LFs left, so a typical export is read
 * without regrowing; quoted newlines only make it an overestimate, trimmed at the end. */
static int
reserve_offsets(struct parser *p, size_t ncols)
{
	size_t lines = 1, want;
	const char *s = p->buf + p->r, *end = p->buf + p->len;

	while (s < end && (s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		lines++;
		s++;
	}
	if (lines > (SIZE_MAX / sizeof(uint32_t) - p->noffs) / ncols)
		return 0; /* cannot be that many cells: let push_offset report it */
	want = p->noffs + lines * ncols;
	return want > p->cap ? grow_offsets(p, want) : 0;
}

static int
read_quoted(struct parser *p, size_t field)
{
	size_t open_line = p->line;
	char c;

	p->r++;
	for (;;) {
		if (p->r >= p->len)
			return ls_err_set(p->err, "line %zu: quoted field never closed (field %zu)",
			                  open_line, field);
		c = p->buf[p->r];
		if (c == '"') {
			p->r++;
			if (p->r >= p->len || p->buf[p->r] != '"')
				return 0;
		} else if (c == '\0') {
			return nul_error(p, field);
		} else if (c == '\n' ||
		           (c == '\r' && (p->r + 1 >= p->len || p->buf[p->r + 1] != '\n'))) {
			p->line++;
		}
		p->buf[p->w++] = c;
		p->r++;
	}
}

static int
read_unquoted(struct parser *p, size_t field)
{
	char c;

	while (p->r < p->len) {
		c = p->buf[p->r];
		if (c == p->delim || is_line_end(c))
			return 0;
		if (c == '"')
			return ls_err_set(
			    p->err,
			    "line %zu: quote inside unquoted field %zu (quote the whole "
			    "field and double the quote)",
			    p->line, field);
		if (c == '\0')
			return nul_error(p, field);
		p->buf[p->w++] = c;
		p->r++;
	}
	return 0;
}

/* Terminates the cell and consumes what ended it. The terminator is read before the NUL
 * is written, since with nothing decoded away yet w == r and the NUL lands on it. */
static enum field_end
end_field(struct parser *p)
{
	char c;

	if (p->r >= p->len) {
		p->buf[p->w++] = '\0';
		return END_INPUT;
	}
	c = p->buf[p->r];
	p->buf[p->w++] = '\0';
	p->r++;
	if (c == p->delim)
		return END_DELIM;
	if (c == '\r' && p->r < p->len && p->buf[p->r] == '\n')
		p->r++;
	p->line++;
	return END_LINE;
}

static int
read_field(struct parser *p, size_t field, enum field_end *end)
{
	int quoted = p->r < p->len && p->buf[p->r] == '"';
	char c;

	if ((quoted ? read_quoted(p, field) : read_unquoted(p, field)) != 0)
		return -1;
	if (quoted && p->r < p->len) {
		c = p->buf[p->r];
		if (c != p->delim && !is_line_end(c))
			return ls_err_set(p->err,
			                  "line %zu: text after the closing quote of field %zu",
			                  p->line, field);
	}
	*end = end_field(p);
	return 0;
}

static int
read_record(struct parser *p, size_t *nfields)
{
	enum field_end end;
	size_t n = 0;

	do {
		n++;
		if (push_offset(p, p->w) != 0 || read_field(p, n, &end) != 0)
			return -1;
	} while (end == END_DELIM);
	*nfields = n;
	return 0;
}

/* 1 when only line ends remain. Remembers where it found more, so a run of blank lines
 * in the middle is scanned once, not once per line. */
static int
rest_is_blank(struct parser *p)
{
	size_t i;

	if (p->r < p->blank_until)
		return 0;
	for (i = p->r; i < p->len; i++) {
		if (!is_line_end(p->buf[i])) {
			p->blank_until = i;
			return 0;
		}
	}
	return 1;
}

static int
cmp_name_ref(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Sorting keeps a wide header O(n log n); the repeat reported is the first in file order. */
static int
check_unique(const struct parser *p, size_t ncols)
{
	struct name_ref *refs, *dup = NULL, *first = NULL;
	size_t i, group = 0;
	int rc = 0;

	refs = calloc(ncols, sizeof(*refs));
	if (refs == NULL)
		return ls_err_set(p->err, "out of memory (%zu columns)", ncols);
	for (i = 0; i < ncols; i++) {
		refs[i].name = p->buf + p->offs[i];
		refs[i].col = i;
	}
	qsort(refs, ncols, sizeof(*refs), cmp_name_ref);
	for (i = 1; i < ncols; i++) {
		if (strcmp(refs[i].name, refs[group].name) != 0) {
			group = i;
		} else if (dup == NULL || refs[i].col < dup->col) {
			dup = &refs[i];
			first = &refs[group];
		}
	}
	if (dup != NULL)
		rc = ls_err_set(p->err,
		                "line 1: duplicate column name \"%.80s\" (columns %zu and %zu)",
		                dup->name, first->col + 1, dup->col + 1);
	free(refs);
	return rc;
}

static int
read_header(struct parser *p, size_t *ncols)
{
	if (p->len >= 3 && memcmp(p->buf, "\xEF\xBB\xBF", 3) == 0)
		p->r = 3;
	if (p->r >= p->len)
		return ls_err_set(p->err, "empty input: no header row");
	if (is_line_end(p->buf[p->r]))
		return ls_err_set(p->err, "line 1: blank line where the header row should be");
	if (read_record(p, ncols) != 0 || check_unique(p, *ncols) != 0)
		return -1;
	return reserve_offsets(p, *ncols);
}

static int
read_rows(struct parser *p, size_t ncols, size_t *nrows)
{
	size_t line, n;

	*nrows = 0;
	while (p->r < p->len) {
		line = p->line;
		if (is_line_end(p->buf[p->r])) {
			if (rest_is_blank(p))
				break;
			if (ncols > 1)
				return ls_err_set(p->err,
				                  "line %zu: blank line, header has %zu fields",
				                  line, ncols);
		}
		if (read_record(p, &n) != 0)
			return -1;
		if (n != ncols)
			return ls_err_set(p->err, "line %zu: %zu field%s, header has %zu", line, n,
			                  n == 1 ? "" : "s", ncols);
		(*nrows)++;
	}
	return 0;
}

/* Hands buf and offs to a new table, trimmed to what decoding used. */
static int
make_table(struct parser *p, size_t ncols, size_t nrows, struct csv_table **out)
{
	struct csv_table *t;
	char *text;
	uint32_t *offs;
	size_t i;

	if (ncols > (SIZE_MAX - sizeof(*t)) / sizeof(t->header[0]))
		return ls_err_set(p->err, "out of memory (%zu columns)", ncols);
	t = malloc(sizeof(*t) + ncols * sizeof(t->header[0]));
	if (t == NULL)
		return ls_err_set(p->err, "out of memory (%zu columns)", ncols);
	text = realloc(p->buf, p->w);
	if (text != NULL) {
		p->buf = text;
		p->len = p->w - 1;
	}
	offs = realloc(p->offs, p->noffs * sizeof(*offs));
	if (offs != NULL) {
		p->offs = offs;
		p->cap = p->noffs;
	}
	t->ncols = ncols;
	t->nrows = nrows;
	t->text = p->buf;
	t->text_size = p->len + 1;
	t->offsets = p->offs;
	for (i = 0; i < ncols; i++)
		t->header[i] = t->text + t->offsets[i];
	p->buf = NULL;
	p->offs = NULL;
	*out = t;
	return 0;
}

/* Takes ownership of buf (len + 1 bytes, len < CSV_MAX_BYTES) whatever the outcome. */
static int
parse_owned(char *buf, size_t len, char delimiter, struct csv_table **out, struct ls_err *err)
{
	struct parser p;
	size_t ncols = 0, nrows = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.len = len;
	p.line = 1;
	p.delim = delimiter;
	p.err = err;
	rc = read_header(&p, &ncols);
	if (rc == 0)
		rc = read_rows(&p, ncols, &nrows);
	if (rc == 0)
		rc = make_table(&p, ncols, nrows, out);
	free(p.buf);
	free(p.offs);
	return rc;
}

static int
check_delimiter(char delimiter, struct ls_err *err)
{
	if (delimiter == '"' || delimiter == '\0' || is_line_end(delimiter))
		return ls_err_set(err, "delimiter 0x%02x cannot be used (quote, NUL, CR or LF)",
		                  (unsigned)(unsigned char)delimiter);
	return 0;
}

int
csv_read_buffer(const char *buf, size_t len, char delimiter, struct csv_table **out,
                struct ls_err *err)
{
	char *copy;

	*out = NULL;
	if (check_delimiter(delimiter, err) != 0)
		return -1;
	if (len >= CSV_MAX_BYTES)
		return ls_err_set(err, "input of %zu bytes is too large (4 GiB or more)", len);
	copy = malloc(len + 1);
	if (copy == NULL)
		return ls_err_set(err, "out of memory (%zu bytes)", len + 1);
	if (len > 0)
		memcpy(copy, buf, len);
	return parse_owned(copy, len, delimiter, out, err);
}

/* Room for one more byte than the file holds, so that the read meeting EOF is not mistaken
 * for a full buffer that needs doubling. */
static int
initial_capacity(int fd, size_t *cap, struct ls_err *err)
{
	struct stat st;

	*cap = 65536;
	if (fstat(fd, &st) != 0)
		return ls_err_set(err, "cannot stat: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return ls_err_set(err, "is a directory");
	if (S_ISREG(st.st_mode)) {
		if ((uintmax_t)st.st_size >= CSV_MAX_BYTES)
			return ls_err_set(err, "file is too large (4 GiB or more)");
		*cap = (size_t)st.st_size + 2;
	}
	return 0;
}

static int
grow_buffer(char **buf, size_t *cap, struct ls_err *err)
{
	size_t ncap = *cap * 2;
	char *b;

	if (ncap > CSV_MAX_BYTES)
		ncap = CSV_MAX_BYTES;
	if (ncap <= *cap)
		return ls_err_set(err, "file is too large (4 GiB or more)");
	b = realloc(*buf, ncap);
	if (b == NULL)
		return ls_err_set(err, "out of memory (%zu bytes)", ncap);
	*buf = b;
	*cap = ncap;
	return 0;
}

/* Reads all of fd into a new buffer with one spare byte (for the last NUL). */
static int
read_all(int fd, char **out, size_t *outlen, struct ls_err *err)
{
	size_t cap, len = 0;
	ssize_t n;
	char *buf;

	if (initial_capacity(fd, &cap, err) != 0)
		return -1;
	buf = malloc(cap);
	if (buf == NULL)
		return ls_err_set(err, "out of memory (%zu bytes)", cap);
	for (;;) {
		if (len + 1 >= cap && grow_buffer(&buf, &cap, err) != 0)
			break;
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ls_err_set(err, "cannot read: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			*out = buf;
			*outlen = len;
			return 0;
		}
		len += (size_t)n;
	}
	free(buf);
	return -1;
}

int
csv_read_file(const char *path, char delimiter, struct csv_table **out, struct ls_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	if (check_delimiter(delimiter, err) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ls_err_set(err, "cannot open: %s", strerror(errno));
		return ls_err_prefix(err, "%s", path);
	}
	rc = read_all(fd, &buf, &len, err);
	close(fd);
	if (rc == 0)
		rc = parse_owned(buf, len, delimiter, out, err);
	if (rc != 0)
		return ls_err_prefix(err, "%s", path);
	return 0;
}

void
csv_free(struct csv_table *t)
{
	if (t == NULL)
		return;
	free(t->text);
	free(t->offsets);
	free(t);
}

const char *
csv_cell(const struct csv_table *t, size_t row, size_t col)
{
	if (row >= t->nrows || col >= t->ncols)
		return NULL;
	return t->text + t->offsets[(row + 1) * t->ncols + col];
}

long
csv_column_index(const struct csv_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->header[i], name) == 0)
			return (long)i;
	return -1;
}

size_t
csv_memory_size(const struct csv_table *t)
{
	return sizeof(*t) + t->ncols * sizeof(t->header[0]) + t->text_size +
	       (t->nrows + 1) * t->ncols * sizeof(t->offsets[0]);
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void
make_c_locale(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [+-] digits [. digits] [e [+-] digits], with a digit somewhere before the exponent:
 * strtod alone would also take spaces, hex, "inf" and "nan". */
static int
decimal_syntax(const char *s)
{
	size_t digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	for (; is_digit(*s); s++)
		digits++;
	if (*s == '.')
		for (s++; is_digit(*s); s++)
			digits++;
	if (digits == 0)
		return -1;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return -1;
		while (is_digit(*s))
			s++;
	}
	return *s == '\0' ? 0 : -1;
}

int
csv_cell_number(const char *cell, double *out)
{
	locale_t old = (locale_t)0;
	char *end;
	double v;

	if (cell == NULL || decimal_syntax(cell) != 0)
		return -1;
	pthread_once(&c_locale_once, make_c_locale);
	if (c_locale != (locale_t)0)
		old = uselocale(c_locale);
	v = strtod(cell, &end);
	if (old != (locale_t)0)
		uselocale(old);
	if (*end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}
