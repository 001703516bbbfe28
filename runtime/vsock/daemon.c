/*
 * daemon.c: the host daemon as a library (cfidl_vsock_daemon_*, under
 * cfidl-vsockd).  It glues the parts on one loop:
 *
 *   rundir (0700) -> registry.sock: a guest registers and gets a CID ->
 *   per guest: a shared-memory transport (its handles go back in the
 *   reply), a host half serving GuestVsockEndpoint on an in-process channel
 *   whose client end the router gets (SetContextId), endpoint-<cid>.sock
 *   (HostVsockEndpoint for host apps, served by the router) and
 *   vsock-<cid>.sock (hybrid vsock).
 *
 * The guest's registry channel closing is its death: everything of it goes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cfidl/channel.h>
#include <cfidl/handle.h>
#include <cfidl/loop.h>
#include <cfidl/vsock.h>

#include "daemon.h"
#include "host_half.h"
#include "hybrid.h"
#include "registry.h"
#include "router.h"
#include "rundir.h"
#include "transport.h"
#include "uds_listener.h"

/* Ring bytes each way of a guest's transport (VSOCK_DESIGN.md 3). */
#define CFV_DAEMON_RING_BYTES (1u << 20)

typedef struct dguest {
	struct dguest *next;
	cfidl_vsock_daemon_t *d;
	uint32_t cid;
	cfv_transport_t *transport; /* host end */
	cfv_host_half_t *host_half;
	cfv_uds_listener_t *endpoint; /* endpoint-<cid>.sock */
	cfv_hybrid_t *hybrid;         /* vsock-<cid>.sock */
	bool in_router;
} dguest_t;

struct cfidl_vsock_daemon {
	cfidl_loop_t *loop;
	char rundir[CFV_UDS_PATH_MAX + 1];
	cfv_router_t *router;
	cfv_registry_t *registry;
	dguest_t *guests;
	uint32_t count;
	size_t ring_bytes;
};

static dguest_t *find_guest(const cfidl_vsock_daemon_t *d, uint32_t cid)
{
	for (dguest_t *g = d->guests; g; g = g->next)
		if (g->cid == cid)
			return g;
	return NULL;
}

/* Tears one guest down, top first: nobody new comes in (sockets), the
 * router forgets it, then the host half (every connection reset, sockets
 * closed) and the transport it borrowed. */
static void guest_free(dguest_t *g)
{
	cfv_hybrid_destroy(g->hybrid);
	cfv_uds_listener_destroy(g->endpoint);
	if (g->in_router)
		cfv_router_remove_guest(g->d->router, g->cid);
	cfv_host_half_destroy(g->host_half);
	cfv_transport_destroy(g->transport);
	free(g);
}

/* A host app connected to endpoint-<cid>.sock: ch (consumed) serves
 * fuchsia.virtualization.HostVsockEndpoint for that guest. */
static void on_endpoint_channel(void *ctx, zx_handle_t ch)
{
	dguest_t *g = ctx;
	cfv_router_bind_host_endpoint(g->d->router, g->cid, ch);
}

static zx_status_t guest_build(dguest_t *g, cfv_shm_handles_t *for_guest)
{
	cfidl_vsock_daemon_t *d = g->d;
	char path[CFV_UDS_PATH_MAX + 1];
	zx_status_t st = cfv_shm_transport_create(d->loop, d->ring_bytes,
	                                          &g->transport, for_guest);
	if (st != ZX_OK)
		return st;
	st = cfv_host_half_create(d->loop, g->transport, g->cid, &g->host_half);
	if (st != ZX_OK)
		return st;
	zx_handle_t ep_client, ep_server;
	st = zx_channel_create(0, &ep_client, &ep_server);
	if (st != ZX_OK)
		return st;
	st = cfv_host_half_bind_endpoint(g->host_half, ep_server);
	if (st != ZX_OK) {
		zx_handle_close(ep_client);
		return st;
	}
	st = cfv_router_add_guest(d->router, g->cid, ep_client);
	if (st != ZX_OK)
		return st;
	g->in_router = true;
	st = cfv_rundir_endpoint_path(path, sizeof path, d->rundir, g->cid);
	if (st == ZX_OK)
		st = cfv_uds_listener_create(d->loop, path, on_endpoint_channel,
		                             g, &g->endpoint);
	if (st != ZX_OK)
		return st;
	st = cfv_rundir_hybrid_path(path, sizeof path, d->rundir, g->cid);
	if (st == ZX_OK)
		st = cfv_hybrid_create(d->loop, d->router, g->cid, path,
		                       &g->hybrid);
	return st;
}

/* The registry's questions. */

