/*
 * Server and client bindings with a hand-written dispatcher for a tiny
 * protocol: Add (two-way, uint64 -> uint64 + 1), Defer (two-way, the
 * server keeps the transaction), Note (one-way), Give (two-way, a handle
 * there and back).  Also epitaphs, garbage, dying peers, events.
 */
#include <signal.h>
#include <stdalign.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cfidl/bind.h>
#include <cfidl/loop.h>
#include <cfidl/wire.h>

#include "rt_test.h"

#define ORD_ADD   ((uint64_t)0x1111)
#define ORD_DEFER ((uint64_t)0x2222)
#define ORD_NOTE  ((uint64_t)0x3333)
#define ORD_GIVE  ((uint64_t)0x4444)
#define ORD_EVENT ((uint64_t)0x5555)

struct msg24 {
	fidl_message_header_t hdr;
	uint64_t value;
};

struct server {
	int notes;
	int dispatched;
	fidl_txn_t saved;
	bool have_saved;
	int unbound_calls;
	zx_status_t unbound_reason;
	zx_txid_t txids[256];
	int ntxids;
	cfidl_binding_t *self;
	bool close_in_dispatch;
};

/* The ops table of the tiny protocol. */
typedef struct tiny_ops {
	uint64_t (*add)(uint64_t x);
} tiny_ops_t;

static uint64_t plus_one(uint64_t x)
{
	return x + 1;
}

static const tiny_ops_t ops = {plus_one};

static zx_status_t reply_value(fidl_txn_t *txn, uint64_t ordinal, uint64_t v,
                               zx_handle_t h)
{
	alignas(8) struct msg24 m;
	zx_handle_disposition_t d = {ZX_HANDLE_OP_MOVE, h, ZX_OBJ_TYPE_NONE,
	                             ZX_RIGHT_SAME_RIGHTS, ZX_OK};
	fidl_outgoing_msg_t out = {&m, sizeof(m), &d, h ? 1u : 0u};

	memset(&m, 0, sizeof(m));
	fidl_init_header(&m.hdr, 0, ordinal, false);
	m.value = v;
	return txn->reply(txn, &out);
}

/* Decodes a {uint64 value} or {handle h} body. */
static zx_status_t decode_body(fidl_incoming_msg_t *msg, bool handle,
                               uint64_t *value, zx_handle_t *h)
{
	fidl_decoder_t dec;
	uint32_t off;
	zx_status_t st;

	if (msg->num_bytes < sizeof(fidl_message_header_t)) {
		for (uint32_t i = 0; i < msg->num_handles; i++)
			zx_handle_close(msg->handles[i].handle);
		return ZX_ERR_INVALID_ARGS;
	}
	fidl_decoder_init(&dec, (uint8_t *)msg->bytes + 16, msg->num_bytes - 16,
	                  msg->handles, msg->num_handles);
	st = fidl_decode_begin(&dec, 8, &off);
	if (st == ZX_OK && handle)
		st = fidl_decode_handle(&dec, off, ZX_OBJ_TYPE_EVENT,
		                        ZX_RIGHT_SAME_RIGHTS, false);
	if (st == ZX_OK && handle)
		st = fidl_decode_padding(&dec, off + 4, 4);
	if (st == ZX_OK)
		st = fidl_decode_end(&dec);
	if (st != ZX_OK)
		return st;
	if (handle)
		*h = fidl_load32(dec.bytes + off);
	else
		*value = fidl_load64(dec.bytes + off);
	return ZX_OK;
}

