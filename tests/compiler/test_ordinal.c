/* SHA-256 against published vectors, method ordinals against RFC-0029 and
 * fidlc's goldens, and the ordinal pass's errors. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "model_builder.h"
#include "ordinal.h"
#include "sha256.h"

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_sha(const void *data, size_t len, const char *expect)
{
	uint8_t d[32];
	char got[65];
	cf_sha256(data, len, d);
	hex(d, got);
	assert_string_equal(got, expect);
}

/* FIPS 180-2 appendix B examples. */
static void test_sha256_nist(void **state)
{
	(void)state;
	check_sha(
	    "", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha(
	    "abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha(
	    m448, strlen(m448),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m896 =
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijkl"
	    "mnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnop"
	    "qrstu";
	check_sha(
	    m896, strlen(m896),
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a(void **state)
{
	(void)state;
	size_t n = 1000000;
	char *buf = malloc(n);
	assert_non_null(buf);
	memset(buf, 'a', n);
	check_sha(
	    buf, n,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(buf);
}

/* Lengths around the padding boundaries (one or two final blocks);
 * expected digests from coreutils sha256sum. */
static void test_sha256_block_boundaries(void **state)
{
	(void)state;
	static const struct {
		size_t n;
		const char *digest;
	} v[] = {
	    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734"
	         "318"},
	    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec67"
	         "38a"},
	    {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2"
	         "f34"},
	    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df15466"
	         "8eb"},
	    {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0"
	         "ae0"},
	    {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584"
	          "dcfb"},
	    {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904"
	          "c21c"},
	};
	char buf[128];
	memset(buf, 'a', sizeof(buf));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check_sha(buf, v[i].n, v[i].digest);
}

static uint64_t hash(const char *s)
{
	return cf_ordinal_hash(s, strlen(s));
}

/* REFERENCE.md section 2 and fidlc's goldens (error.json.golden,
 * protocol_request.json.golden). */
static void test_ordinal_vectors(void **state)
{
	(void)state;
	assert_true(hash("test.error/Example.foo") == 1107623248440401476ull);
	assert_true(hash("test.error/Example.foo") == 0x0f5f1179dc411e44ull);
	assert_true(hash("fidl.serversuite/ClosedTarget.OneWayNoPayload") ==
	            462698674125537694ull);
	assert_true(hash("test.protocolrequest/Parent.GetChild") ==
	            881818649151440699ull);
	assert_true(hash("test.protocolrequest/Parent.GetChildRequest") ==
	            1096855814967598201ull);
	assert_true(hash("test.protocolrequest/Parent.TakeChild") ==
	            4470101341872267920ull);
	assert_true(hash("test.protocolrequest/Parent.TakeChildRequest") ==
	            2333981071306416007ull);
}

static void test_ordinal_top_bit_clear(void **state)
{
	(void)state;
	char buf[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(buf, sizeof(buf), "x/P.m%d", i);
		assert_true((hash(buf) >> 63) == 0);
	}
}

static void test_assign_default_selector(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.error");
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "Example");
	cf_method *m = mb_method(&b, p, "foo");
	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_true(cf_assign_ordinals(b.lib, &d));
	assert_int_equal(d.errors, 0);
	assert_true(m->ordinal == 1107623248440401476ull);
	assert_string_equal(m->selector, "test.error/Example.foo");
	mb_free(&b);
}

/* @selector("name") replaces the method name; a selector with '/' is the
 * whole string hashed. */
static void test_assign_selector_attribute(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.other");
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "Example");
	cf_method *renamed = mb_method(&b, p, "bar");
	mb_selector(&b, renamed, "foo");
	cf_method *full = mb_method(&b, p, "baz");
	mb_selector(&b, full, "test.error/Example.foo");
	cf_method *full2 = mb_method(&b, p, "qux");
	mb_selector(&b, full2, "fidl.serversuite/ClosedTarget.OneWayNoPayload");
	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_true(cf_assign_ordinals(b.lib, &d));
	assert_int_equal(d.errors, 0);
	assert_true(renamed->ordinal == hash("test.other/Example.foo"));
	assert_string_equal(renamed->selector, "test.other/Example.foo");
	assert_true(full->ordinal == 1107623248440401476ull);
	assert_true(full2->ordinal == 462698674125537694ull);
	mb_free(&b);
}

/* A composed method keeps the ordinal of the protocol declaring it. */
static void test_assign_composed_uses_declaring_protocol(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.error");
	cf_decl *base = mb_decl(&b, CF_DECL_PROTOCOL, "Example");
	mb_method(&b, base, "foo");
	cf_decl *derived = mb_decl(&b, CF_DECL_PROTOCOL, "Derived");
	cf_method *own = mb_method(&b, derived, "foo");
	cf_method *comp = mb_method(&b, derived, "foo2");
	*comp = base->methods[0];
	comp->composed = true;
	comp->declared_in = base;
	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_true(cf_assign_ordinals(b.lib, &d));
	assert_true(comp->ordinal == 1107623248440401476ull);
	assert_true(own->ordinal == hash("test.error/Derived.foo"));
	assert_true(own->ordinal != comp->ordinal);
	mb_free(&b);
}

