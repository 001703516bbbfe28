/*
 * bench_vsock: the vsock benchmarks of issue 4 (bench/README.md, "The vsock
 * benchmark"), measured through the whole stack: the daemon
 * (cfidl_vsock_daemon_*) and a guest (cfidl_vsock_guest_*) each run in a
 * forked process on its own loop, joined by the shared-memory transport
 * the guest gets at registration; the apps are threads of this process on
 * the app API (cfidl_vsock_app_*), a host app and a guest app.  A byte a
 * host app writes crosses: its socket -> the daemon's host half (engine)
 * -> the shm ring -> the guest's Device (engine) -> the guest app's socket.
 *
 * Parts, each against a raw peer in the same run (the same threads doing
 * the same calls on a plain pipe/socket), taking turns per sample: stream
 * throughput both ways (64 KiB writes) vs a pipe; SendVmo vs writing the
 * same bytes into the connection's socket; a 64-byte echo round trip vs a
 * socketpair; connect+accept+close both ways vs AF_UNIX; heap per idle
 * connection of the daemon and guest processes.  Prints BENCH, SKIP and
 * TARGET lines in the format of bench_bind.  Exit 0 whatever the targets;
 * 1 when an operation fails; 2 on a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cfidl/loop.h>
#include <cfidl/syscalls.h>
#include <cfidl/vmo.h>
#include <cfidl/vsock.h>

#include "bench_raw.h"
#include "bench_report.h"
#include "guest.h"

#define GUEST_CID   3u
#define STREAM_PORT 5000u
#define H2G_PORT    6000u /* connect rate, host app -> guest listener */
#define G2H_PORT    7000u /* connect rate, guest app -> host listener */
#define IDLE_PORT   8000u
#define CHUNK       (64u * 1024u)
#define MAX_SAMPLES 31

/* ---- the stack's processes ---- */

/* One forked process running a daemon or a guest on its loop thread; its
 * main thread answers commands on a control socket. */
struct proc {
	pid_t pid;
	int ctl; /* our end */
};

/* A child's answer to a command. */
struct reply {
	int32_t status;
	uint32_t conns; /* guest: live connections of its Service */
	uint64_t heap;  /* mallinfo2 uordblks + hblkhd */
	uint64_t rss;   /* resident bytes */
};

static struct {
	char rundir[64];
	struct proc daemon, guest;
	pid_t parent;
} S;

static void stack_kill(void)
{
	/* Only the processes we started, by pid. */
	if (getpid() != S.parent)
		return;
	if (S.guest.pid > 0)
		kill(S.guest.pid, SIGKILL);
	if (S.daemon.pid > 0)
		kill(S.daemon.pid, SIGKILL);
	if (S.guest.pid > 0)
		waitpid(S.guest.pid, NULL, 0);
	if (S.daemon.pid > 0)
		waitpid(S.daemon.pid, NULL, 0);
	S.guest.pid = S.daemon.pid = 0;
	if (S.rundir[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", S.rundir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_vsock: could not remove %s\n",
			        S.rundir);
		S.rundir[0] = 0;
	}
}

static _Noreturn void die(const char *what, long st)
{
	fprintf(stderr, "bench_vsock: %s failed (%ld)\n", what, st);
	stack_kill();
	exit(1);
}

#define CHECK(expr)                                                            \
	do {                                                                   \
		zx_status_t st_ = (expr);                                      \
		if (st_ != ZX_OK)                                              \
			die(#expr, st_);                                       \
	} while (0)

static zx_time_t deadline_ms(int ms)
{
	return zx_deadline_after(ZX_MSEC(ms));
}

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * Where the processes run.  On this kind of small VM a wakeup across CPUs
 * costs several times a local one (see bench/README.md), so latency figures
 * measured unpinned say mostly where the scheduler put each thread.
 * CFIDL_BENCH_PIN=auto (the default): the throughput parts (stream,
 * SendVmo) run unpinned, as a pipeline over processes does; the latency
 * parts (echo, connect, idle) run with every thread of the three processes
 * on CPU 0, the raw peers too.  =same: everything on CPU 0; =none: never
 * pinned.
 */
static cpu_set_t all_cpus;

/* Every thread of this process (/proc/self/task) on cpu, or anywhere
 * (cpu < 0).  false if one could not be placed. */
static bool place_self(int cpu)
{
	cpu_set_t one, *set = &all_cpus;
	struct dirent *de;
	bool ok = true;
	DIR *d;

	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		set = &one;
	}
	d = opendir("/proc/self/task");
	if (!d)
		return sched_setaffinity(0, sizeof(*set), set) == 0;
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid > 0 && sched_setaffinity(tid, sizeof(*set), set) != 0)
			ok = false;
	}
	closedir(d);
	return ok;
}

