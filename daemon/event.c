/* event.c: CloudEvents 1.0 structured-mode parsing and validation: bytes in, events or reasons out.
 */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_DAY (INT64_C(86400) * USEC_PER_SEC)
#define ECHO_SIZE 56 /* room for an offending value quoted in a reason, escaped */

/* Internal outcomes, so running out of memory is never mistaken for bad input. */
enum { EV_OK = 0, EV_INVALID = -1, EV_NOMEM = -2 };

/*** allocation ***/

/* Every allocation goes through jansson's allocator, so json_set_alloc_funcs()
 * governs the whole module: tests use it to fail each allocation in turn. */
static void *
ev_malloc(size_t n)
{
	json_malloc_t m;
	json_free_t f;

	json_get_alloc_funcs(&m, &f);
	return m(n);
}

static void
ev_free(void *p)
{
	json_malloc_t m;
	json_free_t f;

	if (p == NULL)
		return;
	json_get_alloc_funcs(&m, &f);
	f(p);
}

static char *
ev_strndup(const char *s, size_t n)
{
	char *p = ev_malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/*** reasons ***/

/* Copies a reason into a fixed field: cut on a UTF-8 boundary, control
 * characters blanked, so a dead-letter reason is always one clean line. */
static void
reason_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7F) ? ' ' : src[i];
	}
	dst[n] = '\0';
}

static void LS_PRINTF(3, 4) reason_set(char *dst, size_t size, const char *fmt, ...)
{
	struct ls_err e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	reason_copy(dst, size, e.msg);
}

/* Quotes an offending value for a reason: bounded, printable ASCII only, so
 * hostile input can neither flood a log line nor break it. */
static void
echo(const char *s, size_t n, char out[ECHO_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < n && o + 4 + 3 < ECHO_SIZE; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7F) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xF];
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

/*** RFC 3339 ***/

static int
is_leap(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm),
 * exact for any year, without timegm or the process's locale and time zone. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly n digits; never steps past the terminating NUL. */
static int
take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
take_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int
parse_date(const char **p, int *y, int *mo, int *d, struct ls_err *err)
{
	if (take_digits(p, 4, y) < 0 || take_char(p, '-') < 0 || take_digits(p, 2, mo) < 0 ||
	    take_char(p, '-') < 0 || take_digits(p, 2, d) < 0)
		return ls_err_set(err, "expected a YYYY-MM-DD date");
	if (*mo < 1 || *mo > 12)
		return ls_err_set(err, "month %02d out of range", *mo);
	if (*d < 1 || *d > days_in_month(*y, *mo))
		return ls_err_set(err, "day %02d out of range for %04d-%02d", *d, *y, *mo);
	return 0;
}

/* HH:MM:SS[.fraction]; a leap second (:60) reads as the last microsecond of :59. */
static int
parse_time(const char **p, int64_t *sec_of_day, int64_t *us, struct ls_err *err)
{
	int h, mi, s, ndigits = 0;

	if (take_digits(p, 2, &h) < 0 || take_char(p, ':') < 0 || take_digits(p, 2, &mi) < 0 ||
	    take_char(p, ':') < 0 || take_digits(p, 2, &s) < 0)
		return ls_err_set(err, "expected an HH:MM:SS time");
	if (h > 23)
		return ls_err_set(err, "hour %02d out of range", h);
	if (mi > 59)
		return ls_err_set(err, "minute %02d out of range", mi);
	if (s > 60)
		return ls_err_set(err, "second %02d out of range", s);
	*us = 0;
	if (**p == '.') {
		(*p)++;
		for (; is_digit(**p); (*p)++, ndigits++) {
			if (ndigits < 6)
				*us = *us * 10 + (**p - '0');
		}
		if (ndigits == 0)
			return ls_err_set(err, "expected digits after '.'");
		for (; ndigits < 6; ndigits++)
			*us *= 10;
	}
	if (s == 60) {
		s = 59;
		*us = USEC_PER_SEC - 1;
	}
	*sec_of_day = (int64_t)h * 3600 + mi * 60 + s;
	return 0;
}

