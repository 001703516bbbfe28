/*
 * test_transport: both transports (in-process pair, shared memory) move
 * packets in order, report SHOULD_WAIT then on_writable, never deliver
 * from inside a send, die cleanly on a corrupt ring, and the shm rings
 * work across fork() with the handles inherited or passed in a channel.
 */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cfidl/channel.h>
#include <cfidl/eventpair.h>
#include <cfidl/handle.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#include "eng_test.h"
#include "transport.h"
#include "transport_ring.h" /* to corrupt a ring on purpose */

static cfv_hdr_t g_report; /* the last header any end received */

struct end {
	cfv_transport_t *t;
	uint32_t next_seq; /* expected fwd_cnt of the next packet */
	uint64_t bytes;
	int packets, writable, errors;
	bool bad;
};

static void on_packet(void *ctx, const cfv_hdr_t *h, const void *payload)
{
	struct end *e = ctx;
	const uint8_t *p = payload;

	g_report = *h;
	if (h->fwd_cnt != e->next_seq)
		e->bad = true;
	for (uint32_t i = 0; i < h->len; i++)
		if (p[i] != et_byte(h->fwd_cnt, i)) {
			e->bad = true;
			break;
		}
	e->next_seq++;
	e->packets++;
	e->bytes += h->len;
}

static void on_writable(void *ctx)
{
	((struct end *)ctx)->writable++;
}

static void on_error(void *ctx, zx_status_t st)
{
	(void)st;
	((struct end *)ctx)->errors++;
}

static const cfv_transport_handlers_t th = {on_packet, on_writable, on_error};

static uint8_t g_buf[65536];

/* Sends packet seq of len bytes (pattern); returns the send status. */
static zx_status_t send_seq(cfv_transport_t *t, uint32_t seq, uint32_t len)
{
	cfv_hdr_t h = {0};
	struct iovec iov[2];

	for (uint32_t i = 0; i < len; i++)
		g_buf[i] = et_byte(seq, i);
	h.op = CFV_OP_RW;
	h.len = len;
	h.fwd_cnt = seq;
	/* Two pieces: the gather path. */
	iov[0].iov_base = g_buf;
	iov[0].iov_len = len / 3;
	iov[1].iov_base = g_buf + len / 3;
	iov[1].iov_len = len - len / 3;
	return cfv_transport_send(t, &h, iov, 2);
}

/* As send_seq, with only the first and last bytes set: a fast producer. */
static zx_status_t send_ends(cfv_transport_t *t, uint32_t seq, uint32_t len)
{
	cfv_hdr_t h = {0};
	struct iovec iov = {g_buf, len};

	g_buf[0] = et_byte(seq, 0);
	g_buf[len - 1] = et_byte(seq, len - 1);
	h.op = CFV_OP_RW;
	h.len = len;
	h.fwd_cnt = seq;
	return cfv_transport_send(t, &h, &iov, 1);
}

enum kind { PAIR, SHM };

struct rig {
	cfidl_loop_t *loop;
	struct end a, b;
};

static void rig_init(struct rig *r, enum kind k, size_t ring)
{
	memset(r, 0, sizeof(*r));
	ASSERT_OK(cfidl_loop_create(&r->loop));
	if (k == PAIR) {
		ASSERT_OK(
		    cfv_transport_pair_create(r->loop, ring, &r->a.t, &r->b.t));
	} else {
		cfv_shm_handles_t hs;

		ASSERT_OK(
		    cfv_shm_transport_create(r->loop, ring, &r->a.t, &hs));
		ASSERT_OK(cfv_shm_transport_open(r->loop, &hs, &r->b.t));
		assert_int_equal(hs.rings, ZX_HANDLE_INVALID);
	}
	cfv_transport_set_handlers(r->a.t, &th, &r->a);
	cfv_transport_set_handlers(r->b.t, &th, &r->b);
}

static void rig_fini(struct rig *r)
{
	cfv_transport_destroy(r->a.t);
	cfv_transport_destroy(r->b.t);
	cfidl_loop_destroy(r->loop);
}

static void order_kept(enum kind k)
{
	struct rig r;
	uint32_t seq = 0;
	uint64_t sent = 0;

	rig_init(&r, k, 0);
	/* Both directions, sizes 0..64 KiB, far more than a ring holds. */
	for (int round = 0; round < 3000; round++) {
		uint32_t len = (uint32_t)((round * 4099) % 65537);
		zx_status_t st = send_seq(r.a.t, seq, len);

		if (st == ZX_ERR_SHOULD_WAIT) {
			cfidl_loop_run(r.loop, zx_deadline_after(ZX_MSEC(50)),
			               true);
			round--;
			continue;
		}
		ASSERT_OK(st);
		sent += len;
		if (round % 5 == 0)
			ASSERT_OK(send_seq(r.b.t, (uint32_t)round / 5, 10));
		seq++;
	}
	vt_run_for(r.loop, ZX_MSEC(30));
	assert_false(r.b.bad);
	assert_false(r.a.bad);
	assert_int_equal(r.b.packets, 3000);
	assert_int_equal(r.b.bytes, sent);
	assert_int_equal(r.a.packets, 600);
	rig_fini(&r);
}

