/*
 * test_service: the vsock service (fuchsia.vsock) against a fake
 * fuchsia.hardware.vsock Device served here with the generated bindings.
 * The fake records every Device call and lets each test play the host
 * through Callbacks.  Scenarios are Fuchsia's vsock service tests by name
 * (basic_listen, reject_connection, transport_reset, ports_reused) plus the
 * error mapping of REFERENCE.md section 6 and the Connection semantics.
 */
#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#include "app_fakes.h"
#include "fuchsia.hardware.vsock.h"
#include "fuchsia.vsock.h"
#include "service.h"
#include "vsock_test.h"

#define MAXREC 16

/* ---- the fake Device ---- */

typedef struct fake_dev {
	cfidl_client_t *cb; /* Callbacks, after Start */
	int starts;
	uint32_t cid;
	zx_status_t request_status; /* SendRequest's reply */
	zx_status_t vmo_status;     /* SendVmo's reply */
	addr_t req[MAXREC];
	zx_handle_t req_data[MAXREC];
	int nreq;
	addr_t resp[MAXREC];
	zx_handle_t resp_data[MAXREC];
	int nresp;
	addr_t rst[MAXREC];
	int nrst;
	int nrst_total;
	addr_t shut[MAXREC];
	int nshut;
	addr_t vmo_addr[MAXREC];
	uint64_t vmo_len[MAXREC];
	int nvmo;
	bool reset_acked;
	bool changed; /* any call arrived */
	cfidl_binding_t *binding;
} fake_dev_t;

static void fake_unbound(void *ctx, zx_status_t reason)
{
	fake_dev_t *d = ctx;

	(void)reason;
	d->binding = NULL;
}

static zx_status_t fd_send_request(void *ctx, const addr_t *addr,
                                   zx_handle_t data, fidl_txn_t *txn)
{
	fake_dev_t *d = ctx;

	d->changed = true;
	if (d->nreq < MAXREC) {
		d->req[d->nreq] = *addr;
		d->req_data[d->nreq++] = data;
	} else {
		zx_handle_close(data);
	}
	return fuchsia_hardware_vsock_DeviceSendRequest_reply(
	    txn, d->request_status);
}

static zx_status_t fd_send_shutdown(void *ctx, const addr_t *addr,
                                    fidl_txn_t *txn)
{
	fake_dev_t *d = ctx;

	d->changed = true;
	if (d->nshut < MAXREC)
		d->shut[d->nshut++] = *addr;
	return fuchsia_hardware_vsock_DeviceSendShutdown_reply(txn, ZX_OK);
}

static zx_status_t fd_send_rst(void *ctx, const addr_t *addr, fidl_txn_t *txn)
{
	fake_dev_t *d = ctx;

	d->changed = true;
	d->nrst_total++;
	if (d->nrst < MAXREC)
		d->rst[d->nrst++] = *addr;
	return fuchsia_hardware_vsock_DeviceSendRst_reply(txn, ZX_OK);
}

static zx_status_t fd_send_response(void *ctx, const addr_t *addr,
                                    zx_handle_t data, fidl_txn_t *txn)
{
	fake_dev_t *d = ctx;

	d->changed = true;
	if (d->nresp < MAXREC) {
		d->resp[d->nresp] = *addr;
		d->resp_data[d->nresp++] = data;
	} else {
		zx_handle_close(data);
	}
	return fuchsia_hardware_vsock_DeviceSendResponse_reply(txn, ZX_OK);
}

static zx_status_t fd_get_cid(void *ctx, fidl_txn_t *txn)
{
	fake_dev_t *d = ctx;

	return fuchsia_hardware_vsock_DeviceGetCid_reply(txn, d->cid);
}

static zx_status_t fd_send_vmo(void *ctx, const addr_t *addr, zx_handle_t vmo,
                               uint64_t off, uint64_t len, fidl_txn_t *txn)
{
	fake_dev_t *d = ctx;

	(void)off;
	d->changed = true;
	zx_handle_close(vmo);
	if (d->nvmo < MAXREC) {
		d->vmo_addr[d->nvmo] = *addr;
		d->vmo_len[d->nvmo++] = len;
	}
	return fuchsia_hardware_vsock_DeviceSendVmo_reply(txn, d->vmo_status);
}

static zx_status_t fake_dispatch(void *ctx, fidl_txn_t *txn,
                                 fidl_incoming_msg_t *msg, const void *ops)
{
	return fuchsia_hardware_vsock_Device_dispatch(ctx, txn, msg, ops);
}

/* ---- fixture ---- */

typedef struct fx {
	cfidl_loop_t *loop;
	fake_dev_t dev;
	cfv_service_t *svc;
	cfidl_client_t *connector;
} fx_t;

