/* The resolver's driver: the library and its files, `using`, declaring
 * every declaration (naming anonymous layouts and synthesising result
 * unions as fidlc does), lazy resolution with cycle detection, and the
 * passes after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_internal.h"

unsigned cf_file_dependencies(const ast_file *file, const char ***names_out,
                              cf_arena *arena)
{
	unsigned n = 0;
	*names_out = NULL;
	if (!file)
		return 0;
	for (const ast_using *u = file->usings; u; u = u->next)
		n++;
	if (!n)
		return 0;
	const char **names = CF_NEW_ARRAY(arena, const char *, n);
	unsigned k = 0;
	for (const ast_using *u = file->usings; u; u = u->next) {
		if (!u->library.dotted)
			continue;
		bool seen = false;
		for (unsigned i = 0; i < k && !seen; i++)
			seen = strcmp(names[i], u->library.dotted) == 0;
		if (!seen)
			names[k++] = u->library.dotted;
	}
	*names_out = names;
	return k;
}

/* --- naming contexts (fidlc's NamingContext, flattened eagerly) --- */

typedef struct nctx {
	const char **parts;
	unsigned count;
	const char *flat; /* the name a layout in this context gets */
} nctx;

static nctx ctx_push(cf_resolver *r, const nctx *c, const char *a,
                     const char *b)
{
	nctx n;
	n.count = c->count + 1 + (b != NULL);
	n.parts = CF_NEW_ARRAY(r->arena, const char *, n.count);
	for (unsigned i = 0; i < c->count; i++)
		n.parts[i] = c->parts[i];
	n.parts[c->count] = a;
	if (b)
		n.parts[c->count + 1] = b;
	n.flat = NULL;
	return n;
}

static nctx ctx_root(cf_resolver *r, const char *name)
{
	nctx empty = {NULL, 0, NULL};
	nctx c = ctx_push(r, &empty, name, NULL);
	c.flat = name;
	return c;
}

static nctx ctx_member(cf_resolver *r, const nctx *c, const char *member)
{
	nctx n = ctx_push(r, c, member, NULL);
	n.flat = rs_upper_camel(r->arena, member);
	return n;
}

/* Request, response and event payloads: "ProtocolMethodRequest". */
static nctx ctx_method(cf_resolver *r, const nctx *proto, const char *method,
                       const char *role)
{
	nctx n = ctx_push(r, proto, method, role);
	n.flat = cf_arena_printf(r->arena, "%s%s%s",
	                         rs_upper_camel(r->arena, proto->parts[0]),
	                         rs_upper_camel(r->arena, method), role);
	return n;
}

/* --- declarations --- */

static rdecl *new_rdecl(cf_resolver *r, cf_decl_kind kind, const char *name,
                        cf_loc loc, const ast_file *file, rdecl *parent)
{
	rdecl *rd = cf_arena_alloc(r->arena, sizeof(*rd));
	rd->d.kind = kind;
	rd->d.library = r->lib;
	rd->d.name = name;
	rd->d.full_name =
	    cf_arena_printf(r->arena, "%s/%s", r->lib->name, name);
	rd->d.loc = loc;
	rd->file = file;
	rd->parent = parent;
	rd->infer_resource = file->syntax == AST_SYNTAX_OLD;
	if (r->decl_count == r->decl_cap) {
		r->decl_cap = r->decl_cap ? 2 * r->decl_cap : 64;
		rdecl **n = realloc(r->decls, r->decl_cap * sizeof(*n));
		if (!n)
			abort();
		r->decls = n;
	}
	rd->index = r->decl_count;
	r->decls[r->decl_count++] = rd;
	return rd;
}

static void set_context(rdecl *rd, const nctx *c)
{
	rd->d.naming_context = c->parts;
	rd->d.naming_context_count = c->count;
}

static const char *loc_text(cf_resolver *r, cf_loc loc)
{
	if (!loc.src)
		return "<builtin>";
	return cf_arena_printf(r->arena, "%s:%u:%u", loc.src->path, loc.line,
	                       loc.col);
}

/* Makes rd findable by name, or reports the collision. fidlc also makes
 * `FooBar` and `FOO_BAR` collide (canonical names); we compare exactly,
 * because our zx library offers `Handle` and `handle`, `Status` and
 * `status` side by side for the seed protocols' older spellings. Members
 * and methods do use the canonical rule. */
