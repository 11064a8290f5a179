/* manifest.c: parsing, validating and building a bundle's manifest.json. */
#include "manifest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    [MANIFEST_STARTER] = "starter",
    [MANIFEST_LOGISTIC] = "logistic",
    [MANIFEST_SVM_LINEAR] = "svm-linear",
    [MANIFEST_SVM_RBF] = "svm-rbf",
};

#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))
#define MODEL_FILE_MAX 255

const char *
manifest_kind_name(enum manifest_kind kind)
{
	return (size_t)kind < NKINDS ? kind_names[kind] : "unknown";
}

int
manifest_kind_parse(const char *name, enum manifest_kind *out)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum manifest_kind)i;
			return 0;
		}
	return -1;
}

int
manifest_tiers_check(const struct manifest_tiers *t, struct ls_err *err)
{
	if (t->a > 100 || t->a <= t->b || t->b <= t->c || t->c < 0)
		return ls_err_set(err, "tiers must satisfy 100 >= A > B > C >= 0 (got %d, %d, %d)",
		                  t->a, t->b, t->c);
	return 0;
}

void
manifest_clear(struct manifest *m)
{
	json_decref(m->root);
	encoder_free(m->enc);
	free(m->weights);
	free(m->baseline);
	memset(m, 0, sizeof(*m));
}

/* ---- parsing ---- */

static int
check_keys(json_t *root, struct ls_err *err)
{
	static const char *const allowed[] = {
	    "format", "kind",        "version", "model_file", "feature_spec", "inputs",
	    "linear", "calibration", "tiers",   "baseline",   "training",     "metrics",
	};
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(root, key, v)
	{
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (i == sizeof(allowed) / sizeof(allowed[0]))
			return ls_err_set(err, "unknown key \"%s\"", key);
	}
	return 0;
}

static int
parse_head(json_t *root, struct manifest *m, struct ls_err *err)
{
	json_t *format = json_object_get(root, "format"), *kind = json_object_get(root, "kind");
	json_t *version = json_object_get(root, "version");
	const char *s;

	if (!json_is_integer(format) || json_integer_value(format) != MANIFEST_FORMAT)
		return ls_err_set(err, "format must be %d", MANIFEST_FORMAT);
	if (!json_is_string(kind))
		return ls_err_set(err, "kind must be a string");
	if (manifest_kind_parse(json_string_value(kind), &m->kind) < 0)
		return ls_err_set(err,
		                  "unknown kind \"%s\" (starter, logistic, svm-linear, svm-rbf)",
		                  json_string_value(kind));
	if (!json_is_string(version))
		return ls_err_set(err, "version must be a string");
	s = json_string_value(version);
	if (s[0] == '\0' || strlen(s) >= MANIFEST_VERSION_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:+-") !=
	        strlen(s))
		return ls_err_set(err, "version must be 1 to %d of A-Z a-z 0-9 . _ : + -",
		                  MANIFEST_VERSION_MAX - 1);
	m->version = s;
	return 0;
}

static int
parse_model_file(json_t *root, struct manifest *m, struct ls_err *err)
{
	json_t *v = json_object_get(root, "model_file");
	const char *s;

	if (m->kind == MANIFEST_STARTER) {
		if (v != NULL)
			return ls_err_set(err, "a starter bundle has no model_file");
		return 0;
	}
	if (v == NULL)
		return ls_err_set(err, "model_file is missing");
	if (!json_is_string(v))
		return ls_err_set(err, "model_file must be a string");
	s = json_string_value(v);
	if (s[0] == '\0' || s[0] == '.' || strchr(s, '/') != NULL || strlen(s) > MODEL_FILE_MAX)
		return ls_err_set(err, "model_file \"%s\" must be a plain file name in the bundle",
		                  s);
	m->model_file = s;
	return 0;
}

static int
parse_spec(json_t *root, struct manifest *m, struct ls_err *err)
{
	json_t *fs = json_object_get(root, "feature_spec");
	json_t *hash = json_object_get(fs, "hash"), *version = json_object_get(fs, "version");
	const char *h;

	if (!json_is_object(fs))
		return ls_err_set(err, "feature_spec must be an object");
	if (json_object_size(fs) != 2 || !json_is_string(hash) || !json_is_integer(version))
		return ls_err_set(err, "feature_spec must be {\"hash\": string, \"version\": int}");
	h = json_string_value(hash);
	if (strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64)
		return ls_err_set(err, "feature_spec.hash must be 64 lowercase hex digits");
	if (json_integer_value(version) < 0 || json_integer_value(version) > 1000000000)
		return ls_err_set(err, "feature_spec.version out of range");
	memcpy(m->spec_hash, h, 65);
	m->spec_version = (int)json_integer_value(version);
	return 0;
}

