/* The event loop: tasks, timers, waits, quit, threads, destroy. */
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include <cfidl/loop.h>

#include "rt_test.h"

/* ---- tasks and timers ---- */

struct rec {
	cfidl_task_t task; /* first: the handler casts back */
	int id;
	int *log;
	int *n;
	zx_time_t ran_at;
	zx_status_t status;
	int calls;
};

static void rec_handler(cfidl_loop_t *loop, cfidl_task_t *task,
                        zx_status_t status)
{
	struct rec *r = (struct rec *)task;

	(void)loop;
	r->ran_at = zx_clock_get_monotonic();
	r->status = status;
	r->calls++;
	if (r->log)
		r->log[(*r->n)++] = r->id;
}

static void tasks_in_order(void **state)
{
	cfidl_loop_t *loop;
	struct rec r[5];
	int log[5], n = 0;
	zx_time_t start = zx_clock_get_monotonic();
	/* id -> deadline offset (ms); -1 = now. */
	static const int ms[5] = {30, 10, -1, 20, -1};

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 5; i++) {
		r[i].task.handler = rec_handler;
		r[i].task.deadline = ms[i] < 0 ? 0 : start + ZX_MSEC(ms[i]);
		r[i].id = i;
		r[i].log = log;
		r[i].n = &n;
		ASSERT_OK(cfidl_task_post(loop, &r[i].task));
	}
	ASSERT_ST(cfidl_task_post(loop, &r[0].task), ZX_ERR_ALREADY_EXISTS);
	/* The due ones run first (a slow machine may run more). */
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_true(n >= 2);
	assert_int_equal(log[0], 2);
	assert_int_equal(log[1], 4);
	ASSERT_ST(cfidl_loop_run(loop, start + ZX_MSEC(100), false),
	          ZX_ERR_TIMED_OUT);
	assert_int_equal(n, 5);
	assert_int_equal(log[2], 1);
	assert_int_equal(log[3], 3);
	assert_int_equal(log[4], 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(r[i].calls, 1);
		ASSERT_OK(r[i].status);
		/* Never early. */
		if (ms[i] >= 0)
			assert_true(r[i].ran_at >= r[i].task.deadline);
	}
	assert_true(zx_clock_get_monotonic() >= start + ZX_MSEC(100));
	cfidl_loop_destroy(loop);
}

/* Equal deadlines keep post order; cancel removes exactly one. */
static void equal_deadlines_and_cancel(void **state)
{
	cfidl_loop_t *loop;
	struct rec r[4];
	int log[4], n = 0;
	zx_time_t when = zx_deadline_after(ZX_MSEC(5));

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 4; i++) {
		r[i].task.handler = rec_handler;
		r[i].task.deadline = when;
		r[i].id = i;
		r[i].log = log;
		r[i].n = &n;
		ASSERT_OK(cfidl_task_post(loop, &r[i].task));
	}
	ASSERT_OK(cfidl_task_cancel(loop, &r[1].task));
	ASSERT_ST(cfidl_task_cancel(loop, &r[1].task), ZX_ERR_NOT_FOUND);
	while (n < 3)
		ASSERT_OK(cfidl_loop_run(loop, ZX_TIME_INFINITE, true));
	assert_int_equal(log[0], 0);
	assert_int_equal(log[1], 2);
	assert_int_equal(log[2], 3);
	assert_int_equal(r[1].calls, 0);
	ASSERT_ST(cfidl_task_cancel(loop, &r[0].task), ZX_ERR_NOT_FOUND);
	cfidl_loop_destroy(loop);
}

/* A task that re-posts itself runs again in a later round, not forever. */
struct again {
	cfidl_task_t task;
	int left;
	int runs;
};

static void again_handler(cfidl_loop_t *loop, cfidl_task_t *task,
                          zx_status_t status)
{
	struct again *a = (struct again *)task;

	if (status != ZX_OK)
		return;
	a->runs++;
	if (--a->left > 0)
		assert_int_equal(cfidl_task_post(loop, task), ZX_OK);
}

