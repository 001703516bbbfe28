/*
 * svc_test.h: helpers shared by test_service and test_device: fd-leak
 * checks around every test and bounded loop runs.
 */
#ifndef CFV_TESTS_SVC_TEST_H
#define CFV_TESTS_SVC_TEST_H

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

static inline int svc_count_fds(void)
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

static inline int svc_setup(void **state)
{
	intptr_t n = svc_count_fds();

	*state = (void *)n;
	return n < 0 ? -1 : 0;
}

static inline int svc_teardown(void **state)
{
	intptr_t before = (intptr_t)*state;
	int after = svc_count_fds();

	if (after != before) {
		fprintf(stderr, "fd leak: %d open before the test, %d after\n",
		        (int)before, after);
		return -1;
	}
	return 0;
}

#define SVC_TEST(f)     cmocka_unit_test_setup_teardown(f, svc_setup, svc_teardown)
#define ASSERT_OK(expr) assert_int_equal((expr), ZX_OK)

/* Runs loop until *flag (true) or 5 s passed (false). */
static inline bool svc_run_until(cfidl_loop_t *loop, const bool *flag)
{
	zx_time_t deadline = zx_deadline_after(ZX_SEC(5));

	while (!*flag) {
		if (zx_clock_get_monotonic() >= deadline)
			return false;
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(50)), true);
	}
	return true;
}

/* Runs whatever is ready, for a short while (nothing more must happen). */
static inline void svc_settle(cfidl_loop_t *loop)
{
	for (int i = 0; i < 5; i++) {
		cfidl_loop_run_until_idle(loop);
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(5)), true);
	}
	cfidl_loop_run_until_idle(loop);
}

#endif /* CFV_TESTS_SVC_TEST_H */
