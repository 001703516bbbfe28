/* The type part of a generated header: consts, enums, bits, aliases and
 * the wire-view layouts, each followed by static asserts that its C layout
 * is its wire layout (sizes and offsets from the model's shapes). */
#include "gen_c_internal.h"

#include <inttypes.h>
#include <string.h>

static bool is_layout(const cf_decl *d)
{
	return d->kind == CF_DECL_STRUCT || d->kind == CF_DECL_TABLE ||
	       d->kind == CF_DECL_UNION;
}

/* A C string literal of the bytes; '?' is escaped against trigraphs and
 * every other unusual byte is a 3-digit octal escape. */
static void string_literal(gc_writer *w, const char *s, uint32_t n)
{
	gc_printf(w, "\"");
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\' || c == '?')
			gc_printf(w, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			gc_printf(w, "%c", c);
		else
			gc_printf(w, "\\%03o", c);
	}
	gc_printf(w, "\"");
}

static void const_decl(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	const cf_type *t = d->const_type;
	const cf_value *v = &d->value;
	gc_doc(w, &d->attrs, 0);
	if (t->kind == CF_TYPE_STRING) {
		gc_printf(w, "#define %s ", name);
		string_literal(w, v->str ? v->str : "",
		               v->str ? v->str_len : 0);
		gc_printf(w, "\n");
		return;
	}
	cf_prim p = t->kind == CF_TYPE_PRIMITIVE ? t->prim
	            : t->kind == CF_TYPE_DECL && t->decl->subtype
	                ? t->decl->subtype->prim
	                : CF_PRIM_UINT32;
	const char *ctype = t->kind == CF_TYPE_DECL ? gc_decl_name(w, t->decl)
	                                            : gc_type_base(w, t);
	if (p == CF_PRIM_BOOL)
		gc_printf(w, "#define %s ((bool)%s)\n", name,
		          v->b ? "true" : "false");
	else if (cf_prim_is_float(p))
		gc_printf(w, "#define %s ((%s)%.17g)\n", name, ctype,
		          v->kind == CF_VALUE_FLOAT ? v->f
		          : v->kind == CF_VALUE_INT ? (double)v->i
		                                    : (double)v->u);
	else
		gc_printf(w, "#define %s ((%s)%s)\n", name, ctype,
		          gc_int_literal(w, p, v));
}

static void enum_or_bits(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	cf_prim p = d->subtype->prim;
	bool is_bits = d->kind == CF_DECL_BITS;
	gc_printf(w, "\n");
	gc_doc(w, &d->attrs, 0);
	gc_printf(w, "/* %s %s %s : %s */\n", d->strict ? "strict" : "flexible",
	          is_bits ? "bits" : "enum", d->full_name, cf_prim_name(p));
	gc_printf(w, "typedef %s %s;\n", gc_type_base(w, d->subtype), name);
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		gc_doc(w, &m->attrs, 0);
		gc_printf(w, "#define %s_%s ((%s)%s)\n", name, m->name, name,
		          gc_int_literal(w, p, &m->value));
	}
	if (is_bits) {
		cf_value mask = {.kind = CF_VALUE_UINT, .u = d->bits_mask};
		gc_printf(w, "/* Every known bit of %s. */\n", d->full_name);
		gc_printf(w, "#define %s_MASK ((%s)%s)\n", name, name,
		          gc_int_literal(w, p, &mask));
		gc_printf(w,
		          "static inline bool %s_is_known(%s value)\n{\n"
		          "\treturn (value & (%s)~%s_MASK) == 0;\n}\n",
		          name, name, name, name);
		return;
	}
	gc_printf(w, "static inline bool %s_is_known(%s value)\n{\n", name,
	          name);
	if (d->member_count == 0) {
		gc_printf(w, "\t(void)value;\n\treturn false;\n}\n");
		return;
	}
	gc_printf(w, "\tswitch (value) {\n");
	for (unsigned i = 0; i < d->member_count; i++)
		gc_printf(w, "\tcase %s_%s:\n", name, d->members[i].name);
	gc_printf(w, "\t\treturn true;\n\tdefault:\n\t\treturn false;\n"
	             "\t}\n}\n");
}

