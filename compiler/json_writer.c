/* Streaming JSON with jansson's JSON_INDENT(2) layout. */
#include "json_writer.h"

#include <errno.h>
#include <string.h>

void cf_json_init(cf_json_writer *w, FILE *out)
{
	w->out = out;
	w->len = 0;
	w->depth = 0;
	w->first = true;
	w->after_key = false;
	w->err = 0;
}

static void fail(cf_json_writer *w, int err)
{
	if (!w->err)
		w->err = err ? err : EIO;
}

static void write_out(cf_json_writer *w, const char *p, size_t n)
{
	if (w->err || !n)
		return;
	/* errno is cleared so a stale value is never reported as ours. */
	errno = 0;
	if (fwrite(p, 1, n, w->out) != n)
		fail(w, errno);
}

static void flush(cf_json_writer *w)
{
	write_out(w, w->buf, w->len);
	w->len = 0;
}

static inline void put(cf_json_writer *w, const char *p, size_t n)
{
	if (n > sizeof(w->buf) - w->len) {
		flush(w);
		if (n > sizeof(w->buf)) {
			write_out(w, p, n);
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void put_char(cf_json_writer *w, char c)
{
	if (w->len == sizeof(w->buf))
		flush(w);
	w->buf[w->len++] = c;
}

/* A line break and the indent of the current depth. */
static void newline(cf_json_writer *w)
{
	static const char spaces[] = "                                "
	                             "                                ";
	put_char(w, '\n');
	for (size_t n = 2 * (size_t)w->depth, k; n; n -= k) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		put(w, spaces, k);
	}
}

/* Where an array item or object member starts: "," after an earlier
 * one, then a new line. Written in place when it fits: it precedes every
 * line of the output. */
static void item_start(cf_json_writer *w)
{
	size_t indent = 2 * (size_t)w->depth;
	if (indent + 2 <= sizeof(w->buf) - w->len) {
		char *p = w->buf + w->len;
		if (!w->first)
			*p++ = ',';
		*p++ = '\n';
		memset(p, ' ', indent);
		w->len = (size_t)(p + indent - w->buf);
	} else {
		if (!w->first)
			put_char(w, ',');
		newline(w);
	}
	w->first = false;
}

/* What comes before any value: nothing after a key or at the top level,
 * else the separator of an array item. */
static void begin_value(cf_json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth)
		item_start(w);
	w->first = false;
}

static void open_container(cf_json_writer *w, char c)
{
	begin_value(w);
	put_char(w, c);
	w->depth++;
	w->first = true;
}

static void close_container(cf_json_writer *w, char c)
{
	if (!w->depth || w->after_key) {
		fail(w, EINVAL);
		return;
	}
	w->depth--;
	if (!w->first)
		newline(w);
	put_char(w, c);
	/* The closed container was an item of its parent. */
	w->first = false;
}

void cf_json_begin_object(cf_json_writer *w)
{
	open_container(w, '{');
}

void cf_json_end_object(cf_json_writer *w)
{
	close_container(w, '}');
}

void cf_json_begin_array(cf_json_writer *w)
{
	open_container(w, '[');
}

void cf_json_end_array(cf_json_writer *w)
{
	close_container(w, ']');
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. The
 * rules are jansson's (RFC 3629): no overlong forms, no surrogates, no
 * code point above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
		return 0;
	if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
		return 0;
	return len;
}

/* 1 for the bytes copied without a second look: printable ASCII but '"'
 * and '\\' (DEL too: jansson leaves it as is). */
/* clang-format off */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 '"' */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 '\\' */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
	/* 0x80 and up: 0, UTF-8 is checked */
};
/* clang-format on */

static void put_escape(cf_json_writer *w, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char seq[6] = {'\\', 0, 0, 0, 0, 0};
	switch (c) {
	case '"':
	case '\\':
		seq[1] = (char)c;
		break;
	case '\b':
		seq[1] = 'b';
		break;
	case '\f':
		seq[1] = 'f';
		break;
	case '\n':
		seq[1] = 'n';
		break;
	case '\r':
		seq[1] = 'r';
		break;
	case '\t':
		seq[1] = 't';
		break;
	default:
		/* jansson's form: \u and four upper-case hex digits. */
		memcpy(seq + 1, "u00", 3);
		seq[4] = hex[c >> 4];
		seq[5] = hex[c & 0xF];
		put(w, seq, 6);
		return;
	}
	put(w, seq, 2);
}

