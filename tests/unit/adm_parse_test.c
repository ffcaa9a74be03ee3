// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm's command line against ipvsadm 1.31's rules: every command and
 * option, the defaults, the combinations it refuses with its messages and
 * exit statuses, -R lines, and -S output parsed back into the same structs.
 * Names go through a fake lookup, so nothing here touches the network.
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

static struct adm_cmd cmd;
static struct adm_error err;

static int fake_host(void *ctx, const char *name, struct in_addr *a)
{
	(void)ctx;
	if (!strcmp(name, "www.example.com"))
		return inet_pton(AF_INET, "192.0.2.10", a) == 1 ? 0 : -EINVAL;
	if (!strcmp(name, "localhost"))
		return inet_pton(AF_INET, "127.0.0.1", a) == 1 ? 0 : -EINVAL;
	return -ENOENT;
}

static int fake_service(void *ctx, const char *name, int proto)
{
	(void)ctx;
	if (!strcmp(name, "http") && proto == IPPROTO_TCP)
		return 80;
	if (!strcmp(name, "domain") && proto == IPPROTO_UDP)
		return 53;
	return -1;
}

static const struct adm_lookup lookup = {
	.host = fake_host, .service = fake_service,
};

/* Parse @line (words split on blanks) as the arguments of ipvsadm. */
static int parse_flags(const char *line, unsigned int flags)
{
	char **argv;
	int argc = adm_split_line(line, "ipvsadm", &argv), r;

	cr_assert_gt(argc, 0);
	r = adm_parse(argc, argv, &lookup, flags, &cmd, &err);
	adm_argv_free(argv);
	return r;
}

static int parse(const char *line)
{
	return parse_flags(line, 0);
}

#define OK(line) \
	cr_assert_eq(parse(line), 0, "%s: %s", (line), err.msg)

#define FAILS(line, st, text) do {					\
	cr_expect_eq(parse(line), -EINVAL, "%s: accepted", (line));	\
	cr_expect_eq(err.status, (st), "%s", (line));			\
	cr_expect_str_eq(err.msg, (text), "%s", (line));		\
	cr_expect_not(err.tryhelp, "%s", (line));			\
} while (0)

#define TRYHELP(line) do {						\
	cr_expect_eq(parse(line), -EINVAL, "%s: accepted", (line));	\
	cr_expect_eq(err.status, 255, "%s", (line));			\
	cr_expect(err.tryhelp, "%s: %s", (line), err.msg);		\
} while (0)

static void expect_addr(const uint8_t *got, int family, const char *want)
{
	uint8_t a[16] = { 0 };

	cr_assert_eq(inet_pton(family, want, a), 1);
	cr_expect_eq(memcmp(got, a, 16), 0, "address is not %s", want);
}

/* Services ---------------------------------------------------------------- */

Test(adm_parse, add_service_defaults)
{
	OK("-A -t 10.0.0.1:80");
	cr_expect_eq(cmd.type, ADM_CMD_ADD);
	cr_expect_eq(cmd.svc.family, AF_INET);
	cr_expect_eq(cmd.svc.protocol, IPPROTO_TCP);
	expect_addr(cmd.svc.addr, AF_INET, "10.0.0.1");
	cr_expect_eq(cmd.svc.port, 80);
	cr_expect_eq(cmd.svc.fwmark, 0);
	cr_expect_str_eq(cmd.svc.sched, "wlc");
	cr_expect_eq(cmd.svc.flags, 0);
	cr_expect_eq(cmd.svc.timeout, 0);
	cr_expect_eq(cmd.svc.netmask, 32);
	cr_expect_eq(cmd.svc.sched_flags, 0);
	cr_expect_eq(cmd.opts, ADM_OPT(ADM_OPT_SERVICE));
	cr_expect_eq(cmd.fmt, 0);
	cr_expect_str_eq(cmd.socket, "");
}

Test(adm_parse, add_service_every_option)
{
	OK("-A -t 10.0.0.1:443 -s sh -b sh-fallback,sh-port -p 600 "
	   "-M 255.255.255.0");
	cr_expect_str_eq(cmd.svc.sched, "sh");
	cr_expect_eq(cmd.svc.sched_flags,
		     SCHED_F_SH_FALLBACK | SCHED_F_SH_PORT);
	cr_expect_eq(cmd.svc.flags, NFLVS_CTL_SVC_F_PERSISTENT);
	cr_expect_eq(cmd.svc.timeout, 600);
	cr_expect_eq(cmd.svc.netmask, 24);
	OK("-A -u 10.0.0.1:53 -s rr -p -o");
	cr_expect_eq(cmd.svc.protocol, IPPROTO_UDP);
	cr_expect_eq(cmd.svc.timeout, ADM_DEF_PERSISTENT);
	cr_expect_eq(cmd.svc.flags, NFLVS_CTL_SVC_F_PERSISTENT |
		     NFLVS_CTL_SVC_F_ONEPACKET);
	OK("-A --sctp-service [2001:db8::1]:80 -s mh -b mh-port,mh-fallback");
	cr_expect_eq(cmd.svc.protocol, IPPROTO_SCTP);
	cr_expect_eq(cmd.svc.family, AF_INET6);
	expect_addr(cmd.svc.addr, AF_INET6, "2001:db8::1");
	cr_expect_eq(cmd.svc.netmask, 128);
	cr_expect_eq(cmd.svc.sched_flags,
		     SCHED_F_MH_PORT | SCHED_F_MH_FALLBACK);
	OK("-A -t 10.0.0.1:80 --pe sip");
	cr_expect_str_eq(cmd.pe, "sip");
	OK("-A -t 10.0.0.1:80 -s averyveryverylongscheduler");
	cr_expect_str_eq(cmd.svc.sched, "averyveryverylo");
}

