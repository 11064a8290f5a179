/* train_fit.h: encoded rows as liblinear and libsvm take them; fitting one model; decision values.
 */
#ifndef LS_TRAIN_FIT_H
#define LS_TRAIN_FIT_H

#include "bundle.h" /* liblinear as struct ll_model, libsvm */
#include "dataset.h"
#include "encoder.h"
#include "manifest.h"

/* What one fit is asked for. */
struct tparams {
	enum manifest_kind kind; /* logistic, svm-linear or svm-rbf */
	double C;
	double gamma;        /* svm-rbf */
	double w_pos, w_neg; /* class weights (1, 1: none) */
};

/* Encoded rows, sparse and 1-based. Logistic rows end with liblinear's bias node at index
 * dim + 1 (value 1); SVM rows have none. A libsvm model points into these rows: free the
 * problem only after the models fitted on it. */
struct tproblem {
	enum manifest_kind kind;
	size_t n, dim;
	int *label;               /* n: 0 or 1 */
	struct feature_node **ll; /* logistic: n row starts */
	struct svm_node **sv;     /* SVM kinds: n row starts */
	void *nodes;              /* every row's nodes, in one block */
};

/* Encodes rows[0..n) of ds with enc. 0, or -1 with a reason. */
int tproblem_build(struct tproblem *p, enum manifest_kind kind, const struct encoder *enc,
                   const struct dataset *ds, const size_t *rows, size_t n,
                   struct ls_err *err) LS_MUST_CHECK;
void tproblem_free(struct tproblem *p);

struct tmodel {
	enum manifest_kind kind;
	struct ll_model *lm;
	struct svm_model *sm;
	double sign; /* +1 or -1: orients decision values so that positive favours label 1 */
};

/* Fits on the problem's rows idx[0..n) (both classes needed). Safe to run on several threads
 * at once. 0, or -1 with a reason. */
int tmodel_fit(struct tmodel *m, const struct tproblem *p, const size_t *idx, size_t n,
               const struct tparams *par, struct ls_err *err) LS_MUST_CHECK;

/* The oriented decision value of row i of p (positive: leaning to conversion). */
double tmodel_decision(const struct tmodel *m, const struct tproblem *p, size_t i);

void tmodel_free(struct tmodel *m);

/* Silences liblinear's and libsvm's training chatter (process-wide; call once, early). */
void tfit_quiet(void);

#endif
