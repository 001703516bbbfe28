/*
 * host_half.c: the host half of the virtio-vsock device for one guest
 * (see host_half.h): connection policy and FIDL on top of the engine.
 *
 * The engine owns the packets, credit and sockets.  Here we keep one
 * record per connection the engine knows (a small chained hash table by
 * key) with what the engine does not: who initiated it, the pending
 * Connect call or Accept transaction, and the connect timer.  A record is
 * always unlinked before we call into the engine about it, so a callback
 * the engine might make meanwhile finds nothing to act on twice.
 */
#include "host_half.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cfidl/bind.h>
#include <cfidl/handle.h>

#include "fuchsia.virtualization.h"
#include "packet.h"
#include "port_manager.h"

#define SEC ((zx_duration_t)1000 * 1000 * 1000)

enum hh_state {
	HH_GUEST_INITIATED = 1, /* REQUEST in, Connect pending */
	HH_CLIENT_INITIATED,    /* REQUEST out, Accept pending */
	HH_READ_WRITE,
	HH_GUEST_SHUTDOWN, /* the guest sent SHUTDOWN */
};

typedef struct hh_call hh_call_t;

typedef struct hh_conn {
	struct hh_conn *next;
	cfv_host_half_t *hh;
	cfv_key_t key;
	uint8_t state;
	bool host_initiated;
	bool has_txn;
	bool timer_armed;
	hh_call_t *call; /* HH_GUEST_INITIATED: its Connect */
	fidl_txn_t txn;  /* HH_CLIENT_INITIATED: Accept's */
	cfidl_task_t timer;
} hh_conn_t;

/* A Connect in flight; freed by its response callback, always called. */
struct hh_call {
	cfv_host_half_t *hh;
	cfv_key_t key;
};

/* A delayed OnShutdown (after a forced close's quarantine). */
typedef struct hh_note {
	cfidl_task_t task;
	struct hh_note *prev, *next;
	cfv_host_half_t *hh;
	uint32_t src_cid, src_port, dst_port;
} hh_note_t;

/* The ctx of one GuestVsockAcceptor binding: tells stale unbinds apart. */
typedef struct hh_acceptor {
	cfv_host_half_t *hh;
	cfidl_binding_t *binding;
} hh_acceptor_t;

struct cfv_host_half {
	cfidl_loop_t *loop;
	cfv_transport_t *transport;
	cfv_engine_t *engine; /* NULL only after a failed reset */
	cfv_host_half_config_t cfg;
	uint32_t guest_cid;
	cfv_port_manager_t *ports; /* host ports of host-initiated conns */

	cfidl_binding_t *endpoint;
	zx_handle_t endpoint_ch; /* names the endpoint while it is bound */
	hh_acceptor_t *acceptor;
	cfidl_client_t *connector;

	hh_conn_t **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	hh_note_t *notes;
	bool dying;
	cfv_host_half_stats_t stats;
};

/* ---- the connection table ---- */

static size_t key_hash(const cfv_key_t *k)
{
	uint64_t h = ((uint64_t)k->local_port << 32) ^ k->remote_port ^
	             ((uint64_t)k->remote_cid * 0x9E3779B97F4A7C15ull);

	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 32;
	return (size_t)h;
}

static hh_conn_t **slot_of(cfv_host_half_t *hh, const cfv_key_t *k)
{
	hh_conn_t **p = &hh->buckets[key_hash(k) & (hh->nbuckets - 1)];

	while (*p && !cfv_key_equal(&(*p)->key, k))
		p = &(*p)->next;
	return p;
}

static hh_conn_t *conn_find(cfv_host_half_t *hh, const cfv_key_t *k)
{
	return *slot_of(hh, k);
}

