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

static const char *prog = "cfidl-vsockd";
static int sig_fd = -1; /* the write end of the signal socketpair */

static void on_signal(int signo)
{
	int e = errno;
	unsigned char b = (unsigned char)signo;
	if (write(sig_fd, &b, 1) < 0) {
		/* Full: a signal of that kind is pending anyway. */
	}
	errno = e;
}

typedef struct state {
	cfidl_loop_t *loop;
	cfidl_vsock_daemon_t *daemon;
	cfidl_wait_t wait;
	bool verbose;
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
		switch (sigs[i]) {
		case SIGTERM:
		case SIGINT:
			if (s->verbose)
				fprintf(stderr,
				        "%s: signal %d: shutting down\n", prog,
				        sigs[i]);
			cfidl_loop_quit(loop);
			return;
		case SIGHUP: {
			zx_status_t st =
			    cfidl_vsock_daemon_reset_guest(s->daemon, 0);
			if (s->verbose)
				fprintf(stderr,
				        "%s: SIGHUP: transport reset: %s\n",
				        prog, zx_status_get_string(st));
			break;
		}
		case SIGUSR1: {
			uint32_t count =
			    cfidl_vsock_daemon_guest_count(s->daemon);
			fprintf(stderr, "%s: %u guest(s):", prog, count);
			for (uint32_t k = 0; k < count; k++)
				fprintf(stderr, " %u",
				        cfv_daemon_guest_cid_at(s->daemon, k));
			fprintf(stderr, "\n");
			break;
		}
		}
	}
	cfidl_wait_begin(loop, wait);
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
	umask(077);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

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
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		s.wait.handler = on_signal_ready;
		s.wait.object = sig_handle;
		s.wait.trigger = ZX_SOCKET_READABLE;
		st = cfidl_wait_begin(s.loop, &s.wait);
	}
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
		if (s.loop) {
			cfidl_wait_cancel(s.loop, &s.wait);
			cfidl_loop_destroy(s.loop);
		}
		zx_handle_close(sig_handle);
		if (sig_fd >= 0)
			close(sig_fd);
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

	cfidl_wait_cancel(s.loop, &s.wait);
	if (pidfile[0])
		unlink(pidfile);
	cfidl_vsock_daemon_destroy(s.daemon);
	cfidl_loop_destroy(s.loop);
	zx_handle_close(sig_handle);
	close(sig_fd);
	if (verbose)
		fprintf(stderr, "%s: stopped\n", prog);
	return st == ZX_ERR_CANCELED ? 0 : 1;
}
