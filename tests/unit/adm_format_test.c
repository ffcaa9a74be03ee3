// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm's output against fixed text.  The expected listings below were
 * produced by applying ipvsadm 1.31's printf formats (print_title(),
 * print_service_entry(), print_largenum(), print_conn()) to the same
 * values, independently of adm_format.c; keep the trailing blanks: ipvsadm
 * prints "%-10u\n".
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm_client.h"
#include "adm_format.h"
#include "adm_parse.h"
#include "config.h"
#include "nflvs/shm.h"

static const char want_ln[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	"TCP  10.0.2.15:80 wlc\n"
	"  -> 10.0.2.16:80                 Masq    1      0          0         \n"
	"  -> 10.0.2.17:8080               Masq    2      5          10        \n"
	"TCP  10.0.2.20:443 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0\n"
	"  -> 10.0.3.1:443                 Route   100    1234567    7654321   \n"
	"  -> 10.0.3.2:443                 Tunnel  0      0          0         \n"
	"  -> 127.0.0.1:443                Local   1      0          0         \n"
	"UDP  [2001:db8::53]:53 rr persistent 300 mask 64 ops\n"
	"  -> [2001:db8::a]:5353           Masq    1      0          0         \n"
	"FWM  7 wrr\n"
	"  -> 10.0.4.1:0                   Route   3      0          0         \n"
	"FWM  8 IPv6 mh (mh-port)\n"
	"  -> [2001:db8::b]:0              Tunnel  1      0          0         \n"
	"  -> [2001:db8::c]:0              Tunnel  1      0          0         \n";

static const char want_names[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	"TCP  www.example.com:http wlc\n"
	"  -> a-very-long-real-server-name Masq    1      0          0         \n"
	"  -> 10.0.2.17:8080               Masq    2      5          10        \n"
	"TCP  a-long-virtual-service-name. sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0\n"
	"  -> 10.0.3.1:https               Route   100    1234567    7654321   \n"
	"  -> 10.0.3.2:https               Tunnel  0      0          0         \n"
	"  -> 127.0.0.1:https              Local   1      0          0         \n"
	"UDP  [ns.example]:domain rr persistent 300 mask 64 ops\n"
	"  -> [2001:db8::a]:5353           Masq    1      0          0         \n"
	"FWM  7 wrr\n"
	"  -> 10.0.4.1:0                   Route   3      0          0         \n"
	"FWM  8 IPv6 mh (mh-port)\n"
	"  -> [2001:db8::b]:0              Tunnel  1      0          0         \n"
	"  -> [2001:db8::c]:0              Tunnel  1      0          0         \n";

/* --stats and --rate: the first service's counters move, the others' are 0 */
#define STATS_HEAD \
	"IP Virtual Server version 1.2.1 (size=4096)\n" \
	"Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n" \
	"  -> RemoteAddress:Port\n"
#define STATS_RS16 \
	"  -> 10.0.2.16:80                        1        2        3        4        5\n"
#define ZERO_ROWS \
	"  -> 10.0.2.17:8080                      0        0        0        0        0\n" \
	"TCP  10.0.2.20:443                       0        0        0        0        0\n" \
	"  -> 10.0.3.1:443                        0        0        0        0        0\n" \
	"  -> 10.0.3.2:443                        0        0        0        0        0\n" \
	"  -> 127.0.0.1:443                       0        0        0        0        0\n" \
	"UDP  [2001:db8::53]:53                   0        0        0        0        0\n" \
	"  -> [2001:db8::a]:5353                  0        0        0        0        0\n" \
	"FWM  7                                   0        0        0        0        0\n" \
	"  -> 10.0.4.1:0                          0        0        0        0        0\n" \
	"FWM  8 IPv6                              0        0        0        0        0\n" \
	"  -> [2001:db8::b]:0                     0        0        0        0        0\n" \
	"  -> [2001:db8::c]:0                     0        0        0        0        0\n"

static const char want_stats[] =
	STATS_HEAD
	"TCP  10.0.2.15:80                      123  100000K 99999999    1234G  123456T\n"
	STATS_RS16
	ZERO_ROWS;

static const char want_stats_exact[] =
	STATS_HEAD
	"TCP  10.0.2.15:80                      123 100000000 99999999 1234567890123 123456789012345678\n"
	STATS_RS16
	ZERO_ROWS;

static const char want_rate[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
	"  -> RemoteAddress:Port\n"
	"TCP  10.0.2.15:80                        5  999999K    1000M   99999M     100G\n"
	"  -> 10.0.2.16:80                 123456789        1        2  300000K        4\n"
	ZERO_ROWS;

static const char want_thresholds[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n"
	"  -> RemoteAddress:Port\n"
	"TCP  10.0.2.15:80 wlc\n"
	"  -> 10.0.2.16:80                 0          0          0          0         \n"
	"  -> 10.0.2.17:8080               100        50         5          10        \n"
	"TCP  10.0.2.20:443 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0\n"
	"  -> 10.0.3.1:443                 0          0          1234567    7654321   \n"
	"  -> 10.0.3.2:443                 0          0          0          0         \n"
	"  -> 127.0.0.1:443                0          0          0          0         \n"
	"UDP  [2001:db8::53]:53 rr persistent 300 mask 64 ops\n"
	"  -> [2001:db8::a]:5353           0          0          0          0         \n"
	"FWM  7 wrr\n"
	"  -> 10.0.4.1:0                   0          0          0          0         \n"
	"FWM  8 IPv6 mh (mh-port)\n"
	"  -> [2001:db8::b]:0              0          0          0          0         \n"
	"  -> [2001:db8::c]:0              0          0          0          0         \n";

static const char want_persistent_conn[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n"
	"  -> RemoteAddress:Port\n"
	"TCP  10.0.2.15:80 wlc\n"
	"  -> 10.0.2.16:80                 1         0           0          0         \n"
	"  -> 10.0.2.17:8080               2         7           5          10        \n"
	"TCP  10.0.2.20:443 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0\n"
	"  -> 10.0.3.1:443                 100       0           1234567    7654321   \n"
	"  -> 10.0.3.2:443                 0         0           0          0         \n"
	"  -> 127.0.0.1:443                1         0           0          0         \n"
	"UDP  [2001:db8::53]:53 rr persistent 300 mask 64 ops\n"
	"  -> [2001:db8::a]:5353           1         0           0          0         \n"
	"FWM  7 wrr\n"
	"  -> 10.0.4.1:0                   3         0           0          0         \n"
	"FWM  8 IPv6 mh (mh-port)\n"
	"  -> [2001:db8::b]:0              1         0           0          0         \n"
	"  -> [2001:db8::c]:0              1         0           0          0         \n";

static const char want_tun_info[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
	"TCP  10.0.2.15:80 wlc\n"
	"  -> 10.0.2.16:80                 Masq    n/a           1      0          0         \n"
	"  -> 10.0.2.17:8080               Masq    n/a           2      5          10        \n"
	"TCP  10.0.2.20:443 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0\n"
	"  -> 10.0.3.1:443                 Route   n/a           100    1234567    7654321   \n"
	"  -> 10.0.3.2:443                 Tunnel  gue:6080:+c   0      0          0         \n"
	"  -> 127.0.0.1:443                Local   n/a           1      0          0         \n"
	"UDP  [2001:db8::53]:53 rr persistent 300 mask 64 ops\n"
	"  -> [2001:db8::a]:5353           Masq    n/a           1      0          0         \n"
	"FWM  7 wrr\n"
	"  -> 10.0.4.1:0                   Route   n/a           3      0          0         \n"
	"FWM  8 IPv6 mh (mh-port)\n"
	"  -> [2001:db8::b]:0              Tunnel  gre:+c        1      0          0         \n"
	"  -> [2001:db8::c]:0              Tunnel  ipip          1      0          0         \n";

static const char want_save[] =
	"-A -t 10.0.2.15:80 -s wlc\n"
	"-a -t 10.0.2.15:80 -r 10.0.2.17:8080 -m -w 2\n"
	"-a -t 10.0.2.15:80 -r 10.0.2.16:80 -m -w 1\n"
	"-A -t 10.0.2.20:443 -s sh -p 600 -M 255.255.255.0 -b sh-fallback,sh-port\n"
	"-a -t 10.0.2.20:443 -r 127.0.0.1:443 -g -w 1\n"
	"-a -t 10.0.2.20:443 -r 10.0.3.2:443 -i -w 0 --tun-type gue --tun-port 6080 --tun-csum\n"
	"-a -t 10.0.2.20:443 -r 10.0.3.1:443 -g -w 100\n"
	"-A -u [2001:db8::53]:53 -s rr -p 300 -M 64 -o\n"
	"-a -u [2001:db8::53]:53 -r [2001:db8::a]:5353 -m -w 1\n"
	"-A -f 7 -s wrr\n"
	"-a -f 7 -r 10.0.4.1:0 -g -w 3\n"
	"-A -f 8 -6 -s mh -b mh-port\n"
	"-a -f 8 -6 -r [2001:db8::c]:0 -i -w 1 --tun-type ipip\n"
	"-a -f 8 -6 -r [2001:db8::b]:0 -i -w 1 --tun-type gre --tun-csum\n";

static const char want_save_names[] =
	"-A -t www.example.com:http -s wlc\n"
	"-a -t www.example.com:http -r 10.0.2.17:8080 -m -w 2\n"
	"-a -t www.example.com:http -r a-very-long-real-server-name.example.com:http -m -w 1\n"
	"-A -t a-long-virtual-service-name.example.org:https -s sh -p 600 -M 255.255.255.0 -b sh-fallback,sh-port\n"
	"-a -t a-long-virtual-service-name.example.org:https -r 127.0.0.1:https -g -w 1\n"
	"-a -t a-long-virtual-service-name.example.org:https -r 10.0.3.2:https -i -w 0 --tun-type gue --tun-port 6080 --tun-csum\n"
	"-a -t a-long-virtual-service-name.example.org:https -r 10.0.3.1:https -g -w 100\n"
	"-A -u [ns.example]:domain -s rr -p 300 -M 64 -o\n"
	"-a -u [ns.example]:domain -r [2001:db8::a]:5353 -m -w 1\n"
	"-A -f 7 -s wrr\n"
	"-a -f 7 -r 10.0.4.1:0 -g -w 3\n"
	"-A -f 8 -6 -s mh -b mh-port\n"
	"-a -f 8 -6 -r [2001:db8::c]:0 -i -w 1 --tun-type ipip\n"
	"-a -f 8 -6 -r [2001:db8::b]:0 -i -w 1 --tun-type gre --tun-csum\n";

static const char want_conns[] =
	"IPVS connection entries\n"
	"pro expire state       source             virtual            destination\n"
	"TCP 14:59  ESTABLISHED 192.0.2.100:50000  10.0.2.15:80       10.0.2.16:80\n"
	"UDP 100:00 UDP         [2001:db8::1]:5000 [2001:db8::53]:53  [2001:db8::a]:5353\n"
	"SCTP 00:05  ESTABLISHED 192.0.2.101:1      10.0.2.20:443      10.0.3.1:443\n";

static const char want_conns_pc[] =
	"IPVS connection entries\n"
	"pro expire state       source             virtual            destination        pe name          pe_data\n"
	"TCP 14:59  ESTABLISHED 192.0.2.100:50000  10.0.2.15:80       10.0.2.16:80\n"
	"UDP 100:00 UDP         [2001:db8::1]:5000 [2001:db8::53]:53  [2001:db8::a]:5353\n"
	"SCTP 00:05  ESTABLISHED 192.0.2.101:1      10.0.2.20:443      10.0.3.1:443\n";


/* Fixtures: the values gen.py used ----------------------------------------- */

static struct nflvs_ctl_dest dests[9];
static struct adm_svc svcs[5];
static struct adm_list list = { svcs, 5 };
static const struct nflvs_ctl_info info = {
	.version = 0x010201, .conn_tab_size = 4096, .nservices = 5,
	.name = "nflvs 0.1",
};

static struct nflvs_ctl_dest dest(int family, const char *addr,
				  uint16_t port, uint8_t fwd, int weight,
				  uint32_t act, uint32_t inact)
{
	struct nflvs_ctl_dest d = {
		.family = family, .port = port, .fwd = fwd, .weight = weight,
		.eff_weight = weight, .activeconns = act, .inactconns = inact,
		.health = NFLVS_RS_UP,
	};

	cr_assert_eq(inet_pton(family, addr, d.addr), 1);
	return d;
}

static struct nflvs_ctl_svc service(int family, int proto, const char *addr,
				    uint16_t port, const char *sched)
{
	struct nflvs_ctl_svc s = {
		.family = family, .protocol = proto, .port = port,
		.netmask = family == AF_INET6 ? 128 : 32,
	};

	snprintf(s.sched, sizeof(s.sched), "%s", sched);
	if (addr)
		cr_assert_eq(inet_pton(family, addr, s.addr), 1);
	return s;
}

static void fixtures(void)
{
	struct nflvs_ctl_stats *st;

	memset(svcs, 0, sizeof(svcs));
	svcs[0].svc = service(AF_INET, IPPROTO_TCP, "10.0.2.15", 80, "wlc");
	st = &svcs[0].svc.stats;
	*st = (struct nflvs_ctl_stats){
		.conns = 123, .inpkts = 100000000, .outpkts = 99999999,
		.inbytes = 1234567890123ULL, .outbytes = 123456789012345678ULL,
		.cps = 5, .inpps = 999999999, .outpps = 1000000000,
		.inbps = 99999999999ULL, .outbps = 100000000000ULL,
	};
	dests[0] = dest(AF_INET, "10.0.2.16", 80, NFLVS_CTL_FWD_NAT, 1, 0, 0);
	dests[0].stats = (struct nflvs_ctl_stats){
		.conns = 1, .inpkts = 2, .outpkts = 3, .inbytes = 4,
		.outbytes = 5, .cps = 123456789, .inpps = 1, .outpps = 2,
		.inbps = 300000000, .outbps = 4,
	};
	dests[1] = dest(AF_INET, "10.0.2.17", 8080, NFLVS_CTL_FWD_NAT, 2, 5,
			10);
	dests[1].u_threshold = 100;
	dests[1].l_threshold = 50;
	dests[1].persistconns = 7;
	svcs[0].dests = &dests[0];
	svcs[0].ndests = 2;

	svcs[1].svc = service(AF_INET, IPPROTO_TCP, "10.0.2.20", 443, "sh");
	svcs[1].svc.sched_flags = SCHED_F_SH_PORT | SCHED_F_SH_FALLBACK;
	svcs[1].svc.flags = NFLVS_CTL_SVC_F_PERSISTENT;
	svcs[1].svc.timeout = 600;
	svcs[1].svc.netmask = 24;
	dests[2] = dest(AF_INET, "10.0.3.1", 443, NFLVS_CTL_FWD_DR, 100,
			1234567, 7654321);
	dests[3] = dest(AF_INET, "10.0.3.2", 443, NFLVS_CTL_FWD_TUN, 0, 0, 0);
	dests[3].tun_type = NFLVS_CTL_TUN_GUE;
	dests[3].tun_port = 6080;
	dests[3].tun_flags = NFLVS_CTL_TUN_F_CSUM;
	dests[4] = dest(AF_INET, "127.0.0.1", 443, NFLVS_CTL_FWD_LOCAL, 1, 0,
			0);
	svcs[1].dests = &dests[2];
	svcs[1].ndests = 3;

	svcs[2].svc = service(AF_INET6, IPPROTO_UDP, "2001:db8::53", 53, "rr");
	svcs[2].svc.flags = NFLVS_CTL_SVC_F_PERSISTENT |
			    NFLVS_CTL_SVC_F_ONEPACKET;
	svcs[2].svc.timeout = 300;
	svcs[2].svc.netmask = 64;
	dests[5] = dest(AF_INET6, "2001:db8::a", 5353, NFLVS_CTL_FWD_NAT, 1,
			0, 0);
	svcs[2].dests = &dests[5];
	svcs[2].ndests = 1;

	svcs[3].svc = service(AF_INET, 0, NULL, 0, "wrr");
	svcs[3].svc.fwmark = 7;
	dests[6] = dest(AF_INET, "10.0.4.1", 0, NFLVS_CTL_FWD_DR, 3, 0, 0);
	svcs[3].dests = &dests[6];
	svcs[3].ndests = 1;

	svcs[4].svc = service(AF_INET6, 0, NULL, 0, "mh");
	svcs[4].svc.fwmark = 8;
	svcs[4].svc.sched_flags = SCHED_F_MH_PORT;
	dests[7] = dest(AF_INET6, "2001:db8::b", 0, NFLVS_CTL_FWD_TUN, 1, 0,
			0);
	dests[7].tun_type = NFLVS_CTL_TUN_GRE;
	dests[7].tun_flags = NFLVS_CTL_TUN_F_CSUM;
	dests[8] = dest(AF_INET6, "2001:db8::c", 0, NFLVS_CTL_FWD_TUN, 1, 0,
			0);
	svcs[4].dests = &dests[7];
	svcs[4].ndests = 2;
}

TestSuite(adm_format, .init = fixtures);

/* Names, as a resolver would give them (gen.py's names{}). */
static int fake_host(void *ctx, int family, const uint8_t *addr, char *buf,
		     size_t len)
{
	static const struct {
		int family;
		const char *addr, *name;
	} hosts[] = {
		{ AF_INET, "10.0.2.15", "www.example.com" },
		{ AF_INET, "10.0.2.16", "a-very-long-real-server-name.example.com" },
		{ AF_INET, "10.0.2.20", "a-long-virtual-service-name.example.org" },
		{ AF_INET6, "2001:db8::53", "ns.example" },
	};
	uint8_t a[16];
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		memset(a, 0, sizeof(a));
		inet_pton(hosts[i].family, hosts[i].addr, a);
		if (hosts[i].family == family &&
		    !memcmp(a, addr, family == AF_INET6 ? 16 : 4)) {
			snprintf(buf, len, "%s", hosts[i].name);
			return 0;
		}
	}
	return -1;
}

static int fake_service(void *ctx, uint16_t port, int proto, char *buf,
			size_t len)
{
	(void)ctx;
	if (port == 80 && proto == IPPROTO_TCP)
		snprintf(buf, len, "http");
	else if (port == 443 && proto == IPPROTO_TCP)
		snprintf(buf, len, "https");
	else if (port == 53 && proto == IPPROTO_UDP)
		snprintf(buf, len, "domain");
	else
		return -1;
	return 0;
}

static const struct adm_names names = {
	.host = fake_host, .service = fake_service,
};

/* Capture what a formatter writes. */
static char *out_buf;
static size_t out_len;

static FILE *out_open(void)
{
	FILE *f;

	free(out_buf);
	out_buf = NULL;
	f = open_memstream(&out_buf, &out_len);
	cr_assert_not_null(f);
	return f;
}

static const char *out_close(FILE *f)
{
	cr_assert_eq(fclose(f), 0);
	return out_buf;
}

static const char *listing(const struct nflvs_ctl_info *i, unsigned int fmt,
			   const struct adm_names *n)
{
	FILE *f = out_open();

	adm_format_list(f, i, &list, fmt, n);
	return out_close(f);
}

/* Listings ----------------------------------------------------------------- */

Test(adm_format, list_numeric)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC, NULL), want_ln);
}

/* Without -n names are asked for; no names at all means numbers. */
Test(adm_format, list_with_names)
{
	cr_expect_str_eq(listing(&info, 0, &names), want_names);
	cr_expect_str_eq(listing(&info, 0, NULL), want_ln);
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC, &names), want_ln);
}

