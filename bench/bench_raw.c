/* bench_raw: raw AF_UNIX connect+accept+close, the connect baseline. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_raw.h"
#include "bench_report.h"

#define MAX_THREADS 16

struct raw_run {
	struct sockaddr_un sa;
	socklen_t len;
	int listener;
	int per_thread; /* connections per connecting thread */
	int accepts;
	atomic_int err; /* the first errno seen */
};

static void fail(struct raw_run *r, int err)
{
	int none = 0;

	atomic_compare_exchange_strong(&r->err, &none, err ? err : EIO);
}

static void *acceptor_main(void *arg)
{
	struct raw_run *r = arg;

	for (int i = 0; i < r->accepts && !atomic_load(&r->err); i++) {
		int s = accept4(r->listener, NULL, NULL, SOCK_CLOEXEC);

		if (s < 0) {
			fail(r, errno);
			break;
		}
		close(s);
	}
	return NULL;
}

static void *connector_main(void *arg)
{
	struct raw_run *r = arg;

	for (int i = 0; i < r->per_thread && !atomic_load(&r->err); i++) {
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (c < 0 ||
		    connect(c, (const struct sockaddr *)&r->sa, r->len) != 0) {
			fail(r, errno);
			if (c >= 0)
				close(c);
			break;
		}
		close(c);
	}
	return NULL;
}

double br_raw_connects(const char *tag, int n, int threads)
{
	static atomic_uint seq;
	struct raw_run r = {.sa = {.sun_family = AF_UNIX}};
	struct timeval tv = {10, 0};
	pthread_t acc, con[MAX_THREADS];
	int started = 0;
	double t0, v;

	if (threads < 1 || threads > MAX_THREADS || n < threads)
		return -EINVAL;
	snprintf(r.sa.sun_path + 1, sizeof(r.sa.sun_path) - 1,
	         "cfidl-bench-%s-%d-%u", tag, (int)getpid(),
	         atomic_fetch_add(&seq, 1));
	r.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	                    strlen(r.sa.sun_path + 1));
	r.per_thread = n / threads;
	r.accepts = r.per_thread * threads;
	r.listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r.listener < 0)
		return -errno;
	if (bind(r.listener, (struct sockaddr *)&r.sa, r.len) != 0 ||
	    listen(r.listener, 64) != 0 ||
	    setsockopt(r.listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) !=
	        0) {
		int err = errno;

		close(r.listener);
		return -err;
	}
	t0 = br_now_ns();
	if (pthread_create(&acc, NULL, acceptor_main, &r) != 0) {
		close(r.listener);
		return -EAGAIN;
	}
	if (threads == 1) {
		connector_main(&r);
	} else {
		for (; started < threads; started++)
			if (pthread_create(&con[started], NULL, connector_main,
			                   &r) != 0) {
				fail(&r, EAGAIN);
				break;
			}
		for (int k = 0; k < started; k++)
			pthread_join(con[k], NULL);
	}
	/* A failed connector leaves the acceptor to its 10 s deadline. */
	pthread_join(acc, NULL);
	v = (br_now_ns() - t0) / r.accepts;
	close(r.listener);
	return atomic_load(&r.err) ? -atomic_load(&r.err) : v;
}
