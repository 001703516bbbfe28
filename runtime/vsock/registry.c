/*
 * registry.c: cfidl.vsock.GuestRegistry on registry.sock: CIDs for guest
 * programs, their transport handles, and their deaths.
 */
#include "registry.h"

#include <stdbool.h>
#include <stdlib.h>

#include <cfidl/bind.h>
#include <cfidl/handle.h>

#include "cfidl.vsock.h"
#include "uds_listener.h"

typedef struct reg_conn reg_conn_t;

struct cfv_registry {
	cfidl_loop_t *loop;
	cfv_router_t *router;
	cfv_registry_callbacks_t cb;
	void *ctx;
	cfv_uds_listener_t *listener;
	reg_conn_t *conns;
	uint32_t registered;
};

/* One guest's channel. */
struct reg_conn {
	reg_conn_t *prev, *next;
	cfv_registry_t *reg; /* NULL once the registry is gone */
	cfidl_binding_t *binding;
	zx_handle_t channel; /* the binding's, not ours: for events */
	uint32_t cid;
	bool registered;
};

static bool cid_taken(const cfv_registry_t *reg, uint32_t cid)
{
	if (reg->router && cfv_router_has_guest(reg->router, cid))
		return true;
	for (const reg_conn_t *c = reg->conns; c; c = c->next)
		if (c->registered && c->cid == cid)
			return true;
	return false;
}

static uint32_t next_cid(const cfv_registry_t *reg)
{
	for (uint32_t cid = CFV_ROUTER_FIRST_GUEST_CID; cid < 0xFFFFFFFFu;
	     cid++)
		if (!cid_taken(reg, cid))
			return cid;
	return 0;
}

static void close_grant(cfv_shm_handles_t *h)
{
	zx_handle_close(h->rings);
	zx_handle_close(h->guest_doorbell);
	zx_handle_close(h->host_doorbell);
}

static zx_status_t do_register(void *ctx, uint32_t requested_cid,
                               fidl_txn_t *txn)
{
	reg_conn_t *c = ctx;
	cfv_registry_t *reg = c->reg;
	cfv_shm_handles_t h = {0};
	uint32_t cid = requested_cid;
	zx_status_t s;

	if (!reg)
		s = ZX_ERR_CANCELED;
	else if (c->registered)
		s = ZX_ERR_BAD_STATE;
	else if (cid == 0)
		s = (cid = next_cid(reg)) ? ZX_OK : ZX_ERR_NO_RESOURCES;
	else if (cfv_router_cid_reserved(cid))
		s = ZX_ERR_INVALID_ARGS;
	else if (cid_taken(reg, cid))
		s = ZX_ERR_ALREADY_EXISTS;
	else
		s = ZX_OK;
	if (s == ZX_OK) {
		s = reg->cb.on_register(reg->ctx, cid, &h);
		if (s != ZX_OK)
			close_grant(&h);
	}
	if (s != ZX_OK) {
		cfidl_vsock_GuestRegistryRegister_reply_error(txn, s);
		return ZX_OK;
	}
	c->registered = true;
	c->cid = cid;
	c->channel = txn->channel;
	reg->registered++;
	/* If the guest is gone already, the unbind will say so. */
	cfidl_vsock_GuestRegistryRegister_reply(
	    txn, cid, h.rings, h.guest_doorbell, h.host_doorbell);
	return ZX_OK;
}

static const cfidl_vsock_GuestRegistry_ops_t ops = {
    .Register = do_register,
};

static void unlink_conn(reg_conn_t *c)
{
	cfv_registry_t *reg = c->reg;

	if (c->prev)
		c->prev->next = c->next;
	else
		reg->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->registered)
		reg->registered--;
	c->reg = NULL;
}

static void on_unbound(void *ctx, zx_status_t reason)
{
	reg_conn_t *c = ctx;
	cfv_registry_t *reg = c->reg;

	(void)reason;
	if (reg) {
		bool gone = c->registered;
		uint32_t cid = c->cid;

		unlink_conn(c);
		free(c);
		if (gone && reg->cb.on_gone)
			reg->cb.on_gone(reg->ctx, cid);
		return;
	}
	free(c);
}

zx_status_t cfv_registry_bind(cfv_registry_t *reg, zx_handle_t channel)
{
	reg_conn_t *c;
	zx_status_t s;

	if (!reg) {
		zx_handle_close(channel);
		return ZX_ERR_INVALID_ARGS;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		zx_handle_close(channel);
		return ZX_ERR_NO_MEMORY;
	}
	c->reg = reg;
	s = cfidl_bind_etc(reg->loop, channel,
	                   CFIDL_DISPATCH(cfidl_vsock_GuestRegistry_dispatch),
	                   c, &ops, on_unbound, &c->binding);
	if (s != ZX_OK) {
		free(c);
		return s;
	}
	c->next = reg->conns;
	if (c->next)
		c->next->prev = c;
	reg->conns = c;
	return ZX_OK;
}

static void on_channel(void *ctx, zx_handle_t channel)
{
	cfv_registry_bind(ctx, channel);
}

zx_status_t cfv_registry_create(cfidl_loop_t *loop, const char *path,
                                cfv_router_t *router,
                                const cfv_registry_callbacks_t *cb, void *ctx,
                                cfv_registry_t **out)
{
	cfv_registry_t *reg;
	zx_status_t s;

	if (!loop || !cb || !cb->on_register || !out)
		return ZX_ERR_INVALID_ARGS;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return ZX_ERR_NO_MEMORY;
	reg->loop = loop;
	reg->router = router;
	reg->cb = *cb;
	reg->ctx = ctx;
	if (path) {
		s = cfv_uds_listener_create(loop, path, on_channel, reg,
		                            &reg->listener);
		if (s != ZX_OK) {
			free(reg);
			return s;
		}
	}
	*out = reg;
	return ZX_OK;
}

zx_status_t cfv_registry_send_transport_reset(cfv_registry_t *reg, uint32_t cid,
                                              uint32_t new_cid)
{
	for (reg_conn_t *c = reg ? reg->conns : NULL; c; c = c->next) {
		if (!c->registered || c->cid != cid)
			continue;
		c->cid = new_cid;
		return cfidl_vsock_GuestRegistry_send_OnTransportReset(
		    c->channel, new_cid);
	}
	return ZX_ERR_NOT_FOUND;
}

uint32_t cfv_registry_count(const cfv_registry_t *reg)
{
	return reg ? reg->registered : 0;
}

void cfv_registry_destroy(cfv_registry_t *reg)
{
	if (!reg)
		return;
	cfv_uds_listener_destroy(reg->listener);
	while (reg->conns) {
		reg_conn_t *c = reg->conns;

		unlink_conn(c); /* no on_gone: the caller tears down */
		cfidl_binding_close(c->binding, ZX_ERR_PEER_CLOSED);
	}
	free(reg);
}
