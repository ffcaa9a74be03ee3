// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_sctp.h>

#include "ctrack.h"
#include "nft.h"

#define CT_RCVBUF	(16 << 20)
#define CT_BUFSIZE	(64 * 1024)
#define CT_SLICE	2048		/* an event, with room (one a datagram) */

#define NS		1000000000ull
#define EXPIRE_BATCH	256	/* lookups per netlink send */

/*
 * A connection's record in tab[0] (IPv4) or tab[1] (IPv6): its original
 * tuple, the key (client, virtual address, the ports as conntrack gives
 * them, protocol; an IPv4 one uses 4 bytes of each address), then what it
 * was last counted as.
 */
#define KEY4	16	/* 4 + 4 + 2 + 2 + 1, padded */
#define KEY6	40	/* 16 + 16 + 2 + 2 + 1, padded */

struct ct_tail {
	uint8_t state;		/* TCP/SCTP state, for listings */
	uint8_t cls;		/* enum ct_class */
	uint8_t gen;		/* resync generation, modulo 256 */
	uint8_t pad;
	uint32_t id;		/* conntrack's, as last seen */
	uint32_t mark;		/* masked */
	uint32_t expires;	/* s (monotonic): when conntrack may drop it,
				   unless refreshed */
};

static uint64_t ct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + ts.tv_nsec;
}

enum ct_class ctrack_classify(uint8_t l4proto, uint8_t state)
{
	if (l4proto == IPPROTO_TCP)
		return state == TCP_CONNTRACK_ESTABLISHED ? CT_ACTIVE : CT_INACTIVE;
	if (l4proto == IPPROTO_SCTP)
		return state == SCTP_CONNTRACK_ESTABLISHED ? CT_ACTIVE : CT_INACTIVE;
	return CT_INACTIVE;
}

int ctrack_init(struct ctrack *t, uint32_t mark_mask, ctrack_account_fn fn,
		void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->mark_mask = mark_mask;
	t->account = fn;
	t->ctx = ctx;
	if (otab_init(&t->tab[0], KEY4 + sizeof(struct ct_tail), KEY4, 1024) ||
	    otab_init(&t->tab[1], KEY6 + sizeof(struct ct_tail), KEY6, 64)) {
		otab_fini(&t->tab[0]);
		return -ENOMEM;
	}
	return 0;
}

static struct ct_tail *tail_of(const struct otab *tab, void *rec)
{
	return (struct ct_tail *)((uint8_t *)rec + tab->klen);
}

static size_t alen_of(const struct otab *tab)
{
	return tab->klen == KEY6 ? 16 : 4;
}

/* @ev's table and key (KEY6 bytes); NULL if not an IP family */
static struct otab *ct_key(struct ctrack *t, const struct ct_event *ev,
			   uint8_t *key)
{
	struct otab *tab;
	size_t alen;

	if (ev->src.family != AF_INET && ev->src.family != AF_INET6)
		return NULL;
	tab = &t->tab[ev->src.family == AF_INET6];
	alen = alen_of(tab);
	memset(key, 0, KEY6);
	memcpy(key, ev->src.b, alen);
	memcpy(key + alen, ev->dst.b, alen);
	memcpy(key + 2 * alen, &ev->sport, 2);
	memcpy(key + 2 * alen + 2, &ev->dport, 2);
	key[2 * alen + 4] = ev->l4proto;
	return tab;
}

/* The connection of record @rec as an event (no timeout: see expires). */
static void rec_event(const struct otab *tab, void *rec, struct ct_event *ev)
{
	const struct ct_tail *c = tail_of(tab, rec);
	const uint8_t *k = rec;
	size_t alen = alen_of(tab);

	memset(ev, 0, sizeof(*ev));
	ev->id = c->id;
	ev->mark = c->mark;
	ev->state = c->state;
	ev->l4proto = k[2 * alen + 4];
	ev->src.family = ev->dst.family = alen == 16 ? AF_INET6 : AF_INET;
	memcpy(ev->src.b, k, alen);
	memcpy(ev->dst.b, k + alen, alen);
	memcpy(&ev->sport, k + 2 * alen, 2);
	memcpy(&ev->dport, k + 2 * alen + 2, 2);
}

/* @ns as whole seconds, rounded up (expiry is never early) */
static uint32_t ct_secs(uint64_t ns)
{
	return (uint32_t)((ns + NS - 1) / NS);
}

