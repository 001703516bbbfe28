/* The two halves of the echo demo; each runs in its own process. */
#ifndef ECHO_DEMO_H
#define ECHO_DEMO_H

#include <cfidl/zx.h>

/* How long either side waits for the other before giving up. */
#define ECHO_DEMO_TIMEOUT ZX_SEC(10)

/* Serves channel (consumed) until the client closes it; 0 on success. */
int echo_server_run(zx_handle_t channel);

/* Talks to the server over channel (consumed); 0 on success. */
int echo_client_run(zx_handle_t channel);

#endif /* ECHO_DEMO_H */
