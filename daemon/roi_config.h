/* roi_config.h: the roi.* configuration keys as calculator parameters. */
#ifndef LS_ROI_CONFIG_H
#define LS_ROI_CONFIG_H

#include <stdint.h>

#include "config.h"
#include "roi_report.h"

void roi_params_from_config(const struct config *cfg, struct roi_params *p);

/* A window name (day, week, month) as microseconds; 0 for an unknown name. */
long long roi_window_us(const char *name);

/* A window bound: RFC 3339, or a plain YYYY-MM-DD meaning its midnight UTC. 0 or -1. */
int roi_parse_when(const char *text, int64_t *us);

#endif
