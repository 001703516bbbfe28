/*
 * test_credit: credit arithmetic: tx room, wrap at 2^32, a peer that
 * shrinks buf_alloc, overrun detection, when CREDIT_UPDATE is due.
 */
#include "credit.h"
#include "eng_test.h"

static void test_fresh(void **state)
{
	cfv_credit_t c;
	cfv_hdr_t h = {0};

	(void)state;
	cfv_credit_init(&c, 262144);
	assert_int_equal(cfv_credit_tx_room(&c), 0); /* peer said nothing */
	cfv_credit_peer_update(&c, 65536, 0);
	assert_int_equal(cfv_credit_tx_room(&c), 65536);
	cfv_credit_sent(&c, 60000);
	assert_int_equal(cfv_credit_tx_room(&c), 5536);
	cfv_credit_sent(&c, 5536);
	assert_int_equal(cfv_credit_tx_room(&c), 0);
	cfv_credit_peer_update(&c, 65536, 1000);
	assert_int_equal(cfv_credit_tx_room(&c), 1000);
	cfv_credit_stamp(&c, &h);
	assert_int_equal(h.buf_alloc, 262144);
	assert_int_equal(h.fwd_cnt, 0);
}

static void test_wrap(void **state)
{
	cfv_credit_t c;

	(void)state;
	cfv_credit_init(&c, 262144);
	/* Counters just below 2^32. */
	c.tx_cnt = 0xFFFFFF00u;
	cfv_credit_peer_update(&c, 65536, 0xFFFFFF00u);
	assert_int_equal(cfv_credit_tx_room(&c), 65536);
	cfv_credit_sent(&c, 0x1000); /* tx_cnt wraps to 0xF00 */
	assert_int_equal(c.tx_cnt, 0xF00u);
	assert_int_equal(cfv_credit_tx_room(&c), 65536 - 0x1000);
	cfv_credit_peer_update(&c, 65536, 0x800u); /* fwd_cnt wrapped too */
	assert_int_equal(cfv_credit_tx_room(&c), 65536 - 0x700);
	/* Receive side across the wrap. */
	c.rx_cnt = c.fwd_cnt = c.last_fwd_sent = 0xFFFFFFF0u;
	assert_true(cfv_credit_rx(&c, 0x100));
	assert_int_equal(cfv_credit_rx_pending(&c), 0x100);
	cfv_credit_forwarded(&c, 0x100);
	assert_int_equal(c.fwd_cnt, 0xF0u);
	assert_int_equal(cfv_credit_rx_pending(&c), 0);
	assert_true(cfv_credit_rx(&c, 262144));
	assert_false(cfv_credit_rx(&c, 1));
}

static void test_peer_shrinks(void **state)
{
	cfv_credit_t c;

	(void)state;
	cfv_credit_init(&c, 262144);
	cfv_credit_peer_update(&c, 262144, 0);
	cfv_credit_sent(&c, 200000);
	assert_int_equal(cfv_credit_tx_room(&c), 62144);
	/* The peer shrinks to 64 KiB with 200000 in flight: "negative". */
	cfv_credit_peer_update(&c, 65536, 0);
	assert_int_equal(cfv_credit_tx_room(&c), 0);
	/* It consumed 150000: 50000 in flight, 15536 room. */
	cfv_credit_peer_update(&c, 65536, 150000);
	assert_int_equal(cfv_credit_tx_room(&c), 15536);
	/* Exactly at the limit. */
	cfv_credit_peer_update(&c, 50000, 150000);
	assert_int_equal(cfv_credit_tx_room(&c), 0);
	/* A peer claiming to have consumed more than we sent gets nothing. */
	cfv_credit_peer_update(&c, 65536, 300000);
	assert_int_equal(cfv_credit_tx_room(&c), 0);
}

static void test_overrun(void **state)
{
	cfv_credit_t c;

	(void)state;
	cfv_credit_init(&c, 65536);
	assert_true(cfv_credit_rx(&c, 40000));
	assert_false(cfv_credit_rx(&c, 30000)); /* 70000 > 65536 */
	assert_int_equal(c.rx_cnt, 40000);      /* nothing counted */
	assert_true(cfv_credit_rx(&c, 25536));  /* exactly full */
	assert_false(cfv_credit_rx(&c, 1));
	cfv_credit_forwarded(&c, 1);
	assert_true(cfv_credit_rx(&c, 1));
	assert_false(cfv_credit_rx(&c, 0xFFFFFFFFu));
	/* A zero-length RW never overruns. */
	assert_true(cfv_credit_rx(&c, 0));
}

static void test_update_due(void **state)
{
	cfv_credit_t c;
	cfv_hdr_t h;

	(void)state;
	cfv_credit_init(&c, 262144);
	assert_false(cfv_credit_update_due(&c));
	/* Peer sent 150 KiB, we forwarded it all, told it nothing: its view
	 * of our free space is 106 KiB, not low yet. */
	assert_true(cfv_credit_rx(&c, 150 * 1024));
	cfv_credit_forwarded(&c, 150 * 1024);
	assert_false(cfv_credit_update_due(&c));
	/* 200 KiB: its view is 56 KiB < 64 KiB, and we freed space. */
	assert_true(cfv_credit_rx(&c, 50 * 1024));
	cfv_credit_forwarded(&c, 50 * 1024);
	assert_true(cfv_credit_update_due(&c));
	cfv_credit_stamp(&c, &h);
	assert_int_equal(h.fwd_cnt, 200 * 1024);
	assert_false(cfv_credit_update_due(&c));
	/* Low view but nothing freed since: no update (it would say nothing
	 * new). */
	assert_true(cfv_credit_rx(&c, 250 * 1024));
	assert_false(cfv_credit_update_due(&c));
	/* Small buffers: half of buf_alloc is the threshold. */
	cfv_credit_init(&c, 16384);
	assert_true(cfv_credit_rx(&c, 8000));
	cfv_credit_forwarded(&c, 8000);
	assert_false(cfv_credit_update_due(&c)); /* 8384 free > 8192 */
	assert_true(cfv_credit_rx(&c, 400));
	cfv_credit_forwarded(&c, 400);
	assert_true(cfv_credit_update_due(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(test_fresh),        RT_TEST(test_wrap),
	    RT_TEST(test_peer_shrinks), RT_TEST(test_overrun),
	    RT_TEST(test_update_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
