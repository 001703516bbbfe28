/*
 * router.c: CIDs, host listeners and the switch between host apps, host
 * halves, hybrid sockets and guests, on the fuchsia.virtualization
 * bindings.
 */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>

#include "fuchsia.virtualization.h"
#include "port_manager.h"
#include "rundir.h"
#include "uds_listener.h"

/* The ephemeral range (REFERENCE 6). */
#define HOST_PORT_FIRST 49152u
#define HOST_PORT_LAST  65535u

typedef struct guest guest_t;

/* One HostVsockEndpoint served for a guest; freed when unbound. */
typedef struct ep_binding {
	struct ep_binding *next;
	guest_t *g; /* NULL once the guest is gone */
	cfidl_binding_t *binding;
} ep_binding_t;

/* The HostVsockConnector served for a guest; freed when unbound. */
typedef struct conn_ctx {
	guest_t *g; /* NULL once the guest is gone */
	cfidl_binding_t *binding;
} conn_ctx_t;

struct guest {
	guest_t *next;
	cfv_router_t *r;
	uint32_t cid;
	cfidl_client_t *endpoint; /* GuestVsockEndpoint (OnShutdown events) */
	cfidl_client_t *acceptor; /* GuestVsockAcceptor */
	conn_ctx_t *connector;
	ep_binding_t *eps;
	uint32_t *ports; /* host ports allocated for connections to it */
	uint32_t nports, cap;
	char hybrid[CFV_UDS_PATH_MAX + 1]; /* "" = the default */
};

typedef struct listener {
	struct listener *next;
	cfv_router_t *r;
	uint32_t port;
	cfidl_client_t *acceptor; /* HostVsockAcceptor */
} listener_t;

struct cfv_router {
	cfidl_loop_t *loop;
	char rundir[CFV_UDS_PATH_MAX + 1];
	guest_t *guests;
	listener_t *listeners;
	cfv_port_manager_t *pm;
	cfv_router_stats_t stats;
};

/* A request waiting for an answer from a guest or a host listener. */
enum op_kind {
	OP_CONNECT2,   /* HostVsockEndpoint.Connect2: reply with keep */
	OP_TO_GUEST,   /* HostVsockConnector.Connect to a guest: reply keep */
	OP_TO_LISTENER /* HostVsockConnector.Connect to a listener */
};

struct cfv_router_req {
	cfv_router_t *r;
	int kind; /* enum op_kind, or -1 for an in-process request */
	fidl_txn_t txn;
	zx_handle_t keep;   /* our end, for the requester on success */
	uint32_t cid;       /* the guest holding host_port */
	uint32_t host_port; /* 0: none allocated */
	cfv_router_connect_fn cb;
	void *cb_ctx;
};
typedef struct cfv_router_req op_t;

bool cfv_router_cid_reserved(uint32_t cid)
{
	return cid <= CFV_ROUTER_HOST_CID || cid == 0xFFFFFFFFu;
}

static guest_t *find_guest(const cfv_router_t *r, uint32_t cid)
{
	for (guest_t *g = r->guests; g; g = g->next)
		if (g->cid == cid)
			return g;
	return NULL;
}

static listener_t *find_listener(const cfv_router_t *r, uint32_t port)
{
	for (listener_t *l = r->listeners; l; l = l->next)
		if (l->port == port)
			return l;
	return NULL;
}

uint32_t cfv_router_next_cid(const cfv_router_t *r)
{
	for (uint32_t cid = CFV_ROUTER_FIRST_GUEST_CID; cid < 0xFFFFFFFFu;
	     cid++)
		if (!find_guest(r, cid))
			return cid;
	return 0;
}

bool cfv_router_has_guest(const cfv_router_t *r, uint32_t cid)
{
	return find_guest(r, cid) != NULL;
}

/* ---- host ports ---- */

