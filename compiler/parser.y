/* One grammar for both FIDL syntaxes. The lexer's first token, START_NEW or
 * START_OLD (chosen by cf_detect_syntax), selects the half of the grammar.
 * Keywords are contextual: `ident` accepts every keyword token, so members
 * and declarations may be called `type`, `struct`, `error`, ...
 * Lists are left-recursive so the parser stack stays shallow; its depth is
 * bounded by bracket nesting, which the lexer caps (CF_MAX_NESTING).
 * Declarations are appended to the file as soon as they are reduced, so a
 * parse that stops early still yields the declarations before the error. */

%require "3.6"
%define api.pure full
%define api.prefix {cfyy}
%define parse.error custom
%define parse.lac full
%define lr.type ielr
%locations
%param {cf_parse_ctx *ctx}
%expect 0

%code requires {
#include <stdbool.h>
#include <stdint.h>

#include "lexer_state.h"

typedef struct cf_lit {
	const char *text;
	uint32_t len;
	const char *raw;
} cf_lit;
typedef struct cf_name_b {
	ast_name n;
	ast_name_part *tail;
} cf_name_b;
typedef struct cf_attr_list {
	ast_attr *head, *tail;
} cf_attr_list;
typedef struct cf_arg_list {
	ast_attr_arg *head, *tail;
} cf_arg_list;
typedef struct cf_member_list {
	ast_member *head, *tail;
	unsigned count;
} cf_member_list;
typedef struct cf_tparam_list {
	ast_type_param *head, *tail;
	unsigned count;
} cf_tparam_list;
typedef struct cf_constraint_list {
	ast_constraint *head, *tail;
	unsigned count;
	bool bracketed;
} cf_constraint_list;
typedef struct cf_mods {
	ast_strictness strictness;
	bool resource, strictness_repeated, resource_repeated;
} cf_mods;
typedef struct cf_proto_body {
	ast_compose *chead, *ctail;
	ast_method *mhead, *mtail;
} cf_proto_body;
typedef struct cf_prop_list {
	ast_property *head, *tail;
} cf_prop_list;
typedef struct cf_response {
	bool has;
	ast_type *type;
	ast_type *error;
} cf_response;
}

%code provides {
int cfyylex(CFYYSTYPE *lval, CFYYLTYPE *lloc, cf_parse_ctx *ctx);
void cfyyerror(CFYYLTYPE *lloc, cf_parse_ctx *ctx, const char *msg);
}

