/* The lexer (compiler/lexer.l): tokens, literals and their decoding,
 * comments and doc comments, locations, and hostile input. Expected
 * decodings follow fidlc's lexer: escapes \\ \" \n \r \t and \u{1-6 hex}. */

/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer_state.h"
#include "parse.h"
#include "parser.h"

typedef struct lex_fixture {
	cf_source *src;
	cf_arena arena;
	cf_diags diags;
	cf_parse_ctx ctx;
} lex_fixture;

typedef struct token {
	int kind;
	CFYYSTYPE v;
	CFYYLTYPE l;
} token;

static lex_fixture *lex_open_len(const char *text, size_t len)
{
	lex_fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->src = cf_source_from_memory("t.fidl", text, len);
	assert_non_null(f->src);
	cf_arena_init(&f->arena);
	cf_diags_init(&f->diags, getenv("CF_TEST_VERBOSE") ? stderr : NULL);
	f->ctx.src = f->src;
	f->ctx.arena = &f->arena;
	f->ctx.diags = &f->diags;
	f->ctx.syntax = AST_SYNTAX_NEW;
	assert_int_equal(cf_lex_begin(&f->ctx), 0);
	/* The synthetic first token. */
	token t;
	assert_int_equal(cfyylex(&t.v, &t.l, &f->ctx), START_NEW);
	return f;
}

static lex_fixture *lex_open(const char *text)
{
	return lex_open_len(text, strlen(text));
}

static void lex_close(lex_fixture *f)
{
	cf_lex_end(&f->ctx);
	cf_arena_destroy(&f->arena);
	cf_source_free(f->src);
	free(f);
}

static token next(lex_fixture *f)
{
	token t;
	memset(&t, 0, sizeof(t));
	t.kind = cfyylex(&t.v, &t.l, &f->ctx);
	return t;
}

static void expect_tok(lex_fixture *f, int kind, const char *text, int line,
                       int col)
{
	token t = next(f);
	assert_int_equal(t.kind, kind);
	if (text)
		assert_string_equal(t.v.str, text);
	assert_int_equal(t.l.first_line, line);
	assert_int_equal(t.l.first_column, col);
}

static void test_old_syntax_start_token(void **state)
{
	(void)state;
	cf_source *src = cf_source_from_memory("t.fidl", "x", 1);
	cf_arena arena;
	cf_diags diags;
	cf_parse_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	cf_arena_init(&arena);
	cf_diags_init(&diags, NULL);
	ctx.src = src;
	ctx.arena = &arena;
	ctx.diags = &diags;
	ctx.syntax = AST_SYNTAX_OLD;
	assert_int_equal(cf_lex_begin(&ctx), 0);
	CFYYSTYPE v;
	CFYYLTYPE l;
	assert_int_equal(cfyylex(&v, &l, &ctx), START_OLD);
	assert_int_equal(cfyylex(&v, &l, &ctx), IDENT);
	assert_int_equal(cfyylex(&v, &l, &ctx), END);
	cf_lex_end(&ctx);
	cf_arena_destroy(&arena);
	cf_source_free(src);
}

static void test_keywords_and_identifiers(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("library foo.bar_2;\n"
	                          "struct structs Struct xunion error");
	expect_tok(f, LIBRARY, "library", 1, 1);
	expect_tok(f, IDENT, "foo", 1, 9);
	expect_tok(f, '.', NULL, 1, 12);
	expect_tok(f, IDENT, "bar_2", 1, 13);
	expect_tok(f, ';', NULL, 1, 18);
	/* Keywords carry their text so the parser can use them as names. */
	expect_tok(f, STRUCT, "struct", 2, 1);
	expect_tok(f, IDENT, "structs", 2, 8);
	expect_tok(f, IDENT, "Struct", 2, 16);
	expect_tok(f, XUNION, "xunion", 2, 23);
	expect_tok(f, KW_ERROR, "error", 2, 30);
	expect_tok(f, END, NULL, 2, 35);
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);
}

