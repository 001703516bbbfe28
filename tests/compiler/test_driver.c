/* The driver (compile.c): reading files, finding used libraries through
 * -I folders, CFIDL_IDL_PATH and the installed IDL, ordering libraries, and
 * its own diagnostics (cf-0300 cannot read, cf-0302 not found, cf-0303 given
 * twice, cf-0304 too large, cf-0105 library cycle). */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"

typedef struct scratch {
	char root[64];
} scratch;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *join(const scratch *s, const char *rel)
{
	static char buf[8][256];
	static unsigned next;
	char *p = buf[next++ % 8];
	snprintf(p, sizeof(buf[0]), "%s/%s", s->root, rel);
	return p;
}

static void make_dir(const scratch *s, const char *rel)
{
	assert_int_equal(mkdir(join(s, rel), 0700), 0);
}

static int setup(void **state)
{
	scratch *s = calloc(1, sizeof(*s));
	strcpy(s->root, "/tmp/cfidl-driver-XXXXXX");
	if (!mkdtemp(s->root))
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	scratch *s = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->root);
	int rc = system(cmd);
	free(s);
	unsetenv("CFIDL_IDL_PATH");
	return rc == 0 ? 0 : -1;
}

/* Compiles the given files as one group, the target, searching dirs;
 * builtin is the installed-IDL stand-in ("" = none). */
static bool compile_one(cf_compilation *c, const char *const *paths,
                        unsigned count, const char *const *dirs,
                        unsigned dir_count, const char *builtin)
{
	cf_compilation_init(c, NULL);
	cf_compile_options opts = {
	    .include_dirs = dirs,
	    .include_count = dir_count,
	    .builtin_idl_dir = builtin,
	};
	cf_file_group g = {.paths = paths, .count = count};
	return cf_compile(c, &opts, &g, 1);
}

static void test_missing_file_is_cf0300(void **state)
{
	scratch *s = *state;
	const char *paths[] = {join(s, "absent.fidl")};
	cf_compilation c;
	assert_false(compile_one(&c, paths, 1, NULL, 0, ""));
	assert_int_equal(c.diags.first_id, CF_DIAG_CANNOT_READ_FILE);
	assert_int_equal(c.diags.first_loc.line, 0);
	assert_null(cf_compilation_target(&c));
	cf_compilation_free(&c);
}

static void test_folder_as_file_is_cf0300(void **state)
{
	scratch *s = *state;
	make_dir(s, "adir");
	const char *paths[] = {join(s, "adir")};
	cf_compilation c;
	assert_false(compile_one(&c, paths, 1, NULL, 0, ""));
	assert_int_equal(c.diags.first_id, CF_DIAG_CANNOT_READ_FILE);
	cf_compilation_free(&c);
}

/* A sparse file just over the limit: cheap to make, refused before the
 * compiler holds it all. */
static void test_oversized_file_is_cf0304(void **state)
{
	scratch *s = *state;
	const char *path = join(s, "huge.fidl");
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CF_MAX_SOURCE_BYTES + 1), 0);
	close(fd);
	const char *paths[] = {path};
	cf_compilation c;
	assert_false(compile_one(&c, paths, 1, NULL, 0, ""));
	assert_int_equal(c.diags.first_id, CF_DIAG_FILE_TOO_LARGE);
	assert_int_equal(c.diags.count[CF_DIAG_FILE_TOO_LARGE], 1);
	cf_compilation_free(&c);
}

static void test_unreadable_file_in_include_dir(void **state)
{
	scratch *s = *state;
	if (geteuid() == 0) {
		/* root reads mode-000 files; the error path is covered by
		 * test_missing_file_is_cf0300. */
		print_message(
		    "# skip: running as root, mode 000 is readable\n");
		return;
	}
	make_dir(s, "inc");
	make_dir(s, "inc/dep.lib");
	write_file(join(s, "inc/dep.lib/a.fidl"), "library dep.lib;\n");
	assert_int_equal(chmod(join(s, "inc/dep.lib/a.fidl"), 0), 0);
	write_file(join(s, "main.fidl"), "library main;\nusing dep.lib;\n");
	const char *paths[] = {join(s, "main.fidl")};
	const char *dirs[] = {join(s, "inc")};
	cf_compilation c;
	assert_false(compile_one(&c, paths, 1, dirs, 1, ""));
	assert_int_equal(c.diags.first_id, CF_DIAG_CANNOT_READ_FILE);
	cf_compilation_free(&c);
}

