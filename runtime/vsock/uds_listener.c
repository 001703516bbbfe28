/*
 * uds_listener.c: a listening Unix socket on a cfidl loop, through a
 * watcher thread that only polls (accepting happens on the loop thread).
 */
#include "uds_listener.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cfidl/fd.h>
#include <cfidl/handle.h>

/* Connections accepted per loop turn, so one busy listener cannot starve
 * everything else on the loop. */
#define ACCEPT_BATCH 64
#define BACKLOG      256
/* Out of fds: wait this long before polling again (no busy loop). */
#define RETRY_DELAY ZX_MSEC(100)

struct cfv_uds_listener {
	cfidl_loop_t *loop;
	int fd;  /* the listening socket */
	int ctl; /* eventfd: re-arm or stop the thread */
	int type;
	pthread_t thread;
	bool thread_started;
	int stop;           /* atomic */
	cfidl_task_t ready; /* posted by the thread: connections pending */
	cfidl_task_t retry; /* re-arm later after running out of fds */
	bool loop_gone;
	cfv_uds_fd_fn on_fd;
	cfv_uds_channel_fn on_channel;
	void *ctx;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	unsigned long accepted;
	int in_cb;
	bool dead;
};

static void kick(cfv_uds_listener_t *l)
{
	uint64_t one = 1;

	/* An eventfd write only fails when the counter would overflow. */
	if (write(l->ctl, &one, sizeof(one)) < 0) {
	}
}

static void *watch(void *arg)
{
	cfv_uds_listener_t *l = arg;
	bool armed = true;

	for (;;) {
		struct pollfd p[2] = {{l->ctl, POLLIN, 0},
		                      {armed ? l->fd : -1, POLLIN, 0}};
		uint64_t v;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			if (read(l->ctl, &v, sizeof(v)) < 0) {
			}
			if (__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE))
				break;
			armed = true;
		}
		if (armed && (p[1].revents & (POLLIN | POLLERR | POLLHUP))) {
			armed = false;
			/* BAD_STATE: the loop is going away; stay quiet. */
			(void)cfidl_task_post(l->loop, &l->ready);
		}
	}
	return NULL;
}

static void teardown(cfv_uds_listener_t *l)
{
	struct stat st;

	if (l->thread_started) {
		__atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
		kick(l);
		pthread_join(l->thread, NULL);
	}
	if (!l->loop_gone) {
		cfidl_task_cancel(l->loop, &l->ready);
		cfidl_task_cancel(l->loop, &l->retry);
	}
	if (l->fd >= 0)
		close(l->fd);
	/* Unlink only our own socket file, not a successor's. */
	if (l->path[0] && lstat(l->path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->path);
	if (l->ctl >= 0)
		close(l->ctl);
	free(l);
}

static void deliver(cfv_uds_listener_t *l, int fd)
{
	zx_handle_t ch;

	l->accepted++;
	l->in_cb++;
	if (l->on_channel) {
		/* A peer that vanished between accept and now: nothing to do.
		 */
		if (cfidl_channel_adopt_fd(fd, &ch) == ZX_OK)
			l->on_channel(l->ctx, ch);
	} else {
		l->on_fd(l->ctx, fd);
	}
	l->in_cb--;
}

static void on_retry(cfidl_loop_t *loop, cfidl_task_t *task, zx_status_t st)
{
	cfv_uds_listener_t *l =
	    (cfv_uds_listener_t *)((char *)task -
	                           offsetof(cfv_uds_listener_t, retry));

	(void)loop;
	if (st != ZX_OK) {
		l->loop_gone = true;
		return;
	}
	kick(l);
}

static void on_ready(cfidl_loop_t *loop, cfidl_task_t *task, zx_status_t st)
{
	cfv_uds_listener_t *l =
	    (cfv_uds_listener_t *)((char *)task -
	                           offsetof(cfv_uds_listener_t, ready));
	bool later = false;

	if (st != ZX_OK) {
		l->loop_gone = true;
		return;
	}
	for (int i = 0; i < ACCEPT_BATCH && !l->dead; i++) {
		int fd =
		    accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of fds or memory: back off, never spin. */
			later = errno == EMFILE || errno == ENFILE ||
			        errno == ENOBUFS || errno == ENOMEM;
			break;
		}
		deliver(l, fd);
	}
	if (l->dead) {
		teardown(l);
		return;
	}
	if (later) {
		l->retry.deadline = zx_deadline_after(RETRY_DELAY);
		if (cfidl_task_post(loop, &l->retry) == ZX_OK)
			return;
	}
	kick(l);
}

/* Is something accepting on the socket file at path? */
static bool live(const char *path, int type)
{
	int fd;
	zx_status_t s = cfv_uds_connect(path, type, &fd);

	if (s == ZX_OK)
		close(fd);
	return s != ZX_ERR_CONNECTION_REFUSED && s != ZX_ERR_NOT_FOUND;
}

