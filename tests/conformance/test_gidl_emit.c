/* gidl-run's type model (gidl_types.c, from a small hand-written JSON IR in
 * fidlc's format) and its C emitter (gidl_emit.c): the statements it writes
 * for values, and which cases it skips or rejects, and why. */

/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gidl.h"
#include "gidl_emit.h"
#include "gidl_types.h"

#define SHAPE(n) "\"type_shape_v2\": {\"inline_size\": " #n "}"
#define PRIM(sub, n)                                                           \
	"{\"kind\": \"primitive\", \"subtype\": \"" sub "\", " SHAPE(n) "}"

/* library test.emit:
 *   struct S { a uint8; s string:4; h zx.Handle:<EVENT, optional>; };
 *   struct Boxed { b box<S>; };   table T { 1: x int32; 3: big uint64; };
 *   flexible union U { 1: u uint32; };
 *   struct Holder { t T; u U; ou U:optional; v vector<uint16>; arr array<uint8,
 * 2>; default bool; e E; }    enum E : int8 { A = 1; }; 18446744073709551615
 * below checks large numbers do not break the reader (an enum's
 * maybe_unknown_value is a uint64). */
static const char
    ir_text[] =
        "{\"name\": \"test.emit\",\n"
        " \"declarations\": {\"test.emit/S\": \"struct\", "
        "\"test.emit/Boxed\": \"struct\", \"test.emit/T\": \"table\", "
        "\"test.emit/U\": \"union\", \"test.emit/Holder\": \"struct\", "
        "\"test.emit/E\": \"enum\", \"test.emit/P\": \"protocol\"},\n"
        " \"struct_declarations\": [\n"
        "  {\"name\": \"test.emit/S\", " SHAPE(
            32) ", \"resource\": true, "
                "\"members\": [\n"
                "   {\"name\": \"a\", \"type\": " PRIM(
                    "uint8",
                    1) ", "
                       "\"field_shape_v2\": {\"offset\": 0}},\n"
                       "   {\"name\": \"s\", \"type\": {\"kind\": "
                       "\"string\", "
                       "\"maybe_element_count\": 4, \"nullable\": "
                       "false, " SHAPE(
                           16) "}, "
                               "\"field_shape_v2\": {\"offset\": 8}},\n"
                               "   {\"name\": \"h\", \"type\": "
                               "{\"kind\": \"handle\", \"obj_type\": "
                               "5, "
                               "\"subtype\": \"event\", \"rights\": "
                               "2147483648, \"nullable\": true, " SHAPE(
                                   4) "}, \"field_shape_v2\": "
                                      "{\"offset\": 24}}]},\n"
                                      "  {\"name\": "
                                      "\"test.emit/Boxed\", " SHAPE(8) ", "
                                                                       "\"membe"
                                                                       "rs\": "
                                                                       "[\n"
                                                                       "   "
                                                                       "{\"name"
                                                                       "\": "
                                                                       "\"b\", "
                                                                       "\"type"
                                                                       "\": "
                                                                       "{\"kind"
                                                                       "\": "
                                                                       "\"ident"
                                                                       "ifier\""
                                                                       ", "
                                                                       "\"ident"
                                                                       "ifier\""
                                                                       ": "
                                                                       "\"test."
                                                                       "emit/"
                                                                       "S\", "
                                                                       "\"nulla"
                                                                       "ble\": "
                                                                       "true,"
                                                                       " " SHAPE(
                                                                           8) "}, "
                                                                              "\"field"
                                                                              "_shape_"
                                                                              "v2\": "
                                                                              "{\"offs"
                                                                              "et\": "
                                                                              "0}}]},"
                                                                              "\n"
                                                                              "  "
                                                                              "{\"name"
                                                                              "\": "
                                                                              "\"test."
                                                                              "emit/"
                                                                              "Holder"
                                                                              "\","
                                                                              " " SHAPE(80) ", \"members\": [\n"
                                                                                            "   {\"name\": \"t\", \"type\": {\"kind\": \"identifier\", "
                                                                                            "\"identifier\": \"test.emit/T\", \"nullable\": false, " SHAPE(16) "}},\n"
                                                                                                                                                               "   {\"name\": \"u\", \"type\": {\"kind\": \"identifier\", "
                                                                                                                                                               "\"identifier\": \"test.emit/U\", \"nullable\": false, " SHAPE(16) "}},\n"
                                                                                                                                                                                                                                  "   {\"name\": \"ou\", \"type\": {\"kind\": \"identifier\", "
                                                                                                                                                                                                                                  "\"identifier\": \"test.emit/U\", \"nullable\": true, " SHAPE(16) "}},\n"
                                                                                                                                                                                                                                                                                                    "   {\"name\": \"v\", \"type\": {\"kind\": \"vector\", \"element_type\": " PRIM("uint16",
                                                                                                                                                                                                                                                                                                                                                                                    2) ", \"nullable\": false, " SHAPE(16) "}},\n"
                                                                                                                                                                                                                                                                                                                                                                                                                           "   {\"name\": \"arr\", \"type\": {\"kind\": \"array\", "
                                                                                                                                                                                                                                                                                                                                                                                                                           "\"element_count\": 2, \"element_type\": " PRIM(
                                                                                                                                                                                                                                                                                                                                                                                                                               "uint8",
                                                                                                                                                                                                                                                                                                                                                                                                                               1) ", " SHAPE(2) "}},\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                "   {\"name\": \"default\", \"type\": " PRIM(
                                                                                                                                                                                                                                                                                                                                                                                                                                                    "bool", 1) "},\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                               "   {\"name\": \"e\", \"type\": {\"kind\": \"identifier\", "
                                                                                                                                                                                                                                                                                                                                                                                                                                                               "\"identifier\": \"test.emit/E\", \"nullable\": false, " SHAPE(1) "}},\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "   {\"name\": \"p\", \"type\": {\"kind\": \"identifier\", "
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "\"identifier\": \"test.emit/P\", \"nullable\": false, " SHAPE(4) "}}"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "]}],\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   " \"table_declarations\": [\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "  {\"name\": \"test.emit/T\", " SHAPE(16) ", \"members\": [\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                              "   {\"ordinal\": 1, \"name\": \"x\", \"type\": " PRIM("int32",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                     4) "},\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                        "   {\"ordinal\": 3, \"name\": \"big\", \"type\": " PRIM(
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                            "uint64",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                            8) "}]}],\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                               " \"union_declarations\": [\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                               "  {\"name\": \"test.emit/U\", " SHAPE(16) ", \"strict\": false, "
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                          "\"members\": [\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                          "   {\"ordinal\": 1, \"name\": \"u\", \"type\": " PRIM("uint32",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 4) "}]}],\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    " \"enum_declarations\": [\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    "  {\"name\": \"test.emit/E\", \"type\": \"int8\", \"strict\": true, "
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    "\"maybe_unknown_value\": 18446744073709551615, \"members\": []}],\n"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    " \"bits_declarations\": []}\n";

typedef struct fixture {
	char path[64];
	gt_library *lib;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	char err[256];
	snprintf(fx->path, sizeof fx->path, "/tmp/test_gidl_emit.XXXXXX");
	int fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, ir_text, sizeof ir_text - 1),
	                 (ssize_t)(sizeof ir_text - 1));
	close(fd);
	fx->lib = gt_load(fx->path, err, sizeof err);
	if (!fx->lib)
		fail_msg("gt_load: %s", err);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	gt_free(fx->lib);
	unlink(fx->path);
	free(fx);
	return 0;
}

static void test_type_model(void **state)
{
	fixture *fx = *state;
	gt_library *lib = fx->lib;
	char buf[32];
	assert_string_equal(lib->c_prefix, "test_emit");
	gt_decl *s = gt_find(lib, "S");
	assert_non_null(s);
	assert_int_equal(s->kind, GT_STRUCT);
	assert_string_equal(s->c_name, "test_emit_S");
	assert_true(s->resource);
	assert_int_equal(s->size, 32);
	assert_int_equal(s->nmembers, 3);
	assert_int_equal(s->members[1].offset, 8);
	assert_int_equal(s->members[1].type->kind, GT_STRING);
	assert_int_equal(s->members[1].type->max_count, 4);
	assert_int_equal(s->members[2].type->kind, GT_HANDLE);
	assert_int_equal(s->members[2].type->obj_type, 5);
	assert_true(s->members[2].type->nullable);
	gt_decl *t = gt_find(lib, "T");
	assert_int_equal(t->kind, GT_TABLE);
	assert_int_equal(t->members[1].ordinal, 3);
	assert_false(gt_find(lib, "U")->strict);
	gt_decl *h = gt_find(lib, "Holder");
	assert_int_equal(h->members[0].type->decl, t);
	assert_int_equal(h->members[3].type->elem->kind, GT_INT);
	assert_int_equal(h->members[4].type->count, 2);
	assert_int_equal(h->members[6].type->kind, GT_ENUM);
	assert_string_equal(gt_c_prim(h->members[6].type), "int8_t");
	/* client_end:P is a channel handle */
	assert_int_equal(h->members[7].type->kind, GT_HANDLE);
	assert_int_equal(h->members[7].type->obj_type, 4);
	assert_null(gt_find(lib, "Missing"));
	assert_string_equal(gt_c_member("default", buf, sizeof buf),
	                    "default_");
	assert_string_equal(gt_c_member("value", buf, sizeof buf), "value");
}

static void test_load_errors(void **state)
{
	(void)state;
	char err[256] = "";
	assert_null(gt_load("/nonexistent/ir.json", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/ir.json"));

	char path[] = "/tmp/test_gidl_emit_bad.XXXXXX";
	static const char bad[] =
	    "{\"name\": \"x\", \"declarations\": {\"x/S\": \"struct\"}, "
	    "\"struct_declarations\": [{\"name\": \"x/S\", \"members\": "
	    "[{\"name\": \"a\", \"type\": {\"kind\": \"mystery\"}}]}]}";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof bad - 1),
	                 (ssize_t)(sizeof bad - 1));
	close(fd);
	assert_null(gt_load(path, err, sizeof err));
	assert_string_equal(err, "IR: unsupported type kind 'mystery'");
	unlink(path);
}

/* Emits the given side of the only case of text; returns the C text. */
static char *emit(fixture *fx, const char *text, gidl_side side,
                  gidl_emit_result *res, char *why, size_t whysize)
{
	char err[512];
	char *out = NULL;
	size_t len = 0;
	gidl_file *f =
	    gidl_parse("t.gidl", text, strlen(text), err, sizeof err);
	if (!f)
		fail_msg("parse: %s", err);
	FILE *mem = open_memstream(&out, &len);
	why[0] = '\0';
	*res =
	    gidl_emit_case(mem, fx->lib, &f->cases[0], side, 7, why, whysize);
	fclose(mem);
	gidl_file_free(f);
	return out;
}

static void expect_text(const char *out, const char *want)
{
	if (!strstr(out, want))
		fail_msg("missing '%s' in:\n%s", want, out);
}

static void test_encode_statements(void **state)
{
	char why[256];
	gidl_emit_result res;
	char *out = emit(*state,
	                 "encode_success(\"E\") {\n"
	                 "  handle_defs = { #0 = event() },\n"
	                 "  value = Boxed{ b: S{ a: 7, s: \"hi\", h: #0 } },\n"
	                 "  bytes = { v2 = [1, 2] }, handles = { v2 = [#0] } }",
	                 GIDL_SIDE_ENCODE, &res, why, sizeof why);
	assert_int_equal(res, GIDL_EMITTED);
	expect_text(out, "static int case_7(void)");
	expect_text(out, "static test_emit_Boxed top;");
	expect_text(out, "static test_emit_S b0;\n\ttop.b = &b0;");
	expect_text(out, "b0.a = ((uint8_t)UINT64_C(7));");
	expect_text(out, "b0.s.size = 2;");
	expect_text(out, "b0.h = h[0];");
	expect_text(out, "test_emit_Boxed_encode(&top, &enc)");
	expect_text(out, "check_encode(&enc, st, want, 2, h, wh, 1, NULL, "
	                 "NULL)");
	free(out);

	out = emit(*state,
	           "encode_success(\"H\") {\n"
	           "  value = Holder{ t: T{ x: -2, big: 5 }, u: U{ u: 9 },\n"
	           "    v: [1, 2, 3], arr: [4, 5], default: true, e: 1 },\n"
	           "  bytes = { v2 = [0] } }",
	           GIDL_SIDE_ENCODE, &res, why, sizeof why);
	assert_int_equal(res, GIDL_EMITTED);
	/* table: envelopes up to the highest ordinal; <= 4 bytes inline */
	expect_text(out, "static fidl_envelope_t e0[3];");
	expect_text(out, "top.t.count = 3;");
	expect_text(out, "o1 = ((int32_t)-INT64_C(2));");
	expect_text(out, "memcpy(e0[0].inlined.value, &o1, sizeof o1);");
	expect_text(out, "e0[0].inlined.flags = FIDL_ENVELOPE_INLINED;");
	expect_text(out, "e0[2].data = &o2;");
	expect_text(out, "top.u.tag = 1u;");
	expect_text(out, "static uint16_t v4[3];");
	expect_text(out, "top.arr[1] = ((uint8_t)UINT64_C(5));");
	expect_text(out, "top.default_ = true;");
	expect_text(out, "top.e = ((int8_t)UINT64_C(1));");
	free(out);
}

static void test_decode_checks(void **state)
{
	char why[256];
	gidl_emit_result res;
	char *out =
	    emit(*state,
	         "decode_success(\"D\") {\n"
	         "  handle_defs = { #0 = event(rights: basic) },\n"
	         "  value = Boxed{ b: S{ a: 7, s: \"hi\",\n"
	         "    h: restrict(#0, type: event, rights: basic) } },\n"
	         "  bytes = { v2 = [1] }, handles = { v2 = [#0] } }",
	         GIDL_SIDE_DECODE, &res, why, sizeof why);
	assert_int_equal(res, GIDL_EMITTED);
	expect_text(out, "prepare_decoder(&dec, bytes, 1, h, hidx, 1, ht, hr)");
	expect_text(out, "test_emit_Boxed_decode(&dec, &out)");
	expect_text(out, "EXPECT((*out).b != NULL");
	expect_text(out, "EXPECT((*(*out).b).a == ((uint8_t)UINT64_C(7))");
	expect_text(out, "same_object((*(*out).b).h, h[0], koid[0])");
	expect_text(out, "has_type_rights((*(*out).b).h, 5u, 0xc003u)");
	free(out);

	out = emit(*state,
	           "decode_failure(\"F\") { type = Holder,\n"
	           "  bytes = { v2 = [1] }, err = STRING_TOO_LONG }",
	           GIDL_SIDE_DECODE, &res, why, sizeof why);
	assert_int_equal(res, GIDL_EMITTED);
	expect_text(out, "check_decode_failure(&dec, st, \"STRING_TOO_LONG\", "
	                 "h, hidx, 0)");
	free(out);

	/* Failures check that the codec closed every handle. */
	out = emit(*state,
	           "decode_failure(\"G\") { type = Boxed,\n"
	           "  handle_defs = { #0 = event(), #1 = event() },\n"
	           "  bytes = { v2 = [1] }, handles = { v2 = [#1, #0] },\n"
	           "  err = TOO_MANY_HANDLES_IN_MESSAGE }",
	           GIDL_SIDE_DECODE, &res, why, sizeof why);
	assert_int_equal(res, GIDL_EMITTED);
	expect_text(out, "static const int hidx[3] = {1, 0, 0};");
	expect_text(out, "check_decode_failure(&dec, st, "
	                 "\"TOO_MANY_HANDLES_IN_MESSAGE\", h, hidx, 2)");
	free(out);
	out = emit(*state,
	           "encode_failure(\"E\") {\n"
	           "  handle_defs = { #0 = event(), #1 = event() },\n"
	           "  value = Boxed{ b: S{ a: 7, s: \"hi\", h: #1 } },\n"
	           "  err = STRING_TOO_LONG }",
	           GIDL_SIDE_ENCODE, &res, why, sizeof why);
	assert_int_equal(res, GIDL_EMITTED);
	expect_text(out, "check_encode_failure(&enc, st, \"STRING_TOO_LONG\", "
	                 "h, 2)");
	free(out);
}

static void test_skips_and_rejects(void **state)
{
	static const struct {
		const char *text;
		gidl_side side;
		gidl_emit_result res;
		const char *why;
	} cases[] = {
	    {"decode_failure(\"A\") { type = Nope, bytes = { v2 = [0] }, "
	     "err = X }",
	     GIDL_SIDE_DECODE, GIDL_SKIPPED,
	     "type Nope not declared in the suite's FIDL"},
	    {"success(\"A\") { value = Holder{ u: U{ 5: { bytes = [1] } } "
	     "}, bytes = { v2 = [0] } }",
	     GIDL_SIDE_ENCODE, GIDL_SKIPPED,
	     "encoding unknown members is not supported"},
	    {"encode_failure(\"A\") { value = Holder{ ou: U{} }, err = X }",
	     GIDL_SIDE_ENCODE, GIDL_SKIPPED,
	     "an optional union that is present with no member"},
	    {"encode_failure(\"A\") { value = Holder{ t: T{ 9: null, 8: { "
	     "bytes = [1] } } }, err = X }",
	     GIDL_SIDE_ENCODE, GIDL_SKIPPED,
	     "unknown table members cannot be encoded"},
	    {"success(\"A\") { value = S{ zz: 1 }, bytes = { v2 = [0] } }",
	     GIDL_SIDE_ENCODE, GIDL_BROKEN, "line 1: S has no member zz"},
	    {"success(\"A\") { value = Boxed{ b: T{} }, bytes = { v2 = [0] "
	     "} }",
	     GIDL_SIDE_DECODE, GIDL_BROKEN,
	     "line 1: T given where S is expected"},
	    {"success(\"A\") { value = S{ a: \"x\" }, bytes = { v2 = [0] } }",
	     GIDL_SIDE_ENCODE, GIDL_BROKEN, "line 1: expected an integer"},
	    {"success(\"A\") { value = Holder{ arr: [1] }, bytes = { v2 = "
	     "[0] } }",
	     GIDL_SIDE_ENCODE, GIDL_BROKEN, "line 1: array needs 2 elements"},
	    {"success(\"A\") { value = S{ h: #3 }, bytes = { v2 = [0] } }",
	     GIDL_SIDE_ENCODE, GIDL_BROKEN, "line 1: handle #3 is not defined"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char why[256];
		gidl_emit_result res;
		char *out = emit(*state, cases[i].text, cases[i].side, &res,
		                 why, sizeof why);
		if (res != cases[i].res || !strstr(why, cases[i].why))
			fail_msg("case %zu: result %d '%s', want %d '%s'", i,
			         res, why, cases[i].res, cases[i].why);
		/* nothing is written for a case that is not emitted */
		assert_int_equal(strlen(out), 0);
		free(out);
	}
}

static void test_case_sides(void **state)
{
	(void)state;
	gidl_case c = {0};
	c.kind = GIDL_SUCCESS;
	assert_true(gidl_case_has_side(&c, GIDL_SIDE_ENCODE));
	assert_true(gidl_case_has_side(&c, GIDL_SIDE_DECODE));
	c.kind = GIDL_ENCODE_FAILURE;
	assert_true(gidl_case_has_side(&c, GIDL_SIDE_ENCODE));
	assert_false(gidl_case_has_side(&c, GIDL_SIDE_DECODE));
	c.kind = GIDL_DECODE_SUCCESS;
	assert_false(gidl_case_has_side(&c, GIDL_SIDE_ENCODE));
	c.kind = GIDL_BENCHMARK;
	assert_false(gidl_case_has_side(&c, GIDL_SIDE_DECODE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_type_model, setup, teardown),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test_setup_teardown(test_encode_statements, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_decode_checks, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_skips_and_rejects, setup,
	                                    teardown),
	    cmocka_unit_test(test_case_sides),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