void ctrack_apply(struct ctrack *t, const struct ct_event *ev, uint64_t now)
{
	uint32_t mark = ev->mark & t->mark_mask;
	uint8_t key[KEY6];
	struct otab *tab;
	struct ct_tail *c;
	enum ct_class cls;
	uint8_t state;
	bool fresh;
	void *rec;

	t->stats.events++;
	tab = ct_key(t, ev, key);
	if (!tab)
		return;
	if (ev->destroy || !mark) {
		struct ct_event last;
		enum ct_class was;

		rec = otab_find(tab, key);
		if (!rec)
			return;
		c = tail_of(tab, rec);
		rec_event(tab, rec, &last);
		was = c->cls;
		otab_del(tab, rec);
		t->stats.tracked--;
		t->account(t->ctx, last.mark, was, CT_NONE, &last);
		return;
	}
	rec = otab_get(tab, key, &fresh);
	if (!rec)
		return;		/* out of memory: not counted */
	c = tail_of(tab, rec);
	/* a message without the state says nothing of it */
	state = ev->nostate && !fresh ? c->state : ev->state;
	cls = ctrack_classify(ev->l4proto, state);
	if (fresh) {
		t->stats.tracked++;
	} else if (c->mark != mark) {
		/* the same connection, another mark: count it as gone and new */
		t->account(t->ctx, c->mark, c->cls, CT_NONE, ev);
		c->cls = CT_NONE;
	}
	c->gen = (uint8_t)t->gen;
	c->id = ev->id;
	c->state = state;
	c->expires = ct_secs(now + (uint64_t)ev->timeout * NS);
	if (c->cls != cls || c->mark != mark) {
		enum ct_class old = c->mark == mark ? c->cls : CT_NONE;

		c->mark = mark;
		c->cls = cls;
		t->account(t->ctx, mark, old, cls, ev);
	}
}

unsigned int ctrack_overdue(struct ctrack *t, uint64_t now,
			    struct ct_event *out, unsigned int max)
{
	uint32_t i, now_s = (uint32_t)(now / NS);
	unsigned int n = 0;
	int f;

	for (f = 0; f < 2; f++)
		for (i = 0; i < t->tab[f].cap && n < max; i++) {
			void *rec = otab_at(&t->tab[f], i);
			struct ct_tail *c;

			if (!rec)
				continue;
			c = tail_of(&t->tab[f], rec);
			if (c->expires <= now_s) {
				rec_event(&t->tab[f], rec, &out[n++]);
				/* ask again in a second if it lingers */
				c->expires = ct_secs(now + NS);
			}
		}
	return n;
}

struct each_ctx {
	const struct otab *tab;
	ctrack_each_fn fn;
	void *ctx;
};

static void each_rec(void *rec, void *ctx)
{
	struct each_ctx *x = ctx;
	const struct ct_tail *c = tail_of(x->tab, rec);
	struct ct_event ev;

	rec_event(x->tab, rec, &ev);
	x->fn(x->ctx, &ev, c->mark, (uint64_t)c->expires * NS);
}

size_t ctrack_table_bytes(const struct ctrack *t)
{
	return otab_bytes(&t->tab[0]) + otab_bytes(&t->tab[1]);
}

void ctrack_foreach(const struct ctrack *t, ctrack_each_fn fn, void *ctx)
{
	struct each_ctx x = { .fn = fn, .ctx = ctx };
	int f;

	for (f = 0; f < 2; f++) {
		x.tab = &t->tab[f];
		otab_foreach(x.tab, each_rec, &x);
	}
}

const char *ctrack_state_name(uint8_t l4proto, uint8_t state)
{
	static const char *const tcp[] = {
		[TCP_CONNTRACK_NONE] = "NONE",
		[TCP_CONNTRACK_SYN_SENT] = "SYN_SENT",
		[TCP_CONNTRACK_SYN_RECV] = "SYN_RECV",
		[TCP_CONNTRACK_ESTABLISHED] = "ESTABLISHED",
		[TCP_CONNTRACK_FIN_WAIT] = "FIN_WAIT",
		[TCP_CONNTRACK_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_CONNTRACK_LAST_ACK] = "LAST_ACK",
		[TCP_CONNTRACK_TIME_WAIT] = "TIME_WAIT",
		[TCP_CONNTRACK_CLOSE] = "CLOSE",
		[TCP_CONNTRACK_SYN_SENT2] = "SYN_SENT",
	};

	if (l4proto == IPPROTO_UDP)
		return "UDP";
	if (l4proto == IPPROTO_SCTP)
		return state == SCTP_CONNTRACK_ESTABLISHED ? "ESTABLISHED" : "SCTP";
	if (state < sizeof(tcp) / sizeof(tcp[0]) && tcp[state])
		return tcp[state];
	return "NONE";
}

