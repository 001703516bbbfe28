/* The C emitter of gidl-run. Each case side becomes one function that
 * builds the GIDL value as wire-view C objects (static storage: every case
 * runs once, in its own child process), runs the generated encoder or
 * decoder, and checks bytes, handles, values or the error code. */
#include "gidl_emit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_MAX 2048

typedef struct emitter {
	FILE *out;
	const gt_library *lib;
	const gidl_case *c;
	int tmp; /* counter for unique storage names */
	char *why;
	size_t whysize;
	bool broken;
	bool skip; /* why names an unsupported feature */
} emitter;

static void unsupported(emitter *e, const char *fmt, ...)
{
	va_list ap;
	if (e->broken)
		return;
	e->broken = e->skip = true;
	va_start(ap, fmt);
	vsnprintf(e->why, e->whysize, fmt, ap);
	va_end(ap);
}

static void broken(emitter *e, const char *fmt, ...)
{
	va_list ap;
	if (e->broken)
		return;
	e->broken = true;
	va_start(ap, fmt);
	vsnprintf(e->why, e->whysize, fmt, ap);
	va_end(ap);
}

bool gidl_case_has_side(const gidl_case *c, gidl_side side)
{
	switch (c->kind) {
	case GIDL_SUCCESS:
		return true;
	case GIDL_ENCODE_SUCCESS:
	case GIDL_ENCODE_FAILURE:
		return side == GIDL_SIDE_ENCODE;
	case GIDL_DECODE_SUCCESS:
	case GIDL_DECODE_FAILURE:
		return side == GIDL_SIDE_DECODE;
	default:
		return false;
	}
}

/* The C declarator of type t for name (e.g. "uint8_t name[3]"). */
static void c_decl(const gt_type *t, const char *name, char *buf, size_t n)
{
	char inner[EXPR_MAX];
	switch (t->kind) {
	case GT_ARRAY:
		snprintf(inner, sizeof inner,
		         name[0] == '*' ? "(%s)[%u]" : "%s[%u]", name,
		         t->count);
		c_decl(t->elem, inner, buf, n);
		return;
	case GT_STRUCT:
		snprintf(buf, n, "%s %s%s", t->decl->c_name,
		         t->nullable ? "*" : "", name);
		return;
	case GT_TABLE:
	case GT_UNION:
		snprintf(buf, n, "%s %s", t->decl->c_name, name);
		return;
	case GT_STRING:
		snprintf(buf, n, "fidl_string_t %s", name);
		return;
	case GT_VECTOR:
		snprintf(buf, n, "fidl_vector_t %s", name);
		return;
	case GT_HANDLE:
		snprintf(buf, n, "zx_handle_t %s", name);
		return;
	default:
		snprintf(buf, n, "%s %s", gt_c_prim(t), name);
		return;
	}
}

static const gt_type *scalar_of(const gt_type *t)
{
	return t->kind == GT_ENUM || t->kind == GT_BITS ? t->decl->underlying
	                                                : t;
}

/* A C literal for a number value of scalar type t. */
static bool scalar_lit(emitter *e, const gt_type *t, const gidl_value *v,
                       char *buf, size_t n)
{
	const gt_type *s = scalar_of(t);
	const char *ct = gt_c_prim(s);
	if (s->kind == GT_BOOL) {
		if (v->kind != GIDL_V_BOOL) {
			broken(e, "line %d: expected a bool", v->line);
			return false;
		}
		snprintf(buf, n, "%s", v->b ? "true" : "false");
		return true;
	}
	if (s->kind == GT_FLOAT) {
		double d;
		if (v->kind == GIDL_V_FLOAT)
			d = v->f;
		else if (v->kind == GIDL_V_INT)
			d = v->neg ? -(double)v->u : (double)v->u;
		else {
			broken(e, "line %d: expected a number", v->line);
			return false;
		}
		snprintf(buf, n, "((%s)%a)", ct, d);
		return true;
	}
	if (v->kind != GIDL_V_INT) {
		broken(e, "line %d: expected an integer", v->line);
		return false;
	}
	if (v->neg && v->u == (uint64_t)1 << 63)
		snprintf(buf, n, "((%s)INT64_MIN)", ct);
	else if (v->neg)
		snprintf(buf, n, "((%s)-INT64_C(%" PRIu64 "))", ct, v->u);
	else
		snprintf(buf, n, "((%s)UINT64_C(%" PRIu64 "))", ct, v->u);
	return true;
}

/* Bytes as a C initializer list (at least one element). */
static void emit_byte_init(FILE *out, const uint8_t *data, size_t len)
{
	fputs("{", out);
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%s0x%02x",
		        i == 0   ? "\n\t\t"
		        : i % 16 ? ", "
		                 : ",\n\t\t",
		        data[i]);
	if (!len)
		fputs("0", out);
	fputs("}", out);
}

static const gt_member *member_named(const gt_decl *d, const char *name)
{
	for (size_t i = 0; i < d->nmembers; i++) {
		if (strcmp(d->members[i].name, name) == 0)
			return &d->members[i];
	}
	return NULL;
}

static const gt_member *member_by_ordinal(const gt_decl *d, uint64_t ord)
{
	for (size_t i = 0; i < d->nmembers; i++) {
		if (d->members[i].ordinal == ord)
			return &d->members[i];
	}
	return NULL;
}

static int count_handles(const gidl_value *v)
{
	if (!v)
		return 0;
	if (v->kind == GIDL_V_HANDLE || v->kind == GIDL_V_RESTRICT)
		return 1;
	if (v->kind == GIDL_V_UNKNOWN)
		return (int)v->handles.count;
	int n = 0;
	for (size_t i = 0; i < v->nfields; i++)
		n += count_handles(v->fields[i].value);
	for (size_t i = 0; i < v->nitems; i++)
		n += count_handles(v->items[i]);
	return n;
}

static bool check_object(emitter *e, const gt_type *t, const gidl_value *v)
{
	if (v->kind != GIDL_V_OBJECT) {
		broken(e, "line %d: expected a %s literal", v->line,
		       t->decl->name);
		return false;
	}
	if (strcmp(v->name, t->decl->name) != 0) {
		broken(e, "line %d: %s given where %s is expected", v->line,
		       v->name, t->decl->name);
		return false;
	}
	return true;
}

/* Resolves an object field to its member; NULL for unknown ordinals. */
static const gt_member *field_member(emitter *e, const gt_decl *d,
                                     const gidl_field *f)
{
	if (!f->name)
		return member_by_ordinal(d, f->ordinal);
	const gt_member *m = member_named(d, f->name);
	if (!m)
		broken(e, "line %d: %s has no member %s", f->value->line,
		       d->name, f->name);
	return m;
}

/* ---------------------------------------------------------------------
 * Building values (encode side)
 */

static void build(emitter *e, const gt_type *t, const gidl_value *v,
                  const char *lv);
static void emit_handle_list(emitter *e, const char *name,
                             const gidl_handles *hl);

