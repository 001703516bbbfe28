/*
 * test_engine: two connection engines over an in-process transport pair
 * on one loop (and one engine against a raw peer that speaks packets by
 * hand): connect/accept/reject, data both ways, credit stalls and
 * overruns, half-close, clean and forced close, RST rules, forged CIDs,
 * SendVmo, reset_all and the memory of idle connections.
 */
#include <malloc.h>
#include <string.h>

#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#include "eng_test.h"
#include "engine.h"
#include "transport_ring.h" /* to corrupt a ring on purpose */

#define CID_A 3u /* the "guest" */
#define CID_B 2u /* the "host" */
#define MAXC  256

struct side {
	cfv_engine_t *e;
	int requests, connected, closed, shutdowns, vmo_dones;
	cfv_key_t req_key, closed_key;
	zx_status_t reason, vmo_status;
	uint32_t shut_flags;
	int mode;                   /* 0 accept, 1 reject, 2 leave pending */
	zx_handle_t accepted[MAXC]; /* app ends of accepted connections */
	int naccepted;
	/* Connect again on the closed key from on_closed (a service that
	 * reuses the lowest freed port at once). */
	bool reconnect;
	zx_handle_t re_app;
	zx_status_t re_st;
};

struct fx {
	cfidl_loop_t *loop;
	cfv_transport_t *ta, *tb;
	struct side a, b;
	/* raw peer in place of engine b */
	bool raw;
	cfv_hdr_t rx[64];
	int nrx;
};

static void on_request(void *ctx, const cfv_key_t *key)
{
	struct side *s = ctx;
	zx_handle_t app, eng;

	s->requests++;
	s->req_key = *key;
	if (s->mode == 1) {
		ASSERT_OK(cfv_engine_reject(s->e, key));
		return;
	}
	if (s->mode == 2)
		return;
	ASSERT_OK(zx_socket_create(0, &app, &eng));
	ASSERT_OK(cfv_engine_accept(s->e, key, eng));
	assert_true(s->naccepted < MAXC);
	s->accepted[s->naccepted++] = app;
}

static void on_connected(void *ctx, const cfv_key_t *key)
{
	struct side *s = ctx;

	(void)key;
	s->connected++;
}

static void on_shutdown(void *ctx, const cfv_key_t *key, uint32_t flags)
{
	struct side *s = ctx;

	(void)key;
	s->shutdowns++;
	s->shut_flags |= flags;
}

static void on_closed(void *ctx, const cfv_key_t *key, zx_status_t reason)
{
	struct side *s = ctx;

	s->closed++;
	s->closed_key = *key;
	s->reason = reason;
	if (s->reconnect) {
		zx_handle_t eng;

		s->reconnect = false;
		ASSERT_OK(zx_socket_create(0, &s->re_app, &eng));
		s->re_st = cfv_engine_connect(s->e, key, eng);
	}
}

static void on_vmo_done(void *ctx, const cfv_key_t *key, zx_status_t st)
{
	struct side *s = ctx;

	(void)key;
	s->vmo_dones++;
	s->vmo_status = st;
}

static const cfv_engine_handlers_t handlers = {
    on_request, on_connected, on_shutdown, on_closed, on_vmo_done,
};

static void raw_packet(void *ctx, const cfv_hdr_t *h, const void *payload)
{
	struct fx *f = ctx;

	(void)payload;
	if (f->nrx < 64)
		f->rx[f->nrx++] = *h;
}

static void raw_writable(void *ctx)
{
	(void)ctx;
}

static void fx_init_cfg(struct fx *f, const cfv_engine_config_t *cfg_a,
                        bool raw)
{
	cfv_engine_config_t cb;

	memset(f, 0, sizeof(*f));
	f->raw = raw;
	ASSERT_OK(cfidl_loop_create(&f->loop));
	ASSERT_OK(cfv_transport_pair_create(f->loop, 0, &f->ta, &f->tb));
	ASSERT_OK(cfv_engine_create(f->loop, f->ta, CID_A, cfg_a, &handlers,
	                            &f->a, &f->a.e));
	if (raw) {
		cfv_transport_handlers_t th = {raw_packet, raw_writable, NULL};

		cfv_transport_set_handlers(f->tb, &th, f);
		return;
	}
	cfv_engine_config_init(&cb);
	cb.peer_cid = CID_A;
	ASSERT_OK(cfv_engine_create(f->loop, f->tb, CID_B, &cb, &handlers,
	                            &f->b, &f->b.e));
}

static void fx_init(struct fx *f)
{
	cfv_engine_config_t ca;

	cfv_engine_config_init(&ca);
	ca.peer_cid = CID_B;
	fx_init_cfg(f, &ca, false);
}

static void side_fini(struct side *s)
{
	cfv_engine_destroy(s->e);
	for (int i = 0; i < s->naccepted; i++)
		zx_handle_close(s->accepted[i]);
}

static void fx_fini(struct fx *f)
{
	side_fini(&f->a);
	side_fini(&f->b);
	cfv_transport_destroy(f->ta);
	cfv_transport_destroy(f->tb);
	cfidl_loop_destroy(f->loop);
}

static cfv_key_t key_a(uint32_t local_port, uint32_t remote_port)
{
	cfv_key_t k = {local_port, CID_B, remote_port};

	return k;
}

static struct fx *g_f;
static int g_want;

static bool b_accepted(void *arg)
{
	struct fx *f = arg;

	return f->b.naccepted >= g_want && f->a.connected >= g_want;
}

