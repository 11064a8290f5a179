/* train_cli.h: what `leadscore train`'s files share: the promotion guard and the nightly steps. */
#ifndef LS_TRAIN_CLI_H
#define LS_TRAIN_CLI_H

#include <jansson.h>
#include <libpq-fe.h>

#include "../daemon/config.h"
#include "../model/dataset.h"
#include "../model/featspec.h"

/* The guard's answer and why, in words for the admin and the registry. */
struct guard_verdict {
	int promote;
	char reason[512];
};

/*
 * The promotion guard: promote when the new model's holdout AUC is not worse than the
 * active model's on the same holdout (nrows rows) by more than tol, or when forced.
 * active_name names the active model ("the starter model" when none is registered).
 */
void train_guard_decide(double new_auc, double active_auc, const char *active_name, size_t nrows,
                        double tol, int force, struct guard_verdict *v);

/* What the nightly steps need from the run. */
struct nightly_run {
	const char *bundle_dir;
	const struct featspec *spec;
	const struct dataset *ds;
	const struct split *sp;
	double auc; /* the new model's holdout AUC */
	int promote, force;
	double tolerance;
	const char *model_dir; /* resolves relative registry paths */
};

/* Registers the bundle as a candidate and, when asked, runs the guard against the active
 * model (or the starter) re-evaluated on the same holdout, promoting when it allows.
 * *promotion gets {"promoted", "reason", "active": {"version", "auc"}, "tolerance",
 * "forced"} (NULL when only registering). 0, or -1 with a reason. */
int train_nightly(PGconn *conn, const struct nightly_run *r, json_t **promotion,
                  struct ls_err *err);

/* Writes the rows the run used as CSV (for audits and comparisons): an id column per row
 * (contact and as_of for the database, the file's row number for CSV), label, set
 * ("train", "test" or "gap") and every field. 0, or -1 with a reason. */
int train_write_dataset(const char *path, const struct dataset *ds, const struct split *sp,
                        int from_db, struct ls_err *err);

#endif
