// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cost of one scheduling decision, for every scheduler in sched_all and
 * for 10, 100 and 1,000 real servers, next to the kernel's O(n) wlc loop.
 *
 *   build/tests/sched-bench [-n DECISIONS] [-r ROUNDS] [-c CPU|-1]
 *                           [-s SCHEDULER] [-v]
 *
 * A figure is the mean wall time (CLOCK_MONOTONIC) of a decision together
 * with the connection accounting it causes, since that is where the
 * ordered schedulers pay for their structures: the picked server gets a
 * new connection (inactconns++), a random live connection ends, and
 * another becomes established (inactconns--, activeconns++), each change
 * followed by service_conns_changed() as the director does.  The live
 * connections are a fixed pool of 16 per server, so counts stay bounded.
 * Each figure is the best of ROUNDS (5) means over DECISIONS (10^6)
 * decisions each, after a warm-up: other work on the machine only ever
 * adds time, so the best round is the one closest to the code's own cost
 * (the spread shows in the per-round means with -v).
 *
 * Servers, added one at a time:
 *   realistic  weights uniform in 1..100, 5% weight 0, 5% overloaded
 *              (upper threshold 1, held by a connection that never ends)
 *   skewed     one server weight 1,000, the rest weight 1
 *   degraded   as realistic, but 99% of the servers down
 * The first table is realistic at 10, 100 and 1,000 servers, the second
 * the other two at 1,000: the cases where a scan's length is not the
 * number of servers over the number picked per pass.
 *
 * Packets: random client address in 10/8 and random source port, so that
 * hashing schedulers spread.  The process pins itself to one CPU (default
 * the last one; -c -1 leaves it free), which steadies the figures on a
 * shared machine.  Figures, never a verdict.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "scheduler.h"

#define CONNS_PER_SERVER	16
#define WARMUP_DIV		10
#define MAX_ROUNDS		15

enum mix { MIX_REALISTIC, MIX_SKEWED, MIX_DEGRADED };

static bool verbose;

struct conn {
	struct dest *d;
	bool active;
};

struct bench {
	struct service svc;
	struct dest *dests;
	struct conn *pool;
	unsigned int npool;
	uint64_t rng;
};

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((rnd(s) >> 32) * n) >> 32);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* The kernel's wlc loop (ip_vs_wlc.c), the baseline the heap replaces. */
static struct dest *naive_wlc_schedule(struct service *svc,
				       const struct pkt_info *pi, uint64_t now)
{
	struct dest *least = NULL, *d;
	uint64_t loh = 0, doh;
	unsigned int i;

	(void)pi;
	(void)now;
	for (i = 0; i < svc->ndests; i++) {
		d = svc->dests[i];
		if (!dest_available(d))
			continue;
		doh = dest_overhead(d);
		if (!least || loh * d->weight > doh * least->weight) {
			least = d;
			loh = doh;
		}
	}
	return least;
}

static const struct sched_ops naive_wlc = {
	.schedule = naive_wlc_schedule,
};

static const char *bench_name(const struct sched_ops *ops)
{
	return ops == &naive_wlc ? "wlc-naive" : sched_ops_name(ops);
}

static void dest_setup(struct bench *b, struct dest *d, unsigned int i,
		       enum mix mix)
{
	uint32_t r = rnd_below(&b->rng, 100);

	d->addr.family = AF_INET;
	d->addr.v4.s_addr = htonl(0x0a010000 + i);
	d->port = 8080;
	d->id = i;
	if (mix == MIX_SKEWED) {
		d->weight = d->conf_weight = i ? 1 : 1000;
		return;
	}
	d->weight = d->conf_weight = 1 + rnd_below(&b->rng, 100);
	if (r < 5) {
		d->weight = 0;
	} else if (r < 10) {
		d->u_threshold = 1;
		d->inactconns = 1;
		d->flags = DEST_F_OVERLOAD;
	}
	if (mix == MIX_DEGRADED && rnd_below(&b->rng, 100))
		d->flags |= DEST_F_DOWN;
}

static int bench_setup(struct bench *b, const struct sched_ops *ops,
		       unsigned int n, enum mix mix, uint64_t seed)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->rng = seed;
	b->dests = calloc(n, sizeof(*b->dests));
	b->npool = n * CONNS_PER_SERVER;
	b->pool = calloc(b->npool, sizeof(*b->pool));
	if (!b->dests || !b->pool)
		return -ENOMEM;
	/* naive_wlc is not in sched_all: start from rr, then swap it in */
	if (service_init(&b->svc, ops == &naive_wlc ? "rr" : sched_ops_name(ops)))
		return -EINVAL;
	if (ops == &naive_wlc) {
		b->svc.sched->done_service(&b->svc);
		b->svc.sched = ops;
	}
	b->svc.family = AF_INET;
	b->svc.protocol = IPPROTO_TCP;
	b->svc.port = 80;
	b->svc.rand = seed;
	for (i = 0; i < n; i++) {
		dest_setup(b, &b->dests[i], i, mix);
		if (service_add_dest(&b->svc, &b->dests[i]))
			return -ENOMEM;
	}
	return 0;
}

static void bench_free(struct bench *b)
{
	service_destroy(&b->svc);
	free(b->dests);
	free(b->pool);
}

static void conn_end(struct service *svc, struct conn *c)
{
	if (!c->d)
		return;
	if (c->active)
		c->d->activeconns--;
	else
		c->d->inactconns--;
	service_conns_changed(svc, c->d);
	c->d = NULL;
}

static void conn_establish(struct service *svc, struct conn *c)
{
	if (!c->d || c->active)
		return;
	c->d->inactconns--;
	c->d->activeconns++;
	c->active = true;
	service_conns_changed(svc, c->d);
}

