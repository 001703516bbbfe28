/* Wire format v2 shapes and struct offsets, rule by rule. Expected numbers
 * are worked out from the wire format (REFERENCE.md section 3) and fidlc's
 * goldens, not taken from the code. */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "diag.h"
#include "model_builder.h"
#include "shape.h"

#define MAX UINT32_MAX

typedef struct expect {
	uint32_t inline_size, alignment, depth, max_handles, max_out_of_line;
	bool has_padding, has_flexible_envelope;
} expect;

static void check(const cf_shape *s, expect e)
{
	assert_int_equal(s->inline_size, e.inline_size);
	assert_int_equal(s->alignment, e.alignment);
	assert_int_equal(s->depth, e.depth);
	assert_int_equal(s->max_handles, e.max_handles);
	assert_int_equal(s->max_out_of_line, e.max_out_of_line);
	assert_int_equal(s->has_padding, e.has_padding);
	assert_int_equal(s->has_flexible_envelope, e.has_flexible_envelope);
}

static bool layout(mb *b, cf_diags *d)
{
	cf_diags_init(d, NULL);
	return cf_layout_library(b->lib, d);
}

/* One struct with a single member of type t: returns the member's shape
 * after layout. */
static cf_shape member_shape(cf_type *(*make)(mb *), expect *struct_out)
{
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	cf_type *t = make(&b);
	mb_member(&b, s, "m", t);
	cf_diags d;
	assert_true(layout(&b, &d));
	cf_shape r = t->shape;
	if (struct_out)
		*struct_out = (expect){s->shape.inline_size,
		                       s->shape.alignment,
		                       s->shape.depth,
		                       s->shape.max_handles,
		                       s->shape.max_out_of_line,
		                       s->shape.has_padding,
		                       s->shape.has_flexible_envelope};
	mb_free(&b);
	return r;
}

static void test_primitives(void **state)
{
	(void)state;
	static const struct {
		cf_prim p;
		uint32_t size;
	} v[] = {
	    {CF_PRIM_BOOL, 1},   {CF_PRIM_INT8, 1},    {CF_PRIM_UINT8, 1},
	    {CF_PRIM_INT16, 2},  {CF_PRIM_UINT16, 2},  {CF_PRIM_INT32, 4},
	    {CF_PRIM_UINT32, 4}, {CF_PRIM_FLOAT32, 4}, {CF_PRIM_INT64, 8},
	    {CF_PRIM_UINT64, 8}, {CF_PRIM_FLOAT64, 8},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		mb b;
		mb_init(&b, "test.shape");
		cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
		cf_type *t = mb_prim(&b, v[i].p);
		mb_member(&b, s, "m", t);
		cf_diags d;
		assert_true(layout(&b, &d));
		check(&t->shape, (expect){v[i].size, v[i].size, 0, 0, 0, 0, 0});
		/* A struct of one primitive is the primitive, no padding. */
		check(&s->shape, (expect){v[i].size, v[i].size, 0, 0, 0, 0, 0});
		mb_free(&b);
	}
}

/* C layout: fields in order at natural alignment, size rounded up to the
 * struct's alignment; padding is what follows each field. */
static void test_struct_offsets(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	cf_member *a = mb_member(&b, s, "a", mb_prim(&b, CF_PRIM_UINT8));
	cf_member *c = mb_member(&b, s, "c", mb_prim(&b, CF_PRIM_UINT32));
	cf_member *e = mb_member(&b, s, "e", mb_prim(&b, CF_PRIM_UINT16));
	cf_diags d;
	assert_true(layout(&b, &d));
	assert_int_equal(a->offset, 0);
	assert_int_equal(a->padding, 3);
	assert_int_equal(c->offset, 4);
	assert_int_equal(c->padding, 0);
	assert_int_equal(e->offset, 8);
	assert_int_equal(e->padding, 2);
	check(&s->shape, (expect){12, 4, 0, 0, 0, true, false});
	mb_free(&b);
}