static void test_all_keywords(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int kind;
	} kws[] = {
	    {"library", LIBRARY},
	    {"using", USING},
	    {"as", AS},
	    {"const", CONST},
	    {"alias", ALIAS},
	    {"type", TYPE},
	    {"struct", STRUCT},
	    {"table", TABLE},
	    {"union", UNION},
	    {"xunion", XUNION},
	    {"enum", ENUM},
	    {"bits", BITS},
	    {"protocol", PROTOCOL},
	    {"interface", INTERFACE},
	    {"compose", COMPOSE},
	    {"strict", STRICT},
	    {"flexible", FLEXIBLE},
	    {"resource", RESOURCE},
	    {"reserved", RESERVED},
	    {"error", KW_ERROR},
	    {"open", OPEN},
	    {"ajar", AJAR},
	    {"closed", CLOSED},
	    {"resource_definition", RESOURCE_DEFINITION},
	    {"properties", PROPERTIES},
	};
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
		lex_fixture *f = lex_open(kws[i].text);
		expect_tok(f, kws[i].kind, kws[i].text, 1, 1);
		expect_tok(f, END, NULL, 1, 1 + (int)strlen(kws[i].text));
		lex_close(f);
	}
	/* Not keywords: the resolver decides what they mean. */
	lex_fixture *f = lex_open("handle request optional true vector");
	for (int i = 0; i < 5; i++)
		assert_int_equal(next(f).kind, IDENT);
	lex_close(f);
}

static void test_punctuation(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("->(){}[]<>@.,;:?=|");
	const int kinds[] = {ARROW, '(', ')', '{', '}', '[', ']', '<', '>',
	                     '@',   '.', ',', ';', ':', '?', '=', '|'};
	int col = 1;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		token t = next(f);
		assert_int_equal(t.kind, kinds[i]);
		assert_int_equal(t.l.first_column, col);
		col += kinds[i] == ARROW ? 2 : 1;
	}
	assert_int_equal(next(f).kind, END);
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);
}

static void test_numbers(void **state)
{
	(void)state;
	lex_fixture *f =
	    lex_open("0 42 -7 0x1F 0XfF -0x10 0b101 1.5 -2.5e3 3e2 1:");
	const char *want[] = {"0",     "42",  "-7",     "0x1F", "0XfF", "-0x10",
	                      "0b101", "1.5", "-2.5e3", "3e2",  "1"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		token t = next(f);
		assert_int_equal(t.kind, NUMBER);
		assert_string_equal(t.v.str, want[i]);
	}
	assert_int_equal(next(f).kind, ':');
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);
}

static void test_invalid_numbers(void **state)
{
	(void)state;
	const char *bad[] = {"12ab", "0x", "0b12", "1_000", "0xfg"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lex_fixture *f = lex_open(bad[i]);
		token t = next(f);
		/* Still a number, so the parser goes on. */
		assert_int_equal(t.kind, NUMBER);
		assert_int_equal(f->diags.count[CF_DIAG_INVALID_NUMBER], 1);
		assert_int_equal(f->diags.first_loc.col, 1);
		assert_int_equal(next(f).kind, END);
		lex_close(f);
	}
	/* A lone '-' is not a number. */
	lex_fixture *f = lex_open("- 1");
	assert_int_equal(next(f).kind, NUMBER);
	assert_int_equal(f->diags.count[CF_DIAG_INVALID_CHARACTER], 1);
	lex_close(f);
}

static void test_string_escapes(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("x \"a\\\\b\\\"c\\n\\t\\r\\u{41}\\u{e9}"
	                          "\\u{1F600}\"");
	assert_int_equal(next(f).kind, IDENT);
	token t = next(f);
	assert_int_equal(t.kind, STRING);
	const char want[] = "a\\b\"c\n\t\rA\xc3\xa9\xf0\x9f\x98\x80";
	assert_int_equal(t.v.lit.len, sizeof(want) - 1);
	assert_memory_equal(t.v.lit.text, want, sizeof(want) - 1);
	assert_string_equal(t.v.lit.raw, "\"a\\\\b\\\"c\\n\\t\\r\\u{41}\\u{e9}"
	                                 "\\u{1F600}\"");
	assert_int_equal(t.l.first_column, 3);
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);

	/* \u{0} decodes to a NUL byte: the length says so. */
	f = lex_open("\"a\\u{0}b\"");
	t = next(f);
	assert_int_equal(t.kind, STRING);
	assert_int_equal(t.v.lit.len, 3);
	assert_memory_equal(t.v.lit.text, "a\0b", 3);
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);

	/* Valid UTF-8 passes through. */
	f = lex_open("\"h\xc3\xa9llo\"");
	t = next(f);
	assert_string_equal(t.v.lit.text, "h\xc3\xa9llo");
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);
}

