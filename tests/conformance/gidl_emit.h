/* Writes the C test program for GIDL cases: values as wire-view C objects
 * (CBIND_DESIGN.md section 1), expected bytes as arrays, handles made with
 * <cfidl/syscalls.h>, and comparison code generated per value. */
#ifndef CFIDL_GIDL_EMIT_H
#define CFIDL_GIDL_EMIT_H

#include <stdio.h>

#include "gidl.h"
#include "gidl_types.h"

typedef enum gidl_side { GIDL_SIDE_ENCODE, GIDL_SIDE_DECODE } gidl_side;

typedef enum gidl_emit_result {
	GIDL_EMITTED,
	GIDL_SKIPPED, /* why: the unsupported feature */
	GIDL_BROKEN,  /* why: the case does not fit the FIDL types */
} gidl_emit_result;

/* The side(s) a case kind runs: success runs both. */
bool gidl_case_has_side(const gidl_case *c, gidl_side side);

/* Writes includes and the shared helpers; header is the generated
 * bindings' header name. */
void gidl_emit_prelude(FILE *out, const char *header);
/* Writes `static int case_<id>(void)` for one side of c. */
gidl_emit_result gidl_emit_case(FILE *out, const gt_library *lib,
                                const gidl_case *c, gidl_side side, int id,
                                char *why, size_t whysize);
/* Writes main(), which runs cases 0..count-1 each in a child process and
 * prints "PASS\t<id>" or "FAIL\t<id>\t<reason>" per case. */
void gidl_emit_main(FILE *out, int count);

#endif
