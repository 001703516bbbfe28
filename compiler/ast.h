/* The syntax tree of one FIDL file, as written. Both syntaxes parse into
 * this one tree; what the old syntax spells differently is normalised here
 * (parameter lists become anonymous structs, `interface` becomes a protocol,
 * `[Attr]` becomes an attribute, `T?` becomes the optional flag).
 * Nothing here is resolved: names are text, constants are expressions.
 * All nodes live in the compilation's arena. Lists are singly linked through
 * `next`, in source order. */
#ifndef CFIDL_COMPILER_AST_H
#define CFIDL_COMPILER_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "source.h"

typedef enum ast_syntax { AST_SYNTAX_NEW, AST_SYNTAX_OLD } ast_syntax;

/* A dotted name: `zx.Handle`, `fuchsia.vsock`, `Foo`. */
typedef struct ast_name_part {
	const char *text;
	cf_loc loc;
	struct ast_name_part *next;
} ast_name_part;

typedef struct ast_name {
	ast_name_part *parts; /* at least one */
	unsigned count;
	const char *dotted; /* "a.b.c", for messages and lookups */
	cf_loc loc;
} ast_name;

/* Constant expressions: literals, names (`FOO`, `zx.Rights.READ`,
 * `MyEnum.A`) and `|` of them. */
typedef enum ast_const_kind {
	AST_CONST_NUMBER, /* text holds the literal as written */
	AST_CONST_STRING, /* text holds the decoded value, value_len its length
	                   */
	AST_CONST_TRUE,
	AST_CONST_FALSE,
	AST_CONST_NAME,
	AST_CONST_OR,
} ast_const_kind;

typedef struct ast_const {
	ast_const_kind kind;
	cf_loc loc;
	const char *text;  /* NUMBER: literal; STRING: decoded bytes */
	uint32_t text_len; /* STRING: decoded length (may hold NUL) */
	const char *raw;   /* STRING: the literal as written, quotes included */
	ast_name name;     /* NAME */
	struct ast_const *left, *right; /* OR */
} ast_const;

/* `@name`, `@name("x")`, `@name(a="x", b=2)`, old `[Name = "x"]`, and
 * doc comments, which become `@doc("...")` with the text after each `///`
 * and a newline per line, as fidlc does. Names are kept as written;
 * comparisons of attribute names ignore case and underscores. */
typedef struct ast_attr_arg {
	const char *name; /* NULL for the single unnamed argument */
	ast_const *value;
	cf_loc loc;
	struct ast_attr_arg *next;
} ast_attr_arg;

typedef struct ast_attr {
	const char *name;
	cf_loc loc;
	ast_attr_arg *args;
	bool is_doc_comment;
	struct ast_attr *next;
} ast_attr;

struct ast_layout;

/* A type constructor: `uint32`, `vector<T>:<10, optional>`, `array<T, 4>`,
 * `zx.Handle:<SOCKET, zx.Rights.READ>`, `client_end:P`, `box<S>`, an inline
 * layout `struct { ... }`, or old-syntax `vector<T>:10?`, `handle<vmo>?`,
 * `request<P>`, `array<T>:4`, `P` (a client end, resolved later).
 * Layout parameters can be types or constants (`array<T, N>`): the parser
 * stores each as a type whose name may turn out to be a constant, or as a
 * constant when it is a literal. */
typedef struct ast_type_param {
	struct ast_type *type; /* exactly one of type and value is set */
	ast_const *value;
	struct ast_type_param *next;
} ast_type_param;

typedef struct ast_constraint {
	ast_const *value; /* a name (`optional`, `SOCKET`, `P`) or expression */
	struct ast_constraint *next;
} ast_constraint;

typedef struct ast_type {
	cf_loc loc;
	ast_name name; /* count == 0 when inline_layout is set */
	struct ast_layout *inline_layout;
	ast_type_param *params;
	unsigned param_count;
	ast_constraint *constraints;
	unsigned constraint_count;
	/* `:<...>` was written with brackets (so `:<>` is a valid empty list).
	 */
	bool constraints_bracketed;
	/* Old syntax `T?`. The new syntax's `optional` stays a constraint. */
	bool nullable;
} ast_type;

typedef enum ast_layout_kind {
	AST_LAYOUT_STRUCT,
	AST_LAYOUT_TABLE,
	AST_LAYOUT_UNION,
	AST_LAYOUT_ENUM,
	AST_LAYOUT_BITS,
} ast_layout_kind;

typedef enum ast_strictness {
	AST_STRICTNESS_DEFAULT,
	AST_STRICT,
	AST_FLEXIBLE,
} ast_strictness;

