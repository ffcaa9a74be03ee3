/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_NAMES_H
#define NFLVS_NAMES_H

/*
 * The names every program shares, each list in one place: schedulers,
 * scheduler flags, forwarding methods and tunnel types.  The config
 * loader, the director and nflvsadm all read them from here.  The values
 * are those of the control protocol and the shared memory (both under
 * include/nflvs/), which names.c checks at compile time.
 */

#include <stdbool.h>

enum sched_kind {
	SCHEDULER_RR,
	SCHEDULER_WRR,
	SCHEDULER_LC,
	SCHEDULER_WLC,
	SCHEDULER_SED,
	SCHEDULER_NQ,
	SCHEDULER_SH,
	SCHEDULER_DH,
	SCHEDULER_LBLC,
	SCHEDULER_LBLCR,
	SCHEDULER_MH,
	SCHEDULER_FO,
	SCHEDULER_OVF,
	SCHEDULER_TWOS,
	SCHEDULERS
};

enum fwd_method {
	FWD_NAT,
	FWD_DR,
	FWD_TUN,
	FWD_METHODS
};

enum tun_type {
	TUN_IPIP,
	TUN_GUE,
	TUN_GRE,
	TUN_TYPES
};

/* scheduler_flags: bit 1 << index in sched_flag_names */
#define SCHED_F_SH_PORT		0x01
#define SCHED_F_SH_FALLBACK	0x02
#define SCHED_F_MH_PORT		0x04
#define SCHED_F_MH_FALLBACK	0x08

/* NULL-terminated, index = value; the schedulers in documentation order. */
extern const char *const sched_names[SCHEDULERS + 1];
extern const char *const sched_flag_names[];
extern const char *const fwd_names[FWD_METHODS + 1];
extern const char *const tun_names[TUN_TYPES + 1];
/* index = enum nflvs_ctl_role_value (nflvs/ctl.h) */
#define HA_ROLES	4
extern const char *const role_names[HA_ROLES + 1];

/* The index of @s in the NULL-terminated @names, or -1. */
int names_find(const char *const *names, const char *s);

/* A value of the list, or -EINVAL for a name not in it (or NULL). */
int sched_parse(const char *s);
int fwd_parse(const char *s);
int tun_parse(const char *s);
/* The bit (SCHED_F_*), or -EINVAL. */
int sched_flag_parse(const char *s);
bool sched_name_valid(const char *name);

/* The name of a value, "?" when out of range. */
const char *sched_name(enum sched_kind k);
const char *fwd_name(enum fwd_method f);
const char *tun_name(enum tun_type t);

#endif