static zx_status_t fd_start_real(void *ctx, zx_handle_t cb, fidl_txn_t *txn);

static const fuchsia_hardware_vsock_Device_ops_t fake_ops = {
    .Start = fd_start_real,
    .SendRequest = fd_send_request,
    .SendShutdown = fd_send_shutdown,
    .SendRst = fd_send_rst,
    .SendResponse = fd_send_response,
    .GetCid = fd_get_cid,
    .SendVmo = fd_send_vmo,
};

static fx_t *g_fx; /* the fake's loop, for Start */

static zx_status_t fd_start_real(void *ctx, zx_handle_t cb, fidl_txn_t *txn)
{
	fake_dev_t *d = ctx;
	cfidl_client_handlers_t h = {0};
	zx_status_t st;

	d->starts++;
	d->changed = true;
	cfidl_client_destroy(d->cb);
	d->cb = NULL;
	st = cfidl_client_create(g_fx->loop, cb, &h, d, &d->cb);
	return fuchsia_hardware_vsock_DeviceStart_reply(txn, st);
}

static void fx_open(fx_t *f, const cfv_service_config_t *cfg)
{
	zx_handle_t dc, ds, cc, cs;
	cfidl_client_handlers_t h = {0};

	memset(f, 0, sizeof(*f));
	g_fx = f;
	f->dev.cid = 3;
	ASSERT_OK(cfidl_loop_create(&f->loop));
	ASSERT_OK(zx_channel_create(0, &dc, &ds));
	ASSERT_OK(cfidl_bind_etc(f->loop, ds, fake_dispatch, &f->dev, &fake_ops,
	                         fake_unbound, &f->dev.binding));
	ASSERT_OK(cfv_service_create_etc(f->loop, dc, cfg, &f->svc));
	ASSERT_OK(zx_channel_create(0, &cc, &cs));
	ASSERT_OK(cfv_service_bind_connector(f->svc, cs));
	ASSERT_OK(cfidl_client_create(f->loop, cc, &h, f, &f->connector));
	while (cfv_service_start_status(f->svc) == ZX_ERR_SHOULD_WAIT)
		cfidl_loop_run(f->loop, zx_deadline_after(ZX_MSEC(50)), true);
	ASSERT_OK(cfv_service_start_status(f->svc));
	vt_settle(f->loop);
	assert_int_equal(f->dev.starts, 1);
	assert_int_equal(cfv_service_cid(f->svc), 3);
}

static void fx_close(fx_t *f)
{
	fake_dev_t *d = &f->dev;

	cfidl_client_destroy(f->connector);
	cfv_service_destroy(f->svc);
	cfidl_client_destroy(d->cb);
	for (int i = 0; i < d->nreq; i++)
		zx_handle_close(d->req_data[i]);
	for (int i = 0; i < d->nresp; i++)
		zx_handle_close(d->resp_data[i]);
	cfidl_binding_close(f->dev.binding, ZX_OK);
	cfidl_loop_destroy(f->loop);
	g_fx = NULL;
}

/* The host's side: Callbacks from the fake Device. */
static void host_request(fx_t *f, uint32_t lport, uint32_t cid, uint32_t rport)
{
	addr_t a = {lport, cid, rport};

	ASSERT_OK(fuchsia_hardware_vsock_CallbacksRequest(
	    cfidl_client_channel(f->dev.cb), &a));
}

static void host_response(fx_t *f, const addr_t *a)
{
	ASSERT_OK(fuchsia_hardware_vsock_CallbacksResponse(
	    cfidl_client_channel(f->dev.cb), a));
}

static void host_rst(fx_t *f, const addr_t *a)
{
	ASSERT_OK(fuchsia_hardware_vsock_CallbacksRst(
	    cfidl_client_channel(f->dev.cb), a));
}

static void host_vmo_complete(fx_t *f, const addr_t *a)
{
	ASSERT_OK(fuchsia_hardware_vsock_CallbacksSendVmoComplete(
	    cfidl_client_channel(f->dev.cb), a));
}

/* ---- the app's side ---- */

