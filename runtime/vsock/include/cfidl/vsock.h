/*
 * <cfidl/vsock.h>: a userspace vsock stack on cfidl (libcfidl-vsock).
 *
 * Sections are added by the parts that own them: the app API (connect,
 * listen, accept as a host app or as an app inside a guest) and the daemon
 * and guest APIs the programs are built on.  See libcfidl-vsock(3).
 */
#ifndef CFIDL_VSOCK_H
#define CFIDL_VSOCK_H

#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string ("0.1.0"). */
const char *cfidl_vsock_version(void);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_VSOCK_H */