Test(adm_format, list_stats)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC | ADM_FMT_STATS, NULL),
			 want_stats);
}

Test(adm_format, list_stats_exact)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC | ADM_FMT_STATS |
				 ADM_FMT_EXACT, NULL), want_stats_exact);
}

Test(adm_format, list_rate)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC | ADM_FMT_RATE, NULL),
			 want_rate);
}

/* ipvsadm lets --stats win over --rate, and both over the rest. */
Test(adm_format, list_format_precedence)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC | ADM_FMT_STATS |
				 ADM_FMT_RATE | ADM_FMT_THRESHOLDS, NULL),
			 want_stats);
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC | ADM_FMT_THRESHOLDS |
				 ADM_FMT_PERSISTENTCONN, NULL),
			 want_thresholds);
}

Test(adm_format, list_thresholds)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC | ADM_FMT_THRESHOLDS,
				 NULL), want_thresholds);
}

Test(adm_format, list_persistent_conn)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC |
				 ADM_FMT_PERSISTENTCONN, NULL),
			 want_persistent_conn);
}

Test(adm_format, list_tun_info)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_NUMERIC | ADM_FMT_TUN_INFO,
				 NULL), want_tun_info);
}

/* -L -t SERVICE: titles and the service, no version line. */
Test(adm_format, list_one_service)
{
	struct adm_list one = { &svcs[3], 1 };
	FILE *f = out_open();

	adm_format_list(f, NULL, &one, ADM_FMT_NUMERIC, NULL);
	cr_expect_str_eq(out_close(f),
		"Prot LocalAddress:Port Scheduler Flags\n"
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
		"FWM  7 wrr\n"
		"  -> 10.0.4.1:0                   Route   3      0          0         \n");
}

