/* store.h: the feature store: every SQL statement the daemon's batch path runs. */
#ifndef LS_STORE_H
#define LS_STORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "batch.h"
#include "err.h"

/* A contact as locked and read at the start of a batch, and written at its end. */
struct contact_row {
	char *contact_id;
	char *account;
	char *owner;
	char *segment; /* contact.updated data.segment; NULL: none */
	int consent, bounced, unsubscribed;
	int holdout;        /* in the hold-out group: set once, when the contact is new */
	double holdout_key; /* its queue position when held out (holdout_queue_key) */
	json_t *state;      /* contacts.state; owned */
	long long events_applied;
	int64_t first_seen_us, last_event_us, last_activity_us, converted_us; /* 0: none */
	int score;                                                            /* -1: never scored */
	char tier;                                                            /* 0: never scored */
	double probability;
	char *reasons; /* JSON text; owned; NULL until scored */
	double fit, engagement;
	const char *model_version; /* borrowed */
	int dirty;                 /* has changes to write */
	int is_new;                /* not in the table yet: inserted, not updated */
};

/* A published score change, for the score_changes audit table. */
struct score_change {
	const char *contact_id;
	int score, previous_score; /* previous -1: none */
	char tier, previous_tier;  /* previous 0: none */
	double probability;
	const char *model_version;
	const char *event_source, *event_id;
	const char *reasons; /* JSON text; borrowed */
};

/* Every table that holds rows about a contact, for `forget` (and its test). */
extern const char *const store_contact_tables[];

int store_begin(PGconn *conn, struct ls_err *err) LS_MUST_CHECK;
int store_commit(PGconn *conn, struct ls_err *err) LS_MUST_CHECK;
void store_rollback(PGconn *conn);

/* Locks and reads the contacts in contact-id order (byte order), so concurrent
 * daemons never deadlock. ids must be sorted with strcmp and unique; rows[i] is
 * filled for ids[i], with is_new set (and the table's defaults) for a contact
 * that is not in the table yet. */
int store_lock_contacts(PGconn *conn, char *const *ids, size_t n, struct contact_row *rows,
                        struct ls_err *err) LS_MUST_CHECK;

/* Records the events (the dedupe ledger). evs point at distinct (subject,
 * source, id) events; is_new[i] is set to 1 for the ones not seen before. */
int store_insert_events(PGconn *conn, struct event *const *evs, size_t n, unsigned char *is_new,
                        struct ls_err *err) LS_MUST_CHECK;

/* Writes the dirty rows: inserts the new ones, then updates the locked ones. A new one
 * that another writer created meanwhile fails the call with SQLSTATE 40001 noted
 * (db_last_sqlstate), so that the batch is retried whole. */
int store_write_contacts(PGconn *conn, const struct contact_row *rows, size_t n,
                         struct ls_err *err) LS_MUST_CHECK;
int store_insert_score_changes(PGconn *conn, const struct score_change *changes, size_t n,
                               struct ls_err *err) LS_MUST_CHECK;
int store_insert_dead_letters(PGconn *conn, const struct dead_letter *dead, size_t n,
                              struct ls_err *err) LS_MUST_CHECK;

/* Erases every row about the contact, in every table. *found: rows removed. */
int store_forget(PGconn *conn, const char *contact_id, long *removed,
                 struct ls_err *err) LS_MUST_CHECK;

/* The active model's version and bundle path; both NULL when none is active. */
int store_active_model(PGconn *conn, char **version, char **path, struct ls_err *err) LS_MUST_CHECK;

void contact_row_clear(struct contact_row *row);

/* Unix microseconds as a timestamptz literal with full precision, or NULL for 0. */
json_t *store_time_json(int64_t us);

#endif
