/* queue.h: the SDR priority queue: contacts best first, never the ones that may not be called. */
#ifndef LS_QUEUE_H
#define LS_QUEUE_H

#include <libpq-fe.h>

#include "err.h"

struct queue_filter {
	const char *owner; /* NULL: any */
	const char *tier;  /* NULL: any; "A".."D" */
	long limit;
};

/* Rows: contact_id, account, score, tier, reasons (JSON text), last_activity_at, owner.
 * Contacts without consent, bounced or unsubscribed are never listed. */
PGresult *queue_fetch(PGconn *conn, const struct queue_filter *f, struct ls_err *err) LS_MUST_CHECK;

#endif
