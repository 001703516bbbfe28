/*
 * The wire format v2 codec helpers, one by one, on buffers built by hand
 * from the wire format spec (REFERENCE.md section 3), with their errors.
 */
#include <stdalign.h>
#include <string.h>

#include <cfidl/wire.h>

#include "rt_test.h"

/* An 8-aligned message buffer. */
static alignas(8) uint8_t buf[512];

static void put64(uint32_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
}

static void put32(uint32_t off, uint32_t v)
{
	memcpy(buf + off, &v, 4);
}

static void dec_init(fidl_decoder_t *dec, uint32_t size, zx_handle_info_t *h,
                     uint32_t nh)
{
	fidl_decoder_init(dec, buf, size, h, nh);
}

/* ---- names, header, UTF-8 ---- */

static void error_names(void **state)
{
	(void)state;
	assert_string_equal(fidl_error_name(FIDL_ERR_NONE), "NONE");
	assert_string_equal(fidl_error_name(FIDL_ERR_STRING_TOO_LONG),
	                    "STRING_TOO_LONG");
	assert_string_equal(
	    fidl_error_name(FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY),
	    "NON_EMPTY_STRING_WITH_NULL_BODY");
	assert_string_equal(fidl_error_name(FIDL_ERR_COUNT_), "UNKNOWN");
	assert_string_equal(fidl_error_name((fidl_error_t)-1), "UNKNOWN");
	for (int e = 0; e < FIDL_ERR_COUNT_; e++)
		assert_string_not_equal(fidl_error_name((fidl_error_t)e),
		                        "UNKNOWN");
}

/* Every `err = X` of the GIDL suite names one of our errors. */
static void error_names_cover_gidl(void **state)
{
	const char *top = getenv("top_srcdir");
	char cmd[1024];
	char line[256];
	FILE *p;
	int n = 0;

	(void)state;
	if (!top)
		top = ".";
	snprintf(cmd, sizeof(cmd),
	         "cat %s/../shared/conformance/gidl/*.gidl 2>/dev/null | "
	         "grep -o 'err = [A-Z_0-9]*' | sort -u",
	         top);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char *name = line + 6;
		bool found = false;

		name[strcspn(name, "\n")] = 0;
		for (int e = 1; e < FIDL_ERR_COUNT_; e++)
			if (!strcmp(fidl_error_name((fidl_error_t)e), name))
				found = true;
		if (!found)
			fail_msg("GIDL error %s has no fidl_error_t", name);
		n++;
	}
	pclose(p);
	if (n == 0) {
		fprintf(stderr,
		        "skipped: no GIDL files in "
		        "%s/../shared/conformance/gidl\n",
		        top);
		skip();
	}
}

static void header(void **state)
{
	fidl_message_header_t h;

	(void)state;
	fidl_init_header(&h, 7, 0x1122334455667788ull, true);
	memcpy(buf, &h, 16);
	/* txid, flags {0x02, 0}, dynamic 0x80, magic 1, ordinal LE. */
	static const uint8_t want[16] = {7,    0,    0,    0,    2,    0,
	                                 0x80, 1,    0x88, 0x77, 0x66, 0x55,
	                                 0x44, 0x33, 0x22, 0x11};
	assert_memory_equal(buf, want, 16);
	ASSERT_OK(fidl_validate_header(&h));
	assert_true(fidl_header_is_flexible(&h));
	h.magic_number = 2;
	ASSERT_ST(fidl_validate_header(&h), ZX_ERR_PROTOCOL_NOT_SUPPORTED);
	h.magic_number = 1;
	h.at_rest_flags[0] = 0;
	ASSERT_ST(fidl_validate_header(&h), ZX_ERR_PROTOCOL_NOT_SUPPORTED);
	fidl_init_header(&h, 0, 1, false);
	assert_false(fidl_header_is_flexible(&h));
}

static bool utf8(const char *s, size_t n)
{
	return fidl_validate_utf8((const uint8_t *)s, n);
}

static void utf8_validation(void **state)
{
	(void)state;
	assert_true(utf8("", 0));
	assert_true(utf8("hello, world, long ascii text", 29));
	assert_true(utf8("\xc3\xa9", 2));             /* é */
	assert_true(utf8("\xe2\x82\xac", 3));         /* € */
	assert_true(utf8("\xf0\x9f\x98\x80", 4));     /* U+1F600 */
	assert_true(utf8("\xf4\x8f\xbf\xbf", 4));     /* U+10FFFF */
	assert_true(utf8("\xed\x9f\xbf", 3));         /* U+D7FF */
	assert_true(utf8("abcdefgh\xc3\xa9xyz", 13)); /* after fast path */
	assert_false(utf8("\x80", 1));                /* lone continuation */
	assert_false(utf8("\xc0\x80", 2));            /* overlong NUL */
	assert_false(utf8("\xc1\xbf", 2));            /* overlong */
	assert_false(utf8("\xe0\x80\x80", 3));        /* overlong */
	assert_false(utf8("\xe0\x9f\xbf", 3));        /* overlong */
	assert_false(utf8("\xed\xa0\x80", 3));        /* surrogate */
	assert_false(utf8("\xf0\x8f\xbf\xbf", 4));    /* overlong */
	assert_false(utf8("\xf4\x90\x80\x80", 4));    /* > U+10FFFF */
	assert_false(utf8("\xf5\x80\x80\x80", 4));
	assert_false(utf8("\xff", 1));
	assert_false(utf8("\xc3", 1)); /* truncated */
	assert_false(utf8("\xe2\x82", 2));
	assert_false(utf8("\xe2\x28\xa1", 3));             /* bad 2nd byte */
	assert_false(utf8("abcdefghijklmno\xe2\x82", 17)); /* tail */
	assert_false(utf8("abcdefgh12345678\x80", 17));
}