Test(adm_parse, long_options_and_glued_values)
{
	OK("--add-service --tcp-service 10.0.0.1:80 --scheduler rr "
	   "--persistent 60 --netmask 255.255.0.0");
	cr_expect_str_eq(cmd.svc.sched, "rr");
	cr_expect_eq(cmd.svc.timeout, 60);
	cr_expect_eq(cmd.svc.netmask, 16);
	OK("-A --tcp-service=10.0.0.1:80 --persistent=90 -srr");
	cr_expect_eq(cmd.svc.timeout, 90);
	cr_expect_str_eq(cmd.svc.sched, "rr");
	OK("-At10.0.0.1:80 -p120");
	cr_expect_eq(cmd.svc.port, 80);
	cr_expect_eq(cmd.svc.timeout, 120);
	OK("-A -t 10.0.0.1:80 -p=30");
	cr_expect_eq(cmd.svc.timeout, 30);
}

/* -p's value is optional: a word starting with '-' is the next option. */
Test(adm_parse, persistent_without_a_value)
{
	OK("-A -t 10.0.0.1:80 -p -s rr");
	cr_expect_eq(cmd.svc.timeout, 300);
	cr_expect_str_eq(cmd.svc.sched, "rr");
	OK("-A -t 10.0.0.1:80 -p");
	cr_expect_eq(cmd.svc.timeout, 300);
	OK("-A -t 10.0.0.1:80 -p 2678400");
	cr_expect_eq(cmd.svc.timeout, 2678400);
	FAILS("-A -t 10.0.0.1:80 -p 0", 2,
	      "invalid timeout value `0' specified");
	FAILS("-A -t 10.0.0.1:80 -p 2678401", 2,
	      "invalid timeout value `2678401' specified");
	FAILS("-A -t 10.0.0.1:80 -p 5m", 2,
	      "invalid timeout value `5m' specified");
}

Test(adm_parse, port_zero_and_bare_addresses)
{
	FAILS("-A -t 10.0.0.1", 2,
	      "Zero port specified for non-persistent service");
	FAILS("-A -t 10.0.0.1:0", 2,
	      "Zero port specified for non-persistent service");
	OK("-A -t 10.0.0.1 -p");
	cr_expect_eq(cmd.svc.port, 0);
	OK("-A -t 2001:db8::5 -p");	/* IPv6 without brackets: no port */
	cr_expect_eq(cmd.svc.family, AF_INET6);
	cr_expect_eq(cmd.svc.port, 0);
	OK("-A -t 10.1:80");		/* inet_aton(), as ipvsadm */
	expect_addr(cmd.svc.addr, AF_INET, "10.0.0.1");
}

Test(adm_parse, fwmark_services)
{
	OK("-A -f 7 -s rr");
	cr_expect_eq(cmd.svc.fwmark, 7);
	cr_expect_eq(cmd.svc.family, AF_INET);
	cr_expect_eq(cmd.svc.protocol, 0);
	cr_expect_eq(cmd.svc.port, 0);
	cr_expect_eq(cmd.svc.netmask, 32);
	OK("-A -f 4294967295 -6 -p -M 64");
	cr_expect_eq(cmd.svc.fwmark, 4294967295U);
	cr_expect_eq(cmd.svc.family, AF_INET6);
	cr_expect_eq(cmd.svc.netmask, 64);
	OK("-A -f 1 --ipv6");
	cr_expect_eq(cmd.svc.netmask, 128);
	FAILS("-A -6 -f 1", 2, "-6 used before -f\n");
	FAILS("-A -f 0", 2, "invalid fwmark value `0' specified");
	FAILS("-A -f -3", 2, "invalid fwmark value `-3' specified");
	FAILS("-A -f 4294967296", 2,
	      "invalid fwmark value `4294967296' specified");
	FAILS("-A -f 0x10", 2, "invalid fwmark value `0x10' specified");
	FAILS("-A -f 1 -t 10.0.0.1:80", 2,
	      "multiple 'service-address' options specified");
	OK("-A -f 3 -o");		/* one-packet: UDP or fwmark */
}

Test(adm_parse, names_of_hosts_and_services)
{
	OK("-A -t www.example.com:http");
	expect_addr(cmd.svc.addr, AF_INET, "192.0.2.10");
	cr_expect_eq(cmd.svc.port, 80);
	OK("-A -u localhost:domain");
	expect_addr(cmd.svc.addr, AF_INET, "127.0.0.1");
	cr_expect_eq(cmd.svc.port, 53);
	FAILS("-A -t localhost:domain", 2,	/* a UDP name for TCP */
	      "illegal virtual server address[:port] specified");
	FAILS("-A -t nosuch.example:80", 2,
	      "illegal virtual server address[:port] specified");
	OK("-a -t 10.0.0.1:http -r www.example.com -m");
	expect_addr(cmd.dest.addr, AF_INET, "192.0.2.10");
	cr_expect_eq(cmd.dest.port, 80);
}

