// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The director: services built from the config, the decision made for
 * each new connection, the ruleset that carries it out, and the shared
 * memory that shows it.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <linux/netfilter.h>

#include "director.h"
#include "health.h"
#include "log.h"
#include "lvs.h"
#include "packet.h"
#include "persist.h"
#include "ruleset.h"
#include "scheduler.h"
#include "stats.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void stat_inc(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* ---- configuration this build can run -------------------------------- */

static void cfg_err(struct cfg_errors *e, const char *file, int line,
		    const char *fmt, ...)
{
	char msg[512], **n;
	va_list ap;
	int len;

	len = snprintf(msg, sizeof(msg), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
	va_end(ap);
	n = realloc(e->msg, (e->n + 1) * sizeof(*n));
	if (!n)
		return;
	e->msg = n;
	e->msg[e->n] = strdup(msg);
	if (e->msg[e->n])
		e->n++;
}

/*
 * One-packet services are rewritten statelessly: a reply is mapped back to
 * its service by the real server's address and port alone, so those must
 * not serve another one-packet service.
 */
static void check_onepacket_rs(const struct nflvs_config *cfg, size_t si,
			       struct cfg_errors *errs)
{
	const struct cfg_service *s = &cfg->svc[si];
	char a[ADDR_STRLEN];
	size_t i, j, k;

	for (i = 0; i < si; i++) {
		if (!cfg->svc[i].one_packet)
			continue;
		for (j = 0; j < s->nrs; j++)
			for (k = 0; k < cfg->svc[i].nrs; k++)
				if (addr_eq(&s->rs[j].addr, &cfg->svc[i].rs[k].addr) &&
				    s->rs[j].port == cfg->svc[i].rs[k].port)
					cfg_err(errs, cfg->path, s->rs[j].line,
						"address: %s also serves the one-packet service at line %d; its replies could not be told apart",
						addr_port_str(&s->rs[j].addr, s->rs[j].port, a, sizeof(a)),
						cfg->svc[i].line);
	}
}

/*
 * A service forwards with NAT (conntrack) or with DR and TUN (untracked,
 * the director's own flows), not both; DR and TUN need a vip and a port.
 */
static void check_lvs(const struct nflvs_config *cfg,
		      const struct cfg_service *s, struct cfg_errors *errs)
{
	bool nat = s->fwd == FWD_NAT;
	size_t j;

	/* a dr service may have tun real servers (their packets miss the
	 * flow maps and reach the director), not the other way round: a tun
	 * service's packets all go to the director, and a DR flow would
	 * never get its element */
	for (j = 0; j < s->nrs; j++)
		if ((s->rs[j].fwd == FWD_NAT) != nat ||
		    (s->fwd == FWD_TUN && s->rs[j].fwd == FWD_DR))
			cfg_err(errs, cfg->path, s->rs[j].line,
				"forward: \"%s\" real server in a \"%s\" service (a service forwards with nat, with dr (and tun), or with tun only: set the service's forward)",
				fwd_name(s->rs[j].fwd), fwd_name(s->fwd));
	if (nat)
		return;
	if (s->fwmark)
		cfg_err(errs, cfg->path, s->line,
			"forward: \"%s\" is for vip services; firewall-mark services forward with nat",
			fwd_name(s->fwd));
	else if (!s->port)
		cfg_err(errs, cfg->path, s->line,
			"forward: \"%s\" needs a service port (port 0, any port, forwards with nat)",
			fwd_name(s->fwd));
	if (s->protocol == IPPROTO_SCTP)
		cfg_err(errs, cfg->path, s->line,
			"forward: \"%s\" supports tcp and udp services, not sctp",
			fwd_name(s->fwd));
}

int director_check_config(const struct nflvs_config *cfg,
			  struct cfg_errors *errs)
{
	size_t before = errs->n, i;

	for (i = 0; i < cfg->nsvc; i++) {
		const struct cfg_service *s = &cfg->svc[i];

		if (!sched_find(s->scheduler))
			cfg_err(errs, cfg->path, s->line,
				"scheduler: \"%s\" is not available in this build",
				s->scheduler);
		if (s->fwmark & cfg->director.mark_mask)
			cfg_err(errs, cfg->path, s->line,
				"fwmark: 0x%x uses bits of director.mark_mask 0x%08x, which are the director's",
				s->fwmark, cfg->director.mark_mask);
		if (s->one_packet && s->fwmark)
			cfg_err(errs, cfg->path, s->line,
				"one_packet: only for UDP services with a vip, not firewall-mark services");
		if (s->one_packet)
			check_onepacket_rs(cfg, i, errs);
		check_lvs(cfg, s, errs);
	}
	return errs->n - before;
}

/* ---- shared memory ----------------------------------------------------- */

void director_shm_service(struct director *d, const struct service *svc)
{
	struct nflvs_shm_service *r = &d->shm.svc[svc->shm_slot];
	__typeof__(r->dir) dir;

	memset(&dir, 0, sizeof(dir));
	dir.family = svc->family;
	dir.protocol = svc->protocol;
	dir.port = svc->port;
	dir.fwmark = svc->fwmark;
	memcpy(dir.addr, svc->vip.b, sizeof(dir.addr));
	snprintf(dir.name, sizeof(dir.name), "%s", svc->name);
	snprintf(dir.scheduler, sizeof(dir.scheduler), "%s", sched_ops_name(svc->sched));
	dir.sched_flags = svc->sched_flags;
	dir.persistence = svc->persistence;
	dir.netmask = svc->netmask;
	dir.quorum = svc->quorum;
	dir.flags = (svc->persistence ? NFLVS_SVC_F_PERSISTENT : 0) |
		    (svc->one_packet ? NFLVS_SVC_F_ONEPACKET : 0) |
		    (svc->fwmark ? NFLVS_SVC_F_FWMARK : 0) |
		    (svc->below_quorum ? NFLVS_SVC_F_DOWN : 0) |
		    (svc->below_quorum && svc->sorry ? NFLVS_SVC_F_SORRY : 0);
	dir.config_index = svc->cfg_index;
	dir.conns = svc->conns;
	nflvs_seq_write(&r->seq, &r->dir, &dir, sizeof(dir));
}

void director_shm_dest(struct director *d, const struct dest *dst)
{
	struct nflvs_shm_rs *r = &d->shm.rs[dst->shm_slot];
	__typeof__(r->dir) dir;

	memset(&dir, 0, sizeof(dir));
	dir.service_id = dst->svc->id;
	dir.family = dst->addr.family;
	dir.fwd = dst->fwd;
	dir.port = dst->port;
	memcpy(dir.addr, dst->addr.b, sizeof(dir.addr));
	dir.weight = dst->conf_weight;
	dir.mark = dst->mark;
	dir.flags = (dst->flags & DEST_F_OVERLOAD ? NFLVS_RS_F_OVERLOAD : 0) |
		    (dst->flags & DEST_F_DOWN ? NFLVS_RS_F_DOWN : 0);
	dir.eff_weight = dest_weight(dst);
	dir.u_threshold = dst->u_threshold;
	dir.l_threshold = dst->l_threshold;
	dir.config_index = dst->cfg_index;
	dir.activeconns = dst->activeconns;
	dir.inactconns = dst->inactconns;
	dir.persistconns = dst->persistconns;
	dir.conns = dst->conns;
	nflvs_seq_write(&r->seq, &r->dir, &dir, sizeof(dir));
}

/* ---- connection accounting --------------------------------------------- */

static void count_class(struct dest *dst, enum ct_class cls, int delta)
{
	uint32_t *c = cls == CT_ACTIVE ? &dst->activeconns : &dst->inactconns;

	if (cls == CT_NONE)
		return;
	if (delta > 0)
		(*c)++;
	else if (*c)
		(*c)--;
}

/*
 * IPVS counts a connection as inactive the moment it is scheduled.  So do
 * we, and the conntrack NEW event that follows takes that count over; a
 * scheduled connection conntrack never confirms (the packet was dropped
 * further on) is uncounted after half a second to a second.
 */
static void pending_add(struct dest *dst)
{
	dst->pending[0]++;
	dst->inactconns++;
}

static bool pending_take(struct dest *dst)
{
	if (dst->pending[1]) {
		dst->pending[1]--;
		return true;
	}
	if (dst->pending[0]) {
		dst->pending[0]--;
		return true;
	}
	return false;
}

/* Every half second; under the service lock. */
static void pending_expire(struct service *svc, struct dest *dst)
{
	uint32_t gone = dst->pending[1];

	dst->pending[1] = dst->pending[0];
	dst->pending[0] = 0;
	if (!gone)
		return;
	dst->inactconns = dst->inactconns > gone ? dst->inactconns - gone : 0;
	service_conns_changed(svc, dst);
}

void director_count(struct service *svc, struct dest *dst, enum ct_class old,
		    enum ct_class cls, const struct nflvs_addr *client)
{
	if (svc->persist && (old == CT_NONE) != (cls == CT_NONE)) {
		struct nflvs_addr c = *client;

		addr_mask(&c, svc->netmask);
		persist_conn(svc->persist, &c, cls == CT_NONE ? -1 : 1);
	}
	count_class(dst, old, -1);
	count_class(dst, cls, +1);
	service_conns_changed(svc, dst);
}

/* ctrack: the connection of @ev moved from class @old to @cls. */
static void director_account(void *ctx, uint32_t mark, enum ct_class old,
			     enum ct_class cls, const struct ct_event *ev)
{
	struct director *d = ctx;
	uint32_t idx = mark >> d->marks.shift;
	struct service *svc;
	struct dest *dst;

	if (idx > mark_capacity(&d->marks) || !(dst = d->bymark[idx]))
		return;
	svc = dst->svc;
	pthread_mutex_lock(&svc->lock);
	if (old == CT_NONE && cls != CT_NONE && pending_take(dst)) {
		/* counted when scheduled: only persistence learns of it now */
		director_count(svc, dst, CT_INACTIVE, cls, &ev->src);
		if (svc->persist) {
			struct nflvs_addr c = ev->src;

			addr_mask(&c, svc->netmask);
			persist_conn(svc->persist, &c, 1);
		}
	} else {
		director_count(svc, dst, old, cls, &ev->src);
	}
	pthread_mutex_unlock(&svc->lock);
}

int director_ct_fd(const struct director *d)
{
	return ctrack_fd(&d->ct);
}

void director_ct_read(struct director *d)
{
	uint64_t resyncs = d->ct.stats.resyncs;

	ctrack_read(&d->ct);
	if (d->ct.stats.resyncs != resyncs)
		log_warn("conntrack events were lost (%llu overruns so far): counts rebuilt from a dump",
			 (unsigned long long)d->ct.stats.overruns);
}

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

int director_init(struct director *d, struct nflvs_config *cfg)
{
	const struct cfg_director *c = &cfg->director;
	char err[256];
	int ret;

	memset(d, 0, sizeof(*d));
	d->control.lfd = -1;
	d->metrics.lfd = -1;
	pthread_rwlock_init(&d->lock, NULL);
	d->cfg.director = *c;
	/* IPVS's defaults: ESTABLISHED 900 s, FIN_WAIT 120 s, UDP 300 s */
	d->timeouts = (struct rs_timeouts){ 900, 120, 300, { 0 } };
	conntrack_tcp_timeouts(d->timeouts.tcp_base);
	ret = mark_init(&d->marks, c->mark_mask);
	if (ret)
		return ret;
	d->bymark = calloc(mark_capacity(&d->marks) + 1, sizeof(*d->bymark));
	ret = ctrack_init(&d->ct, c->mark_mask, director_account, d);
	if (!d->bymark || ret)
		return -ENOMEM;
	ret = lvs_init(d);
	if (ret)
		return ret;
	ret = shm_create(&d->shm, c->shm, DIRECTOR_MAX_SERVICES, DIRECTOR_MAX_RS);
	if (ret) {
		log_err("shared memory %s: %s", c->shm, strerror(-ret));
		return ret;
	}
	snprintf(d->shm.hdr->config_path, sizeof(d->shm.hdr->config_path),
		 "%s", cfg->path);
	if (c->user[0]) {
		/* the checker runs as this user: let its group write health */
		struct passwd *pw = getpwnam(c->user);

		if (!pw || shm_set_group(&d->shm, pw->pw_gid) < 0)
			log_warn("shared memory %s: cannot give it to user %s's group",
				 c->shm, c->user);
	}
	ret = director_apply(d, cfg, err, sizeof(err));
	if (ret)
		log_err("%s", err);
	return ret;
}

/* ---- the ruleset ------------------------------------------------------- */

void director_ruleset_base(const struct director *d, struct ruleset *rs)
{
	const struct cfg_director *c = &d->cfg.director;

	*rs = (struct ruleset){
		.table = c->table, .mark_mask = c->mark_mask,
		.queue = c->queue, .queues = c->queues,
		.native_queue = d->native_queue, .timeouts = d->timeouts,
	};
}

void director_rs_nat(const struct service *svc, const struct dest *dst,
		     bool op, struct rs_nat *n)
{
	char a[ADDR_STRLEN], s[SERVICE_STRLEN];

	*n = (struct rs_nat){ .mark = dst->mark, .port = dst->port,
		.addr = dst->addr, .one_packet = op,
		.vport = svc->port, .vip = svc->vip };
	snprintf(n->comment, sizeof(n->comment), "%s%s of %s",
		 addr_port_str(&dst->addr, dst->port, a, sizeof(a)),
		 dst == svc->sorry ? " (sorry server)" : "",
		 service_str(svc, s, sizeof(s)));
}

static int director_apply_ruleset(struct director *d)
{
	const struct cfg_director *c = &d->cfg.director;
	struct rs_service *sv = calloc(d->nsvc + 1, sizeof(*sv));
	struct rs_nat *nat;
	struct ruleset rs;
	unsigned int i, j, nrs = 0;
	struct nft_batch b;
	char err[256];
	int ret;

	for (i = 0; i < d->nsvc; i++)
		nrs += d->svc[i]->ndests + 1;
	nat = calloc(nrs + 1, sizeof(*nat));
	if (!sv || !nat || nft_batch_init(&b) < 0) {
		free(sv);
		free(nat);
		return -ENOMEM;
	}
	director_ruleset_base(d, &rs);
	rs.svc = sv;
	rs.nat = nat;
	for (i = 0; i < d->nsvc; i++) {
		const struct service *s = d->svc[i];

		sv[rs.nsvc++] = (struct rs_service){ .protocol = s->protocol,
			.port = s->port, .fwmark = s->fwmark,
			.one_packet = s->one_packet, .fwd = s->fwd,
			.vip = s->vip };
		for (j = 0; j <= s->ndests; j++) {
			const struct dest *t = j < s->ndests ? s->dests[j] : s->sorry;

			if (t)
				director_rs_nat(s, t, s->one_packet,
						&nat[rs.nnat++]);
		}
	}
	rs.flows = lvs_restored(d, &rs.nflows);
	ret = ruleset_build(&b, &rs);
	if (!ret)
		ret = ruleset_commit(&b, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "building the batch: %s",
			 strerror(-ret));
	if (ret)
		log_err("ruleset: %s", err);
	else
		log_info("ruleset applied: table %s (inet%s), %u services, %u real servers",
			 c->table, d->native_queue ? "" : ", ip, ip6",
			 rs.nsvc, rs.nnat);
	nft_batch_free(&b);
	free(sv);
	free(nat);
	return ret;
}

static int director_remove_ruleset(struct director *d)
{
	struct nft_batch b;
	char err[256];
	int ret;

	if (nft_batch_init(&b) < 0)
		return -ENOMEM;
	ret = ruleset_build_delete(&b, d->cfg.director.table);
	if (!ret)
		ret = ruleset_commit(&b, err, sizeof(err));
	if (ret)
		log_err("ruleset: removing table %s: %s",
			d->cfg.director.table, strerror(-ret));
	else
		log_info("ruleset removed: table %s", d->cfg.director.table);
	nft_batch_free(&b);
	return ret;
}

int director_start(struct director *d)
{
	const struct cfg_director *c = &d->cfg.director;
	unsigned int i;
	int ret;

	ret = ruleset_probe_native_queue(c->table);
	if (ret < 0) {
		log_err("nftables: probing the kernel failed: %s",
			strerror(-ret));
		return ret;
	}
	d->native_queue = ret;
	log_info("kernel: %s", d->native_queue ?
		 "nft queue expression available, using it" :
		 "no nft queue expression (nft_queue), using the xtables NFQUEUE target through nft compat");

	d->queues = calloc(c->queues, sizeof(*d->queues));
	if (!d->queues)
		return -ENOMEM;
	for (i = 0; i < (unsigned int)c->queues; i++) {
		ret = queue_open(&d->queues[i], c->queue + i,
				 DIRECTOR_COPY_RANGE, director_decide, d);
		if (ret) {
			log_err("NFQUEUE %d: %s%s", c->queue + i, strerror(-ret),
				ret == -EBUSY ? " (bound by another program)" : "");
			return ret;
		}
		d->nqueues++;
		ret = queue_start(&d->queues[i]);
		if (ret)
			return ret;
	}
	log_info("listening on NFQUEUE %d-%d", c->queue, c->queue + c->queues - 1);
	/* DR flows of a director before us, read before its table goes */
	ret = lvs_start(d);
	if (ret)
		return ret;
	lvs_applied(d);
	ret = director_apply_ruleset(d);
	lvs_restored_done(d);
	if (ret)
		return ret;
	d->ruleset_applied = true;
	/* events first, then a dump: nothing falls between the two */
	ret = ctrack_open(&d->ct);
	if (!ret)
		ret = ctrack_resync(&d->ct);
	if (ret)
		log_err("conntrack: %s", strerror(-ret));
	else
		log_info("conntrack: accounting %llu existing connections",
			 (unsigned long long)d->ct.stats.tracked);
	return ret;
}

void director_stop(struct director *d)
{
	unsigned int i;

	if (d->keep) {
		/* as a crash leaves them, for the next start to take over
		 * (keepalived --dont-release-ipvs): the ruleset with its flow
		 * maps, the DR rules and routes, the shared memory */
		log_info("keeping the ruleset, routes and shared memory for the next start (-k)");
		d->shm.owner = false;
	} else {
		if (d->ruleset_applied)
			director_remove_ruleset(d);
		lvs_stop(d);
	}
	d->ruleset_applied = false;
	for (i = 0; i < d->nqueues; i++)
		queue_close(&d->queues[i]);
	d->nqueues = 0;
}

void director_free(struct director *d)
{
	director_free_services(d);
	free(d->queues);
	svctab_free(&d->tab);
	free(d->bymark);
	ctrack_fini(&d->ct);
	lvs_fini(d);
	shm_close(&d->shm);
	mark_fini(&d->marks);
	config_free(&d->cfg);
	pthread_rwlock_destroy(&d->lock);
}

/* Once a second: expire persistence templates, scheduler housekeeping. */
static void service_gc(struct service *s, uint64_t now)
{
	if (s->persist)
		persist_gc(s->persist, s->persistence, now);
	if (s->sched->gc)
		s->sched->gc(s, now);
}

void director_tick(struct director *d)
{
	bool half = ++d->ticks % 5 == 0, second = d->ticks % 10 == 0;
	uint64_t now = mono_ns();
	unsigned int i, j;

	pthread_rwlock_rdlock(&d->lock);
	for (i = 0; i < d->nsvc; i++) {
		struct service *s = d->svc[i];

		pthread_mutex_lock(&s->lock);
		if (second)
			service_gc(s, now);
		for (j = 0; half && j < s->ndests; j++)
			pending_expire(s, s->dests[j]);
		for (j = 0; half && j < s->ndraining; j++)
			pending_expire(s, s->draining[j]);
		for (j = 0; j < s->ndests; j++)
			director_shm_dest(d, s->dests[j]);
		director_shm_service(d, s);
		pthread_mutex_unlock(&s->lock);
	}
	for (i = 0; half && i < d->ndead; i++) {
		struct service *s = d->dead[i];

		pthread_mutex_lock(&s->lock);
		for (j = 0; j < s->ndraining; j++)
			pending_expire(s, s->draining[j]);
		pthread_mutex_unlock(&s->lock);
	}
	pthread_rwlock_unlock(&d->lock);
	if (second && ctrack_expire(&d->ct) < 0)
		log_warn("conntrack: looking up expired connections failed");
	if (second)
		lvs_tick(d, now);
	if (second) {
		stats_refresh(d, d->ticks % (10 * STATS_PERIOD_S) == 0);
		director_reap(d);
	}
}

/* ---- per packet --------------------------------------------------------- */

static void decide_log(const struct pkt_info *pi, const struct dest *dst)
{
	char src[ADDR_STRLEN], dstr[ADDR_STRLEN], rs[ADDR_STRLEN];

	log_debug("%s %s -> %s: %s", proto_name(pi->l4proto),
		  addr_port_str(&pi->saddr, pi->sport, src, sizeof(src)),
		  addr_port_str(&pi->daddr, pi->dport, dstr, sizeof(dstr)),
		  dst ? addr_port_str(&dst->addr, dst->port, rs, sizeof(rs))
		      : "no destination available");
}

/* The scheduler, behind the client's persistence template if any. */
static struct dest *director_schedule(struct service *svc,
				      const struct pkt_info *pi, uint64_t now)
{
	struct nflvs_addr client;
	struct dest *dst;

	if (!svc->persist)
		return svc->sched->schedule(svc, pi, now);
	client = pi->saddr;
	addr_mask(&client, svc->netmask);
	dst = persist_lookup(svc->persist, &client, svc->persistence, now);
	if (dst)
		return dst;
	dst = svc->sched->schedule(svc, pi, now);
	if (dst)
		persist_bind(svc->persist, &client, dst, svc->persistence, now);
	return dst;
}

struct dest *director_pick(struct service *svc, const struct pkt_info *pi)
{
	struct dest *dst;

	if (svc->below_quorum && svc->sorry)
		dst = svc->sorry;
	else
		dst = director_schedule(svc, pi, mono_ns());
	if (dst) {
		dst->conns++;
		svc->conns++;
	} else {
		svc->noavail++;
	}
	return dst;
}

void director_decide(void *ctx, const void *pkt, uint32_t len, uint32_t mark,
		     struct verdict *v)
{
	struct director *d = ctx;
	struct service *svc;
	struct dest *dst = NULL;
	struct pkt_info pi;
	uint32_t m = 0;

	if (packet_parse(pkt, len, &pi) != PKT_OK) {
		stat_inc(&d->stats.malformed);
		v->verdict = NF_DROP;
		return;
	}
	pthread_rwlock_rdlock(&d->lock);
	svc = svctab_lookup(&d->tab, mark & ~d->cfg.director.mark_mask,
			    pi.family, pi.l4proto, &pi.daddr, pi.dport);
	if (svc && svc->fwd != FWD_NAT) {
		lvs_decide(d, svc, &pi, pkt, len, mark, v);
		pthread_rwlock_unlock(&d->lock);
		return;
	}
	if (svc) {
		pthread_mutex_lock(&svc->lock);
		dst = director_pick(svc, &pi);
		if (dst) {
			/* a one-packet "connection" ends with its datagram */
			if (!svc->one_packet) {
				pending_add(dst);
				service_conns_changed(svc, dst);
			}
			m = dst->mark;
		}
		if (log_level() >= LOG_DEBUG)
			decide_log(&pi, dst);
		pthread_mutex_unlock(&svc->lock);
	}
	pthread_rwlock_unlock(&d->lock);

	if (!svc) {
		/* a service that just went away: leave the packet alone */
		stat_inc(&d->stats.noservice);
		v->verdict = NF_ACCEPT;
		return;
	}
	if (!dst) {
		stat_inc(&d->stats.noavail);
		v->verdict = NF_DROP;
		return;
	}
	stat_inc(&d->stats.scheduled);
	v->verdict = NF_ACCEPT;
	v->set_mark = 1;
	v->mark = (mark & ~d->cfg.director.mark_mask) | m;
}