static const char *pin_mode(void)
{
	const char *m = getenv("CFIDL_BENCH_PIN");

	return m && *m ? m : "auto";
}

/* The child's side. */
static struct {
	cfidl_loop_t *loop;
	cfidl_vsock_daemon_t *daemon;
	cfidl_vsock_guest_t *guest;
	int ctl;
} C;

/* Runs on the child's loop: the objects are the loop's. */
static void child_stats(void *ctx, zx_status_t status)
{
	struct mallinfo2 mi = mallinfo2();
	struct reply r = {status, 0, mi.uordblks + mi.hblkhd, rss_bytes()};

	(void)ctx;
	if (C.guest)
		r.conns = cfv_guest_connection_count(C.guest);
	if (write(C.ctl, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
}

static void *child_loop_main(void *arg)
{
	(void)arg;
	cfidl_loop_run(C.loop, ZX_TIME_INFINITE, false);
	return NULL;
}

static void child_gone(void *ctx, zx_status_t reason)
{
	(void)ctx;
	(void)reason;
	_exit(4); /* the daemon went: the parent notices */
}

/* The child's main: build, say ready (a reply), then serve commands:
 * 's' stats, 'q' stop cleanly and exit.  EOF (parent gone): exit. */
static void child_main(bool guest, int ctl)
{
	struct reply r = {0};
	pthread_t t = 0;
	char cmd;

	C.ctl = ctl;
	r.status = cfidl_loop_create(&C.loop);
	if (r.status == ZX_OK && !guest)
		r.status =
		    cfidl_vsock_daemon_create(C.loop, S.rundir, &C.daemon);
	if (r.status == ZX_OK && guest)
		r.status = cfidl_vsock_guest_create(C.loop, S.rundir, GUEST_CID,
		                                    deadline_ms(5000),
		                                    child_gone, NULL, &C.guest);
	if (r.status == ZX_OK &&
	    pthread_create(&t, NULL, child_loop_main, NULL) != 0)
		r.status = ZX_ERR_NO_RESOURCES;
	if (write(ctl, &r, sizeof(r)) != (ssize_t)sizeof(r) ||
	    r.status != ZX_OK)
		_exit(2);
	while (read(ctl, &cmd, 1) == 1) {
		if (cmd == 's') {
			if (cfidl_loop_post(C.loop, child_stats, NULL) != ZX_OK)
				_exit(3);
			continue;
		}
		if (cmd == 'q')
			break;
		if (cmd == 'p' || cmd == 'u') {
			/* Pin to CPU 0 / unpin, every thread; then answer. */
			struct reply pr = {ZX_OK, 0, 0, 0};

			if (!place_self(cmd == 'p' ? 0 : -1))
				pr.status = ZX_ERR_ACCESS_DENIED;
			if (write(ctl, &pr, sizeof(pr)) != (ssize_t)sizeof(pr))
				_exit(3);
		}
	}
	cfidl_loop_quit(C.loop);
	pthread_join(t, NULL);
	cfidl_vsock_guest_destroy(C.guest);
	cfidl_vsock_daemon_destroy(C.daemon);
	cfidl_loop_destroy(C.loop);
	r.status = ZX_OK;
	if (write(ctl, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
	close(ctl);
	/* exit, not _exit: a sanitizer build checks the child for leaks
	 * (stdout was flushed before the fork). */
	exit(0);
}

static bool read_full(int fd, void *buf, size_t n);

static struct reply proc_ask(struct proc *p, char cmd)
{
	struct reply r;

	if (write(p->ctl, &cmd, 1) != 1 || !read_full(p->ctl, &r, sizeof(r)))
		die(p == &S.guest ? "guest process" : "daemon process",
		    ZX_ERR_PEER_CLOSED);
	return r;
}

static void proc_start(struct proc *p, bool guest)
{
	int sp[2];
	struct reply r;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
		die("socketpair", errno);
	fflush(stdout);
	p->pid = fork();
	if (p->pid < 0)
		die("fork", errno);
	if (p->pid == 0) {
		close(sp[0]);
		if (guest)
			close(S.daemon.ctl); /* the daemon sees our parent go */
		child_main(guest, sp[1]);
	}
	close(sp[1]);
	p->ctl = sp[0];
	if (!read_full(p->ctl, &r, sizeof(r)) || r.status != ZX_OK)
		die(guest ? "guest start" : "daemon start", r.status);
}

static void proc_stop(struct proc *p)
{
	int ws;

	proc_ask(p, 'q');
	if (waitpid(p->pid, &ws, 0) != p->pid || !WIFEXITED(ws) ||
	    WEXITSTATUS(ws) != 0)
		die("child exit", ws);
	p->pid = 0;
	close(p->ctl);
}

/* Starts the daemon, then a guest at GUEST_CID, in a fresh rundir.  Call
 * with no other thread running (fork). */
static void stack_start(void)
{
	strcpy(S.rundir, "/tmp/cfidl-bench-vsock.XXXXXX");
	if (!mkdtemp(S.rundir))
		die("mkdtemp", errno);
	proc_start(&S.daemon, false);
	proc_start(&S.guest, true);
}

static void stack_stop(void)
{
	proc_stop(&S.guest);
	proc_stop(&S.daemon);
	if (rmdir(S.rundir) != 0)
		die("rundir left non-empty", errno);
	S.rundir[0] = 0;
}

/* Pins (to CPU 0) or unpins the three processes for a part. */
static void place(bool latency_part)
{
	const char *m = pin_mode();
	bool pin =
	    strcmp(m, "same") == 0 || (strcmp(m, "auto") == 0 && latency_part);
	static int last = -1;

	if (strcmp(m, "none") == 0 || last == (int)pin)
		return;
	last = pin;
	bool ok = place_self(pin ? 0 : -1);
	ok = proc_ask(&S.daemon, pin ? 'p' : 'u').status == ZX_OK && ok;
	ok = proc_ask(&S.guest, pin ? 'p' : 'u').status == ZX_OK && ok;
	if (!ok)
		printf("# could not %s every thread\n",
		       pin ? "pin to CPU 0" : "unpin");
	printf("# from here (%s): %s\n",
	       latency_part ? "latency parts" : "throughput parts",
	       pin ? "every thread of the three processes on CPU 0"
	           : "unpinned (the scheduler places the threads)");
}

/* Waits until the guest has at most `want` live connections. */
static void wait_guest_conns(uint32_t want)
{
	double end = br_now_ns() + 10e9;

	while (proc_ask(&S.guest, 's').conns > want) {
		if (br_now_ns() > end)
			die("connections to close", ZX_ERR_TIMED_OUT);
		struct timespec ts = {0, 200 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* ---- byte pumps ---- */

static bool write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static uint8_t pattern[CHUNK];

/* A thread writing total bytes (64 KiB writes) from src, or the pattern,
 * or sending them as one SendVmo of vmo. */
struct writer {
	int fd;
	const uint8_t *src;
	uint64_t total;
	cfidl_vsock_app_t *vmo_app; /* non-NULL: SendVmo of vmo */
	zx_handle_t vmo;
	bool ok;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	if (w->vmo_app) {
		w->ok = cfidl_vsock_app_send_vmo(w->vmo_app, w->fd, w->vmo, 0,
		                                 w->total) == ZX_OK;
		return NULL;
	}
	w->ok = true;
	for (uint64_t off = 0; off < w->total && w->ok; off += CHUNK) {
		size_t n = w->total - off < CHUNK ? w->total - off : CHUNK;

		w->ok = write_all(w->fd, w->src ? w->src + off : pattern, n);
	}
	return NULL;
}

/* Reads total bytes from fd in 64 KiB reads; false on EOF/error. */
static bool drain(int fd, uint64_t total)
{
	static uint8_t buf[CHUNK];

	while (total) {
		ssize_t r = read(fd, buf, total < CHUNK ? total : CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		total -= (uint64_t)r;
	}
	return true;
}

/* ns until rfd delivered every byte the writer w sends (on a thread). */
static double pump(struct writer *w, int rfd)
{
	pthread_t t;
	double t0 = br_now_ns();

	if (pthread_create(&t, NULL, writer_main, w) != 0)
		die("pthread_create", errno);
	bool ok = drain(rfd, w->total);
	double t1 = br_now_ns();
	pthread_join(t, NULL);
	if (!ok || !w->ok)
		die(w->vmo_app ? "SendVmo" : "stream", ZX_ERR_IO);
	return t1 - t0;
}

static double pump_bytes(int wfd, int rfd, const uint8_t *src, uint64_t n)
{
	struct writer w = {wfd, src, n, NULL, ZX_HANDLE_INVALID, false};

	return pump(&w, rfd);
}

/* ---- the apps ---- */

static struct {
	cfidl_vsock_app_t *host;    /* host app, on the main thread */
	cfidl_vsock_app_t *guest;   /* guest app, on the acceptor thread */
	cfidl_vsock_app_t *guest_c; /* guest app, connecting (main) */
	cfidl_vsock_app_t *host_l;  /* host app, accepting (thread) */
} A;

/* A thread accepting n connections on one app, closing each at once
 * (keep: store the fds instead). */
struct acceptor {
	cfidl_vsock_app_t *app;
	uint32_t port;
	int n;
	int *keep;
	zx_status_t st;
};

static void *acceptor_main(void *arg)
{
	struct acceptor *a = arg;

	a->st = ZX_OK;
	for (int i = 0; i < a->n && a->st == ZX_OK; i++) {
		int fd;

		a->st = cfidl_vsock_app_accept(
		    a->app, a->port, deadline_ms(10000), &fd, NULL, NULL);
		if (a->st != ZX_OK)
			break;
		if (a->keep)
			a->keep[i] = fd;
		else
			close(fd);
	}
	return NULL;
}

static pthread_t acceptor_start(struct acceptor *a)
{
	pthread_t t;

	if (pthread_create(&t, NULL, acceptor_main, a) != 0)
		die("pthread_create", errno);
	return t;
}

static void acceptor_join(pthread_t t, struct acceptor *a)
{
	pthread_join(t, NULL);
	CHECK(a->st);
}

/* Host app -> guest app connection on port: *hfd host end, *gfd guest end. */
static void connect_h2g(uint32_t port, int *hfd, int *gfd)
{
	struct acceptor a = {A.guest, port, 1, gfd, ZX_OK};
	pthread_t t = acceptor_start(&a);

	CHECK(cfidl_vsock_app_connect(A.host, GUEST_CID, port,
	                              deadline_ms(10000), hfd, NULL));
	acceptor_join(t, &a);
}

/* ---- the parts ---- */

static struct opts {
	bool quick;
	uint64_t stream_bytes;
	uint64_t vmo_bytes;
	int samples;
	int echo_iters;
	int conn_iters;
	int idle_conns;
	const char *only; /* NULL: every part */
} O;

static bool want(const char *part)
{
	return !O.only || strcmp(O.only, part) == 0;
}

/* suffix "": the figures with targets; else context lines (no target). */
static void part_stream(int hfd, int gfd, const char *suffix)
{
	double vg[MAX_SAMPLES], vh[MAX_SAMPLES], vp[MAX_SAMPLES];
	int p[2];

	if (pipe(p) != 0)
		die("pipe", errno);
	for (int i = 0; i < O.samples; i++) {
		/* Rotate who goes first so drift falls on all alike. */
		for (int k = 0; k < 3; k++) {
			switch ((i + k) % 3) {
			case 0:
				vg[i] =
				    pump_bytes(gfd, hfd, NULL, O.stream_bytes);
				break;
			case 1:
				vh[i] =
				    pump_bytes(hfd, gfd, NULL, O.stream_bytes);
				break;
			default:
				vp[i] = pump_bytes(p[1], p[0], NULL,
				                   O.stream_bytes);
				break;
			}
		}
	}
	close(p[0]);
	close(p[1]);
	double mb = (double)O.stream_bytes / 1e6;
	double g = mb / (br_median(vg, (size_t)O.samples) / 1e9);
	double h = mb / (br_median(vh, (size_t)O.samples) / 1e9);
	double raw = mb / (br_median(vp, (size_t)O.samples) / 1e9);
	printf("# stream: %d samples of %.0f MiB in 64 KiB writes (writer "
	       "thread -> reader thread), median\n",
	       O.samples, (double)O.stream_bytes / (1 << 20));
	char name[64];
	snprintf(name, sizeof(name), "vsock_stream_guest_to_host%s", suffix);
	br_bench(name, g, "MB/s", "raw-pipe", raw);
	snprintf(name, sizeof(name), "vsock_stream_host_to_guest%s", suffix);
	br_bench(name, h, "MB/s", "raw-pipe", raw);
	if (*suffix)
		return;
	br_target("stream_guest_to_host_vs_pipe", "ratio", g / raw, 0.5, false);
	br_target("stream_host_to_guest_vs_pipe", "ratio", h / raw, 0.5, false);
}

/* The guest app sends the VMO on its end (gfd); the host app reads.
 * suffix as part_stream's. */
static void part_send_vmo(int hfd, int gfd, const char *suffix)
{
	double vv[MAX_SAMPLES], vs[MAX_SAMPLES];
	zx_handle_t vmo;
	void *map;

	CHECK(zx_vmo_create(O.vmo_bytes, 0, &vmo));
	CHECK(cfidl_vmo_map(vmo, 0, O.vmo_bytes,
	                    ZX_VM_PERM_READ | ZX_VM_PERM_WRITE, &map));
	for (uint64_t off = 0; off < O.vmo_bytes; off += CHUNK)
		memcpy((uint8_t *)map + off, pattern,
		       O.vmo_bytes - off < CHUNK ? O.vmo_bytes - off : CHUNK);
	for (int i = 0; i < O.samples; i++) {
		for (int k = 0; k < 2; k++) {
			if ((i + k) % 2) {
				vs[i] = pump_bytes(gfd, hfd, map, O.vmo_bytes);
				continue;
			}
			struct writer w = {gfd,     NULL, O.vmo_bytes,
			                   A.guest, 0,    false};
			CHECK(zx_handle_duplicate(vmo, ZX_RIGHT_SAME_RIGHTS,
			                          &w.vmo));
			vv[i] = pump(&w, hfd);
		}
	}
	cfidl_vmo_unmap(map, O.vmo_bytes);
	zx_handle_close(vmo);
	double v = br_median(vv, (size_t)O.samples) / 1e6;
	double s = br_median(vs, (size_t)O.samples) / 1e6;
	char name[64];
	snprintf(name, sizeof(name), "vsock_sendvmo_%lluMiB%s",
	         (unsigned long long)(O.vmo_bytes >> 20), suffix);
	printf("# sendvmo: %d samples, median, guest app -> host app reader; "
	       "baseline: the guest app writes the same bytes (from a "
	       "mapping of the VMO) into its connection socket\n",
	       O.samples);
	br_bench(name, v, "ms", "socket-write", s);
	if (*suffix)
		return;
	br_target("sendvmo_speedup_vs_socket_write", "speedup", s / v, 1.2,
	          false);
}

struct echo {
	int fd;
	int iters;
	bool ok;
};

static void *echo_main(void *arg)
{
	struct echo *e = arg;
	uint8_t b[64];

	e->ok = true;
	for (int i = 0; i < e->iters && e->ok; i++)
		e->ok = read_full(e->fd, b, 64) && write_all(e->fd, b, 64);
	return NULL;
}

/* ns per 64-byte round trip: client on cfd, echo thread on efd. */
static double round_trips(int cfd, int efd, int iters)
{
	struct echo e = {efd, iters, false};
	uint8_t b[64];
	pthread_t t;
	bool ok = true;

	memset(b, 0x5a, sizeof(b));
	if (pthread_create(&t, NULL, echo_main, &e) != 0)
		die("pthread_create", errno);
	double t0 = br_now_ns();
	for (int i = 0; i < iters && ok; i++)
		ok = write_all(cfd, b, 64) && read_full(cfd, b, 64);
	double t1 = br_now_ns();
	pthread_join(t, NULL);
	if (!ok || !e.ok)
		die("echo", ZX_ERR_IO);
	return (t1 - t0) / iters;
}

static void part_echo(int hfd, int gfd, const char *suffix)
{
	char name[64], key[64];

	double vv[MAX_SAMPLES], vr[MAX_SAMPLES];
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
		die("socketpair", errno);
	for (int i = 0; i < O.samples; i++) {
		if (i % 2) {
			vr[i] = round_trips(sp[0], sp[1], O.echo_iters);
			vv[i] = round_trips(gfd, hfd, O.echo_iters);
		} else {
			vv[i] = round_trips(gfd, hfd, O.echo_iters);
			vr[i] = round_trips(sp[0], sp[1], O.echo_iters);
		}
	}
	close(sp[0]);
	close(sp[1]);
	double v = br_median(vv, (size_t)O.samples);
	double r = br_median(vr, (size_t)O.samples);
	printf("# echo%s: %d samples of %d round trips (guest app -> echo "
	       "thread on the host app's end), median\n",
	       suffix, O.samples, O.echo_iters);
	snprintf(name, sizeof(name), "vsock_echo_64b%s", suffix);
	snprintf(key, sizeof(key), "echo_vs_raw%s", suffix);
	br_bench(name, v, "ns", "raw-socketpair", r);
	br_target(key, "ratio", v / r, 3, true);
}

/* ns per connection: n connect+close on the main thread (app `from` to
 * (cid, port)) while a thread accepts and closes on `to`; the time runs
 * until the guest's Service has no connection left. */
static double vsock_connects(cfidl_vsock_app_t *from, cfidl_vsock_app_t *to,
                             uint32_t cid, uint32_t port, int n)
{
	struct acceptor a = {to, port, n, NULL, ZX_OK};
	double t0 = br_now_ns();
	pthread_t t = acceptor_start(&a);

	for (int i = 0; i < n; i++) {
		int fd;
		zx_status_t st = cfidl_vsock_app_connect(
		    from, cid, port, deadline_ms(10000), &fd, NULL);

		if (st != ZX_OK) {
			char what[96];

			snprintf(what, sizeof(what),
			         "connect %d of %d to CID %u port %u", i + 1, n,
			         cid, port);
			die(what, st);
		}
		close(fd);
	}
	acceptor_join(t, &a);
	wait_guest_conns(1); /* the stream connection stays */
	return (br_now_ns() - t0) / n;
}

/* The raw peer, dying on failure. */
static double raw_connects(int n, int threads)
{
	double v = br_raw_connects("vsock", n, threads);

	if (v < 0)
		die("raw AF_UNIX connect+accept", (long)v);
	return v;
}

static void part_connect(void)
{
	double vh[MAX_SAMPLES], vg[MAX_SAMPLES], vr[MAX_SAMPLES];
	int n = O.conn_iters;

	CHECK(cfidl_vsock_app_listen(A.guest, H2G_PORT));
	CHECK(cfidl_vsock_app_listen(A.host_l, G2H_PORT));
	for (int i = 0; i < O.samples; i++) {
		for (int k = 0; k < 3; k++) {
			switch ((i + k) % 3) {
			case 0:
				vh[i] = vsock_connects(A.host, A.guest,
				                       GUEST_CID, H2G_PORT, n);
				break;
			case 1:
				vg[i] = vsock_connects(A.guest_c, A.host_l,
				                       CFIDL_VSOCK_HOST_CID,
				                       G2H_PORT, n);
				break;
			default:
				vr[i] = raw_connects(n, 1);
				break;
			}
		}
	}
	CHECK(cfidl_vsock_app_unlisten(A.guest, H2G_PORT));
	CHECK(cfidl_vsock_app_unlisten(A.host_l, G2H_PORT));
	double h = 1e9 / br_median(vh, (size_t)O.samples);
	double g = 1e9 / br_median(vg, (size_t)O.samples);
	double r = 1e9 / br_median(vr, (size_t)O.samples);
	printf("# connect: %d samples of %d connect+accept+close (connecting "
	       "app on one thread, accepting app on another; until the "
	       "guest holds no connection), median; raw: the same threads "
	       "on an abstract AF_UNIX listener\n",
	       O.samples, n);
	br_bench("vsock_connect_accept_close_host_to_guest", h, "conn/s",
	         "raw-unix-connect", r);
	br_bench("vsock_connect_accept_close_guest_to_host", g, "conn/s",
	         "raw-unix-connect", r);
	br_target("connect_rate_host_to_guest_vs_raw", "ratio", h / r, 0.2,
	          false);
	br_target("connect_rate_guest_to_host_vs_raw", "ratio", g / r, 0.2,
	          false);
}

/*
 * The rate with connections in flight at once: PAR host apps, each on its
 * own thread, connect+close n times to one guest listener whose app
 * accepts and closes on another thread; raw: PAR threads connecting to
 * one AF_UNIX listener.  Context for the sequential figure above, which
 * is one connection's latency: here the loops batch their wake-ups.
 */
#define PAR 4

struct par_conn {
	cfidl_vsock_app_t *app;
	int n;
	zx_status_t st;
};

static void *par_conn_main(void *arg)
{
	struct par_conn *pc = arg;

	pc->st = ZX_OK;
	for (int i = 0; i < pc->n && pc->st == ZX_OK; i++) {
		int fd;

		pc->st = cfidl_vsock_app_connect(pc->app, GUEST_CID, H2G_PORT,
		                                 deadline_ms(10000), &fd, NULL);
		if (pc->st == ZX_OK)
			close(fd);
	}
	return NULL;
}

static double vsock_connects_par(struct par_conn *pc, int n)
{
	struct acceptor a = {A.guest, H2G_PORT, PAR * n, NULL, ZX_OK};
	pthread_t t[PAR];
	double t0 = br_now_ns();
	pthread_t at = acceptor_start(&a);

	for (int k = 0; k < PAR; k++) {
		pc[k].n = n;
		if (pthread_create(&t[k], NULL, par_conn_main, &pc[k]) != 0)
			die("pthread_create", errno);
	}
	for (int k = 0; k < PAR; k++)
		pthread_join(t[k], NULL);
	acceptor_join(at, &a);
	for (int k = 0; k < PAR; k++)
		CHECK(pc[k].st);
	wait_guest_conns(1);
	return (br_now_ns() - t0) / (PAR * n);
}

static void part_connect_par(const char *suffix)
{
	double vv[MAX_SAMPLES], vr[MAX_SAMPLES];
	struct par_conn pc[PAR];
	int n = O.conn_iters;
	char name[80];

	memset(pc, 0, sizeof(pc));
	for (int k = 0; k < PAR; k++)
		CHECK(cfidl_vsock_app_open(S.rundir, CFIDL_VSOCK_HOST_CID,
		                           &pc[k].app));
	CHECK(cfidl_vsock_app_listen(A.guest, H2G_PORT));
	for (int i = 0; i < O.samples; i++) {
		if (i % 2) {
			vr[i] = raw_connects(PAR * n, PAR);
			vv[i] = vsock_connects_par(pc, n);
		} else {
			vv[i] = vsock_connects_par(pc, n);
			vr[i] = raw_connects(PAR * n, PAR);
		}
	}
	CHECK(cfidl_vsock_app_unlisten(A.guest, H2G_PORT));
	for (int k = 0; k < PAR; k++)
		cfidl_vsock_app_close(pc[k].app);
	double v = 1e9 / br_median(vv, (size_t)O.samples);
	double r = 1e9 / br_median(vr, (size_t)O.samples);
	printf("# connect%s, %d in flight (context, no target): %d samples "
	       "of %d connect+close per host app thread, one guest app "
	       "thread accepting and closing; raw: %d threads on one "
	       "AF_UNIX listener\n",
	       suffix, PAR, O.samples, n, PAR);
	snprintf(name, sizeof(name),
	         "vsock_connect_accept_close_%d_in_flight%s", PAR, suffix);
	br_bench(name, v, "conn/s", "raw-unix-connect", r);
}

/* Heap (and RSS) growth of the daemon and guest processes per idle
 * established connection. */
static void part_idle_memory(void)
{
	int n = O.idle_conns;
	int *hfds = calloc((size_t)n, sizeof(int));
	int *gfds = calloc((size_t)n, sizeof(int));

	if (!hfds || !gfds)
		die("calloc", ZX_ERR_NO_MEMORY);
	CHECK(cfidl_vsock_app_listen_backlog(A.guest, IDLE_PORT, (uint32_t)n));
	struct reply d0 = proc_ask(&S.daemon, 's');
	struct reply g0 = proc_ask(&S.guest, 's');
	struct acceptor a = {A.guest, IDLE_PORT, n, gfds, ZX_OK};
	double t0 = br_now_ns();
	pthread_t t = acceptor_start(&a);
	for (int i = 0; i < n; i++)
		CHECK(cfidl_vsock_app_connect(A.host, GUEST_CID, IDLE_PORT,
		                              deadline_ms(10000), &hfds[i],
		                              NULL));
	acceptor_join(t, &a);
	double t_conn = (br_now_ns() - t0) / n;
	/* Let every credit update settle. */
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	struct reply d1 = proc_ask(&S.daemon, 's');
	struct reply g1 = proc_ask(&S.guest, 's');
	if (g1.conns < (uint32_t)n)
		die("idle connections", (long)g1.conns);
	t0 = br_now_ns();
	for (int i = 0; i < n; i++) {
		close(hfds[i]);
		close(gfds[i]);
	}
	wait_guest_conns(1);
	double t_close = (br_now_ns() - t0) / n;
	CHECK(cfidl_vsock_app_unlisten(A.guest, IDLE_PORT));
	free(hfds);
	free(gfds);
	double dh = ((double)d1.heap - (double)d0.heap) / n;
	double gh = ((double)g1.heap - (double)g0.heap) / n;
	double dr = ((double)d1.rss - (double)d0.rss) / n;
	double gr = ((double)g1.rss - (double)g0.rss) / n;
	printf("# idle: %d established host->guest connections; heap in use "
	       "(mallinfo2) per connection: daemon %.0f B, guest %.0f B; "
	       "RSS growth per connection: daemon %.0f B, guest %.0f B\n",
	       n, dh, gh, dr, gr);
	br_bench("vsock_idle_conn_heap", dh + gh, "B", "rss-growth", dr + gr);
	br_target("idle_conn_bytes", "value", dh + gh, 16384, true);
	printf("# idle: setting up took %.1f us per connection (connect+"
	       "accept, host->guest), closing them all %.1f us per "
	       "connection (both ends closed, until the guest dropped it)\n",
	       t_conn / 1e3, t_close / 1e3);
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: bench_vsock [--quick] [--vmo-mib N] [--stream-mib N]\n"
	    "                   [--idle-conns N (1..400)]\n"
	    "                   [--only stream|sendvmo|echo|connect|idle]\n");
}

int main(int argc, char **argv)
{
	O.stream_bytes = 64ull << 20;
	O.vmo_bytes = 256ull << 20;
	O.samples = 5;
	O.echo_iters = 2000;
	O.conn_iters = 50;
	O.idle_conns = 200;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			O.quick = true;
			O.stream_bytes = 4ull << 20;
			O.vmo_bytes = 8ull << 20;
			O.samples = 3;
			O.echo_iters = 200;
			O.conn_iters = 10;
			O.idle_conns = 20;
		} else if (strcmp(argv[i], "--vmo-mib") == 0 && i + 1 < argc) {
			O.vmo_bytes = strtoull(argv[++i], NULL, 10) << 20;
		} else if (strcmp(argv[i], "--idle-conns") == 0 &&
		           i + 1 < argc) {
			O.idle_conns = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
			O.only = argv[++i];
		} else if (strcmp(argv[i], "--stream-mib") == 0 &&
		           i + 1 < argc) {
			O.stream_bytes = strtoull(argv[++i], NULL, 10) << 20;
		} else {
			usage();
			return 2;
		}
	}
	if (O.vmo_bytes == 0 || O.stream_bytes == 0 || O.idle_conns < 1 ||
	    O.idle_conns > 400) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 131u + 7u);
	S.parent = getpid();
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) != 0) {
		CPU_ZERO(&all_cpus);
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &all_cpus);
	}
	printf("# placement: CFIDL_BENCH_PIN=%s (auto|same|none)\n",
	       pin_mode());
	printf("# bench_vsock: the whole stack: daemon and guest (CID %u) in "
	       "two forked processes, shared-memory transport between them; "
	       "host and guest apps are threads here on the app API\n",
	       GUEST_CID);

	stack_start();
	printf("# rundir: %s\n", S.rundir);
	CHECK(cfidl_vsock_app_open(S.rundir, CFIDL_VSOCK_HOST_CID, &A.host));
	CHECK(cfidl_vsock_app_open(S.rundir, CFIDL_VSOCK_HOST_CID, &A.host_l));
	CHECK(cfidl_vsock_app_open(S.rundir, GUEST_CID, &A.guest));
	CHECK(cfidl_vsock_app_open(S.rundir, GUEST_CID, &A.guest_c));
	CHECK(cfidl_vsock_app_listen(A.guest, STREAM_PORT));
	int hfd, gfd;
	connect_h2g(STREAM_PORT, &hfd, &gfd);
	if (want("stream") || want("sendvmo"))
		place(false);
	if (want("stream"))
		part_stream(hfd, gfd, "");
	if (want("sendvmo"))
		part_send_vmo(hfd, gfd, "");
	/* The echo as the scheduler places it (every wake-up may cross CPUs,
	 * the raw one's too), then on one CPU below, where it counts the
	 * work done per round trip. */
	if (want("echo") && strcmp(pin_mode(), "auto") == 0) {
		place(false);
		part_echo(hfd, gfd, "_unpinned");
	}
	if (want("connect") && strcmp(pin_mode(), "auto") == 0) {
		place(false);
		part_connect_par("_unpinned");
	}
	place(true);
	/* Context, no targets: the same on one CPU, where the figures say
	 * how much work the stack does (four copies per streamed byte where
	 * the pipe makes two) whatever the scheduler does. */
	if (want("stream") && strcmp(pin_mode(), "auto") == 0)
		part_stream(hfd, gfd, "_one_cpu");
	if (want("sendvmo") && strcmp(pin_mode(), "auto") == 0)
		part_send_vmo(hfd, gfd, "_one_cpu");
	if (want("echo"))
		part_echo(hfd, gfd, "");
	if (want("connect")) {
		part_connect();
		part_connect_par("");
	}
	if (want("idle"))
		part_idle_memory();
	close(hfd);
	close(gfd);
	wait_guest_conns(0);
	cfidl_vsock_app_close(A.host);
	cfidl_vsock_app_close(A.host_l);
	cfidl_vsock_app_close(A.guest);
	cfidl_vsock_app_close(A.guest_c);
	stack_stop();
	br_summary();
	return 0;
}
