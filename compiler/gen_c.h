/* The C back end: a library's C bindings in the wire view
 * (/work/notes/CBIND_DESIGN.md section 3). The header of library `a.b` is
 * included as "a.b.h" by the source and by users of the library. */
#ifndef CFIDL_COMPILER_GEN_C_H
#define CFIDL_COMPILER_GEN_C_H

#include <stdio.h>

#include "model.h"

/* Write lib's header or source to out. Deterministic: the same model gives
 * the same bytes. Return 0, or an errno value when writing failed. */
int cf_write_c_header(FILE *out, const cf_model *model, const cf_library *lib);
int cf_write_c_source(FILE *out, const cf_model *model, const cf_library *lib);

#endif