/* Doubles the table when it gets full; failure just keeps it as is. */
static void table_grow(cfv_host_half_t *hh)
{
	size_t n = hh->nbuckets * 2;
	hh_conn_t **b;

	if (hh->count < hh->nbuckets)
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < hh->nbuckets; i++) {
		hh_conn_t *c = hh->buckets[i];

		while (c) {
			hh_conn_t *next = c->next;
			size_t j = key_hash(&c->key) & (n - 1);

			c->next = b[j];
			b[j] = c;
			c = next;
		}
	}
	free(hh->buckets);
	hh->buckets = b;
	hh->nbuckets = n;
}

static hh_conn_t *conn_add(cfv_host_half_t *hh, const cfv_key_t *k,
                           uint8_t state)
{
	hh_conn_t *c = calloc(1, sizeof(*c));
	hh_conn_t **p;

	if (!c)
		return NULL;
	c->hh = hh;
	c->key = *k;
	c->state = state;
	table_grow(hh);
	p = &hh->buckets[key_hash(k) & (hh->nbuckets - 1)];
	c->next = *p;
	*p = c;
	hh->count++;
	return c;
}

/* Unlinks c (and stops its timer); the caller frees it. */
static void conn_unlink(cfv_host_half_t *hh, hh_conn_t *c)
{
	hh_conn_t **p = slot_of(hh, &c->key);

	if (*p == c) {
		*p = c->next;
		hh->count--;
	}
	c->next = NULL;
	if (c->timer_armed) {
		cfidl_task_cancel(hh->loop, &c->timer);
		c->timer_armed = false;
	}
}

/* ---- events to the Router ---- */

static void send_shutdown_event(cfv_host_half_t *hh, uint32_t src_cid,
                                uint32_t src_port, uint32_t dst_port)
{
	if (hh->endpoint_ch == ZX_HANDLE_INVALID)
		return;
	if (fuchsia_virtualization_GuestVsockEndpoint_send_OnShutdown(
	        hh->endpoint_ch, src_cid, src_port, CFV_CID_HOST, dst_port) ==
	    ZX_OK)
		hh->stats.shutdown_events++;
}

static void note_unlink(cfv_host_half_t *hh, hh_note_t *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		hh->notes = n->next;
	if (n->next)
		n->next->prev = n->prev;
}

static void note_fire(cfidl_loop_t *loop, cfidl_task_t *task,
                      zx_status_t status)
{
	hh_note_t *n = (hh_note_t *)(void *)task; /* task is first */
	cfv_host_half_t *hh = n->hh;

	(void)loop;
	note_unlink(hh, n);
	if (status == ZX_OK)
		send_shutdown_event(hh, n->src_cid, n->src_port, n->dst_port);
	free(n);
}

/* OnShutdown for an established connection that is gone. */
static void notify_gone(cfv_host_half_t *hh, const cfv_key_t *k, bool forced)
{
	hh_note_t *n;

	if (!forced) {
		send_shutdown_event(hh, k->remote_cid, k->remote_port,
		                    k->local_port);
		return;
	}
	/* The host port is not free before the quarantine ends. */
	n = calloc(1, sizeof(*n));
	if (!n)
		return; /* the Router keeps the port: a leak, never a reuse */
	n->hh = hh;
	n->src_cid = k->remote_cid;
	n->src_port = k->remote_port;
	n->dst_port = k->local_port;
	n->task.handler = note_fire;
	n->task.deadline = zx_deadline_after(hh->cfg.quarantine);
	if (cfidl_task_post(hh->loop, &n->task) != ZX_OK) {
		free(n);
		return;
	}
	n->next = hh->notes;
	if (hh->notes)
		hh->notes->prev = n;
	hh->notes = n;
}

/* Answers a pending Accept (the acceptor may be gone: then a no-op). */
static void reply_accept(hh_conn_t *c, zx_status_t status)
{
	if (!c->has_txn)
		return;
	c->has_txn = false;
	if (status == ZX_OK)
		fuchsia_virtualization_GuestVsockAcceptorAccept_reply(&c->txn);
	else
		fuchsia_virtualization_GuestVsockAcceptorAccept_reply_error(
		    &c->txn, status);
}

