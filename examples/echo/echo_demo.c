/* echo-demo: a channel between two processes.  The server runs in a
 * forked child, the client in the parent; the channel's ends are handles
 * that fork leaves valid in both (each side closes the end it does not
 * use). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cfidl/channel.h>
#include <cfidl/handle.h>

#include "echo_demo.h"

int main(void)
{
	zx_handle_t client_end, server_end;
	zx_status_t st = zx_channel_create(0, &client_end, &server_end);
	if (st != ZX_OK) {
		fprintf(stderr, "echo-demo: channel: %s\n",
		        zx_status_get_string(st));
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("echo-demo: fork");
		return 1;
	}
	if (pid == 0) {
		zx_handle_close(client_end);
		int rc = echo_server_run(server_end);
		fflush(stdout);
		_exit(rc);
	}
	zx_handle_close(server_end);
	int rc = echo_client_run(client_end);

	int status = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "echo-demo: the server failed\n");
		rc = 1;
	}
	if (rc == 0)
		printf("echo-demo: ok\n");
	return rc;
}
