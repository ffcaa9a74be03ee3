// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftables rules of the director, built with libnftnl into one batch.  See
 * ruleset.h for the shape; the chains, in hook order on prerouting:
 *
 *   queue_new  mangle      new flow to a VIP -> NFQUEUE (bypass if no one
 *                          listens, so traffic is never blackholed), or
 *                          first to its service's ks<id> chain where the
 *                          kernel schedules (ksched.h): conntrack mark
 *   mark_new   mangle + 10 a FIN or RST: conntrack events from now on;
 *                          a new scheduled connection: the verdict's mark
 *                          -> conntrack mark, goto conn_new
 *   conn_new   (regular)   the connection's event mask and timeout policy
 *   nat_pre    dstnat      DNAT by conntrack mark through @nat4/@nat6
 *
 * The expressions follow what `nft --debug=netlink` prints for the same
 * rules, so `nft list ruleset` shows them in nft's own syntax.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <libnftnl/chain.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter_ipv4.h>

#include "config.h"
#include "packet.h"
#include "ruleset.h"

/* nftables' datatype ids (nftables include/datatype.h) */
#define TYPE_IPADDR		7
#define TYPE_IP6ADDR		8
#define TYPE_INET_PROTOCOL	12
#define TYPE_INET_SERVICE	13
#define TYPE_MARK		19
#define TYPE_BITS		6
#define CONCAT2(a, b)		(((a) << TYPE_BITS) | (b))
#define CONCAT3(a, b, c)	(CONCAT2(CONCAT2(a, b), c))
#define CONCAT4(a, b, c, d)	(CONCAT2(CONCAT3(a, b, c), d))
#define BYTEORDER_HOST		1

#define XT_ALIGNED_NFQ	8	/* XT_ALIGN(sizeof(struct xt_NFQ_info_v3)) */

/*
 * The two sets (IPv4, IPv6) of a kind: address . protocol . port, and
 * maps from a mark (host order) to data of type @dt, @dl bytes (IPv4)
 * or @dl6 (IPv6).
 */
#define SVCSETS(n4, n6, i, text) \
	{ .name = n4, .id = i, .key_len = 12, \
	  .key_type = CONCAT3(TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), \
	  .comment = text }, \
	{ .name = n6, .id = (i) + 1, .key_len = 24, \
	  .key_type = CONCAT3(TYPE_IP6ADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE), \
	  .comment = text }
#define MARKMAP(nm, i, dt, dl, text) \
	{ .name = nm, .id = i, .flags = NFT_SET_MAP, \
	  .key_type = TYPE_MARK, .key_len = 4, .key_host_order = true, \
	  .data_type = dt, .data_len = dl, .comment = text }

/*
 * The kernel wants an id for every new set, unique within the batch: the
 * named sets take theirs from the tables below (1..), the anonymous
 * { tcp, udp, sctp } sets of the NAT rules from SET_ID_ANON on.
 */
#define SET_ID_ANON	100
/* and the map of chain ks<id> from KS_SET_ID + id (a batch of its own) */
#define KS_SET_ID	1000
/* the bytes of a DR SYN the log gives the director: its headers */
#define KS_LOG_COPY	128

struct rs_ctx {
	struct nft_batch *b;
	const struct ruleset *rs;
	int err;
};

/* Families we use: where the queue rule and service sets live. */
static int qfamily(const struct ruleset *rs, uint8_t af)
{
	if (rs->native_queue)
		return NFPROTO_INET;
	return af == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

static void put_udata_comment(struct nftnl_udata_buf *u, uint8_t type,
			      const char *comment)
{
	nftnl_udata_put_strz(u, type, comment);
}

/* ---- generic message helpers ------------------------------------------ */

/* The next message of the batch; NULL (c->err set) when out of memory. */
static struct nlmsghdr *batch_msg(struct rs_ctx *c, uint16_t type, int family,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = nft_batch_msg(c->b, type, family, flags);

	if (!nlh)
		c->err = -ENOMEM;
	return nlh;
}

/* What a build ends with: its first error, or running out of memory. */
static int build_result(const struct rs_ctx *c)
{
	return c->err ? c->err : (c->b->nomem ? -ENOMEM : 0);
}

static void msg_table(struct rs_ctx *c, uint16_t type, int family,
		      uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(128);
	struct nlmsghdr *nlh;

	if (!t || !u) {
		c->err = -ENOMEM;
		goto out;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, c->rs->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	if (type == NFT_MSG_NEWTABLE) {
		put_udata_comment(u, NFTNL_UDATA_TABLE_COMMENT,
				  "managed by nflvs-director, do not edit");
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA,
				     nftnl_udata_buf_data(u),
				     nftnl_udata_buf_len(u));
	}
	nlh = batch_msg(c, type, family, flags);
	if (nlh)
		nftnl_table_nlmsg_build_payload(nlh, t);
	nft_batch_next(c->b);
out:
	nftnl_udata_buf_free(u);
	nftnl_table_free(t);
}

/* NEWCHAIN (@type NULL: a regular chain) or DELCHAIN (@msg), which takes
 * the chain's rules with it */
static void chain_msg(struct rs_ctx *c, uint16_t msg, int family,
		      const char *name, const char *type, int hook, int prio)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!ch) {
		c->err = -ENOMEM;
		return;
	}
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, c->rs->table);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, family);
	if (type) {
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = batch_msg(c, msg, family, msg == NFT_MSG_NEWCHAIN ?
			NLM_F_CREATE | NLM_F_EXCL : 0);
	if (nlh)
		nftnl_chain_nlmsg_build_payload(nlh, ch);
	nft_batch_next(c->b);
	nftnl_chain_free(ch);
}

static void msg_chain(struct rs_ctx *c, int family, const char *name,
		      const char *type, int hook, int prio)
{
	chain_msg(c, NFT_MSG_NEWCHAIN, family, name, type, hook, prio);
}

static void msg_chain_del(struct rs_ctx *c, int family, const char *name)
{
	chain_msg(c, NFT_MSG_DELCHAIN, family, name, NULL, 0, 0);
}

/*
 * A named set or map, or (@id != 0 and name "__set%d") an anonymous
 * constant set referenced from a rule of the same batch.
 */
struct set_spec {
	const char *name;
	uint32_t id;
	uint32_t flags;
	uint32_t obj_type;		/* NFT_SET_OBJECT maps */
	uint32_t size;			/* dynamic sets: how many elements */
	uint32_t key_type, key_len;
	uint32_t data_type, data_len;
	bool key_host_order;
	bool data_host_order;
	const char *comment;
};

static struct nftnl_set *set_new(const struct ruleset *rs, int family,
				 const struct set_spec *sp)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *u;

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, rs->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sp->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
	if (sp->id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, sp->id);
	if (!sp->key_len)
		return s;	/* only names the set, for element messages */
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, sp->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, sp->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, sp->key_len);
	if (sp->size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, sp->size);
	if (sp->flags & NFT_SET_OBJECT)
		nftnl_set_set_u32(s, NFTNL_SET_OBJ_TYPE, sp->obj_type);
	else if (sp->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, sp->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, sp->data_len);
	}
	u = nftnl_udata_buf_alloc(256);
	if (!u) {
		nftnl_set_free(s);
		return NULL;
	}
	/* lets `nft list` print host-order keys (marks) correctly */
	if (sp->key_host_order)
		nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER,
				    BYTEORDER_HOST);
	if (sp->data_host_order)
		nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER,
				    BYTEORDER_HOST);
	if (sp->comment)
		put_udata_comment(u, NFTNL_UDATA_SET_COMMENT, sp->comment);
	if (nftnl_udata_buf_len(u))
		nftnl_set_set_data(s, NFTNL_SET_USERDATA,
				   nftnl_udata_buf_data(u),
				   nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	return s;
}

static void msg_set(struct rs_ctx *c, int family, const struct set_spec *sp)
{
	struct nftnl_set *s = set_new(c->rs, family, sp);
	struct nlmsghdr *nlh;

	if (!s) {
		c->err = -ENOMEM;
		return;
	}
	nlh = batch_msg(c, NFT_MSG_NEWSET, family, NLM_F_CREATE | NLM_F_EXCL);
	if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
	nft_batch_next(c->b);
	nftnl_set_free(s);
}

/* One element message: key (and data for maps, timeout for flows). */
static void msg_elem_t(struct rs_ctx *c, int family, const struct set_spec *sp,
		       const void *key, size_t klen, const void *data,
		       size_t dlen, bool del, uint64_t timeout_ms)
{
	struct nftnl_set *s = set_new(c->rs, family, sp);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nlmsghdr *nlh;

	if (!s || !e) {
		c->err = -ENOMEM;
		nftnl_set_free(s);
		nftnl_set_elem_free(e);
		return;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
	if (data && (sp->flags & NFT_SET_OBJECT)) {
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_OBJREF, data);
	} else if (data && sp->data_type == NFT_DATA_VERDICT) {
		/* a verdict map's data: jump to the chain named */
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, NFT_JUMP);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, data);
	} else if (data) {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, dlen);
	}
	if (timeout_ms && !del)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	nftnl_set_elem_add(s, e);
	nlh = batch_msg(c, del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM,
			family, del ? 0 : NLM_F_CREATE);
	if (nlh)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nft_batch_next(c->b);
	nftnl_set_free(s);
}

static void msg_elem(struct rs_ctx *c, int family, const struct set_spec *sp,
		     const void *key, size_t klen, const void *data,
		     size_t dlen, bool del)
{
	msg_elem_t(c, family, sp, key, klen, data, dlen, del, 0);
}

/* ---- expressions ------------------------------------------------------ */

static void add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(r, e);
}

/* An expression whose attributes are all u32: EX("meta", {KEY, k}, ...) */
struct ex_attr {
	uint16_t type;
	uint32_t val;
};

static struct nftnl_expr *ex_u32(const char *name, const struct ex_attr *a,
				 size_t n)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);
	size_t i;

	for (i = 0; e && i < n; i++)
		nftnl_expr_set_u32(e, a[i].type, a[i].val);
	return e;
}

#define EX(name, ...) \
	ex_u32(name, (const struct ex_attr[]){ __VA_ARGS__ }, \
	       sizeof((const struct ex_attr[]){ __VA_ARGS__ }) / \
	       sizeof(struct ex_attr))

static struct nftnl_expr *ex_payload(uint32_t base, uint32_t off,
				     uint32_t len, uint32_t dreg)
{
	return EX("payload", { NFTNL_EXPR_PAYLOAD_BASE, base },
		  { NFTNL_EXPR_PAYLOAD_OFFSET, off },
		  { NFTNL_EXPR_PAYLOAD_LEN, len },
		  { NFTNL_EXPR_PAYLOAD_DREG, dreg });
}

static struct nftnl_expr *ex_meta(uint32_t key, uint32_t dreg)
{
	return EX("meta", { NFTNL_EXPR_META_KEY, key },
		  { NFTNL_EXPR_META_DREG, dreg });
}

static struct nftnl_expr *ex_meta_set(uint32_t key, uint32_t sreg)
{
	return EX("meta", { NFTNL_EXPR_META_KEY, key },
		  { NFTNL_EXPR_META_SREG, sreg });
}

static struct nftnl_expr *ex_ct_load(uint32_t key, uint32_t dreg)
{
	return EX("ct", { NFTNL_EXPR_CT_KEY, key }, { NFTNL_EXPR_CT_DREG, dreg });
}

static struct nftnl_expr *ex_ct_set(uint32_t key, uint32_t sreg)
{
	return EX("ct", { NFTNL_EXPR_CT_KEY, key }, { NFTNL_EXPR_CT_SREG, sreg });
}

static struct nftnl_expr *ex_cmp(uint32_t op, uint32_t sreg, const void *data,
				 uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return e;
}

/* reg = reg & mask (32-bit, host order values such as marks) */
static struct nftnl_expr *ex_and32(uint32_t reg, uint32_t mask)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	return e;
}

static struct nftnl_expr *ex_lookup(uint32_t sreg, const char *set,
				    uint32_t set_id, int dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (set_id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	return e;
}

static struct nftnl_expr *ex_verdict(int verdict)
{
	return EX("immediate", { NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT },
		  { NFTNL_EXPR_IMM_VERDICT, verdict });
}

static struct nftnl_expr *ex_counter(void)
{
	return nftnl_expr_alloc("counter");
}

static struct nftnl_expr *ex_queue(const struct ruleset *rs)
{
	struct nftnl_expr *e;

	if (rs->native_queue) {
		e = nftnl_expr_alloc("queue");
		if (!e)
			return NULL;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, rs->queue);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, rs->queues);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS,
				   NFT_QUEUE_FLAG_BYPASS);
	} else {
		/* iptables' -j NFQUEUE --queue-balance A:B --queue-bypass */
		uint8_t *info = calloc(1, XT_ALIGNED_NFQ);
		struct xt_NFQ_info_v3 q = {
			.queuenum = rs->queue,
			.queues_total = rs->queues,
			.flags = NFQ_FLAG_BYPASS,
		};

		e = info ? nftnl_expr_alloc("target") : NULL;
		if (!e) {
			free(info);
			return NULL;
		}
		memcpy(info, &q, sizeof(q));
		nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
		/* libnftnl takes ownership of the info buffer */
		nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, XT_ALIGNED_NFQ);
	}
	return e;
}

/* ct state <bits>: new, untracked */
static void add_ct_state(struct nftnl_rule *r, uint32_t bits)
{
	uint32_t zero = 0;

	add_expr(r, ex_ct_load(NFT_CT_STATE, NFT_REG_1));
	add_expr(r, ex_and32(NFT_REG_1, bits));
	add_expr(r, ex_cmp(NFT_CMP_NEQ, NFT_REG_1, &zero, sizeof(zero)));
}

static void add_ct_new(struct nftnl_rule *r)
{
	add_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
}

