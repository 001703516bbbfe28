/* Encoders and decoders, one pair per struct, table and union: straight-line
 * code that walks the wire view member by member and calls <cfidl/wire.h>'s
 * helpers for strings, vectors, handles, envelopes and checks. This file
 * holds what encoding (gen_c_encode.c) and decoding (gen_c_decode.c) share,
 * and the top level: prototypes and whole-message functions. */
#include "gen_c_internal.h"

#include <inttypes.h>
#include <string.h>

void gc_ind(gc_writer *w, int n)
{
	gc_printf(w, "%.*s", n, "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t");
}

/* Prints one statement line at indent n. */
void gc_line(gc_writer *w, int n, const char *s)
{
	gc_ind(w, n);
	gc_printf(w, "%s\n", s);
}

void gc_check_status(gc_writer *w, int n)
{
	gc_line(w, n, "if (status != ZX_OK)");
	gc_line(w, n + 1, "return status;");
}

bool gc_is_enum_or_bits(const cf_type *t)
{
	return t->kind == CF_TYPE_DECL &&
	       (t->decl->kind == CF_DECL_ENUM || t->decl->kind == CF_DECL_BITS);
}

/* True when the C bytes of a value are its wire bytes with nothing to
 * check: encoding is a memcpy, and (when decoding) the received bytes
 * need no check either (bool must be 0 or 1 there). */
bool gc_plain(const cf_type *t, bool decoding)
{
	switch (t->kind) {
	case CF_TYPE_PRIMITIVE:
		return !decoding || t->prim != CF_PRIM_BOOL;
	case CF_TYPE_FRAMEWORK_ERR:
		return true;
	case CF_TYPE_ARRAY:
		return gc_plain(t->element, decoding);
	case CF_TYPE_DECL:
		if (gc_is_enum_or_bits(t))
			return !t->decl->strict;
		if (t->decl->kind != CF_DECL_STRUCT || t->nullable)
			return false;
		return gc_struct_is_plain(t->decl, decoding);
	default:
		return false;
	}
}

bool gc_struct_is_plain(const cf_decl *d, bool decoding)
{
	/* An empty struct's byte must be 0 whatever the C object holds. */
	if (d->shape.has_padding || d->shape.max_out_of_line ||
	    d->shape.max_handles || d->member_count == 0)
		return false;
	for (unsigned i = 0; i < d->member_count; i++)
		if (!gc_plain(d->members[i].type, decoding))
			return false;
	return true;
}

/* "T *" (or "T (*)[N]" for arrays): a pointer to a value of t. */
const char *gc_ptr_type(gc_writer *w, const cf_type *t)
{
	if (t->kind == CF_TYPE_ARRAY)
		return gc_declarator(w, t, "(*)");
	const char *base = gc_type_base(w, t);
	size_t n = strlen(base);
	return gc_fmt(w, "%s%s*", base, n && base[n - 1] == '*' ? "" : " ");
}

const char *gc_ptr_decl(gc_writer *w, const cf_type *t, const char *name)
{
	if (t->kind == CF_TYPE_ARRAY)
		return gc_declarator(w, t, gc_fmt(w, "(*%s)", name));
	return gc_declarator(w, t, gc_fmt(w, "*%s", name));
}

const char *gc_bound_arg(gc_writer *w, uint32_t max)
{
	return max == CF_UNBOUNDED ? "UINT32_MAX"
	                           : gc_fmt(w, "%" PRIu32 "u", max);
}

/* The declared object type and rights of a handle or endpoint. */
void gc_handle_args(gc_writer *w, const cf_type *t, const char **type,
                    const char **rights)
{
	if (t->kind == CF_TYPE_ENDPOINT) {
		*type = "ZX_OBJ_TYPE_CHANNEL";
		*rights = "ZX_DEFAULT_CHANNEL_RIGHTS";
		return;
	}
	*type = gc_fmt(w, "(zx_obj_type_t)%" PRIu32 "u", t->handle_subtype);
	*rights =
	    t->handle_rights == CF_RIGHTS_SAME
	        ? "ZX_RIGHT_SAME_RIGHTS"
	        : gc_fmt(w, "(zx_rights_t)0x%" PRIx32 "u", t->handle_rights);
}

void gc_fn_head(gc_writer *w, const cf_decl *d, const char *what,
                const char *params)
{
	gc_printf(w, "\n/* %s %s %s */\n", what, cf_decl_kind_name(d->kind),
	          d->full_name);
	gc_printf(w, "zx_status_t %s_%s(%s)\n{\n", gc_decl_name(w, d),
	          strcmp(what, "Encodes") == 0 ? "encode_at" : "decode_at",
	          params);
}

const char *gc_enc_params(gc_writer *w, const cf_decl *d)
{
	return gc_fmt(w,
	              "fidl_encoder_t *enc, const %s *value, uint32_t offset, "
	              "uint32_t depth",
	              gc_decl_name(w, d));
}

const char *const gc_dec_params = "fidl_decoder_t *dec, uint32_t offset, "
                                  "uint32_t depth";

/* ---- top level ---- */

static bool is_layout(const cf_decl *d)
{
	return d->kind == CF_DECL_STRUCT || d->kind == CF_DECL_TABLE ||
	       d->kind == CF_DECL_UNION;
}

