/*
 * Events and eventpairs: user signals that work across processes.
 *
 * State: a memfd of two 32-bit signal words (end 0, end 1; an event uses
 * word 0), sealed at its size and mapped shared by every holder, updated
 * with atomic compare-and-swap.  Wake-ups: one eventfd per object, bumped
 * after every change and never drained; waiters register it edge-triggered
 * with epoll before looking at the words, so no change is missed, and each
 * bump wakes every waiter in every process.  An eventpair's ends also hold
 * the two ends of a SOCK_SEQPACKET socketpair that carries nothing: its
 * hang-up (POLLHUP) is ZX_EVENTPAIR_PEER_CLOSED, robust against the peer
 * process dying.
 *
 * fds: event {memfd, eventfd}; eventpair end {socket, memfd, eventfd}.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cfidl/eventpair.h>
#include <cfidl/handle.h>

#include "object.h"

#define STATE_SIZE (2 * sizeof(uint32_t))
#define USER_MASK  (ZX_USER_SIGNAL_ALL | ZX_EVENT_SIGNALED)

static int state_fd(const struct cf_object *obj)
{
	return obj->type == ZX_OBJ_TYPE_EVENT ? obj->fds[0] : obj->fds[1];
}

static int wake_fd(const struct cf_object *obj)
{
	return obj->type == ZX_OBJ_TYPE_EVENT ? obj->fds[1] : obj->fds[2];
}

zx_status_t cf_event_attach(struct cf_object *obj)
{
	int fd = state_fd(obj);
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	void *p;

	/* A state file that could shrink under us would fault us. */
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) < 0 ||
	    (size_t)st.st_size < STATE_SIZE)
		return ZX_ERR_WRONG_TYPE;
	p = mmap(NULL, STATE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return cf_errno_status(errno);
	obj->sigs = p;
	return ZX_OK;
}

void cf_event_detach(struct cf_object *obj)
{
	if (obj->sigs)
		munmap(obj->sigs, STATE_SIZE);
	obj->sigs = NULL;
}

static int end_of(const struct cf_object *obj)
{
	return obj->type == ZX_OBJ_TYPE_EVENTPAIR &&
	       (obj->aux & CF_AUX_EVENTPAIR_END1);
}

/* A sealed state memfd and an eventfd; closes both on failure. */
static zx_status_t make_state(int *memfd, int *efd)
{
	*memfd = memfd_create("cfidl-event", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*memfd < 0)
		return cf_errno_status(errno);
	if (ftruncate(*memfd, STATE_SIZE) < 0 ||
	    fcntl(*memfd, F_ADD_SEALS,
	          F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		close(*memfd);
		return ZX_ERR_NO_MEMORY;
	}
	*efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*efd < 0) {
		zx_status_t st = cf_errno_status(errno);

		close(*memfd);
		return st;
	}
	return ZX_OK;
}

zx_status_t zx_event_create(uint32_t options, zx_handle_t *out)
{
	int fds[2];
	struct cf_object *obj;
	zx_status_t st;

	if (options != 0 || !out)
		return ZX_ERR_INVALID_ARGS;
	st = make_state(&fds[0], &fds[1]);
	if (st != ZX_OK)
		return st;
	st = cf_object_new(ZX_OBJ_TYPE_EVENT, fds, 2, 0, 0, &obj);
	if (st != ZX_OK)
		return st;
	return cf_handle_add(obj, ZX_DEFAULT_EVENT_RIGHTS, out);
}

zx_status_t zx_eventpair_create(uint32_t options, zx_handle_t *out0,
                                zx_handle_t *out1)
{
	int sv[2], memfd, efd, f0[3], f1[3];
	struct cf_object *a, *b;
	zx_status_t st;

	if (options != 0 || !out0 || !out1)
		return ZX_ERR_INVALID_ARGS;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cf_errno_status(errno);
	st = make_state(&memfd, &efd);
	if (st != ZX_OK) {
		close(sv[0]);
		close(sv[1]);
		return st;
	}
	f0[0] = sv[0];
	f0[1] = memfd;
	f0[2] = efd;
	f1[0] = sv[1];
	f1[1] = fcntl(memfd, F_DUPFD_CLOEXEC, 0);
	f1[2] = fcntl(efd, F_DUPFD_CLOEXEC, 0);
	if (f1[1] < 0 || f1[2] < 0) {
		st = cf_errno_status(errno);
		for (int i = 0; i < 3; i++) {
			close(f0[i]);
			if (f1[i] >= 0)
				close(f1[i]);
		}
		return st;
	}
	st = cf_object_new(ZX_OBJ_TYPE_EVENTPAIR, f0, 3, 0, 0, &a);
	if (st != ZX_OK) {
		for (int i = 0; i < 3; i++)
			close(f1[i]);
		return st;
	}
	st = cf_object_new(ZX_OBJ_TYPE_EVENTPAIR, f1, 3, CF_AUX_EVENTPAIR_END1,
	                   0, &b);
	if (st != ZX_OK) {
		cf_object_unref(a);
		return st;
	}
	a->related_koid = b->koid;
	b->related_koid = a->koid;
	st = cf_handle_add(a, ZX_DEFAULT_EVENTPAIR_RIGHTS, out0);
	if (st != ZX_OK) {
		cf_object_unref(b);
		return st;
	}
	st = cf_handle_add(b, ZX_DEFAULT_EVENTPAIR_RIGHTS, out1);
	if (st != ZX_OK) {
		zx_handle_close(*out0);
		*out0 = ZX_HANDLE_INVALID;
	}
	return st;
}

