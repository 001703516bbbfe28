/*
 * <cfidl/wire.h>: FIDL wire format v2 codec support for generated code.
 *
 * Generated encoders and decoders call these helpers once per field, so the
 * hot ones are static inline; the cold error paths (fidl_encoder_fail,
 * fidl_decoder_fail) are out of line.
 *
 * Depth: a primary (top-level) object has depth 0.  Helpers that follow a
 * pointer or an envelope take the depth of the object holding it; the
 * object they reach has depth + 1, which must not exceed FIDL_MAX_DEPTH
 * (else FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH).  A table's envelopes
 * are at depth + 1 and their values at depth + 2.
 *
 * Offsets are byte offsets into the message body (not pointers), so the
 * buffer may be checked against its size before anything is touched.
 *
 * Handle ownership:
 * - Encoding: each handle given to fidl_encode_handle is consumed, moved
 *   into the disposition list, whether or not encoding later fails.  On any
 *   failure (fidl_encoder_fail) the encoder closes every handle it took so
 *   far and handle_count drops to 0.  The generated top-level encoders
 *   (lib_T_encode, and so every generated message sender) then close the
 *   handles of the value the encoder had not reached yet
 *   (lib_T_close_unencoded, with fidl_close_unencoded_handle): a failed
 *   top-level encode closes every handle of the value exactly once and
 *   never writes into the value.  handles_consumed counts the handles
 *   taken, in encoding (traversal) order, which tells the two sets apart.
 *   Only handles inside objects nested deeper than FIDL_MAX_DEPTH (which
 *   no encoder can reach) may stay the caller's.  Code that calls the
 *   _encode_at functions or these helpers itself gets only the first rule.
 * - Decoding: on success the decoded handles (written in place into the
 *   object) belong to the caller; unknown envelopes' handles are closed.
 *   On any failure (fidl_decoder_fail) every handle of the message is
 *   closed, including those already placed in the object.
 *
 * The wire view needs 64-bit little-endian with user pointers whose top 16
 * bits are zero (x86-64, aarch64): an out-of-line envelope's pointer is
 * told apart from an inlined value by its flags half.
 */
#ifndef CFIDL_WIRE_H
#define CFIDL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cfidl/handle.h>
#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(__cplusplus)
_Static_assert(sizeof(void *) == 8, "cfidl's wire view needs 64-bit pointers");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "cfidl's wire view needs little-endian");
#endif

/* Transactional message header (16 bytes). */
typedef struct fidl_message_header {
	zx_txid_t txid;
	uint8_t at_rest_flags[2];
	uint8_t dynamic_flags;
	uint8_t magic_number;
	uint64_t ordinal;
} fidl_message_header_t;

#define FIDL_WIRE_FORMAT_V2   ((uint8_t)0x02) /* in at_rest_flags[0] */
#define FIDL_MAGIC            ((uint8_t)1)
#define FIDL_DYNAMIC_FLEXIBLE ((uint8_t)0x80)
#define FIDL_EPITAPH_ORDINAL  ((uint64_t)0xffffffffffffffffull)
#define FIDL_MAX_DEPTH        32u
#define FIDL_ALIGNMENT        8u

#define FIDL_ALLOC_PRESENT  ((uint64_t)UINT64_MAX)
#define FIDL_ALLOC_ABSENT   ((uint64_t)0)
#define FIDL_HANDLE_PRESENT ((uint32_t)UINT32_MAX)
#define FIDL_HANDLE_ABSENT  ((uint32_t)0)

/* Framework error (RFC-0138) carried in a result union's framework_err. */
#define FIDL_FRAMEWORK_ERR_UNKNOWN_METHOD ((int32_t)-2)
/* The transport error status RFC-0138 gives an unknown strict method. */
#define FIDL_UNKNOWN_METHOD_EPITAPH ZX_ERR_NOT_SUPPORTED

/* Wire view types (CBIND_DESIGN.md section 1). */
typedef struct fidl_string {
	uint64_t size;
	char *data;
} fidl_string_t;

typedef struct fidl_vector {
	uint64_t count;
	void *data;
} fidl_vector_t;

typedef union fidl_envelope {
	void *data; /* present, out of line: points at the value */
	struct {
		uint8_t value[4];
		uint16_t num_handles;
		uint16_t flags;
	} inlined;
	struct {
		uint32_t num_bytes;
		uint16_t num_handles;
		uint16_t flags;
	} wire;
} fidl_envelope_t;
#define FIDL_ENVELOPE_INLINED ((uint16_t)1u)

typedef uint64_t fidl_xunion_tag_t;

/* The value a table or union envelope holds in the wire view: NULL when
 * absent, the inlined bytes, or the pointer to the out-of-line value. */
static inline const void *fidl_envelope_value(const fidl_envelope_t *env)
{
	if (env->inlined.flags & FIDL_ENVELOPE_INLINED)
		return env->inlined.value;
	return env->data;
}

/* static_assert in C11 and C++ alike; generated code checks every size and
 * offset with it. */
#if defined(__cplusplus)
#define CFIDL_STATIC_ASSERT(e, m) static_assert(e, m)
#else
#define CFIDL_STATIC_ASSERT(e, m) _Static_assert(e, m)
#endif
CFIDL_STATIC_ASSERT(sizeof(fidl_message_header_t) == 16, "header is 16 bytes");
CFIDL_STATIC_ASSERT(sizeof(fidl_string_t) == 16, "string header is 16 bytes");
CFIDL_STATIC_ASSERT(sizeof(fidl_vector_t) == 16, "vector header is 16 bytes");
CFIDL_STATIC_ASSERT(sizeof(fidl_envelope_t) == 8, "envelope is 8 bytes");

