/*
 * host_half.h: the host half of the virtio-vsock device for one guest
 * (owner B), as Fuchsia's VMM virtio_vsock device is.
 *
 * It speaks packets with the guest's Device through a transport (via the
 * connection engine, engine.h) and FIDL with the Router:
 *  - it SERVES fuchsia.virtualization.GuestVsockEndpoint.  SetContextId
 *    gives it a HostVsockConnector client end (the Router) and a
 *    GuestVsockAcceptor server end, which it serves too;
 *  - a guest REQUEST becomes HostVsockConnector.Connect(guest cid, guest
 *    port, 2, host port); a socket back accepts (RESPONSE), an error
 *    rejects (RST);
 *  - GuestVsockAcceptor.Accept(src_cid, src_port = host port, port =
 *    guest port, socket) sends a REQUEST and replies when the guest
 *    answers: RESPONSE -> ok, RST -> ZX_ERR_CONNECTION_REFUSED, no answer
 *    within connect_timeout -> ZX_ERR_TIMED_OUT (the request is reset).
 *    A host port already used by a host-initiated connection to this guest,
 *    or quarantined, gives ZX_ERR_ALREADY_BOUND;
 *  - GuestVsockEndpoint.OnShutdown(src_cid = guest cid, src_port = guest
 *    port, dst_cid = 2, dst_port = host port) is sent once for every
 *    connection that was established (either side initiated), when it is
 *    gone: at once after a clean close, a reset or a transport reset; after
 *    the quarantine when it ended in a forced close (so a Router freeing
 *    the host port on OnShutdown never reuses it early).  Spurious packets
 *    and refused requests send none (as Fuchsia's
 *    SpuriousPacketsDoNotNotifyEndpoints).
 *
 * Policy: packets whose src_cid is not the guest's CID are dropped and
 * counted (engine peer_cid: a guest that forges its CID is refused).  A
 * forced close (the guest never answered our SHUTDOWN with RST) of a
 * host-initiated connection quarantines its host port for `quarantine`
 * (port_manager.h).  RST for unknown connections, never for an RST, is
 * the engine's rule.
 *
 * Connection states (REFERENCE 6): guest-initiated (REQUEST received,
 * Connect pending), client-initiated (our REQUEST sent, Accept pending),
 * read-write, guest-initiated shutdown (the guest sent SHUTDOWN),
 * client-initiated shutdown and the shutdown-clean/shutdown-forced ends
 * (inside the engine; reported here through on_closed).
 *
 * Everything runs on the loop's thread; not thread-safe.  Destroy the
 * host half before its transport and its loop.
 */
#ifndef CFV_HOST_HALF_H
#define CFV_HOST_HALF_H

#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

#include "engine.h"
#include "transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cfv_host_half cfv_host_half_t;

typedef struct cfv_host_half_config {
	cfv_engine_config_t engine;    /* peer_cid is set by the host half */
	zx_duration_t quarantine;      /* default CFV_PORT_QUARANTINE (10 s) */
	zx_duration_t connect_timeout; /* Accept's wait for the guest; 10 s */
} cfv_host_half_config_t;

/* Fills *cfg with the defaults. */
void cfv_host_half_config_init(cfv_host_half_config_t *cfg);

typedef struct cfv_host_half_stats {
	cfv_engine_stats_t engine;
	uint32_t guest_connects;  /* guest REQUESTs passed to Connect */
	uint32_t guest_refused;   /* of those, answered with RST */
	uint32_t host_accepts;    /* Accept calls that sent a REQUEST */
	uint32_t host_refused;    /* Accept calls answered with an error */
	uint32_t forced_closes;   /* connections that ended TIMED_OUT */
	uint32_t shutdown_events; /* OnShutdown events sent */
	uint32_t live;            /* connections the host half tracks now */
} cfv_host_half_stats_t;

/*
 * Creates the host half of guest guest_cid on transport (borrowed: it must
 * outlive the host half).  The host's CID is CFV_CID_HOST.  The caller
 * owns *out.  Errors: INVALID_ARGS, NO_MEMORY, the engine's.
 */
zx_status_t cfv_host_half_create(cfidl_loop_t *loop, cfv_transport_t *transport,
                                 uint32_t guest_cid, cfv_host_half_t **out);

/* As cfv_host_half_create, with a config (NULL = defaults). */
zx_status_t cfv_host_half_create_etc(cfidl_loop_t *loop,
                                     cfv_transport_t *transport,
                                     uint32_t guest_cid,
                                     const cfv_host_half_config_t *cfg,
                                     cfv_host_half_t **out);

/*
 * Serves fuchsia.virtualization.GuestVsockEndpoint on server_end
 * (consumed, closed on error too).  One endpoint at a time: ALREADY_BOUND
 * while one is served.  SetContextId must name the guest's CID (else the
 * endpoint is closed with ZX_ERR_INVALID_ARGS as epitaph); a second
 * SetContextId replaces the connector and acceptor.
 */
zx_status_t cfv_host_half_bind_endpoint(cfv_host_half_t *hh,
                                        zx_handle_t server_end);

/*
 * The transport was reset: every connection is dropped without a packet
 * (sockets closed, pending Accepts answered ZX_ERR_CANCELED, pending
 * Connects' sockets closed when they come, OnShutdown sent for the
 * established ones), and the guest is new_cid from now on (its old CID
 * becomes forged).  Quarantines stay.  Errors: NO_MEMORY, the engine's
 * (then the host half refuses every packet until a later reset works).
 */
zx_status_t cfv_host_half_transport_reset(cfv_host_half_t *hh,
                                          uint32_t new_cid);

/* The guest's CID now. */
uint32_t cfv_host_half_guest_cid(const cfv_host_half_t *hh);

void cfv_host_half_get_stats(const cfv_host_half_t *hh,
                             cfv_host_half_stats_t *out);

/*
 * Resets every connection (RST to the guest, sockets closed), closes the
 * endpoint, acceptor and connector channels and frees the host half.
 * Pending OnShutdowns are dropped.  NULL ok.  Not from inside one of the
 * host half's own callbacks.
 */
void cfv_host_half_destroy(cfv_host_half_t *hh);

#ifdef __cplusplus
}
#endif

#endif /* CFV_HOST_HALF_H */
