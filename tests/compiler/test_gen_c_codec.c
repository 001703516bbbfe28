/* The generated encoders and decoders against wire format v2: values of
 * tests/compiler/gen_c/codec.test.fidl (some copy conformance types, whose
 * bytes come from the conformance suite's GIDL cases) and seed messages of
 * idl/ (generated/). Round trips, bytes, in-place decoding, handles and the
 * error of each malformed input. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <string.h>

#include <cfidl/syscalls.h>

#include "fuchsia.hardware.vsock.h"
#include "test.gencodec.h"

typedef struct buf {
	_Alignas(8) uint8_t bytes[512];
	zx_handle_disposition_t handles[4];
	fidl_encoder_t enc;
} buf;

static void enc_init(buf *b)
{
	memset(b->bytes, 0xcc, sizeof(b->bytes)); /* the encoder must zero */
	fidl_encoder_init(&b->enc, b->bytes, sizeof(b->bytes), b->handles, 4);
}

/* Decodes n bytes (copied to an aligned buffer) with no handles. */
static zx_status_t decode_bytes(fidl_decoder_t *dec, uint8_t *store,
                                const uint8_t *bytes, uint32_t n)
{
	memcpy(store, bytes, n);
	fidl_decoder_init(dec, store, n, NULL, 0);
	return ZX_OK;
}

/* tables.gidl, TableWithStringAndVectorNoVectorContent */
static const uint8_t table_bytes[] = {
    2,   0,   0,   0,   0,   0,   0,   0,   /* max ordinal */
    255, 255, 255, 255, 255, 255, 255, 255, /* present */
    24,  0,   0,   0,   0,   0,   0,   0,   /* envelope 1 */
    27,  0,   0,   0,   0,   0,   1,   0,   /* envelope 2, inlined */
    5,   0,   0,   0,   0,   0,   0,   0,   /* string size */
    255, 255, 255, 255, 255, 255, 255, 255, /* present */
    'h', 'e', 'l', 'l', 'o', 0,   0,   0,
};

static void table_round_trip(void **state)
{
	(void)state;
	buf b;
	fidl_string_t foo = {5, (char *)"hello"};
	int32_t bar = 27;
	fidl_envelope_t envs[2];
	envs[0].data = &foo;
	envs[1].data = &bar;
	test_gencodec_StructOfTableWithStringAndVector v = {{2, envs}};
	enc_init(&b);
	assert_int_equal(
	    test_gencodec_StructOfTableWithStringAndVector_encode(&v, &b.enc),
	    ZX_OK);
	assert_int_equal(b.enc.size, sizeof(table_bytes));
	assert_memory_equal(b.bytes, table_bytes, sizeof(table_bytes));

	/* In place: the pointers lead into the buffer. */
	_Alignas(8) uint8_t store[sizeof(table_bytes)];
	fidl_decoder_t dec;
	test_gencodec_StructOfTableWithStringAndVector *out = NULL;
	decode_bytes(&dec, store, table_bytes, sizeof(table_bytes));
	assert_int_equal(
	    test_gencodec_StructOfTableWithStringAndVector_decode(&dec, &out),
	    ZX_OK);
	assert_ptr_equal(out, store);
	assert_int_equal(out->table.count, 2);
	const fidl_string_t *s = fidl_envelope_value(&out->table.envelopes[0]);
	assert_non_null(s);
	assert_int_equal(s->size, 5);
	assert_memory_equal(s->data, "hello", 5);
	assert_ptr_equal(s->data, store + 48);
	const int32_t *n = fidl_envelope_value(&out->table.envelopes[1]);
	assert_non_null(n);
	assert_int_equal(*n, 27);
	/* the getters */
	assert_ptr_equal(
	    test_gencodec_TableWithStringAndVector_get_foo(&out->table), s);
	assert_ptr_equal(
	    test_gencodec_TableWithStringAndVector_get_bar(&out->table), n);
	assert_null(
	    test_gencodec_TableWithStringAndVector_get_baz(&out->table));
}

static void table_bad_inline_bit(void **state)
{
	(void)state;
	uint8_t bytes[sizeof(table_bytes)];
	memcpy(bytes, table_bytes, sizeof(bytes));
	bytes[30] = 0; /* envelope 2 no longer marked inlined */
	_Alignas(8) uint8_t store[sizeof(bytes)];
	fidl_decoder_t dec;
	test_gencodec_StructOfTableWithStringAndVector *out = NULL;
	decode_bytes(&dec, store, bytes, sizeof(bytes));
	assert_int_equal(
	    test_gencodec_StructOfTableWithStringAndVector_decode(&dec, &out),
	    ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_INLINE_BIT_IN_ENVELOPE);
}

