/*
 * <cfidl/channel.h>: channels, bidirectional message pipes that carry
 * bytes and handles.
 *
 * A channel is an AF_UNIX SOCK_SEQPACKET socketpair; handles travel as
 * SCM_RIGHTS fds with a small header giving each one's type, rights and fd
 * count, so the reader rebuilds its own handle table entries.  Messages
 * hold at most ZX_CHANNEL_MAX_MSG_BYTES bytes and
 * ZX_CHANNEL_MAX_MSG_HANDLES handles.
 *
 * Differences from Zircon, forced by the kernel queue being bounded: a
 * write into a full channel returns ZX_ERR_SHOULD_WAIT (wait for
 * ZX_CHANNEL_WRITABLE) and leaves the caller's handles untouched.
 */
#ifndef CFIDL_CHANNEL_H
#define CFIDL_CHANNEL_H

#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZX_CHANNEL_MAX_MSG_BYTES   65536u
#define ZX_CHANNEL_MAX_MSG_HANDLES 64u

#define ZX_CHANNEL_READ_MAY_DISCARD ((uint32_t)1u)

/*
 * Creates a channel.  options must be 0.  The caller owns *out0 and *out1
 * (rights ZX_DEFAULT_CHANNEL_RIGHTS).  Errors: ZX_ERR_INVALID_ARGS,
 * ZX_ERR_NO_RESOURCES (out of fds), ZX_ERR_NO_MEMORY.
 */
zx_status_t zx_channel_create(uint32_t options, zx_handle_t *out0,
                              zx_handle_t *out1);

/*
 * Writes one message.  bytes stays the caller's (copied).  handles: every
 * valid handle in handles[] is consumed -- on success it travels with the
 * message, and on failure it is closed, as Zircon's zx_channel_write
 * documents -- with these exceptions, where the caller keeps them all:
 * ZX_ERR_SHOULD_WAIT (the channel is full; retry when writable), and
 * ZX_ERR_BAD_STATE (a channel end with messages set aside by
 * zx_channel_call cannot be sent).  The channel `handle` itself is never
 * consumed, even when it appears in handles[] (ZX_ERR_NOT_SUPPORTED).
 * A message over the limits is refused whole (ZX_ERR_OUT_OF_RANGE): nothing
 * reaches the channel.  VMOs sent are sealed against shrinking.
 * Errors: BAD_HANDLE (handle, or an entry, invalid, or an entry repeated),
 * WRONG_TYPE, ACCESS_DENIED (no WRITE on handle, no TRANSFER on an entry),
 * INVALID_ARGS (options, NULL pointers with nonzero counts), NOT_SUPPORTED,
 * OUT_OF_RANGE, PEER_CLOSED, SHOULD_WAIT, BAD_STATE, NO_MEMORY.
 */
zx_status_t zx_channel_write(zx_handle_t handle, uint32_t options,
                             const void *bytes, uint32_t num_bytes,
                             const zx_handle_t *handles, uint32_t num_handles);

/*
 * As zx_channel_write, with a disposition per handle: operation
 * ZX_HANDLE_OP_MOVE (source consumed as above) or ZX_HANDLE_OP_DUPLICATE
 * (needs ZX_RIGHT_DUPLICATE; the source stays the caller's); type checked
 * unless ZX_OBJ_TYPE_NONE (WRONG_TYPE); rights: ZX_RIGHT_SAME_RIGHTS or a
 * subset of the source's (else INVALID_ARGS), which is what the receiver
 * gets.  Every entry is checked and its result stored in result; the
 * first failure is returned.  On failure MOVE sources are closed, except
 * for SHOULD_WAIT and BAD_STATE as above.  The array stays the caller's.
 */
zx_status_t zx_channel_write_etc(zx_handle_t handle, uint32_t options,
                                 const void *bytes, uint32_t num_bytes,
                                 zx_handle_disposition_t *handles,
                                 uint32_t num_handles);

/*
 * Reads the first message into bytes (capacity num_bytes) and handles
 * (capacity num_handles); the caller owns the handles read.  If either
 * buffer is too small: ZX_ERR_BUFFER_TOO_SMALL, *actual_bytes and
 * *actual_handles give the sizes needed and the message stays queued
 * (unless options has ZX_CHANNEL_READ_MAY_DISCARD: then it is dropped and
 * its handles closed).  actual_bytes / actual_handles may be NULL.
 * Errors: BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED (no READ), INVALID_ARGS,
 * SHOULD_WAIT (empty), PEER_CLOSED (empty and the peer is gone),
 * BUFFER_TOO_SMALL, NO_RESOURCES / NO_MEMORY (the message is lost), IO
 * (the peer sent a malformed message; it is dropped).
 */
zx_status_t zx_channel_read(zx_handle_t handle, uint32_t options, void *bytes,
                            zx_handle_t *handles, uint32_t num_bytes,
                            uint32_t num_handles, uint32_t *actual_bytes,
                            uint32_t *actual_handles);

/* As zx_channel_read, giving each handle's type and rights too. */
zx_status_t zx_channel_read_etc(zx_handle_t handle, uint32_t options,
                                void *bytes, zx_handle_info_t *handles,
                                uint32_t num_bytes, uint32_t num_handles,
                                uint32_t *actual_bytes,
                                uint32_t *actual_handles);

typedef struct zx_channel_call_args {
	const void *wr_bytes;
	const zx_handle_t *wr_handles;
	void *rd_bytes;
	zx_handle_t *rd_handles;
	uint32_t wr_num_bytes;
	uint32_t wr_num_handles;
	uint32_t rd_num_bytes;
	uint32_t rd_num_handles;
} zx_channel_call_args_t;

typedef struct zx_channel_call_etc_args {
	const void *wr_bytes;
	zx_handle_disposition_t *wr_handles;
	void *rd_bytes;
	zx_handle_info_t *rd_handles;
	uint32_t wr_num_bytes;
	uint32_t wr_num_handles;
	uint32_t rd_num_bytes;
	uint32_t rd_num_handles;
} zx_channel_call_etc_args_t;

/*
 * Writes args->wr_* (handles consumed as by zx_channel_write) and waits
 * until deadline for the reply whose first 4 bytes (the txid) equal those
 * of the request; wr_num_bytes must be at least 4 and the txid nonzero.
 * Other messages stay queued, in order, for zx_channel_read.  A full
 * channel is waited on (until deadline) rather than failing.  The reply's
 * handles belong to the caller.  Errors: those of write and read, and
 * TIMED_OUT (no reply by deadline; a later reply is then an ordinary
 * message), PEER_CLOSED (the peer closed before replying),
 * BUFFER_TOO_SMALL (the reply did not fit: it is discarded and its
 * handles closed).  Concurrent calls on one channel are allowed.
 */
zx_status_t zx_channel_call(zx_handle_t handle, uint32_t options,
                            zx_time_t deadline,
                            const zx_channel_call_args_t *args,
                            uint32_t *actual_bytes, uint32_t *actual_handles);

/* As zx_channel_call, with dispositions and handle infos. */
zx_status_t zx_channel_call_etc(zx_handle_t handle, uint32_t options,
                                zx_time_t deadline,
                                zx_channel_call_etc_args_t *args,
                                uint32_t *actual_bytes,
                                uint32_t *actual_handles);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_CHANNEL_H */
