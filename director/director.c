// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The director assembled.  Each module owns its state and is given what it
 * needs; this file builds them, wires the hooks, and runs the periodic
 * work:
 *
 *   packets   queue.c workers -> director_decide(): NAT here (service
 *             pick, a mark that nftables turns into DNAT), DR and TUN in
 *             flowpath.c
 *   changes   config file, nflvsadm (admin.c) -> apply.c: plan, one
 *             nftables batch, commit; then routes and tunnels (dr.c,
 *             tun.c) for new DR and TUN real servers
 *   counts    conntrack events (ctrack.c) and DR/TUN flows -> conns.c
 *   health    the checker's records -> health.c
 *   shown     shared memory (publish.c), nflvsadm, /metrics (metrics.c)
 *   sync      DR/TUN flows and templates to a backup director and back
 *             (sync.c, syncstate.c)
 */
#include <errno.h>
#include <linux/capability.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>

#include "admin.h"
#include "apply.h"
#include "clock.h"
#include "conns.h"
#include "counters.h"
#include "ctrack.h"
#include "director.h"
#include "dr.h"
#include "finlog.h"
#include "flowpath.h"
#include "ha.h"
#include "health.h"
#include "ksched.h"
#include "log.h"
#include "notify.h"
#include "packet.h"
#include "privs.h"
#include "publish.h"
#include "queue.h"
#include "route.h"
#include "ruleset.h"
#include "stats.h"
#include "svcset.h"
#include "sync.h"
#include "syncstate.h"
#include "textbuf.h"
#include "tun.h"
#include "tunbpf.h"
#include "validate.h"

/* Bytes of each queued packet copied to us: headers only (TUN: all). */
#define COPY_HEADERS	256
#define COPY_WHOLE	0xffff
#define TICKS_PER_WORK	20		/* the periodic work: 100 ms */
#define MTU_REFRESH	(10 * NS_PER_SEC)

struct director {
	struct nflvs_config cfg;	/* what runs */
	struct ruleset rs;		/* our ruleset's parameters */
	struct shm_map shm;
	struct svcset set;
	struct ctrack ct;
	struct finlog fin;		/* DR FINs (finlog.h) */
	pthread_mutex_t fin_lock;	/* its reads: main thread, workers */
	struct flowpath fp;
	struct dr dr;
	struct apply apply;
	struct health health;
	struct admin admin;
	struct ha ha;			/* role, mark tables of the pair */
	struct control control;
	struct metrics metrics;
	struct sync sync;
	struct syncstate syncst;
	struct dir_counters counters;	/* relaxed atomics */
	struct tunbpf *tunbpf;		/* TUN in the kernel, or NULL */
	struct ksched ks;		/* NAT rr/wrr scheduled by nftables */
	uint64_t ks_gen;		/* health generation it last saw */
	int ks_role;			/* HA role it last saw */
	bool ks_dirty;			/* the configuration changed */

	struct queue_worker *queues;
	unsigned int nqueues;
	uint32_t copy_range;		/* the queues' now */
	unsigned int flow_services;	/* DR/TUN services running */
	unsigned int tun_dests;		/* TUN real servers sent from user
					   space: whole copies */
	unsigned int ticks, work_ticks;
	uint64_t next_mtu;
	int npoll_control, npoll_metrics, npoll_sync;	/* of
							   director_pollfds() */
	bool started;			/* the ruleset is in the kernel */
};

/* ---- the packet path ------------------------------------------------------- */

static void decide_log(const struct pkt_info *pi, const struct dest *dst)
{
	char src[ADDR_STRLEN], dstr[ADDR_STRLEN], rs[ADDR_STRLEN];

	log_debug("%s %s -> %s: %s", proto_name(pi->l4proto),
		  addr_port_str(&pi->saddr, pi->sport, src, sizeof(src)),
		  addr_port_str(&pi->daddr, pi->dport, dstr, sizeof(dstr)),
		  dst ? addr_port_str(&dst->addr, dst->port, rs, sizeof(rs))
		      : "no destination available");
}

/*
 * NAT: the real server's mark, which nftables turns into DNAT.  Conntrack
 * (nf_conntrack_tcp_loose, on by default) makes a TCP packet of no entry
 * a new connection even when it is not a SYN: a connection begun on
 * another director, or whose entry was deleted.  As IPVS, only a SYN
 * starts one, unless the service is consistent (service_may_start());
 * @*nosyn says such a packet is dropped.
 */
static struct dest *nat_decide(struct service *svc, const struct pkt_info *pi,
			       uint64_t now, bool adopt, bool *nosyn)
{
	struct dest *dst = NULL;

	pthread_mutex_lock(&svc->lock);
	*nosyn = !service_may_start(svc, pi, adopt);
	if (!*nosyn) {
		dst = service_pick(svc, pi, now);
		/* a one-packet "connection" ends with its datagram */
		if (dst && !svc->one_packet)
			conns_scheduled(svc, dst);
		if (log_level() >= LOG_DEBUG)
			decide_log(pi, dst);
	}
	pthread_mutex_unlock(&svc->lock);
	return dst;
}

/* An ICMP error about a flow of a TUN service (the ruleset queues no
 * other): through the flow's tunnel, or on to this host's stack. */
static void icmp_decide(struct director *d, const struct pkt_info *pi,
			const void *pkt, uint32_t len, uint32_t mark,
			struct verdict *v)
{
	struct service *svc;

	pthread_rwlock_rdlock(&d->set.lock);
	svc = svcset_lookup(&d->set, mark, pi->family, pi->l4proto, &pi->daddr,
			    pi->dport);
	if (svc && svc->fwd == FWD_TUN)
		flowpath_icmp(&d->fp, pi, pkt, len, v);
	else
		v->verdict = NF_ACCEPT;
	pthread_rwlock_unlock(&d->set.lock);
}

