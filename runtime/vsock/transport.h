/*
 * transport.h: how an engine exchanges packets with its peer.  Two
 * transports, both over SPSC rings of packet records (ring.h): an
 * in-process pair on one loop (tests, benchmarks) and shared memory
 * between processes (a memfd VMO, zx events as doorbells).
 *
 * Everything runs on the loop's thread.  Packets are delivered from the
 * loop, in batches, never from inside cfv_transport_send; the payload a
 * handler gets points into the ring (no copy) and is valid only during
 * the call.  A side wakes its peer only when the peer may be asleep.
 */
#ifndef CFV_TRANSPORT_H
#define CFV_TRANSPORT_H

#include <stddef.h>
#include <sys/uio.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

#include "packet.h"

typedef struct cfv_transport cfv_transport_t;

typedef struct cfv_transport_handlers {
	/* One packet from the peer; payload (hdr->len bytes) is valid only
	 * during the call. */
	void (*on_packet)(void *ctx, const cfv_hdr_t *hdr, const void *payload);
	/* Room appeared after cfv_transport_send returned ZX_ERR_SHOULD_WAIT
	 * (or cfv_transport_reserve returned NULL). */
	void (*on_writable)(void *ctx);
	/* Optional (NULL ok): the peer corrupted the ring; the transport is
	 * dead (sends give ZX_ERR_BAD_STATE, nothing more is delivered). */
	void (*on_error)(void *ctx, zx_status_t status);
} cfv_transport_handlers_t;

/* h is copied; ctx is passed to every handler. */
void cfv_transport_set_handlers(cfv_transport_t *t,
                                const cfv_transport_handlers_t *h, void *ctx);

/*
 * Copies one packet (hdr, then payload gathered from iov; hdr->len must
 * equal the iov total, <= CFV_MAX_PAYLOAD) into the outgoing ring.  hdr
 * and iov stay the caller's.  ZX_ERR_SHOULD_WAIT: no room, nothing
 * queued, on_writable follows.  ZX_ERR_INVALID_ARGS: bad length.
 * ZX_ERR_BAD_STATE: the transport is dead.
 */
zx_status_t cfv_transport_send(cfv_transport_t *t, const cfv_hdr_t *hdr,
                               const struct iovec *iov, int iovcnt);

/* Largest payload that would fit now (0: full). */
size_t cfv_transport_room(const cfv_transport_t *t);

/*
 * Zero-copy sending (additive to the design): reserves one packet with
 * room for up to want payload bytes and returns where the payload goes
 * (in the ring; *got bytes, 1 <= *got <= want when want > 0).  NULL: no
 * room (on_writable follows) or dead.  Fill the payload, then
 * cfv_transport_commit with hdr->len <= *got; or just drop the
 * reservation (call nothing).  No other send may come in between.
 */
void *cfv_transport_reserve(cfv_transport_t *t, size_t want, size_t *got);
void cfv_transport_commit(cfv_transport_t *t, const cfv_hdr_t *hdr);

/* Not from one of t's handlers.  NULL ok. */
void cfv_transport_destroy(cfv_transport_t *t);

/* Default ring size, each way. */
#define CFV_TRANSPORT_RING_DEFAULT (1024u * 1024u)

/*
 * In-process: two connected ends on one loop (tests, benchmarks).
 * ring_bytes: each direction's ring (0 = default; else a power of two in
 * [256 KiB, 64 MiB], or ZX_ERR_INVALID_ARGS).  The caller owns *a and *b
 * and destroys them before the loop.
 */
zx_status_t cfv_transport_pair_create(cfidl_loop_t *loop, size_t ring_bytes,
                                      cfv_transport_t **a, cfv_transport_t **b);

/* Shared memory between processes: the host creates; the three handles
 * go to the guest. */
typedef struct cfv_shm_handles {
	zx_handle_t rings;          /* VMO: both rings */
	zx_handle_t guest_doorbell; /* event the guest waits on */
	zx_handle_t host_doorbell;  /* event the host waits on */
} cfv_shm_handles_t;

/*
 * Creates the rings (ring_bytes each way, as for the pair) and the host's
 * end.  The caller owns *host_end and the handles in *for_guest.
 */
zx_status_t cfv_shm_transport_create(cfidl_loop_t *loop, size_t ring_bytes,
                                     cfv_transport_t **host_end,
                                     cfv_shm_handles_t *for_guest);

/*
 * The guest's end over handles from cfv_shm_transport_create.  The
 * handles are consumed, even on error (ZX_ERR_INVALID_ARGS for a VMO
 * whose layout is wrong).  The caller owns *guest_end.
 */
zx_status_t cfv_shm_transport_open(cfidl_loop_t *loop,
                                   cfv_shm_handles_t *handles,
                                   cfv_transport_t **guest_end);

#endif /* CFV_TRANSPORT_H */
