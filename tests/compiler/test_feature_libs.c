/* Every feature library in tests/compiler/libs/ (one folder = one library,
 * named like the folder) compiles without an error or a warning, with the
 * libraries it uses found through -I. twin_old and twin_new are checked by
 * test_syntax_twins. Their IR is compared with goldens elsewhere; here the
 * point is that the whole language is accepted, and that the facts each
 * library was written to show come out right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compile.h"
#include "model.h"

enum { MAX_PATH = 4096, MAX_FILES = 32, MAX_LIBS = 128 };

static char idl_dir[MAX_PATH];
static char libs_dir[MAX_PATH];

typedef struct lib_case {
	char name[128];
	cf_compilation c;
	const cf_library *lib;
	bool compiled;
} lib_case;

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool compile_folder(lib_case *lc)
{
	char dir[MAX_PATH + 128];
	snprintf(dir, sizeof(dir), "%s/%s", libs_dir, lc->name);
	DIR *d = opendir(dir);
	if (!d)
		return false;
	char *paths[MAX_FILES];
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < MAX_FILES) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".fidl") == 0) {
			char full[MAX_PATH + 512];
			snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
			paths[n++] = strdup(full);
		}
	}
	closedir(d);
	qsort(paths, n, sizeof(*paths), compare_strings);
	cf_file_group group = {(const char *const *)paths, n};
	const char *dirs[2] = {libs_dir, idl_dir};
	cf_compile_options opts = {
	    .include_dirs = dirs,
	    .include_count = 2,
	    .builtin_idl_dir = idl_dir,
	};
	cf_compilation_init(&lc->c, stderr);
	bool ok = n > 0 && cf_compile(&lc->c, &opts, &group, 1);
	lc->compiled = true;
	lc->lib = cf_compilation_target(&lc->c);
	for (unsigned i = 0; i < n; i++)
		free(paths[i]);
	return ok;
}

static void test_library(void **state)
{
	lib_case *lc = *state;
	bool ok = compile_folder(lc);
	if (!ok || !lc->lib) {
		print_error("%s does not compile (%u errors)\n", lc->name,
		            lc->c.diags.errors);
		fail();
	}
	assert_int_equal(lc->c.diags.errors, 0);
	if (lc->c.diags.warnings) {
		print_error("%s: %u warnings\n", lc->name,
		            lc->c.diags.warnings);
		fail();
	}
	assert_string_equal(lc->lib->name, lc->name);
	assert_true(lc->lib->decl_count > 0);
}

static int teardown_library(void **state)
{
	lib_case *lc = *state;
	if (lc->compiled)
		cf_compilation_free(&lc->c);
	lc->compiled = false;
	return 0;
}

/* ---- facts: what each library was written to show ---- */

static const cf_library *compile_named(lib_case *lc, const char *name)
{
	memset(lc, 0, sizeof(*lc));
	snprintf(lc->name, sizeof(lc->name), "%s", name);
	assert_true(compile_folder(lc));
	assert_non_null(lc->lib);
	return lc->lib;
}

static const cf_decl *find(const cf_library *lib, const char *name)
{
	const cf_decl *d = cf_library_find(lib, name);
	if (!d) {
		print_error("%s has no %s\n", lib->name, name);
		fail();
	}
	return d;
}

static const cf_member *member(const cf_decl *d, const char *name)
{
	for (unsigned i = 0; i < d->member_count; i++)
		if (d->members[i].name && strcmp(d->members[i].name, name) == 0)
			return &d->members[i];
	print_error("%s has no member %s\n", d->full_name, name);
	fail();
	return NULL;
}

static const cf_method *method(const cf_decl *p, const char *name)
{
	for (unsigned i = 0; i < p->method_count; i++)
		if (strcmp(p->methods[i].name, name) == 0)
			return &p->methods[i];
	print_error("%s has no method %s\n", p->full_name, name);
	fail();
	return NULL;
}

/* Wire format v2: natural alignment, padding to the next member. */
static void test_struct_layout_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.structs");
	const cf_decl *padded = find(lib, "Padded");
	assert_int_equal(padded->shape.inline_size, 16);
	assert_int_equal(padded->shape.alignment, 8);
	assert_true(padded->shape.has_padding);
	assert_int_equal(member(padded, "a")->padding, 7);
	assert_int_equal(member(padded, "b")->offset, 8);

	const cf_decl *mixed = find(lib, "MixedPadding");
	assert_int_equal(member(mixed, "b")->offset, 4);
	assert_int_equal(member(mixed, "a")->padding, 2);
	assert_int_equal(member(mixed, "c")->offset, 8);
	assert_int_equal(member(mixed, "c")->padding, 7);
	assert_int_equal(member(mixed, "d")->offset, 16);
	assert_int_equal(mixed->shape.inline_size, 24);

	const cf_decl *trailing = find(lib, "TrailingPadding");
	assert_int_equal(trailing->shape.inline_size, 8);
	assert_int_equal(member(trailing, "b")->padding, 3);

	const cf_decl *packed = find(lib, "Packed");
	assert_int_equal(packed->shape.inline_size, 16);
	assert_false(packed->shape.has_padding);

	assert_int_equal(find(lib, "Empty")->shape.inline_size, 1);
	assert_int_equal(find(lib, "Primitives")->shape.inline_size, 48);

	const cf_decl *ool = find(lib, "OutOfLine");
	assert_int_equal(member(ool, "text")->type->shape.inline_size, 16);
	assert_int_equal(member(ool, "boxed")->type->shape.inline_size, 8);
	assert_int_equal(member(ool, "grid")->type->shape.inline_size, 6);
	assert_int_equal(ool->shape.depth, 1);
	assert_int_equal(ool->shape.max_out_of_line, CF_UNBOUNDED);

	const cf_decl *defaults = find(lib, "WithDefaults");
	assert_int_equal(member(defaults, "count")->value.kind, CF_VALUE_UINT);
	assert_int_equal(member(defaults, "count")->value.u, 10);
	cf_compilation_free(&lc.c);
}

