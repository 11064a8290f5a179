/* train_fit.c: rows to liblinear/libsvm nodes, one fit with class weights, oriented decision
 * values. */
#include "train_fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LL_EPS 1e-3 /* liblinear's stopping tolerance (its default is 1e-2) */
#define SVM_EPS 1e-3
#define SVM_CACHE_MB 100 /* per fit: fits may run on several threads */

static void
quiet(const char *s)
{
	(void)s;
}

void
tfit_quiet(void)
{
	set_print_string_function(quiet);
	svm_set_print_string_function(quiet);
}

void
tproblem_free(struct tproblem *p)
{
	free(p->label);
	free(p->ll);
	free(p->sv);
	free(p->nodes);
	memset(p, 0, sizeof(*p));
}

static size_t
count_nonzero(const double *x, size_t dim)
{
	size_t j, nnz = 0;

	for (j = 0; j < dim; j++)
		nnz += x[j] != 0.0;
	return nnz;
}

/* Writes row x's nodes at slot (feature_node and svm_node share one layout, but are written
 * through their own types). */
static size_t
put_row(struct tproblem *p, size_t r, const double *x, size_t at)
{
	size_t j;

	if (p->kind == MANIFEST_LOGISTIC) {
		struct feature_node *nd = (struct feature_node *)p->nodes + at;

		p->ll[r] = nd;
		for (j = 0; j < p->dim; j++)
			if (x[j] != 0.0)
				*nd++ = (struct feature_node){(int)j + 1, x[j]};
		*nd++ = (struct feature_node){(int)p->dim + 1, 1.0};
		*nd++ = (struct feature_node){-1, 0.0};
		return (size_t)(nd - ((struct feature_node *)p->nodes + at));
	}
	{
		struct svm_node *nd = (struct svm_node *)p->nodes + at;

		p->sv[r] = nd;
		for (j = 0; j < p->dim; j++)
			if (x[j] != 0.0)
				*nd++ = (struct svm_node){(int)j + 1, x[j]};
		*nd++ = (struct svm_node){-1, 0.0};
		return (size_t)(nd - ((struct svm_node *)p->nodes + at));
	}
}

