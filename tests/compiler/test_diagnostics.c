/* The corpus of bad inputs (tests/compiler/bad/, see its README): each case
 * must report its expected diagnostic first, at the expected line and
 * column, and print it as `file:line:col: error: message [cf-NNNN]`, the
 * source line and a caret. Also checks the printed format itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compile.h"
#include "diag.h"
#include "source.h"

enum { MAX_FILES = 64, MAX_GROUPS = 8, MAX_PATH = 4096 };

/* One bad input: a file, or a folder (multi-library case). */
typedef struct bad_case {
	char name[256]; /* "0103-unknown-name.fidl" or "0105-cycle" */
	char path[MAX_PATH];
	bool folder;
	int number; /* from the name: 103 */
	/* From the `// expect:` line. */
	bool parsed;
	char expect_code[16];       /* "cf-0103" */
	char expect_file[MAX_PATH]; /* the file the position is in */
	unsigned line, col;
	char problem[512]; /* why the case itself is malformed */
} bad_case;

static char idl_dir[MAX_PATH / 2];
static char bad_dir[MAX_PATH / 2];

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Sorted names of the entries of dir that end with suffix (or are folders
 * when suffix is NULL). Returns how many; names are malloc'd. */
static unsigned list_dir(const char *dir, const char *suffix, char **names,
                         unsigned max)
{
	DIR *d = opendir(dir);
	unsigned n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char full[MAX_PATH];
		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
		if (suffix ? !ends_with(e->d_name, suffix) || is_dir(full)
		           : !is_dir(full))
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), compare_strings);
	return n;
}

static void free_names(char **names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
}

/* Parses `// expect: cf-NNNN L:C` or `// expect: cf-NNNN FILE:L:C` (FILE
 * relative to the case folder). */
static bool parse_expect(bad_case *bc, const char *file_path, const char *base)
{
	FILE *f = fopen(file_path, "rb");
	char line[1024];
	if (!f) {
		snprintf(bc->problem, sizeof(bc->problem), "cannot open %s",
		         file_path);
		return false;
	}
	bool got = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	const char *p = got ? strstr(line, "// expect:") : NULL;
	if (!p || p != line) {
		snprintf(bc->problem, sizeof(bc->problem),
		         "%s: first line is not `// expect: cf-NNNN L:C`",
		         file_path);
		return false;
	}
	char code[32], where[MAX_PATH];
	if (sscanf(p + strlen("// expect:"), " %31s %4095s", code, where) !=
	        2 ||
	    strncmp(code, "cf-", 3) != 0 || strlen(code) != 7) {
		snprintf(bc->problem, sizeof(bc->problem),
		         "%s: cannot read the expect line", file_path);
		return false;
	}
	snprintf(bc->expect_code, sizeof(bc->expect_code), "%s", code);
	/* FILE:L:C or L:C: the last two colon-separated fields are numbers. */
	char *c2 = strrchr(where, ':');
	if (!c2) {
		snprintf(bc->problem, sizeof(bc->problem),
		         "%s: position is not L:C", file_path);
		return false;
	}
	*c2 = '\0';
	char *c1 = strrchr(where, ':');
	const char *line_text = c1 ? c1 + 1 : where;
	char *end1, *end2;
	unsigned long l = strtoul(line_text, &end1, 10);
	unsigned long c = strtoul(c2 + 1, &end2, 10);
	if (*end1 || *end2 || end1 == line_text || end2 == c2 + 1 || !l || !c) {
		snprintf(bc->problem, sizeof(bc->problem),
		         "%s: position is not L:C", file_path);
		return false;
	}
	bc->line = (unsigned)l;
	bc->col = (unsigned)c;
	if (c1) {
		*c1 = '\0';
		if (snprintf(bc->expect_file, sizeof(bc->expect_file), "%s/%s",
		             base, where) >= (int)sizeof(bc->expect_file))
			return false;
	} else {
		snprintf(bc->expect_file, sizeof(bc->expect_file), "%s",
		         file_path);
	}
	bc->parsed = true;
	return true;
}

/* The groups of a case. A file case is one group. In a folder case, each
 * subfolder named files* is a --files group (in name order), then the .fidl
 * files at the top of the folder form the last (target) group; any other
 * subfolder is a library found through -I (the folder itself). */
typedef struct case_files {
	char *paths[MAX_GROUPS][MAX_FILES];
	const char *cpaths[MAX_GROUPS][MAX_FILES];
	cf_file_group groups[MAX_GROUPS];
	unsigned group_count;
} case_files;

