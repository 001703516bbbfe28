/*
 * test_device: the guest's Device with the real Service on top, over an
 * in-process transport pair whose other end is a raw fake host that
 * writes and reads cfv_hdr_t packets.  Checks the wire as well as the
 * fuchsia.vsock view of each scenario.
 */
#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#include "app_fakes.h"
#include "device.h"
#include "fuchsia.hardware.vsock.h"
#include "fuchsia.vsock.h"
#include "packet.h"
#include "service.h"
#include "transport.h"
#include "vsock_test.h"

#define GUEST_CID 3u
#define MAXPKT    64

/* ---- the raw fake host ---- */

typedef struct pkt {
	cfv_hdr_t hdr;
	char payload[64]; /* first bytes only */
} pkt_t;

typedef struct host {
	cfv_transport_t *t;
	pkt_t rx[MAXPKT];
	int nrx;
	bool got; /* a packet arrived */
	uint32_t fwd_cnt;
	uint64_t rw_bytes; /* RW payload bytes received */
	char rw[4096];     /* the first RW bytes, concatenated */
} host_t;

static void host_on_packet(void *ctx, const cfv_hdr_t *hdr, const void *payload)
{
	host_t *h = ctx;

	h->got = true;
	if (h->nrx < MAXPKT) {
		pkt_t *p = &h->rx[h->nrx++];

		p->hdr = *hdr;
		memcpy(p->payload, payload,
		       hdr->len < sizeof(p->payload) ? hdr->len
		                                     : sizeof(p->payload));
	}
	if (hdr->op == CFV_OP_RW) {
		if (h->rw_bytes + hdr->len <= sizeof(h->rw))
			memcpy(h->rw + h->rw_bytes, payload, hdr->len);
		h->rw_bytes += hdr->len;
		h->fwd_cnt += hdr->len;
	}
}

static void host_on_writable(void *ctx)
{
	(void)ctx;
}

static void host_send(host_t *h, uint16_t op, uint32_t dst_cid,
                      uint32_t src_port, uint32_t dst_port, uint32_t flags,
                      const void *data, uint32_t len)
{
	cfv_hdr_t hdr;
	struct iovec iov = {(void *)data, len};

	memset(&hdr, 0, sizeof(hdr));
	hdr.src_cid = CFV_CID_HOST;
	hdr.dst_cid = dst_cid;
	hdr.src_port = src_port;
	hdr.dst_port = dst_port;
	hdr.len = len;
	hdr.type = CFV_TYPE_STREAM;
	hdr.op = op;
	hdr.flags = flags;
	hdr.buf_alloc = 256 * 1024;
	hdr.fwd_cnt = h->fwd_cnt;
	ASSERT_OK(
	    cfv_transport_send(h->t, &hdr, len ? &iov : NULL, len ? 1 : 0));
}

/* The index of the first packet from `from` on with op, or -1. */
static int host_find(const host_t *h, int from, uint16_t op)
{
	for (int i = from; i < h->nrx; i++)
		if (h->rx[i].hdr.op == op)
			return i;
	return -1;
}

/* ---- fixture: host <-> transport pair <-> Device <-> Service <-> app ---- */

typedef struct fx {
	cfidl_loop_t *loop;
	cfv_transport_t *guest_t;
	host_t host;
	cfv_device_t *dev;
	cfv_service_t *svc;
	cfidl_client_t *connector;
} fx_t;

static void fx_open(fx_t *f)
{
	zx_handle_t dc, ds, cc, cs;
	cfidl_client_handlers_t ch = {0};
	cfv_transport_handlers_t th = {.on_packet = host_on_packet,
	                               .on_writable = host_on_writable};

	memset(f, 0, sizeof(*f));
	ASSERT_OK(cfidl_loop_create(&f->loop));
	ASSERT_OK(
	    cfv_transport_pair_create(f->loop, 0, &f->guest_t, &f->host.t));
	cfv_transport_set_handlers(f->host.t, &th, &f->host);
	ASSERT_OK(cfv_device_create(f->loop, f->guest_t, GUEST_CID, &f->dev));
	ASSERT_OK(zx_channel_create(0, &dc, &ds));
	ASSERT_OK(cfv_device_bind(f->dev, ds));
	ASSERT_OK(cfv_service_create(f->loop, dc, &f->svc));
	ASSERT_OK(zx_channel_create(0, &cc, &cs));
	ASSERT_OK(cfv_service_bind_connector(f->svc, cs));
	ASSERT_OK(cfidl_client_create(f->loop, cc, &ch, f, &f->connector));
	vt_settle(f->loop);
	ASSERT_OK(cfv_service_start_status(f->svc));
	assert_int_equal(cfv_service_cid(f->svc), GUEST_CID);
}