static void run_until_idle_reposts(void **state)
{
	cfidl_loop_t *loop;
	struct again a;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	memset(&a, 0, sizeof(a));
	a.task.handler = again_handler;
	a.left = 5;
	ASSERT_OK(cfidl_task_post(loop, &a.task));
	ASSERT_OK(cfidl_loop_run(loop, ZX_TIME_INFINITE, true));
	assert_int_equal(a.runs, 1);
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(a.runs, 5);
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	cfidl_loop_destroy(loop);
}

/* ---- quit, threads ---- */

static void quit_handler(void *ctx, zx_status_t status)
{
	cfidl_loop_t *loop = ctx;

	if (status == ZX_OK)
		cfidl_loop_quit(loop);
}

static void quit_and_reset(void **state)
{
	cfidl_loop_t *loop;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(cfidl_loop_post(loop, quit_handler, loop));
	ASSERT_ST(cfidl_loop_run(loop, ZX_TIME_INFINITE, false),
	          ZX_ERR_CANCELED);
	/* Sticky. */
	ASSERT_ST(cfidl_loop_run(loop, ZX_TIME_INFINITE, false),
	          ZX_ERR_CANCELED);
	ASSERT_ST(cfidl_loop_run_until_idle(loop), ZX_ERR_CANCELED);
	ASSERT_OK(cfidl_loop_reset_quit(loop));
	ASSERT_ST(cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(1)), false),
	          ZX_ERR_TIMED_OUT);
	ASSERT_ST(cfidl_loop_post(loop, NULL, NULL), ZX_ERR_INVALID_ARGS);
	cfidl_loop_destroy(loop);
}

struct poster {
	cfidl_loop_t *loop;
	int count;
};

static void count_handler(void *ctx, zx_status_t status)
{
	int *n = ctx;

	if (status == ZX_OK)
		(*n)++;
}

static int seen;

static void last_handler(void *ctx, zx_status_t status)
{
	struct poster *p = ctx;

	(void)status;
	seen = p->count;
	cfidl_loop_quit(p->loop);
}

static void *poster_main(void *arg)
{
	struct poster *p = arg;

	/* Let the loop fall asleep first: the eventfd must wake it. */
	zx_nanosleep(zx_deadline_after(ZX_MSEC(20)));
	for (int i = 0; i < 100; i++)
		assert_int_equal(
		    cfidl_loop_post(p->loop, count_handler, &p->count), ZX_OK);
	assert_int_equal(cfidl_loop_post(p->loop, last_handler, p), ZX_OK);
	return NULL;
}

static void post_from_thread(void **state)
{
	struct poster p = {0};
	pthread_t t;
	zx_time_t start = zx_clock_get_monotonic();

	(void)state;
	ASSERT_OK(cfidl_loop_create(&p.loop));
	assert_int_equal(pthread_create(&t, NULL, poster_main, &p), 0);
	ASSERT_ST(cfidl_loop_run(p.loop, ZX_TIME_INFINITE, false),
	          ZX_ERR_CANCELED);
	pthread_join(t, NULL);
	assert_int_equal(seen, 100);
	/* Woken, not timed out. */
	assert_true(zx_clock_get_monotonic() - start < ZX_SEC(5));
	cfidl_loop_destroy(p.loop);
}

static void *quitter_main(void *arg)
{
	zx_nanosleep(zx_deadline_after(ZX_MSEC(20)));
	cfidl_loop_quit(arg);
	return NULL;
}

static void quit_from_thread(void **state)
{
	cfidl_loop_t *loop;
	pthread_t t;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	assert_int_equal(pthread_create(&t, NULL, quitter_main, loop), 0);
	ASSERT_ST(cfidl_loop_run(loop, ZX_TIME_INFINITE, false),
	          ZX_ERR_CANCELED);
	pthread_join(t, NULL);
	cfidl_loop_destroy(loop);
}

/* ---- waits ---- */

struct wrec {
	cfidl_wait_t wait;
	int calls;
	zx_status_t status;
	zx_signals_t observed;
};

static void wait_handler(cfidl_loop_t *loop, cfidl_wait_t *wait,
                         zx_status_t status, zx_signals_t observed)
{
	struct wrec *w = (struct wrec *)wait;

	(void)loop;
	w->calls++;
	w->status = status;
	w->observed = observed;
}

