/* stmtcache.c: each connection's prepared statements, kept with the connection by a libpq
 * event procedure (libpq-events). */
#include "stmtcache.h"

#include <libpq-events.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

struct stmt {
	char *sql;
	char name[24];
};

struct stmt_list {
	struct stmt *items;
	int n, cap;
};

static void
list_clear(struct stmt_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->items[i].sql);
	l->n = 0;
}

static int
stmt_events(PGEventId id, void *info, void *pass_through)
{
	(void)pass_through;
	if (id == PGEVT_CONNRESET || id == PGEVT_CONNDESTROY) {
		/* A reset connection is a new session: its statements are gone with the old one. */
		PGconn *conn = id == PGEVT_CONNRESET ? ((PGEventConnReset *)info)->conn
		                                     : ((PGEventConnDestroy *)info)->conn;
		struct stmt_list *l = PQinstanceData(conn, stmt_events);

		if (l != NULL) {
			list_clear(l);
			if (id == PGEVT_CONNDESTROY) {
				free(l->items);
				free(l);
			}
		}
	}
	return 1;
}

static struct stmt_list *
list_of(PGconn *conn, struct ls_err *err)
{
	struct stmt_list *l = PQinstanceData(conn, stmt_events);

	if (l != NULL)
		return l;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ls_err_set(err, "out of memory"), NULL;
	if (!PQregisterEventProc(conn, stmt_events, "leadscore statements", NULL) ||
	    !PQsetInstanceData(conn, stmt_events, l)) {
		free(l);
		return ls_err_set(err, "cannot keep prepared statements on this connection"), NULL;
	}
	return l;
}

/* The name sql is prepared under on conn, preparing it first when it is new there. */
static const char *
prepared_name(PGconn *conn, const char *sql, int n, struct ls_err *err)
{
	struct stmt_list *l = list_of(conn, err);
	struct stmt *s;

	if (l == NULL)
		return NULL;
	for (int i = 0; i < l->n; i++)
		if (l->items[i].sql == sql || strcmp(l->items[i].sql, sql) == 0)
			return l->items[i].name;
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 16;
		struct stmt *items = realloc(l->items, (size_t)cap * sizeof(*items));

		if (items == NULL)
			return ls_err_set(err, "out of memory"), NULL;
		l->items = items;
		l->cap = cap;
	}
	s = &l->items[l->n];
	snprintf(s->name, sizeof(s->name), "ls_stmt_%d", l->n);
	if ((s->sql = strdup(sql)) == NULL)
		return ls_err_set(err, "out of memory"), NULL;
	if (db_prepare(conn, s->name, sql, n, NULL, err) < 0) {
		free(s->sql);
		return NULL;
	}
	l->n++;
	return s->name;
}

PGresult *
stmt_exec(PGconn *conn, const char *sql, int n, const char *const *values, const int *lengths,
          const int *formats, struct ls_err *err)
{
	const char *name = prepared_name(conn, sql, n, err);
	PGresult *res;

	if (name == NULL)
		return NULL;
	res = PQexecPrepared(conn, name, n, values, lengths, formats, 0);
	if (res == NULL)
		ls_err_set(err, "no result (connection lost or out of memory)");
	return res;
}

int
stmt_count(const PGconn *conn)
{
	const struct stmt_list *l = PQinstanceData(conn, stmt_events);

	return l != NULL ? l->n : 0;
}
