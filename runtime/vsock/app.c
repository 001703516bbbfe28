/*
 * The app API (<cfidl/vsock.h>): a program's connect/listen/accept on our
 * vsock, as a host app through HostVsockEndpoint or as an app inside a
 * guest through fuchsia.vsock.Connector, all through the generated
 * bindings on a private loop that runs only inside the blocking calls.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/loop.h>
#include <cfidl/socket.h>
#include <cfidl/vsock.h>
#include <cfidl/wait.h>

#include "fuchsia.virtualization.h"
#include "fuchsia.vsock.h"

#define CFV_APP_BACKLOG        64u
#define CFV_APP_LISTEN_TIMEOUT ZX_SEC(10)
#define CFV_APP_PRUNE_MIN      64u

/* A guest app's connection: the Connection channel, kept while the fd the
 * program got still names the same socket (a closed fd frees it). */
typedef struct cfv_app_conn {
	struct cfv_app_conn *next;
	int fd;
	dev_t dev;
	ino_t ino;
	zx_handle_t con; /* client end of fuchsia.vsock/Connection */
} cfv_app_conn_t;

/* A connection answered but not yet accepted by the program. */
typedef struct cfv_app_pending {
	struct cfv_app_pending *next;
	int fd;
	uint32_t peer_cid, peer_port;
	zx_handle_t con; /* guest apps; else invalid */
} cfv_app_pending_t;

/* Host apps: the HostVsockEndpoint of one guest. */
typedef struct cfv_app_endpoint {
	struct cfv_app_endpoint *next;
	uint32_t cid;
	cfidl_client_t *client;
	bool dead;
} cfv_app_endpoint_t;

typedef struct cfv_app_listener cfv_app_listener_t;

/* One acceptor channel we serve for a listener. */
typedef struct cfv_app_acceptor {
	struct cfv_app_acceptor *next;
	cfv_app_listener_t *listener;
	cfidl_binding_t *binding; /* NULL once unbound */
} cfv_app_acceptor_t;

struct cfv_app_listener {
	struct cfv_app_listener *next;
	uint32_t port;
	uint32_t backlog, queued;
	cfv_app_pending_t *head, **tail;
	cfv_app_acceptor_t *acceptors;
	uint32_t live; /* bound acceptors */
	bool host;
};

struct cfidl_vsock_app {
	cfidl_loop_t *loop;
	char rundir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t as_cid;
	cfidl_client_t *connector; /* guest apps */
	bool connector_dead;
	cfv_app_endpoint_t *endpoints;
	cfv_app_listener_t *listeners;
	cfv_app_conn_t *conns;
	uint32_t nconns;
	uint32_t prune_at; /* prune when nconns reaches it: amortized O(1) */
};

/* An async call's result; freed by whoever finishes last (the caller, or
 * the callback once the caller gave up at its deadline). */
typedef struct cfv_app_call {
	bool done, abandoned;
	zx_status_t status;
	zx_handle_t socket;
	uint32_t local_port;
	uint32_t pending; /* listen: replies still to come */
	uint32_t ok;      /* listen: successes */
} cfv_app_call_t;

static bool is_host(const cfidl_vsock_app_t *app)
{
	return app->as_cid == CFIDL_VSOCK_HOST_CID;
}

