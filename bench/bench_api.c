/* bench_api.c: the HTTP API's queue read and claim, timed request by request on one connection. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

/*
 * usage: bench_api --port P --token T [--host H] [--secs S] [--warmup S] [--limit N]
 *                  [--leases K] [--lease-seconds L] [--name N]
 *
 * One HTTP/1.1 connection, kept alive, one request at a time (a closed loop: each request is
 * sent when the previous answer is in). Rounds of
 *   GET /healthz          the trivial route: HTTP and the daemon's request path, no database
 *   GET /readyz           one pooled connection and one SELECT 1: the floor of a database route
 *   GET /v1/queue?limit=N the first page of the queue (a new walk each time)
 *   POST /v1/queue/claim  a lease on the best unleased contact
 * for S seconds after a warm-up. Claims keep at most K leases live (a team's leads in hand):
 * past K, the oldest is released (POST /v1/leases/{contact}/release, timed on its own), and
 * every lease left is released at the end, so the queue is as it was. Each claim asks for an
 * L-second lease, so even an interrupted run leaves nothing held for long.
 *
 * Prints "result NAME_ROUTE_p50_ms" (p50, p99, p999) and counts per route, the requests
 * that failed (a status other than the expected one), the queue pages that were not full
 * (fewer listable contacts than N) and the claims that found nothing to lease.
 */

#define MAX_HEAD 16384

struct opts {
	const char *host, *port, *token, *name;
	double secs, warmup;
	long limit, leases, lease_s;
};

/* ---- one keep-alive connection ---- */

struct conn {
	const struct opts *o;
	int fd;
	char *buf; /* the response being read: head and body */
	size_t len, cap;
	long reconnects;
};

static int
conn_open(struct conn *c)
{
	struct addrinfo hints, *ai = NULL, *p;
	struct timeval tv = {30, 0};
	int one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(c->o->host, c->o->port, &hints, &ai)) != 0) {
		fprintf(stderr, "bench_api: %s:%s: %s\n", c->o->host, c->o->port, gai_strerror(rc));
		return -1;
	}
	c->fd = -1;
	for (p = ai; p != NULL && c->fd < 0; p = p->ai_next) {
		c->fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, p->ai_addr, p->ai_addrlen) < 0 ||
		    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
		    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
		    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
			close(c->fd);
			c->fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (c->fd < 0) {
		fprintf(stderr, "bench_api: cannot connect to %s:%s: %s\n", c->o->host, c->o->port,
		        strerror(errno));
		return -1;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads more of the response into c->buf. 1, 0 at end of stream, -1 on error. */
static int
read_some(struct conn *c)
{
	ssize_t r;

	if (c->cap - c->len < 4096) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		char *p = realloc(c->buf, cap);

		if (p == NULL) {
			fprintf(stderr, "bench_api: out of memory\n");
			return -1;
		}
		c->buf = p;
		c->cap = cap;
	}
	do
		r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		fprintf(stderr, "bench_api: recv: %s\n", strerror(errno));
		return -1;
	}
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	return r > 0;
}

/* A header's value in the head [head, end), or NULL. */
static const char *
header(const char *head, const char *end, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = head; p != NULL && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		p++;
		if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 1;
	}
	return NULL;
}

struct response {
	int status;
	const char *body; /* in c->buf, NUL-terminated */
	size_t body_len;
};

/* Reads one whole response. 1, 0 when the server had closed the connection before any byte
 * of it, -1 on error. */
