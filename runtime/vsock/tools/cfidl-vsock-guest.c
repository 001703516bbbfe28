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
#include "tool_common.h"

static const char *prog = "cfidl-vsock-guest";
typedef struct state {
	cfidl_loop_t *loop;
	cfidl_vsock_guest_t *guest;
	cfv_tool_signals_t sigs;
	zx_status_t gone;
	bool verbose;
	bool stopped;
} state_t;

/* SIGTERM, SIGINT: stop; SIGUSR1: print the counters. */
static bool on_signal(void *ctx, int signo)
{
	state_t *s = ctx;

	if (signo == SIGTERM || signo == SIGINT) {
		s->stopped = true;
		cfidl_loop_quit(s->loop);
		return false;
	}
	if (signo == SIGUSR1 && s->guest)
		fprintf(stderr, "%s: cid %u, %u connection(s), %u reset(s)\n",
		        prog, cfidl_vsock_guest_cid(s->guest),
		        cfv_guest_connection_count(s->guest),
		        cfidl_vsock_guest_reset_count(s->guest));
	return true;
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
	uint32_t cid = 0;
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
		switch (o) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			if (!cfv_tool_parse_u32(optarg, &cid)) {
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
		default:
			return cfv_tool_other_option(o, 'V', prog, usage);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cfv_tool_init_process();

	static const int signos[] = {SIGTERM, SIGINT, SIGUSR1};
	state_t s = {.verbose = verbose, .gone = ZX_OK};
	zx_status_t st = cfidl_loop_create(&s.loop);
	if (st == ZX_OK)
		st = cfv_tool_signals_start(&s.sigs, s.loop, signos, 3,
		                            on_signal, &s);
	if (st == ZX_OK)
		st = cfidl_vsock_guest_create(
		    s.loop, dir, cid,
		    zx_deadline_after((zx_duration_t)(timeout * 1e9)), on_gone,
		    &s, &s.guest);
	if (st != ZX_OK) {
		fprintf(stderr, "%s: register: %s%s\n", prog,
		        zx_status_get_string(st),
		        st == ZX_ERR_NOT_FOUND ? " (is cfidl-vsockd running?)"
		        : st == ZX_ERR_ALREADY_EXISTS ? " (CID taken)"
		                                      : "");
		cfv_tool_signals_stop(&s.sigs);
		if (s.loop)
			cfidl_loop_destroy(s.loop);
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
	cfv_tool_signals_stop(&s.sigs);
	cfidl_vsock_guest_destroy(s.guest);
	cfidl_loop_destroy(s.loop);
	return rc;
}
