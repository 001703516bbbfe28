/* gidl-run FIDL_DIR GIDL_FILE...: runs the FIDL conformance suite's cases
 * against cfidl's generated C bindings and libcfidl.
 *
 * 1. cfidl compiles the .fidl files of FIDL_DIR (one library) to JSON IR and C
 *    bindings, and each library it uses (found in $CFIDL_IDL_DIR) to C.
 * 2. The GIDL cases become one C test program (gidl_emit.c), compiled with
 *    $CC $CPPFLAGS $CFLAGS ... $LDFLAGS $LIBS and run; each case runs in
 *    its own child process.
 * 3. One line per failed or skipped case, then "N passed, N failed, N
 *    skipped". Exit status 0 only when nothing failed.
 *
 * Options: -v prints per-file counts, -k keeps the work folder. Environment:
 * CFIDL (the compiler; default: ../../compiler/cfidl next to this program),
 * CFIDL_IDL_DIR (where used libraries live: DIR/<library>/), CC,
 * CPPFLAGS, CFLAGS, LDFLAGS, LIBS (to find <cfidl/...> and libcfidl). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gidl.h"
#include "gidl_emit.h"
#include "gidl_types.h"

enum outcome { PENDING, PASSED, FAILED, SKIPPED };

typedef struct run_case {
	const gidl_file *file;
	const gidl_case *c;
	gidl_side side;
	enum outcome outcome;
	char reason[512];
} run_case;

typedef struct runner {
	char work[1024];
	const char *cfidl;
	const char *idl_dir;
	bool verbose, keep;
	run_case *cases;
	size_t ncases;
} runner;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "gidl-run: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* buf = WORK/name + ext. */
static void work_file(const runner *r, char *buf, size_t size, const char *name,
                      const char *ext)
{
	int n = snprintf(buf, size, "%s/%s%s", r->work, name, ext);
	if (n < 0 || (size_t)n >= size)
		die("path too long: %s", name);
}

/* Appends s to a shell command, single-quoted. */
static void sh_quote(char *cmd, size_t size, const char *s)
{
	size_t n = strlen(cmd);
	if (n + 3 >= size)
		return;
	cmd[n++] = '\'';
	for (; *s && n + 6 < size; s++) {
		if (*s == '\'') {
			memcpy(cmd + n, "'\\''", 4);
			n += 4;
		} else {
			cmd[n++] = *s;
		}
	}
	cmd[n++] = '\'';
	cmd[n] = '\0';
}

static void append(char *cmd, size_t size, const char *s)
{
	size_t n = strlen(cmd);
	snprintf(cmd + n, size - n, "%s", s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .fidl files of dir, sorted, appended to cmd as quoted words. */
static int add_fidl_files(char *cmd, size_t size, const char *dir)
{
	DIR *d = opendir(dir);
	char *names[1024];
	size_t n = 0;
	if (!d)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)) && n < 1024) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".fidl") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		append(cmd, size, " ");
		sh_quote(cmd, size, path);
		free(names[i]);
	}
	return (int)n;
}

/* Runs cmd with sh; its output goes to log (appended). */
static int run_logged(const char *cmd, const char *log)
{
	char full[65536];
	snprintf(full, sizeof full, "%s >>", cmd);
	sh_quote(full, sizeof full, log);
	append(full, sizeof full, " 2>&1");
	int status = system(full);
	return status == -1 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
}

static void print_log(const char *log, int max_lines)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	int n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof line, f) && n++ < max_lines)
		fprintf(stderr, "  %s", line);
	fclose(f);
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}

/* cfidl [-I IDL] OUTPUTS --files FILES... for one library. */
static int run_cfidl(runner *r, const char *outputs, const char *fidl_dir,
                     const char *log)
{
	char cmd[65536] = "";
	sh_quote(cmd, sizeof cmd, r->cfidl);
	if (r->idl_dir) {
		append(cmd, sizeof cmd, " -I ");
		sh_quote(cmd, sizeof cmd, r->idl_dir);
	}
	append(cmd, sizeof cmd, " ");
	append(cmd, sizeof cmd, outputs);
	append(cmd, sizeof cmd, " --files");
	if (add_fidl_files(cmd, sizeof cmd, fidl_dir) <= 0) {
		fprintf(stderr, "gidl-run: no .fidl files in %s\n", fidl_dir);
		return -1;
	}
	return run_logged(cmd, log);
}

