/* VMOs: sizes, read/write, resize, map, and sealing across processes. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_test.h"

static uint64_t page(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static void create_read_write(void **state)
{
	zx_handle_t v;
	uint64_t size;
	char buf[16];

	(void)state;
	ASSERT_ST(zx_vmo_create(10, 1, &v), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_vmo_create(10, 0, NULL), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(zx_vmo_create(CFIDL_VMO_MAX_SIZE + 1, 0, &v),
	          ZX_ERR_OUT_OF_RANGE);
	ASSERT_OK(zx_vmo_create(10, 0, &v));
	ASSERT_OK(zx_vmo_get_size(v, &size));
	assert_int_equal(size, page()); /* rounded up to a page */
	assert_int_equal(rt_info(v).rights, ZX_DEFAULT_VMO_RIGHTS);
	ASSERT_OK(zx_vmo_read(v, buf, 0, sizeof(buf)));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0); /* zero-filled */
	ASSERT_OK(zx_vmo_write(v, "0123456789", page() - 10, 10));
	ASSERT_OK(zx_vmo_read(v, buf, page() - 4, 4));
	assert_memory_equal(buf, "6789", 4);
	ASSERT_ST(zx_vmo_write(v, "x", page(), 1), ZX_ERR_OUT_OF_RANGE);
	ASSERT_ST(zx_vmo_read(v, buf, page() - 1, 2), ZX_ERR_OUT_OF_RANGE);
	ASSERT_ST(zx_vmo_read(v, buf, UINT64_MAX, 2), ZX_ERR_OUT_OF_RANGE);
	ASSERT_OK(zx_vmo_read(v, buf, page(), 0));
	/* Not resizable: no RESIZE right. */
	assert_false(rt_info(v).rights & ZX_RIGHT_RESIZE);
	ASSERT_ST(zx_vmo_set_size(v, 2 * page()), ZX_ERR_ACCESS_DENIED);
	ASSERT_ST(zx_vmo_get_size(v, NULL), ZX_ERR_INVALID_ARGS);
	/* Rights and types. */
	zx_handle_t ro, e;
	ASSERT_OK(zx_handle_duplicate(v, ZX_RIGHT_READ, &ro));
	ASSERT_ST(zx_vmo_write(ro, "x", 0, 1), ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_vmo_read(ro, buf, 0, 1));
	ASSERT_OK(zx_event_create(0, &e));
	ASSERT_ST(zx_vmo_read(e, buf, 0, 1), ZX_ERR_WRONG_TYPE);
	ASSERT_ST(zx_vmo_read(0x9993u, buf, 0, 1), ZX_ERR_BAD_HANDLE);
	zx_handle_t all[] = {v, ro, e};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

static void resize(void **state)
{
	zx_handle_t v, noresize;
	uint64_t size;
	char buf[4];

	(void)state;
	ASSERT_OK(zx_vmo_create(page(), ZX_VMO_RESIZABLE, &v));
	assert_true(rt_info(v).rights & ZX_RIGHT_RESIZE);
	ASSERT_OK(zx_vmo_set_size(v, 3 * page() + 1));
	ASSERT_OK(zx_vmo_get_size(v, &size));
	assert_int_equal(size, 4 * page());
	ASSERT_OK(zx_vmo_write(v, "end", 4 * page() - 3, 3));
	ASSERT_OK(zx_vmo_set_size(v, page()));
	ASSERT_OK(zx_vmo_get_size(v, &size));
	assert_int_equal(size, page());
	ASSERT_ST(zx_vmo_read(v, buf, 2 * page(), 1), ZX_ERR_OUT_OF_RANGE);
	ASSERT_ST(zx_vmo_set_size(v, CFIDL_VMO_MAX_SIZE + 1),
	          ZX_ERR_OUT_OF_RANGE);
	ASSERT_OK(zx_handle_duplicate(v, ZX_RIGHT_WRITE, &noresize));
	ASSERT_ST(zx_vmo_set_size(noresize, 2 * page()), ZX_ERR_ACCESS_DENIED);
	zx_handle_t all[] = {v, noresize};
	ASSERT_OK(zx_handle_close_many(all, 2));
}

