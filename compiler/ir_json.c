/* The JSON IR, in fidlc's schema (tools/fidl/fidlc/schema.json) wherever
 * fidlc has the key, with fidlc's key order. Streamed through the JSON
 * writer as the model is walked, with no tree in memory: one function per
 * IR construct, keys in the order they appear in the output. Nothing but
 * the model decides the bytes, so the same model gives the same IR. */
#include "ir_json.h"

#include "json_writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- line index, for location lengths ---- */

/* Line start offsets of one source, built on first use: scanning a file for
 * every location would make the IR quadratic in the file size. */
typedef struct line_index {
	const cf_source *src;
	size_t *starts;
	uint32_t count;
} line_index;

typedef struct writer {
	cf_json_writer *j;
	const cf_model *model;
	const cf_library *lib;
	line_index *lines;
	unsigned line_count;
	unsigned line_cap;
} writer;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("cfidl: out of memory\n", stderr);
		abort();
	}
	return p;
}

static const line_index *lines_of(writer *w, const cf_source *src)
{
	for (unsigned i = 0; i < w->line_count; i++)
		if (w->lines[i].src == src)
			return &w->lines[i];
	if (w->line_count == w->line_cap) {
		w->line_cap = w->line_cap ? w->line_cap * 2 : 4;
		w->lines = xrealloc(w->lines, sizeof(*w->lines) * w->line_cap);
	}
	line_index *li = &w->lines[w->line_count++];
	li->src = src;
	uint32_t n = 1;
	for (size_t i = 0; i < src->len; i++)
		n += src->text[i] == '\n';
	li->starts = xrealloc(NULL, sizeof(size_t) * n);
	li->count = 0;
	li->starts[li->count++] = 0;
	for (size_t i = 0; i < src->len; i++)
		if (src->text[i] == '\n')
			li->starts[li->count++] = i + 1;
	return li;
}

/* Offset of loc in its source, or SIZE_MAX. */
static size_t loc_offset(writer *w, cf_loc loc)
{
	if (!loc.src || !loc.line || !loc.col)
		return SIZE_MAX;
	const line_index *li = lines_of(w, loc.src);
	if (loc.line > li->count)
		return SIZE_MAX;
	size_t off = li->starts[loc.line - 1] + loc.col - 1;
	return off < loc.src->len ? off : SIZE_MAX;
}

