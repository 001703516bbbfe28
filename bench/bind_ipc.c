/*
 * Two processes: round trips of a 64-byte payload and one-way throughput.
 * Each server is a forked child that lives for the whole section:
 *   fidl-loop   the generated dispatcher under cfidl_bind on a cfidl_loop;
 *   fidl-tight  the generated dispatcher in a zx_channel_read_etc loop;
 *   raw         read + write of the same 80 bytes on SOCK_SEQPACKET;
 *   tirpc       rpcgen's dispatcher under svc_run on an AF_UNIX stream.
 * The client is the parent: the generated synchronous client (which uses
 * zx_channel_call_etc), write + read, or rpcgen's client stub.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/handle.h>
#include <cfidl/loop.h>
#include <cfidl/wait.h>

#include "bind_bench.h"
#include "cfidl.bench.h"

#ifdef HAVE_TIRPC
#include "bench_bind_rpc.h"
#endif

#define MSG_BYTES (sizeof(fidl_message_header_t) + 64)
#define ONE_WAY   0x55 /* first payload byte of raw one-way messages */

static void fail(const char *what, long status)
{
	fprintf(stderr, "bench_bind: %s failed (%ld)\n", what, status);
	exit(1);
}

/* ---- servers (children) ---- */

static cfidl_loop_t *srv_loop;

static zx_status_t srv_call(void *ctx, const uint8_t data[64], fidl_txn_t *txn)
{
	(void)ctx;
	return cfidl_bench_EchoCall_reply(txn, data);
}

static zx_status_t srv_send(void *ctx, const uint8_t data[64])
{
	(void)ctx;
	bb_sink += data[1];
	return ZX_OK;
}

static const cfidl_bench_Echo_ops_t srv_ops = {
    .Call = srv_call,
    .Send = srv_send,
};

static void srv_unbound(void *ctx, zx_status_t reason)
{
	(void)ctx;
	(void)reason;
	cfidl_loop_quit(srv_loop);
}

static void serve_fidl_loop(zx_handle_t ch)
{
	if (cfidl_loop_create(&srv_loop) != ZX_OK)
		_exit(1);
	if (cfidl_bind_etc(srv_loop, ch,
	                   CFIDL_DISPATCH(cfidl_bench_Echo_dispatch), NULL,
	                   &srv_ops, srv_unbound, NULL) != ZX_OK)
		_exit(1);
	cfidl_loop_run(srv_loop, ZX_TIME_INFINITE, false);
	_exit(0);
}

static zx_status_t tight_reply(fidl_txn_t *txn, const fidl_outgoing_msg_t *msg)
{
	((fidl_message_header_t *)msg->bytes)->txid = txn->txid;
	txn->txid = 0;
	return zx_channel_write_etc(txn->channel, 0, msg->bytes, msg->num_bytes,
	                            msg->handles, msg->num_handles);
}

static void serve_fidl_tight(zx_handle_t ch)
{
	static _Alignas(8) uint8_t bytes[ZX_CHANNEL_MAX_MSG_BYTES];
	zx_handle_info_t handles[ZX_CHANNEL_MAX_MSG_HANDLES];

	for (;;) {
		uint32_t nb = 0, nh = 0;
		zx_status_t st =
		    zx_channel_read_etc(ch, 0, bytes, handles, sizeof(bytes),
		                        ZX_CHANNEL_MAX_MSG_HANDLES, &nb, &nh);
		if (st == ZX_ERR_SHOULD_WAIT) {
			zx_signals_t seen = 0;
			zx_object_wait_one(
			    ch, ZX_CHANNEL_READABLE | ZX_CHANNEL_PEER_CLOSED,
			    ZX_TIME_INFINITE, &seen);
			continue;
		}
		if (st != ZX_OK)
			_exit(0);
		fidl_incoming_msg_t msg = {bytes, nb, handles, nh};
		fidl_txn_t txn = {tight_reply, ch,
		                  ((fidl_message_header_t *)bytes)->txid};
		if (cfidl_bench_Echo_dispatch(NULL, &txn, &msg, &srv_ops) !=
		    ZX_OK)
			_exit(1);
	}
}

static void serve_raw(int fd)
{
	uint8_t buf[256];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			_exit(0);
		if (n > 16 && buf[16] == ONE_WAY)
			continue;
		if (write(fd, buf, (size_t)n) != n)
			_exit(1);
	}
}

#ifdef HAVE_TIRPC
/* rpcgen -m's dispatcher (bench_bind_rpc_svc.c); its header omits it. */
void bench_echo_prog_1(struct svc_req *req, SVCXPRT *xprt);