/* Z or +HH:MM / -HH:MM, as seconds east of UTC. */
static int
parse_offset(const char **p, int64_t *east, struct ls_err *err)
{
	int sign, oh, om;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*east = 0;
		return 0;
	}
	if (**p == '\0')
		return ls_err_set(err, "missing time zone (Z or +HH:MM)");
	if (**p != '+' && **p != '-')
		return ls_err_set(err, "expected a time zone (Z or +HH:MM)");
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (take_digits(p, 2, &oh) < 0 || take_char(p, ':') < 0 || take_digits(p, 2, &om) < 0)
		return ls_err_set(err, "expected a time zone offset as +HH:MM");
	if (oh > 23 || om > 59)
		return ls_err_set(err, "time zone offset %02d:%02d out of range", oh, om);
	*east = sign * ((int64_t)oh * 3600 + om * 60);
	return 0;
}

int
rfc3339_parse(const char *s, int64_t *out_us, struct ls_err *err)
{
	const char *p = s;
	int y = 0, mo = 0, d = 0;
	int64_t sec_of_day = 0, us = 0, east = 0;

	if (s == NULL)
		return ls_err_set(err, "no date-time given");
	if (parse_date(&p, &y, &mo, &d, err) < 0)
		return -1;
	if (*p != 'T' && *p != 't')
		return ls_err_set(err, "expected 'T' between date and time");
	p++;
	if (parse_time(&p, &sec_of_day, &us, err) < 0 || parse_offset(&p, &east, err) < 0)
		return -1;
	if (*p != '\0')
		return ls_err_set(err, "unexpected characters after the time zone");
	*out_us = (days_from_civil(y, mo, d) * 86400 + sec_of_day - east) * USEC_PER_SEC + us;
	return 0;
}

void
rfc3339_format(int64_t us, char *buf, size_t size)
{
	int64_t days, rem, y;
	int m, d, sec;

	if (buf == NULL || size == 0)
		return;
	/* Floor division without multiplying back, so INT64_MIN cannot overflow. */
	days = us / USEC_PER_DAY;
	rem = us % USEC_PER_DAY;
	if (rem < 0) {
		rem += USEC_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	sec = (int)(rem / USEC_PER_SEC);
	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d, sec / 3600,
	         sec / 60 % 60, sec % 60, (int)(rem % USEC_PER_SEC / 1000));
}

/*** one event ***/

/* A string attribute: *s stays NULL when an optional one is absent or null.
 * max 0 means no length bound. */
static int
attr_string(const json_t *obj, const char *name, int required, size_t max, const char **s,
            size_t *len, struct ls_err *err)
{
	const json_t *v = json_object_get(obj, name);

	*s = NULL;
	*len = 0;
	if (v == NULL) {
		if (required)
			return ls_err_set(err, "missing required attribute \"%s\"", name);
		return EV_OK;
	}
	if (json_is_null(v) && !required)
		return EV_OK;
	if (!json_is_string(v))
		return ls_err_set(err, "attribute \"%s\" must be a string (got %s)", name,
		                  json_type_name(v));
	*s = json_string_value(v);
	*len = json_string_length(v);
	/* JSON allows \u0000; C strings and PostgreSQL text do not. */
	if (memchr(*s, '\0', *len) != NULL)
		return ls_err_set(err, "attribute \"%s\" contains a NUL character", name);
	if (required && *len == 0)
		return ls_err_set(err, "attribute \"%s\" must not be empty", name);
	if (max > 0 && *len > max)
		return ls_err_set(err, "attribute \"%s\" is too long (%zu bytes, limit %zu)", name,
		                  *len, max);
	return EV_OK;
}

static int
check_specversion(const json_t *obj, struct ls_err *err)
{
	const char *s;
	size_t n;
	char q[ECHO_SIZE];

	if (attr_string(obj, "specversion", 1, 0, &s, &n, err) < 0)
		return EV_INVALID;
	if (n != 3 || memcmp(s, "1.0", 3) != 0) {
		echo(s, n, q);
		return ls_err_set(err, "attribute \"specversion\" must be \"1.0\" (got \"%s\")", q);
	}
	return EV_OK;
}

static int
check_time(const json_t *obj, int64_t *us, struct ls_err *err)
{
	struct ls_err terr;
	const char *s;
	size_t n;
	char q[ECHO_SIZE];

	if (attr_string(obj, "time", 1, 0, &s, &n, err) < 0)
		return EV_INVALID;
	if (rfc3339_parse(s, us, &terr) < 0) {
		echo(s, n, q);
		return ls_err_set(err,
		                  "attribute \"time\" is not an RFC 3339 date-time: \"%s\" (%s)", q,
		                  terr.msg);
	}
	return EV_OK;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ascii_eq_nocase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	}
	return 1;
}

