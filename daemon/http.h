/* http.h: the HTTP JSON API on libmicrohttpd: routes, tokens and roles, problem+json errors. */
#ifndef LS_HTTP_H
#define LS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

struct api;
struct http_server;

/* One served route. path is written as in docs/openapi.yaml ("/v1/leads/{contact}"). */
struct http_route {
	const char *method;
	const char *path;
	int roles; /* auth_role bits admitted; 0: a probe (open, or any token: auth.probes) */
};

/* Every route the server serves, for the test that keeps docs/openapi.yaml true. */
const struct http_route *http_routes(size_t *n);

#define HTTP_MAX_PARAMS 2

/* The route a request line names: method and path (as received, percent-encoded) matched
 * against every route; the path's {parameters} percent-decoded into params (at most
 * HTTP_MAX_PARAMS, the caller frees each). NULL when none matches; *path_known then tells a
 * wrong method (405) from an unknown path (404). */
const struct http_route *http_route_lookup(const char *method, const char *path, char **params,
					   size_t *nparams, int *path_known);

/* Parses "HOST:PORT", "[V6]:PORT" or "*:PORT" (numeric addresses only) into out (may be
 * NULL, to only check it). */
int http_parse_address(const char *text, struct sockaddr_storage *out,
                       struct ls_err *err) LS_MUST_CHECK;

/* Serves a's operations on address with one thread per connection. NULL with a reason. */
struct http_server *http_start(struct api *a, const char *address, long max_connections,
                               struct ls_err *err) LS_MUST_CHECK;
/* Stops accepting and waits for the requests in progress. NULL-safe. */
void http_stop(struct http_server *h);
/* The port bound (useful with port 0). */
int http_port(const struct http_server *h);

#endif
