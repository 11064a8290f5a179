/* tables.c: formatting scores, reasons and times for the CLI's tables. */
#include "tables.h"

#include <stdio.h>
#include <string.h>

void
cli_format_reasons(const json_t *arr, char *out, size_t size)
{
	size_t i, used = 0;
	json_t *r;

	out[0] = '\0';
	json_array_foreach(arr, i, r)
	{
		const char *feature = json_string_value(json_object_get(r, "feature"));
		int n = snprintf(out + used, size - used, "%s%s %+.2f", i ? ", " : "",
		                 feature ? feature : "?",
		                 json_number_value(json_object_get(r, "effect")));

		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
}

const char *
cli_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "-";
}

void
cli_short_time(const char *ts, char *out, size_t size)
{
	if (strlen(ts) >= 16 && ts[10] == 'T')
		snprintf(out, size, "%.10s %.5s", ts, ts + 11);
	else
		snprintf(out, size, "%s", ts);
}