/* The NFQUEUE decision callback (queue.h). */
static void director_decide(void *ctx, const void *pkt, uint32_t len,
			    uint32_t mark, struct verdict *v)
{
	struct director *d = ctx;
	struct dir_counters *cnt = &d->counters;
	uint64_t now = clock_mono_ns();
	struct service *svc;
	struct dest *dst = NULL;
	struct pkt_info pi;
	bool nosyn = false;
	int role = ha_role(&d->ha);

	/* IPVS's backup_only: a backup keeps its state, schedules nothing */
	if (!ha_schedules(role)) {
		counter_inc(&cnt->standby);
		v->verdict = NF_DROP;
		return;
	}
	if (packet_parse(pkt, len, &pi) != PKT_OK) {
		if (packet_parse_icmp_error(pkt, len, &pi) == PKT_OK) {
			icmp_decide(d, &pi, pkt, len, mark, v);
			return;
		}
		counter_inc(&cnt->malformed);
		v->verdict = NF_DROP;
		return;
	}
	pthread_rwlock_rdlock(&d->set.lock);
	svc = svcset_lookup(&d->set, mark, pi.family, pi.l4proto, &pi.daddr,
			    pi.dport);
	if (svc && svc->fwd != FWD_NAT)
		flowpath_decide(&d->fp, svc, &pi, pkt, len, mark, now, v);
	else if (svc)
		dst = nat_decide(svc, &pi, now, role != HA_TAKEOVER, &nosyn);
	pthread_rwlock_unlock(&d->set.lock);
	if (svc && svc->fwd != FWD_NAT)
		return;
	if (!svc) {
		/* a service that just went away: leave the packet alone */
		counter_inc(&cnt->noservice);
		v->verdict = NF_ACCEPT;
		return;
	}
	if (nosyn) {
		counter_inc(&cnt->nosyn);
		v->verdict = NF_DROP;
		return;
	}
	if (!dst) {
		counter_inc(&cnt->noavail);
		v->verdict = NF_DROP;
		return;
	}
	counter_inc(&cnt->scheduled);
	if (pi.l4proto == IPPROTO_TCP && !(pi.tcp_flags & TCP_SYN))
		counter_inc(&cnt->adopted);
	v->verdict = NF_ACCEPT;
	v->set_mark = 1;
	v->mark = (mark & ~d->rs.mark_mask) | dst->mark;
}

/* ---- hooks ------------------------------------------------------------------ */

/* ctrack: conntrack's word on a connection of ours. */
static void hook_ct_account(void *ctx, uint32_t mark, enum ct_class old,
			    enum ct_class cls, const struct ct_event *ev)
{
	struct director *d = ctx;
	struct dest *dst = svcset_by_mark(&d->set, mark);

	if (!dst)
		return;
	pthread_mutex_lock(&dst->svc->lock);
	/* a connection the kernel scheduled: counted as scheduled now */
	if (!conns_seen(dst->svc, dst, old, cls, &ev->src) &&
	    old == CT_NONE && cls != CT_NONE && ev->created &&
	    dst->svc->ks_n)
		service_count_conn(dst->svc, dst);
	pthread_mutex_unlock(&dst->svc->lock);
}

/* flowpath: a TUN packet goes out encapsulated. */
static void hook_tun_send(void *ctx, struct dest *dst,
			  const struct flow_key *k, const void *pkt,
			  uint32_t len)
{
	struct director *d = ctx;

	tun_send(dst, k, pkt, len, &d->counters);
}

/* flowpath: a DR or TUN flow made or changed, for the sync's master. */
static void hook_flow_event(void *ctx, const struct service *svc,
			   const struct flow *f, uint64_t timeout_ms)
{
	struct director *d = ctx;

	syncstate_made(&d->sync, svc, f, timeout_ms);
}

static void hook_fin_drain(void *ctx);

/* flowpath: a kernel flow's element must go now. */
static void hook_forget(void *ctx, const struct rs_flow *rf)
{
	struct director *d = ctx;

	dr_forget(&d->dr, rf);
}

/* apply: can a DR or TUN real server be reached as its method needs? */
static int hook_check_dest(void *ctx, const struct dest *dst,
			   const struct cfg_rs *rc, char *err, size_t errlen)
{
	struct director *d = ctx;
	char a[ADDR_STRLEN];
	struct route_info ri;
	int ret = route_lookup(&rc->addr, &ri);

	if (ret) {
		snprintf(err, errlen, "real server %s: no route to it (%s)",
			 addr_str(&rc->addr, a, sizeof(a)), strerror(-ret));
		return ret;
	}
	return rc->fwd == FWD_DR ? dr_check(&d->dr, dst, &ri, err, errlen)
				 : tun_check(rc, &ri, err, errlen);
}

static int hook_commit(void *ctx, struct nft_batch *b, char *err,
		       size_t errlen)
{
	(void)ctx;
	return ruleset_commit(b, err, errlen);
}

static void hook_dest_health(void *ctx, struct service *svc, struct dest *dst)
{
	struct director *d = ctx;

	health_apply_dest(&d->health, svc, dst);
}

/* apply: a real server is freed, its forwarding state goes. */
static void hook_dest_gone(void *ctx, struct dest *dst)
{
	struct director *d = ctx;

	if (dst->tun_kernel && !d->dr.keep)
		tunbpf_dest_del(d->tunbpf, dst->mark);
	dst->tun_kernel = false;
	dr_dest_down(&d->dr, dst);
	tun_dest_down(dst);
	flowpath_drop_dest(&d->fp, dst, false, NULL, NULL);
}

/* health: expire_connections, a real server went down. */
static void hook_expire(void *ctx, struct dest *dst)
{
	struct director *d = ctx;
	char a[ADDR_STRLEN];

	if (dst->fwd != FWD_NAT)
		dr_expire_dest(&d->dr, dst);	/* DR and TUN flows */
	else if (ctrack_flush_mark(dst->mark, d->rs.mark_mask) < 0)
		log_warn("real server %s: expiring its connections failed",
			 addr_port_str(&dst->addr, dst->port, a, sizeof(a)));
}

/* ---- changes ---------------------------------------------------------------- */

/*
 * A TUN real server whose tunnel the kernel builds (tunbpf.h): routed as
 * DR toward the next hop to it, with the tunnel's room as the route's MTU
 * (the kernel answers what is too big), the filter on that device, its
 * headers in the map.  Where that fails, user space sends its packets.
 */
