/* Wire format v2 layout, following fidlc's TypeShapeStep: a type's shape is
 * computed from its parts with saturating arithmetic (UINT32_MAX means
 * unbounded), inline sizes with checked arithmetic (an overflow is an
 * error), and cycles through out-of-line steps make depth and
 * max_out_of_line unbounded.
 *
 * Order of work, chosen so that no input can recurse deeply: first the
 * cycle check on inline edges (iterative), then every declaration in
 * post-order of all its edges (iterative), so a declaration's parts are
 * done before it and recursion happens only around a cycle, where a depth
 * guard cuts it (every declaration on a cycle is unbounded anyway). Type
 * trees themselves are shallow: the parser limits their nesting. */
#include "shape.h"

#include <stdlib.h>
#include <string.h>

enum {
	/* Recursion through declarations still being laid out (only on
	 * cycles) stops here and counts as a cycle. */
	MAX_DECL_RECURSION = 256,
};

/* ---- saturating and checked arithmetic ---- */

static uint32_t add_sat(uint32_t a, uint32_t b)
{
	uint32_t r;
	return __builtin_add_overflow(a, b, &r) ? UINT32_MAX : r;
}

static uint32_t mul_sat(uint32_t a, uint32_t b)
{
	uint32_t r;
	return __builtin_mul_overflow(a, b, &r) ? UINT32_MAX : r;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Bytes needed after value to reach a multiple of alignment (a power of
 * two); computed in 32 bits like the wire format's sizes. */
static uint32_t padding(uint32_t value, uint32_t alignment)
{
	return (uint32_t)(0u - value) & (alignment - 1);
}

static uint32_t object_padding(uint32_t size)
{
	return padding(size, 8);
}

/* ---- a small pointer map for per-declaration state ---- */

typedef struct ptr_map {
	const void **keys;
	unsigned *values;
	unsigned cap; /* power of two */
	unsigned count;
} ptr_map;

static size_t ptr_hash(const void *p)
{
	uintptr_t x = (uintptr_t)p;
	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x ^ (x >> 29));
}

static void map_init(ptr_map *m, unsigned expected)
{
	unsigned cap = 16;
	while (cap < expected * 2 + 2)
		cap *= 2;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->values = calloc(cap, sizeof(*m->values));
	if (!m->keys || !m->values)
		abort();
	m->cap = cap;
	m->count = 0;
}

static void map_free(ptr_map *m)
{
	free(m->keys);
	free(m->values);
}

static unsigned *map_slot(ptr_map *m, const void *key, bool insert);

static void map_grow(ptr_map *m)
{
	ptr_map old = *m;
	map_init(m, old.cap);
	for (unsigned i = 0; i < old.cap; i++)
		if (old.keys[i])
			*map_slot(m, old.keys[i], true) = old.values[i];
	map_free(&old);
}

/* The value slot of key, or NULL when absent and !insert. */
static unsigned *map_slot(ptr_map *m, const void *key, bool insert)
{
	if (insert && (m->count + 1) * 2 > m->cap)
		map_grow(m);
	size_t i = ptr_hash(key) & (m->cap - 1);
	while (m->keys[i]) {
		if (m->keys[i] == key)
			return &m->values[i];
		i = (i + 1) & (m->cap - 1);
	}
	if (!insert)
		return NULL;
	m->keys[i] = key;
	m->values[i] = 0;
	m->count++;
	return &m->values[i];
}

static unsigned map_get(ptr_map *m, const void *key)
{
	unsigned *v = map_slot(m, key, false);
	return v ? *v : 0;
}

/* ---- the layout pass ---- */

enum decl_state {
	STATE_NONE = 0,
	STATE_COMPUTING = 1 << 0,
	STATE_DONE = 1 << 1,
	STATE_REPORTED = 1 << 2, /* an overflow was reported for it */
};

typedef struct layout {
	cf_library *lib;
	cf_diags *diags;
	ptr_map state; /* cf_decl* or cf_type* -> enum decl_state bits */
	unsigned recursion;
	bool failed;
} layout;

