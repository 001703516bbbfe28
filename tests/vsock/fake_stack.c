/*
 * The fake vsock stack of the app and udo tests (see fake_stack.h): a
 * thread with its own cfidl loop serving a fake Connector and a fake
 * HostVsockEndpoint on Unix sockets.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/loop.h>
#include <cfidl/socket.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#include "fake_stack.h"
#include "fuchsia.virtualization.h"
#include "fuchsia.vsock.h"

#define FAKE_MAX_CLIENTS 64
#define FAKE_MAX_PORTS   16

struct fake_stack {
	uint32_t cid;
	int incoming;
	char conn_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char ep_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd_conn, lfd_ep;
	pthread_t thread;
	atomic_bool stop;
	atomic_int accepted, refused, listens, sunk;
	atomic_bool sink;
	cfidl_loop_t *loop;
	/* Acceptor clients (fake thread only). */
	cfidl_client_t *clients[FAKE_MAX_CLIENTS];
	int nclients;
	uint32_t next_local_port;
};

/* One served channel: its listened ports. */
typedef struct fake_chan {
	fake_stack_t *fs;
	uint32_t ports[FAKE_MAX_PORTS];
	int nports;
} fake_chan_t;

/* An echo peer on a data socket, with its Connection (guest side). */
typedef struct echo {
	cfidl_wait_t wait; /* first: the handler casts */
	zx_handle_t sock;
	int refs;
	fake_stack_t *sink; /* set: count what comes, do not echo */
} echo_t;

/* A pending fake->app Accept. */
typedef struct incoming {
	fake_stack_t *fs;
	int i;
} incoming_t;

static void write_all(zx_handle_t sock, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		size_t done = 0;
		zx_status_t st = zx_socket_write(sock, 0, p, n, &done);

		if (st == ZX_ERR_SHOULD_WAIT) {
			zx_object_wait_one(
			    sock, ZX_SOCKET_WRITABLE | ZX_SOCKET_PEER_CLOSED,
			    zx_deadline_after(ZX_SEC(2)), NULL);
			continue;
		}
		if (st != ZX_OK)
			return;
		p += done;
		n -= done;
	}
}

static void echo_unref(echo_t *e)
{
	if (--e->refs == 0)
		free(e);
}

static void echo_ready(cfidl_loop_t *loop, cfidl_wait_t *w, zx_status_t st,
                       zx_signals_t obs)
{
	echo_t *e = (echo_t *)w;

	if (st == ZX_OK && (obs & ZX_SOCKET_READABLE)) {
		char buf[4096];
		size_t n = 0;

		if (zx_socket_read(e->sock, 0, buf, sizeof(buf), &n) == ZX_OK) {
			if (e->sink)
				atomic_fetch_add(&e->sink->sunk, (int)n);
			else
				write_all(e->sock, buf, n);
			if (cfidl_wait_begin(loop, w) == ZX_OK)
				return;
		}
	}
	/* Closed by the app, or the loop is going away. */
	zx_handle_close(e->sock);
	e->sock = ZX_HANDLE_INVALID;
	echo_unref(e);
}

static zx_status_t con_send_vmo(void *ctx, zx_handle_t vmo, uint64_t off,
                                uint64_t len, fidl_txn_t *txn)
{
	echo_t *e = ctx;
	int32_t status = ZX_OK;
	char *buf = len <= (1u << 20) ? malloc(len ? len : 1) : NULL;

	if (!buf || zx_vmo_read(vmo, buf, off, len) != ZX_OK)
		status = ZX_ERR_INVALID_ARGS;
	else if (e->sock != ZX_HANDLE_INVALID)
		write_all(e->sock, buf, len);
	free(buf);
	zx_handle_close(vmo);
	return fuchsia_vsock_ConnectionSendVmo_reply(txn, status);
}

static zx_status_t con_shutdown(void *ctx)
{
	echo_t *e = ctx;

	if (e->sock != ZX_HANDLE_INVALID)
		zx_socket_set_disposition(e->sock, 0,
		                          ZX_SOCKET_DISPOSITION_WRITE_DISABLED);
	return ZX_OK;
}

static const fuchsia_vsock_Connection_ops_t con_ops = {.Shutdown = con_shutdown,
                                                       .SendVmo = con_send_vmo};

