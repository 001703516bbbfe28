/*
 * registry.h: cfidl.vsock.GuestRegistry, how guest programs join the
 * daemon (owner D).
 *
 * Served on `<rundir>/registry.sock` (SOCK_SEQPACKET, one channel per
 * accepted connection, uds_listener.h).  Register(requested_cid) picks the
 * CID (0: the lowest free one from 3 on; a reserved one (0, 1, 2,
 * 0xffffffff) is INVALID_ARGS, a taken one ALREADY_EXISTS, where taken
 * means the router has it or another registration holds it) and asks the
 * daemon, through on_register, for the guest's transport handles, which
 * go back in the reply.  One Register per channel (a second gets
 * BAD_STATE).  The channel lives as long as the guest: when it closes
 * after a successful Register, on_gone(cid) tells the daemon.
 *
 * Everything runs on the loop's thread; not thread-safe.
 */
#ifndef CFV_REGISTRY_H
#define CFV_REGISTRY_H

#include <stdint.h>

#include <cfidl/loop.h>
#include <cfidl/zx.h>

#include "router.h"
#include "transport.h"

typedef struct cfv_registry cfv_registry_t;

typedef struct cfv_registry_callbacks {
	/*
	 * A guest registers as cid (free and not reserved).  Fill *for_guest
	 * (zeroed on entry) and return ZX_OK: the handles are sent to the
	 * guest (the registry owns them from the return on, whatever
	 * happens).  Any other status is the guest's error; handles left in
	 * *for_guest are closed.
	 */
	zx_status_t (*on_register)(void *ctx, uint32_t cid,
	                           cfv_shm_handles_t *for_guest);
	/* The channel of registered guest cid closed: the guest is gone. */
	void (*on_gone)(void *ctx, uint32_t cid);
} cfv_registry_callbacks_t;

/*
 * Listens on path (see above).  router (borrowed, may be NULL) is asked
 * which CIDs are taken; it must outlive the registry.  cb is copied.  The
 * caller owns *out.  Errors: INVALID_ARGS, NO_MEMORY, those of
 * cfv_uds_listener_create.
 */
zx_status_t cfv_registry_create(cfidl_loop_t *loop, const char *path,
                                cfv_router_t *router,
                                const cfv_registry_callbacks_t *cb, void *ctx,
                                cfv_registry_t **out);

/*
 * Serves GuestRegistry on channel (consumed, closed on error too), as for
 * a connection to the socket (in-process guests, tests).
 */
zx_status_t cfv_registry_bind(cfv_registry_t *reg, zx_handle_t channel);

/*
 * Sends OnTransportReset(new_cid) to registered guest cid, which is
 * new_cid from now on (on_gone will name new_cid).  Errors: NOT_FOUND, the
 * channel's.
 */
zx_status_t cfv_registry_send_transport_reset(cfv_registry_t *reg, uint32_t cid,
                                              uint32_t new_cid);

/* Registered guests now. */
uint32_t cfv_registry_count(const cfv_registry_t *reg);

/*
 * Stops listening and closes every guest's channel, WITHOUT on_gone (the
 * caller is tearing the guests down itself).  NULL ok.  Not from inside
 * one of the registry's callbacks.
 */
void cfv_registry_destroy(cfv_registry_t *reg);

#endif /* CFV_REGISTRY_H */
