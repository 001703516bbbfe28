/*
 * bench_bind: the bindings benchmark (bench/README.md).  Encode+decode of
 * the seed messages and a ~300-byte message against memcpy and protobuf-c,
 * a two-way call between two processes against raw SOCK_SEQPACKET and ONC
 * RPC (libtirpc), one-way throughput against a raw socketpair, and heap
 * allocations per call.  Prints BENCH, SKIP and TARGET lines.
 */
#include <stdio.h>
#include <string.h>

#include "bind_bench.h"

volatile uint64_t bb_sink;

static void usage(void)
{
	fprintf(stderr, "usage: bench_bind [--quick] [--codec-only | "
	                "--ipc-only]\n");
}

int main(int argc, char **argv)
{
	bool quick = false, codec = true, ipc = true;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
		} else if (strcmp(argv[i], "--codec-only") == 0) {
			ipc = false;
		} else if (strcmp(argv[i], "--ipc-only") == 0) {
			codec = false;
		} else {
			usage();
			return 2;
		}
	}
	if (codec)
		bb_run_codec(quick);
	if (ipc)
		bb_run_ipc(quick);
	br_summary();
	return 0;
}
