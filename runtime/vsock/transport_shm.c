/*
 * transport_shm.c: the transport between processes: both rings in one
 * memfd VMO that each side maps, and two zx events as doorbells (each
 * side waits on its own and signals the other's, only when the peer
 * may be asleep: see transport_ring.c).
 *
 * VMO layout: page 0 holds a header (magic, version, ring size) and the
 * two ring control blocks; then the host->guest ring, then guest->host.
 * The guest checks the layout against the VMO's size before use, and the
 * rings validate every record, so a bad peer kills the transport, not us.
 */
#include <stdlib.h>
#include <string.h>

#include <cfidl/eventpair.h>
#include <cfidl/handle.h>
#include <cfidl/vmo.h>

#include "transport_ring.h"

#define SHM_MAGIC   0x3130766b636f7376ull /* "vsockv01" */
#define SHM_VERSION 1u
#define SHM_HEAD    4096u

struct shm_head {
	uint64_t magic;
	uint32_t version;
	uint32_t ring_bytes;
	char pad[48];
	cfv_ring_ctl_t ctl[2]; /* host->guest, guest->host */
};

_Static_assert(sizeof(struct shm_head) <= SHM_HEAD, "header fits a page");

typedef struct shm_end {
	cfv_transport_t t; /* first: cfv_transport_t * is a shm_end * */
	void *map;
	size_t map_len;
	zx_handle_t own_bell, peer_bell;
	cfidl_wait_t wait;
	bool waiting;
} shm_end_t;

static void shm_kick(cfv_transport_t *t)
{
	shm_end_t *e = (shm_end_t *)t;

	(void)zx_object_signal(e->peer_bell, 0, ZX_USER_SIGNAL_0);
}

static void shm_destroy(cfv_transport_t *t)
{
	shm_end_t *e = (shm_end_t *)t;

	if (e->waiting)
		cfidl_wait_cancel(t->loop, &e->wait);
	zx_handle_close(e->own_bell);
	zx_handle_close(e->peer_bell);
	if (e->map)
		cfidl_vmo_unmap(e->map, e->map_len);
	free(e);
}

static const struct cfv_transport_ops shm_ops = {shm_kick, shm_destroy};

static void bell_handler(cfidl_loop_t *loop, cfidl_wait_t *w, zx_status_t s,
                         zx_signals_t obs)
{
	shm_end_t *e = (shm_end_t *)((char *)w - offsetof(shm_end_t, wait));

	(void)obs;
	e->waiting = false;
	if (s != ZX_OK)
		return;
	/* Clear first: a kick that lands while we poll rings again. */
	(void)zx_object_signal(e->own_bell, ZX_USER_SIGNAL_0, 0);
	cfv_tring_poll(&e->t);
	if (cfidl_wait_begin(loop, &e->wait) == ZX_OK)
		e->waiting = true;
}

/* Maps the rings and starts e (host: reset the control blocks). */
static zx_status_t shm_start(shm_end_t *e, cfidl_loop_t *loop, zx_handle_t vmo,
                             uint32_t ring_bytes, bool host)
{
	struct shm_head *hd;
	uint8_t *base;
	zx_status_t st;

	e->map_len = SHM_HEAD + 2 * (size_t)ring_bytes;
	st = cfidl_vmo_map(vmo, 0, e->map_len,
	                   ZX_VM_PERM_READ | ZX_VM_PERM_WRITE, &e->map);
	if (st != ZX_OK) {
		e->map = NULL;
		return st;
	}
	base = e->map;
	hd = e->map;
	if (host) {
		hd->magic = SHM_MAGIC;
		hd->version = SHM_VERSION;
		hd->ring_bytes = ring_bytes;
	} else if (hd->magic != SHM_MAGIC || hd->version != SHM_VERSION ||
	           hd->ring_bytes != ring_bytes) {
		return ZX_ERR_INVALID_ARGS;
	}
	cfv_ring_init(host ? &e->t.tx : &e->t.rx, &hd->ctl[0], base + SHM_HEAD,
	              ring_bytes, host, host);
	cfv_ring_init(host ? &e->t.rx : &e->t.tx, &hd->ctl[1],
	              base + SHM_HEAD + ring_bytes, ring_bytes, !host, host);
	e->wait.handler = bell_handler;
	e->wait.object = e->own_bell;
	e->wait.trigger = ZX_USER_SIGNAL_0;
	st = cfidl_wait_begin(loop, &e->wait);
	if (st != ZX_OK)
		return st;
	e->waiting = true;
	cfv_tring_start(&e->t, loop, &shm_ops);
	return ZX_OK;
}

