/* jsonw.c: a growing buffer of JSON text: strings escaped as jansson escapes them, reals
 * formatted as jansson formats them. */
#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
reserve(struct jsonw *w, size_t more)
{
	size_t cap;
	char *buf;

	if (w->failed)
		return -1;
	if (w->len + more + 1 <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 256;
	while (cap < w->len + more + 1)
		cap *= 2;
	if ((buf = realloc(w->buf, cap)) == NULL) {
		w->failed = 1;
		return -1;
	}
	w->buf = buf;
	w->cap = cap;
	return 0;
}

void
jsonw_init(struct jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

void
jsonw_free(struct jsonw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void
jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	if (reserve(w, n) < 0)
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

void
jsonw_rawz(struct jsonw *w, const char *s)
{
	jsonw_raw(w, s, strlen(s));
}

void
jsonw_string(struct jsonw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0;

	if (s == NULL) {
		jsonw_raw(w, "null", 4);
		return;
	}
	jsonw_raw(w, "\"", 1);
	/* Runs of plain bytes are copied whole; UTF-8 passes through, as jansson's default. */
	for (; p[run] != '\0' || run > 0; p += run + 1, run = 0) {
		char esc[8];
		const char *e = esc;

		while (p[run] != '\0' && p[run] != '"' && p[run] != '\\' && p[run] >= 0x20)
			run++;
		jsonw_raw(w, (const char *)p, run);
		if (p[run] == '\0')
			break;
		switch (p[run]) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\t':
			e = "\\t";
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", p[run]);
			break;
		}
		jsonw_rawz(w, e);
	}
	jsonw_raw(w, "\"", 1);
}

void
jsonw_int(struct jsonw *w, long long v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%lld", v);

	jsonw_raw(w, buf, (size_t)n);
}

void
jsonw_real(struct jsonw *w, double v)
{
	char buf[40], *e;
	int n;

	/* jansson cannot encode these and fails the dump; a score field never holds one. */
	if (!isfinite(v)) {
		w->failed = 1;
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.17g", v);
	/* A real stays a real when read back: "1" becomes "1.0"; and the exponent loses its '+'
	 * and leading zeros ("1e+20" is "1e20", "1e-05" is "1e-5"), as jansson writes them. */
	if ((e = strchr(buf, 'e')) == NULL) {
		if (strchr(buf, '.') == NULL && n + 2 < (int)sizeof(buf)) {
			buf[n++] = '.';
			buf[n++] = '0';
			buf[n] = '\0';
		}
	} else {
		char *digits = e + 1, *from;

		if (*digits == '-')
			digits++;
		from = digits;
		if (*from == '+')
			from++;
		while (*from == '0' && from[1] != '\0')
			from++;
		if (from != digits)
			memmove(digits, from, strlen(from) + 1);
		n = (int)strlen(buf);
	}
	jsonw_raw(w, buf, (size_t)n);
}

void
jsonw_key(struct jsonw *w, const char *key, int first)
{
	if (!first)
		jsonw_raw(w, ",", 1);
	jsonw_string(w, key);
	jsonw_raw(w, ":", 1);
}

char *
jsonw_take(struct jsonw *w, size_t *len)
{
	char *text = NULL;

	if (!w->failed && reserve(w, 0) == 0) {
		w->buf[w->len] = '\0';
		text = w->buf;
		if (len != NULL)
			*len = w->len;
		w->buf = NULL;
	}
	jsonw_free(w);
	return text;
}