static void test_library_found_through_include(void **state)
{
	scratch *s = *state;
	make_dir(s, "inc");
	make_dir(s, "inc/dep.lib");
	/* Two files, read in name order. */
	write_file(join(s, "inc/dep.lib/b.fidl"),
	           "library dep.lib;\ntype B = struct { a A; };\n");
	write_file(join(s, "inc/dep.lib/a.fidl"),
	           "library dep.lib;\ntype A = struct { x uint64; };\n");
	write_file(join(s, "inc/dep.lib/notes.txt"), "not fidl\n");
	write_file(join(s, "main.fidl"), "library main;\nusing dep.lib;\n"
	                                 "type M = struct { b dep.lib.B; };\n");
	const char *paths[] = {join(s, "main.fidl")};
	const char *dirs[] = {join(s, "inc")};
	cf_compilation c;
	assert_true(compile_one(&c, paths, 1, dirs, 1, ""));
	const cf_library *t = cf_compilation_target(&c);
	assert_non_null(t);
	assert_string_equal(t->name, "main");
	assert_int_equal(c.model.library_count, 2);
	assert_string_equal(c.model.libraries[0]->name, "dep.lib");
	assert_int_equal(c.model.libraries[0]->file_count, 2);
	const cf_decl *m = cf_library_find(t, "M");
	assert_non_null(m);
	assert_int_equal(m->shape.inline_size, 8);
	cf_compilation_free(&c);
}

static void test_first_include_dir_wins(void **state)
{
	scratch *s = *state;
	make_dir(s, "one");
	make_dir(s, "one/dep");
	make_dir(s, "two");
	make_dir(s, "two/dep");
	write_file(join(s, "one/dep/d.fidl"),
	           "library dep;\ntype T = struct { x uint8; };\n");
	write_file(join(s, "two/dep/d.fidl"),
	           "library dep;\ntype T = struct { x uint64; };\n");
	write_file(
	    join(s, "main.fidl"),
	    "library main;\nusing dep;\ntype M = struct { t dep.T; };\n");
	const char *paths[] = {join(s, "main.fidl")};
	const char *dirs[] = {join(s, "two"), join(s, "one")};
	cf_compilation c;
	assert_true(compile_one(&c, paths, 1, dirs, 2, ""));
	assert_int_equal(
	    cf_library_find(cf_compilation_target(&c), "M")->shape.inline_size,
	    8);
	cf_compilation_free(&c);
}

static void test_env_path_and_builtin_dir(void **state)
{
	scratch *s = *state;
	make_dir(s, "env");
	make_dir(s, "env/from.env");
	make_dir(s, "builtin");
	make_dir(s, "builtin/from.builtin");
	write_file(join(s, "env/from.env/e.fidl"),
	           "library from.env;\nconst E uint32 = 1;\n");
	write_file(join(s, "builtin/from.builtin/b.fidl"),
	           "library from.builtin;\nconst B uint32 = 2;\n");
	write_file(join(s, "main.fidl"),
	           "library main;\nusing from.env;\nusing from.builtin;\n"
	           "const M uint32 = from.env.E;\nconst N uint32 = "
	           "from.builtin.B;\n");
	char env[300];
	snprintf(env, sizeof(env), "/nonexistent-cfidl::%s", join(s, "env"));
	setenv("CFIDL_IDL_PATH", env, 1);
	const char *paths[] = {join(s, "main.fidl")};
	cf_compilation c;
	assert_true(compile_one(&c, paths, 1, NULL, 0, join(s, "builtin")));
	assert_int_equal(c.model.library_count, 3);
	const cf_library *t = cf_compilation_target(&c);
	assert_int_equal(cf_library_find(t, "N")->value.u, 2);
	cf_compilation_free(&c);

	/* Without the environment the library is not found, at its using. */
	unsetenv("CFIDL_IDL_PATH");
	assert_false(compile_one(&c, paths, 1, NULL, 0, join(s, "builtin")));
	assert_int_equal(c.diags.first_id, CF_DIAG_LIBRARY_NOT_FOUND);
	assert_int_equal(c.diags.first_loc.line, 2);
	assert_int_equal(c.diags.first_loc.col, 7);
	cf_compilation_free(&c);
}

static void test_unsafe_library_name_is_not_searched(void **state)
{
	scratch *s = *state;
	make_dir(s, "inc");
	/* `using` takes identifiers, so the parser already refuses "..";
	 * a library name with upper case is not looked up on disk. */
	make_dir(s, "inc/Dep");
	write_file(join(s, "inc/Dep/d.fidl"), "library Dep;\n");
	write_file(join(s, "main.fidl"), "library main;\nusing Dep;\n");
	const char *paths[] = {join(s, "main.fidl")};
	const char *dirs[] = {join(s, "inc")};
	cf_compilation c;
	assert_false(compile_one(&c, paths, 1, dirs, 1, ""));
	assert_int_equal(c.diags.count[CF_DIAG_LIBRARY_NOT_FOUND], 0);
	assert_int_equal(c.diags.first_id, CF_DIAG_UNKNOWN_LIBRARY);
	assert_int_equal(c.model.library_count, 1);
	cf_compilation_free(&c);
}

