/* fork/exec/wait4 with wall time and peak RSS.
 *
 * The clock starts before fork and stops when wait4 returns, so a tool's
 * time includes its exec and dynamic loading, as a user sees it. Peak RSS
 * comes from wait4's rusage, which folds in the children the tool reaped
 * itself (rpcgen's cpp). Linux also counts the parent's pages at fork time,
 * so callers keep the measuring process small.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Only async-signal-safe calls between fork and exec. */
static void child(char *const argv[], const char *cwd, const char *err_path)
{
	int null = open("/dev/null", O_RDWR);
	int err = null;

	if (null < 0)
		_exit(126);
	if (err_path) {
		err = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (err < 0)
			_exit(126);
	}
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	if (cwd && chdir(cwd))
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

int bench_run(char *const argv[], const char *cwd, const char *err_path,
              struct bench_run *r)
{
	struct rusage ru;
	int status;
	pid_t pid, got;
	double t0 = now();

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(argv, cwd, err_path);
	do
		got = wait4(pid, &status, 0, &ru);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -1;
	r->seconds = now() - t0;
	r->maxrss_kib = ru.ru_maxrss;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return 0;
}
