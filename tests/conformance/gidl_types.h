/* The FIDL types of the library under test, read from cfidl's JSON IR: what
 * the C emitter needs to turn GIDL values into wire-view C objects. */
#ifndef CFIDL_GIDL_TYPES_H
#define CFIDL_GIDL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gt_kind {
	GT_BOOL,
	GT_INT,   /* intN / uintN: size, is_signed */
	GT_FLOAT, /* float32 / float64: size */
	GT_STRING,
	GT_VECTOR,
	GT_ARRAY,
	GT_HANDLE, /* also client_end / server_end */
	GT_STRUCT,
	GT_TABLE,
	GT_UNION,
	GT_ENUM,
	GT_BITS,
} gt_kind;

typedef struct gt_decl gt_decl;

typedef struct gt_type {
	gt_kind kind;
	bool nullable;
	bool is_signed;
	uint32_t size;      /* inline size on the wire */
	uint32_t max_count; /* string/vector bound (UINT32_MAX: none) */
	uint32_t count;     /* array */
	struct gt_type *elem;
	gt_decl *decl;     /* struct, table, union, enum, bits */
	uint32_t obj_type; /* handle */
	uint32_t rights;   /* handle */
} gt_type;

typedef struct gt_member {
	char *name;
	uint64_t ordinal; /* table, union */
	gt_type *type;
	uint32_t offset; /* struct */
} gt_member;

struct gt_decl {
	char *name;   /* short name, e.g. MyBool */
	char *c_name; /* test_conformance_MyBool */
	gt_kind kind;
	bool strict;
	bool resource;
	uint32_t size; /* inline size */
	gt_member *members;
	size_t nmembers;
	gt_type *underlying; /* enum, bits */
};

typedef struct gt_library {
	char *name;     /* test.conformance */
	char *c_prefix; /* test_conformance */
	gt_decl **decls;
	size_t ndecls;
	void *pool;
} gt_library;

/* Loads the IR that `cfidl --json` wrote; NULL and a message on error. */
gt_library *gt_load(const char *json_path, char *err, size_t errsize);
void gt_free(gt_library *lib);
/* A struct, table, union, enum or bits by short name; NULL if absent. */
gt_decl *gt_find(const gt_library *lib, const char *name);
/* The C member name (C keywords get a trailing '_'), in buf. */
const char *gt_c_member(const char *name, char *buf, size_t size);
/* The C type of an integer/float/bool type: "uint32_t" etc. */
const char *gt_c_prim(const gt_type *type);

#endif
