/*
 * ring.h: a single-producer single-consumer byte ring of packet records,
 * in memory both sides map (the heap for the in-process pair, a memfd VMO
 * between processes).
 *
 * A record is an 8-byte prefix {u32 rec_len, u32 kind}, the 44-byte
 * header, then the payload, padded to 8; a record never wraps: the
 * producer fills the tail end with a PAD record instead.  head and tail
 * are free-running u64 byte counts.  Each side keeps its own copy of its
 * counter and only reads the other's from shared memory, and every
 * record is validated before use: a peer that scribbles on the ring
 * makes cfv_ring_next fail, never us crash.
 */
#ifndef CFV_RING_H
#define CFV_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* Shared control block of one ring; counters on their own cache lines. */
typedef struct cfv_ring_ctl {
	_Atomic uint64_t head; /* written by the producer */
	char pad0[56];
	_Atomic uint64_t tail; /* written by the consumer */
	char pad1[56];
	_Atomic uint32_t consumer_sleeping; /* set by the consumer */
	char pad2[60];
	_Atomic uint32_t producer_waiting; /* set by the producer */
	char pad3[60];
} cfv_ring_ctl_t;

#define CFV_RING_PREFIX    8u
#define CFV_RING_REC_MIN   (CFV_RING_PREFIX + (uint32_t)sizeof(cfv_hdr_t))
#define CFV_RING_MIN_BYTES (256u * 1024u)
#define CFV_RING_MAX_BYTES (64u * 1024u * 1024u)

enum { CFV_REC_PACKET = 1, CFV_REC_PAD = 2 };

typedef struct cfv_ring {
	cfv_ring_ctl_t *ctl; /* shared */
	uint8_t *data;       /* shared, size bytes */
	uint32_t size;       /* power of two */
	uint64_t pos;        /* our own counter: head (producer) or tail */
	uint64_t resv_at;    /* producer: where the reserved record starts */
	uint32_t resv_pad;   /* producer: PAD bytes before it (wrap) */
	uint32_t cur_len;    /* consumer: length of the record handed out */
} cfv_ring_t;

/* True if size is a power of two in [MIN, MAX]. */
bool cfv_ring_size_ok(size_t size);

/*
 * Attaches to ctl and data (the caller's memory, kept alive by it).  A
 * producer reads its start from ctl->head, a consumer from ctl->tail.
 * reset zeroes the control block (only the creator does that).
 */
void cfv_ring_init(cfv_ring_t *r, cfv_ring_ctl_t *ctl, void *data,
                   uint32_t size, bool producer, bool reset);

/*
 * Producer: the largest payload that one record could carry now (0: no
 * room even for a header), at most CFV_MAX_PAYLOAD.  -1 if the consumer's
 * tail is impossible (corrupt ring).
 */
long cfv_ring_room(const cfv_ring_t *r);

/* Producer: whether a record with len payload bytes fits now. */
bool cfv_ring_fits(const cfv_ring_t *r, size_t len);

/*
 * Producer: reserves a record for up to want payload bytes (want >= 1 or
 * 0 for a header only).  Returns where the payload goes and sets *got to
 * the payload room there (>= min(want, something > 0)); NULL when there
 * is no room.  Nothing is visible until cfv_ring_commit; a reservation
 * that is not committed is simply forgotten by the next reserve.
 */
void *cfv_ring_reserve(cfv_ring_t *r, size_t want, size_t *got);

/* Producer: writes hdr (hdr->len <= the reserved room) and publishes. */
void cfv_ring_commit(cfv_ring_t *r, const cfv_hdr_t *hdr);

/*
 * Consumer: the next packet.  1: *hdr is a copy of its header and
 * *payload points at hdr->len bytes in the ring (valid until
 * cfv_ring_consume); 0: empty; -1: corrupt ring.
 */
int cfv_ring_next(cfv_ring_t *r, cfv_hdr_t *hdr, const void **payload);

/* Consumer: releases the packet cfv_ring_next returned. */
void cfv_ring_consume(cfv_ring_t *r);

/* Consumer: true if the producer published something we did not take. */
bool cfv_ring_has_data(const cfv_ring_t *r);

#endif /* CFV_RING_H */
