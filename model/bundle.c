/* bundle.c: writing a model bundle into a temporary directory, proving it loads, renaming it in. */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "model_impl.h"

#define MODEL_FILE "model.txt"

/* The model a bundle is written from: exactly one of lm, sm, weights. */
struct bundle_src {
	enum manifest_kind kind;
	const struct ll_model *lm;
	const struct svm_model *sm;
	const double *weights;
	double bias;
};

struct staging {
	const char *dir;
	char tmp[PATH_MAX];
	char model[PATH_MAX + 32]; /* tmp plus a file name */
	char manifest[PATH_MAX + 32];
};

static int
stage_begin(struct staging *st, const char *dir, struct ls_err *err)
{
	struct stat sb;

	st->dir = dir;
	if (lstat(dir, &sb) == 0)
		return ls_err_set(err, "%s already exists", dir);
	if (errno != ENOENT)
		return ls_err_set(err, "%s: %s", dir, strerror(errno));
	if (strlen(dir) + sizeof(".tmp-XXXXXX/" MANIFEST_FILE) > PATH_MAX)
		return ls_err_set(err, "%s: path too long", dir);
	snprintf(st->tmp, sizeof(st->tmp), "%s.tmp-XXXXXX", dir);
	if (mkdtemp(st->tmp) == NULL)
		return ls_err_set(err, "cannot create %s: %s", st->tmp, strerror(errno));
	snprintf(st->model, sizeof(st->model), "%s/%s", st->tmp, MODEL_FILE);
	snprintf(st->manifest, sizeof(st->manifest), "%s/%s", st->tmp, MANIFEST_FILE);
	return 0;
}

static void
stage_abort(struct staging *st)
{
	unlink(st->model);
	unlink(st->manifest);
	rmdir(st->tmp);
}

static int
fsync_path(const char *path, int flags, struct ls_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags), rc;

	if (fd < 0)
		return ls_err_set(err, "%s: %s", path, strerror(errno));
	rc = fsync(fd);
	close(fd);
	if (rc < 0)
		return ls_err_set(err, "fsync %s: %s", path, strerror(errno));
	return 0;
}

static int
save_model_file(struct staging *st, const struct bundle_src *src, struct ls_err *err)
{
	int rc;

	if (src->lm == NULL && src->sm == NULL)
		return 0;
	rc = src->lm != NULL ? save_model(st->model, src->lm) : svm_save_model(st->model, src->sm);
	if (rc != 0)
		return ls_err_set(err, "cannot save the model to %s", st->model);
	return fsync_path(st->model, 0, err);
}

static int
write_manifest(struct staging *st, json_t *root, struct ls_err *err)
{
	FILE *fp = fopen(st->manifest, "w");
	int bad;

	if (fp == NULL)
		return ls_err_set(err, "%s: %s", st->manifest, strerror(errno));
	bad = json_dumpf(root, fp, JSON_INDENT(2)) < 0 || fputc('\n', fp) == EOF ||
	      fflush(fp) != 0 || fsync(fileno(fp)) < 0;
	if (fclose(fp) != 0 || bad)
		return ls_err_set(err, "cannot write %s", st->manifest);
	return 0;
}

/* Builds the manifest and validates it in memory before it touches the disk. */
static json_t *
build_manifest(const struct bundle_meta *meta, const struct bundle_src *src, const double *w,
               double b, struct ls_err *err)
{
	struct manifest_parts p = {0};
	struct manifest check;
	json_t *root;

	p.kind = src->kind;
	p.version = meta->version;
	p.model_file = src->kind == MANIFEST_STARTER ? NULL : MODEL_FILE;
	p.spec_hash = meta->spec_hash;
	p.spec_version = meta->spec_version;
	p.enc = meta->enc;
	p.weights = w;
	p.bias = b;
	p.calib = meta->calib;
	p.tiers = meta->tiers != NULL
	              ? *meta->tiers
	              : (struct manifest_tiers){MANIFEST_TIER_A, MANIFEST_TIER_B, MANIFEST_TIER_C};
	p.baseline = meta->baseline;
	p.training = meta->training;
	p.metrics = meta->metrics;
	if ((root = manifest_build(&p, err)) == NULL)
		return NULL;
	if (manifest_parse(root, &check, err) < 0) {
		json_decref(root);
		ls_err_prefix(err, "manifest");
		return NULL;
	}
	manifest_clear(&check);
	return root;
}