static void con_unbound(void *ctx, zx_status_t reason)
{
	(void)reason;
	echo_unref(ctx);
}

/* Echoes on sock (consumed) after greeting (may be NULL); serves con
 * (consumed; may be invalid) as its Connection. */
static void echo_start(fake_stack_t *fs, zx_handle_t sock, const char *greeting,
                       zx_handle_t con)
{
	echo_t *e = calloc(1, sizeof(*e));

	if (!e) {
		zx_handle_close(sock);
		zx_handle_close(con);
		return;
	}
	e->sock = sock;
	e->refs = 1;
	if (greeting && atomic_load(&fs->sink))
		e->sink = fs;
	if (greeting)
		write_all(sock, greeting, strlen(greeting));
	e->wait.handler = echo_ready;
	e->wait.object = sock;
	e->wait.trigger = ZX_SOCKET_READABLE | ZX_SOCKET_PEER_CLOSED;
	if (cfidl_wait_begin(fs->loop, &e->wait) != ZX_OK) {
		zx_handle_close(sock);
		zx_handle_close(con);
		free(e);
		return;
	}
	if (con != ZX_HANDLE_INVALID) {
		e->refs++;
		if (cfidl_bind_etc(
		        fs->loop, con,
		        CFIDL_DISPATCH(fuchsia_vsock_Connection_dispatch), e,
		        &con_ops, con_unbound, NULL) != ZX_OK)
			e->refs--;
	}
}

/* ---- Listen: the fake opens connections to the app's acceptor ---- */

static void greet(fake_stack_t *fs, int i, zx_handle_t sock, zx_handle_t con)
{
	char hello[32];

	snprintf(hello, sizeof(hello), "hello %d\n", i);
	atomic_fetch_add(&fs->accepted, 1);
	echo_start(fs, sock, hello, con);
}

static void on_host_accepted(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	incoming_t *in = ctx;
	fuchsia_virtualization_HostVsockAcceptor_Accept_Result *r;

	if (status == ZX_OK &&
	    fuchsia_virtualization_HostVsockAcceptorAccept_decode_response(
	        msg, &r) == ZX_OK) {
		const fuchsia_virtualization_HostVsockAcceptor_Accept_Response *ok =
		    fuchsia_virtualization_HostVsockAcceptor_Accept_Result_get_response(
		        r);

		if (ok)
			greet(in->fs, in->i, ok->socket, ZX_HANDLE_INVALID);
		else
			atomic_fetch_add(&in->fs->refused, 1);
	}
	free(in);
}

static void on_guest_accepted(void *ctx, zx_status_t status,
                              fidl_incoming_msg_t *msg)
{
	incoming_t *in = ctx;
	fuchsia_vsock_AcceptorAcceptResponse *r;

	if (status == ZX_OK &&
	    fuchsia_vsock_AcceptorAccept_decode_response(msg, &r) == ZX_OK) {
		if (r->con)
			greet(in->fs, in->i, r->con->data, r->con->con);
		else
			atomic_fetch_add(&in->fs->refused, 1);
	}
	free(in);
}

/* Calls Accept `incoming` times on acceptor (consumed). */
static void open_incoming(fake_stack_t *fs, uint32_t port, zx_handle_t acceptor,
                          bool host)
{
	static const cfidl_client_handlers_t none = {0};
	cfidl_client_t *client;
	int i;

	if (fs->nclients == FAKE_MAX_CLIENTS ||
	    cfidl_client_create(fs->loop, acceptor, &none, NULL, &client) !=
	        ZX_OK) {
		if (fs->nclients == FAKE_MAX_CLIENTS)
			zx_handle_close(acceptor);
		return;
	}
	fs->clients[fs->nclients++] = client;
	for (i = 0; i < fs->incoming; i++) {
		incoming_t *in = calloc(1, sizeof(*in));
		zx_status_t st;

		if (!in)
			return;
		in->fs = fs;
		in->i = i;
		if (host) {
			st =
			    fuchsia_virtualization_HostVsockAcceptorAccept_async(
			        client, fs->cid, FAKE_PEER_PORT + (uint32_t)i,
			        port, on_host_accepted, in);
		} else {
			fuchsia_hardware_vsock_Addr addr = {
			    .local_port = port,
			    .remote_cid = FAKE_PEER_CID,
			    .remote_port = FAKE_PEER_PORT + (uint32_t)i};

			st = fuchsia_vsock_AcceptorAccept_async(
			    client, &addr, on_guest_accepted, in);
		}
		if (st != ZX_OK)
			free(in);
	}
}

