/*
 * bench_raw: the kernel baselines the vsock benchmarks measure beside
 * their own figures, in the same run.
 */
#ifndef CFIDL_BENCH_RAW_H
#define CFIDL_BENCH_RAW_H

/*
 * ns per connection of n connect+close on an abstract AF_UNIX listener
 * (`tag` names it), by `threads` connecting threads (1: the caller),
 * while one thread accepts and closes each.  Every accept waits at most
 * 10 s.  A negative errno when a call failed.
 */
double br_raw_connects(const char *tag, int n, int threads);

#endif /* CFIDL_BENCH_RAW_H */
