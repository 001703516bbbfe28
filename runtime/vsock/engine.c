/*
 * engine.c: the virtio-vsock connection engine (engine.h): connection
 * table, packet handling, credit flow control, shutdown and RST rules,
 * and the pump between each connection's zx socket and RW packets.
 *
 * Data path: socket -> ring by reading straight into a reserved ring
 * record; ring -> socket by writing straight from the ring.  Only the
 * part the app's socket cannot take now is copied into a per-connection
 * buffer, bounded by buf_alloc through credit and freed once drained, so
 * an idle connection owns no buffer.
 *
 * Lifetime: handlers may call back into the engine and drop the very
 * connection we are working on, so every entry point holds the
 * connection (busy) and a dropped one is only freed when released.
 */
#include <stdlib.h>
#include <string.h>

#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#include "credit.h"
#include "engine.h"

#define PUMP_BYTES (512u * 1024u) /* bytes per pump before yielding */
#define RSTQ_MAX   1024u          /* queued RSTs when the ring is full */
#define PAGE       4096u
#define TRIG_DATA                                                              \
	(ZX_SOCKET_READABLE | ZX_SOCKET_PEER_WRITE_DISABLED |                  \
	 ZX_SOCKET_PEER_CLOSED)
#define TRIG_CLOSE ZX_SOCKET_PEER_CLOSED
#define TRIG_WRITE (ZX_SOCKET_WRITABLE | ZX_SOCKET_PEER_CLOSED)

enum { ST_REQ_PENDING, ST_CONNECTING, ST_OPEN, ST_CLOSING };

/* Control packets owed to the peer, sent in this order before data. */
enum {
	P_REQUEST = 1,
	P_RESPONSE = 2,
	P_CREDIT_UPDATE = 4,
	P_CREDIT_REQUEST = 8
};

struct vmo_tx {
	void *base;
	size_t map_len;
	const uint8_t *p;
	uint64_t left;
};

typedef struct conn {
	cfv_key_t key;
	uint8_t state;
	uint8_t peer_shut; /* SHUTDOWN flags received */
	uint8_t shut_sent; /* SHUTDOWN flags sent */
	uint8_t shut_want; /* flags to send once the data before them went */
	uint8_t pending;   /* P_* */
	unsigned busy : 4;
	unsigned dead : 1;
	unsigned in_ready : 1;
	unsigned rd_armed : 1;
	unsigned wr_armed : 1;
	unsigned credit_wait : 1;
	unsigned credit_req_sent : 1;
	unsigned app_eof : 1;        /* the app's socket read EOF */
	unsigned app_closed : 1;     /* ... and the app is gone */
	unsigned app_rx_gone : 1;    /* writing to the app fails */
	unsigned write_disabled : 1; /* we disabled writing to the app */
	unsigned rst_when_flushed : 1;
	unsigned rst_sent : 1; /* closing: our RST went, theirs is awaited */
	unsigned hup : 1;      /* PEER_CLOSED seen: level, never wait for it */
	zx_handle_t sock;
	uint32_t rx_off, rx_len, rx_cap;
	uint8_t *rxbuf; /* only while rx_len > 0 */
	cfv_credit_t credit;
	struct vmo_tx *vmo;
	struct conn *hnext;
	struct conn *rnext, *rprev; /* ready list: waits for ring room */
	cfv_engine_t *e;
	cfidl_wait_t rd, wr;
	cfidl_task_t timer;
} conn_t;

struct cfv_engine {
	cfidl_loop_t *loop;
	cfv_transport_t *t;
	uint32_t local_cid;
	cfv_engine_config_t cfg;
	cfv_engine_handlers_t h;
	void *ctx;
	conn_t **buckets;
	uint32_t nbuckets, count;
	conn_t *ready_head, *ready_tail;
	cfv_hdr_t *rstq;
	uint32_t rstq_len, rstq_cap;
	cfidl_task_t kick;
	cfv_engine_stats_t st;
};

static void conn_flush(conn_t *c);
static void arm_timer(conn_t *c);
static struct conn *take_all(cfv_engine_t *e);
static void detach_listed(cfv_engine_t *e, conn_t *c);

void cfv_engine_config_init(cfv_engine_config_t *cfg)
{
	cfg->buf_alloc = 256u * 1024u;
	cfg->close_timeout = ZX_SEC(5);
	cfg->peer_cid = CFV_CID_ANY;
}

size_t cfv_engine_idle_conn_bytes(void)
{
	return sizeof(conn_t);
}

/* ---- table ---- */

static uint32_t key_hash(const cfv_key_t *k)
{
	uint64_t h = (uint64_t)k->local_port * 0x9E3779B97F4A7C15ull ^
	             (((uint64_t)k->remote_cid << 32) | k->remote_port) *
	                 0xC2B2AE3D27D4EB4Full;

	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static conn_t *lookup(cfv_engine_t *e, const cfv_key_t *k)
{
	conn_t *c = e->buckets[key_hash(k) & (e->nbuckets - 1)];

	while (c && !cfv_key_equal(&c->key, k))
		c = c->hnext;
	return c;
}

static void grow(cfv_engine_t *e)
{
	uint32_t n = e->nbuckets * 2;
	conn_t **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i < e->nbuckets; i++) {
		conn_t *c = e->buckets[i], *next;

		for (; c; c = next) {
			uint32_t j = key_hash(&c->key) & (n - 1);

			next = c->hnext;
			c->hnext = b[j];
			b[j] = c;
		}
	}
	free(e->buckets);
	e->buckets = b;
	e->nbuckets = n;
}