/* The rundir rule of the design (section 5); the app never creates it. */
static zx_status_t app_rundir(const char *given, char *buf, size_t n)
{
	const char *env = getenv("CFIDL_VSOCK_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int len;

	if (given && *given)
		len = snprintf(buf, n, "%s", given);
	else if (env && *env)
		len = snprintf(buf, n, "%s", env);
	else if (xdg && *xdg)
		len = snprintf(buf, n, "%s/cfidl-vsock", xdg);
	else
		len =
		    snprintf(buf, n, "/tmp/cfidl-vsock-%u", (unsigned)getuid());
	/* Leave room for "/connector-4294967295.sock". */
	if (len < 0 || (size_t)len + 28 > n)
		return ZX_ERR_INVALID_ARGS;
	return ZX_OK;
}

/* Connects to <rundir>/<name> and adopts the connection as a channel. */
static zx_status_t app_dial(const cfidl_vsock_app_t *app, const char *name,
                            zx_handle_t *out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, len;

	len = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", app->rundir,
	               name);
	if (len < 0 || (size_t)len >= sizeof(sa.sun_path))
		return ZX_ERR_INVALID_ARGS;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ZX_ERR_NO_RESOURCES;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = errno;

		close(fd);
		/* No socket, or a socket nobody serves: no such guest. */
		if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR)
			return ZX_ERR_NOT_FOUND;
		if (err == EACCES || err == EPERM)
			return ZX_ERR_ACCESS_DENIED;
		return ZX_ERR_IO;
	}
	return cfidl_channel_adopt_fd(fd, out); /* takes fd */
}

/* Runs the loop until *flag or deadline. */
static zx_status_t app_run_until(cfidl_vsock_app_t *app, const bool *flag,
                                 zx_time_t deadline)
{
	while (!*flag) {
		zx_status_t st = cfidl_loop_run(app->loop, deadline, true);

		if (st == ZX_ERR_TIMED_OUT)
			return *flag ? ZX_OK : ZX_ERR_TIMED_OUT;
		if (st != ZX_OK)
			return st;
	}
	return ZX_OK;
}

/* ---- guest apps' Connection channels ---- */

static bool conn_alive(const cfv_app_conn_t *c)
{
	struct stat sb;
	zx_signals_t obs = 0;

	if (fstat(c->fd, &sb) != 0 || sb.st_dev != c->dev ||
	    sb.st_ino != c->ino)
		return false; /* the program closed its fd */
	zx_object_wait_one(c->con, ZX_CHANNEL_PEER_CLOSED,
	                   ZX_TIME_INFINITE_PAST, &obs);
	return !(obs & ZX_CHANNEL_PEER_CLOSED);
}

/* Drops the Connection channels whose connection is over.  Called when
 * the list doubled since the last time, so each connection costs O(1). */
static void conns_prune(cfidl_vsock_app_t *app)
{
	cfv_app_conn_t **pp = &app->conns;

	while (*pp) {
		cfv_app_conn_t *c = *pp;

		if (conn_alive(c)) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		zx_handle_close(c->con);
		free(c);
		app->nconns--;
	}
	app->prune_at = app->nconns * 2 > CFV_APP_PRUNE_MIN ? app->nconns * 2
	                                                    : CFV_APP_PRUNE_MIN;
}

/* Remembers con (consumed) for the connection fd. */
static zx_status_t conns_add(cfidl_vsock_app_t *app, int fd, zx_handle_t con)
{
	cfv_app_conn_t *c = calloc(1, sizeof(*c));
	struct stat sb;

	if (!c || fstat(fd, &sb) != 0) {
		free(c);
		zx_handle_close(con);
		return ZX_ERR_NO_MEMORY;
	}
	c->fd = fd;
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	c->con = con;
	c->next = app->conns;
	app->conns = c;
	if (++app->nconns >= app->prune_at)
		conns_prune(app);
	return ZX_OK;
}

/* ---- opening and closing ---- */

static void on_connector_error(void *ctx, zx_status_t status)
{
	cfidl_vsock_app_t *app = ctx;

	(void)status;
	app->connector_dead = true;
}

zx_status_t cfidl_vsock_app_open(const char *rundir, uint32_t as_cid,
                                 cfidl_vsock_app_t **out)
{
	static const cfidl_client_handlers_t handlers = {
	    .on_error = on_connector_error};
	cfidl_vsock_app_t *app;
	zx_status_t st;

	if (!out || as_cid == 0 || as_cid == 1 || as_cid == UINT32_MAX)
		return ZX_ERR_INVALID_ARGS;
	app = calloc(1, sizeof(*app));
	if (!app)
		return ZX_ERR_NO_MEMORY;
	app->as_cid = as_cid;
	app->prune_at = CFV_APP_PRUNE_MIN;
	st = app_rundir(rundir, app->rundir, sizeof(app->rundir));
	if (st == ZX_OK)
		st = cfidl_loop_create(&app->loop);
	if (st == ZX_OK && !is_host(app)) {
		char name[48];
		zx_handle_t ch;

		snprintf(name, sizeof(name), "connector-%u.sock", as_cid);
		st = app_dial(app, name, &ch);
		if (st == ZX_OK)
			st = cfidl_client_create(app->loop, ch, &handlers, app,
			                         &app->connector);
	}
	if (st != ZX_OK) {
		cfidl_vsock_app_close(app);
		return st;
	}
	*out = app;
	return ZX_OK;
}