static void test_const_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.consts");
	assert_int_equal(find(lib, "INT64_MIN")->value.i, INT64_MIN);
	assert_int_equal(find(lib, "UINT64_MAX")->value.u, UINT64_MAX);
	assert_int_equal(find(lib, "INT8_COPY")->value.i, -128);
	assert_int_equal(find(lib, "UINT32_COPY")->value.u, 4294967295u);
	assert_true(find(lib, "BOOL_TRUE")->value.b);
	assert_true(find(lib, "FLOAT32_VALUE")->value.f == 1.5);
	const cf_decl *esc = find(lib, "STRING_ESCAPES");
	assert_int_equal(esc->value.str_len, strlen("tab\tquote\"backslash\\"
	                                            "newline\n"));
	assert_int_equal(find(lib, "READ_WRITE")->value.u, 3);
	assert_int_equal(find(lib, "ALL")->value.u, 7);
	const cf_decl *uses = find(lib, "UsesConstants");
	assert_int_equal(member(uses, "name")->type->max_count, 16);
	assert_int_equal(member(uses, "items")->type->element_count, 4);
	cf_compilation_free(&lc.c);
}

static void test_protocol_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.protocols");
	const cf_decl *base = find(lib, "Base");
	assert_int_equal(base->openness, CF_CLOSED);
	assert_true(method(base, "Ping")->strict);
	const cf_decl *open = find(lib, "Open");
	assert_int_equal(open->openness, CF_OPEN);
	assert_int_equal(find(lib, "Ajar")->openness, CF_AJAR);
	/* Open composes Ajar composes Closed composes Base: all methods. */
	assert_non_null(method(open, "Ping"));
	assert_true(method(open, "Ping")->composed);
	assert_false(method(open, "FlexibleTwoWay")->strict);
	assert_true(method(open, "FlexibleTwoWay")->has_request);
	assert_true(method(open, "FlexibleTwoWay")->has_response);
	const cf_method *ev = method(open, "OnOpenEvent");
	assert_false(ev->has_request);
	assert_true(ev->has_response);
	const cf_method *err = method(open, "FlexibleWithError");
	assert_true(err->has_error);
	assert_non_null(err->result_union);
	/* A flexible method's result carries framework_err: 3 variants. */
	assert_int_equal(err->result_union->member_count, 3);
	const cf_method *serr = method(open, "StrictWithError");
	assert_int_equal(serr->result_union->member_count, 2);
	/* A composed method keeps the ordinal of where it is declared. */
	assert_int_equal(method(open, "Ping")->ordinal,
	                 method(base, "Ping")->ordinal);
	const cf_decl *sel = find(lib, "Selectors");
	assert_string_equal(method(sel, "FullSelector")->selector,
	                    "test.other/Elsewhere.Method");
	assert_non_null(strstr(method(sel, "Original")->selector, "Renamed"));
	cf_compilation_free(&lc.c);
}

static void test_handle_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.handles");
	const cf_decl *h = find(lib, "Handles");
	assert_true(h->resource);
	assert_int_equal(member(h, "vmo")->type->handle_subtype, 3);
	assert_int_equal(member(h, "socket")->type->handle_subtype, 14);
	assert_int_equal(member(h, "plain")->type->handle_rights,
	                 CF_RIGHTS_SAME);
	assert_int_equal(member(h, "read_only")->type->handle_rights,
	                 0x04 | 0x20);
	assert_true(member(h, "optional_channel")->type->nullable);
	assert_int_equal(member(h, "lowercase")->type->handle_subtype, 14);
	assert_int_equal(h->shape.inline_size, 32);
	assert_int_equal(h->shape.max_handles, 8);
	const cf_decl *e = find(lib, "Endpoints");
	assert_int_equal(member(e, "server")->type->kind, CF_TYPE_ENDPOINT);
	assert_int_equal(member(e, "server")->type->role, CF_SERVER_END);
	assert_int_equal(e->shape.max_handles, 4);
	const cf_decl *c = find(lib, "HandleContainers");
	assert_int_equal(member(c, "array")->type->shape.max_handles, 3);
	assert_int_equal(member(c, "vector")->type->shape.max_handles, 4);
	assert_int_equal(member(c, "unbounded")->type->shape.max_handles,
	                 CF_UNBOUNDED);
	assert_int_equal(member(c, "nested")->type->shape.max_handles, 4);
	cf_compilation_free(&lc.c);
}