static void outputs_for(runner *r, const char *lib, bool json, char *buf,
                        size_t size)
{
	char path[PATH_MAX];
	buf[0] = '\0';
	if (json) {
		append(buf, size, "--json ");
		work_file(r, path, sizeof path, "ir", ".json");
		sh_quote(buf, size, path);
		append(buf, size, " ");
	}
	append(buf, size, "--c-header ");
	work_file(r, path, sizeof path, lib, ".h");
	sh_quote(buf, size, path);
	append(buf, size, " --c-source ");
	work_file(r, path, sizeof path, lib, ".c");
	sh_quote(buf, size, path);
}

/* Library name and dependencies from the IR. */
static json_t *read_ir_names(const char *path)
{
	json_error_t err;
	return json_load_file(path, JSON_DECODE_INT_AS_REAL, &err);
}

/* Compiles the library and its dependencies; the C sources to link go into
 * srcs (quoted words). Returns the gt_library or NULL. */
static gt_library *compile_fidl(runner *r, const char *fidl_dir, char *srcs,
                                size_t srcs_size, char *header, size_t hsize)
{
	char log[PATH_MAX], opts[8192], ir[PATH_MAX], err[512], path[PATH_MAX];
	work_file(r, log, sizeof log, "cfidl", ".log");
	work_file(r, ir, sizeof ir, "ir", ".json");
	/* First the IR alone: it names the library. */
	char jopt[PATH_MAX + 16] = "--json ";
	sh_quote(jopt, sizeof jopt, ir);
	if (run_cfidl(r, jopt, fidl_dir, log) != 0) {
		fprintf(stderr, "gidl-run: cfidl failed on %s:\n", fidl_dir);
		print_log(log, 40);
		return NULL;
	}
	json_t *root = read_ir_names(ir);
	const char *name = json_string_value(json_object_get(root, "name"));
	if (!name) {
		json_decref(root);
		fprintf(stderr, "gidl-run: %s: no library name\n", ir);
		return NULL;
	}
	outputs_for(r, name, false, opts, sizeof opts);
	snprintf(header, hsize, "%s.h", name);
	int st = run_cfidl(r, opts, fidl_dir, log);
	work_file(r, path, sizeof path, name, ".c");
	sh_quote(srcs, srcs_size, path);
	/* Used libraries: their headers are included by ours. */
	json_t *deps = json_object_get(root, "library_dependencies");
	for (size_t i = 0; st == 0 && i < json_array_size(deps); i++) {
		const char *dep = json_string_value(
		    json_object_get(json_array_get(deps, i), "name"));
		char dir[PATH_MAX];
		if (!dep || !r->idl_dir)
			continue;
		snprintf(dir, sizeof dir, "%s/%s", r->idl_dir, dep);
		outputs_for(r, dep, false, opts, sizeof opts);
		st = run_cfidl(r, opts, dir, log);
		work_file(r, path, sizeof path, dep, ".c");
		append(srcs, srcs_size, " ");
		sh_quote(srcs, srcs_size, path);
	}
	json_decref(root);
	if (st != 0) {
		fprintf(stderr, "gidl-run: cfidl --c-header/--c-source "
		                "failed:\n");
		print_log(log, 40);
		return NULL;
	}
	gt_library *lib = gt_load(ir, err, sizeof err);
	if (!lib)
		fprintf(stderr, "gidl-run: %s\n", err);
	return lib;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16] = "rm -rf ";
	sh_quote(cmd, sizeof cmd, dir);
	return system(cmd);
}