static bool is_layout_decl(const cf_decl *d)
{
	return d->kind == CF_DECL_STRUCT || d->kind == CF_DECL_TABLE ||
	       d->kind == CF_DECL_UNION || d->kind == CF_DECL_ENUM ||
	       d->kind == CF_DECL_BITS;
}

static cf_shape prim_shape(uint32_t size)
{
	return (cf_shape){.inline_size = size, .alignment = size};
}

/* Reports an inline size overflow once per object (declaration or type)
 * and returns 0, fidlc's way of keeping the error local. */
static uint32_t overflow(layout *L, const void *obj, cf_loc loc,
                         const char *name)
{
	unsigned *st = map_slot(&L->state, obj, true);
	if (!(*st & STATE_REPORTED)) {
		*st |= STATE_REPORTED;
		cf_report(L->diags, loc, CF_DIAG_TYPE_TOO_LARGE, name,
		          (unsigned)UINT32_MAX);
	}
	L->failed = true;
	return 0;
}

static cf_shape decl_shape(layout *L, cf_decl *d, bool top);

/* Where a type sits, for overflow reports. */
typedef struct type_site {
	cf_loc loc;
	const char *name;
} type_site;

/* An envelope (table or union member): contents of at most 4 bytes are
 * inlined, larger ones go out of line padded to 8. */
static cf_shape envelope(cf_shape inner)
{
	bool inlined = inner.inline_size <= 4;
	uint32_t pad = padding(inner.inline_size, inlined ? 4 : 8);
	return (cf_shape){
	    .inline_size = 8,
	    .alignment = 8,
	    .depth = add_sat(inner.depth, 1),
	    .max_handles = inner.max_handles,
	    .max_out_of_line =
	        add_sat(inner.max_out_of_line,
	                inlined ? 0 : add_sat(inner.inline_size, pad)),
	    .has_padding = inner.has_padding || pad != 0,
	    .has_flexible_envelope = inner.has_flexible_envelope,
	};
}

static cf_shape type_shape(layout *L, cf_type *t, type_site site)
{
	cf_shape s = {.alignment = 1};
	if (!t)
		return s;
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		s = prim_shape(cf_prim_size(t->prim));
		break;
	case CF_TYPE_FRAMEWORK_ERR:
		s = prim_shape(4);
		break;
	case CF_TYPE_HANDLE:
	case CF_TYPE_ENDPOINT:
		s = prim_shape(4);
		s.max_handles = 1;
		break;
	case CF_TYPE_STRING: {
		uint32_t max = t->max_count;
		s = (cf_shape){
		    .inline_size = 16,
		    .alignment = 8,
		    .depth = 1,
		    .max_out_of_line = add_sat(max, object_padding(max)),
		    .has_padding = true,
		};
		break;
	}
	case CF_TYPE_VECTOR: {
		cf_shape e = type_shape(L, t->element, site);
		uint32_t count = t->max_count;
		uint32_t bytes = mul_sat(count, e.inline_size);
		s = (cf_shape){
		    .inline_size = 16,
		    .alignment = 8,
		    .depth = add_sat(e.depth, 1),
		    .max_handles = mul_sat(count, e.max_handles),
		    .max_out_of_line =
		        add_sat(add_sat(bytes, object_padding(bytes)),
		                mul_sat(count, e.max_out_of_line)),
		    /* Elements are packed to their natural alignment; only
		     * 8-byte multiples never leave padding before the next
		     * object, whatever the count. */
		    .has_padding =
		        e.has_padding || object_padding(e.inline_size) != 0,
		    .has_flexible_envelope = e.has_flexible_envelope,
		};
		break;
	}
	case CF_TYPE_ARRAY: {
		cf_shape e = type_shape(L, t->element, site);
		uint32_t count = t->element_count, size;
		if (__builtin_mul_overflow(count, e.inline_size, &size))
			size = overflow(L, t, site.loc, site.name);
		s = (cf_shape){
		    .inline_size = size,
		    .alignment = e.alignment,
		    .depth = e.depth,
		    .max_handles = mul_sat(count, e.max_handles),
		    .max_out_of_line = mul_sat(count, e.max_out_of_line),
		    .has_padding = e.has_padding,
		    .has_flexible_envelope = e.has_flexible_envelope,
		};
		break;
	}
	case CF_TYPE_DECL: {
		if (!t->decl || !is_layout_decl(t->decl))
			break;
		cf_shape d = decl_shape(L, t->decl, false);
		if (t->nullable && t->decl->kind == CF_DECL_STRUCT) {
			/* box<S>: a presence marker, S out of line. */
			uint32_t pad = object_padding(d.inline_size);
			s = (cf_shape){
			    .inline_size = 8,
			    .alignment = 8,
			    .depth = add_sat(d.depth, 1),
			    .max_handles = d.max_handles,
			    .max_out_of_line = add_sat(
			        add_sat(d.inline_size, pad), d.max_out_of_line),
			    .has_padding = d.has_padding || pad != 0,
			    .has_flexible_envelope = d.has_flexible_envelope,
			};
		} else {
			/* An optional union is laid out as the union. */
			s = d;
		}
		break;
	}
	}
	t->shape = s;
	return s;
}

