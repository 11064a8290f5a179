/* model_linear.c: the linear backend (starter, liblinear logistic, collapsed libsvm linear). */
/* No model.h here: liblinear's <linear.h> declares its own struct model.
 * liblinear's load_model trusts its file and switches the process locale while reading:
 * files are checked here first, and loaded from one thread. */
#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/* How closely collapsed weights must reproduce the libraries at load. */
#define LOGISTIC_TOLERANCE 1e-9
#define SVM_LINEAR_TOLERANCE 1e-6
#define WEIGHTS_TOLERANCE 1e-9
#define NPROBES 4

struct mlinear {
	double *w;
	double b;
	size_t dim;
	double a, c; /* p = 1 / (1 + exp(a f + c)) */
};

static double
lin_decision(const struct mlinear *l, const double *x)
{
	double f = 0;
	size_t j;

	for (j = 0; j < l->dim; j++)
		f += l->w[j] * x[j];
	return f + l->b;
}

static double
lin_prob(void *impl, const double *x)
{
	const struct mlinear *l = impl;

	return model_platt(l->a, l->c, lin_decision(l, x));
}

static void
lin_effects(void *impl, const struct encoder *enc, const double *x, const double *base, double *eff)
{
	const struct mlinear *l = impl;
	size_t i, j;

	for (i = 0; i < enc->ninputs; i++) {
		const struct encoder_input *in = &enc->inputs[i];

		eff[i] = 0;
		for (j = in->col; j < in->col + in->ncols; j++)
			eff[i] += l->w[j] * (x[j] - base[j]);
	}
}

static void
lin_free(void *impl)
{
	struct mlinear *l = impl;

	if (l == NULL)
		return;
	free(l->w);
	free(l);
}

static const struct backend_ops lin_ops = {lin_prob, lin_effects, lin_free};

/* Deterministic rows, the zero row first, to compare against the libraries at load. */
static void
probe_row(size_t k, double *x, size_t dim)
{
	size_t j;

	for (j = 0; j < dim; j++)
		x[j] = k == 0 ? 0.0 : 1.5 * sin(0.7 * (double)((j + 1) * k));
}

/* ---- liblinear ---- */

static int
ll_solver_ok(const char *name)
{
	/* The solvers liblinear gives probabilities for: logistic regression. */
	return strcmp(name, "L2R_LR") == 0 || strcmp(name, "L1R_LR") == 0 ||
	       strcmp(name, "L2R_LR_DUAL") == 0;
}

struct ll_head {
	int solver, nr_class, label, nr_feature, bias;
	long nfeat;
	double biasv;
};

/* One header line of a liblinear model file; 1 at the "w" line. */
static int
ll_head_line(char *line, struct ll_head *h, size_t dim, struct ls_err *err)
{
	char *key = model_next_token(&line), *v1 = model_next_token(&line), *v2;
	long n, l0, l1;

	if (key == NULL)
		return 0;
	if (strcmp(key, "w") == 0 && v1 == NULL)
		return 1;
	v2 = v1 == NULL ? NULL : model_next_token(&line);
	if (strcmp(key, "solver_type") == 0 && v1 != NULL && v2 == NULL) {
		if (!ll_solver_ok(v1))
			return ls_err_set(err, "solver %s is not logistic regression", v1);
		h->solver = 1;
	} else if (strcmp(key, "nr_class") == 0 && v2 == NULL &&
	           model_parse_int(v1 ? v1 : "", 0, 1000000, &n) == 0) {
		if (n != 2)
			return ls_err_set(err, "%ld classes, not 2", n);
		h->nr_class = 1;
	} else if (strcmp(key, "label") == 0 && h->nr_class && v2 != NULL &&
	           model_next_token(&line) == NULL &&
	           model_parse_int(v1, -2147483647, 2147483647, &l0) == 0 &&
	           model_parse_int(v2, -2147483647, 2147483647, &l1) == 0) {
		if (l0 != 1 && l1 != 1)
			return ls_err_set(err, "labels are %ld and %ld: neither is 1", l0, l1);
		h->label = 1;
	} else if (strcmp(key, "nr_feature") == 0 && v2 == NULL &&
	           model_parse_int(v1 ? v1 : "", 0, 2147483646, &h->nfeat) == 0) {
		if ((size_t)h->nfeat != dim)
			return ls_err_set(err, "%ld features, the inputs encode %zu columns",
			                  h->nfeat, dim);
		h->nr_feature = 1;
	} else if (strcmp(key, "bias") == 0 && v2 == NULL &&
	           model_parse_double(v1 ? v1 : "", &h->biasv) == 0) {
		h->bias = 1;
	} else {
		return ls_err_set(err, "not a liblinear model: unexpected header line \"%s\"", key);
	}
	return 0;
}

/* liblinear trusts its file (a short weight list or a huge nr_feature crashes it), so the
 * whole file is checked first. */
