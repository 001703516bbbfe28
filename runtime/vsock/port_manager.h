/*
 * port_manager.h: host-side vsock port bookkeeping (owner B).
 *
 * A port manager knows which ports are in use and which are quarantined.
 * Ephemeral ports are allocated moving forward through [first, last]
 * (Fuchsia's device port manager does the same), so a port just freed is
 * the last one to be handed out again.  A port released after a forced
 * close (no RST from the peer before the close timeout) is quarantined
 * for `quarantine`: the peer may still hold state for the old connection,
 * so allocation skips the port until the quarantine ends.  A clean close
 * frees the port at once.
 *
 * Explicit reservations (a listener's well-known port, or a port chosen by
 * someone else) may name any port, inside the range or not; they check
 * only that the port is not in use: whether to respect a quarantine there
 * is the caller's choice (cfv_port_manager_quarantined tells it).
 *
 * Time is the caller's: every call that needs it takes `now` (a
 * zx_clock_get_monotonic() value in production, anything in tests).
 * Not thread-safe; used from one loop thread.  Memory: a bitmap of the
 * range (2 KiB for 49152..65535) plus small arrays for out-of-range
 * reservations and live quarantines.
 */
#ifndef CFV_PORT_MANAGER_H
#define CFV_PORT_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The quarantine after a forced close (REFERENCE 6: 10 s). */
#define CFV_PORT_QUARANTINE ((zx_duration_t)10 * 1000 * 1000 * 1000)

typedef struct cfv_port_manager cfv_port_manager_t;

/*
 * Creates a manager allocating from [first, last] (inclusive; e.g.
 * CFV_EPHEMERAL_FIRST..CFV_EPHEMERAL_LAST) with the given quarantine
 * (>= 0).  The caller owns *out.  Errors: INVALID_ARGS (first > last,
 * quarantine < 0, out NULL), NO_MEMORY.
 */
zx_status_t cfv_port_manager_create(uint32_t first, uint32_t last,
                                    zx_duration_t quarantine,
                                    cfv_port_manager_t **out);

/* Frees the manager; NULL ok. */
void cfv_port_manager_destroy(cfv_port_manager_t *pm);

/*
 * Allocates the next free port of the range after the last one allocated
 * (wrapping at `last`), skipping ports in use and ports quarantined at
 * `now`; the port is then in use.  Errors: NO_RESOURCES (every port of the
 * range is in use or quarantined), INVALID_ARGS (out NULL).
 */
zx_status_t cfv_port_manager_alloc(cfv_port_manager_t *pm, zx_time_t now,
                                   uint32_t *out);

/*
 * Marks a specific port (any value) in use.  Errors: ALREADY_BOUND (in
 * use), NO_MEMORY.  A quarantine on the port is not checked (see above).
 */
zx_status_t cfv_port_manager_reserve(cfv_port_manager_t *pm, uint32_t port);

/*
 * Frees a port in use.  forced: it ends a forced close, so the port is
 * quarantined until now + quarantine (alloc skips it).  Errors: NOT_FOUND
 * (not in use; nothing changes), NO_MEMORY (forced, and the quarantine
 * could not be recorded: the port stays in use, so it is never reused
 * early; retry later).
 */
zx_status_t cfv_port_manager_release(cfv_port_manager_t *pm, uint32_t port,
                                     bool forced, zx_time_t now);

/* Is port in use (allocated or reserved)? */
bool cfv_port_manager_in_use(const cfv_port_manager_t *pm, uint32_t port);

/* Is port under quarantine at now? */
bool cfv_port_manager_quarantined(const cfv_port_manager_t *pm, uint32_t port,
                                  zx_time_t now);

#ifdef __cplusplus
}
#endif

#endif /* CFV_PORT_MANAGER_H */