%code {
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define LOC(l) cf_ctx_loc(ctx, (l).first_line, (l).first_column)

#define LIST_ADD(list, node)                                                   \
	do {                                                                   \
		if ((list).tail)                                               \
			(list).tail->next = (node);                            \
		else                                                           \
			(list).head = (node);                                  \
		(list).tail = (node);                                          \
	} while (0)

static cf_name_b name_start(cf_parse_ctx *ctx, const char *text, cf_loc loc)
{
	cf_name_b b;
	ast_name_part *p = CF_NEW(ctx->arena, ast_name_part);
	p->text = text;
	p->loc = loc;
	b.n.parts = p;
	b.n.count = 1;
	b.n.dotted = text;
	b.n.loc = loc;
	b.tail = p;
	return b;
}

static cf_name_b name_add(cf_parse_ctx *ctx, cf_name_b b, const char *text,
			  cf_loc loc)
{
	ast_name_part *p = CF_NEW(ctx->arena, ast_name_part);
	p->text = text;
	p->loc = loc;
	b.tail->next = p;
	b.tail = p;
	b.n.count++;
	return b;
}

/* Joins the parts into `dotted`, once per name. */
static ast_name name_end(cf_parse_ctx *ctx, cf_name_b b)
{
	if (b.n.count > 1) {
		size_t len = 0;
		for (ast_name_part *p = b.n.parts; p; p = p->next)
			len += strlen(p->text) + 1;
		char *s = cf_arena_alloc(ctx->arena, len);
		size_t o = 0;
		for (ast_name_part *p = b.n.parts; p; p = p->next) {
			size_t n = strlen(p->text);
			memcpy(s + o, p->text, n);
			o += n;
			s[o++] = p->next ? '.' : '\0';
		}
		b.n.dotted = s;
	}
	return b.n;
}

static ast_const *const_new(cf_parse_ctx *ctx, ast_const_kind kind, cf_loc loc)
{
	ast_const *c = CF_NEW(ctx->arena, ast_const);
	c->kind = kind;
	c->loc = loc;
	return c;
}

static ast_const *const_name(cf_parse_ctx *ctx, cf_name_b b)
{
	ast_name n = name_end(ctx, b);
	if (n.count == 1 && !strcmp(n.dotted, "true"))
		return const_new(ctx, AST_CONST_TRUE, n.loc);
	if (n.count == 1 && !strcmp(n.dotted, "false"))
		return const_new(ctx, AST_CONST_FALSE, n.loc);
	ast_const *c = const_new(ctx, AST_CONST_NAME, n.loc);
	c->name = n;
	c->text = n.dotted;
	return c;
}

static ast_const *const_string(cf_parse_ctx *ctx, cf_lit lit, cf_loc loc)
{
	ast_const *c = const_new(ctx, AST_CONST_STRING, loc);
	c->text = lit.text;
	c->text_len = lit.len;
	c->raw = lit.raw;
	return c;
}

static ast_const *const_number(cf_parse_ctx *ctx, const char *text, cf_loc loc)
{
	ast_const *c = const_new(ctx, AST_CONST_NUMBER, loc);
	c->text = text;
	return c;
}

static ast_type *type_named(cf_parse_ctx *ctx, cf_name_b name)
{
	ast_type *t = CF_NEW(ctx->arena, ast_type);
	t->name = name_end(ctx, name);
	t->loc = t->name.loc;
	return t;
}

static ast_type *type_inline(cf_parse_ctx *ctx, ast_layout *layout, cf_loc loc)
{
	ast_type *t = CF_NEW(ctx->arena, ast_type);
	t->inline_layout = layout;
	t->loc = loc;
	return t;
}

static ast_layout *layout_new(cf_parse_ctx *ctx, ast_layout_kind kind,
			      cf_loc loc, cf_member_list members,
			      ast_type *subtype)
{
	ast_layout *l = CF_NEW(ctx->arena, ast_layout);
	l->kind = kind;
	l->loc = loc;
	l->members = members.head;
	l->member_count = members.count;
	l->subtype = subtype;
	return l;
}

static ast_layout *layout_mods(ast_layout *l, cf_mods m)
{
	l->strictness = m.strictness;
	l->resource = m.resource;
	l->strictness_repeated = m.strictness_repeated;
	l->resource_repeated = m.resource_repeated;
	return l;
}

static cf_mods mods_add(cf_mods m, int mod)
{
	if (mod == RESOURCE) {
		if (m.resource)
			m.resource_repeated = true;
		m.resource = true;
	} else {
		if (m.strictness != AST_STRICTNESS_DEFAULT)
			m.strictness_repeated = true;
		m.strictness = mod == STRICT ? AST_STRICT : AST_FLEXIBLE;
	}
	return m;
}

static ast_member *member_new(cf_parse_ctx *ctx, cf_attr_list attrs, cf_loc loc)
{
	ast_member *m = CF_NEW(ctx->arena, ast_member);
	m->attrs = attrs.head;
	m->loc = loc;
	return m;
}

/* Table and union ordinals: decimal or hex, as fidlc reads numbers. */
static uint64_t parse_ordinal(cf_parse_ctx *ctx, const char *text, cf_loc loc)
{
	char *end = NULL;
	unsigned long long v = 0;
	if (text[0] != '-') {
		errno = 0;
		v = strtoull(text, &end, 0);
	}
	if (text[0] == '-' || !end || *end || errno) {
		CF_CTX_REPORT(ctx, loc, CF_DIAG_INVALID_NUMBER, text);
		return 0;
	}
	return (uint64_t)v;
}

static ast_decl *decl_new(cf_parse_ctx *ctx, ast_decl_kind kind, cf_loc loc,
			  cf_attr_list attrs, const char *name, cf_loc name_loc)
{
	ast_decl *d = CF_NEW(ctx->arena, ast_decl);
	d->kind = kind;
	d->loc = loc;
	d->attrs = attrs.head;
	d->name = name;
	d->name_loc = name_loc;
	if (ctx->decl_tail)
		ctx->decl_tail->next = d;
	else
		ctx->file->decls = d;
	ctx->decl_tail = d;
	ctx->file->decl_count++;
	return d;
}

static void using_new(cf_parse_ctx *ctx, cf_loc loc, cf_attr_list attrs,
		      cf_name_b lib, const char *alias, cf_loc alias_loc)
{
	ast_using *u = CF_NEW(ctx->arena, ast_using);
	u->loc = loc;
	u->attrs = attrs.head;
	u->library = name_end(ctx, lib);
	u->alias = alias;
	u->alias_loc = alias_loc;
	if (ctx->using_tail)
		ctx->using_tail->next = u;
	else
		ctx->file->usings = u;
	ctx->using_tail = u;
}

static ast_method *method_new(cf_parse_ctx *ctx, const char *name, cf_loc loc)
{
	ast_method *m = CF_NEW(ctx->arena, ast_method);
	m->name = name;
	m->loc = loc;
	return m;
}

static ast_method *method_call(ast_method *m, ast_type *request,
			       cf_response resp)
{
	m->has_request = true;
	m->request = request;
	m->has_response = resp.has;
	m->response = resp.type;
	m->error = resp.error;
	return m;
}

static ast_method *method_event(ast_method *m, ast_type *payload)
{
	m->is_event = true;
	m->has_response = true;
	m->response = payload;
	return m;
}

static ast_method *method_finish(ast_method *m, cf_attr_list attrs,
				 ast_strictness strictness)
{
	if (m) {
		m->attrs = attrs.head;
		m->strictness = strictness;
	}
	return m;
}

static cf_proto_body proto_add_method(cf_proto_body b, ast_method *m)
{
	if (m) {
		if (b.mtail)
			b.mtail->next = m;
		else
			b.mhead = m;
		b.mtail = m;
	}
	return b;
}

static cf_proto_body proto_add_compose(cf_parse_ctx *ctx, cf_proto_body b,
				       cf_attr_list attrs, cf_loc loc,
				       cf_name_b name)
{
	ast_compose *c = CF_NEW(ctx->arena, ast_compose);
	c->loc = loc;
	c->attrs = attrs.head;
	c->protocol = name_end(ctx, name);
	if (b.ctail)
		b.ctail->next = c;
	else
		b.chead = c;
	b.ctail = c;
	return b;
}

static void protocol_decl(cf_parse_ctx *ctx, cf_loc loc, cf_attr_list attrs,
			  ast_openness openness, const char *name,
			  cf_loc name_loc, cf_proto_body body)
{
	ast_decl *d = decl_new(ctx, AST_DECL_PROTOCOL, loc, attrs, name,
			       name_loc);
	d->protocol = CF_NEW(ctx->arena, ast_protocol);
	d->protocol->openness = openness;
	d->protocol->composes = body.chead;
	d->protocol->methods = body.mhead;
}

static void layout_decl(cf_parse_ctx *ctx, cf_loc loc, cf_attr_list attrs,
			const char *name, cf_loc name_loc, ast_layout *layout)
{
	ast_decl *d = decl_new(ctx, AST_DECL_LAYOUT, loc, attrs, name,
			       name_loc);
	d->layout = layout;
}

/* Old parameter lists become the inline struct the new syntax spells out. */
static ast_type *params_struct(cf_parse_ctx *ctx, cf_loc loc,
			       cf_member_list params)
{
	ast_layout *l = layout_new(ctx, AST_LAYOUT_STRUCT, loc, params, NULL);
	return type_inline(ctx, l, loc);
}

/* Old unions could omit ordinals; they were positional. */
static void old_positional_ordinals(ast_layout *l)
{
	uint64_t i = 0;
	for (ast_member *m = l->members; m; m = m->next) {
		i++;
		if (!m->has_ordinal) {
			m->ordinal = i;
			m->has_ordinal = true;
			m->ordinal_loc = m->loc;
		}
	}
}

static void old_table_needs_ordinals(cf_parse_ctx *ctx, ast_layout *l)
{
	for (ast_member *m = l->members; m; m = m->next)
		if (!m->has_ordinal)
			CF_CTX_REPORT(ctx, m->loc, CF_DIAG_SYNTAX_ERROR,
				      "table member needs an ordinal, as in "
				      "'1: uint32 x;'");
}

static void check_deprecated_marker(cf_parse_ctx *ctx, const char *text,
				    cf_loc loc)
{
	if (strcmp(text, "deprecated_syntax"))
		CF_CTX_REPORT(ctx, loc, CF_DIAG_SYNTAX_ERROR,
			      "expected 'library'");
}
}

