/*
 * router_fakes.h: fake peers of the router for test_router and
 * test_hybrid: a fake host half (GuestVsockEndpoint + GuestVsockAcceptor,
 * a HostVsockConnector client), a fake host app (a HostVsockEndpoint
 * client serving HostVsockAcceptor), and socket data checks.
 */
#ifndef CFV_TESTS_ROUTER_FAKES_H
#define CFV_TESTS_ROUTER_FAKES_H

#include "router_test.h"

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/wait.h>

#include "fuchsia.virtualization.h"
#include "router.h"

/* ---- data through a pair of sockets ---- */

/* A loop to run while waiting for bytes (a relay may carry them). */
static cfidl_loop_t *fk_loop;

static inline void expect_bytes(zx_handle_t from, const char *want)
{
	char buf[64];
	size_t n = 0, got = 0, len = strlen(want);
	zx_time_t end = zx_deadline_after(ZX_SEC(5));
	zx_signals_t sig;

	while (got < len) {
		assert_true(zx_clock_get_monotonic() < end);
		if (zx_object_wait_one(from, ZX_SOCKET_READABLE,
		                       zx_deadline_after(ZX_MSEC(1)),
		                       &sig) != ZX_OK) {
			if (fk_loop)
				cfidl_loop_run(fk_loop,
				               zx_deadline_after(ZX_MSEC(1)),
				               true);
			continue;
		}
		ASSERT_OK(zx_socket_read(from, 0, buf + got, len - got, &n));
		got += n;
	}
	assert_memory_equal(buf, want, len);
}

/* Bytes go both ways between socket ends a and b. */
static inline void check_pipe(zx_handle_t a, zx_handle_t b)
{
	ASSERT_OK(zx_socket_write(a, 0, "ping", 4, NULL));
	expect_bytes(b, "ping");
	ASSERT_OK(zx_socket_write(b, 0, "pong!", 5, NULL));
	expect_bytes(a, "pong!");
}

/* ---- a fake host half (one guest) ---- */

typedef struct fguest {
	cfidl_loop_t *loop;
	zx_handle_t ep; /* GuestVsockEndpoint server end, ours */
	uint32_t cid;
	cfidl_client_t *connector;
	cfidl_binding_t *acceptor;
	bool acceptor_gone;
	zx_status_t connector_error;
	uint32_t listen_port; /* the one port "the guest" accepts */
	const char *banner;   /* written into the socket before the reply */
	bool defer;           /* hold the next Accept */
	fidl_txn_t held;
	bool holding;
	zx_handle_t held_sock;
	int accepts;
	uint32_t src_cid, src_port, port;
	zx_handle_t sock; /* the last accepted socket */
} fguest_t;

static inline zx_status_t fg_accept(void *ctx, uint32_t src_cid,
                                    uint32_t src_port, uint32_t port,
                                    zx_handle_t socket, fidl_txn_t *txn)
{
	fguest_t *fg = ctx;

	fg->accepts++;
	fg->src_cid = src_cid;
	fg->src_port = src_port;
	fg->port = port;
	if (fg->defer) {
		fg->held = *txn;
		fg->holding = true;
		zx_handle_close(fg->held_sock);
		fg->held_sock = socket;
		return ZX_OK;
	}
	if (port != fg->listen_port) {
		zx_handle_close(socket);
		return fuchsia_virtualization_GuestVsockAcceptorAccept_reply_error(
		    txn, ZX_ERR_CONNECTION_REFUSED);
	}
	zx_handle_close(fg->sock);
	fg->sock = socket;
	/* A guest app that speaks first, its bytes ahead of the answer. */
	if (fg->banner)
		ASSERT_OK(zx_socket_write(socket, 0, fg->banner,
		                          strlen(fg->banner), NULL));
	return fuchsia_virtualization_GuestVsockAcceptorAccept_reply(txn);
}

static const fuchsia_virtualization_GuestVsockAcceptor_ops_t fg_acc_ops = {
    .Accept = fg_accept,
};

static inline void fg_acc_unbound(void *ctx, zx_status_t reason)
{
	fguest_t *fg = ctx;

	(void)reason;
	fg->acceptor = NULL;
	fg->acceptor_gone = true;
}

static inline void fg_conn_error(void *ctx, zx_status_t status)
{
	((fguest_t *)ctx)->connector_error = status;
}

