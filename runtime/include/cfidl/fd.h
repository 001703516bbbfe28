/*
 * <cfidl/fd.h>: moving between plain Unix socket fds and handles.
 *
 * A channel end is a connected AF_UNIX SOCK_SEQPACKET socket and a socket
 * end a connected AF_UNIX SOCK_STREAM socket, so an fd obtained elsewhere
 * (accept(2) on a listening Unix socket, connect(2), socketpair(2), an
 * inherited fd) can become a handle, and a zx socket end can leave the
 * handle table as an fd an ordinary program reads and writes.
 *
 * The peer of an adopted end may live in another process that does not use
 * libcfidl: on a channel it must speak the channel record format
 * (channel.c); on a socket it just reads and writes bytes.  An adopted end's
 * related_koid is 0 (the peer's koid is not known).
 */
#ifndef CFIDL_FD_H
#define CFIDL_FD_H

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Takes fd over: a connected AF_UNIX SOCK_SEQPACKET socket becomes a
 * channel end; the caller owns *out (ZX_DEFAULT_CHANNEL_RIGHTS).  The fd
 * belongs to the handle from now on: the caller must not use or close it.
 * On every error fd is closed.  The file is made blocking and
 * close-on-exec.  Errors: INVALID_ARGS (fd < 0, out NULL), BAD_HANDLE (fd
 * not open), WRONG_TYPE (not a socket, not AF_UNIX, not SOCK_SEQPACKET),
 * BAD_STATE (listening or never connected), NO_MEMORY, NO_RESOURCES.
 */
zx_status_t cfidl_channel_adopt_fd(int fd, zx_handle_t *out);

/*
 * Takes fd over: a connected AF_UNIX SOCK_STREAM socket becomes a zx
 * socket end (ZX_DEFAULT_SOCKET_RIGHTS, the caller owns *out).  Same rules
 * and errors as cfidl_channel_adopt_fd, with SOCK_STREAM for the type.
 */
zx_status_t cfidl_socket_adopt_fd(int fd, zx_handle_t *out);

/*
 * Closes the socket handle and gives the caller an fd for that socket end
 * (the caller owns *out_fd and closes it with close(2)).  The fd is in
 * BLOCKING mode (O_NONBLOCK cleared) and close-on-exec, so a program can
 * read/write/poll it like any stream socket; set O_NONBLOCK yourself for
 * an event loop.  Writes to a closed peer raise SIGPIPE as usual (use
 * send(2) with MSG_NOSIGNAL or ignore SIGPIPE).  Disabled directions stay
 * disabled (zx_socket_set_disposition is a shutdown(2)).
 *
 * The handle is consumed whenever it names a live handle, even on error.
 * Other handles to the same end (zx_handle_duplicate) stay valid and keep
 * working on the same socket.  Cancel any cfidl_wait on the handle first.
 * Errors: INVALID_ARGS (out_fd NULL; the handle is still closed),
 * BAD_HANDLE, WRONG_TYPE (not a socket), ACCESS_DENIED (lacks READ or
 * WRITE), NO_RESOURCES (out of fds).
 */
zx_status_t cfidl_socket_release_fd(zx_handle_t socket, int *out_fd);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_FD_H */
