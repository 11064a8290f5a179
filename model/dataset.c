/* dataset.c: training rows with interned strings, and the tail, random and time splits. */
#include "dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Interned strings: categorical levels and contact ids repeat across many rows. */
struct strpool {
	char **slots; /* open addressing, NULL: empty */
	size_t cap, n;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int
pool_grow(struct strpool *p)
{
	size_t cap = p->cap ? p->cap * 2 : 256, i;
	char **slots = calloc(cap, sizeof(char *));

	if (slots == NULL)
		return -1;
	for (i = 0; i < p->cap; i++) {
		size_t j;

		if (p->slots[i] == NULL)
			continue;
		for (j = hash_str(p->slots[i]) & (cap - 1); slots[j] != NULL;
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = slots;
	p->cap = cap;
	return 0;
}

const char *
dataset_intern(struct dataset *ds, const char *s)
{
	struct strpool *p = ds->pool;
	size_t j, len;

	if (2 * (p->n + 1) > p->cap && pool_grow(p) < 0)
		return NULL;
	for (j = hash_str(s) & (p->cap - 1); p->slots[j] != NULL; j = (j + 1) & (p->cap - 1))
		if (strcmp(p->slots[j], s) == 0)
			return p->slots[j];
	len = strlen(s) + 1;
	if ((p->slots[j] = malloc(len)) == NULL)
		return NULL;
	memcpy(p->slots[j], s, len);
	p->n++;
	return p->slots[j];
}

int
dataset_init(struct dataset *ds, const struct encoder_field *fields, size_t nfields,
             struct ls_err *err)
{
	size_t i;

	memset(ds, 0, sizeof(*ds));
	ds->pool = calloc(1, sizeof(*ds->pool));
	ds->fields = calloc(nfields ? nfields : 1, sizeof(*ds->fields));
	if (ds->pool == NULL || ds->fields == NULL) {
		dataset_free(ds);
		return ls_err_set(err, "out of memory");
	}
	for (i = 0; i < nfields; i++) {
		ds->fields[i] = fields[i];
		if ((ds->fields[i].name = dataset_intern(ds, fields[i].name)) == NULL) {
			dataset_free(ds);
			return ls_err_set(err, "out of memory");
		}
	}
	ds->nfields = nfields;
	return 0;
}

void
dataset_free(struct dataset *ds)
{
	size_t i;

	if (ds->pool != NULL) {
		for (i = 0; i < ds->pool->cap; i++)
			free(ds->pool->slots[i]);
		free(ds->pool->slots);
		free(ds->pool);
	}
	free(ds->fields);
	free(ds->values);
	free(ds->labels);
	free(ds->times);
	free(ds->groups);
	memset(ds, 0, sizeof(*ds));
}

static int
grow(struct dataset *ds)
{
	size_t cap = ds->cap ? ds->cap * 2 : 1024, nf = ds->nfields ? ds->nfields : 1;
	struct raw_value *values = realloc(ds->values, cap * nf * sizeof(*values));
	int *labels;
	int64_t *times;
	const char **groups;

	if (values == NULL)
		return -1;
	ds->values = values;
	if ((labels = realloc(ds->labels, cap * sizeof(*labels))) == NULL)
		return -1;
	ds->labels = labels;
	if ((times = realloc(ds->times, cap * sizeof(*times))) == NULL)
		return -1;
	ds->times = times;
	if ((groups = realloc(ds->groups, cap * sizeof(*groups))) == NULL)
		return -1;
	ds->groups = groups;
	ds->cap = cap;
	return 0;
}

struct raw_value *
dataset_add(struct dataset *ds, int label, int64_t time, const char *group)
{
	struct raw_value *v;
	size_t i;

	if (ds->nrows == ds->cap && grow(ds) < 0)
		return NULL;
	if (group != NULL && (group = dataset_intern(ds, group)) == NULL)
		return NULL;
	v = &ds->values[ds->nrows * ds->nfields];
	for (i = 0; i < ds->nfields; i++)
		v[i] = (struct raw_value){1, 0.0, NULL};
	ds->labels[ds->nrows] = label ? 1 : 0;
	ds->times[ds->nrows] = time;
	ds->groups[ds->nrows] = group;
	ds->nrows++;
	return v;
}

struct raw_row
dataset_row(const struct dataset *ds, size_t i)
{
	struct raw_row r = {&ds->values[i * ds->nfields], ds->nfields};

	return r;
}

uint64_t
dataset_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- splits ---- */

void
split_free(struct split *sp)
{
	free(sp->train);
	free(sp->test);
	memset(sp, 0, sizeof(*sp));
}

static int
split_alloc(struct split *sp, size_t n, const char *method, struct ls_err *err)
{
	memset(sp, 0, sizeof(*sp));
	sp->method = method;
	sp->train = calloc(n ? n : 1, sizeof(size_t));
	sp->test = calloc(n ? n : 1, sizeof(size_t));
	if (sp->train == NULL || sp->test == NULL) {
		split_free(sp);
		return ls_err_set(err, "out of memory");
	}
	return 0;
}

static int
split_check(struct split *sp, size_t n, double f, struct ls_err *err)
{
	if (sp->ntrain == 0 || sp->ntest == 0) {
		ls_err_set(err,
		           "a holdout fraction of %g of %zu rows leaves %s: more rows or another "
		           "fraction are needed",
		           f, n, sp->ntest == 0 ? "no holdout" : "nothing to train on");
		split_free(sp);
		return -1;
	}
	return 0;
}

static size_t
holdout_size(size_t n, double f)
{
	return (size_t)floor((double)n * f + 0.5);
}

int
split_tail(const struct dataset *ds, double f, struct split *sp, struct ls_err *err)
{
	size_t i, ntest = holdout_size(ds->nrows, f);

	if (split_alloc(sp, ds->nrows, "tail", err) < 0)
		return -1;
	for (i = 0; i < ds->nrows; i++) {
		if (i < ds->nrows - ntest)
			sp->train[sp->ntrain++] = i;
		else
			sp->test[sp->ntest++] = i;
	}
	return split_check(sp, ds->nrows, f, err);
}

int
split_random(const struct dataset *ds, double f, uint64_t seed, struct split *sp,
             struct ls_err *err)
{
	size_t i, n = ds->nrows, ntest = holdout_size(n, f);
	unsigned char *in_test;
	uint64_t st = seed;

	if (split_alloc(sp, n, "random", err) < 0)
		return -1;
	if ((in_test = calloc(n ? n : 1, 1)) == NULL) {
		split_free(sp);
		return ls_err_set(err, "out of memory");
	}
	/* Selection sampling (Knuth's algorithm S): exactly ntest rows, each equally likely. */
	for (i = 0; i < n && ntest > 0; i++) {
		uint64_t r = dataset_rand(&st) % (n - i);

		if (r < ntest) {
			in_test[i] = 1;
			ntest--;
		}
	}
	for (i = 0; i < n; i++) {
		if (in_test[i])
			sp->test[sp->ntest++] = i;
		else
			sp->train[sp->ntrain++] = i;
	}
	free(in_test);
	return split_check(sp, n, f, err);
}

static const int64_t *sort_times;

static int
cmp_time(const void *a, const void *b)
{
	int64_t x = sort_times[*(const size_t *)a], y = sort_times[*(const size_t *)b];

	if (x != y)
		return x < y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int
split_time(const struct dataset *ds, double f, int64_t gap_us, struct split *sp, struct ls_err *err)
{
	size_t i, n = ds->nrows, want = holdout_size(n, f), cut;
	size_t *order;
	int64_t start;

	if (split_alloc(sp, n, "time", err) < 0)
		return -1;
	if (n == 0 || want == 0)
		return split_check(sp, n, f, err);
	if ((order = calloc(n, sizeof(size_t))) == NULL) {
		split_free(sp);
		return ls_err_set(err, "out of memory");
	}
	for (i = 0; i < n; i++)
		order[i] = i;
	sort_times = ds->times;
	qsort(order, n, sizeof(size_t), cmp_time);
	/* The holdout begins at the instant of the want-th newest row, taken whole. */
	cut = n - want;
	start = ds->times[order[cut]];
	for (i = 0; i < n; i++) {
		int64_t t = ds->times[order[i]];

		if (t >= start)
			sp->test[sp->ntest++] = order[i];
		else if ((double)t + (double)gap_us < (double)start)
			sp->train[sp->ntrain++] = order[i];
		else
			sp->ngap++;
	}
	free(order);
	if (sp->ntrain == 0 && sp->ntest > 0 && sp->ngap > 0) {
		ls_err_set(err,
		           "the holdout (the newest %zu of %zu rows) leaves nothing to train on: "
		           "every older row is within %g days of it, where its label would see the "
		           "holdout's period (more history is needed)",
		           sp->ntest, n, (double)gap_us / 86400e6);
		split_free(sp);
		return -1;
	}
	return split_check(sp, n, f, err);
}
