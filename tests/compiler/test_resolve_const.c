/* Resolver: constants (evaluation, types, overflow, cycles), enums and
 * bits (underlying types, values, strictness, unknown values). */
#include "resolve_fixture.h"

#include <math.h>

static void test_literals(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib = fx_lib(f,
	                         "library a;\n"
	                         "const DEC uint32 = 42;\n"
	                         "const HEX uint64 = 0xFFFFFFFFFFFFFFFF;\n"
	                         "const BIN uint8 = 0b1010;\n"
	                         "const NEG int8 = -128;\n"
	                         "const MIN64 int64 = -9223372036854775808;\n"
	                         "const F32 float32 = 1.5;\n"
	                         "const F64 float64 = -2;\n"
	                         "const B bool = true;\n"
	                         "const S string = \"hi\";\n"
	                         "const SB string:2 = \"ab\";\n",
	                         NULL);
	fx_expect_clean(f);
	cf_decl *d = fx_decl(lib, "DEC");
	assert_int_equal(d->value.kind, CF_VALUE_UINT);
	assert_int_equal(d->value.u, 42);
	assert_string_equal(d->value.expression, "42");
	assert_null(d->value.identifier);
	assert_true(fx_decl(lib, "HEX")->value.u == UINT64_MAX);
	assert_int_equal(fx_decl(lib, "BIN")->value.u, 10);
	d = fx_decl(lib, "NEG");
	assert_int_equal(d->value.kind, CF_VALUE_INT);
	assert_int_equal(d->value.i, -128);
	assert_true(fx_decl(lib, "MIN64")->value.i == INT64_MIN);
	d = fx_decl(lib, "F32");
	assert_int_equal(d->value.kind, CF_VALUE_FLOAT);
	assert_true(d->value.f == 1.5);
	assert_true(fx_decl(lib, "F64")->value.f == -2.0);
	d = fx_decl(lib, "B");
	assert_int_equal(d->value.kind, CF_VALUE_BOOL);
	assert_true(d->value.b);
	d = fx_decl(lib, "S");
	assert_int_equal(d->value.kind, CF_VALUE_STRING);
	assert_string_equal(d->value.str, "hi");
	assert_int_equal(d->value.str_len, 2);
	assert_string_equal(d->value.expression, "\"hi\"");
	assert_int_equal(fx_decl(lib, "SB")->const_type->max_count, 2);
	fx_free(f);
}

static void test_references(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib =
	    fx_lib(f,
	           "library a;\n"
	           "const B uint64 = A;\n"
	           "const A uint32 = 7;\n"
	           "type E = strict enum : int16 { X = -1; Y = A; };\n"
	           "type F = strict bits : uint8 { R = 1; W = 2; X = 4; };\n"
	           "const RW F = F.R | F.W;\n"
	           "const ALL F = RW | F.X;\n"
	           "const MASK uint16 = 1 | 2 | 0x100;\n"
	           "const EY E = E.Y;\n",
	           NULL);
	fx_expect_clean(f);
	cf_decl *b = fx_decl(lib, "B");
	assert_int_equal(b->value.u, 7);
	assert_string_equal(b->value.identifier, "a/A");
	assert_int_equal(fx_member(fx_decl(lib, "E"), "Y")->value.i, 7);
	cf_decl *rw = fx_decl(lib, "RW");
	assert_int_equal(rw->value.kind, CF_VALUE_UINT);
	assert_int_equal(rw->value.u, 3);
	assert_string_equal(rw->value.expression, "F.R | F.W");
	assert_null(rw->value.identifier);
	assert_int_equal(fx_decl(lib, "ALL")->value.u, 7);
	assert_int_equal(fx_decl(lib, "MASK")->value.u, 0x103);
	cf_decl *ey = fx_decl(lib, "EY");
	assert_int_equal(ey->value.kind, CF_VALUE_INT);
	assert_int_equal(ey->value.i, 7);
	assert_string_equal(ey->value.identifier, "a/E.Y");
	/* consts come after what they reference */
	assert_true(fx_pos(lib, "A") < fx_pos(lib, "B"));
	assert_true(fx_pos(lib, "F") < fx_pos(lib, "RW"));
	assert_true(fx_pos(lib, "RW") < fx_pos(lib, "ALL"));
	fx_free(f);
}

static void test_overflow(void **state)
{
	(void)state;
	static const char *cases[] = {
	    "library a;\nconst X uint8 = 256;\n",
	    "library a;\nconst X int8 = -129;\n",
	    "library a;\nconst X uint32 = -1;\n",
	    "library a;\nconst X uint64 = 18446744073709551616;\n",
	    "library a;\nconst X float32 = 1e39;\n",
	    "library a;\nconst X string:2 = \"abc\";\n",
	    "library a;\nconst Y uint16 = 300;\nconst X uint8 = Y;\n",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx *f = fx_new();
		fx_lib(f, cases[i], NULL);
		int line = i == 6 ? 3 : 2;
		fx_expect_first(f, CF_DIAG_CONSTANT_OVERFLOW, line, 0);
		fx_free(f);
	}
}

