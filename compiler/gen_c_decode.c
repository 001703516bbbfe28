/* Decoders: one function per struct, table and union that checks a
 * received value in place (pointers and handles written over their
 * markers), and close_handles for the values that hold handles. */
#include "gen_c_internal.h"

#include <inttypes.h>
#include <string.h>

/* Unknown members' handles are closed and decoding goes on, even in a
 * value type, as the C++ and Rust bindings do (the conformance suite
 * expects the rejection from Go and Dart only). */
#define UNKNOWN_HANDLES_OK "true"

/* Emits statements that check (and fix up in place) the received value
 * of t at byte offset `off`; `depth` as for enc_value. */
static void dec_value(gc_writer *w, const cf_type *t, const char *off,
                      const char *depth, int lvl, int n)
{
	if (gc_plain(t, true))
		return;
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		/* only bool is not plain */
		gc_line(w, n,
		        gc_fmt(w, "status = fidl_decode_bool(dec, %s);", off));
		gc_check_status(w, n);
		break;
	case CF_TYPE_FRAMEWORK_ERR:
		break;
	case CF_TYPE_STRING:
		gc_line(
		    w, n,
		    gc_fmt(w,
		           "status = fidl_decode_string(dec, %s, %s, %s, %s);",
		           off, gc_bound_arg(w, t->max_count),
		           t->nullable ? "true" : "false", depth));
		gc_check_status(w, n);
		break;
	case CF_TYPE_VECTOR: {
		const cf_type *e = t->element;
		const char *body = gc_fmt(w, "body%d", lvl);
		const char *i = gc_fmt(w, "i%d", lvl);
		gc_line(w, n, "{");
		const char *cnt = gc_fmt(w, "count%d", lvl);
		gc_line(w, n + 1,
		        gc_fmt(w, "uint32_t %s = 0, %s = 0;", body, cnt));
		gc_line(
		    w, n + 1,
		    gc_fmt(w,
		           "status = fidl_decode_vector(dec, %s, %s, %" PRIu32
		           ", %s, %s, &%s, &%s);",
		           off, gc_bound_arg(w, t->max_count),
		           e->shape.inline_size, t->nullable ? "true" : "false",
		           depth, body, cnt));
		gc_check_status(w, n + 1);
		if (!gc_plain(e, true)) {
			gc_line(w, n + 1,
			        gc_fmt(w,
			               "for (uint32_t %s = 0; %s < %s; %s++) {",
			               i, i, cnt, i));
			dec_value(w, e,
			          gc_fmt(w, "%s + %s * %" PRIu32, body, i,
			                 e->shape.inline_size),
			          gc_fmt(w, "(%s) + 1", depth), lvl + 1, n + 2);
			gc_line(w, n + 1, "}");
		}
		gc_line(w, n, "}");
		break;
	}
	case CF_TYPE_ARRAY: {
		const cf_type *e = t->element;
		const char *i = gc_fmt(w, "i%d", lvl);
		gc_line(
		    w, n,
		    gc_fmt(w, "for (uint32_t %s = 0; %s < %" PRIu32 "; %s++) {",
		           i, i, t->element_count, i));
		dec_value(w, e,
		          gc_fmt(w, "%s + %s * %" PRIu32, off, i,
		                 e->shape.inline_size),
		          depth, lvl + 1, n + 1);
		gc_line(w, n, "}");
		break;
	}
	case CF_TYPE_HANDLE:
	case CF_TYPE_ENDPOINT: {
		const char *type, *rights;
		gc_handle_args(w, t, &type, &rights);
		gc_line(
		    w, n,
		    gc_fmt(w,
		           "status = fidl_decode_handle(dec, %s, %s, %s, %s);",
		           off, type, rights, t->nullable ? "true" : "false"));
		gc_check_status(w, n);
		break;
	}
	case CF_TYPE_DECL: {
		const cf_decl *d = t->decl;
		const char *name = gc_decl_name(w, d);
		if (gc_is_enum_or_bits(t)) {
			gc_line(w, n, "{");
			gc_line(w, n + 1, gc_fmt(w, "%s v;", name));
			gc_line(
			    w, n + 1,
			    gc_fmt(w, "memcpy(&v, dec->bytes + %s, sizeof(v));",
			           off));
			gc_line(w, n + 1,
			        gc_fmt(w, "if (!%s_is_known(v))", name));
			gc_line(
			    w, n + 2,
			    gc_fmt(w,
			           "return fidl_decoder_fail(dec, "
			           "FIDL_ERR_STRICT_%s_UNKNOWN_%s);",
			           d->kind == CF_DECL_ENUM ? "ENUM" : "BITS",
			           d->kind == CF_DECL_ENUM ? "VALUE" : "BIT"));
			gc_line(w, n, "}");
		} else if (d->kind == CF_DECL_STRUCT && t->nullable) {
			const char *o = gc_fmt(w, "box%d", lvl);
			gc_line(w, n, "{");
			gc_line(w, n + 1, gc_fmt(w, "uint32_t %s = 0;", o));
			gc_line(
			    w, n + 1,
			    gc_fmt(w,
			           "status = fidl_decode_box(dec, %s, %" PRIu32
			           ", true, %s, &%s);",
			           off, d->shape.inline_size, depth, o));
			gc_check_status(w, n + 1);
			gc_line(w, n + 1,
			        gc_fmt(w, "if (%s != UINT32_MAX) {", o));
			gc_line(
			    w, n + 2,
			    gc_fmt(w,
			           "status = %s_decode_at(dec, %s, (%s) + 1);",
			           name, o, depth));
			gc_check_status(w, n + 2);
			gc_line(w, n + 1, "}");
			gc_line(w, n, "}");
		} else if (d->kind == CF_DECL_UNION && t->nullable) {
			gc_line(
			    w, n,
			    gc_fmt(w,
			           "if (fidl_load64(dec->bytes + %s) != 0) {",
			           off));
			gc_line(w, n + 1,
			        gc_fmt(w, "status = %s_decode_at(dec, %s, %s);",
			               name, off, depth));
			gc_check_status(w, n + 1);
			gc_line(
			    w, n,
			    gc_fmt(
			        w,
			        "} else if (fidl_load64(dec->bytes + %s + 8) "
			        "!= 0) {",
			        off));
			gc_line(w, n + 1,
			        "/* absent: the envelope must be zero */");
			gc_line(w, n + 1,
			        "return fidl_decoder_fail(dec, "
			        "FIDL_ERR_UNION_FIELD_NOT_SET);");
			gc_line(w, n, "}");
		} else {
			gc_line(w, n,
			        gc_fmt(w, "status = %s_decode_at(dec, %s, %s);",
			               name, off, depth));
			gc_check_status(w, n);
		}
		break;
	}
	}
}