static cf_shape struct_shape(layout *L, cf_decl *d)
{
	cf_shape acc = {.alignment = 1};
	cf_member *prev = NULL;
	for (unsigned i = 0; i < d->member_count; i++) {
		cf_member *m = &d->members[i];
		type_site site = {m->loc, d->name};
		cf_shape ms = type_shape(L, m->type, site);
		if (ms.alignment == 0)
			ms.alignment = 1;
		uint32_t pad = padding(acc.inline_size, ms.alignment);
		uint32_t offset, end;
		if (__builtin_add_overflow(acc.inline_size, pad, &offset))
			offset = overflow(L, d, d->loc, d->name);
		m->offset = offset;
		if (prev)
			prev->padding = pad;
		if (__builtin_add_overflow(offset, ms.inline_size, &end))
			end = overflow(L, d, d->loc, d->name);
		acc.inline_size = end;
		acc.alignment = max_u32(acc.alignment, ms.alignment);
		acc.depth = max_u32(acc.depth, ms.depth);
		acc.max_handles = add_sat(acc.max_handles, ms.max_handles);
		acc.max_out_of_line =
		    add_sat(acc.max_out_of_line, ms.max_out_of_line);
		acc.has_padding = acc.has_padding || ms.has_padding || pad;
		acc.has_flexible_envelope =
		    acc.has_flexible_envelope || ms.has_flexible_envelope;
		prev = m;
	}
	if (!prev) {
		/* An empty struct is one zero byte on the wire. */
		acc.inline_size = 1;
		return acc;
	}
	uint32_t pad = padding(acc.inline_size, acc.alignment), size;
	prev->padding = pad;
	if (__builtin_add_overflow(acc.inline_size, pad, &size))
		size = overflow(L, d, d->loc, d->name);
	acc.inline_size = size;
	acc.has_padding = acc.has_padding || pad;
	return acc;
}

