/*
 * The event loop: one epoll fd, one eventfd to wake it from other threads,
 * a sorted list of tasks (the earliest deadline sets epoll's timeout) and
 * one-shot waits.
 *
 * A wait registers its object's fds, each with a slot number and
 * generation as epoll data: an event that races with a cancel on another
 * thread finds a stale generation instead of freed memory.  The slot holds
 * a reference to the object, so an fd it registered stays open until the
 * slot lets it go.  Epoll keys on the fd and its file, so a second wait on
 * the same fd (the read and write waits on one socket) registers a
 * duplicate instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cfidl/loop.h>

#include "object.h"

enum { W_IDLE = 0, W_PENDING, W_READY };
enum { T_IDLE = 0, T_QUEUED };

#define NO_SLOT UINT32_MAX

struct slot;

struct cfidl_loop {
	pthread_mutex_t lock;
	int epfd;
	int efd;
	cfidl_loop_node_t
	    pending;             /* waits in epoll (or with nothing to watch) */
	cfidl_loop_node_t ready; /* waits whose signals matched */
	cfidl_loop_node_t tasks; /* sorted by (deadline, seq) */
	uint64_t seq;
	struct slot *slots;
	uint32_t nslots;
	uint32_t free_slot;
	bool quit;
	bool shutdown;
	bool running;
	bool sleeping;
};

static void list_init(cfidl_loop_node_t *h)
{
	h->prev = h->next = h;
}

static bool list_empty(const cfidl_loop_node_t *h)
{
	return h->next == h;
}

static void list_insert_before(cfidl_loop_node_t *pos, cfidl_loop_node_t *n)
{
	n->prev = pos->prev;
	n->next = pos;
	pos->prev->next = n;
	pos->prev = n;
}

static void list_remove(cfidl_loop_node_t *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

#define WAIT_OF(n) ((cfidl_wait_t *)((char *)(n)-offsetof(cfidl_wait_t, node)))
#define TASK_OF(n) ((cfidl_task_t *)((char *)(n)-offsetof(cfidl_task_t, node)))

static void wake(cfidl_loop_t *loop)
{
	uint64_t one = 1;

	if (loop->sleeping && write(loop->efd, &one, sizeof(one)) < 0) {
		/* The counter is full: the loop is awake anyway. */
	}
}

zx_status_t cfidl_loop_create(cfidl_loop_t **out)
{
	cfidl_loop_t *loop;
	struct epoll_event ev;

	if (!out)
		return ZX_ERR_INVALID_ARGS;
	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return ZX_ERR_NO_MEMORY;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->efd < 0)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = UINT64_MAX; /* the wake-up eventfd */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->efd, &ev) < 0)
		goto fail;
	pthread_mutex_init(&loop->lock, NULL);
	list_init(&loop->pending);
	list_init(&loop->ready);
	list_init(&loop->tasks);
	loop->free_slot = NO_SLOT;
	*out = loop;
	return ZX_OK;
fail:
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->efd >= 0)
		close(loop->efd);
	free(loop);
	return ZX_ERR_NO_RESOURCES;
}

/* ---- wait registration (loop lock held) ---- */

/*
 * A slot is the loop-owned side of a wait: the object reference and the
 * epoll registrations (duplicated fds).  Registrations outlive a firing:
 * a wait begun again on the same object from its own handler (what
 * bindings do after each message) keeps them, so the steady state costs
 * no epoll_ctl, dup or close.  Whatever its handler did not take back is
 * released as soon as the handler returns.
 */
struct slot {
	cfidl_wait_t *wait; /* NULL when free */
	uint32_t gen;
	uint32_t next_free;
	bool handling; /* its handler runs now */
	bool blind;    /* begun by cfidl_wait_begin_blind */
	struct cf_object *obj;
	zx_signals_t trigger; /* what the registrations watch for */
	int n;
	int orig[CF_MAX_WAITFDS];
	int dup[CF_MAX_WAITFDS]; /* what epoll has: orig, or a duplicate */
	uint32_t ev[CF_MAX_WAITFDS];
};