/* ---- decoder: out-of-line objects, padding, trailing bytes ---- */

static void decode_claim_and_end(void **state)
{
	fidl_decoder_t dec;
	uint32_t off;

	(void)state;
	memset(buf, 0, sizeof(buf));
	dec_init(&dec, 16, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 4, &off));
	assert_int_equal(off, 0);
	assert_int_equal(dec.next, 8);
	ASSERT_OK(fidl_decode_out_of_line(&dec, 8, 0, &off));
	assert_int_equal(off, 8);
	ASSERT_OK(fidl_decode_end(&dec));

	/* Bad alignment padding after a 4-byte object. */
	dec_init(&dec, 8, NULL, 0);
	buf[5] = 1;
	ASSERT_ST(fidl_decode_begin(&dec, 4, &off), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_PADDING_BYTE);
	buf[5] = 0;

	/* Too few bytes. */
	dec_init(&dec, 8, NULL, 0);
	ASSERT_ST(fidl_decode_begin(&dec, 16, &off), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_FEW_BYTES);

	/* Trailing bytes. */
	dec_init(&dec, 16, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 8, &off));
	ASSERT_ST(fidl_decode_end(&dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_MANY_BYTES_IN_MESSAGE);

	/* Padding inside a struct: struct { uint8 a; uint32 b; } */
	dec_init(&dec, 8, NULL, 0);
	buf[1] = 0x10;
	ASSERT_OK(fidl_decode_begin(&dec, 8, &off));
	ASSERT_ST(fidl_decode_padding(&dec, 1, 3), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_PADDING_BYTE);
	dec_init(&dec, 8, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 8, &off));
	ASSERT_ST(fidl_decode_padding64(&dec, 0, 0x00000000ffffff00ull),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_PADDING_BYTE);
	buf[1] = 0;
	dec_init(&dec, 8, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 8, &off));
	ASSERT_OK(fidl_decode_padding64(&dec, 0, 0x00000000ffffff00ull));
	ASSERT_OK(fidl_decode_padding(&dec, 1, 3));
}

static void decode_bool_and_empty_struct(void **state)
{
	fidl_decoder_t dec;

	(void)state;
	memset(buf, 0, 8);
	buf[0] = 1;
	dec_init(&dec, 8, NULL, 0);
	ASSERT_OK(fidl_decode_bool(&dec, 0));
	buf[0] = 2;
	ASSERT_ST(fidl_decode_bool(&dec, 0), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_BOOLEAN);
	dec_init(&dec, 8, NULL, 0);
	buf[0] = 0;
	ASSERT_OK(fidl_decode_empty_struct(&dec, 0));
	buf[0] = 1;
	ASSERT_ST(fidl_decode_empty_struct(&dec, 0), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_EMPTY_STRUCT);
}

/* Decodes a string wrapper (the string at offset 0) from buf. */
static zx_status_t decode_string(uint32_t size, uint32_t max, bool nullable,
                                 fidl_decoder_t *dec)
{
	uint32_t off;
	zx_status_t st;

	dec_init(dec, size, NULL, 0);
	st = fidl_decode_begin(dec, 16, &off);
	if (st == ZX_OK)
		st = fidl_decode_string(dec, off, max, nullable, 0);
	if (st == ZX_OK)
		st = fidl_decode_end(dec);
	return st;
}

