/* event_rules.c: data rules per event type, applied at ingest so bad data is dead-lettered, not half-applied. */
#include "event_rules.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const outcomes[] = {"connected", "meeting_booked", "disqualified", "no_answer",
				       "nurture"};

static int
check_outcome(const struct event *ev, char *reason, size_t size)
{
	json_t *outcome = json_object_get(ev->data, "outcome");
	json_t *minutes = json_object_get(ev->data, "minutes");
	json_t *sdr = json_object_get(ev->data, "sdr");

	if (!json_is_string(outcome)) {
		snprintf(reason, size, "sdr.outcome: data.outcome must be a string (connected, "
				       "meeting_booked, disqualified, no_answer or nurture)");
		return -1;
	}
	for (size_t i = 0;; i++) {
		if (i == sizeof(outcomes) / sizeof(outcomes[0])) {
			snprintf(reason, size,
				 "sdr.outcome: data.outcome \"%.40s\" is not one of connected, "
				 "meeting_booked, disqualified, no_answer, nurture",
				 json_string_value(outcome));
			return -1;
		}
		if (strcmp(json_string_value(outcome), outcomes[i]) == 0)
			break;
	}
	if (minutes != NULL && !json_is_null(minutes) &&
	    (!json_is_number(minutes) || !(json_number_value(minutes) >= 0) ||
	     !isfinite(json_number_value(minutes)) || json_number_value(minutes) > 24 * 60)) {
		snprintf(reason, size, "sdr.outcome: data.minutes must be a number from 0 to 1440");
		return -1;
	}
	if (sdr != NULL && !json_is_null(sdr) && !json_is_string(sdr)) {
		snprintf(reason, size, "sdr.outcome: data.sdr must be a string");
		return -1;
	}
	return 0;
}

int
event_rules_check(const struct event *ev, char *reason, size_t size)
{
	if (strcmp(ev->type, "sdr.outcome") == 0)
		return check_outcome(ev, reason, size);
	return 0;
}
