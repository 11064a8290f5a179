/* zap.c: the ZAP handler (RFC 27) admitting configured CURVE client keys, and CURVE on binds. */
#include "zap.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define POLL_MS 200
#define MAX_FRAMES 8
#define NRECENT 16                      /* refused keys whose log lines are being rate-limited */
#define REFUSAL_LOG_US (60LL * 1000000) /* a refused key is logged at most once a minute */

/* A refused key recently logged: a client retries every few hundred milliseconds, and one
 * line a minute says as much as six hundred. */
struct recent_refusal {
	uint8_t key[CURVE_KEY_BYTES];
	int64_t logged_us;
	long suppressed;
};

struct zap {
	void *zctx;
	void *sock;
	pthread_t thread;
	int started;
	atomic_int stop;
	struct curve_keypair kp;
	pthread_mutex_t lock; /* guards clients (swapped on reload) */
	struct curve_keyset *clients;
	struct recent_refusal recent[NRECENT]; /* the handler thread's own */
	struct zap *next;                      /* in the registry */
};

/* The handlers by context, so zsock_bind_all knows which sockets to make CURVE servers. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zap *registry;

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- answering requests ---- */

/* Logs a refusal, once a minute per key at most. */
static void
log_refusal(struct zap *z, const uint8_t *key, const char *address, const char *why)
{
	struct recent_refusal *r = NULL, *oldest = &z->recent[0];
	int64_t now = mono_us();
	char hint[16] = "-";

	if (key == NULL) {
		log_info("curve: refused a connection from %s: %s", address, why);
		return;
	}
	for (size_t i = 0; i < NRECENT && r == NULL; i++) {
		if (memcmp(z->recent[i].key, key, CURVE_KEY_BYTES) == 0 && z->recent[i].logged_us)
			r = &z->recent[i];
		else if (z->recent[i].logged_us < oldest->logged_us)
			oldest = &z->recent[i];
	}
	if (r != NULL && now - r->logged_us < REFUSAL_LOG_US) {
		r->suppressed++;
		return;
	}
	curve_key_hint(key, hint);
	if (r != NULL && r->suppressed > 0)
		log_info("curve: refused client key %s from %s: %s (and %ld times more since "
		         "last said)",
		         hint, address, why, r->suppressed);
	else
		log_info("curve: refused client key %s from %s: %s", hint, address, why);
	if (r == NULL) {
		r = oldest;
		memcpy(r->key, key, CURVE_KEY_BYTES);
	}
	r->logged_us = now;
	r->suppressed = 0;
}

/* The answer to one request: 200 for an admitted CURVE key, 400 for anything else. */
static const char *
decide(struct zap *z, zmq_msg_t *frames, size_t n, char *user, size_t usize)
{
	const struct curve_client *c;
	char address[64] = "?";
	const uint8_t *key;
	int admitted;

	if (n > 3)
		snprintf(address, sizeof(address), "%.*s", (int)zmq_msg_size(&frames[3]),
		         (const char *)zmq_msg_data(&frames[3]));
	if (n < 7 || zmq_msg_size(&frames[0]) != 3 || memcmp(zmq_msg_data(&frames[0]), "1.0", 3) ||
	    zmq_msg_size(&frames[5]) != 5 || memcmp(zmq_msg_data(&frames[5]), "CURVE", 5) ||
	    zmq_msg_size(&frames[6]) != CURVE_KEY_BYTES) {
		metrics_curve_refused();
		log_refusal(z, NULL, address, "not a CURVE request");
		return "400";
	}
	key = zmq_msg_data(&frames[6]);
	pthread_mutex_lock(&z->lock);
	c = curve_keyset_find(z->clients, key);
	admitted = c != NULL;
	if (admitted && c->label[0] != '\0')
		snprintf(user, usize, "%s", c->label);
	else if (admitted)
		curve_key_hint(key, user);
	pthread_mutex_unlock(&z->lock);
	if (!admitted) {
		metrics_curve_refused();
		log_refusal(z, key, address, "key not admitted (curve.clients)");
		return "400";
	}
	log_debug("curve: admitted %s from %s", user, address);
	return "200";
}

