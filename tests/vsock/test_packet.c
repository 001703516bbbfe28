/*
 * test_packet: the virtio-vsock header layout (44 bytes, little-endian,
 * field offsets of REFERENCE 6), op names, key helpers.
 */
#include <string.h>

#include "eng_test.h"
#include "packet.h"

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(cfv_hdr_t), 44);
	assert_int_equal(offsetof(cfv_hdr_t, src_cid), 0);
	assert_int_equal(offsetof(cfv_hdr_t, dst_cid), 8);
	assert_int_equal(offsetof(cfv_hdr_t, src_port), 16);
	assert_int_equal(offsetof(cfv_hdr_t, dst_port), 20);
	assert_int_equal(offsetof(cfv_hdr_t, len), 24);
	assert_int_equal(offsetof(cfv_hdr_t, type), 28);
	assert_int_equal(offsetof(cfv_hdr_t, op), 30);
	assert_int_equal(offsetof(cfv_hdr_t, flags), 32);
	assert_int_equal(offsetof(cfv_hdr_t, buf_alloc), 36);
	assert_int_equal(offsetof(cfv_hdr_t, fwd_cnt), 40);
}

/* The bytes on the wire, little-endian, as a device would see them. */
static void test_wire_bytes(void **state)
{
	cfv_key_t k = {1234, 2, 80};
	cfv_hdr_t h;
	uint8_t b[44];
	static const uint8_t want[44] = {
	    3,    0,    0,    0,    0, 0, 0, 0, /* src_cid 3 */
	    2,    0,    0,    0,    0, 0, 0, 0, /* dst_cid 2 */
	    0xd2, 0x04, 0,    0,                /* src_port 1234 */
	    80,   0,    0,    0,                /* dst_port 80 */
	    0,    1,    0,    0,                /* len 256 */
	    1,    0,                            /* type STREAM */
	    4,    0,                            /* op SHUTDOWN */
	    3,    0,    0,    0,                /* flags RCV|SEND */
	    0,    0,    4,    0,                /* buf_alloc 256 KiB */
	    0x78, 0x56, 0x34, 0x12,             /* fwd_cnt */
	};

	(void)state;
	cfv_hdr_init(&h, 3, &k, CFV_OP_SHUTDOWN, CFV_SHUTDOWN_BOTH);
	h.len = 256;
	h.buf_alloc = 256u * 1024u;
	h.fwd_cnt = 0x12345678u;
	memcpy(b, &h, sizeof(b));
	assert_memory_equal(b, want, sizeof(want));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cfv_op_name(CFV_OP_INVALID), "INVALID");
	assert_string_equal(cfv_op_name(CFV_OP_REQUEST), "REQUEST");
	assert_string_equal(cfv_op_name(CFV_OP_RESPONSE), "RESPONSE");
	assert_string_equal(cfv_op_name(CFV_OP_RST), "RST");
	assert_string_equal(cfv_op_name(CFV_OP_SHUTDOWN), "SHUTDOWN");
	assert_string_equal(cfv_op_name(CFV_OP_RW), "RW");
	assert_string_equal(cfv_op_name(CFV_OP_CREDIT_UPDATE), "CREDIT_UPDATE");
	assert_string_equal(cfv_op_name(CFV_OP_CREDIT_REQUEST),
	                    "CREDIT_REQUEST");
	assert_string_equal(cfv_op_name(8), "UNKNOWN");
	assert_string_equal(cfv_op_name(0xffff), "UNKNOWN");
}

static void test_keys(void **state)
{
	cfv_key_t k = {50000, 2, 80}, k2 = k, rx;
	cfv_hdr_t h;

	(void)state;
	assert_true(cfv_key_equal(&k, &k2));
	k2.remote_port = 81;
	assert_false(cfv_key_equal(&k, &k2));
	k2 = k;
	k2.remote_cid = 3;
	assert_false(cfv_key_equal(&k, &k2));
	k2 = k;
	k2.local_port = 1;
	assert_false(cfv_key_equal(&k, &k2));
	/* What we send, seen by the receiver, is the mirrored key. */
	cfv_hdr_init(&h, 3, &k, CFV_OP_RW, 0);
	assert_int_equal(h.type, CFV_TYPE_STREAM);
	assert_int_equal(h.src_cid, 3);
	assert_int_equal(h.dst_cid, 2);
	rx = cfv_key_of_rx(&h);
	assert_int_equal(rx.local_port, 80);
	assert_int_equal(rx.remote_cid, 3);
	assert_int_equal(rx.remote_port, 50000);
	assert_int_equal(CFV_EPHEMERAL_FIRST, 49152);
	assert_int_equal(CFV_EPHEMERAL_LAST, 65535);
	assert_int_equal(CFV_MAX_PAYLOAD, 65536);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(test_layout),
	    RT_TEST(test_wire_bytes),
	    RT_TEST(test_names),
	    RT_TEST(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
