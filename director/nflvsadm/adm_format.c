// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm's output.  The listings use ipvsadm 1.31's printf formats
 * verbatim (print_title(), print_service_entry(), print_largenum(),
 * print_conn(), list_timeout()), including its quirks: the trailing spaces
 * of "%-10u\n", IPv4 service names cut at 33 characters and real-server
 * names at 28, addresses with their port names when -n is not given.
 * What nflvs knows beyond IPVS (health, draining) goes after the last
 * column, so a healthy table is exactly ipvsadm's; --json has everything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "adm_client.h"
#include "adm_format.h"
#include "names.h"
#include "nflvs/shm.h"

#define NAME_LEN	60	/* ipvsadm's addrport_to_anyname() buffer */
#define SVC_NAME_LEN	1024

/* ipvsadm's usage lists the schedulers in an order of its own. */
static const enum sched_kind usage_order[] = {
	SCHEDULER_RR, SCHEDULER_WRR, SCHEDULER_LC, SCHEDULER_WLC,
	SCHEDULER_LBLC, SCHEDULER_LBLCR, SCHEDULER_DH, SCHEDULER_SH,
	SCHEDULER_SED, SCHEDULER_NQ, SCHEDULER_FO, SCHEDULER_OVF,
	SCHEDULER_MH, SCHEDULER_TWOS,
};
_Static_assert(sizeof(usage_order) / sizeof(usage_order[0]) == SCHEDULERS,
	       "every scheduler in the usage");
static const char *const tun_flags[] = { "-c", "+c", "r+c" };
static const char *const tun_flag_opts[] = {
	"--tun-nocsum", "--tun-csum", "--tun-remcsum",
};

/* ipvsadm's index into its tunflags[]: 0 nocsum, 1 csum, 2 remcsum */
static int tun_flag(const struct nflvs_ctl_dest *d)
{
	return d->tun_flags & NFLVS_CTL_TUN_F_REMCSUM ? 2 :
	       d->tun_flags & NFLVS_CTL_TUN_F_CSUM ? 1 : 0;
}

static const char *protocol_name(int proto)
{
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" :
	       proto == IPPROTO_SCTP ? "SCTP" :
	       proto == IPPROTO_IP ? "IP" : "?";	/* a fwmark template */
}

static const char *option_from_protocol(int proto)
{
	return proto == IPPROTO_TCP ? "-t" : proto == IPPROTO_UDP ? "-u" :
	       proto == IPPROTO_SCTP ? "--sctp-service" : "--xxx-service";
}

static const char *fwd_label(uint8_t fwd)
{
	static const char *const names[] = {
		[NFLVS_CTL_FWD_NAT] = "Masq", [NFLVS_CTL_FWD_DR] = "Route",
		[NFLVS_CTL_FWD_TUN] = "Tunnel", [NFLVS_CTL_FWD_LOCAL] = "Local",
	};

	return fwd <= NFLVS_CTL_FWD_LOCAL ? names[fwd] : "?";
}

static const char *fwd_switch(uint8_t fwd)
{
	return fwd == NFLVS_CTL_FWD_NAT ? "-m" :
	       fwd == NFLVS_CTL_FWD_TUN ? "-i" : "-g";
}

/* Addresses -------------------------------------------------------------- */

