/* Declaration bodies: consts, aliases, structs, tables, unions, enums,
 * bits and resource_definitions, their member rules, and resourceness. */
#include <stdlib.h>
#include <string.h>

#include "resolve_internal.h"

static cf_loc member_loc(const ast_member *m)
{
	return m->name_loc.line ? m->name_loc : m->loc;
}

/* Reports members whose names collide (canonically, as fidlc does). */
static void check_member_names(cf_resolver *r, rdecl *rd)
{
	size_t total = 0;
	for (unsigned i = 0; i < rd->d.member_count; i++)
		if (rd->d.members[i].name)
			total += 2 * strlen(rd->d.members[i].name) + 1;
	char *buf = malloc(total + 1), *p = buf;
	if (!buf)
		abort();
	cf_map seen;
	cf_map_init(&seen, true);
	for (unsigned i = 0; i < rd->d.member_count; i++) {
		cf_member *m = &rd->d.members[i];
		if (!m->name)
			continue;
		rs_canonical_into(m->name, p);
		if (cf_map_put(&seen, p, m) != m)
			rs_report(r, m->loc, CF_DIAG_DUPLICATE_MEMBER, m->name,
			          rd->d.full_name);
		p += strlen(p) + 1;
	}
	cf_map_free(&seen);
	free(buf);
}

static const char *strictness_word(ast_strictness s)
{
	return s == AST_STRICT ? "strict" : "flexible";
}

static void check_modifiers(cf_resolver *r, rdecl *rd, const ast_layout *l)
{
	const char *kind = cf_decl_kind_name(rd->d.kind);
	if (l->strictness_repeated)
		rs_report(r, l->loc, CF_DIAG_DUPLICATE_MODIFIER,
		          strictness_word(l->strictness));
	if (l->resource_repeated)
		rs_report(r, l->loc, CF_DIAG_DUPLICATE_MODIFIER, "resource");
	if (l->strictness != AST_STRICTNESS_DEFAULT &&
	    (l->kind == AST_LAYOUT_STRUCT || l->kind == AST_LAYOUT_TABLE))
		rs_report(r, l->loc, CF_DIAG_INVALID_MODIFIER,
		          strictness_word(l->strictness), kind);
	if (l->resource &&
	    (l->kind == AST_LAYOUT_ENUM || l->kind == AST_LAYOUT_BITS))
		rs_report(r, l->loc, CF_DIAG_INVALID_MODIFIER, "resource",
		          kind);
	/* New syntax: unions, enums and bits are flexible unless marked.
	 * Old syntax: `union`, enums and bits were strict; `xunion` not. */
	if (l->strictness != AST_STRICTNESS_DEFAULT)
		rd->d.strict = l->strictness == AST_STRICT;
	else if (rd_old(rd))
		rd->d.strict = !l->old_xunion;
	else
		rd->d.strict = false;
	if (l->kind == AST_LAYOUT_STRUCT || l->kind == AST_LAYOUT_TABLE)
		rd->d.strict = false;
	rd->d.resource = l->resource;
}

static unsigned count_members(const ast_layout *l)
{
	unsigned n = 0;
	for (const ast_member *m = l->members; m; m = m->next)
		n++;
	return n;
}

static void resolve_struct(cf_resolver *r, rdecl *rd, rfile *f)
{
	const ast_layout *l = rd->layout;
	rtctx ctx = {f, rd};
	rd->d.members = CF_NEW_ARRAY(r->arena, cf_member, count_members(l) + 1);
	for (const ast_member *m = l->members; m && !r->stopped; m = m->next) {
		if (!m->name)
			continue;
		cf_member *cm = &rd->d.members[rd->d.member_count++];
		cm->name = m->name;
		cm->loc = member_loc(m);
		rs_attrs(r, f, m->attrs, &cm->attrs);
		cm->type = rs_resolve_type(r, &ctx, m->type);
		if (m->value && cm->type)
			rs_eval_const(r, f, rd, m->value, cm->type, &cm->value);
	}
	check_member_names(r, rd);
}

