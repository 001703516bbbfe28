/* The JSON IR, in fidlc's schema (tools/fidl/fidlc/schema.json) wherever
 * fidlc has the key, with fidlc's key order. Built as a jansson tree, whose
 * objects keep insertion order, then dumped with a 2-space indent: the same
 * model always gives the same bytes. */
#include "ir_json.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
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

/* ---- jansson helpers ---- */

/* jansson rejects invalid UTF-8; such bytes become '?' rather than
 * aborting the IR (the lexer reports them anyway). */
static json_t *jstr_n(const char *s, size_t n)
{
	if (!s) {
		s = "";
		n = 0;
	}
	json_t *j = json_stringn(s, n);
	if (j)
		return j;
	char *copy = xrealloc(NULL, n);
	for (size_t i = 0; i < n; i++)
		copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	j = json_stringn(copy, n);
	free(copy);
	return j ? j : json_string("");
}

static json_t *jstr(const char *s)
{
	return jstr_n(s, s ? strlen(s) : 0);
}

static void set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value);
}

static json_t *shape_json(const cf_shape *s)
{
	json_t *o = json_object();
	set(o, "inline_size", json_integer(s->inline_size));
	set(o, "alignment", json_integer(s->alignment));
	set(o, "depth", json_integer(s->depth));
	set(o, "max_handles", json_integer(s->max_handles));
	set(o, "max_out_of_line", json_integer(s->max_out_of_line));
	set(o, "has_padding", json_boolean(s->has_padding));
	set(o, "has_flexible_envelope", json_boolean(s->has_flexible_envelope));
	return o;
}

static json_t *location_json(writer *w, cf_loc loc, const char *name,
                             bool layout)
{
	json_t *o = json_object();
	if (!loc.src) {
		/* Synthesised members: fidlc names a virtual file. */
		set(o, "filename", jstr("generated"));
		set(o, "line", json_integer(loc.line ? loc.line : 1));
		set(o, "column", json_integer(1));
		set(o, "length", json_integer(name ? strlen(name) : 0));
		return o;
	}
	set(o, "filename", jstr(loc.src->path));
	set(o, "line", json_integer(loc.line ? loc.line : 1));
	set(o, "column", json_integer(loc.col ? loc.col : 1));
	set(o, "length", json_integer(loc_length(w, loc, name, layout)));
	return o;
}

/* ---- constants ---- */

static char *value_text(const cf_value *v, size_t *len)
{
	char buf[64];
	switch (v->kind) {
	case CF_VALUE_BOOL:
		snprintf(buf, sizeof(buf), "%s", v->b ? "true" : "false");
		break;
	case CF_VALUE_INT:
		snprintf(buf, sizeof(buf), "%" PRId64, v->i);
		break;
	case CF_VALUE_UINT:
		snprintf(buf, sizeof(buf), "%" PRIu64, v->u);
		break;
	case CF_VALUE_FLOAT:
		/* fidlc prints floats with iostream's default precision. */
		snprintf(buf, sizeof(buf), "%g", v->f);
		break;
	case CF_VALUE_STRING: {
		char *s = xrealloc(NULL, v->str_len + 1);
		if (v->str_len)
			memcpy(s, v->str, v->str_len);
		s[v->str_len] = '\0';
		*len = v->str_len;
		return s;
	}
	case CF_VALUE_NONE:
	default:
		buf[0] = '\0';
		break;
	}
	*len = strlen(buf);
	return strdup(buf);
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

static json_t *constant_json(const cf_value *v)
{
	size_t vlen;
	char *text = value_text(v, &vlen);
	if (!text)
		abort();
	const char *expr = v->expression ? v->expression : text;
	json_t *o = json_object();
	if (v->identifier) {
		set(o, "kind", jstr("identifier"));
		set(o, "value", jstr_n(text, vlen));
		set(o, "expression", jstr(expr));
		set(o, "identifier", jstr(v->identifier));
	} else if (v->expression && strchr(v->expression, '|') &&
	           v->kind != CF_VALUE_STRING) {
		set(o, "kind", jstr("binary_operator"));
		set(o, "value", jstr_n(text, vlen));
		set(o, "expression", jstr(expr));
	} else {
		set(o, "kind", jstr("literal"));
		set(o, "value", jstr_n(text, vlen));
		set(o, "expression", jstr(expr));
		json_t *lit = json_object();
		set(lit, "kind", jstr(literal_kind(v)));
		set(lit, "value", jstr_n(text, vlen));
		set(lit, "expression", jstr(expr));
		set(o, "literal", lit);
	}
	free(text);
	return o;
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

static json_t *attrs_json(writer *w, const cf_attrs *attrs)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < attrs->count; i++) {
		const cf_attr *at = &attrs->items[i];
		json_t *o = json_object();
		set(o, "name", jstr(at->name));
		json_t *args = json_array();
		for (unsigned j = 0; j < at->arg_count; j++) {
			const cf_attr_arg *arg = &at->args[j];
			json_t *ao = json_object();
			set(ao, "name", jstr(arg->name ? arg->name : "value"));
			set(ao, "type", jstr(arg_type(&arg->value)));
			set(ao, "value", constant_json(&arg->value));
			set(ao, "location",
			    location_json(w, at->loc, at->name, false));
			json_array_append_new(args, ao);
		}
		set(o, "arguments", args);
		set(o, "location", location_json(w, at->loc, at->name, false));
		json_array_append_new(a, o);
	}
	return a;
}