static void pending_free(cfv_app_pending_t *p)
{
	close(p->fd);
	zx_handle_close(p->con);
	free(p);
}

static void on_acceptor_unbound(void *ctx, zx_status_t reason)
{
	cfv_app_acceptor_t *a = ctx;

	(void)reason;
	a->binding = NULL;
	a->listener->live--;
}

static void listener_free(cfv_app_listener_t *l)
{
	cfv_app_acceptor_t *a, *an;
	cfv_app_pending_t *p, *pn;

	for (a = l->acceptors; a; a = a->next)
		if (a->binding)
			cfidl_binding_close(a->binding, ZX_OK);
	for (a = l->acceptors; a; a = an) {
		an = a->next;
		free(a);
	}
	for (p = l->head; p; p = pn) {
		pn = p->next;
		pending_free(p);
	}
	free(l);
}

void cfidl_vsock_app_close(cfidl_vsock_app_t *app)
{
	cfv_app_listener_t *l, *ln;
	cfv_app_endpoint_t *e, *en;
	cfv_app_conn_t *c, *cn;

	if (!app)
		return;
	for (l = app->listeners; l; l = ln) {
		ln = l->next;
		listener_free(l);
	}
	for (e = app->endpoints; e; e = en) {
		en = e->next;
		cfidl_client_destroy(e->client);
		free(e);
	}
	if (app->connector)
		cfidl_client_destroy(app->connector);
	for (c = app->conns; c; c = cn) {
		cn = c->next;
		zx_handle_close(c->con);
		free(c);
	}
	if (app->loop)
		cfidl_loop_destroy(app->loop);
	free(app);
}

/* ---- host apps: endpoints ---- */

static void on_endpoint_error(void *ctx, zx_status_t status)
{
	cfv_app_endpoint_t *e = ctx;

	(void)status;
	e->dead = true;
}

/* The live endpoint of guest cid, dialed on first use. */
static zx_status_t app_endpoint(cfidl_vsock_app_t *app, uint32_t cid,
                                cfv_app_endpoint_t **out)
{
	static const cfidl_client_handlers_t handlers = {.on_error =
	                                                     on_endpoint_error};
	cfv_app_endpoint_t **pp, *e;
	char name[48];
	zx_handle_t ch;
	zx_status_t st;

	for (pp = &app->endpoints; *pp; pp = &(*pp)->next) {
		e = *pp;
		if (e->cid != cid)
			continue;
		if (!e->dead) {
			*out = e;
			return ZX_OK;
		}
		/* The daemon restarted or dropped us: dial again. */
		*pp = e->next;
		cfidl_client_destroy(e->client);
		free(e);
		break;
	}
	snprintf(name, sizeof(name), "endpoint-%u.sock", cid);
	st = app_dial(app, name, &ch);
	if (st != ZX_OK)
		return st;
	e = calloc(1, sizeof(*e));
	if (!e) {
		zx_handle_close(ch);
		return ZX_ERR_NO_MEMORY;
	}
	e->cid = cid;
	st = cfidl_client_create(app->loop, ch, &handlers, e, &e->client);
	if (st != ZX_OK) {
		free(e);
		return st;
	}
	e->next = app->endpoints;
	app->endpoints = e;
	*out = e;
	return ZX_OK;
}

/* ---- connect ---- */