static void add_group(case_files *cf, const char *dir)
{
	char *names[MAX_FILES];
	unsigned n = list_dir(dir, ".fidl", names, MAX_FILES);
	unsigned g = cf->group_count;
	if (n == 0 || g == MAX_GROUPS) {
		free_names(names, n);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		char full[MAX_PATH];
		snprintf(full, sizeof(full), "%s/%s", dir, names[i]);
		cf->paths[g][i] = strdup(full);
		cf->cpaths[g][i] = cf->paths[g][i];
	}
	free_names(names, n);
	cf->groups[g].paths = cf->cpaths[g];
	cf->groups[g].count = n;
	cf->group_count++;
}

static void case_files_load(case_files *cf, const bad_case *bc)
{
	memset(cf, 0, sizeof(*cf));
	if (!bc->folder) {
		cf->paths[0][0] = strdup(bc->path);
		cf->cpaths[0][0] = cf->paths[0][0];
		cf->groups[0].paths = cf->cpaths[0];
		cf->groups[0].count = 1;
		cf->group_count = 1;
		return;
	}
	char *subs[MAX_GROUPS * 4];
	unsigned n = list_dir(bc->path, NULL, subs, MAX_GROUPS * 4);
	for (unsigned i = 0; i < n; i++) {
		if (strncmp(subs[i], "files", 5) == 0) {
			char full[MAX_PATH];
			if (snprintf(full, sizeof(full), "%s/%s", bc->path,
			             subs[i]) < (int)sizeof(full))
				add_group(cf, full);
		}
	}
	free_names(subs, n);
	add_group(cf, bc->path);
}

static void case_files_free(case_files *cf)
{
	for (unsigned g = 0; g < cf->group_count; g++)
		for (unsigned i = 0; i < cf->groups[g].count; i++)
			free(cf->paths[g][i]);
}

/* Reads the case's name and its expect line. */
static void load_case(bad_case *bc, const char *name)
{
	memset(bc, 0, sizeof(*bc));
	snprintf(bc->name, sizeof(bc->name), "%s", name);
	snprintf(bc->path, sizeof(bc->path), "%s/%s", bad_dir, name);
	bc->folder = is_dir(bc->path);
	if (!isdigit((unsigned char)name[0]) || strlen(name) < 5 ||
	    name[4] != '-') {
		snprintf(bc->problem, sizeof(bc->problem),
		         "%s: name must be NNNN-short-name", name);
		return;
	}
	bc->number = atoi(name);
	if (!bc->folder) {
		parse_expect(bc, bc->path, bad_dir);
		return;
	}
	/* The folder's expect line is the first line of the first top-level
	 * file that has one. */
	char *names[MAX_FILES];
	unsigned n = list_dir(bc->path, ".fidl", names, MAX_FILES);
	for (unsigned i = 0; i < n && !bc->parsed; i++) {
		char full[MAX_PATH];
		snprintf(full, sizeof(full), "%s/%s", bc->path, names[i]);
		bad_case tmp = *bc;
		if (parse_expect(&tmp, full, bc->path))
			*bc = tmp;
	}
	free_names(names, n);
	if (!bc->parsed && !bc->problem[0])
		snprintf(bc->problem, sizeof(bc->problem),
		         "%s: no top-level file starts with `// expect:`",
		         name);
}

/* Checks what was printed for the first diagnostic: the heading, the
 * source line and the caret. */
static void check_printed(const bad_case *bc, const cf_compilation *c,
                          FILE *out)
{
	char *text = NULL;
	long size;
	fflush(out);
	size = ftell(out);
	assert_true(size > 0);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	rewind(out);
	assert_int_equal(fread(text, 1, (size_t)size, out), (size_t)size);

	const cf_loc loc = c->diags.first_loc;
	const char *sev = cf_diag_severity(c->diags.first_id) == CF_SEV_ERROR
	                      ? "error"
	                      : "warning";
	char head[MAX_PATH + 64];
	snprintf(head, sizeof(head), "%s:%u:%u: %s: ", loc.src->path, loc.line,
	         loc.col, sev);
	if (strncmp(text, head, strlen(head)) != 0) {
		print_error("%s: printed `%.200s`, expected it to start with "
		            "`%s`\n",
		            bc->name, text, head);
		free(text);
		fail();
	}
	char *nl = strchr(text, '\n');
	assert_non_null(nl);
	char tail[32];
	snprintf(tail, sizeof(tail), " [%s]", bc->expect_code);
	*nl = '\0';
	if (!ends_with(text, tail)) {
		print_error("%s: heading `%s` does not end with `%s`\n",
		            bc->name, text, tail);
		free(text);
		fail();
	}
	/* The source line, indented, then the caret under the column. */
	const char *src_line;
	size_t len;
	if (cf_source_line(loc.src, loc.line, &src_line, &len) && len < 200) {
		char *echo = nl + 1;
		char *nl2 = strchr(echo, '\n');
		assert_non_null(nl2);
		*nl2 = '\0';
		char *caret = nl2 + 1;
		char *nl3 = strchr(caret, '\n');
		assert_non_null(nl3);
		*nl3 = '\0';
		/* Compare printable bytes only: control bytes may be masked. */
		size_t indent = strlen(echo) >= len ? strlen(echo) - len : 0;
		for (size_t i = 0; i < len; i++) {
			unsigned char s = (unsigned char)src_line[i];
			if (s >= 0x20 && s < 0x7f)
				assert_int_equal(echo[indent + i], s);
		}
		/* A position past the end of the line (an error at the end
		 * of the file) puts the caret right after the line. */
		size_t col = loc.col - 1 < len ? loc.col - 1 : len;
		size_t caret_at = strcspn(caret, "^");
		assert_int_equal(caret[caret_at], '^');
		assert_int_equal(caret_at, indent + col);
	}
	free(text);
}

