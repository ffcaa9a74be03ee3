// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DR and TUN: the director's flows, the kernel's DR flow maps, the routes
 * to DR real servers, and TUN's encapsulation.
 *
 * DR.  A new flow's first packet comes here (it missed the flow maps);
 * the scheduler picks a real server, the flow goes into our table, and
 * the verdict's mark routes the packet (route.c) and makes the kernel add
 * the flow's element as the packet passes (ruleset.c, lvs_learn).  From
 * then on the kernel routes the flow by the map and renews the element
 * per packet; only a FIN or RST comes here again (accounting; the element
 * moves to the closing map with the FIN_WAIT timeout).  Once a second the
 * maps are read back: flows the kernel timed out leave our table (and the
 * counts).
 *
 * TUN.  Every packet of a TUN service comes here (the kernel cannot
 * encapsulate on these machines): the flow's real server, or a new one
 * from the scheduler; the packet goes out encapsulated on a raw socket
 * and the original is dropped.  TUN flows follow IPVS's TCP states as
 * seen from the client's side and time out by our clock.
 *
 * Locks: d->lock (read) -> d->lvs.lock (flows) -> svc->lock.  The flow
 * table's account callback takes the service lock itself.  Destinations
 * are freed only under d->lock held for writing, so a worker holding it
 * for reading may use a flow's destination after dropping d->lvs.lock.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/rtnetlink.h>

#include "director.h"
#include "encap.h"
#include "log.h"
#include "lvs.h"
#include "route.h"
#include "ruleset.h"

#define NS		1000000000ull
#define SYN_TIMEOUT_S	60		/* IPVS's SYN_RECV */
#define SWEEP_GRACE	(2 * NS)	/* a new flow's element may lag */
#define SYNC_BIG	100000		/* flows: read the maps less often */
#define MTU_REFRESH	(10 * NS)
#define TUN_COPY_RANGE	0xffff

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void stat_inc(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void lvs_account(void *ctx, struct dest *dst, enum ct_class old,
			enum ct_class cls, const struct flow_key *k)
{
	struct service *svc = dst->svc;

	(void)ctx;
	pthread_mutex_lock(&svc->lock);
	director_count(svc, dst, old, cls, &k->saddr);
	pthread_mutex_unlock(&svc->lock);
}

static uint32_t first_table(const struct director *d)
{
	return d->cfg.director.route_table;
}

static uint32_t dest_table(const struct director *d, const struct dest *dst)
{
	return first_table(d) + (dst->mark >> d->marks.shift);
}

int lvs_init(struct director *d)
{
	pthread_mutex_init(&d->lvs.lock, NULL);
	d->lvs.copy_range = DIRECTOR_COPY_RANGE;
	return flows_init(&d->lvs.flows, lvs_account, d) < 0 ? -ENOMEM : 0;
}

struct keep_ctx {
	struct director *d;
	int fam;
};

static bool keep_table(void *ctx, uint32_t table)
{
	struct keep_ctx *x = ctx;
	struct director *d = x->d;
	uint32_t idx = table - first_table(d);
	struct dest *dst;

	if (table == RT_TABLE_LOCAL)
		return d->lvs.local_moved[x->fam];
	return table >= first_table(d) && idx <= mark_capacity(&d->marks) &&
	       (dst = d->bymark[idx]) && dst->routed &&
	       (dst->addr.family == AF_INET6) == x->fam;
}

/*
 * What a director before us left and we do not use: its rules and routes
 * stayed while we started (a restart in its place must not drop the DR
 * connections it routed), the unused ones go now.
 */
static void lvs_cleanup(struct director *d)
{
	struct keep_ctx x = { .d = d };
	unsigned int removed, total = 0;

	for (x.fam = 0; x.fam < 2; x.fam++)
		if (route_cleanup(x.fam ? AF_INET6 : AF_INET, first_table(d),
				  first_table(d) + mark_capacity(&d->marks),
				  d->cfg.director.route_pref, keep_table, &x,
				  &removed) == 0)
			total += removed;
	if (total)
		log_info("routing: removed %u rules and routes a previous director left",
			 total);
}

void lvs_fini(struct director *d)
{
	flows_fini(&d->lvs.flows);
	free(d->lvs.restored);
	d->lvs.restored = NULL;
	pthread_mutex_destroy(&d->lvs.lock);
}

/* ---- flow elements ---------------------------------------------------------- */

static void rs_flow_of(const struct director *d, const struct flow *f,
		       enum rs_flowmap map, struct rs_flow *rf)
{
	const struct rs_timeouts *t = &d->timeouts;

	*rf = (struct rs_flow){
		.saddr = f->key.saddr, .daddr = f->key.daddr,
		.sport = f->key.sport, .dport = f->key.dport,
		.mark = f->mark, .map = map,
		.timeout_ms = 1000ull * (map == RS_FLOWS_TCP ? t->tcp :
					 map == RS_FLOWS_UDP ? t->udp : t->tcpfin),
	};
}

static enum rs_flowmap map_of(const struct flow *f)
{
	return f->state == FLOW_UDP ? RS_FLOWS_UDP :
	       f->state == FLOW_CLOSING ? RS_FLOWS_CLOSING : RS_FLOWS_TCP;
}

/* ---- TUN: encapsulate and send ---------------------------------------------- */

static __thread struct {
	int fd[2];		/* raw sockets, IPv4 and IPv6; 0 = not open */
	uint8_t *buf;
	size_t cap;
} tx;

static int raw_socket(uint8_t family)
{
	int i = family == AF_INET6, one = 1, fd;

	if (tx.fd[i] > 0)
		return tx.fd[i];
	/* IPPROTO_RAW: we write the IP header (IP_HDRINCL, IPV6_HDRINCL) */
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one));
	tx.fd[i] = fd;
	return fd;
}

