/*
 * test_router: the router against fake peers on one loop: fake host
 * halves (GuestVsockEndpoint + GuestVsockAcceptor, calling the router's
 * HostVsockConnector), fake host apps (HostVsockEndpoint clients serving
 * HostVsockAcceptor) and a plain Unix socket as a hybrid forward target.
 * CIDs, Listen and ALREADY_BOUND, Connect2 ok and refused and its host
 * ports, guest to host (listener, forward socket, nothing), guest to
 * guest, forged source CIDs, removing a guest with requests in flight.
 */
#include "router_fakes.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/socket.h>
#include <cfidl/wait.h>

#include "fuchsia.virtualization.h"
#include "router.h"
#include "rundir.h"

/* ---- fixture ---- */

typedef struct fx {
	char dir[64];
	cfidl_loop_t *loop;
	cfv_router_t *r;
} fx_t;

static void fx_init(fx_t *f)
{
	rd_tmpdir(f->dir, sizeof(f->dir));
	ASSERT_OK(cfidl_loop_create(&f->loop));
	ASSERT_OK(cfv_router_create(f->loop, f->dir, &f->r));
}

static void fx_fini(fx_t *f)
{
	cfv_router_destroy(f->r);
	cfidl_loop_run_until_idle(f->loop);
	cfidl_loop_destroy(f->loop);
	rd_rmdir(f->dir);
}

static cfv_router_stats_t stats(fx_t *f)
{
	cfv_router_stats_t s;

	cfv_router_get_stats(f->r, &s);
	return s;
}

/* ---- tests ---- */

static void cids(void **state)
{
	fx_t f;
	fguest_t g3, g4, g5;
	zx_handle_t c, s;

	(void)state;
	fx_init(&f);
	assert_int_equal(cfv_router_next_cid(f.r), 3);
	fg_add(&g3, f.loop, f.r, 3);
	assert_int_equal(cfv_router_next_cid(f.r), 4);
	fg_add(&g5, f.loop, f.r, 5);
	assert_int_equal(cfv_router_next_cid(f.r), 4);
	fg_add(&g4, f.loop, f.r, 4);
	assert_int_equal(cfv_router_next_cid(f.r), 6);
	/* Reserved and taken CIDs; the endpoint handle is consumed. */
	for (uint32_t bad = 0; bad <= 2; bad++) {
		ASSERT_OK(zx_channel_create(0, &c, &s));
		ASSERT_ST(cfv_router_add_guest(f.r, bad, c),
		          ZX_ERR_INVALID_ARGS);
		zx_handle_close(s);
	}
	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_ST(cfv_router_add_guest(f.r, 0xFFFFFFFFu, c),
	          ZX_ERR_INVALID_ARGS);
	zx_handle_close(s);
	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_ST(cfv_router_add_guest(f.r, 4, c), ZX_ERR_ALREADY_EXISTS);
	zx_handle_close(s);
	/* Removing frees the CID for reuse. */
	ASSERT_OK(cfv_router_remove_guest(f.r, 4));
	ASSERT_ST(cfv_router_remove_guest(f.r, 4), ZX_ERR_NOT_FOUND);
	assert_false(cfv_router_has_guest(f.r, 4));
	assert_int_equal(cfv_router_next_cid(f.r), 4);
	assert_int_equal(stats(&f).guests, 2);
	fg_free(&g4);
	fg_free(&g3);
	fg_free(&g5);
	fx_fini(&f);
}

static void set_context_id(void **state)
{
	fx_t f;
	fguest_t g;

	(void)state;
	fx_init(&f);
	fg_add(&g, f.loop, f.r, 3);
	/* The fake got a connector client and an acceptor server end. */
	assert_non_null(g.connector);
	assert_non_null(g.acceptor);
	fg_free(&g);
	fx_fini(&f);
}

