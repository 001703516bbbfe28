/* The decode fuzzer's type table (written at build time by
 * gen_decode_table from the generated headers and the JSON IR) and the
 * input format of fuzz_decode.c, shared with its replay test. */
#ifndef CF_FUZZ_DECODE_H
#define CF_FUZZ_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cfidl/wire.h>

typedef struct cf_fuzz_type {
	const char *name; /* FIDL name, "fuchsia.vsock/Addr" */
	/* The generated top-level decode (in place) and encode. */
	zx_status_t (*decode)(fidl_decoder_t *dec, void **out);
	zx_status_t (*encode)(const void *value, fidl_encoder_t *enc);
	/* NULL for types that cannot hold handles. */
	void (*close_handles)(void *value);
	size_t size; /* inline size, = sizeof the C type */
	/* Can hold flexible unknown data, which decoding drops: then a
	 * decoded value need not re-encode to the same bytes. */
	bool flexible;
} cf_fuzz_type;

extern const cf_fuzz_type cf_fuzz_types[];
extern const size_t cf_fuzz_type_count;

/*
 * Input: [type lo, type hi] [n] [n handle bytes] [message body...]
 * - the type index is little-endian, taken modulo cf_fuzz_type_count;
 * - n % (CF_FUZZ_MAX_HANDLES + 1) handles are made, one byte each: bits
 *   0-1 the kind (CF_FUZZ_EVENT...), bit 2 set: the rights are reduced,
 *   bits 3-7 say which are taken away (read, write, transfer, duplicate,
 *   and signal/wait/inspect);
 * - the rest is the body, decoded in place from a copy of exactly its
 *   size.
 */
enum {
	CF_FUZZ_EVENT = 0,
	CF_FUZZ_CHANNEL = 1,
	CF_FUZZ_SOCKET = 2,
	CF_FUZZ_VMO = 3,
	CF_FUZZ_REDUCE = 1 << 2,
	CF_FUZZ_MAX_HANDLES = 64,
	CF_FUZZ_HEADER = 3,
};

#endif /* CF_FUZZ_DECODE_H */
