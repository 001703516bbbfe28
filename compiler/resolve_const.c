/* Constant evaluation: literals, names of constants and of enum or bits
 * members, and `|`, each checked against the type it is used as. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_internal.h"

/* A value before it meets its type. */
typedef struct rval {
	enum { RV_NUM, RV_STR, RV_BOOL } kind;
	bool neg;
	uint64_t mag;
	bool is_float;
	double f;
	const char *s;
	uint32_t len;
	bool b;
	const cf_decl *typed; /* the enum or bits the value belongs to */
	const char *identifier;
	bool is_max; /* the builtin MAX: the largest value of the type */
} rval;

/* The leaves of an `|` tree, left to right, without recursion (a long
 * `A | B | C ...` is a deep tree). Caller frees. */
static const ast_const **or_leaves(const ast_const *c, unsigned *count)
{
	size_t cap = 16, n = 0, sp = 0, scap = 16;
	const ast_const **out = malloc(cap * sizeof(*out));
	const ast_const **stack = malloc(scap * sizeof(*stack));
	if (!out || !stack)
		abort();
	stack[sp++] = c;
	while (sp) {
		const ast_const *x = stack[--sp];
		if (x && x->kind == AST_CONST_OR) {
			if (sp + 2 > scap) {
				scap *= 2;
				stack = realloc(stack, scap * sizeof(*stack));
				if (!stack)
					abort();
			}
			stack[sp++] = x->right;
			stack[sp++] = x->left;
			continue;
		}
		if (n == cap) {
			cap *= 2;
			out = realloc(out, cap * sizeof(*out));
			if (!out)
				abort();
		}
		out[n++] = x;
	}
	free(stack);
	*count = (unsigned)n;
	return out;
}

static const char *leaf_text(const ast_const *c)
{
	if (!c)
		return "?";
	switch (c->kind) {
	case AST_CONST_NUMBER:
		return c->text ? c->text : "?";
	case AST_CONST_STRING:
		return c->raw ? c->raw : "\"\"";
	case AST_CONST_TRUE:
		return "true";
	case AST_CONST_FALSE:
		return "false";
	case AST_CONST_NAME:
		return c->name.dotted ? c->name.dotted : "?";
	case AST_CONST_OR:
		break;
	}
	return "?";
}

char *rs_const_text(cf_resolver *r, const ast_const *c)
{
	if (!c || c->kind != AST_CONST_OR)
		return cf_arena_strdup(r->arena, leaf_text(c));
	unsigned n;
	const ast_const **leaves = or_leaves(c, &n);
	size_t len = 1;
	for (unsigned i = 0; i < n; i++)
		len += strlen(leaf_text(leaves[i])) + 3;
	char *s = cf_arena_alloc(r->arena, len);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			strcat(s, " | ");
		strcat(s, leaf_text(leaves[i]));
	}
	free(leaves);
	return s;
}

char *rs_type_text(cf_resolver *r, const cf_type *t)
{
	if (!t)
		return "?";
	const char *opt = t->nullable ? ":optional" : "";
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		return (char *)cf_prim_name(t->prim);
	case CF_TYPE_STRING:
		return cf_arena_printf(r->arena, "string%s", opt);
	case CF_TYPE_VECTOR:
		return cf_arena_printf(r->arena, "vector<%s>%s",
		                       rs_type_text(r, t->element), opt);
	case CF_TYPE_ARRAY:
		return cf_arena_printf(r->arena, "array<%s, %u>",
		                       rs_type_text(r, t->element),
		                       t->element_count);
	case CF_TYPE_HANDLE:
		return cf_arena_printf(
		    r->arena, "%s%s",
		    t->handle_resource ? t->handle_resource : "handle", opt);
	case CF_TYPE_ENDPOINT:
		return cf_arena_printf(r->arena, "%s:%s",
		                       t->role == CF_CLIENT_END ? "client_end"
		                                                : "server_end",
		                       t->decl ? t->decl->full_name : "?");
	case CF_TYPE_DECL:
		return cf_arena_printf(r->arena, "%s%s",
		                       t->decl ? t->decl->full_name : "?", opt);
	case CF_TYPE_FRAMEWORK_ERR:
		return "fidl.FrameworkErr";
	}
	return "?";
}

