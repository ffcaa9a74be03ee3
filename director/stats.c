// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "log.h"
#include "ruleset.h"
#include "stats.h"

static void stats_raw(const struct dest *dst, struct stats *s)
{
	*s = dst->kstats;
	s->conns = dst->conns;
	/* TUN: sent from userspace, counted there (the originals are dropped) */
	s->inpkts += __atomic_load_n(&dst->tun_pkts, __ATOMIC_RELAXED);
	s->inbytes += __atomic_load_n(&dst->tun_bytes, __ATOMIC_RELAXED);
}

static void stats_add(struct stats *a, const struct stats *b)
{
	a->conns += b->conns;
	a->inpkts += b->inpkts;
	a->outpkts += b->outpkts;
	a->inbytes += b->inbytes;
	a->outbytes += b->outbytes;
}

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static void stats_sub(struct stats *a, const struct stats *b)
{
	a->conns = since(a->conns, b->conns);
	a->inpkts = since(a->inpkts, b->inpkts);
	a->outpkts = since(a->outpkts, b->outpkts);
	a->inbytes = since(a->inbytes, b->inbytes);
	a->outbytes = since(a->outbytes, b->outbytes);
}

/* IPVS: rate += (sample - rate) / 4, every 2 s, in units of 1/1024. */
static void ewma(uint64_t *rate, uint64_t delta, unsigned int secs)
{
	int64_t sample = (int64_t)((delta << 10) / secs);

	*rate += (sample - (int64_t)*rate) / 4;
}

void rates_update(struct rates *r, const struct stats *now, unsigned int secs)
{
	if (!secs)
		return;
	ewma(&r->cps, since(now->conns, r->last.conns), secs);
	ewma(&r->inpps, since(now->inpkts, r->last.inpkts), secs);
	ewma(&r->outpps, since(now->outpkts, r->last.outpkts), secs);
	ewma(&r->inbps, since(now->inbytes, r->last.inbytes), secs);
	ewma(&r->outbps, since(now->outbytes, r->last.outbytes), secs);
	r->last = *now;
}

static void rates_out(const struct rates *r, struct nflvs_ctl_stats *out)
{
	/* rounded, as ipvsadm prints what the kernel rounds */
	out->cps = (r->cps + 512) >> 10;
	out->inpps = (r->inpps + 512) >> 10;
	out->outpps = (r->outpps + 512) >> 10;
	out->inbps = (r->inbps + 512) >> 10;
	out->outbps = (r->outbps + 512) >> 10;
}

static void stats_out(const struct stats *s, struct nflvs_ctl_stats *out)
{
	out->conns = s->conns;
	out->inpkts = s->inpkts;
	out->outpkts = s->outpkts;
	out->inbytes = s->inbytes;
	out->outbytes = s->outbytes;
}

void stats_dest(const struct dest *dst, struct nflvs_ctl_stats *out)
{
	struct stats s;

	memset(out, 0, sizeof(*out));
	stats_raw(dst, &s);
	stats_sub(&s, &dst->zero);
	stats_out(&s, out);
	rates_out(&dst->rates, out);
}

/* Everything the service ever counted, before any -Z. */
static void service_raw(const struct service *svc, struct stats *s)
{
	struct stats d;
	unsigned int i;

	*s = svc->gone;
	for (i = 0; i < svc->ndests; i++) {
		stats_raw(svc->dests[i], &d);
		stats_add(s, &d);
	}
	for (i = 0; i < svc->ndraining; i++) {
		stats_raw(svc->draining[i], &d);
		stats_add(s, &d);
	}
	if (svc->sorry) {
		stats_raw(svc->sorry, &d);
		stats_add(s, &d);
	}
}

void stats_service(const struct service *svc, struct nflvs_ctl_stats *out)
{
	struct stats s;

	memset(out, 0, sizeof(*out));
	service_raw(svc, &s);
	stats_sub(&s, &svc->zero);
	stats_out(&s, out);
	rates_out(&svc->rates, out);
}

void stats_zero_service(struct service *svc)
{
	unsigned int i;

	service_raw(svc, &svc->zero);
	for (i = 0; i < svc->ndests; i++)
		stats_raw(svc->dests[i], &svc->dests[i]->zero);
}

void stats_dest_gone(struct service *svc, const struct dest *dst)
{
	struct stats s;

	stats_raw(dst, &s);
	stats_add(&svc->gone, &s);
}

static void counter_cb(void *ctx, uint32_t index, bool in, uint64_t packets,
		       uint64_t bytes)
{
	struct dest *dst = svcset_by_index(ctx, index);

	if (!dst)
		return;
	if (in) {
		dst->kstats.inpkts = packets;
		dst->kstats.inbytes = bytes;
	} else {
		dst->kstats.outpkts = packets;
		dst->kstats.outbytes = bytes;
	}
}

static void sample_service(struct service *svc)
{
	struct stats s;
	unsigned int i;

	for (i = 0; i < svc->ndests; i++) {
		stats_raw(svc->dests[i], &s);
		rates_update(&svc->dests[i]->rates, &s, STATS_PERIOD_S);
	}
	service_raw(svc, &s);
	rates_update(&svc->rates, &s, STATS_PERIOD_S);
}

void stats_refresh(struct svcset *set, const char *table, bool sample)
{
	unsigned int i;

	pthread_rwlock_rdlock(&set->lock);
	if (ruleset_read_counters(table, counter_cb, set) < 0)
		log_debug("reading the real servers' counters failed");
	for (i = 0; sample && i < set->nsvc; i++) {
		pthread_mutex_lock(&set->svc[i]->lock);
		sample_service(set->svc[i]);
		pthread_mutex_unlock(&set->svc[i]->lock);
	}
	pthread_rwlock_unlock(&set->lock);
}