static int by_ordinal(const void *a, const void *b)
{
	const cf_member *x = a, *y = b;
	if (x->ordinal != y->ordinal)
		return x->ordinal < y->ordinal ? -1 : 1;
	/* keep source order among equals: offset was set to the index */
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void resolve_ordinaled(cf_resolver *r, rdecl *rd, rfile *f)
{
	const ast_layout *l = rd->layout;
	bool table = rd->d.kind == CF_DECL_TABLE, bad = false;
	rtctx ctx = {f, rd};
	unsigned n = count_members(l);
	cf_loc *ord_locs = calloc(n + 1, sizeof(*ord_locs));
	if (!ord_locs)
		abort();
	rd->d.members = CF_NEW_ARRAY(r->arena, cf_member, n + 1);
	for (const ast_member *m = l->members; m && !r->stopped; m = m->next) {
		cf_member *cm = &rd->d.members[rd->d.member_count];
		cm->loc = member_loc(m);
		cm->ordinal = m->ordinal;
		cm->offset = rd->d.member_count; /* sort key, reset below */
		ord_locs[rd->d.member_count++] = m->ordinal_loc;
		rs_attrs(r, f, m->attrs, &cm->attrs);
		if (!m->has_ordinal) {
			rs_report(r, cm->loc, CF_DIAG_MISSING_ORDINAL,
			          m->name ? m->name : "reserved",
			          rd->d.full_name);
			bad = true;
		} else if (m->ordinal == 0 || (table && m->ordinal > 64)) {
			rs_report(r, m->ordinal_loc,
			          CF_DIAG_ORDINAL_OUT_OF_RANGE);
			bad = true;
		}
		if (m->reserved || !m->name) {
			cm->reserved = true;
			if (m->type)
				rs_report(r, m->type->loc,
				          CF_DIAG_DIVISION_OF_UNKNOWN);
			continue;
		}
		cm->name = m->name;
		cm->type = rs_resolve_type(r, &ctx, m->type);
		if (cm->type && cm->type->nullable &&
		    cm->type->kind != CF_TYPE_FRAMEWORK_ERR) {
			rs_report(r, m->type->loc, CF_DIAG_CANNOT_BE_OPTIONAL,
			          cf_arena_printf(r->arena, "%s member '%s'",
			                          table ? "table" : "union",
			                          m->name));
			cm->type = NULL;
		}
	}
	check_member_names(r, rd);
	cf_member *ms = rd->d.members;
	unsigned count = rd->d.member_count;
	/* report in source order, then sort by ordinal */
	for (unsigned i = 0; i < count && !bad; i++)
		for (unsigned j = 0; j < i; j++)
			if (ms[i].ordinal == ms[j].ordinal) {
				rs_report(r, ord_locs[i],
				          CF_DIAG_DUPLICATE_ORDINAL,
				          (unsigned long long)ms[i].ordinal,
				          rd->d.full_name);
				bad = true;
				break;
			}
	free(ord_locs);
	qsort(ms, count, sizeof(*ms), by_ordinal);
	bool any = false;
	for (unsigned i = 0; i < count; i++) {
		/* Gaps were an error until fidlc retired fi-0100; the
		 * conformance suite relies on them, so only the old syntax
		 * still insists on 1, 2, 3, ... */
		if (!bad && rd_old(rd) && ms[i].ordinal != i + 1) {
			rs_report(r, ms[i].loc, CF_DIAG_ORDINAL_NOT_DENSE,
			          rd->d.full_name, i + 1,
			          (unsigned)ms[i].ordinal);
			bad = true;
		}
		ms[i].offset = 0;
		any |= !ms[i].reserved;
	}
	if (!table && rd->d.strict && !any)
		rs_report(r, rd->layout->loc, CF_DIAG_EMPTY_STRICT_LAYOUT,
		          "union", rd->d.name);
}

static cf_type *prim_type(cf_resolver *r, cf_prim p)
{
	cf_type *t = rs_new_type(r, CF_TYPE_PRIMITIVE);
	t->prim = p;
	return t;
}

static void resolve_enum_bits(cf_resolver *r, rdecl *rd, rfile *f)
{
	const ast_layout *l = rd->layout;
	bool bits = rd->d.kind == CF_DECL_BITS;
	const char *kind = bits ? "bits" : "enum";
	rtctx ctx = {f, rd};
	cf_type *sub = l->subtype ? rs_resolve_type(r, &ctx, l->subtype)
	                          : prim_type(r, CF_PRIM_UINT32);
	if (sub &&
	    (sub->kind != CF_TYPE_PRIMITIVE || !cf_prim_is_integer(sub->prim) ||
	     (bits && cf_prim_is_signed(sub->prim)))) {
		rs_report(r, l->subtype->loc, CF_DIAG_INVALID_UNDERLYING_TYPE,
		          rs_type_text(r, sub), kind);
		sub = NULL;
	}
	rd->d.subtype = sub;
	rd->d.members = CF_NEW_ARRAY(r->arena, cf_member, count_members(l) + 1);
	for (const ast_member *m = l->members; m && !r->stopped; m = m->next) {
		if (!m->name)
			continue;
		cf_member *cm = &rd->d.members[rd->d.member_count++];
		cm->name = m->name;
		cm->loc = member_loc(m);
		rs_attrs(r, f, m->attrs, &cm->attrs);
		if (!sub || !rs_eval_const(r, f, rd, m->value, sub, &cm->value))
			continue;
		uint64_t v = cm->value.kind == CF_VALUE_INT
		                 ? (uint64_t)cm->value.i
		                 : cm->value.u;
		if (bits && (v == 0 || (v & (v - 1)))) {
			rs_report(r, cm->loc, CF_DIAG_BITS_NOT_POWER_OF_TWO,
			          cm->name);
			continue;
		}
		for (unsigned j = 0; j + 1 < rd->d.member_count; j++) {
			const cf_member *o = &rd->d.members[j];
			if (o->value.kind == CF_VALUE_NONE ||
			    o->value.i != cm->value.i ||
			    o->value.u != cm->value.u)
				continue;
			rs_report(r, cm->loc,
			          bits ? CF_DIAG_BITS_DUPLICATE_MASK
			               : CF_DIAG_DUPLICATE_MEMBER_VALUE,
			          cm->name, o->name);
			break;
		}
		if (bits)
			rd->d.bits_mask |= v;
	}
	check_member_names(r, rd);
	if (!rd->d.member_count && rd->d.strict)
		rs_report(r, l->loc, CF_DIAG_EMPTY_BITS_OR_ENUM, kind,
		          rd->d.name);
	if (bits || rd->d.strict || !sub)
		return;
	/* flexible enum: the @unknown member, else the subtype's maximum */
	for (unsigned i = 0; i < rd->d.member_count; i++) {
		if (cf_attrs_find(&rd->d.members[i].attrs, "unknown")) {
			rd->d.unknown_value = rd->d.members[i].value;
			return;
		}
	}
	unsigned w = cf_prim_size(sub->prim) * 8;
	if (cf_prim_is_signed(sub->prim)) {
		rd->d.unknown_value.kind = CF_VALUE_INT;
		rd->d.unknown_value.i = (int64_t)((1ull << (w - 1)) - 1);
	} else {
		rd->d.unknown_value.kind = CF_VALUE_UINT;
		rd->d.unknown_value.u = w == 64 ? UINT64_MAX : (1ull << w) - 1;
	}
}

static bool const_type_ok(const cf_type *t)
{
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		return true;
	case CF_TYPE_STRING:
		return !t->nullable;
	case CF_TYPE_DECL:
		return t->decl->kind == CF_DECL_ENUM ||
		       t->decl->kind == CF_DECL_BITS;
	default:
		return false;
	}
}