static void table_remove(cfv_engine_t *e, conn_t *c)
{
	conn_t **pp = &e->buckets[key_hash(&c->key) & (e->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			c->hnext = NULL;
			e->count--;
			return;
		}
	}
}

static void rd_handler(cfidl_loop_t *l, cfidl_wait_t *w, zx_status_t s,
                       zx_signals_t obs);
static void wr_handler(cfidl_loop_t *l, cfidl_wait_t *w, zx_status_t s,
                       zx_signals_t obs);
static void timer_handler(cfidl_loop_t *l, cfidl_task_t *t, zx_status_t s);

/* A new connection in the table; takes sock over (closed on error). */
static conn_t *conn_new(cfv_engine_t *e, const cfv_key_t *key, int state,
                        zx_handle_t sock)
{
	conn_t *c = calloc(1, sizeof(*c));
	uint32_t i;

	if (!c) {
		zx_handle_close(sock);
		return NULL;
	}
	c->key = *key;
	c->state = (uint8_t)state;
	c->sock = sock;
	c->e = e;
	cfv_credit_init(&c->credit, e->cfg.buf_alloc);
	c->rd.handler = rd_handler;
	c->rd.object = sock;
	c->wr.handler = wr_handler;
	c->wr.object = sock;
	c->timer.handler = timer_handler;
	if (e->count >= e->nbuckets)
		grow(e);
	i = key_hash(key) & (e->nbuckets - 1);
	c->hnext = e->buckets[i];
	e->buckets[i] = c;
	e->count++;
	return c;
}

static void ready_remove(cfv_engine_t *e, conn_t *c)
{
	if (!c->in_ready)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		e->ready_head = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	else
		e->ready_tail = c->rprev;
	c->rnext = c->rprev = NULL;
	c->in_ready = 0;
}

/* c waits for ring room (or, via the kick task, for the loop). */
static void ready_add(cfv_engine_t *e, conn_t *c)
{
	if (c->in_ready || c->dead)
		return;
	c->in_ready = 1;
	c->rnext = NULL;
	c->rprev = e->ready_tail;
	if (e->ready_tail)
		e->ready_tail->rnext = c;
	else
		e->ready_head = c;
	e->ready_tail = c;
}

static void free_vmo(conn_t *c)
{
	if (c->vmo) {
		cfidl_vmo_unmap(c->vmo->base, c->vmo->map_len);
		free(c->vmo);
		c->vmo = NULL;
	}
}

/*
 * Removes c from the table and every list, stops its waits and timer and
 * closes its socket.  Freed now, or when the last holder releases it.
 * Returns whether a VMO send was outstanding (its on_vmo_done is owed).
 */
static bool conn_detach(conn_t *c)
{
	cfv_engine_t *e = c->e;
	bool had_vmo = c->vmo != NULL;

	table_remove(e, c);
	ready_remove(e, c);
	if (c->rd_armed)
		cfidl_wait_cancel(e->loop, &c->rd);
	if (c->wr_armed)
		cfidl_wait_cancel(e->loop, &c->wr);
	cfidl_task_cancel(e->loop, &c->timer);
	c->rd_armed = c->wr_armed = 0;
	zx_handle_close(c->sock);
	c->sock = ZX_HANDLE_INVALID;
	free(c->rxbuf);
	c->rxbuf = NULL;
	c->rx_len = c->rx_off = c->rx_cap = 0;
	free_vmo(c);
	c->dead = 1;
	return had_vmo;
}

static void conn_release(conn_t *c)
{
	if (--c->busy == 0 && c->dead)
		free(c);
}

static void conn_hold(conn_t *c)
{
	c->busy++;
}

/* Detaches c and tells the owner (reason), unless quiet. */
static void conn_end(conn_t *c, zx_status_t reason, bool quiet)
{
	cfv_engine_t *e = c->e;
	cfv_key_t key = c->key;
	bool vmo;

	if (c->dead)
		return;
	conn_hold(c);
	vmo = conn_detach(c);
	conn_release(c);
	if (quiet)
		return;
	if (vmo && e->h.on_vmo_done)
		e->h.on_vmo_done(e->ctx, &key, ZX_ERR_CANCELED);
	if (e->h.on_closed)
		e->h.on_closed(e->ctx, &key, reason);
}

/* ---- sending ---- */

static void hdr_for(cfv_engine_t *e, conn_t *c, const cfv_key_t *key,
                    uint16_t op, uint32_t flags, cfv_hdr_t *h)
{
	cfv_hdr_init(h, e->local_cid, key, op, flags);
	if (c) {
		cfv_credit_stamp(&c->credit, h);
	} else {
		h->buf_alloc = e->cfg.buf_alloc;
	}
}

static zx_status_t send_hdr(cfv_engine_t *e, const cfv_hdr_t *h)
{
	zx_status_t st = cfv_transport_send(e->t, h, NULL, 0);

	if (st == ZX_OK && h->op == CFV_OP_RST)
		e->st.rst_sent++;
	return st;
}

/* RST on key, queued if the ring is full (bounded; beyond that dropped:
 * the peer's own timeouts cover it). */
static void send_rst(cfv_engine_t *e, conn_t *c, const cfv_key_t *key)
{
	cfv_hdr_t h;

	hdr_for(e, c, key, CFV_OP_RST, 0, &h);
	if (e->rstq_len == 0 && send_hdr(e, &h) == ZX_OK)
		return;
	if (e->rstq_len == e->rstq_cap) {
		uint32_t cap = e->rstq_cap ? e->rstq_cap * 2 : 16;
		cfv_hdr_t *q;

		if (cap > RSTQ_MAX)
			return;
		q = realloc(e->rstq, cap * sizeof(*q));
		if (!q)
			return;
		e->rstq = q;
		e->rstq_cap = cap;
	}
	e->rstq[e->rstq_len++] = h;
}

