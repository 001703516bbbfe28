/* Runs the decode fuzz target (fuzz_decode.c) in every build, without
 * libFuzzer, over seeds made here: each type's zero value, encoded by the
 * generated encoder (when that value is valid), then every truncation,
 * byte flips, extra bytes and extra handles of each kind, and noise. The
 * target itself checks the round trip and counts fds, so any leak, over-
 * read or mismatch fails (aborts) here too.
 *
 *   test_fuzz_decode_replay --write-seeds DIR
 * writes the seeds as files instead, for `make fuzz-decode-run`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cfidl/syscalls.h>

#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { ALARM_SECONDS = 600, SEED_CAPACITY = 8192, FLIP_LIMIT = 96 };

/* 8-aligned storage for one encoded body behind the input header. */
typedef struct seed {
	union {
		uint64_t align;
		uint8_t bytes[CF_FUZZ_HEADER + 8 + SEED_CAPACITY];
	} u;
	size_t size; /* of the whole input */
} seed;

/* The input for type index i with the zero value's body and no handles;
 * false if the zero value is not a valid value of the type. */
static bool zero_seed(size_t i, seed *s)
{
	const cf_fuzz_type *type = &cf_fuzz_types[i];
	static uint64_t value[SEED_CAPACITY / 8];
	static uint64_t body[SEED_CAPACITY / 8];
	zx_handle_disposition_t disp[CF_FUZZ_MAX_HANDLES];
	fidl_encoder_t enc;
	if (type->size > sizeof(value))
		return false;
	memset(value, 0, sizeof(value));
	fidl_encoder_init(&enc, body, sizeof(body), disp, CF_FUZZ_MAX_HANDLES);
	if (type->encode(value, &enc) != ZX_OK)
		return false;
	assert_int_equal(enc.handle_count, 0);
	s->u.bytes[0] = (uint8_t)i;
	s->u.bytes[1] = (uint8_t)(i >> 8);
	s->u.bytes[2] = 0;
	memcpy(s->u.bytes + CF_FUZZ_HEADER, body, enc.size);
	s->size = CF_FUZZ_HEADER + enc.size;
	return true;
}

static void run(const uint8_t *data, size_t size)
{
	LLVMFuzzerTestOneInput(data, size);
}

/* What encodes decodes: each valid zero value, straight through the
 * table (the fuzz target would not say whether decoding succeeded). */
static void test_zero_values_decode(void **state)
{
	(void)state;
	size_t encoded = 0;
	static seed s;
	for (size_t i = 0; i < cf_fuzz_type_count; i++) {
		if (!zero_seed(i, &s))
			continue;
		encoded++;
		uint32_t size = (uint32_t)(s.size - CF_FUZZ_HEADER);
		static uint64_t copy[SEED_CAPACITY / 8];
		memcpy(copy, s.u.bytes + CF_FUZZ_HEADER, size);
		fidl_decoder_t dec;
		fidl_decoder_init(&dec, copy, size, NULL, 0);
		void *out = NULL;
		zx_status_t st = cf_fuzz_types[i].decode(&dec, &out);
		if (st != ZX_OK)
			fail_msg("%s: its encoded zero value does not decode: "
			         "%s",
			         cf_fuzz_types[i].name,
			         fidl_error_name(dec.error));
		run(s.u.bytes, s.size);
	}
	print_message("# %zu types, %zu with a valid zero value\n",
	              cf_fuzz_type_count, encoded);
	/* idl/ alone has dozens of handle-free request structs. */
	assert_true(encoded >= 10);
}

/* Every prefix, a flip of each of the first bytes, 8 extra bytes. */
static void test_mutations(void **state)
{
	(void)state;
	static seed s, m;
	for (size_t i = 0; i < cf_fuzz_type_count; i++) {
		if (!zero_seed(i, &s))
			continue;
		for (size_t n = CF_FUZZ_HEADER; n < s.size; n++)
			run(s.u.bytes, n);
		for (size_t at = CF_FUZZ_HEADER;
		     at < s.size && at < CF_FUZZ_HEADER + FLIP_LIMIT; at++) {
			m = s;
			m.u.bytes[at] ^= 0xff;
			run(m.u.bytes, m.size);
			m.u.bytes[at] ^= 0x7f; /* now bit 7 only */
			run(m.u.bytes, m.size);
		}
		m = s;
		memset(m.u.bytes + m.size, 0, 8);
		run(m.u.bytes, m.size + 8);
	}
}

