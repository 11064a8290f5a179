/* event_rules.h: what the product requires of the data of the event types it acts on. */
#ifndef LS_EVENT_RULES_H
#define LS_EVENT_RULES_H

#include <stddef.h>

#include "event.h"

/* 0 when the event's data is usable, else -1 with a one-line reason in reason
 * (e.g. an sdr.outcome without a known outcome, or with negative minutes). */
int event_rules_check(const struct event *ev, char *reason, size_t size);

#endif
