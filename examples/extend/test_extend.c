/* Evolving a protocol (RFC-0138): a client built from v2.fidl talks to a
 * server built from v1.fidl, and a v2 server to a v1 client.  The v1 side
 * lives in a module loaded with dlopen (extend_v1.h says why).  Each new
 * interaction behaves as RFC-0138 says, the renamed method keeps its
 * ordinal through @selector, and nothing hangs: every wait has a deadline
 * and an alarm ends the whole run if one is missed. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/loop.h>
#include <cfidl/wait.h>

#include "examples.extend.h" /* v2 */
#include "extend_v1.h"

/* The longest any single wait may take. */
#define WAIT ZX_SEC(5)

static struct {
	void *dl;
	extend_v1_server_start_fn server_start;
	extend_v1_server_stop_fn server_stop;
	extend_v1_call_twice_fn call_twice;
	extend_v1_read_event_fn read_event;
	extend_v1_twice_ordinal_fn twice_ordinal;
} v1;

/* A v2 client channel served by the v1 server. */
static zx_handle_t connect_v1(void)
{
	zx_handle_t client, server;
	assert_int_equal(zx_channel_create(0, &client, &server), ZX_OK);
	assert_int_equal(v1.server_start(server), ZX_OK);
	return client;
}

/* The channel still works: a method both versions know. */
static void assert_usable(zx_handle_t ch)
{
	uint64_t value = 0;
	assert_int_equal(examples_extend_StoreGet(ch, 4, &value), ZX_OK);
	assert_int_equal(value, 40);
}

static void new_flexible_two_way(void **state)
{
	(void)state;
	zx_handle_t ch = connect_v1();
	uint64_t n = 99;
	/* framework_err UNKNOWN_METHOD, reported by the sync client as: */
	assert_int_equal(examples_extend_StoreCount(ch, &n),
	                 ZX_ERR_NOT_SUPPORTED);
	assert_int_equal(n, 99);
	assert_usable(ch);
	zx_handle_close(ch);
	extend_v1_unknown_t seen;
	/* The binding ended because the client went away. */
	assert_int_equal(v1.server_stop(&seen), ZX_ERR_PEER_CLOSED);
	assert_int_equal(seen.count, 1);
	assert_true(seen.ordinal == examples_extend_StoreCountOrdinal);
	assert_true(seen.two_way);
}

static void new_flexible_one_way(void **state)
{
	(void)state;
	zx_handle_t ch = connect_v1();
	assert_int_equal(examples_extend_StoreHint(ch, 3), ZX_OK);
	/* Served in order: after this reply, Hint was seen and dropped. */
	assert_usable(ch);
	zx_signals_t sig = 0;
	assert_int_equal(
	    zx_object_wait_one(ch, ZX_CHANNEL_PEER_CLOSED, 0, &sig),
	    ZX_ERR_TIMED_OUT);
	zx_handle_close(ch);
	extend_v1_unknown_t seen;
	assert_int_equal(v1.server_stop(&seen), ZX_ERR_PEER_CLOSED);
	assert_int_equal(seen.count, 1);
	assert_true(seen.ordinal == examples_extend_StoreHintOrdinal);
	assert_false(seen.two_way);
}

static void new_strict_method_closes(void **state)
{
	(void)state;
	zx_handle_t ch = connect_v1();
	/* The server closes the channel: no reply ever comes. */
	assert_int_equal(examples_extend_StoreReset(ch), ZX_ERR_PEER_CLOSED);
	zx_signals_t sig = 0;
	assert_int_equal(zx_object_wait_one(ch, ZX_CHANNEL_PEER_CLOSED,
	                                    zx_deadline_after(WAIT), &sig),
	                 ZX_OK);
	/* Later calls fail at once. */
	uint64_t value = 0;
	assert_int_equal(examples_extend_StoreGet(ch, 1, &value),
	                 ZX_ERR_PEER_CLOSED);
	zx_handle_close(ch);
	extend_v1_unknown_t seen;
	/* Closed by the server, with NOT_SUPPORTED as its epitaph. */
	assert_int_equal(v1.server_stop(&seen), ZX_ERR_NOT_SUPPORTED);
	assert_int_equal(seen.count, 0);
}

