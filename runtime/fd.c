/*
 * Adopting Unix socket fds as channel and socket ends, and releasing a
 * socket end back as a plain fd (<cfidl/fd.h>).
 *
 * Both adopt calls build the same object zx_channel_create or
 * zx_socket_create would have built around the fd; the checks make sure
 * the fd is the kind of socket the object's code assumes (record
 * boundaries and SCM_RIGHTS for channels, a byte stream for sockets).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cfidl/fd.h>
#include <cfidl/handle.h>

#include "object.h"

/* As zx_channel_create: room for the largest message in one record. */
#define CHANNEL_SNDBUF_WANT (1 << 20)

static zx_status_t set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return cf_errno_status(errno);
	if ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return cf_errno_status(errno);
	return ZX_OK;
}

/* Is fd a connected AF_UNIX socket of the given type?  Does not close. */
static zx_status_t check_unix_socket(int fd, int want_type)
{
	int v = 0;
	socklen_t len = sizeof(v);
	struct sockaddr_un peer;
	socklen_t plen = sizeof(peer);

	if (fcntl(fd, F_GETFD) < 0)
		return errno == EBADF ? ZX_ERR_BAD_HANDLE
		                      : cf_errno_status(errno);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0)
		return errno == ENOTSOCK ? ZX_ERR_WRONG_TYPE
		                         : cf_errno_status(errno);
	if (v != AF_UNIX)
		return ZX_ERR_WRONG_TYPE;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) < 0)
		return cf_errno_status(errno);
	if (v != want_type)
		return ZX_ERR_WRONG_TYPE;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0)
		return cf_errno_status(errno);
	if (v)
		return ZX_ERR_BAD_STATE; /* a listener, not an end */
	/* A peer that already closed still counts: the end shows PEER_CLOSED.
	 */
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
		return errno == ENOTCONN ? ZX_ERR_BAD_STATE
		                         : cf_errno_status(errno);
	return ZX_OK;
}

static zx_status_t adopt(int fd, zx_obj_type_t type, int sock_type,
                         zx_rights_t rights, zx_handle_t *out)
{
	struct cf_object *obj;
	zx_status_t st;

	if (fd < 0)
		return ZX_ERR_INVALID_ARGS;
	st = check_unix_socket(fd, sock_type);
	if (st == ZX_ERR_BAD_HANDLE)
		return st; /* nothing to close: fd is not open */
	if (st == ZX_OK && !out)
		st = ZX_ERR_INVALID_ARGS;
	if (st == ZX_OK)
		st = set_blocking(fd);
	if (st == ZX_OK && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		st = cf_errno_status(errno);
	if (st != ZX_OK) {
		close(fd);
		return st;
	}
	if (type == ZX_OBJ_TYPE_CHANNEL) {
		int sndbuf = CHANNEL_SNDBUF_WANT;

		/* Best effort: the kernel clamps to net.core.wmem_max. */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	/* Closes fd on failure. */
	st = cf_object_new(type, &fd, 1, 0, 0, &obj);
	if (st != ZX_OK)
		return st;
	/* Drops obj (and so fd) on failure. */
	return cf_handle_add(obj, rights, out);
}

zx_status_t cfidl_channel_adopt_fd(int fd, zx_handle_t *out)
{
	return adopt(fd, ZX_OBJ_TYPE_CHANNEL, SOCK_SEQPACKET,
	             ZX_DEFAULT_CHANNEL_RIGHTS, out);
}

zx_status_t cfidl_socket_adopt_fd(int fd, zx_handle_t *out)
{
	return adopt(fd, ZX_OBJ_TYPE_SOCKET, SOCK_STREAM,
	             ZX_DEFAULT_SOCKET_RIGHTS, out);
}

zx_status_t cfidl_socket_release_fd(zx_handle_t socket, int *out_fd)
{
	const zx_rights_t need = ZX_RIGHT_READ | ZX_RIGHT_WRITE;
	struct cf_object *obj;
	zx_rights_t rights;
	zx_status_t st = ZX_OK;
	int fd = -1;

	/*
	 * One locked step: nobody can close or replace the handle between the
	 * checks and its removal.  The object may outlive the handle (other
	 * handles, waits, in-flight calls): then the caller gets its own fd
	 * for the open file.  Else it gets the object's fd itself (new
	 * references are only taken through the handle table, locked here).
	 */
	cf_handle_lock();
	obj = cf_handle_peek_locked(socket, &rights);
	if (!obj) {
		cf_handle_unlock();
		return ZX_ERR_BAD_HANDLE;
	}
	if (obj->type != ZX_OBJ_TYPE_SOCKET)
		st = ZX_ERR_WRONG_TYPE;
	else if ((rights & need) != need)
		st = ZX_ERR_ACCESS_DENIED;
	else if (!out_fd)
		st = ZX_ERR_INVALID_ARGS;
	else if (__atomic_load_n(&obj->refs, __ATOMIC_ACQUIRE) == 1) {
		fd = obj->fds[0];
		obj->fds[0] = -1; /* the last unref closes no fd */
	} else if ((fd = fcntl(obj->fds[0], F_DUPFD_CLOEXEC, 0)) < 0)
		st = cf_errno_status(errno);
	obj = cf_handle_remove_locked(socket);
	cf_handle_unlock();
	cf_object_unref(obj);
	if (st == ZX_OK)
		st = set_blocking(fd);
	if (st != ZX_OK) {
		if (fd >= 0)
			close(fd);
		return st;
	}
	*out_fd = fd;
	return ZX_OK;
}