static void wait_channel(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	struct wrec w1, w2;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	memset(&w1, 0, sizeof(w1));
	memset(&w2, 0, sizeof(w2));
	w1.wait.handler = w2.wait.handler = wait_handler;
	w1.wait.object = w2.wait.object = b;
	w1.wait.trigger = ZX_CHANNEL_READABLE;
	w2.wait.trigger = ZX_CHANNEL_READABLE | ZX_CHANNEL_PEER_CLOSED;
	/* Two waits on one channel do not collide. */
	ASSERT_OK(cfidl_wait_begin(loop, &w1.wait));
	ASSERT_OK(cfidl_wait_begin(loop, &w2.wait));
	ASSERT_ST(cfidl_wait_begin(loop, &w1.wait), ZX_ERR_ALREADY_EXISTS);
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(w1.calls + w2.calls, 0);
	ASSERT_OK(zx_channel_write(a, 0, "x", 1, NULL, 0));
	while (w1.calls + w2.calls < 2)
		ASSERT_OK(cfidl_loop_run(loop, ZX_TIME_INFINITE, true));
	assert_int_equal(w1.calls, 1);
	assert_int_equal(w2.calls, 1);
	ASSERT_OK(w1.status);
	assert_true(w1.observed & ZX_CHANNEL_READABLE);
	/* One-shot: nothing more, though the message is still there. */
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(w1.calls, 1);
	/* Re-begun on a ready channel: fires at once. */
	ASSERT_OK(cfidl_wait_begin(loop, &w1.wait));
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(w1.calls, 2);
	/* Peer closed. */
	ASSERT_OK(zx_channel_read(b, 0, (char[4]){0}, NULL, 4, 0, NULL, NULL));
	ASSERT_OK(cfidl_wait_begin(loop, &w2.wait));
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(w2.calls, 1);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(cfidl_loop_run(loop, ZX_TIME_INFINITE, true));
	assert_int_equal(w2.calls, 2);
	assert_true(w2.observed & ZX_CHANNEL_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(b));
	cfidl_loop_destroy(loop);
}

static void wait_errors_and_cancel(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b, vmo, ro;
	struct wrec w;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	memset(&w, 0, sizeof(w));
	w.wait.handler = wait_handler;
	w.wait.trigger = ZX_CHANNEL_READABLE;
	/* Errors: the handler is never called. */
	w.wait.object = 12345;
	ASSERT_ST(cfidl_wait_begin(loop, &w.wait), ZX_ERR_BAD_HANDLE);
	ASSERT_OK(zx_vmo_create(4096, 0, &vmo));
	w.wait.object = vmo;
	ASSERT_ST(cfidl_wait_begin(loop, &w.wait), ZX_ERR_NOT_SUPPORTED);
	ASSERT_OK(zx_handle_duplicate(vmo, ZX_RIGHT_READ, &ro));
	w.wait.object = ro;
	ASSERT_ST(cfidl_wait_begin(loop, &w.wait), ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_handle_close(ro));
	ASSERT_OK(zx_handle_close(vmo));
	ASSERT_ST(cfidl_wait_cancel(loop, &w.wait), ZX_ERR_NOT_FOUND);
	/* Cancel before the signal: never called. */
	w.wait.object = b;
	ASSERT_OK(cfidl_wait_begin(loop, &w.wait));
	ASSERT_OK(cfidl_wait_cancel(loop, &w.wait));
	ASSERT_ST(cfidl_wait_cancel(loop, &w.wait), ZX_ERR_NOT_FOUND);
	ASSERT_OK(zx_channel_write(a, 0, "x", 1, NULL, 0));
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	/* Cancel after it became ready but before it ran. */
	ASSERT_OK(cfidl_wait_begin(loop, &w.wait));
	ASSERT_OK(cfidl_wait_cancel(loop, &w.wait));
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(w.calls, 0);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_handle_close(b));
	assert_int_equal(w.calls, 0);
	cfidl_loop_destroy(loop);
}

struct sig {
	zx_handle_t ev;
};

static void *signaller_main(void *arg)
{
	struct sig *s = arg;

	zx_nanosleep(zx_deadline_after(ZX_MSEC(20)));
	assert_int_equal(zx_object_signal(s->ev, 0, ZX_USER_SIGNAL_1), ZX_OK);
	return NULL;
}

