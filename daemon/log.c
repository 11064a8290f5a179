/* log.c: leveled logging to stderr with systemd priority prefixes when under journald. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level current_level = LOG_LVL_INFO;
static const char *log_ident = "leadscore";

void
log_set_level(enum log_level level)
{
	current_level = level;
}

void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

int
log_level_parse(const char *name, enum log_level *out)
{
	static const char *names[] = {"debug", "info", "warn", "error"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	/* sd-daemon(3) priorities, so journald keeps the level. */
	static const char *prefix[] = {"<7>", "<6>", "<4>", "<3>"};
	static const char *label[] = {"debug", "info", "warn", "error"};
	char line[2048];
	struct timespec ts;
	struct tm tm;

	if (level < current_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (getenv("JOURNAL_STREAM") != NULL) {
		fprintf(stderr, "%s%s%s%s\n", prefix[level], line, suffix ? ": " : "",
			suffix ? suffix : "");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%s] %s%s%s\n", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		log_ident, label[level], line, suffix ? ": " : "", suffix ? suffix : "");
}

#define LOG_BODY(level, suffix)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vwrite(level, fmt, ap, suffix);                                                \
		va_end(ap);                                                                        \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, NULL);
}

void
log_warn(const char *fmt, ...)
{
	const char *why = strerror(errno);

	LOG_BODY(LOG_LVL_WARN, why);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, NULL);
}

void
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, NULL);
}