static void tun_kernel_up(struct director *d, struct dest *dst)
{
	const struct encap *e = dst->encap;
	char a[ADDR_STRLEN];
	struct route_info ri;
	uint32_t room;
	int ret;

	if (dst->tun_kernel || !d->tunbpf || !e ||
	    !tunbpf_suits(&dst->cfg.tunnel, dst->svc->family, dst->addr.family))
		return;
	room = e->mtu - e->overhead;
	if (dst->addr.family == AF_INET6 && room < 1280)
		return;		/* IPv6 needs 1280: fragments, user space */
	ret = route_lookup(&dst->addr, &ri);
	if (!ret)
		ret = dr_route_up(&d->dr, dst, ri.onlink ? &dst->addr : &ri.gw,
				  ri.oif, room);
	if (!ret)
		ret = tunbpf_attach(d->tunbpf, ri.oif);
	if (!ret)
		ret = tunbpf_dest_set(d->tunbpf, dst->mark, e);
	if (ret) {
		log_warn("real server %s: TUN in the kernel: %s; its packets go from user space",
			 addr_str(&dst->addr, a, sizeof(a)), strerror(-ret));
		dr_dest_down(&d->dr, dst);
		return;
	}
	dst->tun_room = room;
	__atomic_store_n(&dst->tun_kernel, true, __ATOMIC_RELEASE);
}

/* The path MTU toward a kernel TUN real server changed (tun_refresh()):
 * its route's MTU and the program's copy follow. */
static void tun_kernel_refresh(struct director *d)
{
	struct route_info ri;
	unsigned int i, j;

	for (i = 0; i < d->set.nsvc; i++) {
		struct service *svc = d->set.svc[i];

		for (j = 0; j < svc->ndests; j++) {
			struct dest *dst = svc->dests[j];
			const struct encap *e = dst->encap;
			uint32_t room;

			if (!dst->tun_kernel || !e)
				continue;
			room = e->mtu - e->overhead;
			if (room == dst->tun_room ||
			    (dst->addr.family == AF_INET6 && room < 1280))
				continue;
			if (route_lookup(&dst->addr, &ri) == 0 &&
			    dr_route_mtu(&d->dr, dst, ri.oif, room) == 0 &&
			    tunbpf_dest_set(d->tunbpf, dst->mark, e) == 0)
				dst->tun_room = room;
		}
	}
}

static void dest_up(struct director *d, struct dest *dst)
{
	char a[ADDR_STRLEN];
	int ret;

	if (dst->fwd == FWD_NAT)
		return;
	ret = dst->fwd == FWD_DR ? dr_dest_up(&d->dr, dst) : tun_dest_up(dst);
	if (ret)
		log_err("real server %s: %s: %s",
			addr_str(&dst->addr, a, sizeof(a)),
			dst->fwd == FWD_DR ? "DR routing" : "TUN", strerror(-ret));
	else if (dst->fwd == FWD_TUN)
		tun_kernel_up(d, dst);
	d->tun_dests += dst->fwd == FWD_TUN && !dst->tun_kernel;
}

/* TUN sends what it is given: the queues copy whole packets. */
static void copy_range(struct director *d)
{
	uint32_t want = d->tun_dests ? COPY_WHOLE : COPY_HEADERS;
	unsigned int i;

	if (want == d->copy_range)
		return;
	for (i = 0; i < d->nqueues; i++)
		if (queue_set_copy_range(&d->queues[i], want) < 0)
			log_err("NFQUEUE %u: setting the copy range: %s",
				d->queues[i].num, strerror(errno));
	d->copy_range = want;
}

/* After a configuration is applied: routes and tunnels for the DR and TUN
 * real servers that have none yet, the queues' copy range. */
static void director_applied(struct director *d)
{
	unsigned int i, j;

	d->flow_services = d->tun_dests = 0;
	for (i = 0; i < d->set.nsvc; i++) {
		struct service *svc = d->set.svc[i];

		if (svc->fwd == FWD_NAT)
			continue;
		d->flow_services++;
		for (j = 0; j < svc->ndests; j++)
			dest_up(d, svc->dests[j]);
		if (svc->sorry)
			dest_up(d, svc->sorry);
	}
	dr_cleanup(&d->dr);
	copy_range(d);
}

static int director_apply(void *ctx, struct nflvs_config *cfg, char *err,
			  size_t errlen)
{
	struct director *d = ctx;
	int ret;

	/* the kernel's cycles may name what the change removes */
	if (d->started)
		ksched_suspend(&d->ks, &d->set);
	ret = apply_config(&d->apply, cfg, err, errlen);
	d->ks.enabled = d->cfg.director.kernel_schedule;
	d->ks_dirty = true;
	if (!ret && d->started)
		director_applied(d);
	return ret;
}

/* ---- the state sync daemons ------------------------------------------------------- */

static enum sync_role role_of(uint32_t state)
{
	return state == NFLVS_CTL_DAEMON_MASTER ? SYNC_MASTER : SYNC_BACKUP;
}

static int director_daemon(void *ctx, const struct nflvs_ctl_daemon *r,
			   bool start, char *err, size_t errlen)
{
	struct director *d = ctx;
	struct sync_conf c = { .syncid = r->syncid, .maxlen = r->sync_maxlen,
			       .port = r->mcast_port, .ttl = r->mcast_ttl };
	int ret;

	if (!start) {
		ret = sync_stop(&d->sync, role_of(r->state));
		if (ret)
			snprintf(err, errlen, "no %s sync daemon runs",
				 r->state == NFLVS_CTL_DAEMON_MASTER ? "master" : "backup");
		return ret;
	}
	memcpy(c.ifname, r->mcast_ifn, sizeof(r->mcast_ifn));
	c.ifname[sizeof(c.ifname) - 1] = '\0';
	c.group.family = r->mcast_family;
	memcpy(c.group.b, r->mcast_group, sizeof(c.group.b));
	c.refresh_ms = d->cfg.sync.refresh * 1000;
	return sync_start(&d->sync, role_of(r->state), &c, err, errlen);
}

static unsigned int director_daemons(void *ctx, struct nflvs_ctl_daemon out[2])
{
	struct director *d = ctx;
	const struct sync_stats *st = &d->sync.stats;
	unsigned int n = 0, i;
	int r;

	for (r = 0; r < SYNC_ROLES; r++) {
		const struct sync_conf *c = sync_running(&d->sync, r);
		struct nflvs_ctl_daemon *o = &out[n];

		if (!c)
			continue;
		*o = (struct nflvs_ctl_daemon){
			.state = r == SYNC_MASTER ? NFLVS_CTL_DAEMON_MASTER
						  : NFLVS_CTL_DAEMON_BACKUP,
			.syncid = c->syncid, .sync_maxlen = c->maxlen,
			.mcast_family = c->group.family, .mcast_ttl = c->ttl,
			.mcast_port = c->port,
			.sent_msgs = st->sent_msgs, .sent_entries = st->sent_entries,
			.recv_msgs = st->recv_msgs,
			.recv_entries = st->recv_entries,
			.installed = d->syncst.installed,
			.unmatched = d->syncst.unmatched,
		};
		snprintf(o->mcast_ifn, sizeof(o->mcast_ifn), "%s", c->ifname);
		memcpy(o->mcast_group, c->group.b, sizeof(o->mcast_group));
		for (i = 0; i < SYNCMSG_ERRS; i++)
			o->dropped += st->dropped[i];
		n++;
	}
	return n;
}

