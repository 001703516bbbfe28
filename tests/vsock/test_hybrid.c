/*
 * test_hybrid: Firecracker's hybrid vsock socket against a fake guest
 * host half, with the router in between, on one loop.  CONNECT ok with
 * data both ways (and bytes sent right after the line, and a half-close),
 * no listener, no guest, partial lines (then close, then the timeout),
 * byte-by-byte lines, over-long lines and garbage, 200 connections at
 * once, more than max_pending at once, SIGPIPE, destroy with handshakes
 * pending.  After each, the socket still serves a good CONNECT.
 */
#include "router_fakes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "hybrid.h"
#include "rundir.h"

typedef struct fx {
	char dir[64];
	char path[128];
	cfidl_loop_t *loop;
	cfv_router_t *r;
	fguest_t g;
	cfv_hybrid_t *h;
} fx_t;

static void fx_init_cfg(fx_t *f, const cfv_hybrid_config_t *cfg)
{
	struct stat st;

	rd_tmpdir(f->dir, sizeof(f->dir));
	ASSERT_OK(cfidl_loop_create(&f->loop));
	fk_loop = f->loop;
	ASSERT_OK(cfv_router_create(f->loop, f->dir, &f->r));
	fg_add(&f->g, f->loop, f->r, 3);
	f->g.listen_port = 80;
	ASSERT_OK(cfv_rundir_hybrid_path(f->path, sizeof(f->path), f->dir, 3));
	ASSERT_OK(cfv_hybrid_create_etc(f->loop, f->r, 3, f->path, cfg, &f->h));
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void fx_init(fx_t *f)
{
	fx_init_cfg(f, NULL);
}

static void fx_fini(fx_t *f)
{
	cfv_hybrid_destroy(f->h);
	fg_free(&f->g);
	cfv_router_destroy(f->r);
	cfidl_loop_run_until_idle(f->loop);
	cfidl_loop_destroy(f->loop);
	fk_loop = NULL;
	rd_rmdir(f->dir);
}

static cfv_hybrid_stats_t hstats(fx_t *f)
{
	cfv_hybrid_stats_t s;

	cfv_hybrid_get_stats(f->h, &s);
	return s;
}

/* A nonblocking client of the Unix socket at path. */
static int client_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int client(fx_t *f)
{
	return client_at(f->path);
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL),
	                 (ssize_t)strlen(s));
}

/*
 * Runs the loop and reads fd until want bytes came or EOF; returns the
 * count (the bytes in buf, NUL-terminated), -1 if the deadline passed.
 */
static int client_read(fx_t *f, int fd, char *buf, size_t want,
                       zx_duration_t max, bool *eof)
{
	zx_time_t end = zx_deadline_after(max);
	size_t got = 0;

	*eof = false;
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			*eof = true;
			break;
		}
		assert_true(errno == EAGAIN);
		if (zx_clock_get_monotonic() >= end)
			return -1;
		cfidl_loop_run(f->loop, zx_deadline_after(ZX_MSEC(5)), true);
	}
	buf[got] = '\0';
	return (int)got;
}