Test(adm_parse, bad_service_addresses)
{
	static const char *const bad[] = {
		"80", "10.0.0.1:65536", "10.0.0.1:", "10.0.0.1:-1",
		"[2001:db8::1]80", "[2001:db8::1]", "[10.0.0.1]:80",
		"[2001:db8::1:80", "300.0.0.1:80", "10.0.0.1:80x", "",
	};
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "ipvsadm", "-A", "-t", (char *)bad[i], NULL };

		snprintf(line, sizeof(line), "-A -t '%s'", bad[i]);
		cr_expect_eq(adm_parse(4, argv, &lookup, 0, &cmd, &err),
			     -EINVAL, "%s accepted", line);
		cr_expect_str_eq(err.msg, "illegal virtual server "
				 "address[:port] specified", "%s", line);
		cr_expect_eq(err.status, 2);
	}
}

Test(adm_parse, edit_and_delete_service)
{
	OK("-E -t 10.0.0.1:80");
	cr_expect_eq(cmd.type, ADM_CMD_EDIT);
	cr_expect_str_eq(cmd.svc.sched, "wlc");	/* -E resets, as ipvsadm */
	OK("-D -t 10.0.0.1:80");
	cr_expect_eq(cmd.type, ADM_CMD_DEL);
	cr_expect_str_eq(cmd.svc.sched, "");
	OK("-D -t 10.0.0.1");		/* no zero-port check for -D */
	FAILS("-D -t 10.0.0.1:80 -s rr", 2,
	      "Illegal 'scheduler' option with the 'delete-service' command");
	FAILS("-D", 2, "You need to supply the 'service-address' option for "
	      "the 'delete-service' command");
	FAILS("-E -t 10.0.0.1:80 -w 3", 2,
	      "Illegal 'weight' option with the 'edit-service' command");
}

Test(adm_parse, service_option_errors)
{
	FAILS("-A -t 10.0.0.1:80 -o", 2,
	      "One-Packet Scheduling is only for UDP virtual services");
	FAILS("-A -t 10.0.0.1:80 -b sh-port", 2,
	      "incompatible scheduler flag `sh-port'");
	FAILS("-A -t 10.0.0.1:80 -s mh -b sh-port", 2,
	      "incompatible scheduler flag `sh-port'");
	FAILS("-A -t 10.0.0.1:80 -s sh -b sh-port,bogus", 2,
	      "invalid scheduler flag `bogus'");
	FAILS("-A -t 10.0.0.1:80 -s sh -b ,", 2,
	      "invalid scheduler flag `,'");
	FAILS("-A -t 10.0.0.1:80 -b flag-1", 2,
	      "incompatible scheduler flag `flag-1'");
	FAILS("-A -t 10.0.0.1:80 -s sh -b flag-3", 2,
	      "incompatible scheduler flag `flag-3'");
	FAILS("-A -t 10.0.0.1:80 -s rr -s wrr", 2,
	      "multiple 'scheduler' options specified");
	FAILS("-A -t 10.0.0.1:80 -p -p", 2,
	      "multiple 'persistent' options specified");
	FAILS("-A -t 10.0.0.1:80 -r 10.0.0.2", 2,
	      "Illegal 'real-server' option with the 'add-service' command");
	FAILS("-A -s rr", 2, "You need to supply the 'service-address' option "
	      "for the 'add-service' command");
	OK("-A -t 10.0.0.1:80 -s sh -b flag-1,flag-2");
	cr_expect_eq(cmd.svc.sched_flags,
		     SCHED_F_SH_FALLBACK | SCHED_F_SH_PORT);
	OK("-A -t 10.0.0.1:80 -b mh-port -s mh");	/* -b before -s */
	cr_expect_eq(cmd.svc.sched_flags, SCHED_F_MH_PORT);
}

Test(adm_parse, netmasks)
{
	OK("-A -t 10.0.0.1:80 -p -M 255.255.255.255");
	cr_expect_eq(cmd.svc.netmask, 32);
	OK("-A -t 10.0.0.1:80 -p -M 255.255.240.0");
	cr_expect_eq(cmd.svc.netmask, 20);
	OK("-A -t 10.0.0.1:80 -p -M 0.0.0.0");
	cr_expect_eq(cmd.svc.netmask, 0);
	FAILS("-A -t 10.0.0.1:80 -p -M 255.0.255.0", 2,
	      "illegal virtual server persistent mask specified");
	FAILS("-A -t 10.0.0.1:80 -p -M nomask", 2,
	      "illegal virtual server persistent mask specified");
	OK("-A -t [2001:db8::1]:80 -p -M 48");
	cr_expect_eq(cmd.svc.netmask, 48);
	FAILS("-A -t [2001:db8::1]:80 -p -M 129", 2,
	      "illegal ipv6 netmask specified");
	FAILS("-A -t [2001:db8::1]:80 -p -M 0", 2,
	      "illegal ipv6 netmask specified");
	/* ipvsadm reads -M with the family known so far; an IPv6 service
	 * after it resets the mask to /128 */
	OK("-A -M 255.255.255.0 -t [2001:db8::1]:80 -p");
	cr_expect_eq(cmd.svc.netmask, 128);
}

/* Real servers ------------------------------------------------------------ */

