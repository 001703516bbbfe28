/* The parser (compiler/parser.y, detect.c): every construct of both FIDL
 * syntaxes lands in the AST fields ast.h promises; syntax detection; error
 * recovery and limits; hostile input; and every conformance file and seed
 * library parses cleanly. */

/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

typedef struct parsed {
	cf_source *src;
	cf_arena arena;
	cf_diags diags;
	ast_file *file;
} parsed;

static parsed *parse_len(const char *text, size_t len)
{
	parsed *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->src = cf_source_from_memory("t.fidl", text, len);
	assert_non_null(p->src);
	cf_arena_init(&p->arena);
	cf_diags_init(&p->diags, getenv("CF_TEST_VERBOSE") ? stderr : NULL);
	p->file = cf_parse(p->src, &p->arena, &p->diags);
	return p;
}

static parsed *parse(const char *text)
{
	return parse_len(text, strlen(text));
}

/* Parses text that must be free of diagnostics. */
static parsed *parse_ok(const char *text)
{
	parsed *p = parse(text);
	if (p->diags.errors || p->diags.warnings)
		fprintf(stderr, "unexpected diagnostic %s at %u:%u\n",
		        cf_diag_code(p->diags.first_id),
		        p->diags.first_loc.line, p->diags.first_loc.col);
	assert_int_equal(p->diags.errors, 0);
	assert_int_equal(p->diags.warnings, 0);
	assert_non_null(p->file);
	return p;
}

static void done(parsed *p)
{
	cf_arena_destroy(&p->arena);
	cf_source_free(p->src);
	free(p);
}

static ast_decl *decl_at(parsed *p, unsigned i)
{
	ast_decl *d = p->file->decls;
	while (d && i--)
		d = d->next;
	assert_non_null(d);
	return d;
}

static ast_member *member_at(ast_layout *l, unsigned i)
{
	ast_member *m = l->members;
	while (m && i--)
		m = m->next;
	assert_non_null(m);
	return m;
}

static ast_method *method_at(ast_decl *d, unsigned i)
{
	assert_int_equal(d->kind, AST_DECL_PROTOCOL);
	ast_method *m = d->protocol->methods;
	while (m && i--)
		m = m->next;
	assert_non_null(m);
	return m;
}

static void assert_loc(cf_loc loc, unsigned line, unsigned col)
{
	assert_int_equal(loc.line, line);
	assert_int_equal(loc.col, col);
}

static void assert_named(ast_type *t, const char *dotted)
{
	assert_non_null(t);
	assert_null(t->inline_layout);
	assert_string_equal(t->name.dotted, dotted);
}

static void assert_const_name(ast_const *c, const char *dotted)
{
	assert_non_null(c);
	assert_int_equal(c->kind, AST_CONST_NAME);
	assert_string_equal(c->name.dotted, dotted);
}

static void assert_const_number(ast_const *c, const char *text)
{
	assert_non_null(c);
	assert_int_equal(c->kind, AST_CONST_NUMBER);
	assert_string_equal(c->text, text);
}

/* ------------------------------------------------------------------ */
/* Current syntax */

static void test_library_attributes_and_doc(void **state)
{
	(void)state;
	parsed *p = parse_ok("/// The library.\n"
	                     "/// Second line.\n"
	                     "@available(added=1, note=\"x\")\n"
	                     "library fuchsia.hardware.vsock;\n");
	ast_file *f = p->file;
	assert_int_equal(f->syntax, AST_SYNTAX_NEW);
	assert_string_equal(f->library.dotted, "fuchsia.hardware.vsock");
	assert_int_equal(f->library.count, 3);
	assert_string_equal(f->library.parts->next->text, "hardware");
	assert_loc(f->library.parts->next->loc, 4, 17);
	ast_attr *doc = f->library_attrs;
	assert_non_null(doc);
	assert_true(doc->is_doc_comment);
	assert_string_equal(doc->name, "doc");
	assert_string_equal(doc->args->value->text,
	                    " The library.\n Second line.\n");
	ast_attr *av = doc->next;
	assert_non_null(av);
	assert_false(av->is_doc_comment);
	assert_string_equal(av->name, "available");
	assert_loc(av->loc, 3, 1);
	assert_string_equal(av->args->name, "added");
	assert_const_number(av->args->value, "1");
	assert_string_equal(av->args->next->name, "note");
	assert_int_equal(av->args->next->value->kind, AST_CONST_STRING);
	assert_string_equal(av->args->next->value->text, "x");
	assert_null(av->next);
	assert_null(f->decls);
	assert_int_equal(f->decl_count, 0);
	done(p);
}

static void test_using(void **state)
{
	(void)state;
	parsed *p = parse_ok("library a;\n"
	                     "using zx;\n"
	                     "@foo using fuchsia.io as fio;\n");
	ast_using *u = p->file->usings;
	assert_non_null(u);
	assert_string_equal(u->library.dotted, "zx");
	assert_null(u->alias);
	assert_loc(u->loc, 2, 1);
	u = u->next;
	assert_non_null(u);
	assert_string_equal(u->library.dotted, "fuchsia.io");
	assert_string_equal(u->alias, "fio");
	assert_loc(u->alias_loc, 3, 26);
	assert_string_equal(u->attrs->name, "foo");
	assert_null(u->next);
	done(p);
}