/* Handles of each kind and rights the body does not want: every one of
 * them must be closed by the failing decoder. */
static void test_extra_handles(void **state)
{
	(void)state;
	static seed s;
	static uint8_t input[sizeof(s.u.bytes) + CF_FUZZ_MAX_HANDLES];
	static const uint8_t specs[] = {CF_FUZZ_EVENT,
	                                CF_FUZZ_CHANNEL,
	                                CF_FUZZ_SOCKET,
	                                CF_FUZZ_VMO,
	                                CF_FUZZ_VMO | CF_FUZZ_REDUCE | 0xf8,
	                                CF_FUZZ_CHANNEL | CF_FUZZ_REDUCE |
	                                    0x08};
	for (size_t i = 0; i < cf_fuzz_type_count; i++) {
		if (!zero_seed(i, &s))
			continue;
		size_t body = s.size - CF_FUZZ_HEADER;
		for (size_t k = 0; k < sizeof(specs); k++) {
			size_t n = 1 + k % 3;
			memcpy(input, s.u.bytes, CF_FUZZ_HEADER);
			input[2] = (uint8_t)n;
			memset(input + CF_FUZZ_HEADER, specs[k], n);
			memcpy(input + CF_FUZZ_HEADER + n,
			       s.u.bytes + CF_FUZZ_HEADER, body);
			run(input, CF_FUZZ_HEADER + n + body);
		}
	}
	/* The most handles a message may carry, on the first type. */
	memset(input, 0, sizeof(input));
	input[2] = CF_FUZZ_MAX_HANDLES;
	for (size_t h = 0; h < CF_FUZZ_MAX_HANDLES; h++)
		input[CF_FUZZ_HEADER + h] = (uint8_t)h;
	run(input, CF_FUZZ_HEADER + CF_FUZZ_MAX_HANDLES + 16);
}

/* Noise: each type, random bodies of sizes around its own. */
static void test_noise(void **state)
{
	(void)state;
	/* xorshift with a fixed seed: the same noise every run. */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static uint8_t buf[CF_FUZZ_HEADER + 4 + 512];
	for (size_t i = 0; i < cf_fuzz_type_count; i++) {
		for (unsigned round = 0; round < 8; round++) {
			for (size_t b = 0; b < sizeof(buf); b++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				buf[b] = (uint8_t)x;
			}
			buf[0] = (uint8_t)i;
			buf[1] = (uint8_t)(i >> 8);
			buf[2] = (uint8_t)(round % 4 ? 0 : round / 4);
			size_t size =
			    CF_FUZZ_HEADER + 4 + 8 * (1 + (x >> 20) % 32);
			run(buf, size < sizeof(buf) ? size : sizeof(buf));
		}
	}
	run(buf, 0);
	run(buf, CF_FUZZ_HEADER);
}

static int write_seeds(const char *dir)
{
	static seed s;
	unsigned written = 0;
	for (size_t i = 0; i < cf_fuzz_type_count; i++) {
		if (!zero_seed(i, &s))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/seed-%zu", dir, i);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(s.u.bytes, 1, s.size, f) != s.size) {
			perror(path);
			if (f)
				fclose(f);
			return 1;
		}
		fclose(f);
		written++;
	}
	printf("fuzz-decode-run: %u seed inputs for %zu types\n", written,
	       cf_fuzz_type_count);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_fuzz_decode_replay: an input hangs "
	                          "the decoder\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2]);
	signal(SIGALRM, on_alarm);
	alarm(ALARM_SECONDS);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zero_values_decode),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_extra_handles),
	    cmocka_unit_test(test_noise),
	};
	return cmocka_run_group_tests_name("fuzz_decode_replay", tests, NULL,
	                                   NULL);
}
