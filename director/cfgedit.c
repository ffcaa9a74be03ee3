// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgedit.h"
#include "ctlmsg.h"

static int cfg_find_service(const struct nflvs_config *cfg,
			    const struct nflvs_ctl_svc *k)
{
	size_t i;

	for (i = 0; i < cfg->nsvc; i++) {
		const struct cfg_service *s = &cfg->svc[i];

		if (k->fwmark || s->fwmark) {
			if (s->fwmark == k->fwmark && s->vip.family == k->family)
				return i;
		} else if (s->vip.family == k->family &&
			   s->protocol == k->protocol && s->port == k->port &&
			   !memcmp(s->vip.b, k->addr, addr_len(&s->vip))) {
			return i;
		}
	}
	return -1;
}

static int cfg_find_rs(const struct cfg_service *s,
		       const struct nflvs_ctl_dest *k)
{
	size_t i;

	for (i = 0; i < s->nrs; i++)
		if (s->rs[i].addr.family == k->family &&
		    s->rs[i].port == k->port &&
		    !memcmp(s->rs[i].addr.b, k->addr, addr_len(&s->rs[i].addr)))
			return i;
	return -1;
}

static void svc_params_from(struct cfg_service *s, const struct nflvs_ctl_svc *in)
{
	if (in->sched[0])
		snprintf(s->scheduler, sizeof(s->scheduler), "%s", in->sched);
	s->sched_flags = in->sched_flags;
	s->persistence = in->flags & NFLVS_CTL_SVC_F_PERSISTENT ? in->timeout : 0;
	s->persistence_netmask = in->netmask ? (int)in->netmask
			       : (in->family == AF_INET6 ? 128 : 32);
	s->one_packet = !!(in->flags & NFLVS_CTL_SVC_F_ONEPACKET);
	if (in->name[0])
		snprintf(s->name, sizeof(s->name), "%s", in->name);
}

static int add_service(struct nflvs_config *cfg, const struct nflvs_ctl_svc *in)
{
	struct cfg_service *n = realloc(cfg->svc, (cfg->nsvc + 1) * sizeof(*n));
	struct cfg_service *s;

	if (!n)
		return -ENOMEM;
	cfg->svc = n;
	s = &cfg->svc[cfg->nsvc];
	memset(s, 0, sizeof(*s));
	s->fwmark = in->fwmark;
	s->vip.family = in->family;
	if (!in->fwmark) {
		memcpy(s->vip.b, in->addr, sizeof(s->vip.b));
		s->port = in->port;
		s->protocol = in->protocol;
	}
	snprintf(s->scheduler, sizeof(s->scheduler), "wlc");
	s->fwd = FWD_NAT;
	s->quorum = 1;
	s->check.type = CHECK_NONE;
	s->file_index = CFG_NOT_IN_FILE;
	svc_params_from(s, in);
	s->rs = calloc(1, sizeof(*s->rs));
	if (!s->rs)
		return -ENOMEM;
	cfg->nsvc++;
	return 0;
}

static void dest_params_from(struct cfg_rs *rs, const struct nflvs_ctl_dest *in)
{
	rs->weight = in->weight;
	rs->fwd = in->fwd;
	rs->upper_threshold = in->u_threshold;
	rs->lower_threshold = in->l_threshold;
	rs->tunnel.type = in->tun_type;
	rs->tunnel.port = in->tun_port;
	rs->tunnel.csum = !!(in->tun_flags & NFLVS_CTL_TUN_F_CSUM);
}

static int add_dest(struct cfg_service *s, const struct nflvs_ctl_dest *in)
{
	struct cfg_rs *n = realloc(s->rs, (s->nrs + 2) * sizeof(*n)), tmp;

	if (!n)
		return -ENOMEM;
	s->rs = n;
	memset(&tmp, 0, sizeof(tmp));
	tmp.addr.family = in->family;
	memcpy(tmp.addr.b, in->addr, sizeof(tmp.addr.b));
	tmp.port = in->port;
	tmp.check = s->check;		/* the service's check, copied below */
	tmp.file_index = CFG_NOT_IN_FILE;
	dest_params_from(&tmp, in);
	/* ipvsadm: the first real server says how the service forwards */
	if (!s->nrs)
		s->fwd = tmp.fwd;
	if (config_rs_dup(&s->rs[s->nrs], &tmp) < 0)
		return -ENOMEM;
	s->nrs++;
	return 0;
}

