/*
 * eng_test.h: what the packet/credit/ring/transport/engine tests add to
 * vsock_test.h: a reproducible test byte stream.
 */
#ifndef CFV_TESTS_ENG_TEST_H
#define CFV_TESTS_ENG_TEST_H

#include <stdint.h>

#include "vsock_test.h"

/* Byte at offset off of test stream seed: cheap, position-dependent. */
static inline uint8_t et_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9E3779B97F4A7C15ull + seed;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (off & 7)));
}

#endif /* CFV_TESTS_ENG_TEST_H */
