/*
 * test_linux_vsock: the stream cases of Linux's tools/testing/vsock/
 * vsock_test.c, ported by name onto our whole stack.
 *
 * Every case runs the daemon and one guest (cfidl_vsock_daemon_*,
 * cfidl_vsock_guest_*) on a loop thread in a private runtime directory,
 * and two apps on threads, the client and the server of the case, through
 * the public app API (cfidl_vsock_app_*).  Each case runs twice: host app
 * -> guest app ("_h2g") and guest app -> host app ("_g2h").  Linux's
 * control socket becomes an in-process mailbox between the two app
 * threads (ctl_write / ctl_expect), with the same messages.  A connection
 * is a plain AF_UNIX stream fd, so the cases check what an application
 * sees on that fd; after each case the stack must be idle again (no guest
 * connection, no fd beyond those of the idle stack).
 *
 * Linux's "SOCK_STREAM <name>" is stream_<name> here: connection reset,
 * bind only, client close, server close, multiple connections
 * (stream_multiconn), MSG_PEEK, poll() + SO_RCVLOWAT, test invalid buffer,
 * virtio skb merge, SHUT_WR, SHUT_RD, double bind connect, virtio credit
 * update + SO_RCVLOWAT / + low rx_bytes, ioctl(SIOCOUTQ) 0 unsent bytes,
 * leak accept queue, retry failed connect(), SO_LINGER null-ptr-deref
 * (stream_linger), SO_LINGER close() on unread (stream_nolinger), and
 * transport change (as a transport reset race).  Ours in the same spirit:
 * stream_connection_reset_wrong_cid.  Where a case checks more than
 * Linux's, its comment says so.
 *
 * Not ported, not applicable to us:
 * - the SOCK_SEQPACKET cases (msg bounds, MSG_TRUNC, timeout, invalid
 *   receive buffer, big message, invalid buffer, MSG_PEEK, MSG_ZEROCOPY,
 *   SIOCOUTQ): our stack has stream connections only;
 * - "SOCK_STREAM MSG_ZEROCOPY", "... empty MSG_ERRQUEUE", "... leak
 *   MSG_ERRQUEUE", "... leak completion skb": a connection fd is an AF_UNIX
 *   socket, which has no SO_ZEROCOPY; our zero-copy path is SendVmo
 *   (cfidl_vsock_app_send_vmo, tested in test_app and test_device);
 * - "transport release use-after-free": it exercises the kernel's choice
 *   of transport by CID, which we do not have;
 * - the poll() half of "poll() + SO_RCVLOWAT": poll on an AF_UNIX socket
 *   reports POLLIN for one byte whatever SO_RCVLOWAT says (kernel fact);
 *   the blocking-recv half is ported.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cfidl/loop.h>
#include <cfidl/vsock.h>

#include "daemon.h"
#include "guest.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define on_valgrind() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef on_valgrind
#define on_valgrind() false
#endif

/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "vsock_test.h"

#define GUEST_CID 3u
#define PORT      1234u /* Linux's default peer port */
#define NO_CID    99u   /* a CID nobody has */
#define STEP_MS   5000  /* bound of every single wait */

static zx_time_t soon(void)
{
	return zx_deadline_after(ZX_MSEC(STEP_MS));
}

static zx_time_t now(void)
{
	return zx_clock_get_monotonic();
}

/* ---- the stack: daemon + guest on a loop thread ---- */

typedef struct dir {
	uint32_t client_cid; /* the app that connects */
	uint32_t server_cid; /* the app that listens */
	/* What the client's connect says when nobody listens. */
	zx_status_t refused;
	/* What it says for a CID nobody has. */
	zx_status_t no_cid;
} dir_t;

/* A host app hears CONNECTION_REFUSED / NOT_FOUND, a guest app
 * UNAVAILABLE / ADDRESS_UNREACHABLE (cfidl/vsock.h). */
static const dir_t h2g = {CFIDL_VSOCK_HOST_CID, GUEST_CID,
                          ZX_ERR_CONNECTION_REFUSED, ZX_ERR_NOT_FOUND};
static const dir_t g2h = {GUEST_CID, CFIDL_VSOCK_HOST_CID, ZX_ERR_UNAVAILABLE,
                          ZX_ERR_ADDRESS_UNREACHABLE};

typedef struct fx {
	const dir_t *dir;
	char rundir[64];
	cfidl_loop_t *loop;
	cfidl_vsock_daemon_t *daemon;
	cfidl_vsock_guest_t *guest;
	pthread_t loop_thread;
	bool loop_running;
	int fds_before; /* before the stack */
	int fds_idle;   /* with the stack up and idle */
} fx_t;

static void *loop_main(void *arg)
{
	fx_t *f = arg;
	cfidl_loop_run(f->loop, ZX_TIME_INFINITE, false);
	return NULL;
}