/* Reads the OK line (byte by byte: nothing after it is taken). */
static uint32_t expect_ok(fx_t *f, int fd)
{
	char line[64];
	size_t n = 0;
	bool eof;
	unsigned port = 0;

	while (n < sizeof(line) - 1) {
		assert_int_equal(
		    client_read(f, fd, line + n, 1, ZX_SEC(5), &eof), 1);
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	assert_int_equal(sscanf(line, "OK %u\n", &port), 1);
	assert_true(port >= 49152 && port <= 65535);
	return port;
}

/* The socket is closed on us, with nothing written. */
static void expect_closed(fx_t *f, int fd)
{
	char buf[64];
	bool eof;

	assert_int_equal(
	    client_read(f, fd, buf, sizeof(buf) - 1, ZX_SEC(5), &eof), 0);
	assert_true(eof);
}

/* A full good connection: the daemon still serves. */
static void good_connect(fx_t *f)
{
	int fd = client(f);
	uint32_t port;

	send_str(fd, "CONNECT 80\n");
	port = expect_ok(f, fd);
	assert_int_equal(port, f->g.src_port);
	send_str(fd, "hi");
	expect_bytes(f->g.sock, "hi");
	close(fd);
}

static void data_both_ways(bool ordered)
{
	fx_t f;
	cfv_hybrid_config_t cfg;
	int fd;
	char buf[16];
	bool eof;
	uint32_t port;

	cfv_hybrid_config_init(&cfg);
	cfg.ordered = ordered;
	fx_init_cfg(&f, &cfg);
	fd = client(&f);
	/* Bytes right after the line belong to the stream. */
	send_str(fd, "CONNECT 80\nearly");
	port = expect_ok(&f, fd);
	assert_int_equal(f.g.accepts, 1);
	assert_int_equal(f.g.src_cid, 2);
	assert_int_equal(f.g.src_port, port);
	assert_int_equal(f.g.port, 80);
	expect_bytes(f.g.sock, "early");
	send_str(fd, "hello");
	expect_bytes(f.g.sock, "hello");
	ASSERT_OK(zx_socket_write(f.g.sock, 0, "world", 5, NULL));
	assert_int_equal(client_read(&f, fd, buf, 5, ZX_SEC(5), &eof), 5);
	assert_string_equal(buf, "world");
	/* The app's EOF is a half-close: the guest still talks to it. */
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	zx_signals_t sig;
	VT_RUN_UNTIL(f.loop,
	             zx_object_wait_one(f.g.sock, ZX_SOCKET_PEER_WRITE_DISABLED,
	                                0, &sig) == ZX_OK);
	ASSERT_OK(zx_socket_write(f.g.sock, 0, "after", 5, NULL));
	assert_int_equal(client_read(&f, fd, buf, 5, ZX_SEC(5), &eof), 5);
	assert_string_equal(buf, "after");
	close(fd);
	assert_int_equal(hstats(&f).connected, 1);
	assert_int_equal(hstats(&f).pending, 0);
	/* \r\n is accepted too (socat's crlf option). */
	fd = client(&f);
	send_str(fd, "CONNECT 80\r\n");
	expect_ok(&f, fd);
	close(fd);
	good_connect(&f);
	fx_fini(&f);
}

static void connect_ok_data_both_ways(void **state)
{
	(void)state;
	data_both_ways(false);
}

static void ordered_data_both_ways(void **state)
{
	(void)state;
	data_both_ways(true);
}

/* A guest app that speaks first: in ordered mode the OK still leads. */
static void ordered_ok_before_banner(void **state)
{
	fx_t f;
	cfv_hybrid_config_t cfg;
	char buf[16];
	bool eof;
	int fd;

	(void)state;
	cfv_hybrid_config_init(&cfg);
	cfg.ordered = true;
	fx_init_cfg(&f, &cfg);
	f.g.banner = "SSH-2.0-x\r\n";
	for (int i = 0; i < 5; i++) {
		fd = client(&f);
		send_str(fd, "CONNECT 80\n");
		expect_ok(&f, fd);
		assert_int_equal(client_read(&f, fd, buf, 11, ZX_SEC(5), &eof),
		                 11);
		assert_string_equal(buf, "SSH-2.0-x\r\n");
		close(fd);
	}
	/* The guest closes: the app reads EOF after the data. */
	fd = client(&f);
	send_str(fd, "CONNECT 80\n");
	expect_ok(&f, fd);
	assert_int_equal(client_read(&f, fd, buf, 11, ZX_SEC(5), &eof), 11);
	zx_handle_close(f.g.sock);
	f.g.sock = ZX_HANDLE_INVALID;
	expect_closed(&f, fd);
	close(fd);
	fx_fini(&f);
}

/* Megabytes both ways through the relay, with a slow reader. */
static void ordered_bulk(void **state)
{
	fx_t f;
	cfv_hybrid_config_t cfg;
	enum { TOTAL = 4 << 20 };
	static char pat[8192], got[8192];
	size_t sent_up = 0, recv_up = 0, sent_dn = 0, recv_dn = 0;
	uint64_t sum_up_tx = 0, sum_up_rx = 0, sum_dn_tx = 0, sum_dn_rx = 0;
	zx_time_t end;
	int fd;

	(void)state;
	cfv_hybrid_config_init(&cfg);
	cfg.ordered = true;
	fx_init_cfg(&f, &cfg);
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (char)(i * 7 + 3);
	fd = client(&f);
	send_str(fd, "CONNECT 80\n");
	expect_ok(&f, fd);
	end = zx_deadline_after(ZX_SEC(15));
	while (recv_up < TOTAL || recv_dn < TOTAL) {
		ssize_t n;
		size_t m;

		assert_true(zx_clock_get_monotonic() < end);
		if (sent_up < TOTAL) {
			m = TOTAL - sent_up < sizeof(pat) ? TOTAL - sent_up
			                                  : sizeof(pat);
			n = send(fd, pat, m, MSG_NOSIGNAL);
			if (n > 0) {
				for (ssize_t i = 0; i < n; i++)
					sum_up_tx =
					    sum_up_tx * 31 + (uint8_t)pat[i];
				sent_up += (size_t)n;
			}
		}
		if (sent_dn < TOTAL) {
			size_t w = 0;

			m = TOTAL - sent_dn < 4096 ? TOTAL - sent_dn : 4096;
			if (zx_socket_write(f.g.sock, 0, pat + 64, m, &w) ==
			    ZX_OK) {
				for (size_t i = 0; i < w; i++)
					sum_dn_tx = sum_dn_tx * 31 +
					            (uint8_t)pat[64 + i];
				sent_dn += w;
			}
		}
		cfidl_loop_run(f.loop, zx_deadline_after(ZX_MSEC(1)), true);
		/* The guest side reads slowly: a small bite at a time. */
		size_t r = 0;
		if (zx_socket_read(f.g.sock, 0, got, 3000, &r) == ZX_OK) {
			for (size_t i = 0; i < r; i++)
				sum_up_rx = sum_up_rx * 31 + (uint8_t)got[i];
			recv_up += r;
		}
		n = read(fd, got, sizeof(got));
		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				sum_dn_rx = sum_dn_rx * 31 + (uint8_t)got[i];
			recv_dn += (size_t)n;
		}
	}
	assert_int_equal(recv_up, TOTAL);
	assert_int_equal(recv_dn, TOTAL);
	assert_true(sum_up_tx == sum_up_rx);
	assert_true(sum_dn_tx == sum_dn_rx);
	close(fd);
	fx_fini(&f);
}

