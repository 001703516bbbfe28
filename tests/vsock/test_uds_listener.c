/*
 * test_uds_listener: the listening Unix socket on a loop: 0600, a stale
 * socket file replaced, a live one or another file refused, long paths,
 * destroy from its own callback, unlinking only its own file, a burst of
 * connections beyond the backlog, cfv_uds_connect's errors, and a watcher
 * thread that takes no signals.
 */
#include "router_test.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cfidl/channel.h>
#include <cfidl/handle.h>

#include "uds_listener.h"

typedef struct fx {
	char dir[64];
	char path[128];
	cfidl_loop_t *loop;
	cfv_uds_listener_t *l;
	int channels;
	bool destroy_in_cb;
} fx_t;

static void on_channel(void *ctx, zx_handle_t ch)
{
	fx_t *f = ctx;

	f->channels++;
	/* A real channel end, ours to close. */
	ASSERT_OK(zx_channel_write(ch, 0, "hi", 2, NULL, 0));
	zx_handle_close(ch);
	if (f->destroy_in_cb) {
		cfv_uds_listener_destroy(f->l);
		f->l = NULL;
	}
}

static void fx_init(fx_t *f)
{
	memset(f, 0, sizeof(*f));
	rd_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/l.sock", f->dir);
	ASSERT_OK(cfidl_loop_create(&f->loop));
}

static void fx_fini(fx_t *f)
{
	cfv_uds_listener_destroy(f->l);
	cfidl_loop_run_until_idle(f->loop);
	cfidl_loop_destroy(f->loop);
	rd_rmdir(f->dir);
}

/* A socket file at path that nobody accepts on any more. */
static void make_stale(const char *path, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type, 0);

	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd);
}

static void serves_and_is_0600(void **state)
{
	fx_t f;
	struct stat st;
	int fd;
	char buf[4];

	(void)state;
	fx_init(&f);
	ASSERT_OK(
	    cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &f.l));
	assert_int_equal(lstat(f.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ASSERT_OK(cfv_uds_connect(f.path, SOCK_SEQPACKET, &fd));
	VT_RUN_UNTIL(f.loop, f.channels == 1);
	assert_int_equal(cfv_uds_listener_accepted(f.l), 1);
	/* The channel's message arrives as one record on the raw fd. */
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	close(fd);
	cfv_uds_listener_destroy(f.l);
	f.l = NULL;
	assert_int_not_equal(lstat(f.path, &st), 0);
	fx_fini(&f);
}

static void stale_replaced_others_refused(void **state)
{
	fx_t f;
	cfv_uds_listener_t *two = NULL;
	FILE *fp;
	char longp[200];
	int fd;

	(void)state;
	fx_init(&f);
	make_stale(f.path, SOCK_SEQPACKET);
	ASSERT_OK(
	    cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &f.l));
	ASSERT_OK(cfv_uds_connect(f.path, SOCK_SEQPACKET, &fd));
	VT_RUN_UNTIL(f.loop, f.channels == 1);
	close(fd);
	/* A live one is not taken over. */
	ASSERT_ST(cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &two),
	          ZX_ERR_ADDRESS_IN_USE);
	/* Not a socket: left alone. */
	char file[128];
	snprintf(file, sizeof(file), "%s/file", f.dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	ASSERT_ST(cfv_uds_listener_create(f.loop, file, on_channel, &f, &two),
	          ZX_ERR_ALREADY_EXISTS);
	assert_int_equal(access(file, F_OK), 0);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ASSERT_ST(cfv_uds_listener_create(f.loop, longp, on_channel, &f, &two),
	          ZX_ERR_BAD_PATH);
	ASSERT_ST(cfv_uds_listener_create_raw(f.loop, file, SOCK_DGRAM, NULL,
	                                      &f, &two),
	          ZX_ERR_INVALID_ARGS);
	fx_fini(&f);
}

static void destroy_from_callback(void **state)
{
	fx_t f;
	struct stat st;
	int fd;

	(void)state;
	fx_init(&f);
	f.destroy_in_cb = true;
	ASSERT_OK(
	    cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &f.l));
	ASSERT_OK(cfv_uds_connect(f.path, SOCK_SEQPACKET, &fd));
	VT_RUN_UNTIL(f.loop, f.channels == 1);
	assert_null(f.l);
	assert_int_not_equal(lstat(f.path, &st), 0);
	close(fd);
	fx_fini(&f);
}