/* Shaped like a generated lib_P_dispatch (typed ops). */
static zx_status_t tiny_dispatch(void *ctx, fidl_txn_t *txn,
                                 fidl_incoming_msg_t *msg, const tiny_ops_t *o)
{
	struct server *s = ctx;
	const fidl_message_header_t *hdr = msg->bytes;
	uint64_t v = 0;
	zx_handle_t h = ZX_HANDLE_INVALID;
	zx_status_t st;

	s->dispatched++;
	if (s->ntxids < 256)
		s->txids[s->ntxids++] = hdr->txid;
	if (s->close_in_dispatch) {
		cfidl_binding_close(s->self, ZX_ERR_BAD_STATE);
		/* The binding is closing: the reply goes nowhere, safely. */
		return ZX_OK;
	}
	switch (hdr->ordinal) {
	case ORD_ADD:
		st = decode_body(msg, false, &v, NULL);
		if (st != ZX_OK)
			return st;
		return reply_value(txn, ORD_ADD, o->add(v), ZX_HANDLE_INVALID);
	case ORD_DEFER:
		st = decode_body(msg, false, &v, NULL);
		if (st != ZX_OK)
			return st;
		s->saved = *txn;
		s->have_saved = true;
		return ZX_OK;
	case ORD_NOTE:
		st = decode_body(msg, false, &v, NULL);
		if (st != ZX_OK)
			return st;
		/* One-way: there is nobody to reply to. */
		assert_int_equal(reply_value(txn, ORD_NOTE, 0, 0),
		                 ZX_ERR_BAD_STATE);
		s->notes++;
		return ZX_OK;
	case ORD_GIVE:
		st = decode_body(msg, true, NULL, &h);
		if (st != ZX_OK)
			return st;
		return reply_value(txn, ORD_GIVE, 0, h);
	default:
		for (uint32_t i = 0; i < msg->num_handles; i++)
			zx_handle_close(msg->handles[i].handle);
		return ZX_ERR_NOT_SUPPORTED;
	}
}

static void on_unbound(void *ctx, zx_status_t reason)
{
	struct server *s = ctx;

	s->unbound_calls++;
	s->unbound_reason = reason;
}

static cfidl_binding_t *serve(cfidl_loop_t *loop, zx_handle_t ch,
                              struct server *s)
{
	cfidl_binding_t *b = NULL;

	ASSERT_OK(cfidl_bind_etc(loop, ch, CFIDL_DISPATCH(tiny_dispatch), s,
	                         &ops, on_unbound, &b));
	s->self = b;
	return b;
}

/* ---- client side ---- */

struct reply {
	int calls;
	zx_status_t status;
	uint64_t value;
	zx_handle_t handle;
	uint64_t ordinal;
	cfidl_client_t *destroy_me;
};

static void on_reply(void *ctx, zx_status_t status, fidl_incoming_msg_t *msg)
{
	struct reply *r = ctx;

	r->calls++;
	r->status = status;
	if (msg) {
		const struct msg24 *m = msg->bytes;

		assert_int_equal(msg->num_bytes, sizeof(*m));
		r->ordinal = m->hdr.ordinal;
		r->value = m->value;
		if (msg->num_handles) {
			r->handle = msg->handles[0].handle;
			for (uint32_t i = 1; i < msg->num_handles; i++)
				zx_handle_close(msg->handles[i].handle);
		}
	}
	if (r->destroy_me)
		cfidl_client_destroy(r->destroy_me);
}

struct events {
	int events;
	int errors;
	zx_status_t error;
	uint64_t value;
};

static void on_event(void *ctx, fidl_incoming_msg_t *msg)
{
	struct events *e = ctx;
	const struct msg24 *m = msg->bytes;

	e->events++;
	e->value = m->value;
	for (uint32_t i = 0; i < msg->num_handles; i++)
		zx_handle_close(msg->handles[i].handle);
}

static void on_error(void *ctx, zx_status_t status)
{
	struct events *e = ctx;

	e->errors++;
	e->error = status;
}

static const cfidl_client_handlers_t handlers = {on_event, on_error};

static zx_status_t call(cfidl_client_t *c, uint64_t ordinal, uint64_t v,
                        zx_handle_t h, struct reply *r)
{
	alignas(8) struct msg24 m;
	zx_handle_disposition_t d = {ZX_HANDLE_OP_MOVE, h, ZX_OBJ_TYPE_EVENT,
	                             ZX_RIGHT_SAME_RIGHTS, ZX_OK};
	fidl_outgoing_msg_t out = {&m, sizeof(m), &d, h ? 1u : 0u};

	memset(&m, 0, sizeof(m));
	fidl_init_header(&m.hdr, 0, ordinal, false);
	m.value = h ? UINT32_MAX : v;
	if (!r)
		return cfidl_client_send(c, &out);
	return cfidl_client_call(c, &out, on_reply, r);
}

