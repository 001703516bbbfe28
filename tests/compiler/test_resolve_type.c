/* Resolver: type constructors and constraints in both syntaxes, aliases,
 * handles through resource_definition, endpoints, optionality, tables and
 * unions, and resourceness. */
#include "resolve_fixture.h"

static const cf_type *mtype(cf_library *lib, const char *decl,
                            const char *member)
{
	const cf_type *t = fx_member(fx_decl(lib, decl), member)->type;
	assert_non_null(t);
	return t;
}

static void test_builtins_new_syntax(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib =
	    fx_lib(f,
	           "library a;\n"
	           "const N uint32 = 8;\n"
	           "type P = struct { x int64; };\n"
	           "type U = flexible union { 1: a uint8; };\n"
	           "type S = struct {\n"
	           "    b bool; i8 int8; u64 uint64; f float32;\n"
	           "    s string; sn string:N; so string:optional;\n"
	           "    sb string:<10, optional>;\n"
	           "    v vector<uint16>; vb vector<P>:3; vo "
	           "vector<string:4>:<5, optional>;\n"
	           "    a array<P, 4>; an array<uint8, N>;\n"
	           "    bx box<P>;\n"
	           "    u U; uo U:optional;\n"
	           "    smax string:MAX; vmax vector<uint8>:<MAX, optional>;\n"
	           "};\n",
	           NULL);
	fx_expect_clean(f);
	assert_int_equal(mtype(lib, "S", "b")->prim, CF_PRIM_BOOL);
	assert_int_equal(mtype(lib, "S", "u64")->prim, CF_PRIM_UINT64);
	const cf_type *t = mtype(lib, "S", "s");
	assert_int_equal(t->kind, CF_TYPE_STRING);
	assert_true(t->max_count == CF_UNBOUNDED);
	assert_false(t->nullable);
	assert_int_equal(mtype(lib, "S", "sn")->max_count, 8);
	assert_true(mtype(lib, "S", "so")->nullable);
	t = mtype(lib, "S", "sb");
	assert_int_equal(t->max_count, 10);
	assert_true(t->nullable);
	t = mtype(lib, "S", "vb");
	assert_int_equal(t->kind, CF_TYPE_VECTOR);
	assert_int_equal(t->max_count, 3);
	assert_ptr_equal(t->element->decl, fx_decl(lib, "P"));
	t = mtype(lib, "S", "vo");
	assert_true(t->nullable);
	assert_int_equal(t->max_count, 5);
	assert_int_equal(t->element->max_count, 4);
	t = mtype(lib, "S", "a");
	assert_int_equal(t->kind, CF_TYPE_ARRAY);
	assert_int_equal(t->element_count, 4);
	assert_int_equal(mtype(lib, "S", "an")->element_count, 8);
	t = mtype(lib, "S", "bx");
	assert_int_equal(t->kind, CF_TYPE_DECL);
	assert_true(t->nullable);
	assert_false(mtype(lib, "S", "u")->nullable);
	assert_true(mtype(lib, "S", "uo")->nullable);
	assert_true(mtype(lib, "S", "smax")->max_count == UINT32_MAX);
	assert_true(mtype(lib, "S", "vmax")->max_count == UINT32_MAX);
	assert_true(mtype(lib, "S", "vmax")->nullable);
	fx_free(f);
}

