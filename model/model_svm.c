/* model_svm.c: the libsvm RBF backend, and checked loading of libsvm model files. */
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/*
 * libsvm's traps, and how this file meets them:
 * - svm_set_print_string_function is process-wide: loading silences it (the only text
 *   scoring can print is a convergence note for more than two classes; a trainer that wants
 *   libsvm's training output routes it to its logger just before svm_train);
 * - svm_load_model switches setlocale for the whole process while it reads: models are
 *   loaded from one thread, never while another thread formats numbers;
 * - svm_load_model trusts its file: a short or malformed support vector list crashes it,
 *   so the whole file is checked here first.
 * A loaded RBF model keeps node and distance scratch buffers: one model object serves one
 * thread at a time.
 */

struct msvm {
	struct svm_model *sm;
	size_t dim;
	int pos; /* index of label 1 in sm->label */
	struct manifest_calib calib;
	/* The support vectors dense and by column (svt[j * nsv + i]: column j of vector i): a
	 * row's squared distance to each (dist, nsv) is summed once, for its score and its
	 * reasons, and each input's effect changes only its own columns (into moved, nsv).
	 * dist holds the distances of the row dist_x (dim), and p its probability, if dist_set. */
	double *svt, *dist, *moved, *dist_x, p;
	size_t nsv;
	int dist_set;
};

static const char *const svm_types[] = {"c_svc", "nu_svc", "one_class", "epsilon_svr", "nu_svr"};
static const char *const kernels[] = {"linear", "polynomial", "rbf", "sigmoid", "precomputed"};

static void
quiet(const char *s)
{
	(void)s;
}

int
msvm_positive(const struct svm_model *sm)
{
	if (sm->nr_class != 2 || sm->label == NULL)
		return -1;
	if (sm->label[0] == 1)
		return 0;
	return sm->label[1] == 1 ? 1 : -1;
}

/* ---- checking a model file before libsvm reads it ---- */

struct sv_head {
	int type, kernel, nr_class, total, rho, label, nr_sv, gamma;
	long nsv;
};

static int
table_index(const char *tok, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; tok != NULL && i < n; i++)
		if (strcmp(tok, names[i]) == 0)
			return (int)i;
	return -1;
}

/* Exactly n numbers (ints when lo < hi) left on the line. */
static int
take_numbers(char *line, size_t n, long lo, long hi, long *ints)
{
	char *tok;
	double d;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((tok = model_next_token(&line)) == NULL)
			return -1;
		if (lo < hi ? model_parse_int(tok, lo, hi, &ints[i]) : model_parse_double(tok, &d))
			return -1;
	}
	return model_next_token(&line) == NULL ? 0 : -1;
}

static int
sv_value_line(const char *key, char *line, struct sv_head *h, struct ls_err *err)
{
	long v[2];

	if (strcmp(key, "nr_class") == 0 && take_numbers(line, 1, 0, 1000000, v) == 0) {
		if (v[0] != 2)
			return ls_err_set(err, "%ld classes, not 2", v[0]);
		h->nr_class = 1;
	} else if (strcmp(key, "total_sv") == 0 &&
	           take_numbers(line, 1, 0, 2147483647, &h->nsv) == 0) {
		if (h->nsv < 1 || h->nsv > MODEL_SVM_MAX_SV)
			return ls_err_set(err, "%ld support vectors (1 to %d allowed)", h->nsv,
			                  MODEL_SVM_MAX_SV);
		h->total = 1;
	} else if (strcmp(key, "label") == 0 && h->nr_class &&
	           take_numbers(line, 2, -2147483647, 2147483647, v) == 0) {
		if (v[0] != 1 && v[1] != 1)
			return ls_err_set(err, "labels are %ld and %ld: neither is 1", v[0], v[1]);
		h->label = 1;
	} else if (strcmp(key, "nr_sv") == 0 && h->nr_class && h->total &&
	           take_numbers(line, 2, 0, 2147483647, v) == 0) {
		if (v[0] + v[1] != h->nsv)
			return ls_err_set(err, "nr_sv does not add up to total_sv");
		h->nr_sv = 1;
	} else if ((strcmp(key, "rho") == 0 || strcmp(key, "probA") == 0 ||
	            strcmp(key, "probB") == 0) &&
	           h->nr_class && take_numbers(line, 1, 0, 0, v) == 0) {
		h->rho |= key[0] == 'r';
	} else if (strcmp(key, "degree") == 0 && take_numbers(line, 1, -1000, 1000, v) == 0) {
		/* written by libsvm for every kernel, used by the polynomial one only */
	} else if ((strcmp(key, "gamma") == 0 || strcmp(key, "coef0") == 0) &&
	           take_numbers(line, 1, 0, 0, v) == 0) {
		h->gamma |= key[0] == 'g';
	} else {
		return ls_err_set(err, "not a libsvm model: unexpected header line \"%s\"", key);
	}
	return 0;
}

