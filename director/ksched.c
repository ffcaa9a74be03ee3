// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ksched.h"
#include "log.h"
#include "scheduler.h"

unsigned int ksched_cycle(const struct service *svc, bool dr, uint32_t *marks)
{
	struct dest *d[KSCHED_MAX];
	unsigned int i, n;

	if ((svc->fwd != FWD_NAT && !dr) || svc->fwmark || !svc->port ||
	    svc->persistence || svc->one_packet || !svc->sched->cycle ||
	    (svc->protocol != IPPROTO_TCP && svc->protocol != IPPROTO_UDP))
		return 0;
	/* thresholds change who is available with every count */
	for (i = 0; i < svc->ndests; i++)
		if (svc->dests[i]->u_threshold || svc->dests[i]->l_threshold)
			return 0;
	if (svc->below_quorum && svc->sorry) {
		if (svc->sorry->fwd == FWD_TUN &&
		    !__atomic_load_n(&svc->sorry->tun_kernel, __ATOMIC_ACQUIRE))
			return 0;
		marks[0] = svc->sorry->mark;
		return 1;
	}
	n = svc->sched->cycle(svc, d, KSCHED_MAX);
	for (i = 0; i < n; i++) {
		/* TUN: only where the kernel encapsulates (a DR flow then) */
		if (d[i]->fwd == FWD_TUN &&
		    !__atomic_load_n(&d[i]->tun_kernel, __ATOMIC_ACQUIRE))
			return 0;
		marks[i] = d[i]->mark;
	}
	return n;
}

/* FNV-1a over the marks: what the kernel holds, in a word */
static uint64_t cycle_sig(const uint32_t *marks, unsigned int n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		h ^= marks[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct rs_ksched ks_of(const struct service *svc, const uint32_t *marks,
			      unsigned int n)
{
	return (struct rs_ksched){
		.id = svc->id, .marks = marks, .n = n, .had = svc->ks_n != 0,
		.svc = { .protocol = svc->protocol, .port = svc->port,
			 .fwd = svc->fwd, .vip = svc->vip },
	};
}

/* What the kernel holds is not what we know: its maps are emptied, so
 * that the queue takes every new connection until the next whole ruleset. */
static void broken(struct ksched *k)
{
	struct nft_batch b;
	char err[256];
	int ret;

	k->broken = true;
	k->services = 0;
	if (nft_batch_init(&b) < 0)
		return;
	ret = ruleset_build_ksched_flush(&b, k->rs);
	if (!ret)
		ret = ruleset_commit(&b, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	if (ret)
		log_err("kernel scheduling: emptying its maps: %s", err);
	nft_batch_free(&b);
}

static bool commit(struct ksched *k, struct nft_batch *b)
{
	char err[256];
	int ret = 0;

	if (nft_batch_count(b) > 0)
		ret = ruleset_commit(b, err, sizeof(err));
	nft_batch_free(b);
	if (!ret)
		return true;
	log_warn("kernel scheduling: %s; new connections go through the director from now on",
		 err);
	broken(k);
	return false;
}

/*
 * Each service whose cycle differs from the kernel's: into @b, or with
 * @b NULL only counted (nothing changes).  How many, or -errno.
 */
static int build(struct ksched *k, struct svcset *set, bool active,
		 struct nft_batch *b)
{
	static uint32_t marks[KSCHED_MAX];	/* main thread only */
	struct rs_ksched ks;
	unsigned int i, n, services = 0;
	uint64_t sig;
	int ret = 0, changed = 0;

	pthread_rwlock_rdlock(&set->lock);
	for (i = 0; !ret && i < set->nsvc; i++) {
		struct service *svc = set->svc[i];

		pthread_mutex_lock(&svc->lock);
		n = active ? ksched_cycle(svc, k->rs->fin_log, marks) : 0;
		sig = cycle_sig(marks, n);
		if (n != svc->ks_n || (n && sig != svc->ks_sig)) {
			changed++;
			if (b) {
				ks = ks_of(svc, marks, n);
				ret = ruleset_build_ksched(b, k->rs, &ks);
				svc->ks_n = n;
				svc->ks_sig = sig;
				k->changes++;
			}
		}
		services += n != 0;
		pthread_mutex_unlock(&svc->lock);
	}
	pthread_rwlock_unlock(&set->lock);
	if (b)
		k->services = services;
	return ret ? ret : changed;
}

int ksched_build(struct ksched *k, struct svcset *set, bool active,
		 struct nft_batch *b)
{
	int ret;

	if (!k->enabled || k->broken)
		return 0;
	ret = build(k, set, active, b);
	return ret < 0 ? ret : 0;
}

void ksched_sync(struct ksched *k, struct svcset *set, bool active)
{
	struct nft_batch b;
	int ret;

	/* most passes change nothing: no batch is made for them */
	if (!k->enabled || k->broken || build(k, set, active, NULL) <= 0 ||
	    nft_batch_init(&b) < 0)
		return;
	ret = ksched_build(k, set, active, &b);
	if (ret) {
		nft_batch_free(&b);
		log_warn("kernel scheduling: building the batch: %s", strerror(-ret));
		broken(k);
		return;
	}
	commit(k, &b);
}

void ksched_suspend(struct ksched *k, struct svcset *set)
{
	struct nft_batch b;
	struct rs_ksched ks;
	unsigned int i;
	int ret = 0;

	if (!k->enabled || k->broken || !k->services ||
	    nft_batch_init(&b) < 0)
		return;
	pthread_rwlock_rdlock(&set->lock);
	for (i = 0; !ret && i < set->nsvc; i++) {
		struct service *svc = set->svc[i];

		pthread_mutex_lock(&svc->lock);
		if (svc->ks_n) {
			ks = ks_of(svc, NULL, 0);
			ret = ruleset_build_ksched(&b, k->rs, &ks);
			svc->ks_n = 0;
		}
		pthread_mutex_unlock(&svc->lock);
	}
	pthread_rwlock_unlock(&set->lock);
	k->services = 0;
	if (ret) {
		nft_batch_free(&b);
		broken(k);
		return;
	}
	commit(k, &b);
}