static void test_const_and_alias(void **state)
{
	(void)state;
	parsed *p = parse_ok(
	    "library a;\n"
	    "const X uint32 = 5;\n"
	    "const S string:10 = \"hi\\n\";\n"
	    "const R zx.Rights = zx.Rights.READ | zx.Rights.WRITE | 4;\n"
	    "const B bool = true;\n"
	    "const F bool = false;\n"
	    "const N int8 = -0x10;\n"
	    "alias V = vector<uint8>:16;\n");
	ast_decl *d = decl_at(p, 0);
	assert_int_equal(d->kind, AST_DECL_CONST);
	assert_string_equal(d->name, "X");
	assert_loc(d->loc, 2, 1);
	assert_loc(d->name_loc, 2, 7);
	assert_named(d->const_type, "uint32");
	assert_const_number(d->const_value, "5");

	d = decl_at(p, 1);
	assert_named(d->const_type, "string");
	assert_int_equal(d->const_type->constraint_count, 1);
	assert_const_number(d->const_type->constraints->value, "10");
	assert_int_equal(d->const_value->kind, AST_CONST_STRING);
	assert_string_equal(d->const_value->text, "hi\n");
	assert_int_equal(d->const_value->text_len, 3);
	assert_string_equal(d->const_value->raw, "\"hi\\n\"");

	d = decl_at(p, 2);
	assert_named(d->const_type, "zx.Rights");
	ast_const *c = d->const_value;
	/* `|` is left-associative: (READ | WRITE) | 4. */
	assert_int_equal(c->kind, AST_CONST_OR);
	assert_const_number(c->right, "4");
	assert_int_equal(c->left->kind, AST_CONST_OR);
	assert_const_name(c->left->left, "zx.Rights.READ");
	assert_int_equal(c->left->left->name.count, 3);
	assert_const_name(c->left->right, "zx.Rights.WRITE");
	assert_loc(c->left->right->loc, 4, 38);

	assert_int_equal(decl_at(p, 3)->const_value->kind, AST_CONST_TRUE);
	assert_int_equal(decl_at(p, 4)->const_value->kind, AST_CONST_FALSE);
	assert_const_number(decl_at(p, 5)->const_value, "-0x10");

	d = decl_at(p, 6);
	assert_int_equal(d->kind, AST_DECL_ALIAS);
	assert_string_equal(d->name, "V");
	assert_named(d->alias_type, "vector");
	assert_int_equal(d->alias_type->param_count, 1);
	assert_named(d->alias_type->params->type, "uint8");
	assert_const_number(d->alias_type->constraints->value, "16");
	assert_int_equal(p->file->decl_count, 7);
	done(p);
}

static void test_struct_with_defaults(void **state)
{
	(void)state;
	parsed *p = parse_ok("library a;\n"
	                     "/// A struct.\n"
	                     "@for_deprecated_c_bindings\n"
	                     "type S = resource struct {\n"
	                     "    /// Member doc.\n"
	                     "    x uint32 = 5;\n"
	                     "    @attr(\"v\") y bool;\n"
	                     "};\n"
	                     "type E = struct {};\n");
	ast_decl *d = decl_at(p, 0);
	assert_int_equal(d->kind, AST_DECL_LAYOUT);
	assert_string_equal(d->name, "S");
	assert_loc(d->loc, 4, 1);
	assert_loc(d->name_loc, 4, 6);
	assert_true(d->attrs->is_doc_comment);
	assert_string_equal(d->attrs->next->name, "for_deprecated_c_bindings");
	ast_layout *l = d->layout;
	assert_int_equal(l->kind, AST_LAYOUT_STRUCT);
	assert_loc(l->loc, 4, 19);
	assert_true(l->resource);
	assert_false(l->resource_repeated);
	assert_int_equal(l->strictness, AST_STRICTNESS_DEFAULT);
	assert_int_equal(l->member_count, 2);
	ast_member *m = member_at(l, 0);
	assert_string_equal(m->name, "x");
	assert_loc(m->loc, 6, 5);
	assert_loc(m->name_loc, 6, 5);
	assert_named(m->type, "uint32");
	assert_loc(m->type->loc, 6, 7);
	assert_const_number(m->value, "5");
	assert_false(m->has_ordinal);
	assert_true(m->attrs->is_doc_comment);
	assert_string_equal(m->attrs->args->value->text, " Member doc.\n");
	m = member_at(l, 1);
	assert_string_equal(m->name, "y");
	assert_null(m->value);
	assert_string_equal(m->attrs->name, "attr");
	assert_null(m->attrs->args->name);
	assert_string_equal(m->attrs->args->value->text, "v");
	l = decl_at(p, 1)->layout;
	assert_int_equal(l->member_count, 0);
	assert_null(l->members);
	done(p);
}

static void test_table_union_enum_bits(void **state)
{
	(void)state;
	parsed *p =
	    parse_ok("library a;\n"
	             "type T = table {\n"
	             "    1: x uint32;\n"
	             "    2: reserved;\n"
	             "    0x3: y string;\n"
	             "};\n"
	             "type U = flexible resource union { 1: a int32; };\n"
	             "type V = strict union { 1: reserved; 2: b T; };\n"
	             "type E = strict enum : uint8 { A = 1; B = 0x2; };\n"
	             "type F = flexible bits : uint64 { X = 0b1; };\n"
	             "type G = enum { A = 1; };\n");
	ast_layout *l = decl_at(p, 0)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_TABLE);
	assert_int_equal(l->member_count, 3);
	ast_member *m = member_at(l, 0);
	assert_true(m->has_ordinal);
	assert_int_equal(m->ordinal, 1);
	assert_loc(m->ordinal_loc, 3, 5);
	assert_loc(m->loc, 3, 5);
	assert_string_equal(m->name, "x");
	assert_loc(m->name_loc, 3, 8);
	assert_false(m->reserved);
	m = member_at(l, 1);
	assert_true(m->reserved);
	assert_null(m->name);
	assert_null(m->type);
	assert_int_equal(m->ordinal, 2);
	assert_int_equal(member_at(l, 2)->ordinal, 3);

	l = decl_at(p, 1)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_UNION);
	assert_int_equal(l->strictness, AST_FLEXIBLE);
	assert_true(l->resource);
	assert_false(l->old_xunion);
	l = decl_at(p, 2)->layout;
	assert_int_equal(l->strictness, AST_STRICT);
	assert_false(l->resource);
	assert_true(member_at(l, 0)->reserved);
	assert_named(member_at(l, 1)->type, "T");

	l = decl_at(p, 3)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_ENUM);
	assert_int_equal(l->strictness, AST_STRICT);
	assert_named(l->subtype, "uint8");
	assert_string_equal(member_at(l, 1)->name, "B");
	assert_const_number(member_at(l, 1)->value, "0x2");
	assert_null(member_at(l, 1)->type);
	l = decl_at(p, 4)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_BITS);
	assert_int_equal(l->strictness, AST_FLEXIBLE);
	assert_named(l->subtype, "uint64");
	assert_null(decl_at(p, 5)->layout->subtype);
	done(p);
}

static void test_repeated_modifiers_are_flagged(void **state)
{
	(void)state;
	parsed *p = parse_ok("library a;\n"
	                     "type U = strict flexible resource resource union "
	                     "{ 1: a int32; };\n");
	ast_layout *l = decl_at(p, 0)->layout;
	assert_true(l->strictness_repeated);
	assert_true(l->resource_repeated);
	/* The last one written wins; the resolver reports the repeat. */
	assert_int_equal(l->strictness, AST_FLEXIBLE);
	done(p);
}