static void fx_close(fx_t *f)
{
	cfidl_client_destroy(f->connector);
	cfv_service_destroy(f->svc);
	vt_settle(f->loop);
	cfv_device_destroy(f->dev);
	cfv_transport_destroy(f->guest_t);
	cfv_transport_destroy(f->host.t);
	cfidl_loop_destroy(f->loop);
}

/* ---- the app ---- */

/* The app listens on port with a fresh Acceptor ac. */
static void app_listen(fx_t *f, acceptor_t *ac, uint32_t port)
{
	reply_t r = {0};

	ASSERT_OK(fuchsia_vsock_ConnectorListen_async(
	    f->connector, port, acceptor_make(f->loop, ac), on_listen, &r));
	assert_true(vt_run_until_flag(f->loop, &r.done));
	assert_int_equal(r.value, ZX_OK);
}

/* Runs the loop until the host got a packet with op (from index from). */
static int wait_pkt(fx_t *f, int from, uint16_t op)
{
	zx_time_t deadline = zx_deadline_after(ZX_SEC(5));
	int i;

	while ((i = host_find(&f->host, from, op)) < 0) {
		if (zx_clock_get_monotonic() >= deadline)
			return -1;
		cfidl_loop_run(f->loop, zx_deadline_after(ZX_MSEC(20)), true);
	}
	return i;
}

/* Reads exactly n bytes from sock, running the loop meanwhile. */
static void app_read(fx_t *f, zx_handle_t sock, char *buf, size_t n)
{
	zx_time_t deadline = zx_deadline_after(ZX_SEC(5));
	size_t got = 0;

	while (got < n) {
		size_t k = 0;
		zx_status_t st =
		    zx_socket_read(sock, 0, buf + got, n - got, &k);

		if (st == ZX_ERR_SHOULD_WAIT) {
			assert_true(zx_clock_get_monotonic() < deadline);
			cfidl_loop_run(f->loop, zx_deadline_after(ZX_MSEC(20)),
			               true);
			continue;
		}
		ASSERT_OK(st);
		got += k;
	}
}

/* A host-initiated connection to the guest's listener on port 5000. */
static void host_connects(fx_t *f, acceptor_t *ac, uint32_t host_port)
{
	int at = f->host.nrx, i;

	host_send(&f->host, CFV_OP_REQUEST, GUEST_CID, host_port, 5000, 0, NULL,
	          0);
	i = wait_pkt(f, at, CFV_OP_RESPONSE);
	assert_true(i >= 0);
	assert_int_equal(f->host.rx[i].hdr.src_cid, GUEST_CID);
	assert_int_equal(f->host.rx[i].hdr.dst_cid, CFV_CID_HOST);
	assert_int_equal(f->host.rx[i].hdr.src_port, 5000);
	assert_int_equal(f->host.rx[i].hdr.dst_port, host_port);
	assert_true(f->host.rx[i].hdr.buf_alloc > 0);
	vt_settle(f->loop);
	assert_true(ac->calls > 0);
	assert_int_equal(ac->addr.local_port, 5000);
	assert_int_equal(ac->addr.remote_cid, CFV_CID_HOST);
	assert_int_equal(ac->addr.remote_port, host_port);
}

/* ---- scenarios ---- */

/* host REQUEST -> Callbacks.Request -> accept -> RESPONSE; data both ways. */
static void host_request_accepted(void **state)
{
	fx_t f;
	acceptor_t ac;
	char buf[8];
	size_t n;

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	host_connects(&f, &ac, 1234);
	/* guest app -> host */
	ASSERT_OK(zx_socket_write(ac.conns[0].sock, 0, "hello", 5, &n));
	assert_true(wait_pkt(&f, 0, CFV_OP_RW) >= 0);
	vt_settle(f.loop);
	assert_int_equal(f.host.rw_bytes, 5);
	assert_memory_equal(f.host.rw, "hello", 5);
	/* host -> guest app */
	host_send(&f.host, CFV_OP_RW, GUEST_CID, 1234, 5000, 0, "world", 5);
	app_read(&f, ac.conns[0].sock, buf, 5);
	assert_memory_equal(buf, "world", 5);
	acceptor_close(&ac);
	fx_close(&f);
}

