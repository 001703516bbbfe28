/*
 * router_test.h: helpers shared by test_rundir, test_router, test_hybrid
 * and test_registry: fd-leak checks around every test, a private runtime
 * directory per test, and bounded loop runs.
 */
#ifndef CFV_TESTS_ROUTER_TEST_H
#define CFV_TESTS_ROUTER_TEST_H

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

#include <string.h>
#include <unistd.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

static inline int rd_count_fds(void)
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

static inline int rd_setup(void **state)
{
	intptr_t n = rd_count_fds();

	*state = (void *)n;
	return n < 0 ? -1 : 0;
}

static inline int rd_teardown(void **state)
{
	intptr_t before = (intptr_t)*state;
	int after = rd_count_fds();

	if (after != before) {
		fprintf(stderr, "fd leak: %d open before the test, %d after\n",
		        (int)before, after);
		return -1;
	}
	return 0;
}

#define RD_TEST(f)          cmocka_unit_test_setup_teardown(f, rd_setup, rd_teardown)
#define ASSERT_OK(expr)     assert_int_equal((expr), ZX_OK)
#define ASSERT_ST(expr, st) assert_int_equal((expr), (st))

/* Makes a fresh 0700 directory under /tmp into buf (size >= 64). */
static inline void rd_tmpdir(char *buf, size_t size)
{
	assert_true(size >= 64);
	snprintf(buf, size, "/tmp/cfv-d-XXXXXX");
	assert_non_null(mkdtemp(buf));
}

/* Removes dir and the files directly in it. */
static inline void rd_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/*
 * Runs loop until cond is true, in short slices, for at most 5 s (then
 * the test fails: no test waits forever).
 */
#define RD_RUN_UNTIL(loop, cond)                                               \
	do {                                                                   \
		zx_time_t rd_end_ = zx_deadline_after(ZX_SEC(5));              \
		while (!(cond)) {                                              \
			assert_true(zx_clock_get_monotonic() < rd_end_);       \
			cfidl_loop_run((loop), zx_deadline_after(ZX_MSEC(5)),  \
			               true);                                  \
		}                                                              \
	} while (0)

/* Runs loop for d (to let things that must NOT happen have their chance). */
static inline void rd_run_for(cfidl_loop_t *loop, zx_duration_t d)
{
	zx_time_t end = zx_deadline_after(d);

	while (zx_clock_get_monotonic() < end)
		cfidl_loop_run(loop, end, true);
}

#endif /* CFV_TESTS_ROUTER_TEST_H */