/* Fills envelope lv (an fidl_envelope_t lvalue) with value v of type t. */
static void build_envelope(emitter *e, const gt_type *t, const gidl_value *v,
                           const char *lv)
{
	char name[32], decl[EXPR_MAX];
	snprintf(name, sizeof name, "o%d", e->tmp++);
	c_decl(t, name, decl, sizeof decl);
	fprintf(e->out, "\tstatic %s;\n", decl);
	build(e, t, v, name);
	if (t->size <= 4) {
		fprintf(e->out,
		        "\tmemcpy(%s.inlined.value, &%s, sizeof %s);\n"
		        "\t%s.inlined.num_handles = %d;\n"
		        "\t%s.inlined.flags = FIDL_ENVELOPE_INLINED;\n",
		        lv, name, name, lv, count_handles(v), lv);
	} else {
		fprintf(e->out, "\t%s.data = &%s;\n", lv, name);
	}
}

static void build_struct(emitter *e, const gt_type *t, const gidl_value *v,
                         const char *lv)
{
	char sub[EXPR_MAX], cm[128];
	if (!check_object(e, t, v))
		return;
	for (size_t i = 0; i < v->nfields && !e->broken; i++) {
		const gidl_field *f = &v->fields[i];
		const gt_member *m = field_member(e, t->decl, f);
		if (!m) {
			broken(e, "line %d: unknown member of struct %s",
			       f->value->line, t->decl->name);
			return;
		}
		snprintf(sub, sizeof sub, "%s.%s", lv,
		         gt_c_member(m->name, cm, sizeof cm));
		build(e, m->type, f->value, sub);
	}
}

static void build_table(emitter *e, const gt_type *t, const gidl_value *v,
                        const char *lv)
{
	uint64_t max = 0;
	char env[EXPR_MAX], arr[32];
	if (!check_object(e, t, v))
		return;
	for (size_t i = 0; i < v->nfields; i++) {
		const gidl_field *f = &v->fields[i];
		const gt_member *m = field_member(e, t->decl, f);
		uint64_t ord = m ? m->ordinal : f->ordinal;
		if (e->broken)
			return;
		if (f->value->kind != GIDL_V_NULL && ord > max)
			max = ord;
	}
	if (max > 64) {
		broken(e, "table ordinal %" PRIu64 " too large", max);
		return;
	}
	snprintf(arr, sizeof arr, "e%d", e->tmp++);
	fprintf(e->out, "\tstatic fidl_envelope_t %s[%" PRIu64 "];\n", arr,
	        max ? max : 1);
	fprintf(e->out, "\t%s.count = %" PRIu64 ";\n\t%s.envelopes = %s;\n", lv,
	        max, lv, arr);
	for (size_t i = 0; i < v->nfields && !e->broken; i++) {
		const gidl_field *f = &v->fields[i];
		const gt_member *m = field_member(e, t->decl, f);
		if (f->value->kind == GIDL_V_NULL)
			continue;
		if (!m) {
			unsupported(e, "unknown table members cannot be "
			               "encoded (unknown data is not kept)");
			return;
		}
		snprintf(env, sizeof env, "%s[%" PRIu64 "]", arr,
		         m->ordinal - 1);
		build_envelope(e, m->type, f->value, env);
	}
}

/* An unknown union member (only encode_failure cases get here): the tag
 * and the raw bytes, as a decoder leaves them (CBIND_DESIGN.md 1). */
static void build_unknown_member(emitter *e, const gidl_field *f,
                                 const char *lv)
{
	const gidl_value *v = f->value;
	char name[32];
	fprintf(e->out, "\t%s.tag = %" PRIu64 "u;\n", lv, f->ordinal);
	if (v->kind == GIDL_V_NULL ||
	    (v->kind == GIDL_V_UNKNOWN && !v->bytes.len && !v->handles.count))
		return;
	if (v->kind != GIDL_V_UNKNOWN || v->handles.count) {
		unsupported(e, "unknown members with handles cannot be "
		               "encoded (unknown data is not kept)");
		return;
	}
	snprintf(name, sizeof name, "r%d", e->tmp++);
	fprintf(e->out, "\tstatic uint8_t %s[%zu] = ", name, v->bytes.len);
	emit_byte_init(e->out, v->bytes.data, v->bytes.len);
	fputs(";\n", e->out);
	if (v->bytes.len <= 4)
		fprintf(
		    e->out,
		    "\tmemcpy(%s.envelope.inlined.value, %s, %zu);\n"
		    "\t%s.envelope.inlined.flags = FIDL_ENVELOPE_INLINED;\n",
		    lv, name, v->bytes.len, lv);
	else
		fprintf(e->out, "\t%s.envelope.data = %s;\n", lv, name);
}

static void build_union(emitter *e, const gt_type *t, const gidl_value *v,
                        const char *lv)
{
	char env[EXPR_MAX];
	if (v->kind == GIDL_V_NULL) {
		fprintf(e->out, "\tmemset(&%s, 0, sizeof %s);\n", lv, lv);
		return;
	}
	if (!check_object(e, t, v))
		return;
	if (v->nfields == 0 && t->nullable) {
		unsupported(e, "an optional union that is present with no "
		               "member cannot be expressed in the wire view "
		               "(tag 0 means absent)");
		return;
	}
	if (v->nfields == 0) {
		/* No member set: the encoder must refuse it. */
		fprintf(e->out, "\tmemset(&%s, 0, sizeof %s);\n", lv, lv);
		return;
	}
	if (v->nfields != 1) {
		broken(e, "line %d: a union value needs one member", v->line);
		return;
	}
	const gidl_field *f = &v->fields[0];
	const gt_member *m = field_member(e, t->decl, f);
	if (!m && !e->broken) {
		build_unknown_member(e, f, lv);
		return;
	}
	if (!m)
		return;
	fprintf(e->out, "\t%s.tag = %" PRIu64 "u;\n", lv, m->ordinal);
	snprintf(env, sizeof env, "%s.envelope", lv);
	build_envelope(e, m->type, f->value, env);
}

static void build_list(emitter *e, const gt_type *t, const gidl_value *v,
                       const char *lv)
{
	char name[32], decl[EXPR_MAX], sub[EXPR_MAX];
	if (v->kind != GIDL_V_LIST) {
		broken(e, "line %d: expected a list", v->line);
		return;
	}
	if (t->kind == GT_ARRAY) {
		if (v->nitems != t->count) {
			broken(e, "line %d: array needs %u elements", v->line,
			       t->count);
			return;
		}
		for (size_t i = 0; i < v->nitems && !e->broken; i++) {
			snprintf(sub, sizeof sub, "%s[%zu]", lv, i);
			build(e, t->elem, v->items[i], sub);
		}
		return;
	}
	snprintf(name, sizeof name, "v%d", e->tmp++);
	snprintf(sub, sizeof sub, "%s[%zu]", name, v->nitems ? v->nitems : 1);
	c_decl(t->elem, sub, decl, sizeof decl);
	fprintf(e->out, "\tstatic %s;\n", decl);
	fprintf(e->out, "\t%s.count = %zu;\n\t%s.data = %s;\n", lv, v->nitems,
	        lv, name);
	for (size_t i = 0; i < v->nitems && !e->broken; i++) {
		snprintf(sub, sizeof sub, "%s[%zu]", name, i);
		build(e, t->elem, v->items[i], sub);
	}
}

