/* Synthetic IDL library generator: one declaration stream, three languages.
 *
 * Every declaration is drawn once from a seeded PRNG and then written as FIDL,
 * proto3 and ONC RPC XDR side by side, so the three files always describe the
 * same types, fields and methods. References only point back to earlier
 * declarations, so no language needs forward declarations and there are no
 * cycles.
 */
#include "gen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Growable text with a line count. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	unsigned lines;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	while (!b->oom) {
		size_t room = b->cap - b->len;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			for (int i = 0; i < n; i++)
				b->lines += b->p[b->len + i] == '\n';
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 1 << 16;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* snprintf for names, which are short by construction; a cut name would
 * still be a valid identifier. */
static void fmt(char *out, size_t n, const char *f, ...)
    __attribute__((format(printf, 3, 4)));

static void fmt(char *out, size_t n, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(out, n, f, ap);
	va_end(ap);
}

/* splitmix64: tiny, fast, and the same on every platform. */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

static unsigned between(struct rng *r, unsigned lo, unsigned hi)
{
	return lo + below(r, hi - lo + 1);
}

static unsigned weighted(struct rng *r, const unsigned *w, unsigned n)
{
	unsigned total = 0;

	for (unsigned i = 0; i < n; i++)
		total += w[i];
	unsigned x = below(r, total);
	for (unsigned i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* Names: two words from these lists, never a keyword of any of the three
 * languages or of C (every member name has an underscore). */
static const char *const nouns[] = {
    "peer",    "buffer", "port",    "addr",    "state",   "mode",    "level",
    "index",   "token",  "label",   "owner",   "group",   "size",    "limit",
    "rate",    "delay",  "retry",   "window",  "stamp",   "cookie",  "region",
    "page",    "block",  "slot",    "queue",   "epoch",   "weight",  "score",
    "range",   "seq",    "key",     "entry",   "node",    "link",    "route",
    "zone",    "shard",  "frame",   "packet",  "channel", "session", "device",
    "guest",   "host",   "credit",  "quota",   "budget",  "cursor",  "offset",
    "length",  "count",  "flags",   "id",      "name",    "path",    "digest",
    "status",  "reason", "target",  "source",  "origin",  "client",  "server",
    "timer",   "clock",  "tick",    "span",    "bound",   "batch",   "chunk",
    "segment", "header", "trailer", "payload", "record",  "column",  "row",
    "cell",    "color",  "shape",   "layer",   "scope",   "policy",  "rule",
    "metric",  "sample", "bucket",  "volume",  "disk",    "inode",   "mount",
    "lease",   "lock",   "grant",   "job",     "task",    "worker",  "pool",
    "thread",  "fiber",  "signal",  "power",   "sensor",  "reading", "unit",
    "vector",  "matrix", "cache",
};
#define NOUNS (sizeof(nouns) / sizeof(nouns[0]))

static const char *const roles[] = {
    "Watcher",  "Controller", "Provider", "Manager",  "Listener",
    "Registry", "Factory",    "Monitor",  "Resolver", "Broker",
};
#define ROLES (sizeof(roles) / sizeof(roles[0]))

static const char *const verbs[] = {
    "Get",    "Set",    "Open",   "Close",  "Send",    "Watch",  "Query",
    "Update", "Bind",   "Reset",  "List",   "Connect", "Listen", "Flush",
    "Create", "Delete", "Attach", "Detach", "Read",    "Write",  "Sync",
};
#define VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const char *const happenings[] = {
    "Changed", "Ready", "Closed", "Updated", "Lost", "Added", "Removed",
};
#define HAPPENINGS (sizeof(happenings) / sizeof(happenings[0]))

static const char *const states[] = {
    "IDLE",     "ACTIVE",    "READY",  "BUSY",    "CLOSED",  "OPENED",
    "PENDING",  "FAILED",    "DONE",   "PAUSED",  "RUNNING", "STOPPED",
    "UNKNOWN",  "LOW",       "MEDIUM", "HIGH",    "FAST",    "SLOW",
    "READABLE", "WRITABLE",  "SHARED", "PRIVATE", "LOCAL",   "REMOTE",
    "PRIMARY",  "SECONDARY", "HIDDEN", "VISIBLE", "LOCKED",  "DIRTY",
};
#define STATES (sizeof(states) / sizeof(states[0]))

/* Primitive types and their nearest spelling in each peer language. */
enum { P_U8 = 5, P_U32 = 7 };
static const struct prim {
	const char *fidl;
	const char *proto;
	const char *xdr;
	unsigned size;
	unsigned weight;
} prims[] = {
    {"bool", "bool", "bool", 1, 8},
    {"int8", "int32", "char", 1, 2},
    {"int16", "int32", "short", 2, 3},
    {"int32", "int32", "int", 4, 12},
    {"int64", "int64", "hyper", 8, 10},
    {"uint8", "uint32", "unsigned char", 1, 6},
    {"uint16", "uint32", "unsigned short", 2, 5},
    {"uint32", "uint32", "unsigned int", 4, 20},
    {"uint64", "uint64", "unsigned hyper", 8, 14},
    {"float32", "float", "float", 4, 5},
    {"float64", "double", "double", 8, 5},
};
#define PRIMS (sizeof(prims) / sizeof(prims[0]))

enum dkind { D_CONST, D_ENUM, D_BITS, D_STRUCT, D_TABLE, D_UNION };

struct decl {
	char name[40];
	enum dkind kind;
	unsigned size;  /* estimated FIDL inline size */
	unsigned prim;  /* enum underlying type */
	unsigned value; /* const value */
};

struct index_list {
	size_t *v;
	size_t n;
	size_t cap;
};

enum tkind { T_PRIM, T_STRING, T_BYTES, T_VEC, T_ARRAY, T_REF, T_BOX, T_VREF };
#define TKINDS 8

struct ftype {
	enum tkind k;
	unsigned prim;
	unsigned bound; /* elements, or array length; 0 is unbounded */
	long bconst;    /* decl index of the bound constant, or -1 */
	size_t ref;     /* decl index for T_REF, T_BOX, T_VREF */
};

struct field {
	char name[40];
	struct ftype t;
};

struct gen {
	struct rng rng;
	struct buf f; /* FIDL */
	struct buf p; /* proto3 */
	struct buf x; /* XDR */
	struct decl *decls;
	size_t ndecls;
	size_t cap;
	struct index_list types;   /* enums, bits, structs, tables, unions */
	struct index_list structs; /* structs only, for box<> */
	struct index_list consts;
	struct index_list errenums; /* enums usable after `error` */
	unsigned serial;
	unsigned program;
	int oom;
	struct bench_counts c;
};

enum ctx { CTX_STRUCT, CTX_TABLE, CTX_UNION };

static void list_add(struct gen *g, struct index_list *l, size_t v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		size_t *p = realloc(l->v, cap * sizeof(*p));
		if (!p) {
			g->oom = 1;
			return;
		}
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = v;
}

/* Half the references go to the most recent declarations, as in real
 * libraries where related types sit together; half go anywhere earlier. */
static size_t list_pick(struct gen *g, const struct index_list *l)
{
	if (l->n > 32 && below(&g->rng, 2))
		return l->v[l->n - 1 - below(&g->rng, 32)];
	return l->v[below(&g->rng, (unsigned)l->n)];
}

static struct decl *decl_add(struct gen *g, enum dkind kind, const char *name)
{
	if (g->ndecls == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct decl *p = realloc(g->decls, cap * sizeof(*p));
		if (!p) {
			g->oom = 1;
			return NULL;
		}
		g->decls = p;
		g->cap = cap;
	}
	size_t i = g->ndecls++;
	struct decl *d = &g->decls[i];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->kind = kind;
	if (kind == D_CONST)
		list_add(g, &g->consts, i);
	else
		list_add(g, &g->types, i);
	if (kind == D_STRUCT)
		list_add(g, &g->structs, i);
	return d;
}

static void camel(char *out, size_t n, const char *word)
{
	snprintf(out, n, "%c%s", word[0] - 'a' + 'A', word + 1);
}

static void type_name(struct gen *g, char *out, size_t n)
{
	char a[24], b[24];

	camel(a, sizeof(a), nouns[below(&g->rng, NOUNS)]);
	camel(b, sizeof(b), nouns[below(&g->rng, NOUNS)]);
	fmt(out, n, "%s%s%u", a, b, ++g->serial);
}

/* The C-style prefix of an enum's members in proto and XDR, whose enum
 * constants share one namespace per file: PeerMode12 -> PEERMODE12. */
static void upper(char *out, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < n; i++)
		out[i] = name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A'
		                                          : name[i];
	out[i] = '\0';
}

