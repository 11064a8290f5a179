/* holdout.h: which contacts form the hold-out group, by a stable hash of the contact id. */
#ifndef LS_HOLDOUT_H
#define LS_HOLDOUT_H

#include <stdint.h>

/* A 64-bit hash of the contact id that never changes between versions, machines or
 * models (FNV-1a with a final avalanche mix), so a contact's group is fixed by its id. */
uint64_t holdout_hash(const char *contact_id);

/* 1 when the contact belongs to the hold-out group at this share (0..100 %, in
 * steps of 0.01 %), else 0. */
int holdout_member(const char *contact_id, double percent);

/* A hold-out contact's fixed queue position in [0, 100), uniform over contacts and
 * independent of any score: the same hash, its top 53 bits as a fraction. */
double holdout_queue_key(const char *contact_id);

#endif