static void test_struct_no_padding(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	mb_member(&b, s, "a", mb_prim(&b, CF_PRIM_UINT32));
	mb_member(&b, s, "b", mb_prim(&b, CF_PRIM_UINT16));
	mb_member(&b, s, "c", mb_prim(&b, CF_PRIM_UINT8));
	mb_member(&b, s, "d", mb_prim(&b, CF_PRIM_UINT8));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&s->shape, (expect){8, 4, 0, 0, 0, false, false});
	assert_int_equal(s->members[3].offset, 7);
	assert_int_equal(s->members[3].padding, 0);
	mb_free(&b);
}

/* An empty struct is one byte (REFERENCE.md: "Empty struct = 1 byte"). */
static void test_empty_struct(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "Empty");
	cf_decl *outer = mb_decl(&b, CF_DECL_STRUCT, "Outer");
	cf_member *x = mb_member(&b, outer, "e", mb_ref(&b, s, false));
	cf_member *y = mb_member(&b, outer, "n", mb_prim(&b, CF_PRIM_UINT32));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&s->shape, (expect){1, 1, 0, 0, 0, false, false});
	assert_int_equal(x->offset, 0);
	assert_int_equal(x->padding, 3);
	assert_int_equal(y->offset, 4);
	check(&outer->shape, (expect){8, 4, 0, 0, 0, true, false});
	mb_free(&b);
}

/* A nested struct keeps its own size and alignment. */
static void test_nested_struct(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *in = mb_decl(&b, CF_DECL_STRUCT, "Inner");
	mb_member(&b, in, "x", mb_prim(&b, CF_PRIM_UINT16));
	mb_member(&b, in, "y", mb_prim(&b, CF_PRIM_UINT8));
	cf_decl *out = mb_decl(&b, CF_DECL_STRUCT, "Outer");
	cf_member *a = mb_member(&b, out, "a", mb_prim(&b, CF_PRIM_UINT8));
	cf_member *i = mb_member(&b, out, "i", mb_ref(&b, in, false));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&in->shape, (expect){4, 2, 0, 0, 0, true, false});
	assert_int_equal(a->padding, 1);
	assert_int_equal(i->offset, 2);
	assert_int_equal(i->padding, 0);
	check(&out->shape, (expect){6, 2, 0, 0, 0, true, false});
	mb_free(&b);
}

static cf_type *make_string(mb *b)
{
	return mb_string(b, CF_UNBOUNDED);
}
static cf_type *make_string10(mb *b)
{
	return mb_string(b, 10);
}
static cf_type *make_string16(mb *b)
{
	return mb_string(b, 16);
}

/* string: 16-byte header, bytes out of line padded to 8. */
static void test_strings(void **state)
{
	(void)state;
	expect s;
	cf_shape t = member_shape(make_string, &s);
	check(&t, (expect){16, 8, 1, 0, MAX, true, false});
	assert_int_equal(s.max_out_of_line, MAX);
	assert_int_equal(s.depth, 1);
	t = member_shape(make_string10, NULL);
	check(&t, (expect){16, 8, 1, 0, 16, true, false});
	t = member_shape(make_string16, NULL);
	check(&t, (expect){16, 8, 1, 0, 16, true, false});
}

static cf_type *make_vec_u8_3(mb *b)
{
	return mb_vector(b, mb_prim(b, CF_PRIM_UINT8), 3);
}
static cf_type *make_vec_u64_3(mb *b)
{
	return mb_vector(b, mb_prim(b, CF_PRIM_UINT64), 3);
}
static cf_type *make_vec_u32_3(mb *b)
{
	return mb_vector(b, mb_prim(b, CF_PRIM_UINT32), 3);
}
static cf_type *make_vec_str5_2(mb *b)
{
	return mb_vector(b, mb_string(b, 5), 2);
}
static cf_type *make_vec_unbounded(mb *b)
{
	return mb_vector(b, mb_prim(b, CF_PRIM_UINT64), CF_UNBOUNDED);
}

