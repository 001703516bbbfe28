/* Encoders: one function per struct, table and union that writes the wire
 * view `value` at a reserved offset and appends its out-of-line parts, in
 * traversal order, through <cfidl/wire.h>. */
#include "gen_c_internal.h"

#include <inttypes.h>
#include <string.h>

/* Emits statements (at indent n) that encode the value lv, an lvalue of
 * t's C type, at byte offset `off` of the message; `depth` is the depth of
 * the object holding it. lvl names the locals of nested loops. */
static void enc_value(gc_writer *w, const cf_type *t, const char *lv,
                      const char *off, const char *depth, int lvl, int n)
{
	const char *at = gc_fmt(w, "enc->bytes + %s", off);
	if (gc_plain(t, false)) {
		gc_line(w, n,
		        gc_fmt(w, "memcpy(%s, &%s, sizeof(%s));", at, lv, lv));
		return;
	}
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
	case CF_TYPE_FRAMEWORK_ERR:
		break; /* plain */
	case CF_TYPE_STRING:
		gc_line(w, n,
		        gc_fmt(w,
		               "status = fidl_encode_string(enc, %s, %s.data, "
		               "%s.size, %s, %s, %s);",
		               off, lv, lv, gc_bound_arg(w, t->max_count),
		               t->nullable ? "true" : "false", depth));
		gc_check_status(w, n);
		break;
	case CF_TYPE_VECTOR: {
		const cf_type *e = t->element;
		const char *body = gc_fmt(w, "body%d", lvl);
		const char *i = gc_fmt(w, "i%d", lvl);
		gc_line(w, n, "{");
		gc_line(w, n + 1, gc_fmt(w, "uint32_t %s = 0;", body));
		gc_line(w, n + 1,
		        gc_fmt(w,
		               "status = fidl_encode_vector(enc, %s, %s.data, "
		               "%s.count, %s, %" PRIu32 ", %s, %s, &%s);",
		               off, lv, lv, gc_bound_arg(w, t->max_count),
		               e->shape.inline_size,
		               t->nullable ? "true" : "false", depth, body));
		gc_check_status(w, n + 1);
		if (gc_plain(e, false)) {
			/* count 0 may come with data NULL: memcpy must
			 * not see it. */
			gc_line(w, n + 1,
			        gc_fmt(w, "if (%s != UINT32_MAX && %s.count)",
			               body, lv));
			gc_line(w, n + 2,
			        gc_fmt(w,
			               "memcpy(enc->bytes + %s, %s.data, "
			               "(size_t)%s.count * %" PRIu32 ");",
			               body, lv, lv, e->shape.inline_size));
		} else {
			gc_line(
			    w, n + 1,
			    gc_fmt(w,
			           "for (uint32_t %s = 0; %s != UINT32_MAX && "
			           "%s < %s.count; %s++) {",
			           i, body, i, lv, i));
			enc_value(w, e,
			          gc_fmt(w, "((%s)%s.data)[%s]",
			                 gc_ptr_type(w, e), lv, i),
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
		enc_value(w, e, gc_fmt(w, "%s[%s]", lv, i),
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
		           "status = fidl_encode_handle(enc, %s, %s, %s, %s, "
		           "%s);",
		           off, lv, type, rights,
		           t->nullable ? "true" : "false"));
		gc_check_status(w, n);
		break;
	}
	case CF_TYPE_DECL: {
		const cf_decl *d = t->decl;
		const char *name = gc_decl_name(w, d);
		if (gc_is_enum_or_bits(t)) {
			gc_line(w, n,
			        gc_fmt(w, "if (!%s_is_known(%s))", name, lv));
			gc_line(
			    w, n + 1,
			    gc_fmt(w,
			           "return fidl_encoder_fail(enc, "
			           "FIDL_ERR_STRICT_%s_UNKNOWN_%s);",
			           d->kind == CF_DECL_ENUM ? "ENUM" : "BITS",
			           d->kind == CF_DECL_ENUM ? "VALUE" : "BIT"));
			gc_line(w, n,
			        gc_fmt(w, "memcpy(%s, &%s, sizeof(%s));", at,
			               lv, lv));
		} else if (d->kind == CF_DECL_STRUCT && t->nullable) {
			const char *o = gc_fmt(w, "box%d", lvl);
			gc_line(w, n, "{");
			gc_line(w, n + 1, gc_fmt(w, "uint32_t %s = 0;", o));
			gc_line(
			    w, n + 1,
			    gc_fmt(
			        w,
			        "status = fidl_encode_box(enc, %s, %s, %" PRIu32
			        ", %s, &%s);",
			        off, lv, d->shape.inline_size, depth, o));
			gc_check_status(w, n + 1);
			gc_line(w, n + 1,
			        gc_fmt(w, "if (%s != UINT32_MAX) {", o));
			gc_line(w, n + 2,
			        gc_fmt(w,
			               "status = %s_encode_at(enc, %s, %s, "
			               "(%s) + 1);",
			               name, lv, o, depth));
			gc_check_status(w, n + 2);
			gc_line(w, n + 1, "}");
			gc_line(w, n, "}");
		} else if (d->kind == CF_DECL_UNION && t->nullable) {
			gc_line(w, n, gc_fmt(w, "if (%s.tag != 0) {", lv));
			gc_line(
			    w, n + 1,
			    gc_fmt(w,
			           "status = %s_encode_at(enc, &%s, %s, %s);",
			           name, lv, off, depth));
			gc_check_status(w, n + 1);
			gc_line(w, n,
			        gc_fmt(w,
			               "} else if (%s.envelope.data != NULL) {",
			               lv));
			gc_line(w, n + 1, "/* absent, yet with a value */");
			gc_line(w, n + 1,
			        "return fidl_encoder_fail(enc, "
			        "FIDL_ERR_UNION_FIELD_NOT_SET);");
			gc_line(w, n, "}");
		} else {
			gc_line(
			    w, n,
			    gc_fmt(w,
			           "status = %s_encode_at(enc, &%s, %s, %s);",
			           name, lv, off, depth));
			gc_check_status(w, n);
		}
		break;
	}
	}
}

