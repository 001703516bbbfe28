/*
 * Objects: reference counting, koids, and the per-type attach/detach hooks
 * that set up process-local state when an object appears in this process
 * (created here or received through a channel).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object.h"

int cf_object_fd_count(zx_obj_type_t type)
{
	switch (type) {
	case ZX_OBJ_TYPE_CHANNEL:
	case ZX_OBJ_TYPE_SOCKET:
	case ZX_OBJ_TYPE_VMO:
		return 1;
	case ZX_OBJ_TYPE_EVENT:
		return 2; /* state memfd, eventfd */
	case ZX_OBJ_TYPE_EVENTPAIR:
		return 3; /* socket (liveness), state memfd, eventfd */
	default:
		return 0;
	}
}

/*
 * Koids come from the kernel object behind the first fd, so every process
 * holding the object computes the same koid and it survives transfer.
 * st_ino is unique within its filesystem (sockfs, the memfd shmem mount);
 * folding in st_dev separates those filesystems.
 */
zx_koid_t cf_koid_of_fd(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ZX_KOID_INVALID;
	return ((uint64_t)(st.st_dev & 0xffffff) << 40) ^
	       ((uint64_t)st.st_ino & ((1ull << 40) - 1));
}

zx_status_t cf_object_new(zx_obj_type_t type, const int *fds, int nfds,
                          uint32_t aux, zx_koid_t related_koid,
                          struct cf_object **out)
{
	struct cf_object *obj;
	zx_status_t st = ZX_OK;

	if (nfds != cf_object_fd_count(type) || nfds <= 0) {
		st = ZX_ERR_INVALID_ARGS;
		goto fail;
	}
	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		st = ZX_ERR_NO_MEMORY;
		goto fail;
	}
	obj->refs = 1;
	obj->type = type;
	obj->aux = aux;
	obj->nfds = nfds;
	for (int i = 0; i < nfds; i++)
		obj->fds[i] = fds[i];
	obj->koid = cf_koid_of_fd(fds[0]);
	obj->related_koid = related_koid;
	pthread_mutex_init(&obj->lock, NULL);
	switch (type) {
	case ZX_OBJ_TYPE_CHANNEL:
		st = cf_channel_attach(obj);
		break;
	case ZX_OBJ_TYPE_EVENT:
	case ZX_OBJ_TYPE_EVENTPAIR:
		st = cf_event_attach(obj);
		break;
	case ZX_OBJ_TYPE_VMO:
		st = cf_vmo_attach(obj);
		break;
	default:
		break;
	}
	if (st != ZX_OK) {
		/* Detach hooks tolerate partly attached objects. */
		cf_object_unref(obj);
		return st;
	}
	*out = obj;
	return ZX_OK;
fail:
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return st;
}

struct cf_object *cf_object_ref(struct cf_object *obj)
{
	__atomic_add_fetch(&obj->refs, 1, __ATOMIC_RELAXED);
	return obj;
}

void cf_object_unref(struct cf_object *obj)
{
	if (!obj || __atomic_sub_fetch(&obj->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	switch (obj->type) {
	case ZX_OBJ_TYPE_CHANNEL:
		cf_channel_detach(obj);
		break;
	case ZX_OBJ_TYPE_EVENT:
	case ZX_OBJ_TYPE_EVENTPAIR:
		cf_event_detach(obj);
		break;
	default:
		break;
	}
	for (int i = 0; i < obj->nfds; i++)
		if (obj->fds[i] >= 0)
			close(obj->fds[i]);
	pthread_mutex_destroy(&obj->lock);
	free(obj);
}

zx_status_t cf_errno_status(int err)
{
	switch (err) {
	case EAGAIN:
		return ZX_ERR_SHOULD_WAIT;
	case EPIPE:
	case ECONNRESET:
		return ZX_ERR_PEER_CLOSED;
	case ENOMEM:
	case ENOBUFS:
		return ZX_ERR_NO_MEMORY;
	case EMFILE:
	case ENFILE:
		return ZX_ERR_NO_RESOURCES;
	case EBADF:
		return ZX_ERR_BAD_HANDLE;
	case EINVAL:
		return ZX_ERR_INVALID_ARGS;
	case EFAULT:
		return ZX_ERR_INVALID_ARGS;
	case EPERM:
	case EACCES:
		return ZX_ERR_ACCESS_DENIED;
	default:
		return ZX_ERR_IO;
	}
}
