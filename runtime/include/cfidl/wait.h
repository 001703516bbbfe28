/*
 * <cfidl/wait.h>: waiting for signals on one or many objects.
 *
 * Waits use epoll over the objects' fds, so signals raised in another
 * process are seen.  A handle closed by another thread during a wait does
 * not end the wait early (unlike Zircon's ZX_ERR_CANCELED): the wait goes
 * on with the object until signals or the deadline.
 */
#ifndef CFIDL_WAIT_H
#define CFIDL_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZX_WAIT_MANY_MAX_ITEMS 64u

typedef struct zx_wait_item {
	zx_handle_t handle;
	zx_signals_t waitfor;
	zx_signals_t pending;
} zx_wait_item_t;

/*
 * Waits until handle has any of signals asserted or deadline passes.
 * *observed (may be NULL) gets the signals asserted at the end.  Needs
 * ZX_RIGHT_WAIT.  Returns ZX_OK, ZX_ERR_TIMED_OUT, BAD_HANDLE,
 * ACCESS_DENIED, NO_RESOURCES.  A past deadline polls once.
 */
zx_status_t zx_object_wait_one(zx_handle_t handle, zx_signals_t signals,
                               zx_time_t deadline, zx_signals_t *observed);

/*
 * Waits until any item has any of its waitfor signals, or deadline.  Each
 * item's pending gets its object's signals at the end.  count at most
 * ZX_WAIT_MANY_MAX_ITEMS (else OUT_OF_RANGE).  The array is the caller's.
 */
zx_status_t zx_object_wait_many(zx_wait_item_t *items, size_t count,
                                zx_time_t deadline);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_WAIT_H */
