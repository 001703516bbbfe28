/*
 * The app API (<cfidl/vsock.h>) against a fake stack in this process
 * (fake_stack.c): guest apps through a fake fuchsia.vsock.Connector, host
 * apps through a fake HostVsockEndpoint; happy paths and error paths.
 */
/* clang-format off */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
/* clang-format on */

#include <cfidl/handle.h>
#include <cfidl/vmo.h>
#include <cfidl/vsock.h>

#include "fake_stack.h"
#include "vsock_test.h"

#define GUEST_CID 7u

typedef fake_fixture_t fixture_t;

static fixture_t *start(void **state, int incoming)
{
	return fake_fixture_start(state, GUEST_CID, incoming);
}

static zx_time_t in_ms(int ms)
{
	return zx_deadline_after(ZX_MSEC(ms));
}

/* Writes msg on fd and checks it comes back. */
static void check_echo(int fd, const char *msg)
{
	size_t n = strlen(msg), got = 0;
	char buf[256];

	assert_int_equal(write(fd, msg, n), (ssize_t)n);
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(buf, msg, n);
}

static void check_read(int fd, const char *want)
{
	size_t n = strlen(want), got = 0;
	char buf[256];

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_memory_equal(buf, want, n);
}

static void guest_connect_echo(void **state)
{
	fixture_t *f = start(state, 0);
	cfidl_vsock_app_t *app;
	uint32_t local = 0;
	int fd = -1, fd2 = -1;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(5000), &fd, &local),
	    ZX_OK);
	assert_true(fd >= 0);
	assert_int_equal(local, FAKE_LOCAL_PORT);
	check_echo(fd, "ping");
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(5000), &fd2, &local),
	    ZX_OK);
	assert_int_equal(local, FAKE_LOCAL_PORT + 1);
	check_echo(fd2, "second");
	check_echo(fd, "first again");
	close(fd);
	close(fd2);
	cfidl_vsock_app_close(app);
}

static void guest_errors(void **state)
{
	fixture_t *f = start(state, 0);
	cfidl_vsock_app_t *app = NULL;
	char longdir[200];
	int fd = -1;

	/* No such guest, and CIDs no app can be. */
	assert_int_equal(cfidl_vsock_app_open(f->dir, 9, &app),
	                 ZX_ERR_NOT_FOUND);
	assert_null(app);
	assert_int_equal(cfidl_vsock_app_open(f->dir, 0, &app),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfidl_vsock_app_open(f->dir, 1, &app),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfidl_vsock_app_open(f->dir, UINT32_MAX, &app),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfidl_vsock_app_open(f->dir, 7, NULL),
	                 ZX_ERR_INVALID_ARGS);
	memset(longdir, 'x', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = 0;
	assert_int_equal(cfidl_vsock_app_open(longdir, 7, &app),
	                 ZX_ERR_INVALID_ARGS);

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	/* Refused: the service's UNAVAILABLE. */
	assert_int_equal(cfidl_vsock_app_connect(app, 2, FAKE_REFUSED_PORT,
	                                         in_ms(5000), &fd, NULL),
	                 ZX_ERR_UNAVAILABLE);
	assert_int_equal(fd, -1);
	/* Never answered: the deadline. */
	assert_int_equal(cfidl_vsock_app_connect(app, 2, FAKE_SILENT_PORT,
	                                         in_ms(200), &fd, NULL),
	                 ZX_ERR_TIMED_OUT);
	assert_int_equal(fd, -1);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1, in_ms(200), NULL, NULL),
	    ZX_ERR_INVALID_ARGS);
	/* Still usable after the errors. */
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(5000), &fd, NULL),
	    ZX_OK);
	check_echo(fd, "alive");
	close(fd);
	/* Not listening. */
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 77, in_ms(10), &fd, NULL, NULL),
	    ZX_ERR_NOT_FOUND);
	assert_int_equal(cfidl_vsock_app_unlisten(app, 77), ZX_ERR_NOT_FOUND);
	assert_int_equal(cfidl_vsock_app_listen_backlog(app, 77, 0),
	                 ZX_ERR_INVALID_ARGS);
	cfidl_vsock_app_close(app);
	cfidl_vsock_app_close(NULL);
}