/* nflvs.conf's sync group: the daemon it names, started. */
static int director_sync_start(struct director *d, const struct cfg_sync *y)
{
	struct sync_conf c = { .syncid = y->syncid, .maxlen = y->maxlen,
			       .port = y->port, .ttl = y->ttl,
			       .refresh_ms = y->refresh * 1000,
			       .group = y->peer.family ? y->peer : y->group };
	char err[256];
	int ret;

	if (y->state == CFG_SYNC_NONE)
		return 0;
	snprintf(c.ifname, sizeof(c.ifname), "%s", y->interface);
	ret = sync_start(&d->sync, y->state == CFG_SYNC_MASTER ? SYNC_MASTER
							       : SYNC_BACKUP,
			 &c, err, sizeof(err));
	if (ret)
		log_err("sync: %s", err);
	return ret;
}

static bool sync_same(const struct cfg_sync *a, const struct cfg_sync *b)
{
	return a->state == b->state && !strcmp(a->interface, b->interface) &&
	       a->syncid == b->syncid && addr_eq(&a->peer, &b->peer) &&
	       addr_eq(&a->group, &b->group) && a->port == b->port &&
	       a->ttl == b->ttl && a->maxlen == b->maxlen &&
	       a->refresh == b->refresh;
}

/* A reload changed the sync group: the daemons follow it (left alone
 * otherwise, as nflvsadm --start-daemon set them). */
static void director_sync_reload(struct director *d, const struct cfg_sync *old)
{
	if (sync_same(old, &d->cfg.sync))
		return;
	sync_stop(&d->sync, SYNC_MASTER);
	sync_stop(&d->sync, SYNC_BACKUP);
	director_sync_start(d, &d->cfg.sync);
}

static int director_set_timeouts(void *ctx, const struct rs_timeouts *t,
				 char *err, size_t errlen)
{
	struct director *d = ctx;
	struct ruleset rs = d->rs;
	unsigned int has[2];
	struct nft_batch b;
	int ret = 0;

	if (d->started) {
		rs.timeouts = *t;
		if (nft_batch_init(&b) < 0) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		apply_chains(&d->apply, has);
		ret = ruleset_build_timeouts(&b, &rs, has);
		if (!ret)
			ret = ruleset_commit(&b, err, errlen);
		nft_batch_free(&b);
	}
	if (!ret) {
		d->rs.timeouts = *t;
		flowpath_retime(&d->fp, clock_mono_ns());
	}
	return ret;
}

/* What a running director cannot change: a restart is needed. */
static const char *director_fixed(const struct cfg_director *a,
				  const struct cfg_director *b)
{
	if (strcmp(a->table, b->table))
		return "table";
	if (a->queue != b->queue || a->queues != b->queues)
		return "queue/queues";
	if (a->mark_mask != b->mark_mask)
		return "mark_mask";
	if (strcmp(a->shm, b->shm))
		return "shm";
	if (strcmp(a->control, b->control))
		return "control";
	/* the DR routes in place are named by these */
	if (a->route_table != b->route_table || a->route_pref != b->route_pref)
		return "route_table/route_pref";
	return NULL;
}

static int director_reload_file(struct director *d, struct cfg_errors *errs);

/* nflvsadm --role, from keepalived's hooks */
static void director_ksched(struct director *d, bool work);

static int director_set_role(void *ctx, uint32_t role)
{
	struct director *d = ctx;
	int ret = ha_set_role(&d->ha, role, clock_mono_ns());

	/* a backup's kernel schedules nothing from the reply on */
	if (!ret && d->started)
		director_ksched(d, false);
	return ret;
}

/*
 * nflvsadm --status: the HA role and mark table, then what the connection
 * tables hold and take, since the director's size follows them.
 */
static char *director_status(void *ctx, size_t *len)
{
	struct director *d = ctx;
	struct textbuf t = { 0 };
	size_t n;
	char *ha = ha_status(&d->ha, clock_mono_ns(), &n);

	if (!ha)
		return NULL;
	textbuf_printf(&t, "%s", ha);
	free(ha);
	textbuf_printf(&t, "Connections: %llu tracked, %u DR/TUN flows, tables %zu kB\n",
		       (unsigned long long)d->ct.stats.tracked, flowpath_count(&d->fp),
		       (ctrack_table_bytes(&d->ct) + flowpath_bytes(&d->fp) + 1023) / 1024);
	textbuf_printf(&t, "Conntrack events: %llu read, %llu overruns\n",
		       (unsigned long long)d->ct.stats.events,
		       (unsigned long long)d->ct.stats.overruns);
	textbuf_printf(&t, "Kernel scheduling: %s, %u services, %llu changes\n",
		       !d->ks.enabled ? "off" : d->ks.broken ? "failed" : "on",
		       d->ks.services, (unsigned long long)d->ks.changes);
	return textbuf_take(&t, len);
}

/*
 * nflvsadm --check, keepalived's liveness script: this main loop answers
 * (or there would be no reply), the ruleset was applied and is still in
 * the kernel (nobody flushed it), and every queue worker is running.
 */
static int director_check(void *ctx, char *err, size_t errlen)
{
	struct director *d = ctx;
	int ret;

	if (!d->started || !d->apply.in_kernel) {
		snprintf(err, errlen, "the ruleset is not applied");
		return -EAGAIN;
	}
	ret = ruleset_table_exists(d->rs.table);
	if (ret <= 0) {
		snprintf(err, errlen, "table inet %s: %s", d->rs.table,
			 ret ? strerror(-ret) : "not in the kernel");
		return ret ? ret : -ENOENT;
	}
	return 0;
}

/* SIGHUP and nflvsadm --reload; the service manager is told of both. */
int director_reload(struct director *d, struct cfg_errors *errs)
{
	int ret;

	notify_reloading();
	ret = director_reload_file(d, errs);
	notify_send("READY=1");
	return ret;
}