/* Emits the decoding of a known member's envelope at env_off. */
static void dec_envelope(gc_writer *w, const cf_member *m, const char *env_off,
                         const char *hdepth, int n)
{
	const cf_type *t = m->type;
	gc_line(w, n, "uint32_t slot = 0;");
	gc_line(w, n, "bool present = false;");
	gc_line(w, n, "fidl_envelope_dmark_t mark;");
	gc_line(w, n,
	        gc_fmt(w,
	               "status = fidl_decode_envelope_begin(dec, %s, %" PRIu32
	               ", %s, &mark, &present, &slot);",
	               env_off, t->shape.inline_size, hdepth));
	gc_check_status(w, n);
}

void gc_dec_struct(gc_writer *w, const cf_decl *d)
{
	gc_fn_head(w, d, "Checks in place", gc_dec_params);
	if (gc_struct_is_plain(d, true)) {
		gc_line(w, 1, "/* Any bytes are a valid value. */");
		gc_line(w, 1, "(void)dec; (void)offset; (void)depth;");
		gc_line(w, 1, "return ZX_OK;\n}");
		return;
	}
	if (d->member_count == 0) {
		gc_line(w, 1, "(void)depth;");
		gc_line(w, 1,
		        "return fidl_decode_empty_struct(dec, offset);\n}");
		return;
	}
	gc_line(w, 1, "zx_status_t status;\n");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		gc_line(w, 1,
		        gc_fmt(w, "/* %s %s */", m->name,
		               gc_fidl_type(w, m->type)));
		dec_value(w, m->type, gc_fmt(w, "offset + %" PRIu32, m->offset),
		          "depth", 0, 1);
		if (m->padding) {
			gc_line(
			    w, 1,
			    gc_fmt(w,
			           "status = fidl_decode_padding(dec, offset + "
			           "%" PRIu32 ", %" PRIu32 ");",
			           m->offset + m->type->shape.inline_size,
			           m->padding));
			gc_check_status(w, 1);
		}
	}
	gc_line(w, 1, "(void)status;");
	gc_line(w, 1, "(void)depth;");
	gc_line(w, 1, "return ZX_OK;\n}");
}

