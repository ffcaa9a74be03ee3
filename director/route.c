// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rtnetlink for DR and TUN: route lookups, the policy rules and routes of
 * DR real servers, and the local table's rule.  Rules and routes the
 * director makes carry protocol RTPROT_NFLVS, so that it can tell them
 * from everybody else's and remove its own after a crash.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "route.h"

#define RTPROT_NFLVS	0xf1	/* ours; 0xf0-0xfe are unassigned */

struct rt_req {
	struct mnl_socket *nl;
	uint32_t seq, portid;
	char buf[16384];
};

static int rt_open(struct rt_req *r)
{
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->nl)
		return -errno;
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(r->nl);
		return err;
	}
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = time(NULL);
	return 0;
}

static struct nlmsghdr *rt_msg(struct rt_req *r, uint16_t type,
			       uint16_t flags, void **payload, size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++r->seq;
	*payload = mnl_nlmsg_put_extra_header(nlh, len);
	return nlh;
}

/* Send and run @cb over the replies (dump or single), acks included. */
static int rt_talk(struct rt_req *r, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	int n, ret = 0;

	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(r->nl, r->buf, sizeof(r->buf))) > 0) {
		n = mnl_cb_run(r->buf, n, nlh->nlmsg_seq, r->portid, cb, data);
		if (n <= MNL_CB_STOP)
			break;
	}
	if (n < 0)
		ret = -errno;
	return ret;
}

/* One request with an ack, closing the socket afterwards. */
static int rt_do(struct rt_req *r, struct nlmsghdr *nlh)
{
	int ret;

	nlh->nlmsg_flags |= NLM_F_ACK;
	ret = rt_talk(r, nlh, NULL, NULL);
	mnl_socket_close(r->nl);
	return ret;
}

/* ---- lookups -------------------------------------------------------------- */

struct lookup_ctx {
	struct route_info *ri;
	uint8_t family;
	bool gateway;
};

static int route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= RTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int lookup_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lookup_ctx *x = data;
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	size_t alen = x->family == AF_INET ? 4 : 16;

	mnl_attr_parse(nlh, sizeof(*rm), route_attr_cb, tb);
	if (tb[RTA_OIF])
		x->ri->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_PREFSRC]) {
		x->ri->src.family = x->family;
		memcpy(x->ri->src.b, mnl_attr_get_payload(tb[RTA_PREFSRC]), alen);
	}
	x->gateway = tb[RTA_GATEWAY] != NULL;
	if (x->gateway && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == alen) {
		x->ri->gw.family = x->family;
		memcpy(x->ri->gw.b, mnl_attr_get_payload(tb[RTA_GATEWAY]), alen);
	}
	if (tb[RTA_METRICS]) {
		const struct nlattr *m;

		mnl_attr_for_each_nested(m, tb[RTA_METRICS])
			if (mnl_attr_get_type(m) == RTAX_MTU)
				x->ri->mtu = mnl_attr_get_u32(m);
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	uint32_t *mtu = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(a) == IFLA_MTU)
			*mtu = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int link_mtu(int ifindex, uint32_t *mtu)
{
	struct rt_req r;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int ret = rt_open(&r);

	if (ret)
		return ret;
	/* an ack after the answer ends the exchange */
	nlh = rt_msg(&r, RTM_GETLINK, NLM_F_ACK, (void **)&ifi, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ret = rt_talk(&r, nlh, link_cb, mtu);
	mnl_socket_close(r.nl);
	return ret;
}

int route_lookup(const struct nflvs_addr *dst, struct route_info *ri)
{
	struct lookup_ctx x = { .ri = ri, .family = dst->family };
	struct rt_req r;
	struct nlmsghdr *nlh;
	struct rtmsg *rm;
	int ret;

	memset(ri, 0, sizeof(*ri));
	ret = rt_open(&r);
	if (ret)
		return ret;
	nlh = rt_msg(&r, RTM_GETROUTE, NLM_F_ACK, (void **)&rm, sizeof(*rm));
	rm->rtm_family = dst->family;
	rm->rtm_dst_len = dst->family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, addr_len(dst), dst->b);
	ret = rt_talk(&r, nlh, lookup_cb, &x);
	mnl_socket_close(r.nl);
	if (ret)
		return ret;
	if (!ri->oif)
		return -ENETUNREACH;
	ri->onlink = !x.gateway;
	if (!ri->mtu && (ret = link_mtu(ri->oif, &ri->mtu)) < 0)
		return ret;
	return 0;
}

/* ---- rules and routes ------------------------------------------------------ */

