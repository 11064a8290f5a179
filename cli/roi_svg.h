/* roi_svg.h: the ROI chart: lift by score decile, and cumulative hours saved over time, as SVG. */
#ifndef LS_ROI_SVG_H
#define LS_ROI_SVG_H

#include <jansson.h>
#include <stdio.h>

#include "../daemon/roi_store.h"

/* Writes a self-contained SVG document. report is roi_report_build's object; days the
 * daily roll-ups of the same window (may be empty). Returns 0, or -1 on a write error. */
int roi_svg_write(FILE *out, const json_t *report, const struct roi_day *days, size_t ndays);

#endif
