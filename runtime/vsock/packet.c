/* packet.c: names and builders for virtio-vsock packet headers. */
#include <string.h>

#include "packet.h"

const char *cfv_op_name(uint16_t op)
{
	static const char *const names[] = {
	    "INVALID",  "REQUEST", "RESPONSE",      "RST",
	    "SHUTDOWN", "RW",      "CREDIT_UPDATE", "CREDIT_REQUEST",
	};

	return op < sizeof(names) / sizeof(names[0]) ? names[op] : "UNKNOWN";
}

void cfv_hdr_init(cfv_hdr_t *h, uint32_t local_cid, const cfv_key_t *key,
                  uint16_t op, uint32_t flags)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = local_cid;
	h->dst_cid = key->remote_cid;
	h->src_port = key->local_port;
	h->dst_port = key->remote_port;
	h->type = CFV_TYPE_STREAM;
	h->op = op;
	h->flags = flags;
}
