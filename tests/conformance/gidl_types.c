/* Reads cfidl's JSON IR (fidlc's format) into gidl_types.h's model. Only
 * the keys the emitter needs are read: declarations, members, types and
 * their type_shape_v2 sizes, field offsets and ordinals. */
#include "gidl_types.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pool_item {
	struct pool_item *next;
	max_align_t data[];
} pool_item;

static void *galloc(gt_library *lib, size_t size)
{
	pool_item *p = calloc(1, sizeof *p + size);
	if (!p) {
		fputs("gidl-run: out of memory\n", stderr);
		exit(2);
	}
	p->next = lib->pool;
	lib->pool = p;
	return p->data;
}

static char *gstrdup(gt_library *lib, const char *s)
{
	size_t n = strlen(s);
	char *p = galloc(lib, n + 1);
	memcpy(p, s, n + 1);
	return p;
}

/* The IR is read with JSON_DECODE_INT_AS_REAL: uint64 values such as an
 * enum's maybe_unknown_value overflow jansson's json_int_t. Every number
 * read here (sizes, offsets, ordinals, rights) is exact as a double. */
static uint64_t num_value(json_t *j)
{
	double d = json_number_value(j);
	return d > 0 ? (uint64_t)d : 0;
}

static const char *short_name(const char *full)
{
	const char *slash = strrchr(full, '/');
	return slash ? slash + 1 : full;
}

static uint32_t shape_size(json_t *type)
{
	json_t *shape = json_object_get(type, "type_shape_v2");
	return (uint32_t)num_value(json_object_get(shape, "inline_size"));
}

static bool prim_type(gt_type *t, const char *sub)
{
	static const struct {
		const char *name;
		gt_kind kind;
		uint32_t size;
		bool is_signed;
	} prims[] = {
	    {"bool", GT_BOOL, 1, false},    {"int8", GT_INT, 1, true},
	    {"int16", GT_INT, 2, true},     {"int32", GT_INT, 4, true},
	    {"int64", GT_INT, 8, true},     {"uint8", GT_INT, 1, false},
	    {"uint16", GT_INT, 2, false},   {"uint32", GT_INT, 4, false},
	    {"uint64", GT_INT, 8, false},   {"float32", GT_FLOAT, 4, true},
	    {"float64", GT_FLOAT, 8, true},
	};
	for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
		if (strcmp(prims[i].name, sub) == 0) {
			t->kind = prims[i].kind;
			t->size = prims[i].size;
			t->is_signed = prims[i].is_signed;
			return true;
		}
	}
	return false;
}

/* Declarations are created on first reference, filled later. */
static gt_decl *decl_named(gt_library *lib, const char *full)
{
	const char *name = short_name(full);
	gt_decl *d = gt_find(lib, name);
	if (d)
		return d;
	gt_decl **decls = galloc(lib, (lib->ndecls + 1) * sizeof *decls);
	if (lib->ndecls)
		memcpy(decls, lib->decls, lib->ndecls * sizeof *decls);
	d = galloc(lib, sizeof *d);
	d->name = gstrdup(lib, name);
	size_t n = strlen(lib->c_prefix) + strlen(name) + 2;
	d->c_name = galloc(lib, n);
	snprintf(d->c_name, n, "%s_%s", lib->c_prefix, name);
	decls[lib->ndecls++] = d;
	lib->decls = decls;
	return d;
}

