/*
 * device.c: the guest's vsock driver: fuchsia.hardware.vsock.Device served
 * over the connection engine, events reported through Callbacks (see
 * device.h for the mapping and the choices).
 */
#include "device.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/handle.h>

#include "fuchsia.hardware.vsock.h"

typedef fuchsia_hardware_vsock_Addr addr_t;

enum ev_kind {
	EV_REQUEST,
	EV_RESPONSE,
	EV_RST,
	EV_SHUTDOWN,
	EV_VMO_COMPLETE,
	EV_RESET
};

/* A Callbacks message waiting for room in the channel. */
typedef struct cb_event {
	struct cb_event *next;
	enum ev_kind kind;
	addr_t addr;      /* all but EV_RESET */
	uint32_t new_cid; /* EV_RESET */
} cb_event_t;

struct cfv_device {
	cfidl_loop_t *loop;
	cfv_transport_t *transport;
	cfv_engine_t *engine;
	cfidl_binding_t *binding; /* the Device channel */
	cfidl_client_t *cb;       /* Callbacks, after Start */
	bool reset_pending;       /* TransportReset not answered yet */
	bool destroying;
	cb_event_t *qhead, *qtail; /* Callbacks waiting for room */
	cfidl_wait_t wwait;        /* on the Callbacks channel: writable */
	bool wwait_armed;
};

static addr_t addr_of(const cfv_key_t *k)
{
	addr_t a = {k->local_port, k->remote_cid, k->remote_port};

	return a;
}

static cfv_key_t key_of(const addr_t *a)
{
	cfv_key_t k = {a->local_port, a->remote_cid, a->remote_port};

	return k;
}

/* ---- Callbacks, in order ---- */

static void reset_reply(void *ctx, zx_status_t status, fidl_incoming_msg_t *msg)
{
	cfv_device_t *dev = ctx;

	(void)status;
	(void)msg;
	/* Answered, or the Callbacks channel is gone (the device stops). */
	dev->reset_pending = false;
}

/* Writes one event; ZX_ERR_SHOULD_WAIT when the channel is full. */
static zx_status_t event_write(cfv_device_t *dev, const cb_event_t *ev)
{
	zx_handle_t ch = cfidl_client_channel(dev->cb);

	switch (ev->kind) {
	case EV_REQUEST:
		return fuchsia_hardware_vsock_CallbacksRequest(ch, &ev->addr);
	case EV_RESPONSE:
		return fuchsia_hardware_vsock_CallbacksResponse(ch, &ev->addr);
	case EV_RST:
		return fuchsia_hardware_vsock_CallbacksRst(ch, &ev->addr);
	case EV_SHUTDOWN:
		return fuchsia_hardware_vsock_CallbacksShutdown(ch, &ev->addr);
	case EV_VMO_COMPLETE:
		return fuchsia_hardware_vsock_CallbacksSendVmoComplete(
		    ch, &ev->addr);
	case EV_RESET:
		return fuchsia_hardware_vsock_CallbacksTransportReset_async(
		    dev->cb, ev->new_cid, reset_reply, dev);
	}
	return ZX_ERR_INVALID_ARGS;
}

static void queue_clear(cfv_device_t *dev)
{
	while (dev->qhead) {
		cb_event_t *ev = dev->qhead;

		dev->qhead = ev->next;
		free(ev);
	}
	dev->qtail = NULL;
	if (dev->wwait_armed &&
	    cfidl_wait_cancel(dev->loop, &dev->wwait) == ZX_OK)
		dev->wwait_armed = false;
}

static void arm_writable(cfv_device_t *dev)
{
	if (dev->wwait_armed || !dev->cb)
		return;
	dev->wwait.object = cfidl_client_channel(dev->cb);
	dev->wwait.trigger = ZX_CHANNEL_WRITABLE | ZX_CHANNEL_PEER_CLOSED;
	if (cfidl_wait_begin(dev->loop, &dev->wwait) == ZX_OK)
		dev->wwait_armed = true;
}

/* Sends what waits, in order, until the channel is full again. */
static void queue_flush(cfv_device_t *dev)
{
	while (dev->qhead && dev->cb) {
		cb_event_t *ev = dev->qhead;
		zx_status_t st = event_write(dev, ev);

		if (st == ZX_ERR_SHOULD_WAIT) {
			arm_writable(dev);
			return;
		}
		/* Sent, or the channel failed (on_error stops the device). */
		dev->qhead = ev->next;
		if (!dev->qhead)
			dev->qtail = NULL;
		free(ev);
	}
}

static void on_cb_writable(cfidl_loop_t *loop, cfidl_wait_t *wait,
                           zx_status_t status, zx_signals_t observed)
{
	cfv_device_t *dev =
	    (cfv_device_t *)((char *)wait - offsetof(cfv_device_t, wwait));

	(void)loop;
	(void)observed;
	dev->wwait_armed = false;
	if (status != ZX_OK)
		return;
	queue_flush(dev);
}

