/* test_csv.c: the CSV reader against the case folders in tests/cases/csv and edge cases. */
#include "../../model/csv.h"
#include "../testhelp.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CASES_DIR "tests/cases/csv"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Compares a parsed table with {"header": [...], "rows": [[...], ...]}. */
static void
check_table(const char *name, const struct csv_table *t, const json_t *want)
{
	const json_t *header = json_object_get(want, "header"),
	             *rows = json_object_get(want, "rows");
	const json_t *row;
	size_t i, j, ok = 1;

	TEST_CHECK(name, t->ncols == json_array_size(header));
	TEST_CHECK(name, t->nrows == json_array_size(rows));
	if (t->ncols != json_array_size(header) || t->nrows != json_array_size(rows))
		return;
	for (j = 0; j < t->ncols; j++)
		ok &= strcmp(t->header[j], json_string_value(json_array_get(header, j))) == 0;
	for (i = 0; i < t->nrows; i++) {
		row = json_array_get(rows, i);
		for (j = 0; j < t->ncols; j++)
			ok &= strcmp(csv_cell(t, i, j),
			             json_string_value(json_array_get(row, j))) == 0;
	}
	if (!ok)
		printf("case %s: cells differ\n", name);
	TEST_CHECK(name, ok);
}

static void
check_outcome(const char *name, int rc, const struct csv_table *t, const struct ls_err *err,
              const json_t *want)
{
	const char *error = json_string_value(json_object_get(want, "error"));

	if (error != NULL) {
		TEST_CHECK(name, rc == -1 && t == NULL);
		if (rc == -1 && strstr(err->msg, error) == NULL)
			printf("case %s: error \"%s\" lacks \"%s\"\n", name, err->msg, error);
		TEST_CHECK(name, rc == -1 && strstr(err->msg, error) != NULL);
		return;
	}
	if (rc != 0)
		printf("case %s: unexpected error: %s\n", name, err->msg);
	TEST_CHECK(name, rc == 0 && t != NULL);
	if (rc == 0)
		check_table(name, t, want);
}

/* Each case is read both from its file and from a buffer copy of it. */
static void
run_case(const char *name)
{
	char path[512], input[512];
	struct csv_table *t = NULL;
	struct ls_err err = {""};
	json_error_t jerr;
	json_t *want;
	const char *d;
	char delim = ',';
	char *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s/expected.json", CASES_DIR, name);
	snprintf(input, sizeof(input), "%s/%s/input.csv", CASES_DIR, name);
	want = json_load_file(path, 0, &jerr);
	TEST_CHECK(path, want != NULL);
	if (want == NULL)
		return;
	d = json_string_value(json_object_get(want, "delimiter"));
	if (d != NULL)
		delim = d[0];

	rc = csv_read_file(input, delim, &t, &err);
	check_outcome(name, rc, t, &err, want);
	if (rc != 0)
		TEST_CHECK("file errors name the file", strstr(err.msg, input) == err.msg);
	csv_free(t);

	buf = slurp(input, &len);
	TEST_CHECK(input, buf != NULL);
	if (buf != NULL) {
		t = NULL;
		rc = csv_read_buffer(buf, len, delim, &t, &err);
		check_outcome(name, rc, t, &err, want);
		csv_free(t);
		free(buf);
	}
	json_decref(want);
}

static void
test_cases(void)
{
	DIR *dir = opendir(CASES_DIR);
	struct dirent *de;
	struct stat st;
	char path[512];
	size_t n = 0;

	TEST_CHECK("cases directory (run from the repository root)", dir != NULL);
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", CASES_DIR, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue; /* README.md */
		run_case(de->d_name);
		n++;
	}
	closedir(dir);
	TEST_CHECK("all case folders found", n >= 30);
}

static void
test_buffer_not_terminated(void)
{
	/* Only the first 10 bytes are the input; a reader looking past them meets an open quote. */
	const char mem[] = "a,b\n1,\"2\"\n\"JUNK";
	struct csv_table *t = NULL;
	struct ls_err err = {""};

	TEST_CHECK("one byte more is read", csv_read_buffer(mem, 11, ',', &t, &err) == -1);
	TEST_CHECK("slice parses", csv_read_buffer(mem, 10, ',', &t, &err) == 0);
	if (t == NULL)
		return;
	TEST_CHECK("slice rows", t->nrows == 1 && t->ncols == 2);
	TEST_STREQ("slice last cell", csv_cell(t, 0, 1), "2");
	csv_free(t);
}

