/*
 * cfidl-vsock-cat: connect to or listen on a vsock port of our userspace
 * stack, as a host app or as an app inside a guest, and relay stdin and
 * stdout, in the manner of `ncat --vsock` and socat.  Built only on the
 * public app API (<cfidl/vsock.h>, cfidl_vsock_app_*).  See
 * cfidl-vsock-cat(1).
 *
 * Extra modes for the demo and the system tests: --echo (a server that
 * echoes every connection back, many at a time), --send-vmo FILE (the
 * file's bytes go out through Connection.SendVmo) and --load N,BYTES (N
 * connections at once, each sending BYTES of patterned data and checking
 * the echo).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cfidl/handle.h>
#include <cfidl/vmo.h>
#include <cfidl/vsock.h>

#include "tool_common.h"

#define BUF_BYTES 65536

static const char *prog = "cfidl-vsock-cat";
static int verbose;

static void die(const char *what, zx_status_t st)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, zx_status_get_string(st));
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [--dir DIR] [--as CID|host] [--timeout SEC] [-v] "
	        "CID PORT\n"
	        "       %s [--dir DIR] [--as CID|host] -l [--echo] [--count N] "
	        "[CID] PORT\n"
	        "       %s [...] --send-vmo FILE CID PORT\n"
	        "       %s [...] --load N,BYTES CID PORT\n"
	        "       %s --hybrid SOCKET PORT\n",
	        prog, prog, prog, prog, prog);
}

static zx_time_t deadline_from(double seconds)
{
	if (seconds <= 0)
		return ZX_TIME_INFINITE;
	return zx_deadline_after((zx_duration_t)(seconds * 1e9));
}

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

/* Writes all of buf to a blocking fd.  false on error. */
static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * The relay: stdin -> conn, conn -> stdout.  conn is nonblocking so that
 * we never sit in a write to the peer while the peer waits for us to read
 * (an echo server would deadlock us otherwise).  stdin EOF -> shutdown the
 * write side of conn and keep reading (half-close); conn EOF -> done.
 * in_fd < 0: nothing to send (write side shut at once).
 */
static int relay(int conn, int in_fd)
{
	char *out = malloc(BUF_BYTES), *in = malloc(BUF_BYTES);
	size_t out_len = 0, out_off = 0;
	bool in_open = in_fd >= 0, conn_open = true;
	int rc = 0;
	if (!out || !in) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	set_nonblock(conn, true);
	if (!in_open)
		shutdown(conn, SHUT_WR);
	while (conn_open) {
		struct pollfd p[2] = {{.fd = conn, .events = POLLIN},
		                      {.fd = -1, .events = POLLIN}};
		if (out_len > out_off)
			p[0].events |= POLLOUT;
		else if (in_open)
			p[1].fd = in_fd;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		if (p[1].revents) {
			ssize_t n = read(in_fd, out, BUF_BYTES);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_open = false;
				shutdown(conn, SHUT_WR);
			} else {
				out_len = (size_t)n;
				out_off = 0;
			}
		}
		if ((p[0].revents & POLLOUT) && out_len > out_off) {
			ssize_t n = send(conn, out + out_off, out_len - out_off,
			                 MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "%s: send: %s\n", prog,
				        strerror(errno));
				rc = 1;
				break;
			}
			if (n > 0)
				out_off += (size_t)n;
			if (out_off == out_len)
				out_len = out_off = 0;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(conn, in, BUF_BYTES);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				fprintf(stderr, "%s: connection: %s\n", prog,
				        strerror(errno));
				rc = 1;
				break;
			}
			if (n == 0) {
				conn_open = false;
				break;
			}
			if (!write_all(STDOUT_FILENO, in, (size_t)n)) {
				rc = 1;
				break;
			}
		}
	}
	free(out);
	free(in);
	return rc;
}

/* ---- echo server: one poll loop over every connection ---- */

typedef struct echo_conn {
	int fd;
	char *buf; /* bytes read, not yet echoed */
	size_t len, off;
	bool eof;
} echo_conn_t;

typedef struct echo_server {
	cfidl_vsock_app_t *app;
	uint32_t port;
	int pipe_w;     /* accepted fds go to the poll loop through it */
	long remaining; /* connections still to accept; < 0: no limit */
} echo_server_t;

