/*
 * service.c: the vsock service (fuchsia.vsock Connector, Acceptor,
 * Connection) over a fuchsia.hardware.vsock Device and its Callbacks.
 *
 * The service never touches data: the app's socket end goes straight to
 * the Device (SendRequest/SendResponse), which moves the bytes.  The
 * service owns the names: which local ports are listened on, which
 * ephemeral ports are taken, and which Connection channel belongs to
 * which address.
 *
 * Lifetimes.  A connection record lives from Connect (or a Request with a
 * listener) until the Device says it is gone (Callbacks.Rst), the
 * connection is refused or the transport resets.  Its Connection channel
 * may close earlier without ending it: the data socket is the
 * connection's life (closing it makes the Device shut the connection
 * down, ending in Callbacks.Rst).  Every asynchronous call carries a
 * small record naming its connection by address and serial, so a late
 * reply for a connection that is gone (or reused) is recognised and
 * dropped.
 *
 * Backpressure.  Calls to the Device and to an Acceptor wait in FIFOs
 * while their channel has no room (a burst of connections, an app slower
 * than its peers), so nothing is refused for want of buffer; each entry
 * is one connection's, so the FIFOs are bounded by the connections.
 *
 * Shutdown barrier.  Connection.Shutdown waits for an outstanding SendVmo
 * to complete, then calls Device.SendShutdown (which sends what the
 * socket already holds before the SHUTDOWN packet); from Shutdown on,
 * SendVmo fails with ZX_ERR_BAD_STATE.  The Connection channel closes
 * when the Device reports the connection gone.
 */
#include "service.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/handle.h>
#include <cfidl/wait.h>

#include "fuchsia.hardware.vsock.h"
#include "fuchsia.vsock.h"

#define CFV_SVC_EPHEMERAL_FIRST 49152u
#define CFV_SVC_EPHEMERAL_LAST  65535u
#define CFV_SVC_BUCKETS         1024u

typedef fuchsia_hardware_vsock_Addr addr_t;

enum conn_state { CONN_CONNECTING, CONN_ACCEPTING, CONN_ESTABLISHED };

typedef struct svc_conn {
	struct svc_conn *next; /* hash chain */
	cfv_service_t *svc;
	addr_t addr;
	uint64_t serial;
	enum conn_state state;
	bool ephemeral;           /* addr.local_port is ours to free */
	bool gone;                /* out of the table, waiting for unbound */
	bool shutting;            /* Connection.Shutdown was called */
	bool shutdown_sent;       /* Device.SendShutdown was called */
	bool vmo_busy;            /* a SendVmo is outstanding */
	zx_handle_t con_server;   /* CONNECTING: the Connection to bind */
	fidl_txn_t connect_txn;   /* CONNECTING: Connector.Connect's reply */
	fidl_txn_t vmo_txn;       /* vmo_busy: Connection.SendVmo's reply */
	cfidl_binding_t *binding; /* the Connection channel, while bound */
	/* Until the app first uses its Connection channel, a wait on it
	 * instead of a binding (whose 64 KiB receive buffer would be most
	 * of an idle connection's memory). */
	zx_handle_t idle_con;
	cfidl_wait_t con_wait;
	bool con_waiting;
} svc_conn_t;

/* One asynchronous call in flight: its connection by address and serial. */
typedef struct svc_op svc_op_t;

typedef struct svc_listener {
	struct svc_listener *next;
	cfv_service_t *svc;
	uint32_t port;
	cfidl_client_t *acceptor;
	/* Accepts waiting for room in the Acceptor channel (an app slower
	 * than its peers' REQUESTs), in arrival order. */
	svc_op_t *qhead, *qtail;
	cfidl_wait_t wwait; /* the Acceptor channel: writable */
	bool wwait_armed;
} svc_listener_t;

typedef struct svc_connector {
	struct svc_connector *prev, *next;
	cfv_service_t *svc;
	cfidl_binding_t *binding;
} svc_connector_t;

enum op_kind {
	OP_REQUEST,
	OP_RESPONSE,
	OP_SHUTDOWN,
	OP_RST,
	OP_VMO,
	OP_ACCEPT
};

struct svc_op {
	struct svc_op *next; /* a listener's queue */
	cfv_service_t *svc;
	addr_t addr;
	uint64_t serial;
	enum op_kind kind;
	zx_handle_t handle; /* REQUEST/RESPONSE: data; VMO: vmo (queued) */
	uint64_t off, len;  /* VMO */
};

struct cfv_service {
	cfidl_loop_t *loop;
	cfv_service_config_t cfg;
	cfidl_client_t *device;
	cfidl_binding_t *callbacks;
	zx_status_t start_status;
	zx_status_t device_status; /* ZX_OK while the Device channel works */
	uint32_t cid;
	bool destroying;
	uint64_t next_serial;
	uint32_t nconns;
	svc_conn_t *buckets[CFV_SVC_BUCKETS];
	svc_listener_t *listeners;
	svc_connector_t *connectors;
	/* Device calls waiting for room in the Device channel, in order. */
	svc_op_t *dq_head, *dq_tail;
	cfidl_wait_t dwait;
	bool dwait_armed;
	uint64_t *ports; /* bitmap of taken ephemeral ports */
	uint32_t nports;
};

/* ---- tables ---- */