/* Sends queued RSTs; true when none is left. */
static bool flush_rstq(cfv_engine_t *e)
{
	uint32_t i = 0;

	while (i < e->rstq_len && send_hdr(e, &e->rstq[i]) == ZX_OK)
		i++;
	if (i) {
		memmove(e->rstq, e->rstq + i,
		        (e->rstq_len - i) * sizeof(*e->rstq));
		e->rstq_len -= i;
	}
	if (e->rstq_len == 0) {
		free(e->rstq);
		e->rstq = NULL;
		e->rstq_cap = 0;
	}
	return e->rstq_len == 0;
}

/* RST and end: reason to the owner unless quiet. */
static void conn_reset(conn_t *c, zx_status_t reason, bool quiet)
{
	if (c->dead)
		return;
	send_rst(c->e, c, &c->key);
	conn_end(c, reason, quiet);
}

static void arm_rd(conn_t *c, zx_signals_t trig)
{
	if (c->dead || c->hup)
		return;
	if (c->rd_armed) {
		if (c->rd.trigger == trig)
			return;
		/* Waiting for something else: wait for this instead. */
		if (cfidl_wait_cancel(c->e->loop, &c->rd) != ZX_OK)
			return;
		c->rd_armed = 0;
	}
	c->rd.trigger = trig;
	/*
	 * Waiting for data, the handler only pumps (a read tells it of an
	 * EOF), so a blind wait saves a look at the signals per wake-up.
	 * Waiting for the close, it needs them.
	 */
	if ((trig == TRIG_DATA ? cfidl_wait_begin_blind(c->e->loop, &c->rd)
	                       : cfidl_wait_begin(c->e->loop, &c->rd)) == ZX_OK)
		c->rd_armed = 1;
}

static void arm_wr(conn_t *c)
{
	if (c->dead || c->wr_armed)
		return;
	c->wr.trigger = TRIG_WRITE;
	if (cfidl_wait_begin_blind(c->e->loop, &c->wr) == ZX_OK)
		c->wr_armed = 1;
}

static void kick_handler(cfidl_loop_t *l, cfidl_task_t *t, zx_status_t s);

static void post_kick(cfv_engine_t *e)
{
	e->kick.deadline = 0;
	(void)cfidl_task_post(e->loop, &e->kick);
}

/* Sends the control packets c owes; false if the ring is full. */
static bool flush_ctrl(conn_t *c)
{
	static const struct {
		uint8_t bit;
		uint16_t op;
	} order[] = {
	    {P_REQUEST, CFV_OP_REQUEST},
	    {P_RESPONSE, CFV_OP_RESPONSE},
	    {P_CREDIT_UPDATE, CFV_OP_CREDIT_UPDATE},
	    {P_CREDIT_REQUEST, CFV_OP_CREDIT_REQUEST},
	};
	cfv_engine_t *e = c->e;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		cfv_hdr_t h;

		if (!(c->pending & order[i].bit))
			continue;
		hdr_for(e, c, &c->key, order[i].op, 0, &h);
		if (send_hdr(e, &h) != ZX_OK)
			return false;
		c->pending &= (uint8_t)~order[i].bit;
		if (order[i].op == CFV_OP_CREDIT_UPDATE)
			e->st.credit_updates_sent++;
	}
	return true;
}

enum pump_res { PUMP_EMPTY, PUMP_BUDGET, PUMP_CREDIT, PUMP_ROOM, PUMP_EOF };

/* Whether the app's data may still flow to the peer. */
static bool can_send_data(const conn_t *c)
{
	return c->state == ST_OPEN && !c->app_eof &&
	       !(c->peer_shut & CFV_SHUTDOWN_RCV) &&
	       !(c->shut_sent & CFV_SHUTDOWN_SEND);
}

static void commit_rw(conn_t *c, uint32_t n)
{
	cfv_engine_t *e = c->e;
	cfv_hdr_t h;

	hdr_for(e, c, &c->key, CFV_OP_RW, 0, &h);
	h.len = n;
	cfv_transport_commit(e->t, &h);
	cfv_credit_sent(&c->credit, n);
	e->st.bytes_sent += n;
	/* Our header carried fwd_cnt: no separate update needed now. */
	c->pending &= (uint8_t)~P_CREDIT_UPDATE;
}

/* Moves VMO bytes, then socket bytes, into RW packets. */
static enum pump_res pump(conn_t *c, bool *vmo_done)
{
	cfv_engine_t *e = c->e;
	uint32_t budget = PUMP_BYTES;