static const char *numeric_host(int family, const uint8_t *addr, char *buf,
				size_t len)
{
	if ((family != AF_INET && family != AF_INET6) ||
	    !inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* ipvsadm's addrport_to_anyname(): "host:port", "[v6host]:port". */
static void addrport(char *buf, int family, const uint8_t *addr,
		     uint16_t port, int proto, unsigned int fmt,
		     const struct adm_names *n)
{
	bool names = !(fmt & ADM_FMT_NUMERIC) && n;
	const char *open = family == AF_INET ? "" : "[";
	const char *close = family == AF_INET ? "" : "]";
	char host[NI_MAXHOST], serv[64], all[NI_MAXHOST + 80];

	if (!names || !n->host || n->host(n->ctx, family, addr, host,
					   sizeof(host)))
		numeric_host(family, addr, host, sizeof(host));
	if (!names || !n->service || n->service(n->ctx, port, proto, serv,
						 sizeof(serv)))
		snprintf(serv, sizeof(serv), "%u", port);
	/* cut at ipvsadm's 60 bytes, as its snprintf() cuts */
	snprintf(all, sizeof(all), "%s%s%s:%s", open, host, close, serv);
	snprintf(buf, NAME_LEN, "%.*s", NAME_LEN - 1, all);
}

/* Numbers ---------------------------------------------------------------- */

void adm_format_number(FILE *f, uint64_t i, unsigned int fmt)
{
	char tmp[32];
	int len;

	if (fmt & ADM_FMT_EXACT) {
		len = snprintf(tmp, sizeof(tmp), "%" PRIu64, i);
		fprintf(f, "%*" PRIu64, len <= 8 ? 9 : len + 1, i);
	} else if (i < 100000000ULL) {
		fprintf(f, "%9" PRIu64, i);
	} else if (i < 1000000000ULL) {
		fprintf(f, "%8" PRIu64 "K", i / UINT64_C(1000));
	} else if (i < 100000000000ULL) {
		fprintf(f, "%8" PRIu64 "M", i / UINT64_C(1000000));
	} else if (i < 100000000000000ULL) {
		fprintf(f, "%8" PRIu64 "G", i / UINT64_C(1000000000));
	} else {
		fprintf(f, "%8" PRIu64 "T", i / UINT64_C(1000000000000));
	}
}

/* Five counters: the traffic ones, or with @rates the rates. */
static void numbers(FILE *f, const struct nflvs_ctl_stats *s, bool rates,
		    unsigned int fmt)
{
	const uint64_t v[2][5] = {
		{ s->conns, s->inpkts, s->outpkts, s->inbytes, s->outbytes },
		{ s->cps, s->inpps, s->outpps, s->inbps, s->outbps },
	};
	int i;

	for (i = 0; i < 5; i++)
		adm_format_number(f, v[rates][i], fmt);
}

/* Titles and the version line -------------------------------------------- */

void adm_format_version_line(FILE *f, const struct nflvs_ctl_info *info)
{
	fprintf(f, "IP Virtual Server version %u.%u.%u (size=%u)\n",
		(info->version >> 16) & 0xff, (info->version >> 8) & 0xff,
		info->version & 0xff, info->conn_tab_size);
}

void adm_format_title(FILE *f, unsigned int fmt)
{
	const char *local = "Prot LocalAddress:Port";
	const char *remote = "  -> RemoteAddress:Port\n";

	if (fmt & ADM_FMT_STATS)
		fprintf(f, "%-33s %8s %8s %8s %8s %8s\n%s", local, "Conns",
			"InPkts", "OutPkts", "InBytes", "OutBytes", remote);
	else if (fmt & ADM_FMT_RATE)
		fprintf(f, "%-33s %8s %8s %8s %8s %8s\n%s", local, "CPS",
			"InPPS", "OutPPS", "InBPS", "OutBPS", remote);
	else if (fmt & ADM_FMT_THRESHOLDS)
		fprintf(f, "%-33s %-10s %-10s %-10s %-10s\n%s", local,
			"Uthreshold", "Lthreshold", "ActiveConn", "InActConn",
			remote);
	else if (fmt & ADM_FMT_PERSISTENTCONN)
		fprintf(f, "%-33s %-9s %-11s %-10s %-10s\n%s", local, "Weight",
			"PersistConn", "ActiveConn", "InActConn", remote);
	else if (fmt & ADM_FMT_TUN_INFO)
		fputs("Prot LocalAddress:Port Scheduler Flags\n"
		      "  -> RemoteAddress:Port           Forward TunnelInfo    "
		      "Weight ActiveConn InActConn\n", f);
	else if (!(fmt & ADM_FMT_RULE))
		fputs("Prot LocalAddress:Port Scheduler Flags\n"
		      "  -> RemoteAddress:Port           Forward Weight "
		      "ActiveConn InActConn\n", f);
}

/* Services --------------------------------------------------------------- */

static void service_name(char *buf, const struct nflvs_ctl_svc *s,
			 unsigned int fmt, const struct adm_names *n)
{
	bool v6 = s->family == AF_INET6;
	char v[NAME_LEN];

	if (s->fwmark) {
		if (fmt & ADM_FMT_RULE)
			snprintf(buf, SVC_NAME_LEN, v6 ? "-f %u -6" : "-f %u",
				 s->fwmark);
		else
			snprintf(buf, SVC_NAME_LEN, v6 ? "FWM  %u IPv6" :
				 "FWM  %u", s->fwmark);
		return;
	}
	addrport(v, s->family, s->addr, s->port, s->protocol, fmt, n);
	if (fmt & ADM_FMT_RULE) {
		snprintf(buf, SVC_NAME_LEN, "%s %s",
			 option_from_protocol(s->protocol), v);
	} else {
		snprintf(buf, SVC_NAME_LEN, "%-4s %s",
			 protocol_name(s->protocol), v);
		if (!v6)
			buf[33] = '\0';
	}
}

static bool has_sched_flags(const struct nflvs_ctl_svc *s)
{
	return s->sched_flags & (SCHED_F_SH_PORT | SCHED_F_SH_FALLBACK |
				 SCHED_F_MH_PORT | SCHED_F_MH_FALLBACK);
}

/* print_sched_flags(): fallback first, named after sh or mh. */
static void sched_flags(FILE *f, const struct nflvs_ctl_svc *s)
{
	bool fallback = s->sched_flags & (SCHED_F_SH_FALLBACK |
					  SCHED_F_MH_FALLBACK);
	bool port = s->sched_flags & (SCHED_F_SH_PORT | SCHED_F_MH_PORT);
	const char *pfx = !strcmp(s->sched, "sh") ? "sh-" :
			  !strcmp(s->sched, "mh") ? "mh-" : NULL;

	if (pfx)
		fprintf(f, "%s%s%s%s%s", fallback ? pfx : "",
			fallback ? "fallback" : "", fallback && port ? "," : "",
			port ? pfx : "", port ? "port" : "");
	else
		fprintf(f, "%s%s%s", fallback ? "flag-1" : "",
			fallback && port ? "," : "", port ? "flag-2" : "");
}

/* A prefix length as ipvsadm prints an IPv4 mask (inet_ntoa). */
static const char *mask_str(uint32_t prefix, char *buf, size_t len)
{
	struct in_addr a = {
		htonl(prefix >= 32 ? ~0U : prefix ? ~0U << (32 - prefix) : 0)
	};

	return inet_ntop(AF_INET, &a, buf, len);
}

static void persistence(FILE *f, const struct nflvs_ctl_svc *s,
			const char *p, const char *m)
{
	char mask[INET_ADDRSTRLEN];

	fprintf(f, " %s %u", p, s->timeout);
	if (s->family == AF_INET && s->netmask != 32)
		fprintf(f, " %s %s", m, mask_str(s->netmask, mask,
						  sizeof(mask)));
	if (s->family == AF_INET6 && s->netmask != 128)
		fprintf(f, " %s %i", m, (int)s->netmask);
}

static void service_rule(FILE *f, const struct nflvs_ctl_svc *s,
			 const char *name)
{
	fprintf(f, "-A %s -s %s", name, s->sched);
	if (s->flags & NFLVS_CTL_SVC_F_PERSISTENT)
		persistence(f, s, "-p", "-M");
	if (s->flags & NFLVS_CTL_SVC_F_ONEPACKET)
		fputs(" -o", f);
	if (has_sched_flags(s)) {
		fputs(" -b ", f);
		sched_flags(f, s);
	}
}

static void service_line(FILE *f, const struct nflvs_ctl_svc *s,
			 const char *name, unsigned int fmt)
{
	const struct nflvs_ctl_stats *st = &s->stats;

	if (fmt & ADM_FMT_STATS) {
		fprintf(f, "%-33s", name);
		numbers(f, st, false, fmt);
	} else if (fmt & ADM_FMT_RATE) {
		fprintf(f, "%-33s", name);
		numbers(f, st, true, fmt);
	} else {
		fprintf(f, "%s %s", name, s->sched);
		if (has_sched_flags(s)) {
			fputs(" (", f);
			sched_flags(f, s);
			fputc(')', f);
		}
		if (s->flags & NFLVS_CTL_SVC_F_PERSISTENT)
			persistence(f, s, "persistent", "mask");
		if (s->flags & NFLVS_CTL_SVC_F_ONEPACKET)
			fputs(" ops", f);
	}
	if (s->down)
		fputs(" down: below quorum", f);
}

/* Real servers ----------------------------------------------------------- */

const char *adm_format_marker(const struct nflvs_ctl_dest *d, char *buf,
			      size_t len)
{
	bool down = d->health == NFLVS_RS_DOWN;
	size_t n = 0;
	char err[sizeof(d->last_error)];
	char *p;

	buf[0] = '\0';
	if (d->flags & NFLVS_RS_F_DRAINING)
		n += snprintf(buf + n, len - n, "draining");
	if (down && n < len) {
		snprintf(err, sizeof(err), "%s", d->last_error);
		for (p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		while (p > err && p[-1] == ' ')
			*--p = '\0';
		n += snprintf(buf + n, len - n, "%sdown%s%s", n ? ", " : "",
			      err[0] ? ": " : "", err);
	}
	if (!down && d->eff_weight >= 0 && d->eff_weight != d->weight &&
	    n < len)
		snprintf(buf + n, len - n, "%sweight %d", n ? ", " : "",
			 d->eff_weight);
	return buf;
}

static void tunnel_rule(FILE *f, const char *svc, const char *dname,
			const struct nflvs_ctl_dest *d)
{
	const char *sw = fwd_switch(d->fwd);

	switch (d->tun_type) {
	case NFLVS_CTL_TUN_GRE:
		fprintf(f, "-a %s -r %s %s -w %d --tun-type %s %s\n", svc,
			dname, sw, d->weight, tun_name(d->tun_type),
			tun_flag_opts[tun_flag(d)]);
		break;
	case NFLVS_CTL_TUN_GUE:
		fprintf(f, "-a %s -r %s %s -w %d --tun-type %s --tun-port %d "
			"%s\n", svc, dname, sw, d->weight,
			tun_name(d->tun_type), d->tun_port,
			tun_flag_opts[tun_flag(d)]);
		break;
	case NFLVS_CTL_TUN_IPIP:
		fprintf(f, "-a %s -r %s %s -w %d --tun-type %s\n", svc, dname,
			sw, d->weight, tun_name(d->tun_type));
		break;
	default:
		fprintf(f, "-a %s -r %s %s -w %d\n", svc, dname, sw, d->weight);
	}
}

/* fwd_tun_info(): "ipip", "gue:PORT:+c", "gre:-c", or NULL */
static const char *tun_info(const struct nflvs_ctl_dest *d, char *buf)
{
	if (d->fwd != NFLVS_CTL_FWD_TUN)
		return NULL;
	switch (d->tun_type) {
	case NFLVS_CTL_TUN_IPIP:
		snprintf(buf, 16, "%s", tun_name(d->tun_type));
		return buf;
	case NFLVS_CTL_TUN_GUE:
		snprintf(buf, 16, "%s:%d:%s", tun_name(d->tun_type),
			 d->tun_port, tun_flags[tun_flag(d)]);
		return buf;
	case NFLVS_CTL_TUN_GRE:
		snprintf(buf, 16, "%s:%s", tun_name(d->tun_type),
			 tun_flags[tun_flag(d)]);
		return buf;
	default:
		return NULL;
	}
}

static void dest_columns(FILE *f, const struct nflvs_ctl_dest *d,
			 const char *dname, unsigned int fmt)
{
	const struct nflvs_ctl_stats *st = &d->stats;
	char ti[16];

	if (fmt & ADM_FMT_STATS) {
		fprintf(f, "  -> %-28s", dname);
		numbers(f, st, false, fmt);
	} else if (fmt & ADM_FMT_RATE) {
		fprintf(f, "  -> %-28s %8" PRIu64 " %8" PRIu64 " %8" PRIu64,
			dname, st->cps, st->inpps, st->outpps);
		adm_format_number(f, st->inbps, fmt);
		adm_format_number(f, st->outbps, fmt);
	} else if (fmt & ADM_FMT_THRESHOLDS) {
		fprintf(f, "  -> %-28s %-10u %-10u %-10u %-10u", dname,
			d->u_threshold, d->l_threshold, d->activeconns,
			d->inactconns);
	} else if (fmt & ADM_FMT_PERSISTENTCONN) {
		fprintf(f, "  -> %-28s %-9u %-11u %-10u %-10u", dname,
			(unsigned int)d->weight, d->persistconns,
			d->activeconns, d->inactconns);
	} else if (fmt & ADM_FMT_TUN_INFO) {
		const char *t = tun_info(d, ti);

		fprintf(f, "  -> %-28s %-7s %-13s %-6d %-10u %-10u", dname,
			fwd_label(d->fwd), t ? t : "n/a", d->weight,
			d->activeconns, d->inactconns);
	} else {
		fprintf(f, "  -> %-28s %-7s %-6d %-10u %-10u", dname,
			fwd_label(d->fwd), d->weight, d->activeconns,
			d->inactconns);
	}
}

static void dest_line(FILE *f, const struct nflvs_ctl_svc *s,
		      const struct nflvs_ctl_dest *d, const char *svc_name,
		      unsigned int fmt, const struct adm_names *n)
{
	/* fwmark services have no protocol; ipvsadm's say TCP */
	int proto = s->fwmark ? IPPROTO_TCP : s->protocol;
	char dname[NAME_LEN], marker[160];

	addrport(dname, d->family, d->addr, d->port, proto, fmt, n);
	if (fmt & ADM_FMT_RULE) {
		if (d->fwd == NFLVS_CTL_FWD_TUN)
			tunnel_rule(f, svc_name, dname, d);
		else
			fprintf(f, "-a %s -r %s %s -w %d\n", svc_name, dname,
				fwd_switch(d->fwd), d->weight);
		return;
	}
	if (d->family != AF_INET6)
		dname[28] = '\0';
	dest_columns(f, d, dname, fmt);
	if (*adm_format_marker(d, marker, sizeof(marker)))
		fprintf(f, " %s", marker);
	fputc('\n', f);
}

void adm_format_service(FILE *f, const struct adm_svc *s, unsigned int fmt,
			const struct adm_names *n)
{
	char name[SVC_NAME_LEN];
	size_t i;

	service_name(name, &s->svc, fmt, n);
	if (fmt & ADM_FMT_RULE)
		service_rule(f, &s->svc, name);
	else
		service_line(f, &s->svc, name, fmt);
	fputc('\n', f);
	/*
	 * The list is newest first (IPVS order), and adding puts each at the
	 * head: saved oldest first, -R rebuilds the same list.
	 */
	for (i = 0; i < s->ndests; i++)
		dest_line(f, &s->svc,
			  &s->dests[(fmt & ADM_FMT_RULE) && !(fmt & ADM_FMT_SORT) ?
				   s->ndests - 1 - i : i],
			  name, fmt, n);
}

void adm_format_list(FILE *f, const struct nflvs_ctl_info *info,
		     const struct adm_list *list, unsigned int fmt,
		     const struct adm_names *n)
{
	size_t i;

	if (info && !(fmt & ADM_FMT_RULE))
		adm_format_version_line(f, info);
	adm_format_title(f, fmt);
	for (i = 0; i < list->n; i++)
		adm_format_service(f, &list->svc[i], fmt, n);
}

/* --sort ----------------------------------------------------------------- */

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_addr(int family, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, family == AF_INET6 ? 16 : 4);
}

static int cmp_svc(const void *pa, const void *pb)
{
	const struct nflvs_ctl_svc *a = &((const struct adm_svc *)pa)->svc;
	const struct nflvs_ctl_svc *b = &((const struct adm_svc *)pb)->svc;

	return cmp_u(a->fwmark, b->fwmark) ?: cmp_u(a->family, b->family) ?:
	       cmp_u(a->protocol, b->protocol) ?:
	       cmp_addr(a->family, a->addr, b->addr) ?:
	       cmp_u(a->port, b->port);
}

static int cmp_dest(const void *pa, const void *pb)
{
	const struct nflvs_ctl_dest *a = pa, *b = pb;

	return cmp_u(a->family, b->family) ?:
	       cmp_addr(a->family, a->addr, b->addr) ?: cmp_u(a->port, b->port);
}

void adm_list_sort(struct adm_list *list)
{
	size_t i;

	if (list->n)
		qsort(list->svc, list->n, sizeof(*list->svc), cmp_svc);
	for (i = 0; i < list->n; i++)
		if (list->svc[i].ndests)
			qsort(list->svc[i].dests, list->svc[i].ndests,
			      sizeof(*list->svc[i].dests), cmp_dest);
}

/* Connections and timeouts ----------------------------------------------- */

static void conn_line(FILE *f, const struct nflvs_ctl_conn *c,
		      unsigned int fmt, const struct adm_names *n)
{
	char cname[NAME_LEN], vname[NAME_LEN], dname[NAME_LEN];
	char expire[24];

	addrport(cname, c->family, c->caddr, c->cport, c->protocol, fmt, n);
	addrport(vname, c->family, c->vaddr, c->vport, c->protocol, fmt, n);
	addrport(dname, c->family, c->daddr, c->dport, c->protocol, fmt, n);
	snprintf(expire, sizeof(expire), "%02d:%02d", (int)(c->expires / 60),
		 (int)(c->expires % 60));
	fprintf(f, "%-3s %-6s %-11s %-18s %-18s %s\n",
		protocol_name(c->protocol), expire, c->state, cname, vname,
		dname);
}

void adm_format_conns(FILE *f, const struct adm_conns *conns,
		      unsigned int fmt, const struct adm_names *n)
{
	size_t i;

	fputs("IPVS connection entries\n", f);
	if (fmt & ADM_FMT_PERSISTENTCONN)
		fprintf(f, "pro expire %-11s %-18s %-18s %-18s %-16s %s\n",
			"state", "source", "virtual", "destination", "pe name",
			"pe_data");
	else
		fprintf(f, "pro expire %-11s %-18s %-18s %s\n", "state",
			"source", "virtual", "destination");
	for (i = 0; i < conns->n; i++)
		conn_line(f, &conns->conn[i], fmt, n);
}

void adm_format_timeout(FILE *f, const struct nflvs_ctl_timeout *t)
{
	fprintf(f, "Timeout (tcp tcpfin udp): %d %d %d\n", (int)t->tcp,
		(int)t->tcp_fin, (int)t->udp);
}

/* The group as ipvsadm prints it; "" when none is set. */
static const char *daemon_group(const struct nflvs_ctl_daemon *d, char *buf,
				size_t len)
{
	if (!d->mcast_family ||
	    !inet_ntop(d->mcast_family, d->mcast_group, buf, len))
		return "";
	return buf;
}

void adm_format_daemons(FILE *f, const struct nflvs_ctl_daemon *d, size_t n)
{
	char group[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < n; i++) {
		fprintf(f, "%s sync daemon (mcast=%s, syncid=%u",
			d[i].state == NFLVS_CTL_DAEMON_MASTER ? "master" : "backup",
			d[i].mcast_ifn, d[i].syncid);
		if (d[i].sync_maxlen)
			fprintf(f, ", maxlen=%u", d[i].sync_maxlen);
		if (*daemon_group(&d[i], group, sizeof(group)))
			fprintf(f, ", group=%s", group);
		if (d[i].mcast_port)
			fprintf(f, ", port=%u", d[i].mcast_port);
		if (d[i].mcast_ttl)
			fprintf(f, ", ttl=%u", d[i].mcast_ttl);
		fputs(")\n", f);
	}
}

/* JSON ------------------------------------------------------------------- */

#define JSON_DEPTH	16

struct json {
	FILE *f;
	int depth;
	bool any[JSON_DEPTH];		/* a member written at this depth */
};

/* Bytes of the UTF-8 sequence at @p, 0 if it is not a valid one. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;
	uint32_t cp;

	if (*p < 0x80)
		return 1;
	n = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
	    (*p & 0xf8) == 0xf0 ? 4 : 0;
	if (!n)
		return 0;
	cp = *p & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void j_quote(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p) {
		n = utf8_len(p);
		if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		if (!n)
			fputs("\\ufffd", f);
		else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
		p++;
	}
	fputc('"', f);
}

static void j_indent(struct json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Start a member (@key in an object, NULL in an array or at the top). */
static void j_member(struct json *j, const char *key)
{
	if (j->depth == 0)
		return;
	if (j->any[j->depth])
		fputc(',', j->f);
	j->any[j->depth] = true;
	j_indent(j);
	if (key) {
		j_quote(j->f, key);
		fputs(": ", j->f);
	}
}

static void j_open(struct json *j, const char *key, char c)
{
	j_member(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_DEPTH - 1)
		j->depth++;
	j->any[j->depth] = false;
}

static void j_close(struct json *j, char c)
{
	bool any = j->any[j->depth];

	j->depth--;
	if (any)
		j_indent(j);
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

static void j_str(struct json *j, const char *key, const char *v)
{
	j_member(j, key);
	if (v)
		j_quote(j->f, v);
	else
		fputs("null", j->f);
}

static void j_u64(struct json *j, const char *key, uint64_t v)
{
	j_member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

static void j_i64(struct json *j, const char *key, int64_t v)
{
	j_member(j, key);
	fprintf(j->f, "%" PRId64, v);
}

static void j_bool(struct json *j, const char *key, bool v)
{
	j_member(j, key);
	fputs(v ? "true" : "false", j->f);
}

static const char *family_name(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "?";
}

static const char *proto_lower(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" :
	       proto == IPPROTO_SCTP ? "sctp" : NULL;
}

static const char *fwd_json(uint8_t fwd)
{
	return fwd == NFLVS_CTL_FWD_LOCAL ? "local" : fwd_name(fwd);
}

static void j_stats(struct json *j, const struct nflvs_ctl_stats *s)
{
	j_open(j, "stats", '{');
	j_u64(j, "conns", s->conns);
	j_u64(j, "inpkts", s->inpkts);
	j_u64(j, "outpkts", s->outpkts);
	j_u64(j, "inbytes", s->inbytes);
	j_u64(j, "outbytes", s->outbytes);
	j_u64(j, "cps", s->cps);
	j_u64(j, "inpps", s->inpps);
	j_u64(j, "outpps", s->outpps);
	j_u64(j, "inbps", s->inbps);
	j_u64(j, "outbps", s->outbps);
	j_close(j, '}');
}

static void j_addr(struct json *j, const char *key, int family,
		   const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];

	j_str(j, key, numeric_host(family, addr, buf, sizeof(buf)));
}

static void j_tunnel(struct json *j, const struct nflvs_ctl_dest *d)
{
	if (d->fwd != NFLVS_CTL_FWD_TUN || d->tun_type > NFLVS_CTL_TUN_GRE) {
		j_str(j, "tunnel", NULL);
		return;
	}
	j_open(j, "tunnel", '{');
	j_str(j, "type", tun_name(d->tun_type));
	j_u64(j, "port", d->tun_port);
	j_bool(j, "csum", d->tun_flags & NFLVS_CTL_TUN_F_CSUM);
	j_bool(j, "remcsum", d->tun_flags & NFLVS_CTL_TUN_F_REMCSUM);
	j_close(j, '}');
}

static const char *health_name(uint32_t h)
{
	return h == NFLVS_RS_UP ? "up" : h == NFLVS_RS_DOWN ? "down" :
	       "unknown";
}

static void j_dest(struct json *j, const struct nflvs_ctl_dest *d)
{
	j_open(j, NULL, '{');
	j_u64(j, "id", d->id);
	j_str(j, "family", family_name(d->family));
	j_addr(j, "address", d->family, d->addr);
	j_u64(j, "port", d->port);
	j_str(j, "forward", fwd_json(d->fwd));
	j_tunnel(j, d);
	j_i64(j, "weight", d->weight);
	j_i64(j, "effective_weight", d->eff_weight);
	j_u64(j, "u_threshold", d->u_threshold);
	j_u64(j, "l_threshold", d->l_threshold);
	j_u64(j, "active_conns", d->activeconns);
	j_u64(j, "inactive_conns", d->inactconns);
	j_u64(j, "persistent_conns", d->persistconns);
	j_str(j, "health", health_name(d->health));
	j_str(j, "last_error", d->last_error);
	j_u64(j, "latency_us", d->latency_us);
	j_bool(j, "overloaded", d->flags & NFLVS_RS_F_OVERLOAD);
	j_bool(j, "draining", d->flags & NFLVS_RS_F_DRAINING);
	j_stats(j, &d->stats);
	j_close(j, '}');
}

static void j_sched_flags(struct json *j, const struct nflvs_ctl_svc *s)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} flags[] = {
		{ SCHED_F_SH_PORT, "sh-port" },
		{ SCHED_F_SH_FALLBACK, "sh-fallback" },
		{ SCHED_F_MH_PORT, "mh-port" },
		{ SCHED_F_MH_FALLBACK, "mh-fallback" },
	};
	size_t i;

	j_open(j, "sched_flags", '[');
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (s->sched_flags & flags[i].bit)
			j_str(j, NULL, flags[i].name);
	j_close(j, ']');
}

static void j_svc(struct json *j, const struct adm_svc *a)
{
	const struct nflvs_ctl_svc *s = &a->svc;
	size_t i;

	j_open(j, NULL, '{');
	j_u64(j, "id", s->id);
	j_str(j, "name", s->name);
	j_str(j, "family", family_name(s->family));
	j_u64(j, "fwmark", s->fwmark);
	j_str(j, "protocol", s->fwmark ? NULL : proto_lower(s->protocol));
	if (s->fwmark)
		j_str(j, "address", NULL);
	else
		j_addr(j, "address", s->family, s->addr);
	j_u64(j, "port", s->port);
	j_str(j, "scheduler", s->sched);
	j_sched_flags(j, s);
	j_bool(j, "persistent", s->flags & NFLVS_CTL_SVC_F_PERSISTENT);
	j_u64(j, "persistence_timeout", s->timeout);
	j_u64(j, "persistence_netmask", s->netmask);
	j_bool(j, "one_packet", s->flags & NFLVS_CTL_SVC_F_ONEPACKET);
	j_bool(j, "down", s->down);
	j_stats(j, &s->stats);
	j_open(j, "real_servers", '[');
	for (i = 0; i < a->ndests; i++)
		j_dest(j, &a->dests[i]);
	j_close(j, ']');
	j_close(j, '}');
}

void adm_json_list(FILE *f, const struct nflvs_ctl_info *info,
		   const struct adm_list *list)
{
	struct json j = { .f = f };
	char v[16];
	size_t i;

	j_open(&j, NULL, '{');
	if (info) {
		snprintf(v, sizeof(v), "%u.%u.%u", (info->version >> 16) & 0xff,
			 (info->version >> 8) & 0xff, info->version & 0xff);
		j_str(&j, "version", v);
		j_u64(&j, "conn_tab_size", info->conn_tab_size);
		j_str(&j, "director", info->name);
	}
	j_open(&j, "services", '[');
	for (i = 0; i < list->n; i++)
		j_svc(&j, &list->svc[i]);
	j_close(&j, ']');
	j_close(&j, '}');
}

static void j_endpoint(struct json *j, const char *key, int family,
		       const uint8_t *addr, uint16_t port)
{
	j_open(j, key, '{');
	j_addr(j, "address", family, addr);
	j_u64(j, "port", port);
	j_close(j, '}');
}

void adm_json_conns(FILE *f, const struct adm_conns *conns)
{
	struct json j = { .f = f };
	size_t i;

	j_open(&j, NULL, '{');
	j_open(&j, "connections", '[');
	for (i = 0; i < conns->n; i++) {
		const struct nflvs_ctl_conn *c = &conns->conn[i];

		j_open(&j, NULL, '{');
		j_str(&j, "protocol", proto_lower(c->protocol));
		j_str(&j, "family", family_name(c->family));
		j_str(&j, "state", c->state);
		j_u64(&j, "expires", c->expires);
		j_str(&j, "forward", fwd_json(c->fwd));
		j_endpoint(&j, "client", c->family, c->caddr, c->cport);
		j_endpoint(&j, "virtual", c->family, c->vaddr, c->vport);
		j_endpoint(&j, "destination", c->family, c->daddr, c->dport);
		j_close(&j, '}');
	}
	j_close(&j, ']');
	j_close(&j, '}');
}

void adm_json_timeout(FILE *f, const struct nflvs_ctl_timeout *t)
{
	struct json j = { .f = f };

	j_open(&j, NULL, '{');
	j_u64(&j, "tcp", t->tcp);
	j_u64(&j, "tcp_fin", t->tcp_fin);
	j_u64(&j, "udp", t->udp);
	j_close(&j, '}');
}

void adm_json_daemons(FILE *f, const struct nflvs_ctl_daemon *d, size_t n)
{
	struct json j = { .f = f };
	char group[INET6_ADDRSTRLEN];
	size_t i;

	j_open(&j, NULL, '{');
	j_open(&j, "sync_daemons", '[');
	for (i = 0; i < n; i++) {
		j_open(&j, NULL, '{');
		j_str(&j, "state", d[i].state == NFLVS_CTL_DAEMON_MASTER ?
				   "master" : "backup");
		j_str(&j, "mcast_interface", d[i].mcast_ifn);
		j_u64(&j, "syncid", d[i].syncid);
		j_u64(&j, "sync_maxlen", d[i].sync_maxlen);
		j_str(&j, "group", daemon_group(&d[i], group, sizeof(group)));
		j_u64(&j, "port", d[i].mcast_port);
		j_u64(&j, "ttl", d[i].mcast_ttl);
		j_u64(&j, "sent_msgs", d[i].sent_msgs);
		j_u64(&j, "sent_entries", d[i].sent_entries);
		j_u64(&j, "recv_msgs", d[i].recv_msgs);
		j_u64(&j, "recv_entries", d[i].recv_entries);
		j_u64(&j, "dropped", d[i].dropped);
		j_u64(&j, "installed", d[i].installed);
		j_u64(&j, "unmatched", d[i].unmatched);
		j_close(&j, '}');
	}
	j_close(&j, ']');
	j_close(&j, '}');
}

/* Help, version, errors -------------------------------------------------- */

void adm_format_version(FILE *f)
{
	fputs("nflvsadm v" ADM_VERSION " (ipvsadm v1.31 syntax and output, "
	      "IPVS v1.2.1)\n", f);
}

/* "rr|wrr|...", "ipip|gue|gre": the lists of names.h, as ipvsadm's usage */
static void usage_lists(char *scheds, size_t slen, char *tuns, size_t tlen)
{
	size_t i, n = 0;

	scheds[0] = tuns[0] = '\0';
	for (i = 0; i < SCHEDULERS; i++)
		n += snprintf(scheds + n, n < slen ? slen - n : 0, "%s%s",
			      i ? "|" : "", sched_name(usage_order[i]));
	for (i = 0, n = 0; i < TUN_TYPES; i++)
		n += snprintf(tuns + n, n < tlen ? tlen - n : 0, "%s%s",
			      i ? "|" : "", tun_name(i));
}

void adm_format_usage(FILE *f, const char *p)
{
	char scheds[128], tuns[32];

	usage_lists(scheds, sizeof(scheds), tuns, sizeof(tuns));
	adm_format_version(f);
	fprintf(f,
		"Usage:\n"
		"  %s -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n"
		"  %s -D virtual-service\n"
		"  %s -C\n"
		"  %s -R\n"
		"  %s -S [-n]\n"
		"  %s -a|e virtual-service -r server-address [options]\n"
		"  %s -d virtual-service -r server-address\n"
		"  %s -L|l [virtual-service] [options]\n"
		"  %s -Z [virtual-service]\n"
		"  %s --set tcp tcpfin udp\n"
		"  %s --start-daemon {master|backup} [daemon-options]\n"
		"  %s --stop-daemon {master|backup}\n"
		"  %s --reload\n"
		"  %s --role {master|backup|takeover|fault}\n"
		"  %s --status\n"
		"  %s --check\n"
		"  %s -h\n\n",
		p, p, p, p, p, p, p, p, p, p, p, p, p, p, p, p, p);
	fputs("Commands:\n"
	      "Either long or short options are allowed.\n"
	      "  --add-service     -A        add virtual service with options\n"
	      "  --edit-service    -E        edit virtual service with options\n"
	      "  --delete-service  -D        delete virtual service\n"
	      "  --clear           -C        clear the whole table\n"
	      "  --restore         -R        restore rules from stdin\n"
	      "  --save            -S        save rules to stdout\n"
	      "  --add-server      -a        add real server with options\n"
	      "  --edit-server     -e        edit real server with options\n"
	      "  --delete-server   -d        delete real server\n"
	      "  --list            -L|-l     list the table\n"
	      "  --zero            -Z        zero counters in a service or all services\n"
	      "  --set tcp tcpfin udp        set connection timeout values\n"
	      "  --start-daemon              start connection sync daemon\n"
	      "  --stop-daemon               stop connection sync daemon\n"
	      "  --reload                    make the director re-read its configuration\n"
	      "  --role ROLE                 tell the director its role in a pair (keepalived's hooks)\n"
	      "  --status                    show the role, the mark table and the peer's verdict\n"
	      "  --check                     exit 0 while the director runs and applies its ruleset\n"
	      "  --help            -h        display this help message\n\n", f);
	fputs("virtual-service:\n"
	      "  --tcp-service|-t  service-address   service-address is host[:port]\n"
	      "  --udp-service|-u  service-address   service-address is host[:port]\n"
	      "  --sctp-service    service-address   service-address is host[:port]\n"
	      "  --fwmark-service|-f fwmark          fwmark is an integer greater than zero\n"
	      "\n", f);
	fprintf(f,
		"Options:\n"
		"  --ipv6         -6                   fwmark entry uses IPv6\n"
		"  --scheduler    -s scheduler         one of %s,\n"
		"                                      the default scheduler is %s.\n"
		"  --pe            engine              alternate persistence engine (none in nflvs)\n"
		"  --persistent   -p [timeout]         persistent service\n"
		"  --netmask      -M netmask           persistent granularity mask\n"
		"  --real-server  -r server-address    server-address is host (and port)\n"
		"  --gatewaying   -g                   gatewaying (direct routing) (default)\n"
		"  --ipip         -i                   ipip encapsulation (tunneling)\n"
		"  --masquerading -m                   masquerading (NAT)\n"
		"  --tun-type      type                one of %s,\n"
		"                                      the default tunnel type is %s.\n"
		"  --tun-port      port                tunnel destination port\n"
		"  --tun-nocsum                        tunnel encapsulation without checksum\n"
		"  --tun-csum                          tunnel encapsulation with checksum\n"
		"  --tun-remcsum                       tunnel encapsulation with remote checksum\n"
		"  --weight       -w weight            capacity of real server\n"
		"  --u-threshold  -x uthreshold        upper threshold of connections\n"
		"  --l-threshold  -y lthreshold        lower threshold of connections\n"
		"  --connection   -c                   output of current IPVS connections\n"
		"  --timeout                           output of timeout (tcp tcpfin udp)\n"
		"  --daemon                            output of daemon information\n"
		"  --stats                             output of statistics information\n"
		"  --rate                              output of rate information\n"
		"  --exact                             expand numbers (display exact values)\n"
		"  --thresholds                        output of thresholds information\n"
		"  --persistent-conn                   output of persistent connection info\n"
		"  --tun-info                          output of tunnel information\n"
		"  --nosort                            list in the director's order (default)\n"
		"  --sort                              sort as ipvsadm does\n"
		"  --ops          -o                   one-packet scheduling\n"
		"  --numeric      -n                   numeric output of addresses and ports\n"
		"  --sched-flags  -b flags             scheduler flags (comma-separated)\n"
		"  --json                              list as JSON, with health and weights\n"
		"  --socket PATH                       the director's socket (or $NFLVS_SOCKET,\n"
		"                                      default " NFLVS_CTL_SOCKET ")\n",
		scheds, ADM_DEF_SCHED, tuns, tun_name(TUN_IPIP));
	fputs("Daemon Options:\n"
	      "  --syncid sid                        syncid for connection sync (default=255)\n"
	      "  --sync-maxlen length                Max sync message length (default=1472)\n"
	      "  --mcast-interface interface         multicast interface for connection sync\n"
	      "  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)\n"
	      "  --mcast-port port                   UDP port (default=8848)\n"
	      "  --mcast-ttl ttl                     Multicast TTL (default=1)\n", f);
}

/* libipvs's ipvs_strerror() table; 0 = any command. */
static const struct {
	enum adm_cmd_type cmd;
	int err;
	const char *msg;
} errors[] = {
	{ ADM_CMD_ADD, EEXIST, "Service already exists" },
	{ ADM_CMD_ADD, ENOENT, "Scheduler or persistence engine not found" },
	{ ADM_CMD_EDIT, ESRCH, "No such service" },
	{ ADM_CMD_EDIT, ENOENT, "Scheduler or persistence engine not found" },
	{ ADM_CMD_DEL, ESRCH, "No such service" },
	{ ADM_CMD_ZERO, ESRCH, "No such service" },
	{ ADM_CMD_ADDDEST, ESRCH, "Service not defined" },
	{ ADM_CMD_ADDDEST, EEXIST, "Destination already exists" },
	{ ADM_CMD_EDITDEST, ESRCH, "Service not defined" },
	{ ADM_CMD_EDITDEST, ENOENT, "No such destination" },
	{ ADM_CMD_DELDEST, ESRCH, "Service not defined" },
	{ ADM_CMD_DELDEST, ENOENT, "No such destination" },
	{ ADM_CMD_STARTDAEMON, EEXIST, "Daemon has already run" },
	{ ADM_CMD_STOPDAEMON, ESRCH, "No daemon is running" },
	{ ADM_CMD_LIST, ESRCH, "No such service" },
	{ ADM_CMD_SAVE, ESRCH, "No such service" },
	{ ADM_CMD_NONE, EPERM, "Permission denied (you must be root)" },
	{ ADM_CMD_NONE, EINVAL, "Invalid operation.  Possibly wrong module "
	  "version, address not unicast, ..." },
	{ ADM_CMD_NONE, ENOPROTOOPT, "Protocol not available" },
	{ ADM_CMD_NONE, ENOMEM, "Memory allocation problem" },
	{ ADM_CMD_NONE, EOPNOTSUPP, "Operation not supported with IPv6" },
	{ ADM_CMD_NONE, EAFNOSUPPORT,
	  "Operation not supported with specified address family" },
	{ ADM_CMD_NONE, EMSGSIZE, "Module is wrong version" },
};

const char *adm_strerror(enum adm_cmd_type cmd, int err)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if ((errors[i].cmd == ADM_CMD_NONE || errors[i].cmd == cmd) &&
		    errors[i].err == err)
			return errors[i].msg;
	return strerror(err);
}
