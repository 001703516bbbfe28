/*
 * The udo vsock-tcp API over the kernel's AF_VSOCK: bind and listen,
 * get_local_vcid against the ioctl, the accessors, destroy, and the
 * seed's errors.  Connects go ONLY to CID 1 and only where a CID 1
 * loopback connect works; no test ever connects to CID 2 or another CID.
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
/* clang-format on */

#include <udo/vsock-tcp.h>

#include "vsock_test.h"

/* Ports tried, upwards, until one is free. */
#define PORT_FIRST 61730
#define PORT_TRIES 32

static int setup(void **state)
{
	unsetenv("CFIDL_VSOCK_GUEST");
	return rt_setup(state);
}

static bool have_vsock(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

#define NEED_VSOCK()                                                           \
	do {                                                                   \
		if (!have_vsock()) {                                           \
			print_message("skip: no AF_VSOCK in this kernel\n");   \
			skip();                                                \
		}                                                              \
	} while (0)

/* What the ioctl says, independently of the API. */
static unsigned int ioctl_cid(void)
{
	unsigned int cid = UINT32_MAX;
	int fd = open("/dev/vsock", O_RDONLY);

	if (fd < 0)
		return UINT32_MAX;
	if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) != 0)
		cid = UINT32_MAX;
	close(fd);
	return cid;
}

/* Creates a server on the first free port from PORT_FIRST. */
static struct udo_vsock_tcp *server_on_free_port(struct udo_vsock_tcp *buf,
                                                 unsigned int vcid, int *port)
{
	int i;

	for (i = 0; i < PORT_TRIES; i++) {
		struct udo_vsock_tcp_server_create_info info = {
		    .vcid = vcid, .port = PORT_FIRST + i, .connections = 4};
		struct udo_vsock_tcp *s =
		    udo_vsock_tcp_server_create(buf, &info);

		if (s) {
			*port = info.port;
			return s;
		}
		if (errno != EADDRINUSE)
			return NULL;
	}
	return NULL;
}

static void local_vcid(void **state)
{
	unsigned int want = ioctl_cid();

	(void)state;
	assert_int_equal(udo_vsock_tcp_get_local_vcid(), want);
	if (access("/dev/vsock", F_OK) != 0)
		assert_int_equal(udo_vsock_tcp_get_local_vcid(), UINT32_MAX);
	else
		print_message("local CID %u\n", want);
}