static zx_status_t listen_on(const char *path, int type, int *out_fd,
                             struct stat *out_st)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ZX_ERR_BAD_PATH;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return ZX_ERR_ALREADY_EXISTS;
		if (live(path, type))
			return ZX_ERR_ADDRESS_IN_USE;
		unlink(path);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ZX_ERR_NO_RESOURCES;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		zx_status_t s = errno == EADDRINUSE ? ZX_ERR_ADDRESS_IN_USE
		                : errno == ENOENT   ? ZX_ERR_NOT_FOUND
		                : errno == EACCES   ? ZX_ERR_ACCESS_DENIED
		                                    : ZX_ERR_IO;
		close(fd);
		return s;
	}
	/* The directory is 0700 already; the socket is 0600 on its own. */
	if (chmod(path, 0600) != 0 || lstat(path, out_st) != 0 ||
	    listen(fd, BACKLOG) != 0) {
		unlink(path);
		close(fd);
		return ZX_ERR_IO;
	}
	*out_fd = fd;
	return ZX_OK;
}

static zx_status_t create(cfidl_loop_t *loop, const char *path, int type,
                          cfv_uds_fd_fn on_fd, cfv_uds_channel_fn on_channel,
                          void *ctx, cfv_uds_listener_t **out)
{
	cfv_uds_listener_t *l;
	sigset_t all, old;
	struct stat st;
	zx_status_t s;
	int err;

	if (!loop || !path || !out || (!on_fd && !on_channel) ||
	    (type != SOCK_STREAM && type != SOCK_SEQPACKET))
		return ZX_ERR_INVALID_ARGS;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ZX_ERR_NO_MEMORY;
	l->loop = loop;
	l->type = type;
	l->on_fd = on_fd;
	l->on_channel = on_channel;
	l->ctx = ctx;
	l->fd = -1;
	l->ready.handler = on_ready;
	l->retry.handler = on_retry;
	l->ctl = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->ctl < 0) {
		free(l);
		return ZX_ERR_NO_RESOURCES;
	}
	s = listen_on(path, type, &l->fd, &st);
	if (s != ZX_OK) {
		teardown(l);
		return s;
	}
	memcpy(l->path, path, strlen(path) + 1);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	/* The watcher takes no signals: they stay the program's (a daemon
	 * using signalfd or sigwait must find them blocked everywhere). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&l->thread, NULL, watch, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		teardown(l);
		return ZX_ERR_NO_RESOURCES;
	}
	l->thread_started = true;
	*out = l;
	return ZX_OK;
}

zx_status_t cfv_uds_listener_create_raw(cfidl_loop_t *loop, const char *path,
                                        int type, cfv_uds_fd_fn on_fd,
                                        void *ctx, cfv_uds_listener_t **out)
{
	if (!on_fd)
		return ZX_ERR_INVALID_ARGS;
	return create(loop, path, type, on_fd, NULL, ctx, out);
}

zx_status_t cfv_uds_listener_create(cfidl_loop_t *loop, const char *path,
                                    cfv_uds_channel_fn on_channel, void *ctx,
                                    cfv_uds_listener_t **out)
{
	if (!on_channel)
		return ZX_ERR_INVALID_ARGS;
	return create(loop, path, SOCK_SEQPACKET, NULL, on_channel, ctx, out);
}

unsigned long cfv_uds_listener_accepted(const cfv_uds_listener_t *l)
{
	return l ? l->accepted : 0;
}

void cfv_uds_listener_destroy(cfv_uds_listener_t *l)
{
	if (!l)
		return;
	if (l->in_cb) {
		/* Called from our own callback: on_ready finishes the job. */
		l->dead = true;
		return;
	}
	teardown(l);
}

zx_status_t cfv_uds_connect(const char *path, int type, int *out_fd)
{
	struct sockaddr_un sa;
	int fd, flags;

	if (!path || !out_fd)
		return ZX_ERR_INVALID_ARGS;
	if (strlen(path) >= sizeof(sa.sun_path))
		return ZX_ERR_BAD_PATH;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ZX_ERR_NO_RESOURCES;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		switch (e) {
		case ENOENT:
			return ZX_ERR_NOT_FOUND;
		case ECONNREFUSED:
		case ENOTSOCK:
			return ZX_ERR_CONNECTION_REFUSED;
		case EAGAIN:
			return ZX_ERR_SHOULD_WAIT;
		case EPROTOTYPE:
			return ZX_ERR_WRONG_TYPE;
		case EACCES:
			return ZX_ERR_ACCESS_DENIED;
		default:
			return ZX_ERR_IO;
		}
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		close(fd);
		return ZX_ERR_IO;
	}
	*out_fd = fd;
	return ZX_OK;
}
