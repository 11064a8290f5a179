/* test_forget_order.c: a forget takes the contact row before anything else, as a batch does,
 * so a forget and a batch on the same contact wait for each other instead of deadlocking. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/store.h"
#include "../harness/harness.h"
#include "../testhelp.h"

struct forgetter {
	PGconn *conn;
	int rc;
	long removed;
	struct ls_err err;
};

static void *
forget_main(void *arg)
{
	struct forgetter *f = arg;

	f->rc = store_begin(f->conn, &f->err) < 0 ||
	                store_forget(f->conn, "fo-1", &f->removed, &f->err) < 0 ||
	                store_commit(f->conn, &f->err) < 0
	            ? -1
	            : 0;
	return NULL;
}

int
main(void)
{
	const char *dsn = h_db_create("t_forget_order");
	PGconn *batch = NULL, *check = NULL;
	struct forgetter f = {0};
	pthread_t th;
	long deadlocks;

	TEST_CHECK("database", dsn != NULL);
	if (dsn == NULL || (batch = h_db_connect(dsn)) == NULL ||
	    (check = h_db_connect(dsn)) == NULL || (f.conn = h_db_connect(dsn)) == NULL)
		return TEST_REPORT();
	TEST_CHECK(
	    "a contact with an event",
	    h_exec_ok(check,
	              "INSERT INTO contacts (contact_id, events_applied) VALUES ('fo-1', 1)") &&
	        h_exec_ok(check, "INSERT INTO events (contact_id, source, event_id, type, time) "
	                         "VALUES ('fo-1', 's', 'e1', 'page.viewed', now())"));
	deadlocks = h_query_long(check, "SELECT deadlocks FROM pg_stat_database "
	                                "WHERE datname = current_database()");
	/* A batch holds the contact row, as its first statement does ... */
	TEST_CHECK(
	    "batch locks the contact",
	    h_exec_ok(batch, "BEGIN") &&
	        h_exec_ok(batch, "SELECT 1 FROM contacts WHERE contact_id = 'fo-1' FOR UPDATE"));
	/* ... a forget starts meanwhile ... */
	TEST_CHECK("forget started", pthread_create(&th, NULL, forget_main, &f) == 0);
	h_sleep_ms(300);
	/* ... and the batch records a repeat of an event the forget would delete (its ledger
	 * insert). Had the forget deleted the events first, this would wait for the forget while
	 * the forget waits for the contact row: a deadlock, one of the two cancelled. */
	TEST_CHECK("batch records its events",
	           h_exec_ok(batch, "INSERT INTO events (contact_id, source, event_id, type, time) "
	                            "VALUES ('fo-1', 's', 'e1', 'page.viewed', now()) "
	                            "ON CONFLICT DO NOTHING"));
	TEST_CHECK("batch commits", h_exec_ok(batch, "COMMIT"));
	pthread_join(th, NULL);
	TEST_CHECK("forget committed after the batch", f.rc == 0);
	if (f.rc != 0)
		printf("  forget: %s\n", f.err.msg);
	TEST_CHECK("forget removed the contact and its event", f.removed == 2);
	TEST_CHECK(
	    "nothing left",
	    h_query_long(check, "SELECT count(*) FROM events WHERE contact_id = 'fo-1'") == 0 &&
	        h_query_long(check, "SELECT count(*) FROM contacts WHERE contact_id = 'fo-1'") ==
	            0);
	TEST_CHECK("no deadlock",
	           h_query_long(check, "SELECT deadlocks FROM pg_stat_database "
	                               "WHERE datname = current_database()") == deadlocks);
	PQfinish(f.conn);
	PQfinish(batch);
	PQfinish(check);
	return TEST_REPORT();
}
