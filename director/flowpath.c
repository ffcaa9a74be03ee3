// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>

#include "clock.h"
#include "conns.h"
#include "flowpath.h"

#define SYN_TIMEOUT_S	60		/* IPVS's SYN_RECV */
/* DR: how long after its element's time a flow is looked up, so that
 * the kernel has had the time to drop an element that ran out */
#define CHECK_SLACK	NS_PER_SEC
#define DUE_SLICE	65536u		/* flow records walked under the lock */

/* flows.c: a flow of @dst moved from class @old to @cls. */
static void flowpath_account(void *ctx, struct dest *dst, enum ct_class old,
			     enum ct_class cls, const struct flow_key *k)
{
	struct service *svc = dst->svc;

	(void)ctx;
	pthread_mutex_lock(&svc->lock);
	conns_move(svc, dst, old, cls, &k->saddr);
	pthread_mutex_unlock(&svc->lock);
}

int flowpath_init(struct flowpath *fp, const struct flowpath_env *env)
{
	fp->env = *env;
	pthread_mutex_init(&fp->lock, NULL);
	fp->next_due = UINT64_MAX;
	if (flows_init(&fp->flows, flowpath_account, fp) < 0) {
		pthread_mutex_destroy(&fp->lock);
		return -ENOMEM;
	}
	return 0;
}

void flowpath_fini(struct flowpath *fp)
{
	flows_fini(&fp->flows);
	pthread_mutex_destroy(&fp->lock);
}

static uint64_t state_timeout(const struct flowpath *fp, enum flow_state st)
{
	const struct rs_timeouts *t = fp->env.timeouts;

	return NS_PER_SEC * (st == FLOW_SYN ? SYN_TIMEOUT_S :
			     st == FLOW_ESTABLISHED ? t->tcp :
			     st == FLOW_CLOSING ? t->tcpfin : t->udp);
}

static enum rs_flowmap map_of(const struct flow *f)
{
	return f->state == FLOW_UDP ? RS_FLOWS_UDP :
	       f->state == FLOW_CLOSING ? RS_FLOWS_CLOSING : RS_FLOWS_TCP;
}

static uint64_t element_timeout_ms(const struct flowpath *fp,
				   const struct flow *f)
{
	struct rs_flow rf;

	flowpath_element(fp, f, &rf);
	return rf.timeout_ms;
}

void flowpath_element(const struct flowpath *fp, const struct flow *f,
		      struct rs_flow *rf)
{
	const struct rs_timeouts *t = fp->env.timeouts;
	enum rs_flowmap map = map_of(f);

	*rf = (struct rs_flow){
		.saddr = f->key.saddr, .daddr = f->key.daddr,
		.sport = f->key.sport, .dport = f->key.dport,
		.mark = f->mark, .map = map,
		.timeout_ms = 1000ull * (map == RS_FLOWS_TCP ? t->tcp :
					 map == RS_FLOWS_UDP ? t->udp : t->tcpfin),
	};
}

/* DR flow @f is to be looked up in the kernel at @t (the table locked). */
static void due_at(struct flowpath *fp, struct flow *f, uint64_t t)
{
	f->expires = t;
	if (t < fp->next_due)
		fp->next_due = t;
}

/* A DR flow whose element was renewed at @now: when to look it up. */
static void due_after(struct flowpath *fp, struct flow *f, uint64_t now)
{
	due_at(fp, f, now + element_timeout_ms(fp, f) * NS_PER_MS + CHECK_SLACK);
}

/* The state sync hears of a flow made or changed (the table locked). */
static void flow_event(struct flowpath *fp, const struct service *svc,
		       const struct flow *f)
{
	if (fp->env.event)
		fp->env.event(fp->env.ctx, svc, f, f->tun ?
			      state_timeout(fp, f->state) / 1000000 :
			      element_timeout_ms(fp, f));
}

/* ---- the packet path ------------------------------------------------------- */