static void alias_decl(gc_writer *w, const cf_decl *d)
{
	const cf_type *t = d->alias_type;
	gc_printf(w, "\n");
	gc_doc(w, &d->attrs, 0);
	gc_printf(w, "/* alias %s = %s */\n", d->full_name, gc_fidl_type(w, t));
	gc_printf(w, "typedef %s;\n", gc_declarator(w, t, gc_decl_name(w, d)));
}

static void layout_head(gc_writer *w, const cf_decl *d, const char *what)
{
	gc_printf(w, "\n");
	gc_doc(w, &d->attrs, 0);
	gc_printf(w, "/* %s%s%s %s: %" PRIu32 " bytes inline */\n",
	          d->kind == CF_DECL_UNION
	              ? (d->strict ? "strict " : "flexible ")
	              : "",
	          d->resource ? "resource " : "", what, d->full_name,
	          d->shape.inline_size);
	gc_printf(w, "struct %s {\n", gc_decl_name(w, d));
}

static void size_assert(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	gc_printf(w,
	          "CFIDL_STATIC_ASSERT(sizeof(%s) == %" PRIu32
	          ", \"%s: wire size\");\n",
	          name, d->shape.inline_size, name);
}

static void struct_decl(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	layout_head(w, d, "struct");
	if (d->member_count == 0)
		gc_printf(w, "\tuint8_t __reserved; /* empty struct: 0 */\n");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		gc_doc(w, &m->attrs, 1);
		gc_printf(w, "\t%s; /* %s */\n",
		          gc_declarator(w, m->type, gc_member_name(w, m->name)),
		          gc_fidl_type(w, m->type));
	}
	gc_printf(w, "};\n");
	size_assert(w, d);
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		const char *mn = gc_member_name(w, m->name);
		gc_printf(w,
		          "CFIDL_STATIC_ASSERT(offsetof(%s, %s) == %" PRIu32
		          ", \"%s.%s: wire offset\");\n",
		          name, mn, m->offset, name, mn);
	}
}

/* Table and union members, by ordinal, in a comment (tables) or as tag
 * values (unions). */
static void envelope_members(gc_writer *w, const cf_decl *d, bool tags)
{
	const char *name = gc_decl_name(w, d);
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved || !m->name)
			continue;
		gc_doc(w, &m->attrs, 0);
		gc_printf(w, "#define %s_%s_%s ((%s)%" PRIu64 "u) /* %s */\n",
		          name, tags ? "Tag" : "Ordinal", m->name,
		          tags ? "fidl_xunion_tag_t" : "uint64_t", m->ordinal,
		          gc_fidl_type(w, m->type));
	}
}

/* Getters: a member's value in the wire view, NULL when absent (or, for
 * a union, when another member is set). */
static void getters(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	bool table = d->kind == CF_DECL_TABLE;
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved || !m->name)
			continue;
		const cf_type *t = m->type;
		/* Arrays would need a pointer-to-array return type. */
		const char *ret =
		    t->kind == CF_TYPE_ARRAY
		        ? "const void *"
		        : gc_fmt(w, "const %s%s", gc_type_base(w, t),
		                 gc_type_base(
		                     w, t)[strlen(gc_type_base(w, t)) - 1] ==
		                         '*'
		                     ? ""
		                     : " *");
		gc_printf(w, "static inline %s%s_get_%s(const %s *value)\n{\n",
		          ret, name, m->name, name);
		if (table)
			gc_printf(w,
			          "\treturn value->count >= %" PRIu64
			          " ? (%s)fidl_envelope_value(&value->"
			          "envelopes[%" PRIu64 "]) : NULL;\n}\n",
			          m->ordinal, ret, m->ordinal - 1);
		else
			gc_printf(w,
			          "\treturn value->tag == %s_Tag_%s ? "
			          "(%s)fidl_envelope_value(&value->envelope) "
			          ": NULL;\n}\n",
			          name, m->name, ret);
	}
}