/* decode({ type = T, bytes = ..., handles = ... }): the value is what our
 * decoder makes of those bytes (so it holds only what decoding keeps). */
static void build_decoded(emitter *e, const gt_type *t, const gidl_value *v,
                          const char *lv)
{
	int n = e->tmp++;
	if (!t->decl || strcmp(t->decl->name, v->name) != 0 ||
	    (t->kind == GT_STRUCT && t->nullable)) {
		broken(e, "line %d: decode(%s) where another type is expected",
		       v->line, v->name);
		return;
	}
	for (size_t i = 0; i < v->handles.count; i++) {
		if (v->handles.idx[i] >= (int)e->c->nhandle_defs) {
			broken(e, "line %d: handle #%d is not defined", v->line,
			       v->handles.idx[i]);
			return;
		}
	}
	fprintf(e->out, "\tstatic const uint8_t db%d[] = ", n);
	emit_byte_init(e->out, v->bytes.data, v->bytes.len);
	fprintf(e->out,
	        ";\n\tstatic union { uint64_t a; uint8_t b[%zu]; } dm%d;\n"
	        "\tstatic zx_handle_info_t dh%d[%zu];\n",
	        v->bytes.len + 1, n, n, v->handles.count + 1);
	char name[32];
	snprintf(name, sizeof name, "di%d", n);
	emit_handle_list(e, name, &v->handles);
	fprintf(e->out,
	        "\tfidl_decoder_t dd%d;\n\t%s *dp%d = NULL;\n"
	        "\tprepare_message(&dd%d, dm%d.b, db%d, %zu, dh%d, h, di%d, "
	        "%zu, ht, hr);\n"
	        "\tEXPECT(%s_decode(&dd%d, &dp%d) == ZX_OK && dp%d, "
	        "\"decode() literal: %%s\", fidl_error_name(dd%d.error));\n"
	        "\t%s = *dp%d;\n",
	        n, t->decl->c_name, n, n, n, n, v->bytes.len, n, n,
	        v->handles.count, t->decl->c_name, n, n, n, n, lv, n);
}

static void build(emitter *e, const gt_type *t, const gidl_value *v,
                  const char *lv)
{
	char lit[128], name[32];
	if (e->broken)
		return;
	if (v->kind == GIDL_V_DECODE) {
		build_decoded(e, t, v, lv);
		return;
	}
	switch (t->kind) {
	case GT_BOOL:
	case GT_INT:
	case GT_FLOAT:
	case GT_ENUM:
	case GT_BITS:
		if (scalar_lit(e, t, v, lit, sizeof lit))
			fprintf(e->out, "\t%s = %s;\n", lv, lit);
		return;
	case GT_STRING:
		if (v->kind == GIDL_V_NULL) {
			fprintf(e->out, "\t%s.size = 0;\n\t%s.data = NULL;\n",
			        lv, lv);
			return;
		}
		if (v->kind != GIDL_V_STRING) {
			broken(e, "line %d: expected a string", v->line);
			return;
		}
		snprintf(name, sizeof name, "s%d", e->tmp++);
		fprintf(e->out, "\tstatic char %s[%zu] = ", name,
		        v->len ? v->len : 1);
		emit_byte_init(e->out, (const uint8_t *)v->str, v->len);
		fprintf(e->out, ";\n\t%s.size = %zu;\n\t%s.data = %s;\n", lv,
		        v->len, lv, name);
		return;
	case GT_VECTOR:
		if (v->kind == GIDL_V_NULL) {
			fprintf(e->out, "\t%s.count = 0;\n\t%s.data = NULL;\n",
			        lv, lv);
			return;
		}
		build_list(e, t, v, lv);
		return;
	case GT_ARRAY:
		build_list(e, t, v, lv);
		return;
	case GT_HANDLE:
		if (v->kind == GIDL_V_NULL) {
			fprintf(e->out, "\t%s = ZX_HANDLE_INVALID;\n", lv);
			return;
		}
		if (v->kind != GIDL_V_HANDLE && v->kind != GIDL_V_RESTRICT) {
			broken(e, "line %d: expected a handle", v->line);
			return;
		}
		if (v->handle >= (int)e->c->nhandle_defs) {
			broken(e, "line %d: handle #%d is not defined", v->line,
			       v->handle);
			return;
		}
		fprintf(e->out, "\t%s = h[%d];\n", lv, v->handle);
		return;
	case GT_STRUCT:
		if (t->nullable) {
			if (v->kind == GIDL_V_NULL) {
				fprintf(e->out, "\t%s = NULL;\n", lv);
				return;
			}
			snprintf(name, sizeof name, "b%d", e->tmp++);
			fprintf(e->out, "\tstatic %s %s;\n\t%s = &%s;\n",
			        t->decl->c_name, name, lv, name);
			build_struct(e, t, v, name);
			return;
		}
		if (v->kind == GIDL_V_NULL) {
			broken(e, "line %d: null for a non-optional struct",
			       v->line);
			return;
		}
		build_struct(e, t, v, lv);
		return;
	case GT_TABLE:
		build_table(e, t, v, lv);
		return;
	case GT_UNION:
		build_union(e, t, v, lv);
		return;
	}
}

/* ---------------------------------------------------------------------
 * Comparing decoded values (decode side)
 */

static void cmp(emitter *e, const gt_type *t, const gidl_value *v,
                const char *ex, const char *path);

static void cmp_envelope_value(emitter *e, const gt_type *t,
                               const gidl_value *v, const char *env,
                               const char *path)
{
	char name[32], ptr[64], decl[EXPR_MAX], deref[EXPR_MAX];
	snprintf(name, sizeof name, "p%d", e->tmp++);
	snprintf(ptr, sizeof ptr, "*%s", name);
	c_decl(t, ptr, decl, sizeof decl);
	fprintf(e->out, "\tEXPECT(!env_absent(&%s), \"%s: absent\");\n", env,
	        path);
	if (t->size <= 4) {
		fprintf(e->out,
		        "\tEXPECT(%s.inlined.flags & FIDL_ENVELOPE_INLINED, "
		        "\"%s: not inlined\");\n"
		        "\t%s = (void *)%s.inlined.value;\n",
		        env, path, decl, env);
	} else {
		fprintf(e->out,
		        "\tEXPECT(%s.data != NULL, \"%s: no data\");\n"
		        "\t%s = (void *)%s.data;\n",
		        env, path, decl, env);
	}
	fprintf(e->out, "\t(void)%s;\n", name);
	snprintf(deref, sizeof deref, "(*%s)", name);
	cmp(e, t, v, deref, path);
}