static gt_type *read_type(gt_library *lib, json_t *j, json_t *kinds, char *err,
                          size_t errsize)
{
	gt_type *t = galloc(lib, sizeof *t);
	const char *kind = json_string_value(json_object_get(j, "kind"));
	json_t *nullable = json_object_get(j, "nullable");
	t->nullable = json_is_true(nullable);
	t->size = shape_size(j);
	t->max_count = UINT32_MAX;
	json_t *max = json_object_get(j, "maybe_element_count");
	if (json_is_number(max))
		t->max_count = (uint32_t)num_value(max);
	if (!kind)
		goto bad;
	if (strcmp(kind, "primitive") == 0) {
		const char *sub =
		    json_string_value(json_object_get(j, "subtype"));
		if (!sub || !prim_type(t, sub))
			goto bad;
	} else if (strcmp(kind, "string") == 0) {
		t->kind = GT_STRING;
	} else if (strcmp(kind, "vector") == 0 || strcmp(kind, "array") == 0) {
		t->kind = kind[0] == 'v' ? GT_VECTOR : GT_ARRAY;
		t->count =
		    (uint32_t)num_value(json_object_get(j, "element_count"));
		t->elem = read_type(lib, json_object_get(j, "element_type"),
		                    kinds, err, errsize);
		if (!t->elem)
			return NULL;
	} else if (strcmp(kind, "handle") == 0) {
		t->kind = GT_HANDLE;
		t->obj_type =
		    (uint32_t)num_value(json_object_get(j, "obj_type"));
		t->rights = (uint32_t)num_value(json_object_get(j, "rights"));
	} else if (strcmp(kind, "request") == 0) {
		t->kind = GT_HANDLE;
		t->obj_type = 4; /* channel */
	} else if (strcmp(kind, "identifier") == 0) {
		const char *id =
		    json_string_value(json_object_get(j, "identifier"));
		const char *dk =
		    id ? json_string_value(json_object_get(kinds, id)) : NULL;
		if (!dk)
			goto bad;
		if (strcmp(dk, "protocol") == 0) {
			t->kind = GT_HANDLE;
			t->obj_type = 4;
			return t;
		}
		t->decl = decl_named(lib, id);
		if (strcmp(dk, "struct") == 0)
			t->kind = GT_STRUCT;
		else if (strcmp(dk, "table") == 0)
			t->kind = GT_TABLE;
		else if (strcmp(dk, "union") == 0)
			t->kind = GT_UNION;
		else if (strcmp(dk, "enum") == 0)
			t->kind = GT_ENUM;
		else if (strcmp(dk, "bits") == 0)
			t->kind = GT_BITS;
		else
			goto bad;
	} else {
		goto bad;
	}
	return t;
bad:
	snprintf(err, errsize, "IR: unsupported type kind '%s'",
	         kind ? kind : "?");
	return NULL;
}

static bool read_members(gt_library *lib, gt_decl *d, json_t *decl,
                         json_t *kinds, char *err, size_t errsize)
{
	json_t *members = json_object_get(decl, "members");
	size_t n = json_array_size(members);
	d->members = galloc(lib, (n + 1) * sizeof *d->members);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(members, i);
		gt_member *gm = &d->members[d->nmembers];
		json_t *type = json_object_get(m, "type");
		if (!type)
			continue; /* reserved member (old IR form) */
		gm->name =
		    gstrdup(lib, json_string_value(json_object_get(m, "name")));
		gm->ordinal =
		    (uint64_t)num_value(json_object_get(m, "ordinal"));
		gm->offset = (uint32_t)num_value(json_object_get(
		    json_object_get(m, "field_shape_v2"), "offset"));
		gm->type = read_type(lib, type, kinds, err, errsize);
		if (!gm->type)
			return false;
		d->nmembers++;
	}
	return true;
}

