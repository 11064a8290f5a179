/* http.c: driving the HTTP API with curl processes, as a user or script would. */
#include "http.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Reads a whole file into out (NUL-terminated, truncated to size). */
static size_t
slurp(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (size > 0)
		out[0] = '\0';
	if (f == NULL || size == 0) {
		if (f != NULL)
			fclose(f);
		return 0;
	}
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	return n;
}

static pid_t
spawn_curl(int port, const char *method, const char *path, const char *token, const char *body,
           const char *header, int include_headers, const char *outfile, const char *infile)
{
	char url[2048], auth[512], data[128];
	const char *argv[32];
	size_t n = 0;
	pid_t pid;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	argv[n++] = "curl";
	argv[n++] = "-sS";
	argv[n++] = "--max-time";
	argv[n++] = "60";
	argv[n++] = "-o";
	argv[n++] = outfile;
	argv[n++] = "-w";
	argv[n++] = "%{http_code}";
	argv[n++] = "-X";
	argv[n++] = method;
	if (include_headers)
		argv[n++] = "-i";
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		argv[n++] = "-H";
		argv[n++] = auth;
	}
	if (header != NULL) {
		argv[n++] = "-H";
		argv[n++] = header;
	}
	if (body != NULL) {
		snprintf(data, sizeof(data), "@%s", infile);
		argv[n++] = "-H";
		argv[n++] = "Content-Type: application/json";
		argv[n++] = "--data-binary";
		argv[n++] = data;
	}
	argv[n++] = url;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		/* stdout carries only the status code; curl's own complaints go to stderr. */
		if (fd >= 0)
			dup2(fd, 0);
		execvp("curl", (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int
start(struct h_http_job *job, int port, const char *method, const char *path, const char *token,
      const char *body, const char *header, int include_headers)
{
	char status[80];
	int fd, saved;

	job->pid = -1;
	snprintf(job->out, sizeof(job->out), "/tmp/leadscore-http-XXXXXX");
	snprintf(job->in, sizeof(job->in), "/tmp/leadscore-body-XXXXXX");
	if ((fd = mkstemp(job->out)) < 0)
		return -1;
	close(fd);
	if ((fd = mkstemp(job->in)) < 0)
		return -1;
	if (body != NULL && write(fd, body, strlen(body)) != (ssize_t)strlen(body)) {
		close(fd);
		return -1;
	}
	close(fd);
	/* curl writes the status code (-w) on stdout: into a file of its own. */
	snprintf(status, sizeof(status), "%s.status", job->out);
	fd = open(status, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(1);
	if (fd < 0 || saved < 0)
		return -1;
	fflush(stdout);
	dup2(fd, 1);
	job->pid =
	    spawn_curl(port, method, path, token, body, header, include_headers, job->out, job->in);
	dup2(saved, 1);
	close(saved);
	close(fd);
	return job->pid > 0 ? 0 : -1;
}

int
h_http_start(struct h_http_job *job, int port, const char *method, const char *path,
             const char *token, const char *body)
{
	return start(job, port, method, path, token, body, NULL, 0);
}

int
h_http_wait(struct h_http_job *job, char *out, size_t size)
{
	char status_path[80], status[16];
	int st;

	if (job->pid <= 0 || waitpid(job->pid, &st, 0) < 0)
		return -1;
	snprintf(status_path, sizeof(status_path), "%s.status", job->out);
	slurp(status_path, status, sizeof(status));
	slurp(job->out, out, size);
	unlink(status_path);
	unlink(job->out);
	unlink(job->in);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return atoi(status);
}

int
h_http(int port, const char *method, const char *path, const char *token, const char *body,
       const char *header, int include_headers, char *out, size_t size)
{
	struct h_http_job job;

	if (start(&job, port, method, path, token, body, header, include_headers) < 0)
		return -1;
	return h_http_wait(&job, out, size);
}

int
h_sh(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (size > 0)
		out[0] = '\0';
	if (p == NULL)
		return -1;
	if (size > 0) {
		n = fread(out, 1, size - 1, p);
		out[n] = '\0';
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
h_token(const char *role, char *token, size_t tsize, char *line, size_t lsize)
{
	const char *args[] = {"token", role, NULL};
	char out[512], *nl;

	if (h_cli(out, sizeof(out), args) != 0 || (nl = strchr(out, '\n')) == NULL)
		return -1;
	*nl = '\0';
	snprintf(token, tsize, "%s", out);
	snprintf(line, lsize, "%.*s", (int)strcspn(nl + 1, "\n"), nl + 1);
	return 0;
}