static void table_decl(gc_writer *w, const cf_decl *d)
{
	layout_head(w, d, "table");
	gc_printf(w, "\tuint64_t count; /* the highest present ordinal */\n"
	             "\tfidl_envelope_t *envelopes; /* [i]: ordinal i + 1 */\n"
	             "};\n");
	size_assert(w, d);
	envelope_members(w, d, false);
	getters(w, d);
}

static void union_decl(gc_writer *w, const cf_decl *d)
{
	layout_head(w, d, "union");
	gc_printf(w, "\tfidl_xunion_tag_t tag; /* the ordinal; 0: absent */\n"
	             "\tfidl_envelope_t envelope;\n"
	             "};\n");
	size_assert(w, d);
	envelope_members(w, d, true);
	getters(w, d);
}

/* The layout t needs complete where it is used inline, or NULL. */
static const cf_decl *inline_layout(const cf_type *t)
{
	while (t->kind == CF_TYPE_ARRAY)
		t = t->element;
	if (t->kind != CF_TYPE_DECL)
		return NULL;
	if (t->decl->kind == CF_DECL_UNION ||
	    (t->decl->kind == CF_DECL_STRUCT && !t->nullable))
		return t->decl;
	return NULL;
}

static void layout_decl(gc_writer *w, const cf_decl *d)
{
	if (d->kind == CF_DECL_STRUCT)
		struct_decl(w, d);
	else if (d->kind == CF_DECL_TABLE)
		table_decl(w, d);
	else
		union_decl(w, d);
}

/* Emits d after the layouts of this library it holds inline (the
 * model's order misses an optional union that points back at its user). */
static void emit_layout(gc_writer *w, const cf_decl *d, bool *done)
{
	unsigned idx = 0;
	while (w->lib->decls[idx] != d)
		idx++;
	if (done[idx])
		return;
	done[idx] = true;
	for (unsigned i = 0; d->kind == CF_DECL_STRUCT && i < d->member_count;
	     i++) {
		const cf_decl *dep = inline_layout(d->members[i].type);
		if (dep && dep->library == w->lib)
			emit_layout(w, dep, done);
	}
	layout_decl(w, d);
}

void gc_types_header(gc_writer *w)
{
	const cf_library *lib = w->lib;
	bool any = false;
	for (unsigned i = 0; i < lib->decl_count; i++) {
		const cf_decl *d = lib->decls[i];
		if (!is_layout(d))
			continue;
		if (!any)
			gc_printf(w, "\n/* Every layout, so pointers can "
			             "name one before its definition. */\n");
		any = true;
		gc_printf(w, "typedef struct %s %s;\n", gc_decl_name(w, d),
		          gc_decl_name(w, d));
	}
	for (unsigned i = 0; i < lib->decl_count; i++) {
		const cf_decl *d = lib->decls[i];
		if (d->kind == CF_DECL_CONST) {
			gc_printf(w, "\n/* const %s %s */\n", d->full_name,
			          gc_fidl_type(w, d->const_type));
			const_decl(w, d);
		} else if (d->kind == CF_DECL_ENUM || d->kind == CF_DECL_BITS) {
			enum_or_bits(w, d);
		}
	}
	bool *done = cf_arena_alloc(&w->strings, lib->decl_count + 1);
	for (unsigned i = 0; i < lib->decl_count; i++)
		if (is_layout(lib->decls[i]))
			emit_layout(w, lib->decls[i], done);
	for (unsigned i = 0; i < lib->decl_count; i++)
		if (lib->decls[i]->kind == CF_DECL_ALIAS)
			alias_decl(w, lib->decls[i]);
}
