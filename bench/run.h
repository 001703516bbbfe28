/* Run one tool as a child process and measure it. */
#ifndef CF_BENCH_RUN_H
#define CF_BENCH_RUN_H

struct bench_run {
	int exit_status; /* 0..255, or -1 when killed by a signal */
	int signal;      /* the signal, when killed */
	double seconds;  /* wall time, fork to reaped */
	long maxrss_kib; /* peak RSS of the child and its reaped children */
};

/* Runs argv[0] (a path) with argv in directory cwd, stdin and stdout on
 * /dev/null, stderr on /dev/null or appended to err_path when it is not NULL.
 * Returns 0 when the child ran (whatever its status), -1 when fork or wait
 * failed. A child that cannot exec exits 127, one that cannot chdir 126. */
int bench_run(char *const argv[], const char *cwd, const char *err_path,
              struct bench_run *r);

#endif