static void test_pair_order(void **state)
{
	(void)state;
	order_kept(PAIR);
}

static void test_shm_order(void **state)
{
	(void)state;
	order_kept(SHM);
}

static void should_wait(enum kind k)
{
	struct rig r;
	uint32_t seq = 0;
	zx_status_t st;
	cfv_hdr_t h = {0};

	rig_init(&r, k, 256 * 1024);
	vt_run_for(r.loop, ZX_MSEC(5)); /* both sides asleep */
	assert_int_equal(cfv_transport_room(r.a.t), CFV_MAX_PAYLOAD);
	while ((st = send_seq(r.a.t, seq, 65536)) == ZX_OK)
		seq++;
	ASSERT_ST(st, ZX_ERR_SHOULD_WAIT);
	assert_int_equal(seq, 3);
	assert_true(cfv_transport_room(r.a.t) < 65536);
	/* Nothing was delivered from inside send. */
	assert_int_equal(r.b.packets, 0);
	assert_int_equal(r.a.writable, 0);
	/* Bad lengths. */
	h.len = 5;
	ASSERT_ST(cfv_transport_send(r.a.t, &h, NULL, 0), ZX_ERR_INVALID_ARGS);
	vt_run_for(r.loop, ZX_MSEC(30));
	assert_int_equal(r.b.packets, 3);
	assert_int_equal(r.a.writable, 1);
	assert_false(r.b.bad);
	ASSERT_OK(send_seq(r.a.t, seq, 65536));
	vt_run_for(r.loop, ZX_MSEC(30));
	assert_int_equal(r.b.packets, 4);
	assert_int_equal(r.a.writable, 1); /* no spurious repeats */
	rig_fini(&r);
}

static void test_pair_should_wait(void **state)
{
	(void)state;
	should_wait(PAIR);
}

static void test_shm_should_wait(void **state)
{
	(void)state;
	should_wait(SHM);
}

static void test_bad_args(void **state)
{
	cfidl_loop_t *loop;
	cfv_transport_t *a, *b;
	cfv_shm_handles_t hs;
	zx_handle_t ev;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_ST(cfv_transport_pair_create(loop, 300 * 1024, &a, &b),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_ST(cfv_shm_transport_create(loop, 4096, &a, &hs),
	          ZX_ERR_INVALID_ARGS);
	/* A VMO with a wrong layout is refused; handles consumed. */
	ASSERT_OK(zx_vmo_create(4096 + 2 * 256 * 1024, 0, &hs.rings));
	ASSERT_OK(zx_event_create(0, &hs.guest_doorbell));
	ASSERT_OK(zx_event_create(0, &hs.host_doorbell));
	ev = hs.host_doorbell;
	ASSERT_ST(cfv_shm_transport_open(loop, &hs, &b), ZX_ERR_INVALID_ARGS);
	assert_int_equal(hs.host_doorbell, ZX_HANDLE_INVALID);
	ASSERT_ST(zx_handle_close(ev), ZX_ERR_BAD_HANDLE);
	ASSERT_OK(zx_vmo_create(12345, 0, &hs.rings));
	ASSERT_OK(zx_event_create(0, &hs.guest_doorbell));
	ASSERT_OK(zx_event_create(0, &hs.host_doorbell));
	ASSERT_ST(cfv_shm_transport_open(loop, &hs, &b), ZX_ERR_INVALID_ARGS);
	cfidl_loop_destroy(loop);
}

static void corrupt(enum kind k)
{
	struct rig r;

	rig_init(&r, k, 0);
	ASSERT_OK(send_seq(r.a.t, 0, 100));
	/* The peer scribbles: a record length beyond the data. */
	memset(r.b.t->rx.data, 0xff, 8);
	vt_run_for(r.loop, ZX_MSEC(30));
	assert_int_equal(r.b.errors, 1);
	assert_int_equal(r.b.packets, 0);
	ASSERT_ST(send_seq(r.b.t, 0, 10), ZX_ERR_BAD_STATE);
	assert_int_equal(cfv_transport_room(r.b.t), 0);
	rig_fini(&r);
}

static void test_pair_corrupt(void **state)
{
	(void)state;
	corrupt(PAIR);
}

static void test_shm_corrupt(void **state)
{
	(void)state;
	corrupt(SHM);
}

/* ---- across fork(): the child echoes every packet back ---- */

struct echo {
	cfv_transport_t *t;
	bool quit, failed;
};

static void echo_packet(void *ctx, const cfv_hdr_t *h, const void *payload)
{
	struct echo *e = ctx;
	struct iovec iov = {(void *)payload, h->len};

	if (h->op == CFV_OP_INVALID) {
		e->quit = true;
		return;
	}
	if (cfv_transport_send(e->t, h, &iov, 1) != ZX_OK)
		e->failed = true; /* the parent keeps the window small */
}

static void echo_writable(void *ctx)
{
	(void)ctx;
}

/* Child: plain exits, no cmocka (its state belongs to the parent). */
static void child_echo(cfv_shm_handles_t *hs, zx_handle_t ch)
{
	cfidl_loop_t *loop;
	struct echo e = {0};
	cfv_transport_handlers_t h = {echo_packet, echo_writable, NULL};
	zx_time_t end = zx_deadline_after(ZX_SEC(15));

	if (ch != ZX_HANDLE_INVALID) {
		zx_handle_t got[3];
		uint32_t nh = 0;
		char b[4];

		if (zx_object_wait_one(ch, ZX_CHANNEL_READABLE, end, NULL) !=
		        ZX_OK ||
		    zx_channel_read(ch, 0, b, got, sizeof(b), 3, NULL, &nh) !=
		        ZX_OK ||
		    nh != 3)
			_exit(2);
		hs->rings = got[0];
		hs->guest_doorbell = got[1];
		hs->host_doorbell = got[2];
	}
	if (cfidl_loop_create(&loop) != ZX_OK ||
	    cfv_shm_transport_open(loop, hs, &e.t) != ZX_OK)
		_exit(3);
	cfv_transport_set_handlers(e.t, &h, &e);
	while (!e.quit && !e.failed && zx_clock_get_monotonic() < end)
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(50)), true);
	_exit(e.quit && !e.failed ? 0 : 4);
}

