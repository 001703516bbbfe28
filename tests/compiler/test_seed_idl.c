/* idl/ holds the seed protocols: every library compiles, and each is
 * faithful to its seed in ../shared/seeds (skipped when that is absent):
 * fuchsia.virtualization verbatim, fuchsia.device.vsock verbatim but for the
 * `};` lines the rendering dropped, and fuchsia.vsock and
 * fuchsia.hardware.vsock with the protocols, methods, parameters and struct
 * members of their reference pages, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compile.h"
#include "model.h"

enum { MAX_PATH = 4096 };

static char top[MAX_PATH / 2];
static char idl_dir[MAX_PATH];
static char seeds_dir[MAX_PATH];

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)size + 1);
	if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[size] = '\0';
	fclose(f);
	return buf;
}

static bool have_seeds(void)
{
	struct stat st;
	return stat(seeds_dir, &st) == 0;
}

/* The seed's text without its first line (the rendering's "blob: ..."). */
static char *seed_text(const char *name)
{
	char path[MAX_PATH + 64];
	snprintf(path, sizeof(path), "%s/%s", seeds_dir, name);
	char *text = read_file(path);
	assert_non_null(text);
	assert_true(strncmp(text, "blob:", 5) == 0);
	char *nl = strchr(text, '\n');
	assert_non_null(nl);
	memmove(text, nl + 1, strlen(nl + 1) + 1);
	return text;
}

static char *idl_text(const char *rel)
{
	char path[MAX_PATH + 64];
	snprintf(path, sizeof(path), "%s/%s", idl_dir, rel);
	char *text = read_file(path);
	assert_non_null(text);
	return text;
}

static void drop_lines(char *text, const char *line)
{
	size_t n = strlen(line);
	char *w = text;
	for (char *r = text; *r;) {
		char *nl = strchr(r, '\n');
		size_t len = nl ? (size_t)(nl - r) : strlen(r);
		bool drop = len == n && strncmp(r, line, n) == 0;
		if (!drop) {
			memmove(w, r, len + (nl ? 1 : 0));
			w += len + (nl ? 1 : 0);
		}
		r += len + (nl ? 1 : 0);
	}
	*w = '\0';
}

static void strip_final_newlines(char *text)
{
	size_t n = strlen(text);
	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
}

static void test_virtualization_verbatim(void **state)
{
	(void)state;
	if (!have_seeds())
		skip();
	char *seed = seed_text("003_fc4b53bf86d39d49.txt");
	char *ours = idl_text("fuchsia.virtualization/vsock.fidl");
	strip_final_newlines(seed);
	strip_final_newlines(ours);
	assert_string_equal(ours, seed);
	free(seed);
	free(ours);
}

static void test_device_vsock_verbatim(void **state)
{
	(void)state;
	if (!have_seeds())
		skip();
	char *seed = seed_text("002_3e17e4f39adbc419.txt");
	char *ours = idl_text("fuchsia.device.vsock/vsock.fidl");
	/* The rendering dropped every line that held only `};`: restored
	 * here, and only those. */
	drop_lines(ours, "};");
	strip_final_newlines(seed);
	strip_final_newlines(ours);
	assert_string_equal(ours, seed);
	free(seed);
	free(ours);
}

/* ---- compiling the seed libraries ---- */

static const cf_library *compile_library(cf_compilation *c, const char *lib,
                                         const char *file)
{
	char path[MAX_PATH + 128];
	snprintf(path, sizeof(path), "%s/%s/%s", idl_dir, lib, file);
	const char *paths[1] = {path};
	cf_file_group group = {paths, 1};
	const char *dirs[1] = {idl_dir};
	cf_compile_options opts = {
	    .include_dirs = dirs,
	    .include_count = 1,
	    .builtin_idl_dir = idl_dir,
	};
	cf_compilation_init(c, stderr);
	bool ok = cf_compile(c, &opts, &group, 1);
	if (!ok)
		print_error("%s does not compile\n", path);
	assert_true(ok);
	assert_int_equal(c->diags.errors, 0);
	const cf_library *l = cf_compilation_target(c);
	assert_non_null(l);
	assert_string_equal(l->name, lib);
	return l;
}

static void test_compiles_zx(void **state)
{
	(void)state;
	cf_compilation c;
	const cf_library *l = compile_library(&c, "zx", "zx.fidl");
	/* Both spellings the seeds and current FIDL use. */
	const char *names[] = {
	    "Handle", "handle",       "Status",
	    "status", "ObjType",      "Rights",
	    "OK",     "ERR_INTERNAL", "ERR_CONNECTION_RESET"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!cf_library_find(l, names[i])) {
			print_error("zx has no %s\n", names[i]);
			fail();
		}
	}
	/* Values from zircon: REFERENCE.md section 4. */
	const cf_decl *reset = cf_library_find(l, "ERR_CONNECTION_RESET");
	assert_int_equal(reset->kind, CF_DECL_CONST);
	assert_int_equal(reset->value.kind, CF_VALUE_INT);
	assert_int_equal(reset->value.i, -75);
	const cf_decl *obj = cf_library_find(l, "ObjType");
	bool socket = false;
	for (unsigned i = 0; i < obj->member_count; i++)
		if (strcmp(obj->members[i].name, "SOCKET") == 0)
			socket = obj->members[i].value.u == 14;
	assert_true(socket);
	cf_compilation_free(&c);
}

