/* queue.h: the SDR priority queue: contacts best first, walks through it in pages, leases. */
#ifndef LS_QUEUE_H
#define LS_QUEUE_H

#include <libpq-fe.h>

#include "err.h"

struct queue_filter {
	const char *owner;   /* NULL: any */
	const char *tier;    /* NULL: any; "A".."D" */
	const char *segment; /* NULL: any */
	long limit;
};

/*
 * Every function below returns contacts as one column of JSON text per row, the queue
 * item: {"contact", "account", "score", "probability", "tier", "reasons", "last_activity",
 * "owner", "segment"} (a claim adds "lease"). Contacts without consent, bounced,
 * unsubscribed, not yet scored, or under a live lease are never listed.
 */

/* Prepares on conn the statements of the functions below other than queue_fetch, which
 * need them: once per connection, before its first use by them. */
int queue_prepare(PGconn *conn, struct ls_err *err) LS_MUST_CHECK;

/* The first f->limit contacts of the queue (needs no queue_prepare). */
PGresult *queue_fetch(PGconn *conn, const struct queue_filter *f, struct ls_err *err) LS_MUST_CHECK;

/*
 * One page of a walk through the queue. Page 0 starts the walk (walk_id must be new: no
 * page of it asked for yet); each page holds the best contacts the walk has not returned
 * yet, so however scores move between pages no contact comes twice and none that stays
 * listable is skipped. A page asked for again
 * returns the contacts it returned the first time (those still listable). *more is set
 * when the page was full, so a next page may follow (the walk remembers this one).
 */
PGresult *queue_walk_page(PGconn *conn, const struct queue_filter *f, const char *walk_id,
                          long page, int *more, struct ls_err *err) LS_MUST_CHECK;

/* Forgets the pages of walks older than ttl_s seconds. */
int queue_walk_expire(PGconn *conn, long ttl_s, struct ls_err *err) LS_MUST_CHECK;

/* Leases the best unleased contact matching f (f->limit unused) to sdr for lease_s
 * seconds. Returns 1 with *item (JSON text, caller frees) when one was leased, 0 when
 * none is left, -1 on error. No contact is ever under two live leases: concurrent
 * claims skip each other's rows, and the lease table's key settles any race. */
int queue_claim(PGconn *conn, const struct queue_filter *f, const char *sdr, long lease_s,
                char **item, struct ls_err *err) LS_MUST_CHECK;

enum queue_claim_result {
	QUEUE_CLAIMED,      /* leased (or the sdr's own lease renewed) */
	QUEUE_NO_CONTACT,   /* no such contact */
	QUEUE_NOT_LISTABLE, /* may not be called or not scored: why says which */
	QUEUE_LEASED,       /* under another SDR's live lease: why names them */
};

/* Leases one named contact; renews the lease when sdr already holds it. *item is set
 * when claimed; why holds the reason otherwise. -1 only on error. */
int queue_claim_contact(PGconn *conn, const char *contact, const char *sdr, long lease_s,
                        enum queue_claim_result *result, char **item, char *why, size_t why_size,
                        struct ls_err *err) LS_MUST_CHECK;

enum queue_release_result { QUEUE_RELEASED, QUEUE_NO_LEASE, QUEUE_HELD_BY_OTHER };

/* Ends the live lease on contact (when sdr is set, only if sdr holds it); holder gets
 * the lease's SDR (released, or the other holder). */
int queue_release(PGconn *conn, const char *contact, const char *sdr,
                  enum queue_release_result *result, char *holder, size_t holder_size,
                  struct ls_err *err) LS_MUST_CHECK;

#endif
