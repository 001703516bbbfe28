/*
 * Stream sockets over AF_UNIX SOCK_STREAM socketpairs.
 *
 * Directions are disabled with shutdown(2), which on AF_UNIX also marks the
 * peer: SHUT_WR here ends the peer's reads (EOF), SHUT_RD here makes the
 * peer's writes fail (EPIPE).  A peer that is gone shows as POLLHUP, which
 * tells PEER_CLOSED apart from a mere disable.
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cfidl/handle.h>
#include <cfidl/socket.h>

#include "object.h"

zx_status_t zx_socket_create(uint32_t options, zx_handle_t *out0,
                             zx_handle_t *out1)
{
	int sv[2];
	struct cf_object *a, *b;
	zx_status_t st;

	if (!out0 || !out1)
		return ZX_ERR_INVALID_ARGS;
	if (options == ZX_SOCKET_DATAGRAM)
		return ZX_ERR_NOT_SUPPORTED;
	if (options != ZX_SOCKET_STREAM)
		return ZX_ERR_INVALID_ARGS;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return cf_errno_status(errno);
	st = cf_object_new(ZX_OBJ_TYPE_SOCKET, &sv[0], 1, 0, 0, &a);
	if (st != ZX_OK) {
		close(sv[1]);
		return st;
	}
	st = cf_object_new(ZX_OBJ_TYPE_SOCKET, &sv[1], 1, 0, 0, &b);
	if (st != ZX_OK) {
		cf_object_unref(a);
		return st;
	}
	a->related_koid = b->koid;
	b->related_koid = a->koid;
	st = cf_handle_add(a, ZX_DEFAULT_SOCKET_RIGHTS, out0);
	if (st != ZX_OK) {
		cf_object_unref(b);
		return st;
	}
	st = cf_handle_add(b, ZX_DEFAULT_SOCKET_RIGHTS, out1);
	if (st != ZX_OK) {
		zx_handle_close(*out0);
		*out0 = ZX_HANDLE_INVALID;
	}
	return st;
}

static bool peer_gone(int fd)
{
	return cf_poll_now(fd, 0) & POLLHUP;
}

zx_status_t zx_socket_write(zx_handle_t handle, uint32_t options,
                            const void *buffer, size_t size, size_t *actual)
{
	struct cf_object *obj;
	ssize_t r;
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_SOCKET, ZX_RIGHT_WRITE, &obj,
	                   NULL);
	if (st != ZX_OK)
		return st;
	if (options != 0 || (size && !buffer)) {
		st = ZX_ERR_INVALID_ARGS;
		goto out;
	}
	if (__atomic_load_n(&obj->write_disabled, __ATOMIC_RELAXED)) {
		st = ZX_ERR_BAD_STATE;
		goto out;
	}
	if (size == 0) {
		st = peer_gone(obj->fds[0]) ? ZX_ERR_PEER_CLOSED : ZX_OK;
		if (st == ZX_OK && actual)
			*actual = 0;
		goto out;
	}
	do
		r = send(obj->fds[0], buffer, size,
		         MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r >= 0) {
		if (actual)
			*actual = (size_t)r;
	} else if (errno == EPIPE || errno == ECONNRESET) {
		st = peer_gone(obj->fds[0]) ? ZX_ERR_PEER_CLOSED
		                            : ZX_ERR_BAD_STATE;
	} else {
		st = cf_errno_status(errno);
	}
out:
	cf_object_unref(obj);
	return st;
}

zx_status_t zx_socket_read(zx_handle_t handle, uint32_t options, void *buffer,
                           size_t size, size_t *actual)
{
	struct cf_object *obj;
	ssize_t r;
	int flags = MSG_DONTWAIT;
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_SOCKET, ZX_RIGHT_READ, &obj,
	                   NULL);
	if (st != ZX_OK)
		return st;
	if ((options & ~ZX_SOCKET_PEEK) || (size && !buffer)) {
		st = ZX_ERR_INVALID_ARGS;
		goto out;
	}
	if (options & ZX_SOCKET_PEEK)
		flags |= MSG_PEEK;
	if (size == 0) {
		/*
		 * Report what a real read would: data, nothing, or EOF.  One
		 * peek answers all three at once; asking twice (FIONREAD, then
		 * poll) lets bytes written in between pass for EOF.
		 */
		char byte;

		do
			r = recv(obj->fds[0], &byte, 1,
			         MSG_DONTWAIT | MSG_PEEK);
		while (r < 0 && errno == EINTR);
		if (r > 0)
			st = ZX_OK;
		else if (r == 0)
			st = ZX_ERR_PEER_CLOSED;
		else
			st = cf_errno_status(errno);
		if (st == ZX_OK && actual)
			*actual = 0;
		goto out;
	}
	do
		r = recv(obj->fds[0], buffer, size, flags);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		if (actual)
			*actual = (size_t)r;
	} else if (r == 0) {
		st = ZX_ERR_PEER_CLOSED;
	} else {
		st = cf_errno_status(errno);
	}
