/*
 * test_host_half.c: the host half of the virtio-vsock device (host_half.h)
 * against a fake guest, with Fuchsia's virtio_vsock_test scenarios ported
 * by name, plus the quarantine after a forced close, forged CIDs,
 * transport reset and the FIDL edges.
 *
 * The fake guest is the other end of an in-process transport pair: the
 * test writes raw cfv_hdr_t packets and reads what the host half sends.
 * The test is also the Router: it sends SetContextId on the endpoint,
 * serves HostVsockConnector and calls GuestVsockAcceptor, all through the
 * generated bindings on the same loop.  "Client" in Fuchsia's names is the
 * host app (host-initiated connections).
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

#include "fuchsia.virtualization.h"
#include "host_half.h"
#include "packet.h"
#include "port_manager.h"
#include "transport.h"
#include "vsock_test.h"

#define GUEST_CID  3u
#define HOST_PORT  22u
#define GUEST_PORT 23u
#define EPH        CFV_EPHEMERAL_FIRST
#define MS         ((zx_duration_t)1000 * 1000)
#define WAIT       (5000 * MS) /* every wait's deadline */
/* A port pair no test uses: its spurious packet gets RST (barrier()). */
#define BARRIER_PORT 9999u

/* ---- the fixture ---- */

typedef struct pkt {
	cfv_hdr_t hdr;
	uint8_t *data;
} pkt_t;

#define QCAP   4096
#define MAXAPP 16
#define MAXEV  512

enum { CONNECT_ACCEPT, CONNECT_REFUSE, CONNECT_DEFER };

typedef struct connect_req {
	uint32_t src_cid, src_port, cid, port;
} connect_req_t;

typedef struct accept_res {
	bool done;
	zx_status_t status; /* transport status, then the reply's error */
} accept_res_t;

typedef struct shutdown_ev {
	uint32_t src_cid, src_port, dst_cid, dst_port;
} shutdown_ev_t;

typedef struct fx {
	int fds_before;
	cfidl_loop_t *loop;
	cfv_transport_t *host_end, *guest_end;
	cfv_host_half_t *hh;
	/* What the fake guest received. */
	pkt_t q[QCAP];
	size_t qhead, qtail;
	uint32_t last_fwd_cnt, last_buf_alloc; /* from the host's headers */
	/* What the fake guest advertises. */
	uint32_t guest_buf_alloc, guest_fwd_cnt;
	uint64_t guest_src_cid;
	uint16_t guest_type;
	/* The Router side. */
	cfidl_client_t *endpoint;
	zx_status_t endpoint_error;
	shutdown_ev_t events[MAXEV];
	size_t nevents;
	cfidl_client_t *acceptor;
	cfidl_binding_t *connector; /* the Router's HostVsockConnector */
	int connect_mode;
	connect_req_t reqs[64];
	size_t nreqs;
	fidl_txn_t deferred[8];
	size_t ndeferred;
	zx_handle_t apps[MAXAPP]; /* host app ends of guest-initiated conns */
	size_t napps;
} fx_t;

static void on_packet(void *ctx, const cfv_hdr_t *hdr, const void *payload)
{
	fx_t *f = ctx;
	pkt_t *p;

	assert_true(f->qtail - f->qhead < QCAP);
	p = &f->q[f->qtail++ % QCAP];
	p->hdr = *hdr;
	p->data = NULL;
	if (hdr->len) {
		p->data = malloc(hdr->len);
		assert_non_null(p->data);
		memcpy(p->data, payload, hdr->len);
	}
	if (hdr->src_port != BARRIER_PORT) { /* not a barrier's RST */
		f->last_fwd_cnt = hdr->fwd_cnt;
		f->last_buf_alloc = hdr->buf_alloc;
	}
}

static void on_writable(void *ctx)
{
	(void)ctx;
}

/* Runs the loop until pred holds or timeout; returns pred's last value. */
static bool spin(fx_t *f, bool (*pred)(fx_t *f, void *arg), void *arg,
                 zx_duration_t timeout)
{
	zx_time_t end = zx_deadline_after(timeout);

	for (;;) {
		zx_time_t now;

		if (pred && pred(f, arg))
			return true;
		now = zx_clock_get_monotonic();
		if (now >= end)
			return pred ? pred(f, arg) : true;
		cfidl_loop_run(f->loop,
		               end - now > 10 * MS ? now + 10 * MS : end, true);
	}
}

static void pump(fx_t *f, zx_duration_t d)
{
	spin(f, NULL, NULL, d);
}

static bool have_packet(fx_t *f, void *arg)
{
	(void)arg;
	return f->qtail != f->qhead;
}

/* The next packet the host sent; fails the test if none comes. */
static pkt_t next_packet(fx_t *f)
{
	pkt_t p;

	assert_true(spin(f, have_packet, NULL, WAIT));
	p = f->q[f->qhead++ % QCAP];
	assert_int_equal(p.hdr.src_cid, CFV_CID_HOST);
	assert_int_equal(p.hdr.type, CFV_TYPE_STREAM);
	assert_int_equal(p.hdr.len == 0, p.data == NULL);
	return p;
}

static void pkt_free(pkt_t *p)
{
	free(p->data);
	p->data = NULL;
}

/* The next packet of type op (skipping credit updates unless op is one),
 * checked against the ports; the caller frees it. */
static pkt_t expect_op(fx_t *f, uint16_t op, uint32_t hp, uint32_t gp)
{
	for (;;) {
		pkt_t p = next_packet(f);

		if (p.hdr.op == CFV_OP_CREDIT_UPDATE &&
		    op != CFV_OP_CREDIT_UPDATE) {
			pkt_free(&p);
			continue;
		}
		if (p.hdr.op != op)
			fail_msg("expected %s, got %s", cfv_op_name(op),
			         cfv_op_name(p.hdr.op));
		assert_int_equal(p.hdr.src_port, hp);
		assert_int_equal(p.hdr.dst_port, gp);
		assert_int_equal(p.hdr.dst_cid, f->guest_src_cid);
		return p;
	}
}

static void expect_op_free(fx_t *f, uint16_t op, uint32_t hp, uint32_t gp)
{
	pkt_t p = expect_op(f, op, hp, gp);

	pkt_free(&p);
}

static void guest_send(fx_t *f, uint16_t op, uint32_t hp, uint32_t gp,
                       uint32_t flags, const void *data, uint32_t len);

static size_t barrier_index(fx_t *f)
{
	for (size_t i = f->qhead; i != f->qtail; i++) {
		const cfv_hdr_t *h = &f->q[i % QCAP].hdr;

		if (h->op == CFV_OP_RST && h->src_port == BARRIER_PORT &&
		    h->dst_port == BARRIER_PORT)
			return i;
	}
	return SIZE_MAX;
}

static bool barrier_seen(fx_t *f, void *arg)
{
	(void)arg;
	return barrier_index(f) != SIZE_MAX;
}

/*
 * Packets are handled in order: once the RST for a spurious packet sent
 * now is back, the host has handled everything the guest sent before and
 * sent what it answered.  The RST itself is removed from the queue.
 */
static void barrier(fx_t *f)
{
	size_t i;

	guest_send(f, CFV_OP_CREDIT_REQUEST, BARRIER_PORT, BARRIER_PORT, 0,
	           NULL, 0);
	assert_true(spin(f, barrier_seen, NULL, WAIT));
	i = barrier_index(f);
	for (; i + 1 != f->qtail; i++)
		f->q[i % QCAP] = f->q[(i + 1) % QCAP];
	f->qtail--;
}

/* Nothing from the host: after a barrier (when the guest's CID is the
 * host half's) and d more. */
static void expect_quiet(fx_t *f, zx_duration_t d)
{
	if (f->hh && f->guest_src_cid == cfv_host_half_guest_cid(f->hh))
		barrier(f);
	pump(f, d);
	if (f->qtail != f->qhead)
		fail_msg("unexpected %s",
		         cfv_op_name(f->q[f->qhead % QCAP].hdr.op));
}