static void resolve_const(cf_resolver *r, rdecl *rd, rfile *f)
{
	rtctx ctx = {f, rd};
	cf_type *t = rs_resolve_type(r, &ctx, rd->ast->const_type);
	if (!t)
		return;
	if (!const_type_ok(t)) {
		rs_report(r, rd->ast->const_type->loc,
		          CF_DIAG_INVALID_CONSTANT_TYPE, rs_type_text(r, t));
		return;
	}
	rd->d.const_type = t;
	if (t->kind == CF_TYPE_DECL)
		rs_add_ref(r, rd, t->decl);
	rs_eval_const(r, f, rd, rd->ast->const_value, t, &rd->d.value);
}

static void resolve_resource(cf_resolver *r, rdecl *rd, rfile *f)
{
	const ast_decl *ad = rd->ast;
	rtctx ctx = {f, rd};
	cf_type *sub = ad->resource_subtype
	                   ? rs_resolve_type(r, &ctx, ad->resource_subtype)
	                   : prim_type(r, CF_PRIM_UINT32);
	if (sub &&
	    (sub->kind != CF_TYPE_PRIMITIVE || sub->prim != CF_PRIM_UINT32)) {
		rs_report(r, ad->resource_subtype->loc,
		          CF_DIAG_INVALID_UNDERLYING_TYPE, rs_type_text(r, sub),
		          "resource_definition");
		sub = NULL;
	}
	rd->d.resource_subtype = sub;
	for (const ast_property *p = ad->properties; p; p = p->next) {
		if (!p->name)
			continue;
		cf_type *t = rs_resolve_type(r, &ctx, p->type);
		if (!t)
			continue;
		bool is_sub = strcmp(p->name, "subtype") == 0;
		bool is_rights = strcmp(p->name, "rights") == 0;
		cf_decl_kind want = is_sub ? CF_DECL_ENUM : CF_DECL_BITS;
		if (!is_sub && !is_rights)
			continue;
		if (t->kind != CF_TYPE_DECL || t->decl->kind != want) {
			rs_report(r, p->type->loc,
			          CF_DIAG_INVALID_UNDERLYING_TYPE,
			          rs_type_text(r, t),
			          is_sub ? "the subtype property (an enum)"
			                 : "the rights property (bits)");
			continue;
		}
		if (is_sub)
			rd->d.subtype_enum = t->decl;
		else
			rd->d.rights_bits = t->decl;
		rs_add_ref(r, rd, t->decl);
	}
}

