/* A streaming JSON writer: values go straight to a FILE through a large
 * buffer, with no tree in memory. The bytes are those jansson's json_dumps
 * gives with JSON_INDENT(2) (the IR goldens were written that way): two
 * spaces per level, "," at line ends, ": " after keys, "{}" and "[]" for
 * empty containers.
 *
 * Calls must nest correctly (a key before every value in an object, none
 * in an array); the writer tracks only the depth. Errors are sticky: after
 * the first failed write nothing more is written, and cf_json_finish
 * returns that first errno. */
#ifndef CFIDL_COMPILER_JSON_WRITER_H
#define CFIDL_COMPILER_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Output is handed to fwrite in chunks of this size. */
#define CF_JSON_WRITER_BUF 65536

typedef struct cf_json_writer {
	FILE *out;
	size_t len;     /* bytes waiting in buf */
	unsigned depth; /* open containers */
	bool first;     /* the innermost container has no item yet */
	bool after_key; /* a key was written: its value comes next */
	int err;        /* first errno, 0 while all is well */
	char buf[CF_JSON_WRITER_BUF];
} cf_json_writer;

void cf_json_init(cf_json_writer *w, FILE *out);

void cf_json_begin_object(cf_json_writer *w);
void cf_json_end_object(cf_json_writer *w);
void cf_json_begin_array(cf_json_writer *w);
void cf_json_end_array(cf_json_writer *w);

/* The key of the next object member, escaped like a string. */
void cf_json_key(cf_json_writer *w, const char *key);

/* A string value. Control characters, '"' and '\\' are escaped as jansson
 * does; valid UTF-8 is copied as is; a byte that does not start a valid
 * UTF-8 sequence (bad lead, bad continuation, overlong, surrogate, above
 * U+10FFFF) becomes "\uFFFD", so the output is always valid JSON. NUL
 * bytes inside n are written as "\u0000". NULL is written as "". */
void cf_json_string(cf_json_writer *w, const char *s);
void cf_json_stringn(cf_json_writer *w, const char *s, size_t n);

void cf_json_int(cf_json_writer *w, int64_t v);
void cf_json_uint(cf_json_writer *w, uint64_t v);
void cf_json_bool(cf_json_writer *w, bool v);
void cf_json_null(cf_json_writer *w);

/* Ends the document with a newline and flushes the buffer and the FILE.
 * Returns 0, the errno of the first failed write (EIO if the C library
 * gave none), or EINVAL when containers were left open or closed too
 * often. Does not close the FILE. */
int cf_json_finish(cf_json_writer *w);

#endif
