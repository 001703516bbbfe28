/* Golden IR: runs the built cfidl on every library of idl/ and of
 * tests/compiler/libs/ and compares its JSON byte for byte with
 * tests/compiler/golden/<library>.json.golden. cfidl runs in top_srcdir
 * with relative paths, so the IR's file names do not depend on where the
 * tree is. With CFIDL_UPDATE_GOLDENS=1 the goldens are rewritten instead
 * (`make update-goldens`); review such a diff before committing it. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *srcdir, *builddir;
static bool updating;

/* Folders (relative to top_srcdir) whose sub-folders are libraries. */
static const char *const roots[] = {"idl", "tests/compiler/libs"};

typedef struct golden_case {
	char name[256];   /* the library folder's name */
	char folder[512]; /* relative to top_srcdir */
	char **files;     /* relative .fidl paths, sorted */
	unsigned file_count;
} golden_case;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static golden_case *make_case(const char *root, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s", srcdir, root, name);
	DIR *dir = opendir(path);
	if (!dir)
		return NULL;
	golden_case *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->folder, sizeof(c->folder), "%s/%s", root, name);
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (!has_suffix(e->d_name, ".fidl"))
			continue;
		c->files =
		    realloc(c->files, sizeof(char *) * (c->file_count + 1));
		assert_non_null(c->files);
		size_t n = strlen(c->folder) + strlen(e->d_name) + 2;
		c->files[c->file_count] = malloc(n);
		assert_non_null(c->files[c->file_count]);
		snprintf(c->files[c->file_count], n, "%s/%s", c->folder,
		         e->d_name);
		c->file_count++;
	}
	closedir(dir);
	if (!c->file_count) {
		free(c->files);
		free(c);
		return NULL;
	}
	qsort(c->files, c->file_count, sizeof(char *), cmp_str);
	return c;
}

static void free_case(golden_case *c)
{
	for (unsigned i = 0; i < c->file_count; i++)
		free(c->files[i]);
	free(c->files);
	free(c);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static bool write_all(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

/* Runs cfidl in top_srcdir; returns its exit status, diagnostics in
 * err_path. */
static int run_cfidl(const golden_case *c, const char *out_path,
                     const char *err_path)
{
	char cfidl[1024];
	snprintf(cfidl, sizeof(cfidl), "%s/compiler/cfidl", builddir);
	const char **argv = calloc(c->file_count + 12, sizeof(char *));
	assert_non_null(argv);
	unsigned n = 0;
	argv[n++] = cfidl;
	argv[n++] = "--json";
	argv[n++] = out_path;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		argv[n++] = "-I";
		argv[n++] = roots[i];
	}
	argv[n++] = "--files";
	for (unsigned i = 0; i < c->file_count; i++)
		argv[n++] = c->files[i];
	argv[n] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0 || chdir(srcdir) != 0)
			_exit(126);
		/* The installed IDL must not stand in for the tree's. */
		unsetenv("CFIDL_IDL_PATH");
		execv(cfidl, (char *const *)argv);
		_exit(127);
	}
	free(argv);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *compile_case(const golden_case *c, const char *tag, size_t *len)
{
	char out[1024], err[1024];
	snprintf(out, sizeof(out), "%s/tests/compiler/golden-%s.%s.json",
	         builddir, c->name, tag);
	snprintf(err, sizeof(err), "%s/tests/compiler/golden-%s.%s.err",
	         builddir, c->name, tag);
	int rc = run_cfidl(c, out, err);
	if (rc != 0) {
		size_t n;
		char *diag = read_all(err, &n);
		print_error("cfidl exited %d on %s:\n%s\n", rc, c->folder,
		            diag ? diag : "(no output)");
		free(diag);
		unlink(out);
		unlink(err);
		fail();
	}
	char *ir = read_all(out, len);
	if (!ir)
		fail_msg("cfidl wrote no IR for %s", c->folder);
	unlink(out);
	unlink(err);
	return ir;
}

