/* metrics.c: Prometheus counters, gauges and histograms in C11 atomics, and their one renderer. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The event types of the product's contract; anything else is "other", so a producer
 * inventing types cannot grow the number of series. */
const char *const metrics_event_types[] = {
    "page.viewed",        "email.opened",       "email.clicked",     "email.replied",
    "form.submitted",     "content.downloaded", "webinar.attended",  "demo.requested",
    "intent.surged",      "job.changed",        "company.funded",    "email.bounced",
    "email.unsubscribed", "contact.updated",    "sdr.outcome",       "opportunity.created",
    "deal.won",           "deal.lost",          "contact.forgotten", NULL};

#define NTYPES 19
#define TYPE_OTHER NTYPES
#define TYPE_UNKNOWN (NTYPES + 1)
#define NTYPE_LABELS (NTYPES + 2)

static const char *const outcome_names[] = {"applied", "duplicate", "rejected"};
static const char *const reject_names[] = {"too_large", "malformed", "invalid", "database"};
static const char *const claim_names[] = {"claimed", "empty", "conflict"};
static const char *const api_names[] = {"http", "rep"};
static const char *const auth_names[] = {"missing", "invalid", "forbidden"};
static const char *const conn_names[] = {"ingest", "api"};
static const char *const topic_names[] = {"score", "hot", "model", "roi"};
#define NTOPICS 4

/* The status codes the API answers with; others count as 0 (none is expected). */
static const int status_codes[] = {200, 204, 400, 401, 403, 404, 405, 409, 413, 500, 503, 0};
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]))

static const double size_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
#define NSIZE (sizeof(size_bounds) / sizeof(size_bounds[0]))
static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NLATENCY (sizeof(latency_bounds) / sizeof(latency_bounds[0]))

typedef atomic_ullong counter;

static counter events[NTYPE_LABELS][METRICS_NOUTCOMES];
static counter rejects[METRICS_NREJECTS];
static counter claims[METRICS_NCLAIMS];
static counter queue_requests[METRICS_NAPIS];
static counter auth_failures[METRICS_NAUTHS];
static counter curve_refused;
static counter reconnects[METRICS_NCONNS];
static counter published[NTOPICS], dropped_msgs;
static counter batches_retried;
static counter http_responses[NSTATUS];
static counter size_buckets[NSIZE + 1], size_sum;
static counter latency_buckets[NLATENCY + 1], latency_sum_us;
static atomic_ullong pending;
static atomic_int db_up, model_set;

/* The model's strings change rarely and are read by the renderer: a mutex is plenty. */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static char model_version_buf[128], model_kind_buf[32];

static void
bump(counter *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static unsigned long long
get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static size_t
type_index(const char *type)
{
	if (type == NULL)
		return TYPE_UNKNOWN;
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(type, metrics_event_types[i]) == 0)
			return i;
	return TYPE_OTHER;
}

void
metrics_event(const char *type, enum metrics_outcome outcome)
{
	bump(&events[type_index(type)][outcome]);
}

void
metrics_reject(enum metrics_reject reason)
{
	bump(&rejects[reason]);
}

enum metrics_reject
metrics_reject_class(const char *reason, int member)
{
	static const char *const too_large[] = {"message too large", "batch of "};
	static const char *const malformed[] = {"batch member is not", "empty",
	                                        "invalid UTF-8",       "JSON nested",
	                                        "not valid JSON",      "top level"};

	for (size_t i = 0; i < sizeof(too_large) / sizeof(too_large[0]); i++)
		if (strncmp(reason, too_large[i], strlen(too_large[i])) == 0)
			return METRICS_REJECT_TOO_LARGE;
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		if (strncmp(reason, malformed[i], strlen(malformed[i])) == 0)
			return METRICS_REJECT_MALFORMED;
	if (strncmp(reason, "could not apply", 15) == 0)
		return METRICS_REJECT_DATABASE;
	return member ? METRICS_REJECT_INVALID : METRICS_REJECT_MALFORMED;
}