static void test_type_mismatch(void **state)
{
	(void)state;
	static const char *cases[] = {
	    "library a;\nconst X uint8 = \"s\";\n",
	    "library a;\nconst X bool = 1;\n",
	    "library a;\nconst X string = true;\n",
	    "library a;\nconst X uint8 = 1.5;\n",
	    "library a;\ntype E = strict enum { A = 1; };\nconst X E = 1;\n",
	    "library a;\ntype E = strict enum { A = 1; };\n"
	    "type G = strict enum { A = 1; };\nconst X E = G.A;\n",
	    "library a;\ntype E = strict enum { A = 1; };\nconst X uint32 = "
	    "E.A;\n",
	    "library a;\nconst X int32 = 1 | 2;\n",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx *f = fx_new();
		fx_lib(f, cases[i], NULL);
		assert_true(f->diags.any);
		assert_int_equal(
		    cf_diag_number(f->diags.first_id),
		    cf_diag_number(CF_DIAG_CONSTANT_TYPE_MISMATCH));
		fx_free(f);
	}
}

static void test_const_errors(void **state)
{
	(void)state;
	fx *f = fx_new();
	fx_lib(f,
	       "library a;\nconst A uint8 = B;\nconst B uint8 = C;\n"
	       "const C uint8 = A;\n",
	       NULL);
	assert_int_equal(f->diags.count[CF_DIAG_CONSTANT_CYCLE], 1);
	fx_free(f);

	f = fx_new();
	fx_lib(f, "library a;\ntype S = struct {};\nconst A uint8 = S;\n",
	       NULL);
	fx_expect_first(f, CF_DIAG_NOT_A_CONSTANT, 3, 17);
	fx_free(f);

	f = fx_new();
	fx_lib(f, "library a;\ntype S = struct {};\nconst A S = 1;\n", NULL);
	fx_expect_first(f, CF_DIAG_INVALID_CONSTANT_TYPE, 3, 9);
	fx_free(f);

	f = fx_new();
	fx_lib(f,
	       "library a;\ntype E = strict enum { A = 1; };\n"
	       "const X E = E.B;\n",
	       NULL);
	fx_expect_first(f, CF_DIAG_UNKNOWN_MEMBER, 3, 15);
	fx_free(f);

	/* a long `|` chain is evaluated without deep recursion */
	size_t n = 20000;
	char *text = malloc(n * 4 + 64);
	assert_non_null(text);
	char *p = text + sprintf(text, "library a;\nconst X uint8 = 1");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, " | 1");
	strcpy(p, ";\n");
	f = fx_new();
	cf_library *lib = fx_lib(f, text, NULL);
	free(text);
	if (!f->diags.errors)
		assert_int_equal(fx_decl(lib, "X")->value.u, 1);
	fx_free(f);
}

static void test_struct_defaults(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib = fx_lib(f,
	                         "library a;\n"
	                         "const N uint16 = 9;\n"
	                         "type S = struct { a uint16 = N; b bool = "
	                         "false; c string = \"x\"; d uint8; };\n",
	                         NULL);
	fx_expect_clean(f);
	cf_decl *s = fx_decl(lib, "S");
	assert_int_equal(fx_member(s, "a")->value.u, 9);
	assert_int_equal(fx_member(s, "b")->value.kind, CF_VALUE_BOOL);
	assert_string_equal(fx_member(s, "c")->value.str, "x");
	assert_int_equal(fx_member(s, "d")->value.kind, CF_VALUE_NONE);
	fx_free(f);

	f = fx_new();
	fx_lib(f, "library a;\ntype S = struct {\n    a uint8 = 300;\n};\n",
	       NULL);
	fx_expect_first(f, CF_DIAG_CONSTANT_OVERFLOW, 3, 15);
	fx_free(f);
}