/* True when the source at loc reads `word` (as a whole word). */
static bool text_at_is(writer *w, cf_loc loc, const char *word)
{
	size_t off = loc_offset(w, loc);
	if (off == SIZE_MAX)
		return false;
	size_t n = strlen(word);
	const char *s = loc.src->text + off;
	size_t left = loc.src->len - off;
	if (left < n || memcmp(s, word, n) != 0)
		return false;
	char next = left > n ? s[n] : ' ';
	return !((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
	         (next >= '0' && next <= '9') || next == '_');
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* From an opening bracket at s[i], the offset just past its match,
 * skipping string literals and comments; len when unbalanced. */
static size_t skip_balanced(const char *s, size_t len, size_t i)
{
	char open = s[i], close = open == '{' ? '}' : open == '(' ? ')' : ']';
	int depth = 0;
	for (; i < len; i++) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == open) {
			depth++;
		} else if (c == close && --depth == 0) {
			return i + 1;
		}
	}
	return len;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

static bool is_layout_word(const char *s, size_t n)
{
	static const char *const words[] = {
	    "struct", "table",  "union",    "xunion",   "enum",
	    "bits",   "strict", "flexible", "resource", NULL,
	};
	for (int i = 0; words[i]; i++)
		if (word_is(s, n, words[i]))
			return true;
	return false;
}

/* The length fidlc gives a location: the name's length, a whole inline
 * layout for anonymous declarations, a whole attribute or doc comment. */
static uint32_t loc_length(writer *w, cf_loc loc, const char *name, bool layout)
{
	uint32_t fallback = name ? (uint32_t)strlen(name) : 0;
	size_t off = loc_offset(w, loc);
	if (off == SIZE_MAX)
		return fallback;
	const char *s = loc.src->text;
	size_t len = loc.src->len, i = off;
	if (s[i] == '/' && i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/') {
		/* A doc comment: this line and the `///` lines after it. */
		size_t end = i;
		for (;;) {
			while (end < len && s[end] != '\n')
				end++;
			size_t next = end + 1;
			while (next < len &&
			       (s[next] == ' ' || s[next] == '\t'))
				next++;
			if (next + 2 < len && s[next] == '/' &&
			    s[next + 1] == '/' && s[next + 2] == '/' &&
			    (next + 3 >= len || s[next + 3] != '/')) {
				end = next;
				continue;
			}
			break;
		}
		if (end > i && s[end - 1] == '\r')
			end--;
		return (uint32_t)(end - i);
	}
	if (s[i] == '@') {
		size_t j = i + 1;
		while (j < len && is_ident(s[j]))
			j++;
		if (j < len && s[j] == '(')
			j = skip_balanced(s, len, j);
		return (uint32_t)(j - i);
	}
	if (s[i] == '[')
		return (uint32_t)(skip_balanced(s, len, i) - i);
	size_t j = i;
	while (j < len && is_ident(s[j]))
		j++;
	if (j == i)
		return fallback;
	if (layout && is_layout_word(s + i, j - i)) {
		while (j < len && s[j] != '{' && s[j] != ';')
			j++;
		if (j < len && s[j] == '{')
			return (uint32_t)(skip_balanced(s, len, j) - i);
	}
	return (uint32_t)(j - i);
}

/* ---- JSON helpers ---- */

static void str(writer *w, const char *s)
{
	cf_json_string(w->j, s);
}

static void key(writer *w, const char *k)
{
	cf_json_key(w->j, k);
}

static void kv_str(writer *w, const char *k, const char *s)
{
	key(w, k);
	str(w, s);
}

static void kv_strn(writer *w, const char *k, const char *s, size_t n)
{
	key(w, k);
	cf_json_stringn(w->j, s, n);
}

static void kv_uint(writer *w, const char *k, uint64_t v)
{
	key(w, k);
	cf_json_uint(w->j, v);
}

static void kv_int(writer *w, const char *k, int64_t v)
{
	key(w, k);
	cf_json_int(w->j, v);
}

static void kv_bool(writer *w, const char *k, bool v)
{
	key(w, k);
	cf_json_bool(w->j, v);
}

static void kv_empty_array(writer *w, const char *k)
{
	key(w, k);
	cf_json_begin_array(w->j);
	cf_json_end_array(w->j);
}

static void begin_object(writer *w)
{
	cf_json_begin_object(w->j);
}

static void end_object(writer *w)
{
	cf_json_end_object(w->j);
}

static void begin_array(writer *w)
{
	cf_json_begin_array(w->j);
}

static void end_array(writer *w)
{
	cf_json_end_array(w->j);
}

static void write_shape(writer *w, const cf_shape *s)
{
	begin_object(w);
	kv_uint(w, "inline_size", s->inline_size);
	kv_uint(w, "alignment", s->alignment);
	kv_uint(w, "depth", s->depth);
	kv_uint(w, "max_handles", s->max_handles);
	kv_uint(w, "max_out_of_line", s->max_out_of_line);
	kv_bool(w, "has_padding", s->has_padding);
	kv_bool(w, "has_flexible_envelope", s->has_flexible_envelope);
	end_object(w);
}

static void write_location(writer *w, cf_loc loc, const char *name, bool layout)
{
	begin_object(w);
	if (!loc.src) {
		/* Synthesised members: fidlc names a virtual file. */
		kv_str(w, "filename", "generated");
		kv_uint(w, "line", loc.line ? loc.line : 1);
		kv_uint(w, "column", 1);
		kv_uint(w, "length", name ? strlen(name) : 0);
	} else {
		kv_str(w, "filename", loc.src->path);
		kv_uint(w, "line", loc.line ? loc.line : 1);
		kv_uint(w, "column", loc.col ? loc.col : 1);
		kv_uint(w, "length", loc_length(w, loc, name, layout));
	}
	end_object(w);
}

/* ---- constants ---- */

/* The value as fidlc prints it: in buf, or the string's own bytes. */
static const char *value_text(const cf_value *v, char *buf, size_t size,
                              size_t *len)
{
	switch (v->kind) {
	case CF_VALUE_BOOL:
		snprintf(buf, size, "%s", v->b ? "true" : "false");
		break;
	case CF_VALUE_INT:
		snprintf(buf, size, "%" PRId64, v->i);
		break;
	case CF_VALUE_UINT:
		snprintf(buf, size, "%" PRIu64, v->u);
		break;
	case CF_VALUE_FLOAT:
		/* fidlc prints floats with iostream's default precision. */
		snprintf(buf, size, "%g", v->f);
		break;
	case CF_VALUE_STRING:
		*len = v->str ? v->str_len : 0;
		return v->str ? v->str : "";
	case CF_VALUE_NONE:
	default:
		buf[0] = '\0';
		break;
	}
	*len = strlen(buf);
	return buf;
}

static const char *literal_kind(const cf_value *v)
{
	switch (v->kind) {
	case CF_VALUE_STRING:
		return "string";
	case CF_VALUE_BOOL:
		return "bool";
	default:
		return "numeric";
	}
}

static void write_constant(writer *w, const cf_value *v)
{
	char buf[64];
	size_t vlen;
	const char *text = value_text(v, buf, sizeof(buf), &vlen);
	/* Without a written expression the value stands for it, up to its
	 * first NUL. */
	const char *expr = v->expression ? v->expression : text;
	size_t elen = v->expression ? strlen(expr) : strnlen(text, vlen);
	begin_object(w);
	if (v->identifier) {
		kv_str(w, "kind", "identifier");
		kv_strn(w, "value", text, vlen);
		kv_strn(w, "expression", expr, elen);
		kv_str(w, "identifier", v->identifier);
	} else if (v->expression && strchr(v->expression, '|') &&
	           v->kind != CF_VALUE_STRING) {
		kv_str(w, "kind", "binary_operator");
		kv_strn(w, "value", text, vlen);
		kv_strn(w, "expression", expr, elen);
	} else {
		kv_str(w, "kind", "literal");
		kv_strn(w, "value", text, vlen);
		kv_strn(w, "expression", expr, elen);
		key(w, "literal");
		begin_object(w);
		kv_str(w, "kind", literal_kind(v));
		kv_strn(w, "value", text, vlen);
		kv_strn(w, "expression", expr, elen);
		end_object(w);
	}
	end_object(w);
}

/* ---- attributes ---- */

static const char *arg_type(const cf_value *v)
{
	switch (v->kind) {
	case CF_VALUE_STRING:
		return "string";
	case CF_VALUE_BOOL:
		return "bool";
	case CF_VALUE_INT:
		return "int64";
	case CF_VALUE_FLOAT:
		return "float64";
	default:
		return "uint64";
	}
}

static void write_attr(writer *w, const cf_attr *at)
{
	begin_object(w);
	kv_str(w, "name", at->name);
	key(w, "arguments");
	begin_array(w);
	for (unsigned j = 0; j < at->arg_count; j++) {
		const cf_attr_arg *arg = &at->args[j];
		begin_object(w);
		kv_str(w, "name", arg->name ? arg->name : "value");
		kv_str(w, "type", arg_type(&arg->value));
		key(w, "value");
		write_constant(w, &arg->value);
		key(w, "location");
		write_location(w, at->loc, at->name, false);
		end_object(w);
	}
	end_array(w);
	key(w, "location");
	write_location(w, at->loc, at->name, false);
	end_object(w);
}

static void write_attrs(writer *w, const cf_attrs *attrs)
{
	begin_array(w);
	for (unsigned i = 0; i < attrs->count; i++)
		write_attr(w, &attrs->items[i]);
	end_array(w);
}

static void maybe_attrs(writer *w, const cf_attrs *attrs)
{
	if (!attrs->count)
		return;
	key(w, "maybe_attributes");
	write_attrs(w, attrs);
}

/* ---- types ---- */

/* fidlc's handle subtype names: the zx object type in lower case. */
static void write_handle_subtype(writer *w, const cf_type *t)
{
	const char *name = t->handle_subtype_name;
	if (!name || !*name || t->handle_subtype == 0) {
		str(w, "handle");
		return;
	}
	size_t n = strlen(name);
	char small[64];
	char *lower = n < sizeof(small) ? small : xrealloc(NULL, n);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	cf_json_stringn(w->j, lower, n);
	if (lower != small)
		free(lower);
}

static void write_type(writer *w, const cf_type *t)
{
	begin_object(w);
	if (!t) {
		kv_str(w, "kind", "primitive");
		kv_str(w, "subtype", "uint32");
		cf_shape s = {.inline_size = 4, .alignment = 4};
		key(w, "type_shape_v2");
		write_shape(w, &s);
		end_object(w);
		return;
	}
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		kv_str(w, "kind", "primitive");
		kv_str(w, "subtype", cf_prim_name(t->prim));
		break;
	case CF_TYPE_STRING:
		kv_str(w, "kind", "string");
		if (t->max_count != CF_UNBOUNDED)
			kv_uint(w, "maybe_element_count", t->max_count);
		kv_bool(w, "nullable", t->nullable);
		break;
	case CF_TYPE_VECTOR:
		kv_str(w, "kind", "vector");
		key(w, "element_type");
		write_type(w, t->element);
		if (t->max_count != CF_UNBOUNDED)
			kv_uint(w, "maybe_element_count", t->max_count);
		kv_bool(w, "nullable", t->nullable);
		break;
	case CF_TYPE_ARRAY:
		kv_str(w, "kind", "array");
		key(w, "element_type");
		write_type(w, t->element);
		kv_uint(w, "element_count", t->element_count);
		break;
	case CF_TYPE_HANDLE:
		kv_str(w, "kind", "handle");
		kv_uint(w, "obj_type", t->handle_subtype);
		key(w, "subtype");
		write_handle_subtype(w, t);
		kv_uint(w, "rights", t->handle_rights);
		kv_bool(w, "nullable", t->nullable);
		if (t->handle_resource)
			kv_str(w, "resource_identifier", t->handle_resource);
		break;
	case CF_TYPE_ENDPOINT: {
		const char *proto = t->decl ? t->decl->full_name : "";
		if (t->role == CF_SERVER_END) {
			kv_str(w, "kind", "request");
			kv_str(w, "subtype", proto);
		} else {
			kv_str(w, "kind", "identifier");
			kv_str(w, "identifier", proto);
		}
		kv_bool(w, "nullable", t->nullable);
		kv_str(w, "protocol_transport", "Channel");
		break;
	}
	case CF_TYPE_DECL:
		kv_str(w, "kind", "identifier");
		kv_str(w, "identifier", t->decl ? t->decl->full_name : "");
		kv_bool(w, "nullable", t->nullable);
		break;
	case CF_TYPE_FRAMEWORK_ERR:
		kv_str(w, "kind", "internal");
		kv_str(w, "subtype", "framework_error");
		break;
	}
	key(w, "type_shape_v2");
	write_shape(w, &t->shape);
	end_object(w);
}

