// SPDX-License-Identifier: GPL-2.0-or-later
#include <netinet/in.h>

#include "mark.h"
#include "scheduler.h"
#include "validate.h"

/* config_check_room() counts marks as mark.c hands them out */
_Static_assert(MARK_MAX_INDEX == CFG_MARK_MAX_INDEX, "mark capacity");

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
					config_error_add(errs, cfg->path, s->rs[j].line,
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
			config_error_add(errs, cfg->path, s->rs[j].line,
				"forward: \"%s\" real server in a \"%s\" service (a service forwards with nat, with dr (and tun), or with tun only: set the service's forward)",
				fwd_name(s->rs[j].fwd), fwd_name(s->fwd));
	if (nat)
		return;
	if (s->fwmark)
		config_error_add(errs, cfg->path, s->line,
			"forward: \"%s\" is for vip services; firewall-mark services forward with nat",
			fwd_name(s->fwd));
	else if (!s->port)
		config_error_add(errs, cfg->path, s->line,
			"forward: \"%s\" needs a service port (port 0, any port, forwards with nat)",
			fwd_name(s->fwd));
	if (s->protocol == IPPROTO_SCTP)
		config_error_add(errs, cfg->path, s->line,
			"forward: \"%s\" supports tcp and udp services, not sctp",
			fwd_name(s->fwd));
}

int validate_config(const struct nflvs_config *cfg, struct cfg_errors *errs)
{
	size_t before = errs->n, i;

	for (i = 0; i < cfg->nsvc; i++) {
		const struct cfg_service *s = &cfg->svc[i];

		if (!sched_find(s->scheduler))
			config_error_add(errs, cfg->path, s->line,
				"scheduler: \"%s\" is not available in this build",
				s->scheduler);
		if (s->fwmark & cfg->director.mark_mask)
			config_error_add(errs, cfg->path, s->line,
				"fwmark: 0x%x uses bits of director.mark_mask 0x%08x, which are the director's",
				s->fwmark, cfg->director.mark_mask);
		if (s->one_packet && s->fwmark)
			config_error_add(errs, cfg->path, s->line,
				"one_packet: only for UDP services with a vip, not firewall-mark services");
		if (s->one_packet)
			check_onepacket_rs(cfg, i, errs);
		check_lvs(cfg, s, errs);
	}
	config_check_room(cfg, errs);
	return errs->n - before;
}