static void no_listener_closed(void **state)
{
	fx_t f;
	int fd;

	(void)state;
	fx_init(&f);
	fd = client(&f);
	send_str(fd, "CONNECT 81\n");
	expect_closed(&f, fd);
	close(fd);
	assert_int_equal(hstats(&f).refused, 1);
	assert_int_equal(f.g.accepts, 1);
	/* A guest the router does not know: closed too. */
	cfv_hybrid_t *other;
	char p2[128];
	ASSERT_OK(cfv_rundir_hybrid_path(p2, sizeof(p2), f.dir, 9));
	ASSERT_OK(cfv_hybrid_create(f.loop, f.r, 9, p2, &other));
	int fd2 = client_at(p2);
	send_str(fd2, "CONNECT 80\n");
	expect_closed(&f, fd2);
	close(fd2);
	cfv_hybrid_destroy(other);
	good_connect(&f);
	fx_fini(&f);
}

static void partial_line_then_close(void **state)
{
	fx_t f;
	int fd;

	(void)state;
	fx_init(&f);
	fd = client(&f);
	send_str(fd, "CONN");
	vt_run_for(f.loop, ZX_MSEC(20));
	assert_int_equal(hstats(&f).pending, 1);
	close(fd);
	VT_RUN_UNTIL(f.loop, hstats(&f).pending == 0);
	assert_int_equal(hstats(&f).eof, 1);
	/* Half of a line, then only the write side shut. */
	fd = client(&f);
	send_str(fd, "CONNECT 8");
	vt_run_for(f.loop, ZX_MSEC(20));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	expect_closed(&f, fd);
	close(fd);
	assert_int_equal(hstats(&f).eof, 2);
	assert_int_equal(f.g.accepts, 0);
	good_connect(&f);
	fx_fini(&f);
}

