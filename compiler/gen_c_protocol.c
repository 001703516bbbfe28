/* Protocols: ordinals and the declarations of the synchronous client (one
 * function per method, as the old Fuchsia C bindings), the server (ops
 * table, dispatch with RFC-0138's unknown-method rules, replies), events,
 * and the asynchronous client on libcfidl's cfidl_client_t; the definitions
 * are written by gen_c_client.c and gen_c_server.c with the helpers here.
 * Payload members are passed flattened: a struct payload's members one by
 * one, any other payload (table, union) by pointer. */
#include "gen_c_internal.h"

#include <inttypes.h>
#include <string.h>

#define MAX_MSG_BYTES   65536u
#define MAX_MSG_HANDLES 64u

bool gc_is_struct_payload(const cf_type *payload)
{
	return payload && payload->decl->kind == CF_DECL_STRUCT;
}

/* "lib_PM" */
const char *gc_method_name(gc_writer *w, const cf_decl *p, const cf_method *m)
{
	return gc_fmt(w, "%s%s", gc_decl_name(w, p), m->name);
}

/* Bytes and handles a message with this payload may need. */
uint32_t gc_msg_bytes(const cf_type *payload)
{
	if (!payload)
		return 16;
	const cf_shape *s = &payload->decl->shape;
	uint64_t n = 16 + (uint64_t)((s->inline_size + 7) & ~7u);
	if (s->max_out_of_line == CF_UNBOUNDED)
		return MAX_MSG_BYTES;
	n += s->max_out_of_line;
	return n > MAX_MSG_BYTES ? MAX_MSG_BYTES : (uint32_t)n;
}

uint32_t gc_msg_handles(const cf_type *payload)
{
	if (!payload)
		return 0;
	uint32_t h = payload->decl->shape.max_handles;
	return h > MAX_MSG_HANDLES ? MAX_MSG_HANDLES : h;
}

/* ---- flattened parameters ---- */

/* One member as an in parameter: ", uint32_t n", ", const char *s_data,
 * size_t s_size", ... */
static const char *in_param(gc_writer *w, const cf_member *mb)
{
	const cf_type *t = mb->type;
	const char *n = gc_member_name(w, mb->name);
	switch (t->kind) {
	case CF_TYPE_STRING:
		return gc_fmt(w, "const char *%s_data, size_t %s_size", n, n);
	case CF_TYPE_VECTOR: {
		const char *e = gc_type_base(w, t->element);
		if (t->element->kind == CF_TYPE_ARRAY)
			return gc_fmt(w, "const void *%s_data, size_t %s_count",
			              n, n);
		return gc_fmt(w, "const %s%s%s_data, size_t %s_count", e,
		              e[strlen(e) - 1] == '*' ? "" : " *", n, n);
	}
	case CF_TYPE_ARRAY:
		return gc_fmt(w, "const %s", gc_declarator(w, t, n));
	case CF_TYPE_DECL:
		if (t->decl->kind == CF_DECL_ENUM ||
		    t->decl->kind == CF_DECL_BITS)
			return gc_declarator(w, t, n);
		if (t->decl->kind == CF_DECL_STRUCT && t->nullable)
			return gc_fmt(w, "const %s", gc_declarator(w, t, n));
		return gc_fmt(w, "const %s *%s", gc_type_base(w, t), n);
	default:
		return gc_declarator(w, t, n);
	}
}

/* The in parameters of a payload, each preceded by ", ". */
const char *gc_in_params(gc_writer *w, const cf_type *payload)
{
	if (!payload)
		return "";
	if (!gc_is_struct_payload(payload))
		return gc_fmt(w, ", const %s *_payload",
		              gc_decl_name(w, payload->decl));
	const char *s = "";
	for (unsigned i = 0; i < payload->decl->member_count; i++)
		s = gc_fmt(w, "%s, %s", s,
		           in_param(w, &payload->decl->members[i]));
	return s;
}

/* The arguments that pass the members of the decoded payload `p` (a
 * pointer) to a function taking in_params. */
