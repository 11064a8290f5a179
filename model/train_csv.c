/* train_csv.c: CSV exports to training rows: which columns, of what kind, labelled how. */
#include "train_csv.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"

/* A column holding a distinct value in every row is probably an id, worth a warning. */
#define ID_WARN_MIN_ROWS 20

void
train_csv_info_clear(struct train_csv_info *info)
{
	json_decref(info->warnings);
	memset(info, 0, sizeof(*info));
}

static int
is_missing(const struct train_csv_opts *o, const char *cell)
{
	size_t k;

	if (cell[0] == '\0')
		return 1;
	for (k = 0; k < o->nmissing; k++)
		if (strcmp(cell, o->missing[k]) == 0)
			return 1;
	return 0;
}

static int
excluded(const struct train_csv_opts *o, const char *name)
{
	size_t k;

	for (k = 0; k < o->nexclude; k++)
		if (strcmp(o->exclude[k], name) == 0)
			return 1;
	return 0;
}

/* 1 positive, 0 negative, -1 not a label value. */
static int
parse_label(const struct train_csv_opts *o, const char *cell)
{
	double v;

	if (o->positive != NULL)
		return strcmp(cell, o->positive) == 0;
	if (csv_cell_number(cell, &v) == 0)
		return v != 0.0;
	if (strcasecmp(cell, "true") == 0 || strcasecmp(cell, "yes") == 0)
		return 1;
	if (strcasecmp(cell, "false") == 0 || strcasecmp(cell, "no") == 0)
		return 0;
	return -1;
}

static void
warn_id(struct train_csv_info *info, const char *name)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
	         "column \"%.100s\" has a different value in every row: an id? "
	         "(--exclude it)",
	         name);
	json_array_append_new(info->warnings, json_string(msg));
}

/* Every non-missing cell is a number, and there is at least one. */
static int
column_numeric(const struct train_csv_opts *o, const struct csv_table *t, size_t col)
{
	size_t r, seen = 0;
	double v;

	for (r = 0; r < t->nrows; r++) {
		const char *c = csv_cell(t, r, col);

		if (is_missing(o, c))
			continue;
		if (csv_cell_number(c, &v) < 0)
			return 0;
		seen++;
	}
	return seen > 0;
}

/* The fields to read, with their columns: the spec's, or every column but label and excluded. */
struct plan {
	struct encoder_field *fields;
	long *col;
	size_t n;
	long label_col;
};

static int
plan_from_spec(const struct train_csv_opts *o, const struct csv_table *t, struct plan *p,
               struct ls_err *err)
{
	size_t i;

	for (i = 0; i < o->spec->nfields; i++) {
		const struct field_def *f = &o->spec->fields[i];
		long c = csv_column_index(t, f->name);

		if (c < 0)
			return ls_err_set(err,
			                  "%s has no column \"%s\", a field of the feature spec",
			                  o->path, f->name);
		if (c == p->label_col)
			return ls_err_set(err,
			                  "the label column \"%s\" is a field of the feature spec",
			                  o->label);
		p->fields[p->n] = (struct encoder_field){f->name, f->kind, f->group,
		                                         f->kind == FIELD_NUMERIC ? f->transform
		                                                                  : TRANSFORM_NONE};
		p->col[p->n++] = c;
	}
	return 0;
}

static int
plan_columns(const struct train_csv_opts *o, const struct csv_table *t, struct plan *p,
             struct ls_err *err)
{
	size_t i;

	for (i = 0; i < o->nexclude; i++)
		if (csv_column_index(t, o->exclude[i]) < 0)
			return ls_err_set(err, "--exclude: %s has no column \"%s\"", o->path,
			                  o->exclude[i]);
	p->n = 0;
	p->fields = calloc(t->ncols, sizeof(*p->fields));
	p->col = calloc(t->ncols, sizeof(*p->col));
	if (p->fields == NULL || p->col == NULL)
		return ls_err_set(err, "out of memory");
	if (o->spec != NULL)
		return plan_from_spec(o, t, p, err);
	for (i = 0; i < t->ncols; i++) {
		if ((long)i == p->label_col || excluded(o, t->header[i]))
			continue;
		p->fields[p->n] = (struct encoder_field){
		    t->header[i], column_numeric(o, t, i) ? FIELD_NUMERIC : FIELD_CATEGORICAL,
		    GROUP_FIT, TRANSFORM_NONE};
		p->col[p->n++] = (long)i;
	}
	if (p->n == 0)
		return ls_err_set(err, "%s: no column is left to learn from", o->path);
	return 0;
}

