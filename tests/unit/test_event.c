/* test_event.c: the CloudEvent parser against the case folders, exact times, and failed
 * allocations. */
#include "../../daemon/event.h"
#include "../testhelp.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#define CASES "tests/cases/events"
#define MAX_BYTES (1024 * 1024)
#define MAX_EVENTS 1000

/*** helpers ***/

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf != NULL) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static struct event_msg
parse_str(const char *s, size_t max_events)
{
	struct event_msg msg;

	if (event_msg_parse(s, strlen(s), MAX_BYTES, max_events, &msg) < 0)
		printf("out of memory parsing %s\n", s);
	return msg;
}

static struct event_msg
parse_file(const char *name)
{
	char path[512];
	struct event_msg msg;
	size_t len = 0;
	char *buf;

	memset(&msg, 0, sizeof(msg));
	snprintf(path, sizeof(path), CASES "/valid/%s", name);
	buf = slurp(path, &len);
	TEST_CHECK(path, buf != NULL);
	if (buf != NULL && event_msg_parse(buf, len, MAX_BYTES, MAX_EVENTS, &msg) < 0)
		printf("out of memory parsing %s\n", path);
	free(buf);
	return msg;
}

static int64_t
parse_time(const char *s)
{
	struct ls_err err;
	int64_t us = INT64_MIN;

	if (rfc3339_parse(s, &us, &err) < 0)
		printf("rfc3339_parse(%s): %s\n", s, err.msg);
	return us;
}

/* The reason the case expects: its file without the closing newline. */
static char *
read_reason(const char *dir)
{
	char path[1024];
	size_t len = 0;
	char *r;

	snprintf(path, sizeof(path), "%s/reason", dir);
	r = slurp(path, &len);
	while (r != NULL && len > 0 && (r[len - 1] == '\n' || r[len - 1] == '\r'))
		r[--len] = '\0';
	return r;
}

static void
read_limits(const char *dir, size_t *max_bytes, size_t *max_events)
{
	char path[1024];
	size_t len;
	char *s;
	unsigned long b, e;

	*max_bytes = 65536;
	*max_events = 100;
	snprintf(path, sizeof(path), "%s/limits", dir);
	s = slurp(path, &len);
	if (s != NULL && sscanf(s, "%lu %lu", &b, &e) == 2) {
		*max_bytes = b;
		*max_events = e;
	}
	free(s);
}

static const char *
first_reason(const struct event_msg *msg)
{
	if (msg->message_reason[0] != '\0')
		return msg->message_reason;
	for (size_t i = 0; i < msg->nitems; i++) {
		if (!msg->items[i].ok)
			return msg->items[i].reason;
	}
	return NULL;
}

/*** case folders ***/

static int
run_valid_case(const char *name)
{
	struct event_msg msg = parse_file(name);
	int all_ok = msg.nitems > 0 && msg.message_reason[0] == '\0';

	for (size_t i = 0; i < msg.nitems; i++) {
		if (!msg.items[i].ok)
			all_ok = 0;
	}
	if (!all_ok) {
		const char *r = first_reason(&msg);

		printf("valid case %s rejected: %s\n", name, r != NULL ? r : "(no items)");
	}
	TEST_CHECK(name, all_ok);
	event_msg_free(&msg);
	return 1;
}

static int
run_invalid_case(const char *name)
{
	char dir[512], path[600];
	struct event_msg msg;
	size_t len = 0, max_bytes, max_events;
	char *input, *want;
	const char *got;
	int ok;

	snprintf(dir, sizeof(dir), CASES "/invalid/%s", name);
	snprintf(path, sizeof(path), "%s/input", dir);
	input = slurp(path, &len);
	want = read_reason(dir);
	TEST_CHECK(dir, input != NULL && want != NULL && want[0] != '\0');
	if (input == NULL || want == NULL) {
		free(input);
		free(want);
		return 0;
	}
	read_limits(dir, &max_bytes, &max_events);
	TEST_CHECK(name, event_msg_parse(input, len, max_bytes, max_events, &msg) == 0);
	got = first_reason(&msg);
	ok = got != NULL && strstr(got, want) != NULL;
	if (!ok)
		printf("invalid case %s: got \"%s\", want \"%s\"\n", name, got ? got : "(accepted)",
		       want);
	TEST_CHECK(name, ok);
	/* A reason is one printable line whatever the input was. */
	for (const char *p = got; p != NULL && *p != '\0'; p++)
		TEST_CHECK("reason is one line", *p != '\n' && *p != '\r');
	event_msg_free(&msg);
	free(input);
	free(want);
	return 1;
}