Test(adm_parse, add_server_defaults)
{
	OK("-a -t 10.0.0.1:80 -r 10.0.0.2");
	cr_expect_eq(cmd.type, ADM_CMD_ADDDEST);
	cr_expect_eq(cmd.dest.family, AF_INET);
	expect_addr(cmd.dest.addr, AF_INET, "10.0.0.2");
	cr_expect_eq(cmd.dest.port, 80);
	cr_expect_eq(cmd.dest.fwd, NFLVS_CTL_FWD_DR);	/* -g by default */
	cr_expect_eq(cmd.dest.weight, 1);
	cr_expect_eq(cmd.dest.u_threshold, 0);
	cr_expect_eq(cmd.dest.l_threshold, 0);
	cr_expect_eq(cmd.dest.tun_type, NFLVS_CTL_TUN_IPIP);
	cr_expect_eq(cmd.dest.tun_port, 0);
	cr_expect_eq(cmd.dest.tun_flags, 0);
}

Test(adm_parse, add_server_every_option)
{
	OK("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5 -x 100 -y 50");
	cr_expect_eq(cmd.dest.fwd, NFLVS_CTL_FWD_NAT);
	cr_expect_eq(cmd.dest.port, 8080);
	cr_expect_eq(cmd.dest.weight, 5);
	cr_expect_eq(cmd.dest.u_threshold, 100);
	cr_expect_eq(cmd.dest.l_threshold, 50);
	OK("--add-server --tcp-service 10.0.0.1:80 --real-server 10.0.0.2 "
	   "--masquerading --weight 0 --u-threshold 2147483647");
	cr_expect_eq(cmd.dest.weight, 0);
	cr_expect_eq(cmd.dest.u_threshold, 2147483647U);
	OK("-e -t 10.0.0.1:80 -r 10.0.0.2 -m");
	cr_expect_eq(cmd.type, ADM_CMD_EDITDEST);
	cr_expect_eq(cmd.dest.weight, 1);	/* -e resets, as ipvsadm */
}

/* DR and TUN cannot change the port: ipvsadm silently uses the VIP's. */
Test(adm_parse, dr_and_tun_take_the_service_port)
{
	OK("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g");
	cr_expect_eq(cmd.dest.port, 80);
	OK("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -i");
	cr_expect_eq(cmd.dest.port, 80);
	cr_expect_eq(cmd.dest.fwd, NFLVS_CTL_FWD_TUN);
	OK("-d -t 10.0.0.1:80 -r 10.0.0.2:8080");
	cr_expect_eq(cmd.type, ADM_CMD_DELDEST);
	cr_expect_eq(cmd.dest.port, 8080);
	OK("-a -f 1 -r 10.0.0.2 -m");
	cr_expect_eq(cmd.dest.port, 0);
	OK("-a -f 1 -6 -r [2001:db8::2]:8080 -g");
	cr_expect_eq(cmd.dest.port, 8080);
	cr_expect_eq(cmd.dest.family, AF_INET6);
	/* ipvsadm copies the service's port when -r is met */
	OK("-a -r 10.0.0.2 -m -t 10.0.0.1:80");
	cr_expect_eq(cmd.dest.port, 0);
}

Test(adm_parse, tunnels)
{
	OK("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 "
	   "--tun-csum");
	cr_expect_eq(cmd.dest.tun_type, NFLVS_CTL_TUN_GUE);
	cr_expect_eq(cmd.dest.tun_port, 6080);
	cr_expect_eq(cmd.dest.tun_flags, NFLVS_CTL_TUN_F_CSUM);
	OK("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 1 "
	   "--tun-remcsum");
	cr_expect_eq(cmd.dest.tun_flags, NFLVS_CTL_TUN_F_REMCSUM);
	OK("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gre --tun-nocsum");
	cr_expect_eq(cmd.dest.tun_type, NFLVS_CTL_TUN_GRE);
	cr_expect_eq(cmd.dest.tun_flags, 0);
	OK("-a -t 10.0.0.1:80 -r 2001:db8::2 -i");	/* other family */
	cr_expect_eq(cmd.dest.family, AF_INET6);
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue", 2,
	      "You need to supply the 'tun-port' option for the 'gue' "
	      "tunnel type");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-port 5", 2,
	      "Illegal 'tun-port' option with the 'ipip' tunnel type");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gre --tun-remcsum",
	      2, "Illegal 'tun-remcsum' option with the 'gre' tunnel type");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 5 "
	      "--tun-csum --tun-nocsum", 2, "The option 'tun-csum' conflicts "
	      "with the 'tun-nocsum' option in the 'gue' tunnel type");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -m --tun-type gue", 2,
	      "Tunnel options conflict with forward method");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type vxlan", 2,
	      "illegal tunnel type specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 0",
	      2, "illegal tunnel port specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue "
	      "--tun-type gre", 2, "multiple 'tun-type' options specified");
}

