/*
 * Channels over AF_UNIX SOCK_SEQPACKET socketpairs.
 *
 * One channel message is one seqpacket record:
 *
 *	prefix   num_bytes u32, num_handles u32
 *	payload  num_bytes bytes
 *	handles  num_handles x struct wire_handle (type, rights, nfds, aux,
 *		 koid, related_koid)
 *
 * with the handles' fds, in order, as one SCM_RIGHTS array.  The payload
 * comes before the handle headers so that a reader with a full-size buffer
 * receives straight into it with one recvmsg.
 *
 * zx_channel_call needs replies matched by txid while other messages stay
 * queued in order.  A socket cannot skip its head record, so this process
 * keeps a per-end stash: messages taken off the socket but not yet read.
 * Replies for a pending call are "claimed" and go only to that caller;
 * others are read by zx_channel_read before anything still in the socket.
 * While the stash holds an unclaimed message the end is READABLE
 * (stash_readable); for waiters on fds an eventfd (read_efd, made by the
 * first wait that needs it) is readable exactly then.  Callers use leader
 * and followers: one sleeps on the socket, the others sleep on a condition
 * variable that is broadcast whenever the stash gains a claimed reply.
 * A leader without deadline sleeps in recvmsg itself and takes whatever
 * arrives (a round trip is one sendmsg and one recvmsg, as on a bare
 * socket); while it does, readers leave the socket to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cfidl/channel.h>
#include <cfidl/handle.h>

#include "object.h"

struct wire_prefix {
	uint32_t num_bytes;
	uint32_t num_handles;
};

struct wire_handle {
	uint32_t type;
	uint32_t rights;
	uint32_t nfds;
	uint32_t aux;
	uint64_t koid;
	uint64_t related_koid;
};

#define MAX_BYTES   ZX_CHANNEL_MAX_MSG_BYTES
#define MAX_HANDLES ZX_CHANNEL_MAX_MSG_HANDLES
#define MAX_FDS     ((int)(MAX_HANDLES * CF_OBJ_MAX_FDS))
#define HDRS_SIZE   (MAX_HANDLES * sizeof(struct wire_handle))
#define SNDBUF_WANT (1 << 20)

/* A message taken off the socket and held for a later reader. */
struct stashed {
	struct stashed *next;
	bool claimed; /* a reply some zx_channel_call waits for */
	uint32_t txid;
	uint32_t num_bytes;
	uint32_t num_handles;
	int nfds;
	struct wire_handle wh[MAX_HANDLES];
	int fds[MAX_FDS];
	unsigned char bytes[]; /* num_bytes */
};

struct cf_chan_local {
	struct stashed *head, *tail;
	int nstashed;        /* atomic reads from the write path */
	int read_efd;        /* -1 until a wait needs it */
	bool read_set;       /* read_efd holds a count */
	bool stash_readable; /* atomic: an unclaimed message is stashed */
	bool sndbuf_raised;  /* atomic: raise_sndbuf ran in this process */
	bool leader;         /* a caller is polling the socket */
	uint64_t rx_seq;     /* bumped whenever this process takes a record */
	bool consuming;      /* the leader takes every record that arrives */
	bool no_direct;      /* the socket is O_NONBLOCK: the leader peeks */
	unsigned char *scratch; /* MAX_BYTES, the leader's receive buffer */
	pthread_cond_t cond;
	uint32_t *calls; /* txids of pending calls */
	size_t ncalls, calls_cap;
};

/* A received message, wherever its bytes went. */
struct rx {
	uint32_t num_bytes;
	uint32_t num_handles;
	int nfds;
	struct wire_handle wh[MAX_HANDLES];
	int fds[MAX_FDS];
};

static void close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

zx_status_t cf_channel_attach(struct cf_object *obj)
{
	struct cf_chan_local *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	if (!c)
		return ZX_ERR_NO_MEMORY;
	c->read_efd = -1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	obj->chan = c;
	return ZX_OK;
}

void cf_channel_detach(struct cf_object *obj)
{
	struct cf_chan_local *c = obj->chan;

	if (!c)
		return;
	while (c->head) {
		struct stashed *m = c->head;

		c->head = m->next;
		close_fds(m->fds, m->nfds);
		free(m);
	}
	if (c->read_efd >= 0)
		close(c->read_efd);
	pthread_cond_destroy(&c->cond);
	free(c->scratch);
	free(c->calls);
	free(c);
	obj->chan = NULL;
}

int cf_channel_stashed(struct cf_object *obj)
{
	return __atomic_load_n(&obj->chan->nstashed, __ATOMIC_ACQUIRE);
}

zx_status_t zx_channel_create(uint32_t options, zx_handle_t *out0,
                              zx_handle_t *out1)
{
	int sv[2];
	struct cf_object *a, *b;
	zx_status_t st;

	if (options != 0 || !out0 || !out1)
		return ZX_ERR_INVALID_ARGS;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cf_errno_status(errno);
	st = cf_object_new(ZX_OBJ_TYPE_CHANNEL, &sv[0], 1, 0, 0, &a);
	if (st != ZX_OK) {
		close(sv[1]);
		return st;
	}
	st = cf_object_new(ZX_OBJ_TYPE_CHANNEL, &sv[1], 1, 0, 0, &b);
	if (st != ZX_OK) {
		cf_object_unref(a);
		return st;
	}
	a->related_koid = b->koid;
	b->related_koid = a->koid;
	st = cf_handle_add(a, ZX_DEFAULT_CHANNEL_RIGHTS, out0);
	if (st != ZX_OK) {
		cf_object_unref(b);
		return st;
	}
	st = cf_handle_add(b, ZX_DEFAULT_CHANNEL_RIGHTS, out1);
	if (st != ZX_OK) {
		zx_handle_close(*out0);
		*out0 = ZX_HANDLE_INVALID;
		return st;
	}
	return ZX_OK;
}

/* ---- writing ---- */

