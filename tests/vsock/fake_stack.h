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

#endif /* CFIDL_TESTS_VSOCK_FAKE_STACK_H */
