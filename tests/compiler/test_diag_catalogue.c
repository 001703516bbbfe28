/* The diagnostic catalogue (compiler/diag_ids.def) is a promise to users:
 * ids are stable and in their ranges, every id is documented in
 * man/cfidl.7, the manual documents no id that does not exist, and every id
 * has a bad input in tests/compiler/bad/ (or is listed in bad/EXEMPT with
 * the test that covers it instead). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

typedef struct entry {
	const char *symbol;
	int number;
	cf_severity severity;
	const char *format;
} entry;

static const entry catalogue[] = {
#define CF_DIAG(sym, num, sev, fmt) {#sym, num, CF_SEV_##sev, fmt},
#include "diag_ids.def"
#undef CF_DIAG
};
enum { CATALOGUE_SIZE = sizeof(catalogue) / sizeof(catalogue[0]) };

static char top[4096];

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			char *bigger = realloc(buf, cap + 1);
			if (!bigger) {
				free(buf);
				buf = NULL;
			}
			buf = bigger;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* The manual with roff's `\-` turned into `-`, so that `cf\-0103` reads as
 * cf-0103. */
static char *read_manual(void)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/man/cfidl.7", top);
	char *text = read_file(path);
	if (!text) {
		print_error("cannot read %s\n", path);
		return NULL;
	}
	char *w = text;
	for (const char *r = text; *r; r++) {
		if (r[0] == '\\' && r[1] == '-')
			continue;
		*w++ = *r;
	}
	*w = '\0';
	return text;
}

static void test_numbers_unique_and_in_range(void **state)
{
	(void)state;
	assert_int_equal(CATALOGUE_SIZE, CF_DIAG_COUNT);
	for (unsigned i = 0; i < CATALOGUE_SIZE; i++) {
		const entry *e = &catalogue[i];
		assert_true(e->number >= 1 && e->number <= 399);
		assert_true(e->format && *e->format);
		for (unsigned j = i + 1; j < CATALOGUE_SIZE; j++) {
			if (catalogue[j].number == e->number) {
				print_error("cf-%04d is used by %s and %s\n",
				            e->number, e->symbol,
				            catalogue[j].symbol);
				fail();
			}
		}
		/* The API reports what the catalogue says. */
		char code[16];
		snprintf(code, sizeof(code), "cf-%04d", e->number);
		assert_string_equal(cf_diag_code((cf_diag_id)i), code);
		assert_int_equal(cf_diag_number((cf_diag_id)i), e->number);
		assert_int_equal(cf_diag_severity((cf_diag_id)i), e->severity);
	}
}

static void test_every_id_in_manual(void **state)
{
	(void)state;
	char *man = read_manual();
	assert_non_null(man);
	unsigned missing = 0;
	for (unsigned i = 0; i < CATALOGUE_SIZE; i++) {
		char code[16];
		snprintf(code, sizeof(code), "cf-%04d", catalogue[i].number);
		if (!strstr(man, code)) {
			print_error("%s (%s) is not documented in "
			            "man/cfidl.7\n",
			            code, catalogue[i].symbol);
			missing++;
		}
	}
	free(man);
	assert_int_equal(missing, 0);
}

static bool in_catalogue(int number)
{
	for (unsigned i = 0; i < CATALOGUE_SIZE; i++)
		if (catalogue[i].number == number)
			return true;
	return false;
}

static void test_manual_has_no_stale_ids(void **state)
{
	(void)state;
	char *man = read_manual();
	assert_non_null(man);
	unsigned stale = 0;
	for (const char *p = man; (p = strstr(p, "cf-")); p += 3) {
		if (!isdigit((unsigned char)p[3]) ||
		    !isdigit((unsigned char)p[6]))
			continue;
		int number = atoi(p + 3);
		if (!in_catalogue(number)) {
			print_error("man/cfidl.7 documents cf-%04d, which "
			            "diag_ids.def does not have\n",
			            number);
			stale++;
		}
	}
	free(man);
	assert_int_equal(stale, 0);
}

/* bad/EXEMPT: lines `cf-NNNN path/of/test.c reason...`; the test file must
 * exist and mention the id's code or symbol. */
static bool exempt(int number, const char *symbol)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/tests/compiler/bad/EXEMPT", top);
	char *text = read_file(path);
	if (!text)
		return false;
	char code[16];
	snprintf(code, sizeof(code), "cf-%04d", number);
	bool ok = false;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char id[32], where[1024];
		if (line[0] == '#' ||
		    sscanf(line, "%31s %1023s", id, where) != 2 ||
		    strcmp(id, code) != 0)
			continue;
		char test_path[4200];
		char *test = NULL;
		if (snprintf(test_path, sizeof(test_path), "%s/%s", top,
		             where) < (int)sizeof(test_path))
			test = read_file(test_path);
		char sym[128];
		snprintf(sym, sizeof(sym), "CF_DIAG_%s", symbol);
		if (test && (strstr(test, code) || strstr(test, sym)))
			ok = true;
		else
			print_error("EXEMPT names %s for %s, which does not "
			            "mention it\n",
			            where, code);
		free(test);
	}
	free(text);
	return ok;
}

static void test_every_id_has_bad_input(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/tests/compiler/bad", top);
	unsigned missing = 0;
	for (unsigned i = 0; i < CATALOGUE_SIZE; i++) {
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "%04d-", catalogue[i].number);
		bool found = false;
		DIR *d = opendir(path);
		assert_non_null(d);
		struct dirent *e;
		while ((e = readdir(d)))
			if (strncmp(e->d_name, prefix, 5) == 0)
				found = true;
		closedir(d);
		if (!found &&
		    !exempt(catalogue[i].number, catalogue[i].symbol)) {
			print_error("cf-%04d (%s) has no bad input "
			            "tests/compiler/bad/%s*\n",
			            catalogue[i].number, catalogue[i].symbol,
			            prefix);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

int main(void)
{
	const char *t = getenv("top_srcdir");
	snprintf(top, sizeof(top), "%s", t && *t ? t : ".");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers_unique_and_in_range),
	    cmocka_unit_test(test_every_id_in_manual),
	    cmocka_unit_test(test_manual_has_no_stale_ids),
	    cmocka_unit_test(test_every_id_has_bad_input),
	};
	return cmocka_run_group_tests_name("diag_catalogue", tests, NULL, NULL);
}
