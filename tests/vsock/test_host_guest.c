/*
 * test_host_guest.c: the host half (host_half.h) against the real guest
 * stack -- Device (device.h) and Service (service.h) -- in one process and
 * on one loop, over the in-process transport pair and then over the shared
 * memory transport the daemon uses.  The test plays the
 * Router (HostVsockConnector, GuestVsockAcceptor, OnShutdown) and the apps
 * on both sides (fuchsia.vsock Connector/Acceptor in the guest, plain
 * sockets on the host), all through the generated bindings.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>
/* clang-format on */

#include <cfidl/bind.h>
#include <cfidl/syscalls.h>

#include "device.h"
#include "fuchsia.virtualization.h"
#include "fuchsia.vsock.h"
#include "host_half.h"
#include "packet.h"
#include "service.h"
#include "transport.h"
#include "vsock_test.h"

#define GUEST_CID   3u
#define HOST_PORT   22u
#define LISTEN_PORT 5000u
#define EPH         CFV_EPHEMERAL_FIRST
#define MS          ((zx_duration_t)1000 * 1000)
#define WAIT        (5000 * MS)
#define MAXAPP      8

/* Which transport the fixture uses (set by each test from its state). */
static bool use_shm;

typedef struct reply {
	bool done;
	zx_status_t status; /* transport, then the method's own */
	uint32_t port;
} reply_t;

typedef struct fx {
	int fds_before;
	cfidl_loop_t *loop;
	cfv_transport_t *host_end, *guest_end;
	cfv_host_half_t *hh;
	cfv_device_t *dev;
	cfv_service_t *svc;
	/* Router side. */
	cfidl_client_t *endpoint, *acceptor;
	bool refuse;
	uint32_t req_src_port;
	size_t nreqs, nevents;
	uint32_t ev_src_cid, ev_src_port, ev_dst_port;
	zx_handle_t host_apps[MAXAPP];
	size_t nhost;
	/* Guest side. */
	cfidl_client_t *connector;
	zx_handle_t guest_apps[MAXAPP], guest_cons[MAXAPP];
	size_t nguest;
} fx_t;

static void pump(fx_t *f, zx_duration_t d)
{
	cfidl_loop_run(f->loop, zx_deadline_after(d), false);
	cfidl_loop_reset_quit(f->loop);
}

static bool until(fx_t *f, bool (*pred)(fx_t *f, void *arg), void *arg)
{
	zx_time_t end = zx_deadline_after(WAIT);

	while (!pred(f, arg)) {
		if (zx_clock_get_monotonic() >= end)
			return false;
		cfidl_loop_run(f->loop, zx_deadline_after(5 * MS), true);
	}
	return true;
}

/* ---- the Router ---- */

static zx_status_t router_connect(void *ctx, uint32_t src_cid,
                                  uint32_t src_port, uint32_t cid,
                                  uint32_t port, fidl_txn_t *txn)
{
	fx_t *f = ctx;
	zx_handle_t app, dev;

	f->nreqs++;
	f->req_src_port = src_port;
	assert_int_equal(src_cid, GUEST_CID);
	assert_int_equal(cid, CFV_CID_HOST);
	if (f->refuse || port != HOST_PORT)
		return fuchsia_virtualization_HostVsockConnectorConnect_reply_error(
		    txn, ZX_ERR_CONNECTION_REFUSED);
	assert_true(f->nhost < MAXAPP);
	assert_int_equal(zx_socket_create(0, &app, &dev), ZX_OK);
	f->host_apps[f->nhost++] = app;
	return fuchsia_virtualization_HostVsockConnectorConnect_reply(txn, dev);
}

static const fuchsia_virtualization_HostVsockConnector_ops_t router_ops = {
    .Connect = router_connect,
};

static void on_shutdown_event(void *ctx, uint32_t src_cid, uint32_t src_port,
                              uint32_t dst_cid, uint32_t dst_port)
{
	fx_t *f = ctx;

	assert_int_equal(dst_cid, CFV_CID_HOST);
	f->nevents++;
	f->ev_src_cid = src_cid;
	f->ev_src_port = src_port;
	f->ev_dst_port = dst_port;
}