static int director_reload_file(struct director *d, struct cfg_errors *errs)
{
	struct nflvs_config cfg;
	struct cfg_sync old = d->cfg.sync;
	const char *fixed;
	char err[512];

	memset(errs, 0, sizeof(*errs));
	if (config_load(d->cfg.path, &cfg, errs) > 0)
		return -EINVAL;
	if (validate_config(&cfg, errs) > 0) {
		config_free(&cfg);
		return -EINVAL;
	}
	fixed = director_fixed(&d->cfg.director, &cfg.director);
	err[0] = '\0';
	if (fixed)
		snprintf(err, sizeof(err), "%s: director.%s changed; restart the director to apply it",
			 cfg.path, fixed);
	else if (cfg.sync.state != CFG_SYNC_NONE &&
		 !if_nametoindex(cfg.sync.interface))
		snprintf(err, sizeof(err), "%s: sync.interface %s: no such interface",
			 cfg.path, cfg.sync.interface);
	if (err[0] || director_apply(d, &cfg, err, sizeof(err))) {
		config_error_push(errs, err);
		config_free(&cfg);
		return -EINVAL;
	}
	log_info("reloaded %s: %u services", d->cfg.path, d->set.nsvc);
	director_sync_reload(d, &old);
	return 0;
}

static int director_reload_hook(void *ctx, struct cfg_errors *errs)
{
	return director_reload(ctx, errs);
}

const char *director_config_path(const struct director *d)
{
	return d->cfg.path;
}

/* ---- building ----------------------------------------------------------------- */

/* conntrack's TCP timeouts (sysctls), for the states ipvsadm leaves alone */
static void conntrack_tcp_timeouts(uint32_t t[RS_TCP_STATES])
{
	static const struct { const char *name; uint32_t def; } st[RS_TCP_STATES] = {
		{ "syn_sent", 120 }, { "syn_recv", 60 }, { "established", 432000 },
		{ "fin_wait", 120 }, { "close_wait", 60 }, { "last_ack", 30 },
		{ "time_wait", 120 }, { "close", 10 }, { "syn_sent2", 120 },
		{ "max_retrans", 300 }, { "unacknowledged", 300 },
	};
	char path[128];
	unsigned int i, v;
	FILE *f;

	for (i = 0; i < RS_TCP_STATES; i++) {
		t[i] = st[i].def;
		snprintf(path, sizeof(path),
			 "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_%s",
			 st[i].name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%u", &v) == 1 && v)
			t[i] = v;
		if (f)
			fclose(f);
	}
}

/* Each module given what it needs. */
static void director_wire(struct director *d)
{
	const struct cfg_director *c = &d->cfg.director;

	dr_init(&d->dr, &d->rs, &d->set, &d->fp, c->route_table,
		c->route_pref);
	d->apply = (struct apply){
		.set = &d->set, .shm = &d->shm, .running = &d->cfg,
		.rs = &d->rs,
		.hooks = { .check_dest = hook_check_dest, .commit = hook_commit,
			   .dest_health = hook_dest_health,
			   .dest_gone = hook_dest_gone, .ctx = d },
	};
	d->health = (struct health){ .shm = &d->shm, .set = &d->set,
				     .expire = hook_expire, .ctx = d };
	d->admin = (struct admin){
		.set = &d->set, .shm = &d->shm, .ct = &d->ct, .fp = &d->fp,
		.rs = &d->rs, .running = &d->cfg, .apply = director_apply,
		.reload = director_reload_hook,
		.set_timeouts = director_set_timeouts,
		.daemon = director_daemon, .daemons = director_daemons,
		.set_role = director_set_role, .status = director_status,
		.check = director_check, .ctx = d,
	};
	d->syncst = (struct syncstate){ .set = &d->set, .fp = &d->fp,
					.rs = &d->rs, .kernel = true };
}

static int director_shm(struct director *d, const struct nflvs_config *cfg)
{
	const struct cfg_director *c = &cfg->director;
	/* the checker runs as this user: its group writes health; looked up
	 * first so that the segment is its group's as soon as can be (the
	 * checker retries a segment it may not open for a while) */
	struct passwd *pw = c->user[0] ? getpwnam(c->user) : NULL;
	int ret = shm_create(&d->shm, c->shm, DIRECTOR_MAX_SERVICES,
			     DIRECTOR_MAX_RS);

	if (ret) {
		log_err("shared memory %s: %s", c->shm, strerror(-ret));
		return ret;
	}
	if (c->user[0]) {
		if (!pw && !c->user_set)
			log_info("shared memory %s: no user %s, the checker stays root",
				 c->shm, c->user);
		else if (!pw || shm_set_group(&d->shm, pw->pw_gid) < 0)
			log_warn("shared memory %s: cannot give it to user %s's group",
				 c->shm, c->user);
	}
	snprintf(d->shm.hdr->config_path, sizeof(d->shm.hdr->config_path),
		 "%s", cfg->path);
	return 0;
}

static void prev_mark_cb(void *ctx, uint32_t index, const char *key)
{
	struct director *d = ctx;

	if (svcset_prev_add(&d->set, index, key) < 0)
		log_warn("marks: out of memory reading the previous marks");
}

/*
 * A previous run's table (a restart): its real servers keep their marks,
 * so that the conntrack entries it left, and those conntrackd brings,
 * still name them.
 */
static void director_prev_marks(struct director *d)
{
	if (ruleset_read_mark_keys(d->rs.table, prev_mark_cb, d) == 0 &&
	    d->set.nprev)
		log_info("marks: the previous table had %u; real servers still configured keep theirs",
			 d->set.nprev);
}

static int director_init(struct director *d, struct nflvs_config *cfg)
{
	const struct cfg_director *c = &cfg->director;
	struct flowpath_env fe = { .mark_mask = c->mark_mask,
				   .timeouts = &d->rs.timeouts,
				   .counters = &d->counters,
				   .send = hook_tun_send,
				   .event = hook_flow_event,
				   .forget = hook_forget,
				   .drain = hook_fin_drain, .ctx = d };
	struct sync_env se = { .walk = syncstate_walk,
			       .install = syncstate_install,
			       .flush = syncstate_flush, .ctx = &d->syncst };
	char err[256];
	int ret;

	/* until the first change commits, what runs is nothing of this */
	d->cfg.director = *c;
	d->rs = (struct ruleset){ .table = d->cfg.director.table,
				  .mark_mask = c->mark_mask, .queue = c->queue,
				  .queues = c->queues };
	/* IPVS's defaults: ESTABLISHED 900 s, FIN_WAIT 120 s, UDP 300 s */
	d->rs.timeouts = (struct rs_timeouts){ 900, 120, 300, { 0 } };
	d->ks = (struct ksched){ .rs = &d->rs,
				 .enabled = c->kernel_schedule };
	conntrack_tcp_timeouts(d->rs.timeouts.tcp_base);
	d->copy_range = COPY_HEADERS;
	d->fin.fd = -1;
	pthread_mutex_init(&d->fin_lock, NULL);
	director_wire(d);
	ret = svcset_init(&d->set, c->mark_mask);
	if (!ret)
		ret = ctrack_init(&d->ct, c->mark_mask, hook_ct_account, d);
	if (!ret)
		ret = flowpath_init(&d->fp, &fe);
	if (!ret && (ret = ha_init(&d->ha, &d->set, &d->fp.no_adopt,
				   c->peer)) < 0)
		log_err("peer %s: %s", c->peer, strerror(-ret));
	if (!ret)
		ret = sync_init(&d->sync, &se);
	if (!ret)
		ret = director_shm(d, cfg);
	if (ret)
		return ret;
	director_prev_marks(d);
	ret = apply_config(&d->apply, cfg, err, sizeof(err));
	svcset_prev_done(&d->set);
	if (ret)
		log_err("%s", err);
	return ret;
}

struct director *director_new(struct nflvs_config *cfg)
{
	struct director *d = calloc(1, sizeof(*d));

	if (!d) {
		log_err("out of memory");
		config_free(cfg);
		return NULL;
	}
	d->ha.fd = -1;
	sockset_init(&d->control.socks, 0, 0, 0, NULL, NULL, NULL);
	sockset_init(&d->metrics.socks, 0, 0, 0, NULL, NULL, NULL);
	if (director_init(d, cfg)) {
		config_free(cfg);
		director_free(d);
		return NULL;
	}
	return d;
}

/* ---- start and stop ------------------------------------------------------------ */

/*
 * What the director uses once started: nftables, NFQUEUE verdicts,
 * conntrack, rules and routes, forced socket buffers (CAP_NET_ADMIN), and
 * TUN's raw sockets, which each worker opens when it first sends, also
 * after a reload or nflvsadm adds a TUN server (CAP_NET_RAW), and TUN's
 * BPF programs, loaded when TUN servers come (CAP_BPF).  No file is
 * created after start-up: the control socket, the shared memory and the
 * metrics listener exist by then.
 */
#define DIRECTOR_CAPS	(PRIV_CAP(CAP_NET_ADMIN) | PRIV_CAP(CAP_NET_RAW) | \
			 PRIV_CAP(CAP_BPF))

