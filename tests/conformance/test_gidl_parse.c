/* The GIDL parser (tests/conformance/gidl_parse.c): every construct the
 * suite uses, the byte-list forms, values, and located syntax errors; and
 * every .gidl file of ../shared/conformance parses, with as many cases of
 * each kind as a plain line scan of the file finds. */

/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gidl.h"

static gidl_file *parse(const char *text, char *err, size_t size)
{
	return gidl_parse("t.gidl", text, strlen(text), err, size);
}

static gidl_file *parse_ok(const char *text)
{
	char err[512] = "";
	gidl_file *f = parse(text, err, sizeof err);
	if (!f)
		fail_msg("unexpected parse error: %s", err);
	return f;
}

static void test_byte_list_forms(void **state)
{
	(void)state;
	gidl_file *f =
	    parse_ok("success(\"A\") {\n"
	             "    value = S{},\n"
	             "    bytes = {\n"
	             "        v1 = [ 0x07 ],\n"
	             "        v2 = [ 0x01, num(-2):2, num(258):4, padding:3,\n"
	             "               repeat(0xab):2, 'X', 255, num(-1):8 ],\n"
	             "    },\n"
	             "}\n");
	static const uint8_t want[] = {
	    0x01, 0xfe, 0xff, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xab,
	    0xab, 'X',  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(f->ncases, 1);
	assert_int_equal(f->cases[0].kind, GIDL_SUCCESS);
	assert_string_equal(f->cases[0].name, "A");
	assert_true(f->cases[0].has_bytes);
	assert_int_equal(f->cases[0].bytes.len, sizeof want);
	assert_memory_equal(f->cases[0].bytes.data, want, sizeof want);
	gidl_file_free(f);
}

static void test_values(void **state)
{
	(void)state;
	gidl_file *f = parse_ok(
	    "// a comment\n"
	    "success(\"V\") {\n"
	    "    value = Outer{\n"
	    "        a: -9223372036854775808, b: 0xFFFFFFFFFFFFFFFF,\n"
	    "        c: \"\\x00q\\\"\\\\\\u{e9}\", d: true, e: false,\n"
	    "        f: null, g: [1, repeat(2):3, 4], h: #0,\n"
	    "        i: Inner{ x: 1.5 }, j: MEMBER, // trailing\n"
	    "        k: U{ 1234: { bytes = [repeat(0xab):2, padding:6],\n"
	    "                      handles = [#0] } },\n"
	    "    },\n"
	    "    bytes = { v2 = [] },\n"
	    "    handle_defs = { #0 = event(), },\n"
	    "}\n");
	const gidl_value *v = f->cases[0].value;
	assert_int_equal(v->kind, GIDL_V_OBJECT);
	assert_string_equal(v->name, "Outer");
	assert_int_equal(v->nfields, 11);
	const gidl_value *a = v->fields[0].value;
	assert_int_equal(a->kind, GIDL_V_INT);
	assert_true(a->neg);
	assert_true(a->u == (uint64_t)1 << 63);
	assert_true(v->fields[1].value->u == UINT64_MAX);
	assert_false(v->fields[1].value->neg);
	const gidl_value *c = v->fields[2].value;
	assert_int_equal(c->kind, GIDL_V_STRING);
	assert_int_equal(c->len, 6);
	assert_memory_equal(c->str, "\0q\"\\\xc3\xa9", 6);
	assert_true(v->fields[3].value->b);
	assert_false(v->fields[4].value->b);
	assert_int_equal(v->fields[5].value->kind, GIDL_V_NULL);
	const gidl_value *g = v->fields[6].value;
	assert_int_equal(g->kind, GIDL_V_LIST);
	assert_int_equal(g->nitems, 5);
	assert_int_equal(g->items[3]->u, 2);
	assert_int_equal(g->items[4]->u, 4);
	assert_int_equal(v->fields[7].value->kind, GIDL_V_HANDLE);
	assert_int_equal(v->fields[7].value->handle, 0);
	const gidl_value *i = v->fields[8].value;
	assert_int_equal(i->kind, GIDL_V_OBJECT);
	assert_int_equal(i->fields[0].value->kind, GIDL_V_FLOAT);
	assert_true(i->fields[0].value->f == 1.5);
	assert_int_equal(v->fields[9].value->kind, GIDL_V_IDENT);
	assert_string_equal(v->fields[9].value->str, "MEMBER");
	const gidl_value *k = v->fields[10].value;
	assert_null(k->fields[0].name);
	assert_int_equal(k->fields[0].ordinal, 1234);
	assert_int_equal(k->fields[0].value->kind, GIDL_V_UNKNOWN);
	assert_int_equal(k->fields[0].value->bytes.len, 8);
	assert_int_equal(k->fields[0].value->handles.count, 1);
	assert_true(gidl_value_has_unknown_member(v));
	assert_false(gidl_value_has_unknown_member(i));
	assert_false(gidl_value_contains(v, GIDL_V_DECODE));
	gidl_file_free(f);
}

static void test_handles_and_lists(void **state)
{
	(void)state;
	gidl_file *f = parse_ok(
	    "encode_success(\"H\") {\n"
	    "    bindings_allowlist = [go, rust],\n"
	    "    bindings_denylist = [dart],\n"
	    "    handle_defs = {\n"
	    "        #0 = channel(rights: channel_default - signal),\n"
	    "        #1 = event(rights: basic),\n"
	    "        #2 = event(),\n"
	    "    },\n"
	    "    value = S{ a: restrict(#1, type: event, rights: basic),\n"
	    "               b: decode({ type = T, bytes = { v2 = [1] },\n"
	    "                           handles = { v2 = [#2] } }) },\n"
	    "    bytes = { v2 = [ repeat(0xff):4, padding:4 ] },\n"
	    "    handles = {v2 = [#1, #0]},\n"
	    "    handle_dispositions = { v2 = [\n"
	    "        {#1, type: event, rights: basic},\n"
	    "        {#0, type: channel, rights: transfer + wait} ] },\n"
	    "}\n");
	const gidl_case *c = &f->cases[0];
	assert_int_equal(c->kind, GIDL_ENCODE_SUCCESS);
	assert_true(c->has_allowlist);
	assert_int_equal(c->nallowlist, 2);
	assert_string_equal(c->allowlist[1], "rust");
	assert_int_equal(c->ndenylist, 1);
	assert_int_equal(c->nhandle_defs, 3);
	/* zircon/rights.h: ZX_DEFAULT_CHANNEL_RIGHTS = 0xf00e, SIGNAL 0x1000,
	 * ZX_RIGHTS_BASIC = 0xc003 */
	assert_int_equal(c->handle_defs[0].obj_type, GIDL_OBJ_CHANNEL);
	assert_int_equal(c->handle_defs[0].rights, 0xf00e & ~0x1000u);
	assert_int_equal(c->handle_defs[1].rights, 0xc003);
	assert_false(c->handle_defs[2].has_rights);
	assert_int_equal(c->handle_defs[2].obj_type, GIDL_OBJ_EVENT);
	const gidl_value *r = c->value->fields[0].value;
	assert_int_equal(r->kind, GIDL_V_RESTRICT);
	assert_int_equal(r->handle, 1);
	assert_int_equal(r->u, GIDL_OBJ_EVENT);
	assert_int_equal(r->rights, 0xc003);
	const gidl_value *d = c->value->fields[1].value;
	assert_int_equal(d->kind, GIDL_V_DECODE);
	assert_string_equal(d->name, "T");
	assert_int_equal(d->bytes.len, 1);
	assert_int_equal(d->handles.idx[0], 2);
	assert_true(gidl_value_contains(c->value, GIDL_V_DECODE));
	assert_int_equal(c->handles.count, 2);
	assert_int_equal(c->handles.idx[0], 1);
	assert_int_equal(c->ndispositions, 2);
	assert_int_equal(c->dispositions[1].obj_type, GIDL_OBJ_CHANNEL);
	/* TRANSFER 1<<1 | WAIT 1<<14 */
	assert_int_equal(c->dispositions[1].rights, 0x4002);
	gidl_file_free(f);
}

static void test_failure_cases(void **state)
{
	(void)state;
	gidl_file *f = parse_ok(
	    "encode_failure(\"E\") { value = S{ s: \"abc\" },\n"
	    "    err = STRING_TOO_LONG }\n"
	    "decode_failure(\"D\") { type = S,\n"
	    "    bytes = { v2 = [ 0x10, padding:7 ] }, err = INVALID_BOOLEAN,\n"
	    "}\n"
	    "decode_success(\"S\") { value = S{}, bytes = { v2 = [0] } }\n");
	assert_int_equal(f->ncases, 3);
	assert_int_equal(f->cases[0].kind, GIDL_ENCODE_FAILURE);
	assert_string_equal(f->cases[0].err, "STRING_TOO_LONG");
	assert_false(f->cases[0].has_bytes);
	assert_int_equal(f->cases[1].kind, GIDL_DECODE_FAILURE);
	assert_string_equal(f->cases[1].type, "S");
	assert_null(f->cases[1].value);
	assert_int_equal(f->cases[2].kind, GIDL_DECODE_SUCCESS);
	assert_string_equal(gidl_case_kind_name(f->cases[2].kind),
	                    "decode_success");
	gidl_file_free(f);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want; /* prefix "t.gidl:" is checked too */
	} cases[] = {
	    {"success(\"A\") { value = S{}, bytes = { v2 = [1] }",
	     "1:49: expected an identifier"},
	    {"succes(\"A\") {}", "1:1: expected success"},
	    {"success(A) {}", "1:9: expected the case name as a string"},
	    {"success(\"A\") { colour = 1 }", "1:16: unknown key 'colour'"},
	    {"success(\"A\") { value = S{ s: \"\\q\" } }",
	     "1:30: unknown escape in string"},
	    {"success(\"A\") { value = S{ s: \"abc } }",
	     "1:30: unterminated string"},
	    {"success(\"A\") { value = S{},\n  bytes = { v2 = [256] } }",
	     "2:19: a byte must be 0..255"},
	    {"success(\"A\") { value = S{},\n  bytes = { v2 = [num(256):1] } "
	     "}",
	     "2:19: num() value does not fit 1 bytes"},
	    {"success(\"A\") { value = S{},\n  bytes = { v2 = [num(1):9] } }",
	     "2:19: num():n needs 1 <= n <= 8"},
	    {"success(\"A\") { value = S{ x: @ } }",
	     "1:30: unexpected character"},
	    {"success(\"A\") { value = S{}, bytes = { v2 = [0] },\n"
	     "  handles = { v2 = [#1] } }",
	     "1:1: success(\"A\") uses undefined #1"},
	    {"success(\"A\") { value = S{} }", "1:1: success(\"A\") has no v2 "
	                                       "bytes"},
	    {"decode_failure(\"A\") { type = S, bytes = { v2 = [0] } }",
	     "1:1: decode_failure(\"A\") needs an err"},
	    {"decode_failure(\"A\") { bytes = { v2 = [0] }, err = X }",
	     "1:1: decode_failure(\"A\") has no type"},
	    {"success(\"A\") { value = S{}, bytes = { v2 = [0] }, err = X }",
	     "1:1: success(\"A\") cannot have an err"},
	    {"success(\"A\") { handle_defs = { #1 = event() } }",
	     "1:32: handle #1 defined out of order"},
	    {"success(\"A\") { handle_defs = { #0 = socket() } }",
	     "1:37: unknown handle type 'socket'"},
	    {"success(\"A\") { handle_defs = { #0 = event(rights: all) } }",
	     "1:51: unknown rights 'all'"},
	    {"success(\"A\") { value = 0x }", "1:24: bad integer"},
	    {"success(\"A\") { value = -9223372036854775809 }",
	     "1:24: negative integer out of range"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[512] = "", want[512];
		gidl_file *f = parse(cases[i].text, err, sizeof err);
		if (f) {
			gidl_file_free(f);
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		}
		snprintf(want, sizeof want, "t.gidl:%s", cases[i].want);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err, want);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	char err[512] = "";
	assert_null(gidl_parse_file("/nonexistent/x.gidl", err, sizeof err));
	assert_string_equal(err, "/nonexistent/x.gidl: cannot open");
}

/* Counts lines that begin with "<kind>(" -- an independent count. */
static void scan_counts(const char *path, size_t counts[6])
{
	FILE *f = fopen(path, "r");
	char line[4096];
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		for (int k = 0; k <= GIDL_BENCHMARK; k++) {
			const char *name = gidl_case_kind_name(k);
			size_t n = strlen(name);
			if (strncmp(line, name, n) == 0 && line[n] == '(')
				counts[k]++;
		}
	}
	fclose(f);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_suite_files(void **state)
{
	(void)state;
	const char *top = getenv("top_srcdir");
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/../shared/conformance/gidl",
	         top ? top : ".");
	DIR *d = opendir(dir);
	if (!d) {
		printf("# %s is absent: no suite to parse\n", dir);
		skip();
	}
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 256) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".gidl") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	assert_true(n > 0);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 256], err[1024];
		size_t want[6] = {0}, got[6] = {0};
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		gidl_file *f = gidl_parse_file(path, err, sizeof err);
		if (!f)
			fail_msg("%s", err);
		scan_counts(path, want);
		for (size_t c = 0; c < f->ncases; c++)
			got[f->cases[c].kind]++;
		for (int k = 0; k <= GIDL_BENCHMARK; k++) {
			if (got[k] != want[k])
				fail_msg("%s: %zu %s cases, line scan finds "
				         "%zu",
				         names[i], got[k],
				         gidl_case_kind_name(k), want[k]);
		}
		total += f->ncases;
		gidl_file_free(f);
		free(names[i]);
	}
	printf("# %zu files, %zu cases parsed\n", n, total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_byte_list_forms),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_handles_and_lists),
	    cmocka_unit_test(test_failure_cases),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_suite_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
