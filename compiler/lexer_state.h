/* State shared by the flex lexer (lexer.l) and the bison parser (parser.y)
 * while one file is parsed. Private to those two files and their tests. */
#ifndef CFIDL_COMPILER_LEXER_STATE_H
#define CFIDL_COMPILER_LEXER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "source.h"

typedef struct cf_parse_ctx {
	const cf_source *src;
	cf_arena *arena;
	cf_diags *diags;
	ast_file *file;
	ast_syntax syntax;

	/* Lexer. */
	void *scanner;  /* yyscan_t */
	char *scan_buf; /* copy of the text with two trailing NULs */
	uint32_t line;  /* position of the next byte to scan */
	uint32_t col;
	unsigned depth;  /* open brackets: ( [ { < */
	bool start_sent; /* the START_NEW / START_OLD token went out */
	bool stop;       /* error limit or a fatal input problem: end now */
	bool nul_reported;
	bool utf8_reported;
	const char *last_ident; /* text of the last identifier, for messages */
	unsigned long tokens;   /* tokens handed to the parser */

	/* Doc comments: `///` lines are collected in doc_buf (reused, grown
	 * geometrically) until the next real token; then they become one
	 * pending `doc` attribute tied to that token. The parser claims it
	 * when it starts an attribute list in front of that token; an
	 * unclaimed one draws a warning. */
	char *doc_buf;
	size_t doc_len, doc_cap;
	bool doc_open;
	cf_loc doc_loc;
	ast_attr *pending_doc;
	unsigned long pending_doc_token;

	/* Parser. */
	bool library_seen;  /* the library declaration was parsed */
	bool library_token; /* a `library` token was read */
	ast_decl *decl_tail;
	ast_using *using_tail;
} cf_parse_ctx;

/* lexer.l: set up and tear down the scanner over ctx->src. */
int cf_lex_begin(cf_parse_ctx *ctx);
void cf_lex_end(cf_parse_ctx *ctx);

/* A location in ctx's source. */
static inline cf_loc cf_ctx_loc(const cf_parse_ctx *ctx, int line, int col)
{
	cf_loc l = {ctx->src, (uint32_t)line, (uint32_t)col};
	return l;
}

/* Reports through ctx->diags; once the error limit is hit, parsing stops. */
#define CF_CTX_REPORT(ctx, loc, ...)                                           \
	do {                                                                   \
		if (!cf_report((ctx)->diags, (loc), __VA_ARGS__))              \
			(ctx)->stop = true;                                    \
	} while (0)

/* Returns the pending doc attribute when it belongs to the token the parser
 * is looking at, and forgets it. */
ast_attr *cf_ctx_claim_doc(cf_parse_ctx *ctx);

#endif
