/* Resolver: protocols, methods, payload names, result unions, openness,
 * compose flattening, in both syntaxes. */
#include "resolve_fixture.h"

static void test_payloads_and_names(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib = fx_lib(
	    f,
	    "library a;\n"
	    "type Named = table { 1: x uint8; };\n"
	    "protocol Echo {\n"
	    "    OneWay(struct { a uint8; inner struct { b bool; }; });\n"
	    "    NoArgs();\n"
	    "    TwoWay(Named) -> (struct { r string; });\n"
	    "    Empty() -> ();\n"
	    "    -> OnEvent(struct { e int32; });\n"
	    "};\n",
	    NULL);
	fx_expect_clean(f);
	cf_decl *p = fx_decl(lib, "Echo");
	assert_int_equal(p->openness, CF_CLOSED); /* our default */
	assert_int_equal(p->method_count, 5);
	const cf_method *m = fx_method(p, "OneWay");
	assert_true(m->strict); /* our default */
	assert_true(m->has_request);
	assert_false(m->has_response);
	assert_ptr_equal(m->declared_in, p);
	assert_false(m->composed);
	cf_decl *req = fx_decl(lib, "EchoOneWayRequest");
	assert_ptr_equal(m->request_payload->decl, req);
	assert_true(req->anonymous);
	assert_true(req->is_method_payload);
	assert_int_equal(req->naming_context_count, 3);
	assert_string_equal(req->naming_context[0], "Echo");
	assert_string_equal(req->naming_context[1], "OneWay");
	assert_string_equal(req->naming_context[2], "Request");
	cf_decl *inner = fx_decl(lib, "Inner");
	assert_int_equal(inner->naming_context_count, 4);
	assert_false(inner->is_method_payload);
	m = fx_method(p, "NoArgs");
	assert_true(m->has_request);
	assert_null(m->request_payload);
	m = fx_method(p, "TwoWay");
	assert_ptr_equal(m->request_payload->decl, fx_decl(lib, "Named"));
	assert_ptr_equal(m->response_payload->decl,
	                 fx_decl(lib, "EchoTwoWayResponse"));
	assert_false(m->has_error);
	assert_null(m->result_union);
	m = fx_method(p, "Empty");
	assert_true(m->has_response);
	assert_null(m->response_payload);
	m = fx_method(p, "OnEvent");
	assert_false(m->has_request);
	assert_true(m->has_response);
	/* an event's payload is named like a request, as fidlc does */
	assert_ptr_equal(m->response_payload->decl,
	                 fx_decl(lib, "EchoOnEventRequest"));
	/* payloads precede their protocol */
	assert_int_equal(fx_pos(lib, "Echo"), (int)lib->decl_count - 1);
	assert_true(fx_pos(lib, "Inner") < fx_pos(lib, "EchoOneWayRequest"));
	fx_free(f);
}

