/* http.h: integration-test helpers for the HTTP API: real curl processes, real sockets. */
#ifndef LS_HARNESS_HTTP_H
#define LS_HARNESS_HTTP_H

#include <stddef.h>
#include <sys/types.h>

/* One request by a curl process to http://127.0.0.1:port PATH. token, body and header
 * ("Name: value") may be NULL. out gets the response body (with include_headers, the
 * status line and headers first). Returns the HTTP status, or -1 when curl failed. */
int h_http(int port, const char *method, const char *path, const char *token, const char *body,
           const char *header, int include_headers, char *out, size_t size);

/* Starts the same request without waiting (for concurrency tests); h_http_wait collects
 * its status and body. */
struct h_http_job {
	pid_t pid;
	char out[64], in[64];
};
int h_http_start(struct h_http_job *job, int port, const char *method, const char *path,
                 const char *token, const char *body);
int h_http_wait(struct h_http_job *job, char *out, size_t size);

/* Runs a command line through /bin/sh; its stdout into out; returns its exit status. */
int h_sh(const char *cmd, char *out, size_t size);

/* A fresh token for role from `leadscore token ROLE`: the token, and the config line
 * ("token = ROLE:HEX") that admits it. 0 or -1. */
int h_token(const char *role, char *token, size_t tsize, char *line, size_t lsize);

#endif