/*
 * Precise codec errors.  fidl_error_name gives GIDL's spelling (the name
 * without FIDL_ERR_); the ones marked "ours" have no GIDL equivalent.
 */
typedef enum fidl_error {
	FIDL_ERR_NONE = 0,
	FIDL_ERR_COUNT_EXCEEDS_LIMIT,
	FIDL_ERR_ENVELOPE_BYTES_EXCEED_MESSAGE_LENGTH,
	FIDL_ERR_ENVELOPE_HANDLES_EXCEED_MESSAGE_LENGTH,
	FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH,
	FIDL_ERR_FLEXIBLE_UNION_UNKNOWN_FIELD,
	FIDL_ERR_INCORRECT_HANDLE_TYPE,
	FIDL_ERR_INVALID_BOOLEAN,
	FIDL_ERR_INVALID_EMPTY_STRUCT,
	FIDL_ERR_INVALID_HANDLE_PRESENCE_INDICATOR,
	FIDL_ERR_INVALID_INLINE_BIT_IN_ENVELOPE,
	FIDL_ERR_INVALID_INLINE_MARKER_IN_ENVELOPE,
	FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE,
	FIDL_ERR_INVALID_NUM_HANDLES_IN_ENVELOPE,
	FIDL_ERR_INVALID_PADDING_BYTE,
	FIDL_ERR_INVALID_PRESENCE_INDICATOR,
	FIDL_ERR_MISSING_REQUIRED_HANDLE_RIGHTS,
	FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY,
	FIDL_ERR_NON_EMPTY_VECTOR_WITH_NULL_BODY,
	FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE,
	FIDL_ERR_NON_RESOURCE_UNKNOWN_HANDLES,
	FIDL_ERR_STRICT_BITS_UNKNOWN_BIT,
	FIDL_ERR_STRICT_ENUM_UNKNOWN_VALUE,
	FIDL_ERR_STRICT_UNION_UNKNOWN_FIELD,
	FIDL_ERR_STRING_COUNT_EXCEEDS_32_BIT_LIMIT,
	FIDL_ERR_STRING_NOT_UTF8,
	FIDL_ERR_STRING_TOO_LONG,
	FIDL_ERR_TABLE_COUNT_EXCEEDS_32_BIT_LIMIT,
	FIDL_ERR_TOO_FEW_BYTES,
	FIDL_ERR_TOO_FEW_HANDLES,
	FIDL_ERR_TOO_MANY_BYTES_IN_MESSAGE,
	FIDL_ERR_TOO_MANY_HANDLES_IN_MESSAGE,
	FIDL_ERR_UNION_FIELD_NOT_SET,
	FIDL_ERR_VECTOR_COUNT_EXCEEDS_32_BIT_LIMIT,
	/* ours: */
	FIDL_ERR_BUFFER_TOO_SMALL,      /* encoder ran out of byte capacity */
	FIDL_ERR_TOO_MANY_HANDLES,      /* encoder ran out of handle capacity */
	FIDL_ERR_INVALID_HEADER,        /* magic or wire format flag wrong */
	FIDL_ERR_HANDLE_REPLACE_FAILED, /* reducing rights failed */
	FIDL_ERR_COUNT_
} fidl_error_t;

/* GIDL's spelling ("STRING_TOO_LONG"); "NONE"; "UNKNOWN" if out of range. */
const char *fidl_error_name(fidl_error_t error);

/* Message header. */
static inline void fidl_init_header(fidl_message_header_t *hdr, zx_txid_t txid,
                                    uint64_t ordinal, bool flexible)
{
	hdr->txid = txid;
	hdr->at_rest_flags[0] = FIDL_WIRE_FORMAT_V2;
	hdr->at_rest_flags[1] = 0;
	hdr->dynamic_flags = flexible ? FIDL_DYNAMIC_FLEXIBLE : 0;
	hdr->magic_number = FIDL_MAGIC;
	hdr->ordinal = ordinal;
}

/* ZX_OK, or ZX_ERR_PROTOCOL_NOT_SUPPORTED (bad magic, not v2). */
static inline zx_status_t fidl_validate_header(const fidl_message_header_t *hdr)
{
	if (hdr->magic_number != FIDL_MAGIC ||
	    !(hdr->at_rest_flags[0] & FIDL_WIRE_FORMAT_V2))
		return ZX_ERR_PROTOCOL_NOT_SUPPORTED;
	return ZX_OK;
}

static inline bool fidl_header_is_flexible(const fidl_message_header_t *hdr)
{
	return (hdr->dynamic_flags & FIDL_DYNAMIC_FLEXIBLE) != 0;
}

/*
 * Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)?  ASCII runs are
 * checked 8 bytes at a time.
 */
bool fidl_validate_utf8_slow(const uint8_t *s, size_t n);
static inline bool fidl_validate_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			return fidl_validate_utf8_slow(s + i, n - i);
	}
	for (; i < n; i++)
		if (s[i] & 0x80)
			return fidl_validate_utf8_slow(s + i, n - i);
	return true;
}

static inline uint32_t fidl_align(uint32_t n)
{
	return (n + (FIDL_ALIGNMENT - 1)) & ~(FIDL_ALIGNMENT - 1);
}

