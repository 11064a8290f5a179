/* retention.h: raw-event retention: payloads erased, then dedupe keys dropped, a bounded batch at a time. */
#ifndef LS_RETENTION_H
#define LS_RETENTION_H

#include <libpq-fe.h>

#include "err.h"

struct retention_result {
	long payloads_erased; /* events whose data was set to NULL */
	long keys_dropped;    /* event rows deleted (their dedupe keys with them) */
	long dead_dropped;    /* dead letters deleted */
};

/* One bounded pass: at most batch_rows rows of each kind.
 * - events stored more than days ago lose their payload (data), keeping the key, type
 *   and time, so dedupe and training labels still work;
 * - events stored more than days + dedupe_days ago are deleted: a repeat of one of them
 *   would be applied again;
 * - dead letters stored more than days ago are deleted.
 * days == 0 keeps everything. */
int retention_pass(PGconn *conn, long days, long dedupe_days, long batch_rows,
		   struct retention_result *out, struct ls_err *err) LS_MUST_CHECK;

#endif
