/* train_search.h: k-fold cross-validation: grid search by AUC, out-of-fold decision values. */
#ifndef LS_TRAIN_SEARCH_H
#define LS_TRAIN_SEARCH_H

#include <stdint.h>

#include "train_fit.h"

/* One grid point and what cross-validation made of it. */
struct search_point {
	double C, gamma;
	double auc; /* mean ROC AUC over the folds that hold both classes; NAN: none did */
	int nfolds; /* folds that counted */
};

struct search_opts {
	int folds;                                    /* k >= 2 */
	int threads;                                  /* fits run at once, >= 1 */
	void (*progress)(void *ctx, const char *msg); /* NULL: silent */
	void *progress_ctx;
};

/* Fold numbers 0..k-1 for n rows. With groups (one string per row; rows of one contact share
 * it), every row of a group falls in the same fold, so no contact is both fitted and judged;
 * otherwise positives and negatives are each dealt out evenly in a seeded random order. */
int search_assign_folds(const int *label, const char *const *group, size_t n, int k, uint64_t seed,
                        int *fold, struct ls_err *err) LS_MUST_CHECK;

/* Cross-validates every grid point (each with base's kind and class weights) over the rows
 * idx[0..n) of p, whose folds are fold[0..n). Fills grid[].auc and nfolds. */
int search_grid(const struct tproblem *p, const size_t *idx, size_t n, const int *fold,
                const struct tparams *base, struct search_point *grid, size_t ngrid,
                const struct search_opts *o, struct ls_err *err) LS_MUST_CHECK;

/* The index of the best point: the highest AUC, the first of equals (grids run from the
 * strongest regularisation); -1 when no point has an AUC. */
long search_best(const struct search_point *grid, size_t ngrid);

/* Out-of-fold decision values at par: oof[i] for row idx[i], from the model fitted on the
 * other folds. Every fold needs both classes among the rows outside it. */
int search_oof(const struct tproblem *p, const size_t *idx, size_t n, const int *fold,
               const struct tparams *par, double *oof, const struct search_opts *o,
               struct ls_err *err) LS_MUST_CHECK;

#endif
