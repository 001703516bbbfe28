/*
 * test_registry: cfidl.vsock.GuestRegistry on registry.sock: CIDs (next
 * free, requested, reserved, taken by the router or another guest), the
 * transport handles in the reply, the daemon's refusal, one Register per
 * channel, on_gone when a registered guest's channel closes (and only
 * then), OnTransportReset, garbage on a channel, destroy.
 */
#include "router_test.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <cfidl/bind.h>
#include <cfidl/channel.h>
#include <cfidl/eventpair.h>
#include <cfidl/fd.h>
#include <cfidl/handle.h>
#include <cfidl/vmo.h>
#include <cfidl/wait.h>

#include "cfidl.vsock.h"
#include "fuchsia.virtualization.h"
#include "registry.h"
#include "router.h"
#include "rundir.h"
#include "uds_listener.h"

/* ---- the daemon side ---- */

typedef struct fx {
	char dir[64];
	char path[128];
	cfidl_loop_t *loop;
	cfv_router_t *r;
	cfv_registry_t *reg;
	zx_status_t refuse; /* on_register answers this if set */
	int registers;
	uint32_t last_cid;
	int gone;
	uint32_t gone_cid;
} fx_t;

static zx_status_t on_register(void *ctx, uint32_t cid,
                               cfv_shm_handles_t *for_guest)
{
	fx_t *f = ctx;

	f->registers++;
	f->last_cid = cid;
	/* Handles even when refusing: the registry must close them. */
	ASSERT_OK(zx_vmo_create(4096, 0, &for_guest->rings));
	ASSERT_OK(zx_event_create(0, &for_guest->guest_doorbell));
	ASSERT_OK(zx_event_create(0, &for_guest->host_doorbell));
	return f->refuse;
}

static void on_gone(void *ctx, uint32_t cid)
{
	fx_t *f = ctx;

	f->gone++;
	f->gone_cid = cid;
}