static void test_type_constructors(void **state)
{
	(void)state;
	parsed *p = parse_ok(
	    "library a;\n"
	    "type S = resource struct {\n"
	    "    a vector<T>:<10, optional>;\n"
	    "    b array<uint8, 4>;\n"
	    "    c string:N;\n"
	    "    d box<S>;\n"
	    "    e client_end:P;\n"
	    "    f server_end:<P, optional>;\n"
	    "    g zx.Handle:<SOCKET, zx.Rights.READ | zx.Rights.WRITE, "
	    "optional>;\n"
	    "    h vector<vector<handle:optional>>:<>;\n"
	    "    i string:optional;\n"
	    "    j array<T, \"s\">;\n"
	    "};\n");
	ast_layout *l = decl_at(p, 0)->layout;
	ast_type *t = member_at(l, 0)->type;
	assert_named(t, "vector");
	assert_int_equal(t->param_count, 1);
	assert_named(t->params->type, "T");
	assert_null(t->params->value);
	assert_true(t->constraints_bracketed);
	assert_int_equal(t->constraint_count, 2);
	assert_const_number(t->constraints->value, "10");
	assert_const_name(t->constraints->next->value, "optional");
	assert_false(t->nullable);

	t = member_at(l, 1)->type;
	assert_int_equal(t->param_count, 2);
	assert_named(t->params->type, "uint8");
	assert_null(t->params->next->type);
	assert_const_number(t->params->next->value, "4");
	assert_int_equal(t->constraint_count, 0);

	t = member_at(l, 2)->type;
	assert_false(t->constraints_bracketed);
	assert_const_name(t->constraints->value, "N");

	t = member_at(l, 3)->type;
	assert_named(t, "box");
	assert_named(t->params->type, "S");

	t = member_at(l, 4)->type;
	assert_named(t, "client_end");
	assert_int_equal(t->param_count, 0);
	assert_const_name(t->constraints->value, "P");

	t = member_at(l, 5)->type;
	assert_named(t, "server_end");
	assert_int_equal(t->constraint_count, 2);

	t = member_at(l, 6)->type;
	assert_named(t, "zx.Handle");
	assert_int_equal(t->name.count, 2);
	assert_int_equal(t->constraint_count, 3);
	assert_const_name(t->constraints->value, "SOCKET");
	assert_int_equal(t->constraints->next->value->kind, AST_CONST_OR);
	assert_const_name(t->constraints->next->next->value, "optional");

	t = member_at(l, 7)->type;
	assert_true(t->constraints_bracketed);
	assert_int_equal(t->constraint_count, 0);
	assert_null(t->constraints);
	ast_type *inner = t->params->type->params->type;
	assert_named(inner, "handle");
	assert_const_name(inner->constraints->value, "optional");

	assert_const_name(member_at(l, 8)->type->constraints->value,
	                  "optional");
	t = member_at(l, 9)->type;
	assert_int_equal(t->params->next->value->kind, AST_CONST_STRING);
	done(p);
}

static void test_inline_layouts(void **state)
{
	(void)state;
	parsed *p =
	    parse_ok("library a;\n"
	             "type S = struct {\n"
	             "    x struct { a uint8; };\n"
	             "    t @generated_name(\"Named\") resource table {\n"
	             "        1: u flexible union { 1: b bool; };\n"
	             "    };\n"
	             "    v vector<strict enum : int16 { A = 1; }>;\n"
	             "};\n");
	ast_layout *l = decl_at(p, 0)->layout;
	ast_type *t = member_at(l, 0)->type;
	assert_non_null(t->inline_layout);
	assert_int_equal(t->name.count, 0);
	assert_int_equal(t->inline_layout->kind, AST_LAYOUT_STRUCT);
	assert_loc(t->inline_layout->loc, 3, 7);
	assert_loc(t->loc, 3, 7);
	assert_null(t->inline_layout->attrs);
	assert_string_equal(member_at(t->inline_layout, 0)->name, "a");

	t = member_at(l, 1)->type;
	ast_layout *tl = t->inline_layout;
	assert_int_equal(tl->kind, AST_LAYOUT_TABLE);
	assert_true(tl->resource);
	assert_non_null(tl->attrs);
	assert_string_equal(tl->attrs->name, "generated_name");
	assert_string_equal(tl->attrs->args->value->text, "Named");
	/* The member itself has no attributes. */
	assert_null(member_at(l, 1)->attrs);
	ast_layout *ul = member_at(tl, 0)->type->inline_layout;
	assert_int_equal(ul->kind, AST_LAYOUT_UNION);
	assert_int_equal(ul->strictness, AST_FLEXIBLE);

	t = member_at(l, 2)->type->params->type;
	assert_int_equal(t->inline_layout->kind, AST_LAYOUT_ENUM);
	assert_named(t->inline_layout->subtype, "int16");
	done(p);
}

static void test_protocols(void **state)
{
	(void)state;
	parsed *p =
	    parse_ok("library a;\n"
	             "protocol Base {};\n"
	             "/// Doc.\n"
	             "@discoverable\n"
	             "open protocol P {\n"
	             "    compose Base;\n"
	             "    @attr compose other.Lib;\n"
	             "    strict OneWay(struct { a uint32; });\n"
	             "    flexible TwoWay(Payload) -> (table { 1: b bool; }) "
	             "error zx.Status;\n"
	             "    Empty();\n"
	             "    EmptyBoth() -> ();\n"
	             "    /// Event doc.\n"
	             "    -> OnEvent(struct { c int8; });\n"
	             "    strict -> OnStrict();\n"
	             "};\n"
	             "ajar protocol Q {};\n"
	             "closed protocol R {};\n");
	ast_decl *d = decl_at(p, 0);
	assert_int_equal(d->protocol->openness, AST_OPENNESS_DEFAULT);
	assert_null(d->protocol->methods);
	assert_null(d->protocol->composes);

	d = decl_at(p, 1);
	assert_string_equal(d->name, "P");
	assert_int_equal(d->protocol->openness, AST_OPEN);
	assert_true(d->attrs->is_doc_comment);
	assert_string_equal(d->attrs->next->name, "discoverable");
	ast_compose *c = d->protocol->composes;
	assert_string_equal(c->protocol.dotted, "Base");
	assert_loc(c->loc, 6, 5);
	c = c->next;
	assert_string_equal(c->protocol.dotted, "other.Lib");
	assert_string_equal(c->attrs->name, "attr");
	assert_null(c->next);

	ast_method *m = method_at(d, 0);
	assert_string_equal(m->name, "OneWay");
	assert_loc(m->loc, 8, 12);
	assert_int_equal(m->strictness, AST_STRICT);
	assert_false(m->is_event);
	assert_true(m->has_request);
	assert_int_equal(m->request->inline_layout->kind, AST_LAYOUT_STRUCT);
	assert_false(m->has_response);
	assert_null(m->error);

	m = method_at(d, 1);
	assert_int_equal(m->strictness, AST_FLEXIBLE);
	assert_named(m->request, "Payload");
	assert_true(m->has_response);
	assert_int_equal(m->response->inline_layout->kind, AST_LAYOUT_TABLE);
	assert_named(m->error, "zx.Status");

	m = method_at(d, 2);
	assert_int_equal(m->strictness, AST_STRICTNESS_DEFAULT);
	assert_true(m->has_request);
	assert_null(m->request);
	assert_false(m->has_response);

	m = method_at(d, 3);
	assert_true(m->has_request);
	assert_null(m->request);
	assert_true(m->has_response);
	assert_null(m->response);

	m = method_at(d, 4);
	assert_string_equal(m->name, "OnEvent");
	assert_true(m->is_event);
	assert_false(m->has_request);
	assert_true(m->has_response);
	assert_int_equal(m->response->inline_layout->kind, AST_LAYOUT_STRUCT);
	assert_true(m->attrs->is_doc_comment);

	m = method_at(d, 5);
	assert_true(m->is_event);
	assert_int_equal(m->strictness, AST_STRICT);
	assert_null(m->response);
	assert_null(m->next);

	assert_int_equal(decl_at(p, 2)->protocol->openness, AST_AJAR);
	assert_int_equal(decl_at(p, 3)->protocol->openness, AST_CLOSED);
	done(p);
}