static int
ll_check_text(char *text, size_t dim, struct ls_err *err)
{
	struct ll_head h = {0};
	char *p = text, *line, *tok;
	size_t nw = 0, want;
	double v;
	int rc = 0;

	while (rc == 0 && (line = model_next_line(&p)) != NULL)
		if ((rc = ll_head_line(line, &h, dim, err)) < 0)
			return -1;
	if (rc != 1)
		return ls_err_set(err, "not a liblinear model: no weights");
	if (!h.solver || !h.nr_class || !h.label || !h.nr_feature || !h.bias)
		return ls_err_set(err, "not a liblinear model: header incomplete");
	while ((line = model_next_line(&p)) != NULL) {
		while ((tok = model_next_token(&line)) != NULL) {
			if (model_parse_double(tok, &v) < 0)
				return ls_err_set(err, "weight %zu is not a finite number", nw);
			nw++;
		}
	}
	want = (size_t)h.nfeat + (h.biasv >= 0 ? 1 : 0);
	if (nw != want)
		return ls_err_set(err, "%zu weights, expected %zu", nw, want);
	return 0;
}

static int
ll_verify(const struct model *lm, const double *w, double b, size_t dim, double *x,
          struct ls_err *err)
{
	struct feature_node *nodes = calloc(dim + 2, sizeof(*nodes));
	struct mlinear l = {(double *)w, b, dim, -1.0, 0.0};
	double pe[2], ours, theirs;
	size_t j, k;

	if (nodes == NULL)
		return ls_err_set(err, "out of memory");
	for (k = 0; k < NPROBES; k++) {
		probe_row(k, x, dim);
		for (j = 0; j < dim; j++) {
			nodes[j].index = (int)(j + 1);
			nodes[j].value = x[j];
		}
		nodes[dim].index = lm->bias >= 0 ? (int)(dim + 1) : -1;
		nodes[dim].value = lm->bias;
		nodes[dim + 1].index = -1;
		predict_probability(lm, nodes, pe);
		theirs = lm->label[0] == 1 ? pe[0] : pe[1];
		ours = lin_prob(&l, x);
		if (!(fabs(ours - theirs) <= LOGISTIC_TOLERANCE)) {
			free(nodes);
			return ls_err_set(err,
			                  "weights do not reproduce liblinear (%.12g vs %.12g)",
			                  ours, theirs);
		}
	}
	free(nodes);
	return 0;
}

/* Reads w (dim) and b of a liblinear logistic model, oriented towards label 1. */
static int
ll_weights(const char *path, size_t dim, double *w, double *b, struct ls_err *err)
{
	struct model *lm;
	double sign, *x;
	size_t len, j;
	char *text;
	int rc;

	if ((text = model_read_file(path, MODEL_FILE_MAX_BYTES, &len, err)) == NULL)
		return -1;
	rc = ll_check_text(text, dim, err);
	free(text);
	if (rc < 0)
		return -1;
	if ((lm = load_model(path)) == NULL)
		return ls_err_set(err, "liblinear could not read the model file");
	if (lm->nr_class != 2 || lm->label == NULL || lm->nr_feature != (int)dim ||
	    !check_probability_model(lm)) {
		free_and_destroy_model(&lm);
		return ls_err_set(err, "liblinear read an unexpected model");
	}
	sign = lm->label[0] == 1 ? 1.0 : -1.0;
	for (j = 0; j < dim; j++)
		w[j] = sign * lm->w[j];
	*b = lm->bias >= 0 ? sign * lm->w[dim] * lm->bias : 0.0;
	if ((x = calloc(dim, sizeof(double))) == NULL)
		rc = ls_err_set(err, "out of memory");
	else
		rc = ll_verify(lm, w, *b, dim, x, err);
	free(x);
	free_and_destroy_model(&lm);
	return rc;
}

/* ---- libsvm, linear kernel: collapsed into one weight vector ---- */

static int
sv_verify(const struct svm_model *sm, const double *w, double b, size_t dim, double *x,
          struct ls_err *err)
{
	struct svm_node *nodes = calloc(dim + 1, sizeof(*nodes));
	struct mlinear l = {(double *)w, b, dim, -1.0, 0.0};
	double d, f;
	size_t j, k, n;

	if (nodes == NULL)
		return ls_err_set(err, "out of memory");
	for (k = 0; k < NPROBES; k++) {
		probe_row(k, x, dim);
		for (j = 0, n = 0; j < dim; j++)
			if (x[j] != 0) {
				nodes[n].index = (int)(j + 1);
				nodes[n++].value = x[j];
			}
		nodes[n].index = -1;
		svm_predict_values(sm, nodes, &d);
		d = msvm_positive(sm) == 0 ? d : -d;
		f = lin_decision(&l, x);
		if (!(fabs(f - d) <= SVM_LINEAR_TOLERANCE * (1 + fabs(d)))) {
			free(nodes);
			return ls_err_set(err,
			                  "collapsed weights do not reproduce libsvm (%.12g vs "
			                  "%.12g)",
			                  f, d);
		}
	}
	free(nodes);
	return 0;
}