/* Connects a (port lp) to b (port rp); returns a's app end. */
static zx_handle_t connect_one(struct fx *f, uint32_t lp, uint32_t rp)
{
	zx_handle_t app, eng;
	cfv_key_t k = key_a(lp, rp);

	ASSERT_OK(zx_socket_create(0, &app, &eng));
	ASSERT_OK(cfv_engine_connect(f->a.e, &k, eng));
	g_want = f->b.naccepted + 1;
	assert_true(vt_run_until(f->loop, b_accepted, f, ZX_MSEC(2000)));
	return app;
}

/* ---- streams: write a pattern on one end, check it on the other ---- */

struct stream {
	zx_handle_t w, r;
	uint32_t seed;
	uint64_t total, sent, got;
	bool bad;
	bool shut_after; /* disable writing when all sent */
};

static void stream_step(struct stream *s)
{
	uint8_t buf[65536];

	while (s->sent < s->total) {
		size_t n = s->total - s->sent < sizeof(buf)
		               ? (size_t)(s->total - s->sent)
		               : sizeof(buf);
		size_t w = 0;

		for (size_t i = 0; i < n; i++)
			buf[i] = et_byte(s->seed, s->sent + i);
		if (zx_socket_write(s->w, 0, buf, n, &w) != ZX_OK)
			break;
		s->sent += w;
		if (s->sent == s->total && s->shut_after)
			ASSERT_OK(zx_socket_set_disposition(
			    s->w, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0));
	}
	for (;;) {
		size_t n = 0;

		if (s->r == ZX_HANDLE_INVALID ||
		    zx_socket_read(s->r, 0, buf, sizeof(buf), &n) != ZX_OK)
			break;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != et_byte(s->seed, s->got + i))
				s->bad = true;
		s->got += n;
	}
}

struct streams {
	struct fx *f;
	struct stream *s;
	int n;
};

static bool streams_done(void *arg)
{
	struct streams *ss = arg;
	bool done = true;

	for (int i = 0; i < ss->n; i++) {
		stream_step(&ss->s[i]);
		if (ss->s[i].got < ss->s[i].total)
			done = false;
	}
	return done;
}

static bool run_streams(struct fx *f, struct stream *s, int n, int ms)
{
	struct streams ss = {f, s, n};
	bool ok = vt_run_until(f->loop, streams_done, &ss, ZX_MSEC(ms));

	for (int i = 0; !ok && i < n; i++)
		print_message("# stream %d: sent %llu got %llu of %llu\n", i,
		              (unsigned long long)s[i].sent,
		              (unsigned long long)s[i].got,
		              (unsigned long long)s[i].total);
	return ok;
}

/* ---- tests ---- */

static bool closed_both(void *arg)
{
	struct fx *f = arg;

	return f->a.closed >= g_want && f->b.closed >= g_want;
}

static void test_connect_data_close(void **state)
{
	struct fx f;
	zx_handle_t app_a, app_b;
	struct stream s[2];
	cfv_engine_stats_t st;

	(void)state;
	fx_init(&f);
	app_a = connect_one(&f, 50000, 80);
	app_b = f.b.accepted[0];
	assert_int_equal(f.b.requests, 1);
	assert_int_equal(f.b.req_key.local_port, 80);
	assert_int_equal(f.b.req_key.remote_cid, CID_A);
	assert_int_equal(f.b.req_key.remote_port, 50000);
	memset(s, 0, sizeof(s));
	s[0] = (struct stream){
	    .w = app_a, .r = app_b, .seed = 1, .total = 6u << 20};
	s[1] = (struct stream){
	    .w = app_b, .r = app_a, .seed = 2, .total = 5u << 20};
	assert_true(run_streams(&f, s, 2, 15000));
	assert_false(s[0].bad);
	assert_false(s[1].bad);
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.bytes_sent, 6u << 20);
	assert_int_equal(st.bytes_received, 5u << 20);
	assert_true(st.credit_updates_sent > 0);
	/* The app closes: SHUTDOWN, the peer answers RST, both clean. */
	zx_handle_close(app_a);
	g_want = 1;
	assert_true(vt_run_until(f.loop, closed_both, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_OK);
	assert_int_equal(f.b.reason, ZX_OK);
	assert_int_equal(f.b.shut_flags, CFV_SHUTDOWN_BOTH);
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.connections, 0);
	assert_int_equal(st.rst_received, 1);
	assert_int_equal(st.rst_sent, 0);
	cfv_engine_get_stats(f.b.e, &st);
	assert_int_equal(st.rst_sent, 1);
	/* b's app reads EOF. */
	{
		char c;
		size_t n;

		ASSERT_ST(zx_socket_read(app_b, 0, &c, 1, &n),
		          ZX_ERR_PEER_CLOSED);
	}
	fx_fini(&f);
}

static bool reconnected(void *arg)
{
	struct fx *f = arg;

	return f->a.connected >= 2 || f->a.closed >= 2;
}

/*
 * Both apps close at once, so both sides send SHUTDOWN and each answers
 * the other's with RST.  The side that connected reuses the key the
 * moment its connection ends: the peer's RST to the old connection must
 * not refuse the new one.
 */
static void test_simultaneous_close_reuse(void **state)
{
	struct fx f;
	zx_handle_t app_a;
	cfv_engine_stats_t st;

	(void)state;
	fx_init(&f);
	app_a = connect_one(&f, 50000, 80);
	f.a.reconnect = true;
	ASSERT_OK(zx_handle_close(app_a));
	ASSERT_OK(zx_handle_close(f.b.accepted[0]));
	f.b.accepted[0] = ZX_HANDLE_INVALID;
	assert_true(vt_run_until(f.loop, reconnected, &f, ZX_MSEC(2000)));
	ASSERT_OK(f.a.re_st);
	/* The old connection ended cleanly, the new one is up. */
	assert_int_equal(f.a.closed, 1);
	assert_int_equal(f.a.reason, ZX_OK);
	assert_int_equal(f.a.connected, 2);
	assert_int_equal(f.b.requests, 2);
	assert_int_equal(f.b.closed, 1);
	assert_int_equal(f.b.reason, ZX_OK);
	/* Each side sent one RST, to the old connection only. */
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.rst_sent, 1);
	assert_int_equal(st.connections, 1);
	cfv_engine_get_stats(f.b.e, &st);
	assert_int_equal(st.rst_sent, 1);
	assert_int_equal(st.connections, 1);
	ASSERT_OK(zx_handle_close(f.a.re_app));
	fx_fini(&f);
}