/* Credit updates until one says fwd_cnt == want (never more). */
static void expect_fwd_cnt(fx_t *f, uint32_t hp, uint32_t gp, uint32_t want)
{
	for (;;) {
		pkt_t p = expect_op(f, CFV_OP_CREDIT_UPDATE, hp, gp);
		uint32_t got = p.hdr.fwd_cnt;

		pkt_free(&p);
		assert_true(got <= want);
		if (got == want)
			return;
	}
}

/* Drops credit updates already received. */
static void skip_credit(fx_t *f)
{
	while (f->qtail != f->qhead &&
	       f->q[f->qhead % QCAP].hdr.op == CFV_OP_CREDIT_UPDATE)
		pkt_free(&f->q[f->qhead++ % QCAP]);
}

static void guest_send_to(fx_t *f, uint64_t dst_cid, uint16_t op, uint32_t hp,
                          uint32_t gp, uint32_t flags, const void *data,
                          uint32_t len)
{
	cfv_hdr_t h;
	struct iovec iov = {(void *)data, len};
	zx_time_t end = zx_deadline_after(WAIT);
	zx_status_t st;

	memset(&h, 0, sizeof(h));
	h.src_cid = f->guest_src_cid;
	h.dst_cid = dst_cid;
	h.src_port = gp;
	h.dst_port = hp;
	h.len = len;
	h.type = f->guest_type;
	h.op = op;
	h.flags = flags;
	h.buf_alloc = f->guest_buf_alloc;
	h.fwd_cnt = f->guest_fwd_cnt;
	while ((st = cfv_transport_send(f->guest_end, &h, &iov, len ? 1 : 0)) ==
	       ZX_ERR_SHOULD_WAIT) {
		assert_true(zx_clock_get_monotonic() < end);
		pump(f, MS);
	}
	assert_int_equal(st, ZX_OK);
}

static void guest_send(fx_t *f, uint16_t op, uint32_t hp, uint32_t gp,
                       uint32_t flags, const void *data, uint32_t len)
{
	guest_send_to(f, CFV_CID_HOST, op, hp, gp, flags, data, len);
}

