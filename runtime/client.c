/*
 * The async client binding: calls matched to replies by txid, events, and
 * one failure told to everyone once.
 *
 * Pending calls live in a slot array indexed by the txid's low 16 bits
 * (the high bits are the slot's generation), so steady-state calls
 * allocate nothing.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bind_util.h"

#define SLOT_BITS 16
#define MAX_SLOTS ((1u << SLOT_BITS) - 1)
#define SLOT_NONE UINT32_MAX

struct pending {
	cfidl_response_fn cb; /* NULL: free */
	void *ctx;
	zx_txid_t txid;
	uint32_t next_free;
	uint16_t gen;
};

struct cfidl_client {
	cfidl_loop_t *loop;
	zx_handle_t channel;
	cfidl_client_handlers_t handlers;
	void *ctx;
	cfidl_wait_t wait;
	bool armed;
	zx_status_t error; /* sticky once the channel failed */
	int depth;         /* nesting of our callbacks */
	bool destroy_requested;
	struct pending *pend;
	uint32_t npend;
	uint32_t free_slot;
	uint32_t live;
	struct rxbuf *rx;
};

zx_handle_t cfidl_client_channel(const cfidl_client_t *c)
{
	return c->channel;
}

static void client_on_signal(cfidl_loop_t *loop, cfidl_wait_t *wait,
                             zx_status_t status, zx_signals_t observed);