void
metrics_batch(size_t members, int64_t commit_us)
{
	size_t i;

	for (i = 0; i < NSIZE && (double)members > size_bounds[i]; i++)
		;
	bump(&size_buckets[i]);
	atomic_fetch_add_explicit(&size_sum, members, memory_order_relaxed);
	if (commit_us < 0)
		commit_us = 0;
	for (i = 0; i < NLATENCY && (double)commit_us / 1e6 > latency_bounds[i]; i++)
		;
	bump(&latency_buckets[i]);
	atomic_fetch_add_explicit(&latency_sum_us, (unsigned long long)commit_us,
	                          memory_order_relaxed);
}

void
metrics_published(const char *topic, int dropped)
{
	if (dropped) {
		bump(&dropped_msgs);
		return;
	}
	for (size_t i = 0; i < NTOPICS; i++)
		if (strcmp(topic, topic_names[i]) == 0)
			bump(&published[i]);
}

void
metrics_queue_request(enum metrics_api api)
{
	bump(&queue_requests[api]);
}

void
metrics_claim(enum metrics_claim result)
{
	bump(&claims[result]);
}

void
metrics_batch_retried(void)
{
	bump(&batches_retried);
}

void
metrics_db_reconnect(enum metrics_conn conn)
{
	bump(&reconnects[conn]);
}

void
metrics_auth_failure(enum metrics_auth why)
{
	bump(&auth_failures[why]);
}

void
metrics_curve_refused(void)
{
	bump(&curve_refused);
}

void
metrics_http_response(int status)
{
	size_t i;

	for (i = 0; i + 1 < NSTATUS && status_codes[i] != status; i++)
		;
	bump(&http_responses[i]);
}

void
metrics_set_pending(size_t members)
{
	atomic_store_explicit(&pending, members, memory_order_relaxed);
}

void
metrics_set_db_up(int up)
{
	atomic_store_explicit(&db_up, up != 0, memory_order_relaxed);
}

void
metrics_set_model(const char *version, const char *kind)
{
	pthread_mutex_lock(&model_lock);
	snprintf(model_version_buf, sizeof(model_version_buf), "%s", version ? version : "");
	snprintf(model_kind_buf, sizeof(model_kind_buf), "%s", kind ? kind : "");
	pthread_mutex_unlock(&model_lock);
	atomic_store(&model_set, 1);
}

int
metrics_model_loaded(void)
{
	return atomic_load(&model_set);
}

/* ---- rendering ---- */

/* A label value with \, " and newline escaped as the exposition format wants. */
static void
put_label_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
labelled(FILE *f, const char *name, const char *help, const char *label, const char *const *values,
         counter *c, size_t n)
{
	header(f, name, "counter", help);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s{%s=\"%s\"} %llu\n", name, label, values[i], get(&c[i]));
}

static void
histogram(FILE *f, const char *name, const char *help, const double *bounds, size_t n,
          counter *buckets, double sum)
{
	unsigned long long cum = 0;

	header(f, name, "histogram", help);
	for (size_t i = 0; i < n; i++) {
		cum += get(&buckets[i]);
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], cum);
	}
	cum += get(&buckets[n]);
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, cum, name,
	        sum, name, cum);
}

static void
render_events(FILE *f)
{
	header(f, "leadscore_events_total", "counter",
	       "Events taken in, by type and what became of them.");
	for (size_t t = 0; t < NTYPE_LABELS; t++) {
		const char *type = t < NTYPES        ? metrics_event_types[t]
		                   : t == TYPE_OTHER ? "other"
		                                     : "unknown";

		for (size_t o = 0; o < METRICS_NOUTCOMES; o++)
			fprintf(f, "leadscore_events_total{type=\"%s\",outcome=\"%s\"} %llu\n",
			        type, outcome_names[o], get(&events[t][o]));
	}
	labelled(f, "leadscore_rejects_total",
	         "Messages and batch members rejected (dead-lettered), by reason class.", "reason",
	         reject_names, rejects, METRICS_NREJECTS);
	{
		unsigned long long dups = 0;

		for (size_t t = 0; t < NTYPE_LABELS; t++)
			dups += get(&events[t][METRICS_DUPLICATE]);
		header(f, "leadscore_duplicates_total", "counter",
		       "Events already applied before (same source and id), so not applied again.");
		fprintf(f, "leadscore_duplicates_total %llu\n", dups);
	}
}