/* application/json or any structured-syntax +json type, parameters allowed;
 * media types compare case-insensitively (RFC 6838). */
static int
is_json_media_type(const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n);
	size_t len = semi != NULL ? (size_t)(semi - s) : n;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 16 && ascii_eq_nocase(s, "application/json", 16))
		return 1;
	return len > 5 && memchr(s, '/', len - 5) != NULL && s[len - 6] != '/' &&
	       ascii_eq_nocase(s + len - 5, "+json", 5);
}

static int
check_content_type(const json_t *obj, struct ls_err *err)
{
	const char *s;
	size_t n;
	char q[ECHO_SIZE];

	if (json_object_get(obj, "data_base64") != NULL)
		return ls_err_set(err, "binary data_base64 is not supported");
	if (attr_string(obj, "datacontenttype", 0, 0, &s, &n, err) < 0)
		return EV_INVALID;
	if (s != NULL && !is_json_media_type(s, n)) {
		echo(s, n, q);
		return ls_err_set(err,
		                  "attribute \"datacontenttype\" is \"%s\": only JSON data is "
		                  "supported",
		                  q);
	}
	return EV_OK;
}

/* Data ends up in PostgreSQL jsonb, which refuses \u0000; the depth bound also
 * keeps this recursion (and later ones) shallow for objects built in memory. */
static int
check_data_value(json_t *v, int depth, struct ls_err *err)
{
	if (depth > EVENT_MAX_DEPTH)
		return ls_err_set(err, "attribute \"data\" is nested too deeply (limit %d)",
		                  EVENT_MAX_DEPTH);
	if (json_is_string(v)) {
		if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
			return ls_err_set(err, "attribute \"data\" contains a NUL character");
	} else if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it != NULL;
		     it = json_object_iter_next(v, it)) {
			if (memchr(json_object_iter_key(it), '\0', json_object_iter_key_len(it)))
				return ls_err_set(err,
				                  "attribute \"data\" contains a NUL character");
			if (check_data_value(json_object_iter_value(it), depth + 1, err) < 0)
				return EV_INVALID;
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (check_data_value(json_array_get(v, i), depth + 1, err) < 0)
				return EV_INVALID;
		}
	}
	return EV_OK;
}

static int
check_data(const json_t *obj, json_t **data, struct ls_err *err)
{
	json_t *v = json_object_get(obj, "data");

	*data = NULL;
	if (v == NULL || json_is_null(v))
		return EV_OK;
	if (!json_is_object(v))
		return ls_err_set(err, "attribute \"data\" must be a JSON object (got %s)",
		                  json_type_name(v));
	/* The event object is level 1, as in the whole-message bound. */
	if (check_data_value(v, 2, err) < 0)
		return EV_INVALID;
	*data = v;
	return EV_OK;
}

/* The validated but still borrowed attributes of one event. */
struct attrs {
	const char *id, *source, *type, *subject, *account;
	size_t id_len, source_len, type_len, subject_len, account_len;
	int64_t time_us;
	json_t *data;
};

static int
check_attrs(const json_t *obj, struct attrs *a, struct ls_err *err)
{
	const char *schema;
	size_t schema_len;

	if (check_specversion(obj, err) < 0 ||
	    attr_string(obj, "id", 1, EVENT_MAX_ID, &a->id, &a->id_len, err) < 0 ||
	    attr_string(obj, "source", 1, EVENT_MAX_SOURCE, &a->source, &a->source_len, err) < 0 ||
	    attr_string(obj, "type", 1, EVENT_MAX_TYPE, &a->type, &a->type_len, err) < 0 ||
	    attr_string(obj, "subject", 1, EVENT_MAX_SUBJECT, &a->subject, &a->subject_len, err) <
	        0 ||
	    check_time(obj, &a->time_us, err) < 0 ||
	    attr_string(obj, "account", 0, EVENT_MAX_ACCOUNT, &a->account, &a->account_len, err) <
	        0 ||
	    check_content_type(obj, err) < 0 ||
	    attr_string(obj, "dataschema", 0, 0, &schema, &schema_len, err) < 0 ||
	    check_data(obj, &a->data, err) < 0)
		return EV_INVALID;
	return EV_OK;
}