/* meta nfproto ipv4|ipv6 */
static void add_nfproto(struct nftnl_rule *r, uint8_t af)
{
	uint8_t p = af == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	add_expr(r, ex_meta(NFT_META_NFPROTO, NFT_REG_1));
	add_expr(r, ex_cmp(NFT_CMP_EQ, NFT_REG_1, &p, sizeof(p)));
}

/* (ct|meta) mark & mask into REG_1 */
static void add_mark_load(struct nftnl_rule *r, bool ct, uint32_t mask)
{
	add_expr(r, ct ? ex_ct_load(NFT_CT_MARK, NFT_REG_1)
		       : ex_meta(NFT_META_MARK, NFT_REG_1));
	add_expr(r, ex_and32(NFT_REG_1, mask));
}

/* (ct|meta) mark & mask != 0 */
static void add_mark_nonzero(struct nftnl_rule *r, bool ct, uint32_t mask)
{
	uint32_t zero = 0;

	add_mark_load(r, ct, mask);
	add_expr(r, ex_cmp(NFT_CMP_NEQ, NFT_REG_1, &zero, sizeof(zero)));
}

/* meta mark & mask == 0: no verdict of the director's on this packet yet */
static void add_mark_zero(struct nftnl_rule *r, uint32_t mask)
{
	uint32_t zero = 0;

	add_mark_load(r, false, mask);
	add_expr(r, ex_cmp(NFT_CMP_EQ, NFT_REG_1, &zero, sizeof(zero)));
}

/* meta l4proto @proto */
static void add_l4proto_is(struct nftnl_rule *r, uint8_t proto)
{
	add_expr(r, ex_meta(NFT_META_L4PROTO, NFT_REG_1));
	add_expr(r, ex_cmp(NFT_CMP_EQ, NFT_REG_1, &proto, 1));
}

/* Where a field is: ip saddr|daddr and th sport|dport of the packet, or
 * (@quoted) of the one an ICMP error quotes after its 8-byte header, with
 * an IPv4 header of 20 bytes or an IPv6 one. */
static uint32_t ip_addr_len(uint8_t af)
{
	return af == AF_INET ? 4 : 16;
}

static uint32_t addr_off(uint8_t af, bool src)
{
	if (af == AF_INET)
		return src ? 12 : 16;
	return src ? 8 : 24;
}

static uint32_t quoted_th_off(uint8_t af)
{
	return 8 + (af == AF_INET ? 20 : 40);
}

static uint32_t quoted_proto_off(uint8_t af)
{
	return 8 + (af == AF_INET ? 9 : 6);
}

/*
 * A concatenation key is loaded field after field from REG32_00 on, each
 * field in as many 32-bit registers as it takes (nft's layout); *@reg is
 * where the next field goes.
 */
static void add_key_field(struct nftnl_rule *r, uint32_t *reg, uint32_t base,
			  uint32_t off, uint32_t len)
{
	add_expr(r, ex_payload(base, off, len, *reg));
	*reg += (len + 3) / 4;
}

static void add_key_addr(struct nftnl_rule *r, uint32_t *reg, uint8_t af,
			 bool src, bool quoted)
{
	if (quoted)
		add_key_field(r, reg, NFT_PAYLOAD_TRANSPORT_HEADER,
			      8 + addr_off(af, src), ip_addr_len(af));
	else
		add_key_field(r, reg, NFT_PAYLOAD_NETWORK_HEADER,
			      addr_off(af, src), ip_addr_len(af));
}

static void add_key_port(struct nftnl_rule *r, uint32_t *reg, uint8_t af,
			 bool src, bool quoted)
{
	add_key_field(r, reg, NFT_PAYLOAD_TRANSPORT_HEADER,
		      (quoted ? quoted_th_off(af) : 0) + (src ? 0 : 2), 2);
}

/* addr . l4proto [. port], the source's or the destination's, into
 * REG32_00.. */
static void add_svc_key(struct nftnl_rule *r, uint8_t af, bool src, bool port)
{
	uint32_t reg = NFT_REG32_00;

	add_key_addr(r, &reg, af, src, false);
	add_expr(r, ex_meta(NFT_META_L4PROTO, reg++));
	if (port)
		add_key_port(r, &reg, af, src, false);
}

static void msg_rule(struct rs_ctx *c, int family, const char *chain,
		     struct nftnl_rule *r, const char *comment)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(256);
	struct nlmsghdr *nlh;

	if (!u) {
		c->err = -ENOMEM;
		nftnl_rule_free(r);
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->rs->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	put_udata_comment(u, NFTNL_UDATA_RULE_COMMENT, comment);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
			    nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
	nlh = batch_msg(c, NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND);
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nft_batch_next(c->b);
	nftnl_rule_free(r);
}

/* A rule of the tables with the service sets (qfamily()). */
static void msg_qrule(struct rs_ctx *c, uint8_t af, const char *chain,
		      struct nftnl_rule *r, const char *comment)
{
	msg_rule(c, qfamily(c->rs, af), chain, r, comment);
}

/* A new rule; NULL (c->err set) when out of memory. */
static struct nftnl_rule *rule_new(struct rs_ctx *c)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		c->err = -ENOMEM;
	return r;
}

/* A new rule of the tables with the service sets: in the inet table, it
 * matches its family first. */
static struct nftnl_rule *qrule_new(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = rule_new(c);

	if (r && c->rs->native_queue)
		add_nfproto(r, af);
	return r;
}

/* A base chain of the tables with the service sets. */
struct qchain {
	const char *name;
	int hook, prio;
};

#define NCHAINS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Make @n chains in the table of @af, once per table: with the native
 * queue, IPv4 and IPv6 share the inet table and its chains.  True when
 * this call made them.
 */
static bool msg_qchains(struct rs_ctx *c, uint8_t af, const struct qchain *ch,
			size_t n)
{
	size_t i;

	if (c->rs->native_queue && af != AF_INET)
		return false;
	for (i = 0; i < n; i++)
		msg_chain(c, qfamily(c->rs, af), ch[i].name, "filter",
			  ch[i].hook, ch[i].prio);
	return true;
}

/* ---- the ruleset ------------------------------------------------------ */

/* What a queue rule matches, each with an IPv4 and an IPv6 set. */
enum qkind {
	Q_FWMARK,	/* meta mark & ~mask: firewall-mark services */
	Q_SERVICE,	/* daddr . l4proto . dport */
	Q_ANYPORT,	/* daddr . l4proto: port 0 services */
	Q_KINDS,
};

static const struct set_spec qset[Q_KINDS][2] = {
	[Q_FWMARK] = {
		{ .name = "fwmarks4", .id = 1, .key_len = 4,
		  .key_type = TYPE_MARK, .key_host_order = true,
		  .comment = "firewall-mark services (IPv4): mark" },
		{ .name = "fwmarks6", .id = 2, .key_len = 4,
		  .key_type = TYPE_MARK, .key_host_order = true,
		  .comment = "firewall-mark services (IPv6): mark" },
	},
	[Q_SERVICE] = {
		SVCSETS("services4", "services6", 3,
			"virtual services: vip . protocol . port"),
	},
	[Q_ANYPORT] = {
		{ .name = "anyport4", .id = 5, .key_len = 8,
		  .key_type = CONCAT2(TYPE_IPADDR, TYPE_INET_PROTOCOL),
		  .comment = "any-port virtual services: vip . protocol" },
		{ .name = "anyport6", .id = 6, .key_len = 20,
		  .key_type = CONCAT2(TYPE_IP6ADDR, TYPE_INET_PROTOCOL),
		  .comment = "any-port virtual services: vip . protocol" },
	},
};

static const char *const qcomment[Q_KINDS] = {
	[Q_FWMARK] = "new connections with a virtual service's firewall mark: scheduled by nflvs-director",
	[Q_SERVICE] = "new connections to a virtual service: scheduled by nflvs-director",
	[Q_ANYPORT] = "new connections to an any-port virtual service: scheduled by nflvs-director",
};

/* NAT maps: [with port][family] */
static const struct set_spec natmap[2][2] = {
	{
		MARKMAP("nat4a", 7, TYPE_IPADDR, 4,
			"NAT real servers keeping the client's port: mark -> address"),
		MARKMAP("nat6a", 8, TYPE_IP6ADDR, 16,
			"NAT real servers keeping the client's port: mark -> address"),
	}, {
		MARKMAP("nat4", 9, CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), 8,
			"NAT real servers: mark -> address . port"),
		MARKMAP("nat6", 10, CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), 20,
			"NAT real servers: mark -> address . port"),
	},
};

static int fam_index(uint8_t af)
{
	return af == AF_INET ? 0 : 1;
}

/*
 * <key> @set, where <key> is
 *   meta mark & ~M                          (Q_FWMARK)
 *   ip daddr . meta l4proto . th dport      (Q_SERVICE)
 *   ip daddr . meta l4proto                 (Q_ANYPORT)
 */
static void add_qkey(struct nftnl_rule *r, const struct ruleset *rs,
		     uint8_t af, enum qkind k)
{
	if (k == Q_FWMARK) {
		add_expr(r, ex_meta(NFT_META_MARK, NFT_REG32_00));
		add_expr(r, ex_and32(NFT_REG32_00, ~rs->mark_mask));
	} else {
		add_svc_key(r, af, false, k == Q_SERVICE);
	}
	add_expr(r, ex_lookup(NFT_REG32_00, qset[k][fam_index(af)].name, 0, -1));
}

/*
 * ct state & new == 0 accept: the rules after it are for new connections
 * only, and a packet of an established one (NAT), or an untracked one
 * (DR, after the one-packet rule), leaves at this one compare.
 */
static void rule_queue_not_new(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = qrule_new(c, af);
	uint32_t zero = 0;

	if (!r)
		return;
	add_expr(r, ex_ct_load(NFT_CT_STATE, NFT_REG_1));
	add_expr(r, ex_and32(NFT_REG_1, NF_CT_STATE_BIT(IP_CT_NEW)));
	add_expr(r, ex_cmp(NFT_CMP_EQ, NFT_REG_1, &zero, sizeof(zero)));
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "queue_new", r,
		 "not a new connection: nothing below is for it");
}

/* ct state new <key> @set counter queue */
static void rule_queue_new(struct rs_ctx *c, uint8_t af, enum qkind k)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	add_ct_new(r);
	add_qkey(r, c->rs, af, k);
	add_expr(r, ex_counter());
	add_expr(r, ex_queue(c->rs));
	msg_qrule(c, af, "queue_new", r, qcomment[k]);
}

/* ---- kernel scheduling (ksched.h) ------------------------------------- */

#define TYPE_INTEGER	4

/* vip . protocol . port -> jump ks<id>: the services the kernel schedules */
static const struct set_spec ksmap[2] = {
	{ .name = "ksched4", .id = 70, .flags = NFT_SET_MAP, .key_len = 12,
	  .key_type = CONCAT3(TYPE_IPADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE),
	  .data_type = NFT_DATA_VERDICT,
	  .comment = "services the kernel schedules: vip . protocol . port -> their chain" },
	{ .name = "ksched6", .id = 71, .flags = NFT_SET_MAP, .key_len = 24,
	  .key_type = CONCAT3(TYPE_IP6ADDR, TYPE_INET_PROTOCOL, TYPE_INET_SERVICE),
	  .data_type = NFT_DATA_VERDICT,
	  .comment = "services the kernel schedules: vip . protocol . port -> their chain" },
};

/*
 * ct state new|untracked ip daddr . meta l4proto . th dport vmap @kschedN,
 * in queue_new (NAT) or lvs (DR: untracked, a packet no flow took)
 */
static void rule_ksched(struct rs_ctx *c, uint8_t af, bool dr)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	if (dr) {
		add_ct_state(r, NF_CT_STATE_UNTRACKED_BIT);
		/* not one the director answered (NF_REPEAT): scheduled once */
		add_mark_zero(r, c->rs->mark_mask);
	} else {
		add_ct_new(r);
	}
	add_svc_key(r, af, false, true);
	add_expr(r, ex_lookup(NFT_REG32_00, ksmap[fam_index(af)].name, 0,
			      NFT_REG_VERDICT));
	msg_qrule(c, af, dr ? "lvs" : "queue_new", r, dr ?
		  "a new DR connection to a service the kernel schedules: its chain" :
		  "new connections to a service the kernel schedules: its chain");
}

/* ---- counters and timeout policies -------------------------------------- */

static void msg_obj(struct rs_ctx *c, uint16_t type, uint32_t objtype,
		    const char *name, const char *comment,
		    const uint32_t *timeouts, uint8_t l3, uint8_t l4)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(256);
	struct nlmsghdr *nlh;

	if (!o || !u) {
		c->err = -ENOMEM;
		goto out;
	}
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, c->rs->table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, objtype);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	if (type == NFT_MSG_NEWOBJ && comment) {
		put_udata_comment(u, NFTNL_UDATA_OBJ_COMMENT, comment);
		nftnl_obj_set_data(o, NFTNL_OBJ_USERDATA, nftnl_udata_buf_data(u),
				   nftnl_udata_buf_len(u));
	}
	if (type == NFT_MSG_NEWOBJ && timeouts) {
		nftnl_obj_set_u16(o, NFTNL_OBJ_CT_TIMEOUT_L3PROTO, l3);
		nftnl_obj_set_u8(o, NFTNL_OBJ_CT_TIMEOUT_L4PROTO, l4);
		nftnl_obj_set_data(o, NFTNL_OBJ_CT_TIMEOUT_ARRAY, timeouts,
				   sizeof(uint32_t) * NFTNL_CTTIMEOUT_ARRAY_MAX);
	}
	nlh = batch_msg(c, type, NFPROTO_INET,
			type == NFT_MSG_NEWOBJ ? NLM_F_CREATE | NLM_F_EXCL : 0);
	if (nlh)
		nftnl_obj_nlmsg_build_payload(nlh, o);
	nft_batch_next(c->b);
out:
	nftnl_udata_buf_free(u);
	nftnl_obj_free(o);
}