zx_status_t cfidl_client_create(cfidl_loop_t *loop, zx_handle_t channel,
                                const cfidl_client_handlers_t *handlers,
                                void *ctx, cfidl_client_t **out)
{
	cfidl_client_t *c;
	zx_status_t st;

	if (!loop || !out) {
		zx_handle_close(channel);
		return ZX_ERR_INVALID_ARGS;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->rx = malloc(sizeof(*c->rx));
	if (!c || !c->rx) {
		free(c);
		zx_handle_close(channel);
		return ZX_ERR_NO_MEMORY;
	}
	c->loop = loop;
	c->channel = channel;
	if (handlers)
		c->handlers = *handlers;
	c->ctx = ctx;
	c->free_slot = SLOT_NONE;
	c->wait.handler = client_on_signal;
	c->wait.object = channel;
	c->wait.trigger = ZX_CHANNEL_READABLE | ZX_CHANNEL_PEER_CLOSED;
	st = cfidl_wait_begin_blind(loop, &c->wait);
	if (st != ZX_OK) {
		zx_handle_close(channel);
		free(c->rx);
		free(c);
		return st;
	}
	c->armed = true;
	*out = c;
	return ZX_OK;
}

static zx_status_t slot_alloc(cfidl_client_t *c, uint32_t *out)
{
	uint32_t i;

	if (c->free_slot == SLOT_NONE) {
		uint32_t n = c->npend ? c->npend * 2 : 8;
		struct pending *p;

		if (n > MAX_SLOTS)
			n = MAX_SLOTS;
		if (n <= c->npend)
			return ZX_ERR_NO_RESOURCES;
		p = realloc(c->pend, n * sizeof(*p));
		if (!p)
			return ZX_ERR_NO_MEMORY;
		for (i = c->npend; i < n; i++) {
			memset(&p[i], 0, sizeof(p[i]));
			p[i].next_free = i + 1 < n ? i + 1 : SLOT_NONE;
		}
		c->pend = p;
		c->free_slot = c->npend;
		c->npend = n;
	}
	i = c->free_slot;
	c->free_slot = c->pend[i].next_free;
	c->pend[i].gen = (uint16_t)((c->pend[i].gen + 1) & 0x7fff);
	/* Low 16 bits: slot + 1 (never 0); high bit clear. */
	c->pend[i].txid = (zx_txid_t)c->pend[i].gen << SLOT_BITS | (i + 1);
	c->live++;
	*out = i;
	return ZX_OK;
}

static void slot_free(cfidl_client_t *c, uint32_t i)
{
	c->pend[i].cb = NULL;
	c->pend[i].ctx = NULL;
	c->pend[i].next_free = c->free_slot;
	c->free_slot = i;
	c->live--;
}

zx_status_t cfidl_client_call(cfidl_client_t *c, const fidl_outgoing_msg_t *msg,
                              cfidl_response_fn cb, void *cb_ctx)
{
	uint32_t i;
	zx_status_t st;

	if (!c || !msg || !cb ||
	    msg->num_bytes < sizeof(fidl_message_header_t)) {
		if (msg)
			close_dispositions(msg);
		return ZX_ERR_INVALID_ARGS;
	}
	if (c->error != ZX_OK || c->destroy_requested) {
		close_dispositions(msg);
		return c->error != ZX_OK ? c->error : ZX_ERR_BAD_STATE;
	}
	st = slot_alloc(c, &i);
	if (st != ZX_OK) {
		close_dispositions(msg);
		return st;
	}
	((fidl_message_header_t *)msg->bytes)->txid = c->pend[i].txid;
	st = write_msg(c->channel, msg);
	if (st != ZX_OK) {
		slot_free(c, i);
		return st;
	}
	c->pend[i].cb = cb;
	c->pend[i].ctx = cb_ctx;
	return ZX_OK;
}

zx_status_t cfidl_client_send(cfidl_client_t *c, const fidl_outgoing_msg_t *msg)
{
	if (!c || !msg || msg->num_bytes < sizeof(fidl_message_header_t)) {
		if (msg)
			close_dispositions(msg);
		return ZX_ERR_INVALID_ARGS;
	}
	if (c->error != ZX_OK || c->destroy_requested) {
		close_dispositions(msg);
		return c->error != ZX_OK ? c->error : ZX_ERR_BAD_STATE;
	}
	((fidl_message_header_t *)msg->bytes)->txid = 0;
	return write_msg(c->channel, msg);
}

/* Tells every pending call status, once each. */
static void fail_pending(cfidl_client_t *c, zx_status_t status)
{
	for (uint32_t i = 0; i < c->npend; i++) {
		cfidl_response_fn cb = c->pend[i].cb;
		void *ctx = c->pend[i].ctx;

		if (!cb)
			continue;
		slot_free(c, i);
		c->depth++;
		cb(ctx, status, NULL);
		c->depth--;
	}
}

static void client_free(cfidl_client_t *c)
{
	if (c->armed)
		cfidl_wait_cancel(c->loop, &c->wait);
	c->armed = false;
	zx_handle_close(c->channel);
	c->channel = ZX_HANDLE_INVALID;
	if (c->error == ZX_OK)
		c->error = ZX_ERR_CANCELED;
	fail_pending(c, ZX_ERR_CANCELED);
	free(c->pend);
	free(c->rx);
	free(c);
}

/* The channel failed: calls, then on_error, each told once. */
static void client_fail(cfidl_client_t *c, zx_status_t status)
{
	if (c->error != ZX_OK)
		return;
	c->error = status;
	fail_pending(c, status);
	if (c->handlers.on_error) {
		c->depth++;
		c->handlers.on_error(c->ctx, status);
		c->depth--;
	}
}

void cfidl_client_destroy(cfidl_client_t *c)
{
	if (!c)
		return;
	if (c->depth > 0) {
		c->destroy_requested = true;
		return;
	}
	client_free(c);
}

/* Handles one message; false when the client must stop reading. */
static bool client_handle(cfidl_client_t *c, fidl_incoming_msg_t *msg)
{
	const fidl_message_header_t *h = msg->bytes;
	uint32_t i;

	if (!header_ok(msg)) {
		close_infos(msg->handles, msg->num_handles);
		client_fail(c, ZX_ERR_IO);
		return false;
	}
	if (h->ordinal == FIDL_EPITAPH_ORDINAL) {
		zx_status_t err;

		if (fidl_epitaph_decode(msg, &err) != ZX_OK)
			err = ZX_ERR_IO;
		client_fail(c, err);
		return false;
	}
	if (h->txid == 0) {
		if (c->handlers.on_event) {
			c->depth++;
			c->handlers.on_event(c->ctx, msg);
			c->depth--;
		} else {
			close_infos(msg->handles, msg->num_handles);
		}
		return true;
	}
	i = (h->txid & 0xffffu) - 1;
	if (i >= c->npend || !c->pend[i].cb || c->pend[i].txid != h->txid) {
		close_infos(msg->handles, msg->num_handles);
		client_fail(c, ZX_ERR_IO);
		return false;
	}
	{
		cfidl_response_fn cb = c->pend[i].cb;
		void *ctx = c->pend[i].ctx;

		slot_free(c, i);
		c->depth++;
		cb(ctx, ZX_OK, msg);
		c->depth--;
	}
	return true;
}

static void client_on_signal(cfidl_loop_t *loop, cfidl_wait_t *wait,
                             zx_status_t status, zx_signals_t observed)
{
	cfidl_client_t *c =
	    (cfidl_client_t *)((char *)wait - offsetof(cfidl_client_t, wait));
	zx_status_t st;

	(void)observed;
	c->armed = false;
	if (status != ZX_OK) {
		client_fail(c, status);
		goto out;
	}
	for (int k = 0; k < BATCH; k++) {
		uint32_t nb = 0, nh = 0;
		fidl_incoming_msg_t msg;
		bool reply;

		st = zx_channel_read_etc(c->channel, 0, c->rx->bytes,
		                         c->rx->handles, MSG_BYTES, MSG_HANDLES,
		                         &nb, &nh);
		if (st == ZX_ERR_SHOULD_WAIT)
			break;
		if (st != ZX_OK) {
			client_fail(c, st);
			goto out;
		}
		msg.bytes = c->rx->bytes;
		msg.num_bytes = nb;
		msg.handles = c->rx->handles;
		msg.num_handles = nh;
		reply = nb >= sizeof(fidl_message_header_t) &&
		        ((const fidl_message_header_t *)msg.bytes)->txid != 0;
		if (!client_handle(c, &msg) || c->destroy_requested)
			goto out;
		/*
		 * The last reply awaited came: looking for more would most
		 * likely fail.  Epoll reports an event that came meanwhile.
		 */
		if (reply && c->live == 0)
			break;
	}
	if (cfidl_wait_begin_blind(loop, &c->wait) == ZX_OK)
		c->armed = true;
	else
		client_fail(c, ZX_ERR_BAD_STATE);
out:
	if (c->destroy_requested)
		client_free(c);
}
