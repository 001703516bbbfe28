/* cfidl: the command line. Everything else lives in libcfidlc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "gen_c.h"
#include "ir_json.h"

enum { EXIT_OK = 0, EXIT_INPUT_ERRORS = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: cfidl [--json OUT.json] [--c-header X.h] [--c-source X.c]\n"
    "             [-I DIR]... --files A.fidl [B.fidl...]\n"
    "             [--files C.fidl ...]\n"
    "\n"
    "Compiles FIDL libraries (current and 2018-2020 syntax). Each --files\n"
    "group is one library, dependencies first; the last group is the\n"
    "library the outputs describe. Used libraries that are not given are\n"
    "found as DIR/<library>/*.fidl in the -I folders, then in\n"
    "$CFIDL_IDL_PATH, then in " CFIDL_IDL_DIR ".\n"
    "\n"
    "  --json FILE      write the JSON IR to FILE ('-' for stdout)\n"
    "  --c-header FILE  write the C bindings' header to FILE\n"
    "  --c-source FILE  write the C bindings' source to FILE (it\n"
    "                   includes the header as \"<library>.h\")\n"
    "  -I DIR           add DIR to the library search folders\n"
    "  --files FILE...  the files of one library\n"
    "  --werror         treat warnings as errors\n"
    "  --help           show this help\n"
    "  --version        show the version\n"
    "\n"
    "Exit status: 0 success, 1 errors in the input, 2 usage error.\n";

typedef struct args {
	const char *json_out;
	const char *c_header_out;
	const char *c_source_out;
	const char **includes;
	unsigned include_count;
	cf_file_group *groups;
	unsigned group_count;
	bool werror;
} args;

static int usage_error(const char *fmt, const char *what)
{
	fputs("cfidl: ", stderr);
	fprintf(stderr, fmt, what);
	fputs("\nTry 'cfidl --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Fills a from argv; arrays point into argv (no copies). Returns -1 when
 * the run should go on, else the exit status. */
static int parse_args(int argc, char **argv, args *a)
{
	a->includes = calloc((size_t)argc, sizeof(*a->includes));
	a->groups = calloc((size_t)argc, sizeof(*a->groups));
	if (!a->includes || !a->groups) {
		fputs("cfidl: out of memory\n", stderr);
		return EXIT_INPUT_ERRORS;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		} else if (strcmp(arg, "--version") == 0) {
			printf("cfidl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		} else if (strcmp(arg, "--werror") == 0) {
			a->werror = true;
		} else if (strcmp(arg, "--json") == 0) {
			if (i + 1 >= argc)
				return usage_error("%s needs a file name", arg);
			if (a->json_out)
				return usage_error("%s given twice", arg);
			a->json_out = argv[++i];
		} else if (strcmp(arg, "--c-header") == 0 ||
		           strcmp(arg, "--c-source") == 0) {
			const char **out =
			    arg[4] == 'h' ? &a->c_header_out : &a->c_source_out;
			if (i + 1 >= argc)
				return usage_error("%s needs a file name", arg);
			if (*out)
				return usage_error("%s given twice", arg);
			*out = argv[++i];
		} else if (strcmp(arg, "-I") == 0) {
			if (i + 1 >= argc)
				return usage_error("%s needs a folder", arg);
			a->includes[a->include_count++] = argv[++i];
		} else if (strncmp(arg, "-I", 2) == 0) {
			a->includes[a->include_count++] = arg + 2;
		} else if (strcmp(arg, "--files") == 0) {
			cf_file_group *g = &a->groups[a->group_count++];
			g->paths = (const char *const *)&argv[i + 1];
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				g->count++;
				i++;
			}
			if (g->count == 0)
				return usage_error("%s needs at least one file",
				                   arg);
		} else {
			return usage_error("unknown option '%s'", arg);
		}
	}
	if (a->group_count == 0)
		return usage_error("%s", "no input: give --files");
	return -1;
}

/* mkstemp makes files 0600; the IR gets the mode a plain fopen gives. */
static int set_default_mode(int fd)
{
	mode_t mask = umask(0);
	umask(mask);
	return fchmod(fd, 0666 & ~mask) == 0 ? 0 : errno;
}

/* An output: the JSON IR or a part of the C bindings. */
typedef int (*output_fn)(FILE *out, const cf_model *model,
                         const cf_library *lib);

/* Writes an output into a temporary file beside path and renames it into
 * place, so a failed run never leaves a truncated file behind. */
static int write_output_file(const char *path, const char *tmp_template,
                             output_fn emit, const cf_model *model,
                             const cf_library *lib)
{
	char *tmp = strdup(tmp_template);
	if (!tmp)
		return ENOMEM;
	int err = 0;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno;
		free(tmp);
		return err;
	}
	FILE *f = NULL;
	err = set_default_mode(fd);
	if (!err && !(f = fdopen(fd, "w")))
		err = errno;
	if (f) {
		err = emit(f, model, lib);
		if (fclose(f) != 0 && !err)
			err = errno;
	} else {
		close(fd);
	}
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

static bool write_output(const char *path, output_fn emit,
                         const cf_model *model, const cf_library *lib)
{
	int err;
	if (strcmp(path, "-") == 0) {
		err = emit(stdout, model, lib);
		if (!err && fflush(stdout) != 0)
			err = errno;
	} else {
		size_t n = strlen(path);
		char *tmpl = malloc(n + sizeof(".XXXXXX"));
		if (!tmpl)
			return false;
		memcpy(tmpl, path, n);
		memcpy(tmpl + n, ".XXXXXX", sizeof(".XXXXXX"));
		err = write_output_file(path, tmpl, emit, model, lib);
		free(tmpl);
	}
	if (err)
		fprintf(stderr, "cfidl: error: cannot write '%s': %s [%s]\n",
		        path, strerror(err),
		        cf_diag_code(CF_DIAG_CANNOT_WRITE_FILE));
	return err == 0;
}

int main(int argc, char **argv)
{
	args a = {0};
	int status = parse_args(argc, argv, &a);
	if (status >= 0) {
		free(a.includes);
		free(a.groups);
		return status;
	}

	cf_compilation c;
	cf_compilation_init(&c, stderr);
	c.diags.werror = a.werror;
	cf_compile_options opts = {
	    .include_dirs = a.includes,
	    .include_count = a.include_count,
	};
	bool ok = cf_compile(&c, &opts, a.groups, a.group_count);
	const cf_library *target = ok ? cf_compilation_target(&c) : NULL;
	status = EXIT_OK;
	if (!target) {
		status = EXIT_INPUT_ERRORS;
		if (c.diags.errors)
			fprintf(stderr, "cfidl: %u error%s, %u warning%s\n",
			        c.diags.errors, c.diags.errors == 1 ? "" : "s",
			        c.diags.warnings,
			        c.diags.warnings == 1 ? "" : "s");
	} else if ((a.json_out &&
	            !write_output(a.json_out, cf_write_ir, &c.model, target)) ||
	           (a.c_header_out &&
	            !write_output(a.c_header_out, cf_write_c_header, &c.model,
	                          target)) ||
	           (a.c_source_out &&
	            !write_output(a.c_source_out, cf_write_c_source, &c.model,
	                          target))) {
		status = EXIT_INPUT_ERRORS;
	}
	cf_compilation_free(&c);
	free(a.includes);
	free(a.groups);
	return status;
}
