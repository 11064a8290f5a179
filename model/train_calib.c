/* train_calib.c: Platt scaling of decision values, and tier thresholds from score quantiles. */
#include "train_calib.h"

#include <math.h>
#include <stdlib.h>

#include "model_impl.h"

#define PLATT_MAX_ITER 100
#define PLATT_MIN_STEP 1e-10
#define PLATT_SIGMA 1e-12
#define PLATT_EPS 1e-5

/* -log likelihood of the targets t under A, B, written to stay finite for any f. */
static double
platt_loss(const double *f, const double *t, size_t n, double a, double b)
{
	double v = 0.0;
	size_t i;

	for (i = 0; i < n; i++) {
		double z = f[i] * a + b;

		v += z >= 0 ? t[i] * z + log1p(exp(-z)) : (t[i] - 1) * z + log1p(exp(z));
	}
	return v;
}

/* One Newton step with a backtracking line search; 1 when converged or stuck. */
static int
platt_step(const double *f, const double *t, size_t n, double *a, double *b, double *fval)
{
	double h11 = PLATT_SIGMA, h22 = PLATT_SIGMA, h21 = 0, g1 = 0, g2 = 0;
	double det, da, db, gd, step;
	size_t i;

	for (i = 0; i < n; i++) {
		double z = f[i] * *a + *b, p, q;

		if (z >= 0) {
			p = exp(-z) / (1.0 + exp(-z));
			q = 1.0 / (1.0 + exp(-z));
		} else {
			p = 1.0 / (1.0 + exp(z));
			q = exp(z) / (1.0 + exp(z));
		}
		h11 += f[i] * f[i] * p * q;
		h22 += p * q;
		h21 += f[i] * p * q;
		g1 += f[i] * (t[i] - p);
		g2 += t[i] - p;
	}
	if (fabs(g1) < PLATT_EPS && fabs(g2) < PLATT_EPS)
		return 1;
	det = h11 * h22 - h21 * h21;
	da = -(h22 * g1 - h21 * g2) / det;
	db = -(-h21 * g1 + h11 * g2) / det;
	gd = g1 * da + g2 * db;
	for (step = 1.0; step >= PLATT_MIN_STEP; step /= 2) {
		double na = *a + step * da, nb = *b + step * db;
		double nf = platt_loss(f, t, n, na, nb);

		if (nf < *fval + 0.0001 * step * gd) {
			*a = na;
			*b = nb;
			*fval = nf;
			return 0;
		}
	}
	return 1; /* the line search found no decrease: as good as it gets */
}

int
calib_platt(const double *f, const int *label, size_t n, struct manifest_calib *out,
            struct ls_err *err)
{
	double npos = 0, nneg = 0, hi, lo, a, b, fval;
	double *t;
	size_t i;
	int iter;

	for (i = 0; i < n; i++) {
		if (!isfinite(f[i]))
			return ls_err_set(err, "calibration: decision value %zu is not finite", i);
		if (label[i])
			npos++;
		else
			nneg++;
	}
	if (npos == 0 || nneg == 0)
		return ls_err_set(err, "calibration needs both classes");
	if ((t = malloc(n * sizeof(double))) == NULL)
		return ls_err_set(err, "out of memory");
	hi = (npos + 1.0) / (npos + 2.0);
	lo = 1.0 / (nneg + 2.0);
	for (i = 0; i < n; i++)
		t[i] = label[i] ? hi : lo;
	a = 0.0;
	b = log((nneg + 1.0) / (npos + 1.0));
	fval = platt_loss(f, t, n, a, b);
	for (iter = 0; iter < PLATT_MAX_ITER; iter++)
		if (platt_step(f, t, n, &a, &b, &fval))
			break;
	free(t);
	if (!isfinite(a) || !isfinite(b))
		return ls_err_set(err, "calibration did not converge");
	out->platt = 1;
	out->a = a;
	out->b = b;
	return 0;
}

double
calib_prob(const struct manifest_calib *c, double f)
{
	double p = model_platt(c->a, c->b, f);

	if (!(p >= CALIB_P_MIN))
		return CALIB_P_MIN;
	return p > CALIB_P_MAX ? CALIB_P_MAX : p;
}

static int
cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	return (a > b) - (a < b);
}

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
calib_tiers(const double *prob, size_t n, struct manifest_tiers *out)
{
	int *s = malloc((n ? n : 1) * sizeof(int));
	size_t i;

	if (s == NULL || n == 0) {
		free(s);
		*out = (struct manifest_tiers){MANIFEST_TIER_A, MANIFEST_TIER_B, MANIFEST_TIER_C};
		return;
	}
	for (i = 0; i < n; i++)
		s[i] = (int)lround(100 * prob[i]);
	qsort(s, n, sizeof(int), cmp_int);
	/* The score at which the top share begins: tier X is score >= its threshold. */
	out->a = s[(size_t)floor((double)n * (1 - CALIB_SHARE_A))];
	out->b = s[(size_t)floor((double)n * (1 - CALIB_SHARE_A - CALIB_SHARE_B))];
	out->c = s[(size_t)floor((double)n * (1 - CALIB_SHARE_A - CALIB_SHARE_B - CALIB_SHARE_C))];
	free(s);
	out->c = clampi(out->c, 0, 98);
	out->b = clampi(out->b > out->c ? out->b : out->c + 1, 1, 99);
	out->a = clampi(out->a > out->b ? out->a : out->b + 1, 2, 100);
}
