/* roi_svg.c: drawing the ROI chart by hand: two panels of plain SVG, no library needed. */
#include "roi_svg.h"

#include <math.h>
#include <string.h>

#define W 900
#define H 420
#define PANEL_W 400
#define PANEL_H 300
#define LEFT1 60
#define LEFT2 510
#define TOP 70

static void
axes(FILE *out, int left, const char *title, const char *xlabel, const char *ylabel, double ymax)
{
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" font-size=\"16\" font-weight=\"bold\">%s</text>\n"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
		"<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n"
		"<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 %d %d)\">%s</text>\n",
		left, TOP - 30, title, left, TOP, left, TOP + PANEL_H, left, TOP + PANEL_H,
		left + PANEL_W, TOP + PANEL_H, left + PANEL_W / 2, TOP + PANEL_H + 40, xlabel,
		left - 42, TOP + PANEL_H / 2, left - 42, TOP + PANEL_H / 2, ylabel);
	for (int i = 0; i <= 4; i++) {
		double v = ymax * i / 4;
		int y = TOP + PANEL_H - PANEL_H * i / 4;

		fprintf(out,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.3g</text>\n",
			left + 1, y, left + PANEL_W, y, left - 6, y + 4, v);
	}
}

static void
lift_panel(FILE *out, const json_t *report)
{
	const json_t *deciles = json_object_get(json_object_get(report, "lift"), "deciles");
	double ymax = 1;
	size_t i;
	const json_t *d;

	json_array_foreach(deciles, i, d)
	{
		double lift = json_number_value(json_object_get(d, "lift"));

		if (isfinite(lift) && lift > ymax)
			ymax = lift;
	}
	ymax = ceil(ymax * 2) / 2;
	axes(out, LEFT1, "Lift by score decile", "score decile", "lift (rate / overall rate)", ymax);
	json_array_foreach(deciles, i, d)
	{
		double lift = json_number_value(json_object_get(d, "lift"));
		int bw = PANEL_W / 10 - 8, x = LEFT1 + 4 + (int)i * (PANEL_W / 10);
		int h = isfinite(lift) ? (int)(PANEL_H * lift / ymax) : 0;

		fprintf(out,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n"
			"<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
			x, TOP + PANEL_H - h, bw, h, lift >= 1 ? "#2a7ab9" : "#9bbbd6", x + bw / 2,
			TOP + PANEL_H + 14, json_string_value(json_object_get(d, "bucket")));
	}
	/* Lift 1 is what picking at random would give. */
	fprintf(out,
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c33\" "
		"stroke-dasharray=\"4 3\"/>\n",
		LEFT1, TOP + PANEL_H - (int)(PANEL_H / ymax), LEFT1 + PANEL_W,
		TOP + PANEL_H - (int)(PANEL_H / ymax));
}

/* Hours saved to date on each day, from cumulative group totals. */
static double
cumulative_hours(const struct roi_group *h, const struct roi_group *s)
{
	if (h->meetings <= 0 || s->meetings <= 0)
		return NAN;
	return (h->minutes / h->meetings - s->minutes / s->meetings) * s->meetings / 60.0;
}

static void
hours_panel(FILE *out, const struct roi_day *days, size_t n)
{
	struct roi_group cum[2];
	double hours[366], ymin = 0, ymax = 1;
	size_t m = n < 366 ? n : 366;

	memset(cum, 0, sizeof(cum));
	for (size_t i = 0; i < m; i++) {
		for (int g = 0; g < 2; g++) {
			cum[g].minutes += days[i].group[g].minutes;
			cum[g].meetings += days[i].group[g].meetings;
		}
		hours[i] = cumulative_hours(&cum[1], &cum[0]);
		if (isfinite(hours[i]) && hours[i] > ymax)
			ymax = hours[i];
		if (isfinite(hours[i]) && hours[i] < ymin)
			ymin = hours[i];
	}
	axes(out, LEFT2, "Hours saved to date", "day", "hours saved", ymax);
	if (m == 0) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"13\">no daily figures yet</text>\n",
			LEFT2 + 20, TOP + PANEL_H / 2);
		return;
	}
	fprintf(out, "<polyline fill=\"none\" stroke=\"#2a7ab9\" stroke-width=\"2\" points=\"");
	for (size_t i = 0; i < m; i++) {
		int x = LEFT2 + (m == 1 ? PANEL_W / 2 : (int)(PANEL_W * i / (m - 1)));
		double v = isfinite(hours[i]) ? (hours[i] < 0 ? 0 : hours[i]) : 0;

		fprintf(out, "%d,%d ", x, TOP + PANEL_H - (int)(PANEL_H * v / ymax));
	}
	fprintf(out, "\"/>\n");
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>\n"
		"<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>\n",
		LEFT2, TOP + PANEL_H + 14, days[0].day, LEFT2 + PANEL_W, TOP + PANEL_H + 14,
		days[m - 1].day);
}

int
roi_svg_write(FILE *out, const json_t *report, const struct roi_day *days, size_t ndays)
{
	const json_t *h = json_object_get(report, "hours_saved");

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		W, H, W, H);
	lift_panel(out, report);
	hours_panel(out, days, ndays);
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" font-size=\"12\">%s to %s: %s%.1f hours saved (%s)</text>\n"
		"</svg>\n",
		LEFT1, H - 10, json_string_value(json_object_get(report, "from")),
		json_string_value(json_object_get(report, "to")), json_is_number(h) ? "" : "n/a ",
		json_is_number(h) ? json_number_value(h) : 0.0,
		json_string_value(json_object_get(report, "verdict")));
	return ferror(out) ? -1 : 0;
}