struct sweep_ctx {
	struct ctrack *t;
	const struct otab *tab;
};

/* A record the resync did not see: counted gone, then removed. */
static bool unseen(void *rec, void *ctx)
{
	struct sweep_ctx *x = ctx;
	const struct ct_tail *c = tail_of(x->tab, rec);
	struct ct_event ev;

	if (c->gen == (uint8_t)x->t->gen)
		return false;
	rec_event(x->tab, rec, &ev);
	x->t->stats.tracked--;
	x->t->account(x->t->ctx, c->mark, c->cls, CT_NONE, &ev);
	return true;
}

void ctrack_resync_begin(struct ctrack *t)
{
	t->stats.resyncs++;
	t->gen++;
}

/* Entries a resync did not see are gone. */
void ctrack_resync_end(struct ctrack *t)
{
	struct sweep_ctx x = { .t = t };
	int f;

	for (f = 0; f < 2; f++) {
		x.tab = &t->tab[f];
		otab_remove_if(&t->tab[f], unseen, &x);
	}
}

void ctrack_fini(struct ctrack *t)
{
	otab_fini(&t->tab[0]);
	otab_fini(&t->tab[1]);
	free(t->buf);
	if (t->nl)
		mnl_socket_close(t->nl);
	memset(t, 0, sizeof(*t));
}

/* ---- netlink ------------------------------------------------------------ */

/*
 * The messages are read attribute by attribute with libmnl: libnetfilter_
 * conntrack's parser exit()s on an attribute of a size it does not
 * expect (its abi_breakage()).  A message that lacks what an entry needs
 * (an id, an IP family, addresses, a protocol) or has an attribute of the
 * wrong size is ignored.
 */
/* The attributes nested in @nest (if there), by type up to @max. */
static bool ct_nest(const struct nlattr *nest, const struct nlattr **tb,
		    unsigned int max)
{
	return nest && nl_attrs_parse(NULL, nest, tb, max);
}

/* @a's payload of @len bytes into @v: false if @a is there with another
 * size; absent, @v stays as it is. */
static bool ct_get(const struct nlattr *a, void *v, size_t len)
{
	if (!a)
		return true;
	if (mnl_attr_get_payload_len(a) != len)
		return false;
	memcpy(v, mnl_attr_get_payload(a), len);
	return true;
}

/* TCP's or SCTP's state in CTA_PROTOINFO @a (nested under @kind). */
static bool ct_state(const struct nlattr *a, unsigned int kind,
		     unsigned int attr, struct ct_event *ev)
{
	const struct nlattr *pi[CTA_PROTOINFO_MAX + 1];
	const struct nlattr *st[CTA_PROTOINFO_TCP_MAX + 1];

	_Static_assert(CTA_PROTOINFO_SCTP_STATE <= CTA_PROTOINFO_TCP_MAX,
		       "st holds SCTP's state too");

	ev->nostate = true;
	if (!a)
		return true;
	if (!ct_nest(a, pi, CTA_PROTOINFO_MAX))
		return false;
	if (!pi[kind])
		return true;
	if (!ct_nest(pi[kind], st, attr))
		return false;
	ev->nostate = !st[attr];
	return ct_get(st[attr], &ev->state, 1);
}

