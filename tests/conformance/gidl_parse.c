/* The GIDL parser: recursive descent over gidl_lex tokens into the value
 * model of gidl.h. Every allocation of a file goes into one pool so
 * gidl_file_free releases it at once. Errors stop the parse (longjmp) with
 * the first message, "path:line:col: message". */
#include "gidl.h"
#include "gidl_lex.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pool_block {
	struct pool_block *next;
	max_align_t data[];
} pool_block;

typedef struct parser {
	gidl_lexer lx;
	gidl_token tok;
	const char *path;
	gidl_file *file;
	char *err;
	size_t errsize;
	jmp_buf fail;
} parser;

static void *palloc(parser *ps, size_t size);

static void fail_at(parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n =
	    snprintf(ps->err, ps->errsize, "%s:%d:%d: ", ps->path, line, col);
	if (n >= 0 && (size_t)n < ps->errsize) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errsize - (size_t)n, fmt, ap);
		va_end(ap);
	}
	longjmp(ps->fail, 1);
}

#define FAIL(ps, ...) fail_at(ps, (ps)->tok.line, (ps)->tok.col, __VA_ARGS__)

static void *palloc(parser *ps, size_t size)
{
	pool_block *b = calloc(1, sizeof *b + size + 1);
	if (!b)
		FAIL(ps, "out of memory");
	b->next = ps->file->pool;
	ps->file->pool = b;
	return b->data;
}

/* Grows a pool array by one element (old copies stay in the pool). */
static void *pgrow(parser *ps, void *arr, size_t n, size_t elem)
{
	void *p = palloc(ps, (n + 1) * elem);
	if (n)
		memcpy(p, arr, n * elem);
	return p;
}