static void listen_already_bound(void **state)
{
	fx_t f;
	fguest_t g3, g4;
	happ_t a, b, c;

	(void)state;
	fx_init(&f);
	fg_add(&g3, f.loop, f.r, 3);
	fg_add(&g4, f.loop, f.r, 4);
	happ_open(&a, f.loop, f.r, 3, ZX_OK);
	happ_open(&b, f.loop, f.r, 3, ZX_OK);
	happ_open(&c, f.loop, f.r, 4, ZX_OK);
	ASSERT_OK(happ_listen(&a, 5000));
	/* One listener per host port, whichever endpoint asks. */
	ASSERT_ST(happ_listen(&b, 5000), ZX_ERR_ALREADY_BOUND);
	ASSERT_ST(happ_listen(&c, 5000), ZX_ERR_ALREADY_BOUND);
	ASSERT_OK(happ_listen(&b, 5001));
	assert_int_equal(stats(&f).listeners, 2);
	/* The app drops its acceptor: the port is free again. */
	cfidl_binding_close(a.acc, ZX_OK);
	VT_RUN_UNTIL(f.loop, stats(&f).listeners == 1);
	ASSERT_OK(happ_listen(&c, 5000));
	/* No such guest for an endpoint. */
	happ_t d;
	happ_open(&d, f.loop, f.r, 9, ZX_ERR_NOT_FOUND);
	VT_RUN_UNTIL(f.loop, d.ep_error == ZX_ERR_PEER_CLOSED);
	happ_close(&d);
	happ_close(&a);
	happ_close(&b);
	happ_close(&c);
	fg_free(&g3);
	fg_free(&g4);
	fx_fini(&f);
}

static void connect2_ok_and_refused(void **state)
{
	fx_t f;
	fguest_t g;
	happ_t a;
	res_t res;
	uint32_t first;

	(void)state;
	fx_init(&f);
	fg_add(&g, f.loop, f.r, 3);
	g.listen_port = 80;
	happ_open(&a, f.loop, f.r, 3, ZX_OK);
	happ_connect2(&a, 80, &res, true);
	ASSERT_OK(res.status);
	assert_int_equal(g.accepts, 1);
	assert_int_equal(g.src_cid, 2);
	assert_int_equal(g.port, 80);
	assert_true(g.src_port >= 49152 && g.src_port <= 65535);
	first = g.src_port;
	check_pipe(res.sock, g.sock);
	assert_int_equal(stats(&f).host_ports, 1);
	zx_handle_close(res.sock);

	/* Refused: the error comes back, the host port is freed. */
	happ_connect2(&a, 81, &res, true);
	ASSERT_ST(res.status, ZX_ERR_CONNECTION_REFUSED);
	assert_int_equal(res.sock, ZX_HANDLE_INVALID);
	assert_int_equal(g.accepts, 2);
	assert_int_equal(g.port, 81);
	assert_int_not_equal(g.src_port, first); /* moving forward */
	assert_int_equal(stats(&f).host_ports, 1);

	/* The host half reports the first connection gone: port freed. */
	ASSERT_OK(fuchsia_virtualization_GuestVsockEndpoint_send_OnShutdown(
	    g.ep, 3, 80, 2, first));
	VT_RUN_UNTIL(f.loop, stats(&f).host_ports == 0);
	/* A listener's port is not freed by an OnShutdown naming it. */
	ASSERT_OK(happ_listen(&a, 7000));
	ASSERT_OK(fuchsia_virtualization_GuestVsockEndpoint_send_OnShutdown(
	    g.ep, 3, 1234, 2, 7000));
	vt_run_for(f.loop, ZX_MSEC(20));
	happ_t b;
	happ_open(&b, f.loop, f.r, 3, ZX_OK);
	ASSERT_ST(happ_listen(&b, 7000), ZX_ERR_ALREADY_BOUND);
	happ_close(&b);
	happ_close(&a);
	fg_free(&g);
	fx_fini(&f);
}