static void run_case(void **state)
{
	const bad_case *bc = *state;
	if (bc->problem[0]) {
		print_error("malformed case: %s\n", bc->problem);
		fail();
	}
	char code[16];
	snprintf(code, sizeof(code), "cf-%04d", bc->number);
	if (strcmp(code, bc->expect_code) != 0) {
		print_error("%s: named for %s but expects %s\n", bc->name, code,
		            bc->expect_code);
		fail();
	}

	/* Find the id of the expected code. */
	int id = -1;
	for (int i = 0; i < CF_DIAG_COUNT; i++)
		if (strcmp(cf_diag_code((cf_diag_id)i), bc->expect_code) == 0)
			id = i;
	if (id < 0) {
		print_error("%s: %s is not in diag_ids.def\n", bc->name,
		            bc->expect_code);
		fail();
	}

	case_files files;
	case_files_load(&files, bc);
	assert_true(files.group_count > 0);

	FILE *out = tmpfile();
	assert_non_null(out);
	const char *dirs[2] = {bc->folder ? bc->path : bad_dir, idl_dir};
	cf_compile_options opts = {
	    .include_dirs = dirs,
	    .include_count = 2,
	    .builtin_idl_dir = idl_dir,
	};
	cf_compilation c;
	cf_compilation_init(&c, out);
	bool ok = cf_compile(&c, &opts, files.groups, files.group_count);

	bool is_error = cf_diag_severity((cf_diag_id)id) == CF_SEV_ERROR;
	if (is_error && ok) {
		print_error("%s: compiled without errors\n", bc->name);
		goto failed;
	}
	if (!c.diags.any || c.diags.count[id] == 0) {
		print_error("%s: %s was not reported (%u errors, first %s)\n",
		            bc->name, bc->expect_code, c.diags.errors,
		            c.diags.any ? cf_diag_code(c.diags.first_id)
		                        : "none");
		goto failed;
	}
	const cf_loc loc = c.diags.first_loc;
	if ((int)c.diags.first_id != id || !loc.src || loc.line != bc->line ||
	    loc.col != bc->col || strcmp(loc.src->path, bc->expect_file)) {
		print_error("%s: first diagnostic is %s at %s:%u:%u, expected "
		            "%s at %s:%u:%u\n",
		            bc->name, cf_diag_code(c.diags.first_id),
		            loc.src ? loc.src->path : "(none)", loc.line,
		            loc.col, bc->expect_code, bc->expect_file, bc->line,
		            bc->col);
		goto failed;
	}
	check_printed(bc, &c, out);
	cf_compilation_free(&c);
	fclose(out);
	case_files_free(&files);
	return;
failed:
	cf_compilation_free(&c);
	fclose(out);
	case_files_free(&files);
	fail();
}

/* ---- the printed format, from diag.c alone ---- */

static char *capture(void (*report)(cf_diags *, const cf_source *),
                     const cf_source *src)
{
	FILE *out = tmpfile();
	assert_non_null(out);
	cf_diags d;
	cf_diags_init(&d, out);
	report(&d, src);
	long size = ftell(out);
	char *text = calloc(1, (size_t)size + 1);
	rewind(out);
	assert_int_equal(fread(text, 1, (size_t)size, out), (size_t)size);
	fclose(out);
	return text;
}

static void report_unknown_name(cf_diags *d, const cf_source *src)
{
	cf_loc loc = {src, 2, 14};
	cf_report(d, loc, CF_DIAG_UNKNOWN_NAME, "Missing");
}

