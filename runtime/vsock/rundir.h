/*
 * rundir.h: the daemon's private runtime directory (VSOCK_DESIGN.md 5) and
 * the paths of the sockets in it.
 *
 * The directory is `$CFIDL_VSOCK_DIR` if set, else
 * `$XDG_RUNTIME_DIR/cfidl-vsock`, else `/tmp/cfidl-vsock-<uid>`.  It is
 * created mode 0700; an existing one is used only if it is a real
 * directory (not a symlink) owned by us with no group or other bits, so no
 * other user can plant or reach our sockets.
 */
#ifndef CFV_RUNDIR_H
#define CFV_RUNDIR_H

#include <stddef.h>

#include <cfidl/zx.h>

/* Longest socket path a sockaddr_un holds (sun_path minus the NUL). */
#define CFV_UDS_PATH_MAX 107u

/*
 * Writes the default runtime directory path into buf (the caller's).
 * ZX_ERR_BUFFER_TOO_SMALL if it does not fit; ZX_ERR_BAD_PATH if an
 * environment variable holds an empty or relative path.
 */
zx_status_t cfv_rundir_default(char *buf, size_t size);

/*
 * Makes path (NULL: the default, written back into buf when buf is not
 * NULL) ready: creates it 0700 if missing (its parent must exist), else
 * checks it.  Errors: ZX_ERR_ACCESS_DENIED (not ours, or group/other may
 * use it), ZX_ERR_NOT_DIR (a symlink or not a directory), ZX_ERR_NOT_FOUND
 * (the parent is missing), ZX_ERR_BAD_PATH, ZX_ERR_IO.
 */
zx_status_t cfv_rundir_prepare(const char *path, char *buf, size_t size);

/*
 * Joins dir and the printf-formatted name into buf as "<dir>/<name>".
 * ZX_ERR_BUFFER_TOO_SMALL if it does not fit.
 */
zx_status_t cfv_rundir_path(char *buf, size_t size, const char *dir,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The well-known names in the runtime directory. */
zx_status_t cfv_rundir_registry_path(char *buf, size_t size, const char *dir);
zx_status_t cfv_rundir_endpoint_path(char *buf, size_t size, const char *dir,
                                     unsigned cid);
zx_status_t cfv_rundir_connector_path(char *buf, size_t size, const char *dir,
                                      unsigned cid);
zx_status_t cfv_rundir_hybrid_path(char *buf, size_t size, const char *dir,
                                   unsigned cid);

#endif /* CFV_RUNDIR_H */
