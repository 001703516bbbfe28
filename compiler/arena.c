#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_BLOCK_SIZE = 64 * 1024, ARENA_ALIGN = 16 };

struct cf_arena_block {
	cf_arena_block *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

static void out_of_memory(void)
{
	fputs("cfidl: out of memory\n", stderr);
	abort();
}

void cf_arena_init(cf_arena *arena)
{
	arena->head = NULL;
	arena->bytes_used = 0;
}

void cf_arena_destroy(cf_arena *arena)
{
	cf_arena_block *b = arena->head;
	while (b) {
		cf_arena_block *next = b->next;
		free(b);
		b = next;
	}
	arena->head = NULL;
	arena->bytes_used = 0;
}

void *cf_arena_alloc(cf_arena *arena, size_t size)
{
	if (size > SIZE_MAX / 2)
		out_of_memory();
	size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (rounded == 0)
		rounded = ARENA_ALIGN;
	cf_arena_block *b = arena->head;
	if (!b || b->size - b->used < rounded) {
		/* Oversized requests get a block of their own, placed behind
		 * the current one so the current block's free space is not
		 * wasted. */
		size_t cap =
		    rounded > ARENA_BLOCK_SIZE ? rounded : ARENA_BLOCK_SIZE;
		cf_arena_block *nb = malloc(sizeof(*nb) + cap);
		if (!nb)
			out_of_memory();
		nb->size = cap;
		nb->used = 0;
		if (b && rounded > ARENA_BLOCK_SIZE) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			arena->head = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += rounded;
	arena->bytes_used += rounded;
	memset(p, 0, size);
	return p;
}

char *cf_arena_strndup(cf_arena *arena, const char *s, size_t n)
{
	char *p = cf_arena_alloc(arena, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cf_arena_strdup(cf_arena *arena, const char *s)
{
	return cf_arena_strndup(arena, s, strlen(s));
}

char *cf_arena_printf(cf_arena *arena, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory();
	char *p = cf_arena_alloc(arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