/* CLOCK_REALTIME + ms, for the pthread timed waits. */
static struct timespec realtime_after(int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool join_by(pthread_t t, int ms)
{
	struct timespec ts = realtime_after(ms);
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

static void remove_rundir(const char *path)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

/* A thread that does not come back within its bounds is a hung stack:
 * there is nothing safe left to do but leave (rundir removed). */
static void join_or_die(fx_t *f, pthread_t t, const char *what)
{
	if (join_by(t, 30000))
		return;
	fprintf(stderr, "%s did not finish in 30 s: giving up\n", what);
	remove_rundir(f->rundir);
	_exit(99);
}

static int teardown(void **state)
{
	fx_t *f = *state;
	if (f->loop_running) {
		cfidl_loop_quit(f->loop);
		join_or_die(f, f->loop_thread, "the loop thread");
	}
	cfidl_vsock_guest_destroy(f->guest);
	cfidl_vsock_daemon_destroy(f->daemon);
	if (f->loop)
		cfidl_loop_destroy(f->loop);
	remove_rundir(f->rundir);
	int rc = vt_check_fds(f->fds_before);
	free(f);
	return rc;
}

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->dir = *state;
	f->fds_before = rt_count_fds();
	strcpy(f->rundir, "/tmp/cfv-linux-test.XXXXXX");
	if (!mkdtemp(f->rundir)) {
		free(f);
		return -1;
	}
	*state = f;
	if (cfidl_loop_create(&f->loop) != ZX_OK ||
	    cfidl_vsock_daemon_create(f->loop, f->rundir, &f->daemon) !=
	        ZX_OK ||
	    cfidl_vsock_guest_create(f->loop, f->rundir, GUEST_CID, soon(),
	                             NULL, NULL, &f->guest) != ZX_OK) {
		fprintf(stderr, "could not start the stack in %s\n", f->rundir);
		teardown(state);
		return -1;
	}
	cfidl_loop_run_until_idle(f->loop);
	if (pthread_create(&f->loop_thread, NULL, loop_main, f) != 0) {
		teardown(state);
		return -1;
	}
	f->loop_running = true;
	f->fds_idle = rt_count_fds();
	return 0;
}

/* Runs fn on the loop thread and waits for it (the stack's objects are
 * the loop's).  false: the loop did not run it in time. */
typedef struct on_loop {
	void (*fn)(fx_t *f, void *arg);
	fx_t *f;
	void *arg;
	atomic_bool done;
} on_loop_t;

static void on_loop_tramp(void *ctx, zx_status_t status)
{
	on_loop_t *c = ctx;
	if (status == ZX_OK)
		c->fn(c->f, c->arg);
	atomic_store(&c->done, true);
}

static bool on_loop(fx_t *f, void (*fn)(fx_t *, void *), void *arg)
{
	on_loop_t *c = calloc(1, sizeof *c);
	if (!c)
		return false;
	c->fn = fn;
	c->f = f;
	c->arg = arg;
	if (cfidl_loop_post(f->loop, on_loop_tramp, c) != ZX_OK) {
		free(c);
		return false;
	}
	zx_time_t deadline = soon();
	while (!atomic_load(&c->done)) {
		/* On timeout c stays the loop's (leaked; the test fails). */
		if (now() >= deadline)
			return false;
		usleep(1000);
	}
	free(c);
	return true;
}

static void get_guest_conns(fx_t *f, void *arg)
{
	*(uint32_t *)arg = cfv_guest_connection_count(f->guest);
}

/* Waits (12 s at most) until the guest's service holds no connection. */
static bool wait_guest_idle(fx_t *f)
{
	/* Generous: a close may wait out the engine's 5 s close timeout, and
	 * valgrind slows everything; an idle stack returns at once. */
	zx_time_t deadline = zx_deadline_after(ZX_SEC(12));
	uint32_t conns = UINT32_MAX;
	while (on_loop(f, get_guest_conns, &conns) && conns != 0 &&
	       now() < deadline)
		usleep(2000);
	return conns == 0;
}

/* After a case every connection must be gone on every side: the guest's
 * service holds none and the process has the fds of the idle stack. */
static void assert_stack_idle(fx_t *f)
{
	/* Generous: a close may wait out the engine's 5 s close timeout, and
	 * valgrind slows everything; an idle stack returns at once. */
	zx_time_t deadline = zx_deadline_after(ZX_SEC(12));
	uint32_t conns = UINT32_MAX;
	int fds;
	for (;;) {
		if (!on_loop(f, get_guest_conns, &conns))
			fail_msg("the loop thread does not answer");
		fds = rt_count_fds();
		if ((conns == 0 && fds == f->fds_idle) || now() >= deadline)
			break;
		usleep(5000);
	}
	if (conns != 0 || fds != f->fds_idle)
		fail_msg("stack not idle 12 s after the case: %u guest "
		         "connections, %d fds (idle stack: %d)",
		         conns, fds, f->fds_idle);
}

/* ---- the two apps of a case, and their control mailbox ---- */

#define INBOX   16
#define MAXKEEP 160

typedef struct pair pair_t;

typedef struct side {
	pair_t *p;
	int id; /* 0 client, 1 server */
	uint32_t as_cid;
	cfidl_vsock_app_t *app;
	bool listening;
	uint32_t local_port; /* of the last connect (guest apps) */
	char inbox[INBOX][32];
	unsigned in_head, in_count;
	int kept[MAXKEEP]; /* fds closed for the case if it stops early */
	char err[256];
} side_t;

struct pair {
	fx_t *f;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool failed;
	side_t side[2];
	void (*fn[2])(side_t *s);
	void *arg; /* the case's shared state */
};

static void side_fail(side_t *s, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void side_fail(side_t *s, int line, const char *fmt, ...)
{
	pair_t *p = s->p;
	pthread_mutex_lock(&p->mu);
	if (!s->err[0]) {
		int n = snprintf(s->err, sizeof s->err, "line %d: ", line);
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
		va_end(ap);
	}
	p->failed = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Inside a side function: stop the side with a message when cond fails. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			side_fail(s, __LINE__, "%s (errno %d: %s)", #cond,     \
			          errno, strerror(errno));                     \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_ST(expr, want)                                                   \
	do {                                                                   \
		zx_status_t st_ = (expr);                                      \
		if (st_ != (want)) {                                           \
			side_fail(s, __LINE__, "%s: %s, want %s", #expr,       \
			          zx_status_get_string(st_),                   \
			          zx_status_get_string(want));                 \
			return;                                                \
		}                                                              \
	} while (0)

static void ctl_write(side_t *s, const char *msg)
{
	pair_t *p = s->p;
	side_t *to = &p->side[1 - s->id];
	bool full;
	pthread_mutex_lock(&p->mu);
	full = to->in_count == INBOX;
	if (!full) {
		snprintf(to->inbox[(to->in_head + to->in_count) % INBOX], 32,
		         "%s", msg);
		to->in_count++;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (full) /* the case lost its lockstep */
		side_fail(s, __LINE__, "the peer's inbox is full at \"%s\"",
		          msg);
}

/* The next message, within ms; false (with buf "") if the peer failed
 * or nothing came. */
static bool ctl_read_within(side_t *s, char buf[32], int ms)
{
	pair_t *p = s->p;
	struct timespec ts = realtime_after(ms);
	bool ok = false;
	buf[0] = 0;
	pthread_mutex_lock(&p->mu);
	while (s->in_count == 0 && !p->failed)
		if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) != 0)
			break;
	if (s->in_count > 0) {
		memcpy(buf, s->inbox[s->in_head], 32);
		s->in_head = (s->in_head + 1) % INBOX;
		s->in_count--;
		ok = true;
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

static bool ctl_read(side_t *s, char buf[32])
{
	return ctl_read_within(s, buf, STEP_MS);
}

static bool ctl_expect_at(side_t *s, const char *want, int line)
{
	char got[32];
	if (!ctl_read(s, got)) {
		side_fail(s, line, "waited for \"%s\": %s", want,
		          s->p->failed ? "the peer failed" : "nothing came");
		return false;
	}
	if (strcmp(got, want) != 0) {
		side_fail(s, line, "waited for \"%s\", got \"%s\"", want, got);
		return false;
	}
	return true;
}

#define ctl_expect(s, want) ctl_expect_at((s), (want), __LINE__)

static void keep(side_t *s, int fd)
{
	for (int i = 0; i < MAXKEEP; i++)
		if (s->kept[i] < 0) {
			s->kept[i] = fd;
			return;
		}
}

static void side_close(side_t *s, int fd)
{
	for (int i = 0; i < MAXKEEP; i++)
		if (s->kept[i] == fd)
			s->kept[i] = -1;
	close(fd);
}

/* Every wait on a connection fd is bounded. */
static void fd_bound(int fd)
{
	struct timeval tv = {.tv_sec = STEP_MS / 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Linux's vsock_stream_accept: listen (once), say LISTENING, accept.
 * The accepted peer must be the client's CID.  -1 on failure. */
static int srv_accept_at(side_t *s, int line)
{
	fx_t *f = s->p->f;
	uint32_t cid = 0, port = 0;
	int fd = -1;
	zx_status_t st;
	if (!s->listening) {
		st = cfidl_vsock_app_listen(s->app, PORT);
		if (st != ZX_OK) {
			side_fail(s, line, "listen: %s",
			          zx_status_get_string(st));
			return -1;
		}
		s->listening = true;
	}
	ctl_write(s, "LISTENING");
	st = cfidl_vsock_app_accept(s->app, PORT, soon(), &fd, &cid, &port);
	if (st != ZX_OK) {
		side_fail(s, line, "accept: %s", zx_status_get_string(st));
		return -1;
	}
	keep(s, fd);
	fd_bound(fd);
	if (cid != f->dir->client_cid) {
		side_fail(s, line, "accepted from cid %u, want %u", cid,
		          f->dir->client_cid);
		return -1;
	}
	return fd;
}

#define srv_accept(s) srv_accept_at((s), __LINE__)

/* Linux's vsock_stream_connect: wait for LISTENING, connect. */
static int cli_connect_at(side_t *s, int line)
{
	fx_t *f = s->p->f;
	int fd = -1;
	zx_status_t st;
	if (!ctl_expect_at(s, "LISTENING", line))
		return -1;
	st = cfidl_vsock_app_connect(s->app, f->dir->server_cid, PORT, soon(),
	                             &fd, &s->local_port);
	if (st != ZX_OK) {
		side_fail(s, line, "connect: %s", zx_status_get_string(st));
		return -1;
	}
	keep(s, fd);
	fd_bound(fd);
	return fd;
}

#define cli_connect(s) cli_connect_at((s), __LINE__)

static void *side_main(void *arg)
{
	side_t *s = arg;
	zx_status_t st =
	    cfidl_vsock_app_open(s->p->f->rundir, s->as_cid, &s->app);
	if (st != ZX_OK)
		side_fail(s, __LINE__, "app_open(cid %u): %s", s->as_cid,
		          zx_status_get_string(st));
	else if (s->p->fn[s->id])
		s->p->fn[s->id](s);
	for (int i = 0; i < MAXKEEP; i++)
		if (s->kept[i] >= 0)
			close(s->kept[i]);
	cfidl_vsock_app_close(s->app);
	return NULL;
}

/* Runs client and server of a case on two threads, then checks both
 * came through and the stack is idle again. */
static void run_pair(fx_t *f, void (*client)(side_t *),
                     void (*server)(side_t *), void *arg)
{
	pair_t *p = calloc(1, sizeof *p);
	pthread_t t[2];
	char err[2][256];
	assert_non_null(p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->f = f;
	p->arg = arg;
	p->fn[0] = client;
	p->fn[1] = server;
	for (int i = 0; i < 2; i++) {
		p->side[i].p = p;
		p->side[i].id = i;
		p->side[i].as_cid =
		    i == 0 ? f->dir->client_cid : f->dir->server_cid;
		for (int k = 0; k < MAXKEEP; k++)
			p->side[i].kept[k] = -1;
	}
	assert_int_equal(pthread_create(&t[1], NULL, side_main, &p->side[1]),
	                 0);
	assert_int_equal(pthread_create(&t[0], NULL, side_main, &p->side[0]),
	                 0);
	join_or_die(f, t[0], "the client app");
	join_or_die(f, t[1], "the server app");
	memcpy(err[0], p->side[0].err, sizeof err[0]);
	memcpy(err[1], p->side[1].err, sizeof err[1]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	if (err[0][0] || err[1][0])
		fail_msg("client: %s | server: %s", err[0][0] ? err[0] : "ok",
		         err[1][0] ? err[1] : "ok");
	assert_stack_idle(f);
}

/* ---- fd helpers (Linux's util.c, as far as they apply) ---- */

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 131u + (i >> 11));
}

/* One send: its count, or -errno. */
static ssize_t xsend(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n = send(fd, buf, len, flags);
	return n < 0 ? -errno : n;
}

/* Reads exactly len bytes (each recv bounded by SO_RCVTIMEO): len, the
 * short count at EOF, or -errno. */
static ssize_t recv_exact(int fd, void *buf, size_t len, int flags)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, (char *)buf + got, len - got, flags);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Linux's vsock_wait_remote_close: the peer has shut its write side. */
static bool wait_remote_close(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
	return poll(&pfd, 1, STEP_MS) == 1 && (pfd.revents & POLLRDHUP);
}

/* Bytes readable now. */
static int inq(int fd)
{
	int n = -1;
	return ioctl(fd, SIOCINQ, &n) == 0 ? n : -1;
}

/* Waits until at least want bytes are readable. */
static bool wait_inq(int fd, int want)
{
	zx_time_t deadline = soon();
	while (inq(fd) < want) {
		if (now() >= deadline)
			return false;
		usleep(1000);
	}
	return true;
}

/* Linux's vsock_wait_sent: our sent bytes left our socket (SIOCOUTQ 0),
 * i.e. the stack took them. */
static bool wait_sent(int fd)
{
	zx_time_t deadline = soon();
	int n = -1;
	while (ioctl(fd, SIOCOUTQ, &n) == 0 && n != 0) {
		if (now() >= deadline)
			return false;
		usleep(1000);
	}
	return n == 0;
}

/* SIGPIPE is counted per thread: each app thread checks its own. */
static __thread volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* ---- the cases ---- */

/* A CID nobody has: a host app finds no endpoint (NOT_FOUND); a guest
 * app is told ADDRESS_UNREACHABLE, or refused as Linux does (ECONNRESET:
 * the host has no such CID and answers RST).  Never a timeout. */
#define CHECK_NO_CID(st)                                                       \
	do {                                                                   \
		const dir_t *d_ = s->p->f->dir;                                \
		if ((st) != d_->no_cid &&                                      \
		    !(d_->client_cid != CFIDL_VSOCK_HOST_CID &&                \
		      (st) == d_->refused)) {                                  \
			side_fail(s, __LINE__,                                 \
			          "connect to cid %u: %s, want %s", NO_CID,    \
			          zx_status_get_string(st),                    \
			          zx_status_get_string(d_->no_cid));           \
			return;                                                \
		}                                                              \
	} while (0)

/* "SOCK_STREAM connection reset": connecting where nobody listens fails
 * at once (Linux: ECONNRESET); so does connecting to a CID nobody has
 * (g2h: the host half's engine answers a REQUEST for a CID not its own
 * with an RST sent from that CID, so the guest can match it). */
static void connection_reset_client(side_t *s)
{
	const dir_t *d = s->p->f->dir;
	zx_time_t t0 = now();
	int fd = -1;
	CHECK_ST(cfidl_vsock_app_connect(s->app, d->server_cid, PORT, soon(),
	                                 &fd, NULL),
	         d->refused);
	zx_status_t st = cfidl_vsock_app_connect(
	    s->app, NO_CID, PORT, zx_deadline_after(ZX_SEC(2)), &fd, NULL);
	if (fd >= 0)
		keep(s, fd);
	CHECK_NO_CID(st);
	CHECK(now() - t0 < ZX_SEC(2)); /* answered, not timed out */
}

static void stream_connection_reset(void **state)
{
	run_pair(*state, connection_reset_client, NULL, NULL);
}

/*
 * (Same idea, our addition.)  A connection to a CID nobody has must not
 * reach a listener on that port elsewhere: the client asks for (NO_CID,
 * PORT) while the server listens on PORT.
 */
static void wrong_cid_client(side_t *s)
{
	int fd = -1;
	if (!ctl_expect(s, "LISTENING"))
		return;
	zx_status_t st = cfidl_vsock_app_connect(
	    s->app, NO_CID, PORT, zx_deadline_after(ZX_SEC(2)), &fd, NULL);
	if (fd >= 0)
		keep(s, fd);
	ctl_write(s, "DONE");
	CHECK_NO_CID(st);
}

static void wrong_cid_server(side_t *s)
{
	int fd = -1;
	CHECK_ST(cfidl_vsock_app_listen(s->app, PORT), ZX_OK);
	ctl_write(s, "LISTENING");
	if (!ctl_expect(s, "DONE"))
		return;
	zx_status_t st = cfidl_vsock_app_accept(
	    s->app, PORT, zx_deadline_after(ZX_MSEC(200)), &fd, NULL, NULL);
	if (fd >= 0)
		keep(s, fd);
	CHECK_ST(st, ZX_ERR_TIMED_OUT);
}

static void stream_connection_reset_wrong_cid(void **state)
{
	run_pair(*state, wrong_cid_client, wrong_cid_server, NULL);
}

/* "SOCK_STREAM bind only": a port the server holds without listening
 * refuses.  We have no bind without listen: the server listened on PORT
 * and stopped, and listens on PORT + 1.  The client is refused on PORT
 * and gets through on PORT + 1 (so the refusal was about the port). */
static void bind_only_client(side_t *s)
{
	const dir_t *d = s->p->f->dir;
	int fd = -1;
	if (!ctl_expect(s, "BIND"))
		return;
	CHECK_ST(cfidl_vsock_app_connect(s->app, d->server_cid, PORT, soon(),
	                                 &fd, NULL),
	         d->refused);
	CHECK_ST(cfidl_vsock_app_connect(s->app, d->server_cid, PORT + 1,
	                                 soon(), &fd, NULL),
	         ZX_OK);
	keep(s, fd);
	ctl_write(s, "DONE");
}

static void bind_only_server(side_t *s)
{
	int fd = -1;
	CHECK_ST(cfidl_vsock_app_listen(s->app, PORT), ZX_OK);
	CHECK_ST(cfidl_vsock_app_unlisten(s->app, PORT), ZX_OK);
	CHECK_ST(cfidl_vsock_app_unlisten(s->app, PORT), ZX_ERR_NOT_FOUND);
	CHECK_ST(cfidl_vsock_app_listen(s->app, PORT + 1), ZX_OK);
	ctl_write(s, "BIND");
	CHECK_ST(
	    cfidl_vsock_app_accept(s->app, PORT + 1, soon(), &fd, NULL, NULL),
	    ZX_OK);
	keep(s, fd);
	ctl_expect(s, "DONE");
}

static void stream_bind_only(void **state)
{
	run_pair(*state, bind_only_client, bind_only_server, NULL);
}

/* "SOCK_STREAM client close" / "server close": one side sends a byte and
 * closes; the other sees the close, its send fails with EPIPE, and it
 * still reads the byte, then EOF. */
static void send_and_close(side_t *s, int fd)
{
	CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == 1);
	side_close(s, fd);
}

static void see_close(side_t *s, int fd)
{
	unsigned char b = 0;
	CHECK(wait_remote_close(fd));
	CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == -EPIPE);
	CHECK(recv(fd, &b, 1, 0) == 1 && b == 1);
	CHECK(recv(fd, &b, 1, 0) == 0);
	side_close(s, fd);
}

static void client_close_client(side_t *s)
{
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	send_and_close(s, fd);
}

static void client_close_server(side_t *s)
{
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	see_close(s, fd);
}

static void stream_client_close(void **state)
{
	run_pair(*state, client_close_client, client_close_server, NULL);
}

static void server_close_client(side_t *s)
{
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	see_close(s, fd);
}

static void server_close_server(side_t *s)
{
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	send_and_close(s, fd);
}

static void stream_server_close(void **state)
{
	run_pair(*state, server_close_client, server_close_server, NULL);
}

/* "SOCK_STREAM multiple connections": 100 connections at once, each
 * moving one byte, the even ones one way and the odd ones the other. */
#define MULTICONN_NFDS 100

static void multiconn(side_t *s, bool client)
{
	int fds[MULTICONN_NFDS];
	unsigned char b;
	for (int i = 0; i < MULTICONN_NFDS; i++) {
		fds[i] = client ? cli_connect(s) : srv_accept(s);
		CHECK(fds[i] >= 0);
	}
	for (int i = 0; i < MULTICONN_NFDS; i++) {
		if ((i % 2 == 1) == client) {
			b = 0;
			CHECK(recv(fds[i], &b, 1, 0) == 1 && b == 1);
		} else {
			CHECK(xsend(fds[i], "\1", 1, MSG_NOSIGNAL) == 1);
		}
	}
	for (int i = 0; i < MULTICONN_NFDS; i++)
		side_close(s, fds[i]);
}

static void multiconn_client(side_t *s)
{
	multiconn(s, true);
}

static void multiconn_server(side_t *s)
{
	multiconn(s, false);
}

static void stream_multiconn(void **state)
{
	run_pair(*state, multiconn_client, multiconn_server, NULL);
}

/* "SOCK_STREAM MSG_PEEK": peeking an empty connection says EAGAIN;
 * a partial and a full peek agree with each other and with the read. */
#define MSG_PEEK_BUF_LEN 64

static void msg_peek_client(side_t *s)
{
	unsigned char buf[MSG_PEEK_BUF_LEN];
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)rand();
	if (!ctl_expect(s, "SRVREADY"))
		return;
	CHECK(xsend(fd, buf, sizeof buf, MSG_NOSIGNAL) == sizeof buf);
	side_close(s, fd);
}

static void msg_peek_server(side_t *s)
{
	unsigned char half[MSG_PEEK_BUF_LEN / 2], peek[MSG_PEEK_BUF_LEN],
	    normal[MSG_PEEK_BUF_LEN];
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(recv(fd, peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT) == -1 &&
	      errno == EAGAIN);
	ctl_write(s, "SRVREADY");
	/* A stream peek returns what is there: wait for all of it. */
	CHECK(wait_inq(fd, MSG_PEEK_BUF_LEN));
	CHECK(recv(fd, half, sizeof half, MSG_PEEK) == sizeof half);
	CHECK(recv(fd, peek, sizeof peek, MSG_PEEK) == sizeof peek);
	CHECK(memcmp(half, peek, sizeof half) == 0);
	CHECK(recv_exact(fd, normal, sizeof normal, 0) == sizeof normal);
	CHECK(memcmp(peek, normal, sizeof peek) == 0);
	side_close(s, fd);
}

static void stream_msg_peek(void **state)
{
	run_pair(*state, msg_peek_client, msg_peek_server, NULL);
}

/* "SOCK_STREAM poll() + SO_RCVLOWAT", the part that applies: with
 * SO_RCVLOWAT 128 a blocking recv returns the 128 bytes the server sent
 * in 128 single-byte sends at once, none lost or split.  (poll on an
 * AF_UNIX socket ignores SO_RCVLOWAT: it must just see the first byte.) */
#define RCVLOWAT_BUF_SIZE 128

static void poll_rcvlowat_client(side_t *s)
{
	unsigned char buf[RCVLOWAT_BUF_SIZE];
	int lowat = RCVLOWAT_BUF_SIZE;
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat) ==
	      0);
	if (!ctl_expect(s, "SRVSENT"))
		return;
	struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLRDNORM};
	CHECK(poll(&pfd, 1, STEP_MS) == 1 &&
	      pfd.revents == (POLLIN | POLLRDNORM));
	ctl_write(s, "CLNSENT");
	CHECK(recv(fd, buf, sizeof buf, 0) == sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		CHECK(buf[i] == 1);
	CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
	ctl_write(s, "POLLDONE");
	side_close(s, fd);
}

