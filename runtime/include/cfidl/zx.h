/*
 * <cfidl/zx.h>: the Zircon vocabulary of libcfidl.
 *
 * Types, status codes, object types, rights, signals and time, with the
 * values Zircon gives them so that code and bytes written for Fuchsia mean
 * the same thing here.  The objects themselves are declared in
 * <cfidl/handle.h>, <cfidl/channel.h>, <cfidl/socket.h>, <cfidl/vmo.h>,
 * <cfidl/eventpair.h> and <cfidl/wait.h>; <cfidl/syscalls.h> includes all.
 */
#ifndef CFIDL_ZX_H
#define CFIDL_ZX_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t zx_status_t;
typedef uint32_t zx_handle_t;
typedef uint32_t zx_rights_t;
typedef uint32_t zx_signals_t;
typedef uint32_t zx_obj_type_t;
typedef uint32_t zx_handle_op_t;
typedef uint64_t zx_koid_t;
typedef int64_t zx_time_t;     /* CLOCK_MONOTONIC, nanoseconds */
typedef int64_t zx_duration_t; /* nanoseconds */
typedef uint32_t zx_txid_t;
typedef uint32_t zx_object_info_topic_t;
typedef uint32_t zx_vm_option_t;

#define ZX_HANDLE_INVALID ((zx_handle_t)0)
#define ZX_KOID_INVALID   ((zx_koid_t)0)

/* Status values (REFERENCE.md section 4). */
#define ZX_OK                         ((zx_status_t)0)
#define ZX_ERR_INTERNAL               ((zx_status_t)-1)
#define ZX_ERR_NOT_SUPPORTED          ((zx_status_t)-2)
#define ZX_ERR_NO_RESOURCES           ((zx_status_t)-3)
#define ZX_ERR_NO_MEMORY              ((zx_status_t)-4)
#define ZX_ERR_INVALID_ARGS           ((zx_status_t)-10)
#define ZX_ERR_BAD_HANDLE             ((zx_status_t)-11)
#define ZX_ERR_WRONG_TYPE             ((zx_status_t)-12)
#define ZX_ERR_BAD_SYSCALL            ((zx_status_t)-13)
#define ZX_ERR_OUT_OF_RANGE           ((zx_status_t)-14)
#define ZX_ERR_BUFFER_TOO_SMALL       ((zx_status_t)-15)
#define ZX_ERR_BAD_STATE              ((zx_status_t)-20)
#define ZX_ERR_TIMED_OUT              ((zx_status_t)-21)
#define ZX_ERR_SHOULD_WAIT            ((zx_status_t)-22)
#define ZX_ERR_CANCELED               ((zx_status_t)-23)
#define ZX_ERR_PEER_CLOSED            ((zx_status_t)-24)
#define ZX_ERR_NOT_FOUND              ((zx_status_t)-25)
#define ZX_ERR_ALREADY_EXISTS         ((zx_status_t)-26)
#define ZX_ERR_ALREADY_BOUND          ((zx_status_t)-27)
#define ZX_ERR_UNAVAILABLE            ((zx_status_t)-28)
#define ZX_ERR_ACCESS_DENIED          ((zx_status_t)-30)
#define ZX_ERR_IO                     ((zx_status_t)-40)
#define ZX_ERR_IO_REFUSED             ((zx_status_t)-41)
#define ZX_ERR_IO_DATA_INTEGRITY      ((zx_status_t)-42)
#define ZX_ERR_IO_DATA_LOSS           ((zx_status_t)-43)
#define ZX_ERR_BAD_PATH               ((zx_status_t)-50)
#define ZX_ERR_NOT_DIR                ((zx_status_t)-51)
#define ZX_ERR_NOT_FILE               ((zx_status_t)-52)
#define ZX_ERR_FILE_BIG               ((zx_status_t)-53)
#define ZX_ERR_NO_SPACE               ((zx_status_t)-54)
#define ZX_ERR_NOT_EMPTY              ((zx_status_t)-55)
#define ZX_ERR_STOP                   ((zx_status_t)-60)
#define ZX_ERR_NEXT                   ((zx_status_t)-61)
#define ZX_ERR_ASYNC                  ((zx_status_t)-62)
#define ZX_ERR_PROTOCOL_NOT_SUPPORTED ((zx_status_t)-70)
#define ZX_ERR_ADDRESS_UNREACHABLE    ((zx_status_t)-71)
#define ZX_ERR_ADDRESS_IN_USE         ((zx_status_t)-72)
#define ZX_ERR_NOT_CONNECTED          ((zx_status_t)-73)
#define ZX_ERR_CONNECTION_REFUSED     ((zx_status_t)-74)
#define ZX_ERR_CONNECTION_RESET       ((zx_status_t)-75)
#define ZX_ERR_CONNECTION_ABORTED     ((zx_status_t)-76)

