/*
 * eng_test.h: helpers for the packet/credit/ring/transport/engine tests:
 * an fd-leak check around every test and bounded loop runs.
 */
#ifndef CFV_TESTS_ENG_TEST_H
#define CFV_TESTS_ENG_TEST_H

/* clang-format off */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
/* clang-format on */

#include <cfidl/loop.h>
#include <cfidl/zx.h>

static inline int et_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static inline int et_setup(void **state)
{
	intptr_t n = et_count_fds();

	*state = (void *)n;
	return n < 0 ? -1 : 0;
}

static inline int et_teardown(void **state)
{
	intptr_t before = (intptr_t)*state;
	int after = et_count_fds();

	if (after != before) {
		fprintf(stderr, "fd leak: %d open before the test, %d after\n",
		        (int)before, after);
		return -1;
	}
	return 0;
}

#define ET_TEST(f)          cmocka_unit_test_setup_teardown(f, et_setup, et_teardown)
#define ASSERT_OK(expr)     assert_int_equal((expr), ZX_OK)
#define ASSERT_ST(expr, st) assert_int_equal((expr), (st))

/* Runs loop until pred(arg) or ms milliseconds passed; returns pred. */
static inline bool et_run_until(cfidl_loop_t *loop, bool (*pred)(void *),
                                void *arg, int ms)
{
	zx_time_t end = zx_deadline_after(ZX_MSEC(ms));

	while (!pred(arg)) {
		if (zx_clock_get_monotonic() > end)
			return false;
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(5)), true);
	}
	return true;
}

/* Runs loop for ms milliseconds. */
static inline void et_run_for(cfidl_loop_t *loop, int ms)
{
	zx_time_t end = zx_deadline_after(ZX_MSEC(ms));

	/* One batch at a time: a packet storm cannot keep us here. */
	while (zx_clock_get_monotonic() < end)
		cfidl_loop_run(loop, end, true);
}

/* Byte at offset off of test stream seed: cheap, position-dependent. */
static inline uint8_t et_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9E3779B97F4A7C15ull + seed;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (off & 7)));
}

#endif /* CFV_TESTS_ENG_TEST_H */
