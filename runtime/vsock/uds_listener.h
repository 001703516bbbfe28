/*
 * uds_listener.h: a listening Unix socket (mode 0600) served on a loop.
 *
 * The loop can only wait on handles, and a listening socket cannot be one,
 * so a small watcher thread polls the socket and posts a task to the loop
 * when connections are pending; the loop thread then accepts them, without
 * blocking, a batch at a time.  While the loop is busy with a batch the
 * thread does not poll: a flood of connections waits in the kernel's
 * backlog and never blocks the loop.
 *
 * The channel form serves one protocol per accepted SOCK_SEQPACKET
 * connection (the fd is adopted as a channel end, VSOCK_DESIGN.md 5); the
 * raw form hands out accepted fds of either type.
 */
#ifndef CFV_UDS_LISTENER_H
#define CFV_UDS_LISTENER_H

#include <cfidl/loop.h>
#include <cfidl/zx.h>

typedef struct cfv_uds_listener cfv_uds_listener_t;

/* An accepted connection: fd (nonblocking, close-on-exec) is the callee's. */
typedef void (*cfv_uds_fd_fn)(void *ctx, int fd);
/* An accepted SEQPACKET connection as a channel end: the callee's. */
typedef void (*cfv_uds_channel_fn)(void *ctx, zx_handle_t channel);

/*
 * Binds and listens on path (type SOCK_STREAM or SOCK_SEQPACKET), chmod
 * 0600.  A stale socket file at path (nothing accepting on it) is
 * replaced; a live one gives ZX_ERR_ADDRESS_IN_USE, any other file
 * ZX_ERR_ALREADY_EXISTS.  ZX_ERR_BAD_PATH if path is too long for a
 * sockaddr_un.  The caller owns *out.
 */
zx_status_t cfv_uds_listener_create_raw(cfidl_loop_t *loop, const char *path,
                                        int type, cfv_uds_fd_fn on_fd,
                                        void *ctx, cfv_uds_listener_t **out);

/* As _raw with SOCK_SEQPACKET, each connection adopted as a channel. */
zx_status_t cfv_uds_listener_create(cfidl_loop_t *loop, const char *path,
                                    cfv_uds_channel_fn on_channel, void *ctx,
                                    cfv_uds_listener_t **out);

/* Connections accepted so far (for tests and stats). */
unsigned long cfv_uds_listener_accepted(const cfv_uds_listener_t *l);

/*
 * Stops listening, unlinks the path (if it is still our socket) and frees
 * l.  Call on the loop's thread; it may be called from l's own callback.
 * NULL ok.
 */
void cfv_uds_listener_destroy(cfv_uds_listener_t *l);

/*
 * Connects to the Unix socket at path without blocking (a full backlog
 * is ZX_ERR_SHOULD_WAIT).  *out_fd (close-on-exec, blocking) is the
 * caller's.  Errors: BAD_PATH, NOT_FOUND (no such file),
 * CONNECTION_REFUSED (nobody listening), SHOULD_WAIT, IO.
 */
zx_status_t cfv_uds_connect(const char *path, int type, int *out_fd);

#endif /* CFV_UDS_LISTENER_H */