/* Emits the encoding of a table or union member held in envelope `env`
 * (an expression of type fidl_envelope_t) into the envelope at byte
 * offset env_off; the value gets depth vdepth. */
static void enc_envelope(gc_writer *w, const cf_member *m, const char *env,
                         const char *env_off, const char *hdepth, int n)
{
	const char *vdepth = gc_fmt(w, "%s + 1", hdepth);
	const cf_type *t = m->type;
	const char *mv = gc_fmt(w, "m_%s", m->name);
	gc_line(w, n,
	        gc_fmt(w, "%s = (%s)fidl_envelope_value(&%s);",
	               gc_ptr_decl(w, t, mv), gc_ptr_type(w, t), env));
	gc_line(w, n, gc_fmt(w, "if (%s != NULL) {", mv));
	gc_line(w, n + 1, "uint32_t slot = 0;");
	gc_line(w, n + 1, "fidl_envelope_mark_t mark;");
	gc_line(w, n + 1,
	        gc_fmt(w,
	               "status = fidl_encode_envelope_begin(enc, %s, %" PRIu32
	               ", %s, &mark, &slot);",
	               env_off, t->shape.inline_size, hdepth));
	gc_check_status(w, n + 1);
	enc_value(w, t, gc_fmt(w, "(*%s)", mv), "slot", vdepth, 0, n + 1);
	gc_line(
	    w, n + 1,
	    gc_fmt(w, "fidl_encode_envelope_end(enc, %s, &mark);", env_off));
	gc_line(w, n, "}");
}

void gc_enc_struct(gc_writer *w, const cf_decl *d)
{
	gc_fn_head(w, d, "Encodes", gc_enc_params(w, d));
	if (gc_struct_is_plain(d, false)) {
		gc_line(w, 1, "/* Its C layout is its wire layout. */");
		gc_line(w, 1, "(void)depth;");
		gc_line(w, 1,
		        "memcpy(enc->bytes + offset, value, sizeof(*value));");
		gc_line(w, 1, "return ZX_OK;\n}");
		return;
	}
	bool calls = false;
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_type *t = d->members[i].type;
		calls |= !gc_plain(t, false) && !gc_is_enum_or_bits(t);
	}
	if (calls)
		gc_line(w, 1, "zx_status_t status;\n");
	gc_line(w, 1, "(void)depth; /* used by out-of-line members only */");
	if (d->member_count == 0)
		gc_line(w, 1, "(void)enc; (void)value; (void)offset; /* 0 */");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		gc_line(w, 1,
		        gc_fmt(w, "/* %s %s */", m->name,
		               gc_fidl_type(w, m->type)));
		enc_value(w, m->type,
		          gc_fmt(w, "value->%s", gc_member_name(w, m->name)),
		          gc_fmt(w, "offset + %" PRIu32, m->offset), "depth", 0,
		          1);
	}
	gc_line(w, 1, "return ZX_OK;\n}");
}