static int
read_response(struct conn *c, struct response *resp)
{
	const char *eoh = NULL, *v;
	size_t head_len, want;
	int closing, rc;

	c->len = 0;
	while (c->len == 0 || (eoh = strstr(c->buf, "\r\n\r\n")) == NULL) {
		if (c->len > MAX_HEAD) {
			fprintf(stderr, "bench_api: response head too long\n");
			return -1;
		}
		if ((rc = read_some(c)) <= 0) {
			if (rc == 0 && c->len > 0)
				fprintf(stderr, "bench_api: connection closed mid-response\n");
			return rc == 0 && c->len == 0 ? 0 : -1;
		}
	}
	head_len = (size_t)(eoh - c->buf) + 4;
	if (sscanf(c->buf, "HTTP/1.%*d %d", &resp->status) != 1) {
		fprintf(stderr, "bench_api: not an HTTP response\n");
		return -1;
	}
	v = header(c->buf, eoh, "Content-Length");
	want = v != NULL ? (size_t)strtoul(v, NULL, 10) : 0;
	if (v == NULL && resp->status != 204 && resp->status != 304) {
		fprintf(stderr, "bench_api: a response without Content-Length (status %d)\n",
		        resp->status);
		return -1;
	}
	v = header(c->buf, eoh, "Connection");
	closing = v != NULL && strstr(v, "close") != NULL;
	while (c->len < head_len + want)
		if (read_some(c) <= 0) {
			fprintf(stderr, "bench_api: connection closed mid-body\n");
			return -1;
		}
	resp->body = c->buf + head_len;
	resp->body_len = want;
	c->buf[head_len + want] = '\0';
	if (closing)
		conn_close(c);
	return 1;
}

/*
 * Sends one request and reads its answer. A keep-alive connection the server closed between
 * requests is opened again and the request resent (counted; the time includes it).
 */
static int
request(struct conn *c, const char *method, const char *path, const char *body,
        struct response *resp)
{
	char head[1024], length[96] = "";
	size_t blen = body != NULL ? strlen(body) : 0;
	int n;

	if (body != NULL)
		snprintf(length, sizeof(length),
		         "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
	n = snprintf(head, sizeof(head),
	             "%s %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n"
	             "Accept: application/json\r\n%s\r\n",
	             method, path, c->o->host, c->o->port, c->o->token, length);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		fprintf(stderr, "bench_api: request head too long\n");
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc;

		if (c->fd < 0 && conn_open(c) < 0)
			return -1;
		if (send_all(c->fd, head, (size_t)n) == 0 &&
		    (body == NULL || send_all(c->fd, body, blen) == 0) &&
		    (rc = read_response(c, resp)) != 0)
			return rc;
		conn_close(c);
		c->reconnects++;
	}
	fprintf(stderr, "bench_api: %s %s: the server closed the connection twice\n", method, path);
	return -1;
}

/* ---- latencies per route ---- */

struct series {
	const char *route;
	double *ms;
	size_t n, cap;
	long failed;
};

static int
series_add(struct series *s, double ms)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		double *p = realloc(s->ms, cap * sizeof(*p));

		if (p == NULL) {
			fprintf(stderr, "bench_api: out of memory\n");
			return -1;
		}
		s->ms = p;
		s->cap = cap;
	}
	s->ms[s->n++] = ms;
	return 0;
}

static void
series_report(const struct opts *o, struct series *s)
{
	char key[128];

	snprintf(key, sizeof(key), "%s_%s_n", o->name, s->route);
	bench_result(key, (double)s->n);
	snprintf(key, sizeof(key), "%s_%s_failed", o->name, s->route);
	bench_result(key, (double)s->failed);
	if (s->n == 0)
		return;
	snprintf(key, sizeof(key), "%s_%s_p50_ms", o->name, s->route);
	bench_result(key, bench_quantile(s->ms, s->n, 0.50));
	snprintf(key, sizeof(key), "%s_%s_p99_ms", o->name, s->route);
	bench_result(key, bench_quantile(s->ms, s->n, 0.99));
	snprintf(key, sizeof(key), "%s_%s_p999_ms", o->name, s->route);
	bench_result(key, bench_quantile(s->ms, s->n, 0.999));
}

/* ---- the run ---- */

enum { HEALTH, READY, QUEUE, CLAIM, RELEASE, NROUTES };

/* The leases this run holds, oldest first. */
struct held {
	char (*contact)[128];
	int *sdr;
	size_t head, n, cap;
};

struct run {
	const struct opts *o;
	struct conn c;
	struct series s[NROUTES];
	struct held h;
	long short_pages, empty_claims, claims_made;
	int recording;
};