%union {
	const char *str;
	cf_lit lit;
	cf_name_b name;
	ast_const *cnst;
	ast_type *type;
	ast_layout *layout;
	cf_attr_list attrs;
	ast_attr *attr;
	cf_arg_list args;
	ast_attr_arg *arg;
	cf_member_list members;
	ast_member *member;
	cf_tparam_list tparams;
	ast_type_param *tparam;
	cf_constraint_list cons;
	cf_mods mods;
	int num;
	cf_proto_body proto;
	ast_method *method;
	cf_prop_list props;
	ast_property *prop;
	cf_response resp;
}

%token END 0 "end of file"
%token START_NEW "start of file"
%token START_OLD "start of old-syntax file"
%token <str> IDENT "identifier"
%token <str> NUMBER "number"
%token <lit> STRING "string literal"
%token ARROW "->"
%token <str> LIBRARY "library"
%token <str> USING "using"
%token <str> AS "as"
%token <str> CONST "const"
%token <str> ALIAS "alias"
%token <str> TYPE "type"
%token <str> STRUCT "struct"
%token <str> TABLE "table"
%token <str> UNION "union"
%token <str> XUNION "xunion"
%token <str> ENUM "enum"
%token <str> BITS "bits"
%token <str> PROTOCOL "protocol"
%token <str> INTERFACE "interface"
%token <str> COMPOSE "compose"
%token <str> STRICT "strict"
%token <str> FLEXIBLE "flexible"
%token <str> RESOURCE "resource"
%token <str> RESERVED "reserved"
%token <str> KW_ERROR "error"
%token <str> OPEN "open"
%token <str> AJAR "ajar"
%token <str> CLOSED "closed"
%token <str> RESOURCE_DEFINITION "resource_definition"
%token <str> PROPERTIES "properties"

%type <str> ident tident kw_ident
%type <name> compound_name type_name
%type <cnst> constant const_primary default_opt
%type <type> type_ctor named_type subtype_opt payload_opt
%type <type> error_opt old_type old_error_opt
%type <layout> layout_def layout_core
%type <attrs> new_attrs new_attrs_ne old_attrs old_attr_list
%type <attr> new_attr old_attr
%type <args> attr_args named_args
%type <arg> named_arg
%type <members> struct_block struct_members ord_block ord_members
%type <members> value_block value_members
%type <members> old_struct_block old_struct_members old_ord_block
%type <members> old_ord_members old_value_block old_value_members
%type <members> old_params old_param_list
%type <member> struct_member ord_member value_member
%type <member> old_struct_member old_ord_member old_value_member old_param
%type <tparams> tparams_opt tparam_list
%type <tparam> tparam
%type <cons> constraints_opt constraint_list
%type <mods> layout_mods old_mods
%type <num> layout_mod method_strictness openness
%type <proto> proto_block protocol_body old_proto_block old_proto_body
%type <method> method_core old_method
%type <props> properties
%type <prop> property
%type <resp> response_opt old_response_opt

%%

/* The empty file is spelled out so that the state after START_NEW reads
 * the next token before it reduces the empty attribute list: doc comments
 * are claimed there by the token that follows them. */
file
	: START_NEW new_file
	| START_NEW
	| START_OLD old_file
	;

/* ---------------------------------------------------------------------
 * Names, constants, attributes (shared)
 */

kw_ident
	: LIBRARY | USING | AS | CONST | ALIAS | TYPE | STRUCT | TABLE | UNION
	| XUNION | PROTOCOL | INTERFACE | COMPOSE | STRICT | FLEXIBLE
	| RESOURCE | RESERVED | KW_ERROR | OPEN | AJAR | CLOSED
	| RESOURCE_DEFINITION | PROPERTIES
	;

/* The first word of a type: any name but `enum` and `bits`, which start
 * an inline layout with a subtype (`enum : uint8 {`). */
tident
	: IDENT
	| kw_ident
	;

ident
	: tident
	| ENUM
	| BITS
	;

compound_name
	: ident			{ $$ = name_start(ctx, $1, LOC(@1)); }
	| compound_name '.' ident { $$ = name_add(ctx, $1, $3, LOC(@3)); }
	;

type_name
	: tident		{ $$ = name_start(ctx, $1, LOC(@1)); }
	| type_name '.' ident	{ $$ = name_add(ctx, $1, $3, LOC(@3)); }
	;

constant
	: const_primary
	| constant '|' const_primary {
		$$ = const_new(ctx, AST_CONST_OR, LOC(@1));
		$$->left = $1;
		$$->right = $3;
	}
	;

const_primary
	: NUMBER		{ $$ = const_number(ctx, $1, LOC(@1)); }
	| STRING		{ $$ = const_string(ctx, $1, LOC(@1)); }
	| compound_name		{ $$ = const_name(ctx, $1); }
	;

