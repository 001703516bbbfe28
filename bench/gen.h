/* Synthetic IDL library generator for the compiler benchmark.
 *
 * One deterministic stream of declarations is written three times: as a FIDL
 * library (current syntax), as the equivalent proto3 file for protoc-c and as
 * the equivalent ONC RPC .x file for rpcgen. The FIDL text sets the size: the
 * generator stops at the first declaration boundary at or past the target
 * line count.
 */
#ifndef CF_BENCH_GEN_H
#define CF_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

/* What was generated; the same in the three languages except where the
 * file header comments say otherwise. */
struct bench_counts {
	unsigned consts;
	unsigned enums;
	unsigned bits;
	unsigned structs;
	unsigned tables;
	unsigned unions;
	unsigned protocols;
	unsigned
	    members; /* struct, table and union fields; enum/bits members */
	unsigned methods; /* two-way, one-way and events */
	unsigned events;
};

struct bench_text {
	char *data; /* NUL-terminated */
	size_t len;
	unsigned lines;
};

struct bench_lib {
	struct bench_text fidl;
	struct bench_text proto;
	struct bench_text x;
	struct bench_counts counts;
};

/* Generates a library of about target_lines FIDL lines. Returns 0, or -1 when
 * out of memory (lib is then empty). */
int bench_gen(unsigned target_lines, uint64_t seed, struct bench_lib *lib);

/* Writes DIR/lib.fidl, DIR/lib.proto and DIR/lib.x. Returns 0 or -1 (errno). */
int bench_lib_write(const struct bench_lib *lib, const char *dir);

void bench_lib_free(struct bench_lib *lib);

#endif
