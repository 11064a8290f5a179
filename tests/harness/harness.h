/* harness.h: integration-test helpers: a database per test, the real daemon, real sockets. */
#ifndef LS_HARNESS_H
#define LS_HARNESS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <sys/types.h>

/* A database of its own for one test, migrated. Returns its libpq DSN (static). */
const char *h_db_create(const char *name);
PGconn *h_db_connect(const char *dsn);
/* Runs sql (any number of statements); 1 when it succeeded, else 0 with the error printed. */
int h_exec_ok(PGconn *conn, const char *sql);
/* The first column of the first row as a long (-1 on any error, printed). */
long h_query_long(PGconn *conn, const char *sql);
/* The first column of the first row, copied into buf ("" on error). */
const char *h_query_str(PGconn *conn, const char *sql, char *buf, size_t size);

/* Runs bin/leadscore (of the build under test) with args; returns its exit
 * status; its stdout goes to out (may be NULL) up to size bytes. */
int h_cli(char *out, size_t size, const char *const *args);

struct h_daemon {
	pid_t pid;
	char dir[256];	    /* its config, endpoints file and log */
	char config[300];
	char pull[256], router[256], pub[256];
	char rep[256]; /* the request/reply API */
	int http_port; /* the HTTP API, on 127.0.0.1 */
};

/* Writes a config (ephemeral ports; extra lines appended as given, e.g.
 * "[score]\npublish_delta = 1\n") and starts bin/leadscored. 0 when ready. */
int h_daemon_start(struct h_daemon *d, const char *dsn, const char *extra);
/* Rewrites the config so the ports the first start got are used again: clients keep their
 * endpoints across a restart. */
int h_daemon_pin_ports(struct h_daemon *d);
/* Starts again with the same config and directory (after a stop). */
int h_daemon_restart(struct h_daemon *d);
/* Sends sig and waits up to timeout_ms for the exit; returns the exit status,
 * 128+signal when killed, or -1 on timeout (then kills it). */
int h_daemon_stop(struct h_daemon *d, int sig, int timeout_ms);
/* Polls until the SQL's first value equals want or timeout_ms passes; returns the last value. */
long h_wait_long(PGconn *conn, const char *sql, long want, int timeout_ms);
/* Prints the daemon's log (on failure, to see why). */
void h_daemon_log(const struct h_daemon *d);
/* How many lines of the daemon's log contain needle (the first three are printed). */
long h_log_count(const struct h_daemon *d, const char *needle);

/* A CloudEvent as JSON text (caller frees). data_json may be NULL ({}). */
char *h_event(const char *id, const char *type, const char *subject, const char *time,
	      const char *data_json);

/* Acknowledged send over a DEALER: the reply body in reply (NUL-terminated).
 * Returns 0, or -1 when no reply came within timeout_ms. */
int h_send_ack(void *zctx, const char *endpoint, const char *payload, size_t len, char *reply,
	       size_t size, int timeout_ms);
/* Best-effort send over a PUSH socket. */
int h_push(void *zctx, const char *endpoint, const char *const *payloads, size_t n);
/* A SUB socket connected to endpoint, subscribed to topic ("" for all). */
void *h_sub(void *zctx, const char *endpoint, const char *topic);
/* Receives one (topic, body) message within timeout_ms; 0 or -1. */
int h_sub_recv(void *sub, char *topic, size_t tsize, char *body, size_t bsize, int timeout_ms);

void h_sleep_ms(int ms);
/* CLOCK_MONOTONIC in milliseconds. */
long h_now_ms(void);

/* Removes a file or a directory tree (a test's scratch folder). */
void h_remove_tree(const char *path);

#endif
