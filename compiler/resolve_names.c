/* Names: the hash map, fidlc's canonical and camel-case spellings, and
 * lookup of (dotted) names in the library, its imports and the builtins. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_internal.h"

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p)
		abort(); /* same policy as the arena: nothing to roll back */
	return p;
}

static size_t hash_key(const cf_map *m, const void *key)
{
	uint64_t h = 1469598103934665603ull;
	if (m->string_keys) {
		for (const unsigned char *s = key; *s; s++)
			h = (h ^ *s) * 1099511628211ull;
	} else {
		uintptr_t v = (uintptr_t)key;
		for (unsigned i = 0; i < sizeof(v); i++, v >>= 8)
			h = (h ^ (v & 0xff)) * 1099511628211ull;
	}
	return (size_t)h;
}

static bool key_equal(const cf_map *m, const void *a, const void *b)
{
	return m->string_keys ? strcmp(a, b) == 0 : a == b;
}

void cf_map_init(cf_map *m, bool string_keys)
{
	memset(m, 0, sizeof(*m));
	m->string_keys = string_keys;
}

void cf_map_free(cf_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

void *cf_map_get(const cf_map *m, const void *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash_key(m, key) & (m->cap - 1);;
	     i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].key)
			return NULL;
		if (key_equal(m, m->slots[i].key, key))
			return m->slots[i].value;
	}
}

static void grow(cf_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	cf_map_entry *old = m->slots;
	size_t old_cap = m->cap;
	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].key)
			continue;
		size_t j = hash_key(m, old[i].key) & (cap - 1);
		while (m->slots[j].key)
			j = (j + 1) & (cap - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

void *cf_map_put(cf_map *m, const void *key, void *value)
{
	if ((m->len + 1) * 2 > m->cap)
		grow(m);
	size_t i = hash_key(m, key) & (m->cap - 1);
	while (m->slots[i].key) {
		if (key_equal(m, m->slots[i].key, key))
			return m->slots[i].value;
		i = (i + 1) & (m->cap - 1);
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->len++;
	return value;
}

/* fidlc's canonical form: FooBar, FOO_BAR and foo_bar all collide. */
char *rs_canonical(cf_arena *arena, const char *name)
{
	char *out = cf_arena_alloc(arena, 2 * strlen(name) + 1);
	rs_canonical_into(name, out);
	return out;
}

void rs_canonical_into(const char *name, char *out)
{
	size_t n = strlen(name);
	size_t o = 0;
	char prev = '_';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		unsigned char p = (unsigned char)prev;
		if (c == '_') {
			if (prev != '_')
				out[o++] = '_';
		} else if (((islower(p) || isdigit(p)) && isupper(c)) ||
		           (prev != '_' && isupper(c) && i + 1 < n &&
		            islower((unsigned char)name[i + 1]))) {
			out[o++] = '_';
			out[o++] = (char)tolower(c);
		} else {
			out[o++] = (char)tolower(c);
		}
		prev = (char)c;
	}
	out[o] = 0;
}

/* fidlc's to_upper_camel_case: split into words at '_' and case changes,
 * lower-case each word, capitalise its first letter. */
char *rs_upper_camel(cf_arena *arena, const char *name)
{
	size_t n = strlen(name);
	char *out = cf_arena_alloc(arena, 2 * n + 1);
	size_t o = 0;
	if (n >= 2 && name[0] == 'k' && isupper((unsigned char)name[1])) {
		name++; /* fidlc strips the "kConstant" prefix */
		n--;
	}
	bool last_upper_or_begin = true, word_start = true;
	bool prev_digit = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '_' || c == '-' || c == '.') {
			word_start = true;
			last_upper_or_begin = true;
			continue;
		}
		bool next_lower =
		    i + 1 < n && islower((unsigned char)name[i + 1]);
		if (isupper(c) && (!last_upper_or_begin || next_lower))
			word_start = true;
		if (word_start) {
			if (prev_digit && isdigit(c))
				out[o++] = '_';
			out[o++] = (char)toupper(c);
			word_start = false;
		} else {
			out[o++] = (char)tolower(c);
		}
		prev_digit = isdigit(c);
		last_upper_or_begin = isupper(c);
	}
	out[o] = 0;
	return out;
}