static zx_status_t port_alloc(guest_t *g, uint32_t *out)
{
	zx_status_t s;

	if (g->nports == g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 16;
		uint32_t *p = realloc(g->ports, cap * sizeof(*p));

		if (!p)
			return ZX_ERR_NO_MEMORY;
		g->ports = p;
		g->cap = cap;
	}
	s = cfv_port_manager_alloc(g->r->pm, zx_clock_get_monotonic(), out);
	if (s != ZX_OK)
		return s;
	g->ports[g->nports++] = *out;
	g->r->stats.host_ports++;
	return ZX_OK;
}

/* Frees port if guest g holds it (a listener's port is not g's). */
static void port_free(guest_t *g, uint32_t port)
{
	for (uint32_t i = 0; i < g->nports; i++) {
		if (g->ports[i] != port)
			continue;
		g->ports[i] = g->ports[--g->nports];
		cfv_port_manager_release(g->r->pm, port, false,
		                         zx_clock_get_monotonic());
		g->r->stats.host_ports--;
		return;
	}
}

/* ---- requests ---- */

static op_t *op_new(cfv_router_t *r, int kind, const fidl_txn_t *txn)
{
	op_t *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->r = r;
	op->kind = kind;
	if (txn)
		op->txn = *txn;
	return op;
}

/* The request failed: free its port, tell its requester. */
static void op_fail(op_t *op, zx_status_t status)
{
	guest_t *g;

	zx_handle_close(op->keep);
	op->keep = ZX_HANDLE_INVALID;
	if (op->host_port && (g = find_guest(op->r, op->cid)) != NULL)
		port_free(g, op->host_port);
	switch (op->kind) {
	case OP_CONNECT2:
		fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
		    &op->txn, status);
		break;
	case OP_TO_GUEST:
	case OP_TO_LISTENER:
		op->r->stats.connects_refused++;
		fuchsia_virtualization_HostVsockConnectorConnect_reply_error(
		    &op->txn, status);
		break;
	default:
		if (op->cb)
			op->cb(op->cb_ctx, status, 0);
	}
	free(op);
}

/* The guest's GuestVsockAcceptor.Accept answered. */
static void on_guest_accept(void *ctx, zx_status_t status,
                            fidl_incoming_msg_t *msg)
{
	op_t *op = ctx;
	fuchsia_virtualization_GuestVsockAcceptor_Accept_Result *res = NULL;
	const int32_t *err;

	if (status == ZX_OK) {
		status =
		    fuchsia_virtualization_GuestVsockAcceptorAccept_decode_response(
		        msg, &res);
		if (status != ZX_OK)
			status = ZX_ERR_IO;
		else if (
		    (err =
		         fuchsia_virtualization_GuestVsockAcceptor_Accept_Result_get_err(
		             res)) != NULL)
			status = *err != ZX_OK ? *err : ZX_ERR_IO;
		else if (
		    !fuchsia_virtualization_GuestVsockAcceptor_Accept_Result_get_response(
		        res))
			status = ZX_ERR_IO;
	}
	if (status != ZX_OK) {
		op_fail(op, status);
		return;
	}
	switch (op->kind) {
	case OP_CONNECT2:
		fuchsia_virtualization_HostVsockEndpointConnect2_reply(
		    &op->txn, op->keep);
		break;
	case OP_TO_GUEST:
		op->r->stats.connects_routed++;
		fuchsia_virtualization_HostVsockConnectorConnect_reply(
		    &op->txn, op->keep);
		break;
	default:
		if (op->cb)
			op->cb(op->cb_ctx, ZX_OK, op->host_port);
	}
	free(op);
}

/*
 * Sends Accept(src_cid, src_port, port, their end) to guest g for op; our
 * end goes to op->keep unless op->kind is in-process (then socket is the
 * caller's and nothing is kept).  On error op is freed, its requester not
 * told.
 */