/* An unknown member after decode: its raw bytes (handles are closed). */
static void cmp_unknown(emitter *e, const gidl_value *v, const char *env,
                        const char *path)
{
	char name[32];
	if (v->kind == GIDL_V_NULL) {
		/* The value says only that an unknown member is there. */
		fprintf(e->out, "\tEXPECT(!env_absent(&%s), \"%s: absent\");\n",
		        env, path);
		return;
	}
	if (v->kind != GIDL_V_UNKNOWN) {
		broken(e, "line %d: unknown member needs bytes", v->line);
		return;
	}
	snprintf(name, sizeof name, "u%d", e->tmp++);
	fprintf(e->out, "\tstatic const uint8_t %s[] = ", name);
	emit_byte_init(e->out, v->bytes.data, v->bytes.len);
	fprintf(e->out, ";\n\tEXPECT(!env_absent(&%s), \"%s: absent\");\n", env,
	        path);
	if (v->bytes.len <= 4)
		fprintf(e->out,
		        "\tEXPECT(memcmp(%s.inlined.value, %s, %zu) == 0, "
		        "\"%s: unknown bytes differ\");\n",
		        env, name, v->bytes.len, path);
	else
		fprintf(e->out,
		        "\tEXPECT(%s.data && memcmp(%s.data, %s, %zu) == 0, "
		        "\"%s: unknown bytes differ\");\n",
		        env, env, name, v->bytes.len, path);
}

static void cmp_struct(emitter *e, const gt_type *t, const gidl_value *v,
                       const char *ex, const char *path)
{
	char sub[EXPR_MAX], subpath[EXPR_MAX], cm[128];
	static const gidl_value null_value = {.kind = GIDL_V_NULL};
	if (!check_object(e, t, v))
		return;
	for (size_t i = 0; i < v->nfields; i++) {
		if (!field_member(e, t->decl, &v->fields[i]) && !e->broken)
			broken(e, "line %d: unknown member of struct %s",
			       v->line, t->decl->name);
	}
	for (size_t i = 0; i < t->decl->nmembers && !e->broken; i++) {
		const gt_member *m = &t->decl->members[i];
		const gidl_value *fv = &null_value;
		for (size_t j = 0; j < v->nfields; j++) {
			if (v->fields[j].name &&
			    strcmp(v->fields[j].name, m->name) == 0)
				fv = v->fields[j].value;
		}
		snprintf(sub, sizeof sub, "%s.%s", ex,
		         gt_c_member(m->name, cm, sizeof cm));
		snprintf(subpath, sizeof subpath, "%s.%s", path, m->name);
		cmp(e, m->type, fv, sub, subpath);
	}
}

static void cmp_table(emitter *e, const gt_type *t, const gidl_value *v,
                      const char *ex, const char *path)
{
	char env[EXPR_MAX], subpath[EXPR_MAX];
	uint64_t max = 0;
	if (!check_object(e, t, v))
		return;
	for (size_t i = 0; i < v->nfields && !e->broken; i++) {
		const gidl_field *f = &v->fields[i];
		const gt_member *m = field_member(e, t->decl, f);
		uint64_t ord = m ? m->ordinal : f->ordinal;
		if (f->value->kind != GIDL_V_NULL && ord > max)
			max = ord;
	}
	if (max)
		fprintf(e->out,
		        "\tEXPECT(%s.count >= %" PRIu64 ", \"%s: count\");\n",
		        ex, max, path);
	/* Known members: present exactly when the value has them. */
	for (size_t i = 0; i < t->decl->nmembers && !e->broken; i++) {
		const gt_member *m = &t->decl->members[i];
		const gidl_value *fv = NULL;
		for (size_t j = 0; j < v->nfields; j++) {
			if (v->fields[j].name &&
			    strcmp(v->fields[j].name, m->name) == 0)
				fv = v->fields[j].value;
		}
		snprintf(env, sizeof env, "%s.envelopes[%" PRIu64 "]", ex,
		         m->ordinal - 1);
		snprintf(subpath, sizeof subpath, "%s.%s", path, m->name);
		if (!fv || fv->kind == GIDL_V_NULL) {
			fprintf(e->out,
			        "\tEXPECT(%s.count < %" PRIu64
			        " || env_absent(&%s), \"%s: present\");\n",
			        ex, m->ordinal, env, subpath);
			continue;
		}
		cmp_envelope_value(e, m->type, fv, env, subpath);
	}
	/* Unknown members: their raw bytes. */
	for (size_t i = 0; i < v->nfields && !e->broken; i++) {
		const gidl_field *f = &v->fields[i];
		if (f->name || member_by_ordinal(t->decl, f->ordinal))
			continue;
		snprintf(env, sizeof env, "%s.envelopes[%" PRIu64 "]", ex,
		         f->ordinal - 1);
		snprintf(subpath, sizeof subpath, "%s.%" PRIu64, path,
		         f->ordinal);
		if (f->value->kind == GIDL_V_NULL)
			fprintf(e->out,
			        "\tEXPECT(%s.count < %" PRIu64
			        " || env_absent(&%s), \"%s: present\");\n",
			        ex, f->ordinal, env, subpath);
		else
			cmp_unknown(e, f->value, env, subpath);
	}
}

static void cmp_union(emitter *e, const gt_type *t, const gidl_value *v,
                      const char *ex, const char *path)
{
	char env[EXPR_MAX], subpath[EXPR_MAX];
	if (v->kind == GIDL_V_NULL) {
		fprintf(e->out,
		        "\tEXPECT(%s.tag == 0 && env_absent(&%s.envelope), "
		        "\"%s: not absent\");\n",
		        ex, ex, path);
		return;
	}
	if (!check_object(e, t, v))
		return;
	if (v->nfields != 1) {
		broken(e, "line %d: a union value needs one member", v->line);
		return;
	}
	const gidl_field *f = &v->fields[0];
	const gt_member *m = field_member(e, t->decl, f);
	uint64_t ord = m ? m->ordinal : f->ordinal;
	if (e->broken)
		return;
	fprintf(e->out,
	        "\tEXPECT(%s.tag == %" PRIu64 "u, \"%s: tag %%\" PRIu64, "
	        "(uint64_t)%s.tag);\n",
	        ex, ord, path, ex);
	snprintf(env, sizeof env, "%s.envelope", ex);
	snprintf(subpath, sizeof subpath, "%s.%s", path,
	         m ? m->name : "<unknown>");
	if (m)
		cmp_envelope_value(e, m->type, f->value, env, subpath);
	else
		cmp_unknown(e, f->value, env, subpath);
}

static void cmp_list(emitter *e, const gt_type *t, const gidl_value *v,
                     const char *ex, const char *path)
{
	char sub[EXPR_MAX], subpath[EXPR_MAX], name[32], ptr[64],
	    decl[EXPR_MAX];
	if (v->kind != GIDL_V_LIST) {
		broken(e, "line %d: expected a list", v->line);
		return;
	}
	if (t->kind == GT_ARRAY) {
		if (v->nitems != t->count) {
			broken(e, "line %d: array needs %u elements", v->line,
			       t->count);
			return;
		}
		for (size_t i = 0; i < v->nitems && !e->broken; i++) {
			snprintf(sub, sizeof sub, "%s[%zu]", ex, i);
			snprintf(subpath, sizeof subpath, "%s[%zu]", path, i);
			cmp(e, t->elem, v->items[i], sub, subpath);
		}
		return;
	}
	fprintf(e->out,
	        "\tEXPECT(%s.data != NULL && %s.count == %zu, "
	        "\"%s: count %%\" PRIu64, (uint64_t)%s.count);\n",
	        ex, ex, v->nitems, path, ex);
	snprintf(name, sizeof name, "q%d", e->tmp++);
	snprintf(ptr, sizeof ptr, "*%s", name);
	c_decl(t->elem, ptr, decl, sizeof decl);
	fprintf(e->out, "\t%s = (void *)%s.data;\n\t(void)%s;\n", decl, ex,
	        name);
	for (size_t i = 0; i < v->nitems && !e->broken; i++) {
		snprintf(sub, sizeof sub, "%s[%zu]", name, i);
		snprintf(subpath, sizeof subpath, "%s[%zu]", path, i);
		cmp(e, t->elem, v->items[i], sub, subpath);
	}
}