static void del_at(void *base, size_t *n, size_t size, size_t i)
{
	char *b = base;

	memmove(b + i * size, b + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}

static int edit_service(struct nflvs_config *cfg, uint16_t type,
			const struct nflvs_ctl_svc *in, const char **why)
{
	int i, ret;

	ret = type == NFLVS_CTL_DEL_SERVICE ? ctl_check_svc_id(in, why)
					    : ctl_check_svc(in, why);
	if (ret) {
		if (!*why)
			*why = "invalid service";
		return ret;
	}
	i = cfg_find_service(cfg, in);
	if (type == NFLVS_CTL_ADD_SERVICE && i >= 0)
		return -EEXIST;
	if (type != NFLVS_CTL_ADD_SERVICE && i < 0)
		return -ESRCH;
	if (type == NFLVS_CTL_ADD_SERVICE)
		return add_service(cfg, in);
	if (type == NFLVS_CTL_EDIT_SERVICE) {
		svc_params_from(&cfg->svc[i], in);
	} else {
		config_service_free(&cfg->svc[i]);
		del_at(cfg->svc, &cfg->nsvc, sizeof(*cfg->svc), i);
	}
	return 0;
}

static int edit_dest(struct nflvs_config *cfg, uint16_t type, const void *req,
		     const char **why)
{
	const struct nflvs_ctl_svc *ks = req;
	const struct nflvs_ctl_dest *in = (const void *)(ks + 1);
	struct nflvs_ctl_dest k;
	struct cfg_service *s;
	int i, j, ret;

	ret = ctl_check_svc_id(ks, why);
	if (!ret)
		ret = ctl_check_dest(type, ks, in, why);
	if (ret) {
		if (!*why)
			*why = "invalid destination";
		return ret;
	}
	if (in->tun_flags & NFLVS_CTL_TUN_F_REMCSUM) {
		*why = "--tun-remcsum: remote checksum offload is not supported (--tun-csum or --tun-nocsum)";
		return -EOPNOTSUPP;
	}
	i = cfg_find_service(cfg, ks);
	if (i < 0)
		return -ESRCH;
	s = &cfg->svc[i];
	/*
	 * As ipvsadm: DR and TUN real servers added or edited keep the
	 * service's port.  Not on delete: ipvsadm -d names no forwarding
	 * method (the request carries the default, DR), and a NAT real
	 * server on another port must still be found.
	 */
	k = *in;
	if (type != NFLVS_CTL_DEL_DEST && k.fwd != NFLVS_CTL_FWD_NAT &&
	    !s->fwmark && s->port)
		k.port = s->port;
	in = &k;
	j = cfg_find_rs(s, in);
	if (type == NFLVS_CTL_ADD_DEST && j >= 0)
		return -EEXIST;
	if (type != NFLVS_CTL_ADD_DEST && j < 0)
		return -ENOENT;
	if (!s->fwmark && s->vip.family != in->family &&
	    in->fwd != NFLVS_CTL_FWD_TUN) {
		*why = "the real server's address family is not the service's";
		return -EINVAL;
	}
	if (type == NFLVS_CTL_ADD_DEST)
		return add_dest(s, in);
	if (type == NFLVS_CTL_EDIT_DEST) {
		dest_params_from(&s->rs[j], in);
	} else {
		config_rs_free(&s->rs[j]);
		del_at(s->rs, &s->nrs, sizeof(*s->rs), j);
	}
	return 0;
}

int cfgedit_apply(struct nflvs_config *cfg, uint16_t type, const void *req,
		  const char **why)
{
	size_t i;

	*why = NULL;
	switch (type) {
	case NFLVS_CTL_ADD_SERVICE:
	case NFLVS_CTL_EDIT_SERVICE:
	case NFLVS_CTL_DEL_SERVICE:
		return edit_service(cfg, type, req, why);
	case NFLVS_CTL_ADD_DEST:
	case NFLVS_CTL_EDIT_DEST:
	case NFLVS_CTL_DEL_DEST:
		return edit_dest(cfg, type, req, why);
	case NFLVS_CTL_FLUSH:
		for (i = 0; i < cfg->nsvc; i++)
			config_service_free(&cfg->svc[i]);
		cfg->nsvc = 0;
		return 0;
	}
	return -EOPNOTSUPP;
}