/* vector: 16-byte header; elements packed, the block padded to 8; padding
 * unless elements are 8-byte multiples. */
static void test_vectors(void **state)
{
	(void)state;
	cf_shape t = member_shape(make_vec_u8_3, NULL);
	check(&t, (expect){16, 8, 1, 0, 8, true, false});
	t = member_shape(make_vec_u64_3, NULL);
	check(&t, (expect){16, 8, 1, 0, 24, false, false});
	t = member_shape(make_vec_u32_3, NULL);
	check(&t, (expect){16, 8, 1, 0, 16, true, false});
	/* Two 16-byte string headers, then two 8-byte string bodies. */
	t = member_shape(make_vec_str5_2, NULL);
	check(&t, (expect){16, 8, 2, 0, 48, true, false});
	t = member_shape(make_vec_unbounded, NULL);
	check(&t, (expect){16, 8, 1, 0, MAX, false, false});
}

static cf_type *make_array_u16_3(mb *b)
{
	return mb_array(b, mb_prim(b, CF_PRIM_UINT16), 3);
}
static cf_type *make_array_str(mb *b)
{
	return mb_array(b, mb_string(b, 3), 4);
}

static void test_arrays(void **state)
{
	(void)state;
	expect s;
	cf_shape t = member_shape(make_array_u16_3, &s);
	check(&t, (expect){6, 2, 0, 0, 0, false, false});
	/* The struct holding it: same size, no padding. */
	assert_int_equal(s.inline_size, 6);
	assert_int_equal(s.alignment, 2);
	assert_false(s.has_padding);
	/* Four string headers inline; four 8-byte bodies out of line. */
	t = member_shape(make_array_str, NULL);
	check(&t, (expect){64, 8, 1, 0, 32, true, false});
}

static cf_type *make_handle(mb *b)
{
	return mb_handle(b, 4, "CHANNEL");
}
static cf_type *make_handle_vec(mb *b)
{
	return mb_vector(b, mb_handle(b, 0, NULL), 4);
}
static cf_type *make_handle_vec_unbounded(mb *b)
{
	return mb_vector(b, mb_handle(b, 0, NULL), CF_UNBOUNDED);
}
static cf_type *make_handle_array(mb *b)
{
	return mb_array(b, mb_handle(b, 0, NULL), 3);
}

static void test_handles(void **state)
{
	(void)state;
	cf_shape t = member_shape(make_handle, NULL);
	check(&t, (expect){4, 4, 0, 1, 0, false, false});
	t = member_shape(make_handle_vec, NULL);
	check(&t, (expect){16, 8, 1, 4, 16, true, false});
	t = member_shape(make_handle_vec_unbounded, NULL);
	check(&t, (expect){16, 8, 1, MAX, MAX, true, false});
	t = member_shape(make_handle_array, NULL);
	check(&t, (expect){12, 4, 0, 3, 0, false, false});
}

static void test_endpoints(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "P");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	cf_type *c = mb_endpoint(&b, p, CF_CLIENT_END);
	cf_type *sv = mb_endpoint(&b, p, CF_SERVER_END);
	mb_member(&b, s, "c", c);
	mb_member(&b, s, "s", sv);
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&c->shape, (expect){4, 4, 0, 1, 0, false, false});
	check(&sv->shape, (expect){4, 4, 0, 1, 0, false, false});
	check(&s->shape, (expect){8, 4, 0, 2, 0, false, false});
	mb_free(&b);
}

/* box<S>: 8-byte presence, S out of line padded to 8. */
static void test_box(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	mb_member(&b, s, "x", mb_prim(&b, CF_PRIM_UINT32));
	cf_decl *o = mb_decl(&b, CF_DECL_STRUCT, "O");
	cf_type *boxed = mb_ref(&b, s, true);
	mb_member(&b, o, "b", boxed);
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&boxed->shape, (expect){8, 8, 1, 0, 8, true, false});
	check(&o->shape, (expect){8, 8, 1, 0, 8, true, false});
	mb_free(&b);
}