static void guest_to_host_listener(void **state)
{
	fx_t f;
	fguest_t g;
	happ_t a;
	res_t res;

	(void)state;
	fx_init(&f);
	fg_add(&g, f.loop, f.r, 3);
	happ_open(&a, f.loop, f.r, 3, ZX_OK);
	ASSERT_OK(happ_listen(&a, 5000));
	fg_connect(&g, 3, 1234, 2, 5000, &res);
	ASSERT_OK(res.status);
	assert_int_equal(a.accepts, 1);
	assert_int_equal(a.src_cid, 3);
	assert_int_equal(a.src_port, 1234);
	assert_int_equal(a.port, 5000);
	check_pipe(res.sock, a.sock);
	zx_handle_close(res.sock);
	/* The listener says no: its error reaches the guest. */
	a.refuse = ZX_ERR_NO_RESOURCES;
	fg_connect(&g, 3, 1235, 2, 5000, &res);
	ASSERT_ST(res.status, ZX_ERR_NO_RESOURCES);
	/* The listener's app vanishes with a request in flight. */
	happ_close(&a);
	fg_connect(&g, 3, 1236, 2, 5000, &res);
	ASSERT_ST(res.status, ZX_ERR_CONNECTION_REFUSED);
	assert_int_equal(stats(&f).listeners, 0);
	fg_free(&g);
	fx_fini(&f);
}

