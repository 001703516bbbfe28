/* bench_gen: write the synthetic benchmark library in its three languages.
 *
 * usage: bench_gen [-s SEED] LINES DIR
 * writes DIR/lib.fidl, DIR/lib.proto and DIR/lib.x.
 */
#include "gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: bench_gen [-s SEED] LINES DIR\n");
	return 2;
}

static int parse_u64(const char *s, unsigned long long max,
                     unsigned long long *out)
{
	char *end;

	errno = 0;
	if (!s[0] || s[0] == '-')
		return -1;
	*out = strtoull(s, &end, 0);
	if (errno || *end || *out > max)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1, lines;
	struct bench_lib lib;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		if (parse_u64(argv[2], UINT64_MAX, &seed))
			return usage();
		i = 3;
	}
	if (argc - i != 2 || parse_u64(argv[i], 100000000, &lines) || !lines)
		return usage();
	if (bench_gen((unsigned)lines, seed, &lib)) {
		fprintf(stderr, "bench_gen: out of memory\n");
		return 1;
	}
	if (bench_lib_write(&lib, argv[i + 1])) {
		fprintf(stderr, "bench_gen: %s: %s\n", argv[i + 1],
		        strerror(errno));
		bench_lib_free(&lib);
		return 1;
	}
	const struct bench_counts *c = &lib.counts;
	printf("lib.fidl %u lines, lib.proto %u lines, lib.x %u lines\n"
	       "%u consts, %u enums, %u bits, %u structs, %u tables, "
	       "%u unions, %u protocols; %u members, %u methods (%u events)\n",
	       lib.fidl.lines, lib.proto.lines, lib.x.lines, c->consts,
	       c->enums, c->bits, c->structs, c->tables, c->unions,
	       c->protocols, c->members, c->methods, c->events);
	bench_lib_free(&lib);
	return 0;
}
