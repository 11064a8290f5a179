/* test_marks.c: of several daemons, exactly one moves a topic's mark: an roi interval is taken
 * once, never an earlier one after a later; a model version once per change; two at once
 * queue on the row and the second loses; a failed statement is an error, not a win. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "../../daemon/err.h"
#include "../../daemon/marks.h"
#include "../harness/harness.h"
#include "../testhelp.h"

/* Long enough that the calls of one check never straddle two intervals. */
#define LONG_S 1000000L
#define LONG_S_TEXT "1000000"

/* The daemon's own statement, sent without waiting: 1 once it is seen to wait for the other
 * connection's row lock (still busy after 300 ms). */
static int
send_waiting(PGconn *conn, const char *sql, const char *param)
{
	const char *params[1] = {param};

	if (!PQsendQueryParams(conn, sql, 1, NULL, params, NULL, NULL, 0))
		return 0;
	h_sleep_ms(300);
	return PQconsumeInput(conn) && PQisBusy(conn);
}

/* The rows the sent statement returned (-1: it failed). */
static int
rows_of_sent(PGconn *conn)
{
	PGresult *res;
	int rows = -1;

	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			rows = PQntuples(res);
		PQclear(res);
	}
	return rows;
}

static void
test_roi(PGconn *a, PGconn *b)
{
	struct ls_err err = {{0}};

	TEST_CHECK("first daemon takes the interval", marks_take_roi(a, LONG_S, &err) == 1);
	TEST_CHECK("second daemon in the same interval does not",
	           marks_take_roi(b, LONG_S, &err) == 0);
	TEST_CHECK("nor the first again", marks_take_roi(a, LONG_S, &err) == 0);
	TEST_CHECK("the mark is the interval's start",
	           h_query_long(a, "SELECT (roi_slot % 1000000 = 0 AND roi_slot <= extract(epoch "
	                           "FROM now()) AND roi_slot > extract(epoch FROM now()) - 1000000)"
	                           "::int FROM publish_marks WHERE topic = 'roi'") == 1);

	/* A daemon whose interval is shorter marks a later start; the longer one's is earlier. */
	TEST_CHECK("a 1 s interval is later", marks_take_roi(b, 1, &err) == 1);
	TEST_CHECK("then the long one is past", marks_take_roi(a, LONG_S, &err) == 0);

	/* A mark ahead of the clock (set by a clock that ran fast) is never moved back. */
	TEST_CHECK("mark set ahead",
	           h_exec_ok(a, "UPDATE publish_marks SET roi_slot = roi_slot + 3600 "
	                        "WHERE topic = 'roi'"));
	TEST_CHECK("an earlier interval is not taken", marks_take_roi(b, 1, &err) == 0);

	/* Two at once: the second waits on the first's row lock, then finds the mark moved. */
	TEST_CHECK("mark set back",
	           h_exec_ok(a, "UPDATE publish_marks SET roi_slot = 0 WHERE topic = 'roi'"));
	TEST_CHECK("first daemon's transaction open", h_exec_ok(a, "BEGIN"));
	TEST_CHECK("first daemon takes it, uncommitted", marks_take_roi(a, LONG_S, &err) == 1);
	TEST_CHECK("second daemon waits for it", send_waiting(b, marks_roi_sql, LONG_S_TEXT));
	TEST_CHECK("first commits", h_exec_ok(a, "COMMIT"));
	TEST_CHECK("second finds the interval taken", rows_of_sent(b) == 0);

	err.msg[0] = '\0';
	TEST_CHECK("interval 0 refused",
	           marks_take_roi(a, 0, &err) == -1 && strstr(err.msg, "at least 1 s") != NULL);
}

static void
test_model(PGconn *a, PGconn *b)
{
	struct ls_err err = {{0}};

	TEST_CHECK("first switch to v1 announces", marks_take_model(a, "v1", &err) == 1);
	TEST_CHECK("the other daemon's switch to v1 does not",
	           marks_take_model(b, "v1", &err) == 0);
	TEST_CHECK("a switch to v2 announces", marks_take_model(b, "v2", &err) == 1);
	TEST_CHECK("and back to v1 (a rollback) too", marks_take_model(a, "v1", &err) == 1);
	TEST_CHECK("a reload on v1 does not", marks_take_model(a, "v1", &err) == 0);

	TEST_CHECK("first daemon's transaction open", h_exec_ok(a, "BEGIN"));
	TEST_CHECK("first daemon takes v3, uncommitted", marks_take_model(a, "v3", &err) == 1);
	TEST_CHECK("second daemon waits for it", send_waiting(b, marks_model_sql, "v3"));
	TEST_CHECK("first commits", h_exec_ok(a, "COMMIT"));
	TEST_CHECK("second finds v3 announced", rows_of_sent(b) == 0);
	TEST_CHECK("one row per topic", h_query_long(a, "SELECT count(*) FROM publish_marks") == 2);
}

/* A statement that fails is -1 with the reason, and moves nothing. */
static void
test_errors(PGconn *a)
{
	struct ls_err err = {{0}};

	TEST_CHECK("transaction broken on purpose",
	           h_exec_ok(a, "BEGIN") && !h_exec_ok(a, "SELECT 1/0"));
	TEST_CHECK("roi: an error", marks_take_roi(a, LONG_S, &err) == -1 &&
	                                strstr(err.msg, "marking the roi interval") != NULL);
	err.msg[0] = '\0';
	TEST_CHECK("model: an error", marks_take_model(a, "v9", &err) == -1 &&
	                                  strstr(err.msg, "marking the model announced") != NULL);
	TEST_CHECK("rolled back", h_exec_ok(a, "ROLLBACK"));
	TEST_CHECK("nothing moved", h_query_long(a, "SELECT count(*) FROM publish_marks "
	                                            "WHERE model_version = 'v9'") == 0);
}

int
main(void)
{
	const char *dsn = h_db_create("t_marks");
	PGconn *a, *b;

	if (dsn == NULL) {
		TEST_CHECK("database created", 0);
		return TEST_REPORT();
	}
	a = h_db_connect(dsn);
	b = h_db_connect(dsn);
	TEST_CHECK("two connections", a != NULL && b != NULL);
	if (a != NULL && b != NULL) {
		test_roi(a, b);
		test_model(a, b);
		test_errors(a);
	}
	PQfinish(a);
	PQfinish(b);
	return TEST_REPORT();
}