static zx_status_t send_accept(guest_t *g, op_t *op, uint32_t src_cid,
                               uint32_t src_port, uint32_t port,
                               zx_handle_t theirs)
{
	zx_status_t s;

	if (!g->acceptor) {
		zx_handle_close(theirs);
		s = ZX_ERR_PEER_CLOSED;
	} else {
		/* The socket travels with the message, even on error. */
		s = fuchsia_virtualization_GuestVsockAcceptorAccept_async(
		    g->acceptor, src_cid, src_port, port, theirs,
		    on_guest_accept, op);
	}
	if (s != ZX_OK) {
		zx_handle_close(op->keep);
		if (op->host_port)
			port_free(g, op->host_port);
		free(op);
	}
	return s;
}

zx_status_t cfv_router_connect_guest(cfv_router_t *r, uint32_t cid,
                                     uint32_t guest_port, zx_handle_t socket,
                                     cfv_router_connect_fn cb, void *ctx,
                                     cfv_router_req_t **out_req)
{
	guest_t *g = r ? find_guest(r, cid) : NULL;
	op_t *op;
	zx_status_t s;

	if (!g || !cb) {
		zx_handle_close(socket);
		return g ? ZX_ERR_INVALID_ARGS : ZX_ERR_NOT_FOUND;
	}
	op = op_new(r, -1, NULL);
	if (!op) {
		zx_handle_close(socket);
		return ZX_ERR_NO_MEMORY;
	}
	op->cb = cb;
	op->cb_ctx = ctx;
	op->cid = cid;
	s = port_alloc(g, &op->host_port);
	if (s != ZX_OK) {
		free(op);
		zx_handle_close(socket);
		return s;
	}
	s = send_accept(g, op, CFV_ROUTER_HOST_CID, op->host_port, guest_port,
	                socket);
	if (s == ZX_OK && out_req)
		*out_req = op;
	return s;
}

void cfv_router_req_cancel(cfv_router_req_t *req)
{
	if (req)
		req->cb = NULL;
}

/* ---- HostVsockEndpoint, per guest ---- */

static void on_listener_error(void *ctx, zx_status_t status)
{
	listener_t *l = ctx;
	cfv_router_t *r = l->r;

	(void)status;
	/* The host app's acceptor is gone: so is its listener. */
	for (listener_t **pp = &r->listeners; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	cfv_port_manager_release(r->pm, l->port, false,
	                         zx_clock_get_monotonic());
	r->stats.listeners--;
	cfidl_client_destroy(l->acceptor);
	free(l);
}

static zx_status_t ep_listen(void *ctx, uint32_t port, zx_handle_t acceptor,
                             fidl_txn_t *txn)
{
	ep_binding_t *eb = ctx;
	cfv_router_t *r;
	listener_t *l;
	zx_status_t s;
	static const cfidl_client_handlers_t h = {NULL, on_listener_error};

	if (!eb->g) {
		zx_handle_close(acceptor);
		fuchsia_virtualization_HostVsockEndpointListen_reply_error(
		    txn, ZX_ERR_PEER_CLOSED);
		return ZX_OK;
	}
	r = eb->g->r;
	/* One listener per host port, and not a port a connection uses. */
	if (find_listener(r, port) || cfv_port_manager_in_use(r->pm, port)) {
		zx_handle_close(acceptor);
		fuchsia_virtualization_HostVsockEndpointListen_reply_error(
		    txn, ZX_ERR_ALREADY_BOUND);
		return ZX_OK;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		zx_handle_close(acceptor);
		fuchsia_virtualization_HostVsockEndpointListen_reply_error(
		    txn, ZX_ERR_NO_MEMORY);
		return ZX_OK;
	}
	l->r = r;
	l->port = port;
	s = cfv_port_manager_reserve(r->pm, port);
	if (s == ZX_OK) {
		s = cfidl_client_create(r->loop, acceptor, &h, l, &l->acceptor);
		if (s != ZX_OK)
			cfv_port_manager_release(r->pm, port, false,
			                         zx_clock_get_monotonic());
	} else {
		zx_handle_close(acceptor);
	}
	if (s != ZX_OK) {
		free(l);
		fuchsia_virtualization_HostVsockEndpointListen_reply_error(txn,
		                                                           s);
		return ZX_OK;
	}
	l->next = r->listeners;
	r->listeners = l;
	r->stats.listeners++;
	fuchsia_virtualization_HostVsockEndpointListen_reply(txn);
	return ZX_OK;
}

static zx_status_t ep_connect2(void *ctx, uint32_t guest_port, fidl_txn_t *txn)
{
	ep_binding_t *eb = ctx;
	guest_t *g = eb->g;
	zx_handle_t ours, theirs;
	op_t *op;
	zx_status_t s;

	if (!g) {
		fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
		    txn, ZX_ERR_PEER_CLOSED);
		return ZX_OK;
	}
	op = op_new(g->r, OP_CONNECT2, txn);
	if (!op)
		goto fail_nomem;
	op->cid = g->cid;
	s = port_alloc(g, &op->host_port);
	if (s != ZX_OK) {
		free(op);
		fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
		    txn, s);
		return ZX_OK;
	}
	s = zx_socket_create(0, &ours, &theirs);
	if (s != ZX_OK) {
		port_free(g, op->host_port);
		free(op);
		fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
		    txn, s);
		return ZX_OK;
	}
	op->keep = ours;
	s = send_accept(g, op, CFV_ROUTER_HOST_CID, op->host_port, guest_port,
	                theirs);
	if (s != ZX_OK)
		fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
		    txn, s);
	return ZX_OK;