static void test_old_syntax_types(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib = fx_lib(
	    f,
	    "library a;\n"
	    "struct P { int64 x; };\n"
	    "union U { 1: uint8 a; };\n"
	    "xunion X { 1: uint8 a; };\n"
	    "protocol Q { M(); };\n"
	    "struct S {\n"
	    "    byte b; string:4? s; vector<P>:2? v; array<uint8>:3 a;\n"
	    "    P? bp; U? uo; handle h; handle<vmo>? hv; handle<socket> hs;\n"
	    "    request<Q> srv; Q cli; Q? clo;\n"
	    "};\n",
	    NULL);
	fx_expect_clean(f);
	assert_int_equal(mtype(lib, "S", "b")->prim, CF_PRIM_UINT8);
	const cf_type *t = mtype(lib, "S", "s");
	assert_true(t->nullable);
	assert_int_equal(t->max_count, 4);
	t = mtype(lib, "S", "v");
	assert_true(t->nullable);
	assert_int_equal(t->max_count, 2);
	assert_int_equal(mtype(lib, "S", "a")->element_count, 3);
	assert_true(mtype(lib, "S", "bp")->nullable);
	assert_true(mtype(lib, "S", "uo")->nullable);
	t = mtype(lib, "S", "h");
	assert_int_equal(t->kind, CF_TYPE_HANDLE);
	assert_int_equal(t->handle_subtype, 0);
	assert_true(t->handle_rights == CF_RIGHTS_SAME);
	assert_null(t->handle_resource);
	t = mtype(lib, "S", "hv");
	assert_int_equal(t->handle_subtype, 3);
	assert_string_equal(t->handle_subtype_name, "VMO");
	assert_true(t->nullable);
	assert_int_equal(mtype(lib, "S", "hs")->handle_subtype, 14);
	t = mtype(lib, "S", "srv");
	assert_int_equal(t->kind, CF_TYPE_ENDPOINT);
	assert_int_equal(t->role, CF_SERVER_END);
	assert_ptr_equal(t->decl, fx_decl(lib, "Q"));
	t = mtype(lib, "S", "cli");
	assert_int_equal(t->role, CF_CLIENT_END);
	assert_false(t->nullable);
	assert_true(mtype(lib, "S", "clo")->nullable);
	/* strictness defaults of the old syntax */
	assert_true(fx_decl(lib, "U")->strict);
	assert_false(fx_decl(lib, "X")->strict);
	/* no `resource` keyword: inferred from handles */
	assert_true(fx_decl(lib, "S")->resource);
	assert_false(fx_decl(lib, "P")->resource);
	assert_true(mtype(lib, "S", "h")->resource);
	fx_free(f);
}

static void test_zx_handles(void **state)
{
	(void)state;
	fx *f = fx_new();
	fx_zx(f);
	cf_library *lib = fx_lib(
	    f,
	    "library a;\nusing zx;\n"
	    "const R zx.Rights = zx.Rights.READ | zx.Rights.WRITE;\n"
	    "type S = resource struct {\n"
	    "    any zx.Handle; vmo zx.Handle:VMO; opt zx.Handle:optional;\n"
	    "    old zx.handle:SOCKET;\n"
	    "    r zx.Handle:<CHANNEL, zx.Rights.READ | zx.Rights.WRITE, "
	    "optional>;\n"
	    "    rc zx.Handle:<EVENT, R>;\n"
	    "    q zx.Handle:<zx.ObjType.PORT, zx.RIGHTS_BASIC>;\n"
	    "    st zx.Status; st2 zx.status;\n"
	    "};\n",
	    NULL);
	fx_expect_clean(f);
	const cf_type *t = mtype(lib, "S", "any");
	assert_int_equal(t->kind, CF_TYPE_HANDLE);
	assert_int_equal(t->handle_subtype, 0);
	assert_string_equal(t->handle_resource, "zx/Handle");
	assert_true(t->handle_rights == CF_RIGHTS_SAME);
	t = mtype(lib, "S", "vmo");
	assert_int_equal(t->handle_subtype, 3);
	assert_string_equal(t->handle_subtype_name, "VMO");
	assert_true(mtype(lib, "S", "opt")->nullable);
	t = mtype(lib, "S", "old");
	assert_int_equal(t->handle_subtype, 14);
	assert_string_equal(t->handle_resource, "zx/handle");
	t = mtype(lib, "S", "r");
	assert_int_equal(t->handle_subtype, 4);
	assert_int_equal(t->handle_rights, 0xc);
	assert_true(t->nullable);
	assert_int_equal(mtype(lib, "S", "rc")->handle_rights, 0xc);
	t = mtype(lib, "S", "q");
	assert_int_equal(t->handle_subtype, 6);
	assert_int_equal(t->handle_rights, 0x2 | 0x1 | 0x4000 | 0x8000);
	t = mtype(lib, "S", "st");
	assert_int_equal(t->prim, CF_PRIM_INT32);
	assert_string_equal(t->from_alias, "zx/Status");
	assert_string_equal(mtype(lib, "S", "st2")->from_alias, "zx/status");
	fx_free(f);

	static const char *bad[] = {
	    "library a;\nusing zx;\ntype S = resource struct {\n"
	    "    h zx.Handle:<VMO, 1.5>;\n};\n",
	    "library a;\nusing zx;\ntype S = resource struct {\n"
	    "    h zx.Handle:<VMO, zx.Rights.READ, optional, optional, "
	    "4>;\n};\n",
	    "library a;\nusing zx;\ntype S = resource struct {\n"
	    "    h zx.Handle:NOPE;\n};\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fx_new();
		fx_zx(f);
		fx_lib(f, bad[i], NULL);
		assert_true(f->diags.errors > 0);
		assert_int_equal(f->diags.first_loc.line, 4);
		fx_free(f);
	}
}