/* `"type": ...` and, when the type was named through an alias, fidlc's
 * experimental_maybe_from_alias. */
static void kv_type(writer *w, const char *k, const cf_type *t)
{
	key(w, k);
	write_type(w, t);
	if (t && t->from_alias) {
		key(w, "experimental_maybe_from_alias");
		begin_object(w);
		kv_str(w, "name", t->from_alias);
		kv_empty_array(w, "args");
		kv_bool(w, "nullable", t->nullable);
		end_object(w);
	}
}

/* The name fidlc's partial_type_ctor gives the constructor of t. */
static const char *ctor_name(const cf_type *t)
{
	if (!t)
		return "";
	if (t->from_alias)
		return t->from_alias;
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		return cf_prim_name(t->prim);
	case CF_TYPE_STRING:
		return "string";
	case CF_TYPE_VECTOR:
		return "vector";
	case CF_TYPE_ARRAY:
		return "array";
	case CF_TYPE_HANDLE:
		return t->handle_resource ? t->handle_resource : "handle";
	case CF_TYPE_ENDPOINT:
		if (t->role == CF_SERVER_END)
			return "request";
		return t->decl ? t->decl->full_name : "";
	case CF_TYPE_DECL:
		return t->decl ? t->decl->full_name : "";
	case CF_TYPE_FRAMEWORK_ERR:
		return "framework_err";
	}
	return "";
}

