/* libFuzzer target for the whole front end: lexer, parser, resolver, layout
 * and ordinals, with diagnostics silenced. Each input is compiled as one
 * file; when it holds the marker byte 0xFE it is also compiled as two files
 * of one library, split at the first marker. Libraries the input uses are
 * looked up in the source tree's idl/ (FUZZ_IDL_DIR). Also linked into the
 * corpus replay test, so that every build runs it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "ir_json.h"

#ifndef FUZZ_IDL_DIR
#define FUZZ_IDL_DIR "idl"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SPLIT_MARKER = 0xFE };

static void compile(const char *const *names, const char *const *texts,
                    const size_t *lengths, unsigned count)
{
	static const char *const dirs[] = {FUZZ_IDL_DIR};
	cf_compile_options opts = {
	    .include_dirs = dirs,
	    .include_count = 1,
	    .builtin_idl_dir = FUZZ_IDL_DIR,
	};
	cf_compilation c;
	cf_compilation_init(&c, NULL);
	/* What compiles is also written as IR, so the writer is fuzzed too. */
	static FILE *sink;
	if (!sink)
		sink = fopen("/dev/null", "w");
	if (cf_compile_memory(&c, &opts, names, texts, lengths, count) && sink)
		cf_write_ir(sink, &c.model, cf_compilation_target(&c));
	cf_compilation_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that reading past the end is
	 * caught by the sanitizers rather than hidden by the caller's
	 * buffer. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);

	const char *one_name[1] = {"fuzz.fidl"};
	const char *one_text[1] = {text};
	size_t one_len[1] = {size};
	compile(one_name, one_text, one_len, 1);

	const char *marker = size ? memchr(text, SPLIT_MARKER, size) : NULL;
	if (marker) {
		size_t first = (size_t)(marker - text);
		const char *two_names[2] = {"fuzz_a.fidl", "fuzz_b.fidl"};
		const char *two_texts[2] = {text, marker + 1};
		size_t two_lens[2] = {first, size - first - 1};
		compile(two_names, two_texts, two_lens, 2);
	}
	free(text);
	return 0;
}