static void test_error_results(void **state)
{
	(void)state;
	fx *f = fx_new();
	fx_zx(f);
	cf_library *lib =
	    fx_lib(f,
	           "library a;\nusing zx;\n"
	           "type E = strict enum : uint32 { BAD = 1; };\n"
	           "open protocol Example {\n"
	           "    strict foo(struct { s string; }) -> (struct { y int64; "
	           "}) error uint32;\n"
	           "    strict empty() -> () error E;\n"
	           "    strict zx_err() -> (struct {}) error zx.Status;\n"
	           "    flexible flex() -> (struct { z bool; });\n"
	           "    flexible flex_err() -> () error int32;\n"
	           "};\n",
	           NULL);
	fx_expect_clean(f);
	cf_decl *p = fx_decl(lib, "Example");
	const cf_method *m = fx_method(p, "foo");
	assert_true(m->has_error);
	cf_decl *u = fx_decl(lib, "Example_foo_Result");
	assert_ptr_equal(m->result_union, u);
	assert_ptr_equal(m->response_payload->decl, u);
	assert_int_equal(u->kind, CF_DECL_UNION);
	assert_true(u->strict);
	assert_true(u->is_result_union);
	assert_true(u->anonymous);
	assert_int_equal(u->naming_context_count, 3);
	assert_string_equal(u->naming_context[2], "Response");
	assert_int_equal(u->member_count, 2);
	assert_string_equal(u->members[0].name, "response");
	assert_int_equal(u->members[0].ordinal, 1);
	assert_string_equal(u->members[1].name, "err");
	assert_int_equal(u->members[1].ordinal, 2);
	assert_int_equal(u->members[1].type->prim, CF_PRIM_UINT32);
	cf_decl *s = fx_decl(lib, "Example_foo_Response");
	assert_true(s->is_result_success);
	assert_int_equal(s->naming_context_count, 4);
	assert_string_equal(s->naming_context[3], "response");
	assert_ptr_equal(m->success_payload->decl, s);
	assert_int_equal(m->error_type->prim, CF_PRIM_UINT32);
	assert_ptr_equal(m->request_payload->decl,
	                 fx_decl(lib, "ExampleFooRequest"));
	/* order: success struct, result union, protocol */
	assert_true(fx_pos(lib, "Example_foo_Response") <
	            fx_pos(lib, "Example_foo_Result"));
	assert_true(fx_pos(lib, "Example_foo_Result") < fx_pos(lib, "Example"));

	/* `-> ()` with error: a synthesised empty success struct */
	m = fx_method(p, "empty");
	cf_decl *es = fx_decl(lib, "Example_empty_Response");
	assert_int_equal(es->member_count, 0);
	assert_true(es->is_result_success);
	assert_ptr_equal(m->success_payload->decl, es);
	assert_ptr_equal(m->error_type->decl, fx_decl(lib, "E"));
	m = fx_method(p, "zx_err");
	assert_string_equal(m->error_type->from_alias, "zx/Status");

	/* flexible two-way: framework_err, err reserved without `error` */
	m = fx_method(p, "flex");
	assert_false(m->strict);
	assert_false(m->has_error);
	u = m->result_union;
	assert_non_null(u);
	assert_string_equal(u->name, "Example_flex_Result");
	assert_int_equal(u->member_count, 3);
	assert_true(u->members[1].reserved);
	assert_string_equal(u->members[2].name, "framework_err");
	assert_int_equal(u->members[2].ordinal, 3);
	assert_int_equal(u->members[2].type->kind, CF_TYPE_FRAMEWORK_ERR);
	m = fx_method(p, "flex_err");
	assert_int_equal(m->result_union->member_count, 3);
	assert_false(m->result_union->members[1].reserved);
	fx_free(f);

	static const struct {
		const char *text;
		cf_diag_id id;
		int line, col;
	} bad[] = {
	    {"library a;\nprotocol P {\n    M() -> () error string;\n};\n",
	     CF_DIAG_INVALID_ERROR_TYPE, 3, 21},
	    {"library a;\ntype E = enum : int8 { A = 1; };\n"
	     "protocol P {\n    M() -> () error E;\n};\n",
	     CF_DIAG_INVALID_ERROR_TYPE, 4, 21},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fx_new();
		fx_lib(f, bad[i].text, NULL);
		fx_expect_first(f, bad[i].id, bad[i].line, bad[i].col);
		fx_free(f);
	}
}

static void test_old_syntax_protocol(void **state)
{
	(void)state;
	fx *f = fx_new();
	fx_zx(f);
	cf_library *lib = fx_lib(
	    f,
	    "library a;\nusing zx;\n"
	    "struct Addr { uint32 port; };\n"
	    "[Layout = \"Simple\"]\n"
	    "interface Device {\n"
	    "    Start(Addr addr, handle<socket> s) -> (zx.status status);\n"
	    "    GetCid() -> (uint32 cid);\n"
	    "    Reset() -> ();\n"
	    "    Send(Addr a);\n"
	    "    Fail() -> () error zx.status;\n"
	    "    -> OnThing(Addr a);\n"
	    "};\n",
	    NULL);
	fx_expect_clean(f);
	cf_decl *p = fx_decl(lib, "Device");
	assert_non_null(cf_attrs_find(&p->attrs, "layout"));
	const cf_method *m = fx_method(p, "Start");
	cf_decl *req = m->request_payload->decl;
	assert_string_equal(req->name, "DeviceStartRequest");
	assert_true(req->resource); /* inferred from the handle */
	assert_int_equal(req->member_count, 2);
	assert_string_equal(m->response_payload->decl->name,
	                    "DeviceStartResponse");
	assert_false(m->response_payload->decl->resource);
	m = fx_method(p, "GetCid");
	assert_null(m->request_payload);
	m = fx_method(p, "Reset");
	assert_null(m->response_payload);
	m = fx_method(p, "Fail");
	assert_string_equal(m->result_union->name, "Device_Fail_Result");
	assert_string_equal(m->success_payload->decl->name,
	                    "Device_Fail_Response");
	assert_string_equal(
	    fx_method(p, "OnThing")->response_payload->decl->name,
	    "DeviceOnThingRequest");
	fx_free(f);
}