static void emit(cfv_device_t *dev, enum ev_kind kind, const cfv_key_t *key,
                 uint32_t new_cid)
{
	cb_event_t ev = {.kind = kind, .new_cid = new_cid}, *q;

	if (!dev->cb)
		return;
	if (key)
		ev.addr = addr_of(key);
	if (!dev->qhead) {
		zx_status_t st = event_write(dev, &ev);

		if (st != ZX_ERR_SHOULD_WAIT)
			return; /* sent, or the channel failed */
	}
	q = malloc(sizeof(*q));
	if (!q)
		return; /* out of memory: the event is lost */
	*q = ev;
	q->next = NULL;
	if (dev->qtail)
		dev->qtail->next = q;
	else
		dev->qhead = q;
	dev->qtail = q;
	arm_writable(dev);
}

/* The service is gone: drop every connection, forget the Callbacks. */
static void device_stop(cfv_device_t *dev)
{
	queue_clear(dev);
	cfidl_client_destroy(dev->cb);
	dev->cb = NULL;
	dev->reset_pending = false;
	cfv_engine_reset_all(dev->engine);
}

static void cb_on_error(void *ctx, zx_status_t status)
{
	(void)status;
	device_stop(ctx);
}

/* ---- engine events ---- */

static void eng_on_request(void *ctx, const cfv_key_t *key)
{
	cfv_device_t *dev = ctx;

	if (!dev->cb) {
		cfv_engine_reject(dev->engine, key); /* nobody to ask */
		return;
	}
	emit(dev, EV_REQUEST, key, 0);
}

static void eng_on_connected(void *ctx, const cfv_key_t *key)
{
	emit(ctx, EV_RESPONSE, key, 0);
}

static void eng_on_shutdown(void *ctx, const cfv_key_t *key, uint32_t flags)
{
	(void)flags;
	emit(ctx, EV_SHUTDOWN, key, 0);
}

static void eng_on_closed(void *ctx, const cfv_key_t *key, zx_status_t reason)
{
	/* A reset's drops are told by TransportReset itself. */
	if (reason != ZX_ERR_CANCELED)
		emit(ctx, EV_RST, key, 0);
}

static void eng_on_vmo_done(void *ctx, const cfv_key_t *key, zx_status_t status)
{
	/* CANCELED: the connection ended, and the service heard Rst. */
	if (status != ZX_ERR_CANCELED)
		emit(ctx, EV_VMO_COMPLETE, key, 0);
}

static const cfv_engine_handlers_t engine_handlers = {
    .on_request = eng_on_request,
    .on_connected = eng_on_connected,
    .on_shutdown = eng_on_shutdown,
    .on_closed = eng_on_closed,
    .on_vmo_done = eng_on_vmo_done,
};

/* ---- fuchsia.hardware.vsock.Device ---- */

static zx_status_t dev_start(void *ctx, zx_handle_t cb, fidl_txn_t *txn)
{
	cfv_device_t *dev = ctx;
	cfidl_client_handlers_t h = {.on_error = cb_on_error};
	zx_status_t st;

	if (dev->cb) {
		zx_handle_close(cb);
		st = ZX_ERR_ALREADY_BOUND;
	} else {
		st = cfidl_client_create(dev->loop, cb, &h, dev, &dev->cb);
	}
	return fuchsia_hardware_vsock_DeviceStart_reply(txn, st);
}

static zx_status_t dev_send_request(void *ctx, const addr_t *addr,
                                    zx_handle_t data, fidl_txn_t *txn)
{
	cfv_device_t *dev = ctx;
	cfv_key_t key = key_of(addr);
	zx_status_t st;

	if (!dev->cb || dev->reset_pending) {
		zx_handle_close(data);
		st = ZX_ERR_BAD_STATE;
	} else {
		st = cfv_engine_connect(dev->engine, &key, data);
	}
	return fuchsia_hardware_vsock_DeviceSendRequest_reply(txn, st);
}

static zx_status_t dev_send_shutdown(void *ctx, const addr_t *addr,
                                     fidl_txn_t *txn)
{
	cfv_device_t *dev = ctx;
	cfv_key_t key = key_of(addr);

	return fuchsia_hardware_vsock_DeviceSendShutdown_reply(
	    txn, cfv_engine_shutdown(dev->engine, &key, CFV_SHUTDOWN_BOTH));
}

