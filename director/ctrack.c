// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
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

#define NS		1000000000ull
#define EXPIRE_BATCH	256	/* lookups per netlink send */

struct ct_entry {
	struct ct_entry *next;
	uint32_t id;
	uint32_t mark;		/* masked */
	uint32_t gen;
	uint8_t cls;
	uint64_t expires;	/* when conntrack may drop it, unless refreshed */
	struct ct_event ev;	/* as last seen, for the account callback */
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
	t->nbucket = 1 << 16;
	t->bucket = calloc(t->nbucket, sizeof(*t->bucket));
	return t->bucket ? 0 : -ENOMEM;
}

static struct ct_entry **ctrack_slot(struct ctrack *t, uint32_t id)
{
	struct ct_entry **p = &t->bucket[(id * 2654435761u) & (t->nbucket - 1)];

	while (*p && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

/* Grow at load factor 1; the table only ever doubles. */
static void ctrack_grow(struct ctrack *t)
{
	uint32_t n = t->nbucket * 2, i;
	struct ct_entry **b = calloc(n, sizeof(*b)), *e, *next;

	if (!b)
		return;
	for (i = 0; i < t->nbucket; i++)
		for (e = t->bucket[i]; e; e = next) {
			uint32_t h = (e->id * 2654435761u) & (n - 1);

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = n;
}

void ctrack_apply(struct ctrack *t, const struct ct_event *ev, uint64_t now)
{
	uint32_t mark = ev->mark & t->mark_mask;
	struct ct_entry **p, *e;
	enum ct_class cls;

	t->stats.events++;
	p = ctrack_slot(t, ev->id);
	e = *p;
	if (ev->destroy || !mark) {
		if (!e)
			return;
		*p = e->next;
		t->stats.tracked--;
		t->account(t->ctx, e->mark, e->cls, CT_NONE, &e->ev);
		free(e);
		return;
	}
	cls = ctrack_classify(ev->l4proto, ev->state);
	if (e && e->mark != mark) {
		/* the same id, another mark: count it as gone and new */
		t->account(t->ctx, e->mark, e->cls, CT_NONE, &e->ev);
		e->cls = CT_NONE;
	}
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		e->id = ev->id;
		*p = e;
		t->stats.tracked++;
	}
	e->gen = t->gen;
	e->ev = *ev;
	e->expires = now + (uint64_t)ev->timeout * NS;
	if (e->cls != cls || e->mark != mark) {
		enum ct_class old = e->mark == mark ? e->cls : CT_NONE;

		e->mark = mark;
		e->cls = cls;
		t->account(t->ctx, mark, old, cls, ev);
	}
	if (t->stats.tracked > t->nbucket)
		ctrack_grow(t);
}

unsigned int ctrack_overdue(struct ctrack *t, uint64_t now,
			    struct ct_event *out, unsigned int max)
{
	struct ct_entry *e;
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < t->nbucket && n < max; i++)
		for (e = t->bucket[i]; e && n < max; e = e->next)
			if (e->expires <= now) {
				out[n++] = e->ev;
				/* ask again in a second if it lingers */
				e->expires = now + NS;
			}
	return n;
}

void ctrack_foreach(const struct ctrack *t, ctrack_each_fn fn, void *ctx)
{
	const struct ct_entry *e;
	uint32_t i;

	for (i = 0; i < t->nbucket; i++)
		for (e = t->bucket[i]; e; e = e->next)
			fn(ctx, &e->ev, e->mark, e->expires);
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

/* Entries a resync did not see are gone. */
static void ctrack_sweep(struct ctrack *t)
{
	struct ct_entry **p, *e;
	uint32_t i;

	for (i = 0; i < t->nbucket; i++) {
		p = &t->bucket[i];
		while ((e = *p)) {
			if (e->gen == t->gen) {
				p = &e->next;
				continue;
			}
			*p = e->next;
			t->stats.tracked--;
			t->account(t->ctx, e->mark, e->cls, CT_NONE, &e->ev);
			free(e);
		}
	}
}

void ctrack_fini(struct ctrack *t)
{
	struct ct_entry *e, *next;
	uint32_t i;

	for (i = 0; t->bucket && i < t->nbucket; i++)
		for (e = t->bucket[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	free(t->bucket);
	free(t->buf);
	if (t->nl)
		mnl_socket_close(t->nl);
	memset(t, 0, sizeof(*t));
}

/* ---- netlink ------------------------------------------------------------ */

/* False when @ct lacks what an entry needs: an IP family and addresses
 * (the kernel always sends them; a message without would be followed to
 * NULL). */
static bool ct_to_event(const struct nf_conntrack *ct, bool destroy,
			struct ct_event *ev)
{
	uint8_t l3 = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	bool v4 = l3 == AF_INET;
	const void *src, *dst;

	if (l3 != AF_INET && l3 != AF_INET6)
		return false;
	src = nfct_get_attr(ct, v4 ? ATTR_IPV4_SRC : ATTR_IPV6_SRC);
	dst = nfct_get_attr(ct, v4 ? ATTR_IPV4_DST : ATTR_IPV6_DST);
	if (!src || !dst)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->destroy = destroy;
	ev->id = nfct_get_attr_u32(ct, ATTR_ID);
	ev->mark = nfct_get_attr_u32(ct, ATTR_MARK);
	ev->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	ev->l4proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (ev->l4proto == IPPROTO_TCP)
		ev->state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	else if (ev->l4proto == IPPROTO_SCTP)
		ev->state = nfct_get_attr_u8(ct, ATTR_SCTP_STATE);
	ev->src.family = ev->dst.family = l3;
	memcpy(ev->src.b, src, v4 ? 4 : 16);
	memcpy(ev->dst.b, dst, v4 ? 4 : 16);
	ev->sport = nfct_get_attr_u16(ct, ATTR_PORT_SRC);
	ev->dport = nfct_get_attr_u16(ct, ATTR_PORT_DST);
	return true;
}

struct parse_ctx {
	struct ctrack *t;
	uint64_t now;
};

static int ct_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx *x = data;
	struct nf_conntrack *ct = nfct_new();
	struct ct_event ev;

	if (!ct)
		return MNL_CB_ERROR;
	if (nfct_nlmsg_parse(nlh, ct) == 0 && nfct_attr_is_set(ct, ATTR_ID) &&
	    ct_to_event(ct, (nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE,
			&ev))
		ctrack_apply(x->t, &ev, x->now);
	nfct_destroy(ct);
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

int ctrack_fd(const struct ctrack *t)
{
	return t->nl ? mnl_socket_get_fd(t->nl) : -1;
}

int ctrack_read(struct ctrack *t)
{
	int n, resync = 0;

	for (;;) {
		n = recv(mnl_socket_get_fd(t->nl), t->buf, CT_BUFSIZE, 0);
		if (n < 0) {
			if (errno == ENOBUFS) {
				/* events were lost: the table may be wrong */
				t->stats.overruns++;
				resync = 1;
				continue;
			}
			if (errno == EINTR)
				continue;
			break;
		}
		ctrack_parse(t, t->buf, n, ct_now());
	}
	return resync ? ctrack_resync(t) : 0;
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

	t->stats.resyncs++;
	t->gen++;
	/* a dump of entries with mark & mask != 0 is every mark but 0 */
	ret = ct_request(IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, 0, 0,
			 ct_msg_cb, &x);
	if (ret == 0)
		ctrack_sweep(t);
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
