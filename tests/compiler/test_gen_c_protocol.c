/* The generated protocol bindings over a real channel pair: synchronous
 * client calls served by the generated dispatcher in a server thread,
 * replies with results and errors, one-way methods with handles, events,
 * and RFC-0138's unknown interactions (flexible two-way answered with
 * framework_err UNKNOWN_METHOD, strict closes with an epitaph, unknown
 * flexible events passed to a handler). Protocol Echo of
 * tests/compiler/gen_c/codec.test.fidl. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <pthread.h>
#include <string.h>

#include <cfidl/syscalls.h>

#include "test.gencodec.h"

/* ---- a one-channel server in a thread ---- */

typedef struct server {
	zx_handle_t channel;
	pthread_t thread;
	zx_status_t closed_with; /* the dispatcher's status that ended it */
	uint64_t unknown_ordinal;
	bool unknown_two_way;
	zx_obj_type_t sent_type;
	uint32_t notified;
	const test_gencodec_Echo_ops_t *ops; /* NULL: the full table */
} server;

static zx_status_t txn_reply(fidl_txn_t *txn, const fidl_outgoing_msg_t *msg)
{
	fidl_message_header_t *hdr = msg->bytes;
	hdr->txid = txn->txid;
	txn->txid = 0;
	return zx_channel_write_etc(txn->channel, 0, msg->bytes, msg->num_bytes,
	                            msg->handles, msg->num_handles);
}

static zx_status_t echo_string(void *ctx, const char *value_data,
                               size_t value_size, uint32_t n, fidl_txn_t *txn)
{
	(void)ctx;
	return test_gencodec_EchoEchoString_reply(txn, value_data, value_size,
	                                          n + 1);
}

static zx_status_t add(void *ctx, int32_t a, int32_t b, fidl_txn_t *txn)
{
	(void)ctx;
	if (a < 0)
		return test_gencodec_EchoAdd_reply_error(txn, 42);
	return test_gencodec_EchoAdd_reply(txn, a + b);
}

/* Ping sends the event OnPing(5) first. */
static zx_status_t ping(void *ctx, fidl_txn_t *txn)
{
	(void)ctx;
	zx_status_t st = test_gencodec_Echo_send_OnPing(txn->channel, 5);
	if (st != ZX_OK)
		return st;
	return test_gencodec_EchoPing_reply(txn);
}

static zx_status_t send(void *ctx, zx_handle_t h)
{
	server *s = ctx;
	zx_info_handle_basic_t info;
	if (zx_object_get_info(h, ZX_INFO_HANDLE_BASIC, &info, sizeof(info),
	                       NULL, NULL) == ZX_OK)
		s->sent_type = info.type;
	zx_handle_close(h);
	return ZX_OK;
}

static zx_status_t notify(void *ctx, const test_gencodec_Padded *addr)
{
	server *s = ctx;
	s->notified = addr->b;
	return ZX_OK;
}

static void unknown_method(void *ctx, uint64_t ordinal, bool two_way)
{
	server *s = ctx;
	s->unknown_ordinal = ordinal;
	s->unknown_two_way = two_way;
}

static const test_gencodec_Echo_ops_t ops = {
    .EchoString = echo_string,
    .Add = add,
    .Ping = ping,
    .Send = send,
    .Notify = notify,
    .unknown_method = unknown_method,
};

static void *serve(void *arg)
{
	server *s = arg;
	_Alignas(8) uint8_t bytes[ZX_CHANNEL_MAX_MSG_BYTES];
	zx_handle_info_t handles[ZX_CHANNEL_MAX_MSG_HANDLES];
	for (;;) {
		zx_signals_t seen = 0;
		zx_object_wait_one(s->channel,
		                   ZX_CHANNEL_READABLE | ZX_CHANNEL_PEER_CLOSED,
		                   ZX_TIME_INFINITE, &seen);
		uint32_t nb = 0, nh = 0;
		zx_status_t st = zx_channel_read_etc(
		    s->channel, 0, bytes, handles, sizeof(bytes),
		    ZX_CHANNEL_MAX_MSG_HANDLES, &nb, &nh);
		if (st == ZX_ERR_SHOULD_WAIT)
			continue;
		if (st != ZX_OK)
			break;
		fidl_incoming_msg_t msg = {bytes, nb, handles, nh};
		fidl_txn_t txn = {txn_reply, s->channel,
		                  ((fidl_message_header_t *)bytes)->txid};
		st = test_gencodec_Echo_dispatch(s, &txn, &msg,
		                                 s->ops ? s->ops : &ops);
		if (st != ZX_OK) {
			s->closed_with = st;
			fidl_epitaph_write(s->channel, st);
			break;
		}
	}
	zx_handle_close(s->channel);
	return NULL;
}

