/* Channels: messages, handles, limits, errors, calls, processes. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_test.h"

#define MAXB ZX_CHANNEL_MAX_MSG_BYTES
#define MAXH ZX_CHANNEL_MAX_MSG_HANDLES

static unsigned char big[MAXB + 1];
static unsigned char rbuf[MAXB];

static void expect_empty(zx_handle_t ch)
{
	uint32_t nb = 7, nh = 7;

	ASSERT_ST(zx_channel_read(ch, 0, rbuf, NULL, sizeof(rbuf), 0, &nb, &nh),
	          ZX_ERR_SHOULD_WAIT);
}

static void basic(void **state)
{
	zx_handle_t a, b;
	char buf[16];
	uint32_t nb, nh;

	(void)state;
	ASSERT_ST(zx_channel_create(1, &a, &b), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_channel_create(0, NULL, &b), ZX_ERR_INVALID_ARGS);
	ASSERT_OK(zx_channel_create(0, &a, &b));
	expect_empty(b);
	ASSERT_OK(zx_channel_write(a, 0, "hello", 5, NULL, 0));
	ASSERT_OK(zx_channel_write(a, 0, "", 0, NULL, 0));
	ASSERT_OK(zx_channel_write(b, 0, "back", 4, NULL, 0));
	ASSERT_OK(zx_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, &nh));
	assert_int_equal(nb, 5);
	assert_int_equal(nh, 0);
	assert_memory_equal(buf, "hello", 5);
	/* Empty messages are messages. */
	ASSERT_OK(zx_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, &nh));
	assert_int_equal(nb, 0);
	ASSERT_OK(zx_channel_read(a, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
	assert_int_equal(nb, 4);
	expect_empty(b);
	/* Bad arguments. */
	ASSERT_ST(zx_channel_write(a, 1, "x", 1, NULL, 0), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_channel_write(a, 0, NULL, 1, NULL, 0),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_channel_read(a, 2, buf, NULL, sizeof(buf), 0, NULL, NULL),
	          ZX_ERR_INVALID_ARGS);
	expect_empty(b);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_handle_close(b));
}

static void wrong_handles(void **state)
{
	zx_handle_t a, b, e, ro;
	char buf[4];

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_ST(zx_channel_write(0x4443u, 0, "x", 1, NULL, 0),
	          ZX_ERR_BAD_HANDLE);
	ASSERT_ST(zx_channel_write(e, 0, "x", 1, NULL, 0), ZX_ERR_WRONG_TYPE);
	ASSERT_ST(zx_channel_read(e, 0, buf, NULL, 4, 0, NULL, NULL),
	          ZX_ERR_WRONG_TYPE);
	ASSERT_OK(zx_handle_replace(a, ZX_RIGHT_READ | ZX_RIGHT_TRANSFER, &ro));
	ASSERT_ST(zx_channel_write(ro, 0, "x", 1, NULL, 0),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_handle_replace(b, ZX_RIGHT_WRITE, &b));
	ASSERT_ST(zx_channel_read(b, 0, buf, NULL, 4, 0, NULL, NULL),
	          ZX_ERR_ACCESS_DENIED);
	zx_handle_t all[] = {ro, b, e};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

static void peer_closed(void **state)
{
	zx_handle_t a, b;
	char buf[8];
	uint32_t nb;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_channel_write(a, 0, "last", 4, NULL, 0));
	ASSERT_OK(zx_handle_close(a));
	ASSERT_ST(zx_channel_write(b, 0, "x", 1, NULL, 0), ZX_ERR_PEER_CLOSED);
	/* What was sent before the close is still delivered. */
	ASSERT_OK(zx_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
	assert_int_equal(nb, 4);
	ASSERT_ST(zx_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, NULL),
	          ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(b));
}

