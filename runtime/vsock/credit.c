/* credit.c: virtio-vsock credit arithmetic (u32 wrapping everywhere). */
#include "credit.h"

void cfv_credit_init(cfv_credit_t *c, uint32_t buf_alloc)
{
	*c = (cfv_credit_t){0};
	c->buf_alloc = buf_alloc;
}

void cfv_credit_peer_update(cfv_credit_t *c, uint32_t buf_alloc,
                            uint32_t fwd_cnt)
{
	c->peer_buf_alloc = buf_alloc;
	c->peer_fwd_cnt = fwd_cnt;
}

uint32_t cfv_credit_tx_room(const cfv_credit_t *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0
	                                      : c->peer_buf_alloc - in_flight;
}

void cfv_credit_sent(cfv_credit_t *c, uint32_t len)
{
	c->tx_cnt += len;
}

bool cfv_credit_rx(cfv_credit_t *c, uint32_t len)
{
	uint32_t pending = c->rx_cnt - c->fwd_cnt;

	if (pending > c->buf_alloc || len > c->buf_alloc - pending)
		return false;
	c->rx_cnt += len;
	return true;
}

uint32_t cfv_credit_rx_pending(const cfv_credit_t *c)
{
	return c->rx_cnt - c->fwd_cnt;
}

void cfv_credit_forwarded(cfv_credit_t *c, uint32_t len)
{
	c->fwd_cnt += len;
}

void cfv_credit_stamp(cfv_credit_t *c, cfv_hdr_t *h)
{
	h->buf_alloc = c->buf_alloc;
	h->fwd_cnt = c->fwd_cnt;
	c->last_fwd_sent = c->fwd_cnt;
}

bool cfv_credit_update_due(const cfv_credit_t *c)
{
	uint32_t seen_used = c->rx_cnt - c->last_fwd_sent;
	uint32_t low = c->buf_alloc / 2 < 65536u ? c->buf_alloc / 2 : 65536u;
	uint32_t seen_free =
	    seen_used >= c->buf_alloc ? 0 : c->buf_alloc - seen_used;

	return c->fwd_cnt != c->last_fwd_sent && seen_free < low;
}