/* 0: free; else the status to refuse the Listen with. */
static zx_status_t chan_take_port(fake_chan_t *fc, uint32_t port, bool host)
{
	int i;

	atomic_fetch_add(&fc->fs->listens, 1);
	if (!host && port >= FAKE_LOCAL_PORT)
		return ZX_ERR_UNAVAILABLE;
	for (i = 0; i < fc->nports; i++)
		if (fc->ports[i] == port)
			return ZX_ERR_ALREADY_BOUND;
	if (fc->nports == FAKE_MAX_PORTS)
		return ZX_ERR_NO_RESOURCES;
	fc->ports[fc->nports++] = port;
	return ZX_OK;
}

/* ---- the fake fuchsia.vsock.Connector ---- */

static zx_status_t
connector_connect(void *ctx, uint32_t remote_cid, uint32_t remote_port,
                  const fuchsia_vsock_ConnectionTransport *con, fidl_txn_t *txn)
{
	fake_chan_t *fc = ctx;

	(void)remote_cid;
	if (remote_port == FAKE_SILENT_PORT) {
		zx_handle_close(con->data);
		zx_handle_close(con->con);
		return ZX_OK; /* never answered */
	}
	if (remote_port == FAKE_REFUSED_PORT) {
		zx_handle_close(con->data);
		zx_handle_close(con->con);
		return fuchsia_vsock_ConnectorConnect_reply(
		    txn, ZX_ERR_UNAVAILABLE, 0);
	}
	echo_start(fc->fs, con->data, NULL, con->con);
	return fuchsia_vsock_ConnectorConnect_reply(txn, ZX_OK,
	                                            fc->fs->next_local_port++);
}

static zx_status_t connector_listen(void *ctx, uint32_t local_port,
                                    zx_handle_t acceptor, fidl_txn_t *txn)
{
	fake_chan_t *fc = ctx;
	zx_status_t st = chan_take_port(fc, local_port, false);

	if (st != ZX_OK) {
		zx_handle_close(acceptor);
		return fuchsia_vsock_ConnectorListen_reply(txn, st);
	}
	st = fuchsia_vsock_ConnectorListen_reply(txn, ZX_OK);
	open_incoming(fc->fs, local_port, acceptor, false);
	return st;
}

static const fuchsia_vsock_Connector_ops_t connector_ops = {
    .Connect = connector_connect, .Listen = connector_listen};

/* ---- the fake HostVsockEndpoint ---- */

static zx_status_t endpoint_listen(void *ctx, uint32_t port,
                                   zx_handle_t acceptor, fidl_txn_t *txn)
{
	fake_chan_t *fc = ctx;
	zx_status_t st = chan_take_port(fc, port, true);

	if (st != ZX_OK) {
		zx_handle_close(acceptor);
		return fuchsia_virtualization_HostVsockEndpointListen_reply_error(
		    txn, st);
	}
	st = fuchsia_virtualization_HostVsockEndpointListen_reply(txn);
	open_incoming(fc->fs, port, acceptor, true);
	return st;
}

static zx_status_t endpoint_connect2(void *ctx, uint32_t guest_port,
                                     fidl_txn_t *txn)
{
	fake_chan_t *fc = ctx;
	zx_handle_t a, b;

	if (guest_port == FAKE_SILENT_PORT)
		return ZX_OK;
	if (guest_port == FAKE_REFUSED_PORT)
		return fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
		    txn, ZX_ERR_CONNECTION_REFUSED);
	if (zx_socket_create(0, &a, &b) != ZX_OK)
		return fuchsia_virtualization_HostVsockEndpointConnect2_reply_error(
		    txn, ZX_ERR_NO_RESOURCES);
	echo_start(fc->fs, a, NULL, ZX_HANDLE_INVALID);
	return fuchsia_virtualization_HostVsockEndpointConnect2_reply(txn, b);
}