/* No listener: the host's REQUEST gets RST. */
static void host_request_no_listener(void **state)
{
	fx_t f;
	int i;

	(void)state;
	fx_open(&f);
	host_send(&f.host, CFV_OP_REQUEST, GUEST_CID, 1234, 6000, 0, NULL, 0);
	i = wait_pkt(&f, 0, CFV_OP_RST);
	assert_true(i >= 0);
	assert_int_equal(f.host.rx[i].hdr.src_port, 6000);
	assert_int_equal(f.host.rx[i].hdr.dst_port, 1234);
	assert_int_equal(host_find(&f.host, 0, CFV_OP_RESPONSE), -1);
	fx_close(&f);
}

/* SendRequest -> REQUEST on the wire -> RESPONSE -> Callbacks.Response. */
static void guest_connect(void **state)
{
	fx_t f;
	app_conn_t a;
	fuchsia_vsock_ConnectionTransport t;
	reply_t r = {0};
	char buf[8];
	int i;

	(void)state;
	fx_open(&f);
	transport_make(f.loop, &a, &t);
	ASSERT_OK(fuchsia_vsock_ConnectorConnect_async(
	    f.connector, CFV_CID_HOST, 80, &t, on_connect, &r));
	i = wait_pkt(&f, 0, CFV_OP_REQUEST);
	assert_true(i >= 0);
	assert_int_equal(f.host.rx[i].hdr.src_cid, GUEST_CID);
	assert_int_equal(f.host.rx[i].hdr.dst_cid, CFV_CID_HOST);
	assert_int_equal(f.host.rx[i].hdr.src_port, 49152);
	assert_int_equal(f.host.rx[i].hdr.dst_port, 80);
	vt_settle(f.loop);
	assert_false(r.done);
	host_send(&f.host, CFV_OP_RESPONSE, GUEST_CID, 80, 49152, 0, NULL, 0);
	assert_true(vt_run_until_flag(f.loop, &r.done));
	assert_int_equal(r.value, ZX_OK);
	assert_int_equal(r.local_port, 49152);
	host_send(&f.host, CFV_OP_RW, GUEST_CID, 80, 49152, 0, "abc", 3);
	app_read(&f, a.sock, buf, 3);
	assert_memory_equal(buf, "abc", 3);
	app_close(&a);
	fx_close(&f);
}

/* RST before RESPONSE: Connect says UNAVAILABLE. */
static void guest_connect_refused(void **state)
{
	fx_t f;
	app_conn_t a;
	fuchsia_vsock_ConnectionTransport t;
	reply_t r = {0};

	(void)state;
	fx_open(&f);
	transport_make(f.loop, &a, &t);
	ASSERT_OK(fuchsia_vsock_ConnectorConnect_async(
	    f.connector, CFV_CID_HOST, 81, &t, on_connect, &r));
	assert_true(wait_pkt(&f, 0, CFV_OP_REQUEST) >= 0);
	host_send(&f.host, CFV_OP_RST, GUEST_CID, 81, 49152, 0, NULL, 0);
	assert_true(vt_run_until_flag(f.loop, &r.done));
	assert_int_equal(r.value, ZX_ERR_UNAVAILABLE);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	app_close(&a);
	fx_close(&f);
}

/* The host resets an established connection: Callbacks.Rst; the app's
 * Connection closes and its socket sees the peer gone. */
static void host_rst_closes(void **state)
{
	fx_t f;
	acceptor_t ac;
	zx_signals_t sig = 0;

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	host_connects(&f, &ac, 1234);
	host_send(&f.host, CFV_OP_RST, GUEST_CID, 1234, 5000, 0, NULL, 0);
	assert_true(vt_run_until_flag(f.loop, &ac.conns[0].con_failed));
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	ASSERT_OK(zx_object_wait_one(ac.conns[0].sock, ZX_SOCKET_PEER_CLOSED,
	                             zx_deadline_after(ZX_SEC(5)), &sig));
	/* The listener still works. */
	host_connects(&f, &ac, 1235);
	assert_int_equal(cfv_service_connection_count(f.svc), 1);
	acceptor_close(&ac);
	fx_close(&f);
}

/* Connection.Shutdown: queued data first, then SHUTDOWN; the host's RST
 * completes it and the Connection channel closes. */
