/* Syntax trees of one library to its resolved model. */
#ifndef CFIDL_COMPILER_RESOLVE_H
#define CFIDL_COMPILER_RESOLVE_H

#include "ast.h"
#include "diag.h"
#include "model.h"

/* Resolves the files of one library (all must declare the same library)
 * against the libraries already in model, and appends the result to model.
 * Binds names, evaluates and type-checks constants, checks members, names
 * anonymous layouts, synthesises result unions, flattens compose, and
 * orders declarations. Shapes and ordinals are left to cf_layout_library
 * and cf_assign_ordinals. Returns the library (possibly incomplete when
 * errors were reported), or NULL when nothing could be resolved. */
cf_library *cf_resolve_library(cf_model *model, ast_file *const *files,
                               unsigned file_count, cf_diags *diags);

/* The library names a file's `using` lines need, for ordering libraries
 * before they are resolved. */
unsigned cf_file_dependencies(const ast_file *file, const char ***names_out,
                              cf_arena *arena);

#endif