static zx_status_t slot_get(cfidl_loop_t *loop, cfidl_wait_t *w)
{
	uint32_t i;

	if (loop->free_slot == NO_SLOT) {
		uint32_t n = loop->nslots ? loop->nslots * 2 : 16;
		struct slot *s = realloc(loop->slots, n * sizeof(*s));

		if (!s)
			return ZX_ERR_NO_MEMORY;
		for (i = loop->nslots; i < n; i++) {
			memset(&s[i], 0, sizeof(s[i]));
			s[i].next_free = i + 1 < n ? i + 1 : NO_SLOT;
		}
		loop->slots = s;
		loop->free_slot = loop->nslots;
		loop->nslots = n;
	}
	i = loop->free_slot;
	loop->free_slot = loop->slots[i].next_free;
	loop->slots[i].wait = w;
	loop->slots[i].handling = false;
	loop->slots[i].blind = false;
	loop->slots[i].obj = NULL;
	loop->slots[i].n = 0;
	w->slot = i;
	return ZX_OK;
}

/* Takes registration i of s out of epoll (and closes its duplicate). */
static void drop_reg(cfidl_loop_t *loop, struct slot *s, int i)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, s->dup[i], NULL);
	if (s->dup[i] != s->orig[i])
		close(s->dup[i]);
}

/* Registers fd (else a duplicate of it) for events; the fd epoll has, or
 * -1. */
static int add_reg(cfidl_loop_t *loop, int fd, struct epoll_event *ev)
{
	int d;

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, ev) == 0)
		return fd;
	if (errno != EEXIST)
		return -1;
	d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return -1;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, d, ev) < 0) {
		close(d);
		return -1;
	}
	return d;
}

static void unregister(cfidl_loop_t *loop, struct slot *s)
{
	for (int i = 0; i < s->n; i++)
		drop_reg(loop, s, i);
	s->n = 0;
}

/* Frees slot idx: registrations, object, and the slot itself. */
static void slot_release(cfidl_loop_t *loop, uint32_t idx)
{
	struct slot *s = &loop->slots[idx];

	unregister(loop, s);
	if (s->obj)
		cf_object_unref(s->obj);
	s->obj = NULL;
	s->wait = NULL;
	s->handling = false;
	s->gen++; /* events still queued for it are now stale */
	s->next_free = loop->free_slot;
	loop->free_slot = idx;
}

/* Drops the wait's slot; the wait is idle afterwards. */
static void release(cfidl_loop_t *loop, cfidl_wait_t *w)
{
	if (w->slot < loop->nslots && loop->slots[w->slot].wait == w)
		slot_release(loop, w->slot);
	w->slot = NO_SLOT;
	w->state = W_IDLE;
}

/*
 * Brings the slot's registrations to exactly want[0..nw): kept ones are
 * modified only if their events changed (edge-triggered ones never: a
 * re-registration of an always-readable eventfd would fire at once).
 */
static zx_status_t sync_regs(cfidl_loop_t *loop, uint32_t idx,
                             const struct cf_waitfd *want, int nw)
{
	struct slot *s = &loop->slots[idx];
	struct epoll_event ev;
	bool keep[CF_MAX_WAITFDS] = {false};

	for (int k = 0; k < s->n;) {
		int i;

		for (i = 0; i < nw; i++)
			if (want[i].fd == s->orig[k])
				break;
		if (i == nw) {
			drop_reg(loop, s, k);
			s->n--;
			s->orig[k] = s->orig[s->n];
			s->dup[k] = s->dup[s->n];
			s->ev[k] = s->ev[s->n];
			continue;
		}
		keep[i] = true;
		if (s->ev[k] != want[i].events && !(s->ev[k] & EPOLLET)) {
			memset(&ev, 0, sizeof(ev));
			ev.events = want[i].events;
			ev.data.u64 = (uint64_t)s->gen << 32 | idx;
			if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, s->dup[k],
			              &ev) < 0)
				return ZX_ERR_NO_RESOURCES;
			s->ev[k] = want[i].events;
		}
		k++;
	}
	for (int i = 0; i < nw; i++) {
		int fd;

		if (keep[i])
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = want[i].events;
		ev.data.u64 = (uint64_t)s->gen << 32 | idx;
		fd = add_reg(loop, want[i].fd, &ev);
		if (fd < 0)
			return ZX_ERR_NO_RESOURCES;
		s->orig[s->n] = want[i].fd;
		s->dup[s->n] = fd;
		s->ev[s->n] = want[i].events;
		s->n++;
	}
	return ZX_OK;
}