Test(adm_parse, server_errors)
{
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -w -1", 2,
	      "illegal weight specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 65536", 2,
	      "illegal weight specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 1x", 2,
	      "illegal weight specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -x 2147483648", 2,
	      "illegal u_threshold specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -y abc", 2,
	      "illegal l_threshold specified");
	FAILS("-a -t 10.0.0.1:80 -r 300.0.0.2", 2,
	      "illegal real server address[:port] specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2:99999", 2,
	      "illegal real server address[:port] specified");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -m -g", 2,
	      "multiple 'forwarding-method' options specified");
	FAILS("-a -t 10.0.0.1:80 -r [2001:db8::2]:80 -m", 2,
	      "Different address family is allowed only for tunneling "
	      "servers");
	FAILS("-a -t 10.0.0.1:80 -m", 2, "You need to supply the "
	      "'real-server' option for the 'add-server' command");
	FAILS("-a -r 10.0.0.2", 2, "You need to supply the 'service-address' "
	      "option for the 'add-server' command");
	FAILS("-d -t 10.0.0.1:80 -r 10.0.0.2 -w 3", 2,
	      "Illegal 'weight' option with the 'delete-server' command");
	FAILS("-d -t 10.0.0.1:80 -r 10.0.0.2 -m", 2, "Illegal "
	      "'forwarding-method' option with the 'delete-server' command");
	FAILS("-a -t 10.0.0.1:80 -r 10.0.0.2 -s rr", 2,
	      "Illegal 'scheduler' option with the 'add-server' command");
}

/* Listing ----------------------------------------------------------------- */

Test(adm_parse, list_variants)
{
	OK("-L");
	cr_expect_eq(cmd.type, ADM_CMD_LIST);
	cr_expect_eq(cmd.fmt, 0);
	OK("-Ln");
	cr_expect_eq(cmd.fmt, ADM_FMT_NUMERIC);
	OK("-l -n --stats --exact");
	cr_expect_eq(cmd.fmt, ADM_FMT_NUMERIC | ADM_FMT_STATS |
		     ADM_FMT_EXACT);
	OK("--list --numeric --rate --thresholds --persistent-conn "
	   "--tun-info --nosort");
	cr_expect_eq(cmd.fmt, ADM_FMT_NUMERIC | ADM_FMT_RATE |
		     ADM_FMT_THRESHOLDS | ADM_FMT_PERSISTENTCONN |
		     ADM_FMT_TUN_INFO | ADM_FMT_NOSORT);
	OK("-L -t 10.0.0.1:80");
	cr_expect(cmd.opts & ADM_OPT(ADM_OPT_SERVICE));
	OK("-Lnc");
	cr_expect(cmd.opts & ADM_OPT(ADM_OPT_CONNECTION));
	OK("-L -c --persistent-conn");
	OK("-L --timeout");
	cr_expect(cmd.opts & ADM_OPT(ADM_OPT_TIMEOUT));
	OK("-L --daemon");
	OK("-L --json --sort");
	cr_expect_eq(cmd.fmt, ADM_FMT_JSON | ADM_FMT_SORT);
	OK("-Ln --sort");
	cr_expect_eq(cmd.opts, ADM_OPT(ADM_OPT_NUMERIC));
}

Test(adm_parse, list_conflicts)
{
	FAILS("-L -c --stats", 2, "options conflicts in the list command");
	FAILS("-L --timeout --rate", 2, "options conflicts in the list command");
	FAILS("-L --daemon --persistent-conn", 2,
	      "options conflicts in the list command");
	FAILS("-L --timeout -c", 2, "The option 'timeout' conflicts with the "
	      "'connection' option in the 'list' command");
	FAILS("-Lc -t 10.0.0.1:80", 2, "The option 'service-address' "
	      "conflicts with the 'connection' option in the 'list' command");
	FAILS("-L -n -n", 2, "multiple 'numeric' options specified");
	FAILS("-L -s rr", 2, "Illegal 'scheduler' option with the 'list' "
	      "command");
}

/* Other commands ---------------------------------------------------------- */

Test(adm_parse, flush_zero_save_restore)
{
	OK("-C");
	cr_expect_eq(cmd.type, ADM_CMD_FLUSH);
	OK("--clear");
	FAILS("-C -n", 2, "Illegal 'numeric' option with the 'flush' command");
	OK("-Z");
	cr_expect_eq(cmd.type, ADM_CMD_ZERO);
	cr_expect_not(cmd.opts & ADM_OPT(ADM_OPT_SERVICE));
	OK("-Z -u 10.0.0.1:53");
	cr_expect(cmd.opts & ADM_OPT(ADM_OPT_SERVICE));
	OK("-S");
	cr_expect_eq(cmd.type, ADM_CMD_SAVE);
	cr_expect_eq(cmd.fmt, ADM_FMT_RULE);
	OK("-S -n");
	cr_expect_eq(cmd.fmt, ADM_FMT_RULE | ADM_FMT_NUMERIC);
	FAILS("-S -t 10.0.0.1:80", 2,
	      "Illegal 'service-address' option with the 'save' command");
	FAILS("-S --json", 2, "Illegal 'json' option with the 'save' command");
	OK("-R");
	cr_expect_eq(cmd.type, ADM_CMD_RESTORE);
	FAILS("-R -n", 2, "Illegal 'numeric' option with the 'restore' "
	      "command");
}

Test(adm_parse, set_timeouts)
{
	OK("--set 900 120 300");
	cr_expect_eq(cmd.type, ADM_CMD_TIMEOUT);
	cr_expect_eq(cmd.timeout.tcp, 900);
	cr_expect_eq(cmd.timeout.tcp_fin, 120);
	cr_expect_eq(cmd.timeout.udp, 300);
	OK("--set 0 0 0");
	FAILS("--set 1 2", 2, "--set option requires 3 timeout values");
	FAILS("--set a 2 3", 2, "invalid timeout value `a' specified");
	FAILS("--set 1 2 2678401", 2,
	      "invalid timeout value `2678401' specified");
	FAILS("--set 1 2 3 4", 2, "unexpected argument 4");
	FAILS("--set 1 2 3 -n", 2,
	      "Illegal 'numeric' option with the 'set' command");
}