static bool ct_msg_event(const struct nlmsghdr *nlh, struct ct_event *ev)
{
	const struct nlattr *tb[CTA_MAX + 1], *tup[CTA_TUPLE_MAX + 1];
	const struct nlattr *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	uint32_t id = 0, mark = 0, timeout = 0;
	size_t alen;
	bool v4;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) ||
	    (g->nfgen_family != AF_INET && g->nfgen_family != AF_INET6))
		return false;
	v4 = g->nfgen_family == AF_INET;
	alen = v4 ? 4 : 16;
	if (!nl_attrs_parse(nlh, NULL, tb, CTA_MAX) ||
	    !tb[CTA_ID] || !ct_nest(tb[CTA_TUPLE_ORIG], tup, CTA_TUPLE_MAX) ||
	    !ct_nest(tup[CTA_TUPLE_IP], ip, CTA_IP_MAX) ||
	    !ct_nest(tup[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX))
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->src.family = ev->dst.family = g->nfgen_family;
	if (!ip[v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC] ||
	    !ip[v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST] || !pr[CTA_PROTO_NUM] ||
	    !ct_get(ip[v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC], ev->src.b, alen) ||
	    !ct_get(ip[v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST], ev->dst.b, alen) ||
	    !ct_get(pr[CTA_PROTO_NUM], &ev->l4proto, 1) ||
	    !ct_get(pr[CTA_PROTO_SRC_PORT], &ev->sport, 2) ||	/* network */
	    !ct_get(pr[CTA_PROTO_DST_PORT], &ev->dport, 2) ||	/* order */
	    !ct_get(tb[CTA_ID], &id, 4) || !ct_get(tb[CTA_MARK], &mark, 4) ||
	    !ct_get(tb[CTA_TIMEOUT], &timeout, 4))
		return false;
	ev->id = ntohl(id);
	ev->mark = ntohl(mark);
	ev->timeout = ntohl(timeout);
	ev->destroy = (nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE;
	/* an event of a new entry, not a dump's or an update's */
	ev->created = !ev->destroy && (nlh->nlmsg_flags & NLM_F_CREATE);
	if (ev->l4proto == IPPROTO_TCP)
		return ct_state(tb[CTA_PROTOINFO], CTA_PROTOINFO_TCP,
				CTA_PROTOINFO_TCP_STATE, ev);
	if (ev->l4proto == IPPROTO_SCTP)
		return ct_state(tb[CTA_PROTOINFO], CTA_PROTOINFO_SCTP,
				CTA_PROTOINFO_SCTP_STATE, ev);
	return true;
}

struct parse_ctx {
	struct ctrack *t;
	uint64_t now;
};

static int ct_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx *x = data;
	struct ct_event ev;

	if (ct_msg_event(nlh, &ev))
		ctrack_apply(x->t, &ev, x->now);
	return MNL_CB_OK;
}

int ctrack_parse(struct ctrack *t, const void *buf, size_t len,
		 uint64_t now_ns)
{
	struct parse_ctx x = { t, now_ns };

	return nl_cb_run(buf, len, 0, 0, ct_msg_cb, &x);
}

