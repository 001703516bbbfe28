/*
 * Private: the objects behind handles, and the handle table's internal API.
 * Not installed; only the runtime sources include it.
 */
#ifndef CFIDL_RUNTIME_OBJECT_H
#define CFIDL_RUNTIME_OBJECT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cfidl/zx.h>

/* Most fds one object owns (an eventpair end: socket, state memfd, efd). */
#define CF_OBJ_MAX_FDS 3

struct cf_chan_local;

/*
 * One emulated kernel object as seen by this process.  The fds are the
 * object; everything else travels with them through channels (type,
 * aux, koid, related_koid), except the process-local parts at the end.
 */
struct cf_object {
	int refs; /* atomic: handles + in-flight users */
	zx_obj_type_t type;
	uint32_t aux; /* type-specific, travels: eventpair end, vmo flags */
	int nfds;
	int fds[CF_OBJ_MAX_FDS];
	zx_koid_t koid;
	zx_koid_t related_koid;

	/* Process-local. */
	pthread_mutex_t lock;       /* channel: stash and multi-step reads */
	struct cf_chan_local *chan; /* channel: stash, pending calls */
	uint32_t *sigs;             /* event(pair): mapped signal words */
	int write_disabled;         /* socket: this process disabled writes */
};

/* aux bits. */
#define CF_AUX_EVENTPAIR_END1 0x1u /* eventpair: this is end 1 */
#define CF_AUX_VMO_RESIZABLE  0x1u /* vmo: created ZX_VMO_RESIZABLE */

/* Fds each object type owns; 0 for types we cannot carry. */
int cf_object_fd_count(zx_obj_type_t type);

/*
 * Makes an object owning fds[0..nfds).  On success *out holds one
 * reference.  On failure every fd is closed.  nfds must match the type.
 */
zx_status_t cf_object_new(zx_obj_type_t type, const int *fds, int nfds,
                          uint32_t aux, zx_koid_t related_koid,
                          struct cf_object **out);

struct cf_object *cf_object_ref(struct cf_object *obj);
void cf_object_unref(struct cf_object *obj);

/* A koid no other object of this process (or, almost surely, of any
 * other) has had; never ZX_KOID_INVALID. */
zx_koid_t cf_koid_alloc(void);

/* Per-type hooks called by cf_object_new / the last unref. */
zx_status_t cf_channel_attach(struct cf_object *obj);
void cf_channel_detach(struct cf_object *obj);
zx_status_t cf_event_attach(struct cf_object *obj);
void cf_event_detach(struct cf_object *obj);
zx_status_t cf_vmo_attach(struct cf_object *obj);
/* Seals a VMO against shrinking before it leaves for another process. */
zx_status_t cf_vmo_seal_for_transfer(struct cf_object *obj);
/* Messages a channel end holds aside (zx_channel_call); atomic read. */
int cf_channel_stashed(struct cf_object *obj);

/* The handle table. */

/*
 * Adds a handle for obj, taking over the caller's reference (dropped on
 * failure too).
 */
zx_status_t cf_handle_add(struct cf_object *obj, zx_rights_t rights,
                          zx_handle_t *out);

/*
 * Looks handle up and checks, in Zircon's order: BAD_HANDLE, WRONG_TYPE
 * (unless type is ZX_OBJ_TYPE_NONE), ACCESS_DENIED (all of need).  On
 * success *obj holds a new reference; *rights (may be NULL) the rights.
 */
zx_status_t cf_handle_get(zx_handle_t handle, zx_obj_type_t type,
                          zx_rights_t need, struct cf_object **obj,
                          zx_rights_t *rights);

/* Bulk operations hold the table lock across several steps. */
void cf_handle_lock(void);
void cf_handle_unlock(void);
/* Under the lock: the object (no reference taken) and rights, or NULL. */
struct cf_object *cf_handle_peek_locked(zx_handle_t handle,
                                        zx_rights_t *rights);
/* Under the lock: removes handle, returning its object reference. */
struct cf_object *cf_handle_remove_locked(zx_handle_t handle);

/*
 * Waiting.  Each waitable type reports its current signals and the fds
 * whose readiness may change them (wait.c registers those with epoll).
 */
struct cf_waitfd {
	int fd;
	uint32_t events; /* EPOLLIN / EPOLLOUT / EPOLLET */
};
#define CF_MAX_WAITFDS 2

zx_signals_t cf_object_signals(struct cf_object *obj);
/* Fds to watch for a change of any signal in want; returns the count. */
int cf_object_waitfds(struct cf_object *obj, zx_signals_t want,
                      zx_signals_t now, struct cf_waitfd *out);

zx_signals_t cf_channel_signals(struct cf_object *obj);
int cf_channel_waitfds(struct cf_object *obj, zx_signals_t want,
                       zx_signals_t now, struct cf_waitfd *out);
zx_signals_t cf_socket_signals(struct cf_object *obj);
int cf_socket_waitfds(struct cf_object *obj, zx_signals_t want,
                      zx_signals_t now, struct cf_waitfd *out);
zx_signals_t cf_event_signals(struct cf_object *obj);
int cf_event_waitfds(struct cf_object *obj, zx_signals_t want, zx_signals_t now,
                     struct cf_waitfd *out);

/* poll(2) revents of fd right now (0 on error). */
short cf_poll_now(int fd, short events);

/* Time helpers shared by channel.c and wait.c. */
/* Milliseconds from now until deadline for poll(2): -1 infinite, >= 0. */
int cf_timeout_ms(zx_time_t deadline);

/* errno -> status for the common cases. */
zx_status_t cf_errno_status(int err);

#endif /* CFIDL_RUNTIME_OBJECT_H */
