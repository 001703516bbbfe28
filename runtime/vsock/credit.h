/*
 * credit.h: per-connection virtio-vsock credit accounting (REFERENCE 6).
 * Pure functions over a small struct; every counter wraps at 2^32 and all
 * differences are taken in u32 arithmetic.
 */
#ifndef CFV_CREDIT_H
#define CFV_CREDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

typedef struct cfv_credit {
	uint32_t buf_alloc;      /* our receive buffer */
	uint32_t rx_cnt;         /* payload bytes received from the peer */
	uint32_t fwd_cnt;        /* of those, bytes handed to the app */
	uint32_t last_fwd_sent;  /* fwd_cnt in the last header we sent */
	uint32_t tx_cnt;         /* payload bytes we sent */
	uint32_t peer_buf_alloc; /* from the peer's last header */
	uint32_t peer_fwd_cnt;   /* from the peer's last header */
} cfv_credit_t;

/* Our side with buf_alloc; the peer grants nothing until it speaks. */
void cfv_credit_init(cfv_credit_t *c, uint32_t buf_alloc);

/* Takes the peer's buf_alloc and fwd_cnt from any header it sent. */
void cfv_credit_peer_update(cfv_credit_t *c, uint32_t buf_alloc,
                            uint32_t fwd_cnt);

/*
 * Bytes we may send now: peer_buf_alloc - (tx_cnt - peer_fwd_cnt), or 0
 * when that is "negative" (the peer shrank its buffer, or lies).
 */
uint32_t cfv_credit_tx_room(const cfv_credit_t *c);

/* We sent len payload bytes. */
void cfv_credit_sent(cfv_credit_t *c, uint32_t len);

/*
 * The peer sent len payload bytes: false (nothing counted) if they do not
 * fit in buf_alloc beside the bytes received but not yet forwarded.
 */
bool cfv_credit_rx(cfv_credit_t *c, uint32_t len);

/* Bytes received and not yet handed to the app. */
uint32_t cfv_credit_rx_pending(const cfv_credit_t *c);

/* len received bytes were handed to the app (or dropped on purpose). */
void cfv_credit_forwarded(cfv_credit_t *c, uint32_t len);

/* Stamps our buf_alloc and fwd_cnt into a header we are about to send. */
void cfv_credit_stamp(cfv_credit_t *c, cfv_hdr_t *h);

/*
 * True when the peer's view of our free space is below min(64 KiB,
 * buf_alloc / 2) and we have freed space since we last told it.
 */
bool cfv_credit_update_due(const cfv_credit_t *c);

#endif /* CFV_CREDIT_H */