	while (budget) {
		uint32_t credit = cfv_credit_tx_room(&c->credit);
		size_t want, got = 0, n = 0;
		uint8_t *p;
		zx_status_t st;

		if (credit == 0) {
			if (!c->vmo) {
				/* Ask for credit only with data to send.  (Not
				 * a 0-byte zx_socket_read: it can report EOF
				 * while a writer adds data concurrently.) */
				zx_signals_t obs = 0;

				(void)zx_object_wait_one(c->sock, TRIG_DATA, 0,
				                         &obs);
				if (!(obs & ZX_SOCKET_READABLE))
					return obs & (ZX_SOCKET_PEER_CLOSED |
					              ZX_SOCKET_PEER_WRITE_DISABLED)
					           ? PUMP_EOF
					           : PUMP_EMPTY;
			}
			c->credit_wait = 1;
			if (!c->credit_req_sent) {
				c->credit_req_sent = 1;
				c->pending |= P_CREDIT_REQUEST;
				if (!flush_ctrl(c))
					return PUMP_ROOM;
			}
			return PUMP_CREDIT;
		}
		want = credit < budget ? credit : budget;
		if (c->vmo && want > c->vmo->left)
			want = (size_t)c->vmo->left;
		if (want > CFV_MAX_PAYLOAD)
			want = CFV_MAX_PAYLOAD;
		if (want == 0) {
			/* An empty VMO send. */
			free_vmo(c);
			*vmo_done = true;
			continue;
		}
		p = cfv_transport_reserve(e->t, want, &got);
		if (!p)
			return PUMP_ROOM;
		if (c->vmo) {
			memcpy(p, c->vmo->p, got);
			c->vmo->p += got;
			c->vmo->left -= got;
			commit_rw(c, (uint32_t)got);
			budget -= got < budget ? (uint32_t)got : budget;
			if (c->vmo->left == 0) {
				free_vmo(c);
				*vmo_done = true;
			}
			continue;
		}
		st = zx_socket_read(c->sock, 0, p, got, &n);
		if (st == ZX_ERR_SHOULD_WAIT)
			return PUMP_EMPTY;
		if (st != ZX_OK || n == 0)
			return PUMP_EOF;
		commit_rw(c, (uint32_t)n);
		budget -= n < budget ? (uint32_t)n : budget;
		/* A short read emptied the socket: the (level) wait sees
		 * what comes next, a read now would only fail.  (Not once
		 * the app is gone: no wait is armed then, read to EOF.) */
		if (n < got && !c->hup)
			return PUMP_EMPTY;
	}
	return PUMP_BUDGET;
}

/* The app's socket read EOF: half-close or gone? */
static void saw_eof(conn_t *c)
{
	zx_signals_t obs = 0;

	c->app_eof = 1;
	(void)zx_object_wait_one(c->sock, ZX_SOCKET_PEER_CLOSED, 0, &obs);
	if (obs & ZX_SOCKET_PEER_CLOSED) {
		c->hup = 1;
		c->app_closed = 1;
		c->shut_want |= CFV_SHUTDOWN_BOTH;
	} else {
		c->shut_want |= CFV_SHUTDOWN_SEND;
	}
}

/*
 * Sends everything c can send now, in order: owed control packets, data
 * (VMO first, then the socket), then SHUTDOWN once the data before it
 * went.  Arms the socket wait when more may come.  Caller holds c.
 */
static void conn_flush(conn_t *c)
{
	cfv_engine_t *e = c->e;
	bool vmo_done = false;

	if (c->dead)
		return;
	if (e->rstq_len || !flush_ctrl(c)) {
		ready_add(e, c);
		return;
	}
	if (c->state == ST_OPEN && can_send_data(c)) {
		enum pump_res r = pump(c, &vmo_done);

		if (vmo_done && e->h.on_vmo_done) {
			e->h.on_vmo_done(e->ctx, &c->key, ZX_OK);
			if (c->dead)
				return;
		}
		switch (r) {
		case PUMP_ROOM:
			ready_add(e, c);
			return;
		case PUMP_EMPTY:
			arm_rd(c, TRIG_DATA);
			break;
		case PUMP_BUDGET:
			/* Let the others run; the loop calls us again. */
			if (c->vmo || c->hup) {
				ready_add(e, c);
				post_kick(e);
			} else {
				arm_rd(c, TRIG_DATA);
			}
			return;
		case PUMP_CREDIT:
			if (c->hup)
				arm_timer(c); /* gone app: bounded wait */
			arm_rd(c, TRIG_CLOSE);
			break;
		case PUMP_EOF:
			saw_eof(c);
			break;
		}
	}
	if (c->state != ST_OPEN && c->state != ST_CLOSING)
		return;
	/* SHUTDOWN(SEND) only after the app's data and any VMO went. */
	if ((c->shut_want & ~c->shut_sent) &&
	    (!(c->shut_want & CFV_SHUTDOWN_SEND) || !can_send_data(c)) &&
	    !c->vmo) {
		cfv_hdr_t h;

		hdr_for(e, c, &c->key, CFV_OP_SHUTDOWN, c->shut_want, &h);
		if (send_hdr(e, &h) != ZX_OK) {
			ready_add(e, c);
			return;
		}
		c->shut_sent = c->shut_want;
		if (c->shut_sent == CFV_SHUTDOWN_BOTH) {
			c->state = ST_CLOSING;
			arm_timer(c);
		}
	}
	/* Watch for the app going away when we no longer read it. */
	if (!c->app_closed && !can_send_data(c))
		arm_rd(c, TRIG_CLOSE);
}

/* ---- receiving into the app's socket ---- */

static void drop_rx(conn_t *c)
{
	cfv_credit_forwarded(&c->credit, c->rx_len);
	free(c->rxbuf);
	c->rxbuf = NULL;
	c->rx_len = c->rx_off = c->rx_cap = 0;
}

/* Appends to the rx buffer (bounded by buf_alloc through credit). */
static bool rx_append(conn_t *c, const uint8_t *p, uint32_t n)
{
	if (c->rx_off + c->rx_len + n > c->rx_cap) {
		if (c->rx_len + n <= c->rx_cap) {
			memmove(c->rxbuf, c->rxbuf + c->rx_off, c->rx_len);
		} else {
			uint32_t cap = c->rx_cap ? c->rx_cap : 16384u;
			uint8_t *b;

			while (cap < c->rx_len + n)
				cap *= 2;
			b = malloc(cap);
			if (!b)
				return false;
			if (c->rx_len)
				memcpy(b, c->rxbuf + c->rx_off, c->rx_len);
			free(c->rxbuf);
			c->rxbuf = b;
			c->rx_cap = cap;
		}
		c->rx_off = 0;
	}
	memcpy(c->rxbuf + c->rx_off + c->rx_len, p, n);
	c->rx_len += n;
	return true;
}