static void cmp(emitter *e, const gt_type *t, const gidl_value *v,
                const char *ex, const char *path)
{
	char lit[128], name[32], sub[EXPR_MAX];
	if (e->broken)
		return;
	if (v->kind == GIDL_V_DECODE) {
		broken(e, "decode() values are not supported");
		return;
	}
	switch (t->kind) {
	case GT_BOOL:
	case GT_INT:
	case GT_ENUM:
	case GT_BITS:
		if (scalar_lit(e, t, v, lit, sizeof lit))
			fprintf(e->out,
			        "\tEXPECT(%s == %s, \"%s: got %%\" PRIu64, "
			        "(uint64_t)%s);\n",
			        ex, lit, path, ex);
		return;
	case GT_FLOAT:
		if (!scalar_lit(e, t, v, lit, sizeof lit))
			return;
		snprintf(name, sizeof name, "f%d", e->tmp++);
		fprintf(e->out,
		        "\t%s %s = %s;\n"
		        "\tEXPECT(memcmp(&%s, &%s, sizeof %s) == 0, "
		        "\"%s: float differs\");\n",
		        gt_c_prim(t), name, lit, name, ex, name, path);
		return;
	case GT_STRING:
		if (v->kind == GIDL_V_NULL) {
			fprintf(e->out,
			        "\tEXPECT(%s.data == NULL && %s.size == 0, "
			        "\"%s: not null\");\n",
			        ex, ex, path);
			return;
		}
		if (v->kind != GIDL_V_STRING) {
			broken(e, "line %d: expected a string", v->line);
			return;
		}
		snprintf(name, sizeof name, "s%d", e->tmp++);
		fprintf(e->out, "\tstatic const char %s[%zu] = ", name,
		        v->len ? v->len : 1);
		emit_byte_init(e->out, (const uint8_t *)v->str, v->len);
		fprintf(e->out,
		        ";\n\tEXPECT(%s.data != NULL && %s.size == %zu && "
		        "memcmp(%s.data, %s, %zu) == 0, \"%s: string "
		        "differs\");\n",
		        ex, ex, v->len, ex, name, v->len, path);
		return;
	case GT_VECTOR:
		if (v->kind == GIDL_V_NULL) {
			fprintf(e->out,
			        "\tEXPECT(%s.data == NULL && %s.count == 0, "
			        "\"%s: not null\");\n",
			        ex, ex, path);
			return;
		}
		cmp_list(e, t, v, ex, path);
		return;
	case GT_ARRAY:
		cmp_list(e, t, v, ex, path);
		return;
	case GT_HANDLE:
		if (v->kind == GIDL_V_NULL) {
			fprintf(e->out,
			        "\tEXPECT(%s == ZX_HANDLE_INVALID, "
			        "\"%s: not absent\");\n",
			        ex, path);
			return;
		}
		if (v->kind != GIDL_V_HANDLE && v->kind != GIDL_V_RESTRICT) {
			broken(e, "line %d: expected a handle", v->line);
			return;
		}
		if (v->handle >= (int)e->c->nhandle_defs) {
			broken(e, "line %d: handle #%d is not defined", v->line,
			       v->handle);
			return;
		}
		fprintf(e->out,
		        "\tEXPECT(same_object(%s, h[%d], koid[%d]), "
		        "\"%s: not handle #%d\");\n",
		        ex, v->handle, v->handle, path, v->handle);
		if (v->kind == GIDL_V_RESTRICT)
			fprintf(e->out,
			        "\tEXPECT(has_type_rights(%s, %" PRIu64
			        "u, 0x%" PRIx32 "u), \"%s: type or rights "
			        "differ\");\n",
			        ex, v->u, v->has_rights ? v->rights : 0u, path);
		return;
	case GT_STRUCT:
		if (t->nullable) {
			if (v->kind == GIDL_V_NULL) {
				fprintf(e->out,
				        "\tEXPECT(%s == NULL, \"%s: not "
				        "null\");\n",
				        ex, path);
				return;
			}
			fprintf(e->out, "\tEXPECT(%s != NULL, \"%s: null\");\n",
			        ex, path);
			snprintf(sub, sizeof sub, "(*%s)", ex);
			cmp_struct(e, t, v, sub, path);
			return;
		}
		if (v->kind == GIDL_V_NULL) {
			/* An omitted struct member of struct type. */
			broken(e, "line %d: no value for a struct member",
			       v->line);
			return;
		}
		cmp_struct(e, t, v, ex, path);
		return;
	case GT_TABLE:
		cmp_table(e, t, v, ex, path);
		return;
	case GT_UNION:
		cmp_union(e, t, v, ex, path);
		return;
	}
}

/* ---------------------------------------------------------------------
 * Cases
 */

static void emit_handles(emitter *e)
{
	const gidl_case *c = e->c;
	size_t n = c->nhandle_defs;
	fprintf(e->out, "\tzx_handle_t h[%zu];\n\tzx_koid_t koid[%zu];\n",
	        n + 1, n + 1);
	fprintf(e->out, "\tstatic const uint32_t ht[%zu] = {", n + 1);
	for (size_t i = 0; i < n; i++)
		fprintf(e->out, "%" PRIu32 ", ", c->handle_defs[i].obj_type);
	fprintf(e->out, "0};\n\tstatic const uint32_t hr[%zu] = {", n + 1);
	for (size_t i = 0; i < n; i++) {
		if (c->handle_defs[i].has_rights)
			fprintf(e->out, "0x%" PRIx32 "u, ",
			        c->handle_defs[i].rights);
		else
			fputs("NO_RIGHTS, ", e->out);
	}
	fprintf(e->out,
	        "0};\n\tif (make_handles(h, koid, %zu, ht, hr))\n"
	        "\t\treturn 1;\n\t(void)koid;\n",
	        n);
}

static void emit_handle_list(emitter *e, const char *name,
                             const gidl_handles *hl)
{
	fprintf(e->out, "\tstatic const int %s[%zu] = {", name, hl->count + 1);
	for (size_t i = 0; i < hl->count; i++)
		fprintf(e->out, "%d, ", hl->idx[i]);
	fputs("0};\n", e->out);
}

