/* Stream sockets: bytes, bounded non-blocking writes, shutdown, peer close. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "rt_test.h"

static void create_and_io(void **state)
{
	zx_handle_t a, b;
	char buf[16];
	size_t n = 99;

	(void)state;
	ASSERT_ST(zx_socket_create(ZX_SOCKET_DATAGRAM, &a, &b),
	          ZX_ERR_NOT_SUPPORTED);
	ASSERT_ST(zx_socket_create(4, &a, &b), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_socket_create(0, &a, NULL), ZX_ERR_INVALID_ARGS);
	ASSERT_OK(zx_socket_create(ZX_SOCKET_STREAM, &a, &b));
	assert_int_equal(rt_info(a).type, ZX_OBJ_TYPE_SOCKET);
	assert_true(rt_info(a).related_koid == rt_info(b).koid);
	ASSERT_ST(zx_socket_read(b, 0, buf, sizeof(buf), &n),
	          ZX_ERR_SHOULD_WAIT);
	ASSERT_OK(zx_socket_write(a, 0, "hello", 5, &n));
	assert_int_equal(n, 5);
	ASSERT_OK(zx_socket_write(a, 0, "world", 5, NULL));
	/* Peek leaves the bytes queued. */
	ASSERT_OK(zx_socket_read(b, ZX_SOCKET_PEEK, buf, 3, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "hel", 3);
	/* A stream: both writes come out as one run of bytes. */
	ASSERT_OK(zx_socket_read(b, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "helloworld", 10);
	ASSERT_ST(zx_socket_read(b, 0, buf, sizeof(buf), &n),
	          ZX_ERR_SHOULD_WAIT);
	/* Errors. */
	ASSERT_ST(zx_socket_write(a, 1, "x", 1, &n), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_socket_write(a, 0, NULL, 1, &n), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_socket_read(b, 1, buf, 1, &n), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_socket_write(0x1113u, 0, "x", 1, &n), ZX_ERR_BAD_HANDLE);
	zx_handle_t ch0, ch1;
	ASSERT_OK(zx_channel_create(0, &ch0, &ch1));
	ASSERT_ST(zx_socket_write(ch0, 0, "x", 1, &n), ZX_ERR_WRONG_TYPE);
	ASSERT_OK(zx_handle_replace(a, ZX_RIGHT_READ, &a));
	ASSERT_ST(zx_socket_write(a, 0, "x", 1, &n), ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_handle_replace(b, ZX_RIGHT_WRITE, &b));
	ASSERT_ST(zx_socket_read(b, 0, buf, 1, &n), ZX_ERR_ACCESS_DENIED);
	zx_handle_t all[] = {a, b, ch0, ch1};
	ASSERT_OK(zx_handle_close_many(all, 4));
}

static void bounded_writes(void **state)
{
	zx_handle_t a, b;
	static char chunk[65536], rd[65536];
	size_t n, total = 0, got = 0;
	zx_status_t st;
	int partial = 0;

	(void)state;
	memset(chunk, 'z', sizeof(chunk));
	ASSERT_OK(zx_socket_create(0, &a, &b));
	/* Write until full: never blocks, ends with SHOULD_WAIT. */
	for (;;) {
		st = zx_socket_write(a, 0, chunk, sizeof(chunk), &n);
		if (st != ZX_OK)
			break;
		if (n < sizeof(chunk))
			partial = 1;
		total += n;
		assert_true(total < (64u << 20)); /* bounded */
	}
	assert_int_equal(st, ZX_ERR_SHOULD_WAIT);
	(void)partial;
	assert_true(total > 0);
	ASSERT_ST(zx_object_wait_one(a, ZX_SOCKET_WRITABLE, 0, NULL),
	          ZX_ERR_TIMED_OUT);
	/* Everything written arrives. */
	while (zx_socket_read(b, 0, rd, sizeof(rd), &n) == ZX_OK)
		got += n;
	assert_int_equal(got, total);
	ASSERT_OK(zx_object_wait_one(a, ZX_SOCKET_WRITABLE,
	                             zx_deadline_after(ZX_SEC(5)), NULL));
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

static void peer_closed(void **state)
{
	zx_handle_t a, b;
	char buf[8];
	size_t n;
	zx_signals_t obs;

	(void)state;
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_OK(zx_socket_write(a, 0, "bye", 3, &n));
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_object_wait_one(b, ZX_SOCKET_PEER_CLOSED, 0, &obs));
	assert_true(obs & ZX_SOCKET_READABLE);
	assert_false(obs & ZX_SOCKET_WRITABLE);
	/* No SIGPIPE (default action: death), just PEER_CLOSED. */
	ASSERT_ST(zx_socket_write(b, 0, "x", 1, &n), ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_socket_read(b, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 3);
	ASSERT_ST(zx_socket_read(b, 0, buf, sizeof(buf), &n),
	          ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_object_wait_one(b, ZX_SOCKET_PEER_CLOSED, 0, &obs));
	assert_false(obs & ZX_SOCKET_READABLE);
	ASSERT_ST(zx_socket_set_disposition(
	              b, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0),
	          ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(b));
}

static void disable_own_writes(void **state)
{
	zx_handle_t a, b;
	char buf[8];
	size_t n;
	zx_signals_t obs;

	(void)state;
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_OK(zx_socket_write(a, 0, "tail", 4, &n));
	ASSERT_OK(zx_socket_set_disposition(
	    a, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0));
	ASSERT_ST(zx_socket_write(a, 0, "x", 1, &n), ZX_ERR_BAD_STATE);
	ASSERT_OK(zx_object_wait_one(a, ZX_SOCKET_WRITE_DISABLED, 0, &obs));
	assert_false(obs & ZX_SOCKET_WRITABLE);
	ASSERT_OK(
	    zx_object_wait_one(b, ZX_SOCKET_PEER_WRITE_DISABLED, 0, &obs));
	assert_false(obs & ZX_SOCKET_PEER_CLOSED);
	/* The reader drains what was sent, then sees the end. */
	ASSERT_OK(zx_socket_read(b, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 4);
	ASSERT_ST(zx_socket_read(b, 0, buf, sizeof(buf), &n),
	          ZX_ERR_PEER_CLOSED);
	/* The other direction still works. */
	ASSERT_OK(zx_socket_write(b, 0, "up", 2, &n));
	ASSERT_OK(zx_socket_read(a, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 2);
	/* A shut direction cannot be reopened. */
	ASSERT_ST(zx_socket_set_disposition(
	              a, ZX_SOCKET_DISPOSITION_WRITE_ENABLED, 0),
	          ZX_ERR_BAD_STATE);
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

static void disable_peer_writes(void **state)
{
	zx_handle_t a, b, nomanage;
	char buf[8];
	size_t n;

	(void)state;
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_ST(zx_socket_set_disposition(a, 3, 0), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_socket_set_disposition(a, 0, 8), ZX_ERR_INVALID_ARGS);
	ASSERT_OK(
	    zx_handle_duplicate(a, ZX_RIGHT_READ | ZX_RIGHT_WRITE, &nomanage));
	ASSERT_ST(zx_socket_set_disposition(
	              nomanage, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_socket_set_disposition(
	    a, 0, ZX_SOCKET_DISPOSITION_WRITE_DISABLED));
	ASSERT_ST(zx_socket_write(b, 0, "x", 1, &n), ZX_ERR_BAD_STATE);
	ASSERT_ST(zx_socket_read(a, 0, buf, sizeof(buf), &n),
	          ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_socket_write(a, 0, "ok", 2, &n));
	ASSERT_OK(zx_socket_read(b, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 2);
	zx_handle_t all[] = {a, b, nomanage};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

struct trickle {
	zx_handle_t h;
	int n;
};

static void *trickle_main(void *arg)
{
	struct trickle *t = arg;

	for (int i = 0; i < t->n; i++) {
		zx_socket_write(t->h, 0, "x", 1, NULL);
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/* A zero-size read reports what a real read would: data, nothing, EOF;
 * bytes arriving during the call never pass for EOF. */
static void zero_size_read(void **state)
{
	zx_handle_t a, b;
	size_t n = 7;
	char buf[4096];

	(void)state;
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_ST(zx_socket_read(b, 0, NULL, 0, &n), ZX_ERR_SHOULD_WAIT);
	ASSERT_OK(zx_socket_write(a, 0, "y", 1, NULL));
	ASSERT_OK(zx_socket_read(b, 0, NULL, 0, &n));
	assert_int_equal(n, 0);
	/* Nothing was consumed. */
	ASSERT_OK(zx_socket_read(b, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 1);

	/* A writer racing with zero-size reads: never PEER_CLOSED. */
	struct trickle t = {a, 20000};
	pthread_t th;
	int seen_data = 0;
	assert_int_equal(pthread_create(&th, NULL, trickle_main, &t), 0);
	for (int i = 0; i < 200000; i++) {
		zx_status_t st = zx_socket_read(b, 0, NULL, 0, NULL);

		assert_true(st == ZX_OK || st == ZX_ERR_SHOULD_WAIT);
		if (st == ZX_OK && ++seen_data % 16 == 0)
			zx_socket_read(b, 0, buf, sizeof(buf), NULL);
	}
	pthread_join(th, NULL);
	while (zx_socket_read(b, 0, buf, sizeof(buf), NULL) == ZX_OK)
		;

	/* EOF: the peer stopped writing, then closed. */
	ASSERT_OK(zx_socket_write(a, 0, "z", 1, NULL));
	ASSERT_OK(zx_socket_set_disposition(
	    a, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0));
	ASSERT_OK(zx_socket_read(b, 0, NULL, 0, NULL)); /* data first */
	ASSERT_OK(zx_socket_read(b, 0, buf, sizeof(buf), &n));
	ASSERT_ST(zx_socket_read(b, 0, NULL, 0, NULL), ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_ST(zx_socket_read(b, 0, NULL, 0, NULL), ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(create_and_io),       RT_TEST(bounded_writes),
	    RT_TEST(peer_closed),         RT_TEST(disable_own_writes),
	    RT_TEST(disable_peer_writes), RT_TEST(zero_size_read),
	};

	signal(SIGPIPE, SIG_DFL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