static void test_groups_in_dependency_order(void **state)
{
	scratch *s = *state;
	write_file(join(s, "a.fidl"),
	           "library a;\nusing b;\ntype A = struct { b b.B; };\n");
	write_file(join(s, "b.fidl"),
	           "library b;\ntype B = struct { x uint16; };\n");
	write_file(join(s, "t.fidl"),
	           "library t;\nusing a;\ntype T = struct { a a.A; };\n");
	/* Given out of order: the driver sorts, the target stays last. */
	const char *ga[] = {join(s, "a.fidl")};
	const char *gb[] = {join(s, "b.fidl")};
	const char *gt[] = {join(s, "t.fidl")};
	cf_file_group groups[] = {{ga, 1}, {gb, 1}, {gt, 1}};
	cf_compilation c;
	cf_compilation_init(&c, NULL);
	cf_compile_options opts = {.builtin_idl_dir = ""};
	assert_true(cf_compile(&c, &opts, groups, 3));
	assert_int_equal(c.model.library_count, 3);
	assert_string_equal(c.model.libraries[0]->name, "b");
	assert_string_equal(c.model.libraries[1]->name, "a");
	assert_string_equal(c.model.libraries[2]->name, "t");
	cf_compilation_free(&c);
}

static void test_library_cycle_is_cf0105(void **state)
{
	scratch *s = *state;
	write_file(join(s, "x.fidl"), "library x;\nusing y;\n");
	write_file(join(s, "y.fidl"), "library y;\nusing x;\n");
	const char *gx[] = {join(s, "x.fidl")};
	const char *gy[] = {join(s, "y.fidl")};
	cf_file_group groups[] = {{gx, 1}, {gy, 1}};
	cf_compilation c;
	cf_compilation_init(&c, NULL);
	cf_compile_options opts = {.builtin_idl_dir = ""};
	assert_false(cf_compile(&c, &opts, groups, 2));
	assert_int_equal(c.diags.first_id, CF_DIAG_LIBRARY_CYCLE);
	assert_int_equal(c.diags.count[CF_DIAG_LIBRARY_CYCLE], 1);
	cf_compilation_free(&c);
}

static void test_same_library_twice_is_cf0303(void **state)
{
	scratch *s = *state;
	write_file(join(s, "x1.fidl"), "library x;\n");
	write_file(join(s, "x2.fidl"), "library x;\n");
	const char *g1[] = {join(s, "x1.fidl")};
	const char *g2[] = {join(s, "x2.fidl")};
	cf_file_group groups[] = {{g1, 1}, {g2, 1}};
	cf_compilation c;
	cf_compilation_init(&c, NULL);
	cf_compile_options opts = {.builtin_idl_dir = ""};
	assert_false(cf_compile(&c, &opts, groups, 2));
	assert_int_equal(c.diags.first_id, CF_DIAG_DUPLICATE_LIBRARY);
	assert_string_equal(c.diags.first_loc.src->path, g2[0]);
	cf_compilation_free(&c);
}

static void test_memory_sources_may_hold_nul(void **state)
{
	(void)state;
	static const char text[] = "library m;\0const X uint8 = 1;\n";
	const char *names[] = {"m.fidl"};
	const char *texts[] = {text};
	size_t lengths[] = {sizeof(text) - 1};
	cf_compilation c;
	cf_compilation_init(&c, NULL);
	cf_compile_options opts = {.builtin_idl_dir = ""};
	assert_false(cf_compile_memory(&c, &opts, names, texts, lengths, 1));
	assert_int_equal(c.diags.count[CF_DIAG_NUL_IN_SOURCE], 1);
	cf_compilation_free(&c);

	/* Without lengths the text ends at its NUL and compiles. */
	cf_compilation_init(&c, NULL);
	assert_true(cf_compile_memory(&c, &opts, names, texts, NULL, 1));
	assert_string_equal(cf_compilation_target(&c)->name, "m");
	cf_compilation_free(&c);
}

static void test_file_without_library_gives_no_target(void **state)
{
	(void)state;
	const char *names[] = {"e.fidl"};
	const char *texts[] = {"type X = struct {};\n"};
	cf_compilation c;
	cf_compilation_init(&c, NULL);
	cf_compile_options opts = {.builtin_idl_dir = ""};
	assert_false(cf_compile_memory(&c, &opts, names, texts, NULL, 1));
	assert_int_equal(c.diags.first_id, CF_DIAG_MISSING_LIBRARY);
	assert_null(cf_compilation_target(&c));
	cf_compilation_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_missing_file_is_cf0300, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_folder_as_file_is_cf0300,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_file_is_cf0304,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreadable_file_in_include_dir,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_library_found_through_include,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_include_dir_wins, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_env_path_and_builtin_dir,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_unsafe_library_name_is_not_searched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_groups_in_dependency_order,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_library_cycle_is_cf0105, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_same_library_twice_is_cf0303,
	                                    setup, teardown),
	    cmocka_unit_test(test_memory_sources_may_hold_nul),
	    cmocka_unit_test(test_file_without_library_gives_no_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