static void register_decl(cf_resolver *r, rdecl *rd)
{
	rdecl *old = cf_map_get(&r->names, rd->d.name);
	if (old) {
		rd->duplicate = true;
		if (rd->d.anonymous)
			rs_report(r, rd->d.loc,
			          CF_DIAG_NAME_COLLISION_ANONYMOUS, rd->d.name);
		else
			rs_report(r, rd->d.loc, CF_DIAG_DUPLICATE_DECLARATION,
			          rd->d.name, loc_text(r, old->d.loc));
		return;
	}
	cf_map_put(&r->names, rd->d.name, rd);
}

static cf_decl_kind layout_decl_kind(ast_layout_kind k)
{
	switch (k) {
	case AST_LAYOUT_STRUCT:
		return CF_DECL_STRUCT;
	case AST_LAYOUT_TABLE:
		return CF_DECL_TABLE;
	case AST_LAYOUT_UNION:
		return CF_DECL_UNION;
	case AST_LAYOUT_ENUM:
		return CF_DECL_ENUM;
	case AST_LAYOUT_BITS:
		return CF_DECL_BITS;
	}
	return CF_DECL_STRUCT;
}

static void declare_top(cf_resolver *r, rfile *f, ast_decl *ad)
{
	cf_decl_kind kind;
	if (!ad->name)
		return;
	switch (ad->kind) {
	case AST_DECL_CONST:
		kind = CF_DECL_CONST;
		break;
	case AST_DECL_ALIAS:
		kind = CF_DECL_ALIAS;
		break;
	case AST_DECL_LAYOUT:
		if (!ad->layout)
			return;
		kind = layout_decl_kind(ad->layout->kind);
		break;
	case AST_DECL_PROTOCOL:
		if (!ad->protocol)
			return;
		kind = CF_DECL_PROTOCOL;
		break;
	case AST_DECL_RESOURCE:
		kind = CF_DECL_RESOURCE;
		break;
	default:
		return;
	}
	rdecl *rd = new_rdecl(r, kind, ad->name, ad->name_loc, f->ast, NULL);
	rd->ast = ad;
	if (ad->kind == AST_DECL_LAYOUT)
		rd->layout = ad->layout;
	nctx c = ctx_root(r, ad->name);
	set_context(rd, &c);
	register_decl(r, rd);
}

const ast_attr *rs_find_ast_attr(ast_attr *attrs, const char *name)
{
	for (ast_attr *a = attrs; a; a = a->next) {
		if (a->is_doc_comment || !a->name)
			continue;
		const char *x = a->name, *y = name;
		for (;;) {
			while (*x == '_')
				x++;
			while (*y == '_')
				y++;
			if (!*x || !*y)
				break;
			if ((*x | 0x20) != (*y | 0x20))
				break;
			x++;
			y++;
		}
		if (!*x && !*y)
			return a;
	}
	return NULL;
}

/* @generated_name("X") replaces the name an inline layout gets. */
static const char *generated_name(cf_resolver *r, ast_attr *attrs,
                                  const char *dflt)
{
	const ast_attr *a = rs_find_ast_attr(attrs, "generated_name");
	if (!a)
		return dflt;
	const ast_attr_arg *arg = a->args;
	if (!arg || arg->next || !arg->value ||
	    arg->value->kind != AST_CONST_STRING ||
	    !rs_is_identifier(arg->value->text)) {
		rs_report(r, a->loc, CF_DIAG_UNKNOWN_ATTRIBUTE_ARG, a->name,
		          "needs one string argument that is an identifier");
		return dflt;
	}
	return arg->value->text;
}

static void walk_layout(cf_resolver *r, rdecl *owner, ast_layout *l,
                        const nctx *c);

/* Declares the inline layouts of a type constructor. */
static rdecl *walk_type(cf_resolver *r, rdecl *parent, ast_type *t,
                        const nctx *c, ast_attr *attrs)
{
	if (!t)
		return NULL;
	rdecl *child = NULL;
	if (t->inline_layout) {
		ast_layout *l = t->inline_layout;
		const char *name = generated_name(
		    r, l->attrs, generated_name(r, attrs, c->flat));
		child = new_rdecl(r, layout_decl_kind(l->kind), name, l->loc,
		                  parent->file, parent);
		child->layout = l;
		child->d.anonymous = true;
		set_context(child, c);
		register_decl(r, child);
		cf_map_put(&r->inline_layouts, l, child);
		walk_layout(r, child, l, c);
	}
	for (ast_type_param *p = t->params; p; p = p->next)
		walk_type(r, parent, p->type, c, NULL);
	return child;
}