static void test_invalid_escapes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int col; /* of the backslash */
	} cases[] = {
	    {"\"ab\\q\"", 4},     {"\"\\u41\"", 2},
	    {"\"\\u{}\"", 2},     {"\"\\u{110000}\"", 2},
	    {"\"\\u{D800}\"", 2}, {"\"\\u{1234567}\"", 2},
	    {"\"x\\u{12\"", 3},   {"\"\\0\"", 2},
	    {"\"\\u{zz}\"", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lex_fixture *f = lex_open(cases[i].text);
		token t = next(f);
		assert_int_equal(t.kind, STRING);
		assert_true(f->diags.count[CF_DIAG_INVALID_ESCAPE] >= 1);
		assert_int_equal(f->diags.first_id, CF_DIAG_INVALID_ESCAPE);
		assert_int_equal(f->diags.first_loc.line, 1);
		assert_int_equal(f->diags.first_loc.col, cases[i].col);
		assert_int_equal(next(f).kind, END);
		lex_close(f);
	}
}

static void test_unterminated_string(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("a \"abc\nb \"x\\");
	expect_tok(f, IDENT, "a", 1, 1);
	token t = next(f);
	assert_int_equal(t.kind, STRING);
	assert_string_equal(t.v.lit.text, "abc");
	assert_int_equal(f->diags.count[CF_DIAG_UNTERMINATED_STRING], 1);
	assert_int_equal(f->diags.first_loc.line, 1);
	assert_int_equal(f->diags.first_loc.col, 3);
	/* Lexing resumes on the next line. */
	expect_tok(f, IDENT, "b", 2, 1);
	/* At the end of the input, even after a backslash. */
	assert_int_equal(next(f).kind, STRING);
	assert_int_equal(f->diags.count[CF_DIAG_UNTERMINATED_STRING], 2);
	assert_int_equal(next(f).kind, END);
	lex_close(f);
}

static void test_comments_and_locations(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("// line comment struct\n"
	                          "\ta\n"
	                          "             b\r\n"
	                          "//// not a doc comment\n"
	                          "  c");
	expect_tok(f, IDENT, "a", 2, 2);
	expect_tok(f, IDENT, "b", 3, 14);
	expect_tok(f, IDENT, "c", 5, 3);
	expect_tok(f, END, NULL, 5, 4);
	assert_int_equal(f->diags.errors, 0);
	assert_int_equal(f->diags.warnings, 0);
	assert_null(f->ctx.pending_doc);
	lex_close(f);
}

static void test_unterminated_comment(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("a\n  /* never closed\nb c");
	expect_tok(f, IDENT, "a", 1, 1);
	assert_int_equal(next(f).kind, END);
	assert_int_equal(f->diags.count[CF_DIAG_BLOCK_COMMENT], 1);
	assert_int_equal(f->diags.first_loc.line, 2);
	assert_int_equal(f->diags.first_loc.col, 3);
	lex_close(f);
}

/* FIDL has no block comments: one is an error, and lexing goes on after
 * it with the right positions. */
static void test_block_comment_is_an_error(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("\ta /* block\n  comment */ b");
	expect_tok(f, IDENT, "a", 1, 2);
	expect_tok(f, IDENT, "b", 2, 14);
	assert_int_equal(f->diags.count[CF_DIAG_BLOCK_COMMENT], 1);
	assert_int_equal(f->diags.first_loc.line, 1);
	assert_int_equal(f->diags.first_loc.col, 4);
	lex_close(f);
}

