/* bench_compile: time cfidl against protoc-c and rpcgen on the same library.
 *
 * For each size the synthetic library is generated in its three languages,
 * every tool runs once to warm the caches, then the tools take turns (the
 * order rotates each round, so drift hits all alike) and the harness prints
 * the median wall time and median peak RSS of each. See bench/README.md.
 */
#include "gen.h"
#include "run.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The primary peers set the targets: protoc-c --c_out, and rpcgen -c (the
 * XDR routines, its cheaper single-output mode). The others are shown for
 * context: protoc-c writing only a descriptor set (protoc's own IR, the
 * output nearest to cfidl's) and rpcgen -h (the header). */
enum { CFIDL, PROTOC, PROTOC_DESC, RPCGEN, RPCGEN_H, NTOOLS };

struct tool {
	const char *id;
	const char *exe;      /* absolute path, or NULL when skipped */
	const char *why;      /* why skipped */
	const char *size_why; /* why skipped at the current size */
	const char
	    *outs[3]; /* removed before each run: rpcgen won't overwrite */
	char *argv[8];
	/* per size */
	double *t;
	long *rss;
	unsigned n;
	int failed;
	double med_t;
	double med_rss; /* MiB */
};

struct size_result {
	unsigned size;
	unsigned lines; /* of lib.fidl */
	int have[NTOOLS];
	double t[NTOOLS];
	double rss[NTOOLS];
};

struct opts {
	unsigned sizes[8];
	unsigned nsizes;
	unsigned runs;
	unsigned large_runs;
	unsigned long long seed;
	const char *workdir;
	int keep;
	int sanitized;
};

static struct tool tools[NTOOLS] = {
    [CFIDL] = {.id = "cfidl", .outs = {"out/lib.json"}},
    [PROTOC] = {.id = "protoc-c", .outs = {"out/lib.pb-c.c", "out/lib.pb-c.h"}},
    [PROTOC_DESC] = {.id = "protoc-c-descriptor", .outs = {"out/lib.pb"}},
    [RPCGEN] = {.id = "rpcgen", .outs = {"out/lib_xdr.c"}},
    [RPCGEN_H] = {.id = "rpcgen-header", .outs = {"out/lib.h"}},
};

static int usage(void)
{
	fprintf(stderr,
	        "usage: bench_compile --cfidl PATH [--protoc-c PATH] "
	        "[--rpcgen PATH]\n"
	        "         [--sizes N,N,...] [--runs N] [--large-runs N] "
	        "[--seed N]\n"
	        "         [--workdir DIR] [--keep] [--sanitizer-flags FLAGS]\n"
	        "An empty PATH skips that tool; a peer not given is looked up "
	        "in PATH.\n");
	return 2;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* An absolute path that keeps the last component as given: protoc-c is a
 * symlink to protoc-gen-c and picks its mode from argv[0]. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	size_t n;
	char *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	n = strlen(cwd) + strlen(path) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", cwd, path);
	return out;
}

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	while (path && *path) {
		size_t len = strcspn(path, ":");
		if (len &&
		    (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)len,
		                     path, name) < sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return absolute(buf);
		path += len + (path[len] == ':');
	}
	return NULL;
}

/* A libtool wrapper script would add a shell to every timing; use the real
 * binary next to it when there is one. */
static char *real_binary(const char *path)
{
	char head[2] = {0}, alt[PATH_MAX];
	FILE *fp = fopen(path, "rb");

	if (!fp)
		return NULL;
	size_t n = fread(head, 1, 2, fp);
	fclose(fp);
	if (n == 2 && head[0] == '#' && head[1] == '!') {
		const char *slash = strrchr(path, '/');
		int dir = slash ? (int)(slash - path + 1) : 0;
		const char *base = slash ? slash + 1 : path;
		const char *pfx[] = {"lt-", ""};
		for (int i = 0; i < 2; i++) {
			snprintf(alt, sizeof(alt), "%.*s.libs/%s%s", dir, path,
			         pfx[i], base);
			if (access(alt, X_OK) == 0) {
				printf("# %s is a libtool wrapper; timing %s\n",
				       path, alt);
				return absolute(alt);
			}
		}
		printf("# WARNING: %s is a script; its timings include a "
		       "shell\n",
		       path);
	}
	return absolute(path);
}

