/*
 * <udo/vsock-tcp.h>: the udo vsock-tcp C API (VM socket stream servers and
 * clients), source-compatible with udo's header of the same name.
 *
 * Two back ends, chosen per call from the environment:
 *
 * - The kernel's AF_VSOCK (the default), exactly as udo does it.
 *
 * - "Ours": when CFIDL_VSOCK_GUEST is set, the same calls run over the
 *   cfidl userspace vsock stack (libcfidl-vsock), so programs written for
 *   this API run on machines without vsock hardware.  Its value is the CID
 *   of a guest of ours (cfidl-vsock-guest --cid N): the program then acts
 *   as an app inside that guest, through `<rundir>/connector-<N>.sock`.
 *   The value 2 (the host CID) makes it a host app instead, reaching
 *   guests through `<rundir>/endpoint-<cid>.sock`.  The rundir is
 *   $CFIDL_VSOCK_DIR, else $XDG_RUNTIME_DIR/cfidl-vsock, else
 *   /tmp/cfidl-vsock-<uid>.  A value that is not a decimal CID makes every
 *   create fail (errno EINVAL) and get_local_vcid return UINT32_MAX.
 *   In this mode get_local_vcid returns that CID; a server's get_fd is -1
 *   (there is no listening fd: accept runs the stack's loop); connection
 *   fds are ordinary stream sockets for read/write/poll/close, and outlive
 *   the instance that made them.  Errors come as errno: ENODEV (no such
 *   guest), ECONNREFUSED (refused), EHOSTUNREACH (no such CID), ETIMEDOUT
 *   (connect waits 10 s), ECONNRESET (the stack went away), EADDRINUSE,
 *   EADDRNOTAVAIL (an ephemeral port).  See libcfidl-vsock(3).
 *
 * Return conventions are udo's: NULL or -1 for failure (errno set),
 * UINT32_MAX for a failed vcid, a negative errno from the data calls.
 */
#ifndef UDO_VSOCK_TCP_H
#define UDO_VSOCK_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/vm_sockets.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The instance: private (its size is udo_vsock_tcp_get_sizeof()). */
struct udo_vsock_tcp;

struct udo_vsock_tcp_server_create_info {
	unsigned int vcid; /* 1: bind loopback; else the local CID is bound */
	int port;
	int connections; /* listen backlog */
};

struct udo_vsock_tcp_client_create_info {
	unsigned int vcid;
	int port;
};

/*
 * Creates a bound, listening server socket (SO_REUSEADDR).  vsock NULL:
 * allocated (destroy frees it); else vsock (udo_vsock_tcp_get_sizeof()
 * bytes of the caller's) is used.  vsock_info: a const struct
 * udo_vsock_tcp_server_create_info *.  Returns the instance or NULL.
 */
struct udo_vsock_tcp *udo_vsock_tcp_server_create(struct udo_vsock_tcp *vsock,
                                                  const void *vsock_info);

/*
 * Waits for and accepts one connection: its fd (the caller owns it) or
 * -1.  addr (may be NULL) gets the peer's address.
 */
int udo_vsock_tcp_server_accept(struct udo_vsock_tcp *vsock,
                                struct sockaddr_vm *addr);

/* Creates a client socket for info's address (const struct
 * udo_vsock_tcp_client_create_info *).  NULL on failure. */
struct udo_vsock_tcp *udo_vsock_tcp_client_create(struct udo_vsock_tcp *vsock,
                                                  const void *vsock_info);

/* Connects the client: 0, or -1 with errno. */
int udo_vsock_tcp_client_connect(struct udo_vsock_tcp *vsock);

/* send(2) on the client's socket; vsock_info: NULL or const int *flags.
 * Bytes sent, or a negative errno. */
ssize_t udo_vsock_tcp_client_send_data(struct udo_vsock_tcp *vsock,
                                       const void *data, const size_t size,
                                       const void *vsock_info);

/* The instance's socket fd (still the instance's), or -1. */
int udo_vsock_tcp_get_fd(struct udo_vsock_tcp *vsock);

/* The instance's CID, or UINT32_MAX. */
unsigned int udo_vsock_tcp_get_vcid(struct udo_vsock_tcp *vsock);

/* The instance's port, or -1. */
int udo_vsock_tcp_get_port(struct udo_vsock_tcp *vsock);

/* Closes the instance's fd; frees it if it was allocated, else resets it. */
void udo_vsock_tcp_destroy(struct udo_vsock_tcp *vsock);

/* sizeof(struct udo_vsock_tcp), for callers that allocate it. */
int udo_vsock_tcp_get_sizeof(void);

/* This machine's CID (/dev/vsock, or CFIDL_VSOCK_GUEST), or UINT32_MAX. */
unsigned int udo_vsock_tcp_get_local_vcid(void);

/* recv(2) / send(2) on sock_fd; vsock_info: NULL or const int *flags.
 * Bytes moved, or a negative errno. */
ssize_t udo_vsock_tcp_recv_data(const int sock_fd, void *data,
                                const size_t size, const void *vsock_info);
ssize_t udo_vsock_tcp_send_data(const int sock_fd, const void *data,
                                const size_t size, const void *vsock_info);

#ifdef __cplusplus
}
#endif

#endif /* UDO_VSOCK_TCP_H */
