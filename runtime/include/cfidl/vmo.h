/*
 * <cfidl/vmo.h>: virtual memory objects, shareable memory.
 *
 * A VMO is a memfd.  Sizes are rounded up to whole pages.  A VMO made
 * without ZX_VMO_RESIZABLE is sealed against any size change at creation;
 * a resizable one is sealed against shrinking when it is first written into
 * a channel or mapped (after that zx_vmo_set_size may only grow it).  So a
 * process that maps a VMO it received can never be made to fault by
 * another holder truncating it.
 *
 * Mapping is done with cfidl_vmo_map / cfidl_vmo_unmap rather than a VMAR
 * object: Linux has one address space per process and no need for more.
 */
#ifndef CFIDL_VMO_H
#define CFIDL_VMO_H

#include <stddef.h>
#include <stdint.h>

#include <cfidl/zx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZX_VMO_RESIZABLE ((uint32_t)1u << 1)

#define ZX_VM_PERM_READ  ((zx_vm_option_t)1u << 0)
#define ZX_VM_PERM_WRITE ((zx_vm_option_t)1u << 1)

/* Largest size accepted (memfd limits aside): 2^40 bytes. */
#define CFIDL_VMO_MAX_SIZE ((uint64_t)1 << 40)

/*
 * Creates a VMO of size bytes (rounded up to pages), zero-filled.
 * options: 0 or ZX_VMO_RESIZABLE.  The caller owns *out
 * (ZX_DEFAULT_VMO_RIGHTS, plus ZX_RIGHT_RESIZE when resizable).  Errors:
 * INVALID_ARGS, OUT_OF_RANGE (too big), NO_MEMORY, NO_RESOURCES.
 */
zx_status_t zx_vmo_create(uint64_t size, uint32_t options, zx_handle_t *out);

/*
 * Copies len bytes at offset out of the VMO into buffer (the caller's).
 * Needs ZX_RIGHT_READ.  OUT_OF_RANGE if [offset, offset+len) is not inside.
 */
zx_status_t zx_vmo_read(zx_handle_t handle, void *buffer, uint64_t offset,
                        size_t len);

/* Copies len bytes from buffer into the VMO at offset.  Needs WRITE. */
zx_status_t zx_vmo_write(zx_handle_t handle, const void *buffer,
                         uint64_t offset, size_t len);

/* The VMO's size in bytes (a page multiple). */
zx_status_t zx_vmo_get_size(zx_handle_t handle, uint64_t *size);

/*
 * Resizes a ZX_VMO_RESIZABLE VMO (else ZX_ERR_UNAVAILABLE) to size rounded
 * up to pages.  Needs ZX_RIGHT_WRITE and ZX_RIGHT_RESIZE.  Shrinking a VMO
 * that was sent or mapped gives ZX_ERR_BAD_STATE.
 */
zx_status_t zx_vmo_set_size(zx_handle_t handle, uint64_t size);

/*
 * Maps len bytes at offset (both page aligned, inside the VMO) shared, with
 * options ZX_VM_PERM_READ and/or ZX_VM_PERM_WRITE, which need ZX_RIGHT_MAP
 * plus ZX_RIGHT_READ / ZX_RIGHT_WRITE.  The VMO is first sealed against
 * shrinking.  *addr gets the address; the mapping outlives the handle and
 * is released with cfidl_vmo_unmap.  Errors: BAD_HANDLE, WRONG_TYPE,
 * ACCESS_DENIED, INVALID_ARGS, OUT_OF_RANGE, BAD_STATE (cannot seal),
 * NO_MEMORY.
 */
zx_status_t cfidl_vmo_map(zx_handle_t handle, uint64_t offset, size_t len,
                          zx_vm_option_t options, void **addr);

/* Unmaps [addr, addr+len) mapped by cfidl_vmo_map.  INVALID_ARGS if bad. */
zx_status_t cfidl_vmo_unmap(void *addr, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* CFIDL_VMO_H */
