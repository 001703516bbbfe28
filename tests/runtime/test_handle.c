/* Handle table: close, duplicate, replace, get_info, values, status names. */
#include <string.h>

#include "rt_test.h"

static void close_invalid_and_bad(void **state)
{
	zx_handle_t a, b;

	(void)state;
	ASSERT_OK(zx_handle_close(ZX_HANDLE_INVALID));
	ASSERT_ST(zx_handle_close(0x12345677u), ZX_ERR_BAD_HANDLE);
	ASSERT_OK(zx_eventpair_create(0, &a, &b));
	ASSERT_OK(zx_handle_close(a));
	/* Use after close is caught, not aliased to another object. */
	ASSERT_ST(zx_handle_close(a), ZX_ERR_BAD_HANDLE);
	ASSERT_ST(zx_object_signal(a, 0, ZX_USER_SIGNAL_0), ZX_ERR_BAD_HANDLE);
	ASSERT_OK(zx_handle_close(b));
}

static void values_nonzero_and_not_reused_soon(void **state)
{
	zx_handle_t first, h, seen[200];

	(void)state;
	ASSERT_OK(zx_event_create(0, &first));
	assert_int_not_equal(first, ZX_HANDLE_INVALID);
	assert_int_equal(first & 3u, 3u); /* Zircon's fixed low bits */
	ASSERT_OK(zx_handle_close(first));
	for (int i = 0; i < 200; i++) {
		ASSERT_OK(zx_event_create(0, &h));
		assert_int_not_equal(h, ZX_HANDLE_INVALID);
		assert_int_not_equal(h, first);
		assert_int_not_equal(h, 0xffffffffu);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(h, seen[j]);
		seen[i] = h;
		ASSERT_OK(zx_handle_close(h));
	}
}

static void close_many(void **state)
{
	zx_handle_t h[4];

	(void)state;
	ASSERT_OK(zx_event_create(0, &h[0]));
	ASSERT_OK(zx_event_create(0, &h[1]));
	h[2] = 0x7777777bu;
	h[3] = ZX_HANDLE_INVALID;
	/* The bad entry is reported but the others are still closed. */
	ASSERT_ST(zx_handle_close_many(h, 4), ZX_ERR_BAD_HANDLE);
	assert_false(rt_valid(h[0]));
	assert_false(rt_valid(h[1]));
	ASSERT_OK(zx_handle_close_many(h, 0));
	ASSERT_OK(zx_handle_close_many(&h[3], 1));
}

static void duplicate(void **state)
{
	zx_handle_t a, b, d, d2, c0, c1;
	zx_info_handle_basic_t ia, id;

	(void)state;
	ASSERT_OK(zx_eventpair_create(0, &a, &b));
	ASSERT_OK(zx_handle_duplicate(a, ZX_RIGHT_SAME_RIGHTS, &d));
	assert_int_not_equal(a, d);
	ia = rt_info(a);
	id = rt_info(d);
	assert_true(ia.koid == id.koid);
	assert_int_equal(id.rights, ZX_DEFAULT_EVENTPAIR_RIGHTS);
	/* Rights may shrink ... */
	ASSERT_OK(zx_handle_duplicate(
	    a, ZX_RIGHT_DUPLICATE | ZX_RIGHT_WAIT | ZX_RIGHT_INSPECT, &d2));
	assert_int_equal(rt_info(d2).rights,
	                 ZX_RIGHT_DUPLICATE | ZX_RIGHT_WAIT | ZX_RIGHT_INSPECT);
	/* ... never grow. */
	ASSERT_ST(zx_handle_duplicate(d2, ZX_RIGHT_WAIT | ZX_RIGHT_WRITE, &d),
	          ZX_ERR_INVALID_ARGS);
	assert_true(rt_valid(d2));
	ASSERT_ST(zx_handle_duplicate(a, ZX_RIGHT_SAME_RIGHTS, NULL),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_handle_duplicate(0x1233u, ZX_RIGHT_SAME_RIGHTS, &d),
	          ZX_ERR_BAD_HANDLE);
	/* Channels have no DUPLICATE right. */
	ASSERT_OK(zx_channel_create(0, &c0, &c1));
	ASSERT_ST(zx_handle_duplicate(c0, ZX_RIGHT_SAME_RIGHTS, &d),
	          ZX_ERR_ACCESS_DENIED);
	/* The object lives while any handle does. */
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_object_signal_peer(d, 0, ZX_USER_SIGNAL_1));
	ASSERT_OK(zx_object_wait_one(b, ZX_USER_SIGNAL_1, 0, NULL));
	zx_handle_t all[] = {b, d, d2, c0, c1};
	ASSERT_OK(zx_handle_close_many(all, 5));
}

