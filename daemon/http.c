/* http.c: the HTTP transport of the API: libmicrohttpd threads, routing, auth, bodies, responses.
 */
#include "http.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "auth.h"
#include "log.h"
#include "metrics.h"

#define MAX_PARAMS HTTP_MAX_PARAMS
#define CONNECTION_TIMEOUT_S 60

struct http_server {
	struct MHD_Daemon *d;
	struct api *api;
	int port;
};

/* One request in progress (libmicrohttpd's per-request pointer). */
struct http_req {
	const struct http_route *route;
	char *params[MAX_PARAMS]; /* path parameters, unescaped */
	size_t nparams;
	char *body;
	size_t len, cap;
	int too_large;
	char *text; /* a text/plain answer (metrics) */
};

enum route_kind {
	R_HEALTHZ,
	R_READYZ,
	R_METRICS,
	R_QUEUE,
	R_CLAIM,
	R_RELEASE,
	R_OUTCOMES,
	R_EVENTS,
	R_LEAD,
	R_ACCOUNTS,
	R_ACCOUNT,
	R_ROI
};

#define SDR (AUTH_SDR | AUTH_ADMIN)

/* Kept in the order of enum route_kind. */
static const struct http_route routes[] = {
    {"GET", "/healthz", 0},
    {"GET", "/readyz", 0},
    {"GET", "/metrics", 0},
    {"GET", "/v1/queue", SDR},
    {"POST", "/v1/queue/claim", SDR},
    {"POST", "/v1/leases/{contact}/release", SDR},
    {"POST", "/v1/outcomes", SDR},
    {"POST", "/v1/events", AUTH_PRODUCER | AUTH_ADMIN},
    {"GET", "/v1/leads/{contact}", SDR},
    {"GET", "/v1/accounts", SDR},
    {"GET", "/v1/accounts/{account}", SDR},
    {"GET", "/v1/roi", AUTH_ADMIN},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

const struct http_route *
http_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

/* ---- addresses ---- */

int
http_parse_address(const char *text, struct sockaddr_storage *out, struct ls_err *err)
{
	struct sockaddr_storage ss;
	const char *colon = strrchr(text, ':'), *port_text;
	char host[64], *end;
	long port;
	size_t hlen;

	memset(&ss, 0, sizeof(ss));
	if (colon == NULL || colon == text || colon[1] == '\0')
		return ls_err_set(err, "'%.60s' is not HOST:PORT", text);
	port_text = colon + 1;
	port = strtol(port_text, &end, 10);
	if (*end != '\0' || strspn(port_text, "0123456789") != strlen(port_text) || port < 0 ||
	    port > 65535)
		return ls_err_set(err, "port '%.20s' is not 0..65535", port_text);
	hlen = (size_t)(colon - text);
	if (hlen >= sizeof(host))
		return ls_err_set(err, "'%.60s' is not HOST:PORT", text);
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		host[hlen - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return ls_err_set(err, "'%.60s' is not an IPv6 address", host + 1);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (strcmp(host, "*") == 0)
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return ls_err_set(err, "'%.60s' is not HOST:PORT (a numeric address, or *)",
			                  text);
	}
	if (out != NULL)
		*out = ss;
	return 0;
}

/* ---- routing ---- */

static void
req_free(struct http_req *q)
{
	for (size_t i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->body);
	free(q->text);
	free(q);
}

/* Matches path against a pattern segment by segment; {name} takes one non-empty segment,
 * unescaped (%2F inside a contact id stays part of it). */
static int
route_match(const char *pattern, const char *path, struct http_req *q)
{
	const char *p = pattern, *s = path;

	while (*p != '\0' && *s != '\0') {
		size_t plen = strcspn(p + 1, "/") + 1, slen = strcspn(s + 1, "/") + 1;

		if (p[1] == '{') {
			char *v;

			if (slen < 2 || q->nparams >= MAX_PARAMS ||
			    (v = strndup(s + 1, slen - 1)) == NULL)
				return 0;
			if (MHD_http_unescape(v) != strlen(v)) { /* a NUL inside */
				free(v);
				return 0;
			}
			q->params[q->nparams++] = v;
		} else if (plen != slen || strncmp(p, s, plen) != 0) {
			return 0;
		}
		p += plen;
		s += slen;
	}
	return *p == '\0' && *s == '\0';
}

/* The route for method and path; *path_known tells a wrong method from a wrong path. */
static const struct http_route *
route_find(const char *method, const char *path, struct http_req *q, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < NROUTES; i++) {
		for (size_t k = 0; k < q->nparams; k++)
			free(q->params[k]);
		q->nparams = 0;
		if (!route_match(routes[i].path, path, q))
			continue;
		*path_known = 1;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
	}
	return NULL;
}

