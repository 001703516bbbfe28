/*
 * Private: what the server binding (bind.c) and the async client
 * (client.c) share: the receive buffer and message helpers.
 */
#ifndef CFIDL_RUNTIME_BIND_UTIL_H
#define CFIDL_RUNTIME_BIND_UTIL_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/handle.h>

#define MSG_BYTES   ZX_CHANNEL_MAX_MSG_BYTES
#define MSG_HANDLES ZX_CHANNEL_MAX_MSG_HANDLES
/* Messages read per wake-up before giving others a turn. */
#define BATCH 16

struct rxbuf {
	alignas(8) uint8_t bytes[MSG_BYTES];
	zx_handle_info_t handles[MSG_HANDLES];
};

static inline void close_infos(zx_handle_info_t *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		zx_handle_close(h[i].handle);
}

static inline void close_dispositions(const fidl_outgoing_msg_t *msg)
{
	for (uint32_t i = 0; i < msg->num_handles; i++)
		if (msg->handles[i].operation == ZX_HANDLE_OP_MOVE)
			zx_handle_close(msg->handles[i].handle);
}

/* Writes msg; its MOVE handles are consumed whatever happens. */
static inline zx_status_t write_msg(zx_handle_t ch,
                                    const fidl_outgoing_msg_t *msg)
{
	zx_status_t st = zx_channel_write_etc(ch, 0, msg->bytes, msg->num_bytes,
	                                      msg->handles, msg->num_handles);

	/* The two cases where the channel left the handles to us. */
	if (st == ZX_ERR_SHOULD_WAIT || st == ZX_ERR_BAD_STATE)
		close_dispositions(msg);
	return st;
}

static inline bool header_ok(const fidl_incoming_msg_t *msg)
{
	return msg->num_bytes >= sizeof(fidl_message_header_t) &&
	       fidl_validate_header(
	           (const fidl_message_header_t *)msg->bytes) == ZX_OK;
}

#endif /* CFIDL_RUNTIME_BIND_UTIL_H */