/* Validates first, then copies, so a rejection allocates nothing. */
static int
event_build(const json_t *obj, struct event *ev, struct ls_err *err)
{
	struct attrs a;

	memset(ev, 0, sizeof(*ev));
	if (obj == NULL || !json_is_object(obj))
		return ls_err_set(err, "an event must be a JSON object");
	memset(&a, 0, sizeof(a));
	if (check_attrs(obj, &a, err) < 0)
		return EV_INVALID;
	ev->time_us = a.time_us;
	ev->id = ev_strndup(a.id, a.id_len);
	ev->source = ev_strndup(a.source, a.source_len);
	ev->type = ev_strndup(a.type, a.type_len);
	ev->subject = ev_strndup(a.subject, a.subject_len);
	/* An empty account is as good as none: there is nothing to roll up to. */
	if (a.account != NULL && a.account_len > 0)
		ev->account = ev_strndup(a.account, a.account_len);
	ev->data = a.data != NULL ? json_incref(a.data) : json_object();
	if (ev->id == NULL || ev->source == NULL || ev->type == NULL || ev->subject == NULL ||
	    (a.account_len > 0 && ev->account == NULL) || ev->data == NULL) {
		event_clear(ev);
		ls_err_set(err, "out of memory");
		return EV_NOMEM;
	}
	return EV_OK;
}

int
event_from_json(const json_t *obj, struct event *ev, struct ls_err *err)
{
	return event_build(obj, ev, err) == EV_OK ? 0 : -1;
}

void
event_clear(struct event *ev)
{
	if (ev == NULL)
		return;
	ev_free(ev->id);
	ev_free(ev->source);
	ev_free(ev->type);
	ev_free(ev->subject);
	ev_free(ev->account);
	json_decref(ev->data);
	memset(ev, 0, sizeof(*ev));
}

static int
set_string(json_t *obj, const char *key, const char *value)
{
	return json_object_set_new(obj, key, value != NULL ? json_string(value) : NULL);
}

json_t *
event_to_json(const struct event *ev)
{
	char t[48]; /* 32 suffice for any int64; the compiler cannot tell */
	json_t *obj = json_object();

	if (obj == NULL)
		return NULL;
	rfc3339_format(ev->time_us, t, sizeof(t));
	if (set_string(obj, "specversion", "1.0") < 0 || set_string(obj, "id", ev->id) < 0 ||
	    set_string(obj, "source", ev->source) < 0 || set_string(obj, "type", ev->type) < 0 ||
	    set_string(obj, "subject", ev->subject) < 0 || set_string(obj, "time", t) < 0 ||
	    (ev->account != NULL && set_string(obj, "account", ev->account) < 0) ||
	    json_object_set_new(obj, "data",
	                        ev->data != NULL ? json_deep_copy(ev->data) : json_object()) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/*** messages ***/

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF), or len when all is. */
static size_t
utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3;
		else
			return i;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		else if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (n >= len - i)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return i;
		}
		i += n + 1;
	}
	return len;
}

/* A lexical scan of bracket depth, before jansson builds anything: hostile
 * nesting is refused cheaply and every later recursion stays shallow. */
static int
nesting_too_deep(const char *buf, size_t len)
{
	size_t depth = 0;
	int in_string = 0, escaped = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > EVENT_MAX_DEPTH)
				return 1;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

/* The checks on raw bytes; 0 when the message may go to the JSON parser. */
static int
msg_precheck(const char *buf, size_t len, size_t max_bytes, struct event_msg *msg)
{
	size_t bad;

	if (len > max_bytes) {
		reason_set(msg->message_reason, sizeof(msg->message_reason),
		           "message too large (%zu bytes, limit %zu)", len, max_bytes);
		return -1;
	}
	if (len == 0 || buf == NULL) {
		reason_set(msg->message_reason, sizeof(msg->message_reason), "empty message");
		return -1;
	}
	bad = utf8_invalid_at((const unsigned char *)buf, len);
	if (bad < len) {
		reason_set(msg->message_reason, sizeof(msg->message_reason),
		           "invalid UTF-8 at byte %zu (0x%02x)", bad, (unsigned char)buf[bad]);
		return -1;
	}
	if (nesting_too_deep(buf, len)) {
		reason_set(msg->message_reason, sizeof(msg->message_reason),
		           "JSON nested too deeply (limit %d)", EVENT_MAX_DEPTH);
		return -1;
	}
	return 0;
}