struct xfer {
	struct cf_object *obj; /* reference held while sending */
	zx_rights_t rights;    /* what the receiver gets */
	zx_handle_op_t op;
	zx_handle_t handle;
};

/* Statuses after which the caller keeps its handles (ours, not Zircon's). */
static bool keeps_handles(zx_status_t st)
{
	return st == ZX_ERR_SHOULD_WAIT || st == ZX_ERR_BAD_STATE;
}

/* Closes the MOVE sources, except the channel itself. */
static void consume(zx_handle_t self, const zx_handle_disposition_t *d,
                    uint32_t n)
{
	struct cf_object *objs[MAX_HANDLES];
	uint32_t k = 0;

	cf_handle_lock();
	for (uint32_t i = 0; i < n; i++) {
		struct cf_object *o;

		if (d[i].operation != ZX_HANDLE_OP_MOVE || d[i].handle == self)
			continue;
		o = cf_handle_remove_locked(d[i].handle);
		if (!o)
			continue;
		if (k == MAX_HANDLES) {
			/* More than fit in objs: release under the lock. */
			cf_object_unref(o);
			continue;
		}
		objs[k++] = o;
	}
	cf_handle_unlock();
	for (uint32_t i = 0; i < k; i++)
		cf_object_unref(objs[i]);
}

static zx_status_t check_one(zx_handle_t self, zx_handle_disposition_t *d,
                             uint32_t i, struct xfer *x)
{
	zx_rights_t have;
	struct cf_object *o;

	if (d[i].operation != ZX_HANDLE_OP_MOVE &&
	    d[i].operation != ZX_HANDLE_OP_DUPLICATE)
		return ZX_ERR_INVALID_ARGS;
	o = cf_handle_peek_locked(d[i].handle, &have);
	if (!o)
		return ZX_ERR_BAD_HANDLE;
	for (uint32_t j = 0; j < i; j++)
		if (d[j].handle == d[i].handle &&
		    (d[j].operation == ZX_HANDLE_OP_MOVE ||
		     d[i].operation == ZX_HANDLE_OP_MOVE))
			return ZX_ERR_BAD_HANDLE;
	if (d[i].handle == self)
		return ZX_ERR_NOT_SUPPORTED;
	if (d[i].type != ZX_OBJ_TYPE_NONE && d[i].type != o->type)
		return ZX_ERR_WRONG_TYPE;
	if (!(have & ZX_RIGHT_TRANSFER))
		return ZX_ERR_ACCESS_DENIED;
	if (d[i].operation == ZX_HANDLE_OP_DUPLICATE &&
	    !(have & ZX_RIGHT_DUPLICATE))
		return ZX_ERR_ACCESS_DENIED;
	if (d[i].rights != ZX_RIGHT_SAME_RIGHTS && (d[i].rights & ~have))
		return ZX_ERR_INVALID_ARGS;
	if (cf_object_fd_count(o->type) == 0)
		return ZX_ERR_NOT_SUPPORTED;
	if (o->type == ZX_OBJ_TYPE_CHANNEL && cf_channel_stashed(o))
		return ZX_ERR_BAD_STATE;
	x->obj = cf_object_ref(o);
	x->rights = d[i].rights == ZX_RIGHT_SAME_RIGHTS ? have : d[i].rights;
	x->op = d[i].operation;
	x->handle = d[i].handle;
	return ZX_OK;
}

static zx_status_t send_msg(int fd, const void *bytes, uint32_t num_bytes,
                            const struct xfer *x, uint32_t n)
{
	struct wire_prefix pre = {num_bytes, n};
	struct wire_handle wh[MAX_HANDLES];
	int fds[MAX_FDS];
	int nfds = 0;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} ctl;
	struct iovec iov[3] = {
	    {&pre, sizeof(pre)},
	    {(void *)bytes, num_bytes},
	    {wh, n * sizeof(wh[0])},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 3};
	ssize_t r;

	for (uint32_t i = 0; i < n; i++) {
		const struct cf_object *o = x[i].obj;

		wh[i].type = o->type;
		wh[i].rights = x[i].rights;
		wh[i].nfds = (uint32_t)o->nfds;
		wh[i].aux = o->aux;
		wh[i].koid = o->koid;
		wh[i].related_koid = o->related_koid;
		for (int k = 0; k < o->nfds; k++)
			fds[nfds++] = o->fds[k];
	}
	if (nfds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		r = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == ETOOMANYREFS)
			return ZX_ERR_NO_RESOURCES;
		return cf_errno_status(errno);
	}
	return ZX_OK;
}

/*
 * Raises the end's send buffer to SNDBUF_WANT the first time it fills in
 * this process (a write or a wait for WRITABLE found it full); true if it
 * did.  Deferred from zx_channel_create: most channels never hold much,
 * and two setsockopt calls per channel were a visible share of a vsock
 * connection's syscalls.
 */
static bool raise_sndbuf(struct cf_object *ch)
{
	int sndbuf = SNDBUF_WANT;

	if (__atomic_exchange_n(&ch->chan->sndbuf_raised, true,
	                        __ATOMIC_ACQ_REL))
		return false;
	/* Best effort: the kernel clamps to net.core.wmem_max. */
	return setsockopt(ch->fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	                  sizeof(sndbuf)) == 0;
}

/*
 * The write path shared by write, write_etc and call.  d[i].result is set
 * when set_results.  Never consumes on SHOULD_WAIT or BAD_STATE.
 */