/* Writes p[0..n) to the app's socket; returns bytes taken, and marks the
 * app gone if it cannot take any more ever (it shut its read side or
 * closed).  The peer is then told with SHUTDOWN(RCV), so its sends fail
 * instead of vanishing here (Linux vsock_test "SHUT_RD"); the caller
 * flushes. */
static uint32_t to_app(conn_t *c, const uint8_t *p, uint32_t n)
{
	size_t w = 0;
	zx_status_t st = zx_socket_write(c->sock, 0, p, n, &w);

	if (st == ZX_OK)
		return (uint32_t)w;
	if (st != ZX_ERR_SHOULD_WAIT && !c->app_rx_gone) {
		c->app_rx_gone = 1;
		c->shut_want |= CFV_SHUTDOWN_RCV;
	}
	return 0;
}

/* After the rx buffer emptied: finish a pending peer SHUTDOWN(SEND). */
static void rx_drained(conn_t *c)
{
	if ((c->peer_shut & CFV_SHUTDOWN_SEND) && !c->write_disabled) {
		c->write_disabled = 1;
		(void)zx_socket_set_disposition(
		    c->sock, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0);
	}
	if (c->rst_when_flushed)
		conn_reset(c, ZX_OK, false);
}

static void maybe_credit_update(conn_t *c)
{
	if (cfv_credit_update_due(&c->credit)) {
		c->pending |= P_CREDIT_UPDATE;
		conn_flush(c);
	}
}

/* Writes as much of the rx buffer as the app takes. */
static void flush_rx(conn_t *c)
{
	while (c->rx_len && !c->app_rx_gone) {
		uint32_t w = to_app(c, c->rxbuf + c->rx_off, c->rx_len);

		if (w == 0)
			break;
		c->rx_off += w;
		c->rx_len -= w;
		cfv_credit_forwarded(&c->credit, w);
	}
	if (c->app_rx_gone) {
		drop_rx(c);
		conn_flush(c);
		if (c->dead)
			return;
	}
	if (c->rx_len) {
		arm_wr(c);
		return;
	}
	free(c->rxbuf);
	c->rxbuf = NULL;
	c->rx_off = c->rx_cap = 0;
	rx_drained(c);
}

static void on_rw(conn_t *c, const cfv_hdr_t *h, const uint8_t *payload)
{
	cfv_engine_t *e = c->e;
	uint32_t n = h->len, w = 0;

	if (c->state == ST_REQ_PENDING || c->state == ST_CONNECTING ||
	    (c->peer_shut & CFV_SHUTDOWN_SEND)) {
		conn_reset(c, ZX_ERR_CONNECTION_RESET, false);
		return;
	}
	if (!cfv_credit_rx(&c->credit, n)) {
		e->st.credit_overruns++;
		conn_reset(c, ZX_ERR_CONNECTION_RESET, false);
		return;
	}
	e->st.bytes_received += n;
	if (c->app_rx_gone || (c->shut_sent & CFV_SHUTDOWN_RCV) ||
	    c->rst_when_flushed) {
		/* Nobody will read it: drop, but keep the credit flowing. */
		cfv_credit_forwarded(&c->credit, n);
	} else {
		if (c->rx_len == 0) {
			w = to_app(c, payload, n);
			cfv_credit_forwarded(&c->credit, w);
		}
		if (c->app_rx_gone) {
			cfv_credit_forwarded(&c->credit, n - w);
			drop_rx(c);
			conn_flush(c);
			if (c->dead)
				return;
		} else if (w < n) {
			if (!rx_append(c, payload + w, n - w)) {
				conn_reset(c, ZX_ERR_CONNECTION_RESET, false);
				return;
			}
			arm_wr(c);
		}
	}
	maybe_credit_update(c);
}

/*
 * What the peer's fresh SHUTDOWN flags do to the app's socket, in one
 * call: RCV (the peer reads no more) ends the app's writes; SEND (the peer
 * sends no more) gives the app EOF once it has read what we hold.
 */
static void shut_app_socket(conn_t *c, uint32_t fresh)
{
	bool app_w = fresh & CFV_SHUTDOWN_RCV;
	bool our_w =
	    (fresh & CFV_SHUTDOWN_SEND) && c->rx_len == 0 && !c->write_disabled;

	if (our_w)
		c->write_disabled = 1;
	if (app_w || our_w)
		(void)zx_socket_set_disposition(
		    c->sock, our_w ? ZX_SOCKET_DISPOSITION_WRITE_DISABLED : 0,
		    app_w ? ZX_SOCKET_DISPOSITION_WRITE_DISABLED : 0);
}