/* The result union of fidlc's error.json.golden: response struct
 * {int64 y} and err uint32 -> 16/8, depth 1, max_out_of_line 8, no
 * padding (a 4-byte err fills its inline envelope). */
static void test_union_golden(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.error");
	cf_decl *resp = mb_decl(&b, CF_DECL_STRUCT, "Example_foo_Response");
	mb_member(&b, resp, "y", mb_prim(&b, CF_PRIM_INT64));
	cf_decl *u = mb_decl(&b, CF_DECL_UNION, "Example_foo_Result");
	mb_member(&b, u, "response", mb_ref(&b, resp, false));
	mb_member(&b, u, "err", mb_prim(&b, CF_PRIM_UINT32));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&resp->shape, (expect){8, 8, 0, 0, 0, false, false});
	check(&u->shape, (expect){16, 8, 1, 0, 8, false, false});
	mb_free(&b);
}

static void test_union_rules(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	/* uint8 is inlined with 3 bytes of padding. */
	cf_decl *u1 = mb_decl(&b, CF_DECL_UNION, "U1");
	mb_member(&b, u1, "a", mb_prim(&b, CF_PRIM_UINT8));
	/* A flexible union may hold unknown envelopes. */
	cf_decl *u2 = mb_decl(&b, CF_DECL_UNION, "U2");
	u2->strict = false;
	mb_member(&b, u2, "a", mb_prim(&b, CF_PRIM_UINT32));
	/* Out-of-line members: the largest wins; handles are a max. */
	cf_decl *u3 = mb_decl(&b, CF_DECL_UNION, "U3");
	mb_member(&b, u3, "s", mb_string(&b, 20));
	mb_member(&b, u3, "h", mb_array(&b, mb_handle(&b, 0, NULL), 3));
	/* A struct holding a flexible union has a flexible envelope. */
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	cf_type *opt = mb_ref(&b, u2, true);
	mb_member(&b, s, "u", opt);
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&u1->shape, (expect){16, 8, 1, 0, 0, true, false});
	check(&u2->shape, (expect){16, 8, 1, 0, 0, false, true});
	/* string:20: 16 header + 24 body = 40; array of 3 handles: 12 -> 16
	 * with 4 padding. */
	check(&u3->shape, (expect){16, 8, 2, 3, 40, true, false});
	check(&opt->shape, (expect){16, 8, 1, 0, 0, false, true});
	check(&s->shape, (expect){16, 8, 1, 0, 0, false, true});
	mb_free(&b);
}

/* A table: a vector of max_ordinal envelopes, then contents over 4
 * bytes out of line; depth counts the vector and the envelope. */
static void test_tables(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *t = mb_decl(&b, CF_DECL_TABLE, "T");
	mb_member(&b, t, "a", mb_prim(&b, CF_PRIM_UINT32));
	cf_member *r = mb_member(&b, t, "r", NULL);
	r->reserved = true;
	r->name = NULL;
	mb_member(&b, t, "c", mb_prim(&b, CF_PRIM_UINT64));
	cf_decl *empty = mb_decl(&b, CF_DECL_TABLE, "Empty");
	cf_decl *ts = mb_decl(&b, CF_DECL_TABLE, "TS");
	mb_member(&b, ts, "s", mb_string(&b, 3));
	mb_member(&b, ts, "b", mb_prim(&b, CF_PRIM_BOOL));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&t->shape, (expect){16, 8, 2, 0, 8 * 3 + 8, false, true});
	check(&empty->shape, (expect){16, 8, 1, 0, 0, false, true});
	/* string:3 in an envelope: 16 header + 8 body out of line, depth
	 * 1 (string) + 1 (envelope) + 1 (envelope vector). bool: inlined
	 * with 3 bytes of padding. */
	check(&ts->shape, (expect){16, 8, 3, 0, 16 + 24, true, true});
	mb_free(&b);
}