/* The guest asks for HOST_PORT from GUEST_PORT and gets RST back. */
static void expect_request_refused(fx_t *f)
{
	guest_send(f, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	expect_op_free(f, CFV_OP_RST, HOST_PORT, GUEST_PORT);
}

/* -- the Router's side -- */

static void on_shutdown_event(void *ctx, uint32_t src_cid, uint32_t src_port,
                              uint32_t dst_cid, uint32_t dst_port)
{
	fx_t *f = ctx;
	shutdown_ev_t ev = {src_cid, src_port, dst_cid, dst_port};

	assert_true(f->nevents < MAXEV);
	f->events[f->nevents++] = ev;
}

static void on_endpoint_event(void *ctx, fidl_incoming_msg_t *msg)
{
	static const fuchsia_virtualization_GuestVsockEndpoint_event_handlers_t
	    h = {on_shutdown_event, NULL};

	assert_int_equal(fuchsia_virtualization_GuestVsockEndpoint_handle_event(
	                     &h, ctx, msg),
	                 ZX_OK);
}

static void on_endpoint_error(void *ctx, zx_status_t status)
{
	fx_t *f = ctx;

	f->endpoint_error = status;
}

static zx_status_t connector_connect(void *ctx, uint32_t src_cid,
                                     uint32_t src_port, uint32_t cid,
                                     uint32_t port, fidl_txn_t *txn)
{
	fx_t *f = ctx;
	connect_req_t r = {src_cid, src_port, cid, port};
	zx_handle_t app, dev;

	assert_true(f->nreqs < 64);
	f->reqs[f->nreqs++] = r;
	switch (f->connect_mode) {
	case CONNECT_ACCEPT:
		assert_true(f->napps < MAXAPP);
		assert_int_equal(zx_socket_create(0, &app, &dev), ZX_OK);
		f->apps[f->napps++] = app;
		return fuchsia_virtualization_HostVsockConnectorConnect_reply(
		    txn, dev);
	case CONNECT_REFUSE:
		return fuchsia_virtualization_HostVsockConnectorConnect_reply_error(
		    txn, ZX_ERR_CONNECTION_REFUSED);
	default:
		assert_true(f->ndeferred < 8);
		f->deferred[f->ndeferred++] = *txn;
		return ZX_OK;
	}
}

static const fuchsia_virtualization_HostVsockConnector_ops_t connector_ops = {
    .Connect = connector_connect,
};

/* Sends SetContextId(cid) with fresh connector/acceptor channels. */
static void set_context_id(fx_t *f, uint32_t cid)
{
	static const cfidl_client_handlers_t none = {NULL, NULL};
	zx_handle_t conn_c, conn_s, acc_c, acc_s;

	assert_int_equal(zx_channel_create(0, &conn_c, &conn_s), ZX_OK);
	assert_int_equal(zx_channel_create(0, &acc_c, &acc_s), ZX_OK);
	assert_int_equal(
	    cfidl_bind_etc(
	        f->loop, conn_s,
	        CFIDL_DISPATCH(
	            fuchsia_virtualization_HostVsockConnector_dispatch),
	        f, &connector_ops, NULL, &f->connector),
	    ZX_OK);
	cfidl_client_destroy(f->acceptor);
	assert_int_equal(
	    cfidl_client_create(f->loop, acc_c, &none, f, &f->acceptor), ZX_OK);
	assert_int_equal(
	    fuchsia_virtualization_GuestVsockEndpointSetContextId(
	        cfidl_client_channel(f->endpoint), cid, conn_c, acc_s),
	    ZX_OK);
	pump(f, 5 * MS);
}

static void fx_start_etc(fx_t *f, const cfv_host_half_config_t *cfg,
                         bool set_ctx)
{
	static const cfv_transport_handlers_t th = {on_packet, on_writable,
	                                            NULL};
	static const cfidl_client_handlers_t eh = {on_endpoint_event,
	                                           on_endpoint_error};
	zx_handle_t ep_c, ep_s;

	memset(f, 0, sizeof(*f));
	f->fds_before = rt_count_fds();
	f->guest_buf_alloc = 256 * 1024;
	f->guest_src_cid = GUEST_CID;
	f->guest_type = CFV_TYPE_STREAM;
	assert_int_equal(cfidl_loop_create(&f->loop), ZX_OK);
	assert_int_equal(
	    cfv_transport_pair_create(f->loop, 0, &f->host_end, &f->guest_end),
	    ZX_OK);
	cfv_transport_set_handlers(f->guest_end, &th, f);
	assert_int_equal(cfv_host_half_create_etc(f->loop, f->host_end,
	                                          GUEST_CID, cfg, &f->hh),
	                 ZX_OK);
	assert_int_equal(zx_channel_create(0, &ep_c, &ep_s), ZX_OK);
	assert_int_equal(cfv_host_half_bind_endpoint(f->hh, ep_s), ZX_OK);
	assert_int_equal(
	    cfidl_client_create(f->loop, ep_c, &eh, f, &f->endpoint), ZX_OK);
	if (set_ctx)
		set_context_id(f, GUEST_CID);
}

static void fx_start(fx_t *f, const cfv_host_half_config_t *cfg)
{
	fx_start_etc(f, cfg, true);
}

static void fx_setup(fx_t *f)
{
	fx_start(f, NULL);
}

static void fx_stop(fx_t *f)
{
	for (size_t i = 0; i < f->napps; i++)
		zx_handle_close(f->apps[i]);
	for (size_t i = 0; i < f->ndeferred; i++)
		fuchsia_virtualization_HostVsockConnectorConnect_reply_error(
		    &f->deferred[i], ZX_ERR_CANCELED);
	cfv_host_half_destroy(f->hh);
	pump(f, 2 * MS);
	cfidl_client_destroy(f->acceptor);
	cfidl_client_destroy(f->endpoint);
	cfv_transport_destroy(f->host_end);
	cfv_transport_destroy(f->guest_end);
	cfidl_loop_destroy(f->loop);
	while (f->qhead != f->qtail)
		pkt_free(&f->q[f->qhead++ % QCAP]);
	assert_int_equal(rt_count_fds(), f->fds_before);
}

static void on_accept_reply(void *ctx, zx_status_t status,
                            fidl_incoming_msg_t *msg)
{
	accept_res_t *r = ctx;
	fuchsia_virtualization_GuestVsockAcceptor_Accept_Result *res = NULL;

	r->done = true;
	r->status = status;
	if (status != ZX_OK)
		return;
	r->status =
	    fuchsia_virtualization_GuestVsockAcceptorAccept_decode_response(
	        msg, &res);
	if (r->status == ZX_OK &&
	    fuchsia_virtualization_GuestVsockAcceptor_Accept_Result_get_err(
	        res))
		r->status =
		    *fuchsia_virtualization_GuestVsockAcceptor_Accept_Result_get_err(
		        res);
}

/* The Router's Accept(2, hp, gp, socket): *app gets the host app's end. */
static void accept_async(fx_t *f, uint32_t hp, uint32_t gp, zx_handle_t *app,
                         accept_res_t *res)
{
	zx_handle_t dev;

	memset(res, 0, sizeof(*res));
	assert_int_equal(zx_socket_create(0, app, &dev), ZX_OK);
	assert_int_equal(
	    fuchsia_virtualization_GuestVsockAcceptorAccept_async(
	        f->acceptor, CFV_CID_HOST, hp, gp, dev, on_accept_reply, res),
	    ZX_OK);
}

static bool accept_done(fx_t *f, void *arg)
{
	(void)f;
	return ((accept_res_t *)arg)->done;
}

static zx_status_t accept_wait(fx_t *f, accept_res_t *res)
{
	assert_true(spin(f, accept_done, res, WAIT));
	return res->status;
}

/* A host-initiated connection, established: returns the host app's end. */
static zx_handle_t client_connect(fx_t *f, uint32_t hp, uint32_t gp)
{
	accept_res_t res;
	zx_handle_t app;
	pkt_t p;

	accept_async(f, hp, gp, &app, &res);
	p = expect_op(f, CFV_OP_REQUEST, hp, gp);
	assert_int_equal(p.hdr.len, 0);
	assert_true(p.hdr.buf_alloc > 0);
	pkt_free(&p);
	guest_send(f, CFV_OP_RESPONSE, hp, gp, 0, NULL, 0);
	assert_int_equal(accept_wait(f, &res), ZX_OK);
	return app;
}

/* A guest-initiated connection, established: the host app's end. */
static zx_handle_t guest_connect(fx_t *f, uint32_t hp, uint32_t gp)
{
	size_t n = f->napps;

	f->connect_mode = CONNECT_ACCEPT;
	guest_send(f, CFV_OP_REQUEST, hp, gp, 0, NULL, 0);
	expect_op_free(f, CFV_OP_RESPONSE, hp, gp);
	assert_int_equal(f->napps, n + 1);
	return f->apps[n];
}

static bool signaled(zx_handle_t h, zx_signals_t s)
{
	zx_signals_t seen = 0;

	zx_object_wait_one(h, s, 0, &seen);
	return (seen & s) != 0;
}

typedef struct sigwait {
	zx_handle_t h;
	zx_signals_t s;
} sigwait_t;

static bool sig_pred(fx_t *f, void *arg)
{
	sigwait_t *w = arg;

	(void)f;
	return signaled(w->h, w->s);
}

static void expect_signal(fx_t *f, zx_handle_t h, zx_signals_t s)
{
	sigwait_t w = {h, s};

	assert_true(spin(f, sig_pred, &w, WAIT));
}

/* Reads exactly n bytes from the app's socket (pumping the loop). */
static void app_read(fx_t *f, zx_handle_t app, void *buf, size_t n)
{
	size_t got = 0;
	zx_time_t end = zx_deadline_after(WAIT);

	while (got < n) {
		size_t actual = 0;
		zx_status_t st =
		    zx_socket_read(app, 0, (char *)buf + got, n - got, &actual);

		if (st == ZX_OK) {
			got += actual;
			continue;
		}
		assert_int_equal(st, ZX_ERR_SHOULD_WAIT);
		assert_true(zx_clock_get_monotonic() < end);
		pump(f, MS);
	}
}

static void app_write(zx_handle_t app, const void *buf, size_t n)
{
	size_t actual = 0;

	assert_int_equal(zx_socket_write(app, 0, buf, n, &actual), ZX_OK);
	assert_int_equal(actual, n);
}

static bool event_count(fx_t *f, void *arg)
{
	return f->nevents >= (size_t)(uintptr_t)arg;
}

static void expect_event(fx_t *f, size_t i, uint32_t cid, uint32_t gp,
                         uint32_t hp)
{
	assert_true(spin(f, event_count, (void *)(uintptr_t)(i + 1), WAIT));
	assert_int_equal(f->events[i].src_cid, cid);
	assert_int_equal(f->events[i].src_port, gp);
	assert_int_equal(f->events[i].dst_cid, CFV_CID_HOST);
	assert_int_equal(f->events[i].dst_port, hp);
}

static cfv_host_half_stats_t stats(fx_t *f)
{
	cfv_host_half_stats_t s;

	cfv_host_half_get_stats(f->hh, &s);
	return s;
}

/* ---- Fuchsia's virtio_vsock_test scenarios ---- */

static void ClientInitiatedConnect(void **state)
{
	fx_t f;
	zx_handle_t app;
	accept_res_t res;
	char buf[8];
	pkt_t p;

	(void)state;
	fx_setup(&f);
	accept_async(&f, EPH, GUEST_PORT, &app, &res);
	p = expect_op(&f, CFV_OP_REQUEST, EPH, GUEST_PORT);
	assert_int_equal(p.hdr.dst_cid, GUEST_CID);
	pkt_free(&p);
	pump(&f, 5 * MS);
	assert_false(res.done); /* only the guest's answer replies */
	guest_send(&f, CFV_OP_RESPONSE, EPH, GUEST_PORT, 0, NULL, 0);
	assert_int_equal(accept_wait(&f, &res), ZX_OK);
	assert_false(signaled(app, ZX_SOCKET_PEER_CLOSED));

	/* Data both ways. */
	app_write(app, "hello", 5);
	p = expect_op(&f, CFV_OP_RW, EPH, GUEST_PORT);
	assert_int_equal(p.hdr.len, 5);
	assert_memory_equal(p.data, "hello", 5);
	pkt_free(&p);
	guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, "world", 5);
	app_read(&f, app, buf, 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(stats(&f).host_accepts, 1);
	assert_int_equal(stats(&f).live, 1);
	zx_handle_close(app);
	fx_stop(&f);
}

static void ClientConnectionRefused(void **state)
{
	fx_t f;
	zx_handle_t app;
	accept_res_t res;

	(void)state;
	fx_setup(&f);
	accept_async(&f, EPH, GUEST_PORT, &app, &res);
	expect_op_free(&f, CFV_OP_REQUEST, EPH, GUEST_PORT);
	guest_send(&f, CFV_OP_RST, EPH, GUEST_PORT, 0, NULL, 0);
	assert_int_equal(accept_wait(&f, &res), ZX_ERR_CONNECTION_REFUSED);
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	zx_handle_close(app);
	/* No RST answers the RST, no OnShutdown for a refused request. */
	expect_quiet(&f, 20 * MS);
	assert_int_equal(f.nevents, 0);
	assert_int_equal(stats(&f).host_refused, 1);
	/* The host port is free again at once. */
	app = client_connect(&f, EPH, GUEST_PORT);
	zx_handle_close(app);
	fx_stop(&f);
}

static void Listen(void **state)
{
	fx_t f;
	zx_handle_t app;
	char buf[4];
	pkt_t p;

	(void)state;
	fx_setup(&f);
	app = guest_connect(&f, HOST_PORT, GUEST_PORT);
	assert_int_equal(f.nreqs, 1);
	assert_int_equal(f.reqs[0].src_cid, GUEST_CID);
	assert_int_equal(f.reqs[0].src_port, GUEST_PORT);
	assert_int_equal(f.reqs[0].cid, CFV_CID_HOST);
	assert_int_equal(f.reqs[0].port, HOST_PORT);
	/* ClientWriteWithInitialCredit: the REQUEST's credit suffices. */
	app_write(app, "\1\2\3\4", 4);
	p = expect_op(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT);
	assert_int_equal(p.hdr.len, 4);
	assert_memory_equal(p.data, "\1\2\3\4", 4);
	pkt_free(&p);
	guest_send(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT, 0, "abcd", 4);
	app_read(&f, app, buf, 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(stats(&f).guest_connects, 1);
	fx_stop(&f);
}

/* GuestInitiatedMultiplexOverOneHostPort, with the data kept apart. */
static void ListenMultiplexOneHostPort(void **state)
{
	fx_t f;
	zx_handle_t a, b;
	char buf[1];

	(void)state;
	fx_setup(&f);
	a = guest_connect(&f, HOST_PORT, GUEST_PORT);
	b = guest_connect(&f, HOST_PORT, GUEST_PORT + 1);
	guest_send(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT + 1, 0, "b", 1);
	guest_send(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT, 0, "a", 1);
	app_read(&f, a, buf, 1);
	assert_int_equal(buf[0], 'a');
	app_read(&f, b, buf, 1);
	assert_int_equal(buf[0], 'b');
	/* GuestInitiatedTwoIdenticalConnections: same pair again -> RST. */
	expect_request_refused(&f);
	assert_int_equal(f.nreqs, 2);
	fx_stop(&f);
}

static void NoListener(void **state)
{
	fx_t f;

	(void)state;
	fx_setup(&f);
	f.connect_mode = CONNECT_REFUSE;
	expect_request_refused(&f);
	assert_int_equal(f.nreqs, 1);
	assert_int_equal(stats(&f).guest_refused, 1);
	assert_int_equal(stats(&f).live, 0);
	expect_quiet(&f, 20 * MS);
	assert_int_equal(f.nevents, 0);
	fx_stop(&f);
}

/*
 * FailWhenListeningOnSameHostPort is the Router's (Listen lives there).
 * What is the host half's: two host-initiated connections on one host
 * port into this guest -> ALREADY_BOUND; free again after a clean close.
 */
static void FailWhenConnectingOnSameHostPort(void **state)
{
	fx_t f;
	zx_handle_t a, b;
	accept_res_t res;

	(void)state;
	fx_setup(&f);
	a = client_connect(&f, EPH, GUEST_PORT);
	accept_async(&f, EPH, GUEST_PORT + 1, &b, &res);
	assert_int_equal(accept_wait(&f, &res), ZX_ERR_ALREADY_BOUND);
	expect_signal(&f, b, ZX_SOCKET_PEER_CLOSED);
	zx_handle_close(b);
	expect_quiet(&f, 10 * MS); /* no REQUEST went out */
	/* The guest closes cleanly: SHUTDOWN(BOTH) -> RST -> port free. */
	guest_send(&f, CFV_OP_SHUTDOWN, EPH, GUEST_PORT, CFV_SHUTDOWN_BOTH,
	           NULL, 0);
	expect_op_free(&f, CFV_OP_RST, EPH, GUEST_PORT);
	expect_signal(&f, a, ZX_SOCKET_PEER_CLOSED);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, EPH);
	zx_handle_close(a);
	b = client_connect(&f, EPH, GUEST_PORT + 1);
	zx_handle_close(b);
	fx_stop(&f);
}

/* The host app closes: the guest gets SHUTDOWN(BOTH); its RST ends it. */
static void Reset(void **state)
{
	fx_t f;
	zx_handle_t app;

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	zx_handle_close(app);
	pkt_t p = expect_op(&f, CFV_OP_SHUTDOWN, EPH, GUEST_PORT);
	assert_int_equal(p.hdr.flags, CFV_SHUTDOWN_BOTH);
	pkt_free(&p);
	assert_int_equal(f.nevents, 0);
	guest_send(&f, CFV_OP_RST, EPH, GUEST_PORT, 0, NULL, 0);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, EPH);
	expect_quiet(&f, 20 * MS); /* never an answer to an RST */
	assert_int_equal(stats(&f).live, 0);
	assert_int_equal(stats(&f).forced_closes, 0);
	/* A clean close frees the host port at once. */
	app = client_connect(&f, EPH, GUEST_PORT);
	zx_handle_close(app);
	fx_stop(&f);
}