static void guest_listen_accept(void **state)
{
	fixture_t *f = start(state, 2);
	cfidl_vsock_app_t *app;
	uint32_t cid = 0, port = 0;
	int fd0 = -1, fd1 = -1, fd = -1;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 5000), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 5000),
	                 ZX_ERR_ALREADY_BOUND);
	assert_int_equal(cfidl_vsock_app_listen(app, 50000),
	                 ZX_ERR_UNAVAILABLE);
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 5000, in_ms(5000), &fd0, &cid, &port),
	    ZX_OK);
	assert_int_equal(cid, FAKE_PEER_CID);
	assert_int_equal(port, FAKE_PEER_PORT);
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 5000, in_ms(5000), &fd1, &cid, &port),
	    ZX_OK);
	assert_int_equal(port, FAKE_PEER_PORT + 1);
	check_read(fd0, "hello 0\n");
	check_read(fd1, "hello 1\n");
	check_echo(fd1, "to one");
	check_echo(fd0, "to zero");
	/* Nothing more comes. */
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 5000, in_ms(100), &fd, NULL, NULL),
	    ZX_ERR_TIMED_OUT);
	assert_int_equal(fd, -1);
	assert_int_equal(fake_stack_accepted(f->fs), 2);
	close(fd0);
	close(fd1);
	assert_int_equal(cfidl_vsock_app_unlisten(app, 5000), ZX_OK);
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 5000, in_ms(10), &fd, NULL, NULL),
	    ZX_ERR_NOT_FOUND);
	cfidl_vsock_app_close(app);
}

/* Connections beyond the backlog are refused while the app is busy. */
static void guest_backlog(void **state)
{
	fixture_t *f = start(state, 3);
	cfidl_vsock_app_t *app;
	int fds[3], n = 0, fd = -1, i;
	zx_time_t until;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen_backlog(app, 6001, 1), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 6002), ZX_OK);
	/* Accepting on 6002 runs the loop: 6001's queue fills and the rest
	 * are refused. */
	while (cfidl_vsock_app_accept(app, 6002, in_ms(300), &fd, NULL, NULL) ==
	       ZX_OK) {
		assert_true(n < 3);
		fds[n++] = fd;
	}
	assert_int_equal(n, 3);
	until = zx_deadline_after(ZX_SEC(3));
	while (fake_stack_refused(f->fs) < 2 &&
	       zx_clock_get_monotonic() < until)
		usleep(2000);
	assert_int_equal(fake_stack_refused(f->fs), 2);
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 6001, in_ms(100), &fd, NULL, NULL),
	    ZX_OK);
	check_read(fd, "hello 0\n");
	close(fd);
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 6001, in_ms(100), &fd, NULL, NULL),
	    ZX_ERR_TIMED_OUT);
	for (i = 0; i < n; i++)
		close(fds[i]);
	cfidl_vsock_app_close(app);
}

/* Closing the app with connections still queued frees them. */
static void close_with_pending(void **state)
{
	fixture_t *f = start(state, 2);
	cfidl_vsock_app_t *app;
	int fd = -1;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 7000), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 7001), ZX_OK);
	/* Runs the loop so 7000's and 7001's connections get queued. */
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 7001, in_ms(5000), &fd, NULL, NULL),
	    ZX_OK);
	close(fd);
	cfidl_vsock_app_close(app);
}

static void guest_send_vmo(void **state)
{
	fixture_t *f = start(state, 0);
	static const char bytes[] = "0123456789abcdef";
	cfidl_vsock_app_t *app;
	zx_handle_t vmo;
	int fd = -1;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(5000), &fd, NULL),
	    ZX_OK);
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	assert_int_equal(zx_vmo_write(vmo, bytes, 0, 16), ZX_OK);
	assert_int_equal(cfidl_vsock_app_send_vmo(app, fd, vmo, 4, 8), ZX_OK);
	check_read(fd, "456789ab");
	/* A fd that is no connection of this app; the vmo is consumed. */
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	assert_int_equal(cfidl_vsock_app_send_vmo(app, 0, vmo, 0, 1),
	                 ZX_ERR_NOT_FOUND);
	assert_int_equal(zx_handle_close(vmo), ZX_ERR_BAD_HANDLE);
	close(fd);
	/* Once the program closed the fd, it is no connection any more. */
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	assert_int_equal(cfidl_vsock_app_send_vmo(app, fd, vmo, 0, 1),
	                 ZX_ERR_NOT_FOUND);
	cfidl_vsock_app_close(app);
}