static void *accept_thread(void *arg)
{
	echo_server_t *s = arg;
	for (;;) {
		int fd;
		uint32_t cid = 0, port = 0;
		zx_status_t st = cfidl_vsock_app_accept(
		    s->app, s->port, ZX_TIME_INFINITE, &fd, &cid, &port);
		if (st != ZX_OK) {
			if (verbose)
				fprintf(stderr, "%s: accept: %s\n", prog,
				        zx_status_get_string(st));
			break;
		}
		if (verbose)
			fprintf(stderr,
			        "%s: connection from %" PRIu32 ":%" PRIu32 "\n",
			        prog, cid, port);
		if (!write_all(s->pipe_w, &fd, sizeof fd)) {
			close(fd);
			break;
		}
		if (s->remaining > 0 && --s->remaining == 0)
			break;
	}
	close(s->pipe_w);
	return NULL;
}

static void echo_close(echo_conn_t *c)
{
	close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
}

/* Serves until the accept thread ends (count reached or error) and every
 * connection is done. */
static int echo_serve(cfidl_vsock_app_t *app, uint32_t port, long count)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	echo_server_t s = {.app = app,
	                   .port = port,
	                   .pipe_w = pfd[1],
	                   .remaining = count > 0 ? count : -1};
	pthread_t th;
	if (pthread_create(&th, NULL, accept_thread, &s) != 0)
		return 1;
	size_t cap = 64, n = 0;
	echo_conn_t *conns = calloc(cap, sizeof *conns);
	struct pollfd *p = calloc(cap + 1, sizeof *p);
	bool accepting = true;
	while (accepting || n > 0) {
		p[0] = (struct pollfd){.fd = accepting ? pfd[0] : -1,
		                       .events = POLLIN};
		for (size_t i = 0; i < n; i++) {
			echo_conn_t *c = &conns[i];
			p[i + 1].fd = c->fd;
			p[i + 1].events =
			    c->len > c->off ? POLLOUT : (c->eof ? 0 : POLLIN);
			p[i + 1].revents = 0;
		}
		if (poll(p, n + 1, -1) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			echo_conn_t *c = &conns[i];
			short re = p[i + 1].revents;
			if (c->len > c->off &&
			    (re & (POLLOUT | POLLERR | POLLHUP))) {
				ssize_t w = send(c->fd, c->buf + c->off,
				                 c->len - c->off, MSG_NOSIGNAL);
				if (w < 0 && errno != EAGAIN &&
				    errno != EINTR) {
					echo_close(c);
					continue;
				}
				if (w > 0)
					c->off += (size_t)w;
				if (c->off == c->len)
					c->off = c->len = 0;
			} else if (!c->eof &&
			           (re & (POLLIN | POLLERR | POLLHUP))) {
				ssize_t r = read(c->fd, c->buf, BUF_BYTES);
				if (r < 0 &&
				    (errno == EAGAIN || errno == EINTR))
					continue;
				if (r <= 0)
					c->eof = true;
				else
					c->len = (size_t)r;
			}
			if (c->eof && c->len == c->off) {
				/* Everything echoed: half-close, as the peer
				 * did. */
				shutdown(c->fd, SHUT_WR);
				echo_close(c);
			}
		}
		/* Compact closed connections. */
		size_t j = 0;
		for (size_t i = 0; i < n; i++)
			if (conns[i].fd >= 0)
				conns[j++] = conns[i];
		n = j;
		if (p[0].revents) {
			int fd;
			ssize_t r = read(pfd[0], &fd, sizeof fd);
			if (r != (ssize_t)sizeof fd) {
				accepting = false;
				continue;
			}
			if (n == cap) {
				cap *= 2;
				conns = realloc(conns, cap * sizeof *conns);
				p = realloc(p, (cap + 1) * sizeof *p);
			}
			set_nonblock(fd, true);
			conns[n++] =
			    (echo_conn_t){.fd = fd, .buf = malloc(BUF_BYTES)};
		}
	}
	pthread_join(th, NULL);
	close(pfd[0]);
	for (size_t i = 0; i < n; i++)
		echo_close(&conns[i]);
	free(conns);
	free(p);
	return 0;
}

/* ---- load: N connections at once, patterned data, echo checked ---- */

/* The byte at offset off of connection i: a cheap pattern that differs
 * per connection and per position, so loss and reordering both show. */
