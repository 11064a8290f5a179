/* simulate.h: `leadscore simulate`: a synthetic B2B funnel with known truth, as CloudEvents. */
#ifndef LS_SIMULATE_H
#define LS_SIMULATE_H

#include <stdint.h>
#include <stdio.h>

#include "../daemon/err.h"

#define SIM_MAX_CONTACTS 10000000L /* the per-contact plan is about 44 bytes */
#define SIM_MAX_DAYS 3650

struct sim_opts {
	long contacts;  /* --contacts N (default 1000) */
	int days;       /* --days D (default 30) */
	uint64_t seed;  /* --seed S (default 1) */
	int64_t end_us; /* --end RFC3339, unix microseconds; 0: now, rounded down to the minute */
	const char *truth_path; /* --truth FILE, borrowed from argv; NULL: none */
	int outcomes;           /* --outcomes: also emit sdr.outcome events */
	int help;               /* -h/--help seen: the caller prints sim_usage() and exits 0 */
};

/* Fills the defaults. */
void sim_opts_init(struct sim_opts *o);

/* Parses the arguments after the subcommand name (argv[0] is "simulate" and is
 * skipped). Accepts "--flag value" and "--flag=value". Returns 0, or -1 with a
 * one-line reason (the caller prints it and exits 2). On -h/--help it sets
 * o->help and returns 0 without looking further. */
int sim_opts_parse(int argc, char **argv, struct sim_opts *o, struct ls_err *err) LS_MUST_CHECK;

void sim_usage(FILE *fp);

/* Writes the events, one CloudEvents JSON object per line sorted by time, to
 * events_out and, when truth_out is not NULL, the hidden truth as CSV
 * (contact_id,account,p_true,converted). Same options, same bytes.
 * Returns 0, or -1 with a reason (bad options, out of memory, write error). */
int simulate_write(const struct sim_opts *o, FILE *events_out, FILE *truth_out,
                   struct ls_err *err) LS_MUST_CHECK;

#endif