static void test_compiles_device_vsock_old_syntax(void **state)
{
	(void)state;
	cf_compilation c;
	const cf_library *l =
	    compile_library(&c, "fuchsia.device.vsock", "vsock.fidl");
	const cf_decl *addr = cf_library_find(l, "Addr");
	assert_non_null(addr);
	assert_int_equal(addr->shape.inline_size, 12);
	const cf_decl *device = cf_library_find(l, "Device");
	assert_non_null(device);
	assert_int_equal(device->method_count, 7);
	cf_compilation_free(&c);
}

static void test_compiles_virtualization(void **state)
{
	(void)state;
	cf_compilation c;
	const cf_library *l =
	    compile_library(&c, "fuchsia.virtualization", "vsock.fidl");
	const cf_decl *host_cid = cf_library_find(l, "HOST_CID");
	assert_non_null(host_cid);
	assert_int_equal(host_cid->value.u, 2);
	const cf_decl *guest = cf_library_find(l, "GuestVsockEndpoint");
	assert_non_null(guest);
	bool event = false;
	for (unsigned i = 0; i < guest->method_count; i++)
		if (strcmp(guest->methods[i].name, "OnShutdown") == 0)
			event = !guest->methods[i].has_request &&
			        guest->methods[i].has_response;
	assert_true(event);
	cf_compilation_free(&c);
}

/* ---- reference pages (seeds 000 and 001) against the model ---- */

/* The text of the next `<td><code>X</code></td>`-style name cell of a
 * table row, i.e. the first <code> after "<tr>" (not the header row). */
typedef struct page_table {
	char names[16][64];
	char types[16][128];
	unsigned count;
} page_table;

/* Reads the rows of the <table> that starts at or after p, up to end. */
static const char *read_table(const char *p, const char *end, page_table *t)
{
	memset(t, 0, sizeof(*t));
	const char *table_end = strstr(p, "</table>");
	if (!table_end || table_end > end)
		return p;
	const char *row = p;
	while ((row = strstr(row, "<td><code>")) && row < table_end &&
	       t->count < 16) {
		row += strlen("<td><code>");
		const char *close = strstr(row, "</code>");
		size_t n = (size_t)(close - row);
		if (n >= sizeof(t->names[0]))
			n = sizeof(t->names[0]) - 1;
		memcpy(t->names[t->count], row, n);
		/* The type cell: the next <code>...</code>, tags removed. */
		const char *type = strstr(close, "<code>");
		if (type && type < table_end) {
			type += strlen("<code>");
			const char *type_end = strstr(type, "</code>");
			size_t w = 0;
			bool tag = false;
			for (const char *c = type; c < type_end; c++) {
				if (*c == '<')
					tag = true;
				else if (*c == '>')
					tag = false;
				else if (!tag && w + 1 < sizeof(t->types[0]))
					t->types[t->count][w++] = *c;
			}
			row = type_end;
		}
		t->count++;
	}
	return table_end;
}

static const char *find_before(const char *p, const char *end,
                               const char *needle)
{
	const char *f = strstr(p, needle);
	return f && f < end ? f : NULL;
}

static void check_members(const char *what, const cf_type *payload,
                          const page_table *t)
{
	unsigned count = 0;
	const cf_member *members = NULL;
	if (payload && payload->decl) {
		count = payload->decl->member_count;
		members = payload->decl->members;
	}
	if (count != t->count) {
		print_error("%s: %u parameters in idl/, %u in the seed\n", what,
		            count, t->count);
		fail();
	}
	for (unsigned i = 0; i < count; i++) {
		if (strcmp(members[i].name, t->names[i]) != 0) {
			print_error("%s: parameter %u is %s, the seed says "
			            "%s\n",
			            what, i, members[i].name, t->names[i]);
			fail();
		}
		/* Primitive types must match exactly. */
		const cf_type *ty = members[i].type;
		if (ty->kind == CF_TYPE_PRIMITIVE && !ty->from_alias)
			assert_string_equal(cf_prim_name(ty->prim),
			                    t->types[i]);
	}
}

/* Walks a rendered page: `## Name {#Name}` protocols with `### Method`
 * sections holding `#### Request` / `#### Response` tables, then the
 * STRUCTS section with `### Name` and a member table. */