zx_status_t cfv_shm_transport_create(cfidl_loop_t *loop, size_t ring_bytes,
                                     cfv_transport_t **host_end,
                                     cfv_shm_handles_t *for_guest)
{
	zx_handle_t vmo = ZX_HANDLE_INVALID, gb = ZX_HANDLE_INVALID,
	            hb = ZX_HANDLE_INVALID, gb2 = ZX_HANDLE_INVALID,
	            hb2 = ZX_HANDLE_INVALID;
	shm_end_t *e;
	zx_status_t st;

	if (ring_bytes == 0)
		ring_bytes = CFV_TRANSPORT_RING_DEFAULT;
	if (!loop || !host_end || !for_guest || !cfv_ring_size_ok(ring_bytes))
		return ZX_ERR_INVALID_ARGS;
	e = calloc(1, sizeof(*e));
	if (!e)
		return ZX_ERR_NO_MEMORY;
	e->t.loop = loop;
	st = zx_vmo_create(SHM_HEAD + 2 * (uint64_t)ring_bytes, 0, &vmo);
	if (st == ZX_OK)
		st = zx_event_create(0, &gb);
	if (st == ZX_OK)
		st = zx_event_create(0, &hb);
	if (st == ZX_OK)
		st = zx_handle_duplicate(gb, ZX_RIGHT_SAME_RIGHTS, &gb2);
	if (st == ZX_OK)
		st = zx_handle_duplicate(hb, ZX_RIGHT_SAME_RIGHTS, &hb2);
	if (st == ZX_OK) {
		e->own_bell = hb;
		e->peer_bell = gb;
		hb = gb = ZX_HANDLE_INVALID;
		st = shm_start(e, loop, vmo, (uint32_t)ring_bytes, true);
	}
	if (st != ZX_OK) {
		zx_handle_close(vmo);
		zx_handle_close(gb);
		zx_handle_close(hb);
		zx_handle_close(gb2);
		zx_handle_close(hb2);
		shm_destroy(&e->t);
		return st;
	}
	for_guest->rings = vmo;
	for_guest->guest_doorbell = gb2;
	for_guest->host_doorbell = hb2;
	*host_end = &e->t;
	return ZX_OK;
}

zx_status_t cfv_shm_transport_open(cfidl_loop_t *loop,
                                   cfv_shm_handles_t *handles,
                                   cfv_transport_t **guest_end)
{
	shm_end_t *e = NULL;
	uint64_t size = 0;
	zx_status_t st;
	zx_handle_t vmo;

	if (!handles)
		return ZX_ERR_INVALID_ARGS;
	vmo = handles->rings;
	if (!loop || !guest_end)
		st = ZX_ERR_INVALID_ARGS;
	else
		st = zx_vmo_get_size(vmo, &size);
	if (st == ZX_OK &&
	    (size <= SHM_HEAD || !cfv_ring_size_ok((size - SHM_HEAD) / 2) ||
	     SHM_HEAD + (size - SHM_HEAD) / 2 * 2 != size))
		st = ZX_ERR_INVALID_ARGS;
	if (st == ZX_OK) {
		e = calloc(1, sizeof(*e));
		if (!e)
			st = ZX_ERR_NO_MEMORY;
	}
	if (st != ZX_OK) {
		zx_handle_close(vmo);
		zx_handle_close(handles->guest_doorbell);
		zx_handle_close(handles->host_doorbell);
		goto out;
	}
	e->t.loop = loop;
	e->own_bell = handles->guest_doorbell;
	e->peer_bell = handles->host_doorbell;
	st = shm_start(e, loop, vmo, (uint32_t)((size - SHM_HEAD) / 2), false);
	zx_handle_close(vmo); /* the mapping outlives it */
	if (st != ZX_OK)
		shm_destroy(&e->t);
	else
		*guest_end = &e->t;
out:
	handles->rings = handles->guest_doorbell = handles->host_doorbell =
	    ZX_HANDLE_INVALID;
	return st;
}
