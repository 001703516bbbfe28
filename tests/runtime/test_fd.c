/* Adopting Unix socket fds as channels and sockets; releasing socket fds. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rt_test.h"

#include <cfidl/fd.h>

/* True if fd is no longer open in this process. */
static bool fd_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static zx_time_t soon(void)
{
	return zx_deadline_after(ZX_SEC(5));
}

static void pair(int type, int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
}

/* Both ends of a SEQPACKET pair adopted: messages and handles both ways. */
static void channel_pair_messages(void **state)
{
	zx_handle_t a, b, ev, got[2];
	zx_handle_t s0, s1;
	int sv[2];
	char buf[32];
	uint32_t nb, nh;
	size_t n;

	(void)state;
	pair(SOCK_SEQPACKET, sv);
	/* A nonblocking fd is made blocking: channel.c reads it directly. */
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	ASSERT_OK(cfidl_channel_adopt_fd(sv[0], &a));
	ASSERT_OK(cfidl_channel_adopt_fd(sv[1], &b));
	assert_int_equal(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(rt_info(a).type, ZX_OBJ_TYPE_CHANNEL);
	assert_true(rt_info(a).rights == ZX_DEFAULT_CHANNEL_RIGHTS);

	ASSERT_OK(zx_event_create(0, &ev));
	ASSERT_OK(zx_socket_create(0, &s0, &s1));
	zx_handle_t send[2] = {ev, s1};
	ASSERT_OK(zx_channel_write(a, 0, "hello", 5, send, 2));
	assert_false(rt_valid(ev)); /* moved */
	ASSERT_OK(zx_object_wait_one(b, ZX_CHANNEL_READABLE, soon(), NULL));
	ASSERT_OK(zx_channel_read(b, 0, buf, got, sizeof(buf), 2, &nb, &nh));
	assert_int_equal(nb, 5);
	assert_int_equal(nh, 2);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(rt_info(got[0]).type, ZX_OBJ_TYPE_EVENT);
	assert_int_equal(rt_info(got[1]).type, ZX_OBJ_TYPE_SOCKET);
	/* The received socket is the same socket. */
	ASSERT_OK(zx_socket_write(got[1], 0, "xyz", 3, &n));
	ASSERT_OK(zx_socket_read(s0, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 3);
	/* And back the other way, with the event. */
	ASSERT_OK(zx_channel_write(b, 0, "back", 4, &got[0], 1));
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_READABLE, soon(), NULL));
	ASSERT_OK(zx_channel_read(a, 0, buf, &ev, sizeof(buf), 1, &nb, &nh));
	assert_int_equal(nb, 4);
	assert_int_equal(nh, 1);
	ASSERT_OK(zx_object_signal(ev, 0, ZX_EVENT_SIGNALED));

	/* Closing one adopted end is seen by the other. */
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_object_wait_one(b, ZX_CHANNEL_PEER_CLOSED, soon(), NULL));
	zx_handle_t all[] = {b, ev, got[1], s0};
	ASSERT_OK(zx_handle_close_many(all, 4));
}

/* An adopted end talks to a plain fd that speaks the record format. */
static void channel_call_through_adopted(void **state)
{
	zx_handle_t a;
	int sv[2];
	unsigned char msg[64], rep[64];
	uint32_t txid = 0x1234, nb, nh;
	ssize_t r;

	(void)state;
	pair(SOCK_SEQPACKET, sv);
	ASSERT_OK(cfidl_channel_adopt_fd(sv[0], &a));
	ASSERT_OK(zx_channel_write(a, 0, &txid, sizeof(txid), NULL, 0));
	/* One record: prefix (num_bytes, num_handles), then the bytes. */
	r = recv(sv[1], msg, sizeof(msg), 0);
	assert_int_equal(r, 8 + 4);
	uint32_t pre[2];
	memcpy(pre, msg, 8);
	assert_int_equal(pre[0], 4);
	assert_int_equal(pre[1], 0);
	/* Reply through the raw fd; the channel reads it. */
	assert_int_equal(send(sv[1], msg, (size_t)r, 0), r);
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_READABLE, soon(), NULL));
	ASSERT_OK(zx_channel_read(a, 0, rep, NULL, sizeof(rep), 0, &nb, &nh));
	assert_int_equal(nb, 4);
	assert_memory_equal(rep, &txid, 4);
	close(sv[1]);
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_PEER_CLOSED, soon(), NULL));
	ASSERT_OK(zx_handle_close(a));
}

