/* The echo server: the generated dispatcher bound to a channel on a loop.
 * EchoString is answered at once; Greet is a one-way method, answered
 * with the event OnGreeting. */
#include <stdio.h>

#include <cfidl/bind.h>
#include <cfidl/loop.h>

#include "echo_demo.h"
#include "examples.echo.h"

typedef struct server {
	cfidl_loop_t *loop;
	zx_handle_t channel; /* owned by the binding; kept to send events */
	zx_status_t reason;  /* why the binding ended */
} server;

static zx_status_t echo_string(void *ctx, const char *value_data,
                               size_t value_size, fidl_txn_t *txn)
{
	(void)ctx;
	return examples_echo_EchoEchoString_reply(txn, value_data, value_size);
}

static zx_status_t greet(void *ctx, const char *name_data, size_t name_size)
{
	server *s = ctx;
	char text[96];
	int n = snprintf(text, sizeof(text), "hello, %.*s", (int)name_size,
	                 name_data);
	if (n < 0 || (size_t)n >= sizeof(text))
		return ZX_ERR_INVALID_ARGS;
	return examples_echo_Echo_send_OnGreeting(s->channel, text, (size_t)n);
}

static const examples_echo_Echo_ops_t ops = {
    .EchoString = echo_string,
    .Greet = greet,
};

/* The client went away (or a bad message closed the channel). */
static void unbound(void *ctx, zx_status_t reason)
{
	server *s = ctx;
	s->reason = reason;
	cfidl_loop_quit(s->loop);
}

int echo_server_run(zx_handle_t channel)
{
	server s = {NULL, channel, ZX_OK};
	zx_status_t st = cfidl_loop_create(&s.loop);
	if (st != ZX_OK) {
		zx_handle_close(channel);
		fprintf(stderr, "server: loop: %s\n", zx_status_get_string(st));
		return 1;
	}
	st = cfidl_bind_etc(s.loop, channel,
	                    CFIDL_DISPATCH(examples_echo_Echo_dispatch), &s,
	                    &ops, unbound, NULL);
	if (st == ZX_OK)
		st = cfidl_loop_run(
		    s.loop, zx_deadline_after(ECHO_DEMO_TIMEOUT), false);
	cfidl_loop_destroy(s.loop);
	/* The loop ends by quit (ZX_ERR_CANCELED) when the client is gone. */
	if (st != ZX_ERR_CANCELED || s.reason != ZX_ERR_PEER_CLOSED) {
		fprintf(stderr, "server: %s, binding ended with %s\n",
		        zx_status_get_string(st),
		        zx_status_get_string(s.reason));
		return 1;
	}
	return 0;
}