static zx_status_t chan_write(zx_handle_t handle, uint32_t options,
                              const void *bytes, uint32_t num_bytes,
                              zx_handle_disposition_t *d, uint32_t n,
                              bool set_results)
{
	struct cf_object *ch;
	struct xfer x[MAX_HANDLES];
	uint32_t nx = 0;
	zx_status_t st, first = ZX_OK;

	if (n && !d)
		return ZX_ERR_INVALID_ARGS;
	if (options != 0 || (num_bytes && !bytes)) {
		consume(handle, d, n);
		return ZX_ERR_INVALID_ARGS;
	}
	if (num_bytes > MAX_BYTES || n > MAX_HANDLES) {
		consume(handle, d, n);
		return ZX_ERR_OUT_OF_RANGE;
	}
	st = cf_handle_get(handle, ZX_OBJ_TYPE_CHANNEL, ZX_RIGHT_WRITE, &ch,
	                   NULL);
	if (st != ZX_OK) {
		consume(handle, d, n);
		return st;
	}

	cf_handle_lock();
	for (uint32_t i = 0; i < n; i++) {
		st = check_one(handle, d, i, &x[nx]);
		if (set_results)
			d[i].result = st;
		if (st == ZX_OK)
			nx++;
		else if (first == ZX_OK)
			first = st;
	}
	cf_handle_unlock();

	for (uint32_t i = 0; first == ZX_OK && i < nx; i++)
		if (x[i].obj->type == ZX_OBJ_TYPE_VMO)
			first = cf_vmo_seal_for_transfer(x[i].obj);
	if (first == ZX_OK)
		first = send_msg(ch->fds[0], bytes, num_bytes, x, nx);
	if (first == ZX_ERR_SHOULD_WAIT && raise_sndbuf(ch))
		first = send_msg(ch->fds[0], bytes, num_bytes, x, nx);

	if (first == ZX_OK) {
		struct cf_object *gone[MAX_HANDLES];
		uint32_t ng = 0;

		cf_handle_lock();
		for (uint32_t i = 0; i < nx; i++) {
			if (x[i].op != ZX_HANDLE_OP_MOVE)
				continue;
			gone[ng] = cf_handle_remove_locked(x[i].handle);
			if (gone[ng])
				ng++;
		}
		cf_handle_unlock();
		for (uint32_t i = 0; i < ng; i++)
			cf_object_unref(gone[i]);
	} else if (!keeps_handles(first)) {
		consume(handle, d, n);
	}
	for (uint32_t i = 0; i < nx; i++)
		cf_object_unref(x[i].obj);
	cf_object_unref(ch);
	return first;
}

zx_status_t zx_channel_write_etc(zx_handle_t handle, uint32_t options,
                                 const void *bytes, uint32_t num_bytes,
                                 zx_handle_disposition_t *handles,
                                 uint32_t num_handles)
{
	if (handles && num_handles <= MAX_HANDLES)
		for (uint32_t i = 0; i < num_handles; i++)
			handles[i].result = ZX_OK;
	return chan_write(handle, options, bytes, num_bytes, handles,
	                  num_handles, num_handles <= MAX_HANDLES);
}

zx_status_t zx_channel_write(zx_handle_t handle, uint32_t options,
                             const void *bytes, uint32_t num_bytes,
                             const zx_handle_t *handles, uint32_t num_handles)
{
	zx_handle_disposition_t d[MAX_HANDLES];

	if (num_handles && !handles)
		return ZX_ERR_INVALID_ARGS;
	if (num_handles > MAX_HANDLES) {
		/* Refused whole; the handles go, as Zircon documents. */
		zx_handle_disposition_t one = {ZX_HANDLE_OP_MOVE, 0,
		                               ZX_OBJ_TYPE_NONE,
		                               ZX_RIGHT_SAME_RIGHTS, ZX_OK};

		for (uint32_t i = 0; i < num_handles; i++) {
			one.handle = handles[i];
			consume(handle, &one, 1);
		}
		return ZX_ERR_OUT_OF_RANGE;
	}
	for (uint32_t i = 0; i < num_handles; i++) {
		d[i].operation = ZX_HANDLE_OP_MOVE;
		d[i].handle = handles[i];
		d[i].type = ZX_OBJ_TYPE_NONE;
		d[i].rights = ZX_RIGHT_SAME_RIGHTS;
		d[i].result = ZX_OK;
	}
	return chan_write(handle, options, bytes, num_bytes, d, num_handles,
	                  false);
}

/* ---- reading ---- */

/*
 * Peeks the head record: its prefix and txid.  flags: MSG_DONTWAIT, or 0
 * to sleep until a record arrives.
 */
static zx_status_t peek_head_flags(int fd, struct wire_prefix *pre,
                                   uint32_t *txid, int flags)
{
	unsigned char buf[sizeof(*pre) + 4];
	ssize_t r;

	do
		r = recv(fd, buf, sizeof(buf), MSG_PEEK | flags);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return cf_errno_status(errno);
	if (r == 0)
		return ZX_ERR_PEER_CLOSED;
	if ((size_t)r < sizeof(*pre))
		return ZX_ERR_IO;
	memcpy(pre, buf, sizeof(*pre));
	*txid = 0;
	if (pre->num_bytes >= 4 && (size_t)r == sizeof(buf))
		memcpy(txid, buf + sizeof(*pre), 4);
	if (pre->num_bytes > MAX_BYTES || pre->num_handles > MAX_HANDLES)
		return ZX_ERR_IO;
	return ZX_OK;
}

static zx_status_t peek_head(int fd, struct wire_prefix *pre, uint32_t *txid)
{
	return peek_head_flags(fd, pre, txid, MSG_DONTWAIT);
}

/*
 * Receives the head record into bytes (capacity cap, which must hold the
 * payload: the caller peeked, or cap is the maximum) and rx.  Bytes past
 * the payload in bytes[] may be overwritten.  On ZX_ERR_IO the record was
 * malformed and is gone, its fds closed.
 */
