/*
 * hybrid.c: Firecracker's hybrid vsock: the CONNECT handshake on an
 * accepted Unix stream socket, then the socket itself goes to the guest.
 */
#include "hybrid.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>

#include "hybrid_relay.h"
#include "uds_listener.h"

typedef struct hs hs_t;

struct cfv_hybrid {
	cfidl_loop_t *loop;
	cfv_router_t *router;
	uint32_t cid;
	cfv_hybrid_config_t cfg;
	cfv_uds_listener_t *listener;
	hs_t *pending;       /* handshakes, doubly linked */
	cfv_relay_t *relays; /* ordered mode's connections */
	cfv_hybrid_stats_t stats;
};

/* One connection between accept and the end of its handshake. */
struct hs {
	hs_t *prev, *next;
	cfv_hybrid_t *h;
	zx_handle_t sock; /* the UDS as a zx socket */
	cfidl_wait_t wait;
	cfidl_task_t timer;
	cfv_router_req_t *req; /* while the guest is asked */
	zx_handle_t ours;      /* ordered mode: our end of the guest's pair */
	size_t len;
	char line[CFV_HYBRID_LINE_MAX];
};

#define HS_OF(ptr, member) ((hs_t *)((char *)(ptr)-offsetof(hs_t, member)))

void cfv_hybrid_config_init(cfv_hybrid_config_t *cfg)
{
	cfg->handshake_timeout = ZX_SEC(5);
	cfg->max_pending = 256;
	cfg->ordered = true;
}

static void hs_unlink(hs_t *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		s->h->pending = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->h->stats.pending--;
}

/* Ends a handshake: the socket (if still ours) is closed. */
static void hs_free(hs_t *s)
{
	cfidl_wait_cancel(s->h->loop, &s->wait);
	cfidl_task_cancel(s->h->loop, &s->timer);
	if (s->req)
		cfv_router_req_cancel(s->req);
	hs_unlink(s);
	zx_handle_close(s->sock);
	zx_handle_close(s->ours);
	free(s);
}

/*
 * Refuses a bad handshake: the unread rest of its input is dropped first
 * (bounded), so the app reads a plain EOF rather than a reset.
 */
static void hs_refuse(hs_t *s)
{
	char sink[4096];
	size_t n;

	for (int i = 0; i < 16; i++)
		if (zx_socket_read(s->sock, 0, sink, sizeof(sink), &n) != ZX_OK)
			break;
	hs_free(s);
}

/* `CONNECT <decimal u32>` with the \n (and an optional \r) stripped. */
static bool parse(char *line, size_t len, uint32_t *port)
{
	static const char verb[] = "CONNECT ";
	uint64_t v = 0;
	size_t i = sizeof(verb) - 1;

	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len <= i || len - i > 10 || memcmp(line, verb, i) != 0)
		return false;
	for (; i < len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*port = (uint32_t)v;
	return true;
}

/* The router's answer: write OK, or close the socket. */
static void on_connected(void *ctx, zx_status_t status, uint32_t host_port)
{
	hs_t *s = ctx;
	char ok[32];
	int n;

	s->req = NULL;
	if (status == ZX_OK) {
		n = snprintf(ok, sizeof(ok), "OK %u\n", host_port);
		/* MSG_NOSIGNAL inside: a vanished app is no SIGPIPE. */
		zx_socket_write(s->sock, 0, ok, (size_t)n, NULL);
		s->h->stats.connected++;
		if (s->ours) {
			/* Ordered mode: the OK is out, now the guest's bytes.
			 */
			cfv_relay_create(s->h->loop, s->sock, s->ours,
			                 &s->h->relays);
			s->sock = s->ours = ZX_HANDLE_INVALID;
		}
	} else {
		s->h->stats.refused++;
	}
	/* Our duplicate goes; on a refusal it was the last handle. */
	hs_free(s);
}

/* A full line is in s->line. */
static void on_line(hs_t *s)
{
	cfv_hybrid_t *h = s->h;
	zx_handle_t give;
	uint32_t port;
	zx_status_t st;

	cfidl_task_cancel(h->loop, &s->timer);
	if (!parse(s->line, s->len, &port)) {
		h->stats.bad_line++;
		hs_refuse(s);
		return;
	}
	/* The guest gets one handle; ours writes the OK line later.  In
	 * ordered mode the guest gets a pair's end, relayed after the OK. */
	if (h->cfg.ordered)
		st = zx_socket_create(0, &s->ours, &give);
	else
		st = zx_handle_duplicate(s->sock, ZX_RIGHT_SAME_RIGHTS, &give);
	if (st == ZX_OK)
		st = cfv_router_connect_guest(h->router, h->cid, port, give,
		                              on_connected, s, &s->req);
	if (st != ZX_OK) {
		h->stats.refused++;
		hs_free(s);
	}
}

