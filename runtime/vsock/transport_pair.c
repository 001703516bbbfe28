/*
 * transport_pair.c: two transport ends in one process on one loop, over
 * rings in heap memory; a kick is a task posted on the peer.
 */
#include <stdlib.h>
#include <string.h>

#include "transport_ring.h"

struct pair_shared {
	cfv_ring_ctl_t ctl[2]; /* a->b, b->a */
	int refs;
	uint8_t *data; /* 2 * size */
};

typedef struct pair_end {
	cfv_transport_t t; /* first: cfv_transport_t * is a pair_end * */
	struct pair_end *peer;
	struct pair_shared *sh;
} pair_end_t;

static void pair_kick(cfv_transport_t *t)
{
	pair_end_t *e = (pair_end_t *)t;

	if (e->peer)
		cfv_tring_poll_soon(&e->peer->t);
}

static void pair_destroy(cfv_transport_t *t)
{
	pair_end_t *e = (pair_end_t *)t;

	if (e->peer)
		e->peer->peer = NULL;
	if (--e->sh->refs == 0) {
		free(e->sh->data);
		free(e->sh);
	}
	free(e);
}

static const struct cfv_transport_ops pair_ops = {pair_kick, pair_destroy};

zx_status_t cfv_transport_pair_create(cfidl_loop_t *loop, size_t ring_bytes,
                                      cfv_transport_t **a, cfv_transport_t **b)
{
	struct pair_shared *sh;
	pair_end_t *ea, *eb;

	if (ring_bytes == 0)
		ring_bytes = CFV_TRANSPORT_RING_DEFAULT;
	if (!loop || !a || !b || !cfv_ring_size_ok(ring_bytes))
		return ZX_ERR_INVALID_ARGS;
	sh = aligned_alloc(64, (sizeof(*sh) + 63) & ~(size_t)63);
	if (sh)
		memset(sh, 0, sizeof(*sh));
	ea = calloc(1, sizeof(*ea));
	eb = calloc(1, sizeof(*eb));
	if (sh)
		sh->data = malloc(2 * ring_bytes);
	if (!sh || !ea || !eb || !sh->data) {
		if (sh)
			free(sh->data);
		free(sh);
		free(ea);
		free(eb);
		return ZX_ERR_NO_MEMORY;
	}
	sh->refs = 2;
	ea->sh = eb->sh = sh;
	ea->peer = eb;
	eb->peer = ea;
	cfv_ring_init(&ea->t.tx, &sh->ctl[0], sh->data, (uint32_t)ring_bytes,
	              true, true);
	cfv_ring_init(&eb->t.rx, &sh->ctl[0], sh->data, (uint32_t)ring_bytes,
	              false, false);
	cfv_ring_init(&eb->t.tx, &sh->ctl[1], sh->data + ring_bytes,
	              (uint32_t)ring_bytes, true, true);
	cfv_ring_init(&ea->t.rx, &sh->ctl[1], sh->data + ring_bytes,
	              (uint32_t)ring_bytes, false, false);
	cfv_tring_start(&ea->t, loop, &pair_ops);
	cfv_tring_start(&eb->t, loop, &pair_ops);
	*a = &ea->t;
	*b = &eb->t;
	return ZX_OK;
}