static int director_privs(uint64_t *kept)
{
	int ret = privs_limit(DIRECTOR_CAPS, true, kept);

	return ret ? ret : privs_no_new();
}

/* Capabilities are per thread: each worker drops its own. */
static void director_thread_privs(void)
{
	int ret = director_privs(NULL);

	if (ret)
		log_err("queue worker: dropping capabilities: %s",
			strerror(-ret));
}

/* The main thread, once everything is open. */
static int director_drop(void)
{
	uint64_t kept;
	char s[128];
	int ret = director_privs(&kept);

	if (ret) {
		log_err("dropping capabilities: %s", strerror(-ret));
		return ret;
	}
	privs_str(kept, s, sizeof(s));
	log_info("capabilities: keeping %s; no_new_privs set", s);
	return 0;
}

static int director_queues(struct director *d)
{
	const struct cfg_director *c = &d->cfg.director;
	unsigned int i;
	int ret;

	d->queues = calloc(c->queues, sizeof(*d->queues));
	if (!d->queues)
		return -ENOMEM;
	for (i = 0; i < (unsigned int)c->queues; i++) {
		ret = queue_open(&d->queues[i], c->queue + i, d->copy_range,
				 director_decide, d);
		if (ret) {
			log_err("NFQUEUE %d: %s%s", c->queue + i, strerror(-ret),
				ret == -EBUSY ? " (bound by another program)" : "");
			return ret;
		}
		d->nqueues++;
		ret = queue_start(&d->queues[i], director_thread_privs);
		if (ret)
			return ret;
	}
	log_info("listening on NFQUEUE %d-%d", c->queue, c->queue + c->queues - 1);
	return 0;
}

/* The whole ruleset, with the DR flows a director before us left. */
static int director_ruleset(struct director *d)
{
	struct rs_flow *flows;
	unsigned int nflows, nrs = 0;
	struct nft_batch b;
	char err[256];
	int ret;

	/* read before its table goes */
	ret = dr_restore(&d->dr, &flows, &nflows);
	if (ret)
		return ret;
	director_applied(d);
	if (nft_batch_init(&b) < 0) {
		free(flows);
		return -ENOMEM;
	}
	ret = apply_ruleset(&d->apply, flows, nflows, &b, &nrs);
	if (!ret) {
		int role = ha_role(&d->ha);

		ret = ksched_build(&d->ks, &d->set, ha_schedules(role), &b);
		d->ks_role = role;
	}
	if (ret)
		snprintf(err, sizeof(err), "building the batch: %s",
			 strerror(-ret));
	else
		ret = ruleset_commit(&b, err, sizeof(err));
	if (ret) {
		log_err("ruleset: %s", err);
	} else {
		log_info("ruleset applied: table %s (inet%s), %u services, %u real servers",
			 d->rs.table, d->rs.native_queue ? "" : ", ip, ip6",
			 d->set.nsvc, nrs);
		dr_adopt(&d->dr, flows, nflows, clock_mono_ns());
	}
	nft_batch_free(&b);
	free(flows);
	return ret;
}

static int director_listen(struct director *d)
{
	const struct cfg_director *c = &d->cfg.director;
	int ret;

	ret = control_open(&d->control, c->control, c->control_group,
			   admin_serve, &d->admin);
	if (ret < 0) {
		log_err("control socket %s: %s", c->control, strerror(-ret));
		return ret;
	}
	ret = metrics_open(&d->metrics, c->metrics, &d->set, &d->shm,
			   &d->counters);
	if (ret < 0)
		log_err("metrics %s: %s", c->metrics, strerror(-ret));
	return ret;
}