static int
run_cases(const char *sub, int want_dirs, int (*run)(const char *))
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), CASES "/%s", sub);
	d = opendir(path);
	TEST_CHECK("case folder opens (run from the repository root)", d != NULL);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		if (!want_dirs && (l < 5 || strcmp(de->d_name + l - 5, ".json") != 0))
			continue;
		n += run(de->d_name);
	}
	closedir(d);
	printf("%d %s event cases\n", n, sub);
	TEST_CHECK("found cases", n > 0);
	return n;
}

/*** specific cases ***/

static void
test_valid_fields(void)
{
	struct event_msg msg = parse_file("page_viewed.json");
	const struct event *ev = &msg.items[0].ev;

	TEST_CHECK("one item", msg.nitems == 1 && msg.items[0].ok);
	if (msg.nitems == 1 && msg.items[0].ok) {
		TEST_STREQ("id", ev->id, "pv-1");
		TEST_STREQ("item id", msg.items[0].id, "pv-1");
		TEST_STREQ("source", ev->source, "/tracker/web");
		TEST_STREQ("type", ev->type, "page.viewed");
		TEST_STREQ("subject", ev->subject, "contact-42");
		TEST_STREQ("account", ev->account, "acme.com");
		/* 2026-11-21T10:00:00Z: 20778 days after 1970-01-01, plus 10 h. */
		TEST_CHECK("time",
		           ev->time_us == (INT64_C(20778) * 86400 + 36000) * 1000000 + 123456);
		TEST_STREQ("data.path", json_string_value(json_object_get(ev->data, "path")),
		           "/pricing");
		TEST_CHECK("no raw for good items", msg.items[0].raw == NULL);
	}
	event_msg_free(&msg);

	msg = parse_file("minimal_no_data.json");
	ev = &msg.items[0].ev;
	TEST_CHECK("minimal ok", msg.nitems == 1 && msg.items[0].ok);
	if (msg.nitems == 1) {
		TEST_CHECK("no account", ev->account == NULL);
		TEST_CHECK("data defaults to {}",
		           json_is_object(ev->data) && json_object_size(ev->data) == 0);
		TEST_CHECK("time", ev->time_us == INT64_C(1795255200) * 1000000);
	}
	event_msg_free(&msg);

	msg = parse_file("data_null.json");
	TEST_CHECK("null data is {}", msg.nitems == 1 && json_is_object(msg.items[0].ev.data) &&
	                                  json_object_size(msg.items[0].ev.data) == 0);
	event_msg_free(&msg);

	msg = parse_file("empty_account.json");
	TEST_CHECK("empty account is none",
	           msg.nitems == 1 && msg.items[0].ok && msg.items[0].ev.account == NULL);
	event_msg_free(&msg);

	msg = parse_file("offset_time.json");
	/* 10:00 at +02:00 is 08:00Z; date -u -d 2026-11-21T08:00:00Z +%s = 1795248000. */
	TEST_CHECK("offset time",
	           msg.nitems == 1 && msg.items[0].ev.time_us == INT64_C(1795248000123456));
	event_msg_free(&msg);

	msg = parse_file("leap_second.json");
	/* :60 reads as 23:59:59.999999; 2016-12-31T23:59:59Z = 1483228799. */
	TEST_CHECK("leap second",
	           msg.nitems == 1 && msg.items[0].ev.time_us == INT64_C(1483228799999999));
	event_msg_free(&msg);

	msg = parse_file("long_fraction.json");
	/* Digits past the microsecond are dropped, not rounded. */
	TEST_CHECK("fraction truncated",
	           msg.nitems == 1 && msg.items[0].ev.time_us == INT64_C(1772721015123456));
	event_msg_free(&msg);

	msg = parse_file("batch.json");
	TEST_CHECK("batch of 3", msg.nitems == 3);
	if (msg.nitems == 3) {
		TEST_STREQ("batch order", msg.items[2].ev.id, "b-3");
		TEST_CHECK("batch times",
		           msg.items[1].ev.time_us - msg.items[0].ev.time_us == 1000000);
	}
	event_msg_free(&msg);

	msg = parse_file("unicode_subject.json");
	TEST_STREQ("unicode subject", msg.nitems == 1 ? msg.items[0].ev.subject : NULL,
	           "kontakt-m\xc3\xbcller-\xe6\x9d\xb1\xe4\xba\xac-\xf0\x9f\x98\x80");
	event_msg_free(&msg);
}

