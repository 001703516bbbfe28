/*
 * Codec errors: their GIDL names, and the cold failure paths of the
 * encoder and decoder (they close the message's handles).
 */
#include <cfidl/handle.h>
#include <cfidl/wire.h>

#define NAME(e) [FIDL_ERR_##e] = #e
static const char *const names[FIDL_ERR_COUNT_] = {
    NAME(NONE),
    NAME(COUNT_EXCEEDS_LIMIT),
    NAME(ENVELOPE_BYTES_EXCEED_MESSAGE_LENGTH),
    NAME(ENVELOPE_HANDLES_EXCEED_MESSAGE_LENGTH),
    NAME(EXCEEDED_MAX_OUT_OF_LINE_DEPTH),
    NAME(FLEXIBLE_UNION_UNKNOWN_FIELD),
    NAME(INCORRECT_HANDLE_TYPE),
    NAME(INVALID_BOOLEAN),
    NAME(INVALID_EMPTY_STRUCT),
    NAME(INVALID_HANDLE_PRESENCE_INDICATOR),
    NAME(INVALID_INLINE_BIT_IN_ENVELOPE),
    NAME(INVALID_INLINE_MARKER_IN_ENVELOPE),
    NAME(INVALID_NUM_BYTES_IN_ENVELOPE),
    NAME(INVALID_NUM_HANDLES_IN_ENVELOPE),
    NAME(INVALID_PADDING_BYTE),
    NAME(INVALID_PRESENCE_INDICATOR),
    NAME(MISSING_REQUIRED_HANDLE_RIGHTS),
    NAME(NON_EMPTY_STRING_WITH_NULL_BODY),
    NAME(NON_EMPTY_VECTOR_WITH_NULL_BODY),
    NAME(NON_NULLABLE_TYPE_WITH_NULL_VALUE),
    NAME(NON_RESOURCE_UNKNOWN_HANDLES),
    NAME(STRICT_BITS_UNKNOWN_BIT),
    NAME(STRICT_ENUM_UNKNOWN_VALUE),
    NAME(STRICT_UNION_UNKNOWN_FIELD),
    NAME(STRING_COUNT_EXCEEDS_32_BIT_LIMIT),
    NAME(STRING_NOT_UTF8),
    NAME(STRING_TOO_LONG),
    NAME(TABLE_COUNT_EXCEEDS_32_BIT_LIMIT),
    NAME(TOO_FEW_BYTES),
    NAME(TOO_FEW_HANDLES),
    NAME(TOO_MANY_BYTES_IN_MESSAGE),
    NAME(TOO_MANY_HANDLES_IN_MESSAGE),
    NAME(UNION_FIELD_NOT_SET),
    NAME(VECTOR_COUNT_EXCEEDS_32_BIT_LIMIT),
    NAME(BUFFER_TOO_SMALL),
    NAME(TOO_MANY_HANDLES),
    NAME(INVALID_HEADER),
    NAME(HANDLE_REPLACE_FAILED),
};
#undef NAME

const char *fidl_error_name(fidl_error_t error)
{
	if ((unsigned)error >= FIDL_ERR_COUNT_ || !names[error])
		return "UNKNOWN";
	return names[error];
}

zx_status_t fidl_encoder_fail(fidl_encoder_t *enc, fidl_error_t error)
{
	if (enc->error == FIDL_ERR_NONE)
		enc->error = error;
	for (uint32_t i = 0; i < enc->handle_count; i++)
		zx_handle_close(enc->handles[i].handle);
	enc->handle_count = 0;
	switch (enc->error) {
	case FIDL_ERR_BUFFER_TOO_SMALL:
		return ZX_ERR_BUFFER_TOO_SMALL;
	case FIDL_ERR_TOO_MANY_HANDLES:
		return ZX_ERR_OUT_OF_RANGE;
	default:
		return ZX_ERR_INVALID_ARGS;
	}
}

void fidl_close_unencoded_handle(zx_handle_t h, uint32_t *skip)
{
	if (h == ZX_HANDLE_INVALID)
		return;
	if (*skip) {
		(*skip)--;
		return;
	}
	zx_handle_close(h);
}

void fidl_decoder_close_handles(fidl_decoder_t *dec)
{
	for (uint32_t i = 0; i < dec->handle_count; i++) {
		zx_handle_close(dec->handles[i].handle);
		dec->handles[i].handle = ZX_HANDLE_INVALID;
	}
}

zx_status_t fidl_decoder_fail(fidl_decoder_t *dec, fidl_error_t error)
{
	if (dec->error == FIDL_ERR_NONE)
		dec->error = error;
	fidl_decoder_close_handles(dec);
	return ZX_ERR_INVALID_ARGS;
}