/* Connector.Connect; returns when the reply came. */
static reply_t app_connect(fx_t *f, app_conn_t *a, uint32_t cid, uint32_t port,
                           bool respond)
{
	fuchsia_vsock_ConnectionTransport t;
	reply_t r = {0};
	int before = f->dev.nreq;

	transport_make(f->loop, a, &t);
	ASSERT_OK(fuchsia_vsock_ConnectorConnect_async(f->connector, cid, port,
	                                               &t, on_connect, &r));
	if (respond) {
		f->dev.changed = false;
		assert_true(vt_run_until_flag(f->loop, &f->dev.changed));
		assert_int_equal(f->dev.nreq, before + 1);
		assert_int_equal(f->dev.req[before].remote_cid, cid);
		assert_int_equal(f->dev.req[before].remote_port, port);
		host_response(f, &f->dev.req[before]);
	}
	assert_true(vt_run_until_flag(f->loop, &r.done));
	ASSERT_OK(r.status);
	a->local_port = r.local_port;
	return r;
}

static int32_t app_listen(fx_t *f, uint32_t port, zx_handle_t acceptor)
{
	reply_t r = {0};

	ASSERT_OK(fuchsia_vsock_ConnectorListen_async(f->connector, port,
	                                              acceptor, on_listen, &r));
	assert_true(vt_run_until_flag(f->loop, &r.done));
	ASSERT_OK(r.status);
	return r.value;
}