/* TUN in the kernel where the BPF program loads; said either way. */
static void director_tunbpf(struct director *d)
{
	char why[256];

	d->tunbpf = tunbpf_open(d->rs.mark_mask, why, sizeof(why));
	d->rs.tun_kernel = d->set.tun_kernel = d->tunbpf != NULL;
	if (d->tunbpf)
		log_info("TUN: encapsulating in the kernel (tc BPF egress program)");
	else
		log_info("TUN: no kernel encapsulation (%s): packets go through user space",
			 why);
}

int director_start(struct director *d)
{
	int ret = ruleset_probe_native_queue(d->rs.table);

	if (ret < 0) {
		log_err("nftables: probing the kernel failed: %s",
			strerror(-ret));
		return ret;
	}
	d->rs.native_queue = ret;
	log_info("kernel: %s", d->rs.native_queue ?
		 "nft queue expression available, using it" :
		 "no nft queue expression (nft_queue), using the xtables NFQUEUE target through nft compat");
	director_tunbpf(d);
	/* NFLVS_NO_FINLOG=1: FINs queued, as before (benchmarks compare) */
	ret = getenv("NFLVS_NO_FINLOG") ? -ENOTSUP :
	      finlog_open(&d->fin, d->rs.queue);
	d->rs.fin_log = ret == 0;
	if (ret)
		log_info("DR: NFLOG group %u: %s; FINs are queued instead",
			 d->rs.queue, strerror(-ret));
	ret = director_queues(d);
	if (!ret)
		ret = director_ruleset(d);
	if (ret)
		return ret;
	d->started = d->apply.in_kernel = true;
	/* events first, then a dump: nothing falls between the two */
	ret = ctrack_open(&d->ct);
	if (!ret)
		ret = ctrack_resync(&d->ct);
	if (ret) {
		log_err("conntrack: %s", strerror(-ret));
		return ret;
	}
	log_info("conntrack: accounting %llu existing connections",
		 (unsigned long long)d->ct.stats.tracked);
	ret = director_listen(d);
	if (!ret)
		ret = director_sync_start(d, &d->cfg.sync);
	/* the sync sockets, opened again at reloads, need nothing more */
	return ret ? ret : director_drop();
}

static int director_remove_ruleset(struct director *d)
{
	struct nft_batch b;
	char err[256];
	int ret;

	if (nft_batch_init(&b) < 0)
		return -ENOMEM;
	ret = ruleset_build_delete(&b, d->rs.table);
	if (!ret)
		ret = ruleset_commit(&b, err, sizeof(err));
	if (ret)
		log_err("ruleset: removing table %s: %s", d->rs.table,
			strerror(-ret));
	else
		log_info("ruleset removed: table %s", d->rs.table);
	nft_batch_free(&b);
	return ret;
}

void director_stop(struct director *d, bool keep)
{
	unsigned int i;

	metrics_close(&d->metrics);
	control_close(&d->control);
	sync_stop(&d->sync, SYNC_MASTER);
	sync_stop(&d->sync, SYNC_BACKUP);
	if (keep) {
		/* as a crash leaves them, for the next start to take over
		 * (keepalived --dont-release-ipvs): the ruleset with its flow
		 * maps, the DR rules and routes, the shared memory */
		log_info("keeping the ruleset, routes and shared memory for the next start (-k)");
		d->shm.owner = false;
		d->apply.keep = d->dr.keep = true;
	} else if (d->started) {
		director_remove_ruleset(d);
	}
	d->started = d->apply.in_kernel = false;
	for (i = 0; i < d->nqueues; i++)
		queue_close(&d->queues[i]);
	d->nqueues = 0;
	tun_thread_done();
	/* every real server's routes and tunnel go with it (not with -k) */
	apply_release(&d->apply);
	if (!keep)
		dr_stop(&d->dr);
	/* -k: the filters stay, with their maps, for the flows */
	tunbpf_close(d->tunbpf, !keep);
	d->tunbpf = NULL;
	d->rs.tun_kernel = d->set.tun_kernel = false;
}

void director_free(struct director *d)
{
	if (!d)
		return;
	ha_fini(&d->ha);
	apply_release(&d->apply);
	free(d->queues);
	ctrack_fini(&d->ct);
	finlog_close(&d->fin);
	sync_fini(&d->sync);
	syncstate_fini(&d->syncst);
	flowpath_fini(&d->fp);
	svcset_fini(&d->set);
	shm_close(&d->shm);
	config_free(&d->cfg);
	free(d);
}

/* ---- periodic work --------------------------------------------------------------- */

/* Every 100 ms, per service: counts to shared memory; every half second
 * scheduled connections never confirmed go; every second housekeeping. */
static void service_tick(struct director *d, struct service *s, bool half,
			 bool second, uint64_t now)
{
	unsigned int j;

	pthread_mutex_lock(&s->lock);
	if (second)
		service_gc(s, now);
	for (j = 0; half && j < s->ndests; j++)
		conns_tick(s, s->dests[j]);
	for (j = 0; half && j < s->ndraining; j++)
		conns_tick(s, s->draining[j]);
	publish_service_dests(&d->shm, s);
	pthread_mutex_unlock(&s->lock);
}

/* After a health change has reached everything that schedules. */
static void director_publish(struct director *d)
{
	unsigned int i;

	pthread_rwlock_rdlock(&d->set.lock);
	for (i = 0; i < d->set.nsvc; i++) {
		pthread_mutex_lock(&d->set.svc[i]->lock);
		publish_service_dests(&d->shm, d->set.svc[i]);
		pthread_mutex_unlock(&d->set.svc[i]->lock);
	}
	pthread_rwlock_unlock(&d->set.lock);
}

static void dead_tick(struct service *s)
{
	unsigned int j;

	pthread_mutex_lock(&s->lock);
	for (j = 0; j < s->ndraining; j++)
		conns_tick(s, s->draining[j]);
	pthread_mutex_unlock(&s->lock);
}

/* DR and TUN, once a second: DR flows the kernel dropped, TUN flows timed
 * out, TUN path MTUs. */
static void flows_tick(struct director *d, uint64_t now)
{
	if (!d->flow_services && !flowpath_count(&d->fp))
		return;
	dr_tick(&d->dr, now);
	flowpath_expire(&d->fp, now);
	if ((d->tun_dests || d->tunbpf) && now >= d->next_mtu) {
		tun_refresh(&d->set);
		if (d->tunbpf)
			tun_kernel_refresh(d);
		d->next_mtu = now + MTU_REFRESH;
	}
}