static void make_ready(cfidl_loop_t *loop, cfidl_wait_t *w, zx_signals_t now)
{
	w->observed = now;
	w->state = W_READY;
	list_insert_before(&loop->ready, &w->node);
	wake(loop);
}

/*
 * Looks at the wait's signals: READY if they match, else PENDING with
 * the registrations that could change them.  The wait is in no list.
 */
static zx_status_t arm(cfidl_loop_t *loop, cfidl_wait_t *w)
{
	struct slot *s = &loop->slots[w->slot];
	struct cf_waitfd wf[CF_MAX_WAITFDS];
	zx_signals_t now = 0;
	zx_status_t st;
	int n;

	/*
	 * A blind wait on a channel or socket skips the look: their fds are
	 * registered level-triggered, so epoll reports a trigger that holds
	 * already on its next round.
	 */
	if (!s->blind || (s->obj->type != ZX_OBJ_TYPE_CHANNEL &&
	                  s->obj->type != ZX_OBJ_TYPE_SOCKET))
		now = cf_object_signals(s->obj);
	if (now & w->trigger) {
		make_ready(loop, w, now);
		return ZX_OK;
	}
	n = cf_object_waitfds(s->obj, w->trigger, now, wf);
	st = sync_regs(loop, w->slot, wf, n);
	if (st != ZX_OK)
		return st;
	s->trigger = w->trigger;
	w->state = W_PENDING;
	list_insert_before(&loop->pending, &w->node);
	return ZX_OK;
}

/*
 * Can a wait begun again from its handler skip looking at the signals?
 * Yes if its registrations (made while no trigger signal was asserted)
 * are all level-triggered: epoll reports any readiness again by itself.
 * Edge-triggered ones (event wake-ups) would not: level semantics need
 * a fresh look.
 */
static bool regs_still_valid(const struct slot *s, zx_signals_t trigger)
{
	if (s->n == 0 || s->trigger != trigger)
		return false;
	for (int i = 0; i < s->n; i++)
		if (s->ev[i] & EPOLLET)
			return false;
	return true;
}

static bool wait_is_live(cfidl_loop_t *loop, cfidl_wait_t *w)
{
	return (w->state == W_PENDING || w->state == W_READY) &&
	       w->slot < loop->nslots && loop->slots[w->slot].wait == w &&
	       !loop->slots[w->slot].handling;
}

static zx_status_t wait_begin(cfidl_loop_t *loop, cfidl_wait_t *wait,
                              bool blind)
{
	struct cf_object *obj;
	struct slot *s;
	zx_status_t st;

	if (!loop || !wait || !wait->handler)
		return ZX_ERR_INVALID_ARGS;
	pthread_mutex_lock(&loop->lock);
	if (loop->shutdown) {
		st = ZX_ERR_BAD_STATE;
		goto out;
	}
	if (wait_is_live(loop, wait)) {
		st = ZX_ERR_ALREADY_EXISTS;
		goto out;
	}
	st = cf_handle_get(wait->object, ZX_OBJ_TYPE_NONE, ZX_RIGHT_WAIT, &obj,
	                   NULL);
	if (st != ZX_OK)
		goto out;
	if (obj->type != ZX_OBJ_TYPE_CHANNEL &&
	    obj->type != ZX_OBJ_TYPE_SOCKET && obj->type != ZX_OBJ_TYPE_EVENT &&
	    obj->type != ZX_OBJ_TYPE_EVENTPAIR) {
		cf_object_unref(obj);
		st = ZX_ERR_NOT_SUPPORTED;
		goto out;
	}
	list_init(&wait->node);
	if (wait->slot < loop->nslots && loop->slots[wait->slot].wait == wait &&
	    loop->slots[wait->slot].handling) {
		/* Begun again from its handler: keep what fits. */
		s = &loop->slots[wait->slot];
		s->handling = false;
		s->blind = blind;
		if (s->obj != obj) {
			unregister(loop, s);
			cf_object_unref(s->obj);
			s->obj = obj;
		} else {
			cf_object_unref(obj);
			if (regs_still_valid(s, wait->trigger)) {
				wait->state = W_PENDING;
				list_insert_before(&loop->pending, &wait->node);
				goto out;
			}
		}
	} else {
		st = slot_get(loop, wait);
		if (st != ZX_OK) {
			cf_object_unref(obj);
			wait->slot = NO_SLOT;
			wait->state = W_IDLE;
			goto out;
		}
		loop->slots[wait->slot].obj = obj;
		loop->slots[wait->slot].blind = blind;
	}
	st = arm(loop, wait);
	if (st != ZX_OK)
		release(loop, wait);
out:
	pthread_mutex_unlock(&loop->lock);
	return st;
}