static void maybe_attrs(writer *w, json_t *o, const cf_attrs *attrs)
{
	if (attrs->count)
		set(o, "maybe_attributes", attrs_json(w, attrs));
}

/* ---- types ---- */

/* fidlc's handle subtype names: the zx object type in lower case. */
static json_t *handle_subtype_json(const cf_type *t)
{
	const char *name = t->handle_subtype_name;
	if (!name || !*name || t->handle_subtype == 0)
		return jstr("handle");
	size_t n = strlen(name);
	char *lower = xrealloc(NULL, n + 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	lower[n] = '\0';
	json_t *j = jstr(lower);
	free(lower);
	return j;
}

static json_t *type_json(const cf_type *t)
{
	json_t *o = json_object();
	if (!t) {
		set(o, "kind", jstr("primitive"));
		set(o, "subtype", jstr("uint32"));
		cf_shape s = {.inline_size = 4, .alignment = 4};
		set(o, "type_shape_v2", shape_json(&s));
		return o;
	}
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		set(o, "kind", jstr("primitive"));
		set(o, "subtype", jstr(cf_prim_name(t->prim)));
		break;
	case CF_TYPE_STRING:
		set(o, "kind", jstr("string"));
		if (t->max_count != CF_UNBOUNDED)
			set(o, "maybe_element_count",
			    json_integer(t->max_count));
		set(o, "nullable", json_boolean(t->nullable));
		break;
	case CF_TYPE_VECTOR:
		set(o, "kind", jstr("vector"));
		set(o, "element_type", type_json(t->element));
		if (t->max_count != CF_UNBOUNDED)
			set(o, "maybe_element_count",
			    json_integer(t->max_count));
		set(o, "nullable", json_boolean(t->nullable));
		break;
	case CF_TYPE_ARRAY:
		set(o, "kind", jstr("array"));
		set(o, "element_type", type_json(t->element));
		set(o, "element_count", json_integer(t->element_count));
		break;
	case CF_TYPE_HANDLE:
		set(o, "kind", jstr("handle"));
		set(o, "obj_type", json_integer(t->handle_subtype));
		set(o, "subtype", handle_subtype_json(t));
		set(o, "rights", json_integer(t->handle_rights));
		set(o, "nullable", json_boolean(t->nullable));
		if (t->handle_resource)
			set(o, "resource_identifier", jstr(t->handle_resource));
		break;
	case CF_TYPE_ENDPOINT: {
		const char *proto = t->decl ? t->decl->full_name : "";
		if (t->role == CF_SERVER_END) {
			set(o, "kind", jstr("request"));
			set(o, "subtype", jstr(proto));
		} else {
			set(o, "kind", jstr("identifier"));
			set(o, "identifier", jstr(proto));
		}
		set(o, "nullable", json_boolean(t->nullable));
		set(o, "protocol_transport", jstr("Channel"));
		break;
	}
	case CF_TYPE_DECL:
		set(o, "kind", jstr("identifier"));
		set(o, "identifier", jstr(t->decl ? t->decl->full_name : ""));
		set(o, "nullable", json_boolean(t->nullable));
		break;
	case CF_TYPE_FRAMEWORK_ERR:
		set(o, "kind", jstr("internal"));
		set(o, "subtype", jstr("framework_error"));
		break;
	}
	set(o, "type_shape_v2", shape_json(&t->shape));
	return o;
}

