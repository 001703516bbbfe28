/*
 * <cfidl/eventpair.h>: events, eventpairs and user signals.
 *
 * An event is one signal word; an eventpair is two linked ends, each with
 * its own word, and each sees ZX_EVENTPAIR_PEER_CLOSED once the other end
 * is gone.  The words live in a small sealed memfd shared by every process
 * holding the object; an eventfd is bumped on each change so waiters (in
 * any process) wake up; an eventpair's ends also hold the two ends of a
 * socketpair, whose hang-up is the peer-closed signal.
 */
#ifndef CFIDL_EVENTPAIR_H
#define CFIDL_EVENTPAIR_H

#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Creates an event (options must be 0).  The caller owns *out
 * (ZX_DEFAULT_EVENT_RIGHTS).
 */
zx_status_t zx_event_create(uint32_t options, zx_handle_t *out);

/*
 * Creates an eventpair (options must be 0).  The caller owns *out0 and
 * *out1 (ZX_DEFAULT_EVENTPAIR_RIGHTS).
 */
zx_status_t zx_eventpair_create(uint32_t options, zx_handle_t *out0,
                                zx_handle_t *out1);

/*
 * Clears then sets signals on handle's own object: bits in clear_mask and
 * set_mask must be user signals or ZX_EVENT_SIGNALED
 * (ZX_EVENTPAIR_SIGNALED), else ZX_ERR_INVALID_ARGS.  Needs
 * ZX_RIGHT_SIGNAL.  Only events and eventpairs carry user signals here:
 * other objects give ZX_ERR_NOT_SUPPORTED.
 */
zx_status_t zx_object_signal(zx_handle_t handle, uint32_t clear_mask,
                             uint32_t set_mask);

/*
 * As zx_object_signal, on the peer end of an eventpair.  Needs
 * ZX_RIGHT_SIGNAL_PEER (which events lack).  ZX_ERR_PEER_CLOSED if the
 * peer is gone; objects without a peer give ZX_ERR_NOT_SUPPORTED.
 */
zx_status_t zx_object_signal_peer(zx_handle_t handle, uint32_t clear_mask,
                                  uint32_t set_mask);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_EVENTPAIR_H */
