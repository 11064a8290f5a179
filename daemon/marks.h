/* marks.h: which daemon publishes the deployment's own messages (topics roi and model). */
#ifndef LS_MARKS_H
#define LS_MARKS_H

#include <libpq-fe.h>

#include "err.h"

/* Every daemon on one database ticks for roi; each interval of interval_s seconds (by the
 * database's clock) is published by the first daemon to tick in it. 1: this daemon
 * publishes; 0: another daemon already published this interval, or a later one; -1 (err). */
int marks_take_roi(PGconn *conn, long interval_s, struct ls_err *err) LS_MUST_CHECK;

/* Every daemon switches model; the first to switch to version announces it. 1: announce;
 * 0: the deployment's last announcement already named version; -1 (err). */
int marks_take_model(PGconn *conn, const char *version, struct ls_err *err) LS_MUST_CHECK;

/* The two statements as the functions above run them ($1: the interval in seconds, or the
 * version; a row back: the mark moved), for a caller that sends them itself. */
extern const char marks_roi_sql[], marks_model_sql[];

#endif
