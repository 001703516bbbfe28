/* Protocols: openness and method strictness, payloads, the result unions
 * of `error` and flexible two-way methods, and compose flattening. */
#include <stdlib.h>
#include <string.h>

#include "resolve_internal.h"

/* A payload must be a struct, table or union, and not optional. */
static cf_type *payload(cf_resolver *r, const rtctx *ctx, const ast_type *t,
                        const char *method)
{
	cf_type *type = rs_resolve_type(r, ctx, t);
	if (!type)
		return NULL;
	if (type->kind != CF_TYPE_DECL || type->nullable ||
	    (type->decl->kind != CF_DECL_STRUCT &&
	     type->decl->kind != CF_DECL_TABLE &&
	     type->decl->kind != CF_DECL_UNION)) {
		rs_report(r, t->loc, CF_DIAG_INVALID_PAYLOAD, method);
		return NULL;
	}
	return type;
}

static bool error_type_ok(cf_resolver *r, const cf_type *t)
{
	const cf_type *p = t;
	if (t->kind == CF_TYPE_DECL && t->decl->kind == CF_DECL_ENUM) {
		if (!rs_ensure(r, t->decl, t->decl->loc) || !t->decl->subtype)
			return false;
		p = t->decl->subtype;
	}
	return p->kind == CF_TYPE_PRIMITIVE && !p->nullable &&
	       (p->prim == CF_PRIM_INT32 || p->prim == CF_PRIM_UINT32);
}

static void build_result(cf_resolver *r, const rtctx *ctx, rdecl *proto,
                         rmethod *rm, cf_method *cm)
{
	const ast_method *m = rm->ast;
	rdecl *u = rm->result;
	cf_member *ms = CF_NEW_ARRAY(r->arena, cf_member, 3);
	unsigned n = 0;

	cf_type *success;
	if (rm->empty_success)
		success = rs_decl_type(r, &rm->empty_success->d);
	else
		success = payload(r, ctx, m->response, m->name);
	ms[n].name = "response";
	ms[n].loc = m->loc;
	ms[n].ordinal = 1;
	ms[n++].type = success;

	cf_type *err = NULL;
	ms[n].loc = m->loc;
	ms[n].ordinal = 2;
	if (m->error) {
		err = rs_resolve_type(r, ctx, m->error);
		if (err && !error_type_ok(r, err)) {
			rs_report(r, m->error->loc, CF_DIAG_INVALID_ERROR_TYPE,
			          rs_type_text(r, err));
			err = NULL;
		}
		ms[n].name = "err";
		ms[n++].type = err;
	} else {
		ms[n++].reserved = true;
	}
	if (m->has_request && m->strictness == AST_FLEXIBLE) {
		ms[n].name = "framework_err";
		ms[n].loc = m->loc;
		ms[n].ordinal = 3;
		ms[n++].type = rs_new_type(r, CF_TYPE_FRAMEWORK_ERR);
	}
	u->d.members = ms;
	u->d.member_count = n;
	u->state = RS_DONE;
	cm->result_union = &u->d;
	cm->response_payload = rs_decl_type(r, &u->d);
	cm->success_payload = success;
	cm->error_type = err;
	(void)proto;
}

static bool dotted_identifiers(const char *s, size_t n, unsigned *parts)
{
	size_t start = 0;
	*parts = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		char *part = strndup(s + start, i - start);
		bool ok = part && rs_is_identifier(part);
		free(part);
		if (!ok)
			return false;
		(*parts)++;
		start = i + 1;
	}
	return true;
}

/* @selector("M") or @selector("some.lib/Protocol.M"), as fidlc accepts. */
static void check_selector(cf_resolver *r, const ast_method *m)
{
	const ast_attr *a = rs_find_ast_attr(m->attrs, "selector");
	if (!a)
		return;
	const ast_const *v = a->args && !a->args->next ? a->args->value : NULL;
	const char *text = v && v->kind == AST_CONST_STRING ? v->text : NULL;
	bool ok = false;
	if (text && strlen(text) == v->text_len) {
		const char *slash = strchr(text, '/');
		unsigned parts;
		if (!slash)
			ok = rs_is_identifier(text);
		else
			ok = !strchr(slash + 1, '/') &&
			     dotted_identifiers(text, (size_t)(slash - text),
			                        &parts) &&
			     dotted_identifiers(slash + 1, strlen(slash + 1),
			                        &parts) &&
			     parts == 2;
	}
	if (!ok)
		rs_report(r, a->loc, CF_DIAG_INVALID_SELECTOR,
		          v ? rs_const_text(r, v) : "");
}

static void check_openness(cf_resolver *r, rdecl *rd, const ast_method *m)
{
	if (m->strictness != AST_FLEXIBLE)
		return;
	bool two_way = m->has_request && m->has_response;
	cf_openness o = rd->d.openness;
	if (o == CF_OPEN || (o == CF_AJAR && !two_way))
		return;
	const char *what = two_way          ? "two-way method"
	                   : m->has_request ? "one-way method"
	                                    : "event";
	rs_report(r, m->loc, CF_DIAG_EVENT_ON_OPENNESS, what, m->name,
	          two_way ? "an open" : "an open or ajar");
}