const char *gc_in_args(gc_writer *w, const cf_type *payload)
{
	if (!payload)
		return "";
	if (!gc_is_struct_payload(payload))
		return ", _p";
	const char *s = "";
	for (unsigned i = 0; i < payload->decl->member_count; i++) {
		const cf_member *mb = &payload->decl->members[i];
		const cf_type *t = mb->type;
		const char *n = gc_member_name(w, mb->name);
		const char *a;
		if (t->kind == CF_TYPE_STRING)
			a = gc_fmt(w, "_p->%s.data, (size_t)_p->%s.size", n, n);
		else if (t->kind == CF_TYPE_VECTOR)
			a = gc_fmt(w, "_p->%s.data, (size_t)_p->%s.count", n,
			           n);
		else if (t->kind == CF_TYPE_DECL &&
		         (t->decl->kind == CF_DECL_TABLE ||
		          t->decl->kind == CF_DECL_UNION ||
		          (t->decl->kind == CF_DECL_STRUCT && !t->nullable)))
			a = gc_fmt(w, "&_p->%s", n);
		else
			a = gc_fmt(w, "_p->%s", n);
		s = gc_fmt(w, "%s, %s", s, a);
	}
	return s;
}

/* Statements filling the local `v` (the payload) from in_params. */
void gc_fill_payload(gc_writer *w, const cf_type *payload, const char *v)
{
	if (!gc_is_struct_payload(payload)) {
		gc_printf(w, "\t%s = *_payload;\n", v);
		return;
	}
	for (unsigned i = 0; i < payload->decl->member_count; i++) {
		const cf_member *mb = &payload->decl->members[i];
		const cf_type *t = mb->type;
		const char *n = gc_member_name(w, mb->name);
		if (t->kind == CF_TYPE_STRING)
			gc_printf(w,
			          "\t%s.%s.data = (char *)(uintptr_t)%s_data;\n"
			          "\t%s.%s.size = %s_size;\n",
			          v, n, n, v, n, n);
		else if (t->kind == CF_TYPE_VECTOR)
			gc_printf(w,
			          "\t%s.%s.data = (void *)(uintptr_t)%s_data;\n"
			          "\t%s.%s.count = %s_count;\n",
			          v, n, n, v, n, n);
		else if (t->kind == CF_TYPE_ARRAY)
			gc_printf(w, "\tmemcpy(%s.%s, %s, sizeof(%s.%s));\n", v,
			          n, n, v, n);
		else if (t->kind == CF_TYPE_DECL &&
		         t->decl->kind == CF_DECL_STRUCT && t->nullable)
			gc_printf(w, "\t%s.%s = (%s)(uintptr_t)%s;\n", v, n,
			          gc_type_base(w, t), n);
		else if (t->kind == CF_TYPE_DECL &&
		         (t->decl->kind == CF_DECL_TABLE ||
		          t->decl->kind == CF_DECL_UNION ||
		          t->decl->kind == CF_DECL_STRUCT))
			gc_printf(w, "\t%s.%s = *%s;\n", v, n, n);
		else
			gc_printf(w, "\t%s.%s = %s;\n", v, n, n);
	}
}

/* Out parameters of a response payload: ", uint32_t *out_n". */
const char *gc_out_params(gc_writer *w, const cf_type *payload)
{
	if (!payload)
		return "";
	if (!gc_is_struct_payload(payload))
		return gc_fmt(w, ", %s *out_payload",
		              gc_decl_name(w, payload->decl));
	const char *s = "";
	for (unsigned i = 0; i < payload->decl->member_count; i++) {
		const cf_member *mb = &payload->decl->members[i];
		const char *n = gc_fmt(w, "out_%s", mb->name);
		const char *d =
		    mb->type->kind == CF_TYPE_ARRAY
		        ? gc_declarator(w, mb->type, gc_fmt(w, "(*%s)", n))
		        : gc_declarator(w, mb->type, gc_fmt(w, "*%s", n));
		s = gc_fmt(w, "%s, %s", s, d);
	}
	return s;
}

