#include "model.h"

#include <ctype.h>
#include <string.h>

static const struct {
	const char *name;
	uint32_t size;
} prims[] = {
    [CF_PRIM_BOOL] = {"bool", 1},       [CF_PRIM_INT8] = {"int8", 1},
    [CF_PRIM_INT16] = {"int16", 2},     [CF_PRIM_INT32] = {"int32", 4},
    [CF_PRIM_INT64] = {"int64", 8},     [CF_PRIM_UINT8] = {"uint8", 1},
    [CF_PRIM_UINT16] = {"uint16", 2},   [CF_PRIM_UINT32] = {"uint32", 4},
    [CF_PRIM_UINT64] = {"uint64", 8},   [CF_PRIM_FLOAT32] = {"float32", 4},
    [CF_PRIM_FLOAT64] = {"float64", 8},
};

const char *cf_prim_name(cf_prim prim)
{
	return prims[prim].name;
}

uint32_t cf_prim_size(cf_prim prim)
{
	return prims[prim].size;
}

bool cf_prim_is_signed(cf_prim prim)
{
	return prim >= CF_PRIM_INT8 && prim <= CF_PRIM_INT64;
}

bool cf_prim_is_integer(cf_prim prim)
{
	return prim >= CF_PRIM_INT8 && prim <= CF_PRIM_UINT64;
}

bool cf_prim_is_float(cf_prim prim)
{
	return prim == CF_PRIM_FLOAT32 || prim == CF_PRIM_FLOAT64;
}

const char *cf_decl_kind_name(cf_decl_kind kind)
{
	switch (kind) {
	case CF_DECL_CONST:
		return "const";
	case CF_DECL_ALIAS:
		return "alias";
	case CF_DECL_STRUCT:
		return "struct";
	case CF_DECL_TABLE:
		return "table";
	case CF_DECL_UNION:
		return "union";
	case CF_DECL_ENUM:
		return "enum";
	case CF_DECL_BITS:
		return "bits";
	case CF_DECL_PROTOCOL:
		return "protocol";
	case CF_DECL_RESOURCE:
		return "resource_definition";
	}
	return "?";
}

/* Attribute names compare ignoring case and underscores, so the old
 * `[ForDeprecatedCBindings]` finds `for_deprecated_c_bindings`. */
static bool attr_name_equal(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (!*a || !*b)
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

const cf_attr *cf_attrs_find(const cf_attrs *attrs, const char *name)
{
	for (unsigned i = 0; i < attrs->count; i++)
		if (attr_name_equal(attrs->items[i].name, name))
			return &attrs->items[i];
	return NULL;
}

const cf_value *cf_attr_find_arg(const cf_attr *attr, const char *name)
{
	for (unsigned i = 0; i < attr->arg_count; i++)
		if (attr_name_equal(attr->args[i].name, name))
			return &attr->args[i].value;
	return NULL;
}

cf_decl *cf_library_find(const cf_library *lib, const char *name)
{
	for (unsigned i = 0; i < lib->decl_count; i++)
		if (strcmp(lib->decls[i]->name, name) == 0)
			return lib->decls[i];
	return NULL;
}