zx_status_t cfidl_wait_begin(cfidl_loop_t *loop, cfidl_wait_t *wait)
{
	return wait_begin(loop, wait, false);
}

zx_status_t cfidl_wait_begin_blind(cfidl_loop_t *loop, cfidl_wait_t *wait)
{
	return wait_begin(loop, wait, true);
}

zx_status_t cfidl_wait_cancel(cfidl_loop_t *loop, cfidl_wait_t *wait)
{
	zx_status_t st = ZX_ERR_NOT_FOUND;

	if (!loop || !wait)
		return ZX_ERR_INVALID_ARGS;
	pthread_mutex_lock(&loop->lock);
	if (wait_is_live(loop, wait)) {
		list_remove(&wait->node);
		release(loop, wait);
		st = ZX_OK;
	}
	pthread_mutex_unlock(&loop->lock);
	return st;
}

/* ---- tasks ---- */

/* Tasks start zeroed (loop.h), so state alone tells. */
static bool task_is_queued(cfidl_loop_t *loop, cfidl_task_t *t)
{
	(void)loop;
	return t->state == T_QUEUED;
}

static void task_insert(cfidl_loop_t *loop, cfidl_task_t *t)
{
	cfidl_loop_node_t *pos = &loop->tasks;

	/* Walk back from the tail: most tasks are due last or now. */
	while (pos->prev != &loop->tasks &&
	       TASK_OF(pos->prev)->deadline > t->deadline)
		pos = pos->prev;
	t->seq = loop->seq++;
	t->state = T_QUEUED;
	list_insert_before(pos, &t->node);
}

zx_status_t cfidl_task_post(cfidl_loop_t *loop, cfidl_task_t *task)
{
	zx_status_t st = ZX_OK;

	if (!loop || !task || !task->handler)
		return ZX_ERR_INVALID_ARGS;
	pthread_mutex_lock(&loop->lock);
	if (loop->shutdown)
		st = ZX_ERR_BAD_STATE;
	else if (task_is_queued(loop, task))
		st = ZX_ERR_ALREADY_EXISTS;
	else {
		task_insert(loop, task);
		wake(loop);
	}
	pthread_mutex_unlock(&loop->lock);
	return st;
}

zx_status_t cfidl_task_cancel(cfidl_loop_t *loop, cfidl_task_t *task)
{
	zx_status_t st = ZX_ERR_NOT_FOUND;

	if (!loop || !task)
		return ZX_ERR_INVALID_ARGS;
	pthread_mutex_lock(&loop->lock);
	if (task_is_queued(loop, task)) {
		list_remove(&task->node);
		task->state = T_IDLE;
		st = ZX_OK;
	}
	pthread_mutex_unlock(&loop->lock);
	return st;
}

struct closure {
	cfidl_task_t task;
	void (*fn)(void *ctx, zx_status_t status);
	void *ctx;
};

static void closure_run(cfidl_loop_t *loop, cfidl_task_t *task,
                        zx_status_t status)
{
	struct closure *c = (struct closure *)task;

	(void)loop;
	c->fn(c->ctx, status);
	free(c);
}

zx_status_t cfidl_loop_post(cfidl_loop_t *loop,
                            void (*fn)(void *ctx, zx_status_t status),
                            void *ctx)
{
	struct closure *c;
	zx_status_t st;

	if (!loop || !fn)
		return ZX_ERR_INVALID_ARGS;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ZX_ERR_NO_MEMORY;
	c->task.handler = closure_run;
	c->task.deadline = 0;
	c->fn = fn;
	c->ctx = ctx;
	st = cfidl_task_post(loop, &c->task);
	if (st != ZX_OK)
		free(c);
	return st;
}

