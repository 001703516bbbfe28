/*
 * The bindings benchmark (bench/README.md, "The bindings benchmark"):
 * what its parts share: the sink and allocation counting (reporting is
 * bench_report.h).
 */
#ifndef CFIDL_BENCH_BIND_BENCH_H
#define CFIDL_BENCH_BIND_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_report.h"

/* Results are added here so the optimiser must compute them. */
extern volatile uint64_t bb_sink;

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