/* Bytes written on one socket end arrive on the other. */
static void check_data_path(zx_handle_t from, zx_handle_t to)
{
	char buf[16] = {0};
	size_t n = 0;

	ASSERT_OK(zx_socket_write(from, 0, "ping", 4, &n));
	assert_int_equal(n, 4);
	ASSERT_OK(zx_object_wait_one(to, ZX_SOCKET_READABLE,
	                             zx_deadline_after(ZX_SEC(5)), NULL));
	ASSERT_OK(zx_socket_read(to, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "ping", 4);
}

static bool addr_is(const addr_t *a, uint32_t lport, uint32_t cid,
                    uint32_t rport)
{
	return a->local_port == lport && a->remote_cid == cid &&
	       a->remote_port == rport;
}

/* ---- Fuchsia's vsock service tests ---- */

/* basic_listen: a listener gets the host's connection; data flows. */
static void basic_listen(void **state)
{
	fx_t f;
	acceptor_t ac;
	addr_t a = {5000, 2, 1234};

	(void)state;
	fx_open(&f, NULL);
	assert_int_equal(app_listen(&f, 5000, acceptor_make(f.loop, &ac)),
	                 ZX_OK);
	host_request(&f, 5000, 2, 1234);
	f.dev.changed = false;
	assert_true(vt_run_until_flag(f.loop, &f.dev.changed));
	vt_settle(f.loop);
	assert_int_equal(ac.calls, 1);
	assert_true(addr_is(&ac.addr, 5000, 2, 1234));
	assert_int_equal(f.dev.nresp, 1);
	assert_int_equal(f.dev.nrst, 0);
	assert_true(addr_is(&f.dev.resp[0], 5000, 2, 1234));
	assert_int_equal(cfv_service_connection_count(f.svc), 1);
	/* The app's socket is the one the Device got. */
	check_data_path(ac.conns[0].sock, f.dev.resp_data[0]);
	check_data_path(f.dev.resp_data[0], ac.conns[0].sock);
	/* A second connection from another host port on the same listener. */
	host_request(&f, 5000, 2, 1235);
	vt_settle(f.loop);
	assert_int_equal(ac.calls, 2);
	assert_int_equal(f.dev.nresp, 2);
	/* The host resets the first: its Connection closes (no epitaph). */
	host_rst(&f, &a);
	vt_settle(f.loop);
	assert_true(ac.conns[0].con_failed);
	assert_int_equal(ac.conns[0].con_error, ZX_ERR_PEER_CLOSED);
	assert_false(ac.conns[1].con_failed);
	assert_int_equal(cfv_service_connection_count(f.svc), 1);
	acceptor_close(&ac);
	fx_close(&f);
}

/* reject_connection: a null Accept answer is an RST; so is no listener. */
static void reject_connection(void **state)
{
	fx_t f;
	acceptor_t ac;

	(void)state;
	fx_open(&f, NULL);
	zx_handle_t c = acceptor_make(f.loop, &ac);
	ac.reject = true;
	assert_int_equal(app_listen(&f, 5000, c), ZX_OK);
	host_request(&f, 5000, 2, 1234);
	f.dev.changed = false;
	assert_true(vt_run_until_flag(f.loop, &f.dev.changed));
	assert_int_equal(ac.calls, 1);
	assert_int_equal(f.dev.nrst, 1);
	assert_int_equal(f.dev.nresp, 0);
	assert_true(addr_is(&f.dev.rst[0], 5000, 2, 1234));
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	/* No listener on 6000: RST without asking anyone. */
	host_request(&f, 6000, 2, 99);
	f.dev.changed = false;
	assert_true(vt_run_until_flag(f.loop, &f.dev.changed));
	assert_int_equal(f.dev.nrst, 2);
	assert_true(addr_is(&f.dev.rst[1], 6000, 2, 99));
	assert_int_equal(ac.calls, 1);
	/* The Acceptor dies with a request pending: RST too. */
	ac.reject = false;
	ac.defer = true;
	host_request(&f, 5000, 2, 1300);
	vt_settle(f.loop);
	assert_int_equal(ac.calls, 2);
	assert_int_equal(f.dev.nrst, 2);
	acceptor_close(&ac);
	f.dev.changed = false;
	assert_true(vt_run_until_flag(f.loop, &f.dev.changed));
	assert_int_equal(f.dev.nrst, 3);
	assert_true(addr_is(&f.dev.rst[2], 5000, 2, 1300));
	/* And the port is free to listen on again. */
	acceptor_t ac2;
	assert_int_equal(app_listen(&f, 5000, acceptor_make(f.loop, &ac2)),
	                 ZX_OK);
	acceptor_close(&ac2);
	fx_close(&f);
}

static void on_reset_acked(void *ctx, zx_status_t status,
                           fidl_incoming_msg_t *msg)
{
	fake_dev_t *d = ctx;

	(void)msg;
	d->reset_acked = status == ZX_OK;
}

/* transport_reset: connections drop, listeners stay, the CID changes. */
static void transport_reset(void **state)
{
	fx_t f;
	acceptor_t ac;
	app_conn_t out, pending;
	reply_t r = {0};
	fuchsia_vsock_ConnectionTransport t;

	(void)state;
	fx_open(&f, NULL);
	assert_int_equal(app_listen(&f, 5000, acceptor_make(f.loop, &ac)),
	                 ZX_OK);
	host_request(&f, 5000, 2, 1234);
	vt_settle(f.loop);
	assert_int_equal(f.dev.nresp, 1);
	assert_int_equal(app_connect(&f, &out, 2, 80, true).value, ZX_OK);
	/* A Connect still waiting for its Response. */
	transport_make(f.loop, &pending, &t);
	ASSERT_OK(fuchsia_vsock_ConnectorConnect_async(f.connector, 2, 81, &t,
	                                               on_connect, &r));
	vt_settle(f.loop);
	assert_false(r.done);
	assert_int_equal(cfv_service_connection_count(f.svc), 3);

	ASSERT_OK(fuchsia_hardware_vsock_CallbacksTransportReset_async(
	    f.dev.cb, 7, on_reset_acked, &f.dev));
	assert_true(vt_run_until_flag(f.loop, &f.dev.reset_acked));
	vt_settle(f.loop);
	assert_int_equal(cfv_service_cid(f.svc), 7);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	assert_true(r.done);
	assert_int_equal(r.value, ZX_ERR_UNAVAILABLE);
	assert_true(out.con_failed);
	assert_int_equal(out.con_error, ZX_ERR_CONNECTION_RESET);
	assert_true(ac.conns[0].con_failed);
	assert_int_equal(ac.conns[0].con_error, ZX_ERR_CONNECTION_RESET);
	/* Nothing was sent to the Device for them: it dropped them itself. */
	assert_int_equal(f.dev.nrst, 0);
	assert_int_equal(f.dev.nshut, 0);
	/* The listener survived. */
	host_request(&f, 5000, 2, 1234);
	vt_settle(f.loop);
	assert_int_equal(ac.calls, 2);
	assert_int_equal(f.dev.nresp, 2);
	/* The ephemeral ports were freed. */
	app_close(&out);
	app_close(&pending);
	assert_int_equal(app_connect(&f, &out, 2, 80, true).local_port, 49152);
	app_close(&out);
	acceptor_close(&ac);
	fx_close(&f);
}

/* ports_reused: Connect takes the lowest free ephemeral port. */
static void ports_reused(void **state)
{
	fx_t f;
	app_conn_t a, b, c;
	reply_t r;

	(void)state;
	fx_open(&f, NULL);
	r = app_connect(&f, &a, 2, 80, true);
	assert_int_equal(r.value, ZX_OK);
	assert_int_equal(r.local_port, 49152);
	r = app_connect(&f, &b, 2, 80, true);
	assert_int_equal(r.value, ZX_OK);
	assert_int_equal(r.local_port, 49153);
	assert_true(addr_is(&f.dev.req[1], 49153, 2, 80));
	/* The first connection ends: its port is the next one given. */
	host_rst(&f, &f.dev.req[0]);
	vt_settle(f.loop);
	assert_true(a.con_failed);
	r = app_connect(&f, &c, 3, 81, true);
	assert_int_equal(r.local_port, 49152);
	assert_false(b.con_failed);
	app_close(&a);
	app_close(&b);
	app_close(&c);
	fx_close(&f);
}

/* ---- error mapping ---- */

static void listen_already_bound(void **state)
{
	fx_t f;
	acceptor_t a1, a2;

	(void)state;
	fx_open(&f, NULL);
	assert_int_equal(app_listen(&f, 5000, acceptor_make(f.loop, &a1)),
	                 ZX_OK);
	assert_int_equal(app_listen(&f, 5000, acceptor_make(f.loop, &a2)),
	                 ZX_ERR_ALREADY_BOUND);
	vt_settle(f.loop);
	/* The refused acceptor's channel was closed by the service. */
	assert_null(a2.binding);
	assert_int_equal(app_listen(&f, 5001, acceptor_make(f.loop, &a2)),
	                 ZX_OK);
	/* Closing the first listener frees its port. */
	acceptor_close(&a1);
	vt_settle(f.loop);
	assert_int_equal(app_listen(&f, 5000, acceptor_make(f.loop, &a1)),
	                 ZX_OK);
	acceptor_close(&a1);
	acceptor_close(&a2);
	fx_close(&f);
}

static void listen_ephemeral_unavailable(void **state)
{
	fx_t f;
	acceptor_t a;

	(void)state;
	fx_open(&f, NULL);
	assert_int_equal(app_listen(&f, 49152, acceptor_make(f.loop, &a)),
	                 ZX_ERR_UNAVAILABLE);
	assert_int_equal(app_listen(&f, 65535, acceptor_make(f.loop, &a)),
	                 ZX_ERR_UNAVAILABLE);
	assert_int_equal(app_listen(&f, 50000, acceptor_make(f.loop, &a)),
	                 ZX_ERR_UNAVAILABLE);
	assert_int_equal(app_listen(&f, 49151, acceptor_make(f.loop, &a)),
	                 ZX_OK);
	acceptor_close(&a);
	fx_close(&f);
}

/* Every ephemeral port in use: NO_RESOURCES; one freed: usable again. */
static void connect_no_resources(void **state)
{
	fx_t f;
	app_conn_t c[4];
	cfv_service_config_t cfg;
	reply_t r;

	(void)state;
	cfv_service_config_init(&cfg);
	cfg.ephemeral_first = 60000;
	cfg.ephemeral_last = 60002;
	fx_open(&f, &cfg);
	for (int i = 0; i < 3; i++) {
		r = app_connect(&f, &c[i], 2, 80, true);
		assert_int_equal(r.value, ZX_OK);
		assert_int_equal(r.local_port, 60000 + i);
	}
	r = app_connect(&f, &c[3], 2, 80, false);
	assert_int_equal(r.value, ZX_ERR_NO_RESOURCES);
	assert_int_equal(f.dev.nreq, 3); /* the Device never heard of it */
	vt_settle(f.loop);
	assert_true(c[3].con_failed); /* its Connection was closed */
	app_close(&c[3]);
	host_rst(&f, &f.dev.req[1]);
	vt_settle(f.loop);
	r = app_connect(&f, &c[3], 2, 80, true);
	assert_int_equal(r.value, ZX_OK);
	assert_int_equal(r.local_port, 60001);
	/* Listen inside the configured range is refused, outside is not. */
	acceptor_t a;
	assert_int_equal(app_listen(&f, 60002, acceptor_make(f.loop, &a)),
	                 ZX_ERR_UNAVAILABLE);
	assert_int_equal(app_listen(&f, 49152, acceptor_make(f.loop, &a)),
	                 ZX_OK);
	acceptor_close(&a);
	for (int i = 0; i < 4; i++)
		app_close(&c[i]);
	fx_close(&f);
}

/* RST before RESPONSE: UNAVAILABLE, the port is free again. */
static void connect_refused(void **state)
{
	fx_t f;
	app_conn_t a;
	fuchsia_vsock_ConnectionTransport t;
	reply_t r = {0};

	(void)state;
	fx_open(&f, NULL);
	transport_make(f.loop, &a, &t);
	ASSERT_OK(fuchsia_vsock_ConnectorConnect_async(f.connector, 2, 80, &t,
	                                               on_connect, &r));
	f.dev.changed = false;
	assert_true(vt_run_until_flag(f.loop, &f.dev.changed));
	assert_int_equal(f.dev.nreq, 1);
	host_rst(&f, &f.dev.req[0]);
	assert_true(vt_run_until_flag(f.loop, &r.done));
	assert_int_equal(r.value, ZX_ERR_UNAVAILABLE);
	vt_settle(f.loop);
	assert_true(a.con_failed);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	/* A late Response for it is ignored. */
	host_response(&f, &f.dev.req[0]);
	vt_settle(f.loop);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	app_close(&a);
	assert_int_equal(app_connect(&f, &a, 2, 80, true).local_port, 49152);
	app_close(&a);
	fx_close(&f);
}

/* The Device refuses SendRequest: its status, the port is free again. */
static void connect_device_error(void **state)
{
	fx_t f;
	app_conn_t a;
	reply_t r;

	(void)state;
	fx_open(&f, NULL);
	f.dev.request_status = ZX_ERR_NO_MEMORY;
	r = app_connect(&f, &a, 2, 80, false);
	assert_int_equal(r.value, ZX_ERR_NO_MEMORY);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	app_close(&a);
	f.dev.request_status = ZX_OK;
	assert_int_equal(app_connect(&f, &a, 2, 80, true).local_port, 49152);
	app_close(&a);
	fx_close(&f);
}

/* ---- Connection ---- */

static zx_handle_t vmo_make(uint64_t size)
{
	zx_handle_t v;

	ASSERT_OK(zx_vmo_create(size, 0, &v));
	return v;
}

/* Shutdown waits for the outstanding SendVmo; later sends fail. */
static void shutdown_barrier(void **state)
{
	fx_t f;
	app_conn_t a;
	reply_t v1 = {0}, v2 = {0}, v3 = {0};

	(void)state;
	fx_open(&f, NULL);
	app_connect(&f, &a, 2, 80, true);
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(4096), 0, 4096, on_send_vmo, &v1));
	vt_settle(f.loop);
	assert_int_equal(f.dev.nvmo, 1);
	assert_false(v1.done); /* until SendVmoComplete */
	ASSERT_OK(
	    fuchsia_vsock_ConnectionShutdown(cfidl_client_channel(a.con)));
	vt_settle(f.loop);
	assert_int_equal(f.dev.nshut, 0); /* behind the VMO */
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(4096), 0, 4096, on_send_vmo, &v2));
	assert_true(vt_run_until_flag(f.loop, &v2.done));
	assert_int_equal(v2.value, ZX_ERR_BAD_STATE);
	assert_int_equal(f.dev.nvmo, 1);
	host_vmo_complete(&f, &f.dev.req[0]);
	assert_true(vt_run_until_flag(f.loop, &v1.done));
	assert_int_equal(v1.value, ZX_OK);
	vt_settle(f.loop);
	assert_int_equal(f.dev.nshut, 1);
	assert_true(addr_is(&f.dev.shut[0], 49152, 2, 80));
	/* A second Shutdown sends nothing more. */
	ASSERT_OK(
	    fuchsia_vsock_ConnectionShutdown(cfidl_client_channel(a.con)));
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(4096), 0, 4096, on_send_vmo, &v3));
	assert_true(vt_run_until_flag(f.loop, &v3.done));
	assert_int_equal(v3.value, ZX_ERR_BAD_STATE);
	assert_int_equal(f.dev.nshut, 1);
	assert_false(a.con_failed);
	/* Shutdown completes with the Device's Rst: the channel closes. */
	host_rst(&f, &f.dev.req[0]);
	assert_true(vt_run_until_flag(f.loop, &a.con_failed));
	assert_int_equal(a.con_error, ZX_ERR_PEER_CLOSED);
	app_close(&a);
	fx_close(&f);
}