/* Whether t holds an inline layout, so that naming contexts are only
 * built where a name will be derived from them. */
static bool has_inline(const ast_type *t)
{
	if (!t)
		return false;
	if (t->inline_layout)
		return true;
	for (const ast_type_param *p = t->params; p; p = p->next)
		if (has_inline(p->type))
			return true;
	return false;
}

static void walk_layout(cf_resolver *r, rdecl *owner, ast_layout *l,
                        const nctx *c)
{
	walk_type(r, owner, l->subtype, c, NULL);
	for (ast_member *m = l->members; m; m = m->next) {
		if (!m->name || !has_inline(m->type))
			continue;

		nctx mc = ctx_member(r, c, m->name);
		walk_type(r, owner, m->type, &mc, m->attrs);
	}
}

/* `M()` has no payload; the old syntax spells it as an empty list. */
bool rs_empty_payload(const rdecl *proto, const ast_type *t)
{
	if (!t)
		return true;
	const ast_layout *l = t->inline_layout;
	return l && rd_old(proto) && l->kind == AST_LAYOUT_STRUCT &&
	       !l->members;
}

static void mark_payload(rdecl *d, bool success)
{
	if (!d)
		return;
	d->d.is_method_payload = !success;
	d->d.is_result_success = success;
}

static void declare_methods(cf_resolver *r, rdecl *rd, const nctx *pc)
{
	unsigned n = 0;
	for (ast_method *m = rd->ast->protocol->methods; m; m = m->next)
		n++;
	rd->methods = CF_NEW_ARRAY(r->arena, rmethod, n ? n : 1);
	rd->method_count = n;
	unsigned i = 0;
	for (ast_method *m = rd->ast->protocol->methods; m; m = m->next) {
		rmethod *rm = &rd->methods[i++];
		rm->ast = m;
		if (!m->name)
			continue;
		if (m->has_request && !rs_empty_payload(rd, m->request)) {
			nctx qc = ctx_method(r, pc, m->name, "Request");
			mark_payload(walk_type(r, rd, m->request, &qc, NULL),
			             false);
		}
		if (!m->has_response)
			continue;
		bool two_way = m->has_request;
		/* fidlc: an event's payload is a request from the server */
		nctx rc = ctx_method(r, pc, m->name,
		                     two_way ? "Response" : "Request");
		bool flexible = m->strictness == AST_FLEXIBLE;
		if (!m->error && !(two_way && flexible)) {
			if (!rs_empty_payload(rd, m->response))
				mark_payload(
				    walk_type(r, rd, m->response, &rc, NULL),
				    false);
			continue;
		}
		/* P_M_Result { 1: response P_M_Response; 2: err;
		 * 3: framework_err }: the names predate anonymous layouts. */
		rdecl *u = new_rdecl(r, CF_DECL_UNION,
		                     cf_arena_printf(r->arena, "%s_%s_Result",
		                                     rd->d.name, m->name),
		                     m->loc, rd->file, rd);
		u->d.anonymous = true;
		u->d.is_result_union = true;
		u->d.is_method_payload = true;
		u->d.strict = true;
		u->infer_resource = true; /* fidlc leaves it to inference */
		u->proto = rd;
		u->method = rm;
		set_context(u, &rc);
		register_decl(r, u);
		rm->result = u;
		nctx sc = ctx_member(r, &rc, "response");
		sc.flat = cf_arena_printf(r->arena, "%s_%s_Response",
		                          rd->d.name, m->name);
		if (rs_empty_payload(rd, m->response)) {
			rdecl *s = new_rdecl(r, CF_DECL_STRUCT, sc.flat, m->loc,
			                     rd->file, u);
			s->d.anonymous = true;
			s->d.is_result_success = true;
			s->infer_resource = false;
			set_context(s, &sc);
			register_decl(r, s);
			rm->empty_success = s;
		} else {
			mark_payload(walk_type(r, rd, m->response, &sc, NULL),
			             true);
		}
		if (m->error) {
			nctx ec = ctx_member(r, &rc, "err");
			ec.flat = cf_arena_printf(r->arena, "%s_%s_Error",
			                          rd->d.name, m->name);
			walk_type(r, rd, m->error, &ec, NULL);
		}
	}
}