static void run_until(cfidl_loop_t *loop, const int *counter, int want)
{
	zx_time_t deadline = zx_deadline_after(ZX_SEC(10));

	while (*counter < want) {
		zx_status_t st = cfidl_loop_run(loop, deadline, true);

		assert_int_equal(st, ZX_OK);
	}
}

/* ---- tests ---- */

static void calls_and_one_way(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	struct server s = {0};
	struct events e = {0};
	cfidl_client_t *c;
	static struct reply r[100];
	int done = 0;

	(void)state;
	memset(r, 0, sizeof(r));
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	serve(loop, b, &s);
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	for (int i = 0; i < 100; i++)
		ASSERT_OK(call(c, ORD_ADD, (uint64_t)i * 10, 0, &r[i]));
	ASSERT_OK(call(c, ORD_NOTE, 0, 0, NULL));
	while (done < 100) {
		ASSERT_OK(
		    cfidl_loop_run(loop, zx_deadline_after(ZX_SEC(10)), true));
		done = 0;
		for (int i = 0; i < 100; i++)
			done += r[i].calls;
	}
	for (int i = 0; i < 100; i++) {
		assert_int_equal(r[i].calls, 1);
		ASSERT_OK(r[i].status);
		assert_int_equal(r[i].value, (uint64_t)i * 10 + 1);
		assert_int_equal(r[i].ordinal, ORD_ADD);
	}
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(s.notes, 1);
	/* Txids: never 0, high bit clear, distinct while pending. */
	for (int i = 0; i < 100; i++) {
		assert_int_not_equal(s.txids[i], 0);
		assert_int_equal(s.txids[i] & 0x80000000u, 0);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(s.txids[i], s.txids[k]);
	}
	assert_int_equal(s.txids[100], 0); /* the one-way */
	/* Steady state reuses slots: more calls, one at a time. */
	for (int i = 0; i < 50; i++) {
		memset(&r[0], 0, sizeof(r[0]));
		ASSERT_OK(call(c, ORD_ADD, 1, 0, &r[0]));
		run_until(loop, &r[0].calls, 1);
		assert_int_equal(r[0].value, 2);
	}
	cfidl_client_destroy(c);
	run_until(loop, &s.unbound_calls, 1);
	ASSERT_ST(s.unbound_reason, ZX_ERR_PEER_CLOSED);
	assert_int_equal(e.errors, 0);
	cfidl_loop_destroy(loop);
	assert_int_equal(s.unbound_calls, 1);
}

static void handles_round_trip(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b, ev;
	struct server s = {0};
	struct events e = {0};
	struct reply r = {0};
	cfidl_client_t *c;
	zx_koid_t koid;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	serve(loop, b, &s);
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	ASSERT_OK(zx_event_create(0, &ev));
	koid = rt_info(ev).koid;
	ASSERT_OK(call(c, ORD_GIVE, 0, ev, &r));
	assert_false(rt_valid(ev)); /* consumed */
	run_until(loop, &r.calls, 1);
	ASSERT_OK(r.status);
	assert_true(rt_valid(r.handle));
	assert_int_equal(rt_info(r.handle).koid, koid);
	ASSERT_OK(zx_handle_close(r.handle));
	cfidl_client_destroy(c);
	cfidl_loop_destroy(loop);
	assert_int_equal(s.unbound_calls, 1);
}