static bool parse_number(const char *text, rval *v, bool *overflow)
{
	const char *p = text;
	*overflow = false;
	v->kind = RV_NUM;
	v->neg = *p == '-';
	if (v->neg)
		p++;
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (strpbrk(p, ".eE")) {
		char *end;
		v->is_float = true;
		v->f = strtod(text, &end);
		if (*end)
			return false;
		*overflow = isinf(v->f);
		return true;
	}
	if (!*p)
		return false;
	uint64_t mag = 0;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return false;
		if (d >= base)
			return false;
		if (mag > (UINT64_MAX - d) / base)
			*overflow = true;
		mag = mag * base + d;
	}
	v->mag = mag;
	return true;
}

static void value_to_rval(const cf_value *cv, rval *v)
{
	switch (cv->kind) {
	case CF_VALUE_BOOL:
		v->kind = RV_BOOL;
		v->b = cv->b;
		break;
	case CF_VALUE_INT:
		v->kind = RV_NUM;
		v->neg = cv->i < 0;
		v->mag = v->neg ? 0 - (uint64_t)cv->i : (uint64_t)cv->i;
		break;
	case CF_VALUE_UINT:
		v->kind = RV_NUM;
		v->mag = cv->u;
		break;
	case CF_VALUE_FLOAT:
		v->kind = RV_NUM;
		v->is_float = true;
		v->f = cv->f;
		break;
	case CF_VALUE_STRING:
		v->kind = RV_STR;
		v->s = cv->str;
		v->len = cv->str_len;
		break;
	case CF_VALUE_NONE:
		break;
	}
}

static const cf_member *find_member(const cf_decl *d, const char *name)
{
	for (unsigned i = 0; i < d->member_count; i++)
		if (d->members[i].name && strcmp(d->members[i].name, name) == 0)
			return &d->members[i];
	return NULL;
}

static bool eval_name(cf_resolver *r, rfile *f, rdecl *user, const ast_const *c,
                      rval *v)
{
	rlookup lk;
	if (!rs_lookup(r, f, &c->name, true, &lk))
		return false;
	cf_decl *d = lk.decl;
	if (!d && lk.builtin == RB_MAX) {
		v->kind = RV_NUM;
		v->is_max = true;
		v->mag = UINT32_MAX; /* as a bound; typed below */
		v->identifier = "MAX";
		return true;
	}
	if (!d) {
		rs_report(r, c->loc, CF_DIAG_NOT_A_CONSTANT, c->name.dotted);
		return false;
	}
	if (lk.member) {
		if (!rs_ensure(r, d, c->loc))
			return false;
		const cf_member *m = find_member(d, lk.member);
		if (!m) {
			rs_report(r, lk.member_loc, CF_DIAG_UNKNOWN_MEMBER,
			          d->full_name, lk.member);
			return false;
		}
		if (m->value.kind == CF_VALUE_NONE)
			return false; /* its own error was reported */
		value_to_rval(&m->value, v);
		v->typed = d;
		v->identifier =
		    cf_arena_printf(r->arena, "%s.%s", d->full_name, m->name);
		rs_add_ref(r, user, d);
		return true;
	}
	if (d->kind != CF_DECL_CONST) {
		rs_report(r, c->loc, CF_DIAG_NOT_A_CONSTANT, c->name.dotted);
		return false;
	}
	if (!rs_ensure(r, d, c->loc) || d->value.kind == CF_VALUE_NONE)
		return false;
	value_to_rval(&d->value, v);
	if (d->const_type && d->const_type->kind == CF_TYPE_DECL)
		v->typed = d->const_type->decl;
	v->identifier = d->full_name;
	rs_add_ref(r, user, d);
	return true;
}

