/* cmd_train.c: `leadscore train`: from the database's snapshots or a CSV file to a bundle and a
 * report. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../daemon/config.h"
#include "../daemon/snapshots.h"
#include "../daemon/store.h"
#include "../model/snaprow.h"
#include "../model/train.h"
#include "../model/train_csv.h"
#include "../model/train_db.h"
#include "cli.h"
#include "train_cli.h"

#define MAX_LIST 256

/* train.kind, in the order of its values. */
static const enum manifest_kind config_kinds[] = {MANIFEST_LOGISTIC, MANIFEST_SVM_LINEAR,
                                                  MANIFEST_SVM_RBF};

static void
usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: leadscore train [-c FILE | --dsn DSN] [--spec FILE] [--out DIR] [--register]\n"
	    "                       [--promote [--force]] [--label-type T]... [--horizon-days N]\n"
	    "       leadscore train --csv FILE --label COL [--positive VALUE] [--exclude COL,...]\n"
	    "                       [--delimiter C] [--split tail|random] [--spec FILE] --out DIR\n"
	    "  either: [--kind logistic|svm-linear|svm-rbf] [--holdout-fraction F] [--version V]\n"
	    "          [--min-positives N] [--min-level-count N] [--bins N] [--missing A,B]\n"
	    "          [--seed N] [--class-weight balanced|none] [--folds K] [--threads N]\n"
	    "          [--max-rows N] [--search-rows N] [--precision-k N] [--dataset FILE]\n"
	    "          [--quiet]\n"
	    "  From the database: the daemon's daily feature snapshots, labelled by a conversion\n"
	    "  (the spec's label types) within the horizon after each; the newest slice in time\n"
	    "  is the holdout. --register records the bundle as a candidate; --promote also\n"
	    "  promotes it unless its holdout AUC is worse than the active model's on the same\n"
	    "  rows by more than train.promote_tolerance (--force promotes regardless). Without\n"
	    "  --out the bundle goes to model.dir/VERSION.\n"
	    "  From CSV: --split tail (the default) holds out the last rows (a file in time\n"
	    "  order); empty cells and --missing values (default NA,Select) are missing.\n"
	    "  The metrics report is one JSON object on stdout; the table and progress go to\n"
	    "  stderr. Exit status: 0 trained (promoted or not), 1 refused or failed (too few\n"
	    "  positive examples, bad data), 2 bad usage.\n");
}

struct args {
	struct cli_db_opts db;
	const char *csv, *label, *positive, *out, *spec, *version, *dataset, *split;
	char delimiter;
	char *exclude[MAX_LIST], *types[MAX_LIST], *missing[MAX_LIST];
	size_t nexclude, ntypes, nmissing;
	int missing_set;
	char *lists[3 * MAX_LIST]; /* the strdup'd arguments the lists point into */
	size_t nlists;
	double holdout, horizon;
	long min_positives;
	int kind_set, reg, promote, force, quiet;
	struct train_opts t;
};

static void
args_free(struct args *a)
{
	for (size_t i = 0; i < a->nlists; i++)
		free(a->lists[i]);
}

/* Splits a comma list (repeatable flags add to it). */
static int
add_list(struct args *a, const char *flag, const char *text, char **items, size_t *n)
{
	char *copy, *tok, *save = NULL;

	if (a->nlists == sizeof(a->lists) / sizeof(a->lists[0]) || (copy = strdup(text)) == NULL) {
		fprintf(stderr, "leadscore train: %s: too many values\n", flag);
		return -1;
	}
	a->lists[a->nlists++] = copy;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_LIST) {
			fprintf(stderr, "leadscore train: %s: too many values\n", flag);
			return -1;
		}
		items[(*n)++] = tok;
	}
	return 0;
}

