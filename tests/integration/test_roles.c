/* test_roles.c: the daemon runs as the least-privilege role of schema/roles.sql, and that role
 * cannot change what it should not. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../harness/harness.h"
#include "../testhelp.h"

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	if (text != NULL && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static int
denied(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int ok = state != NULL && strcmp(state, "42501") == 0; /* insufficient_privilege */

	if (!ok)
		printf("expected permission denied for %s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

int
main(void)
{
	const char *made = h_db_create("t_roles");
	char dsn[128], daemon_dsn[160], path[512], reply[2048], msg[2048];
	void *zctx = zmq_ctx_new();
	struct h_daemon d;
	PGconn *owner, *as_daemon;
	char *script, *a, *b;
	PGresult *res;

	if (made == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	snprintf(dsn, sizeof(dsn), "%s", made);
	snprintf(daemon_dsn, sizeof(daemon_dsn), "%s user=leadscore_daemon", dsn);
	snprintf(path, sizeof(path), "%s/schema/roles.sql",
		 getenv("LEADSCORE_TOP") ? getenv("LEADSCORE_TOP") : ".");
	owner = h_db_connect(dsn);
	script = read_file(path);
	TEST_CHECK("roles.sql read", script != NULL);
	res = PQexec(owner, script ? script : "");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		printf("roles.sql: %s", PQresultErrorMessage(res));
	TEST_CHECK("roles.sql applies", PQresultStatus(res) == PGRES_COMMAND_OK);
	PQclear(res);
	free(script);

	if (h_daemon_start(&d, daemon_dsn, NULL) < 0) {
		TEST_CHECK("daemon runs as leadscore_daemon", 0);
		return TEST_REPORT();
	}
	a = h_event("g-1", "contact.updated", "gina", "2026-11-20T10:00:00Z", "{\"seniority\":\"vp\"}");
	b = h_event("g-2", "sdr.outcome", "gina", "2026-11-20T11:00:00Z",
		    "{\"outcome\":\"connected\",\"minutes\":5,\"sdr\":\"rep\"}");
	snprintf(msg, sizeof(msg), "[%s,%s,{\"not\":\"an event\"}]", a, b);
	TEST_CHECK("events applied under the role",
		   h_send_ack(zctx, d.router, msg, strlen(msg), reply, sizeof(reply), 10000) == 0 &&
			   strstr(reply, "\"accepted\":2") != NULL);
	free(a);
	free(b);
	a = h_event("g-3", "contact.forgotten", "gina", "2026-11-20T12:00:00Z", NULL);
	TEST_CHECK("forget works under the role",
		   h_send_ack(zctx, d.router, a, strlen(a), reply, sizeof(reply), 10000) == 0 &&
			   strstr(reply, "\"accepted\":1") != NULL &&
			   h_query_long(owner, "SELECT count(*) FROM contacts") == 0);
	free(a);
	/* The first roi tick comes at start: its interval is marked (schema 009) as the role. */
	TEST_CHECK("roi interval marked under the role",
		   h_wait_long(owner, "SELECT count(*) FROM publish_marks WHERE topic = 'roi'", 1,
			       5000) == 1);
	TEST_CHECK("nothing the daemon did was denied", h_log_count(&d, "permission denied") == 0);
	TEST_CHECK("daemon exits 0", h_daemon_stop(&d, SIGTERM, 20000) == 0);
	if (th_failed)
		h_daemon_log(&d);

	as_daemon = h_db_connect(daemon_dsn);
	TEST_CHECK("cannot register models", denied(as_daemon, "INSERT INTO models (version, kind, "
							       "path, manifest) VALUES ('x', 'y', 'z', '{}')"));
	TEST_CHECK("cannot promote", denied(as_daemon, "UPDATE models SET status = 'active'"));
	res = PQexec(as_daemon, "DROP TABLE events");
	TEST_CHECK("cannot drop a table", PQresultStatus(res) == PGRES_FATAL_ERROR);
	PQclear(res);
	TEST_CHECK("cannot create tables", denied(as_daemon, "CREATE TABLE sneaky (x int)"));
	TEST_CHECK("cannot rewrite migrations",
		   denied(as_daemon, "DELETE FROM schema_migrations"));
	PQfinish(as_daemon);
	{
		/* The admin role runs the registry: register, promote, roll back. */
		char admin_dsn[200], dir[300], out[512];
		const char *reg[] = {"models", "--dsn", admin_dsn, "register", dir, "--promote", NULL};
		const char *back[] = {"models", "--dsn", admin_dsn, "rollback", NULL};
		const char *reg_daemon[] = {"models", "--dsn", daemon_dsn, "register", dir, NULL};

		snprintf(admin_dsn, sizeof(admin_dsn), "%s user=leadscore_admin", dsn);
		snprintf(dir, sizeof(dir), "%s/tests/cases/bundles/starter-flat",
			 getenv("LEADSCORE_TOP") ? getenv("LEADSCORE_TOP") : ".");
		TEST_CHECK("the daemon role cannot register", h_cli(out, sizeof(out), reg_daemon) != 0);
		TEST_CHECK("the admin role registers and promotes", h_cli(out, sizeof(out), reg) == 0);
		TEST_CHECK("the admin role rolls back", h_cli(out, sizeof(out), back) == 0);
	}
	PQfinish(owner);
	zmq_ctx_term(zctx);
	return TEST_REPORT();
}