bool rs_is_identifier(const char *s)
{
	if (!s || !isalpha((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return s[-1] != '_';
}

static rlibmap *libmap(cf_resolver *r, cf_library *lib)
{
	for (unsigned i = 0; i < r->libmap_count; i++)
		if (r->libmaps[i].lib == lib)
			return &r->libmaps[i];
	rlibmap *n = realloc(r->libmaps, (r->libmap_count + 1) * sizeof(*n));
	if (!n)
		abort();
	r->libmaps = n;
	rlibmap *m = &n[r->libmap_count++];
	m->lib = lib;
	cf_map_init(&m->names, true);
	for (unsigned i = 0; i < lib->decl_count; i++)
		cf_map_put(&m->names, lib->decls[i]->name, lib->decls[i]);
	return m;
}

cf_decl *rs_lib_find(cf_resolver *r, cf_library *lib, const char *name)
{
	if (lib == r->lib) {
		rdecl *rd = cf_map_get(&r->names, name);
		return rd ? &rd->d : NULL;
	}
	return cf_map_get(&libmap(r, lib)->names, name);
}

static const struct {
	const char *name;
	rbuiltin kind;
	cf_prim prim;
} builtins[] = {
    {"bool", RB_PRIM, CF_PRIM_BOOL},
    {"int8", RB_PRIM, CF_PRIM_INT8},
    {"int16", RB_PRIM, CF_PRIM_INT16},
    {"int32", RB_PRIM, CF_PRIM_INT32},
    {"int64", RB_PRIM, CF_PRIM_INT64},
    {"uint8", RB_PRIM, CF_PRIM_UINT8},
    {"uint16", RB_PRIM, CF_PRIM_UINT16},
    {"uint32", RB_PRIM, CF_PRIM_UINT32},
    {"uint64", RB_PRIM, CF_PRIM_UINT64},
    {"float32", RB_PRIM, CF_PRIM_FLOAT32},
    {"float64", RB_PRIM, CF_PRIM_FLOAT64},
    {"byte", RB_PRIM, CF_PRIM_UINT8}, /* old syntax */
    {"string", RB_STRING, 0},
    {"vector", RB_VECTOR, 0},
    {"array", RB_ARRAY, 0},
    {"box", RB_BOX, 0},
    {"client_end", RB_CLIENT_END, 0},
    {"server_end", RB_SERVER_END, 0},
    {"handle", RB_HANDLE, 0},
    {"request", RB_REQUEST, 0},
    {"MAX", RB_MAX, 0},
};

static bool find_builtin(const char *name, rlookup *out)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (strcmp(builtins[i].name, name) == 0) {
			out->builtin = builtins[i].kind;
			out->prim = builtins[i].prim;
			return true;
		}
	}
	return false;
}

/* zircon/system/public/zircon/types.h ZX_OBJ_TYPE_* */
static const struct {
	const char *name;
	uint32_t value;
} obj_types[] = {
    {"handle", 0},         {"none", 0},       {"process", 1},
    {"thread", 2},         {"vmo", 3},        {"channel", 4},
    {"event", 5},          {"port", 6},       {"interrupt", 9},
    {"pci_device", 11},    {"log", 12},       {"socket", 14},
    {"resource", 15},      {"eventpair", 16}, {"job", 17},
    {"vmar", 18},          {"fifo", 19},      {"guest", 20},
    {"vcpu", 21},          {"timer", 22},     {"iommu", 23},
    {"bti", 24},           {"profile", 25},   {"pmt", 26},
    {"suspend_token", 27}, {"pager", 28},     {"exception", 29},
    {"clock", 30},         {"stream", 31},    {"msi", 32},
};

bool rs_obj_type(const char *name, uint32_t *value)
{
	for (size_t i = 0; i < sizeof(obj_types) / sizeof(obj_types[0]); i++) {
		if (strcasecmp(obj_types[i].name, name) == 0) {
			*value = obj_types[i].value;
			return true;
		}
	}
	return false;
}

/* The library whose name (or alias) is the first k parts of n. */
static cf_library *prefix_library(cf_resolver *r, rfile *f, const ast_name *n,
                                  unsigned k)
{
	const char *d = n->dotted;
	size_t len = 0;
	unsigned dots = 0;
	while (d[len] && !(d[len] == '.' && ++dots == k))
		len++;
	if (dots != k && k != n->count)
		return NULL;
	if (strlen(r->lib->name) == len && strncmp(r->lib->name, d, len) == 0)
		return r->lib;
	for (unsigned i = 0; i < f->import_count; i++) {
		rimport *im = &f->imports[i];
		bool match =
		    strlen(im->name) == len && strncmp(im->name, d, len) == 0;
		if (!match && strlen(im->lib->name) == len &&
		    strncmp(im->lib->name, d, len) == 0)
			match = true;
		if (match) {
			im->used = true;
			return im->lib;
		}
	}
	return NULL;
}

static const ast_name_part *part_at(const ast_name *n, unsigned i)
{
	const ast_name_part *p = n->parts;
	while (p && i--)
		p = p->next;
	return p;
}

static bool is_member_holder(const cf_decl *d)
{
	return d->kind == CF_DECL_ENUM || d->kind == CF_DECL_BITS;
}

bool rs_lookup(cf_resolver *r, rfile *f, const ast_name *n, bool allow_member,
               rlookup *out)
{
	memset(out, 0, sizeof(*out));
	if (!n || !n->count || !n->parts || !n->dotted)
		return false;
	const ast_name_part *first = n->parts;
	if (n->count == 1) {
		out->decl = rs_lib_find(r, r->lib, first->text);
		if (out->decl || find_builtin(first->text, out))
			return true;
		rs_report(r, n->loc, CF_DIAG_UNKNOWN_NAME, n->dotted);
		return false;
	}
	/* `Decl.MEMBER` in this library */
	if (n->count == 2 && allow_member) {
		cf_decl *d = rs_lib_find(r, r->lib, first->text);
		if (d && is_member_holder(d)) {
			out->decl = d;
			out->member = first->next->text;
			out->member_loc = first->next->loc;
			return true;
		}
	}
	/* `lib.Decl` or `lib.Decl.MEMBER`, longest library name first */
	for (unsigned k = n->count - 1; k >= 1; k--) {
		unsigned rest = n->count - k;
		if (rest > 2 || (rest == 2 && !allow_member))
			continue;
		cf_library *lib = prefix_library(r, f, n, k);
		if (!lib)
			continue;
		const ast_name_part *p = part_at(n, k);
		cf_decl *d = rs_lib_find(r, lib, p->text);
		if (!d)
			continue;
		if (rest == 2) {
			if (!is_member_holder(d))
				continue;
			out->member = p->next->text;
			out->member_loc = p->next->loc;
		}
		out->decl = d;
		return true;
	}
	rs_report(r, n->loc, CF_DIAG_UNKNOWN_NAME, n->dotted);
	return false;
}
