/*
 * transport_ring.h: the part shared by both transports: a tx and an rx
 * ring, batched delivery from the loop and the sleep/kick protocol.  The
 * concrete transport supplies how to kick the peer and how to free.
 */
#ifndef CFV_TRANSPORT_RING_H
#define CFV_TRANSPORT_RING_H

#include <stdbool.h>

#include "ring.h"
#include "transport.h"

struct cfv_transport_ops {
	/* Wake the peer: it should poll its rings. */
	void (*kick)(cfv_transport_t *t);
	/* Free everything (rings, doorbells, t itself). */
	void (*destroy)(cfv_transport_t *t);
};

struct cfv_transport {
	const struct cfv_transport_ops *ops;
	cfidl_loop_t *loop;
	cfv_ring_t tx, rx;
	cfv_transport_handlers_t h;
	void *ctx;
	cfidl_task_t soon; /* poll again from the loop */
	size_t want_room;  /* payload bytes the failed send needed */
	bool want_writable;
	bool dead;
};

/* Sets up t (rings already attached) and schedules a first poll. */
void cfv_tring_start(cfv_transport_t *t, cfidl_loop_t *loop,
                     const struct cfv_transport_ops *ops);

/* The doorbell rang (or a poll was due): deliver, wake, report room. */
void cfv_tring_poll(cfv_transport_t *t);

/* Schedules cfv_tring_poll from the loop. */
void cfv_tring_poll_soon(cfv_transport_t *t);

/* Cancels what cfv_tring_* scheduled (before freeing t). */
void cfv_tring_stop(cfv_transport_t *t);

#endif /* CFV_TRANSPORT_RING_H */