/*
 * The name of a status ("ZX_OK", "ZX_ERR_PEER_CLOSED", ...), or
 * "(UNKNOWN)".  The string is static; the caller must not free it.
 */
const char *zx_status_get_string(zx_status_t status);

/* Object types. */
#define ZX_OBJ_TYPE_NONE          ((zx_obj_type_t)0)
#define ZX_OBJ_TYPE_PROCESS       ((zx_obj_type_t)1)
#define ZX_OBJ_TYPE_THREAD        ((zx_obj_type_t)2)
#define ZX_OBJ_TYPE_VMO           ((zx_obj_type_t)3)
#define ZX_OBJ_TYPE_CHANNEL       ((zx_obj_type_t)4)
#define ZX_OBJ_TYPE_EVENT         ((zx_obj_type_t)5)
#define ZX_OBJ_TYPE_PORT          ((zx_obj_type_t)6)
#define ZX_OBJ_TYPE_INTERRUPT     ((zx_obj_type_t)9)
#define ZX_OBJ_TYPE_PCI_DEVICE    ((zx_obj_type_t)11)
#define ZX_OBJ_TYPE_LOG           ((zx_obj_type_t)12)
#define ZX_OBJ_TYPE_SOCKET        ((zx_obj_type_t)14)
#define ZX_OBJ_TYPE_RESOURCE      ((zx_obj_type_t)15)
#define ZX_OBJ_TYPE_EVENTPAIR     ((zx_obj_type_t)16)
#define ZX_OBJ_TYPE_JOB           ((zx_obj_type_t)17)
#define ZX_OBJ_TYPE_VMAR          ((zx_obj_type_t)18)
#define ZX_OBJ_TYPE_FIFO          ((zx_obj_type_t)19)
#define ZX_OBJ_TYPE_GUEST         ((zx_obj_type_t)20)
#define ZX_OBJ_TYPE_VCPU          ((zx_obj_type_t)21)
#define ZX_OBJ_TYPE_TIMER         ((zx_obj_type_t)22)
#define ZX_OBJ_TYPE_IOMMU         ((zx_obj_type_t)23)
#define ZX_OBJ_TYPE_BTI           ((zx_obj_type_t)24)
#define ZX_OBJ_TYPE_PROFILE       ((zx_obj_type_t)25)
#define ZX_OBJ_TYPE_PMT           ((zx_obj_type_t)26)
#define ZX_OBJ_TYPE_SUSPEND_TOKEN ((zx_obj_type_t)27)
#define ZX_OBJ_TYPE_PAGER         ((zx_obj_type_t)28)
#define ZX_OBJ_TYPE_EXCEPTION     ((zx_obj_type_t)29)
#define ZX_OBJ_TYPE_CLOCK         ((zx_obj_type_t)30)
#define ZX_OBJ_TYPE_STREAM        ((zx_obj_type_t)31)