static void test_resource_definition(void **state)
{
	(void)state;
	parsed *p = parse_ok("library zx;\n"
	                     "type ObjType = enum : uint32 { NONE = 0; };\n"
	                     "resource_definition Handle : uint32 {\n"
	                     "    properties {\n"
	                     "        subtype ObjType;\n"
	                     "        rights Rights;\n"
	                     "    };\n"
	                     "};\n");
	ast_decl *d = decl_at(p, 1);
	assert_int_equal(d->kind, AST_DECL_RESOURCE);
	assert_string_equal(d->name, "Handle");
	assert_loc(d->loc, 3, 1);
	assert_named(d->resource_subtype, "uint32");
	ast_property *pr = d->properties;
	assert_string_equal(pr->name, "subtype");
	assert_named(pr->type, "ObjType");
	assert_loc(pr->loc, 5, 9);
	assert_string_equal(pr->next->name, "rights");
	assert_null(pr->next->next);
	done(p);
}

/* Keywords are contextual: all of them work as names. */
static void test_keywords_as_names(void **state)
{
	(void)state;
	parsed *p = parse_ok(
	    "library library.type;\n"
	    "using using as as;\n"
	    "const const type = 1;\n"
	    "alias alias = struct;\n"
	    "type type = struct {\n"
	    "    struct struct;\n"
	    "    table table;\n"
	    "    union union;\n"
	    "    error error;\n"
	    "    resource resource;\n"
	    "    strict strict;\n"
	    "    flexible flexible:optional;\n"
	    "    reserved reserved;\n"
	    "    protocol protocol;\n"
	    "    optional optional;\n"
	    "    handle handle;\n"
	    "    request request;\n"
	    "    enum uint8;\n"
	    "    compose compose.properties;\n"
	    "};\n"
	    "type table = table { 1: reserved reserved; 2: reserved; };\n"
	    "type enum = enum { enum = 1; bits = 2; };\n"
	    "protocol protocol {\n"
	    "    compose compose;\n"
	    "    compose();\n"
	    "    strict();\n"
	    "    strict strict() -> (struct { error error; }) error error;\n"
	    "    -> error();\n"
	    "};\n");
	assert_string_equal(p->file->library.dotted, "library.type");
	assert_string_equal(p->file->usings->alias, "as");
	ast_layout *l = decl_at(p, 2)->layout;
	assert_string_equal(decl_at(p, 2)->name, "type");
	const char *names[] = {"struct",   "table",    "union",    "error",
	                       "resource", "strict",   "flexible", "reserved",
	                       "protocol", "optional", "handle",   "request",
	                       "enum",     "compose"};
	assert_int_equal(l->member_count, sizeof(names) / sizeof(names[0]));
	for (unsigned i = 0; i < l->member_count; i++) {
		ast_member *m = member_at(l, i);
		assert_string_equal(m->name, names[i]);
		assert_null(m->type->inline_layout);
	}
	assert_named(member_at(l, 0)->type, "struct");
	assert_named(member_at(l, 13)->type, "compose.properties");
	ast_layout *t = decl_at(p, 3)->layout;
	assert_false(member_at(t, 0)->reserved);
	assert_string_equal(member_at(t, 0)->name, "reserved");
	assert_true(member_at(t, 1)->reserved);
	ast_decl *d = decl_at(p, 5);
	assert_string_equal(d->protocol->composes->protocol.dotted, "compose");
	assert_string_equal(method_at(d, 0)->name, "compose");
	assert_string_equal(method_at(d, 1)->name, "strict");
	assert_int_equal(method_at(d, 1)->strictness, AST_STRICTNESS_DEFAULT);
	assert_string_equal(method_at(d, 2)->name, "strict");
	assert_int_equal(method_at(d, 2)->strictness, AST_STRICT);
	assert_named(method_at(d, 2)->error, "error");
	assert_string_equal(method_at(d, 3)->name, "error");
	assert_true(method_at(d, 3)->is_event);
	done(p);
}

/* ------------------------------------------------------------------ */
/* 2018-2020 syntax */

