/* jsonw.h: JSON text written straight into a buffer, byte for byte as jansson's compact dump
 * would write it, for the messages and columns written once per score. */
#ifndef LS_JSONW_H
#define LS_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Appends never fail on their own: an allocation failure is remembered, and jsonw_take
 * reports it. */
struct jsonw {
	char *buf;
	size_t len, cap;
	int failed;
};

void jsonw_init(struct jsonw *w);
void jsonw_free(struct jsonw *w);

void jsonw_raw(struct jsonw *w, const char *s, size_t n); /* already JSON */
void jsonw_rawz(struct jsonw *w, const char *s);          /* the same, NUL-terminated */
void jsonw_string(struct jsonw *w, const char *s);        /* quoted, escaped; NULL: null */
void jsonw_int(struct jsonw *w, long long v);
void jsonw_real(struct jsonw *w, double v); /* as jansson: %.17g, kept a real */
/* "key": and the separator before it when this is not the object's first member. */
void jsonw_key(struct jsonw *w, const char *key, int first);

/* The NUL-terminated text (the caller frees it), or NULL when an append ran out of memory;
 * w is empty afterwards either way. */
char *jsonw_take(struct jsonw *w, size_t *len) LS_MUST_CHECK;

#endif