static uint32_t addr_hash(const addr_t *a)
{
	uint32_t h = a->local_port * 2654435761u;

	h ^= a->remote_cid * 40503u;
	h ^= a->remote_port * 2246822519u;
	return (h ^ (h >> 15)) % CFV_SVC_BUCKETS;
}

static bool addr_eq(const addr_t *a, const addr_t *b)
{
	return a->local_port == b->local_port &&
	       a->remote_cid == b->remote_cid &&
	       a->remote_port == b->remote_port;
}

static svc_conn_t *conn_find(cfv_service_t *svc, const addr_t *a)
{
	svc_conn_t *c;

	for (c = svc->buckets[addr_hash(a)]; c; c = c->next)
		if (addr_eq(&c->addr, a))
			return c;
	return NULL;
}

/* The connection an op was made for, if it still exists. */
static svc_conn_t *conn_of_op(const svc_op_t *op)
{
	svc_conn_t *c = conn_find(op->svc, &op->addr);

	return c && c->serial == op->serial ? c : NULL;
}

static void conn_unlink(cfv_service_t *svc, svc_conn_t *conn)
{
	svc_conn_t **pp = &svc->buckets[addr_hash(&conn->addr)];

	while (*pp && *pp != conn)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = conn->next;
		svc->nconns--;
	}
	conn->next = NULL;
}

/* The lowest free ephemeral port, or 0 when every one is taken. */
static uint32_t port_alloc(cfv_service_t *svc)
{
	uint32_t words = (svc->nports + 63) / 64;

	for (uint32_t w = 0; w < words; w++) {
		uint64_t free_bits = ~svc->ports[w];
		uint32_t bit;

		if (!free_bits)
			continue;
		bit = (uint32_t)__builtin_ctzll(free_bits);
		if (w * 64 + bit >= svc->nports)
			return 0;
		svc->ports[w] |= (uint64_t)1 << bit;
		return svc->cfg.ephemeral_first + w * 64 + bit;
	}
	return 0;
}