static int
parse_double(const char *flag, const char *text, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "leadscore train: %s needs a number from %g to %g, not '%s'\n",
		        flag, lo, hi, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_size(const char *flag, const char *text, long lo, long hi, size_t *out)
{
	long v;

	if (cli_parse_long("train", flag, text, lo, hi, &v) < 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int
parse_delimiter(const char *text, char *out)
{
	if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0)
		*out = '\t';
	else if (strlen(text) == 1 && text[0] != '"' && text[0] != '\r' && text[0] != '\n')
		*out = text[0];
	else {
		fprintf(stderr,
		        "leadscore train: --delimiter needs one character (or 'tab'), not "
		        "'%s'\n",
		        text);
		return -1;
	}
	return 0;
}

static int
parse_kind(const char *text, struct args *a)
{
	if (manifest_kind_parse(text, &a->t.kind) < 0 || a->t.kind == MANIFEST_STARTER) {
		fprintf(stderr,
		        "leadscore train: --kind is logistic, svm-linear or svm-rbf, not "
		        "'%s'\n",
		        text);
		return -1;
	}
	a->kind_set = 1;
	return 0;
}

enum {
	O_CSV = 256,
	O_LABEL,
	O_POSITIVE,
	O_EXCLUDE,
	O_DELIM,
	O_SPLIT,
	O_HOLDOUT,
	O_KIND,
	O_OUT,
	O_SPEC,
	O_VERSION,
	O_MINPOS,
	O_MINLEVEL,
	O_MISSING,
	O_SEED,
	O_WEIGHT,
	O_FOLDS,
	O_THREADS,
	O_MAXROWS,
	O_SEARCHROWS,
	O_PK,
	O_DATASET,
	O_QUIET,
	O_REGISTER,
	O_PROMOTE,
	O_FORCE,
	O_TYPE,
	O_HORIZON,
	O_DSN,
	O_BINS
};

static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                     {"dsn", required_argument, NULL, O_DSN},
                                     {"csv", required_argument, NULL, O_CSV},
                                     {"label", required_argument, NULL, O_LABEL},
                                     {"positive", required_argument, NULL, O_POSITIVE},
                                     {"exclude", required_argument, NULL, O_EXCLUDE},
                                     {"delimiter", required_argument, NULL, O_DELIM},
                                     {"split", required_argument, NULL, O_SPLIT},
                                     {"holdout-fraction", required_argument, NULL, O_HOLDOUT},
                                     {"kind", required_argument, NULL, O_KIND},
                                     {"out", required_argument, NULL, O_OUT},
                                     {"spec", required_argument, NULL, O_SPEC},
                                     {"version", required_argument, NULL, O_VERSION},
                                     {"min-positives", required_argument, NULL, O_MINPOS},
                                     {"min-level-count", required_argument, NULL, O_MINLEVEL},
                                     {"bins", required_argument, NULL, O_BINS},
                                     {"missing", required_argument, NULL, O_MISSING},
                                     {"seed", required_argument, NULL, O_SEED},
                                     {"class-weight", required_argument, NULL, O_WEIGHT},
                                     {"folds", required_argument, NULL, O_FOLDS},
                                     {"threads", required_argument, NULL, O_THREADS},
                                     {"max-rows", required_argument, NULL, O_MAXROWS},
                                     {"search-rows", required_argument, NULL, O_SEARCHROWS},
                                     {"precision-k", required_argument, NULL, O_PK},
                                     {"dataset", required_argument, NULL, O_DATASET},
                                     {"label-type", required_argument, NULL, O_TYPE},
                                     {"horizon-days", required_argument, NULL, O_HORIZON},
                                     {"register", no_argument, NULL, O_REGISTER},
                                     {"promote", no_argument, NULL, O_PROMOTE},
                                     {"force", no_argument, NULL, O_FORCE},
                                     {"quiet", no_argument, NULL, O_QUIET},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};

/* Options with a value; -1 on a bad one (already reported). */
static int
take_value(struct args *a, int c, const char *v)
{
	long n;

	switch (c) {
	case 'c':
		a->db.config_path = v;
		return 0;
	case O_DSN:
		a->db.dsn = v;
		return 0;
	case O_CSV:
		a->csv = v;
		return 0;
	case O_LABEL:
		a->label = v;
		return 0;
	case O_POSITIVE:
		a->positive = v;
		return 0;
	case O_EXCLUDE:
		return add_list(a, "--exclude", v, a->exclude, &a->nexclude);
	case O_DELIM:
		return parse_delimiter(v, &a->delimiter);
	case O_SPLIT:
		a->split = v;
		return 0;
	case O_HOLDOUT:
		return parse_double("--holdout-fraction", v, 0.01, 0.9, &a->holdout);
	case O_KIND:
		return parse_kind(v, a);
	case O_OUT:
		a->out = v;
		return 0;
	case O_SPEC:
		a->spec = v;
		return 0;
	case O_VERSION:
		a->version = v;
		return 0;
	case O_MINPOS:
		return cli_parse_long("train", "--min-positives", v, 0, 100000000,
		                      &a->min_positives);
	case O_MINLEVEL:
		return parse_size("--min-level-count", v, 1, 1000000000, &a->t.min_level_count);
	case O_BINS:
		if (cli_parse_long("train", "--bins", v, 0, 100, &n) < 0)
			return -1;
		a->t.bins = (size_t)n;
		return 0;
	case O_MISSING:
		a->missing_set = 1;
		return v[0] == '\0' ? 0 : add_list(a, "--missing", v, a->missing, &a->nmissing);
	case O_SEED:
		if (cli_parse_long("train", "--seed", v, 0, 2147483647, &n) < 0)
			return -1;
		a->t.seed = (uint64_t)n;
		return 0;
	case O_WEIGHT:
		if (strcmp(v, "balanced") != 0 && strcmp(v, "none") != 0) {
			fprintf(stderr, "leadscore train: --class-weight is balanced or none\n");
			return -1;
		}
		a->t.balanced = strcmp(v, "balanced") == 0;
		return 0;
	case O_FOLDS:
		if (cli_parse_long("train", "--folds", v, 2, 20, &n) < 0)
			return -1;
		a->t.folds = (int)n;
		return 0;
	case O_THREADS:
		if (cli_parse_long("train", "--threads", v, 1, 64, &n) < 0)
			return -1;
		a->t.threads = (int)n;
		return 0;
	case O_MAXROWS:
		return parse_size("--max-rows", v, 10, 100000000, &a->t.max_rows);
	case O_SEARCHROWS:
		return parse_size("--search-rows", v, 10, 100000000, &a->t.search_rows);
	case O_PK:
		return parse_size("--precision-k", v, 1, 100000000, &a->t.precision_k);
	case O_DATASET:
		a->dataset = v;
		return 0;
	case O_TYPE:
		return add_list(a, "--label-type", v, a->types, &a->ntypes);
	case O_HORIZON:
		return parse_double("--horizon-days", v, 0.001, 3650, &a->horizon);
	}
	return -1;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	memset(a, 0, sizeof(*a));
	train_opts_init(&a->t, MANIFEST_LOGISTIC);
	a->t.threads = cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
	a->delimiter = ',';
	a->min_positives = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == O_REGISTER || c == O_PROMOTE || c == O_FORCE || c == O_QUIET) {
			a->reg |= c == O_REGISTER;
			a->promote |= c == O_PROMOTE;
			a->force |= c == O_FORCE;
			a->quiet |= c == O_QUIET;
			continue;
		}
		if (c == '?' || c == ':') {
			cli_bad_option("train", argv);
			return -1;
		}
		if (take_value(a, c, optarg) < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "leadscore train: unexpected argument '%s' (see --help)\n",
		        argv[optind]);
		return -1;
	}
	return 0;
}