static zx_status_t recv_msg_flags(int fd, void *bytes, uint32_t cap,
                                  struct rx *rx, int flags)
{
	struct wire_prefix pre;
	unsigned char hdrs[HDRS_SIZE];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} ctl;
	struct iovec iov[3] = {
	    {&pre, sizeof(pre)},
	    {bytes, cap},
	    {hdrs, sizeof(hdrs)},
	};
	struct msghdr mh = {
	    .msg_iov = iov,
	    .msg_iovlen = 3,
	    .msg_control = ctl.buf,
	    .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm;
	ssize_t r;
	size_t hsize, in_bytes;
	uint32_t want_fds = 0;
	bool overflow = false;

	do
		r = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return cf_errno_status(errno);
	if (r == 0)
		return ZX_ERR_PEER_CLOSED;
	rx->nfds = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(f));
			if (rx->nfds < MAX_FDS) {
				rx->fds[rx->nfds++] = f;
			} else {
				close(f);
				overflow = true;
			}
		}
	}
	if (overflow || mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) ||
	    (size_t)r < sizeof(pre) || pre.num_bytes > cap ||
	    pre.num_handles > MAX_HANDLES)
		goto bad;
	hsize = pre.num_handles * sizeof(struct wire_handle);
	if ((size_t)r != sizeof(pre) + pre.num_bytes + hsize)
		goto bad;
	/* The handle headers follow the payload: some may sit in bytes[]. */
	in_bytes = cap - pre.num_bytes;
	if (in_bytes > hsize)
		in_bytes = hsize;
	if (in_bytes)
		memcpy(rx->wh, (unsigned char *)bytes + pre.num_bytes,
		       in_bytes);
	memcpy((unsigned char *)rx->wh + in_bytes, hdrs, hsize - in_bytes);
	for (uint32_t i = 0; i < pre.num_handles; i++) {
		int want = cf_object_fd_count(rx->wh[i].type);

		if (want == 0 || rx->wh[i].nfds != (uint32_t)want)
			goto bad;
		want_fds += (uint32_t)want;
	}
	if (want_fds != (uint32_t)rx->nfds)
		goto bad;
	rx->num_bytes = pre.num_bytes;
	rx->num_handles = pre.num_handles;
	return ZX_OK;
bad:
	close_fds(rx->fds, rx->nfds);
	rx->nfds = 0;
	return ZX_ERR_IO;
}

static zx_status_t recv_msg(int fd, void *bytes, uint32_t cap, struct rx *rx)
{
	return recv_msg_flags(fd, bytes, cap, rx, MSG_DONTWAIT);
}

/* Drops the head record (a seqpacket record is dropped whole when
 * truncated), closing the fds it carried. */
static void drop_head(int fd)
{
	char b;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} ctl;
	struct iovec iov = {&b, 1};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = ctl.buf,
	    .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t r;

	do
		r = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (int i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(f));
			close(f);
		}
	}
}

/*
 * Turns received handle headers and fds into handle table entries.  Takes
 * the fds in every case; on failure closes whatever it made.
 */
static zx_status_t make_handles(const struct wire_handle *wh, uint32_t nh,
                                const int *fds, int nfds, zx_handle_info_t *out)
{
	int k = 0;
	uint32_t i;
	zx_status_t st = ZX_OK;

	for (i = 0; i < nh; i++) {
		struct cf_object *o;
		int n = (int)wh[i].nfds;

		st = cf_object_new(wh[i].type, fds + k, n, wh[i].aux,
		                   wh[i].related_koid, &o);
		k += n;
		if (st == ZX_OK && wh[i].koid != ZX_KOID_INVALID)
			o->koid = wh[i].koid; /* the sender's: it travels */
		if (st == ZX_OK)
			st = cf_handle_add(o, wh[i].rights, &out[i].handle);
		if (st != ZX_OK)
			break;
		out[i].type = wh[i].type;
		out[i].rights = wh[i].rights;
		out[i].unused = 0;
	}
	if (st == ZX_OK)
		return ZX_OK;
	close_fds(fds + k, nfds - k);
	while (i-- > 0)
		zx_handle_close(out[i].handle);
	return st;
}

static bool txid_pending(const struct cf_chan_local *c, uint32_t txid)
{
	for (size_t i = 0; i < c->ncalls; i++)
		if (c->calls[i] == txid)
			return true;
	return false;
}

/* Brings read_efd, if there is one, to stash_readable.  Under obj->lock. */
static void sync_read_efd(struct cf_chan_local *c)
{
	bool want = c->stash_readable;
	uint64_t v = 1;

	if (c->read_efd < 0 || want == c->read_set)
		return;
	if (want) {
		if (write(c->read_efd, &v, sizeof(v)) != sizeof(v))
			return;
	} else if (read(c->read_efd, &v, sizeof(v)) != sizeof(v)) {
		return;
	}
	c->read_set = want;
}

/* Recomputes stash_readable after the stash changed.  Under obj->lock. */
static void update_read_efd(struct cf_chan_local *c)
{
	bool want = false;

	for (struct stashed *m = c->head; m && !want; m = m->next)
		want = !m->claimed;
	__atomic_store_n(&c->stash_readable, want, __ATOMIC_RELEASE);
	sync_read_efd(c);
}

/* Appends m, received as rx, to the stash.  Under obj->lock. */
static void stash_link(struct cf_chan_local *c, struct stashed *m,
                       const struct rx *rx, uint32_t txid)
{
	m->next = NULL;
	m->txid = txid;
	m->claimed = txid_pending(c, txid);
	m->num_bytes = rx->num_bytes;
	m->num_handles = rx->num_handles;
	m->nfds = rx->nfds;
	memcpy(m->wh, rx->wh, sizeof(rx->wh[0]) * rx->num_handles);
	memcpy(m->fds, rx->fds, sizeof(int) * rx->nfds);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	__atomic_add_fetch(&c->nstashed, 1, __ATOMIC_RELEASE);
	if (m->claimed)
		pthread_cond_broadcast(&c->cond);
	else
		update_read_efd(c);
}

/* Moves the head record of the socket into the stash.  Under obj->lock. */
static zx_status_t stash_head(struct cf_object *obj,
                              const struct wire_prefix *pre, uint32_t txid)
{
	struct cf_chan_local *c = obj->chan;
	struct stashed *m = malloc(sizeof(*m) + pre->num_bytes);
	struct rx rxbuf, *rx = &rxbuf;
	zx_status_t st;

	c->rx_seq++;
	if (!m) {
		drop_head(obj->fds[0]);
		return ZX_ERR_NO_MEMORY;
	}
	st = recv_msg(obj->fds[0], m->bytes, pre->num_bytes, rx);
	if (st != ZX_OK) {
		free(m);
		return st;
	}
	stash_link(c, m, rx, txid);
	return ZX_OK;
}