static void test_union_and_table_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.unions");
	const cf_decl *s = find(lib, "StrictUnion");
	assert_true(s->strict);
	assert_int_equal(s->shape.inline_size, 16);
	assert_false(s->shape.has_flexible_envelope);
	const cf_decl *f = find(lib, "FlexibleUnion");
	assert_false(f->strict);
	assert_true(f->shape.has_flexible_envelope);
	assert_false(find(lib, "DefaultUnion")->strict);
	const cf_decl *holds = find(lib, "HoldsUnions");
	assert_int_equal(member(holds, "trailer")->offset, 32);
	assert_true(member(holds, "optional")->type->nullable);
	cf_compilation_free(&lc.c);

	lib = compile_named(&lc, "test.tables");
	const cf_decl *t = find(lib, "WithReserved");
	assert_int_equal(t->shape.inline_size, 16);
	assert_true(t->shape.has_flexible_envelope);
	assert_int_equal(find(lib, "Holder")->shape.max_handles, 1);
	cf_compilation_free(&lc.c);
}

static void test_enum_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.enums");
	assert_int_equal(find(lib, "Uint8Enum")->shape.inline_size, 1);
	assert_int_equal(find(lib, "Int64Enum")->shape.inline_size, 8);
	assert_int_equal(find(lib, "DefaultEnum")->shape.inline_size, 4);
	assert_int_equal(find(lib, "DefaultBits")->shape.inline_size, 4);
	assert_int_equal(member(find(lib, "Int8Enum"), "NEGATIVE")->value.i,
	                 -128);
	assert_int_equal(find(lib, "Uint64Bits")->bits_mask,
	                 0x8000000000000001ull);
	assert_false(find(lib, "Uint16Enum")->strict);
	cf_compilation_free(&lc.c);
}

static void test_inline_and_recursive_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.inline");
	const cf_decl *outer = find(lib, "Outer");
	const cf_decl *inner = member(outer, "inner")->type->decl;
	assert_non_null(inner);
	assert_true(inner->anonymous);
	assert_int_equal(inner->kind, CF_DECL_STRUCT);
	assert_int_equal(member(outer, "flags")->type->decl->kind,
	                 CF_DECL_BITS);
	cf_compilation_free(&lc.c);

	lib = compile_named(&lc, "test.recursive");
	const cf_decl *node = find(lib, "Node");
	assert_int_equal(node->shape.inline_size, 16);
	assert_int_equal(node->shape.depth, CF_UNBOUNDED);
	assert_int_equal(node->shape.max_out_of_line, CF_UNBOUNDED);
	cf_compilation_free(&lc.c);
}

static void test_import_facts(void **state)
{
	(void)state;
	lib_case lc;
	const cf_library *lib = compile_named(&lc, "test.importer");
	const cf_decl *path = find(lib, "Path");
	const cf_type *points = member(path, "points")->type;
	assert_int_equal(points->max_count, 8);
	assert_string_equal(points->element->decl->full_name,
	                    "test.imported/Point");
	assert_true(lib->dep_count >= 2);
	cf_compilation_free(&lc.c);
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	if (!top || !*top)
		top = ".";
	snprintf(idl_dir, sizeof(idl_dir), "%s/idl", top);
	snprintf(libs_dir, sizeof(libs_dir), "%s/tests/compiler/libs", top);

	static lib_case cases[MAX_LIBS];
	static struct CMUnitTest tests[MAX_LIBS + 16];
	unsigned n = 0;
	char *names[MAX_LIBS];
	unsigned count = 0;
	DIR *d = opendir(libs_dir);
	struct dirent *e;
	while (d && (e = readdir(d)) && count < MAX_LIBS) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, "twin_", 5) == 0)
			continue;
		names[count++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, count, sizeof(*names), compare_strings);
	for (unsigned i = 0; i < count; i++) {
		snprintf(cases[i].name, sizeof(cases[i].name), "%s", names[i]);
		free(names[i]);
		tests[n].name = cases[i].name;
		tests[n].test_func = test_library;
		tests[n].teardown_func = teardown_library;
		tests[n].initial_state = &cases[i];
		n++;
	}
	const struct CMUnitTest facts[] = {
	    cmocka_unit_test(test_struct_layout_facts),
	    cmocka_unit_test(test_const_facts),
	    cmocka_unit_test(test_protocol_facts),
	    cmocka_unit_test(test_handle_facts),
	    cmocka_unit_test(test_union_and_table_facts),
	    cmocka_unit_test(test_enum_facts),
	    cmocka_unit_test(test_inline_and_recursive_facts),
	    cmocka_unit_test(test_import_facts),
	};
	for (unsigned i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
		tests[n++] = facts[i];
	return _cmocka_run_group_tests("feature_libs", tests, n, NULL, NULL);
}
