/* Type constructors: builtins, declarations, aliases, handles through
 * resource_definition, endpoints, and their layout parameters and
 * constraints, in both syntaxes. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_internal.h"

cf_type *rs_new_type(cf_resolver *r, cf_type_kind kind)
{
	cf_type *t = CF_NEW(r->arena, cf_type);
	t->kind = kind;
	t->max_count = CF_UNBOUNDED;
	t->handle_rights = CF_RIGHTS_SAME;
	if (r->type_count == r->type_cap) {
		r->type_cap = r->type_cap ? 2 * r->type_cap : 256;
		cf_type **n = realloc(r->types, r->type_cap * sizeof(*n));
		if (!n)
			abort();
		r->types = n;
	}
	r->types[r->type_count++] = t;
	return t;
}

cf_type *rs_decl_type(cf_resolver *r, cf_decl *d)
{
	cf_type *t = rs_new_type(r, CF_TYPE_DECL);
	t->decl = d;
	return t;
}

bool rs_type_is_resource(const cf_type *t)
{
	for (; t; t = t->element) {
		switch (t->kind) {
		case CF_TYPE_HANDLE:
		case CF_TYPE_ENDPOINT:
			return true;
		case CF_TYPE_DECL:
			return t->decl && t->decl->resource;
		case CF_TYPE_VECTOR:
		case CF_TYPE_ARRAY:
			continue;
		default:
			return false;
		}
	}
	return false;
}

static const cf_type uint32_type = {.kind = CF_TYPE_PRIMITIVE,
                                    .prim = CF_PRIM_UINT32,
                                    .max_count = CF_UNBOUNDED,
                                    .handle_rights = CF_RIGHTS_SAME};

static bool invalid(cf_resolver *r, cf_loc loc, const char *what,
                    const char *why)
{
	rs_report(r, loc, CF_DIAG_INVALID_CONSTRAINT, what, why);
	return false;
}

static bool wrong_params(cf_resolver *r, const ast_type *t, const char *what,
                         unsigned want)
{
	rs_report(r, t->loc, CF_DIAG_WRONG_PARAMETER_COUNT, what, want,
	          t->param_count);
	return false;
}

/* A bound or size: a literal or the name of a constant, as uint32. */
static bool eval_count(cf_resolver *r, const rtctx *ctx, const ast_const *c,
                       uint32_t *out)
{
	cf_value v;
	if (!rs_eval_const(r, ctx->file, ctx->user, c, &uint32_type, &v))
		return false;
	*out = (uint32_t)v.u;
	return true;
}

/* Layout parameters are stored as types even when they name constants. */
static bool eval_count_param(cf_resolver *r, const rtctx *ctx,
                             const ast_type_param *p, uint32_t *out)
{
	if (p->value)
		return eval_count(r, ctx, p->value, out);
	if (!p->type || !p->type->name.count)
		return false;
	ast_const c;
	memset(&c, 0, sizeof(c));
	c.kind = AST_CONST_NAME;
	c.loc = p->type->loc;
	c.name = p->type->name;
	return eval_count(r, ctx, &c, out);
}

static cf_decl *find_full_name(cf_resolver *r, const char *full)
{
	const char *slash = strrchr(full, '/');
	if (!slash)
		return NULL;
	size_t n = (size_t)(slash - full);
	for (unsigned i = 0; i <= r->model->library_count; i++) {
		cf_library *lib = i < r->model->library_count
		                      ? r->model->libraries[i]
		                      : r->lib;
		if (strlen(lib->name) == n && strncmp(lib->name, full, n) == 0)
			return rs_lib_find(r, lib, slash + 1);
	}
	return NULL;
}