static void server_binds_and_listens(void **state)
{
	struct udo_vsock_tcp *s;
	struct sockaddr_vm sa;
	socklen_t len = sizeof(sa);
	int port = 0, on = 0, fd;
	socklen_t olen = sizeof(on);
	unsigned int cid = ioctl_cid();

	(void)state;
	NEED_VSOCK();
	s = server_on_free_port(NULL, 0, &port);
	assert_non_null(s);
	fd = udo_vsock_tcp_get_fd(s);
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(sa.svm_family, AF_VSOCK);
	assert_int_equal(sa.svm_port, (unsigned int)port);
	/* The local CID from /dev/vsock (UINT32_MAX = VMADDR_CID_ANY). */
	assert_int_equal(sa.svm_cid, cid);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen),
	                 0);
	assert_int_equal(on, 1);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, &olen),
	                 0);
	assert_int_equal(on, 1);
	assert_int_equal(udo_vsock_tcp_get_vcid(s), cid);
	assert_int_equal(udo_vsock_tcp_get_port(s), port);
	assert_int_equal(udo_vsock_tcp_get_sizeof(),
	                 udo_vsock_tcp_get_sizeof());
	assert_true(udo_vsock_tcp_get_sizeof() > 0);

	/* Nobody connects: a nonblocking accept says so. */
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	errno = 0;
	assert_int_equal(udo_vsock_tcp_server_accept(s, &sa), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	errno = 0;
	assert_int_equal(udo_vsock_tcp_server_accept(s, NULL), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	udo_vsock_tcp_destroy(s);
}

/* A second server on a port in use is refused; the port is free again
 * after destroy. */
static void port_in_use(void **state)
{
	struct udo_vsock_tcp *a, *b;
	struct udo_vsock_tcp_server_create_info info = {.connections = 1};
	int port = 0;

	(void)state;
	NEED_VSOCK();
	a = server_on_free_port(NULL, 0, &port);
	assert_non_null(a);
	info.port = port;
	errno = 0;
	b = udo_vsock_tcp_server_create(NULL, &info);
	assert_null(b);
	assert_int_equal(errno, EADDRINUSE);
	udo_vsock_tcp_destroy(a);
	b = udo_vsock_tcp_server_create(NULL, &info);
	assert_non_null(b);
	udo_vsock_tcp_destroy(b);
}

/* The caller's memory: used, never freed, reset by destroy and by a
 * failed create. */
static void caller_memory(void **state)
{
	int size = udo_vsock_tcp_get_sizeof();
	struct udo_vsock_tcp *buf, *s;
	struct udo_vsock_tcp_server_create_info bad = {.port = -1};
	struct udo_vsock_tcp_client_create_info ci = {.vcid = 1, .port = 7};
	int port = 0;

	(void)state;
	NEED_VSOCK();
	buf = malloc((size_t)size);
	assert_non_null(buf);
	memset(buf, 0xa5, (size_t)size);
	s = server_on_free_port(buf, 0, &port);
	assert_ptr_equal(s, buf);
	assert_true(udo_vsock_tcp_get_fd(buf) >= 0);
	udo_vsock_tcp_destroy(buf);
	assert_int_equal(udo_vsock_tcp_get_fd(buf), -1);
	assert_int_equal(udo_vsock_tcp_get_port(buf), 0);

	assert_ptr_equal(udo_vsock_tcp_client_create(buf, &ci), buf);
	assert_true(udo_vsock_tcp_get_fd(buf) >= 0);
	assert_int_equal(udo_vsock_tcp_get_vcid(buf), 1);
	assert_int_equal(udo_vsock_tcp_get_port(buf), 7);
	udo_vsock_tcp_destroy(buf);
	assert_int_equal(udo_vsock_tcp_get_fd(buf), -1);

	assert_null(udo_vsock_tcp_server_create(buf, &bad));
	free(buf);
}

/* vcid 1 binds loopback: works where vsock_loopback is loaded, else the
 * kernel's EADDRNOTAVAIL comes through. */
static void loopback_bind(void **state)
{
	struct udo_vsock_tcp *s;
	int port = 0;

	(void)state;
	NEED_VSOCK();
	errno = 0;
	s = server_on_free_port(NULL, 1, &port);
	if (!s) {
		assert_int_equal(errno, EADDRNOTAVAIL);
		return;
	}
	assert_int_equal(udo_vsock_tcp_get_vcid(s), 1);
	udo_vsock_tcp_destroy(s);
}

static void client_create_only(void **state)
{
	struct udo_vsock_tcp_client_create_info ci = {.vcid = 1, .port = 9999};
	struct udo_vsock_tcp *c;

	(void)state;
	NEED_VSOCK();
	c = udo_vsock_tcp_client_create(NULL, &ci);
	assert_non_null(c);
	assert_true(udo_vsock_tcp_get_fd(c) >= 0);
	assert_int_equal(udo_vsock_tcp_get_vcid(c), 1);
	assert_int_equal(udo_vsock_tcp_get_port(c), 9999);
	/* Not connected: send fails with a negative errno. */
	assert_true(udo_vsock_tcp_client_send_data(c, "x", 1, NULL) < 0);
	udo_vsock_tcp_destroy(c);
}

static void bad_args(void **state)
{
	struct udo_vsock_tcp_server_create_info neg = {.port = -5};
	struct udo_vsock_tcp_client_create_info cneg = {.port = -5};
	char buf[4];
	int flags = 0;

	(void)state;
	errno = 0;
	assert_null(udo_vsock_tcp_server_create(NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(udo_vsock_tcp_server_create(NULL, &neg));
	assert_null(udo_vsock_tcp_client_create(NULL, NULL));
	assert_null(udo_vsock_tcp_client_create(NULL, &cneg));
	assert_int_equal(udo_vsock_tcp_server_accept(NULL, NULL), -1);
	assert_int_equal(udo_vsock_tcp_client_connect(NULL), -1);
	assert_true(udo_vsock_tcp_client_send_data(NULL, "x", 1, NULL) < 0);
	assert_int_equal(udo_vsock_tcp_get_fd(NULL), -1);
	assert_int_equal(udo_vsock_tcp_get_vcid(NULL), UINT32_MAX);
	assert_int_equal(udo_vsock_tcp_get_port(NULL), -1);
	udo_vsock_tcp_destroy(NULL);
	assert_int_equal(udo_vsock_tcp_send_data(-1, "x", 1, &flags), -EBADF);
	assert_int_equal(udo_vsock_tcp_recv_data(-1, buf, 1, NULL), -EBADF);
}

/* send_data/recv_data pass the flags through (on a Unix socketpair: the
 * calls are plain send/recv on any fd). */
static void data_calls(void **state)
{
	int sv[2], peek = MSG_PEEK, dontwait = MSG_DONTWAIT;
	char buf[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(udo_vsock_tcp_send_data(sv[0], "abc", 3, NULL), 3);
	assert_int_equal(udo_vsock_tcp_recv_data(sv[1], buf, 8, &peek), 3);
	assert_int_equal(udo_vsock_tcp_recv_data(sv[1], buf, 8, NULL), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(udo_vsock_tcp_recv_data(sv[1], buf, 8, &dontwait),
	                 -EAGAIN);
	close(sv[0]);
	assert_int_equal(udo_vsock_tcp_recv_data(sv[1], buf, 8, NULL), 0);
	close(sv[1]);
}

/* A real connect, to CID 1 only, where loopback works. */
static void loopback_echo(void **state)
{
	struct udo_vsock_tcp_client_create_info ci = {.vcid = 1};
	struct udo_vsock_tcp *s, *c;
	struct sockaddr_vm peer;
	int port = 0, fd;
	char buf[8];

	(void)state;
	NEED_VSOCK();
	s = server_on_free_port(NULL, 1, &port);
	if (!s) {
		print_message("skip: CID 1 (vsock_loopback) is not available "
		              "here, so no kernel connect is tried\n");
		skip();
	}
	ci.port = port;
	c = udo_vsock_tcp_client_create(NULL, &ci);
	assert_non_null(c);
	if (udo_vsock_tcp_client_connect(c) != 0) {
		udo_vsock_tcp_destroy(c);
		udo_vsock_tcp_destroy(s);
		print_message("skip: CID 1 loopback connect fails (%s)\n",
		              strerror(errno));
		skip();
	}
	fd = udo_vsock_tcp_server_accept(s, &peer);
	assert_true(fd >= 0);
	assert_int_equal(peer.svm_cid, 1);
	assert_int_equal(udo_vsock_tcp_client_send_data(c, "hi", 2, NULL), 2);
	assert_int_equal(udo_vsock_tcp_recv_data(fd, buf, 2, NULL), 2);
	assert_int_equal(udo_vsock_tcp_send_data(fd, "yo", 2, NULL), 2);
	assert_int_equal(
	    udo_vsock_tcp_recv_data(udo_vsock_tcp_get_fd(c), buf, 2, NULL), 2);
	assert_memory_equal(buf, "yo", 2);
	close(fd);
	udo_vsock_tcp_destroy(c);
	udo_vsock_tcp_destroy(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, rt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(local_vcid),    T(server_binds_and_listens),
	    T(port_in_use),   T(caller_memory),
	    T(loopback_bind), T(client_create_only),
	    T(bad_args),      T(data_calls),
	    T(loopback_echo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