static void reply_later(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	struct server s = {0};
	struct events e = {0};
	struct reply r = {0}, r2 = {0};
	cfidl_client_t *c;
	fidl_txn_t copy;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	serve(loop, b, &s);
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	ASSERT_OK(call(c, ORD_DEFER, 5, 0, &r));
	run_until(loop, &s.dispatched, 1);
	assert_true(s.have_saved);
	/* Other calls are served meanwhile. */
	ASSERT_OK(call(c, ORD_ADD, 7, 0, &r2));
	run_until(loop, &r2.calls, 1);
	assert_int_equal(r2.value, 8);
	assert_int_equal(r.calls, 0);
	/* Now the late reply, through a copy of the transaction. */
	copy = s.saved;
	ASSERT_OK(reply_value(&copy, ORD_DEFER, 42, ZX_HANDLE_INVALID));
	ASSERT_ST(reply_value(&copy, ORD_DEFER, 43, ZX_HANDLE_INVALID),
	          ZX_ERR_BAD_STATE);
	run_until(loop, &r.calls, 1);
	ASSERT_OK(r.status);
	assert_int_equal(r.value, 42);
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	assert_int_equal(r.calls, 1);
	assert_int_equal(e.errors, 0);
	cfidl_client_destroy(c);
	cfidl_loop_destroy(loop);
}

static void reply_after_binding_gone(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b, ev;
	struct server s = {0};
	struct events e = {0};
	struct reply r = {0};
	cfidl_client_t *c;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	serve(loop, b, &s);
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	ASSERT_OK(call(c, ORD_DEFER, 5, 0, &r));
	run_until(loop, &s.dispatched, 1);
	/* The client goes away: its call is canceled, once. */
	cfidl_client_destroy(c);
	assert_int_equal(r.calls, 1);
	ASSERT_ST(r.status, ZX_ERR_CANCELED);
	run_until(loop, &s.unbound_calls, 1);
	ASSERT_ST(s.unbound_reason, ZX_ERR_PEER_CLOSED);
	/* The kept transaction fails cleanly; its handle is closed. */
	ASSERT_OK(zx_event_create(0, &ev));
	ASSERT_ST(reply_value(&s.saved, ORD_DEFER, 1, ev), ZX_ERR_BAD_STATE);
	assert_false(rt_valid(ev));
	assert_int_equal(e.errors, 0);
	cfidl_loop_destroy(loop);
	assert_int_equal(r.calls, 1);
}

static void server_closes_mid_call(void **state)
{
	static const zx_status_t epitaphs[2] = {ZX_OK, ZX_ERR_ACCESS_DENIED};

	(void)state;
	for (int k = 0; k < 2; k++) {
		cfidl_loop_t *loop;
		zx_handle_t a, b;
		struct server s = {0};
		struct events e = {0};
		struct reply r[3];
		cfidl_client_t *c;
		cfidl_binding_t *bnd;
		zx_status_t want =
		    epitaphs[k] == ZX_OK ? ZX_ERR_PEER_CLOSED : epitaphs[k];

		memset(r, 0, sizeof(r));
		ASSERT_OK(cfidl_loop_create(&loop));
		ASSERT_OK(zx_channel_create(0, &a, &b));
		bnd = serve(loop, b, &s);
		ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
		ASSERT_OK(call(c, ORD_DEFER, 1, 0, &r[0]));
		ASSERT_OK(call(c, ORD_DEFER, 2, 0, &r[1]));
		run_until(loop, &s.dispatched, 2);
		cfidl_binding_close(bnd, epitaphs[k]);
		assert_int_equal(s.unbound_calls, 1);
		ASSERT_ST(s.unbound_reason, epitaphs[k]);
		run_until(loop, &e.errors, 1);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(r[i].calls, 1);
			ASSERT_ST(r[i].status, want);
		}
		ASSERT_ST(e.error, want);
		/* Later calls fail at once, and their callback never runs. */
		ASSERT_ST(call(c, ORD_ADD, 1, 0, &r[2]), want);
		ASSERT_ST(call(c, ORD_NOTE, 1, 0, NULL), want);
		ASSERT_OK(cfidl_loop_run_until_idle(loop));
		assert_int_equal(r[2].calls, 0);
		assert_int_equal(e.errors, 1);
		cfidl_client_destroy(c);
		assert_int_equal(r[0].calls + r[1].calls + r[2].calls, 2);
		cfidl_loop_destroy(loop);
	}
}

