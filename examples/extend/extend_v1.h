/* The v1 side of the extend example, built from v1.fidl's bindings into a
 * module of its own: v1 and v2 are the same library, so their generated
 * symbols share names and cannot be linked into one program.  The v2 test
 * loads this module with dlopen (RTLD_LOCAL) and reaches it through these
 * functions only, which use no generated type. */
#ifndef EXTEND_V1_H
#define EXTEND_V1_H

#include <stdbool.h>
#include <stdint.h>

#include <cfidl/zx.h>

/* What the v1 server saw of an interaction it does not know. */
typedef struct extend_v1_unknown {
	uint64_t ordinal;
	bool two_way;
	int count;
} extend_v1_unknown_t;

/* Serves channel (consumed) with the v1 server on a loop in a thread. */
typedef zx_status_t (*extend_v1_server_start_fn)(zx_handle_t channel);
/* The longest a v1 server serves. */
#define EXTEND_V1_SERVE_MAX ZX_SEC(20)

/* Waits until the server's binding has ended (the client closed the
 * channel, or the server did) or EXTEND_V1_SERVE_MAX passed; returns why
 * it ended (ZX_ERR_CANCELED: it was still serving) and what the server
 * saw in *unknown (may be NULL). */
typedef zx_status_t (*extend_v1_server_stop_fn)(extend_v1_unknown_t *unknown);
/* v1 client: Twice(n) with the v1 bindings. */
typedef zx_status_t (*extend_v1_call_twice_fn)(zx_handle_t channel, uint32_t n,
                                               uint32_t *out_n);
/* v1 client: waits until deadline for one event and passes it to the v1
 * event handlers: *changed_key for OnChanged, *unknown for another
 * flexible event (with_unknown_handler false: no unknown-event handler,
 * the event is dropped). */
typedef zx_status_t (*extend_v1_read_event_fn)(zx_handle_t channel,
                                               zx_time_t deadline,
                                               bool with_unknown_handler,
                                               uint32_t *changed_key,
                                               extend_v1_unknown_t *unknown);
/* v1's ordinal of Twice. */
typedef uint64_t (*extend_v1_twice_ordinal_fn)(void);

/* The module's entry points, as dlsym names them. */
#define EXTEND_V1_SERVER_START "extend_v1_server_start"
#define EXTEND_V1_SERVER_STOP  "extend_v1_server_stop"
#define EXTEND_V1_CALL_TWICE   "extend_v1_call_twice"
#define EXTEND_V1_READ_EVENT   "extend_v1_read_event"
#define EXTEND_V1_TWICE_ORD    "extend_v1_twice_ordinal"

#endif /* EXTEND_V1_H */