static bool read_decls(gt_library *lib, json_t *root, const char *key,
                       gt_kind kind, char *err, size_t errsize)
{
	json_t *kinds = json_object_get(root, "declarations");
	json_t *arr = json_object_get(root, key);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *j = json_array_get(arr, i);
		const char *name =
		    json_string_value(json_object_get(j, "name"));
		if (!name)
			continue;
		gt_decl *d = decl_named(lib, name);
		d->kind = kind;
		d->strict = json_is_true(json_object_get(j, "strict"));
		d->resource = json_is_true(json_object_get(j, "resource"));
		d->size = shape_size(j);
		if (kind == GT_ENUM || kind == GT_BITS) {
			gt_type *u = galloc(lib, sizeof *u);
			json_t *t = json_object_get(j, "type");
			const char *sub =
			    json_is_string(t)
			        ? json_string_value(t)
			        : json_string_value(
			              json_object_get(t, "subtype"));
			if (!sub || !prim_type(u, sub)) {
				snprintf(err, errsize, "IR: bad type of %s",
				         name);
				return false;
			}
			d->underlying = u;
			d->size = u->size;
			continue;
		}
		if (!read_members(lib, d, j, kinds, err, errsize))
			return false;
	}
	return true;
}

gt_library *gt_load(const char *json_path, char *err, size_t errsize)
{
	json_error_t jerr;
	json_t *root =
	    json_load_file(json_path, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!root) {
		snprintf(err, errsize, "%s:%d: %s", json_path, jerr.line,
		         jerr.text);
		return NULL;
	}
	gt_library *lib = calloc(1, sizeof *lib);
	if (!lib) {
		json_decref(root);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	const char *name = json_string_value(json_object_get(root, "name"));
	lib->name = gstrdup(lib, name ? name : "");
	lib->c_prefix = gstrdup(lib, lib->name);
	for (char *p = lib->c_prefix; *p; p++) {
		if (*p == '.')
			*p = '_';
	}
	bool ok =
	    read_decls(lib, root, "struct_declarations", GT_STRUCT, err,
	               errsize) &&
	    read_decls(lib, root, "table_declarations", GT_TABLE, err,
	               errsize) &&
	    read_decls(lib, root, "union_declarations", GT_UNION, err,
	               errsize) &&
	    read_decls(lib, root, "enum_declarations", GT_ENUM, err, errsize) &&
	    read_decls(lib, root, "bits_declarations", GT_BITS, err, errsize);
	json_decref(root);
	if (!ok) {
		gt_free(lib);
		return NULL;
	}
	return lib;
}

void gt_free(gt_library *lib)
{
	if (!lib)
		return;
	pool_item *p = lib->pool;
	while (p) {
		pool_item *next = p->next;
		free(p);
		p = next;
	}
	free(lib);
}

gt_decl *gt_find(const gt_library *lib, const char *name)
{
	for (size_t i = 0; i < lib->ndecls; i++) {
		if (strcmp(lib->decls[i]->name, name) == 0)
			return lib->decls[i];
	}
	return NULL;
}

const char *gt_c_member(const char *name, char *buf, size_t size)
{
	static const char *const keywords[] = {
	    "auto",     "break",    "case",     "char",   "const",   "continue",
	    "default",  "do",       "double",   "else",   "enum",    "extern",
	    "float",    "for",      "goto",     "if",     "inline",  "int",
	    "long",     "register", "restrict", "return", "short",   "signed",
	    "sizeof",   "static",   "struct",   "switch", "typedef", "union",
	    "unsigned", "void",     "volatile", "while",  "bool",    "true",
	    "false",
	};
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
		if (strcmp(keywords[i], name) == 0) {
			snprintf(buf, size, "%s_", name);
			return buf;
		}
	}
	snprintf(buf, size, "%s", name);
	return buf;
}

const char *gt_c_prim(const gt_type *t)
{
	switch (t->kind) {
	case GT_BOOL:
		return "bool";
	case GT_FLOAT:
		return t->size == 4 ? "float" : "double";
	case GT_INT:
		switch (t->size) {
		case 1:
			return t->is_signed ? "int8_t" : "uint8_t";
		case 2:
			return t->is_signed ? "int16_t" : "uint16_t";
		case 4:
			return t->is_signed ? "int32_t" : "uint32_t";
		default:
			return t->is_signed ? "int64_t" : "uint64_t";
		}
	case GT_ENUM:
	case GT_BITS:
		return gt_c_prim(t->decl->underlying);
	default:
		return NULL;
	}
}
