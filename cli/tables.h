/* tables.h: small helpers for the readable tables the CLI prints from API-shaped JSON. */
#ifndef LS_CLI_TABLES_H
#define LS_CLI_TABLES_H

#include <jansson.h>
#include <stddef.h>

/* Reasons as "pricing_views +1.20, demo_requests +0.90, days_since_last_activity -0.30". */
void cli_format_reasons(const json_t *reasons, char *out, size_t size);
/* A string member, or "-" when absent or null. */
const char *cli_str(const json_t *obj, const char *key);
/* "2026-11-20T10:00:00.000000Z" as "2026-11-20 10:00" ("-" stays "-"). */
void cli_short_time(const char *ts, char *out, size_t size);

#endif