static int
send_frame(void *sock, const void *data, size_t len, int more)
{
	return zmq_send(sock, data, len, more ? ZMQ_SNDMORE : 0) < 0 ? -1 : 0;
}

/* Reads one request (at most MAX_FRAMES frames are kept) and answers it. */
static void
serve_one(struct zap *z)
{
	zmq_msg_t frames[MAX_FRAMES], spill;
	size_t n = 0;
	int more = 1;
	char user[64] = "";
	const char *status, *text;

	while (more) {
		zmq_msg_t *f = n < MAX_FRAMES ? &frames[n] : &spill;
		size_t len = sizeof(more);

		zmq_msg_init(f);
		if (zmq_msg_recv(f, z->sock, 0) < 0) {
			zmq_msg_close(f);
			break;
		}
		if (zmq_getsockopt(z->sock, ZMQ_RCVMORE, &more, &len) < 0)
			more = 0;
		if (f == &spill)
			zmq_msg_close(f);
		else
			n++;
	}
	status = decide(z, frames, n, user, sizeof(user));
	text = status[0] == '2' ? "OK" : "client key not admitted";
	/* A REP socket must answer before it can read again, whatever came in. */
	if (send_frame(z->sock, "1.0", 3, 1) < 0 ||
	    send_frame(z->sock, n > 1 ? zmq_msg_data(&frames[1]) : "",
	               n > 1 ? zmq_msg_size(&frames[1]) : 0, 1) < 0 ||
	    send_frame(z->sock, status, 3, 1) < 0 ||
	    send_frame(z->sock, text, strlen(text), 1) < 0 ||
	    send_frame(z->sock, user, strlen(user), 1) < 0 || send_frame(z->sock, "", 0, 0) < 0)
		log_warnx("curve: cannot answer a ZAP request: %s", zmq_strerror(zmq_errno()));
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&frames[i]);
}

static void *
zap_main(void *arg)
{
	struct zap *z = arg;

	while (!atomic_load(&z->stop)) {
		zmq_pollitem_t item = {z->sock, 0, ZMQ_POLLIN, 0};
		int rc = zmq_poll(&item, 1, POLL_MS);

		if (rc < 0 && zmq_errno() != EINTR) {
			/* Connections now wait for an answer that never comes: closed, not open. */
			log_error("curve: ZAP handler stopped: zmq_poll: %s",
			          zmq_strerror(zmq_errno()));
			break;
		}
		if (rc > 0)
			serve_one(z);
	}
	return NULL;
}

/* ---- starting and stopping ---- */

/* Whether a tcp:// endpoint binds only the loopback interface. */
static int
loopback_only(const char *ep)
{
	static const char *const loopback[] = {"localhost", "lo", "[::1]", "::1"};
	const char *host, *colon;
	size_t len;

	if (strncmp(ep, "tcp://", 6) != 0)
		return 1; /* ipc:// is guarded by file permissions, inproc:// by the process */
	host = ep + 6;
	colon = strrchr(host, ':');
	len = colon != NULL ? (size_t)(colon - host) : strlen(host);
	if (len > 4 && strncmp(host, "127.", 4) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strlen(loopback[i]) == len && strncmp(host, loopback[i], len) == 0)
			return 1;
	return 0;
}

static void
warn_exposed(const char *key, char *const *eps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!loopback_only(eps[i]))
			log_warnx(
			    "curve is off and %s binds %s: anyone who can reach it may connect "
			    "(see curve.enabled)",
			    key, eps[i]);
}

static void
zap_free(struct zap *z)
{
	if (z == NULL)
		return;
	if (z->sock != NULL)
		zmq_close(z->sock);
	curve_keyset_free(z->clients);
	pthread_mutex_destroy(&z->lock);
	explicit_bzero(&z->kp, sizeof(z->kp));
	free(z);
}