static void test_endpoints(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib =
	    fx_lib(f,
	           "library a;\n"
	           "closed protocol P {};\n"
	           "type S = resource struct {\n"
	           "    c client_end:P; co client_end:<P, optional>;\n"
	           "    s server_end:P; so server_end:<P, optional>;\n"
	           "};\n",
	           NULL);
	fx_expect_clean(f);
	const cf_type *t = mtype(lib, "S", "c");
	assert_int_equal(t->kind, CF_TYPE_ENDPOINT);
	assert_int_equal(t->role, CF_CLIENT_END);
	assert_ptr_equal(t->decl, fx_decl(lib, "P"));
	assert_true(t->resource);
	assert_true(mtype(lib, "S", "co")->nullable);
	assert_int_equal(mtype(lib, "S", "so")->role, CF_SERVER_END);
	fx_free(f);

	f = fx_new();
	fx_lib(f,
	       "library a;\ntype T = struct {};\n"
	       "type S = resource struct {\n    c client_end:T;\n};\n",
	       NULL);
	fx_expect_first(f, CF_DIAG_NOT_A_PROTOCOL, 4, 18);
	fx_free(f);

	f = fx_new();
	fx_lib(
	    f,
	    "library a;\ntype S = resource struct {\n    c client_end;\n};\n",
	    NULL);
	fx_expect_first(f, CF_DIAG_INVALID_CONSTRAINT, 3, 7);
	fx_free(f);
}

static void test_aliases(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib = fx_lib(
	    f,
	    "library a;\n"
	    "alias V = vector<uint8>;\n"
	    "alias V10 = V:10;\n"
	    "alias Str = string:5;\n"
	    "type S = struct { v V:20; w V10; x V10:optional; s Str; };\n",
	    NULL);
	fx_expect_clean(f);
	const cf_type *t = mtype(lib, "S", "v");
	assert_int_equal(t->kind, CF_TYPE_VECTOR);
	assert_int_equal(t->max_count, 20);
	assert_string_equal(t->from_alias, "a/V");
	assert_int_equal(mtype(lib, "S", "w")->max_count, 10);
	assert_string_equal(mtype(lib, "S", "w")->from_alias, "a/V10");
	assert_true(mtype(lib, "S", "x")->nullable);
	assert_false(mtype(lib, "S", "w")->nullable);
	assert_int_equal(mtype(lib, "S", "s")->max_count, 5);
	cf_decl *v = fx_decl(lib, "V");
	assert_int_equal(v->kind, CF_DECL_ALIAS);
	assert_true(v->alias_type->max_count == CF_UNBOUNDED);
	fx_free(f);

	f = fx_new();
	fx_lib(f, "library a;\nalias A = B;\nalias B = A;\n", NULL);
	assert_int_equal(f->diags.count[CF_DIAG_INCLUDE_CYCLE], 1);
	fx_free(f);

	f = fx_new();
	fx_lib(f,
	       "library a;\nalias V = string:5;\n"
	       "type S = struct {\n    v V:6;\n};\n",
	       NULL);
	fx_expect_first(f, CF_DIAG_INVALID_CONSTRAINT, 4, 9);
	fx_free(f);
}

