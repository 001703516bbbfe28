/*
 * The udo vsock-tcp API in "ours" mode (CFIDL_VSOCK_GUEST set) against a
 * fake stack in this process (fake_stack.c): as an app inside guest 7 and
 * as a host app (CFIDL_VSOCK_GUEST=2); the errors a seed program sees; and
 * the example client, a program written only against <udo/vsock-tcp.h>,
 * run unchanged over the stack.
 */
/* clang-format off */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
/* clang-format on */

#include <cfidl/zx.h>
#include <udo/vsock-tcp.h>

#include "fake_stack.h"
#include "vsock_test.h"

#define GUEST_CID 7u

extern char **environ;

typedef fake_fixture_t fixture_t;

/* A fake stack in a fresh rundir, the environment pointing at it. */
static fixture_t *start(void **state, int incoming, const char *guest)
{
	fixture_t *f = fake_fixture_start(state, GUEST_CID, incoming);

	setenv("CFIDL_VSOCK_DIR", f->dir, 1);
	setenv("CFIDL_VSOCK_GUEST", guest, 1);
	return f;
}

static int teardown(void **state)
{
	unsetenv("CFIDL_VSOCK_GUEST");
	unsetenv("CFIDL_VSOCK_DIR");
	return fake_fixture_stop(state);
}