static void poll_rcvlowat_server(side_t *s)
{
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == 1);
	ctl_write(s, "SRVSENT");
	if (!ctl_expect(s, "CLNSENT"))
		return;
	for (int i = 0; i < RCVLOWAT_BUF_SIZE - 1; i++)
		CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == 1);
	if (!ctl_expect(s, "POLLDONE"))
		return;
	side_close(s, fd);
}

static void stream_poll_rcvlowat(void **state)
{
	run_pair(*state, poll_rcvlowat_client, poll_rcvlowat_server, NULL);
}

/* "SOCK_STREAM test invalid buffer": a recv into a bad buffer fails with
 * EFAULT and loses nothing: the data is still there to read. */
#define INV_BUF_TEST_DATA_LEN 512

static void inv_buf_client(side_t *s)
{
	unsigned char data[INV_BUF_TEST_DATA_LEN];
	void *volatile bad = NULL;
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	if (!ctl_expect(s, "SENDDONE"))
		return;
	CHECK(wait_inq(fd, INV_BUF_TEST_DATA_LEN));
	/* Under valgrind the bad buffer is a reported error: skip it. */
	if (!on_valgrind())
		CHECK(recv(fd, bad, sizeof data, 0) == -1 && errno == EFAULT);
	CHECK(recv(fd, data, sizeof data, MSG_DONTWAIT) == sizeof data);
	for (size_t i = 0; i < sizeof data; i++)
		CHECK(data[i] == pat(i));
	ctl_write(s, "DONE");
	side_close(s, fd);
}

