/*
 * The udo vsock-tcp API (<udo/vsock-tcp.h>, seed 004): over the kernel's
 * AF_VSOCK as udo does it, or, when CFIDL_VSOCK_GUEST names a CID, over
 * our userspace stack through the app API (app.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include <cfidl/vsock.h>
#include <udo/vsock-tcp.h>

/* How long an "ours" client_connect waits for the stack's answer. */
#define CFV_UDO_CONNECT_TIMEOUT ZX_SEC(10)

/* udo keeps the last error of an instance here. */
struct udo_log_error_struct {
	int code; /* errno */
};

struct udo_vsock_tcp {
	struct udo_log_error_struct err;
	bool free;
	int fd;
	unsigned int vcid;
	int port;
	struct sockaddr_vm addr;
	/* Ours: the instance's app (NULL on the kernel path). */
	cfidl_vsock_app_t *app;
};

/* Is CFIDL_VSOCK_GUEST set?  0: no (kernel); 1: yes, *cid; -1: malformed. */
static int ours_cid(uint32_t *cid)
{
	const char *s = getenv("CFIDL_VSOCK_GUEST");
	unsigned long v;
	char *end;

	if (!s || !*s)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 2 || v >= UINT32_MAX)
		return -1;
	*cid = (uint32_t)v;
	return 1;
}

/* The errno a program of the seed would see for a stack status. */
static int zx_to_errno(zx_status_t st)
{
	switch (st) {
	case ZX_ERR_NOT_FOUND:
		return ENODEV; /* no such guest */
	case ZX_ERR_CONNECTION_REFUSED:
	case ZX_ERR_UNAVAILABLE:
		return ECONNREFUSED;
	case ZX_ERR_ADDRESS_UNREACHABLE:
		return EHOSTUNREACH; /* no such CID behind the host */
	case ZX_ERR_TIMED_OUT:
		return ETIMEDOUT;
	case ZX_ERR_PEER_CLOSED:
	case ZX_ERR_CONNECTION_RESET:
		return ECONNRESET;
	case ZX_ERR_ALREADY_BOUND:
	case ZX_ERR_ALREADY_EXISTS:
		return EADDRINUSE;
	case ZX_ERR_NO_RESOURCES:
		return EADDRNOTAVAIL;
	case ZX_ERR_NO_MEMORY:
		return ENOMEM;
	case ZX_ERR_ACCESS_DENIED:
		return EACCES;
	case ZX_ERR_INVALID_ARGS:
		return EINVAL;
	case ZX_ERR_NOT_SUPPORTED:
		return EOPNOTSUPP;
	default:
		return EIO;
	}
}

/* The CID /dev/vsock gives, or UINT32_MAX. */
static unsigned int kernel_local_cid(void)
{
	unsigned int cid = UINT32_MAX;
	int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return UINT32_MAX;
	if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) != 0)
		cid = UINT32_MAX;
	close(fd);
	return cid;
}

/* Takes the caller's instance or allocates one; NULL (ENOMEM) on failure. */
static struct udo_vsock_tcp *instance_start(struct udo_vsock_tcp *vsock)
{
	bool alloc = vsock == NULL;

	if (alloc) {
		vsock = calloc(1, sizeof(*vsock));
		if (!vsock)
			return NULL;
	} else {
		memset(vsock, 0, sizeof(*vsock));
	}
	vsock->free = alloc;
	vsock->fd = -1;
	return vsock;
}

/* Undoes instance_start after a failure; keeps errno. */
static void *instance_fail(struct udo_vsock_tcp *vsock, int err)
{
	vsock->err.code = err;
	udo_vsock_tcp_destroy(vsock);
	errno = err;
	return NULL;
}