static bool a_closed(void *arg)
{
	return ((struct fx *)arg)->a.closed >= g_want;
}

static void test_reject(void **state)
{
	struct fx f;
	zx_handle_t app, eng;
	cfv_key_t k = key_a(50001, 81);
	cfv_engine_stats_t st;

	(void)state;
	fx_init(&f);
	f.b.mode = 1;
	ASSERT_OK(zx_socket_create(0, &app, &eng));
	ASSERT_OK(cfv_engine_connect(f.a.e, &k, eng));
	/* Same key again: in use (and the socket is taken over anyway). */
	{
		zx_handle_t x, y;
		zx_signals_t obs = 0;

		ASSERT_OK(zx_socket_create(0, &x, &y));
		ASSERT_ST(cfv_engine_connect(f.a.e, &k, y),
		          ZX_ERR_ALREADY_EXISTS);
		zx_object_wait_one(x, ZX_SOCKET_PEER_CLOSED, 0, &obs);
		assert_true(obs & ZX_SOCKET_PEER_CLOSED);
		zx_handle_close(x);
	}
	g_want = 1;
	assert_true(vt_run_until(f.loop, a_closed, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_ERR_CONNECTION_REFUSED);
	assert_int_equal(f.a.connected, 0);
	assert_true(cfv_key_equal(&f.a.closed_key, &k));
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.connections, 0);
	/* The engine closed its end: the app sees the peer gone. */
	{
		zx_signals_t obs = 0;

		zx_object_wait_one(app, ZX_SOCKET_PEER_CLOSED, 0, &obs);
		assert_true(obs & ZX_SOCKET_PEER_CLOSED);
	}
	zx_handle_close(app);
	/* accept/reject of a key that is not pending. */
	ASSERT_ST(cfv_engine_reject(f.b.e, &k), ZX_ERR_NOT_FOUND);
	ASSERT_OK(zx_socket_create(0, &app, &eng));
	zx_handle_close(app);
	ASSERT_ST(cfv_engine_accept(f.b.e, &k, eng), ZX_ERR_NOT_FOUND);
	fx_fini(&f);
}

static void test_accept_later(void **state)
{
	struct fx f;
	zx_handle_t app, eng, app_b, eng_b;
	cfv_key_t k = key_a(50002, 82), kb = {82, CID_A, 50002};

	(void)state;
	fx_init(&f);
	f.b.mode = 2;
	ASSERT_OK(zx_socket_create(0, &app, &eng));
	ASSERT_OK(cfv_engine_connect(f.a.e, &k, eng));
	vt_run_for(f.loop, ZX_MSEC(30));
	assert_int_equal(f.b.requests, 1);
	assert_int_equal(f.a.connected, 0);
	ASSERT_OK(zx_socket_create(0, &app_b, &eng_b));
	ASSERT_OK(cfv_engine_accept(f.b.e, &kb, eng_b));
	vt_run_for(f.loop, ZX_MSEC(30));
	assert_int_equal(f.a.connected, 1);
	/* Accepting again: not pending any more. */
	{
		zx_handle_t x, y;

		ASSERT_OK(zx_socket_create(0, &x, &y));
		zx_handle_close(x);
		ASSERT_ST(cfv_engine_accept(f.b.e, &kb, y), ZX_ERR_BAD_STATE);
	}
	zx_handle_close(app);
	zx_handle_close(app_b);
	fx_fini(&f);
}

static void test_two_way_many(void **state)
{
	struct fx f;
	struct stream s[8];
	zx_handle_t apps[4];

	(void)state;
	fx_init(&f);
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 4; i++) {
		apps[i] = connect_one(&f, 50010 + (uint32_t)i, 90);
		s[2 * i] = (struct stream){.w = apps[i],
		                           .r = f.b.accepted[i],
		                           .seed = 10u + (uint32_t)i,
		                           .total = 1u << 20};
		s[2 * i + 1] = (struct stream){.w = f.b.accepted[i],
		                               .r = apps[i],
		                               .seed = 20u + (uint32_t)i,
		                               .total = 1u << 20};
	}
	assert_true(run_streams(&f, s, 8, 15000));
	for (int i = 0; i < 8; i++)
		assert_false(s[i].bad);
	for (int i = 0; i < 4; i++)
		zx_handle_close(apps[i]);
	g_want = 4;
	assert_true(vt_run_until(f.loop, closed_both, &f, ZX_MSEC(2000)));
	fx_fini(&f);
}