char *bench_echo_call_1_svc(char *arg, struct svc_req *req)
{
	static bench_payload res;

	(void)req;
	memcpy(res, arg, sizeof(res));
	return res;
}

static void serve_tirpc(int fd)
{
	SVCXPRT *x = svc_fd_create(fd, 0, 0);

	if (!x || !svc_register(x, BENCH_ECHO_PROG, BENCH_ECHO_VERS,
	                        bench_echo_prog_1, 0))
		_exit(1);
	svc_run();
	_exit(0);
}
#endif

/* ---- the client side ---- */

static uint8_t payload[64];
static _Alignas(8) uint8_t raw_msg[MSG_BYTES];
static _Alignas(8) uint8_t raw_oneway[MSG_BYTES];

typedef struct peers {
	zx_handle_t fidl_loop;
	zx_handle_t fidl_tight;
	int raw;
#ifdef HAVE_TIRPC
	CLIENT *tirpc;
#endif
	pid_t pids[4];
	int npids;
} peers_t;

static double rt_fidl(zx_handle_t ch, uint32_t n)
{
	uint8_t out[64];
	uint64_t sum = 0;
	double t0 = br_now_ns();

	for (uint32_t i = 0; i < n; i++) {
		zx_status_t st = cfidl_bench_EchoCall(ch, payload, &out);
		if (st != ZX_OK)
			fail("cfidl_bench_EchoCall", st);
		sum += out[5];
	}
	bb_sink += sum;
	return (br_now_ns() - t0) / n;
}

static double rt_raw(int fd, uint32_t n)
{
	_Alignas(8) uint8_t in[MSG_BYTES];
	uint64_t sum = 0;
	double t0 = br_now_ns();

	for (uint32_t i = 0; i < n; i++) {
		if (write(fd, raw_msg, sizeof(raw_msg)) !=
		    (ssize_t)sizeof(raw_msg))
			fail("raw write", errno);
		if (read(fd, in, sizeof(in)) != (ssize_t)sizeof(in))
			fail("raw read", errno);
		sum += in[21];
	}
	bb_sink += sum;
	return (br_now_ns() - t0) / n;
}

#ifdef HAVE_TIRPC
static double rt_tirpc(CLIENT *c, uint32_t n)
{
	uint64_t sum = 0;
	double t0 = br_now_ns();

	for (uint32_t i = 0; i < n; i++) {
		char *r = bench_echo_call_1((char *)payload, c);
		if (!r)
			fail("bench_echo_call_1", 0);
		sum += (uint8_t)r[5];
	}
	bb_sink += sum;
	return (br_now_ns() - t0) / n;
}
#endif

/*
 * Where the client and the servers run. On a small VM a wakeup across CPUs
 * can cost more than the whole stack (about 60 us against 10 us here), so
 * unpinned samples measure where the scheduler put each process. The
 * default pins every process of the benchmark to one CPU, the same for
 * every contender. CFIDL_BENCH_PIN=split puts the servers on CPU 1 and the
 * client on CPU 0; CFIDL_BENCH_PIN=none leaves the scheduler free.
 */
static const char *pin_mode(void)
{
	const char *m = getenv("CFIDL_BENCH_PIN");
	return m && *m ? m : "same";
}

/* role 0: the client, 1: a server. */
static void pin(int role)
{
	const char *m = pin_mode();
	cpu_set_t set;

	if (strcmp(m, "none") == 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(strcmp(m, "split") == 0 ? role : 0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0 && role == 0)
		printf("# could not pin to a CPU (errno %d): unpinned\n",
		       errno);
}

static pid_t spawn(void (*serve_fd)(int), void (*serve_h)(zx_handle_t), int fd,
                   zx_handle_t h, int close_fd, zx_handle_t close_h)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork", errno);
	if (pid == 0) {
		pin(1);
		bb_alloc_become_server();
		if (close_fd >= 0)
			close(close_fd);
		if (close_h != ZX_HANDLE_INVALID)
			zx_handle_close(close_h);
		if (serve_fd)
			serve_fd(fd);
		serve_h(h);
		_exit(0);
	}
	return pid;
}

