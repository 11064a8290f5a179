/* log.h: leveled logging to stderr (journald picks it up under systemd). */
#ifndef LS_LOG_H
#define LS_LOG_H

#include "err.h"

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 on anything else. */
int log_level_parse(const char *name, enum log_level *out);
void log_set_ident(const char *ident);

void log_debug(const char *fmt, ...) LS_PRINTF(1, 2);
void log_info(const char *fmt, ...) LS_PRINTF(1, 2);
/* log_warn appends strerror(errno); log_warnx does not (OpenBSD style). */
void log_warn(const char *fmt, ...) LS_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LS_PRINTF(1, 2);
void log_error(const char *fmt, ...) LS_PRINTF(1, 2);

#endif
