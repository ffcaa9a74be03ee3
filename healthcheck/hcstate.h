/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_HCSTATE_H
#define NFLVS_HC_HCSTATE_H

/*
 * The health of one real server: the rise/fall state machine (pure) and the
 * health half of its shared-memory record, which only the checker writes.
 */

#include <stdbool.h>
#include <stdint.h>

#include <nflvs/shm.h>

#include "probe.h"

/* The health half of a real-server record. */
typedef __typeof__(((struct nflvs_shm_rs *)0)->health) hc_record_t;

struct hcstate {
	uint32_t state;		/* enum nflvs_shm_state */
	int ok_run;		/* successes in a row */
	int fail_run;		/* failures in a row */
};

/* Changes hcstate_apply() reports. */
#define HC_CHANGED_STATE	0x01
#define HC_CHANGED_WEIGHT	0x02

/* A fresh state machine: UNKNOWN, no runs. */
void hcstate_init(struct hcstate *s);

/*
 * Feed one result: @rise successes in a row bring the server UP, @fall
 * failures in a row bring it DOWN, from UNKNOWN as from the other state.
 * Returns true if the state changed.
 */
bool hcstate_step(struct hcstate *s, bool ok, int rise, int fall);

/* A record that says "never checked": UNKNOWN, configured weight. */
void hcstate_record_init(hc_record_t *h);

/*
 * Apply one result to the state machine and the record: state, weight (a
 * failure keeps the last weight), times, latency, counters, error text.
 * @now is CLOCK_REALTIME ns.  Returns HC_CHANGED_* flags.
 */
unsigned int hcstate_apply(struct hcstate *s, hc_record_t *h,
			   const struct probe_result *r, int rise, int fall,
			   uint64_t now, uint32_t latency_us);

/* Write @h into the live record's health half under its seqlock. */
void hcstate_publish(struct nflvs_shm_rs *rs, const hc_record_t *h);
/* Read a consistent copy of the health half; 0 or -EAGAIN. */
int hcstate_read(const struct nflvs_shm_rs *rs, hc_record_t *h);
/* Tell the director a state or weight changed. */
void hcstate_notify(struct nflvs_shm_header *hdr);

const char *hcstate_name(uint32_t state);

#endif
