/*
 * zx_object_wait_one / zx_object_wait_many over epoll.
 *
 * Each round computes every object's signals; if none matches, it brings
 * one epoll set up to date with the fds whose readiness could change a
 * wanted signal (cf_*_waitfds) and sleeps.  Level-triggered fds are only
 * registered for events not yet asserted, so a ready fd that satisfies
 * nothing cannot spin the loop.  Event wake-up fds are edge-triggered and
 * stay registered for the whole wait (re-adding them would re-fire).
 * Without such fds a round needs no epoll set: it sleeps in poll(2).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cfidl/wait.h>

#include "object.h"

#define MAX_ITEMS ZX_WAIT_MANY_MAX_ITEMS
#define MAX_REG   (MAX_ITEMS * CF_MAX_WAITFDS)

zx_signals_t cf_object_signals(struct cf_object *obj)
{
	switch (obj->type) {
	case ZX_OBJ_TYPE_CHANNEL:
		return cf_channel_signals(obj);
	case ZX_OBJ_TYPE_SOCKET:
		return cf_socket_signals(obj);
	case ZX_OBJ_TYPE_EVENT:
	case ZX_OBJ_TYPE_EVENTPAIR:
		return cf_event_signals(obj);
	default:
		return 0;
	}
}

int cf_object_waitfds(struct cf_object *obj, zx_signals_t want,
                      zx_signals_t now, struct cf_waitfd *out)
{
	switch (obj->type) {
	case ZX_OBJ_TYPE_CHANNEL:
		return cf_channel_waitfds(obj, want, now, out);
	case ZX_OBJ_TYPE_SOCKET:
		return cf_socket_waitfds(obj, want, now, out);
	case ZX_OBJ_TYPE_EVENT:
	case ZX_OBJ_TYPE_EVENTPAIR:
		return cf_event_waitfds(obj, want, now, out);
	default:
		return 0;
	}
}

struct reg {
	int fd;
	uint32_t events;
	bool live; /* wanted this round */
};

struct waitset {
	int epfd;
	struct reg regs[MAX_REG];
	int nregs;
};

static void want_fd(struct reg *want, int *nwant, const struct cf_waitfd *w)
{
	for (int i = 0; i < *nwant; i++) {
		if (want[i].fd == w->fd) {
			want[i].events |= w->events;
			return;
		}
	}
	want[*nwant].fd = w->fd;
	want[*nwant].events = w->events;
	(*nwant)++;
}

/* Brings the epoll set to exactly `want`; ET registrations are kept. */
static zx_status_t sync_set(struct waitset *ws, struct reg *want, int nwant)
{
	struct epoll_event ev;

	for (int i = 0; i < ws->nregs; i++)
		ws->regs[i].live = false;
	for (int i = 0; i < nwant; i++) {
		int k;

		for (k = 0; k < ws->nregs; k++)
			if (ws->regs[k].fd == want[i].fd)
				break;
		memset(&ev, 0, sizeof(ev));
		ev.events = want[i].events;
		ev.data.fd = want[i].fd;
		if (k == ws->nregs) {
			if (epoll_ctl(ws->epfd, EPOLL_CTL_ADD, want[i].fd,
			              &ev) < 0)
				return cf_errno_status(errno);
			ws->regs[ws->nregs++] = want[i];
		} else if (ws->regs[k].events != want[i].events &&
		           !(ws->regs[k].events & EPOLLET)) {
			if (epoll_ctl(ws->epfd, EPOLL_CTL_MOD, want[i].fd,
			              &ev) < 0)
				return cf_errno_status(errno);
			ws->regs[k].events = want[i].events;
		}
		ws->regs[k].live = true;
	}
	for (int k = 0; k < ws->nregs;) {
		if (ws->regs[k].live) {
			k++;
			continue;
		}
		epoll_ctl(ws->epfd, EPOLL_CTL_DEL, ws->regs[k].fd, NULL);
		ws->regs[k] = ws->regs[--ws->nregs];
	}
	return ZX_OK;
}

