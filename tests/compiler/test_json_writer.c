/* The streaming JSON writer: its bytes are jansson's json_dumps with
 * JSON_INDENT(2) (the layout of the IR goldens), so jansson, which stays
 * the IR's reader, is the reference here: the same values are built as a
 * jansson tree and dumped, and what the writer wrote is parsed back. Also
 * escaping, invalid UTF-8, 64-bit extremes, output larger than the
 * buffer, write errors and misuse. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

/* ---- capture ---- */

/* A writer into memory (open_memstream), big buffer and all. */
typedef struct capture {
	cf_json_writer *w;
	FILE *f;
	char *text;
	size_t len;
} capture;

static void cap_open(capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
	c->w = malloc(sizeof(*c->w));
	assert_non_null(c->w);
	cf_json_init(c->w, c->f);
}

/* Finishes the document (must succeed) and returns its text. */
static const char *cap_close(capture *c)
{
	assert_int_equal(cf_json_finish(c->w), 0);
	assert_int_equal(fclose(c->f), 0);
	free(c->w);
	return c->text;
}

static void cap_free(capture *c)
{
	free(c->text);
}

/* What jansson writes for v, with the newline cf_json_finish adds. */
static char *jansson_text(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	assert_non_null(s);
	size_t n = strlen(s);
	char *t = malloc(n + 2);
	assert_non_null(t);
	memcpy(t, s, n);
	t[n] = '\n';
	t[n + 1] = '\0';
	free(s);
	return t;
}

/* The writer's text for a lone string value of n bytes. */
static char *written_string(const char *s, size_t n)
{
	capture c;
	cap_open(&c);
	cf_json_stringn(c.w, s, n);
	cap_close(&c);
	return c.text;
}

/* Parses text (one JSON value and a newline) with jansson. */
static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!v)
		fail_msg("jansson rejects the output: %s at %d:%d in\n%s",
		         e.text, e.line, e.column, text);
	return v;
}

/* The writer gives jansson's bytes for a string jansson accepts, and
 * the value survives the trip. */
static void check_string_like_jansson(const char *s, size_t n)
{
	json_t *ref = json_stringn(s, n);
	assert_non_null(ref);
	char *want = jansson_text(ref);
	char *got = written_string(s, n);
	assert_string_equal(got, want);
	json_t *back = parse(got);
	assert_true(json_equal(back, ref));
	json_decref(back);
	json_decref(ref);
	free(got);
	free(want);
}

/* ---- strings ---- */

static void test_every_control_char(void **state)
{
	(void)state;
	for (int c = 0; c < 0x20; c++) {
		char s[3] = {'a', (char)c, 'b'};
		check_string_like_jansson(s, 3);
	}
	/* The forms themselves, as RFC 8259 spells them. */
	char *t = written_string("\b\f\n\r\t", 5);
	assert_string_equal(t, "\"\\b\\f\\n\\r\\t\"\n");
	free(t);
	t = written_string("\x01\x1f", 2);
	assert_string_equal(t, "\"\\u0001\\u001F\"\n");
	free(t);
}

static void test_nul_inside_string(void **state)
{
	(void)state;
	check_string_like_jansson("a\0b", 3);
	char *t = written_string("a\0b", 3);
	assert_string_equal(t, "\"a\\u0000b\"\n");
	json_t *v = parse(t);
	assert_int_equal(json_string_length(v), 3);
	json_decref(v);
	free(t);
}

static void test_quotes_backslash_and_printable(void **state)
{
	(void)state;
	check_string_like_jansson("\"", 1);
	check_string_like_jansson("\\", 1);
	/* '/' and DEL stay as they are, as in jansson by default. */
	check_string_like_jansson("a/b\x7f", 4);
	char printable[0x60];
	for (int c = 0x20; c < 0x80; c++)
		printable[c - 0x20] = (char)c;
	check_string_like_jansson(printable, sizeof(printable));
	char *t = written_string("say \"hi\" \\o/", 12);
	assert_string_equal(t, "\"say \\\"hi\\\" \\\\o/\"\n");
	free(t);
}

/* Long strings go through the eight-bytes-at-a-time path: a byte that
 * needs escaping at every position of a word must still be caught. */