/* ---------------------------------------------------------------------
 * Current syntax
 */

new_file
	: new_library new_decls
	;

new_library
	: new_attrs LIBRARY compound_name ';' {
		ctx->library_seen = true;
		ctx->file->library_attrs = $1.head;
		ctx->file->library = name_end(ctx, $3);
	}
	;

/* Attribute lists; the empty one takes the doc comment in front of the
 * token that follows. */
new_attrs
	: %empty {
		$$.head = $$.tail = cf_ctx_claim_doc(ctx);
	}
	| new_attrs new_attr	{ $$ = $1; LIST_ADD($$, $2); }
	;

new_attrs_ne
	: new_attr		{ $$.head = $$.tail = $1; }
	| new_attrs_ne new_attr	{ $$ = $1; LIST_ADD($$, $2); }
	;

new_attr
	: '@' ident attr_args {
		$$ = CF_NEW(ctx->arena, ast_attr);
		$$->name = $2;
		$$->loc = LOC(@1);
		$$->args = $3.head;
	}
	;

attr_args
	: %empty		{ $$.head = $$.tail = NULL; }
	| '(' ')'		{ $$.head = $$.tail = NULL; }
	| '(' constant ')' {
		ast_attr_arg *a = CF_NEW(ctx->arena, ast_attr_arg);
		a->value = $2;
		a->loc = LOC(@2);
		$$.head = $$.tail = a;
	}
	| '(' named_args ')'	{ $$ = $2; }
	;

named_args
	: named_arg		{ $$.head = $$.tail = $1; }
	| named_args ',' named_arg { $$ = $1; LIST_ADD($$, $3); }
	;

named_arg
	: ident '=' constant {
		$$ = CF_NEW(ctx->arena, ast_attr_arg);
		$$->name = $1;
		$$->value = $3;
		$$->loc = LOC(@1);
	}
	;

new_decls
	: %empty
	| new_decls new_decl
	| new_decls error ';'
	;

new_decl
	: new_attrs TYPE ident '=' layout_def ';' {
		layout_decl(ctx, LOC(@2), $1, $3, LOC(@3), $5);
	}
	| new_attrs CONST ident type_ctor '=' constant ';' {
		ast_decl *d = decl_new(ctx, AST_DECL_CONST, LOC(@2), $1, $3,
				       LOC(@3));
		d->const_type = $4;
		d->const_value = $6;
	}
	| new_attrs ALIAS ident '=' type_ctor ';' {
		ast_decl *d = decl_new(ctx, AST_DECL_ALIAS, LOC(@2), $1, $3,
				       LOC(@3));
		d->alias_type = $5;
	}
	| new_attrs USING compound_name ';' {
		cf_loc none = {0};
		using_new(ctx, LOC(@2), $1, $3, NULL, none);
	}
	| new_attrs USING compound_name AS ident ';' {
		using_new(ctx, LOC(@2), $1, $3, $5, LOC(@5));
	}
	| new_attrs PROTOCOL ident proto_block ';' {
		protocol_decl(ctx, LOC(@2), $1, AST_OPENNESS_DEFAULT, $3,
			      LOC(@3), $4);
	}
	| new_attrs openness PROTOCOL ident proto_block ';' {
		protocol_decl(ctx, LOC(@2), $1, (ast_openness)$2, $4, LOC(@4),
			      $5);
	}
	| new_attrs RESOURCE_DEFINITION ident subtype_opt
	  '{' PROPERTIES '{' properties '}' ';' '}' ';' {
		ast_decl *d = decl_new(ctx, AST_DECL_RESOURCE, LOC(@2), $1, $3,
				       LOC(@3));
		d->resource_subtype = $4;
		d->properties = $8.head;
	}
	;

openness
	: OPEN			{ $$ = AST_OPEN; }
	| AJAR			{ $$ = AST_AJAR; }
	| CLOSED		{ $$ = AST_CLOSED; }
	;

properties
	: %empty		{ $$.head = $$.tail = NULL; }
	| properties property	{ $$ = $1; LIST_ADD($$, $2); }
	| properties error ';'	{ $$ = $1; }
	;

property
	: new_attrs ident type_ctor ';' {
		$$ = CF_NEW(ctx->arena, ast_property);
		$$->attrs = $1.head;
		$$->loc = LOC(@2);
		$$->name = $2;
		$$->type = $3;
	}
	;

/* Type constructors. */
type_ctor
	: named_type
	| layout_def		{ $$ = type_inline(ctx, $1, $1->loc); }
	| new_attrs_ne layout_def {
		$2->attrs = $1.head;
		$$ = type_inline(ctx, $2, $2->loc);
	}
	;

named_type
	: type_name tparams_opt constraints_opt {
		$$ = type_named(ctx, $1);
		$$->params = $2.head;
		$$->param_count = $2.count;
		$$->constraints = $3.head;
		$$->constraint_count = $3.count;
		$$->constraints_bracketed = $3.bracketed;
	}
	;

tparams_opt
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| '<' tparam_list '>'	{ $$ = $2; }
	;

tparam_list
	: tparam		{ $$.head = $$.tail = $1; $$.count = 1; }
	| tparam_list ',' tparam {
		$$ = $1;
		LIST_ADD($$, $3);
		$$.count++;
	}
	;

tparam
	: type_ctor {
		$$ = CF_NEW(ctx->arena, ast_type_param);
		$$->type = $1;
	}
	| NUMBER {
		$$ = CF_NEW(ctx->arena, ast_type_param);
		$$->value = const_number(ctx, $1, LOC(@1));
	}
	| STRING {
		$$ = CF_NEW(ctx->arena, ast_type_param);
		$$->value = const_string(ctx, $1, LOC(@1));
	}
	;

