/* writer.h: batch writers: threads that each apply one batch at a time on a database connection
 * of their own, so that one batch is computed while another waits on PostgreSQL. */
#ifndef LS_WRITER_H
#define LS_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "apply.h"
#include "batch.h"
#include "err.h"
#include "scorer.h"

/* A batch to apply, and what came of it. */
struct writer_job {
	struct batch *batch;
	const struct scorer *scorer; /* must outlive the job */
	struct apply_opts opts;
	int64_t as_of_us;
	size_t writer; /* which writer took it (writers_submit) */
	/* filled in by the writer */
	int rc;           /* apply_batch's */
	int lost;         /* the connection is gone (or could not be made) */
	char sqlstate[6]; /* of the failed statement; "" when unknown */
	int64_t took_us;
	struct apply_result res;
	struct ls_err err;
};

struct writer;

struct writers {
	struct writer *w;
	size_t n;
	int efd; /* readable when a job is done (an eventfd) */
};

/* Starts n writer threads. They connect (dsn, statement timeout) when first given a job,
 * and again after losing the connection. 0, or -1 with err set. */
int writers_start(struct writers *ws, size_t n, const char *dsn, long statement_timeout_ms,
                  struct ls_err *err) LS_MUST_CHECK;
/* Waits for the jobs under way to end, then stops the threads. Finished jobs not yet taken
 * stay takeable until writers_free. */
void writers_stop(struct writers *ws);
void writers_free(struct writers *ws);

/* Hands job to writer i: 0, or -1 when it is busy. */
int writers_submit(struct writers *ws, size_t i, const struct writer_job *job);
/* 1 when writer i has no job (under way or finished and not taken). */
int writers_idle(struct writers *ws, size_t i);
/* Moves one finished job to out: 1, or 0 when none is finished. */
int writers_take_done(struct writers *ws, struct writer_job *out);
/* Writers with a job under way or finished and not yet taken. */
size_t writers_busy(struct writers *ws);

#endif
