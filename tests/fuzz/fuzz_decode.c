/* libFuzzer target for the wire decoder: arbitrary bytes and handles
 * decoded in place as one of every struct, table and union of idl/ (and of
 * the conformance library when the build found it), by the generated
 * decoders and libcfidl's codec. The input format is in fuzz_decode.h.
 *
 * Oracles, on top of ASan/UBSan:
 * - a value that decodes re-encodes, and when its type cannot carry
 *   flexible unknown data, to exactly the input bytes and handle count;
 * - every handle is closed in the end, whatever happened: the process has
 *   as many fds after an input as before it.
 * A broken oracle aborts with the type's name. Also linked into the replay
 * test (test_fuzz_decode_replay.c), so that every build runs it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cfidl/syscalls.h>

#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const cf_fuzz_type *type, const char *what, zx_status_t st)
{
	fprintf(stderr, "fuzz_decode: %s: %s (%s)\n", type->name, what,
	        zx_status_get_string(st));
	abort();
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Makes one handle as its byte says (fuzz_decode.h); the peer of a pair is
 * closed, which decoding does not care about. */
static zx_status_t make_handle(uint8_t spec, zx_handle_info_t *info)
{
	zx_handle_t h = ZX_HANDLE_INVALID, peer = ZX_HANDLE_INVALID;
	zx_status_t st;
	switch (spec & 3) {
	case CF_FUZZ_EVENT:
		info->type = ZX_OBJ_TYPE_EVENT;
		info->rights = ZX_DEFAULT_EVENT_RIGHTS;
		st = zx_event_create(0, &h);
		break;
	case CF_FUZZ_CHANNEL:
		info->type = ZX_OBJ_TYPE_CHANNEL;
		info->rights = ZX_DEFAULT_CHANNEL_RIGHTS;
		st = zx_channel_create(0, &h, &peer);
		break;
	case CF_FUZZ_SOCKET:
		info->type = ZX_OBJ_TYPE_SOCKET;
		info->rights = ZX_DEFAULT_SOCKET_RIGHTS;
		st = zx_socket_create(0, &h, &peer);
		break;
	default:
		info->type = ZX_OBJ_TYPE_VMO;
		info->rights = ZX_DEFAULT_VMO_RIGHTS;
		st = zx_vmo_create(4096, 0, &h);
		break;
	}
	if (st != ZX_OK)
		return st;
	zx_handle_close(peer);
	if (spec & CF_FUZZ_REDUCE) {
		static const zx_rights_t taken[5] = {
		    ZX_RIGHT_READ, ZX_RIGHT_WRITE, ZX_RIGHT_TRANSFER,
		    ZX_RIGHT_DUPLICATE,
		    ZX_RIGHT_SIGNAL | ZX_RIGHT_WAIT | ZX_RIGHT_INSPECT};
		for (unsigned i = 0; i < 5; i++)
			if (spec & (1u << (3 + i)))
				info->rights &= ~taken[i];
		zx_handle_t reduced;
		st = zx_handle_replace(h, info->rights, &reduced);
		if (st != ZX_OK)
			return st; /* h is gone either way */
		h = reduced;
	}
	info->handle = h;
	info->unused = 0;
	return ZX_OK;
}

/* Re-encodes a decoded value (consuming its handles) and checks it against
 * the input when the type allows; closes every handle either way. */
static void reencode(const cf_fuzz_type *type, void *value, const uint8_t *body,
                     uint32_t size, uint32_t handles)
{
	/* Exactly the input's size: writing past it is an encoder bug. */
	uint8_t *bytes = malloc(size ? size : 1);
	zx_handle_disposition_t disp[CF_FUZZ_MAX_HANDLES];
	fidl_encoder_t enc;
	if (!bytes)
		abort();
	fidl_encoder_init(&enc, bytes, size, disp, CF_FUZZ_MAX_HANDLES);
	zx_status_t st = type->encode(value, &enc);
	if (st == ZX_OK) {
		for (uint32_t i = 0; i < enc.handle_count; i++)
			zx_handle_close(disp[i].handle);
	} else if (type->close_handles) {
		/* The encoder closed what it took; the rest is still in the
		 * value (closing a taken one again is a harmless
		 * ZX_ERR_BAD_HANDLE: closed values are not reused soon). */
		type->close_handles(value);
	}
	if (!type->flexible) {
		if (st != ZX_OK)
			fail(type, fidl_error_name(enc.error), st);
		if (enc.size != size || memcmp(bytes, body, size) != 0)
			fail(type, "re-encoded bytes differ", st);
		if (enc.handle_count != handles)
			fail(type, "re-encoded handle count differs", st);
	}
	free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool warm;
	if (size < CF_FUZZ_HEADER || cf_fuzz_type_count == 0 ||
	    size - CF_FUZZ_HEADER > ZX_CHANNEL_MAX_MSG_BYTES)
		return 0;
	const cf_fuzz_type *type =
	    &cf_fuzz_types[(data[0] | (size_t)data[1] << 8) %
	                   cf_fuzz_type_count];
	size_t n = data[2] % (CF_FUZZ_MAX_HANDLES + 1);
	if (n > size - CF_FUZZ_HEADER)
		n = size - CF_FUZZ_HEADER;
	const uint8_t *specs = data + CF_FUZZ_HEADER;
	const uint8_t *body = specs + n;
	uint32_t body_size = (uint32_t)(size - CF_FUZZ_HEADER - n);

	if (!warm) {
		/* Fds the runtime opens once and keeps are not leaks. */
		zx_handle_info_t info;
		for (uint8_t k = 0; k < 4; k++)
			if (make_handle(k | CF_FUZZ_REDUCE, &info) == ZX_OK)
				zx_handle_close(info.handle);
		warm = true;
	}
	int base_fds = count_fds();

	zx_handle_info_t infos[CF_FUZZ_MAX_HANDLES];
	uint32_t made = 0;
	for (size_t i = 0; i < n; i++) {
		if (make_handle(specs[i], &infos[made]) != ZX_OK)
			continue;
		made++;
	}

	/* A copy of exactly body_size bytes, so that reading past the end
	 * is caught by ASan; malloc's alignment suits the in-place view. */
	uint8_t *copy = malloc(body_size ? body_size : 1);
	if (!copy)
		abort();
	if (body_size)
		memcpy(copy, body, body_size);
	fidl_decoder_t dec;
	fidl_decoder_init(&dec, copy, body_size, infos, made);
	void *value = NULL;
	zx_status_t st = type->decode(&dec, &value);
	if (st == ZX_OK) {
		if (!value)
			fail(type, "decode gave no value", st);
		reencode(type, value, body, body_size, made);
	} else if (dec.error == FIDL_ERR_NONE) {
		fail(type, "decode failed without a fidl_error_t", st);
	}
	free(copy);

	/* On failure the decoder closed every handle; on success the
	 * re-encode took them and closed them. Anything left is a leak. */
	int fds = count_fds();
	if (base_fds >= 0 && fds != base_fds) {
		fprintf(stderr,
		        "fuzz_decode: %s: %d fds open after the input, %d "
		        "before (decode %s)\n",
		        type->name, fds, base_fds, zx_status_get_string(st));
		abort();
	}
	return 0;
}