static bool eval_leaf(cf_resolver *r, rfile *f, rdecl *user, const ast_const *c,
                      rval *v)
{
	bool overflow;
	memset(v, 0, sizeof(*v));
	switch (c->kind) {
	case AST_CONST_NUMBER:
		if (!c->text || !parse_number(c->text, v, &overflow)) {
			rs_report(r, c->loc, CF_DIAG_INVALID_NUMBER,
			          leaf_text(c));
			return false;
		}
		if (overflow) {
			rs_report(r, c->loc, CF_DIAG_CONSTANT_OVERFLOW, c->text,
			          v->is_float ? "float64" : "uint64");
			return false;
		}
		return true;
	case AST_CONST_STRING:
		v->kind = RV_STR;
		v->s = c->text ? c->text : "";
		v->len = c->text ? c->text_len : 0;
		return true;
	case AST_CONST_TRUE:
	case AST_CONST_FALSE:
		v->kind = RV_BOOL;
		v->b = c->kind == AST_CONST_TRUE;
		return true;
	case AST_CONST_NAME:
		return eval_name(r, f, user, c, v);
	case AST_CONST_OR:
		break;
	}
	return false;
}

static bool fits(cf_prim p, bool neg, uint64_t mag)
{
	unsigned bits = cf_prim_size(p) * 8;
	if (cf_prim_is_signed(p)) {
		uint64_t max = (1ull << (bits - 1)) - 1;
		return neg ? mag <= max + 1 : mag <= max;
	}
	if (neg)
		return mag == 0;
	return bits == 64 || mag < (1ull << bits);
}

static void set_int(cf_value *out, cf_prim p, bool neg, uint64_t mag)
{
	if (cf_prim_is_signed(p)) {
		out->kind = CF_VALUE_INT;
		out->i = (int64_t)(neg ? 0 - mag : mag);
	} else {
		out->kind = CF_VALUE_UINT;
		out->u = mag;
	}
}

/* The primitive a value of type t is made of (enums and bits: their
 * subtype), or false when t is not a primitive-like type. */
static bool base_prim(cf_resolver *r, const cf_type *t, cf_prim *p)
{
	if (t->kind == CF_TYPE_PRIMITIVE) {
		*p = t->prim;
		return true;
	}
	if (t->kind == CF_TYPE_DECL && t->decl &&
	    (t->decl->kind == CF_DECL_ENUM || t->decl->kind == CF_DECL_BITS)) {
		if (!rs_ensure(r, t->decl, t->decl->loc) || !t->decl->subtype ||
		    t->decl->subtype->kind != CF_TYPE_PRIMITIVE)
			return false;
		*p = t->decl->subtype->prim;
		return true;
	}
	return false;
}

static bool mismatch(cf_resolver *r, const ast_const *c, const cf_type *want)
{
	rs_report(r, c->loc, CF_DIAG_CONSTANT_TYPE_MISMATCH,
	          rs_const_text(r, c), rs_type_text(r, want));
	return false;
}

static bool overflow(cf_resolver *r, const ast_const *c, const cf_type *want)
{
	rs_report(r, c->loc, CF_DIAG_CONSTANT_OVERFLOW, rs_const_text(r, c),
	          rs_type_text(r, want));
	return false;
}