static void
test_accessors(void)
{
	const char in[] = "\xEF\xBB\xBFid,Lead Source,Converted\n7,,1\n8,\"Google\",0\n";
	struct csv_table *t = NULL;
	struct ls_err err = {""};

	TEST_CHECK("accessor table", csv_read_buffer(in, sizeof(in) - 1, ',', &t, &err) == 0);
	if (t == NULL)
		return;
	TEST_CHECK("index of first (BOM stripped)", csv_column_index(t, "id") == 0);
	TEST_CHECK("index with space", csv_column_index(t, "Lead Source") == 1);
	TEST_CHECK("index last", csv_column_index(t, "Converted") == 2);
	TEST_CHECK("index is exact", csv_column_index(t, "converted") == -1);
	TEST_CHECK("index missing", csv_column_index(t, "Tags") == -1);
	TEST_STREQ("empty cell is \"\"", csv_cell(t, 0, 1), "");
	TEST_STREQ("cell", csv_cell(t, 1, 1), "Google");
	TEST_CHECK("row out of range", csv_cell(t, 2, 0) == NULL);
	TEST_CHECK("column out of range", csv_cell(t, 0, 3) == NULL);
	TEST_CHECK("memory counted", csv_memory_size(t) >= sizeof(in));
	csv_free(t);
	csv_free(NULL);
}

static void
test_bad_arguments(void)
{
	struct csv_table *t = (struct csv_table *)&t;
	struct ls_err err = {""};

	TEST_CHECK("quote delimiter", csv_read_buffer("a\n", 2, '"', &t, &err) == -1 && t == NULL);
	TEST_CHECK("quote delimiter reason", strstr(err.msg, "delimiter 0x22 cannot") != NULL);
	TEST_CHECK("LF delimiter", csv_read_buffer("a\n", 2, '\n', &t, &err) == -1);
	TEST_CHECK("NUL delimiter",
	           csv_read_file(CASES_DIR "/crlf/input.csv", '\0', &t, &err) == -1);
	TEST_CHECK("NUL delimiter reason", strstr(err.msg, "delimiter 0x00 cannot") != NULL);
	TEST_CHECK("NULL err is fine", csv_read_buffer("", 0, ',', &t, NULL) == -1 && t == NULL);
}

static void
test_file_errors(void)
{
	struct csv_table *t = NULL;
	struct ls_err err = {""};

	TEST_CHECK("missing file", csv_read_file(CASES_DIR "/no/such.csv", ',', &t, &err) == -1);
	TEST_STREQ("missing file reason", err.msg,
	           CASES_DIR "/no/such.csv: cannot open: No such file or directory");
	TEST_CHECK("directory", csv_read_file(CASES_DIR, ',', &t, &err) == -1 && t == NULL);
	TEST_STREQ("directory reason", err.msg, CASES_DIR ": is a directory");
	/* Reading /proc/self/mem at offset 0 fails with EIO: a read error after a good open. */
	TEST_CHECK("read error", csv_read_file("/proc/self/mem", ',', &t, &err) == -1);
	TEST_CHECK("read error reason",
	           strstr(err.msg, "/proc/self/mem: cannot read: ") == err.msg);
}

static char *
make_rows(size_t nrows, size_t *len)
{
	size_t cap = 64 + nrows * 64, n, i;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	n = (size_t)snprintf(buf, cap, "id,source,visits,time,converted\n");
	for (i = 0; i < nrows; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%zu,\"Source, %zu\",%zu,%zu.5,%zu\r\n", i,
		                      i % 7, i % 13, i % 1000, i % 2);
	*len = n;
	return buf;
}

static void
check_big(const char *what, const struct csv_table *t, size_t nrows, size_t len)
{
	char want[32];

	TEST_CHECK(what, t->nrows == nrows && t->ncols == 5);
	if (t->nrows != nrows || t->ncols != 5)
		return;
	snprintf(want, sizeof(want), "Source, %zu", (nrows - 1) % 7);
	TEST_STREQ(what, csv_cell(t, nrows - 1, 1), want);
	snprintf(want, sizeof(want), "%zu.5", (nrows - 1) % 1000);
	TEST_STREQ(what, csv_cell(t, nrows - 1, 3), want);
	/* Text (<= input) plus 4 bytes a cell: about 1.6x for this 24-byte, 5-cell row. */
	TEST_CHECK("memory under twice the input", csv_memory_size(t) < 2 * len);
}

static void
test_big_buffer(void)
{
	struct csv_table *t = NULL;
	struct ls_err err = {""};
	size_t len, nrows = 50000;
	char *buf = make_rows(nrows, &len);

	TEST_CHECK("generated", buf != NULL);
	if (buf == NULL)
		return;
	TEST_CHECK("big parses", csv_read_buffer(buf, len, ',', &t, &err) == 0);
	if (t != NULL)
		check_big("big buffer", t, nrows, len);
	csv_free(t);
	free(buf);
}