static void on_endpoint_event(void *ctx, fidl_incoming_msg_t *msg)
{
	static const fuchsia_virtualization_GuestVsockEndpoint_event_handlers_t
	    h = {on_shutdown_event, NULL};

	assert_int_equal(fuchsia_virtualization_GuestVsockEndpoint_handle_event(
	                     &h, ctx, msg),
	                 ZX_OK);
}

/* ---- the guest's listener app ---- */

static zx_status_t guest_accept(void *ctx,
                                const fuchsia_hardware_vsock_Addr *addr,
                                fidl_txn_t *txn)
{
	fx_t *f = ctx;
	fuchsia_vsock_ConnectionTransport t;
	zx_handle_t app, con_c;

	assert_int_equal(addr->local_port, LISTEN_PORT);
	assert_int_equal(addr->remote_cid, CFV_CID_HOST);
	assert_true(f->nguest < MAXAPP);
	assert_int_equal(zx_socket_create(0, &app, &t.data), ZX_OK);
	assert_int_equal(zx_channel_create(0, &con_c, &t.con), ZX_OK);
	f->guest_apps[f->nguest] = app;
	f->guest_cons[f->nguest++] = con_c;
	return fuchsia_vsock_AcceptorAccept_reply(txn, &t);
}

static const fuchsia_vsock_Acceptor_ops_t guest_acceptor_ops = {
    .Accept = guest_accept,
};

/* ---- fixture ---- */

static bool service_started(fx_t *f, void *arg)
{
	(void)arg;
	return cfv_service_start_status(f->svc) != ZX_ERR_SHOULD_WAIT;
}

static void fx_setup(fx_t *f)
{
	static const cfidl_client_handlers_t none = {NULL, NULL};
	static const cfidl_client_handlers_t eh = {on_endpoint_event, NULL};
	zx_handle_t a, b, c, d;

	memset(f, 0, sizeof(*f));
	f->fds_before = rt_count_fds();
	assert_int_equal(cfidl_loop_create(&f->loop), ZX_OK);
	if (use_shm) {
		cfv_shm_handles_t sh;

		assert_int_equal(
		    cfv_shm_transport_create(f->loop, 0, &f->host_end, &sh),
		    ZX_OK);
		assert_int_equal(
		    cfv_shm_transport_open(f->loop, &sh, &f->guest_end), ZX_OK);
	} else {
		assert_int_equal(cfv_transport_pair_create(
		                     f->loop, 0, &f->host_end, &f->guest_end),
		                 ZX_OK);
	}
	/* Host half + Router. */
	assert_int_equal(
	    cfv_host_half_create(f->loop, f->host_end, GUEST_CID, &f->hh),
	    ZX_OK);
	assert_int_equal(zx_channel_create(0, &a, &b), ZX_OK);
	assert_int_equal(cfv_host_half_bind_endpoint(f->hh, b), ZX_OK);
	assert_int_equal(cfidl_client_create(f->loop, a, &eh, f, &f->endpoint),
	                 ZX_OK);
	assert_int_equal(zx_channel_create(0, &a, &b), ZX_OK);
	assert_int_equal(zx_channel_create(0, &c, &d), ZX_OK);
	assert_int_equal(
	    cfidl_bind(f->loop, b,
	               CFIDL_DISPATCH(
	                   fuchsia_virtualization_HostVsockConnector_dispatch),
	               f, &router_ops),
	    ZX_OK);
	assert_int_equal(
	    cfidl_client_create(f->loop, c, &none, f, &f->acceptor), ZX_OK);
	assert_int_equal(
	    fuchsia_virtualization_GuestVsockEndpointSetContextId(
	        cfidl_client_channel(f->endpoint), GUEST_CID, a, d),
	    ZX_OK);
	/* Guest: Device + Service + a Connector client. */
	assert_int_equal(
	    cfv_device_create(f->loop, f->guest_end, GUEST_CID, &f->dev),
	    ZX_OK);
	assert_int_equal(zx_channel_create(0, &a, &b), ZX_OK);
	assert_int_equal(cfv_device_bind(f->dev, b), ZX_OK);
	assert_int_equal(cfv_service_create(f->loop, a, &f->svc), ZX_OK);
	assert_true(until(f, service_started, NULL));
	assert_int_equal(cfv_service_start_status(f->svc), ZX_OK);
	assert_int_equal(zx_channel_create(0, &a, &b), ZX_OK);
	assert_int_equal(cfv_service_bind_connector(f->svc, b), ZX_OK);
	assert_int_equal(
	    cfidl_client_create(f->loop, a, &none, f, &f->connector), ZX_OK);
	pump(f, 5 * MS);
}

