/*
 * vsock_test.h: what every vsock test shares: the fd-leak check of
 * tests/runtime/rt_test.h (RT_TEST, rt_count_fds, ASSERT_OK, ASSERT_ST)
 * and loop runs that are always bounded (no test waits forever).
 */
#ifndef CFV_TESTS_VSOCK_TEST_H
#define CFV_TESTS_VSOCK_TEST_H

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

#include "../runtime/rt_test.h"

/* 0 if as many fds are open as before, else -1 (and says so). */
static inline int vt_check_fds(int before)
{
	int after = rt_count_fds();

	if (after != before) {
		fprintf(stderr, "fd leak: %d open before the test, %d after\n",
		        before, after);
		return -1;
	}
	return 0;
}

/* The bound of every wait that has no bound of its own. */
#define VT_WAIT ZX_SEC(5)

/* Runs loop until pred(arg) or d passed; returns pred. */
static inline bool vt_run_until(cfidl_loop_t *loop, bool (*pred)(void *),
                                void *arg, zx_duration_t d)
{
	zx_time_t end = zx_deadline_after(d);

	while (!pred(arg)) {
		if (zx_clock_get_monotonic() > end)
			return false;
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(5)), true);
	}
	return true;
}

static inline bool vt_flag_set(void *flag)
{
	return *(const bool *)flag;
}

/* Runs loop until *flag (true) or VT_WAIT passed (false). */
static inline bool vt_run_until_flag(cfidl_loop_t *loop, const bool *flag)
{
	return vt_run_until(loop, vt_flag_set, (void *)flag, VT_WAIT);
}

/* Runs loop until cond is true, for at most VT_WAIT (then the test fails). */
#define VT_RUN_UNTIL(loop, cond)                                               \
	do {                                                                   \
		zx_time_t vt_end_ = zx_deadline_after(VT_WAIT);                \
		while (!(cond)) {                                              \
			assert_true(zx_clock_get_monotonic() < vt_end_);       \
			cfidl_loop_run((loop), zx_deadline_after(ZX_MSEC(5)),  \
			               true);                                  \
		}                                                              \
	} while (0)

/* Runs loop for d (to let things that must NOT happen have their chance). */
static inline void vt_run_for(cfidl_loop_t *loop, zx_duration_t d)
{
	zx_time_t end = zx_deadline_after(d);

	/* One batch at a time: a packet storm cannot keep us here. */
	while (zx_clock_get_monotonic() < end)
		cfidl_loop_run(loop, end, true);
}

/* Runs whatever is ready, for a short while (nothing more must happen). */
static inline void vt_settle(cfidl_loop_t *loop)
{
	for (int i = 0; i < 5; i++) {
		cfidl_loop_run_until_idle(loop);
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(5)), true);
	}
	cfidl_loop_run_until_idle(loop);
}

#endif /* CFV_TESTS_VSOCK_TEST_H */