/* Reads the test program's "PASS\tid" / "FAIL\tid\treason" lines. */
static void read_results(runner *r, const char *cmd, const int *ids)
{
	FILE *p = popen(cmd, "r");
	char line[2048];
	if (!p)
		return;
	while (fgets(line, sizeof line, p)) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		int id = atoi(tab + 1);
		char *reason = strchr(tab + 1, '\t');
		if (id < 0 || (size_t)id >= r->ncases || ids[id] < 0)
			continue;
		run_case *rc = &r->cases[ids[id]];
		if (strcmp(line, "PASS") == 0) {
			rc->outcome = PASSED;
		} else {
			rc->outcome = FAILED;
			if (reason) {
				reason++;
				reason[strcspn(reason, "\n")] = '\0';
				snprintf(rc->reason, sizeof rc->reason, "%s",
				         reason);
			}
		}
	}
	pclose(p);
}

static void report(runner *r, gidl_file **files, int nfiles)
{
	size_t pass = 0, failed = 0, skip = 0;
	for (size_t i = 0; i < r->ncases; i++) {
		run_case *rc = &r->cases[i];
		const char *tag = NULL;
		if (rc->outcome == PENDING) {
			rc->outcome = FAILED;
			snprintf(rc->reason, sizeof rc->reason,
			         "no result (the test program stopped)");
		}
		if (rc->outcome == FAILED) {
			tag = "FAIL";
			failed++;
		} else if (rc->outcome == SKIPPED) {
			tag = "SKIP";
			skip++;
		} else {
			pass++;
		}
		if (tag)
			printf("%s %s: %s(\"%s\") %s: %s\n", tag,
			       base_name(rc->file->path),
			       gidl_case_kind_name(rc->c->kind), rc->c->name,
			       rc->side == GIDL_SIDE_ENCODE ? "encode"
			                                    : "decode",
			       rc->reason);
	}
	if (r->verbose) {
		for (int f = 0; f < nfiles; f++) {
			size_t n[4] = {0};
			for (size_t i = 0; i < r->ncases; i++) {
				if (r->cases[i].file == files[f])
					n[r->cases[i].outcome]++;
			}
			printf("# %s: %zu passed, %zu failed, %zu skipped\n",
			       base_name(files[f]->path), n[PASSED], n[FAILED],
			       n[SKIPPED]);
		}
	}
	printf("%zu passed, %zu failed, %zu skipped\n", pass, failed, skip);
}

static bool in_list(char **list, size_t n, const char *binding)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], binding) == 0)
			return true;
	}
	return false;
}

/* Whether the case's binding lists let `binding` run it. */
static bool applies_to(const gidl_case *c, const char *binding)
{
	if (c->has_allowlist && !in_list(c->allowlist, c->nallowlist, binding))
		return false;
	return !in_list(c->denylist, c->ndenylist, binding);
}

/* Skipped for the `c` binding only when a list names it. */
static bool excluded_binding(const gidl_case *c)
{
	return in_list(c->denylist, c->ndenylist, "c") ||
	       (c->has_allowlist && c->nallowlist == 0);
}

static const char *decode_type(const gidl_case *c)
{
	return c->value && c->value->kind == GIDL_V_OBJECT ? c->value->name
	                                                   : c->type;
}

/* Two decode sides that get the same message (type, bytes, handles of the
 * same kind and rights) but expect different outcomes: the suite's
 * binding-specific variants of one behaviour. */
static bool same_message(const gidl_case *a, const gidl_case *b)
{
	const char *ta = decode_type(a), *tb = decode_type(b);
	if (!ta || !tb || strcmp(ta, tb) != 0 || a->bytes.len != b->bytes.len ||
	    memcmp(a->bytes.data, b->bytes.data, a->bytes.len) != 0 ||
	    a->handles.count != b->handles.count)
		return false;
	for (size_t i = 0; i < a->handles.count; i++) {
		const gidl_handle_def *ha = &a->handle_defs[a->handles.idx[i]];
		const gidl_handle_def *hb = &b->handle_defs[b->handles.idx[i]];
		if (ha->obj_type != hb->obj_type ||
		    ha->has_rights != hb->has_rights ||
		    ha->rights != hb->rights)
			return false;
	}
	const char *oa = a->err ? a->err : "success";
	const char *ob = b->err ? b->err : "success";
	return strcmp(oa, ob) != 0;
}