static void wait_event_from_thread(void **state)
{
	cfidl_loop_t *loop;
	struct sig s;
	struct wrec w;
	pthread_t t;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_event_create(0, &s.ev));
	memset(&w, 0, sizeof(w));
	w.wait.handler = wait_handler;
	w.wait.object = s.ev;
	w.wait.trigger = ZX_USER_SIGNAL_1;
	ASSERT_OK(cfidl_wait_begin(loop, &w.wait));
	assert_int_equal(pthread_create(&t, NULL, signaller_main, &s), 0);
	ASSERT_OK(cfidl_loop_run(loop, zx_deadline_after(ZX_SEC(10)), true));
	pthread_join(t, NULL);
	assert_int_equal(w.calls, 1);
	assert_true(w.observed & ZX_USER_SIGNAL_1);
	ASSERT_OK(zx_handle_close(s.ev));
	cfidl_loop_destroy(loop);
}

static zx_duration_t cpu_time(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ZX_SEC(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       ZX_USEC(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/*
 * Waits that cannot fire yet cost no CPU: an event (its wake-up eventfd
 * is always readable, edge-triggered), a closed channel waited on for
 * READABLE only (hung up, level-triggered), a full socket waited on for
 * nothing it has.
 */
static void idle_waits_do_not_spin(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t ev, a, b, s0, s1;
	struct wrec w[3];
	zx_duration_t cpu;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_event_create(0, &ev));
	ASSERT_OK(zx_object_signal(ev, 0, ZX_USER_SIGNAL_0));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_socket_create(0, &s0, &s1));
	ASSERT_OK(zx_socket_write(s1, 0, "x", 1, NULL));
	memset(w, 0, sizeof(w));
	w[0].wait.object = ev;
	w[0].wait.trigger = ZX_USER_SIGNAL_1;
	w[1].wait.object = b;
	w[1].wait.trigger = ZX_CHANNEL_READABLE;
	w[2].wait.object = s0;
	w[2].wait.trigger = ZX_SOCKET_PEER_CLOSED;
	for (int i = 0; i < 3; i++) {
		w[i].wait.handler = wait_handler;
		ASSERT_OK(cfidl_wait_begin(loop, &w[i].wait));
	}
	cpu = cpu_time();
	ASSERT_ST(cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(200)), false),
	          ZX_ERR_TIMED_OUT);
	cpu = cpu_time() - cpu;
	assert_true(cpu < ZX_MSEC(100));
	for (int i = 0; i < 3; i++)
		assert_int_equal(w[i].calls, 0);
	/* And they still fire when their signal comes. */
	ASSERT_OK(zx_object_signal(ev, 0, ZX_USER_SIGNAL_1));
	ASSERT_OK(zx_handle_close(s1));
	while (w[0].calls + w[2].calls < 2)
		ASSERT_OK(
		    cfidl_loop_run(loop, zx_deadline_after(ZX_SEC(10)), true));
	assert_true(w[0].observed & ZX_USER_SIGNAL_0);
	ASSERT_OK(cfidl_wait_cancel(loop, &w[1].wait));
	ASSERT_OK(zx_handle_close(ev));
	ASSERT_OK(zx_handle_close(b));
	ASSERT_OK(zx_handle_close(s0));
	cfidl_loop_destroy(loop);
	assert_int_equal(w[1].calls, 0);
}

/* A handler that begins its wait again sees level semantics. */
static void rearm_handler(cfidl_loop_t *loop, cfidl_wait_t *wait,
                          zx_status_t status, zx_signals_t observed)
{
	struct wrec *w = (struct wrec *)wait;

	w->calls++;
	w->observed = observed;
	if (status == ZX_OK && w->calls < 3)
		assert_int_equal(cfidl_wait_begin(loop, wait), ZX_OK);
}

