/*
 * <cfidl/loop.h>: an event loop over epoll for waits, tasks and timers.
 *
 * Waits and tasks live in caller-owned structs (no malloc): fill the
 * public fields, begin/post, and keep the struct alive until its handler
 * has run or it was canceled.  Every handler is called exactly once per
 * successful begin/post: with ZX_OK (or the signals), or with
 * ZX_ERR_CANCELED when the loop is destroyed.  As in libuv, when
 * begin/post returns an error the handler is never called.  A canceled
 * wait/task (cfidl_*_cancel returned ZX_OK) is not called either.
 *
 * Thread safety: every function may be called from any thread;
 * handlers run on the thread inside cfidl_loop_run*, one at a time, with
 * no loop lock held (they may begin, post, cancel and quit freely).  Only
 * one thread may run the loop at a time.
 *
 * The private fields of a wait or task must be zero before its first
 * begin/post (declare it with `= {0}`, calloc it, or memset it); after
 * that the loop keeps them consistent.
 *
 * A wait holds a reference to its object's fds while pending: cancel it
 * before closing the handle, or the peer will not see the close until the
 * wait ends.
 */
#ifndef CFIDL_LOOP_H
#define CFIDL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cfidl_loop cfidl_loop_t;

/* Private links; do not touch. */
typedef struct cfidl_loop_node {
	struct cfidl_loop_node *prev;
	struct cfidl_loop_node *next;
} cfidl_loop_node_t;

/* Creates a loop (an epoll fd and an eventfd).  The caller owns *out. */
zx_status_t cfidl_loop_create(cfidl_loop_t **out);

/*
 * Shuts the loop down and frees it: every pending wait and task handler
 * is called once with ZX_ERR_CANCELED (on the calling thread), then
 * nothing more.  Must not be called from a handler or while another
 * thread runs the loop.
 */
void cfidl_loop_destroy(cfidl_loop_t *loop);

/*
 * Runs handlers until deadline (ZX_ERR_TIMED_OUT), cfidl_loop_quit
 * (ZX_ERR_CANCELED) or, with once, until one batch of handlers ran
 * (ZX_OK).  ZX_ERR_BAD_STATE if the loop is being destroyed or already
 * running on another thread.
 */
zx_status_t cfidl_loop_run(cfidl_loop_t *loop, zx_time_t deadline, bool once);

/*
 * Runs every handler that is ready now (and those they make ready now),
 * without sleeping.  ZX_OK when idle, ZX_ERR_CANCELED after quit.
 */
zx_status_t cfidl_loop_run_until_idle(cfidl_loop_t *loop);

/* Makes cfidl_loop_run return ZX_ERR_CANCELED; sticky until reset_quit. */
void cfidl_loop_quit(cfidl_loop_t *loop);
/* Clears quit so the loop can run again.  ZX_ERR_BAD_STATE if running. */
zx_status_t cfidl_loop_reset_quit(cfidl_loop_t *loop);

/* ---- waits: one-shot, level-triggered, on a handle's signals ---- */

typedef struct cfidl_wait cfidl_wait_t;

/*
 * status: ZX_OK (observed holds the object's signals, some of trigger
 * among them), ZX_ERR_CANCELED (loop destroyed; observed 0).  A wait may
 * be begun again from its own handler.
 */
typedef void (*cfidl_wait_handler_t)(cfidl_loop_t *loop, cfidl_wait_t *wait,
                                     zx_status_t status, zx_signals_t observed);

struct cfidl_wait {
	/* Public: set before cfidl_wait_begin. */
	cfidl_wait_handler_t handler;
	zx_handle_t object;
	zx_signals_t trigger;
	/* Private. */
	cfidl_loop_node_t node;
	uint32_t state;
	uint32_t slot;
	zx_signals_t observed;
};

/*
 * Starts waiting for any of wait->trigger on wait->object.  Errors:
 * BAD_HANDLE, ACCESS_DENIED (no ZX_RIGHT_WAIT), NOT_SUPPORTED (an object
 * that cannot be waited on), ALREADY_EXISTS (this wait is pending),
 * BAD_STATE (the loop is shutting down), NO_RESOURCES.
 */
zx_status_t cfidl_wait_begin(cfidl_loop_t *loop, cfidl_wait_t *wait);

/*
 * cfidl_wait_begin for a handler that does not look at `observed` and
 * copes with a wake-up whose trigger is gone (it reads until SHOULD_WAIT,
 * say).  Once begun again from its own handler, such a wait costs no
 * syscall: the loop keeps its level-triggered registrations and, when
 * they fire, passes observed 0 instead of looking at the signals.  On a
 * channel or socket it never looks: a trigger that holds already fires
 * on the loop's next round.
 */
zx_status_t cfidl_wait_begin_blind(cfidl_loop_t *loop, cfidl_wait_t *wait);

/*
 * Cancels a pending wait: ZX_OK and the handler will not run; NOT_FOUND
 * if the wait is not pending (its handler ran, runs now, or never began).
 */
zx_status_t cfidl_wait_cancel(cfidl_loop_t *loop, cfidl_wait_t *wait);

/* ---- tasks and timers ---- */

typedef struct cfidl_task cfidl_task_t;

/* status: ZX_OK when due, ZX_ERR_CANCELED on loop destroy. */
typedef void (*cfidl_task_handler_t)(cfidl_loop_t *loop, cfidl_task_t *task,
                                     zx_status_t status);

struct cfidl_task {
	/* Public: set before cfidl_task_post. */
	cfidl_task_handler_t handler;
	zx_time_t deadline; /* 0 (or any past time) = as soon as possible */
	/* Private. */
	cfidl_loop_node_t node;
	uint64_t seq;
	uint32_t state;
};

/*
 * Queues task to run at task->deadline.  Tasks run in deadline order,
 * those with equal deadlines in post order.  Errors: ALREADY_EXISTS
 * (pending), BAD_STATE (shutting down), INVALID_ARGS.
 */
zx_status_t cfidl_task_post(cfidl_loop_t *loop, cfidl_task_t *task);

/* As cfidl_wait_cancel, for a task. */
zx_status_t cfidl_task_cancel(cfidl_loop_t *loop, cfidl_task_t *task);

/*
 * Convenience: runs fn(ctx, status) as soon as possible (status ZX_OK, or
 * ZX_ERR_CANCELED on destroy).  Allocates one small node; for hot paths
 * embed a cfidl_task_t instead.  Errors: BAD_STATE, NO_MEMORY.
 */
zx_status_t cfidl_loop_post(cfidl_loop_t *loop,
                            void (*fn)(void *ctx, zx_status_t status),
                            void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_LOOP_H */