/* A server process that takes the request and dies without replying. */
static void peer_process_dies_mid_call(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	struct events e = {0};
	struct reply r = {0};
	cfidl_client_t *c;
	pid_t pid;
	int wst;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[64];

		zx_object_wait_one(b, ZX_CHANNEL_READABLE, ZX_TIME_INFINITE,
		                   NULL);
		zx_channel_read(b, 0, buf, NULL, sizeof(buf), 0, NULL, NULL);
		_exit(0);
	}
	ASSERT_OK(zx_handle_close(b));
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	ASSERT_OK(call(c, ORD_ADD, 1, 0, &r));
	run_until(loop, &r.calls, 1);
	ASSERT_ST(r.status, ZX_ERR_PEER_CLOSED);
	assert_int_equal(e.errors, 1);
	ASSERT_ST(e.error, ZX_ERR_PEER_CLOSED);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	cfidl_client_destroy(c);
	cfidl_loop_destroy(loop);
	assert_int_equal(r.calls, 1);
}

/* Reads the epitaph a closed binding left, then PEER_CLOSED. */
static void expect_epitaph(zx_handle_t ch, zx_status_t want)
{
	alignas(8) uint8_t buf[64];
	zx_handle_info_t hi[4];
	uint32_t nb = 0, nh = 0;
	zx_status_t err = ZX_OK;
	fidl_incoming_msg_t msg = {buf, 0, hi, 0};

	/* Skip replies to earlier requests. */
	for (;;) {
		ASSERT_OK(zx_channel_read_etc(ch, 0, buf, hi, sizeof(buf), 4,
		                              &nb, &nh));
		msg.num_bytes = nb;
		msg.num_handles = nh;
		if (fidl_is_epitaph(&msg))
			break;
	}
	assert_int_equal(nb, 24);
	ASSERT_OK(fidl_epitaph_decode(&msg, &err));
	ASSERT_ST(err, want);
	ASSERT_ST(zx_channel_read(ch, 0, buf, NULL, sizeof(buf), 0, &nb, &nh),
	          ZX_ERR_PEER_CLOSED);
}

static void garbage_closes_one_binding(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t raw[4], ends[4], ev;
	struct server s[4];
	struct events e = {0};
	struct reply r = {0};
	cfidl_client_t *good;
	zx_handle_t ga, gb;
	alignas(8) uint8_t junk[24];
	struct server gs = {0};

	(void)state;
	memset(s, 0, sizeof(s));
	ASSERT_OK(cfidl_loop_create(&loop));
	for (int i = 0; i < 4; i++) {
		ASSERT_OK(zx_channel_create(0, &raw[i], &ends[i]));
		serve(loop, ends[i], &s[i]);
	}
	ASSERT_OK(zx_channel_create(0, &ga, &gb));
	serve(loop, gb, &gs);
	ASSERT_OK(cfidl_client_create(loop, ga, &handlers, &e, &good));

	/* 0: bad magic, with a handle riding along. */
	memset(junk, 0xab, sizeof(junk));
	ASSERT_OK(zx_event_create(0, &ev));
	ASSERT_OK(zx_channel_write(raw[0], 0, junk, sizeof(junk), &ev, 1));
	/* 1: too short for a header. */
	ASSERT_OK(zx_channel_write(raw[1], 0, junk, 3, NULL, 0));
	/* 2: unknown ordinal. */
	fidl_init_header((fidl_message_header_t *)junk, 9, 0x9999, false);
	ASSERT_OK(zx_channel_write(raw[2], 0, junk, 16, NULL, 0));
	/* 3: a known method with a bad body (trailing bytes). */
	fidl_init_header((fidl_message_header_t *)junk, 9, ORD_ADD, false);
	memset(junk + 16, 0, 8);
	ASSERT_OK(zx_channel_write(raw[3], 0, junk, 24, NULL, 0));
	ASSERT_OK(zx_channel_write(raw[3], 0, junk, 23, NULL, 0));

	for (int i = 0; i < 4; i++)
		run_until(loop, &s[i].unbound_calls, 1);
	ASSERT_ST(s[0].unbound_reason, ZX_ERR_PROTOCOL_NOT_SUPPORTED);
	ASSERT_ST(s[1].unbound_reason, ZX_ERR_PROTOCOL_NOT_SUPPORTED);
	ASSERT_ST(s[2].unbound_reason, ZX_ERR_NOT_SUPPORTED);
	ASSERT_ST(s[3].unbound_reason, ZX_ERR_INVALID_ARGS);
	expect_epitaph(raw[0], ZX_ERR_PROTOCOL_NOT_SUPPORTED);
	expect_epitaph(raw[1], ZX_ERR_PROTOCOL_NOT_SUPPORTED);
	expect_epitaph(raw[2], ZX_ERR_NOT_SUPPORTED);
	expect_epitaph(raw[3], ZX_ERR_INVALID_ARGS);
	assert_int_equal(s[3].dispatched, 2); /* the first one was fine */

	/* The other binding still serves. */
	ASSERT_OK(call(good, ORD_ADD, 99, 0, &r));
	run_until(loop, &r.calls, 1);
	ASSERT_OK(r.status);
	assert_int_equal(r.value, 100);
	for (int i = 0; i < 4; i++)
		ASSERT_OK(zx_handle_close(raw[i]));
	cfidl_client_destroy(good);
	cfidl_loop_destroy(loop);
	assert_int_equal(gs.unbound_calls, 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s[i].unbound_calls, 1);
}

