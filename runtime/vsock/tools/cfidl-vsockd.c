/*
 * cfidl-vsockd: the host daemon of the userspace vsock system (the VMM's
 * side).  One command, no configuration: it makes its private runtime
 * directory, serves the guest registry, the host endpoints and the hybrid
 * sockets there, prints the directory, and runs until SIGTERM or SIGINT,
 * then removes its sockets.  SIGHUP resets the transport of every guest.
 * See cfidl-vsockd(8).
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
#include <sys/stat.h>
#include <unistd.h>

#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/loop.h>
#include <cfidl/socket.h>
#include <cfidl/vsock.h>

#include "daemon.h"
#include "tool_common.h"

static const char *prog = "cfidl-vsockd";
typedef struct state {
	cfidl_loop_t *loop;
	cfidl_vsock_daemon_t *daemon;
	cfv_tool_signals_t sigs;
	bool verbose;
} state_t;

/* SIGTERM, SIGINT: stop; SIGHUP: reset every guest's transport;
 * SIGUSR1: list the guests. */
static bool on_signal(void *ctx, int signo)
{
	state_t *s = ctx;

	switch (signo) {
	case SIGTERM:
	case SIGINT:
		if (s->verbose)
			fprintf(stderr, "%s: signal %d: shutting down\n", prog,
			        signo);
		cfidl_loop_quit(s->loop);
		return false;
	case SIGHUP: {
		zx_status_t st = cfidl_vsock_daemon_reset_guest(s->daemon, 0);
		if (s->verbose)
			fprintf(stderr, "%s: SIGHUP: transport reset: %s\n",
			        prog, zx_status_get_string(st));
		break;
	}
	case SIGUSR1: {
		uint32_t count = cfidl_vsock_daemon_guest_count(s->daemon);
		fprintf(stderr, "%s: %u guest(s):", prog, count);
		for (uint32_t k = 0; k < count; k++)
			fprintf(stderr, " %u",
			        cfv_daemon_guest_cid_at(s->daemon, k));
		fprintf(stderr, "\n");
		break;
	}
	}
	return true;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [--dir DIR] [--foreground] [--verbose]\n"
	    "  --dir DIR       runtime directory (default: $CFIDL_VSOCK_DIR,\n"
	    "                  else $XDG_RUNTIME_DIR/cfidl-vsock, else\n"
	    "                  /tmp/cfidl-vsock-UID)\n"
	    "  --foreground    stay attached (default: detach once ready)\n"
	    "  --verbose       log to stderr\n",
	    prog);
}

/* Writes the PID file <rundir>/cfidl-vsockd.pid (0600). */
static void write_pidfile(const char *rundir, char *path, size_t size)
{
	snprintf(path, size, "%s/cfidl-vsockd.pid", rundir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		path[0] = '\0';
		return;
	}
	dprintf(fd, "%ld\n", (long)getpid());
	close(fd);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	bool foreground = false, verbose = false;
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "d:fvh", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			dir = optarg;
			break;
		case 'f':
			foreground = true;
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
	umask(077);

	/* Detach before any thread exists: the child serves, the parent
	 * waits for its word (the rundir, or an error) and passes it on. */
	int ready[2] = {-1, -1};
	if (!foreground) {
		if (pipe(ready) < 0) {
			perror(prog);
			return 1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			perror(prog);
			return 1;
		}
		if (pid > 0) {
			close(ready[1]);
			char buf[512];
			ssize_t n, got = 0;
			while ((n = read(ready[0], buf + got,
			                 sizeof buf - 1 - (size_t)got)) > 0)
				got += n;
			buf[got > 0 ? got : 0] = '\0';
			/* The child's word: "R<rundir>\n" or "E<error>\n". */
			if (got > 1 && buf[0] == 'R') {
				fputs(buf + 1, stdout);
				return 0;
			}
			fprintf(stderr, "%s: %s", prog,
			        got > 1 ? buf + 1 : "failed to start\n");
			return 1;
		}
		close(ready[0]);
		setsid();
	}

	state_t s = {.verbose = verbose};
	zx_status_t st = cfidl_loop_create(&s.loop);
	static const int signos[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
	if (st == ZX_OK)
		st = cfv_tool_signals_start(&s.sigs, s.loop, signos, 4,
		                            on_signal, &s);
	const char *what = "loop";
	if (st == ZX_OK) {
		what = dir ? dir : "the default runtime directory";
		st = cfidl_vsock_daemon_create(s.loop, dir, &s.daemon);
	}
	if (st != ZX_OK) {
		char msg[600];
		snprintf(msg, sizeof msg, "E%s: %s%s\n", what,
		         zx_status_get_string(st),
		         st == ZX_ERR_ADDRESS_IN_USE ||
		                 st == ZX_ERR_ALREADY_BOUND
		             ? " (another cfidl-vsockd serves it)"
		         : st == ZX_ERR_ACCESS_DENIED
		             ? " (not ours, or not mode 0700)"
		             : "");
		if (foreground)
			fprintf(stderr, "%s: %s", prog, msg + 1);
		else if (write(ready[1], msg, strlen(msg)) < 0) {
		}
		cfv_tool_signals_stop(&s.sigs);
		if (s.loop)
			cfidl_loop_destroy(s.loop);
		return 1;
	}
	const char *rundir = cfidl_vsock_daemon_rundir(s.daemon);
	char pidfile[600];
	write_pidfile(rundir, pidfile, sizeof pidfile);
	if (foreground) {
		printf("%s\n", rundir);
		fflush(stdout);
	} else {
		char msg[600];
		snprintf(msg, sizeof msg, "R%s\n", rundir);
		if (write(ready[1], msg, strlen(msg)) < 0) {
		}
		close(ready[1]);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			if (!verbose)
				dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
	}
	if (verbose)
		fprintf(stderr, "%s: serving %s (pid %ld)\n", prog, rundir,
		        (long)getpid());

	st = cfidl_loop_run(s.loop, ZX_TIME_INFINITE, false);

	cfv_tool_signals_stop(&s.sigs);
	if (pidfile[0])
		unlink(pidfile);
	cfidl_vsock_daemon_destroy(s.daemon);
	cfidl_loop_destroy(s.loop);
	if (verbose)
		fprintf(stderr, "%s: stopped\n", prog);
	return st == ZX_ERR_CANCELED ? 0 : 1;
}