static void inv_buf_server(side_t *s)
{
	unsigned char data[INV_BUF_TEST_DATA_LEN];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = pat(i);
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(xsend(fd, data, sizeof data, MSG_NOSIGNAL) == sizeof data);
	ctl_write(s, "SENDDONE");
	if (!ctl_expect(s, "DONE"))
		return;
	side_close(s, fd);
}

static void stream_inv_buf(void **state)
{
	run_pair(*state, inv_buf_client, inv_buf_server, NULL);
}

/* "SOCK_STREAM virtio skb merge": the reader takes part of a first send;
 * a second send appends; the reader gets the rest of both, in order, and
 * nothing more. */
static void skb_merge_client(side_t *s)
{
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(xsend(fd, "HELLO", 5, MSG_NOSIGNAL) == 5);
	ctl_write(s, "SEND0");
	if (!ctl_expect(s, "REPLY0"))
		return;
	CHECK(xsend(fd, "WORLD", 5, MSG_NOSIGNAL) == 5);
	ctl_write(s, "SEND1");
	if (!ctl_expect(s, "REPLY1"))
		return;
	side_close(s, fd);
}

static void skb_merge_server(side_t *s)
{
	char buf[64] = {0};
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	if (!ctl_expect(s, "SEND0"))
		return;
	CHECK(recv_exact(fd, buf, 2, 0) == 2);
	ctl_write(s, "REPLY0");
	if (!ctl_expect(s, "SEND1"))
		return;
	CHECK(recv_exact(fd, buf + 2, 8, 0) == 8);
	CHECK(recv(fd, buf + 10, sizeof buf - 10, MSG_DONTWAIT) == -1 &&
	      errno == EAGAIN);
	CHECK(memcmp(buf, "HELLOWORLD", 10) == 0);
	ctl_write(s, "REPLY1");
	side_close(s, fd);
}