static inline uint8_t pattern(uint32_t i, uint64_t off)
{
	uint64_t x = off * 0x9E3779B97F4A7C15ull + i * 0xBF58476D1CE4E5B9ull;
	return (uint8_t)((x >> 32) ^ (off >> 16));
}

typedef struct load_conn {
	int fd;
	uint64_t sent, got;
	bool done;
} load_conn_t;

static int load_run(cfidl_vsock_app_t *app, uint32_t cid, uint32_t port,
                    uint32_t count, uint64_t bytes, zx_time_t deadline)
{
	load_conn_t *c = calloc(count, sizeof *c);
	struct pollfd *p = calloc(count, sizeof *p);
	uint8_t *buf = malloc(BUF_BYTES);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < count; i++) {
		zx_status_t st = cfidl_vsock_app_connect(
		    app, cid, port, deadline, &c[i].fd, NULL);
		if (st != ZX_OK) {
			fprintf(stderr,
			        "%s: connection %" PRIu32 " of %" PRIu32
			        ": %s\n",
			        prog, i + 1, count, zx_status_get_string(st));
			return 1;
		}
		set_nonblock(c[i].fd, true);
		if (bytes == 0)
			shutdown(c[i].fd, SHUT_WR);
	}
	uint32_t left = count;
	int rc = 0;
	while (left && rc == 0) {
		for (uint32_t i = 0; i < count; i++) {
			p[i].fd = c[i].done ? -1 : c[i].fd;
			p[i].events =
			    POLLIN | (c[i].sent < bytes ? POLLOUT : 0);
			p[i].revents = 0;
		}
		zx_time_t now = zx_clock_get_monotonic();
		if (now >= deadline) {
			fprintf(stderr,
			        "%s: load: timed out with %" PRIu32
			        " connections unfinished\n",
			        prog, left);
			rc = 1;
			break;
		}
		int ms = deadline == ZX_TIME_INFINITE
		             ? 1000
		             : (int)((deadline - now) / 1000000 + 1);
		if (poll(p, count, ms > 1000 ? 1000 : ms) < 0 && errno != EINTR)
			break;
		for (uint32_t i = 0; i < count && rc == 0; i++) {
			load_conn_t *k = &c[i];
			if (k->done || !p[i].revents)
				continue;
			if ((p[i].revents & POLLOUT) && k->sent < bytes) {
				size_t len = bytes - k->sent < BUF_BYTES
				                 ? (size_t)(bytes - k->sent)
				                 : BUF_BYTES;
				for (size_t j = 0; j < len; j++)
					buf[j] = pattern(i, k->sent + j);
				ssize_t w = send(k->fd, buf, len, MSG_NOSIGNAL);
				if (w < 0 && errno != EAGAIN &&
				    errno != EINTR) {
					fprintf(stderr,
					        "%s: load: send %" PRIu32
					        ": %s\n",
					        prog, i, strerror(errno));
					rc = 1;
				}
				if (w > 0) {
					k->sent += (uint64_t)w;
					if (k->sent == bytes)
						shutdown(k->fd, SHUT_WR);
				}
			}
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = read(k->fd, buf, BUF_BYTES);
				if (r < 0 &&
				    (errno == EAGAIN || errno == EINTR))
					continue;
				if (r < 0) {
					fprintf(stderr,
					        "%s: load: read %" PRIu32
					        ": %s\n",
					        prog, i, strerror(errno));
					rc = 1;
					break;
				}
				for (ssize_t j = 0; j < r; j++)
					if (buf[j] !=
					    pattern(i, k->got + (uint64_t)j)) {
						fprintf(stderr,
						        "%s: load: connection "
						        "%" PRIu32
						        ": byte %" PRIu64
						        " differs\n",
						        prog, i,
						        k->got + (uint64_t)j);
						rc = 1;
						break;
					}
				k->got += (uint64_t)r;
				if (r == 0) {
					if (k->got != bytes) {
						fprintf(stderr,
						        "%s: load: connection "
						        "%" PRIu32 ": %" PRIu64
						        " of %" PRIu64
						        " bytes came back\n",
						        prog, i, k->got, bytes);
						rc = 1;
					}
					k->done = true;
					close(k->fd);
					left--;
				}
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) +
	              (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc == 0)
		printf("load: %" PRIu32 " connections x %" PRIu64
		       " bytes echoed and checked in %.2f s (%.1f MiB/s each "
		       "way)\n",
		       count, bytes, secs,
		       (double)count * (double)bytes / 1048576.0 / secs);
	for (uint32_t i = 0; i < count; i++)
		if (!c[i].done && c[i].fd > 0)
			close(c[i].fd);
	free(c);
	free(p);
	free(buf);
	return rc;
}

