/* One library written twice, in the 2018-2020 syntax (libs/twin_old) and in
 * the current syntax (libs/twin_new), must mean the same thing: the same
 * declarations with the same shapes, every member at the same offset with
 * the same padding, and every method with the same ordinal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "model.h"
#include "parse.h"

enum { MAX_PATH = 4096 };

static char idl_dir[MAX_PATH];
static char old_path[MAX_PATH];
static char new_path[MAX_PATH];

typedef struct twins {
	cf_compilation old_c, new_c;
	const cf_library *old_lib, *new_lib;
} twins;

static bool compile_one(cf_compilation *c, const char *path)
{
	const char *paths[1] = {path};
	cf_file_group group = {paths, 1};
	const char *dirs[1] = {idl_dir};
	cf_compile_options opts = {
	    .include_dirs = dirs,
	    .include_count = 1,
	    .builtin_idl_dir = idl_dir,
	};
	/* Diagnostics go to stderr so that a failure explains itself. */
	cf_compilation_init(c, stderr);
	return cf_compile(c, &opts, &group, 1);
}

static int setup(void **state)
{
	twins *t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	bool ok_old = compile_one(&t->old_c, old_path);
	bool ok_new = compile_one(&t->new_c, new_path);
	t->old_lib = cf_compilation_target(&t->old_c);
	t->new_lib = cf_compilation_target(&t->new_c);
	*state = t;
	if (!ok_old || !ok_new || !t->old_lib || !t->new_lib) {
		print_error("twin libraries do not compile (old %s, new %s)\n",
		            ok_old ? "ok" : "failed", ok_new ? "ok" : "failed");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	twins *t = *state;
	if (t) {
		cf_compilation_free(&t->old_c);
		cf_compilation_free(&t->new_c);
		free(t);
	}
	return 0;
}

/* The files really are in the syntaxes they claim to be. */
static void test_detected_syntaxes(void **state)
{
	twins *t = *state;
	assert_int_equal(t->old_lib->file_count, 1);
	assert_int_equal(t->new_lib->file_count, 1);
	assert_int_equal(cf_detect_syntax(t->old_lib->files[0]),
	                 AST_SYNTAX_OLD);
	assert_int_equal(cf_detect_syntax(t->new_lib->files[0]),
	                 AST_SYNTAX_NEW);
}

static void test_same_library(void **state)
{
	twins *t = *state;
	assert_string_equal(t->old_lib->name, "test.twin");
	assert_string_equal(t->new_lib->name, t->old_lib->name);
	assert_int_equal(t->old_lib->dep_count, t->new_lib->dep_count);
}

static void same_shape(const char *what, const cf_shape *a, const cf_shape *b)
{
	/* Field by field: the struct's padding bytes are not values. */
	if (a->inline_size == b->inline_size && a->alignment == b->alignment &&
	    a->depth == b->depth && a->max_handles == b->max_handles &&
	    a->max_out_of_line == b->max_out_of_line &&
	    a->has_padding == b->has_padding &&
	    a->has_flexible_envelope == b->has_flexible_envelope)
		return;
	print_error("%s: shape differs: old {inline %u align %u depth %u "
	            "handles %u ool %u padding %d flexible %d} new {inline %u "
	            "align %u depth %u handles %u ool %u padding %d flexible "
	            "%d}\n",
	            what, a->inline_size, a->alignment, a->depth,
	            a->max_handles, a->max_out_of_line, a->has_padding,
	            a->has_flexible_envelope, b->inline_size, b->alignment,
	            b->depth, b->max_handles, b->max_out_of_line,
	            b->has_padding, b->has_flexible_envelope);
	fail();
}

static void same_type(const char *what, const cf_type *a, const cf_type *b)
{
	if (!a || !b) {
		assert_true(!a && !b);
		return;
	}
	assert_int_equal(a->kind, b->kind);
	if (a->nullable != b->nullable) {
		print_error("%s: optional in one syntax only\n", what);
		fail();
	}
	same_shape(what, &a->shape, &b->shape);
	switch (a->kind) {
	case CF_TYPE_PRIMITIVE:
		assert_int_equal(a->prim, b->prim);
		break;
	case CF_TYPE_STRING:
	case CF_TYPE_VECTOR:
		assert_int_equal(a->max_count, b->max_count);
		if (a->kind == CF_TYPE_VECTOR)
			same_type(what, a->element, b->element);
		break;
	case CF_TYPE_ARRAY:
		assert_int_equal(a->element_count, b->element_count);
		same_type(what, a->element, b->element);
		break;
	case CF_TYPE_HANDLE:
		assert_int_equal(a->handle_subtype, b->handle_subtype);
		assert_int_equal(a->handle_rights, b->handle_rights);
		break;
	case CF_TYPE_ENDPOINT:
		assert_int_equal(a->role, b->role);
		/* fall through: the protocol */
	case CF_TYPE_DECL:
		assert_non_null(a->decl);
		assert_non_null(b->decl);
		assert_string_equal(a->decl->full_name, b->decl->full_name);
		break;
	case CF_TYPE_FRAMEWORK_ERR:
		break;
	}
}

static void same_value(const char *what, const cf_value *a, const cf_value *b)
{
	if (a->kind != b->kind) {
		print_error("%s: value kinds differ (%d, %d)\n", what, a->kind,
		            b->kind);
		fail();
	}
	switch (a->kind) {
	case CF_VALUE_NONE:
		break;
	case CF_VALUE_BOOL:
		assert_int_equal(a->b, b->b);
		break;
	case CF_VALUE_INT:
		assert_int_equal(a->i, b->i);
		break;
	case CF_VALUE_UINT:
		assert_int_equal(a->u, b->u);
		break;
	case CF_VALUE_FLOAT:
		assert_true(a->f == b->f);
		break;
	case CF_VALUE_STRING:
		assert_int_equal(a->str_len, b->str_len);
		assert_memory_equal(a->str, b->str, a->str_len);
		break;
	}
}

static void same_member(const cf_decl *d, const cf_member *a,
                        const cf_member *b)
{
	char what[512];
	snprintf(what, sizeof(what), "%s.%s", d->full_name,
	         a->name ? a->name : "(reserved)");
	if ((a->name == NULL) != (b->name == NULL) ||
	    (a->name && strcmp(a->name, b->name) != 0)) {
		print_error("%s: member is named %s in the new syntax\n", what,
		            b->name ? b->name : "(reserved)");
		fail();
	}
	assert_int_equal(a->reserved, b->reserved);
	assert_int_equal(a->ordinal, b->ordinal);
	if (a->offset != b->offset || a->padding != b->padding) {
		print_error("%s: offset/padding old %u/%u new %u/%u\n", what,
		            a->offset, a->padding, b->offset, b->padding);
		fail();
	}
	same_type(what, a->type, b->type);
	same_value(what, &a->value, &b->value);
}

static void same_method(const cf_decl *p, const cf_method *a,
                        const cf_method *b)
{
	char what[512];
	snprintf(what, sizeof(what), "%s.%s", p->full_name, a->name);
	assert_string_equal(a->name, b->name);
	if (a->ordinal != b->ordinal || a->ordinal == 0) {
		print_error("%s: ordinal old 0x%016llx new 0x%016llx\n", what,
		            (unsigned long long)a->ordinal,
		            (unsigned long long)b->ordinal);
		fail();
	}
	assert_string_equal(a->selector, b->selector);
	assert_int_equal(a->strict, b->strict);
	assert_int_equal(a->has_request, b->has_request);
	assert_int_equal(a->has_response, b->has_response);
	assert_int_equal(a->has_error, b->has_error);
	assert_int_equal(a->composed, b->composed);
	same_type(what, a->request_payload, b->request_payload);
	same_type(what, a->response_payload, b->response_payload);
	same_type(what, a->success_payload, b->success_payload);
	same_type(what, a->error_type, b->error_type);
}

static void same_decl(const cf_decl *a, const cf_decl *b)
{
	const char *what = a->full_name;
	if (a->kind != b->kind) {
		print_error("%s: a %s in the old syntax, a %s in the new\n",
		            what, cf_decl_kind_name(a->kind),
		            cf_decl_kind_name(b->kind));
		fail();
	}
	same_shape(what, &a->shape, &b->shape);
	switch (a->kind) {
	case CF_DECL_STRUCT:
	case CF_DECL_TABLE:
	case CF_DECL_UNION:
	case CF_DECL_ENUM:
	case CF_DECL_BITS:
		if (a->kind != CF_DECL_STRUCT && a->kind != CF_DECL_TABLE)
			assert_int_equal(a->strict, b->strict);
		if (a->member_count != b->member_count) {
			print_error("%s: %u members old, %u new\n", what,
			            a->member_count, b->member_count);
			fail();
		}
		for (unsigned i = 0; i < a->member_count; i++)
			same_member(a, &a->members[i], &b->members[i]);
		if (a->subtype || b->subtype)
			same_type(what, a->subtype, b->subtype);
		if (a->kind == CF_DECL_BITS)
			assert_int_equal(a->bits_mask, b->bits_mask);
		break;
	case CF_DECL_CONST:
		same_type(what, a->const_type, b->const_type);
		same_value(what, &a->value, &b->value);
		break;
	case CF_DECL_ALIAS:
		same_type(what, a->alias_type, b->alias_type);
		break;
	case CF_DECL_PROTOCOL:
		assert_int_equal(a->openness, b->openness);
		if (a->method_count != b->method_count) {
			print_error("%s: %u methods old, %u new\n", what,
			            a->method_count, b->method_count);
			fail();
		}
		for (unsigned i = 0; i < a->method_count; i++)
			same_method(a, &a->methods[i], &b->methods[i]);
		assert_int_equal(a->composed_count, b->composed_count);
		break;
	case CF_DECL_RESOURCE:
		break;
	}
}

/* Every declaration of either library has its twin, in the same order. */
static void test_same_declarations(void **state)
{
	twins *t = *state;
	const cf_library *o = t->old_lib, *n = t->new_lib;
	for (unsigned i = 0; i < o->decl_count; i++) {
		const cf_decl *a = o->decls[i];
		const cf_decl *b = cf_library_find(n, a->name);
		if (!b) {
			print_error("%s is missing from the new syntax\n",
			            a->full_name);
			fail();
		}
		same_decl(a, b);
	}
	for (unsigned i = 0; i < n->decl_count; i++) {
		if (!cf_library_find(o, n->decls[i]->name)) {
			print_error("%s is missing from the old syntax\n",
			            n->decls[i]->full_name);
			fail();
		}
	}
	assert_int_equal(o->decl_count, n->decl_count);
	for (unsigned i = 0; i < o->decl_count; i++)
		assert_string_equal(o->decls[i]->full_name,
		                    n->decls[i]->full_name);
}

/* The comparison above is only worth something if the twin exercises
 * layout: spot-check facts that follow from the wire format (REFERENCE.md
 * section 3), so that two equally wrong answers cannot pass. */
static void test_known_facts(void **state)
{
	twins *t = *state;
	const cf_library *libs[2] = {t->old_lib, t->new_lib};
	for (int i = 0; i < 2; i++) {
		const cf_decl *point = cf_library_find(libs[i], "Point");
		const cf_decl *empty = cf_library_find(libs[i], "Empty");
		const cf_decl *mixed = cf_library_find(libs[i], "Mixed");
		const cf_decl *echo = cf_library_find(libs[i], "Echo");
		assert_non_null(point);
		assert_non_null(empty);
		assert_non_null(mixed);
		assert_non_null(echo);
		assert_int_equal(point->shape.inline_size, 8);
		assert_int_equal(point->shape.alignment, 4);
		assert_int_equal(empty->shape.inline_size, 1);
		/* uint8 then uint64: 7 bytes of padding after `a`. */
		assert_string_equal(mixed->members[0].name, "a");
		assert_int_equal(mixed->members[0].offset, 0);
		assert_int_equal(mixed->members[0].padding, 7);
		assert_int_equal(mixed->members[1].offset, 8);
		/* A string is 16 bytes inline. */
		assert_int_equal(mixed->members[2].offset, 16);
		assert_true(mixed->shape.has_padding);
		assert_int_equal(mixed->shape.alignment, 8);
		assert_true(mixed->shape.max_handles >= 6);
		/* Renamed by the selector: hashed from "Renamed". */
		bool found = false;
		for (unsigned m = 0; m < echo->method_count; m++) {
			if (strcmp(echo->methods[m].name, "Original") == 0) {
				found = true;
				assert_non_null(strstr(
				    echo->methods[m].selector, "Renamed"));
			}
		}
		assert_true(found);
	}
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	if (!top || !*top)
		top = ".";
	snprintf(idl_dir, sizeof(idl_dir), "%s/idl", top);
	snprintf(old_path, sizeof(old_path),
	         "%s/tests/compiler/libs/twin_old/twin.fidl", top);
	snprintf(new_path, sizeof(new_path),
	         "%s/tests/compiler/libs/twin_new/twin.fidl", top);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detected_syntaxes),
	    cmocka_unit_test(test_same_library),
	    cmocka_unit_test(test_same_declarations),
	    cmocka_unit_test(test_known_facts),
	};
	return cmocka_run_group_tests_name("syntax_twins", tests, setup,
	                                   teardown);
}
