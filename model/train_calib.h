/* train_calib.h: calibrating decision values into probabilities, and tiers from score quantiles. */
#ifndef LS_TRAIN_CALIB_H
#define LS_TRAIN_CALIB_H

#include <stddef.h>

#include "../daemon/err.h"
#include "manifest.h"

/* Probabilities are kept this far from 0 and 1 (as the model interface clamps them). */
#define CALIB_P_MIN 1e-6
#define CALIB_P_MAX (1 - 1e-6)

/*
 * Platt scaling by Lin, Lin and Weng's Newton method (libsvm's sigmoid_train): fits
 * p = 1 / (1 + exp(A f + B)) to n (decision value, label) pairs, with the targets
 * (N+ + 1) / (N+ + 2) and 1 / (N- + 2) in place of 1 and 0, which already keeps the fit off
 * 0 and 1. Needs both classes. 0 with out->platt = 1, or -1 with a reason.
 */
int calib_platt(const double *f, const int *label, size_t n, struct manifest_calib *out,
                struct ls_err *err) LS_MUST_CHECK;

/* The calibrated probability of decision value f, clamped to [CALIB_P_MIN, CALIB_P_MAX]. */
double calib_prob(const struct manifest_calib *c, double f);

/* Tier shares: A is the top tenth of scores, B the next fifth, C the next three tenths. */
#define CALIB_SHARE_A 0.10
#define CALIB_SHARE_B 0.20
#define CALIB_SHARE_C 0.30

/* Tier thresholds from the quantiles of n probabilities (scores are round(100 p)): the
 * lowest scores of A, B and C, nudged apart where ties make them meet, so that
 * 100 >= A > B > C >= 0 always holds. n >= 1. */
void calib_tiers(const double *prob, size_t n, struct manifest_tiers *out);

#endif
