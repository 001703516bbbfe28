/* One run of the compiler: load the libraries named on the command line and
 * the ones they use, parse, resolve in dependency order, lay out. */
#ifndef CFIDL_COMPILER_COMPILE_H
#define CFIDL_COMPILER_COMPILE_H

#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "model.h"
#include "source.h"

typedef struct cf_file_group {
	const char *const *paths; /* one library's files */
	unsigned count;
} cf_file_group;

typedef struct cf_compile_options {
	/* Folders searched for a used library as DIR/<library>/ (its .fidl
	 * files), in order; the installed IDL folder (CFIDL_IDL_DIR) is
	 * searched last. */
	const char *const *include_dirs;
	unsigned include_count;
	/* Overrides CFIDL_IDL_DIR; NULL for the built-in default, "" for
	 * none. */
	const char *builtin_idl_dir;
} cf_compile_options;

typedef struct cf_compilation {
	cf_arena arena;
	cf_diags diags;
	cf_model model;
	cf_source **sources; /* every file read, owned */
	unsigned source_count;
	unsigned source_cap;
} cf_compilation;

/* diag_out may be NULL (silent). */
void cf_compilation_init(cf_compilation *c, FILE *diag_out);
void cf_compilation_free(cf_compilation *c);

/* Compiles the groups; the last group is the target library. Libraries
 * used but not given are looked up in the include folders. Returns true on
 * success; errors were reported to c->diags otherwise. */
bool cf_compile(cf_compilation *c, const cf_compile_options *opts,
                const cf_file_group *groups, unsigned group_count);

/* Compiles sources held in memory as one library; the libraries it uses
 * are found in opts' folders (for tests and the fuzzer). lengths may be
 * NULL for NUL-terminated texts; texts may hold NUL bytes otherwise. */
bool cf_compile_memory(cf_compilation *c, const cf_compile_options *opts,
                       const char *const *names, const char *const *texts,
                       const size_t *lengths, unsigned count);

/* The target library after a successful compile, or NULL. */
const cf_library *cf_compilation_target(const cf_compilation *c);

#endif
