/* The echo client: a synchronous call, then an asynchronous call and the
 * event OnGreeting received on a loop. */
#include <stdio.h>

#include <cfidl/bind.h>
#include <cfidl/loop.h>

#include "echo_demo.h"
#include "examples.echo.h"

typedef struct client {
	cfidl_loop_t *loop;
	int replied;
	int greeted;
	int failed;
} client;

/* Stops the loop once the reply and the event are both in. */
static void check_done(client *c)
{
	if (c->failed || (c->replied && c->greeted))
		cfidl_loop_quit(c->loop);
}

static void on_reply(void *ctx, zx_status_t status, fidl_incoming_msg_t *msg)
{
	client *c = ctx;
	examples_echo_EchoEchoStringResponse *r = NULL;
	if (status == ZX_OK)
		status = examples_echo_EchoEchoString_decode_response(msg, &r);
	if (status != ZX_OK) {
		fprintf(stderr, "client: async reply: %s\n",
		        zx_status_get_string(status));
		c->failed = 1;
	} else {
		printf("async reply: %.*s\n", (int)r->response.size,
		       r->response.data);
		c->replied = 1;
	}
	check_done(c);
}

static void on_greeting(void *ctx, const char *greeting_data,
                        size_t greeting_size)
{
	client *c = ctx;
	printf("event OnGreeting: %.*s\n", (int)greeting_size, greeting_data);
	c->greeted = 1;
	check_done(c);
}

static const examples_echo_Echo_event_handlers_t events = {
    .OnGreeting = on_greeting,
};

static void on_event(void *ctx, fidl_incoming_msg_t *msg)
{
	client *c = ctx;
	zx_status_t st = examples_echo_Echo_handle_event(&events, c, msg);
	if (st != ZX_OK) {
		fprintf(stderr, "client: event: %s\n",
		        zx_status_get_string(st));
		c->failed = 1;
		check_done(c);
	}
}

static void on_error(void *ctx, zx_status_t status)
{
	client *c = ctx;
	fprintf(stderr, "client: channel: %s\n", zx_status_get_string(status));
	c->failed = 1;
	check_done(c);
}

/* A blocking call: the reply's string points into buf. */
static int call_sync(zx_handle_t channel)
{
	_Alignas(8) uint8_t buf[512];
	fidl_string_t response = {0, NULL};
	zx_status_t st = examples_echo_EchoEchoString(channel, "hello", 5, buf,
	                                              sizeof(buf), &response);
	if (st != ZX_OK) {
		fprintf(stderr, "client: EchoString: %s\n",
		        zx_status_get_string(st));
		return 1;
	}
	printf("sync reply: %.*s\n", (int)response.size, response.data);
	return 0;
}

int echo_client_run(zx_handle_t channel)
{
	if (call_sync(channel) != 0) {
		zx_handle_close(channel);
		return 1;
	}

	client c = {NULL, 0, 0, 0};
	zx_status_t st = cfidl_loop_create(&c.loop);
	if (st != ZX_OK) {
		zx_handle_close(channel);
		fprintf(stderr, "client: loop: %s\n", zx_status_get_string(st));
		return 1;
	}
	const cfidl_client_handlers_t handlers = {on_event, on_error};
	cfidl_client_t *binding = NULL;
	st = cfidl_client_create(c.loop, channel, &handlers, &c, &binding);
	if (st == ZX_OK)
		st = examples_echo_EchoEchoString_async(binding, "hello again",
		                                        11, on_reply, &c);
	/* A one-way message goes straight onto the channel. */
	if (st == ZX_OK)
		st = examples_echo_EchoGreet(cfidl_client_channel(binding),
		                             "world", 5);
	if (st == ZX_OK)
		st = cfidl_loop_run(
		    c.loop, zx_deadline_after(ECHO_DEMO_TIMEOUT), false);
	if (binding)
		cfidl_client_destroy(binding);
	cfidl_loop_destroy(c.loop);
	/* quit (ZX_ERR_CANCELED) is the normal end; a deadline is not */
	if (st != ZX_ERR_CANCELED || c.failed || !c.replied || !c.greeted) {
		fprintf(stderr, "client: %s\n", zx_status_get_string(st));
		return 1;
	}
	return 0;
}
