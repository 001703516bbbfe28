/*
 * bench_bind: the bindings benchmark (bench/README.md).  Encode+decode of
 * the seed messages and a ~300-byte message against memcpy and protobuf-c,
 * a two-way call between two processes against raw SOCK_SEQPACKET and ONC
 * RPC (libtirpc), one-way throughput against a raw socketpair, and heap
 * allocations per call.  Prints BENCH, SKIP and TARGET lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bind_bench.h"

volatile uint64_t bb_sink;

static unsigned targets_total;
static unsigned targets_missed;

double bb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bb_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	if (n % 2)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bb_bench(const char *name, double value, const char *unit,
              const char *peer, double peer_value)
{
	printf("BENCH name=%s value=%.2f unit=%s baseline=%s "
	       "baseline_value=%.2f ratio=%.3f\n",
	       name, value, unit, peer, peer_value,
	       peer_value > 0 ? value / peer_value : 0.0);
	fflush(stdout);
}

void bb_skip(const char *name, const char *peer, const char *reason)
{
	printf("SKIP name=%s baseline=%s reason=\"%s\"\n", name, peer, reason);
	fflush(stdout);
}

void bb_target(const char *what, const char *key, double value, double limit,
               bool at_most)
{
	bool met = at_most ? value <= limit : value >= limit;

	targets_total++;
	if (!met)
		targets_missed++;
	printf("TARGET %s %s=%.3f limit=%.3g %s\n", what, key, value, limit,
	       met ? "MET" : "MISSED");
	fflush(stdout);
}

void bb_targets_summary(void)
{
	if (targets_missed == 0)
		printf("TARGETS all %u met\n", targets_total);
	else
		printf("TARGETS %u of %u missed\n", targets_missed,
		       targets_total);
}

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
	bb_targets_summary();
	return 0;
}