static inline zx_status_t
fg_set_cid(void *ctx, uint32_t cid, zx_handle_t connector, zx_handle_t acceptor)
{
	fguest_t *fg = ctx;
	static const cfidl_client_handlers_t h = {NULL, fg_conn_error};

	fg->cid = cid;
	ASSERT_OK(
	    cfidl_client_create(fg->loop, connector, &h, fg, &fg->connector));
	ASSERT_OK(cfidl_bind_etc(
	    fg->loop, acceptor,
	    CFIDL_DISPATCH(fuchsia_virtualization_GuestVsockAcceptor_dispatch),
	    fg, &fg_acc_ops, fg_acc_unbound, &fg->acceptor));
	return ZX_OK;
}

static const fuchsia_virtualization_GuestVsockEndpoint_ops_t fg_ep_ops = {
    .SetContextId = fg_set_cid,
};

/* Adds a fake guest cid to r and takes its SetContextId. */
static inline void fg_add(fguest_t *fg, cfidl_loop_t *loop, cfv_router_t *r,
                          uint32_t cid)
{
	zx_handle_t c;
	_Alignas(8) uint8_t bytes[512];
	zx_handle_info_t hi[4];
	uint32_t nb, nh;
	fidl_incoming_msg_t msg;
	fidl_txn_t none = {0};

	memset(fg, 0, sizeof(*fg));
	fg->loop = loop;
	ASSERT_OK(zx_channel_create(0, &c, &fg->ep));
	ASSERT_OK(cfv_router_add_guest(r, cid, c));
	/* SetContextId was written at once: serve it by hand, keeping the
	 * endpoint channel to send OnShutdown on later. */
	ASSERT_OK(zx_channel_read_etc(fg->ep, 0, bytes, hi, sizeof(bytes), 4,
	                              &nb, &nh));
	msg.bytes = bytes;
	msg.num_bytes = nb;
	msg.handles = hi;
	msg.num_handles = nh;
	ASSERT_OK(fuchsia_virtualization_GuestVsockEndpoint_dispatch(
	    fg, &none, &msg, &fg_ep_ops));
	assert_int_equal(fg->cid, cid);
}

static inline void fg_free(fguest_t *fg)
{
	cfidl_client_destroy(fg->connector);
	cfidl_binding_close(fg->acceptor, ZX_OK);
	zx_handle_close(fg->ep);
	zx_handle_close(fg->sock);
	zx_handle_close(fg->held_sock);
	memset(fg, 0, sizeof(*fg));
}

/* An async call's result: a socket or an error. */
typedef struct res {
	bool done;
	zx_status_t status;
	zx_handle_t sock;
} res_t;

/*
 * Defines name, the response callback of P.M (P the protocol's C prefix,
 * M the method) whose result is a socket or an error: it fills the res_t
 * at ctx (res.sock then belongs to the test).
 */
