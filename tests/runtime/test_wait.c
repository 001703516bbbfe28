/* zx_object_wait_one / wait_many: signals, deadlines, wake-ups, errors. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "rt_test.h"

static void timeout_is_honoured(void **state)
{
	zx_handle_t a, b;
	zx_signals_t obs = 0xdead;
	zx_time_t t0 = zx_clock_get_monotonic();

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_ST(zx_object_wait_one(a, ZX_CHANNEL_READABLE,
	                             zx_deadline_after(ZX_MSEC(30)), &obs),
	          ZX_ERR_TIMED_OUT);
	assert_true(zx_clock_get_monotonic() - t0 >= ZX_MSEC(30));
	assert_true(zx_clock_get_monotonic() - t0 < ZX_SEC(5));
	assert_int_equal(obs, ZX_CHANNEL_WRITABLE);
	/* A past deadline polls once. */
	ASSERT_ST(zx_object_wait_one(a, ZX_CHANNEL_READABLE,
	                             ZX_TIME_INFINITE_PAST, &obs),
	          ZX_ERR_TIMED_OUT);
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_WRITABLE,
	                             ZX_TIME_INFINITE_PAST, &obs));
	zx_handle_t all[] = {a, b};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

struct later {
	zx_handle_t h;
	int what; /* 0 channel write, 1 user signal, 2 close, 3 socket */
};

static void *act_later(void *arg)
{
	struct later *l = arg;
	size_t n;

	usleep(50000);
	switch (l->what) {
	case 0:
		zx_channel_write(l->h, 0, "x", 1, NULL, 0);
		break;
	case 1:
		zx_object_signal(l->h, 0, ZX_USER_SIGNAL_2);
		break;
	case 2:
		zx_handle_close(l->h);
		break;
	default:
		zx_socket_write(l->h, 0, "s", 1, &n);
	}
	return NULL;
}

static void wakes_on_change(void **state)
{
	zx_handle_t a, b, e, p0, p1;
	struct later l;
	pthread_t t;
	zx_signals_t obs;
	char buf[4];
	uint32_t nb;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	l.h = a;
	l.what = 0;
	pthread_create(&t, NULL, act_later, &l);
	ASSERT_OK(zx_object_wait_one(b, ZX_CHANNEL_READABLE,
	                             zx_deadline_after(ZX_SEC(10)), &obs));
	pthread_join(t, NULL);
	assert_true(obs & ZX_CHANNEL_READABLE);
	ASSERT_OK(zx_channel_read(b, 0, buf, NULL, 4, 0, &nb, NULL));

	ASSERT_OK(zx_event_create(0, &e));
	l.h = e;
	l.what = 1;
	pthread_create(&t, NULL, act_later, &l);
	ASSERT_OK(zx_object_wait_one(e, ZX_USER_SIGNAL_2,
	                             zx_deadline_after(ZX_SEC(10)), &obs));
	pthread_join(t, NULL);
	assert_int_equal(obs, ZX_USER_SIGNAL_2);

	/* Closing the peer wakes a PEER_CLOSED waiter. */
	l.h = a;
	l.what = 2;
	pthread_create(&t, NULL, act_later, &l);
	ASSERT_OK(zx_object_wait_one(b, ZX_CHANNEL_PEER_CLOSED,
	                             zx_deadline_after(ZX_SEC(10)), &obs));
	pthread_join(t, NULL);
	assert_int_equal(obs, ZX_CHANNEL_PEER_CLOSED);

	ASSERT_OK(zx_eventpair_create(0, &p0, &p1));
	l.h = p1;
	pthread_create(&t, NULL, act_later, &l);
	ASSERT_OK(zx_object_wait_one(p0, ZX_EVENTPAIR_PEER_CLOSED,
	                             zx_deadline_after(ZX_SEC(10)), &obs));
	pthread_join(t, NULL);
	zx_handle_t all[] = {b, e, p0};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

/* A signal that cannot change while waiting does not spin or wake. */
static void unrelated_readiness_does_not_satisfy(void **state)
{
	zx_handle_t a, b, s0, s1;
	zx_signals_t obs;
	size_t n;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_channel_write(a, 0, "x", 1, NULL, 0));
	/* b is readable, but we wait for PEER_CLOSED only. */
	ASSERT_ST(zx_object_wait_one(b, ZX_CHANNEL_PEER_CLOSED,
	                             zx_deadline_after(ZX_MSEC(20)), &obs),
	          ZX_ERR_TIMED_OUT);
	assert_int_equal(obs, ZX_CHANNEL_READABLE | ZX_CHANNEL_WRITABLE);
	/* A socket at EOF is not READABLE. */
	ASSERT_OK(zx_socket_create(0, &s0, &s1));
	ASSERT_OK(zx_socket_set_disposition(
	    s0, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0));
	ASSERT_ST(zx_object_wait_one(s1, ZX_SOCKET_READABLE,
	                             zx_deadline_after(ZX_MSEC(20)), &obs),
	          ZX_ERR_TIMED_OUT);
	assert_true(obs & ZX_SOCKET_PEER_WRITE_DISABLED);
	assert_false(obs & ZX_SOCKET_READABLE);
	ASSERT_OK(zx_socket_write(s1, 0, "y", 1, &n));
	ASSERT_OK(zx_object_wait_one(s0, ZX_SOCKET_READABLE, 0, &obs));
	zx_handle_t all[] = {a, b, s0, s1};
	ASSERT_OK(zx_handle_close_many(all, 4));
}