void gc_dec_table(gc_writer *w, const cf_decl *d)
{
	gc_fn_head(w, d, "Checks in place", gc_dec_params);
	gc_line(w, 1, "zx_status_t status;");
	gc_line(w, 1, "uint32_t envs = 0, count = 0;\n");
	gc_line(
	    w, 1,
	    "status = fidl_decode_table(dec, offset, depth, &envs, &count);");
	gc_check_status(w, 1);
	gc_line(w, 1, "for (uint32_t i = 0; i < count; i++) {");
	gc_line(w, 2, "uint32_t env = envs + i * 8;");
	gc_line(w, 2, "switch (i + 1) {");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved)
			continue;
		gc_line(w, 2,
		        gc_fmt(w, "case %" PRIu64 ": { /* %s %s */", m->ordinal,
		               m->name, gc_fidl_type(w, m->type)));
		dec_envelope(w, m, "env", "depth + 1", 3);
		gc_line(w, 3, "if (!present)");
		gc_line(w, 4, "break;");
		dec_value(w, m->type, "slot", "depth + 2", 0, 3);
		gc_line(w, 3,
		        "status = fidl_decode_envelope_end(dec, env, &mark);");
		gc_check_status(w, 3);
		gc_line(w, 3, "break;");
		gc_line(w, 2, "}");
	}
	gc_line(w, 2, "default:");
	gc_line(w, 3, "{");
	gc_line(w, 4, "bool present = false;");
	gc_line(
	    w, 4,
	    gc_fmt(w,
	           "status = fidl_decode_unknown_envelope(dec, env, depth + 1, "
	           "%s, &present);",
	           UNKNOWN_HANDLES_OK));
	gc_check_status(w, 4);
	gc_line(w, 3, "}");
	gc_line(w, 2, "}");
	gc_line(w, 1, "}");
	gc_line(w, 1, "return ZX_OK;\n}");
}

void gc_dec_union(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	gc_fn_head(w, d, "Checks in place", gc_dec_params);
	gc_line(w, 1, "zx_status_t status;");
	gc_line(w, 1, "fidl_xunion_tag_t tag;\n");
	gc_line(w, 1, "memcpy(&tag, dec->bytes + offset, 8);");
	gc_line(w, 1, "switch (tag) {");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved)
			continue;
		gc_line(w, 1,
		        gc_fmt(w, "case %s_Tag_%s: { /* %s */", name, m->name,
		               gc_fidl_type(w, m->type)));
		dec_envelope(w, m, "offset + 8", "depth", 2);
		gc_line(w, 2, "if (!present)");
		gc_line(w, 3,
		        "return fidl_decoder_fail(dec, "
		        "FIDL_ERR_UNION_FIELD_NOT_SET);");
		dec_value(w, m->type, "slot", "depth + 1", 0, 2);
		gc_line(
		    w, 2,
		    "return fidl_decode_envelope_end(dec, offset + 8, &mark);");
		gc_line(w, 1, "}");
	}
	gc_line(w, 1, "case 0:");
	gc_line(w, 2,
	        "/* required: absent is an error; a value with no tag too */");
	gc_line(
	    w, 2,
	    "return fidl_decoder_fail(dec, fidl_load64(dec->bytes + offset + "
	    "8) == 0 ? FIDL_ERR_NON_NULLABLE_TYPE_WITH_NULL_VALUE : "
	    "FIDL_ERR_UNION_FIELD_NOT_SET);");
	gc_line(w, 1, "default:");
	if (d->strict) {
		gc_line(w, 2, "(void)status;");
		gc_line(w, 2,
		        "return fidl_decoder_fail(dec, "
		        "FIDL_ERR_STRICT_UNION_UNKNOWN_FIELD);");
	} else {
		gc_line(w, 2, "{");
		gc_line(w, 3, "bool present = false;");
		gc_line(
		    w, 3,
		    gc_fmt(
		        w,
		        "status = fidl_decode_unknown_envelope(dec, offset + "
		        "8, depth, %s, &present);",
		        UNKNOWN_HANDLES_OK));
		gc_line(w, 3, "if (status == ZX_OK && !present)");
		gc_line(w, 4,
		        "return fidl_decoder_fail(dec, "
		        "FIDL_ERR_UNION_FIELD_NOT_SET);");
		gc_line(w, 3, "return status;");
		gc_line(w, 2, "}");
	}
	gc_line(w, 1, "}");
	gc_line(w, 0, "}");
}