/* Flags that only make sense in one mode, and the ones a mode needs. */
static int
check_args(const struct args *a)
{
	const char *bad = NULL;

	if (a->csv != NULL) {
		if (a->label == NULL)
			bad = "--csv needs --label COL";
		else if (a->out == NULL)
			bad = "--csv needs --out DIR";
		else if (a->reg || a->promote)
			bad = "--register and --promote take a model trained from the database "
			      "(register "
			      "a CSV-trained bundle with `leadscore models register DIR`)";
		else if (a->ntypes > 0 || a->horizon > 0)
			bad = "--label-type and --horizon-days are for training from the database";
		else if (a->split != NULL && strcmp(a->split, "tail") && strcmp(a->split, "random"))
			bad = "--split is tail or random";
	} else if (a->label != NULL || a->positive != NULL || a->nexclude > 0 || a->split != NULL) {
		bad = "--label, --positive, --exclude and --split are for --csv";
	}
	if (bad == NULL && a->force && !a->promote)
		bad = "--force goes with --promote";
	if (bad == NULL && a->db.config_path != NULL && a->db.dsn != NULL)
		bad = "-c and --dsn exclude each other";
	if (bad != NULL) {
		fprintf(stderr, "leadscore train: %s\n", bad);
		return -1;
	}
	return 0;
}