/* An app that never reads stalls only its own connection. */
static void test_stall_isolated(void **state)
{
	struct fx f;
	zx_handle_t a1, a2;
	struct stream s;
	uint8_t buf[65536];
	uint64_t stuck = 0;
	cfv_engine_stats_t st;

	(void)state;
	fx_init(&f);
	a1 = connect_one(&f, 50020, 100);
	a2 = connect_one(&f, 50021, 101);
	memset(buf, 7, sizeof(buf));
	/* Fill connection 1: its reader (b.accepted[0]) never reads. */
	for (int round = 0; round < 50; round++) {
		size_t w = 0;

		while (zx_socket_write(a1, 0, buf, sizeof(buf), &w) == ZX_OK)
			stuck += w;
		vt_run_for(f.loop, ZX_MSEC(5));
	}
	cfv_engine_get_stats(f.a.e, &st);
	assert_true(stuck > 256u * 1024u);
	/* Connection 2 keeps moving. */
	memset(&s, 0, sizeof(s));
	s = (struct stream){
	    .w = a2, .r = f.b.accepted[1], .seed = 3, .total = 4u << 20};
	assert_true(run_streams(&f, &s, 1, 10000));
	assert_false(s.bad);
	/* Bounded: what b's socket holds plus at most one buf_alloc (256
	 * KiB) inside the engine; nothing was dropped, nothing beyond. */
	{
		uint64_t queued = 0;
		size_t n;
		cfv_engine_stats_t sb;

		while (zx_socket_read(f.b.accepted[0], 0, buf, sizeof(buf),
		                      &n) == ZX_OK)
			queued += n;
		cfv_engine_get_stats(f.b.e, &sb);
		assert_true(st.bytes_sent >= queued);
		assert_true(st.bytes_sent - queued <= 256u * 1024u);
		assert_int_equal(sb.credit_overruns, 0);
	}
	zx_handle_close(a1);
	zx_handle_close(a2);
	fx_fini(&f);
}

/* A packet for a key nobody knows gets RST; an RST never gets one. */
static void test_unknown_and_rst_rules(void **state)
{
	struct fx f;
	cfv_key_t k = key_a(50030, 110);
	cfv_engine_stats_t sa, sb;

	(void)state;
	fx_init(&f);
	ASSERT_OK(cfv_engine_send_control(f.a.e, &k, CFV_OP_CREDIT_REQUEST, 0));
	vt_run_for(f.loop, ZX_MSEC(30));
	cfv_engine_get_stats(f.a.e, &sa);
	cfv_engine_get_stats(f.b.e, &sb);
	assert_int_equal(sb.rst_sent, 1);
	assert_int_equal(sa.rst_received, 1);
	assert_int_equal(sa.rst_sent, 0); /* not answered */
	/* A spurious RST: nobody answers. */
	ASSERT_OK(cfv_engine_send_control(f.a.e, &k, CFV_OP_RST, 0));
	vt_run_for(f.loop, ZX_MSEC(30));
	cfv_engine_get_stats(f.a.e, &sa);
	cfv_engine_get_stats(f.b.e, &sb);
	assert_int_equal(sb.rst_received, 1);
	assert_int_equal(sb.rst_sent, 1);
	assert_int_equal(sa.rst_received, 1);
	assert_int_equal(sb.connections, 0);
	fx_fini(&f);
}

/* Packets whose src_cid is not the configured peer are dropped. */
static void test_forged_cid(void **state)
{
	struct fx f;
	cfv_key_t k = key_a(50040, 120);
	cfv_engine_stats_t sb;

	(void)state;
	fx_init(&f);
	cfv_engine_set_local_cid(f.a.e, 7); /* a now lies about its CID */
	ASSERT_OK(cfv_engine_send_control(f.a.e, &k, CFV_OP_REQUEST, 0));
	vt_run_for(f.loop, ZX_MSEC(30));
	cfv_engine_get_stats(f.b.e, &sb);
	assert_int_equal(sb.forged_dropped, 1);
	assert_int_equal(sb.rst_sent, 0);
	assert_int_equal(f.b.requests, 0);
	fx_fini(&f);
}

