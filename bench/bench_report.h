/*
 * bench_report: what every benchmark program of bench/ prints and how it
 * sums up its samples (bench/README.md, "Output"): BENCH, SKIP, TARGET
 * and TARGETS lines, medians, and a monotonic clock.
 */
#ifndef CFIDL_BENCH_REPORT_H
#define CFIDL_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>

/* CLOCK_MONOTONIC in ns. */
double br_now_ns(void);

/* Median of v[0..n) (sorts v in place); 0 for n == 0. */
double br_median(double *v, size_t n);

/* BENCH name=... value=... unit=... baseline=... baseline_value=...
 * ratio=value/peer_value. */
void br_bench(const char *name, double value, const char *unit,
              const char *peer, double peer_value);

/* SKIP name=... baseline=... reason="...". */
void br_skip(const char *name, const char *peer, const char *reason);

/* TARGET what key=value limit=limit MET|MISSED, met when value is at most
 * (at_most) or at least limit; counted for br_summary. */
void br_target(const char *what, const char *key, double value, double limit,
               bool at_most);

/* TARGETS all N met | K of N missed. */
void br_summary(void);

#endif /* CFIDL_BENCH_REPORT_H */
