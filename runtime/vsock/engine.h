/*
 * engine.h: the virtio-vsock connection engine.  One engine is one side
 * of one transport: a table of connections keyed by cfv_key_t, each with
 * a data zx socket (the app's connection), per-connection credit, and the
 * pump between the socket and RW packets (design section 4).
 *
 * Single-threaded: everything runs on the loop's thread.  Handlers may
 * call any engine function except cfv_engine_destroy.
 */
#ifndef CFV_ENGINE_H
#define CFV_ENGINE_H

#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

#include "packet.h"
#include "transport.h"

typedef struct cfv_engine cfv_engine_t;

typedef struct cfv_engine_config {
	uint32_t buf_alloc; /* our receive buffer per connection; 256 KiB */
	zx_duration_t close_timeout; /* wait for the peer's RST after our
	                              * SHUTDOWN; default 5 s */
	uint32_t peer_cid; /* if not CFV_CID_ANY: packets whose src_cid
	                    * differs are dropped and counted (forged) */
	/* (Packets whose dst_cid is not the engine's local cid get RST sent
	 * as that cid, unless they are RST or the local cid is
	 * CFV_CID_ANY.) */
} cfv_engine_config_t;

/* Defaults: 256 KiB, 5 s, CFV_CID_ANY. */
void cfv_engine_config_init(cfv_engine_config_t *cfg);

typedef struct cfv_engine_handlers {
	/* A REQUEST for a key with no connection.  Answer now or later with
	 * cfv_engine_accept or cfv_engine_reject.  If the peer gives up
	 * first (RST), on_closed(CONNECTION_RESET) follows for the key. */
	void (*on_request)(void *ctx, const cfv_key_t *key);
	/* Our REQUEST got its RESPONSE: the connection is established. */
	void (*on_connected)(void *ctx, const cfv_key_t *key);
	/* The peer sent SHUTDOWN (flags CFV_SHUTDOWN_*); the engine already
	 * half-closed the socket.  May be followed by on_closed. */
	void (*on_shutdown)(void *ctx, const cfv_key_t *key, uint32_t flags);
	/* The connection is gone and its socket closed.  reason: ZX_OK clean
	 * close (both sides shut, RST exchanged), ZX_ERR_CONNECTION_REFUSED
	 * (RST before RESPONSE), ZX_ERR_CONNECTION_RESET (RST on an
	 * established connection, credit overrun, protocol error),
	 * ZX_ERR_TIMED_OUT (no RST after our SHUTDOWN: forced close),
	 * ZX_ERR_CANCELED (cfv_engine_reset_all).  If the transport dies
	 * (corrupt ring), every connection ends with CONNECTION_RESET. */
	void (*on_closed)(void *ctx, const cfv_key_t *key, zx_status_t reason);
	/* cfv_engine_send_vmo finished (ZX_OK: every byte queued to the
	 * transport) or failed (ZX_ERR_CANCELED: the connection ended). */
	void (*on_vmo_done)(void *ctx, const cfv_key_t *key,
	                    zx_status_t status);
} cfv_engine_handlers_t;

/*
 * transport is borrowed and must outlive the engine; the engine installs
 * its handlers on it.  cfg NULL = defaults; cfg and h are copied.  The
 * caller owns *out.
 */
zx_status_t cfv_engine_create(cfidl_loop_t *loop, cfv_transport_t *transport,
                              uint32_t local_cid,
                              const cfv_engine_config_t *cfg,
                              const cfv_engine_handlers_t *h, void *ctx,
                              cfv_engine_t **out);

/* Drops all connections (no packets, no handlers), frees.  NULL ok. */
void cfv_engine_destroy(cfv_engine_t *e);

void cfv_engine_set_local_cid(cfv_engine_t *e, uint32_t cid);
uint32_t cfv_engine_local_cid(const cfv_engine_t *e);

/* All take `data` (a zx socket end) over, even on error. */

/* Sends REQUEST.  ALREADY_EXISTS if key is in use. */
zx_status_t cfv_engine_connect(cfv_engine_t *e, const cfv_key_t *key,
                               zx_handle_t data);
/* Answers a pending REQUEST with RESPONSE.  NOT_FOUND (no such key),
 * BAD_STATE (key not a pending request). */
zx_status_t cfv_engine_accept(cfv_engine_t *e, const cfv_key_t *key,
                              zx_handle_t data);
/* RST for a pending request (no on_closed).  NOT_FOUND / BAD_STATE. */
zx_status_t cfv_engine_reject(cfv_engine_t *e, const cfv_key_t *key);
/*
 * Graceful: SEND stops the app's writes, sends what it had queued, then
 * SHUTDOWN(SEND); RCV makes the app read EOF and sends SHUTDOWN(RCV).
 * Both: later on_closed (ZX_OK when the peer answers RST, TIMED_OUT).
 * NOT_FOUND; BAD_STATE if not established; INVALID_ARGS for bad flags.
 */
zx_status_t cfv_engine_shutdown(cfv_engine_t *e, const cfv_key_t *key,
                                uint32_t flags);
/* RST now and drop (socket closed); on_closed is not called. */
zx_status_t cfv_engine_reset(cfv_engine_t *e, const cfv_key_t *key);
/*
 * Sends len bytes of vmo from off on an established connection, from a
 * mapping of the VMO (not through the socket), ahead of any socket data
 * not yet read.  vmo is consumed.  BAD_STATE if one is outstanding or the
 * connection cannot send; OUT_OF_RANGE if [off, off+len) is outside the
 * VMO.  On ZX_OK, on_vmo_done follows (never from inside this call).
 */
zx_status_t cfv_engine_send_vmo(cfv_engine_t *e, const cfv_key_t *key,
                                zx_handle_t vmo, uint64_t off, uint64_t len);

/* Transport reset: drop every connection, on_closed(CANCELED) each, no
 * packets. */
void cfv_engine_reset_all(cfv_engine_t *e);

/*
 * Sends a raw header-only packet on key (src_cid = local cid, our
 * buf_alloc; fwd_cnt of the connection if it exists).  For tests and
 * the host's RST-for-unknown.  SHOULD_WAIT if the transport is full.
 */
zx_status_t cfv_engine_send_control(cfv_engine_t *e, const cfv_key_t *key,
                                    uint16_t op, uint32_t flags);

typedef struct cfv_engine_stats {
	uint32_t connections;
	uint64_t bytes_sent, bytes_received;
	uint32_t rst_sent, rst_received, forged_dropped, credit_overruns,
	    credit_updates_sent;
} cfv_engine_stats_t;

void cfv_engine_get_stats(const cfv_engine_t *e, cfv_engine_stats_t *out);

/* Bytes the engine allocates for one idle connection (for the memory
 * benchmark): the connection record itself; no buffers while idle. */
size_t cfv_engine_idle_conn_bytes(void);

#endif /* CFV_ENGINE_H */