Test(adm_format, empty_table)
{
	struct adm_list none = { NULL, 0 };
	FILE *f = out_open();

	adm_format_list(f, &info, &none, ADM_FMT_NUMERIC, NULL);
	cr_expect_str_eq(out_close(f),
		"IP Virtual Server version 1.2.1 (size=4096)\n"
		"Prot LocalAddress:Port Scheduler Flags\n"
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
	f = out_open();
	adm_format_list(f, &info, &none, ADM_FMT_RULE, NULL);
	cr_expect_str_eq(out_close(f), "");
}

Test(adm_format, save)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_RULE | ADM_FMT_NUMERIC, NULL),
			 want_save);
	cr_expect_str_eq(listing(NULL, ADM_FMT_RULE | ADM_FMT_NUMERIC, NULL),
			 want_save);
}

Test(adm_format, save_with_names)
{
	cr_expect_str_eq(listing(&info, ADM_FMT_RULE, &names),
			 want_save_names);
}

/* ipvsadm builds "host:port" in 60 bytes: longer names are cut. */
static int long_host(void *ctx, int family, const uint8_t *addr, char *buf,
		     size_t len)
{
	(void)ctx;
	(void)family;
	(void)addr;
	snprintf(buf, len, "%s", "abcdefghij.abcdefghij.abcdefghij.abcdefghij."
		 "abcdefghij.abcdefghij.example");
	return 0;
}