/* The guest resets an established connection. */
static void GuestReset(void **state)
{
	fx_t f;
	zx_handle_t app;

	(void)state;
	fx_setup(&f);
	app = guest_connect(&f, HOST_PORT, GUEST_PORT);
	guest_send(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, HOST_PORT);
	expect_quiet(&f, 20 * MS);
	fx_stop(&f);
}

static void GuestShutdownRead(void **state)
{
	fx_t f;
	zx_handle_t app;
	size_t actual;

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	guest_send(&f, CFV_OP_SHUTDOWN, EPH, GUEST_PORT, CFV_SHUTDOWN_RCV, NULL,
	           0);
	pump(&f, 20 * MS);
	/* Half closed: the app can no longer write. */
	assert_int_not_equal(zx_socket_write(app, 0, "x", 1, &actual), ZX_OK);
	assert_false(signaled(app, ZX_SOCKET_PEER_CLOSED));
	assert_int_equal(f.nevents, 0);
	guest_send(&f, CFV_OP_SHUTDOWN, EPH, GUEST_PORT, CFV_SHUTDOWN_SEND,
	           NULL, 0);
	/* Fully closed: the host answers RST, the app sees the close. */
	expect_op_free(&f, CFV_OP_RST, EPH, GUEST_PORT);
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, EPH);
	zx_handle_close(app);
	fx_stop(&f);
}

/* The guest stops sending: the app reads what came, then EOF. */
static void GuestShutdownWrite(void **state)
{
	fx_t f;
	zx_handle_t app;
	char buf[8];
	size_t actual;

	(void)state;
	fx_setup(&f);
	app = guest_connect(&f, HOST_PORT, GUEST_PORT);
	guest_send(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT, 0, "xyz", 3);
	guest_send(&f, CFV_OP_SHUTDOWN, HOST_PORT, GUEST_PORT,
	           CFV_SHUTDOWN_SEND, NULL, 0);
	app_read(&f, app, buf, 3);
	assert_memory_equal(buf, "xyz", 3);
	expect_signal(&f, app, ZX_SOCKET_PEER_WRITE_DISABLED);
	assert_int_equal(zx_socket_read(app, 0, buf, sizeof buf, &actual),
	                 ZX_ERR_PEER_CLOSED);
	/* The app can still write the other way. */
	app_write(app, "ok", 2);
	pkt_t p = expect_op(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT);
	assert_memory_equal(p.data, "ok", 2);
	pkt_free(&p);
	fx_stop(&f);
}