static char *pstrndup(parser *ps, const char *s, size_t n)
{
	char *p = palloc(ps, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void next(parser *ps)
{
	gidl_lex_next(&ps->lx, &ps->tok);
	if (ps->tok.kind == GIDL_T_STRING) {
		/* Move the lexer's buffer into the pool. */
		char *s = pstrndup(ps, ps->tok.buf, ps->tok.buflen);
		free(ps->tok.buf);
		ps->tok.buf = s;
	}
	if (ps->tok.kind == GIDL_T_ERROR)
		FAIL(ps, "%s", ps->tok.error);
}

static bool is_punct(parser *ps, char c)
{
	return ps->tok.kind == GIDL_T_PUNCT && ps->tok.punct == c;
}

static bool is_ident(parser *ps, const char *word)
{
	return ps->tok.kind == GIDL_T_IDENT && ps->tok.len == strlen(word) &&
	       memcmp(ps->tok.text, word, ps->tok.len) == 0;
}

static void expect_punct(parser *ps, char c)
{
	if (!is_punct(ps, c))
		FAIL(ps, "expected '%c'", c);
	next(ps);
}

/* An optional ',' separator (the suite sometimes omits the last one). */
static void opt_comma(parser *ps)
{
	if (is_punct(ps, ','))
		next(ps);
}

static char *take_ident(parser *ps)
{
	if (ps->tok.kind != GIDL_T_IDENT)
		FAIL(ps, "expected an identifier");
	char *s = pstrndup(ps, ps->tok.text, ps->tok.len);
	next(ps);
	return s;
}

static uint64_t take_uint(parser *ps)
{
	if (ps->tok.kind != GIDL_T_NUMBER || ps->tok.is_float || ps->tok.neg)
		FAIL(ps, "expected a non-negative integer");
	uint64_t v = ps->tok.u;
	next(ps);
	return v;
}

static int take_handle(parser *ps)
{
	if (ps->tok.kind != GIDL_T_HANDLE)
		FAIL(ps, "expected a handle (#n)");
	int h = (int)ps->tok.u;
	next(ps);
	return h;
}

bool gidl_rights_by_name(const char *name, uint32_t *out)
{
	/* Zircon's rights bits and the defaults of zircon/rights.h. */
	enum {
		DUPLICATE = 1u << 0,
		TRANSFER = 1u << 1,
		READ = 1u << 2,
		WRITE = 1u << 3,
		SIGNAL = 1u << 12,
		SIGNAL_PEER = 1u << 13,
		WAIT = 1u << 14,
		INSPECT = 1u << 15,
	};
	static const struct {
		const char *name;
		uint32_t rights;
	} table[] = {
	    {"none", 0},
	    {"duplicate", DUPLICATE},
	    {"transfer", TRANSFER},
	    {"read", READ},
	    {"write", WRITE},
	    {"signal", SIGNAL},
	    {"signal_peer", SIGNAL_PEER},
	    {"wait", WAIT},
	    {"inspect", INSPECT},
	    {"basic", TRANSFER | DUPLICATE | WAIT | INSPECT},
	    {"io", READ | WRITE},
	    {"same_rights", 1u << 31},
	    {"event_default", TRANSFER | DUPLICATE | WAIT | INSPECT | SIGNAL},
	    {"channel_default",
	     TRANSFER | WAIT | INSPECT | READ | WRITE | SIGNAL | SIGNAL_PEER},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*out = table[i].rights;
			return true;
		}
	}
	return false;
}

bool gidl_obj_type_by_name(const char *name, uint32_t *out)
{
	if (strcmp(name, "event") == 0) {
		*out = GIDL_OBJ_EVENT;
		return true;
	}
	if (strcmp(name, "channel") == 0) {
		*out = GIDL_OBJ_CHANNEL;
		return true;
	}
	return false;
}

/* rights: NAME { ('+' | '|' | '-') NAME }: adds or removes rights. */
static uint32_t parse_rights(parser *ps)
{
	uint32_t all = 0;
	bool remove = false;
	for (;;) {
		int line = ps->tok.line, col = ps->tok.col;
		char *name = take_ident(ps);
		uint32_t r;
		if (!gidl_rights_by_name(name, &r))
			fail_at(ps, line, col, "unknown rights '%s'", name);
		if (remove)
			all &= ~r;
		else
			all |= r;
		if (!is_punct(ps, '+') && !is_punct(ps, '|') &&
		    !is_punct(ps, '-'))
			return all;
		remove = is_punct(ps, '-');
		next(ps);
	}
}

static uint32_t parse_obj_type(parser *ps)
{
	int line = ps->tok.line, col = ps->tok.col;
	char *name = take_ident(ps);
	uint32_t t;
	if (!gidl_obj_type_by_name(name, &t))
		fail_at(ps, line, col, "unknown handle type '%s'", name);
	return t;
}

typedef struct byte_buf {
	uint8_t *data;
	size_t len, cap;
} byte_buf;

static void put_bytes(parser *ps, byte_buf *b, uint8_t v, uint64_t count)
{
	if (count > (1u << 24) || b->len + count > (1u << 24))
		FAIL(ps, "byte list too long");
	if (b->len + count > b->cap) {
		size_t cap = (b->cap + count) * 2;
		uint8_t *p = palloc(ps, cap);
		if (b->len)
			memcpy(p, b->data, b->len);
		b->data = p;
		b->cap = cap;
	}
	memset(b->data + b->len, v, count);
	b->len += count;
}

/* '[' { byte | num(x):n | padding:n | repeat(b):n } ']' */
static gidl_bytes parse_byte_list(parser *ps)
{
	byte_buf b = {0};
	expect_punct(ps, '[');
	while (!is_punct(ps, ']')) {
		if (ps->tok.kind == GIDL_T_NUMBER) {
			if (ps->tok.is_float || ps->tok.neg || ps->tok.u > 255)
				FAIL(ps, "a byte must be 0..255");
			put_bytes(ps, &b, (uint8_t)ps->tok.u, 1);
			next(ps);
		} else if (is_ident(ps, "padding")) {
			next(ps);
			expect_punct(ps, ':');
			put_bytes(ps, &b, 0, take_uint(ps));
		} else if (is_ident(ps, "repeat")) {
			next(ps);
			expect_punct(ps, '(');
			uint64_t v = take_uint(ps);
			if (v > 255)
				FAIL(ps, "repeat() needs a byte");
			expect_punct(ps, ')');
			expect_punct(ps, ':');
			put_bytes(ps, &b, (uint8_t)v, take_uint(ps));
		} else if (is_ident(ps, "num")) {
			int line = ps->tok.line, col = ps->tok.col;
			next(ps);
			expect_punct(ps, '(');
			if (ps->tok.kind != GIDL_T_NUMBER || ps->tok.is_float)
				FAIL(ps, "num() needs an integer");
			uint64_t v =
			    ps->tok.neg ? (uint64_t)0 - ps->tok.u : ps->tok.u;
			bool neg = ps->tok.neg;
			next(ps);
			expect_punct(ps, ')');
			expect_punct(ps, ':');
			uint64_t n = take_uint(ps);
			if (n == 0 || n > 8)
				fail_at(ps, line, col,
				        "num():n needs 1 <= n <= 8");
			if (n < 8 && !neg && (v >> (8 * n)) != 0)
				fail_at(ps, line, col,
				        "num() value does not fit %u bytes",
				        (unsigned)n);
			for (uint64_t i = 0; i < n; i++)
				put_bytes(ps, &b, (uint8_t)(v >> (8 * i)), 1);
		} else {
			FAIL(ps, "expected a byte, num(), padding or repeat()");
		}
		opt_comma(ps);
	}
	next(ps);
	gidl_bytes out = {b.data, b.len};
	return out;
}

/* '[' { #n } ']' */
static gidl_handles parse_handle_list(parser *ps)
{
	gidl_handles h = {0};
	expect_punct(ps, '[');
	while (!is_punct(ps, ']')) {
		h.idx = pgrow(ps, h.idx, h.count, sizeof *h.idx);
		h.idx[h.count++] = take_handle(ps);
		opt_comma(ps);
	}
	next(ps);
	return h;
}

/* '{' { WIRE_FORMAT = list } '}' keeping only v2. */
static void parse_per_format(parser *ps, bool handles, gidl_bytes *bytes,
                             gidl_handles *hlist, bool *found)
{
	expect_punct(ps, '{');
	while (!is_punct(ps, '}')) {
		char *fmt = take_ident(ps);
		expect_punct(ps, '=');
		gidl_bytes b = {0};
		gidl_handles h = {0};
		if (handles)
			h = parse_handle_list(ps);
		else
			b = parse_byte_list(ps);
		if (strcmp(fmt, "v2") == 0) {
			*found = true;
			if (handles)
				*hlist = h;
			else
				*bytes = b;
		}
		opt_comma(ps);
	}
	next(ps);
}

static gidl_value *parse_value(parser *ps);
static void parse_list_item(parser *ps, gidl_value *list);

static gidl_value *new_value(parser *ps, gidl_value_kind kind)
{
	gidl_value *v = palloc(ps, sizeof *v);
	v->kind = kind;
	v->line = ps->tok.line;
	return v;
}

/* { key: value, ... } after the type name. */
static void parse_fields(parser *ps, gidl_value *obj)
{
	expect_punct(ps, '{');
	while (!is_punct(ps, '}')) {
		gidl_field f = {0};
		if (ps->tok.kind == GIDL_T_NUMBER) {
			f.ordinal = take_uint(ps);
		} else {
			f.name = take_ident(ps);
		}
		expect_punct(ps, ':');
		f.value = parse_value(ps);
		obj->fields =
		    pgrow(ps, obj->fields, obj->nfields, sizeof *obj->fields);
		obj->fields[obj->nfields++] = f;
		opt_comma(ps);
	}
	next(ps);
}

/* Unknown member data: { bytes = [...], handles = [...] }. */
static gidl_value *parse_unknown_data(parser *ps)
{
	gidl_value *v = new_value(ps, GIDL_V_UNKNOWN);
	expect_punct(ps, '{');
	while (!is_punct(ps, '}')) {
		if (is_ident(ps, "bytes")) {
			next(ps);
			expect_punct(ps, '=');
			v->bytes = parse_byte_list(ps);
		} else if (is_ident(ps, "handles")) {
			next(ps);
			expect_punct(ps, '=');
			v->handles = parse_handle_list(ps);
		} else {
			FAIL(ps, "expected bytes or handles");
		}
		opt_comma(ps);
	}
	next(ps);
	return v;
}

/* decode({ type = T, bytes = { v2 = ... }, handles = { v2 = ... } }) */
static gidl_value *parse_decode(parser *ps)
{
	gidl_value *v = new_value(ps, GIDL_V_DECODE);
	bool found = false;
	next(ps);
	expect_punct(ps, '(');
	expect_punct(ps, '{');
	while (!is_punct(ps, '}')) {
		if (is_ident(ps, "type")) {
			next(ps);
			expect_punct(ps, '=');
			v->name = take_ident(ps);
		} else if (is_ident(ps, "bytes")) {
			next(ps);
			expect_punct(ps, '=');
			parse_per_format(ps, false, &v->bytes, NULL, &found);
		} else if (is_ident(ps, "handles")) {
			bool hfound = false;
			next(ps);
			expect_punct(ps, '=');
			parse_per_format(ps, true, NULL, &v->handles, &hfound);
		} else {
			FAIL(ps, "expected type, bytes or handles");
		}
		opt_comma(ps);
	}
	next(ps);
	expect_punct(ps, ')');
	if (!v->name || !found)
		fail_at(ps, v->line, 1, "decode() needs type and v2 bytes");
	return v;
}

/* restrict(#n, type: T, rights: R) */
static gidl_value *parse_restrict(parser *ps)
{
	gidl_value *v = new_value(ps, GIDL_V_RESTRICT);
	next(ps);
	expect_punct(ps, '(');
	v->handle = take_handle(ps);
	while (is_punct(ps, ',')) {
		next(ps);
		if (is_punct(ps, ')'))
			break;
		if (is_ident(ps, "type")) {
			next(ps);
			expect_punct(ps, ':');
			v->u = parse_obj_type(ps);
		} else if (is_ident(ps, "rights")) {
			next(ps);
			expect_punct(ps, ':');
			v->rights = parse_rights(ps);
			v->has_rights = true;
		} else {
			FAIL(ps, "expected type: or rights:");
		}
	}
	expect_punct(ps, ')');
	return v;
}

/* A list item: a value, or repeat(value):n for n copies of it. */
static void parse_list_item(parser *ps, gidl_value *list)
{
	uint64_t count = 1;
	gidl_value *item;
	if (is_ident(ps, "repeat")) {
		next(ps);
		expect_punct(ps, '(');
		item = parse_value(ps);
		expect_punct(ps, ')');
		expect_punct(ps, ':');
		count = take_uint(ps);
		if (count > (1u << 20))
			FAIL(ps, "repeat count too large");
	} else {
		item = parse_value(ps);
	}
	if (!count)
		return;
	gidl_value **items = palloc(ps, (list->nitems + count) * sizeof *items);
	if (list->nitems)
		memcpy(items, list->items, list->nitems * sizeof *items);
	for (uint64_t i = 0; i < count; i++)
		items[list->nitems + i] = item;
	list->items = items;
	list->nitems += count;
}

static gidl_value *parse_value(parser *ps)
{
	gidl_value *v;
	switch (ps->tok.kind) {
	case GIDL_T_NUMBER:
		if (ps->tok.is_float) {
			v = new_value(ps, GIDL_V_FLOAT);
			v->f = ps->tok.f;
		} else {
			v = new_value(ps, GIDL_V_INT);
			v->u = ps->tok.u;
			v->neg = ps->tok.neg && ps->tok.u != 0;
		}
		next(ps);
		return v;
	case GIDL_T_STRING:
		v = new_value(ps, GIDL_V_STRING);
		v->str = ps->tok.buf;
		v->len = ps->tok.buflen;
		next(ps);
		return v;
	case GIDL_T_HANDLE:
		v = new_value(ps, GIDL_V_HANDLE);
		v->handle = take_handle(ps);
		return v;
	case GIDL_T_PUNCT:
		if (is_punct(ps, '[')) {
			v = new_value(ps, GIDL_V_LIST);
			next(ps);
			while (!is_punct(ps, ']')) {
				parse_list_item(ps, v);
				opt_comma(ps);
			}
			next(ps);
			return v;
		}
		if (is_punct(ps, '{'))
			return parse_unknown_data(ps);
		FAIL(ps, "expected a value");
		break;
	case GIDL_T_IDENT:
		if (is_ident(ps, "null")) {
			v = new_value(ps, GIDL_V_NULL);
			next(ps);
			return v;
		}
		if (is_ident(ps, "true") || is_ident(ps, "false")) {
			v = new_value(ps, GIDL_V_BOOL);
			v->b = is_ident(ps, "true");
			next(ps);
			return v;
		}
		if (is_ident(ps, "restrict"))
			return parse_restrict(ps);
		if (is_ident(ps, "decode"))
			return parse_decode(ps);
		if (is_ident(ps, "raw_float")) {
			/* raw_float(bits): a float given by its bit pattern */
			uint64_t bits;
			double d;
			float fl;
			v = new_value(ps, GIDL_V_FLOAT);
			next(ps);
			expect_punct(ps, '(');
			bits = take_uint(ps);
			expect_punct(ps, ')');
			if (bits >> 32) {
				memcpy(&d, &bits, sizeof d);
				v->f = d;
			} else {
				uint32_t b32 = (uint32_t)bits;
				memcpy(&fl, &b32, sizeof fl);
				v->f = fl;
			}
			return v;
		}
		v = new_value(ps, GIDL_V_IDENT);
		v->str = take_ident(ps);
		v->len = strlen(v->str);
		if (is_punct(ps, '{')) {
			v->kind = GIDL_V_OBJECT;
			v->name = v->str;
			v->str = NULL;
			v->len = 0;
			parse_fields(ps, v);
		}
		return v;
	default:
		break;
	}
	FAIL(ps, "expected a value");
	return NULL;
}

static char **parse_name_list(parser *ps, size_t *count)
{
	char **names = NULL;
	*count = 0;
	expect_punct(ps, '[');
	while (!is_punct(ps, ']')) {
		names = pgrow(ps, names, *count, sizeof *names);
		names[(*count)++] = take_ident(ps);
		opt_comma(ps);
	}
	next(ps);
	return names;
}

/* { #n = event(rights: R), ... } */
static void parse_handle_defs(parser *ps, gidl_case *c)
{
	expect_punct(ps, '{');
	while (!is_punct(ps, '}')) {
		gidl_handle_def d = {0};
		int line = ps->tok.line, col = ps->tok.col;
		d.index = take_handle(ps);
		if (d.index != (int)c->nhandle_defs)
			fail_at(ps, line, col,
			        "handle #%d defined out of order", d.index);
		expect_punct(ps, '=');
		d.obj_type = parse_obj_type(ps);
		expect_punct(ps, '(');
		if (is_ident(ps, "rights")) {
			next(ps);
			expect_punct(ps, ':');
			d.rights = parse_rights(ps);
			d.has_rights = true;
			opt_comma(ps);
		}
		expect_punct(ps, ')');
		c->handle_defs = pgrow(ps, c->handle_defs, c->nhandle_defs,
		                       sizeof *c->handle_defs);
		c->handle_defs[c->nhandle_defs++] = d;
		opt_comma(ps);
	}
	next(ps);
}

/* { v2 = [ {#n, type: T, rights: R}, ... ] } */
static void parse_dispositions(parser *ps, gidl_case *c)
{
	expect_punct(ps, '{');
	while (!is_punct(ps, '}')) {
		char *fmt = take_ident(ps);
		bool keep = strcmp(fmt, "v2") == 0;
		expect_punct(ps, '=');
		expect_punct(ps, '[');
		while (!is_punct(ps, ']')) {
			gidl_disposition d = {0};
			expect_punct(ps, '{');
			d.handle = take_handle(ps);
			while (is_punct(ps, ',')) {
				next(ps);
				if (is_ident(ps, "type")) {
					next(ps);
					expect_punct(ps, ':');
					d.obj_type = parse_obj_type(ps);
				} else if (is_ident(ps, "rights")) {
					next(ps);
					expect_punct(ps, ':');
					d.rights = parse_rights(ps);
				} else if (!is_punct(ps, '}')) {
					FAIL(ps, "expected type: or rights:");
				}
			}
			expect_punct(ps, '}');
			if (keep) {
				c->dispositions =
				    pgrow(ps, c->dispositions, c->ndispositions,
				          sizeof *c->dispositions);
				c->dispositions[c->ndispositions++] = d;
			}
			opt_comma(ps);
		}
		next(ps);
		if (keep)
			c->has_dispositions = true;
		opt_comma(ps);
	}
	next(ps);
}

static const char *const kind_names[] = {
    [GIDL_SUCCESS] = "success",
    [GIDL_ENCODE_SUCCESS] = "encode_success",
    [GIDL_DECODE_SUCCESS] = "decode_success",
    [GIDL_ENCODE_FAILURE] = "encode_failure",
    [GIDL_DECODE_FAILURE] = "decode_failure",
    [GIDL_BENCHMARK] = "benchmark",
};

const char *gidl_case_kind_name(gidl_case_kind kind)
{
	return kind_names[kind];
}

/* Checks a parsed case has what its kind needs. */
static void check_case(parser *ps, gidl_case *c)
{
	bool needs_value = c->kind != GIDL_DECODE_FAILURE;
	bool needs_bytes =
	    c->kind != GIDL_ENCODE_FAILURE && c->kind != GIDL_BENCHMARK;
	if (needs_value && !c->value)
		fail_at(ps, c->line, 1, "%s(\"%s\") has no value",
		        kind_names[c->kind], c->name);
	if (!needs_value && !c->type)
		fail_at(ps, c->line, 1, "%s(\"%s\") has no type",
		        kind_names[c->kind], c->name);
	if (needs_bytes && !c->has_bytes)
		fail_at(ps, c->line, 1, "%s(\"%s\") has no v2 bytes",
		        kind_names[c->kind], c->name);
	bool failure =
	    c->kind == GIDL_ENCODE_FAILURE || c->kind == GIDL_DECODE_FAILURE;
	if (failure != (c->err != NULL))
		fail_at(ps, c->line, 1, "%s(\"%s\") %s an err",
		        kind_names[c->kind], c->name,
		        failure ? "needs" : "cannot have");
	for (size_t i = 0; i < c->handles.count; i++) {
		if (c->handles.idx[i] >= (int)c->nhandle_defs)
			fail_at(ps, c->line, 1, "%s(\"%s\") uses undefined #%d",
			        kind_names[c->kind], c->name,
			        c->handles.idx[i]);
	}
}

static void parse_case(parser *ps, gidl_case *c)
{
	c->line = ps->tok.line;
	size_t k;
	for (k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++) {
		if (is_ident(ps, kind_names[k]))
			break;
	}
	if (k == sizeof kind_names / sizeof kind_names[0])
		FAIL(ps, "expected success, encode_success, decode_success, "
		         "encode_failure, decode_failure or benchmark");
	c->kind = (gidl_case_kind)k;
	next(ps);
	expect_punct(ps, '(');
	if (ps->tok.kind != GIDL_T_STRING)
		FAIL(ps, "expected the case name as a string");
	c->name = ps->tok.buf;
	next(ps);
	expect_punct(ps, ')');
	expect_punct(ps, '{');
	while (!is_punct(ps, '}')) {
		int line = ps->tok.line, col = ps->tok.col;
		char *key = take_ident(ps);
		expect_punct(ps, '=');
		if (strcmp(key, "value") == 0) {
			c->value = parse_value(ps);
		} else if (strcmp(key, "type") == 0) {
			c->type = take_ident(ps);
		} else if (strcmp(key, "bytes") == 0) {
			parse_per_format(ps, false, &c->bytes, NULL,
			                 &c->has_bytes);
		} else if (strcmp(key, "handles") == 0) {
			parse_per_format(ps, true, NULL, &c->handles,
			                 &c->has_handles);
		} else if (strcmp(key, "handle_defs") == 0) {
			parse_handle_defs(ps, c);
		} else if (strcmp(key, "handle_dispositions") == 0) {
			parse_dispositions(ps, c);
		} else if (strcmp(key, "err") == 0) {
			c->err = take_ident(ps);
		} else if (strcmp(key, "bindings_allowlist") == 0) {
			c->allowlist = parse_name_list(ps, &c->nallowlist);
			c->has_allowlist = true;
		} else if (strcmp(key, "bindings_denylist") == 0) {
			c->denylist = parse_name_list(ps, &c->ndenylist);
		} else {
			fail_at(ps, line, col, "unknown key '%s'", key);
		}
		opt_comma(ps);
	}
	next(ps);
	check_case(ps, c);
}

static void parse_cases(parser *ps)
{
	next(ps);
	while (ps->tok.kind != GIDL_T_EOF) {
		gidl_case c;
		memset(&c, 0, sizeof c);
		parse_case(ps, &c);
		ps->file->cases = pgrow(ps, ps->file->cases, ps->file->ncases,
		                        sizeof *ps->file->cases);
		ps->file->cases[ps->file->ncases++] = c;
	}
}

/* The only setjmp: no local of this frame changes after it. */
static bool parse_guarded(parser *ps, const char *text, size_t len)
{
	if (setjmp(ps->fail))
		return false;
	ps->file->path = pstrndup(ps, ps->path, strlen(ps->path));
	gidl_lex_init(&ps->lx, text, len);
	parse_cases(ps);
	return true;
}

gidl_file *gidl_parse(const char *path, const char *text, size_t len, char *err,
                      size_t errsize)
{
	parser ps;
	memset(&ps, 0, sizeof ps);
	ps.file = calloc(1, sizeof *ps.file);
	if (!ps.file) {
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	ps.path = path;
	ps.err = err;
	ps.errsize = errsize;
	if (!parse_guarded(&ps, text, len)) {
		gidl_file_free(ps.file);
		return NULL;
	}
	return ps.file;
}

gidl_file *gidl_parse_file(const char *path, char *err, size_t errsize)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errsize, "%s: cannot open", path);
		return NULL;
	}
	char *text = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(text, cap);
			if (!p) {
				free(text);
				fclose(f);
				snprintf(err, errsize, "%s: out of memory",
				         path);
				return NULL;
			}
			text = p;
		}
		size_t n = fread(text + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(text);
		snprintf(err, errsize, "%s: read error", path);
		return NULL;
	}
	gidl_file *file = gidl_parse(path, text, len, err, errsize);
	free(text);
	return file;
}

void gidl_file_free(gidl_file *file)
{
	if (!file)
		return;
	pool_block *b = file->pool;
	while (b) {
		pool_block *next = b->next;
		free(b);
		b = next;
	}
	free(file);
}

bool gidl_value_contains(const gidl_value *v, gidl_value_kind kind)
{
	if (!v)
		return false;
	if (v->kind == kind)
		return true;
	for (size_t i = 0; i < v->nfields; i++) {
		if (gidl_value_contains(v->fields[i].value, kind))
			return true;
	}
	for (size_t i = 0; i < v->nitems; i++) {
		if (gidl_value_contains(v->items[i], kind))
			return true;
	}
	return false;
}

bool gidl_value_has_unknown_member(const gidl_value *v)
{
	if (!v)
		return false;
	for (size_t i = 0; i < v->nfields; i++) {
		if (!v->fields[i].name ||
		    gidl_value_has_unknown_member(v->fields[i].value))
			return true;
	}
	for (size_t i = 0; i < v->nitems; i++) {
		if (gidl_value_has_unknown_member(v->items[i]))
			return true;
	}
	return false;
}
