/* ingest.h: messages off the PULL, ROUTER and SUB sockets, into batches and dead letters. */
#ifndef LS_INGEST_H
#define LS_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "ack.h"
#include "batcher.h"
#include "err.h"

struct ingest_limits {
	size_t max_bytes;  /* per message */
	size_t max_events; /* per JSON array */
	size_t dead_keep;  /* raw bytes kept per dead letter */
};

struct ingest_stats {
	long messages;
	long events;	/* valid events taken in */
	long rejected;	/* invalid messages or members */
	long ack_failed; /* replies that could not be delivered */
};

enum transport { TRANSPORT_PULL, TRANSPORT_ROUTER, TRANSPORT_SUB, TRANSPORT_HTTP };

/* Parses one payload and adds its events and dead letters to the batcher.
 * ack (may be NULL) collects the per-member answer. -1 only on out of memory. */
int ingest_payload(const char *buf, size_t len, enum transport t, struct ack *ack,
		   struct batcher *bt, const struct ingest_limits *lim, int64_t now_us,
		   struct ingest_stats *st) LS_MUST_CHECK;

/* Reads one message from sock without blocking. Returns 1 when one was taken,
 * 0 when none was waiting, -1 on error (err says why). */
int ingest_read(void *sock, enum transport t, struct batcher *bt, const struct ingest_limits *lim,
		int64_t now_us, struct ingest_stats *st, struct ls_err *err) LS_MUST_CHECK;

/* Sends the reply of a finished ack over its ROUTER socket and frees it. */
void ingest_ack_done(struct ack *ack, struct ingest_stats *st);

const char *transport_name(enum transport t);

#endif
