/* The JSON IR: fidlc's keys and their order, values that survive the trip
 * through JSON exactly (64-bit ordinals), determinism, write errors. The
 * IR is parsed back with jansson and checked key by key. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ir_json.h"
#include "model_builder.h"
#include "ordinal.h"
#include "shape.h"

typedef struct fixture {
	mb b;
	cf_library *dep;
	cf_decl *dep_struct;
	cf_decl *s, *t, *u, *e, *bits, *c, *alias, *p, *req;
	cf_source *src;
} fixture;

static const char source_text[] = "library test.ir;\n"
                                  "type S = struct {\n"
                                  "    a uint8;\n"
                                  "    b uint32;\n"
                                  "};\n";

/* test.ir with one of each declaration kind, using dep/D. */
static fixture *build(void)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	mb *b = &f->b;
	mb_init(b, "test.ir");
	f->src = cf_source_from_memory("ir.test.fidl", source_text,
	                               strlen(source_text));

	f->dep = CF_NEW(&b->arena, cf_library);
	f->dep->name = "dep";
	f->dep->decls = CF_NEW_ARRAY(&b->arena, cf_decl *, 4);
	f->dep_struct = CF_NEW(&b->arena, cf_decl);
	f->dep_struct->kind = CF_DECL_STRUCT;
	f->dep_struct->library = f->dep;
	f->dep_struct->name = "D";
	f->dep_struct->full_name = "dep/D";
	f->dep_struct->resource = true;
	f->dep_struct->shape = (cf_shape){4, 4, 0, 1, 0, false, false};
	f->dep->decls[f->dep->decl_count++] = f->dep_struct;
	b->model.libraries[0] = f->dep;
	b->model.libraries[1] = b->lib;
	b->model.library_count = 2;
	b->lib->deps = CF_NEW_ARRAY(&b->arena, cf_library *, 1);
	b->lib->deps[0] = f->dep;
	b->lib->dep_count = 1;

	/* Declared out of name order on purpose: groups are sorted. */
	f->u = mb_decl(b, CF_DECL_UNION, "U");
	f->u->strict = false;
	mb_member(b, f->u, "x", mb_prim(b, CF_PRIM_INT64));
	f->s = mb_decl(b, CF_DECL_STRUCT, "S");
	f->s->loc = (cf_loc){f->src, 2, 6};
	cf_member *a = mb_member(b, f->s, "a", mb_prim(b, CF_PRIM_UINT8));
	a->loc = (cf_loc){f->src, 3, 5};
	a->value = (cf_value){.kind = CF_VALUE_UINT, .u = 7, .expression = "7"};
	cf_member *m2 = mb_member(b, f->s, "b", mb_prim(b, CF_PRIM_UINT32));
	m2->loc = (cf_loc){f->src, 4, 5};
	f->t = mb_decl(b, CF_DECL_TABLE, "T");
	mb_member(b, f->t, "s", mb_string(b, 10));
	f->e = mb_decl(b, CF_DECL_ENUM, "E");
	f->e->subtype = mb_prim(b, CF_PRIM_INT16);
	f->e->strict = false;
	f->e->unknown_value = (cf_value){.kind = CF_VALUE_INT, .i = 32767};
	cf_member *em = mb_member(b, f->e, "NEG", NULL);
	em->value =
	    (cf_value){.kind = CF_VALUE_INT, .i = -3, .expression = "-3"};
	f->bits = mb_decl(b, CF_DECL_BITS, "B");
	f->bits->subtype = mb_prim(b, CF_PRIM_UINT64);
	f->bits->bits_mask = 0x8000000000000001ull;
	f->c = mb_decl(b, CF_DECL_CONST, "NAME");
	f->c->const_type = mb_string(b, CF_UNBOUNDED);
	f->c->value = (cf_value){.kind = CF_VALUE_STRING,
	                         .str = "a\"b",
	                         .str_len = 3,
	                         .expression = "\"a\\\"b\""};
	f->alias = mb_decl(b, CF_DECL_ALIAS, "Bytes");
	f->alias->alias_type = mb_vector(b, mb_prim(b, CF_PRIM_UINT8), 16);
	f->p = mb_decl(b, CF_DECL_PROTOCOL, "Example");
	f->req = mb_decl(b, CF_DECL_STRUCT, "ExampleFooRequest");
	f->req->anonymous = true;
	f->req->is_method_payload = true;
	f->req->naming_context = CF_NEW_ARRAY(&b->arena, const char *, 3);
	f->req->naming_context[0] = "Example";
	f->req->naming_context[1] = "foo";
	f->req->naming_context[2] = "Request";
	f->req->naming_context_count = 3;
	mb_member(b, f->req, "client", mb_endpoint(b, f->p, CF_CLIENT_END));
	mb_member(b, f->req, "server", mb_endpoint(b, f->p, CF_SERVER_END));
	mb_member(b, f->req, "h", mb_handle(b, 14, "SOCKET"));
	cf_method *foo = mb_method(b, f->p, "foo");
	foo->request_payload = mb_ref(b, f->req, false);
	cf_method *ev = mb_method(b, f->p, "OnDep");
	ev->has_request = false;
	ev->has_response = true;
	ev->response_payload = mb_ref(b, f->dep_struct, false);
	mb_selector(b, mb_method(b, f->p, "big"), "test.error/Example.foo");

	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_true(cf_layout_library(b->lib, &d));
	assert_true(cf_assign_ordinals(b->lib, &d));
	return f;
}