/* `"type": ...` and, when the type was named through an alias, fidlc's
 * experimental_maybe_from_alias. */
static void set_type(json_t *o, const char *key, const cf_type *t)
{
	set(o, key, type_json(t));
	if (t && t->from_alias) {
		json_t *a = json_object();
		set(a, "name", jstr(t->from_alias));
		set(a, "args", json_array());
		set(a, "nullable", json_boolean(t->nullable));
		set(o, "experimental_maybe_from_alias", a);
	}
}

/* fidlc's partial_type_ctor for aliases: the constructor's name, its
 * arguments and constraints. */
static json_t *partial_ctor_json(const cf_type *t)
{
	json_t *o = json_object();
	json_t *args = json_array();
	const char *name = "";
	if (t) {
		if (t->from_alias) {
			name = t->from_alias;
		} else {
			switch (t->kind) {
			case CF_TYPE_PRIMITIVE:
				name = cf_prim_name(t->prim);
				break;
			case CF_TYPE_STRING:
				name = "string";
				break;
			case CF_TYPE_VECTOR:
				name = "vector";
				json_array_append_new(
				    args, partial_ctor_json(t->element));
				break;
			case CF_TYPE_ARRAY:
				name = "array";
				json_array_append_new(
				    args, partial_ctor_json(t->element));
				break;
			case CF_TYPE_HANDLE:
				name = t->handle_resource ? t->handle_resource
				                          : "handle";
				break;
			case CF_TYPE_ENDPOINT:
				name =
				    t->role == CF_SERVER_END
				        ? "request"
				        : (t->decl ? t->decl->full_name : "");
				break;
			case CF_TYPE_DECL:
				name = t->decl ? t->decl->full_name : "";
				break;
			case CF_TYPE_FRAMEWORK_ERR:
				name = "framework_err";
				break;
			}
		}
	}
	set(o, "name", jstr(name));
	set(o, "args", args);
	set(o, "nullable", json_boolean(t && t->nullable));
	if (t && !t->from_alias &&
	    (t->kind == CF_TYPE_STRING || t->kind == CF_TYPE_VECTOR) &&
	    t->max_count != CF_UNBOUNDED) {
		cf_value v = {.kind = CF_VALUE_UINT, .u = t->max_count};
		set(o, "maybe_size", constant_json(&v));
	}
	return o;
}

/* ---- declarations ---- */

static json_t *naming_context_json(const cf_decl *d)
{
	json_t *a = json_array();
	if (d->anonymous && d->naming_context_count) {
		for (unsigned i = 0; i < d->naming_context_count; i++)
			json_array_append_new(a, jstr(d->naming_context[i]));
	} else {
		json_array_append_new(a, jstr(d->name));
	}
	return a;
}

/* @available(deprecated=...) is not supported: nothing is deprecated. */
static void deprecated(json_t *o)
{
	set(o, "deprecated", json_false());
}

static void decl_head(writer *w, json_t *o, const cf_decl *d, bool ctx)
{
	set(o, "name", jstr(d->full_name));
	if (ctx)
		set(o, "naming_context", naming_context_json(d));
	set(o, "location", location_json(w, d->loc, d->name, d->anonymous));
	deprecated(o);
	maybe_attrs(w, o, &d->attrs);
}

static json_t *struct_json(writer *w, const cf_decl *d)
{
	json_t *o = json_object();
	decl_head(w, o, d, true);
	json_t *members = json_array();
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		json_t *mo = json_object();
		set_type(mo, "type", m->type);
		set(mo, "name", jstr(m->name));
		set(mo, "location", location_json(w, m->loc, m->name, false));
		deprecated(mo);
		maybe_attrs(w, mo, &m->attrs);
		if (m->value.kind != CF_VALUE_NONE)
			set(mo, "maybe_default_value",
			    constant_json(&m->value));
		json_t *fs = json_object();
		set(fs, "offset", json_integer(m->offset));
		set(fs, "padding", json_integer(m->padding));
		set(mo, "field_shape_v2", fs);
		json_array_append_new(members, mo);
	}
	set(o, "members", members);
	set(o, "resource", json_boolean(d->resource));
	/* fidlc's flag marks the struct it generates for `-> () error E`;
	 * an empty `struct {}` the user wrote is not one. */
	bool generated_empty = d->is_result_success && d->member_count == 0 &&
	                       !text_at_is(w, d->loc, "struct");
	set(o, "is_empty_success_struct", json_boolean(generated_empty));
	set(o, "type_shape_v2", shape_json(&d->shape));
	return o;
}