typedef enum ast_openness {
	AST_OPENNESS_DEFAULT,
	AST_OPEN,
	AST_AJAR,
	AST_CLOSED,
} ast_openness;

/* A member of any layout:
 * - struct: name, type, optional default value;
 * - table/union: ordinal, then name + type or `reserved`;
 * - enum/bits: name = value. */
typedef struct ast_member {
	cf_loc loc;
	ast_attr *attrs;
	const char *name; /* NULL for a reserved table/union member */
	cf_loc name_loc;
	ast_type *type;
	ast_const *value; /* enum/bits value, or struct member default */
	uint64_t ordinal; /* table/union: 1.., as written; 0 for others */
	cf_loc ordinal_loc;
	bool has_ordinal;
	bool reserved;
	struct ast_member *next;
} ast_member;

typedef struct ast_layout {
	ast_layout_kind kind;
	cf_loc loc; /* the layout keyword */
	ast_strictness strictness;
	bool resource;
	bool strictness_repeated; /* `strict flexible`, for a diagnostic */
	bool resource_repeated;
	/* old `xunion` (always flexible) */
	bool old_xunion;
	/* Attributes written before an inline layout, e.g.
	 * `t @generated_name("X") table {...}`. A declared layout's attributes
	 * are on its ast_decl. */
	struct ast_attr *attrs;
	ast_type *subtype; /* enum/bits `: uint32`; NULL when absent */
	ast_member *members;
	unsigned member_count;
} ast_layout;

typedef struct ast_method {
	cf_loc loc;
	ast_attr *attrs;
	const char *name;
	ast_strictness strictness;
	bool is_event; /* `-> OnX(...)` */
	/* has_request: `M(...)` (false for events). A NULL request with
	 * has_request means `M()`. Old-syntax parameter lists arrive here as an
	 * inline struct layout. */
	bool has_request;
	ast_type *request;
	/* has_response: `-> (...)`. For events the payload is in response. */
	bool has_response;
	ast_type *response;
	ast_type *error;           /* `error T`; NULL when absent */
	bool has_explicit_ordinal; /* old `1: M(...)`; kept only to warn */
	cf_loc explicit_ordinal_loc;
	struct ast_method *next;
} ast_method;

typedef struct ast_compose {
	cf_loc loc;
	ast_attr *attrs;
	ast_name protocol;
	struct ast_compose *next;
} ast_compose;

typedef struct ast_protocol {
	ast_openness openness;
	ast_compose *composes;
	ast_method *methods;
} ast_protocol;

typedef enum ast_decl_kind {
	AST_DECL_CONST, /* const NAME T = value; (old: const T NAME = value;) */
	AST_DECL_ALIAS, /* alias NAME = T; (old: using NAME = T;) */
	AST_DECL_LAYOUT,   /* type NAME = layout; (old: struct NAME {...}) */
	AST_DECL_PROTOCOL, /* protocol / old interface */
	/* resource_definition NAME : T { properties { subtype E; rights R; };
	 * }; (how the zx library declares Handle) */
	AST_DECL_RESOURCE,
} ast_decl_kind;

typedef struct ast_property {
	cf_loc loc;
	ast_attr *attrs;
	const char *name;
	ast_type *type;
	struct ast_property *next;
} ast_property;

typedef struct ast_decl {
	ast_decl_kind kind;
	cf_loc loc; /* the declaration's keyword */
	ast_attr *attrs;
	const char *name;
	cf_loc name_loc;
	/* CONST */
	ast_type *const_type;
	ast_const *const_value;
	/* ALIAS */
	ast_type *alias_type;
	/* LAYOUT: the layout itself. `type X = Y;` with a non-layout right side
	 * is not FIDL and is rejected by the parser. */
	ast_layout *layout;
	/* PROTOCOL */
	ast_protocol *protocol;
	/* RESOURCE */
	ast_type *resource_subtype; /* `: uint32` */
	ast_property *properties;
	struct ast_decl *next;
} ast_decl;

typedef struct ast_using {
	cf_loc loc;
	ast_attr *attrs;
	ast_name library;
	const char *alias; /* `using a.b as c;`; NULL when absent */
	cf_loc alias_loc;
	struct ast_using *next;
} ast_using;

typedef struct ast_file {
	const cf_source *src;
	ast_syntax syntax;
	ast_attr *library_attrs;
	ast_name library;
	ast_using *usings;
	ast_decl *decls;
	unsigned decl_count;
} ast_file;

#endif