/* Without a spec, bundles are tied to the columns and their kinds instead. */
static int
columns_hash(const struct plan *p, char out[65], struct ls_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	static const char hex[] = "0123456789abcdef";
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, "csv\n", 4) == 1;

	for (size_t k = 0; ok && k < p->n; k++) {
		const char *kind =
		    p->fields[k].kind == FIELD_NUMERIC ? "\tnumeric\n" : "\tcategorical\n";

		ok = EVP_DigestUpdate(ctx, p->fields[k].name, strlen(p->fields[k].name)) == 1 &&
		     EVP_DigestUpdate(ctx, kind, strlen(kind)) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return ls_err_set(err, "cannot compute the columns' sha256");
	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}

static int
fill_row(const struct train_csv_opts *o, const struct csv_table *t, const struct plan *p,
         struct dataset *ds, size_t r, struct raw_value *v, struct ls_err *err)
{
	size_t k;

	for (k = 0; k < p->n; k++) {
		const char *c = csv_cell(t, r, (size_t)p->col[k]);

		if (is_missing(o, c))
			continue; /* dataset_add left it missing */
		if (p->fields[k].kind == FIELD_NUMERIC) {
			/* A spec's numeric field may meet text: that cell is missing. */
			if (csv_cell_number(c, &v[k].num) == 0)
				v[k].missing = 0;
		} else {
			if ((v[k].str = dataset_intern(ds, c)) == NULL)
				return ls_err_set(err, "out of memory");
			v[k].missing = 0;
		}
	}
	return 0;
}

static int
read_rows(const struct train_csv_opts *o, const struct csv_table *t, const struct plan *p,
          struct dataset *ds, struct train_csv_info *info, struct ls_err *err)
{
	size_t r;

	for (r = 0; r < t->nrows; r++) {
		const char *lc = csv_cell(t, r, (size_t)p->label_col);
		struct raw_value *v;
		int label;

		if (is_missing(o, lc)) {
			info->skipped++;
			continue;
		}
		if ((label = parse_label(o, lc)) < 0)
			return ls_err_set(
			    err,
			    "%s: data row %zu: label \"%.40s\" in column \"%s\" is not "
			    "1/0, true/false or yes/no (name the positive value with "
			    "--positive)",
			    o->path, r + 1, lc, o->label);
		if ((v = dataset_add(ds, label, (int64_t)r, NULL)) == NULL)
			return ls_err_set(err, "out of memory");
		if (fill_row(o, t, p, ds, r, v, err) < 0)
			return -1;
	}
	return 0;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const char *const *)a,
	          y = (uintptr_t) * (const char *const *)b;

	return (x > y) - (x < y);
}

/* Categorical columns with a distinct value in every row are likely ids. */
static void
warn_ids(const struct dataset *ds, struct train_csv_info *info)
{
	const char **vals;
	size_t k, r;

	if (ds->nrows < ID_WARN_MIN_ROWS || (vals = malloc(ds->nrows * sizeof(char *))) == NULL)
		return;
	for (k = 0; k < ds->nfields; k++) {
		size_t seen = 0, repeats = 0;

		if (ds->fields[k].kind != FIELD_CATEGORICAL)
			continue;
		for (r = 0; r < ds->nrows; r++)
			if (!ds->values[r * ds->nfields + k].missing)
				vals[seen++] = ds->values[r * ds->nfields + k].str;
		/* Interned: equal strings are equal pointers, so sorting pointers groups them. */
		qsort(vals, seen, sizeof(char *), cmp_ptr);
		for (r = 1; r < seen; r++)
			repeats += vals[r] == vals[r - 1];
		if (seen >= ID_WARN_MIN_ROWS && repeats == 0)
			warn_id(info, ds->fields[k].name);
	}
	free(vals);
}

int
train_csv_load(const struct train_csv_opts *o, struct dataset *ds, struct train_csv_info *info,
               struct ls_err *err)
{
	struct csv_table *t = NULL;
	struct plan p = {NULL, NULL, 0, -1};
	int rc = -1;

	memset(info, 0, sizeof(*info));
	memset(ds, 0, sizeof(*ds));
	if ((info->warnings = json_array()) == NULL)
		return ls_err_set(err, "out of memory");
	if (csv_read_file(o->path, o->delimiter, &t, err) < 0)
		return -1;
	info->rows = t->nrows;
	if ((p.label_col = csv_column_index(t, o->label)) < 0) {
		ls_err_set(err, "%s has no column \"%s\" (--label)", o->path, o->label);
		goto out;
	}
	if (excluded(o, o->label)) {
		ls_err_set(err, "the label column \"%s\" is also excluded", o->label);
		goto out;
	}
	if (plan_columns(o, t, &p, err) < 0 || dataset_init(ds, p.fields, p.n, err) < 0)
		goto out;
	if (read_rows(o, t, &p, ds, info, err) < 0)
		goto out;
	warn_ids(ds, info);
	if (o->spec != NULL)
		memcpy(info->spec_hash, o->spec->hash, 65);
	else if (columns_hash(&p, info->spec_hash, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		dataset_free(ds);
	free(p.fields);
	free(p.col);
	csv_free(t);
	return rc;
}