constraints_opt
	: %empty {
		$$.head = $$.tail = NULL;
		$$.count = 0;
		$$.bracketed = false;
	}
	| ':' constant {
		ast_constraint *c = CF_NEW(ctx->arena, ast_constraint);
		c->value = $2;
		$$.head = $$.tail = c;
		$$.count = 1;
		$$.bracketed = false;
	}
	| ':' '<' '>' {
		$$.head = $$.tail = NULL;
		$$.count = 0;
		$$.bracketed = true;
	}
	| ':' '<' constraint_list '>' { $$ = $3; }
	;

constraint_list
	: constant {
		ast_constraint *c = CF_NEW(ctx->arena, ast_constraint);
		c->value = $1;
		$$.head = $$.tail = c;
		$$.count = 1;
		$$.bracketed = true;
	}
	| constraint_list ',' constant {
		ast_constraint *c = CF_NEW(ctx->arena, ast_constraint);
		c->value = $3;
		$$ = $1;
		LIST_ADD($$, c);
		$$.count++;
	}
	;

/* Layouts, declared or inline. */
layout_def
	: layout_core
	| layout_mods layout_core { $$ = layout_mods($2, $1); }
	;

layout_mods
	: layout_mod {
		cf_mods m = {AST_STRICTNESS_DEFAULT, false, false, false};
		$$ = mods_add(m, $1);
	}
	| layout_mods layout_mod { $$ = mods_add($1, $2); }
	;

layout_mod
	: STRICT		{ $$ = STRICT; }
	| FLEXIBLE		{ $$ = FLEXIBLE; }
	| RESOURCE		{ $$ = RESOURCE; }
	;

layout_core
	: STRUCT struct_block {
		$$ = layout_new(ctx, AST_LAYOUT_STRUCT, LOC(@1), $2, NULL);
	}
	| TABLE ord_block {
		$$ = layout_new(ctx, AST_LAYOUT_TABLE, LOC(@1), $2, NULL);
	}
	| UNION ord_block {
		$$ = layout_new(ctx, AST_LAYOUT_UNION, LOC(@1), $2, NULL);
	}
	| ENUM subtype_opt value_block {
		$$ = layout_new(ctx, AST_LAYOUT_ENUM, LOC(@1), $3, $2);
	}
	| BITS subtype_opt value_block {
		$$ = layout_new(ctx, AST_LAYOUT_BITS, LOC(@1), $3, $2);
	}
	;

subtype_opt
	: %empty		{ $$ = NULL; }
	| ':' type_name		{ $$ = type_named(ctx, $2); }
	;

struct_block
	: '{' struct_members '}'	{ $$ = $2; }
	| '{' struct_members error '}'	{ $$ = $2; }
	;

struct_members
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| struct_members struct_member {
		$$ = $1;
		LIST_ADD($$, $2);
		$$.count++;
	}
	| struct_members error ';' { $$ = $1; }
	;

struct_member
	: new_attrs ident type_ctor default_opt ';' {
		$$ = member_new(ctx, $1, LOC(@2));
		$$->name = $2;
		$$->name_loc = LOC(@2);
		$$->type = $3;
		$$->value = $4;
	}
	;

default_opt
	: %empty		{ $$ = NULL; }
	| '=' constant		{ $$ = $2; }
	;

ord_block
	: '{' ord_members '}'		{ $$ = $2; }
	| '{' ord_members error '}'	{ $$ = $2; }
	;

ord_members
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| ord_members ord_member {
		$$ = $1;
		LIST_ADD($$, $2);
		$$.count++;
	}
	| ord_members error ';'	{ $$ = $1; }
	;

ord_member
	: new_attrs NUMBER ':' ident type_ctor ';' {
		$$ = member_new(ctx, $1, LOC(@2));
		$$->ordinal = parse_ordinal(ctx, $2, LOC(@2));
		$$->ordinal_loc = LOC(@2);
		$$->has_ordinal = true;
		$$->name = $4;
		$$->name_loc = LOC(@4);
		$$->type = $5;
	}
	| new_attrs NUMBER ':' RESERVED ';' {
		$$ = member_new(ctx, $1, LOC(@2));
		$$->ordinal = parse_ordinal(ctx, $2, LOC(@2));
		$$->ordinal_loc = LOC(@2);
		$$->has_ordinal = true;
		$$->reserved = true;
		$$->name_loc = LOC(@4);
	}
	;

value_block
	: '{' value_members '}'		{ $$ = $2; }
	| '{' value_members error '}'	{ $$ = $2; }
	;

value_members
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| value_members value_member {
		$$ = $1;
		LIST_ADD($$, $2);
		$$.count++;
	}
	| value_members error ';' { $$ = $1; }
	;

value_member
	: new_attrs ident '=' constant ';' {
		$$ = member_new(ctx, $1, LOC(@2));
		$$->name = $2;
		$$->name_loc = LOC(@2);
		$$->value = $4;
	}
	;

/* Protocols. */
proto_block
	: '{' protocol_body '}'		{ $$ = $2; }
	| '{' protocol_body error '}'	{ $$ = $2; }
	;

protocol_body
	: %empty {
		$$.chead = $$.ctail = NULL;
		$$.mhead = $$.mtail = NULL;
	}
	| protocol_body new_attrs COMPOSE compound_name ';' {
		$$ = proto_add_compose(ctx, $1, $2, LOC(@3), $4);
	}
	| protocol_body new_attrs method_core ';' {
		$$ = proto_add_method($1,
				      method_finish($3, $2,
						    AST_STRICTNESS_DEFAULT));
	}
	| protocol_body new_attrs method_strictness method_core ';' {
		$$ = proto_add_method($1,
				      method_finish($4, $2,
						    (ast_strictness)$3));
	}
	| protocol_body error ';' { $$ = $1; }
	;

method_strictness
	: STRICT		{ $$ = AST_STRICT; }
	| FLEXIBLE		{ $$ = AST_FLEXIBLE; }
	;