/* One header line; 1 at the "SV" line. */
static int
sv_head_line(char *line, struct sv_head *h, int kernel, struct ls_err *err)
{
	char *key = model_next_token(&line), *v;
	int i;

	if (key == NULL)
		return 0;
	if (strcmp(key, "SV") == 0 && model_next_token(&line) == NULL)
		return 1;
	if (strcmp(key, "svm_type") == 0 || strcmp(key, "kernel_type") == 0) {
		int is_type = key[0] == 's';

		v = model_next_token(&line);
		if (v == NULL || model_next_token(&line) != NULL)
			return ls_err_set(err, "not a libsvm model: bad %s line", key);
		i = is_type ? table_index(v, svm_types, 5) : table_index(v, kernels, 5);
		if (is_type && i != C_SVC && i != NU_SVC)
			return ls_err_set(err, "svm_type %s is not a classifier", v);
		if (!is_type && i != kernel)
			return ls_err_set(err, "kernel %s, expected %s", v, kernels[kernel]);
		*(is_type ? &h->type : &h->kernel) = 1;
		return 0;
	}
	return sv_value_line(key, line, h, err) < 0 ? -1 : 0;
}

/* One support vector: a coefficient, then index:value pairs, indices rising within 1..dim. */
static int
sv_vector_line(char *line, size_t dim)
{
	char *tok = model_next_token(&line), *colon;
	long idx, last = 0;
	double d;

	if (tok == NULL || model_parse_double(tok, &d) < 0)
		return -1;
	while ((tok = model_next_token(&line)) != NULL) {
		if ((colon = strchr(tok, ':')) == NULL)
			return -1;
		*colon = '\0';
		if (model_parse_int(tok, 1, (long)dim, &idx) < 0 || idx <= last ||
		    model_parse_double(colon + 1, &d) < 0)
			return -1;
		last = idx;
	}
	return 0;
}

static int
sv_check_text(char *text, size_t dim, int kernel, struct ls_err *err)
{
	struct sv_head h = {0};
	char *p = text, *line;
	long n = 0;
	int rc = 0;

	while (rc == 0 && (line = model_next_line(&p)) != NULL)
		if ((rc = sv_head_line(line, &h, kernel, err)) < 0)
			return -1;
	if (rc != 1)
		return ls_err_set(err, "not a libsvm model: no support vectors");
	if (!h.type || !h.kernel || !h.nr_class || !h.total || !h.rho || !h.label || !h.nr_sv ||
	    (kernel == RBF && !h.gamma))
		return ls_err_set(err, "not a libsvm model: header incomplete");
	while ((line = model_next_line(&p)) != NULL) {
		if (n < h.nsv && sv_vector_line(line, dim) < 0)
			return ls_err_set(err,
			                  "support vector %ld is malformed (or has a feature "
			                  "outside 1..%zu)",
			                  n + 1, dim);
		if (n >= h.nsv && model_next_token(&line) != NULL)
			return ls_err_set(err, "text after the last support vector");
		n++;
	}
	if (n < h.nsv)
		return ls_err_set(err, "%ld support vectors, total_sv says %ld", n, h.nsv);
	return 0;
}

struct svm_model *
msvm_load_file(const char *path, size_t dim, int kernel, struct ls_err *err)
{
	struct svm_model *sm;
	size_t len;
	char *text;
	int rc;

	if ((text = model_read_file(path, MODEL_FILE_MAX_BYTES, &len, err)) == NULL)
		return NULL;
	rc = sv_check_text(text, dim, kernel, err);
	free(text);
	if (rc < 0)
		return NULL;
	svm_set_print_string_function(quiet);
	if ((sm = svm_load_model(path)) == NULL) {
		ls_err_set(err, "libsvm could not read the model file");
		return NULL;
	}
	if ((svm_get_svm_type(sm) != C_SVC && svm_get_svm_type(sm) != NU_SVC) ||
	    sm->param.kernel_type != kernel || msvm_positive(sm) < 0) {
		svm_free_and_destroy_model(&sm);
		ls_err_set(err, "libsvm read an unexpected model");
		return NULL;
	}
	return sm;
}

/* ---- the RBF backend ---- */

/* The probability of label 1 for a decision value: the manifest's Platt, or libsvm's
 * two-class estimate (its sigmoid, kept within 1e-7 of 0 and 1). */
static double
rbf_prob_of(const struct msvm *s, double d)
{
	double f, p;

	if (s->calib.platt)
		return model_platt(s->calib.a, s->calib.b, s->pos == 0 ? d : -d);
	f = d * s->sm->probA[0] + s->sm->probB[0];
	p = f >= 0 ? exp(-f) / (1.0 + exp(-f)) : 1.0 / (1 + exp(f));
	p = fmin(fmax(p, 1e-7), 1 - 1e-7);
	return s->pos == 0 ? p : 1 - p;
}

/*
 * The decision value with the columns [col, col + n) of x set to b's (n 0: x itself), from
 * the squared distances of x to the support vectors (s->dist). A column where b and x agree
 * adds an exact zero to each distance and is skipped.
 */