/* Copies the decoded payload `r` (a pointer) to the out parameters. */
void gc_copy_out(gc_writer *w, const cf_type *payload, const char *r, int ind)
{
	const char *t = "\t\t\t\t";
	if (!payload)
		return;
	if (!gc_is_struct_payload(payload)) {
		gc_printf(w,
		          "%.*sif (out_payload)\n%.*s\t*out_payload = *%s;\n",
		          ind, t, ind, t, r);
		return;
	}
	for (unsigned i = 0; i < payload->decl->member_count; i++) {
		const cf_member *mb = &payload->decl->members[i];
		const char *n = gc_member_name(w, mb->name);
		if (mb->type->kind == CF_TYPE_ARRAY)
			gc_printf(w,
			          "%.*sif (out_%s)\n%.*s\tmemcpy(*out_%s, "
			          "%s->%s, sizeof(*out_%s));\n",
			          ind, t, mb->name, ind, t, mb->name, r, n,
			          mb->name);
		else
			gc_printf(w,
			          "%.*sif (out_%s)\n%.*s\t*out_%s = %s->%s;\n",
			          ind, t, mb->name, ind, t, mb->name, r, n);
		/* Handles nobody asked for are closed, not leaked. */
		const cf_type *ty = mb->type;
		if (ty->kind == CF_TYPE_HANDLE || ty->kind == CF_TYPE_ENDPOINT)
			gc_printf(w,
			          "%.*selse if (%s->%s != ZX_HANDLE_INVALID)\n"
			          "%.*s\tzx_handle_close(%s->%s);\n",
			          ind, t, r, n, ind, t, r, n);
		else if (ty->shape.max_handles && ty->kind == CF_TYPE_DECL &&
		         !ty->nullable)
			gc_printf(
			    w, "%.*selse\n%.*s\t%s_close_handles(&%s->%s);\n",
			    ind, t, ind, t, gc_decl_name(w, ty->decl), r, n);
	}
}

/* ---- messages ---- */

/* Declares the locals of an outgoing message of this payload. */
void gc_msg_locals(gc_writer *w, const cf_type *payload)
{
	uint32_t h = gc_msg_handles(payload);
	gc_printf(w,
	          "\t_Alignas(8) uint8_t _bytes[%" PRIu32 "];\n"
	          "\tzx_handle_disposition_t _handles[%" PRIu32 "];\n"
	          "\tfidl_encoder_t _enc;\n",
	          gc_msg_bytes(payload), h ? h : 1);
	if (payload)
		gc_printf(w, "\t%s _value;\n\tzx_status_t _status;\n",
		          gc_decl_name(w, payload->decl));
	gc_printf(w, "\n");
}

/* Encodes header + `value` into enc; returns on failure. */
void gc_msg_encode(gc_writer *w, const cf_type *payload, const char *name,
                   const char *txid, bool flexible)
{
	gc_printf(
	    w,
	    "\tfidl_encoder_init(&_enc, _bytes, sizeof(_bytes), _handles, "
	    "%" PRIu32 ");\n"
	    "\t(void)fidl_encoder_alloc(&_enc, sizeof(fidl_message_header_t));"
	    "\n"
	    "\tfidl_init_header((fidl_message_header_t *)(void *)_bytes, %s, "
	    "%sOrdinal, %s);\n",
	    gc_msg_handles(payload), txid, name, flexible ? "true" : "false");
	if (payload)
		gc_printf(w,
		          "\t_status = %s_encode(&_value, &_enc);\n"
		          "\tif (_status != ZX_OK)\n\t\treturn _status;\n",
		          gc_decl_name(w, payload->decl));
}

/* ---- declarations ---- */

static void ordinals(gc_writer *w, const cf_decl *p)
{
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		gc_printf(w,
		          "#define %sOrdinal ((uint64_t)0x%016" PRIx64 "u)\n",
		          gc_method_name(w, p, m), m->ordinal);
	}
}

/* The payload the server gets and the reply sends (for `error` and
 * flexible two-way methods: the success payload). */
const cf_type *gc_reply_payload(const cf_method *m)
{
	return m->result_union ? m->success_payload : m->response_payload;
}

const char *gc_err_type(gc_writer *w, const cf_method *m)
{
	return m->error_type ? gc_type_base(w, m->error_type) : NULL;
}

void gc_client_proto(gc_writer *w, const cf_decl *p, const cf_method *m,
                     bool def)
{
	const char *name = gc_method_name(w, p, m);
	const char *ret = def ? "\n" : " ";
	if (!m->has_request)
		return;
	if (!m->has_response) {
		gc_printf(w, "zx_status_t%s%s(zx_handle_t _channel%s)", ret,
		          name, gc_in_params(w, m->request_payload));
		return;
	}
	const cf_type *rp = gc_reply_payload(m);
	bool ool = rp && rp->decl->shape.max_out_of_line > 0;
	gc_printf(w, "zx_status_t%s%s(zx_handle_t _channel%s%s%s%s)", ret, name,
	          gc_in_params(w, m->request_payload),
	          ool ? ", void *_resp_buf, uint32_t _resp_buf_size" : "",
	          gc_out_params(w, rp),
	          m->error_type ? gc_fmt(w, ", %s *out_err", gc_err_type(w, m))
	                        : "");
}