static void flow_key_of(const struct pkt_info *pi, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = pi->family;
	k->proto = pi->l4proto;
	k->sport = pi->sport;
	k->dport = pi->dport;
	k->saddr = pi->saddr;
	k->daddr = pi->daddr;
}

static void accept_mark(struct verdict *v, uint32_t mark)
{
	v->verdict = NF_ACCEPT;
	v->set_mark = 1;
	v->mark = mark;
}

/*
 * A DR (or kernel-encapsulated TUN) packet whose flow the kernel is to
 * make or move: NF_REPEAT sends it through the lvs chain again, now with
 * the mark, whose rules make the element (ruleset.c, rule_lvs_learn())
 * or move it to the closing map, and route it.
 */
static void learn_mark(struct verdict *v, uint32_t mark)
{
	accept_mark(v, mark);
	v->verdict = NF_REPEAT;
}

/* A packet of known TUN flow @f: its state, its time. */
static void tun_track(struct flowpath *fp, struct flow *f,
		      const struct pkt_info *pi, uint64_t now)
{
	enum flow_state st = f->state;

	if (pi->l4proto == IPPROTO_TCP)
		st = flow_tcp_next(st, pi->tcp_flags);
	f->expires = now + state_timeout(fp, st);
	if (st != f->state) {
		flows_set_state(&fp->flows, f, st);
		flow_event(fp, f->dest->svc, f);
	}
}

/* A FIN or RST of DR flow @f: it is closing (counts follow). */
static void dr_close(struct flowpath *fp, struct flow *f,
		     const struct pkt_info *pi, uint64_t now)
{
	if (pi->l4proto == IPPROTO_TCP && (pi->tcp_flags & (TCP_FIN | TCP_RST)) &&
	    f->state != FLOW_CLOSING) {
		flows_set_state(&fp->flows, f, FLOW_CLOSING);
		due_after(fp, f, now);	/* its element, in the closing map */
		flow_event(fp, f->dest->svc, f);
	}
}

void flowpath_closed(struct flowpath *fp, const struct pkt_info *pi,
		     uint64_t now)
{
	struct flow_key k;
	struct flow *f;

	flow_key_of(pi, &k);
	pthread_mutex_lock(&fp->lock);
	f = flows_find(&fp->flows, &k);
	if (f && !f->tun)
		dr_close(fp, f, pi, now);
	pthread_mutex_unlock(&fp->lock);
}

/* A known DR flow: a FIN or RST closes it (counts; the kernel's lvs
 * chain moves its element to the closing map). */
static void dr_known(struct flowpath *fp, struct flow *f,
		     const struct pkt_info *pi, uint64_t now, struct verdict *v)
{
	dr_close(fp, f, pi, now);
	learn_mark(v, f->mark);
}

/*
 * The state a new flow starts in: UDP; DR TCP established from its first
 * packet; TUN TCP from a SYN, or, for a connection begun on another
 * director (no SYN), from what its packet says.
 */
static enum flow_state first_state(const struct pkt_info *pi, bool tun)
{
	if (pi->l4proto != IPPROTO_TCP)
		return FLOW_UDP;
	if (pi->tcp_flags & TCP_FIN)
		return FLOW_CLOSING;
	return tun && (pi->tcp_flags & TCP_SYN) ? FLOW_SYN : FLOW_ESTABLISHED;
}

/* A new flow to @dst (the service's pick). */
static void new_flow(struct flowpath *fp, struct service *svc,
		     struct dest *dst, const struct pkt_info *pi,
		     const struct flow_key *k, uint32_t mark, uint64_t now,
		     struct verdict *v)
{
	/* encapsulated by the kernel (tunbpf.h): a flow as DR's */
	bool tun = dst->fwd == FWD_TUN &&
		   !__atomic_load_n(&dst->tun_kernel, __ATOMIC_ACQUIRE);
	uint32_t m = (mark & ~fp->env.mark_mask) | dst->mark;
	enum flow_state st = first_state(pi, tun);
	struct flow *f;