static void partial_line_timeout(void **state)
{
	fx_t f;
	cfv_hybrid_config_t cfg;
	int fd, quiet;
	zx_time_t t0;

	(void)state;
	cfv_hybrid_config_init(&cfg);
	cfg.handshake_timeout = ZX_MSEC(100);
	fx_init_cfg(&f, &cfg);
	t0 = zx_clock_get_monotonic();
	fd = client(&f);
	quiet = client(&f); /* says nothing at all */
	send_str(fd, "CONNECT 8");
	/* Meanwhile the daemon serves others. */
	good_connect(&f);
	expect_closed(&f, fd);
	expect_closed(&f, quiet);
	assert_true(zx_clock_get_monotonic() - t0 >= ZX_MSEC(100));
	close(fd);
	close(quiet);
	assert_int_equal(hstats(&f).timed_out, 2);
	assert_int_equal(hstats(&f).pending, 0);
	good_connect(&f);
	fx_fini(&f);
}

static void byte_by_byte(void **state)
{
	fx_t f;
	const char *line = "CONNECT 80\n";
	int fd;

	(void)state;
	fx_init(&f);
	fd = client(&f);
	for (const char *p = line; *p; p++) {
		assert_int_equal(send(fd, p, 1, MSG_NOSIGNAL), 1);
		vt_run_for(f.loop, ZX_MSEC(2));
	}
	expect_ok(&f, fd);
	close(fd);
	fx_fini(&f);
}

static void oversized_line(void **state)
{
	fx_t f;
	char big[300];
	int fd;

	(void)state;
	fx_init(&f);
	/* No newline at all: cut off at CFV_HYBRID_LINE_MAX. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fd = client(&f);
	send_str(fd, big);
	expect_closed(&f, fd);
	close(fd);
	/* A newline, but too far. */
	memcpy(big, "CONNECT ", 8);
	memset(big + 8, '0', 100);
	memcpy(big + 108, "80\n", 4);
	fd = client(&f);
	send_str(fd, big);
	expect_closed(&f, fd);
	close(fd);
	assert_int_equal(hstats(&f).bad_line, 2);
	assert_int_equal(f.g.accepts, 0);
	good_connect(&f);
	fx_fini(&f);
}

