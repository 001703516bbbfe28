/* Wire format v2 layout: type shapes, struct field offsets and padding. */
#ifndef CFIDL_COMPILER_SHAPE_H
#define CFIDL_COMPILER_SHAPE_H

#include "diag.h"
#include "model.h"

/* Fills cf_decl.shape, cf_type.shape and cf_member offset/padding for every
 * declaration and type use in lib. Reports a type that contains itself
 * without an optional or out-of-line step (CF_DIAG_DECLARATION_CYCLE).
 * Returns false when it reported errors. */
bool cf_layout_library(cf_library *lib, cf_diags *diags);

#endif
