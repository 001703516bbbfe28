/*
 * test_daemon: the daemon and guest libraries (cfidl_vsock_daemon_*,
 * cfidl_vsock_guest_*) in one process on one loop: the runtime directory
 * and its sockets, registration and its refusals, a guest's death and the
 * daemon's, transport reset, and data from a host app to a guest app
 * through the whole stack (apps on threads, with the public app API).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cfidl/loop.h>
#include <cfidl/vsock.h>

#include "daemon.h"
#include "guest.h"

/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "vsock_test.h"

typedef struct fx {
	char dir[64];
	cfidl_loop_t *loop;
	int fds_before;
} fx_t;

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof *f);
	f->fds_before = rt_count_fds();
	strcpy(f->dir, "/tmp/cfv-test-daemon.XXXXXX");
	if (!mkdtemp(f->dir) || cfidl_loop_create(&f->loop) != ZX_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	cfidl_loop_destroy(f->loop);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	int rc = vt_check_fds(f->fds_before);
	free(f);
	return rc;
}

static bool exists(const fx_t *f, const char *name, mode_t *mode)
{
	char path[256];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	if (lstat(path, &sb) != 0)
		return false;
	if (mode)
		*mode = sb.st_mode & 07777;
	return true;
}

static void settle(cfidl_loop_t *loop)
{
	for (int i = 0; i < 10; i++)
		cfidl_loop_run(loop, zx_deadline_after(ZX_MSEC(10)), true);
}

static zx_time_t soon(void)
{
	return zx_deadline_after(ZX_SEC(5));
}

/* ---- the runtime directory ---- */

static void daemon_serves_registry_in_private_dir(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d;
	mode_t mode = 0;
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	assert_string_equal(cfidl_vsock_daemon_rundir(d), f->dir);
	assert_true(exists(f, "registry.sock", &mode));
	assert_int_equal(mode, 0600);
	assert_int_equal(cfidl_vsock_daemon_guest_count(d), 0);
	cfidl_vsock_daemon_destroy(d);
	assert_false(exists(f, "registry.sock", NULL));
}

static void daemon_refuses_open_dir(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d = NULL;
	chmod(f->dir, 0755);
	assert_int_equal(cfidl_vsock_daemon_create(f->loop, f->dir, &d),
	                 ZX_ERR_ACCESS_DENIED);
	assert_null(d);
	assert_false(exists(f, "registry.sock", NULL));
}

static void second_daemon_refused(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d, *d2 = NULL;
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	zx_status_t st = cfidl_vsock_daemon_create(f->loop, f->dir, &d2);
	assert_int_equal(st, ZX_ERR_ADDRESS_IN_USE);
	assert_null(d2);
	/* The first one still serves. */
	assert_true(exists(f, "registry.sock", NULL));
	cfidl_vsock_daemon_destroy(d);
}

/* ---- guests ---- */

typedef struct gone_rec {
	int calls;
	zx_status_t reason;
} gone_rec_t;

static void on_gone(void *ctx, zx_status_t reason)
{
	gone_rec_t *r = ctx;
	r->calls++;
	r->reason = reason;
}

static void guests_register_and_get_sockets(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d;
	cfidl_vsock_guest_t *a, *b;
	gone_rec_t ra = {0}, rb = {0};
	mode_t mode;
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(), on_gone,
	                                   &ra, &a));
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(), on_gone,
	                                   &rb, &b));
	assert_int_equal(cfidl_vsock_guest_cid(a), 3);
	assert_int_equal(cfidl_vsock_guest_cid(b), 4);
	assert_int_equal(cfidl_vsock_daemon_guest_count(d), 2);
	const char *names[] = {"endpoint-3.sock",  "vsock-3.sock",
	                       "connector-3.sock", "endpoint-4.sock",
	                       "vsock-4.sock",     "connector-4.sock"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		mode = 0;
		assert_true(exists(f, names[i], &mode));
		assert_int_equal(mode, 0600);
	}
	assert_string_equal(cfv_guest_rundir(a), f->dir);
	assert_int_equal(cfv_guest_connection_count(a), 0);
	cfidl_vsock_guest_destroy(a);
	cfidl_vsock_guest_destroy(b);
	cfidl_vsock_daemon_destroy(d);
	assert_int_equal(ra.calls + rb.calls, 0);
}