static void release_port(cfv_host_half_t *hh, hh_conn_t *c, bool forced)
{
	if (c->host_initiated)
		cfv_port_manager_release(hh->ports, c->key.local_port, forced,
		                         zx_clock_get_monotonic());
}

/*
 * A connection ended (c already unlinked): tell whoever waits, free the
 * host port, send OnShutdown if it had been established; frees c.  A
 * pending Connect's call stays alive and finds no record when it returns.
 */
static void conn_ended(cfv_host_half_t *hh, hh_conn_t *c, zx_status_t reason)
{
	bool forced = reason == ZX_ERR_TIMED_OUT;

	switch (c->state) {
	case HH_GUEST_INITIATED:
		break;
	case HH_CLIENT_INITIATED:
		reply_accept(c, reason == ZX_OK ? ZX_ERR_CONNECTION_REFUSED
		                                : reason);
		hh->stats.host_refused++;
		release_port(hh, c, forced);
		break;
	default:
		if (forced)
			hh->stats.forced_closes++;
		release_port(hh, c, forced);
		notify_gone(hh, &c->key, forced);
		break;
	}
	free(c);
}

/* ---- engine callbacks ---- */

static void on_connect_reply(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg);

static void on_request(void *ctx, const cfv_key_t *key)
{
	cfv_host_half_t *hh = ctx;
	hh_conn_t *c = conn_find(hh, key);
	hh_call_t *call;

	if (c) {
		/* The engine forgot it without telling us: drop ours. */
		conn_unlink(hh, c);
		conn_ended(hh, c, ZX_ERR_CONNECTION_RESET);
	}
	if (!hh->connector || hh->dying)
		goto refuse;
	call = malloc(sizeof(*call));
	c = call ? conn_add(hh, key, HH_GUEST_INITIATED) : NULL;
	if (!c) {
		free(call);
		goto refuse;
	}
	call->hh = hh;
	call->key = *key;
	c->call = call;
	/* Guest to host only: the key holds no destination CID. */
	if (fuchsia_virtualization_HostVsockConnectorConnect_async(
	        hh->connector, key->remote_cid, key->remote_port, CFV_CID_HOST,
	        key->local_port, on_connect_reply, call) != ZX_OK) {
		conn_unlink(hh, c);
		free(c);
		free(call);
		goto refuse;
	}
	hh->stats.guest_connects++;
	return;
refuse:
	hh->stats.guest_refused++;
	cfv_engine_reject(hh->engine, key);
}

static void on_connected(void *ctx, const cfv_key_t *key)
{
	cfv_host_half_t *hh = ctx;
	hh_conn_t *c = conn_find(hh, key);

	if (!c || c->state != HH_CLIENT_INITIATED)
		return;
	if (c->timer_armed) {
		cfidl_task_cancel(hh->loop, &c->timer);
		c->timer_armed = false;
	}
	c->state = HH_READ_WRITE;
	reply_accept(c, ZX_OK);
}

static void on_shutdown(void *ctx, const cfv_key_t *key, uint32_t flags)
{
	cfv_host_half_t *hh = ctx;
	hh_conn_t *c = conn_find(hh, key);

	(void)flags;
	if (c && c->state == HH_READ_WRITE)
		c->state = HH_GUEST_SHUTDOWN;
}

static void on_closed(void *ctx, const cfv_key_t *key, zx_status_t reason)
{
	cfv_host_half_t *hh = ctx;
	hh_conn_t *c = conn_find(hh, key);

	if (!c)
		return;
	conn_unlink(hh, c);
	conn_ended(hh, c, reason);
}

static void on_vmo_done(void *ctx, const cfv_key_t *key, zx_status_t status)
{
	/* The host half never sends VMOs. */
	(void)ctx;
	(void)key;
	(void)status;
}

static const cfv_engine_handlers_t engine_handlers = {
    .on_request = on_request,
    .on_connected = on_connected,
    .on_shutdown = on_shutdown,
    .on_closed = on_closed,
    .on_vmo_done = on_vmo_done,
};