static void test_escape_at_every_offset(void **state)
{
	(void)state;
	static const char special[] = {'"', '\\', '\n', 0x1f, '\0'};
	static const char *const utf8[] = {"\xc3\xa9", "\xe2\x82\xac",
	                                   "\xf0\x9f\x98\x80"};
	char s[40];
	for (size_t pos = 0; pos < 24; pos++) {
		for (size_t k = 0; k < sizeof(special); k++) {
			memset(s, 'x', sizeof(s));
			s[pos] = special[k];
			check_string_like_jansson(s, sizeof(s));
		}
		for (size_t k = 0; k < 3; k++) {
			memset(s, 'x', sizeof(s));
			memcpy(s + pos, utf8[k], strlen(utf8[k]));
			check_string_like_jansson(s, sizeof(s));
		}
	}
	check_string_like_jansson("", 0);
}

static void test_valid_utf8_passes_through(void **state)
{
	(void)state;
	/* Every length of sequence, at the edges of each range. */
	static const char *const ok[] = {
	    "\xc2\x80",         "\xdf\xbf",         "\xe0\xa0\x80",
	    "\xed\x9f\xbf",     "\xee\x80\x80",     "\xef\xbf\xbf",
	    "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe2\x82\xac",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		check_string_like_jansson(ok[i], strlen(ok[i]));
		char *t = written_string(ok[i], strlen(ok[i]));
		/* Copied byte for byte between the quotes. */
		assert_int_equal(strlen(t), strlen(ok[i]) + 3);
		assert_memory_equal(t + 1, ok[i], strlen(ok[i]));
		free(t);
	}
}

/* Invalid UTF-8: jansson refuses such a string; the writer replaces each
 * byte that does not start a valid sequence with an escaped U+FFFD and
 * goes on with the next byte, so the output stays valid JSON. */