/* The epitaph itself, read with the async client on a loop. */
typedef struct async_state {
	cfidl_loop_t *loop;
	zx_status_t reply;
	zx_status_t error;
} async_state;

static void on_reset_reply(void *ctx, zx_status_t status,
                           fidl_incoming_msg_t *msg)
{
	async_state *st = ctx;
	st->reply = status;
	if (msg)
		st->reply = examples_extend_StoreReset_decode_response(msg);
}

static void on_error(void *ctx, zx_status_t status)
{
	async_state *st = ctx;
	st->error = status;
	cfidl_loop_quit(st->loop);
}

static void new_strict_method_epitaph(void **state)
{
	(void)state;
	async_state st = {NULL, ZX_OK, ZX_OK};
	assert_int_equal(cfidl_loop_create(&st.loop), ZX_OK);
	cfidl_client_handlers_t handlers = {NULL, on_error};
	cfidl_client_t *client = NULL;
	assert_int_equal(
	    cfidl_client_create(st.loop, connect_v1(), &handlers, &st, &client),
	    ZX_OK);
	assert_int_equal(
	    examples_extend_StoreReset_async(client, on_reset_reply, &st),
	    ZX_OK);
	assert_int_equal(
	    cfidl_loop_run(st.loop, zx_deadline_after(WAIT), false),
	    ZX_ERR_CANCELED);
	/* The pending call and the client both learn the epitaph. */
	assert_int_equal(st.reply, ZX_ERR_NOT_SUPPORTED);
	assert_int_equal(st.error, ZX_ERR_NOT_SUPPORTED);
	cfidl_client_destroy(client);
	cfidl_loop_destroy(st.loop);
	assert_int_equal(v1.server_stop(NULL), ZX_ERR_NOT_SUPPORTED);
}

static void new_event_to_v1_client(void **state)
{
	(void)state;
	zx_handle_t client, server;
	assert_int_equal(zx_channel_create(0, &client, &server), ZX_OK);
	uint32_t key = 0;
	extend_v1_unknown_t seen = {0, false, 0};

	/* v2 server -> v1 client: a known event, then the new one. */
	assert_int_equal(examples_extend_Store_send_OnChanged(server, 8),
	                 ZX_OK);
	assert_int_equal(examples_extend_Store_send_OnCleared(server), ZX_OK);
	assert_int_equal(
	    v1.read_event(client, zx_deadline_after(WAIT), true, &key, &seen),
	    ZX_OK);
	assert_int_equal(key, 8);
	assert_int_equal(seen.count, 0);
	assert_int_equal(
	    v1.read_event(client, zx_deadline_after(WAIT), true, &key, &seen),
	    ZX_OK);
	assert_int_equal(seen.count, 1);
	assert_true(seen.ordinal == examples_extend_StoreOnClearedOrdinal);

	/* Without an unknown-event handler it is dropped, not an error. */
	assert_int_equal(examples_extend_Store_send_OnCleared(server), ZX_OK);
	assert_int_equal(
	    v1.read_event(client, zx_deadline_after(WAIT), false, &key, &seen),
	    ZX_OK);
	assert_int_equal(seen.count, 1);

	/* Nothing else arrives; the wait ends at its deadline. */
	assert_int_equal(v1.read_event(client, zx_deadline_after(ZX_MSEC(20)),
	                               true, &key, &seen),
	                 ZX_ERR_TIMED_OUT);
	zx_handle_close(client);
	zx_handle_close(server);
}

/* ---- @selector: a v1 client calls the renamed method of a v2 server ---- */