/* ---- hybrid: Firecracker's `CONNECT <port>\n` on a Unix socket ---- */

/* Connects through the hybrid socket at path to the guest's port; on
 * success *out_fd is the stream and *host_port the port the OK line named. */
static int hybrid_connect(const char *path, uint32_t port, int *out_fd,
                          uint32_t *host_port)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "%s: %s: path too long\n", prog, path);
		return 1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return 1;
	}
	char line[64];
	int n = snprintf(line, sizeof line, "CONNECT %" PRIu32 "\n", port);
	if (!write_all(fd, line, (size_t)n)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		close(fd);
		return 1;
	}
	/* Read the answer a byte at a time: the stream follows it at once. */
	size_t len = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0 || len + 1 >= sizeof line) {
			fprintf(stderr, "%s: %s: port %" PRIu32 ": refused\n",
			        prog, path, port);
			close(fd);
			return 1;
		}
		if (c == '\n')
			break;
		line[len++] = c;
	}
	line[len] = '\0';
	unsigned long hp;
	if (sscanf(line, "OK %lu", &hp) != 1) {
		fprintf(stderr, "%s: %s: unexpected answer: %s\n", prog, path,
		        line);
		close(fd);
		return 1;
	}
	*host_port = (uint32_t)hp;
	*out_fd = fd;
	return 0;
}

/* ---- VMO: the file's bytes in a VMO, sent with Connection.SendVmo ---- */

typedef struct drain {
	int fd;
	int rc;
} drain_t;

/* Copies the connection to stdout until its end (a blocking fd). */
static void *drain_thread(void *arg)
{
	drain_t *d = arg;
	char *buf = malloc(BUF_BYTES);
	ssize_t n;
	while (buf && (n = read(d->fd, buf, BUF_BYTES)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !write_all(STDOUT_FILENO, buf, (size_t)n)) {
			if (n < 0)
				fprintf(stderr, "%s: connection: %s\n", prog,
				        strerror(errno));
			d->rc = 1;
			break;
		}
	}
	free(buf);
	return NULL;
}

