/* Declaration order: each declaration after every declaration it holds by
 * value (so a C back end can emit them in order), ties in source order,
 * synthesised declarations just before their first user. Depth-first,
 * with an explicit stack so that long chains cannot exhaust the C stack;
 * a cycle (only possible through an error) is cut where it closes. */
#include <stdlib.h>
#include <string.h>

#include "resolve_internal.h"

typedef struct deps {
	rdecl **items;
	unsigned count, cap;
} deps;

static void add(cf_resolver *r, deps *ds, cf_decl *d)
{
	rdecl *rd = rd_of(r, d);
	if (!rd || rd->duplicate)
		return;
	if (ds->count == ds->cap) {
		ds->cap = ds->cap ? 2 * ds->cap : 8;
		ds->items = realloc(ds->items, ds->cap * sizeof(*ds->items));
		if (!ds->items)
			abort();
	}
	ds->items[ds->count++] = rd;
}

/* What a use of t needs inline: arrays of it and non-optional layouts. */
static void add_type(cf_resolver *r, deps *ds, const cf_type *t)
{
	while (t && t->kind == CF_TYPE_ARRAY)
		t = t->element;
	if (t && t->kind == CF_TYPE_DECL && !t->nullable)
		add(r, ds, t->decl);
}

static void add_payload(cf_resolver *r, deps *ds, const cf_type *t)
{
	if (t && t->kind == CF_TYPE_DECL)
		add(r, ds, t->decl);
}

typedef struct children {
	unsigned *start; /* by rdecl index, count + 1 entries */
	rdecl **items;
} children;

static void gather(cf_resolver *r, const children *ch, rdecl *rd, deps *ds)
{
	cf_decl *d = &rd->d;
	ds->count = 0;
	for (unsigned i = 0; i < d->member_count; i++)
		add_type(r, ds, d->members[i].type);
	add_type(r, ds, d->subtype);
	add_type(r, ds, d->const_type);
	add_type(r, ds, d->alias_type);
	for (unsigned i = 0; i < d->composed_count; i++)
		add(r, ds, d->composed[i]);
	for (unsigned i = 0; i < d->method_count; i++) {
		const cf_method *m = &d->methods[i];
		if (m->declared_in != d)
			continue;
		add_payload(r, ds, m->request_payload);
		add_payload(r, ds, m->response_payload);
	}
	for (unsigned i = 0; i < rd->ref_count; i++)
		add(r, ds, &rd->refs[i]->d);
	for (unsigned i = ch->start[rd->index]; i < ch->start[rd->index + 1];
	     i++)
		add(r, ds, &ch->items[i]->d);
}

typedef struct frame {
	rdecl *rd;
	deps ds;
	unsigned next;
} frame;

void rs_order(cf_resolver *r)
{
	unsigned n = r->decl_count;
	children ch;
	ch.start = calloc(n + 1, sizeof(*ch.start));
	ch.items = calloc(n + 1, sizeof(*ch.items));
	frame *stack = calloc(n + 1, sizeof(*stack));
	if (!ch.start || !ch.items || !stack)
		abort();
	for (unsigned i = 0; i < n; i++)
		if (r->decls[i]->parent)
			ch.start[r->decls[i]->parent->index + 1]++;
	for (unsigned i = 0; i < n; i++)
		ch.start[i + 1] += ch.start[i];
	unsigned *fill = calloc(n + 1, sizeof(*fill));
	if (!fill)
		abort();
	for (unsigned i = 0; i < n; i++) {
		rdecl *p = r->decls[i]->parent;
		if (p)
			ch.items[ch.start[p->index] + fill[p->index]++] =
			    r->decls[i];
	}
	free(fill);

	cf_library *lib = r->lib;
	lib->decls = CF_NEW_ARRAY(r->arena, cf_decl *, n + 1);
	lib->decl_count = 0;
	unsigned sp = 0;
	for (unsigned root = 0; root < n; root++) {
		rdecl *rd = r->decls[root];
		if (rd->duplicate || rd->order_state != RS_TODO)
			continue;
		rd->order_state = RS_BUSY;
		stack[sp].rd = rd;
		stack[sp].next = 0;
		gather(r, &ch, rd, &stack[sp].ds);
		sp++;
		while (sp) {
			frame *fr = &stack[sp - 1];
			if (fr->next < fr->ds.count) {
				rdecl *dep = fr->ds.items[fr->next++];
				if (dep->order_state != RS_TODO)
					continue; /* done, or a cycle */
				dep->order_state = RS_BUSY;
				frame *nf = &stack[sp++];
				nf->rd = dep;
				nf->next = 0;
				gather(r, &ch, dep, &nf->ds);
				continue;
			}
			fr->rd->order_state = RS_DONE;
			lib->decls[lib->decl_count++] = &fr->rd->d;
			sp--;
		}
	}
	for (unsigned i = 0; i <= n; i++)
		free(stack[i].ds.items);
	free(stack);
	free(ch.start);
	free(ch.items);
}