/* fidlc's partial_type_ctor for aliases: the constructor's name, its
 * arguments (the element of a vector or array) and constraints. */
static void write_partial_ctor(writer *w, const cf_type *t)
{
	begin_object(w);
	kv_str(w, "name", ctor_name(t));
	key(w, "args");
	begin_array(w);
	if (t && !t->from_alias &&
	    (t->kind == CF_TYPE_VECTOR || t->kind == CF_TYPE_ARRAY))
		write_partial_ctor(w, t->element);
	end_array(w);
	kv_bool(w, "nullable", t && t->nullable);
	if (t && !t->from_alias &&
	    (t->kind == CF_TYPE_STRING || t->kind == CF_TYPE_VECTOR) &&
	    t->max_count != CF_UNBOUNDED) {
		cf_value v = {.kind = CF_VALUE_UINT, .u = t->max_count};
		key(w, "maybe_size");
		write_constant(w, &v);
	}
	end_object(w);
}

/* ---- declarations ---- */

static void write_naming_context(writer *w, const cf_decl *d)
{
	begin_array(w);
	if (d->anonymous && d->naming_context_count) {
		for (unsigned i = 0; i < d->naming_context_count; i++)
			str(w, d->naming_context[i]);
	} else {
		str(w, d->name);
	}
	end_array(w);
}