static void decode_strings(void **state)
{
	fidl_decoder_t dec;
	fidl_string_t *s = (fidl_string_t *)buf;

	(void)state;
	/* "hello": count 5, present, body padded to 8. */
	memset(buf, 0, sizeof(buf));
	put64(0, 5);
	put64(8, UINT64_MAX);
	memcpy(buf + 16, "hello", 5);
	ASSERT_OK(decode_string(24, 5, false, &dec));
	assert_int_equal(s->size, 5);
	assert_ptr_equal(s->data, buf + 16);

	/* Longer than the bound. */
	put64(8, UINT64_MAX);
	ASSERT_ST(decode_string(24, 4, false, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_STRING_TOO_LONG);

	/* Non-zero padding after the body. */
	put64(8, UINT64_MAX);
	buf[23] = 1;
	ASSERT_ST(decode_string(24, 5, false, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_PADDING_BYTE);
	buf[23] = 0;

	/* Body cut short. */
	ASSERT_ST(decode_string(20, 5, false, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_FEW_BYTES);

	/* Not UTF-8. */
	put64(8, UINT64_MAX);
	buf[16] = 0xff;
	ASSERT_ST(decode_string(24, 5, false, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_STRING_NOT_UTF8);
	buf[16] = 'h';

	/* Trailing bytes after the string. */
	put64(8, UINT64_MAX);
	ASSERT_ST(decode_string(32, 5, false, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_MANY_BYTES_IN_MESSAGE);

	/* Presence 0 with a nonzero size. */
	put64(0, 3);
	put64(8, 0);
	ASSERT_ST(decode_string(16, 5, true, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY);
	ASSERT_ST(decode_string(16, 5, false, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY);

	/* Absent. */
	put64(0, 0);
	ASSERT_ST(decode_string(16, 5, false, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
	ASSERT_OK(decode_string(16, 5, true, &dec));
	assert_null(s->data);

	/* A presence marker that is neither. */
	put64(8, 1);
	ASSERT_ST(decode_string(16, 5, true, &dec), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_PRESENCE_INDICATOR);

	/* Counts past 32 bits. */
	put64(0, (uint64_t)1 << 32);
	put64(8, UINT64_MAX);
	ASSERT_ST(decode_string(16, UINT32_MAX, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_STRING_COUNT_EXCEEDS_32_BIT_LIMIT);

	/* A huge count within 32 bits runs out of bytes, not memory. */
	put64(0, 0xfffffff0u);
	put64(8, UINT64_MAX);
	ASSERT_ST(decode_string(16, UINT32_MAX, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_FEW_BYTES);
}

static zx_status_t decode_vector(uint32_t size, uint32_t max, uint32_t esize,
                                 bool nullable, fidl_decoder_t *dec,
                                 uint32_t *body, uint32_t *count)
{
	uint32_t off;
	zx_status_t st;

	dec_init(dec, size, NULL, 0);
	st = fidl_decode_begin(dec, 16, &off);
	if (st == ZX_OK)
		st = fidl_decode_vector(dec, off, max, esize, nullable, 0, body,
		                        count);
	if (st == ZX_OK)
		st = fidl_decode_end(dec);
	return st;
}

static void decode_vectors(void **state)
{
	fidl_decoder_t dec;
	fidl_vector_t *v = (fidl_vector_t *)buf;
	uint32_t body, count;

	(void)state;
	/* vector<uint16>:3 {1, 2, 3}: 6 bytes + 2 padding. */
	memset(buf, 0, sizeof(buf));
	put64(0, 3);
	put64(8, UINT64_MAX);
	buf[16] = 1, buf[18] = 2, buf[20] = 3;
	ASSERT_OK(decode_vector(24, 3, 2, false, &dec, &body, &count));
	assert_int_equal(body, 16);
	assert_int_equal(count, 3);
	assert_ptr_equal(v->data, buf + 16);
	assert_int_equal(((uint16_t *)v->data)[2], 3);

	put64(8, UINT64_MAX);
	ASSERT_ST(decode_vector(24, 2, 2, false, &dec, &body, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_COUNT_EXCEEDS_LIMIT);

	put64(8, UINT64_MAX);
	buf[22] = 9;
	ASSERT_ST(decode_vector(24, 3, 2, false, &dec, &body, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_PADDING_BYTE);
	buf[22] = 0;

	put64(8, 0);
	ASSERT_ST(decode_vector(16, 3, 2, true, &dec, &body, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_EMPTY_VECTOR_WITH_NULL_BODY);

	put64(0, 0);
	ASSERT_OK(decode_vector(16, 3, 2, true, &dec, &body, &count));
	assert_int_equal(body, UINT32_MAX);
	assert_int_equal(count, 0);
	assert_null(v->data);
	ASSERT_ST(decode_vector(16, 3, 2, false, &dec, &body, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);

	/* Present and empty: no body. */
	put64(8, UINT64_MAX);
	ASSERT_OK(decode_vector(16, 3, 2, false, &dec, &body, &count));
	assert_int_equal(count, 0);

	put64(0, UINT64_MAX);
	put64(8, UINT64_MAX);
	ASSERT_ST(decode_vector(16, UINT32_MAX, 1, false, &dec, &body, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_VECTOR_COUNT_EXCEEDS_32_BIT_LIMIT);

	/* count * size overflowing 32 bits is short of bytes. */
	put64(0, 0x80000000u);
	put64(8, UINT64_MAX);
	ASSERT_ST(decode_vector(16, UINT32_MAX, 8, false, &dec, &body, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_FEW_BYTES);
}

/* struct R { box<R> inner; }: the GIDL recursive_depth layout. */
static zx_status_t decode_rec(fidl_decoder_t *dec, uint32_t off, uint32_t depth)
{
	uint32_t inner;
	zx_status_t st = fidl_decode_box(dec, off, 8, true, depth, &inner);

	if (st != ZX_OK || inner == UINT32_MAX)
		return st;
	return decode_rec(dec, inner, depth + 1);
}

static zx_status_t decode_chain(int present)
{
	fidl_decoder_t dec;
	uint32_t off;
	zx_status_t st;

	memset(buf, 0, sizeof(buf));
	memset(buf, 0xff, (size_t)present * 8);
	dec_init(&dec, (uint32_t)(present + 1) * 8, NULL, 0);
	st = fidl_decode_begin(&dec, 8, &off);
	if (st == ZX_OK)
		st = decode_rec(&dec, off, 0);
	if (st == ZX_OK)
		st = fidl_decode_end(&dec);
	if (st != ZX_OK)
		assert_int_equal(dec.error,
		                 FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	return st;
}

static void decode_depth(void **state)
{
	(void)state;
	/* Objects at depth 0..32 are fine; one at depth 33 is not. */
	ASSERT_OK(decode_chain(32));
	ASSERT_ST(decode_chain(33), ZX_ERR_INVALID_ARGS);
	ASSERT_OK(decode_chain(1));
	ASSERT_OK(decode_chain(0));
}

static void decode_box_presence(void **state)
{
	fidl_decoder_t dec;
	uint32_t off, inner;

	(void)state;
	memset(buf, 0, sizeof(buf));
	put64(0, 0x1234);
	dec_init(&dec, 8, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 8, &off));
	ASSERT_ST(fidl_decode_box(&dec, 0, 8, true, 0, &inner),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_PRESENCE_INDICATOR);
	put64(0, 0);
	dec_init(&dec, 8, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 8, &off));
	ASSERT_ST(fidl_decode_box(&dec, 0, 8, false, 0, &inner),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
}

/* ---- envelopes, tables, unions ---- */

static void set_env(uint32_t off, uint32_t bytes, uint16_t nh, uint16_t flags)
{
	put32(off, bytes);
	memcpy(buf + off + 4, &nh, 2);
	memcpy(buf + off + 6, &flags, 2);
}

/* A union { 1: uint32 small; 2: uint64 big; } at offset 0 with tag. */
static zx_status_t decode_union(uint32_t size, uint32_t nh, zx_handle_info_t *h,
                                fidl_decoder_t *dec, bool resource)
{
	uint32_t off, voff;
	fidl_envelope_dmark_t m;
	bool present;
	zx_status_t st;
	uint64_t tag;

	dec_init(dec, size, h, nh);
	st = fidl_decode_begin(dec, 16, &off);
	if (st != ZX_OK)
		return st;
	tag = fidl_load64(buf);
	if (tag == 1 || tag == 2) {
		st = fidl_decode_envelope_begin(dec, 8, tag == 1 ? 4 : 8, 0, &m,
		                                &present, &voff);
		if (st != ZX_OK)
			return st;
		if (!present)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
		st = fidl_decode_envelope_end(dec, 8, &m);
	} else {
		st =
		    fidl_decode_unknown_envelope(dec, 8, 0, resource, &present);
	}
	if (st == ZX_OK)
		st = fidl_decode_end(dec);
	return st;
}

static void decode_envelopes(void **state)
{
	fidl_decoder_t dec;
	fidl_envelope_t *env = (fidl_envelope_t *)(buf + 8);

	(void)state;
	/* Inlined small value. */
	memset(buf, 0, sizeof(buf));
	put64(0, 1);
	put32(8, 100);
	set_env(8, 100, 0, 1);
	ASSERT_OK(decode_union(16, 0, NULL, &dec, false));
	assert_int_equal(env->inlined.flags, FIDL_ENVELOPE_INLINED);
	assert_int_equal(fidl_load32(env->inlined.value), 100);

	/* Bad inline markers. */
	set_env(8, 100, 0, 0xff);
	ASSERT_ST(decode_union(16, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_INLINE_MARKER_IN_ENVELOPE);
	set_env(8, 100, 0, 0xee01);
	ASSERT_ST(decode_union(16, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_INLINE_MARKER_IN_ENVELOPE);

	/* Small value out of line: inline bit required. */
	set_env(8, 8, 0, 0);
	put64(16, 100);
	ASSERT_ST(decode_union(24, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_INLINE_BIT_IN_ENVELOPE);

	/* Big value: out of line, pointer written in place. */
	put64(0, 2);
	set_env(8, 8, 0, 0);
	put64(16, 0x1122334455667788ull);
	ASSERT_OK(decode_union(24, 0, NULL, &dec, false));
	assert_ptr_equal(env->data, buf + 16);
	/* ... and inlined it is wrong. */
	put64(0, 2);
	set_env(8, 8, 0, 1);
	ASSERT_ST(decode_union(16, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_INLINE_BIT_IN_ENVELOPE);
	/* num_bytes disagreeing with the value. */
	set_env(8, 16, 0, 0);
	put64(16, 1);
	put64(24, 0);
	ASSERT_ST(decode_union(32, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE);

	/* An inlined uint8 whose 3 unused bytes are not zero. */
	{
		fidl_envelope_dmark_t m;
		bool present;
		uint32_t voff;

		set_env(8, 0x01000005, 0, 1);
		dec_init(&dec, 16, NULL, 0);
		dec.next = 16;
		ASSERT_ST(fidl_decode_envelope_begin(&dec, 8, 1, 0, &m,
		                                     &present, &voff),
		          ZX_ERR_INVALID_ARGS);
		assert_int_equal(dec.error, FIDL_ERR_INVALID_PADDING_BYTE);
		set_env(8, 5, 0, 1);
		dec_init(&dec, 16, NULL, 0);
		dec.next = 16;
		ASSERT_OK(fidl_decode_envelope_begin(&dec, 8, 1, 0, &m,
		                                     &present, &voff));
		assert_true(present);
		assert_int_equal(voff, 8);
		ASSERT_OK(fidl_decode_envelope_end(&dec, 8, &m));
		/* Envelopes at depth 32 hold values at depth 33. */
		dec_init(&dec, 16, NULL, 0);
		dec.next = 16;
		ASSERT_ST(fidl_decode_envelope_begin(&dec, 8, 1, 32, &m,
		                                     &present, &voff),
		          ZX_ERR_INVALID_ARGS);
		assert_int_equal(dec.error,
		                 FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	}

	/* Unknown ordinal: skipped; num_bytes must be a multiple of 8. */
	put64(0, 1234);
	set_env(8, 20, 0, 0);
	memset(buf + 16, 0xab, 20);
	memset(buf + 36, 0, 4);
	ASSERT_ST(decode_union(40, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE);
	set_env(8, 24, 0, 0);
	ASSERT_OK(decode_union(40, 0, NULL, &dec, false));
	assert_ptr_equal(env->data, buf + 16);
	/* More bytes than the message has. */
	put64(0, 100);
	set_env(8, 8, 0, 0);
	ASSERT_ST(decode_union(16, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error,
	                 FIDL_ERR_ENVELOPE_BYTES_EXCEED_MESSAGE_LENGTH);
	/* More handles than the message has (known and unknown). */
	set_env(8, 0, 1, 0);
	ASSERT_ST(decode_union(16, 0, NULL, &dec, true), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error,
	                 FIDL_ERR_ENVELOPE_HANDLES_EXCEED_MESSAGE_LENGTH);
	put64(0, 1);
	set_env(8, 0, 1, 1);
	ASSERT_ST(decode_union(16, 0, NULL, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error,
	                 FIDL_ERR_ENVELOPE_HANDLES_EXCEED_MESSAGE_LENGTH);
}

static zx_handle_info_t event_info(void)
{
	zx_handle_info_t info = {0};
	zx_info_handle_basic_t b;

	ASSERT_OK(zx_event_create(0, &info.handle));
	b = rt_info(info.handle);
	info.type = b.type;
	info.rights = b.rights;
	return info;
}

static void decode_unknown_handles(void **state)
{
	fidl_decoder_t dec;
	zx_handle_info_t h[2];

	(void)state;
	memset(buf, 0, sizeof(buf));
	put64(0, 1234);
	set_env(8, 8, 2, 0);
	h[0] = event_info();
	h[1] = event_info();
	/* A value type may not carry unknown handles: all closed. */
	ASSERT_ST(decode_union(24, 2, h, &dec, false), ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_RESOURCE_UNKNOWN_HANDLES);
	assert_int_equal(h[0].handle, ZX_HANDLE_INVALID);
	assert_int_equal(h[1].handle, ZX_HANDLE_INVALID);
	/* A resource type drops them (closed, counted). */
	h[0] = event_info();
	h[1] = event_info();
	zx_handle_t keep0 = h[0].handle, keep1 = h[1].handle;
	ASSERT_OK(decode_union(24, 2, h, &dec, true));
	assert_false(rt_valid(keep0));
	assert_false(rt_valid(keep1));
}

static void decode_tables(void **state)
{
	fidl_decoder_t dec;
	uint32_t off, envs, count;

	(void)state;
	/* table { 1: uint32 } with the field set. */
	memset(buf, 0, sizeof(buf));
	put64(0, 1);
	put64(8, UINT64_MAX);
	set_env(16, 7, 0, 1);
	dec_init(&dec, 24, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 16, &off));
	ASSERT_OK(fidl_decode_table(&dec, off, 0, &envs, &count));
	assert_int_equal(envs, 16);
	assert_int_equal(count, 1);
	ASSERT_OK(fidl_decode_end(&dec));
	assert_ptr_equal(((fidl_vector_t *)buf)->data, buf + 16);

	put64(0, (uint64_t)1 << 32);
	put64(8, UINT64_MAX);
	dec_init(&dec, 24, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 16, &off));
	ASSERT_ST(fidl_decode_table(&dec, off, 0, &envs, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TABLE_COUNT_EXCEEDS_32_BIT_LIMIT);

	put64(0, 0);
	put64(8, 0);
	dec_init(&dec, 16, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 16, &off));
	ASSERT_ST(fidl_decode_table(&dec, off, 0, &envs, &count),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
}

/* ---- handles ---- */

/* struct { zx.Handle:<type, rights> h; } with handles h[0..n). */
static zx_status_t decode_handle(uint32_t marker, zx_handle_info_t *h,
                                 uint32_t n, zx_obj_type_t type,
                                 zx_rights_t rights, bool nullable,
                                 fidl_decoder_t *dec)
{
	uint32_t off;
	zx_status_t st;

	memset(buf, 0, 8);
	put32(0, marker);
	dec_init(dec, 8, h, n);
	st = fidl_decode_begin(dec, 4, &off);
	if (st == ZX_OK)
		st = fidl_decode_handle(dec, off, type, rights, nullable);
	if (st == ZX_OK)
		st = fidl_decode_end(dec);
	return st;
}

static void decode_handles(void **state)
{
	fidl_decoder_t dec;
	zx_handle_info_t h[2];
	zx_handle_t orig;
	zx_rights_t want = ZX_RIGHT_TRANSFER | ZX_RIGHT_WAIT | ZX_RIGHT_INSPECT;

	(void)state;
	/* Present, any type and rights: the value lands in place. */
	h[0] = event_info();
	ASSERT_OK(decode_handle(UINT32_MAX, h, 1, ZX_OBJ_TYPE_NONE,
	                        ZX_RIGHT_SAME_RIGHTS, false, &dec));
	assert_int_equal(fidl_load32(buf), h[0].handle);
	ASSERT_OK(zx_handle_close(h[0].handle));

	/* Rights reduced with zx_handle_replace. */
	h[0] = event_info();
	orig = h[0].handle;
	ASSERT_OK(decode_handle(UINT32_MAX, h, 1, ZX_OBJ_TYPE_EVENT, want,
	                        false, &dec));
	assert_false(rt_valid(orig));
	assert_int_equal(fidl_load32(buf), h[0].handle);
	assert_int_equal(rt_info(h[0].handle).rights, want);
	assert_int_equal(h[0].rights, want);
	/* ... and now lacking a required right. */
	ASSERT_ST(decode_handle(UINT32_MAX, h, 1, ZX_OBJ_TYPE_EVENT,
	                        want | ZX_RIGHT_SIGNAL, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_MISSING_REQUIRED_HANDLE_RIGHTS);
	assert_int_equal(h[0].handle, ZX_HANDLE_INVALID);

	/* Wrong type: every handle of the message is closed. */
	h[0] = event_info();
	orig = h[0].handle;
	ASSERT_ST(decode_handle(UINT32_MAX, h, 1, ZX_OBJ_TYPE_CHANNEL,
	                        ZX_RIGHT_SAME_RIGHTS, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INCORRECT_HANDLE_TYPE);
	assert_false(rt_valid(orig));

	/* Extra handles. */
	h[0] = event_info();
	h[1] = event_info();
	orig = h[1].handle;
	ASSERT_ST(decode_handle(UINT32_MAX, h, 2, ZX_OBJ_TYPE_EVENT,
	                        ZX_RIGHT_SAME_RIGHTS, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_MANY_HANDLES_IN_MESSAGE);
	assert_false(rt_valid(orig));

	/* Too few. */
	ASSERT_ST(decode_handle(UINT32_MAX, h, 0, ZX_OBJ_TYPE_EVENT,
	                        ZX_RIGHT_SAME_RIGHTS, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_FEW_HANDLES);

	/* Absent; bad marker. */
	ASSERT_OK(decode_handle(0, h, 0, ZX_OBJ_TYPE_EVENT,
	                        ZX_RIGHT_SAME_RIGHTS, true, &dec));
	ASSERT_ST(decode_handle(0, h, 0, ZX_OBJ_TYPE_EVENT,
	                        ZX_RIGHT_SAME_RIGHTS, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
	h[0] = event_info();
	orig = h[0].handle;
	ASSERT_ST(decode_handle(1, h, 1, ZX_OBJ_TYPE_EVENT,
	                        ZX_RIGHT_SAME_RIGHTS, false, &dec),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_HANDLE_PRESENCE_INDICATOR);
	assert_false(rt_valid(orig));
}

/* ---- encoder ---- */

static alignas(8) uint8_t out[256];

static void encode_strings_and_vectors(void **state)
{
	fidl_encoder_t enc;
	uint32_t off, body;
	static const uint16_t elems[3] = {1, 2, 3};

	(void)state;
	memset(out, 0xcc, sizeof(out));
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 32);
	assert_int_equal(off, 0);
	ASSERT_OK(fidl_encode_string(&enc, off, "hello", 5, 5, false, 0));
	ASSERT_OK(fidl_encode_vector(&enc, off + 16, elems, 3, 3, 2, false, 0,
	                             &body));
	fidl_encoder_put(&enc, body, elems, sizeof(elems));
	assert_int_equal(enc.size, 48);
	static const uint8_t want[48] = {
	    5,    0,    0,    0,    0,    0,    0,    0,    0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3,    0,    0,    0,
	    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 'h',  'e',  'l',  'l',  'o',  0,    0,    0,
	    1,    0,    2,    0,    3,    0,    0,    0};
	assert_memory_equal(out, want, 48);

	/* Bodies over old bytes: padding is zeroed, 8 bytes need none. */
	memset(out, 0xcc, sizeof(out));
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 32);
	ASSERT_OK(fidl_encode_string(&enc, off, "12345678", 8, 8, false, 0));
	ASSERT_OK(
	    fidl_encode_string(&enc, off + 16, "123456789", 9, 9, false, 0));
	assert_int_equal(enc.size, 32 + 8 + 16);
	assert_memory_equal(out + 32, "12345678123456789\0\0\0\0\0\0\0", 24);

	/* Absent optional string; empty required one. */
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 32);
	ASSERT_OK(fidl_encode_string(&enc, off, NULL, 0, 5, true, 0));
	ASSERT_OK(fidl_encode_string(&enc, off + 16, NULL, 0, 5, false, 0));
	assert_int_equal(enc.size, 32);
	assert_int_equal(fidl_load64(out + 8), 0);
	assert_int_equal(fidl_load64(out + 24), UINT64_MAX);

	/* Errors. */
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 16);
	ASSERT_ST(fidl_encode_string(&enc, off, "hello", 5, 4, false, 0),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(enc.error, FIDL_ERR_STRING_TOO_LONG);
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 16);
	ASSERT_ST(fidl_encode_string(&enc, off, NULL, 3, 4, true, 0),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(enc.error, FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY);
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 16);
	ASSERT_ST(fidl_encode_string(&enc, off, "\xc0\x80", 2, 4, true, 0),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(enc.error, FIDL_ERR_STRING_NOT_UTF8);
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 16);
	ASSERT_ST(
	    fidl_encode_vector(&enc, off, elems, 3, 2, 2, false, 0, &body),
	    ZX_ERR_INVALID_ARGS);
	assert_int_equal(enc.error, FIDL_ERR_COUNT_EXCEEDS_LIMIT);
	fidl_encoder_init(&enc, out, 24, NULL, 0);
	off = fidl_encoder_alloc(&enc, 16);
	ASSERT_ST(fidl_encode_string(&enc, off, "0123456789", 10, 10, false, 0),
	          ZX_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(enc.error, FIDL_ERR_BUFFER_TOO_SMALL);
	fidl_encoder_init(&enc, out, 8, NULL, 0);
	assert_int_equal(fidl_encoder_alloc(&enc, 9), UINT32_MAX);
	assert_int_equal(enc.error, FIDL_ERR_BUFFER_TOO_SMALL);
}

static void encode_depth(void **state)
{
	fidl_encoder_t enc;
	uint32_t off = 0, inner;
	static uint64_t dummy;

	(void)state;
	fidl_encoder_init(&enc, buf, sizeof(buf), NULL, 0);
	off = fidl_encoder_alloc(&enc, 8);
	for (uint32_t depth = 0; depth < 32; depth++) {
		ASSERT_OK(fidl_encode_box(&enc, off, &dummy, 8, depth, &inner));
		off = inner;
	}
	ASSERT_ST(fidl_encode_box(&enc, off, &dummy, 8, 32, &inner),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(enc.error, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	/* Absent boxes never count. */
	fidl_encoder_init(&enc, buf, sizeof(buf), NULL, 0);
	off = fidl_encoder_alloc(&enc, 8);
	ASSERT_OK(fidl_encode_box(&enc, off, NULL, 8, 40, &inner));
	assert_int_equal(inner, UINT32_MAX);
}

static void encode_envelopes(void **state)
{
	fidl_encoder_t enc;
	fidl_envelope_mark_t m;
	uint32_t off, voff;
	uint32_t small = 100;
	uint64_t big = 7;

	(void)state;
	/* union tag 1, uint32 inlined: {1, 100 0 0 0, 0 0, 1 0}. */
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 16);
	fidl_store64(out + off, 1);
	ASSERT_OK(fidl_encode_envelope_begin(&enc, off + 8, 4, 0, &m, &voff));
	assert_int_equal(voff, 8);
	fidl_encoder_put(&enc, voff, &small, 4);
	fidl_encode_envelope_end(&enc, off + 8, &m);
	static const uint8_t w1[16] = {1,   0, 0, 0, 0, 0, 0, 0,
	                               100, 0, 0, 0, 0, 0, 1, 0};
	assert_memory_equal(out, w1, 16);
	assert_int_equal(enc.size, 16);

	/* uint64 out of line: num_bytes 8, flags 0. */
	fidl_encoder_init(&enc, out, sizeof(out), NULL, 0);
	off = fidl_encoder_alloc(&enc, 16);
	fidl_store64(out + off, 2);
	ASSERT_OK(fidl_encode_envelope_begin(&enc, off + 8, 8, 0, &m, &voff));
	assert_int_equal(voff, 16);
	fidl_encoder_put(&enc, voff, &big, 8);
	fidl_encode_envelope_end(&enc, off + 8, &m);
	static const uint8_t w2[24] = {2, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0,
	                               0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(out, w2, 24);

	/* A handle inlined in an envelope counts in num_handles. */
	zx_handle_disposition_t hd[1];
	zx_handle_t ev;
	ASSERT_OK(zx_event_create(0, &ev));
	fidl_encoder_init(&enc, out, sizeof(out), hd, 1);
	off = fidl_encoder_alloc(&enc, 16);
	fidl_store64(out + off, 3);
	ASSERT_OK(fidl_encode_envelope_begin(&enc, off + 8, 4, 0, &m, &voff));
	ASSERT_OK(fidl_encode_handle(&enc, voff, ev, ZX_OBJ_TYPE_EVENT,
	                             ZX_RIGHT_SAME_RIGHTS, false));
	fidl_encode_envelope_end(&enc, off + 8, &m);
	static const uint8_t w3[16] = {3,    0,    0,    0,    0, 0, 0, 0,
	                               0xff, 0xff, 0xff, 0xff, 1, 0, 1, 0};
	assert_memory_equal(out, w3, 16);
	assert_int_equal(enc.handle_count, 1);
	assert_int_equal(hd[0].handle, ev);
	assert_int_equal(hd[0].type, ZX_OBJ_TYPE_EVENT);
	assert_int_equal(hd[0].operation, ZX_HANDLE_OP_MOVE);
	ASSERT_OK(zx_handle_close(ev));
}

static void encode_handles(void **state)
{
	fidl_encoder_t enc;
	zx_handle_disposition_t hd[2];
	zx_handle_t e[3];
	uint32_t off;

	(void)state;
	for (int i = 0; i < 3; i++)
		ASSERT_OK(zx_event_create(0, &e[i]));
	fidl_encoder_init(&enc, out, sizeof(out), hd, 2);
	off = fidl_encoder_alloc(&enc, 16);
	ASSERT_OK(fidl_encode_handle(&enc, off, e[0], ZX_OBJ_TYPE_EVENT,
	                             ZX_RIGHT_WAIT, false));
	ASSERT_OK(fidl_encode_handle(&enc, off + 4, ZX_HANDLE_INVALID,
	                             ZX_OBJ_TYPE_EVENT, ZX_RIGHT_WAIT, true));
	ASSERT_OK(fidl_encode_handle(&enc, off + 8, e[1], ZX_OBJ_TYPE_NONE,
	                             ZX_RIGHT_SAME_RIGHTS, false));
	assert_int_equal(fidl_load32(out), UINT32_MAX);
	assert_int_equal(fidl_load32(out + 4), 0);
	assert_int_equal(enc.handle_count, 2);
	assert_int_equal(hd[0].rights, ZX_RIGHT_WAIT);
	/* Out of room: this one and the two taken are all closed. */
	ASSERT_ST(fidl_encode_handle(&enc, off + 12, e[2], ZX_OBJ_TYPE_NONE,
	                             ZX_RIGHT_SAME_RIGHTS, false),
	          ZX_ERR_OUT_OF_RANGE);
	assert_int_equal(enc.error, FIDL_ERR_TOO_MANY_HANDLES);
	assert_int_equal(enc.handle_count, 0);
	for (int i = 0; i < 3; i++)
		assert_false(rt_valid(e[i]));

	/* Absent where required. */
	fidl_encoder_init(&enc, out, sizeof(out), hd, 2);
	off = fidl_encoder_alloc(&enc, 8);
	ASSERT_ST(fidl_encode_handle(&enc, off, ZX_HANDLE_INVALID,
	                             ZX_OBJ_TYPE_EVENT, ZX_RIGHT_WAIT, false),
	          ZX_ERR_INVALID_ARGS);
	assert_int_equal(enc.error, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
}

/* Encode then decode in place gives back the same values. */
static void round_trip(void **state)
{
	fidl_encoder_t enc;
	fidl_decoder_t dec;
	uint32_t off, body, count;
	static const char *text = "h\xc3\xa9llo w\xc3\xb6rld";
	fidl_string_t *s;
	fidl_vector_t *v;
	static const uint32_t nums[5] = {1, 2, 3, 4, 5};

	(void)state;
	fidl_encoder_init(&enc, buf, sizeof(buf), NULL, 0);
	off = fidl_encoder_alloc(&enc, 32);
	ASSERT_OK(
	    fidl_encode_string(&enc, off, text, strlen(text), 64, false, 0));
	ASSERT_OK(fidl_encode_vector(&enc, off + 16, nums, 5, 10, 4, false, 0,
	                             &body));
	fidl_encoder_put(&enc, body, nums, sizeof(nums));
	fidl_decoder_init(&dec, buf, enc.size, NULL, 0);
	ASSERT_OK(fidl_decode_begin(&dec, 32, &off));
	ASSERT_OK(fidl_decode_string(&dec, off, 64, false, 0));
	ASSERT_OK(
	    fidl_decode_vector(&dec, off + 16, 10, 4, false, 0, &body, &count));
	ASSERT_OK(fidl_decode_end(&dec));
	s = (fidl_string_t *)buf;
	v = (fidl_vector_t *)(buf + 16);
	assert_int_equal(s->size, strlen(text));
	assert_memory_equal(s->data, text, strlen(text));
	assert_int_equal(v->count, 5);
	assert_memory_equal(v->data, nums, sizeof(nums));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(error_names),
	    RT_TEST(error_names_cover_gidl),
	    RT_TEST(header),
	    RT_TEST(utf8_validation),
	    RT_TEST(decode_claim_and_end),
	    RT_TEST(decode_bool_and_empty_struct),
	    RT_TEST(decode_strings),
	    RT_TEST(decode_vectors),
	    RT_TEST(decode_depth),
	    RT_TEST(decode_box_presence),
	    RT_TEST(decode_envelopes),
	    RT_TEST(decode_unknown_handles),
	    RT_TEST(decode_tables),
	    RT_TEST(decode_handles),
	    RT_TEST(encode_strings_and_vectors),
	    RT_TEST(encode_depth),
	    RT_TEST(encode_envelopes),
	    RT_TEST(encode_handles),
	    RT_TEST(round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