static void test_invalid_utf8_is_replaced(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *decoded; /* what a reader gets back */
	} cases[] = {
	    {"\x80", "\xef\xbf\xbd"},                 /* lone continuation */
	    {"\xbf", "\xef\xbf\xbd"},                 /* lone continuation */
	    {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
	    {"\xc1\xbf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
	    {"\xe0\x80\xaf",
	     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong 3 */
	    {"\xed\xa0\x80",
	     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
	    {"\xf0\x80\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                         "\xef\xbf\xbd"}, /* overlong 4 */
	    {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                         "\xef\xbf\xbd"}, /* above U+10FFFF */
	    {"\xf5", "\xef\xbf\xbd"},
	    {"\xff", "\xef\xbf\xbd"},
	    {"a\xc3", "a\xef\xbf\xbd"},               /* cut at the end */
	    {"\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd"}, /* cut at the end */
	    {"\xc3"
	     "A",
	     "\xef\xbf\xbd"
	     "A"}, /* bad continuation */
	    {"\xc3\xa9\xff\xc3\xa9", "\xc3\xa9\xef\xbf\xbd\xc3\xa9"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;
		size_t n = strlen(in);
		/* jansson's own verdict: it is invalid. */
		assert_null(json_stringn(in, n));
		char *t = written_string(in, n);
		assert_non_null(strstr(t, "\\uFFFD"));
		json_t *v = parse(t);
		assert_true(json_is_string(v));
		assert_string_equal(json_string_value(v), cases[i].decoded);
		json_decref(v);
		free(t);
	}
	/* Inside a long string, on the word-at-a-time path. */
	char s[32];
	memset(s, 'y', sizeof(s));
	s[13] = (char)0xfe;
	char *t = written_string(s, sizeof(s));
	json_t *v = parse(t);
	assert_int_equal(json_string_length(v), sizeof(s) - 1 + 3);
	json_decref(v);
	free(t);
}

static void test_null_string_and_key(void **state)
{
	(void)state;
	capture c;
	cap_open(&c);
	cf_json_begin_object(c.w);
	cf_json_key(c.w, NULL);
	cf_json_string(c.w, NULL);
	cf_json_end_object(c.w);
	assert_string_equal(cap_close(&c), "{\n  \"\": \"\"\n}\n");
	cap_free(&c);
}

/* ---- layout ---- */

static void test_empty_containers(void **state)
{
	(void)state;
	capture c;
	cap_open(&c);
	cf_json_begin_object(c.w);
	cf_json_end_object(c.w);
	assert_string_equal(cap_close(&c), "{}\n");
	cap_free(&c);

	cap_open(&c);
	cf_json_begin_array(c.w);
	cf_json_end_array(c.w);
	assert_string_equal(cap_close(&c), "[]\n");
	cap_free(&c);

	/* Empty ones inside others stay on their key's line. */
	cap_open(&c);
	cf_json_begin_object(c.w);
	cf_json_key(c.w, "a");
	cf_json_begin_array(c.w);
	cf_json_end_array(c.w);
	cf_json_key(c.w, "o");
	cf_json_begin_object(c.w);
	cf_json_end_object(c.w);
	cf_json_end_object(c.w);
	assert_string_equal(cap_close(&c), "{\n  \"a\": [],\n  \"o\": {}\n}\n");
	cap_free(&c);
}

/* Writes, and builds as a jansson tree, one document nesting objects and
 * arrays in every combination, empty and not. */
static json_t *write_nested(cf_json_writer *w)
{
	json_t *root = json_object();
	cf_json_begin_object(w);

	cf_json_key(w, "name");
	cf_json_string(w, "lib");
	json_object_set_new(root, "name", json_string("lib"));

	cf_json_key(w, "empty_object");
	cf_json_begin_object(w);
	cf_json_end_object(w);
	json_object_set_new(root, "empty_object", json_object());

	cf_json_key(w, "matrix");
	json_t *m = json_array();
	cf_json_begin_array(w);
	for (int i = 0; i < 3; i++) {
		json_t *row = json_array();
		cf_json_begin_array(w);
		for (int j = 0; j < i; j++) {
			cf_json_int(w, i * 10 + j);
			json_array_append_new(row, json_integer(i * 10 + j));
		}
		cf_json_end_array(w);
		json_array_append_new(m, row);
	}
	cf_json_end_array(w);
	json_object_set_new(root, "matrix", m);

	cf_json_key(w, "items");
	json_t *items = json_array();
	cf_json_begin_array(w);
	for (int i = 0; i < 2; i++) {
		json_t *o = json_object();
		cf_json_begin_object(w);
		cf_json_key(w, "ok");
		cf_json_bool(w, i == 0);
		json_object_set_new(o, "ok", json_boolean(i == 0));
		cf_json_key(w, "nothing");
		cf_json_null(w);
		json_object_set_new(o, "nothing", json_null());
		cf_json_key(w, "deep");
		cf_json_begin_object(w);
		cf_json_key(w, "list");
		cf_json_begin_array(w);
		cf_json_begin_object(w);
		cf_json_end_object(w);
		cf_json_string(w, "x");
		cf_json_end_array(w);
		cf_json_end_object(w);
		json_t *list = json_array();
		json_array_append_new(list, json_object());
		json_array_append_new(list, json_string("x"));
		json_t *deep = json_object();
		json_object_set_new(deep, "list", list);
		json_object_set_new(o, "deep", deep);
		cf_json_end_object(w);
		json_array_append_new(items, o);
	}
	cf_json_end_array(w);
	json_object_set_new(root, "items", items);

	cf_json_key(w, "last");
	cf_json_uint(w, 7);
	json_object_set_new(root, "last", json_integer(7));
	cf_json_end_object(w);
	return root;
}

static void test_nesting_matches_jansson(void **state)
{
	(void)state;
	capture c;
	cap_open(&c);
	json_t *ref = write_nested(c.w);
	const char *got = cap_close(&c);
	char *want = jansson_text(ref);
	assert_string_equal(got, want);
	json_t *back = parse(got);
	assert_true(json_equal(back, ref));
	json_decref(back);
	json_decref(ref);
	free(want);
	cap_free(&c);
}

/* Deeper than the indent the writer writes in one piece. */
static void test_deep_nesting(void **state)
{
	(void)state;
	enum { DEPTH = 100 };
	capture c;
	cap_open(&c);
	json_t *ref = json_array(), *inner = ref;
	cf_json_begin_array(c.w);
	for (int i = 1; i < DEPTH; i++) {
		cf_json_begin_array(c.w);
		json_t *a = json_array();
		json_array_append_new(inner, a);
		inner = a;
	}
	cf_json_string(c.w, "bottom");
	json_array_append_new(inner, json_string("bottom"));
	for (int i = 0; i < DEPTH; i++)
		cf_json_end_array(c.w);
	const char *got = cap_close(&c);
	char *want = jansson_text(ref);
	assert_string_equal(got, want);
	json_decref(ref);
	free(want);
	cap_free(&c);
}

/* ---- numbers, booleans, null ---- */

static void test_int64_extremes(void **state)
{
	(void)state;
	const int64_t v[] = {0,
	                     1,
	                     -1,
	                     9,
	                     10,
	                     -10,
	                     INT64_MAX,
	                     INT64_MIN,
	                     INT64_MIN + 1,
	                     (int64_t)INT32_MIN - 1};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		capture c;
		cap_open(&c);
		cf_json_int(c.w, v[i]);
		const char *got = cap_close(&c);
		json_t *ref = json_integer(v[i]);
		char *want = jansson_text(ref);
		assert_string_equal(got, want);
		json_t *back = parse(got);
		assert_true(json_is_integer(back));
		assert_true(json_integer_value(back) == v[i]);
		json_decref(back);
		json_decref(ref);
		free(want);
		cap_free(&c);
	}
}

static void test_uint64_extremes(void **state)
{
	(void)state;
	/* Beyond INT64_MAX jansson has no integer, so printf is the
	 * reference there. */
	const uint64_t v[] = {0,
	                      1,
	                      10,
	                      UINT32_MAX,
	                      (uint64_t)INT64_MAX,
	                      (uint64_t)INT64_MAX + 1,
	                      UINT64_MAX - 1,
	                      UINT64_MAX};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		capture c;
		cap_open(&c);
		cf_json_uint(c.w, v[i]);
		const char *got = cap_close(&c);
		char want[32];
		snprintf(want, sizeof(want), "%" PRIu64 "\n", v[i]);
		assert_string_equal(got, want);
		cap_free(&c);
	}
}

static void test_bool_and_null(void **state)
{
	(void)state;
	capture c;
	cap_open(&c);
	cf_json_begin_array(c.w);
	cf_json_bool(c.w, true);
	cf_json_bool(c.w, false);
	cf_json_null(c.w);
	cf_json_end_array(c.w);
	const char *got = cap_close(&c);
	json_t *ref = json_pack("[bbn]", 1, 0);
	char *want = jansson_text(ref);
	assert_string_equal(got, want);
	json_decref(ref);
	free(want);
	cap_free(&c);
}

/* ---- big output ---- */

/* Several times the buffer, and one string longer than the buffer (written
 * around it), with escapes across the flush points. */
static void test_output_larger_than_buffer(void **state)
{
	(void)state;
	size_t big_len = 3 * CF_JSON_WRITER_BUF + 17;
	char *big = malloc(big_len);
	assert_non_null(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = i % 97 == 0 ? '\n' : (char)('a' + i % 26);
	capture c;
	cap_open(&c);
	json_t *ref = json_object();
	cf_json_begin_object(c.w);
	json_t *a = json_array();
	cf_json_key(c.w, "many");
	cf_json_begin_array(c.w);
	for (int i = 0; i < 20000; i++) {
		char s[32];
		snprintf(s, sizeof(s), "item \"%d\"", i);
		cf_json_string(c.w, s);
		json_array_append_new(a, json_string(s));
	}
	cf_json_end_array(c.w);
	json_object_set_new(ref, "many", a);
	cf_json_key(c.w, "big");
	cf_json_stringn(c.w, big, big_len);
	json_object_set_new(ref, "big", json_stringn(big, big_len));
	cf_json_end_object(c.w);
	const char *got = cap_close(&c);
	assert_true(c.len > 4 * CF_JSON_WRITER_BUF);
	char *want = jansson_text(ref);
	assert_string_equal(got, want);
	json_decref(ref);
	free(want);
	free(big);
	cap_free(&c);
}

/* ---- round trip ---- */

static void test_round_trip(void **state)
{
	(void)state;
	capture c;
	cap_open(&c);
	cf_json_begin_object(c.w);
	cf_json_key(c.w, "weird \"key\"\n\\");
	cf_json_string(c.w, "tab\there \xe2\x9c\x93 \x01");
	cf_json_key(c.w, "numbers");
	cf_json_begin_array(c.w);
	cf_json_int(c.w, INT64_MIN);
	cf_json_int(c.w, INT64_MAX);
	cf_json_uint(c.w, (uint64_t)INT64_MAX);
	cf_json_uint(c.w, 0);
	cf_json_end_array(c.w);
	cf_json_key(c.w, "flags");
	cf_json_begin_object(c.w);
	cf_json_key(c.w, "t");
	cf_json_bool(c.w, true);
	cf_json_key(c.w, "f");
	cf_json_bool(c.w, false);
	cf_json_key(c.w, "n");
	cf_json_null(c.w);
	cf_json_end_object(c.w);
	cf_json_end_object(c.w);
	const char *got = cap_close(&c);

	json_t *ref = json_object();
	json_object_set_new(ref, "weird \"key\"\n\\",
	                    json_string("tab\there \xe2\x9c\x93 \x01"));
	json_object_set_new(ref, "numbers",
	                    json_pack("[IIII]", (json_int_t)INT64_MIN,
	                              (json_int_t)INT64_MAX,
	                              (json_int_t)INT64_MAX, (json_int_t)0));
	json_object_set_new(ref, "flags",
	                    json_pack("{sbsbsn}", "t", 1, "f", 0, "n"));
	json_t *back = parse(got);
	assert_true(json_equal(back, ref));
	/* And in the same order: the bytes are jansson's. */
	char *want = jansson_text(ref);
	assert_string_equal(got, want);
	free(want);
	json_decref(back);
	json_decref(ref);
	cap_free(&c);
}

/* ---- errors ---- */

/* A small document fails when the FILE is flushed at the end. */
static void test_write_error_at_finish(void **state)
{
	(void)state;
	FILE *full = fopen("/dev/full", "w");
	if (!full) {
		printf("# skip: no /dev/full here\n");
		return;
	}
	cf_json_writer *w = malloc(sizeof(*w));
	assert_non_null(w);
	cf_json_init(w, full);
	cf_json_begin_object(w);
	cf_json_key(w, "k");
	cf_json_string(w, "v");
	cf_json_end_object(w);
	assert_int_equal(cf_json_finish(w), ENOSPC);
	free(w);
	fclose(full);
}

/* A large one fails at the first buffer flush; the first errno is kept
 * and nothing more is attempted. */
static void test_write_error_while_writing(void **state)
{
	(void)state;
	FILE *full = fopen("/dev/full", "w");
	if (!full) {
		printf("# skip: no /dev/full here\n");
		return;
	}
	cf_json_writer *w = malloc(sizeof(*w));
	assert_non_null(w);
	cf_json_init(w, full);
	cf_json_begin_array(w);
	for (int i = 0; w->err == 0 && i < 100000; i++)
		cf_json_string(w, "some text to fill the buffer with");
	assert_int_equal(w->err, ENOSPC);
	/* Later failures (here, a misuse) do not replace it. */
	cf_json_end_array(w);
	cf_json_end_array(w);
	assert_int_equal(cf_json_finish(w), ENOSPC);
	free(w);
	fclose(full);
}

/* A stream that cannot be written at all: its own errno comes back. */
static void test_write_error_read_only_stream(void **state)
{
	(void)state;
	FILE *ro = fopen("/dev/null", "r");
	assert_non_null(ro);
	cf_json_writer *w = malloc(sizeof(*w));
	assert_non_null(w);
	cf_json_init(w, ro);
	cf_json_string(w, "x");
	assert_int_equal(cf_json_finish(w), EBADF);
	free(w);
	fclose(ro);
}

static void test_misuse_is_reported(void **state)
{
	(void)state;
	capture c;
	/* A container left open. */
	cap_open(&c);
	cf_json_begin_object(c.w);
	assert_int_equal(cf_json_finish(c.w), EINVAL);
	fclose(c.f);
	free(c.w);
	cap_free(&c);
	/* Closed once too often. */
	cap_open(&c);
	cf_json_begin_array(c.w);
	cf_json_end_array(c.w);
	cf_json_end_array(c.w);
	assert_int_equal(cf_json_finish(c.w), EINVAL);
	fclose(c.f);
	free(c.w);
	cap_free(&c);
	/* A key without its value, and a key outside any object. */
	cap_open(&c);
	cf_json_begin_object(c.w);
	cf_json_key(c.w, "a");
	cf_json_end_object(c.w);
	assert_int_equal(cf_json_finish(c.w), EINVAL);
	fclose(c.f);
	free(c.w);
	cap_free(&c);
	cap_open(&c);
	cf_json_key(c.w, "a");
	assert_int_equal(cf_json_finish(c.w), EINVAL);
	fclose(c.f);
	free(c.w);
	cap_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_control_char),
	    cmocka_unit_test(test_nul_inside_string),
	    cmocka_unit_test(test_quotes_backslash_and_printable),
	    cmocka_unit_test(test_escape_at_every_offset),
	    cmocka_unit_test(test_valid_utf8_passes_through),
	    cmocka_unit_test(test_invalid_utf8_is_replaced),
	    cmocka_unit_test(test_null_string_and_key),
	    cmocka_unit_test(test_empty_containers),
	    cmocka_unit_test(test_nesting_matches_jansson),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_int64_extremes),
	    cmocka_unit_test(test_uint64_extremes),
	    cmocka_unit_test(test_bool_and_null),
	    cmocka_unit_test(test_output_larger_than_buffer),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_write_error_at_finish),
	    cmocka_unit_test(test_write_error_while_writing),
	    cmocka_unit_test(test_write_error_read_only_stream),
	    cmocka_unit_test(test_misuse_is_reported),
	};
	return cmocka_run_group_tests_name("json_writer", tests, NULL, NULL);
}
