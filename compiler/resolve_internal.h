/* Private state of the resolver, shared by resolve*.c. One cf_resolver
 * lives for one cf_resolve_library call; its tables are malloc'd and freed
 * at the end, while everything reachable from the model is in the model's
 * arena. */
#ifndef CFIDL_COMPILER_RESOLVE_INTERNAL_H
#define CFIDL_COMPILER_RESOLVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resolve.h"

/* Resolution deeper than this (const -> const -> ...) is reported instead
 * of risking the stack on hostile input. */
enum { CF_RESOLVE_MAX_DEPTH = 256 };

/* A string- or pointer-keyed hash map (open addressing, malloc'd). */
typedef struct cf_map_entry {
	const void *key; /* NULL = empty slot */
	void *value;
} cf_map_entry;

typedef struct cf_map {
	cf_map_entry *slots;
	size_t cap; /* power of two, 0 when nothing was inserted */
	size_t len;
	bool string_keys;
} cf_map;

void cf_map_init(cf_map *m, bool string_keys);
void cf_map_free(cf_map *m);
void *cf_map_get(const cf_map *m, const void *key);
/* Inserts key unless present; returns the value now stored for key. */
void *cf_map_put(cf_map *m, const void *key, void *value);

typedef enum rstate { RS_TODO, RS_BUSY, RS_DONE } rstate;

struct rdecl;

/* What a method needs from the declare phase: the synthesised decls. */
typedef struct rmethod {
	ast_method *ast;
	struct rdecl *result;        /* result union, or NULL */
	struct rdecl *empty_success; /* `-> () error T`: synthesised struct */
} rmethod;

/* The resolver's side of a declaration of the library being resolved. The
 * cf_decl comes first so that a cf_decl of this library converts back. */
typedef struct rdecl {
	cf_decl d;
	const ast_file *file; /* scope for names; NULL never */
	ast_decl *ast;        /* top-level declaration, NULL if synthesised */
	ast_layout *layout; /* STRUCT..BITS from source (top-level or inline) */
	struct rdecl *parent; /* the declaration whose text holds this one */
	unsigned index;       /* creation order */
	rstate state;
	rstate compose_state; /* protocols: flattening */
	bool duplicate;       /* lost a name collision: not in lib->decls */
	bool infer_resource; /* old syntax or synthesised: infer, don't check */
	/* protocols */
	rmethod *methods;
	unsigned method_count;
	cf_loc *compose_locs; /* parallel to d.composed */
	/* result unions: the method they belong to */
	struct rdecl *proto;
	rmethod *method;
	/* declarations this one refers to in constant values (order) */
	struct rdecl **refs;
	unsigned ref_count, ref_cap;
	/* order pass */
	rstate order_state;
} rdecl;

/* One `using` of one file. */
typedef struct rimport {
	const char *name; /* the alias, or the library's full name */
	cf_library *lib;
	cf_loc loc;
	bool used;
} rimport;

typedef struct rfile {
	const ast_file *ast;
	rimport *imports;
	unsigned import_count;
} rfile;

/* A library's declarations by name, for lookups into imported libraries. */
typedef struct rlibmap {
	cf_library *lib;
	cf_map names;
} rlibmap;

typedef struct cf_resolver {
	cf_model *model;
	cf_arena *arena;
	cf_diags *diags;
	cf_library *lib;
	rfile *files;
	unsigned file_count;
	/* every rdecl in creation order */
	rdecl **decls;
	unsigned decl_count, decl_cap;
	cf_map names;          /* exact name -> rdecl */
	cf_map inline_layouts; /* ast_layout * -> rdecl */
	rlibmap *libmaps;
	unsigned libmap_count;
	/* every cf_type made, to set `resource` once resourceness is known */
	cf_type **types;
	size_t type_count, type_cap;
	/* declarations being resolved, innermost last (cycle messages) */
	rdecl *stack[CF_RESOLVE_MAX_DEPTH];
	unsigned depth;
	bool stopped; /* the error limit was reached */
} cf_resolver;