static void
print_progress(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "leadscore train: %s\n", msg);
}

/* Settings from the configuration where no flag gave one. */
static void
apply_config(struct args *a, const struct config *cfg)
{
	if (!a->kind_set)
		a->t.kind = config_kinds[cfg->train_kind];
	if (a->min_positives < 0)
		a->min_positives = cfg->train_min_positives;
	a->t.min_positives = (size_t)a->min_positives;
	if (a->holdout <= 0)
		a->holdout = cfg->train_holdout_fraction;
	/* A form's untouched default and spreadsheet gaps: CSV cells only; the database's
	 * attributes say missing with null. */
	if (!a->missing_set && a->csv != NULL) {
		a->missing[a->nmissing++] = (char *)"NA";
		a->missing[a->nmissing++] = (char *)"Select";
	}
	a->t.missing = (const char *const *)a->missing;
	a->t.nmissing = a->nmissing;
	if (!a->quiet)
		a->t.progress = print_progress;
}

static void
default_version(const struct args *a, char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[32];

	if (a->version != NULL) {
		snprintf(buf, size, "%s", a->version);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	snprintf(buf, size, "%s-%s", manifest_kind_name(a->t.kind), when);
}

/* What a run has read, for the nightly steps and the report. */
struct run {
	struct args *a;
	struct config *cfg;
	struct featspec *spec;
	struct dataset ds;
	struct split sp;
	json_t *source; /* the manifest's "training" additions */
	char version[MANIFEST_VERSION_MAX];
	char out[4096];
	char spec_hash[65];
	int spec_version;
};

static int
load_spec(struct run *r, const char *path)
{
	struct ls_err err;

	if ((r->spec = featspec_load(path, &err)) == NULL) {
		fprintf(stderr, "leadscore train: feature spec %s: %s\n", path, err.msg);
		return -1;
	}
	memcpy(r->spec_hash, r->spec->hash, 65);
	r->spec_version = r->spec->version;
	return 0;
}

static json_t *
strings_json(char *const *items, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++)
		if (json_array_append_new(arr, json_string(items[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static int
read_csv(struct run *r)
{
	struct args *a = r->a;
	struct train_csv_opts o = {a->csv,       a->delimiter,  a->label,
	                           a->positive,  a->exclude,    a->nexclude,
	                           a->t.missing, a->t.nmissing, r->spec};
	struct train_csv_info info;
	struct ls_err err;
	size_t i;

	if (train_csv_load(&o, &r->ds, &info, &err) < 0) {
		fprintf(stderr, "leadscore train: %s\n", err.msg);
		return -1;
	}
	for (i = 0; i < json_array_size(info.warnings); i++)
		fprintf(stderr, "leadscore train: warning: %s\n",
		        json_string_value(json_array_get(info.warnings, i)));
	if (info.skipped > 0)
		fprintf(stderr, "leadscore train: %zu of %zu rows have no label and are left out\n",
		        info.skipped, info.rows);
	memcpy(r->spec_hash, info.spec_hash, 65);
	r->source = json_pack("{s:s, s:s, s:s?, s:o, s:o, s:I, s:I}", "source", "csv", "label",
	                      a->label, "positive", a->positive, "file", json_string(a->csv),
	                      "excluded", strings_json(a->exclude, a->nexclude), "rows_file",
	                      (json_int_t)info.rows, "rows_unlabelled", (json_int_t)info.skipped);
	train_csv_info_clear(&info);
	if (r->source == NULL) {
		fprintf(stderr, "leadscore train: out of memory\n");
		return -1;
	}
	snprintf(r->out, sizeof(r->out), "%s", a->out);
	a->t.positive_desc = a->positive ? a->positive : "label 1, true or yes";
	if (strcmp(a->split ? a->split : "tail", "random") == 0)
		return split_random(&r->ds, a->holdout, a->t.seed, &r->sp, &err) < 0
		           ? (fprintf(stderr, "leadscore train: %s\n", err.msg), -1)
		           : 0;
	return split_tail(&r->ds, a->holdout, &r->sp, &err) < 0
	           ? (fprintf(stderr, "leadscore train: %s\n", err.msg), -1)
	           : 0;
}

static json_t *
window_json(const struct dataset *ds, const size_t *rows, size_t n)
{
	int64_t lo = 0, hi = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int64_t t = ds->times[rows[i]];

		if (i == 0 || t < lo)
			lo = t;
		if (i == 0 || t > hi)
			hi = t;
	}
	return json_pack("{s:o, s:o}", "from", store_time_json(lo), "to", store_time_json(hi));
}

static int
db_source(struct run *r, const struct train_db_opts *o, const struct train_db_info *info)
{
	r->source = json_pack(
	    "{s:s, s:o, s:f, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "source", "database",
	    "label_types", strings_json(o->label_types, o->ntypes), "horizon_days", o->horizon_days,
	    "snapshots", (json_int_t)info->snapshots, "open_rows", (json_int_t)info->open_rows,
	    "left_out_converted", (json_int_t)info->converted, "left_out_unlabelled",
	    (json_int_t)info->censored, "data_end", store_time_json(info->data_end_us),
	    "window_train", window_json(&r->ds, r->sp.train, r->sp.ntrain), "window_test",
	    window_json(&r->ds, r->sp.test, r->sp.ntest));
	if (r->source == NULL) {
		fprintf(stderr, "leadscore train: out of memory\n");
		return -1;
	}
	return 0;
}

/* model.dir/VERSION unless --out says otherwise; model.dir is created when missing. */
static int
choose_out(struct run *r)
{
	if (r->a->out != NULL) {
		snprintf(r->out, sizeof(r->out), "%s", r->a->out);
		return 0;
	}
	if (mkdir(r->cfg->model_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "leadscore train: cannot create model.dir %s: %s\n",
		        r->cfg->model_dir, strerror(errno));
		return -1;
	}
	snprintf(r->out, sizeof(r->out), "%s/%s", r->cfg->model_dir, r->version);
	return 0;
}

static void
prune(struct run *r, PGconn *conn)
{
	struct ls_err err;
	long removed;

	if (r->cfg->train_snapshot_days <= 0)
		return;
	if (snapshot_prune(conn, r->cfg->train_snapshot_days, &removed, &err) < 0)
		fprintf(stderr, "leadscore train: warning: %s\n", err.msg);
	else if (removed > 0 && !r->a->quiet)
		fprintf(stderr,
		        "leadscore train: deleted %ld snapshots older than %ld days "
		        "(train.snapshot_days)\n",
		        removed, r->cfg->train_snapshot_days);
}

static int
read_db(struct run *r, PGconn *conn)
{
	struct args *a = r->a;
	struct train_db_opts o = {r->spec, a->ntypes ? a->types : r->spec->label_types,
	                          a->ntypes ? a->ntypes : r->spec->nlabel_types,
	                          a->horizon > 0 ? a->horizon : r->spec->label_horizon_days,
	                          a->ntypes == 0};
	struct train_db_info info;
	struct ls_err err;
	static char desc[512];
	size_t i, used = 0;

	if (a->reg || a->promote)
		prune(r, conn);
	if (train_db_load(conn, &o, &r->ds, &info, &err) < 0) {
		fprintf(stderr, "leadscore train: %s\n", err.msg);
		return -1;
	}
	if (!a->quiet)
		fprintf(
		    stderr,
		    "leadscore train: %zu snapshots and %zu last active days labelled; left out "
		    "%zu taken after the contact converted and %zu whose %g-day horizon is not "
		    "over yet\n",
		    info.snapshots, info.open_rows, info.converted, info.censored, o.horizon_days);
	for (i = 0; i < o.ntypes && used < sizeof(desc) / 2; i++)
		used += (size_t)snprintf(desc + used, sizeof(desc) / 2, "%s%.60s", i ? " or " : "",
		                         o.label_types[i]);
	snprintf(desc + used, sizeof(desc) - used, " within %g days of a snapshot", o.horizon_days);
	a->t.positive_desc = desc;
	if (split_time(&r->ds, a->holdout, (int64_t)llround(o.horizon_days * SNAPROW_US_PER_DAY),
	               &r->sp, &err) < 0) {
		fprintf(stderr, "leadscore train: %s\n", err.msg);
		return -1;
	}
	return db_source(r, &o, &info);
}

static int
output(struct run *r, struct train_result *res, json_t *promotion)
{
	json_t *out = json_deep_copy(res->report);
	char *text;

	if (out == NULL || json_object_set_new(out, "bundle", json_string(r->out)) < 0 ||
	    (promotion != NULL && json_object_set(out, "promotion", promotion) < 0) ||
	    (text = json_dumps(out, JSON_COMPACT)) == NULL) {
		json_decref(out);
		fprintf(stderr, "leadscore train: out of memory\n");
		return -1;
	}
	if (!r->a->quiet)
		train_report_print(stderr, res->report);
	if (promotion != NULL)
		fprintf(stderr, "leadscore train: %s: %s\n",
		        json_is_true(json_object_get(promotion, "promoted")) ? "promoted"
		                                                             : "not promoted",
		        json_string_value(json_object_get(promotion, "reason")));
	printf("%s\n", text);
	free(text);
	json_decref(out);
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
nightly(struct run *r, PGconn *conn, const struct train_result *res, json_t **promotion)
{
	struct nightly_run n = {
	    r->out,           r->spec,       &r->ds,      &r->sp,
	    res->auc,         r->a->promote, r->a->force, r->cfg->train_promote_tolerance,
	    r->cfg->model_dir};
	struct ls_err err;

	if (train_nightly(conn, &n, promotion, &err) < 0) {
		fprintf(stderr, "leadscore train: the bundle %s was written, but: %s\n", r->out,
		        err.msg);
		return -1;
	}
	return 0;
}

static int
train_and_report(struct run *r, PGconn *conn)
{
	struct train_source src = {r->version, r->spec_hash, r->spec_version, r->source};
	struct train_result res;
	json_t *promotion = NULL;
	struct ls_err err;
	int rc = -1;

	if (train_run(&r->ds, &r->sp, &r->a->t, &src, r->out, &res, &err) < 0) {
		fprintf(stderr, "leadscore train: %s\n", err.msg);
		return -1;
	}
	if (r->a->dataset != NULL &&
	    train_write_dataset(r->a->dataset, &r->ds, &r->sp, conn != NULL, &err) < 0)
		fprintf(stderr, "leadscore train: %s\n", err.msg);
	else if (conn == NULL || (!r->a->reg && !r->a->promote) ||
	         nightly(r, conn, &res, &promotion) == 0)
		rc = output(r, &res, promotion);
	json_decref(promotion);
	train_result_clear(&res);
	return rc;
}

static struct config *
load_config(const struct args *a)
{
	struct ls_err err;
	struct config *cfg = a->db.config_path != NULL ? config_load(a->db.config_path, &err)
	                                               : config_defaults(&err);

	if (cfg == NULL)
		fprintf(stderr, "leadscore train: %s\n", err.msg);
	return cfg;
}

static int
run(struct run *r)
{
	PGconn *conn = NULL;
	int rc = CLI_FAIL;

	if ((r->cfg = load_config(r->a)) == NULL)
		return CLI_FAIL;
	apply_config(r->a, r->cfg);
	default_version(r->a, r->version, sizeof(r->version));
	if (r->a->spec != NULL || r->a->csv == NULL) {
		if (load_spec(r, r->a->spec != NULL ? r->a->spec : r->cfg->features_spec) < 0)
			return CLI_FAIL;
	}
	if (r->a->csv != NULL) {
		if (read_csv(r) < 0)
			return CLI_FAIL;
	} else {
		if ((conn = cli_db_connect("train", &r->a->db)) == NULL)
			return CLI_FAIL;
		if (read_db(r, conn) < 0 || choose_out(r) < 0) {
			PQfinish(conn);
			return CLI_FAIL;
		}
	}
	if (train_and_report(r, conn) == 0)
		rc = CLI_OK;
	if (conn != NULL)
		PQfinish(conn);
	return rc;
}

int
cmd_train(int argc, char **argv)
{
	struct args a;
	struct run r;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != 0 || check_args(&a) < 0) {
		args_free(&a);
		return rc > 0 ? CLI_OK : CLI_USAGE;
	}
	memset(&r, 0, sizeof(r));
	r.a = &a;
	rc = run(&r);
	json_decref(r.source);
	split_free(&r.sp);
	dataset_free(&r.ds);
	featspec_free(r.spec);
	config_free(r.cfg);
	args_free(&a);
	return rc;
}