static int name_taken(const char (*names)[40], unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

static void member_name(struct gen *g, char (*names)[40], unsigned i)
{
	for (int tries = 0; tries < 8; tries++) {
		snprintf(names[i], 40, "%s_%s", nouns[below(&g->rng, NOUNS)],
		         nouns[below(&g->rng, NOUNS)]);
		if (!name_taken(names, i, names[i]))
			return;
	}
	snprintf(names[i], 40, "field_%u", i);
}

static void state_name(struct gen *g, char (*names)[40], unsigned i)
{
	for (int tries = 0; tries < 8; tries++) {
		snprintf(names[i], 40, "%s", states[below(&g->rng, STATES)]);
		if (!name_taken(names, i, names[i]))
			return;
	}
	snprintf(names[i], 40, "VALUE_%u", i);
}

static void pick_bound(struct gen *g, struct ftype *t)
{
	static const unsigned sizes[] = {8, 16, 32, 64, 100, 128, 255, 1024};
	unsigned r = below(&g->rng, 10);

	t->bound = 0;
	t->bconst = -1;
	if (r < 4)
		return;
	if (r < 7 || !g->consts.n) {
		t->bound = sizes[below(&g->rng, 8)];
		return;
	}
	t->bconst = (long)list_pick(g, &g->consts);
	t->bound = g->decls[t->bconst].value;
}

static unsigned pick_prim(struct gen *g)
{
	unsigned w[PRIMS];

	for (unsigned i = 0; i < PRIMS; i++)
		w[i] = prims[i].weight;
	return weighted(&g->rng, w, PRIMS);
}

static unsigned type_size(const struct gen *g, const struct ftype *t)
{
	const struct decl *d = g->ndecls ? &g->decls[t->ref] : NULL;

	switch (t->k) {
	case T_PRIM:
		return prims[t->prim].size;
	case T_ARRAY:
		return t->bound * prims[t->prim].size;
	case T_BOX:
		return 8;
	case T_REF:
		if (d->kind == D_STRUCT)
			return d->size;
		if (d->kind == D_ENUM)
			return prims[d->prim].size;
		if (d->kind == D_BITS)
			return 4;
		return 16;
	default:
		return 16;
	}
}

/* Struct fields take any type; table members no arrays or boxes; union
 * variants nothing repeated either, since a proto3 oneof cannot hold a
 * repeated field. */
static void pick_type(struct gen *g, enum ctx ctx, struct ftype *t)
{
	static const unsigned w[3][TKINDS] = {
	    [CTX_STRUCT] = {40, 12, 5, 8, 6, 20, 4, 5},
	    [CTX_TABLE] = {45, 15, 5, 10, 0, 25, 0, 0},
	    [CTX_UNION] = {40, 20, 5, 0, 0, 35, 0, 0},
	};

	memset(t, 0, sizeof(*t));
	t->bconst = -1;
	t->k = (enum tkind)weighted(&g->rng, w[ctx], TKINDS);
	if ((t->k == T_REF || t->k == T_VREF) && !g->types.n)
		t->k = T_PRIM;
	if (t->k == T_BOX && !g->structs.n)
		t->k = T_PRIM;
	switch (t->k) {
	case T_PRIM:
		t->prim = pick_prim(g);
		break;
	case T_STRING:
	case T_BYTES:
		pick_bound(g, t);
		break;
	case T_VEC:
		t->prim = pick_prim(g);
		if (t->prim == P_U8)
			t->k = T_BYTES;
		pick_bound(g, t);
		break;
	case T_ARRAY:
		t->prim = pick_prim(g);
		t->bound = between(&g->rng, 2, 32);
		break;
	case T_REF:
		t->ref = list_pick(g, &g->types);
		/* Keep inline sizes realistic: big structs go out of line. */
		if (ctx == CTX_STRUCT && g->decls[t->ref].kind == D_STRUCT &&
		    g->decls[t->ref].size > 256)
			t->k = T_BOX;
		break;
	case T_BOX:
		t->ref = list_pick(g, &g->structs);
		break;
	case T_VREF:
		t->ref = list_pick(g, &g->types);
		pick_bound(g, t);
		break;
	}
}

static void bound_text(const struct gen *g, const struct ftype *t, char *out,
                       size_t n)
{
	if (t->bconst >= 0)
		snprintf(out, n, "%s", g->decls[t->bconst].name);
	else if (t->bound)
		snprintf(out, n, "%u", t->bound);
	else
		out[0] = '\0';
}

static void fidl_type(struct gen *g, const struct ftype *t)
{
	const char *ref = g->ndecls ? g->decls[t->ref].name : "";
	char b[48], sfx[52];

	bound_text(g, t, b, sizeof(b));
	snprintf(sfx, sizeof(sfx), "%s%s", b[0] ? ":" : "", b);
	switch (t->k) {
	case T_PRIM:
		put(&g->f, "%s", prims[t->prim].fidl);
		break;
	case T_STRING:
		put(&g->f, "string%s", sfx);
		break;
	case T_BYTES:
		put(&g->f, "vector<uint8>%s", sfx);
		break;
	case T_VEC:
		put(&g->f, "vector<%s>%s", prims[t->prim].fidl, sfx);
		break;
	case T_ARRAY:
		put(&g->f, "array<%s, %u>", prims[t->prim].fidl, t->bound);
		break;
	case T_REF:
		put(&g->f, "%s", ref);
		break;
	case T_BOX:
		put(&g->f, "box<%s>", ref);
		break;
	case T_VREF:
		put(&g->f, "vector<%s>%s", ref, sfx);
		break;
	}
}

static void proto_field(struct gen *g, const char *indent,
                        const struct field *fl, unsigned number)
{
	const struct ftype *t = &fl->t;
	const char *ref = g->ndecls ? g->decls[t->ref].name : "";
	const char *rep = "", *ty = ref;

	switch (t->k) {
	case T_PRIM:
		ty = prims[t->prim].proto;
		break;
	case T_STRING:
		ty = "string";
		break;
	case T_BYTES:
		ty = "bytes";
		break;
	case T_VEC:
		rep = "repeated ";
		ty = prims[t->prim].proto;
		break;
	case T_ARRAY:
		if (t->prim == P_U8) {
			ty = "bytes";
		} else {
			rep = "repeated ";
			ty = prims[t->prim].proto;
		}
		break;
	case T_REF:
	case T_BOX:
		break;
	case T_VREF:
		rep = "repeated ";
		break;
	}
	put(&g->p, "%s%s%s %s = %u;\n", indent, rep, ty, fl->name, number);
}

/* optional: a table member, written as XDR optional-data where XDR has it. */
static void xdr_field(struct gen *g, const char *indent, const struct field *fl,
                      int optional)
{
	const struct ftype *t = &fl->t;
	const char *ref = g->ndecls ? g->decls[t->ref].name : "";
	const char *star = optional ? "*" : "";
	char b[48];

	bound_text(g, t, b, sizeof(b));
	switch (t->k) {
	case T_PRIM:
		put(&g->x, "%s%s %s%s;\n", indent, prims[t->prim].xdr, star,
		    fl->name);
		break;
	case T_STRING:
		put(&g->x, "%sstring %s<%s>;\n", indent, fl->name, b);
		break;
	case T_BYTES:
		put(&g->x, "%sopaque %s<%s>;\n", indent, fl->name, b);
		break;
	case T_VEC:
		put(&g->x, "%s%s %s<%s>;\n", indent, prims[t->prim].xdr,
		    fl->name, b);
		break;
	case T_ARRAY:
		put(&g->x, "%s%s %s[%u];\n", indent,
		    t->prim == P_U8 ? "opaque" : prims[t->prim].xdr, fl->name,
		    t->bound);
		break;
	case T_REF:
		put(&g->x, "%s%s %s%s;\n", indent, ref, star, fl->name);
		break;
	case T_BOX:
		put(&g->x, "%s%s *%s;\n", indent, ref, fl->name);
		break;
	case T_VREF:
		put(&g->x, "%s%s %s<%s>;\n", indent, ref, fl->name, b);
		break;
	}
}

static void pick_fields(struct gen *g, enum ctx ctx, struct field *fl,
                        unsigned n)
{
	char names[16][40];

	for (unsigned i = 0; i < n; i++) {
		member_name(g, names, i);
		memcpy(fl[i].name, names[i], sizeof(fl[i].name));
		pick_type(g, ctx, &fl[i].t);
	}
}

/* A doc comment on some declarations, the same words in each language. */
static void doc(struct gen *g, const char *indent, unsigned percent)
{
	if (below(&g->rng, 100) >= percent)
		return;
	const char *a = nouns[below(&g->rng, NOUNS)];
	const char *b = nouns[below(&g->rng, NOUNS)];
	put(&g->f, "%s/// Describes the %s of one %s.\n", indent, a, b);
	put(&g->p, "%s// Describes the %s of one %s.\n", indent, a, b);
	put(&g->x, "%s/* Describes the %s of one %s. */\n", indent, a, b);
}

static void gen_const(struct gen *g)
{
	static const unsigned values[] = {8, 16, 32, 64, 128, 256, 1024, 4096};
	char name[48];

	snprintf(name, sizeof(name), "MAX_%s_%s%u",
	         nouns[below(&g->rng, NOUNS)], nouns[below(&g->rng, NOUNS)],
	         ++g->serial);
	upper(name, sizeof(name), name);
	struct decl *d = decl_add(g, D_CONST, name);
	if (!d)
		return;
	d->value = values[below(&g->rng, 8)];
	doc(g, "", 30);
	put(&g->f, "const %s uint32 = %u;\n\n", name, d->value);
	put(&g->p, "// const %s = %u; (proto3 has no constants)\n\n", name,
	    d->value);
	put(&g->x, "const %s = %u;\n\n", name, d->value);
	g->c.consts++;
}

static void gen_enum(struct gen *g)
{
	static const unsigned under[] = {5, 6, 7, 3}; /* uint8..uint32, int32 */
	static const unsigned wunder[] = {2, 2, 6, 2};
	char name[40], up[40], names[8][40];
	unsigned n = between(&g->rng, 2, 8), value = 0;
	int strict = below(&g->rng, 2);

	type_name(g, name, sizeof(name));
	upper(up, sizeof(up), name);
	unsigned prim = under[weighted(&g->rng, wunder, 4)];
	int implicit = prim == P_U32 && below(&g->rng, 4) == 0;

	doc(g, "", 40);
	if (implicit)
		put(&g->f, "type %s = %s enum {\n", name,
		    strict ? "strict" : "flexible");
	else
		put(&g->f, "type %s = %s enum : %s {\n", name,
		    strict ? "strict" : "flexible", prims[prim].fidl);
	put(&g->p, "enum %s {\n", name);
	put(&g->x, "enum %s {\n", name);
	for (unsigned i = 0; i < n; i++) {
		state_name(g, names, i);
		doc(g, "    ", 10);
		put(&g->f, "    %s = %u;\n", names[i], value);
		put(&g->p, "  %s_%s = %u;\n", up, names[i], value);
		put(&g->x, "  %s_%s = %u%s\n", up, names[i], value,
		    i + 1 < n ? "," : "");
		value += below(&g->rng, 4) ? 1 : between(&g->rng, 2, 4);
	}
	put(&g->f, "};\n\n");
	put(&g->p, "}\n\n");
	put(&g->x, "};\n\n");

	struct decl *d = decl_add(g, D_ENUM, name);
	if (!d)
		return;
	d->prim = prim;
	if (prim == P_U32 || prim == 3)
		list_add(g, &g->errenums, g->ndecls - 1);
	g->c.enums++;
	g->c.members += n;
}

static void gen_bits(struct gen *g)
{
	static const unsigned under[] = {5, 6, 7};
	static const unsigned wunder[] = {2, 2, 6};
	char name[40], up[40], names[8][40];
	unsigned n = between(&g->rng, 2, 8);
	int strict = below(&g->rng, 2);

	type_name(g, name, sizeof(name));
	upper(up, sizeof(up), name);
	unsigned prim = under[weighted(&g->rng, wunder, 3)];

	doc(g, "", 40);
	put(&g->f, "type %s = %s bits : %s {\n", name,
	    strict ? "strict" : "flexible", prims[prim].fidl);
	put(&g->p, "// bits: proto3 enums need a zero value, hence NONE.\n");
	put(&g->p, "enum %s {\n  %s_NONE = 0;\n", name, up);
	put(&g->x, "typedef unsigned int %s;\n", name);
	for (unsigned i = 0; i < n; i++) {
		state_name(g, names, i);
		put(&g->f, "    %s = 0x%02x;\n", names[i], 1u << i);
		put(&g->p, "  %s_%s = 0x%02x;\n", up, names[i], 1u << i);
		put(&g->x, "const %s_%s = 0x%02x;\n", up, names[i], 1u << i);
	}
	put(&g->f, "};\n\n");
	put(&g->p, "}\n\n");
	put(&g->x, "\n");

	if (decl_add(g, D_BITS, name))
		g->c.bits++;
	g->c.members += n;
}

static void gen_struct(struct gen *g)
{
	struct field fl[10];
	char name[40];
	unsigned n = between(&g->rng, 2, 10), size = 0;

	type_name(g, name, sizeof(name));
	pick_fields(g, CTX_STRUCT, fl, n);
	doc(g, "", 40);
	put(&g->f, "type %s = struct {\n", name);
	put(&g->p, "message %s {\n", name);
	put(&g->x, "struct %s {\n", name);
	for (unsigned i = 0; i < n; i++) {
		doc(g, "    ", 10);
		put(&g->f, "    %s ", fl[i].name);
		fidl_type(g, &fl[i].t);
		put(&g->f, ";\n");
		proto_field(g, "  ", &fl[i], i + 1);
		xdr_field(g, "  ", &fl[i], 0);
		size += type_size(g, &fl[i].t);
	}
	put(&g->f, "};\n\n");
	put(&g->p, "}\n\n");
	put(&g->x, "};\n\n");

	struct decl *d = decl_add(g, D_STRUCT, name);
	if (!d)
		return;
	d->size = size;
	g->c.structs++;
	g->c.members += n;
}

static void gen_table(struct gen *g)
{
	struct field fl[8];
	char name[40];
	unsigned n = between(&g->rng, 1, 8), ordinal = 0;

	type_name(g, name, sizeof(name));
	pick_fields(g, CTX_TABLE, fl, n);
	doc(g, "", 40);
	put(&g->f, "type %s = table {\n", name);
	put(&g->p, "message %s {\n", name);
	put(&g->x, "struct %s {\n", name);
	for (unsigned i = 0; i < n; i++) {
		/* Retired ordinals, as tables accumulate them over time. */
		if (i && below(&g->rng, 10) == 0) {
			ordinal++;
			put(&g->f, "    %u: reserved;\n", ordinal);
			put(&g->p, "  reserved %u;\n", ordinal);
			put(&g->x, "  /* %u: reserved */\n", ordinal);
		}
		ordinal++;
		doc(g, "    ", 10);
		put(&g->f, "    %u: %s ", ordinal, fl[i].name);
		fidl_type(g, &fl[i].t);
		put(&g->f, ";\n");
		proto_field(g, "  ", &fl[i], ordinal);
		xdr_field(g, "  ", &fl[i], 1);
	}
	put(&g->f, "};\n\n");
	put(&g->p, "}\n\n");
	put(&g->x, "};\n\n");

	if (decl_add(g, D_TABLE, name))
		g->c.tables++;
	g->c.members += n;
}

static void gen_union(struct gen *g)
{
	struct field fl[6];
	char name[40];
	unsigned n = between(&g->rng, 1, 6);
	int strict = below(&g->rng, 2);

	type_name(g, name, sizeof(name));
	pick_fields(g, CTX_UNION, fl, n);
	doc(g, "", 40);
	put(&g->f, "type %s = %s union {\n", name,
	    strict ? "strict" : "flexible");
	put(&g->p, "message %s {\n  oneof variant {\n", name);
	put(&g->x, "union %s switch (unsigned int tag) {\n", name);
	for (unsigned i = 0; i < n; i++) {
		doc(g, "    ", 10);
		put(&g->f, "    %u: %s ", i + 1, fl[i].name);
		fidl_type(g, &fl[i].t);
		put(&g->f, ";\n");
		proto_field(g, "    ", &fl[i], i + 1);
		put(&g->x, "case %u:\n", i + 1);
		xdr_field(g, "  ", &fl[i], 0);
	}
	put(&g->f, "};\n\n");
	put(&g->p, "  }\n}\n\n");
	if (!strict)
		put(&g->x, "default:\n  void;\n");
	put(&g->x, "};\n\n");

	if (decl_add(g, D_UNION, name))
		g->c.unions++;
	g->c.members += n;
}

enum mkind { M_ERROR, M_TWOWAY, M_ONEWAY, M_EVENT };

struct method {
	char name[40];
	enum mkind kind;
	int flexible;
	unsigned nreq;
	unsigned nresp;
	struct field req[4];
	struct field resp[3];
	const char *err;  /* FIDL error type */
	const char *perr; /* its proto spelling */
};

static void fidl_payload(struct gen *g, const struct field *fl, unsigned n)
{
	if (!n) {
		put(&g->f, "()");
		return;
	}
	put(&g->f, "(struct {\n");
	for (unsigned i = 0; i < n; i++) {
		put(&g->f, "        %s ", fl[i].name);
		fidl_type(g, &fl[i].t);
		put(&g->f, ";\n");
	}
	put(&g->f, "    })");
}

/* The named payload types proto and XDR need for one method. */
static void peer_payloads(struct gen *g, const char *proto,
                          const struct method *m)
{
	if (m->nreq) {
		put(&g->p, "message %s%sRequest {\n", proto, m->name);
		put(&g->x, "struct %s%sRequest {\n", proto, m->name);
		for (unsigned i = 0; i < m->nreq; i++) {
			proto_field(g, "  ", &m->req[i], i + 1);
			xdr_field(g, "  ", &m->req[i], 0);
		}
		put(&g->p, "}\n\n");
		put(&g->x, "};\n\n");
	}
	if (m->nresp) {
		put(&g->p, "message %s%sResponse {\n", proto, m->name);
		put(&g->x, "struct %s%sResponse {\n", proto, m->name);
		for (unsigned i = 0; i < m->nresp; i++) {
			proto_field(g, "  ", &m->resp[i], i + 1);
			xdr_field(g, "  ", &m->resp[i], 0);
		}
		put(&g->p, "}\n\n");
		put(&g->x, "};\n\n");
	}
	if (m->kind == M_ERROR) {
		/* FIDL synthesises this result union from `error`. */
		if (m->nresp) {
			put(&g->p,
			    "message %s%sResult {\n  oneof result {\n"
			    "    %s%sResponse response = 1;\n",
			    proto, m->name, proto, m->name);
			put(&g->x,
			    "union %s%sResult switch (int status) {\n"
			    "case 0:\n  %s%sResponse response;\n",
			    proto, m->name, proto, m->name);
		} else {
			put(&g->p,
			    "message %s%sResult {\n  oneof result {\n"
			    "    Empty response = 1;\n",
			    proto, m->name);
			put(&g->x,
			    "union %s%sResult switch (int status) {\n"
			    "case 0:\n  void;\n",
			    proto, m->name);
		}
		put(&g->p, "    %s err = 2;\n  }\n}\n\n", m->perr);
		put(&g->x, "default:\n  void;\n};\n\n");
	}
}

static void gen_method(struct gen *g, struct method *ms, unsigned i,
                       int openness)
{
	static const unsigned wkind[] = {35, 25, 25, 15};
	struct method *m = &ms[i];

	memset(m, 0, sizeof(*m));
	m->kind = (enum mkind)weighted(&g->rng, wkind, 4);
	for (int tries = 0;; tries++) {
		char noun[24];

		camel(noun, sizeof(noun), nouns[below(&g->rng, NOUNS)]);
		if (m->kind == M_EVENT)
			snprintf(m->name, sizeof(m->name), "On%s%s", noun,
			         happenings[below(&g->rng, HAPPENINGS)]);
		else
			snprintf(m->name, sizeof(m->name), "%s%s",
			         verbs[below(&g->rng, VERBS)], noun);
		int dup = 0;
		for (unsigned j = 0; j < i; j++)
			dup |= !strcmp(ms[j].name, m->name);
		if (!dup)
			break;
		if (tries == 8) {
			snprintf(m->name, sizeof(m->name), "Call%u", i);
			break;
		}
	}
	/* open: any method may be flexible; ajar: one-way and events only. */
	if (openness == 1 ||
	    (openness == 2 && (m->kind == M_ONEWAY || m->kind == M_EVENT)))
		m->flexible = below(&g->rng, 2);
	m->nreq = m->kind == M_EVENT ? between(&g->rng, 1, 4)
	                             : between(&g->rng, 0, 4);
	m->nresp = m->kind == M_ERROR || m->kind == M_TWOWAY
	               ? between(&g->rng, 0, 3)
	               : 0;
	pick_fields(g, CTX_STRUCT, m->req, m->nreq);
	pick_fields(g, CTX_STRUCT, m->resp, m->nresp);
	if (m->kind == M_ERROR) {
		unsigned r = below(&g->rng, 10);
		if (r < 3 && g->errenums.n) {
			m->err = g->decls[list_pick(g, &g->errenums)].name;
			m->perr = m->err;
		} else {
			m->err = r < 5 ? "int32" : "uint32";
			m->perr = m->err;
		}
	}
}

static void gen_protocol(struct gen *g)
{
	static const char *const openness[] = {"closed", "open", "ajar"};
	static const unsigned wopen[] = {60, 25, 15};
	struct method ms[8];
	char name[40], up[40];
	unsigned n = between(&g->rng, 2, 8);
	unsigned open = weighted(&g->rng, wopen, 3);

	camel(name, sizeof(name), nouns[below(&g->rng, NOUNS)]);
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s%u",
	         roles[below(&g->rng, ROLES)], ++g->serial);
	upper(up, sizeof(up), name);
	for (unsigned i = 0; i < n; i++)
		gen_method(g, ms, i, (int)open);

	/* Payload types first: proto and XDR name them. */
	for (unsigned i = 0; i < n; i++)
		peer_payloads(g, name, &ms[i]);

	doc(g, "", 60);
	if (below(&g->rng, 3) == 0)
		put(&g->f, "@discoverable\n");
	put(&g->f, "%s protocol %s {\n", openness[open], name);
	put(&g->p, "service %s {\n", name);
	put(&g->x, "program %s {\n  version %s_V1 {\n", up, up);
	for (unsigned i = 0; i < n; i++) {
		struct method *m = &ms[i];
		const char *strictness = m->flexible ? "flexible" : "strict";
		char mup[40];

		upper(mup, sizeof(mup), m->name);
		doc(g, "    ", 30);
		if (m->kind == M_EVENT) {
			put(&g->f, "    %s -> %s", strictness, m->name);
			fidl_payload(g, m->req, m->nreq);
			put(&g->f, ";\n");
			put(&g->p,
			    "  // event: a server stream, proto has no events\n"
			    "  rpc %s(Empty) returns (stream %s%sRequest);\n",
			    m->name, name, m->name);
			put(&g->x,
			    "    /* event: ONC RPC has no server-sent calls "
			    "*/\n"
			    "    void %s_%s(%s%sRequest) = %u;\n",
			    up, mup, name, m->name, i + 1);
			g->c.events++;
			g->c.methods++;
			continue;
		}
		put(&g->f, "    %s %s", strictness, m->name);
		fidl_payload(g, m->req, m->nreq);
		char req[96], resp[96];
		if (m->nreq)
			fmt(req, sizeof(req), "%s%sRequest", name, m->name);
		else
			snprintf(req, sizeof(req), "Empty");
		if (m->kind == M_ONEWAY) {
			put(&g->f, ";\n");
			put(&g->p, "  rpc %s(%s) returns (Empty);\n", m->name,
			    req);
			put(&g->x, "    void %s_%s(%s) = %u;\n", up, mup,
			    m->nreq ? req : "void", i + 1);
			g->c.methods++;
			continue;
		}
		put(&g->f, " -> ");
		fidl_payload(g, m->resp, m->nresp);
		if (m->kind == M_ERROR) {
			put(&g->f, " error %s;\n", m->err);
			fmt(resp, sizeof(resp), "%s%sResult", name, m->name);
		} else {
			put(&g->f, ";\n");
			if (m->nresp)
				fmt(resp, sizeof(resp), "%s%sResponse", name,
				    m->name);
			else
				snprintf(resp, sizeof(resp), "Empty");
		}
		put(&g->p, "  rpc %s(%s) returns (%s);\n", m->name, req, resp);
		put(&g->x, "    %s %s_%s(%s) = %u;\n",
		    strcmp(resp, "Empty") ? resp : "void", up, mup,
		    m->nreq ? req : "void", i + 1);
		g->c.methods++;
	}
	put(&g->f, "};\n\n");
	put(&g->p, "}\n\n");
	put(&g->x, "  } = 1;\n} = 0x%08x;\n\n", 0x20000000u + ++g->program);
	g->c.protocols++;
}

