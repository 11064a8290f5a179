/* test_prom.c: the daemon's metrics: labels kept bounded, histograms, reject classes, rendering. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/metrics.h"
#include "../testhelp.h"

static char *page;

static int
has(const char *line)
{
	if (strstr(page, line) != NULL)
		return 1;
	printf("  missing: %s\n", line);
	return 0;
}

static void
test_reject_classes(void)
{
	static const struct {
		const char *reason;
		int member;
		enum metrics_reject want;
	} cases[] = {
	    {"message too large (2000 bytes, limit 1024)", 0, METRICS_REJECT_TOO_LARGE},
	    {"batch of 2000 events exceeds limit 1000", 0, METRICS_REJECT_TOO_LARGE},
	    {"empty message", 0, METRICS_REJECT_MALFORMED},
	    {"empty batch", 0, METRICS_REJECT_MALFORMED},
	    {"invalid UTF-8 at byte 3 (0xff)", 0, METRICS_REJECT_MALFORMED},
	    {"JSON nested too deeply (limit 32)", 0, METRICS_REJECT_MALFORMED},
	    {"not valid JSON: '[' expected (line 1, column 1)", 0, METRICS_REJECT_MALFORMED},
	    {"top level must be a JSON object or array (got string)", 0, METRICS_REJECT_MALFORMED},
	    {"batch member is not a JSON object", 1, METRICS_REJECT_MALFORMED},
	    {"missing required attribute 'time'", 1, METRICS_REJECT_INVALID},
	    {"could not apply the event: value too long", 1, METRICS_REJECT_DATABASE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		TEST_CHECK(cases[i].reason,
		           metrics_reject_class(cases[i].reason, cases[i].member) == cases[i].want);
}

int
main(void)
{
	size_t len;

	test_reject_classes();
	page = metrics_render(&len);
	TEST_CHECK("renders before anything happened", page != NULL && strlen(page) == len);
	TEST_CHECK("no model yet", page != NULL && strstr(page, "leadscore_model_info") == NULL);
	TEST_CHECK("no model loaded", metrics_model_loaded() == 0);
	free(page);

	metrics_event("page.viewed", METRICS_APPLIED);
	metrics_event("page.viewed", METRICS_APPLIED);
	metrics_event("deal.won", METRICS_DUPLICATE);
	metrics_event("made.up", METRICS_APPLIED);
	metrics_event("also.made.up", METRICS_APPLIED);
	metrics_event(NULL, METRICS_REJECTED);
	metrics_reject(METRICS_REJECT_INVALID);
	metrics_batch(1, 400);
	metrics_batch(7, 3000);
	metrics_batch(100000, 20000000);
	metrics_published("score", 0);
	metrics_published("hot", 0);
	metrics_published("score", 1);
	metrics_published("bogus", 0);
	metrics_queue_request(METRICS_API_REP);
	metrics_claim(METRICS_CLAIM_EMPTY);
	metrics_db_reconnect(METRICS_CONN_API);
	metrics_auth_failure(METRICS_AUTH_FORBIDDEN);
	metrics_http_response(409);
	metrics_http_response(418);
	metrics_set_pending(12);
	metrics_set_db_up(1);
	metrics_set_model("v\"1\\x\n", "svm-rbf");

	page = metrics_render(&len);
	TEST_CHECK("renders", page != NULL);
	if (page == NULL)
		return TEST_REPORT();
	TEST_CHECK("type", has("# TYPE leadscore_events_total counter\n"));
	TEST_CHECK("known type",
	           has("leadscore_events_total{type=\"page.viewed\",outcome=\"applied\"} 2\n"));
	TEST_CHECK("duplicate",
	           has("leadscore_events_total{type=\"deal.won\",outcome=\"duplicate\"} 1\n"));
	TEST_CHECK("unknown types share one label",
	           has("leadscore_events_total{type=\"other\",outcome=\"applied\"} 2\n"));
	TEST_CHECK("no type",
	           has("leadscore_events_total{type=\"unknown\",outcome=\"rejected\"} 1\n"));
	TEST_CHECK("invented types never become labels", strstr(page, "made.up") == NULL);
	TEST_CHECK(
	    "every known type has its series",
	    has("leadscore_events_total{type=\"contact.forgotten\",outcome=\"rejected\"} 0\n"));
	TEST_CHECK("rejects", has("leadscore_rejects_total{reason=\"invalid\"} 1\n"));
	TEST_CHECK("duplicates", has("leadscore_duplicates_total 1\n"));
	TEST_CHECK("size buckets are cumulative",
	           has("leadscore_batch_size_bucket{le=\"1\"} 1\n") &&
	               has("leadscore_batch_size_bucket{le=\"10\"} 2\n") &&
	               has("leadscore_batch_size_bucket{le=\"5000\"} 2\n") &&
	               has("leadscore_batch_size_bucket{le=\"+Inf\"} 3\n"));
	TEST_CHECK("size sum and count", has("leadscore_batch_size_sum 100008.000000\n") &&
	                                     has("leadscore_batch_size_count 3\n"));
	TEST_CHECK("latency buckets",
	           has("leadscore_commit_seconds_bucket{le=\"0.0005\"} 1\n") &&
	               has("leadscore_commit_seconds_bucket{le=\"0.005\"} 2\n") &&
	               has("leadscore_commit_seconds_bucket{le=\"10\"} 2\n") &&
	               has("leadscore_commit_seconds_bucket{le=\"+Inf\"} 3\n"));
	TEST_CHECK("latency sum in seconds", has("leadscore_commit_seconds_sum 20.003400\n"));
	TEST_CHECK("published", has("leadscore_published_total{topic=\"score\"} 1\n") &&
	                            has("leadscore_published_total{topic=\"hot\"} 1\n"));
	TEST_CHECK("dropped", has("leadscore_publish_dropped_total 1\n"));
	TEST_CHECK("queue requests", has("leadscore_queue_requests_total{api=\"rep\"} 1\n"));
	TEST_CHECK("claims", has("leadscore_claims_total{result=\"empty\"} 1\n"));
	TEST_CHECK("reconnects", has("leadscore_db_reconnects_total{connection=\"api\"} 1\n"));
	TEST_CHECK("auth", has("leadscore_auth_failures_total{reason=\"forbidden\"} 1\n"));
	TEST_CHECK("responses", has("leadscore_http_responses_total{code=\"409\"} 1\n") &&
	                            has("leadscore_http_responses_total{code=\"0\"} 1\n"));
	TEST_CHECK("gauges", has("leadscore_pending_members 12\n") && has("leadscore_db_up 1\n"));
	TEST_CHECK("model info escaped",
	           has("leadscore_model_info{version=\"v\\\"1\\\\x\\n\",kind=\"svm-rbf\"} 1\n"));
	TEST_CHECK("model loaded", metrics_model_loaded() == 1);
	TEST_CHECK("ends with a newline", page[strlen(page) - 1] == '\n');
	free(page);
	return TEST_REPORT();
}