static void call_finish(cfv_app_call_t *call)
{
	if (call->abandoned) {
		zx_handle_close(call->socket);
		free(call);
		return;
	}
	call->done = true;
}

static void on_connect2_reply(void *ctx, zx_status_t status,
                              fidl_incoming_msg_t *msg)
{
	cfv_app_call_t *call = ctx;
	fuchsia_virtualization_HostVsockEndpoint_Connect2_Result *r;

	call->status = status;
	if (status == ZX_OK) {
		call->status =
		    fuchsia_virtualization_HostVsockEndpointConnect2_decode_response(
		        msg, &r);
		if (call->status == ZX_OK) {
			const fuchsia_virtualization_HostVsockEndpoint_Connect2_Response
			    *ok =
			        fuchsia_virtualization_HostVsockEndpoint_Connect2_Result_get_response(
			            r);
			const int32_t *err =
			    fuchsia_virtualization_HostVsockEndpoint_Connect2_Result_get_err(
			        r);

			if (ok)
				call->socket = ok->socket;
			else
				call->status = err && *err != ZX_OK
				                   ? *err
				                   : ZX_ERR_NOT_SUPPORTED;
		}
	}
	call_finish(call);
}

static void on_connect_reply(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	cfv_app_call_t *call = ctx;
	fuchsia_vsock_ConnectorConnectResponse *r;

	call->status = status;
	if (status == ZX_OK) {
		call->status =
		    fuchsia_vsock_ConnectorConnect_decode_response(msg, &r);
		if (call->status == ZX_OK) {
			call->status = r->status;
			call->local_port = r->local_port;
		}
	}
	call_finish(call);
}

/* Waits for call; on timeout leaves it to its callback.  Returns the
 * call's status (call is freed unless ZX_OK: then the caller frees). */
static zx_status_t call_wait(cfidl_vsock_app_t *app, cfv_app_call_t *call,
                             zx_time_t deadline)
{
	zx_status_t st = app_run_until(app, &call->done, deadline);

	if (st != ZX_OK) {
		call->abandoned = true;
		return st;
	}
	st = call->status;
	if (st != ZX_OK) {
		zx_handle_close(call->socket);
		free(call);
	}
	return st;
}

static zx_status_t host_connect(cfidl_vsock_app_t *app, uint32_t cid,
                                uint32_t port, zx_time_t deadline, int *out_fd)
{
	cfv_app_endpoint_t *e;
	cfv_app_call_t *call;
	zx_status_t st;

	if (cid == CFIDL_VSOCK_HOST_CID)
		return ZX_ERR_NOT_SUPPORTED;
	st = app_endpoint(app, cid, &e);
	if (st != ZX_OK)
		return st;
	call = calloc(1, sizeof(*call));
	if (!call)
		return ZX_ERR_NO_MEMORY;
	st = fuchsia_virtualization_HostVsockEndpointConnect2_async(
	    e->client, port, on_connect2_reply, call);
	if (st != ZX_OK) {
		free(call);
		return st == ZX_ERR_BAD_STATE ? ZX_ERR_PEER_CLOSED : st;
	}
	st = call_wait(app, call, deadline);
	if (st != ZX_OK)
		return st;
	st = cfidl_socket_release_fd(call->socket, out_fd);
	free(call);
	return st;
}

