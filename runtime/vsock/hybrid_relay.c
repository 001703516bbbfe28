/*
 * hybrid_relay.c: two zx sockets joined both ways, half-closes passed on.
 */
#include "hybrid_relay.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cfidl/handle.h>
#include <cfidl/socket.h>

/* One read; also the most kept back per direction. */
#define CHUNK 65536u
/* Reads per turn before letting the loop serve others. */
#define TURNS 16

typedef struct pump {
	struct cfv_relay *rl;
	zx_handle_t from, to; /* borrowed from the relay */
	cfidl_wait_t rd, wr;
	char *held; /* bytes `to` could not take yet */
	size_t held_len, held_off;
	bool eof;  /* `from` will send no more */
	bool done; /* ...and `to` got the half-close */
} pump_t;

struct cfv_relay {
	cfv_relay_t *prev, *next;
	cfv_relay_t **list;
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	pump_t ab, ba;
};

static void relay_end(cfv_relay_t *rl)
{
	pump_t *ps[2] = {&rl->ab, &rl->ba};

	for (int i = 0; i < 2; i++) {
		cfidl_wait_cancel(rl->loop, &ps[i]->rd);
		cfidl_wait_cancel(rl->loop, &ps[i]->wr);
		free(ps[i]->held);
	}
	zx_handle_close(rl->a);
	zx_handle_close(rl->b);
	if (rl->prev)
		rl->prev->next = rl->next;
	else
		*rl->list = rl->next;
	if (rl->next)
		rl->next->prev = rl->prev;
	free(rl);
}

/*
 * Moves bytes of p until it must wait; false if the relay ended (then
 * neither p nor its relay exist any more).
 */
static bool pump(pump_t *p)
{
	char buf[CHUNK];
	size_t n, w;
	zx_status_t s;

	for (int turn = 0; turn < TURNS; turn++) {
		if (p->held) {
			s = zx_socket_write(p->to, 0, p->held + p->held_off,
			                    p->held_len - p->held_off, &w);
			if (s == ZX_ERR_SHOULD_WAIT)
				return cfidl_wait_begin(p->rl->loop, &p->wr) ==
				           ZX_OK ||
				       (relay_end(p->rl), false);
			if (s != ZX_OK)
				return relay_end(p->rl), false;
			p->held_off += w;
			if (p->held_off < p->held_len)
				continue;
			free(p->held);
			p->held = NULL;
		}
		if (p->eof) {
			pump_t *o = p == &p->rl->ab ? &p->rl->ba : &p->rl->ab;

			/* A half-close stays a half-close. */
			zx_socket_set_disposition(
			    p->to, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0);
			p->done = true;
			if (o->done)
				return relay_end(p->rl), false;
			return true;
		}
		s = zx_socket_read(p->from, 0, buf, sizeof(buf), &n);
		if (s == ZX_ERR_SHOULD_WAIT)
			return cfidl_wait_begin(p->rl->loop, &p->rd) == ZX_OK ||
			       (relay_end(p->rl), false);
		if (s == ZX_ERR_PEER_CLOSED) {
			p->eof = true;
			continue;
		}
		if (s != ZX_OK)
			return relay_end(p->rl), false;
		s = zx_socket_write(p->to, 0, buf, n, &w);
		if (s == ZX_ERR_SHOULD_WAIT) {
			w = 0;
		} else if (s != ZX_OK) {
			return relay_end(p->rl), false;
		}
		if (w < n) {
			p->held = malloc(n - w);
			if (!p->held)
				return relay_end(p->rl), false;
			memcpy(p->held, buf + w, n - w);
			p->held_len = n - w;
			p->held_off = 0;
		}
	}
	/* Busy: come back on the next turn (the wait fires at once). */
	return cfidl_wait_begin(p->rl->loop, p->held ? &p->wr : &p->rd) ==
	           ZX_OK ||
	       (relay_end(p->rl), false);
}

static void on_rd(cfidl_loop_t *loop, cfidl_wait_t *wait, zx_status_t status,
                  zx_signals_t observed)
{
	(void)loop;
	(void)observed;
	if (status == ZX_OK)
		pump((pump_t *)((char *)wait - offsetof(pump_t, rd)));
}

static void on_wr(cfidl_loop_t *loop, cfidl_wait_t *wait, zx_status_t status,
                  zx_signals_t observed)
{
	(void)loop;
	(void)observed;
	if (status == ZX_OK)
		pump((pump_t *)((char *)wait - offsetof(pump_t, wr)));
}

static void pump_init(pump_t *p, cfv_relay_t *rl, zx_handle_t from,
                      zx_handle_t to)
{
	p->rl = rl;
	p->from = from;
	p->to = to;
	p->rd.handler = on_rd;
	p->rd.object = from;
	p->rd.trigger = ZX_SOCKET_READABLE | ZX_SOCKET_PEER_CLOSED |
	                ZX_SOCKET_PEER_WRITE_DISABLED;
	p->wr.handler = on_wr;
	p->wr.object = to;
	p->wr.trigger = ZX_SOCKET_WRITABLE | ZX_SOCKET_PEER_CLOSED;
}

zx_status_t cfv_relay_create(cfidl_loop_t *loop, zx_handle_t a, zx_handle_t b,
                             cfv_relay_t **list)
{
	cfv_relay_t *rl;

	if (!loop || !list) {
		zx_handle_close(a);
		zx_handle_close(b);
		return ZX_ERR_INVALID_ARGS;
	}
	rl = calloc(1, sizeof(*rl));
	if (!rl) {
		zx_handle_close(a);
		zx_handle_close(b);
		return ZX_ERR_NO_MEMORY;
	}
	rl->loop = loop;
	rl->a = a;
	rl->b = b;
	rl->list = list;
	rl->next = *list;
	if (rl->next)
		rl->next->prev = rl;
	*list = rl;
	pump_init(&rl->ab, rl, a, b);
	pump_init(&rl->ba, rl, b, a);
	/* Start reading both ways from the loop (data may be queued). */
	if (cfidl_wait_begin(loop, &rl->ab.rd) != ZX_OK ||
	    cfidl_wait_begin(loop, &rl->ba.rd) != ZX_OK) {
		relay_end(rl);
		return ZX_ERR_NO_RESOURCES;
	}
	return ZX_OK;
}

void cfv_relay_destroy_all(cfv_relay_t **list)
{
	while (*list)
		relay_end(*list);
}
