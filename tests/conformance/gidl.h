/* GIDL (the FIDL conformance test language) as a C value model: the parsed
 * test cases of one .gidl file. Only what the suite's files use is modelled;
 * the parser rejects anything else with a located message. */
#ifndef CFIDL_GIDL_H
#define CFIDL_GIDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gidl_value_kind {
	GIDL_V_NULL,
	GIDL_V_BOOL,
	GIDL_V_INT,      /* magnitude in u, sign in neg */
	GIDL_V_FLOAT,    /* f */
	GIDL_V_STRING,   /* bytes in str/len (escapes decoded) */
	GIDL_V_OBJECT,   /* T { field: value, ... }: name = T */
	GIDL_V_LIST,     /* [ v, ... ] */
	GIDL_V_HANDLE,   /* #n */
	GIDL_V_RESTRICT, /* restrict(#n, type: T, rights: R) */
	GIDL_V_UNKNOWN,  /* { bytes = [...], handles = [...] } (unknown member)
	                  */
	GIDL_V_DECODE,   /* decode({ type = T, bytes = ..., handles = ... }) */
	GIDL_V_IDENT,    /* a bare identifier: name */
} gidl_value_kind;

typedef struct gidl_bytes {
	uint8_t *data;
	size_t len;
} gidl_bytes;

typedef struct gidl_handles {
	int *idx; /* handle_defs indices (#n) */
	size_t count;
} gidl_handles;

typedef struct gidl_field gidl_field;

typedef struct gidl_value {
	gidl_value_kind kind;
	int line;
	bool b;
	bool neg;
	uint64_t u;
	double f;
	char *str; /* string bytes (NUL added, may hold NULs) or a name */
	size_t len;
	char *name; /* object type name, restrict type, decode type */
	gidl_field *fields;
	size_t nfields;
	struct gidl_value **items;
	size_t nitems;
	int handle;           /* handle, restrict */
	bool has_rights;      /* restrict */
	uint32_t rights;      /* restrict */
	gidl_bytes bytes;     /* unknown, decode */
	gidl_handles handles; /* unknown, decode */
} gidl_value;

struct gidl_field {
	char *name;       /* NULL when the key is an ordinal */
	uint64_t ordinal; /* numeric key (unknown member) */
	gidl_value *value;
};

typedef enum gidl_case_kind {
	GIDL_SUCCESS,
	GIDL_ENCODE_SUCCESS,
	GIDL_DECODE_SUCCESS,
	GIDL_ENCODE_FAILURE,
	GIDL_DECODE_FAILURE,
	GIDL_BENCHMARK,
} gidl_case_kind;

/* Zircon object types the suite creates (values of ZX_OBJ_TYPE_*). */
enum { GIDL_OBJ_NONE = 0, GIDL_OBJ_CHANNEL = 4, GIDL_OBJ_EVENT = 5 };

typedef struct gidl_handle_def {
	int index;         /* #n */
	uint32_t obj_type; /* GIDL_OBJ_* */
	bool has_rights;
	uint32_t rights;
} gidl_handle_def;

typedef struct gidl_disposition {
	int handle;
	uint32_t obj_type;
	uint32_t rights;
} gidl_disposition;

typedef struct gidl_case {
	gidl_case_kind kind;
	char *name;
	int line;
	gidl_value *value; /* success, encode_*, decode_success */
	char *type;        /* decode_failure (type = T) */
	bool has_bytes;
	gidl_bytes bytes; /* v2 */
	bool has_handles;
	gidl_handles handles; /* v2 */
	gidl_disposition *dispositions;
	size_t ndispositions;
	bool has_dispositions;
	gidl_handle_def *handle_defs;
	size_t nhandle_defs;
	char *err; /* failure code, e.g. STRING_TOO_LONG */
	bool has_allowlist;
	char **allowlist;
	size_t nallowlist;
	char **denylist;
	size_t ndenylist;
} gidl_case;

typedef struct gidl_file {
	char *path;
	gidl_case *cases;
	size_t ncases;
	void *pool; /* every allocation of this file */
} gidl_file;

const char *gidl_case_kind_name(gidl_case_kind kind);

/* Parses text (len bytes) named path. Returns NULL and writes
 * "path:line:col: message" to err (size errsize) on a syntax error. */
gidl_file *gidl_parse(const char *path, const char *text, size_t len, char *err,
                      size_t errsize);
/* Reads and parses a file; I/O errors are reported like syntax errors. */
gidl_file *gidl_parse_file(const char *path, char *err, size_t errsize);
void gidl_file_free(gidl_file *file);

/* Rights by GIDL name (basic, event_default, ...); false if unknown. */
bool gidl_rights_by_name(const char *name, uint32_t *out);
/* Object types by GIDL name (event, channel, ...); false if unknown. */
bool gidl_obj_type_by_name(const char *name, uint32_t *out);

/* True when value (recursively) holds the given kind. */
bool gidl_value_contains(const gidl_value *value, gidl_value_kind kind);
/* True when value (recursively) has an object with an ordinal key. */
bool gidl_value_has_unknown_member(const gidl_value *value);

#endif
