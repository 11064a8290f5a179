/* model.c: the model interface: bundles and the starter in; probabilities, tiers, reasons out. */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_impl.h"

/* Probabilities are kept off 0 and 1 so that log-odds and scores stay finite. */
#define P_MIN 1e-6
#define P_MAX (1 - 1e-6)

/*
 * A model object holds scratch buffers (the encoded row, per-input effects, the RBF
 * backend's nodes), so model_score and model_predict on one object must not run on two
 * threads at once: load one object per scoring thread.
 * Loading runs liblinear's and libsvm's readers, which switch the process locale while they
 * read: load from one thread, while no other thread formats or parses numbers.
 */
struct model {
	struct manifest man;
	struct backend be;
	double *x;            /* dim: the encoded row */
	double *eff;          /* ninputs: effect of each input */
	unsigned char *taken; /* ninputs: inputs already given as reasons */
};

void
model_free(struct model *m)
{
	if (m == NULL)
		return;
	if (m->be.ops != NULL)
		m->be.ops->free(m->be.impl);
	manifest_clear(&m->man);
	free(m->x);
	free(m->eff);
	free(m->taken);
	free(m);
}

/* Opens the backend for a parsed manifest, which the model takes over. */
static struct model *
model_open(struct manifest *man, const char *model_path, struct ls_err *err)
{
	struct model *m = calloc(1, sizeof(*m));
	struct backend_args a;
	size_t n = man->enc->ninputs;
	int rc;

	if (m == NULL) {
		manifest_clear(man);
		ls_err_set(err, "out of memory");
		return NULL;
	}
	m->man = *man;
	memset(man, 0, sizeof(*man));
	m->x = calloc(m->man.enc->dim, sizeof(double));
	m->eff = calloc(n, sizeof(double));
	m->taken = calloc(n, 1);
	if (m->x == NULL || m->eff == NULL || m->taken == NULL) {
		model_free(m);
		ls_err_set(err, "out of memory");
		return NULL;
	}
	a = (struct backend_args){m->man.kind,    model_path,  m->man.enc,
	                          m->man.weights, m->man.bias, m->man.calib};
	if (m->man.kind == MANIFEST_SVM_RBF)
		rc = msvm_open(&a, &m->be, err);
	else
		rc = mlinear_open(&a, &m->be, err);
	if (rc < 0) {
		model_free(m);
		return NULL;
	}
	return m;
}

static int
check_model_file(const char *path, struct ls_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return ls_err_set(err, "model file %s is missing", path);
		return ls_err_set(err, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return ls_err_set(err, "model file %s is not a regular file", path);
	return 0;
}

struct model *
model_load(const char *dir, struct ls_err *err)
{
	char path[PATH_MAX], model_path[PATH_MAX];
	struct manifest man;
	struct model *m;
	const char *where;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, MANIFEST_FILE) >= sizeof(path)) {
		ls_err_set(err, "bundle path too long");
		return NULL;
	}
	if (manifest_load(path, &man, err) < 0)
		return NULL;
	if (man.model_file != NULL) {
		if ((size_t)snprintf(model_path, sizeof(model_path), "%s/%s", dir,
		                     man.model_file) >= sizeof(model_path)) {
			manifest_clear(&man);
			ls_err_set(err, "bundle path too long");
			return NULL;
		}
		if (check_model_file(model_path, err) < 0) {
			manifest_clear(&man);
			return NULL;
		}
	}
	where = man.model_file != NULL ? model_path : dir;
	if ((m = model_open(&man, man.model_file != NULL ? model_path : NULL, err)) == NULL)
		ls_err_prefix(err, "%s", where);
	return m;
}