static void test_half_close_both_ways(void **state)
{
	struct fx f;
	zx_handle_t app_a, app_b;
	struct stream s[2];

	(void)state;
	fx_init(&f);
	app_a = connect_one(&f, 50050, 130);
	app_b = f.b.accepted[0];
	/* a sends 1 MiB then SHUT_WR; b keeps sending 2 MiB after. */
	memset(s, 0, sizeof(s));
	s[0] = (struct stream){.w = app_a,
	                       .r = app_b,
	                       .seed = 5,
	                       .total = 1u << 20,
	                       .shut_after = true};
	s[1] = (struct stream){
	    .w = app_b, .r = ZX_HANDLE_INVALID, .seed = 6, .total = 0};
	assert_true(run_streams(&f, s, 1, 10000));
	assert_false(s[0].bad);
	vt_run_for(f.loop, ZX_MSEC(20));
	{
		char c;
		size_t n;

		/* b reads EOF, a got nothing closed. */
		ASSERT_ST(zx_socket_read(app_b, 0, &c, 1, &n),
		          ZX_ERR_PEER_CLOSED);
		assert_int_equal(f.b.shut_flags, CFV_SHUTDOWN_SEND);
		assert_int_equal(f.a.closed + f.b.closed, 0);
	}
	s[1] = (struct stream){.w = app_b,
	                       .r = app_a,
	                       .seed = 6,
	                       .total = 2u << 20,
	                       .shut_after = true};
	assert_true(run_streams(&f, &s[1], 1, 10000));
	assert_false(s[1].bad);
	vt_run_for(f.loop, ZX_MSEC(20));
	{
		char c;
		size_t n;

		ASSERT_ST(zx_socket_read(app_a, 0, &c, 1, &n),
		          ZX_ERR_PEER_CLOSED);
		assert_int_equal(f.a.shut_flags & CFV_SHUTDOWN_SEND,
		                 CFV_SHUTDOWN_SEND);
	}
	/* Both shut their writes: the connection ends clean. */
	g_want = 1;
	assert_true(vt_run_until(f.loop, closed_both, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_OK);
	assert_int_equal(f.b.reason, ZX_OK);
	zx_handle_close(app_a);
	fx_fini(&f);
}

/* Raw peer: accept our REQUEST by hand. */
static cfv_hdr_t raw_hdr(uint16_t op, const cfv_key_t *ka, uint32_t len,
                         uint32_t buf_alloc, uint32_t fwd_cnt)
{
	cfv_hdr_t h;

	memset(&h, 0, sizeof(h));
	h.src_cid = CID_B;
	h.dst_cid = CID_A;
	h.src_port = ka->remote_port;
	h.dst_port = ka->local_port;
	h.len = len;
	h.type = CFV_TYPE_STREAM;
	h.op = op;
	h.buf_alloc = buf_alloc;
	h.fwd_cnt = fwd_cnt;
	return h;
}

static int count_op(struct fx *f, uint16_t op)
{
	int n = 0;

	for (int i = 0; i < f->nrx; i++)
		n += f->rx[i].op == op;
	return n;
}

static zx_handle_t raw_connected(struct fx *f, const cfv_key_t *k)
{
	zx_handle_t app, eng;
	cfv_hdr_t h;

	ASSERT_OK(zx_socket_create(0, &app, &eng));
	ASSERT_OK(cfv_engine_connect(f->a.e, k, eng));
	vt_run_for(f->loop, ZX_MSEC(20));
	assert_int_equal(count_op(f, CFV_OP_REQUEST), 1);
	h = raw_hdr(CFV_OP_RESPONSE, k, 0, 65536, 0);
	ASSERT_OK(cfv_transport_send(f->tb, &h, NULL, 0));
	vt_run_for(f->loop, ZX_MSEC(20));
	assert_int_equal(f->a.connected, 1);
	return app;
}

static void test_credit_overrun_rst(void **state)
{
	struct fx f;
	cfv_engine_config_t ca;
	cfv_key_t k = key_a(50060, 140);
	zx_handle_t app;
	static uint8_t data[40000];
	struct iovec iov = {data, sizeof(data)};
	cfv_hdr_t h;
	cfv_engine_stats_t st;

	(void)state;
	cfv_engine_config_init(&ca);
	ca.buf_alloc = 65536;
	fx_init_cfg(&f, &ca, true);
	app = raw_connected(&f, &k);
	assert_int_equal(f.rx[0].buf_alloc, 65536);
	/* Within credit: taken. */
	h = raw_hdr(CFV_OP_RW, &k, sizeof(data), 65536, 0);
	ASSERT_OK(cfv_transport_send(f.tb, &h, &iov, 1));
	vt_run_for(f.loop, ZX_MSEC(20));
	assert_int_equal(f.a.closed, 0);
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.bytes_received, sizeof(data));
	fx_fini(&f);
	zx_handle_close(app);

	/* Now with the app's socket full: the rest must stay within credit. */
	fx_init_cfg(&f, &ca, true);
	app = raw_connected(&f, &k);
	{
		uint32_t sent = 0;
		int i;

		for (i = 0; i < 200 && f.a.closed == 0; i++) {
			h = raw_hdr(CFV_OP_RW, &k, sizeof(data), 65536, 0);
			ASSERT_OK(cfv_transport_send(f.tb, &h, &iov, 1));
			sent += sizeof(data);
			vt_run_for(f.loop, ZX_MSEC(2));
		}
		assert_int_equal(f.a.closed, 1);
		assert_int_equal(f.a.reason, ZX_ERR_CONNECTION_RESET);
		cfv_engine_get_stats(f.a.e, &st);
		assert_int_equal(st.credit_overruns, 1);
		assert_int_equal(st.rst_sent, 1);
		assert_int_equal(count_op(&f, CFV_OP_RST), 1);
		/* Held: what the socket took plus at most buf_alloc. */
		assert_true(sent > 65536);
	}
	zx_handle_close(app);
	fx_fini(&f);
}

static void test_close_timeout(void **state)
{
	struct fx f;
	cfv_engine_config_t ca;
	cfv_key_t k = key_a(50070, 150);
	zx_handle_t app;
	zx_time_t t0;

	(void)state;
	cfv_engine_config_init(&ca);
	ca.close_timeout = ZX_MSEC(100);
	fx_init_cfg(&f, &ca, true);
	app = raw_connected(&f, &k);
	t0 = zx_clock_get_monotonic();
	zx_handle_close(app);
	vt_run_for(f.loop, ZX_MSEC(30));
	assert_int_equal(count_op(&f, CFV_OP_SHUTDOWN), 1);
	assert_int_equal(f.rx[f.nrx - 1].flags, CFV_SHUTDOWN_BOTH);
	assert_int_equal(f.a.closed, 0);
	g_want = 1;
	assert_true(vt_run_until(f.loop, a_closed, &f, ZX_MSEC(2000)));
	assert_true(zx_clock_get_monotonic() - t0 >= ZX_MSEC(90));
	assert_int_equal(f.a.reason, ZX_ERR_TIMED_OUT);
	vt_run_for(f.loop, ZX_MSEC(20));
	assert_int_equal(count_op(&f, CFV_OP_RST), 1); /* forced: RST */
	fx_fini(&f);
}

static void test_rst_on_established(void **state)
{
	struct fx f;
	cfv_key_t k = key_a(50080, 160);
	zx_handle_t app;
	cfv_hdr_t h;
	cfv_engine_stats_t st;

	(void)state;
	fx_init_cfg(&f, NULL, true);
	app = raw_connected(&f, &k);
	h = raw_hdr(CFV_OP_RST, &k, 0, 65536, 0);
	ASSERT_OK(cfv_transport_send(f.tb, &h, NULL, 0));
	g_want = 1;
	assert_true(vt_run_until(f.loop, a_closed, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_ERR_CONNECTION_RESET);
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.rst_sent, 0);
	assert_int_equal(count_op(&f, CFV_OP_RST), 0);
	zx_handle_close(app);
	fx_fini(&f);
}

