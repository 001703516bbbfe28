/*
 * VMOs over memfds.  Seals do the safety work: F_SEAL_SHRINK makes the
 * kernel refuse any truncation below the current size, for every holder,
 * so mappings never lose their pages underneath.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cfidl/vmo.h>

#include "object.h"

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

static uint64_t round_up(uint64_t v)
{
	uint64_t p = page_size();

	return (v + p - 1) / p * p;
}

zx_status_t cf_vmo_attach(struct cf_object *obj)
{
	/* Anything we received must be a sealable memfd. */
	if (fcntl(obj->fds[0], F_GET_SEALS) < 0)
		return ZX_ERR_WRONG_TYPE;
	return ZX_OK;
}

/* Adds F_SEAL_SHRINK unless present; BAD_STATE if it cannot be added. */
static zx_status_t seal_shrink(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0)
		return ZX_ERR_BAD_STATE;
	if (seals & F_SEAL_SHRINK)
		return ZX_OK;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return ZX_ERR_BAD_STATE;
	return ZX_OK;
}

zx_status_t cf_vmo_seal_for_transfer(struct cf_object *obj)
{
	return seal_shrink(obj->fds[0]);
}

zx_status_t zx_vmo_create(uint64_t size, uint32_t options, zx_handle_t *out)
{
	struct cf_object *obj;
	zx_rights_t rights = ZX_DEFAULT_VMO_RIGHTS;
	uint32_t aux = 0;
	zx_status_t st;
	int fd;

	if (!out || (options & ~ZX_VMO_RESIZABLE))
		return ZX_ERR_INVALID_ARGS;
	if (size > CFIDL_VMO_MAX_SIZE)
		return ZX_ERR_OUT_OF_RANGE;
	fd = memfd_create("cfidl-vmo", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return cf_errno_status(errno);
	if (ftruncate(fd, (off_t)round_up(size)) < 0) {
		st = errno == EFBIG ? ZX_ERR_OUT_OF_RANGE : ZX_ERR_NO_MEMORY;
		close(fd);
		return st;
	}
	if (options & ZX_VMO_RESIZABLE) {
		aux |= CF_AUX_VMO_RESIZABLE;
		rights |= ZX_RIGHT_RESIZE;
	} else if (fcntl(fd, F_ADD_SEALS,
	                 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		close(fd);
		return ZX_ERR_INTERNAL;
	}
	st = cf_object_new(ZX_OBJ_TYPE_VMO, &fd, 1, aux, 0, &obj);
	if (st != ZX_OK)
		return st;
	return cf_handle_add(obj, rights, out);
}

static zx_status_t vmo_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return cf_errno_status(errno);
	*size = (uint64_t)st.st_size;
	return ZX_OK;
}

/* Checks [offset, offset+len) lies inside the VMO. */
static zx_status_t check_range(int fd, uint64_t offset, uint64_t len)
{
	uint64_t size = 0;
	zx_status_t st = vmo_size(fd, &size);

	if (st != ZX_OK)
		return st;
	if (offset > size || len > size - offset)
		return ZX_ERR_OUT_OF_RANGE;
	return ZX_OK;
}

zx_status_t zx_vmo_read(zx_handle_t handle, void *buffer, uint64_t offset,
                        size_t len)
{
	struct cf_object *obj;
	zx_status_t st;
	size_t done = 0;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_VMO, ZX_RIGHT_READ, &obj, NULL);
	if (st != ZX_OK)
		return st;
	if (len && !buffer)
		st = ZX_ERR_INVALID_ARGS;
	else
		st = check_range(obj->fds[0], offset, len);
	while (st == ZX_OK && done < len) {
		ssize_t r = pread(obj->fds[0], (char *)buffer + done,
		                  len - done, (off_t)(offset + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			st = r < 0 ? cf_errno_status(errno)
			           : ZX_ERR_OUT_OF_RANGE;
		else
			done += (size_t)r;
	}
	cf_object_unref(obj);
	return st;
}

zx_status_t zx_vmo_write(zx_handle_t handle, const void *buffer,
                         uint64_t offset, size_t len)
{
	struct cf_object *obj;
	zx_status_t st;
	size_t done = 0;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_VMO, ZX_RIGHT_WRITE, &obj, NULL);
	if (st != ZX_OK)
		return st;
	if (len && !buffer)
		st = ZX_ERR_INVALID_ARGS;
	else
		st = check_range(obj->fds[0], offset, len);
	while (st == ZX_OK && done < len) {
		ssize_t r = pwrite(obj->fds[0], (const char *)buffer + done,
		                   len - done, (off_t)(offset + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			st = r < 0 ? cf_errno_status(errno) : ZX_ERR_IO;
		else
			done += (size_t)r;
	}
	cf_object_unref(obj);
	return st;
}

zx_status_t zx_vmo_get_size(zx_handle_t handle, uint64_t *size)
{
	struct cf_object *obj;
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_VMO, 0, &obj, NULL);
	if (st != ZX_OK)
		return st;
	st = size ? vmo_size(obj->fds[0], size) : ZX_ERR_INVALID_ARGS;
	cf_object_unref(obj);
	return st;
}

zx_status_t zx_vmo_set_size(zx_handle_t handle, uint64_t size)
{
	struct cf_object *obj;
	zx_status_t st;

	st = cf_handle_get(handle, ZX_OBJ_TYPE_VMO,
	                   ZX_RIGHT_WRITE | ZX_RIGHT_RESIZE, &obj, NULL);
	if (st != ZX_OK)
		return st;
	if (!(obj->aux & CF_AUX_VMO_RESIZABLE))
		st = ZX_ERR_UNAVAILABLE;
	else if (size > CFIDL_VMO_MAX_SIZE)
		st = ZX_ERR_OUT_OF_RANGE;
	else if (ftruncate(obj->fds[0], (off_t)round_up(size)) < 0)
		st = errno == EPERM ? ZX_ERR_BAD_STATE : cf_errno_status(errno);
	cf_object_unref(obj);
	return st;
}

zx_status_t cfidl_vmo_map(zx_handle_t handle, uint64_t offset, size_t len,
                          zx_vm_option_t options, void **addr)
{
	struct cf_object *obj;
	zx_rights_t need = ZX_RIGHT_MAP;
	int prot = 0;
	void *p;
	zx_status_t st;

	if (options & ZX_VM_PERM_READ) {
		need |= ZX_RIGHT_READ;
		prot |= PROT_READ;
	}
	if (options & ZX_VM_PERM_WRITE) {
		need |= ZX_RIGHT_WRITE;
		prot |= PROT_WRITE;
	}
	st = cf_handle_get(handle, ZX_OBJ_TYPE_VMO, need, &obj, NULL);
	if (st != ZX_OK)
		return st;
	if (!addr || !len ||
	    (options & ~(ZX_VM_PERM_READ | ZX_VM_PERM_WRITE)) ||
	    offset % page_size() != 0) {
		st = ZX_ERR_INVALID_ARGS;
		goto out;
	}
	st = seal_shrink(obj->fds[0]);
	if (st == ZX_OK)
		st = check_range(obj->fds[0], offset, round_up(len));
	if (st != ZX_OK)
		goto out;
	p = mmap(NULL, len, prot, MAP_SHARED, obj->fds[0], (off_t)offset);
	if (p == MAP_FAILED) {
		st = cf_errno_status(errno);
		goto out;
	}
	*addr = p;
out:
	cf_object_unref(obj);
	return st;
}

zx_status_t cfidl_vmo_unmap(void *addr, size_t len)
{
	if (!addr || !len || (uintptr_t)addr % page_size() != 0)
		return ZX_ERR_INVALID_ARGS;
	if (munmap(addr, len) < 0)
		return ZX_ERR_INVALID_ARGS;
	return ZX_OK;
}