static int
zap_open(struct zap *z, const struct config *cfg, struct ls_err *err)
{
	int linger = 0;

	if (curve_available(err) < 0)
		return ls_err_prefix(err, "curve.enabled");
	if (curve_keypair_load(cfg->curve_key_file, 1, &z->kp, err) < 0)
		return ls_err_prefix(err, "curve.key_file");
	z->clients =
	    curve_keyset_new(cfg->curve_clients, cfg->ncurve_clients, cfg->curve_clients_file, err);
	if (z->clients == NULL)
		return -1;
	z->sock = zmq_socket(z->zctx, ZMQ_REP);
	if (z->sock == NULL || zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_bind(z->sock, ZAP_ENDPOINT) < 0)
		return ls_err_set(err, "curve: cannot serve ZAP on %s: %s", ZAP_ENDPOINT,
		                  zmq_strerror(zmq_errno()));
	if (pthread_create(&z->thread, NULL, zap_main, z) != 0)
		return ls_err_set(err, "curve: cannot start the ZAP handler thread");
	z->started = 1;
	return 0;
}

int
zap_start(void *zctx, const struct config *cfg, struct zap **out, struct ls_err *err)
{
	struct zap *z;

	*out = NULL;
	if (!cfg->curve_enabled) {
		warn_exposed("ingest.pull", cfg->ingest_pull, cfg->ningest_pull);
		warn_exposed("ingest.router", cfg->ingest_router, cfg->ningest_router);
		warn_exposed("publish.pub", cfg->publish_pub, cfg->npublish_pub);
		warn_exposed("api.rep", cfg->api_rep, cfg->napi_rep);
		return 0;
	}
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		return ls_err_set(err, "out of memory");
	z->zctx = zctx;
	pthread_mutex_init(&z->lock, NULL);
	if (zap_open(z, cfg, err) < 0) {
		zap_stop(z);
		return -1;
	}
	pthread_mutex_lock(&registry_lock);
	z->next = registry;
	registry = z;
	pthread_mutex_unlock(&registry_lock);
	log_info("curve: on; server key %s, %zu client key%s admitted", z->kp.public_key,
	         z->clients->n, z->clients->n == 1 ? "" : "s");
	if (z->clients->n == 0)
		log_warnx("curve: no client key is admitted: every connection will be refused");
	*out = z;
	return 0;
}

int
zap_reload(struct zap *z, const struct config *cfg, struct ls_err *err)
{
	struct curve_keyset *set, *old;

	/* Turning CURVE off takes a restart (and is logged as needing one): until then the
	 * keys in force stay, rather than an empty set refusing everyone. */
	if (z == NULL || !cfg->curve_enabled)
		return 0;
	set =
	    curve_keyset_new(cfg->curve_clients, cfg->ncurve_clients, cfg->curve_clients_file, err);
	if (set == NULL)
		return -1;
	pthread_mutex_lock(&z->lock);
	old = z->clients;
	z->clients = set;
	pthread_mutex_unlock(&z->lock);
	curve_keyset_free(old);
	log_info("curve: %zu client key%s admitted", set->n, set->n == 1 ? "" : "s");
	return 0;
}

void
zap_stop(struct zap *z)
{
	struct zap **p;

	if (z == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	for (p = &registry; *p != NULL; p = &(*p)->next)
		if (*p == z) {
			*p = z->next;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
	if (z->started) {
		atomic_store(&z->stop, 1);
		pthread_join(z->thread, NULL);
	}
	zap_free(z);
}

/* ---- sockets ---- */

int
zap_secure_bind(void *zctx, void *sock, char *const *endpoints, size_t n, struct ls_err *err)
{
	struct curve_keypair kp;
	struct zap *z;
	int outside = 0, rc;

	for (size_t i = 0; i < n; i++)
		outside |= strncmp(endpoints[i], "inproc://", 9) != 0;
	if (!outside)
		return 0; /* inproc never leaves the process */
	pthread_mutex_lock(&registry_lock);
	for (z = registry; z != NULL && z->zctx != zctx; z = z->next)
		;
	if (z != NULL)
		kp = z->kp;
	pthread_mutex_unlock(&registry_lock);
	if (z == NULL)
		return 0;
	rc = curve_server_setup(sock, &kp, err);
	explicit_bzero(&kp, sizeof(kp));
	return rc;
}

int
zap_secure_connect(const struct zap *z, void *sock, const char *server_key, struct ls_err *err)
{
	if (z == NULL)
		return 0;
	return curve_client_setup(sock, &z->kp, server_key, err);
}