/* When variants conflict, c follows the one llcpp (the other wire-view
 * binding) runs, else the one rust runs (rust already drops unknown data
 * as RFC-0137 asks); the others are skipped. Returns the case c follows
 * instead of this one, or NULL. */
static const gidl_case *conflicting_variant(gidl_file **files, int nfiles,
                                            const gidl_case *c)
{
	static const char *const prefer[] = {"llcpp", "rust"};
	for (size_t p = 0; p < 2; p++) {
		const gidl_case *chosen = NULL;
		bool conflict = false;
		for (int f = 0; f < nfiles; f++) {
			for (size_t i = 0; i < files[f]->ncases; i++) {
				const gidl_case *o = &files[f]->cases[i];
				if (o == c ||
				    !gidl_case_has_side(o, GIDL_SIDE_DECODE) ||
				    !same_message(c, o))
					continue;
				conflict = true;
				if (applies_to(o, prefer[p]))
					chosen = o;
			}
		}
		if (!conflict)
			return NULL;
		if (applies_to(c, prefer[p]))
			return NULL;
		if (chosen)
			return chosen;
	}
	return NULL;
}

static void list_text(char *buf, size_t size, const gidl_case *c)
{
	size_t used = 0;
	buf[0] = '\0';
	char **list = c->has_allowlist ? c->allowlist : c->denylist;
	size_t n = c->has_allowlist ? c->nallowlist : c->ndenylist;
	used += (size_t)snprintf(buf, size, "%s [",
	                         c->has_allowlist ? "allowlist" : "denylist");
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
		                         i ? ", " : "", list[i]);
	if (used < size)
		snprintf(buf + used, size - used, "]");
}

