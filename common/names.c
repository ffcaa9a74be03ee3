// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include <nflvs/ctl.h>
#include <nflvs/shm.h>

#include "names.h"

const char *const sched_names[SCHEDULERS + 1] = {
	[SCHEDULER_RR] = "rr", [SCHEDULER_WRR] = "wrr", [SCHEDULER_LC] = "lc",
	[SCHEDULER_WLC] = "wlc", [SCHEDULER_SED] = "sed", [SCHEDULER_NQ] = "nq",
	[SCHEDULER_SH] = "sh", [SCHEDULER_DH] = "dh", [SCHEDULER_LBLC] = "lblc",
	[SCHEDULER_LBLCR] = "lblcr", [SCHEDULER_MH] = "mh", [SCHEDULER_FO] = "fo",
	[SCHEDULER_OVF] = "ovf", [SCHEDULER_TWOS] = "twos", NULL
};

const char *const sched_flag_names[] = {	/* bit = 1 << index */
	"sh-port", "sh-fallback", "mh-port", "mh-fallback", NULL
};

const char *const fwd_names[FWD_METHODS + 1] = {
	[FWD_NAT] = "nat", [FWD_DR] = "dr", [FWD_TUN] = "tun", NULL
};

const char *const tun_names[TUN_TYPES + 1] = {
	[TUN_IPIP] = "ipip", [TUN_GUE] = "gue", [TUN_GRE] = "gre", NULL
};

const char *const role_names[HA_ROLES + 1] = {
	[NFLVS_CTL_ROLE_MASTER] = "master", [NFLVS_CTL_ROLE_BACKUP] = "backup",
	[NFLVS_CTL_ROLE_TAKEOVER] = "takeover",
	[NFLVS_CTL_ROLE_FAULT] = "fault", NULL
};

/* The same values cross the control socket and the shared memory. */
#define SAME(a, b)	((int)(a) == (int)(b))
_Static_assert(SAME(FWD_NAT, NFLVS_CTL_FWD_NAT) && SAME(FWD_DR, NFLVS_CTL_FWD_DR) &&
	       SAME(FWD_TUN, NFLVS_CTL_FWD_TUN), "forwarding methods: ctl.h");
_Static_assert(SAME(FWD_NAT, NFLVS_FWD_NAT) && SAME(FWD_DR, NFLVS_FWD_DR) &&
	       SAME(FWD_TUN, NFLVS_FWD_TUN), "forwarding methods: shm.h");
_Static_assert(SAME(TUN_IPIP, NFLVS_CTL_TUN_IPIP) && SAME(TUN_GUE, NFLVS_CTL_TUN_GUE) &&
	       SAME(TUN_GRE, NFLVS_CTL_TUN_GRE), "tunnel types: ctl.h");

int names_find(const char *const *names, const char *s)
{
	int i;

	for (i = 0; s && names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

static int parse(const char *const *names, const char *s)
{
	int i = names_find(names, s);

	return i < 0 ? -EINVAL : i;
}

int sched_parse(const char *s)
{
	return parse(sched_names, s);
}

int fwd_parse(const char *s)
{
	return parse(fwd_names, s);
}

int tun_parse(const char *s)
{
	return parse(tun_names, s);
}

int sched_flag_parse(const char *s)
{
	int i = parse(sched_flag_names, s);

	return i < 0 ? i : 1 << i;
}

bool sched_name_valid(const char *name)
{
	return names_find(sched_names, name) >= 0;
}

const char *sched_name(enum sched_kind k)
{
	return (unsigned int)k < SCHEDULERS ? sched_names[k] : "?";
}

const char *fwd_name(enum fwd_method f)
{
	return (unsigned int)f < FWD_METHODS ? fwd_names[f] : "?";
}

const char *tun_name(enum tun_type t)
{
	return (unsigned int)t < TUN_TYPES ? tun_names[t] : "?";
}