static void guest_cid_refusals(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d;
	cfidl_vsock_guest_t *a, *b = NULL;
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 7, soon(), NULL,
	                                   NULL, &a));
	assert_int_equal(cfidl_vsock_guest_cid(a), 7);
	assert_int_equal(cfidl_vsock_guest_create(f->loop, f->dir, 7, soon(),
	                                          NULL, NULL, &b),
	                 ZX_ERR_ALREADY_EXISTS);
	assert_int_equal(cfidl_vsock_guest_create(f->loop, f->dir, 2, soon(),
	                                          NULL, NULL, &b),
	                 ZX_ERR_INVALID_ARGS);
	assert_int_equal(cfidl_vsock_guest_create(f->loop, f->dir, 0xffffffffu,
	                                          soon(), NULL, NULL, &b),
	                 ZX_ERR_INVALID_ARGS);
	assert_null(b);
	/* Refused registrations leave nothing behind in the daemon. */
	settle(f->loop);
	assert_int_equal(cfidl_vsock_daemon_guest_count(d), 1);
	cfidl_vsock_guest_destroy(a);
	cfidl_vsock_daemon_destroy(d);
}

static void guest_without_daemon(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_guest_t *g = NULL;
	assert_int_equal(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(),
	                                          NULL, NULL, &g),
	                 ZX_ERR_NOT_FOUND);
	assert_null(g);
}

/* A registry that accepts connections and never answers. */
static void guest_register_times_out(void **state)
{
	fx_t *f = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/registry.sock", f->dir);
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 4), 0);
	cfidl_vsock_guest_t *g = NULL;
	zx_time_t t0 = zx_clock_get_monotonic();
	assert_int_equal(cfidl_vsock_guest_create(
	                     f->loop, f->dir, 0,
	                     zx_deadline_after(ZX_MSEC(200)), NULL, NULL, &g),
	                 ZX_ERR_TIMED_OUT);
	assert_true(zx_clock_get_monotonic() - t0 < ZX_SEC(2));
	assert_null(g);
	close(l);
}

static bool guest_count_zero(void *ctx)
{
	return cfidl_vsock_daemon_guest_count(ctx) == 0;
}

static void guest_gone_removes_everything(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d;
	cfidl_vsock_guest_t *a;
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	int fds_with_daemon = rt_count_fds();
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(), NULL,
	                                   NULL, &a));
	cfidl_vsock_guest_destroy(a);
	assert_true(vt_run_until(f->loop, guest_count_zero, d, VT_WAIT));
	assert_false(exists(f, "endpoint-3.sock", NULL));
	assert_false(exists(f, "vsock-3.sock", NULL));
	assert_false(exists(f, "connector-3.sock", NULL));
	settle(f->loop);
	assert_int_equal(rt_count_fds(), fds_with_daemon);
	/* The CID is free again. */
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(), NULL,
	                                   NULL, &a));
	assert_int_equal(cfidl_vsock_guest_cid(a), 3);
	cfidl_vsock_guest_destroy(a);
	cfidl_vsock_daemon_destroy(d);
}

static bool gone_called(void *ctx)
{
	return ((gone_rec_t *)ctx)->calls > 0;
}

static void daemon_gone_tells_guest(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d;
	cfidl_vsock_guest_t *a;
	gone_rec_t r = {0};
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(), on_gone,
	                                   &r, &a));
	cfidl_vsock_daemon_destroy(d);
	assert_false(exists(f, "registry.sock", NULL));
	assert_false(exists(f, "endpoint-3.sock", NULL));
	assert_true(vt_run_until(f->loop, gone_called, &r, VT_WAIT));
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.reason, ZX_ERR_PEER_CLOSED);
	settle(f->loop);
	assert_int_equal(r.calls, 1);
	cfidl_vsock_guest_destroy(a);
	assert_false(exists(f, "connector-3.sock", NULL));
}

static bool reset_seen(void *ctx)
{
	return cfidl_vsock_guest_reset_count(ctx) > 0;
}

static void transport_reset_keeps_cid(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d;
	cfidl_vsock_guest_t *a;
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(), NULL,
	                                   NULL, &a));
	assert_int_equal(cfidl_vsock_daemon_reset_guest(d, 99),
	                 ZX_ERR_NOT_FOUND);
	ASSERT_OK(cfidl_vsock_daemon_reset_guest(d, 3));
	assert_true(vt_run_until(f->loop, reset_seen, a, VT_WAIT));
	assert_int_equal(cfidl_vsock_guest_reset_count(a), 1);
	assert_int_equal(cfidl_vsock_guest_cid(a), 3);
	assert_true(exists(f, "connector-3.sock", NULL));
	ASSERT_OK(cfidl_vsock_daemon_reset_guest(d, 0)); /* all */
	cfidl_vsock_guest_destroy(a);
	cfidl_vsock_daemon_destroy(d);
}

/* ---- data through the whole stack: apps on threads ---- */

typedef struct app_job {
	const char *dir;
	uint32_t as_cid, cid, port;
	size_t bytes;
	zx_status_t st;
	bool listening, done;
	size_t got;
	bool same;
} app_job_t;

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 9));
}

