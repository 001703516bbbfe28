/*
 * bench_vsock_floor: the design floor of bench_vsock's stack.  The same
 * three processes and the same hops as the whole-stack benchmark (apps as
 * threads of this process, a forked "daemon" and a forked "guest", joined by
 * two shared-memory rings of 44-byte-header packets with eventfd doorbells),
 * each hop done with as few raw syscalls as it allows, and no FIDL, runtime
 * or other library of ours.  What it measures is what no implementation of
 * this architecture can beat on this machine, next to the same raw peers as
 * bench_vsock, in the same run, taking turns per sample.
 *
 * Parts: a 64-byte echo round trip (host app -> daemon -> ring -> guest ->
 * guest app and back) vs a socketpair; sequential connect+accept+close
 * host -> guest (the minimal message chain of a vsock connect and its
 * teardown) vs AF_UNIX, and as context the same with a leaner chain (the
 * guest answers from a listen backlog).  Prints BENCH and TARGET lines in
 * bench_vsock's format, and the syscalls per operation, counted at every
 * call site.  Exit 0 whatever the targets; 1 when an operation fails or a
 * child dies; 2 on a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
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
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_raw.h"
#include "bench_report.h"

#define MAX_SAMPLES  31
#define RING_SLOTS   256u /* a power of two */
#define PAYLOAD_MAX  64u
#define CONN_SLOTS   1024u
#define CONNECT_PORT 6000u
#define GUEST_CID    3u
#define HOST_CID     2u
#define WAIT_MS      10000 /* every blocking wait of an app thread */
#define CHILD_ALARM  330u  /* seconds: a child never outlives this */
#define PARENT_ALARM 300u

/* ---- the wire: virtio-vsock's 44-byte header, then inline payload ---- */

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

_Static_assert(sizeof(struct hdr) == 44, "the virtio-vsock header");

enum {
	OP_REQUEST = 1,
	OP_RESPONSE = 2,
	OP_RST = 3,
	OP_SHUTDOWN = 4,
	OP_RW = 5
};

struct pkt {
	struct hdr h;
	uint8_t payload[PAYLOAD_MAX];
};

/* Single producer, single consumer; head and tail are free-running. */
struct ring {
	_Alignas(64) _Atomic uint64_t head; /* written by the producer */
	_Alignas(64) _Atomic uint64_t tail; /* written by the consumer */
	_Alignas(64) struct pkt slot[RING_SLOTS];
};

/* Who made a syscall (one thread each, so plain counters suffice). */
enum { R_HOST, R_APP, R_DAEMON, R_GUEST, R_COUNT };

/* The memfd both children and this process map. */
struct shm {
	struct ring to_guest, to_daemon;
	_Alignas(64) _Atomic uint32_t guest_live; /* futex word */
	_Atomic uint32_t daemon_live;
	_Atomic uint32_t live_waiter; /* the parent sleeps on guest_live */
	_Atomic uint32_t lean;        /* connect chain: set between samples */
	_Alignas(64) _Atomic uint64_t calls[R_COUNT];
};

/* One more syscall for c (NULL: not counted: the raw peers). */
static void tick(_Atomic uint64_t *c)
{
	if (c)
		atomic_store_explicit(
		    c, atomic_load_explicit(c, memory_order_relaxed) + 1,
		    memory_order_relaxed);
}

/* ---- records on the app <-> daemon / guest <-> app seqpacket pairs ---- */

enum { REC_CONNECT = 1, REC_CONNECTED = 2, REC_ACCEPT = 3, REC_ACCEPTED = 4 };

struct rec {
	uint32_t op, port, id;
	int32_t status;
};

/* Sends r with fd (>= 0: passed by SCM_RIGHTS; the caller keeps its
 * copy).  false on failure or a short send. */
