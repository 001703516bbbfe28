/* Runs the fuzz target (fuzz_frontend.c) in every build, without libFuzzer:
 * over every .fidl file of the tree (idl/, tests/compiler/, the fuzz
 * corpus) and over generated abusive inputs (binary noise, a 10 MB
 * identifier, deep nesting, unterminated strings and comments, truncations
 * of real files). Under --enable-sanitizers or `make check-valgrind` any out
 * of bounds read, leak or crash fails; a hang trips the alarm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_PATH = 4096, ALARM_SECONDS = 300 };

static char top[MAX_PATH];
static unsigned files_run;

static void run(const void *data, size_t size)
{
	LLVMFuzzerTestOneInput(data, size);
}

static void run_string(const char *s)
{
	run(s, strlen(s));
}

static char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static void run_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[MAX_PATH];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			run_tree(path);
			continue;
		}
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".fidl") != 0)
			continue;
		size_t size;
		char *text = read_file(path, &size);
		assert_non_null(text);
		run(text, size);
		files_run++;
		free(text);
	}
	closedir(d);
}

static void test_tree_files(void **state)
{
	(void)state;
	const char *dirs[] = {"idl", "tests/compiler", "tests/fuzz/corpus"};
	files_run = 0;
	for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[MAX_PATH + 64];
		snprintf(path, sizeof(path), "%s/%s", top, dirs[i]);
		run_tree(path);
	}
	/* idl/ alone has five libraries. */
	assert_true(files_run >= 5);
}

/* Every prefix of a real file, at a stride: errors at every point. */
static void test_truncations(void **state)
{
	(void)state;
	const char *files[] = {"idl/fuchsia.vsock/connector.fidl",
	                       "idl/fuchsia.device.vsock/vsock.fidl",
	                       "tests/compiler/libs/test.protocols/"
	                       "protocols.fidl"};
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[MAX_PATH + 64];
		snprintf(path, sizeof(path), "%s/%s", top, files[i]);
		size_t size;
		char *text = read_file(path, &size);
		if (!text)
			continue;
		for (size_t n = 0; n <= size; n += 7)
			run(text, n);
		free(text);
	}
}

static char *repeat(const char *unit, size_t times, const char *prefix,
                    const char *suffix)
{
	size_t u = strlen(unit), p = strlen(prefix), s = strlen(suffix);
	char *buf = malloc(p + u * times + s + 1);
	assert_non_null(buf);
	memcpy(buf, prefix, p);
	for (size_t i = 0; i < times; i++)
		memcpy(buf + p + i * u, unit, u);
	memcpy(buf + p + u * times, suffix, s + 1);
	return buf;
}

static void test_huge_identifier(void **state)
{
	(void)state;
	char *text = repeat("a", 10 * 1024 * 1024, "library x;\nconst ",
	                    " uint32 = 1;\n");
	run_string(text);
	free(text);
	text = repeat("b", 10 * 1024 * 1024, "library ", ";\n");
	run_string(text);
	free(text);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	char *text = repeat("vector<", 100000,
	                    "library x;\ntype S = struct { a ", "uint8");
	run_string(text);
	free(text);
	text = repeat("struct { a ", 50000, "library x;\ntype S = ", "");
	run_string(text);
	free(text);
	text = repeat("{", 200000, "library x;\n", "");
	run_string(text);
	free(text);
	text = repeat("(", 200000, "library x;\nprotocol P { M", "");
	run_string(text);
	free(text);
	text = repeat("box<", 100000, "library x;\ntype S = struct { a ", "");
	run_string(text);
	free(text);
	text = repeat("A | ", 100000, "library x;\nconst C uint32 = ", "1;");
	run_string(text);
	free(text);
}

static void test_unterminated(void **state)
{
	(void)state;
	run_string("library x;\nconst S string = \"");
	run_string("library x;\nconst S string = \"\\");
	run_string("library x;\nconst S string = \"\\u{");
	run_string("library x;\n/*");
	run_string("library x;\n///");
	run_string("library x;\n@");
	run_string("library x;\n[");
	run_string("library x;\ntype");
	run_string("library");
	run_string("");
	char *text =
	    repeat("x", 5 * 1024 * 1024, "library x;\nconst S string = \"", "");
	run_string(text);
	free(text);
}

static void test_many_errors(void **state)
{
	(void)state;
	char *text = repeat("type = ;\n$ 0x 1e } struct { a; } ->\n", 20000,
	                    "library x;\n", "");
	run_string(text);
	free(text);
	text = repeat("/// doc\n", 100000, "library x;\n", "");
	run_string(text);
	free(text);
	text = repeat("type S = struct {};\n", 20000, "library x;\n", "");
	run_string(text);
	free(text);
}

static void test_binary_noise(void **state)
{
	(void)state;
	/* xorshift with a fixed seed: the same noise every run. */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t size = 256 * 1024;
	uint8_t *buf = malloc(size);
	assert_non_null(buf);
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	run(buf, size);
	/* Noise after a valid start, and NUL bytes inside tokens. */
	static const char start[] = "library x;\ntype S = struct {";
	memcpy(buf, start, sizeof(start) - 1);
	run(buf, size);
	static const char nul1[] = "library x;\x00\ntype S = struct {};\n";
	static const char nul2[] = "library x;\ntype S\x00T = struct {};\n";
	run(nul1, sizeof(nul1) - 1);
	run(nul2, sizeof(nul2) - 1);
	/* Invalid UTF-8 in a string and in a doc comment. */
	run_string("library x;\nconst S string = \"\xff\xfe\xc0\x80\";\n");
	run_string("library x;\n/// \xed\xa0\x80\ntype S = struct {};\n");
	free(buf);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_fuzz_replay: an input hangs the "
	                          "compiler\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

int main(void)
{
	const char *t = getenv("top_srcdir");
	snprintf(top, sizeof(top), "%s", t && *t ? t : ".");
	signal(SIGALRM, on_alarm);
	alarm(ALARM_SECONDS);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_files),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_huge_identifier),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_unterminated),
	    cmocka_unit_test(test_many_errors),
	    cmocka_unit_test(test_binary_noise),
	};
	return cmocka_run_group_tests_name("fuzz_replay", tests, NULL, NULL);
}