fail_nomem:
	fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
	    txn, ZX_ERR_NO_MEMORY);
	return ZX_OK;
}

static const fuchsia_virtualization_HostVsockEndpoint_ops_t ep_ops = {
    .Listen = ep_listen,
    .Connect2 = ep_connect2,
};

static void ep_unbound(void *ctx, zx_status_t reason)
{
	ep_binding_t *eb = ctx;

	(void)reason;
	if (eb->g) {
		for (ep_binding_t **pp = &eb->g->eps; *pp; pp = &(*pp)->next) {
			if (*pp == eb) {
				*pp = eb->next;
				break;
			}
		}
	}
	free(eb);
}

zx_status_t cfv_router_bind_host_endpoint(cfv_router_t *r, uint32_t cid,
                                          zx_handle_t server_end)
{
	guest_t *g = r ? find_guest(r, cid) : NULL;
	ep_binding_t *eb;
	zx_status_t s;

	if (!g) {
		zx_handle_close(server_end);
		return ZX_ERR_NOT_FOUND;
	}
	eb = calloc(1, sizeof(*eb));
	if (!eb) {
		zx_handle_close(server_end);
		return ZX_ERR_NO_MEMORY;
	}
	eb->g = g;
	s = cfidl_bind_etc(
	    r->loop, server_end,
	    CFIDL_DISPATCH(fuchsia_virtualization_HostVsockEndpoint_dispatch),
	    eb, &ep_ops, ep_unbound, &eb->binding);
	if (s != ZX_OK) {
		free(eb);
		return s;
	}
	eb->next = g->eps;
	g->eps = eb;
	return ZX_OK;
}

/* ---- HostVsockConnector, for the host halves ---- */