/* The real use: accept(2) on a listening SEQPACKET socket. */
static void channel_over_listener(void **state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	zx_handle_t srv, cli, h;
	int lfd, cfd, afd, ufd;
	char buf[8];
	uint32_t nb;

	(void)state;
	/* Abstract address: nothing to clean up in the file system. */
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
	         "cfidl-test-fd-%d", (int)getpid());
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	                            strlen(addr.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, len), 0);
	assert_int_equal(listen(lfd, 4), 0);
	/* A listener is not a channel end (and is closed). */
	int l2 = dup(lfd);
	ASSERT_ST(cfidl_channel_adopt_fd(l2, &h), ZX_ERR_BAD_STATE);
	assert_true(fd_closed(l2));
	/* Nor is a socket that never connected. */
	ufd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_ST(cfidl_channel_adopt_fd(ufd, &h), ZX_ERR_BAD_STATE);
	assert_true(fd_closed(ufd));

	cfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&addr, len), 0);
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	assert_true(afd >= 0);
	close(lfd);
	ASSERT_OK(cfidl_channel_adopt_fd(afd, &srv));
	ASSERT_OK(cfidl_channel_adopt_fd(cfd, &cli));
	ASSERT_OK(zx_channel_write(cli, 0, "ping", 4, NULL, 0));
	ASSERT_OK(zx_object_wait_one(srv, ZX_CHANNEL_READABLE, soon(), NULL));
	ASSERT_OK(
	    zx_channel_read(srv, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
	assert_int_equal(nb, 4);
	ASSERT_OK(zx_handle_close(cli));
	ASSERT_OK(
	    zx_object_wait_one(srv, ZX_CHANNEL_PEER_CLOSED, soon(), NULL));
	ASSERT_OK(zx_handle_close(srv));
}

/* Adopting an end whose peer is already gone works; it shows PEER_CLOSED. */
static void adopt_after_peer_closed(void **state)
{
	zx_handle_t h;
	zx_signals_t obs = 0;
	int sv[2];

	(void)state;
	pair(SOCK_SEQPACKET, sv);
	close(sv[1]);
	ASSERT_OK(cfidl_channel_adopt_fd(sv[0], &h));
	ASSERT_OK(zx_object_wait_one(h, ZX_CHANNEL_PEER_CLOSED, 0, &obs));
	assert_true(obs & ZX_CHANNEL_PEER_CLOSED);
	ASSERT_ST(zx_channel_write(h, 0, "x", 1, NULL, 0), ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(h));

	pair(SOCK_STREAM, sv);
	close(sv[1]);
	ASSERT_OK(cfidl_socket_adopt_fd(sv[0], &h));
	ASSERT_OK(zx_object_wait_one(h, ZX_SOCKET_PEER_CLOSED, 0, &obs));
	ASSERT_OK(zx_handle_close(h));
}

typedef zx_status_t (*adopt_fn)(int fd, zx_handle_t *out);

static void expect_refused(adopt_fn fn, int fd, zx_status_t want)
{
	zx_handle_t h = 0x77;

	ASSERT_ST(fn(fd, &h), want);
	assert_int_equal(h, 0x77); /* untouched */
	assert_true(fd_closed(fd));
}

/* Every kind of wrong fd is refused, and closed. */
static void wrong_types(void **state)
{
	int sv[2], p[2];

	(void)state;
	pair(SOCK_STREAM, sv);
	expect_refused(cfidl_channel_adopt_fd, sv[0], ZX_ERR_WRONG_TYPE);
	close(sv[1]);
	pair(SOCK_DGRAM, sv);
	expect_refused(cfidl_channel_adopt_fd, sv[0], ZX_ERR_WRONG_TYPE);
	expect_refused(cfidl_socket_adopt_fd, sv[1], ZX_ERR_WRONG_TYPE);
	pair(SOCK_SEQPACKET, sv);
	expect_refused(cfidl_socket_adopt_fd, sv[0], ZX_ERR_WRONG_TYPE);
	close(sv[1]);
	/* Not AF_UNIX (an unbound UDP socket: no traffic). */
	int inet = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (inet >= 0)
		expect_refused(cfidl_channel_adopt_fd, inet, ZX_ERR_WRONG_TYPE);
	inet = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (inet >= 0)
		expect_refused(cfidl_socket_adopt_fd, inet, ZX_ERR_WRONG_TYPE);
	/* Not sockets at all. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	expect_refused(cfidl_socket_adopt_fd, p[0], ZX_ERR_WRONG_TYPE);
	expect_refused(cfidl_channel_adopt_fd, p[1], ZX_ERR_WRONG_TYPE);
	expect_refused(cfidl_channel_adopt_fd, eventfd(0, EFD_CLOEXEC),
	               ZX_ERR_WRONG_TYPE);
	expect_refused(cfidl_socket_adopt_fd,
	               open("/dev/null", O_RDWR | O_CLOEXEC),
	               ZX_ERR_WRONG_TYPE);
	/* An unconnected stream socket. */
	expect_refused(cfidl_socket_adopt_fd,
	               socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
	               ZX_ERR_BAD_STATE);
}

static void bad_args(void **state)
{
	zx_handle_t h;
	int sv[2], fd;

	(void)state;
	ASSERT_ST(cfidl_channel_adopt_fd(-1, &h), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(cfidl_socket_adopt_fd(-5, &h), ZX_ERR_INVALID_ARGS);
	/* A NULL out still takes the fd over (the type is checked first). */
	pair(SOCK_SEQPACKET, sv);
	ASSERT_ST(cfidl_channel_adopt_fd(sv[0], NULL), ZX_ERR_INVALID_ARGS);
	assert_true(fd_closed(sv[0]));
	ASSERT_ST(cfidl_socket_adopt_fd(sv[1], NULL), ZX_ERR_WRONG_TYPE);
	assert_true(fd_closed(sv[1]));
	pair(SOCK_STREAM, sv);
	ASSERT_ST(cfidl_socket_adopt_fd(sv[0], NULL), ZX_ERR_INVALID_ARGS);
	assert_true(fd_closed(sv[0]));
	close(sv[1]);
	/* An fd number that is not open: BAD_HANDLE, nothing closed. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(fd);
	ASSERT_ST(cfidl_channel_adopt_fd(fd, &h), ZX_ERR_BAD_HANDLE);
	ASSERT_ST(cfidl_socket_adopt_fd(fd, &h), ZX_ERR_BAD_HANDLE);
}

/* Adopted stream end <-> plain fd: bytes, half close, signals. */
static void socket_adopt_io(void **state)
{
	zx_handle_t h;
	int sv[2];
	char buf[16];
	size_t n;

	(void)state;
	pair(SOCK_STREAM, sv);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	ASSERT_OK(cfidl_socket_adopt_fd(sv[0], &h));
	assert_int_equal(rt_info(h).type, ZX_OBJ_TYPE_SOCKET);
	assert_true(rt_info(h).rights == ZX_DEFAULT_SOCKET_RIGHTS);
	ASSERT_OK(zx_socket_write(h, 0, "abc", 3, &n));
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	/* Reads never block even though the file now does. */
	ASSERT_ST(zx_socket_read(h, 0, buf, sizeof(buf), &n),
	          ZX_ERR_SHOULD_WAIT);
	assert_int_equal(write(sv[1], "defg", 4), 4);
	ASSERT_OK(zx_object_wait_one(h, ZX_SOCKET_READABLE, soon(), NULL));
	ASSERT_OK(zx_socket_read(h, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 4);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	ASSERT_OK(
	    zx_object_wait_one(h, ZX_SOCKET_PEER_WRITE_DISABLED, soon(), NULL));
	close(sv[1]);
	ASSERT_OK(zx_object_wait_one(h, ZX_SOCKET_PEER_CLOSED, soon(), NULL));
	ASSERT_ST(zx_socket_read(h, 0, buf, sizeof(buf), &n),
	          ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(h));
}

/* zx socket -> fd: blocking, close-on-exec, same bytes both ways. */
static void release_round_trip(void **state)
{
	zx_handle_t a, b;
	int fd;
	char buf[16];
	size_t n;

	(void)state;
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_OK(zx_socket_write(a, 0, "before", 6, &n));
	ASSERT_OK(cfidl_socket_release_fd(b, &fd));
	assert_false(rt_valid(b));
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* Bytes written before the release are there. */
	assert_int_equal(read(fd, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "before", 6);
	assert_int_equal(write(fd, "after", 5), 5);
	ASSERT_OK(zx_object_wait_one(a, ZX_SOCKET_READABLE, soon(), NULL));
	ASSERT_OK(zx_socket_read(a, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "after", 5);
	/* Blocking mode: a read waits; poll shows no data yet. */
	struct pollfd p = {fd, POLLIN, 0};
	assert_int_equal(poll(&p, 1, 0), 0);
	/* EOF on the fd when the handle side closes. */
	ASSERT_OK(zx_handle_close(a));
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}

/* adopt -> release gives back a working fd; a duplicate handle survives. */
static void release_adopted_and_duplicates(void **state)
{
	zx_handle_t h, dup;
	int sv[2], fd;
	char buf[8];
	size_t n;

	(void)state;
	pair(SOCK_STREAM, sv);
	ASSERT_OK(cfidl_socket_adopt_fd(sv[0], &h));
	/* White box: the handle owns sv[0]; make its file nonblocking. */
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	ASSERT_OK(zx_handle_duplicate(h, ZX_RIGHT_SAME_RIGHTS, &dup));
	ASSERT_OK(cfidl_socket_release_fd(h, &fd));
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_false(rt_valid(h));
	assert_true(rt_valid(dup));
	assert_int_equal(write(sv[1], "12", 2), 2);
	assert_int_equal(read(fd, buf, 1), 1);
	ASSERT_OK(zx_socket_read(dup, 0, buf, sizeof(buf), &n));
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], '2');
	/* The end stays open while either the fd or the handle lives. */
	close(fd);
	assert_int_equal(write(sv[1], "3", 1), 1);
	ASSERT_OK(zx_handle_close(dup));
	/* Both gone: the peer sees the hang-up. */
	struct pollfd p = {sv[1], POLLIN, 0};
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_true(p.revents & POLLHUP);
	close(sv[1]);
}

/* A disabled direction stays disabled on the fd. */
static void release_keeps_disposition(void **state)
{
	zx_handle_t a, b;
	int fd;
	char buf[4];

	(void)state;
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_OK(zx_socket_set_disposition(
	    b, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0));
	ASSERT_OK(cfidl_socket_release_fd(b, &fd));
	assert_true(send(fd, "x", 1, MSG_NOSIGNAL) < 0);
	assert_int_equal(errno, EPIPE);
	ASSERT_OK(zx_socket_write(a, 0, "y", 1, NULL));
	assert_int_equal(read(fd, buf, sizeof(buf)), 1);
	close(fd);
	ASSERT_OK(zx_handle_close(a));
}

static void release_errors(void **state)
{
	zx_handle_t a, b, c0, c1;
	int fd = -7;

	(void)state;
	ASSERT_ST(cfidl_socket_release_fd(ZX_HANDLE_INVALID, &fd),
	          ZX_ERR_BAD_HANDLE);
	ASSERT_ST(cfidl_socket_release_fd(0x12345u, &fd), ZX_ERR_BAD_HANDLE);
	assert_int_equal(fd, -7);
	/* Wrong type: refused, and the handle is consumed. */
	ASSERT_OK(zx_channel_create(0, &c0, &c1));
	ASSERT_ST(cfidl_socket_release_fd(c0, &fd), ZX_ERR_WRONG_TYPE);
	assert_false(rt_valid(c0));
	ASSERT_OK(zx_object_wait_one(c1, ZX_CHANNEL_PEER_CLOSED, soon(), NULL));
	ASSERT_OK(zx_handle_close(c1));
	/* Missing rights: an fd would grant them back. */
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_OK(zx_handle_replace(b, ZX_RIGHT_READ | ZX_RIGHT_TRANSFER, &b));
	ASSERT_ST(cfidl_socket_release_fd(b, &fd), ZX_ERR_ACCESS_DENIED);
	assert_false(rt_valid(b));
	assert_int_equal(fd, -7);
	ASSERT_OK(zx_object_wait_one(a, ZX_SOCKET_PEER_CLOSED, soon(), NULL));
	ASSERT_OK(zx_handle_close(a));
	/* NULL out: consumed too. */
	ASSERT_OK(zx_socket_create(0, &a, &b));
	ASSERT_ST(cfidl_socket_release_fd(b, NULL), ZX_ERR_INVALID_ARGS);
	assert_false(rt_valid(b));
	ASSERT_OK(zx_handle_close(a));
}

/* A socket end adopted here travels through an adopted channel. */
static void adopted_socket_through_adopted_channel(void **state)
{
	zx_handle_t c0, c1, s, got;
	int cv[2], sv[2], fd;
	char buf[8];
	uint32_t nb, nh;

	(void)state;
	pair(SOCK_SEQPACKET, cv);
	pair(SOCK_STREAM, sv);
	ASSERT_OK(cfidl_channel_adopt_fd(cv[0], &c0));
	ASSERT_OK(cfidl_channel_adopt_fd(cv[1], &c1));
	ASSERT_OK(cfidl_socket_adopt_fd(sv[0], &s));
	ASSERT_OK(zx_channel_write(c0, 0, "s", 1, &s, 1));
	ASSERT_OK(zx_object_wait_one(c1, ZX_CHANNEL_READABLE, soon(), NULL));
	ASSERT_OK(zx_channel_read(c1, 0, buf, &got, sizeof(buf), 1, &nb, &nh));
	assert_int_equal(nh, 1);
	ASSERT_OK(cfidl_socket_release_fd(got, &fd));
	assert_int_equal(write(sv[1], "hi", 2), 2);
	assert_int_equal(read(fd, buf, sizeof(buf)), 2);
	close(fd);
	close(sv[1]);
	ASSERT_OK(zx_handle_close(c0));
	ASSERT_OK(zx_handle_close(c1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(channel_pair_messages),
	    RT_TEST(channel_call_through_adopted),
	    RT_TEST(channel_over_listener),
	    RT_TEST(adopt_after_peer_closed),
	    RT_TEST(wrong_types),
	    RT_TEST(bad_args),
	    RT_TEST(socket_adopt_io),
	    RT_TEST(release_round_trip),
	    RT_TEST(release_adopted_and_duplicates),
	    RT_TEST(release_keeps_disposition),
	    RT_TEST(release_errors),
	    RT_TEST(adopted_socket_through_adopted_channel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