static void events_and_bad_replies(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b, ev;
	struct events e = {0};
	struct reply r = {0};
	cfidl_client_t *c;
	alignas(8) struct msg24 m;
	zx_handle_info_t hi[1];
	uint32_t nb, nh;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	memset(&m, 0, sizeof(m));
	fidl_init_header(&m.hdr, 0, ORD_EVENT, false);
	m.value = 77;
	ASSERT_OK(zx_event_create(0, &ev));
	ASSERT_OK(zx_channel_write(b, 0, &m, sizeof(m), &ev, 1));
	ASSERT_OK(zx_channel_write(b, 0, &m, sizeof(m), NULL, 0));
	run_until(loop, &e.events, 2);
	assert_int_equal(e.value, 77);
	/* A reply to a call never made is a protocol error. */
	ASSERT_OK(call(c, ORD_ADD, 1, 0, &r));
	ASSERT_OK(zx_channel_read_etc(b, 0, &m, hi, sizeof(m), 1, &nb, &nh));
	m.hdr.txid ^= 0x10000; /* another generation of the same slot */
	ASSERT_OK(zx_channel_write(b, 0, &m, sizeof(m), NULL, 0));
	run_until(loop, &e.errors, 1);
	ASSERT_ST(e.error, ZX_ERR_IO);
	assert_int_equal(r.calls, 1);
	ASSERT_ST(r.status, ZX_ERR_IO);
	cfidl_client_destroy(c);
	ASSERT_OK(zx_handle_close(b));
	cfidl_loop_destroy(loop);
}

