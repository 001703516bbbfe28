/*
 * The out-of-line parts of the decoder: UTF-8 past the ASCII fast path,
 * unknown envelopes, and handles whose rights must be reduced.
 */
#include <cfidl/handle.h>
#include <cfidl/wire.h>

/* Unicode 15, table 3-7: well-formed UTF-8 byte sequences. */
bool fidl_validate_utf8_slow(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += len;
	}
	return true;
}

zx_status_t fidl_decode_unknown_envelope(fidl_decoder_t *dec,
                                         uint32_t env_offset, uint32_t depth,
                                         bool is_resource, bool *present)
{
	fidl_envelope_dmark_t m;
	zx_status_t st;
	uint32_t off;

	st = fidl_decode_envelope_header(dec, env_offset, &m, present);
	if (st != ZX_OK || !*present)
		return st;
	if (!m.inlined) {
		if (m.num_bytes % 8)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_INVALID_NUM_BYTES_IN_ENVELOPE);
		if (m.num_bytes > dec->size - dec->next)
			return fidl_decoder_fail(
			    dec, FIDL_ERR_ENVELOPE_BYTES_EXCEED_MESSAGE_LENGTH);
	}
	if (m.num_handles && !is_resource)
		return fidl_decoder_fail(dec,
		                         FIDL_ERR_NON_RESOURCE_UNKNOWN_HANDLES);
	if (depth + 1 > FIDL_MAX_DEPTH)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_EXCEEDED_MAX_OUT_OF_LINE_DEPTH);
	if (!m.inlined) {
		/* Opaque bytes: nothing inside is checked, not even padding. */
		off = dec->next;
		dec->next += m.num_bytes;
		fidl_store_ptr(dec->bytes + env_offset, dec->bytes + off);
	}
	/* We keep no unknown data for re-encoding: close its handles. */
	for (uint32_t i = 0; i < m.num_handles; i++) {
		zx_handle_info_t *h = &dec->handles[dec->next_handle++];

		zx_handle_close(h->handle);
		h->handle = ZX_HANDLE_INVALID;
	}
	return ZX_OK;
}

zx_status_t fidl_decode_handle_slow(fidl_decoder_t *dec, uint32_t offset,
                                    zx_handle_info_t *info, zx_rights_t rights)
{
	zx_handle_t nh = ZX_HANDLE_INVALID;

	if (rights & ~info->rights)
		return fidl_decoder_fail(
		    dec, FIDL_ERR_MISSING_REQUIRED_HANDLE_RIGHTS);
	if (zx_handle_replace(info->handle, rights, &nh) != ZX_OK) {
		/* zx_handle_replace closed it on failure. */
		info->handle = ZX_HANDLE_INVALID;
		return fidl_decoder_fail(dec, FIDL_ERR_HANDLE_REPLACE_FAILED);
	}
	info->handle = nh;
	info->rights = rights;
	fidl_store32(dec->bytes + offset, nh);
	return ZX_OK;
}