static void emit_encode(emitter *e, const gt_decl *d, gt_type *t)
{
	const gidl_case *c = e->c;
	fprintf(e->out, "\tstatic %s top;\n", d->c_name);
	build(e, t, c->value, "top");
	fprintf(e->out,
	        "\tfidl_encoder_t enc;\n"
	        "\tfidl_encoder_init(&enc, g_buf.b, sizeof g_buf.b, g_hd, "
	        "64);\n"
	        "\tzx_status_t st = %s_encode(&top, &enc);\n",
	        d->c_name);
	if (c->kind == GIDL_ENCODE_FAILURE) {
		/* Every handle of the value, before and after the failure,
		 * must be closed (handles.gidl). */
		fprintf(e->out,
		        "\treturn check_encode_failure(&enc, st, \"%s\", h, "
		        "%zu);\n",
		        c->err, c->nhandle_defs);
		return;
	}
	fprintf(e->out, "\tstatic const uint8_t want[] = ");
	emit_byte_init(e->out, c->bytes.data, c->bytes.len);
	fputs(";\n", e->out);
	if (c->has_dispositions) {
		size_t n = c->ndispositions;
		fprintf(e->out, "\tstatic const int wh[%zu] = {", n + 1);
		for (size_t i = 0; i < n; i++)
			fprintf(e->out, "%d, ", c->dispositions[i].handle);
		fprintf(e->out, "0};\n\tstatic const uint32_t wt[%zu] = {",
		        n + 1);
		for (size_t i = 0; i < n; i++)
			fprintf(e->out, "%" PRIu32 ", ",
			        c->dispositions[i].obj_type);
		fprintf(e->out, "0};\n\tstatic const uint32_t wr[%zu] = {",
		        n + 1);
		for (size_t i = 0; i < n; i++)
			fprintf(e->out, "0x%" PRIx32 "u, ",
			        c->dispositions[i].rights);
		fprintf(e->out,
		        "0};\n\treturn check_encode(&enc, st, want, %zu, h, "
		        "wh, %zu, wt, wr);\n",
		        c->bytes.len, n);
		return;
	}
	emit_handle_list(e, "wh", &c->handles);
	fprintf(e->out,
	        "\treturn check_encode(&enc, st, want, %zu, h, wh, %zu, "
	        "NULL, NULL);\n",
	        c->bytes.len, c->handles.count);
}

static void emit_decode(emitter *e, const gt_decl *d, gt_type *t)
{
	const gidl_case *c = e->c;
	fprintf(e->out, "\tstatic const uint8_t bytes[] = ");
	emit_byte_init(e->out, c->bytes.data, c->bytes.len);
	fputs(";\n", e->out);
	emit_handle_list(e, "hidx", &c->handles);
	fprintf(e->out,
	        "\tfidl_decoder_t dec;\n\t%s *out = NULL;\n"
	        "\tif (prepare_decoder(&dec, bytes, %zu, h, hidx, %zu, ht, "
	        "hr))\n\t\treturn 1;\n"
	        "\tzx_status_t st = %s_decode(&dec, &out);\n",
	        d->c_name, c->bytes.len, c->handles.count, d->c_name);
	if (c->kind == GIDL_DECODE_FAILURE) {
		fprintf(e->out,
		        "\treturn check_decode_failure(&dec, st, \"%s\", h, "
		        "hidx, %zu);\n",
		        c->err, c->handles.count);
		return;
	}
	fprintf(e->out,
	        "\tEXPECT(st == ZX_OK, \"decode failed: %%s (status %%d)\", "
	        "fidl_error_name(dec.error), (int)st);\n"
	        "\tEXPECT(out != NULL, \"decode gave no object\");\n");
	cmp(e, t, c->value, "(*out)", d->name);
	fputs("\treturn 0;\n", e->out);
}

gidl_emit_result gidl_emit_case(FILE *out, const gt_library *lib,
                                const gidl_case *c, gidl_side side, int id,
                                char *why, size_t whysize)
{
	emitter e = {
	    .out = NULL, .lib = lib, .c = c, .why = why, .whysize = whysize};
	char *text = NULL;
	size_t len = 0;
	const char *tname = c->value && c->value->kind == GIDL_V_OBJECT
	                        ? c->value->name
	                        : c->type;
	const gt_decl *d = tname ? gt_find(lib, tname) : NULL;

	if (!d) {
		snprintf(why, whysize,
		         "type %s not declared in the suite's FIDL",
		         tname ? tname : "?");
		return GIDL_SKIPPED;
	}
	if (side == GIDL_SIDE_DECODE &&
	    gidl_value_contains(c->value, GIDL_V_DECODE)) {
		snprintf(why, whysize,
		         "comparing with a decode() value "
		         "literal is not supported");
		return GIDL_SKIPPED;
	}
	if (side == GIDL_SIDE_ENCODE && c->kind != GIDL_ENCODE_FAILURE &&
	    gidl_value_has_unknown_member(c->value)) {
		snprintf(why, whysize,
		         "encoding unknown members is not supported "
		         "(unknown data is not kept, CBIND_DESIGN.md 1)");
		return GIDL_SKIPPED;
	}
	e.out = open_memstream(&text, &len);
	if (!e.out) {
		snprintf(why, whysize, "out of memory");
		return GIDL_BROKEN;
	}
	gt_type t = {.kind = d->kind, .decl = (gt_decl *)d, .size = d->size};
	fprintf(e.out,
	        "/* %s(\"%s\"), %s side */\nstatic int case_%d(void)\n{\n",
	        gidl_case_kind_name(c->kind), c->name,
	        side == GIDL_SIDE_ENCODE ? "encode" : "decode", id);
	emit_handles(&e);
	if (side == GIDL_SIDE_ENCODE)
		emit_encode(&e, d, &t);
	else
		emit_decode(&e, d, &t);
	fputs("}\n\n", e.out);
	fclose(e.out);
	if (e.broken) {
		free(text);
		return e.skip ? GIDL_SKIPPED : GIDL_BROKEN;
	}
	fwrite(text, 1, len, out);
	free(text);
	return GIDL_EMITTED;
}

