/*
 * router_test.h: what test_rundir, test_router, test_hybrid, test_registry
 * and test_uds_listener add to vsock_test.h: a private runtime directory
 * per test.
 */
#ifndef CFV_TESTS_ROUTER_TEST_H
#define CFV_TESTS_ROUTER_TEST_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vsock_test.h"

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

#endif /* CFV_TESTS_ROUTER_TEST_H */