/* First differing line, for a readable failure. */
static void report_diff(const char *want, const char *got, const char *name)
{
	unsigned line = 1;
	const char *w = want, *g = got;
	while (*w && *w == *g) {
		if (*w == '\n')
			line++;
		w++;
		g++;
	}
	const char *wl = w, *gl = g;
	while (wl > want && wl[-1] != '\n')
		wl--;
	while (gl > got && gl[-1] != '\n')
		gl--;
	int wn = (int)strcspn(wl, "\n"), gn = (int)strcspn(gl, "\n");
	print_error("%s differs from its golden at line %u:\n  golden: %.*s\n  "
	            "cfidl:  %.*s\n(run `make update-goldens` and review the "
	            "diff if the change is intended)\n",
	            name, line, wn, wl, gn, gl);
}

static void test_case(void **state)
{
	golden_case *c = *state;
	size_t len, len2;
	char *ir = compile_case(c, "a", &len);
	/* Determinism: a second run gives the same bytes. */
	char *again = compile_case(c, "b", &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(ir, again, len);
	free(again);

	char golden[1024];
	snprintf(golden, sizeof(golden),
	         "%s/tests/compiler/golden/%s.json.golden", srcdir, c->name);
	if (updating) {
		bool written = write_all(golden, ir, len);
		free(ir);
		if (!written)
			fail_msg("cannot write %s", golden);
		return;
	}
	size_t glen;
	char *want = read_all(golden, &glen);
	if (!want) {
		free(ir);
		fail_msg("no golden for %s: run `make update-goldens` and "
		         "review %s",
		         c->folder, golden);
	}
	bool same = glen == len && memcmp(want, ir, len) == 0;
	if (!same)
		report_diff(want, ir, c->name);
	free(want);
	free(ir);
	assert_true(same);
}

int main(void)
{
	srcdir = getenv("top_srcdir");
	builddir = getenv("top_builddir");
	if (!srcdir || !builddir) {
		printf("1..0 # SKIP top_srcdir/top_builddir not set (run "
		       "through make check)\n");
		return 0;
	}
	const char *u = getenv("CFIDL_UPDATE_GOLDENS");
	updating = u && *u && strcmp(u, "0") != 0;

	golden_case **cases = NULL;
	unsigned count = 0;
	for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", srcdir, roots[r]);
		DIR *dir = opendir(path);
		if (!dir)
			continue;
		char **names = NULL;
		unsigned n = 0;
		struct dirent *e;
		while ((e = readdir(dir))) {
			if (e->d_name[0] == '.')
				continue;
			names = realloc(names, sizeof(char *) * (n + 1));
			assert_non_null(names);
			names[n++] = strdup(e->d_name);
		}
		closedir(dir);
		if (n)
			qsort(names, n, sizeof(char *), cmp_str);
		for (unsigned i = 0; i < n; i++) {
			golden_case *c = make_case(roots[r], names[i]);
			if (c) {
				cases = realloc(cases,
				                sizeof(*cases) * (count + 1));
				assert_non_null(cases);
				cases[count++] = c;
			}
			free(names[i]);
		}
		free(names);
	}
	if (!count) {
		printf("1..0 # SKIP no libraries found under %s\n", srcdir);
		free(cases);
		return 0;
	}
	struct CMUnitTest *tests = calloc(count, sizeof(*tests));
	assert_non_null(tests);
	for (unsigned i = 0; i < count; i++) {
		tests[i] = (struct CMUnitTest){
		    .name = cases[i]->name,
		    .test_func = test_case,
		    .initial_state = cases[i],
		};
	}
	int rc = _cmocka_run_group_tests("golden", tests, count, NULL, NULL);
	free(tests);
	for (unsigned i = 0; i < count; i++)
		free_case(cases[i]);
	free(cases);
	return rc;
}