static zx_handle_t start_with(server *s, const test_gencodec_Echo_ops_t *o)
{
	zx_handle_t client;
	memset(s, 0, sizeof(*s));
	s->ops = o;
	assert_int_equal(zx_channel_create(0, &client, &s->channel), ZX_OK);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	return client;
}

static zx_handle_t start(server *s)
{
	return start_with(s, NULL);
}

static void stop(server *s, zx_handle_t client)
{
	zx_handle_close(client);
	pthread_join(s->thread, NULL);
}

/* ---- tests ---- */

static void two_way_calls(void **state)
{
	(void)state;
	server s;
	zx_handle_t ch = start(&s);

	_Alignas(8) uint8_t buf[256];
	fidl_string_t out = {0, NULL};
	uint32_t n = 0;
	assert_int_equal(test_gencodec_EchoEchoString(ch, "hello", 5, 7, buf,
	                                              sizeof(buf), &out, &n),
	                 ZX_OK);
	assert_int_equal(out.size, 5);
	assert_memory_equal(out.data, "hello", 5);
	assert_int_equal(n, 8);

	int32_t sum = 0;
	uint32_t err = 0;
	assert_int_equal(test_gencodec_EchoAdd(ch, 2, 3, &sum, &err), ZX_OK);
	assert_int_equal(sum, 5);
	assert_int_equal(err, 0);
	sum = 0;
	assert_int_equal(test_gencodec_EchoAdd(ch, -1, 3, &sum, &err), ZX_OK);
	assert_int_equal(err, 42);
	assert_int_equal(sum, 0);

	assert_int_equal(test_gencodec_EchoPing(ch), ZX_OK);

	/* string:32 is checked before anything is sent */
	char big[40];
	memset(big, 'x', sizeof(big));
	assert_int_equal(test_gencodec_EchoEchoString(ch, big, sizeof(big), 1,
	                                              buf, sizeof(buf), &out,
	                                              &n),
	                 ZX_ERR_INVALID_ARGS);
	stop(&s, ch);
}

static void one_way_with_handle(void **state)
{
	(void)state;
	server s;
	zx_handle_t ch = start(&s);
	zx_handle_t ev;
	assert_int_equal(zx_event_create(0, &ev), ZX_OK);
	assert_int_equal(test_gencodec_EchoSend(ch, ev), ZX_OK);
	test_gencodec_Padded addr = {1, 99, 3};
	assert_int_equal(test_gencodec_EchoNotify(ch, &addr), ZX_OK);
	/* a two-way call after them: both one-way messages were served */
	assert_int_equal(test_gencodec_EchoPing(ch), ZX_OK);
	assert_int_equal(s.sent_type, ZX_OBJ_TYPE_EVENT);
	assert_int_equal(s.notified, 99);
	stop(&s, ch);
}

/* Sends a request with an ordinal the server does not know. */
static void write_unknown(zx_handle_t ch, zx_txid_t txid, bool flexible)
{
	fidl_message_header_t hdr;
	fidl_init_header(&hdr, txid, 0x1234567812345678ull, flexible);
	assert_int_equal(zx_channel_write(ch, 0, &hdr, sizeof(hdr), NULL, 0),
	                 ZX_OK);
}

