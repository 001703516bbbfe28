/*
 * Shared helpers for the runtime tests: every test runs between
 * rt_setup/rt_teardown, which fail the test if it leaked an fd.
 */
#ifndef CFIDL_TESTS_RT_TEST_H
#define CFIDL_TESTS_RT_TEST_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include <cfidl/syscalls.h>

static inline int rt_count_fds(void)
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

static inline int rt_setup(void **state)
{
	intptr_t n = rt_count_fds();

	*state = (void *)n;
	return n < 0 ? -1 : 0;
}

static inline int rt_teardown(void **state)
{
	intptr_t before = (intptr_t)*state;
	int after = rt_count_fds();

	if (after != before) {
		fprintf(stderr, "fd leak: %d open before the test, %d after\n",
		        (int)before, after);
		return -1;
	}
	return 0;
}

#define RT_TEST(f) cmocka_unit_test_setup_teardown(f, rt_setup, rt_teardown)

#define ASSERT_OK(expr)     assert_int_equal((expr), ZX_OK)
#define ASSERT_ST(expr, st) assert_int_equal((expr), (st))

/* True if h still names a live handle. */
static inline int rt_valid(zx_handle_t h)
{
	return zx_object_get_info(h, ZX_INFO_HANDLE_VALID, NULL, 0, NULL,
	                          NULL) == ZX_OK;
}

static inline zx_info_handle_basic_t rt_info(zx_handle_t h)
{
	zx_info_handle_basic_t info;

	assert_int_equal(zx_object_get_info(h, ZX_INFO_HANDLE_BASIC, &info,
	                                    sizeof(info), NULL, NULL),
	                 ZX_OK);
	return info;
}

#endif /* CFIDL_TESTS_RT_TEST_H */