static int raw_send(const struct nflvs_addr *to, const void *p, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = raw_socket(to->family);

	if (fd < 0)
		return fd;
	addr_sockaddr(to, 0, &ss, &sl);
	return sendto(fd, p, len, 0, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
}

/* The flow's hash, for GUE's source port (the kernel's flow dissector
 * would hash the same tuple). */
static uint32_t flow_hash(const struct flow_key *k)
{
	uint32_t h = 0x9e3779b9u ^ k->proto ^ ((uint32_t)k->sport << 16 | k->dport);
	size_t i, n = addr_len(&k->saddr);

	for (i = 0; i < n; i++)
		h = (h ^ k->saddr.b[i] ^ ((uint32_t)k->daddr.b[i] << 8)) * 0x01000193u;
	return h ^ (h >> 15);
}

static void tun_send(struct director *d, struct dest *dst,
		     const struct flow_key *k, const void *pkt, uint32_t len)
{
	struct encap *e = __atomic_load_n(&dst->encap, __ATOMIC_ACQUIRE);
	struct encap_result r;
	size_t need;
	uint32_t i;
	int code, err = 0;

	if (!e) {
		stat_inc(&d->stats.tun_errors);
		return;
	}
	need = ENCAP_HEADROOM + encap_space(e, len);
	if (need > tx.cap) {
		uint8_t *nb = realloc(tx.buf, need);

		if (!nb) {
			stat_inc(&d->stats.tun_errors);
			return;
		}
		tx.buf = nb;
		tx.cap = need;
	}
	memcpy(tx.buf + ENCAP_HEADROOM, pkt, len);
	code = encap_inplace(e, tx.buf, ENCAP_HEADROOM, len, tx.cap,
			     flow_hash(k), &r);
	if (code == ENCAP_SENT || code == ENCAP_TOOBIG)
		for (i = 0; i < r.n && !err; i++)
			err = raw_send(&r.dst, tx.buf + encap_pkt_off(&r, i),
				       encap_pkt_len(&r, i));
	if (code == ENCAP_SENT && !err) {
		__atomic_add_fetch(&dst->tun_pkts, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&dst->tun_bytes, len, __ATOMIC_RELAXED);
	} else if (code == ENCAP_TOOBIG && !err) {
		stat_inc(&d->stats.tun_toobig);
	} else if (code != ENCAP_DROP) {
		stat_inc(&d->stats.tun_errors);
		if (log_level() >= LOG_DEBUG)
			log_debug("TUN: %s", err ? strerror(-err) : encap_code_str(code));
	}
}

static uint64_t tun_timeout(const struct director *d, enum flow_state st)
{
	const struct rs_timeouts *t = &d->timeouts;

	return NS * (st == FLOW_SYN ? SYN_TIMEOUT_S :
		     st == FLOW_ESTABLISHED ? t->tcp :
		     st == FLOW_CLOSING ? t->tcpfin : t->udp);
}

/* A packet of a known TUN flow: its state, its time. */
static void tun_track(struct director *d, struct flow *f,
		      const struct pkt_info *pi, uint64_t now)
{
	enum flow_state st = f->state;

	if (pi->l4proto == IPPROTO_TCP)
		st = flow_tcp_next(st, pi->tcp_flags);
	if (st != f->state)
		flows_set_state(&d->lvs.flows, f, st);
	f->expires = now + tun_timeout(d, st);
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

/* A known DR flow: a FIN or RST closes it (counts; the kernel's lvs_learn
 * moves its element to the closing map). */
static void dr_known(struct director *d, struct flow *f,
		     const struct pkt_info *pi, struct verdict *v)
{
	if (pi->l4proto == IPPROTO_TCP && (pi->tcp_flags & (TCP_FIN | TCP_RST)) &&
	    f->state != FLOW_CLOSING)
		flows_set_state(&d->lvs.flows, f, FLOW_CLOSING);
	accept_mark(v, f->mark);
}

/* A new flow to @dst (the scheduler's pick). */
static void new_flow(struct director *d, struct service *svc, struct dest *dst,
		     const struct flow_key *k, uint32_t mark, uint64_t now,
		     struct verdict *v)
{
	bool tcp = k->proto == IPPROTO_TCP, tun = dst->fwd == FWD_TUN;
	uint32_t m = (mark & ~d->cfg.director.mark_mask) | dst->mark;
	enum flow_state st = !tcp ? FLOW_UDP : tun ? FLOW_SYN : FLOW_ESTABLISHED;
	struct flow *f;

	if (tun)
		v->verdict = NF_DROP;	/* the encapsulated copy goes instead */
	else
		accept_mark(v, m);
	if (svc->one_packet)
		return;		/* no flow: the next datagram is scheduled anew */
	pthread_mutex_lock(&d->lvs.lock);
	/* DR: the kernel makes the flow's element as the packet passes */
	f = flows_add(&d->lvs.flows, k, dst, m, st, tun);
	if (f)
		f->expires = tun ? now + tun_timeout(d, st) : now;
	pthread_mutex_unlock(&d->lvs.lock);
}

void lvs_decide(struct director *d, struct service *svc,
		const struct pkt_info *pi, const void *pkt, uint32_t len,
		uint32_t mark, struct verdict *v)
{
	uint64_t now = mono_ns();
	struct dest *dst = NULL;
	struct flow_key k;
	struct flow *f;

	flow_key_of(pi, &k);
	pthread_mutex_lock(&d->lvs.lock);
	f = flows_find(&d->lvs.flows, &k);
	if (f && f->state == FLOW_CLOSING && pi->l4proto == IPPROTO_TCP &&
	    (pi->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* a new connection on an ended one's ports: scheduled anew,
		 * as IPVS does (conn_reuse_mode); the ended one leaves the
		 * counts (and, DR, the kernel's closing map: lvs_learn) */
		flows_del(&d->lvs.flows, f);
		f = NULL;
	}
	if (f && !f->tun) {
		dr_known(d, f, pi, v);
	} else if (f) {
		tun_track(d, f, pi, now);
		dst = f->dest;
		v->verdict = NF_DROP;
	}
	pthread_mutex_unlock(&d->lvs.lock);
	if (f) {
		if (dst)
			tun_send(d, dst, &k, pkt, len);
		return;
	}
	/* as IPVS: only a SYN starts a TCP connection */
	if (pi->l4proto == IPPROTO_TCP &&
	    (!(pi->tcp_flags & TCP_SYN) || (pi->tcp_flags & TCP_RST))) {
		stat_inc(&d->stats.nosyn);
		v->verdict = NF_DROP;
		return;
	}
	pthread_mutex_lock(&svc->lock);
	dst = director_pick(svc, pi);
	pthread_mutex_unlock(&svc->lock);
	if (!dst) {
		stat_inc(&d->stats.noavail);
		v->verdict = NF_DROP;
		return;
	}
	stat_inc(&d->stats.scheduled);
	new_flow(d, svc, dst, &k, mark, now, v);
	if (dst->fwd == FWD_TUN)
		tun_send(d, dst, &k, pkt, len);
}

/* ---- the flows the kernel has ---------------------------------------------- */

static enum flow_state state_of_map(enum rs_flowmap m)
{
	return m == RS_FLOWS_TCP ? FLOW_ESTABLISHED :
	       m == RS_FLOWS_UDP ? FLOW_UDP : FLOW_CLOSING;
}

static struct dest *dest_of_mark(struct director *d, uint32_t mark)
{
	uint32_t idx = (mark & d->cfg.director.mark_mask) >> d->marks.shift;
	struct dest *dst;

	if (!idx || idx > mark_capacity(&d->marks) || !(dst = d->bymark[idx]) ||
	    dst->fwd != FWD_DR)
		return NULL;
	return dst;
}

/* One element of the kernel's flow maps: mark it seen, or adopt it. */
static void sync_cb(void *ctx, const struct rs_flow *rf)
{
	struct director *d = ctx;
	struct flow_key k = {
		.family = rf->saddr.family,
		.proto = rf->map == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP,
		.sport = rf->sport, .dport = rf->dport,
		.saddr = rf->saddr, .daddr = rf->daddr,
	};
	struct flow *f = flows_find(&d->lvs.flows, &k);
	struct dest *dst;

	if (f) {
		flows_seen(&d->lvs.flows, f);
		if (rf->map == RS_FLOWS_CLOSING && f->state != FLOW_CLOSING)
			flows_set_state(&d->lvs.flows, f, FLOW_CLOSING);
		return;
	}
	dst = dest_of_mark(d, rf->mark);
	if (!dst)
		return;
	f = flows_add(&d->lvs.flows, &k, dst, rf->mark, state_of_map(rf->map),
		      false);
	if (f)
		f->expires = 0;
}

static void dr_sync(struct director *d, uint64_t now)
{
	struct ruleset rs;
	unsigned int gone;
	int fam;

	director_ruleset_base(d, &rs);
	pthread_mutex_lock(&d->lvs.lock);
	flows_sweep_begin(&d->lvs.flows);
	for (fam = 0; fam < 2; fam++)
		if (ruleset_read_flows(&rs, fam ? AF_INET6 : AF_INET, sync_cb, d) < 0) {
			/* not read: keep everything rather than guess */
			pthread_mutex_unlock(&d->lvs.lock);
			log_debug("DR flows: reading the flow maps failed");
			return;
		}
	gone = flows_sweep_older(&d->lvs.flows,
				 now > SWEEP_GRACE ? now - SWEEP_GRACE : 0);
	pthread_mutex_unlock(&d->lvs.lock);
	if (gone)
		log_debug("DR flows: %u timed out in the kernel", gone);
}

/* TUN: the path MTU toward each real server may change. */
static void tun_refresh(struct director *d)
{
	struct route_info ri;
	unsigned int i, j;

	for (i = 0; i < d->nsvc; i++) {
		struct service *svc = d->svc[i];

		for (j = 0; j < svc->ndests; j++) {
			struct encap *e = svc->dests[j]->encap;

			if (e && route_lookup(&svc->dests[j]->addr, &ri) == 0 &&
			    ri.mtu != e->mtu)
				encap_set_mtu(e, ri.mtu);
		}
	}
}

void lvs_tick(struct director *d, uint64_t now)
{
	if (!d->lvs.dr_services && !d->lvs.flows.count)
		return;
	if (now >= d->lvs.next_sync) {
		dr_sync(d, now);
		d->lvs.next_sync = now + (d->lvs.flows.count > SYNC_BIG ? 5 : 1) * NS;
	}
	pthread_mutex_lock(&d->lvs.lock);
	flows_expire(&d->lvs.flows, now);
	pthread_mutex_unlock(&d->lvs.lock);
	if (d->lvs.tun_dests && now >= d->lvs.next_mtu) {
		tun_refresh(d);
		d->lvs.next_mtu = now + MTU_REFRESH;
	}
}

struct each_ctx {
	lvs_each_fn fn;
	void *ctx;
};

static void each_cb(void *ctx, const struct flow *f)
{
	struct each_ctx *x = ctx;

	x->fn(x->ctx, f);
}

void lvs_foreach(struct director *d, lvs_each_fn fn, void *ctx)
{
	struct each_ctx x = { fn, ctx };

	pthread_mutex_lock(&d->lvs.lock);
	flows_foreach(&d->lvs.flows, each_cb, &x);
	pthread_mutex_unlock(&d->lvs.lock);
}

/* expire_connections: the flows of a dead real server go now. */
struct expire_ctx {
	struct director *d;
	const struct dest *dst;
	struct nft_batch b;
	unsigned int n;
};

static void expire_cb(void *ctx, const struct flow *f)
{
	struct expire_ctx *x = ctx;
	struct rs_flow rf;
	struct ruleset rs;

	if (f->dest != x->dst || f->tun)
		return;
	rs_flow_of(x->d, f, map_of(f), &rf);
	director_ruleset_base(x->d, &rs);
	if (ruleset_build_flow(&x->b, &rs, &rf, true) == 0)
		x->n++;
}

void lvs_expire_dest(struct director *d, struct dest *dst)
{
	struct expire_ctx x = { .d = d, .dst = dst };
	char err[256];

	if (nft_batch_init(&x.b) < 0)
		return;
	pthread_mutex_lock(&d->lvs.lock);
	flows_foreach(&d->lvs.flows, expire_cb, &x);
	flows_drop_dest(&d->lvs.flows, dst, true);
	pthread_mutex_unlock(&d->lvs.lock);
	if (x.n && ruleset_commit(&x.b, err, sizeof(err)) < 0)
		log_debug("DR flows: removing %u: %s", x.n, err);
	nft_batch_free(&x.b);
}

/* ---- routes and tunnels ----------------------------------------------------- */

/* The local table's rule goes after ours while DR services run. */
static int local_rule_move(struct director *d, uint8_t family)
{
	int f = family == AF_INET6;
	uint32_t pref;
	int ret;

	if (d->lvs.local_moved[f])
		return 0;
	ret = route_local_pref(family, &pref);
	if (ret < 0)
		return ret;
	if (pref == d->cfg.director.route_pref + 1) {
		/* a director before us moved it, from the kernel's 0 */
		d->lvs.local_orig[f] = 0;
		d->lvs.local_moved[f] = true;
		return 0;
	}
	ret = route_local_move(family, pref, d->cfg.director.route_pref + 1);
	if (ret < 0)
		return ret;
	d->lvs.local_orig[f] = pref;
	d->lvs.local_moved[f] = true;
	log_info("routing: the local table's %s rule moved from preference %u to %u, after the DR rules",
		 f ? "IPv6" : "IPv4", pref, d->cfg.director.route_pref + 1);
	return 0;
}

static void tun_init(struct encap *e, const struct dest *dst,
		     const struct route_info *ri, int *ret)
{
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) < 0)
		seed = (uint32_t)mono_ns();
	*ret = encap_init(e, &dst->cfg.tunnel, &ri->src, &dst->addr, ri->mtu,
			  seed);
}

int lvs_check_dest(struct director *d, const struct dest *dst,
		   const struct cfg_rs *rc, char *err, size_t errlen)
{
	char a[ADDR_STRLEN], src[ADDR_STRLEN];
	struct route_info ri;
	struct encap e;
	struct dest t;
	int ret;

	if (rc->fwd == FWD_NAT)
		return 0;
	addr_str(&rc->addr, a, sizeof(a));
	ret = route_lookup(&rc->addr, &ri);
	if (ret) {
		snprintf(err, errlen, "real server %s: no route to it (%s)", a,
			 strerror(-ret));
		return ret;
	}
	if (rc->fwd == FWD_DR && !ri.onlink) {
		snprintf(err, errlen, "real server %s: dr forwarding needs it on a directly connected network (the route to it has a gateway)",
			 a);
		return -EHOSTUNREACH;
	}
	if (rc->fwd == FWD_DR &&
	    route_table_used(rc->addr.family, dest_table(d, dst)) > 0) {
		snprintf(err, errlen, "real server %s: routing table %u is in use by somebody else (set director.route_table)",
			 a, dest_table(d, dst));
		return -EBUSY;
	}
	if (rc->fwd == FWD_TUN) {
		t = *dst;
		t.cfg = *rc;
		tun_init(&e, &t, &ri, &ret);
		if (ret) {
			snprintf(err, errlen, "real server %s: tunnel %s: cannot encapsulate toward it (path MTU %u, source %s)",
				 a, tun_name(rc->tunnel.type), ri.mtu,
				 addr_str(&ri.src, src, sizeof(src)));
			return ret;
		}
	}
	return 0;
}

static int dest_up(struct director *d, struct dest *dst)
{
	uint32_t table = dest_table(d, dst);
	char a[ADDR_STRLEN];
	struct route_info ri;
	struct encap *e;
	int ret;

	if (dst->fwd == FWD_NAT || dst->routed || dst->encap)
		return 0;
	ret = route_lookup(&dst->addr, &ri);
	if (!ret && dst->fwd == FWD_TUN) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		tun_init(e, dst, &ri, &ret);
		if (ret)
			free(e);
		else
			__atomic_store_n(&dst->encap, e, __ATOMIC_RELEASE);
	} else if (!ret) {
		ret = local_rule_move(d, dst->addr.family);
		if (!ret)
			ret = route_default(true, &dst->addr, ri.oif, table);
		if (!ret)
			ret = route_rule(dst->addr.family, true, dst->mark,
					 d->cfg.director.mark_mask, table,
					 d->cfg.director.route_pref);
		if (ret == -EEXIST)
			ret = 0;	/* a director before us left it */
		if (!ret)
			dst->routed = true;
		else
			route_default(false, &dst->addr, 0, table);
	}
	if (ret)
		log_err("real server %s: %s: %s",
			addr_str(&dst->addr, a, sizeof(a)),
			dst->fwd == FWD_DR ? "DR routing" : "TUN", strerror(-ret));
	return ret;
}

void lvs_dest_down(struct director *d, struct dest *dst)
{
	uint32_t table = dest_table(d, dst);

	if (dst->routed && !d->keep) {	/* -k: the next start takes them over */
		route_rule(dst->addr.family, false, dst->mark,
			   d->cfg.director.mark_mask, table,
			   d->cfg.director.route_pref);
		route_default(false, &dst->addr, 0, table);
		dst->routed = false;
	}
	free(dst->encap);
	dst->encap = NULL;
	pthread_mutex_lock(&d->lvs.lock);
	flows_drop_dest(&d->lvs.flows, dst, false);
	pthread_mutex_unlock(&d->lvs.lock);
}

static void service_up(struct director *d, struct service *svc,
		       unsigned int *tun)
{
	unsigned int i;

	for (i = 0; i < svc->ndests; i++) {
		dest_up(d, svc->dests[i]);
		*tun += svc->dests[i]->fwd == FWD_TUN;
	}
	if (svc->sorry) {
		dest_up(d, svc->sorry);
		*tun += svc->sorry->fwd == FWD_TUN;
	}
}

void lvs_applied(struct director *d)
{
	unsigned int i, svcs = 0, tun = 0;
	uint32_t want;

	for (i = 0; i < d->nsvc; i++)
		if (d->svc[i]->fwd != FWD_NAT) {
			svcs++;
			service_up(d, d->svc[i], &tun);
		}
	d->lvs.dr_services = svcs;
	d->lvs.tun_dests = tun;
	if (!d->lvs.cleaned) {
		lvs_cleanup(d);
		d->lvs.cleaned = true;
	}
	/* TUN sends what it is given: the queues copy whole packets */
	want = tun ? TUN_COPY_RANGE : DIRECTOR_COPY_RANGE;
	if (want == d->lvs.copy_range || !d->nqueues)
		return;
	for (i = 0; i < d->nqueues; i++)
		if (queue_set_copy_range(&d->queues[i], want) < 0)
			log_err("NFQUEUE %u: setting the copy range: %s",
				d->queues[i].num, strerror(errno));
	d->lvs.copy_range = want;
}

/* ---- start and stop ----------------------------------------------------------- */

/* A restart: the old table's marks stand for real servers by address. */
struct restore_ctx {
	struct director *d;
	struct nflvs_addr *old;		/* old mark index -> address */
	uint32_t nold;
	struct rs_flow *v;
	unsigned int n, cap;
};

static void restore_mark_cb(void *ctx, uint32_t mark,
			    const struct nflvs_addr *addr)
{
	struct restore_ctx *x = ctx;
	uint32_t idx = (mark & x->d->cfg.director.mark_mask) >> x->d->marks.shift;

	if (idx && idx < x->nold)
		x->old[idx] = *addr;
}

/* The real server of the service @f is for, with the address of the old
 * mark: its mark now. */
static bool restore_mark(struct restore_ctx *x, struct rs_flow *f)
{
	struct director *d = x->d;
	uint32_t mask = d->cfg.director.mark_mask;
	uint32_t idx = (f->mark & mask) >> d->marks.shift;
	uint8_t proto = f->map == RS_FLOWS_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	unsigned int i, j;

	if (!idx || idx >= x->nold || !x->old[idx].family)
		return false;
	for (i = 0; i < d->nsvc; i++) {
		const struct service *svc = d->svc[i];

		if (svc->fwd != FWD_DR || svc->protocol != proto ||
		    svc->port != f->dport || !addr_eq(&svc->vip, &f->daddr))
			continue;
		for (j = 0; j < svc->ndests; j++)
			if (svc->dests[j]->fwd == FWD_DR &&
			    addr_eq(&svc->dests[j]->addr, &x->old[idx])) {
				f->mark = (f->mark & ~mask) | svc->dests[j]->mark;
				return true;
			}
	}
	return false;
}

static void restore_cb(void *ctx, const struct rs_flow *f)
{
	struct restore_ctx *x = ctx;
	struct rs_flow nf = *f;

	/* an element about to expire is not worth carrying over */
	if (f->timeout_ms <= 100 || !restore_mark(x, &nf))
		return;
	if (x->n == x->cap) {
		unsigned int cap = x->cap ? 2 * x->cap : 256;
		struct rs_flow *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return;
		x->v = v;
		x->cap = cap;
	}
	/* the time it has left, not a whole new timeout */
	x->v[x->n++] = nf;
}

int lvs_start(struct director *d)
{
	struct restore_ctx x = { .d = d };
	struct ruleset rs;
	unsigned int i;
	int fam;

	for (i = 0; i < d->nsvc && d->svc[i]->fwd != FWD_DR; i++)
		;
	if (i == d->nsvc)
		return 0;	/* no DR service: no flow to keep */
	x.nold = mark_capacity(&d->marks) + 1;
	x.old = calloc(x.nold, sizeof(*x.old));
	if (!x.old)
		return -ENOMEM;
	director_ruleset_base(d, &rs);
	if (ruleset_read_marks(d->cfg.director.table, restore_mark_cb, &x) == 0)
		for (fam = 0; fam < 2; fam++)
			ruleset_read_flows(&rs, fam ? AF_INET6 : AF_INET,
					   restore_cb, &x);
	free(x.old);
	d->lvs.restored = x.v;
	d->lvs.nrestored = x.n;
	if (x.n)
		log_info("DR flows: %u flows of the previous director kept", x.n);
	return 0;
}

const struct rs_flow *lvs_restored(struct director *d, unsigned int *n)
{
	*n = d->lvs.nrestored;
	return d->lvs.restored;
}

void lvs_restored_done(struct director *d)
{
	unsigned int i;

	pthread_mutex_lock(&d->lvs.lock);
	for (i = 0; i < d->lvs.nrestored; i++)
		sync_cb(d, &d->lvs.restored[i]);
	pthread_mutex_unlock(&d->lvs.lock);
	free(d->lvs.restored);
	d->lvs.restored = NULL;
	d->lvs.nrestored = 0;
}

static void service_down(struct director *d, struct service *svc)
{
	unsigned int i;

	for (i = 0; i < svc->ndests; i++)
		lvs_dest_down(d, svc->dests[i]);
	for (i = 0; i < svc->ndraining; i++)
		lvs_dest_down(d, svc->draining[i]);
	if (svc->sorry)
		lvs_dest_down(d, svc->sorry);
}

void lvs_stop(struct director *d)
{
	unsigned int i;
	int f;

	for (i = 0; i < d->nsvc; i++)
		service_down(d, d->svc[i]);
	for (i = 0; i < d->ndead; i++)
		service_down(d, d->dead[i]);
	for (f = 0; f < 2; f++) {
		if (!d->lvs.local_moved[f])
			continue;
		if (route_local_move(f ? AF_INET6 : AF_INET,
				     d->cfg.director.route_pref + 1,
				     d->lvs.local_orig[f]) < 0)
			log_err("routing: could not move the local table's rule back to %u",
				d->lvs.local_orig[f]);
		else
			log_info("routing: the local table's rule is back at preference %u",
				 d->lvs.local_orig[f]);
		d->lvs.local_moved[f] = false;
	}
}