static void
render_api(FILE *f)
{
	char code[NSTATUS][8];
	const char *codes[NSTATUS];

	labelled(f, "leadscore_queue_requests_total", "Priority queue reads, by API.", "api",
	         api_names, queue_requests, METRICS_NAPIS);
	labelled(f, "leadscore_claims_total",
	         "Claims of the next lead: leased, nothing left, or refused by a live lease.",
	         "result", claim_names, claims, METRICS_NCLAIMS);
	labelled(f, "leadscore_auth_failures_total",
	         "Requests refused by authentication: no token, unknown token, or wrong role.",
	         "reason", auth_names, auth_failures, METRICS_NAUTHS);
	header(f, "leadscore_curve_refused_total", "counter",
	       "ZeroMQ connections refused by CURVE authentication (client key not admitted).");
	fprintf(f, "leadscore_curve_refused_total %llu\n", get(&curve_refused));
	for (size_t i = 0; i < NSTATUS; i++) {
		snprintf(code[i], sizeof(code[i]), "%d", status_codes[i]);
		codes[i] = code[i];
	}
	labelled(f, "leadscore_http_responses_total", "HTTP responses, by status code.", "code",
	         codes, http_responses, NSTATUS);
}

static void
render_model(FILE *f)
{
	pthread_mutex_lock(&model_lock);
	if (atomic_load(&model_set)) {
		header(f, "leadscore_model_info", "gauge", "The model in force (value always 1).");
		fputs("leadscore_model_info{version=\"", f);
		put_label_value(f, model_version_buf);
		fputs("\",kind=\"", f);
		put_label_value(f, model_kind_buf);
		fputs("\"} 1\n", f);
	}
	pthread_mutex_unlock(&model_lock);
}

char *
metrics_render(size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (f == NULL)
		return NULL;
	render_events(f);
	histogram(f, "leadscore_batch_size",
	          "Members (events and dead letters) per committed batch.", size_bounds, NSIZE,
	          size_buckets, (double)get(&size_sum));
	histogram(f, "leadscore_commit_seconds", "Time to apply and commit one batch.",
	          latency_bounds, NLATENCY, latency_buckets, (double)get(&latency_sum_us) / 1e6);
	labelled(f, "leadscore_published_total", "Messages sent on the PUB socket, by topic.",
	         "topic", topic_names, published, NTOPICS);
	header(f, "leadscore_publish_dropped_total", "counter",
	       "Messages the PUB socket dropped at its high-water mark.");
	fprintf(f, "leadscore_publish_dropped_total %llu\n", get(&dropped_msgs));
	header(f, "leadscore_batch_retries_total", "counter",
	       "Batches held back after a transient database error (timeout, deadlock) and retried.");
	fprintf(f, "leadscore_batch_retries_total %llu\n", get(&batches_retried));
	render_api(f);
	labelled(f, "leadscore_db_reconnects_total",
	         "Database connections re-established after a loss, by user.", "connection",
	         conn_names, reconnects, METRICS_NCONNS);
	header(f, "leadscore_db_up", "gauge",
	       "1 while the event loop holds a database connection.");
	fprintf(f, "leadscore_db_up %d\n", atomic_load(&db_up));
	header(f, "leadscore_pending_members", "gauge",
	       "Events and dead letters held, not yet committed.");
	fprintf(f, "leadscore_pending_members %llu\n", (unsigned long long)atomic_load(&pending));
	render_model(f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (len != NULL)
		*len = size;
	return buf;
}