static void rearm_from_handler(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t ev, a, b;
	struct wrec w[2];

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_event_create(0, &ev));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	memset(w, 0, sizeof(w));
	w[0].wait.object = ev;
	w[0].wait.trigger = ZX_USER_SIGNAL_2;
	w[1].wait.object = b;
	w[1].wait.trigger = ZX_CHANNEL_READABLE;
	for (int i = 0; i < 2; i++) {
		w[i].wait.handler = rearm_handler;
		ASSERT_OK(cfidl_wait_begin(loop, &w[i].wait));
	}
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(w[0].calls + w[1].calls, 0);
	/* Signals left asserted fire again after each re-begin. */
	ASSERT_OK(zx_object_signal(ev, 0, ZX_USER_SIGNAL_2));
	ASSERT_OK(zx_channel_write(a, 0, "x", 1, NULL, 0));
	while (w[0].calls + w[1].calls < 6)
		ASSERT_OK(
		    cfidl_loop_run(loop, zx_deadline_after(ZX_SEC(10)), true));
	assert_int_equal(w[0].calls, 3);
	assert_int_equal(w[1].calls, 3);
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(w[0].calls, 3);
	/* Released after the last handler: the peer sees the close. */
	ASSERT_OK(zx_handle_close(b));
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_PEER_CLOSED, 0, NULL));
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_handle_close(ev));
	cfidl_loop_destroy(loop);
}

/* A blind wait on a socket: level semantics, observed 0 (the loop never
 * looks at the signals), and a second wait on the same fd (registered as
 * a duplicate) fires too. */
struct brec {
	struct wrec w; /* first: the handler casts back */
	zx_handle_t sock;
	int read_at; /* the call that reads the byte */
};

static void blind_handler(cfidl_loop_t *loop, cfidl_wait_t *wait,
                          zx_status_t status, zx_signals_t observed)
{
	struct brec *b = (struct brec *)wait;
	char c;
	size_t n = 0;

	b->w.calls++;
	b->w.observed = observed;
	if (status != ZX_OK)
		return;
	if (b->w.calls == b->read_at)
		ASSERT_OK(zx_socket_read(b->sock, 0, &c, 1, &n));
	assert_int_equal(cfidl_wait_begin_blind(loop, wait), ZX_OK);
}

static void blind_wait_rearmed(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t s0, s1;
	struct brec b;
	struct wrec plain;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_socket_create(0, &s0, &s1));
	memset(&b, 0, sizeof(b));
	memset(&plain, 0, sizeof(plain));
	b.sock = s1;
	b.read_at = 3;
	b.w.wait.handler = blind_handler;
	b.w.wait.object = s1;
	b.w.wait.trigger = ZX_SOCKET_READABLE;
	plain.wait.handler = wait_handler;
	plain.wait.object = s1;
	plain.wait.trigger = ZX_SOCKET_READABLE;
	ASSERT_OK(cfidl_wait_begin_blind(loop, &b.w.wait));
	ASSERT_OK(cfidl_wait_begin(loop, &plain.wait));
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(b.w.calls + plain.calls, 0);
	ASSERT_OK(zx_socket_write(s0, 0, "x", 1, NULL));
	while (b.w.calls < 3 || plain.calls < 1)
		ASSERT_OK(
		    cfidl_loop_run(loop, zx_deadline_after(ZX_SEC(10)), true));
	/* The plain wait looked: it saw the byte. */
	assert_true(plain.observed & ZX_SOCKET_READABLE);
	/* Fired by its kept registration: nobody looked. */
	assert_int_equal(b.w.observed, 0);
	/* Read on the third call: nothing fires any more. */
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(b.w.calls, 3);
	/* Begun while the trigger holds, it fires on the next round, and
	 * still nobody looked (a socket's registration is level). */
	ASSERT_OK(cfidl_wait_cancel(loop, &b.w.wait));
	ASSERT_OK(zx_socket_write(s0, 0, "y", 1, NULL));
	b.w.calls = 0;
	b.read_at = 1;
	ASSERT_OK(cfidl_wait_begin_blind(loop, &b.w.wait));
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(b.w.calls, 1);
	assert_int_equal(b.w.observed, 0);
	ASSERT_OK(cfidl_wait_cancel(loop, &b.w.wait));
	ASSERT_OK(zx_handle_close(s0));
	ASSERT_OK(zx_handle_close(s1));
	cfidl_loop_destroy(loop);
}

struct beginner {
	cfidl_loop_t *loop;
	struct wrec *w;
	zx_status_t st;
};

static void *beginner_main(void *arg)
{
	struct beginner *b = arg;

	zx_nanosleep(zx_deadline_after(ZX_MSEC(20)));
	b->st = cfidl_wait_begin(b->loop, &b->w->wait);
	return NULL;
}