static void
test_mixed_batch(void)
{
	const char *in =
	    "[{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"/s\",\"type\":\"email.opened\","
	    "\"subject\":\"c1\",\"time\":\"2026-11-21T10:00:00Z\"},"
	    "{\"specversion\":\"1.0\",\"id\":\"b\",\"source\":\"/s\",\"type\":\"email.opened\","
	    "\"time\":\"2026-11-21T10:00:00Z\",\"data\":{\"k\":[1,2.5,null]}},"
	    "{\"specversion\":\"1.0\",\"id\":\"c\",\"source\":\"/s\",\"type\":\"deal.won\","
	    "\"subject\":\"c2\",\"time\":\"2026-11-21T11:00:00Z\",\"account\":\"acme\"},"
	    "{\"id\":7},\n\"x\"]";
	struct event_msg msg = parse_str(in, 10);

	TEST_CHECK("5 items", msg.nitems == 5);
	TEST_STREQ("no message reason", msg.message_reason, "");
	if (msg.nitems != 5)
		goto out;
	TEST_CHECK("ok flags", msg.items[0].ok && !msg.items[1].ok && msg.items[2].ok &&
	                           !msg.items[3].ok && !msg.items[4].ok);
	TEST_STREQ("id 0", msg.items[0].id, "a");
	TEST_STREQ("id 1 kept for the ack", msg.items[1].id, "b");
	TEST_STREQ("id 2", msg.items[2].ev.id, "c");
	TEST_STREQ("account 2", msg.items[2].ev.account, "acme");
	TEST_CHECK("no id when not a string", msg.items[3].id == NULL && msg.items[4].id == NULL);
	TEST_STREQ("reason 1", msg.items[1].reason, "missing required attribute \"subject\"");
	TEST_STREQ("reason 3", msg.items[3].reason, "missing required attribute \"specversion\"");
	TEST_STREQ("reason 4", msg.items[4].reason, "batch member is not a JSON object");
	TEST_STREQ(
	    "raw 1 is compact JSON", msg.items[1].raw,
	    "{\"specversion\":\"1.0\",\"id\":\"b\",\"source\":\"/s\",\"type\":\"email.opened\","
	    "\"time\":\"2026-11-21T10:00:00Z\",\"data\":{\"k\":[1,2.5,null]}}");
	TEST_CHECK("raw_len",
	           msg.items[1].raw != NULL && msg.items[1].raw_len == strlen(msg.items[1].raw));
	TEST_STREQ("raw 3", msg.items[3].raw, "{\"id\":7}");
	TEST_STREQ("raw 4", msg.items[4].raw, "\"x\"");
out:
	event_msg_free(&msg);
	event_msg_free(&msg); /* idempotent */
	TEST_CHECK("freed", msg.items == NULL && msg.nitems == 0);
	event_msg_free(NULL);
}

