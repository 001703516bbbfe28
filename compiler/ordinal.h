/* Method ordinals (RFC-0029). */
#ifndef CFIDL_COMPILER_ORDINAL_H
#define CFIDL_COMPILER_ORDINAL_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "model.h"

/* First 8 bytes of SHA-256(selector) little-endian, top bit cleared.
 * selector is "<library>/<Protocol>.<Method>" or a @selector holding '/'. */
uint64_t cf_ordinal_hash(const char *selector, size_t len);

/* The hash cf_assign_ordinals uses, cf_ordinal_hash by default. Tests
 * replace it to reach the ordinal-0 error, which no known selector hashes
 * to. */
extern uint64_t (*cf_ordinal_hash_fn)(const char *selector, size_t len);

/* Sets cf_method.selector and .ordinal for every protocol of lib and
 * reports ordinal 0 and collisions within a protocol. Returns false when it
 * reported errors. */
bool cf_assign_ordinals(cf_library *lib, cf_diags *diags);

#endif