/* Gives v the type want (NULL: keep the literal's own kind). */
static bool convert(cf_resolver *r, const ast_const *c, const rval *v,
                    const cf_type *want, cf_value *out)
{
	if (!want) {
		switch (v->kind) {
		case RV_BOOL:
			out->kind = CF_VALUE_BOOL;
			out->b = v->b;
			return true;
		case RV_STR:
			out->kind = CF_VALUE_STRING;
			out->str = v->s;
			out->str_len = v->len;
			return true;
		case RV_NUM:
			if (v->is_float) {
				out->kind = CF_VALUE_FLOAT;
				out->f = v->f;
			} else if (v->neg) {
				if (!fits(CF_PRIM_INT64, true, v->mag)) {
					rs_report(r, c->loc,
					          CF_DIAG_CONSTANT_OVERFLOW,
					          rs_const_text(r, c), "int64");
					return false;
				}
				set_int(out, CF_PRIM_INT64, true, v->mag);
			} else {
				set_int(out, CF_PRIM_UINT64, false, v->mag);
			}
			return true;
		}
		return false;
	}
	if (want->kind == CF_TYPE_STRING) {
		if (v->kind != RV_STR || v->typed)
			return mismatch(r, c, want);
		if (want->max_count != CF_UNBOUNDED && v->len > want->max_count)
			return overflow(r, c, want);
		out->kind = CF_VALUE_STRING;
		out->str = v->s;
		out->str_len = v->len;
		return true;
	}
	cf_prim p;
	if (!base_prim(r, want, &p))
		return mismatch(r, c, want);
	if (v->is_max && (want->kind != CF_TYPE_PRIMITIVE ||
	                  !cf_prim_is_integer(p) || cf_prim_is_signed(p)))
		return mismatch(r, c, want);
	if (want->kind == CF_TYPE_DECL) {
		/* enum and bits take their own members (and constants of
		 * their type); bits also take a plain unsigned number */
		bool ok = v->typed == want->decl;
		if (!ok && !v->typed && v->kind == RV_NUM && !v->is_float &&
		    want->decl->kind == CF_DECL_BITS)
			ok = true;
		if (!ok || v->kind != RV_NUM)
			return mismatch(r, c, want);
		if (!fits(p, v->neg, v->mag))
			return overflow(r, c, want);
		set_int(out, p, v->neg, v->mag);
		return true;
	}
	if (v->typed)
		return mismatch(r, c, want);
	if (p == CF_PRIM_BOOL) {
		if (v->kind != RV_BOOL)
			return mismatch(r, c, want);
		out->kind = CF_VALUE_BOOL;
		out->b = v->b;
		return true;
	}
	if (v->kind != RV_NUM)
		return mismatch(r, c, want);
	if (cf_prim_is_float(p)) {
		double f = v->is_float
		               ? v->f
		               : (v->neg ? -(double)v->mag : (double)v->mag);
		if (p == CF_PRIM_FLOAT32 && fabs(f) > FLT_MAX)
			return overflow(r, c, want);
		out->kind = CF_VALUE_FLOAT;
		out->f = f;
		return true;
	}
	if (v->is_float)
		return mismatch(r, c, want);
	if (v->is_max) {
		unsigned w = cf_prim_size(p) * 8;
		set_int(out, p, false, w == 64 ? UINT64_MAX : (1ull << w) - 1);
		return true;
	}
	if (!fits(p, v->neg, v->mag))
		return overflow(r, c, want);
	set_int(out, p, v->neg, v->mag);
	return true;
}

static bool eval_or(cf_resolver *r, rfile *f, rdecl *user, const ast_const *c,
                    const cf_type *want, cf_value *out)
{
	cf_prim p = CF_PRIM_UINT64;
	if (want) {
		bool ok = base_prim(r, want, &p) && cf_prim_is_integer(p) &&
		          !cf_prim_is_signed(p) &&
		          (want->kind == CF_TYPE_PRIMITIVE ||
		           want->decl->kind == CF_DECL_BITS);
		if (!ok)
			return mismatch(r, c, want);
	}
	unsigned n;
	const ast_const **leaves = or_leaves(c, &n);
	uint64_t acc = 0;
	bool ok = true;
	for (unsigned i = 0; i < n && ok; i++) {
		rval v;
		cf_value one;
		memset(&one, 0, sizeof(one));
		ok = leaves[i] && eval_leaf(r, f, user, leaves[i], &v) &&
		     convert(r, leaves[i], &v, want, &one);
		if (ok && one.kind != CF_VALUE_UINT)
			ok = mismatch(r, leaves[i], want);
		acc |= one.u;
	}
	free(leaves);
	if (!ok)
		return false;
	out->kind = CF_VALUE_UINT;
	out->u = acc;
	(void)p;
	return true;
}

bool rs_eval_const(cf_resolver *r, rfile *f, rdecl *user, const ast_const *c,
                   const cf_type *want, cf_value *out)
{
	memset(out, 0, sizeof(*out));
	if (!c)
		return false;
	bool ok;
	if (c->kind == AST_CONST_OR) {
		ok = eval_or(r, f, user, c, want, out);
	} else {
		rval v;
		ok = eval_leaf(r, f, user, c, &v) &&
		     convert(r, c, &v, want, out);
		if (ok && c->kind == AST_CONST_NAME)
			out->identifier = v.identifier;
	}
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->expression = rs_const_text(r, c);
	if (out->kind == CF_VALUE_STRING && out->str) {
		/* NUL-terminated copy in the model's arena */
		char *s = cf_arena_alloc(r->arena, (size_t)out->str_len + 1);
		memcpy(s, out->str, out->str_len);
		out->str = s;
	}
	return true;
}
