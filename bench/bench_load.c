/* bench_load.c: load on a running daemon over PUSH, publications timed on SUB: throughput, latency,
 * RSS. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common.h"

/*
 * usage:
 *   bench_load push --events FILE --pull EP --pub EP [--name N] [--pid PID] [--pgpid PID]
 *                   [--timeout S] [--settle MS]
 *       Sends every event of FILE at full speed and waits for the publication of each
 *       contact's last event (score.publish_delta = 0 publishes every touched contact): then
 *       every event is committed, scored and published. Reports events per second, the CPU
 *       the daemon and the database spent per event, and the daemon's RSS.
 *       --pull and --pub may be given several times (daemons sharing the stream): the PUSH
 *       socket spreads the events over every PULL endpoint and the SUB socket takes the
 *       publications of every PUB endpoint. With several daemons a contact's events may be
 *       applied out of file order, so its last event's publication need not be its last:
 *       --settle MS then keeps counting publications until none came for MS milliseconds,
 *       and the clock stops at the last one received.
 *   bench_load rate --rate R --secs S --pull EP --pub EP --tag T [--spread K --prefix P]
 *                   [--name N] [--pid PID] [--trace FILE]
 *       Open loop: event i is due at start + i / R whatever happened before, and its latency
 *       runs from that due time to its publication (no coordinated omission). Each event has
 *       a contact of its own (or, with --spread, one of the K loaded contacts P0000001..).
 *       --trace writes one line per event to FILE, "due_ms latency_ms" (due time from the
 *       start; 1e12 for an event never published), to see when in a run the tail happened.
 *   bench_load gen --count N --contacts K [--prefix P] [--tag T] [--seed S]
 *       Writes N events over the K loaded contacts to standard output.
 */

#define BASE_US 1767225600000000LL /* 2026-01-01: the loaded contacts' state time */
#define SAMPLE_US 200000           /* RSS sampling period */
#define MAX_ENDPOINTS 8            /* --pull and --pub each */

struct opts {
	const char *mode, *events, *name, *tag, *prefix, *trace;
	const char *pull[MAX_ENDPOINTS], *pub[MAX_ENDPOINTS];
	size_t npull, npub;
	long pid, pgpid, timeout_s, spread, count, contacts, settle_ms;
	double rate, secs;
	unsigned long long seed;
};

/* ---- RSS samples ---- */

struct sampler {
	pid_t pid;
	int64_t next_us;
	int64_t *t;
	long *rss;
	size_t n, cap;
};

static void
sample(struct sampler *s, int64_t now)
{
	long rss, hwm;

	if (s->pid <= 0 || now < s->next_us || bench_proc_rss(s->pid, &rss, &hwm) < 0)
		return;
	s->next_us = now + SAMPLE_US;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		int64_t *t = realloc(s->t, cap * sizeof(*t));
		long *r = t ? realloc(s->rss, cap * sizeof(*r)) : NULL;

		if (t != NULL)
			s->t = t;
		if (r == NULL)
			return;
		s->rss = r;
		s->cap = cap;
	}
	s->t[s->n] = now;
	s->rss[s->n++] = rss;
}

/* Start (after a tenth of the run, the warm-up), end, peak and least-squares slope. */
static void
sampler_report(struct sampler *s, const char *name)
{
	char key[96];
	long rss, hwm, max = 0;
	size_t from;
	double st = 0, sr = 0, stt = 0, str = 0, k;

	if (s->pid <= 0 || s->n == 0 || bench_proc_rss(s->pid, &rss, &hwm) < 0)
		return;
	from = s->n / 10;
	k = (double)(s->n - from);
	for (size_t i = from; i < s->n; i++) {
		double t = (double)(s->t[i] - s->t[from]) / 60e6, r = (double)s->rss[i];

		max = s->rss[i] > max ? s->rss[i] : max;
		st += t;
		sr += r;
		stt += t * t;
		str += t * r;
	}
	snprintf(key, sizeof(key), "%s_rss_start_kb", name);
	bench_result(key, (double)s->rss[from]);
	snprintf(key, sizeof(key), "%s_rss_end_kb", name);
	bench_result(key, (double)s->rss[s->n - 1]);
	snprintf(key, sizeof(key), "%s_rss_max_kb", name);
	bench_result(key, (double)max);
	snprintf(key, sizeof(key), "%s_hwm_kb", name);
	bench_result(key, (double)hwm);
	snprintf(key, sizeof(key), "%s_rss_slope_kb_per_min", name);
	bench_result(key, k > 1 && k * stt - st * st > 0 ? (k * str - st * sr) / (k * stt - st * st)
	                                                 : 0);
}