static void test_enum_bits(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *e = mb_decl(&b, CF_DECL_ENUM, "E");
	e->subtype = mb_prim(&b, CF_PRIM_UINT16);
	cf_decl *bits = mb_decl(&b, CF_DECL_BITS, "B");
	bits->subtype = mb_prim(&b, CF_PRIM_UINT64);
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	cf_member *m1 = mb_member(&b, s, "e", mb_ref(&b, e, false));
	cf_member *m2 = mb_member(&b, s, "b", mb_ref(&b, bits, false));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&e->shape, (expect){2, 2, 0, 0, 0, false, false});
	check(&bits->shape, (expect){8, 8, 0, 0, 0, false, false});
	check(&e->subtype->shape, (expect){2, 2, 0, 0, 0, false, false});
	assert_int_equal(m1->padding, 6);
	assert_int_equal(m2->offset, 8);
	check(&s->shape, (expect){16, 8, 0, 0, 0, true, false});
	mb_free(&b);
}

/* Types outside layouts get shapes too: consts, aliases, payloads. */
static void test_other_type_uses(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *c = mb_decl(&b, CF_DECL_CONST, "C");
	c->const_type = mb_string(&b, CF_UNBOUNDED);
	cf_decl *a = mb_decl(&b, CF_DECL_ALIAS, "A");
	a->alias_type = mb_vector(&b, mb_prim(&b, CF_PRIM_UINT8), 8);
	cf_decl *req = mb_decl(&b, CF_DECL_STRUCT, "PMRequest");
	mb_member(&b, req, "x", mb_prim(&b, CF_PRIM_INT64));
	cf_decl *p = mb_decl(&b, CF_DECL_PROTOCOL, "P");
	cf_method *m = mb_method(&b, p, "M");
	m->request_payload = mb_ref(&b, req, false);
	m->error_type = mb_prim(&b, CF_PRIM_INT32);
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&c->const_type->shape, (expect){16, 8, 1, 0, MAX, true, false});
	/* uint8 elements leave padding after a short vector. */
	check(&a->alias_type->shape, (expect){16, 8, 1, 0, 8, true, false});
	check(&a->alias_type->element->shape, (expect){1, 1, 0, 0, 0, 0, 0});
	check(&m->request_payload->shape, (expect){8, 8, 0, 0, 0, 0, 0});
	check(&m->error_type->shape, (expect){4, 4, 0, 0, 0, 0, 0});
	mb_free(&b);
}

/* Recursion through box: depth and max_out_of_line are unbounded. */
static void test_recursive_box(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "Node");
	cf_type *next = mb_ref(&b, s, true);
	mb_member(&b, s, "next", next);
	cf_decl *h = mb_decl(&b, CF_DECL_STRUCT, "HNode");
	mb_member(&b, h, "next", mb_ref(&b, h, true));
	mb_member(&b, h, "h", mb_handle(&b, 0, NULL));
	cf_diags d;
	assert_true(layout(&b, &d));
	assert_int_equal(d.errors, 0);
	check(&s->shape, (expect){8, 8, MAX, 0, MAX, false, false});
	check(&next->shape, (expect){8, 8, MAX, 0, MAX, false, false});
	/* A cycle that reaches a handle may hold any number of them. */
	check(&h->shape, (expect){16, 8, MAX, MAX, MAX, true, false});
	mb_free(&b);
}

/* Mutual recursion through an optional union and through vectors, as in
 * the conformance suite's recursive_types.test.fidl. */