int main(int argc, char **argv)
{
	runner r = {0};
	int opt;
	while ((opt = getopt(argc, argv, "vk")) != -1) {
		if (opt == 'v')
			r.verbose = true;
		else if (opt == 'k')
			r.keep = true;
		else
			die("%s", "usage: gidl-run [-v] [-k] FIDL_DIR "
			          "GIDL_FILE...");
	}
	if (argc - optind < 2)
		die("%s", "usage: gidl-run [-v] [-k] FIDL_DIR GIDL_FILE...");
	const char *fidl_dir = argv[optind];
	int nfiles = argc - optind - 1;
	gidl_file **files = calloc((size_t)nfiles, sizeof *files);
	char err[1024];
	for (int i = 0; i < nfiles; i++) {
		files[i] =
		    gidl_parse_file(argv[optind + 1 + i], err, sizeof err);
		if (!files[i])
			die("%s", err);
	}

	/* The compiler: $CFIDL, else ../../compiler/cfidl next to us. */
	char self[PATH_MAX], guess[PATH_MAX];
	snprintf(self, sizeof self, "%s", argv[0]);
	snprintf(guess, sizeof guess, "%s/../../compiler/cfidl", dirname(self));
	r.cfidl = env_or("CFIDL", guess);
	r.idl_dir = env_or("CFIDL_IDL_DIR", NULL);
	snprintf(r.work, sizeof r.work, "%s/gidl-run.XXXXXX",
	         env_or("TMPDIR", "/tmp"));
	if (!mkdtemp(r.work))
		die("cannot make a folder in %s", env_or("TMPDIR", "/tmp"));

	char srcs[16384] = "", header[256];
	gt_library *lib = compile_fidl(&r, fidl_dir, srcs, sizeof srcs, header,
	                               sizeof header);
	if (!lib) {
		if (!r.keep)
			remove_tree(r.work);
		exit(2);
	}

	/* Every case side, emitted or skipped. */
	size_t total = 0;
	for (int f = 0; f < nfiles; f++)
		total += 2 * files[f]->ncases;
	r.cases = calloc(total + 1, sizeof *r.cases);
	int *ids = calloc(total + 1, sizeof *ids);
	char test_c[PATH_MAX];
	work_file(&r, test_c, sizeof test_c, "gidl_test", ".c");
	FILE *out = fopen(test_c, "w");
	if (!r.cases || !ids || !out)
		die("%s", "cannot write the test program");
	gidl_emit_prelude(out, header);
	int emitted = 0;
	for (int f = 0; f < nfiles; f++) {
		for (size_t i = 0; i < files[f]->ncases; i++) {
			const gidl_case *c = &files[f]->cases[i];
			for (int s = 0; s < 2; s++) {
				if (!gidl_case_has_side(c, (gidl_side)s))
					continue;
				run_case *rc = &r.cases[r.ncases];
				rc->file = files[f];
				rc->c = c;
				rc->side = (gidl_side)s;
				const gidl_case *other =
				    s == GIDL_SIDE_DECODE
				        ? conflicting_variant(files, nfiles, c)
				        : NULL;
				if (excluded_binding(c)) {
					rc->outcome = SKIPPED;
					snprintf(rc->reason, sizeof rc->reason,
					         "the binding lists exclude c");
					r.ncases++;
					continue;
				}
				if (other) {
					char lists[256];
					list_text(lists, sizeof lists, c);
					rc->outcome = SKIPPED;
					snprintf(rc->reason, sizeof rc->reason,
					         "variant for %s; the same "
					         "message is expected to give "
					         "%s in \"%s\", which c "
					         "follows",
					         lists,
					         other->err ? other->err
					                    : "success",
					         other->name);
					r.ncases++;
					continue;
				}
				gidl_emit_result res = gidl_emit_case(
				    out, lib, c, (gidl_side)s, emitted,
				    rc->reason, sizeof rc->reason);
				if (res == GIDL_SKIPPED)
					rc->outcome = SKIPPED;
				else if (res == GIDL_BROKEN)
					rc->outcome = FAILED;
				else
					ids[emitted++] = (int)r.ncases;
				r.ncases++;
			}
		}
	}
	gidl_emit_main(out, emitted);
	if (fclose(out) != 0)
		die("%s", "cannot write the test program");

	/* Build and run it. */
	char cmd[65536] = "", exe[PATH_MAX], log[PATH_MAX];
	work_file(&r, exe, sizeof exe, "gidl_test", "");
	work_file(&r, log, sizeof log, "cc", ".log");
	snprintf(cmd, sizeof cmd, "%s %s -I", env_or("CC", "cc"),
	         env_or("CPPFLAGS", ""));
	sh_quote(cmd, sizeof cmd, r.work);
	append(cmd, sizeof cmd, " ");
	append(cmd, sizeof cmd, env_or("CFLAGS", "-std=c11 -g"));
	append(cmd, sizeof cmd, " -fno-strict-aliasing -o ");
	sh_quote(cmd, sizeof cmd, exe);
	append(cmd, sizeof cmd, " ");
	sh_quote(cmd, sizeof cmd, test_c);
	append(cmd, sizeof cmd, " ");
	append(cmd, sizeof cmd, srcs);
	append(cmd, sizeof cmd, " ");
	append(cmd, sizeof cmd, env_or("LDFLAGS", ""));
	append(cmd, sizeof cmd, " ");
	append(cmd, sizeof cmd, env_or("LIBS", ""));
	if (run_logged(cmd, log) != 0) {
		fprintf(stderr,
		        "gidl-run: the test program does not compile "
		        "(%s):\n",
		        test_c);
		print_log(log, 60);
		for (int i = 0; i < emitted; i++)
			snprintf(r.cases[ids[i]].reason,
			         sizeof r.cases[ids[i]].reason,
			         "the test program does not compile");
		for (int i = 0; i < emitted; i++)
			r.cases[ids[i]].outcome = FAILED;
	} else {
		char run[PATH_MAX + 8] = "";
		sh_quote(run, sizeof run, exe);
		read_results(&r, run, ids);
	}
	report(&r, files, nfiles);

	size_t failed = 0;
	for (size_t i = 0; i < r.ncases; i++)
		failed += r.cases[i].outcome == FAILED;
	if (!r.keep)
		remove_tree(r.work);
	else
		fprintf(stderr, "gidl-run: work folder kept: %s\n", r.work);
	gt_free(lib);
	for (int i = 0; i < nfiles; i++)
		gidl_file_free(files[i]);
	free(files);
	free(r.cases);
	free(ids);
	return failed ? 1 : 0;
}