static cf_shape table_or_union_shape(layout *L, cf_decl *d)
{
	bool table = d->kind == CF_DECL_TABLE;
	cf_shape acc = {.alignment = 1};
	uint32_t max_ordinal = 0;
	for (unsigned i = 0; i < d->member_count; i++) {
		cf_member *m = &d->members[i];
		if (m->reserved || !m->type)
			continue;
		type_site site = {m->loc, d->name};
		cf_shape e = envelope(type_shape(L, m->type, site));
		acc.depth = max_u32(acc.depth, e.depth);
		if (table) {
			acc.max_handles =
			    add_sat(acc.max_handles, e.max_handles);
			acc.max_out_of_line =
			    add_sat(acc.max_out_of_line, e.max_out_of_line);
		} else {
			acc.max_handles =
			    max_u32(acc.max_handles, e.max_handles);
			acc.max_out_of_line =
			    max_u32(acc.max_out_of_line, e.max_out_of_line);
		}
		acc.has_padding = acc.has_padding || e.has_padding;
		acc.has_flexible_envelope =
		    acc.has_flexible_envelope || e.has_flexible_envelope;
		uint32_t ord =
		    m->ordinal > UINT32_MAX ? UINT32_MAX : (uint32_t)m->ordinal;
		max_ordinal = max_u32(max_ordinal, ord);
	}
	if (table) {
		/* A vector of max_ordinal envelopes, then their contents. */
		return (cf_shape){
		    .inline_size = 16,
		    .alignment = 8,
		    .depth = add_sat(acc.depth, 1),
		    .max_handles = acc.max_handles,
		    .max_out_of_line =
		        add_sat(acc.max_out_of_line, mul_sat(max_ordinal, 8)),
		    .has_padding = acc.has_padding,
		    .has_flexible_envelope = true,
		};
	}
	/* The ordinal, then one envelope. */
	return (cf_shape){
	    .inline_size = 16,
	    .alignment = 8,
	    .depth = acc.depth,
	    .max_handles = acc.max_handles,
	    .max_out_of_line = acc.max_out_of_line,
	    .has_padding = acc.has_padding,
	    .has_flexible_envelope = acc.has_flexible_envelope || !d->strict,
	};
}

static cf_shape calc_decl(layout *L, cf_decl *d)
{
	switch (d->kind) {
	case CF_DECL_ENUM:
	case CF_DECL_BITS:
		if (!d->subtype)
			return prim_shape(4);
		return type_shape(L, d->subtype, (type_site){d->loc, d->name});
	case CF_DECL_STRUCT:
		return struct_shape(L, d);
	case CF_DECL_TABLE:
	case CF_DECL_UNION:
		return table_or_union_shape(L, d);
	default:
		return (cf_shape){.alignment = 1};
	}
}

/* fidlc's memoised Compile: a declaration met again while it is being laid
 * out is on a cycle, which makes everything around it unbounded; results
 * that saw a cycle are kept only for the outermost call, so that each
 * declaration's final shape reflects everything reachable from it. */
static cf_shape decl_shape(layout *L, cf_decl *d, bool top)
{
	const cf_shape cycle = {
	    .alignment = 1, .depth = UINT32_MAX, .max_out_of_line = UINT32_MAX};
	unsigned *st = map_slot(&L->state, d, true);
	if (*st & STATE_DONE)
		return d->shape;
	/* Declarations of libraries laid out before this one. */
	if (d->library != L->lib && d->shape.alignment != 0)
		return d->shape;
	if (*st & STATE_COMPUTING || L->recursion >= MAX_DECL_RECURSION)
		return cycle;
	*st |= STATE_COMPUTING;
	L->recursion++;
	cf_shape r = calc_decl(L, d);
	L->recursion--;
	st = map_slot(&L->state, d, true); /* the map may have grown */
	*st &= ~STATE_COMPUTING;
	if (r.depth == UINT32_MAX && r.max_handles != 0)
		r.max_handles = UINT32_MAX;
	if (top || r.depth != UINT32_MAX) {
		d->shape = r;
		*st |= STATE_DONE;
	}
	return r;
}

/* ---- declaration graph: cycle check and work order ---- */

typedef struct graph {
	cf_decl **decls; /* the library's layout declarations */
	unsigned count;
	ptr_map index; /* cf_decl* -> index + 1 */
	/* Successors of each declaration: all of them, and those reached
	 * without an optional or out-of-line step ("inline"). */
	unsigned **succ, *succ_count, *succ_cap;
	unsigned **inl, *inl_count, *inl_cap;
} graph;

static void push_edge(unsigned ***lists, unsigned **counts, unsigned **caps,
                      unsigned from, unsigned to)
{
	unsigned *n = &(*counts)[from], *cap = &(*caps)[from];
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		(*lists)[from] =
		    realloc((*lists)[from], sizeof(unsigned) * (size_t)*cap);
		if (!(*lists)[from])
			abort();
	}
	(*lists)[from][(*n)++] = to;
}