static const struct set_spec cntmap[2] = {
	{ .name = "cnt_in", .id = 40, .flags = NFT_SET_OBJECT,
	  .key_type = TYPE_MARK, .key_len = 4, .key_host_order = true,
	  .obj_type = NFT_OBJECT_COUNTER,
	  .comment = "packets to each real server: mark -> counter" },
	{ .name = "cnt_out", .id = 41, .flags = NFT_SET_OBJECT,
	  .key_type = TYPE_MARK, .key_len = 4, .key_host_order = true,
	  .obj_type = NFT_OBJECT_COUNTER,
	  .comment = "packets from each real server: mark -> counter" },
};

static void counter_name(char *buf, size_t len, const struct ruleset *rs,
			 uint32_t mark, bool in)
{
	snprintf(buf, len, "rs%u_%s", mark >> __builtin_ctz(rs->mark_mask),
		 in ? "in" : "out");
}

/* The two counters of a real server and their map elements. */
static void counter_elems(struct rs_ctx *c, const struct rs_nat *n, bool del)
{
	char name[32];
	int in;

	for (in = 1; in >= 0; in--) {
		counter_name(name, sizeof(name), c->rs, n->mark, in);
		if (!del)
			msg_obj(c, NFT_MSG_NEWOBJ, NFT_OBJECT_COUNTER, name,
				n->comment[0] ? n->comment : NULL, NULL, 0, 0);
		msg_elem(c, NFPROTO_INET, &cntmap[!in], &n->mark, 4,
			 del ? NULL : name, strlen(name) + 1, del);
		if (del)
			msg_obj(c, NFT_MSG_DELOBJ, NFT_OBJECT_COUNTER, name, NULL,
				NULL, 0, 0);
	}
}

/*
 * ct mark & M != 0 ct direction original|reply counter name ct mark & M
 *	map @cnt_in|@cnt_out
 * and for one-packet datagrams (untracked, the mark is on the packet):
 * ct state untracked meta mark & M != 0 counter name meta mark & M map @cnt_in
 */
static void rule_stats(struct rs_ctx *c, int kind)
{
	struct nftnl_rule *r = rule_new(c);
	struct nftnl_expr *e;
	uint8_t dir = kind == 1 ? 1 : 0;	/* IP_CT_DIR_REPLY : _ORIGINAL */
	bool ct = kind != 2;

	if (!r)
		return;
	if (!ct)
		add_ct_state(r, NF_CT_STATE_UNTRACKED_BIT);
	add_mark_nonzero(r, ct, c->rs->mark_mask);
	if (ct) {
		add_expr(r, ex_ct_load(NFT_CT_DIRECTION, NFT_REG_1));
		add_expr(r, ex_cmp(NFT_CMP_EQ, NFT_REG_1, &dir, 1));
	}
	add_mark_load(r, ct, c->rs->mark_mask);
	e = EX("objref", { NFTNL_EXPR_OBJREF_SET_SREG, NFT_REG_1 });
	if (e)
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_SET_NAME,
				   cntmap[kind == 1].name);
	add_expr(r, e);
	msg_rule(c, NFPROTO_INET, "stats", r, kind == 1 ?
		 "count packets from real servers" : kind ? "count one-packet datagrams"
		 : "count packets to real servers");
}

static const char *const tmo_name[2][2] = {
	{ "tcp4", "tcp6" }, { "udp4", "udp6" },
};

static void timeout_objs(struct rs_ctx *c, bool del)
{
	uint32_t t[2][NFTNL_CTTIMEOUT_ARRAY_MAX] = { { 0 } };
	int p, f;

	memcpy(t[0], c->rs->timeouts.tcp_base, sizeof(c->rs->timeouts.tcp_base));
	t[0][NFTNL_CTTIMEOUT_TCP_ESTABLISHED] = c->rs->timeouts.tcp;
	t[0][NFTNL_CTTIMEOUT_TCP_FIN_WAIT] = c->rs->timeouts.tcpfin;
	t[1][NFTNL_CTTIMEOUT_UDP_UNREPLIED] = c->rs->timeouts.udp;
	t[1][NFTNL_CTTIMEOUT_UDP_REPLIED] = c->rs->timeouts.udp;
	for (p = 0; p < 2; p++)
		for (f = 0; f < 2; f++)
			msg_obj(c, del ? NFT_MSG_DELOBJ : NFT_MSG_NEWOBJ,
				NFT_OBJECT_CT_TIMEOUT, tmo_name[p][f],
				"connection timeouts, as ipvsadm --set", t[p],
				f ? NFPROTO_IPV6 : NFPROTO_IPV4,
				p ? IPPROTO_UDP : IPPROTO_TCP);
}

/* (conn_new) meta nfproto ipvN meta l4proto P ct timeout set "pN" */
static void rule_timeout(struct rs_ctx *c, int p, int f)
{
	struct nftnl_rule *r = rule_new(c);
	struct nftnl_expr *e;

	if (!r)
		return;
	add_nfproto(r, f ? AF_INET6 : AF_INET);
	add_l4proto_is(r, p ? IPPROTO_UDP : IPPROTO_TCP);
	e = EX("objref", { NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_CT_TIMEOUT });
	if (e)
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, tmo_name[p][f]);
	add_expr(r, e);
	msg_rule(c, NFPROTO_INET, "conn_new", r,
		 "the director's connection timeouts");
}

/*
 * The conntrack events of a balanced connection, chosen per packet: the
 * kernel delivers a connection's events only when (events | missed) &
 * mask, the mask of the connection at delivery (end of the hook), and
 * `ct event set` changes it.  IPVS counts a TCP connection active in
 * ESTABLISHED only, so the counts change when conntrack makes it (new),
 * when it reaches ESTABLISHED (assured: tcp_packet() sets IPS_ASSURED on
 * SYN_RECV -> ESTABLISHED, an event delivered with the protoinfo one of
 * the same packet), when it leaves ESTABLISHED (only a FIN or an RST does:
 * from that packet on every state change is told) and when it ends; a
 * datagram's connection is inactive all its life: new and destroy.
 * The other protocols (SCTP) keep every event.
 *
 * (conn_new) meta l4proto tcp|udp ct event set ...
 * (mark_new) meta l4proto tcp tcp flags & (fin|rst) != 0 ct mark & M != 0
 *	ct event set new,destroy,assured,protoinfo
 */
static void add_tcp_finrst(struct nftnl_rule *r);

#define EV(x)	(1u << (x))
static void rule_ct_events(struct rs_ctx *c, uint8_t l4, bool finrst)
{
	struct nftnl_rule *r = rule_new(c);
	uint32_t mask = EV(IPCT_NEW) | EV(IPCT_DESTROY);
	struct nftnl_expr *e;

	if (!r)
		return;
	if (l4 == IPPROTO_TCP)
		mask |= EV(IPCT_ASSURED);
	if (finrst) {
		mask |= EV(IPCT_PROTOINFO);
		add_tcp_finrst(r);
		add_mark_nonzero(r, true, c->rs->mark_mask);
	} else {
		add_l4proto_is(r, l4);
	}
	e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &mask, sizeof(mask));
	}
	add_expr(r, e);
	add_expr(r, ex_ct_set(NFT_CT_EVENTMASK, NFT_REG_1));
	msg_rule(c, NFPROTO_INET, finrst ? "mark_new" : "conn_new", r, finrst ?
		 "a FIN or RST: tell the state changes from now on" :
		 "tell only the events that change the connection counts");
}
#undef EV

/*
 * A new connection nflvs scheduled goes to conn_new, so that a packet of
 * an established connection passes three rules of mark_new, not one for
 * each thing a new connection gets:
 *   ct state new meta mark & M != 0 ct mark set meta mark & M goto conn_new
 *	(the director's verdict: its choice becomes the connection's)
 *   ct state new ct mark & M != 0 goto conn_new
 *	(a service the kernel schedules set the conntrack mark itself)
 */
static void rule_goto_new(struct rs_ctx *c, bool ct)
{
	struct nftnl_rule *r = rule_new(c);
	struct nftnl_expr *e;

	if (!r)
		return;
	add_ct_new(r);
	add_mark_nonzero(r, ct, c->rs->mark_mask);
	if (!ct) {
		add_mark_load(r, false, c->rs->mark_mask);
		add_expr(r, ex_ct_set(NFT_CT_MARK, NFT_REG_1));
	}
	e = EX("immediate", { NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT },
	       { NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_GOTO });
	if (e)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, "conn_new");
	add_expr(r, e);
	msg_rule(c, NFPROTO_INET, "mark_new", r, ct ?
		 "a new connection the kernel scheduled" :
		 "a new connection the director scheduled: its choice in the conntrack mark");
}

/* mark_new's and conn_new's rules (ruleset_build_timeouts rebuilds them) */
static void build_mark_new(struct rs_ctx *c)
{
	int p, f;

	rule_ct_events(c, IPPROTO_TCP, true);
	rule_goto_new(c, false);
	rule_goto_new(c, true);
	rule_ct_events(c, IPPROTO_TCP, false);
	rule_ct_events(c, IPPROTO_UDP, false);
	for (p = 0; p < 2; p++)
		for (f = 0; f < 2; f++)
			rule_timeout(c, p, f);
}

/* the anonymous set { tcp, udp, sctp } of one nat_pre rule */
static void set_l4protos(struct rs_ctx *c, uint32_t id)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	const struct set_spec sp = {
		.name = "__set%d", .id = id,
		.flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT,
		.key_type = TYPE_INET_PROTOCOL, .key_len = 1,
	};
	const struct set_spec ref = { .name = "__set%d", .id = id };
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	unsigned int i;

	msg_set(c, NFPROTO_INET, &sp);
	s = set_new(c->rs, NFPROTO_INET, &ref);
	if (!s) {
		c->err = -ENOMEM;
		return;
	}
	for (i = 0; i < sizeof(protos); i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();

		if (!e) {
			c->err = -ENOMEM;
			break;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &protos[i], 1);
		nftnl_set_elem_add(s, e);
	}
	nlh = batch_msg(c, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE);
	if (nlh)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nft_batch_next(c->b);
	nftnl_set_free(s);
}

/*
 * meta nfproto ipvN meta l4proto { tcp, udp, sctp } ct mark & M != 0
 *	dnat ipN to ct mark & M map @natN	(address . port)
 *	dnat ipN to ct mark & M map @natNa	(address only)
 * A mark is in one of the two maps; the other rule's lookup misses.
 */
static void rule_nat(struct rs_ctx *c, uint8_t af, bool with_port)
{
	const struct set_spec *map = &natmap[with_port][fam_index(af)];
	uint32_t id = SET_ID_ANON + 2 * fam_index(af) + with_port;
	bool v4 = af == AF_INET;
	struct nftnl_rule *r;
	char comment[128];

	set_l4protos(c, id);
	r = rule_new(c);
	if (!r)
		return;
	add_nfproto(r, af);
	add_expr(r, ex_meta(NFT_META_L4PROTO, NFT_REG_1));
	add_expr(r, ex_lookup(NFT_REG_1, "__set%d", id, -1));
	add_mark_nonzero(r, true, c->rs->mark_mask);
	add_mark_load(r, true, c->rs->mark_mask);
	add_expr(r, ex_lookup(NFT_REG_1, map->name, 0, NFT_REG_1));
	if (with_port)
		add_expr(r, EX("nat", { NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT },
			       { NFTNL_EXPR_NAT_FAMILY, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6 },
			       { NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1 },
			       { NFTNL_EXPR_NAT_REG_PROTO_MIN, v4 ? NFT_REG32_01 : NFT_REG_2 }));
	else
		add_expr(r, EX("nat", { NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT },
			       { NFTNL_EXPR_NAT_FAMILY, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6 },
			       { NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1 }));
	snprintf(comment, sizeof(comment),
		 "NAT: to the real server chosen for this connection (IPv%d%s)",
		 v4 ? 4 : 6, with_port ? "" : ", same port");
	msg_rule(c, NFPROTO_INET, "nat_pre", r, comment);
}

/* ---- one-packet UDP services (ipvsadm -o) ----------------------------- */

/*
 * Each datagram is scheduled on its own, so it must not create conntrack
 * state: the VIP's datagrams and the real servers' replies are untracked
 * (raw), every datagram is queued, and the rewrite is stateless:
 *
 *   raw_lvs        raw         daddr . proto . dport @onepacketN notrack
 *                              saddr . proto . sport @op_rsN notrack
 *                              (after the DR and TUN services' rules:
 *                              one raw chain for every untracked packet)
 *   queue_new      mangle      udp, ct state untracked ... @onepacketN queue
 *   onepacket      mangle + 10 to the server: daddr and dport from the
 *                              verdict's mark (@op_addrN, @op_portN)
 *   onepacket_out  postrouting its replies: sport and saddr back to the
 *                  srcnat      VIP's (@op_rvportN, @op_rvaddrN), after
 *                              routing, as conntrack NAT does it (a
 *                              local VIP as source would be martian)
 *
 * These live with the queue rules (in ip/ip6 tables on kernels without
 * nft_queue).  A real server's address . port serves one one-packet
 * service only, or its replies would be ambiguous (checked in config).
 */
enum opset {
	OP_SERVICES,	/* vip . proto . port */
	OP_RS,		/* rs . proto . port */
	OP_ADDR,	/* mark -> rs */
	OP_PORT,	/* mark -> rs port */
	OP_RVPORT,	/* rs . rs port -> vport */
	OP_RVADDR,	/* rs . vport -> vip */
	OP_SETS,
};

