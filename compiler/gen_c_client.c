/* The client side of a protocol: the synchronous call of each method, the
 * decoding of its response, its asynchronous send on a cfidl_client_t, and
 * the dispatch of events to handlers. */
#include "gen_c_internal.h"

#include <inttypes.h>
#include <string.h>

void gc_client_def(gc_writer *w, const cf_decl *p, const cf_method *m)
{
	const char *name = gc_method_name(w, p, m);
	const cf_type *req = m->request_payload;
	gc_printf(w, "\n/* %s.%s: %s, %s */\n", p->full_name, m->name,
	          m->has_response ? "two-way" : "one-way",
	          m->strict ? "strict" : "flexible");
	gc_client_proto(w, p, m, true);
	gc_printf(w, "\n{\n");
	gc_msg_locals(w, req);
	if (!req)
		gc_printf(w, "\tzx_status_t _status;\n");
	if (m->has_response) {
		const cf_type *rp = m->response_payload;
		bool ool = gc_reply_payload(m) &&
		           gc_reply_payload(m)->decl->shape.max_out_of_line > 0;
		uint32_t rh = gc_msg_handles(rp);
		if (!ool)
			gc_printf(w,
			          "\t_Alignas(8) uint8_t _rd_bytes[%" PRIu32
			          "];\n",
			          gc_msg_bytes(rp));
		gc_printf(w,
		          "\tzx_handle_info_t _rd_handles[%" PRIu32 "];\n"
		          "\tuint32_t _actual_bytes = 0, _actual_handles = 0;\n"
		          "\tzx_channel_call_etc_args_t _args;\n"
		          "\tfidl_incoming_msg_t _reply;\n",
		          rh ? rh : 1);
		if (rp)
			gc_printf(w, "\t%s *_r = NULL;\n",
			          gc_decl_name(w, rp->decl));
		gc_printf(w, "\n");
	}
	if (req) {
		gc_printf(w, "\tmemset(&_value, 0, sizeof(_value));\n");
		gc_fill_payload(w, req, "_value");
	}
	gc_msg_encode(w, req, name, m->has_response ? "cfidl_gen_txid()" : "0",
	              !m->strict);
	if (!m->has_response) {
		gc_printf(
		    w, "\t_status = zx_channel_write_etc(_channel, 0, _bytes, "
		       "_enc.size, _handles, _enc.handle_count);\n"
		       "\treturn _status;\n}\n");
		return;
	}
	const cf_type *rp = m->response_payload;
	bool ool = gc_reply_payload(m) &&
	           gc_reply_payload(m)->decl->shape.max_out_of_line > 0;
	gc_printf(
	    w,
	    "\t_args.wr_bytes = _bytes;\n\t_args.wr_handles = _handles;\n"
	    "\t_args.wr_num_bytes = _enc.size;\n"
	    "\t_args.wr_num_handles = _enc.handle_count;\n"
	    "\t_args.rd_bytes = %s;\n\t_args.rd_handles = _rd_handles;\n"
	    "\t_args.rd_num_bytes = %s;\n"
	    "\t_args.rd_num_handles = %" PRIu32 ";\n"
	    "\t_status = zx_channel_call_etc(_channel, 0, ZX_TIME_INFINITE, "
	    "&_args, &_actual_bytes, &_actual_handles);\n"
	    "\tif (_status != ZX_OK)\n\t\treturn _status;\n"
	    "\t_reply.bytes = %s;\n\t_reply.num_bytes = _actual_bytes;\n"
	    "\t_reply.handles = _rd_handles;\n"
	    "\t_reply.num_handles = _actual_handles;\n",
	    ool ? "_resp_buf" : "_rd_bytes",
	    ool ? "_resp_buf_size" : "sizeof(_rd_bytes)", gc_msg_handles(rp),
	    ool ? "_resp_buf" : "_rd_bytes");
	if (!rp) {
		gc_printf(w, "\treturn %s_decode_response(&_reply);\n}\n",
		          name);
		return;
	}
	gc_printf(w,
	          "\t_status = %s_decode_response(&_reply, &_r);\n"
	          "\tif (_status != ZX_OK)\n\t\treturn _status;\n",
	          name);
	if (!m->result_union) {
		gc_copy_out(w, rp, "_r", 1);
		gc_printf(w, "\treturn ZX_OK;\n}\n");
		return;
	}
	const char *un = gc_decl_name(w, m->result_union);
	const cf_type *sp = m->success_payload;
	gc_printf(w, "\tswitch (_r->tag) {\n\tcase %s_Tag_response: {\n", un);
	if (sp)
		gc_printf(w,
		          "\t\tconst %s *_s = (const %s *)fidl_envelope_value("
		          "&_r->envelope);\n",
		          gc_decl_name(w, sp->decl), gc_decl_name(w, sp->decl));
	if (sp)
		gc_printf(w, "\t\t(void)_s;\n");
	gc_copy_out(w, sp, "_s", 2);
	gc_printf(w, "\t\treturn ZX_OK;\n\t}\n");
	if (m->error_type)
		gc_printf(w,
		          "\tcase %s_Tag_err:\n"
		          "\t\tif (out_err)\n\t\t\tmemcpy(out_err, "
		          "fidl_envelope_value(&_r->envelope), "
		          "sizeof(*out_err));\n"
		          "\t\treturn ZX_OK;\n",
		          un);
	gc_printf(w, "\tdefault: /* framework_err: UNKNOWN_METHOD */\n"
	             "\t\treturn ZX_ERR_NOT_SUPPORTED;\n\t}\n}\n");
}