int ctrack_open(struct ctrack *t)
{
	struct nfct_filter *f = nfct_filter_create();
	struct nfct_filter_dump_mark m = { .val = 0, .mask = t->mark_mask };
	int rcv = CT_RCVBUF, err = 0;

	t->buf = malloc(CT_BUFSIZE);
	t->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!f || !t->buf || !t->nl) {
		err = -ENOMEM;
		goto out;
	}
	if (mnl_socket_bind(t->nl, NF_NETLINK_CONNTRACK_NEW |
			    NF_NETLINK_CONNTRACK_UPDATE |
			    NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	if (setsockopt(mnl_socket_get_fd(t->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(t->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcv, sizeof(rcv));
	/* in the kernel: only entries with mark & mask != 0 */
	nfct_filter_add_attr(f, NFCT_FILTER_MARK, &m);
	nfct_filter_set_logic(f, NFCT_FILTER_MARK, NFCT_FILTER_LOGIC_NEGATIVE);
	if (nfct_filter_attach(mnl_socket_get_fd(t->nl), f) < 0)
		err = -errno;
out:
	if (f)
		nfct_filter_destroy(f);
	return err;
}

struct ct_read {
	struct ctrack *t;
	uint64_t now;
};

static void ct_read_one(void *ctx, const void *dgram, size_t len)
{
	struct ct_read *r = ctx;

	ctrack_parse(r->t, dgram, len, r->now);
}

int ctrack_read(struct ctrack *t)
{
	struct ct_read r = { t, ct_now() };
	unsigned int cut = 0;
	int n;

	/* one event a datagram: many to a call, until none waits */
	n = nl_recv_all(mnl_socket_get_fd(t->nl), t->buf, CT_SLICE,
			CT_BUFSIZE / CT_SLICE, UINT32_MAX, ct_read_one, &r, &cut);
	if (n == -ENOBUFS || cut) {
		/* events were lost (or cut): the table may be wrong */
		t->stats.overruns++;
		return ctrack_resync(t);
	}
	return 0;
}

static struct mnl_socket *ct_request_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* One conntrack request (dump or delete) filtered by mark, replies to @cb. */
static int ct_request(uint16_t type, uint16_t flags, uint8_t family,
		      uint32_t mark, uint32_t mask, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl = ct_request_socket();
	char *buf = malloc(CT_BUFSIZE);
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	uint32_t seq = time(NULL), portid;
	int n, ret = 0;

	if (!nl || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, CT_BUFSIZE)) > 0) {
		n = mnl_cb_run(buf, n, seq, portid, cb, data);
		if (n <= MNL_CB_STOP)
			break;
	}
	if (n < 0)
		ret = -errno;
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return ret;
}

int ctrack_resync(struct ctrack *t)
{
	struct parse_ctx x = { t, ct_now() };
	int ret;

	ctrack_resync_begin(t);
	/* a dump of entries with mark & mask != 0 is every mark but 0 */
	ret = ct_request(IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, 0, 0,
			 ct_msg_cb, &x);
	if (ret == 0)
		ctrack_resync_end(t);
	return ret;
}

int ctrack_flush_mark(uint32_t mark, uint32_t mask)
{
	/* no tuple: the kernel flushes every entry whose mark matches */
	int ret = ct_request(IPCTNL_MSG_CT_DELETE, 0, AF_UNSPEC, mark, mask,
			     NULL, NULL);

	return ret == -ENOENT ? 0 : ret;
}

/* One GET by original tuple; the reply says whether it still lives. */
static struct nlmsghdr *ct_put_get(char *buf, uint32_t seq,
				   const struct ct_event *ev)
{
	struct nf_conntrack *ct = nfct_new();
	bool v4 = ev->src.family == AF_INET;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = ev->src.family;
	g->version = NFNETLINK_V0;
	if (!ct)
		return NULL;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, ev->src.family);
	nfct_set_attr(ct, v4 ? ATTR_IPV4_SRC : ATTR_IPV6_SRC, ev->src.b);
	nfct_set_attr(ct, v4 ? ATTR_IPV4_DST : ATTR_IPV6_DST, ev->dst.b);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, ev->l4proto);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, ev->sport);
	nfct_set_attr_u16(ct, ATTR_PORT_DST, ev->dport);
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	return nlh;
}

struct expire_ctx {
	struct ctrack *t;
	struct ct_event *ev;
	uint32_t seq0;
	unsigned int n, answered;
};

static int ct_expire_err(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct expire_ctx *x = data;
	uint32_t i = e->msg.nlmsg_seq - x->seq0;

	x->answered++;
	if (e->error == -ENOENT && i < x->n) {
		/* expired (or gone and its event lost): not counted any more */
		x->ev[i].destroy = true;
		ctrack_apply(x->t, &x->ev[i], ct_now());
	}
	return MNL_CB_OK;
}

static int ct_expire_msg(const struct nlmsghdr *nlh, void *data)
{
	struct expire_ctx *x = data;
	struct parse_ctx p = { x->t, ct_now() };

	return ct_msg_cb(nlh, &p);
}

static int ct_expire_batch(struct ctrack *t, struct mnl_socket *nl,
			   struct ct_event *ev, unsigned int n)
{
	struct expire_ctx x = { .t = t, .ev = ev, .n = n,
				.seq0 = (uint32_t)time(NULL) << 10 };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ct_expire_err };
	size_t len = 0;
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh = ct_put_get(t->buf + len, x.seq0 + i, &ev[i]);

		if (!nlh)
			return -ENOMEM;
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (mnl_socket_sendto(nl, t->buf, len) < 0)
		return -errno;
	/* one ack or error per lookup, the live entries also as a message */
	while (x.answered < n) {
		r = mnl_socket_recvfrom(nl, t->buf, CT_BUFSIZE);
		if (r <= 0)
			return -errno;
		mnl_cb_run2(t->buf, r, 0, 0, ct_expire_msg, &x, ctl,
			    NLMSG_MIN_TYPE);
	}
	return 0;
}

int ctrack_expire(struct ctrack *t)
{
	struct ct_event ev[EXPIRE_BATCH];
	struct mnl_socket *nl = NULL;
	unsigned int n;
	int ret = 0;

	while ((n = ctrack_overdue(t, ct_now(), ev, EXPIRE_BATCH)) > 0) {
		if (!nl && !(nl = ct_request_socket()))
			return -errno;
		ret = ct_expire_batch(t, nl, ev, n);
		if (ret || n < EXPIRE_BATCH)
			break;
	}
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
