/* Method ordinals (RFC-0029): the first 8 bytes of SHA-256 of the method's
 * selector, little-endian, with the top bit cleared (the top bit is kept for
 * ordinals the system reserves, such as the epitaph's). */
#include "ordinal.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

uint64_t cf_ordinal_hash(const char *selector, size_t len)
{
	uint8_t digest[32];
	cf_sha256(selector, len, digest);
	uint64_t ordinal = 0;
	for (int i = 7; i >= 0; i--)
		ordinal = ordinal << 8 | digest[i];
	return ordinal & 0x7fffffffffffffffull;
}

uint64_t (*cf_ordinal_hash_fn)(const char *selector,
                               size_t len) = cf_ordinal_hash;

/* The @selector value, or NULL when the method has none (or it is not a
 * string: the resolver reports that). */
static const char *selector_attr(const cf_method *m, size_t *len)
{
	const cf_attr *attr = cf_attrs_find(&m->attrs, "selector");
	if (!attr)
		return NULL;
	const cf_value *v = cf_attr_find_arg(attr, "value");
	if (!v || v->kind != CF_VALUE_STRING || !v->str)
		return NULL;
	*len = v->str_len;
	return v->str;
}

/* Builds "<library>/<Protocol>.<name>", or takes a selector holding '/' as
 * it is (fidlc does the same: such a selector names another protocol's
 * method, e.g. for a method moved between libraries). */
static void assign(cf_library *lib, cf_decl *proto, cf_method *m)
{
	const cf_decl *home = m->declared_in ? m->declared_in : proto;
	const char *lib_name = home->library ? home->library->name : lib->name;
	size_t sel_len = 0;
	const char *sel = selector_attr(m, &sel_len);
	if (!sel) {
		sel = m->name;
		sel_len = strlen(m->name);
	}
	if (memchr(sel, '/', sel_len)) {
		m->ordinal = cf_ordinal_hash_fn(sel, sel_len);
		m->selector = sel;
		return;
	}
	size_t lib_len = strlen(lib_name), proto_len = strlen(home->name);
	size_t len = lib_len + 1 + proto_len + 1 + sel_len;
	char stack_buf[256];
	char *buf = len + 1 <= sizeof(stack_buf) ? stack_buf : NULL;
	if (lib->arena)
		buf = cf_arena_alloc(lib->arena, len + 1);
	else if (!buf)
		buf = malloc(len + 1);
	if (!buf)
		abort();
	memcpy(buf, lib_name, lib_len);
	buf[lib_len] = '/';
	memcpy(buf + lib_len + 1, home->name, proto_len);
	buf[lib_len + 1 + proto_len] = '.';
	memcpy(buf + lib_len + 1 + proto_len + 1, sel, sel_len);
	buf[len] = '\0';
	m->ordinal = cf_ordinal_hash_fn(buf, len);
	if (lib->arena) {
		m->selector = buf;
		return;
	}
	/* Without an arena the selector name alone is kept. */
	m->selector = sel;
	if (buf != stack_buf)
		free(buf);
}

static int cmp_by_ordinal(const void *a, const void *b)
{
	const cf_method *x = *(const cf_method *const *)a;
	const cf_method *y = *(const cf_method *const *)b;
	if (x->ordinal != y->ordinal)
		return x->ordinal < y->ordinal ? -1 : 1;
	/* Keep source order among equals so reports are stable. */
	return x < y ? -1 : x > y;
}

/* Two methods composed from the same protocol collide there too, where it
 * is reported once; a composing protocol does not repeat it. */
static bool reported_elsewhere(const cf_decl *proto, const cf_method *a,
                               const cf_method *b)
{
	return a->composed && b->composed && a->declared_in &&
	       a->declared_in == b->declared_in && a->declared_in != proto;
}

static bool check_protocol(cf_library *lib, cf_decl *proto, cf_diags *diags)
{
	bool ok = true;
	unsigned n = proto->method_count;
	for (unsigned i = 0; i < n; i++) {
		cf_method *m = &proto->methods[i];
		assign(lib, proto, m);
		if (m->ordinal == 0 && !m->composed) {
			ok = false;
			if (!cf_report(diags, m->loc, CF_DIAG_ORDINAL_ZERO,
			               m->name))
				return false;
		}
	}
	if (n < 2)
		return ok;
	cf_method **sorted = malloc(sizeof(*sorted) * n);
	if (!sorted)
		abort();
	for (unsigned i = 0; i < n; i++)
		sorted[i] = &proto->methods[i];
	qsort(sorted, n, sizeof(*sorted), cmp_by_ordinal);
	for (unsigned i = 1; i < n; i++) {
		cf_method *a = sorted[i - 1], *b = sorted[i];
		if (a->ordinal != b->ordinal || reported_elsewhere(proto, a, b))
			continue;
		ok = false;
		/* Point at the method of this protocol when one is composed. */
		cf_method *at = b->composed && !a->composed ? a : b;
		if (!cf_report(diags, at->loc, CF_DIAG_ORDINAL_COLLISION,
		               a->name, b->name,
		               (unsigned long long)a->ordinal))
			break;
	}
	free(sorted);
	return ok;
}

bool cf_assign_ordinals(cf_library *lib, cf_diags *diags)
{
	bool ok = true;
	for (unsigned i = 0; i < lib->decl_count; i++) {
		cf_decl *d = lib->decls[i];
		if (d->kind == CF_DECL_PROTOCOL &&
		    !check_protocol(lib, d, diags))
			ok = false;
	}
	return ok;
}
