/* The C back end's driver and its naming rules. The names follow the old
 * Fuchsia C bindings: "<library with . -> _>_<Decl>". */
#include "gen_c.h"
#include "gen_c_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void gc_printf(gc_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vfprintf(w->out, fmt, ap) < 0 && !w->err)
		w->err = errno ? errno : EIO;
	va_end(ap);
}

const char *gc_fmt(gc_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = cf_arena_alloc(&w->strings, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

const char *gc_lib_prefix(gc_writer *w, const cf_library *lib)
{
	char *s = cf_arena_strdup(&w->strings, lib->name);
	for (char *p = s; *p; p++)
		if (*p == '.')
			*p = '_';
	return s;
}

const char *gc_decl_name(gc_writer *w, const cf_decl *d)
{
	return gc_fmt(w, "%s_%s", gc_lib_prefix(w, d->library), d->name);
}

/* C11 and C++ keywords, and the names <stdbool.h> defines. */
static const char *const keywords[] = {
    "alignas",   "alignof",  "and",      "asm",       "auto",     "bool",
    "break",     "case",     "catch",    "char",      "class",    "const",
    "constexpr", "continue", "default",  "delete",    "do",       "double",
    "else",      "enum",     "explicit", "export",    "extern",   "false",
    "float",     "for",      "friend",   "goto",      "if",       "inline",
    "int",       "long",     "mutable",  "namespace", "new",      "noexcept",
    "not",       "nullptr",  "operator", "or",        "private",  "protected",
    "public",    "register", "restrict", "return",    "short",    "signed",
    "sizeof",    "static",   "struct",   "switch",    "template", "this",
    "throw",     "true",     "try",      "typedef",   "typeid",   "typename",
    "union",     "unsigned", "using",    "virtual",   "void",     "volatile",
    "while",     "xor",      NULL,
};

const char *gc_member_name(gc_writer *w, const char *name)
{
	for (int i = 0; keywords[i]; i++)
		if (strcmp(name, keywords[i]) == 0)
			return gc_fmt(w, "%s_", name);
	return name;
}

static const char *prim_c(cf_prim p)
{
	static const char *const names[] = {
	    [CF_PRIM_BOOL] = "bool",       [CF_PRIM_INT8] = "int8_t",
	    [CF_PRIM_INT16] = "int16_t",   [CF_PRIM_INT32] = "int32_t",
	    [CF_PRIM_INT64] = "int64_t",   [CF_PRIM_UINT8] = "uint8_t",
	    [CF_PRIM_UINT16] = "uint16_t", [CF_PRIM_UINT32] = "uint32_t",
	    [CF_PRIM_UINT64] = "uint64_t", [CF_PRIM_FLOAT32] = "float",
	    [CF_PRIM_FLOAT64] = "double",
	};
	return names[p];
}

const char *gc_type_base(gc_writer *w, const cf_type *t)
{
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		return prim_c(t->prim);
	case CF_TYPE_STRING:
		return "fidl_string_t";
	case CF_TYPE_VECTOR:
		return "fidl_vector_t";
	case CF_TYPE_ARRAY:
		return gc_type_base(w, t->element);
	case CF_TYPE_HANDLE:
	case CF_TYPE_ENDPOINT:
		return "zx_handle_t";
	case CF_TYPE_FRAMEWORK_ERR:
		return "int32_t";
	case CF_TYPE_DECL:
		/* A box is a pointer; an optional union stays inline. */
		if (t->decl->kind == CF_DECL_STRUCT && t->nullable)
			return gc_fmt(w, "%s *", gc_decl_name(w, t->decl));
		return gc_decl_name(w, t->decl);
	}
	return "void";
}

const char *gc_type_suffix(gc_writer *w, const cf_type *t)
{
	if (t->kind != CF_TYPE_ARRAY)
		return "";
	return gc_fmt(w, "[%" PRIu32 "]%s", t->element_count,
	              gc_type_suffix(w, t->element));
}

const char *gc_declarator(gc_writer *w, const cf_type *t, const char *name)
{
	const char *base = gc_type_base(w, t);
	size_t n = strlen(base);
	const char *sep = n && base[n - 1] == '*' ? "" : " ";
	return gc_fmt(w, "%s%s%s%s", base, sep, name, gc_type_suffix(w, t));
}

static const char *bound(gc_writer *w, const cf_type *t)
{
	const char *b = t->max_count == CF_UNBOUNDED
	                    ? ""
	                    : gc_fmt(w, ":%" PRIu32, t->max_count);
	return gc_fmt(w, "%s%s", b, t->nullable ? ":optional" : "");
}

const char *gc_fidl_type(gc_writer *w, const cf_type *t)
{
	const char *opt = t->nullable ? ":optional" : "";
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		return cf_prim_name(t->prim);
	case CF_TYPE_STRING:
		return gc_fmt(w, "string%s", bound(w, t));
	case CF_TYPE_VECTOR:
		return gc_fmt(w, "vector<%s>%s", gc_fidl_type(w, t->element),
		              bound(w, t));
	case CF_TYPE_ARRAY:
		return gc_fmt(w, "array<%s, %" PRIu32 ">",
		              gc_fidl_type(w, t->element), t->element_count);
	case CF_TYPE_HANDLE:
		if (t->handle_subtype && t->handle_subtype_name)
			return gc_fmt(w, "zx.Handle:%s%s",
			              t->handle_subtype_name, opt);
		return gc_fmt(w, "zx.Handle%s", opt);
	case CF_TYPE_ENDPOINT:
		return gc_fmt(w, "%s:%s%s",
		              t->role == CF_CLIENT_END ? "client_end"
		                                       : "server_end",
		              t->decl->full_name, opt);
	case CF_TYPE_FRAMEWORK_ERR:
		return "fidl.FrameworkErr";
	case CF_TYPE_DECL:
		if (t->decl->kind == CF_DECL_STRUCT && t->nullable)
			return gc_fmt(w, "box<%s>", t->decl->full_name);
		return gc_fmt(w, "%s%s", t->decl->full_name, opt);
	}
	return "?";
}