static void director_work(struct director *d)
{
	bool half = ++d->work_ticks % 5 == 0, second = d->work_ticks % 10 == 0;
	uint64_t now = clock_mono_ns();
	unsigned int i;

	pthread_rwlock_rdlock(&d->set.lock);
	for (i = 0; i < d->set.nsvc; i++)
		service_tick(d, d->set.svc[i], half, second, now);
	for (i = 0; half && i < d->set.ndead; i++)
		dead_tick(d->set.dead[i]);
	pthread_rwlock_unlock(&d->set.lock);
	if (!second)
		return;
	if (ctrack_expire(&d->ct) < 0)
		log_warn("conntrack: looking up expired connections failed");
	flows_tick(d, now);
	if (d->started)
		stats_refresh(&d->set, d->rs.table,
			      d->work_ticks % (10 * STATS_PERIOD_S) == 0);
	apply_reap(&d->apply);
}

static void director_ct_read(struct director *d);
static void fin_read(struct director *d, bool locked);

/* What the kernel schedules follows health, role and configuration; a
 * pass every 100 ms besides (@work) catches what else moved a cycle. */
static void director_ksched(struct director *d, bool work)
{
	int role = ha_role(&d->ha);

	if (!work && !d->ks_dirty && d->ks_gen == d->health.gen &&
	    d->ks_role == role)
		return;
	d->ks_dirty = false;
	d->ks_gen = d->health.gen;
	d->ks_role = role;
	ksched_sync(&d->ks, &d->set, ha_schedules(role));
}

void director_timer(struct director *d, uint64_t ticks)
{
	uint64_t now = clock_mono_ns();
	bool moved;

	/*
	 * Conntrack events are read here, not polled: a busy director would
	 * otherwise be woken for every one of them (three to five a
	 * connection), and each wakeup costs the waking softirq more than
	 * the message (docs/performance.md).  A count is late by a tick.
	 */
	if (d->started) {
		director_ct_read(d);
		fin_read(d, false);
	}

	/* no client holds the main loop: a request has a deadline */
	control_expire(&d->control, now);
	metrics_expire(&d->metrics, now);
	moved = health_poll(&d->health);
	if (d->started)
		director_ksched(d, false);
	if (moved)
		director_publish(d);
	sync_tick(&d->sync, now);
	if (d->started)
		ha_tick(&d->ha, now);
	d->ticks += ticks;
	if (d->ticks >= TICKS_PER_WORK) {
		d->ticks = 0;
		director_work(d);
		if (d->started)
			director_ksched(d, true);
	}
}

/* ---- the main loop's fds ----------------------------------------------------------- */

int director_pollfds(struct director *d, struct pollfd *p, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	/* -1 without a peer: poll() skips it.  The DR log is read on the
	 * tick, as the conntrack events, not polled. */
	p[n++] = (struct pollfd){ .fd = ha_fd(&d->ha), .events = POLLIN };
	d->npoll_control = control_pollfds(&d->control, p + n, max - n);
	n += d->npoll_control;
	d->npoll_metrics = metrics_pollfds(&d->metrics, p + n, max - n);
	n += d->npoll_metrics;
	d->npoll_sync = sync_pollfds(&d->sync, p + n, max - n);
	return n + d->npoll_sync;
}

struct fin_read {
	struct director *d;
	bool locked;		/* the reader holds the svcset lock */
};

/* finlog: a DR flow's FIN or RST went by, or the first packet of a flow
 * the kernel scheduled (ksched.h): it carries its real server's mark. */
static void fin_logged(void *ctx, const void *pkt, uint32_t len,
		       uint32_t mark)
{
	struct fin_read *r = ctx;
	struct director *d = r->d;
	uint64_t now = clock_mono_ns();
	struct service *svc;
	struct dest *dst;
	struct pkt_info pi;

	if (packet_parse(pkt, len, &pi) != PKT_OK)
		return;
	if (pi.l4proto == IPPROTO_TCP && (pi.tcp_flags & (TCP_FIN | TCP_RST))) {
		flowpath_closed(&d->fp, &pi, now);
		return;
	}
	if (!r->locked)
		pthread_rwlock_rdlock(&d->set.lock);
	svc = svcset_lookup(&d->set, 0, pi.family, pi.l4proto, &pi.daddr,
			    pi.dport);
	dst = svcset_by_mark(&d->set, mark);
	if (svc && dst && dst->svc == svc)
		flowpath_learned(&d->fp, svc, dst, &pi, now);
	if (!r->locked)
		pthread_rwlock_unlock(&d->set.lock);
}

/* Everything logged so far (@locked: the caller holds the svcset lock). */
static void fin_read(struct director *d, bool locked)
{
	struct fin_read r = { d, locked };

	pthread_mutex_lock(&d->fin_lock);
	finlog_read(&d->fin, fin_logged, &r);
	pthread_mutex_unlock(&d->fin_lock);
}

/* flowpath: the FINs logged so far, before a SYN on a flow's tuple (a
 * worker, holding the svcset lock). */
static void hook_fin_drain(void *ctx)
{
	fin_read(ctx, true);
}

static void director_ct_read(struct director *d)
{
	uint64_t resyncs = d->ct.stats.resyncs;

	ctrack_read(&d->ct);
	if (d->ct.stats.resyncs != resyncs)
		log_warn("conntrack events were lost (%llu overruns so far): counts rebuilt from a dump",
			 (unsigned long long)d->ct.stats.overruns);
}

void director_events(struct director *d, const struct pollfd *p, int n)
{
	uint64_t now;

	if (n > 0 && p[0].fd >= 0 && p[0].revents)
		ha_input(&d->ha, clock_mono_ns());
	if (n < 1 + d->npoll_control + d->npoll_metrics)
		return;
	now = clock_mono_ns();
	control_handle(&d->control, p + 1, d->npoll_control, now);
	metrics_handle(&d->metrics, p + 1 + d->npoll_control, d->npoll_metrics,
		       now);
	if (n >= 1 + d->npoll_control + d->npoll_metrics + d->npoll_sync)
		sync_handle(&d->sync, p + 1 + d->npoll_control + d->npoll_metrics,
			    d->npoll_sync, now);
}
