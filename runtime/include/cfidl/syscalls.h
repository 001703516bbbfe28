/* <cfidl/syscalls.h>: every libcfidl kernel-object call. */
#ifndef CFIDL_SYSCALLS_H
#define CFIDL_SYSCALLS_H

#include <cfidl/zx.h>

#include <cfidl/channel.h>
#include <cfidl/eventpair.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#endif /* CFIDL_SYSCALLS_H */