/* Stashes a message already received into bytes.  Under obj->lock. */
static zx_status_t stash_copy(struct cf_chan_local *c, const void *bytes,
                              const struct rx *rx, uint32_t txid)
{
	struct stashed *m = malloc(sizeof(*m) + rx->num_bytes);

	if (!m) {
		close_fds(rx->fds, rx->nfds);
		return ZX_ERR_NO_MEMORY;
	}
	if (rx->num_bytes)
		memcpy(m->bytes, bytes, rx->num_bytes);
	stash_link(c, m, rx, txid);
	return ZX_OK;
}

/* Unlinks m from the stash.  Under obj->lock. */
static void unstash(struct cf_chan_local *c, struct stashed *m)
{
	struct stashed **pp = &c->head, *prev = NULL;

	while (*pp != m) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = m->next;
	if (c->tail == m)
		c->tail = prev;
	__atomic_sub_fetch(&c->nstashed, 1, __ATOMIC_RELEASE);
	if (!m->claimed)
		update_read_efd(c);
}

/* Where a read or call puts a message. */
struct dest {
	void *bytes;
	zx_handle_info_t *handles;
	uint32_t num_bytes;
	uint32_t num_handles;
	uint32_t *actual_bytes;
	uint32_t *actual_handles;
	bool may_discard;
};

static void report_sizes(const struct dest *d, uint32_t nb, uint32_t nh)
{
	if (d->actual_bytes)
		*d->actual_bytes = nb;
	if (d->actual_handles)
		*d->actual_handles = nh;
}

static bool fits(const struct dest *d, uint32_t nb, uint32_t nh)
{
	return nb <= d->num_bytes && nh <= d->num_handles;
}

/* Delivers a stashed message (and frees it, unless too small). */
static zx_status_t deliver_stashed(struct cf_chan_local *c, struct stashed *m,
                                   const struct dest *d)
{
	zx_status_t st;

	report_sizes(d, m->num_bytes, m->num_handles);
	if (!fits(d, m->num_bytes, m->num_handles)) {
		if (!d->may_discard)
			return ZX_ERR_BUFFER_TOO_SMALL;
		unstash(c, m);
		close_fds(m->fds, m->nfds);
		free(m);
		return ZX_ERR_BUFFER_TOO_SMALL;
	}
	unstash(c, m);
	if (m->num_bytes)
		memcpy(d->bytes, m->bytes, m->num_bytes);
	st = make_handles(m->wh, m->num_handles, m->fds, m->nfds, d->handles);
	free(m);
	if (st != ZX_OK)
		report_sizes(d, 0, 0);
	return st;
}

/*
 * Receives the socket's head record (already peeked as pre) into d, or
 * drops it when it does not fit and d allows.  pre NULL: not peeked, d
 * has room for any message.  Under obj->lock.
 */
static zx_status_t deliver_head(struct cf_object *obj,
                                const struct wire_prefix *pre,
                                const struct dest *d)
{
	struct rx rxbuf, *rx = &rxbuf;
	zx_status_t st;

	obj->chan->rx_seq++;
	if (pre) {
		report_sizes(d, pre->num_bytes, pre->num_handles);
		if (!fits(d, pre->num_bytes, pre->num_handles)) {
			if (d->may_discard)
				drop_head(obj->fds[0]);
			return ZX_ERR_BUFFER_TOO_SMALL;
		}
	}
	st = recv_msg(obj->fds[0], d->bytes, d->num_bytes, rx);
	if (st == ZX_OK)
		st = make_handles(rx->wh, rx->num_handles, rx->fds, rx->nfds,
		                  d->handles);
	if (st == ZX_OK)
		report_sizes(d, rx->num_bytes, rx->num_handles);
	else
		report_sizes(d, 0, 0);
	return st;
}

static int timedwait(pthread_cond_t *cv, pthread_mutex_t *mu,
                     zx_time_t deadline)
{
	struct timespec ts;

	if (deadline == ZX_TIME_INFINITE)
		return pthread_cond_wait(cv, mu);
	if (deadline < 0)
		deadline = 0;
	ts.tv_sec = deadline / 1000000000LL;
	ts.tv_nsec = deadline % 1000000000LL;
	return pthread_cond_timedwait(cv, mu, &ts);
}

static zx_status_t chan_read(struct cf_object *obj, const struct dest *d)
{
	struct cf_chan_local *c = obj->chan;
	struct wire_prefix pre;
	uint32_t txid;
	zx_status_t st;

	pthread_mutex_lock(&obj->lock);
	for (;;) {
		struct stashed *m = c->head;

		while (m && m->claimed)
			m = m->next;
		if (m) {
			st = deliver_stashed(c, m, d);
			break;
		}
		if (c->consuming) {
			/*
			 * A call's leader takes each record as it arrives and
			 * stashes it: wait for the one there, if any (a short
			 * sleep at a time, in case another process took it).
			 */
			if (!(cf_poll_now(obj->fds[0], POLLIN) & POLLIN)) {
				st = ZX_ERR_SHOULD_WAIT;
				break;
			}
			timedwait(&c->cond, &obj->lock,
			          zx_clock_get_monotonic() + 10000000);
			continue;
		}
		if (!c->ncalls && d->num_bytes >= MAX_BYTES &&
		    d->num_handles >= MAX_HANDLES) {
			/* Anything fits: one recvmsg, no peek. */
			st = deliver_head(obj, NULL, d);
			break;
		}
		st = peek_head(obj->fds[0], &pre, &txid);
		if (st == ZX_ERR_IO) {
			c->rx_seq++;
			drop_head(obj->fds[0]);
			break;
		}
		if (st != ZX_OK)
			break;
		if (c->ncalls && txid_pending(c, txid)) {
			/* A pending call's reply: its caller takes it. */
			st = ZX_ERR_SHOULD_WAIT;
			break;
		}
		st = deliver_head(obj, &pre, d);
		break;
	}
	pthread_mutex_unlock(&obj->lock);
	return st;
}