static void gen_decl(struct gen *g)
{
	/* Roughly the mix of a large platform IDL tree. */
	static const unsigned w[] = {8, 10, 5, 35, 12, 10, 20};

	switch (weighted(&g->rng, w, 7)) {
	case 0:
		gen_const(g);
		break;
	case 1:
		gen_enum(g);
		break;
	case 2:
		gen_bits(g);
		break;
	case 3:
		gen_struct(g);
		break;
	case 4:
		gen_table(g);
		break;
	case 5:
		gen_union(g);
		break;
	default:
		gen_protocol(g);
		break;
	}
}

static const char proto_notes[] =
    "// What proto3 cannot say, and how it is written here:\n"
    "// - consts: none in proto3; kept as comments.\n"
    "// - bits: an enum with an extra NONE = 0 value.\n"
    "// - string/vector bounds and array lengths: dropped; arrays are\n"
    "//   repeated fields (bytes for uint8); int8/16, uint8/16 widen.\n"
    "// - strict/flexible, box<>, protocol openness, @discoverable: none.\n"
    "// - FIDL's inline payload structs become named messages; `error`\n"
    "//   becomes a Result message with a oneof; payload-less calls use\n"
    "//   Empty; one-way methods return Empty; events are server-streaming\n"
    "//   rpcs taking Empty.\n";

