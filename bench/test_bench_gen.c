/* Smoke test of the benchmark generator: the three files are deterministic,
 * about the asked size, describe the same declarations, and the real tools
 * (protoc-c, rpcgen, cfidl) accept them. A tool that is absent is skipped
 * with a "# skip:" message and the test passes: cmocka 1.1 prints a skip as
 * "not ok # SKIP", which automake's TAP driver counts as a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen.h"
#include "run.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PROTOC_C_PATH
#define PROTOC_C_PATH ""
#endif
#ifndef RPCGEN_PATH
#define RPCGEN_PATH ""
#endif

#define LINES 2000

static struct bench_lib lib;
static char dir[64];

static unsigned count(const char *text, const char *needle)
{
	unsigned n = 0;
	size_t len = strlen(needle);

	for (const char *p = strstr(text, needle); p;
	     p = strstr(p + len, needle))
		n++;
	return n;
}

/* Lines that begin with needle (after indentation). */
static unsigned count_lines(const char *text, const char *needle)
{
	unsigned n = 0;
	size_t len = strlen(needle);

	for (const char *p = text; *p;) {
		const char *q = p;
		while (*q == ' ')
			q++;
		n += !strncmp(q, needle, len);
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cfidl-bench-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (bench_gen(LINES, 1, &lib) || bench_lib_write(&lib, dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	static const char *const files[] = {
	    "lib.fidl",     "lib.proto",  "lib.x",     "lib.json",
	    "lib.pb-c.c",   "lib.pb-c.h", "lib.h",     "lib_xdr.c",
	    "protoc-c.err", "rpcgen.err", "cfidl.err",
	};
	char path[PATH_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	bench_lib_free(&lib);
	return 0;
}

static void test_deterministic(void **state)
{
	struct bench_lib again, other;

	(void)state;
	assert_int_equal(bench_gen(LINES, 1, &again), 0);
	assert_int_equal(again.fidl.len, lib.fidl.len);
	assert_memory_equal(again.fidl.data, lib.fidl.data, lib.fidl.len);
	assert_string_equal(again.proto.data, lib.proto.data);
	assert_string_equal(again.x.data, lib.x.data);
	assert_int_equal(bench_gen(LINES, 2, &other), 0);
	assert_string_not_equal(other.fidl.data, lib.fidl.data);
	bench_lib_free(&again);
	bench_lib_free(&other);
}

static void test_size(void **state)
{
	static const unsigned targets[] = {1, 50, 2000, 20000};

	(void)state;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct bench_lib l;
		assert_int_equal(bench_gen(targets[i], 7, &l), 0);
		/* Stops at the first declaration past the target; the
		 * longest declaration is a protocol of 8 big methods. */
		assert_true(l.fidl.lines >= targets[i]);
		assert_true(l.fidl.lines < targets[i] + 150);
		assert_int_equal(count(l.fidl.data, "\n"), l.fidl.lines);
		assert_int_equal(count(l.proto.data, "\n"), l.proto.lines);
		assert_int_equal(count(l.x.data, "\n"), l.x.lines);
		bench_lib_free(&l);
	}
}

/* Every declaration kind appears, and each file counts the same ones. */
static void test_equivalent(void **state)
{
	const struct bench_counts *c = &lib.counts;
	const char *f = lib.fidl.data, *p = lib.proto.data, *x = lib.x.data;

	(void)state;
	assert_true(c->consts && c->enums && c->bits && c->structs &&
	            c->tables && c->unions && c->protocols && c->events);
	assert_int_equal(count(f, "= struct {"), c->structs);
	assert_int_equal(count(f, "= table {"), c->tables);
	assert_int_equal(count(f, " union {"), c->unions);
	assert_int_equal(count(f, " enum "), c->enums);
	assert_int_equal(count(f, " bits : "), c->bits);
	assert_int_equal(count_lines(f, "const "), c->consts);
	assert_int_equal(count(f, " protocol "), c->protocols);
	assert_int_equal(count(f, " -> On"), c->events);

	assert_int_equal(count_lines(p, "enum "), c->enums + c->bits);
	assert_int_equal(count(p, "oneof variant {"), c->unions);
	assert_int_equal(count_lines(p, "service "), c->protocols);
	assert_int_equal(count_lines(p, "rpc "), c->methods);
	assert_int_equal(count(p, "returns (stream "), c->events);
	assert_int_equal(count_lines(p, "// const "), c->consts);

	assert_int_equal(count_lines(x, "enum "), c->enums);
	assert_int_equal(count_lines(x, "typedef unsigned int "), c->bits);
	assert_int_equal(count(x, "switch (unsigned int tag)"), c->unions);
	assert_int_equal(count_lines(x, "const MAX_"), c->consts);
	assert_int_equal(count_lines(x, "program "), c->protocols);
	assert_int_equal(count(x, ") = "), c->methods);
}

/* Cheap well-formedness of the FIDL text: brackets balance, and each line
 * is blank, a comment, an attribute, or ends a statement or opens a body. */
static void test_fidl_shape(void **state)
{
	int braces = 0, parens = 0, angles = 0;

	(void)state;
	for (const char *p = lib.fidl.data; *p;) {
		const char *end = strchr(p, '\n');
		const char *q = p;
		assert_non_null(end);
		while (*q == ' ')
			q++;
		if (q != end && strncmp(q, "//", 2) && *q != '@') {
			assert_true(end[-1] == ';' || end[-1] == '{');
			for (const char *s = q; s < end; s++) {
				braces += (*s == '{') - (*s == '}');
				parens += (*s == '(') - (*s == ')');
				angles +=
				    (*s == '<') - (*s == '>' && s[-1] != '-');
			}
		}
		assert_true(braces >= 0 && parens >= 0 && angles == 0);
		p = end + 1;
	}
	assert_int_equal(braces, 0);
	assert_int_equal(parens, 0);
	assert_non_null(strstr(lib.fidl.data, "\nlibrary bench.synth;\n"));
}

/* Runs a tool in dir; prints its stderr when it fails. */
static void accepts(char **argv, const char *err)
{
	char path[PATH_MAX], line[512];
	struct bench_run r = {0};

	snprintf(path, sizeof(path), "%s/%s", dir, err);
	assert_int_equal(bench_run(argv, dir, path, &r), 0);
	if (r.exit_status != 0) {
		FILE *fp = fopen(path, "r");
		for (int i = 0; fp && i < 10 && fgets(line, sizeof(line), fp);
		     i++)
			print_message("%s: %s", argv[0], line);
		if (fp)
			fclose(fp);
	}
	assert_int_equal(r.exit_status, 0);
}

static void test_protoc_c_accepts(void **state)
{
	char *argv[] = {PROTOC_C_PATH, "-I.", "--c_out=.", "lib.proto", NULL};

	(void)state;
	if (!argv[0][0] || access(argv[0], X_OK)) {
		print_message("# skip: protoc-c not found at configure time\n");
		return;
	}
	accepts(argv, "protoc-c.err");
}

static void test_rpcgen_accepts(void **state)
{
	char *h[] = {RPCGEN_PATH, "-h", "-o", "lib.h", "lib.x", NULL};
	char *c[] = {RPCGEN_PATH, "-c", "-o", "lib_xdr.c", "lib.x", NULL};

	(void)state;
	if (!h[0][0] || access(h[0], X_OK)) {
		print_message("# skip: rpcgen not found at configure time\n");
		return;
	}
	accepts(h, "rpcgen.err");
	accepts(c, "rpcgen.err");
}

static void test_cfidl_accepts(void **state)
{
	const char *top = getenv("top_builddir");
	char exe[PATH_MAX];
	char *argv[] = {exe, "--json", "lib.json", "--files", "lib.fidl", NULL};

	(void)state;
	snprintf(exe, sizeof(exe), "%s/compiler/cfidl", top ? top : ".");
	if (!top || access(exe, X_OK)) {
		print_message("# skip: no built cfidl (top_builddir unset)\n");
		return;
	}
	accepts(argv, "cfidl.err");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_equivalent),
	    cmocka_unit_test(test_fidl_shape),
	    cmocka_unit_test(test_protoc_c_accepts),
	    cmocka_unit_test(test_rpcgen_accepts),
	    cmocka_unit_test(test_cfidl_accepts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