static zx_status_t on_register(void *ctx, uint32_t cid,
                               cfv_shm_handles_t *for_guest)
{
	cfidl_vsock_daemon_t *d = ctx;
	if (find_guest(d, cid))
		return ZX_ERR_ALREADY_EXISTS;
	dguest_t *g = calloc(1, sizeof *g);
	if (!g)
		return ZX_ERR_NO_MEMORY;
	g->d = d;
	g->cid = cid;
	memset(for_guest, 0, sizeof *for_guest);
	zx_status_t st = guest_build(g, for_guest);
	if (st != ZX_OK) {
		zx_handle_close(for_guest->rings);
		zx_handle_close(for_guest->guest_doorbell);
		zx_handle_close(for_guest->host_doorbell);
		memset(for_guest, 0, sizeof *for_guest);
		guest_free(g);
		return st;
	}
	g->next = d->guests;
	d->guests = g;
	d->count++;
	return ZX_OK;
}

/* A guest that died (SIGKILL, crash) could not remove its
 * connector-<cid>.sock: remove it if nobody accepts on it any more, so the
 * directory holds only live sockets. */
static void remove_stale_connector(const cfidl_vsock_daemon_t *d, uint32_t cid)
{
	char path[CFV_UDS_PATH_MAX + 1];
	int fd;
	if (cfv_rundir_connector_path(path, sizeof path, d->rundir, cid) !=
	    ZX_OK)
		return;
	zx_status_t st = cfv_uds_connect(path, SOCK_SEQPACKET, &fd);
	if (st == ZX_OK)
		close(fd); /* alive: a guest leaving on its own removes it */
	else if (st == ZX_ERR_CONNECTION_REFUSED)
		unlink(path);
}

static void on_gone(void *ctx, uint32_t cid)
{
	cfidl_vsock_daemon_t *d = ctx;
	remove_stale_connector(d, cid);
	for (dguest_t **pp = &d->guests; *pp; pp = &(*pp)->next) {
		if ((*pp)->cid == cid) {
			dguest_t *g = *pp;
			*pp = g->next;
			d->count--;
			guest_free(g);
			return;
		}
	}
}

zx_status_t cfidl_vsock_daemon_create(struct cfidl_loop *loop,
                                      const char *rundir,
                                      cfidl_vsock_daemon_t **out)
{
	if (!loop || !out)
		return ZX_ERR_INVALID_ARGS;
	cfidl_vsock_daemon_t *d = calloc(1, sizeof *d);
	if (!d)
		return ZX_ERR_NO_MEMORY;
	d->loop = loop;
	d->ring_bytes = CFV_DAEMON_RING_BYTES;
	char path[CFV_UDS_PATH_MAX + 1];
	zx_status_t st = cfv_rundir_prepare(rundir, rundir ? NULL : d->rundir,
	                                    sizeof d->rundir);
	if (st == ZX_OK && rundir) {
		if (strlen(rundir) >= sizeof d->rundir)
			st = ZX_ERR_BAD_PATH;
		else
			strcpy(d->rundir, rundir);
	}
	if (st == ZX_OK)
		st = cfv_router_create(loop, d->rundir, &d->router);
	if (st == ZX_OK)
		st = cfv_rundir_registry_path(path, sizeof path, d->rundir);
	if (st == ZX_OK) {
		static const cfv_registry_callbacks_t cb = {
		    .on_register = on_register,
		    .on_gone = on_gone,
		};
		st = cfv_registry_create(loop, path, d->router, &cb, d,
		                         &d->registry);
	}
	if (st != ZX_OK) {
		cfidl_vsock_daemon_destroy(d);
		return st;
	}
	*out = d;
	return ZX_OK;
}

const char *cfidl_vsock_daemon_rundir(const cfidl_vsock_daemon_t *d)
{
	return d->rundir;
}

uint32_t cfidl_vsock_daemon_guest_count(const cfidl_vsock_daemon_t *d)
{
	return d->count;
}

zx_status_t cfidl_vsock_daemon_reset_guest(cfidl_vsock_daemon_t *d,
                                           uint32_t cid)
{
	bool any = false;
	for (dguest_t *g = d->guests; g; g = g->next) {
		if (cid != 0 && g->cid != cid)
			continue;
		any = true;
		/* Our side drops its connections now; the guest's side when
		 * the event arrives.  Packets crossing meanwhile find no
		 * connection and get RST, which both sides ignore. */
		cfv_host_half_transport_reset(g->host_half, g->cid);
		cfv_registry_send_transport_reset(d->registry, g->cid, g->cid);
	}
	return any ? ZX_OK : ZX_ERR_NOT_FOUND;
}

void cfidl_vsock_daemon_destroy(cfidl_vsock_daemon_t *d)
{
	if (!d)
		return;
	/* The registry first: guests see their channel close and leave. */
	cfv_registry_destroy(d->registry);
	while (d->guests) {
		dguest_t *g = d->guests;
		d->guests = g->next;
		guest_free(g);
	}
	cfv_router_destroy(d->router);
	free(d);
}

uint32_t cfv_daemon_guest_cid_at(const cfidl_vsock_daemon_t *d, uint32_t i)
{
	for (dguest_t *g = d->guests; g; g = g->next, i--)
		if (i == 0)
			return g->cid;
	return 0;
}
