/* The server side of a protocol: replies (and error replies), event
 * senders, and the dispatcher with RFC-0138's rules for unknown methods. */
#include "gen_c_internal.h"

#include <inttypes.h>
#include <string.h>

/* A reply (result: the member of the result union it sends, or NULL). */
void gc_reply_def(gc_writer *w, const cf_decl *p, const cf_method *m,
                  bool error)
{
	const char *name = gc_method_name(w, p, m);
	const cf_type *rp = m->response_payload;
	const cf_type *sp = gc_reply_payload(m);
	if (error)
		gc_printf(w,
		          "\n/* Replies to %s.%s with an error. */\n"
		          "zx_status_t %s_reply_error(fidl_txn_t *_txn, %s "
		          "_err)\n{\n",
		          p->full_name, m->name, name, gc_err_type(w, m));
	else
		gc_printf(w,
		          "\n/* Replies to %s.%s. */\n"
		          "zx_status_t %s_reply(fidl_txn_t *_txn%s)\n{\n",
		          p->full_name, m->name, name, gc_in_params(w, sp));
	gc_msg_locals(w, rp);
	gc_printf(w, "\tfidl_outgoing_msg_t _msg;\n");
	if (m->result_union && sp && !error)
		gc_printf(w, "\t%s _success;\n", gc_decl_name(w, sp->decl));
	if (!rp)
		gc_printf(w, "\n");
	else
		gc_printf(w, "\n\tmemset(&_value, 0, sizeof(_value));\n");
	if (m->result_union && error) {
		gc_printf(w,
		          "\t_value.tag = %s_Tag_err;\n"
		          "\t_value.envelope.data = &_err;\n",
		          gc_decl_name(w, m->result_union));
	} else if (m->result_union && sp) {
		gc_printf(w,
		          "\tmemset(&_success, 0, sizeof(_success));\n"
		          "\t_value.tag = %s_Tag_response;\n"
		          "\t_value.envelope.data = &_success;\n",
		          gc_decl_name(w, m->result_union));
		gc_fill_payload(w, sp, "_success");
	} else if (rp) {
		gc_fill_payload(w, rp, "_value");
	}
	gc_msg_encode(w, rp, name, "0", !m->strict);
	gc_printf(w, "\t_msg.bytes = _bytes;\n\t_msg.num_bytes = _enc.size;\n"
	             "\t_msg.handles = _handles;\n"
	             "\t_msg.num_handles = _enc.handle_count;\n"
	             "\treturn _txn->reply(_txn, &_msg);\n}\n");
}

void gc_event_def(gc_writer *w, const cf_decl *p, const cf_method *m)
{
	const char *pn = gc_decl_name(w, p);
	const cf_type *ep = m->response_payload;
	gc_printf(w,
	          "\n/* Sends the event %s.%s. */\n"
	          "zx_status_t %s_send_%s(zx_handle_t _channel%s)\n{\n",
	          p->full_name, m->name, pn, m->name, gc_in_params(w, ep));
	gc_msg_locals(w, ep);
	if (ep) {
		gc_printf(w, "\tmemset(&_value, 0, sizeof(_value));\n");
		gc_fill_payload(w, ep, "_value");
	}
	gc_msg_encode(w, ep, gc_method_name(w, p, m), "0", !m->strict);
	gc_printf(w, "\treturn zx_channel_write_etc(_channel, 0, _bytes, "
	             "_enc.size, _handles, _enc.handle_count);\n}\n");
}