static void test_recursive_union_and_vector(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *us = mb_decl(&b, CF_DECL_STRUCT, "RecursiveUnionStruct");
	cf_decl *u = mb_decl(&b, CF_DECL_UNION, "RecursiveUnion");
	mb_member(&b, us, "u", mb_ref(&b, u, true));
	mb_member(&b, u, "s", mb_ref(&b, us, false));
	cf_decl *vs = mb_decl(&b, CF_DECL_STRUCT, "RecursiveVectorStruct");
	cf_type *v = mb_vector(&b, mb_ref(&b, vs, false), CF_UNBOUNDED);
	v->nullable = true;
	mb_member(&b, vs, "vec", v);
	cf_diags d;
	assert_true(layout(&b, &d));
	assert_int_equal(d.errors, 0);
	check(&us->shape, (expect){16, 8, MAX, 0, MAX, false, false});
	check(&u->shape, (expect){16, 8, MAX, 0, MAX, false, false});
	check(&vs->shape, (expect){16, 8, MAX, 0, MAX, false, false});
	mb_free(&b);
}

/* A non-recursive struct next to a recursive one keeps exact numbers. */
static void test_recursion_does_not_leak(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *leaf = mb_decl(&b, CF_DECL_STRUCT, "Leaf");
	mb_member(&b, leaf, "x", mb_prim(&b, CF_PRIM_UINT64));
	cf_decl *node = mb_decl(&b, CF_DECL_STRUCT, "Node");
	mb_member(&b, node, "next", mb_ref(&b, node, true));
	mb_member(&b, node, "leaf", mb_ref(&b, leaf, true));
	cf_decl *user = mb_decl(&b, CF_DECL_STRUCT, "User");
	mb_member(&b, user, "leaf", mb_ref(&b, leaf, true));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&leaf->shape, (expect){8, 8, 0, 0, 0, false, false});
	check(&user->shape, (expect){8, 8, 1, 0, 8, false, false});
	check(&node->shape, (expect){16, 8, MAX, 0, MAX, false, false});
	mb_free(&b);
}

static void expect_cycle(mb *b, const cf_decl *at)
{
	cf_diags d;
	assert_false(layout(b, &d));
	assert_true(d.count[CF_DIAG_DECLARATION_CYCLE] >= 1);
	assert_int_equal(d.first_id, CF_DIAG_DECLARATION_CYCLE);
	assert_int_equal(d.first_loc.line, at->loc.line);
}

static void test_cycle_self(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	s->loc.line = 7;
	mb_member(&b, s, "s", mb_ref(&b, s, false));
	mb_member(&b, s, "again", mb_ref(&b, s, false));
	cf_diags d;
	assert_false(layout(&b, &d));
	/* Two edges, one cycle: one report. */
	assert_int_equal(d.count[CF_DIAG_DECLARATION_CYCLE], 1);
	assert_int_equal(d.first_loc.line, 7);
	mb_free(&b);
}

static void test_cycle_mutual(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *a = mb_decl(&b, CF_DECL_STRUCT, "A");
	cf_decl *c = mb_decl(&b, CF_DECL_STRUCT, "B");
	a->loc.line = 3;
	c->loc.line = 9;
	mb_member(&b, a, "b", mb_ref(&b, c, false));
	mb_member(&b, c, "a", mb_ref(&b, a, false));
	expect_cycle(&b, a);
	mb_free(&b);
}

/* Union and table members are edges too (fidlc: include cycle). */
static void test_cycle_through_union_and_table(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	cf_decl *u = mb_decl(&b, CF_DECL_UNION, "U");
	s->loc.line = 2;
	mb_member(&b, s, "u", mb_ref(&b, u, false));
	mb_member(&b, u, "s", mb_ref(&b, s, false));
	expect_cycle(&b, s);
	mb_free(&b);

	mb_init(&b, "test.shape");
	cf_decl *t = mb_decl(&b, CF_DECL_TABLE, "T");
	t->loc.line = 5;
	mb_member(&b, t, "t", mb_ref(&b, t, false));
	expect_cycle(&b, t);
	mb_free(&b);
}

static void test_cycle_through_array(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	s->loc.line = 4;
	mb_member(&b, s, "arr", mb_array(&b, mb_ref(&b, s, false), 2));
	expect_cycle(&b, s);
	mb_free(&b);
}

