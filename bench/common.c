/* common.c: clocks, event files, a string index, quantiles and /proc readers for the bench
 * programs. */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t
bench_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
bench_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
bench_result(const char *name, double value)
{
	/* Counts print whole (%.6g would round 1,007,500 to 1.0075e+06); rates keep 6 digits. */
	if (value < 1e15 && value > -1e15 && value == (double)(long long)value)
		printf("result %s %lld\n", name, (long long)value);
	else
		printf("result %s %.6g\n", name, value);
	fflush(stdout);
}

/* ---- the string index ---- */

static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int
bench_index_init(struct bench_index *ix, size_t expected)
{
	size_t cap = 16;

	while (cap < expected * 2)
		cap *= 2;
	ix->keys = calloc(cap, sizeof(*ix->keys));
	ix->vals = calloc(cap, sizeof(*ix->vals));
	ix->cap = cap;
	ix->n = 0;
	if (ix->keys == NULL || ix->vals == NULL) {
		bench_index_free(ix);
		return -1;
	}
	return 0;
}

static size_t
slot_of(const struct bench_index *ix, const char *key, size_t len)
{
	size_t i = (size_t)hash_bytes(key, len) & (ix->cap - 1);

	while (ix->keys[i] != NULL &&
	       (strncmp(ix->keys[i], key, len) != 0 || ix->keys[i][len] != '\0'))
		i = (i + 1) & (ix->cap - 1);
	return i;
}

int
bench_index_put(struct bench_index *ix, const char *key, size_t len, size_t val)
{
	size_t i = slot_of(ix, key, len);

	if (ix->keys[i] == NULL) {
		if ((ix->n + 1) * 2 > ix->cap)
			return -1;
		ix->keys[i] = key;
		ix->n++;
	}
	ix->vals[i] = val;
	return 0;
}

int
bench_index_get(const struct bench_index *ix, const char *key, size_t len, size_t *val)
{
	size_t i = slot_of(ix, key, len);

	if (ix->keys[i] == NULL)
		return 0;
	*val = ix->vals[i];
	return 1;
}

void
bench_index_free(struct bench_index *ix)
{
	free(ix->keys);
	free(ix->vals);
	ix->keys = NULL;
	ix->vals = NULL;
	ix->cap = ix->n = 0;
}

/* ---- event files ---- */

