/*
 * device.h: the guest's vsock driver.  It serves
 * fuchsia.hardware.vsock.Device (Start, SendRequest, SendShutdown,
 * SendRst, SendResponse, GetCid, SendVmo) and reports what its host does
 * through the Callbacks given to Start, on top of the connection engine
 * (engine.h) over one transport (transport.h).
 *
 * Mapping (Addr is the key: local_port = ours, remote = the host's side):
 *   SendRequest  -> cfv_engine_connect   (REQUEST)
 *   SendResponse -> cfv_engine_accept    (RESPONSE)
 *   SendShutdown -> cfv_engine_shutdown(SEND|RCV): queued socket data is
 *                   sent first, later app writes fail, then SHUTDOWN
 *   SendRst      -> cfv_engine_reject (pending request) or cfv_engine_reset
 *   SendVmo      -> cfv_engine_send_vmo
 *   on_request   -> Callbacks.Request     on_connected -> Callbacks.Response
 *   on_shutdown  -> Callbacks.Shutdown    on_vmo_done  ->
 * Callbacks.SendVmoComplete on_closed    -> Callbacks.Rst (the connection is
 * gone, whatever the reason, except a transport reset, which the service learns
 * from Callbacks.TransportReset)
 *
 * Choices: a REQUEST before Start is refused (RST).  Callbacks are sent in
 * order; if the Callbacks channel is full they wait in a FIFO (one entry
 * per event, so bounded by the connections) until it drains.  While a
 * TransportReset waits for its reply, SendRequest fails with
 * ZX_ERR_BAD_STATE (it may name a connection from before the reset).  When
 * the Callbacks or the Device channel closes the device stops: every
 * connection is dropped (nothing sent), and a new bind/Start may follow.
 */
#ifndef CFV_DEVICE_H
#define CFV_DEVICE_H

#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

#include "engine.h"
#include "transport.h"

typedef struct cfv_device cfv_device_t;

/*
 * Creates the device with its engine on transport (borrowed; it must
 * outlive the device).  cfg NULL = engine defaults.  The caller owns *out.
 */
zx_status_t cfv_device_create(cfidl_loop_t *loop, cfv_transport_t *transport,
                              uint32_t local_cid, cfv_device_t **out);
zx_status_t cfv_device_create_etc(cfidl_loop_t *loop,
                                  cfv_transport_t *transport,
                                  uint32_t local_cid,
                                  const cfv_engine_config_t *cfg,
                                  cfv_device_t **out);

/*
 * Serves fuchsia.hardware.vsock.Device on server_end (consumed, even on
 * error).  One Device channel at a time: ZX_ERR_ALREADY_BOUND otherwise.
 */
zx_status_t cfv_device_bind(cfv_device_t *dev, zx_handle_t server_end);

/*
 * The host reset the transport: drops every connection (no packets),
 * takes new_cid and calls Callbacks.TransportReset(new_cid).
 */
void cfv_device_transport_reset(cfv_device_t *dev, uint32_t new_cid);

/* The engine's counters. */
void cfv_device_get_stats(const cfv_device_t *dev, cfv_engine_stats_t *out);

/* Drops every connection (no packets), closes the channels.  NULL ok.
 * Not from one of the device's own handlers. */
void cfv_device_destroy(cfv_device_t *dev);

#endif /* CFV_DEVICE_H */