static json_t *table_or_union_json(writer *w, const cf_decl *d)
{
	bool table = d->kind == CF_DECL_TABLE;
	json_t *o = json_object();
	decl_head(w, o, d, true);
	json_t *members = json_array();
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		/* fidlc's IR has no reserved members (they only shape the
		 * table's envelope count, already in type_shape_v2). */
		if (m->reserved || !m->type)
			continue;
		json_t *mo = json_object();
		set(mo, "ordinal", json_integer((json_int_t)m->ordinal));
		if (table) {
			set_type(mo, "type", m->type);
			set(mo, "name", jstr(m->name));
		} else {
			set(mo, "name", jstr(m->name));
			set_type(mo, "type", m->type);
		}
		set(mo, "location", location_json(w, m->loc, m->name, false));
		deprecated(mo);
		maybe_attrs(w, mo, &m->attrs);
		json_array_append_new(members, mo);
	}
	set(o, "members", members);
	set(o, "strict", json_boolean(table ? false : d->strict));
	set(o, "resource", json_boolean(d->resource));
	if (!table)
		set(o, "is_result", json_boolean(d->is_result_union));
	set(o, "type_shape_v2", shape_json(&d->shape));
	return o;
}

static json_t *enum_or_bits_json(writer *w, const cf_decl *d)
{
	bool is_enum = d->kind == CF_DECL_ENUM;
	json_t *o = json_object();
	decl_head(w, o, d, true);
	if (is_enum) {
		/* fidlc writes an enum's type as the primitive's name. */
		cf_prim p = d->subtype && d->subtype->kind == CF_TYPE_PRIMITIVE
		                ? d->subtype->prim
		                : CF_PRIM_UINT32;
		set(o, "type", jstr(cf_prim_name(p)));
	} else {
		set_type(o, "type", d->subtype);
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, d->bits_mask);
		set(o, "mask", jstr(buf));
	}
	json_t *members = json_array();
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		json_t *mo = json_object();
		set(mo, "name", jstr(m->name));
		set(mo, "location", location_json(w, m->loc, m->name, false));
		deprecated(mo);
		set(mo, "value", constant_json(&m->value));
		maybe_attrs(w, mo, &m->attrs);
		json_array_append_new(members, mo);
	}
	set(o, "members", members);
	set(o, "strict", json_boolean(d->strict));
	if (is_enum && !d->strict) {
		const cf_value *u = &d->unknown_value;
		set(o, "maybe_unknown_value",
		    u->kind == CF_VALUE_INT ? json_integer(u->i)
		                            : json_integer((json_int_t)u->u));
	}
	return o;
}

static json_t *const_json(writer *w, const cf_decl *d)
{
	json_t *o = json_object();
	decl_head(w, o, d, false);
	set_type(o, "type", d->const_type);
	set(o, "value", constant_json(&d->value));
	return o;
}

static json_t *alias_json(writer *w, const cf_decl *d)
{
	json_t *o = json_object();
	decl_head(w, o, d, false);
	set(o, "partial_type_ctor", partial_ctor_json(d->alias_type));
	set_type(o, "type", d->alias_type);
	return o;
}