static void stream_virtio_skb_merge(void **state)
{
	run_pair(*state, skb_merge_client, skb_merge_server, NULL);
}

/* Linux's test_stream_check_sigpipe: sends fail with EPIPE (retrying
 * while the shutdown travels, within ms), raising SIGPIPE, and not with
 * MSG_NOSIGNAL. */
static void check_sigpipe(side_t *s, int fd, int ms)
{
	for (int pass = 0; pass < 2; pass++) {
		int flags = pass ? MSG_NOSIGNAL : 0;
		zx_time_t deadline = zx_deadline_after(ZX_MSEC(ms));
		ssize_t n;
		sigpipes = 0;
		while ((n = xsend(fd, "A", 1, flags)) == 1 || n == -EINTR) {
			if (now() >= deadline)
				break;
			usleep(10000);
		}
		if (n != -EPIPE) {
			side_fail(s, __LINE__,
			          "send%s: %zd, want -EPIPE within %d ms",
			          pass ? "(MSG_NOSIGNAL)" : "", n, ms);
			return;
		}
		if ((sigpipes != 0) != !pass) {
			side_fail(s, __LINE__, "send%s: %d SIGPIPE",
			          pass ? "(MSG_NOSIGNAL)" : "", (int)sigpipes);
			return;
		}
	}
}

/* "SOCK_STREAM SHUT_WR": after shutdown(SHUT_WR) sends fail with EPIPE
 * (+ SIGPIPE).  Ours also checks the half-close crossed the stack as a
 * half-close: the server reads EOF and can still send to the client. */
static void shutwr_client(side_t *s)
{
	char buf[2];
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(shutdown(fd, SHUT_WR) == 0);
	check_sigpipe(s, fd, 1000);
	if (s->err[0])
		return;
	if (!ctl_expect(s, "SENT"))
		return;
	CHECK(recv_exact(fd, buf, 2, 0) == 2 && memcmp(buf, "ok", 2) == 0);
	ctl_write(s, "CLIENTDONE");
	side_close(s, fd);
}

static void shutwr_server(side_t *s)
{
	char b;
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(recv(fd, &b, 1, 0) == 0); /* EOF, no data */
	CHECK(xsend(fd, "ok", 2, MSG_NOSIGNAL) == 2);
	ctl_write(s, "SENT");
	if (!ctl_expect(s, "CLIENTDONE"))
		return;
	side_close(s, fd);
}

static void stream_shutwr(void **state)
{
	run_pair(*state, shutwr_client, shutwr_server, NULL);
}

/* "SOCK_STREAM SHUT_RD": after the server's shutdown(SHUT_RD) the
 * client's sends fail with EPIPE (+ SIGPIPE).  Ours also checks the other
 * direction still works: the server can send, the client reads it.  (The
 * engine notices an app's SHUT_RD as a failed write into its socket and
 * then sends SHUTDOWN(RCV) to the peer.)
 */