/* Guest app: listen, accept one, read all, echo nothing, check. */
static void *guest_app(void *arg)
{
	app_job_t *j = arg;
	cfidl_vsock_app_t *app;
	int fd = -1;
	j->st = cfidl_vsock_app_open(j->dir, j->as_cid, &app);
	if (j->st != ZX_OK)
		goto out;
	j->st = cfidl_vsock_app_listen(app, j->port);
	__atomic_store_n(&j->listening, true, __ATOMIC_SEQ_CST);
	if (j->st == ZX_OK)
		j->st = cfidl_vsock_app_accept(app, j->port, soon(), &fd, NULL,
		                               NULL);
	if (j->st == ZX_OK) {
		unsigned char buf[8192];
		ssize_t n;
		j->same = true;
		while ((n = read(fd, buf, sizeof buf)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != pat(j->got + (size_t)i))
					j->same = false;
			j->got += (size_t)n;
		}
		/* Answer, then close: the host sees our bytes and EOF. */
		if (write(fd, "done", 4) != 4)
			j->same = false;
		close(fd);
	}
	cfidl_vsock_app_close(app);
out:
	__atomic_store_n(&j->listening, true, __ATOMIC_SEQ_CST);
	__atomic_store_n(&j->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Host app: connect, send, shut the write side, read the answer. */
static void *host_app(void *arg)
{
	app_job_t *j = arg;
	cfidl_vsock_app_t *app = NULL;
	int fd = -1;
	j->st = cfidl_vsock_app_open(j->dir, CFIDL_VSOCK_HOST_CID, &app);
	if (j->st == ZX_OK)
		j->st = cfidl_vsock_app_connect(app, j->cid, j->port, soon(),
		                                &fd, NULL);
	if (j->st == ZX_OK) {
		unsigned char *buf = malloc(j->bytes);
		for (size_t i = 0; i < j->bytes; i++)
			buf[i] = pat(i);
		size_t off = 0;
		while (off < j->bytes) {
			ssize_t n = write(fd, buf + off, j->bytes - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		free(buf);
		shutdown(fd, SHUT_WR);
		char ans[16] = {0};
		ssize_t n, got = 0;
		while ((n = read(fd, ans + got, sizeof ans - 1 - (size_t)got)) >
		       0)
			got += n;
		j->same = off == j->bytes && strcmp(ans, "done") == 0;
		close(fd);
	}
	if (app)
		cfidl_vsock_app_close(app);
	__atomic_store_n(&j->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static bool job_listening(void *ctx)
{
	return __atomic_load_n(&((app_job_t *)ctx)->listening,
	                       __ATOMIC_SEQ_CST);
}

static bool jobs_done(void *ctx)
{
	app_job_t *j = ctx;
	return __atomic_load_n(&j[0].done, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&j[1].done, __ATOMIC_SEQ_CST);
}

static void host_app_to_guest_app(void **state)
{
	fx_t *f = *state;
	cfidl_vsock_daemon_t *d;
	cfidl_vsock_guest_t *a;
	ASSERT_OK(cfidl_vsock_daemon_create(f->loop, f->dir, &d));
	ASSERT_OK(cfidl_vsock_guest_create(f->loop, f->dir, 0, soon(), NULL,
	                                   NULL, &a));
	app_job_t j[2] = {
	    {.dir = f->dir, .as_cid = 3, .port = 9000},
	    {.dir = f->dir, .cid = 3, .port = 9000, .bytes = 3u << 20},
	};
	pthread_t tg, th;
	assert_int_equal(pthread_create(&tg, NULL, guest_app, &j[0]), 0);
	assert_true(vt_run_until(f->loop, job_listening, &j[0], VT_WAIT));
	assert_int_equal(pthread_create(&th, NULL, host_app, &j[1]), 0);
	bool done = vt_run_until(f->loop, jobs_done, j, VT_WAIT);
	if (!done) {
		/* Unblock the threads before failing: the stack goes away. */
		cfidl_vsock_guest_destroy(a);
		cfidl_vsock_daemon_destroy(d);
		a = NULL;
		d = NULL;
	}
	pthread_join(tg, NULL);
	pthread_join(th, NULL);
	assert_true(done);
	ASSERT_OK(j[0].st);
	ASSERT_OK(j[1].st);
	assert_int_equal(j[0].got, j[1].bytes);
	assert_true(j[0].same);
	assert_true(j[1].same);
	settle(f->loop);
	assert_int_equal(cfv_guest_connection_count(a), 0);
	cfidl_vsock_guest_destroy(a);
	cfidl_vsock_daemon_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        daemon_serves_registry_in_private_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(daemon_refuses_open_dir, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(second_daemon_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(guests_register_and_get_sockets,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(guest_cid_refusals, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(guest_without_daemon, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(guest_register_times_out, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(guest_gone_removes_everything,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(daemon_gone_tells_guest, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(transport_reset_keeps_cid, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(host_app_to_guest_app, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
