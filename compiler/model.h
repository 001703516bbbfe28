/* The resolved model: what a FIDL library means. Names are bound, constants
 * evaluated, anonymous layouts named, `error` result unions synthesised,
 * composed methods flattened, shapes, offsets and ordinals computed.
 * Back ends (JSON IR, C) read this and nothing else: no AST pointer is
 * reachable from here. Everything lives in the model's arena. */
#ifndef CFIDL_COMPILER_MODEL_H
#define CFIDL_COMPILER_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "source.h"

#define CF_UNBOUNDED UINT32_MAX

/* Handle rights value meaning "the rights the handle already has". */
#define CF_RIGHTS_SAME 0x80000000u

typedef enum cf_prim {
	CF_PRIM_BOOL,
	CF_PRIM_INT8,
	CF_PRIM_INT16,
	CF_PRIM_INT32,
	CF_PRIM_INT64,
	CF_PRIM_UINT8,
	CF_PRIM_UINT16,
	CF_PRIM_UINT32,
	CF_PRIM_UINT64,
	CF_PRIM_FLOAT32,
	CF_PRIM_FLOAT64,
} cf_prim;

/* Wire format v2 type shape. depth and max_out_of_line are CF_UNBOUNDED for
 * unbounded or recursive types (fidlc prints UINT32_MAX the same way). */
typedef struct cf_shape {
	uint32_t inline_size;
	uint32_t alignment;
	uint32_t depth;
	uint32_t max_handles;
	uint32_t max_out_of_line;
	bool has_padding;
	bool has_flexible_envelope;
} cf_shape;

typedef enum cf_value_kind {
	CF_VALUE_NONE,
	CF_VALUE_BOOL,
	CF_VALUE_INT,  /* signed integer types */
	CF_VALUE_UINT, /* unsigned integer types, bits */
	CF_VALUE_FLOAT,
	CF_VALUE_STRING,
} cf_value_kind;

/* An evaluated constant, with how it was written. */
typedef struct cf_value {
	cf_value_kind kind;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
	const char *str; /* STRING: bytes (NUL-terminated; may hold NUL) */
	uint32_t str_len;
	/* The expression as written, e.g. "2", "\"x\"", "A | B". */
	const char *expression;
	/* When the expression is a single name: its fully qualified form,
	 * "lib/NAME" or "lib/Enum.MEMBER"; NULL for literals. */
	const char *identifier;
} cf_value;

typedef struct cf_attr_arg {
	const char *name; /* "value" for the single unnamed argument */
	cf_value value;
} cf_attr_arg;

typedef struct cf_attr {
	const char
	    *name; /* normalised to lower snake case: "doc", "selector" */
	cf_attr_arg *args;
	unsigned arg_count;
	cf_loc loc;
} cf_attr;

typedef struct cf_attrs {
	cf_attr *items;
	unsigned count;
} cf_attrs;

struct cf_decl;

typedef enum cf_type_kind {
	CF_TYPE_PRIMITIVE,
	CF_TYPE_STRING,
	CF_TYPE_VECTOR,
	CF_TYPE_ARRAY,
	CF_TYPE_HANDLE,
	CF_TYPE_ENDPOINT,
	CF_TYPE_DECL, /* a struct, table, union, enum or bits declaration */
	/* fidl.FrameworkErr, the int32 enum in flexible methods' results */
	CF_TYPE_FRAMEWORK_ERR,
} cf_type_kind;

typedef enum cf_endpoint_role { CF_CLIENT_END, CF_SERVER_END } cf_endpoint_role;

/* One use of a type, with its constraints. */
typedef struct cf_type {
	cf_type_kind kind;
	/* Optional: `string:optional`, `box<S>` / old `S?`, optional union,
	 * handle or endpoint. A struct type with nullable set is a box. */
	bool nullable;
	cf_prim prim;            /* PRIMITIVE */
	uint32_t max_count;      /* STRING, VECTOR: bound, or CF_UNBOUNDED */
	uint32_t element_count;  /* ARRAY */
	struct cf_type *element; /* VECTOR, ARRAY */
	/* HANDLE: zx_obj_type_t value (0 = any) and its zx name ("SOCKET");
	 * rights are CF_RIGHTS_SAME unless constrained. */
	uint32_t handle_subtype;
	const char *handle_subtype_name;
	uint32_t handle_rights;
	/* The resource_definition that declared the handle type, e.g.
	 * "zx/Handle"; NULL for the old syntax's builtin `handle`. */
	const char *handle_resource;
	cf_endpoint_role role; /* ENDPOINT */
	struct cf_decl *decl;  /* DECL: the layout; ENDPOINT: the protocol */
	/* When the type was named through an alias: "lib/Alias". */
	const char *from_alias;
	/* True when values of this type can hold handles. */
	bool resource;
	/* Wire shape of this use (filled in by the layout pass). */
	cf_shape shape;
} cf_type;

/* A member of a struct, table, union, enum or bits. */
typedef struct cf_member {
	const char *name; /* NULL for reserved table/union members */
	cf_loc loc;
	cf_attrs attrs;
	cf_type *type;    /* struct/table/union, NULL when reserved */
	uint64_t ordinal; /* table/union: 1.. */
	bool reserved;
	/* enum/bits: the member's value. struct: the default (kind NONE when
	 * there is none). */
	cf_value value;
	/* struct members (field_shape_v2) */
	uint32_t offset;
	uint32_t padding; /* bytes after this member, up to the next one */
} cf_member;

