/*
 * Server bindings of a channel on a cfidl_loop_t, and epitaphs.
 *
 * Each binding owns one receive buffer (64 KiB, 8-aligned) and 64 handle
 * infos, allocated once, so serving a call allocates nothing.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bind_util.h"

/* ---- epitaphs ---- */

zx_status_t fidl_epitaph_write(zx_handle_t channel, zx_status_t error)
{
	fidl_epitaph_t e;

	memset(&e, 0, sizeof(e));
	fidl_init_header(&e.hdr, 0, FIDL_EPITAPH_ORDINAL, false);
	e.error = error;
	return zx_channel_write(channel, 0, &e, sizeof(e), NULL, 0);
}

bool fidl_is_epitaph(const fidl_incoming_msg_t *msg)
{
	const fidl_message_header_t *h = msg->bytes;

	return msg->num_bytes >= sizeof(*h) &&
	       h->ordinal == FIDL_EPITAPH_ORDINAL;
}

zx_status_t fidl_epitaph_decode(const fidl_incoming_msg_t *msg,
                                zx_status_t *out_error)
{
	fidl_epitaph_t e;

	if (msg->num_handles) {
		close_infos(msg->handles, msg->num_handles);
		return ZX_ERR_INVALID_ARGS;
	}
	if (msg->num_bytes != sizeof(e) || !header_ok(msg))
		return ZX_ERR_INVALID_ARGS;
	memcpy(&e, msg->bytes, sizeof(e));
	if (e.hdr.txid != 0 || e.hdr.ordinal != FIDL_EPITAPH_ORDINAL ||
	    e.reserved != 0)
		return ZX_ERR_INVALID_ARGS;
	*out_error = e.error;
	return ZX_OK;
}

/* ---- server binding ---- */

struct cfidl_binding {
	cfidl_loop_t *loop;
	zx_handle_t channel;
	cfidl_dispatch_fn dispatch;
	void *ctx;
	const void *ops;
	cfidl_unbound_fn unbound;
	cfidl_wait_t wait;
	bool in_dispatch;
	bool close_requested;
	bool burst;     /* the last look found messages queued behind one */
	uint8_t probes; /* wake-ups since the last look behind a call */
	zx_status_t close_epitaph;
	struct rxbuf *rx;
};

static zx_status_t txn_reply(fidl_txn_t *txn, const fidl_outgoing_msg_t *msg)
{
	zx_status_t st;

	if (!msg || msg->num_bytes < sizeof(fidl_message_header_t)) {
		if (msg)
			close_dispositions(msg);
		return ZX_ERR_INVALID_ARGS;
	}
	if (txn->txid == 0) {
		close_dispositions(msg);
		return ZX_ERR_BAD_STATE;
	}
	((fidl_message_header_t *)msg->bytes)->txid = txn->txid;
	txn->txid = 0;
	st = write_msg(txn->channel, msg);
	/* The binding closed its channel: the value names nothing now. */
	if (st == ZX_ERR_BAD_HANDLE)
		st = ZX_ERR_BAD_STATE;
	return st;
}

/* Ends the binding (its wait is not pending). */
static void binding_finish(cfidl_binding_t *b, zx_status_t reason,
                           zx_status_t epitaph)
{
	if (epitaph != ZX_OK)
		fidl_epitaph_write(b->channel, epitaph);
	zx_handle_close(b->channel);
	if (b->unbound)
		b->unbound(b->ctx, reason);
	free(b->rx);
	free(b);
}

