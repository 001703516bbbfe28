/*
 * service.h: the guest's vsock service (fuchsia.vsock Connector, Acceptor,
 * Connection) on top of a fuchsia.hardware.vsock Device, spoken only
 * through the generated bindings.
 *
 * Choices where the seeds are silent (see service.c for the details):
 * - Connect takes the lowest free ephemeral port (49152..65535 by default),
 *   as Fuchsia's service does; a port is free again when its connection
 *   ends (Callbacks.Rst, refusal, transport reset).
 * - The data socket is the connection's life: closing the Connection
 *   channel alone does not close the connection; closing the socket does
 *   (the Device shuts it down and reports Callbacks.Rst when it is gone).
 * - The Connection channel is closed (no epitaph) when the connection is
 *   gone, and with epitaph ZX_ERR_CONNECTION_RESET on a transport reset.
 * - Accept calls wait in order while the Acceptor channel is full (the
 *   host's REQUEST is not refused for that); they are refused (RST) when
 *   the Acceptor goes away.  A reply the app does not read before its
 *   channel fills is lost (a runtime limit: replies are not queued).
 * - A Connect still waiting for its Response when the transport resets,
 *   or refused (Rst before Response), replies ZX_ERR_UNAVAILABLE.
 */
#ifndef CFV_SERVICE_H
#define CFV_SERVICE_H

#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

typedef struct cfv_service cfv_service_t;

typedef struct cfv_service_config {
	/* The ephemeral range Connect allocates from (inclusive).  Listen
	 * refuses ports inside it with ZX_ERR_UNAVAILABLE. */
	uint32_t ephemeral_first;
	uint32_t ephemeral_last;
} cfv_service_config_t;

/* Fills cfg with the defaults (49152..65535). */
void cfv_service_config_init(cfv_service_config_t *cfg);

/*
 * Creates the service on loop over a fuchsia.hardware.vsock.Device client
 * end (consumed, even on error): calls Device.Start with a Callbacks
 * channel the service serves, then Device.GetCid.  The caller owns *out.
 */
zx_status_t cfv_service_create(cfidl_loop_t *loop,
                               zx_handle_t device_client_end,
                               cfv_service_t **out);
/* As cfv_service_create with a config (NULL = defaults). */
zx_status_t cfv_service_create_etc(cfidl_loop_t *loop,
                                   zx_handle_t device_client_end,
                                   const cfv_service_config_t *cfg,
                                   cfv_service_t **out);

/* Serves fuchsia.vsock.Connector on server_end (consumed, even on error).
 * Any number of Connector channels may be bound. */
zx_status_t cfv_service_bind_connector(cfv_service_t *svc,
                                       zx_handle_t server_end);

/* The local CID as last learnt (GetCid, TransportReset); 0 until known. */
uint32_t cfv_service_cid(const cfv_service_t *svc);

/* Start's status: ZX_ERR_SHOULD_WAIT until Device.Start replied, then its
 * status (or the Device channel's error). */
zx_status_t cfv_service_start_status(const cfv_service_t *svc);

/* Number of live connections (connecting, accepting or established). */
uint32_t cfv_service_connection_count(const cfv_service_t *svc);

/*
 * Drops everything: every Connection, listener and Connector channel is
 * closed, the Device channel too (so the Device stops).  Sends nothing.
 * NULL ok.  Must not be called from one of the service's own handlers.
 */
void cfv_service_destroy(cfv_service_t *svc);

#endif /* CFV_SERVICE_H */
