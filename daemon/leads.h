/* leads.h: what the API tells about one lead and about accounts: the SQL behind lead detail and
 * roll-ups. */
#ifndef LS_LEADS_H
#define LS_LEADS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "../model/featspec.h"
#include "err.h"

/*
 * One contact's detail as JSON text: score, probability, tier, reasons, fit vs engagement
 * split, events applied, flags, group, live lease, and its last nchanges score changes
 * with the event and model behind each. *state gets contacts.state (JSON text) for the
 * caller to compute features from. Returns 1 when found, 0 when there is no such contact;
 * caller frees both strings.
 */
int leads_detail(PGconn *conn, const char *contact, long nchanges, char **detail, char **state,
                 struct ls_err *err) LS_MUST_CHECK;

/*
 * Account roll-ups as JSON text, one per row, best first: account score (the chance that
 * at least one of its three best contacts converts: 1 - prod(1 - p)), contacts scored,
 * engaged contacts (behaviour in the last 30 days) and the best contact. account NULL:
 * every account, at most limit rows.
 */
PGresult *leads_accounts(PGconn *conn, const char *account, long limit,
                         struct ls_err *err) LS_MUST_CHECK;

/* A contact's model inputs as of as_of_us, by name: numbers, categories, or null when
 * unknown, computed from its stored state (contacts.state JSON text) the way the daemon
 * scores it. NULL when the state does not fit the spec (or out of memory). */
json_t *leads_features(const struct featspec *spec, const char *state, int64_t as_of_us);

#endif