static const struct set_spec opset[OP_SETS][2] = {
	[OP_SERVICES] = {
		SVCSETS("onepacket4", "onepacket6", 20,
			"one-packet UDP services: vip . protocol . port"),
	},
	[OP_RS] = {
		SVCSETS("op_rs4", "op_rs6", 22,
			"their real servers: address . protocol . port"),
	},
	[OP_ADDR] = {
		MARKMAP("op_addr4", 24, TYPE_IPADDR, 4, "mark -> real server address"),
		MARKMAP("op_addr6", 25, TYPE_IP6ADDR, 16, "mark -> real server address"),
	},
	[OP_PORT] = {
		MARKMAP("op_port4", 26, TYPE_INET_SERVICE, 2, "mark -> real server port"),
		MARKMAP("op_port6", 27, TYPE_INET_SERVICE, 2, "mark -> real server port"),
	},
	[OP_RVPORT] = {
		{ .name = "op_rvport4", .id = 28, .flags = NFT_SET_MAP,
		  .key_type = CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), .key_len = 8,
		  .data_type = TYPE_INET_SERVICE, .data_len = 2,
		  .comment = "replies: real server . port -> virtual port" },
		{ .name = "op_rvport6", .id = 29, .flags = NFT_SET_MAP,
		  .key_type = CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), .key_len = 20,
		  .data_type = TYPE_INET_SERVICE, .data_len = 2,
		  .comment = "replies: real server . port -> virtual port" },
	},
	[OP_RVADDR] = {
		{ .name = "op_rvaddr4", .id = 30, .flags = NFT_SET_MAP,
		  .key_type = CONCAT2(TYPE_IPADDR, TYPE_INET_SERVICE), .key_len = 8,
		  .data_type = TYPE_IPADDR, .data_len = 4,
		  .comment = "replies: real server . virtual port -> vip" },
		{ .name = "op_rvaddr6", .id = 31, .flags = NFT_SET_MAP,
		  .key_type = CONCAT2(TYPE_IP6ADDR, TYPE_INET_SERVICE), .key_len = 20,
		  .data_type = TYPE_IP6ADDR, .data_len = 16,
		  .comment = "replies: real server . virtual port -> vip" },
	},
};

/* payload write with the checksum fix-ups nft uses for the field */
static struct nftnl_expr *ex_payload_set(uint8_t af, bool addr, bool src,
					 uint32_t sreg)
{
	bool v4 = af == AF_INET;

	return EX("payload",
		  { NFTNL_EXPR_PAYLOAD_SREG, sreg },
		  { NFTNL_EXPR_PAYLOAD_BASE, addr ? NFT_PAYLOAD_NETWORK_HEADER
						  : NFT_PAYLOAD_TRANSPORT_HEADER },
		  { NFTNL_EXPR_PAYLOAD_OFFSET, addr ? addr_off(af, src)
						    : (src ? 0 : 2) },
		  { NFTNL_EXPR_PAYLOAD_LEN, addr ? ip_addr_len(af) : 2 },
		  /* IPv4 header checksum, or the UDP checksum for a port */
		  { NFTNL_EXPR_PAYLOAD_CSUM_TYPE,
		    addr && !v4 ? NFT_PAYLOAD_CSUM_NONE : NFT_PAYLOAD_CSUM_INET },
		  { NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, addr ? (v4 ? 10 : 0) : 6 },
		  /* an address is in the UDP pseudo-header */
		  { NFTNL_EXPR_PAYLOAD_FLAGS,
		    addr ? NFT_PAYLOAD_L4CSUM_PSEUDOHDR : 0 });
}

/* raw (raw_lvs): notrack the VIP's datagrams and the real servers'
 * replies, and accept: the packet has what this chain gives */
static void rule_op_notrack(struct rs_ctx *c, uint8_t af, bool reply)
{
	struct nftnl_rule *r = qrule_new(c, af);
	int f = fam_index(af);

	if (!r)
		return;
	add_svc_key(r, af, reply, true);
	add_expr(r, ex_lookup(NFT_REG32_00,
			      opset[reply ? OP_RS : OP_SERVICES][f].name, 0, -1));
	add_expr(r, nftnl_expr_alloc("notrack"));
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "raw_lvs", r, reply ?
		 "one-packet replies from real servers: no conntrack state" :
		 "one-packet datagrams to a virtual service: no conntrack state");
}

static void rule_op_queue(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	/* UDP first: an untracked DR or TUN packet (TCP mostly) leaves
	 * here at its first compare */
	add_l4proto_is(r, IPPROTO_UDP);
	add_ct_state(r, NF_CT_STATE_UNTRACKED_BIT);
	add_svc_key(r, af, false, true);
	add_expr(r, ex_lookup(NFT_REG32_00, opset[OP_SERVICES][fam_index(af)].name,
			      0, -1));
	add_expr(r, ex_counter());
	add_expr(r, ex_queue(c->rs));
	msg_qrule(c, af, "queue_new", r,
		 "every datagram of a one-packet service: scheduled by nflvs-director");
}

/* <field> set <key> map @map, with key = meta mark & M, or saddr . sport */
static void add_set_from_map(struct nftnl_rule *r, const struct ruleset *rs,
			     uint8_t af, bool by_mark, const char *map,
			     bool addr, bool src)
{
	uint32_t reg = NFT_REG32_00;

	if (by_mark) {
		add_mark_load(r, false, rs->mark_mask);
	} else {
		add_key_addr(r, &reg, af, true, false);
		add_key_port(r, &reg, af, true, false);
	}
	add_expr(r, ex_lookup(NFT_REG_1, map, 0, NFT_REG_1));
	add_expr(r, ex_payload_set(af, addr, src, NFT_REG_1));
}

static void rule_op_rewrite(struct rs_ctx *c, uint8_t af, bool reply)
{
	struct nftnl_rule *r = qrule_new(c, af);
	int f = fam_index(af);

	if (!r)
		return;
	/* UDP first, as rule_op_queue() */
	add_l4proto_is(r, IPPROTO_UDP);
	add_ct_state(r, NF_CT_STATE_UNTRACKED_BIT);
	if (!reply) {
		add_mark_nonzero(r, false, c->rs->mark_mask);
		add_set_from_map(r, c->rs, af, true, opset[OP_ADDR][f].name,
				 true, false);
		add_set_from_map(r, c->rs, af, true, opset[OP_PORT][f].name,
				 false, false);
	} else {
		/* the port first: the address lookup keys on the new port */
		add_set_from_map(r, c->rs, af, false, opset[OP_RVPORT][f].name,
				 false, true);
		add_set_from_map(r, c->rs, af, false, opset[OP_RVADDR][f].name,
				 true, true);
	}
	msg_qrule(c, af, reply ? "onepacket_out" : "onepacket", r, reply ?
		 "one-packet replies: from the virtual service's address and port" :
		 "one-packet datagrams: to the real server the director chose");
}

static void build_onepacket_sets(struct rs_ctx *c, uint8_t af)
{
	enum opset k;

	for (k = 0; k < OP_SETS; k++)
		msg_set(c, qfamily(c->rs, af), &opset[k][fam_index(af)]);
}

static const struct qchain op_chains[] = {
	{ "onepacket", NF_INET_PRE_ROUTING, NF_IP_PRI_MANGLE + 10 },
	{ "onepacket_out", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC },
};

static void build_onepacket_chains(struct rs_ctx *c, uint8_t af)
{
	msg_qchains(c, af, op_chains, NCHAINS(op_chains));
	rule_op_rewrite(c, af, false);
	rule_op_rewrite(c, af, true);
}

/* Delete @n base chains of the table of @af (and their rules), once per
 * table as msg_qchains() makes them. */
static void msg_qchains_del(struct rs_ctx *c, uint8_t af,
			    const struct qchain *ch, size_t n)
{
	size_t i;

	if (c->rs->native_queue && af != AF_INET)
		return;
	for (i = 0; i < n; i++)
		msg_chain_del(c, qfamily(c->rs, af), ch[i].name);
}

/*
 * Chains that every packet of their hooks would pass (a NAT or DR stream's
 * too) exist only while a service of their table needs them: with the
 * native queue one inet table holds both families.
 */
unsigned int ruleset_service_chains(const struct rs_service *s)
{
	if (s->fwd != FWD_NAT)
		return RS_CHAINS_LVS;		/* untracked, DR flows */
	return s->one_packet ? RS_CHAINS_LVS | RS_CHAINS_ONEPACKET : 0;
}

static bool chains_wanted(const struct ruleset *rs, const unsigned int has[2],
			  uint8_t af, unsigned int which)
{
	return (rs->native_queue ? has[0] | has[1] : has[fam_index(af)]) & which;
}

/* ---- DR and TUN: untracked services and the DR flow maps ------------------ */

/*
 * DR and TUN services are not tracked by conntrack (a director sees one
 * direction only).  In the tables with the queue rules:
 *
 *   raw_lvs    raw         vip . proto . port @drN / @tunN: notrack accept
 *                          (then the one-packet services' rules)
 *   lvs        mangle - 1  a DR flow's FIN or RST -> the director (counts)
 *                          and its flow from @dr_tcpN to @dr_closingN
 *                          TCP flow: mark from @dr_tcpN, renewed
 *                          closing flow: mark from @dr_closingN, renewed
 *                          UDP flow: mark from @dr_udpN, renewed
 *                          a DR packet back from the director (NF_REPEAT:
 *                          this chain again, with the verdict's mark) and
 *                          no flow yet: its element is made here, in the
 *                          kernel, so that no packet waits for a
 *                          transaction from user space
 *                          any other DR packet -> the director (a new flow)
 *                          every packet of @tunN -> the director (TUN: it
 *                          sends it encapsulated; one-packet DR services:
 *                          each datagram is scheduled)
 *
 * Every packet of a known flow leaves lvs at its flow's rule: no chain
 * after it is the DR path's (an earlier version learnt in a chain of its
 * own after the queue, which every packet then entered and paid a lookup
 * in).
 *
 * The mark then routes the packet: ip rule fwmark M lookup T, with
 * "default via RS dev IF onlink" in T (director/route.c).
 */
enum lvskind { LVS_DR, LVS_TUN, LVS_KINDS };

static const struct set_spec lvsset[LVS_KINDS][2] = {
	[LVS_DR] = {
		SVCSETS("dr4", "dr6", 50,
			"direct-routing services: vip . protocol . port"),
	},
	[LVS_TUN] = {
		SVCSETS("tun4", "tun6", 52,
			"tunneling services: vip . protocol . port"),
	},
};

#define FLOWMAP(nm, i, kt, kl, text) \
	{ .name = nm, .id = i, .key_type = kt, .key_len = kl, \
	  .flags = NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL, \
	  .data_type = TYPE_MARK, .data_len = 4, .data_host_order = true, \
	  .size = 1 << 20, .comment = text }
#define FLOW4	CONCAT4(TYPE_IPADDR, TYPE_INET_SERVICE, TYPE_IPADDR, TYPE_INET_SERVICE)
#define FLOW6	CONCAT4(TYPE_IP6ADDR, TYPE_INET_SERVICE, TYPE_IP6ADDR, TYPE_INET_SERVICE)

static const struct set_spec flowmap[RS_FLOWMAPS][2] = {
	[RS_FLOWS_TCP] = {
		FLOWMAP("dr_tcp4", 54, FLOW4, 16, "DR TCP flows: client . port . vip . port -> mark"),
		FLOWMAP("dr_tcp6", 55, FLOW6, 40, "DR TCP flows: client . port . vip . port -> mark"),
	},
	[RS_FLOWS_UDP] = {
		FLOWMAP("dr_udp4", 56, FLOW4, 16, "DR UDP flows: client . port . vip . port -> mark"),
		FLOWMAP("dr_udp6", 57, FLOW6, 40, "DR UDP flows: client . port . vip . port -> mark"),
	},
	[RS_FLOWS_CLOSING] = {
		FLOWMAP("dr_closing4", 58, FLOW4, 16, "DR TCP flows after FIN or RST -> mark"),
		FLOWMAP("dr_closing6", 59, FLOW6, 40, "DR TCP flows after FIN or RST -> mark"),
	},
};

/*
 * client . port . vip . port into REG32_00..; the data register after it.
 * A packet goes from the client; the one an ICMP error quotes (@quoted)
 * is an answer, from the VIP: its key is read backwards.
 */
static uint32_t add_flow_key(struct nftnl_rule *r, uint8_t af, bool quoted)
{
	uint32_t reg = NFT_REG32_00;

	add_key_addr(r, &reg, af, !quoted, quoted);
	add_key_port(r, &reg, af, !quoted, quoted);
	add_key_addr(r, &reg, af, quoted, quoted);
	add_key_port(r, &reg, af, quoted, quoted);
	/* the key takes 16 (40) bytes: nft's choice for v4, past it for v6 */
	return af == AF_INET ? NFT_REG_2 : NFT_REG32_12;
}

/* (transport header byte @off & @mask) ^ @xor <op> @val */
static void add_th_byte(struct nftnl_rule *r, uint32_t off, uint8_t mask,
			uint8_t xor, enum nft_cmp_ops op, uint8_t val)
{
	struct nftnl_expr *e;

	add_expr(r, ex_payload(NFT_PAYLOAD_TRANSPORT_HEADER, off, 1, NFT_REG_1));
	if (mask != 0xff || xor) {
		e = EX("bitwise", { NFTNL_EXPR_BITWISE_SREG, NFT_REG_1 },
		       { NFTNL_EXPR_BITWISE_DREG, NFT_REG_1 },
		       { NFTNL_EXPR_BITWISE_LEN, 1 });
		if (e) {
			nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 1);
			nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, 1);
		}
		add_expr(r, e);
	}
	add_expr(r, ex_cmp(op, NFT_REG_1, &val, 1));
}

/* tcp flags & @mask <op> @val */
static void add_tcp_flags(struct nftnl_rule *r, uint8_t mask,
			  enum nft_cmp_ops op, uint8_t val)
{
	add_l4proto_is(r, IPPROTO_TCP);
	add_th_byte(r, 13, mask, 0, op, val);
}

/* a FIN or an RST */
static void add_tcp_finrst(struct nftnl_rule *r)
{
	add_tcp_flags(r, TCP_FIN | TCP_RST, NFT_CMP_NEQ, 0);
}