static void message_limits(void **state)
{
	zx_handle_t a, b, hs[MAXH + 1], got[MAXH];
	uint32_t nb, nh;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	ASSERT_OK(zx_channel_create(0, &a, &b));

	/* 65536 bytes fit; 65537 are refused and nothing is queued. */
	ASSERT_OK(zx_channel_write(a, 0, big, MAXB, NULL, 0));
	ASSERT_OK(zx_channel_read(b, 0, rbuf, NULL, MAXB, 0, &nb, &nh));
	assert_int_equal(nb, MAXB);
	assert_memory_equal(rbuf, big, MAXB);
	ASSERT_OK(zx_event_create(0, &hs[0]));
	ASSERT_ST(zx_channel_write(a, 0, big, MAXB + 1, hs, 1),
	          ZX_ERR_OUT_OF_RANGE);
	/* As Zircon documents, the handles went with the failed write. */
	assert_false(rt_valid(hs[0]));
	expect_empty(b);

	/* 64 handles (of several kinds) fit. */
	for (uint32_t i = 0; i < MAXH; i++) {
		zx_handle_t other;

		switch (i % 4) {
		case 0:
			ASSERT_OK(zx_event_create(0, &hs[i]));
			break;
		case 1:
			ASSERT_OK(zx_eventpair_create(0, &hs[i], &other));
			ASSERT_OK(zx_handle_close(other));
			break;
		case 2:
			ASSERT_OK(zx_vmo_create(4096, 0, &hs[i]));
			break;
		default:
			ASSERT_OK(zx_socket_create(0, &hs[i], &other));
			ASSERT_OK(zx_handle_close(other));
		}
	}
	ASSERT_OK(zx_channel_write(a, 0, big, MAXB, hs, MAXH));
	for (uint32_t i = 0; i < MAXH; i++)
		assert_false(rt_valid(hs[i]));
	ASSERT_OK(zx_channel_read(b, 0, rbuf, got, MAXB, MAXH, &nb, &nh));
	assert_int_equal(nb, MAXB);
	assert_int_equal(nh, MAXH);
	for (uint32_t i = 0; i < MAXH; i++) {
		static const zx_obj_type_t t[4] = {
		    ZX_OBJ_TYPE_EVENT, ZX_OBJ_TYPE_EVENTPAIR, ZX_OBJ_TYPE_VMO,
		    ZX_OBJ_TYPE_SOCKET};

		assert_int_equal(rt_info(got[i]).type, t[i % 4]);
	}
	ASSERT_OK(zx_handle_close_many(got, MAXH));

	/* 65 handles: refused whole, nothing on the channel. */
	for (uint32_t i = 0; i < MAXH + 1; i++)
		ASSERT_OK(zx_event_create(0, &hs[i]));
	ASSERT_ST(zx_channel_write(a, 0, "x", 1, hs, MAXH + 1),
	          ZX_ERR_OUT_OF_RANGE);
	for (uint32_t i = 0; i < MAXH + 1; i++)
		assert_false(rt_valid(hs[i]));
	expect_empty(b);
	/* The channel still works. */
	ASSERT_OK(zx_channel_write(a, 0, "ok", 2, NULL, 0));
	ASSERT_OK(zx_channel_read(b, 0, rbuf, NULL, MAXB, 0, &nb, &nh));
	assert_int_equal(nb, 2);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_handle_close(b));
}