/* ---- running ---- */

void cfidl_loop_quit(cfidl_loop_t *loop)
{
	pthread_mutex_lock(&loop->lock);
	loop->quit = true;
	wake(loop);
	pthread_mutex_unlock(&loop->lock);
}

zx_status_t cfidl_loop_reset_quit(cfidl_loop_t *loop)
{
	zx_status_t st = ZX_OK;

	pthread_mutex_lock(&loop->lock);
	if (loop->running)
		st = ZX_ERR_BAD_STATE;
	else
		loop->quit = false;
	pthread_mutex_unlock(&loop->lock);
	return st;
}

/* Milliseconds to sleep until deadline, rounded up (never early). */
static int timeout_ms(zx_time_t deadline, zx_time_t now)
{
	zx_time_t d;

	if (deadline == ZX_TIME_INFINITE)
		return -1;
	if (deadline <= now)
		return 0;
	d = (deadline - now + 999999) / 1000000;
	return d > INT_MAX ? INT_MAX : (int)d;
}

/* Moves fired waits to the ready list (lock held). */
static void collect(cfidl_loop_t *loop, struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;
		uint32_t idx = (uint32_t)d, gen = (uint32_t)(d >> 32);
		cfidl_wait_t *w;

		if (d == UINT64_MAX) {
			uint64_t v;

			if (read(loop->efd, &v, sizeof(v)) < 0) {
				/* Already drained. */
			}
			continue;
		}
		if (idx >= loop->nslots || loop->slots[idx].gen != gen)
			continue; /* canceled meanwhile */
		w = loop->slots[idx].wait;
		if (!w || w->state != W_PENDING || loop->slots[idx].handling)
			continue; /* ready already (its other fd fired too) */
		list_remove(&w->node);
		if (loop->slots[idx].blind &&
		    regs_still_valid(&loop->slots[idx], w->trigger)) {
			/*
			 * Level-triggered registrations made while no trigger
			 * was asserted fired: its handler copes with a
			 * spurious wake-up and ignores `observed`, so skip the
			 * look at the signals.
			 */
			make_ready(loop, w, 0);
			continue;
		}
		if (arm(loop, w) != ZX_OK) {
			/* Cannot watch it any more: deliver what we see. */
			make_ready(loop, w,
			           cf_object_signals(loop->slots[idx].obj));
		}
	}
}

/*
 * One round: waits for something (not past deadline, or not at all when
 * poll), then runs the handlers ready at that moment.  *ran counts them.
 * Lock held on entry and exit.
 */
static void round_once(cfidl_loop_t *loop, zx_time_t deadline, bool poll,
                       int *ran)
{
	struct epoll_event evs[32];
	zx_time_t now = zx_clock_get_monotonic();
	zx_time_t until = deadline;
	uint64_t seq_limit;
	cfidl_loop_node_t batch;
	int n;

	if (!list_empty(&loop->tasks) &&
	    TASK_OF(loop->tasks.next)->deadline < until)
		until = TASK_OF(loop->tasks.next)->deadline;
	if (poll || !list_empty(&loop->ready) || loop->quit)
		until = now;
	loop->sleeping = true;
	pthread_mutex_unlock(&loop->lock);
	n = epoll_wait(loop->epfd, evs, 32, timeout_ms(until, now));
	pthread_mutex_lock(&loop->lock);
	loop->sleeping = false;
	if (n > 0)
		collect(loop, evs, n);

	/* Run only what is ready now: handlers may re-arm and re-post. */
	list_init(&batch);
	if (!list_empty(&loop->ready)) {
		batch.next = loop->ready.next;
		batch.prev = loop->ready.prev;
		batch.next->prev = &batch;
		batch.prev->next = &batch;
		list_init(&loop->ready);
	}
	seq_limit = loop->seq;
	now = zx_clock_get_monotonic();
	for (;;) {
		if (loop->quit)
			break;
		if (!list_empty(&batch)) {
			cfidl_wait_t *w = WAIT_OF(batch.next);
			zx_signals_t obs = w->observed;
			uint32_t idx = w->slot, gen = loop->slots[idx].gen;

			list_remove(&w->node);
			w->state = W_IDLE;
			loop->slots[idx].handling = true;
			pthread_mutex_unlock(&loop->lock);
			w->handler(loop, w, ZX_OK, obs);
			pthread_mutex_lock(&loop->lock);
			/* Not begun again: let go (w itself may be gone). */
			if (loop->slots[idx].gen == gen &&
			    loop->slots[idx].handling)
				slot_release(loop, idx);
			(*ran)++;
			continue;
		}
		if (!list_empty(&loop->tasks)) {
			cfidl_task_t *t = TASK_OF(loop->tasks.next);

			if (t->deadline <= now && t->seq < seq_limit) {
				list_remove(&t->node);
				t->state = T_IDLE;
				pthread_mutex_unlock(&loop->lock);
				t->handler(loop, t, ZX_OK);
				pthread_mutex_lock(&loop->lock);
				(*ran)++;
				continue;
			}
		}
		break;
	}
	/* Quit with part of the batch left: keep it for the next run. */
	while (!list_empty(&batch)) {
		cfidl_loop_node_t *nd = batch.prev;

		list_remove(nd);
		nd->next = loop->ready.next;
		nd->prev = &loop->ready;
		loop->ready.next->prev = nd;
		loop->ready.next = nd;
	}
}

