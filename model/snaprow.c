/* snaprow.c: snapshot rows by field name, so a stored row reads back whatever the field order. */
#include "snaprow.h"

#include <math.h>
#include <string.h>

int64_t
snaprow_day(int64_t t_us)
{
	/* Floor division: instants before the epoch fall on the right day. */
	return t_us / SNAPROW_US_PER_DAY - (t_us % SNAPROW_US_PER_DAY < 0 ? 1 : 0);
}

int64_t
snaprow_day_end(int64_t t_us)
{
	return (snaprow_day(t_us) + 1) * SNAPROW_US_PER_DAY - 1;
}

static json_t *
value_json(const struct field_def *f, const struct raw_value *v)
{
	if (v->missing)
		return json_null();
	if (f->kind == FIELD_NUMERIC)
		return isfinite(v->num) ? json_real(v->num) : json_null();
	return v->str != NULL ? json_string(v->str) : json_null();
}

json_t *
snaprow_to_json(const struct featspec *spec, const struct raw_row *row)
{
	json_t *o = json_object();
	size_t i, n = row->n < spec->nfields ? row->n : spec->nfields;

	for (i = 0; o != NULL && i < n; i++)
		if (json_object_set_new(o, spec->fields[i].name,
		                        value_json(&spec->fields[i], &row->values[i])) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

void
snaprow_from_json(const struct featspec *spec, const json_t *obj, struct raw_row *row)
{
	size_t i, n = row->n < spec->nfields ? row->n : spec->nfields;

	for (i = 0; i < n; i++) {
		const struct field_def *f = &spec->fields[i];
		const json_t *v = json_object_get(obj, f->name);
		struct raw_value *rv = &row->values[i];

		memset(rv, 0, sizeof(*rv));
		if (f->kind == FIELD_NUMERIC && json_is_number(v) && isfinite(json_number_value(v)))
			rv->num = json_number_value(v);
		else if (f->kind == FIELD_CATEGORICAL && json_is_string(v))
			rv->str = json_string_value(v);
		else
			rv->missing = 1;
	}
}