/* @available(deprecated=...) is not supported: nothing is deprecated. */
static void deprecated(writer *w)
{
	kv_bool(w, "deprecated", false);
}

static void kv_location(writer *w, cf_loc loc, const char *name, bool layout)
{
	key(w, "location");
	write_location(w, loc, name, layout);
}

static void decl_head(writer *w, const cf_decl *d, bool ctx)
{
	kv_str(w, "name", d->full_name);
	if (ctx) {
		key(w, "naming_context");
		write_naming_context(w, d);
	}
	kv_location(w, d->loc, d->name, d->anonymous);
	deprecated(w);
	maybe_attrs(w, &d->attrs);
}

static void kv_shape(writer *w, const cf_shape *s)
{
	key(w, "type_shape_v2");
	write_shape(w, s);
}

static void write_struct_member(writer *w, const cf_member *m)
{
	begin_object(w);
	kv_type(w, "type", m->type);
	kv_str(w, "name", m->name);
	kv_location(w, m->loc, m->name, false);
	deprecated(w);
	maybe_attrs(w, &m->attrs);
	if (m->value.kind != CF_VALUE_NONE) {
		key(w, "maybe_default_value");
		write_constant(w, &m->value);
	}
	key(w, "field_shape_v2");
	begin_object(w);
	kv_uint(w, "offset", m->offset);
	kv_uint(w, "padding", m->padding);
	end_object(w);
	end_object(w);
}

static void write_struct(writer *w, const cf_decl *d)
{
	begin_object(w);
	decl_head(w, d, true);
	key(w, "members");
	begin_array(w);
	for (unsigned i = 0; i < d->member_count; i++)
		write_struct_member(w, &d->members[i]);
	end_array(w);
	kv_bool(w, "resource", d->resource);
	/* fidlc's flag marks the struct it generates for `-> () error E`;
	 * an empty `struct {}` the user wrote is not one. */
	bool generated_empty = d->is_result_success && d->member_count == 0 &&
	                       !text_at_is(w, d->loc, "struct");
	kv_bool(w, "is_empty_success_struct", generated_empty);
	kv_shape(w, &d->shape);
	end_object(w);
}

static void write_envelope_member(writer *w, const cf_member *m, bool table)
{
	begin_object(w);
	kv_uint(w, "ordinal", m->ordinal);
	if (table) {
		kv_type(w, "type", m->type);
		kv_str(w, "name", m->name);
	} else {
		kv_str(w, "name", m->name);
		kv_type(w, "type", m->type);
	}
	kv_location(w, m->loc, m->name, false);
	deprecated(w);
	maybe_attrs(w, &m->attrs);
	end_object(w);
}

static void write_table_or_union(writer *w, const cf_decl *d)
{
	bool table = d->kind == CF_DECL_TABLE;
	begin_object(w);
	decl_head(w, d, true);
	key(w, "members");
	begin_array(w);
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		/* fidlc's IR has no reserved members (they only shape the
		 * table's envelope count, already in type_shape_v2). */
		if (!m->reserved && m->type)
			write_envelope_member(w, m, table);
	}
	end_array(w);
	kv_bool(w, "strict", table ? false : d->strict);
	kv_bool(w, "resource", d->resource);
	if (!table)
		kv_bool(w, "is_result", d->is_result_union);
	kv_shape(w, &d->shape);
	end_object(w);
}

static void write_enum_member(writer *w, const cf_member *m)
{
	begin_object(w);
	kv_str(w, "name", m->name);
	kv_location(w, m->loc, m->name, false);
	deprecated(w);
	key(w, "value");
	write_constant(w, &m->value);
	maybe_attrs(w, &m->attrs);
	end_object(w);
}

