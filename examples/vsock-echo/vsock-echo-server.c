/*
 * vsock-echo-server: echoes every connection back to its sender, written
 * only against the udo vsock-tcp API (<udo/vsock-tcp.h>, seed 004).
 *
 *   vsock-echo-server PORT [COUNT]
 *
 * Serves COUNT connections one after the other (default: forever).  Over
 * the kernel by default; with CFIDL_VSOCK_GUEST=<cid> inside a guest of
 * the cfidl vsock stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <udo/vsock-tcp.h>

static void echo(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = udo_vsock_tcp_recv_data(fd, buf, sizeof(buf), NULL)) > 0) {
		ssize_t off = 0;

		while (off < n) {
			ssize_t w = udo_vsock_tcp_send_data(
			    fd, buf + off, (size_t)(n - off), NULL);

			if (w < 0)
				return;
			off += w;
		}
	}
}

int main(int argc, char **argv)
{
	struct udo_vsock_tcp_server_create_info info = {.connections = 16};
	struct udo_vsock_tcp *server;
	long count = -1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s PORT [COUNT]\n", argv[0]);
		return 2;
	}
	info.vcid = udo_vsock_tcp_get_local_vcid();
	info.port = atoi(argv[1]);
	if (argc == 3)
		count = atol(argv[2]);
	server = udo_vsock_tcp_server_create(NULL, &info);
	if (!server) {
		perror("udo_vsock_tcp_server_create");
		return 1;
	}
	printf("listening on cid %u port %d\n", udo_vsock_tcp_get_vcid(server),
	       udo_vsock_tcp_get_port(server));
	fflush(stdout);
	while (count != 0) {
		struct sockaddr_vm peer;
		int fd = udo_vsock_tcp_server_accept(server, &peer);

		if (fd < 0) {
			perror("udo_vsock_tcp_server_accept");
			break;
		}
		fprintf(stderr, "connection from cid %u port %u\n",
		        peer.svm_cid, peer.svm_port);
		echo(fd);
		close(fd);
		if (count > 0)
			count--;
	}
	udo_vsock_tcp_destroy(server);
	return count == 0 ? 0 : 1;
}