static void on_readable(cfidl_loop_t *loop, cfidl_wait_t *wait,
                        zx_status_t status, zx_signals_t observed)
{
	hs_t *s = HS_OF(wait, wait);
	char peek[CFV_HYBRID_LINE_MAX];
	size_t n;
	zx_status_t st;

	(void)observed;
	if (status != ZX_OK)
		return; /* the loop is going away */
	for (;;) {
		size_t room = sizeof(s->line) - s->len;
		char *nl;

		st = zx_socket_read(s->sock, ZX_SOCKET_PEEK, peek, room, &n);
		if (st == ZX_ERR_SHOULD_WAIT)
			break;
		if (st != ZX_OK) {
			s->h->stats.eof++; /* EOF before the line ended */
			hs_free(s);
			return;
		}
		/* Take the line and nothing after it: those bytes are the
		 * stream's, for the guest. */
		nl = memchr(peek, '\n', n);
		if (nl)
			n = (size_t)(nl - peek) + 1;
		st = zx_socket_read(s->sock, 0, s->line + s->len, n, &n);
		if (st != ZX_OK) {
			s->h->stats.eof++;
			hs_free(s);
			return;
		}
		s->len += n;
		if (nl) {
			on_line(s);
			return;
		}
		if (s->len == sizeof(s->line)) {
			s->h->stats.bad_line++; /* too long */
			hs_refuse(s);
			return;
		}
	}
	if (cfidl_wait_begin(loop, &s->wait) != ZX_OK)
		hs_free(s);
}

static void on_timeout(cfidl_loop_t *loop, cfidl_task_t *task,
                       zx_status_t status)
{
	hs_t *s = HS_OF(task, timer);

	(void)loop;
	if (status != ZX_OK)
		return;
	s->h->stats.timed_out++;
	hs_free(s);
}

static void on_fd(void *ctx, int fd)
{
	cfv_hybrid_t *h = ctx;
	hs_t *s;

	h->stats.accepted++;
	if (h->stats.pending >= h->cfg.max_pending) {
		h->stats.overflow++;
		close(fd);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return;
	}
	if (cfidl_socket_adopt_fd(fd, &s->sock) != ZX_OK) {
		free(s);
		return;
	}
	s->h = h;
	s->next = h->pending;
	if (s->next)
		s->next->prev = s;
	h->pending = s;
	h->stats.pending++;
	s->wait.handler = on_readable;
	s->wait.object = s->sock;
	s->wait.trigger = ZX_SOCKET_READABLE | ZX_SOCKET_PEER_CLOSED |
	                  ZX_SOCKET_PEER_WRITE_DISABLED;
	s->timer.handler = on_timeout;
	s->timer.deadline = zx_deadline_after(h->cfg.handshake_timeout);
	if (cfidl_task_post(h->loop, &s->timer) != ZX_OK ||
	    cfidl_wait_begin(h->loop, &s->wait) != ZX_OK)
		hs_free(s);
}

zx_status_t cfv_hybrid_create_etc(cfidl_loop_t *loop, cfv_router_t *router,
                                  uint32_t cid, const char *path,
                                  const cfv_hybrid_config_t *cfg,
                                  cfv_hybrid_t **out)
{
	cfv_hybrid_t *h;
	zx_status_t s;

	if (!loop || !router || !path || !out)
		return ZX_ERR_INVALID_ARGS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return ZX_ERR_NO_MEMORY;
	h->loop = loop;
	h->router = router;
	h->cid = cid;
	if (cfg)
		h->cfg = *cfg;
	else
		cfv_hybrid_config_init(&h->cfg);
	s = cfv_uds_listener_create_raw(loop, path, SOCK_STREAM, on_fd, h,
	                                &h->listener);
	if (s != ZX_OK) {
		free(h);
		return s;
	}
	/* Guest connections to host port P with no listener go to
	 * `<path>_P`; the guest may join the router later (default path). */
	(void)cfv_router_set_hybrid_path(router, cid, path);
	*out = h;
	return ZX_OK;
}

zx_status_t cfv_hybrid_create(cfidl_loop_t *loop, cfv_router_t *router,
                              uint32_t cid, const char *path,
                              cfv_hybrid_t **out)
{
	return cfv_hybrid_create_etc(loop, router, cid, path, NULL, out);
}

void cfv_hybrid_get_stats(const cfv_hybrid_t *h, cfv_hybrid_stats_t *out)
{
	*out = h->stats;
}

void cfv_hybrid_destroy(cfv_hybrid_t *h)
{
	if (!h)
		return;
	cfv_uds_listener_destroy(h->listener);
	while (h->pending)
		hs_free(h->pending);
	cfv_relay_destroy_all(&h->relays);
	free(h);
}