static void test_old_layouts(void **state)
{
	(void)state;
	parsed *p = parse_ok("library fuchsia.old;\n"
	                     "using zx;\n"
	                     "using Bytes = vector<uint8>:64;\n"
	                     "const uint32 MAX = 10;\n"
	                     "/// Doc.\n"
	                     "[Layout = \"Simple\", Discoverable]\n"
	                     "struct Foo {\n"
	                     "    uint32 x;\n"
	                     "    uint32 y = 5;\n"
	                     "    handle h;\n"
	                     "    handle<vmo>? v;\n"
	                     "    request<P> r;\n"
	                     "    P client;\n"
	                     "    vector<Foo>:8? list;\n"
	                     "    array<uint8>:4 arr;\n"
	                     "    string:MAX s;\n"
	                     "    Bar? opt;\n"
	                     "};\n"
	                     "table T { 1: uint32 a; 2: reserved; };\n"
	                     "union U { 1: int32 a; 2: string b; };\n"
	                     "union Old { int32 a; string b; };\n"
	                     "xunion X { int32 a; };\n"
	                     "strict resource union R { 1: handle h; };\n"
	                     "enum E : uint32 { A = 1; B = 2; };\n"
	                     "bits B : uint8 { X = 1; };\n");
	ast_file *f = p->file;
	assert_int_equal(f->syntax, AST_SYNTAX_OLD);
	assert_string_equal(f->usings->library.dotted, "zx");

	ast_decl *d = decl_at(p, 0);
	assert_int_equal(d->kind, AST_DECL_ALIAS);
	assert_string_equal(d->name, "Bytes");
	assert_named(d->alias_type, "vector");
	assert_const_number(d->alias_type->constraints->value, "64");

	d = decl_at(p, 1);
	assert_int_equal(d->kind, AST_DECL_CONST);
	assert_string_equal(d->name, "MAX");
	assert_named(d->const_type, "uint32");
	assert_const_number(d->const_value, "10");

	d = decl_at(p, 2);
	assert_int_equal(d->kind, AST_DECL_LAYOUT);
	assert_string_equal(d->name, "Foo");
	assert_loc(d->loc, 7, 1);
	ast_attr *a = d->attrs;
	assert_true(a->is_doc_comment);
	a = a->next;
	assert_string_equal(a->name, "Layout");
	assert_loc(a->loc, 6, 2);
	assert_string_equal(a->args->value->text, "Simple");
	a = a->next;
	assert_string_equal(a->name, "Discoverable");
	assert_null(a->args);
	assert_null(a->next);

	ast_layout *l = d->layout;
	assert_int_equal(l->kind, AST_LAYOUT_STRUCT);
	ast_member *m = member_at(l, 0);
	assert_string_equal(m->name, "x");
	assert_loc(m->loc, 8, 5);
	assert_loc(m->name_loc, 8, 12);
	assert_named(m->type, "uint32");
	assert_const_number(member_at(l, 1)->value, "5");
	assert_named(member_at(l, 2)->type, "handle");
	ast_type *t = member_at(l, 3)->type;
	assert_named(t, "handle");
	assert_true(t->nullable);
	assert_int_equal(t->param_count, 1);
	assert_named(t->params->type, "vmo");
	t = member_at(l, 4)->type;
	assert_named(t, "request");
	assert_named(t->params->type, "P");
	assert_false(t->nullable);
	assert_named(member_at(l, 5)->type, "P");
	t = member_at(l, 6)->type;
	assert_named(t, "vector");
	assert_true(t->nullable);
	assert_const_number(t->constraints->value, "8");
	t = member_at(l, 7)->type;
	assert_named(t, "array");
	assert_named(t->params->type, "uint8");
	assert_int_equal(t->constraint_count, 1);
	assert_const_number(t->constraints->value, "4");
	assert_const_name(member_at(l, 8)->type->constraints->value, "MAX");
	assert_true(member_at(l, 9)->type->nullable);

	l = decl_at(p, 3)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_TABLE);
	assert_true(member_at(l, 1)->reserved);
	assert_int_equal(member_at(l, 1)->ordinal, 2);

	l = decl_at(p, 4)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_UNION);
	assert_int_equal(member_at(l, 1)->ordinal, 2);

	/* Unions without ordinals count from 1 in order. */
	l = decl_at(p, 5)->layout;
	assert_true(member_at(l, 0)->has_ordinal);
	assert_int_equal(member_at(l, 0)->ordinal, 1);
	assert_int_equal(member_at(l, 1)->ordinal, 2);
	assert_string_equal(member_at(l, 1)->name, "b");

	l = decl_at(p, 6)->layout;
	assert_true(l->old_xunion);
	assert_int_equal(l->kind, AST_LAYOUT_UNION);

	l = decl_at(p, 7)->layout;
	assert_int_equal(l->strictness, AST_STRICT);
	assert_true(l->resource);

	l = decl_at(p, 8)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_ENUM);
	assert_named(l->subtype, "uint32");
	assert_string_equal(member_at(l, 1)->name, "B");
	l = decl_at(p, 9)->layout;
	assert_int_equal(l->kind, AST_LAYOUT_BITS);
	done(p);
}

static void test_old_protocols(void **state)
{
	(void)state;
	parsed *p = parse("deprecated_syntax;\n"
	                  "library a;\n"
	                  "[Layout = \"Simple\"]\n"
	                  "interface Device {\n"
	                  "    compose Base;\n"
	                  "    Start(Callbacks cb) -> (zx.status status);\n"
	                  "    SendRequest(Addr addr, handle<socket> data);\n"
	                  "    GetCid() -> (uint32 local_cid);\n"
	                  "    Reset() -> ();\n"
	                  "    Fail() -> (T r) error zx.status;\n"
	                  "    -> OnX(int8 a);\n"
	                  "    3: Ordinal();\n"
	                  "};\n"
	                  "protocol P {};\n");
	/* Only the explicit ordinal's warning. */
	assert_int_equal(p->diags.errors, 0);
	assert_int_equal(p->diags.warnings, 1);
	assert_int_equal(p->diags.first_id, CF_DIAG_IGNORED_EXPLICIT_ORDINAL);
	assert_loc(p->diags.first_loc, 12, 5);
	assert_non_null(p->file);
	assert_int_equal(p->file->syntax, AST_SYNTAX_OLD);
	ast_decl *d = decl_at(p, 0);
	assert_int_equal(d->kind, AST_DECL_PROTOCOL);
	assert_loc(d->loc, 4, 1);
	assert_string_equal(d->attrs->name, "Layout");
	assert_string_equal(d->protocol->composes->protocol.dotted, "Base");

	ast_method *m = method_at(d, 0);
	assert_string_equal(m->name, "Start");
	assert_true(m->has_request);
	/* Parameters become an inline struct, member locations kept. */
	ast_layout *l = m->request->inline_layout;
	assert_non_null(l);
	assert_int_equal(l->kind, AST_LAYOUT_STRUCT);
	assert_int_equal(l->member_count, 1);
	assert_string_equal(l->members->name, "cb");
	assert_loc(l->members->loc, 6, 11);
	assert_loc(l->members->name_loc, 6, 21);
	assert_named(l->members->type, "Callbacks");
	assert_true(m->has_response);
	l = m->response->inline_layout;
	assert_string_equal(l->members->name, "status");
	assert_named(l->members->type, "zx.status");

	m = method_at(d, 1);
	l = m->request->inline_layout;
	assert_int_equal(l->member_count, 2);
	assert_named(member_at(l, 1)->type, "handle");
	assert_named(member_at(l, 1)->type->params->type, "socket");
	assert_false(m->has_response);

	m = method_at(d, 2);
	assert_true(m->has_request);
	assert_null(m->request);

	m = method_at(d, 3);
	assert_true(m->has_response);
	assert_null(m->response);

	m = method_at(d, 4);
	assert_named(m->error, "zx.status");

	m = method_at(d, 5);
	assert_true(m->is_event);
	assert_false(m->has_request);
	assert_string_equal(m->response->inline_layout->members->name, "a");

	m = method_at(d, 6);
	assert_true(m->has_explicit_ordinal);
	assert_loc(m->explicit_ordinal_loc, 12, 5);
	assert_false(method_at(d, 0)->has_explicit_ordinal);
	assert_int_equal(decl_at(p, 1)->kind, AST_DECL_PROTOCOL);
	done(p);
}