/* Times one request; a status other than want counts as failed. 0, or -1 when the
 * connection is lost for good. */
static int
timed(struct run *r, int route, const char *method, const char *path, const char *body, int want,
      struct response *resp)
{
	int64_t t0 = bench_mono_us();
	int rc = request(&r->c, method, path, body, resp);
	double ms = (double)(bench_mono_us() - t0) / 1000.0;

	if (rc < 0)
		return -1;
	if (resp->status != want && !(route == CLAIM && resp->status == 204)) {
		r->s[route].failed++;
		if (r->s[route].failed <= 3)
			fprintf(stderr, "bench_api: %s %s: status %d: %.300s\n", method, path,
			        resp->status, resp->body);
	}
	return r->recording ? series_add(&r->s[route], ms) : 0;
}

static int
release_oldest(struct run *r, int timed_release)
{
	struct held *h = &r->h;
	struct response resp;
	char path[256], body[64];
	size_t i = h->head;
	int rc;

	snprintf(path, sizeof(path), "/v1/leases/%s/release", h->contact[i]);
	snprintf(body, sizeof(body), "{\"sdr\":\"bench-sdr-%d\"}", h->sdr[i]);
	h->head = (h->head + 1) % h->cap;
	h->n--;
	if (timed_release)
		return timed(r, RELEASE, "POST", path, body, 200, &resp);
	rc = request(&r->c, "POST", path, body, &resp);
	if (rc == 1 && resp.status != 200)
		r->s[RELEASE].failed++;
	return rc < 0 ? -1 : 0;
}

static int
claim(struct run *r)
{
	struct held *h = &r->h;
	struct response resp;
	char body[128];
	const char *id;
	size_t len, slot;
	int sdr = (int)(r->claims_made++ % 10);

	snprintf(body, sizeof(body), "{\"sdr\":\"bench-sdr-%d\",\"lease_seconds\":%ld}", sdr,
	         r->o->lease_s);
	if (timed(r, CLAIM, "POST", "/v1/queue/claim", body, 200, &resp) < 0)
		return -1;
	if (resp.status == 204) {
		r->empty_claims++;
		return 0;
	}
	if (resp.status != 200)
		return 0;
	id = bench_json_str(resp.body, resp.body_len, "contact", &len);
	if (id == NULL || len == 0 || len >= sizeof(h->contact[0])) {
		fprintf(stderr, "bench_api: a claim without its contact: %.300s\n", resp.body);
		return -1;
	}
	slot = (h->head + h->n) % h->cap;
	memcpy(h->contact[slot], id, len);
	h->contact[slot][len] = '\0';
	h->sdr[slot] = sdr;
	h->n++;
	return h->n > (size_t)r->o->leases ? release_oldest(r, 1) : 0;
}

static int
round_trip(struct run *r, const char *queue_path)
{
	struct response resp;

	if (timed(r, HEALTH, "GET", "/healthz", NULL, 200, &resp) < 0 ||
	    timed(r, READY, "GET", "/readyz", NULL, 200, &resp) < 0 ||
	    timed(r, QUEUE, "GET", queue_path, NULL, 200, &resp) < 0)
		return -1;
	/* A full page has a cursor to the next one. */
	if (resp.status == 200 && strstr(resp.body, "\"next_cursor\":null") != NULL)
		r->short_pages++;
	return claim(r);
}