/* Inputs that a careless reader handles in quadratic time: a run of blank lines before a
 * value (one column) and a very wide header checked for duplicates. */
static void
test_no_quadratic(void)
{
	size_t n = 200000, i, len;
	struct csv_table *t = NULL;
	struct ls_err err = {""};
	char *buf = malloc(n * 8 + 16);

	if (buf == NULL) {
		TEST_CHECK("alloc", 0);
		return;
	}
	len = (size_t)sprintf(buf, "a\n");
	memset(buf + len, '\n', n);
	len += n;
	len += (size_t)sprintf(buf + len, "x\n\n");
	TEST_CHECK("blank run", csv_read_buffer(buf, len, ',', &t, &err) == 0);
	TEST_CHECK("blank run rows", t != NULL && t->nrows == n + 1);
	TEST_STREQ("blank run last", t != NULL ? csv_cell(t, n, 0) : NULL, "x");
	csv_free(t);

	for (i = 0, len = 0; i < n / 4; i++)
		len += (size_t)sprintf(buf + len, "c%zu,", i);
	len += (size_t)sprintf(buf + len, "c%zu\n", n / 4 - 2);
	TEST_CHECK("wide header", csv_read_buffer(buf, len, ',', &t, &err) == -1);
	TEST_CHECK("wide header reason",
	           strstr(err.msg, "\"c49998\" (columns 49999 and 50001)") != NULL);
	free(buf);
}

/* A pipe has no size up front, so the reader must grow its buffer as it goes. */
static void
test_pipe(void)
{
	struct csv_table *t = NULL;
	struct ls_err err = {""};
	size_t len, off = 0, nrows = 20000;
	char *buf = make_rows(nrows, &len), path[64];
	int fds[2], status;
	ssize_t w;
	pid_t pid;

	if (buf == NULL || pipe(fds) != 0) {
		TEST_CHECK("pipe setup", 0);
		free(buf);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		while (off < len && (w = write(fds[1], buf + off, len - off)) > 0)
			off += (size_t)w;
		_exit(off == len ? 0 : 1);
	}
	close(fds[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	TEST_CHECK("pipe parses", csv_read_file(path, ',', &t, &err) == 0);
	close(fds[0]);
	TEST_CHECK("writer done", pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	if (t != NULL)
		check_big("pipe", t, nrows, len);
	csv_free(t);
	free(buf);
}

static void
test_numbers(void)
{
	static const struct {
		const char *cell;
		double want;
	} good[] = {{"0", 0},      {"42", 42},          {"-1.5", -1.5},
	            {"+2", 2},     {".5", 0.5},         {"7.", 7},
	            {"2e3", 2000}, {"1.25E-2", 0.0125}, {"-0", 0},
	            {"0005", 5},   {"1e-400", 0},       {"660737", 660737},
	            {"2.50", 2.5}, {"1E+2", 100},       {"123456789012", 123456789012.0}};
	static const char *bad[] = {
	    "",      " 1",  "1 ",  "1,5",    "1.2.3", "abc",          "1e",  "e5",
	    ".",     "-",   "+.",  "0x10",   "inf",   "-inf",         "nan", "NaN",
	    "1e999", "--1", "1e+", "Select", "1\n",   "\357\273\2771" /* BOM then 1 */};
	double v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -99;
		TEST_CHECK(good[i].cell, csv_cell_number(good[i].cell, &v) == 0);
		TEST_NEAR(good[i].cell, v, good[i].want, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -99;
		TEST_CHECK(bad[i], csv_cell_number(bad[i], &v) == -1 && v == -99);
	}
	TEST_CHECK("NULL cell", csv_cell_number(NULL, &v) == -1);
}

/* In a locale whose decimal point is ',' plain strtod would stop at the '.'. */
static void
test_numbers_locale(void)
{
	static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", NULL};
	double v = 0;
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (setlocale(LC_NUMERIC, names[i]) != NULL)
			break;
	if (names[i] == NULL) {
		printf("note: no locale with a decimal comma installed; locale check skipped\n");
		return;
	}
	TEST_CHECK("C syntax under a comma locale", csv_cell_number("2.5", &v) == 0 && v == 2.5);
	TEST_CHECK("comma stays junk", csv_cell_number("2,5", &v) == -1);
	setlocale(LC_NUMERIC, "C");
}

int
main(void)
{
	test_cases();
	test_buffer_not_terminated();
	test_accessors();
	test_bad_arguments();
	test_file_errors();
	test_big_buffer();
	test_no_quadratic();
	test_pipe();
	test_numbers();
	test_numbers_locale();
	return TEST_REPORT();
}