/* Two methods hashing the same string collide: reported once, at the
 * second one. */
static void test_collision_reported(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.collide");
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "P");
	mb_method(&b, p, "First");
	cf_method *second = mb_method(&b, p, "Second");
	mb_selector(&b, second, "First");
	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_false(cf_assign_ordinals(b.lib, &d));
	assert_int_equal(d.count[CF_DIAG_ORDINAL_COLLISION], 1);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.first_loc.line, second->loc.line);
	mb_free(&b);
}

/* A method of this protocol colliding with a composed one: reported at
 * this protocol's method. Methods composed from one protocol that collide
 * there are not reported again by the composer. */
static void test_collision_with_composed(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.collide");
	cf_decl *base = mb_decl(&b, CF_DECL_PROTOCOL, "Base");
	mb_method(&b, base, "M");
	cf_decl *top = mb_decl(&b, CF_DECL_PROTOCOL, "Top");
	cf_method *own = mb_method(&b, top, "Own");
	mb_selector(&b, own, "test.collide/Base.M");
	cf_method *comp = mb_method(&b, top, "M");
	*comp = base->methods[0];
	comp->composed = true;
	comp->loc.line = 40;
	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_false(cf_assign_ordinals(b.lib, &d));
	assert_int_equal(d.count[CF_DIAG_ORDINAL_COLLISION], 1);
	assert_int_equal(d.first_loc.line, own->loc.line);
	mb_free(&b);
}

static void test_distinct_protocols_may_share(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.ok");
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "P");
	cf_decl *q = mb_decl(&b, CF_DECL_PROTOCOL, "Q");
	mb_selector(&b, mb_method(&b, p, "A"), "x/Y.z");
	mb_selector(&b, mb_method(&b, q, "B"), "x/Y.z");
	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_true(cf_assign_ordinals(b.lib, &d));
	assert_int_equal(d.errors, 0);
	mb_free(&b);
}

/* Without a model arena the pass still works, keeping the short
 * selector. */
static void test_no_arena(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.error");
	b.lib->arena = NULL;
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "Example");
	cf_method *m = mb_method(&b, p, "foo");
	char long_name[400];
	memset(long_name, 'm', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	cf_method *l = mb_method(&b, p, long_name);
	cf_diags d;
	cf_diags_init(&d, NULL);
	assert_true(cf_assign_ordinals(b.lib, &d));
	assert_true(m->ordinal == 1107623248440401476ull);
	assert_string_equal(m->selector, "foo");
	char full[512];
	snprintf(full, sizeof(full), "test.error/Example.%s", long_name);
	assert_true(l->ordinal == hash(full));
	mb_free(&b);
}

/* No known selector hashes to 0, so the hash is replaced to reach the
 * error (cf-0200, listed in tests/compiler/bad/EXEMPT). */
static uint64_t zero_for_zero(const char *s, size_t len)
{
	if (len == strlen("test.zero/P.Zero") &&
	    memcmp(s, "test.zero/P.Zero", len) == 0)
		return 0;
	return cf_ordinal_hash(s, len);
}

static void test_ordinal_zero_reported(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.zero");
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "P");
	mb_method(&b, p, "Fine");
	cf_method *zero = mb_method(&b, p, "Zero");
	/* Composed copies are reported where they are declared only. */
	cf_decl *q = mb_decl(&b, CF_DECL_PROTOCOL, "Q");
	cf_method *comp = mb_method(&b, q, "Zero");
	*comp = *zero;
	comp->composed = true;
	cf_diags d;
	cf_diags_init(&d, NULL);
	cf_ordinal_hash_fn = zero_for_zero;
	bool ok = cf_assign_ordinals(b.lib, &d);
	cf_ordinal_hash_fn = cf_ordinal_hash;
	assert_false(ok);
	assert_int_equal(d.count[CF_DIAG_ORDINAL_ZERO], 1);
	assert_int_equal(d.first_id, CF_DIAG_ORDINAL_ZERO);
	assert_int_equal(d.first_loc.line, zero->loc.line);
	assert_true(zero->ordinal == 0);
	assert_true(p->methods[0].ordinal == hash("test.zero/P.Fine"));
	mb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_nist),
	    cmocka_unit_test(test_sha256_million_a),
	    cmocka_unit_test(test_sha256_block_boundaries),
	    cmocka_unit_test(test_ordinal_vectors),
	    cmocka_unit_test(test_ordinal_top_bit_clear),
	    cmocka_unit_test(test_assign_default_selector),
	    cmocka_unit_test(test_assign_selector_attribute),
	    cmocka_unit_test(test_assign_composed_uses_declaring_protocol),
	    cmocka_unit_test(test_collision_reported),
	    cmocka_unit_test(test_collision_with_composed),
	    cmocka_unit_test(test_distinct_protocols_may_share),
	    cmocka_unit_test(test_no_arena),
	    cmocka_unit_test(test_ordinal_zero_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