/* a connection's first SYN (a SYN without ACK), or (@not) anything else */
static void add_tcp_syn(struct nftnl_rule *r, bool not)
{
	add_tcp_flags(r, TCP_SYN | TCP_ACK, not ? NFT_CMP_NEQ : NFT_CMP_EQ,
		      TCP_SYN);
}

/* vip . l4proto . port @set (the service sets dr4/6, tun4/6) */
static void add_lvs_service(struct nftnl_rule *r, uint8_t af, enum lvskind k)
{
	add_svc_key(r, af, false, true);
	add_expr(r, ex_lookup(NFT_REG32_00, lvsset[k][fam_index(af)].name, 0, -1));
}

static struct nftnl_expr *ex_lookup_not(uint32_t sreg, const char *set)
{
	struct nftnl_expr *e = ex_lookup(sreg, set, 0, -1);

	if (e)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	return e;
}

/* update @map { <key> timeout T : <data> }, or delete @map { <key> } */
static struct nftnl_expr *ex_dynset(const char *set, uint32_t op, int dreg,
				    uint64_t timeout_ms)
{
	struct nftnl_expr *e = EX("dynset",
				  { NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG32_00 },
				  { NFTNL_EXPR_DYNSET_OP, op });

	if (!e)
		return NULL;
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, dreg);
	if (timeout_ms)
		nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, timeout_ms);
	return e;
}

static const char *flowmap_name(enum rs_flowmap m, uint8_t af)
{
	return flowmap[m][fam_index(af)].name;
}

static uint64_t flow_timeout_ms(const struct ruleset *rs, enum rs_flowmap m)
{
	const struct rs_timeouts *t = &rs->timeouts;

	return 1000ull * (m == RS_FLOWS_TCP ? t->tcp :
			  m == RS_FLOWS_UDP ? t->udp : t->tcpfin);
}

static uint8_t flow_proto(enum rs_flowmap m)
{
	return m == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP;
}

/* meta mark @dreg; update @M { <flow> timeout T : meta mark }, the flow
 * key loaded by add_flow_key() */
static void add_flow_store(struct rs_ctx *c, struct nftnl_rule *r, uint8_t af,
			   enum rs_flowmap m, uint32_t dreg)
{
	add_expr(r, ex_meta(NFT_META_MARK, dreg));
	add_expr(r, ex_dynset(flowmap_name(m, af), NFT_DYNSET_OP_UPDATE, dreg,
			      flow_timeout_ms(c->rs, m)));
}

/* add_flow_store() into @to, and the flow out of @from: it moves */
static void add_flow_move(struct rs_ctx *c, struct nftnl_rule *r, uint8_t af,
			  enum rs_flowmap to, enum rs_flowmap from,
			  uint32_t dreg)
{
	add_flow_store(c, r, af, to, dreg);
	/* a map's dynset names a data register, even to delete */
	add_expr(r, ex_dynset(flowmap_name(from, af), NFT_DYNSET_OP_DELETE,
			      dreg, 0));
}

/* log group G snaplen S (finlog.h) */
static struct nftnl_expr *ex_log(uint16_t group, uint32_t snaplen)
{
	struct nftnl_expr *e = nftnl_expr_alloc("log");

	if (e) {
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, snaplen);
	}
	return e;
}

/*
 * tcp flags & (fin | rst) != 0 <flow> @dr_tcpN counter log group G
 *   (the packet goes on: the next rule routes it by its flow and moves
 *   its element to the closing map), or, with no log group bound,
 * ... counter queue (it comes back, NF_REPEAT, with the mark)
 */
static void rule_lvs_fin(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	add_tcp_finrst(r);
	/* not one the director has seen (queued, it comes back with its
	 * verdict's mark: NF_REPEAT) */
	add_mark_zero(r, c->rs->mark_mask);
	add_flow_key(r, af, false);
	add_expr(r, ex_lookup(NFT_REG32_00, flowmap_name(RS_FLOWS_TCP, af), 0, -1));
	add_expr(r, ex_counter());
	if (c->rs->fin_log)
		add_expr(r, ex_log(c->rs->queue, 128));
	else
		add_expr(r, ex_queue(c->rs));
	msg_qrule(c, af, "lvs", r,
		 "a DR connection's FIN or RST: the director counts it as ending");
}

/*
 * tcp flags & (fin | rst) != 0 meta mark set <flow> map @dr_tcpN
 *	vip . proto . port @drN
 *	update @dr_closingN { <flow> timeout T : meta mark }
 *	delete @dr_tcpN { <flow> } accept
 * An established connection's FIN or RST (logged by the rule before, or
 * back from the director): routed, and its flow moves to the closing map.
 */
static void rule_lvs_close(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = qrule_new(c, af);
	uint32_t dreg;

	if (!r)
		return;
	add_tcp_finrst(r);
	dreg = add_flow_key(r, af, false);
	add_expr(r, ex_lookup(NFT_REG32_00, flowmap_name(RS_FLOWS_TCP, af), 0, dreg));
	add_expr(r, ex_meta_set(NFT_META_MARK, dreg));
	add_lvs_service(r, af, LVS_DR);
	dreg = add_flow_key(r, af, false);
	add_flow_move(c, r, af, RS_FLOWS_CLOSING, RS_FLOWS_TCP, dreg);
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "lvs", r,
		 "a DR connection ends: to its real server, its flow to the closing map");
}

/* meta mark set <flow> map @M update @M { <flow> timeout T : meta mark } accept */
static void rule_lvs_flow(struct rs_ctx *c, uint8_t af, enum rs_flowmap m)
{
	struct nftnl_rule *r = qrule_new(c, af);
	uint32_t dreg;

	if (!r)
		return;
	if (m == RS_FLOWS_CLOSING)
		/* a new connection on an ended one's ports is scheduled
		 * anew, as IPVS does (conn_reuse_mode) */
		add_tcp_syn(r, true);
	else
		add_l4proto_is(r, flow_proto(m));
	/* the mark into the register after the key: the key stays loaded
	 * for the renewal, which stores the mark from there */
	dreg = add_flow_key(r, af, false);
	add_expr(r, ex_lookup(NFT_REG32_00, flowmap_name(m, af), 0, dreg));
	add_expr(r, ex_meta_set(NFT_META_MARK, dreg));
	add_flow_store(c, r, af, m, dreg);
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "lvs", r,
		 m == RS_FLOWS_CLOSING ? "a closing DR connection: to its real server" :
		 m == RS_FLOWS_TCP ? "an established DR connection: to its real server"
				   : "a DR UDP flow: to its real server");
}

/*
 * An ICMP error about a DR flow, from the client's side (a router's
 * "fragmentation needed" for the real server's answers, a port the client
 * closed), goes to the flow's real server, as IPVS's ip_vs_in_icmp()
 * forwards it there: the packet it quotes is an answer, VIP . port ->
 * client . port, so the flow's key is read from the quote backwards.
 *
 *   IPv4: icmp type { 3, 11 } (as (type & ~8) ^ 8 == 11), a quoted header
 *         of 20 bytes (0x45), the quoted protocol;
 *   IPv6: icmpv6 type < 128 (every error), a quoted IPv6 header whose
 *         next header is the transport (no extension headers);
 *   meta mark set <quoted daddr . dport . saddr . sport> map @M accept
 *
 * Nothing is renewed: an error does not keep a flow alive.  TUN flows are
 * the director's own and get no errors forwarded (their real servers'
 * path MTU toward the client is their own business, as the packets they
 * answer come through the tunnel).
 */
/* an ICMP error (as above) quoting an IPv4 header of 20 bytes or an
 * IPv6 one; of @proto unless 0 */
static void add_icmp_error(struct nftnl_rule *r, uint8_t af, uint8_t proto)
{
	bool v4 = af == AF_INET;

	add_l4proto_is(r, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (v4) {
		add_th_byte(r, 0, 0xff & ~8, 8, NFT_CMP_EQ, 11);
		add_th_byte(r, 8, 0xff, 0, NFT_CMP_EQ, 0x45);
	} else {
		add_th_byte(r, 0, 0xff, 0, NFT_CMP_LT, 128);
		add_th_byte(r, 8, 0xf0, 0, NFT_CMP_EQ, 0x60);
	}
	if (proto)
		add_th_byte(r, quoted_proto_off(af), 0xff, 0, NFT_CMP_EQ, proto);
}

static void rule_lvs_icmp(struct rs_ctx *c, uint8_t af, enum rs_flowmap m)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	add_icmp_error(r, af, flow_proto(m));
	add_flow_key(r, af, true);
	add_expr(r, ex_lookup(NFT_REG32_00, flowmap_name(m, af), 0, NFT_REG_1));
	add_expr(r, ex_meta_set(NFT_META_MARK, NFT_REG_1));
	add_expr(r, ex_counter());
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "lvs", r,
		 "an ICMP error about a DR flow: to its real server");
}

/*
 * An ICMP error quoting an answer of a TUN service (quoted saddr . proto
 * . sport in @tunN) goes to the director, which sends it through the
 * flow's tunnel (flowpath_icmp()), as IPVS does.
 */
static void rule_lvs_icmp_tun(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = qrule_new(c, af);
	uint32_t reg = NFT_REG32_00;

	if (!r)
		return;
	add_icmp_error(r, af, 0);
	/* the quoted answer's saddr . protocol . sport */
	add_key_addr(r, &reg, af, true, true);
	add_key_field(r, &reg, NFT_PAYLOAD_TRANSPORT_HEADER,
		      quoted_proto_off(af), 1);
	add_key_port(r, &reg, af, true, true);
	add_expr(r, ex_lookup(NFT_REG32_00, lvsset[LVS_TUN][fam_index(af)].name,
			      0, -1));
	add_expr(r, ex_counter());
	add_expr(r, ex_queue(c->rs));
	msg_qrule(c, af, "lvs", r,
		 "an ICMP error about a TUN flow: to nflvs-director, for its tunnel");
}

/* [ct state untracked] vip . proto . port @drN|@tunN: queue or notrack */
static void rule_lvs_service(struct rs_ctx *c, uint8_t af, enum lvskind k,
			     bool raw)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	if (!raw) {
		add_ct_state(r, NF_CT_STATE_UNTRACKED_BIT);
		/* a packet back from the director (NF_REPEAT) that no rule
		 * above took goes on, never to the queue again */
		add_mark_zero(r, c->rs->mark_mask);
	}
	add_lvs_service(r, af, k);
	if (raw) {
		/* and accept: a DR packet, the most common here, passes no
		 * other lookup of this chain */
		add_expr(r, nftnl_expr_alloc("notrack"));
		add_expr(r, ex_verdict(NF_ACCEPT));
	} else {
		add_expr(r, ex_counter());
		add_expr(r, ex_queue(c->rs));
	}
	msg_qrule(c, af, raw ? "raw_lvs" : "lvs", r,
		 raw ? (k == LVS_DR ? "direct-routing services: no conntrack state"
				    : "tunneling and one-packet DR services: no conntrack state")
		     : (k == LVS_DR ? "a new DR connection: scheduled by nflvs-director"
				    : "every packet of a TUN or one-packet DR service: to nflvs-director"));
}

/*
 * The flow of a DR packet back from the director (NF_REPEAT, with its
 * verdict's mark: mark & M != 0), made in the kernel, in lvs after the
 * rules of known flows, so that no packet waits for a transaction from
 * user space and no packet of a known flow passes these rules:
 *   FIN/RST: update @dr_closingN { <flow> timeout T : meta mark }
 *            delete @dr_tcpN { <flow> } accept
 *   SYN:     (a connection's first, which may reuse an ended one's
 *            ports) update @dr_tcpN { <flow> timeout T : meta mark }
 *            delete @dr_closingN { <flow> } accept
 *   TCP:     <flow> != @dr_tcpN <flow> != @dr_closingN
 *            update @dr_tcpN { <flow> timeout T : meta mark } accept
 *   UDP:     <flow> != @dr_udpN update @dr_udpN { ... } accept
 */
static void rule_lvs_learn_syn(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = qrule_new(c, af);
	uint32_t dreg;

	if (!r)
		return;
	add_tcp_syn(r, false);
	add_mark_nonzero(r, false, c->rs->mark_mask);
	add_lvs_service(r, af, LVS_DR);
	dreg = add_flow_key(r, af, false);
	add_flow_move(c, r, af, RS_FLOWS_TCP, RS_FLOWS_CLOSING, dreg);
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "lvs", r,
		 "a new DR connection's SYN: its flow, in place of an ended one's");
}

static void rule_lvs_learn(struct rs_ctx *c, uint8_t af, enum rs_flowmap m)
{
	struct nftnl_rule *r = qrule_new(c, af);
	uint32_t dreg;

	if (!r)
		return;
	if (m == RS_FLOWS_CLOSING)
		add_tcp_finrst(r);
	else
		add_l4proto_is(r, flow_proto(m));
	add_mark_nonzero(r, false, c->rs->mark_mask);
	if (m != RS_FLOWS_CLOSING) {
		add_flow_key(r, af, false);
		add_expr(r, ex_lookup_not(NFT_REG32_00, flowmap_name(m, af)));
	}
	if (m == RS_FLOWS_TCP)
		add_expr(r, ex_lookup_not(NFT_REG32_00,
					  flowmap_name(RS_FLOWS_CLOSING, af)));
	add_lvs_service(r, af, LVS_DR);
	dreg = add_flow_key(r, af, false);
	if (m == RS_FLOWS_CLOSING)
		add_flow_move(c, r, af, m, RS_FLOWS_TCP, dreg);
	else
		add_flow_store(c, r, af, m, dreg);
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "lvs", r,
		 m == RS_FLOWS_CLOSING ? "a new DR flow's FIN or RST: its flow, in the closing map" :
		 m == RS_FLOWS_TCP ? "a new DR connection the director scheduled: its flow"
				   : "a new DR UDP flow the director scheduled: its flow");
}