static void fx_init(fx_t *f)
{
	static const cfv_registry_callbacks_t cb = {on_register, on_gone};
	struct stat st;

	memset(f, 0, sizeof(*f));
	rd_tmpdir(f->dir, sizeof(f->dir));
	ASSERT_OK(cfv_rundir_registry_path(f->path, sizeof(f->path), f->dir));
	ASSERT_OK(cfidl_loop_create(&f->loop));
	ASSERT_OK(cfv_router_create(f->loop, f->dir, &f->r));
	ASSERT_OK(cfv_registry_create(f->loop, f->path, f->r, &cb, f, &f->reg));
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void fx_fini(fx_t *f)
{
	struct stat st;

	cfv_registry_destroy(f->reg);
	assert_int_not_equal(lstat(f->path, &st), 0); /* unlinked */
	cfv_router_destroy(f->r);
	cfidl_loop_run_until_idle(f->loop);
	cfidl_loop_destroy(f->loop);
	rd_rmdir(f->dir);
}

/* ---- a guest program's side ---- */

typedef struct guest {
	fx_t *f;
	cfidl_client_t *c;
	bool done;
	zx_status_t status;
	uint32_t cid;
	cfv_shm_handles_t h;
	uint32_t reset_cid;
	int resets;
	zx_status_t error;
} guest_t;

static void on_reset(void *ctx, uint32_t new_cid)
{
	guest_t *g = ctx;

	g->resets++;
	g->reset_cid = new_cid;
}

static void on_event(void *ctx, fidl_incoming_msg_t *msg)
{
	static const cfidl_vsock_GuestRegistry_event_handlers_t h = {
	    .OnTransportReset = on_reset};

	ASSERT_OK(cfidl_vsock_GuestRegistry_handle_event(&h, ctx, msg));
}

static void on_error(void *ctx, zx_status_t status)
{
	((guest_t *)ctx)->error = status;
}

/* Connects to registry.sock as a guest program does. */
static void guest_open(guest_t *g, fx_t *f)
{
	static const cfidl_client_handlers_t h = {on_event, on_error};
	zx_handle_t ch;
	int fd;

	memset(g, 0, sizeof(*g));
	g->f = f;
	ASSERT_OK(cfv_uds_connect(f->path, SOCK_SEQPACKET, &fd));
	ASSERT_OK(cfidl_channel_adopt_fd(fd, &ch));
	ASSERT_OK(cfidl_client_create(f->loop, ch, &h, g, &g->c));
}

static void guest_close(guest_t *g)
{
	cfidl_client_destroy(g->c);
	g->c = NULL;
	zx_handle_close(g->h.rings);
	zx_handle_close(g->h.guest_doorbell);
	zx_handle_close(g->h.host_doorbell);
	memset(&g->h, 0, sizeof(g->h));
}

static void on_reply(void *ctx, zx_status_t status, fidl_incoming_msg_t *msg)
{
	guest_t *g = ctx;
	cfidl_vsock_GuestRegistry_Register_Result *r;
	const cfidl_vsock_GuestRegistry_Register_Response *ok;
	const int32_t *err;

	g->done = true;
	g->status = status;
	if (status != ZX_OK)
		return;
	ASSERT_OK(cfidl_vsock_GuestRegistryRegister_decode_response(msg, &r));
	ok = cfidl_vsock_GuestRegistry_Register_Result_get_response(r);
	err = cfidl_vsock_GuestRegistry_Register_Result_get_err(r);
	if (err) {
		g->status = *err;
		return;
	}
	assert_non_null(ok);
	g->cid = ok->cid;
	g->h.rings = ok->rings;
	g->h.guest_doorbell = ok->guest_doorbell;
	g->h.host_doorbell = ok->host_doorbell;
}

static zx_status_t guest_register(guest_t *g, uint32_t requested)
{
	g->done = false;
	ASSERT_OK(cfidl_vsock_GuestRegistryRegister_async(g->c, requested,
	                                                  on_reply, g));
	VT_RUN_UNTIL(g->f->loop, g->done);
	return g->status;
}

static zx_obj_type_t type_of(zx_handle_t h)
{
	zx_info_handle_basic_t info;

	ASSERT_OK(zx_object_get_info(h, ZX_INFO_HANDLE_BASIC, &info,
	                             sizeof(info), NULL, NULL));
	return info.type;
}

/* ---- tests ---- */

static void register_next_cid(void **state)
{
	fx_t f;
	guest_t a, b;

	(void)state;
	fx_init(&f);
	guest_open(&a, &f);
	guest_open(&b, &f);
	ASSERT_OK(guest_register(&a, 0));
	assert_int_equal(a.cid, 3);
	assert_int_equal(f.last_cid, 3);
	assert_int_equal(type_of(a.h.rings), ZX_OBJ_TYPE_VMO);
	assert_int_equal(type_of(a.h.guest_doorbell), ZX_OBJ_TYPE_EVENT);
	assert_int_equal(type_of(a.h.host_doorbell), ZX_OBJ_TYPE_EVENT);
	/* 3 is a's, though the router may not know it yet. */
	ASSERT_OK(guest_register(&b, 0));
	assert_int_equal(b.cid, 4);
	assert_int_equal(cfv_registry_count(f.reg), 2);
	guest_close(&a);
	guest_close(&b);
	VT_RUN_UNTIL(f.loop, f.gone == 2);
	assert_int_equal(cfv_registry_count(f.reg), 0);
	fx_fini(&f);
}

static void requested_reserved_taken(void **state)
{
	fx_t f;
	guest_t a, b;
	zx_handle_t c, s;

	(void)state;
	fx_init(&f);
	guest_open(&a, &f);
	guest_open(&b, &f);
	ASSERT_OK(guest_register(&a, 7));
	assert_int_equal(a.cid, 7);
	ASSERT_ST(guest_register(&b, 7), ZX_ERR_ALREADY_EXISTS);
	ASSERT_ST(guest_register(&b, 1), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(guest_register(&b, 2), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(guest_register(&b, 0xFFFFFFFFu), ZX_ERR_INVALID_ARGS);
	/* The router's guests are taken too. */
	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_OK(cfv_router_add_guest(f.r, 3, c));
	ASSERT_ST(guest_register(&b, 3), ZX_ERR_ALREADY_EXISTS);
	assert_int_equal(f.registers, 1); /* refusals never asked the daemon */
	ASSERT_OK(guest_register(&b, 0));
	assert_int_equal(b.cid, 4);
	/* One Register per channel. */
	ASSERT_ST(guest_register(&b, 0), ZX_ERR_BAD_STATE);
	zx_handle_close(s);
	guest_close(&a);
	guest_close(&b);
	VT_RUN_UNTIL(f.loop, f.gone == 2);
	fx_fini(&f);
}

static void daemon_refuses(void **state)
{
	fx_t f;
	guest_t a;

	(void)state;
	fx_init(&f);
	f.refuse = ZX_ERR_NO_RESOURCES;
	guest_open(&a, &f);
	ASSERT_ST(guest_register(&a, 0), ZX_ERR_NO_RESOURCES);
	assert_int_equal(cfv_registry_count(f.reg), 0);
	/* Refused, so its channel closing is no death. */
	guest_close(&a);
	vt_run_for(f.loop, ZX_MSEC(20));
	assert_int_equal(f.gone, 0);
	/* A new try after a refusal works. */
	f.refuse = ZX_OK;
	guest_open(&a, &f);
	ASSERT_ST(guest_register(&a, 0), ZX_OK);
	guest_close(&a);
	VT_RUN_UNTIL(f.loop, f.gone == 1);
	fx_fini(&f);
}

static void gone_frees_cid(void **state)
{
	fx_t f;
	guest_t a, b;

	(void)state;
	fx_init(&f);
	guest_open(&a, &f);
	ASSERT_OK(guest_register(&a, 0));
	assert_int_equal(a.cid, 3);
	/* The guest process dies: its channel closes. */
	guest_close(&a);
	VT_RUN_UNTIL(f.loop, f.gone == 1);
	assert_int_equal(f.gone_cid, 3);
	guest_open(&b, &f);
	ASSERT_OK(guest_register(&b, 0));
	assert_int_equal(b.cid, 3);
	guest_close(&b);
	VT_RUN_UNTIL(f.loop, f.gone == 2);
	/* A connection that never registered: no on_gone. */
	guest_open(&a, &f);
	vt_run_for(f.loop, ZX_MSEC(10));
	guest_close(&a);
	vt_run_for(f.loop, ZX_MSEC(20));
	assert_int_equal(f.gone, 2);
	fx_fini(&f);
}

static void transport_reset(void **state)
{
	fx_t f;
	guest_t a;

	(void)state;
	fx_init(&f);
	guest_open(&a, &f);
	ASSERT_OK(guest_register(&a, 0));
	ASSERT_OK(cfv_registry_send_transport_reset(f.reg, 3, 3));
	VT_RUN_UNTIL(f.loop, a.resets == 1);
	assert_int_equal(a.reset_cid, 3);
	/* A new CID: the registry follows it. */
	ASSERT_OK(cfv_registry_send_transport_reset(f.reg, 3, 9));
	VT_RUN_UNTIL(f.loop, a.resets == 2);
	assert_int_equal(a.reset_cid, 9);
	ASSERT_ST(cfv_registry_send_transport_reset(f.reg, 3, 3),
	          ZX_ERR_NOT_FOUND);
	guest_close(&a);
	VT_RUN_UNTIL(f.loop, f.gone == 1);
	assert_int_equal(f.gone_cid, 9);
	fx_fini(&f);
}

static void garbage_closes_only_that_channel(void **state)
{
	fx_t f;
	guest_t a;
	zx_handle_t ch;
	int fd;
	zx_signals_t sig;

	(void)state;
	fx_init(&f);
	ASSERT_OK(cfv_uds_connect(f.path, SOCK_SEQPACKET, &fd));
	ASSERT_OK(cfidl_channel_adopt_fd(fd, &ch));
	ASSERT_OK(zx_channel_write(ch, 0, "garbage!", 8, NULL, 0));
	VT_RUN_UNTIL(f.loop, zx_object_wait_one(ch, ZX_CHANNEL_PEER_CLOSED, 0,
	                                        &sig) == ZX_OK);
	zx_handle_close(ch);
	/* A raw socket peer that is no channel at all. */
	ASSERT_OK(cfv_uds_connect(f.path, SOCK_SEQPACKET, &fd));
	assert_int_equal(send(fd, "x", 1, MSG_NOSIGNAL), 1);
	vt_run_for(f.loop, ZX_MSEC(20));
	close(fd);
	guest_open(&a, &f);
	ASSERT_OK(guest_register(&a, 0));
	assert_int_equal(a.cid, 3);
	guest_close(&a);
	VT_RUN_UNTIL(f.loop, f.gone == 1);
	fx_fini(&f);
}

static void bind_in_process_and_destroy(void **state)
{
	fx_t f;
	guest_t a;
	zx_handle_t c, s;
	static const cfidl_client_handlers_t h = {on_event, on_error};

	(void)state;
	fx_init(&f);
	memset(&a, 0, sizeof(a));
	a.f = &f;
	ASSERT_OK(zx_channel_create(0, &c, &s));
	ASSERT_OK(cfv_registry_bind(f.reg, s));
	ASSERT_OK(cfidl_client_create(f.loop, c, &h, &a, &a.c));
	ASSERT_OK(guest_register(&a, 5));
	assert_int_equal(a.cid, 5);
	/* Destroy: the guest sees its channel close, on_gone is not called
	 * (the daemon tears its guests down itself). */
	cfv_registry_destroy(f.reg);
	f.reg = NULL;
	VT_RUN_UNTIL(f.loop, a.error != ZX_OK);
	assert_int_equal(f.gone, 0);
	guest_close(&a);
	fx_fini(&f);
}

static void socket_in_use(void **state)
{
	fx_t f;
	cfv_registry_t *again = NULL;
	static const cfv_registry_callbacks_t cb = {on_register, on_gone};

	(void)state;
	fx_init(&f);
	ASSERT_ST(cfv_registry_create(f.loop, f.path, f.r, &cb, &f, &again),
	          ZX_ERR_ADDRESS_IN_USE);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(register_next_cid),
	    RT_TEST(requested_reserved_taken),
	    RT_TEST(daemon_refuses),
	    RT_TEST(gone_frees_cid),
	    RT_TEST(transport_reset),
	    RT_TEST(garbage_closes_only_that_channel),
	    RT_TEST(bind_in_process_and_destroy),
	    RT_TEST(socket_in_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