/* ---- sockets ---- */

static int
open_sockets(void *zctx, const struct opts *o, void **push, void **sub)
{
	int zero = 0, linger = 1000, rc;

	*push = zmq_socket(zctx, ZMQ_PUSH);
	*sub = zmq_socket(zctx, ZMQ_SUB);
	rc = *push == NULL || *sub == NULL ||
	             zmq_setsockopt(*push, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	             zmq_setsockopt(*sub, ZMQ_RCVHWM, &zero, sizeof(zero)) < 0 ||
	             zmq_setsockopt(*sub, ZMQ_SUBSCRIBE, "score", 5) < 0
	         ? -1
	         : 0;
	for (size_t i = 0; rc == 0 && i < o->npub; i++)
		rc = zmq_connect(*sub, o->pub[i]);
	for (size_t i = 0; rc == 0 && i < o->npull; i++)
		rc = zmq_connect(*push, o->pull[i]);
	if (rc < 0) {
		fprintf(stderr, "bench_load: %s\n", zmq_strerror(zmq_errno()));
		return -1;
	}
	/* A subscription takes a moment to reach the publisher. */
	struct timespec ts = {0, 300000000L};
	nanosleep(&ts, NULL);
	return 0;
}

/* Receives one publication's body; its "event" member in *id. 1, 0 (none waiting) or -1. */
static int
recv_pub(void *sub, zmq_msg_t *body, const char **id, size_t *idlen)
{
	zmq_msg_t topic;
	int more;

	zmq_msg_init(&topic);
	if (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&topic);
		return zmq_errno() == EAGAIN ? 0 : -1;
	}
	more = zmq_msg_more(&topic);
	zmq_msg_close(&topic);
	if (!more || zmq_msg_recv(body, sub, 0) < 0)
		return -1;
	*id = bench_json_str(zmq_msg_data(body), zmq_msg_size(body), "event", idlen);
	return 1;
}

/* ---- push: throughput ---- */

struct push_job {
	void *push;
	const struct bench_events *e;
	atomic_int failed;
};

static void *
push_main(void *arg)
{
	struct push_job *j = arg;

	for (size_t i = 0; i < j->e->n; i++)
		if (zmq_send(j->push, j->e->lines[i], j->e->lens[i], 0) < 0) {
			atomic_store(&j->failed, zmq_errno());
			break;
		}
	return NULL;
}

/* Counts publications of last events until every contact has had its own. */
static int
await_lasts(void *sub, const struct bench_events *e, const struct bench_index *ix,
            struct sampler *smp, long timeout_s, struct push_job *job, long *pubs)
{
	unsigned char *seen = calloc(e->n ? e->n : 1, 1);
	size_t done = 0;
	int64_t progress = bench_mono_us();
	zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};

	if (seen == NULL)
		return -1;
	while (done < e->ncontacts) {
		int64_t now;
		zmq_msg_t body;
		const char *id;
		size_t len, i;
		int rc;

		if (zmq_poll(&item, 1, 100) < 0 && zmq_errno() != EINTR)
			break;
		now = bench_mono_us();
		sample(smp, now);
		zmq_msg_init(&body);
		while ((rc = recv_pub(sub, &body, &id, &len)) == 1) {
			(*pubs)++;
			if (id != NULL && bench_index_get(ix, id, len, &i) && e->last[i] &&
			    !seen[i]) {
				seen[i] = 1;
				done++;
				progress = now;
			}
			zmq_msg_close(&body);
			zmq_msg_init(&body);
		}
		zmq_msg_close(&body);
		if (rc < 0 || atomic_load(&job->failed) != 0 ||
		    now - progress > (int64_t)timeout_s * 1000000) {
			fprintf(stderr, "bench_load: stalled: %zu of %zu contacts published\n",
			        done, e->ncontacts);
			break;
		}
	}
	free(seen);
	return done == e->ncontacts ? 0 : -1;
}

