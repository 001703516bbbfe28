/* bench_report: the benchmarks' output lines and medians. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_report.h"

static unsigned targets_total;
static unsigned targets_missed;

double br_now_ns(void)
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

double br_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	if (n % 2)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

void br_bench(const char *name, double value, const char *unit,
              const char *peer, double peer_value)
{
	printf("BENCH name=%s value=%.2f unit=%s baseline=%s "
	       "baseline_value=%.2f ratio=%.3f\n",
	       name, value, unit, peer, peer_value,
	       peer_value > 0 ? value / peer_value : 0.0);
	fflush(stdout);
}

void br_skip(const char *name, const char *peer, const char *reason)
{
	printf("SKIP name=%s baseline=%s reason=\"%s\"\n", name, peer, reason);
	fflush(stdout);
}

void br_target(const char *what, const char *key, double value, double limit,
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

void br_summary(void)
{
	if (targets_missed == 0)
		printf("TARGETS all %u met\n", targets_total);
	else
		printf("TARGETS %u of %u missed\n", targets_missed,
		       targets_total);
	fflush(stdout);
}
