/* train_nightly.c: register, judge against the active model on the same holdout, promote or say
 * why. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/registry.h"
#include "../daemon/store.h"
#include "../model/model.h"
#include "../model/train.h"
#include "train_cli.h"

void
train_guard_decide(double new_auc, double active_auc, const char *active_name, size_t nrows,
                   double tol, int force, struct guard_verdict *v)
{
	double drop = active_auc - new_auc;

	v->promote = force || drop <= tol;
	if (v->promote && drop <= tol)
		snprintf(
		    v->reason, sizeof(v->reason),
		    "holdout AUC %.4f against %.4f for %s on the same %zu rows (tolerance %.4f)",
		    new_auc, active_auc, active_name, nrows, tol);
	else if (v->promote)
		snprintf(
		    v->reason, sizeof(v->reason),
		    "forced: holdout AUC %.4f is %.4f below %s's %.4f on the same %zu rows, more "
		    "than the tolerance of %.4f",
		    new_auc, drop, active_name, active_auc, nrows, tol);
	else
		snprintf(
		    v->reason, sizeof(v->reason),
		    "kept %s: the new model's holdout AUC %.4f is %.4f below its %.4f on the same "
		    "%zu rows, more than the tolerance of %.4f (--force promotes it anyway)",
		    active_name, new_auc, drop, active_auc, nrows, tol);
}

/* The registry's path for the active bundle, relative ones under model_dir. */
static char *
resolve(const char *model_dir, char *path)
{
	char *full;
	size_t n;

	if (path == NULL || path[0] == '/' || model_dir == NULL)
		return path;
	n = strlen(model_dir) + strlen(path) + 2;
	if ((full = malloc(n)) != NULL)
		snprintf(full, n, "%s/%s", model_dir, path);
	free(path);
	return full;
}