void rs_resolve_body(cf_resolver *r, rdecl *rd)
{
	rfile *f = rs_file(r, rd->file);
	if (rd->ast)
		rs_attrs(r, f, rd->ast->attrs, &rd->d.attrs);
	switch (rd->d.kind) {
	case CF_DECL_CONST:
		resolve_const(r, rd, f);
		break;
	case CF_DECL_ALIAS: {
		rtctx ctx = {f, rd};
		rd->d.alias_type =
		    rs_resolve_type(r, &ctx, rd->ast->alias_type);
		break;
	}
	case CF_DECL_STRUCT:
	case CF_DECL_TABLE:
	case CF_DECL_UNION:
	case CF_DECL_ENUM:
	case CF_DECL_BITS:
		if (!rd->layout)
			break; /* synthesised: filled by its protocol */
		check_modifiers(r, rd, rd->layout);
		if (rd->d.kind == CF_DECL_STRUCT)
			resolve_struct(r, rd, f);
		else if (rd->d.kind == CF_DECL_TABLE ||
		         rd->d.kind == CF_DECL_UNION)
			resolve_ordinaled(r, rd, f);
		else
			resolve_enum_bits(r, rd, f);
		break;
	case CF_DECL_PROTOCOL:
		rs_resolve_protocol(r, rd);
		break;
	case CF_DECL_RESOURCE:
		resolve_resource(r, rd, f);
		break;
	}
}

static bool is_layout(const rdecl *rd)
{
	return rd->d.kind == CF_DECL_STRUCT || rd->d.kind == CF_DECL_TABLE ||
	       rd->d.kind == CF_DECL_UNION;
}

static bool holds_resource(const cf_decl *d)
{
	for (unsigned i = 0; i < d->member_count; i++)
		if (rs_type_is_resource(d->members[i].type))
			return true;
	return false;
}

/* The old syntax has no `resource`: a layout is one when it holds a handle
 * (transitively, to a fixed point, so recursion terminates). The new
 * syntax says so explicitly, and saying nothing is an error there. */
void rs_resourceness(cf_resolver *r)
{
	for (bool changed = true; changed;) {
		changed = false;
		for (unsigned i = 0; i < r->decl_count; i++) {
			rdecl *rd = r->decls[i];
			if (!is_layout(rd) || !rd->infer_resource ||
			    rd->d.resource || !holds_resource(&rd->d))
				continue;
			rd->d.resource = true;
			changed = true;
		}
	}
	for (unsigned i = 0; i < r->decl_count && !r->stopped; i++) {
		rdecl *rd = r->decls[i];
		if (!is_layout(rd) || rd->infer_resource || rd->d.resource)
			continue;
		for (unsigned j = 0; j < rd->d.member_count; j++)
			if (rs_type_is_resource(rd->d.members[j].type))
				rs_report(r, rd->d.members[j].loc,
				          CF_DIAG_RESOURCE_REQUIRED,
				          rd->d.name);
	}
	for (size_t i = 0; i < r->type_count; i++)
		r->types[i]->resource = rs_type_is_resource(r->types[i]);
}