/* union.gidl, UnionWithBoundString */
static const uint8_t union_bytes[] = {
    1,   0,   0,   0,   0,   0,   0,   0,   /* ordinal */
    24,  0,   0,   0,   0,   0,   0,   0,   /* envelope */
    4,   0,   0,   0,   0,   0,   0,   0,   /* size */
    255, 255, 255, 255, 255, 255, 255, 255, /* present */
    'a', 'b', 'c', 'd', 0,   0,   0,   0,
};

static void union_round_trip(void **state)
{
	(void)state;
	buf b;
	fidl_string_t str = {4, (char *)"abcd"};
	test_gencodec_UnionWithBoundStringStruct v;
	memset(&v, 0, sizeof(v));
	v.v.tag = test_gencodec_UnionWithBoundString_Tag_boundFiveStr;
	v.v.envelope.data = &str;
	enc_init(&b);
	assert_int_equal(
	    test_gencodec_UnionWithBoundStringStruct_encode(&v, &b.enc), ZX_OK);
	assert_int_equal(b.enc.size, sizeof(union_bytes));
	assert_memory_equal(b.bytes, union_bytes, sizeof(union_bytes));

	_Alignas(8) uint8_t store[sizeof(union_bytes)];
	fidl_decoder_t dec;
	test_gencodec_UnionWithBoundStringStruct *out = NULL;
	decode_bytes(&dec, store, union_bytes, sizeof(union_bytes));
	assert_int_equal(
	    test_gencodec_UnionWithBoundStringStruct_decode(&dec, &out), ZX_OK);
	assert_int_equal(out->v.tag, 1);
	const fidl_string_t *s =
	    test_gencodec_UnionWithBoundString_get_boundFiveStr(&out->v);
	assert_non_null(s);
	assert_int_equal(s->size, 4);
	assert_memory_equal(s->data, "abcd", 4);

	/* string:5 */
	str.size = 6;
	str.data = (char *)"abcdef";
	enc_init(&b);
	assert_int_equal(
	    test_gencodec_UnionWithBoundStringStruct_encode(&v, &b.enc),
	    ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error, FIDL_ERR_STRING_TOO_LONG);

	/* A strict union with an unknown ordinal. */
	uint8_t bad[sizeof(union_bytes)];
	memcpy(bad, union_bytes, sizeof(bad));
	bad[0] = 2;
	decode_bytes(&dec, store, bad, sizeof(bad));
	assert_int_equal(
	    test_gencodec_UnionWithBoundStringStruct_decode(&dec, &out),
	    ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_STRICT_UNION_UNKNOWN_FIELD);

	/* A required union that is absent (union.gidl). */
	static const uint8_t absent[16];
	decode_bytes(&dec, store, absent, sizeof(absent));
	assert_int_equal(
	    test_gencodec_UnionWithBoundStringStruct_decode(&dec, &out),
	    ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
}

static void optional_union(void **state)
{
	(void)state;
	buf b;
	test_gencodec_OptionalUnionStruct v;
	memset(&v, 0, sizeof(v));
	enc_init(&b);
	assert_int_equal(test_gencodec_OptionalUnionStruct_encode(&v, &b.enc),
	                 ZX_OK);
	static const uint8_t zero[16];
	assert_int_equal(b.enc.size, 16);
	assert_memory_equal(b.bytes, zero, 16);

	_Alignas(8) uint8_t store[24];
	fidl_decoder_t dec;
	test_gencodec_OptionalUnionStruct *out = NULL;
	decode_bytes(&dec, store, zero, 16);
	assert_int_equal(test_gencodec_OptionalUnionStruct_decode(&dec, &out),
	                 ZX_OK);
	assert_int_equal(out->v.tag, 0);

	/* union.gidl OptionalStrictValueUnionZeroOrdinalWithPayload */
	static const uint8_t payload[] = {
	    0,    0,    0,    0,    0,    0,    0,    0,    24,   0,
	    0,    0,    0,    0,    0,    0,    0xab, 0xab, 0xab, 0xab,
	    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0,    0,    0,    0,
	};
	_Alignas(8) uint8_t store2[sizeof(payload)];
	decode_bytes(&dec, store2, payload, sizeof(payload));
	assert_int_equal(test_gencodec_OptionalUnionStruct_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_UNION_FIELD_NOT_SET);

	/* Absent (tag 0) yet holding a value: not sent. */
	fidl_string_t str = {1, (char *)"x"};
	v.v.envelope.data = &str;
	enc_init(&b);
	assert_int_equal(test_gencodec_OptionalUnionStruct_encode(&v, &b.enc),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error, FIDL_ERR_UNION_FIELD_NOT_SET);
}

static void flexible_union_unknown(void **state)
{
	(void)state;
	/* An unknown member of a flexible union is accepted and skipped. */
	static const uint8_t bytes[] = {
	    9, 0, 0, 0, 0, 0, 0, 0, /* unknown ordinal */
	    8, 0, 0, 0, 0, 0, 0, 0, /* envelope: 8 bytes */
	    1, 2, 3, 4, 5, 6, 7, 8,
	};
	_Alignas(8) uint8_t store[sizeof(bytes)];
	fidl_decoder_t dec;
	test_gencodec_FlexibleUnionStruct *out = NULL;
	decode_bytes(&dec, store, bytes, sizeof(bytes));
	assert_int_equal(test_gencodec_FlexibleUnionStruct_decode(&dec, &out),
	                 ZX_OK);
	assert_int_equal(out->u.tag, 9);

	/* It cannot be sent back: unknown data is not kept. */
	buf b;
	enc_init(&b);
	assert_int_equal(test_gencodec_FlexibleUnionStruct_encode(out, &b.enc),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error, FIDL_ERR_FLEXIBLE_UNION_UNKNOWN_FIELD);

	/* A known member of 1 byte is inlined. */
	uint8_t a = 7;
	test_gencodec_FlexibleUnionStruct v;
	memset(&v, 0, sizeof(v));
	v.u.tag = test_gencodec_FlexibleUnion_Tag_a;
	v.u.envelope.data = &a;
	enc_init(&b);
	assert_int_equal(test_gencodec_FlexibleUnionStruct_encode(&v, &b.enc),
	                 ZX_OK);
	static const uint8_t want[] = {
	    1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 1, 0,
	};
	assert_int_equal(b.enc.size, sizeof(want));
	assert_memory_equal(b.bytes, want, sizeof(want));
}

static void box_and_bool(void **state)
{
	(void)state;
	buf b;
	test_gencodec_GoldenBoolStruct inner = {true};
	test_gencodec_GoldenNullableStruct v = {&inner};
	enc_init(&b);
	assert_int_equal(test_gencodec_GoldenNullableStruct_encode(&v, &b.enc),
	                 ZX_OK);
	/* golden.gidl GoldenNullableStruct (present) */
	static const uint8_t want[] = {
	    255, 255, 255, 255, 255, 255, 255, 255, 1, 0, 0, 0, 0, 0, 0, 0,
	};
	assert_int_equal(b.enc.size, sizeof(want));
	assert_memory_equal(b.bytes, want, sizeof(want));

	_Alignas(8) uint8_t store[sizeof(want)];
	fidl_decoder_t dec;
	test_gencodec_GoldenNullableStruct *out = NULL;
	decode_bytes(&dec, store, want, sizeof(want));
	assert_int_equal(test_gencodec_GoldenNullableStruct_decode(&dec, &out),
	                 ZX_OK);
	assert_ptr_equal(out->v, store + 8);
	assert_true(out->v->v);

	/* bool.gidl: 2 is no bool */
	uint8_t bad[sizeof(want)];
	memcpy(bad, want, sizeof(bad));
	bad[8] = 2;
	decode_bytes(&dec, store, bad, sizeof(bad));
	assert_int_equal(test_gencodec_GoldenNullableStruct_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_BOOLEAN);

	/* absent */
	v.v = NULL;
	enc_init(&b);
	assert_int_equal(test_gencodec_GoldenNullableStruct_encode(&v, &b.enc),
	                 ZX_OK);
	assert_int_equal(b.enc.size, 8);
	decode_bytes(&dec, store, b.bytes, 8);
	assert_int_equal(test_gencodec_GoldenNullableStruct_decode(&dec, &out),
	                 ZX_OK);
	assert_null(out->v);
}

static void padding(void **state)
{
	(void)state;
	buf b;
	test_gencodec_Padded v;
	memset(&v, 0xee, sizeof(v)); /* garbage in the C padding */
	v.a = 1;
	v.b = 2;
	v.c = 3;
	enc_init(&b);
	assert_int_equal(test_gencodec_Padded_encode(&v, &b.enc), ZX_OK);
	static const uint8_t want[] = {
	    1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
	};
	assert_int_equal(b.enc.size, 16);
	assert_memory_equal(b.bytes, want, 16);

	for (int i = 1; i < 16; i++) {
		if (i >= 4 && i < 10)
			continue; /* b and c */
		uint8_t bad[16];
		memcpy(bad, want, 16);
		bad[i] = 1;
		_Alignas(8) uint8_t store[16];
		fidl_decoder_t dec;
		test_gencodec_Padded *out = NULL;
		decode_bytes(&dec, store, bad, 16);
		assert_int_equal(test_gencodec_Padded_decode(&dec, &out),
		                 ZX_ERR_INVALID_ARGS);
		assert_int_equal(dec.error, FIDL_ERR_INVALID_PADDING_BYTE);
	}
}

static void plain_struct_is_memcpy(void **state)
{
	(void)state;
	buf b;
	test_gencodec_Plain v = {0x01020304u, 0x05060708u, {1, 2, 3, 4}};
	enc_init(&b);
	assert_int_equal(test_gencodec_Plain_encode(&v, &b.enc), ZX_OK);
	assert_int_equal(b.enc.size, 16);
	assert_memory_equal(b.bytes, &v, sizeof(v));

	/* Wrong lengths: too few bytes, too many. */
	_Alignas(8) uint8_t store[24];
	fidl_decoder_t dec;
	test_gencodec_Plain *out = NULL;
	decode_bytes(&dec, store, b.bytes, 8);
	assert_int_equal(test_gencodec_Plain_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_FEW_BYTES);
	memset(store, 0, sizeof(store));
	memcpy(store, b.bytes, 16);
	fidl_decoder_init(&dec, store, 24, NULL, 0);
	assert_int_equal(test_gencodec_Plain_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_MANY_BYTES_IN_MESSAGE);
}

static void strict_enum_and_bits(void **state)
{
	(void)state;
	buf b;
	test_gencodec_EnumAndBits v = {test_gencodec_StrictEnum_B,
	                               test_gencodec_BOTH};
	enc_init(&b);
	assert_int_equal(test_gencodec_EnumAndBits_encode(&v, &b.enc), ZX_OK);
	static const uint8_t want[] = {2, 0, 0, 0, 5, 0, 0, 0};
	assert_memory_equal(b.bytes, want, 8);

	v.e = 3;
	enc_init(&b);
	assert_int_equal(test_gencodec_EnumAndBits_encode(&v, &b.enc),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error, FIDL_ERR_STRICT_ENUM_UNKNOWN_VALUE);
	v.e = test_gencodec_StrictEnum_A;
	v.b = 2;
	enc_init(&b);
	assert_int_equal(test_gencodec_EnumAndBits_encode(&v, &b.enc),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error, FIDL_ERR_STRICT_BITS_UNKNOWN_BIT);

	_Alignas(8) uint8_t store[8];
	fidl_decoder_t dec;
	test_gencodec_EnumAndBits *out = NULL;
	static const uint8_t bad_enum[] = {0, 0, 0, 0, 1, 0, 0, 0};
	decode_bytes(&dec, store, bad_enum, 8);
	assert_int_equal(test_gencodec_EnumAndBits_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_STRICT_ENUM_UNKNOWN_VALUE);
	static const uint8_t bad_bits[] = {1, 0, 0, 0, 8, 0, 0, 0};
	decode_bytes(&dec, store, bad_bits, 8);
	assert_int_equal(test_gencodec_EnumAndBits_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_STRICT_BITS_UNKNOWN_BIT);
}

static void vector_of_strings(void **state)
{
	(void)state;
	buf b;
	fidl_string_t strs[2] = {{2, (char *)"ab"}, {3, (char *)"xyz"}};
	test_gencodec_StringVector v = {{2, strs}};
	enc_init(&b);
	assert_int_equal(test_gencodec_StringVector_encode(&v, &b.enc), ZX_OK);
	static const uint8_t want[] = {
	    2,   0,   0,   0,   0,   0,   0,   0,   /* count */
	    255, 255, 255, 255, 255, 255, 255, 255, /* present */
	    2,   0,   0,   0,   0,   0,   0,   0,   /* [0] */
	    255, 255, 255, 255, 255, 255, 255, 255, 3,   0,   0, 0,
	    0,   0,   0,   0, /* [1] */
	    255, 255, 255, 255, 255, 255, 255, 255, 'a', 'b', 0, 0,
	    0,   0,   0,   0,   'x', 'y', 'z', 0,   0,   0,   0, 0,
	};
	assert_int_equal(b.enc.size, sizeof(want));
	assert_memory_equal(b.bytes, want, sizeof(want));

	_Alignas(8) uint8_t store[sizeof(want)];
	fidl_decoder_t dec;
	test_gencodec_StringVector *out = NULL;
	decode_bytes(&dec, store, want, sizeof(want));
	assert_int_equal(test_gencodec_StringVector_decode(&dec, &out), ZX_OK);
	const fidl_string_t *s = out->v.data;
	assert_int_equal(out->v.count, 2);
	assert_memory_equal(s[1].data, "xyz", 3);

	/* vector<...>:2 */
	fidl_string_t three[3] = {{0, NULL}, {0, NULL}, {0, NULL}};
	test_gencodec_StringVector too_many = {{3, three}};
	enc_init(&b);
	assert_int_equal(test_gencodec_StringVector_encode(&too_many, &b.enc),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error, FIDL_ERR_COUNT_EXCEEDS_LIMIT);

	/* Invalid UTF-8 in an element. */
	uint8_t bad[sizeof(want)];
	memcpy(bad, want, sizeof(bad));
	bad[48] = 0xff;
	decode_bytes(&dec, store, bad, sizeof(bad));
	assert_int_equal(test_gencodec_StringVector_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_STRING_NOT_UTF8);
}

static void empty_struct(void **state)
{
	(void)state;
	buf b;
	test_gencodec_EmptyStructWrapper v;
	memset(&v, 0x55, sizeof(v)); /* the reserved byte is sent as 0 */
	enc_init(&b);
	assert_int_equal(test_gencodec_EmptyStructWrapper_encode(&v, &b.enc),
	                 ZX_OK);
	static const uint8_t want[8];
	assert_int_equal(b.enc.size, 8);
	assert_memory_equal(b.bytes, want, 8);

	_Alignas(8) uint8_t store[8] = {1};
	fidl_decoder_t dec;
	test_gencodec_EmptyStructWrapper *out = NULL;
	fidl_decoder_init(&dec, store, 8, NULL, 0);
	assert_int_equal(test_gencodec_EmptyStructWrapper_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INVALID_EMPTY_STRUCT);
}

static void handles(void **state)
{
	(void)state;
	buf b;
	zx_handle_t ev;
	assert_int_equal(zx_event_create(0, &ev), ZX_OK);
	test_gencodec_EventStruct v = {ev, ZX_HANDLE_INVALID};
	enc_init(&b);
	assert_int_equal(test_gencodec_EventStruct_encode(&v, &b.enc), ZX_OK);
	static const uint8_t want[] = {255, 255, 255, 255, 0, 0, 0, 0};
	assert_int_equal(b.enc.size, 8);
	assert_memory_equal(b.bytes, want, 8);
	assert_int_equal(b.enc.handle_count, 1);
	assert_int_equal(b.handles[0].handle, ev);
	assert_int_equal(b.handles[0].type, ZX_OBJ_TYPE_EVENT);

	/* Received: the handle lands in place; close_handles closes it. */
	zx_handle_info_t info = {ev, ZX_OBJ_TYPE_EVENT, ZX_RIGHT_SAME_RIGHTS,
	                         0};
	zx_info_handle_basic_t basic;
	assert_int_equal(zx_object_get_info(ev, ZX_INFO_HANDLE_BASIC, &basic,
	                                    sizeof(basic), NULL, NULL),
	                 ZX_OK);
	info.rights = basic.rights;
	_Alignas(8) uint8_t store[8];
	memcpy(store, want, 8);
	fidl_decoder_t dec;
	fidl_decoder_init(&dec, store, 8, &info, 1);
	test_gencodec_EventStruct *out = NULL;
	assert_int_equal(test_gencodec_EventStruct_decode(&dec, &out), ZX_OK);
	assert_int_equal(out->h, ev);
	assert_int_equal(out->opt, ZX_HANDLE_INVALID);
	test_gencodec_EventStruct_close_handles(out);
	assert_int_equal(out->h, ZX_HANDLE_INVALID);
	assert_int_equal(zx_handle_close(ev), ZX_ERR_BAD_HANDLE);

	/* A missing handle, and the wrong type (the decoder closes it). */
	memcpy(store, want, 8);
	fidl_decoder_init(&dec, store, 8, NULL, 0);
	assert_int_equal(test_gencodec_EventStruct_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_TOO_FEW_HANDLES);
	zx_handle_t vmo;
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	zx_handle_info_t vinfo = {vmo, ZX_OBJ_TYPE_VMO, ZX_RIGHT_SAME_RIGHTS,
	                          0};
	memcpy(store, want, 8);
	fidl_decoder_init(&dec, store, 8, &vinfo, 1);
	assert_int_equal(test_gencodec_EventStruct_decode(&dec, &out),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(dec.error, FIDL_ERR_INCORRECT_HANDLE_TYPE);
	assert_int_equal(zx_handle_close(vmo), ZX_ERR_BAD_HANDLE);

	/* A required handle that is absent. */
	v.h = ZX_HANDLE_INVALID;
	enc_init(&b);
	assert_int_equal(test_gencodec_EventStruct_encode(&v, &b.enc),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error,
	                 FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
}

static void seed_message(void **state)
{
	(void)state;
	/* fuchsia.hardware.vsock Device.SendVmo's request. */
	buf b;
	zx_handle_t vmo;
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	fuchsia_hardware_vsock_DeviceSendVmoRequest v = {
	    {1, 2, 3}, vmo, 0x1122334455667788ull, 16};
	enc_init(&b);
	assert_int_equal(
	    fuchsia_hardware_vsock_DeviceSendVmoRequest_encode(&v, &b.enc),
	    ZX_OK);
	static const uint8_t want[] = {
	    1,    0,    0,    0,    2,    0,    0,    0,    /* addr */
	    3,    0,    0,    0,    255,  255,  255,  255,  /* vmo */
	    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* off */
	    16,   0,    0,    0,    0,    0,    0,    0,    /* len */
	};
	assert_int_equal(b.enc.size, sizeof(want));
	assert_memory_equal(b.bytes, want, sizeof(want));
	assert_int_equal(b.enc.handle_count, 1);
	assert_int_equal(b.handles[0].type, ZX_OBJ_TYPE_VMO);
	assert_int_equal(zx_handle_close(vmo), ZX_OK);
	assert_int_equal(sizeof(fuchsia_hardware_vsock_Addr), 12);
}

static void constants(void **state)
{
	(void)state;
	assert_string_equal(test_gencodec_NAME, "a\"b?");
	assert_true(test_gencodec_MAX_SIZE == UINT64_MAX);
	assert_true(test_gencodec_MIN_INT == INT64_MIN);
	assert_true(test_gencodec_RATIO == 1.5);
	assert_true(test_gencodec_ON);
	assert_int_equal(test_gencodec_StrictBits_MASK, 5);
	assert_true(test_gencodec_StrictEnum_is_known(2));
	assert_false(test_gencodec_StrictEnum_is_known(0));
}

/* ---- a failed encode closes every handle of the value, once ---- */

#define MIX_HANDLES 17

typedef struct big_buf {
	_Alignas(8) uint8_t bytes[1024];
	zx_handle_disposition_t handles[64];
	fidl_encoder_t enc;
} big_buf;

static void big_init(big_buf *b, uint32_t capacity, uint32_t handle_capacity)
{
	memset(b->bytes, 0xcc, sizeof(b->bytes));
	fidl_encoder_init(&b->enc, b->bytes, capacity, b->handles,
	                  handle_capacity);
}

static bool is_open(zx_handle_t h)
{
	return zx_object_get_info(h, ZX_INFO_HANDLE_VALID, NULL, 0, NULL,
	                          NULL) == ZX_OK;
}

static void make_events(zx_handle_t *ev, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(zx_event_create(0, &ev[i]), ZX_OK);
}

/* Storage of a HandleMix value: every handle slot filled from ev. */
typedef struct mix {
	test_gencodec_HandleMix v;
	fidl_envelope_t union_env[3], table_env[3];
	test_gencodec_HandleTable union_table;
	zx_handle_t union_tv[2], table_tv[2], table_h, union_th;
	fidl_string_t table_s;
	fidl_vector_t union_v, table_v;
	test_gencodec_EventStruct box, vec[3];
} mix;

static void env_set(fidl_envelope_t *env, void *p)
{
	memset(env, 0, sizeof(*env));
	env->data = p;
}

static void build_mix(mix *m, const zx_handle_t *ev)
{
	memset(m, 0, sizeof(*m));
	m->v.a[0] = ev[0];
	m->v.a[1] = ev[1];
	/* u: the table member, holding h and v[2]. */
	m->union_th = ev[2];
	m->union_tv[0] = ev[3];
	m->union_tv[1] = ev[4];
	m->union_v.count = 2;
	m->union_v.data = m->union_tv;
	env_set(&m->union_env[0], &m->union_th);
	env_set(&m->union_env[2], &m->union_v);
	m->union_table.count = 3;
	m->union_table.envelopes = m->union_env;
	m->v.u.tag = test_gencodec_HandleUnion_Tag_t;
	env_set(&m->v.u.envelope, &m->union_table);
	m->box.h = ev[5];
	m->box.opt = ev[6];
	m->v.b = &m->box;
	m->table_h = ev[7];
	m->table_s.size = 1;
	m->table_s.data = (char *)"x";
	m->table_tv[0] = ev[8];
	m->table_tv[1] = ev[9];
	m->table_v.count = 2;
	m->table_v.data = m->table_tv;
	env_set(&m->table_env[0], &m->table_h);
	env_set(&m->table_env[1], &m->table_s);
	env_set(&m->table_env[2], &m->table_v);
	m->v.t.count = 3;
	m->v.t.envelopes = m->table_env;
	for (int i = 0; i < 3; i++) {
		m->vec[i].h = ev[10 + 2 * i];
		m->vec[i].opt = ev[11 + 2 * i];
	}
	m->v.v.count = 3;
	m->v.v.data = m->vec;
	m->v.last = ev[16];
}

/* The encoding order of the ev slots, from a successful encode. */
static void mix_order(int *order)
{
	zx_handle_t ev[MIX_HANDLES];
	static mix m;
	big_buf b;

	make_events(ev, MIX_HANDLES);
	build_mix(&m, ev);
	big_init(&b, sizeof(b.bytes), 64);
	assert_int_equal(test_gencodec_HandleMix_encode(&m.v, &b.enc), ZX_OK);
	assert_int_equal(b.enc.handle_count, MIX_HANDLES);
	assert_int_equal(b.enc.handles_consumed, MIX_HANDLES);
	for (int i = 0; i < MIX_HANDLES; i++) {
		order[i] = -1;
		for (int j = 0; j < MIX_HANDLES; j++)
			if (b.handles[i].handle == ev[j])
				order[i] = j;
		assert_true(order[i] >= 0);
		assert_int_equal(zx_handle_close(b.handles[i].handle), ZX_OK);
	}
}

/* The walk visits handles in the encoder's order and leaves the first
 * skip of them alone: it never closes what the encoder took. */
static void close_unencoded_order(void **state)
{
	(void)state;
	int order[MIX_HANDLES];
	static mix m;

	mix_order(order);
	for (uint32_t k = 0; k <= MIX_HANDLES; k++) {
		zx_handle_t ev[MIX_HANDLES];
		uint32_t skip = k;
		make_events(ev, MIX_HANDLES);
		build_mix(&m, ev);
		test_gencodec_HandleMix_close_unencoded(&m.v, 0, &skip);
		assert_int_equal(skip, 0);
		for (uint32_t j = 0; j < MIX_HANDLES; j++) {
			zx_handle_t h = ev[order[j]];
			assert_int_equal(is_open(h), j < k);
			if (j < k)
				assert_int_equal(zx_handle_close(h), ZX_OK);
		}
	}
	/* More to skip than there are handles: nothing closed. */
	zx_handle_t ev[MIX_HANDLES];
	uint32_t skip = 100;
	make_events(ev, MIX_HANDLES);
	build_mix(&m, ev);
	test_gencodec_HandleMix_close_unencoded(&m.v, 0, &skip);
	assert_int_equal(skip, 100 - MIX_HANDLES);
	for (int j = 0; j < MIX_HANDLES; j++)
		assert_int_equal(zx_handle_close(ev[j]), ZX_OK);
}

/* Encodes m (built from fresh events, possibly changed by `spoil`) with
 * the given capacities; the encode must fail with want_error, leave the
 * value as it was and close every one of its handles. */
static void fail_closes_all(uint32_t capacity, uint32_t handle_capacity,
                            void (*spoil)(mix *), fidl_error_t want_error)
{
	zx_handle_t ev[MIX_HANDLES];
	static mix m, copy;
	big_buf b;

	make_events(ev, MIX_HANDLES);
	build_mix(&m, ev);
	if (spoil)
		spoil(&m);
	memcpy(&copy, &m, sizeof(m));
	big_init(&b, capacity, handle_capacity);
	assert_int_not_equal(test_gencodec_HandleMix_encode(&m.v, &b.enc),
	                     ZX_OK);
	assert_int_equal(b.enc.error, want_error);
	assert_int_equal(b.enc.handle_count, 0);
	assert_memory_equal(&m, &copy, sizeof(m)); /* const: untouched */
	for (int j = 0; j < MIX_HANDLES; j++)
		assert_int_equal(zx_handle_close(ev[j]), ZX_ERR_BAD_HANDLE);
}

static void spoil_table_string(mix *m)
{
	m->table_s.size = 2; /* string:1 */
	m->table_s.data = (char *)"xy";
}

static void spoil_last(mix *m)
{
	/* The last handle is required: fails after taking all the others. */
	zx_handle_close(m->v.last);
	m->v.last = ZX_HANDLE_INVALID;
}

static void encode_failure_closes_every_handle(void **state)
{
	(void)state;
	/* Out of handle room after each number of handles. */
	for (uint32_t c = 0; c < MIX_HANDLES; c++)
		fail_closes_all(1024, c, NULL, FIDL_ERR_TOO_MANY_HANDLES);
	/* Out of byte room at each point of the message. */
	big_buf b;
	zx_handle_t ev[MIX_HANDLES];
	static mix m;
	make_events(ev, MIX_HANDLES);
	build_mix(&m, ev);
	big_init(&b, sizeof(b.bytes), 64);
	assert_int_equal(test_gencodec_HandleMix_encode(&m.v, &b.enc), ZX_OK);
	uint32_t size = b.enc.size;
	for (uint32_t i = 0; i < b.enc.handle_count; i++)
		zx_handle_close(b.handles[i].handle);
	for (uint32_t cap = 0; cap < size; cap += 8)
		fail_closes_all(cap, 64, NULL, FIDL_ERR_BUFFER_TOO_SMALL);
	/* Constraint errors in the middle and at the end. */
	fail_closes_all(1024, 64, spoil_table_string, FIDL_ERR_STRING_TOO_LONG);
	fail_closes_all(1024, 64, spoil_last,
	                FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
}

/* A vector over its bound: its elements are closed too (handles.gidl
 * TooManyHandlesInVector). */
static void encode_failure_vector_over_bound(void **state)
{
	(void)state;
	zx_handle_t ev[MIX_HANDLES], extra;
	static mix m;
	zx_handle_t three[3];
	big_buf b;

	make_events(ev, MIX_HANDLES);
	assert_int_equal(zx_event_create(0, &extra), ZX_OK);
	build_mix(&m, ev);
	three[0] = ev[8];
	three[1] = ev[9];
	three[2] = extra;
	m.table_v.count = 3;
	m.table_v.data = three;
	big_init(&b, sizeof(b.bytes), 64);
	assert_int_not_equal(test_gencodec_HandleMix_encode(&m.v, &b.enc),
	                     ZX_OK);
	assert_int_equal(b.enc.error, FIDL_ERR_COUNT_EXCEEDS_LIMIT);
	for (int j = 0; j < MIX_HANDLES; j++)
		assert_int_equal(zx_handle_close(ev[j]), ZX_ERR_BAD_HANDLE);
	assert_int_equal(zx_handle_close(extra), ZX_ERR_BAD_HANDLE);
}

/* handles.gidl HandlesBeforeAndAfterFailureAreClosed. */
static void alternating_handles_and_failures(void **state)
{
	(void)state;
	zx_handle_t ev[3];
	buf b;

	make_events(ev, 3);
	test_gencodec_AlternatingHandlesAndFailures v = {
	    ev[0], {3, (char *)"abc"}, ev[1], {3, (char *)"abc"}, ev[2]};
	enc_init(&b);
	assert_int_equal(
	    test_gencodec_AlternatingHandlesAndFailures_encode(&v, &b.enc),
	    ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error, FIDL_ERR_STRING_TOO_LONG);
	assert_int_equal(b.enc.handles_consumed, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(zx_handle_close(ev[i]), ZX_ERR_BAD_HANDLE);
	/* Absent handles are neither taken nor closed. */
	make_events(ev, 1);
	test_gencodec_AlternatingHandlesAndFailures w = {ZX_HANDLE_INVALID,
	                                                 {0, NULL},
	                                                 ev[0],
	                                                 {3, (char *)"abc"},
	                                                 ZX_HANDLE_INVALID};
	enc_init(&b);
	assert_int_equal(
	    test_gencodec_AlternatingHandlesAndFailures_encode(&w, &b.enc),
	    ZX_ERR_INVALID_ARGS);
	assert_int_equal(b.enc.error,
	                 FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
	assert_int_equal(zx_handle_close(ev[0]), ZX_ERR_BAD_HANDLE);
}

/* Past the depth limit: what no encoder reaches stays the caller's; a
 * cyclic value ends the walk. */
static void encode_failure_depth(void **state)
{
	(void)state;
	enum { LINKS = 40, REACHED = FIDL_MAX_DEPTH + 1 };
	static test_gencodec_Chain chain[LINKS];
	zx_handle_t ev[LINKS];
	big_buf b;

	make_events(ev, LINKS);
	for (int i = 0; i < LINKS; i++) {
		chain[i].h = ev[i];
		chain[i].next = i + 1 < LINKS ? &chain[i + 1] : NULL;
	}
	big_init(&b, sizeof(b.bytes), 64);
	assert_int_not_equal(test_gencodec_Chain_encode(&chain[0], &b.enc),
	                     ZX_OK);
	assert_int_equal(b.enc.error, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	for (int i = 0; i < LINKS; i++)
		assert_int_equal(zx_handle_close(ev[i]),
		                 i < REACHED ? ZX_ERR_BAD_HANDLE : ZX_OK);
	/* A cycle (without handles, which would repeat). */
	static test_gencodec_Chain loop = {ZX_HANDLE_INVALID, &loop};
	big_init(&b, sizeof(b.bytes), 64);
	assert_int_not_equal(test_gencodec_Chain_encode(&loop, &b.enc), ZX_OK);
	assert_int_equal(b.enc.error, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
}

/* Open file descriptors, so the whole run can be checked for leaks. */
static int fd_count(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int fds_at_start;

static int group_setup(void **state)
{
	(void)state;
	fds_at_start = fd_count();
	return 0;
}

/* Fails the group when a test left a file descriptor open. */
static int group_teardown(void **state)
{
	(void)state;
	return fd_count() == fds_at_start ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(table_round_trip),
	    cmocka_unit_test(table_bad_inline_bit),
	    cmocka_unit_test(union_round_trip),
	    cmocka_unit_test(optional_union),
	    cmocka_unit_test(flexible_union_unknown),
	    cmocka_unit_test(box_and_bool),
	    cmocka_unit_test(padding),
	    cmocka_unit_test(plain_struct_is_memcpy),
	    cmocka_unit_test(strict_enum_and_bits),
	    cmocka_unit_test(vector_of_strings),
	    cmocka_unit_test(empty_struct),
	    cmocka_unit_test(handles),
	    cmocka_unit_test(seed_message),
	    cmocka_unit_test(constants),
	    cmocka_unit_test(close_unencoded_order),
	    cmocka_unit_test(encode_failure_closes_every_handle),
	    cmocka_unit_test(encode_failure_vector_over_bound),
	    cmocka_unit_test(alternating_handles_and_failures),
	    cmocka_unit_test(encode_failure_depth),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