static void build_lvs_sets(struct rs_ctx *c, uint8_t af)
{
	int k;

	for (k = 0; k < LVS_KINDS; k++)
		msg_set(c, qfamily(c->rs, af), &lvsset[k][fam_index(af)]);
	for (k = 0; k < RS_FLOWMAPS; k++)
		msg_set(c, qfamily(c->rs, af), &flowmap[k][fam_index(af)]);
}

/*
 * (lvs) ct state new,established,related accept: a tracked packet is
 * NAT's or the host's, never a DR or TUN flow's (raw_lvs untracked
 * those); only an ICMP error about one goes on (conntrack finds no
 * connection for it: invalid).  Without it a NAT packet paid the flow
 * maps' lookups below.
 */
static void rule_lvs_tracked(struct rs_ctx *c, uint8_t af)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	add_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW) |
			NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
			NF_CT_STATE_BIT(IP_CT_RELATED));
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_qrule(c, af, "lvs", r, "a tracked packet: no DR or TUN flow's");
}

/* The rules that carry timeouts (rebuilt by ruleset_build_timeouts). */
static void build_lvs_rules(struct rs_ctx *c, uint8_t af)
{
	rule_lvs_tracked(c, af);
	rule_lvs_fin(c, af);
	rule_lvs_close(c, af);
	/* established first: a flow is in one of @dr_tcpN and @dr_closingN
	 * (rule_lvs_close() moves it), and most packets are an established
	 * one's, which would otherwise pay a lookup in the closing map first */
	rule_lvs_flow(c, af, RS_FLOWS_TCP);
	rule_lvs_flow(c, af, RS_FLOWS_CLOSING);
	rule_lvs_flow(c, af, RS_FLOWS_UDP);
	rule_lvs_icmp(c, af, RS_FLOWS_TCP);
	rule_lvs_icmp(c, af, RS_FLOWS_CLOSING);
	rule_lvs_icmp(c, af, RS_FLOWS_UDP);
	rule_lvs_icmp_tun(c, af);
	/* a new flow of a service the kernel schedules: its chain sets the
	 * packet mark and returns; then, as for a packet back from the
	 * director (NF_REPEAT), the learning rules make its flow, before
	 * the queue rules, which take only a packet with no mark */
	rule_ksched(c, af, true);
	rule_lvs_learn(c, af, RS_FLOWS_CLOSING);
	rule_lvs_learn_syn(c, af);
	rule_lvs_learn(c, af, RS_FLOWS_TCP);
	rule_lvs_learn(c, af, RS_FLOWS_UDP);
	rule_lvs_service(c, af, LVS_DR, false);
	rule_lvs_service(c, af, LVS_TUN, false);
}

/* raw_lvs, then lvs, the chain of build_lvs_rules(): while an untracked
 * service runs (ruleset_service_chains()) */
static const struct qchain lvs_chains[] = {
	{ "raw_lvs", NF_INET_PRE_ROUTING, NF_IP_PRI_RAW },
	{ "lvs", NF_INET_PRE_ROUTING, NF_IP_PRI_MANGLE - 1 },
};

static void build_lvs_chains(struct rs_ctx *c, uint8_t af)
{
	msg_qchains(c, af, lvs_chains, NCHAINS(lvs_chains));
	/* one raw chain for every untracked service, DR first */
	rule_lvs_service(c, af, LVS_DR, true);
	rule_lvs_service(c, af, LVS_TUN, true);
	rule_op_notrack(c, af, false);
	rule_op_notrack(c, af, true);
	build_lvs_rules(c, af);
}

int ruleset_build_chains(struct nft_batch *b, const struct ruleset *rs,
			 const unsigned int had[2], const unsigned int has[2])
{
	struct rs_ctx c = { .b = b, .rs = rs };
	int f;

	for (f = 0; f < 2; f++) {
		uint8_t af = f ? AF_INET6 : AF_INET;
		bool op = chains_wanted(rs, has, af, RS_CHAINS_ONEPACKET),
		     op_had = chains_wanted(rs, had, af, RS_CHAINS_ONEPACKET),
		     lvs = chains_wanted(rs, has, af, RS_CHAINS_LVS),
		     lvs_had = chains_wanted(rs, had, af, RS_CHAINS_LVS);

		if (op && !op_had)
			build_onepacket_chains(&c, af);
		else if (!op && op_had)
			msg_qchains_del(&c, af, op_chains, NCHAINS(op_chains));
		if (lvs && !lvs_had)
			build_lvs_chains(&c, af);
		else if (!lvs && lvs_had)
			msg_qchains_del(&c, af, lvs_chains, NCHAINS(lvs_chains));
	}
	return build_result(&c);
}

/* @f's key, client . port . vip . port, the ports padded to 4 bytes;
 * its length */
static size_t flow_key_bytes(const struct rs_flow *f, uint8_t key[40])
{
	size_t alen = f->saddr.family == AF_INET6 ? 16 : 4;
	uint16_t sport = htons(f->sport), dport = htons(f->dport);

	memset(key, 0, 40);
	memcpy(key, f->saddr.b, alen);
	memcpy(key + alen, &sport, 2);
	memcpy(key + alen + 4, f->daddr.b, alen);
	memcpy(key + 2 * alen + 4, &dport, 2);
	return 2 * alen + 8;
}

int ruleset_build_flow(struct nft_batch *b, const struct ruleset *rs,
		       const struct rs_flow *f, bool del)
{
	struct rs_ctx c = { .b = b, .rs = rs };
	uint8_t key[40];
	size_t klen = flow_key_bytes(f, key);

	msg_elem_t(&c, qfamily(rs, f->saddr.family),
		   &flowmap[f->map][fam_index(f->saddr.family)], key, klen,
		   del ? NULL : &f->mark, 4, del, f->timeout_ms);
	return c.err;
}

/* ---- the director's own stack never answers a virtual service -------- */

/*
 * vip_input (input hook), in the tables with the service sets:
 *
 *   ct mark & M != 0 accept             a NAT connection the director
 *                                       sent to a local real server
 *   meta l4proto tcp <key> @set counter drop     each service set
 *
 * A TCP packet for a virtual service that reaches the local stack was
 * scheduled nowhere: the director dropped none of it because it was not
 * running (the queue's bypass), or conntrack found it INVALID (a FIN, or
 * with nf_conntrack_tcp_loose off any packet, of a connection it never
 * saw), and no flow or NAT binding took it.  The stack, owning the VIP,
 * would answer with a RST and kill a connection that another director
 * carries, or this one will know in a moment (ECMP, a failover): dropped,
 * the client retransmits.  A packet of no conntrack entry makes the ct
 * mark expression break, so the first rule lets it on to the others.
 */
static void rule_vip_input(struct rs_ctx *c, uint8_t af, int k, bool lvs)
{
	struct nftnl_rule *r = qrule_new(c, af);

	if (!r)
		return;
	add_l4proto_is(r, IPPROTO_TCP);
	if (lvs)
		add_lvs_service(r, af, k);
	else
		add_qkey(r, c->rs, af, k);
	add_expr(r, ex_counter());
	add_expr(r, ex_verdict(NF_DROP));
	msg_qrule(c, af, "vip_input", r,
		 "TCP for a virtual service that nothing scheduled: no RST from this host");
}

/* ct mark & M != 0 accept */
static void rule_vip_scheduled(struct rs_ctx *c, int family)
{
	struct nftnl_rule *r = rule_new(c);

	if (!r)
		return;
	add_mark_nonzero(r, true, c->rs->mark_mask);
	add_expr(r, ex_verdict(NF_ACCEPT));
	msg_rule(c, family, "vip_input", r,
		 "a NAT connection the director scheduled");
}

static void build_vip_input(struct rs_ctx *c, uint8_t af)
{
	static const struct qchain ch = {
		"vip_input", NF_INET_LOCAL_IN, NF_IP_PRI_FILTER
	};
	int k;

	if (msg_qchains(c, af, &ch, 1))
		rule_vip_scheduled(c, qfamily(c->rs, af));
	for (k = 0; k < Q_KINDS; k++)
		rule_vip_input(c, af, k, false);
	for (k = 0; k < LVS_KINDS; k++)
		rule_vip_input(c, af, k, true);
}

/* create-then-delete: removes a table if it exists, never fails if not */
static void msg_table_flush_out(struct rs_ctx *c, int family)
{
	msg_table(c, NFT_MSG_NEWTABLE, family, NLM_F_CREATE);
	msg_table(c, NFT_MSG_DELTABLE, family, 0);
}

static void build_queue_part(struct rs_ctx *c, uint8_t af,
			     const unsigned int has[2])
{
	static const struct qchain ch = {
		"queue_new", NF_INET_PRE_ROUTING, NF_IP_PRI_MANGLE
	};
	enum qkind k;

	for (k = 0; k < Q_KINDS; k++)
		msg_set(c, qfamily(c->rs, af), &qset[k][fam_index(af)]);
	build_onepacket_sets(c, af);
	build_lvs_sets(c, af);
	msg_set(c, qfamily(c->rs, af), &ksmap[fam_index(af)]);
	msg_qchains(c, af, &ch, 1);
	/* one-packet datagrams (untracked), then only new connections */
	rule_op_queue(c, af);
	rule_queue_not_new(c, af);
	/* IPVS looks firewall marks up first; the director does too */
	rule_queue_new(c, af, Q_FWMARK);
	rule_ksched(c, af, false);
	for (k = Q_FWMARK + 1; k < Q_KINDS; k++)
		rule_queue_new(c, af, k);
	if (chains_wanted(c->rs, has, af, RS_CHAINS_ONEPACKET))
		build_onepacket_chains(c, af);
	if (chains_wanted(c->rs, has, af, RS_CHAINS_LVS))
		build_lvs_chains(c, af);
	build_vip_input(c, af);
}

int ruleset_build(struct nft_batch *b, const struct ruleset *rs)
{
	struct rs_ctx c = { .b = b, .rs = rs };
	unsigned int i, has[2] = { 0, 0 };
	int p, f;

	for (i = 0; i < rs->nsvc; i++)
		has[fam_index(rs->svc[i].vip.family)] |=
			ruleset_service_chains(&rs->svc[i]);
	msg_table_flush_out(&c, NFPROTO_INET);
	msg_table_flush_out(&c, NFPROTO_IPV4);
	msg_table_flush_out(&c, NFPROTO_IPV6);

	msg_table(&c, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL);
	if (!rs->native_queue) {
		msg_table(&c, NFT_MSG_NEWTABLE, NFPROTO_IPV4,
			  NLM_F_CREATE | NLM_F_EXCL);
		msg_table(&c, NFT_MSG_NEWTABLE, NFPROTO_IPV6,
			  NLM_F_CREATE | NLM_F_EXCL);
	}
	build_queue_part(&c, AF_INET, has);
	build_queue_part(&c, AF_INET6, has);

	for (p = 1; p >= 0; p--)
		for (f = 0; f < 2; f++)
			msg_set(&c, NFPROTO_INET, &natmap[p][f]);
	timeout_objs(&c, false);
	msg_chain(&c, NFPROTO_INET, "mark_new", "filter", NF_INET_PRE_ROUTING,
		  NF_IP_PRI_MANGLE + 10);
	msg_chain(&c, NFPROTO_INET, "conn_new", NULL, 0, 0);
	build_mark_new(&c);
	msg_set(&c, NFPROTO_INET, &cntmap[0]);
	msg_set(&c, NFPROTO_INET, &cntmap[1]);
	msg_chain(&c, NFPROTO_INET, "stats", "filter", NF_INET_FORWARD,
		  NF_IP_PRI_FILTER - 10);
	rule_stats(&c, 0);
	rule_stats(&c, 1);
	rule_stats(&c, 2);
	msg_chain(&c, NFPROTO_INET, "nat_pre", "nat", NF_INET_PRE_ROUTING,
		  NF_IP_PRI_NAT_DST);
	rule_nat(&c, AF_INET, true);
	rule_nat(&c, AF_INET, false);
	rule_nat(&c, AF_INET6, true);
	rule_nat(&c, AF_INET6, false);

	for (i = 0; i < rs->nsvc && !c.err; i++)
		c.err = ruleset_build_service(b, rs, &rs->svc[i], false);
	for (i = 0; i < rs->nnat && !c.err; i++)
		c.err = ruleset_build_nat(b, rs, &rs->nat[i], false);
	for (i = 0; i < rs->nflows && !c.err; i++)
		c.err = ruleset_build_flow(b, rs, &rs->flows[i], false);
	return build_result(&c);
}

int ruleset_build_delete(struct nft_batch *b, const char *table)
{
	const struct ruleset rs = { .table = table };
	struct rs_ctx c = { .b = b, .rs = &rs };

	msg_table_flush_out(&c, NFPROTO_INET);
	msg_table_flush_out(&c, NFPROTO_IPV4);
	msg_table_flush_out(&c, NFPROTO_IPV6);
	return build_result(&c);
}

/* @key = addr . proto . port (network order), each field padded to 4
 * bytes (add_svc_key()'s registers); its length with the port */
static size_t svc_key_bytes(uint8_t key[24], const struct nflvs_addr *a,
			    uint8_t proto, uint16_t port)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	memset(key, 0, 24);
	memcpy(key, a->b, alen);
	key[alen] = proto;
	memcpy(key + alen + 4, &port, 2);
	return alen + 8;
}