/* The model in force and its name; NULL with why it cannot be judged in *why. */
static struct model *
active_model(PGconn *conn, const struct nightly_run *r, char *name, size_t size, char *why,
             size_t wsize, struct ls_err *err)
{
	char *version = NULL, *path = NULL;
	struct model *m;
	struct ls_err lerr;

	why[0] = '\0';
	if (store_active_model(conn, &version, &path, err) < 0)
		return NULL;
	if (version == NULL) {
		snprintf(name, size, "the starter model");
		if ((m = model_starter(r->spec, err)) == NULL)
			return NULL;
		return m;
	}
	snprintf(name, size, "the active model %s", version);
	free(version);
	if ((path = resolve(r->model_dir, path)) == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	m = model_load(path, &lerr);
	free(path);
	if (m == NULL) {
		snprintf(why, wsize, "%.100s does not load (%.250s)", name, lerr.msg);
		return NULL;
	}
	if (model_check_spec(m, r->spec, &lerr) < 0) {
		snprintf(why, wsize, "%.100s cannot be judged on these features (%.250s)", name,
		         lerr.msg);
		model_free(m);
		return NULL;
	}
	return m;
}

static int
judge(PGconn *conn, const struct nightly_run *r, struct guard_verdict *v, char *name, size_t size,
      double *active_auc, struct ls_err *err)
{
	char why[400];
	struct model *m = active_model(conn, r, name, size, why, sizeof(why), err);
	double *prob;
	int rc;

	*active_auc = NAN;
	if (m == NULL && why[0] == '\0')
		return -1;
	if (m == NULL) {
		/* Nothing to compare with: the daemon would refuse that model too. */
		v->promote = 1;
		snprintf(v->reason, sizeof(v->reason), "%s; the new model replaces it", why);
		return 0;
	}
	if ((prob = malloc((r->sp->ntest ? r->sp->ntest : 1) * sizeof(double))) == NULL) {
		model_free(m);
		return ls_err_set(err, "out of memory");
	}
	rc = train_predict(m, r->ds, r->sp->test, r->sp->ntest, prob, err);
	if (rc == 0)
		rc = train_auc(r->ds, r->sp->test, r->sp->ntest, prob, active_auc, err);
	free(prob);
	model_free(m);
	if (rc < 0)
		return ls_err_prefix(err, "re-evaluating %s", name);
	train_guard_decide(r->auc, *active_auc, name, r->sp->ntest, r->tolerance, r->force, v);
	return 0;
}

static int
register_bundle(PGconn *conn, const char *dir, char *version, size_t vsize, struct ls_err *err)
{
	char path[PATH_MAX];
	struct model *m;
	const json_t *manifest;
	char *mtext, *metrics;
	int rc;

	if (realpath(dir, path) == NULL)
		return ls_err_set(err, "cannot resolve %s", dir);
	if ((m = model_load(path, err)) == NULL)
		return ls_err_prefix(err, "%s", path);
	manifest = model_manifest(m);
	snprintf(version, vsize, "%s", model_version(m));
	mtext = json_dumps(manifest, JSON_COMPACT);
	metrics = json_dumps(json_object_get(manifest, "metrics"), JSON_COMPACT);
	if (mtext == NULL || metrics == NULL)
		rc = ls_err_set(err, "out of memory");
	else
		rc = registry_register(conn, model_version(m), model_kind(m), path, mtext, metrics,
		                       err);
	free(mtext);
	free(metrics);
	model_free(m);
	return rc;
}

int
train_nightly(PGconn *conn, const struct nightly_run *r, json_t **promotion, struct ls_err *err)
{
	struct guard_verdict v = {0, ""};
	char version[MANIFEST_VERSION_MAX], name[128] = "";
	double active_auc;

	*promotion = NULL;
	if (register_bundle(conn, r->bundle_dir, version, sizeof(version), err) < 0)
		return -1;
	if (!r->promote)
		return 0;
	if (judge(conn, r, &v, name, sizeof(name), &active_auc, err) < 0)
		return -1;
	if (v.promote && registry_promote(conn, version, v.reason, err) < 0)
		return -1;
	*promotion = json_pack("{s:b, s:s, s:{s:s, s:o}, s:f, s:b}", "promoted", v.promote,
	                       "reason", v.reason, "active", "name", name, "auc",
	                       isnan(active_auc) ? json_null() : json_real(active_auc), "tolerance",
	                       r->tolerance, "forced", r->force);
	if (*promotion == NULL)
		return ls_err_set(err, "out of memory");
	return 0;
}

/* ---- the dataset export ---- */

static void
put_cell(FILE *fp, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static const char *
set_of(const struct split *sp, size_t nrows, char *which)
{
	size_t i;

	memset(which, 'g', nrows);
	for (i = 0; i < sp->ntrain; i++)
		which[sp->train[i]] = 'r';
	for (i = 0; i < sp->ntest; i++)
		which[sp->test[i]] = 't';
	return which;
}

static void
put_row(FILE *fp, const struct dataset *ds, size_t r, char which, int from_db)
{
	static const char *const names[] = {"train", "test", "gap"};
	size_t k;

	if (from_db) {
		json_t *t = store_time_json(ds->times[r]);

		put_cell(fp, ds->groups[r] ? ds->groups[r] : "");
		fprintf(fp, ",%s", json_is_string(t) ? json_string_value(t) : "");
		json_decref(t);
	} else {
		fprintf(fp, "%lld", (long long)ds->times[r] + 1);
	}
	fprintf(fp, ",%d,%s", ds->labels[r], names[which == 'r' ? 0 : which == 't' ? 1 : 2]);
	for (k = 0; k < ds->nfields; k++) {
		const struct raw_value *v = &ds->values[r * ds->nfields + k];

		fputc(',', fp);
		if (v->missing)
			continue;
		if (ds->fields[k].kind == FIELD_NUMERIC)
			fprintf(fp, "%.17g", v->num);
		else if (v->str != NULL)
			put_cell(fp, v->str);
	}
	fputc('\n', fp);
}

int
train_write_dataset(const char *path, const struct dataset *ds, const struct split *sp, int from_db,
                    struct ls_err *err)
{
	FILE *fp = fopen(path, "w");
	char *which = malloc(ds->nrows ? ds->nrows : 1);
	size_t r, k;
	int bad;

	if (fp == NULL || which == NULL) {
		free(which);
		if (fp != NULL)
			fclose(fp);
		return ls_err_set(err, "cannot write %s", path);
	}
	set_of(sp, ds->nrows, which);
	fputs(from_db ? "contact_id,as_of,label,set" : "row,label,set", fp);
	for (k = 0; k < ds->nfields; k++) {
		fputc(',', fp);
		put_cell(fp, ds->fields[k].name);
	}
	fputc('\n', fp);
	for (r = 0; r < ds->nrows; r++)
		put_row(fp, ds, r, which[r], from_db);
	free(which);
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad)
		return ls_err_set(err, "cannot write %s", path);
	return 0;
}
