/* ring.c: SPSC rings of packet records (see ring.h). */
#include <string.h>

#include "ring.h"

#define ALIGN8(x) (((x) + 7u) & ~(uint64_t)7u)

struct prefix {
	uint32_t rec_len;
	uint32_t kind;
};

bool cfv_ring_size_ok(size_t size)
{
	return size >= CFV_RING_MIN_BYTES && size <= CFV_RING_MAX_BYTES &&
	       (size & (size - 1)) == 0;
}

void cfv_ring_init(cfv_ring_t *r, cfv_ring_ctl_t *ctl, void *data,
                   uint32_t size, bool producer, bool reset)
{
	if (reset)
		memset(ctl, 0, sizeof(*ctl));
	r->ctl = ctl;
	r->data = data;
	r->size = size;
	r->pos = producer ? atomic_load(&ctl->head) : atomic_load(&ctl->tail);
	r->resv_at = r->pos;
	r->resv_pad = 0;
}

/* Free bytes, or -1 if the consumer's tail cannot be right. */
static long ring_free(const cfv_ring_t *r)
{
	uint64_t tail =
	    atomic_load_explicit(&r->ctl->tail, memory_order_acquire);
	uint64_t used = r->pos - tail;

	if (used > r->size || (tail & 7u))
		return -1;
	return (long)(r->size - used);
}

/* Payload bytes a record of at most bytes can carry (0 if none fits). */
static size_t payload_room(uint64_t bytes)
{
	if (bytes < CFV_RING_REC_MIN)
		return 0;
	bytes -= CFV_RING_REC_MIN;
	return bytes > CFV_MAX_PAYLOAD ? CFV_MAX_PAYLOAD : (size_t)bytes;
}

/* Contiguous free bytes at the current position and, after a wrap, at 0. */
static void spans(const cfv_ring_t *r, long free, uint64_t *here,
                  uint64_t *wrapped)
{
	uint64_t to_end = r->size - (r->pos & (r->size - 1));

	*here = (uint64_t)free < to_end ? (uint64_t)free : to_end;
	*wrapped = (uint64_t)free > to_end ? (uint64_t)free - to_end : 0;
}

long cfv_ring_room(const cfv_ring_t *r)
{
	long free = ring_free(r);
	uint64_t here, wrapped;
	size_t a, b;

	if (free < 0)
		return -1;
	spans(r, free, &here, &wrapped);
	a = payload_room(here);
	b = payload_room(wrapped);
	return (long)(a > b ? a : b);
}

bool cfv_ring_fits(const cfv_ring_t *r, size_t len)
{
	long free = ring_free(r);
	uint64_t here, wrapped, need;

	if (free < 0 || len > CFV_MAX_PAYLOAD)
		return false;
	need = ALIGN8(CFV_RING_REC_MIN + (uint64_t)len);
	spans(r, free, &here, &wrapped);
	return here >= need || wrapped >= need;
}

void *cfv_ring_reserve(cfv_ring_t *r, size_t want, size_t *got)
{
	long free = ring_free(r);
	uint64_t here, wrapped, need;
	size_t room_here, room_wrapped;

	*got = 0;
	if (free < 0)
		return NULL;
	if (want > CFV_MAX_PAYLOAD)
		want = CFV_MAX_PAYLOAD;
	need = ALIGN8(CFV_RING_REC_MIN); /* one record, even header-only */
	spans(r, free, &here, &wrapped);
	room_here = payload_room(here);
	room_wrapped = payload_room(wrapped);
	/* Stay here when it fits, or when wrapping gains nothing. */
	if (here >= need && (room_here >= want || room_here >= room_wrapped)) {
		r->resv_at = r->pos;
		r->resv_pad = 0;
		*got = room_here < want ? room_here : want;
		return r->data + (r->pos & (r->size - 1)) + CFV_RING_REC_MIN;
	}
	if (wrapped < need)
		return NULL;
	r->resv_pad = (uint32_t)here;
	r->resv_at = r->pos + here;
	*got = room_wrapped < want ? room_wrapped : want;
	return r->data + CFV_RING_REC_MIN;
}

void cfv_ring_commit(cfv_ring_t *r, const cfv_hdr_t *hdr)
{
	uint64_t rec = ALIGN8(CFV_RING_REC_MIN + (uint64_t)hdr->len);
	uint8_t *at = r->data + (r->resv_at & (r->size - 1));
	struct prefix p = {(uint32_t)rec, CFV_REC_PACKET};

	if (r->resv_pad) {
		struct prefix pad = {r->resv_pad, CFV_REC_PAD};

		memcpy(r->data + (r->pos & (r->size - 1)), &pad, sizeof(pad));
	}
	memcpy(at, &p, sizeof(p));
	memcpy(at + CFV_RING_PREFIX, hdr, sizeof(*hdr));
	r->pos = r->resv_at + rec;
	r->resv_at = r->pos;
	r->resv_pad = 0;
	atomic_store_explicit(&r->ctl->head, r->pos, memory_order_release);
}

bool cfv_ring_has_data(const cfv_ring_t *r)
{
	return atomic_load_explicit(&r->ctl->head, memory_order_acquire) !=
	       r->pos;
}

int cfv_ring_next(cfv_ring_t *r, cfv_hdr_t *hdr, const void **payload)
{
	for (;;) {
		uint64_t head =
		    atomic_load_explicit(&r->ctl->head, memory_order_acquire);
		uint64_t avail = head - r->pos;
		uint64_t idx = r->pos & (r->size - 1);
		uint64_t to_end = r->size - idx;
		struct prefix p;

		if (avail == 0)
			return 0;
		if (avail > r->size || (avail & 7u) || avail < 8)
			return -1;
		memcpy(&p, r->data + idx, sizeof(p));
		if ((p.rec_len & 7u) || p.rec_len < 8 || p.rec_len > to_end ||
		    p.rec_len > avail)
			return -1;
		if (p.kind == CFV_REC_PAD) {
			if (p.rec_len != to_end)
				return -1;
			r->pos += p.rec_len;
			atomic_store_explicit(&r->ctl->tail, r->pos,
			                      memory_order_release);
			continue;
		}
		if (p.kind != CFV_REC_PACKET || p.rec_len < CFV_RING_REC_MIN)
			return -1;
		memcpy(hdr, r->data + idx + CFV_RING_PREFIX, sizeof(*hdr));
		if (hdr->len > CFV_MAX_PAYLOAD ||
		    ALIGN8(CFV_RING_REC_MIN + (uint64_t)hdr->len) != p.rec_len)
			return -1;
		*payload = r->data + idx + CFV_RING_REC_MIN;
		r->cur_len = p.rec_len;
		return 1;
	}
}

void cfv_ring_consume(cfv_ring_t *r)
{
	/* The length validated by cfv_ring_next, not the shared prefix,
	 * which the peer may have changed since. */
	r->pos += r->cur_len;
	r->cur_len = 0;
	atomic_store_explicit(&r->ctl->tail, r->pos, memory_order_release);
}