static bool send_rec(int sock, const struct rec *r, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {(void *)r, sizeof(*r)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.buf;
		m.msg_controllen = sizeof(cm.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)sizeof(*r);
}

/* Receives one record and at most one fd (*fd, -1 if none; the caller
 * owns it).  Returns recvmsg's result; a record of the wrong size or with
 * more than one fd is an error (-1, nothing kept). */
static ssize_t recv_rec(int sock, struct rec *r, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {r, sizeof(*r)};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = cm.buf,
	                   .msg_controllen = sizeof(cm.buf)};
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);

	*fd = -1;
	if (n <= 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n != (ssize_t)sizeof(*r) || (m.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	return n;
}

/* ---- the processes ---- */

static struct {
	struct shm *shm;
	pid_t parent;
	volatile pid_t daemon, guest; /* read by the SIGALRM handler */
	/* The pairs: [0] the app's end (here), [1] the child's end. */
	int host_echo[2], host_conn[2];   /* host app <-> daemon */
	int guest_echo[2], guest_conn[2]; /* guest app <-> guest */
	int bell_guest, bell_daemon;      /* eventfds: doorbell of each child */
} S;

static void kill_children(void)
{
	/* Only the processes we forked, by pid. */
	pid_t d = S.daemon, g = S.guest;

	if (getpid() != S.parent)
		return;
	signal(SIGCHLD, SIG_DFL); /* these deaths are ours */
	if (g > 0)
		kill(g, SIGKILL);
	if (d > 0)
		kill(d, SIGKILL);
	if (g > 0)
		waitpid(g, NULL, 0);
	if (d > 0)
		waitpid(d, NULL, 0);
	S.daemon = S.guest = 0;
}

static _Noreturn void die(const char *what, long err)
{
	fprintf(stderr, "bench_vsock_floor: %s failed (%ld)\n", what, err);
	kill_children();
	exit(1);
}

static void on_alarm(int sig)
{
	static const char msg[] = "bench_vsock_floor: deadline passed\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	kill_children();
	_exit(1);
}

/* A child that exits before stack_stop is a failure: no app thread
 * should wait out its deadline for a process that is gone. */
static void on_child(int sig)
{
	static const char msg[] = "bench_vsock_floor: a child exited early\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	kill_children();
	_exit(1);
}

/* ---- placement (bench_vsock's CFIDL_BENCH_PIN) ---- */

static const char *pin_mode(void)
{
	const char *m = getenv("CFIDL_BENCH_PIN");

	return m && *m ? m : "auto";
}

/* Every thread of this process (/proc/self/task) on CPU 0.  Called before
 * the fork and before any thread exists: the children and every thread
 * inherit it.  false if one could not be placed. */
static bool place_self_cpu0(void)
{
	cpu_set_t one;
	struct dirent *de;
	bool ok = true;
	DIR *d;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	d = opendir("/proc/self/task");
	if (!d)
		return sched_setaffinity(0, sizeof(one), &one) == 0;
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid > 0 && sched_setaffinity(tid, sizeof(one), &one) != 0)
			ok = false;
	}
	closedir(d);
	return ok;
}

/* ---- the children: one epoll loop thread each ---- */

/* What an epoll event is about: kind in the high half, id in the low. */
enum { K_BELL = 1, K_ECHO, K_CTL, K_CONN };
#define TAG(k, id) (((uint64_t)(k) << 32) | (uint32_t)(id))

enum { C_FREE, C_PENDING, C_OPEN };

struct conn {
	uint32_t id;
	int fd;
	int state;
};

/* The child's state (each child has its own copy after the fork). */
static struct {
	const char *who;
	_Atomic uint64_t *calls;
	int ep;
	struct ring *rx, *tx;
	int peer_bell;
	int echo, ctl; /* this child's ends of the app pairs; -1 when gone */
	_Atomic uint32_t *live;
	struct conn conns[CONN_SLOTS];
	uint32_t next_id;
} C;

static _Noreturn void child_fail(const char *what, long err)
{
	fprintf(stderr, "bench_vsock_floor: %s: %s failed (%ld)\n", C.who, what,
	        err);
	_exit(3);
}

/* The next free slot of the tx ring; fails (the run) when it is full:
 * no flow here keeps more than a handful of packets in flight. */
static struct pkt *tx_slot(void)
{
	uint64_t h = atomic_load_explicit(&C.tx->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&C.tx->tail, memory_order_acquire);

	if (h - t >= RING_SLOTS)
		child_fail("ring full", (long)(h - t));
	return &C.tx->slot[h % RING_SLOTS];
}

/* Publishes the slot tx_slot gave, then rings the peer's doorbell. */
static void tx_publish(void)
{
	static const uint64_t one = 1;
	uint64_t h = atomic_load_explicit(&C.tx->head, memory_order_relaxed);

	atomic_store_explicit(&C.tx->head, h + 1, memory_order_release);
	tick(C.calls);
	if (write(C.peer_bell, &one, sizeof(one)) != (ssize_t)sizeof(one))
		child_fail("doorbell write", errno);
}

/* A header-only packet for connection id. */
static void tx_ctl(uint16_t op, uint32_t id)
{
	struct pkt *p = tx_slot();

	memset(&p->h, 0, sizeof(p->h));
	p->h.op = op;
	p->h.type = 1; /* stream */
	p->h.src_port = p->h.dst_port = id;
	tx_publish();
}

static struct conn *conn_get(uint32_t id)
{
	struct conn *c = &C.conns[id % CONN_SLOTS];

	return c->state != C_FREE && c->id == id ? c : NULL;
}

static struct conn *conn_new(uint32_t id)
{
	struct conn *c = &C.conns[id % CONN_SLOTS];

	if (c->state != C_FREE)
		child_fail("connection table", (long)id);
	c->id = id;
	c->fd = -1;
	c->state = C_PENDING;
	atomic_fetch_add(C.live, 1);
	return c;
}