method_core
	: ident '(' payload_opt ')' response_opt {
		$$ = method_call(method_new(ctx, $1, LOC(@1)), $3, $5);
	}
	| ARROW ident '(' payload_opt ')' {
		$$ = method_event(method_new(ctx, $2, LOC(@2)), $4);
	}
	;

payload_opt
	: %empty		{ $$ = NULL; }
	| type_ctor
	;

response_opt
	: %empty {
		$$.has = false;
		$$.type = $$.error = NULL;
	}
	| ARROW '(' payload_opt ')' error_opt {
		$$.has = true;
		$$.type = $3;
		$$.error = $5;
	}
	;

error_opt
	: %empty		{ $$ = NULL; }
	| KW_ERROR type_ctor	{ $$ = $2; }
	;

/* ---------------------------------------------------------------------
 * 2018-2020 syntax
 */

old_file
	: old_library old_decls
	| IDENT ';' { check_deprecated_marker(ctx, $1, LOC(@1)); }
	  old_library old_decls
	;

old_library
	: old_attrs LIBRARY compound_name ';' {
		ctx->library_seen = true;
		ctx->file->library_attrs = $1.head;
		ctx->file->library = name_end(ctx, $3);
	}
	;

old_attrs
	: %empty {
		$$.head = $$.tail = cf_ctx_claim_doc(ctx);
	}
	| old_attrs '[' old_attr_list ']' {
		$$ = $1;
		if ($3.head) {
			if ($$.tail)
				$$.tail->next = $3.head;
			else
				$$.head = $3.head;
			$$.tail = $3.tail;
		}
	}
	;

old_attr_list
	: old_attr		{ $$.head = $$.tail = $1; }
	| old_attr_list ',' old_attr { $$ = $1; LIST_ADD($$, $3); }
	;

old_attr
	: ident {
		$$ = CF_NEW(ctx->arena, ast_attr);
		$$->name = $1;
		$$->loc = LOC(@1);
	}
	| ident '=' constant {
		ast_attr_arg *a = CF_NEW(ctx->arena, ast_attr_arg);
		a->value = $3;
		a->loc = LOC(@3);
		$$ = CF_NEW(ctx->arena, ast_attr);
		$$->name = $1;
		$$->loc = LOC(@1);
		$$->args = a;
	}
	;

old_decls
	: %empty
	| old_decls old_decl
	| old_decls error ';'
	;

old_mods
	: %empty {
		cf_mods m = {AST_STRICTNESS_DEFAULT, false, false, false};
		$$ = m;
	}
	| old_mods layout_mod	{ $$ = mods_add($1, $2); }
	;

old_decl
	: old_attrs old_mods STRUCT ident old_struct_block ';' {
		ast_layout *l = layout_new(ctx, AST_LAYOUT_STRUCT, LOC(@3), $5,
					   NULL);
		layout_decl(ctx, LOC(@3), $1, $4, LOC(@4), layout_mods(l, $2));
	}
	| old_attrs old_mods TABLE ident old_ord_block ';' {
		ast_layout *l = layout_new(ctx, AST_LAYOUT_TABLE, LOC(@3), $5,
					   NULL);
		old_table_needs_ordinals(ctx, l);
		layout_decl(ctx, LOC(@3), $1, $4, LOC(@4), layout_mods(l, $2));
	}
	| old_attrs old_mods UNION ident old_ord_block ';' {
		ast_layout *l = layout_new(ctx, AST_LAYOUT_UNION, LOC(@3), $5,
					   NULL);
		old_positional_ordinals(l);
		layout_decl(ctx, LOC(@3), $1, $4, LOC(@4), layout_mods(l, $2));
	}
	| old_attrs old_mods XUNION ident old_ord_block ';' {
		ast_layout *l = layout_new(ctx, AST_LAYOUT_UNION, LOC(@3), $5,
					   NULL);
		l->old_xunion = true;
		old_positional_ordinals(l);
		layout_decl(ctx, LOC(@3), $1, $4, LOC(@4), layout_mods(l, $2));
	}
	| old_attrs old_mods ENUM ident subtype_opt old_value_block ';' {
		ast_layout *l = layout_new(ctx, AST_LAYOUT_ENUM, LOC(@3), $6,
					   $5);
		layout_decl(ctx, LOC(@3), $1, $4, LOC(@4), layout_mods(l, $2));
	}
	| old_attrs old_mods BITS ident subtype_opt old_value_block ';' {
		ast_layout *l = layout_new(ctx, AST_LAYOUT_BITS, LOC(@3), $6,
					   $5);
		layout_decl(ctx, LOC(@3), $1, $4, LOC(@4), layout_mods(l, $2));
	}
	| old_attrs INTERFACE ident old_proto_block ';' {
		protocol_decl(ctx, LOC(@2), $1, AST_OPENNESS_DEFAULT, $3,
			      LOC(@3), $4);
	}
	| old_attrs PROTOCOL ident old_proto_block ';' {
		protocol_decl(ctx, LOC(@2), $1, AST_OPENNESS_DEFAULT, $3,
			      LOC(@3), $4);
	}
	| old_attrs CONST old_type ident '=' constant ';' {
		ast_decl *d = decl_new(ctx, AST_DECL_CONST, LOC(@2), $1, $4,
				       LOC(@4));
		d->const_type = $3;
		d->const_value = $6;
	}
	| old_attrs USING compound_name ';' {
		cf_loc none = {0};
		using_new(ctx, LOC(@2), $1, $3, NULL, none);
	}
	| old_attrs USING compound_name AS ident ';' {
		using_new(ctx, LOC(@2), $1, $3, $5, LOC(@5));
	}
	| old_attrs USING ident '=' old_type ';' {
		ast_decl *d = decl_new(ctx, AST_DECL_ALIAS, LOC(@2), $1, $3,
				       LOC(@3));
		d->alias_type = $5;
	}
	;