static int rule_msg(uint8_t family, bool add, uint32_t mark, uint32_t mask,
		    uint32_t table, uint32_t pref, uint8_t proto)
{
	struct fib_rule_hdr *fr;
	struct nlmsghdr *nlh;
	struct rt_req r;
	int ret = rt_open(&r);

	if (ret)
		return ret;
	nlh = rt_msg(&r, add ? RTM_NEWRULE : RTM_DELRULE,
		     add ? NLM_F_CREATE | NLM_F_EXCL : 0, (void **)&fr, sizeof(*fr));
	fr->family = family;
	fr->action = FR_ACT_TO_TBL;
	fr->table = table < 256 ? table : RT_TABLE_UNSPEC;
	if (mask) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, mask);
	}
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, pref);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, proto);
	return rt_do(&r, nlh);
}

int route_rule(uint8_t family, bool add, uint32_t mark, uint32_t mask,
	       uint32_t table, uint32_t pref)
{
	return rule_msg(family, add, mark, mask, table, pref, RTPROT_NFLVS);
}

int route_default(bool add, const struct nflvs_addr *gw, int oif,
		  uint32_t table, uint32_t mtu)
{
	struct nlattr *metrics;
	struct nlmsghdr *nlh;
	struct rtmsg *rm;
	struct rt_req r;
	int ret = rt_open(&r);

	if (ret)
		return ret;
	nlh = rt_msg(&r, add ? RTM_NEWROUTE : RTM_DELROUTE,
		     add ? NLM_F_CREATE | NLM_F_REPLACE : 0, (void **)&rm,
		     sizeof(*rm));
	rm->rtm_family = gw->family;
	rm->rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	rm->rtm_protocol = RTPROT_NFLVS;
	rm->rtm_scope = RT_SCOPE_UNIVERSE;
	rm->rtm_type = RTN_UNICAST;
	rm->rtm_flags = RTNH_F_ONLINK;
	mnl_attr_put(nlh, RTA_GATEWAY, addr_len(gw), gw->b);
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (add && mtu) {
		/* locked: path MTU discovery does not raise it again */
		metrics = mnl_attr_nest_start(nlh, RTA_METRICS);
		mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
		mnl_attr_put_u32(nlh, RTAX_LOCK, 1u << RTAX_MTU);
		mnl_attr_nest_end(nlh, metrics);
	}
	return rt_do(&r, nlh);
}

/* ---- dumps --------------------------------------------------------------- */

struct rule_seen {
	uint32_t table, pref, mark, mask;
	uint8_t protocol;
	bool has_mark;
};

struct dump_ctx {
	uint32_t table;		/* what we look for */
	int found;		/* rules/routes that are not ours in it */
	bool local;		/* looking for the local table's rule */
	uint32_t local_pref;
	int local_count;
};

static int rule_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= FRA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static void rule_parse(const struct nlmsghdr *nlh, struct rule_seen *rs)
{
	const struct fib_rule_hdr *fr = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FRA_MAX + 1] = { NULL };

	mnl_attr_parse(nlh, sizeof(*fr), rule_attr_cb, tb);
	memset(rs, 0, sizeof(*rs));
	rs->table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : fr->table;
	rs->pref = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	rs->protocol = tb[FRA_PROTOCOL] ? mnl_attr_get_u8(tb[FRA_PROTOCOL]) : 0;
	rs->has_mark = tb[FRA_FWMARK] != NULL;
}

static int rule_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *x = data;
	struct rule_seen rs;

	rule_parse(nlh, &rs);
	if (x->local) {
		if (rs.table == RT_TABLE_LOCAL && !rs.has_mark) {
			x->local_pref = rs.pref;
			x->local_count++;
		}
	} else if (rs.table == x->table && rs.protocol != RTPROT_NFLVS) {
		x->found++;
	}
	return MNL_CB_OK;
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	struct dump_ctx *x = data;
	uint32_t table;

	mnl_attr_parse(nlh, sizeof(*rm), route_attr_cb, tb);
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rm->rtm_table;
	if (table == x->table && rm->rtm_protocol != RTPROT_NFLVS)
		x->found++;
	return MNL_CB_OK;
}

static int rt_dump(uint8_t family, uint16_t type, mnl_cb_t cb, void *x)
{
	struct nlmsghdr *nlh;
	struct rt_req r;
	void *p;
	int ret = rt_open(&r);

	if (ret)
		return ret;
	nlh = rt_msg(&r, type, NLM_F_DUMP, &p,
		     type == RTM_GETRULE ? sizeof(struct fib_rule_hdr)
					 : sizeof(struct rtmsg));
	((uint8_t *)p)[0] = family;	/* rtm_family / fib_rule_hdr.family */
	ret = rt_talk(&r, nlh, cb, x);
	mnl_socket_close(r.nl);
	return ret;
}

int route_table_used(uint8_t family, uint32_t table)
{
	struct dump_ctx x = { .table = table };
	int ret;

	ret = rt_dump(family, RTM_GETRULE, rule_dump_cb, &x);
	if (!ret)
		ret = rt_dump(family, RTM_GETROUTE, route_dump_cb, &x);
	return ret ? ret : x.found > 0;
}