static double
rbf_decision(struct msvm *s, const double *x, const double *b, size_t col, size_t n)
{
	const double gamma = s->sm->param.gamma, *coef = s->sm->sv_coef[0], *d = s->dist;
	double sum = 0;

	if (n > 0) {
		memcpy(s->moved, s->dist, s->nsv * sizeof(*s->moved));
		for (size_t j = col; j < col + n; j++) {
			const double *v = s->svt + j * s->nsv;

			if (b[j] == x[j])
				continue;
			for (size_t i = 0; i < s->nsv; i++)
				s->moved[i] +=
				    (b[j] - v[i]) * (b[j] - v[i]) - (x[j] - v[i]) * (x[j] - v[i]);
		}
		d = s->moved;
	}
	for (size_t i = 0; i < s->nsv; i++)
		sum += coef[i] * exp(-gamma * (d[i] > 0 ? d[i] : 0));
	return sum - s->sm->rho[0];
}

/*
 * The squared distance of x to each support vector, into s->dist, summed in column order
 * as libsvm's kernel sums it (the columns where both are 0 add exact zeros), so the decision
 * value is libsvm's to the bit, and x's probability, into s->p. Skipped when s->dist already
 * holds x's: model_score asks for a row's probability and then for its reasons.
 */
static void
rbf_row(struct msvm *s, const double *x)
{
	if (s->dist_set && memcmp(s->dist_x, x, s->dim * sizeof(*x)) == 0)
		return;
	memset(s->dist, 0, s->nsv * sizeof(*s->dist));
	for (size_t j = 0; j < s->dim; j++) {
		const double *v = s->svt + j * s->nsv;

		for (size_t i = 0; i < s->nsv; i++)
			s->dist[i] += (x[j] - v[i]) * (x[j] - v[i]);
	}
	memcpy(s->dist_x, x, s->dim * sizeof(*x));
	s->dist_set = 1;
	s->p = rbf_prob_of(s, rbf_decision(s, x, x, 0, 0));
}

static double
rbf_prob(void *impl, const double *x)
{
	struct msvm *s = impl;

	rbf_row(s, x);
	return s->p;
}

/* Each input's effect: the probability less the one with that input at its baseline. An
 * input adds what changes in its own columns to the row's distances, instead of costing a
 * whole prediction. */
static void
rbf_effects(void *impl, const struct encoder *enc, const double *x, const double *base, double *eff)
{
	struct msvm *s = impl;

	rbf_row(s, x);
	for (size_t k = 0; k < enc->ninputs; k++) {
		const struct encoder_input *in = &enc->inputs[k];
		int same = 1;

		for (size_t j = in->col; j < in->col + in->ncols; j++)
			same &= x[j] == base[j];
		eff[k] = same ? 0.0
		              : s->p - rbf_prob_of(s, rbf_decision(s, x, base, in->col, in->ncols));
	}
}

/* The support vectors by column (libsvm keeps them sparse, by vector). */
static int
rbf_dense(struct msvm *s)
{
	s->nsv = (size_t)s->sm->l;
	s->svt = calloc(s->nsv * s->dim, sizeof(double));
	s->dist = calloc(s->nsv, sizeof(double));
	s->moved = calloc(s->nsv, sizeof(double));
	s->dist_x = calloc(s->dim, sizeof(double));
	if (s->svt == NULL || s->dist == NULL || s->moved == NULL || s->dist_x == NULL)
		return -1;
	for (size_t i = 0; i < s->nsv; i++)
		for (const struct svm_node *n = s->sm->SV[i]; n->index != -1; n++)
			s->svt[(size_t)(n->index - 1) * s->nsv + i] = n->value;
	return 0;
}

static void
rbf_free(void *impl)
{
	struct msvm *s = impl;

	if (s == NULL)
		return;
	svm_free_and_destroy_model(&s->sm);
	free(s->svt);
	free(s->dist);
	free(s->moved);
	free(s->dist_x);
	free(s);
}

static const struct backend_ops rbf_ops = {rbf_prob, rbf_effects, rbf_free};

int
msvm_open(const struct backend_args *a, struct backend *out, struct ls_err *err)
{
	struct msvm *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return ls_err_set(err, "out of memory");
	s->dim = a->enc->dim;
	s->calib = a->calib;
	if ((s->sm = msvm_load_file(a->path, s->dim, RBF, err)) == NULL) {
		rbf_free(s);
		return -1;
	}
	s->pos = msvm_positive(s->sm);
	if (!s->calib.platt && !svm_check_probability_model(s->sm)) {
		rbf_free(s);
		return ls_err_set(err, "svm-rbf model has no probability information (train with "
		                       "probability estimates) and the manifest no Platt "
		                       "calibration");
	}
	if (rbf_dense(s) < 0) {
		rbf_free(s);
		return ls_err_set(err, "out of memory");
	}
	out->ops = &rbf_ops;
	out->impl = s;
	return 0;
}