static char *
read_file(const char *path, size_t *len, struct ls_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (f == NULL) {
		ls_err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) != NULL &&
	    fread(buf, 1, (size_t)size, f) == (size_t)size) {
		buf[size] = '\0';
		*len = (size_t)size;
	} else {
		ls_err_set(err, "cannot read %s", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Splits buf into NUL-terminated lines (empty ones skipped). */
static int
split_lines(struct bench_events *e, size_t len)
{
	size_t cap = 1024;

	e->lines = malloc(cap * sizeof(*e->lines));
	e->lens = malloc(cap * sizeof(*e->lens));
	for (char *p = e->buf, *end = e->buf + len; p < end && e->lines && e->lens;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		p[n] = '\0';
		if (n > 0) {
			if (e->n == cap) {
				cap *= 2;
				e->lines = realloc(e->lines, cap * sizeof(*e->lines));
				e->lens = realloc(e->lens, cap * sizeof(*e->lens));
				if (e->lines == NULL || e->lens == NULL)
					break;
			}
			e->lines[e->n] = p;
			e->lens[e->n++] = n;
		}
		p += n + 1;
	}
	return e->lines != NULL && e->lens != NULL ? 0 : -1;
}

/* Marks each contact's last line: the one whose publication ends that contact's work. */
static int
mark_last(struct bench_events *e)
{
	struct bench_index ix;

	e->last = calloc(e->n ? e->n : 1, 1);
	if (e->last == NULL || bench_index_init(&ix, e->n) < 0)
		return -1;
	for (size_t i = 0; i < e->n; i++) {
		const char *s = e->evs[i].subject;

		if (bench_index_put(&ix, s, strlen(s), i) < 0) {
			bench_index_free(&ix);
			return -1;
		}
	}
	for (size_t i = 0; i < ix.cap; i++)
		if (ix.keys[i] != NULL)
			e->last[ix.vals[i]] = 1;
	e->ncontacts = ix.n;
	bench_index_free(&ix);
	return 0;
}

int
bench_events_load(const char *path, struct bench_events *e, struct ls_err *err)
{
	size_t len;

	memset(e, 0, sizeof(*e));
	if ((e->buf = read_file(path, &len, err)) == NULL)
		return -1;
	if (split_lines(e, len) < 0 || (e->evs = calloc(e->n ? e->n : 1, sizeof(*e->evs))) == NULL)
		goto oom;
	for (size_t i = 0; i < e->n; i++) {
		json_error_t jerr;
		json_t *doc = json_loadb(e->lines[i], e->lens[i], 0, &jerr);
		int rc = doc != NULL ? event_from_json(doc, &e->evs[i], err) : -1;

		json_decref(doc);
		if (rc < 0) {
			if (doc == NULL)
				ls_err_set(err, "%s", jerr.text);
			ls_err_prefix(err, "%s line %zu", path, i + 1);
			bench_events_free(e);
			return -1;
		}
	}
	if (mark_last(e) < 0)
		goto oom;
	return 0;
oom:
	bench_events_free(e);
	return ls_err_set(err, "out of memory");
}

void
bench_events_free(struct bench_events *e)
{
	if (e->evs != NULL)
		for (size_t i = 0; i < e->n; i++)
			event_clear(&e->evs[i]);
	free(e->evs);
	free(e->lines);
	free(e->lens);
	free(e->last);
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

/* ---- statistics ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_quantile(double *v, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)ceil(q * (double)n);
	return v[rank > 0 ? rank - 1 : 0];
}

const char *
bench_json_str(const char *text, size_t len, const char *name, size_t *vlen)
{
	char pat[64];
	size_t plen = (size_t)snprintf(pat, sizeof(pat), "\"%s\":\"", name);
	const char *end = text + len;

	for (const char *p = text; p + plen <= end; p++) {
		const char *v, *q;

		if (memcmp(p, pat, plen) != 0)
			continue;
		v = p + plen;
		q = memchr(v, '"', (size_t)(end - v));
		if (q == NULL)
			return NULL;
		*vlen = (size_t)(q - v);
		return v;
	}
	return NULL;
}

/* ---- /proc ---- */

int
bench_proc_rss(pid_t pid, long *rss_kb, long *hwm_kb)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	*rss_kb = *hwm_kb = -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss_kb = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm_kb = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return *rss_kb >= 0 && *hwm_kb >= 0 ? 0 : -1;
}

/* Fields of /proc/PID/stat after the command name: 4 ppid, 14 utime, 15 stime, 16 cutime,
 * 17 cstime (children waited for: for the postmaster, the backends that have exited). */
static int
proc_stat(pid_t pid, long *ppid, double *cpu_s, int with_children)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	long cutime, cstime;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", ppid,
	           &utime, &stime, &cutime, &cstime) != 5)
		return -1;
	*cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	if (with_children)
		*cpu_s += (double)(cutime + cstime) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

double
bench_proc_cpu(pid_t pid)
{
	long ppid;
	double cpu;

	return proc_stat(pid, &ppid, &cpu, 0) == 0 ? cpu : -1;
}

double
bench_cluster_cpu(pid_t postmaster)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	double total;
	long ppid;

	if (d == NULL || proc_stat(postmaster, &ppid, &total, 1) < 0) {
		if (d != NULL)
			closedir(d);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		long pid = strtol(de->d_name, NULL, 10);
		double cpu;

		if (pid > 0 && proc_stat((pid_t)pid, &ppid, &cpu, 0) == 0 &&
		    ppid == (long)postmaster)
			total += cpu;
	}
	closedir(d);
	return total;
}
