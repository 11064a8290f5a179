/* model_impl.h: the backend interface between model.c and its backends (internal to model/). */
#ifndef LS_MODEL_IMPL_H
#define LS_MODEL_IMPL_H

/*
 * This header must not include model.h: model_linear.c includes liblinear's <linear.h>,
 * which declares a `struct model` of its own.
 *
 * Every backend scores the positive class, label 1 in the model file: decision values are
 * oriented so that positive favours conversion, whatever order the labels were seen in.
 * A backend object holds scratch buffers, so it serves one thread at a time.
 */

#include <math.h>
#include <stddef.h>
#include <svm.h>

#include "../daemon/err.h"
#include "encoder.h"
#include "manifest.h"

/* Bounds on untrusted model files, checked before the libraries see them. */
#define MODEL_FILE_MAX_BYTES ((size_t)1 << 30)
#define MODEL_SVM_MAX_SV 1000000

/* What a backend is opened from. */
struct backend_args {
	enum manifest_kind kind;
	const char *path; /* the model file; NULL for the starter */
	const struct encoder *enc;
	const double *weights; /* the manifest's "linear" weights (enc->dim), or NULL */
	double bias;
	struct manifest_calib calib; /* platt: applies to the decision value; else the kind's own */
};

struct backend_ops {
	/* Probability of the positive class for an encoded row. */
	double (*prob)(void *impl, const double *x);
	/* eff[i] = the effect of input i of row x against base: log-odds for linear models,
	 * p(x) - p(x with input i at base) for RBF. */
	void (*effects)(void *impl, const struct encoder *enc, const double *x, const double *base,
	                double *eff);
	void (*free)(void *impl);
};

struct backend {
	const struct backend_ops *ops;
	void *impl;
};

/* Starter, logistic (liblinear) and svm-linear (libsvm, collapsed): p = calibrate(w.x + b). */
int mlinear_open(const struct backend_args *a, struct backend *out,
                 struct ls_err *err) LS_MUST_CHECK;
/* The collapsed weights (dim) and bias of a logistic or svm-linear model file. */
int mlinear_weights(enum manifest_kind kind, const char *path, size_t dim, double *w, double *b,
                    struct ls_err *err) LS_MUST_CHECK;

/* svm-rbf: svm_predict_probability (or the manifest's Platt on the decision value). */
int msvm_open(const struct backend_args *a, struct backend *out, struct ls_err *err) LS_MUST_CHECK;

/* Checks a libsvm model file (two classes, one of them labelled 1, the given kernel, feature
 * indices within 1..dim, well formed throughout) and loads it. libsvm trusts its input and
 * switches the process locale while it reads: call from one thread. */
struct svm_model *msvm_load_file(const char *path, size_t dim, int kernel,
                                 struct ls_err *err) LS_MUST_CHECK;
/* Index of label 1 in sm->label (0 or 1), or -1. */
int msvm_positive(const struct svm_model *sm);

/* Reads a whole file of at most max bytes, NUL-terminated; NULL with a reason. */
char *model_read_file(const char *path, size_t max, size_t *len, struct ls_err *err) LS_MUST_CHECK;

/* Splits the next line off *p (in place, without its newline); NULL at the end. */
char *model_next_line(char **p);
/* Splits the next whitespace-separated token off *s (in place); NULL at end of line. */
char *model_next_token(char **s);
/* Whole-token parsers: 0, or -1 for anything else (junk, overflow, non-finite). */
int model_parse_int(const char *tok, long lo, long hi, long *out) LS_MUST_CHECK;
int model_parse_double(const char *tok, double *out) LS_MUST_CHECK;

static inline double
model_platt(double a, double b, double f)
{
	return 1.0 / (1.0 + exp(a * f + b));
}

#endif
