/*
 * test_ring: the SPSC record ring alone (no loop): order, wrap with PAD
 * records, full, header-only records, and a corrupted ring rejected
 * without touching memory outside it.
 */
#include <string.h>

#include "eng_test.h"
#include "ring.h"

#define SIZE CFV_RING_MIN_BYTES

struct rig {
	cfv_ring_ctl_t ctl;
	uint8_t *data;
	cfv_ring_t p, c;
};

static void rig_init(struct rig *r)
{
	memset(&r->ctl, 0, sizeof(r->ctl));
	r->data = calloc(1, SIZE);
	assert_non_null(r->data);
	cfv_ring_init(&r->p, &r->ctl, r->data, SIZE, true, true);
	cfv_ring_init(&r->c, &r->ctl, r->data, SIZE, false, false);
}

/* Produces one packet of len bytes of pattern seed; false if no room. */
static bool put(struct rig *r, uint32_t seq, uint32_t len)
{
	size_t got;
	uint8_t *p = cfv_ring_reserve(&r->p, len, &got);
	cfv_hdr_t h = {0};

	if (!p || got < len)
		return false;
	for (uint32_t i = 0; i < len; i++)
		p[i] = et_byte(seq, i);
	h.len = len;
	h.op = CFV_OP_RW;
	h.fwd_cnt = seq;
	cfv_ring_commit(&r->p, &h);
	return true;
}

/* Consumes one packet; checks its pattern; returns seq or -1 if empty. */
static long get(struct rig *r)
{
	cfv_hdr_t h;
	const void *pl;
	int rc = cfv_ring_next(&r->c, &h, &pl);

	assert_true(rc >= 0);
	if (rc == 0)
		return -1;
	for (uint32_t i = 0; i < h.len; i++)
		assert_int_equal(((const uint8_t *)pl)[i],
		                 et_byte(h.fwd_cnt, i));
	cfv_ring_consume(&r->c);
	return h.fwd_cnt;
}

static void test_sizes(void **state)
{
	(void)state;
	assert_true(cfv_ring_size_ok(256 * 1024));
	assert_true(cfv_ring_size_ok(1024 * 1024));
	assert_false(cfv_ring_size_ok(128 * 1024));
	assert_false(cfv_ring_size_ok(300 * 1024));
	assert_false(cfv_ring_size_ok(128u * 1024 * 1024));
}

static void test_order_and_wrap(void **state)
{
	struct rig r;
	uint32_t next_put = 0, next_get = 0;

	(void)state;
	rig_init(&r);
	assert_int_equal(get(&r), -1);
	/* Odd sizes so records land everywhere and wrap many times. */
	for (int round = 0; round < 2000; round++) {
		uint32_t len = (uint32_t)((round * 7919) % 65537);

		while (!put(&r, next_put, len)) {
			long s = get(&r);

			assert_int_equal(s, next_get);
			next_get++;
		}
		next_put++;
		if (round % 3 == 0) {
			long s = get(&r);

			assert_int_equal(s, next_get);
			next_get++;
		}
	}
	for (long s; (s = get(&r)) >= 0; next_get++)
		assert_int_equal(s, next_get);
	assert_int_equal(next_get, next_put);
	/* Moved far more than the ring: wrapped. */
	assert_true(atomic_load(&r.ctl.head) > 10u * SIZE);
	free(r.data);
}

static void test_full_and_header_only(void **state)
{
	struct rig r;
	int n = 0;
	size_t got;

	(void)state;
	rig_init(&r);
	assert_int_equal(cfv_ring_room(&r.p), CFV_MAX_PAYLOAD);
	while (put(&r, (uint32_t)n, 65536))
		n++;
	assert_int_equal(n, 3); /* 256 KiB holds 3 full records + change */
	assert_true(cfv_ring_room(&r.p) < 65536);
	/* Smaller records still fit in the remainder. */
	while (put(&r, (uint32_t)n, 1000))
		n++;
	while (put(&r, (uint32_t)n, 0))
		n++;
	assert_int_equal(cfv_ring_room(&r.p), 0);
	assert_false(cfv_ring_fits(&r.p, 0));
	assert_false(cfv_ring_fits(&r.p, 1));
	assert_null(cfv_ring_reserve(&r.p, 0, &got));
	/* One consumed: room again. */
	assert_int_equal(get(&r), 0);
	assert_true(cfv_ring_room(&r.p) >= 65536);
	assert_true(cfv_ring_fits(&r.p, 65536));
	assert_false(cfv_ring_fits(&r.p, 65537));
	for (long s, want = 1; (s = get(&r)) >= 0; want++)
		assert_int_equal(s, want);
	free(r.data);
}

static void test_corrupt(void **state)
{
	struct rig r;
	cfv_hdr_t h;
	const void *pl;
	uint32_t bad;

	(void)state;
	rig_init(&r);
	/* A record length past the published data. */
	assert_true(put(&r, 1, 100));
	bad = 1u << 20;
	memcpy(r.data, &bad, 4);
	assert_int_equal(cfv_ring_next(&r.c, &h, &pl), -1);
	/* A header len that does not match the record. */
	free(r.data);
	rig_init(&r);
	assert_true(put(&r, 1, 100));
	bad = 5000;
	memcpy(r.data + 8 + 24, &bad, 4);
	assert_int_equal(cfv_ring_next(&r.c, &h, &pl), -1);
	free(r.data);
	/* An oversized payload claim with a matching record length. */
	rig_init(&r);
	assert_true(put(&r, 1, 100));
	bad = CFV_MAX_PAYLOAD + 8;
	memcpy(r.data + 8 + 24, &bad, 4);
	assert_int_equal(cfv_ring_next(&r.c, &h, &pl), -1);
	free(r.data);
	/* A head far beyond the tail (more than the ring). */
	rig_init(&r);
	atomic_store(&r.ctl.head, (uint64_t)SIZE * 4);
	assert_int_equal(cfv_ring_next(&r.c, &h, &pl), -1);
	free(r.data);
	/* An unknown record kind, and a PAD not reaching the end. */
	rig_init(&r);
	assert_true(put(&r, 1, 100));
	bad = 9;
	memcpy(r.data + 4, &bad, 4);
	assert_int_equal(cfv_ring_next(&r.c, &h, &pl), -1);
	bad = CFV_REC_PAD;
	memcpy(r.data + 4, &bad, 4);
	assert_int_equal(cfv_ring_next(&r.c, &h, &pl), -1);
	free(r.data);
	/* The consumer's tail moved by a liar: the producer sees corruption. */
	rig_init(&r);
	atomic_store(&r.ctl.tail, (uint64_t)SIZE * 2);
	assert_int_equal(cfv_ring_room(&r.p), -1);
	assert_null(cfv_ring_reserve(&r.p, 10, &(size_t){0}));
	atomic_store(&r.ctl.tail, 4); /* misaligned */
	assert_int_equal(cfv_ring_room(&r.p), -1);
	free(r.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(test_sizes),
	    RT_TEST(test_order_and_wrap),
	    RT_TEST(test_full_and_header_only),
	    RT_TEST(test_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