static void test_enums(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib =
	    fx_lib(f,
	           "library a;\n"
	           "type Flex = enum { A = 1; };\n"
	           "type Signed = flexible enum : int8 { A = -1; };\n"
	           "type WithUnknown = flexible enum : uint16 { A = 1; "
	           "@unknown U = 7; };\n"
	           "type Strict = strict enum : uint64 { A = 1; B = "
	           "0xFFFFFFFFFFFFFFFF; };\n"
	           "type Empty = flexible enum {};\n",
	           NULL);
	fx_expect_clean(f);
	cf_decl *d = fx_decl(lib, "Flex");
	assert_false(d->strict); /* new syntax: flexible by default */
	assert_int_equal(d->subtype->prim, CF_PRIM_UINT32);
	assert_int_equal(d->unknown_value.u, UINT32_MAX);
	d = fx_decl(lib, "Signed");
	assert_int_equal(d->unknown_value.kind, CF_VALUE_INT);
	assert_int_equal(d->unknown_value.i, 127);
	assert_int_equal(fx_decl(lib, "WithUnknown")->unknown_value.u, 7);
	d = fx_decl(lib, "Strict");
	assert_true(d->strict);
	assert_true(d->members[1].value.u == UINT64_MAX);
	assert_int_equal(fx_decl(lib, "Empty")->member_count, 0);
	fx_free(f);

	/* the old syntax's enums are strict */
	f = fx_new();
	lib = fx_lib(f,
	             "library a;\nenum E : uint8 { A = 1; };\n"
	             "struct S { E e; };\n",
	             NULL);
	fx_expect_clean(f);
	assert_true(fx_decl(lib, "E")->strict);
	fx_free(f);

	static const struct {
		const char *text;
		cf_diag_id id;
		int line, col;
	} bad[] = {
	    {"library a;\ntype E = strict enum {};\n",
	     CF_DIAG_EMPTY_BITS_OR_ENUM, 2, 17},
	    {"library a;\ntype E = enum : float32 { A = 1; };\n",
	     CF_DIAG_INVALID_UNDERLYING_TYPE, 2, 17},
	    {"library a;\ntype E = enum { A = 1;\n B = 1; };\n",
	     CF_DIAG_DUPLICATE_MEMBER_VALUE, 3, 2},
	    {"library a;\ntype E = enum { A = 1;\n A = 2; };\n",
	     CF_DIAG_DUPLICATE_MEMBER, 3, 2},
	    {"library a;\ntype E = enum : uint8 {\n A = 256; };\n",
	     CF_DIAG_CONSTANT_OVERFLOW, 3, 6},
	    {"library a;\ntype E = resource enum { A = 1; };\n",
	     CF_DIAG_INVALID_MODIFIER, 2, 19},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fx_new();
		fx_lib(f, bad[i].text, NULL);
		fx_expect_first(f, bad[i].id, bad[i].line, bad[i].col);
		fx_free(f);
	}
}

static void test_bits(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib = fx_lib(f,
	                         "library a;\n"
	                         "type B = bits { A = 1; C = 0x10; };\n"
	                         "type S = strict bits : uint8 { X = 0x80; };\n"
	                         "type Empty = flexible bits {};\n",
	                         NULL);
	fx_expect_clean(f);
	cf_decl *b = fx_decl(lib, "B");
	assert_false(b->strict);
	assert_int_equal(b->bits_mask, 0x11);
	assert_int_equal(b->members[1].value.kind, CF_VALUE_UINT);
	assert_true(fx_decl(lib, "S")->strict);
	fx_free(f);

	static const struct {
		const char *text;
		cf_diag_id id;
		int line, col;
	} bad[] = {
	    {"library a;\ntype B = bits {\n A = 3; };\n",
	     CF_DIAG_BITS_NOT_POWER_OF_TWO, 3, 2},
	    {"library a;\ntype B = bits {\n A = 0; };\n",
	     CF_DIAG_BITS_NOT_POWER_OF_TWO, 3, 2},
	    {"library a;\ntype B = bits : int8 { A = 1; };\n",
	     CF_DIAG_INVALID_UNDERLYING_TYPE, 2, 17},
	    {"library a;\ntype B = bits { A = 1;\n C = 1; };\n",
	     CF_DIAG_BITS_DUPLICATE_MASK, 3, 2},
	    {"library a;\ntype B = strict bits {};\n",
	     CF_DIAG_EMPTY_BITS_OR_ENUM, 2, 17},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fx_new();
		fx_lib(f, bad[i].text, NULL);
		fx_expect_first(f, bad[i].id, bad[i].line, bad[i].col);
		fx_free(f);
	}
}

static void test_attributes(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib = fx_lib(f,
	                         "library a;\n"
	                         "/// Doc.\n"
	                         "@ForDeprecatedCBindings\n"
	                         "@selector(\"x/y\")\n"
	                         "@thing(a=1, b=true, c=SOME_NAME)\n"
	                         "type S = struct {};\n",
	                         NULL);
	fx_expect_clean(f);
	cf_decl *s = fx_decl(lib, "S");
	const cf_attr *doc = cf_attrs_find(&s->attrs, "doc");
	assert_non_null(doc);
	assert_string_equal(cf_attr_find_arg(doc, "value")->str, " Doc.\n");
	assert_non_null(cf_attrs_find(&s->attrs, "for_deprecated_c_bindings"));
	const cf_attr *sel = cf_attrs_find(&s->attrs, "selector");
	assert_string_equal(sel->name, "selector");
	assert_string_equal(cf_attr_find_arg(sel, "value")->str, "x/y");
	const cf_attr *t = cf_attrs_find(&s->attrs, "thing");
	assert_int_equal(t->arg_count, 3);
	assert_int_equal(cf_attr_find_arg(t, "a")->u, 1);
	assert_true(cf_attr_find_arg(t, "b")->b);
	assert_string_equal(cf_attr_find_arg(t, "c")->expression, "SOME_NAME");
	fx_free(f);

	f = fx_new();
	fx_lib(f, "library a;\n@foo\n@foo\ntype S = struct {};\n", NULL);
	fx_expect_first(f, CF_DIAG_DUPLICATE_ATTRIBUTE, 3, 1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_references),
	    cmocka_unit_test(test_overflow),
	    cmocka_unit_test(test_type_mismatch),
	    cmocka_unit_test(test_const_errors),
	    cmocka_unit_test(test_struct_defaults),
	    cmocka_unit_test(test_enums),
	    cmocka_unit_test(test_bits),
	    cmocka_unit_test(test_attributes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
