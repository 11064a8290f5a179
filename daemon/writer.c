/* writer.c: the batch writer threads: a job slot each, a condition variable to wake them, an
 * eventfd to wake the event loop when a job is done. */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "db.h"

enum slot { SLOT_IDLE, SLOT_QUEUED, SLOT_DONE };

struct writer {
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	enum slot slot;
	int stop;
	struct writer_job job;
	PGconn *conn;
	char *dsn;
	long statement_timeout_ms;
	int efd;
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Runs one job on the writer's connection, connecting first when there is none. */
static void
run_job(struct writer *w, struct writer_job *job)
{
	int64_t t0 = mono_us();

	job->lost = 0;
	job->sqlstate[0] = '\0';
	if (w->conn == NULL) {
		w->conn = db_connect(w->dsn, w->statement_timeout_ms, &job->err);
		if (w->conn == NULL) {
			job->rc = -1;
			job->lost = 1;
			return;
		}
	}
	job->rc = apply_batch(w->conn, job->batch, job->scorer, &job->opts, job->as_of_us,
	                      &job->res, &job->err);
	job->took_us = mono_us() - t0;
	if (job->rc == 0)
		return;
	memcpy(job->sqlstate, db_last_sqlstate(), sizeof(job->sqlstate));
	if (db_connection_lost(w->conn)) {
		job->lost = 1;
		PQfinish(w->conn);
		w->conn = NULL;
	}
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->slot != SLOT_QUEUED && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->slot != SLOT_QUEUED)
			break;
		pthread_mutex_unlock(&w->lock);
		run_job(w, &w->job);
		pthread_mutex_lock(&w->lock);
		w->slot = SLOT_DONE;
		/* An eventfd counter only fails to add past 2^64 - 2: never here. */
		while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&w->lock);
	if (w->conn != NULL)
		PQfinish(w->conn);
	w->conn = NULL;
	return NULL;
}

int
writers_start(struct writers *ws, size_t n, const char *dsn, long statement_timeout_ms,
              struct ls_err *err)
{
	memset(ws, 0, sizeof(*ws));
	ws->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ws->efd < 0)
		return ls_err_set(err, "eventfd: %s", strerror(errno));
	ws->w = calloc(n, sizeof(*ws->w));
	if (ws->w == NULL) {
		writers_free(ws);
		return ls_err_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct writer *w = &ws->w[i];
		int rc;

		w->efd = ws->efd;
		w->statement_timeout_ms = statement_timeout_ms;
		if ((w->dsn = strdup(dsn != NULL ? dsn : "")) == NULL) {
			writers_free(ws);
			return ls_err_set(err, "out of memory");
		}
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->wake, NULL);
		ws->n++;
		if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
			writers_free(ws);
			return ls_err_set(err, "cannot start a batch writer: %s", strerror(rc));
		}
		w->started = 1;
	}
	return 0;
}

void
writers_stop(struct writers *ws)
{
	for (size_t i = 0; i < ws->n; i++) {
		struct writer *w = &ws->w[i];

		if (!w->started)
			continue;
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		w->started = 0;
	}
}

void
writers_free(struct writers *ws)
{
	writers_stop(ws);
	for (size_t i = 0; i < ws->n; i++) {
		pthread_mutex_destroy(&ws->w[i].lock);
		pthread_cond_destroy(&ws->w[i].wake);
		free(ws->w[i].dsn);
	}
	free(ws->w);
	if (ws->efd >= 0)
		close(ws->efd);
	memset(ws, 0, sizeof(*ws));
	ws->efd = -1;
}

int
writers_submit(struct writers *ws, size_t i, const struct writer_job *job)
{
	struct writer *w = &ws->w[i];
	int taken = 0;

	if (i >= ws->n)
		return -1;
	pthread_mutex_lock(&w->lock);
	if (w->slot == SLOT_IDLE && w->started) {
		w->job = *job;
		w->job.writer = i;
		memset(&w->job.res, 0, sizeof(w->job.res));
		w->slot = SLOT_QUEUED;
		pthread_cond_signal(&w->wake);
		taken = 1;
	}
	pthread_mutex_unlock(&w->lock);
	return taken ? 0 : -1;
}

int
writers_idle(struct writers *ws, size_t i)
{
	int idle;

	if (i >= ws->n)
		return 0;
	pthread_mutex_lock(&ws->w[i].lock);
	idle = ws->w[i].slot == SLOT_IDLE && ws->w[i].started;
	pthread_mutex_unlock(&ws->w[i].lock);
	return idle;
}

int
writers_take_done(struct writers *ws, struct writer_job *out)
{
	uint64_t count;

	/* Cleared first: a job finishing meanwhile writes it again. */
	while (ws->efd >= 0 && read(ws->efd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < ws->n; i++) {
		struct writer *w = &ws->w[i];
		int done;

		pthread_mutex_lock(&w->lock);
		done = w->slot == SLOT_DONE;
		if (done) {
			*out = w->job;
			w->slot = SLOT_IDLE;
		}
		pthread_mutex_unlock(&w->lock);
		if (done) {
			uint64_t again = 1;

			/* Others may be done too: keep the eventfd readable until all are taken. */
			while (write(ws->efd, &again, sizeof(again)) < 0 && errno == EINTR)
				;
			return 1;
		}
	}
	return 0;
}

size_t
writers_busy(struct writers *ws)
{
	size_t busy = 0;

	for (size_t i = 0; i < ws->n; i++) {
		pthread_mutex_lock(&ws->w[i].lock);
		busy += ws->w[i].slot != SLOT_IDLE;
		pthread_mutex_unlock(&ws->w[i].lock);
	}
	return busy;
}