/* hint: how to get the tool. */
static void set_tool(struct tool *t, const char *given, const char *name,
                     const char *hint)
{
	static char why[256];
	char *exe;

	if (given && !*given) {
		snprintf(why, sizeof(why),
		         "%s not found at configure time (%s)", name, hint);
		t->why = why;
		return;
	}
	exe = given ? real_binary(given) : find_in_path(name);
	if (!exe || access(exe, X_OK)) {
		snprintf(why, sizeof(why), "%s not found%s%s (%s)", name,
		         given ? " at " : " in PATH", given ? given : "", hint);
		t->why = why;
		free(exe);
		return;
	}
	t->exe = exe;
}

static void set_argv(void)
{
	char **a;

	a = tools[CFIDL].argv;
	a[0] = (char *)tools[CFIDL].exe;
	a[1] = "--json";
	a[2] = "out/lib.json";
	a[3] = "--files";
	a[4] = "lib.fidl";
	a = tools[PROTOC].argv;
	a[0] = (char *)tools[PROTOC].exe;
	a[1] = "-I.";
	a[2] = "--c_out=out";
	a[3] = "lib.proto";
	a = tools[PROTOC_DESC].argv;
	a[0] = (char *)tools[PROTOC_DESC].exe;
	a[1] = "-I.";
	a[2] = "--descriptor_set_out=out/lib.pb";
	a[3] = "lib.proto";
	a = tools[RPCGEN].argv;
	a[0] = (char *)tools[RPCGEN].exe;
	a[1] = "-c";
	a[2] = "-o";
	a[3] = "out/lib_xdr.c";
	a[4] = "lib.x";
	a = tools[RPCGEN_H].argv;
	a[0] = (char *)tools[RPCGEN_H].exe;
	a[1] = "-h";
	a[2] = "-o";
	a[3] = "out/lib.h";
	a[4] = "lib.x";
}

static void size_label(unsigned size, char *out, size_t n)
{
	if (size % 1000 == 0)
		snprintf(out, n, "%uk", size / 1000);
	else
		snprintf(out, n, "%u", size);
}

struct gen_report {
	int ok;
	unsigned lines[3];
	struct bench_counts c;
};

/* Generates in a child so the harness never holds the texts: Linux charges
 * the parent's pages at fork to each child's peak RSS. */
static int generate(unsigned size, unsigned long long seed, const char *dir,
                    struct gen_report *rep)
{
	int fd[2], status;
	pid_t pid;

	memset(rep, 0, sizeof(*rep));
	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct bench_lib lib;
		struct gen_report r = {0};

		close(fd[0]);
		if (!bench_gen(size, seed, &lib)) {
			r.ok = !bench_lib_write(&lib, dir);
			r.lines[0] = lib.fidl.lines;
			r.lines[1] = lib.proto.lines;
			r.lines[2] = lib.x.lines;
			r.c = lib.counts;
			bench_lib_free(&lib);
		}
		_exit(write(fd[1], &r, sizeof(r)) == sizeof(r) && r.ok ? 0 : 1);
	}
	close(fd[1]);
	ssize_t n = read(fd[0], rep, sizeof(*rep));
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*rep) || !rep->ok)
		return -1;
	return 0;
}

static void remove_outputs(const struct tool *t, const char *dir)
{
	char path[PATH_MAX];

	for (int i = 0; i < 3 && t->outs[i]; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		                     t->outs[i]) < sizeof(path))
			unlink(path);
	}
}

