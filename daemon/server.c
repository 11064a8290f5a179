/* server.c: the event loop: poll, take messages in, seal batches, commit, acknowledge, publish. */
#include "server.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "apply.h"
#include "db.h"
#include "log.h"
#include "marks.h"
#include "metrics.h"
#include "migrations.h"
#include "roi_config.h"
#include "roi_store.h"
#include "retention.h"
#include "store.h"
#include "zap.h"
#include "zsock.h"

#define CLOCK_SKEW_US (5LL * 60 * 1000000) /* how far past now an event may move the clock */
#define READS_PER_WAKEUP 256               /* messages per socket per loop turn */
#define TRIM_INTERVAL_US (60LL * 1000000) /* free memory goes back at least this often */
#define BACKLOG_TRIM_MEMBERS 5000	  /* a backlog past this is worth giving memory back after */
#define DRAIN_DEADLINE_US (20LL * 1000000) /* SIGTERM: how long to keep retrying the database */

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The writer of a batch's partition. */
static size_t
part_writer(const struct server *s, const struct batch *b)
{
	return b->part < 0 ? 0 : (size_t)b->part % s->writers.n;
}

/* Members taken in and not yet committed: queued, or with a writer. */
static size_t
held(const struct server *s)
{
	return s->batcher.pending + s->inflight;
}

/* A backlog (a database outage, a burst) or a slow subscriber (messages queued in ZeroMQ) grows
 * the heap, the writer threads' arenas too, and malloc keeps what is freed. So once the load
 * is back to a batch's worth, after a backlog and at least once a minute, the free memory goes
 * back to the system: a long-running daemon's RSS follows its load, not its worst moment. */
static void
trim_after_backlog(struct server *s)
{
	size_t now = held(s);
	int64_t t = mono_us();

	if (now > s->held_peak)
		s->held_peak = now;
	if (now > s->batcher.max_events)
		return;
	if (s->held_peak > BACKLOG_TRIM_MEMBERS || t >= s->trim_next_us) {
		s->held_peak = 0;
		s->trim_next_us = t + TRIM_INTERVAL_US;
		malloc_trim(0);
	}
}

static void
apply_config(struct server *s)
{
	log_set_level((enum log_level)s->cfg->daemon_log_level);
	s->limits.max_bytes = (size_t)s->cfg->ingest_max_message_bytes;
	s->limits.max_events = (size_t)s->cfg->ingest_max_batch_events;
	s->limits.dead_keep = (size_t)s->cfg->ingest_dead_letter_bytes;
	s->batcher.max_events = (size_t)s->cfg->batch_max_events;
}

static int
setup_signals(struct server *s)
{
	sigset_t mask;

	/* Blocked before ZeroMQ starts its threads, so only our signalfd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		log_warn("sigprocmask");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0) {
		log_warn("signalfd");
		return -1;
	}
	return 0;
}

static void *
bind_input(struct server *s, int type, char *const *endpoints, size_t n, const char *what)
{
	struct ls_err err;
	void *sock;

	if (n == 0)
		return NULL;
	sock = zsock_bind_all(s->zctx, type, endpoints, n, (int)s->cfg->ingest_rcvhwm, &err);
	if (sock == NULL) {
		log_error("%s: %s", what, err.msg);
		return NULL;
	}
	/* A hard ceiling far above the configured limit: past it ZeroMQ drops the
	 * peer instead of letting one message take the daemon's memory. */
	int64_t cap = (int64_t)s->cfg->ingest_max_message_bytes * 4 + 65536;
	if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &cap, sizeof(cap)) < 0)
		log_warnx("%s: cannot set ZMQ_MAXMSGSIZE: %s", what, zmq_strerror(zmq_errno()));
	return sock;
}

static void *
connect_sub(struct server *s)
{
	void *sock = zmq_socket(s->zctx, ZMQ_SUB);
	int hwm = (int)s->cfg->ingest_rcvhwm;
	struct ls_err err;

	if (sock == NULL || zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0)
		goto fail;
	if (zap_secure_connect(s->zap, sock, s->cfg->curve_sub_server_key, &err) < 0) {
		log_error("ingest.sub: %s", err.msg);
		zmq_close(sock);
		return NULL;
	}
	if (s->cfg->ningest_subscribe == 0 && zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0) < 0)
		goto fail;
	for (size_t i = 0; i < s->cfg->ningest_subscribe; i++)
		if (zmq_setsockopt(sock, ZMQ_SUBSCRIBE, s->cfg->ingest_subscribe[i],
		                   strlen(s->cfg->ingest_subscribe[i])) < 0)
			goto fail;
	for (size_t i = 0; i < s->cfg->ningest_sub; i++)
		if (zmq_connect(sock, s->cfg->ingest_sub[i]) < 0) {
			log_error("ingest.sub: cannot connect %s: %s", s->cfg->ingest_sub[i],
			          zmq_strerror(zmq_errno()));
			zmq_close(sock);
			return NULL;
		}
	return sock;
