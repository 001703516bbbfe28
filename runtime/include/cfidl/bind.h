/*
 * <cfidl/bind.h>: messages, transactions, epitaphs, and server and async
 * client bindings of a channel on a cfidl_loop_t.
 *
 * Bindings are used from the loop's thread (handlers and code the loop
 * runs); they are not thread-safe.  Each binding allocates its receive
 * buffer (64 KiB + 64 handle infos) once; steady-state calls allocate
 * nothing.
 */
#ifndef CFIDL_BIND_H
#define CFIDL_BIND_H

#include <stdbool.h>
#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/wire.h>
#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A received message: header + body in bytes (8-aligned), and its handles.
 * Whoever gets a fidl_incoming_msg_t owns its handles (decode them, which
 * closes them on failure, or close them); the bytes are only lent for the
 * duration of the call.
 */
typedef struct fidl_incoming_msg {
	void *bytes;
	uint32_t num_bytes;
	zx_handle_info_t *handles;
	uint32_t num_handles;
} fidl_incoming_msg_t;

/* A message to send: header + body, handles as dispositions (consumed). */
typedef struct fidl_outgoing_msg {
	void *bytes;
	uint32_t num_bytes;
	zx_handle_disposition_t *handles;
	uint32_t num_handles;
} fidl_outgoing_msg_t;

/*
 * A two-way request's transaction.  The dispatcher gets a pointer valid
 * during dispatch; to reply later, copy the struct (fidl_txn_t saved =
 * *txn;) and reply through the copy.  reply writes the txid into the
 * message header (msg->bytes must start with a fidl_message_header_t) and
 * sends it; msg's handles are consumed.  A second reply, a reply to a
 * one-way message (txid 0) or a reply whose binding is gone gives
 * ZX_ERR_BAD_STATE (handles closed), never a crash.
 */
typedef struct fidl_txn fidl_txn_t;
struct fidl_txn {
	zx_status_t (*reply)(fidl_txn_t *txn, const fidl_outgoing_msg_t *msg);
	zx_handle_t channel; /* not owned; names nothing once unbound */
	zx_txid_t txid;      /* 0 after the reply */
};

/* ---- epitaphs ---- */

typedef struct fidl_epitaph {
	fidl_message_header_t hdr;
	zx_status_t error;
	uint32_t reserved;
} fidl_epitaph_t;

/* Writes an epitaph (txid 0, FIDL_EPITAPH_ORDINAL, error, 4 zero bytes). */
zx_status_t fidl_epitaph_write(zx_handle_t channel, zx_status_t error);

/* Is msg an epitaph (by its ordinal)? */
bool fidl_is_epitaph(const fidl_incoming_msg_t *msg);

/*
 * Decodes an epitaph message: 24 bytes, valid header, txid 0, zero
 * padding, no handles (closes any).  *out_error gets the status.
 * ZX_ERR_INVALID_ARGS if malformed.
 */
zx_status_t fidl_epitaph_decode(const fidl_incoming_msg_t *msg,
                                zx_status_t *out_error);

/* ---- server binding ---- */

/*
 * The dispatcher: generated `lib_P_dispatch(void *ctx, fidl_txn_t *txn,
 * fidl_incoming_msg_t *msg, const lib_P_ops_t *ops)` functions have this
 * shape but for the ops type; pass them as CFIDL_DISPATCH(lib_P_dispatch)
 * (the old Fuchsia C bindings' fidl_bind did the same cast) or through a
 * `const void *ops` wrapper.  The dispatcher owns msg's handles.  ZX_OK
 * keeps the channel served; any other status closes it with that status as
 * epitaph.
 */
typedef zx_status_t (*cfidl_dispatch_fn)(void *ctx, fidl_txn_t *txn,
                                         fidl_incoming_msg_t *msg,
                                         const void *ops);
#define CFIDL_DISPATCH(fn) ((cfidl_dispatch_fn)(void (*)(void))(fn))

typedef struct cfidl_binding cfidl_binding_t;