Test(adm_format, names_cut_at_60_bytes)
{
	const struct adm_names n = { .host = long_host };
	struct adm_list one = { &svcs[3], 1 };
	FILE *f = out_open();

	adm_format_list(f, NULL, &one, ADM_FMT_RULE, &n);
	cr_expect_str_eq(out_close(f),
		"-A -f 7 -s wrr\n"
		"-a -f 7 -r abcdefghij.abcdefghij.abcdefghij.abcdefghij."
		"abcdefghij.abcd -g -w 3\n");
}

/* Numbers ------------------------------------------------------------------ */

static const char *number(uint64_t v, unsigned int fmt)
{
	FILE *f = out_open();

	adm_format_number(f, v, fmt);
	return out_close(f);
}

Test(adm_format, large_numbers)
{
	cr_expect_str_eq(number(0, 0), "        0");
	cr_expect_str_eq(number(99999999, 0), " 99999999");
	cr_expect_str_eq(number(100000000, 0), "  100000K");
	cr_expect_str_eq(number(999999999, 0), "  999999K");
	cr_expect_str_eq(number(1000000000, 0), "    1000M");
	cr_expect_str_eq(number(99999999999ULL, 0), "   99999M");
	cr_expect_str_eq(number(100000000000ULL, 0), "     100G");
	cr_expect_str_eq(number(99999999999999ULL, 0), "   99999G");
	cr_expect_str_eq(number(100000000000000ULL, 0), "     100T");
	cr_expect_str_eq(number(UINT64_MAX, 0), "18446744T");
	cr_expect_str_eq(number(123, ADM_FMT_EXACT), "      123");
	cr_expect_str_eq(number(12345678, ADM_FMT_EXACT), " 12345678");
	cr_expect_str_eq(number(123456789, ADM_FMT_EXACT), " 123456789");
	cr_expect_str_eq(number(UINT64_MAX, ADM_FMT_EXACT),
			 " 18446744073709551615");
}