/* Unaligned-safe little loads and stores (one move each when inlined). */
static inline uint64_t fidl_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t fidl_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline void fidl_store64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline void fidl_store32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void fidl_store_ptr(uint8_t *p, const void *ptr)
{
	memcpy(p, &ptr, sizeof(ptr));
}

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

/*
 * Caller-owned storage, no malloc.  bytes should be 8-aligned; size is the
 * next free offset (the message length when done).  handles[0..
 * handle_count) are the dispositions to pass to zx_channel_write_etc.
 */
typedef struct fidl_encoder {
	uint8_t *bytes;
	uint32_t capacity;
	uint32_t size;
	zx_handle_disposition_t *handles;
	uint32_t handle_capacity;
	uint32_t handle_count;
	fidl_error_t error;
	/* Handles fidl_encode_handle consumed since init (never reset, also
	 * counting those closed on failure). */
	uint32_t handles_consumed;
} fidl_encoder_t;

static inline void fidl_encoder_init(fidl_encoder_t *enc, void *bytes,
                                     uint32_t capacity,
                                     zx_handle_disposition_t *handles,
                                     uint32_t handle_capacity)
{
	enc->bytes = (uint8_t *)bytes;
	enc->capacity = capacity;
	enc->size = 0;
	enc->handles = handles;
	enc->handle_capacity = handle_capacity;
	enc->handle_count = 0;
	enc->error = FIDL_ERR_NONE;
	enc->handles_consumed = 0;
}

/*
 * Records error (the first one wins), closes every handle taken so far
 * (handle_count becomes 0) and returns the matching status:
 * ZX_ERR_BUFFER_TOO_SMALL for FIDL_ERR_BUFFER_TOO_SMALL,
 * ZX_ERR_OUT_OF_RANGE for FIDL_ERR_TOO_MANY_HANDLES, else
 * ZX_ERR_INVALID_ARGS.
 */
zx_status_t fidl_encoder_fail(fidl_encoder_t *enc, fidl_error_t error);

/*
 * For the generated lib_T_close_unencoded walks, which visit a value's
 * handles in encoding order after a failed encode: while *skip is non-zero
 * a valid h was taken by the encoder (already closed) and only counts
 * *skip down; after that h is one the encoder never reached and is
 * closed.  ZX_HANDLE_INVALID is neither.
 */
void fidl_close_unencoded_handle(zx_handle_t h, uint32_t *skip);

/*
 * Reserves size bytes 8-aligned and zero-filled at the end; returns their
 * offset, or records FIDL_ERR_BUFFER_TOO_SMALL and returns UINT32_MAX.
 */
static inline uint32_t fidl_encoder_alloc(fidl_encoder_t *enc, uint32_t size)
{
	uint32_t off = enc->size;
	uint64_t end = (uint64_t)off + (((uint64_t)size + 7) & ~(uint64_t)7);

	if (end > enc->capacity) {
		fidl_encoder_fail(enc, FIDL_ERR_BUFFER_TOO_SMALL);
		return UINT32_MAX;
	}
	memset(enc->bytes + off, 0, (size_t)(end - off));
	enc->size = (uint32_t)end;
	return off;
}

/*
 * As fidl_encoder_alloc, but zeroes only the last 8-byte word: for bodies
 * the caller overwrites whole (string bytes), so only the padding needs it.
 */
static inline uint32_t fidl_encoder_alloc_body(fidl_encoder_t *enc,
                                               uint32_t size)
{
	uint32_t off = enc->size;
	uint64_t end = (uint64_t)off + (((uint64_t)size + 7) & ~(uint64_t)7);

	if (end > enc->capacity) {
		fidl_encoder_fail(enc, FIDL_ERR_BUFFER_TOO_SMALL);
		return UINT32_MAX;
	}
	if (end > off)
		memset(enc->bytes + end - 8, 0, 8);
	enc->size = (uint32_t)end;
	return off;
}

/* Copies n bytes to offset (already reserved): memcpy-compatible parts. */
static inline void fidl_encoder_put(fidl_encoder_t *enc, uint32_t offset,
                                    const void *src, size_t n)
{
	memcpy(enc->bytes + offset, src, n);
}

/* Pointer to reserved bytes at offset. */
static inline uint8_t *fidl_encoder_at(fidl_encoder_t *enc, uint32_t offset)
{
	return enc->bytes + offset;
}

/*
 * Reserves an out-of-line object of size bytes reached from a pointer at
 * depth (the caller writes the presence marker, or uses
 * fidl_encode_box).  *out_offset gets its offset.
 */