static void start_peers(peers_t *p)
{
	zx_handle_t a, b;
	int sv[2];

	memset(p, 0, sizeof(*p));
	if (zx_channel_create(0, &a, &b) != ZX_OK)
		fail("zx_channel_create", 0);
	p->pids[p->npids++] = spawn(NULL, serve_fidl_loop, -1, b, -1, a);
	zx_handle_close(b);
	p->fidl_loop = a;

	if (zx_channel_create(0, &a, &b) != ZX_OK)
		fail("zx_channel_create", 0);
	p->pids[p->npids++] = spawn(NULL, serve_fidl_tight, -1, b, -1, a);
	zx_handle_close(b);
	p->fidl_tight = a;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		fail("socketpair", errno);
	p->pids[p->npids++] =
	    spawn(serve_raw, NULL, sv[1], 0, sv[0], ZX_HANDLE_INVALID);
	close(sv[1]);
	p->raw = sv[0];

#ifdef HAVE_TIRPC
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		fail("socketpair", errno);
	p->pids[p->npids++] =
	    spawn(serve_tirpc, NULL, sv[1], 0, sv[0], ZX_HANDLE_INVALID);
	close(sv[1]);
	{
		struct sockaddr_un sun;
		struct netbuf nb;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		nb.buf = &sun;
		nb.len = nb.maxlen = sizeof(sun);
		p->tirpc = clnt_vc_create(sv[0], &nb, BENCH_ECHO_PROG,
		                          BENCH_ECHO_VERS, 0, 0);
		if (!p->tirpc)
			fail("clnt_vc_create", 0);
	}
#endif
}

static void stop_peers(peers_t *p)
{
#ifdef HAVE_TIRPC
	clnt_destroy(p->tirpc);
#endif
	zx_handle_close(p->fidl_loop);
	zx_handle_close(p->fidl_tight);
	close(p->raw);
	for (int i = 0; i < p->npids; i++) {
		kill(p->pids[i], SIGKILL);
		waitpid(p->pids[i], NULL, 0);
	}
}

enum { RT_FIDL_LOOP, RT_FIDL_TIGHT, RT_RAW, RT_TIRPC, N_RT };
#define MAX_SAMPLES 31

static double rt_one(const peers_t *p, int which, uint32_t n)
{
	switch (which) {
	case RT_FIDL_LOOP:
		return rt_fidl(p->fidl_loop, n);
	case RT_FIDL_TIGHT:
		return rt_fidl(p->fidl_tight, n);
	case RT_RAW:
		return rt_raw(p->raw, n);
#ifdef HAVE_TIRPC
	case RT_TIRPC:
		return rt_tirpc(p->tirpc, n);
#endif
	default:
		return 0;
	}
}

static void round_trips(const peers_t *p, bool quick)
{
	const unsigned nsamples = quick ? 3 : MAX_SAMPLES;
	const uint32_t n = quick ? 200 : 1000;
	double t[N_RT][MAX_SAMPLES], med[N_RT];
	bool have_tirpc = false;

#ifdef HAVE_TIRPC
	have_tirpc = true;
#endif
	for (int i = 0; i < N_RT; i++)
		if (i != RT_TIRPC || have_tirpc)
			rt_one(p, i, n); /* warm-up */
	for (unsigned s = 0; s < nsamples; s++)
		for (int j = 0; j < N_RT; j++) {
			int i = (int)((s + (unsigned)j) % N_RT);
			if (i != RT_TIRPC || have_tirpc)
				t[i][s] = rt_one(p, i, n);
		}
	for (int i = 0; i < N_RT; i++)
		med[i] = (i != RT_TIRPC || have_tirpc)
		             ? br_median(t[i], nsamples)
		             : 0;
	printf("# two-way: %zu-byte messages (64-byte payload), median ns "
	       "per round trip over %u samples of %u calls\n",
	       MSG_BYTES, nsamples, n);
	br_bench("roundtrip_64b", med[RT_FIDL_LOOP], "ns", "raw-seqpacket",
	         med[RT_RAW]);
	if (have_tirpc)
		br_bench("roundtrip_64b", med[RT_FIDL_LOOP], "ns", "tirpc-unix",
		         med[RT_TIRPC]);
	else
		br_skip("roundtrip_64b", "tirpc-unix",
		        "built without rpcgen or libtirpc");
	br_bench("roundtrip_64b_tight_server", med[RT_FIDL_TIGHT], "ns",
	         "raw-seqpacket", med[RT_RAW]);
	if (have_tirpc)
		br_bench("roundtrip_64b_tight_server", med[RT_FIDL_TIGHT], "ns",
		         "tirpc-unix", med[RT_TIRPC]);
	br_target("roundtrip_vs_raw", "ratio", med[RT_FIDL_LOOP] / med[RT_RAW],
	          1.3, true);
	if (have_tirpc)
		br_target("roundtrip_vs_tirpc", "ratio",
		          med[RT_FIDL_LOOP] / med[RT_TIRPC], 0.5, true);
}

/* ---- one-way throughput ---- */

