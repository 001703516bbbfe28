/* Builds resolved models by hand for unit tests of the passes after the
 * resolver (layout, ordinals, IR), so they do not depend on the parser. */
#ifndef CFIDL_TESTS_MODEL_BUILDER_H
#define CFIDL_TESTS_MODEL_BUILDER_H

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "model.h"

/* Members and methods per declaration (tests stay small). */
enum { MB_MAX_MEMBERS = 6 };

typedef struct mb {
	cf_arena arena;
	cf_library *lib;
	cf_model model;
} mb;

static inline void mb_init(mb *b, const char *lib_name)
{
	cf_arena_init(&b->arena);
	b->lib = CF_NEW(&b->arena, cf_library);
	b->lib->name = lib_name;
	b->lib->arena = &b->arena;
	b->lib->decls = CF_NEW_ARRAY(&b->arena, cf_decl *, 256);
	b->model.arena = &b->arena;
	b->model.libraries = CF_NEW_ARRAY(&b->arena, cf_library *, 4);
	b->model.libraries[0] = b->lib;
	b->model.library_count = 1;
}

static inline void mb_free(mb *b)
{
	cf_arena_destroy(&b->arena);
}

static inline cf_type *mb_prim(mb *b, cf_prim p)
{
	cf_type *t = CF_NEW(&b->arena, cf_type);
	t->kind = CF_TYPE_PRIMITIVE;
	t->prim = p;
	return t;
}

static inline cf_type *mb_string(mb *b, uint32_t max)
{
	cf_type *t = CF_NEW(&b->arena, cf_type);
	t->kind = CF_TYPE_STRING;
	t->max_count = max;
	return t;
}

static inline cf_type *mb_vector(mb *b, cf_type *elem, uint32_t max)
{
	cf_type *t = CF_NEW(&b->arena, cf_type);
	t->kind = CF_TYPE_VECTOR;
	t->element = elem;
	t->max_count = max;
	return t;
}

static inline cf_type *mb_array(mb *b, cf_type *elem, uint32_t count)
{
	cf_type *t = CF_NEW(&b->arena, cf_type);
	t->kind = CF_TYPE_ARRAY;
	t->element = elem;
	t->element_count = count;
	return t;
}

static inline cf_type *mb_handle(mb *b, uint32_t subtype, const char *name)
{
	cf_type *t = CF_NEW(&b->arena, cf_type);
	t->kind = CF_TYPE_HANDLE;
	t->handle_subtype = subtype;
	t->handle_subtype_name = name;
	t->handle_rights = CF_RIGHTS_SAME;
	t->handle_resource = "zx/Handle";
	t->resource = true;
	return t;
}

static inline cf_type *mb_endpoint(mb *b, cf_decl *proto, cf_endpoint_role r)
{
	cf_type *t = CF_NEW(&b->arena, cf_type);
	t->kind = CF_TYPE_ENDPOINT;
	t->decl = proto;
	t->role = r;
	t->resource = true;
	return t;
}

static inline cf_type *mb_ref(mb *b, cf_decl *d, bool nullable)
{
	cf_type *t = CF_NEW(&b->arena, cf_type);
	t->kind = CF_TYPE_DECL;
	t->decl = d;
	t->nullable = nullable;
	return t;
}

static inline cf_decl *mb_decl(mb *b, cf_decl_kind kind, const char *name)
{
	cf_decl *d = CF_NEW(&b->arena, cf_decl);
	d->kind = kind;
	d->library = b->lib;
	d->name = name;
	d->full_name = cf_arena_printf(&b->arena, "%s/%s", b->lib->name, name);
	d->members = CF_NEW_ARRAY(&b->arena, cf_member, MB_MAX_MEMBERS);
	d->methods = CF_NEW_ARRAY(&b->arena, cf_method, MB_MAX_MEMBERS);
	d->strict = true;
	b->lib->decls[b->lib->decl_count++] = d;
	return d;
}

/* Adds a member; for tables and unions the ordinal is 1, 2, 3... */
static inline cf_member *mb_member(mb *b, cf_decl *d, const char *name,
                                   cf_type *type)
{
	(void)b;
	if (d->member_count >= MB_MAX_MEMBERS)
		abort();
	cf_member *m = &d->members[d->member_count++];
	m->name = name;
	m->type = type;
	m->ordinal = d->member_count;
	m->loc.line = d->member_count + 1;
	m->loc.col = 5;
	return m;
}

static inline cf_method *mb_method(mb *b, cf_decl *proto, const char *name)
{
	(void)b;
	if (proto->method_count >= MB_MAX_MEMBERS)
		abort();
	cf_method *m = &proto->methods[proto->method_count++];
	m->name = name;
	m->strict = true;
	m->has_request = true;
	m->declared_in = proto;
	m->loc.line = proto->method_count + 1;
	m->loc.col = 5;
	return m;
}

/* @selector("value") on a method. */
static inline void mb_selector(mb *b, cf_method *m, const char *value)
{
	cf_attr *a = CF_NEW(&b->arena, cf_attr);
	a->name = "selector";
	a->args = CF_NEW(&b->arena, cf_attr_arg);
	a->arg_count = 1;
	a->args[0].name = "value";
	a->args[0].value.kind = CF_VALUE_STRING;
	a->args[0].value.str = value;
	a->args[0].value.str_len = (uint32_t)strlen(value);
	m->attrs.items = a;
	m->attrs.count = 1;
}

#endif
