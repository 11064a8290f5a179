/* h_bundle.h: test bundles for the shipped feature spec, with scores a test can predict. */
#ifndef LS_H_BUNDLE_H
#define LS_H_BUNDLE_H

/* A linear (starter-kind) bundle for model/features.json whose score is sigmoid(bias + the
 * weights of the named encoded columns present, e.g. "seniority=director"): ncols pairs in
 * cols/weights (0: every score is sigmoid(bias)). spec_hash NULL: the spec's own; else the
 * bundle claims that hash (a bundle for another spec). With metrics it carries
 * {"auc": auc}. 0, or -1 (printed). */
int h_bundle_write(const char *dir, const char *version, double bias, const char *const *cols,
                   const double *weights, int ncols, const char *spec_hash, double auc);

/* The score 0-100 every row gets from a bundle without column weights. */
int h_bundle_flat_score(double bias);

#endif