static void test_doc_comments(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("/// First line.\n"
	                          "///\n"
	                          "///  Indented.\r\n"
	                          "type");
	token t = next(f);
	assert_int_equal(t.kind, TYPE);
	/* Pending until the parser claims it for this token. */
	ast_attr *doc = cf_ctx_claim_doc(&f->ctx);
	assert_non_null(doc);
	assert_string_equal(doc->name, "doc");
	assert_true(doc->is_doc_comment);
	assert_int_equal(doc->loc.line, 1);
	assert_int_equal(doc->loc.col, 1);
	assert_non_null(doc->args);
	assert_null(doc->args->name);
	assert_int_equal(doc->args->value->kind, AST_CONST_STRING);
	const char want[] = " First line.\n\n  Indented.\n";
	assert_string_equal(doc->args->value->text, want);
	assert_int_equal(doc->args->value->text_len, sizeof(want) - 1);
	/* Claimed once only. */
	assert_null(cf_ctx_claim_doc(&f->ctx));
	assert_int_equal(next(f).kind, END);
	assert_int_equal(f->diags.warnings, 0);
	lex_close(f);
}

static void test_unclaimed_doc_comment_warns(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("a\n  /// lost\n}\nb\n/// at the end\n");
	assert_int_equal(next(f).kind, IDENT);
	assert_int_equal(next(f).kind, '}');
	/* Nobody claimed it before the next token. */
	assert_int_equal(next(f).kind, IDENT);
	assert_int_equal(f->diags.count[CF_DIAG_DOC_COMMENT_NOWHERE], 1);
	assert_int_equal(f->diags.first_loc.line, 2);
	assert_int_equal(f->diags.first_loc.col, 3);
	assert_int_equal(next(f).kind, END);
	assert_int_equal(f->diags.count[CF_DIAG_DOC_COMMENT_NOWHERE], 2);
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);
}

static void test_invalid_characters(void **state)
{
	(void)state;
	lex_fixture *f = lex_open("a $$$ b # _c \x80\xff d / e & f");
	expect_tok(f, IDENT, "a", 1, 1);
	expect_tok(f, IDENT, "b", 1, 7);
	assert_int_equal(f->diags.count[CF_DIAG_INVALID_CHARACTER], 1);
	assert_int_equal(f->diags.first_loc.col, 3);
	expect_tok(f, IDENT, "c", 1, 12);
	expect_tok(f, IDENT, "d", 1, 17);
	expect_tok(f, IDENT, "e", 1, 21);
	expect_tok(f, IDENT, "f", 1, 25);
	assert_int_equal(next(f).kind, END);
	/* One error per run: $$$, #, _, the two high bytes, /, &. */
	assert_int_equal(f->diags.count[CF_DIAG_INVALID_CHARACTER], 6);
	lex_close(f);
}

static void test_nul_bytes(void **state)
{
	(void)state;
	const char text[] = "a\0b\0\0c \"x\0y\" // \0\n";
	lex_fixture *f = lex_open_len(text, sizeof(text) - 1);
	expect_tok(f, IDENT, "a", 1, 1);
	expect_tok(f, IDENT, "b", 1, 3);
	expect_tok(f, IDENT, "c", 1, 6);
	assert_int_equal(next(f).kind, STRING);
	assert_int_equal(next(f).kind, END);
	/* Reported once per file. */
	assert_int_equal(f->diags.count[CF_DIAG_NUL_IN_SOURCE], 1);
	assert_int_equal(f->diags.first_loc.col, 2);
	lex_close(f);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	const char *bad[] = {
	    "\"\xff\"",
	    "\"\xc3\x28\"",
	    "\"\xe0\x80\x80\"",     /* overlong */
	    "\"\xed\xa0\x80\"",     /* surrogate */
	    "\"\xf4\x90\x80\x80\"", /* above U+10FFFF */
	    "/// \xc3\nx",
	    "\"\xe2\x82\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lex_fixture *f = lex_open(bad[i]);
		while (next(f).kind != END)
			;
		assert_int_equal(f->diags.count[CF_DIAG_INVALID_UTF8], 1);
		lex_close(f);
	}
}