const char *gc_int_literal(gc_writer *w, cf_prim p, const cf_value *v)
{
	if (v->kind == CF_VALUE_INT && cf_prim_is_signed(p)) {
		if (v->i == INT64_MIN)
			return "(-9223372036854775807 - 1)";
		return gc_fmt(w, "%" PRId64, v->i);
	}
	uint64_t u = v->kind == CF_VALUE_INT ? (uint64_t)v->i : v->u;
	if (cf_prim_is_signed(p))
		return gc_fmt(w, "%" PRId64, (int64_t)u);
	return gc_fmt(w, "%" PRIu64 "u", u);
}

void gc_doc(gc_writer *w, const cf_attrs *attrs, int indent)
{
	const cf_attr *doc = cf_attrs_find(attrs, "doc");
	const cf_value *v = doc ? cf_attr_find_arg(doc, "value") : NULL;
	if (!v || v->kind != CF_VALUE_STRING || !v->str)
		return;
	const char *s = v->str, *end = v->str + v->str_len;
	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	gc_printf(w, "%.*s/*\n", indent, "\t\t\t\t");
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		gc_printf(w, "%.*s *", indent, "\t\t\t\t");
		if (e > s && *s != ' ')
			gc_printf(w, " ");
		/* "*" "/" inside the text would end the comment. */
		for (const char *p = s; p < e; p++) {
			if (*p == '/' && p > s && p[-1] == '*')
				gc_printf(w, " ");
			if (*p != '\r' && *p != '\0')
				gc_printf(w, "%c", *p);
		}
		gc_printf(w, "\n");
		s = e + 1;
	}
	gc_printf(w, "%.*s */\n", indent, "\t\t\t\t");
}

static const char *guard(gc_writer *w)
{
	char *g =
	    (char *)gc_fmt(w, "CFIDL_GEN_%s_H_", gc_lib_prefix(w, w->lib));
	for (char *p = g; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return g;
}

static int run(FILE *out, const cf_library *lib, void (*body)(gc_writer *))
{
	gc_writer w = {.out = out, .lib = lib};
	cf_arena_init(&w.strings);
	body(&w);
	cf_arena_destroy(&w.strings);
	if (!w.err && fflush(out) != 0)
		w.err = errno ? errno : EIO;
	return w.err;
}

static void header(gc_writer *w)
{
	const char *g = guard(w);
	gc_printf(
	    w,
	    "/* Generated by cfidl from FIDL library %s. Do not edit. */\n"
	    "#ifndef %s\n#define %s\n\n",
	    w->lib->name, g, g);
	gc_printf(w, "#include <stdbool.h>\n#include <stddef.h>\n"
	             "#include <stdint.h>\n\n#include <cfidl/wire.h>\n");
	if (gc_has_protocols(w->lib))
		gc_printf(
		    w, "#include <cfidl/bind.h>\n#include <cfidl/channel.h>\n");
	for (unsigned i = 0; i < w->lib->dep_count; i++)
		gc_printf(w, "#include \"%s.h\"\n", w->lib->deps[i]->name);
	gc_printf(w, "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	gc_types_header(w);
	gc_codec_header(w);
	gc_protocol_header(w);
	gc_printf(w, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s */\n", g);
}

static void source(gc_writer *w)
{
	gc_printf(
	    w,
	    "/* Generated by cfidl from FIDL library %s. Do not edit. */\n"
	    "#include \"%s.h\"\n\n#include <string.h>\n",
	    w->lib->name, w->lib->name);
	if (gc_has_protocols(w->lib))
		gc_printf(w, "#include <stdatomic.h>\n");
	gc_codec_source(w);
	gc_protocol_source(w);
}

int cf_write_c_header(FILE *out, const cf_model *model, const cf_library *lib)
{
	(void)model;
	return run(out, lib, header);
}

int cf_write_c_source(FILE *out, const cf_model *model, const cf_library *lib)
{
	(void)model;
	return run(out, lib, source);
}