static void on_shutdown_pkt(conn_t *c, uint32_t flags)
{
	cfv_engine_t *e = c->e;
	uint32_t fresh = flags & CFV_SHUTDOWN_BOTH & ~c->peer_shut;

	if (c->state == ST_REQ_PENDING || c->state == ST_CONNECTING) {
		conn_reset(c, ZX_ERR_CONNECTION_RESET, false);
		return;
	}
	c->peer_shut |= (uint8_t)fresh;
	shut_app_socket(c, fresh);
	if (e->h.on_shutdown && flags) {
		e->h.on_shutdown(e->ctx, &c->key, flags & CFV_SHUTDOWN_BOTH);
		if (c->dead)
			return;
	}
	if (c->peer_shut == CFV_SHUTDOWN_BOTH && c->state == ST_CLOSING) {
		/*
		 * Both sides closed at once.  Answer with RST, but end only on
		 * theirs (or the timer): ending now would free the key while
		 * their RST to this connection is still on its way, and it
		 * would refuse the next connection on the same ports.
		 */
		if (!c->rst_sent) {
			c->rst_sent = 1;
			send_rst(e, c, &c->key);
		}
		return;
	}
	if (c->peer_shut == CFV_SHUTDOWN_BOTH) {
		if (c->rx_len == 0 || c->app_rx_gone) {
			conn_reset(c, ZX_OK, false);
			return;
		}
		/* Let the app have what we hold, for a while. */
		c->rst_when_flushed = 1;
		arm_timer(c);
		return;
	}
	conn_flush(c);
}

/* ---- packets from the transport ---- */

static void on_unknown(cfv_engine_t *e, const cfv_hdr_t *h,
                       const cfv_key_t *key)
{
	conn_t *c;

	if (h->op == CFV_OP_RST)
		return; /* never answer an RST */
	if (h->op != CFV_OP_REQUEST) {
		send_rst(e, NULL, key);
		return;
	}
	c = conn_new(e, key, ST_REQ_PENDING, ZX_HANDLE_INVALID);
	if (!c) {
		send_rst(e, NULL, key);
		return;
	}
	cfv_credit_peer_update(&c->credit, h->buf_alloc, h->fwd_cnt);
	if (e->h.on_request)
		e->h.on_request(e->ctx, key);
	else
		conn_reset(c, ZX_OK, true);
}

static void on_packet(void *ctx, const cfv_hdr_t *h, const void *payload)
{
	cfv_engine_t *e = ctx;
	cfv_key_t key;
	conn_t *c;

	if ((e->cfg.peer_cid != CFV_CID_ANY && h->src_cid != e->cfg.peer_cid) ||
	    h->src_cid > UINT32_MAX) {
		e->st.forged_dropped++;
		return;
	}
	key = cfv_key_of_rx(h);
	if (h->type != CFV_TYPE_STREAM) {
		if (h->op != CFV_OP_RST)
			send_rst(e, NULL, &key);
		return;
	}
	if (h->dst_cid != e->local_cid && e->local_cid != CFV_CID_ANY) {
		/* Nobody here by that CID: refuse as that CID, so the sender
		 * can match the RST (Fuchsia's device does the same). */
		if (h->op != CFV_OP_RST) {
			cfv_hdr_t r;

			hdr_for(e, NULL, &key, CFV_OP_RST, 0, &r);
			r.src_cid = h->dst_cid;
			(void)send_hdr(e, &r); /* best effort */
		}
		return;
	}
	if (h->op == CFV_OP_RST)
		e->st.rst_received++;
	c = lookup(e, &key);
	if (!c) {
		on_unknown(e, h, &key);
		return;
	}
	conn_hold(c);
	cfv_credit_peer_update(&c->credit, h->buf_alloc, h->fwd_cnt);
	switch (h->op) {
	case CFV_OP_RST:
		conn_end(c,
		         c->state == ST_CONNECTING ? ZX_ERR_CONNECTION_REFUSED
		         : c->state == ST_CLOSING  ? ZX_OK
		                                   : ZX_ERR_CONNECTION_RESET,
		         false);
		break;
	case CFV_OP_RESPONSE:
		if (c->state != ST_CONNECTING) {
			conn_reset(c, ZX_ERR_CONNECTION_RESET, false);
			break;
		}
		c->state = ST_OPEN;
		if (e->h.on_connected)
			e->h.on_connected(e->ctx, &key);
		conn_flush(c);
		break;
	case CFV_OP_RW:
		on_rw(c, h, payload);
		break;
	case CFV_OP_SHUTDOWN:
		on_shutdown_pkt(c, h->flags);
		break;
	case CFV_OP_CREDIT_REQUEST:
		if (c->state == ST_REQ_PENDING || c->state == ST_CONNECTING) {
			conn_reset(c, ZX_ERR_CONNECTION_RESET, false);
			break;
		}
		c->pending |= P_CREDIT_UPDATE;
		conn_flush(c);
		break;
	case CFV_OP_CREDIT_UPDATE:
		break;
	default: /* REQUEST on a live key, or garbage */
		conn_reset(c, ZX_ERR_CONNECTION_RESET, false);
		break;
	}
	/* Any header may have brought credit. */
	if (!c->dead && c->credit_wait && cfv_credit_tx_room(&c->credit) > 0) {
		c->credit_wait = 0;
		c->credit_req_sent = 0;
		conn_flush(c);
	}
	conn_release(c);
}

/* Ring room again: queued RSTs first, then connections in order. */
static void flush_ready(cfv_engine_t *e)
{
	conn_t *stop;

	if (!flush_rstq(e))
		return;
	stop = e->ready_tail;
	while (e->ready_head) {
		conn_t *c = e->ready_head;
		bool last = c == stop;

		ready_remove(e, c);
		conn_hold(c);
		conn_flush(c);
		if (c->in_ready && !c->dead) {
			conn_release(c);
			break; /* full again */
		}
		conn_release(c);
		if (last)
			break;
	}
}

static void on_writable(void *ctx)
{
	flush_ready(ctx);
}

/* The peer corrupted the ring: nothing can move any more. */
static void on_transport_error(void *ctx, zx_status_t status)
{
	cfv_engine_t *e = ctx;
	conn_t *c, *next;

	(void)status;
	e->rstq_len = 0;
	for (c = take_all(e); c; c = next) {
		next = c->hnext;
		detach_listed(e, c);
		conn_end(c, ZX_ERR_CONNECTION_RESET, false);
	}
}