out:
	cf_object_unref(obj);
	return st;
}

static bool valid_disposition(uint32_t d)
{
	return d == 0 || d == ZX_SOCKET_DISPOSITION_WRITE_DISABLED ||
	       d == ZX_SOCKET_DISPOSITION_WRITE_ENABLED;
}

zx_status_t zx_socket_set_disposition(zx_handle_t handle, uint32_t disposition,
                                      uint32_t disposition_peer)
{
	struct cf_object *obj;
	zx_status_t st;
	int fd;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_SOCKET, ZX_RIGHT_MANAGE_SOCKET,
	                   &obj, NULL);
	if (st != ZX_OK)
		return st;
	fd = obj->fds[0];
	if (!valid_disposition(disposition) ||
	    !valid_disposition(disposition_peer)) {
		st = ZX_ERR_INVALID_ARGS;
	} else if (peer_gone(fd)) {
		st = ZX_ERR_PEER_CLOSED;
	} else if (disposition == ZX_SOCKET_DISPOSITION_WRITE_ENABLED &&
	           __atomic_load_n(&obj->write_disabled, __ATOMIC_RELAXED)) {
		st = ZX_ERR_BAD_STATE;
	} else {
		bool ours = disposition == ZX_SOCKET_DISPOSITION_WRITE_DISABLED;
		/* The peer's writes end when our reads do. */
		bool theirs =
		    disposition_peer == ZX_SOCKET_DISPOSITION_WRITE_DISABLED;
		int how = ours ? (theirs ? SHUT_RDWR : SHUT_WR) : SHUT_RD;

		if ((ours || theirs) && shutdown(fd, how) < 0)
			st = cf_errno_status(errno);
		else if (ours)
			__atomic_store_n(&obj->write_disabled, 1,
			                 __ATOMIC_RELAXED);
	}
	cf_object_unref(obj);
	return st;
}

zx_signals_t cf_socket_signals(struct cf_object *obj)
{
	int fd = obj->fds[0];
	short ev = cf_poll_now(fd, POLLIN | POLLOUT | POLLRDHUP);
	zx_signals_t s = 0;
	int n = 0;

	if (ev & POLLIN) {
		/* POLLIN is also EOF; only queued bytes make it readable. */
		if (!(ev & (POLLRDHUP | POLLHUP)) ||
		    (ioctl(fd, FIONREAD, &n) == 0 && n > 0))
			s |= ZX_SOCKET_READABLE;
	}
	if (ev & POLLHUP)
		s |= ZX_SOCKET_PEER_CLOSED;
	else if (ev & POLLRDHUP)
		s |= ZX_SOCKET_PEER_WRITE_DISABLED;
	if (__atomic_load_n(&obj->write_disabled, __ATOMIC_RELAXED))
		s |= ZX_SOCKET_WRITE_DISABLED;
	else if ((ev & POLLOUT) && !(ev & POLLHUP))
		s |= ZX_SOCKET_WRITABLE;
	return s;
}

int cf_socket_waitfds(struct cf_object *obj, zx_signals_t want,
                      zx_signals_t now, struct cf_waitfd *out)
{
	uint32_t ev = 0;

	if (now & ZX_SOCKET_PEER_CLOSED)
		return 0;
	/* Once the peer stopped writing, no more data can arrive. */
	if ((want & ZX_SOCKET_READABLE) && !(now & ZX_SOCKET_READABLE) &&
	    !(now & ZX_SOCKET_PEER_WRITE_DISABLED))
		ev |= EPOLLIN;
	if ((want & ZX_SOCKET_WRITABLE) && !(now & ZX_SOCKET_WRITABLE) &&
	    !(now & ZX_SOCKET_WRITE_DISABLED))
		ev |= EPOLLOUT;
	if ((want & ZX_SOCKET_PEER_WRITE_DISABLED) &&
	    !(now & ZX_SOCKET_PEER_WRITE_DISABLED))
		ev |= EPOLLRDHUP;
	out[0].fd = obj->fds[0];
	out[0].events = ev;
	return 1;
}