void gc_codec_header(gc_writer *w)
{
	const cf_library *lib = w->lib;
	for (unsigned i = 0; i < lib->decl_count; i++) {
		const cf_decl *d = lib->decls[i];
		if (!is_layout(d))
			continue;
		const char *name = gc_decl_name(w, d);
		gc_printf(w, "\n/* %s %s: wire codec */\n",
		          cf_decl_kind_name(d->kind), d->full_name);
		gc_printf(
		    w,
		    "zx_status_t %s_encode_at(fidl_encoder_t *enc, const %s "
		    "*value, uint32_t offset, uint32_t depth);\n",
		    name, name);
		gc_printf(w,
		          "zx_status_t %s_decode_at(fidl_decoder_t *dec, "
		          "uint32_t offset, uint32_t depth);\n",
		          name);
		gc_printf(w,
		          "zx_status_t %s_encode(const %s *value, "
		          "fidl_encoder_t *enc);\n",
		          name, name);
		gc_printf(
		    w,
		    "zx_status_t %s_decode(fidl_decoder_t *dec, %s **out);\n",
		    name, name);
		if (d->shape.max_handles) {
			gc_printf(w, "void %s_close_handles(%s *value);\n",
			          name, name);
			gc_printf(w,
			          "void %s_close_unencoded(const %s *value, "
			          "uint32_t depth, uint32_t *skip);\n",
			          name, name);
		}
	}
}

/* The whole-message encoder of a value with handles: on failure the
 * encoder has closed the handles it took; this closes the rest. */
static void top_level_encode_handles(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	gc_printf(
	    w,
	    "\n/* Encodes a whole message body: a %s %s.  On failure every "
	    "handle\n * of value is closed. */\n"
	    "zx_status_t %s_encode(const %s *value, fidl_encoder_t *enc)\n"
	    "{\n"
	    "\tuint32_t taken = enc->handles_consumed;\n"
	    "\tuint32_t offset = fidl_encoder_alloc(enc, %" PRIu32 ");\n"
	    "\tzx_status_t status = ZX_ERR_BUFFER_TOO_SMALL;\n"
	    "\tif (offset != UINT32_MAX)\n"
	    "\t\tstatus = %s_encode_at(enc, value, offset, 0);\n"
	    "\tif (status != ZX_OK) {\n"
	    "\t\tuint32_t skip = enc->handles_consumed - taken;\n"
	    "\t\t%s_close_unencoded(value, 0, &skip);\n"
	    "\t}\n"
	    "\treturn status;\n"
	    "}\n",
	    cf_decl_kind_name(d->kind), d->full_name, name, name,
	    d->shape.inline_size, name, name);
}

static void top_level(gc_writer *w, const cf_decl *d)
{
	const char *name = gc_decl_name(w, d);
	if (d->shape.max_handles)
		top_level_encode_handles(w, d);
	else
		gc_printf(w,
		          "\n/* Encodes a whole message body: a %s %s. */\n"
		          "zx_status_t %s_encode(const %s *value, "
		          "fidl_encoder_t *enc)\n"
		          "{\n"
		          "\tuint32_t offset = fidl_encoder_alloc(enc, %" PRIu32
		          ");\n"
		          "\tif (offset == UINT32_MAX)\n"
		          "\t\treturn ZX_ERR_BUFFER_TOO_SMALL;\n"
		          "\treturn %s_encode_at(enc, value, offset, 0);\n"
		          "}\n",
		          cf_decl_kind_name(d->kind), d->full_name, name, name,
		          d->shape.inline_size, name);
	gc_printf(
	    w,
	    "\n/* Decodes a whole message body in place: *out points into "
	    "dec->bytes. */\n"
	    "zx_status_t %s_decode(fidl_decoder_t *dec, %s **out)\n"
	    "{\n"
	    "\tuint32_t offset = 0;\n"
	    "\tzx_status_t status = fidl_decode_begin(dec, %" PRIu32
	    ", &offset);\n"
	    "\tif (status == ZX_OK)\n"
	    "\t\tstatus = %s_decode_at(dec, offset, 0);\n"
	    "\tif (status == ZX_OK)\n"
	    "\t\tstatus = fidl_decode_end(dec);\n"
	    "\tif (status != ZX_OK)\n"
	    "\t\treturn status;\n"
	    "\t*out = (%s *)(void *)(dec->bytes + offset);\n"
	    "\treturn ZX_OK;\n"
	    "}\n",
	    name, name, d->shape.inline_size, name, name);
}

void gc_codec_source(gc_writer *w)
{
	const cf_library *lib = w->lib;
	for (unsigned i = 0; i < lib->decl_count; i++) {
		const cf_decl *d = lib->decls[i];
		if (d->kind == CF_DECL_STRUCT) {
			gc_enc_struct(w, d);
			gc_dec_struct(w, d);
		} else if (d->kind == CF_DECL_TABLE) {
			gc_enc_table(w, d);
			gc_dec_table(w, d);
		} else if (d->kind == CF_DECL_UNION) {
			gc_enc_union(w, d);
			gc_dec_union(w, d);
		} else {
			continue;
		}
		top_level(w, d);
		if (d->shape.max_handles) {
			gc_close_fn(w, d);
			gc_close_unencoded_fn(w, d);
		}
	}
}
