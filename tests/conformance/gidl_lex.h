/* GIDL tokens: the lexer shared by the GIDL parser and its tests. */
#ifndef CFIDL_GIDL_LEX_H
#define CFIDL_GIDL_LEX_H

#include <stddef.h>
#include <stdint.h>

typedef enum gidl_tok_kind {
	GIDL_T_EOF,
	GIDL_T_ERROR,  /* text = message */
	GIDL_T_IDENT,  /* letters, digits, '_' and '.' */
	GIDL_T_NUMBER, /* decimal/hex integer, float or 'c', maybe negative */
	GIDL_T_STRING, /* decoded bytes in buf */
	GIDL_T_HANDLE, /* #n */
	GIDL_T_PUNCT,  /* one of { } [ ] ( ) , : = + | - */
} gidl_tok_kind;

typedef struct gidl_token {
	gidl_tok_kind kind;
	int line, col;
	const char *text; /* into the source */
	size_t len;
	char punct;
	/* numbers: integer magnitude and sign, or a float */
	int is_float;
	int neg;
	uint64_t u;
	double f;
	/* strings: decoded bytes (malloc'd by the lexer, owned by caller) */
	char *buf;
	size_t buflen;
	const char *error;
} gidl_token;

typedef struct gidl_lexer {
	const char *p, *end;
	int line, col;
} gidl_lexer;

void gidl_lex_init(gidl_lexer *lx, const char *text, size_t len);
/* Reads the next token; string tokens own tok->buf (free it). */
void gidl_lex_next(gidl_lexer *lx, gidl_token *tok);

#endif