static void destroy_from_callbacks(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	struct server s = {0};
	struct events e = {0};
	struct reply r[2];
	cfidl_client_t *c;

	(void)state;
	memset(r, 0, sizeof(r));
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	serve(loop, b, &s);
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	r[0].destroy_me = c;
	ASSERT_OK(call(c, ORD_ADD, 1, 0, &r[0]));
	ASSERT_OK(call(c, ORD_DEFER, 1, 0, &r[1]));
	run_until(loop, &r[0].calls, 1);
	/* r[0]'s callback destroyed the client: r[1] canceled once. */
	assert_int_equal(r[1].calls, 1);
	ASSERT_ST(r[1].status, ZX_ERR_CANCELED);
	run_until(loop, &s.unbound_calls, 1);

	/* A binding closed from inside its own dispatch. */
	memset(&s, 0, sizeof(s));
	memset(r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	serve(loop, b, &s);
	s.close_in_dispatch = true;
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	ASSERT_OK(call(c, ORD_ADD, 1, 0, &r[0]));
	run_until(loop, &r[0].calls, 1);
	ASSERT_ST(r[0].status, ZX_ERR_BAD_STATE);
	assert_int_equal(s.unbound_calls, 1);
	ASSERT_ST(s.unbound_reason, ZX_ERR_BAD_STATE);
	cfidl_client_destroy(c);
	cfidl_loop_destroy(loop);
}

static void loop_destroy_ends_bindings(void **state)
{
	cfidl_loop_t *loop;
	zx_handle_t a, b;
	struct server s = {0};
	struct events e = {0};
	struct reply r = {0};
	cfidl_client_t *c;

	(void)state;
	ASSERT_OK(cfidl_loop_create(&loop));
	ASSERT_OK(zx_channel_create(0, &a, &b));
	serve(loop, b, &s);
	ASSERT_OK(cfidl_client_create(loop, a, &handlers, &e, &c));
	ASSERT_OK(call(c, ORD_DEFER, 1, 0, &r));
	run_until(loop, &s.dispatched, 1);
	cfidl_loop_destroy(loop);
	assert_int_equal(s.unbound_calls, 1);
	ASSERT_ST(s.unbound_reason, ZX_ERR_CANCELED);
	assert_int_equal(r.calls, 1);
	ASSERT_ST(r.status, ZX_ERR_CANCELED);
	assert_int_equal(e.errors, 1);
	ASSERT_ST(e.error, ZX_ERR_CANCELED);
	ASSERT_ST(call(c, ORD_ADD, 1, 0, &r), ZX_ERR_CANCELED);
	cfidl_client_destroy(c);
	assert_int_equal(r.calls, 1);
}

static void epitaph_helpers(void **state)
{
	zx_handle_t a, b;
	alignas(8) uint8_t buf[32];
	uint32_t nb;
	zx_status_t err;
	fidl_incoming_msg_t msg = {buf, 24, NULL, 0};
	static const uint8_t want[24] = {
	    0,    0,    0,    0,    2,    0,    0,    1,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xe2, 0xff, 0xff, 0xff, 0,    0,    0,    0}; /* -30 */

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(fidl_epitaph_write(a, ZX_ERR_ACCESS_DENIED));
	ASSERT_OK(zx_channel_read(b, 0, buf, NULL, sizeof(buf), 0, &nb, NULL));
	assert_int_equal(nb, 24);
	assert_memory_equal(buf, want, 24);
	assert_true(fidl_is_epitaph(&msg));
	ASSERT_OK(fidl_epitaph_decode(&msg, &err));
	ASSERT_ST(err, ZX_ERR_ACCESS_DENIED);
	buf[20] = 1; /* padding */
	ASSERT_ST(fidl_epitaph_decode(&msg, &err), ZX_ERR_INVALID_ARGS);
	buf[20] = 0;
	buf[0] = 1; /* txid */
	ASSERT_ST(fidl_epitaph_decode(&msg, &err), ZX_ERR_INVALID_ARGS);
	buf[0] = 0;
	msg.num_bytes = 16;
	ASSERT_ST(fidl_epitaph_decode(&msg, &err), ZX_ERR_INVALID_ARGS);
	ASSERT_OK(zx_handle_close(a));
	ASSERT_OK(zx_handle_close(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(calls_and_one_way),
	    RT_TEST(handles_round_trip),
	    RT_TEST(reply_later),
	    RT_TEST(reply_after_binding_gone),
	    RT_TEST(server_closes_mid_call),
	    RT_TEST(peer_process_dies_mid_call),
	    RT_TEST(garbage_closes_one_binding),
	    RT_TEST(events_and_bad_replies),
	    RT_TEST(destroy_from_callbacks),
	    RT_TEST(loop_destroy_ends_bindings),
	    RT_TEST(epitaph_helpers),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