/* ---- closing the handles of a decoded value ---- */

static bool has_handles(const cf_type *t)
{
	return t->shape.max_handles != 0;
}

static void close_value(gc_writer *w, const cf_type *t, const char *lv, int lvl,
                        int n)
{
	if (!has_handles(t))
		return;
	switch (t->kind) {
	case CF_TYPE_HANDLE:
	case CF_TYPE_ENDPOINT:
		gc_line(w, n, gc_fmt(w, "if (%s != ZX_HANDLE_INVALID)", lv));
		gc_line(w, n + 1, gc_fmt(w, "zx_handle_close(%s);", lv));
		gc_line(w, n, gc_fmt(w, "%s = ZX_HANDLE_INVALID;", lv));
		break;
	case CF_TYPE_VECTOR:
	case CF_TYPE_ARRAY: {
		const cf_type *e = t->element;
		const char *i = gc_fmt(w, "i%d", lvl);
		bool vec = t->kind == CF_TYPE_VECTOR;
		const char *limit =
		    vec ? gc_fmt(w, "%s.count", lv)
		        : gc_fmt(w, "%" PRIu32, t->element_count);
		if (vec)
			gc_line(w, n, gc_fmt(w, "if (%s.data != NULL)", lv));
		gc_line(w, n + vec,
		        gc_fmt(w, "for (uint64_t %s = 0; %s < %s; %s++) {", i,
		               i, limit, i));
		close_value(w, e,
		            vec ? gc_fmt(w, "((%s)%s.data)[%s]",
		                         gc_ptr_type(w, e), lv, i)
		                : gc_fmt(w, "%s[%s]", lv, i),
		            lvl + 1, n + 1 + vec);
		gc_line(w, n + vec, "}");
		break;
	}
	case CF_TYPE_DECL:
		if (t->nullable && t->decl->kind == CF_DECL_STRUCT) {
			gc_line(w, n, gc_fmt(w, "if (%s != NULL)", lv));
			gc_line(w, n + 1,
			        gc_fmt(w, "%s_close_handles(%s);",
			               gc_decl_name(w, t->decl), lv));
		} else {
			gc_line(w, n,
			        gc_fmt(w, "%s_close_handles(&%s);",
			               gc_decl_name(w, t->decl), lv));
		}
		break;
	default:
		break;
	}
}

static void close_member(gc_writer *w, const cf_member *m, const char *env,
                         int n)
{
	const cf_type *t = m->type;
	gc_line(w, n, "{");
	const char *mv = gc_fmt(w, "m_%s", m->name);
	gc_line(w, n + 1,
	        gc_fmt(w, "%s = (%s)fidl_envelope_value(&%s);",
	               gc_ptr_decl(w, t, mv), gc_ptr_type(w, t), env));
	gc_line(w, n + 1, gc_fmt(w, "if (%s != NULL) {", mv));
	close_value(w, t, gc_fmt(w, "(*%s)", mv), 0, n + 2);
	gc_line(w, n + 1, "}");
	gc_line(w, n, "}");
}

void gc_close_fn(gc_writer *w, const cf_decl *d)
{
	gc_printf(w, "\n/* Closes the handles of a %s %s. */\n",
	          cf_decl_kind_name(d->kind), d->full_name);
	gc_printf(w, "void %s_close_handles(%s *value)\n{\n",
	          gc_decl_name(w, d), gc_decl_name(w, d));
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved || !has_handles(m->type))
			continue;
		if (d->kind == CF_DECL_STRUCT) {
			close_value(
			    w, m->type,
			    gc_fmt(w, "value->%s", gc_member_name(w, m->name)),
			    0, 1);
		} else if (d->kind == CF_DECL_TABLE) {
			gc_line(w, 1,
			        gc_fmt(w, "if (value->count >= %" PRIu64 ")",
			               m->ordinal));
			close_member(w, m,
			             gc_fmt(w, "value->envelopes[%" PRIu64 "]",
			                    m->ordinal - 1),
			             2);
		} else {
			gc_line(w, 1,
			        gc_fmt(w, "if (value->tag == %s_Tag_%s)",
			               gc_decl_name(w, d), m->name));
			close_member(w, m, "value->envelope", 2);
		}
	}
	gc_line(w, 1, "(void)value;");
	gc_printf(w, "}\n");
}
