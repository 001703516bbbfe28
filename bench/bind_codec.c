/*
 * Encode+decode of one message body per operation: the generated encoder
 * into a buffer, then the in-place decoder over it (cfidl); the same bytes
 * through memcpy (the limit); protobuf-c pack + unpack + free_unpacked of
 * an equivalent message.  Each operation adds fields of its output to a
 * checksum so that none of the work can be dropped by the optimiser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_bench.h"
#include "cfidl.bench.h"
#include "fuchsia.device.vsock.h"
#include "fuchsia.hardware.vsock.h"
#include "fuchsia.virtualization.h"
#include "fuchsia.vsock.h"

#ifdef HAVE_PROTOBUF_C
#include "bench_bind.pb-c.h"
#endif

typedef uint64_t (*bb_op_fn)(uint32_t n);

static _Alignas(8) uint8_t wire_buf[4096];
static _Alignas(8) uint8_t copy_buf[4096];
static uint32_t wire_size; /* the last message cfidl encoded */

static void fail(const char *what)
{
	fprintf(stderr, "bench_bind: %s failed\n", what);
	exit(1);
}

/* One cfidl operation: encode VALUE (a T *), decode in place, add SUM. */
#define FIDL_OP(fn, T, VALUE, SUM)                                             \
	static uint64_t fn(uint32_t n)                                         \
	{                                                                      \
		uint64_t sum = 0;                                              \
		uint32_t size = 0;                                             \
		for (uint32_t i = 0; i < n; i++) {                             \
			fidl_encoder_t enc;                                    \
			fidl_decoder_t dec;                                    \
			T *out = NULL;                                         \
			fidl_encoder_init(&enc, wire_buf, sizeof(wire_buf),    \
			                  NULL, 0);                            \
			if (T##_encode(VALUE, &enc) != ZX_OK)                  \
				fail(#T "_encode");                            \
			fidl_decoder_init(&dec, wire_buf, enc.size, NULL, 0);  \
			if (T##_decode(&dec, &out) != ZX_OK)                   \
				fail(#T "_decode");                            \
			sum += (uint64_t)(SUM);                                \
			size = enc.size;                                       \
		}                                                              \
		wire_size = size;                                              \
		return sum;                                                    \
	}

/* ---- values: the seed messages ---- */

static fuchsia_hardware_vsock_DeviceSendShutdownRequest hw_shutdown = {
    {1024, 3, 5000}};
static fuchsia_hardware_vsock_CallbacksTransportResetRequest hw_reset = {7};
static fuchsia_hardware_vsock_DeviceSendShutdownResponse hw_status = {0};
static fuchsia_hardware_vsock_DeviceGetCidResponse hw_cid = {3};
static cfidl_bench_SendRequestNoHandles hw_send_request = {{1024, 3, 5000}, 17};
static cfidl_bench_SendVmoNoHandles hw_send_vmo = {
    {1024, 3, 5000}, 17, 4096, 65536};
static fuchsia_device_vsock_DeviceSendRstRequest dev_rst = {{1024, 3, 5000}};
static fuchsia_vsock_AcceptorAcceptRequest vs_accept = {{1024, 3, 5000}};
static cfidl_bench_ConnectNoHandles vs_connect = {3, 5000, {17, 18}};
static fuchsia_vsock_ConnectorConnectResponse vs_connect_resp = {0, 49152};
static fuchsia_virtualization_HostVsockAcceptorAcceptRequest vt_accept = {
    3, 49152, 5000};
static fuchsia_virtualization_HostVsockConnectorConnectRequest vt_connect = {
    3, 49152, 2, 5000};
static fuchsia_virtualization_GuestVsockEndpointOnShutdownRequest vt_shutdown =
    {3, 49152, 2, 5000};
static int32_t vt_listen_err = ZX_ERR_ALREADY_BOUND;
static fuchsia_virtualization_HostVsockEndpoint_Listen_Result vt_listen;

FIDL_OP(fidl_hw_shutdown, fuchsia_hardware_vsock_DeviceSendShutdownRequest,
        &hw_shutdown, out->addr.remote_port)
FIDL_OP(fidl_hw_reset, fuchsia_hardware_vsock_CallbacksTransportResetRequest,
        &hw_reset, out->new_cid)
FIDL_OP(fidl_hw_status, fuchsia_hardware_vsock_DeviceSendShutdownResponse,
        &hw_status, out->status)
FIDL_OP(fidl_hw_cid, fuchsia_hardware_vsock_DeviceGetCidResponse, &hw_cid,
        out->local_cid)
FIDL_OP(fidl_hw_send_request, cfidl_bench_SendRequestNoHandles,
        &hw_send_request, out->data + out->addr.remote_port)
FIDL_OP(fidl_hw_send_vmo, cfidl_bench_SendVmoNoHandles, &hw_send_vmo,
        out->len + out->addr.remote_port)
FIDL_OP(fidl_dev_rst, fuchsia_device_vsock_DeviceSendRstRequest, &dev_rst,
        out->addr.remote_port)
FIDL_OP(fidl_vs_accept, fuchsia_vsock_AcceptorAcceptRequest, &vs_accept,
        out->addr.remote_port)
FIDL_OP(fidl_vs_connect, cfidl_bench_ConnectNoHandles, &vs_connect,
        out->con.con + out->remote_port)
FIDL_OP(fidl_vs_connect_resp, fuchsia_vsock_ConnectorConnectResponse,
        &vs_connect_resp, out->local_port)
FIDL_OP(fidl_vt_accept, fuchsia_virtualization_HostVsockAcceptorAcceptRequest,
        &vt_accept, out->port)
FIDL_OP(fidl_vt_connect,
        fuchsia_virtualization_HostVsockConnectorConnectRequest, &vt_connect,
        out->port)
FIDL_OP(fidl_vt_shutdown,
        fuchsia_virtualization_GuestVsockEndpointOnShutdownRequest,
        &vt_shutdown, out->dst_port)
FIDL_OP(fidl_vt_listen, fuchsia_virtualization_HostVsockEndpoint_Listen_Result,
        &vt_listen,
        *fuchsia_virtualization_HostVsockEndpoint_Listen_Result_get_err(out))

/* ---- the ~300-byte message ---- */

static const char rec_name[] = "benchmark-record";
static const char rec_path[] = "/data/cfidl/bench/record.bin";
static const char rec_label[] = "primary";
static cfidl_bench_Point rec_points[3] = {{1, 2}, {3, 4}, {5, 6}};
static uint8_t rec_data[32];
static uint64_t rec_meta_id = 0x1234;
static fidl_string_t rec_meta_label = {sizeof(rec_label) - 1,
                                       (char *)rec_label};
static cfidl_bench_Kind rec_meta_kind = cfidl_bench_Kind_FILE;
static uint32_t rec_meta_flags = 0x5;
static fidl_string_t rec_tags[2] = {{4, (char *)"fast"}, {5, (char *)"small"}};
static fidl_vector_t rec_meta_tags = {2, rec_tags};
static fidl_envelope_t rec_meta_env[5];
static cfidl_bench_Record record;

static uint64_t record_sum(const cfidl_bench_Record *r)
{
	const cfidl_bench_Point *p = r->points.data;
	const uint8_t *d = r->data.data;
	const uint64_t *id = cfidl_bench_Meta_get_id(&r->meta);
	const fidl_vector_t *tags = cfidl_bench_Meta_get_tags(&r->meta);
	const fidl_string_t *t = tags ? tags->data : NULL;

	return r->id + r->name.size + (uint8_t)r->path.data[1] +
	       (uint64_t)p[2].y + d[31] + (id ? *id : 0) + (t ? t[1].size : 0);
}

FIDL_OP(fidl_record, cfidl_bench_Record, &record, record_sum(out))

static void setup_fidl(void)
{
	vt_listen.tag =
	    fuchsia_virtualization_HostVsockEndpoint_Listen_Result_Tag_err;
	vt_listen.envelope.data = &vt_listen_err;

	for (size_t i = 0; i < sizeof(rec_data); i++)
		rec_data[i] = (uint8_t)(i * 7);
	rec_meta_env[0].data = &rec_meta_id;
	rec_meta_env[1].data = &rec_meta_label;
	rec_meta_env[2].data = &rec_meta_kind;
	rec_meta_env[3].data = &rec_meta_flags;
	rec_meta_env[4].data = &rec_meta_tags;
	record.id = 42;
	record.name.size = sizeof(rec_name) - 1;
	record.name.data = (char *)rec_name;
	record.path.size = sizeof(rec_path) - 1;
	record.path.data = (char *)rec_path;
	record.points.count = 3;
	record.points.data = rec_points;
	record.data.count = sizeof(rec_data);
	record.data.data = rec_data;
	record.meta.count = 5;
	record.meta.envelopes = rec_meta_env;
}

/* ---- memcpy of the same bytes ---- */

static uint32_t memcpy_size;

static uint64_t op_memcpy(uint32_t n)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		memcpy(copy_buf, wire_buf, memcpy_size);
		sum += copy_buf[memcpy_size - 1];
	}
	return sum;
}

/* ---- protobuf-c ---- */

#ifdef HAVE_PROTOBUF_C
static _Alignas(8) uint8_t pb_buf[4096];
static uint32_t pb_size;

#define PB_OP(fn, lower, Type, VALUE, SUM)                                     \
	static uint64_t fn(uint32_t n)                                         \
	{                                                                      \
		uint64_t sum = 0;                                              \
		size_t len = 0;                                                \
		for (uint32_t i = 0; i < n; i++) {                             \
			Type *out;                                             \
			len = lower##__pack(VALUE, pb_buf);                    \
			out = lower##__unpack(NULL, len, pb_buf);              \
			if (!out)                                              \
				fail(#lower "__unpack");                       \
			sum += (uint64_t)(SUM) + len;                          \
			lower##__free_unpacked(out, NULL);                     \
		}                                                              \
		pb_size = (uint32_t)len;                                       \
		return sum;                                                    \
	}

static CfidlBench__Addr pb_addr = CFIDL_BENCH__ADDR__INIT;
static CfidlBench__AddrRequest pb_addr_req = CFIDL_BENCH__ADDR_REQUEST__INIT;
static CfidlBench__U32 pb_reset = CFIDL_BENCH__U32__INIT;
static CfidlBench__I32 pb_status = CFIDL_BENCH__I32__INIT;
static CfidlBench__U32 pb_cid = CFIDL_BENCH__U32__INIT;
static CfidlBench__SendRequest pb_send_request =
    CFIDL_BENCH__SEND_REQUEST__INIT;
static CfidlBench__SendVmo pb_send_vmo = CFIDL_BENCH__SEND_VMO__INIT;
static CfidlBench__Transport pb_transport = CFIDL_BENCH__TRANSPORT__INIT;
static CfidlBench__Connect pb_connect = CFIDL_BENCH__CONNECT__INIT;
static CfidlBench__ConnectResponse pb_connect_resp =
    CFIDL_BENCH__CONNECT_RESPONSE__INIT;
static CfidlBench__Quad pb_vt_accept = CFIDL_BENCH__QUAD__INIT;
static CfidlBench__Quad pb_vt_connect = CFIDL_BENCH__QUAD__INIT;
static CfidlBench__ListenResult pb_listen = CFIDL_BENCH__LISTEN_RESULT__INIT;
static CfidlBench__Point pb_points[3] = {CFIDL_BENCH__POINT__INIT,
                                         CFIDL_BENCH__POINT__INIT,
                                         CFIDL_BENCH__POINT__INIT};
static CfidlBench__Point *pb_point_ptrs[3];
static char *pb_tags[2] = {(char *)"fast", (char *)"small"};
static CfidlBench__Meta pb_meta = CFIDL_BENCH__META__INIT;
static CfidlBench__Record pb_record = CFIDL_BENCH__RECORD__INIT;

static uint64_t pb_record_sum(const CfidlBench__Record *r)
{
	return r->id + strlen(r->name) + (uint8_t)r->path[1] +
	       (uint64_t)r->points[2]->y + r->data.data[31] +
	       (r->meta ? r->meta->id : 0) +
	       (r->meta && r->meta->n_tags > 1 ? strlen(r->meta->tags[1]) : 0);
}

PB_OP(pb_op_addr, cfidl_bench__addr_request, CfidlBench__AddrRequest,
      &pb_addr_req, out->addr->remote_port)
PB_OP(pb_op_reset, cfidl_bench__u32, CfidlBench__U32, &pb_reset, out->value)
PB_OP(pb_op_status, cfidl_bench__i32, CfidlBench__I32, &pb_status, out->value)
PB_OP(pb_op_cid, cfidl_bench__u32, CfidlBench__U32, &pb_cid, out->value)
PB_OP(pb_op_send_request, cfidl_bench__send_request, CfidlBench__SendRequest,
      &pb_send_request, out->data + out->addr->remote_port)
PB_OP(pb_op_send_vmo, cfidl_bench__send_vmo, CfidlBench__SendVmo, &pb_send_vmo,
      out->len + out->addr->remote_port)
PB_OP(pb_op_connect, cfidl_bench__connect, CfidlBench__Connect, &pb_connect,
      out->con->con + out->remote_port)
PB_OP(pb_op_connect_resp, cfidl_bench__connect_response,
      CfidlBench__ConnectResponse, &pb_connect_resp, out->local_port)
PB_OP(pb_op_vt_accept, cfidl_bench__quad, CfidlBench__Quad, &pb_vt_accept,
      out->c)
PB_OP(pb_op_vt_connect, cfidl_bench__quad, CfidlBench__Quad, &pb_vt_connect,
      out->d)
PB_OP(pb_op_listen, cfidl_bench__listen_result, CfidlBench__ListenResult,
      &pb_listen, out->err)
PB_OP(pb_op_record, cfidl_bench__record, CfidlBench__Record, &pb_record,
      pb_record_sum(out))

static void setup_pb(void)
{
	pb_addr.local_port = 1024;
	pb_addr.remote_cid = 3;
	pb_addr.remote_port = 5000;
	pb_addr_req.addr = &pb_addr;
	pb_reset.value = 7;
	pb_status.value = 0;
	pb_cid.value = 3;
	pb_send_request.addr = &pb_addr;
	pb_send_request.data = 17;
	pb_send_vmo.addr = &pb_addr;
	pb_send_vmo.vmo = 17;
	pb_send_vmo.off = 4096;
	pb_send_vmo.len = 65536;
	pb_transport.data = 17;
	pb_transport.con = 18;
	pb_connect.remote_cid = 3;
	pb_connect.remote_port = 5000;
	pb_connect.con = &pb_transport;
	pb_connect_resp.status = 0;
	pb_connect_resp.local_port = 49152;
	pb_vt_accept.a = 3;
	pb_vt_accept.b = 49152;
	pb_vt_accept.c = 5000;
	pb_vt_connect.a = 3;
	pb_vt_connect.b = 49152;
	pb_vt_connect.c = 2;
	pb_vt_connect.d = 5000;
	pb_listen.result_case = CFIDL_BENCH__LISTEN_RESULT__RESULT_ERR;
	pb_listen.err = ZX_ERR_ALREADY_BOUND;

	for (int i = 0; i < 3; i++) {
		pb_points[i].x = rec_points[i].x;
		pb_points[i].y = rec_points[i].y;
		pb_point_ptrs[i] = &pb_points[i];
	}
	pb_meta.id = rec_meta_id;
	pb_meta.label = (char *)rec_label;
	pb_meta.kind = CFIDL_BENCH__KIND__FILE;
	pb_meta.flags = rec_meta_flags;
	pb_meta.n_tags = 2;
	pb_meta.tags = pb_tags;
	pb_record.id = 42;
	pb_record.name = (char *)rec_name;
	pb_record.path = (char *)rec_path;
	pb_record.n_points = 3;
	pb_record.points = pb_point_ptrs;
	pb_record.data.len = sizeof(rec_data);
	pb_record.data.data = rec_data;
	pb_record.meta = &pb_meta;
}
#define PB(fn) fn
#else
#define PB(fn) NULL
#endif

/* ---- the cases ---- */

typedef struct bb_case {
	const char *name;
	bool fixed; /* no envelope and no out-of-line part */
	bb_op_fn fidl;
	bb_op_fn pb;
} bb_case_t;

static const bb_case_t cases[] = {
    {"hardware_vsock_Device_SendShutdown_request", true, fidl_hw_shutdown,
     PB(pb_op_addr)},
    {"hardware_vsock_Callbacks_TransportReset_request", true, fidl_hw_reset,
     PB(pb_op_reset)},
    {"hardware_vsock_Device_SendShutdown_response", true, fidl_hw_status,
     PB(pb_op_status)},
    {"hardware_vsock_Device_GetCid_response", true, fidl_hw_cid, PB(pb_op_cid)},
    {"hardware_vsock_Device_SendRequest_request_nohandles", true,
     fidl_hw_send_request, PB(pb_op_send_request)},
    {"hardware_vsock_Device_SendVmo_request_nohandles", true, fidl_hw_send_vmo,
     PB(pb_op_send_vmo)},
    {"device_vsock_Device_SendRst_request", true, fidl_dev_rst, PB(pb_op_addr)},
    {"vsock_Acceptor_Accept_request", true, fidl_vs_accept, PB(pb_op_addr)},
    {"vsock_Connector_Connect_request_nohandles", true, fidl_vs_connect,
     PB(pb_op_connect)},
    {"vsock_Connector_Connect_response", true, fidl_vs_connect_resp,
     PB(pb_op_connect_resp)},
    {"virtualization_HostVsockAcceptor_Accept_request", true, fidl_vt_accept,
     PB(pb_op_vt_accept)},
    {"virtualization_HostVsockConnector_Connect_request", true, fidl_vt_connect,
     PB(pb_op_vt_connect)},
    {"virtualization_GuestVsockEndpoint_OnShutdown_event", true,
     fidl_vt_shutdown, PB(pb_op_vt_connect)},
    {"virtualization_HostVsockEndpoint_Listen_result_err", false,
     fidl_vt_listen, PB(pb_op_listen)},
    {"record_300b", false, fidl_record, PB(pb_op_record)},
};

/* ns per operation of one sample of n operations. */
static double sample(bb_op_fn op, uint32_t n)
{
	double t0 = br_now_ns();

	bb_sink += op(n);
	return (br_now_ns() - t0) / n;
}

/* Operations per sample so that one sample takes about min_ns. */
static uint32_t calibrate(bb_op_fn op, double min_ns)
{
	uint32_t n = 16;

	while (n < (1u << 26)) {
		double t0 = br_now_ns();
		bb_sink += op(n);
		if (br_now_ns() - t0 >= min_ns)
			break;
		n *= 2;
	}
	return n;
}

enum { IMPL_FIDL, IMPL_MEMCPY, IMPL_PB, N_IMPL };
#define MAX_SAMPLES 41

void bb_run_codec(bool quick)
{
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	const unsigned nsamples = quick ? 5 : MAX_SAMPLES;
	const double sample_ns = quick ? 20e3 : 200e3;
	double worst_memcpy = 0, worst_pb = 0;
	const char *worst_memcpy_case = "", *worst_pb_case = "";
	bool have_pb = false;

	setup_fidl();
#ifdef HAVE_PROTOBUF_C
	setup_pb();
#endif
	printf("# codec: encode+decode of one message body, median ns/op "
	       "over %u samples of ~%.0f us each\n",
	       nsamples, sample_ns / 1e3);
	for (size_t c = 0; c < ncases; c++) {
		const bb_case_t *k = &cases[c];
		bb_op_fn ops[N_IMPL] = {k->fidl, op_memcpy, k->pb};
		uint32_t n[N_IMPL] = {0};
		double t[N_IMPL][MAX_SAMPLES], med[N_IMPL];
		char name[128];

		/* Encoding once fills wire_buf with the bytes memcpy copies. */
		bb_sink += k->fidl(1);
		memcpy_size = wire_size;
		for (int i = 0; i < N_IMPL; i++)
			if (ops[i])
				n[i] = calibrate(ops[i], sample_ns);
		/* Rotating turns: drift in machine load falls on all alike. */
		for (unsigned s = 0; s < nsamples; s++)
			for (int j = 0; j < N_IMPL; j++) {
				int i = (int)((s + (unsigned)j) % N_IMPL);
				if (ops[i])
					t[i][s] = sample(ops[i], n[i]);
			}
		for (int i = 0; i < N_IMPL; i++)
			med[i] = ops[i] ? br_median(t[i], nsamples) : 0;

		snprintf(name, sizeof(name), "codec_%s", k->name);
		printf("# %s: %u wire bytes%s\n", name, memcpy_size,
		       k->fixed ? " (fixed size)" : "");
#ifdef HAVE_PROTOBUF_C
		printf("# %s: %u protobuf bytes\n", name, pb_size);
#endif
		br_bench(name, med[IMPL_FIDL], "ns", "memcpy",
		         med[IMPL_MEMCPY]);
		if (k->fixed &&
		    med[IMPL_FIDL] / med[IMPL_MEMCPY] > worst_memcpy) {
			worst_memcpy = med[IMPL_FIDL] / med[IMPL_MEMCPY];
			worst_memcpy_case = k->name;
		}
		if (k->pb) {
			have_pb = true;
			br_bench(name, med[IMPL_FIDL], "ns", "protobuf-c",
			         med[IMPL_PB]);
			if (med[IMPL_FIDL] / med[IMPL_PB] > worst_pb) {
				worst_pb = med[IMPL_FIDL] / med[IMPL_PB];
				worst_pb_case = k->name;
			}
		} else {
			br_skip(name, "protobuf-c",
			        "built without protoc-c or libprotobuf-c");
		}
	}
	printf("# worst fixed-size case vs memcpy: %s\n", worst_memcpy_case);
	br_target("codec_fixed_vs_memcpy", "worst_ratio", worst_memcpy, 3,
	          true);
	if (have_pb) {
		printf("# worst case vs protobuf-c: %s\n", worst_pb_case);
		br_target("codec_vs_protobuf-c", "worst_ratio", worst_pb,
		          1.0 / 3, true);
	}
}
