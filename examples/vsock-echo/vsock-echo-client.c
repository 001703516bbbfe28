/*
 * vsock-echo-client: sends a message to a vsock echo server and checks it
 * comes back, written only against the udo vsock-tcp API
 * (<udo/vsock-tcp.h>, seed 004).
 *
 *   vsock-echo-client CID PORT MESSAGE
 *
 * Prints the echo and exits 0 if it matches.  Over the kernel by default;
 * with CFIDL_VSOCK_GUEST=<cid> (or 2, the host) over the cfidl vsock stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udo/vsock-tcp.h>

int main(int argc, char **argv)
{
	struct udo_vsock_tcp_client_create_info info;
	struct udo_vsock_tcp *client;
	size_t len, got = 0;
	char *back;
	int fd, ok;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CID PORT MESSAGE\n", argv[0]);
		return 2;
	}
	info.vcid = (unsigned int)strtoul(argv[1], NULL, 10);
	info.port = atoi(argv[2]);
	len = strlen(argv[3]);
	client = udo_vsock_tcp_client_create(NULL, &info);
	if (!client) {
		perror("udo_vsock_tcp_client_create");
		return 1;
	}
	if (udo_vsock_tcp_client_connect(client) != 0) {
		perror("udo_vsock_tcp_client_connect");
		udo_vsock_tcp_destroy(client);
		return 1;
	}
	if (udo_vsock_tcp_client_send_data(client, argv[3], len, NULL) !=
	    (ssize_t)len) {
		fprintf(stderr, "send failed\n");
		udo_vsock_tcp_destroy(client);
		return 1;
	}
	back = malloc(len + 1);
	fd = udo_vsock_tcp_get_fd(client);
	while (back && got < len) {
		ssize_t n =
		    udo_vsock_tcp_recv_data(fd, back + got, len - got, NULL);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	ok = back && got == len && memcmp(back, argv[3], len) == 0;
	if (back) {
		back[got] = 0;
		printf("%s\n", back);
	}
	free(back);
	udo_vsock_tcp_destroy(client);
	return ok ? 0 : 1;
}
