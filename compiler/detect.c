/* Guesses the syntax of a file from its first decisive tokens, with a
 * scanner of its own that only needs to tell words, numbers, strings and
 * punctuation apart. It never reports anything: the parser does. */
#include <stdbool.h>
#include <string.h>

#include "parse.h"

typedef enum tok_kind {
	T_END,
	T_WORD,
	T_NUM,
	T_STR,
	T_ARROW,
	T_PUNCT
} tok_kind;

typedef struct tok {
	tok_kind kind;
	const char *s;
	size_t len;
} tok;

typedef struct cursor {
	const char *p, *end;
} cursor;

static bool is_word_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9') || c == '_';
}

static tok next(cursor *c)
{
	tok t = {T_END, NULL, 0};
	const char *p = c->p, *end = c->end;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		                   *p == '\n' || *p == '\0'))
			p++;
		if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			p = nl ? nl + 1 : end;
			continue;
		}
		if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char *q = p + 2;
			while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
				q++;
			p = q + 1 < end ? q + 2 : end;
			continue;
		}
		break;
	}
	if (p >= end) {
		c->p = end;
		return t;
	}
	t.s = p;
	if (is_word_start(*p)) {
		t.kind = T_WORD;
		while (p < end && is_word(*p))
			p++;
	} else if ((*p >= '0' && *p <= '9') ||
	           (*p == '-' && end - p > 1 && p[1] >= '0' && p[1] <= '9')) {
		t.kind = T_NUM;
		p++;
		while (p < end && (is_word(*p) || *p == '.'))
			p++;
	} else if (*p == '"') {
		t.kind = T_STR;
		p++;
		while (p < end && *p != '"' && *p != '\n') {
			if (*p == '\\' && p + 1 < end && p[1] != '\n')
				p++;
			p++;
		}
		if (p < end && *p == '"')
			p++;
	} else if (*p == '-' && end - p > 1 && p[1] == '>') {
		t.kind = T_ARROW;
		p += 2;
	} else {
		t.kind = T_PUNCT;
		p++;
	}
	t.len = (size_t)(p - t.s);
	c->p = p;
	return t;
}

static bool is(tok t, const char *word)
{
	size_t n = strlen(word);
	return t.kind == T_WORD && t.len == n && !memcmp(t.s, word, n);
}

static bool is_punct(tok t, char c)
{
	return t.kind == T_PUNCT && t.s[0] == c;
}

/* Words that can only be types, so their position tells the syntax. */
static bool is_builtin_type(tok t)
{
	static const char *const names[] = {
	    "bool",   "int8",   "int16",  "int32",   "int64",   "uint8",
	    "uint16", "uint32", "uint64", "float32", "float64", "string",
	    "byte",   "vector", "array",  "handle",  "request",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (is(t, names[i]))
			return true;
	return false;
}

/* Skips a dotted name starting at *t; returns the token after it. */
static tok after_name(cursor *c, tok t, bool *dotted)
{
	*dotted = false;
	tok n = next(c);
	while (is_punct(n, '.')) {
		next(c);
		n = next(c);
		*dotted = true;
	}
	(void)t;
	return n;
}

/* `const A B`: new is `const NAME TYPE`, old is `const TYPE NAME`. */
static int decide_const(cursor c)
{
	tok a = next(&c);
	if (a.kind != T_WORD)
		return -1;
	bool dotted;
	tok b = after_name(&c, a, &dotted);
	if (dotted || is_punct(b, '<') || is_punct(b, ':') ||
	    is_punct(b, '?') || is_builtin_type(a))
		return AST_SYNTAX_OLD;
	if (b.kind != T_WORD)
		return -1;
	if (is_builtin_type(b))
		return AST_SYNTAX_NEW;
	tok d = after_name(&c, b, &dotted);
	if (dotted || is_punct(d, '<') || is_punct(d, ':'))
		return AST_SYNTAX_NEW;
	return -1;
}

/* After `(`: `M(struct {`, `M(Payload)` are new; `M(T name` is old. */
static int decide_params(cursor c)
{
	tok a = next(&c);
	if (is(a, "struct") || is(a, "table") || is(a, "union") ||
	    is(a, "resource") || is(a, "strict") || is(a, "flexible") ||
	    is_punct(a, '@'))
		return AST_SYNTAX_NEW;
	if (a.kind != T_WORD)
		return -1;
	bool dotted;
	tok b = after_name(&c, a, &dotted);
	if (is_punct(b, ')'))
		return AST_SYNTAX_NEW;
	if (b.kind == T_WORD || is_punct(b, '<') || is_punct(b, '?') ||
	    is_punct(b, ':'))
		return AST_SYNTAX_OLD;
	return -1;
}

/* At the start of a top-level statement. */
static int decide_statement(cursor c, tok t)
{
	if (is(t, "alias") || is(t, "open") || is(t, "ajar") ||
	    is(t, "closed") || is(t, "resource_definition"))
		return AST_SYNTAX_NEW;
	if (is(t, "interface"))
		return AST_SYNTAX_OLD;
	if (is(t, "type")) {
		tok a = next(&c), b = next(&c);
		if (a.kind == T_WORD && is_punct(b, '='))
			return AST_SYNTAX_NEW;
		return -1;
	}
	if (is(t, "using")) {
		tok a = next(&c), b = next(&c);
		if (a.kind == T_WORD && is_punct(b, '='))
			return AST_SYNTAX_OLD;
		return -1;
	}
	if (is(t, "const"))
		return decide_const(c);
	while (is(t, "strict") || is(t, "flexible") || is(t, "resource"))
		t = next(&c);
	if (is(t, "struct") || is(t, "table") || is(t, "union") ||
	    is(t, "xunion") || is(t, "enum") || is(t, "bits")) {
		tok a = next(&c);
		if (a.kind == T_WORD)
			return AST_SYNTAX_OLD;
	}
	return -1;
}

ast_syntax cf_detect_syntax(const cf_source *src)
{
	cursor c = {src->text, src->text + src->len};
	tok t = next(&c);
	if (is(t, "deprecated_syntax"))
		return AST_SYNTAX_OLD;
	unsigned braces = 0;
	bool statement_start = true;
	for (; t.kind != T_END; t = next(&c)) {
		int d = -1;
		if (is_punct(t, '@'))
			return AST_SYNTAX_NEW;
		if (is_punct(t, '['))
			return AST_SYNTAX_OLD;
		if (braces == 0 && statement_start && t.kind == T_WORD)
			d = decide_statement(c, t);
		else if (is_punct(t, '('))
			d = decide_params(c);
		if (d >= 0)
			return (ast_syntax)d;
		if (is_punct(t, '{'))
			braces++;
		else if (is_punct(t, '}') && braces)
			braces--;
		statement_start = is_punct(t, ';') || is_punct(t, '}');
	}
	return AST_SYNTAX_NEW;
}