static void test_old_table_needs_ordinals(void **state)
{
	(void)state;
	parsed *p = parse("library a;\ntable T { uint32 a; };\n");
	assert_int_equal(p->diags.errors, 1);
	assert_int_equal(p->diags.first_id, CF_DIAG_SYNTAX_ERROR);
	assert_loc(p->diags.first_loc, 2, 11);
	done(p);
}

/* ------------------------------------------------------------------ */
/* Syntax detection */

static ast_syntax detect(const char *text)
{
	cf_source *src = cf_source_from_memory("d.fidl", text, strlen(text));
	assert_non_null(src);
	ast_syntax s = cf_detect_syntax(src);
	cf_source_free(src);
	return s;
}

static void test_detect_syntax(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		ast_syntax want;
	} cases[] = {
	    {"", AST_SYNTAX_NEW},
	    {"library a;", AST_SYNTAX_NEW},
	    {"library a; protocol P {};", AST_SYNTAX_NEW},
	    {"@a library a;", AST_SYNTAX_NEW},
	    {"library a; type X = struct {};", AST_SYNTAX_NEW},
	    {"library a; alias X = T;", AST_SYNTAX_NEW},
	    {"library a; const X uint32 = 1;", AST_SYNTAX_NEW},
	    {"library a; const X zx.Rights = 1;", AST_SYNTAX_NEW},
	    {"library a; closed protocol P {};", AST_SYNTAX_NEW},
	    {"library a; protocol P { M(struct {}); };", AST_SYNTAX_NEW},
	    {"library a; protocol P { M(Payload); };", AST_SYNTAX_NEW},
	    {"library a; protocol P { M() -> (a.B); };", AST_SYNTAX_NEW},
	    {"// [Comment] struct X {\nlibrary a; alias X = T;",
	     AST_SYNTAX_NEW},
	    {"deprecated_syntax;\nlibrary a;", AST_SYNTAX_OLD},
	    {"// c\ndeprecated_syntax;\nlibrary a; type X = struct {};",
	     AST_SYNTAX_OLD},
	    {"[Doc = \"x\"] library a;", AST_SYNTAX_OLD},
	    {"library a; struct X {};", AST_SYNTAX_OLD},
	    {"library a; strict union X {};", AST_SYNTAX_OLD},
	    {"library a; enum E : uint8 {};", AST_SYNTAX_OLD},
	    {"library a; interface I {};", AST_SYNTAX_OLD},
	    {"library a; using X = vector<uint8>;", AST_SYNTAX_OLD},
	    {"library a; const uint32 X = 1;", AST_SYNTAX_OLD},
	    {"library a; const zx.rights X = 1;", AST_SYNTAX_OLD},
	    {"library a; protocol P { M(int8 a); };", AST_SYNTAX_OLD},
	    {"library a; protocol P { M() -> (T? a); };", AST_SYNTAX_OLD},
	    {"library a; protocol P { M(vector<T> a); };", AST_SYNTAX_OLD},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (detect(cases[i].text) != cases[i].want)
			fail_msg("detect(\"%s\") should be %s", cases[i].text,
			         cases[i].want == AST_SYNTAX_OLD ? "old"
			                                         : "new");
	}
}

/* ------------------------------------------------------------------ */
/* Errors, recovery and limits */

static void test_missing_library(void **state)
{
	(void)state;
	const char *cases[] = {"", "// only a comment\n",
	                       "type X = struct {};\n",
	                       "\n  @attr\n  type X = struct {};"};
	/* An empty file is reported at its start; otherwise at the token
	 * where the library declaration should be. */
	const unsigned line[] = {1, 1, 1, 3}, col[] = {1, 1, 1, 3};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parsed *p = parse(cases[i]);
		assert_null(p->file);
		assert_int_equal(p->diags.errors, 1);
		assert_int_equal(p->diags.first_id, CF_DIAG_MISSING_LIBRARY);
		assert_loc(p->diags.first_loc, line[i], col[i]);
		done(p);
	}
	/* A broken library name gives a syntax error and no tree. */
	parsed *p = parse("library ;\n");
	assert_null(p->file);
	assert_int_equal(p->diags.first_id, CF_DIAG_SYNTAX_ERROR);
	done(p);
}

static void test_syntax_error_message_and_location(void **state)
{
	(void)state;
	char buf[4096];
	FILE *out = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(out);
	const char *text = "library a;\ntype X = struct {\n  a uint32\n};\n";
	cf_source *src = cf_source_from_memory("m.fidl", text, strlen(text));
	cf_arena arena;
	cf_diags diags;
	cf_arena_init(&arena);
	cf_diags_init(&diags, out);
	ast_file *f = cf_parse(src, &arena, &diags);
	fclose(out);
	assert_non_null(f);
	assert_int_equal(diags.errors, 1);
	assert_loc(diags.first_loc, 4, 1);
	assert_non_null(strstr(buf, "m.fidl:4:1: error: expected "));
	assert_non_null(strstr(buf, "';'"));
	assert_non_null(strstr(buf, "found '}'"));
	cf_arena_destroy(&arena);
	cf_source_free(src);
}