static void test_token_too_long(void **state)
{
	(void)state;
	size_t n = 10 * 1024 * 1024;
	char *text = malloc(n + 16);
	assert_non_null(text);
	memset(text, 'a', n);
	memcpy(text + n, " b", 3);
	lex_fixture *f = lex_open_len(text, n + 2);
	size_t arena_before = f->arena.bytes_used;
	token t = next(f);
	assert_int_equal(t.kind, IDENT);
	/* A short stand-in, not megabytes. */
	assert_true(strlen(t.v.str) <= 64);
	assert_true(f->arena.bytes_used - arena_before < 4096);
	assert_int_equal(f->diags.count[CF_DIAG_TOKEN_TOO_LONG], 1);
	assert_int_equal(f->diags.first_loc.col, 1);
	expect_tok(f, IDENT, "b", 1, (int)n + 2);
	lex_close(f);

	/* A long string literal too. */
	text[0] = '"';
	text[n - 1] = '"';
	f = lex_open_len(text, n);
	t = next(f);
	assert_int_equal(t.kind, STRING);
	assert_int_equal(t.v.lit.len, 0);
	assert_int_equal(f->diags.count[CF_DIAG_TOKEN_TOO_LONG], 1);
	lex_close(f);

	/* And a number. */
	memset(text, '7', n);
	f = lex_open_len(text, n);
	assert_int_equal(next(f).kind, NUMBER);
	assert_int_equal(f->diags.count[CF_DIAG_TOKEN_TOO_LONG], 1);
	lex_close(f);
	free(text);
}

static void test_nesting_limit(void **state)
{
	(void)state;
	size_t n = 100000;
	char *text = malloc(n + 1);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		text[i] = "<({["[i % 4];
	lex_fixture *f = lex_open_len(text, n);
	int tokens = 0;
	while (next(f).kind != END)
		tokens++;
	assert_int_equal(tokens, CF_MAX_NESTING);
	assert_int_equal(f->diags.count[CF_DIAG_NESTING_TOO_DEEP], 1);
	assert_int_equal(f->diags.first_loc.col, CF_MAX_NESTING + 1);
	/* The end is final. */
	assert_int_equal(next(f).kind, END);
	lex_close(f);

	/* Closing brackets give the depth back. */
	for (size_t i = 0; i < n; i++)
		text[i] = i % 2 ? '>' : '<';
	f = lex_open_len(text, n);
	tokens = 0;
	while (next(f).kind != END)
		tokens++;
	assert_int_equal(tokens, (int)n);
	assert_int_equal(f->diags.errors, 0);
	lex_close(f);
	free(text);
}

static void test_error_limit_stops_lexing(void **state)
{
	(void)state;
	size_t n = 100000;
	char *text = malloc(n);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		text[i] = i % 2 ? ' ' : '$';
	lex_fixture *f = lex_open_len(text, n);
	while (next(f).kind != END)
		;
	assert_true(f->diags.limit_hit);
	assert_true(f->ctx.stop);
	assert_int_equal(f->diags.count[CF_DIAG_TOO_MANY_ERRORS], 1);
	assert_int_equal(f->diags.count[CF_DIAG_INVALID_CHARACTER], 50);
	lex_close(f);
	free(text);
}

static void test_binary_noise(void **state)
{
	(void)state;
	size_t n = 1 << 20;
	char *text = malloc(n);
	assert_non_null(text);
	uint32_t x = 12345;
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			text[i] = (char)(x >> 16);
		}
		lex_fixture *f = lex_open_len(text, n);
		f->diags.max_errors = 1000000;
		unsigned long tokens = 0;
		while (next(f).kind != END)
			tokens++;
		/* Every token consumes at least one byte. */
		assert_true(tokens <= n);
		assert_true(f->diags.errors > 0);
		lex_close(f);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_old_syntax_start_token),
	    cmocka_unit_test(test_keywords_and_identifiers),
	    cmocka_unit_test(test_all_keywords),
	    cmocka_unit_test(test_punctuation),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_invalid_numbers),
	    cmocka_unit_test(test_string_escapes),
	    cmocka_unit_test(test_invalid_escapes),
	    cmocka_unit_test(test_unterminated_string),
	    cmocka_unit_test(test_comments_and_locations),
	    cmocka_unit_test(test_unterminated_comment),
	    cmocka_unit_test(test_block_comment_is_an_error),
	    cmocka_unit_test(test_doc_comments),
	    cmocka_unit_test(test_unclaimed_doc_comment_warns),
	    cmocka_unit_test(test_invalid_characters),
	    cmocka_unit_test(test_nul_bytes),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_token_too_long),
	    cmocka_unit_test(test_nesting_limit),
	    cmocka_unit_test(test_error_limit_stops_lexing),
	    cmocka_unit_test(test_binary_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
