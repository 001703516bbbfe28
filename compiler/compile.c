#include "compile.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ordinal.h"
#include "parse.h"
#include "resolve.h"
#include "shape.h"

/* One library to compile: its parsed files and what it uses. */
typedef struct lib_unit {
	const char *name; /* from its first file's library declaration */
	ast_file **files;
	unsigned file_count;
	const char **deps;
	unsigned dep_count;
	bool explicit_group; /* given with --files, not found by search */
	int mark;            /* 0 new, 1 visiting, 2 done (ordering) */
} lib_unit;

typedef struct unit_list {
	lib_unit **items;
	unsigned count;
	unsigned cap;
} unit_list;

void cf_compilation_init(cf_compilation *c, FILE *diag_out)
{
	memset(c, 0, sizeof(*c));
	cf_arena_init(&c->arena);
	cf_diags_init(&c->diags, diag_out);
	c->model.arena = &c->arena;
}

void cf_compilation_free(cf_compilation *c)
{
	for (unsigned i = 0; i < c->source_count; i++)
		cf_source_free(c->sources[i]);
	free(c->sources);
	cf_arena_destroy(&c->arena);
	memset(c, 0, sizeof(*c));
}

const cf_library *cf_compilation_target(const cf_compilation *c)
{
	if (cf_diags_failed(&c->diags) || c->model.library_count == 0)
		return NULL;
	return c->model.libraries[c->model.library_count - 1];
}

static cf_loc no_loc(void)
{
	cf_loc loc = {0};
	return loc;
}

static void keep_source(cf_compilation *c, cf_source *src)
{
	if (c->source_count == c->source_cap) {
		unsigned cap = c->source_cap ? c->source_cap * 2 : 16;
		cf_source **n = realloc(c->sources, cap * sizeof(*n));
		if (!n) {
			fputs("cfidl: out of memory\n", stderr);
			abort();
		}
		c->sources = n;
		c->source_cap = cap;
	}
	c->sources[c->source_count++] = src;
}

static void list_push(cf_arena *arena, unit_list *l, lib_unit *u)
{
	if (l->count == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 8;
		lib_unit **n = CF_NEW_ARRAY(arena, lib_unit *, cap);
		if (l->count)
			memcpy(n, l->items, l->count * sizeof(*n));
		l->items = n;
		l->cap = cap;
	}
	l->items[l->count++] = u;
}

static lib_unit *list_find(const unit_list *l, const char *name)
{
	for (unsigned i = 0; i < l->count; i++)
		if (strcmp(l->items[i]->name, name) == 0)
			return l->items[i];
	return NULL;
}

/* Parses the sources into a unit. Returns NULL when no file named its
 * library (each such file was reported). */
static lib_unit *make_unit(cf_compilation *c, cf_source *const *srcs,
                           unsigned count, bool explicit_group)
{
	lib_unit *u = CF_NEW(&c->arena, lib_unit);
	u->files = CF_NEW_ARRAY(&c->arena, ast_file *, count ? count : 1);
	u->explicit_group = explicit_group;
	for (unsigned i = 0; i < count; i++) {
		ast_file *f = cf_parse(srcs[i], &c->arena, &c->diags);
		if (!f)
			continue;
		u->files[u->file_count++] = f;
		if (!u->name)
			u->name = f->library.dotted;
	}
	if (!u->name)
		return NULL;
	/* Dependencies of every file, without repeats. */
	for (unsigned i = 0; i < u->file_count; i++) {
		const char **names = NULL;
		unsigned n =
		    cf_file_dependencies(u->files[i], &names, &c->arena);
		for (unsigned j = 0; j < n; j++) {
			bool seen = false;
			for (unsigned k = 0; k < u->dep_count && !seen; k++)
				seen = strcmp(u->deps[k], names[j]) == 0;
			if (seen)
				continue;
			const char **nd = CF_NEW_ARRAY(&c->arena, const char *,
			                               u->dep_count + 1);
			if (u->dep_count)
				memcpy(nd, u->deps, u->dep_count * sizeof(*nd));
			nd[u->dep_count++] = names[j];
			u->deps = nd;
		}
	}
	return u;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Library names are dotted lowercase identifiers; anything else is not
 * looked up on disk (no "../" tricks through a `using`). */
static bool safe_library_name(const char *name)
{
	if (!*name || *name == '.')
		return false;
	for (const char *p = name; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || (ch == '.' && p[1] != '.' && p[1])))
			return false;
	}
	return true;
}

