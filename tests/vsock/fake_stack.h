/*
 * A fake vsock stack for the app and udo tests: on a thread of the test
 * process it serves a fake fuchsia.vsock.Connector on
 * `<dir>/connector-<cid>.sock` and a fake HostVsockEndpoint on
 * `<dir>/endpoint-<cid>.sock`, with our generated bindings, so the tests
 * do not depend on the daemon.
 *
 * Behaviour: a connection to FAKE_REFUSED_PORT is refused (Connector:
 * UNAVAILABLE, endpoint: CONNECTION_REFUSED); one to FAKE_SILENT_PORT is
 * never answered; any other is an echo peer.  Listen on a port answers OK
 * (ALREADY_BOUND for a second one on the same channel's port, UNAVAILABLE
 * for ephemeral ports on the Connector) and then opens `incoming`
 * connections to it from (FAKE_PEER_CID, FAKE_PEER_PORT + i) (from (cid,
 * FAKE_PEER_PORT + i) on the host endpoint), each of
 * which first sends "hello <i>\n" and then echoes.  SendVmo writes the
 * VMO's bytes into the connection's socket.
 */
#ifndef CFIDL_TESTS_VSOCK_FAKE_STACK_H
#define CFIDL_TESTS_VSOCK_FAKE_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vsock_test.h"

#define FAKE_REFUSED_PORT 9u
#define FAKE_SILENT_PORT  8u
#define FAKE_PEER_CID     2u
#define FAKE_PEER_PORT    5555u
#define FAKE_LOCAL_PORT   49152u

typedef struct fake_stack fake_stack_t;

/* Starts serving in dir (which must exist) for guest cid; incoming: the
 * connections each Listen opens.  NULL on failure. */
fake_stack_t *fake_stack_start(const char *dir, uint32_t cid, int incoming);

/* Stops the thread, closes every socket and removes the socket files. */
void fake_stack_stop(fake_stack_t *fs);

/* Connections the app accepted / refused (answered without a socket). */
int fake_stack_accepted(fake_stack_t *fs);
int fake_stack_refused(fake_stack_t *fs);

/* With sink set, incoming connections opened later greet and then only
 * count the bytes they receive (fake_stack_sunk) instead of echoing. */
void fake_stack_set_sink(fake_stack_t *fs, bool sink);
int fake_stack_sunk(fake_stack_t *fs);

/* Listen calls seen. */
int fake_stack_listens(fake_stack_t *fs);

/* ---- one test's fake stack (for the tests, not fake_stack.c) ---- */

/* A fake stack in a fresh private directory, and how many fds were open
 * before it (the teardown checks that none leaked). */
typedef struct fake_fixture {
	int fds_before;
	char dir[64];
	fake_stack_t *fs;
} fake_fixture_t;

/* Starts a fixture for guest cid (see fake_stack_start) into *state. */
static inline fake_fixture_t *fake_fixture_start(void **state, uint32_t cid,
                                                 int incoming)
{
	fake_fixture_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fds_before = rt_count_fds();
	snprintf(f->dir, sizeof(f->dir), "/tmp/cfv-fake-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->fs = fake_stack_start(f->dir, cid, incoming);
	assert_non_null(f->fs);
	*state = f;
	return f;
}

/* The cmocka teardown of a test that may have started a fixture in
 * *state: stops it, removes its directory, fails on an fd leak. */
static inline int fake_fixture_stop(void **state)
{
	fake_fixture_t *f = *state;
	int rc;

	if (!f)
		return 0;
	fake_stack_stop(f->fs);
	rmdir(f->dir);
	rc = vt_check_fds(f->fds_before);
	free(f);
	return rc;
}

#endif /* CFIDL_TESTS_VSOCK_FAKE_STACK_H */