static int wait_child(pid_t pid, int ms)
{
	zx_time_t end = zx_deadline_after(ZX_MSEC(ms));
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
		if (zx_clock_get_monotonic() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 101;
		}
		poll(NULL, 0, 5);
	}
}

struct fwin {
	struct end *host;
	uint32_t sent;
};

static void fork_echo(bool via_channel)
{
	cfidl_loop_t *loop;
	cfv_shm_handles_t hs;
	struct end host = {0};
	zx_handle_t c0 = ZX_HANDLE_INVALID, c1 = ZX_HANDLE_INVALID;
	const uint32_t total = 2000;
	uint32_t seq = 0;
	uint64_t sent_bytes = 0;
	zx_time_t end;
	cfv_hdr_t quit = {0};
	pid_t pid;

	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(cfv_shm_transport_create(loop, 0, &host.t, &hs));
	cfv_transport_set_handlers(host.t, &th, &host);
	if (via_channel)
		ASSERT_OK(zx_channel_create(0, &c0, &c1));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (via_channel) {
			zx_handle_close_many((zx_handle_t[]){hs.rings,
			                                     hs.guest_doorbell,
			                                     hs.host_doorbell},
			                     3);
			child_echo(&hs, c1);
		}
		child_echo(&hs, ZX_HANDLE_INVALID);
	}
	if (via_channel) {
		zx_handle_t hv[3] = {hs.rings, hs.guest_doorbell,
		                     hs.host_doorbell};

		ASSERT_OK(zx_channel_write(c0, 0, "shm", 4, hv, 3));
		zx_handle_close(c0);
		zx_handle_close(c1);
	} else {
		zx_handle_close(hs.rings);
		zx_handle_close(hs.guest_doorbell);
		zx_handle_close(hs.host_doorbell);
	}
	/* At most 8 packets in flight: the echo never finds its ring full. */
	end = zx_deadline_after(ZX_SEC(15));
	while ((uint32_t)host.packets < total &&
	       zx_clock_get_monotonic() < end) {
		while (seq < total && seq - (uint32_t)host.packets < 8) {
			uint32_t len = (seq * 7919u) % 65537u;

			ASSERT_OK(send_seq(host.t, seq, len));
			sent_bytes += len;
			seq++;
		}
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(50)), true);
	}
	assert_int_equal(host.packets, total);
	assert_false(host.bad);
	assert_int_equal(host.bytes, sent_bytes);
	ASSERT_OK(cfv_transport_send(host.t, &quit, NULL, 0));
	assert_int_equal(wait_child(pid, 5000), 0);
	cfv_transport_destroy(host.t);
	cfidl_loop_destroy(loop);
}

