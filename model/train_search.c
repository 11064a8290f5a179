/* train_search.c: cross-validation on a small pool of threads: one (grid point, fold) fit per task.
 */
#include "train_search.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "metrics.h"

static uint64_t
hash_group(const char *s, uint64_t seed)
{
	uint64_t h = 1469598103934665603ULL ^ seed; /* FNV-1a, seeded */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return dataset_rand(&h);
}

int
search_assign_folds(const int *label, const char *const *group, size_t n, int k, uint64_t seed,
                    int *fold, struct ls_err *err)
{
	size_t *order, i, npos = 0, c[2] = {0, 0};
	uint64_t st = seed;

	if (k < 2)
		return ls_err_set(err, "cross-validation needs at least 2 folds");
	if (group != NULL) {
		for (i = 0; i < n; i++)
			fold[i] = group[i] != NULL ? (int)(hash_group(group[i], seed) % (uint64_t)k)
			                           : (int)(dataset_rand(&st) % (uint64_t)k);
		return 0;
	}
	if ((order = malloc((n ? n : 1) * sizeof(size_t))) == NULL)
		return ls_err_set(err, "out of memory");
	/* Positives first, then negatives, each shuffled (Fisher-Yates), dealt round robin. */
	for (i = 0; i < n; i++)
		if (label[i])
			order[npos++] = i;
	for (i = 0; i < n; i++)
		if (!label[i])
			order[npos + c[0]++] = i;
	for (i = 0; i < n; i++) {
		size_t end = i < npos ? npos : n; /* shuffle within the row's own class */
		size_t j = i + (size_t)(dataset_rand(&st) % (uint64_t)(end - i)), t;

		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		int cls = i < npos;

		fold[order[i]] = (int)(c[cls]++ % (size_t)k);
	}
	free(order);
	return 0;
}

/* The work shared by the threads of one run. */
struct run {
	const struct tproblem *p;
	const size_t *idx;
	size_t n;
	const int *fold;
	int k;
	const struct tparams *params; /* one per grid point */
	size_t nparams;
	double *auc; /* nparams * k, or NULL */
	double *oof; /* n, or NULL */
	const struct search_opts *o;
	struct search_point *grid; /* for progress; NULL in an oof run */
	pthread_mutex_t lock;
	size_t next, ndone_points;
	int *done; /* folds done per point */
	int failed;
	struct ls_err err;
};

/* Fits point g on every fold but f and scores fold f. */
static int
run_task(struct run *r, size_t g, int f, struct ls_err *err)
{
	size_t i, ntr = 0, nte = 0;
	size_t *tr = malloc((r->n ? r->n : 1) * sizeof(size_t));
	double *dec = malloc((r->n ? r->n : 1) * sizeof(double));
	int *lab = malloc((r->n ? r->n : 1) * sizeof(int));
	struct tmodel m;
	int rc = -1;

	if (tr == NULL || dec == NULL || lab == NULL) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < r->n; i++)
		if (r->fold[i] != f)
			tr[ntr++] = r->idx[i];
	if (tmodel_fit(&m, r->p, tr, ntr, &r->params[g], err) < 0) {
		ls_err_prefix(err, "fold %d", f + 1);
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		if (r->fold[i] != f)
			continue;
		dec[nte] = tmodel_decision(&m, r->p, r->idx[i]);
		lab[nte++] = r->p->label[r->idx[i]];
		if (r->oof != NULL)
			r->oof[i] = dec[nte - 1];
	}
	tmodel_free(&m);
	if (r->auc != NULL) {
		struct ls_err ignored;

		/* A fold without both classes says nothing about ranking: it does not count. */
		if (nte == 0 ||
		    metrics_roc_auc(dec, lab, nte, &r->auc[g * (size_t)r->k + (size_t)f],
		                    &ignored) < 0)
			r->auc[g * (size_t)r->k + (size_t)f] = NAN;
	}
	rc = 0;
out:
	free(tr);
	free(dec);
	free(lab);
	return rc;
}

static void
point_done(struct run *r, size_t g)
{
	struct search_point *pt = &r->grid[g];
	double sum = 0;
	int f, nf = 0;
	char msg[160];

	for (f = 0; f < r->k; f++)
		if (!isnan(r->auc[g * (size_t)r->k + (size_t)f])) {
			sum += r->auc[g * (size_t)r->k + (size_t)f];
			nf++;
		}
	pt->nfolds = nf;
	pt->auc = nf > 0 ? sum / nf : NAN;
	r->ndone_points++;
	if (r->o->progress == NULL)
		return;
	if (r->params[g].kind == MANIFEST_SVM_RBF)
		snprintf(msg, sizeof(msg), "cv %zu/%zu: C=%g gamma=%g: AUC %.4f", r->ndone_points,
		         r->nparams, pt->C, pt->gamma, pt->auc);
	else
		snprintf(msg, sizeof(msg), "cv %zu/%zu: C=%g: AUC %.4f", r->ndone_points,
		         r->nparams, pt->C, pt->auc);
	r->o->progress(r->o->progress_ctx, msg);
}