static void test_openness(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *lib =
	    fx_lib(f,
	           "library a;\n"
	           "ajar protocol A { flexible M(); flexible -> E(); };\n"
	           "open protocol O { flexible T() -> (); };\n",
	           NULL);
	fx_expect_clean(f);
	assert_int_equal(fx_decl(lib, "A")->openness, CF_AJAR);
	assert_int_equal(fx_decl(lib, "O")->openness, CF_OPEN);
	fx_free(f);

	static const struct {
		const char *text;
		int line, col;
	} bad[] = {
	    {"library a;\nclosed protocol P {\n    flexible M();\n};\n", 3, 14},
	    {"library a;\nprotocol P {\n    flexible -> E();\n};\n", 3, 17},
	    {"library a;\najar protocol P {\n    flexible M() -> ();\n};\n", 3,
	     14},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fx_new();
		fx_lib(f, bad[i].text, NULL);
		fx_expect_first(f, CF_DIAG_EVENT_ON_OPENNESS, bad[i].line,
		                bad[i].col);
		fx_free(f);
	}
}

static void test_compose(void **state)
{
	(void)state;
	fx *f = fx_new();
	cf_library *dep = fx_lib(f,
	                         "library d;\n"
	                         "protocol Base { Ping(); };\n",
	                         NULL);
	fx_expect_clean(f);
	cf_library *lib =
	    fx_lib(f,
	           "library a;\nusing d;\n"
	           "protocol Left { compose d.Base; L(); };\n"
	           "protocol Right { compose d.Base; R(); };\n"
	           "protocol Top { compose Left; compose Right; T(); };\n",
	           NULL);
	fx_expect_clean(f);
	cf_decl *top = fx_decl(lib, "Top");
	assert_int_equal(top->composed_count, 2);
	assert_int_equal(top->method_count, 4); /* Ping once (diamond) */
	assert_string_equal(top->methods[0].name, "T");
	assert_false(top->methods[0].composed);
	assert_string_equal(top->methods[1].name, "L");
	assert_true(top->methods[1].composed);
	assert_ptr_equal(top->methods[1].declared_in, fx_decl(lib, "Left"));
	assert_string_equal(top->methods[2].name, "Ping");
	assert_ptr_equal(top->methods[2].declared_in, fx_decl(dep, "Base"));
	assert_string_equal(top->methods[3].name, "R");
	assert_true(fx_pos(lib, "Left") < fx_pos(lib, "Top"));
	fx_free(f);

	static const struct {
		const char *text;
		cf_diag_id id;
		int line, col;
	} bad[] = {
	    {"library a;\nprotocol P {\n    compose Q;\n};\n"
	     "protocol Q {\n    compose P;\n};\n",
	     CF_DIAG_COMPOSE_CYCLE, 0, 0},
	    {"library a;\nprotocol P { M(); };\n"
	     "protocol Q {\n    compose P;\n    M();\n};\n",
	     CF_DIAG_DUPLICATE_METHOD, 4, 13},
	    {"library a;\nprotocol P {\n    M();\n    M();\n};\n",
	     CF_DIAG_DUPLICATE_METHOD, 4, 5},
	    {"library a;\ntype S = struct {};\nprotocol P {\n    compose "
	     "S;\n};\n",
	     CF_DIAG_NOT_A_PROTOCOL, 4, 13},
	    {"library a;\nprotocol P {\n    M(string);\n};\n",
	     CF_DIAG_INVALID_PAYLOAD, 3, 7},
	    {"library a;\ntype E = enum { A = 1; };\nprotocol P {\n    M() -> "
	     "(E);\n};\n",
	     CF_DIAG_INVALID_PAYLOAD, 4, 13},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fx_new();
		fx_lib(f, bad[i].text, NULL);
		if (!f->diags.any)
			fail_msg("case %zu: no diagnostic", i);
		if (bad[i].line)
			fx_expect_first(f, bad[i].id, bad[i].line, bad[i].col);
		else
			assert_int_equal(f->diags.count[bad[i].id], 1);
		fx_free(f);
	}
}

static void test_selector(void **state)
{
	(void)state;
	fx *f = fx_new();
	fx_lib(f,
	       "library a;\nprotocol P {\n"
	       "    @selector(\"Other\") A();\n"
	       "    @selector(\"fuchsia.io/Node.Close\") B();\n"
	       "};\n",
	       NULL);
	fx_expect_clean(f);
	fx_free(f);
	static const char *bad[] = {"\"\"",        "\"a b\"", "\"x/Y\"",
	                            "\"a/b/C.D\"", "1",       "\"lib/P.M.N\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text),
		         "library a;\nprotocol P {\n    @selector(%s)\n    "
		         "M();\n};\n",
		         bad[i]);
		f = fx_new();
		fx_lib(f, text, NULL);
		fx_expect_first(f, CF_DIAG_INVALID_SELECTOR, 3, 5);
		fx_free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_payloads_and_names),
	    cmocka_unit_test(test_error_results),
	    cmocka_unit_test(test_old_syntax_protocol),
	    cmocka_unit_test(test_openness),
	    cmocka_unit_test(test_compose),
	    cmocka_unit_test(test_selector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