/* A host listener's HostVsockAcceptor.Accept answered. */
static void on_listener_accept(void *ctx, zx_status_t status,
                               fidl_incoming_msg_t *msg)
{
	op_t *op = ctx;
	fuchsia_virtualization_HostVsockAcceptor_Accept_Result *res = NULL;
	const fuchsia_virtualization_HostVsockAcceptor_Accept_Response *ok;
	const int32_t *err;

	if (status == ZX_OK) {
		status =
		    fuchsia_virtualization_HostVsockAcceptorAccept_decode_response(
		        msg, &res);
		if (status != ZX_OK) {
			status = ZX_ERR_IO;
		} else if (
		    (ok =
		         fuchsia_virtualization_HostVsockAcceptor_Accept_Result_get_response(
		             res)) != NULL) {
			op->keep = ok->socket;
		} else {
			err =
			    fuchsia_virtualization_HostVsockAcceptor_Accept_Result_get_err(
			        res);
			status = err && *err != ZX_OK ? *err : ZX_ERR_IO;
		}
	}
	if (status != ZX_OK) {
		op_fail(op, status);
		return;
	}
	op->r->stats.connects_routed++;
	fuchsia_virtualization_HostVsockConnectorConnect_reply(&op->txn,
	                                                       op->keep);
	free(op);
}

/* Firecracker's forward: `<hybrid path>_<port>`, if someone listens. */
static zx_status_t hybrid_forward(guest_t *g, uint32_t port, zx_handle_t *out)
{
	char path[CFV_UDS_PATH_MAX + 1];
	zx_status_t s;
	int fd;

	if (g->hybrid[0])
		s = snprintf(path, sizeof(path), "%s_%u", g->hybrid, port) <
		            (int)sizeof(path)
		        ? ZX_OK
		        : ZX_ERR_BAD_PATH;
	else
		s = cfv_rundir_path(path, sizeof(path), g->r->rundir,
		                    "vsock-%u.sock_%u", g->cid, port);
	if (s != ZX_OK)
		return ZX_ERR_CONNECTION_REFUSED;
	s = cfv_uds_connect(path, SOCK_STREAM, &fd);
	if (s != ZX_OK)
		return ZX_ERR_CONNECTION_REFUSED; /* none, dead or full: RST */
	return cfidl_socket_adopt_fd(fd, out);
}

static zx_status_t conn_connect(void *ctx, uint32_t src_cid, uint32_t src_port,
                                uint32_t cid, uint32_t port, fidl_txn_t *txn)
{
	conn_ctx_t *cc = ctx;
	guest_t *g = cc->g, *to;
	cfv_router_t *r;
	listener_t *l;
	zx_handle_t sock, ours, theirs;
	op_t *op;
	zx_status_t s;

	if (!g) {
		fuchsia_virtualization_HostVsockConnectorConnect_reply_error(
		    txn, ZX_ERR_PEER_CLOSED);
		return ZX_OK;
	}
	r = g->r;
	if (src_cid != g->cid) {
		s = ZX_ERR_ACCESS_DENIED; /* a forged source */
		goto refuse;
	}
	if (cid == CFV_ROUTER_HOST_CID) {
		l = find_listener(r, port);
		if (!l) {
			s = hybrid_forward(g, port, &sock);
			if (s != ZX_OK)
				goto refuse;
			r->stats.connects_routed++;
			fuchsia_virtualization_HostVsockConnectorConnect_reply(
			    txn, sock);
			return ZX_OK;
		}
		op = op_new(r, OP_TO_LISTENER, txn);
		if (!op) {
			s = ZX_ERR_NO_MEMORY;
			goto refuse;
		}
		s = fuchsia_virtualization_HostVsockAcceptorAccept_async(
		    l->acceptor, src_cid, src_port, port, on_listener_accept,
		    op);
		if (s != ZX_OK) {
			free(op);
			goto refuse;
		}
		return ZX_OK;
	}
	to = cfv_router_cid_reserved(cid) || cid == g->cid ? NULL
	                                                   : find_guest(r, cid);
	if (!to) {
		s = ZX_ERR_ADDRESS_UNREACHABLE;
		goto refuse;
	}
	op = op_new(r, OP_TO_GUEST, txn);
	if (!op) {
		s = ZX_ERR_NO_MEMORY;
		goto refuse;
	}
	s = zx_socket_create(0, &ours, &theirs);
	if (s != ZX_OK) {
		free(op);
		goto refuse;
	}
	op->keep = ours;
	s = send_accept(to, op, src_cid, src_port, port, theirs);
	if (s != ZX_OK)
		goto refuse;
	return ZX_OK;
refuse:
	r->stats.connects_refused++;
	fuchsia_virtualization_HostVsockConnectorConnect_reply_error(txn, s);
	return ZX_OK;
}