/* A plain listening Unix socket at path. */
static int uds_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void guest_to_host_forward(void **state)
{
	fx_t f;
	fguest_t g;
	res_t res;
	char path[128], buf[8];
	int lfd, cfd, fd;
	zx_handle_t h;

	(void)state;
	fx_init(&f);
	fg_add(&g, f.loop, f.r, 3);
	/* Nothing at all: refused. */
	fg_connect(&g, 3, 1234, 2, 6000, &res);
	ASSERT_ST(res.status, ZX_ERR_CONNECTION_REFUSED);
	/* The default forward path: <rundir>/vsock-3.sock_6000. */
	ASSERT_OK(
	    cfv_rundir_path(path, sizeof(path), f.dir, "vsock-3.sock_6000"));
	lfd = uds_listen(path);
	fg_connect(&g, 3, 1234, 2, 6000, &res);
	ASSERT_OK(res.status);
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(cfd >= 0);
	ASSERT_OK(zx_socket_write(res.sock, 0, "ping", 4, NULL));
	assert_int_equal(read(cfd, buf, 4), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(write(cfd, "pong!", 5), 5);
	expect_bytes(res.sock, "pong!");
	close(cfd);
	zx_handle_close(res.sock);
	/* A stale socket file (nobody accepting): refused, no hang. */
	close(lfd);
	fg_connect(&g, 3, 1234, 2, 6000, &res);
	ASSERT_ST(res.status, ZX_ERR_CONNECTION_REFUSED);
	unlink(path);
	/* The hybrid's own path, when it registered one. */
	ASSERT_OK(cfv_rundir_path(path, sizeof(path), f.dir, "h.sock_6001"));
	lfd = uds_listen(path);
	ASSERT_OK(cfv_rundir_path(path, sizeof(path), f.dir, "h.sock"));
	ASSERT_OK(cfv_router_set_hybrid_path(f.r, 3, path));
	ASSERT_ST(cfv_router_set_hybrid_path(f.r, 9, path), ZX_ERR_NOT_FOUND);
	fg_connect(&g, 3, 1, 2, 6001, &res);
	ASSERT_OK(res.status);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	/* The forward socket end can leave as a plain fd too. */
	h = res.sock;
	ASSERT_OK(zx_socket_write(h, 0, "x", 1, NULL));
	assert_int_equal(read(fd, buf, 1), 1);
	close(fd);
	zx_handle_close(h);
	close(lfd);
	fg_free(&g);
	fx_fini(&f);
}

static void forged_source_refused(void **state)
{
	fx_t f;
	fguest_t g3, g4;
	happ_t a;
	res_t res;

	(void)state;
	fx_init(&f);
	fg_add(&g3, f.loop, f.r, 3);
	fg_add(&g4, f.loop, f.r, 4);
	happ_open(&a, f.loop, f.r, 3, ZX_OK);
	ASSERT_OK(happ_listen(&a, 5000));
	/* Guest 3 claims to be guest 4. */
	fg_connect(&g3, 4, 1234, 2, 5000, &res);
	ASSERT_ST(res.status, ZX_ERR_ACCESS_DENIED);
	assert_int_equal(a.accepts, 0);
	assert_true(stats(&f).connects_refused >= 1);
	happ_close(&a);
	fg_free(&g3);
	fg_free(&g4);
	fx_fini(&f);
}

static void guest_to_guest(void **state)
{
	fx_t f;
	fguest_t g3, g4;
	res_t res;

	(void)state;
	fx_init(&f);
	fg_add(&g3, f.loop, f.r, 3);
	fg_add(&g4, f.loop, f.r, 4);
	g4.listen_port = 700;
	fg_connect(&g3, 3, 1234, 4, 700, &res);
	ASSERT_OK(res.status);
	assert_int_equal(g4.accepts, 1);
	assert_int_equal(g4.src_cid, 3);
	assert_int_equal(g4.src_port, 1234);
	assert_int_equal(g4.port, 700);
	check_pipe(res.sock, g4.sock);
	zx_handle_close(res.sock);
	/* Guest to guest takes no host port. */
	assert_int_equal(stats(&f).host_ports, 0);
	fg_connect(&g3, 3, 1235, 4, 701, &res);
	ASSERT_ST(res.status, ZX_ERR_CONNECTION_REFUSED);
	fg_connect(&g3, 3, 1236, 9, 700, &res);
	ASSERT_ST(res.status, ZX_ERR_ADDRESS_UNREACHABLE);
	fg_connect(&g3, 3, 1237, 3, 700, &res); /* itself */
	ASSERT_ST(res.status, ZX_ERR_ADDRESS_UNREACHABLE);
	fg_connect(&g3, 3, 1238, 1, 700, &res); /* local */
	ASSERT_ST(res.status, ZX_ERR_ADDRESS_UNREACHABLE);
	fg_free(&g3);
	fg_free(&g4);
	fx_fini(&f);
}

static void remove_guest_drops_everything(void **state)
{
	fx_t f;
	fguest_t g3, g4;
	happ_t a;
	res_t c2;
	res_t res;

	(void)state;
	fx_init(&f);
	fg_add(&g3, f.loop, f.r, 3);
	fg_add(&g4, f.loop, f.r, 4);
	happ_open(&a, f.loop, f.r, 3, ZX_OK);
	/* A Connect2 in flight: the guest holds the Accept. */
	g3.defer = true;
	happ_connect2(&a, 80, &c2, false);
	VT_RUN_UNTIL(f.loop, g3.holding);
	assert_int_equal(stats(&f).host_ports, 1);
	/* And guest 4 connecting to guest 3, in flight too. */
	memset(&res, 0, sizeof(res));
	ASSERT_OK(fuchsia_virtualization_HostVsockConnectorConnect_async(
	    g4.connector, 4, 1, 3, 80, on_conn, &res));
	VT_RUN_UNTIL(f.loop, g3.accepts == 2);

	ASSERT_OK(cfv_router_remove_guest(f.r, 3));
	VT_RUN_UNTIL(f.loop, c2.done && res.done && a.ep_error != ZX_OK &&
	                         g3.acceptor_gone &&
	                         g3.connector_error != ZX_OK);
	assert_int_not_equal(c2.status, ZX_OK);
	assert_int_not_equal(res.status, ZX_OK);
	assert_int_equal(stats(&f).host_ports, 0);
	assert_int_equal(stats(&f).guests, 1);
	/* The CID is free again, and works. */
	assert_int_equal(cfv_router_next_cid(f.r), 3);
	/* The late answer of the old guest goes nowhere, harmlessly. */
	ASSERT_ST(
	    fuchsia_virtualization_GuestVsockAcceptorAccept_reply(&g3.held),
	    ZX_ERR_BAD_STATE);
	fg_free(&g3);
	fg_add(&g3, f.loop, f.r, 3);
	g3.listen_port = 80;
	happ_close(&a);
	happ_open(&a, f.loop, f.r, 3, ZX_OK);
	happ_connect2(&a, 80, &c2, true);
	ASSERT_OK(c2.status);
	zx_handle_close(c2.sock);
	happ_close(&a);
	fg_free(&g3);
	fg_free(&g4);
	fx_fini(&f);
}

/* The in-process request (the hybrid's path), with cancel. */
typedef struct req_res {
	int calls;
	zx_status_t status;
	uint32_t host_port;
} req_res_t;

static void on_req(void *ctx, zx_status_t status, uint32_t host_port)
{
	req_res_t *r = ctx;

	r->calls++;
	r->status = status;
	r->host_port = host_port;
}

static void in_process_connect(void **state)
{
	fx_t f;
	fguest_t g;
	req_res_t rr = {0};
	cfv_router_req_t *req = NULL;
	zx_handle_t mine, theirs;

	(void)state;
	fx_init(&f);
	fg_add(&g, f.loop, f.r, 3);
	g.listen_port = 22;
	ASSERT_OK(zx_socket_create(0, &mine, &theirs));
	ASSERT_OK(
	    cfv_router_connect_guest(f.r, 3, 22, theirs, on_req, &rr, &req));
	assert_int_equal(rr.calls, 0); /* never from inside the call */
	VT_RUN_UNTIL(f.loop, rr.calls == 1);
	ASSERT_OK(rr.status);
	assert_int_equal(rr.host_port, g.src_port);
	check_pipe(mine, g.sock);
	zx_handle_close(mine);
	/* Refused. */
	ASSERT_OK(zx_socket_create(0, &mine, &theirs));
	ASSERT_OK(
	    cfv_router_connect_guest(f.r, 3, 23, theirs, on_req, &rr, NULL));
	VT_RUN_UNTIL(f.loop, rr.calls == 2);
	ASSERT_ST(rr.status, ZX_ERR_CONNECTION_REFUSED);
	zx_handle_close(mine);
	/* Canceled: the callback never runs. */
	ASSERT_OK(zx_socket_create(0, &mine, &theirs));
	ASSERT_OK(
	    cfv_router_connect_guest(f.r, 3, 22, theirs, on_req, &rr, &req));
	cfv_router_req_cancel(req);
	vt_run_for(f.loop, ZX_MSEC(20));
	assert_int_equal(rr.calls, 2);
	zx_handle_close(mine);
	/* No such guest: an error now, the socket consumed. */
	ASSERT_OK(zx_socket_create(0, &mine, &theirs));
	ASSERT_ST(
	    cfv_router_connect_guest(f.r, 7, 22, theirs, on_req, &rr, NULL),
	    ZX_ERR_NOT_FOUND);
	assert_false(zx_object_get_info(theirs, ZX_INFO_HANDLE_VALID, NULL, 0,
	                                NULL, NULL) == ZX_OK);
	zx_handle_close(mine);
	fg_free(&g);
	fx_fini(&f);
}

static void destroy_with_requests_in_flight(void **state)
{
	fx_t f;
	fguest_t g;
	happ_t a;
	res_t c2;
	req_res_t rr = {0};
	zx_handle_t mine, theirs;

	(void)state;
	fx_init(&f);
	fg_add(&g, f.loop, f.r, 3);
	happ_open(&a, f.loop, f.r, 3, ZX_OK);
	ASSERT_OK(happ_listen(&a, 5000));
	g.defer = true;
	happ_connect2(&a, 80, &c2, false);
	VT_RUN_UNTIL(f.loop, g.holding);
	ASSERT_OK(zx_socket_create(0, &mine, &theirs));
	ASSERT_OK(
	    cfv_router_connect_guest(f.r, 3, 22, theirs, on_req, &rr, NULL));
	VT_RUN_UNTIL(f.loop, g.accepts == 2);
	cfv_router_destroy(f.r);
	f.r = NULL;
	assert_int_equal(rr.calls, 1);
	ASSERT_ST(rr.status, ZX_ERR_CANCELED);
	VT_RUN_UNTIL(f.loop, c2.done && a.ep_error != ZX_OK);
	zx_handle_close(mine);
	happ_close(&a);
	fg_free(&g);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(cids),
	    RT_TEST(set_context_id),
	    RT_TEST(listen_already_bound),
	    RT_TEST(connect2_ok_and_refused),
	    RT_TEST(guest_to_host_listener),
	    RT_TEST(guest_to_host_forward),
	    RT_TEST(forged_source_refused),
	    RT_TEST(guest_to_guest),
	    RT_TEST(remove_guest_drops_everything),
	    RT_TEST(in_process_connect),
	    RT_TEST(destroy_with_requests_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
