/*
 * guest.c: a guest of the vsock system (cfidl_vsock_guest_*, the library
 * under cfidl-vsock-guest).  It registers with the daemon over
 * <rundir>/registry.sock (cfidl.vsock.GuestRegistry), opens the shared
 * memory transport whose handles the reply carries, runs the guest's
 * Device and the Service on top of it (joined by an in-process
 * fuchsia.hardware.vsock.Device channel) and serves fuchsia.vsock.Connector
 * to the guest's apps on <rundir>/connector-<cid>.sock.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/loop.h>
#include <cfidl/vsock.h>

#include "cfidl.vsock.h"
#include "device.h"
#include "guest.h"
#include "rundir.h"
#include "service.h"
#include "transport.h"
#include "uds_listener.h"

struct cfidl_vsock_guest {
	cfidl_loop_t *loop;
	char rundir[CFV_UDS_PATH_MAX + 1];
	uint32_t cid;
	uint32_t resets;
	cfidl_client_t *registry; /* lives as long as we are registered */
	cfv_transport_t *transport;
	cfv_device_t *device;
	cfv_service_t *service;
	cfv_uds_listener_t *connector; /* connector-<cid>.sock */
	void (*on_gone)(void *ctx, zx_status_t reason);
	void *ctx;
	bool gone;
	/* Register's answer, while create waits for it. */
	bool answered;
	zx_status_t reg_status;
	cfv_shm_handles_t handles;
};

/* ---- the connector socket ---- */

/* A guest app connected to connector-<cid>.sock: ch (owned) is its
 * fuchsia.vsock.Connector channel. */
static void on_connector_channel(void *ctx, zx_handle_t ch)
{
	cfidl_vsock_guest_t *g = ctx;
	/* ch is consumed, even on error; an app we cannot serve sees the
	 * channel close. */
	cfv_service_bind_connector(g->service, ch);
}

static zx_status_t listen_connector(cfidl_vsock_guest_t *g)
{
	char path[CFV_UDS_PATH_MAX + 1];
	zx_status_t st =
	    cfv_rundir_connector_path(path, sizeof path, g->rundir, g->cid);
	if (st != ZX_OK)
		return st;
	return cfv_uds_listener_create(g->loop, path, on_connector_channel, g,
	                               &g->connector);
}

/* ---- the registry channel ---- */

static void gone(cfidl_vsock_guest_t *g, zx_status_t reason)
{
	if (g->gone)
		return;
	g->gone = true;
	if (g->on_gone)
		g->on_gone(g->ctx, reason);
}

/* The host reset the transport: drop every connection (the Device tells
 * the Service through Callbacks.TransportReset, which keeps listeners)
 * and take the new CID; the connector socket follows the CID. */
static void on_transport_reset(void *ctx, uint32_t new_cid)
{
	cfidl_vsock_guest_t *g = ctx;
	g->resets++;
	cfv_device_transport_reset(g->device, new_cid);
	if (new_cid != g->cid) {
		cfv_uds_listener_destroy(g->connector);
		g->connector = NULL;
		g->cid = new_cid;
		zx_status_t st = listen_connector(g);
		if (st != ZX_OK)
			gone(g, st);
	}
}

static const cfidl_vsock_GuestRegistry_event_handlers_t registry_events = {
    .OnTransportReset = on_transport_reset,
};

static void on_registry_event(void *ctx, fidl_incoming_msg_t *msg)
{
	cfidl_vsock_guest_t *g = ctx;
	zx_status_t st =
	    cfidl_vsock_GuestRegistry_handle_event(&registry_events, g, msg);
	if (st != ZX_OK)
		gone(g, st);
}

static void on_registry_error(void *ctx, zx_status_t status)
{
	cfidl_vsock_guest_t *g = ctx;
	if (!g->answered) {
		g->answered = true;
		g->reg_status = status;
		return;
	}
	gone(g, status);
}

static void on_register_reply(void *ctx, zx_status_t status,
                              fidl_incoming_msg_t *msg)
{
	cfidl_vsock_guest_t *g = ctx;
	g->answered = true;
	if (status != ZX_OK) {
		g->reg_status = status;
		return;
	}
	cfidl_vsock_GuestRegistry_Register_Result *res;
	status = cfidl_vsock_GuestRegistryRegister_decode_response(msg, &res);
	if (status != ZX_OK) {
		g->reg_status = status;
		return;
	}
	const int32_t *err =
	    cfidl_vsock_GuestRegistry_Register_Result_get_err(res);
	const cfidl_vsock_GuestRegistry_Register_Response *ok =
	    cfidl_vsock_GuestRegistry_Register_Result_get_response(res);
	if (err || !ok) {
		g->reg_status = err ? *err : ZX_ERR_INTERNAL;
		if (g->reg_status == ZX_OK)
			g->reg_status = ZX_ERR_INTERNAL;
		return;
	}
	/* The decoded handles are ours now. */
	g->cid = ok->cid;
	g->handles.rings = ok->rings;
	g->handles.guest_doorbell = ok->guest_doorbell;
	g->handles.host_doorbell = ok->host_doorbell;
	g->reg_status = ZX_OK;
}

