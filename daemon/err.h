/* err.h: the one error convention: return 0/-1 (or NULL) and fill a struct ls_err. */
#ifndef LS_ERR_H
#define LS_ERR_H

#include <stddef.h>

#define LS_MUST_CHECK __attribute__((warn_unused_result))
#define LS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* A one-line reason; callers log it once, where the error is handled. */
struct ls_err {
	char msg[256];
};

/* Formats the reason into err (which may be NULL) and returns -1, so a
 * failing function can end with `return ls_err_set(err, "...")`. */
int ls_err_set(struct ls_err *err, const char *fmt, ...) LS_PRINTF(2, 3);

/* Prefixes an existing reason with context: "loading model: <old reason>". */
int ls_err_prefix(struct ls_err *err, const char *fmt, ...) LS_PRINTF(2, 3);

#endif