/* Credit from the peer is honoured, including a shrinking buf_alloc. */
static void test_peer_credit_limits(void **state)
{
	struct fx f;
	cfv_key_t k = key_a(50090, 170);
	zx_handle_t app;
	static uint8_t buf[200000];
	size_t w;
	cfv_engine_stats_t st;
	cfv_hdr_t h;

	(void)state;
	fx_init_cfg(&f, NULL, true);
	app = raw_connected(&f, &k); /* peer buf_alloc 65536 */
	ASSERT_OK(zx_socket_write(app, 0, buf, sizeof(buf), &w));
	vt_run_for(f.loop, ZX_MSEC(30));
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.bytes_sent, 65536);
	/* Out of credit with data: one CREDIT_REQUEST. */
	assert_int_equal(count_op(&f, CFV_OP_CREDIT_REQUEST), 1);
	/* The peer consumed 32 KiB but shrank its buffer to 16 KiB: nothing
	 * may be sent (in flight 32 KiB > 16 KiB). */
	h = raw_hdr(CFV_OP_CREDIT_UPDATE, &k, 0, 16384, 32768);
	ASSERT_OK(cfv_transport_send(f.tb, &h, NULL, 0));
	vt_run_for(f.loop, ZX_MSEC(30));
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.bytes_sent, 65536);
	/* Consumed everything, buffer back to 64 KiB: 64 KiB more. */
	h = raw_hdr(CFV_OP_CREDIT_UPDATE, &k, 0, 65536, 65536);
	ASSERT_OK(cfv_transport_send(f.tb, &h, NULL, 0));
	vt_run_for(f.loop, ZX_MSEC(30));
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.bytes_sent, 131072);
	/* A CREDIT_REQUEST from the peer gets a CREDIT_UPDATE. */
	f.nrx = 0;
	h = raw_hdr(CFV_OP_CREDIT_REQUEST, &k, 0, 65536, 65536);
	ASSERT_OK(cfv_transport_send(f.tb, &h, NULL, 0));
	vt_run_for(f.loop, ZX_MSEC(30));
	assert_int_equal(count_op(&f, CFV_OP_CREDIT_UPDATE), 1);
	zx_handle_close(app);
	fx_fini(&f);
}

static void test_send_vmo(void **state)
{
	struct fx f;
	zx_handle_t app_a, app_b, vmo, vmo2;
	cfv_key_t k = key_a(50100, 180);
	const uint64_t size = 3u << 20, off = 1000;
	uint8_t *src = malloc(size);
	struct stream s;

	(void)state;
	fx_init(&f);
	app_a = connect_one(&f, 50100, 180);
	app_b = f.b.accepted[0];
	for (uint64_t i = 0; i < size; i++)
		src[i] = et_byte(9, i - off);
	ASSERT_OK(zx_vmo_create(size, 0, &vmo));
	ASSERT_OK(zx_vmo_write(vmo, src, 0, size));
	ASSERT_OK(zx_vmo_create(4096, 0, &vmo2));
	ASSERT_OK(cfv_engine_send_vmo(f.a.e, &k, vmo, off, size - off - 7));
	/* A second one while the first is outstanding: BAD_STATE, consumed. */
	ASSERT_ST(cfv_engine_send_vmo(f.a.e, &k, vmo2, 0, 10),
	          ZX_ERR_BAD_STATE);
	assert_int_equal(f.a.vmo_dones, 0); /* never from inside the call */
	memset(&s, 0, sizeof(s));
	s = (struct stream){.w = ZX_HANDLE_INVALID,
	                    .r = app_b,
	                    .seed = 9,
	                    .total = size - off - 7,
	                    .sent = size - off - 7};
	assert_true(run_streams(&f, &s, 1, 10000));
	assert_false(s.bad);
	assert_int_equal(f.a.vmo_dones, 1);
	assert_int_equal(f.a.vmo_status, ZX_OK);
	/* Out of range. */
	ASSERT_OK(zx_vmo_create(4096, 0, &vmo2));
	ASSERT_ST(cfv_engine_send_vmo(f.a.e, &k, vmo2, 4000, 200),
	          ZX_ERR_OUT_OF_RANGE);
	free(src);
	zx_handle_close(app_a);
	fx_fini(&f);
}

static void test_reset_all(void **state)
{
	struct fx f;
	zx_handle_t apps[3];
	cfv_engine_stats_t st;

	(void)state;
	fx_init(&f);
	for (int i = 0; i < 3; i++)
		apps[i] = connect_one(&f, 50110 + (uint32_t)i, 190);
	cfv_engine_reset_all(f.a.e);
	assert_int_equal(f.a.closed, 3);
	assert_int_equal(f.a.reason, ZX_ERR_CANCELED);
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.connections, 0);
	assert_int_equal(st.rst_sent, 0);
	for (int i = 0; i < 3; i++) {
		zx_signals_t obs = 0;

		zx_object_wait_one(apps[i], ZX_SOCKET_PEER_CLOSED, 0, &obs);
		assert_true(obs & ZX_SOCKET_PEER_CLOSED);
		zx_handle_close(apps[i]);
	}
	fx_fini(&f);
}

