/*
 * test_port_manager.c: the host port manager (port_manager.h): forward
 * allocation, skipping in-use and quarantined ports, NO_RESOURCES,
 * quarantine after a forced close, reservations.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <cmocka.h>
/* clang-format on */

#include "port_manager.h"
#include "vsock_test.h"

#define FIRST 49152u
#define LAST  65535u
#define SEC   ((zx_time_t)1000 * 1000 * 1000)

static cfv_port_manager_t *make(uint32_t first, uint32_t last)
{
	cfv_port_manager_t *pm = NULL;

	assert_int_equal(
	    cfv_port_manager_create(first, last, CFV_PORT_QUARANTINE, &pm),
	    ZX_OK);
	assert_non_null(pm);
	return pm;
}

static uint32_t alloc_ok(cfv_port_manager_t *pm, zx_time_t now)
{
	uint32_t port = 0;

	assert_int_equal(cfv_port_manager_alloc(pm, now, &port), ZX_OK);
	return port;
}

static void create_bad_args(void **state)
{
	cfv_port_manager_t *pm = NULL;

	(void)state;
	assert_int_equal(cfv_port_manager_create(10, 9, 0, &pm),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfv_port_manager_create(1, 9, -1, &pm),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfv_port_manager_create(1, 9, 0, NULL),
	                 ZX_ERR_INVALID_ARGS);
	assert_null(pm);
	cfv_port_manager_destroy(NULL);
	/* A one-port range is valid. */
	assert_int_equal(cfv_port_manager_create(9, 9, 0, &pm), ZX_OK);
	cfv_port_manager_destroy(pm);
}

/* Allocation moves forward: a freed port is not reused next. */
static void alloc_moves_forward(void **state)
{
	cfv_port_manager_t *pm = make(FIRST, LAST);
	uint32_t a, b, c;

	(void)state;
	a = alloc_ok(pm, 0);
	b = alloc_ok(pm, 0);
	assert_int_equal(a, FIRST);
	assert_int_equal(b, FIRST + 1);
	assert_true(cfv_port_manager_in_use(pm, a));
	assert_int_equal(cfv_port_manager_release(pm, a, false, 0), ZX_OK);
	assert_false(cfv_port_manager_in_use(pm, a));
	c = alloc_ok(pm, 0);
	assert_int_equal(c, FIRST + 2);
	assert_int_equal(cfv_port_manager_alloc(pm, 0, NULL),
	                 ZX_ERR_INVALID_ARGS);
	cfv_port_manager_destroy(pm);
}

/* At the end of the range the cursor wraps and skips ports in use. */
static void alloc_wraps_and_skips_in_use(void **state)
{
	cfv_port_manager_t *pm = make(100, 104);

	(void)state;
	assert_int_equal(cfv_port_manager_reserve(pm, 101), ZX_OK);
	assert_int_equal(alloc_ok(pm, 0), 100);
	assert_int_equal(alloc_ok(pm, 0), 102); /* 101 reserved */
	assert_int_equal(alloc_ok(pm, 0), 103);
	assert_int_equal(cfv_port_manager_release(pm, 100, false, 0), ZX_OK);
	assert_int_equal(alloc_ok(pm, 0), 104);
	assert_int_equal(alloc_ok(pm, 0), 100); /* wrapped */
	cfv_port_manager_destroy(pm);
}

/* Every ephemeral port in use gives NO_RESOURCES; one freed is found. */
static void exhaustion_no_resources(void **state)
{
	cfv_port_manager_t *pm = make(FIRST, LAST);
	uint32_t port = 0;

	(void)state;
	for (uint32_t i = FIRST; i <= LAST; i++)
		assert_int_equal(alloc_ok(pm, 0), i);
	assert_int_equal(cfv_port_manager_alloc(pm, 0, &port),
	                 ZX_ERR_NO_RESOURCES);
	assert_int_equal(cfv_port_manager_release(pm, 60000, false, 0), ZX_OK);
	assert_int_equal(alloc_ok(pm, 0), 60000);
	assert_int_equal(cfv_port_manager_alloc(pm, 0, &port),
	                 ZX_ERR_NO_RESOURCES);
	cfv_port_manager_destroy(pm);
}

/* A forced close quarantines the port for 10 s; a clean one does not. */
static void quarantine_after_forced_close(void **state)
{
	cfv_port_manager_t *pm = make(200, 201);
	zx_time_t t0 = 5 * SEC;
	uint32_t port = 0;

	(void)state;
	assert_int_equal(alloc_ok(pm, t0), 200);
	assert_int_equal(alloc_ok(pm, t0), 201);
	assert_int_equal(cfv_port_manager_release(pm, 200, true, t0), ZX_OK);
	assert_int_equal(cfv_port_manager_release(pm, 201, false, t0), ZX_OK);
	assert_true(cfv_port_manager_quarantined(pm, 200, t0));
	assert_false(cfv_port_manager_quarantined(pm, 201, t0));
	/* Only 201 is allocatable, the cursor says 200 first. */
	assert_int_equal(alloc_ok(pm, t0 + SEC), 201);
	assert_int_equal(cfv_port_manager_alloc(pm, t0 + 9 * SEC, &port),
	                 ZX_ERR_NO_RESOURCES);
	assert_true(cfv_port_manager_quarantined(pm, 200, t0 + 10 * SEC - 1));
	/* Exactly 10 s later it is free again. */
	assert_false(cfv_port_manager_quarantined(pm, 200, t0 + 10 * SEC));
	assert_int_equal(alloc_ok(pm, t0 + 10 * SEC), 200);
	assert_false(cfv_port_manager_quarantined(pm, 200, t0 + 10 * SEC));
	cfv_port_manager_destroy(pm);
}