/* `T`, `vector<T>:N?`, `handle<vmo>`, `request<P>`, `array<T>:N`. */
old_type
	: compound_name {
		$$ = type_named(ctx, $1);
	}
	| compound_name '<' old_type '>' {
		$$ = type_named(ctx, $1);
		$$->params = CF_NEW(ctx->arena, ast_type_param);
		$$->params->type = $3;
		$$->param_count = 1;
	}
	| old_type ':' const_primary {
		$$ = $1;
		ast_constraint *c = CF_NEW(ctx->arena, ast_constraint);
		c->value = $3;
		c->next = $$->constraints;
		$$->constraints = c;
		$$->constraint_count = 1;
		if ($$->nullable || c->next)
			CF_CTX_REPORT(ctx, LOC(@2), CF_DIAG_SYNTAX_ERROR,
				      "unexpected ':' in type");
	}
	| old_type '?' {
		$$ = $1;
		if ($$->nullable)
			CF_CTX_REPORT(ctx, LOC(@2), CF_DIAG_SYNTAX_ERROR,
				      "'?' given twice");
		$$->nullable = true;
	}
	;

old_struct_block
	: '{' old_struct_members '}'		{ $$ = $2; }
	| '{' old_struct_members error '}'	{ $$ = $2; }
	;

old_struct_members
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| old_struct_members old_struct_member {
		$$ = $1;
		LIST_ADD($$, $2);
		$$.count++;
	}
	| old_struct_members error ';' { $$ = $1; }
	;

old_struct_member
	: old_attrs old_type ident default_opt ';' {
		$$ = member_new(ctx, $1, $2->loc);
		$$->type = $2;
		$$->name = $3;
		$$->name_loc = LOC(@3);
		$$->value = $4;
	}
	;

old_ord_block
	: '{' old_ord_members '}'		{ $$ = $2; }
	| '{' old_ord_members error '}'	{ $$ = $2; }
	;

old_ord_members
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| old_ord_members old_ord_member {
		$$ = $1;
		LIST_ADD($$, $2);
		$$.count++;
	}
	| old_ord_members error ';' { $$ = $1; }
	;

old_ord_member
	: old_attrs NUMBER ':' old_type ident ';' {
		$$ = member_new(ctx, $1, LOC(@2));
		$$->ordinal = parse_ordinal(ctx, $2, LOC(@2));
		$$->ordinal_loc = LOC(@2);
		$$->has_ordinal = true;
		$$->type = $4;
		$$->name = $5;
		$$->name_loc = LOC(@5);
	}
	| old_attrs NUMBER ':' RESERVED ';' {
		$$ = member_new(ctx, $1, LOC(@2));
		$$->ordinal = parse_ordinal(ctx, $2, LOC(@2));
		$$->ordinal_loc = LOC(@2);
		$$->has_ordinal = true;
		$$->reserved = true;
		$$->name_loc = LOC(@4);
	}
	| old_attrs old_type ident ';' {
		$$ = member_new(ctx, $1, $2->loc);
		$$->type = $2;
		$$->name = $3;
		$$->name_loc = LOC(@3);
	}
	;

old_value_block
	: '{' old_value_members '}'		{ $$ = $2; }
	| '{' old_value_members error '}'	{ $$ = $2; }
	;

old_value_members
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| old_value_members old_value_member {
		$$ = $1;
		LIST_ADD($$, $2);
		$$.count++;
	}
	| old_value_members error ';' { $$ = $1; }
	;

old_value_member
	: old_attrs ident '=' constant ';' {
		$$ = member_new(ctx, $1, LOC(@2));
		$$->name = $2;
		$$->name_loc = LOC(@2);
		$$->value = $4;
	}
	;

old_proto_block
	: '{' old_proto_body '}'		{ $$ = $2; }
	| '{' old_proto_body error '}'	{ $$ = $2; }
	;

old_proto_body
	: %empty {
		$$.chead = $$.ctail = NULL;
		$$.mhead = $$.mtail = NULL;
	}
	| old_proto_body old_attrs COMPOSE compound_name ';' {
		$$ = proto_add_compose(ctx, $1, $2, LOC(@3), $4);
	}
	| old_proto_body old_attrs old_method ';' {
		$$ = proto_add_method($1,
				      method_finish($3, $2,
						    AST_STRICTNESS_DEFAULT));
	}
	| old_proto_body old_attrs method_strictness old_method ';' {
		$$ = proto_add_method($1,
				      method_finish($4, $2,
						    (ast_strictness)$3));
	}
	| old_proto_body old_attrs NUMBER ':' old_method ';' {
		ast_method *m = method_finish($5, $2, AST_STRICTNESS_DEFAULT);
		m->has_explicit_ordinal = true;
		m->explicit_ordinal_loc = LOC(@3);
		CF_CTX_REPORT(ctx, LOC(@3), CF_DIAG_IGNORED_EXPLICIT_ORDINAL);
		$$ = proto_add_method($1, m);
	}
	| old_proto_body error ';' { $$ = $1; }
	;

old_method
	: ident '(' old_params ')' old_response_opt {
		ast_type *req = $3.head ? params_struct(ctx, LOC(@2), $3)
					: NULL;
		$$ = method_call(method_new(ctx, $1, LOC(@1)), req, $5);
	}
	| ARROW ident '(' old_params ')' {
		ast_type *p = $4.head ? params_struct(ctx, LOC(@3), $4) : NULL;
		$$ = method_event(method_new(ctx, $2, LOC(@2)), p);
	}
	;

old_response_opt
	: %empty {
		$$.has = false;
		$$.type = $$.error = NULL;
	}
	| ARROW '(' old_params ')' old_error_opt {
		$$.has = true;
		$$.type = $3.head ? params_struct(ctx, LOC(@2), $3) : NULL;
		$$.error = $5;
	}
	;

old_error_opt
	: %empty		{ $$ = NULL; }
	| KW_ERROR old_type	{ $$ = $2; }
	;

