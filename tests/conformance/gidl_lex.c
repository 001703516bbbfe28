/* The GIDL lexer: identifiers, numbers (decimal, hex, negative, floats),
 * strings with Go-style escapes (\xHH, \n, \t, \r, \", \\, \u{H...}), handle
 * references #n, punctuation, and // comments. */
#include "gidl_lex.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void gidl_lex_init(gidl_lexer *lx, const char *text, size_t len)
{
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->col = 1;
}

static void advance(gidl_lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->p++;
}

static void skip_space(gidl_lexer *lx)
{
	while (lx->p < lx->end) {
		if (isspace((unsigned char)*lx->p)) {
			advance(lx);
		} else if (*lx->p == '/' && lx->p + 1 < lx->end &&
		           lx->p[1] == '/') {
			while (lx->p < lx->end && *lx->p != '\n')
				advance(lx);
		} else {
			break;
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void error(gidl_token *tok, const char *msg)
{
	tok->kind = GIDL_T_ERROR;
	tok->error = msg;
}

/* Appends code point cp as UTF-8. */
static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static void lex_string(gidl_lexer *lx, gidl_token *tok)
{
	/* Decoded text is never longer than the source text. */
	char *buf = malloc((size_t)(lx->end - lx->p) + 1);
	size_t n = 0;

	if (!buf) {
		error(tok, "out of memory");
		return;
	}
	advance(lx); /* opening quote */
	for (;;) {
		if (lx->p >= lx->end || *lx->p == '\n') {
			free(buf);
			error(tok, "unterminated string");
			return;
		}
		char c = *lx->p;
		if (c == '"') {
			advance(lx);
			break;
		}
		if (c != '\\') {
			buf[n++] = c;
			advance(lx);
			continue;
		}
		advance(lx);
		if (lx->p >= lx->end) {
			free(buf);
			error(tok, "unterminated string");
			return;
		}
		c = *lx->p;
		advance(lx);
		switch (c) {
		case 'n':
			buf[n++] = '\n';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case '"':
		case '\\':
			buf[n++] = c;
			break;
		case 'x': {
			int hi = lx->p < lx->end ? hexval(lx->p[0]) : -1;
			int lo = lx->p + 1 < lx->end ? hexval(lx->p[1]) : -1;
			if (hi < 0 || lo < 0) {
				free(buf);
				error(tok, "\\x needs two hex digits");
				return;
			}
			advance(lx);
			advance(lx);
			buf[n++] = (char)(hi * 16 + lo);
			break;
		}
		case 'u': {
			uint32_t cp = 0;
			int digits = 0;
			if (lx->p >= lx->end || *lx->p != '{') {
				free(buf);
				error(tok, "\\u needs {hex}");
				return;
			}
			advance(lx);
			while (lx->p < lx->end && hexval(*lx->p) >= 0 &&
			       digits < 6) {
				cp = cp * 16 + (uint32_t)hexval(*lx->p);
				digits++;
				advance(lx);
			}
			if (!digits || lx->p >= lx->end || *lx->p != '}' ||
			    cp > 0x10ffff) {
				free(buf);
				error(tok, "bad \\u{...} escape");
				return;
			}
			advance(lx);
			n += put_utf8(buf + n, cp);
			break;
		}
		default:
			free(buf);
			error(tok, "unknown escape in string");
			return;
		}
	}
	buf[n] = '\0';
	tok->kind = GIDL_T_STRING;
	tok->buf = buf;
	tok->buflen = n;
}

static void lex_number(gidl_lexer *lx, gidl_token *tok)
{
	const char *start = lx->p;
	int neg = 0;

	if (*lx->p == '-') {
		neg = 1;
		advance(lx);
	}
	const char *digits = lx->p;
	while (
	    lx->p < lx->end &&
	    (isalnum((unsigned char)*lx->p) || *lx->p == '.' || *lx->p == '_' ||
	     ((*lx->p == '+' || *lx->p == '-') &&
	      (lx->p[-1] == 'e' || lx->p[-1] == 'E') &&
	      !(digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')))))
		advance(lx);
	size_t len = (size_t)(lx->p - digits);
	char text[80];
	if (len == 0 || len >= sizeof text) {
		error(tok, "bad number");
		return;
	}
	memcpy(text, digits, len);
	text[len] = '\0';
	tok->kind = GIDL_T_NUMBER;
	tok->neg = neg;
	tok->text = start;
	tok->len = (size_t)(lx->p - start);
	int is_hex =
	    len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
	if (!is_hex &&
	    (strchr(text, '.') || strchr(text, 'e') || strchr(text, 'E'))) {
		char *endp;
		errno = 0;
		tok->is_float = 1;
		tok->f = strtod(text, &endp);
		if (*endp || errno)
			error(tok, "bad float");
		if (neg)
			tok->f = -tok->f;
		return;
	}
	char *endp;
	errno = 0;
	tok->u = strtoull(text, &endp, is_hex ? 16 : 10);
	if (*endp || errno || (is_hex && len == 2))
		error(tok, "bad integer");
	else if (neg && tok->u > (uint64_t)1 << 63)
		error(tok, "negative integer out of range");
}

void gidl_lex_next(gidl_lexer *lx, gidl_token *tok)
{
	memset(tok, 0, sizeof *tok);
	skip_space(lx);
	tok->line = lx->line;
	tok->col = lx->col;
	tok->text = lx->p;
	if (lx->p >= lx->end) {
		tok->kind = GIDL_T_EOF;
		return;
	}
	char c = *lx->p;
	if (isalpha((unsigned char)c) || c == '_') {
		while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) ||
		                           *lx->p == '_' || *lx->p == '.'))
			advance(lx);
		tok->kind = GIDL_T_IDENT;
		tok->len = (size_t)(lx->p - tok->text);
		return;
	}
	if (isdigit((unsigned char)c) || (c == '-' && lx->p + 1 < lx->end &&
	                                  isdigit((unsigned char)lx->p[1]))) {
		lex_number(lx, tok);
		return;
	}
	if (c == '"') {
		lex_string(lx, tok);
		return;
	}
	if (c == '#') {
		advance(lx);
		uint64_t n = 0;
		int digits = 0;
		while (lx->p < lx->end && isdigit((unsigned char)*lx->p) &&
		       digits < 9) {
			n = n * 10 + (uint64_t)(*lx->p - '0');
			digits++;
			advance(lx);
		}
		if (!digits) {
			error(tok, "# needs a handle number");
			return;
		}
		tok->kind = GIDL_T_HANDLE;
		tok->u = n;
		tok->len = (size_t)(lx->p - tok->text);
		return;
	}
	if (c == '\'' && lx->p + 2 < lx->end && lx->p[1] != '\\' &&
	    lx->p[2] == '\'') {
		/* 'c': a byte given as an ASCII character */
		tok->kind = GIDL_T_NUMBER;
		tok->u = (unsigned char)lx->p[1];
		advance(lx);
		advance(lx);
		advance(lx);
		tok->len = 3;
		return;
	}
	if (strchr("{}[](),:=+|-", c)) {
		advance(lx);
		tok->kind = GIDL_T_PUNCT;
		tok->punct = c;
		tok->len = 1;
		return;
	}
	error(tok, "unexpected character");
	advance(lx);
}