const struct http_route *
http_route_lookup(const char *method, const char *path, char **params, size_t *nparams,
		  int *path_known)
{
	struct http_req q;
	const struct http_route *route;

	memset(&q, 0, sizeof(q));
	route = route_find(method, path, &q, path_known);
	*nparams = 0;
	for (size_t i = 0; i < q.nparams; i++) {
		if (route != NULL && i < HTTP_MAX_PARAMS)
			params[(*nparams)++] = q.params[i];
		else
			free(q.params[i]);
	}
	return route;
}

/* ---- responses ---- */

static enum MHD_Result
respond(struct MHD_Connection *c, int status, const char *type, char *text, const char *hname,
        const char *hvalue)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	size_t len = text != NULL ? strlen(text) : 0;

	resp = MHD_create_response_from_buffer(
	    len, text ? text : (char *)"", text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	if (type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (hname != NULL)
		MHD_add_response_header(resp, hname, hvalue);
	metrics_http_response(status);
	ok = MHD_queue_response(c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* An RFC 9457 problem document; extra (may be NULL) adds members. */
static enum MHD_Result
problem(struct MHD_Connection *c, int status, const char *detail, const json_t *extra,
        const char *hname, const char *hvalue)
{
	json_t *doc = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
	                        api_status_title(status), "status", status, "detail", detail);
	char *text;

	if (doc != NULL && extra != NULL)
		json_object_update_missing(doc, (json_t *)extra);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return respond(c, status, "application/problem+json", text, hname, hvalue);
}

static enum MHD_Result problemf(struct MHD_Connection *c, int status, const char *fmt, ...)
    LS_PRINTF(3, 4);

static enum MHD_Result
problemf(struct MHD_Connection *c, int status, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return problem(c, status, detail, NULL, NULL, NULL);
}

/* Sends r; a text body moves into the response (r keeps NULL in its place). */
static enum MHD_Result
reply_send(struct MHD_Connection *c, struct api_reply *r)
{
	char *text;

	if (r->status >= 400)
		return problem(c, r->status, r->detail, r->body, NULL, NULL);
	if (r->status == 204 || (r->body == NULL && r->body_text == NULL))
		return respond(c, 204, NULL, NULL, NULL, NULL);
	if (r->body_text != NULL) {
		text = r->body_text;
		r->body_text = NULL;
	} else {
		text = json_dumps(r->body, JSON_COMPACT);
	}
	return respond(c, r->status, "application/json", text,
	               r->event_id[0] ? "Idempotency-Key" : NULL, r->event_id);
}

/* ---- arguments ---- */

struct args_ctx {
	json_t *obj;
	int bad; /* 1: repeated, 2: not UTF-8 or has a NUL, 3: out of memory */
	char name[64];
};

static enum MHD_Result
add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args_ctx *ctx = cls;
	char *k = strdup(key), *v = strdup(value ? value : "");
	size_t vlen;

	(void)kind;
	if (k == NULL || v == NULL) {
		ctx->bad = 3;
	} else {
		MHD_http_unescape(k);
		vlen = MHD_http_unescape(v);
		snprintf(ctx->name, sizeof(ctx->name), "%s", k);
		if (json_object_get(ctx->obj, k) != NULL)
			ctx->bad = 1;
		else if (vlen != strlen(v) || json_object_set_new(ctx->obj, k, json_string(v)) < 0)
			ctx->bad = 2;
	}
	free(k);
	free(v);
	return ctx->bad ? MHD_NO : MHD_YES;
}

/* The query string as a JSON object of strings; NULL after answering 400. */
static json_t *
query_args(struct MHD_Connection *c, enum MHD_Result *ret)
{
	struct args_ctx ctx = {json_object(), 0, ""};

	if (ctx.obj == NULL) {
		*ret = problemf(c, 500, "out of memory");
		return NULL;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query_arg, &ctx);
	if (ctx.bad) {
		json_decref(ctx.obj);
		*ret = ctx.bad == 1 ? problemf(c, 400, "query parameter '%s' is repeated", ctx.name)
		       : ctx.bad == 2
		           ? problemf(c, 400, "query parameter '%s' is not valid text", ctx.name)
		           : problemf(c, 500, "out of memory");
		return NULL;
	}
	return ctx.obj;
}

/* The request body as a JSON object ({} when empty and optional); NULL after answering 400. */
static json_t *
body_object(struct MHD_Connection *c, const struct http_req *q, int optional, enum MHD_Result *ret)
{
	json_error_t jerr;
	json_t *doc;

	if (q->len == 0 && optional)
		return json_object();
	if (q->len == 0) {
		*ret = problemf(c, 400, "a JSON object body is required");
		return NULL;
	}
	doc = json_loadb(q->body, q->len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		*ret = problemf(c, 400, "body is not valid JSON: %s (line %d, column %d)",
		                jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		*ret = problemf(c, 400, "body must be a JSON object");
		return NULL;
	}
	return doc;
}

/* ---- handlers ---- */

static enum MHD_Result
serve_metrics(struct MHD_Connection *c)
{
	char *text = metrics_render(NULL);

	if (text == NULL)
		return problemf(c, 500, "out of memory");
	return respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, NULL, NULL);
}

/* The arguments of the route: the query for GET, the body's object for POST, plus the
 * path parameter. NULL after answering. */
static json_t *
route_args(struct MHD_Connection *c, struct http_req *q, enum route_kind kind, enum MHD_Result *ret)
{
	static const char *const param_names[] = {
	    [R_RELEASE] = "contact", [R_LEAD] = "contact", [R_ACCOUNT] = "account"};
	json_t *args, *query = query_args(c, ret);

	if (query == NULL)
		return NULL;
	if (strcmp(q->route->method, "GET") == 0) {
		args = query;
	} else {
		if (json_object_size(query) > 0) {
			json_decref(query);
			*ret = problemf(c, 400, "%s takes no query parameters", q->route->path);
			return NULL;
		}
		json_decref(query);
		args = body_object(c, q, kind == R_RELEASE, ret);
		if (args == NULL)
			return NULL;
	}
	if (q->nparams == 1) {
		if (json_object_get(args, param_names[kind]) != NULL) {
			json_decref(args);
			*ret = problemf(c, 400, "%s comes from the path", param_names[kind]);
			return NULL;
		}
		json_object_set_new(args, param_names[kind], json_string(q->params[0]));
	}
	return args;
}

static enum MHD_Result
dispatch(struct http_server *h, struct MHD_Connection *c, struct http_req *q)
{
	enum route_kind kind = (enum route_kind)(q->route - routes);
	struct api_reply r = {0};
	enum MHD_Result ret = MHD_NO;
	json_t *args;

	if (kind == R_METRICS)
		return serve_metrics(c);
	if (kind == R_HEALTHZ) {
		char *text = strdup("{\"status\":\"ok\"}");

		return text ? respond(c, 200, "application/json", text, NULL, NULL)
		            : problemf(c, 500, "out of memory");
	}
	if (kind == R_EVENTS) {
		api_op_events(h->api, q->body ? q->body : "", q->len, &r);
		ret = reply_send(c, &r);
		api_reply_clear(&r);
		return ret;
	}
	if ((args = route_args(c, q, kind, &ret)) == NULL)
		return ret;
	switch (kind) {
	case R_READYZ:
		api_op_ready(h->api, &r);
		break;
	case R_QUEUE:
		api_op_queue(h->api, args, METRICS_API_HTTP, &r);
		break;
	case R_CLAIM:
		api_op_claim(h->api, args, &r);
		break;
	case R_RELEASE:
		api_op_release(h->api, args, &r);
		break;
	case R_OUTCOMES:
		api_op_outcome(h->api, args,
		               MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key"),
		               &r);
		break;
	case R_LEAD:
		api_op_lead(h->api, args, &r);
		break;
	case R_ACCOUNTS:
		api_op_accounts(h->api, args, &r);
		break;
	case R_ROI:
		api_op_roi(h->api, args, &r);
		break;
	default:
		api_op_account(h->api, args, &r);
		break;
	}
	json_decref(args);
	if (r.status == 0)
		api_fail(&r, 500, "no answer");
	ret = reply_send(c, &r);
	api_reply_clear(&r);
	return ret;
}

/* 0 when the request may go on; else the refusal was queued in *ret. */
static int
authorize(struct http_server *h, struct MHD_Connection *c, const struct http_route *route,
          enum MHD_Result *ret)
{
	const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *token = NULL;
	int open, role;

	if (hdr != NULL && strncasecmp(hdr, "Bearer ", 7) == 0)
		for (token = hdr + 7; *token == ' ';)
			token++;
	role = api_authenticate(h->api, token, token ? strlen(token) : 0, &open);
	if (route->roles == 0 && open)
		return 0;
	if (token == NULL || *token == '\0') {
		metrics_auth_failure(METRICS_AUTH_MISSING);
		*ret =
		    problem(c, 401, "a bearer token is required (Authorization: Bearer TOKEN)",
		            NULL, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"leadscore\"");
		return -1;
	}
	if (role == 0) {
		metrics_auth_failure(METRICS_AUTH_INVALID);
		*ret = problem(c, 401, api_refusal(h->api), NULL,
		               MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		               "Bearer realm=\"leadscore\", error=\"invalid_token\"");
		return -1;
	}
	if (route->roles != 0 && !(route->roles & role)) {
		metrics_auth_failure(METRICS_AUTH_FORBIDDEN);
		*ret = problemf(c, 403, "role %s may not %s %s", auth_role_name(role),
		                route->method, route->path);
		return -1;
	}
	return 0;
}

/* The first call for a request: route, authorize, check the announced size. */
static enum MHD_Result
begin(struct http_server *h, struct MHD_Connection *c, const char *url, const char *method,
      void **con_cls)
{
	struct http_req *q = calloc(1, sizeof(*q));
	const char *length;
	enum MHD_Result ret;
	int path_known;

	if (q == NULL)
		return MHD_NO;
	*con_cls = q;
	q->route = route_find(method, url, q, &path_known);
	if (q->route == NULL && path_known) {
		char allow[32] = "";

		for (size_t i = 0; i < NROUTES; i++) {
			struct http_req probe = {0};

			if (route_match(routes[i].path, url, &probe))
				snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
				         "%s%s", allow[0] ? ", " : "", routes[i].method);
			for (size_t k = 0; k < probe.nparams; k++)
				free(probe.params[k]);
		}
		return problem(c, 405, "method not allowed here", NULL, MHD_HTTP_HEADER_ALLOW,
		               allow);
	}
	if (q->route == NULL)
		return problemf(c, 404, "no route %s %s (see docs/openapi.yaml)", method, url);
	if (authorize(h, c, q->route, &ret) < 0)
		return ret;
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length != NULL &&
	    strtoull(length, NULL, 10) > (unsigned long long)h->api->max_body_bytes)
		return problemf(c, 413,
		                "body of %s bytes is over the limit of %ld (api.max_body_bytes)",
		                length, h->api->max_body_bytes);
	return MHD_YES;
}

