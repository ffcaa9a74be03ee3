/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_QUEUE_H
#define NFLVS_QUEUE_H

/*
 * NFQUEUE workers: one thread and one netlink socket per queue number.  A
 * worker drains what the socket holds, asks the decision callback about
 * each packet, and sends all the verdicts of one drain in a single
 * sendmsg().  The callback is the only thing that knows about services.
 */

#include <pthread.h>
#include <stdint.h>

/* What to do with one packet. */
struct verdict {
	uint32_t verdict;	/* NF_ACCEPT, NF_DROP, or NF_REPEAT (the
				   hook's chain again: flowpath.c) */
	uint32_t mark;		/* packet mark to set */
	int set_mark;
	const void *payload;	/* replacement packet (TUN), or NULL */
	uint32_t payload_len;
};

typedef void (*queue_decide_fn)(void *ctx, const void *pkt, uint32_t len,
				uint32_t mark, struct verdict *v);

struct queue_stats {
	uint64_t packets;	/* packets received */
	uint64_t verdicts;	/* verdict messages sent */
	uint64_t sends;		/* sendmsg() calls carrying them */
	uint64_t errors;	/* netlink errors reported back */
};

struct queue_worker {
	uint16_t num;
	struct mnl_socket *nl;
	unsigned int portid;
	int stop_fd;
	pthread_t thread;
	int running;
	queue_decide_fn decide;
	void *ctx;
	void (*thread_init)(void);
	char *rx, *tx;
	size_t txlen;
	struct queue_stats stats;	/* relaxed atomics */
};

/* Bind queue @num (copy only @copy_range bytes of each packet). */
int queue_open(struct queue_worker *w, uint16_t num, uint32_t copy_range,
	       queue_decide_fn decide, void *ctx);
/* Start the worker's thread; it first runs @thread_init (may be NULL):
 * capabilities are per thread, a process drops them in each. */
int queue_start(struct queue_worker *w, void (*thread_init)(void));
/* Stop the thread and unbind; safe on a worker that never started. */
void queue_close(struct queue_worker *w);
void queue_get_stats(const struct queue_worker *w, struct queue_stats *s);
/* Copy more (or less) of each packet from now on (TUN needs all of it). */
int queue_set_copy_range(struct queue_worker *w, uint32_t copy_range);

#endif
