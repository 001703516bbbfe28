/* Bump allocator that owns every AST and model node of one compilation.
 * Nothing allocated from an arena is freed alone: cf_arena_destroy frees all.
 */
#ifndef CFIDL_COMPILER_ARENA_H
#define CFIDL_COMPILER_ARENA_H

#include <stddef.h>

typedef struct cf_arena_block cf_arena_block;

typedef struct cf_arena {
	cf_arena_block *head;
	size_t bytes_used; /* payload bytes handed out, for statistics */
} cf_arena;

void cf_arena_init(cf_arena *arena);
void cf_arena_destroy(cf_arena *arena);

/* Zeroed, 16-byte aligned memory. Aborts on out-of-memory: the compiler
 * cannot continue without it and has nothing to roll back. */
void *cf_arena_alloc(cf_arena *arena, size_t size);
char *cf_arena_strdup(cf_arena *arena, const char *s);
char *cf_arena_strndup(cf_arena *arena, const char *s, size_t n);
/* printf into arena memory. */
char *cf_arena_printf(cf_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define CF_NEW(arena, type) ((type *)cf_arena_alloc((arena), sizeof(type)))
#define CF_NEW_ARRAY(arena, type, n)                                           \
	((type *)cf_arena_alloc((arena), sizeof(type) * (size_t)(n)))

#endif