static void shutrd_client(side_t *s)
{
	char buf[2];
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	if (!ctl_expect(s, "SHUTRDDONE"))
		return;
	check_sigpipe(s, fd, 1500);
	if (s->err[0])
		return;
	ctl_write(s, "CLIENTDONE");
	if (!ctl_expect(s, "SENT"))
		return;
	CHECK(recv_exact(fd, buf, 2, 0) == 2 && memcmp(buf, "ok", 2) == 0);
	ctl_write(s, "READ");
	side_close(s, fd);
}

static void shutrd_server(side_t *s)
{
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(shutdown(fd, SHUT_RD) == 0);
	ctl_write(s, "SHUTRDDONE");
	if (!ctl_expect(s, "CLIENTDONE"))
		return;
	CHECK(xsend(fd, "ok", 2, MSG_NOSIGNAL) == 2);
	ctl_write(s, "SENT");
	if (!ctl_expect(s, "READ"))
		return;
	side_close(s, fd);
}

static void stream_shutrd(void **state)
{
	run_pair(*state, shutrd_client, shutrd_server, NULL);
}

/* "SOCK_STREAM double bind connect": two connections one after the
 * other from the same local port.  Our apps cannot bind: a guest app's
 * service reuses the lowest freed ephemeral port, so once the first
 * connection is gone the second connect of g2h comes from the same port
 * (the host side must have let the old connection go).  Host apps get
 * a fresh host port each time. */
typedef struct double_bind {
	uint32_t ports[2];
} double_bind_t;

static void double_bind_client(side_t *s)
{
	double_bind_t *db = s->p->arg;
	for (int i = 0; i < 2; i++) {
		int fd = cli_connect(s);
		CHECK(fd >= 0);
		db->ports[i] = s->local_port;
		side_close(s, fd);
		/* Until the first connection is gone its port is taken. */
		CHECK(wait_guest_idle(s->p->f));
	}
}

static void double_bind_server(side_t *s)
{
	for (int i = 0; i < 2; i++) {
		int fd = srv_accept(s);
		CHECK(fd >= 0);
		CHECK(wait_remote_close(fd));
		side_close(s, fd);
	}
}

static void stream_double_bind_connect(void **state)
{
	fx_t *f = *state;
	double_bind_t db = {{0, 0}};
	run_pair(f, double_bind_client, double_bind_server, &db);
	if (f->dir->client_cid != CFIDL_VSOCK_HOST_CID) {
		assert_true(db.ports[0] >= 49152u && db.ports[1] >= 49152u);
		assert_int_equal(db.ports[0], db.ports[1]);
	}
}

/* "SOCK_STREAM virtio credit update + SO_RCVLOWAT" and "... + low
 * rx_bytes", the part that applies.  The client sends much more than the
 * stack may buffer (it must stall: nothing is buffered without bound);
 * the server then drains 64 KiB only, and that alone must get the
 * stalled sender moving again (credit update).  With SO_RCVLOWAT, a
 * single blocking recv then asks for more than the reader's side can hold
 * (so it needs further credit updates).  Then a slow reader gets every
 * byte, in order, and EOF. */
#define CREDIT_TOTAL (8u << 20)
#define PKT_BUF      (64u << 10) /* VIRTIO_VSOCK_MAX_PKT_BUF_SIZE */

typedef struct credit_case {
	bool set_rcvlowat;
	atomic_size_t sent_at_stall;
	size_t drained_to_move; /* read by the reader before the sender moved */
} credit_case_t;

static void credit_send(side_t *s, credit_case_t *cc, int fd,
                        unsigned char *chunk)
{
	bool stalled = false, moved = false;
	zx_time_t last = now(); /* of the last progress */
	size_t off = 0;
	while (off < CREDIT_TOTAL) {
		size_t len =
		    CREDIT_TOTAL - off < PKT_BUF ? CREDIT_TOTAL - off : PKT_BUF;
		for (size_t i = 0; i < len; i++)
			chunk[i] = pat(off + i);
		ssize_t n = xsend(fd, chunk, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			last = now();
			if (stalled && !moved) {
				moved = true;
				ctl_write(s, "MOVED");
			}
			continue;
		}
		if (n != -EAGAIN) {
			side_fail(s, __LINE__, "send at byte %zu: %s", off,
			          strerror((int)-n));
			return;
		}
		/* Not poll(POLLOUT): an AF_UNIX socket reports it only when
		 * 3/4 of its buffer is free; a send fits sooner. */
		usleep(2000);
		if (!stalled && now() - last >= ZX_MSEC(300)) {
			/* No room for 300 ms: the whole path is full. */
			stalled = true;
			atomic_store(&cc->sent_at_stall, off);
			ctl_write(s, "STALLED");
		} else if (stalled && now() - last >= ZX_MSEC(STEP_MS)) {
			side_fail(s, __LINE__,
			          "no progress for %d ms at byte %zu (stalled "
			          "at %zu, moved %d)",
			          STEP_MS, off, atomic_load(&cc->sent_at_stall),
			          (int)moved);
			return;
		}
	}
	/* 8 MiB went without the reader reading: unbounded buffering. */
	CHECK(stalled);
	side_close(s, fd);
}

static void credit_client(side_t *s)
{
	credit_case_t *cc = s->p->arg;
	unsigned char *chunk;
	unsigned char b;
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(recv(fd, &b, 1, 0) == 1); /* the server is ready */
	chunk = malloc(PKT_BUF);
	CHECK(chunk != NULL);
	credit_send(s, cc, fd, chunk);
	free(chunk);
}

static bool check_pat(const unsigned char *buf, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pat(off + i))
			return false;
	return true;
}