static void unknown_flexible_methods(void **state)
{
	(void)state;
	server s;
	zx_handle_t ch = start(&s);

	/* one-way: dropped, the handler told */
	write_unknown(ch, 0, true);
	assert_int_equal(test_gencodec_EchoPing(ch), ZX_OK);
	assert_true(s.unknown_ordinal == 0x1234567812345678ull);
	assert_false(s.unknown_two_way);

	/* two-way: framework_err UNKNOWN_METHOD */
	fidl_message_header_t hdr;
	fidl_init_header(&hdr, 77, 0x1234567812345678ull, true);
	_Alignas(8) uint8_t reply[64];
	zx_channel_call_args_t args = {&hdr,        NULL, reply,         NULL,
	                               sizeof(hdr), 0,    sizeof(reply), 0};
	uint32_t nb = 0, nh = 0;
	assert_int_equal(
	    zx_channel_call(ch, 0, ZX_TIME_INFINITE, &args, &nb, &nh), ZX_OK);
	static const uint8_t body[] = {
	    3,    0,    0,    0,    0, 0, 0, 0, /* framework_err */
	    0xfe, 0xff, 0xff, 0xff, 0, 0, 1, 0, /* -2, inlined */
	};
	assert_int_equal(nb, 32);
	assert_memory_equal(reply + 16, body, sizeof(body));
	assert_true(s.unknown_two_way);
	stop(&s, ch);
}

static void unknown_strict_method_closes(void **state)
{
	(void)state;
	server s;
	zx_handle_t ch = start(&s);
	write_unknown(ch, 5, false);
	pthread_join(s.thread, NULL);
	assert_int_equal(s.closed_with, ZX_ERR_NOT_SUPPORTED);

	/* The epitaph, then nothing. */
	_Alignas(8) uint8_t bytes[64];
	uint32_t nb = 0, nh = 0;
	assert_int_equal(
	    zx_channel_read(ch, 0, bytes, NULL, sizeof(bytes), 0, &nb, &nh),
	    ZX_OK);
	fidl_incoming_msg_t msg = {bytes, nb, NULL, 0};
	zx_status_t epitaph = ZX_OK;
	assert_true(fidl_is_epitaph(&msg));
	assert_int_equal(fidl_epitaph_decode(&msg, &epitaph), ZX_OK);
	assert_int_equal(epitaph, ZX_ERR_NOT_SUPPORTED);
	assert_int_equal(test_gencodec_EchoPing(ch), ZX_ERR_PEER_CLOSED);
	zx_handle_close(ch);
}

/* An ops entry left NULL: the server closes the channel with the
 * NOT_SUPPORTED epitaph instead of calling through NULL; the event the
 * request carried is closed (the fd count at the end would show it). */
static void unimplemented_method_closes(void **state)
{
	(void)state;
	test_gencodec_Echo_ops_t partial = ops;
	partial.Send = NULL;
	server s;
	zx_handle_t ch = start_with(&s, &partial);
	zx_handle_t ev;
	assert_int_equal(zx_event_create(0, &ev), ZX_OK);
	assert_int_equal(test_gencodec_EchoSend(ch, ev), ZX_OK);
	pthread_join(s.thread, NULL);
	assert_int_equal(s.closed_with, ZX_ERR_NOT_SUPPORTED);
	assert_int_equal(test_gencodec_EchoPing(ch), ZX_ERR_PEER_CLOSED);
	zx_handle_close(ch);
}

static void garbage_closes_with_epitaph(void **state)
{
	(void)state;
	server s;
	zx_handle_t ch = start(&s);
	/* EchoString with a string that is absent */
	_Alignas(8) uint8_t bytes[16 + 24];
	memset(bytes, 0, sizeof(bytes));
	fidl_init_header((fidl_message_header_t *)bytes, 9,
	                 test_gencodec_EchoEchoStringOrdinal, false);
	assert_int_equal(zx_channel_write(ch, 0, bytes, sizeof(bytes), NULL, 0),
	                 ZX_OK);
	pthread_join(s.thread, NULL);
	assert_int_equal(s.closed_with, ZX_ERR_INVALID_ARGS);
	zx_handle_close(ch);
}

typedef struct events_seen {
	uint64_t ping;
	uint64_t unknown;
	int flex;
} events_seen;

static void on_ping(void *ctx, uint64_t n)
{
	((events_seen *)ctx)->ping = n;
}

static void on_flex(void *ctx)
{
	((events_seen *)ctx)->flex++;
}

static void on_unknown(void *ctx, uint64_t ordinal)
{
	((events_seen *)ctx)->unknown = ordinal;
}