static zx_status_t engine_make(cfv_host_half_t *hh)
{
	cfv_engine_config_t cfg = hh->cfg.engine;

	cfg.peer_cid = hh->guest_cid;
	return cfv_engine_create(hh->loop, hh->transport, CFV_CID_HOST, &cfg,
	                         &engine_handlers, hh, &hh->engine);
}

/* ---- HostVsockConnector (we are its client) ---- */

/* Decodes Connect's reply: the socket (*socket, ours) or the error. */
static zx_status_t connect_result(fidl_incoming_msg_t *msg, zx_handle_t *socket)
{
	typedef fuchsia_virtualization_HostVsockConnector_Connect_Result res_t;
	const fuchsia_virtualization_HostVsockConnector_Connect_Response *ok;
	const int32_t *err;
	res_t *r = NULL;
	zx_status_t st;

	*socket = ZX_HANDLE_INVALID;
	st = fuchsia_virtualization_HostVsockConnectorConnect_decode_response(
	    msg, &r);
	if (st != ZX_OK)
		return st; /* its handles are closed */
	ok =
	    fuchsia_virtualization_HostVsockConnector_Connect_Result_get_response(
	        r);
	err =
	    fuchsia_virtualization_HostVsockConnector_Connect_Result_get_err(r);
	if (ok && ok->socket != ZX_HANDLE_INVALID) {
		*socket = ok->socket;
		return ZX_OK;
	}
	return err && *err != ZX_OK ? *err : ZX_ERR_INTERNAL;
}

static void on_connect_reply(void *ctx, zx_status_t status,
                             fidl_incoming_msg_t *msg)
{
	hh_call_t *call = ctx;
	cfv_host_half_t *hh = call->hh;
	zx_handle_t socket = ZX_HANDLE_INVALID;
	zx_status_t err = status;
	hh_conn_t *c;

	if (status == ZX_OK)
		err = connect_result(msg, &socket);
	c = hh->dying || !hh->engine ? NULL : conn_find(hh, &call->key);
	if (!c || c->call != call) {
		/* The guest gave up (RST), a reset or destroy came first. */
		zx_handle_close(socket);
		free(call);
		return;
	}
	c->call = NULL;
	free(call);
	if (err == ZX_OK) {
		cfv_key_t key = c->key;
		zx_status_t st;

		c->state = HH_READ_WRITE;
		st = cfv_engine_accept(hh->engine, &key, socket); /* consumes */
		if (st == ZX_OK)
			return;
		/* Gone meanwhile (NOT_FOUND) or refused by the engine. */
		c = conn_find(hh, &key);
		if (c) {
			conn_unlink(hh, c);
			free(c);
		}
		hh->stats.guest_refused++;
		if (st != ZX_ERR_NOT_FOUND)
			cfv_engine_reject(hh->engine, &key);
		return;
	}
	{
		cfv_key_t key = c->key;

		conn_unlink(hh, c);
		free(c);
		hh->stats.guest_refused++;
		cfv_engine_reject(hh->engine, &key);
	}
}

static void on_connector_error(void *ctx, zx_status_t status)
{
	cfv_host_half_t *hh = ctx;

	(void)status;
	/* New guest REQUESTs get RST until SetContextId gives another. */
	cfidl_client_destroy(hh->connector);
	hh->connector = NULL;
}

/* ---- GuestVsockAcceptor (we serve it) ---- */

static void on_connect_timeout(cfidl_loop_t *loop, cfidl_task_t *task,
                               zx_status_t status)
{
	hh_conn_t *c =
	    (hh_conn_t *)(void *)((char *)task - offsetof(hh_conn_t, timer));
	cfv_host_half_t *hh = c->hh;
	cfv_key_t key = c->key;

	(void)loop;
	c->timer_armed = false;
	if (status != ZX_OK)
		return; /* loop going away; destroy frees c */
	conn_unlink(hh, c);
	/* The guest's view is unknown: treat it as a forced close. */
	reply_accept(c, ZX_ERR_TIMED_OUT);
	hh->stats.host_refused++;
	release_port(hh, c, true);
	free(c);
	if (hh->engine)
		cfv_engine_reset(hh->engine, &key);
}