static void
test_whole_message_reasons(void)
{
	struct event_msg msg;
	char big[300];

	msg = parse_str("{\"a\":1,\n  \"b\" 2}", 10);
	TEST_STREQ("line and column", msg.message_reason,
	           "not valid JSON: ':' expected near '2' (line 2, column 7)");
	event_msg_free(&msg);

	memset(big, '[', sizeof(big));
	TEST_CHECK("too large", event_msg_parse(big, sizeof(big), 299, 10, &msg) == 0);
	TEST_STREQ("too large reason", msg.message_reason,
	           "message too large (300 bytes, limit 299)");
	TEST_CHECK("no items", msg.nitems == 0 && msg.items == NULL);
	event_msg_free(&msg);

	TEST_CHECK("NULL buffer", event_msg_parse(NULL, 0, 10, 10, &msg) == 0);
	TEST_STREQ("NULL buffer reason", msg.message_reason, "empty message");
	event_msg_free(&msg);

	/* Brackets inside strings are not nesting. */
	memset(big, '[', sizeof(big));
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	msg = parse_str(big, 10);
	TEST_STREQ("brackets in a string", msg.message_reason,
	           "top level must be a JSON object or array (got string)");
	event_msg_free(&msg);

	msg = parse_str("[\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]", 10);
	TEST_STREQ("escaped quote keeps the string open", msg.items ? msg.items[0].reason : NULL,
	           "batch member is not a JSON object");
	event_msg_free(&msg);
}

/*** event_from_json / event_to_json ***/

static json_t *
good_object(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "specversion", "1.0", "id", "e1",
	                 "source", "/src", "type", "page.viewed", "subject", "c9", "time",
	                 "2026-11-21T10:00:00.987654Z");
}

static void
expect_reject(json_t *obj, const char *want)
{
	struct event ev;
	struct ls_err err = {""};

	TEST_CHECK(want, event_from_json(obj, &ev, &err) < 0);
	TEST_CHECK(want, strstr(err.msg, want) != NULL);
	if (strstr(err.msg, want) == NULL)
		printf("  got \"%s\"\n", err.msg);
	TEST_CHECK("cleared on reject", ev.id == NULL && ev.data == NULL);
}

static void
test_from_json(void)
{
	struct event ev;
	json_t *obj, *data, *inner, *inner_parent = NULL;

	expect_reject(NULL, "an event must be a JSON object");
	obj = json_array();
	expect_reject(obj, "an event must be a JSON object");
	json_decref(obj);

	/* Data built in memory has the same bound as parsed data: the event is
	 * level 1, data level 2, and 31 more levels make 33. */
	obj = good_object();
	data = json_object();
	inner = data;
	for (int i = 0; i < 31; i++) {
		json_t *next = json_array();

		inner_parent = inner;
		if (json_is_object(inner))
			json_object_set_new(inner, "n", next);
		else
			json_array_append_new(inner, next);
		inner = next;
	}
	json_object_set_new(obj, "data", data);
	expect_reject(obj, "attribute \"data\" is nested too deeply (limit 32)");
	json_array_remove(inner_parent, 0);
	TEST_CHECK("32 levels are fine", event_from_json(obj, &ev, NULL) == 0);
	event_clear(&ev);
	json_decref(obj);

	obj = good_object();
	data = json_object();
	json_object_setn_new(data, "a\0b", 3, json_true());
	json_object_set_new(obj, "data", data);
	expect_reject(obj, "attribute \"data\" contains a NUL character");
	json_decref(obj);

	obj = good_object();
	json_object_set_new(obj, "dataschema", json_string("https://example.com/s.json"));
	json_object_set_new(obj, "datacontenttype",
	                    json_string("application/vnd.api+json ; charset=utf-8"));
	TEST_CHECK("from_json", event_from_json(obj, &ev, NULL) == 0);
	TEST_CHECK("time", ev.time_us == INT64_C(1795255200987654));
	TEST_CHECK("absent data is {}", ev.data != NULL && json_object_size(ev.data) == 0);
	event_clear(&ev);
	event_clear(&ev);
	event_clear(NULL);
	TEST_CHECK("cleared", ev.id == NULL && ev.data == NULL && ev.time_us == 0);
	json_decref(obj);
}