static const char xdr_notes[] =
    "/* What XDR cannot say, and how it is written here:\n"
    " * - tables: structs whose scalar and named-type members are\n"
    " *   optional-data (*); strings and vectors stay (empty = absent);\n"
    " *   reserved ordinals are comments.\n"
    " * - unions: switched on an unsigned tag, the FIDL ordinal; flexible\n"
    " *   ones add default: void.\n"
    " * - bits: a typedef of unsigned int and one const per member.\n"
    " * - int8/int16: char/short (rpcgen extensions); box<>: optional-data.\n"
    " * - strict/flexible, protocol openness, @discoverable: none.\n"
    " * - `error`: a union switch (int status), case 0 is the response.\n"
    " * - payload structs are named; empty payloads are void; one-way\n"
    " *   methods return void; events are procedures of the same version\n"
    " *   (ONC RPC has no server-initiated calls).\n"
    " */\n";

static void counts_comment(struct buf *b, const char *open, const char *mid,
                           const char *close, const struct bench_counts *c)
{
	put(b,
	    "%s %u consts, %u enums, %u bits, %u structs, %u tables,\n"
	    "%s %u unions, %u protocols; %u members, %u methods (%u "
	    "events).%s\n",
	    open, c->consts, c->enums, c->bits, c->structs, c->tables, mid,
	    c->unions, c->protocols, c->members, c->methods, c->events, close);
}