static zx_status_t acceptor_accept(void *ctx, uint32_t src_cid,
                                   uint32_t src_port, uint32_t port,
                                   zx_handle_t socket, fidl_txn_t *txn)
{
	hh_acceptor_t *a = ctx;
	cfv_host_half_t *hh = a->hh;
	cfv_key_t key = {src_port, hh->guest_cid, port};
	zx_status_t st;
	hh_conn_t *c;

	/* src_cid is the host's for us: every packet we send says 2. */
	(void)src_cid;
	if (!hh->engine) {
		st = ZX_ERR_BAD_STATE;
		goto fail;
	}
	if (cfv_port_manager_quarantined(hh->ports, src_port,
	                                 zx_clock_get_monotonic())) {
		st = ZX_ERR_ALREADY_BOUND;
		goto fail;
	}
	st = cfv_port_manager_reserve(hh->ports, src_port);
	if (st != ZX_OK)
		goto fail;
	if (conn_find(hh, &key)) {
		st = ZX_ERR_ALREADY_EXISTS;
		goto fail_port;
	}
	c = conn_add(hh, &key, HH_CLIENT_INITIATED);
	if (!c) {
		st = ZX_ERR_NO_MEMORY;
		goto fail_port;
	}
	c->host_initiated = true;
	c->txn = *txn;
	c->has_txn = true;
	st = cfv_engine_connect(hh->engine, &key, socket); /* consumes */
	socket = ZX_HANDLE_INVALID;
	if (st != ZX_OK) {
		if (conn_find(hh, &key) == c) {
			conn_unlink(hh, c);
			free(c);
		}
		goto fail_port;
	}
	c->timer.handler = on_connect_timeout;
	c->timer.deadline = zx_deadline_after(hh->cfg.connect_timeout);
	c->timer_armed = cfidl_task_post(hh->loop, &c->timer) == ZX_OK;
	hh->stats.host_accepts++;
	return ZX_OK;
fail_port:
	cfv_port_manager_release(hh->ports, src_port, false, 0);
fail:
	zx_handle_close(socket);
	hh->stats.host_refused++;
	fuchsia_virtualization_GuestVsockAcceptorAccept_reply_error(txn, st);
	return ZX_OK;
}

static const fuchsia_virtualization_GuestVsockAcceptor_ops_t acceptor_ops = {
    .Accept = acceptor_accept,
};

static void acceptor_unbound(void *ctx, zx_status_t reason)
{
	hh_acceptor_t *a = ctx;

	(void)reason;
	if (a->hh && a->hh->acceptor == a)
		a->hh->acceptor = NULL;
	free(a);
}

static void acceptor_close(cfv_host_half_t *hh)
{
	hh_acceptor_t *a = hh->acceptor;

	if (!a)
		return;
	hh->acceptor = NULL;
	a->hh = NULL; /* its unbind may come later */
	cfidl_binding_close(a->binding, ZX_OK);
}

/* ---- GuestVsockEndpoint (we serve it) ---- */