void gc_enc_table(gc_writer *w, const cf_decl *d)
{
	gc_fn_head(w, d, "Encodes", gc_enc_params(w, d));
	gc_line(w, 1, "zx_status_t status;");
	gc_line(w, 1, "uint64_t count = 0;");
	gc_line(w, 1, "uint32_t envs = 0;\n");
	gc_line(w, 1, "(void)value; /* unused when no member is known */");
	gc_line(w, 1,
	        "/* Only the known members are sent: count is the highest */");
	gc_line(w, 1, "/* present one. */");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved)
			continue;
		gc_line(w, 1,
		        gc_fmt(w,
		               "if (value->count >= %" PRIu64 " && "
		               "fidl_envelope_value(&value->envelopes[%" PRIu64
		               "]) != NULL)",
		               m->ordinal, m->ordinal - 1));
		gc_line(w, 2, gc_fmt(w, "count = %" PRIu64 ";", m->ordinal));
	}
	gc_line(w, 1, "memcpy(enc->bytes + offset, &count, 8);");
	gc_line(w, 1, "memset(enc->bytes + offset + 8, 0xff, 8);");
	gc_line(w, 1,
	        "status = fidl_encode_out_of_line(enc, (uint32_t)count * 8, "
	        "depth, &envs);");
	gc_check_status(w, 1);
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved)
			continue;
		gc_line(w, 1,
		        gc_fmt(w, "/* %" PRIu64 ": %s %s */", m->ordinal,
		               m->name, gc_fidl_type(w, m->type)));
		gc_line(w, 1,
		        gc_fmt(w, "if (count >= %" PRIu64 ") {", m->ordinal));
		enc_envelope(
		    w, m,
		    gc_fmt(w, "value->envelopes[%" PRIu64 "]", m->ordinal - 1),
		    gc_fmt(w, "envs + %" PRIu64, (m->ordinal - 1) * 8),
		    "depth + 1", 2);
		gc_line(w, 1, "}");
	}
	gc_line(w, 1, "(void)status;");
	gc_line(w, 1, "return ZX_OK;\n}");
}

void gc_enc_union(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	gc_fn_head(w, d, "Encodes", gc_enc_params(w, d));
	gc_line(w, 1, "zx_status_t status;\n");
	gc_line(w, 1, "(void)depth; /* unused when no member is known */");
	gc_line(w, 1, "memcpy(enc->bytes + offset, &value->tag, 8);");
	gc_line(w, 1, "switch (value->tag) {");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved)
			continue;
		gc_line(w, 1,
		        gc_fmt(w, "case %s_Tag_%s: { /* %s */", name, m->name,
		               gc_fidl_type(w, m->type)));
		enc_envelope(w, m, "value->envelope", "offset + 8", "depth", 2);
		gc_line(w, 2, "return ZX_OK;");
		gc_line(w, 1, "}");
	}
	gc_line(w, 1, "case 0:");
	gc_line(w, 2,
	        "return fidl_encoder_fail(enc, FIDL_ERR_UNION_FIELD_NOT_SET);");
	gc_line(w, 1, "default:");
	gc_line(
	    w, 2,
	    gc_fmt(w,
	           "/* Unknown members are not kept, so they cannot be sent. */"
	           "\n\t\treturn fidl_encoder_fail(enc, "
	           "FIDL_ERR_%s_UNION_UNKNOWN_FIELD);",
	           d->strict ? "STRICT" : "FLEXIBLE"));
	gc_line(w, 1, "}");
	gc_line(w, 1, "(void)status;");
	gc_line(w, 1,
	        "return fidl_encoder_fail(enc, FIDL_ERR_UNION_FIELD_NOT_SET);");
	gc_line(w, 0, "}");
}

/* ---- closing what a failed encode had not reached ---- */

/* Emits statements that hand every handle of lv (of type t) to
 * fidl_close_unencoded_handle, in the order enc_value takes them; `depth`
 * is the depth enc_value would get. */