/* True when none of the eight bytes in x needs a look: no byte is
 * 0x80 or above, below 0x20, '"' or '\\'. Once the high bits are known
 * clear, a subtraction borrows into a byte's high bit exactly when that
 * byte is below the subtrahend, so each test is exact. */
static inline bool word_plain(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t bad = x | (x - 0x20 * ones) | ((x ^ ('"' * ones)) - ones) |
	               ((x ^ ('\\' * ones)) - ones);
	return !(bad & 0x80 * ones);
}

/* The rest of a string from s[i], escaping as needed, and the quote. */
static void put_string_tail(cf_json_writer *w, const unsigned char *s, size_t i,
                            size_t n)
{
	while (i < n) {
		size_t start = i;
		while (i < n && plain[s[i]])
			i++;
		put(w, (const char *)s + start, i - start);
		if (i == n)
			break;
		if (s[i] < 0x80) {
			put_escape(w, s[i]);
			i++;
			continue;
		}
		size_t len = utf8_len(s + i, n - i);
		if (len) {
			put(w, (const char *)s + i, len);
			i += len;
		} else {
			put(w, "\\uFFFD", 6);
			i++;
		}
	}
	put_char(w, '"');
}

static void put_string(cf_json_writer *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	if (n + 2 > sizeof(w->buf) - w->len) {
		put_char(w, '"');
		put_string_tail(w, s, 0, n);
		return;
	}
	/* Most strings are plain: copied in one pass, straight into buf,
	 * eight bytes at a time while they can be. */
	char *p = w->buf + w->len;
	*p++ = '"';
	for (uint64_t x; i + 8 <= n; i += 8, p += 8) {
		memcpy(&x, s + i, 8);
		if (!word_plain(x))
			break;
		memcpy(p, &x, 8);
	}
	while (i < n && plain[s[i]])
		*p++ = (char)s[i++];
	if (i == n)
		*p++ = '"';
	w->len = (size_t)(p - w->buf);
	if (i < n)
		put_string_tail(w, s, i, n);
}

void cf_json_key(cf_json_writer *w, const char *key)
{
	if (w->after_key || !w->depth)
		fail(w, EINVAL);
	item_start(w);
	put_string(w, key ? key : "", key ? strlen(key) : 0);
	put(w, ": ", 2);
	w->after_key = true;
}

void cf_json_stringn(cf_json_writer *w, const char *s, size_t n)
{
	begin_value(w);
	if (!s)
		n = 0;
	put_string(w, s ? s : "", n);
}

void cf_json_string(cf_json_writer *w, const char *s)
{
	cf_json_stringn(w, s, s ? strlen(s) : 0);
}

static void put_uint(cf_json_writer *w, bool negative, uint64_t v)
{
	char digits[21];
	char *p = digits + sizeof(digits);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		*--p = '-';
	put(w, p, (size_t)(digits + sizeof(digits) - p));
}

void cf_json_uint(cf_json_writer *w, uint64_t v)
{
	begin_value(w);
	put_uint(w, false, v);
}

void cf_json_int(cf_json_writer *w, int64_t v)
{
	begin_value(w);
	/* Negated in unsigned arithmetic: INT64_MIN has no positive twin. */
	put_uint(w, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

void cf_json_bool(cf_json_writer *w, bool v)
{
	begin_value(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void cf_json_null(cf_json_writer *w)
{
	begin_value(w);
	put(w, "null", 4);
}

int cf_json_finish(cf_json_writer *w)
{
	if (w->depth || w->after_key)
		fail(w, EINVAL);
	put_char(w, '\n');
	flush(w);
	if (!w->err) {
		errno = 0;
		if (fflush(w->out) == EOF)
			fail(w, errno);
		else if (ferror(w->out))
			fail(w, EIO);
	}
	return w->err;
}