static void test_type_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		cf_diag_id id;
		int line, col;
	} bad[] = {
	    {"library a;\ntype S = struct {\n    x uint8:optional;\n};\n",
	     CF_DIAG_CANNOT_BE_OPTIONAL, 3, 13},
	    {"library a;\ntype T = struct {};\n"
	     "type S = struct {\n    t T:optional;\n};\n",
	     CF_DIAG_CANNOT_BE_OPTIONAL, 4, 9},
	    {"library a;\ntype T = table {};\n"
	     "type S = struct {\n    t T:optional;\n};\n",
	     CF_DIAG_CANNOT_BE_OPTIONAL, 4, 9},
	    {"library a;\ntype S = struct {\n    a array<uint8, "
	     "2>:optional;\n};\n",
	     CF_DIAG_CANNOT_BE_OPTIONAL, 3, 23},
	    {"library a;\ntype S = struct {\n    v vector<uint8, uint8>;\n};\n",
	     CF_DIAG_WRONG_PARAMETER_COUNT, 3, 7},
	    {"library a;\ntype S = struct {\n    v vector;\n};\n",
	     CF_DIAG_WRONG_PARAMETER_COUNT, 3, 7},
	    {"library a;\ntype S = struct {\n    v uint8<uint8>;\n};\n",
	     CF_DIAG_WRONG_PARAMETER_COUNT, 3, 7},
	    {"library a;\ntype S = struct {\n    s string:<1, 2>;\n};\n",
	     CF_DIAG_INVALID_CONSTRAINT, 3, 18},
	    {"library a;\ntype S = struct {\n    s uint8:3;\n};\n",
	     CF_DIAG_INVALID_CONSTRAINT, 3, 13},
	    {"library a;\nconst C uint8 = 1;\ntype S = struct {\n    c "
	     "C;\n};\n",
	     CF_DIAG_NOT_A_TYPE, 4, 7},
	    {"library a;\ntype S = struct {\n    b box<uint8>;\n};\n",
	     CF_DIAG_INVALID_BOX, 3, 11},
	    {"library a;\ntype U = union { 1: a uint8; };\n"
	     "type S = struct {\n    b box<U>;\n};\n",
	     CF_DIAG_INVALID_BOX, 4, 11},
	    {"library a;\ntype S = struct {\n    a array<uint8, 0>;\n};\n",
	     CF_DIAG_INVALID_CONSTRAINT, 3, 7},
	    {"library a;\ntype S = struct {\n    a array<uint8, "
	     "4294967296>;\n};\n",
	     CF_DIAG_CONSTANT_OVERFLOW, 3, 20},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx *f = fx_new();
		fx_lib(f, bad[i].text, NULL);
		if (!f->diags.any)
			fail_msg("case %zu: no diagnostic", i);
		fx_expect_first(f, bad[i].id, bad[i].line, bad[i].col);
		fx_free(f);
	}
}

static void test_tables_and_unions(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib =
	    fx_lib(f,
	           "library a;\n"
	           "type T = table { 2: b uint8; 1: reserved; 3: c string; };\n"
	           "type U = union { 3: c uint8; 1: a bool; };\n"
	           "type SU = strict union { 1: a uint8; };\n"
	           "type E = flexible union {};\n",
	           NULL);
	fx_expect_clean(f);
	cf_decl *t = fx_decl(lib, "T");
	assert_int_equal(t->member_count, 3);
	assert_true(t->members[0].reserved); /* sorted by ordinal */
	assert_null(t->members[0].name);
	assert_string_equal(t->members[1].name, "b");
	assert_int_equal(t->members[2].ordinal, 3);
	assert_false(t->strict);
	cf_decl *u = fx_decl(lib, "U");
	assert_false(u->strict); /* new syntax: flexible by default */
	assert_string_equal(u->members[0].name, "a");
	assert_true(fx_decl(lib, "SU")->strict);
	fx_free(f);

	static const struct {
		const char *text;
		cf_diag_id id;
		int line, col;
	} bad[] = {
	    {"library a;\ntype T = table {\n    65: a uint8; };\n",
	     CF_DIAG_ORDINAL_OUT_OF_RANGE, 3, 5},
	    {"library a;\ntype T = union {\n    0: a uint8; };\n",
	     CF_DIAG_ORDINAL_OUT_OF_RANGE, 3, 5},
	    {"library a;\ntype T = table { 1: a uint8;\n    1: b uint8; };\n",
	     CF_DIAG_DUPLICATE_ORDINAL, 3, 5},
	    {"library a;\ntable T { 1: uint8 a;\n 3: uint8 b; };\n",
	     CF_DIAG_ORDINAL_NOT_DENSE, 3, 11},
	    {"library a;\ntype U = strict union { 1: reserved; };\n",
	     CF_DIAG_EMPTY_STRICT_LAYOUT, 2, 17},
	    {"library a;\ntype T = table { 1: a uint8;\n    2: a uint8; };\n",
	     CF_DIAG_DUPLICATE_MEMBER, 3, 8},
	    {"library a;\ntype T = table {\n    1: a string:optional; };\n",
	     CF_DIAG_CANNOT_BE_OPTIONAL, 3, 10},
	    {"library a;\ntype T = strict table { 1: a uint8; };\n",
	     CF_DIAG_INVALID_MODIFIER, 2, 17},
	    {"library a;\ntype T = flexible struct {};\n",
	     CF_DIAG_INVALID_MODIFIER, 2, 19},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fx_new();
		fx_lib(f, bad[i].text, NULL);
		if (!f->diags.any)
			fail_msg("case %zu: no diagnostic", i);
		fx_expect_first(f, bad[i].id, bad[i].line, bad[i].col);
		fx_free(f);
	}
}