static int send_vmo_file(cfidl_vsock_app_t *app, int conn, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return 1;
	}
	uint64_t size = (uint64_t)sb.st_size;
	zx_handle_t vmo;
	zx_status_t st = zx_vmo_create(size, 0, &vmo);
	if (st != ZX_OK)
		die("zx_vmo_create", st);
	char *buf = malloc(BUF_BYTES);
	uint64_t off = 0;
	while (off < size) {
		ssize_t n = read(fd, buf, BUF_BYTES);
		if (n <= 0) {
			fprintf(stderr, "%s: %s: short read\n", prog, path);
			return 1;
		}
		st = zx_vmo_write(vmo, buf, off, (size_t)n);
		if (st != ZX_OK)
			die("zx_vmo_write", st);
		off += (uint64_t)n;
	}
	free(buf);
	close(fd);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* vmo is consumed. */
	st = cfidl_vsock_app_send_vmo(app, conn, vmo, 0, size);
	if (st != ZX_OK)
		die("send VMO", st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (verbose)
		fprintf(stderr,
		        "%s: sent a VMO of %" PRIu64 " bytes in %.3f s\n", prog,
		        size,
		        (double)(t1.tv_sec - t0.tv_sec) +
		            (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *vmo_file = NULL, *load = NULL, *hybrid = NULL;
	uint32_t as_cid = CFIDL_VSOCK_HOST_CID;
	bool listen_mode = false, echo = false;
	long count = 0;
	double timeout = 0;
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"as", required_argument, NULL, 'a'},
	    {"listen", no_argument, NULL, 'l'},
	    {"echo", no_argument, NULL, 'e'},
	    {"count", required_argument, NULL, 'n'},
	    {"send-vmo", required_argument, NULL, 'V'},
	    {"load", required_argument, NULL, 'L'},
	    {"hybrid", required_argument, NULL, 'H'},
	    {"timeout", required_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "d:a:len:t:vh", opts, NULL)) !=
	       -1) {
		switch (o) {
		case 'd':
			dir = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "host") == 0)
				as_cid = CFIDL_VSOCK_HOST_CID;
			else if (!cfv_tool_parse_u32(optarg, &as_cid)) {
				fprintf(stderr, "%s: --as: not a CID: %s\n",
				        prog, optarg);
				return 2;
			}
			break;
		case 'l':
			listen_mode = true;
			break;
		case 'e':
			echo = true;
			listen_mode = true;
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'V':
			vmo_file = optarg;
			break;
		case 'L':
			load = optarg;
			break;
		case 'H':
			hybrid = optarg;
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			return cfv_tool_other_option(o, 'R', prog, usage);
		}
	}
	int npos = argc - optind;
	uint32_t cid = 0, port = 0;
	if (hybrid && npos == 1 && !listen_mode &&
	    cfv_tool_parse_u32(argv[optind], &port)) {
	} else if (npos == 2 && cfv_tool_parse_u32(argv[optind], &cid) &&
	           cfv_tool_parse_u32(argv[optind + 1], &port)) {
	} else if (npos == 1 && listen_mode &&
	           cfv_tool_parse_u32(argv[optind], &port)) {
	} else {
		usage(stderr);
		return 2;
	}
	cfv_tool_init_process();

	if (hybrid) {
		/* Plain Unix socket: no app API, as stock tools would do it. */
		int fd;
		uint32_t host_port;
		if (hybrid_connect(hybrid, port, &fd, &host_port) != 0)
			return 1;
		if (verbose)
			fprintf(stderr,
			        "%s: connected through %s, host port %" PRIu32
			        "\n",
			        prog, hybrid, host_port);
		int rc = relay(fd, STDIN_FILENO);
		close(fd);
		return rc;
	}
	cfidl_vsock_app_t *app;
	zx_status_t st = cfidl_vsock_app_open(dir, as_cid, &app);
	if (st != ZX_OK)
		die("open", st);
	zx_time_t deadline = deadline_from(timeout);
	int rc = 0;
	if (listen_mode) {
		st = cfidl_vsock_app_listen(app, port);
		if (st != ZX_OK)
			die("listen", st);
		if (verbose)
			fprintf(stderr, "%s: listening on port %" PRIu32 "\n",
			        prog, port);
		if (echo) {
			rc = echo_serve(app, port, count);
		} else {
			int fd;
			uint32_t pcid, pport;
			st = cfidl_vsock_app_accept(app, port, deadline, &fd,
			                            &pcid, &pport);
			if (st != ZX_OK)
				die("accept", st);
			if (verbose)
				fprintf(stderr,
				        "%s: connection from %" PRIu32
				        ":%" PRIu32 "\n",
				        prog, pcid, pport);
			rc = relay(fd, STDIN_FILENO);
			close(fd);
		}
	} else if (load) {
		unsigned long n = 0;
		unsigned long long bytes = 0;
		if (sscanf(load, "%lu,%llu", &n, &bytes) != 2 || n == 0 ||
		    n > 100000) {
			fprintf(stderr, "%s: --load N,BYTES\n", prog);
			return 2;
		}
		rc = load_run(app, cid, port, (uint32_t)n, bytes, deadline);
	} else {
		int fd;
		uint32_t local_port = 0;
		st = cfidl_vsock_app_connect(app, cid, port, deadline, &fd,
		                             &local_port);
		if (st != ZX_OK)
			die("connect", st);
		if (verbose)
			fprintf(stderr,
			        "%s: connected to %" PRIu32 ":%" PRIu32
			        " from port %" PRIu32 "\n",
			        prog, cid, port, local_port);
		if (vmo_file) {
			/* Read what the peer sends while the VMO goes out: an
			 * echo peer would stop on credit otherwise. */
			drain_t dr = {.fd = fd};
			pthread_t th;
			if (pthread_create(&th, NULL, drain_thread, &dr) != 0) {
				fprintf(stderr, "%s: no thread\n", prog);
				return 1;
			}
			rc = send_vmo_file(app, fd, vmo_file);
			shutdown(fd, SHUT_WR);
			pthread_join(th, NULL);
			if (rc == 0)
				rc = dr.rc;
		} else {
			rc = relay(fd, STDIN_FILENO);
		}
		close(fd);
	}
	cfidl_vsock_app_close(app);
	return rc;
}