zx_status_t zx_channel_read_etc(zx_handle_t handle, uint32_t options,
                                void *bytes, zx_handle_info_t *handles,
                                uint32_t num_bytes, uint32_t num_handles,
                                uint32_t *actual_bytes,
                                uint32_t *actual_handles)
{
	struct cf_object *obj;
	struct dest d = {bytes,        handles,        num_bytes, num_handles,
	                 actual_bytes, actual_handles, false};
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_CHANNEL, ZX_RIGHT_READ, &obj,
	                   NULL);
	if (st != ZX_OK)
		return st;
	if ((options & ~ZX_CHANNEL_READ_MAY_DISCARD) || (num_bytes && !bytes) ||
	    (num_handles && !handles)) {
		cf_object_unref(obj);
		return ZX_ERR_INVALID_ARGS;
	}
	d.may_discard = options & ZX_CHANNEL_READ_MAY_DISCARD;
	st = chan_read(obj, &d);
	cf_object_unref(obj);
	return st;
}

zx_status_t zx_channel_read(zx_handle_t handle, uint32_t options, void *bytes,
                            zx_handle_t *handles, uint32_t num_bytes,
                            uint32_t num_handles, uint32_t *actual_bytes,
                            uint32_t *actual_handles)
{
	zx_handle_info_t info[MAX_HANDLES];
	uint32_t nh = 0;
	zx_status_t st;

	if (num_handles && !handles)
		return ZX_ERR_INVALID_ARGS;
	if (num_handles > MAX_HANDLES)
		num_handles = MAX_HANDLES;
	st = zx_channel_read_etc(handle, options, bytes, info, num_bytes,
	                         num_handles, actual_bytes, &nh);
	if (actual_handles)
		*actual_handles = nh;
	if (st == ZX_OK)
		for (uint32_t i = 0; i < nh; i++)
			handles[i] = info[i].handle;
	return st;
}

/* ---- calls ---- */

static zx_status_t add_call(struct cf_chan_local *c, uint32_t txid)
{
	if (c->ncalls == c->calls_cap) {
		size_t cap = c->calls_cap ? c->calls_cap * 2 : 4;
		uint32_t *n = realloc(c->calls, cap * sizeof(*n));

		if (!n)
			return ZX_ERR_NO_MEMORY;
		c->calls = n;
		c->calls_cap = cap;
	}
	c->calls[c->ncalls++] = txid;
	return ZX_OK;
}

static void remove_call(struct cf_chan_local *c, uint32_t txid)
{
	for (size_t i = 0; i < c->ncalls; i++) {
		if (c->calls[i] == txid) {
			c->calls[i] = c->calls[--c->ncalls];
			return;
		}
	}
}