fail:
	log_error("ingest.sub: %s", zmq_strerror(zmq_errno()));
	if (sock != NULL)
		zmq_close(sock);
	return NULL;
}

static int
db_open(struct server *s)
{
	struct ls_err err;

	s->conn = db_connect(s->cfg->database_dsn, s->cfg->database_statement_timeout_ms, &err);
	if (s->conn == NULL) {
		log_error("%s", err.msg);
		return -1;
	}
	if (migrations_check(s->conn, &err) < 0 ||
	    db_exec(s->conn, "LISTEN leadscore_models", &err) < 0) {
		log_error("%s", err.msg);
		PQfinish(s->conn);
		s->conn = NULL;
		return -1;
	}
	metrics_set_db_up(1);
	return 0;
}

static void
db_lost(struct server *s, const char *why)
{
	int64_t max = s->cfg->database_reconnect_max_ms;

	log_warnx("database unavailable (%s); holding %zu members, retrying", why, held(s));
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	metrics_set_db_up(0);
	s->db_backoff_ms = s->db_backoff_ms ? s->db_backoff_ms * 2 : 100;
	if (s->db_backoff_ms > max)
		s->db_backoff_ms = max;
	s->db_retry_at_us = mono_us() + s->db_backoff_ms * 1000;
}

static void
db_retry(struct server *s)
{
	if (s->conn != NULL || mono_us() < s->db_retry_at_us)
		return;
	if (db_open(s) < 0) {
		db_lost(s, "reconnect failed");
		return;
	}
	s->stats.db_reconnects++;
	metrics_db_reconnect(METRICS_CONN_INGEST);
	s->db_backoff_ms = 0;
	log_info("database connection restored");
}

/* Resolves the registry's active bundle to a directory (relative paths under model.dir). */
static char *
active_model_path(struct server *s, char **version, struct ls_err *err)
{
	char *path = NULL, *full;
	size_t n;

	if (store_active_model(s->conn, version, &path, err) < 0 || path == NULL)
		return NULL;
	if (path[0] == '/')
		return path;
	n = strlen(s->cfg->model_dir) + strlen(path) + 2;
	full = malloc(n);
	if (full != NULL)
		snprintf(full, n, "%s/%s", s->cfg->model_dir, path);
	free(path);
	return full;
}

/* Of several daemons switching to one version, the first announces it; a reload that
 * changed nothing announces nothing. When the mark cannot be moved, announcing twice is
 * better than not at all. */
static void
publish_model(struct server *s)
{
	const char *version = model_version(s->scorer->model);
	const json_t *manifest = model_manifest(s->scorer->model);
	struct ls_err err = {{0}};
	int ours = s->conn != NULL ? marks_take_model(s->conn, version, &err) : 1;
	json_t *msg;

	if (ours == 0)
		return;
	if (ours < 0)
		log_warnx("announcing model %s: %s", version, err.msg);
	msg = json_pack("{s:s, s:s, s:O?}", "version", version, "kind",
	                model_kind(s->scorer->model), "metrics",
	                manifest ? json_object_get(manifest, "metrics") : NULL);
	if (msg != NULL) {
		publisher_send(&s->pub, "model", msg);
		json_decref(msg);
	}
}

