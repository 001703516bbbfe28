/*
 * Counts heap allocations by defining malloc, calloc and realloc in the
 * benchmark binary (the dynamic linker binds libcfidl's calls to them too);
 * glibc's __libc_* do the work.  Under AddressSanitizer, whose allocator
 * must see every block, nothing is interposed and counting is unavailable.
 */
#include <stddef.h>
#include <sys/mman.h>

#include "bind_bench.h"

#if defined(__SANITIZE_ADDRESS__)
#define BB_COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BB_COUNTING 0
#endif
#endif
#ifndef BB_COUNTING
#define BB_COUNTING 1
#endif

static bb_alloc_counts_t *counts;
static bool is_server;

#if BB_COUNTING
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

static void count_one(void)
{
	if (counts && counts->counting) {
		if (is_server)
			counts->server++;
		else
			counts->client++;
	}
}

void *malloc(size_t size)
{
	count_one();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count_one();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	count_one();
	return __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

bool bb_alloc_available(void)
{
	return BB_COUNTING;
}

bb_alloc_counts_t *bb_alloc_setup(void)
{
	void *p;

	if (counts)
		return counts;
	p = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	counts = p;
	return counts;
}

void bb_alloc_become_server(void)
{
	is_server = true;
}