int ruleset_build_service(struct nft_batch *b, const struct ruleset *rs,
			  const struct rs_service *s, bool del)
{
	struct rs_ctx c = { .b = b, .rs = rs };
	int f = fam_index(s->vip.family);
	uint8_t key[24];
	size_t klen = svc_key_bytes(key, &s->vip, s->protocol, htons(s->port));
	enum qkind k;

	if (s->fwd == FWD_DR || s->fwd == FWD_TUN) {
		/* a one-packet DR service has no flows: every datagram to
		 * the director, as every TUN packet unless the kernel
		 * encapsulates (then TUN flows are learnt as DR ones) */
		bool every = (s->fwd == FWD_TUN && !rs->tun_kernel) ||
			     s->one_packet;

		msg_elem(&c, qfamily(rs, s->vip.family),
			 &lvsset[every ? LVS_TUN : LVS_DR][f],
			 key, klen, NULL, 0, del);
		return c.err;
	}
	if (s->one_packet) {
		msg_elem(&c, qfamily(rs, s->vip.family), &opset[OP_SERVICES][f],
			 key, klen, NULL, 0, del);
		return c.err;
	}
	if (s->fwmark) {
		/* host order, as meta mark loads it */
		k = Q_FWMARK;
		memcpy(key, &s->fwmark, 4);
		klen = 4;
	} else {
		/* vip . proto [. port] */
		k = s->port ? Q_SERVICE : Q_ANYPORT;
		if (!s->port)
			klen -= 4;
	}
	msg_elem(&c, qfamily(rs, s->vip.family), &qset[k][f], key, klen,
		 NULL, 0, del);
	return c.err;
}

/* The five elements of a one-packet service's real server. */
static void onepacket_elems(struct rs_ctx *c, const struct rs_nat *n, bool del)
{
	int fam = qfamily(c->rs, n->addr.family), f = fam_index(n->addr.family);
	size_t alen = f ? 16 : 4;
	uint16_t port = htons(n->port), vport = htons(n->vport);
	uint8_t key[24];

	msg_elem(c, fam, &opset[OP_ADDR][f], &n->mark, 4,
		 del ? NULL : n->addr.b, alen, del);
	msg_elem(c, fam, &opset[OP_PORT][f], &n->mark, 4,
		 del ? NULL : &port, 2, del);
	msg_elem(c, fam, &opset[OP_RS][f], key,
		 svc_key_bytes(key, &n->addr, IPPROTO_UDP, port), NULL, 0, del);
	memset(key + alen, 0, 8);
	memcpy(key + alen, &port, 2);
	msg_elem(c, fam, &opset[OP_RVPORT][f], key, alen + 4,
		 del ? NULL : &vport, 2, del);
	memcpy(key + alen, &vport, 2);
	msg_elem(c, fam, &opset[OP_RVADDR][f], key, alen + 4,
		 del ? NULL : n->vip.b, alen, del);
}

int ruleset_build_nat(struct nft_batch *b, const struct ruleset *rs,
		      const struct rs_nat *n, bool del)
{
	struct rs_ctx c = { .b = b, .rs = rs };
	int f = fam_index(n->addr.family);
	size_t alen = f ? 16 : 4;
	uint16_t port = htons(n->port);
	uint8_t data[20] = { 0 };

	if (!del)
		counter_elems(&c, n, false);
	if (n->one_packet)
		onepacket_elems(&c, n, del);
	if (del)
		counter_elems(&c, n, true);
	if (n->one_packet)
		return c.err;
	/* port 0: keep the client's destination port */
	memcpy(data, n->addr.b, alen);
	memcpy(data + alen, &port, 2);
	msg_elem(&c, NFPROTO_INET, &natmap[n->port != 0][f], &n->mark,
		 sizeof(n->mark), del ? NULL : data,
		 alen + (n->port ? 4 : 0), del);
	return c.err;
}

int ruleset_build_probe(struct nft_batch *b, const char *table,
			uint32_t *queue_seq)
{
	const struct ruleset rs = { .table = table, .native_queue = true,
				    .queue = 0, .queues = 1 };
	struct rs_ctx c = { .b = b, .rs = &rs };
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return -ENOMEM;
	msg_table(&c, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE);
	msg_chain(&c, NFPROTO_INET, "nflvs_probe", NULL, 0, 0);
	add_expr(r, ex_queue(&rs));
	*queue_seq = b->seq;
	msg_rule(&c, NFPROTO_INET, "nflvs_probe", r, "probe");
	/* the same chain again with NLM_F_EXCL: EEXIST aborts the batch */
	msg_chain(&c, NFPROTO_INET, "nflvs_probe", NULL, 0, 0);
	return build_result(&c);
}

int ruleset_probe_native_queue(const char *table)
{
	struct nft_result res;
	struct nft_batch b;
	uint32_t qseq;
	int err;

	if (nft_batch_init(&b) < 0)
		return -ENOMEM;
	err = ruleset_build_probe(&b, table, &qseq);
	if (!err)
		nft_batch_commit(&b, &res);
	nft_batch_free(&b);
	if (err)
		return err;
	if (res.err == -EEXIST)
		return 1;
	if (res.err_seq == qseq && (res.err == -ENOENT ||
				    res.err == -EOPNOTSUPP))
		return 0;
	return res.err ? res.err : -EPROTO;
}

int ruleset_commit(struct nft_batch *b, char *err, size_t errlen)
{
	struct nft_result res;

	if (nft_batch_commit(b, &res) < 0) {
		snprintf(err, errlen, "nftables batch of %u messages: %s "
			 "(message %u)", nft_batch_count(b), strerror(-res.err),
			 res.err_seq ? res.err_seq - b->seq_first + 1 : 0);
		return res.err;
	}
	return 0;
}

/* delete every rule of @chain */
static void msg_flush_chain(struct rs_ctx *c, int family, const char *chain)
{
	struct nftnl_rule *r = rule_new(c);
	struct nlmsghdr *nlh;

	if (!r)
		return;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->rs->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nlh = batch_msg(c, NFT_MSG_DELRULE, family, 0);
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nft_batch_next(c->b);
	nftnl_rule_free(r);
}

int ruleset_build_timeouts(struct nft_batch *b, const struct ruleset *rs,
			   const unsigned int has[2])
{
	struct rs_ctx c = { .b = b, .rs = rs };
	int p, f;

	/* the policies are in use by conn_new's rules: those go first */
	msg_flush_chain(&c, NFPROTO_INET, "mark_new");
	msg_flush_chain(&c, NFPROTO_INET, "conn_new");
	timeout_objs(&c, true);
	timeout_objs(&c, false);
	build_mark_new(&c);
	/* the DR flow maps' renewals and additions carry the timeouts too */
	for (f = 0; f < 2; f++) {
		uint8_t af = f ? AF_INET6 : AF_INET;

		if (!chains_wanted(rs, has, af, RS_CHAINS_LVS))
			continue;
		/* lvs: raw_lvs holds no timeout; one inet chain holds both
		 * families */
		if (!f || !rs->native_queue)
			for (p = 1; p < (int)NCHAINS(lvs_chains); p++)
				msg_flush_chain(&c, qfamily(rs, af),
						lvs_chains[p].name);
		build_lvs_rules(&c, af);
	}
	return build_result(&c);
}

/* ---- kernel scheduling: the chains ------------------------------------ */

static void ks_chain_name(char *buf, size_t len, uint32_t id)
{
	snprintf(buf, len, "ks%u", id);
}

/* The element of @svc in @kschedN: -> jump @chain (NULL: delete it). */
static void msg_ks_elem(struct rs_ctx *c, const struct rs_service *svc,
			const char *chain)
{
	uint8_t key[24];
	size_t klen = svc_key_bytes(key, &svc->vip, svc->protocol,
				    htons(svc->port));

	msg_elem(c, qfamily(c->rs, svc->vip.family),
		 &ksmap[fam_index(svc->vip.family)], key, klen, chain,
		 chain ? strlen(chain) + 1 : 0, !chain);
}

/*
 * (ks<id>) [tcp flags & (fin|syn|rst|ack) == syn @th,96,4 >= 5]
 *	ct mark set numgen inc mod N map { 0 : m0, ... } counter accept
 * and for DR and TUN, whose flows the kernel learns by the packet mark
 * (lvs's learning rules, after the jump here returns) and the director
 * by the log (finlog.h):
 *	meta mark set numgen inc mod N map { ... } counter
 *	log group G snaplen 128
 * The map is the rule's own constant one, set id @set_id in the batch.
 */
static void rule_ks(struct rs_ctx *c, const struct rs_ksched *k,
		    const char *chain, uint32_t set_id)
{
	const struct set_spec sp = {
		.name = "__map%d", .id = set_id,
		.flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_MAP,
		.key_type = TYPE_INTEGER, .key_len = 4, .key_host_order = true,
		.data_type = TYPE_MARK, .data_len = 4, .data_host_order = true,
	};
	const struct set_spec ref = { .name = "__map%d", .id = set_id };
	int fam = qfamily(c->rs, k->svc.vip.family);
	struct nftnl_rule *r;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	uint32_t i;

	msg_set(c, fam, &sp);
	s = set_new(c->rs, fam, &ref);
	if (!s) {
		c->err = -ENOMEM;
		return;
	}
	for (i = 0; i < k->n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();

		if (!e) {
			c->err = -ENOMEM;
			break;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &i, 4);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &k->marks[i], 4);
		nftnl_set_elem_add(s, e);
	}
	nlh = batch_msg(c, NFT_MSG_NEWSETELEM, fam, NLM_F_CREATE);
	if (nlh)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nft_batch_next(c->b);
	nftnl_set_free(s);

	r = qrule_new(c, k->svc.vip.family);
	if (!r)
		return;
	if (k->svc.protocol == IPPROTO_TCP) {
		add_tcp_flags(r, TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK,
			      NFT_CMP_EQ, TCP_SYN);
		/* a header the director would refuse (data offset < 5):
		 * conntrack does for NAT, nothing would for DR */
		add_th_byte(r, 12, 0xf0, 0, NFT_CMP_GTE, 0x50);
	}
	add_expr(r, EX("numgen", { NFTNL_EXPR_NG_DREG, NFT_REG_1 },
		       { NFTNL_EXPR_NG_MODULUS, k->n },
		       { NFTNL_EXPR_NG_TYPE, NFT_NG_INCREMENTAL },
		       { NFTNL_EXPR_NG_OFFSET, 0 }));
	add_expr(r, ex_lookup(NFT_REG_1, ref.name, set_id, NFT_REG_1));
	if (k->svc.fwd == FWD_NAT) {
		add_expr(r, ex_ct_set(NFT_CT_MARK, NFT_REG_1));
		add_expr(r, ex_counter());
		add_expr(r, ex_verdict(NF_ACCEPT));
	} else {
		/* no verdict: back in lvs, its learning rules make the flow
		 * from the mark */
		add_expr(r, ex_meta_set(NFT_META_MARK, NFT_REG_1));
		add_expr(r, ex_counter());
		add_expr(r, ex_log(c->rs->queue, KS_LOG_COPY));
	}
	msg_rule(c, fam, chain, r, k->svc.protocol == IPPROTO_TCP ?
		 "a new connection's SYN: to the next real server, as the scheduler would" :
		 "a new flow: to the next real server, as the scheduler would");
}

int ruleset_build_ksched_flush(struct nft_batch *b, const struct ruleset *rs)
{
	struct rs_ctx c = { .b = b, .rs = rs };
	int f;

	for (f = 0; f < 2; f++) {
		int fam = qfamily(rs, f ? AF_INET6 : AF_INET);
		struct nftnl_set *s = set_new(rs, fam, &(struct set_spec){
						      .name = ksmap[f].name });
		struct nlmsghdr *nlh;

		if (!s)
			return -ENOMEM;
		/* no elements: every one goes */
		nlh = batch_msg(&c, NFT_MSG_DELSETELEM, fam, 0);
		if (nlh)
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nft_batch_next(b);
		nftnl_set_free(s);
	}
	return build_result(&c);
}

int ruleset_build_ksched(struct nft_batch *b, const struct ruleset *rs,
			 const struct rs_ksched *k)
{
	struct rs_ctx c = { .b = b, .rs = rs };
	int fam = qfamily(rs, k->svc.vip.family);
	char chain[32];

	ks_chain_name(chain, sizeof(chain), k->id);
	if (k->had) {
		if (!k->n)
			msg_ks_elem(&c, &k->svc, NULL);
		msg_flush_chain(&c, fam, chain);
	} else if (k->n) {
		msg_chain(&c, fam, chain, NULL, 0, 0);
	}
	if (k->n) {
		rule_ks(&c, k, chain, KS_SET_ID + k->id);
		if (!k->had)
			msg_ks_elem(&c, &k->svc, chain);
	} else if (k->had) {
		msg_chain_del(&c, fam, chain);
	}
	return build_result(&c);
}

/*
 * Dumps are read with libmnl, attribute by attribute, not with libnftnl's
 * parsers: those exit() the process ("nf_tables kernel ABI is broken") on
 * an attribute of an unexpected size, and a reader must only ever skip
 * what it cannot use.
 */
static bool attr_u32be(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) != sizeof(*v))
		return false;
	memcpy(v, mnl_attr_get_payload(a), sizeof(*v));
	*v = ntohl(*v);
	return true;
}

static bool attr_u64be(const struct nlattr *a, uint64_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) != sizeof(*v))
		return false;
	memcpy(v, mnl_attr_get_payload(a), sizeof(*v));
	*v = be64toh(*v);
	return true;
}

/* A NUL-terminated string attribute, or NULL. */
static const char *attr_str(const struct nlattr *a)
{
	const char *s = a ? mnl_attr_get_payload(a) : NULL;

	return s && memchr(s, '\0', mnl_attr_get_payload_len(a)) ? s : NULL;
}

struct counters_ctx {
	ruleset_counter_fn fn;
	ruleset_key_fn key_fn;
	void *ctx;
};

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;
	const char *v = nftnl_udata_get(attr);
	uint8_t len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_OBJ_COMMENT && len &&
	    v[len - 1] == '\0')
		*comment = v;
	return 0;
}

/* The comment in a counter's user data @a: the mark key of its real
 * server. */
static const char *counter_comment(const struct nlattr *a)
{
	const char *comment = NULL;

	if (a && mnl_attr_get_payload_len(a))
		nftnl_udata_parse(mnl_attr_get_payload(a),
				  mnl_attr_get_payload_len(a), comment_cb,
				  &comment);
	return comment;
}