static void header_protocol(gc_writer *w, const cf_decl *p)
{
	const char *pn = gc_decl_name(w, p);
	gc_printf(w, "\n/* protocol %s (%s) */\n", p->full_name,
	          p->openness == CF_OPEN   ? "open"
	          : p->openness == CF_AJAR ? "ajar"
	                                   : "closed");
	ordinals(w, p);

	gc_printf(w,
	          "\n/* Synchronous client: zx_channel_call and write. */\n");
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		if (!m->has_request)
			continue;
		gc_doc(w, &m->attrs, 0);
		gc_client_proto(w, p, &p->methods[i], false);
		gc_printf(w, ";\n");
	}

	gc_printf(w,
	          "\n/* Server: one operation per method; two-way ones "
	          "reply through the txn,\n * now or later "
	          "(%sM_reply). */\n",
	          pn);
	gc_printf(w, "typedef struct %s_ops {\n", pn);
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		if (!m->has_request)
			continue;
		gc_printf(w, "\tzx_status_t (*%s)(void *_ctx%s%s);\n", m->name,
		          gc_in_params(w, m->request_payload),
		          m->has_response ? ", fidl_txn_t *_txn" : "");
	}
	gc_printf(w,
	          "\t/* A flexible method this server does not know (RFC-0138; "
	          "may be NULL). */\n"
	          "\tvoid (*unknown_method)(void *_ctx, uint64_t ordinal, bool "
	          "two_way);\n} %s_ops_t;\n",
	          pn);
	gc_printf(
	    w,
	    "/* ZX_ERR_NOT_SUPPORTED (msg untouched) for an unknown "
	    "ordinal. */\n"
	    "zx_status_t %s_try_dispatch(void *_ctx, fidl_txn_t *_txn, "
	    "fidl_incoming_msg_t *_msg, const %s_ops_t *_ops);\n"
	    "/* Any status but ZX_OK asks the binding to close the channel "
	    "with it as\n * epitaph; unknown methods are handled per "
	    "RFC-0138. */\n"
	    "zx_status_t %s_dispatch(void *_ctx, fidl_txn_t *_txn, "
	    "fidl_incoming_msg_t *_msg, const %s_ops_t *_ops);\n",
	    pn, pn, pn, pn);
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		const char *name = gc_method_name(w, p, m);
		if (m->has_request && m->has_response) {
			gc_printf(w,
			          "zx_status_t %s_reply(fidl_txn_t *_txn%s);\n",
			          name, gc_in_params(w, gc_reply_payload(m)));
			if (m->error_type)
				gc_printf(
				    w,
				    "zx_status_t %s_reply_error(fidl_txn_t "
				    "*_txn, %s _err);\n",
				    name, gc_err_type(w, m));
		}
		if (!m->has_request)
			gc_printf(
			    w,
			    "/* event */\nzx_status_t %s_send_%s(zx_handle_t "
			    "_channel%s);\n",
			    pn, m->name, gc_in_params(w, m->response_payload));
	}

	gc_printf(w, "\n/* Asynchronous client on a cfidl_client_t: the "
	             "callback gets the raw\n * response; decode it with "
	             "..._decode_response (in place). */\n");
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		const char *name = gc_method_name(w, p, m);
		if (!m->has_request || !m->has_response)
			continue;
		gc_printf(w,
		          "zx_status_t %s_async(cfidl_client_t *_client%s, "
		          "cfidl_response_fn _cb, void *_cb_ctx);\n",
		          name, gc_in_params(w, m->request_payload));
		if (m->response_payload)
			gc_printf(w,
			          "zx_status_t "
			          "%s_decode_response(fidl_incoming_msg_t "
			          "*_msg, %s **out);\n",
			          name,
			          gc_decl_name(w, m->response_payload->decl));
		else
			gc_printf(w,
			          "zx_status_t "
			          "%s_decode_response(fidl_incoming_msg_t "
			          "*_msg);\n",
			          name);
	}
	gc_printf(w, "typedef struct %s_event_handlers {\n", pn);
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		if (m->has_request)
			continue;
		gc_printf(w, "\tvoid (*%s)(void *_ctx%s);\n", m->name,
		          gc_in_params(w, m->response_payload));
	}
	gc_printf(w,
	          "\t/* A flexible event this client does not know (may be "
	          "NULL). */\n"
	          "\tvoid (*unknown_event)(void *_ctx, uint64_t ordinal);\n"
	          "} %s_event_handlers_t;\n"
	          "/* Decodes an event (txid 0) and calls its handler; unknown "
	          "strict events\n * and bad messages give an error. */\n"
	          "zx_status_t %s_handle_event(const %s_event_handlers_t "
	          "*_handlers, void *_ctx,\n\tfidl_incoming_msg_t *_msg);\n",
	          pn, pn, pn);
}

