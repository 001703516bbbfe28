/*
 * hybrid.h: Firecracker's hybrid vsock for one guest (owner D).
 *
 * A Unix stream socket (`<rundir>/vsock-<cid>.sock`, mode 0600) where a
 * host app connects, writes `CONNECT <port>\n`, reads `OK <host_port>\n`
 * and then has the connection to the guest's port: the accepted fd itself
 * becomes the zx socket given to the guest's GuestVsockAcceptor.Accept
 * (through the router), so no byte is relayed.  A refusal (no listener in
 * the guest, no such guest) closes the socket without a reply, as
 * Firecracker does.  The other direction (a guest connecting to host port
 * P with no listener reaching `<path>_<P>`) is the router's; hybrid_create
 * tells the router the path.
 *
 * Robustness (REFERENCE 6, bugs other VMMs had): the line is read without
 * ever blocking the loop, a byte at a time as it comes, with a deadline
 * (handshake_timeout); an over-long line (> CFV_HYBRID_LINE_MAX bytes) or
 * anything but `CONNECT <decimal u32>` (an optional \r before the \n is
 * allowed) closes the socket; at most max_pending handshakes wait at once
 * (more connections are closed at once, never queued in memory), and the
 * listener accepts without blocking (uds_listener.h); no write raises
 * SIGPIPE; bytes the app sends after its line stay queued for the guest,
 * and the app's EOF after the handshake is a half-close (the connection
 * engine's business).  The daemon keeps serving after each of these.
 *
 * Ordering: the OK line must reach the app before any byte of the guest.
 * Handing the app's own socket to the guest (no copy) races: the guest's
 * host half may write its first bytes before the router's Accept answer
 * lets us write OK (seen in about half of the tries with a guest that
 * speaks first, a banner or an SSH server).  So by default (ordered) the
 * guest gets one end of a fresh socket pair and the hybrid relays it after
 * writing OK, at the price of one copy in the daemon on this path only.
 * config.ordered = false keeps the zero-copy mode for apps where the host
 * speaks first.  A hook in the host half writing OK at RESPONSE time
 * would give both; not done.
 */
#ifndef CFV_HYBRID_H
#define CFV_HYBRID_H

#include <stdbool.h>
#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

#include "router.h"

/* Longest CONNECT line, \n included. */
#define CFV_HYBRID_LINE_MAX 64u

typedef struct cfv_hybrid cfv_hybrid_t;

typedef struct cfv_hybrid_config {
	zx_duration_t handshake_timeout; /* default 5 s */
	uint32_t max_pending;            /* default 256 */
	/* true (default): the guest gets a socket pair's end and the hybrid
	 * relays it (hybrid_relay.h) after writing the OK line, so the OK
	 * always comes first; destroy then ends those connections too.
	 * false: the app's socket is the guest's (no copy; see above). */
	bool ordered;
} cfv_hybrid_config_t;

void cfv_hybrid_config_init(cfv_hybrid_config_t *cfg);

typedef struct cfv_hybrid_stats {
	uint64_t accepted;  /* UDS connections accepted */
	uint64_t connected; /* OK sent */
	uint64_t refused;   /* the guest refused, or no such guest */
	uint64_t bad_line;  /* garbage or over-long line */
	uint64_t timed_out; /* no full line in time */
	uint64_t eof;       /* closed before a full line */
	uint64_t overflow;  /* closed at once: max_pending reached */
	uint32_t pending;   /* handshakes now */
} cfv_hybrid_stats_t;

/*
 * Listens on path for guest cid (which the router knows, or will know).
 * router is borrowed and must outlive the hybrid.  The caller owns *out.
 * Errors: INVALID_ARGS, NO_MEMORY, those of cfv_uds_listener_create_raw.
 */
zx_status_t cfv_hybrid_create(cfidl_loop_t *loop, cfv_router_t *router,
                              uint32_t cid, const char *path,
                              cfv_hybrid_t **out);

/* As cfv_hybrid_create with a config (NULL: the defaults). */
zx_status_t cfv_hybrid_create_etc(cfidl_loop_t *loop, cfv_router_t *router,
                                  uint32_t cid, const char *path,
                                  const cfv_hybrid_config_t *cfg,
                                  cfv_hybrid_t **out);

void cfv_hybrid_get_stats(const cfv_hybrid_t *h, cfv_hybrid_stats_t *out);

/*
 * Closes the socket (unlinking path) and every pending handshake, and
 * frees h.  Established connections are not the hybrid's: they live on.
 * NULL ok.
 */
void cfv_hybrid_destroy(cfv_hybrid_t *h);

#endif /* CFV_HYBRID_H */