static int counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters_ctx *x = data;
	const struct nlattr *tb[NFTA_OBJ_MAX + 1], *ctr[NFTA_COUNTER_MAX + 1];
	uint64_t packets, bytes;
	const char *name, *comment;
	uint32_t type, idx;
	char dir[4];

	if (!nl_attrs_parse(nlh, NULL, tb, NFTA_OBJ_MAX) ||
	    !attr_u32be(tb[NFTA_OBJ_TYPE], &type) ||
	    type != NFT_OBJECT_COUNTER ||
	    !(name = attr_str(tb[NFTA_OBJ_NAME])) ||
	    sscanf(name, "rs%u_%3s", &idx, dir) != 2)
		return MNL_CB_OK;
	if (!x->fn) {
		if (!strcmp(dir, "in") &&
		    (comment = counter_comment(tb[NFTA_OBJ_USERDATA])))
			x->key_fn(x->ctx, idx, comment);
	} else if (tb[NFTA_OBJ_DATA] &&
		   nl_attrs_parse(nlh, tb[NFTA_OBJ_DATA], ctr, NFTA_COUNTER_MAX) &&
		   attr_u64be(ctr[NFTA_COUNTER_PACKETS], &packets) &&
		   attr_u64be(ctr[NFTA_COUNTER_BYTES], &bytes)) {
		x->fn(x->ctx, idx, !strcmp(dir, "in"), packets, bytes);
	}
	return MNL_CB_OK;
}

static int dump_counters(const char *table, struct counters_ctx *x)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = time(NULL), portid;
	int n, ret = 0;

	if (!nl || !o || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno ? -errno : -ENOMEM;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET,
				    NLM_F_DUMP | NLM_F_ACK, seq);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		n = nl_cb_run(buf, n, seq, portid, counter_cb, x);
		if (n <= MNL_CB_STOP)
			break;
	}
	if (n < 0)
		ret = -errno;
out:
	nftnl_obj_free(o);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

int ruleset_table_exists(const char *table)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = time(NULL), portid;
	int n, ret;

	if (!nl || !t || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno ? -errno : -ENOMEM;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET,
				    NLM_F_ACK, seq);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_nlmsg_build_payload(nlh, t);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n > 0)
		n = mnl_cb_run(buf, n, seq, portid, NULL, NULL);
	ret = n >= 0 ? 1 : (errno == ENOENT ? 0 : -errno);
out:
	nftnl_table_free(t);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

int ruleset_read_counters(const char *table, ruleset_counter_fn fn, void *ctx)
{
	struct counters_ctx x = { .fn = fn, .ctx = ctx };

	return dump_counters(table, &x);
}

int ruleset_read_mark_keys(const char *table, ruleset_key_fn fn, void *ctx)
{
	struct counters_ctx x = { .key_fn = fn, .ctx = ctx };

	return dump_counters(table, &x);
}

/* ---- reading sets back ------------------------------------------------------ */

/* One element of a set dump, as far as we read them. */
struct set_elem {
	const void *key, *data;		/* NFTA_DATA_VALUE, or NULL */
	uint32_t klen, dlen;
	bool has_expiration;
	uint64_t expiration_ms;
};

typedef void (*elem_fn)(void *ctx, const struct set_elem *e);

struct dump_ctx {
	elem_fn fn;
	void *ctx;
};

/* The value inside an NFTA_SET_ELEM_KEY or _DATA nest. */
static const void *elem_value(const struct nlmsghdr *nlh,
			      const struct nlattr *nest, uint32_t *len)
{
	const struct nlattr *tb[NFTA_DATA_MAX + 1];

	if (!nest || !nl_attrs_parse(nlh, nest, tb, NFTA_DATA_MAX) ||
	    !tb[NFTA_DATA_VALUE])
		return NULL;
	*len = mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]);
	return mnl_attr_get_payload(tb[NFTA_DATA_VALUE]);
}

static int dump_elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *x = data;
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1];
	const struct nlattr *el[NFTA_SET_ELEM_MAX + 1], *a;

	if (!nl_attrs_parse(nlh, NULL, tb, NFTA_SET_ELEM_LIST_MAX) ||
	    !tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, tb[NFTA_SET_ELEM_LIST_ELEMENTS]) {
		struct set_elem e = { 0 };

		if (mnl_attr_get_type(a) != NFTA_LIST_ELEM ||
		    !nl_attrs_parse(nlh, a, el, NFTA_SET_ELEM_MAX))
			continue;
		e.key = elem_value(nlh, el[NFTA_SET_ELEM_KEY], &e.klen);
		e.data = elem_value(nlh, el[NFTA_SET_ELEM_DATA], &e.dlen);
		e.has_expiration = attr_u64be(el[NFTA_SET_ELEM_EXPIRATION],
					      &e.expiration_ms);
		x->fn(x->ctx, &e);
	}
	return MNL_CB_OK;
}

/*
 * A dump's receive buffer: the kernel sizes its messages by the largest
 * read (up to 32 KiB), and for a hash set walks the set from its start
 * again for every message, so a million DR flows in page-sized messages
 * cost it 8 times the work of 32 KiB ones.
 */
#define DUMP_BUFSIZE	32768

/* Every element of set @name in @table of @nfproto; none if it is not there. */
static int dump_set(const char *table, int nfproto, const char *name,
		    elem_fn fn, void *ctx)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct dump_ctx x = { fn, ctx };
	char buf[DUMP_BUFSIZE];
	uint32_t seq = time(NULL), portid;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int n = 0, ret = 0;

	if (!nl || !s || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, nfproto,
				    NLM_F_DUMP | NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		n = nl_cb_run(buf, n, seq, portid, dump_elem_cb, &x);
		if (n <= MNL_CB_STOP)
			break;
	}
	/* no such table or set: nothing to read (a first start) */
	if (n < 0 && errno != ENOENT)
		ret = -errno;
out:
	nftnl_set_free(s);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

struct flows_ctx {
	ruleset_flow_fn fn;
	void *ctx;
	uint8_t family;
	enum rs_flowmap map;
};

static void flow_elem(void *ctx, const struct set_elem *e)
{
	struct flows_ctx *x = ctx;
	size_t alen = x->family == AF_INET ? 4 : 16;
	struct rs_flow f = { .map = x->map };
	const uint8_t *k = e->key;
	const void *d = e->data;
	uint16_t port;

	if (!k || e->klen != 2 * alen + 8 || !d || e->dlen != 4)
		return;
	f.saddr.family = f.daddr.family = x->family;
	memcpy(f.saddr.b, k, alen);
	memcpy(&port, k + alen, 2);
	f.sport = ntohs(port);
	memcpy(f.daddr.b, k + alen + 4, alen);
	memcpy(&port, k + 2 * alen + 4, 2);
	f.dport = ntohs(port);
	memcpy(&f.mark, d, 4);
	if (e->has_expiration)
		f.timeout_ms = e->expiration_ms;
	x->fn(x->ctx, &f);
}

int ruleset_parse_counters(const void *buf, size_t len,
			   ruleset_counter_fn fn, void *ctx)
{
	struct counters_ctx x = { .fn = fn, .ctx = ctx };

	return nl_cb_run(buf, len, 0, 0, counter_cb, &x);
}

int ruleset_parse_flows(const void *buf, size_t len, uint8_t family,
			enum rs_flowmap map, ruleset_flow_fn fn, void *ctx)
{
	struct flows_ctx f = { .fn = fn, .ctx = ctx, .family = family,
			       .map = map };
	struct dump_ctx x = { flow_elem, &f };

	return nl_cb_run(buf, len, 0, 0, dump_elem_cb, &x);
}

int ruleset_read_flows(const struct ruleset *rs, uint8_t family,
		       ruleset_flow_fn fn, void *ctx)
{
	struct flows_ctx x = { .fn = fn, .ctx = ctx, .family = family };
	int ret = 0;

	for (x.map = 0; x.map < RS_FLOWMAPS && !ret; x.map++)
		ret = dump_set(rs->table, qfamily(rs, family),
			       flowmap[x.map][fam_index(family)].name,
			       flow_elem, &x);
	return ret;
}

/* ---- looking single flows up ------------------------------------------------ */

/*
 * Requests per send: the kernel answers each inside the send, so every
 * reply (about 200 bytes, 1 KiB of socket buffer) must fit the receive
 * buffer at once.
 */
#define LOOKUP_CHUNK	128u

size_t ruleset_build_lookups(void *buf, size_t cap, const struct ruleset *rs,
			     const struct rs_flow *q, unsigned int n,
			     uint32_t seq)
{
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct rs_flow *f = &q[i];
		int fi = fam_index(f->saddr.family);
		struct nlattr *list, *el, *key;
		struct nlmsghdr *nlh;
		uint8_t k[40];
		size_t klen = flow_key_bytes(f, k);

		if (cap - len < 512)
			break;
		/* no NLM_F_ACK: one reply each, the element or an error */
		nlh = nftnl_nlmsg_build_hdr((char *)buf + len,
					    NFT_MSG_GETSETELEM,
					    qfamily(rs, f->saddr.family), 0,
					    seq + i);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, rs->table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET,
				  flowmap[f->map][fi].name);
		list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
		mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, k);
		mnl_attr_nest_end(nlh, key);
		mnl_attr_nest_end(nlh, el);
		mnl_attr_nest_end(nlh, list);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return len;
}

struct lookup_ctx {
	struct rs_flow *f;
	int8_t *found;
};

static void lookup_elem(void *ctx, const struct set_elem *e)
{
	struct lookup_ctx *x = ctx;

	if (!e->data || e->dlen != 4)
		return;
	memcpy(&x->f->mark, e->data, 4);
	x->f->timeout_ms = e->has_expiration ? e->expiration_ms : 0;
	*x->found = 1;
}

struct lookups_ctx {
	uint32_t seq;			/* the first request's */
	struct rs_flow *q;
	int8_t *found;
	unsigned int n, replies;
};

/* One reply: the element, or an error (ENOENT: no such element). */
static int lookup_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lookups_ctx *x = data;
	uint32_t i = nlh->nlmsg_seq - x->seq;
	struct nlmsgerr err;

	if (i >= x->n)
		return MNL_CB_OK;	/* not one of ours */
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
			return MNL_CB_OK;
		memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
		x->found[i] = err.error == -ENOENT ? 0 : -1;
		x->replies++;
	} else if (nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) |
				       NFT_MSG_NEWSETELEM)) {
		struct lookup_ctx lx = { &x->q[i], &x->found[i] };
		struct dump_ctx dx = { lookup_elem, &lx };

		x->found[i] = -1;	/* unless it holds the element */
		dump_elem_cb(nlh, &dx);
		x->replies++;
	}
	return MNL_CB_OK;
}

unsigned int ruleset_parse_lookups(const void *buf, size_t len, uint32_t seq,
				   struct rs_flow *q, int8_t *found,
				   unsigned int n)
{
	struct lookups_ctx x = { .seq = seq, .q = q, .found = found, .n = n };
	/* the errors are replies too; other control messages are skipped */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = lookup_reply_cb };

	nl_cb_run2(buf, len, 0, 0, lookup_reply_cb, &x, ctl, NLMSG_MIN_TYPE);
	return x.replies;
}

static struct mnl_socket *lookup_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int rcv = 1 << 20;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	/* as large as we may (FORCE needs CAP_NET_ADMIN, which we keep) */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcv,
			   sizeof(rcv));
	return nl;
}

int ruleset_lookup_flows(const struct ruleset *rs, struct rs_flow *q,
			 int8_t *found, unsigned int n)
{
	struct mnl_socket *nl = lookup_socket();
	static char buf[LOOKUP_CHUNK * 512];	/* main thread only */
	char rbuf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL) << 12;
	unsigned int i, m, got;
	size_t len;
	ssize_t r;

	memset(found, -1, n);
	if (!nl)
		return -errno ? -errno : -ENOMEM;
	for (i = 0; i < n; i += m, seq += LOOKUP_CHUNK) {
		m = n - i < LOOKUP_CHUNK ? n - i : LOOKUP_CHUNK;
		len = ruleset_build_lookups(buf, sizeof(buf), rs, q + i, m, seq);
		if (mnl_socket_sendto(nl, buf, len) < 0)
			break;
		/* every reply is queued by the time the send returns */
		for (got = 0; got < m; got += ruleset_parse_lookups(rbuf, r,
					seq, q + i, found + i, m)) {
			r = recv(mnl_socket_get_fd(nl), rbuf, sizeof(rbuf),
				 MSG_DONTWAIT);
			if (r <= 0)
				break;
		}
	}
	mnl_socket_close(nl);
	return 0;
}

struct marks_ctx {
	ruleset_mark_fn fn;
	void *ctx;
	uint8_t family;
};

static void mark_elem(void *ctx, const struct set_elem *e)
{
	struct marks_ctx *x = ctx;
	size_t alen = x->family == AF_INET ? 4 : 16;
	struct nflvs_addr a = { .family = x->family };
	uint32_t mark;

	if (!e->key || e->klen != 4 || !e->data || e->dlen < alen)
		return;
	memcpy(&mark, e->key, 4);
	memcpy(a.b, e->data, alen);
	x->fn(x->ctx, mark, &a);
}

int ruleset_parse_marks(const void *buf, size_t len, uint8_t family,
			ruleset_mark_fn fn, void *ctx)
{
	struct marks_ctx m = { .fn = fn, .ctx = ctx, .family = family };
	struct dump_ctx x = { mark_elem, &m };

	return nl_cb_run(buf, len, 0, 0, dump_elem_cb, &x);
}

int ruleset_read_marks(const char *table, ruleset_mark_fn fn, void *ctx)
{
	struct marks_ctx x = { .fn = fn, .ctx = ctx };
	int p, f, ret = 0;

	for (p = 0; p < 2 && !ret; p++)
		for (f = 0; f < 2 && !ret; f++) {
			x.family = f ? AF_INET6 : AF_INET;
			ret = dump_set(table, NFPROTO_INET, natmap[p][f].name,
				       mark_elem, &x);
		}
	return ret;
}