static void guest_shutdown(void **state)
{
	fx_t f;
	acceptor_t ac;
	size_t n;
	int i, s;

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	host_connects(&f, &ac, 1234);
	ASSERT_OK(zx_socket_write(ac.conns[0].sock, 0, "last", 4, &n));
	ASSERT_OK(fuchsia_vsock_ConnectionShutdown(
	    cfidl_client_channel(ac.conns[0].con)));
	s = wait_pkt(&f, 0, CFV_OP_SHUTDOWN);
	assert_true(s >= 0);
	assert_int_equal(f.host.rx[s].hdr.flags & CFV_SHUTDOWN_BOTH,
	                 CFV_SHUTDOWN_BOTH);
	i = host_find(&f.host, 0, CFV_OP_RW);
	assert_true(i >= 0 && i < s); /* the data went before the SHUTDOWN */
	assert_int_equal(f.host.rw_bytes, 4);
	assert_false(ac.conns[0].con_failed);
	/* Later sends fail. */
	assert_int_not_equal(
	    zx_socket_write(ac.conns[0].sock, 0, "more", 4, &n), ZX_OK);
	host_send(&f.host, CFV_OP_RST, GUEST_CID, 1234, 5000, 0, NULL, 0);
	assert_true(vt_run_until_flag(f.loop, &ac.conns[0].con_failed));
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	acceptor_close(&ac);
	fx_close(&f);
}

/* The socket is the connection's life: the app closing it shuts the
 * connection down (SHUTDOWN both ways), the host's RST ends it. */
static void app_close_socket_ends_connection(void **state)
{
	fx_t f;
	acceptor_t ac;
	int s;

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	host_connects(&f, &ac, 1234);
	zx_handle_close(ac.conns[0].sock);
	ac.conns[0].sock = ZX_HANDLE_INVALID;
	s = wait_pkt(&f, 0, CFV_OP_SHUTDOWN);
	assert_true(s >= 0);
	assert_int_equal(f.host.rx[s].hdr.flags, CFV_SHUTDOWN_BOTH);
	/* A Shutdown now changes nothing: the Device is shutting down. */
	ASSERT_OK(fuchsia_vsock_ConnectionShutdown(
	    cfidl_client_channel(ac.conns[0].con)));
	vt_settle(f.loop);
	assert_int_equal(cfv_service_connection_count(f.svc), 1);
	assert_false(ac.conns[0].con_failed);
	host_send(&f.host, CFV_OP_RST, GUEST_CID, 1234, 5000, 0, NULL, 0);
	assert_true(vt_run_until_flag(f.loop, &ac.conns[0].con_failed));
	assert_int_equal(ac.conns[0].con_error, ZX_ERR_PEER_CLOSED);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	acceptor_close(&ac);
	fx_close(&f);
}

/* The host half-closes (SHUTDOWN SEND): Callbacks.Shutdown, the app reads
 * EOF but may still write; the connection lives on. */
static void host_half_close(void **state)
{
	fx_t f;
	acceptor_t ac;
	char buf[8];
	size_t n = 0;
	zx_status_t st;
	zx_time_t deadline;

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	host_connects(&f, &ac, 1234);
	host_send(&f.host, CFV_OP_RW, GUEST_CID, 1234, 5000, 0, "bye", 3);
	host_send(&f.host, CFV_OP_SHUTDOWN, GUEST_CID, 1234, 5000,
	          CFV_SHUTDOWN_SEND, NULL, 0);
	app_read(&f, ac.conns[0].sock, buf, 3);
	assert_memory_equal(buf, "bye", 3);
	deadline = zx_deadline_after(ZX_SEC(5));
	while ((st = zx_socket_read(ac.conns[0].sock, 0, buf, sizeof(buf),
	                            &n)) == ZX_ERR_SHOULD_WAIT) {
		assert_true(zx_clock_get_monotonic() < deadline);
		cfidl_loop_run(f.loop, zx_deadline_after(ZX_MSEC(20)), true);
	}
	assert_int_not_equal(st, ZX_OK); /* EOF */
	ASSERT_OK(zx_socket_write(ac.conns[0].sock, 0, "ok", 2, &n));
	assert_true(wait_pkt(&f, 0, CFV_OP_RW) >= 0);
	vt_settle(f.loop);
	assert_int_equal(f.host.rw_bytes, 2);
	assert_int_equal(cfv_service_connection_count(f.svc), 1);
	assert_false(ac.conns[0].con_failed);
	acceptor_close(&ac);
	fx_close(&f);
}