static void *
worker(void *arg)
{
	struct run *r = arg;
	size_t ntasks = r->nparams * (size_t)r->k;

	for (;;) {
		struct ls_err err;
		size_t t;
		int stop;

		pthread_mutex_lock(&r->lock);
		t = r->next++;
		stop = t >= ntasks || r->failed;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			return NULL;
		if (run_task(r, t / (size_t)r->k, (int)(t % (size_t)r->k), &err) < 0) {
			pthread_mutex_lock(&r->lock);
			if (!r->failed)
				r->err = err;
			r->failed = 1;
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		pthread_mutex_lock(&r->lock);
		if (r->grid != NULL && ++r->done[t / (size_t)r->k] == r->k)
			point_done(r, t / (size_t)r->k);
		pthread_mutex_unlock(&r->lock);
	}
}

static int
run_all(struct run *r, struct ls_err *err)
{
	pthread_t tids[64];
	int i, nt = r->o->threads < 1 ? 1 : r->o->threads > 64 ? 64 : r->o->threads, started = 0;

	if (pthread_mutex_init(&r->lock, NULL) != 0)
		return ls_err_set(err, "cannot create a mutex");
	/* The calling thread works too; the others join it. */
	for (i = 1; i < nt; i++)
		if (pthread_create(&tids[started], NULL, worker, r) == 0)
			started++;
	worker(r);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&r->lock);
	if (r->failed) {
		*err = r->err;
		return -1;
	}
	return 0;
}

static int
count_folds(const int *fold, size_t n, int *k, struct ls_err *err)
{
	size_t i;

	*k = 0;
	for (i = 0; i < n; i++) {
		if (fold[i] < 0)
			return ls_err_set(err, "bad fold number");
		if (fold[i] + 1 > *k)
			*k = fold[i] + 1;
	}
	if (*k < 2)
		return ls_err_set(err, "cross-validation needs rows in at least 2 folds");
	return 0;
}

int
search_grid(const struct tproblem *p, const size_t *idx, size_t n, const int *fold,
            const struct tparams *base, struct search_point *grid, size_t ngrid,
            const struct search_opts *o, struct ls_err *err)
{
	struct run r;
	struct tparams *params;
	size_t g;
	int rc;

	memset(&r, 0, sizeof(r));
	if (count_folds(fold, n, &r.k, err) < 0)
		return -1;
	params = calloc(ngrid ? ngrid : 1, sizeof(*params));
	r.auc = calloc(ngrid * (size_t)r.k + 1, sizeof(double));
	r.done = calloc(ngrid ? ngrid : 1, sizeof(int));
	if (params == NULL || r.auc == NULL || r.done == NULL) {
		free(params);
		free(r.auc);
		free(r.done);
		return ls_err_set(err, "out of memory");
	}
	for (g = 0; g < ngrid; g++) {
		params[g] = *base;
		params[g].C = grid[g].C;
		params[g].gamma = grid[g].gamma;
	}
	r.p = p;
	r.idx = idx;
	r.n = n;
	r.fold = fold;
	r.params = params;
	r.nparams = ngrid;
	r.o = o;
	r.grid = grid;
	rc = run_all(&r, err);
	free(params);
	free(r.auc);
	free(r.done);
	return rc;
}

long
search_best(const struct search_point *grid, size_t ngrid)
{
	long best = -1;
	size_t g;

	for (g = 0; g < ngrid; g++)
		if (!isnan(grid[g].auc) && (best < 0 || grid[g].auc > grid[best].auc))
			best = (long)g;
	return best;
}

int
search_oof(const struct tproblem *p, const size_t *idx, size_t n, const int *fold,
           const struct tparams *par, double *oof, const struct search_opts *o, struct ls_err *err)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	if (count_folds(fold, n, &r.k, err) < 0)
		return -1;
	r.p = p;
	r.idx = idx;
	r.n = n;
	r.fold = fold;
	r.params = par;
	r.nparams = 1;
	r.oof = oof;
	r.o = o;
	return run_all(&r, err);
}
