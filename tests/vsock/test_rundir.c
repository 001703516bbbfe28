/*
 * test_rundir: the runtime directory rule (VSOCK_DESIGN.md 5): where it
 * is, created 0700 whatever the umask, and refused when it is not ours,
 * too open, a symlink or not a directory; the socket path helpers.
 */
#include "router_test.h"

#include <sys/stat.h>

#include "rundir.h"

static void default_path_order(void **state)
{
	char buf[256], want[256];

	(void)state;
	setenv("CFIDL_VSOCK_DIR", "/x/y", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	ASSERT_OK(cfv_rundir_default(buf, sizeof(buf)));
	assert_string_equal(buf, "/x/y");
	unsetenv("CFIDL_VSOCK_DIR");
	ASSERT_OK(cfv_rundir_default(buf, sizeof(buf)));
	assert_string_equal(buf, "/run/user/7/cfidl-vsock");
	unsetenv("XDG_RUNTIME_DIR");
	ASSERT_OK(cfv_rundir_default(buf, sizeof(buf)));
	snprintf(want, sizeof(want), "/tmp/cfidl-vsock-%u", (unsigned)getuid());
	assert_string_equal(buf, want);
	/* A relative XDG_RUNTIME_DIR is ignored (the spec says absolute). */
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	ASSERT_OK(cfv_rundir_default(buf, sizeof(buf)));
	assert_string_equal(buf, want);
	setenv("CFIDL_VSOCK_DIR", "relative", 1);
	ASSERT_ST(cfv_rundir_default(buf, sizeof(buf)), ZX_ERR_BAD_PATH);
	setenv("CFIDL_VSOCK_DIR", "/a/long/one", 1);
	ASSERT_ST(cfv_rundir_default(buf, 5), ZX_ERR_BUFFER_TOO_SMALL);
	unsetenv("CFIDL_VSOCK_DIR");
	unsetenv("XDG_RUNTIME_DIR");
}

static void creates_0700_whatever_the_umask(void **state)
{
	char base[64], dir[128], got[128];
	struct stat st;
	mode_t old;

	(void)state;
	rd_tmpdir(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/run", base);
	old = umask(0);
	ASSERT_OK(cfv_rundir_prepare(dir, got, sizeof(got)));
	umask(old);
	assert_string_equal(got, dir);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	/* Again: it exists, is ours and 0700. */
	ASSERT_OK(cfv_rundir_prepare(dir, NULL, 0));
	rmdir(dir);
	old = umask(0777);
	ASSERT_OK(cfv_rundir_prepare(dir, NULL, 0));
	umask(old);
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	rd_rmdir(dir);
	rd_rmdir(base);
}

static void default_from_env(void **state)
{
	char base[64], got[128], want[128];
	struct stat st;

	(void)state;
	rd_tmpdir(base, sizeof(base));
	setenv("XDG_RUNTIME_DIR", base, 1);
	ASSERT_OK(cfv_rundir_prepare(NULL, got, sizeof(got)));
	snprintf(want, sizeof(want), "%s/cfidl-vsock", base);
	assert_string_equal(got, want);
	assert_int_equal(lstat(want, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	unsetenv("XDG_RUNTIME_DIR");
	rd_rmdir(want);
	rd_rmdir(base);
}

static void refuses_too_open(void **state)
{
	char base[64], dir[128];
	struct stat st;

	(void)state;
	rd_tmpdir(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/open", base);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	ASSERT_ST(cfv_rundir_prepare(dir, NULL, 0), ZX_ERR_ACCESS_DENIED);
	/* Refused, not silently "fixed": someone may be in it already. */
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(chmod(dir, 0701), 0);
	ASSERT_ST(cfv_rundir_prepare(dir, NULL, 0), ZX_ERR_ACCESS_DENIED);
	assert_int_equal(chmod(dir, 01700), 0);
	ASSERT_ST(cfv_rundir_prepare(dir, NULL, 0), ZX_ERR_ACCESS_DENIED);
	rd_rmdir(dir);
	rd_rmdir(base);
}

static void refuses_foreign(void **state)
{
	char base[64], dir[128];

	(void)state;
	if (geteuid() != 0) {
		/* Only root can make a directory someone else's. */
		skip();
	}
	rd_tmpdir(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/foreign", base);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	ASSERT_ST(cfv_rundir_prepare(dir, NULL, 0), ZX_ERR_ACCESS_DENIED);
	rd_rmdir(dir);
	rd_rmdir(base);
}

static void refuses_symlink_and_file(void **state)
{
	char base[64], real[128], link[128], file[128];
	FILE *f;

	(void)state;
	rd_tmpdir(base, sizeof(base));
	snprintf(real, sizeof(real), "%s/real", base);
	snprintf(link, sizeof(link), "%s/link", base);
	snprintf(file, sizeof(file), "%s/file", base);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, link), 0);
	/* A symlink to a good directory is still refused: it could be
	 * swapped under us. */
	ASSERT_ST(cfv_rundir_prepare(link, NULL, 0), ZX_ERR_NOT_DIR);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	ASSERT_ST(cfv_rundir_prepare(file, NULL, 0), ZX_ERR_NOT_DIR);
	rmdir(real);
	rd_rmdir(base);
}

static void missing_parent_and_bad_path(void **state)
{
	(void)state;
	ASSERT_ST(cfv_rundir_prepare("/nonexistent-cfv/a/b", NULL, 0),
	          ZX_ERR_NOT_FOUND);
	ASSERT_ST(cfv_rundir_prepare("relative/dir", NULL, 0), ZX_ERR_BAD_PATH);
}

static void path_helpers(void **state)
{
	char buf[128];

	(void)state;
	ASSERT_OK(cfv_rundir_registry_path(buf, sizeof(buf), "/r"));
	assert_string_equal(buf, "/r/registry.sock");
	ASSERT_OK(cfv_rundir_endpoint_path(buf, sizeof(buf), "/r", 3));
	assert_string_equal(buf, "/r/endpoint-3.sock");
	ASSERT_OK(cfv_rundir_connector_path(buf, sizeof(buf), "/r", 4));
	assert_string_equal(buf, "/r/connector-4.sock");
	ASSERT_OK(cfv_rundir_hybrid_path(buf, sizeof(buf), "/r", 5));
	assert_string_equal(buf, "/r/vsock-5.sock");
	ASSERT_OK(cfv_rundir_path(buf, sizeof(buf), "/r", "vsock-%u.sock_%u",
	                          3u, 1234u));
	assert_string_equal(buf, "/r/vsock-3.sock_1234");
	ASSERT_ST(cfv_rundir_hybrid_path(buf, 8, "/r", 5),
	          ZX_ERR_BUFFER_TOO_SMALL);
	ASSERT_ST(cfv_rundir_registry_path(buf, 3, "/rrrr"),
	          ZX_ERR_BUFFER_TOO_SMALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(default_path_order),
	    RT_TEST(creates_0700_whatever_the_umask),
	    RT_TEST(default_from_env),
	    RT_TEST(refuses_too_open),
	    RT_TEST(refuses_foreign),
	    RT_TEST(refuses_symlink_and_file),
	    RT_TEST(missing_parent_and_bad_path),
	    RT_TEST(path_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