/* Loads spec and model aside and swaps them in only when both are good. */
static int
load_scorer(struct server *s, int announce)
{
	struct ls_err err = {{0}};
	char *version = NULL, *path = NULL;
	struct scorer *sc;

	if (s->conn != NULL) {
		path = active_model_path(s, &version, &err);
		if (path == NULL && err.msg[0] != '\0') {
			log_error("model registry: %s; keeping the current model", err.msg);
			free(version);
			return -1;
		}
	}
	sc = scorer_load(s->cfg->features_spec, path, (size_t)s->cfg->score_reasons, &err);
	if (sc == NULL && path != NULL && s->scorer == NULL) {
		/* At start there is no model to keep: rather than refuse events, the starter
		 * model scores until the registry names a bundle that loads. */
		log_error("model %s: %s; the starter model scores until a model that loads is "
		          "promoted",
		          version, err.msg);
		free(path);
		path = NULL;
		sc = scorer_load(s->cfg->features_spec, NULL, (size_t)s->cfg->score_reasons, &err);
	}
	if (sc == NULL) {
		log_error("%s; keeping the current model", err.msg);
		free(version);
		free(path);
		return -1;
	}
	if (s->api != NULL && api_set_spec(s->api, s->cfg->features_spec, &err) < 0)
		log_warnx("lead detail keeps its feature spec: %s", err.msg);
	scorer_free(s->scorer);
	s->scorer = sc;
	free(s->model_path);
	s->model_path = path;
	free(version);
	metrics_set_model(model_version(sc->model), model_kind(sc->model));
	log_info("model %s (%s) in force%s", model_version(sc->model), model_kind(sc->model),
	         path ? "" : ": no trained model is active, the starter model scores");
	if (announce)
		publish_model(s);
	return 0;
}

static int
write_endpoints(struct server *s)
{
	char tmp[4096], ep[256];
	void *socks[] = {s->pull, s->router, s->pub.sock};
	const char *names[] = {"pull", "router", "pub"};
	int http_port = api_http_port(s->api);
	FILE *f;

	if (s->cfg->daemon_endpoints_file[0] == '\0')
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->cfg->daemon_endpoints_file);
	f = fopen(tmp, "w");
	if (f == NULL) {
		log_warn("cannot write %s", tmp);
		return -1;
	}
	for (size_t i = 0; i < 3; i++) {
		if (socks[i] == NULL)
			continue;
		zsock_last_endpoint(socks[i], ep, sizeof(ep));
		fprintf(f, "%s=%s\n", names[i], ep);
	}
	api_rep_endpoint(s->api, ep, sizeof(ep));
	if (ep[0] != '\0')
		fprintf(f, "rep=%s\n", ep);
	if (http_port > 0)
		fprintf(f, "http=%d\n", http_port);
	if (fclose(f) != 0 || rename(tmp, s->cfg->daemon_endpoints_file) < 0) {
		log_warn("cannot write %s", s->cfg->daemon_endpoints_file);
		return -1;
	}
	return 0;
}

/* The HTTP and request/reply APIs, and the inproc ROUTER their events come in on. */
static int
start_api(struct server *s)
{
	char *inproc[] = {API_INGEST_ENDPOINT};
	struct ls_err err;

	if (s->cfg->api_http[0] == '\0' && s->cfg->napi_rep == 0)
		return 0;
	s->api_router =
	    zsock_bind_all(s->zctx, ZMQ_ROUTER, inproc, 1, (int)s->cfg->ingest_rcvhwm, &err);
	if (s->api_router == NULL) {
		log_error("api: %s", err.msg);
		return -1;
	}
	s->api = api_start(s->cfg, s->zctx, &err);
	if (s->api == NULL) {
		log_error("%s", err.msg);
		return -1;
	}
	return 0;
}

