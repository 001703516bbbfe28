/* Shared by the C back end's files: the output, C names and C types. */
#ifndef CFIDL_COMPILER_GEN_C_INTERNAL_H
#define CFIDL_COMPILER_GEN_C_INTERNAL_H

#include <stdio.h>

#include "arena.h"
#include "model.h"

typedef struct gc_writer {
	FILE *out;
	const cf_library *lib;
	cf_arena strings; /* every name built during one run */
	int err;          /* first errno of a failed write */
} gc_writer;

void gc_printf(gc_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A string that lives until the run ends. */
const char *gc_fmt(gc_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "fuchsia.vsock" -> "fuchsia_vsock" */
const char *gc_lib_prefix(gc_writer *w, const cf_library *lib);
/* "fuchsia_vsock_Addr" */
const char *gc_decl_name(gc_writer *w, const cf_decl *d);
/* A member name that is no C or C++ keyword ("default" -> "default_"). */
const char *gc_member_name(gc_writer *w, const char *name);
/* The C type of a value of t, without array bounds ("fidl_string_t"). */
const char *gc_type_base(gc_writer *w, const cf_type *t);
/* "[3][2]" for arrays, "" otherwise. */
const char *gc_type_suffix(gc_writer *w, const cf_type *t);
/* A declaration "uint8_t name[4]" of a value of t. */
const char *gc_declarator(gc_writer *w, const cf_type *t, const char *name);
/* How the FIDL source spells t, for comments ("vector<uint8>:16"). */
const char *gc_fidl_type(gc_writer *w, const cf_type *t);
/* The C literal of an integer value of primitive p. */
const char *gc_int_literal(gc_writer *w, cf_prim p, const cf_value *v);
/* Writes the decl's doc comment, indented by `indent` tabs. */
void gc_doc(gc_writer *w, const cf_attrs *attrs, int indent);

/* gen_c_types.c: consts, enums, bits, aliases and layouts, with static
 * asserts of the wire shape. */
void gc_types_header(gc_writer *w);

/* gen_c_codec.c: encode/decode/close_handles per struct, table, union
 * (prototypes and whole messages), and what gen_c_encode.c and
 * gen_c_decode.c share. */
void gc_codec_header(gc_writer *w);
void gc_codec_source(gc_writer *w);
/* True when a value's C bytes are its wire bytes with nothing to check
 * when encoding (or, with decoding, when decoding). */
bool gc_plain(const cf_type *t, bool decoding);
bool gc_struct_is_plain(const cf_decl *d, bool decoding);
bool gc_is_enum_or_bits(const cf_type *t);
/* Output of one statement line at indent n, and "if (status != ZX_OK)
 * return status;". */
void gc_ind(gc_writer *w, int n);
void gc_line(gc_writer *w, int n, const char *s);
void gc_check_status(gc_writer *w, int n);
/* "T *" or "T (*)[N]"; a declaration of such a pointer named name. */
const char *gc_ptr_type(gc_writer *w, const cf_type *t);
const char *gc_ptr_decl(gc_writer *w, const cf_type *t, const char *name);
/* A bound as a C argument ("UINT32_MAX" when unbounded). */
const char *gc_bound_arg(gc_writer *w, uint32_t max);
/* The object type and rights a handle or endpoint is declared with. */
void gc_handle_args(gc_writer *w, const cf_type *t, const char **type,
                    const char **rights);
/* The head of an encode_at / decode_at function, and their parameters. */
void gc_fn_head(gc_writer *w, const cf_decl *d, const char *what,
                const char *params);
const char *gc_enc_params(gc_writer *w, const cf_decl *d);
extern const char *const gc_dec_params;
/* gen_c_encode.c */
void gc_enc_struct(gc_writer *w, const cf_decl *d);
void gc_enc_table(gc_writer *w, const cf_decl *d);
void gc_enc_union(gc_writer *w, const cf_decl *d);
/* lib_T_close_unencoded: after a failed top-level encode, closes the
 * handles of the value the encoder had not taken. */
void gc_close_unencoded_fn(gc_writer *w, const cf_decl *d);
/* gen_c_decode.c */
void gc_dec_struct(gc_writer *w, const cf_decl *d);
void gc_dec_table(gc_writer *w, const cf_decl *d);
void gc_dec_union(gc_writer *w, const cf_decl *d);
void gc_close_fn(gc_writer *w, const cf_decl *d);

/* gen_c_protocol.c: ordinals and declarations of clients, servers and
 * events; what gen_c_client.c and gen_c_server.c share. */
bool gc_has_protocols(const cf_library *lib);
void gc_protocol_header(gc_writer *w);
void gc_protocol_source(gc_writer *w);
bool gc_is_struct_payload(const cf_type *payload);
/* "lib_PM" */
const char *gc_method_name(gc_writer *w, const cf_decl *p, const cf_method *m);
/* Bytes (header included) and handles a message of this payload may need,
 * capped at the channel limits. */
uint32_t gc_msg_bytes(const cf_type *payload);
uint32_t gc_msg_handles(const cf_type *payload);
/* A payload as flattened parameters (", T a, const char *s_data, ..."),
 * the arguments passing a decoded payload `_p` to them, the statements
 * filling the local v from them, and the out parameters of a response
 * with the statements copying `r` (a decoded payload) to them. */
const char *gc_in_params(gc_writer *w, const cf_type *payload);
const char *gc_in_args(gc_writer *w, const cf_type *payload);
void gc_fill_payload(gc_writer *w, const cf_type *payload, const char *v);
const char *gc_out_params(gc_writer *w, const cf_type *payload);
void gc_copy_out(gc_writer *w, const cf_type *payload, const char *r, int ind);
/* The locals of an outgoing message, and its header + body encoding. */
void gc_msg_locals(gc_writer *w, const cf_type *payload);
void gc_msg_encode(gc_writer *w, const cf_type *payload, const char *name,
                   const char *txid, bool flexible);
/* Decodes msg's body as payload into `_p` (or checks it is empty). */
void gc_decode_body(gc_writer *w, const cf_type *payload, int ind);
/* What a server replies with (the success payload of a result union). */
const cf_type *gc_reply_payload(const cf_method *m);
const char *gc_err_type(gc_writer *w, const cf_method *m);
void gc_client_proto(gc_writer *w, const cf_decl *p, const cf_method *m,
                     bool def);
/* gen_c_client.c */
void gc_client_def(gc_writer *w, const cf_decl *p, const cf_method *m);
void gc_decode_response_def(gc_writer *w, const cf_decl *p, const cf_method *m);
void gc_async_def(gc_writer *w, const cf_decl *p, const cf_method *m);
void gc_handle_event_def(gc_writer *w, const cf_decl *p);
/* gen_c_server.c */
void gc_reply_def(gc_writer *w, const cf_decl *p, const cf_method *m,
                  bool error);
void gc_event_def(gc_writer *w, const cf_decl *p, const cf_method *m);
void gc_dispatch_def(gc_writer *w, const cf_decl *p);

#endif
