/*
 * The process-wide handle table.
 *
 * A handle value encodes a slot index and a generation, XORed with a
 * per-process random mask, with the two low bits always set (as in Zircon),
 * so a value is never 0.  Freed slots go to the tail of a FIFO free list
 * and their generation is bumped: a stale value is caught as
 * ZX_ERR_BAD_HANDLE and a closed value comes back only after every other
 * free slot has been used and the 12-bit generation has wrapped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cfidl/handle.h>

#include "object.h"

#define IDX_BITS  18u
#define MAX_SLOTS (1u << IDX_BITS)
#define GEN_MASK  0xfffu
#define NO_SLOT   UINT32_MAX

struct slot {
	struct cf_object *obj; /* NULL when free */
	zx_rights_t rights;
	uint32_t gen;
	uint32_t next_free;
};

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static struct slot *slots;
static uint32_t nslots;
static uint32_t free_head = NO_SLOT, free_tail = NO_SLOT;
static uint32_t value_mask;

static void atfork_prepare(void)
{
	pthread_mutex_lock(&table_mu);
}

static void atfork_release(void)
{
	pthread_mutex_unlock(&table_mu);
}

static void table_init(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
	value_mask = r & ~3u;
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

void cf_handle_lock(void)
{
	pthread_once(&table_once, table_init);
	pthread_mutex_lock(&table_mu);
}

void cf_handle_unlock(void)
{
	pthread_mutex_unlock(&table_mu);
}

static zx_handle_t encode(uint32_t idx, uint32_t gen)
{
	return (((gen << IDX_BITS) | idx) << 2 | 3u) ^ value_mask;
}

static struct slot *decode(zx_handle_t h)
{
	uint32_t v = h ^ value_mask;
	uint32_t idx = (v >> 2) & (MAX_SLOTS - 1);

	if (h == ZX_HANDLE_INVALID || (v & 3u) != 3u || idx >= nslots)
		return NULL;
	if (!slots[idx].obj || slots[idx].gen != v >> (IDX_BITS + 2))
		return NULL;
	return &slots[idx];
}

static void push_free(uint32_t idx)
{
	slots[idx].next_free = NO_SLOT;
	if (free_tail == NO_SLOT)
		free_head = idx;
	else
		slots[free_tail].next_free = idx;
	free_tail = idx;
}

static int grow(void)
{
	uint32_t want = nslots ? nslots * 2 : 64;
	struct slot *s;
	uint32_t gen_seed = value_mask >> 7;

	if (nslots >= MAX_SLOTS)
		return -1;
	if (want > MAX_SLOTS)
		want = MAX_SLOTS;
	s = realloc(slots, want * sizeof(*s));
	if (!s)
		return -1;
	slots = s;
	for (uint32_t i = nslots; i < want; i++) {
		slots[i].obj = NULL;
		slots[i].rights = 0;
		slots[i].gen = (gen_seed + i * 40503u) & GEN_MASK;
		push_free(i);
	}
	nslots = want;
	return 0;
}

zx_status_t cf_handle_add(struct cf_object *obj, zx_rights_t rights,
                          zx_handle_t *out)
{
	uint32_t idx;
	struct slot *s;

	cf_handle_lock();
	if (free_head == NO_SLOT && grow() < 0) {
		cf_handle_unlock();
		cf_object_unref(obj);
		return ZX_ERR_NO_RESOURCES;
	}
	idx = free_head;
	s = &slots[idx];
	free_head = s->next_free;
	if (free_head == NO_SLOT)
		free_tail = NO_SLOT;
	/* 0xffffffff means "handle present" on the FIDL wire: never use it. */
	if (encode(idx, s->gen) == UINT32_MAX)
		s->gen = (s->gen + 1) & GEN_MASK;
	s->obj = obj;
	s->rights = rights;
	*out = encode(idx, s->gen);
	cf_handle_unlock();
	return ZX_OK;
}

struct cf_object *cf_handle_peek_locked(zx_handle_t handle, zx_rights_t *rights)
{
	struct slot *s = decode(handle);

	if (!s)
		return NULL;
	if (rights)
		*rights = s->rights;
	return s->obj;
}

struct cf_object *cf_handle_remove_locked(zx_handle_t handle)
{
	struct slot *s = decode(handle);
	struct cf_object *obj;

	if (!s)
		return NULL;
	obj = s->obj;
	s->obj = NULL;
	s->rights = 0;
	s->gen = (s->gen + 1) & GEN_MASK;
	push_free((uint32_t)(s - slots));
	return obj;
}

zx_status_t cf_handle_get(zx_handle_t handle, zx_obj_type_t type,
                          zx_rights_t need, struct cf_object **obj,
                          zx_rights_t *rights)
{
	zx_rights_t r;
	struct cf_object *o;

	cf_handle_lock();
	o = cf_handle_peek_locked(handle, &r);
	if (!o) {
		cf_handle_unlock();
		return ZX_ERR_BAD_HANDLE;
	}
	if (type != ZX_OBJ_TYPE_NONE && o->type != type) {
		cf_handle_unlock();
		return ZX_ERR_WRONG_TYPE;
	}
	if ((r & need) != need) {
		cf_handle_unlock();
		return ZX_ERR_ACCESS_DENIED;
	}
	*obj = cf_object_ref(o);
	cf_handle_unlock();
	if (rights)
		*rights = r;
	return ZX_OK;
}

zx_status_t zx_handle_close(zx_handle_t handle)
{
	struct cf_object *obj;

	if (handle == ZX_HANDLE_INVALID)
		return ZX_OK;
	cf_handle_lock();
	obj = cf_handle_remove_locked(handle);
	cf_handle_unlock();
	if (!obj)
		return ZX_ERR_BAD_HANDLE;
	cf_object_unref(obj);
	return ZX_OK;
}

zx_status_t zx_handle_close_many(const zx_handle_t *handles, size_t num_handles)
{
	zx_status_t st = ZX_OK;

	if (!handles && num_handles)
		return ZX_ERR_INVALID_ARGS;
	for (size_t i = 0; i < num_handles; i++)
		if (zx_handle_close(handles[i]) != ZX_OK)
			st = ZX_ERR_BAD_HANDLE;
	return st;
}

/* The rights a duplicate/replace asking for `want` gets, or -1. */
static int64_t derive_rights(zx_rights_t have, zx_rights_t want)
{
	if (want == ZX_RIGHT_SAME_RIGHTS)
		return have;
	if ((want & ~have) != 0)
		return -1;
	return want;
}

zx_status_t zx_handle_duplicate(zx_handle_t handle, zx_rights_t rights,
                                zx_handle_t *out)
{
	struct cf_object *obj;
	zx_rights_t have;
	int64_t r;
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_NONE, 0, &obj, &have);
	if (st != ZX_OK)
		return st;
	if (!(have & ZX_RIGHT_DUPLICATE)) {
		cf_object_unref(obj);
		return ZX_ERR_ACCESS_DENIED;
	}
	r = derive_rights(have, rights);
	if (r < 0 || !out) {
		cf_object_unref(obj);
		return ZX_ERR_INVALID_ARGS;
	}
	return cf_handle_add(obj, (zx_rights_t)r, out);
}