/* Weights from the spec's priors: one per numeric field, one per known level. */
static double *
starter_weights(const struct featspec *spec, const struct encoder *enc, struct ls_err *err)
{
	double *w = calloc(enc->dim, sizeof(double));
	size_t i, k;

	if (w == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	for (i = 0; i < spec->nfields; i++) {
		const struct field_def *f = &spec->fields[i];
		const struct encoder_input *in = &enc->inputs[i];

		if (f->kind == FIELD_NUMERIC)
			w[in->col] = f->prior;
		for (k = 0; f->kind == FIELD_CATEGORICAL && k < f->nlevels; k++)
			w[in->col + k] = f->level_priors != NULL ? f->level_priors[k] : 0.0;
	}
	return w;
}

static json_t *
starter_manifest(const struct featspec *spec, struct ls_err *err)
{
	struct manifest_parts p = {0};
	struct encoder *enc;
	char version[MANIFEST_VERSION_MAX];
	double *w;
	json_t *root = NULL;

	if ((enc = encoder_from_spec(spec, err)) == NULL)
		return NULL;
	if ((w = starter_weights(spec, enc, err)) != NULL) {
		snprintf(version, sizeof(version), "starter-%.12s", spec->hash);
		p.kind = MANIFEST_STARTER;
		p.version = version;
		p.spec_hash = spec->hash;
		p.spec_version = spec->version;
		p.enc = enc;
		p.weights = w;
		p.bias = spec->starter_intercept;
		p.tiers =
		    (struct manifest_tiers){MANIFEST_TIER_A, MANIFEST_TIER_B, MANIFEST_TIER_C};
		root = manifest_build(&p, err);
	}
	free(w);
	encoder_free(enc);
	return root;
}

struct model *
model_starter(const struct featspec *spec, struct ls_err *err)
{
	struct manifest man;
	struct model *m = NULL;
	json_t *root = starter_manifest(spec, err);

	if (root != NULL && manifest_parse(root, &man, err) == 0)
		m = model_open(&man, NULL, err);
	json_decref(root);
	if (m == NULL)
		ls_err_prefix(err, "starter model");
	return m;
}

static const char *
kind_word(enum field_kind kind)
{
	return kind == FIELD_NUMERIC ? "numeric" : "categorical";
}

int
model_check_spec(const struct model *m, const struct featspec *spec, struct ls_err *err)
{
	const struct encoder *enc = m->man.enc;
	size_t i;

	if (strcmp(m->man.spec_hash, spec->hash) != 0)
		return ls_err_set(err,
		                  "bundle was trained for feature spec %.12s... (version %d), "
		                  "daemon runs %.12s... (version %d)",
		                  m->man.spec_hash, m->man.spec_version, spec->hash, spec->version);
	if (enc->ninputs != spec->nfields)
		return ls_err_set(err, "bundle has %zu inputs, the feature spec %zu fields",
		                  enc->ninputs, spec->nfields);
	for (i = 0; i < enc->ninputs; i++) {
		const struct encoder_input *in = &enc->inputs[i];
		const struct field_def *f = &spec->fields[i];

		if (strcmp(in->name, f->name) != 0 || in->kind != f->kind)
			return ls_err_set(err,
			                  "bundle input %zu is \"%s\" (%s), the feature spec's "
			                  "field is \"%s\" (%s)",
			                  i, in->name, kind_word(in->kind), f->name,
			                  kind_word(f->kind));
	}
	return 0;
}

char
model_tier(const struct model *m, int score)
{
	const struct manifest_tiers *t = &m->man.tiers;

	if (score >= t->a)
		return 'A';
	if (score >= t->b)
		return 'B';
	return score >= t->c ? 'C' : 'D';
}

static double
clamp_p(double p)
{
	if (!(p >= P_MIN)) /* NaN too */
		return P_MIN;
	return p > P_MAX ? P_MAX : p;
}

/* NaN when the row does not match the model: the fast path has no room for a reason. */
double
model_predict(const struct model *m, const struct raw_row *row)
{
	if (encoder_encode(m->man.enc, row, m->x) < 0)
		return NAN;
	return clamp_p(m->be.ops->prob(m->be.impl, m->x));
}

/* "field" for a numeric input, "field=level" (the active column) for a categorical one. */
static void
reason_label(const struct model *m, size_t i, char *buf, size_t size)
{
	const struct encoder *enc = m->man.enc;
	const struct encoder_input *in = &enc->inputs[i];
	const char *label = in->name;
	size_t j;

	for (j = in->col; in->kind == FIELD_CATEGORICAL && j < in->col + in->ncols; j++)
		if (m->x[j] == 1.0)
			label = enc->colnames[j];
	snprintf(buf, size, "%s", label);
}

/* Adds up to max reasons on one side (sign +1: for, -1: against), strongest first. */
static void
pick_reasons(const struct model *m, double sign, size_t max, struct score *out)
{
	size_t i, k, best, n = m->man.enc->ninputs;

	for (k = 0; k < max; k++) {
		best = n;
		for (i = 0; i < n; i++)
			if (!m->taken[i] && sign * m->eff[i] > 0 &&
			    (best == n || sign * m->eff[i] > sign * m->eff[best]))
				best = i;
		if (best == n)
			return;
		m->taken[best] = 1;
		reason_label(m, best, out->reasons[out->nreasons].feature,
		             sizeof(out->reasons[0].feature));
		out->reasons[out->nreasons++].effect = m->eff[best];
	}
}

static void
explain(const struct model *m, size_t nreasons_max, struct score *out)
{
	const struct encoder *enc = m->man.enc;
	size_t i;

	m->be.ops->effects(m->be.impl, enc, m->x, m->man.baseline, m->eff);
	for (i = 0; i < enc->ninputs; i++) {
		if (enc->inputs[i].group == GROUP_FIT)
			out->fit += m->eff[i];
		else
			out->engagement += m->eff[i];
	}
	if (nreasons_max > SCORE_MAX_REASONS)
		nreasons_max = SCORE_MAX_REASONS;
	memset(m->taken, 0, enc->ninputs);
	pick_reasons(m, 1.0, (nreasons_max + 1) / 2, out);
	pick_reasons(m, -1.0, nreasons_max / 2, out);
}

int
model_score(const struct model *m, const struct raw_row *row, size_t nreasons_max,
            struct score *out, struct ls_err *err)
{
	double p;
	long s;

	memset(out, 0, sizeof(*out));
	if (encoder_encode(m->man.enc, row, m->x) < 0)
		return ls_err_set(err, "row has %zu values, the model expects %zu", row->n,
		                  m->man.enc->ninputs);
	p = clamp_p(m->be.ops->prob(m->be.impl, m->x));
	s = lround(100 * p);
	out->probability = p;
	out->score = (int)(s < 0 ? 0 : s > 100 ? 100 : s);
	out->tier = model_tier(m, out->score);
	if (nreasons_max > 0)
		explain(m, nreasons_max, out);
	return 0;
}

const char *
model_kind(const struct model *m)
{
	return manifest_kind_name(m->man.kind);
}

const char *
model_version(const struct model *m)
{
	return m->man.version;
}

const json_t *
model_manifest(const struct model *m)
{
	return m->man.root;
}

/* ---- helpers for the backends' file checks ---- */

char *
model_read_file(const char *path, size_t max, size_t *len, struct ls_err *err)
{
	struct stat st;
	char *buf = NULL;
	ssize_t r;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ls_err_set(err, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		ls_err_set(err, "not a regular file of at most %zu bytes", max);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		ls_err_set(err, "out of memory");
		goto out;
	}
	while (
	    got < (size_t)st.st_size &&
	    ((r = read(fd, buf + got, (size_t)st.st_size - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	if (got != (size_t)st.st_size || memchr(buf, '\0', got) != NULL) {
		ls_err_set(err, "cannot read it whole, or it holds NUL bytes");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[got] = '\0';
	*len = got;
out:
	close(fd);
	return buf;
}

char *
model_next_line(char **p)
{
	char *line = *p;

	if (line == NULL || *line == '\0') /* the end, also just after a final newline */
		return NULL;
	*p = strchr(line, '\n');
	if (*p != NULL)
		*(*p)++ = '\0';
	return line;
}

char *
model_next_token(char **s)
{
	char *p = *s, *tok;

	if (p == NULL)
		return NULL;
	p += strspn(p, " \t\r");
	if (*p == '\0') {
		*s = p;
		return NULL;
	}
	tok = p;
	p += strcspn(p, " \t\r");
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return tok;
}

int
model_parse_int(const char *tok, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(tok, &end, 10);
	if (end == tok || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
model_parse_double(const char *tok, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(tok, &end);
	if (end == tok || *end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}