/* Connects to <rundir>/registry.sock; *out is a channel end. */
static zx_status_t dial_registry(const char *rundir, zx_handle_t *out)
{
	char path[CFV_UDS_PATH_MAX + 1];
	int fd;
	zx_status_t st = cfv_rundir_registry_path(path, sizeof path, rundir);
	if (st == ZX_OK)
		st = cfv_uds_connect(path, SOCK_SEQPACKET, &fd);
	if (st == ZX_ERR_CONNECTION_REFUSED)
		st = ZX_ERR_NOT_FOUND; /* a stale socket: no daemon */
	if (st != ZX_OK)
		return st;
	return cfidl_channel_adopt_fd(fd, out); /* fd is the channel's now */
}

/* ---- life ---- */

zx_status_t
cfidl_vsock_guest_create(struct cfidl_loop *loop, const char *rundir,
                         uint32_t requested_cid, zx_time_t deadline,
                         void (*on_gone)(void *ctx, zx_status_t reason),
                         void *ctx, cfidl_vsock_guest_t **out)
{
	if (!loop || !out)
		return ZX_ERR_INVALID_ARGS;
	cfidl_vsock_guest_t *g = calloc(1, sizeof *g);
	if (!g)
		return ZX_ERR_NO_MEMORY;
	g->loop = loop;
	g->on_gone = on_gone;
	g->ctx = ctx;
	zx_status_t st = ZX_OK;
	if (rundir) {
		if (strlen(rundir) >= sizeof g->rundir)
			st = ZX_ERR_BAD_PATH;
		else
			strcpy(g->rundir, rundir);
	} else {
		st = cfv_rundir_default(g->rundir, sizeof g->rundir);
	}
	zx_handle_t ch = ZX_HANDLE_INVALID;
	if (st == ZX_OK)
		st = dial_registry(g->rundir, &ch);
	if (st == ZX_OK) {
		static const cfidl_client_handlers_t h = {
		    .on_event = on_registry_event,
		    .on_error = on_registry_error,
		};
		st = cfidl_client_create(loop, ch, &h, g, &g->registry);
	}
	if (st == ZX_OK)
		st = cfidl_vsock_GuestRegistryRegister_async(
		    g->registry, requested_cid, on_register_reply, g);
	/* Run the loop until the daemon answers (events of others' objects
	 * on this loop run meanwhile, as they would anyway). */
	while (st == ZX_OK && !g->answered) {
		st = cfidl_loop_run(loop, deadline, true);
	}
	if (st == ZX_OK)
		st = g->reg_status;
	if (st == ZX_OK) {
		/* handles are consumed, even on error. */
		st = cfv_shm_transport_open(loop, &g->handles, &g->transport);
		memset(&g->handles, 0, sizeof g->handles);
	}
	if (st == ZX_OK)
		st = cfv_device_create(loop, g->transport, g->cid, &g->device);
	if (st == ZX_OK) {
		zx_handle_t dev_client, dev_server;
		st = zx_channel_create(0, &dev_client, &dev_server);
		if (st == ZX_OK) {
			st = cfv_device_bind(g->device, dev_server);
			if (st != ZX_OK)
				zx_handle_close(dev_client);
			else
				st = cfv_service_create(loop, dev_client,
				                        &g->service);
		}
	}
	if (st == ZX_OK)
		st = listen_connector(g);
	if (st != ZX_OK) {
		g->gone = true; /* no on_gone for a create that failed */
		cfidl_vsock_guest_destroy(g);
		return st;
	}
	*out = g;
	return ZX_OK;
}

uint32_t cfidl_vsock_guest_cid(const cfidl_vsock_guest_t *g)
{
	return g->cid;
}

uint32_t cfidl_vsock_guest_reset_count(const cfidl_vsock_guest_t *g)
{
	return g->resets;
}

uint32_t cfv_guest_connection_count(const cfidl_vsock_guest_t *g)
{
	return g->service ? cfv_service_connection_count(g->service) : 0;
}

const char *cfv_guest_rundir(const cfidl_vsock_guest_t *g)
{
	return g->rundir;
}

void cfidl_vsock_guest_destroy(cfidl_vsock_guest_t *g)
{
	if (!g)
		return;
	/* Apps first (they stop coming), then the layers top down: the
	 * Service drops its Device channel, the Device borrows the
	 * transport, and the registry channel's close tells the daemon. */
	cfv_uds_listener_destroy(g->connector);
	cfv_service_destroy(g->service);
	cfv_device_destroy(g->device);
	cfv_transport_destroy(g->transport);
	if (g->registry)
		cfidl_client_destroy(g->registry);
	zx_handle_close(g->handles.rings);
	zx_handle_close(g->handles.guest_doorbell);
	zx_handle_close(g->handles.host_doorbell);
	free(g);
}