#define RF_SOCKET_RESULT_CB(name, P, M)                                        \
	static inline void name(void *ctx, zx_status_t status,                 \
	                        fidl_incoming_msg_t *msg)                      \
	{                                                                      \
		res_t *res = ctx;                                              \
		P##_##M##_Result *r;                                           \
		const int32_t *err;                                            \
                                                                               \
		res->done = true;                                              \
		res->status = status;                                          \
		if (status != ZX_OK)                                           \
			return;                                                \
		ASSERT_OK(P##M##_decode_response(msg, &r));                    \
		err = P##_##M##_Result_get_err(r);                             \
		if (err)                                                       \
			res->status = *err;                                    \
		else                                                           \
			res->sock = P##_##M##_Result_get_response(r)->socket;  \
	}

/* The fake host half's HostVsockConnector.Connect, async. */
RF_SOCKET_RESULT_CB(on_conn, fuchsia_virtualization_HostVsockConnector, Connect)

static inline void fg_connect(fguest_t *fg, uint32_t src_cid, uint32_t src_port,
                              uint32_t cid, uint32_t port, res_t *res)
{
	memset(res, 0, sizeof(*res));
	ASSERT_OK(fuchsia_virtualization_HostVsockConnectorConnect_async(
	    fg->connector, src_cid, src_port, cid, port, on_conn, res));
	VT_RUN_UNTIL(fg->loop, res->done);
}

/* ---- a fake host app: a HostVsockEndpoint client ---- */

typedef struct happ {
	cfidl_loop_t *loop;
	cfidl_client_t *ep;
	zx_status_t ep_error;
	/* its listener (HostVsockAcceptor served by the app) */
	cfidl_binding_t *acc;
	zx_status_t refuse; /* reply this error to Accept if set */
	int accepts;
	uint32_t src_cid, src_port, port;
	zx_handle_t sock; /* our end of the last accepted connection */
} happ_t;

static inline void happ_ep_error(void *ctx, zx_status_t status)
{
	((happ_t *)ctx)->ep_error = status;
}

static inline void happ_open(happ_t *a, cfidl_loop_t *loop, cfv_router_t *r,
                             uint32_t cid, zx_status_t want)
{
	static const cfidl_client_handlers_t h = {NULL, happ_ep_error};
	zx_handle_t c, s;

	memset(a, 0, sizeof(*a));
	a->loop = loop;
	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_ST(cfv_router_bind_host_endpoint(r, cid, s), want);
	ASSERT_OK(cfidl_client_create(loop, c, &h, a, &a->ep));
}

static inline void happ_close(happ_t *a)
{
	cfidl_client_destroy(a->ep);
	cfidl_binding_close(a->acc, ZX_OK);
	zx_handle_close(a->sock);
	memset(a, 0, sizeof(*a));
}

static inline zx_status_t happ_accept(void *ctx, uint32_t src_cid,
                                      uint32_t src_port, uint32_t port,
                                      fidl_txn_t *txn)
{
	happ_t *a = ctx;
	zx_handle_t mine, theirs;

	a->accepts++;
	a->src_cid = src_cid;
	a->src_port = src_port;
	a->port = port;
	if (a->refuse)
		return fuchsia_virtualization_HostVsockAcceptorAccept_reply_error(
		    txn, a->refuse);
	ASSERT_OK(zx_socket_create(0, &mine, &theirs));
	zx_handle_close(a->sock);
	a->sock = mine;
	return fuchsia_virtualization_HostVsockAcceptorAccept_reply(txn,
	                                                            theirs);
}

static const fuchsia_virtualization_HostVsockAcceptor_ops_t happ_acc_ops = {
    .Accept = happ_accept,
};

static inline void happ_acc_unbound(void *ctx, zx_status_t reason)
{
	(void)reason;
	((happ_t *)ctx)->acc = NULL;
}

static inline void on_listen(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	res_t *res = ctx;
	fuchsia_virtualization_HostVsockEndpoint_Listen_Result *r;
	const int32_t *err;

	res->done = true;
	res->status = status;
	if (status != ZX_OK)
		return;
	ASSERT_OK(
	    fuchsia_virtualization_HostVsockEndpointListen_decode_response(msg,
	                                                                   &r));
	err = fuchsia_virtualization_HostVsockEndpoint_Listen_Result_get_err(r);
	res->status = err ? *err : ZX_OK;
}

/* Listen(port) with a new acceptor the app serves; the result. */
static inline zx_status_t happ_listen(happ_t *a, uint32_t port)
{
	zx_handle_t c, s;
	res_t res = {0};

	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_OK(fuchsia_virtualization_HostVsockEndpointListen_async(
	    a->ep, port, c, on_listen, &res));
	VT_RUN_UNTIL(a->loop, res.done);
	if (res.status == ZX_OK) {
		assert_null(a->acc);
		ASSERT_OK(cfidl_bind_etc(
		    a->loop, s,
		    CFIDL_DISPATCH(
		        fuchsia_virtualization_HostVsockAcceptor_dispatch),
		    a, &happ_acc_ops, happ_acc_unbound, &a->acc));
	} else {
		zx_handle_close(s);
	}
	return res.status;
}

RF_SOCKET_RESULT_CB(on_connect2, fuchsia_virtualization_HostVsockEndpoint,
                    Connect2)

static inline void happ_connect2(happ_t *a, uint32_t guest_port, res_t *res,
                                 bool wait)
{
	memset(res, 0, sizeof(*res));
	ASSERT_OK(fuchsia_virtualization_HostVsockEndpointConnect2_async(
	    a->ep, guest_port, on_connect2, res));
	if (wait)
		VT_RUN_UNTIL(a->loop, res->done);
}

#endif /* CFV_TESTS_ROUTER_FAKES_H */