static zx_status_t guest_connect(cfidl_vsock_app_t *app, uint32_t cid,
                                 uint32_t port, zx_time_t deadline, int *out_fd,
                                 uint32_t *out_local_port)
{
	fuchsia_vsock_ConnectionTransport t;
	zx_handle_t mine, con;
	cfv_app_call_t *call;
	zx_status_t st;
	int fd;

	if (app->connector_dead)
		return ZX_ERR_PEER_CLOSED;
	call = calloc(1, sizeof(*call));
	if (!call)
		return ZX_ERR_NO_MEMORY;
	st = zx_socket_create(0, &mine, &t.data);
	if (st != ZX_OK) {
		free(call);
		return st;
	}
	st = zx_channel_create(0, &con, &t.con);
	if (st != ZX_OK) {
		zx_handle_close(mine);
		zx_handle_close(t.data);
		free(call);
		return st;
	}
	/* t's handles are consumed, even on error. */
	st = fuchsia_vsock_ConnectorConnect_async(app->connector, cid, port, &t,
	                                          on_connect_reply, call);
	if (st != ZX_OK) {
		free(call);
		zx_handle_close(mine);
		zx_handle_close(con);
		return st == ZX_ERR_BAD_STATE ? ZX_ERR_PEER_CLOSED : st;
	}
	st = call_wait(app, call, deadline);
	if (st != ZX_OK) {
		zx_handle_close(mine);
		zx_handle_close(con);
		return st;
	}
	if (out_local_port)
		*out_local_port = call->local_port;
	free(call);
	st = cfidl_socket_release_fd(mine, &fd);
	if (st != ZX_OK) {
		zx_handle_close(con);
		return st;
	}
	st = conns_add(app, fd, con);
	if (st != ZX_OK) {
		close(fd);
		return st;
	}
	*out_fd = fd;
	return ZX_OK;
}

zx_status_t cfidl_vsock_app_connect(cfidl_vsock_app_t *app, uint32_t cid,
                                    uint32_t port, zx_time_t deadline,
                                    int *out_fd, uint32_t *out_local_port)
{
	if (!app || !out_fd)
		return ZX_ERR_INVALID_ARGS;
	if (out_local_port)
		*out_local_port = 0;
	if (is_host(app))
		return host_connect(app, cid, port, deadline, out_fd);
	return guest_connect(app, cid, port, deadline, out_fd, out_local_port);
}

/* ---- listen: the acceptors we serve ---- */

static bool listener_full(cfv_app_listener_t *l)
{
	return l->queued >= l->backlog;
}

static void listener_queue(cfv_app_listener_t *l, cfv_app_pending_t *p)
{
	*l->tail = p;
	l->tail = &p->next;
	l->queued++;
}

static zx_status_t host_accept(void *ctx, uint32_t src_cid, uint32_t src_port,
                               uint32_t port, fidl_txn_t *txn)
{
	cfv_app_acceptor_t *a = ctx;
	cfv_app_listener_t *l = a->listener;
	cfv_app_pending_t *p;
	zx_handle_t mine, theirs;

	(void)port;
	p = listener_full(l) ? NULL : calloc(1, sizeof(*p));
	if (!p)
		return fuchsia_virtualization_HostVsockAcceptorAccept_reply_error(
		    txn, ZX_ERR_CONNECTION_REFUSED);
	if (zx_socket_create(0, &mine, &theirs) != ZX_OK) {
		free(p);
		return fuchsia_virtualization_HostVsockAcceptorAccept_reply_error(
		    txn, ZX_ERR_NO_RESOURCES);
	}
	if (fuchsia_virtualization_HostVsockAcceptorAccept_reply(txn, theirs) !=
	        ZX_OK ||
	    cfidl_socket_release_fd(mine, &p->fd) != ZX_OK) {
		/* The asker is gone: the connection never was. */
		zx_handle_close(mine);
		free(p);
		return ZX_OK;
	}
	p->peer_cid = src_cid;
	p->peer_port = src_port;
	p->con = ZX_HANDLE_INVALID;
	listener_queue(l, p);
	return ZX_OK;
}