static void
test_to_json(void)
{
	struct event_msg msg = parse_file("page_viewed.json");
	struct event back, copy;
	json_t *obj;
	char *dump;

	TEST_CHECK("parsed", msg.nitems == 1 && msg.items[0].ok);
	if (msg.nitems != 1)
		return;
	obj = event_to_json(&msg.items[0].ev);
	dump = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	TEST_STREQ("structured mode", dump,
	           "{\"specversion\":\"1.0\",\"id\":\"pv-1\",\"source\":\"/tracker/web\","
	           "\"type\":\"page.viewed\",\"subject\":\"contact-42\","
	           "\"time\":\"2026-11-21T10:00:00.123Z\",\"account\":\"acme.com\","
	           "\"data\":{\"path\":\"/pricing\",\"referrer\":\"https://example.com/\"}}");
	free(dump);
	TEST_CHECK("round trip", obj != NULL && event_from_json(obj, &back, NULL) == 0);
	if (obj != NULL) {
		TEST_STREQ("id back", back.id, "pv-1");
		TEST_STREQ("account back", back.account, "acme.com");
		TEST_CHECK("time back to the ms", back.time_us == msg.items[0].ev.time_us - 456);
		TEST_CHECK("data back", json_equal(back.data, msg.items[0].ev.data));
		TEST_CHECK("data copied", back.data != msg.items[0].ev.data);
		event_clear(&back);
	}
	json_decref(obj);

	copy = msg.items[0].ev;
	copy.account = NULL;
	copy.data = NULL;
	obj = event_to_json(&copy);
	TEST_CHECK("no account, empty data",
	           obj != NULL && json_object_get(obj, "account") == NULL &&
	               json_object_size(json_object_get(obj, "data")) == 0);
	json_decref(obj);
	copy.id = NULL;
	TEST_CHECK("incomplete event", event_to_json(&copy) == NULL);
	event_msg_free(&msg);
}

/*** RFC 3339 ***/

static void
test_rfc3339_values(void)
{
	struct ls_err err;
	int64_t us;

	TEST_CHECK("epoch", parse_time("1970-01-01T00:00:00Z") == 0);
	TEST_CHECK("offset",
	           parse_time("2026-11-21T10:00:00.123456+02:00") == INT64_C(1795248000123456));
	TEST_CHECK("leap day", parse_time("2024-02-29T12:00:00Z") == INT64_C(1709208000000000));
	TEST_CHECK("leap day 2000", parse_time("2000-02-29T00:00:00Z") == INT64_C(951782400000000));
	TEST_CHECK("before epoch", parse_time("1969-12-31T23:59:59.5Z") == -500000);
	TEST_CHECK("year 0", parse_time("0000-01-01T00:00:00Z") == INT64_C(-62167219200000000));
	TEST_CHECK("year 9999",
	           parse_time("9999-12-31T23:59:59.999999Z") == INT64_C(253402300799999999));
	TEST_CHECK("-23:59", parse_time("2026-11-21T10:00:00-23:59") == INT64_C(1795341540000000));
	TEST_CHECK("lower case", parse_time("2026-11-21t08:00:00z") == INT64_C(1795248000000000));
	TEST_CHECK("one digit fraction", parse_time("1970-01-01T00:00:00.1Z") == 100000);
	TEST_CHECK("same instant", parse_time("2026-11-21T10:00:00+02:00") ==
	                               parse_time("2026-11-21T03:30:00-04:30"));

	TEST_CHECK("NULL", rfc3339_parse(NULL, &us, &err) < 0);
	TEST_STREQ("NULL reason", err.msg, "no date-time given");
	TEST_CHECK("NULL err allowed", rfc3339_parse("2026", &us, NULL) < 0);
	TEST_CHECK("minute offset", rfc3339_parse("2026-11-21T10:00:00+00:60", &us, &err) < 0);
	TEST_STREQ("minute offset reason", err.msg, "time zone offset 00:60 out of range");
	TEST_CHECK("sign only", rfc3339_parse("2026-11-21T10:00:00+", &us, &err) < 0);
	TEST_STREQ("sign only reason", err.msg, "expected a time zone offset as +HH:MM");
	TEST_CHECK("T at the end", rfc3339_parse("2026-11-21T", &us, &err) < 0);
	TEST_STREQ("T at the end reason", err.msg, "expected an HH:MM:SS time");
}