/* One SendVmo at a time; SendVmoComplete ends it; errors pass through. */
static void send_vmo_single_outstanding(void **state)
{
	fx_t f;
	app_conn_t a;
	reply_t v1 = {0}, v2 = {0}, v3 = {0}, v4 = {0};

	(void)state;
	fx_open(&f, NULL);
	app_connect(&f, &a, 2, 80, true);
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(8192), 4096, 4096, on_send_vmo, &v1));
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(4096), 0, 4096, on_send_vmo, &v2));
	assert_true(vt_run_until_flag(f.loop, &v2.done));
	assert_int_equal(v2.value, ZX_ERR_BAD_STATE);
	assert_false(v1.done);
	assert_int_equal(f.dev.nvmo, 1);
	assert_int_equal(f.dev.vmo_len[0], 4096);
	/* A SendVmoComplete for another address changes nothing. */
	addr_t other = {1, 2, 3};
	host_vmo_complete(&f, &other);
	vt_settle(f.loop);
	assert_false(v1.done);
	host_vmo_complete(&f, &f.dev.req[0]);
	assert_true(vt_run_until_flag(f.loop, &v1.done));
	assert_int_equal(v1.value, ZX_OK);
	/* The Device refuses the next one: its status comes back. */
	f.dev.vmo_status = ZX_ERR_NO_RESOURCES;
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(4096), 0, 4096, on_send_vmo, &v3));
	assert_true(vt_run_until_flag(f.loop, &v3.done));
	assert_int_equal(v3.value, ZX_ERR_NO_RESOURCES);
	assert_int_equal(f.dev.nvmo, 2);
	/* The connection dies with one outstanding: CONNECTION_RESET. */
	f.dev.vmo_status = ZX_OK;
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(4096), 0, 4096, on_send_vmo, &v4));
	vt_settle(f.loop);
	assert_int_equal(f.dev.nvmo, 3);
	host_rst(&f, &f.dev.req[0]);
	assert_true(vt_run_until_flag(f.loop, &v4.done));
	assert_int_equal(v4.value, ZX_ERR_CONNECTION_RESET);
	app_close(&a);
	fx_close(&f);
}