static void declare_nested(cf_resolver *r, rdecl *rd)
{
	ast_decl *ad = rd->ast;
	nctx c = {(const char **)rd->d.naming_context,
	          rd->d.naming_context_count, rd->d.name};
	switch (ad->kind) {
	case AST_DECL_LAYOUT:
		walk_layout(r, rd, ad->layout, &c);
		break;
	case AST_DECL_CONST:
		walk_type(r, rd, ad->const_type, &c, NULL);
		break;
	case AST_DECL_ALIAS:
		walk_type(r, rd, ad->alias_type, &c, NULL);
		break;
	case AST_DECL_RESOURCE:
		walk_type(r, rd, ad->resource_subtype, &c, NULL);
		for (ast_property *p = ad->properties; p; p = p->next) {
			if (!p->name)
				continue;
			nctx pc = ctx_member(r, &c, p->name);
			walk_type(r, rd, p->type, &pc, p->attrs);
		}
		break;
	case AST_DECL_PROTOCOL:
		declare_methods(r, rd, &c);
		break;
	}
}

/* --- attributes --- */

/* fidlc's lower_snake_case of an attribute name: `ForDeprecatedCBindings`
 * becomes `for_deprecated_c_bindings`. */
static char *lower_snake(cf_arena *arena, const char *name)
{
	char *camel = rs_upper_camel(arena, name);
	size_t n = strlen(camel);
	char *out = cf_arena_alloc(arena, 2 * n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = camel[i];
		if (ch >= 'A' && ch <= 'Z') {
			if (o && out[o - 1] != '_')
				out[o++] = '_';
			ch = (char)(ch - 'A' + 'a');
		}
		out[o++] = ch;
	}
	out[o] = 0;
	return out;
}

static void attr_value(cf_resolver *r, rfile *f, const ast_const *c,
                       cf_value *v)
{
	memset(v, 0, sizeof(*v));
	if (!c)
		return;
	if (c->kind == AST_CONST_NAME) {
		/* Names stay as written: fidlc resolves them only for a
		 * few attributes, none of which we interpret. */
		v->kind = CF_VALUE_STRING;
		v->str = c->name.dotted ? c->name.dotted : "";
		v->str_len = (uint32_t)strlen(v->str);
		v->expression = v->str;
		return;
	}
	if (!rs_eval_const(r, f, NULL, c, NULL, v))
		memset(v, 0, sizeof(*v));
}

void rs_attrs(cf_resolver *r, rfile *f, ast_attr *in, cf_attrs *out)
{
	unsigned n = 0;
	for (ast_attr *a = in; a; a = a->next)
		n++;
	if (!n)
		return;
	cf_attr *items = CF_NEW_ARRAY(r->arena, cf_attr, out->count + n);
	if (out->count)
		memcpy(items, out->items, out->count * sizeof(*items));
	unsigned k = out->count;
	for (ast_attr *a = in; a; a = a->next) {
		cf_attr *x = &items[k];
		x->name = a->is_doc_comment || !a->name
		              ? "doc"
		              : lower_snake(r->arena, a->name);
		x->loc = a->loc;
		bool dup = false;
		for (unsigned i = 0; i < k && !a->is_doc_comment; i++)
			if (strcmp(items[i].name, x->name) == 0)
				dup = true;
		if (dup) {
			rs_report(r, a->loc, CF_DIAG_DUPLICATE_ATTRIBUTE,
			          a->name ? a->name : "doc");
			continue;
		}
		for (ast_attr_arg *g = a->args; g; g = g->next)
			x->arg_count++;
		x->args = CF_NEW_ARRAY(r->arena, cf_attr_arg,
		                       x->arg_count ? x->arg_count : 1);
		unsigned j = 0;
		for (ast_attr_arg *g = a->args; g; g = g->next, j++) {
			x->args[j].name = g->name ? g->name : "value";
			attr_value(r, f, g->value, &x->args[j].value);
		}
		k++;
	}
	out->items = items;
	out->count = k;
}