/* Reads the .fidl files of DIR/<name> in name order. Returns false when the
 * folder does not exist or holds no .fidl file. */
static bool load_library_dir(cf_compilation *c, const char *dir,
                             const char *name, unit_list *units)
{
	char *path = cf_arena_printf(&c->arena, "%s/%s", dir, name);
	DIR *d = opendir(path);
	if (!d)
		return false;
	const char **names = NULL;
	unsigned count = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !ends_with(e->d_name, ".fidl"))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			const char **n =
			    CF_NEW_ARRAY(&c->arena, const char *, cap);
			if (count)
				memcpy(n, names, count * sizeof(*n));
			names = n;
		}
		names[count++] =
		    cf_arena_printf(&c->arena, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (count == 0)
		return false;
	qsort(names, count, sizeof(*names), compare_strings);
	cf_source **srcs = CF_NEW_ARRAY(&c->arena, cf_source *, count);
	unsigned loaded = 0;
	for (unsigned i = 0; i < count; i++) {
		cf_source *src;
		int err = cf_source_load(names[i], &src);
		if (err) {
			cf_report(&c->diags, no_loc(), CF_DIAG_CANNOT_READ_FILE,
			          names[i], strerror(err));
			continue;
		}
		keep_source(c, src);
		srcs[loaded++] = src;
	}
	lib_unit *u = make_unit(c, srcs, loaded, false);
	if (u)
		list_push(&c->arena, units, u);
	return true;
}

/* The folders searched for used libraries: -I folders, then each entry
 * of CFIDL_IDL_PATH (colon separated), then the installed IDL. */
static void search_dirs(cf_compilation *c, const cf_compile_options *opts,
                        const char ***out, unsigned *count)
{
	unsigned cap = (opts ? opts->include_count : 0) + 2;
	const char *env = getenv("CFIDL_IDL_PATH");
	if (env)
		for (const char *p = env; *p; p++)
			cap += *p == ':';
	const char **dirs = CF_NEW_ARRAY(&c->arena, const char *, cap);
	unsigned n = 0;
	for (unsigned i = 0; opts && i < opts->include_count; i++)
		dirs[n++] = opts->include_dirs[i];
	if (env) {
		const char *p = env;
		while (*p) {
			const char *colon = strchr(p, ':');
			size_t len = colon ? (size_t)(colon - p) : strlen(p);
			if (len)
				dirs[n++] = cf_arena_strndup(&c->arena, p, len);
			p += len + (colon ? 1 : 0);
		}
	}
	const char *builtin = opts && opts->builtin_idl_dir
	                          ? opts->builtin_idl_dir
	                          : CFIDL_IDL_DIR;
	if (builtin && *builtin)
		dirs[n++] = builtin;
	*out = dirs;
	*count = n;
}

/* Where u first names library dep in a `using`. */
static cf_loc using_loc(const lib_unit *u, const char *dep)
{
	for (unsigned i = 0; i < u->file_count; i++)
		for (const ast_using *us = u->files[i]->usings; us;
		     us = us->next)
			if (us->library.dotted &&
			    strcmp(us->library.dotted, dep) == 0)
				return us->library.loc;
	return u->files[0]->library.loc;
}

/* Finds every library used (transitively) and not given, through the
 * search folders. Reports the first use of a library found nowhere. */
static void load_missing(cf_compilation *c, const cf_compile_options *opts,
                         unit_list *units)
{
	const char **dirs;
	unsigned dir_count;
	search_dirs(c, opts, &dirs, &dir_count);
	/* units grows while we walk it: that is the transitive closure. */
	for (unsigned i = 0; i < units->count; i++) {
		lib_unit *u = units->items[i];
		for (unsigned j = 0; j < u->dep_count; j++) {
			const char *dep = u->deps[j];
			if (list_find(units, dep) || !safe_library_name(dep))
				continue;
			bool found = false;
			for (unsigned k = 0; k < dir_count && !found; k++)
				found =
				    load_library_dir(c, dirs[k], dep, units);
			if (!found)
				cf_report(&c->diags, using_loc(u, dep),
				          CF_DIAG_LIBRARY_NOT_FOUND, dep);
		}
	}
}

/* Depth-first ordering, dependencies first. Reports a cycle once, at the
 * library that closes it. */
