/*
 * tool_common.c: the process set-up, number parsing and signal handling
 * the three vsock programs share (see tool_common.h).
 */
#include "tool_common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/vsock.h>

void cfv_tool_init_process(void)
{
	struct rlimit rl;

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int cfv_tool_other_option(int o, int version_opt, const char *prog,
                          void (*usage)(FILE *f))
{
	if (o == 'h') {
		usage(stdout);
		return 0;
	}
	if (o == version_opt) {
		printf("%s %s\n", prog, cfidl_vsock_version());
		return 0;
	}
	usage(stderr);
	return 2;
}

bool cfv_tool_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
		return false;
	*out = (uint32_t)v;
	return true;
}

static int sig_fd = -1; /* the write end: the handler's only state */

static void on_signal(int signo)
{
	int e = errno;
	unsigned char b = (unsigned char)signo;

	if (write(sig_fd, &b, 1) < 0) {
		/* Full: a signal of that kind is pending anyway. */
	}
	errno = e;
}

static void on_signal_ready(cfidl_loop_t *loop, cfidl_wait_t *wait,
                            zx_status_t status, zx_signals_t observed)
{
	cfv_tool_signals_t *s =
	    (cfv_tool_signals_t *)((char *)wait -
	                           offsetof(cfv_tool_signals_t, wait));
	unsigned char sigs[16];
	size_t n = 0;

	(void)observed;
	if (status != ZX_OK)
		return;
	if (zx_socket_read(wait->object, 0, sigs, sizeof sigs, &n) != ZX_OK)
		n = 0;
	for (size_t i = 0; i < n; i++)
		if (!s->on_signal(s->ctx, sigs[i]))
			return;
	cfidl_wait_begin(loop, wait);
}

zx_status_t cfv_tool_signals_start(cfv_tool_signals_t *s, cfidl_loop_t *loop,
                                   const int *signos, size_t n,
                                   cfv_tool_signal_fn on_signal_fn, void *ctx)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int sv[2];
	zx_status_t st;

	*s = (cfv_tool_signals_t){.loop = loop,
	                          .handle = ZX_HANDLE_INVALID,
	                          .on_signal = on_signal_fn,
	                          .ctx = ctx};
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return ZX_ERR_NO_RESOURCES;
	sig_fd = sv[1];
	fcntl(sig_fd, F_SETFL, O_NONBLOCK);
	st = cfidl_socket_adopt_fd(sv[0], &s->handle);
	if (st != ZX_OK)
		return st;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++)
		sigaction(signos[i], &sa, NULL);
	s->wait.handler = on_signal_ready;
	s->wait.object = s->handle;
	s->wait.trigger = ZX_SOCKET_READABLE;
	return cfidl_wait_begin(loop, &s->wait);
}

void cfv_tool_signals_stop(cfv_tool_signals_t *s)
{
	if (s->loop)
		cfidl_wait_cancel(s->loop, &s->wait);
	zx_handle_close(s->handle);
	s->handle = ZX_HANDLE_INVALID;
	if (sig_fd >= 0) {
		int fd = sig_fd;

		sig_fd = -1;
		close(fd);
	}
}