static zx_status_t dev_send_rst(void *ctx, const addr_t *addr, fidl_txn_t *txn)
{
	cfv_device_t *dev = ctx;
	cfv_key_t key = key_of(addr);
	zx_status_t st = cfv_engine_reject(dev->engine, &key);

	if (st == ZX_ERR_BAD_STATE) /* not a pending request: established */
		st = cfv_engine_reset(dev->engine, &key);
	if (st == ZX_ERR_NOT_FOUND) /* already gone: nothing to free */
		st = ZX_OK;
	return fuchsia_hardware_vsock_DeviceSendRst_reply(txn, st);
}

static zx_status_t dev_send_response(void *ctx, const addr_t *addr,
                                     zx_handle_t data, fidl_txn_t *txn)
{
	cfv_device_t *dev = ctx;
	cfv_key_t key = key_of(addr);

	return fuchsia_hardware_vsock_DeviceSendResponse_reply(
	    txn, cfv_engine_accept(dev->engine, &key, data));
}

static zx_status_t dev_get_cid(void *ctx, fidl_txn_t *txn)
{
	cfv_device_t *dev = ctx;

	return fuchsia_hardware_vsock_DeviceGetCid_reply(
	    txn, cfv_engine_local_cid(dev->engine));
}

static zx_status_t dev_send_vmo(void *ctx, const addr_t *addr, zx_handle_t vmo,
                                uint64_t off, uint64_t len, fidl_txn_t *txn)
{
	cfv_device_t *dev = ctx;
	cfv_key_t key = key_of(addr);

	return fuchsia_hardware_vsock_DeviceSendVmo_reply(
	    txn, cfv_engine_send_vmo(dev->engine, &key, vmo, off, len));
}

static const fuchsia_hardware_vsock_Device_ops_t device_ops = {
    .Start = dev_start,
    .SendRequest = dev_send_request,
    .SendShutdown = dev_send_shutdown,
    .SendRst = dev_send_rst,
    .SendResponse = dev_send_response,
    .GetCid = dev_get_cid,
    .SendVmo = dev_send_vmo,
};

static zx_status_t device_dispatch(void *ctx, fidl_txn_t *txn,
                                   fidl_incoming_msg_t *msg, const void *ops)
{
	return fuchsia_hardware_vsock_Device_dispatch(ctx, txn, msg, ops);
}

static void device_unbound(void *ctx, zx_status_t reason)
{
	cfv_device_t *dev = ctx;

	(void)reason;
	dev->binding = NULL;
	if (!dev->destroying)
		device_stop(dev);
}

zx_status_t cfv_device_bind(cfv_device_t *dev, zx_handle_t server_end)
{
	if (!dev) {
		zx_handle_close(server_end);
		return ZX_ERR_INVALID_ARGS;
	}
	if (dev->binding) {
		zx_handle_close(server_end);
		return ZX_ERR_ALREADY_BOUND;
	}
	return cfidl_bind_etc(dev->loop, server_end, device_dispatch, dev,
	                      &device_ops, device_unbound, &dev->binding);
}

void cfv_device_transport_reset(cfv_device_t *dev, uint32_t new_cid)
{
	if (!dev)
		return;
	cfv_engine_set_local_cid(dev->engine, new_cid);
	cfv_engine_reset_all(dev->engine);
	if (dev->cb) {
		dev->reset_pending = true;
		emit(dev, EV_RESET, NULL, new_cid);
	}
}

void cfv_device_get_stats(const cfv_device_t *dev, cfv_engine_stats_t *out)
{
	cfv_engine_get_stats(dev->engine, out);
}

zx_status_t cfv_device_create(cfidl_loop_t *loop, cfv_transport_t *transport,
                              uint32_t local_cid, cfv_device_t **out)
{
	return cfv_device_create_etc(loop, transport, local_cid, NULL, out);
}

zx_status_t cfv_device_create_etc(cfidl_loop_t *loop,
                                  cfv_transport_t *transport,
                                  uint32_t local_cid,
                                  const cfv_engine_config_t *cfg,
                                  cfv_device_t **out)
{
	cfv_device_t *dev;
	zx_status_t st;

	if (!loop || !transport || !out)
		return ZX_ERR_INVALID_ARGS;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return ZX_ERR_NO_MEMORY;
	dev->loop = loop;
	dev->transport = transport;
	dev->wwait.handler = on_cb_writable;
	st = cfv_engine_create(loop, transport, local_cid, cfg,
	                       &engine_handlers, dev, &dev->engine);
	if (st != ZX_OK) {
		free(dev);
		return st;
	}
	*out = dev;
	return ZX_OK;
}

void cfv_device_destroy(cfv_device_t *dev)
{
	if (!dev)
		return;
	dev->destroying = true;
	queue_clear(dev);
	cfidl_binding_close(dev->binding, ZX_OK);
	cfidl_client_destroy(dev->cb);
	dev->cb = NULL;
	cfv_engine_destroy(dev->engine);
	free(dev);
}