static bool order_visit(cf_compilation *c, unit_list *units, lib_unit *u,
                        unit_list *out, const char **stack, unsigned depth)
{
	if (u->mark == 2)
		return true;
	stack[depth] = u->name;
	if (u->mark == 1) {
		char *path = cf_arena_strdup(&c->arena, "");
		unsigned from = 0;
		while (strcmp(stack[from], u->name) != 0)
			from++;
		for (unsigned i = from; i <= depth; i++)
			path =
			    cf_arena_printf(&c->arena, "%s%s%s", path,
			                    i > from ? " -> " : "", stack[i]);
		cf_report(&c->diags, u->files[0]->library.loc,
		          CF_DIAG_LIBRARY_CYCLE, path);
		return false;
	}
	u->mark = 1;
	bool ok = true;
	for (unsigned j = 0; j < u->dep_count && ok; j++) {
		lib_unit *d = list_find(units, u->deps[j]);
		if (d)
			ok = order_visit(c, units, d, out, stack, depth + 1);
	}
	u->mark = 2;
	list_push(&c->arena, out, u);
	return ok;
}

static bool compile_units(cf_compilation *c, const cf_compile_options *opts,
                          unit_list *units)
{
	if (cf_diags_failed(&c->diags))
		return false;
	load_missing(c, opts, units);
	if (cf_diags_failed(&c->diags))
		return false;

	/* The target (the last group given) goes last: visit it last. */
	unit_list order = {0};
	const char **stack =
	    CF_NEW_ARRAY(&c->arena, const char *, units->count + 1);
	lib_unit *target = NULL;
	for (unsigned i = 0; i < units->count; i++)
		if (units->items[i]->explicit_group)
			target = units->items[i];
	for (unsigned i = 0; i < units->count; i++)
		if (units->items[i] != target &&
		    !order_visit(c, units, units->items[i], &order, stack, 0))
			return false;
	if (target && !order_visit(c, units, target, &order, stack, 0))
		return false;

	for (unsigned i = 0; i < order.count; i++) {
		lib_unit *u = order.items[i];
		cf_library *lib = cf_resolve_library(&c->model, u->files,
		                                     u->file_count, &c->diags);
		if (!lib || cf_diags_failed(&c->diags))
			return false;
		if (!cf_layout_library(lib, &c->diags) ||
		    !cf_assign_ordinals(lib, &c->diags))
			return false;
	}
	return !cf_diags_failed(&c->diags);
}

bool cf_compile(cf_compilation *c, const cf_compile_options *opts,
                const cf_file_group *groups, unsigned group_count)
{
	unit_list units = {0};
	for (unsigned g = 0; g < group_count; g++) {
		cf_source **srcs =
		    CF_NEW_ARRAY(&c->arena, cf_source *,
		                 groups[g].count ? groups[g].count : 1);
		unsigned loaded = 0;
		for (unsigned i = 0; i < groups[g].count; i++) {
			const char *path = groups[g].paths[i];
			cf_source *src;
			int err = cf_source_load(path, &src);
			if (err == EFBIG) {
				cf_report(&c->diags, no_loc(),
				          CF_DIAG_FILE_TOO_LARGE, path,
				          (unsigned)CF_MAX_SOURCE_BYTES);
				continue;
			}
			if (err) {
				cf_report(&c->diags, no_loc(),
				          CF_DIAG_CANNOT_READ_FILE, path,
				          strerror(err));
				continue;
			}
			keep_source(c, src);
			srcs[loaded++] = src;
		}
		lib_unit *u = make_unit(c, srcs, loaded, true);
		if (!u)
			continue;
		if (list_find(&units, u->name)) {
			cf_report(&c->diags, u->files[0]->library.loc,
			          CF_DIAG_DUPLICATE_LIBRARY, u->name);
			continue;
		}
		list_push(&c->arena, &units, u);
	}
	return compile_units(c, opts, &units);
}

bool cf_compile_memory(cf_compilation *c, const cf_compile_options *opts,
                       const char *const *names, const char *const *texts,
                       const size_t *lengths, unsigned count)
{
	cf_source **srcs =
	    CF_NEW_ARRAY(&c->arena, cf_source *, count ? count : 1);
	for (unsigned i = 0; i < count; i++) {
		srcs[i] = cf_source_from_memory(names[i], texts[i],
		                                lengths ? lengths[i]
		                                        : strlen(texts[i]));
		if (!srcs[i]) {
			fputs("cfidl: out of memory\n", stderr);
			abort();
		}
		keep_source(c, srcs[i]);
	}
	unit_list units = {0};
	lib_unit *u = make_unit(c, srcs, count, true);
	if (u)
		list_push(&c->arena, &units, u);
	return compile_units(c, opts, &units);
}