/* Connections and timeouts ------------------------------------------------- */

static struct nflvs_ctl_conn conn(int proto, const char *state,
				  uint32_t expires, int family,
				  const char *c, uint16_t cp, const char *v,
				  uint16_t vp, const char *d, uint16_t dp)
{
	struct nflvs_ctl_conn x = {
		.family = family, .protocol = proto, .expires = expires,
		.cport = cp, .vport = vp, .dport = dp,
	};

	snprintf(x.state, sizeof(x.state), "%s", state);
	inet_pton(family, c, x.caddr);
	inet_pton(family, v, x.vaddr);
	inet_pton(family, d, x.daddr);
	return x;
}

static struct nflvs_ctl_conn conn_tab[3];
static struct adm_conns conns = { conn_tab, 3 };

static void conn_fixtures(void)
{
	conn_tab[0] = conn(IPPROTO_TCP, "ESTABLISHED", 899, AF_INET,
			   "192.0.2.100", 50000, "10.0.2.15", 80,
			   "10.0.2.16", 80);
	conn_tab[1] = conn(IPPROTO_UDP, "UDP", 6000, AF_INET6, "2001:db8::1",
			   5000, "2001:db8::53", 53, "2001:db8::a", 5353);
	conn_tab[2] = conn(IPPROTO_SCTP, "ESTABLISHED", 5, AF_INET,
			   "192.0.2.101", 1, "10.0.2.20", 443, "10.0.3.1", 443);
}

Test(adm_format, connections)
{
	FILE *f;

	conn_fixtures();
	f = out_open();
	adm_format_conns(f, &conns, ADM_FMT_NUMERIC, NULL);
	cr_expect_str_eq(out_close(f), want_conns);
	f = out_open();
	adm_format_conns(f, &conns, ADM_FMT_NUMERIC | ADM_FMT_PERSISTENTCONN,
			 NULL);
	cr_expect_str_eq(out_close(f), want_conns_pc);
}

Test(adm_format, connections_with_names)
{
	struct adm_conns one = { conn_tab, 1 };
	FILE *f;

	conn_fixtures();
	f = out_open();
	adm_format_conns(f, &one, 0, &names);
	cr_expect_str_eq(out_close(f),
		"IPVS connection entries\n"
		"pro expire state       source             virtual            destination\n"
		"TCP 14:59  ESTABLISHED 192.0.2.100:50000  www.example.com:http a-very-long-real-server-name.example.com:http\n");
}

Test(adm_format, timeouts)
{
	struct nflvs_ctl_timeout t = { 900, 120, 300 };
	FILE *f = out_open();

	adm_format_timeout(f, &t);
	cr_expect_str_eq(out_close(f), "Timeout (tcp tcpfin udp): 900 120 300\n");
}

/* Markers: after the last column, only when there is something to say. ---- */

Test(adm_format, markers)
{
	struct nflvs_ctl_dest d[7];
	struct adm_svc s = { .dests = d, .ndests = 7 };
	struct adm_list l = { &s, 1 };
	FILE *f;
	int i;

	s.svc = service(AF_INET, IPPROTO_TCP, "10.0.0.1", 80, "rr");
	s.svc.down = 1;
	for (i = 0; i < 7; i++)
		d[i] = dest(AF_INET, "10.0.1.1", 80 + i, NFLVS_CTL_FWD_NAT, 5,
			    i, 0);
	d[1].health = NFLVS_RS_DOWN;
	snprintf(d[1].last_error, sizeof(d[1].last_error), "HTTP 503");
	d[2].health = NFLVS_RS_DOWN;
	d[3].flags = NFLVS_RS_F_DRAINING;
	d[4].flags = NFLVS_RS_F_DRAINING;
	d[4].health = NFLVS_RS_DOWN;
	snprintf(d[4].last_error, sizeof(d[4].last_error),
		 "connect: Connection refused\n");
	d[5].eff_weight = 0;		/* quiesced by its check */
	d[6].eff_weight = -1;		/* "configured": nothing to say */
	d[6].health = NFLVS_RS_UNKNOWN;
	f = out_open();
	adm_format_list(f, NULL, &l, ADM_FMT_NUMERIC, NULL);
	cr_expect_str_eq(out_close(f),
		"Prot LocalAddress:Port Scheduler Flags\n"
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
		"TCP  10.0.0.1:80 rr down: below quorum\n"
		"  -> 10.0.1.1:80                  Masq    5      0          0         \n"
		"  -> 10.0.1.1:81                  Masq    5      1          0          down: HTTP 503\n"
		"  -> 10.0.1.1:82                  Masq    5      2          0          down\n"
		"  -> 10.0.1.1:83                  Masq    5      3          0          draining\n"
		"  -> 10.0.1.1:84                  Masq    5      4          0          draining, down: connect: Connection refused\n"
		"  -> 10.0.1.1:85                  Masq    5      5          0          weight 0\n"
		"  -> 10.0.1.1:86                  Masq    5      6          0         \n");
	f = out_open();
	s.ndests = 2;
	adm_format_list(f, NULL, &l, ADM_FMT_NUMERIC | ADM_FMT_STATS, NULL);
	cr_expect_str_eq(out_close(f),
		"Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
		"  -> RemoteAddress:Port\n"
		"TCP  10.0.0.1:80                         0        0        0        0        0 down: below quorum\n"
		"  -> 10.0.1.1:80                         0        0        0        0        0\n"
		"  -> 10.0.1.1:81                         0        0        0        0        0 down: HTTP 503\n");
	/* -S never carries them: it must restore */
	f = out_open();
	adm_format_list(f, NULL, &l, ADM_FMT_NUMERIC | ADM_FMT_RULE, NULL);
	cr_expect_str_eq(out_close(f),
		"-A -t 10.0.0.1:80 -s rr\n"
		"-a -t 10.0.0.1:80 -r 10.0.1.1:81 -m -w 5\n"
		"-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 5\n");
}