/* Closing the Connection channel alone leaves the connection up. */
static void connection_channel_close_keeps_connection(void **state)
{
	fx_t f;
	app_conn_t a;

	(void)state;
	fx_open(&f, NULL);
	app_connect(&f, &a, 2, 80, true);
	cfidl_client_destroy(a.con);
	a.con = NULL;
	vt_settle(f.loop);
	assert_int_equal(cfv_service_connection_count(f.svc), 1);
	assert_int_equal(f.dev.nshut, 0);
	assert_int_equal(f.dev.nrst, 0);
	check_data_path(a.sock, f.dev.req_data[0]);
	/* Its port stays taken until the Device says it is gone. */
	app_conn_t b;
	assert_int_equal(app_connect(&f, &b, 2, 80, true).local_port, 49153);
	host_rst(&f, &f.dev.req[0]);
	vt_settle(f.loop);
	assert_int_equal(cfv_service_connection_count(f.svc), 1);
	app_close(&a);
	app_close(&b);
	fx_close(&f);
}

/* A duplicate Request for a pending address is not asked twice. */
static void duplicate_request_ignored(void **state)
{
	fx_t f;
	acceptor_t ac;

	(void)state;
	fx_open(&f, NULL);
	zx_handle_t c = acceptor_make(f.loop, &ac);
	ac.defer = true;
	assert_int_equal(app_listen(&f, 5000, c), ZX_OK);
	host_request(&f, 5000, 2, 1);
	host_request(&f, 5000, 2, 1);
	vt_settle(f.loop);
	assert_int_equal(ac.calls, 1);
	/* The host gives up (Rst) before the app answers: the late accept
	 * is dropped (its handles closed), nothing is sent. */
	addr_t a = {5000, 2, 1};
	host_rst(&f, &a);
	vt_settle(f.loop);
	fuchsia_vsock_ConnectionTransport t;
	transport_make(f.loop, &ac.conns[0], &t);
	ac.nconns = 1;
	ASSERT_OK(fuchsia_vsock_AcceptorAccept_reply(&ac.saved, &t));
	vt_settle(f.loop);
	assert_int_equal(f.dev.nresp, 0);
	assert_int_equal(f.dev.nrst, 0);
	assert_true(ac.conns[0].con_failed);
	acceptor_close(&ac);
	fx_close(&f);
}