	if (tun)
		v->verdict = NF_DROP;	/* the encapsulated copy goes instead */
	else if (svc->one_packet)
		accept_mark(v, m);
	else
		learn_mark(v, m);
	if (svc->one_packet)
		return;		/* no flow: the next datagram is scheduled anew */
	pthread_mutex_lock(&fp->lock);
	/* DR: the kernel makes the flow's element as the packet passes */
	f = flows_add(&fp->flows, k, dst, m, st, tun);
	if (f && tun)
		f->expires = now + state_timeout(fp, st);
	else if (f)
		due_after(fp, f, now);
	if (f)
		flow_event(fp, svc, f);
	pthread_mutex_unlock(&fp->lock);
}

/* The flow of @k, if one goes on: a SYN on an ended one's ports is a new
 * connection, scheduled anew as IPVS does (conn_reuse_mode), and the
 * ended one leaves the counts (and, DR, the closing map: the lvs chain). */
static struct flow *known_flow(struct flowpath *fp, const struct flow_key *k,
			       const struct pkt_info *pi, struct rs_flow *gone,
			       bool *kernel)
{
	struct flow *f = flows_find(&fp->flows, k);

	if (f && f->state == FLOW_CLOSING && pi->l4proto == IPPROTO_TCP &&
	    (pi->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* its element stays in the kernel's closing map until a
		 * marked SYN replaces it (the lvs chain) */
		*kernel = !f->tun;
		if (*kernel)
			flowpath_element(fp, f, gone);
		flows_del(&fp->flows, f);
		return NULL;
	}
	return f;
}

void flowpath_learned(struct flowpath *fp, struct service *svc,
		      struct dest *dst, const struct pkt_info *pi,
		      uint64_t now)
{
	struct verdict v = { 0 };
	struct rs_flow gone;
	struct flow_key k;
	struct flow *f;
	bool kernel = false;

	flow_key_of(pi, &k);
	pthread_mutex_lock(&fp->lock);
	/* a SYN on a closing flow's ports: lvs's learning rules replaced
	 * its element */
	f = known_flow(fp, &k, pi, &gone, &kernel);
	pthread_mutex_unlock(&fp->lock);
	if (f)
		return;
	pthread_mutex_lock(&svc->lock);
	service_count_conn(svc, dst);
	pthread_mutex_unlock(&svc->lock);
	new_flow(fp, svc, dst, pi, &k, dst->mark, now, &v);
}

void flowpath_icmp(struct flowpath *fp, const struct pkt_info *pi,
		   const void *pkt, uint32_t len, struct verdict *v)
{
	struct dest *dst = NULL;
	struct flow_key k;
	struct flow *f;

	flow_key_of(pi, &k);
	pthread_mutex_lock(&fp->lock);
	f = flows_find(&fp->flows, &k);
	if (f && f->tun)
		dst = f->dest;
	pthread_mutex_unlock(&fp->lock);
	if (!dst) {
		v->verdict = NF_ACCEPT;
		return;
	}
	v->verdict = NF_DROP;	/* the encapsulated copy goes instead */
	fp->env.send(fp->env.ctx, dst, &k, pkt, len);
}

void flowpath_decide(struct flowpath *fp, struct service *svc,
		     const struct pkt_info *pi, const void *pkt, uint32_t len,
		     uint32_t mark, uint64_t now, struct verdict *v)
{
	struct dir_counters *cnt = fp->env.counters;
	struct dest *dst = NULL;
	struct rs_flow gone;
	struct flow_key k;
	struct flow *f;
	bool start, kernel = false;

	flow_key_of(pi, &k);
	pthread_mutex_lock(&fp->lock);
	f = known_flow(fp, &k, pi, &gone, &kernel);
	if (f && !f->tun && f->state != FLOW_CLOSING && fp->env.drain &&
	    pi->l4proto == IPPROTO_TCP &&
	    (pi->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* the kernel routes an established flow's SYN itself: this
		 * one's element is closing, and its FIN is in the log */
		pthread_mutex_unlock(&fp->lock);
		fp->env.drain(fp->env.ctx);
		pthread_mutex_lock(&fp->lock);
		f = known_flow(fp, &k, pi, &gone, &kernel);
	}
	if (f && !f->tun) {
		dr_known(fp, f, pi, now, v);
	} else if (f) {
		tun_track(fp, f, pi, now);
		dst = f->dest;
		v->verdict = NF_DROP;
	}
	pthread_mutex_unlock(&fp->lock);
	if (f) {
		if (dst)
			fp->env.send(fp->env.ctx, dst, &k, pkt, len);
		return;
	}
	/* as IPVS, a SYN starts a TCP connection; with a consistent
	 * scheduler, so does a packet of one begun on another director */
	pthread_mutex_lock(&svc->lock);
	start = service_may_start(svc, pi,
				  !__atomic_load_n(&fp->no_adopt, __ATOMIC_RELAXED));
	if (start)
		dst = service_pick(svc, pi, now);
	pthread_mutex_unlock(&svc->lock);
	if (!start) {
		counter_inc(&cnt->nosyn);
		v->verdict = NF_DROP;
	} else if (!dst) {
		counter_inc(&cnt->noavail);
		v->verdict = NF_DROP;
	} else {
		counter_inc(&cnt->scheduled);
		if (pi->l4proto == IPPROTO_TCP && !(pi->tcp_flags & TCP_SYN))
			counter_inc(&cnt->adopted);
		new_flow(fp, svc, dst, pi, &k, mark, now, v);
	}
	/* an ended kernel flow's element no marked packet replaces: gone
	 * now, or the new connection's next packets would follow it */
	if (kernel && !v->set_mark && fp->env.forget)
		fp->env.forget(fp->env.ctx, &gone);
	if (dst && v->verdict == NF_DROP && dst->fwd == FWD_TUN)
		fp->env.send(fp->env.ctx, dst, &k, pkt, len);
}

/* ---- the kernel's DR flows ------------------------------------------------- */

static enum flow_state state_of_map(enum rs_flowmap m)
{
	return m == RS_FLOWS_TCP ? FLOW_ESTABLISHED :
	       m == RS_FLOWS_UDP ? FLOW_UDP : FLOW_CLOSING;
}

/* The key of kernel element @rf's flow. */
static void element_key(const struct rs_flow *rf, struct flow_key *k)
{
	*k = (struct flow_key){
		.family = rf->saddr.family,
		.proto = rf->map == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP,
		.sport = rf->sport, .dport = rf->dport,
		.saddr = rf->saddr, .daddr = rf->daddr,
	};
}

void flowpath_adopt_begin(struct flowpath *fp)
{
	pthread_mutex_lock(&fp->lock);
}

/* One element of the kernel's flow maps: adopted, or brought up to date. */
void flowpath_adopt_one(struct flowpath *fp, const struct rs_flow *rf,
			struct dest *dst, uint64_t now)
{
	struct flow_key k;
	struct flow *f;

	element_key(rf, &k);
	f = flows_find(&fp->flows, &k);

	if (!f) {
		if (!dst || (dst->fwd != FWD_DR && !dst->tun_kernel))
			return;
		f = flows_add(&fp->flows, &k, dst, rf->mark,
			      state_of_map(rf->map), false);
		if (!f)
			return;
	} else if (f->tun) {
		return;
	} else if (rf->map == RS_FLOWS_CLOSING && f->state != FLOW_CLOSING) {
		flows_set_state(&fp->flows, f, FLOW_CLOSING);
	}
	/* the time its element has left */
	due_at(fp, f, now + rf->timeout_ms * NS_PER_MS + CHECK_SLACK);
}

void flowpath_adopt_end(struct flowpath *fp)
{
	pthread_mutex_unlock(&fp->lock);
}

/* ---- DR flows the kernel may have timed out -------------------------------- */

struct due_ctx {
	uint64_t now, next;
	struct rs_flow *q;
	unsigned int n, cap;
	const struct flowpath *fp;
};

static void due_cb(void *ctx, const struct flow *f)
{
	struct due_ctx *x = ctx;
	unsigned int need = f->key.proto == IPPROTO_TCP ? 2 : 1;

	if (f->tun)
		return;
	if (f->expires > x->now) {
		if (f->expires < x->next)
			x->next = f->expires;
		return;
	}
	if (x->n + need > x->cap) {
		x->next = x->now;	/* the rest at the next look */
		return;
	}
	/* TCP: in either map, whichever its last packets put it in */
	flowpath_element(x->fp, f, &x->q[x->n]);
	if (need == 2) {
		x->q[x->n].map = RS_FLOWS_TCP;
		x->q[x->n + 1] = x->q[x->n];
		x->q[x->n + 1].map = RS_FLOWS_CLOSING;
	}
	x->n += need;
}

unsigned int flowpath_due(struct flowpath *fp, uint64_t now,
			  struct rs_flow *q, unsigned int cap)
{
	struct due_ctx x = { .now = now, .next = UINT64_MAX, .q = q,
			     .cap = cap, .fp = fp };

	uint32_t at = 0;

	pthread_mutex_lock(&fp->lock);
	if (now < fp->next_due) {
		pthread_mutex_unlock(&fp->lock);
		return 0;
	}
	/* none of those seen is due before x.next; one made or changed
	 * meanwhile lowers next_due itself (due_at()) */
	fp->next_due = UINT64_MAX;
	/* in slices, the lock let go between them: a million flows are
	 * tens of milliseconds of walking, which the workers must not wait */
	do {
		at = flows_walk(&fp->flows, at, DUE_SLICE, due_cb, &x);
		pthread_mutex_unlock(&fp->lock);
		pthread_mutex_lock(&fp->lock);
	} while (at);
	if (x.next < fp->next_due)
		fp->next_due = x.next;
	pthread_mutex_unlock(&fp->lock);
	return x.n;
}

/* The answers for one flow, @q[0..@n) (flowpath_due()'s), found as
 * @found says: its next look, a closing state, or its end. */
static bool checked_one(struct flowpath *fp, const struct rs_flow *q,
			const int8_t *found, unsigned int n, uint64_t now)
{
	uint64_t left = 0;
	bool any = false, unknown = false, closing = false;
	struct flow_key k;
	struct flow *f;
	unsigned int i;

	element_key(q, &k);
	f = flows_find(&fp->flows, &k);

	/* made anew or changed since it was due: its own time stands */
	if (!f || f->tun || f->expires > now)
		return false;
	for (i = 0; i < n; i++) {
		unknown |= found[i] < 0;
		if (found[i] <= 0)
			continue;
		any = true;
		closing |= q[i].map == RS_FLOWS_CLOSING;
		if (q[i].timeout_ms > left)
			left = q[i].timeout_ms;
	}
	if (!any && !unknown) {
		flows_del(&fp->flows, f);	/* timed out in the kernel */
		return true;
	}
	if (!any) {
		due_at(fp, f, now + NS_PER_SEC);	/* ask again */
		return false;
	}
	if (closing && f->state != FLOW_CLOSING)
		flows_set_state(&fp->flows, f, FLOW_CLOSING);
	due_at(fp, f, now + left * NS_PER_MS + CHECK_SLACK);
	return false;
}

unsigned int flowpath_checked(struct flowpath *fp, const struct rs_flow *q,
			      const int8_t *found, unsigned int n, uint64_t now)
{
	unsigned int i, m, gone = 0;

	pthread_mutex_lock(&fp->lock);
	for (i = 0; i < n; i += m) {
		m = q[i].map == RS_FLOWS_TCP && i + 1 < n ? 2 : 1;
		gone += checked_one(fp, &q[i], &found[i], m, now);
	}
	pthread_mutex_unlock(&fp->lock);
	return gone;
}

struct retime_ctx {
	struct flowpath *fp;
	uint64_t now;
};

static void retime_cb(void *ctx, const struct flow *cf)
{
	struct retime_ctx *x = ctx;
	struct flow *f = (struct flow *)cf;	/* the table is ours, locked */
	uint64_t t = x->now + element_timeout_ms(x->fp, f) * NS_PER_MS +
		     CHECK_SLACK;

	if (!f->tun && t < f->expires)
		due_at(x->fp, f, t);
}

void flowpath_retime(struct flowpath *fp, uint64_t now)
{
	struct retime_ctx x = { fp, now };

	pthread_mutex_lock(&fp->lock);
	flows_foreach(&fp->flows, retime_cb, &x);
	pthread_mutex_unlock(&fp->lock);
}

/* ---- state sync -------------------------------------------------------------- */

int flowpath_install(struct flowpath *fp, const struct flow_key *k,
		     struct dest *dst, uint32_t mark, enum flow_state st,
		     uint64_t expires, uint64_t now, struct flowpath_old *old)
{
	/* encapsulated by the kernel: a flow as DR's (as new_flow()) */
	bool tun = dst->fwd == FWD_TUN &&
		   !__atomic_load_n(&dst->tun_kernel, __ATOMIC_ACQUIRE);
	struct flow *f;
	int ret = 0;

	pthread_mutex_lock(&fp->lock);
	f = flows_find(&fp->flows, k);
	*old = (struct flowpath_old){ .had = f && !f->tun };
	if (f && !f->tun) {
		old->mark = f->mark;
		old->map = map_of(f);
	}
	if (f && (f->dest != dst || f->tun != tun)) {
		flows_del(&fp->flows, f);
		f = NULL;
	}
	if (!f) {
		f = flows_add(&fp->flows, k, dst, mark, st, tun);
		if (!f)
			ret = -ENOMEM;
	} else {
		if (f->state != st)
			flows_set_state(&fp->flows, f, st);
		f->mark = mark;
	}
	if (f && tun)
		f->expires = expires;
	else if (f)	/* its element, added with the time it has left */
		due_at(fp, f, (expires > now ? expires : now) + CHECK_SLACK);
	pthread_mutex_unlock(&fp->lock);
	return ret;
}

/* ---- the rest -------------------------------------------------------------- */

unsigned int flowpath_expire(struct flowpath *fp, uint64_t now)
{
	unsigned int n;

	pthread_mutex_lock(&fp->lock);
	n = flows_expire(&fp->flows, now);
	pthread_mutex_unlock(&fp->lock);
	return n;
}

struct drop_ctx {
	const struct dest *dst;
	flows_each_fn each;
	void *ctx;
};

static void drop_cb(void *ctx, const struct flow *f)
{
	struct drop_ctx *x = ctx;

	if (f->dest == x->dst && !f->tun)
		x->each(x->ctx, f);
}

unsigned int flowpath_drop_dest(struct flowpath *fp, const struct dest *dst,
				bool count, flows_each_fn each, void *ctx)
{
	struct drop_ctx x = { dst, each, ctx };
	unsigned int n;

	pthread_mutex_lock(&fp->lock);
	if (each)
		flows_foreach(&fp->flows, drop_cb, &x);
	n = flows_drop_dest(&fp->flows, dst, count);
	pthread_mutex_unlock(&fp->lock);
	return n;
}

void flowpath_foreach(struct flowpath *fp, flows_each_fn fn, void *ctx)
{
	pthread_mutex_lock(&fp->lock);
	flows_foreach(&fp->flows, fn, ctx);
	pthread_mutex_unlock(&fp->lock);
}

uint32_t flowpath_count(struct flowpath *fp)
{
	return __atomic_load_n(&fp->flows.count, __ATOMIC_RELAXED);
}

size_t flowpath_bytes(struct flowpath *fp)
{
	size_t n;

	pthread_mutex_lock(&fp->lock);
	n = flows_bytes(&fp->flows);
	pthread_mutex_unlock(&fp->lock);
	return n;
}