static int finish(struct bench_text *out, struct buf *head, struct buf *body)
{
	put(head, "%.*s", (int)body->len, body->p ? body->p : "");
	if (head->oom || body->oom)
		return -1;
	out->data = head->p;
	out->len = head->len;
	out->lines = head->lines;
	head->p = NULL;
	return 0;
}

int bench_gen(unsigned target_lines, uint64_t seed, struct bench_lib *lib)
{
	struct gen g;
	struct buf hf = {0}, hp = {0}, hx = {0};
	int rc = -1;

	memset(&g, 0, sizeof(g));
	memset(lib, 0, sizeof(*lib));
	g.rng.s = seed;
	/* The FIDL header below is 6 lines. */
	while (g.f.lines + 6 < target_lines && !g.oom && !g.f.oom && !g.p.oom &&
	       !g.x.oom)
		gen_decl(&g);

	put(&hf,
	    "// Synthetic benchmark library, generated by bench_gen\n"
	    "// (seed %llu, target %u lines). Do not edit.\n",
	    (unsigned long long)seed, target_lines);
	counts_comment(&hf, "//", "//", "", &g.c);
	put(&hf, "library bench.synth;\n\n");

	put(&hp,
	    "// The proto3 twin of the FIDL benchmark library (seed %llu,\n"
	    "// target %u FIDL lines), for protoc-c. Do not edit.\n",
	    (unsigned long long)seed, target_lines);
	counts_comment(&hp, "//", "//", "", &g.c);
	put(&hp,
	    "%s\nsyntax = \"proto3\";\npackage bench.synth;\n\n"
	    "message Empty {}\n\n",
	    proto_notes);

	put(&hx,
	    "/* The ONC RPC twin of the FIDL benchmark library (seed %llu,\n"
	    " * target %u FIDL lines), for rpcgen. Do not edit.\n",
	    (unsigned long long)seed, target_lines);
	counts_comment(&hx, " *", " *", "", &g.c);
	put(&hx, " */\n%s\n", xdr_notes);

	if (!g.oom && !finish(&lib->fidl, &hf, &g.f) &&
	    !finish(&lib->proto, &hp, &g.p) && !finish(&lib->x, &hx, &g.x)) {
		lib->counts = g.c;
		rc = 0;
	}
	free(hf.p);
	free(hp.p);
	free(hx.p);
	free(g.f.p);
	free(g.p.p);
	free(g.x.p);
	free(g.decls);
	free(g.types.v);
	free(g.structs.v);
	free(g.consts.v);
	free(g.errenums.v);
	if (rc)
		bench_lib_free(lib);
	return rc;
}

static int write_file(const char *dir, const char *name,
                      const struct bench_text *t)
{
	char path[4096];
	FILE *fp;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	size_t n = fwrite(t->data, 1, t->len, fp);
	int err = ferror(fp);
	if (fclose(fp) || err || n != t->len)
		return -1;
	return 0;
}

int bench_lib_write(const struct bench_lib *lib, const char *dir)
{
	if (write_file(dir, "lib.fidl", &lib->fidl) ||
	    write_file(dir, "lib.proto", &lib->proto) ||
	    write_file(dir, "lib.x", &lib->x))
		return -1;
	return 0;
}

void bench_lib_free(struct bench_lib *lib)
{
	free(lib->fidl.data);
	free(lib->proto.data);
	free(lib->x.data);
	memset(lib, 0, sizeof(*lib));
}