static json_t *resource_json(writer *w, const cf_decl *d)
{
	json_t *o = json_object();
	decl_head(w, o, d, false);
	set_type(o, "type", d->resource_subtype);
	json_t *props = json_array();
	const struct {
		const char *name;
		const cf_decl *decl;
	} p[] = {{"subtype", d->subtype_enum}, {"rights", d->rights_bits}};
	for (unsigned i = 0; i < 2; i++) {
		if (!p[i].decl)
			continue;
		json_t *po = json_object();
		set(po, "name", jstr(p[i].name));
		set(po, "location", location_json(w, d->loc, d->name, false));
		deprecated(po);
		cf_type t = {.kind = CF_TYPE_DECL,
		             .decl = (cf_decl *)p[i].decl,
		             .shape = p[i].decl->shape};
		set(po, "type", type_json(&t));
		json_array_append_new(props, po);
	}
	set(o, "properties", props);
	return o;
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

static json_t *method_json(writer *w, const cf_method *m)
{
	json_t *o = json_object();
	set(o, "ordinal", json_integer((json_int_t)m->ordinal));
	set(o, "name", jstr(m->name));
	set(o, "strict", json_boolean(m->strict));
	set(o, "location", location_json(w, m->loc, m->name, false));
	deprecated(o);
	set(o, "has_request", json_boolean(m->has_request));
	maybe_attrs(w, o, &m->attrs);
	if (m->has_request && m->request_payload)
		set(o, "maybe_request_payload", type_json(m->request_payload));
	set(o, "has_response", json_boolean(m->has_response));
	if (m->has_response && m->response_payload)
		set(o, "maybe_response_payload",
		    type_json(m->response_payload));
	set(o, "is_composed", json_boolean(m->composed));
	set(o, "has_error", json_boolean(m->has_error));
	if (m->success_payload)
		set(o, "maybe_response_success_type",
		    type_json(m->success_payload));
	if (m->error_type)
		set(o, "maybe_response_err_type", type_json(m->error_type));
	return o;
}

static json_t *protocol_json(writer *w, const cf_decl *d)
{
	json_t *o = json_object();
	decl_head(w, o, d, false);
	set(o, "openness", jstr(openness_name(d->openness)));
	json_t *composed = json_array();
	for (unsigned i = 0; i < d->composed_count; i++) {
		const cf_decl *c = d->composed[i];
		json_t *co = json_object();
		set(co, "name", jstr(c->full_name));
		set(co, "location", location_json(w, c->loc, c->name, false));
		deprecated(co);
		json_array_append_new(composed, co);
	}
	set(o, "composed_protocols", composed);
	json_t *methods = json_array();
	for (unsigned i = 0; i < d->method_count; i++)
		json_array_append_new(methods, method_json(w, &d->methods[i]));
	set(o, "methods", methods);
	return o;
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

static json_t *decl_json(writer *w, const cf_decl *d)
{
	switch (d->kind) {
	case CF_DECL_STRUCT:
		return struct_json(w, d);
	case CF_DECL_TABLE:
	case CF_DECL_UNION:
		return table_or_union_json(w, d);
	case CF_DECL_ENUM:
	case CF_DECL_BITS:
		return enum_or_bits_json(w, d);
	case CF_DECL_CONST:
		return const_json(w, d);
	case CF_DECL_ALIAS:
		return alias_json(w, d);
	case CF_DECL_RESOURCE:
		return resource_json(w, d);
	case CF_DECL_PROTOCOL:
		return protocol_json(w, d);
	}
	return json_object();
}

static json_t *declarations_map(const cf_library *lib, bool external)
{
	json_t *o = json_object();
	for (size_t k = 0; k < sizeof(kind_order) / sizeof(kind_order[0]);
	     k++) {
		decl_list l = of_kind(lib, kind_order[k]);
		for (unsigned i = 0; i < l.count; i++) {
			const cf_decl *d = l.items[i];
			if (!external) {
				set(o, d->full_name, jstr(kind_key(d->kind)));
				continue;
			}
			json_t *e = json_object();
			set(e, "kind", jstr(kind_key(d->kind)));
			if (d->kind == CF_DECL_STRUCT ||
			    d->kind == CF_DECL_TABLE ||
			    d->kind == CF_DECL_UNION)
				set(e, "resource", json_boolean(d->resource));
			set(o, d->full_name, e);
		}
		free(l.items);
	}
	return o;
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

static json_t *dependencies_json(const cf_library *lib, const decl_list *ext)
{
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
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++) {
		json_t *o = json_object();
		set(o, "name", jstr(deps[i]->name));
		set(o, "declarations", declarations_map(deps[i], true));
		json_array_append_new(a, o);
	}
	free(deps);
	return a;
}

/* ---- streaming output ----
 *
 * The IR of a large library is big; building it as one jansson tree would
 * hold all of it in memory. The top level is written by hand instead, and
 * each declaration is built, dumped and freed on its own. The bytes are
 * those jansson would write for the whole tree with JSON_INDENT(2): nested
 * dumps are re-indented (JSON strings never hold a raw newline). */

typedef struct stream {
	FILE *out;
	bool first_key;
	unsigned items; /* in the array being written */
	bool failed;
} stream;

/* Dumps v (consumed) with every line after the first indented. */
static void emit(stream *st, json_t *v, unsigned indent)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	json_decref(v);
	if (!text) {
		st->failed = true;
		return;
	}
	static const char spaces[] = "        ";
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (n && fwrite(p, 1, n, st->out) != n)
			st->failed = true;
		if (!nl)
			break;
		fwrite(spaces, 1, indent < 8 ? indent : 8, st->out);
		p = nl + 1;
	}
	free(text);
}