/* @count decisions with their accounting; returns how many found none. */
static uint64_t bench_run(struct bench *b, uint64_t count)
{
	struct service *svc = &b->svc;
	struct pkt_info pi = {
		.family = AF_INET, .l4proto = IPPROTO_TCP, .dport = 80,
		.saddr.family = AF_INET, .daddr.family = AF_INET,
	};
	uint64_t i, none = 0;

	pi.daddr.v4.s_addr = htonl(0x0a000164);
	for (i = 0; i < count; i++) {
		uint64_t r = rnd(&b->rng);
		struct conn *c = &b->pool[(uint32_t)r % b->npool];
		struct dest *d;

		pi.saddr.v4.s_addr = htonl(0x0a000000 | (uint32_t)(r >> 40));
		pi.sport = 1024 + (uint16_t)(r >> 24) % 64000;
		d = svc->sched->schedule(svc, &pi, i);
		if (!d) {
			none++;
			continue;
		}
		d->inactconns++;
		service_conns_changed(svc, d);
		conn_end(svc, c);
		c->d = d;
		c->active = false;
		conn_establish(svc, &b->pool[(uint32_t)(r >> 20) % b->npool]);
	}
	return none;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The best of @rounds means of @decisions decisions, in ns; -1 if none.
 * *@none: whether more than 1% of them found no server.
 */
static double bench_one(const struct sched_ops *ops, unsigned int n,
			enum mix mix, uint64_t decisions, unsigned int rounds,
			bool *none)
{
	double ns[MAX_ROUNDS], best = -1;
	uint64_t t0, missed = 0;
	struct bench b;
	unsigned int k;

	if (bench_setup(&b, ops, n, mix, 0x5eed0000 + n) == 0) {
		bench_run(&b, decisions / WARMUP_DIV);
		for (k = 0; k < rounds; k++) {
			t0 = now_ns();
			missed += bench_run(&b, decisions);
			ns[k] = (double)(now_ns() - t0) / decisions;
		}
		if (verbose) {
			fprintf(stderr, "%s/%u/%d:", bench_name(ops), n, mix);
			for (k = 0; k < rounds; k++)
				fprintf(stderr, " %.1f", ns[k]);
			fprintf(stderr, "\n");
		}
		qsort(ns, rounds, sizeof(*ns), cmp_double);
		best = ns[0];
		*none = missed * 100 > decisions * rounds;
	}
	bench_free(&b);
	return best;
}

static void row(const struct sched_ops *ops, const unsigned int *n,
		const enum mix *mix, int cols, uint64_t decisions,
		unsigned int rounds, double *out)
{
	int k;

	bool none = false;

	printf("%-10s", bench_name(ops));
	for (k = 0; k < cols; k++) {
		out[k] = bench_one(ops, n[k], mix[k], decisions, rounds, &none);
		printf(" %8.1f%c", out[k], none ? '*' : ' ');
		fflush(stdout);
	}
	printf("\n");
}

static void table(const char *head, const unsigned int *n, const enum mix *mix,
		  int cols, const char *only, uint64_t decisions,
		  unsigned int rounds)
{
	static const char *const mix_names[] = { "realistic", "skewed", "degraded" };
	double naive[3], wlc[3] = { 0 }, dummy[3];
	bool has_wlc = false;
	int k, i;

	printf("\n%s\n%-10s", head, "scheduler");
	for (k = 0; k < cols; k++) {
		if (mix[k] == MIX_REALISTIC)
			printf(" %8u ", n[k]);
		else
			printf(" %8s ", mix_names[mix[k]]);
	}
	printf("\n");
	for (i = 0; i < SCHEDULERS; i++) {
		if (only && strcmp(only, sched_name(i)))
			continue;
		has_wlc |= i == SCHEDULER_WLC;
		row(sched_all[i], n, mix, cols, decisions, rounds,
		    i == SCHEDULER_WLC ? wlc : dummy);
	}
	if (only && strcmp(only, bench_name(&naive_wlc)))
		return;
	row(&naive_wlc, n, mix, cols, decisions, rounds, naive);
	if (!has_wlc)
		return;
	printf("%-10s", "naive/wlc");
	for (k = 0; k < cols; k++)
		printf(" %8.1fx", wlc[k] > 0 ? naive[k] / wlc[k] : 0);
	printf("\n");
}

static int pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : cpu;
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 10, 100, 1000 }, big[] = { 1000, 1000 };
	static const enum mix realistic[] = { MIX_REALISTIC, MIX_REALISTIC, MIX_REALISTIC };
	static const enum mix adverse[] = { MIX_SKEWED, MIX_DEGRADED };
	uint64_t decisions = 1000000;
	unsigned int rounds = 5;
	const char *only = NULL;
	int opt, cpu = -2;

	while ((opt = getopt(argc, argv, "n:r:c:s:v")) != -1) {
		switch (opt) {
		case 'n':
			decisions = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			only = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-n DECISIONS] [-r ROUNDS] "
				"[-c CPU|-1] [-s SCHEDULER] [-v]\n", argv[0]);
			return 2;
		}
	}
	if (decisions < 1000)
		decisions = 1000;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;
	if (cpu != -1)
		cpu = pin(cpu == -2 ? -1 : cpu);

	printf("ns per decision with its connection accounting: best of %u "
	       "rounds of %" PRIu64 " decisions; ", rounds, decisions);
	if (cpu >= 0)
		printf("pinned to CPU %d\n", cpu);
	else
		printf("not pinned\n");
	table("realistic weights, by number of servers", sizes, realistic, 3,
	      only, decisions, rounds);
	table("adverse mixes at 1000 servers", big, adverse, 2, only,
	      decisions, rounds);
	printf("\n* more than 1%% of the decisions found no server, e.g. ovf "
	       "once every server is full\n");
	return 0;
}