static const fuchsia_virtualization_HostVsockConnector_ops_t conn_ops = {
    .Connect = conn_connect,
};

static void conn_unbound(void *ctx, zx_status_t reason)
{
	conn_ctx_t *cc = ctx;

	(void)reason;
	if (cc->g)
		cc->g->connector = NULL;
	free(cc);
}

/* ---- guests ---- */

static void on_shutdown_event(void *ctx, uint32_t src_cid, uint32_t src_port,
                              uint32_t dst_cid, uint32_t dst_port)
{
	guest_t *g = ctx;

	(void)src_port;
	/* A connection of this guest to the host ended: its port is free. */
	if (src_cid == g->cid && dst_cid == CFV_ROUTER_HOST_CID)
		port_free(g, dst_port);
}

static void on_endpoint_event(void *ctx, fidl_incoming_msg_t *msg)
{
	static const fuchsia_virtualization_GuestVsockEndpoint_event_handlers_t
	    h = {.OnShutdown = on_shutdown_event};

	(void)fuchsia_virtualization_GuestVsockEndpoint_handle_event(&h, ctx,
	                                                             msg);
}

static void free_guest(guest_t *g)
{
	cfv_router_t *r = g->r;

	/* Unlinked first: answers to its pending requests find no guest. */
	for (guest_t **pp = &r->guests; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			r->stats.guests--;
			break;
		}
	}
	cfidl_client_destroy(g->acceptor);
	cfidl_client_destroy(g->endpoint);
	if (g->connector) {
		conn_ctx_t *cc = g->connector;

		g->connector = NULL;
		cc->g = NULL;
		cfidl_binding_close(cc->binding, ZX_ERR_PEER_CLOSED);
	}
	while (g->eps) {
		ep_binding_t *eb = g->eps;

		g->eps = eb->next;
		eb->g = NULL;
		cfidl_binding_close(eb->binding, ZX_ERR_PEER_CLOSED);
	}
	for (uint32_t i = 0; i < g->nports; i++)
		cfv_port_manager_release(r->pm, g->ports[i], false,
		                         zx_clock_get_monotonic());
	r->stats.host_ports -= g->nports;
	free(g->ports);
	free(g);
}