/* Syntax of the file a declaration came from. */
static inline bool rd_old(const rdecl *rd)
{
	return rd->file->syntax == AST_SYNTAX_OLD;
}

/* The rdecl of d when d belongs to the library being resolved. */
static inline rdecl *rd_of(cf_resolver *r, cf_decl *d)
{
	return d && d->library == r->lib ? (rdecl *)d : NULL;
}

/* resolve.c */
/* cf_report, remembering when the error limit stops the run. */
#define rs_report(r, ...)                                                      \
	(cf_report((r)->diags, __VA_ARGS__) || ((r)->stopped = true, false))
rfile *rs_file(cf_resolver *r, const ast_file *f);
bool rs_ensure(cf_resolver *r, cf_decl *d, cf_loc use);
void rs_add_ref(cf_resolver *r, rdecl *from, cf_decl *to);
void rs_attrs(cf_resolver *r, rfile *f, ast_attr *in, cf_attrs *out);
const ast_attr *rs_find_ast_attr(ast_attr *attrs, const char *name);
/* `M()`: no payload (the old syntax writes an empty parameter list). */
bool rs_empty_payload(const rdecl *proto, const ast_type *t);

/* resolve_names.c */
typedef enum rbuiltin {
	RB_NONE,
	RB_PRIM,
	RB_STRING,
	RB_VECTOR,
	RB_ARRAY,
	RB_BOX,
	RB_CLIENT_END,
	RB_SERVER_END,
	RB_HANDLE,  /* the old syntax's builtin handle / handle<subtype> */
	RB_REQUEST, /* old request<P> */
	RB_MAX,     /* the constant MAX: `string:MAX`, `vector<T>:MAX` */
} rbuiltin;

typedef struct rlookup {
	cf_decl *decl; /* a declaration, or NULL for a builtin */
	rbuiltin builtin;
	cf_prim prim;       /* RB_PRIM */
	const char *member; /* `Enum.MEMBER`: the member part */
	cf_loc member_loc;
} rlookup;

char *rs_canonical(cf_arena *arena, const char *name);
/* Writes the canonical form into out (2 * strlen(name) + 1 bytes). */
void rs_canonical_into(const char *name, char *out);

char *rs_upper_camel(cf_arena *arena, const char *name);
bool rs_is_identifier(const char *s);
cf_decl *rs_lib_find(cf_resolver *r, cf_library *lib, const char *name);
/* Resolves a (possibly dotted) name. allow_member lets the last part name
 * an enum or bits member. Reports UNKNOWN_NAME and returns false when the
 * name means nothing. */
bool rs_lookup(cf_resolver *r, rfile *f, const ast_name *n, bool allow_member,
               rlookup *out);
bool rs_obj_type(const char *name, uint32_t *value); /* "vmo" -> 3 */

/* resolve_const.c */
/* Evaluates c as a value of type want (NULL: any literal, for attribute
 * arguments). Reports and returns false on errors. user gets a reference
 * to each declaration the value names. */
bool rs_eval_const(cf_resolver *r, rfile *f, rdecl *user, const ast_const *c,
                   const cf_type *want, cf_value *out);
char *rs_const_text(cf_resolver *r, const ast_const *c);
char *rs_type_text(cf_resolver *r, const cf_type *t);

/* resolve_type.c */
typedef struct rtctx {
	rfile *file;
	rdecl *user; /* the declaration the type is part of */
} rtctx;
cf_type *rs_new_type(cf_resolver *r, cf_type_kind kind);
cf_type *rs_resolve_type(cf_resolver *r, const rtctx *ctx, const ast_type *t);
cf_type *rs_decl_type(cf_resolver *r, cf_decl *d);
bool rs_type_is_resource(const cf_type *t);

/* resolve_layout.c */
void rs_resolve_body(cf_resolver *r, rdecl *rd);
void rs_resourceness(cf_resolver *r);

/* resolve_protocol.c */
void rs_resolve_protocol(cf_resolver *r, rdecl *rd);
bool rs_flatten_protocol(cf_resolver *r, rdecl *rd, cf_loc use);

/* resolve_order.c */
void rs_order(cf_resolver *r);

#endif