static void test_resourceness(void **state)
{
	(void)state;
	fx *f = fx_new();
	fx_zx(f);
	cf_library *lib = fx_lib(
	    f,
	    "library a;\nusing zx;\n"
	    "type H = resource struct { h zx.Handle; };\n"
	    "type Holder = resource table { 1: v vector<array<H, 2>>; };\n"
	    "type Plain = struct { x uint8; next box<Plain>; };\n",
	    NULL);
	fx_expect_clean(f);
	assert_true(fx_decl(lib, "H")->resource);
	assert_true(mtype(lib, "Holder", "v")->resource);
	assert_false(fx_decl(lib, "Plain")->resource);
	assert_false(mtype(lib, "Plain", "next")->resource);
	fx_free(f);

	f = fx_new();
	fx_zx(f);
	fx_lib(f,
	       "library a;\nusing zx;\n"
	       "type H = resource struct { h zx.Handle; };\n"
	       "type U = union {\n    1: v vector<H>;\n};\n",
	       NULL);
	fx_expect_first(f, CF_DIAG_RESOURCE_REQUIRED, 5, 8);
	fx_free(f);

	/* old syntax: inferred transitively, also through recursion */
	f = fx_new();
	lib = fx_lib(f,
	             "library a;\n"
	             "struct A { B? b; };\n"
	             "struct B { A? a; vector<C> c; };\n"
	             "struct C { handle h; };\n"
	             "struct D { D? d; };\n",
	             NULL);
	fx_expect_clean(f);
	assert_true(fx_decl(lib, "A")->resource);
	assert_true(fx_decl(lib, "B")->resource);
	assert_false(fx_decl(lib, "D")->resource);
	fx_free(f);
}

/* Shapes the parser never produces (it rejects them first), built by
 * editing a parsed tree: CF_DIAG_DIVISION_OF_UNKNOWN (a reserved member
 * with a type) and CF_DIAG_MISSING_ORDINAL. */
static void test_unreachable_from_source(void **state)
{
	(void)state;
	const char *text =
	    "library a;\ntype T = table {\n    1: x uint8;\n};\n";
	for (int which = 0; which < 2; which++) {
		fx *f = fx_new();
		ast_file *file = fx_parse(f, "t.fidl", text, strlen(text));
		assert_non_null(file);
		ast_member *m = file->decls->layout->members;
		if (which == 0)
			m->reserved = true;
		else
			m->has_ordinal = false;
		cf_resolve_library(&f->model, &file, 1, &f->diags);
		int col = which == 0 ? 10 : 8; /* the type; the name */
		fx_expect_first(f,
		                which == 0 ? CF_DIAG_DIVISION_OF_UNKNOWN
		                           : CF_DIAG_MISSING_ORDINAL,
		                3, col);
		fx_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtins_new_syntax),
	    cmocka_unit_test(test_old_syntax_types),
	    cmocka_unit_test(test_zx_handles),
	    cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_type_errors),
	    cmocka_unit_test(test_tables_and_unions),
	    cmocka_unit_test(test_resourceness),
	    cmocka_unit_test(test_unreachable_from_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