/* The app shuts its write side: the guest gets SHUTDOWN(SEND). */
static void ShutdownWrite(void **state)
{
	fx_t f;
	zx_handle_t app;
	char buf[3];

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	assert_int_equal(zx_socket_set_disposition(
	                     app, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0),
	                 ZX_OK);
	guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, "\1\2\3", 3);
	pkt_t p = expect_op(&f, CFV_OP_SHUTDOWN, EPH, GUEST_PORT);
	assert_int_equal(p.hdr.flags, CFV_SHUTDOWN_SEND);
	pkt_free(&p);
	/* The guest's data still arrives. */
	app_read(&f, app, buf, 3);
	assert_memory_equal(buf, "\1\2\3", 3);
	zx_handle_close(app);
	fx_stop(&f);
}

/* RW after the guest's SHUTDOWN(SEND) is a protocol error: RST. */
static void WriteAfterShutdown(void **state)
{
	fx_t f;
	zx_handle_t app;

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	guest_send(&f, CFV_OP_SHUTDOWN, EPH, GUEST_PORT, CFV_SHUTDOWN_SEND,
	           NULL, 0);
	guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, "\1\2\3", 3);
	expect_op_free(&f, CFV_OP_RST, EPH, GUEST_PORT);
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, EPH);
	zx_handle_close(app);
	fx_stop(&f);
}

/* The guest's buf_alloc (2) limits what the host sends until credit. */
static void ReadNoBuffer(void **state)
{
	fx_t f;
	zx_handle_t app;
	pkt_t p;

	(void)state;
	fx_setup(&f);
	f.guest_buf_alloc = 2;
	app = client_connect(&f, EPH, GUEST_PORT);
	app_write(app, "\1\2\3\4", 4);
	p = expect_op(&f, CFV_OP_RW, EPH, GUEST_PORT);
	assert_int_equal(p.hdr.len, 2);
	assert_memory_equal(p.data, "\1\2", 2);
	pkt_free(&p);
	/* Out of credit: nothing but (maybe) a CREDIT_REQUEST. */
	pump(&f, 20 * MS);
	while (f.qhead != f.qtail) {
		p = next_packet(&f);
		assert_true(p.hdr.op == CFV_OP_CREDIT_REQUEST ||
		            p.hdr.op == CFV_OP_CREDIT_UPDATE);
		pkt_free(&p);
	}
	f.guest_fwd_cnt += 2;
	guest_send(&f, CFV_OP_CREDIT_UPDATE, EPH, GUEST_PORT, 0, NULL, 0);
	p = expect_op(&f, CFV_OP_RW, EPH, GUEST_PORT);
	assert_int_equal(p.hdr.len, 2);
	assert_memory_equal(p.data, "\3\4", 2);
	pkt_free(&p);
	zx_handle_close(app);
	fx_stop(&f);
}

/*
 * CREDIT_REQUEST gets CREDIT_UPDATE.  Our fwd_cnt counts bytes handed to
 * the app's socket (design 4), so it is 2 before the app reads (Fuchsia's
 * device says 0 there: it counts bytes the app read).
 */
static void WriteUpdateCredit(void **state)
{
	fx_t f;
	zx_handle_t app;
	char buf[2];
	pkt_t p;

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	barrier(&f);
	skip_credit(&f);
	guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, "a", 1);
	guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, "b", 1);
	guest_send(&f, CFV_OP_CREDIT_REQUEST, EPH, GUEST_PORT, 0, NULL, 0);
	p = expect_op(&f, CFV_OP_CREDIT_UPDATE, EPH, GUEST_PORT);
	assert_true(p.hdr.buf_alloc > 0);
	assert_int_equal(p.hdr.fwd_cnt, 2);
	pkt_free(&p);
	app_read(&f, app, buf, 2);
	assert_memory_equal(buf, "ab", 2);
	guest_send(&f, CFV_OP_CREDIT_REQUEST, EPH, GUEST_PORT, 0, NULL, 0);
	expect_fwd_cnt(&f, EPH, GUEST_PORT, 2);
	zx_handle_close(app);
	fx_stop(&f);
}

/* The guest overruns its credit (the app never reads): RST. */
static void WriteSocketFullReset(void **state)
{
	static uint8_t chunk[CFV_MAX_PAYLOAD];
	fx_t f;
	zx_handle_t app;
	uint32_t buf_alloc;
	uint64_t sent = 0;
	bool reset = false;
	pkt_t p;

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	guest_send(&f, CFV_OP_CREDIT_REQUEST, EPH, GUEST_PORT, 0, NULL, 0);
	p = expect_op(&f, CFV_OP_CREDIT_UPDATE, EPH, GUEST_PORT);
	buf_alloc = p.hdr.buf_alloc;
	pkt_free(&p);
	memset(chunk, 'a', sizeof chunk);
	/* Ignore every credit update: the host must cut us off. */
	while (!reset && sent < 64ull * 1024 * 1024) {
		guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, chunk,
		           sizeof chunk);
		sent += sizeof chunk;
		pump(&f, MS);
		while (f.qhead != f.qtail) {
			p = next_packet(&f);
			if (p.hdr.op == CFV_OP_RST)
				reset = true;
			else
				assert_int_equal(p.hdr.op,
				                 CFV_OP_CREDIT_UPDATE);
			pkt_free(&p);
		}
	}
	assert_true(reset);
	assert_true(sent > buf_alloc);
	assert_true(stats(&f).engine.credit_overruns >= 1);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, EPH);
	/* The app's end is closed (after what reached it). */
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	zx_handle_close(app);
	fx_stop(&f);
}

/* After the app drains its socket the guest's credit is whole again. */
static void SendCreditUpdateWhenSocketIsDrained(void **state)
{
	static uint8_t chunk[CFV_MAX_PAYLOAD];
	static uint8_t sink[CFV_MAX_PAYLOAD];
	fx_t f;
	zx_handle_t app;
	uint32_t buf_alloc, sent = 0;
	size_t got = 0;
	zx_time_t end;
	pkt_t p;

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	guest_send(&f, CFV_OP_CREDIT_REQUEST, EPH, GUEST_PORT, 0, NULL, 0);
	p = expect_op(&f, CFV_OP_CREDIT_UPDATE, EPH, GUEST_PORT);
	buf_alloc = p.hdr.buf_alloc;
	pkt_free(&p);
	/* Fill exactly the credit we have, in legal packets. */
	memset(chunk, 'a', sizeof chunk);
	while (sent < buf_alloc) {
		uint32_t n = buf_alloc - sent < sizeof chunk
		                 ? buf_alloc - sent
		                 : (uint32_t)sizeof chunk;

		guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, chunk, n);
		sent += n;
	}
	barrier(&f);
	/* Within credit: nothing but credit updates. */
	while (f.qhead != f.qtail) {
		p = next_packet(&f);
		assert_int_equal(p.hdr.op, CFV_OP_CREDIT_UPDATE);
		pkt_free(&p);
	}
	/* The app reads everything; the host must tell the guest. */
	end = zx_deadline_after(WAIT);
	while (got < sent) {
		size_t actual = 0;

		if (zx_socket_read(app, 0, sink, sizeof sink, &actual) == ZX_OK)
			got += actual;
		else
			pump(&f, MS);
		assert_true(zx_clock_get_monotonic() < end);
	}
	barrier(&f);
	/*
	 * The guest is not stalled: its view of our free space is at least
	 * the update threshold (design 4: min(64 KiB, buf_alloc / 2)); the
	 * engine sent updates as bytes reached the socket, so it need not
	 * be whole.
	 */
	skip_credit(&f);
	assert_int_equal(f.qhead, f.qtail);
	assert_int_equal(f.last_buf_alloc, buf_alloc);
	assert_true(buf_alloc - (sent - f.last_fwd_cnt) >=
	            (buf_alloc / 2 < 65536 ? buf_alloc / 2 : 65536));
	/* And nothing is stuck in the host: every byte was forwarded. */
	guest_send(&f, CFV_OP_CREDIT_REQUEST, EPH, GUEST_PORT, 0, NULL, 0);
	expect_fwd_cnt(&f, EPH, GUEST_PORT, sent);
	zx_handle_close(app);
	fx_stop(&f);
}

