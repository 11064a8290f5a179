/* snaprow.h: a point-in-time feature snapshot's row as JSON, written by the daemon, read by
 * training. */
#ifndef LS_SNAPROW_H
#define LS_SNAPROW_H

#include <jansson.h>
#include <stdint.h>

#include "featspec.h"
#include "rawrow.h"

#define SNAPROW_US_PER_DAY INT64_C(86400000000)

/* The UTC day number (days since 1970-01-01) holding t_us, and the last microsecond of that
 * day: the instant a day's snapshot describes. */
int64_t snaprow_day(int64_t t_us);
int64_t snaprow_day_end(int64_t t_us);

/* {"field": number | string | null, ...} for row (values in spec field order); a missing or
 * non-finite value is null. NULL when out of memory. */
json_t *snaprow_to_json(const struct featspec *spec, const struct raw_row *row);

/* Fills row (row->n values, spec field order) from such an object, by name: a field that is
 * absent, null or of the wrong type for its kind is missing. Strings are borrowed from obj. */
void snaprow_from_json(const struct featspec *spec, const json_t *obj, struct raw_row *row);

#endif