static void fx_teardown(fx_t *f)
{
	for (size_t i = 0; i < f->nhost; i++)
		zx_handle_close(f->host_apps[i]);
	for (size_t i = 0; i < f->nguest; i++) {
		zx_handle_close(f->guest_apps[i]);
		zx_handle_close(f->guest_cons[i]);
	}
	cfidl_client_destroy(f->connector);
	cfv_service_destroy(f->svc);
	cfv_device_destroy(f->dev);
	cfv_host_half_destroy(f->hh);
	pump(f, 2 * MS);
	cfidl_client_destroy(f->acceptor);
	cfidl_client_destroy(f->endpoint);
	cfv_transport_destroy(f->host_end);
	cfv_transport_destroy(f->guest_end);
	cfidl_loop_destroy(f->loop);
	assert_int_equal(rt_count_fds(), f->fds_before);
}

/* ---- helpers ---- */

static bool reply_done(fx_t *f, void *arg)
{
	(void)f;
	return ((reply_t *)arg)->done;
}

static void on_connect_reply(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	reply_t *r = ctx;
	fuchsia_vsock_ConnectorConnectResponse *resp = NULL;

	r->done = true;
	r->status = status;
	if (status != ZX_OK)
		return;
	r->status = fuchsia_vsock_ConnectorConnect_decode_response(msg, &resp);
	if (r->status == ZX_OK) {
		r->status = resp->status;
		r->port = resp->local_port;
	}
}

/* A guest app connects to the host: its socket end in *app. */
static zx_status_t guest_connect(fx_t *f, uint32_t port, zx_handle_t *app,
                                 uint32_t *local_port)
{
	fuchsia_vsock_ConnectionTransport t;
	zx_handle_t con_c;
	reply_t r = {0};

	assert_true(f->nguest < MAXAPP);
	assert_int_equal(zx_socket_create(0, app, &t.data), ZX_OK);
	assert_int_equal(zx_channel_create(0, &con_c, &t.con), ZX_OK);
	f->guest_cons[f->nguest] = con_c;
	f->guest_apps[f->nguest++] = *app;
	assert_int_equal(
	    fuchsia_vsock_ConnectorConnect_async(
	        f->connector, CFV_CID_HOST, port, &t, on_connect_reply, &r),
	    ZX_OK);
	assert_true(until(f, reply_done, &r));
	*local_port = r.port;
	return r.status;
}

static void on_listen_reply(void *ctx, zx_status_t status,
                            fidl_incoming_msg_t *msg)
{
	reply_t *r = ctx;
	fuchsia_vsock_ConnectorListenResponse *resp = NULL;

	r->done = true;
	r->status = status;
	if (status == ZX_OK) {
		r->status =
		    fuchsia_vsock_ConnectorListen_decode_response(msg, &resp);
		if (r->status == ZX_OK)
			r->status = resp->status;
	}
}

static void guest_listen(fx_t *f, uint32_t port)
{
	zx_handle_t a, b;
	reply_t r = {0};

	assert_int_equal(zx_channel_create(0, &a, &b), ZX_OK);
	assert_int_equal(
	    cfidl_bind(f->loop, b,
	               CFIDL_DISPATCH(fuchsia_vsock_Acceptor_dispatch), f,
	               &guest_acceptor_ops),
	    ZX_OK);
	assert_int_equal(fuchsia_vsock_ConnectorListen_async(
	                     f->connector, port, a, on_listen_reply, &r),
	                 ZX_OK);
	assert_true(until(f, reply_done, &r));
	assert_int_equal(r.status, ZX_OK);
}

