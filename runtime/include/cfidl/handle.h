/*
 * <cfidl/handle.h>: handles to emulated kernel objects.
 *
 * A handle is a process-local name for an object (channel end, socket end,
 * VMO, event, eventpair end) together with a set of rights.  Several handles
 * may name one object (zx_handle_duplicate); the object's file descriptors
 * are closed when its last handle is closed or transferred away.  Handle
 * values are never 0 and a closed value is not handed out again soon, so a
 * use after close gives ZX_ERR_BAD_HANDLE rather than another object.
 *
 * All functions are thread-safe.  A process that forks keeps its table in
 * the child (the fds are inherited); each side then owns its own copy.
 */
#ifndef CFIDL_HANDLE_H
#define CFIDL_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Closes handle.  ZX_HANDLE_INVALID is accepted and ignored (ZX_OK).
 * Returns ZX_ERR_BAD_HANDLE for any other value that names no handle.
 */
zx_status_t zx_handle_close(zx_handle_t handle);

/*
 * Closes every handle in handles[0..num_handles).  Invalid entries do not
 * stop the others from being closed; the result is ZX_ERR_BAD_HANDLE if any
 * entry (other than ZX_HANDLE_INVALID) was bad, else ZX_OK.  The array
 * itself stays the caller's.
 */
zx_status_t zx_handle_close_many(const zx_handle_t *handles,
                                 size_t num_handles);

/*
 * Makes *out a new handle to handle's object with rights (or the same
 * rights for ZX_RIGHT_SAME_RIGHTS).  handle stays valid and owned by the
 * caller; the caller owns *out.  Errors: ZX_ERR_BAD_HANDLE;
 * ZX_ERR_ACCESS_DENIED without ZX_RIGHT_DUPLICATE; ZX_ERR_INVALID_ARGS if
 * rights asks for a right handle lacks, or out is NULL.
 */
zx_status_t zx_handle_duplicate(zx_handle_t handle, zx_rights_t rights,
                                zx_handle_t *out);

/*
 * Replaces handle by *out with rights (which may only shrink; SAME_RIGHTS
 * keeps them).  On success handle is gone and the caller owns *out.  On
 * ZX_ERR_INVALID_ARGS (more rights asked, or out NULL) handle is closed
 * anyway, as in Zircon.  ZX_ERR_BAD_HANDLE if handle names nothing.
 */
zx_status_t zx_handle_replace(zx_handle_t handle, zx_rights_t rights,
                              zx_handle_t *out);

/* zx_object_get_info topics. */
#define ZX_INFO_NONE         ((zx_object_info_topic_t)0)
#define ZX_INFO_HANDLE_VALID ((zx_object_info_topic_t)1)
#define ZX_INFO_HANDLE_BASIC ((zx_object_info_topic_t)2)

typedef struct zx_info_handle_basic {
	zx_koid_t koid;
	zx_rights_t rights;
	zx_obj_type_t type;
	zx_koid_t related_koid;
	uint32_t reserved;
	uint8_t padding1[4];
} zx_info_handle_basic_t;

/*
 * Answers a question about handle's object.  ZX_INFO_HANDLE_VALID needs no
 * buffer and returns ZX_OK for a live handle.  ZX_INFO_HANDLE_BASIC fills
 * one zx_info_handle_basic_t in buffer (buffer_size must be at least its
 * size, else ZX_ERR_BUFFER_TOO_SMALL) and needs ZX_RIGHT_INSPECT.  actual
 * and avail (records written and available) may be NULL.  Other topics
 * give ZX_ERR_NOT_SUPPORTED.
 *
 * koid: a 64-bit id of the object, the same in every process that holds
 * it: given when the object is made (or its fd adopted) and carried with
 * its handles through channels.
 * related_koid: for channel and eventpair ends, the koid of the peer end;
 * else 0.
 */
zx_status_t zx_object_get_info(zx_handle_t handle, uint32_t topic, void *buffer,
                               size_t buffer_size, size_t *actual,
                               size_t *avail);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_HANDLE_H */