static void send_fidl(zx_handle_t ch)
{
	zx_status_t st;

	while ((st = cfidl_bench_EchoSend(ch, payload)) == ZX_ERR_SHOULD_WAIT)
		zx_object_wait_one(ch,
		                   ZX_CHANNEL_WRITABLE | ZX_CHANNEL_PEER_CLOSED,
		                   ZX_TIME_INFINITE, NULL);
	if (st != ZX_OK)
		fail("cfidl_bench_EchoSend", st);
}

/* Seconds for n one-way messages and one round trip behind them. */
static double burst_fidl(zx_handle_t ch, uint32_t n)
{
	double t0 = br_now_ns();

	for (uint32_t i = 0; i < n; i++)
		send_fidl(ch);
	rt_fidl(ch, 1);
	return (br_now_ns() - t0) / 1e9;
}

static double burst_raw(int fd, uint32_t n)
{
	double t0 = br_now_ns();

	for (uint32_t i = 0; i < n; i++)
		if (write(fd, raw_oneway, sizeof(raw_oneway)) !=
		    (ssize_t)sizeof(raw_oneway))
			fail("raw write", errno);
	rt_raw(fd, 1);
	return (br_now_ns() - t0) / 1e9;
}

static void one_way(const peers_t *p, bool quick)
{
	const unsigned nsamples = quick ? 2 : 9;
	const uint32_t n = quick ? 2000 : 20000;
	double tf[9], tr[9], mps_f, mps_r;

	burst_fidl(p->fidl_loop, n / 4);
	burst_raw(p->raw, n / 4);
	for (unsigned s = 0; s < nsamples; s++) {
		if (s % 2) {
			tr[s] = burst_raw(p->raw, n);
			tf[s] = burst_fidl(p->fidl_loop, n);
		} else {
			tf[s] = burst_fidl(p->fidl_loop, n);
			tr[s] = burst_raw(p->raw, n);
		}
		tf[s] = n / tf[s];
		tr[s] = n / tr[s];
	}
	mps_f = br_median(tf, nsamples);
	mps_r = br_median(tr, nsamples);
	printf("# one-way: %u messages of %zu bytes per sample, median of "
	       "%u; the server is fidl-loop\n",
	       n, MSG_BYTES, nsamples);
	br_bench("oneway_64b_msgs", mps_f, "msgs/s", "raw-socketpair", mps_r);
	br_bench("oneway_64b_bandwidth", mps_f * MSG_BYTES / 1e6, "MB/s",
	         "raw-socketpair", mps_r * MSG_BYTES / 1e6);
}

/* ---- heap allocations per call ---- */

static void allocations(const peers_t *p, bool quick)
{
	const uint32_t n = quick ? 200 : 2000;
	bb_alloc_counts_t *c = bb_alloc_setup();
	long client, server;

	if (!bb_alloc_available() || !c) {
		br_skip("allocs_per_call", "none",
		        "allocations are not counted under AddressSanitizer");
		return;
	}
	/* Steady state: the same calls as above, warm. */
	rt_fidl(p->fidl_loop, n);
	c->client = c->server = 0;
	c->counting = 1;
	rt_fidl(p->fidl_loop, n);
	c->counting = 0;
	client = c->client;
	server = c->server;
	printf("# allocations in %u two-way calls: client %ld, server %ld\n", n,
	       client, server);
	br_target("allocs_per_two_way_call", "value",
	          (double)(client + server) / n, 0, true);

	c->client = c->server = 0;
	c->counting = 1;
	burst_fidl(p->fidl_loop, n);
	c->counting = 0;
	client = c->client;
	server = c->server;
	printf("# allocations in %u one-way messages (+1 call): client %ld, "
	       "server %ld\n",
	       n, client, server);
	br_target("allocs_per_one_way_message", "value",
	          (double)(client + server) / n, 0, true);
}

void bb_run_ipc(bool quick)
{
	peers_t p;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i + 1);
	fidl_init_header((fidl_message_header_t *)(void *)raw_msg, 1,
	                 cfidl_bench_EchoCallOrdinal, false);
	memcpy(raw_msg + sizeof(fidl_message_header_t), payload,
	       sizeof(payload));
	memcpy(raw_oneway, raw_msg, sizeof(raw_msg));
	raw_oneway[sizeof(fidl_message_header_t)] = ONE_WAY;

	/* Mapped before fork, so the servers count into it too. */
	if (bb_alloc_available())
		bb_alloc_setup();
	signal(SIGPIPE, SIG_IGN);
	pin(0);
	printf("# processes pinned: %s (CFIDL_BENCH_PIN=same|split|none)\n",
	       pin_mode());
	start_peers(&p);
	round_trips(&p, quick);
	one_way(&p, quick);
	allocations(&p, quick);
	stop_peers(&p);
}