static int
run(const struct opts *o)
{
	static const char *const names[NROUTES] = {"healthz", "readyz", "queue", "claim",
	                                           "release"};
	struct run r;
	char queue_path[64], key[128];
	int64_t t0, t_rec = 0, t_end;
	long rounds = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.c.o = o;
	r.c.fd = -1;
	for (int i = 0; i < NROUTES; i++)
		r.s[i].route = names[i];
	r.h.cap = (size_t)o->leases + 1;
	r.h.contact = calloc(r.h.cap, sizeof(*r.h.contact));
	r.h.sdr = calloc(r.h.cap, sizeof(*r.h.sdr));
	if (r.h.contact == NULL || r.h.sdr == NULL) {
		fprintf(stderr, "bench_api: out of memory\n");
		rc = -1;
		goto out;
	}
	snprintf(queue_path, sizeof(queue_path), "/v1/queue?limit=%ld", o->limit);
	if (conn_open(&r.c) < 0) {
		rc = -1;
		goto out;
	}
	t0 = bench_mono_us();
	t_end = t0 + (int64_t)((o->warmup + o->secs) * 1e6);
	for (int64_t now = t0; now < t_end && rc == 0; now = bench_mono_us()) {
		if (!r.recording && now >= t0 + (int64_t)(o->warmup * 1e6)) {
			r.recording = 1;
			t_rec = now;
		}
		rc = round_trip(&r, queue_path);
		rounds += r.recording;
	}
	/* Give back every lease still held, so the queue is as it was. */
	while (rc == 0 && r.h.n > 0)
		rc = release_oldest(&r, 0);
	if (rc == 0) {
		for (int i = 0; i < NROUTES; i++)
			series_report(o, &r.s[i]);
		snprintf(key, sizeof(key), "%s_rounds_per_s", o->name);
		bench_result(key, (double)rounds * 1e6 / (double)(bench_mono_us() - t_rec));
		snprintf(key, sizeof(key), "%s_short_pages", o->name);
		bench_result(key, (double)r.short_pages);
		snprintf(key, sizeof(key), "%s_empty_claims", o->name);
		bench_result(key, (double)r.empty_claims);
		snprintf(key, sizeof(key), "%s_reconnects", o->name);
		bench_result(key, (double)r.c.reconnects);
	}
out:
	conn_close(&r.c);
	free(r.c.buf);
	for (int i = 0; i < NROUTES; i++)
		free(r.s[i].ms);
	free(r.h.contact);
	free(r.h.sdr);
	return rc;
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {{"host", required_argument, NULL, 'H'},
	                                     {"port", required_argument, NULL, 'p'},
	                                     {"token", required_argument, NULL, 't'},
	                                     {"secs", required_argument, NULL, 's'},
	                                     {"warmup", required_argument, NULL, 'w'},
	                                     {"limit", required_argument, NULL, 'l'},
	                                     {"leases", required_argument, NULL, 'k'},
	                                     {"lease-seconds", required_argument, NULL, 'L'},
	                                     {"name", required_argument, NULL, 'n'},
	                                     {NULL, 0, NULL, 0}};
	int c;

	*o = (struct opts){.host = "127.0.0.1",
	                   .name = "api",
	                   .secs = 10,
	                   .warmup = 1,
	                   .limit = 50,
	                   .leases = 50,
	                   .lease_s = 60};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			o->port = optarg;
			break;
		case 't':
			o->token = optarg;
			break;
		case 's':
			o->secs = strtod(optarg, NULL);
			break;
		case 'w':
			o->warmup = strtod(optarg, NULL);
			break;
		case 'l':
			o->limit = strtol(optarg, NULL, 10);
			break;
		case 'k':
			o->leases = strtol(optarg, NULL, 10);
			break;
		case 'L':
			o->lease_s = strtol(optarg, NULL, 10);
			break;
		case 'n':
			o->name = optarg;
			break;
		default:
			return -1;
		}
	}
	return o->port != NULL && o->token != NULL && strlen(o->token) < 512 && o->secs > 0 &&
	               o->warmup >= 0 && o->limit >= 1 && o->limit <= 500 && o->leases >= 1 &&
	               o->leases <= 100000 && o->lease_s >= 1 && o->lease_s <= 86400
	           ? 0
	           : -1;
}

int
main(int argc, char **argv)
{
	struct opts o;

	if (parse(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: bench_api --port P --token T [--host H] [--secs S] "
		                "[--warmup S] [--limit N] [--leases K] [--lease-seconds L] "
		                "[--name N]\n");
		return 2;
	}
	return run(&o) < 0 ? 1 : 0;
}