static void credit_server(side_t *s)
{
	credit_case_t *cc = s->p->arg;
	size_t bufsz = 1u << 20, got = 0;
	unsigned char *buf, b;
	ssize_t n;
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == 1);
	if (!ctl_expect(s, "STALLED"))
		return;
	buf = malloc(bufsz);
	CHECK(buf != NULL);
	n = recv_exact(fd, buf, PKT_BUF, 0);
	if (n != (ssize_t)PKT_BUF || !check_pat(buf, 0, PKT_BUF)) {
		free(buf);
		CHECK(!"first 64 KiB");
	}
	got = PKT_BUF;
	if (cc->set_rcvlowat) {
		/* More than the reader's socket and engine can hold: only
		 * credit updates bring it. */
		int want = inq(fd) + (512 << 10) + 1;
		n = -1;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &want,
		               sizeof want) == 0)
			n = recv(fd, buf, (size_t)want, 0);
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
		if (n != want || !check_pat(buf, got, (size_t)want)) {
			free(buf);
			side_fail(s, __LINE__,
			          "recv with SO_RCVLOWAT %d: %zd (errno %d)",
			          want, n, errno);
			return;
		}
		got += (size_t)n;
	}
	if (cc->set_rcvlowat) {
		if (!ctl_expect(s, "MOVED")) {
			free(buf);
			return;
		}
	} else {
		/* Drain 16 KiB at a time until the sender moves: that must
		 * come well before everything in flight is read, or the
		 * connection runs stop-and-go (credit updates come late). */
		char msg[32];
		while (!ctl_read_within(s, msg, 20)) {
			if (s->p->failed || got > cc->sent_at_stall / 2) {
				free(buf);
				side_fail(s, __LINE__,
				          "the sender did not move while the "
				          "reader drained %zu of %zu bytes",
				          got, (size_t)cc->sent_at_stall);
				return;
			}
			n = recv_exact(fd, buf, 16384, 0);
			if (n != 16384 || !check_pat(buf, got, 16384)) {
				free(buf);
				CHECK(!"16 KiB");
			}
			got += 16384;
		}
		cc->drained_to_move = got;
		if (strcmp(msg, "MOVED") != 0) {
			free(buf);
			CHECK(!"MOVED expected");
		}
	}
	/* A slow reader: 4 KiB at a time, pausing every 64 KiB, for the
	 * first MiB; then the rest as it comes. */
	while (got < CREDIT_TOTAL) {
		size_t want = got < (1u << 20) ? 4096 : bufsz;
		n = recv(fd, buf, want, 0);
		if (n <= 0)
			break;
		if (!check_pat(buf, got, (size_t)n))
			break;
		got += (size_t)n;
		if (got < (1u << 20) && got % PKT_BUF == 0)
			usleep(1000);
	}
	free(buf);
	if (got != CREDIT_TOTAL) {
		side_fail(s, __LINE__, "read %zu of %u bytes (n %zd, errno %d)",
		          got, CREDIT_TOTAL, n, errno);
		return;
	}
	CHECK(recv(fd, &b, 1, 0) == 0); /* then EOF */
	side_close(s, fd);
}

static void stream_cred_upd_on_low_rx_bytes(void **state)
{
	credit_case_t cc = {.set_rcvlowat = false};
	run_pair(*state, credit_client, credit_server, &cc);
	assert_true(atomic_load(&cc.sent_at_stall) < CREDIT_TOTAL / 2);
	printf("# stalled with %zu bytes in flight; moved again after the "
	       "reader drained %zu\n",
	       (size_t)atomic_load(&cc.sent_at_stall), cc.drained_to_move);
}

static void stream_cred_upd_on_set_rcvlowat(void **state)
{
	credit_case_t cc = {.set_rcvlowat = true};
	run_pair(*state, credit_client, credit_server, &cc);
	assert_true(atomic_load(&cc.sent_at_stall) < CREDIT_TOTAL / 2);
}

/* "SOCK_STREAM ioctl(SIOCOUTQ) 0 unsent bytes": once the server got the
 * bytes, none are left unsent on the client's socket. */
#define MSG_BUF_IOCTL_LEN 64

static void unsent_bytes_client(side_t *s)
{
	unsigned char buf[MSG_BUF_IOCTL_LEN];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)rand();
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(xsend(fd, buf, sizeof buf, MSG_NOSIGNAL) == sizeof buf);
	if (!ctl_expect(s, "RECEIVED"))
		return;
	CHECK(wait_sent(fd));
	side_close(s, fd);
}

static void unsent_bytes_server(side_t *s)
{
	unsigned char buf[MSG_BUF_IOCTL_LEN];
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(recv_exact(fd, buf, sizeof buf, 0) == sizeof buf);
	ctl_write(s, "RECEIVED");
	side_close(s, fd);
}

static void stream_unsent_bytes(void **state)
{
	run_pair(*state, unsent_bytes_client, unsent_bytes_server, NULL);
}

/* "SOCK_STREAM leak accept queue": connect races the listener's close,
 * over and over for a while; every connect is answered (connected or
 * refused, never lost), nothing leaks (the idle check), and the stack
 * still serves afterwards. */
#define ACCEPTQ_RACE_MS 400

typedef struct acceptq {
	int connected, refused;
} acceptq_t;

static void leak_acceptq_client(side_t *s)
{
	acceptq_t *aq = s->p->arg;
	const dir_t *d = s->p->f->dir;
	zx_time_t end = zx_deadline_after(ZX_MSEC(ACCEPTQ_RACE_MS));
	unsigned char b = 0;
	int fd = -1;
	do {
		ctl_write(s, "CONTINUE");
		if (!ctl_expect(s, "LISTENING"))
			return;
		zx_status_t st = cfidl_vsock_app_connect(
		    s->app, d->server_cid, PORT, zx_deadline_after(ZX_SEC(2)),
		    &fd, NULL);
		if (st == ZX_OK) {
			aq->connected++;
			close(fd);
		} else {
			CHECK_ST(st, d->refused);
			aq->refused++;
		}
	} while (now() < end);
	ctl_write(s, "DONE");
	/* The stack still serves. */
	fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(recv(fd, &b, 1, 0) == 1 && b == 1);
	side_close(s, fd);
}

static void leak_acceptq_server(side_t *s)
{
	char msg[32];
	int fd;
	for (;;) {
		if (!ctl_read(s, msg)) {
			side_fail(s, __LINE__, "no CONTINUE or DONE");
			return;
		}
		if (strcmp(msg, "DONE") == 0)
			break;
		CHECK(strcmp(msg, "CONTINUE") == 0);
		CHECK_ST(cfidl_vsock_app_listen(s->app, PORT), ZX_OK);
		ctl_write(s, "LISTENING");
		CHECK_ST(cfidl_vsock_app_unlisten(s->app, PORT), ZX_OK);
	}
	fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == 1);
	CHECK(wait_remote_close(fd));
	side_close(s, fd);
}

static void stream_leak_acceptq(void **state)
{
	acceptq_t aq = {0, 0};
	run_pair(*state, leak_acceptq_client, leak_acceptq_server, &aq);
	assert_true(aq.connected + aq.refused > 0);
}

/* "SOCK_STREAM retry failed connect()": a refused connect, then the
 * server listens, and the same app connects fine. */
static void connect_retry_client(side_t *s)
{
	const dir_t *d = s->p->f->dir;
	int fd = -1;
	CHECK_ST(cfidl_vsock_app_connect(s->app, d->server_cid, PORT, soon(),
	                                 &fd, NULL),
	         d->refused);
	ctl_write(s, "LISTEN");
	fd = cli_connect(s);
	CHECK(fd >= 0);
	side_close(s, fd);
}

static void connect_retry_server(side_t *s)
{
	if (!ctl_expect(s, "LISTEN"))
		return;
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(wait_remote_close(fd));
	side_close(s, fd);
}

static void stream_connect_retry(void **state)
{
	run_pair(*state, connect_retry_client, connect_retry_server, NULL);
}

/* "SOCK_STREAM SO_LINGER null-ptr-deref": a close with SO_LINGER set is
 * an ordinary close the server sees. */
static void linger_client(side_t *s)
{
	struct linger l = {.l_onoff = 1, .l_linger = 1};
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0);
	side_close(s, fd);
}

static void linger_server(side_t *s)
{
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(wait_remote_close(fd));
	side_close(s, fd);
}

static void stream_linger(void **state)
{
	run_pair(*state, linger_client, linger_server, NULL);
}