static void show_errors(const char *path)
{
	char line[512];
	FILE *fp = fopen(path, "r");

	for (int i = 0; fp && i < 8 && fgets(line, sizeof(line), fp); i++)
		printf("#   | %s%s", line, strchr(line, '\n') ? "" : "\n");
	if (fp)
		fclose(fp);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
	double *s = malloc(n * sizeof(*s));
	double m;

	if (!s)
		return v[0];
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* A tool gets as many runs as fit in this many seconds (at least one); one
 * whose warm-up alone took longer is not run again and the warm-up is its
 * sample: rpcgen grows quadratically and takes minutes at 200k lines, where
 * a cold cache no longer matters. */
#define BUDGET_S 30.0

static int measure(const struct opts *o, unsigned size, const char *dir,
                   struct size_result *res)
{
	unsigned runs = size > 20000 ? o->large_runs : o->runs, want[NTOOLS];
	char path[PATH_MAX];
	struct bench_run r = {0};

	for (int i = 0; i < NTOOLS; i++) {
		struct tool *t = &tools[i];

		t->n = 0;
		t->size_why = NULL;
		want[i] = 0;
		t->failed = !t->exe;
		if (!t->exe)
			continue;
		/* rpcgen -h only adds context, and costs minutes past 20k. */
		if (i == RPCGEN_H && size > 20000) {
			t->size_why =
			    "context only, measured up to 20000 lines";
			printf("SKIP tool=%s size=%u reason=\"%s\"\n", t->id,
			       size, t->size_why);
			t->failed = 1;
			continue;
		}
		/* Warm-up, with stderr kept to show why a tool failed. */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.err", dir,
		                     t->id) >= sizeof(path))
			return -1;
		remove_outputs(t, dir);
		if (bench_run(t->argv, dir, path, &r) || r.exit_status != 0) {
			printf("FAIL tool=%s size=%u status=%d signal=%d "
			       "(stderr in %s)\n",
			       t->id, size, r.exit_status, r.signal, path);
			show_errors(path);
			t->failed = 1;
			continue;
		}
		if (r.seconds > BUDGET_S) {
			t->t[0] = r.seconds;
			t->rss[0] = r.maxrss_kib;
			t->n = 1;
			continue;
		}
		want[i] = runs;
		if (r.seconds * runs > BUDGET_S)
			want[i] = (unsigned)(BUDGET_S / r.seconds);
		if (want[i] < 1)
			want[i] = 1;
	}
	for (unsigned run = 0; run < runs; run++) {
		for (int k = 0; k < NTOOLS; k++) {
			int i = (k + (int)run) % NTOOLS;
			struct tool *t = &tools[i];

			if (t->failed || run >= want[i])
				continue;
			remove_outputs(t, dir);
			if (bench_run(t->argv, dir, NULL, &r) ||
			    r.exit_status != 0) {
				printf(
				    "FAIL tool=%s size=%u run=%u status=%d\n",
				    t->id, size, run, r.exit_status);
				t->failed = 1;
				continue;
			}
			t->t[t->n] = r.seconds;
			t->rss[t->n] = r.maxrss_kib;
			t->n++;
		}
	}
	for (int i = 0; i < NTOOLS; i++) {
		struct tool *t = &tools[i];
		double rss[64];

		res->have[i] = !t->failed && t->n > 0;
		if (!res->have[i])
			continue;
		for (unsigned j = 0; j < t->n; j++)
			rss[j] = (double)t->rss[j] / 1024.0;
		res->t[i] = median(t->t, t->n);
		res->rss[i] = median(rss, t->n);
		printf(
		    "# %-20s median %.4g s, peak RSS %.1f MiB (%u run%s%s)\n",
		    t->id, res->t[i], res->rss[i], t->n, t->n > 1 ? "s" : "",
		    want[i] ? "" : ", the warm-up: over the time budget");
	}
	return tools[CFIDL].exe && !res->have[CFIDL] ? -1 : 0;
}

static void bench_line(const char *name, double v, const char *unit,
                       const char *base, double bv)
{
	printf("BENCH name=%s value=%.4g unit=%s baseline=%s "
	       "baseline_value=%.4g ratio=%.3g\n",
	       name, v, unit, base, bv, v / bv);
}

static void report_size(const struct size_result *res)
{
	static const int peers[] = {PROTOC, RPCGEN, PROTOC_DESC, RPCGEN_H};
	char label[16], name[64];

	size_label(res->size, label, sizeof(label));
	for (int k = 0; k < 4; k++) {
		int p = peers[k];
		snprintf(name, sizeof(name), "compile_%s_lines", label);
		if (!res->have[CFIDL])
			printf("SKIP name=%s baseline=%s reason=\"%s\"\n", name,
			       tools[p].id,
			       tools[CFIDL].why ? tools[CFIDL].why
			                        : "cfidl failed, see FAIL");
		else if (!res->have[p])
			printf("SKIP name=%s baseline=%s reason=\"%s\"\n", name,
			       tools[p].id,
			       tools[p].why        ? tools[p].why
			       : tools[p].size_why ? tools[p].size_why
			                           : "peer failed, see FAIL");
		else
			bench_line(name, res->t[CFIDL], "s", tools[p].id,
			           res->t[p]);
	}
	for (int k = 0; k < 2; k++) {
		int p = peers[k];
		snprintf(name, sizeof(name), "compile_%s_peak_rss", label);
		if (res->have[CFIDL] && res->have[p])
			bench_line(name, res->rss[CFIDL], "MiB", tools[p].id,
			           res->rss[p]);
		else
			printf("SKIP name=%s baseline=%s reason=\"%s\"\n", name,
			       tools[p].id,
			       !res->have[CFIDL] ? "no cfidl figure"
			                         : "no peer figure");
	}
	fflush(stdout);
}

/* Per-1k-line cost of one tool at each size, and the growth between the
 * smallest and largest size (1.0 is perfectly linear). */