static char *upper(cf_resolver *r, const char *s)
{
	char *u = cf_arena_strdup(r->arena, s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static const cf_member *member_named(const cf_decl *d, const char *name)
{
	for (unsigned i = 0; d && i < d->member_count; i++)
		if (d->members[i].name && strcmp(d->members[i].name, name) == 0)
			return &d->members[i];
	return NULL;
}

static void set_subtype(cf_resolver *r, cf_type *t, const cf_member *m)
{
	t->handle_subtype = (uint32_t)m->value.u;
	t->handle_subtype_name = upper(r, m->name);
}

/* One constraint of a handle: [subtype, rights, optional] in that order,
 * each optional. *slot is the next position still open. */
static bool handle_constraint(cf_resolver *r, const rtctx *ctx, cf_type *t,
                              const ast_const *v, unsigned *slot,
                              const char *what)
{
	cf_decl *res =
	    t->handle_resource ? find_full_name(r, t->handle_resource) : NULL;
	if (res && !rs_ensure(r, res, v->loc))
		return false;
	cf_decl *sub = res ? res->subtype_enum : NULL;
	cf_decl *rights = res ? res->rights_bits : NULL;
	if (sub && !rs_ensure(r, sub, v->loc))
		return false;
	if (*slot == 0 && v->kind == AST_CONST_NAME && v->name.count >= 1) {
		const char *last = v->name.parts->text;
		if (!res) {
			uint32_t obj;
			if (v->name.count == 1 && rs_obj_type(last, &obj)) {
				t->handle_subtype = obj;
				t->handle_subtype_name = upper(r, last);
				*slot = 1;
				return true;
			}
		} else if (v->name.count == 1) {
			const cf_member *m = member_named(sub, last);
			if (m) {
				set_subtype(r, t, m);
				*slot = 1;
				return true;
			}
		} else {
			rlookup lk;
			if (!rs_lookup(r, ctx->file, &v->name, true, &lk))
				return false;
			if (lk.decl && lk.decl == sub && lk.member) {
				const cf_member *m =
				    member_named(sub, lk.member);
				if (!m) {
					rs_report(r, lk.member_loc,
					          CF_DIAG_UNKNOWN_MEMBER,
					          sub->full_name, lk.member);
					return false;
				}
				set_subtype(r, t, m);
				*slot = 1;
				return true;
			}
		}
	}
	if (*slot <= 1 && rights) {
		cf_type *want = rs_decl_type(r, rights);
		cf_value val;
		if (!rs_eval_const(r, ctx->file, ctx->user, v, want, &val))
			return false;
		t->handle_rights = (uint32_t)val.u;
		*slot = 2;
		return true;
	}
	if (*slot == 0 && !rights && v->kind == AST_CONST_NAME)
		return invalid(r, v->loc, what,
		               cf_arena_printf(r->arena,
		                               "unknown handle subtype '%s'",
		                               v->name.dotted));
	return invalid(r, v->loc, what, "unexpected handle constraint");
}

static bool endpoint_constraint(cf_resolver *r, const rtctx *ctx, cf_type *t,
                                const ast_const *v, const char *what)
{
	if (t->decl)
		return invalid(r, v->loc, what, "protocol given twice");
	if (v->kind != AST_CONST_NAME)
		return invalid(r, v->loc, what, "expected a protocol");
	rlookup lk;
	if (!rs_lookup(r, ctx->file, &v->name, false, &lk))
		return false;
	if (!lk.decl || lk.decl->kind != CF_DECL_PROTOCOL) {
		rs_report(r, v->loc, CF_DIAG_NOT_A_PROTOCOL, v->name.dotted);
		return false;
	}
	t->decl = lk.decl;
	return true;
}

static bool is_optional(const ast_const *v)
{
	return v->kind == AST_CONST_NAME && v->name.count == 1 &&
	       v->name.parts && strcmp(v->name.parts->text, "optional") == 0;
}

/* Applies t's constraints (after the first `skip`, which the caller
 * used) and its old-syntax `?` to base. */
static cf_type *constrain(cf_resolver *r, const rtctx *ctx, const ast_type *t,
                          cf_type *base, const char *what, unsigned skip,
                          bool needs_protocol)
{
	bool optional = t->nullable, ok = true;
	cf_loc opt_loc = t->loc;
	unsigned slot = 0, i = 0;
	for (ast_constraint *c = t->constraints; c; c = c->next, i++) {
		const ast_const *v = c->value;
		if (i < skip || !v)
			continue;
		if (is_optional(v)) {
			optional = true;
			opt_loc = v->loc;
			continue;
		}
		switch (base->kind) {
		case CF_TYPE_STRING:
		case CF_TYPE_VECTOR:
			if (base->max_count != CF_UNBOUNDED) {
				ok = invalid(r, v->loc, what,
				             "bound given twice");
				break;
			}
			ok = eval_count(r, ctx, v, &base->max_count);
			break;
		case CF_TYPE_HANDLE:
			ok = handle_constraint(r, ctx, base, v, &slot, what);
			break;
		case CF_TYPE_ENDPOINT:
			if (needs_protocol)
				ok = endpoint_constraint(r, ctx, base, v, what);
			else
				ok = invalid(r, v->loc, what,
				             "only `optional` is allowed");
			break;
		default:
			ok = invalid(r, v->loc, what,
			             "this type takes no constraints");
			break;
		}
		if (!ok)
			return NULL;
	}
	if (needs_protocol && !base->decl) {
		invalid(r, t->loc, what, "a protocol is required");
		return NULL;
	}
	if (!optional)
		return base;
	switch (base->kind) {
	case CF_TYPE_STRING:
	case CF_TYPE_VECTOR:
	case CF_TYPE_HANDLE:
	case CF_TYPE_ENDPOINT:
		base->nullable = true;
		return base;
	case CF_TYPE_DECL:
		if (base->decl->kind == CF_DECL_UNION || base->nullable ||
		    (base->decl->kind == CF_DECL_STRUCT && t->nullable)) {
			/* a union, a box, or the old syntax's `S?` */
			base->nullable = true;
			return base;
		}
		break;
	default:
		break;
	}
	rs_report(r, opt_loc, CF_DIAG_CANNOT_BE_OPTIONAL, what);
	return NULL;
}

static cf_type *from_decl(cf_resolver *r, const rtctx *ctx, const ast_type *t,
                          cf_decl *d)
{
	const char *what = t->name.dotted;
	if (t->param_count && d->kind != CF_DECL_RESOURCE) {
		wrong_params(r, t, what, 0);
		return NULL;
	}
	cf_type *base;
	switch (d->kind) {
	case CF_DECL_CONST:
		rs_report(r, t->loc, CF_DIAG_NOT_A_TYPE, what);
		return NULL;
	case CF_DECL_ALIAS:
		if (!rs_ensure(r, d, t->loc) || !d->alias_type)
			return NULL;
		base = rs_new_type(r, d->alias_type->kind);
		*base = *d->alias_type;
		base->from_alias = d->full_name;
		return constrain(r, ctx, t, base, what, 0, false);
	case CF_DECL_PROTOCOL:
		/* the old syntax's bare `P` is a client end */
		base = rs_new_type(r, CF_TYPE_ENDPOINT);
		base->role = CF_CLIENT_END;
		base->decl = d;
		return constrain(r, ctx, t, base, what, 0, false);
	case CF_DECL_RESOURCE:
		if (t->param_count) {
			wrong_params(r, t, what, 0);
			return NULL;
		}
		if (!rs_ensure(r, d, t->loc))
			return NULL;
		base = rs_new_type(r, CF_TYPE_HANDLE);
		base->handle_subtype_name = "NONE";
		base->handle_resource = d->full_name;
		return constrain(r, ctx, t, base, what, 0, false);
	default:
		base = rs_decl_type(r, d);
		return constrain(r, ctx, t, base, what, 0, false);
	}
}

static const ast_type *type_param(cf_resolver *r, const ast_type *t,
                                  const ast_type_param *p, const char *what)
{
	if (!p || !p->type) {
		invalid(r, p && p->value ? p->value->loc : t->loc, what,
		        "expected a type parameter");
		return NULL;
	}
	return p->type;
}

static cf_type *from_builtin(cf_resolver *r, const rtctx *ctx,
                             const ast_type *t, const rlookup *lk)
{
	const char *what = t->name.dotted;
	const ast_type_param *p = t->params;
	cf_type *base, *elem;
	const ast_type *pt;
	unsigned skip = 0;
	switch (lk->builtin) {
	case RB_PRIM:
	case RB_STRING:
		if (t->param_count)
			return wrong_params(r, t, what, 0), NULL;
		if (lk->builtin == RB_STRING)
			return constrain(r, ctx, t,
			                 rs_new_type(r, CF_TYPE_STRING), what,
			                 0, false);
		base = rs_new_type(r, CF_TYPE_PRIMITIVE);
		base->prim = lk->prim;
		return constrain(r, ctx, t, base, what, 0, false);
	case RB_VECTOR:
	case RB_BOX:
		if (t->param_count != 1)
			return wrong_params(r, t, what, 1), NULL;
		if (!(pt = type_param(r, t, p, what)))
			return NULL;
		if (!(elem = rs_resolve_type(r, ctx, pt)))
			return NULL;
		if (lk->builtin == RB_BOX) {
			if (elem->kind != CF_TYPE_DECL ||
			    elem->decl->kind != CF_DECL_STRUCT) {
				rs_report(r, pt->loc, CF_DIAG_INVALID_BOX,
				          rs_type_text(r, elem));
				return NULL;
			}
			elem->nullable = true;
			return constrain(r, ctx, t, elem, what, 0, false);
		}
		base = rs_new_type(r, CF_TYPE_VECTOR);
		base->element = elem;
		return constrain(r, ctx, t, base, what, 0, false);
	case RB_ARRAY: {
		bool old = t->param_count == 1 && t->constraint_count >= 1 &&
		           ctx->file->ast->syntax == AST_SYNTAX_OLD;
		if (t->param_count != 2 && !old)
			return wrong_params(r, t, what, 2), NULL;
		if (!(pt = type_param(r, t, p, what)))
			return NULL;
		if (!(elem = rs_resolve_type(r, ctx, pt)))
			return NULL;
		base = rs_new_type(r, CF_TYPE_ARRAY);
		base->element = elem;
		bool ok;
		if (old) {
			ok = t->constraints->value &&
			     eval_count(r, ctx, t->constraints->value,
			                &base->element_count);
			skip = 1;
		} else {
			ok = eval_count_param(r, ctx, p->next,
			                      &base->element_count);
		}
		if (!ok)
			return NULL;
		if (!base->element_count) {
			invalid(r, t->loc, what, "size must be at least 1");
			return NULL;
		}
		return constrain(r, ctx, t, base, what, skip, false);
	}
	case RB_CLIENT_END:
	case RB_SERVER_END:
		if (t->param_count)
			return wrong_params(r, t, what, 0), NULL;
		base = rs_new_type(r, CF_TYPE_ENDPOINT);
		base->role = lk->builtin == RB_CLIENT_END ? CF_CLIENT_END
		                                          : CF_SERVER_END;
		return constrain(r, ctx, t, base, what, 0, true);
	case RB_HANDLE:
		if (t->param_count > 1)
			return wrong_params(r, t, what, 1), NULL;
		base = rs_new_type(r, CF_TYPE_HANDLE);
		base->handle_subtype_name = "NONE";
		if (p) {
			/* old syntax handle<vmo> */
			if (!(pt = type_param(r, t, p, what)))
				return NULL;
			const char *sub =
			    pt->name.dotted ? pt->name.dotted : "?";
			if (!rs_obj_type(sub, &base->handle_subtype)) {
				invalid(r, pt->loc, what,
				        cf_arena_printf(
				            r->arena,
				            "unknown handle subtype '%s'",
				            sub));
				return NULL;
			}
			base->handle_subtype_name = upper(r, sub);
		}
		return constrain(r, ctx, t, base, what, 0, false);
	case RB_REQUEST: {
		if (t->param_count != 1)
			return wrong_params(r, t, what, 1), NULL;
		if (!(pt = type_param(r, t, p, what)))
			return NULL;
		rlookup plk;
		if (!rs_lookup(r, ctx->file, &pt->name, false, &plk))
			return NULL;
		if (!plk.decl || plk.decl->kind != CF_DECL_PROTOCOL) {
			rs_report(r, pt->loc, CF_DIAG_NOT_A_PROTOCOL,
			          pt->name.dotted);
			return NULL;
		}
		base = rs_new_type(r, CF_TYPE_ENDPOINT);
		base->role = CF_SERVER_END;
		base->decl = plk.decl;
		return constrain(r, ctx, t, base, what, 0, false);
	}
	case RB_MAX:
		rs_report(r, t->loc, CF_DIAG_NOT_A_TYPE, what);
		return NULL;
	case RB_NONE:
		break;
	}
	return NULL;
}

cf_type *rs_resolve_type(cf_resolver *r, const rtctx *ctx, const ast_type *t)
{
	if (!t)
		return NULL;
	if (t->inline_layout) {
		rdecl *child = cf_map_get(&r->inline_layouts, t->inline_layout);
		if (!child)
			return NULL;
		if (t->param_count) {
			wrong_params(r, t, child->d.name, 0);
			return NULL;
		}
		return constrain(r, ctx, t, rs_decl_type(r, &child->d),
		                 child->d.name, 0, false);
	}
	if (!t->name.count || !t->name.dotted)
		return NULL;
	rlookup lk;
	if (!rs_lookup(r, ctx->file, &t->name, false, &lk))
		return NULL;
	if (lk.decl)
		return from_decl(r, ctx, t, lk.decl);
	return from_builtin(r, ctx, t, &lk);
}