/* Keeps up to max_body_bytes of the body; past that only counts it as too large. */
static void
take_body(struct http_server *h, struct http_req *q, const char *data, size_t size)
{
	size_t max = (size_t)h->api->max_body_bytes;

	if (q->too_large || q->len + size > max) {
		q->too_large = 1;
		return;
	}
	if (q->len + size + 1 > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		char *grown;

		while (cap < q->len + size + 1)
			cap *= 2;
		grown = realloc(q->body, cap);
		if (grown == NULL) {
			q->too_large = 1;
			return;
		}
		q->body = grown;
		q->cap = cap;
	}
	memcpy(q->body + q->len, data, size);
	q->len += size;
	q->body[q->len] = '\0';
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *h = cls;
	struct http_req *q = *con_cls;

	(void)version;
	if (q == NULL)
		return begin(h, c, url, method, con_cls);
	if (*upload_data_size > 0) {
		take_body(h, q, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->too_large)
		return problemf(c, 413, "body is over the limit of %ld bytes (api.max_body_bytes)",
		                h->api->max_body_bytes);
	return dispatch(h, c, q);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls != NULL)
		req_free(*con_cls);
	*con_cls = NULL;
}

/* Paths and query values are unescaped per segment by the router, so that an escaped
 * slash inside a contact id does not split the path. */
static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_warnx("http: %s", line);
}

struct http_server *
http_start(struct api *a, const char *address, long max_connections, struct ls_err *err)
{
	struct sockaddr_storage ss;
	struct http_server *h;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                     MHD_USE_POLL | MHD_USE_ERROR_LOG;

	if (http_parse_address(address, &ss, err) < 0)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		ls_err_set(err, "out of memory");
		return NULL;
	}
	h->api = a;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
	                        mhd_log, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)max_connections,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
	                        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	                        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, h, MHD_OPTION_END);
	if (h->d == NULL) {
		free(h);
		ls_err_set(err, "cannot listen on %s (in use, or not an address of this host?)",
		           address);
		return NULL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : 0;
	log_info("HTTP API on %s (port %d)", address, h->port);
	return h;
}

void
http_stop(struct http_server *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

int
http_port(const struct http_server *h)
{
	return h->port;
}
