/* The JSON IR, in fidlc's schema where fidlc has a key. */
#ifndef CFIDL_COMPILER_IR_JSON_H
#define CFIDL_COMPILER_IR_JSON_H

#include <stdio.h>

#include "model.h"

/* Writes lib (with the model for its dependencies) as JSON IR to out.
 * Deterministic: the same model gives the same bytes. Returns 0, or an
 * errno value when writing failed. */
int cf_write_ir(FILE *out, const cf_model *model, const cf_library *lib);

#endif