static void on_accept_reply(void *ctx, zx_status_t status,
                            fidl_incoming_msg_t *msg)
{
	reply_t *r = ctx;
	fuchsia_virtualization_GuestVsockAcceptor_Accept_Result *res = NULL;
	const int32_t *err;

	r->done = true;
	r->status = status;
	if (status != ZX_OK)
		return;
	r->status =
	    fuchsia_virtualization_GuestVsockAcceptorAccept_decode_response(
	        msg, &res);
	if (r->status != ZX_OK)
		return;
	err = fuchsia_virtualization_GuestVsockAcceptor_Accept_Result_get_err(
	    res);
	if (err)
		r->status = *err;
}

/* The Router connects a host app to the guest's port. */
static zx_status_t host_connect(fx_t *f, uint32_t hp, uint32_t gp,
                                zx_handle_t *app)
{
	zx_handle_t dev;
	reply_t r = {0};

	assert_true(f->nhost < MAXAPP);
	assert_int_equal(zx_socket_create(0, app, &dev), ZX_OK);
	f->host_apps[f->nhost++] = *app;
	assert_int_equal(
	    fuchsia_virtualization_GuestVsockAcceptorAccept_async(
	        f->acceptor, CFV_CID_HOST, hp, gp, dev, on_accept_reply, &r),
	    ZX_OK);
	assert_true(until(f, reply_done, &r));
	return r.status;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131u + (i >> 9));
}

/* Moves n checked bytes from socket `from` to socket `to`. */
static void transfer(fx_t *f, zx_handle_t from, zx_handle_t to, uint64_t n)
{
	static uint8_t buf[32768];
	uint64_t wr = 0, rd = 0;
	zx_time_t end = zx_deadline_after(10000 * MS);

	while (rd < n) {
		size_t actual = 0;
		bool progress = false;

		if (wr < n) {
			size_t k =
			    n - wr < sizeof buf ? (size_t)(n - wr) : sizeof buf;

			for (size_t i = 0; i < k; i++)
				buf[i] = pattern(wr + i);
			if (zx_socket_write(from, 0, buf, k, &actual) ==
			    ZX_OK) {
				wr += actual;
				progress = true;
			}
		}
		if (zx_socket_read(to, 0, buf, sizeof buf, &actual) == ZX_OK) {
			for (size_t i = 0; i < actual; i++)
				if (buf[i] != pattern(rd + i))
					fail_msg("byte %llu differs",
					         (unsigned long long)(rd + i));
			rd += actual;
			progress = true;
		}
		assert_true(zx_clock_get_monotonic() < end);
		if (!progress)
			cfidl_loop_run(f->loop, zx_deadline_after(MS), true);
		else
			cfidl_loop_run_until_idle(f->loop);
	}
}

typedef struct sigw {
	zx_handle_t h;
	zx_signals_t s;
} sigw_t;

static bool sig_pred(fx_t *f, void *arg)
{
	sigw_t *w = arg;
	zx_signals_t seen = 0;

	(void)f;
	zx_object_wait_one(w->h, w->s, 0, &seen);
	return (seen & w->s) != 0;
}

static void expect_closed(fx_t *f, zx_handle_t h)
{
	sigw_t w = {h, ZX_SOCKET_PEER_CLOSED};

	assert_true(until(f, sig_pred, &w));
}

static bool events_at_least(fx_t *f, void *arg)
{
	return f->nevents >= (size_t)(uintptr_t)arg;
}

/* n bytes from a to b, then n from b to a, each checked. */
static void transfer_both_ways(fx_t *f, zx_handle_t a, zx_handle_t b,
                               uint64_t n)
{
	transfer(f, a, b, n);
	transfer(f, b, a, n);
}

/* The Router hears OnShutdown (at least once). */
static void expect_shutdown_event(fx_t *f)
{
	assert_true(until(f, events_at_least, (void *)(uintptr_t)1));
}

/* A guest app listens on LISTEN_PORT and the host connects to it. */
static zx_handle_t host_connect_listening(fx_t *f)
{
	zx_handle_t happ;

	guest_listen(f, LISTEN_PORT);
	assert_int_equal(host_connect(f, EPH, LISTEN_PORT, &happ), ZX_OK);
	return happ;
}

/* ---- tests ---- */

/* A guest app connects to a host listener; 1 MiB each way; the guest
 * closes and the Router hears OnShutdown. */