/* A closed connection's fd number, taken by another socket, is not a
 * connection of the app any more (the entry is matched by the socket,
 * not by the number). */
static void send_vmo_fd_reused(void **state)
{
	fixture_t *f = start(state, 0);
	cfidl_vsock_app_t *app;
	zx_handle_t vmo;
	int a = -1, b = -1;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(5000), &a, NULL),
	    ZX_OK);
	close(a);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(5000), &b, NULL),
	    ZX_OK);
	/* a's old number, if still free, made to name b's socket: the old
	 * entry (same number, other socket) must not match. */
	if (b != a && fcntl(a, F_GETFD) == -1) {
		assert_int_equal(dup2(b, a), a);
		assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
		assert_int_equal(cfidl_vsock_app_send_vmo(app, a, vmo, 0, 6),
		                 ZX_ERR_NOT_FOUND);
		close(a);
	}
	/* Another number for b's socket is not the connection's fd either. */
	a = dup(b);
	assert_true(a >= 0);
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	assert_int_equal(cfidl_vsock_app_send_vmo(app, a, vmo, 0, 6),
	                 ZX_ERR_NOT_FOUND);
	close(a);
	/* (b == a: the old entry, same number, must not be taken.) */
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	assert_int_equal(zx_vmo_write(vmo, "reused", 0, 6), ZX_OK);
	assert_int_equal(cfidl_vsock_app_send_vmo(app, b, vmo, 0, 6), ZX_OK);
	check_read(b, "reused");
	close(b);
	cfidl_vsock_app_close(app);
}

/* Many short connections: the Connection channels of closed ones are
 * dropped as the app goes, not kept until close. */
static void many_connections_pruned(void **state)
{
	fixture_t *f = start(state, 0);
	cfidl_vsock_app_t *app;
	int before, i, fd;
	zx_time_t until;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	before = rt_count_fds();
	for (i = 0; i < 300; i++) {
		assert_int_equal(cfidl_vsock_app_connect(
		                     app, 2, 1234, in_ms(5000), &fd, NULL),
		                 ZX_OK);
		check_echo(fd, "x");
		close(fd);
	}
	/* About 64 entries live between prunes, each a Connection channel
	 * end here and one in the fake (2 fds each end): some 300 fds, not
	 * the 1200 of keeping them all. */
	until = zx_deadline_after(ZX_SEC(3));
	while (rt_count_fds() - before > 400 &&
	       zx_clock_get_monotonic() < until)
		usleep(5000);
	assert_true(rt_count_fds() - before <= 400);
	cfidl_vsock_app_close(app);
}

static void host_connect(void **state)
{
	fixture_t *f = start(state, 0);
	cfidl_vsock_app_t *app;
	uint32_t local = 99;
	zx_handle_t vmo;
	int fd = -1;

	assert_int_equal(
	    cfidl_vsock_app_open(f->dir, CFIDL_VSOCK_HOST_CID, &app), ZX_OK);
	assert_int_equal(cfidl_vsock_app_connect(app, GUEST_CID, 1234,
	                                         in_ms(5000), &fd, &local),
	                 ZX_OK);
	assert_int_equal(local, 0);
	check_echo(fd, "host says hi");
	close(fd);
	fd = -1;
	assert_int_equal(cfidl_vsock_app_connect(app, GUEST_CID,
	                                         FAKE_REFUSED_PORT, in_ms(5000),
	                                         &fd, NULL),
	                 ZX_ERR_CONNECTION_REFUSED);
	assert_int_equal(cfidl_vsock_app_connect(app, GUEST_CID,
	                                         FAKE_SILENT_PORT, in_ms(200),
	                                         &fd, NULL),
	                 ZX_ERR_TIMED_OUT);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 8, 1234, in_ms(1000), &fd, NULL),
	    ZX_ERR_NOT_FOUND);
	assert_int_equal(cfidl_vsock_app_connect(app, CFIDL_VSOCK_HOST_CID,
	                                         1234, in_ms(1000), &fd, NULL),
	                 ZX_ERR_NOT_SUPPORTED);
	assert_int_equal(fd, -1);
	assert_int_equal(zx_vmo_create(4096, 0, &vmo), ZX_OK);
	assert_int_equal(cfidl_vsock_app_send_vmo(app, 0, vmo, 0, 1),
	                 ZX_ERR_NOT_SUPPORTED);
	/* The endpoint is reused after errors. */
	assert_int_equal(cfidl_vsock_app_connect(app, GUEST_CID, 1234,
	                                         in_ms(5000), &fd, NULL),
	                 ZX_OK);
	check_echo(fd, "again");
	close(fd);
	cfidl_vsock_app_close(app);
}