/* Every day from 1900 to 2100 against the C library's timegm and gmtime_r,
 * which share no code with the module. */
static void
test_rfc3339_against_libc(void)
{
	int bad_parse = 0, bad_format = 0, days = 0;
	char s[64], f[64], want[64];

	for (int y = 1900; y <= 2100; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= 31; d++) {
				struct tm tm = {0};
				time_t t;
				int64_t us;

				tm.tm_year = y - 1900;
				tm.tm_mon = m - 1;
				tm.tm_mday = d;
				tm.tm_hour = (d * 7) % 24;
				tm.tm_min = (m * 13) % 60;
				tm.tm_sec = (y + d) % 60;
				t = timegm(&tm);
				if (tm.tm_mday != d) /* normalised: the day does not exist */
					continue;
				days++;
				snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d.25Z", y, m, d,
				         tm.tm_hour, tm.tm_min, tm.tm_sec);
				us = parse_time(s);
				if (us != (int64_t)t * 1000000 + 250000)
					bad_parse++;
				rfc3339_format(us, f, sizeof(f));
				strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.250Z", &tm);
				if (strcmp(f, want) != 0)
					bad_format++;
			}
		}
	}
	TEST_CHECK("73,414 days", days == 73414);
	TEST_CHECK("parse matches timegm", bad_parse == 0);
	TEST_CHECK("format matches gmtime", bad_format == 0);
}

static void
test_rfc3339_format(void)
{
	static const int64_t round[] = {0,
	                                -1000,
	                                1000,
	                                INT64_C(1795248000123000),
	                                INT64_C(-62167219200000000),
	                                INT64_C(253402300799999000),
	                                INT64_C(-86400000000),
	                                INT64_C(951782400000000)};
	char buf[32];

	rfc3339_format(0, buf, sizeof(buf));
	TEST_STREQ("epoch", buf, "1970-01-01T00:00:00.000Z");
	rfc3339_format(-1, buf, sizeof(buf));
	TEST_STREQ("floored", buf, "1969-12-31T23:59:59.999Z");
	rfc3339_format(INT64_C(1795248000123456), buf, sizeof(buf));
	TEST_STREQ("ms", buf, "2026-11-21T08:00:00.123Z");
	rfc3339_format(INT64_MAX, buf, sizeof(buf));
	TEST_STREQ("INT64_MAX", buf, "294247-01-10T04:00:54.775Z");
	rfc3339_format(INT64_MIN, buf, sizeof(buf));
	TEST_STREQ("INT64_MIN", buf, "-290308-12-21T19:59:05.224Z");
	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		rfc3339_format(round[i], buf, sizeof(buf));
		TEST_CHECK(buf, parse_time(buf) == round[i]);
	}
	rfc3339_format(0, buf, 8);
	TEST_STREQ("truncated", buf, "1970-01");
	buf[0] = 'x';
	rfc3339_format(0, buf, 0);
	TEST_CHECK("size 0 leaves buf alone", buf[0] == 'x');
	rfc3339_format(0, NULL, 32);
}

/*** allocation failures (jansson's chaos test, after its suites) ***/

static long chaos_fail_at, chaos_count, chaos_live;

static void *
chaos_malloc(size_t n)
{
	void *p;

	if (++chaos_count == chaos_fail_at)
		return NULL;
	p = malloc(n);
	if (p != NULL)
		chaos_live++;
	return p;
}

static void
chaos_free(void *p)
{
	if (p != NULL)
		chaos_live--;
	free(p);
}

/* Fails the fail_at-th allocation from now on (0: none). */
static void
chaos_arm(long fail_at)
{
	chaos_fail_at = fail_at;
	chaos_count = 0;
}