int route_local_pref(uint8_t family, uint32_t *pref)
{
	struct dump_ctx x = { .local = true };
	int ret = rt_dump(family, RTM_GETRULE, rule_dump_cb, &x);

	if (ret)
		return ret;
	if (x.local_count != 1)
		return -ENOENT;	/* none, or several: not ours to move */
	*pref = x.local_pref;
	return 0;
}

/*
 * The kernel's rule is at 0 with protocol "kernel"; ours, anywhere else,
 * says RTPROT_NFLVS, so that a crashed director's is found and undone.
 */
static uint8_t local_proto(uint32_t pref)
{
	return pref ? RTPROT_NFLVS : RTPROT_KERNEL;
}

int route_local_move(uint8_t family, uint32_t from, uint32_t to)
{
	int ret;

	/* the new one first: local delivery must never stop */
	ret = rule_msg(family, true, 0, 0, RT_TABLE_LOCAL, to, local_proto(to));
	if (ret && ret != -EEXIST)
		return ret;
	return rule_msg(family, false, 0, 0, RT_TABLE_LOCAL, from,
			local_proto(from));
}

/* ---- after a crash: undo what a previous director left ------------------- */

struct ours {
	struct rule_seen rule[256];
	unsigned int nrule;
	struct { struct nflvs_addr gw; int oif; uint32_t table; } route[256];
	unsigned int nroute;
	uint8_t family;
	uint32_t table_lo, table_hi, pref;	/* this director's */
	route_keep_fn keep;
	void *ctx;
};

static bool ours_table(const struct ours *o, uint32_t table)
{
	return table >= o->table_lo && table <= o->table_hi;
}

static int ours_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ours *o = data;
	const struct fib_rule_hdr *fr = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FRA_MAX + 1] = { NULL };
	struct rule_seen rs;

	rule_parse(nlh, &rs);
	if (rs.protocol != RTPROT_NFLVS || o->nrule == 256)
		return MNL_CB_OK;
	/* another director's (other tables, another preference): not ours */
	if (rs.table == RT_TABLE_LOCAL ? rs.pref != o->pref + 1 :
	    !ours_table(o, rs.table) || rs.pref != o->pref)
		return MNL_CB_OK;
	if (o->keep && o->keep(o->ctx, rs.table))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*fr), rule_attr_cb, tb);
	rs.mark = tb[FRA_FWMARK] ? mnl_attr_get_u32(tb[FRA_FWMARK]) : 0;
	rs.mask = tb[FRA_FWMASK] ? mnl_attr_get_u32(tb[FRA_FWMASK]) : 0;
	o->rule[o->nrule++] = rs;
	return MNL_CB_OK;
}

static int ours_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	struct ours *o = data;
	uint32_t table;

	if (rm->rtm_protocol != RTPROT_NFLVS || o->nroute == 256)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rm), route_attr_cb, tb);
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rm->rtm_table;
	if (!tb[RTA_GATEWAY] || !tb[RTA_OIF] || !ours_table(o, table) ||
	    (o->keep && o->keep(o->ctx, table)))
		return MNL_CB_OK;
	o->route[o->nroute].gw.family = o->family;
	memcpy(o->route[o->nroute].gw.b, mnl_attr_get_payload(tb[RTA_GATEWAY]),
	       mnl_attr_get_payload_len(tb[RTA_GATEWAY]) > 16 ? 16 :
	       mnl_attr_get_payload_len(tb[RTA_GATEWAY]));
	o->route[o->nroute].oif = mnl_attr_get_u32(tb[RTA_OIF]);
	o->route[o->nroute++].table = table;
	return MNL_CB_OK;
}

int route_cleanup(uint8_t family, uint32_t table_lo, uint32_t table_hi,
		  uint32_t pref, route_keep_fn keep, void *ctx,
		  unsigned int *removed)
{
	struct ours *o = calloc(1, sizeof(*o));
	unsigned int i;
	int ret;

	*removed = 0;
	if (!o)
		return -ENOMEM;
	o->family = family;
	o->table_lo = table_lo;
	o->table_hi = table_hi;
	o->pref = pref;
	o->keep = keep;
	o->ctx = ctx;
	ret = rt_dump(family, RTM_GETRULE, ours_rule_cb, o);
	if (!ret)
		ret = rt_dump(family, RTM_GETROUTE, ours_route_cb, o);
	for (i = 0; !ret && i < o->nrule; i++) {
		struct rule_seen *r = &o->rule[i];

		if (r->table == RT_TABLE_LOCAL && !r->has_mark)
			ret = route_local_move(family, r->pref, 0);
		else
			ret = route_rule(family, false, r->mark, r->mask,
					 r->table, r->pref);
		(*removed)++;
	}
	for (i = 0; !ret && i < o->nroute; i++, (*removed)++)
		ret = route_default(false, &o->route[i].gw, o->route[i].oif,
				    o->route[i].table, 0);
	free(o);
	return ret;
}
