/*
 * tool_common.h: what cfidl-vsockd, cfidl-vsock-guest and cfidl-vsock-cat
 * share: the process set-up every one of them does, number parsing, and
 * signals turned into loop events (a signal handler may do almost
 * nothing, so it writes the signal's number to a socket the loop waits on).
 */
#ifndef CFV_TOOL_COMMON_H
#define CFV_TOOL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cfidl/loop.h>

/* Ignores SIGPIPE (errors come back as EPIPE) and raises the fd limit to
 * the hard limit: many connections need many fds. */
void cfv_tool_init_process(void);

/*
 * The options every tool has, for a getopt_long answer o that the tool's
 * own cases did not take: 'h' (--help) prints usage to stdout and gives 0,
 * version_opt (--version) prints the version and gives 0, anything else
 * prints usage to stderr and gives 2.  The caller exits with the result.
 */
int cfv_tool_other_option(int o, int version_opt, const char *prog,
                          void (*usage)(FILE *f));

/* Parses a whole unsigned 32-bit number (decimal, 0x hex or 0 octal). */
bool cfv_tool_parse_u32(const char *s, uint32_t *out);

/* Called on the loop for each signal caught; returns false to stop
 * watching (the program is shutting down), true to go on. */
typedef bool (*cfv_tool_signal_fn)(void *ctx, int signo);

typedef struct cfv_tool_signals {
	cfidl_wait_t wait;
	cfidl_loop_t *loop;
	zx_handle_t handle; /* the read end, as a socket the loop waits on */
	cfv_tool_signal_fn on_signal;
	void *ctx;
} cfv_tool_signals_t;

/*
 * Catches the n signals in signos and calls on_signal(ctx, signo) for each
 * on loop.  s belongs to the caller and must stay put until
 * cfv_tool_signals_stop(s), which is also safe after a failed start.
 * One per process.
 */
zx_status_t cfv_tool_signals_start(cfv_tool_signals_t *s, cfidl_loop_t *loop,
                                   const int *signos, size_t n,
                                   cfv_tool_signal_fn on_signal, void *ctx);

/* Stops watching and closes both ends (the handlers stay installed, with
 * nowhere to write: a late signal is dropped). */
void cfv_tool_signals_stop(cfv_tool_signals_t *s);

#endif /* CFV_TOOL_COMMON_H */