static void destroy(fixture *f)
{
	cf_source_free(f->src);
	mb_free(&f->b);
	free(f);
}

static char *write_ir(fixture *f, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	assert_non_null(out);
	assert_int_equal(cf_write_ir(out, &f->b.model, f->b.lib), 0);
	fclose(out);
	return buf;
}

static json_t *load(fixture *f)
{
	size_t len;
	char *text = write_ir(f, &len);
	json_error_t err;
	json_t *root = json_loadb(text, len, 0, &err);
	if (!root)
		fail_msg("IR is not JSON: %s at line %d", err.text, err.line);
	free(text);
	return root;
}

/* The element of array `key` whose "name" is name. */
static json_t *find_named(json_t *root, const char *key, const char *name)
{
	json_t *arr = json_object_get(root, key);
	assert_true(json_is_array(arr));
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *n = json_string_value(json_object_get(v, "name"));
		if (n && strcmp(n, name) == 0)
			return v;
	}
	fail_msg("%s has no %s", key, name);
	return NULL;
}

static json_int_t int_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

static const char *str_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

static void test_top_level_keys_in_fidlc_order(void **state)
{
	(void)state;
	fixture *f = build();
	json_t *root = load(f);
	static const char *const keys[] = {
	    "name",
	    "platform",
	    "available",
	    "experiments",
	    "library_dependencies",
	    "bits_declarations",
	    "const_declarations",
	    "enum_declarations",
	    "experimental_resource_declarations",
	    "protocol_declarations",
	    "service_declarations",
	    "struct_declarations",
	    "external_struct_declarations",
	    "table_declarations",
	    "union_declarations",
	    "alias_declarations",
	    "new_type_declarations",
	    "declaration_order",
	    "declarations",
	};
	size_t i = 0;
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(key, keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(str_at(root, "name"), "test.ir");
	json_decref(root);
	destroy(f);
}

static void test_struct_shapes_and_fields(void **state)
{
	(void)state;
	fixture *f = build();
	json_t *root = load(f);
	json_t *s = find_named(root, "struct_declarations", "test.ir/S");
	json_t *ctx = json_object_get(s, "naming_context");
	assert_int_equal(json_array_size(ctx), 1);
	assert_string_equal(json_string_value(json_array_get(ctx, 0)), "S");
	json_t *ts = json_object_get(s, "type_shape_v2");
	assert_int_equal(int_at(ts, "inline_size"), 8);
	assert_int_equal(int_at(ts, "alignment"), 4);
	assert_true(json_is_true(json_object_get(ts, "has_padding")));
	assert_true(json_is_false(json_object_get(s, "resource")));
	json_t *members = json_object_get(s, "members");
	json_t *a = json_array_get(members, 0);
	json_t *b = json_array_get(members, 1);
	assert_string_equal(str_at(a, "name"), "a");
	json_t *type = json_object_get(a, "type");
	assert_string_equal(str_at(type, "kind"), "primitive");
	assert_string_equal(str_at(type, "subtype"), "uint8");
	json_t *fs = json_object_get(a, "field_shape_v2");
	assert_int_equal(int_at(fs, "offset"), 0);
	assert_int_equal(int_at(fs, "padding"), 3);
	fs = json_object_get(b, "field_shape_v2");
	assert_int_equal(int_at(fs, "offset"), 4);
	assert_int_equal(int_at(fs, "padding"), 0);
	/* Locations come from the source: the name's length. */
	json_t *loc = json_object_get(s, "location");
	assert_string_equal(str_at(loc, "filename"), "ir.test.fidl");
	assert_int_equal(int_at(loc, "line"), 2);
	assert_int_equal(int_at(loc, "column"), 6);
	assert_int_equal(int_at(loc, "length"), 1);
	json_t *dv = json_object_get(a, "maybe_default_value");
	assert_string_equal(str_at(dv, "kind"), "literal");
	assert_string_equal(str_at(dv, "value"), "7");
	assert_null(json_object_get(b, "maybe_default_value"));
	/* Anonymous payloads carry their naming context. */
	json_t *req = find_named(root, "struct_declarations",
	                         "test.ir/ExampleFooRequest");
	ctx = json_object_get(req, "naming_context");
	assert_int_equal(json_array_size(ctx), 3);
	assert_string_equal(json_string_value(json_array_get(ctx, 2)),
	                    "Request");
	json_decref(root);
	destroy(f);
}

static void test_groups_sorted_and_declarations(void **state)
{
	(void)state;
	fixture *f = build();
	json_t *root = load(f);
	json_t *structs = json_object_get(root, "struct_declarations");
	assert_int_equal(json_array_size(structs), 2);
	assert_string_equal(str_at(json_array_get(structs, 0), "name"),
	                    "test.ir/ExampleFooRequest");
	assert_string_equal(str_at(json_array_get(structs, 1), "name"),
	                    "test.ir/S");
	json_t *decls = json_object_get(root, "declarations");
	assert_string_equal(str_at(decls, "test.ir/S"), "struct");
	assert_string_equal(str_at(decls, "test.ir/U"), "union");
	assert_string_equal(str_at(decls, "test.ir/T"), "table");
	assert_string_equal(str_at(decls, "test.ir/E"), "enum");
	assert_string_equal(str_at(decls, "test.ir/B"), "bits");
	assert_string_equal(str_at(decls, "test.ir/NAME"), "const");
	assert_string_equal(str_at(decls, "test.ir/Bytes"), "alias");
	assert_string_equal(str_at(decls, "test.ir/Example"), "protocol");
	/* declaration_order is the model's order. */
	json_t *order = json_object_get(root, "declaration_order");
	assert_int_equal(json_array_size(order), f->b.lib->decl_count);
	for (unsigned i = 0; i < f->b.lib->decl_count; i++)
		assert_string_equal(json_string_value(json_array_get(order, i)),
		                    f->b.lib->decls[i]->full_name);
	json_decref(root);
	destroy(f);
}

/* Ordinals above 2^53 must come through exactly. */
static void test_methods(void **state)
{
	(void)state;
	fixture *f = build();
	json_t *root = load(f);
	json_t *p =
	    find_named(root, "protocol_declarations", "test.ir/Example");
	assert_string_equal(str_at(p, "openness"), "open");
	json_t *methods = json_object_get(p, "methods");
	json_t *foo = json_array_get(methods, 0);
	assert_true((uint64_t)int_at(foo, "ordinal") ==
	            cf_ordinal_hash("test.ir/Example.foo", 19));
	assert_true((uint64_t)int_at(foo, "ordinal") ==
	            f->p->methods[0].ordinal);
	json_t *big = json_array_get(methods, 2);
	assert_true((uint64_t)int_at(big, "ordinal") == 1107623248440401476ull);
	assert_true(json_is_true(json_object_get(foo, "has_request")));
	assert_true(json_is_false(json_object_get(foo, "has_response")));
	assert_true(json_is_true(json_object_get(foo, "strict")));
	json_t *rp = json_object_get(foo, "maybe_request_payload");
	assert_string_equal(str_at(rp, "kind"), "identifier");
	assert_string_equal(str_at(rp, "identifier"),
	                    "test.ir/ExampleFooRequest");
	json_t *ts = json_object_get(rp, "type_shape_v2");
	assert_int_equal(int_at(ts, "inline_size"), 12);
	assert_int_equal(int_at(ts, "max_handles"), 3);
	assert_null(json_object_get(foo, "maybe_response_payload"));
	json_t *ev = json_array_get(methods, 1);
	assert_true(json_is_false(json_object_get(ev, "has_request")));
	json_t *resp = json_object_get(ev, "maybe_response_payload");
	assert_string_equal(str_at(resp, "identifier"), "dep/D");
	json_decref(root);
	destroy(f);
}

/* Client ends as fidlc writes them (identifier + transport), server ends
 * as "request", handles with subtype and rights. */
static void test_endpoint_and_handle_types(void **state)
{
	(void)state;
	fixture *f = build();
	json_t *root = load(f);
	json_t *req = find_named(root, "struct_declarations",
	                         "test.ir/ExampleFooRequest");
	json_t *members = json_object_get(req, "members");
	json_t *c = json_object_get(json_array_get(members, 0), "type");
	assert_string_equal(str_at(c, "kind"), "identifier");
	assert_string_equal(str_at(c, "identifier"), "test.ir/Example");
	assert_string_equal(str_at(c, "protocol_transport"), "Channel");
	assert_true(json_is_false(json_object_get(c, "nullable")));
	json_t *s = json_object_get(json_array_get(members, 1), "type");
	assert_string_equal(str_at(s, "kind"), "request");
	assert_string_equal(str_at(s, "subtype"), "test.ir/Example");
	json_t *h = json_object_get(json_array_get(members, 2), "type");
	assert_string_equal(str_at(h, "kind"), "handle");
	assert_string_equal(str_at(h, "subtype"), "socket");
	assert_int_equal(int_at(h, "obj_type"), 14);
	assert_int_equal(int_at(h, "rights"), 0x80000000);
	assert_string_equal(str_at(h, "resource_identifier"), "zx/Handle");
	json_t *ts = json_object_get(h, "type_shape_v2");
	assert_int_equal(int_at(ts, "max_handles"), 1);
	json_decref(root);
	destroy(f);
}

static void test_other_declarations(void **state)
{
	(void)state;
	fixture *f = build();
	json_t *root = load(f);
	json_t *e = find_named(root, "enum_declarations", "test.ir/E");
	assert_string_equal(str_at(e, "type"), "int16");
	assert_true(json_is_false(json_object_get(e, "strict")));
	assert_int_equal(int_at(e, "maybe_unknown_value"), 32767);
	json_t *m = json_array_get(json_object_get(e, "members"), 0);
	assert_string_equal(str_at(json_object_get(m, "value"), "value"), "-3");
	json_t *b = find_named(root, "bits_declarations", "test.ir/B");
	assert_string_equal(str_at(b, "mask"), "9223372036854775809");
	assert_string_equal(str_at(json_object_get(b, "type"), "subtype"),
	                    "uint64");
	json_t *c = find_named(root, "const_declarations", "test.ir/NAME");
	json_t *v = json_object_get(c, "value");
	assert_string_equal(str_at(v, "kind"), "literal");
	assert_string_equal(str_at(v, "value"), "a\"b");
	assert_string_equal(str_at(json_object_get(v, "literal"), "kind"),
	                    "string");
	json_t *t = find_named(root, "table_declarations", "test.ir/T");
	assert_true(json_is_false(json_object_get(t, "strict")));
	json_t *tm = json_array_get(json_object_get(t, "members"), 0);
	assert_int_equal(int_at(tm, "ordinal"), 1);
	json_t *tts = json_object_get(t, "type_shape_v2");
	assert_int_equal(int_at(tts, "depth"), 3);
	assert_true(
	    json_is_true(json_object_get(tts, "has_flexible_envelope")));
	json_t *u = find_named(root, "union_declarations", "test.ir/U");
	assert_true(json_is_false(json_object_get(u, "is_result")));
	assert_true(json_is_false(json_object_get(u, "strict")));
	json_t *al = find_named(root, "alias_declarations", "test.ir/Bytes");
	json_t *ptc = json_object_get(al, "partial_type_ctor");
	assert_string_equal(str_at(ptc, "name"), "vector");
	assert_string_equal(str_at(json_object_get(al, "type"), "kind"),
	                    "vector");
	json_decref(root);
	destroy(f);
}

static void test_dependencies_and_external_structs(void **state)
{
	(void)state;
	fixture *f = build();
	json_t *root = load(f);
	json_t *deps = json_object_get(root, "library_dependencies");
	assert_int_equal(json_array_size(deps), 1);
	json_t *dep = json_array_get(deps, 0);
	assert_string_equal(str_at(dep, "name"), "dep");
	json_t *dd =
	    json_object_get(json_object_get(dep, "declarations"), "dep/D");
	assert_string_equal(str_at(dd, "kind"), "struct");
	assert_true(json_is_true(json_object_get(dd, "resource")));
	json_t *ext = json_object_get(root, "external_struct_declarations");
	assert_int_equal(json_array_size(ext), 1);
	assert_string_equal(str_at(json_array_get(ext, 0), "name"), "dep/D");
	json_decref(root);
	destroy(f);
}

static void test_deterministic(void **state)
{
	(void)state;
	fixture *f = build();
	size_t l1, l2;
	char *a = write_ir(f, &l1);
	char *b = write_ir(f, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);
	assert_true(l1 > 2 && a[l1 - 1] == '\n' && a[l1 - 2] == '}');
	/* Two-space indent, fidlc style. */
	assert_true(strncmp(a, "{\n  \"name\": \"test.ir\",\n", 23) == 0);
	free(a);
	free(b);
	destroy(f);
}

static void test_write_error(void **state)
{
	(void)state;
	FILE *full = fopen("/dev/full", "w");
	if (!full)
		skip();
	fixture *f = build();
	int err = cf_write_ir(full, &f->b.model, f->b.lib);
	assert_int_not_equal(err, 0);
	fclose(full);
	destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_top_level_keys_in_fidlc_order),
	    cmocka_unit_test(test_struct_shapes_and_fields),
	    cmocka_unit_test(test_groups_sorted_and_declarations),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_endpoint_and_handle_types),
	    cmocka_unit_test(test_other_declarations),
	    cmocka_unit_test(test_dependencies_and_external_structs),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