static const fuchsia_virtualization_HostVsockEndpoint_ops_t endpoint_ops = {
    .Listen = endpoint_listen, .Connect2 = endpoint_connect2};

/* ---- the thread ---- */

static void chan_unbound(void *ctx, zx_status_t reason)
{
	(void)reason;
	free(ctx);
}

static void serve_one(fake_stack_t *fs, int lfd, bool endpoint)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	fake_chan_t *fc;
	zx_handle_t ch;

	if (fd < 0)
		return;
	if (cfidl_channel_adopt_fd(fd, &ch) != ZX_OK)
		return;
	fc = calloc(1, sizeof(*fc));
	if (!fc) {
		zx_handle_close(ch);
		return;
	}
	fc->fs = fs;
	if (endpoint)
		cfidl_bind_etc(
		    fs->loop, ch,
		    CFIDL_DISPATCH(
		        fuchsia_virtualization_HostVsockEndpoint_dispatch),
		    fc, &endpoint_ops, chan_unbound, NULL);
	else
		cfidl_bind_etc(fs->loop, ch,
		               CFIDL_DISPATCH(fuchsia_vsock_Connector_dispatch),
		               fc, &connector_ops, chan_unbound, NULL);
}

static void *fake_main(void *arg)
{
	fake_stack_t *fs = arg;

	while (!atomic_load(&fs->stop)) {
		struct pollfd p[2] = {{.fd = fs->lfd_conn, .events = POLLIN},
		                      {.fd = fs->lfd_ep, .events = POLLIN}};

		if (poll(p, 2, 0) > 0) {
			if (p[0].revents & POLLIN)
				serve_one(fs, fs->lfd_conn, false);
			if (p[1].revents & POLLIN)
				serve_one(fs, fs->lfd_ep, true);
		}
		cfidl_loop_run(fs->loop, zx_deadline_after(ZX_MSEC(2)), false);
	}
	return NULL;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

fake_stack_t *fake_stack_start(const char *dir, uint32_t cid, int incoming)
{
	fake_stack_t *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->cid = cid;
	fs->incoming = incoming;
	fs->next_local_port = FAKE_LOCAL_PORT;
	fs->lfd_conn = fs->lfd_ep = -1;
	snprintf(fs->conn_path, sizeof(fs->conn_path), "%s/connector-%u.sock",
	         dir, cid);
	snprintf(fs->ep_path, sizeof(fs->ep_path), "%s/endpoint-%u.sock", dir,
	         cid);
	fs->lfd_conn = listen_at(fs->conn_path);
	fs->lfd_ep = listen_at(fs->ep_path);
	if (fs->lfd_conn < 0 || fs->lfd_ep < 0 ||
	    cfidl_loop_create(&fs->loop) != ZX_OK)
		goto fail;
	if (pthread_create(&fs->thread, NULL, fake_main, fs) != 0) {
		cfidl_loop_destroy(fs->loop);
		goto fail;
	}
	return fs;
fail:
	if (fs->lfd_conn >= 0)
		close(fs->lfd_conn);
	if (fs->lfd_ep >= 0)
		close(fs->lfd_ep);
	unlink(fs->conn_path);
	unlink(fs->ep_path);
	free(fs);
	return NULL;
}

void fake_stack_stop(fake_stack_t *fs)
{
	int i;

	if (!fs)
		return;
	atomic_store(&fs->stop, true);
	pthread_join(fs->thread, NULL);
	for (i = 0; i < fs->nclients; i++)
		cfidl_client_destroy(fs->clients[i]);
	cfidl_loop_destroy(fs->loop);
	close(fs->lfd_conn);
	close(fs->lfd_ep);
	unlink(fs->conn_path);
	unlink(fs->ep_path);
	free(fs);
}

int fake_stack_accepted(fake_stack_t *fs)
{
	return atomic_load(&fs->accepted);
}

int fake_stack_refused(fake_stack_t *fs)
{
	return atomic_load(&fs->refused);
}

void fake_stack_set_sink(fake_stack_t *fs, bool sink)
{
	atomic_store(&fs->sink, sink);
}

int fake_stack_sunk(fake_stack_t *fs)
{
	return atomic_load(&fs->sunk);
}

int fake_stack_listens(fake_stack_t *fs)
{
	return atomic_load(&fs->listens);
}
