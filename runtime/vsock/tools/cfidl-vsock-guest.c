/*
 * cfidl-vsock-guest: a guest of the userspace vsock system.  It registers
 * with cfidl-vsockd, gets a CID, runs the guest's vsock Device and Service
 * over the shared-memory transport the daemon gives it, and serves
 * fuchsia.vsock.Connector to the guest's apps on
 * <rundir>/connector-<cid>.sock.  It prints its CID, and runs until the
 * daemon goes or SIGTERM/SIGINT.  See cfidl-vsock-guest(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/loop.h>
#include <cfidl/socket.h>
#include <cfidl/vsock.h>

#include "guest.h"

static const char *prog = "cfidl-vsock-guest";
static int sig_fd = -1;

static void on_signal(int signo)
{
	int e = errno;
	unsigned char b = (unsigned char)signo;
	if (write(sig_fd, &b, 1) < 0) {
	}
	errno = e;
}

typedef struct state {
	cfidl_loop_t *loop;
	cfidl_vsock_guest_t *guest;
	cfidl_wait_t wait;
	zx_status_t gone;
	bool verbose;
	bool stopped;
} state_t;

static void on_signal_ready(cfidl_loop_t *loop, cfidl_wait_t *wait,
                            zx_status_t status, zx_signals_t observed)
{
	state_t *s = (state_t *)((char *)wait - offsetof(state_t, wait));
	(void)observed;
	if (status != ZX_OK)
		return;
	unsigned char sigs[16];
	size_t n = 0;
	if (zx_socket_read(wait->object, 0, sigs, sizeof sigs, &n) != ZX_OK)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		if (sigs[i] == SIGTERM || sigs[i] == SIGINT) {
			s->stopped = true;
			cfidl_loop_quit(loop);
			return;
		}
		if (sigs[i] == SIGUSR1 && s->guest)
			fprintf(stderr,
			        "%s: cid %u, %u connection(s), %u reset(s)\n",
			        prog, cfidl_vsock_guest_cid(s->guest),
			        cfv_guest_connection_count(s->guest),
			        cfidl_vsock_guest_reset_count(s->guest));
	}
	cfidl_wait_begin(loop, wait);
}

static void on_gone(void *ctx, zx_status_t reason)
{
	state_t *s = ctx;
	s->gone = reason;
	cfidl_loop_quit(s->loop);
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [--dir DIR] [--cid N] [--timeout SEC] [--verbose]\n"
	    "  --cid N        ask for CID N (default: the next free, 3, 4, "
	    "...)\n"
	    "  --dir DIR      the daemon's runtime directory\n"
	    "  --timeout SEC  how long to wait for the daemon's answer (5)\n",
	    prog);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	unsigned long cid = 0;
	double timeout = 5;
	bool verbose = false;
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"cid", required_argument, NULL, 'c'},
	    {"timeout", required_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "d:c:t:vh", opts, NULL)) != -1) {
		char *end;
		switch (o) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			errno = 0;
			cid = strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg ||
			    cid > UINT32_MAX) {
				fprintf(stderr, "%s: --cid: not a CID: %s\n",
				        prog, optarg);
				return 2;
			}
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s %s\n", prog, cfidl_vsock_version());
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	state_t s = {.verbose = verbose, .gone = ZX_OK};
	zx_status_t st = cfidl_loop_create(&s.loop);
	int sv[2];
	zx_handle_t sig_handle = ZX_HANDLE_INVALID;
	if (st == ZX_OK &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		st = ZX_ERR_NO_RESOURCES;
	if (st == ZX_OK) {
		sig_fd = sv[1];
		fcntl(sig_fd, F_SETFL, O_NONBLOCK);
		st = cfidl_socket_adopt_fd(sv[0], &sig_handle);
	}
	if (st == ZX_OK) {
		struct sigaction sa = {.sa_handler = on_signal};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		s.wait.handler = on_signal_ready;
		s.wait.object = sig_handle;
		s.wait.trigger = ZX_SOCKET_READABLE;
		st = cfidl_wait_begin(s.loop, &s.wait);
	}
	if (st == ZX_OK)
		st = cfidl_vsock_guest_create(
		    s.loop, dir, (uint32_t)cid,
		    zx_deadline_after((zx_duration_t)(timeout * 1e9)), on_gone,
		    &s, &s.guest);
	if (st != ZX_OK) {
		fprintf(stderr, "%s: register: %s%s\n", prog,
		        zx_status_get_string(st),
		        st == ZX_ERR_NOT_FOUND ? " (is cfidl-vsockd running?)"
		        : st == ZX_ERR_ALREADY_EXISTS ? " (CID taken)"
		                                      : "");
		if (s.loop) {
			cfidl_wait_cancel(s.loop, &s.wait);
			cfidl_loop_destroy(s.loop);
		}
		zx_handle_close(sig_handle);
		return 1;
	}
	printf("%u\n", cfidl_vsock_guest_cid(s.guest));
	fflush(stdout);
	if (verbose)
		fprintf(stderr, "%s: cid %u, serving %s/connector-%u.sock\n",
		        prog, cfidl_vsock_guest_cid(s.guest),
		        cfv_guest_rundir(s.guest),
		        cfidl_vsock_guest_cid(s.guest));

	cfidl_loop_run(s.loop, ZX_TIME_INFINITE, false);

	int rc = 0;
	if (!s.stopped) {
		fprintf(stderr, "%s: the daemon is gone (%s)\n", prog,
		        zx_status_get_string(s.gone));
		rc = s.gone == ZX_ERR_PEER_CLOSED ? 0 : 1;
	}
	cfidl_wait_cancel(s.loop, &s.wait);
	cfidl_vsock_guest_destroy(s.guest);
	cfidl_loop_destroy(s.loop);
	zx_handle_close(sig_handle);
	close(sig_fd);
	return rc;
}