static void buffer_too_small(void **state)
{
	zx_handle_t a, b, e, got[2];
	char small[3], buf[16];
	uint32_t nb = 0, nh = 0;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_OK(zx_channel_write(a, 0, "abcdef", 6, &e, 1));
	ASSERT_ST(zx_channel_read(b, 0, small, got, sizeof(small), 1, &nb, &nh),
	          ZX_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(nb, 6);
	assert_int_equal(nh, 1);
	ASSERT_ST(zx_channel_read(b, 0, buf, got, sizeof(buf), 0, &nb, &nh),
	          ZX_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(nh, 1);
	/* Still queued: a big enough read gets it whole. */
	ASSERT_OK(zx_channel_read(b, 0, buf, got, sizeof(buf), 2, &nb, &nh));
	assert_int_equal(nb, 6);
	assert_int_equal(nh, 1);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(rt_info(got[0]).type, ZX_OBJ_TYPE_EVENT);
	ASSERT_OK(zx_handle_close(got[0]));

	/* MAY_DISCARD drops the message (and closes its handles). */
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_OK(zx_channel_write(a, 0, "abcdef", 6, &e, 1));
	ASSERT_ST(zx_channel_read(b, ZX_CHANNEL_READ_MAY_DISCARD, small, got,
	                          sizeof(small), 1, &nb, &nh),
	          ZX_ERR_BUFFER_TOO_SMALL);
	expect_empty(b);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_handle_close(b));
}

static void write_errors_consume(void **state)
{
	zx_handle_t a, b, e1, e2, nt, hs[3];

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));

	/* A bad entry: BAD_HANDLE, and the valid ones are consumed. */
	ASSERT_OK(zx_event_create(0, &e1));
	hs[0] = e1;
	hs[1] = 0x5553u;
	ASSERT_ST(zx_channel_write(a, 0, "x", 1, hs, 2), ZX_ERR_BAD_HANDLE);
	assert_false(rt_valid(e1));
	expect_empty(b);

	/* A repeated handle is BAD_HANDLE. */
	ASSERT_OK(zx_event_create(0, &e1));
	hs[0] = e1;
	hs[1] = e1;
	ASSERT_ST(zx_channel_write(a, 0, "x", 1, hs, 2), ZX_ERR_BAD_HANDLE);
	assert_false(rt_valid(e1));

	/* The channel itself: NOT_SUPPORTED; the channel survives. */
	ASSERT_OK(zx_event_create(0, &e1));
	hs[0] = e1;
	hs[1] = a;
	ASSERT_ST(zx_channel_write(a, 0, "x", 1, hs, 2), ZX_ERR_NOT_SUPPORTED);
	assert_false(rt_valid(e1));
	assert_true(rt_valid(a));

	/* No TRANSFER right: ACCESS_DENIED. */
	ASSERT_OK(zx_event_create(0, &e1));
	ASSERT_OK(zx_handle_replace(e1, ZX_RIGHT_WAIT | ZX_RIGHT_INSPECT, &nt));
	ASSERT_OK(zx_event_create(0, &e2));
	hs[0] = e2;
	hs[1] = nt;
	ASSERT_ST(zx_channel_write(a, 0, "x", 1, hs, 2), ZX_ERR_ACCESS_DENIED);
	assert_false(rt_valid(e2));
	assert_false(rt_valid(nt));

	/* A closed peer: PEER_CLOSED, handles consumed. */
	ASSERT_OK(zx_event_create(0, &e1));
	ASSERT_OK(zx_handle_close(b));
	ASSERT_ST(zx_channel_write(a, 0, "x", 1, &e1, 1), ZX_ERR_PEER_CLOSED);
	assert_false(rt_valid(e1));
	ASSERT_OK(zx_handle_close(a));
}