static struct udo_vsock_tcp *
ours_server(struct udo_vsock_tcp *vsock, uint32_t cid,
            const struct udo_vsock_tcp_server_create_info *info)
{
	uint32_t backlog =
	    info->connections > 0 ? (uint32_t)info->connections : 1;
	zx_status_t st = cfidl_vsock_app_open(NULL, cid, &vsock->app);

	if (st == ZX_OK)
		st = cfidl_vsock_app_listen_backlog(
		    vsock->app, (uint32_t)info->port, backlog);
	/* An ephemeral port cannot be listened on: as bind(2) says it. */
	if (st == ZX_ERR_UNAVAILABLE)
		return instance_fail(vsock, EADDRNOTAVAIL);
	if (st != ZX_OK)
		return instance_fail(vsock, zx_to_errno(st));
	vsock->vcid = cid;
	vsock->port = info->port;
	vsock->addr.svm_family = AF_VSOCK;
	vsock->addr.svm_cid = cid;
	vsock->addr.svm_port = (unsigned int)info->port;
	return vsock;
}

struct udo_vsock_tcp *udo_vsock_tcp_server_create(struct udo_vsock_tcp *vsock,
                                                  const void *vsock_info)
{
	const struct udo_vsock_tcp_server_create_info *info = vsock_info;
	int one = 1, mode;
	uint32_t cid = 0;

	if (!info || info->port < 0) {
		errno = EINVAL;
		return NULL;
	}
	mode = ours_cid(&cid);
	vsock = instance_start(vsock);
	if (!vsock)
		return NULL;
	if (mode < 0)
		return instance_fail(vsock, EINVAL);
	if (mode > 0)
		return ours_server(vsock, cid, info);

	vsock->fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (vsock->fd < 0)
		return instance_fail(vsock, errno);
	if (setsockopt(vsock->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	               sizeof(one)) != 0)
		return instance_fail(vsock, errno);
	vsock->addr.svm_family = AF_VSOCK;
	vsock->addr.svm_port = (unsigned int)info->port;
	/* udo binds the machine's own CID unless asked for loopback; with
	 * no /dev/vsock that is UINT32_MAX, which is VMADDR_CID_ANY. */
	vsock->addr.svm_cid = info->vcid == VMADDR_CID_LOCAL
	                          ? VMADDR_CID_LOCAL
	                          : kernel_local_cid();
	if (bind(vsock->fd, (struct sockaddr *)&vsock->addr,
	         sizeof(vsock->addr)) != 0)
		return instance_fail(vsock, errno);
	if (listen(vsock->fd, info->connections) != 0)
		return instance_fail(vsock, errno);
	vsock->vcid = vsock->addr.svm_cid;
	vsock->port = info->port;
	return vsock;
}

int udo_vsock_tcp_server_accept(struct udo_vsock_tcp *vsock,
                                struct sockaddr_vm *addr)
{
	struct sockaddr_vm *to;
	socklen_t len = sizeof(*to);
	uint32_t cid = 0, port = 0;
	zx_status_t st;
	int fd;

	if (!vsock || (vsock->fd < 0 && !vsock->app)) {
		errno = EINVAL;
		return -1;
	}
	to = addr ? addr : &vsock->addr;
	if (!vsock->app)
		return accept(vsock->fd, (struct sockaddr *)to, &len);
	st = cfidl_vsock_app_accept(vsock->app, (uint32_t)vsock->port,
	                            ZX_TIME_INFINITE, &fd, &cid, &port);
	if (st != ZX_OK) {
		vsock->err.code = zx_to_errno(st);
		errno = vsock->err.code;
		return -1;
	}
	memset(to, 0, sizeof(*to));
	to->svm_family = AF_VSOCK;
	to->svm_cid = cid;
	to->svm_port = port;
	return fd;
}