typedef struct v2_server {
	cfidl_loop_t *loop;
	pthread_t thread;
	int doubled;
} v2_server;

static zx_status_t v2_get(void *ctx, uint32_t key, fidl_txn_t *txn)
{
	(void)ctx;
	return examples_extend_StoreGet_reply(txn, key);
}

static zx_status_t v2_double(void *ctx, uint32_t n, fidl_txn_t *txn)
{
	((v2_server *)ctx)->doubled++;
	return examples_extend_StoreDouble_reply(txn, n * 2);
}

static const examples_extend_Store_ops_t v2_ops = {
    .Get = v2_get,
    .Double = v2_double,
};

static void *v2_serve(void *arg)
{
	v2_server *s = arg;
	cfidl_loop_run(s->loop, zx_deadline_after(4 * WAIT), false);
	return NULL;
}

static void selector_keeps_ordinal(void **state)
{
	(void)state;
	assert_true(v1.twice_ordinal() == examples_extend_StoreDoubleOrdinal);

	v2_server s = {NULL, 0, 0};
	zx_handle_t client, server;
	assert_int_equal(zx_channel_create(0, &client, &server), ZX_OK);
	assert_int_equal(cfidl_loop_create(&s.loop), ZX_OK);
	assert_int_equal(
	    cfidl_bind(s.loop, server,
	               CFIDL_DISPATCH(examples_extend_Store_dispatch), &s,
	               &v2_ops),
	    ZX_OK);
	assert_int_equal(pthread_create(&s.thread, NULL, v2_serve, &s), 0);

	uint32_t n = 0;
	zx_status_t st = v1.call_twice(client, 21, &n);
	zx_handle_close(client);
	cfidl_loop_quit(s.loop);
	pthread_join(s.thread, NULL);
	cfidl_loop_destroy(s.loop);
	assert_int_equal(st, ZX_OK);
	assert_int_equal(n, 42);
	assert_int_equal(s.doubled, 1);
}

/* ---- setup: the module, and no fd leaked by the whole group ---- */

static int fd_count(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int fds_at_start;

static void *sym(const char *name)
{
	void *p = dlsym(v1.dl, name);
	if (!p)
		fprintf(stderr, "# %s: %s\n", name, dlerror());
	return p;
}

static int group_setup(void **state)
{
	(void)state;
	const char *dir = getenv("top_builddir");
	char path[4096];
	snprintf(path, sizeof(path), "%s/examples/extend/.libs/extend_v1.so",
	         dir ? dir : ".");
	v1.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!v1.dl) {
		fprintf(stderr, "# %s\n", dlerror());
		return -1;
	}
	/* dlsym gives object pointers; the function types are the module's. */
	*(void **)&v1.server_start = sym(EXTEND_V1_SERVER_START);
	*(void **)&v1.server_stop = sym(EXTEND_V1_SERVER_STOP);
	*(void **)&v1.call_twice = sym(EXTEND_V1_CALL_TWICE);
	*(void **)&v1.read_event = sym(EXTEND_V1_READ_EVENT);
	*(void **)&v1.twice_ordinal = sym(EXTEND_V1_TWICE_ORD);
	if (!v1.server_start || !v1.server_stop || !v1.call_twice ||
	    !v1.read_event || !v1.twice_ordinal)
		return -1;
	fds_at_start = fd_count();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	int leaked = fd_count() != fds_at_start;
	dlclose(v1.dl);
	return leaked ? -1 : 0;
}

int main(void)
{
	/* A missed deadline kills the run instead of hanging make check. */
	alarm(60);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(new_flexible_two_way),
	    cmocka_unit_test(new_flexible_one_way),
	    cmocka_unit_test(new_strict_method_closes),
	    cmocka_unit_test(new_strict_method_epitaph),
	    cmocka_unit_test(new_event_to_v1_client),
	    cmocka_unit_test(selector_keeps_ordinal),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