zx_status_t zx_handle_replace(zx_handle_t handle, zx_rights_t rights,
                              zx_handle_t *out)
{
	struct cf_object *obj;
	zx_rights_t have;
	int64_t r;

	cf_handle_lock();
	obj = cf_handle_peek_locked(handle, &have);
	if (!obj) {
		cf_handle_unlock();
		return ZX_ERR_BAD_HANDLE;
	}
	obj = cf_handle_remove_locked(handle);
	cf_handle_unlock();
	r = derive_rights(have, rights);
	if (r < 0 || !out) {
		cf_object_unref(obj);
		return ZX_ERR_INVALID_ARGS;
	}
	return cf_handle_add(obj, (zx_rights_t)r, out);
}

zx_status_t zx_object_get_info(zx_handle_t handle, uint32_t topic, void *buffer,
                               size_t buffer_size, size_t *actual,
                               size_t *avail)
{
	struct cf_object *obj;
	zx_rights_t rights;
	zx_info_handle_basic_t info;
	zx_status_t st;

	if (topic == ZX_INFO_HANDLE_VALID) {
		st = cf_handle_get(handle, ZX_OBJ_TYPE_NONE, 0, &obj, NULL);
		if (st == ZX_OK)
			cf_object_unref(obj);
		return st;
	}
	if (topic != ZX_INFO_HANDLE_BASIC) {
		st = cf_handle_get(handle, ZX_OBJ_TYPE_NONE, 0, &obj, NULL);
		if (st != ZX_OK)
			return st;
		cf_object_unref(obj);
		return ZX_ERR_NOT_SUPPORTED;
	}
	st = cf_handle_get(handle, ZX_OBJ_TYPE_NONE, ZX_RIGHT_INSPECT, &obj,
	                   &rights);
	if (st != ZX_OK)
		return st;
	memset(&info, 0, sizeof(info));
	info.koid = obj->koid;
	info.rights = rights;
	info.type = obj->type;
	info.related_koid = obj->related_koid;
	cf_object_unref(obj);
	if (avail)
		*avail = 1;
	if (!buffer || buffer_size < sizeof(info)) {
		if (actual)
			*actual = 0;
		return ZX_ERR_BUFFER_TOO_SMALL;
	}
	memcpy(buffer, &info, sizeof(info));
	if (actual)
		*actual = 1;
	return ZX_OK;
}