/* The runtime part of the test program, as C text. */
static const char prelude[] =
    "#include <inttypes.h>\n"
    "#include <signal.h>\n"
    "#include <stdarg.h>\n"
    "#include <stdbool.h>\n"
    "#include <stdint.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include <sys/wait.h>\n"
    "#include <unistd.h>\n"
    "\n"
    "#include <cfidl/syscalls.h>\n"
    "#include <cfidl/wire.h>\n"
    "\n"
    "#define NO_RIGHTS UINT32_MAX\n"
    "static char g_reason[1024];\n"
    "static union { uint64_t align; uint8_t b[65536]; } g_buf;\n"
    "static zx_handle_disposition_t g_hd[64];\n"
    "static zx_handle_info_t g_hi[64];\n"
    "static zx_handle_t g_peers[64];\n"
    "static int g_npeers;\n"
    "\n"
    "static int fail(const char *fmt, ...)\n"
    "{\n"
    "\tva_list ap;\n"
    "\tva_start(ap, fmt);\n"
    "\tvsnprintf(g_reason, sizeof g_reason, fmt, ap);\n"
    "\tva_end(ap);\n"
    "\treturn 1;\n"
    "}\n"
    "\n"
    "#define EXPECT(cond, ...)                  \\\n"
    "\tdo {                               \\\n"
    "\t\tif (!(cond))                  \\\n"
    "\t\t\treturn fail(__VA_ARGS__); \\\n"
    "\t} while (0)\n"
    "\n"
    "static bool env_absent(const fidl_envelope_t *env)\n"
    "{\n"
    "\tstatic const uint8_t zero[sizeof *env];\n"
    "\treturn memcmp(env, zero, sizeof *env) == 0;\n"
    "}\n"
    "\n"
    "static zx_rights_t default_rights(uint32_t type)\n"
    "{\n"
    "\t/* zircon/rights.h: ZX_DEFAULT_EVENT_RIGHTS, "
    "ZX_DEFAULT_CHANNEL_RIGHTS */\n"
    "\tif (type == ZX_OBJ_TYPE_EVENT)\n"
    "\t\treturn ZX_RIGHTS_BASIC | ZX_RIGHT_SIGNAL;\n"
    "\treturn ZX_RIGHT_TRANSFER | ZX_RIGHT_WAIT | ZX_RIGHT_INSPECT |\n"
    "\t       ZX_RIGHTS_IO | ZX_RIGHT_SIGNAL | ZX_RIGHT_SIGNAL_PEER;\n"
    "}\n"
    "\n"
    "static zx_koid_t koid_of(zx_handle_t h)\n"
    "{\n"
    "\tzx_info_handle_basic_t info;\n"
    "\tif (zx_object_get_info(h, ZX_INFO_HANDLE_BASIC, &info, sizeof "
    "info,\n"
    "\t\t\t       NULL, NULL) != ZX_OK)\n"
    "\t\treturn ZX_KOID_INVALID;\n"
    "\treturn info.koid;\n"
    "}\n"
    "\n"
    "/* Makes handle_defs: events or channels (the peer stays open), then\n"
    " * reduces rights as the case asks. */\n"
    "static int make_handles(zx_handle_t *h, zx_koid_t *koid, int n,\n"
    "\t\t\tconst uint32_t *types, const uint32_t *rights)\n"
    "{\n"
    "\tfor (int i = 0; i < n; i++) {\n"
    "\t\tzx_status_t st;\n"
    "\t\tif (types[i] == ZX_OBJ_TYPE_EVENT) {\n"
    "\t\t\tst = zx_event_create(0, &h[i]);\n"
    "\t\t} else {\n"
    "\t\t\tst = zx_channel_create(0, &h[i], &g_peers[g_npeers]);\n"
    "\t\t\tif (st == ZX_OK && g_npeers < 63)\n"
    "\t\t\t\tg_npeers++;\n"
    "\t\t}\n"
    "\t\tif (st != ZX_OK)\n"
    "\t\t\treturn fail(\"creating handle #%d: status %d\", i, "
    "(int)st);\n"
    "\t\tkoid[i] = koid_of(h[i]);\n"
    "\t\tif (rights[i] != NO_RIGHTS) {\n"
    "\t\t\tst = zx_handle_replace(h[i], rights[i], &h[i]);\n"
    "\t\t\tif (st != ZX_OK)\n"
    "\t\t\t\treturn fail(\"reducing rights of #%d: status %d\", "
    "i,\n"
    "\t\t\t\t\t    (int)st);\n"
    "\t\t}\n"
    "\t}\n"
    "\treturn 0;\n"
    "}\n"
    "\n"
    "/* Same kernel object: the same handle, or the same koid (a handle\n"
    " * whose rights the decoder reduced is a new handle). */\n"
    "static bool same_object(zx_handle_t got, zx_handle_t want, "
    "zx_koid_t koid)\n"
    "{\n"
    "\treturn got != ZX_HANDLE_INVALID &&\n"
    "\t       (got == want || (koid != ZX_KOID_INVALID && "
    "koid_of(got) == koid));\n"
    "}\n"
    "\n"
    "static bool has_type_rights(zx_handle_t h, uint32_t type, "
    "zx_rights_t rights)\n"
    "{\n"
    "\tzx_info_handle_basic_t info;\n"
    "\tif (zx_object_get_info(h, ZX_INFO_HANDLE_BASIC, &info, sizeof "
    "info,\n"
    "\t\t\t       NULL, NULL) != ZX_OK)\n"
    "\t\treturn false;\n"
    "\treturn (!type || info.type == type) && info.rights == rights;\n"
    "}\n"
    "\n"
    "static void dump(char *out, size_t size, const uint8_t *b, uint32_t n)\n"
    "{\n"
    "\tsize_t used = 0;\n"
    "\tfor (uint32_t i = 0; i < n && used + 4 < size; i++)\n"
    "\t\tused += (size_t)snprintf(out + used, size - used, \"%02x%s\", "
    "b[i],\n"
    "\t\t\t\t\t  i % 8 == 7 ? \"|\" : \" \");\n"
    "\tout[used] = '\\0';\n"
    "}\n"
    "\n"
    "static int check_encode(const fidl_encoder_t *enc, zx_status_t st,\n"
    "\t\t\tconst uint8_t *want, uint32_t n, const zx_handle_t *h,\n"
    "\t\t\tconst int *wh, uint32_t nh, const uint32_t *wt,\n"
    "\t\t\tconst uint32_t *wr)\n"
    "{\n"
    "\tchar got[400], exp[400];\n"
    "\tEXPECT(st == ZX_OK, \"encode failed: %s (status %d)\",\n"
    "\t       fidl_error_name(enc->error), (int)st);\n"
    "\tif (enc->size != n || memcmp(enc->bytes, want, n) != 0) {\n"
    "\t\tdump(got, sizeof got, enc->bytes, enc->size);\n"
    "\t\tdump(exp, sizeof exp, want, n);\n"
    "\t\treturn fail(\"bytes differ: got %u [%s] want %u [%s]\", "
    "enc->size,\n"
    "\t\t\t    got, n, exp);\n"
    "\t}\n"
    "\tEXPECT(enc->handle_count == nh, \"%u handles, want %u\",\n"
    "\t       enc->handle_count, nh);\n"
    "\tfor (uint32_t i = 0; i < nh; i++) {\n"
    "\t\tEXPECT(enc->handles[i].handle == h[wh[i]],\n"
    "\t\t       \"handle %u is not #%d\", i, wh[i]);\n"
    "\t\tif (wt) {\n"
    "\t\t\tEXPECT(enc->handles[i].type == wt[i],\n"
    "\t\t\t       \"handle %u: type %u, want %u\", i,\n"
    "\t\t\t       enc->handles[i].type, wt[i]);\n"
    "\t\t\tEXPECT(enc->handles[i].rights == wr[i],\n"
    "\t\t\t       \"handle %u: rights 0x%x, want 0x%x\", i,\n"
    "\t\t\t       enc->handles[i].rights, wr[i]);\n"
    "\t\t}\n"
    "\t}\n"
    "\treturn 0;\n"
    "}\n"
    "\n"
    "/* A handle the codec closed (each case's handles are fresh). */\n"
    "static bool closed(zx_handle_t h)\n"
    "{\n"
    "\treturn zx_object_get_info(h, ZX_INFO_HANDLE_VALID, NULL, 0, NULL,\n"
    "\t\t\t\t  NULL) == ZX_ERR_BAD_HANDLE;\n"
    "}\n"
    "\n"
    "/* A failed encode closes every handle of the value: those it took and\n"
    " * those it had not reached. */\n"
    "static int check_encode_failure(const fidl_encoder_t *enc, "
    "zx_status_t st,\n"
    "\t\t\t\tconst char *want, const zx_handle_t *h, int nh)\n"
    "{\n"
    "\tEXPECT(st != ZX_OK, \"encoded, want %s\", want);\n"
    "\tEXPECT(strcmp(fidl_error_name(enc->error), want) == 0,\n"
    "\t       \"error %s, want %s\", fidl_error_name(enc->error), "
    "want);\n"
    "\tEXPECT(enc->handle_count == 0, \"%u handles left in the list\",\n"
    "\t       enc->handle_count);\n"
    "\tfor (int i = 0; i < nh; i++)\n"
    "\t\tEXPECT(closed(h[i]), \"handle #%d still open after the failed \"\n"
    "\t\t       \"encode\", i);\n"
    "\treturn 0;\n"
    "}\n"
    "\n"
    "/* A message as a channel read gives it: bytes in an aligned buffer,\n"
    " * handle infos with the handles' real type and rights. */\n"
    "static void prepare_message(fidl_decoder_t *dec, uint8_t *buf,\n"
    "\t\t\t    const uint8_t *bytes, uint32_t n,\n"
    "\t\t\t    zx_handle_info_t *hi, const zx_handle_t *h,\n"
    "\t\t\t    const int *hidx, uint32_t nh, const uint32_t *ht,\n"
    "\t\t\t    const uint32_t *hr)\n"
    "{\n"
    "\tmemcpy(buf, bytes, n);\n"
    "\tfor (uint32_t i = 0; i < nh; i++) {\n"
    "\t\thi[i].handle = h[hidx[i]];\n"
    "\t\thi[i].type = ht[hidx[i]];\n"
    "\t\thi[i].rights = hr[hidx[i]] != NO_RIGHTS ? hr[hidx[i]]\n"
    "\t\t\t\t\t\t       : default_rights(ht[hidx[i]]);\n"
    "\t\thi[i].unused = 0;\n"
    "\t}\n"
    "\tfidl_decoder_init(dec, buf, n, hi, nh);\n"
    "}\n"
    "\n"
    "static int prepare_decoder(fidl_decoder_t *dec, const uint8_t *bytes,\n"
    "\t\t\t   uint32_t n, const zx_handle_t *h, const int *hidx,\n"
    "\t\t\t   uint32_t nh, const uint32_t *ht, const uint32_t *hr)\n"
    "{\n"
    "\tprepare_message(dec, g_buf.b, bytes, n, g_hi, h, hidx, nh, ht, hr);\n"
    "\treturn 0;\n"
    "}\n"
    "\n"
    "/* A failed decode closes every handle of the message. */\n"
    "static int check_decode_failure(const fidl_decoder_t *dec, "
    "zx_status_t st,\n"
    "\t\t\t\tconst char *want, const zx_handle_t *h,\n"
    "\t\t\t\tconst int *hidx, int nh)\n"
    "{\n"
    "\tEXPECT(st != ZX_OK, \"decoded, want %s\", want);\n"
    "\tEXPECT(strcmp(fidl_error_name(dec->error), want) == 0,\n"
    "\t       \"error %s, want %s\", fidl_error_name(dec->error), "
    "want);\n"
    "\tfor (int i = 0; i < nh; i++)\n"
    "\t\tEXPECT(closed(h[hidx[i]]), \"handle #%d still open after the \"\n"
    "\t\t       \"failed decode\", hidx[i]);\n"
    "\treturn 0;\n"
    "}\n"
    "\n";