static int
sv_collapse(const struct svm_model *sm, size_t dim, double *w, double *b, struct ls_err *err)
{
	double sign = msvm_positive(sm) == 0 ? 1.0 : -1.0, *x;
	const struct svm_node *n;
	int i, rc;

	memset(w, 0, dim * sizeof(double));
	for (i = 0; i < sm->l; i++)
		for (n = sm->SV[i]; n->index != -1; n++)
			w[n->index - 1] += sm->sv_coef[0][i] * n->value;
	for (i = 0; i < (int)dim; i++)
		w[i] *= sign;
	*b = -sign * sm->rho[0];
	if ((x = calloc(dim, sizeof(double))) == NULL)
		return ls_err_set(err, "out of memory");
	rc = sv_verify(sm, w, *b, dim, x, err);
	free(x);
	return rc;
}

/* Collapses a linear libsvm model; own gets libsvm's Platt pair when the file has one. */
static int
sv_weights(const char *path, size_t dim, double *w, double *b, struct manifest_calib *own,
           struct ls_err *err)
{
	struct svm_model *sm = msvm_load_file(path, dim, LINEAR, err);
	int rc;

	if (sm == NULL)
		return -1;
	rc = sv_collapse(sm, dim, w, b, err);
	memset(own, 0, sizeof(*own));
	if (rc == 0 && sm->probA != NULL && sm->probB != NULL) {
		/* libsvm's pair is for its first label; for label 1 in second place, the
		 * decision value was negated, so B changes sign with it. */
		own->platt = 1;
		own->a = sm->probA[0];
		own->b = msvm_positive(sm) == 0 ? sm->probB[0] : -sm->probB[0];
	}
	svm_free_and_destroy_model(&sm);
	return rc;
}

int
mlinear_weights(enum manifest_kind kind, const char *path, size_t dim, double *w, double *b,
                struct ls_err *err)
{
	struct manifest_calib own;

	if (kind == MANIFEST_LOGISTIC)
		return ll_weights(path, dim, w, b, err);
	if (kind == MANIFEST_SVM_LINEAR)
		return sv_weights(path, dim, w, b, &own, err);
	return ls_err_set(err, "%s models have no model file to collapse",
	                  manifest_kind_name(kind));
}

static int
check_manifest_weights(const struct backend_args *a, const struct mlinear *l, struct ls_err *err)
{
	size_t j;

	if (a->weights == NULL)
		return 0;
	for (j = 0; j < l->dim; j++)
		if (!(fabs(a->weights[j] - l->w[j]) <= WEIGHTS_TOLERANCE * (1 + fabs(l->w[j]))))
			return ls_err_set(err,
			                  "linear.weights[%zu] (%.12g) disagrees with the model "
			                  "file (%.12g)",
			                  j, a->weights[j], l->w[j]);
	if (!(fabs(a->bias - l->b) <= WEIGHTS_TOLERANCE * (1 + fabs(l->b))))
		return ls_err_set(err, "linear.bias (%.12g) disagrees with the model file (%.12g)",
		                  a->bias, l->b);
	return 0;
}

static int
lin_load(const struct backend_args *a, struct mlinear *l, struct ls_err *err)
{
	struct manifest_calib own = {1, -1.0, 0.0}; /* the logistic sigmoid */

	switch (a->kind) {
	case MANIFEST_STARTER:
		if (a->weights == NULL)
			return ls_err_set(err, "starter model without weights");
		memcpy(l->w, a->weights, l->dim * sizeof(double));
		l->b = a->bias;
		break;
	case MANIFEST_LOGISTIC:
		if (ll_weights(a->path, l->dim, l->w, &l->b, err) < 0)
			return -1;
		break;
	case MANIFEST_SVM_LINEAR:
		if (sv_weights(a->path, l->dim, l->w, &l->b, &own, err) < 0)
			return -1;
		if (!own.platt && !a->calib.platt)
			return ls_err_set(err, "svm-linear model has no probability information "
			                       "(train with probability estimates) and the "
			                       "manifest no Platt calibration");
		break;
	default:
		return ls_err_set(err, "%s is not a linear kind", manifest_kind_name(a->kind));
	}
	if (a->kind != MANIFEST_STARTER && check_manifest_weights(a, l, err) < 0)
		return -1;
	if (a->calib.platt)
		own = a->calib;
	l->a = own.a;
	l->c = own.b;
	return 0;
}

int
mlinear_open(const struct backend_args *a, struct backend *out, struct ls_err *err)
{
	struct mlinear *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->w = calloc(a->enc->dim, sizeof(double))) == NULL) {
		free(l);
		return ls_err_set(err, "out of memory");
	}
	l->dim = a->enc->dim;
	if (lin_load(a, l, err) < 0) {
		lin_free(l);
		return -1;
	}
	out->ops = &lin_ops;
	out->impl = l;
	return 0;
}