/* --- lazy resolution --- */

rfile *rs_file(cf_resolver *r, const ast_file *f)
{
	for (unsigned i = 0; i < r->file_count; i++)
		if (r->files[i].ast == f)
			return &r->files[i];
	return &r->files[0];
}

static const char *cycle_text(cf_resolver *r, rdecl *rd)
{
	unsigned from = 0;
	for (unsigned i = 0; i < r->depth; i++)
		if (r->stack[i] == rd)
			from = i;
	size_t len = 1;
	for (unsigned i = from; i < r->depth; i++)
		len += strlen(r->stack[i]->d.name) + 4;
	len += strlen(rd->d.name);
	char *s = cf_arena_alloc(r->arena, len + 1);
	for (unsigned i = from; i < r->depth; i++) {
		strcat(s, r->stack[i]->d.name);
		strcat(s, " -> ");
	}
	strcat(s, rd->d.name);
	return s;
}

bool rs_ensure(cf_resolver *r, cf_decl *d, cf_loc use)
{
	rdecl *rd = rd_of(r, d);
	if (!rd || rd->state == RS_DONE)
		return true;
	if (rd->state == RS_BUSY) {
		cf_diag_id id = d->kind == CF_DECL_ALIAS
		                    ? CF_DIAG_INCLUDE_CYCLE
		                    : CF_DIAG_CONSTANT_CYCLE;
		rs_report(r, use.src ? use : d->loc, id, cycle_text(r, rd));
		return false;
	}
	if (r->depth >= CF_RESOLVE_MAX_DEPTH) {
		rs_report(r, use.src ? use : d->loc,
		          CF_DIAG_RESOLUTION_TOO_DEEP, d->name,
		          (unsigned)CF_RESOLVE_MAX_DEPTH);
		return false;
	}
	rd->state = RS_BUSY;
	r->stack[r->depth++] = rd;
	rs_resolve_body(r, rd);
	r->depth--;
	rd->state = RS_DONE;
	return true;
}

void rs_add_ref(cf_resolver *r, rdecl *from, cf_decl *to)
{
	if (!from || !rd_of(r, to) || &from->d == to)
		return;
	for (unsigned i = 0; i < from->ref_count; i++)
		if (&from->refs[i]->d == to)
			return;
	if (from->ref_count == from->ref_cap) {
		unsigned cap = from->ref_cap ? 2 * from->ref_cap : 4;
		rdecl **n = CF_NEW_ARRAY(r->arena, rdecl *, cap);
		if (from->ref_count)
			memcpy(n, from->refs, from->ref_count * sizeof(*n));
		from->refs = n;
		from->ref_cap = cap;
	}
	from->refs[from->ref_count++] = rd_of(r, to);
}

/* --- the library --- */

static cf_library *find_library(cf_model *model, const char *name)
{
	for (unsigned i = 0; i < model->library_count; i++)
		if (strcmp(model->libraries[i]->name, name) == 0)
			return model->libraries[i];
	return NULL;
}

static void add_dep(cf_resolver *r, cf_library *dep)
{
	cf_library *lib = r->lib;
	for (unsigned i = 0; i < lib->dep_count; i++)
		if (lib->deps[i] == dep)
			return;
	cf_library **n =
	    CF_NEW_ARRAY(r->arena, cf_library *, lib->dep_count + 1);
	if (lib->dep_count)
		memcpy(n, lib->deps, lib->dep_count * sizeof(*n));
	n[lib->dep_count++] = dep;
	lib->deps = n;
}

static void resolve_imports(cf_resolver *r, rfile *f)
{
	unsigned n = 0;
	for (ast_using *u = f->ast->usings; u; u = u->next)
		n++;
	f->imports = CF_NEW_ARRAY(r->arena, rimport, n ? n : 1);
	for (ast_using *u = f->ast->usings; u; u = u->next) {
		if (!u->library.dotted)
			continue;
		cf_library *dep = find_library(r->model, u->library.dotted);
		if (!dep || dep == r->lib) {
			rs_report(r, u->library.loc, CF_DIAG_UNKNOWN_LIBRARY,
			          u->library.dotted);
			continue;
		}
		const char *name = u->alias ? u->alias : dep->name;
		bool dup = false;
		for (unsigned i = 0; i < f->import_count; i++)
			if (f->imports[i].lib == dep ||
			    strcmp(f->imports[i].name, name) == 0)
				dup = true;
		if (dup) {
			rs_report(r, u->library.loc,
			          CF_DIAG_DUPLICATE_LIBRARY_IMPORT,
			          u->library.dotted);
			continue;
		}
		rimport *im = &f->imports[f->import_count++];
		im->name = name;
		im->lib = dep;
		im->loc = u->library.loc;
		add_dep(r, dep);
	}
}