/* Adds the edges of one type use; `inline_step` stays true while no
 * optional or out-of-line step was taken on the way. */
static void type_edges(graph *g, unsigned from, const cf_type *t,
                       bool inline_step)
{
	if (!t)
		return;
	switch (t->kind) {
	case CF_TYPE_ARRAY:
		type_edges(g, from, t->element, inline_step && !t->nullable);
		return;
	case CF_TYPE_VECTOR:
		type_edges(g, from, t->element, false);
		return;
	case CF_TYPE_DECL: {
		unsigned to = map_get(&g->index, t->decl);
		if (!to)
			return; /* another library, or not a layout */
		push_edge(&g->succ, &g->succ_count, &g->succ_cap, from, to - 1);
		if (inline_step && !t->nullable)
			push_edge(&g->inl, &g->inl_count, &g->inl_cap, from,
			          to - 1);
		return;
	}
	default:
		return;
	}
}

static void graph_build(graph *g, cf_library *lib)
{
	memset(g, 0, sizeof(*g));
	g->decls = calloc(lib->decl_count + 1, sizeof(*g->decls));
	if (!g->decls)
		abort();
	map_init(&g->index, lib->decl_count);
	for (unsigned i = 0; i < lib->decl_count; i++) {
		cf_decl *d = lib->decls[i];
		if (!is_layout_decl(d))
			continue;
		g->decls[g->count] = d;
		*map_slot(&g->index, d, true) = ++g->count;
	}
	size_t n = g->count + 1;
	g->succ = calloc(n, sizeof(*g->succ));
	g->succ_count = calloc(n, sizeof(unsigned));
	g->succ_cap = calloc(n, sizeof(unsigned));
	g->inl = calloc(n, sizeof(*g->inl));
	g->inl_count = calloc(n, sizeof(unsigned));
	g->inl_cap = calloc(n, sizeof(unsigned));
	if (!g->succ || !g->succ_count || !g->succ_cap || !g->inl ||
	    !g->inl_count || !g->inl_cap)
		abort();
	for (unsigned i = 0; i < g->count; i++) {
		cf_decl *d = g->decls[i];
		if (d->kind == CF_DECL_ENUM || d->kind == CF_DECL_BITS)
			continue;
		for (unsigned j = 0; j < d->member_count; j++)
			type_edges(g, i, d->members[j].type, true);
	}
}

static void graph_free(graph *g)
{
	for (unsigned i = 0; i < g->count; i++) {
		free(g->succ[i]);
		free(g->inl[i]);
	}
	free(g->succ);
	free(g->succ_count);
	free(g->succ_cap);
	free(g->inl);
	free(g->inl_count);
	free(g->inl_cap);
	free(g->decls);
	map_free(&g->index);
}

/* Iterative depth-first search. Calls on_back for each edge to a node on
 * the current path (a cycle), and appends nodes to post in post-order. */
typedef struct dfs_frame {
	unsigned node;
	unsigned next; /* next successor to visit */
} dfs_frame;

typedef void (*back_edge_fn)(void *ctx, const dfs_frame *stack, unsigned depth,
                             unsigned target);

static void dfs(unsigned n, unsigned **lists, const unsigned *counts,
                unsigned *post, back_edge_fn on_back, void *ctx)
{
	/* color: 0 new, 1 on the path, 2 finished */
	unsigned char *color = calloc(n + 1, 1);
	dfs_frame *stack = calloc(n + 1, sizeof(*stack));
	if (!color || !stack)
		abort();
	unsigned posted = 0;
	for (unsigned root = 0; root < n; root++) {
		if (color[root])
			continue;
		unsigned depth = 0;
		stack[depth++] = (dfs_frame){root, 0};
		color[root] = 1;
		while (depth) {
			dfs_frame *f = &stack[depth - 1];
			if (f->next < counts[f->node]) {
				unsigned to = lists[f->node][f->next++];
				if (color[to] == 0) {
					color[to] = 1;
					stack[depth++] = (dfs_frame){to, 0};
				} else if (color[to] == 1 && on_back) {
					on_back(ctx, stack, depth, to);
				}
				continue;
			}
			color[f->node] = 2;
			if (post)
				post[posted++] = f->node;
			depth--;
		}
	}
	free(color);
	free(stack);
}

