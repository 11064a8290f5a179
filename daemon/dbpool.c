/* dbpool.c: the API's connection pool: a mutex, a condition variable and lazy reconnects. */
#include "dbpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "metrics.h"

struct dbpool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char *dsn;
	long statement_timeout_ms;
	PGconn **idle; /* open connections not in use */
	size_t nidle;
	size_t size;       /* most connections at once */
	size_t out;        /* handed out, plus being opened */
	size_t lost;       /* connections closed after a loss, not yet replaced */
	PGconn **prepared; /* open connections that dbpool_get_prepared has prepared */
	size_t nprepared;
};

struct dbpool *
dbpool_new(const char *dsn, long statement_timeout_ms, size_t size, struct ls_err *err)
{
	struct dbpool *p = calloc(1, sizeof(*p));

	if (p == NULL || (p->idle = calloc(size ? size : 1, sizeof(*p->idle))) == NULL ||
	    (p->prepared = calloc(size ? size : 1, sizeof(*p->prepared))) == NULL ||
	    (p->dsn = strdup(dsn)) == NULL) {
		if (p != NULL) {
			free(p->idle);
			free(p->prepared);
		}
		free(p);
		ls_err_set(err, "out of memory");
		return NULL;
	}
	p->statement_timeout_ms = statement_timeout_ms;
	p->size = size ? size : 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	return p;
}

void
dbpool_free(struct dbpool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nidle; i++)
		PQfinish(p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->idle);
	free(p->prepared);
	free(p->dsn);
	free(p);
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

PGconn *
dbpool_get(struct dbpool *p, int wait_ms, struct ls_err *err)
{
	struct timespec until;
	PGconn *conn = NULL;
	int reconnect = 0;

	deadline_after(&until, wait_ms);
	pthread_mutex_lock(&p->lock);
	while (p->nidle == 0 && p->out >= p->size)
		if (pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&p->lock);
			ls_err_set(err, "all %zu database connections are busy", p->size);
			return NULL;
		}
	p->out++;
	if (p->nidle > 0)
		conn = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	if (conn != NULL)
		return conn;
	/* Connecting can take a while: outside the lock, with the slot reserved. */
	conn = db_connect(p->dsn, p->statement_timeout_ms, err);
	pthread_mutex_lock(&p->lock);
	if (conn == NULL) {
		p->out--;
		pthread_cond_signal(&p->freed);
	} else if ((reconnect = p->lost > 0) != 0) {
		p->lost--;
	}
	pthread_mutex_unlock(&p->lock);
	if (conn != NULL && reconnect)
		metrics_db_reconnect(METRICS_CONN_API);
	return conn;
}

/* The index of conn among the prepared connections, or nprepared. The caller holds the lock. */
static size_t
prepared_at(const struct dbpool *p, const PGconn *conn)
{
	size_t i;

	for (i = 0; i < p->nprepared && p->prepared[i] != conn; i++)
		;
	return i;
}

PGconn *
dbpool_get_prepared(struct dbpool *p, int wait_ms, int (*prepare)(PGconn *, struct ls_err *),
                    struct ls_err *err)
{
	PGconn *conn = dbpool_get(p, wait_ms, err);
	int known;

	if (conn == NULL)
		return NULL;
	pthread_mutex_lock(&p->lock);
	known = prepared_at(p, conn) < p->nprepared;
	pthread_mutex_unlock(&p->lock);
	if (known)
		return conn;
	if (prepare(conn, err) < 0) {
		/* Some statements may be prepared, some not: the connection goes. */
		if (!db_connection_lost(conn)) {
			PQfinish(conn);
			conn = NULL;
		}
		dbpool_put(p, conn);
		return NULL;
	}
	pthread_mutex_lock(&p->lock);
	/* At most size connections are open at once, and each is listed once. */
	if (p->nprepared < p->size)
		p->prepared[p->nprepared++] = conn;
	pthread_mutex_unlock(&p->lock);
	return conn;
}

void
dbpool_put(struct dbpool *p, PGconn *conn)
{
	int lost = conn != NULL && db_connection_lost(conn);

	if (conn != NULL && (lost || PQtransactionStatus(conn) != PQTRANS_IDLE)) {
		size_t i;

		/* Off the list before it is freed: a new connection may get its address. */
		pthread_mutex_lock(&p->lock);
		if ((i = prepared_at(p, conn)) < p->nprepared)
			p->prepared[i] = p->prepared[--p->nprepared];
		pthread_mutex_unlock(&p->lock);
		PQfinish(conn);
		conn = NULL;
	}
	pthread_mutex_lock(&p->lock);
	p->lost += (size_t)lost;
	p->out--;
	if (conn != NULL)
		p->idle[p->nidle++] = conn;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}
