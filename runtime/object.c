/*
 * Objects: reference counting, koids, and the per-type attach/detach hooks
 * that set up process-local state when an object appears in this process
 * (created here or received through a channel).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
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
 * Koids are handed out here, not read from the kernel (an fstat per
 * handle was a tenth of a vsock connection's syscalls).  Each process
 * starts at a random 62-bit base and counts up; a forked child picks a
 * new base.  A koid then travels with its handle through channels, so
 * every process that holds the object sees the same one.
 */
static uint64_t koid_next;
static pthread_once_t koid_once = PTHREAD_ONCE_INIT;

static void koid_reseed(void)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	/* Far from the top, so adding a count never wraps to 0. */
	__atomic_store_n(&koid_next, (r & ((1ull << 62) - 1)) | 1ull << 40,
	                 __ATOMIC_RELAXED);
}

static void koid_init(void)
{
	koid_reseed();
	pthread_atfork(NULL, NULL, koid_reseed);
}

zx_koid_t cf_koid_alloc(void)
{
	pthread_once(&koid_once, koid_init);
	return __atomic_fetch_add(&koid_next, 1, __ATOMIC_RELAXED);
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
	obj->koid = cf_koid_alloc();
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
