/*
 * app_fakes.h: a fake app of fuchsia.vsock, shared by test_service and
 * test_device: its connections (socket end + Connection client), an
 * Acceptor that records Accept calls and answers by mode, and the reply
 * callbacks of Connector.Connect/Listen and Connection.SendVmo.
 */
#ifndef CFV_TESTS_APP_FAKES_H
#define CFV_TESTS_APP_FAKES_H

#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/socket.h>

#include "fuchsia.hardware.vsock.h"
#include "fuchsia.vsock.h"
#include "vsock_test.h"

typedef fuchsia_hardware_vsock_Addr addr_t;

/* What an async call answered. */
typedef struct reply {
	bool done;
	zx_status_t status;  /* transport status */
	int32_t value;       /* the method's status */
	uint32_t local_port; /* Connect */
} reply_t;

static inline void on_connect(void *ctx, zx_status_t status,
                              fidl_incoming_msg_t *msg)
{
	reply_t *r = ctx;
	fuchsia_vsock_ConnectorConnectResponse *p;

	r->done = true;
	r->status = status;
	if (status == ZX_OK &&
	    fuchsia_vsock_ConnectorConnect_decode_response(msg, &p) == ZX_OK) {
		r->value = p->status;
		r->local_port = p->local_port;
	}
}

static inline void on_listen(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	reply_t *r = ctx;
	fuchsia_vsock_ConnectorListenResponse *p;

	r->done = true;
	r->status = status;
	if (status == ZX_OK &&
	    fuchsia_vsock_ConnectorListen_decode_response(msg, &p) == ZX_OK)
		r->value = p->status;
}

static inline void on_send_vmo(void *ctx, zx_status_t status,
                               fidl_incoming_msg_t *msg)
{
	reply_t *r = ctx;
	fuchsia_vsock_ConnectionSendVmoResponse *p;

	r->done = true;
	r->status = status;
	if (status == ZX_OK &&
	    fuchsia_vsock_ConnectionSendVmo_decode_response(msg, &p) == ZX_OK)
		r->value = p->status;
}

/* An app connection: its socket end and its Connection client. */
typedef struct app_conn {
	zx_handle_t sock;
	cfidl_client_t *con;
	zx_status_t con_error; /* the Connection channel's end */
	bool con_failed;
	uint32_t local_port;
} app_conn_t;

static inline void app_con_error(void *ctx, zx_status_t status)
{
	app_conn_t *a = ctx;

	a->con_failed = true;
	a->con_error = status;
}

/* Makes a ConnectionTransport into t (its ends go with the call that
 * sends t); keeps the app's ends in a, served on loop. */
static inline void transport_make(cfidl_loop_t *loop, app_conn_t *a,
                                  fuchsia_vsock_ConnectionTransport *t)
{
	zx_handle_t cc;
	cfidl_client_handlers_t h = {.on_error = app_con_error};

	memset(a, 0, sizeof(*a));
	ASSERT_OK(zx_socket_create(ZX_SOCKET_STREAM, &a->sock, &t->data));
	ASSERT_OK(zx_channel_create(0, &cc, &t->con));
	ASSERT_OK(cfidl_client_create(loop, cc, &h, a, &a->con));
}

static inline void app_close(app_conn_t *a)
{
	cfidl_client_destroy(a->con);
	a->con = NULL;
	zx_handle_close(a->sock);
	a->sock = ZX_HANDLE_INVALID;
}

/* A test Acceptor: records Accept calls, answers by mode. */
typedef struct acceptor {
	int calls;
	addr_t addr;
	bool reject; /* answer null */
	bool defer;  /* keep the txn in saved */
	fidl_txn_t saved;
	app_conn_t conns[4]; /* the accepted connections' app ends */
	int nconns;
	cfidl_loop_t *loop;
	cfidl_binding_t *binding;
} acceptor_t;

static inline zx_status_t acc_accept(void *ctx, const addr_t *addr,
                                     fidl_txn_t *txn)
{
	acceptor_t *ac = ctx;
	fuchsia_vsock_ConnectionTransport t;

	ac->calls++;
	ac->addr = *addr;
	if (ac->defer) {
		ac->saved = *txn;
		return ZX_OK;
	}
	if (ac->reject)
		return fuchsia_vsock_AcceptorAccept_reply(txn, NULL);
	assert_true(ac->nconns < 4);
	transport_make(ac->loop, &ac->conns[ac->nconns++], &t);
	return fuchsia_vsock_AcceptorAccept_reply(txn, &t);
}

static const fuchsia_vsock_Acceptor_ops_t acc_ops = {.Accept = acc_accept};

static inline zx_status_t acc_dispatch(void *ctx, fidl_txn_t *txn,
                                       fidl_incoming_msg_t *msg,
                                       const void *ops)
{
	return fuchsia_vsock_Acceptor_dispatch(ctx, txn, msg, ops);
}

static inline void acc_unbound(void *ctx, zx_status_t reason)
{
	acceptor_t *ac = ctx;

	(void)reason;
	ac->binding = NULL;
}

/* Serves an Acceptor on loop; returns its client end for Listen (the
 * caller owns it). */
static inline zx_handle_t acceptor_make(cfidl_loop_t *loop, acceptor_t *ac)
{
	zx_handle_t c, s;

	memset(ac, 0, sizeof(*ac));
	ac->loop = loop;
	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_OK(cfidl_bind_etc(loop, s, acc_dispatch, ac, &acc_ops,
	                         acc_unbound, &ac->binding));
	return c;
}

static inline void acceptor_close(acceptor_t *ac)
{
	cfidl_binding_close(ac->binding, ZX_OK);
	for (int i = 0; i < ac->nconns; i++)
		app_close(&ac->conns[i]);
}

#endif /* CFV_TESTS_APP_FAKES_H */