static void kick_handler(cfidl_loop_t *l, cfidl_task_t *t, zx_status_t s)
{
	cfv_engine_t *e =
	    (cfv_engine_t *)((char *)t - offsetof(cfv_engine_t, kick));

	(void)l;
	if (s == ZX_OK)
		flush_ready(e);
}

/* ---- socket waits and timers ---- */

static void rd_handler(cfidl_loop_t *l, cfidl_wait_t *w, zx_status_t s,
                       zx_signals_t obs)
{
	conn_t *c = (conn_t *)((char *)w - offsetof(conn_t, rd));

	(void)l;
	if (s != ZX_OK)
		return;
	c->rd_armed = 0;
	conn_hold(c);
	if (obs & ZX_SOCKET_PEER_CLOSED)
		c->hup = 1;
	if ((obs & ZX_SOCKET_PEER_CLOSED) && !can_send_data(c) &&
	    !c->app_closed && c->state == ST_OPEN) {
		/* Gone while we no longer read it. */
		c->app_eof = 1;
		c->app_closed = 1;
		c->shut_want |= CFV_SHUTDOWN_BOTH;
	}
	if ((obs & ZX_SOCKET_PEER_CLOSED) && c->credit_wait)
		arm_timer(c); /* it may never get the credit to finish */
	conn_flush(c);
	conn_release(c);
}

static void wr_handler(cfidl_loop_t *l, cfidl_wait_t *w, zx_status_t s,
                       zx_signals_t obs)
{
	conn_t *c = (conn_t *)((char *)w - offsetof(conn_t, wr));

	(void)l;
	(void)obs;
	if (s != ZX_OK)
		return;
	c->wr_armed = 0;
	conn_hold(c);
	flush_rx(c);
	if (!c->dead)
		maybe_credit_update(c);
	conn_release(c);
}

static void timer_handler(cfidl_loop_t *l, cfidl_task_t *t, zx_status_t s)
{
	conn_t *c = (conn_t *)((char *)t - offsetof(conn_t, timer));

	(void)l;
	if (s != ZX_OK)
		return;
	conn_hold(c);
	conn_reset(c, ZX_ERR_TIMED_OUT, false);
	conn_release(c);
}

static void arm_timer(conn_t *c)
{
	c->timer.deadline = zx_deadline_after(c->e->cfg.close_timeout);
	(void)cfidl_task_post(c->e->loop, &c->timer); /* ALREADY_EXISTS ok */
}

/* ---- API ---- */

zx_status_t cfv_engine_create(cfidl_loop_t *loop, cfv_transport_t *transport,
                              uint32_t local_cid,
                              const cfv_engine_config_t *cfg,
                              const cfv_engine_handlers_t *h, void *ctx,
                              cfv_engine_t **out)
{
	cfv_transport_handlers_t th = {on_packet, on_writable,
	                               on_transport_error};
	cfv_engine_t *e;

	if (!loop || !transport || !out)
		return ZX_ERR_INVALID_ARGS;
	e = calloc(1, sizeof(*e));
	if (!e)
		return ZX_ERR_NO_MEMORY;
	e->nbuckets = 64;
	e->buckets = calloc(e->nbuckets, sizeof(*e->buckets));
	if (!e->buckets) {
		free(e);
		return ZX_ERR_NO_MEMORY;
	}
	e->loop = loop;
	e->t = transport;
	e->local_cid = local_cid;
	if (cfg)
		e->cfg = *cfg;
	else
		cfv_engine_config_init(&e->cfg);
	if (e->cfg.buf_alloc == 0)
		e->cfg.buf_alloc = 256u * 1024u;
	if (h)
		e->h = *h;
	e->ctx = ctx;
	e->kick.handler = kick_handler;
	cfv_transport_set_handlers(transport, &th, e);
	*out = e;
	return ZX_OK;
}

/* Takes every connection out of the table; returns them as a list. */
static conn_t *take_all(cfv_engine_t *e)
{
	conn_t *all = NULL;

	for (uint32_t i = 0; i < e->nbuckets; i++) {
		while (e->buckets[i]) {
			conn_t *c = e->buckets[i];

			e->buckets[i] = c->hnext;
			c->hnext = all;
			all = c;
		}
	}
	return all;
}

static void detach_listed(cfv_engine_t *e, conn_t *c)
{
	/* table_remove would not find it: put it back for conn_detach. */
	uint32_t i = key_hash(&c->key) & (e->nbuckets - 1);

	c->hnext = e->buckets[i];
	e->buckets[i] = c;
}

void cfv_engine_destroy(cfv_engine_t *e)
{
	cfv_transport_handlers_t none = {0};
	conn_t *c, *next;

	if (!e)
		return;
	for (c = take_all(e); c; c = next) {
		next = c->hnext;
		detach_listed(e, c);
		conn_detach(c);
		if (c->busy == 0)
			free(c);
	}
	cfidl_task_cancel(e->loop, &e->kick);
	cfv_transport_set_handlers(e->t, &none, NULL);
	free(e->rstq);
	free(e->buckets);
	free(e);
}

void cfv_engine_reset_all(cfv_engine_t *e)
{
	conn_t *c, *next;

	e->rstq_len = 0;
	free(e->rstq);
	e->rstq = NULL;
	e->rstq_cap = 0;
	for (c = take_all(e); c; c = next) {
		next = c->hnext;
		detach_listed(e, c);
		conn_end(c, ZX_ERR_CANCELED, false);
	}
}

