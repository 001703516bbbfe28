/*
 * The bindings benchmark (bench/README.md, "The bindings benchmark"):
 * shared timing, reporting and allocation counting.
 */
#ifndef CFIDL_BENCH_BIND_BENCH_H
#define CFIDL_BENCH_BIND_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Results are added here so the optimiser must compute them. */
extern volatile uint64_t bb_sink;

/* CLOCK_MONOTONIC in nanoseconds. */
double bb_now_ns(void);

/* Median of v[0..n) (sorts v). */
double bb_median(double *v, size_t n);

/* `BENCH name=... value=... unit=... baseline=... baseline_value=... ratio=...`
 */
void bb_bench(const char *name, double value, const char *unit,
              const char *peer, double peer_value);
/* `SKIP name=... baseline=... reason="..."` */
void bb_skip(const char *name, const char *peer, const char *reason);
/*
 * `TARGET what ratio=... limit=... MET|MISSED`; at_most: MET when
 * value <= limit, else when value >= limit.  Counted for the summary.
 */
void bb_target(const char *what, const char *key, double value, double limit,
               bool at_most);
/* `TARGETS all N met` or `TARGETS K of N missed`. */
void bb_targets_summary(void);

/* Allocation counting (bind_alloc.c): a page shared with forked servers. */
typedef struct bb_alloc_counts {
	volatile int counting; /* count while set (both processes read it) */
	volatile long client;  /* malloc/calloc/realloc in the parent */
	volatile long server;  /* ... in the forked server */
} bb_alloc_counts_t;

/* false when counting is impossible (sanitizer builds). */
bool bb_alloc_available(void);
/* Maps the shared page; call before fork.  NULL on failure. */
bb_alloc_counts_t *bb_alloc_setup(void);
/* In a forked server: count into ->server instead of ->client. */
void bb_alloc_become_server(void);

/* Sections. quick: fewer repetitions (the smoke run). */
void bb_run_codec(bool quick);
void bb_run_ipc(bool quick);

#endif