/* An array of exactly dim finite numbers into a new array. */
static double *
parse_vector(const json_t *a, size_t dim, const char *what, struct ls_err *err)
{
	double *v;
	size_t i;

	if (!json_is_array(a)) {
		ls_err_set(err, "%s must be an array of numbers", what);
		return NULL;
	}
	if (json_array_size(a) != dim) {
		ls_err_set(err, "%s has %zu values, the inputs encode %zu columns", what,
		           json_array_size(a), dim);
		return NULL;
	}
	if ((v = calloc(dim ? dim : 1, sizeof(double))) == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	for (i = 0; i < dim; i++) {
		const json_t *x = json_array_get(a, i);

		if (!json_is_number(x) || !isfinite(json_number_value(x))) {
			ls_err_set(err, "%s[%zu] is not a finite number", what, i);
			free(v);
			return NULL;
		}
		v[i] = json_number_value(x);
	}
	return v;
}

static int
parse_linear(json_t *root, struct manifest *m, struct ls_err *err)
{
	json_t *lin = json_object_get(root, "linear"), *bias;

	if (lin == NULL) {
		if (m->kind == MANIFEST_STARTER)
			return ls_err_set(err, "a starter bundle needs a \"linear\" block");
		return 0;
	}
	if (m->kind == MANIFEST_SVM_RBF)
		return ls_err_set(err, "an svm-rbf bundle has no \"linear\" block");
	bias = json_object_get(lin, "bias");
	if (!json_is_object(lin) || json_object_size(lin) != 2 || !json_is_number(bias) ||
	    !isfinite(json_number_value(bias)))
		return ls_err_set(err, "linear must be {\"weights\": [...], \"bias\": number}");
	m->bias = json_number_value(bias);
	m->weights =
	    parse_vector(json_object_get(lin, "weights"), m->enc->dim, "linear.weights", err);
	return m->weights == NULL ? -1 : 0;
}

static int
parse_calib(json_t *root, struct manifest *m, struct ls_err *err)
{
	json_t *c = json_object_get(root, "calibration"), *method, *a, *b;

	if (c == NULL)
		return 0;
	method = json_object_get(c, "method");
	if (!json_is_object(c) || !json_is_string(method))
		return ls_err_set(err, "calibration must be an object with a method");
	if (strcmp(json_string_value(method), "none") == 0 && json_object_size(c) == 1)
		return 0;
	a = json_object_get(c, "a");
	b = json_object_get(c, "b");
	if (strcmp(json_string_value(method), "platt") != 0 || json_object_size(c) != 3 ||
	    !json_is_number(a) || !json_is_number(b) || !isfinite(json_number_value(a)) ||
	    !isfinite(json_number_value(b)))
		return ls_err_set(err, "calibration must be {\"method\": \"none\"} or "
		                       "{\"method\": \"platt\", \"a\": number, \"b\": number}");
	m->calib.platt = 1;
	m->calib.a = json_number_value(a);
	m->calib.b = json_number_value(b);
	return 0;
}

static int
tier_value(json_t *t, const char *key, int *out)
{
	json_t *v = json_object_get(t, key);

	if (!json_is_integer(v) || json_integer_value(v) < -1 || json_integer_value(v) > 101)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

static int
parse_tiers(json_t *root, struct manifest *m, struct ls_err *err)
{
	json_t *t = json_object_get(root, "tiers");

	m->tiers.a = MANIFEST_TIER_A;
	m->tiers.b = MANIFEST_TIER_B;
	m->tiers.c = MANIFEST_TIER_C;
	if (t == NULL)
		return 0;
	if (!json_is_object(t) || json_object_size(t) != 3 || tier_value(t, "A", &m->tiers.a) < 0 ||
	    tier_value(t, "B", &m->tiers.b) < 0 || tier_value(t, "C", &m->tiers.c) < 0)
		return ls_err_set(err,
		                  "tiers must be {\"A\": int, \"B\": int, \"C\": int}, 0..100");
	return manifest_tiers_check(&m->tiers, err);
}

static int
parse_rest(json_t *root, struct manifest *m, struct ls_err *err)
{
	json_t *base = json_object_get(root, "baseline");
	json_t *training = json_object_get(root, "training");
	json_t *metrics = json_object_get(root, "metrics");

	if (training != NULL && !json_is_object(training))
		return ls_err_set(err, "training must be an object");
	if (metrics != NULL && !json_is_object(metrics))
		return ls_err_set(err, "metrics must be an object");
	if (base != NULL) {
		m->baseline = parse_vector(base, m->enc->dim, "baseline", err);
		return m->baseline == NULL ? -1 : 0;
	}
	if ((m->baseline = calloc(m->enc->dim, sizeof(double))) == NULL)
		return ls_err_set(err, "out of memory");
	encoder_encode_missing(m->enc, m->baseline);
	return 0;
}

int
manifest_parse(json_t *root, struct manifest *m, struct ls_err *err)
{
	memset(m, 0, sizeof(*m));
	if (!json_is_object(root))
		return ls_err_set(err, "not a JSON object");
	m->root = json_incref(root);
	if (check_keys(root, err) < 0 || parse_head(root, m, err) < 0 ||
	    parse_model_file(root, m, err) < 0 || parse_spec(root, m, err) < 0)
		goto fail;
	if ((m->enc = encoder_from_json(json_object_get(root, "inputs"), err)) == NULL)
		goto fail;
	if (parse_linear(root, m, err) < 0 || parse_calib(root, m, err) < 0 ||
	    parse_tiers(root, m, err) < 0 || parse_rest(root, m, err) < 0)
		goto fail;
	return 0;
fail:
	manifest_clear(m);
	return -1;
}

int
manifest_load(const char *path, struct manifest *m, struct ls_err *err)
{
	json_error_t jerr;
	json_t *root;
	FILE *fp;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return ls_err_set(err, "%s is missing", path);
		return ls_err_set(err, "%s: %s", path, strerror(errno));
	}
	root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	fclose(fp);
	if (root == NULL)
		return ls_err_set(err, "%s: line %d column %d: %s", path, jerr.line, jerr.column,
		                  jerr.text);
	rc = manifest_parse(root, m, err);
	json_decref(root);
	if (rc < 0)
		return ls_err_prefix(err, "%s", path);
	return 0;
}

/* ---- building ---- */

static json_t *
vector_json(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
linear_json(const struct manifest_parts *p)
{
	json_t *o = json_object();

	if (o == NULL || json_object_set_new(o, "weights", vector_json(p->weights, p->enc->dim)) ||
	    json_object_set_new(o, "bias", json_real(p->bias))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
calib_json(const struct manifest_calib *c)
{
	if (!c->platt)
		return json_pack("{s:s}", "method", "none");
	return json_pack("{s:s,s:f,s:f}", "method", "platt", "a", c->a, "b", c->b);
}

static int
build_body(json_t *root, const struct manifest_parts *p)
{
	int bad;

	bad = json_object_set_new(root, "format", json_integer(MANIFEST_FORMAT)) ||
	      json_object_set_new(root, "kind", json_string(manifest_kind_name(p->kind))) ||
	      json_object_set_new(root, "version", json_string(p->version));
	if (!bad && p->model_file != NULL)
		bad = json_object_set_new(root, "model_file", json_string(p->model_file));
	bad = bad ||
	      json_object_set_new(
	          root, "feature_spec",
	          json_pack("{s:s,s:i}", "hash", p->spec_hash, "version", p->spec_version)) ||
	      json_object_set_new(root, "inputs", encoder_to_json(p->enc));
	if (!bad && p->weights != NULL)
		bad = json_object_set_new(root, "linear", linear_json(p));
	bad = bad || json_object_set_new(root, "calibration", calib_json(&p->calib)) ||
	      json_object_set_new(
	          root, "tiers",
	          json_pack("{s:i,s:i,s:i}", "A", p->tiers.a, "B", p->tiers.b, "C", p->tiers.c));
	if (!bad && p->baseline != NULL)
		bad = json_object_set_new(root, "baseline", vector_json(p->baseline, p->enc->dim));
	if (!bad && p->training != NULL)
		bad = json_object_set_new(root, "training", json_deep_copy(p->training));
	if (!bad && p->metrics != NULL)
		bad = json_object_set_new(root, "metrics", json_deep_copy(p->metrics));
	return bad ? -1 : 0;
}

json_t *
manifest_build(const struct manifest_parts *p, struct ls_err *err)
{
	json_t *root;

	if (p->version == NULL || p->spec_hash == NULL || p->enc == NULL) {
		ls_err_set(err, "manifest needs a version, a spec hash and an encoder");
		return NULL;
	}
	if ((root = json_object()) == NULL || build_body(root, p) < 0) {
		json_decref(root);
		ls_err_set(err, "cannot build manifest (out of memory or a non-finite number)");
		return NULL;
	}
	return root;
}