/* Optional, boxed and vector steps break cycles. */
static void test_no_cycle_through_out_of_line(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	mb_member(&b, s, "v", mb_vector(&b, mb_ref(&b, s, false), 4));
	mb_member(&b, s, "b", mb_ref(&b, s, true));
	cf_diags d;
	assert_true(layout(&b, &d));
	assert_int_equal(d.errors, 0);
	check(&s->shape, (expect){24, 8, MAX, 0, MAX, false, false});
	mb_free(&b);
}

/* A long chain of boxes, declared back to front: no deep recursion, and
 * the exact bounded depth at the head. */
static void test_long_chain(void **state)
{
	(void)state;
	enum { N = 20000 };
	mb b;
	mb_init(&b, "test.shape");
	b.lib->decls = CF_NEW_ARRAY(&b.arena, cf_decl *, N + 1);
	cf_decl **chain = CF_NEW_ARRAY(&b.arena, cf_decl *, N);
	for (int i = 0; i < N; i++)
		chain[i] = mb_decl(&b, CF_DECL_STRUCT,
		                   cf_arena_printf(&b.arena, "S%d", i));
	for (int i = 0; i < N - 1; i++)
		mb_member(&b, chain[i], "next", mb_ref(&b, chain[i + 1], true));
	mb_member(&b, chain[N - 1], "x", mb_prim(&b, CF_PRIM_UINT64));
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&chain[N - 1]->shape, (expect){8, 8, 0, 0, 0, false, false});
	check(&chain[0]->shape,
	      (expect){8, 8, N - 1, 0, 8 * (N - 1), false, false});
	mb_free(&b);
}

/* A ring of boxes is a cycle through out-of-line steps: allowed, and
 * every member of it is unbounded, even with a ring longer than the
 * recursion guard. */
static void test_long_ring(void **state)
{
	(void)state;
	enum { N = 5000 };
	mb b;
	mb_init(&b, "test.shape");
	b.lib->decls = CF_NEW_ARRAY(&b.arena, cf_decl *, N + 1);
	cf_decl **ring = CF_NEW_ARRAY(&b.arena, cf_decl *, N);
	for (int i = 0; i < N; i++)
		ring[i] = mb_decl(&b, CF_DECL_STRUCT,
		                  cf_arena_printf(&b.arena, "R%d", i));
	for (int i = 0; i < N; i++)
		mb_member(&b, ring[i], "next",
		          mb_ref(&b, ring[(i + 1) % N], true));
	cf_diags d;
	assert_true(layout(&b, &d));
	for (int i = 0; i < N; i++)
		check(&ring[i]->shape, (expect){8, 8, MAX, 0, MAX, 0, 0});
	mb_free(&b);
}

/* Inline sizes past 4 GiB are errors, reported once, not wrapped. */
static void test_too_large_array(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "Big");
	cf_member *m = mb_member(
	    &b, s, "a",
	    mb_array(&b, mb_array(&b, mb_prim(&b, CF_PRIM_UINT64), 4000000000u),
	             2));
	cf_diags d;
	assert_false(layout(&b, &d));
	assert_int_equal(d.count[CF_DIAG_TYPE_TOO_LARGE], 1);
	assert_int_equal(d.first_loc.line, m->loc.line);
	mb_free(&b);
}

static void test_too_large_struct(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "Big");
	s->loc.line = 11;
	mb_member(&b, s, "a",
	          mb_array(&b, mb_prim(&b, CF_PRIM_UINT8), 0xfffffff0u));
	mb_member(&b, s, "b", mb_array(&b, mb_prim(&b, CF_PRIM_UINT8), 32));
	/* A user of the broken struct is not reported again. */
	cf_decl *u = mb_decl(&b, CF_DECL_STRUCT, "User");
	mb_member(&b, u, "big", mb_ref(&b, s, false));
	cf_diags d;
	assert_false(layout(&b, &d));
	assert_int_equal(d.count[CF_DIAG_TYPE_TOO_LARGE], 1);
	assert_int_equal(d.first_loc.line, 11);
	mb_free(&b);
}