static zx_status_t enter(cfidl_loop_t *loop)
{
	if (loop->shutdown || loop->running)
		return ZX_ERR_BAD_STATE;
	loop->running = true;
	return ZX_OK;
}

zx_status_t cfidl_loop_run(cfidl_loop_t *loop, zx_time_t deadline, bool once)
{
	zx_status_t st;

	pthread_mutex_lock(&loop->lock);
	st = enter(loop);
	if (st != ZX_OK)
		goto out;
	for (;;) {
		int ran = 0;

		if (loop->quit) {
			st = ZX_ERR_CANCELED;
			break;
		}
		round_once(loop, deadline, false, &ran);
		if (loop->quit) {
			st = ZX_ERR_CANCELED;
			break;
		}
		if (once && ran) {
			st = ZX_OK;
			break;
		}
		if (!ran && zx_clock_get_monotonic() >= deadline) {
			st = ZX_ERR_TIMED_OUT;
			break;
		}
	}
	loop->running = false;
out:
	pthread_mutex_unlock(&loop->lock);
	return st;
}

zx_status_t cfidl_loop_run_until_idle(cfidl_loop_t *loop)
{
	zx_status_t st;

	pthread_mutex_lock(&loop->lock);
	st = enter(loop);
	if (st != ZX_OK)
		goto out;
	for (;;) {
		int ran = 0;

		if (loop->quit) {
			st = ZX_ERR_CANCELED;
			break;
		}
		round_once(loop, 0, true, &ran);
		if (loop->quit) {
			st = ZX_ERR_CANCELED;
			break;
		}
		if (!ran)
			break;
	}
	loop->running = false;
out:
	pthread_mutex_unlock(&loop->lock);
	return st;
}

void cfidl_loop_destroy(cfidl_loop_t *loop)
{
	if (!loop)
		return;
	pthread_mutex_lock(&loop->lock);
	loop->shutdown = true;
	/* One at a time: a handler may cancel (or free) others. */
	for (;;) {
		cfidl_loop_node_t *n = NULL;

		if (!list_empty(&loop->ready))
			n = loop->ready.next;
		else if (!list_empty(&loop->pending))
			n = loop->pending.next;
		if (n) {
			cfidl_wait_t *w = WAIT_OF(n);

			list_remove(n);
			release(loop, w);
			pthread_mutex_unlock(&loop->lock);
			w->handler(loop, w, ZX_ERR_CANCELED, 0);
			pthread_mutex_lock(&loop->lock);
			continue;
		}
		if (!list_empty(&loop->tasks)) {
			cfidl_task_t *t = TASK_OF(loop->tasks.next);

			list_remove(&t->node);
			t->state = T_IDLE;
			pthread_mutex_unlock(&loop->lock);
			t->handler(loop, t, ZX_ERR_CANCELED);
			pthread_mutex_lock(&loop->lock);
			continue;
		}
		break;
	}
	pthread_mutex_unlock(&loop->lock);
	pthread_mutex_destroy(&loop->lock);
	close(loop->epfd);
	close(loop->efd);
	free(loop->slots);
	free(loop);
}
