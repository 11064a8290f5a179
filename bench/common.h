/* common.h: what the bench programs share: clocks, event files, a string index, statistics, /proc.
 */
#ifndef LS_BENCH_COMMON_H
#define LS_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../daemon/err.h"
#include "../daemon/event.h"

/* Microseconds on the monotonic clock (intervals) and the wall clock (event times). */
int64_t bench_mono_us(void);
int64_t bench_wall_us(void);

/* Prints one figure for scripts/bench.sh: "result NAME VALUE". */
void bench_result(const char *name, double value);

/* An events file (one CloudEvent per line), loaded whole and parsed before any timing. */
struct bench_events {
	char *buf;    /* the file; lines are NUL-terminated in place */
	char **lines; /* n lines, as sent */
	size_t *lens;
	struct event *evs; /* n parsed events */
	size_t n;
	size_t ncontacts;    /* distinct subjects */
	unsigned char *last; /* last[i]: line i is its contact's last event */
};

int bench_events_load(const char *path, struct bench_events *out, struct ls_err *err) LS_MUST_CHECK;
void bench_events_free(struct bench_events *evs);

/* An open-addressing index of borrowed strings to positions. */
struct bench_index {
	const char **keys;
	size_t *vals;
	size_t cap; /* a power of two */
	size_t n;
};

int bench_index_init(struct bench_index *ix, size_t expected) LS_MUST_CHECK;
/* Stores key -> val (replacing an existing key's value). 0 or -1 (full). */
int bench_index_put(struct bench_index *ix, const char *key, size_t len, size_t val) LS_MUST_CHECK;
/* 1 and *val when found, else 0. key need not be NUL-terminated. */
int bench_index_get(const struct bench_index *ix, const char *key, size_t len, size_t *val);
void bench_index_free(struct bench_index *ix);

/* The q-quantile (0..1) of v[n] by nearest rank; sorts v. NaN when n is 0. */
double bench_quantile(double *v, size_t n, double q);

/* The value of the JSON string member "name" in a compact JSON text, borrowed, with its
 * length; NULL when absent. Good enough for the daemon's own publications. */
const char *bench_json_str(const char *text, size_t len, const char *name, size_t *vlen);

/* Resident set size and its peak (VmRSS, VmHWM) of a process, in kB; -1 when unreadable. */
int bench_proc_rss(pid_t pid, long *rss_kb, long *hwm_kb);
/* CPU time (user + system) of a process in seconds; -1 when unreadable. */
double bench_proc_cpu(pid_t pid);
/* CPU time of a PostgreSQL cluster: the postmaster and all its children. */
double bench_cluster_cpu(pid_t postmaster);

#endif