/*
 * GuestInitiatedConnectionWrongCid: only the host is reachable through
 * the host half; a REQUEST for another CID is refused with RST (sent as
 * that CID, as Fuchsia's device does) and never reaches the Router as a
 * connection to the host.  Needs the engine to check dst_cid.
 */
static void GuestInitiatedConnectionWrongCid(void **state)
{
	fx_t f;
	pkt_t p;

	(void)state;
	fx_setup(&f);
	guest_send_to(&f, 12345, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT, 0, NULL,
	              0);
	assert_true(spin(&f, have_packet, NULL, WAIT));
	p = f.q[f.qhead++ % QCAP];
	assert_int_equal(p.hdr.op, CFV_OP_RST);
	/* From the CID it was sent to, or the guest cannot match it. */
	assert_int_equal(p.hdr.src_cid, 12345);
	assert_int_equal(p.hdr.dst_cid, GUEST_CID);
	assert_int_equal(p.hdr.src_port, HOST_PORT);
	assert_int_equal(p.hdr.dst_port, GUEST_PORT);
	pkt_free(&p);
	assert_int_equal(f.nreqs, 0);
	fx_stop(&f);
}

/* Only STREAM is supported: a SEQPACKET REQUEST gets RST. */
static void UnsupportedSocketType(void **state)
{
	fx_t f;

	(void)state;
	fx_setup(&f);
	f.guest_type = CFV_TYPE_SEQPACKET;
	expect_request_refused(&f);
	assert_int_equal(f.nreqs, 0);
	fx_stop(&f);
}

/* A clean close frees the pair at once: the same REQUEST works again. */
static void GuestInitiatedReuseSamePortAfterCleanShutdown(void **state)
{
	fx_t f;
	zx_handle_t app;

	(void)state;
	fx_setup(&f);
	app = guest_connect(&f, HOST_PORT, GUEST_PORT);
	guest_send(&f, CFV_OP_SHUTDOWN, HOST_PORT, GUEST_PORT,
	           CFV_SHUTDOWN_BOTH, NULL, 0);
	expect_op_free(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT);
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, HOST_PORT);
	app = guest_connect(&f, HOST_PORT, GUEST_PORT);
	assert_false(signaled(app, ZX_SOCKET_PEER_CLOSED));
	assert_int_equal(f.nreqs, 2);
	fx_stop(&f);
}

/* WriteMultiple: two RW packets arrive in order in the app's socket. */
static void WriteMultiple(void **state)
{
	fx_t f;
	zx_handle_t app;
	char buf[2];

	(void)state;
	fx_setup(&f);
	app = client_connect(&f, EPH, GUEST_PORT);
	guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, "a", 1);
	guest_send(&f, CFV_OP_RW, EPH, GUEST_PORT, 0, "b", 1);
	app_read(&f, app, buf, 2);
	assert_memory_equal(buf, "ab", 2);
	zx_handle_close(app);
	fx_stop(&f);
}

static void NoResponseToSpuriousReset(void **state)
{
	fx_t f;
	zx_handle_t app;
	accept_res_t res;

	(void)state;
	fx_setup(&f);
	guest_send(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	expect_quiet(&f, 20 * MS);
	/* So the first packet of a new connection is its REQUEST. */
	accept_async(&f, EPH, GUEST_PORT, &app, &res);
	pkt_t p = next_packet(&f);
	assert_int_equal(p.hdr.op, CFV_OP_REQUEST);
	pkt_free(&p);
	guest_send(&f, CFV_OP_RESPONSE, EPH, GUEST_PORT, 0, NULL, 0);
	assert_int_equal(accept_wait(&f, &res), ZX_OK);
	zx_handle_close(app);
	fx_stop(&f);
}

/* NonResetSpuriousPacketsGetResetResponse and
 * SpuriousPacketsDoNotNotifyEndpoints. */
static void NonResetSpuriousPacketsGetResetResponse(void **state)
{
	static const uint16_t ops[] = {
	    CFV_OP_SHUTDOWN,       CFV_OP_RESPONSE, CFV_OP_CREDIT_UPDATE,
	    CFV_OP_CREDIT_REQUEST, CFV_OP_INVALID,  CFV_OP_RW,
	};
	fx_t f;

	(void)state;
	fx_setup(&f);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		guest_send(&f, ops[i], HOST_PORT, GUEST_PORT, 0,
		           ops[i] == CFV_OP_RW ? "z" : NULL,
		           ops[i] == CFV_OP_RW ? 1 : 0);
		expect_op_free(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT);
	}
	pump(&f, 10 * MS);
	assert_int_equal(f.nevents, 0);
	assert_int_equal(f.nreqs, 0);
	fx_stop(&f);
}

/* ---- our additions ---- */

/* A forced close (the guest never answers our SHUTDOWN) quarantines the
 * host port; OnShutdown comes only when the quarantine ends. */
static void QuarantineAfterForcedClose(void **state)
{
	cfv_host_half_config_t cfg;
	fx_t f;
	zx_handle_t app, other;
	accept_res_t res;
	pkt_t p;

	(void)state;
	cfv_host_half_config_init(&cfg);
	cfg.engine.close_timeout = 100 * MS;
	cfg.quarantine = 600 * MS;
	fx_start(&f, &cfg);
	app = client_connect(&f, EPH, GUEST_PORT);
	zx_handle_close(app);
	p = expect_op(&f, CFV_OP_SHUTDOWN, EPH, GUEST_PORT);
	assert_int_equal(p.hdr.flags, CFV_SHUTDOWN_BOTH);
	pkt_free(&p);
	/* Silence from the guest: RST after the close timeout. */
	expect_op_free(&f, CFV_OP_RST, EPH, GUEST_PORT);
	pump(&f, 5 * MS);
	assert_int_equal(stats(&f).forced_closes, 1);
	assert_int_equal(f.nevents, 0);
	/* The port is quarantined, others are not. */
	accept_async(&f, EPH, GUEST_PORT, &app, &res);
	assert_int_equal(accept_wait(&f, &res), ZX_ERR_ALREADY_BOUND);
	zx_handle_close(app);
	other = client_connect(&f, EPH + 1, GUEST_PORT);
	zx_handle_close(other);
	expect_op_free(&f, CFV_OP_SHUTDOWN, EPH + 1, GUEST_PORT);
	guest_send(&f, CFV_OP_RST, EPH + 1, GUEST_PORT, 0, NULL, 0);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, EPH + 1); /* clean: now */
	assert_int_equal(f.nevents, 1);
	/* When the quarantine ends: OnShutdown, and the port works again. */
	expect_event(&f, 1, GUEST_CID, GUEST_PORT, EPH);
	app = client_connect(&f, EPH, GUEST_PORT);
	zx_handle_close(app);
	fx_stop(&f);
}

/* A guest that forges its source CID is refused: dropped, counted, and
 * never answered (an RST would let it probe). */