static zx_status_t guest_accept(void *ctx,
                                const fuchsia_hardware_vsock_Addr *addr,
                                fidl_txn_t *txn)
{
	cfv_app_acceptor_t *a = ctx;
	cfv_app_listener_t *l = a->listener;
	fuchsia_vsock_ConnectionTransport t;
	cfv_app_pending_t *p;
	zx_handle_t mine;

	p = listener_full(l) ? NULL : calloc(1, sizeof(*p));
	if (!p) /* no transport: the service rejects with RST */
		return fuchsia_vsock_AcceptorAccept_reply(txn, NULL);
	if (zx_socket_create(0, &mine, &t.data) != ZX_OK) {
		free(p);
		return fuchsia_vsock_AcceptorAccept_reply(txn, NULL);
	}
	if (zx_channel_create(0, &p->con, &t.con) != ZX_OK) {
		zx_handle_close(mine);
		zx_handle_close(t.data);
		free(p);
		return fuchsia_vsock_AcceptorAccept_reply(txn, NULL);
	}
	if (fuchsia_vsock_AcceptorAccept_reply(txn, &t) != ZX_OK ||
	    cfidl_socket_release_fd(mine, &p->fd) != ZX_OK) {
		zx_handle_close(mine);
		zx_handle_close(p->con);
		free(p);
		return ZX_OK;
	}
	p->peer_cid = addr->remote_cid;
	p->peer_port = addr->remote_port;
	listener_queue(l, p);
	return ZX_OK;
}

static const fuchsia_virtualization_HostVsockAcceptor_ops_t host_acceptor_ops =
    {.Accept = host_accept};
static const fuchsia_vsock_Acceptor_ops_t guest_acceptor_ops = {
    .Accept = guest_accept};

/* Serves a new acceptor channel for l; *client_end goes to Listen. */
static zx_status_t acceptor_add(cfidl_vsock_app_t *app, cfv_app_listener_t *l,
                                zx_handle_t *client_end)
{
	cfv_app_acceptor_t *a = calloc(1, sizeof(*a));
	zx_handle_t server_end;
	zx_status_t st;

	if (!a)
		return ZX_ERR_NO_MEMORY;
	st = zx_channel_create(0, client_end, &server_end);
	if (st != ZX_OK) {
		free(a);
		return st;
	}
	a->listener = l;
	if (l->host)
		st = cfidl_bind_etc(
		    app->loop, server_end,
		    CFIDL_DISPATCH(
		        fuchsia_virtualization_HostVsockAcceptor_dispatch),
		    a, &host_acceptor_ops, on_acceptor_unbound, &a->binding);
	else
		st = cfidl_bind_etc(
		    app->loop, server_end,
		    CFIDL_DISPATCH(fuchsia_vsock_Acceptor_dispatch), a,
		    &guest_acceptor_ops, on_acceptor_unbound, &a->binding);
	if (st != ZX_OK) {
		zx_handle_close(*client_end);
		*client_end = ZX_HANDLE_INVALID;
		free(a);
		return st;
	}
	l->live++;
	a->next = l->acceptors;
	l->acceptors = a;
	return ZX_OK;
}

static void listen_done(cfv_app_call_t *call, zx_status_t st)
{
	/* The daemon's host listeners are host-wide: ALREADY_BOUND from
	 * one endpoint says the most. */
	if (st == ZX_OK)
		call->ok++;
	else if (call->status == ZX_OK || st == ZX_ERR_ALREADY_BOUND)
		call->status = st;
	if (--call->pending == 0)
		call->done = true;
	if (call->done && call->abandoned)
		free(call);
}

static void on_host_listen_reply(void *ctx, zx_status_t status,
                                 fidl_incoming_msg_t *msg)
{
	fuchsia_virtualization_HostVsockEndpoint_Listen_Result *r;

	if (status == ZX_OK)
		status =
		    fuchsia_virtualization_HostVsockEndpointListen_decode_response(
		        msg, &r);
	if (status == ZX_OK &&
	    !fuchsia_virtualization_HostVsockEndpoint_Listen_Result_get_response(
	        r)) {
		const int32_t *err =
		    fuchsia_virtualization_HostVsockEndpoint_Listen_Result_get_err(
		        r);

		status = err && *err != ZX_OK ? *err : ZX_ERR_NOT_SUPPORTED;
	}
	listen_done(ctx, status);
}

static void on_guest_listen_reply(void *ctx, zx_status_t status,
                                  fidl_incoming_msg_t *msg)
{
	fuchsia_vsock_ConnectorListenResponse *r;

	if (status == ZX_OK)
		status = fuchsia_vsock_ConnectorListen_decode_response(msg, &r);
	if (status == ZX_OK)
		status = r->status;
	listen_done(ctx, status);
}