/* Waits (until deadline) for the write side to have room. */
static zx_status_t wait_writable(int fd, zx_time_t deadline)
{
	struct pollfd p = {fd, POLLOUT, 0};
	int r;

	do {
		r = poll(&p, 1, cf_timeout_ms(deadline));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return cf_errno_status(errno);
	if (p.revents & (POLLHUP | POLLERR))
		return ZX_ERR_PEER_CLOSED;
	if (r == 0 && zx_clock_get_monotonic() >= deadline)
		return ZX_ERR_TIMED_OUT;
	return ZX_OK;
}

/*
 * Sleeps (unlocked, as the leader) until the socket has a record, then
 * peeks it.  With no deadline one blocking peek does both; otherwise poll
 * first.  SHOULD_WAIT: woken with nothing there; TIMED_OUT: deadline.
 */
static zx_status_t wait_head(int fd, zx_time_t deadline,
                             struct wire_prefix *pre, uint32_t *txid)
{
	struct pollfd p = {fd, POLLIN, 0};
	zx_status_t st;
	int r;

	if (deadline == ZX_TIME_INFINITE) {
		st = peek_head_flags(fd, pre, txid, 0);
		if (st != ZX_ERR_SHOULD_WAIT)
			return st;
		/* The file is O_NONBLOCK (set by someone else): poll. */
	}
	do
		r = poll(&p, 1, cf_timeout_ms(deadline));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return cf_errno_status(errno);
	if (r == 0)
		return zx_clock_get_monotonic() >= deadline
		           ? ZX_ERR_TIMED_OUT
		           : ZX_ERR_SHOULD_WAIT;
	return peek_head(fd, pre, txid);
}

/* Delivers a message received into c->scratch as rx.  Under obj->lock. */
static zx_status_t deliver_scratch(struct cf_chan_local *c, const struct rx *rx,
                                   const struct dest *d)
{
	zx_status_t st;

	report_sizes(d, rx->num_bytes, rx->num_handles);
	if (!fits(d, rx->num_bytes, rx->num_handles)) {
		/* A call may discard (Zircon's zx_channel_call does). */
		close_fds(rx->fds, rx->nfds);
		return ZX_ERR_BUFFER_TOO_SMALL;
	}
	if (rx->num_bytes)
		memcpy(d->bytes, c->scratch, rx->num_bytes);
	st = make_handles(rx->wh, rx->num_handles, rx->fds, rx->nfds,
	                  d->handles);
	if (st != ZX_OK)
		report_sizes(d, 0, 0);
	return st;
}

/*
 * The leader of a call without deadline: sleeps in one blocking recvmsg
 * (without the lock) and takes whatever record arrives, delivering it if
 * it is the reply to txid and stashing it otherwise.  Meanwhile readers
 * leave the socket to it (consuming).  ZX_ERR_NEXT: look again.  Called
 * and returns with obj->lock held.
 */
static zx_status_t take_next(struct cf_object *obj, uint32_t txid,
                             struct dest *d)
{
	struct cf_chan_local *c = obj->chan;
	struct rx rxbuf, *rx = &rxbuf;
	uint32_t rtxid = 0;
	zx_status_t st;

	if (!c->scratch) {
		c->scratch = malloc(MAX_BYTES);
		if (!c->scratch) {
			c->no_direct = true;
			return ZX_ERR_NEXT;
		}
	}
	c->leader = true;
	c->consuming = true;
	pthread_mutex_unlock(&obj->lock);
	st = recv_msg_flags(obj->fds[0], c->scratch, MAX_BYTES, rx, 0);
	pthread_mutex_lock(&obj->lock);
	c->leader = false;
	c->consuming = false;
	c->rx_seq++;
	pthread_cond_broadcast(&c->cond);
	if (st == ZX_ERR_SHOULD_WAIT) {
		/* The file is O_NONBLOCK (set by someone else): peek. */
		c->no_direct = true;
		return ZX_ERR_NEXT;
	}
	if (st == ZX_ERR_IO)
		return ZX_ERR_NEXT; /* malformed, dropped */
	if (st != ZX_OK)
		return st; /* PEER_CLOSED once drained */
	if (rx->num_bytes >= sizeof(rtxid))
		memcpy(&rtxid, c->scratch, sizeof(rtxid));
	if (rtxid == txid) {
		d->may_discard = true;
		return deliver_scratch(c, rx, d);
	}
	st = stash_copy(c, c->scratch, rx, rtxid);
	return st == ZX_OK ? ZX_ERR_NEXT : st;
}

/*
 * Waits for the reply to txid and delivers it into d.  Called with
 * obj->lock held and txid registered; returns with the lock held.
 *
 * The leader peeks the socket's head without the lock; the peek still
 * describes the head afterwards iff no reader of this process took a
 * record meanwhile (rx_seq unchanged), else it looks again.
 */
static zx_status_t await_reply(struct cf_object *obj, uint32_t txid,
                               zx_time_t deadline, struct dest *d)
{
	struct cf_chan_local *c = obj->chan;
	struct wire_prefix pre;
	uint32_t rtxid = 0;
	zx_status_t st;

	for (;;) {
		struct stashed *m;
		uint64_t seq;

		for (m = c->head; m; m = m->next)
			if (m->claimed && m->txid == txid)
				break;
		if (m) {
			d->may_discard = true;
			return deliver_stashed(c, m, d);
		}
		if (c->leader) {
			if (zx_clock_get_monotonic() >= deadline)
				return ZX_ERR_TIMED_OUT;
			timedwait(&c->cond, &obj->lock, deadline);
			continue;
		}
		if (deadline == ZX_TIME_INFINITE && !c->no_direct) {
			st = take_next(obj, txid, d);
			if (st != ZX_ERR_NEXT)
				return st;
			continue;
		}
		/* Lead: sleep until the socket has a record, then take it. */
		seq = c->rx_seq;
		c->leader = true;
		pthread_mutex_unlock(&obj->lock);
		st = wait_head(obj->fds[0], deadline, &pre, &rtxid);
		pthread_mutex_lock(&obj->lock);
		c->leader = false;
		pthread_cond_broadcast(&c->cond);
		if (c->rx_seq != seq && st != ZX_ERR_TIMED_OUT) {
			/* A reader took a record: the peek may be stale. */
			st = peek_head(obj->fds[0], &pre, &rtxid);
		}
		if (st == ZX_ERR_TIMED_OUT) {
			/* Unless someone stashed it for us meanwhile. */
			for (m = c->head; m; m = m->next)
				if (m->claimed && m->txid == txid)
					break;
			if (!m)
				return ZX_ERR_TIMED_OUT;
			continue;
		}
		if (st == ZX_ERR_SHOULD_WAIT)
			continue;
		if (st == ZX_ERR_IO) {
			c->rx_seq++;
			drop_head(obj->fds[0]);
			continue;
		}
		if (st != ZX_OK)
			return st; /* PEER_CLOSED once drained */
		if (rtxid == txid) {
			d->may_discard = true;
			return deliver_head(obj, &pre, d);
		}
		st = stash_head(obj, &pre, rtxid);
		if (st != ZX_OK && st != ZX_ERR_IO)
			return st;
	}
}

zx_status_t zx_channel_call_etc(zx_handle_t handle, uint32_t options,
                                zx_time_t deadline,
                                zx_channel_call_etc_args_t *args,
                                uint32_t *actual_bytes,
                                uint32_t *actual_handles)
{
	struct cf_object *obj;
	struct cf_chan_local *c;
	uint32_t txid;
	struct dest d;
	zx_status_t st;

	if (!args)
		return ZX_ERR_INVALID_ARGS;
	if (options != 0 || args->wr_num_bytes < sizeof(txid) ||
	    !args->wr_bytes || (args->rd_num_bytes && !args->rd_bytes) ||
	    (args->rd_num_handles && !args->rd_handles)) {
		consume(handle, args->wr_handles,
		        args->wr_handles ? args->wr_num_handles : 0);
		return ZX_ERR_INVALID_ARGS;
	}
	st = cf_handle_get(handle, ZX_OBJ_TYPE_CHANNEL,
	                   ZX_RIGHT_READ | ZX_RIGHT_WRITE, &obj, NULL);
	if (st != ZX_OK) {
		consume(handle, args->wr_handles,
		        args->wr_handles ? args->wr_num_handles : 0);
		return st;
	}
	c = obj->chan;
	memcpy(&txid, args->wr_bytes, sizeof(txid));

	/* Register first, so a quick reply read by anyone is kept for us. */
	pthread_mutex_lock(&obj->lock);
	st = add_call(c, txid);
	pthread_mutex_unlock(&obj->lock);
	if (st != ZX_OK) {
		consume(handle, args->wr_handles,
		        args->wr_handles ? args->wr_num_handles : 0);
		cf_object_unref(obj);
		return st;
	}
	for (;;) {
		st = zx_channel_write_etc(handle, 0, args->wr_bytes,
		                          args->wr_num_bytes, args->wr_handles,
		                          args->wr_num_handles);
		if (st != ZX_ERR_SHOULD_WAIT)
			break;
		st = wait_writable(obj->fds[0], deadline);
		if (st != ZX_OK) {
			consume(handle, args->wr_handles, args->wr_num_handles);
			break;
		}
	}

	d.bytes = args->rd_bytes;
	d.handles = args->rd_handles;
	d.num_bytes = args->rd_num_bytes;
	d.num_handles = args->rd_num_handles;
	d.actual_bytes = actual_bytes;
	d.actual_handles = actual_handles;
	d.may_discard = true;
	pthread_mutex_lock(&obj->lock);
	if (st == ZX_OK)
		st = await_reply(obj, txid, deadline, &d);
	remove_call(c, txid);
	pthread_mutex_unlock(&obj->lock);
	cf_object_unref(obj);
	return st;
}

zx_status_t zx_channel_call(zx_handle_t handle, uint32_t options,
                            zx_time_t deadline,
                            const zx_channel_call_args_t *args,
                            uint32_t *actual_bytes, uint32_t *actual_handles)
{
	zx_handle_disposition_t wd[MAX_HANDLES];
	zx_handle_info_t ri[MAX_HANDLES];
	zx_channel_call_etc_args_t e;
	uint32_t nh = 0;
	zx_status_t st;

	if (!args || (args->wr_num_handles && !args->wr_handles))
		return ZX_ERR_INVALID_ARGS;
	if (args->wr_num_handles > MAX_HANDLES) {
		for (uint32_t i = 0; i < args->wr_num_handles; i++)
			if (args->wr_handles[i] != handle)
				zx_handle_close(args->wr_handles[i]);
		return ZX_ERR_OUT_OF_RANGE;
	}
	for (uint32_t i = 0; i < args->wr_num_handles; i++) {
		wd[i].operation = ZX_HANDLE_OP_MOVE;
		wd[i].handle = args->wr_handles[i];
		wd[i].type = ZX_OBJ_TYPE_NONE;
		wd[i].rights = ZX_RIGHT_SAME_RIGHTS;
		wd[i].result = ZX_OK;
	}
	e.wr_bytes = args->wr_bytes;
	e.wr_handles = wd;
	e.wr_num_bytes = args->wr_num_bytes;
	e.wr_num_handles = args->wr_num_handles;
	e.rd_bytes = args->rd_bytes;
	e.rd_handles = args->rd_num_handles ? ri : NULL;
	e.rd_num_bytes = args->rd_num_bytes;
	e.rd_num_handles = args->rd_num_handles > MAX_HANDLES
	                       ? MAX_HANDLES
	                       : args->rd_num_handles;
	if (e.rd_num_handles && !args->rd_handles)
		e.rd_handles = NULL; /* rejected as INVALID_ARGS */
	st = zx_channel_call_etc(handle, options, deadline, &e, actual_bytes,
	                         &nh);
	if (actual_handles)
		*actual_handles = nh;
	if (st == ZX_OK)
		for (uint32_t i = 0; i < nh; i++)
			args->rd_handles[i] = ri[i].handle;
	return st;
}

/* ---- signals ---- */

short cf_poll_now(int fd, short events)
{
	struct pollfd p = {fd, events, 0};

	if (poll(&p, 1, 0) <= 0)
		return 0;
	return p.revents;
}

zx_signals_t cf_channel_signals(struct cf_object *obj)
{
	/* The socket first: a record a reader takes moves on to the stash. */
	short ev = cf_poll_now(obj->fds[0], POLLIN | POLLOUT);
	zx_signals_t s = 0;
	int n = 0;

	if (ev & POLLIN) {
		/* POLLIN is also EOF: a record is there iff its size > 0. */
		if (!(ev & POLLHUP) ||
		    (ioctl(obj->fds[0], FIONREAD, &n) == 0 && n > 0))
			s |= ZX_CHANNEL_READABLE;
	}
	if (__atomic_load_n(&obj->chan->stash_readable, __ATOMIC_ACQUIRE))
		s |= ZX_CHANNEL_READABLE;
	if (ev & POLLHUP)
		s |= ZX_CHANNEL_PEER_CLOSED;
	else if (ev & POLLOUT)
		s |= ZX_CHANNEL_WRITABLE;
	return s;
}

/* The stash's eventfd, made on first use; -1 if it cannot be. */
static int read_efd_of(struct cf_object *obj)
{
	struct cf_chan_local *c = obj->chan;
	int fd;

	pthread_mutex_lock(&obj->lock);
	if (c->read_efd < 0) {
		c->read_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		c->read_set = false;
		sync_read_efd(c);
	}
	fd = c->read_efd;
	pthread_mutex_unlock(&obj->lock);
	return fd;
}

int cf_channel_waitfds(struct cf_object *obj, zx_signals_t want,
                       zx_signals_t now, struct cf_waitfd *out)
{
	uint32_t ev = 0;
	int efd;

	if (now & ZX_CHANNEL_PEER_CLOSED)
		return 0; /* nothing more can change */
	if ((want & ZX_CHANNEL_READABLE) && !(now & ZX_CHANNEL_READABLE))
		ev |= EPOLLIN;
	if ((want & ZX_CHANNEL_WRITABLE) && !(now & ZX_CHANNEL_WRITABLE)) {
		ev |= EPOLLOUT;
		/* A writer that waits for room found it full. */
		(void)raise_sndbuf(obj);
	}
	/* EPOLLHUP is always reported: PEER_CLOSED needs no bit. */
	out[0].fd = obj->fds[0];
	out[0].events = ev;
	if (!(ev & EPOLLIN) || (efd = read_efd_of(obj)) < 0)
		return 1;
	out[1].fd = efd;
	out[1].events = EPOLLIN;
	return 2;
}