static void map_unmap(void **state)
{
	zx_handle_t v, nomap, ro;
	void *p, *q;
	char buf[8];

	(void)state;
	ASSERT_OK(zx_vmo_create(2 * page(), 0, &v));
	ASSERT_OK(cfidl_vmo_map(v, 0, 2 * page(),
	                        ZX_VM_PERM_READ | ZX_VM_PERM_WRITE, &p));
	memcpy((char *)p + page(), "mapped", 6);
	ASSERT_OK(zx_vmo_read(v, buf, page(), 6));
	assert_memory_equal(buf, "mapped", 6);
	ASSERT_OK(zx_vmo_write(v, "back", 0, 4));
	assert_memory_equal(p, "back", 4);
	/* Offsets must be page aligned and inside. */
	ASSERT_ST(cfidl_vmo_map(v, 1, page(), ZX_VM_PERM_READ, &q),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_ST(cfidl_vmo_map(v, page(), 2 * page(), ZX_VM_PERM_READ, &q),
	          ZX_ERR_OUT_OF_RANGE);
	ASSERT_ST(cfidl_vmo_map(v, 0, 0, ZX_VM_PERM_READ, &q),
	          ZX_ERR_INVALID_ARGS);
	ASSERT_ST(cfidl_vmo_map(v, 0, page(), 1u << 7, &q),
	          ZX_ERR_INVALID_ARGS);
	/* Rights: MAP, and READ/WRITE per permission. */
	ASSERT_OK(
	    zx_handle_duplicate(v, ZX_RIGHT_READ | ZX_RIGHT_WRITE, &nomap));
	ASSERT_ST(cfidl_vmo_map(nomap, 0, page(), ZX_VM_PERM_READ, &q),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(zx_handle_duplicate(v, ZX_RIGHT_READ | ZX_RIGHT_MAP, &ro));
	ASSERT_ST(cfidl_vmo_map(ro, 0, page(), ZX_VM_PERM_WRITE, &q),
	          ZX_ERR_ACCESS_DENIED);
	ASSERT_OK(cfidl_vmo_map(ro, 0, page(), ZX_VM_PERM_READ, &q));
	assert_memory_equal(q, "back", 4);
	/* The mapping outlives the handles. */
	zx_handle_t all[] = {v, nomap, ro};
	ASSERT_OK(zx_handle_close_many(all, 3));
	assert_memory_equal((char *)p + page(), "mapped", 6);
	ASSERT_OK(cfidl_vmo_unmap(q, page()));
	ASSERT_OK(cfidl_vmo_unmap(p, 2 * page()));
	ASSERT_ST(cfidl_vmo_unmap(NULL, page()), ZX_ERR_INVALID_ARGS);
	ASSERT_ST(cfidl_vmo_unmap((char *)p + 1, page()), ZX_ERR_INVALID_ARGS);
}

static void resizable_sealed_when_mapped(void **state)
{
	zx_handle_t v;
	void *p;

	(void)state;
	ASSERT_OK(zx_vmo_create(2 * page(), ZX_VMO_RESIZABLE, &v));
	ASSERT_OK(zx_vmo_set_size(v, page()));
	ASSERT_OK(cfidl_vmo_map(v, 0, page(), ZX_VM_PERM_READ, &p));
	/* Mapped: may grow, may not shrink. */
	ASSERT_OK(zx_vmo_set_size(v, 3 * page()));
	ASSERT_ST(zx_vmo_set_size(v, page()), ZX_ERR_BAD_STATE);
	ASSERT_OK(cfidl_vmo_unmap(p, page()));
	ASSERT_OK(zx_handle_close(v));
}

/*
 * The receiver maps a VMO it was sent; the sender, who kept a duplicate,
 * tries to shrink it and fails, so the receiver's mapping stays good.
 */
static void receiver_cannot_be_made_to_fault(void **state)
{
	zx_handle_t a, b, v, keep, ack0, ack1;
	zx_handle_disposition_t d[2];
	char buf[8];
	uint32_t nb;
	pid_t pid;
	int status;

	(void)state;
	ASSERT_OK(zx_channel_create(0, &a, &b));
	ASSERT_OK(zx_channel_create(0, &ack0, &ack1));
	ASSERT_OK(zx_vmo_create(4 * page(), ZX_VMO_RESIZABLE, &v));
	ASSERT_OK(zx_vmo_write(v, "page3", 3 * page(), 5));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		zx_handle_t got;
		char *p;
		uint32_t nh;
		int ok;

		zx_handle_close(a);
		zx_handle_close(v);
		zx_handle_close(ack0);
		zx_object_wait_one(b, ZX_CHANNEL_READABLE, ZX_TIME_INFINITE,
		                   NULL);
		if (zx_channel_read(b, 0, buf, &got, sizeof(buf), 1, &nb,
		                    &nh) != ZX_OK ||
		    cfidl_vmo_map(got, 0, 4 * page(), ZX_VM_PERM_READ,
		                  (void **)&p) != ZX_OK)
			_exit(2);
		zx_channel_write(ack1, 0, "mapped", 6, NULL, 0);
		/* Wait for the sender's shrink attempt, then touch the end. */
		zx_object_wait_one(b,
		                   ZX_CHANNEL_READABLE | ZX_CHANNEL_PEER_CLOSED,
		                   ZX_TIME_INFINITE, NULL);
		ok = memcmp(p + 3 * page(), "page3", 5) == 0;
		_exit(ok ? 0 : 3);
	}
	ASSERT_OK(zx_handle_close(b));
	ASSERT_OK(zx_handle_close(ack1));
	d[0] = (zx_handle_disposition_t){ZX_HANDLE_OP_DUPLICATE, v,
	                                 ZX_OBJ_TYPE_VMO, ZX_RIGHT_SAME_RIGHTS,
	                                 ZX_OK};
	ASSERT_OK(zx_channel_write_etc(a, 0, "vmo", 3, d, 1));
	keep = v;
	ASSERT_OK(zx_object_wait_one(ack0, ZX_CHANNEL_READABLE,
	                             zx_deadline_after(ZX_SEC(10)), NULL));
	/* Sealed when sent: shrinking fails, growing is still fine. */
	ASSERT_ST(zx_vmo_set_size(keep, page()), ZX_ERR_BAD_STATE);
	ASSERT_OK(zx_vmo_set_size(keep, 5 * page()));
	ASSERT_OK(zx_channel_write(a, 0, "go", 2, NULL, 0));
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	zx_handle_t all[] = {a, keep, ack0};
	ASSERT_OK(zx_handle_close_many(all, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RT_TEST(create_read_write),
	    RT_TEST(resize),
	    RT_TEST(map_unmap),
	    RT_TEST(resizable_sealed_when_mapped),
	    RT_TEST(receiver_cannot_be_made_to_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