zx_status_t cfv_router_add_guest(cfv_router_t *r, uint32_t cid,
                                 zx_handle_t guest_endpoint)
{
	static const cfidl_client_handlers_t ep_h = {on_endpoint_event, NULL};
	static const cfidl_client_handlers_t acc_h = {NULL, NULL};
	zx_handle_t conn_c = ZX_HANDLE_INVALID, conn_s = ZX_HANDLE_INVALID;
	zx_handle_t acc_c = ZX_HANDLE_INVALID, acc_s = ZX_HANDLE_INVALID;
	guest_t *g;
	zx_status_t s;

	if (!r || cfv_router_cid_reserved(cid)) {
		zx_handle_close(guest_endpoint);
		return ZX_ERR_INVALID_ARGS;
	}
	if (find_guest(r, cid)) {
		zx_handle_close(guest_endpoint);
		return ZX_ERR_ALREADY_EXISTS;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		zx_handle_close(guest_endpoint);
		return ZX_ERR_NO_MEMORY;
	}
	g->r = r;
	g->cid = cid;
	g->next = r->guests;
	r->guests = g;
	r->stats.guests++;
	s = cfidl_client_create(r->loop, guest_endpoint, &ep_h, g,
	                        &g->endpoint);
	if (s == ZX_OK)
		s = zx_channel_create(0, &conn_c, &conn_s);
	if (s == ZX_OK)
		s = zx_channel_create(0, &acc_c, &acc_s);
	if (s == ZX_OK) {
		g->connector = calloc(1, sizeof(*g->connector));
		s = g->connector ? ZX_OK : ZX_ERR_NO_MEMORY;
	}
	if (s == ZX_OK) {
		g->connector->g = g;
		s = cfidl_bind_etc(
		    r->loop, conn_s,
		    CFIDL_DISPATCH(
		        fuchsia_virtualization_HostVsockConnector_dispatch),
		    g->connector, &conn_ops, conn_unbound,
		    &g->connector->binding);
		conn_s = ZX_HANDLE_INVALID;
		if (s != ZX_OK) {
			free(g->connector);
			g->connector = NULL;
		}
	}
	if (s == ZX_OK) {
		s = cfidl_client_create(r->loop, acc_c, &acc_h, g,
		                        &g->acceptor);
		acc_c = ZX_HANDLE_INVALID;
	}
	if (s == ZX_OK) {
		/* One-way: both ends travel, even on error. */
		s = fuchsia_virtualization_GuestVsockEndpointSetContextId(
		    cfidl_client_channel(g->endpoint), cid, conn_c, acc_s);
		conn_c = acc_s = ZX_HANDLE_INVALID;
	}
	if (s != ZX_OK) {
		zx_handle_close(conn_c);
		zx_handle_close(conn_s);
		zx_handle_close(acc_c);
		zx_handle_close(acc_s);
		free_guest(g);
	}
	return s;
}

zx_status_t cfv_router_remove_guest(cfv_router_t *r, uint32_t cid)
{
	guest_t *g = r ? find_guest(r, cid) : NULL;

	if (!g)
		return ZX_ERR_NOT_FOUND;
	free_guest(g);
	return ZX_OK;
}

zx_status_t cfv_router_set_hybrid_path(cfv_router_t *r, uint32_t cid,
                                       const char *path)
{
	guest_t *g = r ? find_guest(r, cid) : NULL;

	if (!g)
		return ZX_ERR_NOT_FOUND;
	if (!path) {
		g->hybrid[0] = '\0';
		return ZX_OK;
	}
	/* Room for "_65535" and more after it. */
	if (strlen(path) + 12 > sizeof(g->hybrid))
		return ZX_ERR_BAD_PATH;
	memcpy(g->hybrid, path, strlen(path) + 1);
	return ZX_OK;
}

/* ---- the router ---- */

zx_status_t cfv_router_create(cfidl_loop_t *loop, const char *rundir,
                              cfv_router_t **out)
{
	cfv_router_t *r;
	zx_status_t s;

	if (!loop || !rundir || !out)
		return ZX_ERR_INVALID_ARGS;
	if (strlen(rundir) >= sizeof(r->rundir))
		return ZX_ERR_BAD_PATH;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ZX_ERR_NO_MEMORY;
	r->loop = loop;
	memcpy(r->rundir, rundir, strlen(rundir) + 1);
	s = cfv_port_manager_create(HOST_PORT_FIRST, HOST_PORT_LAST,
	                            CFV_PORT_QUARANTINE, &r->pm);
	if (s != ZX_OK) {
		free(r);
		return s;
	}
	*out = r;
	return ZX_OK;
}

void cfv_router_destroy(cfv_router_t *r)
{
	if (!r)
		return;
	while (r->guests)
		free_guest(r->guests);
	while (r->listeners) {
		listener_t *l = r->listeners;

		r->listeners = l->next;
		cfidl_client_destroy(l->acceptor);
		free(l);
	}
	cfv_port_manager_destroy(r->pm);
	free(r);
}

void cfv_router_get_stats(const cfv_router_t *r, cfv_router_stats_t *out)
{
	*out = r->stats;
}
