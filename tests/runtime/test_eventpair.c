/* Events and eventpairs: user signals, peer signals, peer closed. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_test.h"

static zx_signals_t signals_of(zx_handle_t h)
{
	zx_signals_t obs = 0;

	zx_object_wait_one(h, 0, 0, &obs);
	return obs;
}

static void event_signals(void **state)
{
	zx_handle_t e, nosig;

	(void)state;
	ASSERT_ST(zx_event_create(1, &e), ZX_ERR_INVALID_ARGS);
	ASSERT_OK(zx_event_create(0, &e));
	assert_int_equal(rt_info(e).type, ZX_OBJ_TYPE_EVENT);
	assert_int_equal(rt_info(e).rights, ZX_DEFAULT_EVENT_RIGHTS);
	assert_int_equal(signals_of(e), 0);
	ASSERT_OK(zx_object_signal(e, 0, ZX_EVENT_SIGNALED | ZX_USER_SIGNAL_3));
	assert_int_equal(signals_of(e), ZX_EVENT_SIGNALED | ZX_USER_SIGNAL_3);
	ASSERT_OK(zx_object_signal(e, ZX_EVENT_SIGNALED, ZX_USER_SIGNAL_7));
	assert_int_equal(signals_of(e), ZX_USER_SIGNAL_3 | ZX_USER_SIGNAL_7);
	/* Only user signals (and SIGNALED) may be touched. */
	ASSERT_ST(zx_object_signal(e, 0, ZX_OBJECT_READABLE),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_object_signal(e, ZX_OBJECT_PEER_CLOSED, 0),
	          ZX_ERR_INVALID_ARGS);
	/* Events have no peer (nor the SIGNAL_PEER right). */
	ASSERT_ST(zx_object_signal_peer(e, 0, ZX_USER_SIGNAL_0),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_handle_duplicate(e, ZX_RIGHT_WAIT, &nosig));
	ASSERT_ST(zx_object_signal(nosig, 0, ZX_USER_SIGNAL_0),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_ST(zx_object_signal(0x3333u, 0, ZX_USER_SIGNAL_0),
	          ZX_ERR_BAD_HANDLE);
	zx_handle_t all[] = {e, nosig};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

static void pair_signals(void **state)
{
	zx_handle_t a, b, nopeer, ch0, ch1;

	(void)state;
	ASSERT_ST(zx_eventpair_create(1, &a, &b), ZX_ERR_INVALID_ARGS);
	ASSERT_OK(zx_eventpair_create(0, &a, &b));
	assert_true(rt_info(a).related_koid == rt_info(b).koid);
	assert_true(rt_info(b).related_koid == rt_info(a).koid);
	ASSERT_OK(zx_object_signal(a, 0, ZX_USER_SIGNAL_0));
	ASSERT_OK(zx_object_signal_peer(a, 0, ZX_USER_SIGNAL_1));
	/* Each end has its own word. */
	assert_int_equal(signals_of(a), ZX_USER_SIGNAL_0);
	assert_int_equal(signals_of(b), ZX_USER_SIGNAL_1);
	ASSERT_OK(
	    zx_object_signal_peer(b, ZX_USER_SIGNAL_0, ZX_EVENTPAIR_SIGNALED));
	assert_int_equal(signals_of(a), ZX_EVENTPAIR_SIGNALED);
	ASSERT_ST(zx_object_signal_peer(a, 0, ZX_OBJECT_WRITABLE),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_OK(
	    zx_handle_duplicate(a, ZX_RIGHT_SIGNAL | ZX_RIGHT_WAIT, &nopeer));
	ASSERT_ST(zx_object_signal_peer(nopeer, 0, ZX_USER_SIGNAL_0),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_object_signal(nopeer, 0, ZX_USER_SIGNAL_5));
	/* Objects without user signals here. */
	ASSERT_OK(zx_channel_create(0, &ch0, &ch1));
	ASSERT_ST(zx_object_signal(ch0, 0, ZX_USER_SIGNAL_0),
	          ZX_ERR_NOT_SUPPORTED);
	ASSERT_ST(zx_object_signal_peer(ch0, 0, ZX_USER_SIGNAL_0),
	          ZX_ERR_NOT_SUPPORTED);
	/* Peer closed: the survivor sees it; signalling the peer fails. */
	ASSERT_OK(zx_handle_close(b));
	assert_true(signals_of(a) & ZX_EVENTPAIR_PEER_CLOSED);
	assert_true(signals_of(a) & ZX_USER_SIGNAL_5);
	ASSERT_ST(zx_object_signal_peer(a, 0, ZX_USER_SIGNAL_0),
	          ZX_ERR_PEER_CLOSED);
	ASSERT_OK(zx_object_signal(a, ZX_USER_SIGNAL_ALL, 0));
	assert_int_equal(signals_of(a),
	                 ZX_EVENTPAIR_PEER_CLOSED | ZX_EVENTPAIR_SIGNALED);
	/* A duplicate keeps the end alive. */
	zx_handle_t c, d, dd;
	ASSERT_OK(zx_eventpair_create(0, &c, &d));
	ASSERT_OK(zx_handle_duplicate(d, ZX_RIGHT_SAME_RIGHTS, &dd));
	ASSERT_OK(zx_handle_close(d));
	assert_false(signals_of(c) & ZX_EVENTPAIR_PEER_CLOSED);
	ASSERT_OK(zx_handle_close(dd));
	assert_true(signals_of(c) & ZX_EVENTPAIR_PEER_CLOSED);
	zx_handle_t all[] = {a, nopeer, ch0, ch1, c};
	ASSERT_OK(zx_handle_close_many(all, 5));
}

/* A signal raised in another process wakes a waiter here. */
static void signal_across_processes(void **state)
{
	zx_handle_t a, b, ch0, ch1, ev;
	zx_signals_t obs;
	zx_time_t t0;
	pid_t pid;
	int status;

	(void)state;
	ASSERT_OK(zx_eventpair_create(0, &a, &b));
	ASSERT_OK(zx_event_create(0, &ev));
	ASSERT_OK(zx_channel_create(0, &ch0, &ch1));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		zx_handle_t got[2];
		uint32_t nb, nh;
		char buf[4];

		zx_handle_close(a);
		zx_handle_close(ev);
		zx_handle_close(ch0);
		zx_object_wait_one(ch1, ZX_CHANNEL_READABLE, ZX_TIME_INFINITE,
		                   NULL);
		if (zx_channel_read(ch1, 0, buf, got, 4, 2, &nb, &nh) != ZX_OK)
			_exit(2);
		usleep(100000); /* let the parent block first */
		zx_object_signal(got[1], 0, ZX_USER_SIGNAL_4); /* the event */
		zx_object_signal_peer(got[0], 0, ZX_USER_SIGNAL_6);
		/* Wait for the parent's answer on our own end. */
		if (zx_object_wait_one(got[0], ZX_USER_SIGNAL_1,
		                       zx_deadline_after(ZX_SEC(10)),
		                       NULL) != ZX_OK)
			_exit(3);
		_exit(0);
	}
	ASSERT_OK(zx_handle_close(ch1));
	zx_handle_t dup;
	ASSERT_OK(zx_handle_duplicate(ev, ZX_RIGHT_SAME_RIGHTS, &dup));
	zx_handle_t send[2] = {b, dup};
	ASSERT_OK(zx_channel_write(ch0, 0, "ep", 2, send, 2));
	t0 = zx_clock_get_monotonic();
	ASSERT_OK(zx_object_wait_one(a, ZX_USER_SIGNAL_6,
	                             zx_deadline_after(ZX_SEC(10)), &obs));
	assert_true(obs & ZX_USER_SIGNAL_6);
	assert_true(zx_clock_get_monotonic() - t0 < ZX_SEC(5));
	/* The event the child signalled is shared with our handle. */
	ASSERT_OK(zx_object_wait_one(ev, ZX_USER_SIGNAL_4,
	                             zx_deadline_after(ZX_SEC(10)), NULL));
	ASSERT_OK(zx_object_signal_peer(a, 0, ZX_USER_SIGNAL_1));
	/* The child exits: its end closes with it. */
	ASSERT_OK(zx_object_wait_one(a, ZX_EVENTPAIR_PEER_CLOSED,
	                             zx_deadline_after(ZX_SEC(10)), &obs));
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	zx_handle_t all[] = {a, ev, ch0};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(event_signals),
	    RT_TEST(pair_signals),
	    RT_TEST(signal_across_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