void gc_dispatch_def(gc_writer *w, const cf_decl *p)
{
	const char *pn = gc_decl_name(w, p);
	gc_printf(w,
	          "\n/* Decodes a request of %s and calls its operation. */\n"
	          "zx_status_t %s_try_dispatch(void *_ctx, fidl_txn_t *_txn, "
	          "fidl_incoming_msg_t *_msg, const %s_ops_t *_ops)\n{\n"
	          "\tconst fidl_message_header_t *_hdr = (const "
	          "fidl_message_header_t *)_msg->bytes;\n"
	          "\tzx_status_t _status;\n\n"
	          "\tif (_msg->num_bytes < sizeof(fidl_message_header_t) ||\n"
	          "\t    fidl_validate_header(_hdr) != ZX_OK) {\n"
	          "\t\tcfidl_gen_close_infos(_msg->handles, "
	          "_msg->num_handles);\n"
	          "\t\treturn ZX_ERR_INVALID_ARGS;\n\t}\n"
	          "\tswitch (_hdr->ordinal) {\n",
	          p->full_name, pn, pn);
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		if (!m->has_request)
			continue;
		const cf_type *req = m->request_payload;
		gc_printf(w, "\tcase %sOrdinal: {\n", gc_method_name(w, p, m));
		/* An entry left NULL is a method this server does not
		 * implement: its binding closes with NOT_SUPPORTED. */
		gc_printf(w,
		          "\t\tif (_ops->%s == NULL) {\n"
		          "\t\t\tcfidl_gen_close_infos(_msg->handles, "
		          "_msg->num_handles);\n"
		          "\t\t\treturn ZX_ERR_NOT_SUPPORTED;\n\t\t}\n",
		          m->name);
		gc_printf(w,
		          "\t\tif ((_hdr->txid == 0) != %s) {\n"
		          "\t\t\tcfidl_gen_close_infos(_msg->handles, "
		          "_msg->num_handles);\n"
		          "\t\t\treturn ZX_ERR_INVALID_ARGS;\n\t\t}\n",
		          m->has_response ? "false" : "true");
		gc_decode_body(w, req, 2);
		gc_printf(w, "\t\treturn _ops->%s(_ctx%s%s);\n\t}\n", m->name,
		          gc_in_args(w, req), m->has_response ? ", _txn" : "");
	}
	gc_printf(
	    w, "\tdefault:\n\t\t(void)_ctx;\n\t\t(void)_txn;\n\t\t(void)_ops;\n"
	       "\t\t(void)_status;\n"
	       "\t\treturn ZX_ERR_NOT_SUPPORTED;\n\t}\n}\n");

	bool two_way_ok = p->openness == CF_OPEN;
	bool one_way_ok = p->openness != CF_CLOSED;
	gc_printf(
	    w,
	    "\n/* Dispatches, and handles unknown methods per RFC-0138 "
	    "(%s protocol). */\n"
	    "zx_status_t %s_dispatch(void *_ctx, fidl_txn_t *_txn, "
	    "fidl_incoming_msg_t *_msg, const %s_ops_t *_ops)\n{\n"
	    "\tconst fidl_message_header_t *_hdr = (const "
	    "fidl_message_header_t *)_msg->bytes;\n"
	    "\tzx_status_t _status = %s_try_dispatch(_ctx, _txn, _msg, _ops);\n"
	    "\tbool _known = true;\n\n"
	    "\tif (_status != ZX_ERR_NOT_SUPPORTED)\n\t\treturn _status;\n"
	    "\tswitch (_hdr->ordinal) {\n",
	    p->openness == CF_OPEN   ? "open"
	    : p->openness == CF_AJAR ? "ajar"
	                             : "closed",
	    pn, pn, pn);
	for (unsigned i = 0; i < p->method_count; i++) {
		const cf_method *m = &p->methods[i];
		if (m->has_request)
			gc_printf(w, "\tcase %sOrdinal:\n",
			          gc_method_name(w, p, m));
	}
	gc_printf(w,
	          "\t\tbreak; /* a known method's own status */\n"
	          "\tdefault:\n\t\t_known = false;\n\t}\n"
	          "\tif (_known)\n\t\treturn _status;\n"
	          "\t/* unknown: the handles are not kept */\n"
	          "\tcfidl_gen_close_infos(_msg->handles, _msg->num_handles);\n"
	          "\tif (!fidl_header_is_flexible(_hdr))\n"
	          "\t\treturn FIDL_UNKNOWN_METHOD_EPITAPH;\n");
	if (one_way_ok)
		gc_printf(
		    w,
		    "\tif (_hdr->txid == 0) {\n\t\tif "
		    "(_ops->unknown_method)\n\t\t\t_ops->unknown_method(_ctx, "
		    "_hdr->ordinal, false);\n\t\treturn ZX_OK;\n\t}\n");
	if (two_way_ok)
		gc_printf(
		    w,
		    "\tif (_hdr->txid != 0) {\n"
		    "\t\t/* framework_err UNKNOWN_METHOD: a result union, "
		    "tag 3, int32 _inlined */\n"
		    "\t\t_Alignas(8) uint8_t _bytes[40];\n"
		    "\t\tint32_t _err = FIDL_FRAMEWORK_ERR_UNKNOWN_METHOD;\n"
		    "\t\tuint16_t _inlined = FIDL_ENVELOPE_INLINED;\n"
		    "\t\tfidl_outgoing_msg_t _reply;\n"
		    "\t\tmemset(_bytes, 0, sizeof(_bytes));\n"
		    "\t\tfidl_init_header((fidl_message_header_t *)(void "
		    "*)_bytes, _hdr->txid, _hdr->ordinal, true);\n"
		    "\t\tfidl_store64(_bytes + 16, 3);\n"
		    "\t\tmemcpy(_bytes + 24, &_err, 4);\n"
		    "\t\tmemcpy(_bytes + 30, &_inlined, 2);\n"
		    "\t\t_reply.bytes = _bytes;\n\t\t_reply.num_bytes = 32;\n"
		    "\t\t_reply.handles = NULL;\n\t\t_reply.num_handles = 0;\n"
		    "\t\tif (_ops->unknown_method)\n"
		    "\t\t\t_ops->unknown_method(_ctx, _hdr->ordinal, true);\n"
		    "\t\treturn _txn->reply(_txn, &_reply);\n\t}\n");
	gc_printf(w, "\t(void)_ctx;\n\t(void)_txn;\n"
	             "\treturn FIDL_UNKNOWN_METHOD_EPITAPH;\n}\n");
}