/* After the last events: counts publications until none came for settle_ms; *t_last is the
 * arrival of the last one (unchanged when none came). */
static int
settle(void *sub, long settle_ms, long *pubs, int64_t *t_last)
{
	zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
	int64_t quiet_from = bench_mono_us();

	while (bench_mono_us() - quiet_from < (int64_t)settle_ms * 1000) {
		zmq_msg_t body;
		const char *id;
		size_t len;
		int rc;

		if (zmq_poll(&item, 1, 10) < 0 && zmq_errno() != EINTR)
			return -1;
		zmq_msg_init(&body);
		while ((rc = recv_pub(sub, &body, &id, &len)) == 1) {
			(*pubs)++;
			*t_last = quiet_from = bench_mono_us();
			zmq_msg_close(&body);
			zmq_msg_init(&body);
		}
		zmq_msg_close(&body);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
run_push(const struct opts *o, void *push, void *sub)
{
	struct bench_events e;
	struct bench_index ix;
	struct ls_err err = {{0}};
	struct push_job job = {push, &e, 0};
	struct sampler smp = {(pid_t)o->pid, 0, NULL, NULL, 0, 0};
	double dcpu0, pcpu0;
	long pubs = 0;
	int64_t t0, t1;
	pthread_t th;
	char key[96];
	int rc;

	if (bench_events_load(o->events, &e, &err) < 0) {
		fprintf(stderr, "bench_load: %s\n", err.msg);
		return -1;
	}
	if (bench_index_init(&ix, e.n) < 0)
		return -1;
	for (size_t i = 0; i < e.n; i++)
		if (bench_index_put(&ix, e.evs[i].id, strlen(e.evs[i].id), i) < 0)
			return -1;
	dcpu0 = o->pid > 0 ? bench_proc_cpu((pid_t)o->pid) : 0;
	pcpu0 = o->pgpid > 0 ? bench_cluster_cpu((pid_t)o->pgpid) : 0;
	t0 = bench_mono_us();
	if (pthread_create(&th, NULL, push_main, &job) != 0)
		return -1;
	rc = await_lasts(sub, &e, &ix, &smp, o->timeout_s, &job, &pubs);
	t1 = bench_mono_us();
	if (rc == 0 && o->settle_ms > 0)
		rc = settle(sub, o->settle_ms, &pubs, &t1);
	if (rc == 0)
		pthread_join(th, NULL);
	else
		pthread_detach(th);
	if (rc == 0) {
		snprintf(key, sizeof(key), "%s_eps", o->name);
		bench_result(key, (double)e.n * 1e6 / (double)(t1 - t0));
		snprintf(key, sizeof(key), "%s_events", o->name);
		bench_result(key, (double)e.n);
		snprintf(key, sizeof(key), "%s_contacts", o->name);
		bench_result(key, (double)e.ncontacts);
		snprintf(key, sizeof(key), "%s_pubs", o->name);
		bench_result(key, (double)pubs);
		snprintf(key, sizeof(key), "%s_daemon_cpu_us", o->name);
		if (o->pid > 0)
			bench_result(key,
			             (bench_proc_cpu((pid_t)o->pid) - dcpu0) * 1e6 / (double)e.n);
		snprintf(key, sizeof(key), "%s_pg_cpu_us", o->name);
		if (o->pgpid > 0)
			bench_result(key, (bench_cluster_cpu((pid_t)o->pgpid) - pcpu0) * 1e6 /
			                      (double)e.n);
		sampler_report(&smp, o->name);
	}
	free(smp.t);
	free(smp.rss);
	bench_index_free(&ix);
	bench_events_free(&e);
	return rc;
}

/* ---- rate: latency ---- */

struct rate_job {
	void *push;
	const struct opts *o;
	size_t n;
	int64_t t0, wall0;
	atomic_size_t sent;
	atomic_int failed;
};

static int64_t
due_us(const struct rate_job *j, size_t i)
{
	return j->t0 + (int64_t)((double)i * 1e6 / j->o->rate);
}

static void
sleep_until(int64_t mono_us)
{
	struct timespec ts = {(time_t)(mono_us / 1000000), (long)(mono_us % 1000000) * 1000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *
rate_main(void *arg)
{
	struct rate_job *j = arg;
	const struct opts *o = j->o;
	uint64_t x = o->seed * 2654435761ULL + 1;

	for (size_t i = 0; i < j->n; i++) {
		char msg[512], when[40], subject[64];
		int64_t due = due_us(j, i);
		int len;

		if (o->spread > 0) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			snprintf(subject, sizeof(subject), "%s%07lu", o->prefix,
			         (unsigned long)(1 + x % (uint64_t)o->spread));
		} else {
			snprintf(subject, sizeof(subject), "%sc%zu", o->tag, i);
		}
		rfc3339_format(j->wall0 + (due - j->t0), when, sizeof(when));
		len = snprintf(
		    msg, sizeof(msg),
		    "{\"specversion\":\"1.0\",\"id\":\"%s-%zu\",\"source\":\"bench://rate\","
		    "\"type\":\"page.viewed\",\"subject\":\"%s\",\"time\":\"%s\","
		    "\"data\":{\"path\":\"/pricing\"}}",
		    o->tag, i, subject, when);
		sleep_until(due);
		if (zmq_send(j->push, msg, (size_t)len, 0) < 0) {
			atomic_store(&j->failed, zmq_errno());
			break;
		}
		atomic_fetch_add(&j->sent, 1);
	}
	return NULL;
}

/* Event number of a publication of ours ("TAG-i"), or -1. */
static long
event_number(const char *id, size_t len, const char *tag)
{
	size_t tl = strlen(tag);
	char num[24];

	if (id == NULL || len <= tl + 1 || len - tl - 1 >= sizeof(num) ||
	    strncmp(id, tag, tl) != 0 || id[tl] != '-')
		return -1;
	memcpy(num, id + tl + 1, len - tl - 1);
	num[len - tl - 1] = '\0';
	return strtol(num, NULL, 10);
}

static void
rate_report(const struct opts *o, double *lat, size_t n, size_t got, double secs)
{
	char key[96];

	for (size_t i = 0; i < n; i++)
		if (lat[i] < 0)
			lat[i] = 1e12; /* never published: worse than any figure */
	snprintf(key, sizeof(key), "%s_sent_rate", o->name);
	bench_result(key, (double)n / secs);
	snprintf(key, sizeof(key), "%s_lost", o->name);
	bench_result(key, (double)(n - got));
	snprintf(key, sizeof(key), "%s_p50_ms", o->name);
	bench_result(key, bench_quantile(lat, n, 0.50));
	snprintf(key, sizeof(key), "%s_p99_ms", o->name);
	bench_result(key, bench_quantile(lat, n, 0.99));
	snprintf(key, sizeof(key), "%s_p999_ms", o->name);
	bench_result(key, bench_quantile(lat, n, 0.999));
}

/* Each event's due time (ms from the start) and latency (ms), one per line. */
static int
write_trace(const char *path, const struct rate_job *job, const double *lat)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (f == NULL) {
		fprintf(stderr, "bench_load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < job->n; i++)
		fprintf(f, "%.3f %.3f\n", (double)(due_us(job, i) - job->t0) / 1000.0,
		        lat[i] < 0 ? 1e12 : lat[i]);
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "bench_load: %s: cannot write\n", path);
		return -1;
	}
	return 0;
}

static int
run_rate(const struct opts *o, void *push, void *sub)
{
	struct rate_job job = {push, o, (size_t)(o->rate * o->secs), 0, 0, 0, 0};
	struct sampler smp = {(pid_t)o->pid, 0, NULL, NULL, 0, 0};
	zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
	double *lat = malloc((job.n ? job.n : 1) * sizeof(*lat));
	size_t got = 0;
	int64_t last = 0;
	pthread_t th;

	if (lat == NULL || job.n == 0)
		return -1;
	for (size_t i = 0; i < job.n; i++)
		lat[i] = -1;
	job.t0 = bench_mono_us() + 100000;
	job.wall0 = bench_wall_us() + 100000;
	if (pthread_create(&th, NULL, rate_main, &job) != 0)
		return -1;
	for (;;) {
		int64_t now;
		zmq_msg_t body;
		const char *id;
		size_t len;
		long i;

		if (zmq_poll(&item, 1, 100) < 0 && zmq_errno() != EINTR)
			break;
		zmq_msg_init(&body);
		while (recv_pub(sub, &body, &id, &len) == 1) {
			now = bench_mono_us();
			i = event_number(id, len, o->tag);
			if (i >= 0 && (size_t)i < job.n && lat[i] < 0) {
				lat[i] = (double)(now - due_us(&job, (size_t)i)) / 1000.0;
				got++;
				last = now;
			}
			zmq_msg_close(&body);
			zmq_msg_init(&body);
		}
		zmq_msg_close(&body);
		now = bench_mono_us();
		sample(&smp, now);
		if (atomic_load(&job.failed) != 0)
			break;
		/* Done when all are in, or 5 s after the last send without a publication. */
		if (atomic_load(&job.sent) == job.n &&
		    (got == job.n ||
		     now - (last > due_us(&job, job.n) ? last : due_us(&job, job.n)) > 5000000))
			break;
	}
	pthread_join(th, NULL);
	if (atomic_load(&job.failed) != 0) {
		fprintf(stderr, "bench_load: send: %s\n", zmq_strerror(atomic_load(&job.failed)));
		free(lat);
		return -1;
	}
	if (o->trace != NULL && write_trace(o->trace, &job, lat) < 0) {
		free(lat);
		return -1;
	}
	rate_report(o, lat, job.n, got, o->secs);
	sampler_report(&smp, o->name);
	free(smp.t);
	free(smp.rss);
	free(lat);
	return 0;
}

/* ---- gen: events over loaded contacts ---- */

static int
run_gen(const struct opts *o)
{
	static const char *const kinds[] = {
	    "\"page.viewed\",\"data\":{\"path\":\"/pricing\"}",
	    "\"page.viewed\",\"data\":{\"path\":\"/blog/scoring\"}",
	    "\"page.viewed\",\"data\":{\"path\":\"/docs\"}",
	    "\"email.opened\",\"data\":{}",
	    "\"email.clicked\",\"data\":{}",
	    "\"intent.surged\",\"data\":{\"topic\":\"crm\",\"strength\":0.6}",
	};
	uint64_t x = o->seed * 2654435761ULL + 1;
	char when[40];

	for (long i = 0; i < o->count; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		rfc3339_format(BASE_US + 1000000 + i * 1000, when, sizeof(when));
		if (printf("{\"specversion\":\"1.0\",\"id\":\"%s-%ld\",\"source\":\"bench://gen\","
		           "\"subject\":\"%s%07lu\",\"time\":\"%s\",\"type\":%s}\n",
		           o->tag, i, o->prefix, (unsigned long)(1 + x % (uint64_t)o->contacts),
		           when, kinds[(x >> 32) % 6]) < 0)
			return -1;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

/* ---- main ---- */

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
	    {"events", required_argument, NULL, 'e'},  {"pull", required_argument, NULL, 'l'},
	    {"pub", required_argument, NULL, 'b'},     {"name", required_argument, NULL, 'n'},
	    {"tag", required_argument, NULL, 't'},     {"prefix", required_argument, NULL, 'x'},
	    {"pid", required_argument, NULL, 'p'},     {"pgpid", required_argument, NULL, 'g'},
	    {"timeout", required_argument, NULL, 'o'}, {"spread", required_argument, NULL, 's'},
	    {"count", required_argument, NULL, 'c'},   {"contacts", required_argument, NULL, 'k'},
	    {"rate", required_argument, NULL, 'r'},    {"secs", required_argument, NULL, 'd'},
	    {"seed", required_argument, NULL, 'S'},    {"settle", required_argument, NULL, 'T'},
	    {"trace", required_argument, NULL, 'R'},   {NULL, 0, NULL, 0}};
	int c;

	*o = (struct opts){.mode = argc > 1 ? argv[1] : "",
	                   .name = "load",
	                   .tag = "b",
	                   .prefix = "m",
	                   .timeout_s = 120,
	                   .seed = 1};
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o->events = optarg;
			break;
		case 'l':
			if (o->npull == MAX_ENDPOINTS)
				return -1;
			o->pull[o->npull++] = optarg;
			break;
		case 'b':
			if (o->npub == MAX_ENDPOINTS)
				return -1;
			o->pub[o->npub++] = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 't':
			o->tag = optarg;
			break;
		case 'x':
			o->prefix = optarg;
			break;
		case 'p':
			o->pid = strtol(optarg, NULL, 10);
			break;
		case 'g':
			o->pgpid = strtol(optarg, NULL, 10);
			break;
		case 'o':
			o->timeout_s = strtol(optarg, NULL, 10);
			break;
		case 's':
			o->spread = strtol(optarg, NULL, 10);
			break;
		case 'c':
			o->count = strtol(optarg, NULL, 10);
			break;
		case 'k':
			o->contacts = strtol(optarg, NULL, 10);
			break;
		case 'r':
			o->rate = strtod(optarg, NULL);
			break;
		case 'd':
			o->secs = strtod(optarg, NULL);
			break;
		case 'S':
			o->seed = strtoull(optarg, NULL, 10);
			break;
		case 'T':
			o->settle_ms = strtol(optarg, NULL, 10);
			break;
		case 'R':
			o->trace = optarg;
			break;
		default:
			return -1;
		}
	}
	if (strcmp(o->mode, "gen") == 0)
		return o->count > 0 && o->contacts > 0 ? 0 : -1;
	if (o->npull == 0 || o->npub == 0)
		return -1;
	if (strcmp(o->mode, "push") == 0)
		return o->events != NULL ? 0 : -1;
	return strcmp(o->mode, "rate") == 0 && o->rate > 0 && o->secs > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct opts o;
	void *zctx, *push = NULL, *sub = NULL;
	int rc;

	if (parse(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: bench_load push|rate|gen ... (see bench/bench_load.c)\n");
		return 2;
	}
	if (strcmp(o.mode, "gen") == 0)
		return run_gen(&o) < 0 ? 1 : 0;
	if ((zctx = zmq_ctx_new()) == NULL)
		return 1;
	rc = open_sockets(zctx, &o, &push, &sub);
	if (rc == 0)
		rc =
		    strcmp(o.mode, "push") == 0 ? run_push(&o, push, sub) : run_rate(&o, push, sub);
	if (push != NULL)
		zmq_close(push);
	if (sub != NULL)
		zmq_close(sub);
	if (rc == 0)
		zmq_ctx_term(zctx);
	return rc < 0 ? 1 : 0;
}