static void unenc_value(gc_writer *w, const cf_type *t, const char *lv,
                        const char *depth, int lvl, int n)
{
	if (t->shape.max_handles == 0)
		return;
	switch (t->kind) {
	case CF_TYPE_HANDLE:
	case CF_TYPE_ENDPOINT:
		gc_line(
		    w, n,
		    gc_fmt(w, "fidl_close_unencoded_handle(%s, skip);", lv));
		break;
	case CF_TYPE_VECTOR:
	case CF_TYPE_ARRAY: {
		const cf_type *e = t->element;
		const char *i = gc_fmt(w, "i%d", lvl);
		bool vec = t->kind == CF_TYPE_VECTOR;
		/* A vector the encoder refused (count over its bound) still
		 * holds the caller's handles: all count of them. */
		if (vec)
			gc_line(w, n, gc_fmt(w, "if (%s.data != NULL)", lv));
		gc_line(w, n + vec,
		        gc_fmt(w, "for (uint64_t %s = 0; %s < %s; %s++) {", i,
		               i,
		               vec ? gc_fmt(w, "%s.count", lv)
		                   : gc_fmt(w, "%" PRIu32, t->element_count),
		               i));
		unenc_value(w, e,
		            vec ? gc_fmt(w, "((%s)%s.data)[%s]",
		                         gc_ptr_type(w, e), lv, i)
		                : gc_fmt(w, "%s[%s]", lv, i),
		            vec ? gc_fmt(w, "(%s) + 1", depth) : depth, lvl + 1,
		            n + 1 + vec);
		gc_line(w, n + vec, "}");
		break;
	}
	case CF_TYPE_DECL: {
		const char *name = gc_decl_name(w, t->decl);
		if (t->decl->kind == CF_DECL_STRUCT && t->nullable) {
			gc_line(w, n, gc_fmt(w, "if (%s != NULL)", lv));
			gc_line(
			    w, n + 1,
			    gc_fmt(w, "%s_close_unencoded(%s, (%s) + 1, skip);",
			           name, lv, depth));
		} else if (t->decl->kind == CF_DECL_UNION && t->nullable) {
			gc_line(w, n, gc_fmt(w, "if (%s.tag != 0)", lv));
			gc_line(w, n + 1,
			        gc_fmt(w, "%s_close_unencoded(&%s, %s, skip);",
			               name, lv, depth));
		} else {
			gc_line(w, n,
			        gc_fmt(w, "%s_close_unencoded(&%s, %s, skip);",
			               name, lv, depth));
		}
		break;
	}
	default:
		break;
	}
}

static void unenc_envelope(gc_writer *w, const cf_member *m, const char *env,
                           const char *vdepth, int n)
{
	const cf_type *t = m->type;
	const char *mv = gc_fmt(w, "m_%s", m->name);
	gc_line(w, n, "{");
	gc_line(w, n + 1,
	        gc_fmt(w, "%s = (%s)fidl_envelope_value(&%s);",
	               gc_ptr_decl(w, t, mv), gc_ptr_type(w, t), env));
	gc_line(w, n + 1, gc_fmt(w, "if (%s != NULL) {", mv));
	unenc_value(w, t, gc_fmt(w, "(*%s)", mv), vdepth, 0, n + 2);
	gc_line(w, n + 1, "}");
	gc_line(w, n, "}");
}

void gc_close_unencoded_fn(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	gc_printf(w,
	          "\n/* After a failed encode of a %s %s: closes its handles "
	          "after the\n * first *skip in encoding order (those the "
	          "encoder took). */\n",
	          cf_decl_kind_name(d->kind), d->full_name);
	gc_printf(w,
	          "void %s_close_unencoded(const %s *value, uint32_t depth, "
	          "uint32_t *skip)\n{\n",
	          name, name);
	gc_line(w, 1,
	        "/* Deeper than any encoder goes (and a cyclic value "
	        "ends). */");
	gc_line(w, 1, "if (depth > FIDL_MAX_DEPTH)");
	gc_line(w, 2, "return;");
	if (d->kind == CF_DECL_UNION)
		gc_line(w, 1, "switch (value->tag) {");
	for (unsigned i = 0; i < d->member_count; i++) {
		const cf_member *m = &d->members[i];
		if (m->reserved || m->type->shape.max_handles == 0)
			continue;
		if (d->kind == CF_DECL_STRUCT) {
			unenc_value(
			    w, m->type,
			    gc_fmt(w, "value->%s", gc_member_name(w, m->name)),
			    "depth", 0, 1);
		} else if (d->kind == CF_DECL_TABLE) {
			/* As the encoder: the envelopes are at depth + 1,
			 * their values at depth + 2. */
			gc_line(w, 1,
			        gc_fmt(w, "if (value->count >= %" PRIu64 ")",
			               m->ordinal));
			unenc_envelope(w, m,
			               gc_fmt(w,
			                      "value->envelopes[%" PRIu64 "]",
			                      m->ordinal - 1),
			               "depth + 2", 2);
		} else {
			gc_line(w, 1,
			        gc_fmt(w, "case %s_Tag_%s:", name, m->name));
			unenc_envelope(w, m, "value->envelope", "depth + 1", 2);
			gc_line(w, 2, "break;");
		}
	}
	if (d->kind == CF_DECL_UNION) {
		gc_line(w, 1, "default: /* unknown or unset: nothing taken */");
		gc_line(w, 2, "break;");
		gc_line(w, 1, "}");
	}
	gc_line(w, 1, "(void)value;");
	gc_line(w, 1, "(void)skip;");
	gc_printf(w, "}\n");
}