static void bump(int efd)
{
	uint64_t one = 1, junk;

	if (write(efd, &one, sizeof(one)) == sizeof(one))
		return;
	/* Counter saturated (after ~2^64 changes): reset and retry. */
	if (errno == EAGAIN && read(efd, &junk, sizeof(junk)) > 0 &&
	    write(efd, &one, sizeof(one)) < 0)
		return;
}

static void update(struct cf_object *obj, int end, uint32_t clear, uint32_t set)
{
	uint32_t *w = &obj->sigs[end];
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED), nw;

	do
		nw = (old & ~clear) | set;
	while (!__atomic_compare_exchange_n(w, &old, nw, true, __ATOMIC_ACQ_REL,
	                                    __ATOMIC_RELAXED));
	/* Waits are for signals becoming asserted: only a newly set bit can
	 * satisfy one, so a clear (or a no-op) wakes nobody. */
	if (nw & ~old)
		bump(wake_fd(obj));
}

static bool pair_peer_gone(const struct cf_object *obj)
{
	return cf_poll_now(obj->fds[0], 0) & POLLHUP;
}

zx_status_t zx_object_signal(zx_handle_t handle, uint32_t clear_mask,
                             uint32_t set_mask)
{
	struct cf_object *obj;
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_NONE, ZX_RIGHT_SIGNAL, &obj,
	                   NULL);
	if (st != ZX_OK)
		return st;
	if (obj->type != ZX_OBJ_TYPE_EVENT &&
	    obj->type != ZX_OBJ_TYPE_EVENTPAIR)
		st = ZX_ERR_NOT_SUPPORTED;
	else if ((clear_mask | set_mask) & ~USER_MASK)
		st = ZX_ERR_INVALID_ARGS;
	else
		update(obj, end_of(obj), clear_mask, set_mask);
	cf_object_unref(obj);
	return st;
}

zx_status_t zx_object_signal_peer(zx_handle_t handle, uint32_t clear_mask,
                                  uint32_t set_mask)
{
	struct cf_object *obj;
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_NONE, ZX_RIGHT_SIGNAL_PEER, &obj,
	                   NULL);
	if (st != ZX_OK)
		return st;
	if (obj->type != ZX_OBJ_TYPE_EVENTPAIR)
		st = ZX_ERR_NOT_SUPPORTED;
	else if ((clear_mask | set_mask) & ~USER_MASK)
		st = ZX_ERR_INVALID_ARGS;
	else if (pair_peer_gone(obj))
		st = ZX_ERR_PEER_CLOSED;
	else
		update(obj, !end_of(obj), clear_mask, set_mask);
	cf_object_unref(obj);
	return st;
}

zx_signals_t cf_event_signals(struct cf_object *obj)
{
	zx_signals_t s =
	    __atomic_load_n(&obj->sigs[end_of(obj)], __ATOMIC_ACQUIRE);

	if (obj->type == ZX_OBJ_TYPE_EVENTPAIR && pair_peer_gone(obj))
		s |= ZX_EVENTPAIR_PEER_CLOSED;
	return s;
}

int cf_event_waitfds(struct cf_object *obj, zx_signals_t want, zx_signals_t now,
                     struct cf_waitfd *out)
{
	int n = 0;

	if (want & USER_MASK) {
		out[n].fd = wake_fd(obj);
		out[n].events = EPOLLIN | EPOLLET;
		n++;
	}
	/* The socket only ever hangs up; once it has, stop watching it. */
	if (obj->type == ZX_OBJ_TYPE_EVENTPAIR &&
	    !(now & ZX_EVENTPAIR_PEER_CLOSED)) {
		out[n].fd = obj->fds[0];
		out[n].events = 0;
		n++;
	}
	return n;
}