static void test_idle_memory(void **state)
{
	struct fx f;
	zx_handle_t apps[100];
	struct mallinfo2 m0, m1;
	size_t per;

	(void)state;
	assert_true(cfv_engine_idle_conn_bytes() < 1024);
	fx_init(&f);
	apps[0] = connect_one(&f, 50200, 200); /* warm up */
	m0 = mallinfo2();
	for (int i = 1; i < 100; i++)
		apps[i] = connect_one(&f, 50200 + (uint32_t)i, 200);
	m1 = mallinfo2();
	/* Both engines' records plus the runtime's two socket handles each. */
	per = (m1.uordblks - m0.uordblks) / 99;
	print_message("# idle connection: engine record %zu bytes, %zu bytes "
	              "per connection for both engines and handles\n",
	              cfv_engine_idle_conn_bytes(), per);
	assert_true(per < 4096);
	for (int i = 0; i < 100; i++)
		zx_handle_close(apps[i]);
	fx_fini(&f);
}

/* The app writes and closes at once: every byte arrives, then EOF, and
 * both sides end clean. */
static void test_close_after_write(void **state)
{
	struct fx f;
	zx_handle_t app_a, app_b;
	struct stream s;

	(void)state;
	fx_init(&f);
	app_a = connect_one(&f, 50300, 300);
	app_b = f.b.accepted[0];
	memset(&s, 0, sizeof(s));
	/* Write as much as the socket takes, then close. */
	s = (struct stream){
	    .w = app_a, .r = ZX_HANDLE_INVALID, .seed = 30, .total = 3u << 20};
	stream_step(&s);
	assert_true(s.sent > 100000);
	s.total = s.sent;
	zx_handle_close(app_a);
	vt_run_for(f.loop, ZX_MSEC(20));
	/* b's app did not read yet: the engine holds the rest for it. */
	s.r = app_b;
	assert_true(run_streams(&f, &s, 1, 5000));
	assert_false(s.bad);
	g_want = 1;
	assert_true(vt_run_until(f.loop, closed_both, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_OK);
	assert_int_equal(f.b.reason, ZX_OK);
	{
		char c;
		size_t n;

		ASSERT_ST(zx_socket_read(app_b, 0, &c, 1, &n),
		          ZX_ERR_PEER_CLOSED);
	}
	fx_fini(&f);
}

/* cfv_engine_shutdown: SEND (queued data first), then RCV. */
static void test_engine_shutdown(void **state)
{
	struct fx f;
	zx_handle_t app_a, app_b;
	cfv_key_t k = key_a(50310, 310), none = key_a(1, 1);
	struct stream s;
	size_t n;
	char c = 'x';

	(void)state;
	fx_init(&f);
	ASSERT_ST(cfv_engine_shutdown(f.a.e, &none, CFV_SHUTDOWN_SEND),
	          ZX_ERR_NOT_FOUND);
	app_a = connect_one(&f, 50310, 310);
	app_b = f.b.accepted[0];
	ASSERT_ST(cfv_engine_shutdown(f.a.e, &k, 0), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(cfv_engine_shutdown(f.a.e, &k, 4), ZX_ERR_INVALID_ARGS);
	memset(&s, 0, sizeof(s));
	s = (struct stream){
	    .w = app_a, .r = ZX_HANDLE_INVALID, .seed = 31, .total = 1u << 20};
	stream_step(&s);
	s.total = s.sent;
	ASSERT_OK(cfv_engine_shutdown(f.a.e, &k, CFV_SHUTDOWN_SEND));
	/* The app can no longer write... */
	assert_int_not_equal(zx_socket_write(app_a, 0, &c, 1, &n), ZX_OK);
	/* ...but what it wrote before arrives, then EOF. */
	s.r = app_b;
	assert_true(run_streams(&f, &s, 1, 5000));
	assert_false(s.bad);
	vt_run_for(f.loop, ZX_MSEC(20));
	ASSERT_ST(zx_socket_read(app_b, 0, &c, 1, &n), ZX_ERR_PEER_CLOSED);
	assert_int_equal(f.b.shut_flags, CFV_SHUTDOWN_SEND);
	/* The other way still works. */
	ASSERT_OK(zx_socket_write(app_b, 0, "hi", 2, &n));
	vt_run_for(f.loop, ZX_MSEC(20));
	{
		char b2[2];

		ASSERT_OK(zx_socket_read(app_a, 0, b2, 2, &n));
		assert_memory_equal(b2, "hi", 2);
	}
	/* RCV too: the peer has both, answers RST; clean on both sides. */
	ASSERT_OK(cfv_engine_shutdown(f.a.e, &k, CFV_SHUTDOWN_RCV));
	g_want = 1;
	assert_true(vt_run_until(f.loop, closed_both, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_OK);
	assert_int_equal(f.b.reason, ZX_OK);
	ASSERT_ST(cfv_engine_shutdown(f.a.e, &k, CFV_SHUTDOWN_RCV),
	          ZX_ERR_NOT_FOUND);
	zx_handle_close(app_a);
	fx_fini(&f);
}

/* The rx buffer exists only while the app lags; then it is freed. */
static void test_rx_buffer_freed(void **state)
{
	struct fx f;
	zx_handle_t app_a, app_b;
	struct stream s;
	struct mallinfo2 m0, m1, m2;

	(void)state;
	fx_init(&f);
	app_a = connect_one(&f, 50320, 320);
	app_b = f.b.accepted[0];
	vt_run_for(f.loop, ZX_MSEC(10));
	m0 = mallinfo2();
	memset(&s, 0, sizeof(s));
	s = (struct stream){
	    .w = app_a, .r = ZX_HANDLE_INVALID, .seed = 32, .total = 2u << 20};
	for (int i = 0; i < 20; i++) {
		stream_step(&s);
		vt_run_for(f.loop, ZX_MSEC(2));
	}
	m1 = mallinfo2();
	s.r = app_b;
	assert_true(run_streams(&f, &s, 1, 5000));
	assert_false(s.bad);
	vt_run_for(f.loop, ZX_MSEC(20));
	m2 = mallinfo2();
	print_message("# heap: idle %zu, stalled %zu, drained %zu\n",
	              m0.uordblks, m1.uordblks, m2.uordblks);
	if (m0.uordblks) { /* 0 under valgrind */
		assert_true(m1.uordblks > m0.uordblks + 100000);
		assert_true(m2.uordblks < m0.uordblks + 1024);
	}
	zx_handle_close(app_a);
	fx_fini(&f);
}

/* A corrupt ring kills the transport: every connection is reset. */
static void test_transport_dies(void **state)
{
	struct fx f;
	zx_handle_t apps[2];
	size_t n;

	(void)state;
	fx_init(&f);
	apps[0] = connect_one(&f, 50330, 330);
	apps[1] = connect_one(&f, 50331, 331);
	ASSERT_OK(zx_socket_write(f.b.accepted[0], 0, "x", 1, &n));
	vt_run_for(f.loop, ZX_MSEC(5));
	/* The peer "publishes" a misaligned head. */
	atomic_store(&f.ta->rx.ctl->head, f.ta->rx.pos + 12);
	cfv_tring_poll_soon(f.ta);
	g_want = 2;
	assert_true(vt_run_until(f.loop, a_closed, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_ERR_CONNECTION_RESET);
	for (int i = 0; i < 2; i++) {
		zx_signals_t obs = 0;

		zx_object_wait_one(apps[i], ZX_SOCKET_PEER_CLOSED, 0, &obs);
		assert_true(obs & ZX_SOCKET_PEER_CLOSED);
		zx_handle_close(apps[i]);
	}
	fx_fini(&f);
}

/* A REQUEST for a CID that is not ours is refused as that CID. */
static void test_wrong_dst_cid(void **state)
{
	struct fx f;
	zx_handle_t app, eng;
	cfv_key_t k = {50400, 9, 80};
	cfv_engine_stats_t sb;

	(void)state;
	fx_init_cfg(&f, NULL, false); /* a accepts any source CID */
	ASSERT_OK(zx_socket_create(0, &app, &eng));
	ASSERT_OK(cfv_engine_connect(f.a.e, &k, eng));
	g_want = 1;
	assert_true(vt_run_until(f.loop, a_closed, &f, ZX_MSEC(2000)));
	assert_int_equal(f.a.reason, ZX_ERR_CONNECTION_REFUSED);
	assert_true(cfv_key_equal(&f.a.closed_key, &k));
	assert_int_equal(f.b.requests, 0);
	cfv_engine_get_stats(f.b.e, &sb);
	assert_int_equal(sb.connections, 0);
	/* An RST to a wrong CID is not answered. */
	ASSERT_OK(cfv_engine_send_control(f.a.e, &k, CFV_OP_RST, 0));
	vt_run_for(f.loop, ZX_MSEC(20));
	cfv_engine_get_stats(f.b.e, &sb);
	assert_int_equal(sb.rst_sent, 1);
	zx_handle_close(app);
	fx_fini(&f);
}

/* Many connections at once, each moving its own checksummed data. */
static void test_many_connections(void **state)
{
	enum { N = 200 };
	struct fx f;
	static zx_handle_t apps[N];
	static struct stream s[2 * N];
	cfv_engine_stats_t st;

	(void)state;
	fx_init(&f);
	for (int i = 0; i < N; i++)
		apps[i] = connect_one(&f, 51000 + (uint32_t)i, 400);
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.connections, N);
	memset(s, 0, sizeof(s));
	for (int i = 0; i < N; i++) {
		s[2 * i] = (struct stream){.w = apps[i],
		                           .r = f.b.accepted[i],
		                           .seed = 1000u + (uint32_t)i,
		                           .total = 20000};
		s[2 * i + 1] = (struct stream){.w = f.b.accepted[i],
		                               .r = apps[i],
		                               .seed = 5000u + (uint32_t)i,
		                               .total = 30000};
	}
	assert_true(run_streams(&f, s, 2 * N, 15000));
	for (int i = 0; i < 2 * N; i++)
		assert_false(s[i].bad);
	for (int i = 0; i < N; i++)
		zx_handle_close(apps[i]);
	g_want = N;
	assert_true(vt_run_until(f.loop, closed_both, &f, ZX_MSEC(5000)));
	cfv_engine_get_stats(f.a.e, &st);
	assert_int_equal(st.connections, 0);
	assert_int_equal(st.bytes_sent, 20000u * N);
	assert_int_equal(st.bytes_received, 30000u * N);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(test_connect_data_close),
	    RT_TEST(test_reject),
	    RT_TEST(test_simultaneous_close_reuse),
	    RT_TEST(test_accept_later),
	    RT_TEST(test_two_way_many),
	    RT_TEST(test_stall_isolated),
	    RT_TEST(test_unknown_and_rst_rules),
	    RT_TEST(test_forged_cid),
	    RT_TEST(test_half_close_both_ways),
	    RT_TEST(test_credit_overrun_rst),
	    RT_TEST(test_close_timeout),
	    RT_TEST(test_rst_on_established),
	    RT_TEST(test_peer_credit_limits),
	    RT_TEST(test_send_vmo),
	    RT_TEST(test_reset_all),
	    RT_TEST(test_idle_memory),
	    RT_TEST(test_close_after_write),
	    RT_TEST(test_engine_shutdown),
	    RT_TEST(test_rx_buffer_freed),
	    RT_TEST(test_transport_dies),
	    RT_TEST(test_wrong_dst_cid),
	    RT_TEST(test_many_connections),
	};

	(void)g_f;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