struct udo_vsock_tcp *udo_vsock_tcp_client_create(struct udo_vsock_tcp *vsock,
                                                  const void *vsock_info)
{
	const struct udo_vsock_tcp_client_create_info *info = vsock_info;
	uint32_t cid = 0;
	zx_status_t st;
	int mode;

	if (!info || info->port < 0) {
		errno = EINVAL;
		return NULL;
	}
	mode = ours_cid(&cid);
	vsock = instance_start(vsock);
	if (!vsock)
		return NULL;
	if (mode < 0)
		return instance_fail(vsock, EINVAL);
	if (mode > 0) {
		st = cfidl_vsock_app_open(NULL, cid, &vsock->app);
		if (st != ZX_OK)
			return instance_fail(vsock, zx_to_errno(st));
	} else {
		vsock->fd = socket(AF_VSOCK, SOCK_STREAM, 0);
		if (vsock->fd < 0)
			return instance_fail(vsock, errno);
	}
	vsock->vcid = info->vcid;
	vsock->port = info->port;
	vsock->addr.svm_family = AF_VSOCK;
	vsock->addr.svm_cid = info->vcid;
	vsock->addr.svm_port = (unsigned int)info->port;
	return vsock;
}

int udo_vsock_tcp_client_connect(struct udo_vsock_tcp *vsock)
{
	zx_status_t st;

	if (!vsock || (vsock->fd < 0 && !vsock->app)) {
		errno = EINVAL;
		return -1;
	}
	if (!vsock->app)
		return connect(vsock->fd, (struct sockaddr *)&vsock->addr,
		               sizeof(vsock->addr)) == 0
		           ? 0
		           : -1;
	if (vsock->fd >= 0) {
		errno = EISCONN;
		return -1;
	}
	st = cfidl_vsock_app_connect(
	    vsock->app, vsock->vcid, (uint32_t)vsock->port,
	    zx_deadline_after(CFV_UDO_CONNECT_TIMEOUT), &vsock->fd, NULL);
	if (st != ZX_OK) {
		vsock->fd = -1;
		vsock->err.code = zx_to_errno(st);
		errno = vsock->err.code;
		return -1;
	}
	return 0;
}

/* vsock_info: NULL or a pointer to int flags. */
static int info_flags(const void *vsock_info)
{
	return vsock_info ? *(const int *)vsock_info : 0;
}

ssize_t udo_vsock_tcp_client_send_data(struct udo_vsock_tcp *vsock,
                                       const void *data, const size_t size,
                                       const void *vsock_info)
{
	if (!vsock)
		return -EINVAL;
	return udo_vsock_tcp_send_data(vsock->fd, data, size, vsock_info);
}

int udo_vsock_tcp_get_fd(struct udo_vsock_tcp *vsock)
{
	return vsock ? vsock->fd : -1;
}

unsigned int udo_vsock_tcp_get_vcid(struct udo_vsock_tcp *vsock)
{
	return vsock ? vsock->vcid : UINT32_MAX;
}

int udo_vsock_tcp_get_port(struct udo_vsock_tcp *vsock)
{
	return vsock ? vsock->port : -1;
}

void udo_vsock_tcp_destroy(struct udo_vsock_tcp *vsock)
{
	if (!vsock)
		return;
	if (vsock->fd >= 0)
		close(vsock->fd);
	cfidl_vsock_app_close(vsock->app);
	if (vsock->free) {
		free(vsock);
		return;
	}
	memset(vsock, 0, sizeof(*vsock));
	vsock->fd = -1;
}

int udo_vsock_tcp_get_sizeof(void)
{
	return (int)sizeof(struct udo_vsock_tcp);
}

unsigned int udo_vsock_tcp_get_local_vcid(void)
{
	uint32_t cid = 0;
	int mode = ours_cid(&cid);

	if (mode > 0)
		return cid;
	if (mode < 0)
		return UINT32_MAX;
	return kernel_local_cid();
}

ssize_t udo_vsock_tcp_recv_data(const int sock_fd, void *data,
                                const size_t size, const void *vsock_info)
{
	ssize_t n = recv(sock_fd, data, size, info_flags(vsock_info));
	return n < 0 ? -errno : n;
}

ssize_t udo_vsock_tcp_send_data(const int sock_fd, const void *data,
                                const size_t size, const void *vsock_info)
{
	ssize_t n = send(sock_fd, data, size, info_flags(vsock_info));
	return n < 0 ? -errno : n;
}