static void guest_to_host(void **state)
{
	fx_t f;
	zx_handle_t gapp;
	uint32_t local_port = 0;

	use_shm = *(bool *)*state;
	fx_setup(&f);
	assert_int_equal(guest_connect(&f, HOST_PORT, &gapp, &local_port),
	                 ZX_OK);
	assert_int_equal(f.nreqs, 1);
	assert_int_equal(f.req_src_port, local_port);
	assert_true(local_port >= CFV_EPHEMERAL_FIRST);
	transfer_both_ways(&f, gapp, f.host_apps[0], 1u << 20);
	/* The guest app closes: the host app sees it, the Router hears. */
	zx_handle_close(gapp);
	zx_handle_close(f.guest_cons[0]);
	f.nguest = 0;
	expect_closed(&f, f.host_apps[0]);
	expect_shutdown_event(&f);
	assert_int_equal(f.ev_src_cid, GUEST_CID);
	assert_int_equal(f.ev_src_port, local_port);
	assert_int_equal(f.ev_dst_port, HOST_PORT);
	fx_teardown(&f);
}

/* The host connects to a guest listener; 1 MiB each way; the host app
 * closes and the guest app sees it. */
static void host_to_guest(void **state)
{
	fx_t f;
	zx_handle_t happ;

	use_shm = *(bool *)*state;
	fx_setup(&f);
	happ = host_connect_listening(&f);
	assert_int_equal(f.nguest, 1);
	transfer_both_ways(&f, happ, f.guest_apps[0], 1u << 20);
	zx_handle_close(happ);
	f.nhost = 0;
	expect_closed(&f, f.guest_apps[0]);
	expect_shutdown_event(&f);
	assert_int_equal(f.ev_src_port, LISTEN_PORT);
	assert_int_equal(f.ev_dst_port, EPH);
	fx_teardown(&f);
}

/* Refusals both ways reach the other side as errors. */
static void refused_both_ways(void **state)
{
	fx_t f;
	zx_handle_t app;
	uint32_t local_port = 0;

	use_shm = *(bool *)*state;
	fx_setup(&f);
	/* No guest listener: the guest RSTs, the Router hears REFUSED. */
	assert_int_equal(host_connect(&f, EPH, LISTEN_PORT + 1, &app),
	                 ZX_ERR_CONNECTION_REFUSED);
	expect_closed(&f, app);
	/* No host listener: the guest app is refused (UNAVAILABLE). */
	f.refuse = true;
	assert_int_equal(guest_connect(&f, HOST_PORT, &app, &local_port),
	                 ZX_ERR_UNAVAILABLE);
	assert_int_equal(f.nreqs, 1);
	pump(&f, 10 * MS);
	assert_int_equal(f.nevents, 0);
	fx_teardown(&f);
}

/* Both halves reset: every connection drops, the listener stays. */
static void transport_reset_keeps_listener(void **state)
{
	fx_t f;
	zx_handle_t happ;

	use_shm = *(bool *)*state;
	fx_setup(&f);
	happ = host_connect_listening(&f);
	assert_int_equal(cfv_host_half_transport_reset(f.hh, GUEST_CID), ZX_OK);
	cfv_device_transport_reset(f.dev, GUEST_CID);
	expect_closed(&f, happ);
	expect_closed(&f, f.guest_apps[0]);
	expect_shutdown_event(&f);
	/* Same ports again: nothing stale on either side. */
	assert_int_equal(host_connect(&f, EPH, LISTEN_PORT, &happ), ZX_OK);
	transfer_both_ways(&f, happ, f.guest_apps[1], 4096);
	fx_teardown(&f);
}

/* Each scenario over the pair, then over shared memory. */
static bool pair_state = false, shm_state = true;
/* clang-format off */
#define BOTH(f) \
	{#f "_pair", f, NULL, NULL, &pair_state}, \
	{#f "_shm", f, NULL, NULL, &shm_state}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
	    BOTH(guest_to_host),
	    BOTH(host_to_guest),
	    BOTH(refused_both_ways),
	    BOTH(transport_reset_keeps_listener),
	};

	return cmocka_run_group_tests_name("host_guest", tests, NULL, NULL);
}