/* --sort ------------------------------------------------------------------- */

Test(adm_format, sort_as_ipvsadm)
{
	struct nflvs_ctl_dest d[3];
	struct adm_svc s[4];
	struct adm_list l = { s, 4 };
	FILE *f;

	memset(s, 0, sizeof(s));
	s[0].svc = service(AF_INET, IPPROTO_UDP, "10.0.0.1", 53, "rr");
	s[1].svc = service(AF_INET, 0, NULL, 0, "rr");
	s[1].svc.fwmark = 2;
	s[2].svc = service(AF_INET6, IPPROTO_TCP, "2001:db8::1", 80, "rr");
	s[3].svc = service(AF_INET, IPPROTO_TCP, "10.0.0.2", 80, "rr");
	d[0] = dest(AF_INET, "10.0.1.9", 80, NFLVS_CTL_FWD_NAT, 1, 0, 0);
	d[1] = dest(AF_INET, "10.0.1.10", 80, NFLVS_CTL_FWD_NAT, 1, 0, 0);
	d[2] = dest(AF_INET, "10.0.1.9", 79, NFLVS_CTL_FWD_NAT, 1, 0, 0);
	s[3].dests = d;
	s[3].ndests = 3;
	adm_list_sort(&l);
	f = out_open();
	adm_format_list(f, NULL, &l, ADM_FMT_NUMERIC | ADM_FMT_RULE | ADM_FMT_SORT,
			NULL);
	cr_expect_str_eq(out_close(f),
		"-A -t 10.0.0.2:80 -s rr\n"
		"-a -t 10.0.0.2:80 -r 10.0.1.9:79 -m -w 1\n"
		"-a -t 10.0.0.2:80 -r 10.0.1.9:80 -m -w 1\n"
		"-a -t 10.0.0.2:80 -r 10.0.1.10:80 -m -w 1\n"
		"-A -u 10.0.0.1:53 -s rr\n"
		"-A -t [2001:db8::1]:80 -s rr\n"
		"-A -f 2 -s rr\n");
}

/* --json ------------------------------------------------------------------- */

Test(adm_format, json_list)
{
	struct adm_list one = { &svcs[1], 1 };
	FILE *f;

	svcs[1].svc.id = 4;
	snprintf(svcs[1].svc.name, sizeof(svcs[1].svc.name), "tls");
	svcs[1].ndests = 2;
	dests[2].id = 9;
	dests[2].eff_weight = 50;
	dests[2].latency_us = 1234;
	dests[2].flags = NFLVS_RS_F_OVERLOAD;
	dests[2].stats.conns = 77;
	dests[3].health = NFLVS_RS_DOWN;
	snprintf(dests[3].last_error, sizeof(dests[3].last_error),
		 "HTTP 503");
	f = out_open();
	adm_json_list(f, &info, &one);
	cr_expect_str_eq(out_close(f),
		"{\n"
		"  \"version\": \"1.2.1\",\n"
		"  \"conn_tab_size\": 4096,\n"
		"  \"director\": \"nflvs 0.1\",\n"
		"  \"services\": [\n"
		"    {\n"
		"      \"id\": 4,\n"
		"      \"name\": \"tls\",\n"
		"      \"family\": \"ipv4\",\n"
		"      \"fwmark\": 0,\n"
		"      \"protocol\": \"tcp\",\n"
		"      \"address\": \"10.0.2.20\",\n"
		"      \"port\": 443,\n"
		"      \"scheduler\": \"sh\",\n"
		"      \"sched_flags\": [\n"
		"        \"sh-port\",\n"
		"        \"sh-fallback\"\n"
		"      ],\n"
		"      \"persistent\": true,\n"
		"      \"persistence_timeout\": 600,\n"
		"      \"persistence_netmask\": 24,\n"
		"      \"one_packet\": false,\n"
		"      \"down\": false,\n"
		"      \"stats\": {\n"
		"        \"conns\": 0,\n"
		"        \"inpkts\": 0,\n"
		"        \"outpkts\": 0,\n"
		"        \"inbytes\": 0,\n"
		"        \"outbytes\": 0,\n"
		"        \"cps\": 0,\n"
		"        \"inpps\": 0,\n"
		"        \"outpps\": 0,\n"
		"        \"inbps\": 0,\n"
		"        \"outbps\": 0\n"
		"      },\n"
		"      \"real_servers\": [\n"
		"        {\n"
		"          \"id\": 9,\n"
		"          \"family\": \"ipv4\",\n"
		"          \"address\": \"10.0.3.1\",\n"
		"          \"port\": 443,\n"
		"          \"forward\": \"dr\",\n"
		"          \"tunnel\": null,\n"
		"          \"weight\": 100,\n"
		"          \"effective_weight\": 50,\n"
		"          \"u_threshold\": 0,\n"
		"          \"l_threshold\": 0,\n"
		"          \"active_conns\": 1234567,\n"
		"          \"inactive_conns\": 7654321,\n"
		"          \"persistent_conns\": 0,\n"
		"          \"health\": \"up\",\n"
		"          \"last_error\": \"\",\n"
		"          \"latency_us\": 1234,\n"
		"          \"overloaded\": true,\n"
		"          \"draining\": false,\n"
		"          \"stats\": {\n"
		"            \"conns\": 77,\n"
		"            \"inpkts\": 0,\n"
		"            \"outpkts\": 0,\n"
		"            \"inbytes\": 0,\n"
		"            \"outbytes\": 0,\n"
		"            \"cps\": 0,\n"
		"            \"inpps\": 0,\n"
		"            \"outpps\": 0,\n"
		"            \"inbps\": 0,\n"
		"            \"outbps\": 0\n"
		"          }\n"
		"        },\n"
		"        {\n"
		"          \"id\": 0,\n"
		"          \"family\": \"ipv4\",\n"
		"          \"address\": \"10.0.3.2\",\n"
		"          \"port\": 443,\n"
		"          \"forward\": \"tun\",\n"
		"          \"tunnel\": {\n"
		"            \"type\": \"gue\",\n"
		"            \"port\": 6080,\n"
		"            \"csum\": true,\n"
		"            \"remcsum\": false\n"
		"          },\n"
		"          \"weight\": 0,\n"
		"          \"effective_weight\": 0,\n"
		"          \"u_threshold\": 0,\n"
		"          \"l_threshold\": 0,\n"
		"          \"active_conns\": 0,\n"
		"          \"inactive_conns\": 0,\n"
		"          \"persistent_conns\": 0,\n"
		"          \"health\": \"down\",\n"
		"          \"last_error\": \"HTTP 503\",\n"
		"          \"latency_us\": 0,\n"
		"          \"overloaded\": false,\n"
		"          \"draining\": false,\n"
		"          \"stats\": {\n"
		"            \"conns\": 0,\n"
		"            \"inpkts\": 0,\n"
		"            \"outpkts\": 0,\n"
		"            \"inbytes\": 0,\n"
		"            \"outbytes\": 0,\n"
		"            \"cps\": 0,\n"
		"            \"inpps\": 0,\n"
		"            \"outpps\": 0,\n"
		"            \"inbps\": 0,\n"
		"            \"outbps\": 0\n"
		"          }\n"
		"        }\n"
		"      ]\n"
		"    }\n"
		"  ]\n"
		"}\n");
}

