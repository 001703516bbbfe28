/*
 * hybrid_relay.h: two zx sockets joined both ways on a loop (owner D).
 *
 * The hybrid's ordered mode (hybrid.h) uses it: the guest gets one end of
 * a fresh socket pair, the app's Unix socket the relay, so the `OK` line
 * is in the stream before any byte of the guest's.  Bytes are read into a
 * stack buffer and written on at once; only what the receiver cannot take
 * now is kept (on the heap, at most one read's worth per direction), and
 * the sender is not read again until it is gone: nothing is buffered
 * without bound.  A side that stops writing (EOF, shutdown(SHUT_WR)) is
 * passed on as a half-close; the relay ends, closing both sockets, when
 * both directions ended or a side is gone for good.
 */
#ifndef CFV_HYBRID_RELAY_H
#define CFV_HYBRID_RELAY_H

#include <cfidl/loop.h>
#include <cfidl/zx.h>

typedef struct cfv_relay cfv_relay_t;

/*
 * Joins a and b (both consumed, even on error).  The relay links itself
 * into *list and unlinks itself when it ends (then it is freed).  Errors:
 * INVALID_ARGS, NO_MEMORY, cfidl_wait_begin's.
 */
zx_status_t cfv_relay_create(cfidl_loop_t *loop, zx_handle_t a, zx_handle_t b,
                             cfv_relay_t **list);

/* Ends every relay of *list now (sockets closed).  Loop thread only. */
void cfv_relay_destroy_all(cfv_relay_t **list);

#endif /* CFV_HYBRID_RELAY_H */