static void ForgedSourceCid(void **state)
{
	fx_t f;
	zx_handle_t app;
	char buf[1];
	size_t actual;

	(void)state;
	fx_setup(&f);
	app = guest_connect(&f, HOST_PORT, GUEST_PORT);
	f.guest_src_cid = GUEST_CID + 1;
	guest_send(&f, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT + 1, 0, NULL, 0);
	guest_send(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT, 0, "F", 1);
	guest_send(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	f.guest_src_cid = CFV_CID_HOST; /* posing as the host */
	guest_send(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT, 0, "H", 1);
	f.guest_src_cid = GUEST_CID;
	expect_quiet(&f, 20 * MS);
	assert_int_equal(f.nreqs, 1);
	assert_int_equal(stats(&f).engine.forged_dropped, 4);
	assert_int_equal(zx_socket_read(app, 0, buf, 1, &actual),
	                 ZX_ERR_SHOULD_WAIT);
	assert_false(signaled(app, ZX_SOCKET_PEER_CLOSED));
	/* The real guest's connection is untouched. */
	guest_send(&f, CFV_OP_RW, HOST_PORT, GUEST_PORT, 0, "G", 1);
	app_read(&f, app, buf, 1);
	assert_int_equal(buf[0], 'G');
	fx_stop(&f);
}

/* Transport reset: everything dropped without a packet, new CID. */
static void TransportReset(void **state)
{
	fx_t f;
	zx_handle_t est, pend;
	accept_res_t res;
	size_t deferred;

	(void)state;
	fx_setup(&f);
	est = client_connect(&f, EPH, GUEST_PORT);
	accept_async(&f, EPH + 1, GUEST_PORT, &pend, &res);
	expect_op_free(&f, CFV_OP_REQUEST, EPH + 1, GUEST_PORT);
	f.connect_mode = CONNECT_DEFER;
	guest_send(&f, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	pump(&f, 10 * MS);
	assert_int_equal(f.ndeferred, 1);
	skip_credit(&f);

	assert_int_equal(cfv_host_half_transport_reset(f.hh, GUEST_CID + 2),
	                 ZX_OK);
	assert_int_equal(cfv_host_half_guest_cid(f.hh), GUEST_CID + 2);
	assert_int_equal(accept_wait(&f, &res), ZX_ERR_CANCELED);
	expect_signal(&f, est, ZX_SOCKET_PEER_CLOSED);
	expect_signal(&f, pend, ZX_SOCKET_PEER_CLOSED);
	expect_event(&f, 0, GUEST_CID, GUEST_PORT, EPH);
	expect_quiet(&f, 20 * MS);
	assert_int_equal(stats(&f).live, 0);
	zx_handle_close(est);
	zx_handle_close(pend);
	/* The Router answers the old Connect late: its socket is closed. */
	{
		zx_handle_t app, dev;

		assert_int_equal(zx_socket_create(0, &app, &dev), ZX_OK);
		deferred = --f.ndeferred;
		fuchsia_virtualization_HostVsockConnectorConnect_reply(
		    &f.deferred[deferred], dev);
		expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
		zx_handle_close(app);
		expect_quiet(&f, 10 * MS);
	}
	/* The old CID is forged now; the new one works. */
	guest_send(&f, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	expect_quiet(&f, 10 * MS);
	assert_int_equal(stats(&f).engine.forged_dropped, 1);
	f.guest_src_cid = GUEST_CID + 2;
	set_context_id(&f, GUEST_CID + 2); /* the Router follows the CID */
	est = guest_connect(&f, HOST_PORT, GUEST_PORT);
	(void)est; /* in f.apps */
	est = client_connect(&f, EPH, GUEST_PORT);
	zx_handle_close(est);
	fx_stop(&f);
}

/* The guest asks while the Router is slow, then gives up (RST). */
static void GuestGivesUpWhileConnectPending(void **state)
{
	fx_t f;
	zx_handle_t app, dev;

	(void)state;
	fx_setup(&f);
	f.connect_mode = CONNECT_DEFER;
	guest_send(&f, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	pump(&f, 10 * MS);
	assert_int_equal(f.ndeferred, 1);
	guest_send(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	expect_quiet(&f, 10 * MS);
	assert_int_equal(zx_socket_create(0, &app, &dev), ZX_OK);
	fuchsia_virtualization_HostVsockConnectorConnect_reply(&f.deferred[0],
	                                                       dev);
	f.ndeferred = 0;
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	zx_handle_close(app);
	expect_quiet(&f, 10 * MS); /* no RESPONSE to a gone request */
	assert_int_equal(stats(&f).live, 0);
	assert_int_equal(f.nevents, 0);
	fx_stop(&f);
}

/* The guest never answers our REQUEST: TIMED_OUT and RST. */
static void ClientConnectTimeout(void **state)
{
	cfv_host_half_config_t cfg;
	fx_t f;
	zx_handle_t app;
	accept_res_t res;

	(void)state;
	cfv_host_half_config_init(&cfg);
	cfg.connect_timeout = 50 * MS;
	cfg.quarantine = 100 * MS;
	fx_start(&f, &cfg);
	accept_async(&f, EPH, GUEST_PORT, &app, &res);
	expect_op_free(&f, CFV_OP_REQUEST, EPH, GUEST_PORT);
	assert_int_equal(accept_wait(&f, &res), ZX_ERR_TIMED_OUT);
	expect_op_free(&f, CFV_OP_RST, EPH, GUEST_PORT);
	expect_signal(&f, app, ZX_SOCKET_PEER_CLOSED);
	zx_handle_close(app);
	/* A late RESPONSE finds nothing: RST. */
	guest_send(&f, CFV_OP_RESPONSE, EPH, GUEST_PORT, 0, NULL, 0);
	expect_op_free(&f, CFV_OP_RST, EPH, GUEST_PORT);
	assert_int_equal(f.nevents, 0);
	fx_stop(&f);
}

/* Before SetContextId, and after the Router's connector goes: RST. */
static void NoConnector(void **state)
{
	fx_t f;
	zx_handle_t ep_c, ep_s;

	(void)state;
	fx_start_etc(&f, NULL, false);
	expect_request_refused(&f);
	/* One endpoint at a time. */
	assert_int_equal(zx_channel_create(0, &ep_c, &ep_s), ZX_OK);
	assert_int_equal(cfv_host_half_bind_endpoint(f.hh, ep_s),
	                 ZX_ERR_ALREADY_BOUND);
	zx_handle_close(ep_c);
	set_context_id(&f, GUEST_CID);
	(void)guest_connect(&f, HOST_PORT, GUEST_PORT);
	/* The Router's connector goes away. */
	cfidl_binding_close(f.connector, ZX_OK);
	pump(&f, 10 * MS);
	guest_send(&f, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT + 1, 0, NULL, 0);
	expect_op_free(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT + 1);
	assert_int_equal(f.nreqs, 1);
	/* Established connections do not depend on it. */
	assert_false(signaled(f.apps[0], ZX_SOCKET_PEER_CLOSED));
	fx_stop(&f);
}

static bool endpoint_failed(fx_t *f, void *arg)
{
	(void)arg;
	return f->endpoint_error != ZX_OK;
}

/* SetContextId must name this guest: else the endpoint is closed. */
static void SetContextIdWrongCid(void **state)
{
	fx_t f;

	(void)state;
	fx_setup(&f);
	set_context_id(&f, GUEST_CID + 7);
	assert_true(spin(&f, endpoint_failed, NULL, WAIT));
	assert_int_equal(f.endpoint_error, ZX_ERR_INVALID_ARGS);
	/* The first SetContextId's connector still serves. */
	(void)guest_connect(&f, HOST_PORT, GUEST_PORT);
	fx_stop(&f);
}

/* ClientConnectMultipleTimesParallel, at scale: the table grows, each
 * connection keeps its own data, and each clean close is reported once. */
#define NCONN 200
static void ClientConnectMultipleTimesParallel(void **state)
{
	static zx_handle_t apps[NCONN];
	static accept_res_t res[NCONN];
	static bool seen[NCONN];
	fx_t f;
	size_t got = 0;

	(void)state;
	fx_setup(&f);
	for (uint32_t i = 0; i < NCONN; i++)
		accept_async(&f, EPH + i, GUEST_PORT, &apps[i], &res[i]);
	for (uint32_t i = 0; i < NCONN; i++) {
		pkt_t p = expect_op(&f, CFV_OP_REQUEST, EPH + i, GUEST_PORT);

		pkt_free(&p);
	}
	for (uint32_t i = 0; i < NCONN; i++)
		guest_send(&f, CFV_OP_RESPONSE, EPH + i, GUEST_PORT, 0, NULL,
		           0);
	for (uint32_t i = 0; i < NCONN; i++)
		assert_int_equal(accept_wait(&f, &res[i]), ZX_OK);
	assert_int_equal(stats(&f).live, NCONN);
	for (uint32_t i = 0; i < NCONN; i++) {
		uint8_t b = (uint8_t)i;

		app_write(apps[i], &b, 1);
	}
	while (got < NCONN) {
		pkt_t p = next_packet(&f);

		if (p.hdr.op == CFV_OP_RW) {
			uint32_t i = p.hdr.src_port - EPH;

			assert_true(i < NCONN);
			assert_false(seen[i]);
			assert_int_equal(p.hdr.len, 1);
			assert_int_equal(p.data[0], (uint8_t)i);
			seen[i] = true;
			got++;
		} else {
			assert_int_equal(p.hdr.op, CFV_OP_CREDIT_UPDATE);
		}
		pkt_free(&p);
	}
	for (uint32_t i = 0; i < NCONN; i++)
		guest_send(&f, CFV_OP_SHUTDOWN, EPH + i, GUEST_PORT,
		           CFV_SHUTDOWN_BOTH, NULL, 0);
	assert_true(spin(&f, event_count, (void *)(uintptr_t)NCONN, WAIT));
	for (uint32_t i = 0; i < NCONN; i++) {
		expect_signal(&f, apps[i], ZX_SOCKET_PEER_CLOSED);
		zx_handle_close(apps[i]);
	}
	pump(&f, 10 * MS);
	assert_int_equal(f.nevents, NCONN);
	assert_int_equal(stats(&f).live, 0);
	fx_stop(&f);
}

/* A new SetContextId replaces the connector: Connects pending on the
 * old one end in RST; the new one serves. */
static void SetContextIdReplacesConnector(void **state)
{
	fx_t f;

	(void)state;
	fx_setup(&f);
	f.connect_mode = CONNECT_DEFER;
	guest_send(&f, CFV_OP_REQUEST, HOST_PORT, GUEST_PORT, 0, NULL, 0);
	pump(&f, 10 * MS);
	assert_int_equal(f.ndeferred, 1);
	set_context_id(&f, GUEST_CID);
	expect_op_free(&f, CFV_OP_RST, HOST_PORT, GUEST_PORT);
	f.ndeferred = 0; /* its channel is gone */
	(void)guest_connect(&f, HOST_PORT, GUEST_PORT);
	assert_int_equal(f.nreqs, 2);
	fx_stop(&f);
}

/* Destroy resets every connection and answers what is pending. */
static void DestroyResetsAll(void **state)
{
	fx_t f;
	zx_handle_t a, b, pend;
	accept_res_t res;
	size_t rst = 0;

	(void)state;
	fx_setup(&f);
	a = client_connect(&f, EPH, GUEST_PORT);
	b = guest_connect(&f, HOST_PORT, GUEST_PORT);
	accept_async(&f, EPH + 1, GUEST_PORT, &pend, &res);
	expect_op_free(&f, CFV_OP_REQUEST, EPH + 1, GUEST_PORT);
	pump(&f, 5 * MS);
	skip_credit(&f);
	cfv_host_half_destroy(f.hh);
	f.hh = NULL;
	assert_true(spin(&f, accept_done, &res, WAIT));
	assert_true(res.status == ZX_ERR_CANCELED ||
	            res.status == ZX_ERR_PEER_CLOSED);
	expect_signal(&f, a, ZX_SOCKET_PEER_CLOSED);
	expect_signal(&f, b, ZX_SOCKET_PEER_CLOSED);
	expect_signal(&f, pend, ZX_SOCKET_PEER_CLOSED);
	pump(&f, 10 * MS);
	while (f.qhead != f.qtail) {
		pkt_t p = next_packet(&f);

		if (p.hdr.op == CFV_OP_RST)
			rst++;
		pkt_free(&p);
	}
	assert_int_equal(rst, 3);
	zx_handle_close(a);
	zx_handle_close(pend);
	fx_stop(&f);
}

static void BadArgs(void **state)
{
	cfidl_loop_t *loop;
	cfv_transport_t *a, *b;
	cfv_host_half_t *hh = NULL;
	cfv_host_half_config_t cfg;
	int before = rt_count_fds();

	(void)state;
	assert_int_equal(cfidl_loop_create(&loop), ZX_OK);
	assert_int_equal(cfv_transport_pair_create(loop, 0, &a, &b), ZX_OK);
	assert_int_equal(cfv_host_half_create(NULL, a, GUEST_CID, &hh),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfv_host_half_create(loop, NULL, GUEST_CID, &hh),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfv_host_half_create(loop, a, CFV_CID_HOST, &hh),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfv_host_half_create(loop, a, CFV_CID_ANY, &hh),
	                 ZX_ERR_INVALID_ARGS);
	cfv_host_half_config_init(&cfg);
	cfg.connect_timeout = 0;
	assert_int_equal(
	    cfv_host_half_create_etc(loop, a, GUEST_CID, &cfg, &hh),
	    ZX_ERR_INVALID_ARGS);
	assert_null(hh);
	assert_int_equal(cfv_host_half_create(loop, a, GUEST_CID, &hh), ZX_OK);
	assert_int_equal(cfv_host_half_transport_reset(hh, CFV_CID_LOCAL),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfv_host_half_guest_cid(hh), GUEST_CID);
	cfv_host_half_destroy(hh);
	cfv_host_half_destroy(NULL);
	cfv_transport_destroy(a);
	cfv_transport_destroy(b);
	cfidl_loop_destroy(loop);
	assert_int_equal(rt_count_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ClientInitiatedConnect),
	    cmocka_unit_test(ClientConnectionRefused),
	    cmocka_unit_test(Listen),
	    cmocka_unit_test(ListenMultiplexOneHostPort),
	    cmocka_unit_test(NoListener),
	    cmocka_unit_test(FailWhenConnectingOnSameHostPort),
	    cmocka_unit_test(Reset),
	    cmocka_unit_test(GuestReset),
	    cmocka_unit_test(GuestShutdownRead),
	    cmocka_unit_test(GuestShutdownWrite),
	    cmocka_unit_test(ShutdownWrite),
	    cmocka_unit_test(WriteAfterShutdown),
	    cmocka_unit_test(ReadNoBuffer),
	    cmocka_unit_test(WriteUpdateCredit),
	    cmocka_unit_test(WriteSocketFullReset),
	    cmocka_unit_test(SendCreditUpdateWhenSocketIsDrained),
	    cmocka_unit_test(GuestInitiatedConnectionWrongCid),
	    cmocka_unit_test(UnsupportedSocketType),
	    cmocka_unit_test(GuestInitiatedReuseSamePortAfterCleanShutdown),
	    cmocka_unit_test(WriteMultiple),
	    cmocka_unit_test(NoResponseToSpuriousReset),
	    cmocka_unit_test(NonResetSpuriousPacketsGetResetResponse),
	    cmocka_unit_test(QuarantineAfterForcedClose),
	    cmocka_unit_test(ForgedSourceCid),
	    cmocka_unit_test(TransportReset),
	    cmocka_unit_test(GuestGivesUpWhileConnectPending),
	    cmocka_unit_test(ClientConnectTimeout),
	    cmocka_unit_test(NoConnector),
	    cmocka_unit_test(SetContextIdWrongCid),
	    cmocka_unit_test(ClientConnectMultipleTimesParallel),
	    cmocka_unit_test(SetContextIdReplacesConnector),
	    cmocka_unit_test(DestroyResetsAll),
	    cmocka_unit_test(BadArgs),
	};

	return cmocka_run_group_tests_name("host_half", tests, NULL, NULL);
}