/* Forgets c: its fd leaves epoll and is closed. */
static void conn_drop(struct conn *c)
{
	if (c->fd >= 0) {
		/* Lean: no DEL, the close of our only reference to the
		 * socket takes it out of the epoll set. */
		if (!atomic_load_explicit(&S.shm->lean, memory_order_relaxed)) {
			tick(C.calls);
			if (epoll_ctl(C.ep, EPOLL_CTL_DEL, c->fd, NULL) != 0)
				child_fail("epoll_ctl DEL", errno);
		}
		tick(C.calls);
		close(c->fd);
	}
	c->state = C_FREE;
	c->fd = -1;
	/* The guest's last connection gone: wake the parent if it sleeps. */
	if (atomic_fetch_sub(C.live, 1) == 1 && C.live == &S.shm->guest_live &&
	    atomic_exchange(&S.shm->live_waiter, 0)) {
		tick(C.calls);
		syscall(SYS_futex, C.live, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
}

static void watch(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	tick(C.calls);
	if (epoll_ctl(C.ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		child_fail("epoll_ctl ADD", errno);
}

/* The echo socket is readable: its bytes go into the ring as one RW
 * packet (recv straight into the shared slot).  false on EOF. */
static bool echo_readable(void)
{
	struct pkt *p = tx_slot();
	ssize_t n;

	tick(C.calls);
	n = recv(C.echo, p->payload, PAYLOAD_MAX, 0);
	if (n == 0)
		return false;
	if (n < 0)
		child_fail("recv", errno);
	memset(&p->h, 0, sizeof(p->h));
	p->h.op = OP_RW;
	p->h.type = 1;
	p->h.len = (uint32_t)n;
	tx_publish();
	return true;
}

/* An RW packet: its payload goes to the echo socket (send straight from
 * the shared slot). */
static void echo_deliver(const struct pkt *p)
{
	if (p->h.len > PAYLOAD_MAX)
		child_fail("packet length", (long)p->h.len);
	tick(C.calls);
	if (send(C.echo, p->payload, p->h.len, MSG_NOSIGNAL) !=
	    (ssize_t)p->h.len)
		child_fail("send", errno);
}

/* Daemon: the host app asks for a connection: REQUEST to the guest. */
static bool daemon_ctl_readable(void)
{
	struct rec r;
	int fd;

	tick(C.calls);
	ssize_t n = recv_rec(C.ctl, &r, &fd);
	if (n == 0)
		return false;
	if (n < 0 || fd >= 0 || r.op != REC_CONNECT)
		child_fail("connect record", n < 0 ? errno : 0);
	struct conn *c = conn_new(C.next_id++);
	struct pkt *p = tx_slot();
	memset(&p->h, 0, sizeof(p->h));
	p->h.op = OP_REQUEST;
	p->h.type = 1;
	p->h.src_cid = HOST_CID;
	p->h.dst_cid = GUEST_CID;
	p->h.src_port = c->id;
	p->h.dst_port = r.port;
	tx_publish();
	return true;
}

/* Daemon: the guest accepted id: a socket pair, one end watched here,
 * the other passed to the host app. */
static void daemon_response(uint32_t id)
{
	struct conn *c = conn_get(id);
	struct rec r = {REC_CONNECTED, CONNECT_PORT, id, 0};
	int sp[2];

	if (!c || c->state != C_PENDING)
		child_fail("RESPONSE for no request", (long)id);
	tick(C.calls);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	               sp) != 0)
		child_fail("socketpair", errno);
	c->fd = sp[0];
	c->state = C_OPEN;
	watch(sp[0], EPOLLIN | EPOLLRDHUP, TAG(K_CONN, id));
	tick(C.calls);
	if (!send_rec(C.ctl, &r, sp[1]))
		child_fail("passing the connection", errno);
	tick(C.calls);
	close(sp[1]);
}

/* Guest: a REQUEST: the acceptor (guest app) is told. */
static void guest_request(const struct pkt *p)
{
	struct rec r = {REC_ACCEPT, p->h.dst_port, p->h.src_port, 0};
	int sp[2];

	if (p->h.dst_port != CONNECT_PORT)
		child_fail("REQUEST to a port nobody listens on",
		           (long)p->h.dst_port);
	struct conn *c = conn_new(p->h.src_port);
	if (!atomic_load_explicit(&S.shm->lean, memory_order_relaxed)) {
		tick(C.calls);
		if (send(C.ctl, &r, sizeof(r), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(r))
			child_fail("accept record", errno);
		return;
	}
	/* Lean (a listen backlog, as Linux's vsock has): the guest makes the
	 * connection's socket pair itself, queues the app's end to the
	 * acceptor and answers RESPONSE without waiting for the app. */
	tick(C.calls);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	               sp) != 0)
		child_fail("socketpair", errno);
	c->fd = sp[0];
	c->state = C_OPEN;
	watch(sp[0], EPOLLIN | EPOLLRDHUP, TAG(K_CONN, c->id));
	r.op = REC_ACCEPTED;
	tick(C.calls);
	if (!send_rec(C.ctl, &r, sp[1]))
		child_fail("queueing the connection", errno);
	tick(C.calls);
	close(sp[1]);
	tx_ctl(OP_RESPONSE, c->id);
}

/* Guest: the acceptor answered with its connection's end: watch it and
 * answer RESPONSE. */
static bool guest_ctl_readable(void)
{
	struct rec r;
	int fd;

	tick(C.calls);
	ssize_t n = recv_rec(C.ctl, &r, &fd);
	if (n == 0)
		return false;
	if (n < 0 || fd < 0 || r.op != REC_ACCEPTED)
		child_fail("accepted record", n < 0 ? errno : 0);
	struct conn *c = conn_get(r.id);
	if (!c || c->state != C_PENDING)
		child_fail("accept of no request", (long)r.id);
	c->fd = fd;
	c->state = C_OPEN;
	watch(fd, EPOLLIN | EPOLLRDHUP, TAG(K_CONN, r.id));
	tx_ctl(OP_RESPONSE, r.id);
	return true;
}

/* Drains the rx ring (after a doorbell). */
static void drain(bool guest)
{
	uint64_t t = atomic_load_explicit(&C.rx->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&C.rx->head, memory_order_acquire);

	if (h - t > RING_SLOTS)
		child_fail("ring indices", (long)(h - t));
	while (t != h) {
		const struct pkt *p = &C.rx->slot[t % RING_SLOTS];
		uint32_t id = guest ? p->h.src_port : p->h.dst_port;
		struct conn *c;

		switch (p->h.op) {
		case OP_RW:
			echo_deliver(p);
			break;
		case OP_REQUEST:
			if (!guest)
				child_fail("REQUEST to the daemon", 0);
			guest_request(p);
			break;
		case OP_RESPONSE:
			if (guest)
				child_fail("RESPONSE to the guest", 0);
			daemon_response(id);
			break;
		case OP_SHUTDOWN:
			/* Guest: the host app closed: reset, and forget it. */
			c = conn_get(id);
			if (c && c->state == C_OPEN) {
				tx_ctl(OP_RST, id);
				conn_drop(c);
			}
			break;
		case OP_RST:
			/* Gone at the other side: forget it if we had not. */
			c = conn_get(id);
			if (c && c->state == C_OPEN)
				conn_drop(c);
			break;
		default:
			child_fail("packet op", (long)p->h.op);
		}
		t++;
		atomic_store_explicit(&C.rx->tail, t, memory_order_release);
		if (t == h)
			h = atomic_load_explicit(&C.rx->head,
			                         memory_order_acquire);
	}
}

/* A connection's end hung up (its app closed): the daemon says SHUTDOWN,
 * the guest RST, and each forgets it. */
static void conn_event(uint32_t id, uint32_t events)
{
	struct conn *c = conn_get(id);

	if (!c || c->state != C_OPEN)
		return; /* dropped earlier in this batch */
	if (!(events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
		child_fail("data on a connection", (long)events);
	tx_ctl(C.live == &S.shm->guest_live ? OP_RST : OP_SHUTDOWN, id);
	conn_drop(c);
}

/* The loop of a child; returns when both app pairs hung up. */
static void child_loop(bool guest)
{
	struct epoll_event evs[16];

	while (C.echo >= 0 || C.ctl >= 0) {
		tick(C.calls);
		int n = epoll_wait(C.ep, evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			child_fail("epoll_wait", errno);
		for (int i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32);
			uint32_t id = (uint32_t)evs[i].data.u64;
			int *gone = NULL;

			switch (kind) {
			case K_BELL:
				drain(guest);
				break;
			case K_ECHO:
				if (C.echo >= 0 && !echo_readable())
					gone = &C.echo;
				break;
			case K_CTL:
				if (C.ctl >= 0 &&
				    !(guest ? guest_ctl_readable()
				            : daemon_ctl_readable()))
					gone = &C.ctl;
				break;
			default:
				conn_event(id, evs[i].events);
				break;
			}
			if (gone) {
				epoll_ctl(C.ep, EPOLL_CTL_DEL, *gone, NULL);
				close(*gone);
				*gone = -1;
			}
		}
	}
}

static _Noreturn void child_main(bool guest)
{
	int keep_bell = guest ? S.bell_guest : S.bell_daemon;
	int status = 0;

	/* Never outlive the parent, nor the run's deadline. */
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != S.parent)
		_exit(4);
	alarm(CHILD_ALARM);
	C.who = guest ? "guest" : "daemon";
	C.calls = &S.shm->calls[guest ? R_GUEST : R_DAEMON];
	C.rx = guest ? &S.shm->to_guest : &S.shm->to_daemon;
	C.tx = guest ? &S.shm->to_daemon : &S.shm->to_guest;
	C.live = guest ? &S.shm->guest_live : &S.shm->daemon_live;
	C.peer_bell = guest ? S.bell_daemon : S.bell_guest;
	C.next_id = 1024;
	/* Only our own ends stay open. */
	C.echo = guest ? S.guest_echo[1] : S.host_echo[1];
	C.ctl = guest ? S.guest_conn[1] : S.host_conn[1];
	close(S.host_echo[0]);
	close(S.host_conn[0]);
	close(S.guest_echo[0]);
	close(S.guest_conn[0]);
	close(guest ? S.host_echo[1] : S.guest_echo[1]);
	close(guest ? S.host_conn[1] : S.guest_conn[1]);
	if (fcntl(C.echo, F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(C.ctl, F_SETFL, O_NONBLOCK) != 0)
		child_fail("fcntl", errno);
	C.ep = epoll_create1(EPOLL_CLOEXEC);
	if (C.ep < 0)
		child_fail("epoll_create1", errno);
	/* The doorbell is edge-triggered and never read: each write is an
	 * edge; the app sockets are level-triggered, read once per wake. */
	watch(keep_bell, EPOLLIN | EPOLLET, TAG(K_BELL, 0));
	watch(C.echo, EPOLLIN, TAG(K_ECHO, 0));
	watch(C.ctl, EPOLLIN, TAG(K_CTL, 0));
	child_loop(guest);
	for (uint32_t i = 0; i < CONN_SLOTS; i++) {
		if (C.conns[i].state != C_FREE) {
			status = 5; /* a connection was left behind */
			if (C.conns[i].fd >= 0)
				close(C.conns[i].fd);
		}
	}
	close(C.ep);
	close(S.bell_guest);
	close(S.bell_daemon);
	munmap(S.shm, sizeof(*S.shm));
	/* exit, not _exit: a sanitizer build checks the child for leaks. */
	exit(status);
}

static pid_t fork_child(bool guest)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();

	if (pid < 0)
		die("fork", errno);
	if (pid == 0)
		child_main(guest);
	return pid;
}

/* Waits (at most 5 s) for the child *pid to exit and forgets it once
 * reaped; true if it exited 0. */
static bool reap(volatile pid_t *pid)
{
	double end = br_now_ns() + 5e9;
	int ws;

	for (;;) {
		pid_t r = waitpid(*pid, &ws, WNOHANG);

		if (r == *pid) {
			*pid = 0;
			return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
		}
		if (r < 0 || br_now_ns() > end)
			return false;
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static void set_timeout(int fd)
{
	struct timeval tv = {WAIT_MS / 1000, (WAIT_MS % 1000) * 1000};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		die("setsockopt", errno);
}

/* The shared memory, the pairs and the doorbells, then the two children;
 * call with no other thread running. */
static void stack_start(void)
{
	int mfd = memfd_create("bench-vsock-floor", MFD_CLOEXEC);

	if (mfd < 0 || ftruncate(mfd, sizeof(struct shm)) != 0)
		die("memfd", errno);
	S.shm = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE,
	             MAP_SHARED, mfd, 0);
	close(mfd);
	if (S.shm == MAP_FAILED)
		die("mmap", errno);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, S.host_echo) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	               S.host_conn) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, S.guest_echo) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, S.guest_conn))
		die("socketpair", errno);
	S.bell_guest = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	S.bell_daemon = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (S.bell_guest < 0 || S.bell_daemon < 0)
		die("eventfd", errno);
	set_timeout(S.host_echo[0]);
	set_timeout(S.host_conn[0]);
	set_timeout(S.guest_echo[0]);
	set_timeout(S.guest_conn[0]);
	signal(SIGCHLD, on_child);
	S.daemon = fork_child(false);
	S.guest = fork_child(true);
	close(S.host_echo[1]);
	close(S.host_conn[1]);
	close(S.guest_echo[1]);
	close(S.guest_conn[1]);
	close(S.bell_guest);
	close(S.bell_daemon);
}

