/* train_db.c: snapshots and last active days to labelled rows, never a feature past its as_of. */
#include "train_db.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/snapshots.h"
#include "features.h"
#include "snaprow.h"

#define MAX_FIELDS 256

struct load_ctx {
	const struct train_db_opts *o;
	struct dataset *ds;
	struct train_db_info *info;
	int64_t horizon_us;
	struct raw_value vals[MAX_FIELDS];
};

/* Copies a row into the dataset, interning its strings (their source is about to go). */
static int
add_row(struct load_ctx *c, const struct raw_row *row, int label, int64_t as_of,
        const char *contact, struct ls_err *err)
{
	struct raw_value *v = dataset_add(c->ds, label, as_of, contact);
	size_t i;

	if (v == NULL)
		return ls_err_set(err, "out of memory");
	for (i = 0; i < row->n; i++) {
		v[i] = row->values[i];
		if (!v[i].missing && v[i].str != NULL &&
		    (v[i].str = dataset_intern(c->ds, v[i].str)) == NULL)
			return ls_err_set(err, "out of memory");
	}
	return 0;
}

static int
snapshot_row(struct load_ctx *c, const struct snapshot_example *ex, struct raw_row *row,
             json_t **doc, struct ls_err *err)
{
	json_error_t jerr;

	if ((*doc = json_loads(ex->features, 0, &jerr)) == NULL || !json_is_object(*doc))
		return ls_err_set(err, "contact %s: snapshot is not a JSON object", ex->contact_id);
	snaprow_from_json(c->o->spec, *doc, row);
	return 0;
}

/* A last active day without a snapshot: the contact's state holds nothing after its last
 * event, so its row as of the end of that day is what the daemon would have stored. */
static int
open_row(struct load_ctx *c, const struct snapshot_example *ex, int64_t as_of, struct raw_row *row,
         json_t **doc, struct fstate *st, struct ls_err *err)
{
	json_error_t jerr;

	if ((*doc = json_loads(ex->state, 0, &jerr)) == NULL)
		return ls_err_set(err, "contact %s: state is not JSON", ex->contact_id);
	if (fstate_from_json(st, c->o->spec, *doc, err) < 0)
		return ls_err_prefix(err, "contact %s state", ex->contact_id);
	fstate_row(st, c->o->spec, as_of, row);
	return 0;
}

static int
each_example(void *ctx, const struct snapshot_example *ex, struct ls_err *err)
{
	struct load_ctx *c = ctx;
	struct raw_row row = {c->vals, c->o->spec->nfields};
	int64_t as_of = ex->features != NULL ? ex->as_of_us : snaprow_day_end(ex->as_of_us);
	struct fstate st;
	json_t *doc = NULL;
	int label, rc;

	if (ex->converted_us != 0 && ex->converted_us <= as_of) {
		c->info->converted++;
		return 0;
	}
	if ((double)as_of + (double)c->horizon_us > (double)c->info->data_end_us) {
		c->info->censored++;
		return 0;
	}
	label = ex->converted_us != 0 &&
	        (double)ex->converted_us <= (double)as_of + (double)c->horizon_us;
	memset(&st, 0, sizeof(st));
	if (ex->features != NULL) {
		rc = snapshot_row(c, ex, &row, &doc, err);
		c->info->snapshots++;
	} else if (ex->state != NULL) {
		rc = open_row(c, ex, as_of, &row, &doc, &st, err);
		c->info->open_rows++;
	} else {
		rc = ls_err_set(err, "contact %s: a row with neither snapshot nor state",
		                ex->contact_id);
	}
	if (rc == 0)
		rc = add_row(c, &row, label, as_of, ex->contact_id, err);
	fstate_clear(&st);
	json_decref(doc);
	return rc;
}

int
train_db_load(PGconn *conn, const struct train_db_opts *o, struct dataset *ds,
              struct train_db_info *info, struct ls_err *err)
{
	struct encoder_field fields[MAX_FIELDS];
	struct load_ctx *c;
	size_t i;
	int rc;

	memset(info, 0, sizeof(*info));
	if (o->spec->nfields > MAX_FIELDS)
		return ls_err_set(err, "the feature spec has more than %d fields", MAX_FIELDS);
	if (!(o->horizon_days > 0) || o->ntypes == 0)
		return ls_err_set(err, "a label needs a horizon and at least one conversion type");
	for (i = 0; i < o->spec->nfields; i++) {
		const struct field_def *f = &o->spec->fields[i];

		fields[i] = (struct encoder_field){f->name, f->kind, f->group,
		                                   f->kind == FIELD_NUMERIC ? f->transform
		                                                            : TRANSFORM_NONE};
	}
	if (snapshot_data_end(conn, &info->data_end_us, err) < 0)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ls_err_set(err, "out of memory");
	if (dataset_init(ds, fields, o->spec->nfields, err) < 0) {
		free(c);
		return -1;
	}
	c->o = o;
	c->ds = ds;
	c->info = info;
	c->horizon_us = (int64_t)llround(o->horizon_days * (double)SNAPROW_US_PER_DAY);
	rc = snapshot_read_examples(conn, o->spec->hash, o->label_types, o->ntypes, o->spec_labels,
	                            each_example, c, err);
	free(c);
	if (rc < 0)
		dataset_free(ds);
	return rc;
}