Test(adm_format, json_fwmark_and_empty)
{
	struct adm_list none = { NULL, 0 };
	struct adm_list one = { &svcs[4], 1 };
	const char *o;
	FILE *f;

	f = out_open();
	adm_json_list(f, NULL, &none);
	cr_expect_str_eq(out_close(f), "{\n  \"services\": []\n}\n");
	svcs[4].ndests = 0;
	f = out_open();
	adm_json_list(f, NULL, &one);
	o = out_close(f);
	cr_expect(strstr(o, "\"family\": \"ipv6\",\n      \"fwmark\": 8,\n"
			 "      \"protocol\": null,\n      \"address\": null,\n"
			 "      \"port\": 0,\n"), "%s", o);
	cr_expect(strstr(o, "\"sched_flags\": [\n        \"mh-port\"\n"), "%s",
		  o);
	cr_expect(strstr(o, "\"real_servers\": []\n"), "%s", o);
}

/* Text from the outside (an HTTP check's error) stays valid JSON. */
Test(adm_format, json_escapes)
{
	struct adm_list one = { &svcs[2], 1 };
	const char *o;
	FILE *f;

	snprintf(dests[5].last_error, sizeof(dests[5].last_error),
		 "say \"hi\"\\ \t\x01 caf\xc3\xa9 bad\xff\xc3 \xed\xa0\x80!");
	f = out_open();
	adm_json_list(f, NULL, &one);
	o = out_close(f);
	cr_expect(strstr(o, "\"last_error\": \"say \\\"hi\\\"\\\\ \\t\\u0001 "
			 "caf\xc3\xa9 bad\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd!\""),
		  "%s", o);
}

Test(adm_format, json_connections_timeouts_daemons)
{
	struct adm_conns one = { conn_tab, 1 };
	struct nflvs_ctl_timeout t = { 900, 120, 300 };
	FILE *f;

	conn_fixtures();
	conn_tab[0].fwd = NFLVS_CTL_FWD_NAT;
	f = out_open();
	adm_json_conns(f, &one);
	cr_expect_str_eq(out_close(f),
		"{\n"
		"  \"connections\": [\n"
		"    {\n"
		"      \"protocol\": \"tcp\",\n"
		"      \"family\": \"ipv4\",\n"
		"      \"state\": \"ESTABLISHED\",\n"
		"      \"expires\": 899,\n"
		"      \"forward\": \"nat\",\n"
		"      \"client\": {\n"
		"        \"address\": \"192.0.2.100\",\n"
		"        \"port\": 50000\n"
		"      },\n"
		"      \"virtual\": {\n"
		"        \"address\": \"10.0.2.15\",\n"
		"        \"port\": 80\n"
		"      },\n"
		"      \"destination\": {\n"
		"        \"address\": \"10.0.2.16\",\n"
		"        \"port\": 80\n"
		"      }\n"
		"    }\n"
		"  ]\n"
		"}\n");
	f = out_open();
	adm_json_timeout(f, &t);
	cr_expect_str_eq(out_close(f), "{\n  \"tcp\": 900,\n  \"tcp_fin\": 120,"
			 "\n  \"udp\": 300\n}\n");
	f = out_open();
	adm_json_daemons(f, NULL, 0);
	cr_expect_str_eq(out_close(f), "{\n  \"sync_daemons\": []\n}\n");
}

/* ipvsadm 1.31's list_daemon(): what the kernel reports, defaults
 * filled in; an unset field is left out. */
Test(adm_format, daemons_as_ipvsadm)
{
	struct nflvs_ctl_daemon d[2] = {
		{ .state = NFLVS_CTL_DAEMON_MASTER, .mcast_ifn = "eth1",
		  .syncid = 7, .sync_maxlen = 1472, .mcast_family = AF_INET,
		  .mcast_port = 8848, .mcast_ttl = 1 },
		{ .state = NFLVS_CTL_DAEMON_BACKUP, .mcast_ifn = "bond0",
		  .syncid = 255 },
	};
	FILE *f;

	inet_pton(AF_INET, "224.0.0.81", d[0].mcast_group);
	f = out_open();
	adm_format_daemons(f, d, 2);
	cr_expect_str_eq(out_close(f),
		"master sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n"
		"backup sync daemon (mcast=bond0, syncid=255)\n");
	f = out_open();
	adm_format_daemons(f, d, 0);
	cr_expect_str_eq(out_close(f), "");
}