static void write_enum_or_bits(writer *w, const cf_decl *d)
{
	bool is_enum = d->kind == CF_DECL_ENUM;
	begin_object(w);
	decl_head(w, d, true);
	if (is_enum) {
		/* fidlc writes an enum's type as the primitive's name. */
		cf_prim p = d->subtype && d->subtype->kind == CF_TYPE_PRIMITIVE
		                ? d->subtype->prim
		                : CF_PRIM_UINT32;
		kv_str(w, "type", cf_prim_name(p));
	} else {
		kv_type(w, "type", d->subtype);
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, d->bits_mask);
		kv_str(w, "mask", buf);
	}
	key(w, "members");
	begin_array(w);
	for (unsigned i = 0; i < d->member_count; i++)
		write_enum_member(w, &d->members[i]);
	end_array(w);
	kv_bool(w, "strict", d->strict);
	if (is_enum && !d->strict) {
		/* A number of the enum's own signedness, as fidlc writes. */
		const cf_value *u = &d->unknown_value;
		if (u->kind == CF_VALUE_INT)
			kv_int(w, "maybe_unknown_value", u->i);
		else
			kv_uint(w, "maybe_unknown_value", u->u);
	}
	end_object(w);
}

static void write_const(writer *w, const cf_decl *d)
{
	begin_object(w);
	decl_head(w, d, false);
	kv_type(w, "type", d->const_type);
	key(w, "value");
	write_constant(w, &d->value);
	end_object(w);
}

static void write_alias(writer *w, const cf_decl *d)
{
	begin_object(w);
	decl_head(w, d, false);
	key(w, "partial_type_ctor");
	write_partial_ctor(w, d->alias_type);
	kv_type(w, "type", d->alias_type);
	end_object(w);
}

static void write_resource_property(writer *w, const cf_decl *d,
                                    const char *name, const cf_decl *prop)
{
	begin_object(w);
	kv_str(w, "name", name);
	kv_location(w, d->loc, d->name, false);
	deprecated(w);
	cf_type t = {.kind = CF_TYPE_DECL,
	             .decl = (cf_decl *)prop,
	             .shape = prop->shape};
	key(w, "type");
	write_type(w, &t);
	end_object(w);
}

static void write_resource(writer *w, const cf_decl *d)
{
	begin_object(w);
	decl_head(w, d, false);
	kv_type(w, "type", d->resource_subtype);
	key(w, "properties");
	begin_array(w);
	if (d->subtype_enum)
		write_resource_property(w, d, "subtype", d->subtype_enum);
	if (d->rights_bits)
		write_resource_property(w, d, "rights", d->rights_bits);
	end_array(w);
	end_object(w);
}

static const char *openness_name(cf_openness o)
{
	switch (o) {
	case CF_OPEN:
		return "open";
	case CF_AJAR:
		return "ajar";
	default:
		return "closed";
	}
}

static void kv_plain_type(writer *w, const char *k, const cf_type *t)
{
	key(w, k);
	write_type(w, t);
}

static void write_method(writer *w, const cf_method *m)
{
	begin_object(w);
	kv_uint(w, "ordinal", m->ordinal);
	kv_str(w, "name", m->name);
	kv_bool(w, "strict", m->strict);
	kv_location(w, m->loc, m->name, false);
	deprecated(w);
	kv_bool(w, "has_request", m->has_request);
	maybe_attrs(w, &m->attrs);
	if (m->has_request && m->request_payload)
		kv_plain_type(w, "maybe_request_payload", m->request_payload);
	kv_bool(w, "has_response", m->has_response);
	if (m->has_response && m->response_payload)
		kv_plain_type(w, "maybe_response_payload", m->response_payload);
	kv_bool(w, "is_composed", m->composed);
	kv_bool(w, "has_error", m->has_error);
	if (m->success_payload)
		kv_plain_type(w, "maybe_response_success_type",
		              m->success_payload);
	if (m->error_type)
		kv_plain_type(w, "maybe_response_err_type", m->error_type);
	end_object(w);
}

static void write_composed(writer *w, const cf_decl *c)
{
	begin_object(w);
	kv_str(w, "name", c->full_name);
	kv_location(w, c->loc, c->name, false);
	deprecated(w);
	end_object(w);
}

static void write_protocol(writer *w, const cf_decl *d)
{
	begin_object(w);
	decl_head(w, d, false);
	kv_str(w, "openness", openness_name(d->openness));
	key(w, "composed_protocols");
	begin_array(w);
	for (unsigned i = 0; i < d->composed_count; i++)
		write_composed(w, d->composed[i]);
	end_array(w);
	key(w, "methods");
	begin_array(w);
	for (unsigned i = 0; i < d->method_count; i++)
		write_method(w, &d->methods[i]);
	end_array(w);
	end_object(w);
}