old_params
	: %empty		{ $$.head = $$.tail = NULL; $$.count = 0; }
	| old_param_list
	;

old_param_list
	: old_param		{ $$.head = $$.tail = $1; $$.count = 1; }
	| old_param_list ',' old_param {
		$$ = $1;
		LIST_ADD($$, $3);
		$$.count++;
	}
	;

old_param
	: old_attrs old_type ident {
		$$ = member_new(ctx, $1, $2->loc);
		$$->type = $2;
		$$->name = $3;
		$$->name_loc = LOC(@3);
	}
	;

%%

void cfyyerror(CFYYLTYPE *lloc, cf_parse_ctx *ctx, const char *msg)
{
	if (ctx->stop)
		return;
	CF_CTX_REPORT(ctx, LOC(*lloc), CF_DIAG_SYNTAX_ERROR, msg);
}

/* 'struct', ';', identifier: how a token kind reads in a message. */
static const char *token_name(yysymbol_kind_t kind, char buf[64])
{
	const char *n = yysymbol_name(kind);
	if (kind == YYSYMBOL_IDENT || kind == YYSYMBOL_NUMBER ||
	    kind == YYSYMBOL_STRING || kind == YYSYMBOL_YYEOF ||
	    kind == YYSYMBOL_START_NEW || kind == YYSYMBOL_START_OLD ||
	    n[0] == '\'')
		return n;
	snprintf(buf, 64, "'%s'", n);
	return buf;
}

enum { MAX_EXPECTED = 5 };

static bool has_symbol(const yysymbol_kind_t *set, int n, yysymbol_kind_t k)
{
	for (int i = 0; i < n; i++)
		if (set[i] == k)
			return true;
	return false;
}

/* A token of the other syntax where this one fails: say so rather than
 * list what was expected. Returns the construct's name, or NULL. */
static const char *other_syntax_construct(cf_parse_ctx *ctx,
					  yysymbol_kind_t found,
					  const yysymbol_kind_t *exp, int n)
{
	if (ctx->syntax == AST_SYNTAX_NEW) {
		if (found == YYTRANSLATE('[') && !has_symbol(exp, n, found))
			return "'[Attribute]'";
		if (found == YYTRANSLATE('?'))
			return "'T?'";
		if (has_symbol(exp, n, YYSYMBOL_TYPE) &&
		    (found == YYSYMBOL_STRUCT || found == YYSYMBOL_TABLE ||
		     found == YYSYMBOL_UNION || found == YYSYMBOL_XUNION ||
		     found == YYSYMBOL_ENUM || found == YYSYMBOL_BITS ||
		     found == YYSYMBOL_INTERFACE))
			return "a declaration without 'type NAME ='";
		return NULL;
	}
	if (found == YYTRANSLATE('@'))
		return "'@attribute'";
	if (has_symbol(exp, n, YYSYMBOL_STRUCT) &&
	    (found == YYSYMBOL_TYPE || found == YYSYMBOL_ALIAS ||
	     found == YYSYMBOL_OPEN || found == YYSYMBOL_AJAR ||
	     found == YYSYMBOL_CLOSED))
		return "a 'type', 'alias' or open/closed protocol declaration";
	return NULL;
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, cf_parse_ctx *ctx)
{
	if (ctx->stop)
		return 0;
	yysymbol_kind_t expected[YYNTOKENS];
	int n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
	yysymbol_kind_t found = yypcontext_token(yyctx);
	cf_loc loc = LOC(*yypcontext_location(yyctx));
	if (n < 0)
		n = 0;
	if (!ctx->library_seen && !ctx->library_token &&
	    has_symbol(expected, n, YYSYMBOL_LIBRARY)) {
		CF_CTX_REPORT(ctx, loc, CF_DIAG_MISSING_LIBRARY);
		ctx->stop = true;
		return 0;
	}
	const char *other = other_syntax_construct(ctx, found, expected, n);
	if (other) {
		CF_CTX_REPORT(ctx, loc, CF_DIAG_MIXED_SYNTAX, other,
			      ctx->syntax == AST_SYNTAX_NEW ? "current"
							    : "2018-2020");
		return 0;
	}
	char msg[400], fb[64], eb[64];
	size_t o = 0;
	if (n > 0 && n <= MAX_EXPECTED) {
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "expected ");
		for (int i = 0; i < n && o < sizeof(msg); i++) {
			const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
			o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s",
					      sep, token_name(expected[i], eb));
		}
		if (o < sizeof(msg))
			o += (size_t)snprintf(msg + o, sizeof(msg) - o,
					      ", found ");
	} else {
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "unexpected ");
	}
	if (o < sizeof(msg)) {
		if (found == YYSYMBOL_IDENT && ctx->last_ident)
			snprintf(msg + o, sizeof(msg) - o, "identifier '%.40s'",
				 ctx->last_ident);
		else
			snprintf(msg + o, sizeof(msg) - o, "%s",
				 token_name(found, fb));
	}
	CF_CTX_REPORT(ctx, loc, CF_DIAG_SYNTAX_ERROR, msg);
	return 0;
}

ast_file *cf_parse(const cf_source *src, cf_arena *arena, cf_diags *diags)
{
	cf_parse_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.src = src;
	ctx.arena = arena;
	ctx.diags = diags;
	ctx.syntax = cf_detect_syntax(src);
	ctx.file = CF_NEW(arena, ast_file);
	ctx.file->src = src;
	ctx.file->syntax = ctx.syntax;
	if (cf_lex_begin(&ctx)) {
		fputs("cfidl: out of memory\n", stderr);
		abort();
	}
	unsigned errors_before = diags->errors;
	cfyyparse(&ctx);
	cf_lex_end(&ctx);
	if (ctx.file->library.count == 0) {
		if (diags->errors == errors_before) {
			cf_loc start = {src, 1, 1};
			cf_report(diags, start, CF_DIAG_MISSING_LIBRARY);
		}
		return NULL;
	}
	return ctx.file;
}
