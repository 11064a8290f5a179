/* server.h: the daemon's event loop: sockets, batches, the database connection, signals. */
#ifndef LS_SERVER_H
#define LS_SERVER_H

#include <libpq-fe.h>
#include <stdint.h>

#include "api.h"
#include "batcher.h"
#include "config.h"
#include "ingest.h"
#include "publish.h"
#include "scorer.h"
#include "writer.h"
#include "zap.h"

struct server_stats {
	long batches, applied, duplicates, dead, forgotten, db_reconnects, split_batches;
};

struct server {
	struct config *cfg;
	char *config_path;
	void *zctx;
	void *pull, *router, *sub;
	void *api_router; /* the API's events and outcomes (inproc), acknowledged like router */
	struct api *api;  /* HTTP and request/reply servers; NULL when both are off */
	struct publisher pub;
	struct zap *zap; /* CURVE's ZAP handler; NULL when curve.enabled is off */
	PGconn *conn;
	int64_t db_retry_at_us; /* monotonic; when to try reconnecting */
	int64_t db_backoff_ms;
	struct scorer *scorer;
	char *model_path; /* bundle in force; NULL: starter */
	struct batcher batcher;
	struct writers writers; /* apply the sealed batches, database.writers at once */
	size_t inflight;        /* members of the batches the writers hold */
	size_t held_peak;       /* most members held since the last trim */
	int64_t trim_next_us;   /* monotonic; when free memory goes back at the latest */
	int barrier_inflight;   /* a forget batch is being applied: it runs alone */
	int scorer_wanted;      /* a model or config change waits for the writers to be idle */
	struct ingest_limits limits;
	struct ingest_stats istats;
	struct server_stats stats;
	int64_t clock_us;          /* stream clock: newest event time seen, never past now + skew */
	int64_t roi_next_us;       /* monotonic; when the next roi message is due */
	int64_t flush_retry_at_us; /* monotonic; after a transient error, when to try again */
	int64_t retention_next_us; /* monotonic; when the next retention pass is due */
	int64_t flush_backoff_ms;
	int sigfd;
	int stopping;
	int reload_wanted;
};

/* Loads the config, binds every socket, connects, loads the model. 0 or -1 (logged). */
int server_init(struct server *s, const char *config_path) LS_MUST_CHECK;
/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int server_run(struct server *s);
void server_free(struct server *s);

#endif