static void
test_out_of_memory(void)
{
	const char *in = "[{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"/s\",\"type\":\"t\","
	                 "\"subject\":\"c\",\"time\":\"2026-11-21T10:00:00Z\",\"account\":\"x\","
	                 "\"data\":{\"k\":[1]}},"
	                 "{\"specversion\":\"1.0\",\"id\":\"b\"},"
	                 "{\"specversion\":\"1.0\",\"id\":\"c\",\"source\":\"/s\",\"type\":\"t\","
	                 "\"subject\":\"c\",\"time\":\"2026-11-21T10:00:00Z\"},"
	                 "5]";
	struct event_msg msg;
	struct event ev;
	struct ls_err err;
	json_error_t jerr;
	json_t *root, *obj;
	long load_allocs, injected = 0, strict_fail = 0, leaks = 0;
	int rc;

	json_set_alloc_funcs(chaos_malloc, chaos_free);
	chaos_live = 0;

	chaos_arm(1);
	TEST_CHECK("parser cannot start", event_msg_parse(in, strlen(in), MAX_BYTES, 10, &msg) < 0);
	TEST_CHECK("nothing held", msg.nitems == 0 && msg.items == NULL && chaos_live == 0);

	/* jansson's loader may report a failed allocation as a syntax error, so the
	 * strict check starts with the module's own allocations after it. */
	chaos_arm(0);
	root = json_loadb(in, strlen(in), JSON_ALLOW_NUL, &jerr);
	load_allocs = chaos_count;
	json_decref(root);
	for (long k = load_allocs + 1;; k++) {
		chaos_arm(k);
		rc = event_msg_parse(in, strlen(in), MAX_BYTES, 10, &msg);
		if (chaos_count < k) {
			TEST_CHECK("completes", rc == 0 && msg.nitems == 4 && msg.items[0].ok &&
			                            !msg.items[1].ok && msg.items[2].ok);
			event_msg_free(&msg);
			break;
		}
		injected++;
		if (rc != -1 || msg.items != NULL || msg.nitems != 0)
			strict_fail++;
		if (rc == 0)
			event_msg_free(&msg);
		if (chaos_live != 0)
			leaks++;
	}
	printf("%ld allocation failures injected after loading\n", injected);
	TEST_CHECK("failures injected", injected >= 8);
	TEST_CHECK("every failure is -1", strict_fail == 0);
	TEST_CHECK("nothing leaked", leaks == 0);

	chaos_arm(0);
	obj = good_object();
	json_object_set_new(obj, "account", json_string("acme"));
	injected = strict_fail = 0;
	for (long k = 1;; k++) {
		chaos_arm(k);
		rc = event_from_json(obj, &ev, &err);
		if (chaos_count < k) {
			TEST_CHECK("from_json completes", rc == 0);
			event_clear(&ev);
			break;
		}
		injected++;
		if (rc != -1 || strcmp(err.msg, "out of memory") != 0 || ev.id != NULL)
			strict_fail++;
	}
	TEST_CHECK("from_json failures", injected >= 5 && strict_fail == 0);

	injected = strict_fail = 0;
	chaos_arm(0);
	TEST_CHECK("event for to_json", event_from_json(obj, &ev, NULL) == 0);
	for (long k = 1;; k++) {
		json_t *out;

		chaos_arm(k);
		out = event_to_json(&ev);
		if (chaos_count < k) {
			TEST_CHECK("to_json completes", out != NULL);
			json_decref(out);
			break;
		}
		injected++;
		if (out != NULL) {
			strict_fail++;
			json_decref(out);
		}
	}
	TEST_CHECK("to_json failures", injected >= 8 && strict_fail == 0);
	chaos_arm(0);
	event_clear(&ev);
	json_decref(obj);
	TEST_CHECK("nothing leaked", chaos_live == 0);

	json_set_alloc_funcs(malloc, free);
}

int
main(void)
{
	int n = run_cases("valid", 0, run_valid_case) + run_cases("invalid", 1, run_invalid_case);

	printf("%d event cases in all\n", n);
	test_valid_fields();
	test_mixed_batch();
	test_whole_message_reasons();
	test_from_json();
	test_to_json();
	test_rfc3339_values();
	test_rfc3339_against_libc();
	test_rfc3339_format();
	test_out_of_memory();
	return TEST_REPORT();
}