/* Closes the apps' ends: each child sees both its pairs hang up and exits;
 * both must exit 0 (no connection left, nothing failed). */
static void stack_stop(void)
{
	signal(SIGCHLD, SIG_DFL);
	close(S.host_echo[0]);
	close(S.host_conn[0]);
	close(S.guest_echo[0]);
	close(S.guest_conn[0]);
	bool g = reap(&S.guest);
	bool d = reap(&S.daemon);
	if (!g || !d)
		die("a child's clean exit", 0);
	munmap(S.shm, sizeof(*S.shm));
	S.shm = NULL;
}

/* Waits (at most WAIT_MS) until the guest holds no connection: the
 * guest wakes us (futex) when its count reaches 0 while we wait. */
static bool wait_guest_idle(void)
{
	_Atomic uint32_t *live = &S.shm->guest_live;
	double end = br_now_ns() + WAIT_MS * 1e6;

	for (;;) {
		atomic_store(&S.shm->live_waiter, 1);
		uint32_t v = atomic_load(live);
		if (v == 0) {
			atomic_store(&S.shm->live_waiter, 0);
			return true;
		}
		if (br_now_ns() > end)
			return false;
		struct timespec ts = {0, 10 * 1000 * 1000};
		syscall(SYS_futex, live, FUTEX_WAIT, v, &ts, NULL, 0);
	}
}