static void binding_on_signal(cfidl_loop_t *loop, cfidl_wait_t *wait,
                              zx_status_t status, zx_signals_t observed)
{
	cfidl_binding_t *b =
	    (cfidl_binding_t *)((char *)wait - offsetof(cfidl_binding_t, wait));
	zx_status_t st;

	(void)observed;
	if (status != ZX_OK) {
		binding_finish(b, status, ZX_OK);
		return;
	}
	for (int i = 0; i < BATCH; i++) {
		uint32_t nb = 0, nh = 0;
		fidl_incoming_msg_t msg;
		fidl_txn_t txn;
		bool two_way;

		st = zx_channel_read_etc(b->channel, 0, b->rx->bytes,
		                         b->rx->handles, MSG_BYTES, MSG_HANDLES,
		                         &nb, &nh);
		if (st == ZX_ERR_SHOULD_WAIT) {
			if (i == 1)
				b->burst = false;
			break;
		}
		if (i == 1)
			b->burst = true;
		if (st != ZX_OK) {
			binding_finish(b, st, ZX_OK);
			return;
		}
		msg.bytes = b->rx->bytes;
		msg.num_bytes = nb;
		msg.handles = b->rx->handles;
		msg.num_handles = nh;
		if (!header_ok(&msg)) {
			close_infos(msg.handles, nh);
			binding_finish(b, ZX_ERR_PROTOCOL_NOT_SUPPORTED,
			               ZX_ERR_PROTOCOL_NOT_SUPPORTED);
			return;
		}
		txn.reply = txn_reply;
		txn.channel = b->channel;
		txn.txid = ((fidl_message_header_t *)msg.bytes)->txid;
		two_way = txn.txid != 0;
		b->in_dispatch = true;
		st = b->dispatch(b->ctx, &txn, &msg, b->ops);
		b->in_dispatch = false;
		if (b->close_requested) {
			binding_finish(b, b->close_epitaph, b->close_epitaph);
			return;
		}
		if (st != ZX_OK) {
			binding_finish(b, st, st);
			return;
		}
		/*
		 * A lone call's client waits for this reply before it sends
		 * more: looking for a next message would only fail.  Epoll
		 * reports one if it came; every 16th wake-up looks anyway, to
		 * notice calls that queue up (then read until none is left).
		 */
		if (i == 0 && two_way && !b->burst && ++b->probes % 16 != 0)
			break;
	}
	st = cfidl_wait_begin_blind(loop, &b->wait);
	if (st != ZX_OK)
		binding_finish(b, st, ZX_OK);
}

zx_status_t cfidl_bind_etc(cfidl_loop_t *loop, zx_handle_t channel,
                           cfidl_dispatch_fn dispatch, void *ctx,
                           const void *ops, cfidl_unbound_fn unbound,
                           cfidl_binding_t **out)
{
	cfidl_binding_t *b;
	zx_status_t st;

	if (!loop || !dispatch) {
		zx_handle_close(channel);
		return ZX_ERR_INVALID_ARGS;
	}
	b = calloc(1, sizeof(*b));
	if (b)
		b->rx = malloc(sizeof(*b->rx));
	if (!b || !b->rx) {
		free(b);
		zx_handle_close(channel);
		return ZX_ERR_NO_MEMORY;
	}
	b->loop = loop;
	b->channel = channel;
	b->dispatch = dispatch;
	b->ctx = ctx;
	b->ops = ops;
	b->unbound = unbound;
	b->wait.handler = binding_on_signal;
	b->wait.object = channel;
	b->wait.trigger = ZX_CHANNEL_READABLE | ZX_CHANNEL_PEER_CLOSED;
	st = cfidl_wait_begin_blind(loop, &b->wait);
	if (st != ZX_OK) {
		zx_handle_close(channel);
		free(b->rx);
		free(b);
		return st;
	}
	if (out)
		*out = b;
	return ZX_OK;
}

zx_status_t cfidl_bind(cfidl_loop_t *loop, zx_handle_t channel,
                       cfidl_dispatch_fn dispatch, void *ctx, const void *ops)
{
	return cfidl_bind_etc(loop, channel, dispatch, ctx, ops, NULL, NULL);
}

void cfidl_binding_close(cfidl_binding_t *b, zx_status_t epitaph)
{
	if (!b)
		return;
	if (b->in_dispatch) {
		b->close_requested = true;
		b->close_epitaph = epitaph;
		return;
	}
	cfidl_wait_cancel(b->loop, &b->wait);
	binding_finish(b, epitaph, epitaph);
}
