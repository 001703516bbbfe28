/*
 * router.h: the daemon's central vsock switch (owner D).
 *
 * The router knows every guest (by CID: host 2, guests 3, 4, 5, ...) and
 * the host's listeners, and connects them, all through the generated
 * fuchsia.virtualization bindings:
 *  - per guest it holds the guest's GuestVsockEndpoint (a client end of
 *    the guest's host half, host_half.h): add_guest calls SetContextId(cid,
 *    a HostVsockConnector client end the router serves, a
 *    GuestVsockAcceptor server end the host half serves);
 *  - it serves HostVsockEndpoint per guest for host apps (Listen, Connect2;
 *    usually on endpoint-<cid>.sock, uds_listener.h).  Host ports are one
 *    namespace for the whole host, as on a real host: a listener on port P
 *    hears every guest, and a second Listen(P) through any endpoint gets
 *    ZX_ERR_ALREADY_BOUND.  Connect2 allocates an ephemeral host port
 *    (port_manager.h; freed when the host half reports OnShutdown) and
 *    asks the guest's GuestVsockAcceptor;
 *  - it serves HostVsockConnector for the host halves: Connect(src_cid,
 *    src_port, cid, port) reaches the host listener on port (cid 2), else
 *    the hybrid forward socket `<hybrid path>_<port>` (Firecracker), else
 *    ZX_ERR_CONNECTION_REFUSED; or another guest's GuestVsockAcceptor
 *    (guest to guest); an unknown CID gives ZX_ERR_ADDRESS_UNREACHABLE and
 *    a src_cid that is not the calling guest's ZX_ERR_ACCESS_DENIED.
 *
 * Everything runs on the loop's thread; not thread-safe.
 */
#ifndef CFV_ROUTER_H
#define CFV_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

typedef struct cfv_router cfv_router_t;

#define CFV_ROUTER_HOST_CID        2u
#define CFV_ROUTER_FIRST_GUEST_CID 3u

/*
 * Creates a router on loop.  rundir (copied) is where hybrid forward
 * sockets are looked for when no hybrid registered its own path.  The
 * caller owns *out.
 */
zx_status_t cfv_router_create(cfidl_loop_t *loop, const char *rundir,
                              cfv_router_t **out);

/*
 * Drops every guest, listener and binding (pending requests are answered
 * ZX_ERR_CANCELED or, for callbacks, told ZX_ERR_CANCELED) and frees r.
 * NULL ok.  Not from inside one of the router's callbacks.
 */
void cfv_router_destroy(cfv_router_t *r);

/* The lowest CID >= 3 no guest has; 0 if none is left. */
uint32_t cfv_router_next_cid(const cfv_router_t *r);

/* Is cid a guest's? */
bool cfv_router_has_guest(const cfv_router_t *r, uint32_t cid);

/* Is cid reserved (0 hypervisor, 1 local, 2 host, 0xffffffff any)? */
bool cfv_router_cid_reserved(uint32_t cid);

/*
 * Adds guest cid, whose host half serves GuestVsockEndpoint on
 * guest_endpoint (a client end, consumed even on error), and calls
 * SetContextId.  Errors: INVALID_ARGS (reserved CID or bad handle),
 * ALREADY_EXISTS (cid taken), NO_MEMORY, the channel's.
 */
zx_status_t cfv_router_add_guest(cfv_router_t *r, uint32_t cid,
                                 zx_handle_t guest_endpoint);

/*
 * Removes guest cid: its endpoint, connector and acceptor channels and
 * every HostVsockEndpoint bound for it are closed, its pending requests
 * answered, its host ports freed; the CID is free again.  NOT_FOUND if
 * there is no such guest.
 */
zx_status_t cfv_router_remove_guest(cfv_router_t *r, uint32_t cid);

/*
 * Serves fuchsia.virtualization.HostVsockEndpoint for guest cid on
 * server_end (consumed, closed on error too).  The binding ends with the
 * guest.  Errors: NOT_FOUND (no such guest), NO_MEMORY, cfidl_bind's.
 */
zx_status_t cfv_router_bind_host_endpoint(cfv_router_t *r, uint32_t cid,
                                          zx_handle_t server_end);

/*
 * Hybrid (hybrid.h): a guest's connection to host port P with no listener
 * goes to `<path>_<P>`.  path NULL forgets it (the default
 * `<rundir>/vsock-<cid>.sock` is used again).  NOT_FOUND: no such guest;
 * BAD_PATH: too long.
 */
zx_status_t cfv_router_set_hybrid_path(cfv_router_t *r, uint32_t cid,
                                       const char *path);

/* ---- host-initiated connections for in-process users (hybrid) ---- */

typedef struct cfv_router_req cfv_router_req_t;

/*
 * The answer to cfv_router_connect_guest: ZX_OK (the guest accepted; the
 * socket given is now connected to the guest's app and host_port is the
 * host's port), or an error (CONNECTION_REFUSED, NO_RESOURCES, CANCELED,
 * PEER_CLOSED, ...).  The request is freed after the callback.
 */
typedef void (*cfv_router_connect_fn)(void *ctx, zx_status_t status,
                                      uint32_t host_port);

/*
 * As Connect2, for a socket the caller made: allocates a host port and
 * calls the guest's GuestVsockAcceptor.Accept(2, host_port, guest_port,
 * socket).  socket is consumed, even on error.  On ZX_OK cb runs exactly
 * once later (never from inside this call), unless cfv_router_req_cancel
 * is called first; *out_req (may be NULL) names the request until then.
 * Errors (cb never runs): NOT_FOUND (no such guest), NO_RESOURCES (no
 * host port), NO_MEMORY, the channel's.
 */
zx_status_t cfv_router_connect_guest(cfv_router_t *r, uint32_t cid,
                                     uint32_t guest_port, zx_handle_t socket,
                                     cfv_router_connect_fn cb, void *ctx,
                                     cfv_router_req_t **out_req);

/* The callback of req will not run; req is invalid afterwards. */
void cfv_router_req_cancel(cfv_router_req_t *req);

/* ---- introspection (tests, stats) ---- */

typedef struct cfv_router_stats {
	uint32_t guests;
	uint32_t listeners;
	uint32_t host_ports; /* host ports allocated for live connections */
	uint32_t connects_routed;  /* Connect calls answered with a socket */
	uint32_t connects_refused; /* Connect calls answered with an error */
} cfv_router_stats_t;

void cfv_router_get_stats(const cfv_router_t *r, cfv_router_stats_t *out);

#endif /* CFV_ROUTER_H */
