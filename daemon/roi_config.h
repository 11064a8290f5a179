/* roi_config.h: the roi.* configuration keys as calculator parameters. */
#ifndef LS_ROI_CONFIG_H
#define LS_ROI_CONFIG_H

#include "config.h"
#include "roi_report.h"

void roi_params_from_config(const struct config *cfg, struct roi_params *p);

/* A window name (day, week, month) as microseconds; 0 for an unknown name. */
long long roi_window_us(const char *name);

#endif