static zx_status_t endpoint_set_context_id(void *ctx, uint32_t cid,
                                           zx_handle_t connector,
                                           zx_handle_t acceptor)
{
	static const cfidl_client_handlers_t connector_handlers = {
	    .on_event = NULL,
	    .on_error = on_connector_error,
	};
	cfv_host_half_t *hh = ctx;
	hh_acceptor_t *a;
	zx_status_t st;

	if (cid != hh->guest_cid) {
		zx_handle_close(connector);
		zx_handle_close(acceptor);
		return ZX_ERR_INVALID_ARGS; /* closes the endpoint */
	}
	if (hh->connector) {
		cfidl_client_t *old = hh->connector;

		hh->connector = NULL;
		cfidl_client_destroy(old); /* pending Connects: CANCELED */
	}
	acceptor_close(hh);
	st = cfidl_client_create(hh->loop, connector, &connector_handlers, hh,
	                         &hh->connector);
	if (st != ZX_OK) {
		hh->connector = NULL;
		zx_handle_close(acceptor);
		return st;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		zx_handle_close(acceptor);
		return ZX_ERR_NO_MEMORY;
	}
	a->hh = hh;
	st = cfidl_bind_etc(
	    hh->loop, acceptor,
	    CFIDL_DISPATCH(fuchsia_virtualization_GuestVsockAcceptor_dispatch),
	    a, &acceptor_ops, acceptor_unbound, &a->binding);
	if (st != ZX_OK) {
		free(a);
		return st;
	}
	hh->acceptor = a;
	return ZX_OK;
}

static const fuchsia_virtualization_GuestVsockEndpoint_ops_t endpoint_ops = {
    .SetContextId = endpoint_set_context_id,
};

static void endpoint_unbound(void *ctx, zx_status_t reason)
{
	cfv_host_half_t *hh = ctx;

	(void)reason;
	hh->endpoint = NULL;
	hh->endpoint_ch = ZX_HANDLE_INVALID;
}

zx_status_t cfv_host_half_bind_endpoint(cfv_host_half_t *hh,
                                        zx_handle_t server_end)
{
	zx_status_t st;

	if (!hh) {
		zx_handle_close(server_end);
		return ZX_ERR_INVALID_ARGS;
	}
	if (hh->endpoint) {
		zx_handle_close(server_end);
		return ZX_ERR_ALREADY_BOUND;
	}
	st = cfidl_bind_etc(
	    hh->loop, server_end,
	    CFIDL_DISPATCH(fuchsia_virtualization_GuestVsockEndpoint_dispatch),
	    hh, &endpoint_ops, endpoint_unbound, &hh->endpoint);
	if (st != ZX_OK) {
		hh->endpoint = NULL;
		return st;
	}
	hh->endpoint_ch = server_end;
	return ZX_OK;
}

/* ---- life cycle ---- */

void cfv_host_half_config_init(cfv_host_half_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfv_engine_config_init(&cfg->engine);
	cfg->quarantine = CFV_PORT_QUARANTINE;
	cfg->connect_timeout = 10 * SEC;
}

zx_status_t cfv_host_half_create(cfidl_loop_t *loop, cfv_transport_t *transport,
                                 uint32_t guest_cid, cfv_host_half_t **out)
{
	return cfv_host_half_create_etc(loop, transport, guest_cid, NULL, out);
}

zx_status_t cfv_host_half_create_etc(cfidl_loop_t *loop,
                                     cfv_transport_t *transport,
                                     uint32_t guest_cid,
                                     const cfv_host_half_config_t *cfg,
                                     cfv_host_half_t **out)
{
	cfv_host_half_t *hh;
	zx_status_t st;

	if (!loop || !transport || !out || guest_cid <= CFV_CID_HOST ||
	    guest_cid == CFV_CID_ANY)
		return ZX_ERR_INVALID_ARGS;
	hh = calloc(1, sizeof(*hh));
	if (!hh)
		return ZX_ERR_NO_MEMORY;
	hh->loop = loop;
	hh->transport = transport;
	hh->guest_cid = guest_cid;
	if (cfg)
		hh->cfg = *cfg;
	else
		cfv_host_half_config_init(&hh->cfg);
	if (hh->cfg.quarantine < 0 || hh->cfg.connect_timeout <= 0) {
		free(hh);
		return ZX_ERR_INVALID_ARGS;
	}
	hh->nbuckets = 64;
	hh->buckets = calloc(hh->nbuckets, sizeof(*hh->buckets));
	st = hh->buckets ? ZX_OK : ZX_ERR_NO_MEMORY;
	if (st == ZX_OK)
		st = cfv_port_manager_create(CFV_EPHEMERAL_FIRST,
		                             CFV_EPHEMERAL_LAST,
		                             hh->cfg.quarantine, &hh->ports);
	if (st == ZX_OK)
		st = engine_make(hh);
	if (st != ZX_OK) {
		hh->engine = NULL;
		cfv_host_half_destroy(hh);
		return st;
	}
	*out = hh;
	return ZX_OK;
}