/* Rights (zircon/rights.h bit values). */
#define ZX_RIGHT_NONE           ((zx_rights_t)0u)
#define ZX_RIGHT_DUPLICATE      ((zx_rights_t)1u << 0)
#define ZX_RIGHT_TRANSFER       ((zx_rights_t)1u << 1)
#define ZX_RIGHT_READ           ((zx_rights_t)1u << 2)
#define ZX_RIGHT_WRITE          ((zx_rights_t)1u << 3)
#define ZX_RIGHT_EXECUTE        ((zx_rights_t)1u << 4)
#define ZX_RIGHT_MAP            ((zx_rights_t)1u << 5)
#define ZX_RIGHT_GET_PROPERTY   ((zx_rights_t)1u << 6)
#define ZX_RIGHT_SET_PROPERTY   ((zx_rights_t)1u << 7)
#define ZX_RIGHT_ENUMERATE      ((zx_rights_t)1u << 8)
#define ZX_RIGHT_DESTROY        ((zx_rights_t)1u << 9)
#define ZX_RIGHT_SET_POLICY     ((zx_rights_t)1u << 10)
#define ZX_RIGHT_GET_POLICY     ((zx_rights_t)1u << 11)
#define ZX_RIGHT_SIGNAL         ((zx_rights_t)1u << 12)
#define ZX_RIGHT_SIGNAL_PEER    ((zx_rights_t)1u << 13)
#define ZX_RIGHT_WAIT           ((zx_rights_t)1u << 14)
#define ZX_RIGHT_INSPECT        ((zx_rights_t)1u << 15)
#define ZX_RIGHT_MANAGE_JOB     ((zx_rights_t)1u << 16)
#define ZX_RIGHT_MANAGE_PROCESS ((zx_rights_t)1u << 17)
#define ZX_RIGHT_MANAGE_THREAD  ((zx_rights_t)1u << 18)
#define ZX_RIGHT_APPLY_PROFILE  ((zx_rights_t)1u << 19)
#define ZX_RIGHT_MANAGE_SOCKET  ((zx_rights_t)1u << 20)
#define ZX_RIGHT_OP_CHILDREN    ((zx_rights_t)1u << 21)
#define ZX_RIGHT_RESIZE         ((zx_rights_t)1u << 22)
#define ZX_RIGHT_ATTACH_VMO     ((zx_rights_t)1u << 23)
#define ZX_RIGHT_MANAGE_VMO     ((zx_rights_t)1u << 24)
#define ZX_RIGHT_SAME_RIGHTS    ((zx_rights_t)1u << 31)

#define ZX_RIGHTS_BASIC                                                        \
	(ZX_RIGHT_TRANSFER | ZX_RIGHT_DUPLICATE | ZX_RIGHT_WAIT |              \
	 ZX_RIGHT_INSPECT)
#define ZX_RIGHTS_IO       (ZX_RIGHT_READ | ZX_RIGHT_WRITE)
#define ZX_RIGHTS_PROPERTY (ZX_RIGHT_GET_PROPERTY | ZX_RIGHT_SET_PROPERTY)
#define ZX_RIGHTS_POLICY   (ZX_RIGHT_GET_POLICY | ZX_RIGHT_SET_POLICY)

#define ZX_DEFAULT_CHANNEL_RIGHTS                                              \
	((ZX_RIGHTS_BASIC & ~ZX_RIGHT_DUPLICATE) | ZX_RIGHTS_IO |              \
	 ZX_RIGHT_SIGNAL | ZX_RIGHT_SIGNAL_PEER)
#define ZX_DEFAULT_EVENT_RIGHTS                                                \
	(ZX_RIGHTS_BASIC | ZX_RIGHTS_IO | ZX_RIGHT_SIGNAL)
#define ZX_DEFAULT_EVENTPAIR_RIGHTS                                            \
	(ZX_RIGHTS_BASIC | ZX_RIGHTS_IO | ZX_RIGHT_SIGNAL |                    \
	 ZX_RIGHT_SIGNAL_PEER)
#define ZX_DEFAULT_SOCKET_RIGHTS                                               \
	(ZX_RIGHTS_BASIC | ZX_RIGHTS_IO | ZX_RIGHTS_PROPERTY |                 \
	 ZX_RIGHT_SIGNAL | ZX_RIGHT_SIGNAL_PEER | ZX_RIGHT_MANAGE_SOCKET)
#define ZX_DEFAULT_VMO_RIGHTS                                                  \
	(ZX_RIGHTS_BASIC | ZX_RIGHTS_IO | ZX_RIGHTS_PROPERTY | ZX_RIGHT_MAP |  \
	 ZX_RIGHT_SIGNAL)