/* The Device goes away: connections end, Connect fails. */
static void device_gone(void **state)
{
	fx_t f;
	app_conn_t a, b;
	reply_t r;

	(void)state;
	fx_open(&f, NULL);
	app_connect(&f, &a, 2, 80, true);
	cfidl_binding_close(f.dev.binding, ZX_OK);
	f.dev.binding = NULL;
	vt_settle(f.loop);
	assert_true(a.con_failed);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	r = app_connect(&f, &b, 2, 80, false);
	assert_int_equal(r.value, ZX_ERR_PEER_CLOSED);
	app_close(&a);
	app_close(&b);
	fx_close(&f);
}

/*
 * Listens on port 5000 and has the Device request n connections to it
 * from guest 2, ports 10000 up, nobody answering; returns the app's end of
 * the Acceptor channel (the caller owns it).
 */
static zx_handle_t listen_with_backlog(fx_t *f, uint32_t n, zx_time_t deadline)
{
	zx_handle_t c, srv;

	ASSERT_OK(zx_channel_create(0, &c, &srv));
	assert_int_equal(app_listen(f, 5000, c), ZX_OK);
	for (uint32_t i = 0; i < n; i++) {
		addr_t a = {5000, 2, 10000 + i};
		zx_status_t st;

		while ((st = fuchsia_hardware_vsock_CallbacksRequest(
		            cfidl_client_channel(f->dev.cb), &a)) ==
		       ZX_ERR_SHOULD_WAIT) {
			assert_true(zx_clock_get_monotonic() < deadline);
			cfidl_loop_run(f->loop, zx_deadline_after(ZX_MSEC(5)),
			               true);
		}
		ASSERT_OK(st);
	}
	vt_settle(f->loop);
	return srv;
}

