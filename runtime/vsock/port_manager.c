/*
 * port_manager.c: host-side vsock port bookkeeping (see port_manager.h).
 *
 * In-range ports live in two bitmaps (in use, quarantined); the expiry of
 * each quarantine and every out-of-range reservation live in small
 * arrays, as both are rare.  Expired quarantines are dropped lazily.
 */
#include "port_manager.h"

#include <stdlib.h>
#include <string.h>

typedef struct cfv_quarantine {
	uint32_t port;
	zx_time_t until;
} cfv_quarantine_t;

struct cfv_port_manager {
	uint32_t first;
	uint32_t last;
	uint32_t next; /* offset from first of the next candidate */
	zx_duration_t quarantine;
	uint64_t *used; /* in-range ports in use */
	uint64_t *held; /* in-range ports with an entry in quar[] */
	/* Reserved ports outside [first, last]. */
	uint32_t *extra;
	size_t extra_len, extra_cap;
	/* Live (maybe expired) quarantines, any port. */
	cfv_quarantine_t *quar;
	size_t quar_len, quar_cap;
};

static bool in_range(const cfv_port_manager_t *pm, uint32_t port)
{
	return port >= pm->first && port <= pm->last;
}

static bool bit_get(const uint64_t *map, uint32_t i)
{
	return (map[i / 64] >> (i % 64)) & 1u;
}

static void bit_set(uint64_t *map, uint32_t i, bool on)
{
	if (on)
		map[i / 64] |= (uint64_t)1 << (i % 64);
	else
		map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Grows an array to hold one more element; false on NO_MEMORY. */
static bool grow(void **arr, size_t *cap, size_t len, size_t elem)
{
	size_t ncap;
	void *n;

	if (len < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

zx_status_t cfv_port_manager_create(uint32_t first, uint32_t last,
                                    zx_duration_t quarantine,
                                    cfv_port_manager_t **out)
{
	cfv_port_manager_t *pm;
	size_t words;

	if (!out || first > last || quarantine < 0)
		return ZX_ERR_INVALID_ARGS;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return ZX_ERR_NO_MEMORY;
	words = ((size_t)(last - first) + 1 + 63) / 64;
	pm->used = calloc(words, sizeof(uint64_t));
	pm->held = calloc(words, sizeof(uint64_t));
	if (!pm->used || !pm->held) {
		cfv_port_manager_destroy(pm);
		return ZX_ERR_NO_MEMORY;
	}
	pm->first = first;
	pm->last = last;
	pm->quarantine = quarantine;
	*out = pm;
	return ZX_OK;
}

void cfv_port_manager_destroy(cfv_port_manager_t *pm)
{
	if (!pm)
		return;
	free(pm->used);
	free(pm->held);
	free(pm->extra);
	free(pm->quar);
	free(pm);
}

static size_t find_extra(const cfv_port_manager_t *pm, uint32_t port)
{
	for (size_t i = 0; i < pm->extra_len; i++)
		if (pm->extra[i] == port)
			return i;
	return SIZE_MAX;
}

static size_t find_quar(const cfv_port_manager_t *pm, uint32_t port)
{
	for (size_t i = 0; i < pm->quar_len; i++)
		if (pm->quar[i].port == port)
			return i;
	return SIZE_MAX;
}

static void drop_quar(cfv_port_manager_t *pm, size_t i)
{
	uint32_t port = pm->quar[i].port;

	if (in_range(pm, port))
		bit_set(pm->held, port - pm->first, false);
	pm->quar[i] = pm->quar[--pm->quar_len];
}

/* Forgets every quarantine over at now. */
static void prune(cfv_port_manager_t *pm, zx_time_t now)
{
	size_t i = 0;

	while (i < pm->quar_len) {
		if (pm->quar[i].until <= now)
			drop_quar(pm, i);
		else
			i++;
	}
}

bool cfv_port_manager_in_use(const cfv_port_manager_t *pm, uint32_t port)
{
	if (in_range(pm, port))
		return bit_get(pm->used, port - pm->first);
	return find_extra(pm, port) != SIZE_MAX;
}

bool cfv_port_manager_quarantined(const cfv_port_manager_t *pm, uint32_t port,
                                  zx_time_t now)
{
	size_t i;

	if (in_range(pm, port) && !bit_get(pm->held, port - pm->first))
		return false;
	i = find_quar(pm, port);
	return i != SIZE_MAX && pm->quar[i].until > now;
}

zx_status_t cfv_port_manager_alloc(cfv_port_manager_t *pm, zx_time_t now,
                                   uint32_t *out)
{
	uint32_t span = pm->last - pm->first; /* count - 1, no overflow */

	if (!out)
		return ZX_ERR_INVALID_ARGS;
	prune(pm, now);
	/* Visit every offset once, starting at the cursor. */
	for (uint64_t n = 0; n <= (uint64_t)span; n++) {
		uint32_t i = pm->next;

		pm->next = i == span ? 0 : i + 1;
		if (bit_get(pm->used, i) || bit_get(pm->held, i))
			continue;
		bit_set(pm->used, i, true);
		*out = pm->first + i;
		return ZX_OK;
	}
	return ZX_ERR_NO_RESOURCES;
}

zx_status_t cfv_port_manager_reserve(cfv_port_manager_t *pm, uint32_t port)
{
	if (cfv_port_manager_in_use(pm, port))
		return ZX_ERR_ALREADY_BOUND;
	if (in_range(pm, port)) {
		bit_set(pm->used, port - pm->first, true);
		return ZX_OK;
	}
	if (!grow((void **)&pm->extra, &pm->extra_cap, pm->extra_len,
	          sizeof(uint32_t)))
		return ZX_ERR_NO_MEMORY;
	pm->extra[pm->extra_len++] = port;
	return ZX_OK;
}

zx_status_t cfv_port_manager_release(cfv_port_manager_t *pm, uint32_t port,
                                     bool forced, zx_time_t now)
{
	size_t q = SIZE_MAX;

	if (!cfv_port_manager_in_use(pm, port))
		return ZX_ERR_NOT_FOUND;
	if (forced) {
		/* Record the quarantine first: on NO_MEMORY nothing changed. */
		q = find_quar(pm, port);
		if (q == SIZE_MAX) {
			if (!grow((void **)&pm->quar, &pm->quar_cap,
			          pm->quar_len, sizeof(cfv_quarantine_t)))
				return ZX_ERR_NO_MEMORY;
			q = pm->quar_len++;
			pm->quar[q].port = port;
		}
		/* Saturate: a huge quarantine must not wrap into the past. */
		pm->quar[q].until = now > INT64_MAX - pm->quarantine
		                        ? INT64_MAX
		                        : now + pm->quarantine;
		if (in_range(pm, port))
			bit_set(pm->held, port - pm->first, true);
	}
	if (in_range(pm, port)) {
		bit_set(pm->used, port - pm->first, false);
	} else {
		size_t i = find_extra(pm, port);

		pm->extra[i] = pm->extra[--pm->extra_len];
	}
	return ZX_OK;
}
