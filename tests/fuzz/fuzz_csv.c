/* fuzz_csv.c: libFuzzer target for csv_read_buffer, checking every table it accepts. */
#include "../../model/csv.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A table that parsed must be self-consistent: every cell inside the text, NUL-terminated,
 * no longer than the input, and every column findable by its unique name. */
static void
check_table(const struct csv_table *t, size_t size)
{
	size_t i, j, cells = 0;
	const char *c;
	double v;

	if (t->ncols == 0 || t->header[0] != t->text)
		abort();
	for (j = 0; j < t->ncols; j++)
		if (csv_column_index(t, t->header[j]) != (long)j)
			abort();
	for (i = 0; i < t->nrows; i++) {
		for (j = 0; j < t->ncols; j++) {
			c = csv_cell(t, i, j);
			if (c == NULL || c < t->text || c >= t->text + t->text_size)
				abort();
			cells += strlen(c) + 1;
			if (csv_cell_number(c, &v) == 0 && !isfinite(v))
				abort();
		}
	}
	if (cells > size + 1 || csv_cell(t, t->nrows, 0) != NULL ||
	    csv_cell(t, 0, t->ncols) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = {',', ';', '\t'};
	struct csv_table *t = NULL;
	struct ls_err err;
	size_t i;

	for (i = 0; i < sizeof(delims); i++) {
		err.msg[0] = '\0';
		if (csv_read_buffer((const char *)data, size, delims[i], &t, &err) == 0) {
			check_table(t, size);
			csv_free(t);
		} else if (t != NULL || err.msg[0] == '\0') {
			abort();
		}
	}
	return 0;
}