/* An app slower than its peers: Accepts wait in order for room in the
 * Acceptor channel instead of being refused. */
static void accept_backlog_queued(void **state)
{
	enum { N = 6000 };
	fx_t f;
	acceptor_t ac;
	zx_handle_t srv;
	zx_time_t deadline = zx_deadline_after(ZX_SEC(15));

	(void)state;
	fx_open(&f, NULL);
	srv = listen_with_backlog(&f, N, deadline);
	/* Nobody read the Acceptor channel: all wait, none refused. */
	assert_int_equal(cfv_service_connection_count(f.svc), N);
	assert_int_equal(f.dev.nrst_total, 0);
	/* The app starts answering (no): every one is asked, in order. */
	memset(&ac, 0, sizeof(ac));
	ac.loop = f.loop;
	ac.reject = true;
	ASSERT_OK(cfidl_bind_etc(f.loop, srv, acc_dispatch, &ac, &acc_ops,
	                         acc_unbound, &ac.binding));
	while ((ac.calls < N || f.dev.nrst_total < N) &&
	       zx_clock_get_monotonic() < deadline)
		cfidl_loop_run(f.loop, zx_deadline_after(ZX_MSEC(20)), true);
	assert_int_equal(ac.calls, N);
	assert_int_equal(ac.addr.remote_port, 10000 + N - 1);
	assert_int_equal(f.dev.nrst_total, N);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	acceptor_close(&ac);
	fx_close(&f);
}

/* The listener goes with Accepts queued: each is refused (RST). */
static void accept_backlog_listener_gone(void **state)
{
	enum { N = 6000 };
	fx_t f;
	zx_handle_t srv;
	zx_time_t deadline = zx_deadline_after(ZX_SEC(15));

	(void)state;
	fx_open(&f, NULL);
	srv = listen_with_backlog(&f, N, deadline);
	assert_int_equal(cfv_service_connection_count(f.svc), N);
	zx_handle_close(srv);
	while (f.dev.nrst_total < N && zx_clock_get_monotonic() < deadline)
		cfidl_loop_run(f.loop, zx_deadline_after(ZX_MSEC(20)), true);
	assert_int_equal(f.dev.nrst_total, N);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	fx_close(&f);
}

/* Destroy with everything live leaks nothing (fd check, ASan). */
static void destroy_with_live_state(void **state)
{
	fx_t f;
	acceptor_t ac;
	app_conn_t a, p;
	fuchsia_vsock_ConnectionTransport t;
	reply_t r = {0};

	(void)state;
	fx_open(&f, NULL);
	zx_handle_t c = acceptor_make(f.loop, &ac);
	ac.defer = true;
	assert_int_equal(app_listen(&f, 5000, c), ZX_OK);
	host_request(&f, 5000, 2, 1);
	app_connect(&f, &a, 2, 80, true);
	transport_make(f.loop, &p, &t);
	ASSERT_OK(fuchsia_vsock_ConnectorConnect_async(f.connector, 2, 81, &t,
	                                               on_connect, &r));
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(
	    a.con, vmo_make(4096), 0, 4096, on_send_vmo, &r));
	vt_settle(f.loop);
	cfv_service_destroy(f.svc);
	f.svc = NULL;
	vt_settle(f.loop);
	assert_true(a.con_failed);
	assert_int_equal(a.con_error, ZX_ERR_CANCELED);
	/* The Accept arriving after the service is gone is just dropped. */
	fuchsia_vsock_AcceptorAccept_reply(&ac.saved, NULL);
	app_close(&a);
	app_close(&p);
	acceptor_close(&ac);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(basic_listen),
	    RT_TEST(reject_connection),
	    RT_TEST(transport_reset),
	    RT_TEST(ports_reused),
	    RT_TEST(listen_already_bound),
	    RT_TEST(listen_ephemeral_unavailable),
	    RT_TEST(connect_no_resources),
	    RT_TEST(connect_refused),
	    RT_TEST(connect_device_error),
	    RT_TEST(shutdown_barrier),
	    RT_TEST(send_vmo_single_outstanding),
	    RT_TEST(connection_channel_close_keeps_connection),
	    RT_TEST(duplicate_request_ignored),
	    RT_TEST(device_gone),
	    RT_TEST(destroy_with_live_state),
	    RT_TEST(accept_backlog_queued),
	    RT_TEST(accept_backlog_listener_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