/* Unlinks every record, in no particular order; fn handles each. */
static void drain(cfv_host_half_t *hh,
                  void (*fn)(cfv_host_half_t *hh, hh_conn_t *c))
{
	for (size_t i = 0; i < hh->nbuckets; i++) {
		while (hh->buckets[i]) {
			hh_conn_t *c = hh->buckets[i];

			conn_unlink(hh, c);
			fn(hh, c);
		}
	}
}

static void drop_on_reset(cfv_host_half_t *hh, hh_conn_t *c)
{
	conn_ended(hh, c, ZX_ERR_CANCELED);
}

zx_status_t cfv_host_half_transport_reset(cfv_host_half_t *hh, uint32_t new_cid)
{
	zx_status_t st = ZX_OK;

	if (!hh || new_cid <= CFV_CID_HOST || new_cid == CFV_CID_ANY)
		return ZX_ERR_INVALID_ARGS;
	/* Our records first (events carry the old CID), then the engine's
	 * connections, without a packet. */
	drain(hh, drop_on_reset);
	if (hh->engine)
		cfv_engine_reset_all(hh->engine);
	if (new_cid != hh->guest_cid || !hh->engine) {
		/* peer_cid is fixed at creation: a new engine. */
		cfv_engine_destroy(hh->engine);
		hh->engine = NULL;
		hh->guest_cid = new_cid;
		st = engine_make(hh);
		if (st != ZX_OK)
			hh->engine = NULL;
	}
	return st;
}

uint32_t cfv_host_half_guest_cid(const cfv_host_half_t *hh)
{
	return hh->guest_cid;
}

void cfv_host_half_get_stats(const cfv_host_half_t *hh,
                             cfv_host_half_stats_t *out)
{
	*out = hh->stats;
	if (hh->engine)
		cfv_engine_get_stats(hh->engine, &out->engine);
	else
		memset(&out->engine, 0, sizeof(out->engine));
	out->live = (uint32_t)hh->count;
}

static void drop_on_destroy(cfv_host_half_t *hh, hh_conn_t *c)
{
	cfv_key_t key = c->key;
	bool pending = c->state == HH_GUEST_INITIATED;

	reply_accept(c, ZX_ERR_CANCELED);
	free(c);
	if (!hh->engine)
		return;
	if (pending)
		cfv_engine_reject(hh->engine, &key);
	else
		cfv_engine_reset(hh->engine, &key);
}

void cfv_host_half_destroy(cfv_host_half_t *hh)
{
	if (!hh)
		return;
	hh->dying = true;
	if (hh->buckets)
		drain(hh, drop_on_destroy);
	if (hh->connector) {
		cfidl_client_t *c = hh->connector;

		hh->connector = NULL;
		cfidl_client_destroy(c); /* replies: CANCELED, sockets closed */
	}
	acceptor_close(hh);
	if (hh->endpoint) {
		cfidl_binding_t *b = hh->endpoint;

		hh->endpoint = NULL;
		hh->endpoint_ch = ZX_HANDLE_INVALID;
		cfidl_binding_close(b, ZX_OK);
	}
	while (hh->notes) {
		hh_note_t *n = hh->notes;

		note_unlink(hh, n);
		cfidl_task_cancel(hh->loop, &n->task);
		free(n);
	}
	cfv_engine_destroy(hh->engine);
	cfv_port_manager_destroy(hh->ports);
	free(hh->buckets);
	free(hh);
}