static void host_listen_accept(void **state)
{
	fixture_t *f = start(state, 1);
	cfidl_vsock_app_t *app;
	uint32_t cid = 0, port = 0;
	int fd = -1;

	assert_int_equal(
	    cfidl_vsock_app_open(f->dir, CFIDL_VSOCK_HOST_CID, &app), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 8000), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 8000),
	                 ZX_ERR_ALREADY_BOUND);
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 8000, in_ms(5000), &fd, &cid, &port),
	    ZX_OK);
	assert_int_equal(cid, GUEST_CID);
	assert_int_equal(port, FAKE_PEER_PORT);
	check_read(fd, "hello 0\n");
	check_echo(fd, "from the host");
	close(fd);
	assert_int_equal(fake_stack_listens(f->fs), 1);
	cfidl_vsock_app_close(app);
}

static void host_listen_no_guests(void **state)
{
	fixture_t *f = start(state, 0);
	cfidl_vsock_app_t *app;
	char empty[96];

	snprintf(empty, sizeof(empty), "%s/empty", f->dir);
	assert_int_equal(mkdir(empty, 0700), 0);
	assert_int_equal(
	    cfidl_vsock_app_open(empty, CFIDL_VSOCK_HOST_CID, &app), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 8000), ZX_ERR_NOT_FOUND);
	cfidl_vsock_app_close(app);
	rmdir(empty);
}

/* The stack goes away under a listening, connected app. */
static void stack_dies(void **state)
{
	fixture_t *f = start(state, 0);
	cfidl_vsock_app_t *app;
	int fd = -1, fd2 = -1;
	char c;

	assert_int_equal(cfidl_vsock_app_open(f->dir, GUEST_CID, &app), ZX_OK);
	assert_int_equal(cfidl_vsock_app_listen(app, 9000), ZX_OK);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(5000), &fd, NULL),
	    ZX_OK);
	fake_stack_stop(f->fs);
	f->fs = NULL;
	/* The connection ends (EOF), the listener is dropped. */
	assert_int_equal(read(fd, &c, 1), 0);
	assert_int_equal(
	    cfidl_vsock_app_accept(app, 9000, in_ms(2000), &fd2, NULL, NULL),
	    ZX_ERR_PEER_CLOSED);
	assert_int_equal(
	    cfidl_vsock_app_connect(app, 2, 1234, in_ms(2000), &fd2, NULL),
	    ZX_ERR_PEER_CLOSED);
	close(fd);
	cfidl_vsock_app_close(app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(guest_connect_echo, fake_fixture_stop),
	    cmocka_unit_test_teardown(guest_errors, fake_fixture_stop),
	    cmocka_unit_test_teardown(guest_listen_accept, fake_fixture_stop),
	    cmocka_unit_test_teardown(guest_backlog, fake_fixture_stop),
	    cmocka_unit_test_teardown(close_with_pending, fake_fixture_stop),
	    cmocka_unit_test_teardown(guest_send_vmo, fake_fixture_stop),
	    cmocka_unit_test_teardown(send_vmo_fd_reused, fake_fixture_stop),
	    cmocka_unit_test_teardown(many_connections_pruned,
	                              fake_fixture_stop),
	    cmocka_unit_test_teardown(host_connect, fake_fixture_stop),
	    cmocka_unit_test_teardown(host_listen_accept, fake_fixture_stop),
	    cmocka_unit_test_teardown(host_listen_no_guests, fake_fixture_stop),
	    cmocka_unit_test_teardown(stack_dies, fake_fixture_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
