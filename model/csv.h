/* csv.h: reading CSV exports (RFC 4180 plus what real exports do) into one compact table. */
#ifndef LS_CSV_H
#define LS_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "../daemon/err.h"

/*
 * What is accepted:
 * - a header row, then data rows, all with the header's number of fields;
 * - fields separated by one delimiter byte (',' ';' '\t' '|' ...; not '"', CR, LF or NUL);
 * - quoted fields ("...") holding delimiters, CR/LF and doubled quotes (""), kept verbatim;
 * - CRLF, LF or lone CR line ends, and a last line without one;
 * - a UTF-8 byte order mark at the very start (dropped);
 * - blank lines at the end of the input (ignored).
 *
 * What is rejected, with the line number of the record ("line 17: 36 fields, header has 37"):
 * - a row with more or fewer fields than the header (a blank line before the end counts
 *   as a row of one empty field, so it is an error unless the table has one column);
 * - a quote that is never closed ("line 9: quoted field never closed");
 * - strict quoting: a quote inside an unquoted field (`5" screen`) and text after a closing
 *   quote (`"a"b`) are errors rather than guesses, since a guess can split or merge fields;
 *   quote such fields in full ("5"" screen");
 * - NUL bytes, an empty input (no header), a blank header line, duplicate column names;
 * - inputs of CSV_MAX_BYTES (4 GiB) or more, since cell offsets are 32 bits.
 * Bytes are not checked for UTF-8: cells are returned as found.
 *
 * Memory: the input is copied (csv_read_file reads it) into one buffer and decoded in
 * place, each cell NUL-terminated where its delimiter was; the table adds one 32-bit offset
 * per cell and one pointer per column. A 2.3 MB, 37-column export of 9,240 rows takes about
 * 3.7 MB in all, about 1.6 times the file; 1,000,000 such rows (255 MB) take 403 MB and
 * about a second. Offsets are sized from the count of line ends, so they are not regrown.
 */

#define CSV_MAX_BYTES ((size_t)UINT32_MAX)

struct csv_table {
	size_t ncols;         /* fields per row, >= 1 */
	size_t nrows;         /* data rows, the header excluded */
	char *text;           /* decoded cells, each NUL-terminated (owned) */
	size_t text_size;     /* bytes allocated for text */
	uint32_t *offsets;    /* (nrows + 1) * ncols cell starts in text; row 0 is the header */
	const char *header[]; /* ncols column names, pointing into text */
};

/* Parses len bytes of buf (need not be NUL-terminated; copied, so buf may be freed after).
 * Returns 0 with *out set (free with csv_free), or -1 with a reason in err. */
int csv_read_buffer(const char *buf, size_t len, char delimiter, struct csv_table **out,
                    struct ls_err *err) LS_MUST_CHECK;

/* Reads and parses a file; reasons are prefixed with the path ("leads.csv: line 17: ..."). */
int csv_read_file(const char *path, char delimiter, struct csv_table **out,
                  struct ls_err *err) LS_MUST_CHECK;

/* Frees the table; NULL is fine. */
void csv_free(struct csv_table *t);

/* The cell at data row `row`, column `col` (both from 0): "" for an empty cell, NULL only
 * when row or col is out of range. */
const char *csv_cell(const struct csv_table *t, size_t row, size_t col);

/* Index of the column named exactly name (after BOM removal), or -1. */
long csv_column_index(const struct csv_table *t, const char *name);

/* Bytes the table holds (text, offsets, header): for logging what an import costs. */
size_t csv_memory_size(const struct csv_table *t);

/* 0 with *out when the whole cell is a finite decimal number in C-locale syntax
 * ("-1.5", "2e3", ".5", "7."), whatever the process locale; -1 (out untouched) for an empty
 * cell, surrounding spaces, trailing junk, hex, "inf", "nan" or an overflowing value. */
int csv_cell_number(const char *cell, double *out) LS_MUST_CHECK;

#endif