void gidl_emit_prelude(FILE *out, const char *header)
{
	fputs("/* Generated by gidl-run from GIDL cases: do not edit. */\n",
	      out);
	fputs(prelude, out);
	fprintf(out, "#include \"%s\"\n\n", header);
}

void gidl_emit_main(FILE *out, int count)
{
	fprintf(out, "static int (*const cases[%d])(void) = {\n", count + 1);
	for (int i = 0; i < count; i++)
		fprintf(out, "\tcase_%d,\n", i);
	fputs("\tNULL,\n};\n\n", out);
	fprintf(
	    out,
	    "/* Each case runs in its own child, so a crash or a leaked\n"
	    " * handle stays with that case. */\n"
	    "int main(void)\n"
	    "{\n"
	    "\tfor (int i = 0; i < %d; i++) {\n"
	    "\t\tint fds[2];\n"
	    "\t\tif (pipe(fds) != 0)\n"
	    "\t\t\treturn 2;\n"
	    "\t\tfflush(stdout);\n"
	    "\t\tpid_t pid = fork();\n"
	    "\t\tif (pid < 0)\n"
	    "\t\t\treturn 2;\n"
	    "\t\tif (pid == 0) {\n"
	    "\t\t\tclose(fds[0]);\n"
	    "\t\t\talarm(20); /* a hanging codec fails its case */\n"
	    "\t\t\tint r = cases[i]();\n"
	    "\t\t\tif (r == 0)\n"
	    "\t\t\t\tr = write(fds[1], \"\", 1) == 1 ? 0 : 1;\n"
	    "\t\t\telse\n"
	    "\t\t\t\tr = write(fds[1], g_reason, strlen(g_reason) + 1) "
	    "> 0 ? 1 : 1;\n"
	    "\t\t\t_exit(r);\n"
	    "\t\t}\n"
	    "\t\tclose(fds[1]);\n"
	    "\t\tchar reason[sizeof g_reason + 1];\n"
	    "\t\tsize_t got = 0;\n"
	    "\t\tssize_t n;\n"
	    "\t\twhile (got < sizeof reason - 1 &&\n"
	    "\t\t       (n = read(fds[0], reason + got, sizeof reason - 1 - "
	    "got)) > 0)\n"
	    "\t\t\tgot += (size_t)n;\n"
	    "\t\treason[got] = '\\0';\n"
	    "\t\tclose(fds[0]);\n"
	    "\t\tint status;\n"
	    "\t\tif (waitpid(pid, &status, 0) != pid)\n"
	    "\t\t\treturn 2;\n"
	    "\t\tif (WIFEXITED(status) && WEXITSTATUS(status) == 0)\n"
	    "\t\t\tprintf(\"PASS\\t%%d\\n\", i);\n"
	    "\t\telse if (WIFSIGNALED(status))\n"
	    "\t\t\tprintf(\"FAIL\\t%%d\\tkilled by signal %%d%%s\\n\", i,\n"
	    "\t\t\t       WTERMSIG(status),\n"
	    "\t\t\t       WTERMSIG(status) == SIGALRM ? \" (hung)\" : \"\");\n"
	    "\t\telse\n"
	    "\t\t\tprintf(\"FAIL\\t%%d\\t%%s\\n\", i,\n"
	    "\t\t\t       got ? reason : \"failed without a reason\");\n"
	    "\t}\n"
	    "\treturn 0;\n"
	    "}\n",
	    count);
}
