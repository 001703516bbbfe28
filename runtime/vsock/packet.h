/*
 * packet.h: the virtio-vsock packet header (REFERENCE 6) and the
 * connection key every vsock part shares.
 */
#ifndef CFV_PACKET_H
#define CFV_PACKET_H

#include <stdint.h>

#include <cfidl/zx.h>

/* 44 bytes, little-endian, packed; copied with memcpy (we are LE only). */
typedef struct cfv_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed)) cfv_hdr_t;

_Static_assert(sizeof(cfv_hdr_t) == 44, "virtio-vsock header is 44 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the wire header is copied as is: little-endian hosts only");

enum { CFV_TYPE_STREAM = 1, CFV_TYPE_SEQPACKET = 2 };
enum {
	CFV_OP_INVALID = 0,
	CFV_OP_REQUEST = 1,
	CFV_OP_RESPONSE,
	CFV_OP_RST,
	CFV_OP_SHUTDOWN,
	CFV_OP_RW,
	CFV_OP_CREDIT_UPDATE,
	CFV_OP_CREDIT_REQUEST
};

#define CFV_SHUTDOWN_RCV  1u
#define CFV_SHUTDOWN_SEND 2u
#define CFV_SHUTDOWN_BOTH (CFV_SHUTDOWN_RCV | CFV_SHUTDOWN_SEND)

#define CFV_CID_HYPERVISOR 0u
#define CFV_CID_LOCAL      1u
#define CFV_CID_HOST       2u
#define CFV_CID_ANY        0xFFFFFFFFu

#define CFV_MAX_PAYLOAD     65536u
#define CFV_EPHEMERAL_FIRST 49152u
#define CFV_EPHEMERAL_LAST  65535u

/* "REQUEST", ..., or "UNKNOWN"; a static string. */
const char *cfv_op_name(uint16_t op);

/* The connection key, always from this side's point of view. */
typedef struct cfv_key {
	uint32_t local_port;
	uint32_t remote_cid;
	uint32_t remote_port;
} cfv_key_t;

static inline int cfv_key_equal(const cfv_key_t *a, const cfv_key_t *b)
{
	return a->local_port == b->local_port &&
	       a->remote_cid == b->remote_cid &&
	       a->remote_port == b->remote_port;
}

/* The key of a received packet, seen from the receiver. */
static inline cfv_key_t cfv_key_of_rx(const cfv_hdr_t *h)
{
	cfv_key_t k = {h->dst_port, (uint32_t)h->src_cid, h->src_port};

	return k;
}

/*
 * Fills *h for a packet this side sends on key (src = local_cid), with
 * len, buf_alloc and fwd_cnt 0 and type STREAM.
 */
void cfv_hdr_init(cfv_hdr_t *h, uint32_t local_cid, const cfv_key_t *key,
                  uint16_t op, uint32_t flags);

#endif /* CFV_PACKET_H */
