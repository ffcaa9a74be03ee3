// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rise/fall: keepalived's retry and relayd's "check N times" in one small
 * pure function, plus the only code that writes the health half of a
 * real-server record.
 */
#include <string.h>

#include <nflvs/seqlock.h>

#include "hcstate.h"

void hcstate_init(struct hcstate *s)
{
	s->state = NFLVS_RS_UNKNOWN;
	s->ok_run = 0;
	s->fail_run = 0;
}

bool hcstate_step(struct hcstate *s, bool ok, int rise, int fall)
{
	uint32_t before = s->state;

	if (ok) {
		s->fail_run = 0;
		if (s->ok_run < rise)
			s->ok_run++;
		if (s->state != NFLVS_RS_UP && s->ok_run >= rise)
			s->state = NFLVS_RS_UP;
	} else {
		s->ok_run = 0;
		if (s->fail_run < fall)
			s->fail_run++;
		if (s->state != NFLVS_RS_DOWN && s->fail_run >= fall)
			s->state = NFLVS_RS_DOWN;
	}
	return s->state != before;
}

void hcstate_record_init(hc_record_t *h)
{
	memset(h, 0, sizeof(*h));
	h->state = NFLVS_RS_UNKNOWN;
	h->weight = -1;
}

unsigned int hcstate_apply(struct hcstate *s, hc_record_t *h,
			   const struct probe_result *r, int rise, int fall,
			   uint64_t now, uint32_t latency_us)
{
	unsigned int changed = 0;

	if (hcstate_step(s, r->ok, rise, fall)) {
		changed |= HC_CHANGED_STATE;
		h->state = s->state;
		h->last_change = now;
		h->transitions++;
	}
	if (r->ok && h->weight != r->weight) {
		h->weight = r->weight;
		changed |= HC_CHANGED_WEIGHT;
	}
	if (r->ok)
		h->checks_ok++;
	else
		h->checks_failed++;
	h->last_check = now;
	h->latency_us = latency_us;
	/* zero-filled, so the published bytes never hold an old tail */
	memset(h->last_error, 0, sizeof(h->last_error));
	memcpy(h->last_error, r->error,
	       strnlen(r->error, sizeof(h->last_error) - 1));
	return changed;
}

void hcstate_publish(struct nflvs_shm_rs *rs, const hc_record_t *h)
{
	nflvs_seq_write(&rs->hseq, &rs->health, h, sizeof(*h));
}

int hcstate_read(const struct nflvs_shm_rs *rs, hc_record_t *h)
{
	return nflvs_seq_read(&rs->hseq, h, &rs->health, sizeof(*h));
}

void hcstate_notify(struct nflvs_shm_header *hdr)
{
	__atomic_add_fetch(&hdr->health_generation, 1, __ATOMIC_RELEASE);
}

const char *hcstate_name(uint32_t state)
{
	switch (state) {
	case NFLVS_RS_UP:
		return "UP";
	case NFLVS_RS_DOWN:
		return "DOWN";
	default:
		return "UNKNOWN";
	}
}