static zx_status_t read_event(zx_handle_t ch, events_seen *seen,
                              const test_gencodec_Echo_event_handlers_t *h)
{
	_Alignas(8) uint8_t bytes[256];
	zx_handle_info_t handles[4];
	uint32_t nb = 0, nh = 0;
	assert_int_equal(zx_channel_read_etc(ch, 0, bytes, handles,
	                                     sizeof(bytes), 4, &nb, &nh),
	                 ZX_OK);
	fidl_incoming_msg_t msg = {bytes, nb, handles, nh};
	return test_gencodec_Echo_handle_event(h, seen, &msg);
}

static void events(void **state)
{
	(void)state;
	zx_handle_t a, b;
	assert_int_equal(zx_channel_create(0, &a, &b), ZX_OK);
	test_gencodec_Echo_event_handlers_t h = {on_ping, on_flex, on_unknown};
	events_seen seen = {0, 0, 0};

	assert_int_equal(test_gencodec_Echo_send_OnPing(b, 7), ZX_OK);
	assert_int_equal(read_event(a, &seen, &h), ZX_OK);
	assert_int_equal(seen.ping, 7);
	assert_int_equal(test_gencodec_Echo_send_OnFlex(b), ZX_OK);
	assert_int_equal(read_event(a, &seen, &h), ZX_OK);
	assert_int_equal(seen.flex, 1);

	/* unknown flexible: the handler; unknown strict: an error */
	write_unknown(b, 0, true);
	assert_int_equal(read_event(a, &seen, &h), ZX_OK);
	assert_true(seen.unknown == 0x1234567812345678ull);
	write_unknown(b, 0, false);
	assert_int_equal(read_event(a, &seen, &h), ZX_ERR_NOT_SUPPORTED);
	/* without a handler, an unknown flexible event is dropped */
	h.unknown_event = NULL;
	write_unknown(b, 0, true);
	assert_int_equal(read_event(a, &seen, &h), ZX_OK);
	zx_handle_close(a);
	zx_handle_close(b);
}

static void on_tick(void *ctx, uint32_t n)
{
	((events_seen *)ctx)->ping = n;
}

/* A closed protocol tolerates no unknown interaction (RFC-0138): even a
 * flexible unknown event is an error, with or without a handler. */
static void closed_protocol_unknown_events(void **state)
{
	(void)state;
	zx_handle_t a, b;
	assert_int_equal(zx_channel_create(0, &a, &b), ZX_OK);
	test_gencodec_Closed_event_handlers_t h = {on_tick, on_unknown};
	events_seen seen = {0, 0, 0};
	_Alignas(8) uint8_t bytes[64];
	uint32_t nb = 0, nh = 0;
	fidl_incoming_msg_t msg = {bytes, 0, NULL, 0};

	assert_int_equal(test_gencodec_Closed_send_OnTick(b, 9), ZX_OK);
	assert_int_equal(
	    zx_channel_read(a, 0, bytes, NULL, sizeof(bytes), 0, &nb, &nh),
	    ZX_OK);
	msg.num_bytes = nb;
	assert_int_equal(test_gencodec_Closed_handle_event(&h, &seen, &msg),
	                 ZX_OK);
	assert_int_equal(seen.ping, 9);

	write_unknown(b, 0, true);
	assert_int_equal(
	    zx_channel_read(a, 0, bytes, NULL, sizeof(bytes), 0, &nb, &nh),
	    ZX_OK);
	msg.num_bytes = nb;
	assert_int_equal(test_gencodec_Closed_handle_event(&h, &seen, &msg),
	                 ZX_ERR_NOT_SUPPORTED);
	assert_true(seen.unknown == 0);
	zx_handle_close(a);
	zx_handle_close(b);
}

/* ---- the asynchronous client and a bound server on one loop ---- */

typedef struct async_state {
	cfidl_loop_t *loop;
	zx_status_t status;
	zx_status_t decoded;
	uint32_t n;
	char text[8];
	uint64_t event;
} async_state;

