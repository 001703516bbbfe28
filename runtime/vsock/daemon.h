/*
 * daemon.h: what the daemon program and the tests may ask of a
 * cfidl_vsock_daemon_t beyond the public API (<cfidl/vsock.h>).
 */
#ifndef CFV_DAEMON_H
#define CFV_DAEMON_H

#include <stdint.h>

#include <cfidl/vsock.h>

/* The CID of the i-th registered guest (newest first); 0 past the end. */
uint32_t cfv_daemon_guest_cid_at(const cfidl_vsock_daemon_t *d, uint32_t i);

#endif /* CFV_DAEMON_H */