static void key(stream *st, const char *k)
{
	fputs(st->first_key ? "\n  " : ",\n  ", st->out);
	st->first_key = false;
	emit(st, jstr(k), 2);
	fputs(": ", st->out);
}

static void member(stream *st, const char *k, json_t *v)
{
	key(st, k);
	emit(st, v, 2);
}

static void array_begin(stream *st, const char *k)
{
	key(st, k);
	fputc('[', st->out);
	st->items = 0;
}

static void array_item(stream *st, json_t *v)
{
	fputs(st->items++ ? ",\n    " : "\n    ", st->out);
	emit(st, v, 4);
}

static void array_end(stream *st)
{
	fputs(st->items ? "\n  ]" : "]", st->out);
}

static void group(stream *st, writer *w, const char *k, cf_decl_kind kind)
{
	decl_list l = of_kind(w->lib, kind);
	array_begin(st, k);
	for (unsigned i = 0; i < l.count; i++)
		array_item(st, decl_json(w, l.items[i]));
	array_end(st);
	free(l.items);
}

static void write_library(stream *st, writer *w)
{
	const cf_library *lib = w->lib;
	fputc('{', st->out);
	st->first_key = true;
	member(st, "name", jstr(lib->name));
	member(st, "platform", jstr("unversioned"));
	member(st, "available", json_object());
	if (lib->attrs.count)
		member(st, "maybe_attributes", attrs_json(w, &lib->attrs));
	member(st, "experiments", json_array());
	decl_list ext = external_structs(lib);
	member(st, "library_dependencies", dependencies_json(lib, &ext));
	group(st, w, "bits_declarations", CF_DECL_BITS);
	group(st, w, "const_declarations", CF_DECL_CONST);
	group(st, w, "enum_declarations", CF_DECL_ENUM);
	group(st, w, "experimental_resource_declarations", CF_DECL_RESOURCE);
	group(st, w, "protocol_declarations", CF_DECL_PROTOCOL);
	member(st, "service_declarations", json_array());
	group(st, w, "struct_declarations", CF_DECL_STRUCT);
	array_begin(st, "external_struct_declarations");
	for (unsigned i = 0; i < ext.count; i++)
		array_item(st, struct_json(w, ext.items[i]));
	array_end(st);
	free(ext.items);
	group(st, w, "table_declarations", CF_DECL_TABLE);
	group(st, w, "union_declarations", CF_DECL_UNION);
	group(st, w, "alias_declarations", CF_DECL_ALIAS);
	member(st, "new_type_declarations", json_array());
	array_begin(st, "declaration_order");
	for (unsigned i = 0; i < lib->decl_count; i++)
		array_item(st, jstr(lib->decls[i]->full_name));
	array_end(st);
	member(st, "declarations", declarations_map(lib, false));
	fputs("\n}\n", st->out);
}

int cf_write_ir(FILE *out, const cf_model *model, const cf_library *lib)
{
	writer w = {.model = model, .lib = lib};
	stream st = {.out = out};
	errno = 0;
	write_library(&st, &w);
	for (unsigned i = 0; i < w.line_count; i++)
		free(w.lines[i].starts);
	free(w.lines);
	if (fflush(out) == EOF || ferror(out) || st.failed)
		return errno ? errno : EIO;
	return 0;
}