/* Signals.  Bits 0-22 are per object type; 24-31 belong to the user. */
#define ZX_SIGNAL_NONE          ((zx_signals_t)0u)
#define ZX_OBJECT_SIGNAL_0      ((zx_signals_t)1u << 0)
#define ZX_OBJECT_SIGNAL_1      ((zx_signals_t)1u << 1)
#define ZX_OBJECT_SIGNAL_2      ((zx_signals_t)1u << 2)
#define ZX_OBJECT_SIGNAL_3      ((zx_signals_t)1u << 3)
#define ZX_OBJECT_SIGNAL_4      ((zx_signals_t)1u << 4)
#define ZX_OBJECT_SIGNAL_5      ((zx_signals_t)1u << 5)
#define ZX_OBJECT_READABLE      ZX_OBJECT_SIGNAL_0
#define ZX_OBJECT_WRITABLE      ZX_OBJECT_SIGNAL_1
#define ZX_OBJECT_PEER_CLOSED   ZX_OBJECT_SIGNAL_2
#define ZX_SIGNAL_HANDLE_CLOSED ((zx_signals_t)1u << 23)
#define ZX_USER_SIGNAL_0        ((zx_signals_t)1u << 24)
#define ZX_USER_SIGNAL_1        ((zx_signals_t)1u << 25)
#define ZX_USER_SIGNAL_2        ((zx_signals_t)1u << 26)
#define ZX_USER_SIGNAL_3        ((zx_signals_t)1u << 27)
#define ZX_USER_SIGNAL_4        ((zx_signals_t)1u << 28)
#define ZX_USER_SIGNAL_5        ((zx_signals_t)1u << 29)
#define ZX_USER_SIGNAL_6        ((zx_signals_t)1u << 30)
#define ZX_USER_SIGNAL_7        ((zx_signals_t)1u << 31)
#define ZX_USER_SIGNAL_ALL      ((zx_signals_t)0xff000000u)

#define ZX_CHANNEL_READABLE    ZX_OBJECT_READABLE
#define ZX_CHANNEL_WRITABLE    ZX_OBJECT_WRITABLE
#define ZX_CHANNEL_PEER_CLOSED ZX_OBJECT_PEER_CLOSED

#define ZX_SOCKET_READABLE            ZX_OBJECT_READABLE
#define ZX_SOCKET_WRITABLE            ZX_OBJECT_WRITABLE
#define ZX_SOCKET_PEER_CLOSED         ZX_OBJECT_PEER_CLOSED
#define ZX_SOCKET_PEER_WRITE_DISABLED ZX_OBJECT_SIGNAL_4
#define ZX_SOCKET_WRITE_DISABLED      ZX_OBJECT_SIGNAL_5

#define ZX_EVENT_SIGNALED        ZX_OBJECT_SIGNAL_3
#define ZX_EVENTPAIR_SIGNALED    ZX_OBJECT_SIGNAL_3
#define ZX_EVENTPAIR_PEER_CLOSED ZX_OBJECT_SIGNAL_2

/* Time: CLOCK_MONOTONIC nanoseconds. */
#define ZX_TIME_INFINITE      ((zx_time_t)INT64_MAX)
#define ZX_TIME_INFINITE_PAST ((zx_time_t)INT64_MIN)
#define ZX_NSEC(n)            ((zx_duration_t)(n))
#define ZX_USEC(n)            ((zx_duration_t)(1000LL * (n)))
#define ZX_MSEC(n)            ((zx_duration_t)(1000000LL * (n)))
#define ZX_SEC(n)             ((zx_duration_t)(1000000000LL * (n)))

/* The current CLOCK_MONOTONIC time. */
zx_time_t zx_clock_get_monotonic(void);

/* now + duration, saturating at ZX_TIME_INFINITE / ZX_TIME_INFINITE_PAST. */
zx_time_t zx_deadline_after(zx_duration_t duration);

/* Sleeps until deadline (CLOCK_MONOTONIC).  Always returns ZX_OK. */
zx_status_t zx_nanosleep(zx_time_t deadline);

/* Handle transfer descriptions (layouts as in zircon/types.h). */
#define ZX_HANDLE_OP_MOVE      ((zx_handle_op_t)0u)
#define ZX_HANDLE_OP_DUPLICATE ((zx_handle_op_t)1u)

typedef struct zx_handle_disposition {
	zx_handle_op_t operation;
	zx_handle_t handle;
	zx_obj_type_t type;
	zx_rights_t rights;
	zx_status_t result;
} zx_handle_disposition_t;

typedef struct zx_handle_info {
	zx_handle_t handle;
	zx_obj_type_t type;
	zx_rights_t rights;
	uint32_t unused;
} zx_handle_info_t;

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_ZX_H */