static void test_error_recovery_reports_several(void **state)
{
	(void)state;
	parsed *p = parse("library a;\n"
	                  "type A = struct {\n"
	                  "    a uint32\n" /* missing ';' -> 4:5 */
	                  "    b uint32;\n"
	                  "    ok bool;\n"
	                  "};\n"
	                  "type B = table { 1 x uint32; };\n" /* 7:20 */
	                  "const C uint32 = ;\n"              /* 8:18 */
	                  "type D = struct { fine bool; };\n"
	                  "protocol P { M(; N(); };\n" /* 10:16 */
	                  "type E = enum { X = 1; };\n");
	assert_int_equal(p->diags.errors, 4);
	assert_int_equal(p->diags.count[CF_DIAG_SYNTAX_ERROR], 4);
	assert_loc(p->diags.first_loc, 4, 5);
	assert_loc(p->diags.last_loc, 10, 16);
	assert_non_null(p->file);
	/* Declarations around the errors survive. */
	ast_decl *d = p->file->decls;
	assert_string_equal(d->name, "A");
	assert_string_equal(member_at(d->layout, 0)->name, "ok");
	bool has_d = false, has_e = false;
	for (; d; d = d->next) {
		has_d |= !strcmp(d->name, "D");
		has_e |= !strcmp(d->name, "E");
	}
	assert_true(has_d);
	assert_true(has_e);
	done(p);
}

static void test_mixed_syntax(void **state)
{
	(void)state;
	parsed *p = parse("library a;\ntype X = struct {};\n"
	                  "struct Y { uint32 a; };\n");
	assert_int_equal(p->diags.first_id, CF_DIAG_MIXED_SYNTAX);
	assert_loc(p->diags.first_loc, 3, 1);
	done(p);
	p = parse("library a;\nstruct Y { uint32 a; };\n@attr\nstruct Z {};\n");
	assert_int_equal(p->diags.first_id, CF_DIAG_MIXED_SYNTAX);
	assert_loc(p->diags.first_loc, 3, 1);
	done(p);
	p = parse("library a;\ntype X = struct { a T?; };\n");
	assert_int_equal(p->diags.first_id, CF_DIAG_MIXED_SYNTAX);
	assert_loc(p->diags.first_loc, 2, 22);
	done(p);
	p = parse("library a;\nalias X = T;\n[Attr]\nalias Y = T;\n");
	assert_int_equal(p->diags.first_id, CF_DIAG_MIXED_SYNTAX);
	assert_loc(p->diags.first_loc, 3, 1);
	done(p);
}

static void test_doc_comment_nowhere(void **state)
{
	(void)state;
	parsed *p = parse("library a;\n"
	                  "type X = struct {\n"
	                  "    a bool;\n"
	                  "    /// dangling\n"
	                  "};\n"
	                  "/// at the end\n");
	assert_int_equal(p->diags.errors, 0);
	assert_int_equal(p->diags.count[CF_DIAG_DOC_COMMENT_NOWHERE], 2);
	assert_loc(p->diags.first_loc, 4, 5);
	assert_loc(p->diags.last_loc, 6, 1);
	assert_non_null(p->file);
	done(p);
}

static void test_error_limit_stops_parsing(void **state)
{
	(void)state;
	size_t reps = 20000;
	const char *line = "type X = struct { a b c; };\n";
	size_t n = strlen(line);
	char *text = malloc(11 + reps * n + 1);
	assert_non_null(text);
	memcpy(text, "library a;\n", 11);
	for (size_t i = 0; i < reps; i++)
		memcpy(text + 11 + i * n, line, n);
	parsed *p = parse_len(text, 11 + reps * n);
	assert_true(p->diags.limit_hit);
	assert_int_equal(p->diags.count[CF_DIAG_TOO_MANY_ERRORS], 1);
	/* 50 errors, then the stop notice. */
	assert_int_equal(p->diags.count[CF_DIAG_SYNTAX_ERROR], 50);
	assert_int_equal(p->diags.last_id, CF_DIAG_TOO_MANY_ERRORS);
	/* Stopped promptly: only the declarations before the limit. */
	assert_non_null(p->file);
	assert_true(p->file->decl_count <= 50);
	done(p);
	free(text);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	size_t depth = 100000;
	const char *head = "library a;\ntype X = struct { a ";
	size_t hn = strlen(head);
	char *text = malloc(hn + depth * 8 + 32);
	assert_non_null(text);
	memcpy(text, head, hn);
	size_t o = hn;
	for (size_t i = 0; i < depth; i++, o += 7)
		memcpy(text + o, "vector<", 7);
	memcpy(text + o, "uint8", 5);
	o += 5;
	memset(text + o, '>', depth);
	o += depth;
	memcpy(text + o, "; };\n", 5);
	o += 5;
	parsed *p = parse_len(text, o);
	assert_int_equal(p->diags.errors, 1);
	assert_int_equal(p->diags.first_id, CF_DIAG_NESTING_TOO_DEEP);
	/* The struct's '{' is one level: the 64th `vector<` opens one too
	 * many. Its '<' is 6 bytes into it. */
	assert_loc(p->diags.first_loc, 2,
	           (unsigned)(21 + 7 * (CF_MAX_NESTING - 1) + 6));
	done(p);

	/* Moderate nesting is fine. */
	o = hn;
	for (size_t i = 0; i < 30; i++, o += 7)
		memcpy(text + o, "vector<", 7);
	memcpy(text + o, "uint8", 5);
	o += 5;
	memset(text + o, '>', 30);
	o += 30;
	memcpy(text + o, "; };\n", 5);
	o += 5;
	p = parse_len(text, o);
	assert_int_equal(p->diags.errors, 0);
	ast_type *t = p->file->decls->layout->members->type;
	for (int i = 0; i < 30; i++) {
		assert_named(t, "vector");
		t = t->params->type;
	}
	assert_named(t, "uint8");
	done(p);

	/* Deep inline layouts and parentheses too. */
	o = 0;
	o += (size_t)sprintf(text, "library a;\nprotocol P { M");
	for (size_t i = 0; i < depth; i++)
		text[o++] = '(';
	p = parse_len(text, o);
	assert_int_equal(p->diags.count[CF_DIAG_NESTING_TOO_DEEP], 1);
	done(p);
	free(text);
}

static void test_long_lists_stay_shallow(void **state)
{
	(void)state;
	/* Long dotted names, `|` chains, attribute and member lists are
	 * left-recursive: no stack growth, no "memory exhausted". */
	size_t n = 200000;
	char *text = malloc(n * 8 + 64);
	assert_non_null(text);
	size_t o = (size_t)sprintf(text, "library a;\nconst X uint32 = A");
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(text + o, " | B.c");
	o += (size_t)sprintf(text + o, ";\ntype S = struct {");
	for (size_t i = 0; i < n / 4; i++)
		o += (size_t)sprintf(text + o, "@a ");
	o += (size_t)sprintf(text + o, "x bool; };\n");
	parsed *p = parse_len(text, o);
	assert_int_equal(p->diags.errors, 0);
	assert_int_equal(p->file->decl_count, 2);
	done(p);
	free(text);
}