static inline zx_status_t fidl_encode_out_of_line(fidl_encoder_t *enc,
                                                  uint32_t size, uint32_t depth,
                                                  uint32_t *out_offset)
{
	if (depth + 1 > FIDL_MAX_DEPTH)
		return fidl_encoder_fail(
		    enc, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	*out_offset = fidl_encoder_alloc(enc, size);
	if (*out_offset == UINT32_MAX)
		return ZX_ERR_BUFFER_TOO_SMALL;
	return ZX_OK;
}

/*
 * box<S> / optional struct at offset: NULL ptr writes the absent marker
 * (0) and sets *out_offset to UINT32_MAX; otherwise writes the present
 * marker and reserves size bytes whose offset goes to *out_offset (the
 * caller then encodes the struct there at depth + 1).
 */
static inline zx_status_t fidl_encode_box(fidl_encoder_t *enc, uint32_t offset,
                                          const void *ptr, uint32_t size,
                                          uint32_t depth, uint32_t *out_offset)
{
	*out_offset = UINT32_MAX;
	if (!ptr) {
		fidl_store64(enc->bytes + offset, FIDL_ALLOC_ABSENT);
		return ZX_OK;
	}
	fidl_store64(enc->bytes + offset, FIDL_ALLOC_PRESENT);
	return fidl_encode_out_of_line(enc, size, depth, out_offset);
}

/*
 * A string at offset (its 16-byte header): data may be NULL only when
 * size is 0; then the string is absent if nullable, else empty.  Checks
 * size <= max_size (FIDL_ERR_STRING_TOO_LONG; pass UINT32_MAX for
 * unbounded) and UTF-8 (FIDL_ERR_STRING_NOT_UTF8), then copies the body.
 */
static inline zx_status_t fidl_encode_string(fidl_encoder_t *enc,
                                             uint32_t offset, const char *data,
                                             uint64_t size, uint32_t max_size,
                                             bool nullable, uint32_t depth)
{
	uint32_t body = 0;

	if (!data) {
		if (size != 0)
			return fidl_encoder_fail(
			    enc, FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY);
		if (nullable) {
			fidl_store64(enc->bytes + offset, 0);
			fidl_store64(enc->bytes + offset + 8,
			             FIDL_ALLOC_ABSENT);
			return ZX_OK;
		}
	}
	if (size > max_size)
		return fidl_encoder_fail(enc, FIDL_ERR_STRING_TOO_LONG);
	if (!fidl_validate_utf8((const uint8_t *)data, (size_t)size))
		return fidl_encoder_fail(enc, FIDL_ERR_STRING_NOT_UTF8);
	fidl_store64(enc->bytes + offset, size);
	fidl_store64(enc->bytes + offset + 8, FIDL_ALLOC_PRESENT);
	if (depth + 1 > FIDL_MAX_DEPTH)
		return fidl_encoder_fail(
		    enc, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	body = fidl_encoder_alloc_body(enc, (uint32_t)size);
	if (body == UINT32_MAX)
		return ZX_ERR_BUFFER_TOO_SMALL;
	if (size)
		memcpy(enc->bytes + body, data, (size_t)size);
	return ZX_OK;
}

/*
 * A vector header at offset: as strings, data may be NULL only when count
 * is 0 (absent if nullable, else empty).  Checks count <= max_count
 * (FIDL_ERR_COUNT_EXCEEDS_LIMIT), reserves count * elem_size bytes and
 * gives their offset in *out_body (UINT32_MAX when absent).  The caller
 * encodes the elements there at depth + 1 (or fidl_encoder_put's them).
 */
static inline zx_status_t fidl_encode_vector(fidl_encoder_t *enc,
                                             uint32_t offset, const void *data,
                                             uint64_t count, uint32_t max_count,
                                             uint32_t elem_size, bool nullable,
                                             uint32_t depth, uint32_t *out_body)
{
	uint64_t total;

	*out_body = UINT32_MAX;
	if (!data) {
		if (count != 0)
			return fidl_encoder_fail(
			    enc, FIDL_ERR_NON_EMPTY_VECTOR_WITH_NULL_BODY);
		if (nullable) {
			fidl_store64(enc->bytes + offset, 0);
			fidl_store64(enc->bytes + offset + 8,
			             FIDL_ALLOC_ABSENT);
			return ZX_OK;
		}
	}
	if (count > max_count)
		return fidl_encoder_fail(enc, FIDL_ERR_COUNT_EXCEEDS_LIMIT);
	total = count * (uint64_t)elem_size;
	if (total > UINT32_MAX)
		return fidl_encoder_fail(enc, FIDL_ERR_BUFFER_TOO_SMALL);
	fidl_store64(enc->bytes + offset, count);
	fidl_store64(enc->bytes + offset + 8, FIDL_ALLOC_PRESENT);
	return fidl_encode_out_of_line(enc, (uint32_t)total, depth, out_body);
}

/*
 * A handle at offset: consumes h (see the ownership note at the top).
 * ZX_HANDLE_INVALID is absent (FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE
 * unless nullable).  type (ZX_OBJ_TYPE_NONE = any) and rights
 * (ZX_RIGHT_SAME_RIGHTS = as is) go into the disposition; the kernel
 * checks and reduces them on write.
 */
static inline zx_status_t fidl_encode_handle(fidl_encoder_t *enc,
                                             uint32_t offset, zx_handle_t h,
                                             zx_obj_type_t type,
                                             zx_rights_t rights, bool nullable)
{
	zx_handle_disposition_t *d;

	if (h == ZX_HANDLE_INVALID) {
		fidl_store32(enc->bytes + offset, FIDL_HANDLE_ABSENT);
		if (!nullable)
			return fidl_encoder_fail(
			    enc, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
		return ZX_OK;
	}
	enc->handles_consumed++;
	if (enc->handle_count >= enc->handle_capacity) {
		/* Taken, then closed with the rest. */
		zx_status_t st =
		    fidl_encoder_fail(enc, FIDL_ERR_TOO_MANY_HANDLES);

		zx_handle_close(h);
		return st;
	}
	d = &enc->handles[enc->handle_count++];
	d->operation = ZX_HANDLE_OP_MOVE;
	d->handle = h;
	d->type = type;
	d->rights = rights;
	d->result = ZX_OK;
	fidl_store32(enc->bytes + offset, FIDL_HANDLE_PRESENT);
	return ZX_OK;
}

/*
 * Envelopes (table fields, union members).  Begin at env_offset (8 bytes,
 * already reserved): a value of inline_size <= 4 is inlined, so
 * *out_offset = env_offset; otherwise its inline part is reserved out of
 * line (depth + 1).  Encode the value at *out_offset, then call
 * fidl_encode_envelope_end with the same mark.
 */
typedef struct fidl_envelope_mark {
	uint32_t start_size;
	uint32_t start_handles;
	bool inlined;
} fidl_envelope_mark_t;

static inline zx_status_t
fidl_encode_envelope_begin(fidl_encoder_t *enc, uint32_t env_offset,
                           uint32_t inline_size, uint32_t depth,
                           fidl_envelope_mark_t *mark, uint32_t *out_offset)
{
	mark->start_handles = enc->handle_count;
	if (inline_size <= 4) {
		mark->inlined = true;
		mark->start_size = enc->size;
		*out_offset = env_offset;
		return ZX_OK;
	}
	mark->inlined = false;
	mark->start_size = enc->size;
	return fidl_encode_out_of_line(enc, inline_size, depth, out_offset);
}

static inline void fidl_encode_envelope_end(fidl_encoder_t *enc,
                                            uint32_t env_offset,
                                            const fidl_envelope_mark_t *mark)
{
	uint8_t *p = enc->bytes + env_offset;
	uint16_t nh = (uint16_t)(enc->handle_count - mark->start_handles);
	uint16_t flags = mark->inlined ? FIDL_ENVELOPE_INLINED : 0;

	if (!mark->inlined)
		fidl_store32(p, enc->size - mark->start_size);
	memcpy(p + 4, &nh, 2);
	memcpy(p + 6, &flags, 2);
}

/* ------------------------------------------------------------------ */
/* Decoder (in place)                                                  */
/* ------------------------------------------------------------------ */

/*
 * bytes must be 8-aligned for the decoded objects to be used in place.
 * handles[0..handle_count) are the message's handles (owned by the
 * decoder until it succeeds; see the ownership note at the top).
 */
typedef struct fidl_decoder {
	uint8_t *bytes;
	uint32_t size;
	uint32_t next; /* next out-of-line offset */
	zx_handle_info_t *handles;
	uint32_t handle_count;
	uint32_t next_handle;
	fidl_error_t error;
} fidl_decoder_t;

static inline void fidl_decoder_init(fidl_decoder_t *dec, void *bytes,
                                     uint32_t size, zx_handle_info_t *handles,
                                     uint32_t handle_count)
{
	dec->bytes = (uint8_t *)bytes;
	dec->size = size;
	dec->next = 0;
	dec->handles = handles;
	dec->handle_count = handle_count;
	dec->next_handle = 0;
	dec->error = FIDL_ERR_NONE;
}

/*
 * Records error (the first one wins), closes every handle of the message
 * and returns ZX_ERR_INVALID_ARGS.
 */
zx_status_t fidl_decoder_fail(fidl_decoder_t *dec, fidl_error_t error);

/* Closes every handle of the message (also used by fidl_decoder_fail). */
void fidl_decoder_close_handles(fidl_decoder_t *dec);

/*
 * Claims the next size bytes (8-aligned) as an out-of-line object:
 * FIDL_ERR_TOO_FEW_BYTES if they are not there, and the alignment padding
 * after size must be zero (FIDL_ERR_INVALID_PADDING_BYTE).  No depth check
 * (fidl_decode_out_of_line does that).
 */
static inline zx_status_t fidl_decode_claim(fidl_decoder_t *dec, uint32_t size,
                                            uint32_t *out_offset)
{
	uint32_t off = dec->next;
	uint64_t end = (uint64_t)off + (((uint64_t)size + 7) & ~(uint64_t)7);

	uint32_t pad = (uint32_t)(end - off - size);

	if (end > dec->size)
		return fidl_decoder_fail(dec, FIDL_ERR_TOO_FEW_BYTES);
	/* Objects start 8-aligned, so the padding is the top of the last
	 * 8-byte word: one load and a mask instead of a byte loop. */
	if (pad && (fidl_load64(dec->bytes + end - 8) >> (64 - 8 * pad)))
		return fidl_decoder_fail(dec, FIDL_ERR_INVALID_PADDING_BYTE);
	dec->next = (uint32_t)end;
	*out_offset = off;
	return ZX_OK;
}

/* Starts a top-level decode: claims the primary object (depth 0). */
static inline zx_status_t fidl_decode_begin(fidl_decoder_t *dec,
                                            uint32_t inline_size,
                                            uint32_t *out_offset)
{
	return fidl_decode_claim(dec, inline_size, out_offset);
}

/* An out-of-line object reached from depth: depth check, then claim. */
static inline zx_status_t fidl_decode_out_of_line(fidl_decoder_t *dec,
                                                  uint32_t size, uint32_t depth,
                                                  uint32_t *out_offset)
{
	if (depth + 1 > FIDL_MAX_DEPTH)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	return fidl_decode_claim(dec, size, out_offset);
}

/*
 * Ends a top-level decode: every byte (FIDL_ERR_TOO_MANY_BYTES_IN_MESSAGE)
 * and every handle (FIDL_ERR_TOO_MANY_HANDLES_IN_MESSAGE) consumed.
 */
static inline zx_status_t fidl_decode_end(fidl_decoder_t *dec)
{
	if (dec->next != dec->size)
		return fidl_decoder_fail(dec,
		                         FIDL_ERR_TOO_MANY_BYTES_IN_MESSAGE);
	if (dec->next_handle != dec->handle_count)
		return fidl_decoder_fail(dec,
		                         FIDL_ERR_TOO_MANY_HANDLES_IN_MESSAGE);
	return ZX_OK;
}

static inline uint8_t *fidl_decoder_at(fidl_decoder_t *dec, uint32_t offset)
{
	return dec->bytes + offset;
}

/* n bytes at offset (inside a claimed object) must be zero. */
static inline zx_status_t fidl_decode_padding(fidl_decoder_t *dec,
                                              uint32_t offset, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (dec->bytes[offset + i])
			return fidl_decoder_fail(dec,
			                         FIDL_ERR_INVALID_PADDING_BYTE);
	return ZX_OK;
}

/* The 8 bytes at offset (8-aligned) ANDed with mask must be zero. */
static inline zx_status_t fidl_decode_padding64(fidl_decoder_t *dec,
                                                uint32_t offset, uint64_t mask)
{
	if (fidl_load64(dec->bytes + offset) & mask)
		return fidl_decoder_fail(dec, FIDL_ERR_INVALID_PADDING_BYTE);
	return ZX_OK;
}

/* A bool byte at offset: 0 or 1 (FIDL_ERR_INVALID_BOOLEAN). */
static inline zx_status_t fidl_decode_bool(fidl_decoder_t *dec, uint32_t offset)
{
	if (dec->bytes[offset] > 1)
		return fidl_decoder_fail(dec, FIDL_ERR_INVALID_BOOLEAN);
	return ZX_OK;
}

/* An empty struct's byte at offset: 0 (FIDL_ERR_INVALID_EMPTY_STRUCT). */
static inline zx_status_t fidl_decode_empty_struct(fidl_decoder_t *dec,
                                                   uint32_t offset)
{
	if (dec->bytes[offset] != 0)
		return fidl_decoder_fail(dec, FIDL_ERR_INVALID_EMPTY_STRUCT);
	return ZX_OK;
}

/*
 * A presence marker at offset: *present gets it; anything but 0 or
 * all-ones is FIDL_ERR_INVALID_PRESENCE_INDICATOR.
 */
static inline zx_status_t fidl_decode_presence(fidl_decoder_t *dec,
                                               uint32_t offset, bool *present)
{
	uint64_t m = fidl_load64(dec->bytes + offset);

	if (m == FIDL_ALLOC_ABSENT) {
		*present = false;
		return ZX_OK;
	}
	if (m != FIDL_ALLOC_PRESENT)
		return fidl_decoder_fail(dec,
		                         FIDL_ERR_INVALID_PRESENCE_INDICATOR);
	*present = true;
	return ZX_OK;
}

/*
 * box<S> at offset: absent -> NULL pointer in place (nullable is always
 * true for boxes, pass false for a required pointer), *out_offset =
 * UINT32_MAX; present -> claims size bytes at depth + 1, writes the
 * pointer in place and gives the offset (decode the struct there at
 * depth + 1).
 */
static inline zx_status_t fidl_decode_box(fidl_decoder_t *dec, uint32_t offset,
                                          uint32_t size, bool nullable,
                                          uint32_t depth, uint32_t *out_offset)
{
	bool present = false;
	zx_status_t st;

	*out_offset = UINT32_MAX;
	st = fidl_decode_presence(dec, offset, &present);
	if (st != ZX_OK)
		return st;
	if (!present) {
		if (!nullable)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
		fidl_store_ptr(dec->bytes + offset, NULL);
		return ZX_OK;
	}
	st = fidl_decode_out_of_line(dec, size, depth, out_offset);
	if (st != ZX_OK)
		return st;
	fidl_store_ptr(dec->bytes + offset, dec->bytes + *out_offset);
	return ZX_OK;
}

/*
 * A string at offset: size fits 32 bits
 * (FIDL_ERR_STRING_COUNT_EXCEEDS_32_BIT_LIMIT), presence
 * (FIDL_ERR_INVALID_PRESENCE_INDICATOR,
 * FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY,
 * FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE), size <= max_size
 * (FIDL_ERR_STRING_TOO_LONG), body bytes and padding, UTF-8.  Rewrites the
 * presence marker as the data pointer (NULL when absent).
 */
static inline zx_status_t fidl_decode_string(fidl_decoder_t *dec,
                                             uint32_t offset, uint32_t max_size,
                                             bool nullable, uint32_t depth)
{
	uint64_t size = fidl_load64(dec->bytes + offset);
	bool present = false;
	uint32_t body = 0;
	zx_status_t st;

	st = fidl_decode_presence(dec, offset + 8, &present);
	if (st != ZX_OK)
		return st;
	if (!present) {
		if (size != 0)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_NON_EMPTY_STRING_WITH_NULL_BODY);
		if (!nullable)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
		fidl_store_ptr(dec->bytes + offset + 8, NULL);
		return ZX_OK;
	}
	if (size > UINT32_MAX)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_STRING_COUNT_EXCEEDS_32_BIT_LIMIT);
	if (size > max_size)
		return fidl_decoder_fail(dec, FIDL_ERR_STRING_TOO_LONG);
	st = fidl_decode_out_of_line(dec, (uint32_t)size, depth, &body);
	if (st != ZX_OK)
		return st;
	if (!fidl_validate_utf8(dec->bytes + body, (size_t)size))
		return fidl_decoder_fail(dec, FIDL_ERR_STRING_NOT_UTF8);
	fidl_store_ptr(dec->bytes + offset + 8, dec->bytes + body);
	return ZX_OK;
}

/*
 * A vector header at offset: as strings (the errors are the VECTOR ones,
 * FIDL_ERR_COUNT_EXCEEDS_LIMIT for count > max_count), claims count *
 * elem_size bytes at depth + 1 and rewrites the marker as the data
 * pointer.  *out_body: the elements' offset (UINT32_MAX when absent);
 * *out_count: the count (0 when absent).  The caller decodes the
 * elements at depth + 1.
 */
static inline zx_status_t
fidl_decode_vector(fidl_decoder_t *dec, uint32_t offset, uint32_t max_count,
                   uint32_t elem_size, bool nullable, uint32_t depth,
                   uint32_t *out_body, uint32_t *out_count)
{
	uint64_t count = fidl_load64(dec->bytes + offset);
	uint64_t total;
	bool present = false;
	zx_status_t st;

	*out_body = UINT32_MAX;
	*out_count = 0;
	st = fidl_decode_presence(dec, offset + 8, &present);
	if (st != ZX_OK)
		return st;
	if (!present) {
		if (count != 0)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_NON_EMPTY_VECTOR_WITH_NULL_BODY);
		if (!nullable)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
		fidl_store_ptr(dec->bytes + offset + 8, NULL);
		return ZX_OK;
	}
	if (count > UINT32_MAX)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_VECTOR_COUNT_EXCEEDS_32_BIT_LIMIT);
	if (count > max_count)
		return fidl_decoder_fail(dec, FIDL_ERR_COUNT_EXCEEDS_LIMIT);
	total = count * (uint64_t)elem_size;
	if (total > dec->size)
		return fidl_decoder_fail(dec, FIDL_ERR_TOO_FEW_BYTES);
	st = fidl_decode_out_of_line(dec, (uint32_t)total, depth, out_body);
	if (st != ZX_OK)
		return st;
	fidl_store_ptr(dec->bytes + offset + 8, dec->bytes + *out_body);
	*out_count = (uint32_t)count;
	return ZX_OK;
}