static void recv_exact(int fd, const char *want)
{
	size_t n = strlen(want), got = 0;
	char buf[256];

	while (got < n) {
		ssize_t r =
		    udo_vsock_tcp_recv_data(fd, buf + got, n - got, NULL);

		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(buf, want, n);
}

static void guest_client(void **state)
{
	struct udo_vsock_tcp_client_create_info ci = {.vcid = 2, .port = 1234};
	struct udo_vsock_tcp *c;
	int fd;

	start(state, 0, "7");
	assert_int_equal(udo_vsock_tcp_get_local_vcid(), GUEST_CID);
	c = udo_vsock_tcp_client_create(NULL, &ci);
	assert_non_null(c);
	assert_int_equal(udo_vsock_tcp_get_fd(c), -1);
	assert_int_equal(udo_vsock_tcp_get_vcid(c), 2);
	assert_int_equal(udo_vsock_tcp_get_port(c), 1234);
	assert_int_equal(udo_vsock_tcp_client_connect(c), 0);
	fd = udo_vsock_tcp_get_fd(c);
	assert_true(fd >= 0);
	assert_int_equal(udo_vsock_tcp_client_send_data(c, "hi there", 8, NULL),
	                 8);
	recv_exact(fd, "hi there");
	assert_int_equal(udo_vsock_tcp_send_data(fd, "again", 5, NULL), 5);
	recv_exact(fd, "again");
	errno = 0;
	assert_int_equal(udo_vsock_tcp_client_connect(c), -1);
	assert_int_equal(errno, EISCONN);
	udo_vsock_tcp_destroy(c);
}

static void guest_client_refused(void **state)
{
	struct udo_vsock_tcp_client_create_info ci = {
	    .vcid = 2, .port = FAKE_REFUSED_PORT};
	struct udo_vsock_tcp *c;

	start(state, 0, "7");
	c = udo_vsock_tcp_client_create(NULL, &ci);
	assert_non_null(c);
	errno = 0;
	assert_int_equal(udo_vsock_tcp_client_connect(c), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(udo_vsock_tcp_get_fd(c), -1);
	udo_vsock_tcp_destroy(c);
}

/* A CID with no guest of ours behind it: a clean error at create. */
static void no_such_guest(void **state)
{
	struct udo_vsock_tcp_client_create_info ci = {.vcid = 2, .port = 1};
	struct udo_vsock_tcp_server_create_info si = {.port = 1,
	                                              .connections = 1};
	int size = udo_vsock_tcp_get_sizeof();
	struct udo_vsock_tcp *buf = malloc((size_t)size);

	assert_non_null(buf);
	start(state, 0, "8");
	assert_int_equal(udo_vsock_tcp_get_local_vcid(), 8);
	errno = 0;
	assert_null(udo_vsock_tcp_client_create(NULL, &ci));
	assert_int_equal(errno, ENODEV);
	errno = 0;
	assert_null(udo_vsock_tcp_server_create(NULL, &si));
	assert_int_equal(errno, ENODEV);
	/* The caller's memory is reset by the failure. */
	memset(buf, 0x5a, (size_t)size);
	assert_null(udo_vsock_tcp_client_create(buf, &ci));
	assert_int_equal(udo_vsock_tcp_get_fd(buf), -1);
	free(buf);
	/* No rundir at all. */
	setenv("CFIDL_VSOCK_DIR", "/nonexistent/cfidl-vsock", 1);
	setenv("CFIDL_VSOCK_GUEST", "7", 1);
	errno = 0;
	assert_null(udo_vsock_tcp_client_create(NULL, &ci));
	assert_int_equal(errno, ENODEV);
}

static void malformed_env(void **state)
{
	static const char *bad[] = {"abc", "1",          "0",          "-3",
	                            "7x",  "4294967295", "99999999999"};
	struct udo_vsock_tcp_client_create_info ci = {.vcid = 2, .port = 1};
	struct udo_vsock_tcp_server_create_info si = {.port = 1,
	                                              .connections = 1};
	size_t i;

	start(state, 0, "7");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("CFIDL_VSOCK_GUEST", bad[i], 1);
		assert_int_equal(udo_vsock_tcp_get_local_vcid(), UINT32_MAX);
		errno = 0;
		assert_null(udo_vsock_tcp_client_create(NULL, &ci));
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_null(udo_vsock_tcp_server_create(NULL, &si));
		assert_int_equal(errno, EINVAL);
	}
}

static void guest_server(void **state)
{
	struct udo_vsock_tcp_server_create_info si = {
	    .vcid = 0, .port = 5000, .connections = 4};
	struct udo_vsock_tcp *s;
	struct sockaddr_vm peer;
	int fd0, fd1;

	start(state, 2, "7");
	s = udo_vsock_tcp_server_create(NULL, &si);
	assert_non_null(s);
	assert_int_equal(udo_vsock_tcp_get_vcid(s), GUEST_CID);
	assert_int_equal(udo_vsock_tcp_get_port(s), 5000);
	assert_int_equal(udo_vsock_tcp_get_fd(s), -1);
	memset(&peer, 0xff, sizeof(peer));
	fd0 = udo_vsock_tcp_server_accept(s, &peer);
	assert_true(fd0 >= 0);
	assert_int_equal(peer.svm_family, AF_VSOCK);
	assert_int_equal(peer.svm_cid, FAKE_PEER_CID);
	assert_int_equal(peer.svm_port, FAKE_PEER_PORT);
	fd1 = udo_vsock_tcp_server_accept(s, NULL);
	assert_true(fd1 >= 0);
	recv_exact(fd0, "hello 0\n");
	recv_exact(fd1, "hello 1\n");
	assert_int_equal(udo_vsock_tcp_send_data(fd1, "echo?", 5, NULL), 5);
	recv_exact(fd1, "echo?");
	close(fd0);
	close(fd1);
	udo_vsock_tcp_destroy(s);
}

static void guest_server_errors(void **state)
{
	struct udo_vsock_tcp_server_create_info si = {.port = 50000,
	                                              .connections = 1};
	struct udo_vsock_tcp *s;

	start(state, 0, "7");
	/* Ephemeral ports are the stack's. */
	errno = 0;
	assert_null(udo_vsock_tcp_server_create(NULL, &si));
	assert_int_equal(errno, EADDRNOTAVAIL);
	/* A good port after the failure works. */
	si.port = 5001;
	s = udo_vsock_tcp_server_create(NULL, &si);
	assert_non_null(s);
	udo_vsock_tcp_destroy(s);
	si.port = -1;
	assert_null(udo_vsock_tcp_server_create(NULL, &si));
}

/* The stack goes away: accept fails instead of blocking forever. */
static void server_stack_dies(void **state)
{
	struct udo_vsock_tcp_server_create_info si = {.port = 5002,
	                                              .connections = 1};
	fixture_t *f = start(state, 0, "7");
	struct udo_vsock_tcp *s = udo_vsock_tcp_server_create(NULL, &si);

	assert_non_null(s);
	fake_stack_stop(f->fs);
	f->fs = NULL;
	errno = 0;
	assert_int_equal(udo_vsock_tcp_server_accept(s, NULL), -1);
	assert_int_equal(errno, ECONNRESET);
	udo_vsock_tcp_destroy(s);
}

static void host_app(void **state)
{
	struct udo_vsock_tcp_client_create_info ci = {.vcid = GUEST_CID,
	                                              .port = 1234};
	struct udo_vsock_tcp_server_create_info si = {.port = 8000,
	                                              .connections = 2};
	int size = udo_vsock_tcp_get_sizeof();
	struct udo_vsock_tcp *buf = malloc((size_t)size), *c, *s;
	struct sockaddr_vm peer;
	int fd;

	assert_non_null(buf);
	start(state, 1, "2");
	assert_int_equal(udo_vsock_tcp_get_local_vcid(), 2);
	c = udo_vsock_tcp_client_create(buf, &ci);
	assert_ptr_equal(c, buf);
	assert_int_equal(udo_vsock_tcp_client_connect(c), 0);
	assert_int_equal(
	    udo_vsock_tcp_client_send_data(c, "from host", 9, NULL), 9);
	recv_exact(udo_vsock_tcp_get_fd(c), "from host");
	udo_vsock_tcp_destroy(c);
	assert_int_equal(udo_vsock_tcp_get_fd(buf), -1);
	free(buf);

	ci.port = FAKE_REFUSED_PORT;
	c = udo_vsock_tcp_client_create(NULL, &ci);
	assert_non_null(c);
	errno = 0;
	assert_int_equal(udo_vsock_tcp_client_connect(c), -1);
	assert_int_equal(errno, ECONNREFUSED);
	udo_vsock_tcp_destroy(c);

	ci.vcid = 9; /* no such guest: found at connect for host apps */
	ci.port = 1234;
	c = udo_vsock_tcp_client_create(NULL, &ci);
	assert_non_null(c);
	errno = 0;
	assert_int_equal(udo_vsock_tcp_client_connect(c), -1);
	assert_int_equal(errno, ENODEV);
	udo_vsock_tcp_destroy(c);

	s = udo_vsock_tcp_server_create(NULL, &si);
	assert_non_null(s);
	assert_int_equal(udo_vsock_tcp_get_vcid(s), 2);
	fd = udo_vsock_tcp_server_accept(s, &peer);
	assert_true(fd >= 0);
	assert_int_equal(peer.svm_cid, GUEST_CID);
	assert_int_equal(peer.svm_port, FAKE_PEER_PORT);
	recv_exact(fd, "hello 0\n");
	close(fd);
	udo_vsock_tcp_destroy(s);
}

/* Starts an example program (built against <udo/vsock-tcp.h> only) with
 * the environment pointing at the fake stack: its pid, -2 if not built. */
static pid_t spawn_example(const char *prog, char *a1, char *a2, char *a3)
{
	char path[512];
	char *argv[5] = {path, a1, a2, a3, NULL};
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", VSOCK_ECHO_DIR, prog);
	if (access(path, X_OK) != 0)
		return -2;
	if (posix_spawn(&pid, path, NULL, NULL, argv, environ) != 0)
		return -1;
	return pid;
}

/* Its exit status; bounded: after ms it is killed (-1). */
static int wait_example(pid_t pid, int ms)
{
	int status, i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static int run_example(const char *cid, const char *port, const char *msg)
{
	pid_t pid = spawn_example("vsock-echo-client", (char *)cid,
	                          (char *)port, (char *)msg);

	return pid < 0 ? (int)pid : wait_example(pid, 10000);
}

static void example_client(void **state)
{
	int st;

	start(state, 0, "7");
	st = run_example("2", "1234", "hello over our stack");
	if (st == -2)
		fail_msg("examples/vsock-echo not built (%s)", VSOCK_ECHO_DIR);
	assert_int_equal(st, 0);
	assert_int_equal(run_example("2", "9", "refused"), 1);
	setenv("CFIDL_VSOCK_GUEST", "2", 1);
	assert_int_equal(run_example("7", "1234", "as a host app"), 0);
}

/* The example server inside guest 7 echoes a connection the stack opens
 * to it, then exits after its one connection ends. */
static void example_server(void **state)
{
	fixture_t *f = start(state, 1, "7"); /* one connection per Listen */
	zx_time_t until = zx_deadline_after(ZX_SEC(10));
	pid_t pid;

	fake_stack_set_sink(f->fs, true);
	pid = spawn_example("vsock-echo-server", "5003", "1", NULL);
	if (pid == -2)
		fail_msg("examples/vsock-echo not built (%s)", VSOCK_ECHO_DIR);
	assert_true(pid > 0);
	/* "hello 0\n" went to the server and came back. */
	while (fake_stack_sunk(f->fs) < 8 && zx_clock_get_monotonic() < until)
		usleep(5000);
	assert_int_equal(fake_stack_sunk(f->fs), 8);
	assert_int_equal(fake_stack_accepted(f->fs), 1);
	/* The stack goes away: the connection ends, the server exits. */
	fake_stack_stop(f->fs);
	f->fs = NULL;
	assert_int_equal(wait_example(pid, 10000), 0);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(guest_client),      T(guest_client_refused),
	    T(no_such_guest),     T(malformed_env),
	    T(guest_server),      T(guest_server_errors),
	    T(server_stack_dies), T(host_app),
	    T(example_client),    T(example_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