static void test_hostile_inputs_do_not_crash(void **state)
{
	(void)state;
	size_t n = 1 << 18;
	char *text = malloc(n);
	assert_non_null(text);
	uint32_t x = 99;
	/* Binary noise, and noise made of FIDL tokens. */
	static const char *const words[] = {
	    "library ", "a", ".",     ";",      "type ", "=",
	    "struct",   "{", "}",     "<",      ">",     ":",
	    "(",        ")", "->",    "@",      "[",     "]",
	    "1",        ",", "\"s\"", "///d\n", "union", "protocol ",
	    "error ",   "?", "enum",  "|",      "\n",
	};
	for (int round = 0; round < 6; round++) {
		size_t o = 0;
		if (round % 2 == 0) {
			for (; o < n; o++) {
				x = x * 1664525u + 1013904223u;
				text[o] = (char)(x >> 24);
			}
		} else {
			memcpy(text, "library a;\n", 11);
			o = 11;
			while (o + 16 < n) {
				x = x * 1664525u + 1013904223u;
				const char *w =
				    words[(x >> 16) %
				          (sizeof(words) / sizeof(words[0]))];
				size_t wl = strlen(w);
				memcpy(text + o, w, wl);
				o += wl;
			}
		}
		parsed *p = parse_len(text, o);
		if (p->diags.errors == 0)
			fail_msg("round %d parsed without errors", round);
		done(p);
	}
	/* Every prefix of a valid file. */
	const char *good =
	    "/// d\n@a(\"x\")\nlibrary a.b;\nusing zx as z;\n"
	    "const C uint32 = 1 | 2;\n"
	    "type S = resource struct { a vector<T>:<4, optional>; "
	    "b zx.Handle:<VMO, z.R>; c array<T, \"\\u{41}\">; };\n"
	    "type U = flexible union { 1: a int8; 2: reserved; };\n"
	    "open protocol P { compose Q; flexible M(S) -> "
	    "(struct {}) error E; -> Ev(); };\n";
	size_t gl = strlen(good);
	for (size_t i = 0; i <= gl; i++) {
		parsed *p = parse_len(good, i);
		done(p);
	}
	parsed *p = parse(good);
	assert_int_equal(p->diags.errors, 0);
	done(p);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Real files */

static const char *top_srcdir(void)
{
	const char *s = getenv("top_srcdir");
	return s && *s ? s : ".";
}

static unsigned parse_dir(const char *dir, const char *suffix,
                          const char *skip_until)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	unsigned count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), sl = strlen(suffix);
		if (len < sl || strcmp(e->d_name + len - sl, suffix))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		cf_source *src;
		assert_int_equal(cf_source_load(path, &src), 0);
		/* Seed files start with a rendering header: skip to the
		 * first line of the FIDL source. */
		if (skip_until) {
			char *start = strstr(src->text, skip_until);
			if (!start) {
				cf_source_free(src);
				continue;
			}
			cf_source *tmp = cf_source_from_memory(
			    path, start,
			    src->len - (size_t)(start - src->text));
			cf_source_free(src);
			src = tmp;
		}
		cf_arena arena;
		cf_diags diags;
		cf_arena_init(&arena);
		cf_diags_init(&diags, stderr);
		ast_file *f = cf_parse(src, &arena, &diags);
		if (diags.errors || diags.warnings)
			fail_msg("%s does not parse cleanly", path);
		assert_non_null(f);
		assert_true(f->decl_count > 0);
		count++;
		cf_arena_destroy(&arena);
		cf_source_free(src);
	}
	closedir(d);
	return count;
}

static void test_conformance_files(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/../shared/conformance/fidl",
	         top_srcdir());
	DIR *d = opendir(dir);
	if (!d) {
		/* cmocka's skip() reads as a failure to automake's TAP
		 * driver: say so and pass. */
		print_message("# skip: %s not found (no ../shared)\n", dir);
		return;
	}
	closedir(d);
	assert_int_equal(parse_dir(dir, ".test.fidl", NULL), 26);
	/* Seed 003 is current syntax; 002 is the 2018 one whose rendering
	 * lost the `};` lines, so only 003 is parsed as is. */
	snprintf(dir, sizeof(dir), "%s/../shared/seeds", top_srcdir());
	assert_true(parse_dir(dir, "_fc4b53bf86d39d49.txt", "// Copyright") ==
	            1);
}

static void test_installed_idl(void **state)
{
	(void)state;
	static const char *const libs[] = {
	    "zx",
	    "fuchsia.vsock",
	    "fuchsia.hardware.vsock",
	    "fuchsia.virtualization",
	    "fuchsia.device.vsock",
	};
	unsigned total = 0;
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/idl/%s", top_srcdir(), libs[i]);
		total += parse_dir(dir, ".fidl", NULL);
	}
	if (!total) {
		print_message("# skip: no idl/ under %s\n", top_srcdir());
		return;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_library_attributes_and_doc),
	    cmocka_unit_test(test_using),
	    cmocka_unit_test(test_const_and_alias),
	    cmocka_unit_test(test_struct_with_defaults),
	    cmocka_unit_test(test_table_union_enum_bits),
	    cmocka_unit_test(test_repeated_modifiers_are_flagged),
	    cmocka_unit_test(test_type_constructors),
	    cmocka_unit_test(test_inline_layouts),
	    cmocka_unit_test(test_protocols),
	    cmocka_unit_test(test_resource_definition),
	    cmocka_unit_test(test_keywords_as_names),
	    cmocka_unit_test(test_old_layouts),
	    cmocka_unit_test(test_old_protocols),
	    cmocka_unit_test(test_old_table_needs_ordinals),
	    cmocka_unit_test(test_detect_syntax),
	    cmocka_unit_test(test_missing_library),
	    cmocka_unit_test(test_syntax_error_message_and_location),
	    cmocka_unit_test(test_error_recovery_reports_several),
	    cmocka_unit_test(test_mixed_syntax),
	    cmocka_unit_test(test_doc_comment_nowhere),
	    cmocka_unit_test(test_error_limit_stops_parsing),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_long_lists_stay_shallow),
	    cmocka_unit_test(test_hostile_inputs_do_not_crash),
	    cmocka_unit_test(test_conformance_files),
	    cmocka_unit_test(test_installed_idl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