/* Also the daemon's side (not timed: between samples). */
static bool wait_daemon_idle(void)
{
	double end = br_now_ns() + WAIT_MS * 1e6;

	while (atomic_load(&S.shm->daemon_live) != 0) {
		if (br_now_ns() > end)
			return false;
		struct timespec ts = {0, 100 * 1000};
		nanosleep(&ts, NULL);
	}
	return true;
}

static uint64_t calls_of(int role)
{
	return atomic_load_explicit(&S.shm->calls[role], memory_order_relaxed);
}

/* ---- byte pumps ---- */

static bool write_all(int fd, const void *buf, size_t n, _Atomic uint64_t *c)
{
	const char *p = buf;

	while (n) {
		tick(c);
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

static bool read_full(int fd, void *buf, size_t n, _Atomic uint64_t *c)
{
	char *p = buf;

	while (n) {
		tick(c);
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

/* ---- the parts ---- */

static struct opts {
	int samples;
	int echo_iters;
	int conn_iters;
	const char *only; /* NULL: every part */
} O;

static bool want(const char *part)
{
	return !O.only || strcmp(O.only, part) == 0;
}

struct echo {
	int fd;
	int iters;
	_Atomic uint64_t *calls;
	bool ok;
};

static void *echo_main(void *arg)
{
	struct echo *e = arg;
	uint8_t b[64];

	e->ok = true;
	for (int i = 0; i < e->iters && e->ok; i++)
		e->ok = read_full(e->fd, b, 64, e->calls) &&
		        write_all(e->fd, b, 64, e->calls);
	return NULL;
}

/* ns per 64-byte round trip: the client (this thread) on cfd, an echo
 * thread on efd; counted: syscalls go to R_HOST and R_APP. */
static double round_trips(int cfd, int efd, int iters, bool counted)
{
	struct echo e = {efd, iters, counted ? &S.shm->calls[R_APP] : NULL,
	                 false};
	_Atomic uint64_t *c = counted ? &S.shm->calls[R_HOST] : NULL;
	uint8_t b[64];
	pthread_t t;
	bool ok = true;

	memset(b, 0x5a, sizeof(b));
	if (pthread_create(&t, NULL, echo_main, &e) != 0)
		die("pthread_create", errno);
	double t0 = br_now_ns();
	for (int i = 0; i < iters && ok; i++)
		ok = write_all(cfd, b, 64, c) && read_full(cfd, b, 64, c);
	double t1 = br_now_ns();
	pthread_join(t, NULL);
	if (!ok || !e.ok)
		die("echo", errno);
	return (t1 - t0) / iters;
}

static void part_echo(void)
{
	double vf[MAX_SAMPLES], vr[MAX_SAMPLES];
	uint64_t c0[R_COUNT], c1[R_COUNT];
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
		die("socketpair", errno);
	set_timeout(sp[0]);
	set_timeout(sp[1]);
	/* One untimed trip: both children are up and every path is warm. */
	round_trips(S.host_echo[0], S.guest_echo[0], 1, false);
	for (int r = 0; r < R_COUNT; r++)
		c0[r] = calls_of(r);
	for (int i = 0; i < O.samples; i++) {
		if (i % 2) {
			vr[i] = round_trips(sp[0], sp[1], O.echo_iters, false);
			vf[i] = round_trips(S.host_echo[0], S.guest_echo[0],
			                    O.echo_iters, true);
		} else {
			vf[i] = round_trips(S.host_echo[0], S.guest_echo[0],
			                    O.echo_iters, true);
			vr[i] = round_trips(sp[0], sp[1], O.echo_iters, false);
		}
	}
	for (int r = 0; r < R_COUNT; r++)
		c1[r] = calls_of(r);
	close(sp[0]);
	close(sp[1]);
	double f = br_median(vf, (size_t)O.samples);
	double raw = br_median(vr, (size_t)O.samples);
	double ops = (double)O.samples * O.echo_iters, per[R_COUNT], sum = 0;
	for (int r = 0; r < R_COUNT; r++)
		sum += per[r] = (double)(c1[r] - c0[r]) / ops;
	printf("# echo: %d samples of %d round trips (host app -> daemon -> "
	       "ring -> guest -> echo thread as the guest app, and back), "
	       "median; raw: the same two threads on one socketpair\n",
	       O.samples, O.echo_iters);
	printf("# echo syscalls per round trip, counted at every call site: "
	       "host app %.2f, daemon %.2f, guest %.2f, guest app %.2f, "
	       "total %.2f (by design 2 + 5 + 5 + 2 = 14: daemon and guest "
	       "each epoll_wait+recv+eventfd write one way, epoll_wait+send "
	       "the other); raw socketpair: 4\n",
	       per[R_HOST], per[R_DAEMON], per[R_GUEST], per[R_APP], sum);
	br_bench("floor_echo_64b", f, "ns", "raw-socketpair", raw);
	br_target("floor_echo_vs_raw", "ratio", f / raw, 3, true);
}

/* The guest app's acceptor: each accept record gets a fresh socket pair,
 * one end passed back to the guest and the other closed at once (accept
 * and close, as bench_vsock's acceptor does). */
struct acceptor {
	int sock, n;
	bool lean;
	bool ok;
};

static void *acceptor_main(void *arg)
{
	struct acceptor *a = arg;
	_Atomic uint64_t *c = &S.shm->calls[R_APP];

	a->ok = true;
	for (int i = 0; i < a->n && a->ok; i++) {
		struct rec r;
		int fd, sp[2];

		tick(c);
		if (a->lean) {
			/* The queued connection: accept it, close it. */
			a->ok = recv_rec(a->sock, &r, &fd) > 0 && fd >= 0 &&
			        r.op == REC_ACCEPTED;
			if (fd >= 0) {
				tick(c);
				close(fd);
			}
			continue;
		}
		if (recv_rec(a->sock, &r, &fd) <= 0 || fd >= 0 ||
		    r.op != REC_ACCEPT) {
			if (fd >= 0)
				close(fd);
			a->ok = false;
			break;
		}
		tick(c);
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
			a->ok = false;
			break;
		}
		r.op = REC_ACCEPTED;
		tick(c);
		a->ok = send_rec(a->sock, &r, sp[1]);
		tick(c);
		close(sp[1]);
		tick(c);
		close(sp[0]);
	}
	return NULL;
}

/* ns per connection: n connect+close here (host app) while the acceptor
 * thread (guest app) accepts and closes; the time runs until the guest
 * holds no connection. */
static double floor_connects(int n, bool lean)
{
	struct acceptor a = {S.guest_conn[0], n, lean, false};
	_Atomic uint64_t *c = &S.shm->calls[R_HOST];
	double t0 = br_now_ns();
	pthread_t t;

	atomic_store(&S.shm->lean, lean); /* the children are idle */
	if (pthread_create(&t, NULL, acceptor_main, &a) != 0)
		die("pthread_create", errno);
	for (int i = 0; i < n; i++) {
		struct rec r = {REC_CONNECT, CONNECT_PORT, 0, 0};
		int fd;

		tick(c);
		if (send(S.host_conn[0], &r, sizeof(r), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(r))
			die("connect record", errno);
		tick(c);
		if (recv_rec(S.host_conn[0], &r, &fd) <= 0 || fd < 0 ||
		    r.op != REC_CONNECTED || r.status != 0) {
			if (fd >= 0)
				close(fd);
			die("connect reply", errno);
		}
		tick(c);
		close(fd);
	}
	pthread_join(t, NULL);
	if (!a.ok)
		die("accept", errno);
	if (!wait_guest_idle())
		die("connections to close", ETIMEDOUT);
	double v = (br_now_ns() - t0) / n;
	if (!wait_daemon_idle())
		die("the daemon's connections to close", ETIMEDOUT);
	return v;
}

/* bench_vsock's raw peer, dying on failure. */
static double raw_connects(int n)
{
	double v = br_raw_connects("vsock-floor", n, 1);

	if (v < 0)
		die("raw AF_UNIX connect+accept", (long)v);
	return v;
}

/* Syscalls per connection of each role over a floor sample (added to
 * per[]): the children are idle between samples. */
static double timed_connects(int n, bool lean, double per[R_COUNT])
{
	uint64_t c0[R_COUNT];

	for (int r = 0; r < R_COUNT; r++)
		c0[r] = calls_of(r);
	double v = floor_connects(n, lean);
	for (int r = 0; r < R_COUNT; r++)
		per[r] += (double)(calls_of(r) - c0[r]) / n;
	return v;
}

static void print_calls(const char *what, const double per[R_COUNT],
                        int samples, const char *design)
{
	double sum = 0;

	for (int r = 0; r < R_COUNT; r++)
		sum += per[r] / samples;
	printf("# %s syscalls per connection, counted at every call site: "
	       "host app %.2f, daemon %.2f, guest %.2f, guest app %.2f, "
	       "total %.2f (%s)\n",
	       what, per[R_HOST] / samples, per[R_DAEMON] / samples,
	       per[R_GUEST] / samples, per[R_APP] / samples, sum, design);
}

static void part_connect(void)
{
	double vf[MAX_SAMPLES], vl[MAX_SAMPLES], vr[MAX_SAMPLES];
	double pf[R_COUNT] = {0}, pl[R_COUNT] = {0};
	int n = O.conn_iters;

	floor_connects(1, false); /* untimed: warm every path */
	floor_connects(1, true);
	for (int i = 0; i < O.samples; i++) {
		/* Rotate who goes first so drift falls on all alike. */
		for (int k = 0; k < 3; k++) {
			switch ((i + k) % 3) {
			case 0:
				vf[i] = timed_connects(n, false, pf);
				break;
			case 1:
				vl[i] = timed_connects(n, true, pl);
				break;
			default:
				vr[i] = raw_connects(n);
				break;
			}
		}
	}
	double f = 1e9 / br_median(vf, (size_t)O.samples);
	double l = 1e9 / br_median(vl, (size_t)O.samples);
	double raw = 1e9 / br_median(vr, (size_t)O.samples);
	printf("# connect: %d samples of %d connect+accept+close host app -> "
	       "guest app (until the guest holds no connection), median; "
	       "raw: the same threads on an abstract AF_UNIX listener, "
	       "5 syscalls (socket, connect, close; accept4, close)\n",
	       O.samples, n);
	print_calls("connect", pf, O.samples,
	            "by design: host app 3 (send, recvmsg, close); guest app "
	            "5 (recvmsg, socketpair, sendmsg, close, close); guest 10 "
	            "(REQUEST: epoll_wait, send; its fd: epoll_wait, recvmsg, "
	            "epoll_ctl ADD, eventfd write; hang-up: epoll_wait, "
	            "eventfd write (RST), epoll_ctl DEL, close); daemon 10 "
	            "when the RST comes with the RESPONSE, the usual order "
	            "(connect: epoll_wait, recv, eventfd write; RESPONSE: "
	            "epoll_wait, socketpair, epoll_ctl ADD, sendmsg, close; "
	            "RST: epoll_ctl DEL, close), 13 when the host app's close "
	            "comes first (SHUTDOWN: epoll_wait, eventfd write, DEL, "
	            "close; a wake for the RST)");
	br_bench("floor_connect_accept_close", f, "conn/s", "raw-unix-connect",
	         raw);
	br_target("floor_connect_rate_vs_raw", "ratio", f / raw, 0.2, false);
	printf("# connect, lean chain (context, no target): the guest answers "
	       "a REQUEST at once from a listen backlog (it makes the socket "
	       "pair and queues the app's end to the acceptor, which only "
	       "receives and closes it), and no epoll_ctl DEL before a "
	       "close\n");
	print_calls("lean connect", pl, O.samples,
	            "by design: host app 3; guest app 2 (recvmsg, close); "
	            "guest 9 (REQUEST: epoll_wait, socketpair, epoll_ctl ADD, "
	            "sendmsg, close, eventfd write; hang-up: epoll_wait, "
	            "eventfd write, close); daemon 9 (as above without the "
	            "DEL)");
	br_bench("floor_connect_accept_close_lean", l, "conn/s",
	         "raw-unix-connect", raw);
}

/* The cost of a syscall that wakes nobody (an eventfd write no one
 * polls), median ns: what each syscall the floor adds costs at least. */
static void calibrate(void)
{
	static const uint64_t one = 1;
	double v[MAX_SAMPLES];
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		die("eventfd", errno);
	for (int i = 0; i < O.samples; i++) {
		double t0 = br_now_ns();
		for (int k = 0; k < 10000; k++)
			if (write(fd, &one, sizeof(one)) !=
			    (ssize_t)sizeof(one))
				die("eventfd write", errno);
		v[i] = (br_now_ns() - t0) / 10000;
	}
	close(fd);
	printf("# calibration: an eventfd write that wakes nobody takes %.0f "
	       "ns (median of %d x 10000): the least a syscall the floor "
	       "adds costs; the rest of its excess is wake-ups\n",
	       br_median(v, (size_t)O.samples), O.samples);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_vsock_floor [--quick] [--only echo|connect]\n");
}

int main(int argc, char **argv)
{
	O.samples = 5;
	O.echo_iters = 2000;
	O.conn_iters = 50;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			O.samples = 3;
			O.echo_iters = 200;
			O.conn_iters = 10;
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc &&
		           (strcmp(argv[i + 1], "echo") == 0 ||
		            strcmp(argv[i + 1], "connect") == 0)) {
			O.only = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	int fds0 = count_fds();
	signal(SIGPIPE, SIG_IGN);
	S.parent = getpid();
	const char *m = pin_mode();
	bool pin = strcmp(m, "auto") == 0 || strcmp(m, "same") == 0;
	printf("# placement: CFIDL_BENCH_PIN=%s (auto|same|none): %s\n", m,
	       pin ? "every thread of the three processes on CPU 0"
	           : "unpinned (the scheduler places the threads)");
	if (pin && !place_self_cpu0())
		printf("# could not pin every thread to CPU 0\n");
	printf("# bench_vsock_floor: the design floor of bench_vsock's stack: "
	       "a daemon and a guest process (one epoll loop each), two "
	       "shared-memory rings with eventfd doorbells between them, the "
	       "apps threads here; raw syscalls, no FIDL, no runtime\n");
	fflush(stdout);
	stack_start();
	signal(SIGALRM, on_alarm);
	alarm(PARENT_ALARM);
	calibrate();
	if (want("echo"))
		part_echo();
	if (want("connect"))
		part_connect();
	stack_stop();
	alarm(0);
	int fds1 = count_fds();
	printf("# fds of this process: %d at the start, %d at the end\n", fds0,
	       fds1);
	if (fds0 != fds1)
		die("fd count", fds1 - fds0);
	br_summary();
	return 0;
}