/* Parses "endpoint-<cid>.sock". */
static bool endpoint_name(const char *name, uint32_t *cid)
{
	unsigned long v;
	char *end;

	if (strncmp(name, "endpoint-", 9) != 0 || name[9] < '0' ||
	    name[9] > '9')
		return false;
	errno = 0;
	v = strtoul(name + 9, &end, 10);
	if (errno || v > UINT32_MAX || strcmp(end, ".sock") != 0)
		return false;
	*cid = (uint32_t)v;
	return true;
}

/* Sends Listen through one endpoint or the connector. */
static zx_status_t listen_one(cfidl_vsock_app_t *app, cfv_app_listener_t *l,
                              cfidl_client_t *client, cfv_app_call_t *call)
{
	zx_handle_t acceptor;
	zx_status_t st = acceptor_add(app, l, &acceptor);

	if (st != ZX_OK)
		return st;
	if (l->host)
		st = fuchsia_virtualization_HostVsockEndpointListen_async(
		    client, l->port, acceptor, on_host_listen_reply, call);
	else
		st = fuchsia_vsock_ConnectorListen_async(
		    client, l->port, acceptor, on_guest_listen_reply, call);
	if (st == ZX_OK)
		call->pending++;
	return st == ZX_ERR_BAD_STATE ? ZX_ERR_PEER_CLOSED : st;
}

/* Sends Listen everywhere it goes; returns the first error if nothing
 * was sent. */
static zx_status_t listen_send(cfidl_vsock_app_t *app, cfv_app_listener_t *l,
                               cfv_app_call_t *call)
{
	zx_status_t first = ZX_ERR_NOT_FOUND;
	struct dirent *de;
	DIR *d;

	if (!l->host) {
		if (app->connector_dead)
			return ZX_ERR_PEER_CLOSED;
		return listen_one(app, l, app->connector, call);
	}
	d = opendir(app->rundir);
	if (!d)
		return ZX_ERR_NOT_FOUND;
	while ((de = readdir(d)) != NULL) {
		cfv_app_endpoint_t *e;
		uint32_t cid;
		zx_status_t st;

		if (!endpoint_name(de->d_name, &cid))
			continue;
		st = app_endpoint(app, cid, &e);
		if (st == ZX_OK)
			st = listen_one(app, l, e->client, call);
		if (st != ZX_OK && first == ZX_ERR_NOT_FOUND)
			first = st;
	}
	closedir(d);
	return call->pending ? ZX_OK : first;
}

static cfv_app_listener_t **listener_find(cfidl_vsock_app_t *app, uint32_t port)
{
	cfv_app_listener_t **pp;

	for (pp = &app->listeners; *pp; pp = &(*pp)->next)
		if ((*pp)->port == port)
			return pp;
	return NULL;
}

zx_status_t cfidl_vsock_app_listen_backlog(cfidl_vsock_app_t *app,
                                           uint32_t port, uint32_t backlog)
{
	cfv_app_listener_t *l;
	cfv_app_call_t *call;
	zx_status_t st;

	if (!app || backlog == 0)
		return ZX_ERR_INVALID_ARGS;
	if (listener_find(app, port))
		return ZX_ERR_ALREADY_BOUND;
	l = calloc(1, sizeof(*l));
	call = calloc(1, sizeof(*call));
	if (!l || !call) {
		free(l);
		free(call);
		return ZX_ERR_NO_MEMORY;
	}
	l->port = port;
	l->backlog = backlog;
	l->tail = &l->head;
	l->host = is_host(app);
	st = listen_send(app, l, call);
	if (st == ZX_OK) {
		st = app_run_until(app, &call->done,
		                   zx_deadline_after(CFV_APP_LISTEN_TIMEOUT));
		if (st != ZX_OK) {
			call->abandoned = true;
			call = NULL;
		} else {
			st = call->ok ? ZX_OK : call->status;
		}
	} else if (call->pending) {
		/* Unreachable: listen_send returns OK once one went. */
		call->abandoned = true;
		call = NULL;
	}
	free(call);
	if (st != ZX_OK) {
		listener_free(l);
		return st;
	}
	l->next = app->listeners;
	app->listeners = l;
	return ZX_OK;
}