/*
 * A table header at offset (a vector of envelopes, never absent): count
 * fits 32 bits (FIDL_ERR_TABLE_COUNT_EXCEEDS_32_BIT_LIMIT), presence,
 * claims count envelopes at depth + 1 and rewrites the marker as the
 * pointer.  *out_envelopes: their offset; *out_count: the count.  Decode
 * envelope i (ordinal i + 1) at *out_envelopes + 8 * i with depth + 1.
 */
static inline zx_status_t fidl_decode_table(fidl_decoder_t *dec,
                                            uint32_t offset, uint32_t depth,
                                            uint32_t *out_envelopes,
                                            uint32_t *out_count)
{
	uint64_t count = fidl_load64(dec->bytes + offset);
	bool present = false;
	zx_status_t st;

	*out_envelopes = UINT32_MAX;
	*out_count = 0;
	st = fidl_decode_presence(dec, offset + 8, &present);
	if (st != ZX_OK)
		return st;
	if (!present)
		return fidl_decoder_fail(
		    dec, count ? FIDL_ERR_NON_EMPTY_VECTOR_WITH_NULL_BODY
		               : FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
	if (count > UINT32_MAX)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_TABLE_COUNT_EXCEEDS_32_BIT_LIMIT);
	if (count * 8 > dec->size)
		return fidl_decoder_fail(dec, FIDL_ERR_TOO_FEW_BYTES);
	st = fidl_decode_out_of_line(dec, (uint32_t)count * 8, depth,
	                             out_envelopes);
	if (st != ZX_OK)
		return st;
	fidl_store_ptr(dec->bytes + offset + 8, dec->bytes + *out_envelopes);
	*out_count = (uint32_t)count;
	return ZX_OK;
}