static void check_page(const char *seed, const char *lib_name, const char *file)
{
	char path[MAX_PATH + 64];
	snprintf(path, sizeof(path), "%s/%s", seeds_dir, seed);
	char *page = read_file(path);
	assert_non_null(page);
	cf_compilation c;
	const cf_library *lib = compile_library(&c, lib_name, file);

	char *structs = strstr(page, "## **STRUCTS**");
	assert_non_null(structs);
	const char *page_end = page + strlen(page);
	unsigned protocols = 0, methods = 0, struct_count = 0;

	/* Protocols: "\n## Name {" up to the STRUCTS heading. */
	const char *p = page;
	while ((p = find_before(p, structs, "\n## ")) != NULL) {
		p += 4;
		char name[64] = {0};
		if (sscanf(p, "%63[A-Za-z0-9_]", name) != 1 ||
		    strncmp(p, "**", 2) == 0)
			continue;
		const char *next = find_before(p, structs, "\n## ");
		const char *proto_end = next ? next : structs;
		const cf_decl *proto = cf_library_find(lib, name);
		if (!proto || proto->kind != CF_DECL_PROTOCOL) {
			print_error("%s: no protocol %s\n", lib_name, name);
			fail();
		}
		protocols++;
		unsigned index = 0;
		const char *m = p;
		while ((m = find_before(m, proto_end, "\n### ")) != NULL) {
			m += 5;
			char method[64] = {0};
			assert_int_equal(sscanf(m, "%63[A-Za-z0-9_]", method),
			                 1);
			const char *m_next =
			    find_before(m, proto_end, "\n### ");
			const char *m_end = m_next ? m_next : proto_end;
			if (index >= proto->method_count ||
			    strcmp(proto->methods[index].name, method) != 0) {
				print_error("%s.%s: method %u of the seed is "
				            "%s\n",
				            lib_name, name, index, method);
				fail();
			}
			const cf_method *cm = &proto->methods[index];
			const char *req = find_before(m, m_end, "#### Request");
			const char *resp =
			    find_before(m, m_end, "#### Response");
			char what[256];
			snprintf(what, sizeof(what), "%s/%s.%s", lib_name, name,
			         method);
			assert_int_equal(cm->has_request, req != NULL);
			assert_int_equal(cm->has_response, resp != NULL);
			page_table t;
			if (req) {
				read_table(req, resp ? resp : m_end, &t);
				check_members(what, cm->request_payload, &t);
			}
			if (resp) {
				read_table(resp, m_end, &t);
				check_members(what, cm->response_payload, &t);
			}
			index++;
			methods++;
		}
		if (index != proto->method_count) {
			print_error("%s.%s has %u methods, the seed %u\n",
			            lib_name, name, proto->method_count, index);
			fail();
		}
	}

	/* Structs. */
	const char *s = structs;
	while ((s = find_before(s, page_end, "\n### ")) != NULL) {
		s += 5;
		char name[64] = {0};
		assert_int_equal(sscanf(s, "%63[A-Za-z0-9_]", name), 1);
		const cf_decl *st = cf_library_find(lib, name);
		if (!st || st->kind != CF_DECL_STRUCT) {
			print_error("%s: no struct %s\n", lib_name, name);
			fail();
		}
		page_table t;
		read_table(s, page_end, &t);
		cf_type as_type = {.kind = CF_TYPE_DECL, .decl = (cf_decl *)st};
		check_members(name, &as_type, &t);
		struct_count++;
	}
	assert_true(protocols > 0);
	assert_true(methods > 0);
	assert_true(struct_count > 0);
	cf_compilation_free(&c);
	free(page);
}

static void test_vsock_page(void **state)
{
	(void)state;
	if (!have_seeds())
		skip();
	check_page("000_328a11043a129ee1.txt", "fuchsia.vsock",
	           "connector.fidl");
}

static void test_hardware_vsock_page(void **state)
{
	(void)state;
	if (!have_seeds())
		skip();
	check_page("001_916f42269f0795ca.txt", "fuchsia.hardware.vsock",
	           "vsock.fidl");
}

int main(void)
{
	const char *t = getenv("top_srcdir");
	snprintf(top, sizeof(top), "%s", t && *t ? t : ".");
	snprintf(idl_dir, sizeof(idl_dir), "%s/idl", top);
	snprintf(seeds_dir, sizeof(seeds_dir), "%s/../shared/seeds", top);
	if (!have_seeds())
		fprintf(stderr,
		        "# %s is absent: the checks against the seed "
		        "documents are skipped\n",
		        seeds_dir);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_virtualization_verbatim),
	    cmocka_unit_test(test_device_vsock_verbatim),
	    cmocka_unit_test(test_compiles_zx),
	    cmocka_unit_test(test_compiles_device_vsock_old_syntax),
	    cmocka_unit_test(test_compiles_virtualization),
	    cmocka_unit_test(test_vsock_page),
	    cmocka_unit_test(test_hardware_vsock_page),
	};
	return cmocka_run_group_tests_name("seed_idl", tests, NULL, NULL);
}