static void port_free(cfv_service_t *svc, uint32_t port)
{
	uint32_t i = port - svc->cfg.ephemeral_first;

	if (port < svc->cfg.ephemeral_first || i >= svc->nports)
		return;
	svc->ports[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static bool port_is_ephemeral(const cfv_service_t *svc, uint32_t port)
{
	return port >= svc->cfg.ephemeral_first &&
	       port <= svc->cfg.ephemeral_last;
}

static svc_listener_t *listener_find(cfv_service_t *svc, uint32_t port)
{
	svc_listener_t *l;

	for (l = svc->listeners; l; l = l->next)
		if (l->port == port)
			return l;
	return NULL;
}

static svc_op_t *op_new(cfv_service_t *svc, const svc_conn_t *conn,
                        const addr_t *addr, enum op_kind kind)
{
	svc_op_t *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->svc = svc;
	op->addr = *addr;
	op->serial = conn ? conn->serial : 0;
	op->kind = kind;
	return op;
}

/* ---- ending a connection ---- */

static void connection_unbound(void *ctx, zx_status_t reason)
{
	svc_conn_t *conn = ctx;

	(void)reason;
	conn->binding = NULL;
	if (conn->gone)
		free(conn);
}

/*
 * Ends a connection record: frees its port, answers what waits on it
 * (Connect with connect_status, SendVmo with ZX_ERR_CONNECTION_RESET) and
 * closes its Connection channel with epitaph.  Sends nothing to the
 * Device.  conn may be freed on return.
 */
static void conn_end(svc_conn_t *conn, zx_status_t connect_status,
                     zx_status_t epitaph)
{
	cfv_service_t *svc = conn->svc;

	conn_unlink(svc, conn);
	conn->gone = true;
	if (conn->ephemeral)
		port_free(svc, conn->addr.local_port);
	if (conn->state == CONN_CONNECTING) {
		fuchsia_vsock_ConnectorConnect_reply(&conn->connect_txn,
		                                     connect_status, 0);
		zx_handle_close(conn->con_server);
		conn->con_server = ZX_HANDLE_INVALID;
	}
	if (conn->vmo_busy) {
		conn->vmo_busy = false;
		fuchsia_vsock_ConnectionSendVmo_reply(&conn->vmo_txn,
		                                      ZX_ERR_CONNECTION_RESET);
	}
	if (conn->con_waiting) {
		cfidl_wait_cancel(svc->loop, &conn->con_wait);
		conn->con_waiting = false;
		if (epitaph != ZX_OK)
			fidl_epitaph_write(conn->idle_con, epitaph);
		zx_handle_close(conn->idle_con);
		conn->idle_con = ZX_HANDLE_INVALID;
	}
	if (conn->binding)
		cfidl_binding_close(conn->binding, epitaph); /* unbound frees */
	else
		free(conn);
}

/* Every connection, as on a transport reset (listeners stay). */
static void conn_end_all(cfv_service_t *svc, zx_status_t epitaph)
{
	for (uint32_t b = 0; b < CFV_SVC_BUCKETS; b++)
		while (svc->buckets[b])
			conn_end(svc->buckets[b], ZX_ERR_UNAVAILABLE, epitaph);
}

/* ---- Device calls ---- */

static void dev_call(svc_op_t *op);

static void device_ignore_reply(void *ctx, zx_status_t status,
                                fidl_incoming_msg_t *msg)
{
	/* Status-only replies: no handles to close. */
	(void)status;
	(void)msg;
	free(ctx);
}

/* Device.SendRst for addr, answer ignored (the Device forgets addr). */
static void device_send_rst(cfv_service_t *svc, const addr_t *addr)
{
	svc_op_t *op;

	if (svc->device_status != ZX_OK)
		return;
	op = op_new(svc, NULL, addr, OP_RST);
	if (op)
		dev_call(op);
}

/* A Device reply carrying only a status: the status, or the call's error. */
static zx_status_t reply_status(zx_status_t status, fidl_incoming_msg_t *msg,
                                enum op_kind kind)
{
	int32_t st = ZX_ERR_INTERNAL;

	if (status != ZX_OK)
		return status;
	switch (kind) {
	case OP_REQUEST: {
		fuchsia_hardware_vsock_DeviceSendRequestResponse *r;
		if (fuchsia_hardware_vsock_DeviceSendRequest_decode_response(
		        msg, &r) == ZX_OK)
			st = r->status;
		break;
	}
	case OP_RESPONSE: {
		fuchsia_hardware_vsock_DeviceSendResponseResponse *r;
		if (fuchsia_hardware_vsock_DeviceSendResponse_decode_response(
		        msg, &r) == ZX_OK)
			st = r->status;
		break;
	}
	case OP_SHUTDOWN: {
		fuchsia_hardware_vsock_DeviceSendShutdownResponse *r;
		if (fuchsia_hardware_vsock_DeviceSendShutdown_decode_response(
		        msg, &r) == ZX_OK)
			st = r->status;
		break;
	}
	case OP_VMO: {
		fuchsia_hardware_vsock_DeviceSendVmoResponse *r;
		if (fuchsia_hardware_vsock_DeviceSendVmo_decode_response(
		        msg, &r) == ZX_OK)
			st = r->status;
		break;
	}
	default:
		break;
	}
	return st;
}

/*
 * The reply to SendRequest, SendResponse or SendShutdown: an error means
 * the Device did not take the connection (or no longer knows it), so no
 * Callbacks will follow for it: end it here.
 */
static void device_conn_reply(void *ctx, zx_status_t status,
                              fidl_incoming_msg_t *msg)
{
	svc_op_t *op = ctx;
	cfv_service_t *svc = op->svc;
	svc_conn_t *conn;
	zx_status_t st;

	if (svc->destroying) {
		free(op);
		return;
	}
	st = reply_status(status, msg, op->kind);
	conn = conn_of_op(op);
	/* A refused SendShutdown on a connection the Device still has (it
	 * is shutting down already: the app closed its socket) ends with
	 * the Device's Rst like any other. */
	if (op->kind == OP_SHUTDOWN && st == ZX_ERR_BAD_STATE)
		st = ZX_OK;
	if (st != ZX_OK && conn)
		conn_end(conn, st, ZX_ERR_CONNECTION_RESET);
	free(op);
}

static void send_shutdown(svc_conn_t *conn)
{
	cfv_service_t *svc = conn->svc;
	svc_op_t *op;

	conn->shutdown_sent = true;
	op = op_new(svc, conn, &conn->addr, OP_SHUTDOWN);
	if (!op) {
		conn_end(conn, ZX_ERR_UNAVAILABLE, ZX_ERR_CONNECTION_RESET);
		return;
	}
	dev_call(op);
}

/* The SendVmo is over (status): answer the app, then a deferred Shutdown. */
static void vmo_finish(svc_conn_t *conn, zx_status_t status)
{
	if (!conn->vmo_busy)
		return;
	conn->vmo_busy = false;
	fuchsia_vsock_ConnectionSendVmo_reply(&conn->vmo_txn, status);
	if (conn->shutting && !conn->shutdown_sent)
		send_shutdown(conn);
}

static void device_vmo_reply(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	svc_op_t *op = ctx;
	svc_conn_t *conn;
	zx_status_t st;

	if (op->svc->destroying) {
		free(op);
		return;
	}
	st = reply_status(status, msg, OP_VMO);
	conn = conn_of_op(op);
	/* ZX_OK: SendVmoComplete ends it. */
	if (st != ZX_OK && conn)
		vmo_finish(conn, st);
	free(op);
}

/* Ends a Device call that could not be made: its reply handler hears st. */
static void dev_fail(svc_op_t *op, zx_status_t st)
{
	zx_handle_close(op->handle);
	op->handle = ZX_HANDLE_INVALID;
	switch (op->kind) {
	case OP_REQUEST:
	case OP_RESPONSE:
	case OP_SHUTDOWN:
		device_conn_reply(op, st, NULL);
		break;
	case OP_VMO:
		device_vmo_reply(op, st, NULL);
		break;
	default:
		device_ignore_reply(op, st, NULL);
		break;
	}
}

/* Writes op's call; its handle is consumed either way. */
static zx_status_t dev_write(svc_op_t *op)
{
	cfidl_client_t *d = op->svc->device;
	zx_handle_t h = op->handle;

	op->handle = ZX_HANDLE_INVALID;
	switch (op->kind) {
	case OP_REQUEST:
		return fuchsia_hardware_vsock_DeviceSendRequest_async(
		    d, &op->addr, h, device_conn_reply, op);
	case OP_RESPONSE:
		return fuchsia_hardware_vsock_DeviceSendResponse_async(
		    d, &op->addr, h, device_conn_reply, op);
	case OP_SHUTDOWN:
		return fuchsia_hardware_vsock_DeviceSendShutdown_async(
		    d, &op->addr, device_conn_reply, op);
	case OP_RST:
		return fuchsia_hardware_vsock_DeviceSendRst_async(
		    d, &op->addr, device_ignore_reply, op);
	case OP_VMO:
		return fuchsia_hardware_vsock_DeviceSendVmo_async(
		    d, &op->addr, h, op->off, op->len, device_vmo_reply, op);
	default:
		zx_handle_close(h);
		return ZX_ERR_INVALID_ARGS;
	}
}

/*
 * Room in the Device channel now?  A full channel would drop a call's
 * handles with ZX_ERR_SHOULD_WAIT, so calls are only written when the
 * channel says it is writable (3/4 of its buffer free); a dead channel
 * counts as writable (the call then fails at once).
 */
static bool dev_writable(cfv_service_t *svc)
{
	zx_signals_t obs = 0;

	zx_object_wait_one(cfidl_client_channel(svc->device),
	                   ZX_CHANNEL_WRITABLE | ZX_CHANNEL_PEER_CLOSED, 0,
	                   &obs);
	return (obs & (ZX_CHANNEL_WRITABLE | ZX_CHANNEL_PEER_CLOSED)) != 0;
}

static void dev_flush(cfv_service_t *svc)
{
	while (svc->dq_head) {
		svc_op_t *op = svc->dq_head;
		zx_status_t st;

		if (!svc->destroying && svc->device_status == ZX_OK &&
		    !dev_writable(svc)) {
			if (!svc->dwait_armed) {
				svc->dwait.object =
				    cfidl_client_channel(svc->device);
				svc->dwait.trigger = ZX_CHANNEL_WRITABLE |
				                     ZX_CHANNEL_PEER_CLOSED;
				if (cfidl_wait_begin(svc->loop, &svc->dwait) ==
				    ZX_OK)
					svc->dwait_armed = true;
			}
			if (svc->dwait_armed)
				return;
		}
		svc->dq_head = op->next;
		if (!svc->dq_head)
			svc->dq_tail = NULL;
		op->next = NULL;
		if (svc->destroying)
			st = ZX_ERR_CANCELED;
		else if (svc->device_status != ZX_OK)
			st = svc->device_status;
		else if (op->kind != OP_RST && !conn_of_op(op))
			st = ZX_ERR_CANCELED; /* ended while it waited */
		else
			st = dev_write(op);
		if (st != ZX_OK)
			dev_fail(op, st);
	}
}

static void dev_on_writable(cfidl_loop_t *loop, cfidl_wait_t *wait,
                            zx_status_t status, zx_signals_t observed)
{
	cfv_service_t *svc =
	    (cfv_service_t *)((char *)wait - offsetof(cfv_service_t, dwait));

	(void)loop;
	(void)observed;
	svc->dwait_armed = false;
	if (status == ZX_OK)
		dev_flush(svc);
}

/* Makes op's Device call, in order behind any waiting for room.  op (and
 * its handle) is the call's: on failure its reply handler hears why. */
static void dev_call(svc_op_t *op)
{
	cfv_service_t *svc = op->svc;

	op->next = NULL;
	if (svc->dq_tail)
		svc->dq_tail->next = op;
	else
		svc->dq_head = op;
	svc->dq_tail = op;
	dev_flush(svc);
}

/* ---- fuchsia.vsock.Connection ---- */

static zx_status_t connection_shutdown(void *ctx)
{
	svc_conn_t *conn = ctx;

	if (conn->gone || conn->shutting)
		return ZX_OK;
	conn->shutting = true;
	if (!conn->vmo_busy)
		send_shutdown(conn);
	return ZX_OK;
}

static zx_status_t connection_send_vmo(void *ctx, zx_handle_t vmo, uint64_t off,
                                       uint64_t len, fidl_txn_t *txn)
{
	svc_conn_t *conn = ctx;
	cfv_service_t *svc = conn->svc;
	svc_op_t *op;

	if (conn->gone || conn->shutting || conn->vmo_busy ||
	    conn->state != CONN_ESTABLISHED) {
		zx_handle_close(vmo);
		fuchsia_vsock_ConnectionSendVmo_reply(txn, ZX_ERR_BAD_STATE);
		return ZX_OK;
	}
	op = op_new(svc, conn, &conn->addr, OP_VMO);
	if (!op) {
		zx_handle_close(vmo);
		fuchsia_vsock_ConnectionSendVmo_reply(txn, ZX_ERR_NO_MEMORY);
		return ZX_OK;
	}
	conn->vmo_busy = true;
	conn->vmo_txn = *txn;
	op->handle = vmo;
	op->off = off;
	op->len = len;
	dev_call(op);
	return ZX_OK;
}

static const fuchsia_vsock_Connection_ops_t connection_ops = {
    .Shutdown = connection_shutdown,
    .SendVmo = connection_send_vmo,
};

static zx_status_t connection_dispatch(void *ctx, fidl_txn_t *txn,
                                       fidl_incoming_msg_t *msg,
                                       const void *ops)
{
	return fuchsia_vsock_Connection_dispatch(ctx, txn, msg, ops);
}

/* The app's Connection channel spoke (or closed): serve it from now on. */
static void con_wait_fired(cfidl_loop_t *loop, cfidl_wait_t *wait,
                           zx_status_t status, zx_signals_t observed)
{
	svc_conn_t *conn =
	    (svc_conn_t *)((char *)wait - offsetof(svc_conn_t, con_wait));
	zx_handle_t ch = conn->idle_con;

	(void)observed;
	conn->con_waiting = false;
	conn->idle_con = ZX_HANDLE_INVALID;
	if (status != ZX_OK) {
		zx_handle_close(ch);
		return;
	}
	/* On failure the channel is closed: the app sees its Connection
	 * die, the connection itself goes on (its socket). */
	cfidl_bind_etc(loop, ch, connection_dispatch, conn, &connection_ops,
	               connection_unbound, &conn->binding);
}

/* Serves Connection on server_end (consumed) for an established conn:
 * bound when its first message (or its close) arrives. */
static void conn_bind(svc_conn_t *conn, zx_handle_t server_end)
{
	if (server_end == ZX_HANDLE_INVALID)
		return;
	conn->idle_con = server_end;
	conn->con_wait.handler = con_wait_fired;
	conn->con_wait.object = server_end;
	conn->con_wait.trigger = ZX_CHANNEL_READABLE | ZX_CHANNEL_PEER_CLOSED;
	if (cfidl_wait_begin_blind(conn->svc->loop, &conn->con_wait) != ZX_OK) {
		zx_handle_close(server_end);
		conn->idle_con = ZX_HANDLE_INVALID;
		return;
	}
	conn->con_waiting = true;
}

static svc_conn_t *conn_new(cfv_service_t *svc, const addr_t *addr,
                            enum conn_state state)
{
	svc_conn_t *conn = calloc(1, sizeof(*conn));
	uint32_t b;

	if (!conn)
		return NULL;
	conn->svc = svc;
	conn->addr = *addr;
	conn->serial = ++svc->next_serial;
	conn->state = state;
	conn->con_server = ZX_HANDLE_INVALID;
	b = addr_hash(addr);
	conn->next = svc->buckets[b];
	svc->buckets[b] = conn;
	svc->nconns++;
	return conn;
}

/* ---- fuchsia.vsock.Connector ---- */

static zx_status_t
connector_connect(void *ctx, uint32_t remote_cid, uint32_t remote_port,
                  const fuchsia_vsock_ConnectionTransport *con, fidl_txn_t *txn)
{
	svc_connector_t *ctr = ctx;
	cfv_service_t *svc = ctr->svc;
	addr_t addr;
	svc_conn_t *conn;
	svc_op_t *op;
	uint32_t port;
	zx_status_t st;

	if (svc->device_status != ZX_OK) {
		st = svc->device_status;
		goto fail;
	}
	port = port_alloc(svc);
	if (port == 0) {
		st = ZX_ERR_NO_RESOURCES;
		goto fail;
	}
	addr.local_port = port;
	addr.remote_cid = remote_cid;
	addr.remote_port = remote_port;
	conn = conn_new(svc, &addr, CONN_CONNECTING);
	op = conn ? op_new(svc, conn, &addr, OP_REQUEST) : NULL;
	if (!op) {
		if (conn) {
			conn_unlink(svc, conn);
			free(conn);
		}
		port_free(svc, port);
		st = ZX_ERR_NO_MEMORY;
		goto fail;
	}
	conn->ephemeral = true;
	conn->con_server = con->con;
	conn->connect_txn = *txn;
	/* The data socket goes to the Device; Response or Rst follows. */
	op->handle = con->data;
	dev_call(op);
	return ZX_OK;
fail:
	zx_handle_close(con->data);
	zx_handle_close(con->con);
	fuchsia_vsock_ConnectorConnect_reply(txn, st, 0);
	return ZX_OK;
}

static void accept_failed(svc_op_t *op);
static void listener_on_writable(cfidl_loop_t *loop, cfidl_wait_t *wait,
                                 zx_status_t status, zx_signals_t observed);

static void listener_remove(svc_listener_t *l)
{
	cfv_service_t *svc = l->svc;
	svc_listener_t **pp = &svc->listeners;

	while (*pp && *pp != l)
		pp = &(*pp)->next;
	if (*pp)
		*pp = l->next;
	if (l->wwait_armed)
		cfidl_wait_cancel(svc->loop, &l->wwait);
	/* Queued Accepts are rejected here; pending ones are told CANCELED
	 * by the client: each rejects its connection. */
	while (l->qhead) {
		svc_op_t *op = l->qhead;

		l->qhead = op->next;
		accept_failed(op);
	}
	cfidl_client_destroy(l->acceptor);
	free(l);
}

/* The Acceptor channel failed: the port is free for a new listener. */
static void listener_on_error(void *ctx, zx_status_t status)
{
	(void)status;
	listener_remove(ctx);
}

static zx_status_t connector_listen(void *ctx, uint32_t local_port,
                                    zx_handle_t acceptor, fidl_txn_t *txn)
{
	svc_connector_t *ctr = ctx;
	cfv_service_t *svc = ctr->svc;
	cfidl_client_handlers_t h = {.on_error = listener_on_error};
	svc_listener_t *l;
	zx_status_t st;

	if (port_is_ephemeral(svc, local_port)) {
		st = ZX_ERR_UNAVAILABLE;
	} else if (listener_find(svc, local_port)) {
		st = ZX_ERR_ALREADY_BOUND;
	} else if (!(l = calloc(1, sizeof(*l)))) {
		st = ZX_ERR_NO_MEMORY;
	} else {
		l->svc = svc;
		l->port = local_port;
		l->wwait.handler = listener_on_writable;
		st = cfidl_client_create(svc->loop, acceptor, &h, l,
		                         &l->acceptor);
		acceptor = ZX_HANDLE_INVALID; /* consumed */
		if (st == ZX_OK) {
			l->next = svc->listeners;
			svc->listeners = l;
		} else {
			free(l);
		}
	}
	zx_handle_close(acceptor);
	fuchsia_vsock_ConnectorListen_reply(txn, st);
	return ZX_OK;
}

static const fuchsia_vsock_Connector_ops_t connector_ops = {
    .Connect = connector_connect,
    .Listen = connector_listen,
};

static zx_status_t connector_dispatch(void *ctx, fidl_txn_t *txn,
                                      fidl_incoming_msg_t *msg, const void *ops)
{
	return fuchsia_vsock_Connector_dispatch(ctx, txn, msg, ops);
}

static void connector_unbound(void *ctx, zx_status_t reason)
{
	svc_connector_t *ctr = ctx;
	cfv_service_t *svc = ctr->svc;

	(void)reason;
	if (ctr->prev)
		ctr->prev->next = ctr->next;
	else
		svc->connectors = ctr->next;
	if (ctr->next)
		ctr->next->prev = ctr->prev;
	free(ctr);
}

zx_status_t cfv_service_bind_connector(cfv_service_t *svc,
                                       zx_handle_t server_end)
{
	svc_connector_t *ctr;
	zx_status_t st;

	if (!svc) {
		zx_handle_close(server_end);
		return ZX_ERR_INVALID_ARGS;
	}
	ctr = calloc(1, sizeof(*ctr));
	if (!ctr) {
		zx_handle_close(server_end);
		return ZX_ERR_NO_MEMORY;
	}
	ctr->svc = svc;
	st = cfidl_bind_etc(svc->loop, server_end, connector_dispatch, ctr,
	                    &connector_ops, connector_unbound, &ctr->binding);
	if (st != ZX_OK) {
		free(ctr);
		return st;
	}
	ctr->next = svc->connectors;
	if (ctr->next)
		ctr->next->prev = ctr;
	svc->connectors = ctr;
	return ZX_OK;
}

/* ---- fuchsia.vsock.Acceptor replies ---- */

static void accept_reply(void *ctx, zx_status_t status,
                         fidl_incoming_msg_t *msg)
{
	svc_op_t *op = ctx;
	cfv_service_t *svc = op->svc;
	fuchsia_vsock_AcceptorAcceptResponse *r = NULL;
	zx_handle_t data = ZX_HANDLE_INVALID, con = ZX_HANDLE_INVALID;
	svc_conn_t *conn;
	svc_op_t *rop;

	if (status == ZX_OK &&
	    fuchsia_vsock_AcceptorAccept_decode_response(msg, &r) == ZX_OK &&
	    r->con) {
		data = r->con->data;
		con = r->con->con;
	}
	conn = svc->destroying ? NULL : conn_of_op(op);
	if (!conn || conn->state != CONN_ACCEPTING) {
		/* Gone meanwhile (Rst, transport reset, destroy). */
		zx_handle_close(data);
		zx_handle_close(con);
		free(op);
		return;
	}
	if (data == ZX_HANDLE_INVALID) {
		/* Rejected (null), or the Acceptor failed: RST. */
		zx_handle_close(con);
		conn_end(conn, ZX_OK, ZX_OK);
		device_send_rst(svc, &op->addr);
		free(op);
		return;
	}
	conn->state = CONN_ESTABLISHED;
	rop = op; /* reused for SendResponse's reply */
	rop->kind = OP_RESPONSE;
	rop->handle = data;
	conn_bind(conn, con);
	dev_call(rop);
}

/* The Accept for op cannot be asked: reject its connection (RST). */
static void accept_failed(svc_op_t *op)
{
	cfv_service_t *svc = op->svc;
	svc_conn_t *conn = svc->destroying ? NULL : conn_of_op(op);

	if (conn && conn->state == CONN_ACCEPTING) {
		conn_end(conn, ZX_OK, ZX_OK);
		device_send_rst(svc, &op->addr);
	}
	free(op);
}

static void listener_arm(svc_listener_t *l)
{
	if (l->wwait_armed)
		return;
	l->wwait.object = cfidl_client_channel(l->acceptor);
	l->wwait.trigger = ZX_CHANNEL_WRITABLE | ZX_CHANNEL_PEER_CLOSED;
	if (cfidl_wait_begin(l->svc->loop, &l->wwait) == ZX_OK)
		l->wwait_armed = true;
}

/* Asks the Acceptor for the queued Accepts, in order, while there is
 * room; those whose connection is gone meanwhile are skipped. */
static void accept_flush(svc_listener_t *l)
{
	while (l->qhead) {
		svc_op_t *op = l->qhead;
		svc_conn_t *conn = conn_of_op(op);
		zx_status_t st = ZX_ERR_NOT_FOUND;

		if (conn && conn->state == CONN_ACCEPTING) {
			st = fuchsia_vsock_AcceptorAccept_async(
			    l->acceptor, &op->addr, accept_reply, op);
			if (st == ZX_ERR_SHOULD_WAIT) {
				listener_arm(l);
				return;
			}
		}
		l->qhead = op->next;
		if (!l->qhead)
			l->qtail = NULL;
		op->next = NULL;
		if (st != ZX_OK)
			accept_failed(op);
	}
}

static void listener_on_writable(cfidl_loop_t *loop, cfidl_wait_t *wait,
                                 zx_status_t status, zx_signals_t observed)
{
	svc_listener_t *l =
	    (svc_listener_t *)((char *)wait - offsetof(svc_listener_t, wwait));

	(void)loop;
	(void)observed;
	l->wwait_armed = false;
	if (status == ZX_OK)
		accept_flush(l);
}

/* Asks the listener's Acceptor about op's connection, behind any queued. */
static void accept_queue(svc_listener_t *l, svc_op_t *op)
{
	op->next = NULL;
	if (l->qtail)
		l->qtail->next = op;
	else
		l->qhead = op;
	l->qtail = op;
	accept_flush(l);
}

/* ---- fuchsia.hardware.vsock.Callbacks ---- */

static zx_status_t cb_request(void *ctx, const addr_t *addr)
{
	cfv_service_t *svc = ctx;
	svc_listener_t *l;
	svc_conn_t *conn;
	svc_op_t *op;

	if (conn_find(svc, addr))
		return ZX_OK; /* a duplicate REQUEST: the Device already has it
		               */
	l = listener_find(svc, addr->local_port);
	if (!l) {
		device_send_rst(svc, addr);
		return ZX_OK;
	}
	conn = conn_new(svc, addr, CONN_ACCEPTING);
	op = conn ? op_new(svc, conn, addr, OP_ACCEPT) : NULL;
	if (!op) {
		if (conn)
			conn_end(conn, ZX_OK, ZX_OK);
		device_send_rst(svc, addr);
		return ZX_OK;
	}
	accept_queue(l, op);
	return ZX_OK;
}

static zx_status_t cb_response(void *ctx, const addr_t *addr)
{
	cfv_service_t *svc = ctx;
	svc_conn_t *conn = conn_find(svc, addr);
	zx_handle_t server;

	if (!conn || conn->state != CONN_CONNECTING)
		return ZX_OK;
	conn->state = CONN_ESTABLISHED;
	server = conn->con_server;
	conn->con_server = ZX_HANDLE_INVALID;
	fuchsia_vsock_ConnectorConnect_reply(&conn->connect_txn, ZX_OK,
	                                     addr->local_port);
	conn_bind(conn, server);
	return ZX_OK;
}

static zx_status_t cb_rst(void *ctx, const addr_t *addr)
{
	cfv_service_t *svc = ctx;
	svc_conn_t *conn = conn_find(svc, addr);

	/* Before Response: refused. */
	if (conn)
		conn_end(conn, ZX_ERR_UNAVAILABLE, ZX_OK);
	return ZX_OK;
}

static zx_status_t cb_shutdown(void *ctx, const addr_t *addr)
{
	/* The Device half-closes the socket itself and reports Rst when the
	 * connection is over; nothing to do here. */
	(void)ctx;
	(void)addr;
	return ZX_OK;
}

static zx_status_t cb_transport_reset(void *ctx, uint32_t new_cid,
                                      fidl_txn_t *txn)
{
	cfv_service_t *svc = ctx;

	svc->cid = new_cid;
	conn_end_all(svc, ZX_ERR_CONNECTION_RESET);
	fuchsia_hardware_vsock_CallbacksTransportReset_reply(txn);
	return ZX_OK;
}

static zx_status_t cb_send_vmo_complete(void *ctx, const addr_t *addr)
{
	cfv_service_t *svc = ctx;
	svc_conn_t *conn = conn_find(svc, addr);

	if (conn)
		vmo_finish(conn, ZX_OK);
	return ZX_OK;
}

static const fuchsia_hardware_vsock_Callbacks_ops_t callbacks_ops = {
    .Request = cb_request,
    .Response = cb_response,
    .Rst = cb_rst,
    .Shutdown = cb_shutdown,
    .TransportReset = cb_transport_reset,
    .SendVmoComplete = cb_send_vmo_complete,
};

static zx_status_t callbacks_dispatch(void *ctx, fidl_txn_t *txn,
                                      fidl_incoming_msg_t *msg, const void *ops)
{
	return fuchsia_hardware_vsock_Callbacks_dispatch(ctx, txn, msg, ops);
}

static void callbacks_unbound(void *ctx, zx_status_t reason)
{
	cfv_service_t *svc = ctx;

	(void)reason;
	svc->callbacks = NULL;
}

/* ---- the Device channel ---- */

/* The Device is gone: so is every connection (listeners stay, useless). */
static void device_on_error(void *ctx, zx_status_t status)
{
	cfv_service_t *svc = ctx;

	svc->device_status = status == ZX_OK ? ZX_ERR_PEER_CLOSED : status;
	if (svc->start_status == ZX_ERR_SHOULD_WAIT)
		svc->start_status = svc->device_status;
	conn_end_all(svc, ZX_ERR_PEER_CLOSED);
	dev_flush(svc); /* what waited fails now */
}

static void device_start_reply(void *ctx, zx_status_t status,
                               fidl_incoming_msg_t *msg)
{
	cfv_service_t *svc = ctx;
	fuchsia_hardware_vsock_DeviceStartResponse *r;

	if (status == ZX_ERR_CANCELED && svc->destroying)
		return;
	if (status == ZX_OK)
		status = fuchsia_hardware_vsock_DeviceStart_decode_response(
		             msg, &r) == ZX_OK
		             ? r->status
		             : ZX_ERR_INTERNAL;
	svc->start_status = status;
}

static void device_cid_reply(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	cfv_service_t *svc = ctx;
	fuchsia_hardware_vsock_DeviceGetCidResponse *r;

	if (status == ZX_OK && !svc->destroying &&
	    fuchsia_hardware_vsock_DeviceGetCid_decode_response(msg, &r) ==
	        ZX_OK &&
	    svc->cid == 0)
		svc->cid = r->local_cid;
}

void cfv_service_config_init(cfv_service_config_t *cfg)
{
	cfg->ephemeral_first = CFV_SVC_EPHEMERAL_FIRST;
	cfg->ephemeral_last = CFV_SVC_EPHEMERAL_LAST;
}

zx_status_t cfv_service_create(cfidl_loop_t *loop,
                               zx_handle_t device_client_end,
                               cfv_service_t **out)
{
	return cfv_service_create_etc(loop, device_client_end, NULL, out);
}

zx_status_t cfv_service_create_etc(cfidl_loop_t *loop,
                                   zx_handle_t device_client_end,
                                   const cfv_service_config_t *cfg,
                                   cfv_service_t **out)
{
	cfidl_client_handlers_t h = {.on_error = device_on_error};
	cfv_service_t *svc;
	zx_handle_t cb_client, cb_server;
	zx_status_t st;

	if (!loop || !out ||
	    (cfg && cfg->ephemeral_first > cfg->ephemeral_last) ||
	    (cfg && cfg->ephemeral_first == 0)) {
		zx_handle_close(device_client_end);
		return ZX_ERR_INVALID_ARGS;
	}
	svc = calloc(1, sizeof(*svc));
	if (!svc) {
		zx_handle_close(device_client_end);
		return ZX_ERR_NO_MEMORY;
	}
	svc->loop = loop;
	if (cfg)
		svc->cfg = *cfg;
	else
		cfv_service_config_init(&svc->cfg);
	svc->start_status = ZX_ERR_SHOULD_WAIT;
	svc->dwait.handler = dev_on_writable;
	svc->nports = svc->cfg.ephemeral_last - svc->cfg.ephemeral_first + 1;
	svc->ports = calloc((svc->nports + 63) / 64, sizeof(uint64_t));
	if (!svc->ports) {
		free(svc);
		zx_handle_close(device_client_end);
		return ZX_ERR_NO_MEMORY;
	}
	st =
	    cfidl_client_create(loop, device_client_end, &h, svc, &svc->device);
	if (st != ZX_OK)
		goto fail;
	st = zx_channel_create(0, &cb_client, &cb_server);
	if (st != ZX_OK)
		goto fail;
	st = cfidl_bind_etc(loop, cb_server, callbacks_dispatch, svc,
	                    &callbacks_ops, callbacks_unbound, &svc->callbacks);
	if (st != ZX_OK) {
		zx_handle_close(cb_client);
		goto fail;
	}
	st = fuchsia_hardware_vsock_DeviceStart_async(svc->device, cb_client,
	                                              device_start_reply, svc);
	if (st != ZX_OK)
		goto fail;
	/* Best effort: the CID is only informative. */
	fuchsia_hardware_vsock_DeviceGetCid_async(svc->device, device_cid_reply,
	                                          svc);
	*out = svc;
	return ZX_OK;
fail:
	cfv_service_destroy(svc);
	return st;
}

uint32_t cfv_service_cid(const cfv_service_t *svc)
{
	return svc ? svc->cid : 0;
}

zx_status_t cfv_service_start_status(const cfv_service_t *svc)
{
	return svc ? svc->start_status : ZX_ERR_INVALID_ARGS;
}

uint32_t cfv_service_connection_count(const cfv_service_t *svc)
{
	return svc ? svc->nconns : 0;
}

void cfv_service_destroy(cfv_service_t *svc)
{
	if (!svc)
		return;
	svc->destroying = true;
	if (svc->dwait_armed)
		cfidl_wait_cancel(svc->loop, &svc->dwait);
	svc->dwait_armed = false;
	dev_flush(svc); /* each waiting call is told CANCELED */
	conn_end_all(svc, ZX_ERR_CANCELED);
	while (svc->connectors)
		cfidl_binding_close(svc->connectors->binding, ZX_OK);
	while (svc->listeners)
		listener_remove(svc->listeners);
	cfidl_client_destroy(svc->device);
	cfidl_binding_close(svc->callbacks, ZX_OK);
	free(svc->ports);
	free(svc);
}
