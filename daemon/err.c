/* err.c: filling struct ls_err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
ls_err_set(struct ls_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
ls_err_prefix(struct ls_err *err, const char *fmt, ...)
{
	char prefix[128], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* A reason too long for the buffer is cut: one line is all it must be. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) >= (int)sizeof(err->msg))
		err->msg[sizeof(err->msg) - 1] = '\0';
	return -1;
}