/* "SOCK_STREAM SO_LINGER close() on unread": closing with SO_LINGER while
 * the peer has not read our byte does not linger.  Ours also checks the
 * byte is not lost: the server reads it, then EOF. */
static void nolinger_client(side_t *s)
{
	struct linger l = {.l_onoff = 1, .l_linger = 2};
	int fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0);
	CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == 1);
	CHECK(wait_sent(fd));
	zx_time_t t0 = now();
	side_close(s, fd);
	CHECK(now() - t0 < ZX_SEC(1));
	ctl_write(s, "DONE");
}

static void nolinger_server(side_t *s)
{
	unsigned char b = 0;
	int fd = srv_accept(s);
	CHECK(fd >= 0);
	if (!ctl_expect(s, "DONE"))
		return;
	CHECK(recv(fd, &b, 1, 0) == 1 && b == 1);
	CHECK(recv(fd, &b, 1, 0) == 0);
	side_close(s, fd);
}

static void stream_nolinger(void **state)
{
	run_pair(*state, nolinger_client, nolinger_server, NULL);
}

/* "SOCK_STREAM transport change null-ptr-deref", our analog (the kernel
 * case changes a socket's transport by CID; ours resets the guest's
 * transport): connects race transport resets of the guest, made every
 * 0.5-2 ms by a third thread, for a while.  Every connect is answered
 * (connected or an error, never a timeout), the listener survives the
 * resets, every reset reaches the guest, and the stack serves afterwards. */
#define TRANSPORT_CHANGE_MS 400

typedef struct transport_change {
	fx_t *f;
	atomic_bool stop;
	atomic_uint resets; /* done by the daemon, on the loop */
	int connected, failed;
} transport_change_t;

static void reset_guest(void *ctx, zx_status_t status)
{
	transport_change_t *tc = ctx;
	if (status == ZX_OK &&
	    cfidl_vsock_daemon_reset_guest(tc->f->daemon, GUEST_CID) == ZX_OK)
		atomic_fetch_add(&tc->resets, 1);
}

static void *resetter_main(void *arg)
{
	transport_change_t *tc = arg;
	while (!atomic_load(&tc->stop)) {
		cfidl_loop_post(tc->f->loop, reset_guest, tc);
		usleep(500 + (useconds_t)(rand() % 1500));
	}
	return NULL;
}

static void get_reset_count(fx_t *f, void *arg)
{
	*(uint32_t *)arg = cfidl_vsock_guest_reset_count(f->guest);
}

static void transport_change_client(side_t *s)
{
	transport_change_t *tc = s->p->arg;
	const dir_t *d = s->p->f->dir;
	zx_time_t end = zx_deadline_after(ZX_MSEC(TRANSPORT_CHANGE_MS));
	unsigned char b = 0;
	pthread_t resetter;
	int fd = -1;
	if (!ctl_expect(s, "READY"))
		return;
	CHECK(pthread_create(&resetter, NULL, resetter_main, tc) == 0);
	zx_status_t st = ZX_OK;
	while (now() < end) {
		st = cfidl_vsock_app_connect(s->app, d->server_cid, PORT,
		                             zx_deadline_after(ZX_SEC(2)), &fd,
		                             NULL);
		if (st == ZX_ERR_TIMED_OUT)
			break;
		if (st == ZX_OK) {
			tc->connected++;
			close(fd);
		} else {
			tc->failed++;
		}
	}
	atomic_store(&tc->stop, true);
	pthread_join(resetter, NULL);
	CHECK(st != ZX_ERR_TIMED_OUT);
	ctl_write(s, "DONE");
	/* The last connection only once the server dropped the others: it
	 * must not take this one for one of them. */
	if (!ctl_expect(s, "GO"))
		return;
	fd = cli_connect(s);
	CHECK(fd >= 0);
	CHECK(recv(fd, &b, 1, 0) == 1 && b == 1);
	side_close(s, fd);
}

static void transport_change_server(side_t *s)
{
	char msg[32];
	int fd = -1;
	CHECK_ST(cfidl_vsock_app_listen(s->app, PORT), ZX_OK);
	s->listening = true;
	ctl_write(s, "READY");
	/* Accept (and drop) whatever comes until the client is done. */
	while (!ctl_read_within(s, msg, 0)) {
		CHECK(!s->p->failed);
		zx_status_t st = cfidl_vsock_app_accept(
		    s->app, PORT, zx_deadline_after(ZX_MSEC(20)), &fd, NULL,
		    NULL);
		if (st == ZX_OK)
			close(fd);
		else
			CHECK_ST(st, ZX_ERR_TIMED_OUT);
	}
	CHECK(strcmp(msg, "DONE") == 0);
	/* Drop those the client made before DONE and we did not take yet. */
	while (cfidl_vsock_app_accept(s->app, PORT,
	                              zx_deadline_after(ZX_MSEC(50)), &fd, NULL,
	                              NULL) == ZX_OK)
		close(fd);
	ctl_write(s, "GO");
	fd = srv_accept(s);
	CHECK(fd >= 0);
	CHECK(xsend(fd, "\1", 1, MSG_NOSIGNAL) == 1);
	CHECK(wait_remote_close(fd));
	side_close(s, fd);
}

static void stream_transport_change(void **state)
{
	fx_t *f = *state;
	transport_change_t tc = {.f = f};
	uint32_t seen = 0;
	run_pair(f, transport_change_client, transport_change_server, &tc);
	uint32_t resets = atomic_load(&tc.resets);
	assert_true(resets > 0);
	zx_time_t deadline = soon();
	while (on_loop(f, get_reset_count, &seen) && seen != resets &&
	       now() < deadline)
		usleep(2000);
	assert_int_equal(seen, resets);
	printf("# %u transport resets; %d connects through, %d failed\n",
	       resets, tc.connected, tc.failed);
}

#define LT(fn, d)                                                              \
	{                                                                      \
#fn "_" #d, fn, setup, teardown, (void *)&d                    \
	}
#define LT2(fn) LT(fn, h2g), LT(fn, g2h)

int main(void)
{
	struct sigaction sa = {.sa_handler = on_sigpipe,
	                       .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	srand((unsigned)time(NULL));

	/* Linux's names: "SOCK_STREAM <name>" -> stream_<name>. */
	const struct CMUnitTest tests[] = {
	    LT2(stream_connection_reset),
	    LT2(stream_connection_reset_wrong_cid),
	    LT2(stream_bind_only),
	    LT2(stream_client_close),
	    LT2(stream_server_close),
	    LT2(stream_multiconn),
	    LT2(stream_msg_peek),
	    LT2(stream_poll_rcvlowat),
	    LT2(stream_inv_buf),
	    LT2(stream_virtio_skb_merge),
	    LT2(stream_shutwr),
	    LT2(stream_shutrd),
	    LT2(stream_double_bind_connect),
	    LT2(stream_cred_upd_on_set_rcvlowat),
	    LT2(stream_cred_upd_on_low_rx_bytes),
	    LT2(stream_unsent_bytes),
	    LT2(stream_leak_acceptq),
	    LT2(stream_connect_retry),
	    LT2(stream_linger),
	    LT2(stream_nolinger),
	    LT2(stream_transport_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
