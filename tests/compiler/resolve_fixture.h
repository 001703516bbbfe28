/* Parses and resolves FIDL text held in the test, library by library, the
 * way the driver does (dependencies first), for the resolver's tests. */
#ifndef CFIDL_TESTS_RESOLVE_FIXTURE_H
#define CFIDL_TESTS_RESOLVE_FIXTURE_H

/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "model.h"
#include "parse.h"
#include "resolve.h"

enum { FX_MAX_SOURCES = 64 };

typedef struct fx {
	cf_arena arena;
	cf_model model;
	cf_diags diags;
	cf_source *srcs[FX_MAX_SOURCES];
	unsigned nsrc;
} fx;

static inline fx *fx_new(void)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	cf_arena_init(&f->arena);
	f->model.arena = &f->arena;
	/* FX_VERBOSE=1 prints the diagnostics while debugging a test */
	cf_diags_init(&f->diags, getenv("FX_VERBOSE") ? stderr : NULL);
	return f;
}

static inline void fx_free(fx *f)
{
	for (unsigned i = 0; i < f->nsrc; i++)
		cf_source_free(f->srcs[i]);
	cf_arena_destroy(&f->arena);
	free(f);
}

static inline ast_file *fx_parse(fx *f, const char *path, const char *text,
                                 size_t len)
{
	assert_true(f->nsrc < FX_MAX_SOURCES);
	cf_source *src = cf_source_from_memory(path, text, len);
	assert_non_null(src);
	f->srcs[f->nsrc++] = src;
	return cf_parse(src, &f->arena, &f->diags);
}

/* One library from NULL-terminated texts named t0.fidl, t1.fidl, ... */
static inline cf_library *fx_lib(fx *f, const char *first, ...)
{
	ast_file *files[16];
	unsigned n = 0;
	va_list ap;
	va_start(ap, first);
	for (const char *t = first; t && n < 16; t = va_arg(ap, const char *)) {
		char path[32];
		snprintf(path, sizeof(path), "t%u.fidl", f->nsrc);
		files[n++] = fx_parse(f, path, t, strlen(t));
	}
	va_end(ap);
	return cf_resolve_library(&f->model, files, n, &f->diags);
}

static inline char *fx_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	if (n < 0)
		n = 0;
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	size_t got = fread(buf, 1, (size_t)n, fp);
	fclose(fp);
	buf[got] = 0;
	*len = got;
	return buf;
}

static inline const char *fx_srcdir(void)
{
	const char *d = getenv("top_srcdir");
	return d ? d : ".";
}

/* Resolves the zx library shipped in idl/zx. */
static inline cf_library *fx_zx(fx *f)
{
	char path[4096];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/idl/zx/zx.fidl", fx_srcdir());
	char *text = fx_read(path, &len);
	if (!text)
		fail_msg("cannot read %s (set top_srcdir)", path);
	ast_file *file = fx_parse(f, path, text, len);
	free(text);
	cf_library *lib = cf_resolve_library(&f->model, &file, 1, &f->diags);
	assert_non_null(lib);
	assert_int_equal(f->diags.errors, 0);
	return lib;
}

static inline cf_decl *fx_decl(cf_library *lib, const char *name)
{
	cf_decl *d = cf_library_find(lib, name);
	if (!d)
		fail_msg("no declaration '%s' in %s", name, lib->name);
	return d;
}

static inline const cf_member *fx_member(const cf_decl *d, const char *name)
{
	for (unsigned i = 0; i < d->member_count; i++)
		if (d->members[i].name && strcmp(d->members[i].name, name) == 0)
			return &d->members[i];
	fail_msg("no member '%s' in %s", name, d->full_name);
	return NULL;
}

static inline const cf_method *fx_method(const cf_decl *d, const char *name)
{
	for (unsigned i = 0; i < d->method_count; i++)
		if (strcmp(d->methods[i].name, name) == 0)
			return &d->methods[i];
	fail_msg("no method '%s' in %s", name, d->full_name);
	return NULL;
}

/* Position of a declaration in lib->decls, or -1. */
static inline int fx_pos(const cf_library *lib, const char *name)
{
	for (unsigned i = 0; i < lib->decl_count; i++)
		if (strcmp(lib->decls[i]->name, name) == 0)
			return (int)i;
	return -1;
}

/* The first diagnostic must be id at line:col (col 0 = any column). */
#define fx_expect_first(f, id, ln, cl)                                         \
	do {                                                                   \
		assert_true((f)->diags.any);                                   \
		assert_int_equal(cf_diag_number((f)->diags.first_id),          \
		                 cf_diag_number(id));                          \
		assert_int_equal((f)->diags.first_loc.line, (ln));             \
		if (cl)                                                        \
			assert_int_equal((f)->diags.first_loc.col, (cl));      \
	} while (0)

#define fx_expect_clean(f) assert_int_equal((f)->diags.errors, 0)

#endif