typedef struct cycle_ctx {
	layout *L;
	graph *g;
	unsigned char *reported;
} cycle_ctx;

/* Reports "A -> B -> A" at the declaration where the cycle starts. */
static void report_cycle(void *p, const dfs_frame *stack, unsigned depth,
                         unsigned target)
{
	cycle_ctx *c = p;
	if (c->reported[target])
		return;
	c->reported[target] = 1;
	unsigned from = depth;
	while (from > 0 && stack[from - 1].node != target)
		from--;
	from = from ? from - 1 : 0;
	size_t len = 1;
	for (unsigned i = from; i < depth; i++)
		len += strlen(c->g->decls[stack[i].node]->name) + 4;
	len += strlen(c->g->decls[target]->name);
	char *path = malloc(len);
	if (!path)
		abort();
	path[0] = '\0';
	for (unsigned i = from; i < depth; i++) {
		strcat(path, c->g->decls[stack[i].node]->name);
		strcat(path, " -> ");
	}
	strcat(path, c->g->decls[target]->name);
	cf_decl *d = c->g->decls[target];
	cf_report(c->L->diags, d->loc, CF_DIAG_DECLARATION_CYCLE, path);
	free(path);
	c->L->failed = true;
}

/* ---- type uses outside layouts ---- */

static void final_type(layout *L, cf_type *t, cf_loc loc, const char *name)
{
	if (t)
		type_shape(L, t, (type_site){loc, name});
}

static void final_types(layout *L, cf_decl *d)
{
	switch (d->kind) {
	case CF_DECL_STRUCT:
	case CF_DECL_TABLE:
	case CF_DECL_UNION:
		for (unsigned i = 0; i < d->member_count; i++)
			final_type(L, d->members[i].type, d->members[i].loc,
			           d->name);
		break;
	case CF_DECL_ENUM:
	case CF_DECL_BITS:
		final_type(L, d->subtype, d->loc, d->name);
		break;
	case CF_DECL_CONST:
		final_type(L, d->const_type, d->loc, d->name);
		break;
	case CF_DECL_ALIAS:
		final_type(L, d->alias_type, d->loc, d->name);
		break;
	case CF_DECL_RESOURCE:
		final_type(L, d->resource_subtype, d->loc, d->name);
		break;
	case CF_DECL_PROTOCOL:
		for (unsigned i = 0; i < d->method_count; i++) {
			cf_method *m = &d->methods[i];
			final_type(L, m->request_payload, m->loc, d->name);
			final_type(L, m->response_payload, m->loc, d->name);
			final_type(L, m->success_payload, m->loc, d->name);
			final_type(L, m->error_type, m->loc, d->name);
		}
		break;
	}
}

bool cf_layout_library(cf_library *lib, cf_diags *diags)
{
	layout L = {.lib = lib, .diags = diags};
	map_init(&L.state, lib->decl_count);
	graph g;
	graph_build(&g, lib);

	/* Types that contain themselves inline have no size: stop there. */
	unsigned char *reported = calloc(g.count + 1, 1);
	if (!reported)
		abort();
	cycle_ctx cc = {&L, &g, reported};
	dfs(g.count, g.inl, g.inl_count, NULL, report_cycle, &cc);
	free(reported);

	if (!L.failed) {
		unsigned *post = calloc(g.count + 1, sizeof(unsigned));
		if (!post)
			abort();
		dfs(g.count, g.succ, g.succ_count, post, NULL, NULL);
		for (unsigned i = 0; i < g.count; i++)
			decl_shape(&L, g.decls[post[i]], true);
		free(post);
		for (unsigned i = 0; i < lib->decl_count; i++)
			final_types(&L, lib->decls[i]);
	}

	graph_free(&g);
	map_free(&L.state);
	return !L.failed;
}