Test(adm_parse, daemons)
{
	OK("--start-daemon master --syncid 5 --mcast-interface eth0 "
	   "--mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 1 "
	   "--sync-maxlen 1472");
	cr_expect_eq(cmd.type, ADM_CMD_STARTDAEMON);
	OK("--start-daemon backup --mcast-group ff02::81");
	OK("--stop-daemon master --syncid 1");
	cr_expect_eq(cmd.type, ADM_CMD_STOPDAEMON);
	cr_expect_eq(cmd.daemon.state, NFLVS_CTL_DAEMON_MASTER);
	cr_expect_eq(cmd.daemon.syncid, 1);
	FAILS("--start-daemon foo", 2,
	      "illegal start-daemon parameter specified");
	FAILS("--stop-daemon foo", 2, "illegal start_daemon specified");
	/* the options' values, and ipvsadm's defaults */
	OK("--start-daemon backup --syncid 5 --mcast-interface bond0 "
	   "--mcast-group 224.0.0.82 --mcast-port 9000 --mcast-ttl 3 "
	   "--sync-maxlen 1400");
	cr_expect_eq(cmd.daemon.state, NFLVS_CTL_DAEMON_BACKUP);
	cr_expect_str_eq(cmd.daemon.mcast_ifn, "bond0");
	cr_expect_eq(cmd.daemon.syncid, 5);
	cr_expect_eq(cmd.daemon.mcast_family, AF_INET);
	cr_expect_eq(memcmp(cmd.daemon.mcast_group, "\xe0\0\0\x52", 4), 0);
	cr_expect_eq(cmd.daemon.mcast_port, 9000);
	cr_expect_eq(cmd.daemon.mcast_ttl, 3);
	cr_expect_eq(cmd.daemon.sync_maxlen, 1400);
	OK("--start-daemon master");
	cr_expect_str_eq(cmd.daemon.mcast_ifn, "eth0");
	cr_expect_eq(cmd.daemon.syncid, 255);
	cr_expect_eq(cmd.daemon.mcast_family, 0);
	/* nflvs: a unicast address is the peer's (no multicast) */
	OK("--start-daemon master --mcast-group 10.0.0.1");
	cr_expect_eq(cmd.daemon.mcast_family, AF_INET);
	OK("--start-daemon master --mcast-group 2001:db8::1");
	cr_expect_eq(cmd.daemon.mcast_family, AF_INET6);
	FAILS("--start-daemon master --mcast-group 0.0.0.0", 2,
	      "invalid IPv4 mcast-group `0.0.0.0'");
	FAILS("--start-daemon master --mcast-group foo", 2,
	      "invalid IPv4 mcast-group `foo'");
	FAILS("--start-daemon master --mcast-group ::", 2,
	      "invalid IPv6 mcast-group `::'");
	FAILS("--start-daemon master --mcast-interface 0123456789abcdef", 2,
	      "illegal mcast-interface specified");
	FAILS("--start-daemon master --syncid 256", 2,
	      "illegal syncid specified");
	FAILS("--start-daemon master --mcast-ttl 0", 2,
	      "illegal mcast-ttl specified");
	FAILS("--start-daemon master --mcast-port 0", 2,
	      "illegal mcast-port specified");
	FAILS("--start-daemon master --sync-maxlen 65508", 2,
	      "illegal sync-maxlen specified");
	FAILS("--stop-daemon master --mcast-ttl 1", 2,
	      "Illegal 'mcast-ttl' option with the 'stop-daemon' command");
}

Test(adm_parse, nflvs_commands_and_socket)
{
	OK("--reload");
	cr_expect_eq(cmd.type, ADM_CMD_RELOAD);
	FAILS("--reload -n", 2,
	      "Illegal 'numeric' option with the 'reload' command");
	OK("--socket /tmp/d.sock -Ln");
	cr_expect_str_eq(cmd.socket, "/tmp/d.sock");
	cr_expect_eq(cmd.type, ADM_CMD_LIST);
	OK("-A -t 10.0.0.1:80 --socket=/x");
	cr_expect_str_eq(cmd.socket, "/x");
	OK("--socket /tmp/d.sock");		/* alone: list, as when bare */
	cr_expect_eq(cmd.type, ADM_CMD_LIST);
	cr_expect_eq(cmd.fmt, 0);
}

Test(adm_parse, help_version_and_bare)
{
	char *argv[] = { "ipvsadm", NULL };

	OK("-h");
	cr_expect_eq(cmd.type, ADM_CMD_HELP);
	OK("--help --bogus");		/* ipvsadm stops at -h */
	cr_expect_eq(cmd.type, ADM_CMD_HELP);
	OK("-v");
	cr_expect_eq(cmd.type, ADM_CMD_VERSION);
	OK("--version");
	cr_expect_eq(adm_parse(1, argv, &lookup, 0, &cmd, &err), 0);
	cr_expect_eq(cmd.type, ADM_CMD_LIST);
	cr_expect_eq(cmd.fmt, 0);
	cr_expect_eq(adm_parse(0, argv, &lookup, 0, &cmd, &err), 0);
}

