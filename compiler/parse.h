/* Source text to syntax tree, for either FIDL syntax. */
#ifndef CFIDL_COMPILER_PARSE_H
#define CFIDL_COMPILER_PARSE_H

#include "arena.h"
#include "ast.h"
#include "diag.h"

/* Limits on abusive input, enforced by the lexer and the parser. */
enum {
	CF_MAX_TOKEN_BYTES = 64 * 1024,
	CF_MAX_NESTING = 64, /* nested type constructors and layouts */
};

/* Which syntax the file is written in, from its first decisive tokens:
 * `@attr`, `type X =`, `alias`, `const NAME T`, `M(struct {` mean the
 * current syntax; `[Attr]`, `struct X {`, `interface`, `using X = T;`,
 * `const T NAME`, `M(T name` mean the 2018-2020 one. A first line
 * `deprecated_syntax;` forces the old syntax. Undecided files are new. */
ast_syntax cf_detect_syntax(const cf_source *src);

/* Parses src. Always returns a tree (possibly partial: declarations with
 * syntax errors are dropped) unless the file has no library declaration, in
 * which case it returns NULL. Errors go to diags; the caller checks
 * cf_diags_failed(). Nodes are allocated in arena. */
ast_file *cf_parse(const cf_source *src, cf_arena *arena, cf_diags *diags);

#endif