zx_status_t cfidl_vsock_app_listen(cfidl_vsock_app_t *app, uint32_t port)
{
	return cfidl_vsock_app_listen_backlog(app, port, CFV_APP_BACKLOG);
}

zx_status_t cfidl_vsock_app_unlisten(cfidl_vsock_app_t *app, uint32_t port)
{
	cfv_app_listener_t **pp, *l;

	if (!app)
		return ZX_ERR_INVALID_ARGS;
	pp = listener_find(app, port);
	if (!pp)
		return ZX_ERR_NOT_FOUND;
	l = *pp;
	*pp = l->next;
	listener_free(l);
	return ZX_OK;
}

/* ---- accept ---- */

/* Runs the loop until l has a connection, l is dead, or deadline. */
static zx_status_t accept_wait(cfidl_vsock_app_t *app, cfv_app_listener_t *l,
                               zx_time_t deadline)
{
	for (;;) {
		zx_status_t st;

		if (l->head)
			return ZX_OK;
		if (l->live == 0)
			return ZX_ERR_PEER_CLOSED;
		st = cfidl_loop_run(app->loop, deadline, true);
		if (st == ZX_ERR_TIMED_OUT)
			return l->head ? ZX_OK : ZX_ERR_TIMED_OUT;
		if (st != ZX_OK)
			return st;
	}
}

zx_status_t cfidl_vsock_app_accept(cfidl_vsock_app_t *app, uint32_t port,
                                   zx_time_t deadline, int *out_fd,
                                   uint32_t *out_peer_cid,
                                   uint32_t *out_peer_port)
{
	cfv_app_listener_t **pp, *l;
	cfv_app_pending_t *p;
	zx_status_t st;

	if (!app || !out_fd)
		return ZX_ERR_INVALID_ARGS;
	pp = listener_find(app, port);
	if (!pp)
		return ZX_ERR_NOT_FOUND;
	l = *pp;
	st = accept_wait(app, l, deadline);
	if (st != ZX_OK)
		return st;
	p = l->head;
	l->head = p->next;
	if (!l->head)
		l->tail = &l->head;
	l->queued--;
	if (p->con != ZX_HANDLE_INVALID) {
		st = conns_add(app, p->fd, p->con);
		p->con = ZX_HANDLE_INVALID;
		if (st != ZX_OK) {
			pending_free(p);
			return st;
		}
	}
	*out_fd = p->fd;
	if (out_peer_cid)
		*out_peer_cid = p->peer_cid;
	if (out_peer_port)
		*out_peer_port = p->peer_port;
	free(p);
	return ZX_OK;
}

/* ---- SendVmo ---- */

zx_status_t cfidl_vsock_app_send_vmo(cfidl_vsock_app_t *app, int fd,
                                     zx_handle_t vmo, uint64_t off,
                                     uint64_t len)
{
	cfv_app_conn_t *c;
	int32_t status = ZX_OK;
	struct stat sb;
	zx_status_t st;

	if (!app) {
		zx_handle_close(vmo);
		return ZX_ERR_INVALID_ARGS;
	}
	if (is_host(app)) {
		zx_handle_close(vmo);
		return ZX_ERR_NOT_SUPPORTED;
	}
	/* The entry for this very socket (an fd number may be reused). */
	c = NULL;
	if (fstat(fd, &sb) == 0)
		for (c = app->conns; c; c = c->next)
			if (c->fd == fd && c->dev == sb.st_dev &&
			    c->ino == sb.st_ino)
				break;
	if (!c) {
		zx_handle_close(vmo);
		return ZX_ERR_NOT_FOUND;
	}
	/* Consumes vmo; the service answers when the bytes are sent. */
	st = fuchsia_vsock_ConnectionSendVmo(c->con, vmo, off, len, &status);
	return st != ZX_OK ? st : status;
}