/* popt's errors and ipvsadm's usage hint */
Test(adm_parse, usage_errors)
{
	TRYHELP("foo");
	TRYHELP("-n -L");		/* the command comes first */
	TRYHELP("--bogus");
	TRYHELP("-q");
	TRYHELP("-t 10.0.0.1:80 -A");
	FAILS("-L --bogus", 255, "--bogus: unknown option");
	FAILS("-Lq", 255, "-Lq: unknown option");
	FAILS("-L --stats=1", 255, "--stats=1: option does not take an "
	      "argument");
	FAILS("-A -t", 255, "-t: missing argument");
	FAILS("-A --tcp-service", 255, "--tcp-service: missing argument");
	FAILS("-L -A", 2, "invalid option `-A'");
	FAILS("-A -t 10.0.0.1:80 -L", 2, "invalid option `-L'");
	FAILS("-L --reload", 2, "invalid option `--reload'");
	FAILS("-L -h", 2, "invalid option `-h'");
	FAILS("-L x y", 2, "unexpected argument x");
	FAILS("-L -- -n", 2, "unexpected argument -n");
	FAILS("-A -t 10.0.0.1:80 -w", 255, "-w: missing argument");
}

/* The first bad option is the one reported, as ipvsadm checks in order. */
Test(adm_parse, first_error_wins)
{
	FAILS("-A -t bad -s rr -w x", 2,
	      "illegal virtual server address[:port] specified");
	FAILS("-A -t 10.0.0.1:80 -r bad", 2,
	      "illegal real server address[:port] specified");
	FAILS("-A -t 10.0.0.1:80 -r 10.0.0.2 -b sh-port", 2,
	      "incompatible scheduler flag `sh-port'");
}

/* -R ---------------------------------------------------------------------- */

Test(adm_parse, split_restore_lines)
{
	char **argv;
	int argc;

	argc = adm_split_line("ipvsadm -A -t 10.0.0.1:80  -s\twlc\n", "prog",
			      &argv);
	cr_assert_eq(argc, 6);
	cr_expect_str_eq(argv[0], "prog");
	cr_expect_str_eq(argv[1], "-A");
	cr_expect_str_eq(argv[3], "10.0.0.1:80");
	cr_expect_str_eq(argv[5], "wlc");
	cr_expect_null(argv[6]);
	adm_argv_free(argv);
	argc = adm_split_line("   \t\r\n", "prog", &argv);
	cr_expect_eq(argc, 1);
	adm_argv_free(argv);
	argc = adm_split_line("# saved by nflvsadm -S\n", "prog", &argv);
	cr_expect_eq(argc, 1);
	adm_argv_free(argv);
	argc = adm_split_line("nflvsadm -C # clear first", "prog", &argv);
	cr_assert_eq(argc, 2);
	cr_expect_str_eq(argv[1], "-C");
	adm_argv_free(argv);
	argc = adm_split_line("-a -t vip:80 -r ipvsadm", "prog", &argv);
	cr_expect_eq(argc, 6);
	adm_argv_free(argv);
}

Test(adm_parse, restore_line_rules)
{
	cr_expect_eq(parse_flags("-R", ADM_PARSE_RESTORE), -EINVAL);
	cr_expect(err.tryhelp);
	cr_expect_eq(parse_flags("-A -t 10.0.0.1:80", ADM_PARSE_RESTORE), 0);
}

/* -S | -R: each saved line parses back to the service it came from. */

static struct adm_svc saved[4];
static struct nflvs_ctl_dest saved_dests[6];