static void garbage(void **state)
{
	static const char *bad[] = {
	    "HELLO\n",
	    "CONNECT\n",
	    "CONNECT \n",
	    "CONNECT abc\n",
	    "CONNECT 4294967296\n",
	    "connect 80\n",
	    "CONNECT -1\n",
	    "CONNECT 80 extra\n",
	    "CONNECT  80\n",
	    "CONNECT 8\r0\n",
	    "\n",
	    "CONNECT 0x50\n",
	};
	fx_t f;
	int fd;

	(void)state;
	fx_init(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = client(&f);
		send_str(fd, bad[i]);
		expect_closed(&f, fd);
		close(fd);
	}
	assert_int_equal(hstats(&f).bad_line, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(f.g.accepts, 0);
	/* Binary junk with NULs. */
	fd = client(&f);
	assert_int_equal(send(fd, "\0\xff\x01\n", 4, MSG_NOSIGNAL), 4);
	expect_closed(&f, fd);
	close(fd);
	/* The largest port parses (and is refused by the guest). */
	fd = client(&f);
	send_str(fd, "CONNECT 4294967295\n");
	expect_closed(&f, fd);
	close(fd);
	assert_int_equal(f.g.port, 4294967295u);
	good_connect(&f);
	fx_fini(&f);
}

#define MANY 200

static void many_at_once(void **state)
{
	fx_t f;
	int fds[MANY];
	int ok = 0;
	zx_time_t t0;

	(void)state;
	fx_init(&f);
	/* 200 connects and lines before the daemon runs at all: nothing
	 * blocks, neither us nor it. */
	t0 = zx_clock_get_monotonic();
	for (int i = 0; i < MANY; i++) {
		fds[i] = client(&f);
		send_str(fds[i], "CONNECT 80\n");
	}
	assert_true(zx_clock_get_monotonic() - t0 < ZX_SEC(2));
	for (int i = 0; i < MANY; i++) {
		expect_ok(&f, fds[i]);
		ok++;
	}
	assert_int_equal(ok, MANY);
	assert_int_equal(f.g.accepts, MANY);
	assert_int_equal(hstats(&f).connected, MANY);
	for (int i = 0; i < MANY; i++)
		close(fds[i]);
	good_connect(&f);
	fx_fini(&f);
}

static void overflow_max_pending(void **state)
{
	fx_t f;
	cfv_hybrid_config_t cfg;
	int fds[5];

	(void)state;
	cfv_hybrid_config_init(&cfg);
	cfg.max_pending = 2;
	fx_init_cfg(&f, &cfg);
	for (int i = 0; i < 5; i++)
		fds[i] = client(&f);
	VT_RUN_UNTIL(f.loop, hstats(&f).accepted == 5);
	assert_int_equal(hstats(&f).pending, 2);
	assert_int_equal(hstats(&f).overflow, 3);
	/* The first two are served, the rest were closed cleanly. */
	for (int i = 0; i < 5; i++) {
		if (i < 2) {
			send_str(fds[i], "CONNECT 80\n");
			expect_ok(&f, fds[i]);
		} else {
			expect_closed(&f, fds[i]);
		}
		close(fds[i]);
	}
	good_connect(&f);
	fx_fini(&f);
}

static void no_sigpipe(void **state)
{
	fx_t f;
	int fd;
	void (*old)(int) = signal(SIGPIPE, SIG_DFL);

	(void)state;
	fx_init(&f);
	/* The app leaves before its OK is written. */
	fd = client(&f);
	send_str(fd, "CONNECT 80\n");
	close(fd);
	VT_RUN_UNTIL(f.loop, f.g.accepts == 1 && hstats(&f).pending == 0);
	/* And before a refusal. */
	fd = client(&f);
	send_str(fd, "CONNECT 81\n");
	close(fd);
	VT_RUN_UNTIL(f.loop, f.g.accepts == 2 && hstats(&f).pending == 0);
	good_connect(&f);
	fx_fini(&f);
	signal(SIGPIPE, old);
}

static void destroy_with_pending(void **state)
{
	fx_t f;
	int a, b;
	struct stat st;

	(void)state;
	fx_init(&f);
	f.g.defer = true;
	a = client(&f);
	b = client(&f);
	send_str(a, "CONN");
	send_str(b, "CONNECT 80\n"); /* the guest holds its Accept */
	VT_RUN_UNTIL(f.loop, f.g.holding && hstats(&f).pending == 2);
	cfv_hybrid_destroy(f.h);
	f.h = NULL;
	assert_int_not_equal(lstat(f.path, &st), 0); /* unlinked */
	expect_closed(&f, a);
	/* b's socket is the guest's now (held): the guest refuses late. */
	zx_handle_close(f.g.held_sock);
	f.g.held_sock = ZX_HANDLE_INVALID;
	fuchsia_virtualization_GuestVsockAcceptorAccept_reply_error(
	    &f.g.held, ZX_ERR_CONNECTION_REFUSED);
	expect_closed(&f, b);
	close(a);
	close(b);
	fx_fini(&f);
}

static void stale_socket_replaced_live_refused(void **state)
{
	fx_t f;
	cfv_hybrid_t *again = NULL;

	(void)state;
	fx_init(&f);
	/* A live one at the path: refused, the old one keeps working. */
	ASSERT_ST(cfv_hybrid_create(f.loop, f.r, 3, f.path, &again),
	          ZX_ERR_ADDRESS_IN_USE);
	good_connect(&f);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(connect_ok_data_both_ways),
	    RT_TEST(ordered_data_both_ways),
	    RT_TEST(ordered_ok_before_banner),
	    RT_TEST(ordered_bulk),
	    RT_TEST(no_listener_closed),
	    RT_TEST(partial_line_then_close),
	    RT_TEST(partial_line_timeout),
	    RT_TEST(byte_by_byte),
	    RT_TEST(oversized_line),
	    RT_TEST(garbage),
	    RT_TEST(many_at_once),
	    RT_TEST(overflow_max_pending),
	    RT_TEST(no_sigpipe),
	    RT_TEST(destroy_with_pending),
	    RT_TEST(stale_socket_replaced_live_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