typedef enum cf_decl_kind {
	CF_DECL_CONST,
	CF_DECL_ALIAS,
	CF_DECL_STRUCT,
	CF_DECL_TABLE,
	CF_DECL_UNION,
	CF_DECL_ENUM,
	CF_DECL_BITS,
	CF_DECL_PROTOCOL,
	CF_DECL_RESOURCE, /* resource_definition, e.g. zx/Handle */
} cf_decl_kind;

typedef enum cf_openness { CF_OPEN, CF_AJAR, CF_CLOSED } cf_openness;

struct cf_library;

typedef struct cf_method {
	const char *name;
	cf_loc loc;
	cf_attrs attrs;
	/* RFC-0029 ordinal of "<library>/<Protocol>.<name>", or of the
	 * @selector. Filled in by the ordinal pass. */
	uint64_t ordinal;
	const char *selector; /* the string hashed */
	bool strict;
	/* Two-way: has_request && has_response. One-way: has_request only.
	 * Event: has_response only. */
	bool has_request;
	bool has_response;
	bool has_error;
	/* The payloads, as identifier types naming a struct, table or union;
	 * NULL for `()`. For a method with `error`, response_payload is the
	 * result union and success_payload its `response` variant. For an
	 * event, the payload is in response_payload. */
	cf_type *request_payload;
	cf_type *response_payload;
	cf_type *success_payload;
	cf_type *error_type;
	struct cf_decl *result_union;
	/* The protocol the method is declared in (differs when composed). */
	struct cf_decl *declared_in;
	bool composed;
} cf_method;

typedef struct cf_decl {
	cf_decl_kind kind;
	struct cf_library *library;
	const char *name;      /* "Addr" */
	const char *full_name; /* "fuchsia.hardware.vsock/Addr" */
	cf_loc loc;
	cf_attrs attrs;
	/* Synthesised from an inline layout, a parameter list, or `error`:
	 * naming_context lists the names it was derived from, outermost first
	 * (fidlc's "naming_context"), e.g. {"Device", "Start", "Request"}. */
	bool anonymous;
	const char **naming_context;
	unsigned naming_context_count;
	/* Role of a synthesised decl. */
	bool is_method_payload; /* a request, response or event payload */
	bool is_result_union;
	bool is_result_success; /* the success struct of an `error` method */

	/* STRUCT, TABLE, UNION, ENUM, BITS */
	bool strict; /* false = flexible; structs and tables are neither */
	bool resource;
	cf_member *members;
	unsigned member_count;
	cf_shape shape;
	/* ENUM, BITS */
	cf_type *subtype; /* a primitive */
	uint64_t bits_mask;
	/* flexible enums: the value used for unknown members (fidlc's
	 * maybe_unknown_value): @unknown member's value, else the type's max */
	cf_value unknown_value;

	/* CONST */
	cf_type *const_type;
	cf_value value;

	/* ALIAS */
	cf_type *alias_type;

	/* PROTOCOL: methods of its own first, then composed ones in compose
	 * order. */
	cf_openness openness;
	cf_method *methods;
	unsigned method_count;
	struct cf_decl **composed; /* directly composed protocols */
	unsigned composed_count;

	/* RESOURCE */
	cf_type *resource_subtype;
	struct cf_decl *subtype_enum; /* the `subtype` property's enum */
	struct cf_decl *rights_bits;  /* the `rights` property's bits */
} cf_decl;

typedef struct cf_library {
	const char *name; /* "fuchsia.vsock" */
	/* The model's arena, for passes that allocate (ordinal selectors);
	 * set by the resolver. */
	cf_arena *arena;
	cf_attrs attrs;
	/* Libraries named by `using`, in first-use order. */
	struct cf_library **deps;
	unsigned dep_count;
	/* Every declaration, including synthesised ones, in declaration order:
	 * a declaration comes after every declaration it needs inline (so a C
	 * back end can emit them in this order, forward-declaring only types
	 * reached through a pointer). */
	cf_decl **decls;
	unsigned decl_count;
	/* The source files, in command-line order. */
	const cf_source **files;
	unsigned file_count;
} cf_library;

/* Every library of one compilation, dependencies before their users; the
 * last one is the target library of the command. */
typedef struct cf_model {
	cf_arena *arena;
	cf_library **libraries;
	unsigned library_count;
} cf_model;

/* Helpers every pass and back end shares (model.c). */
const char *cf_prim_name(cf_prim prim); /* "uint32" */
uint32_t cf_prim_size(cf_prim prim);
bool cf_prim_is_signed(cf_prim prim);
bool cf_prim_is_integer(cf_prim prim);
bool cf_prim_is_float(cf_prim prim);
const char *cf_decl_kind_name(cf_decl_kind kind); /* "struct" */
/* Attribute lookup; names compare ignoring case and '_'. NULL if absent. */
const cf_attr *cf_attrs_find(const cf_attrs *attrs, const char *name);
/* The single or named argument's value, or NULL. */
const cf_value *cf_attr_find_arg(const cf_attr *attr, const char *name);
/* Finds a declaration by its short name in lib, or NULL. */
cf_decl *cf_library_find(const cf_library *lib, const char *name);

#endif