static void on_echo(void *ctx, zx_status_t status, fidl_incoming_msg_t *msg)
{
	async_state *st = ctx;
	test_gencodec_EchoEchoStringResponse *r = NULL;
	st->status = status;
	if (status == ZX_OK) {
		st->decoded =
		    test_gencodec_EchoEchoString_decode_response(msg, &r);
		if (st->decoded == ZX_OK &&
		    r->response.size < sizeof(st->text)) {
			st->n = r->n;
			memcpy(st->text, r->response.data, r->response.size);
		}
	}
	cfidl_loop_quit(st->loop);
}

static void on_async_ping(void *ctx, uint64_t n)
{
	async_state *st = ctx;
	st->event = n;
}

static void on_ping_reply(void *ctx, zx_status_t status,
                          fidl_incoming_msg_t *msg)
{
	async_state *st = ctx;
	st->status = status;
	st->decoded = status == ZX_OK
	                  ? test_gencodec_EchoPing_decode_response(msg)
	                  : status;
	cfidl_loop_quit(st->loop);
}

static void on_event(void *ctx, fidl_incoming_msg_t *msg)
{
	static const test_gencodec_Echo_event_handlers_t h = {on_async_ping,
	                                                      NULL, NULL};
	test_gencodec_Echo_handle_event(&h, ctx, msg);
}

static void async_client(void **state)
{
	(void)state;
	async_state st;
	memset(&st, 0, sizeof(st));
	assert_int_equal(cfidl_loop_create(&st.loop), ZX_OK);
	zx_handle_t c, srv;
	assert_int_equal(zx_channel_create(0, &c, &srv), ZX_OK);
	server s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(cfidl_bind(st.loop, srv,
	                            CFIDL_DISPATCH(test_gencodec_Echo_dispatch),
	                            &s, &ops),
	                 ZX_OK);
	cfidl_client_handlers_t handlers = {on_event, NULL};
	cfidl_client_t *client = NULL;
	assert_int_equal(
	    cfidl_client_create(st.loop, c, &handlers, &st, &client), ZX_OK);

	assert_int_equal(test_gencodec_EchoEchoString_async(client, "abc", 3,
	                                                    41, on_echo, &st),
	                 ZX_OK);
	cfidl_loop_run(st.loop, ZX_TIME_INFINITE, false);
	assert_int_equal(st.status, ZX_OK);
	assert_int_equal(st.decoded, ZX_OK);
	assert_int_equal(st.n, 42);
	assert_string_equal(st.text, "abc");

	/* The event comes before the reply, through the event handlers. */
	cfidl_loop_reset_quit(st.loop);
	st.status = st.decoded = ZX_ERR_INTERNAL;
	assert_int_equal(
	    test_gencodec_EchoPing_async(client, on_ping_reply, &st), ZX_OK);
	cfidl_loop_run(st.loop, ZX_TIME_INFINITE, false);
	assert_int_equal(st.status, ZX_OK);
	assert_int_equal(st.decoded, ZX_OK);
	assert_int_equal(st.event, 5);

	cfidl_client_destroy(client);
	cfidl_loop_destroy(st.loop);
}

static void ordinals(void **state)
{
	(void)state;
	/* RFC-0029: the first 8 bytes of
	 * sha256("test.gencodec/Echo.EchoString") little-endian, top bit
	 * cleared (computed with Python's hashlib). */
	assert_true(test_gencodec_EchoEchoStringOrdinal ==
	            2121956575461125247ull);
	assert_true(test_gencodec_ClosedGetOrdinal == 1906227164603179869ull);
}

/* Open file descriptors, so the whole run can be checked for leaks. */
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

static int group_setup(void **state)
{
	(void)state;
	fds_at_start = fd_count();
	return 0;
}

/* Fails the group when a test left a file descriptor open. */
static int group_teardown(void **state)
{
	(void)state;
	return fd_count() == fds_at_start ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(two_way_calls),
	    cmocka_unit_test(one_way_with_handle),
	    cmocka_unit_test(unknown_flexible_methods),
	    cmocka_unit_test(unknown_strict_method_closes),
	    cmocka_unit_test(unimplemented_method_closes),
	    cmocka_unit_test(garbage_closes_with_epitaph),
	    cmocka_unit_test(events),
	    cmocka_unit_test(closed_protocol_unknown_events),
	    cmocka_unit_test(async_client),
	    cmocka_unit_test(ordinals),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