static void unlinks_only_its_own(void **state)
{
	fx_t f;
	struct stat st;

	(void)state;
	fx_init(&f);
	ASSERT_OK(
	    cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &f.l));
	/* Someone replaced the file (a second daemon after a crash). */
	unlink(f.path);
	make_stale(f.path, SOCK_STREAM);
	cfv_uds_listener_destroy(f.l);
	f.l = NULL;
	assert_int_equal(lstat(f.path, &st), 0);
	fx_fini(&f);
}

#define BURST 400

static void burst_beyond_backlog(void **state)
{
	fx_t f;
	int fds[BURST], n = 0, refused = 0;

	(void)state;
	fx_init(&f);
	ASSERT_OK(
	    cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &f.l));
	/* The loop does not run: the kernel backlog fills, and connects
	 * fail at once (never block). */
	for (int i = 0; i < BURST; i++) {
		zx_status_t s =
		    cfv_uds_connect(f.path, SOCK_SEQPACKET, &fds[n]);

		if (s == ZX_OK)
			n++;
		else {
			ASSERT_ST(s, ZX_ERR_SHOULD_WAIT);
			refused++;
		}
	}
	assert_true(n > 0);
	VT_RUN_UNTIL(f.loop, f.channels == n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* Still serving. */
	ASSERT_OK(cfv_uds_connect(f.path, SOCK_SEQPACKET, &fds[0]));
	VT_RUN_UNTIL(f.loop, f.channels == n + 1);
	close(fds[0]);
	(void)refused;
	fx_fini(&f);
}

static void connect_errors(void **state)
{
	fx_t f;
	int fd;
	char longp[200];

	(void)state;
	fx_init(&f);
	ASSERT_ST(cfv_uds_connect(f.path, SOCK_STREAM, &fd), ZX_ERR_NOT_FOUND);
	make_stale(f.path, SOCK_STREAM);
	ASSERT_ST(cfv_uds_connect(f.path, SOCK_STREAM, &fd),
	          ZX_ERR_CONNECTION_REFUSED);
	unlink(f.path);
	ASSERT_OK(
	    cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &f.l));
	ASSERT_ST(cfv_uds_connect(f.path, SOCK_STREAM, &fd), ZX_ERR_WRONG_TYPE);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ASSERT_ST(cfv_uds_connect(longp, SOCK_STREAM, &fd), ZX_ERR_BAD_PATH);
	fx_fini(&f);
}

/* The watcher thread blocks every signal. */
static void watcher_takes_no_signals(void **state)
{
	fx_t f;
	DIR *d;
	struct dirent *e;
	int threads = 0, blocked = 0;
	pid_t me = getpid();

	(void)state;
	fx_init(&f);
	ASSERT_OK(
	    cfv_uds_listener_create(f.loop, f.path, on_channel, &f, &f.l));
	d = opendir("/proc/self/task");
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char p[300], line[256];
		FILE *fp;

		if (e->d_name[0] == '.' || atoi(e->d_name) == me)
			continue;
		threads++;
		snprintf(p, sizeof(p), "/proc/self/task/%s/status", e->d_name);
		fp = fopen(p, "r");
		assert_non_null(fp);
		while (fgets(line, sizeof(line), fp)) {
			unsigned long long m;
			const int sigs[] = {SIGHUP,  SIGINT,  SIGTERM, SIGPIPE,
			                    SIGCHLD, SIGUSR1, SIGALRM};
			bool all = true;

			if (sscanf(line, "SigBlk: %llx", &m) != 1)
				continue;
			for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]);
			     i++)
				all = all && (m >> (sigs[i] - 1) & 1);
			blocked += all;
		}
		fclose(fp);
	}
	closedir(d);
	assert_int_equal(threads, 1);
	assert_int_equal(blocked, 1);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(serves_and_is_0600),
	    RT_TEST(stale_replaced_others_refused),
	    RT_TEST(destroy_from_callback),
	    RT_TEST(unlinks_only_its_own),
	    RT_TEST(burst_beyond_backlog),
	    RT_TEST(connect_errors),
	    RT_TEST(watcher_takes_no_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