/*
 * Envelopes.  fidl_decode_envelope_begin reads the envelope at env_offset
 * (held by an object at depth) for a KNOWN member of inline size
 * inline_size and checks, in this order: flags 0 or 1
 * (FIDL_ERR_INVALID_INLINE_MARKER_IN_ENVELOPE), num_handles <= handles
 * left (FIDL_ERR_ENVELOPE_HANDLES_EXCEED_MESSAGE_LENGTH), inlined iff
 * inline_size <= 4 (FIDL_ERR_INVALID_INLINE_BIT_IN_ENVELOPE), num_bytes a
 * multiple of 8 (FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE) and within the
 * message (FIDL_ERR_ENVELOPE_BYTES_EXCEED_MESSAGE_LENGTH).
 * *present: false for an all-zero envelope (then nothing else to do).
 * Otherwise *out_offset is where to decode the value (the envelope itself
 * when inlined, whose unused bytes must be zero; else a claim at depth +
 * 1), and fidl_decode_envelope_end must follow with the same mark: it
 * checks the value used exactly num_bytes and num_handles
 * (FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE /
 * FIDL_ERR_INVALID_NUM_HANDLES_IN_ENVELOPE) and, out of line, rewrites the
 * envelope as the data pointer.
 */
typedef struct fidl_envelope_dmark {
	uint32_t start_next;
	uint32_t start_handle;
	uint32_t num_bytes;
	uint16_t num_handles;
	bool inlined;
	uint32_t value_offset;
} fidl_envelope_dmark_t;