static void append_library(cf_model *model, cf_library *lib)
{
	cf_library **n =
	    CF_NEW_ARRAY(model->arena, cf_library *, model->library_count + 1);
	if (model->library_count)
		memcpy(n, model->libraries, model->library_count * sizeof(*n));
	n[model->library_count++] = lib;
	model->libraries = n;
}

static void free_resolver(cf_resolver *r)
{
	cf_map_free(&r->names);
	cf_map_free(&r->inline_layouts);
	for (unsigned i = 0; i < r->libmap_count; i++)
		cf_map_free(&r->libmaps[i].names);
	free(r->libmaps);
	free(r->decls);
	free(r->types);
	free(r->files);
}

cf_library *cf_resolve_library(cf_model *model, ast_file *const *files,
                               unsigned file_count, cf_diags *diags)
{
	const ast_file *first = NULL;
	for (unsigned i = 0; i < file_count && !first; i++)
		if (files[i] && files[i]->library.dotted)
			first = files[i];
	if (!first)
		return NULL;

	cf_resolver r;
	memset(&r, 0, sizeof(r));
	r.model = model;
	r.arena = model->arena;
	r.diags = diags;
	cf_map_init(&r.names, true);
	cf_map_init(&r.inline_layouts, false);

	cf_library *lib = CF_NEW(r.arena, cf_library);
	lib->name = cf_arena_strdup(r.arena, first->library.dotted);
	lib->arena = r.arena;
	r.lib = lib;
	r.files = calloc(file_count, sizeof(*r.files));
	lib->files = CF_NEW_ARRAY(r.arena, const cf_source *, file_count);
	if (!r.files)
		abort();
	for (unsigned i = 0; i < file_count; i++) {
		const ast_file *f = files[i];
		if (!f || !f->library.dotted)
			continue;
		if (strcmp(f->library.dotted, lib->name) != 0) {
			rs_report(&r, f->library.loc,
			          CF_DIAG_LIBRARY_NAME_MISMATCH,
			          f->library.dotted, lib->name);
			continue;
		}
		r.files[r.file_count++].ast = f;
		lib->files[lib->file_count++] = f->src;
	}
	for (unsigned i = 0; i < r.file_count; i++) {
		rs_attrs(&r, &r.files[i], r.files[i].ast->library_attrs,
		         &lib->attrs);
		resolve_imports(&r, &r.files[i]);
	}

	/* Sourced names first, so a generated name that collides is the
	 * one reported. */
	for (unsigned i = 0; i < r.file_count; i++)
		for (ast_decl *d = r.files[i].ast->decls; d; d = d->next)
			declare_top(&r, &r.files[i], d);
	unsigned top = r.decl_count;
	for (unsigned i = 0; i < top; i++)
		declare_nested(&r, r.decls[i]);

	for (unsigned i = 0; i < r.decl_count && !r.stopped; i++)
		rs_ensure(&r, &r.decls[i]->d, r.decls[i]->d.loc);
	for (unsigned i = 0; i < r.decl_count && !r.stopped; i++)
		if (r.decls[i]->d.kind == CF_DECL_PROTOCOL)
			rs_flatten_protocol(&r, r.decls[i], r.decls[i]->d.loc);
	rs_order(&r);
	if (!r.stopped)
		rs_resourceness(&r);

	for (unsigned i = 0; i < r.file_count && !r.stopped; i++)
		for (unsigned j = 0; j < r.files[i].import_count; j++)
			if (!r.files[i].imports[j].used)
				rs_report(&r, r.files[i].imports[j].loc,
				          CF_DIAG_UNUSED_IMPORT,
				          r.files[i].imports[j].lib->name);

	append_library(model, lib);
	free_resolver(&r);
	return lib;
}