static void write_decl(writer *w, const cf_decl *d)
{
	switch (d->kind) {
	case CF_DECL_STRUCT:
		write_struct(w, d);
		return;
	case CF_DECL_TABLE:
	case CF_DECL_UNION:
		write_table_or_union(w, d);
		return;
	case CF_DECL_ENUM:
	case CF_DECL_BITS:
		write_enum_or_bits(w, d);
		return;
	case CF_DECL_CONST:
		write_const(w, d);
		return;
	case CF_DECL_ALIAS:
		write_alias(w, d);
		return;
	case CF_DECL_RESOURCE:
		write_resource(w, d);
		return;
	case CF_DECL_PROTOCOL:
		write_protocol(w, d);
		return;
	}
	begin_object(w);
	end_object(w);
}

/* ---- sorted groups ---- */

typedef struct decl_list {
	const cf_decl **items;
	unsigned count;
	unsigned cap;
} decl_list;

static void list_add(decl_list *l, const cf_decl *d)
{
	for (unsigned i = 0; i < l->count; i++)
		if (l->items[i] == d)
			return;
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->items = xrealloc(l->items, sizeof(*l->items) * l->cap);
	}
	l->items[l->count++] = d;
}

static int cmp_full_name(const void *a, const void *b)
{
	const cf_decl *x = *(const cf_decl *const *)a;
	const cf_decl *y = *(const cf_decl *const *)b;
	return strcmp(x->full_name, y->full_name);
}

/* The kinds in fidlc's order for the `declarations` maps. */
static const cf_decl_kind kind_order[] = {
    CF_DECL_BITS,     CF_DECL_CONST,    CF_DECL_ENUM,
    CF_DECL_RESOURCE, CF_DECL_PROTOCOL, CF_DECL_STRUCT,
    CF_DECL_TABLE,    CF_DECL_UNION,    CF_DECL_ALIAS,
};

static const char *kind_key(cf_decl_kind k)
{
	return k == CF_DECL_RESOURCE ? "experimental_resource"
	                             : cf_decl_kind_name(k);
}

/* The library's declarations of one kind, sorted by full name. */
static decl_list of_kind(const cf_library *lib, cf_decl_kind kind)
{
	decl_list l = {0};
	for (unsigned i = 0; i < lib->decl_count; i++)
		if (lib->decls[i]->kind == kind) {
			if (l.count == l.cap) {
				l.cap = l.cap ? l.cap * 2 : 16;
				l.items =
				    xrealloc(l.items, sizeof(*l.items) * l.cap);
			}
			l.items[l.count++] = lib->decls[i];
		}
	if (l.count > 1)
		qsort(l.items, l.count, sizeof(*l.items), cmp_full_name);
	return l;
}

/* `declarations`: full name to kind, and for a dependency's external
 * view whether structs, tables and unions are resources. */
static void write_declarations_map(writer *w, const cf_library *lib,
                                   bool external)
{
	begin_object(w);
	for (size_t k = 0; k < sizeof(kind_order) / sizeof(kind_order[0]);
	     k++) {
		decl_list l = of_kind(lib, kind_order[k]);
		for (unsigned i = 0; i < l.count; i++) {
			const cf_decl *d = l.items[i];
			if (!external) {
				kv_str(w, d->full_name, kind_key(d->kind));
				continue;
			}
			key(w, d->full_name);
			begin_object(w);
			kv_str(w, "kind", kind_key(d->kind));
			if (d->kind == CF_DECL_STRUCT ||
			    d->kind == CF_DECL_TABLE ||
			    d->kind == CF_DECL_UNION)
				kv_bool(w, "resource", d->resource);
			end_object(w);
		}
		free(l.items);
	}
	end_object(w);
}

static void add_external(decl_list *ext, const cf_library *lib,
                         const cf_type *t)
{
	if (t && t->kind == CF_TYPE_DECL && t->decl &&
	    t->decl->kind == CF_DECL_STRUCT && t->decl->library != lib)
		list_add(ext, t->decl);
}