/* Out-of-line sizes saturate instead of failing. */
static void test_saturating_out_of_line(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	cf_type *v = mb_vector(
	    &b, mb_array(&b, mb_prim(&b, CF_PRIM_UINT64), 1000000), 100000);
	mb_member(&b, s, "v", v);
	cf_diags d;
	assert_true(layout(&b, &d));
	check(&v->shape, (expect){16, 8, 1, 0, MAX, false, false});
	mb_free(&b);
}

/* A declaration from an earlier library keeps its computed shape. */
static void test_foreign_decl(void **state)
{
	(void)state;
	mb b;
	mb_init(&b, "test.shape");
	cf_library *other = CF_NEW(&b.arena, cf_library);
	other->name = "dep";
	cf_decl *f = CF_NEW(&b.arena, cf_decl);
	f->kind = CF_DECL_STRUCT;
	f->library = other;
	f->name = "F";
	f->full_name = "dep/F";
	f->shape = (cf_shape){24, 8, 1, 0, 32, true, false};
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "S");
	mb_member(&b, s, "a", mb_prim(&b, CF_PRIM_UINT8));
	mb_member(&b, s, "f", mb_ref(&b, f, false));
	cf_diags d;
	assert_true(layout(&b, &d));
	assert_int_equal(s->members[1].offset, 8);
	check(&s->shape, (expect){32, 8, 1, 0, 32, true, false});
	mb_free(&b);
}

/* Layout puts no limit on member counts (sizes are what is checked): a
 * 5000-member struct lays out, with exact offsets. */
static void test_many_members(void **state)
{
	(void)state;
	enum { N = 5000 };
	mb b;
	mb_init(&b, "test.shape");
	cf_decl *s = mb_decl(&b, CF_DECL_STRUCT, "Wide");
	s->members = CF_NEW_ARRAY(&b.arena, cf_member, N);
	for (unsigned i = 0; i < N; i++) {
		s->members[i].name = "m";
		s->members[i].type =
		    mb_prim(&b, i % 2 ? CF_PRIM_UINT32 : CF_PRIM_UINT8);
	}
	s->member_count = N;
	cf_diags d;
	assert_true(layout(&b, &d));
	assert_int_equal(d.errors + d.warnings, 0);
	/* Each uint8 + uint32 pair takes 8 bytes. */
	assert_int_equal(s->members[N - 1].offset, 8 * (N / 2) - 4);
	check(&s->shape, (expect){8 * (N / 2), 4, 0, 0, 0, true, false});
	mb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_primitives),
	    cmocka_unit_test(test_struct_offsets),
	    cmocka_unit_test(test_struct_no_padding),
	    cmocka_unit_test(test_empty_struct),
	    cmocka_unit_test(test_nested_struct),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_arrays),
	    cmocka_unit_test(test_handles),
	    cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_box),
	    cmocka_unit_test(test_union_golden),
	    cmocka_unit_test(test_union_rules),
	    cmocka_unit_test(test_tables),
	    cmocka_unit_test(test_enum_bits),
	    cmocka_unit_test(test_other_type_uses),
	    cmocka_unit_test(test_recursive_box),
	    cmocka_unit_test(test_recursive_union_and_vector),
	    cmocka_unit_test(test_recursion_does_not_leak),
	    cmocka_unit_test(test_cycle_self),
	    cmocka_unit_test(test_cycle_mutual),
	    cmocka_unit_test(test_cycle_through_union_and_table),
	    cmocka_unit_test(test_cycle_through_array),
	    cmocka_unit_test(test_no_cycle_through_out_of_line),
	    cmocka_unit_test(test_long_chain),
	    cmocka_unit_test(test_long_ring),
	    cmocka_unit_test(test_too_large_array),
	    cmocka_unit_test(test_too_large_struct),
	    cmocka_unit_test(test_saturating_out_of_line),
	    cmocka_unit_test(test_foreign_decl),
	    cmocka_unit_test(test_many_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