/* All free ports quarantined: NO_RESOURCES until the first expires. */
static void all_quarantined_no_resources(void **state)
{
	cfv_port_manager_t *pm = make(FIRST, FIRST + 63);
	uint32_t port = 0;

	(void)state;
	for (uint32_t i = 0; i < 64; i++)
		alloc_ok(pm, 0);
	for (uint32_t i = 0; i < 64; i++)
		assert_int_equal(cfv_port_manager_release(pm, FIRST + i, true,
		                                          (zx_time_t)i * SEC),
		                 ZX_OK);
	assert_int_equal(cfv_port_manager_alloc(pm, 10 * SEC - 1, &port),
	                 ZX_ERR_NO_RESOURCES);
	assert_int_equal(alloc_ok(pm, 10 * SEC), FIRST);
	assert_int_equal(alloc_ok(pm, 11 * SEC), FIRST + 1);
	assert_int_equal(cfv_port_manager_alloc(pm, 11 * SEC, &port),
	                 ZX_ERR_NO_RESOURCES);
	cfv_port_manager_destroy(pm);
}

/* A second forced close of the same port extends its quarantine. */
static void quarantine_renewed(void **state)
{
	cfv_port_manager_t *pm = make(300, 300);
	uint32_t port = 0;

	(void)state;
	assert_int_equal(cfv_port_manager_reserve(pm, 300), ZX_OK);
	assert_int_equal(cfv_port_manager_release(pm, 300, true, 0), ZX_OK);
	/* Reserve ignores quarantine (the caller decides). */
	assert_int_equal(cfv_port_manager_reserve(pm, 300), ZX_OK);
	assert_int_equal(cfv_port_manager_release(pm, 300, true, 5 * SEC),
	                 ZX_OK);
	assert_int_equal(cfv_port_manager_alloc(pm, 12 * SEC, &port),
	                 ZX_ERR_NO_RESOURCES);
	assert_int_equal(alloc_ok(pm, 15 * SEC), 300);
	cfv_port_manager_destroy(pm);
}

/* Reserve: ALREADY_BOUND when in use, inside or outside the range. */
static void reserve_already_bound(void **state)
{
	cfv_port_manager_t *pm = make(FIRST, LAST);
	uint32_t a = alloc_ok(pm, 0);

	(void)state;
	assert_int_equal(cfv_port_manager_reserve(pm, a), ZX_ERR_ALREADY_BOUND);
	assert_int_equal(cfv_port_manager_reserve(pm, 22), ZX_OK);
	assert_int_equal(cfv_port_manager_reserve(pm, 22),
	                 ZX_ERR_ALREADY_BOUND);
	for (uint32_t p = 1000; p < 1040; p++) /* grows the array */
		assert_int_equal(cfv_port_manager_reserve(pm, p), ZX_OK);
	assert_true(cfv_port_manager_in_use(pm, 1039));
	assert_int_equal(cfv_port_manager_reserve(pm, FIRST + 5), ZX_OK);
	/* The allocator skips the reserved port. */
	for (uint32_t i = 1; i < 5; i++)
		assert_int_equal(alloc_ok(pm, 0), FIRST + i);
	assert_int_equal(alloc_ok(pm, 0), FIRST + 6);
	/* Out-of-range ports are released and quarantined too. */
	assert_int_equal(cfv_port_manager_release(pm, 22, true, 0), ZX_OK);
	assert_false(cfv_port_manager_in_use(pm, 22));
	assert_true(cfv_port_manager_quarantined(pm, 22, SEC));
	assert_false(cfv_port_manager_quarantined(pm, 22, 10 * SEC));
	assert_int_equal(cfv_port_manager_reserve(pm, 22), ZX_OK);
	cfv_port_manager_destroy(pm);
}

/* Releasing a port not in use changes nothing. */
static void release_not_found(void **state)
{
	cfv_port_manager_t *pm = make(400, 401);

	(void)state;
	assert_int_equal(cfv_port_manager_release(pm, 400, false, 0),
	                 ZX_ERR_NOT_FOUND);
	assert_int_equal(cfv_port_manager_release(pm, 7, true, 0),
	                 ZX_ERR_NOT_FOUND);
	assert_false(cfv_port_manager_quarantined(pm, 7, 0));
	assert_int_equal(alloc_ok(pm, 0), 400);
	assert_int_equal(cfv_port_manager_release(pm, 400, false, 0), ZX_OK);
	assert_int_equal(cfv_port_manager_release(pm, 400, false, 0),
	                 ZX_ERR_NOT_FOUND);
	cfv_port_manager_destroy(pm);
}

/* The port manager opens nothing: the group checks no fd leaks anyway. */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(create_bad_args),
	    cmocka_unit_test(alloc_moves_forward),
	    cmocka_unit_test(alloc_wraps_and_skips_in_use),
	    cmocka_unit_test(exhaustion_no_resources),
	    cmocka_unit_test(quarantine_after_forced_close),
	    cmocka_unit_test(all_quarantined_no_resources),
	    cmocka_unit_test(quarantine_renewed),
	    cmocka_unit_test(reserve_already_bound),
	    cmocka_unit_test(release_not_found),
	};

	return cmocka_run_group_tests_name("port_manager", tests, rt_setup,
	                                   rt_teardown);
}
