/*
 * Inside the runtime only: waits whose handler ignores `observed`.
 */
#ifndef CFIDL_RUNTIME_LOOP_BLIND_H
#define CFIDL_RUNTIME_LOOP_BLIND_H

#include <cfidl/loop.h>

/*
 * cfidl_wait_begin for a handler that does not look at `observed` and
 * copes with a wake-up whose trigger is gone (a binding reads until
 * SHOULD_WAIT).  When its level-triggered registrations fire the loop
 * skips computing the signals and passes observed 0.
 */
zx_status_t cf_wait_begin_blind(cfidl_loop_t *loop, cfidl_wait_t *wait);

#endif /* CFIDL_RUNTIME_LOOP_BLIND_H */