void gc_protocol_header(gc_writer *w)
{
	for (unsigned i = 0; i < w->lib->decl_count; i++)
		if (w->lib->decls[i]->kind == CF_DECL_PROTOCOL)
			header_protocol(w, w->lib->decls[i]);
}

/* Decodes the body of msg as payload (or checks it is empty) into the
 * local `p`; on failure returns the status (handles closed). */
void gc_decode_body(gc_writer *w, const cf_type *payload, int ind)
{
	const char *t = "\t\t\t\t";
	if (!payload) {
		gc_printf(
		    w,
		    "%.*sif (_msg->num_bytes != sizeof(fidl_message_header_t) "
		    "|| _msg->num_handles != 0) {\n"
		    "%.*s\tcfidl_gen_close_infos(_msg->handles, "
		    "_msg->num_handles);\n"
		    "%.*s\treturn ZX_ERR_INVALID_ARGS;\n%.*s}\n",
		    ind, t, ind, t, ind, t, ind, t);
		return;
	}
	gc_printf(w,
	          "%.*sfidl_decoder_t _dec;\n%.*s%s *_p = NULL;\n"
	          "%.*sfidl_decoder_init(&_dec, (uint8_t *)_msg->bytes + "
	          "sizeof(fidl_message_header_t),\n%.*s\t_msg->num_bytes - "
	          "(uint32_t)sizeof(fidl_message_header_t), _msg->handles, "
	          "_msg->num_handles);\n"
	          "%.*s_status = %s_decode(&_dec, &_p);\n"
	          "%.*sif (_status != ZX_OK)\n%.*s\treturn _status;\n",
	          ind, t, ind, t, gc_decl_name(w, payload->decl), ind, t, ind,
	          t, ind, t, gc_decl_name(w, payload->decl), ind, t, ind, t);
}

static void source_protocol(gc_writer *w, const cf_decl *p)
{
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		if (m->has_request)
			gc_client_def(w, p, m);
		if (m->has_request && m->has_response) {
			gc_decode_response_def(w, p, m);
			gc_async_def(w, p, m);
			gc_reply_def(w, p, m, false);
			if (m->error_type)
				gc_reply_def(w, p, m, true);
		}
		if (!m->has_request)
			gc_event_def(w, p, m);
	}
	gc_dispatch_def(w, p);
	gc_handle_event_def(w, p);
}

bool gc_has_protocols(const cf_library *lib)
{
	for (unsigned i = 0; i < lib->decl_count; i++)
		if (lib->decls[i]->kind == CF_DECL_PROTOCOL)
			return true;
	return false;
}

void gc_protocol_source(gc_writer *w)
{
	if (!gc_has_protocols(w->lib))
		return;
	bool two_way = false;
	for (unsigned i = 0; i < w->lib->decl_count; i++) {
		const cf_decl *d = w->lib->decls[i];
		for (unsigned j = 0;
		     d->kind == CF_DECL_PROTOCOL && j < d->method_count; j++)
			two_way |= d->methods[j].has_request &&
			           d->methods[j].has_response;
	}
	if (two_way)
		gc_printf(w,
		          "\n/* A transaction id for a synchronous call: never "
		          "0, high "
		          "bit clear. */\n"
		          "static zx_txid_t cfidl_gen_txid(void)\n{\n"
		          "\tstatic atomic_uint next;\n"
		          "\treturn (zx_txid_t)(atomic_fetch_add(&next, 1u) %% "
		          "0x7fffffffu) + 1u;\n}\n");
	gc_printf(w, "\n/* Closes the handles of a message nobody took. */\n"
	             "static void cfidl_gen_close_infos(const zx_handle_info_t "
	             "*_handles, uint32_t n)\n{\n"
	             "\tfor (uint32_t i = 0; i < n; i++)\n"
	             "\t\tzx_handle_close(_handles[i].handle);\n}\n");
	for (unsigned i = 0; i < w->lib->decl_count; i++)
		if (w->lib->decls[i]->kind == CF_DECL_PROTOCOL)
			source_protocol(w, w->lib->decls[i]);
}
