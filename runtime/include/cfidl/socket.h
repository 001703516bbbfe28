/*
 * <cfidl/socket.h>: stream sockets, bidirectional byte pipes.
 *
 * A socket is an AF_UNIX SOCK_STREAM socketpair.  Reads and writes never
 * block and never raise SIGPIPE.  Each direction can be shut off with
 * zx_socket_set_disposition; as the kernel cannot reopen a shut direction,
 * ZX_SOCKET_DISPOSITION_WRITE_ENABLED after a disable gives
 * ZX_ERR_BAD_STATE.  Signals: READABLE, WRITABLE, PEER_CLOSED,
 * PEER_WRITE_DISABLED, WRITE_DISABLED (the last only for a disable made
 * through this process's handle).  When both directions are disabled the
 * kernel shows the pair as hung up: PEER_CLOSED is then asserted too.
 */
#ifndef CFIDL_SOCKET_H
#define CFIDL_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZX_SOCKET_STREAM   ((uint32_t)0u)
#define ZX_SOCKET_DATAGRAM ((uint32_t)1u << 0)
#define ZX_SOCKET_PEEK     ((uint32_t)1u << 3)

#define ZX_SOCKET_DISPOSITION_WRITE_DISABLED ((uint32_t)1u << 0)
#define ZX_SOCKET_DISPOSITION_WRITE_ENABLED  ((uint32_t)1u << 1)

/*
 * Creates a socket pair.  options: ZX_SOCKET_STREAM (ZX_SOCKET_DATAGRAM
 * gives ZX_ERR_NOT_SUPPORTED; anything else ZX_ERR_INVALID_ARGS).  The
 * caller owns *out0 and *out1 (ZX_DEFAULT_SOCKET_RIGHTS).
 */
zx_status_t zx_socket_create(uint32_t options, zx_handle_t *out0,
                             zx_handle_t *out1);

/*
 * Writes up to size bytes from buffer (the caller's; copied) without
 * blocking.  *actual (may be NULL) gets the count written, which may be
 * less than size when the buffer fills.  Errors: BAD_HANDLE, WRONG_TYPE,
 * ACCESS_DENIED (no WRITE), INVALID_ARGS (options != 0, NULL buffer),
 * SHOULD_WAIT (no room at all), BAD_STATE (writing disabled), PEER_CLOSED.
 */
zx_status_t zx_socket_write(zx_handle_t handle, uint32_t options,
                            const void *buffer, size_t size, size_t *actual);

/*
 * Reads up to size bytes into buffer without blocking.  options 0 or
 * ZX_SOCKET_PEEK (leave the data queued).  *actual (may be NULL) gets the
 * count.  Errors: BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED (no READ),
 * INVALID_ARGS, SHOULD_WAIT (nothing queued), PEER_CLOSED (nothing queued
 * and the peer is closed or has disabled writing).
 */
zx_status_t zx_socket_read(zx_handle_t handle, uint32_t options, void *buffer,
                           size_t size, size_t *actual);

/*
 * Disables (or leaves enabled) writing on this end (disposition) and on
 * the peer's end (disposition_peer); 0 leaves a side as it is.  Needs
 * ZX_RIGHT_MANAGE_SOCKET.  Data already written can still be read.
 * Errors: BAD_HANDLE, WRONG_TYPE, ACCESS_DENIED, INVALID_ARGS (unknown or
 * both bits), BAD_STATE (re-enabling), PEER_CLOSED.
 */
zx_status_t zx_socket_set_disposition(zx_handle_t handle, uint32_t disposition,
                                      uint32_t disposition_peer);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_SOCKET_H */