/* The manifest's "linear" block: given for the starter, collapsed from the saved file for
 * logistic and svm-linear (so it matches what loading computes), none for svm-rbf. */
static int
linear_block(struct staging *st, const struct bundle_meta *meta, const struct bundle_src *src,
             double **w, double *b, struct ls_err *err)
{
	*w = NULL;
	*b = src->bias;
	if (src->kind == MANIFEST_SVM_RBF || src->kind == MANIFEST_STARTER)
		return 0;
	if ((*w = calloc(meta->enc->dim, sizeof(double))) == NULL)
		return ls_err_set(err, "out of memory");
	return mlinear_weights(src->kind, st->model, meta->enc->dim, *w, b, err);
}

/* Loads the staged bundle as the daemon would, then moves it into place durably. */
static int
stage_commit(struct staging *st, struct ls_err *err)
{
	struct model *m = model_load(st->tmp, err);
	char parent[PATH_MAX], *slash;

	if (m == NULL)
		return -1;
	model_free(m);
	if (fsync_path(st->tmp, O_DIRECTORY, err) < 0)
		return -1;
	if (rename(st->tmp, st->dir) < 0)
		return ls_err_set(err, "rename %s to %s: %s", st->tmp, st->dir, strerror(errno));
	snprintf(parent, sizeof(parent), "%s", st->dir);
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	return fsync_path(parent, O_DIRECTORY, err);
}

static int
bundle_write(const char *dir, const struct bundle_meta *meta, const struct bundle_src *src,
             struct ls_err *err)
{
	struct staging st;
	json_t *root = NULL;
	double *w = NULL, b = 0.0;
	int rc = -1;

	if (meta->enc == NULL || meta->version == NULL || meta->spec_hash == NULL)
		return ls_err_set(err, "bundle %s: needs an encoder, a version and a spec hash",
		                  dir);
	if (stage_begin(&st, dir, err) < 0)
		return ls_err_prefix(err, "bundle");
	if (save_model_file(&st, src, err) == 0 && linear_block(&st, meta, src, &w, &b, err) == 0 &&
	    (root = build_manifest(meta, src, src->weights != NULL ? src->weights : w, b, err)) !=
	        NULL &&
	    write_manifest(&st, root, err) == 0)
		rc = stage_commit(&st, err);
	json_decref(root);
	free(w);
	if (rc < 0) {
		stage_abort(&st);
		return ls_err_prefix(err, "bundle %s", dir);
	}
	return 0;
}

int
bundle_write_starter(const char *dir, const struct bundle_meta *meta, const double *weights,
                     double bias, struct ls_err *err)
{
	struct bundle_src src = {MANIFEST_STARTER, NULL, NULL, weights, bias};

	if (weights == NULL)
		return ls_err_set(err, "bundle %s: a starter bundle needs weights", dir);
	return bundle_write(dir, meta, &src, err);
}

int
bundle_write_logistic(const char *dir, const struct bundle_meta *meta, const struct ll_model *lm,
                      struct ls_err *err)
{
	struct bundle_src src = {MANIFEST_LOGISTIC, lm, NULL, NULL, 0.0};

	if (lm == NULL)
		return ls_err_set(err, "bundle %s: no model", dir);
	return bundle_write(dir, meta, &src, err);
}

int
bundle_write_svm(const char *dir, const struct bundle_meta *meta, const struct svm_model *sm,
                 struct ls_err *err)
{
	struct bundle_src src = {MANIFEST_SVM_LINEAR, NULL, sm, NULL, 0.0};

	if (sm == NULL)
		return ls_err_set(err, "bundle %s: no model", dir);
	if (sm->param.kernel_type == RBF)
		src.kind = MANIFEST_SVM_RBF;
	else if (sm->param.kernel_type != LINEAR)
		return ls_err_set(err, "bundle %s: only linear and rbf kernels are supported", dir);
	return bundle_write(dir, meta, &src, err);
}