/*
 * Called once when a binding ends, after its channel is closed: reason is
 * ZX_ERR_PEER_CLOSED, the dispatcher's error, ZX_ERR_CANCELED (loop
 * destroyed), the epitaph given to cfidl_binding_close, or a read error.
 */
typedef void (*cfidl_unbound_fn)(void *ctx, zx_status_t reason);

/*
 * Serves channel on loop: each message is passed to dispatch(ctx, txn,
 * msg, ops).  channel is consumed (closed on failure too).  Errors:
 * INVALID_ARGS, NO_MEMORY, and those of cfidl_wait_begin.
 */
zx_status_t cfidl_bind(cfidl_loop_t *loop, zx_handle_t channel,
                       cfidl_dispatch_fn dispatch, void *ctx, const void *ops);

/*
 * As cfidl_bind, with an unbound handler (may be NULL) and *out (may be
 * NULL) naming the binding until unbound runs.
 */
zx_status_t cfidl_bind_etc(cfidl_loop_t *loop, zx_handle_t channel,
                           cfidl_dispatch_fn dispatch, void *ctx,
                           const void *ops, cfidl_unbound_fn unbound,
                           cfidl_binding_t **out);

/*
 * Ends a binding: writes epitaph unless it is ZX_OK, closes the channel,
 * calls unbound(ctx, epitaph) and frees it (after the current dispatch
 * returns, when called from one).
 */
void cfidl_binding_close(cfidl_binding_t *binding, zx_status_t epitaph);

/* ---- async client binding ---- */

typedef struct cfidl_client cfidl_client_t;

/*
 * A reply: status ZX_OK with msg (the callback owns its handles; bytes
 * lent), or an error with msg NULL: the epitaph's status, or
 * ZX_ERR_PEER_CLOSED, or ZX_ERR_CANCELED (client destroyed, loop
 * destroyed).  Called exactly once per successful cfidl_client_call.
 */
typedef void (*cfidl_response_fn)(void *ctx, zx_status_t status,
                                  fidl_incoming_msg_t *msg);

typedef struct cfidl_client_handlers {
	/* A message with txid 0 (event); owns msg's handles.  NULL: dropped. */
	void (*on_event)(void *ctx, fidl_incoming_msg_t *msg);
	/*
	 * Once, when the channel fails: epitaph status, ZX_ERR_PEER_CLOSED,
	 * ZX_ERR_IO (a reply to no call, a bad message) or ZX_ERR_CANCELED
	 * (loop destroyed).  Pending calls have been told first.  NULL: ok.
	 */
	void (*on_error)(void *ctx, zx_status_t status);
} cfidl_client_handlers_t;

/*
 * Binds channel (consumed, closed on failure) as a client on loop.
 * handlers is copied; ctx goes to them.  The caller owns *out.
 */
zx_status_t cfidl_client_create(cfidl_loop_t *loop, zx_handle_t channel,
                                const cfidl_client_handlers_t *handlers,
                                void *ctx, cfidl_client_t **out);

/*
 * Sends a two-way request: allocates a txid (never 0, high bit clear),
 * writes it into msg's header, sends, and remembers cb.  msg's handles
 * are consumed.  On error cb is never called: the client's error if it
 * failed already, BAD_STATE, or the channel write's error.
 */
zx_status_t cfidl_client_call(cfidl_client_t *client,
                              const fidl_outgoing_msg_t *msg,
                              cfidl_response_fn cb, void *cb_ctx);

/* Sends a one-way message (txid 0 written into its header). */
zx_status_t cfidl_client_send(cfidl_client_t *client,
                              const fidl_outgoing_msg_t *msg);

/* The channel (still owned by the client). */
zx_handle_t cfidl_client_channel(const cfidl_client_t *client);

/*
 * Closes the channel, tells every pending callback ZX_ERR_CANCELED, and
 * frees the client (after the current callback, when called from one).
 * on_error is not called.
 */
void cfidl_client_destroy(cfidl_client_t *client);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_BIND_H */