static inline zx_status_t fidl_decode_envelope_header(fidl_decoder_t *dec,
                                                      uint32_t env_offset,
                                                      fidl_envelope_dmark_t *m,
                                                      bool *present)
{
	const uint8_t *p = dec->bytes + env_offset;
	uint16_t flags;

	memcpy(&m->num_bytes, p, 4);
	memcpy(&m->num_handles, p + 4, 2);
	memcpy(&flags, p + 6, 2);
	m->start_next = dec->next;
	m->start_handle = dec->next_handle;
	m->value_offset = UINT32_MAX;
	m->inlined = flags == FIDL_ENVELOPE_INLINED;
	*present = m->num_bytes != 0 || m->num_handles != 0 || flags != 0;
	if (flags > FIDL_ENVELOPE_INLINED)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_INVALID_INLINE_MARKER_IN_ENVELOPE);
	if (m->num_handles > dec->handle_count - dec->next_handle)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_ENVELOPE_HANDLES_EXCEED_MESSAGE_LENGTH);
	return ZX_OK;
}

static inline zx_status_t
fidl_decode_envelope_begin(fidl_decoder_t *dec, uint32_t env_offset,
                           uint32_t inline_size, uint32_t depth,
                           fidl_envelope_dmark_t *m, bool *present,
                           uint32_t *out_offset)
{
	zx_status_t st =
	    fidl_decode_envelope_header(dec, env_offset, m, present);

	*out_offset = UINT32_MAX;
	if (st != ZX_OK || !*present)
		return st;
	if (m->inlined != (inline_size <= 4))
		return fidl_decoder_fail(
		    dec, FIDL_ERR_INVALID_INLINE_BIT_IN_ENVELOPE);
	if (depth + 1 > FIDL_MAX_DEPTH)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	if (m->inlined) {
		st = fidl_decode_padding(dec, env_offset + inline_size,
		                         4 - inline_size);
		if (st != ZX_OK)
			return st;
		m->value_offset = *out_offset = env_offset;
		return ZX_OK;
	}
	if (m->num_bytes % 8)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE);
	if (m->num_bytes > dec->size - dec->next)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_ENVELOPE_BYTES_EXCEED_MESSAGE_LENGTH);
	st = fidl_decode_claim(dec, inline_size, out_offset);
	m->value_offset = *out_offset;
	return st;
}

