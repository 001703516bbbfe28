/* SHA-256 (FIPS 180-4), just enough for method ordinals. */
#ifndef CFIDL_COMPILER_SHA256_H
#define CFIDL_COMPILER_SHA256_H

#include <stddef.h>
#include <stdint.h>

void cf_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
