/* train_csv.h: a CSV export as training rows: column kinds, missing values, the label. */
#ifndef LS_TRAIN_CSV_H
#define LS_TRAIN_CSV_H

#include <jansson.h>

#include "../daemon/err.h"
#include "dataset.h"
#include "featspec.h"

struct train_csv_opts {
	const char *path;
	char delimiter;
	const char *label;    /* the label column */
	const char *positive; /* its positive value; NULL: 1/0, true/false, yes/no */
	char *const *exclude; /* columns left out */
	size_t nexclude;
	const char *const *missing; /* cells that mean missing besides the empty one */
	size_t nmissing;
	const struct featspec *spec; /* NULL: every other column; else the spec's fields, by name */
};

struct train_csv_info {
	size_t rows;        /* data rows in the file */
	size_t skipped;     /* without a label (empty or a missing token) */
	char spec_hash[65]; /* the spec's, or a hash of the columns and their kinds */
	json_t *warnings;   /* array of strings (owned) */
};

/*
 * Reads the file into ds: the label's column becomes the label, the rest (less the excluded
 * ones) the fields. Without a spec a column is numeric when every cell that is not missing
 * is a number, else categorical; missing cells are missing values either way. Each row's
 * time is its position in the file. 0, or -1 with a reason (unknown column, bad label...).
 */
int train_csv_load(const struct train_csv_opts *o, struct dataset *ds, struct train_csv_info *info,
                   struct ls_err *err) LS_MUST_CHECK;
void train_csv_info_clear(struct train_csv_info *info);

#endif