/* Structs of other libraries used as payloads here (through compose). */
static decl_list external_structs(const cf_library *lib)
{
	decl_list ext = {0};
	for (unsigned i = 0; i < lib->decl_count; i++) {
		const cf_decl *d = lib->decls[i];
		if (d->kind != CF_DECL_PROTOCOL)
			continue;
		for (unsigned j = 0; j < d->method_count; j++) {
			const cf_method *m = &d->methods[j];
			add_external(&ext, lib, m->request_payload);
			add_external(&ext, lib, m->response_payload);
			add_external(&ext, lib, m->success_payload);
		}
	}
	if (ext.count > 1)
		qsort(ext.items, ext.count, sizeof(*ext.items), cmp_full_name);
	return ext;
}

static int cmp_lib_name(const void *a, const void *b)
{
	const cf_library *x = *(const cf_library *const *)a;
	const cf_library *y = *(const cf_library *const *)b;
	return strcmp(x->name, y->name);
}

static void write_dependencies(writer *w, const decl_list *ext)
{
	const cf_library *lib = w->lib;
	unsigned cap = lib->dep_count + ext->count + 1, n = 0;
	const cf_library **deps = xrealloc(NULL, sizeof(*deps) * cap);
	for (unsigned i = 0; i < lib->dep_count + ext->count; i++) {
		const cf_library *d =
		    i < lib->dep_count
		        ? lib->deps[i]
		        : ext->items[i - lib->dep_count]->library;
		if (!d || d == lib)
			continue;
		bool seen = false;
		for (unsigned j = 0; j < n; j++)
			seen = seen || deps[j] == d;
		if (!seen)
			deps[n++] = d;
	}
	if (n > 1)
		qsort(deps, n, sizeof(*deps), cmp_lib_name);
	begin_array(w);
	for (unsigned i = 0; i < n; i++) {
		begin_object(w);
		kv_str(w, "name", deps[i]->name);
		key(w, "declarations");
		write_declarations_map(w, deps[i], true);
		end_object(w);
	}
	end_array(w);
	free(deps);
}

/* `<k>`: the library's declarations of one kind, sorted by full name. */
static void write_group(writer *w, const char *k, cf_decl_kind kind)
{
	decl_list l = of_kind(w->lib, kind);
	key(w, k);
	begin_array(w);
	for (unsigned i = 0; i < l.count; i++)
		write_decl(w, l.items[i]);
	end_array(w);
	free(l.items);
}

static void write_library(writer *w)
{
	const cf_library *lib = w->lib;
	begin_object(w);
	kv_str(w, "name", lib->name);
	kv_str(w, "platform", "unversioned");
	key(w, "available");
	begin_object(w);
	end_object(w);
	maybe_attrs(w, &lib->attrs);
	kv_empty_array(w, "experiments");
	decl_list ext = external_structs(lib);
	key(w, "library_dependencies");
	write_dependencies(w, &ext);
	write_group(w, "bits_declarations", CF_DECL_BITS);
	write_group(w, "const_declarations", CF_DECL_CONST);
	write_group(w, "enum_declarations", CF_DECL_ENUM);
	write_group(w, "experimental_resource_declarations", CF_DECL_RESOURCE);
	write_group(w, "protocol_declarations", CF_DECL_PROTOCOL);
	kv_empty_array(w, "service_declarations");
	write_group(w, "struct_declarations", CF_DECL_STRUCT);
	key(w, "external_struct_declarations");
	begin_array(w);
	for (unsigned i = 0; i < ext.count; i++)
		write_struct(w, ext.items[i]);
	end_array(w);
	free(ext.items);
	write_group(w, "table_declarations", CF_DECL_TABLE);
	write_group(w, "union_declarations", CF_DECL_UNION);
	write_group(w, "alias_declarations", CF_DECL_ALIAS);
	kv_empty_array(w, "new_type_declarations");
	key(w, "declaration_order");
	begin_array(w);
	for (unsigned i = 0; i < lib->decl_count; i++)
		str(w, lib->decls[i]->full_name);
	end_array(w);
	key(w, "declarations");
	write_declarations_map(w, lib, false);
	end_object(w);
}

int cf_write_ir(FILE *out, const cf_model *model, const cf_library *lib)
{
	/* The writer holds its 64 KiB buffer: too big for the stack of a
	 * library function. */
	cf_json_writer *j = malloc(sizeof(*j));
	if (!j)
		return ENOMEM;
	cf_json_init(j, out);
	writer w = {.j = j, .model = model, .lib = lib};
	write_library(&w);
	for (unsigned i = 0; i < w.line_count; i++)
		free(w.lines[i].starts);
	free(w.lines);
	int err = cf_json_finish(j);
	free(j);
	return err;
}