int
tproblem_build(struct tproblem *p, enum manifest_kind kind, const struct encoder *enc,
               const struct dataset *ds, const size_t *rows, size_t n, struct ls_err *err)
{
	size_t i, total = 0, at = 0, extra = kind == MANIFEST_LOGISTIC ? 2 : 1;
	size_t node_size =
	    kind == MANIFEST_LOGISTIC ? sizeof(struct feature_node) : sizeof(struct svm_node);
	double *x;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->n = n;
	p->dim = encoder_dim(enc);
	if (p->dim + 1 > 2147483646u)
		return ls_err_set(err, "%zu encoded columns are too many", p->dim);
	if ((x = calloc(p->dim ? p->dim : 1, sizeof(double))) == NULL)
		return ls_err_set(err, "out of memory");
	/* Two passes: count the nodes, then write them into one block. */
	for (i = 0; i < n; i++) {
		struct raw_row r = dataset_row(ds, rows[i]);

		if (encoder_encode(enc, &r, x) < 0) {
			free(x);
			return ls_err_set(err, "row %zu does not match the encoder", rows[i]);
		}
		total += count_nonzero(x, p->dim) + extra;
	}
	p->label = calloc(n ? n : 1, sizeof(int));
	p->nodes = calloc(total ? total : 1, node_size);
	if (kind == MANIFEST_LOGISTIC)
		p->ll = calloc(n ? n : 1, sizeof(*p->ll));
	else
		p->sv = calloc(n ? n : 1, sizeof(*p->sv));
	if (p->label == NULL || p->nodes == NULL || (p->ll == NULL && p->sv == NULL)) {
		free(x);
		tproblem_free(p);
		return ls_err_set(err, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct raw_row r = dataset_row(ds, rows[i]);

		if (encoder_encode(enc, &r, x) < 0) { /* checked above: cannot happen */
			free(x);
			tproblem_free(p);
			return ls_err_set(err, "row %zu does not match the encoder", rows[i]);
		}
		at += put_row(p, i, x, at);
		p->label[i] = ds->labels[rows[i]];
	}
	free(x);
	return 0;
}

static int
fit_linear(struct tmodel *m, const struct tproblem *p, const size_t *idx, size_t n,
           const struct tparams *par, struct ls_err *err)
{
	int wl[2] = {1, -1};
	double w[2] = {par->w_pos, par->w_neg};
	struct parameter prm = {L2R_LR, LL_EPS, par->C, 2, wl, w, 0.1, NULL};
	struct problem prob;
	const char *why;
	size_t i;

	prob.l = (int)n;
	prob.n = (int)p->dim + 1;
	prob.bias = 1.0;
	prob.y = calloc(n ? n : 1, sizeof(double));
	prob.x = calloc(n ? n : 1, sizeof(*prob.x));
	if (prob.y == NULL || prob.x == NULL) {
		free(prob.y);
		free(prob.x);
		return ls_err_set(err, "out of memory");
	}
	for (i = 0; i < n; i++) {
		prob.y[i] = p->label[idx[i]] ? 1.0 : -1.0;
		prob.x[i] = p->ll[idx[i]];
	}
	if ((why = check_parameter(&prob, &prm)) != NULL) {
		free(prob.y);
		free(prob.x);
		return ls_err_set(err, "liblinear: %s", why);
	}
	m->lm = train(&prob, &prm);
	free(prob.y);
	free(prob.x); /* a liblinear model keeps only its weights */
	if (m->lm == NULL)
		return ls_err_set(err, "liblinear could not train (out of memory?)");
	m->lm->param.weight_label = NULL; /* ours, on the stack: the model must not keep them */
	m->lm->param.weight = NULL;
	m->lm->param.nr_weight = 0;
	m->sign = m->lm->label[0] == 1 ? 1.0 : -1.0;
	return 0;
}

static int
fit_svm(struct tmodel *m, const struct tproblem *p, const size_t *idx, size_t n,
        const struct tparams *par, struct ls_err *err)
{
	int wl[2] = {1, -1};
	double w[2] = {par->w_pos, par->w_neg};
	struct svm_parameter prm;
	struct svm_problem prob;
	const char *why;
	size_t i;

	memset(&prm, 0, sizeof(prm));
	prm.svm_type = C_SVC;
	prm.kernel_type = par->kind == MANIFEST_SVM_RBF ? RBF : LINEAR;
	prm.gamma = par->gamma;
	prm.cache_size = SVM_CACHE_MB;
	prm.eps = SVM_EPS;
	prm.C = par->C;
	prm.nr_weight = 2;
	prm.weight_label = wl;
	prm.weight = w;
	prm.shrinking = 1;
	prob.l = (int)n;
	prob.y = calloc(n ? n : 1, sizeof(double));
	prob.x = calloc(n ? n : 1, sizeof(*prob.x));
	if (prob.y == NULL || prob.x == NULL) {
		free(prob.y);
		free(prob.x);
		return ls_err_set(err, "out of memory");
	}
	for (i = 0; i < n; i++) {
		prob.y[i] = p->label[idx[i]] ? 1.0 : -1.0;
		prob.x[i] = p->sv[idx[i]];
	}
	if ((why = svm_check_parameter(&prob, &prm)) != NULL) {
		free(prob.y);
		free(prob.x);
		return ls_err_set(err, "libsvm: %s", why);
	}
	m->sm = svm_train(&prob, &prm);
	/* The model's support vectors point at the rows themselves (p->nodes), not at these
	 * arrays, and it copies the labels and parameters it keeps. */
	free(prob.y);
	free(prob.x);
	if (m->sm == NULL)
		return ls_err_set(err, "libsvm could not train (out of memory?)");
	m->sm->param.weight_label = NULL; /* ours, on the stack: the model must not keep them */
	m->sm->param.weight = NULL;
	m->sm->param.nr_weight = 0;
	m->sign = m->sm->label[0] == 1 ? 1.0 : -1.0;
	return 0;
}

int
tmodel_fit(struct tmodel *m, const struct tproblem *p, const size_t *idx, size_t n,
           const struct tparams *par, struct ls_err *err)
{
	size_t i, pos = 0;

	memset(m, 0, sizeof(*m));
	m->kind = par->kind;
	for (i = 0; i < n; i++)
		pos += p->label[idx[i]] != 0;
	if (pos == 0 || pos == n)
		return ls_err_set(err, "the training rows hold only %s examples",
		                  pos ? "positive" : "negative");
	if (par->kind == MANIFEST_LOGISTIC)
		return fit_linear(m, p, idx, n, par, err);
	return fit_svm(m, p, idx, n, par, err);
}

double
tmodel_decision(const struct tmodel *m, const struct tproblem *p, size_t i)
{
	double dec = 0.0;

	if (m->lm != NULL)
		(void)predict_values(m->lm, p->ll[i], &dec);
	else
		(void)svm_predict_values(m->sm, p->sv[i], &dec);
	return m->sign * dec;
}

void
tmodel_free(struct tmodel *m)
{
	if (m->lm != NULL)
		free_and_destroy_model(&m->lm);
	if (m->sm != NULL)
		svm_free_and_destroy_model(&m->sm);
	memset(m, 0, sizeof(*m));
}
