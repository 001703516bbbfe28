/*
 * Steady state allocates nothing: after a warm-up, two-way calls through
 * an async client and a server binding (and one-way messages) make no
 * heap allocation.  malloc & co. are counted by interposing them here
 * (glibc's __libc_* do the work); under AddressSanitizer, whose allocator
 * must see every block, and under valgrind, the test is skipped.
 */
#include <stdalign.h>
#include <stdbool.h>
#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/loop.h>
#include <cfidl/wire.h>

#include "rt_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

static volatile bool counting;
static volatile long nallocs;

#if COUNTING
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

void *malloc(size_t size)
{
	if (counting)
		nallocs++;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	if (counting)
		nallocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	if (counting)
		nallocs++;
	return __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

#define ORD_ADD  ((uint64_t)0x1111)
#define ORD_NOTE ((uint64_t)0x3333)

struct msg24 {
	fidl_message_header_t hdr;
	uint64_t value;
};

static zx_status_t dispatch(void *ctx, fidl_txn_t *txn,
                            fidl_incoming_msg_t *msg, const void *ops)
{
	const struct msg24 *in = msg->bytes;
	alignas(8) struct msg24 out;
	fidl_outgoing_msg_t o = {&out, sizeof(out), NULL, 0};

	(void)ops;
	(*(int *)ctx)++;
	if (msg->num_bytes != sizeof(*in) || msg->num_handles)
		return ZX_ERR_INVALID_ARGS;
	if (in->hdr.ordinal == ORD_NOTE)
		return ZX_OK;
	memset(&out, 0, sizeof(out));
	fidl_init_header(&out.hdr, 0, ORD_ADD, false);
	out.value = in->value + 1;
	return txn->reply(txn, &o);
}

struct reply {
	int calls;
	uint64_t value;
};

static void on_reply(void *ctx, zx_status_t status, fidl_incoming_msg_t *msg)
{
	struct reply *r = ctx;

	assert_int_equal(status, ZX_OK);
	r->calls++;
	r->value = ((const struct msg24 *)msg->bytes)->value;
}

static void one_call(cfidl_loop_t *loop, cfidl_client_t *c, uint64_t v)
{
	alignas(8) struct msg24 m;
	fidl_outgoing_msg_t out = {&m, sizeof(m), NULL, 0};
	struct reply r = {0};

	memset(&m, 0, sizeof(m));
	fidl_init_header(&m.hdr, 0, ORD_ADD, false);
	m.value = v;
	assert_int_equal(cfidl_client_call(c, &out, on_reply, &r), ZX_OK);
	fidl_init_header(&m.hdr, 0, ORD_NOTE, false);
	assert_int_equal(cfidl_client_send(c, &out), ZX_OK);
	while (r.calls == 0)
		assert_int_equal(cfidl_loop_run(loop, ZX_TIME_INFINITE, true),
		                 ZX_OK);
	assert_int_equal(r.value, v + 1);
}

static void nop(void *ctx, zx_status_t status)
{
	(void)ctx;
	(void)status;
}

static void no_allocations_per_call(void **state)
{
	cfidl_loop_t *loop;
	cfidl_client_t *c;
	zx_handle_t a, b;
	int served = 0;

	(void)state;
	if (!COUNTING)
		skip();
	ASSERT_OK(cfidl_loop_create(&loop));
	/*
	 * Is the counter live?  cfidl_loop_post allocates its node.  Under
	 * valgrind, which replaces malloc itself, it is not: skip.
	 */
	nallocs = 0;
	counting = true;
	ASSERT_OK(cfidl_loop_post(loop, nop, NULL));
	counting = false;
	if (nallocs != 1) {
		cfidl_loop_destroy(loop);
		skip();
	}
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(cfidl_bind(loop, b, dispatch, &served, NULL));
	ASSERT_OK(cfidl_client_create(loop, a, NULL, NULL, &c));
	for (int i = 0; i < 100; i++)
		one_call(loop, c, (uint64_t)i);
	nallocs = 0;
	counting = true;
	for (int i = 0; i < 1000; i++)
		one_call(loop, c, (uint64_t)i);
	counting = false;
	assert_int_equal(nallocs, 0);
	assert_true(served >= 2200);

	cfidl_client_destroy(c);
	ASSERT_OK(cfidl_loop_run_until_idle(loop));
	cfidl_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(no_allocations_per_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
