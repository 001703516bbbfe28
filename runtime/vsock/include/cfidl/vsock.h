/*
 * <cfidl/vsock.h>: a userspace vsock stack on cfidl (libcfidl-vsock).
 *
 * Sections are added by the parts that own them: the app API (connect,
 * listen, accept as a host app or as an app inside a guest) and the daemon
 * and guest APIs the programs are built on.  See libcfidl-vsock(3).
 */
#ifndef CFIDL_VSOCK_H
#define CFIDL_VSOCK_H

#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string ("0.1.0"). */
const char *cfidl_vsock_version(void);

/* ---- the app API: connect, listen, accept (app.c) ----
 *
 * An app object is one program's access to our vsock, either as a host app
 * (as_cid == CFIDL_VSOCK_HOST_CID: it reaches guest N through the
 * HostVsockEndpoint on `<rundir>/endpoint-<N>.sock`) or as an app inside
 * guest as_cid (fuchsia.vsock.Connector on `<rundir>/connector-<as_cid>.sock`).
 * Connections are plain stream socket fds.  Blocking calls run the app's
 * private loop until their deadline; incoming connections of a listener
 * are answered (and queued, up to its backlog) only while some call of the
 * app runs.  An app is used by one thread at a time.
 */
#define CFIDL_VSOCK_HOST_CID 2u

typedef struct cfidl_vsock_app cfidl_vsock_app_t;

/*
 * Opens an app (the caller owns *out; cfidl_vsock_app_close frees it).
 * rundir NULL = the default ($CFIDL_VSOCK_DIR, $XDG_RUNTIME_DIR/cfidl-vsock,
 * /tmp/cfidl-vsock-<uid>).  A guest app connects to its guest's connector
 * now: ZX_ERR_NOT_FOUND if that guest does not run.  Errors also:
 * INVALID_ARGS (as_cid 0, 1 or CID_ANY, a too long path), NO_MEMORY.
 */
zx_status_t cfidl_vsock_app_open(const char *rundir, uint32_t as_cid,
                                 cfidl_vsock_app_t **out);

/* Stops listening, closes connections not yet accepted and everything the
 * app holds.  Connections already handed out stay up (a guest app's
 * Connection channels go, which the service does not take as a close;
 * only send_vmo needed them).  NULL ok. */
void cfidl_vsock_app_close(cfidl_vsock_app_t *app);

/*
 * Connects to (cid, port) by deadline.  *out_fd: a stream socket fd that IS
 * the connection (the caller owns it); *out_local_port (may be NULL): our
 * port, 0 for a host app (HostVsockEndpoint.Connect2 does not tell it).
 * Errors: NOT_FOUND (no such guest), CONNECTION_REFUSED (host apps) or
 * UNAVAILABLE (guest apps) when refused, ADDRESS_UNREACHABLE (a guest app
 * to a CID nobody has), TIMED_OUT, PEER_CLOSED (the stack went away),
 * NOT_SUPPORTED (a host app to the host), NO_RESOURCES.
 */
zx_status_t cfidl_vsock_app_connect(cfidl_vsock_app_t *app, uint32_t cid,
                                    uint32_t port, zx_time_t deadline,
                                    int *out_fd, uint32_t *out_local_port);

/*
 * Listens on port with a backlog of 64.  A host app asks through every
 * guest endpoint present in the rundir now (NOT_FOUND if none) and
 * succeeds if one took it (the daemon's host listeners are host-wide:
 * guests started later reach it too).  Errors: ALREADY_BOUND, UNAVAILABLE
 * (an ephemeral port, guest apps), PEER_CLOSED, TIMED_OUT (no answer in
 * 10 s).
 */
zx_status_t cfidl_vsock_app_listen(cfidl_vsock_app_t *app, uint32_t port);

/* As cfidl_vsock_app_listen, with at most backlog (>= 1) connections
 * waiting for accept; more are refused.  (Additive to the design.) */
zx_status_t cfidl_vsock_app_listen_backlog(cfidl_vsock_app_t *app,
                                           uint32_t port, uint32_t backlog);

/* Stops listening on port; connections not yet accepted are closed.
 * NOT_FOUND if not listening.  (Additive to the design.) */
zx_status_t cfidl_vsock_app_unlisten(cfidl_vsock_app_t *app, uint32_t port);

/*
 * Waits until deadline for a connection on a listened port.  *out_fd: the
 * connection (the caller owns it); peer cid and port may be NULL.
 * Errors: NOT_FOUND (not listening), TIMED_OUT, PEER_CLOSED (the stack
 * dropped the listener).
 */
zx_status_t cfidl_vsock_app_accept(cfidl_vsock_app_t *app, uint32_t port,
                                   zx_time_t deadline, int *out_fd,
                                   uint32_t *out_peer_cid,
                                   uint32_t *out_peer_port);