/* Errors, usage ------------------------------------------------------------ */

Test(adm_format, ipvsadm_error_messages)
{
	static const struct {
		enum adm_cmd_type cmd;
		int err;
		const char *msg;
	} t[] = {
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
		{ ADM_CMD_LIST, ESRCH, "No such service" },
		{ ADM_CMD_STARTDAEMON, EEXIST, "Daemon has already run" },
		{ ADM_CMD_STOPDAEMON, ESRCH, "No daemon is running" },
		{ ADM_CMD_ADD, EPERM, "Permission denied (you must be root)" },
		{ ADM_CMD_FLUSH, EINVAL, "Invalid operation.  Possibly wrong "
		  "module version, address not unicast, ..." },
		{ ADM_CMD_ADDDEST, ENOMEM, "Memory allocation problem" },
		{ ADM_CMD_TIMEOUT, ENOPROTOOPT, "Protocol not available" },
		{ ADM_CMD_ADD, EOPNOTSUPP, "Operation not supported with IPv6" },
		{ ADM_CMD_ADD, EAFNOSUPPORT,
		  "Operation not supported with specified address family" },
		{ ADM_CMD_ADD, EMSGSIZE, "Module is wrong version" },
		/* not in ipvsadm's table: strerror() */
		{ ADM_CMD_DEL, ENOENT, "No such file or directory" },
		{ ADM_CMD_ADD, ENOSPC, "No space left on device" },
		{ ADM_CMD_STARTDAEMON, EEXIST, "Daemon has already run" },
		{ ADM_CMD_STOPDAEMON, ESRCH, "No daemon is running" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_str_eq(adm_strerror(t[i].cmd, t[i].err), t[i].msg,
				 "%s / %d", adm_cmd_name(t[i].cmd), t[i].err);
}

Test(adm_format, usage_and_version)
{
	const char *head = "nflvsadm v" ADM_VERSION " (ipvsadm v1.31 syntax "
			   "and output, IPVS v1.2.1)\n";
	const char *o;
	FILE *f = out_open();

	adm_format_usage(f, "/sbin/nflvsadm");
	o = out_close(f);
	cr_expect(!strncmp(o, head, strlen(head)), "%s", o);
	cr_expect(strstr(o, "Usage:\n  /sbin/nflvsadm -A|E virtual-service "));
	cr_expect(strstr(o, "  /sbin/nflvsadm --reload\n"));
	cr_expect(strstr(o, "  --json "));
	cr_expect(strstr(o, "  --socket PATH "));
	f = out_open();
	adm_format_version(f);
	cr_expect_str_eq(out_close(f), head);
}

/* Replies to structs ------------------------------------------------------- */

Test(adm_format, list_parse_checks_lengths)
{
	const size_t ssz = sizeof(struct nflvs_ctl_svc);
	const size_t dsz = sizeof(struct nflvs_ctl_dest);
	uint8_t buf[2 * sizeof(struct nflvs_ctl_svc) +
		    2 * sizeof(struct nflvs_ctl_dest)];
	struct nflvs_ctl_svc s = svcs[0].svc;
	struct nflvs_ctl_dest d = dests[0];
	struct adm_list l;

	s.ndests = 2;
	memset(s.name, 'x', sizeof(s.name));	/* unterminated */
	memset(d.last_error, 'y', sizeof(d.last_error));
	memcpy(buf, &s, ssz);
	memcpy(buf + ssz, &d, dsz);
	memcpy(buf + ssz + dsz, &d, dsz);
	s.ndests = 0;
	memcpy(buf + ssz + 2 * dsz, &s, ssz);
	cr_assert_eq(adm_list_parse(buf, sizeof(buf), &l), 0);
	cr_expect_eq(l.n, 2);
	cr_expect_eq(l.svc[0].ndests, 2);
	cr_expect_eq(l.svc[1].ndests, 0);
	cr_expect_eq(strlen(l.svc[0].svc.name), sizeof(s.name) - 1);
	cr_expect_eq(strlen(l.svc[0].dests[1].last_error),
		     sizeof(d.last_error) - 1);
	adm_list_free(&l);
	cr_expect_eq(adm_list_parse(buf, 0, &l), 0);
	cr_expect_eq(l.n, 0);
	cr_expect_eq(adm_list_parse(buf, ssz - 1, &l), -EPROTO);
	cr_expect_eq(adm_list_parse(buf, ssz + dsz, &l), -EPROTO);
	cr_expect_eq(adm_list_parse(buf, sizeof(buf) - 1, &l), -EPROTO);
	s.ndests = 0xffffffff;		/* must not overflow */
	memcpy(buf, &s, ssz);
	cr_expect_eq(adm_list_parse(buf, sizeof(buf), &l), -EPROTO);
}

Test(adm_format, conns_parse_checks_lengths)
{
	struct nflvs_ctl_conn c[2];
	struct adm_conns got;

	memset(c, 'z', sizeof(c));
	cr_assert_eq(adm_conns_parse(c, sizeof(c), &got), 0);
	cr_expect_eq(got.n, 2);
	cr_expect_eq(strlen(got.conn[1].state), sizeof(c[1].state) - 1);
	adm_conns_free(&got);
	cr_expect_eq(adm_conns_parse(c, sizeof(c) - 1, &got), -EPROTO);
}

/* No connections: an empty payload, whose buffer may be NULL (UBSan saw a
 * memcpy from NULL here). */
Test(adm_format, conns_parse_nothing_from_null)
{
	struct adm_conns got;

	cr_assert_eq(adm_conns_parse(NULL, 0, &got), 0);
	cr_expect_eq(got.n, 0);
	adm_conns_free(&got);
}
