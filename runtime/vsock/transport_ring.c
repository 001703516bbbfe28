/*
 * transport_ring.c: sending, batched delivery and the sleep/kick protocol
 * shared by the pair and shm transports.
 *
 * A consumer that finds its ring empty sets consumer_sleeping, then looks
 * once more; a producer that published checks the flag and kicks only if
 * it was set (exchanging it back to 0, so one kick per sleep).  A
 * producer without room sets producer_waiting; the consumer kicks it back
 * at the end of a batch.  The seq_cst fences on both sides make the
 * "publish, then check the flag" / "set the flag, then check" pairs safe.
 */
#include <string.h>

#include "transport_ring.h"

/* Packets delivered per poll before yielding to the loop. */
#define POLL_BUDGET 512

static void soon_handler(cfidl_loop_t *loop, cfidl_task_t *task,
                         zx_status_t status)
{
	cfv_transport_t *t =
	    (cfv_transport_t *)((char *)task - offsetof(cfv_transport_t, soon));

	(void)loop;
	if (status == ZX_OK)
		cfv_tring_poll(t);
}

void cfv_tring_poll_soon(cfv_transport_t *t)
{
	t->soon.deadline = 0;
	/* ALREADY_EXISTS: a poll is already due, which is all we want. */
	(void)cfidl_task_post(t->loop, &t->soon);
}

void cfv_tring_start(cfv_transport_t *t, cfidl_loop_t *loop,
                     const struct cfv_transport_ops *ops)
{
	t->ops = ops;
	t->loop = loop;
	memset(&t->soon, 0, sizeof(t->soon));
	t->soon.handler = soon_handler;
	cfv_tring_poll_soon(t);
}

void cfv_tring_stop(cfv_transport_t *t)
{
	(void)cfidl_task_cancel(t->loop, &t->soon);
}

void cfv_transport_set_handlers(cfv_transport_t *t,
                                const cfv_transport_handlers_t *h, void *ctx)
{
	t->h = *h;
	t->ctx = ctx;
}

static void fail(cfv_transport_t *t)
{
	if (t->dead)
		return;
	t->dead = true;
	if (t->h.on_error)
		t->h.on_error(t->ctx, ZX_ERR_IO_DATA_INTEGRITY);
}

/* After publishing: wake the consumer if it went to sleep. */
static void published(cfv_transport_t *t)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&t->tx.ctl->consumer_sleeping,
	                         memory_order_relaxed) &&
	    atomic_exchange(&t->tx.ctl->consumer_sleeping, 0))
		t->ops->kick(t);
}

/* Ask the consumer to kick us when it has taken something. */
static void wait_room(cfv_transport_t *t)
{
	atomic_store(&t->tx.ctl->producer_waiting, 1);
	atomic_thread_fence(memory_order_seq_cst);
	/* It may have drained everything just before seeing our flag. */
	if (cfv_ring_fits(&t->tx, t->want_room))
		cfv_tring_poll_soon(t);
}

/* No room for len payload bytes: on_writable once there is. */
static void need_room(cfv_transport_t *t, size_t len)
{
	t->want_writable = true;
	t->want_room = len;
	wait_room(t);
}

size_t cfv_transport_room(const cfv_transport_t *t)
{
	long r;

	if (t->dead)
		return 0;
	r = cfv_ring_room(&t->tx);
	return r < 0 ? 0 : (size_t)r;
}

void *cfv_transport_reserve(cfv_transport_t *t, size_t want, size_t *got)
{
	void *p;

	*got = 0;
	if (t->dead)
		return NULL;
	if (cfv_ring_room(&t->tx) < 0) {
		fail(t);
		return NULL;
	}
	p = cfv_ring_reserve(&t->tx, want, got);
	if (!p || (want > 0 && *got == 0)) {
		need_room(t, want ? 1 : 0);
		*got = 0;
		return NULL;
	}
	return p;
}

void cfv_transport_commit(cfv_transport_t *t, const cfv_hdr_t *hdr)
{
	cfv_ring_commit(&t->tx, hdr);
	published(t);
}

zx_status_t cfv_transport_send(cfv_transport_t *t, const cfv_hdr_t *hdr,
                               const struct iovec *iov, int iovcnt)
{
	size_t total = 0, got;
	uint8_t *p;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total != hdr->len || total > CFV_MAX_PAYLOAD || iovcnt < 0)
		return ZX_ERR_INVALID_ARGS;
	if (t->dead)
		return ZX_ERR_BAD_STATE;
	p = cfv_transport_reserve(t, total, &got);
	if (!p || got < total) {
		if (t->dead)
			return ZX_ERR_BAD_STATE;
		need_room(t, total);
		return ZX_ERR_SHOULD_WAIT;
	}
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len)
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	cfv_transport_commit(t, hdr);
	return ZX_OK;
}

void cfv_tring_poll(cfv_transport_t *t)
{
	int budget = POLL_BUDGET;
	cfv_hdr_t hdr;
	const void *payload;

	while (!t->dead) {
		int r = cfv_ring_next(&t->rx, &hdr, &payload);

		if (r < 0) {
			fail(t);
			return;
		}
		if (r == 0) {
			atomic_store(&t->rx.ctl->consumer_sleeping, 1);
			atomic_thread_fence(memory_order_seq_cst);
			if (!cfv_ring_has_data(&t->rx))
				break;
			atomic_store(&t->rx.ctl->consumer_sleeping, 0);
			continue;
		}
		if (budget-- == 0) {
			cfv_tring_poll_soon(t);
			break;
		}
		if (t->h.on_packet)
			t->h.on_packet(t->ctx, &hdr, payload);
		cfv_ring_consume(&t->rx);
	}
	if (t->dead)
		return;
	/* We made room: wake a producer that waits for it. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&t->rx.ctl->producer_waiting,
	                         memory_order_relaxed) &&
	    atomic_exchange(&t->rx.ctl->producer_waiting, 0))
		t->ops->kick(t);
	if (!t->want_writable)
		return;
	if (cfv_ring_fits(&t->tx, t->want_room)) {
		t->want_writable = false;
		if (t->h.on_writable)
			t->h.on_writable(t->ctx);
	} else {
		wait_room(t); /* a kick for too little room: wait on */
	}
}

void cfv_transport_destroy(cfv_transport_t *t)
{
	if (!t)
		return;
	cfv_tring_stop(t);
	t->ops->destroy(t);
}