static int linearity(const struct size_result *res, unsigned n, int tool,
                     double *worst)
{
	char label[16], base[32], name[64];
	double per[8];

	for (unsigned i = 0; i < n; i++)
		if (!res[i].have[tool])
			return -1;
	printf("LINEAR tool=%s unit=ms_per_1k_lines", tools[tool].id);
	for (unsigned i = 0; i < n; i++) {
		per[i] = res[i].t[tool] * 1000.0 / (res[i].lines / 1000.0);
		size_label(res[i].size, label, sizeof(label));
		printf(" %s=%.4g", label, per[i]);
	}
	printf("\n");
	*worst = 0;
	for (unsigned i = 0; i + 1 < n; i++) {
		double g = per[n - 1] / per[i];
		if (g > *worst)
			*worst = g;
	}
	if (tool != CFIDL)
		return 0;
	size_label(res[n - 1].size, label, sizeof(label));
	snprintf(name, sizeof(name), "per_1k_lines_%s", label);
	for (unsigned i = 0; i + 1 < n; i++) {
		char small[16];
		size_label(res[i].size, small, sizeof(small));
		snprintf(base, sizeof(base), "cfidl_%s", small);
		bench_line(name, per[n - 1], "ms", base, per[i]);
	}
	return 0;
}

static int targets(const struct size_result *res, unsigned n)
{
	int missed = 0, judged = 0;
	char label[16];

	for (unsigned i = 0; i < n; i++) {
		const struct size_result *r = &res[i];
		size_label(r->size, label, sizeof(label));
		if (!r->have[CFIDL])
			continue;
		if (r->have[PROTOC]) {
			double q = r->t[CFIDL] / r->t[PROTOC];
			int ok = q <= 1.0 / 3.0;
			printf("TARGET time_vs_protoc-c size=%s ratio=%.3g "
			       "limit=0.333 %s\n",
			       label, q, ok ? "MET" : "MISSED");
			missed += !ok;
			judged++;
		}
		if (r->have[RPCGEN]) {
			double q = r->t[CFIDL] / r->t[RPCGEN];
			int ok = q <= 1.0;
			printf("TARGET time_vs_rpcgen size=%s ratio=%.3g "
			       "limit=1 %s\n",
			       label, q, ok ? "MET" : "MISSED");
			missed += !ok;
			judged++;
		}
		if (r->size == 20000) {
			int ok = r->rss[CFIDL] <= 64.0;
			printf("TARGET peak_rss size=%s value=%.1f unit=MiB "
			       "limit=64 %s\n",
			       label, r->rss[CFIDL], ok ? "MET" : "MISSED");
			missed += !ok;
			judged++;
		}
	}
	double worst;
	if (n >= 2 && !linearity(res, n, CFIDL, &worst)) {
		/* Near-linear: the largest size costs at most 1.5x per line
		 * what any smaller size does (startup makes small sizes
		 * dearer per line, so a ratio below 1 is usual). */
		int ok = worst <= 1.5;
		printf("TARGET linear tool=cfidl worst_growth_per_line=%.3g "
		       "limit=1.5 %s\n",
		       worst, ok ? "MET" : "MISSED");
		missed += !ok;
		judged++;
	}
	for (int p = PROTOC; p < NTOOLS; p++)
		if (n >= 2)
			linearity(res, n, p, &worst);
	if (!judged)
		printf("TARGETS none judged (no cfidl figures)\n");
	else if (missed)
		printf("TARGETS %d of %d missed\n", missed, judged);
	else
		printf("TARGETS all %d met\n", judged);
	return missed;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int parse_args(int argc, char **argv, struct opts *o, const char **given)
{
	o->sizes[0] = 2000;
	o->sizes[1] = 20000;
	o->sizes[2] = 200000;
	o->nsizes = 3;
	o->runs = 15;
	o->large_runs = 5;
	o->seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned u;

		if (!strcmp(a, "--keep")) {
			o->keep = 1;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(a, "--cfidl"))
			given[CFIDL] = v;
		else if (!strcmp(a, "--protoc-c"))
			given[PROTOC] = v;
		else if (!strcmp(a, "--rpcgen"))
			given[RPCGEN] = v;
		else if (!strcmp(a, "--sanitizer-flags"))
			o->sanitized = *v != '\0';
		else if (!strcmp(a, "--workdir"))
			o->workdir = v;
		else if (!strcmp(a, "--runs") && !parse_uint(v, 64, &u))
			o->runs = u;
		else if (!strcmp(a, "--large-runs") && !parse_uint(v, 64, &u))
			o->large_runs = u;
		else if (!strcmp(a, "--seed") && !parse_uint(v, UINT_MAX, &u))
			o->seed = u;
		else if (!strcmp(a, "--sizes")) {
			char buf[128], *save, *tok;
			snprintf(buf, sizeof(buf), "%s", v);
			o->nsizes = 0;
			for (tok = strtok_r(buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (o->nsizes == 8 ||
				    parse_uint(tok, 10000000, &u))
					return -1;
				o->sizes[o->nsizes++] = u;
			}
			if (!o->nsizes)
				return -1;
		} else
			return -1;
	}
	return given[CFIDL] ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *given[NTOOLS] = {0};
	struct size_result res[8];
	struct opts o = {0};
	char dir[PATH_MAX], sub[PATH_MAX + 32], tmpl[PATH_MAX];
	int rc = 0;

	if (parse_args(argc, argv, &o, given))
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	set_tool(&tools[CFIDL], given[CFIDL], "cfidl", "build it with make");
	set_tool(&tools[PROTOC], given[PROTOC], "protoc-c",
	         "apt-get install protobuf-c-compiler");
	set_tool(&tools[RPCGEN], given[RPCGEN], "rpcgen",
	         "apt-get install rpcsvc-proto");
	tools[PROTOC_DESC].exe = tools[PROTOC].exe;
	tools[PROTOC_DESC].why = tools[PROTOC].why;
	tools[RPCGEN_H].exe = tools[RPCGEN].exe;
	tools[RPCGEN_H].why = tools[RPCGEN].why;
	set_argv();
	for (int i = 0; i < NTOOLS; i++) {
		if (tools[i].exe)
			printf("# %-20s %s\n", tools[i].id, tools[i].exe);
		else
			printf("SKIP tool=%s reason=\"%s\"\n", tools[i].id,
			       tools[i].why);
		tools[i].t = calloc(64, sizeof(double));
		tools[i].rss = calloc(64, sizeof(long));
		if (!tools[i].t || !tools[i].rss)
			return 1;
	}
	if (o.sanitized)
		printf("# WARNING: built with sanitizers; cfidl's time and "
		       "memory are not representative\n");

	if (o.workdir) {
		snprintf(dir, sizeof(dir), "%s", o.workdir);
		if (mkdir(dir, 0755) && errno != EEXIST) {
			perror(dir);
			return 1;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(tmpl, sizeof(tmpl), "%s/cfidl-bench.XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl)) {
			perror(tmpl);
			return 1;
		}
		snprintf(dir, sizeof(dir), "%s", tmpl);
	}

	/* The floor every tool's peak RSS includes (see run.c). */
	char *true_argv[] = {"/bin/true", NULL};
	struct bench_run tr;
	if (!bench_run(true_argv, NULL, NULL, &tr))
		printf("# RSS floor: /bin/true forked from here peaks at "
		       "%.1f MiB\n",
		       tr.maxrss_kib / 1024.0);

	for (unsigned i = 0; i < o.nsizes; i++) {
		struct gen_report rep;
		unsigned size = o.sizes[i];

		snprintf(sub, sizeof(sub), "%s/%u", dir, size);
		char out[PATH_MAX + 40];
		snprintf(out, sizeof(out), "%s/out", sub);
		if ((mkdir(sub, 0755) && errno != EEXIST) ||
		    (mkdir(out, 0755) && errno != EEXIST) ||
		    generate(size, o.seed, sub, &rep)) {
			printf("FAIL could not generate the %u-line library in "
			       "%s\n",
			       size, sub);
			rc = 1;
			break;
		}
		printf("# size %u: lib.fidl %u lines, lib.proto %u, lib.x %u; "
		       "%u structs %u tables %u unions %u enums %u bits "
		       "%u consts %u protocols %u methods\n",
		       size, rep.lines[0], rep.lines[1], rep.lines[2],
		       rep.c.structs, rep.c.tables, rep.c.unions, rep.c.enums,
		       rep.c.bits, rep.c.consts, rep.c.protocols,
		       rep.c.methods);
		memset(&res[i], 0, sizeof(res[i]));
		res[i].size = size;
		res[i].lines = rep.lines[0];
		if (measure(&o, size, sub, &res[i]))
			rc = 1;
		report_size(&res[i]);
	}
	if (!rc)
		targets(res, o.nsizes);

	if (o.keep || rc)
		printf("# files kept in %s\n", dir);
	else if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS))
		perror(dir);
	for (int i = 0; i < NTOOLS; i++) {
		free(tools[i].t);
		free(tools[i].rss);
	}
	for (int i = CFIDL; i <= RPCGEN; i++)
		if (i != PROTOC_DESC)
			free((char *)tools[i].exe);
	return rc;
}