void rs_resolve_protocol(cf_resolver *r, rdecl *rd)
{
	rfile *f = rs_file(r, rd->file);
	rtctx ctx = {f, rd};
	const ast_protocol *p = rd->ast->protocol;
	switch (p->openness) {
	case AST_OPEN:
		rd->d.openness = CF_OPEN;
		break;
	case AST_AJAR:
		rd->d.openness = CF_AJAR;
		break;
	default:
		/* our documented default: closed, methods strict */
		rd->d.openness = CF_CLOSED;
		break;
	}

	unsigned nc = 0;
	for (const ast_compose *c = p->composes; c; c = c->next)
		nc++;
	rd->d.composed = CF_NEW_ARRAY(r->arena, cf_decl *, nc + 1);
	rd->compose_locs = CF_NEW_ARRAY(r->arena, cf_loc, nc + 1);
	for (const ast_compose *c = p->composes; c; c = c->next) {
		rlookup lk;
		if (!rs_lookup(r, f, &c->protocol, false, &lk))
			continue;
		if (!lk.decl || lk.decl->kind != CF_DECL_PROTOCOL) {
			rs_report(r, c->protocol.loc, CF_DIAG_NOT_A_PROTOCOL,
			          c->protocol.dotted);
			continue;
		}
		rd->compose_locs[rd->d.composed_count] = c->protocol.loc;
		rd->d.composed[rd->d.composed_count++] = lk.decl;
	}

	rd->d.methods = CF_NEW_ARRAY(r->arena, cf_method, rd->method_count + 1);
	for (unsigned i = 0; i < rd->method_count && !r->stopped; i++) {
		rmethod *rm = &rd->methods[i];
		const ast_method *m = rm->ast;
		if (!m->name)
			continue;
		cf_method *cm = &rd->d.methods[rd->d.method_count++];
		cm->name = m->name;
		cm->loc = m->loc;
		rs_attrs(r, f, m->attrs, &cm->attrs);
		cm->strict = m->strictness != AST_FLEXIBLE;
		cm->has_request = m->has_request;
		cm->has_response = m->has_response;
		cm->has_error = m->error != NULL;
		cm->declared_in = &rd->d;
		check_openness(r, rd, m);
		check_selector(r, m);
		if (m->has_request && !rs_empty_payload(rd, m->request))
			cm->request_payload =
			    payload(r, &ctx, m->request, m->name);
		if (rm->result)
			build_result(r, &ctx, rd, rm, cm);
		else if (m->has_response && !rs_empty_payload(rd, m->response))
			cm->response_payload =
			    payload(r, &ctx, m->response, m->name);
	}
}

static bool has_method(const cf_decl *d, unsigned n, const cf_method *m)
{
	for (unsigned i = 0; i < n; i++)
		if (d->methods[i].declared_in == m->declared_in &&
		    strcmp(d->methods[i].name, m->name) == 0)
			return true;
	return false;
}

/* Own methods first, then each composed protocol's (already flattened)
 * methods in compose order. The same method reached twice through a
 * diamond is kept once; two different methods with one name collide. */
bool rs_flatten_protocol(cf_resolver *r, rdecl *rd, cf_loc use)
{
	if (rd->compose_state == RS_DONE)
		return true;
	if (rd->compose_state == RS_BUSY) {
		rs_report(r, use, CF_DIAG_COMPOSE_CYCLE,
		          cf_arena_printf(r->arena, "'%s' composes itself",
		                          rd->d.name));
		return false;
	}
	if (r->depth >= CF_RESOLVE_MAX_DEPTH) {
		rs_report(r, use, CF_DIAG_RESOLUTION_TOO_DEEP, rd->d.name,
		          (unsigned)CF_RESOLVE_MAX_DEPTH);
		return false;
	}
	rd->compose_state = RS_BUSY;
	r->depth++;
	unsigned total = rd->d.method_count;
	for (unsigned i = 0; i < rd->d.composed_count; i++) {
		cf_decl *c = rd->d.composed[i];
		rdecl *crd = rd_of(r, c);
		if (crd && !rs_flatten_protocol(r, crd, rd->compose_locs[i]))
			continue;
		total += c->method_count;
	}
	r->depth--;

	cf_method *all = CF_NEW_ARRAY(r->arena, cf_method, total + 1);
	cf_decl tmp = rd->d;
	tmp.methods = all;
	unsigned n = 0;
	cf_map seen;
	cf_map_init(&seen, true);
	for (unsigned i = 0; i < rd->d.method_count; i++) {
		all[n] = rd->d.methods[i];
		const char *canon = rs_canonical(r->arena, all[n].name);
		if (cf_map_put(&seen, canon, &all[n]) != &all[n]) {
			rs_report(r, all[n].loc, CF_DIAG_DUPLICATE_METHOD,
			          all[n].name, rd->d.name);
			continue;
		}
		n++;
	}
	for (unsigned i = 0; i < rd->d.composed_count; i++) {
		cf_decl *c = rd->d.composed[i];
		rdecl *crd = rd_of(r, c);
		if (crd && crd->compose_state != RS_DONE)
			continue;
		for (unsigned j = 0; j < c->method_count; j++) {
			const cf_method *m = &c->methods[j];
			if (has_method(&tmp, n, m))
				continue;
			all[n] = *m;
			all[n].composed = true;
			const char *canon = rs_canonical(r->arena, m->name);
			if (cf_map_put(&seen, canon, &all[n]) != &all[n]) {
				rs_report(r, rd->compose_locs[i],
				          CF_DIAG_DUPLICATE_METHOD, m->name,
				          rd->d.name);
				continue;
			}
			n++;
		}
	}
	cf_map_free(&seen);
	rd->d.methods = all;
	rd->d.method_count = n;
	rd->compose_state = RS_DONE;
	return true;
}