/* A wait begun from another thread on a ready object wakes the loop. */
static void begin_from_thread(void **state)
{
	struct beginner bg;
	struct wrec w;
	zx_handle_t a, b;
	pthread_t t;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&bg.loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_channel_write(a, 0, "x", 1, NULL, 0));
	memset(&w, 0, sizeof(w));
	w.wait.handler = wait_handler;
	w.wait.object = b;
	w.wait.trigger = ZX_CHANNEL_READABLE;
	bg.w = &w;
	assert_int_equal(pthread_create(&t, NULL, beginner_main, &bg), 0);
	ASSERT_OK(cfidl_loop_run(bg.loop, zx_deadline_after(ZX_SEC(10)), true));
	pthread_join(t, NULL);
	ASSERT_OK(bg.st);
	assert_int_equal(w.calls, 1);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_handle_close(b));
	cfidl_loop_destroy(bg.loop);
}

/* ---- destroy ---- */

static int closure_status_calls;
static zx_status_t closure_status;

static void closure_rec(void *ctx, zx_status_t status)
{
	(void)ctx;
	closure_status_calls++;
	closure_status = status;
}

static zx_status_t post_during_cancel;

static void cancel_reposter(cfidl_loop_t *loop, cfidl_task_t *task,
                            zx_status_t status)
{
	struct rec *r = (struct rec *)task;

	r->calls++;
	r->status = status;
	/* Shutting down: refused, and so never called. */
	post_during_cancel = cfidl_task_post(loop, task);
}

static void destroy_cancels_everything(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	struct wrec w[2];
	struct rec t[2];

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	memset(w, 0, sizeof(w));
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 2; i++) {
		w[i].wait.handler = wait_handler;
		w[i].wait.object = b;
		w[i].wait.trigger = ZX_CHANNEL_READABLE;
		ASSERT_OK(cfidl_wait_begin(loop, &w[i].wait));
	}
	/* w[1] is ready (not yet run) when the loop dies. */
	ASSERT_OK(cfidl_wait_cancel(loop, &w[1].wait));
	ASSERT_OK(zx_channel_write(a, 0, "x", 1, NULL, 0));
	ASSERT_OK(cfidl_wait_begin(loop, &w[1].wait));
	t[0].task.handler = rec_handler;
	t[0].task.deadline = ZX_TIME_INFINITE;
	ASSERT_OK(cfidl_task_post(loop, &t[0].task));
	t[1].task.handler = cancel_reposter;
	t[1].task.deadline = zx_deadline_after(ZX_SEC(100));
	ASSERT_OK(cfidl_task_post(loop, &t[1].task));
	ASSERT_OK(cfidl_loop_post(loop, closure_rec, NULL));
	cfidl_loop_destroy(loop);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(w[i].calls, 1);
		ASSERT_ST(w[i].status, ZX_ERR_CANCELED);
		assert_int_equal(t[i].calls, 1);
		ASSERT_ST(t[i].status, ZX_ERR_CANCELED);
	}
	assert_int_equal(closure_status_calls, 1);
	ASSERT_ST(closure_status, ZX_ERR_CANCELED);
	ASSERT_ST(post_during_cancel, ZX_ERR_BAD_STATE);
	/* The waits let go of the channel: closing it really closes. */
	ASSERT_OK(zx_handle_close(b));
	ASSERT_OK(zx_object_wait_one(a, ZX_CHANNEL_PEER_CLOSED, 0, NULL));
	ASSERT_OK(zx_handle_close(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(tasks_in_order),
	    RT_TEST(equal_deadlines_and_cancel),
	    RT_TEST(run_until_idle_reposts),
	    RT_TEST(quit_and_reset),
	    RT_TEST(post_from_thread),
	    RT_TEST(quit_from_thread),
	    RT_TEST(wait_channel),
	    RT_TEST(wait_errors_and_cancel),
	    RT_TEST(wait_event_from_thread),
	    RT_TEST(idle_waits_do_not_spin),
	    RT_TEST(rearm_from_handler),
	    RT_TEST(blind_wait_rearmed),
	    RT_TEST(begin_from_thread),
	    RT_TEST(destroy_cancels_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