/* Keeps what a rejected member can still offer: its id for the ack and its
 * compact JSON for the dead-letter table. */
static int
item_reject(struct event_item *item, json_t *member, const char *reason)
{
	item->ok = 0;
	reason_copy(item->reason, sizeof(item->reason), reason);
	item->raw = json_dumps(member, JSON_COMPACT | JSON_ENCODE_ANY);
	if (item->raw == NULL)
		return -1;
	item->raw_len = strlen(item->raw);
	return 0;
}

static int
item_fill(struct event_item *item, json_t *member)
{
	struct ls_err err;
	const json_t *id;
	int rc;

	if (!json_is_object(member))
		return item_reject(item, member, "batch member is not a JSON object");
	id = json_object_get(member, "id");
	if (json_is_string(id) &&
	    memchr(json_string_value(id), '\0', json_string_length(id)) == NULL) {
		item->id = ev_strndup(json_string_value(id), json_string_length(id));
		if (item->id == NULL)
			return -1;
	}
	rc = event_build(member, &item->ev, &err);
	if (rc == EV_NOMEM)
		return -1;
	if (rc == EV_INVALID)
		return item_reject(item, member, err.msg);
	item->ok = 1;
	return 0;
}

static int
msg_alloc_items(struct event_msg *msg, size_t n)
{
	msg->items = ev_malloc(n * sizeof(*msg->items));
	if (msg->items == NULL)
		return -1;
	memset(msg->items, 0, n * sizeof(*msg->items));
	return 0;
}

static int
msg_from_root(json_t *root, size_t max_events, struct event_msg *msg)
{
	size_t n;

	if (json_is_object(root)) {
		if (msg_alloc_items(msg, 1) < 0)
			return -1;
		msg->nitems = 1;
		return item_fill(&msg->items[0], root);
	}
	if (!json_is_array(root)) {
		reason_set(msg->message_reason, sizeof(msg->message_reason),
		           "top level must be a JSON object or array (got %s)",
		           json_type_name(root));
		return 0;
	}
	n = json_array_size(root);
	if (n == 0) {
		reason_set(msg->message_reason, sizeof(msg->message_reason), "empty batch");
		return 0;
	}
	if (n > max_events) {
		reason_set(msg->message_reason, sizeof(msg->message_reason),
		           "batch of %zu events exceeds limit %zu", n, max_events);
		return 0;
	}
	if (msg_alloc_items(msg, n) < 0)
		return -1;
	/* nitems grows with the filled items, so a failure part-way frees cleanly. */
	for (size_t i = 0; i < n; i++) {
		msg->nitems = i + 1;
		if (item_fill(&msg->items[i], json_array_get(root, i)) < 0)
			return -1;
	}
	return 0;
}

int
event_msg_parse(const char *buf, size_t len, size_t max_bytes, size_t max_events,
                struct event_msg *msg)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(msg, 0, sizeof(*msg));
	if (msg_precheck(buf, len, max_bytes, msg) < 0)
		return 0;
	memset(&jerr, 0, sizeof(jerr));
	root =
	    json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL) {
		/* jansson gives no text when an allocation failed outright. */
		if (json_error_code(&jerr) == json_error_out_of_memory || jerr.text[0] == '\0')
			return -1;
		reason_set(msg->message_reason, sizeof(msg->message_reason),
		           "not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
		           jerr.column);
		return 0;
	}
	rc = msg_from_root(root, max_events, msg);
	json_decref(root);
	if (rc < 0)
		event_msg_free(msg);
	return rc;
}

void
event_msg_free(struct event_msg *msg)
{
	if (msg == NULL)
		return;
	for (size_t i = 0; i < msg->nitems; i++) {
		event_clear(&msg->items[i].ev);
		ev_free(msg->items[i].id);
		ev_free(msg->items[i].raw);
	}
	ev_free(msg->items);
	memset(msg, 0, sizeof(*msg));
}
