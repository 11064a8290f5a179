/* rawrow.h: a contact (or CSV row) as named raw values, before encoding for a model. */
#ifndef LS_RAWROW_H
#define LS_RAWROW_H

#include <stddef.h>

/* One raw field value: a number, a category (string), or missing. */
struct raw_value {
	int missing;	  /* 1 when the value is unknown */
	double num;	  /* for numeric fields */
	const char *str;  /* for categorical fields; borrowed, valid while the row's source lives */
};

/* Values in the order of a field list (feature spec or CSV header) owned elsewhere. */
struct raw_row {
	struct raw_value *values;
	size_t n;
};

#endif