/* Sleeps in poll(2) on want (all level-triggered); -1 with errno. */
static int poll_set(const struct reg *want, int nwant, zx_time_t deadline)
{
	struct pollfd p[MAX_REG];

	for (int i = 0; i < nwant; i++) {
		p[i].fd = want[i].fd;
		p[i].events = 0;
		p[i].revents = 0;
		if (want[i].events & EPOLLIN)
			p[i].events |= POLLIN;
		if (want[i].events & EPOLLOUT)
			p[i].events |= POLLOUT;
		if (want[i].events & EPOLLRDHUP)
			p[i].events |= POLLRDHUP;
		if (want[i].events & EPOLLPRI)
			p[i].events |= POLLPRI;
	}
	return poll(p, (nfds_t)nwant, cf_timeout_ms(deadline));
}

static bool has_edge(const struct reg *want, int nwant)
{
	for (int i = 0; i < nwant; i++)
		if (want[i].events & EPOLLET)
			return true;
	return false;
}

static zx_status_t wait_objects(struct cf_object **objs, zx_wait_item_t *items,
                                size_t n, zx_time_t deadline)
{
	struct waitset ws = {.epfd = -1};
	struct reg want[MAX_REG];
	zx_status_t st = ZX_OK;

	for (;;) {
		bool hit = false;
		int nwant = 0;
		struct epoll_event evs[8];
		int r;

		for (size_t i = 0; i < n; i++) {
			items[i].pending = cf_object_signals(objs[i]);
			if (items[i].pending & items[i].waitfor)
				hit = true;
		}
		if (hit)
			break;
		if (zx_clock_get_monotonic() >= deadline) {
			st = ZX_ERR_TIMED_OUT;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			struct cf_waitfd w[CF_MAX_WAITFDS];
			int k = cf_object_waitfds(objs[i], items[i].waitfor,
			                          items[i].pending, w);

			for (int j = 0; j < k; j++)
				want_fd(want, &nwant, &w[j]);
		}
		if (ws.epfd < 0 && !has_edge(want, nwant)) {
			r = poll_set(want, nwant, deadline);
			if (r < 0 && errno != EINTR) {
				st = cf_errno_status(errno);
				break;
			}
			continue;
		}
		if (ws.epfd < 0) {
			ws.epfd = epoll_create1(EPOLL_CLOEXEC);
			if (ws.epfd < 0) {
				st = cf_errno_status(errno);
				break;
			}
		}
		st = sync_set(&ws, want, nwant);
		if (st != ZX_OK)
			break;
		r = epoll_wait(ws.epfd, evs, 8, cf_timeout_ms(deadline));
		if (r < 0 && errno != EINTR) {
			st = cf_errno_status(errno);
			break;
		}
	}
	if (ws.epfd >= 0)
		close(ws.epfd);
	return st;
}

zx_status_t zx_object_wait_many(zx_wait_item_t *items, size_t count,
                                zx_time_t deadline)
{
	struct cf_object *objs[MAX_ITEMS];
	zx_status_t st = ZX_OK;
	size_t got = 0;

	if (count > MAX_ITEMS)
		return ZX_ERR_OUT_OF_RANGE;
	if (count && !items)
		return ZX_ERR_INVALID_ARGS;
	for (; got < count; got++) {
		st = cf_handle_get(items[got].handle, ZX_OBJ_TYPE_NONE,
		                   ZX_RIGHT_WAIT, &objs[got], NULL);
		if (st != ZX_OK)
			break;
	}
	if (st == ZX_OK) {
		if (count == 0) {
			/* Nothing can wake us: sleep out the deadline. */
			zx_nanosleep(deadline);
			st = ZX_ERR_TIMED_OUT;
		} else {
			st = wait_objects(objs, items, count, deadline);
		}
	}
	while (got-- > 0)
		cf_object_unref(objs[got]);
	return st;
}

zx_status_t zx_object_wait_one(zx_handle_t handle, zx_signals_t signals,
                               zx_time_t deadline, zx_signals_t *observed)
{
	struct cf_object *obj;
	zx_wait_item_t item = {handle, signals, 0};
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_NONE, ZX_RIGHT_WAIT, &obj, NULL);
	if (st != ZX_OK)
		return st;
	st = wait_objects(&obj, &item, 1, deadline);
	cf_object_unref(obj);
	if (observed)
		*observed = item.pending;
	return st;
}