/* SendVmo: the VMO's bytes go out as RW; the reply comes after. */
static void guest_send_vmo(void **state)
{
	fx_t f;
	acceptor_t ac;
	zx_handle_t vmo;
	reply_t r = {0};

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	host_connects(&f, &ac, 1234);
	ASSERT_OK(zx_vmo_create(4096, 0, &vmo));
	ASSERT_OK(zx_vmo_write(vmo, "xxvmo-bytes", 0, 11));
	ASSERT_OK(fuchsia_vsock_ConnectionSendVmo_async(ac.conns[0].con, vmo, 2,
	                                                9, on_send_vmo, &r));
	assert_true(vt_run_until_flag(f.loop, &r.done));
	assert_int_equal(r.value, ZX_OK);
	vt_settle(f.loop);
	assert_int_equal(f.host.rw_bytes, 9);
	assert_memory_equal(f.host.rw, "vmo-bytes", 9);
	acceptor_close(&ac);
	fx_close(&f);
}

/* TransportReset: connections drop without packets, listeners stay, the
 * new CID is used on the wire. */
static void transport_reset(void **state)
{
	fx_t f;
	acceptor_t ac;
	int at, i;

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	host_connects(&f, &ac, 1234);
	at = f.host.nrx;
	cfv_device_transport_reset(f.dev, 9);
	assert_true(vt_run_until_flag(f.loop, &ac.conns[0].con_failed));
	vt_settle(f.loop);
	assert_int_equal(ac.conns[0].con_error, ZX_ERR_CONNECTION_RESET);
	assert_int_equal(cfv_service_cid(f.svc), 9);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	assert_int_equal(f.host.nrx, at); /* nothing on the wire */
	host_send(&f.host, CFV_OP_REQUEST, 9, 1300, 5000, 0, NULL, 0);
	i = wait_pkt(&f, at, CFV_OP_RESPONSE);
	assert_true(i >= 0);
	assert_int_equal(f.host.rx[i].hdr.src_cid, 9);
	acceptor_close(&ac);
	fx_close(&f);
}

/* One Device channel at a time; the device stops when it closes. */
static void device_bind_once(void **state)
{
	fx_t f;
	zx_handle_t c, s;

	(void)state;
	fx_open(&f);
	ASSERT_OK(zx_channel_create(0, &c, &s));
	assert_int_equal(cfv_device_bind(f.dev, s), ZX_ERR_ALREADY_BOUND);
	zx_handle_close(c);
	/* The service goes: a REQUEST now gets RST from the device itself. */
	cfv_service_destroy(f.svc);
	f.svc = NULL;
	vt_settle(f.loop);
	host_send(&f.host, CFV_OP_REQUEST, GUEST_CID, 1234, 5000, 0, NULL, 0);
	assert_true(wait_pkt(&f, 0, CFV_OP_RST) >= 0);
	/* And a new Device channel may be bound. */
	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_OK(cfv_device_bind(f.dev, s));
	zx_handle_close(c);
	fx_close(&f);
}

/* A burst of REQUESTs larger than a channel holds: every one reaches the
 * Acceptor, in order, and every one gets its answer on the wire. */
static void request_burst(void **state)
{
	enum { N = 3000 };
	fx_t f;
	acceptor_t ac;
	zx_time_t deadline;
	int rst = 0;

	(void)state;
	fx_open(&f);
	app_listen(&f, &ac, 5000);
	ac.reject = true;
	for (uint32_t i = 0; i < N; i++)
		host_send(&f.host, CFV_OP_REQUEST, GUEST_CID, 10000 + i, 5000,
		          0, NULL, 0);
	deadline = zx_deadline_after(ZX_SEC(15));
	while (ac.calls < N && zx_clock_get_monotonic() < deadline)
		cfidl_loop_run(f.loop, zx_deadline_after(ZX_MSEC(20)), true);
	vt_settle(f.loop);
	assert_int_equal(ac.calls, N);
	assert_int_equal(ac.addr.remote_port,
	                 10000 + N - 1); /* the last came last */
	for (int i = 0; i < f.host.nrx; i++)
		rst += f.host.rx[i].hdr.op == CFV_OP_RST;
	cfv_engine_stats_t st;
	cfv_device_get_stats(f.dev, &st);
	assert_int_equal(st.rst_sent, N);
	assert_int_equal(st.connections, 0);
	assert_int_equal(cfv_service_connection_count(f.svc), 0);
	(void)rst;
	acceptor_close(&ac);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(host_request_accepted),
	    RT_TEST(host_request_no_listener),
	    RT_TEST(guest_connect),
	    RT_TEST(guest_connect_refused),
	    RT_TEST(host_rst_closes),
	    RT_TEST(guest_shutdown),
	    RT_TEST(guest_send_vmo),
	    RT_TEST(transport_reset),
	    RT_TEST(device_bind_once),
	    RT_TEST(request_burst),
	    RT_TEST(app_close_socket_ends_connection),
	    RT_TEST(host_half_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