/*
 * Guest apps only: sends len bytes of vmo from off on the connection fd
 * came from, and waits until the send finished.  vmo is consumed, even on
 * error.  Errors: NOT_SUPPORTED (host apps), NOT_FOUND (fd is not a
 * connection of this app), and the service's (BAD_STATE: one is already
 * outstanding).
 */
zx_status_t cfidl_vsock_app_send_vmo(cfidl_vsock_app_t *app, int fd,
                                     zx_handle_t vmo, uint64_t off,
                                     uint64_t len);

/* ---- daemon and guest (helper F; see libcfidl-vsock(3)) ---- */

struct cfidl_loop;

/*
 * The host daemon (cfidl-vsockd) as a library: on `loop` it makes or checks
 * the runtime directory (rundir NULL = the default: $CFIDL_VSOCK_DIR, else
 * $XDG_RUNTIME_DIR/cfidl-vsock, else /tmp/cfidl-vsock-<uid>; 0700) and serves
 * there registry.sock (guests register), and for every guest CID N
 * endpoint-N.sock (fuchsia.virtualization.HostVsockEndpoint for host apps)
 * and vsock-N.sock (Firecracker's hybrid vsock).  All sockets are 0600.  A
 * guest whose registry channel closes is removed with everything of it.
 * The caller owns *out.  Errors: ZX_ERR_ADDRESS_IN_USE (another daemon
 * serves the directory), ZX_ERR_ACCESS_DENIED (the directory is not ours or
 * has group/other bits), ZX_ERR_NOT_DIR, ZX_ERR_NOT_FOUND (its parent is
 * missing), ZX_ERR_BAD_PATH, ZX_ERR_NO_MEMORY.  Must not be called from a
 * handler of loop.
 */
typedef struct cfidl_vsock_daemon cfidl_vsock_daemon_t;
zx_status_t cfidl_vsock_daemon_create(struct cfidl_loop *loop,
                                      const char *rundir,
                                      cfidl_vsock_daemon_t **out);
/* The runtime directory it serves (owned by the daemon). */
const char *cfidl_vsock_daemon_rundir(const cfidl_vsock_daemon_t *d);
/* How many guests are registered now. */
uint32_t cfidl_vsock_daemon_guest_count(const cfidl_vsock_daemon_t *d);
/*
 * Resets the transport of guest cid (virtio-vsock TRANSPORT_RESET): every
 * connection of it is dropped on both sides, listeners stay, the guest
 * keeps its CID.  cid 0: every guest.  ZX_ERR_NOT_FOUND: no such guest.
 */
zx_status_t cfidl_vsock_daemon_reset_guest(cfidl_vsock_daemon_t *d,
                                           uint32_t cid);
/* Stops serving, drops every guest, removes its sockets; NULL ok. */
void cfidl_vsock_daemon_destroy(cfidl_vsock_daemon_t *d);

/*
 * A guest (cfidl-vsock-guest) as a library: registers with the daemon of
 * rundir (NULL = the default) asking for requested_cid (0 = the next free),
 * waiting at most until deadline for the answer, then runs the guest's
 * vsock Device and Service on `loop` and serves fuchsia.vsock.Connector to
 * the guest's apps on <rundir>/connector-<cid>.sock (0600).  on_gone (may
 * be NULL) is called once from the loop when the daemon goes
 * (ZX_ERR_PEER_CLOSED) or the registration fails later; destroy the guest
 * then.  Errors: those of Register (ALREADY_EXISTS, INVALID_ARGS,
 * NO_RESOURCES), ZX_ERR_PEER_CLOSED / ZX_ERR_NOT_FOUND (no daemon),
 * ZX_ERR_TIMED_OUT.  The caller owns *out.
 */
typedef struct cfidl_vsock_guest cfidl_vsock_guest_t;
zx_status_t
cfidl_vsock_guest_create(struct cfidl_loop *loop, const char *rundir,
                         uint32_t requested_cid, zx_time_t deadline,
                         void (*on_gone)(void *ctx, zx_status_t reason),
                         void *ctx, cfidl_vsock_guest_t **out);
/* The guest's CID now (it changes on a transport reset). */
uint32_t cfidl_vsock_guest_cid(const cfidl_vsock_guest_t *g);
/* How many transport resets the guest has seen. */
uint32_t cfidl_vsock_guest_reset_count(const cfidl_vsock_guest_t *g);
/* Leaves the daemon (its channel closes), drops every connection, removes
 * connector-<cid>.sock; NULL ok. */
void cfidl_vsock_guest_destroy(cfidl_vsock_guest_t *g);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_VSOCK_H */