static void test_format_error(void **state)
{
	(void)state;
	const char text[] = "library x;\ntype S = struct { a Missing; };\n";
	cf_source *src =
	    cf_source_from_memory("dir/x.fidl", text, sizeof(text) - 1);
	char *out = capture(report_unknown_name, src);
	assert_string_equal(out, "dir/x.fidl:2:14: error: unknown name "
	                         "'Missing' [cf-0103]\n"
	                         "  type S = struct { a Missing; };\n"
	                         "               ^\n");
	free(out);
	cf_source_free(src);
}

static void report_warning(cf_diags *d, const cf_source *src)
{
	cf_loc loc = {src, 1, 1};
	cf_report(d, loc, CF_DIAG_DOC_COMMENT_NOWHERE);
}

static void test_format_warning(void **state)
{
	(void)state;
	const char text[] = "/// lost\n";
	cf_source *src =
	    cf_source_from_memory("w.fidl", text, sizeof(text) - 1);
	char *out = capture(report_warning, src);
	assert_true(strncmp(out, "w.fidl:1:1: warning: ", 21) == 0);
	assert_non_null(strstr(out, " [cf-0012]\n  /// lost\n  ^\n"));
	free(out);
	cf_source_free(src);
}

/* A tab before the column is echoed as a tab in the caret line, so that the
 * caret lines up on any terminal; control bytes are masked. */
static void report_after_tab(cf_diags *d, const cf_source *src)
{
	cf_loc loc = {src, 1, 4};
	cf_report(d, loc, CF_DIAG_INVALID_CHARACTER, "$");
}

static void test_format_tab_and_control(void **state)
{
	(void)state;
	const char text[] = "\ta\x01$\n";
	cf_source *src =
	    cf_source_from_memory("t.fidl", text, sizeof(text) - 1);
	char *out = capture(report_after_tab, src);
	assert_non_null(strstr(out, "t.fidl:1:4: error: "));
	assert_non_null(strstr(out, "\n  \ta?$\n  \t  ^\n"));
	free(out);
	cf_source_free(src);
}

/* A diagnostic with no position names the file, or the program. */
static void report_no_position(cf_diags *d, const cf_source *src)
{
	cf_loc loc = {src, 0, 0};
	cf_report(d, loc, CF_DIAG_MISSING_LIBRARY);
	cf_loc none = {NULL, 0, 0};
	cf_report(d, none, CF_DIAG_LIBRARY_NOT_FOUND, "a.b");
}

static void test_format_no_position(void **state)
{
	(void)state;
	cf_source *src = cf_source_from_memory("e.fidl", "", 0);
	char *out = capture(report_no_position, src);
	assert_string_equal(out,
	                    "e.fidl: error: file does not start with a library "
	                    "declaration [cf-0010]\n"
	                    "cfidl: error: library 'a.b' not found in -I paths "
	                    "or the installed IDL [cf-0302]\n");
	free(out);
	cf_source_free(src);
}

static void test_corpus_not_empty(void **state)
{
	(void)state;
	char *names[4];
	DIR *d = opendir(bad_dir);
	if (!d) {
		print_error("cannot open %s: %s\n", bad_dir, strerror(errno));
		fail();
	}
	closedir(d);
	unsigned n = list_dir(bad_dir, ".fidl", names, 4);
	free_names(names, n);
	assert_true(n > 0);
}

int main(void)
{
	const char *top = env_or("top_srcdir", ".");
	snprintf(idl_dir, sizeof(idl_dir), "%s/idl", top);
	snprintf(bad_dir, sizeof(bad_dir), "%s/tests/compiler/bad", top);

	static char *names[1024];
	char *files[1024], *dirs[256];
	unsigned nf = list_dir(bad_dir, ".fidl", files, 1024);
	unsigned nd = list_dir(bad_dir, NULL, dirs, 256);
	unsigned n = 0;
	for (unsigned i = 0; i < nf; i++)
		names[n++] = files[i];
	for (unsigned i = 0; i < nd && n < 1024; i++)
		names[n++] = dirs[i];
	qsort(names, n, sizeof(*names), compare_strings);

	const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_format_error),
	    cmocka_unit_test(test_format_warning),
	    cmocka_unit_test(test_format_tab_and_control),
	    cmocka_unit_test(test_format_no_position),
	    cmocka_unit_test(test_corpus_not_empty),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests = calloc(nfixed + n, sizeof(*tests));
	bad_case *cases = calloc(n ? n : 1, sizeof(*cases));
	if (!tests || !cases)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (unsigned i = 0; i < n; i++) {
		load_case(&cases[i], names[i]);
		tests[nfixed + i].name = cases[i].name;
		tests[nfixed + i].test_func = run_case;
		tests[nfixed + i].initial_state = &cases[i];
	}
	int failed = _cmocka_run_group_tests("diagnostics", tests, nfixed + n,
	                                     NULL, NULL);
	free_names(names, n);
	free(tests);
	free(cases);
	return failed;
}