int
server_init(struct server *s, const char *config_path)
{
	struct ls_err err;

	memset(s, 0, sizeof(*s));
	s->sigfd = -1;
	s->writers.efd = -1;
	s->config_path = strdup(config_path);
	s->cfg = config_load(config_path, &err);
	if (s->config_path == NULL || s->cfg == NULL) {
		log_error("%s", s->cfg ? "out of memory" : err.msg);
		return -1;
	}
	apply_config(s);
	if (setup_signals(s) < 0)
		return -1;
	s->zctx = zmq_ctx_new();
	if (s->zctx == NULL) {
		log_error("zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	/* Before any bind: a CURVE socket bound with no ZAP handler would admit any key. */
	if (zap_start(s->zctx, s->cfg, &s->zap, &err) < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	s->pull = bind_input(s, ZMQ_PULL, s->cfg->ingest_pull, s->cfg->ningest_pull, "ingest.pull");
	s->router = bind_input(s, ZMQ_ROUTER, s->cfg->ingest_router, s->cfg->ningest_router,
	                       "ingest.router");
	s->sub = s->cfg->ningest_sub ? connect_sub(s) : NULL;
	if ((s->cfg->ningest_pull && !s->pull) || (s->cfg->ningest_router && !s->router) ||
	    (s->cfg->ningest_sub && !s->sub))
		return -1;
	if (publisher_open(&s->pub, s->zctx, s->cfg->publish_pub, s->cfg->npublish_pub,
	                   (int)s->cfg->publish_sndhwm, &err) < 0) {
		log_error("publish.pub: %s", err.msg);
		return -1;
	}
	if (db_open(s) < 0 || load_scorer(s, 0) < 0)
		return -1;
	batcher_set_parts(&s->batcher, (size_t)s->cfg->database_writers);
	if (writers_start(&s->writers, (size_t)s->cfg->database_writers, s->cfg->database_dsn,
	                  s->cfg->database_statement_timeout_ms, &err) < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	if (start_api(s) < 0 || write_endpoints(s) < 0)
		return -1;
	sd_notify(0, "READY=1\nSTATUS=taking events");
	log_info("ready");
	return 0;
}

static void
reload(struct server *s)
{
	struct ls_err err;
	struct config *cfg;
	char changed[512];

	sd_notify(0, "RELOADING=1");
	cfg = config_load(s->config_path, &err);
	if (cfg == NULL) {
		log_error("reload: %s; keeping the current configuration", err.msg);
	} else {
		if (config_diff_unreloadable(s->cfg, cfg, changed, sizeof(changed)) > 0)
			log_warnx("reload: a restart is needed for: %s", changed);
		if (s->api != NULL && api_reload(s->api, cfg, &err) < 0)
			log_error("reload: %s; keeping the current tokens", err.msg);
		if (zap_reload(s->zap, cfg, &err) < 0)
			log_error("reload: %s; keeping the current client keys", err.msg);
		config_free(s->cfg);
		s->cfg = cfg;
		apply_config(s);
		log_info("configuration reloaded");
	}
	s->scorer_wanted = 1;
	sd_notify(0, "READY=1");
}

static void
handle_signals(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			s->reload_wanted = 1;
		} else if (!s->stopping) {
			log_info("signal %u: stopping intake, committing what is held",
			         si.ssi_signo);
			sd_notify(0, "STOPPING=1");
			s->stopping = 1;
			api_set_stopping(s->api);
		}
	}
}

static void
handle_notifies(struct server *s)
{
	PGnotify *n;
	int models = 0;

	if (s->conn == NULL)
		return;
	if (!PQconsumeInput(s->conn)) {
		db_lost(s, PQerrorMessage(s->conn));
		return;
	}
	while ((n = PQnotifies(s->conn)) != NULL) {
		models |= strcmp(n->relname, "leadscore_models") == 0;
		PQfreemem(n);
	}
	if (models)
		s->scorer_wanted = 1;
}

/* The writers hold the scorer while they apply a batch: it is swapped only when they are
 * idle, and no batch is handed out while a swap is waiting. */
static void
swap_scorer_when_idle(struct server *s)
{
	if (!s->scorer_wanted || writers_busy(&s->writers) > 0)
		return;
	s->scorer_wanted = 0;
	(void)load_scorer(s, 1);
}

static void
ack_member(struct ack *ack, enum item_status st, struct server *s)
{
	if (ack == NULL)
		return;
	if (st == ITEM_APPLIED)
		ack->accepted++;
	else if (st == ITEM_DUPLICATE)
		ack->duplicates++;
	if (--ack->pending == 0)
		ingest_ack_done(ack, &s->istats);
}

static void
finish_batch(struct server *s, struct batch *b, struct apply_result *res)
{
	s->stats.batches++;
	s->stats.applied += res->applied;
	s->stats.duplicates += res->duplicates;
	s->stats.dead += res->dead;
	s->stats.forgotten += res->forgotten;
	publisher_scores(&s->pub, res, model_version(s->scorer->model), s->cfg->publish_hot);
	for (size_t i = 0; i < b->nevents; i++) {
		metrics_event(b->events[i].ev.type, b->events[i].status == ITEM_DUPLICATE
		                                        ? METRICS_DUPLICATE
		                                        : METRICS_APPLIED);
		ack_member(b->events[i].ack, b->events[i].status, s);
	}
	for (size_t i = 0; i < b->ndead; i++)
		ack_member(b->dead[i].ack, ITEM_PENDING, s);
	batch_free(b);
}

/* Drops a batch that can never be committed; its senders get no reply. */
static void
abandon_batch(struct server *s, struct batch *b)
{
	for (size_t i = 0; i < b->nevents; i++)
		if (b->events[i].ack != NULL) {
			b->events[i].ack->failed = 1;
			ack_member(b->events[i].ack, ITEM_PENDING, s);
		}
	for (size_t i = 0; i < b->ndead; i++)
		if (b->dead[i].ack != NULL) {
			b->dead[i].ack->failed = 1;
			ack_member(b->dead[i].ack, ITEM_PENDING, s);
		}
	batch_free(b);
}

/* The database refused a single event: it becomes a dead letter with the reason. */
static int
event_to_dead(struct batch *b, const char *why, size_t keep)
{
	struct batch_event *be = &b->events[0];
	char reason[160];
	json_t *doc = event_to_json(&be->ev);
	char *raw = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	int rc;

	json_decref(doc);
	snprintf(reason, sizeof(reason), "could not apply the event: %.130s", why);
	if (raw == NULL)
		return -1;
	metrics_event(be->ev.type, METRICS_REJECTED);
	metrics_reject(METRICS_REJECT_DATABASE);
	if (be->ack != NULL && ack_reject(be->ack, be->index, be->ev.id, reason) < 0) {
		free(raw);
		return -1;
	}
	rc = batch_add_dead(b, "db", reason, raw, strlen(raw), keep, be->ev.source, be->ev.id,
	                    be->ev.subject, be->ack);
	free(raw);
	if (rc < 0)
		return -1;
	if (be->ack != NULL)
		be->ack->pending--; /* the dead letter took the event's place */
	event_clear(&be->ev);
	memmove(b->events, b->events + 1, (b->nevents - 1) * sizeof(*b->events));
	b->nevents--;
	return 0;
}

/* A statement error that is not a lost connection: bisect until the bad member is alone. */
static void
isolate_failure(struct server *s, struct batch *b, const char *why)
{
	struct batch *half;

	if (batch_size(b) > 1) {
		size_t ev_mid = b->nevents / 2, dead_mid = b->ndead / 2;

		if (b->nevents == 0 || (b->nevents == 1 && b->ndead > 0))
			ev_mid = b->nevents, dead_mid = b->ndead / 2;
		half = batch_split(b, ev_mid, dead_mid);
		if (half != NULL) {
			s->stats.split_batches++;
			batcher_push_front(&s->batcher, half);
			batcher_push_front(&s->batcher, b);
			return;
		}
	} else if (b->nevents == 1 && event_to_dead(b, why, s->limits.dead_keep) == 0) {
		batcher_push_front(&s->batcher, b);
		return;
	}
	log_error("dropping %zu members the database will not take: %s", batch_size(b), why);
	abandon_batch(s, b);
}

static void
advance_clock(struct server *s, const struct batch *b)
{
	int64_t limit = wall_us() + CLOCK_SKEW_US;

	for (size_t i = 0; i < b->nevents; i++) {
		int64_t t = b->events[i].ev.time_us;

		if (t > s->clock_us)
			s->clock_us = t < limit ? t : limit;
	}
}

/* A timeout, deadlock or lock wait: nothing is wrong with the batch, so it waits whole
 * (with backoff, up to database.reconnect_max_ms) rather than being split. */
static void
flush_later(struct server *s, struct batch *b, const char *sqlstate, const char *why)
{
	int64_t max = s->cfg->database_reconnect_max_ms;

	batcher_push_front(&s->batcher, b);
	s->flush_backoff_ms = s->flush_backoff_ms ? s->flush_backoff_ms * 2 : 50;
	if (s->flush_backoff_ms > max)
		s->flush_backoff_ms = max;
	s->flush_retry_at_us = mono_us() + s->flush_backoff_ms * 1000;
	metrics_batch_retried();
	log_warnx("batch of %zu will be retried in %lld ms (SQLSTATE %s): %s", batch_size(b),
	          (long long)s->flush_backoff_ms, sqlstate, why);
}

/* What came of a batch a writer applied: acknowledged and published, or back in the queue. */
static void
batch_done(struct server *s, struct writer_job *job)
{
	struct batch *b = job->batch;

	s->inflight -= batch_size(b);
	if (b->barrier)
		s->barrier_inflight = 0;
	if (job->rc == 0) {
		log_debug("batch of %zu committed by writer %zu in %lld us", batch_size(b),
		          job->writer, (long long)job->took_us);
		metrics_batch(batch_size(b), job->took_us);
		finish_batch(s, b, &job->res);
		apply_result_clear(&job->res);
		s->flush_backoff_ms = 0;
		return;
	}
	if (job->lost) {
		batcher_push_front(&s->batcher, b);
		if (s->conn != NULL)
			db_lost(s, job->err.msg);
		return;
	}
	if (db_sqlstate_transient(job->sqlstate)) {
		flush_later(s, b, job->sqlstate, job->err.msg);
		return;
	}
	log_warnx("batch of %zu refused: %s", batch_size(b), job->err.msg);
	isolate_failure(s, b, job->err.msg);
}

static void
collect(struct server *s)
{
	struct writer_job job;

	while (writers_take_done(&s->writers, &job))
		batch_done(s, &job);
}

/* Partitions with a sealed batch waiting, as a bit mask. */
static uint32_t
queued_parts(const struct server *s)
{
	uint32_t mask = 0;

	for (const struct batch *b = s->batcher.head; b != NULL; b = b->next)
		mask |= 1u << part_writer(s, b);
	return mask;
}

/* Partition k's open batch is sealed by age only when writer k could take it at once:
 * while the writer is busy the batch keeps growing (up to batch.max_events), so a loaded
 * daemon writes big batches and an idle one answers within batch.max_latency_ms. */
static uint32_t
sealable_parts(struct server *s)
{
	uint32_t waiting = queued_parts(s), mask = 0;

	for (size_t k = 0; k < s->writers.n; k++)
		if (!(waiting & (1u << k)) && writers_idle(&s->writers, k))
			mask |= 1u << k;
	return mask;
}

static void
seal_by_age(struct server *s)
{
	uint32_t sealable;

	if (s->stopping) {
		batcher_seal(&s->batcher, mono_us(), -1);
		return;
	}
	sealable = sealable_parts(s);
	for (size_t k = 0; k < s->writers.n; k++)
		if (sealable & (1u << k))
			batcher_seal_part(&s->batcher, k, mono_us(),
			                  s->cfg->batch_max_latency_ms * 1000);
}

/* Takes b (after prev) from the queue and hands it to an idle writer. */
static void
dispatch(struct server *s, struct batch *prev, struct batch *b, size_t writer)
{
	struct writer_job job = {0};

	batcher_take(&s->batcher, prev, b);
	advance_clock(s, b);
	job.batch = b;
	job.scorer = s->scorer;
	job.opts =
	    (struct apply_opts){(int)s->cfg->score_publish_delta, s->cfg->roi_holdout_percent};
	job.as_of_us = s->clock_us;
	if (writers_submit(&s->writers, writer, &job) < 0) {
		/* Only this thread hands out jobs, and the writer was idle: not reached. */
		batcher_push_front(&s->batcher, b);
		return;
	}
	s->inflight += batch_size(b);
	s->barrier_inflight = b->barrier;
}

/* Hands sealed batches to idle writers while the database is there: partition k's to
 * writer k, in queue order, so a contact's batches are applied one after the other and the
 * writers never wait on each other's row locks. A forget batch waits for every writer to be
 * idle and runs alone. */
static void
flush(struct server *s)
{
	struct batch *prev = NULL, *b;
	uint32_t blocked = 0; /* partitions with an earlier batch still queued */

	if (mono_us() < s->flush_retry_at_us)
		return;
	b = s->batcher.head;
	while (s->conn != NULL && !s->scorer_wanted && !s->barrier_inflight && b != NULL) {
		struct batch *next = b->next;
		size_t k = part_writer(s, b);

		if (b->barrier) {
			if (prev == NULL && writers_busy(&s->writers) == 0)
				dispatch(s, NULL, b, 0);
			return; /* nothing passes a forget */
		}
		if (!(blocked & (1u << k)) && writers_idle(&s->writers, k)) {
			dispatch(s, prev, b, k);
			b = next; /* prev stays: b left the queue */
			continue;
		}
		blocked |= 1u << k;
		prev = b;
		b = next;
	}
}

/* Every roi.publish_interval: the daily roll-ups of the window brought up to date, and
 * the window's figures published on topic roi. */
static void
roi_tick(struct server *s)
{
	static const char *const windows[] = {"day", "week", "month"};
	const char *window = windows[s->cfg->roi_window % 3];
	int64_t to = wall_us(), from = to - roi_window_us(window);
	struct roi_window_data w;
	struct roi_params p;
	struct ls_err err;
	json_t *report;
	int ours;

	if (s->conn == NULL || mono_us() < s->roi_next_us)
		return;
	s->roi_next_us = mono_us() + s->cfg->roi_publish_interval * 1000000;
	/* Of several daemons on the database, one publishes each interval. */
	ours = marks_take_roi(s->conn, s->cfg->roi_publish_interval, &err);
	if (ours == 0)
		return;
	roi_params_from_config(s->cfg, &p);
	if (ours < 0 || roi_store_persist_days(s->conn, from, to, &err) < 0 ||
	    roi_store_window(s->conn, from, to, &w, &err) < 0) {
		if (db_connection_lost(s->conn))
			db_lost(s, err.msg);
		else
			log_warnx("roi figures: %s", err.msg);
		return;
	}
	report = roi_report_build(&w, &p, from, to, window, &err);
	roi_window_data_clear(&w);
	if (report == NULL) {
		log_warnx("roi figures: %s", err.msg);
		return;
	}
	publisher_send(&s->pub, "roi", report);
	json_decref(report);
}

/* Every retention.interval, one bounded pass; while a pass finds a full batch of work the
 * next comes a second later, so a backlog drains without holding up ingest. */
static void
retention_tick(struct server *s)
{
	struct retention_result r;
	struct ls_err err;
	long rows = s->cfg->retention_batch_rows;

	if (s->conn == NULL || mono_us() < s->retention_next_us || s->batcher.head != NULL)
		return;
	if (retention_pass(s->conn, s->cfg->retention_days, s->cfg->retention_dedupe_days, rows, &r,
	                   &err) < 0) {
		s->retention_next_us = mono_us() + s->cfg->retention_interval * 1000000;
		if (db_connection_lost(s->conn))
			db_lost(s, err.msg);
		else
			log_warnx("retention: %s", err.msg);
		return;
	}
	if (r.payloads_erased + r.keys_dropped + r.dead_dropped > 0)
		log_info(
		    "retention: %ld payloads erased, %ld event keys and %ld dead letters removed",
		    r.payloads_erased, r.keys_dropped, r.dead_dropped);
	if (r.payloads_erased == rows || r.keys_dropped == rows || r.dead_dropped == rows)
		s->retention_next_us = mono_us() + 1000000;
	else
		s->retention_next_us = mono_us() + s->cfg->retention_interval * 1000000;
}

static int
poll_timeout_ms(struct server *s)
{
	int64_t now = mono_us(), wait = 1000000;

	/* An open batch is due only when seal_by_age would seal it. Otherwise its writer's
	 * eventfd, or the database coming back, wakes us: waiting 0 here would spin while the
	 * database is away. */
	uint32_t sealable = sealable_parts(s);

	for (size_t k = 0; k < s->writers.n; k++) {
		const struct batch *open = s->batcher.open[k];
		int64_t due;

		if (open == NULL || !(sealable & (1u << k)))
			continue;
		due = open->opened_us + s->cfg->batch_max_latency_ms * 1000;
		if (due - now < wait)
			wait = due > now ? due - now : 0;
	}
	if (s->batcher.head != NULL && s->flush_retry_at_us > now &&
	    s->flush_retry_at_us - now < wait)
		wait = s->flush_retry_at_us - now;
	if (s->conn == NULL) {
		int64_t retry = s->db_retry_at_us > now ? s->db_retry_at_us - now : 0;

		wait = retry < wait ? retry : wait;
	}
	/* The periodic work is due at its time (under roi_tick's and retention_tick's own
	 * conditions): a wakeup in between must not put it off by another full wait. */
	if (s->conn != NULL && s->roi_next_us - now < wait)
		wait = s->roi_next_us > now ? s->roi_next_us - now : 0;
	if (s->conn != NULL && s->batcher.head == NULL && s->retention_next_us - now < wait)
		wait = s->retention_next_us > now ? s->retention_next_us - now : 0;
	return (int)((wait + 999) / 1000);
}

/* kinds[i] is the transport of items[i] (absent sockets are left out of items). */
static void
read_inputs(struct server *s, zmq_pollitem_t *items, const enum transport *kinds, size_t nitems)
{
	for (size_t i = 0; i < nitems; i++) {
		if (!(items[i].revents & ZMQ_POLLIN))
			continue;
		for (int n = 0; n < READS_PER_WAKEUP; n++) {
			struct ls_err err;
			int rc;

			if (held(s) >= (size_t)s->cfg->batch_max_pending)
				return;
			rc = ingest_read(items[i].socket, kinds[i], &s->batcher, &s->limits,
			                 mono_us(), &s->istats, &err);
			if (rc < 0)
				log_warnx("%s: %s", transport_name(kinds[i]), err.msg);
			if (rc <= 0)
				break;
		}
	}
}

int
server_run(struct server *s)
{
	int64_t drain_deadline = 0;

	for (;;) {
		static const enum transport input_kinds[] = {TRANSPORT_PULL, TRANSPORT_ROUTER,
		                                             TRANSPORT_SUB, TRANSPORT_HTTP};
		zmq_pollitem_t items[7];
		enum transport kinds[4];
		void *inputs[] = {s->pull, s->router, s->sub, s->api_router};
		size_t ninputs = 0, n = 0;
		int taking = !s->stopping && held(s) < (size_t)s->cfg->batch_max_pending;

		metrics_set_pending(held(s));
		trim_after_backlog(s);
		if (taking) {
			for (size_t i = 0; i < 4; i++)
				if (inputs[i] != NULL) {
					kinds[ninputs] = input_kinds[i];
					items[ninputs++] =
					    (zmq_pollitem_t){inputs[i], 0, ZMQ_POLLIN, 0};
				}
		} else {
			ninputs = 0; /* back-pressure: producers block at their high-water mark */
		}
		n = ninputs;
		items[n++] = (zmq_pollitem_t){NULL, s->sigfd, ZMQ_POLLIN, 0};
		items[n++] = (zmq_pollitem_t){NULL, s->writers.efd, ZMQ_POLLIN, 0};
		if (s->conn != NULL)
			items[n++] = (zmq_pollitem_t){NULL, PQsocket(s->conn), ZMQ_POLLIN, 0};
		if (zmq_poll(items, (int)n, s->stopping ? 50 : poll_timeout_ms(s)) < 0 &&
		    zmq_errno() != EINTR) {
			log_error("zmq_poll: %s", zmq_strerror(zmq_errno()));
			return 1;
		}
		if (items[ninputs].revents & ZMQ_POLLIN)
			handle_signals(s);
		/* Not only when the socket is readable: libpq reads a notification that comes
		 * with a batch's results into its queue, and nothing would wake us for it. */
		handle_notifies(s);
		if (s->reload_wanted) {
			s->reload_wanted = 0;
			reload(s);
		}
		if (taking)
			read_inputs(s, items, kinds, ninputs);
		collect(s);
		swap_scorer_when_idle(s);
		db_retry(s);
		seal_by_age(s);
		flush(s);
		roi_tick(s);
		retention_tick(s);
		if (!s->stopping)
			continue;
		if (s->batcher.head == NULL && !batcher_has_open(&s->batcher) && s->inflight == 0)
			return 0;
		if (drain_deadline == 0)
			drain_deadline = mono_us() + DRAIN_DEADLINE_US;
		if (mono_us() > drain_deadline) {
			log_error("stopping with %zu members not committed (database unavailable)",
			          held(s));
			return 1;
		}
	}
}

void
server_free(struct server *s)
{
	struct batch *b;

	struct writer_job job;

	api_stop(s->api); /* first: its threads use the ZeroMQ context */
	s->api = NULL;
	/* A batch a writer committed is acknowledged and published; any other goes unanswered. */
	writers_stop(&s->writers);
	while (writers_take_done(&s->writers, &job)) {
		if (job.rc == 0) {
			s->inflight -= batch_size(job.batch);
			finish_batch(s, job.batch, &job.res);
			apply_result_clear(&job.res);
		} else {
			abandon_batch(s, job.batch);
		}
	}
	writers_free(&s->writers);
	while ((b = batcher_pop(&s->batcher)) != NULL)
		abandon_batch(s, b);
	for (size_t k = 0; k < BATCHER_MAX_PARTS; k++) {
		if (s->batcher.open[k] != NULL)
			abandon_batch(s, s->batcher.open[k]);
		s->batcher.open[k] = NULL;
	}
	if (s->pull)
		zmq_close(s->pull);
	if (s->router)
		zmq_close(s->router);
	if (s->sub)
		zmq_close(s->sub);
	if (s->api_router)
		zmq_close(s->api_router);
	publisher_close(&s->pub);
	zap_stop(s->zap); /* after the sockets it guards, before the context ends */
	s->zap = NULL;
	if (s->zctx)
		zmq_ctx_term(s->zctx);
	if (s->conn)
		PQfinish(s->conn);
	scorer_free(s->scorer);
	config_free(s->cfg);
	free(s->config_path);
	free(s->model_path);
	if (s->sigfd >= 0)
		close(s->sigfd);
	log_info("stopped: %ld events applied, %ld duplicates, %ld dead letters in %ld batches",
	         s->stats.applied, s->stats.duplicates, s->stats.dead, s->stats.batches);
}
