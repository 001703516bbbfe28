/*
 * rundir.c: the runtime directory rule (0700, ours, not a symlink) and the
 * socket paths in it.
 */
#include "rundir.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static zx_status_t put(char *buf, size_t size, int n)
{
	if (n < 0)
		return ZX_ERR_IO;
	if ((size_t)n >= size)
		return ZX_ERR_BUFFER_TOO_SMALL;
	(void)buf;
	return ZX_OK;
}

zx_status_t cfv_rundir_default(char *buf, size_t size)
{
	const char *dir = getenv("CFIDL_VSOCK_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (!buf || size == 0)
		return ZX_ERR_INVALID_ARGS;
	if (dir) {
		if (dir[0] != '/')
			return ZX_ERR_BAD_PATH;
		return put(buf, size, snprintf(buf, size, "%s", dir));
	}
	/* An unset or unusable XDG_RUNTIME_DIR falls back to /tmp. */
	if (xdg && xdg[0] == '/')
		return put(buf, size,
		           snprintf(buf, size, "%s/cfidl-vsock", xdg));
	return put(
	    buf, size,
	    snprintf(buf, size, "/tmp/cfidl-vsock-%u", (unsigned)getuid()));
}

/* Is the existing st acceptable as our private directory? */
static zx_status_t check(const struct stat *st)
{
	if (S_ISLNK(st->st_mode) || !S_ISDIR(st->st_mode))
		return ZX_ERR_NOT_DIR;
	if (st->st_uid != geteuid())
		return ZX_ERR_ACCESS_DENIED;
	if ((st->st_mode & 07777) != 0700)
		return ZX_ERR_ACCESS_DENIED;
	return ZX_OK;
}

zx_status_t cfv_rundir_prepare(const char *path, char *buf, size_t size)
{
	char def[4096];
	struct stat st;
	zx_status_t s;

	if (!path) {
		s = cfv_rundir_default(def, sizeof(def));
		if (s != ZX_OK)
			return s;
		path = def;
	}
	if (path[0] != '/')
		return ZX_ERR_BAD_PATH;
	if (buf && path != buf) {
		s = put(buf, size, snprintf(buf, size, "%s", path));
		if (s != ZX_OK)
			return s;
	}
	if (mkdir(path, 0700) == 0) {
		/* The umask may have taken bits away; never added any. */
		if (chmod(path, 0700) != 0)
			return ZX_ERR_IO;
	} else if (errno == ENOENT) {
		return ZX_ERR_NOT_FOUND;
	} else if (errno != EEXIST) {
		return errno == EACCES ? ZX_ERR_ACCESS_DENIED : ZX_ERR_IO;
	}
	if (lstat(path, &st) != 0)
		return ZX_ERR_IO;
	return check(&st);
}

zx_status_t cfv_rundir_path(char *buf, size_t size, const char *dir,
                            const char *fmt, ...)
{
	va_list ap;
	int n, m;

	if (!buf || !dir || !fmt)
		return ZX_ERR_INVALID_ARGS;
	n = snprintf(buf, size, "%s/", dir);
	if (n < 0 || (size_t)n >= size)
		return ZX_ERR_BUFFER_TOO_SMALL;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return ZX_ERR_IO;
	return (size_t)m >= size - (size_t)n ? ZX_ERR_BUFFER_TOO_SMALL : ZX_OK;
}

zx_status_t cfv_rundir_registry_path(char *buf, size_t size, const char *dir)
{
	return cfv_rundir_path(buf, size, dir, "registry.sock");
}

zx_status_t cfv_rundir_endpoint_path(char *buf, size_t size, const char *dir,
                                     unsigned cid)
{
	return cfv_rundir_path(buf, size, dir, "endpoint-%u.sock", cid);
}

zx_status_t cfv_rundir_connector_path(char *buf, size_t size, const char *dir,
                                      unsigned cid)
{
	return cfv_rundir_path(buf, size, dir, "connector-%u.sock", cid);
}

zx_status_t cfv_rundir_hybrid_path(char *buf, size_t size, const char *dir,
                                   unsigned cid)
{
	return cfv_rundir_path(buf, size, dir, "vsock-%u.sock", cid);
}
