/*
 * guest.h: what the guest program and the tests may ask of a
 * cfidl_vsock_guest_t beyond the public API (<cfidl/vsock.h>).
 */
#ifndef CFV_GUEST_H
#define CFV_GUEST_H

#include <stdint.h>

#include <cfidl/vsock.h>

/* Live connections of the guest's Service (connecting, accepting or
 * established). */
uint32_t cfv_guest_connection_count(const cfidl_vsock_guest_t *g);

/* The runtime directory the guest registered in (owned by g). */
const char *cfv_guest_rundir(const cfidl_vsock_guest_t *g);

#endif /* CFV_GUEST_H */
