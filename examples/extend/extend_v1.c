/* The v1 server and client of the extend example (see extend_v1.h),
 * written against v1.fidl's generated header only. */
#include <pthread.h>
#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/loop.h>
#include <cfidl/wait.h>

#include "examples.extend.h"
#include "extend_v1.h"

/* Only the entry points leave the module. */
#define EXPORT __attribute__((visibility("default")))

EXPORT zx_status_t extend_v1_server_start(zx_handle_t channel);
EXPORT zx_status_t extend_v1_server_stop(extend_v1_unknown_t *unknown);
EXPORT zx_status_t extend_v1_call_twice(zx_handle_t channel, uint32_t n,
                                        uint32_t *out_n);
EXPORT zx_status_t extend_v1_read_event(zx_handle_t channel, zx_time_t deadline,
                                        bool with_unknown_handler,
                                        uint32_t *changed_key,
                                        extend_v1_unknown_t *unknown);
EXPORT uint64_t extend_v1_twice_ordinal(void);

/* ---- the v1 server: one at a time, on a loop in its own thread ---- */

typedef struct server {
	cfidl_loop_t *loop;
	pthread_t thread;
	zx_status_t reason; /* how the binding ended */
	extend_v1_unknown_t unknown;
} server;

static server the_server;

static zx_status_t get(void *ctx, uint32_t key, fidl_txn_t *txn)
{
	(void)ctx;
	return examples_extend_StoreGet_reply(txn, (uint64_t)key * 10);
}

static zx_status_t twice(void *ctx, uint32_t n, fidl_txn_t *txn)
{
	(void)ctx;
	return examples_extend_StoreTwice_reply(txn, n * 2);
}

/* RFC-0138: a flexible method this version does not know. */
static void unknown_method(void *ctx, uint64_t ordinal, bool two_way)
{
	server *s = ctx;
	s->unknown.ordinal = ordinal;
	s->unknown.two_way = two_way;
	s->unknown.count++;
}

static const examples_extend_Store_ops_t ops = {
    .Get = get,
    .Twice = twice,
    .unknown_method = unknown_method,
};

/* The binding ended (peer gone, or closed by the dispatcher): stop. */
static void unbound(void *ctx, zx_status_t reason)
{
	server *s = ctx;
	s->reason = reason;
	cfidl_loop_quit(s->loop);
}

/* Serves until the binding ends, or at most EXTEND_V1_SERVE_MAX. */
static void *serve(void *arg)
{
	server *s = arg;
	cfidl_loop_run(s->loop, zx_deadline_after(EXTEND_V1_SERVE_MAX), false);
	return NULL;
}

zx_status_t extend_v1_server_start(zx_handle_t channel)
{
	server *s = &the_server;
	memset(s, 0, sizeof(*s));
	s->reason = ZX_ERR_CANCELED;
	zx_status_t st = cfidl_loop_create(&s->loop);
	if (st != ZX_OK) {
		zx_handle_close(channel);
		return st;
	}
	st = cfidl_bind_etc(s->loop, channel,
	                    CFIDL_DISPATCH(examples_extend_Store_dispatch), s,
	                    &ops, unbound, NULL);
	if (st == ZX_OK && pthread_create(&s->thread, NULL, serve, s) != 0)
		st = ZX_ERR_NO_RESOURCES;
	if (st != ZX_OK) {
		cfidl_loop_destroy(s->loop);
		s->loop = NULL;
	}
	return st;
}

zx_status_t extend_v1_server_stop(extend_v1_unknown_t *unknown)
{
	server *s = &the_server;
	if (!s->loop)
		return ZX_ERR_BAD_STATE;
	pthread_join(s->thread, NULL);
	/* Ends a binding still serving (after the deadline): CANCELED. */
	cfidl_loop_destroy(s->loop);
	s->loop = NULL;
	if (unknown)
		*unknown = s->unknown;
	return s->reason;
}

/* ---- the v1 client ---- */

zx_status_t extend_v1_call_twice(zx_handle_t channel, uint32_t n,
                                 uint32_t *out_n)
{
	return examples_extend_StoreTwice(channel, n, out_n);
}

typedef struct event_seen {
	uint32_t *changed_key;
	extend_v1_unknown_t *unknown;
} event_seen;

static void on_changed(void *ctx, uint32_t key)
{
	*((event_seen *)ctx)->changed_key = key;
}

static void on_unknown_event(void *ctx, uint64_t ordinal)
{
	extend_v1_unknown_t *u = ((event_seen *)ctx)->unknown;
	u->ordinal = ordinal;
	u->two_way = false;
	u->count++;
}

zx_status_t extend_v1_read_event(zx_handle_t channel, zx_time_t deadline,
                                 bool with_unknown_handler,
                                 uint32_t *changed_key,
                                 extend_v1_unknown_t *unknown)
{
	zx_signals_t seen = 0;
	zx_status_t st =
	    zx_object_wait_one(channel, ZX_CHANNEL_READABLE, deadline, &seen);
	if (st != ZX_OK)
		return st;
	_Alignas(8) uint8_t bytes[512];
	zx_handle_info_t handles[4];
	uint32_t nb = 0, nh = 0;
	st = zx_channel_read_etc(channel, 0, bytes, handles, sizeof(bytes), 4,
	                         &nb, &nh);
	if (st != ZX_OK)
		return st;
	fidl_incoming_msg_t msg = {bytes, nb, handles, nh};
	examples_extend_Store_event_handlers_t h = {on_changed, NULL};
	if (with_unknown_handler)
		h.unknown_event = on_unknown_event;
	event_seen ctx = {changed_key, unknown};
	return examples_extend_Store_handle_event(&h, &ctx, &msg);
}

uint64_t extend_v1_twice_ordinal(void)
{
	return examples_extend_StoreTwiceOrdinal;
}