static void write_etc_dispositions(void **state)
{
	zx_handle_t a, b, e, v, keep;
	zx_handle_disposition_t d[3];
	zx_handle_info_t info[3];
	uint32_t nb, nh;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_OK(zx_vmo_create(4096, 0, &v));
	ASSERT_OK(zx_event_create(0, &keep));
	d[0] =
	    (zx_handle_disposition_t){ZX_HANDLE_OP_MOVE, e, ZX_OBJ_TYPE_EVENT,
	                              ZX_RIGHT_TRANSFER | ZX_RIGHT_WAIT, ZX_OK};
	d[1] = (zx_handle_disposition_t){ZX_HANDLE_OP_MOVE, v, ZX_OBJ_TYPE_NONE,
	                                 ZX_RIGHT_SAME_RIGHTS, ZX_OK};
	d[2] =
	    (zx_handle_disposition_t){ZX_HANDLE_OP_DUPLICATE, keep,
	                              ZX_OBJ_TYPE_EVENT, ZX_RIGHT_WAIT, ZX_OK};
	ASSERT_OK(zx_channel_write_etc(a, 0, "m", 1, d, 3));
	assert_false(rt_valid(e));
	assert_false(rt_valid(v));
	assert_true(rt_valid(keep)); /* duplicated, not moved */
	ASSERT_OK(zx_channel_read_etc(b, 0, rbuf, info, MAXB, 3, &nb, &nh));
	assert_int_equal(nh, 3);
	assert_int_equal(info[0].type, ZX_OBJ_TYPE_EVENT);
	assert_int_equal(info[0].rights, ZX_RIGHT_TRANSFER | ZX_RIGHT_WAIT);
	assert_int_equal(info[1].type, ZX_OBJ_TYPE_VMO);
	assert_int_equal(info[1].rights, ZX_DEFAULT_VMO_RIGHTS);
	assert_int_equal(info[2].rights, ZX_RIGHT_WAIT);
	for (int i = 0; i < 3; i++)
		ASSERT_OK(zx_handle_close(info[i].handle));

	/* Every entry is checked; the first failure is returned. */
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_OK(zx_vmo_create(4096, 0, &v));
	d[0] =
	    (zx_handle_disposition_t){ZX_HANDLE_OP_MOVE, e, ZX_OBJ_TYPE_CHANNEL,
	                              ZX_RIGHT_SAME_RIGHTS, ZX_OK};
	d[1] = (zx_handle_disposition_t){ZX_HANDLE_OP_MOVE, v, ZX_OBJ_TYPE_VMO,
	                                 ZX_RIGHT_SIGNAL_PEER, ZX_OK};
	d[2] = (zx_handle_disposition_t){ZX_HANDLE_OP_DUPLICATE, keep,
	                                 ZX_OBJ_TYPE_NONE, ZX_RIGHT_SAME_RIGHTS,
	                                 ZX_OK};
	ASSERT_ST(zx_channel_write_etc(a, 0, "m", 1, d, 3), ZX_ERR_WRONG_TYPE);
	assert_int_equal(d[0].result, ZX_ERR_WRONG_TYPE);
	assert_int_equal(d[1].result, ZX_ERR_INVALID_ARGS);
	assert_int_equal(d[2].result, ZX_OK);
	assert_false(rt_valid(e)); /* MOVE sources go */
	assert_false(rt_valid(v));
	assert_true(rt_valid(keep)); /* DUPLICATE sources stay */
	expect_empty(b);

	/* Bad operation; DUPLICATE without the DUPLICATE right. */
	d[0] = (zx_handle_disposition_t){7, keep, ZX_OBJ_TYPE_NONE,
	                                 ZX_RIGHT_SAME_RIGHTS, ZX_OK};
	ASSERT_ST(zx_channel_write_etc(a, 0, "m", 1, d, 1),
	          ZX_ERR_INVALID_ARGS);
	assert_true(rt_valid(keep));
	ASSERT_OK(
	    zx_handle_replace(keep, ZX_RIGHT_TRANSFER | ZX_RIGHT_WAIT, &keep));
	d[0] = (zx_handle_disposition_t){ZX_HANDLE_OP_DUPLICATE, keep,
	                                 ZX_OBJ_TYPE_NONE, ZX_RIGHT_SAME_RIGHTS,
	                                 ZX_OK};
	ASSERT_ST(zx_channel_write_etc(a, 0, "m", 1, d, 1),
	          ZX_ERR_ACCESS_DENIED);
	assert_true(rt_valid(keep));
	expect_empty(b);
	zx_handle_t all[] = {a, b, keep};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

static void nested_channel(void **state)
{
	zx_handle_t a, b, c, d, got;
	char buf[8];
	uint32_t nb, nh;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_channel_create(0, &c, &d));
	ASSERT_OK(zx_channel_write(c, 0, "queued", 6, NULL, 0));
	/* Send end d (with a message waiting in it) through a -> b. */
	ASSERT_OK(zx_channel_write(a, 0, "x", 1, &d, 1));
	ASSERT_OK(zx_channel_read(b, 0, buf, &got, sizeof(buf), 1, &nb, &nh));
	assert_int_equal(nh, 1);
	assert_int_equal(rt_info(got).type, ZX_OBJ_TYPE_CHANNEL);
	assert_true(rt_info(got).related_koid == rt_info(c).koid);
	ASSERT_OK(
	    zx_channel_read(got, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
	assert_int_equal(nb, 6);
	ASSERT_OK(zx_channel_write(got, 0, "pong", 4, NULL, 0));
	ASSERT_OK(zx_channel_read(c, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
	assert_memory_equal(buf, "pong", 4);
	zx_handle_t all[] = {a, b, c, got};
	ASSERT_OK(zx_handle_close_many(all, 4));
}

static void full_channel_keeps_handles(void **state)
{
	zx_handle_t a, b, e;
	int n = 0;
	zx_status_t st;
	uint32_t nb;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	while ((st = zx_channel_write(a, 0, big, MAXB, NULL, 0)) == ZX_OK)
		n++;
	assert_int_equal(st, ZX_ERR_SHOULD_WAIT);
	assert_true(n > 0);
	ASSERT_ST(zx_object_wait_one(a, ZX_CHANNEL_WRITABLE, 0, NULL),
	          ZX_ERR_TIMED_OUT);
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_ST(zx_channel_write(a, 0, big, MAXB, &e, 1), ZX_ERR_SHOULD_WAIT);
	assert_true(rt_valid(e)); /* retryable: nothing consumed */
	while (n-- > 0)
		ASSERT_OK(
		    zx_channel_read(b, 0, rbuf, NULL, MAXB, 0, &nb, NULL));
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_WRITABLE,
	                             zx_deadline_after(ZX_SEC(5)), NULL));
	ASSERT_OK(zx_channel_write(a, 0, big, MAXB, &e, 1));
	assert_false(rt_valid(e));
	ASSERT_OK(zx_channel_read(b, 0, rbuf, &e, MAXB, 1, &nb, NULL));
	ASSERT_OK(zx_handle_close(e));
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

/* Full-size records a bare seqpacket socketpair takes before EAGAIN. */
static int raw_capacity(void)
{
	int sv[2], n = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	while (send(sv[0], big, MAXB, MSG_DONTWAIT) == (ssize_t)MAXB)
		n++;
	close(sv[0]);
	close(sv[1]);
	return n;
}

static long proc_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The send buffer is raised when it first fills, not at create: a channel
 * still holds more than a bare socket where the kernel allows it. */
static void full_channel_raises_sndbuf(void **state)
{
	zx_handle_t a, b;
	int n = 0, raw = raw_capacity();
	long max = proc_long("/proc/sys/net/core/wmem_max");
	long def = proc_long("/proc/sys/net/core/wmem_default");
	uint32_t nb;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	while (zx_channel_write(a, 0, big, MAXB, NULL, 0) == ZX_OK)
		n++;
	assert_true(n >= raw);
	if (max > def && def > 0)
		assert_true(n > raw);
	else
		print_message("wmem_max %ld <= wmem_default %ld: nothing to "
		              "raise\n",
		              max, def);
	while (n-- > 0)
		ASSERT_OK(
		    zx_channel_read(b, 0, rbuf, NULL, MAXB, 0, &nb, NULL));
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

/* ---- calls ---- */

struct server {
	zx_handle_t ch;
	int mode; /* 0 echo, 1 event first then echo, 2 reverse two calls */
};

static void *serve(void *arg)
{
	struct server *s = arg;
	unsigned char m[2][64];
	uint32_t nb[2], nh;
	zx_handle_t hs[4];

	if (s->mode == 2) {
		for (int i = 0; i < 2; i++) {
			ASSERT_OK(zx_object_wait_one(s->ch, ZX_CHANNEL_READABLE,
			                             ZX_TIME_INFINITE, NULL));
			ASSERT_OK(zx_channel_read(s->ch, 0, m[i], NULL, 64, 0,
			                          &nb[i], NULL));
		}
		/* Answer in the opposite order. */
		ASSERT_OK(zx_channel_write(s->ch, 0, m[1], nb[1], NULL, 0));
		ASSERT_OK(zx_channel_write(s->ch, 0, m[0], nb[0], NULL, 0));
		return NULL;
	}
	ASSERT_OK(zx_object_wait_one(s->ch, ZX_CHANNEL_READABLE,
	                             ZX_TIME_INFINITE, NULL));
	ASSERT_OK(zx_channel_read(s->ch, 0, m[0], hs, 64, 4, &nb[0], &nh));
	ASSERT_OK(zx_handle_close_many(hs, nh));
	if (s->mode == 1)
		ASSERT_OK(
		    zx_channel_write(s->ch, 0, "\0\0\0\0event", 9, NULL, 0));
	m[0][4] = 'R';
	ASSERT_OK(zx_channel_write(s->ch, 0, m[0], nb[0], NULL, 0));
	return NULL;
}

static void call_basic_and_events_stay(void **state)
{
	zx_handle_t a, b, e, got;
	struct server s;
	pthread_t t;
	unsigned char req[8] = {1, 0, 0, 0, 'q', 'u', 'e', 'x'}, rep[64];
	uint32_t nb, nh;
	zx_channel_call_args_t args = {req, &e, rep, &got, 8, 1, 64, 1};

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_event_create(0, &e));
	s.ch = b;
	s.mode = 1;
	pthread_create(&t, NULL, serve, &s);
	ASSERT_OK(zx_channel_call(a, 0, zx_deadline_after(ZX_SEC(10)), &args,
	                          &nb, &nh));
	pthread_join(t, NULL);
	assert_false(rt_valid(e));
	assert_int_equal(nb, 8);
	assert_int_equal(nh, 0);
	assert_int_equal(rep[4], 'R');
	/* The event the server sent first waits for an ordinary read. */
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_READABLE, 0, NULL));
	ASSERT_OK(zx_channel_read(a, 0, rep, NULL, 64, 0, &nb, &nh));
	assert_int_equal(nb, 9);
	assert_memory_equal(rep + 4, "event", 5);
	expect_empty(a);
	ASSERT_ST(zx_object_wait_one(a, ZX_CHANNEL_READABLE, 0, NULL),
	          ZX_ERR_TIMED_OUT);
	/* Bad calls. */
	args.wr_num_bytes = 3;
	args.wr_num_handles = 0;
	ASSERT_ST(zx_channel_call(a, 0, ZX_TIME_INFINITE, &args, &nb, &nh),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_channel_call(a, 0, ZX_TIME_INFINITE, NULL, &nb, &nh),
	          ZX_ERR_INVALID_ARGS);
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

struct caller {
	zx_handle_t ch;
	uint32_t txid;
	zx_status_t st;
	unsigned char rep[64];
};

static void *do_call(void *arg)
{
	struct caller *c = arg;
	unsigned char req[6];
	uint32_t nb, nh;
	zx_channel_call_args_t args = {req, NULL, c->rep, NULL, 6, 0, 64, 0};

	memcpy(req, &c->txid, 4);
	req[4] = 'c';
	req[5] = (unsigned char)c->txid;
	c->st = zx_channel_call(c->ch, 0, zx_deadline_after(ZX_SEC(10)), &args,
	                        &nb, &nh);
	return NULL;
}

static void concurrent_calls(void **state)
{
	zx_handle_t a, b;
	struct server s;
	struct caller c[2];
	pthread_t t, tc[2];

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	s.ch = b;
	s.mode = 2;
	pthread_create(&t, NULL, serve, &s);
	for (int i = 0; i < 2; i++) {
		c[i].ch = a;
		c[i].txid = 100 + (uint32_t)i;
		pthread_create(&tc[i], NULL, do_call, &c[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(tc[i], NULL);
	pthread_join(t, NULL);
	for (int i = 0; i < 2; i++) {
		uint32_t txid;

		ASSERT_OK(c[i].st);
		memcpy(&txid, c[i].rep, 4);
		assert_int_equal(txid, c[i].txid);
		assert_int_equal(c[i].rep[5], (unsigned char)c[i].txid);
	}
	expect_empty(a);
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

static void call_timeout_then_late_reply(void **state)
{
	zx_handle_t a, b;
	unsigned char req[4] = {9, 0, 0, 0}, rep[16];
	uint32_t nb, nh;
	zx_channel_call_args_t args = {req, NULL, rep, NULL, 4, 0, 16, 0};
	zx_time_t t0 = zx_clock_get_monotonic();

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_ST(zx_channel_call(a, 0, zx_deadline_after(ZX_MSEC(50)), &args,
	                          &nb, &nh),
	          ZX_ERR_TIMED_OUT);
	assert_true(zx_clock_get_monotonic() - t0 >= ZX_MSEC(50));
	assert_true(zx_clock_get_monotonic() - t0 < ZX_SEC(5));
	/* The request went out; a late reply is an ordinary message. */
	ASSERT_OK(zx_channel_read(b, 0, rep, NULL, 16, 0, &nb, NULL));
	ASSERT_OK(zx_channel_write(b, 0, rep, nb, NULL, 0));
	ASSERT_OK(zx_channel_read(a, 0, rep, NULL, 16, 0, &nb, NULL));
	assert_int_equal(rep[0], 9);
	/* A past deadline fails at once. */
	ASSERT_ST(zx_channel_call(a, 0, 0, &args, &nb, &nh), ZX_ERR_TIMED_OUT);
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

static void call_reply_too_small(void **state)
{
	zx_handle_t a, b;
	unsigned char req[4] = {5, 0, 0, 0}, rep[2];
	uint32_t nb = 0, nh = 0;
	zx_channel_call_args_t args = {req, NULL, rep, NULL, 4, 0, 2, 0};

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	/* Pre-load the reply: the call matches it by txid. */
	ASSERT_OK(zx_channel_write(b, 0, "\5\0\0\0long reply", 14, NULL, 0));
	ASSERT_ST(zx_channel_call(a, 0, zx_deadline_after(ZX_SEC(5)), &args,
	                          &nb, &nh),
	          ZX_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(nb, 14);
	expect_empty(a);
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

static void call_peer_dies(void **state)
{
	zx_handle_t a, b;
	unsigned char req[4] = {7, 0, 0, 0}, rep[16];
	uint32_t nb, nh;
	zx_channel_call_args_t args = {req, NULL, rep, NULL, 4, 0, 16, 0};
	zx_time_t t0;
	pid_t pid;
	int status;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Child: take the request, then die without replying. */
		zx_handle_close(a);
		zx_object_wait_one(b, ZX_CHANNEL_READABLE, ZX_TIME_INFINITE,
		                   NULL);
		zx_channel_read(b, 0, rep, NULL, 16, 0, &nb, NULL);
		usleep(50000);
		_exit(0);
	}
	ASSERT_OK(zx_handle_close(b));
	t0 = zx_clock_get_monotonic();
	ASSERT_ST(zx_channel_call(a, 0, ZX_TIME_INFINITE, &args, &nb, &nh),
	          ZX_ERR_PEER_CLOSED);
	assert_true(zx_clock_get_monotonic() - t0 < ZX_SEC(5));
	waitpid(pid, &status, 0);
	ASSERT_OK(zx_handle_close(a));
}

/* ---- across processes ---- */

static void handles_cross_process(void **state)
{
	zx_handle_t a, b, sub0, sub1, s0, s1, v, e0, e1, hs[4];
	zx_info_handle_basic_t before, after;
	char buf[32];
	uint32_t nb, nh;
	pid_t pid;
	int status;
	size_t n;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_channel_create(0, &sub0, &sub1));
	ASSERT_OK(zx_socket_create(0, &s0, &s1));
	ASSERT_OK(zx_vmo_create(4096, 0, &v));
	ASSERT_OK(zx_vmo_write(v, "vmo-data", 0, 8));
	ASSERT_OK(zx_eventpair_create(0, &e0, &e1));
	before = rt_info(sub1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Child: receive four handles and use each. */
		zx_handle_t got[4];
		zx_info_handle_basic_t ci;
		int ok = 1;

		zx_object_wait_one(b, ZX_CHANNEL_READABLE, ZX_TIME_INFINITE,
		                   NULL);
		if (zx_channel_read(b, 0, buf, got, sizeof(buf), 4, &nb, &nh) !=
		        ZX_OK ||
		    nh != 4)
			_exit(2);
		ok &= zx_object_get_info(got[0], ZX_INFO_HANDLE_BASIC, &ci,
		                         sizeof(ci), NULL, NULL) == ZX_OK;
		/* The koid travels: ours must match the parent's. */
		ok &= zx_channel_write(got[0], 0, &ci.koid, sizeof(ci.koid),
		                       NULL, 0) == ZX_OK;
		ok &= zx_socket_write(got[1], 0, "sock", 4, &n) == ZX_OK;
		ok &= zx_vmo_read(got[2], buf, 0, 8) == ZX_OK &&
		      memcmp(buf, "vmo-data", 8) == 0;
		ok &=
		    zx_object_signal_peer(got[3], 0, ZX_USER_SIGNAL_2) == ZX_OK;
		_exit(ok ? 0 : 3);
	}
	ASSERT_OK(zx_handle_close(b));
	hs[0] = sub1;
	hs[1] = s1;
	hs[2] = v;
	hs[3] = e1;
	ASSERT_OK(zx_channel_write(a, 0, "four", 4, hs, 4));
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ASSERT_OK(
	    zx_channel_read(sub0, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
	assert_int_equal(nb, sizeof(zx_koid_t));
	memcpy(&after.koid, buf, sizeof(after.koid));
	assert_true(after.koid == before.koid);
	ASSERT_OK(zx_socket_read(s0, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "sock", 4);
	ASSERT_OK(zx_object_wait_one(e0, ZX_USER_SIGNAL_2, 0, NULL));
	/* The child is gone: every peer is closed. */
	ASSERT_OK(zx_object_wait_one(sub0, ZX_CHANNEL_PEER_CLOSED, 0, NULL));
	ASSERT_OK(zx_object_wait_one(e0, ZX_EVENTPAIR_PEER_CLOSED, 0, NULL));
	zx_handle_t all[] = {a, sub0, s0, e0};
	ASSERT_OK(zx_handle_close_many(all, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(basic),
	    RT_TEST(wrong_handles),
	    RT_TEST(peer_closed),
	    RT_TEST(message_limits),
	    RT_TEST(buffer_too_small),
	    RT_TEST(write_errors_consume),
	    RT_TEST(write_etc_dispositions),
	    RT_TEST(nested_channel),
	    RT_TEST(full_channel_keeps_handles),
	    RT_TEST(full_channel_raises_sndbuf),
	    RT_TEST(call_basic_and_events_stay),
	    RT_TEST(concurrent_calls),
	    RT_TEST(call_timeout_then_late_reply),
	    RT_TEST(call_reply_too_small),
	    RT_TEST(call_peer_dies),
	    RT_TEST(handles_cross_process),
	};

	signal(SIGPIPE, SIG_DFL); /* a stray SIGPIPE would kill the test */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