void gc_decode_response_def(gc_writer *w, const cf_decl *p, const cf_method *m)
{
	const char *name = gc_method_name(w, p, m);
	const cf_type *rp = m->response_payload;
	gc_printf(w, "\n/* Checks msg is %s.%s's response and decodes it. */\n",
	          p->full_name, m->name);
	if (rp)
		gc_printf(w,
		          "zx_status_t %s_decode_response(fidl_incoming_msg_t "
		          "*_msg, %s **out)\n{\n\tzx_status_t _status;\n",
		          name, gc_decl_name(w, rp->decl));
	else
		gc_printf(w,
		          "zx_status_t %s_decode_response(fidl_incoming_msg_t "
		          "*_msg)\n{\n",
		          name);
	gc_printf(
	    w,
	    "\tconst fidl_message_header_t *_hdr = (const "
	    "fidl_message_header_t *)_msg->bytes;\n"
	    "\tif (_msg->num_bytes < sizeof(fidl_message_header_t) ||\n"
	    "\t    fidl_validate_header(_hdr) != ZX_OK || _hdr->ordinal != "
	    "%sOrdinal) {\n"
	    "\t\tcfidl_gen_close_infos(_msg->handles, "
	    "_msg->num_handles);\n"
	    "\t\treturn ZX_ERR_INVALID_ARGS;\n\t}\n",
	    name);
	gc_decode_body(w, rp, 1);
	if (rp)
		gc_printf(w, "\t*out = _p;\n");
	gc_printf(w, "\treturn ZX_OK;\n}\n");
}

void gc_async_def(gc_writer *w, const cf_decl *p, const cf_method *m)
{
	const char *name = gc_method_name(w, p, m);
	const cf_type *req = m->request_payload;
	gc_printf(w,
	          "\n/* Sends %s.%s on client; cb gets the response. */\n"
	          "zx_status_t %s_async(cfidl_client_t *_client%s, "
	          "cfidl_response_fn _cb, void *_cb_ctx)\n{\n",
	          p->full_name, m->name, name, gc_in_params(w, req));
	gc_msg_locals(w, req);
	gc_printf(w, "\tfidl_outgoing_msg_t _msg;\n\n");
	if (req) {
		gc_printf(w, "\tmemset(&_value, 0, sizeof(_value));\n");
		gc_fill_payload(w, req, "_value");
	}
	gc_msg_encode(w, req, name, "0", !m->strict);
	gc_printf(
	    w,
	    "\t_msg.bytes = _bytes;\n\t_msg.num_bytes = _enc.size;\n"
	    "\t_msg.handles = _handles;\n"
	    "\t_msg.num_handles = _enc.handle_count;\n"
	    "\treturn cfidl_client_call(_client, &_msg, _cb, _cb_ctx);\n}\n");
}

void gc_handle_event_def(gc_writer *w, const cf_decl *p)
{
	const char *pn = gc_decl_name(w, p);
	gc_printf(
	    w,
	    "\n/* Decodes an event of %s and calls its handler. */\n"
	    "zx_status_t %s_handle_event(const %s_event_handlers_t "
	    "*_handlers, void *_ctx,\n\tfidl_incoming_msg_t *_msg)\n{\n"
	    "\tconst fidl_message_header_t *_hdr = (const "
	    "fidl_message_header_t *)_msg->bytes;\n"
	    "\tzx_status_t _status;\n\n"
	    "\tif (_msg->num_bytes < sizeof(fidl_message_header_t) ||\n"
	    "\t    fidl_validate_header(_hdr) != ZX_OK || _hdr->txid != 0) {\n"
	    "\t\tcfidl_gen_close_infos(_msg->handles, "
	    "_msg->num_handles);\n"
	    "\t\treturn ZX_ERR_INVALID_ARGS;\n\t}\n"
	    "\tswitch (_hdr->ordinal) {\n",
	    p->full_name, pn, pn);
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		if (m->has_request)
			continue;
		const cf_type *ep = m->response_payload;
		gc_printf(w, "\tcase %sOrdinal: {\n", gc_method_name(w, p, m));
		gc_decode_body(w, ep, 2);
		gc_printf(
		    w, "\t\tif (_handlers->%s)\n\t\t\t_handlers->%s(_ctx%s);\n",
		    m->name, m->name, gc_in_args(w, ep));
		if (ep && ep->decl->shape.max_handles)
			gc_printf(w, "\t\telse\n\t\t\t%s_close_handles(_p);\n",
			          gc_decl_name(w, ep->decl));
		gc_printf(w, "\t\treturn ZX_OK;\n\t}\n");
	}
	gc_printf(w, "\tdefault:\n"
	             "\t\tcfidl_gen_close_infos(_msg->handles, "
	             "_msg->num_handles);\n"
	             "\t\t(void)_status;\n");
	/* RFC-0138: a closed protocol has no unknown interactions to
	 * tolerate; ajar and open ones pass flexible events on. */
	if (p->openness == CF_CLOSED)
		gc_printf(w, "\t\t(void)_handlers;\n\t\t(void)_ctx;\n"
		             "\t\treturn ZX_ERR_NOT_SUPPORTED;\n\t}\n}\n");
	else
		gc_printf(w, "\t\tif (!fidl_header_is_flexible(_hdr))\n"
		             "\t\t\treturn ZX_ERR_NOT_SUPPORTED;\n"
		             "\t\tif (_handlers->unknown_event)\n"
		             "\t\t\t_handlers->unknown_event(_ctx, "
		             "_hdr->ordinal);\n"
		             "\t\treturn ZX_OK;\n\t}\n}\n");
}