static void replace(void **state)
{
	zx_handle_t a, r, r2;

	(void)state;
	ASSERT_OK(zx_event_create(0, &a));
	ASSERT_OK(zx_handle_replace(
	    a, ZX_RIGHT_WAIT | ZX_RIGHT_DUPLICATE | ZX_RIGHT_INSPECT, &r));
	assert_false(rt_valid(a));
	assert_int_equal(rt_info(r).rights,
	                 ZX_RIGHT_WAIT | ZX_RIGHT_DUPLICATE | ZX_RIGHT_INSPECT);
	ASSERT_OK(zx_handle_replace(r, ZX_RIGHT_SAME_RIGHTS, &r2));
	assert_false(rt_valid(r));
	/* Asking for more fails and, as in Zircon, closes the handle. */
	ASSERT_ST(zx_handle_replace(r2, ZX_RIGHT_SIGNAL, &r),
	          ZX_ERR_INVALID_ARGS);
	assert_false(rt_valid(r2));
	ASSERT_ST(zx_handle_replace(r2, ZX_RIGHT_SAME_RIGHTS, &r),
	          ZX_ERR_BAD_HANDLE);
}

static void get_info(void **state)
{
	zx_handle_t c0, c1, v, noinspect;
	zx_info_handle_basic_t i0, i1, iv;
	size_t actual = 9, avail = 9;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &c0, &c1));
	ASSERT_OK(zx_object_get_info(c0, ZX_INFO_HANDLE_BASIC, &i0, sizeof(i0),
	                             &actual, &avail));
	assert_int_equal(actual, 1);
	assert_int_equal(avail, 1);
	i1 = rt_info(c1);
	assert_int_equal(i0.type, ZX_OBJ_TYPE_CHANNEL);
	assert_int_equal(i0.rights, ZX_DEFAULT_CHANNEL_RIGHTS);
	assert_true(i0.koid != ZX_KOID_INVALID && i1.koid != ZX_KOID_INVALID);
	assert_true(i0.koid != i1.koid);
	assert_true(i0.related_koid == i1.koid);
	assert_true(i1.related_koid == i0.koid);

	ASSERT_OK(zx_vmo_create(1, 0, &v));
	iv = rt_info(v);
	assert_int_equal(iv.type, ZX_OBJ_TYPE_VMO);
	assert_true(iv.koid != i0.koid && iv.koid != i1.koid);
	assert_true(iv.related_koid == ZX_KOID_INVALID);

	ASSERT_ST(zx_object_get_info(c0, ZX_INFO_HANDLE_BASIC, &i0, 4, &actual,
	                             &avail),
	          ZX_ERR_BUFFER_TOO_SMALL);
	ASSERT_ST(zx_object_get_info(c0, 9999, &i0, sizeof(i0), NULL, NULL),
	          ZX_ERR_NOT_SUPPORTED);
	ASSERT_ST(zx_object_get_info(0x2223u, ZX_INFO_HANDLE_BASIC, &i0,
	                             sizeof(i0), NULL, NULL),
	          ZX_ERR_BAD_HANDLE);
	ASSERT_OK(zx_handle_replace(v, ZX_RIGHT_READ, &noinspect));
	ASSERT_ST(zx_object_get_info(noinspect, ZX_INFO_HANDLE_BASIC, &i0,
	                             sizeof(i0), NULL, NULL),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_object_get_info(noinspect, ZX_INFO_HANDLE_VALID, NULL, 0,
	                             NULL, NULL));
	zx_handle_t all[] = {c0, c1, noinspect};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

static void status_strings(void **state)
{
	(void)state;
	assert_string_equal(zx_status_get_string(ZX_OK), "ZX_OK");
	assert_string_equal(zx_status_get_string(ZX_ERR_PEER_CLOSED),
	                    "ZX_ERR_PEER_CLOSED");
	assert_string_equal(zx_status_get_string(-24), "ZX_ERR_PEER_CLOSED");
	assert_string_equal(zx_status_get_string(-30), "ZX_ERR_ACCESS_DENIED");
	assert_string_equal(zx_status_get_string(12345), "(UNKNOWN)");
	/* REFERENCE.md section 4 values. */
	assert_int_equal(ZX_ERR_BAD_HANDLE, -11);
	assert_int_equal(ZX_ERR_OUT_OF_RANGE, -14);
	assert_int_equal(ZX_ERR_BUFFER_TOO_SMALL, -15);
	assert_int_equal(ZX_ERR_SHOULD_WAIT, -22);
	assert_int_equal(ZX_ERR_CONNECTION_RESET, -75);
}

static void time_helpers(void **state)
{
	zx_time_t a, b;

	(void)state;
	a = zx_clock_get_monotonic();
	b = zx_deadline_after(ZX_MSEC(5));
	assert_true(b >= a + ZX_MSEC(5));
	assert_true(zx_deadline_after(ZX_TIME_INFINITE) == ZX_TIME_INFINITE);
	assert_true(zx_deadline_after(INT64_MIN) < 0);
	ASSERT_OK(zx_nanosleep(zx_deadline_after(ZX_MSEC(2))));
	assert_true(zx_clock_get_monotonic() >= a + ZX_MSEC(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(close_invalid_and_bad),
	    RT_TEST(values_nonzero_and_not_reused_soon),
	    RT_TEST(close_many),
	    RT_TEST(duplicate),
	    RT_TEST(replace),
	    RT_TEST(get_info),
	    RT_TEST(status_strings),
	    RT_TEST(time_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