static void wait_many(void **state)
{
	zx_handle_t c0, c1, s0, s1, p0, p1;
	zx_wait_item_t items[3];
	struct later l;
	pthread_t t;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &c0, &c1));
	ASSERT_OK(zx_socket_create(0, &s0, &s1));
	ASSERT_OK(zx_eventpair_create(0, &p0, &p1));
	items[0] = (zx_wait_item_t){c1, ZX_CHANNEL_READABLE, 0};
	items[1] = (zx_wait_item_t){s1, ZX_SOCKET_READABLE, 0};
	items[2] = (zx_wait_item_t){p0, ZX_USER_SIGNAL_2, 0};
	ASSERT_ST(zx_object_wait_many(items, 3, zx_deadline_after(ZX_MSEC(20))),
	          ZX_ERR_TIMED_OUT);
	assert_int_equal(items[0].pending, ZX_CHANNEL_WRITABLE);
	assert_int_equal(items[1].pending, ZX_SOCKET_WRITABLE);
	assert_int_equal(items[2].pending, 0);

	l.h = s0;
	l.what = 3;
	pthread_create(&t, NULL, act_later, &l);
	ASSERT_OK(zx_object_wait_many(items, 3, zx_deadline_after(ZX_SEC(10))));
	pthread_join(t, NULL);
	assert_false(items[0].pending & ZX_CHANNEL_READABLE);
	assert_true(items[1].pending & ZX_SOCKET_READABLE);

	l.h = p0;
	l.what = 1;
	items[1].waitfor = ZX_SOCKET_PEER_CLOSED;
	pthread_create(&t, NULL, act_later, &l);
	ASSERT_OK(zx_object_wait_many(items, 3, zx_deadline_after(ZX_SEC(10))));
	pthread_join(t, NULL);
	assert_int_equal(items[2].pending, ZX_USER_SIGNAL_2);

	/* The same object twice is fine. */
	items[1] = items[2];
	ASSERT_OK(zx_object_wait_many(items, 3, 0));

	/* Errors. */
	zx_wait_item_t many[ZX_WAIT_MANY_MAX_ITEMS + 1];
	memset(many, 0, sizeof(many));
	ASSERT_ST(zx_object_wait_many(many, ZX_WAIT_MANY_MAX_ITEMS + 1, 0),
	          ZX_ERR_OUT_OF_RANGE);
	items[1].handle = 0x1003u;
	ASSERT_ST(zx_object_wait_many(items, 3, 0), ZX_ERR_BAD_HANDLE);
	ASSERT_ST(zx_object_wait_many(NULL, 1, 0), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_object_wait_many(NULL, 0, 0), ZX_ERR_TIMED_OUT);
	zx_handle_t all[] = {c0, c1, s0, s1, p0, p1};
	ASSERT_OK(zx_handle_close_many(all, 6));
}

static void wait_errors(void **state)
{
	zx_handle_t e, nowait, v;
	zx_signals_t obs;

	(void)state;
	ASSERT_ST(zx_object_wait_one(0x4441u, ZX_USER_SIGNAL_0, 0, &obs),
	          ZX_ERR_BAD_HANDLE);
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_OK(zx_handle_duplicate(e, ZX_RIGHT_SIGNAL, &nowait));
	ASSERT_ST(zx_object_wait_one(nowait, ZX_USER_SIGNAL_0, 0, &obs),
	          ZX_ERR_ACCESS_DENIED);
	/* A VMO has no signals that change: waits time out. */
	ASSERT_OK(zx_vmo_create(1, 0, &v));
	ASSERT_ST(zx_object_wait_one(v, ZX_USER_SIGNAL_0,
	                             zx_deadline_after(ZX_MSEC(5)), &obs),
	          ZX_ERR_TIMED_OUT);
	assert_int_equal(obs, 0);
	zx_handle_t all[] = {e, nowait, v};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(timeout_is_honoured),
	    RT_TEST(wakes_on_change),
	    RT_TEST(unrelated_readiness_does_not_satisfy),
	    RT_TEST(wait_many),
	    RT_TEST(wait_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