void cfv_engine_set_local_cid(cfv_engine_t *e, uint32_t cid)
{
	e->local_cid = cid;
}

uint32_t cfv_engine_local_cid(const cfv_engine_t *e)
{
	return e->local_cid;
}

zx_status_t cfv_engine_connect(cfv_engine_t *e, const cfv_key_t *key,
                               zx_handle_t data)
{
	conn_t *c;

	if (lookup(e, key)) {
		zx_handle_close(data);
		return ZX_ERR_ALREADY_EXISTS;
	}
	c = conn_new(e, key, ST_CONNECTING, data);
	if (!c)
		return ZX_ERR_NO_MEMORY;
	c->pending |= P_REQUEST;
	conn_hold(c);
	conn_flush(c);
	conn_release(c);
	return ZX_OK;
}

zx_status_t cfv_engine_accept(cfv_engine_t *e, const cfv_key_t *key,
                              zx_handle_t data)
{
	conn_t *c = lookup(e, key);

	if (!c || c->state != ST_REQ_PENDING) {
		zx_handle_close(data);
		return c ? ZX_ERR_BAD_STATE : ZX_ERR_NOT_FOUND;
	}
	c->sock = data;
	c->rd.object = data;
	c->wr.object = data;
	c->state = ST_OPEN;
	c->pending |= P_RESPONSE;
	conn_hold(c);
	conn_flush(c);
	conn_release(c);
	return ZX_OK;
}

zx_status_t cfv_engine_reject(cfv_engine_t *e, const cfv_key_t *key)
{
	conn_t *c = lookup(e, key);

	if (!c)
		return ZX_ERR_NOT_FOUND;
	if (c->state != ST_REQ_PENDING)
		return ZX_ERR_BAD_STATE;
	conn_reset(c, ZX_OK, true);
	return ZX_OK;
}

zx_status_t cfv_engine_shutdown(cfv_engine_t *e, const cfv_key_t *key,
                                uint32_t flags)
{
	conn_t *c = lookup(e, key);

	if (!flags || (flags & ~CFV_SHUTDOWN_BOTH))
		return ZX_ERR_INVALID_ARGS;
	if (!c)
		return ZX_ERR_NOT_FOUND;
	if (c->state != ST_OPEN)
		return ZX_ERR_BAD_STATE;
	if ((flags & CFV_SHUTDOWN_SEND) && !(c->shut_want & CFV_SHUTDOWN_SEND))
		/* Stop the app's writes; what it wrote is read to EOF. */
		(void)zx_socket_set_disposition(
		    c->sock, 0, ZX_SOCKET_DISPOSITION_WRITE_DISABLED);
	if ((flags & CFV_SHUTDOWN_RCV) && !c->write_disabled) {
		c->write_disabled = 1;
		drop_rx(c);
		(void)zx_socket_set_disposition(
		    c->sock, ZX_SOCKET_DISPOSITION_WRITE_DISABLED, 0);
	}
	c->shut_want |= (uint8_t)flags;
	conn_hold(c);
	conn_flush(c);
	conn_release(c);
	return ZX_OK;
}

zx_status_t cfv_engine_reset(cfv_engine_t *e, const cfv_key_t *key)
{
	conn_t *c = lookup(e, key);

	if (!c)
		return ZX_ERR_NOT_FOUND;
	conn_reset(c, ZX_ERR_CONNECTION_RESET, true);
	return ZX_OK;
}

zx_status_t cfv_engine_send_vmo(cfv_engine_t *e, const cfv_key_t *key,
                                zx_handle_t vmo, uint64_t off, uint64_t len)
{
	conn_t *c = lookup(e, key);
	uint64_t size = 0, start, end;
	struct vmo_tx *v;
	zx_status_t st;
	void *base = NULL;

	if (!c) {
		st = ZX_ERR_NOT_FOUND;
		goto fail;
	}
	if (c->vmo || !can_send_data(c) || (c->shut_want & CFV_SHUTDOWN_SEND)) {
		st = ZX_ERR_BAD_STATE;
		goto fail;
	}
	st = zx_vmo_get_size(vmo, &size);
	if (st != ZX_OK)
		goto fail;
	if (off > size || len > size - off) {
		st = ZX_ERR_OUT_OF_RANGE;
		goto fail;
	}
	start = off & ~(uint64_t)(PAGE - 1);
	end = (off + len + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	v = calloc(1, sizeof(*v));
	if (!v) {
		st = ZX_ERR_NO_MEMORY;
		goto fail;
	}
	if (end > start) {
		st = cfidl_vmo_map(vmo, start, (size_t)(end - start),
		                   ZX_VM_PERM_READ, &base);
		if (st != ZX_OK) {
			free(v);
			goto fail;
		}
	}
	zx_handle_close(vmo); /* the mapping outlives the handle */
	v->base = base;
	v->map_len = (size_t)(end - start);
	v->p = (const uint8_t *)base + (off - start);
	v->left = len;
	c->vmo = v;
	ready_add(e, c);
	post_kick(e);
	return ZX_OK;
fail:
	zx_handle_close(vmo);
	return st;
}

zx_status_t cfv_engine_send_control(cfv_engine_t *e, const cfv_key_t *key,
                                    uint16_t op, uint32_t flags)
{
	cfv_hdr_t h;

	hdr_for(e, lookup(e, key), key, op, flags, &h);
	return send_hdr(e, &h);
}

void cfv_engine_get_stats(const cfv_engine_t *e, cfv_engine_stats_t *out)
{
	*out = e->st;
	out->connections = e->count;
}