static inline zx_status_t
fidl_decode_envelope_end(fidl_decoder_t *dec, uint32_t env_offset,
                         const fidl_envelope_dmark_t *m)
{
	if (!m->inlined && dec->next - m->start_next != m->num_bytes)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE);
	if (dec->next_handle - m->start_handle != m->num_handles)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_INVALID_NUM_HANDLES_IN_ENVELOPE);
	if (!m->inlined)
		fidl_store_ptr(dec->bytes + env_offset,
		               dec->bytes + m->value_offset);
	return ZX_OK;
}

/*
 * An envelope of an UNKNOWN member (flexible table/union) at env_offset:
 * checks as begin does (no inline-bit rule), skips num_bytes (out of
 * line; the data pointer is written in place) and closes its num_handles
 * handles; a non-resource type with handles is
 * FIDL_ERR_NON_RESOURCE_UNKNOWN_HANDLES.  *present as in begin.
 * Out of line.
 */
zx_status_t fidl_decode_unknown_envelope(fidl_decoder_t *dec,
                                         uint32_t env_offset, uint32_t depth,
                                         bool is_resource, bool *present);

/*
 * A handle at offset: 0 absent (FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE
 * unless nullable), all-ones present (else
 * FIDL_ERR_INVALID_HANDLE_PRESENCE_INDICATOR): takes the next handle
 * (FIDL_ERR_TOO_FEW_HANDLES), checks its type unless type is
 * ZX_OBJ_TYPE_NONE (FIDL_ERR_INCORRECT_HANDLE_TYPE) and rights unless
 * ZX_RIGHT_SAME_RIGHTS: missing ones are
 * FIDL_ERR_MISSING_REQUIRED_HANDLE_RIGHTS, extra ones are removed with
 * zx_handle_replace.  Writes the handle value in place.
 */
zx_status_t fidl_decode_handle_slow(fidl_decoder_t *dec, uint32_t offset,
                                    zx_handle_info_t *info, zx_rights_t rights);

static inline zx_status_t fidl_decode_handle(fidl_decoder_t *dec,
                                             uint32_t offset,
                                             zx_obj_type_t type,
                                             zx_rights_t rights, bool nullable)
{
	uint32_t m = fidl_load32(dec->bytes + offset);
	zx_handle_info_t *info;

	if (m == FIDL_HANDLE_ABSENT) {
		if (!nullable)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE);
		return ZX_OK;
	}
	if (m != FIDL_HANDLE_PRESENT)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_INVALID_HANDLE_PRESENCE_INDICATOR);
	if (dec->next_handle >= dec->handle_count)
		return fidl_decoder_fail(dec, FIDL_ERR_TOO_FEW_HANDLES);
	info = &dec->handles[dec->next_handle++];
	if (type != ZX_OBJ_TYPE_NONE && info->type != type)
		return fidl_decoder_fail(dec, FIDL_ERR_INCORRECT_HANDLE_TYPE);
	if (rights != ZX_RIGHT_SAME_RIGHTS && info->rights != rights)
		return fidl_decode_handle_slow(dec, offset, info, rights);
	fidl_store32(dec->bytes + offset, info->handle);
	return ZX_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_WIRE_H */