static void test_shm_fork_inherited(void **state)
{
	(void)state;
	fork_echo(false);
}

static void test_shm_fork_channel(void **state)
{
	(void)state;
	fork_echo(true);
}

/* ---- across fork(): a full-speed one-way stream, the ring often full ---- */

struct sink {
	cfv_transport_t *t;
	uint32_t next;
	uint64_t bytes;
	bool bad, quit;
};

static void sink_packet(void *ctx, const cfv_hdr_t *h, const void *payload)
{
	struct sink *k = ctx;
	const uint8_t *p = payload;

	if (h->op == CFV_OP_INVALID) {
		cfv_hdr_t r = {0};

		/* Report: fwd_cnt = packets, buf_alloc = bad. */
		r.op = CFV_OP_CREDIT_UPDATE;
		r.fwd_cnt = k->next;
		r.buf_alloc = k->bad;
		r.dst_cid = k->bytes;
		(void)cfv_transport_send(k->t, &r, NULL, 0);
		k->quit = true;
		return;
	}
	if (h->fwd_cnt != k->next || h->len == 0 ||
	    p[0] != et_byte(h->fwd_cnt, 0) ||
	    p[h->len - 1] != et_byte(h->fwd_cnt, h->len - 1))
		k->bad = true;
	k->next++;
	k->bytes += h->len;
}

static void child_sink(cfv_shm_handles_t *hs)
{
	cfidl_loop_t *loop;
	struct sink k = {0};
	cfv_transport_handlers_t h = {sink_packet, echo_writable, NULL};
	zx_time_t end = zx_deadline_after(ZX_SEC(15));

	if (cfidl_loop_create(&loop) != ZX_OK ||
	    cfv_shm_transport_open(loop, hs, &k.t) != ZX_OK)
		_exit(3);
	cfv_transport_set_handlers(k.t, &h, &k);
	while (!k.quit && zx_clock_get_monotonic() < end)
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(50)), true);
	/* Let the report go out before we vanish. */
	cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(50)), true);
	_exit(k.quit ? 0 : 4);
}

static void test_shm_fork_stream(void **state)
{
	cfidl_loop_t *loop;
	cfv_shm_handles_t hs;
	struct end host = {0};
	const uint32_t total = 4000;
	uint32_t seq = 0;
	uint64_t sent = 0;
	int full = 0;
	zx_time_t end;
	cfv_hdr_t quit = {0};
	pid_t pid;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(cfv_shm_transport_create(loop, 256 * 1024, &host.t, &hs));
	cfv_transport_set_handlers(host.t, &th, &host);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_sink(&hs);
	zx_handle_close(hs.rings);
	zx_handle_close(hs.guest_doorbell);
	zx_handle_close(hs.host_doorbell);
	end = zx_deadline_after(ZX_SEC(15));
	while (seq < total && zx_clock_get_monotonic() < end) {
		uint32_t len = 1 + (seq * 7919u) % 65536u;
		zx_status_t st = send_ends(host.t, seq, len);

		if (st == ZX_ERR_SHOULD_WAIT) {
			int before = host.writable;

			full++;
			while (host.writable == before &&
			       zx_clock_get_monotonic() < end)
				cfidl_loop_run(
				    loop, zx_deadline_after(ZX_MSEC(50)), true);
			continue;
		}
		ASSERT_OK(st);
		sent += len;
		seq++;
	}
	assert_int_equal(seq, total);
	print_message("# ring full %d times\n", full);
	assert_true(full > 0); /* the ring really was full */
	quit.op = CFV_OP_INVALID;
	while (cfv_transport_send(host.t, &quit, NULL, 0) == ZX_ERR_SHOULD_WAIT)
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(50)), true);
	host.next_seq = 0; /* the report does not follow the pattern */
	end = zx_deadline_after(ZX_SEC(10));
	while (host.packets == 0 && zx_clock_get_monotonic() < end)
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(50)), true);
	assert_int_equal(wait_child(pid, 5000), 0);
	assert_int_equal(host.packets, 1);
	cfv_transport_destroy(host.t);
	cfidl_loop_destroy(loop);
	assert_int_equal(g_report.fwd_cnt, total);
	assert_int_equal(g_report.buf_alloc, 0);
	assert_int_equal(g_report.dst_cid, sent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(test_pair_order),       RT_TEST(test_shm_order),
	    RT_TEST(test_pair_should_wait), RT_TEST(test_shm_should_wait),
	    RT_TEST(test_bad_args),         RT_TEST(test_pair_corrupt),
	    RT_TEST(test_shm_corrupt),      RT_TEST(test_shm_fork_inherited),
	    RT_TEST(test_shm_fork_channel), RT_TEST(test_shm_fork_stream),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
