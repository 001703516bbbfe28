/* One FIDL source file held in memory, and positions inside it. */
#ifndef CFIDL_COMPILER_SOURCE_H
#define CFIDL_COMPILER_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cf_source {
	char *path; /* as given by the user; owned */
	char *text; /* NUL-terminated copy of the file; owned */
	size_t len; /* bytes, not counting the added NUL */
} cf_source;

/* 1-based line and column (columns count bytes). A zero line means
 * "no position", for diagnostics about a whole file or the command line. */
typedef struct cf_loc {
	const cf_source *src;
	uint32_t line;
	uint32_t col;
} cf_loc;

enum { CF_MAX_SOURCE_BYTES = 64 * 1024 * 1024 };

/* Reads path into a new cf_source. Returns 0, or an errno value (EFBIG for a
 * file over CF_MAX_SOURCE_BYTES). The caller owns *out: cf_source_free it. */
int cf_source_load(const char *path, cf_source **out);
/* Wraps a copy of text (which may hold NUL bytes) named path. */
cf_source *cf_source_from_memory(const char *path, const char *text,
                                 size_t len);
/* Accepts NULL. */
void cf_source_free(cf_source *src);

/* The text of 1-based line `line` (without its newline): start and length.
 * Returns 0 when the line does not exist. */
int cf_source_line(const cf_source *src, uint32_t line, const char **start,
                   size_t *len);

#endif
