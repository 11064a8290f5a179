/* harness.c: starting the real daemon and CLI of the build under test, on real PostgreSQL and ZeroMQ. */
#include "harness.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

/* Executes bin with argv (argv[0] == bin); under `make memcheck` through valgrind, which
 * exits 99 on any memory error or definite leak, so a test sees it as a failure. */
static void
exec_program(const char *bin, const char *const *argv)
{
	const char *vg[40] = {"valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
			      "--errors-for-leak-kinds=definite"};
	size_t n = 5;

	if (getenv("LEADSCORE_VALGRIND") == NULL) {
		execv(bin, (char *const *)argv);
		return;
	}
	for (size_t i = 0; argv[i] != NULL && n < 39; i++)
		vg[n++] = argv[i];
	vg[n] = NULL;
	execvp("valgrind", (char *const *)vg);
}

void
h_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[512];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		h_remove_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

void
h_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

long
h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

PGconn *
h_db_connect(const char *dsn)
{
	PGconn *conn = PQconnectdb(dsn);

	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "harness: cannot connect (%s): %s", dsn, PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

const char *
h_db_create(const char *name)
{
	static char dsn[256];
	char sql[256];
	PGconn *conn = h_db_connect("dbname=postgres");
	const char *args[] = {"migrate", "--dsn", dsn, NULL};

	if (conn == NULL)
		return NULL;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	PQclear(PQexec(conn, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "harness: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	PQfinish(conn);
	snprintf(dsn, sizeof(dsn), "dbname=%s", name);
	if (h_cli(NULL, 0, args) != 0) {
		fprintf(stderr, "harness: leadscore migrate failed\n");
		return NULL;
	}
	return dsn;
}

int
h_exec_ok(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	                         PQresultStatus(res) == PGRES_TUPLES_OK);

	if (!ok)
		fprintf(stderr, "harness: %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

long
h_query_long(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	long v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = atol(PQgetvalue(res, 0, 0));
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "harness: %s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return v;
}

const char *
h_query_str(PGconn *conn, const char *sql, char *buf, size_t size)
{
	PGresult *res = PQexec(conn, sql);

	buf[0] = '\0';
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		snprintf(buf, size, "%s", PQgetvalue(res, 0, 0));
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "harness: %s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return buf;
}

long
h_wait_long(PGconn *conn, const char *sql, long want, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms, v;

	for (;;) {
		v = h_query_long(conn, sql);
		if (v == want || h_now_ms() > deadline)
			return v;
		h_sleep_ms(20);
	}
}

int
h_cli(char *out, size_t size, const char *const *args)
{
	char bin[512];
	const char *argv[32];
	int pipefd[2], status;
	size_t n = 0, i;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/leadscore", env_or("LEADSCORE_BIN", "bin"));
	argv[0] = bin;
	for (i = 0; args[i] != NULL && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		exec_program(bin, argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		char buf[4096];
		ssize_t r = read(pipefd[0], buf, sizeof(buf));

		if (r <= 0)
			break;
		if (out != NULL && n + 1 < size) {
			size_t take = (size_t)r < size - 1 - n ? (size_t)r : size - 1 - n;

			memcpy(out + n, buf, take);
			n += take;
		}
	}
	if (out != NULL && size > 0)
		out[n] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
read_endpoints(struct h_daemon *d)
{
	char path[512], line[200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/endpoints", d->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "pull=", 5) == 0)
			snprintf(d->pull, sizeof(d->pull), "%s", line + 5);
		else if (strncmp(line, "router=", 7) == 0)
			snprintf(d->router, sizeof(d->router), "%s", line + 7);
		else if (strncmp(line, "pub=", 4) == 0)
			snprintf(d->pub, sizeof(d->pub), "%s", line + 4);
		else if (strncmp(line, "rep=", 4) == 0)
			snprintf(d->rep, sizeof(d->rep), "%s", line + 4);
		else if (strncmp(line, "http=", 5) == 0)
			d->http_port = atoi(line + 5);
	}
	fclose(f);
	return 0;
}

static int
spawn(struct h_daemon *d)
{
	char bin[512], log[512], endpoints[512];
	long deadline = h_now_ms() + 30000;

	snprintf(bin, sizeof(bin), "%s/leadscored", env_or("LEADSCORE_BIN", "bin"));
	snprintf(log, sizeof(log), "%s/daemon.log", d->dir);
	snprintf(endpoints, sizeof(endpoints), "%s/endpoints", d->dir);
	unlink(endpoints);
	d->pid = fork();
	if (d->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		const char *argv[] = {bin, "-c", d->config, NULL};

		exec_program(bin, argv);
		_exit(127);
	}
	while (h_now_ms() < deadline) {
		int status;

		if (read_endpoints(d) == 0)
			return 0;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			fprintf(stderr, "harness: daemon exited during start\n");
			d->pid = 0;
			h_daemon_log(d);
			return -1;
		}
		h_sleep_ms(20);
	}
	fprintf(stderr, "harness: daemon not ready in 30 s\n");
	h_daemon_log(d);
	return -1;
}

int
h_daemon_start(struct h_daemon *d, const char *dsn, const char *extra)
{
	char tmpl[] = "/tmp/leadscore-test-XXXXXX";
	FILE *f;

	memset(d, 0, sizeof(*d));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(d->dir, sizeof(d->dir), "%s", tmpl);
	snprintf(d->config, sizeof(d->config), "%s/leadscored.conf", d->dir);
	f = fopen(d->config, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
		"[daemon]\nlog_level = debug\nendpoints_file = %s/endpoints\n"
		"[database]\ndsn = %s\n"
		"[ingest]\npull = tcp://127.0.0.1:*\nrouter = tcp://127.0.0.1:*\n"
		"[publish]\npub = tcp://127.0.0.1:*\n"
		"[api]\nhttp = 127.0.0.1:0\nrep = tcp://127.0.0.1:*\n"
		"[model]\ndir = %s/models\n"
		"[features]\nspec = %s/model/features.json\n"
		"%s",
		d->dir, dsn, d->dir, env_or("LEADSCORE_TOP", "."), extra ? extra : "");
	fclose(f);
	mkdir(d->dir, 0755);
	return spawn(d);
}

int
h_daemon_pin_ports(struct h_daemon *d)
{
	char text[8192], out[9000];
	const char *pins[] = {d->pull, d->router, d->pub};
	size_t n, o = 0, pin = 0;
	FILE *f = fopen(d->config, "r");

	if (f == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* The config names pull, router and pub in that order, each "tcp://127.0.0.1:*". */
	for (const char *p = text; *p;) {
		const char *star = strstr(p, "tcp://127.0.0.1:*");

		if (star == NULL || pin == 3) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", p);
			break;
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%.*s%s", (int)(star - p), p,
				      pins[pin++]);
		p = star + strlen("tcp://127.0.0.1:*");
	}
	f = fopen(d->config, "w");
	if (f == NULL)
		return -1;
	fputs(out, f);
	return fclose(f);
}

int
h_daemon_restart(struct h_daemon *d)
{
	return spawn(d);
}

int
h_daemon_stop(struct h_daemon *d, int sig, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms;
	int status;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	while (h_now_ms() < deadline) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		h_sleep_ms(10);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
	return -1;
}

void
h_daemon_log(const struct h_daemon *d)
{
	char path[512], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", d->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	fprintf(stderr, "---- daemon log %s ----\n", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "    %s", line);
	fclose(f);
}

long
h_log_count(const struct h_daemon *d, const char *needle)
{
	char path[512], line[2048];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", d->dir);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL && n++ < 3)
			printf("daemon log: %s", line);
	if (f != NULL)
		fclose(f);
	return n;
}

char *
h_event(const char *id, const char *type, const char *subject, const char *time,
	const char *data_json)
{
	size_t n = strlen(id) + strlen(type) + strlen(subject) + strlen(time) +
		   (data_json ? strlen(data_json) : 2) + 160;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n,
			 "{\"specversion\":\"1.0\",\"id\":\"%s\",\"source\":\"test://h\","
			 "\"type\":\"%s\",\"subject\":\"%s\",\"time\":\"%s\",\"data\":%s}",
			 id, type, subject, time, data_json ? data_json : "{}");
	return s;
}

int
h_send_ack(void *zctx, const char *endpoint, const char *payload, size_t len, char *reply,
	   size_t size, int timeout_ms)
{
	void *sock = zmq_socket(zctx, ZMQ_DEALER);
	int linger = 0, rc = -1;
	zmq_pollitem_t item;

	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(sock, endpoint) < 0 || zmq_send(sock, payload, len, 0) < 0)
		goto out;
	item = (zmq_pollitem_t){sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&item, 1, timeout_ms) == 1) {
		int r = zmq_recv(sock, reply, size - 1, 0);

		if (r >= 0) {
			reply[(size_t)r < size - 1 ? (size_t)r : size - 1] = '\0';
			rc = 0;
		}
	}
out:
	zmq_close(sock);
	return rc;
}

int
h_push(void *zctx, const char *endpoint, const char *const *payloads, size_t n)
{
	void *sock = zmq_socket(zctx, ZMQ_PUSH);
	int linger = 10000, rc = 0;

	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(sock, endpoint) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (zmq_send(sock, payloads[i], strlen(payloads[i]), 0) < 0)
			rc = -1;
	zmq_close(sock);
	return rc;
}

void *
h_sub(void *zctx, const char *endpoint, const char *topic)
{
	void *sock = zmq_socket(zctx, ZMQ_SUB);
	int linger = 0;

	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sock, ZMQ_SUBSCRIBE, topic, strlen(topic));
	if (zmq_connect(sock, endpoint) < 0) {
		zmq_close(sock);
		return NULL;
	}
	h_sleep_ms(200); /* let the subscription reach the publisher */
	return sock;
}

int
h_sub_recv(void *sub, char *topic, size_t tsize, char *body, size_t bsize, int timeout_ms)
{
	zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
	int r;

	if (zmq_poll(&item, 1, timeout_ms) != 1)
		return -1;
	r = zmq_recv(sub, topic, tsize - 1, 0);
	if (r < 0)
		return -1;
	topic[(size_t)r < tsize - 1 ? (size_t)r : tsize - 1] = '\0';
	r = zmq_recv(sub, body, bsize - 1, 0);
	if (r < 0)
		return -1;
	body[(size_t)r < bsize - 1 ? (size_t)r : bsize - 1] = '\0';
	return 0;
}