static void build_saved(void)
{
	struct nflvs_ctl_svc *s;
	struct nflvs_ctl_dest *d;

	memset(saved, 0, sizeof(saved));
	memset(saved_dests, 0, sizeof(saved_dests));
	s = &saved[0].svc;
	*s = (struct nflvs_ctl_svc){ .family = AF_INET,
		.protocol = IPPROTO_TCP, .port = 80, .sched = "sh",
		.flags = NFLVS_CTL_SVC_F_PERSISTENT, .timeout = 600,
		.netmask = 24,
		.sched_flags = SCHED_F_SH_FALLBACK | SCHED_F_SH_PORT };
	inet_pton(AF_INET, "10.0.0.1", s->addr);
	saved[0].dests = &saved_dests[0];
	saved[0].ndests = 3;
	d = &saved_dests[0];
	*d = (struct nflvs_ctl_dest){ .family = AF_INET,
		.fwd = NFLVS_CTL_FWD_NAT, .port = 8080, .weight = 3 };
	inet_pton(AF_INET, "10.0.1.1", d->addr);
	d++;
	*d = (struct nflvs_ctl_dest){ .family = AF_INET,
		.fwd = NFLVS_CTL_FWD_DR, .port = 80, .weight = 0 };
	inet_pton(AF_INET, "10.0.1.2", d->addr);
	d++;
	*d = (struct nflvs_ctl_dest){ .family = AF_INET6,
		.fwd = NFLVS_CTL_FWD_TUN, .port = 80, .weight = 7,
		.tun_type = NFLVS_CTL_TUN_GUE, .tun_port = 6080,
		.tun_flags = NFLVS_CTL_TUN_F_CSUM };
	inet_pton(AF_INET6, "2001:db8::9", d->addr);

	s = &saved[1].svc;
	*s = (struct nflvs_ctl_svc){ .family = AF_INET6,
		.protocol = IPPROTO_UDP, .port = 53, .sched = "rr",
		.flags = NFLVS_CTL_SVC_F_ONEPACKET, .netmask = 128 };
	inet_pton(AF_INET6, "2001:db8::1", s->addr);
	saved[1].dests = &saved_dests[3];
	saved[1].ndests = 1;
	d = &saved_dests[3];
	*d = (struct nflvs_ctl_dest){ .family = AF_INET6,
		.fwd = NFLVS_CTL_FWD_NAT, .port = 5353, .weight = 1,
		.u_threshold = 0 };
	inet_pton(AF_INET6, "2001:db8::2", d->addr);

	s = &saved[2].svc;
	*s = (struct nflvs_ctl_svc){ .family = AF_INET6, .fwmark = 9,
		.sched = "mh", .flags = NFLVS_CTL_SVC_F_PERSISTENT,
		.timeout = 300, .netmask = 64,
		.sched_flags = SCHED_F_MH_PORT };
	saved[2].dests = &saved_dests[4];
	saved[2].ndests = 2;
	d = &saved_dests[4];
	*d = (struct nflvs_ctl_dest){ .family = AF_INET6,
		.fwd = NFLVS_CTL_FWD_TUN, .port = 0, .weight = 2,
		.tun_type = NFLVS_CTL_TUN_GRE };
	inet_pton(AF_INET6, "2001:db8::3", d->addr);
	d++;
	*d = (struct nflvs_ctl_dest){ .family = AF_INET6,
		.fwd = NFLVS_CTL_FWD_TUN, .port = 0, .weight = 2,
		.tun_type = NFLVS_CTL_TUN_IPIP };
	inet_pton(AF_INET6, "2001:db8::4", d->addr);

	s = &saved[3].svc;
	*s = (struct nflvs_ctl_svc){ .family = AF_INET,
		.protocol = IPPROTO_SCTP, .port = 0, .sched = "wlc",
		.flags = NFLVS_CTL_SVC_F_PERSISTENT, .timeout = 1,
		.netmask = 32 };
	inet_pton(AF_INET, "192.0.2.1", s->addr);
}

/* The fields a restore sets: everything but the reply-only ones. */
static void expect_same_svc(const struct nflvs_ctl_svc *got,
			    const struct nflvs_ctl_svc *want)
{
	cr_expect_eq(got->family, want->family);
	cr_expect_eq(got->protocol, want->protocol);
	cr_expect_eq(got->port, want->port);
	cr_expect_eq(got->fwmark, want->fwmark);
	cr_expect_eq(memcmp(got->addr, want->addr, 16), 0);
	cr_expect_str_eq(got->sched, want->sched);
	cr_expect_eq(got->flags, want->flags);
	cr_expect_eq(got->sched_flags, want->sched_flags);
	cr_expect_eq(got->timeout, want->timeout);
	cr_expect_eq(got->netmask, want->netmask);
}

static void expect_same_dest(const struct nflvs_ctl_dest *got,
			     const struct nflvs_ctl_dest *want)
{
	cr_expect_eq(got->family, want->family);
	cr_expect_eq(memcmp(got->addr, want->addr, 16), 0);
	cr_expect_eq(got->port, want->port);
	cr_expect_eq(got->fwd, want->fwd);
	cr_expect_eq(got->weight, want->weight);
	cr_expect_eq(got->tun_type, want->tun_type);
	cr_expect_eq(got->tun_port, want->tun_port);
	cr_expect_eq(got->tun_flags, want->tun_flags);
}

Test(adm_parse, save_then_restore_gives_the_same_structs)
{
	struct adm_list list = { saved, 4 };
	struct nflvs_ctl_svc want;
	char *text = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n = 0, si = -1;
	size_t di = 0;

	build_saved();
	cr_assert_not_null(f);
	adm_format_list(f, NULL, &list, ADM_FMT_RULE | ADM_FMT_NUMERIC, NULL);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		cr_assert_eq(parse_flags(line, ADM_PARSE_RESTORE), 0, "%s: %s",
			     line, err.msg);
		if (cmd.type == ADM_CMD_ADD) {
			si++;
			di = 0;
			expect_same_svc(&cmd.svc, &saved[si].svc);
			continue;
		}
		cr_assert_eq(cmd.type, ADM_CMD_ADDDEST, "%s", line);
		cr_assert_lt(di, saved[si].ndests);
		/* -a names the service: its identity and ipvsadm's defaults */
		want = (struct nflvs_ctl_svc){
			.family = saved[si].svc.family,
			.protocol = saved[si].svc.protocol,
			.port = saved[si].svc.port,
			.fwmark = saved[si].svc.fwmark,
			.netmask = saved[si].svc.family == AF_INET6 ? 128 : 32,
		};
		memcpy(want.addr, saved[si].svc.addr, 16);
		expect_same_svc(&cmd.svc, &want);
		/* saved oldest first: the reverse of the (IPVS) list order */
		expect_same_dest(&cmd.dest,
				 &saved[si].dests[saved[si].ndests - 1 - di++]);
	}
	cr_expect_eq(si, 3);
	cr_expect_eq(n, 10);
	free(text);
}
