// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-import-keepalived: each test writes a keepalived.conf (one "..\n"
 * per line, numbered in a comment where the line matters), converts it,
 * loads the result as nflvs-director -t does (config_load() and
 * validate_config(), so the output is a configuration the director runs)
 * and checks the structs and every reported line.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "convert.h"
#include "check_http.h"
#include "validate.h"

static char dir[64];
static char ka[128];
static char *text;
static struct diag d;
static struct nflvs_config cfg;
static struct cfg_errors errs;

static void teardown(void)
{
	char cmd[128];

	free(text);
	text = NULL;
	diag_free(&d);
	config_free(&cfg);
	config_errors_free(&errs);
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_expect_eq(system(cmd), 0);
	}
	dir[0] = '\0';
}

TestSuite(import, .fini = teardown);

static void write_file(const char *name, const char *body)
{
	char p[192];
	FILE *f;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/nflvs-import-test-XXXXXX");
		cr_assert_not_null(mkdtemp(dir));
	}
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f, "cannot write %s", p);
	fputs(body, f);
	cr_assert_eq(fclose(f), 0);
}

static void dump(void);

/* Convert @conf; returns the number of errors.  With none, the output is
 * loaded into cfg (and must be valid when @must_load). */
static size_t convert_load(const char *conf, bool must_load)
{
	char out[192];
	size_t len = 0, i;
	FILE *f;
	size_t nerr;

	write_file("keepalived.conf", conf);
	snprintf(ka, sizeof(ka), "%s/keepalived.conf", dir);
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	nerr = convert_file(ka, f, &d);
	fclose(f);
	if (nerr && getenv("IMPORT_TEST_DEBUG"))
		dump();
	if (nerr) {
		cr_expect_eq(len, 0, "output despite errors:\n%s", text);
		return nerr;
	}
	write_file("nflvs.conf", text);
	snprintf(out, sizeof(out), "%s/nflvs.conf", dir);
	/* as nflvs-director -t loads it: the file, then what it can run */
	if ((config_load(out, &cfg, &errs) || validate_config(&cfg, &errs)) &&
	    must_load) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		cr_assert_fail("converted file does not load:\n%s", text);
	}
	return 0;
}

static size_t convert(const char *conf)
{
	return convert_load(conf, true);
}

/* A report "keepalived.conf:LINE: ..." containing @part. */
static bool reported(int line, const char *part)
{
	char prefix[200];
	size_t i;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", ka, line);
	for (i = 0; i < d.n; i++)
		if (!strncmp(d.msg[i], prefix, strlen(prefix)) &&
		    strstr(d.msg[i], part))
			return true;
	return false;
}

static void dump(void)
{
	size_t i;

	for (i = 0; i < d.n; i++)
		fprintf(stderr, "  %s\n", d.msg[i]);
}

#define expect_report(line, part) do {					\
		bool ok_ = reported(line, part);				\
									\
		if (!ok_)						\
			dump();						\
		cr_expect(ok_, "no report at line %d with \"%s\"", line, part); \
	} while (0)

static const char *ip(const struct nflvs_addr *a)
{
	static char buf[8][64];
	static int k;

	return addr_str(a, buf[k++ % 8], sizeof(buf[0]));
}

/* ---- services ------------------------------------------------------------ */

Test(import, nat_http_service_every_key)
{
	cr_assert_eq(convert(
		"! keepalived.conf of a web farm\n"		/* 1 */
		"virtual_server 10.0.1.100 80 {\n"		/* 2 */
		"    delay_loop 6\n"
		"    lb_algo wrr   # weighted\n"
		"    lb_kind NAT\n"				/* 5 */
		"    persistence_timeout 50\n"
		"    persistence_granularity 255.255.255.0\n"
		"    protocol TCP\n"
		"    sorry_server 10.0.2.99 8080\n"
		"    quorum 2\n"				/* 10 */
		"    hysteresis 1\n"
		"    inhibit_on_failure\n"
		"    real_server 10.0.2.11 8080 {\n"
		"        weight 3\n"
		"        uthreshold 100\n"			/* 15 */
		"        lthreshold 50\n"
		"        notify_up \"/usr/local/bin/up 'web farm'\"\n"
		"        notify_down /usr/local/bin/down\n"
		"        HTTP_GET {\n"
		"            url {\n"				/* 20 */
		"              path /health\n"
		"              digest 640205B7B0FC66C1EA91C463FAC6334D\n"
		"              status_code 200 301-302\n"
		"            }\n"
		"            connect_timeout 3\n"		/* 25 */
		"            retry 3\n"
		"            delay_before_retry 3\n"
		"        }\n"
		"    }\n"
		"    real_server 10.0.2.12 8080 { TCP_CHECK { } }\n" /* 30 */
		"}\n"), 0);
	cr_assert_eq(cfg.nsvc, 1);
	struct cfg_service *s = &cfg.svc[0];
	cr_expect_str_eq(ip(&s->vip), "10.0.1.100");
	cr_expect_eq(s->port, 80);
	cr_expect_eq(s->protocol, 6);
	cr_expect_str_eq(s->scheduler, "wrr");
	cr_expect_eq(s->fwd, FWD_NAT);
	cr_expect_eq(s->persistence, 50);
	cr_expect_eq(s->persistence_netmask, 24);
	cr_expect(s->has_sorry);
	cr_expect_str_eq(ip(&s->sorry_addr), "10.0.2.99");
	cr_expect_eq(s->sorry_port, 8080);
	cr_expect_eq(s->quorum, 2);
	cr_assert_eq(s->nrs, 2);
	struct cfg_rs *r = &s->rs[0];
	cr_expect_eq(r->port, 8080);
	cr_expect_eq(r->weight, 3);
	cr_expect_eq(r->upper_threshold, 100);
	cr_expect_eq(r->lower_threshold, 50);
	cr_assert_not_null(r->notify_up);
	cr_expect_str_eq(r->notify_up[0], "/usr/local/bin/up");
	cr_expect_str_eq(r->notify_up[1], "web farm");
	cr_expect_null(r->notify_up[2]);
	cr_expect_str_eq(r->notify_down[0], "/usr/local/bin/down");
	cr_expect_eq(r->check.type, CHECK_HTTP);
	cr_expect_str_eq(r->check.path, "/health");
	cr_expect_str_eq(r->check.digest, "640205b7b0fc66c1ea91c463fac6334d");
	cr_expect_eq(r->check.nstatus, 2);
	cr_expect_eq(r->check.status[0].lo, 200);
	cr_expect_eq(r->check.status[0].hi, 200);
	cr_expect_eq(r->check.status[1].lo, 301);
	cr_expect_eq(r->check.status[1].hi, 302);
	cr_expect_float_eq(r->check.interval, 6.0, 1e-9);
	cr_expect_float_eq(r->check.timeout, 3.0, 1e-9);
	cr_expect_eq(r->check.rise, 1);
	cr_expect_eq(r->check.fall, 4);		/* retry 3 */
	cr_expect_eq(r->check.on_failure, ON_FAILURE_QUIESCE);
	r = &s->rs[1];
	cr_expect_eq(r->check.type, CHECK_TCP);
	cr_expect_float_eq(r->check.interval, 6.0, 1e-9);
	cr_expect_float_eq(r->check.timeout, 5.0, 1e-9);	/* default */
	cr_expect_eq(r->check.fall, 2);				/* retry 1 */
	cr_expect_eq(r->check.on_failure, ON_FAILURE_QUIESCE);
	expect_report(11, "warning: hysteresis: not converted");
	expect_report(19, "warning: HTTP_GET: keepalived retries a failed check after delay_before_retry (3s)");
	expect_report(30, "warning: TCP_CHECK: keepalived retries");
	cr_expect_eq(d.nerr, 0);
	if (d.nwarn != 3)
		dump();
	cr_expect_eq(d.nwarn, 3);
}

Test(import, synonyms_dr_and_ports)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  lvs_sched rr\n"
		"  lvs_method DR\n"
		"  protocol tcp\n"
		"  real_server 10.0.2.11 8080 {\n"		/* 5 */
		"  }\n"
		"  real_server 10.0.2.12 { weight 0 }\n"
		"}\n"), 0);
	struct cfg_service *s = &cfg.svc[0];
	cr_expect_str_eq(s->scheduler, "rr");
	cr_expect_eq(s->fwd, FWD_DR);
	cr_expect_eq(s->rs[0].port, 80);	/* DR: the service's port */
	cr_expect_eq(s->rs[1].weight, 0);
	cr_expect_eq(s->rs[0].check.type, CHECK_NONE);
	expect_report(5, "warning: real_server port 8080: DR forwarding sends the packet to the virtual server's port (80)");
}

Test(import, tunnels)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 25 {\n"
		"  lb_algo lc\n"
		"  lb_kind TUN\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 25 { }\n"		/* 5 */
		"  real_server 10.0.2.12 25 { lvs_method TUN type gue port 6080 csum }\n"
		"  real_server 10.0.2.13 25 { lvs_method TUN type gre csum }\n"
		"  real_server 10.0.2.14 25 { lvs_method TUN type gue port 6081 remcsum }\n"
		"  real_server 10.0.2.15 25 { lvs_method DR }\n"
		"}\n"), 0);
	struct cfg_service *s = &cfg.svc[0];
	cr_expect_eq(s->fwd, FWD_DR);		/* DR and TUN together */
	cr_expect_eq(s->rs[0].fwd, FWD_TUN);
	cr_expect_eq(s->rs[0].tunnel.type, TUN_IPIP);
	cr_expect_eq(s->rs[1].tunnel.type, TUN_GUE);
	cr_expect_eq(s->rs[1].tunnel.port, 6080);
	cr_expect(s->rs[1].tunnel.csum);
	cr_expect_eq(s->rs[2].tunnel.type, TUN_GRE);
	cr_expect(s->rs[2].tunnel.csum);
	cr_expect_eq(s->rs[3].tunnel.port, 6081);
	cr_expect(!s->rs[3].tunnel.csum);
	cr_expect_eq(s->rs[4].fwd, FWD_DR);
	expect_report(8, "warning: remcsum not converted");
}

Test(import, tun_only_service_and_tunnel_errors)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 25 {\n"
		"  lb_kind TUN type gre\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 25 { }\n"
		"}\n"), 0);
	cr_expect_eq(cfg.svc[0].fwd, FWD_TUN);
	cr_expect_eq(cfg.svc[0].rs[0].tunnel.type, TUN_GRE);
	teardown();
	cr_assert_gt(convert(
		"virtual_server 10.0.1.100 25 {\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 25 { lvs_method TUN type gue }\n" /* 3 */
		"  real_server 10.0.2.12 25 { lvs_method TUN type ipip csum }\n"
		"  real_server 10.0.2.13 25 { lvs_method BGP }\n"	/* 5 */
		"}\n"), 0);
	expect_report(3, "gue tunnels need a port");
	expect_report(4, "ipip tunnels do not support csum");
	expect_report(5, "unknown forwarding method \"BGP\"");
}

Test(import, fwmark_service_and_mark_mask)
{
	cr_assert_eq(convert(
		"virtual_server fwmark 7 {\n"
		"  lb_algo rr\n"
		"  persistence_timeout\n"
		"  real_server 10.0.2.11 0 { }\n"
		"}\n"
		"virtual_server fwmark 0x10000 {\n"		/* 6: not decimal */
		"  real_server 10.0.2.11 0 { }\n"
		"}\n"), 1);
	expect_report(6, "virtual_server: invalid value \"0x10000\"");
	teardown();
	cr_assert_eq(convert(
		"virtual_server fwmark 7 {\n"
		"  lb_algo rr\n"
		"  persistence_timeout\n"
		"  real_server 10.0.2.11 0 { }\n"
		"}\n"
		"virtual_server fwmark 65536 {\n"		/* bit 16 */
		"  real_server 10.0.2.12 0 { }\n"
		"}\n"), 0);
	cr_assert_eq(cfg.nsvc, 2);
	cr_expect_eq(cfg.svc[0].fwmark, 7);
	cr_expect_eq(cfg.svc[0].persistence, 360);	/* no value: 6 min */
	cr_expect_eq(cfg.svc[1].fwmark, 65536);
	cr_expect_eq(cfg.director.mark_mask & 65543u, 0, "mask 0x%x",
		     cfg.director.mark_mask);
	cr_expect_eq(__builtin_popcount(cfg.director.mark_mask), 8);
}

Test(import, fwmark_with_dr_is_an_error)
{
	cr_assert_eq(convert(
		"virtual_server fwmark 7 {\n"
		"  lb_kind DR\n"
		"  real_server 10.0.2.11 0 { }\n"
		"}\n"), 1);
	expect_report(1, "fwmark 7 with DR: nflvs forwards firewall-mark services with NAT only");
}

Test(import, group_expands_addresses_ranges_and_fwmarks)
{
	cr_assert_eq(convert(
		"virtual_server_group web {\n"
		"  10.0.1.100 80\n"
		"  10.0.1.101-103 80\n"
		"  10.0.3.8/31 80\n"
		"  10.0.4.1-10.0.4.2 80\n"			/* 5 */
		"  fwmark 9\n"
		"}\n"
		"virtual_server group web {\n"
		"  lb_algo wrr\n"
		"  protocol TCP\n"				/* 10 */
		"  quorum 1\n"
		"  real_server 10.0.2.11 80 { weight 2 }\n"
		"  real_server 10.0.2.12 80 { }\n"
		"}\n"
		"virtual_server_group unused { 10.9.9.9 80 }\n"), 0);
	cr_assert_eq(cfg.nsvc, 9);
	const char *want[] = { "10.0.1.100", "10.0.1.101", "10.0.1.102",
			       "10.0.1.103", "10.0.3.8", "10.0.3.9",
			       "10.0.4.1", "10.0.4.2" };
	for (size_t i = 0; i < 8; i++) {
		cr_expect_str_eq(ip(&cfg.svc[i].vip), want[i]);
		cr_expect_eq(cfg.svc[i].port, 80);
		cr_expect_str_eq(cfg.svc[i].scheduler, "wrr");
		cr_expect_eq(cfg.svc[i].nrs, 2);
		cr_expect_eq(cfg.svc[i].rs[0].weight, 2);
	}
	cr_expect_eq(cfg.svc[8].fwmark, 9);
	cr_expect_eq(cfg.svc[8].nrs, 2);
	expect_report(10, "warning: protocol: a firewall-mark service takes every protocol");
}

Test(import, group_ipv6_range_and_errors)
{
	cr_assert_eq(convert(
		"virtual_server_group v6 { fd00:1::a-c 443 }\n"
		"virtual_server group v6 {\n"
		"  protocol TCP\n"
		"  real_server fd00:2::11 443 { }\n"
		"}\n"), 0);
	cr_assert_eq(cfg.nsvc, 3);
	cr_expect_str_eq(ip(&cfg.svc[2].vip), "fd00:1::c");
	teardown();
	cr_assert_eq(convert(
		"virtual_server_group bad {\n"
		"  10.0.1.9-3 80\n"
		"  10.0.1.0/24x 80\n"
		"}\n"
		"virtual_server group bad {\n"
		"  real_server 10.0.2.11 80 { }\n"
		"}\n"
		"virtual_server group none {\n"		/* 8 */
		"  real_server 10.0.2.11 80 { }\n"
		"}\n"), 3);
	expect_report(2, "invalid address or range \"10.0.1.9-3\"");
	expect_report(3, "invalid address or range \"10.0.1.0/24x\"");
	expect_report(8, "no such virtual_server_group");
}

Test(import, scheduler_flags)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  sh-port\n"			/* before lb_algo: still sh's */
		"  lb_algo sh\n"
		"  flag-1\n"
		"  flag-3\n"				/* 5 */
		"  protocol TCP\n"
		"  real_server 10.0.2.11 80 { }\n"
		"}\n"
		"virtual_server 10.0.1.100 81 {\n"
		"  lb_algo mh\n"			/* 10 */
		"  mh-port\n"
		"  sh-fallback\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 81 { }\n"
		"}\n"
		"virtual_server 10.0.1.100 82 {\n"	/* 16 */
		"  lb_algo wlc\n"
		"  flag-2\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 82 { }\n"
		"}\n"), 0);
	cr_expect_eq(cfg.svc[0].sched_flags, SCHED_F_SH_PORT | SCHED_F_SH_FALLBACK);
	cr_expect_eq(cfg.svc[1].sched_flags, SCHED_F_MH_PORT);
	cr_expect_eq(cfg.svc[2].sched_flags, 0);
	expect_report(5, "warning: flag-3: not converted: no meaning with scheduler sh");
	expect_report(12, "warning: sh-fallback: not converted: no meaning with scheduler mh");
	expect_report(18, "warning: flag-2: not converted: no meaning with scheduler wlc");
}

Test(import, ops_protocols_and_defaults)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 53 {\n"
		"  protocol UDP\n"
		"  ops\n"
		"  real_server 10.0.2.11 53 { }\n"
		"}\n"
		"virtual_server 10.0.1.100 80 {\n"		/* 6 */
		"  ops\n"
		"  real_server 10.0.2.11 80 { }\n"
		"}\n"
		"virtual_server 10.0.1.100 {\n"			/* 10 */
		"  protocol SCTP\n"
		"  real_server 10.0.2.11 { }\n"
		"}\n"), 0);
	cr_expect(cfg.svc[0].one_packet);
	cr_expect_eq(cfg.svc[0].protocol, 17);
	cr_expect_str_eq(cfg.svc[0].scheduler, "wlc");	/* IPVS's default */
	cr_expect_eq(cfg.svc[1].protocol, 17);		/* keepalived's default */
	cr_expect(cfg.svc[1].one_packet);
	expect_report(6, "warning: no protocol: UDP, as keepalived defaults to");
	expect_report(6, "warning: no lvs_method: NAT");
	cr_expect_eq(cfg.svc[2].port, 0);
	cr_expect_eq(cfg.svc[2].protocol, 132);
	cr_expect_eq(cfg.svc[2].persistence, 360);
	expect_report(10, "warning: port 0 (any port) needs persistence");
}

Test(import, alpha_omega_quorum_scripts_and_other_vs_keys)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  alpha\n"
		"  omega\n"
		"  quorum 5\n"					/* 5 */
		"  quorum_up /bin/up\n"
		"  quorum_down \"/bin/down now\"\n"
		"  ha_suspend\n"
		"  smtp_alert\n"
		"  persistence_engine sip\n"			/* 10 */
		"  virtualhost www.example.com\n"
		"  sorry_server 10.0.2.99 8080\n"
		"  sorry_server_inhibit\n"
		"  sorry_server_lvs_method DR\n"
		"  real_server 10.0.2.11 80 {\n"		/* 15 */
		"    weight 2\n"
		"    HTTP_GET { url { path / } }\n"
		"  }\n"
		"}\n"), 0);
	struct cfg_service *s = &cfg.svc[0];
	cr_expect_eq(s->quorum, 2);		/* reduced to the total weight */
	cr_expect_str_eq(s->rs[0].check.host, "www.example.com");
	expect_report(1, "warning: quorum 5 is above the real servers' total weight 2");
	expect_report(4, "warning: omega: not converted");
	expect_report(6, "warning: quorum_up: not converted");
	expect_report(7, "warning: quorum_down: not converted");
	expect_report(8, "warning: ha_suspend: not converted");
	expect_report(9, "warning: smtp_alert: not converted");
	expect_report(10, "warning: persistence_engine: not converted");
	expect_report(13, "warning: sorry_server_inhibit: not converted");
	expect_report(14, "warning: sorry_server: forwarded with the service's method (nat), not dr");
	expect_report(17, "warning: HTTP_GET: alpha not converted");
}

/* ---- checkers ------------------------------------------------------------ */

Test(import, timers_inherit_vs_rs_checker)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  delay_loop 10\n"
		"  connect_timeout 2\n"
		"  retry 2\n"					/* 5 */
		"  delay_before_retry 10\n"
		"  warmup 10\n"
		"  real_server 10.0.2.11 80 {\n"
		"    connect_timeout 1.5\n"
		"    TCP_CHECK { retry 4 }\n"			/* 10 */
		"  }\n"
		"  real_server 10.0.2.12 80 {\n"
		"    delay_loop 3\n"
		"    TCP_CHECK {\n"
		"      delay_loop 0.5\n"			/* 15 */
		"      warmup 0\n"
		"    }\n"
		"  }\n"
		"  real_server 10.0.2.13 80 {\n"
		"    HTTP_GET {\n"				/* 20 */
		"      nb_get_retry 0\n"
		"      url { path /x }\n"
		"    }\n"
		"  }\n"
		"}\n"), 0);
	struct cfg_check *c = &cfg.svc[0].rs[0].check;
	cr_expect_float_eq(c->interval, 10, 1e-9);
	cr_expect_float_eq(c->timeout, 1.5, 1e-9);
	cr_expect_eq(c->fall, 5);
	c = &cfg.svc[0].rs[1].check;
	cr_expect_float_eq(c->interval, 0.5, 1e-9);
	cr_expect_float_eq(c->timeout, 2, 1e-9);
	cr_expect_eq(c->fall, 3);
	expect_report(14, "warning: TCP_CHECK: keepalived retries a failed check after delay_before_retry (10s)");
	expect_report(14, "warning: TCP_CHECK: warmup 0s not converted");
	c = &cfg.svc[0].rs[2].check;
	cr_expect_eq(c->fall, 1);
	cr_expect_str_eq(c->path, "/x");
	cr_expect_eq(c->nstatus, 1);
	cr_expect_eq(c->status[0].lo, 200);
	cr_expect_eq(c->status[0].hi, 299);
}

Test(import, ssl_get_host_order_and_http_extras)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 443 {\n"
		"  protocol TCP\n"
		"  virtualhost vs.example\n"
		"  real_server 10.0.2.11 443 {\n"
		"    virtualhost rs.example\n"			/* 5 */
		"    SSL_GET {\n"
		"      virtualhost chk.example\n"
		"      connect_port 8443\n"
		"      url {\n"
		"        path /a\n"				/* 10 */
		"        virtualhost url.example\n"
		"        regex ok\n"
		"      }\n"
		"      url { path /b }\n"
		"      http_protocol 1.0\n"			/* 15 */
		"      enable_sni\n"
		"      bindto 10.0.2.1\n"
		"    }\n"
		"    TCP_CHECK { }\n"				/* 19 */
		"  }\n"
		"  real_server 10.0.2.12 443 { SSL_GET { url { path /c } } }\n"
		"}\n"), 0);
	struct cfg_check *c = &cfg.svc[0].rs[0].check;
	cr_expect_eq(c->type, CHECK_HTTPS);
	cr_expect(!c->verify_tls);
	cr_expect_str_eq(c->host, "url.example");
	cr_expect_eq(c->connect_port, 8443);
	cr_expect_str_eq(c->path, "/a");
	cr_expect_str_eq(cfg.svc[0].rs[1].check.host, "vs.example");
	expect_report(12, "warning: regex: not converted");
	expect_report(14, "warning: url: not converted: nflvs checks one URL per real server (the url of line 9)");
	expect_report(15, "warning: http_protocol: not converted");
	expect_report(16, "warning: enable_sni");
	expect_report(17, "warning: bindto: not converted");
	expect_report(19, "warning: TCP_CHECK: not converted: nflvs runs one check per real server (the SSL_GET of line 6)");
}

Test(import, misc_check_dynamic_or_not)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  delay_loop 4\n"
		"  real_server 10.0.2.11 80 {\n"
		"    MISC_CHECK {\n"				/* 5 */
		"      misc_path \"/usr/local/bin/chk --port 80 'a b'\"\n"
		"      misc_timeout 3\n"
		"      misc_dynamic\n"
		"      user nobody\n"
		"    }\n"						/* 10 */
		"  }\n"
		"  real_server 10.0.2.12 80 {\n"
		"    MISC_CHECK { misc_path /usr/local/bin/chk }\n"
		"  }\n"
		"}\n"), 0);
	struct cfg_check *c = &cfg.svc[0].rs[0].check;
	cr_expect_eq(c->type, CHECK_EXEC);
	cr_expect_str_eq(c->argv[0], "/usr/local/bin/chk");
	cr_expect_str_eq(c->argv[1], "--port");
	cr_expect_str_eq(c->argv[2], "80");
	cr_expect_str_eq(c->argv[3], "a b");
	cr_expect_null(c->argv[4]);
	cr_expect_float_eq(c->timeout, 3, 1e-9);
	cr_expect_eq(c->fall, 1);		/* MISC_CHECK's retry is 0 */
	expect_report(9, "warning: user: not converted");
	c = &cfg.svc[0].rs[1].check;
	/* without misc_dynamic, any exit but 0 is down: a shell says so */
	cr_expect_str_eq(c->argv[0], "/bin/sh");
	cr_expect_str_eq(c->argv[1], "-c");
	cr_expect_str_eq(c->argv[2], "\"$0\" \"$@\" || exit 1");
	cr_expect_str_eq(c->argv[3], "/usr/local/bin/chk");
	cr_expect_float_eq(c->timeout, 4, 1e-9);	/* delay_loop */
}

Test(import, misc_and_notify_errors)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 80 {\n"
		"    notify_up up.sh\n"
		"    MISC_CHECK { misc_path \"check.sh\" }\n"	/* 5 */
		"  }\n"
		"  real_server 10.0.2.12 80 { MISC_CHECK { misc_dynamic } }\n"
		"}\n"), 3);
	expect_report(4, "notify_up: \"up.sh\" is not an absolute path");
	expect_report(5, "misc_path: \"check.sh\" is not an absolute path");
	expect_report(7, "MISC_CHECK: no misc_path");
}

Test(import, new_checkers_as_nflvs_check_types)
{
	const struct cfg_rs *rs;

	cr_assert_eq(convert_load(
		"track_file maint {\n"
		"  file /run/maint\n"
		"  weight 5 reverse\n"
		"}\n"
		"virtual_server 10.0.1.100 25 {\n"		/* 5 */
		"  protocol TCP\n"
		"  real_server 10.0.2.11 25 { SMTP_CHECK {\n"
		"    helo_name lb.example\n"
		"    connect_timeout 2\n"
		"  } }\n"
		"  real_server 10.0.2.12 25 { DNS_CHECK {\n"
		"    type AAAA\n"
		"    name www.example\n"
		"  } }\n"
		"  real_server 10.0.2.13 25 { UDP_CHECK {\n"
		"    payload 0a0b\n"
		"    require_reply 0a\n"
		"    min_reply_length 2\n"
		"    max_reply_length 10\n"
		"  } }\n"
		"  real_server 10.0.2.14 25 { PING_CHECK { } }\n"
		"  real_server 10.0.2.15 25 { FILE_CHECK { track_file maint } }\n"
		"  real_server 10.0.2.16 25 { FILE_CHECK {\n"
		"    track_file maint\n"
		"    weight -2\n"
		"  } }\n"
		"  real_server 10.0.2.17 25 { UDP_CHECK { require_reply } }\n"
		"}\n", true), 0);
	const char *want[] = {
		"type = \"smtp\";", "helo_name = \"lb.example\";", "timeout = 2;",
		"type = \"dns\";", "query_type = \"AAAA\";",
		"query_name = \"www.example\";", "fall = 4;",
		"type = \"udp\";", "payload = \"0a0b\";",
		"require_reply = \"0a\";", "min_reply_length = 2;",
		"max_reply_length = 10;", "require_reply = true;",
		"type = \"ping\";", "type = \"file\";", "file = \"/run/maint\";",
		"file_weight = 5;", "reverse = true;", "file_weight = -2;",
		"reverse = false;",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_not_null(strstr(text, want[i]), "no %s in\n%s",
				   want[i], text);
	/* and the director loads it as keepalived meant it */
	cr_assert_eq(cfg.nsvc, 1);
	cr_assert_eq(cfg.svc[0].nrs, 7);
	rs = cfg.svc[0].rs;
	cr_expect_eq(rs[0].check.type, CHECK_SMTP);
	cr_expect_str_eq(rs[0].check.helo_name, "lb.example");
	cr_expect_eq(rs[1].check.type, CHECK_DNS);
	cr_expect_eq(rs[1].check.query_type, 28, "AAAA");
	cr_expect_str_eq(rs[1].check.query_name, "www.example");
	cr_expect_eq(rs[2].check.type, CHECK_UDP);
	cr_expect(rs[2].check.require_reply);
	cr_expect_eq(rs[2].check.min_reply_length, 2);
	cr_expect_eq(rs[2].check.max_reply_length, 10);
	cr_expect_eq(rs[3].check.type, CHECK_PING);
	cr_expect_eq(rs[4].check.type, CHECK_FILE);
	cr_expect_str_eq(rs[4].check.file, "/run/maint");
	cr_expect_eq(rs[4].check.file_weight, 5);
	cr_expect(rs[4].check.reverse);
	cr_expect_eq(rs[5].check.file_weight, -2);
	cr_expect(!rs[5].check.reverse);
	cr_expect(rs[6].check.require_reply);
}

Test(import, unknown_checker_keys_and_file_errors)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 80 { TCP_CHECK { colour blue } }\n"
		"  real_server 10.0.2.12 80 { FILE_CHECK { track_file nope } }\n"
		"  real_server 10.0.2.13 80 { HTTP_GET { url { digest 12 } } }\n" /* 5 */
		"}\n"), 4);
	expect_report(3, "unknown keyword \"colour\" in TCP_CHECK");
	expect_report(4, "track_file nope: no such track_file block");
	expect_report(5, "digest: invalid MD5 digest \"12\"");
	expect_report(5, "url: no path");
}

/* ---- the rest of the file ------------------------------------------------- */

Test(import, vrrp_global_defs_and_others_reported_once)
{
	cr_assert_eq(convert(
		"global_defs {\n"
		"  router_id lb1\n"
		"  lvs_timeouts tcp 900 tcpfin 120 udp 300\n"
		"  lvs_sync_daemon eth0 VI_1\n"
		"}\n"						/* 5 */
		"global_defs { script_user keepalived_script\n"
		"  enable_script_security }\n"
		"vrrp_script chk { script /bin/true }\n"		/* 8 */
		"vrrp_instance VI_1 {\n"
		"  state MASTER\n"
		"  virtual_ipaddress {\n"
		"    10.0.1.100/24\n"
		"  }\n"					/* 13 */
		"}\n"
		"vrrp_sync_group G { group { VI_1 } }\n"
		"static_ipaddress { 10.0.9.1/24 dev eth0 }\n"
		"SSL { ca /etc/ca.pem }\n"			/* 17 */
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  lb_kind NAT\n"
		"  real_server 10.0.2.11 80 { }\n"
		"}\n"), 0);
	expect_report(2, "warning: global_defs router_id: not converted");
	expect_report(3, "warning: global_defs lvs_timeouts: not converted: set them with nflvsadm --set");
	expect_report(4, "warning: global_defs lvs_sync_daemon: not converted");
	expect_report(8, "warning: vrrp_script chk: VRRP stays with keepalived");
	expect_report(9, "warning: vrrp_instance VI_1: VRRP stays with keepalived; see the HA setup");
	expect_report(15, "warning: vrrp_sync_group G: VRRP stays with keepalived");
	expect_report(16, "warning: static_ipaddress: not converted");
	expect_report(17, "warning: SSL: not converted");
	if (d.nwarn != 8)
		dump();
	cr_expect_eq(d.nwarn, 8);
	cr_expect_eq(cfg.nsvc, 1);
	cr_expect_str_eq(cfg.director.script_user, "keepalived_script");
}

Test(import, syntax_comments_quotes_continuations)
{
	cr_assert_eq(convert(
		"# a comment\n"
		"! another\n"
		"virtual_server 10.0.1.100 80 # trailing\n"
		"{\n"
		"  protocol TCP ! trailing too\n"			/* 5 */
		"  real_server 10.0.2.11 80 {\n"
		"    notify_up \"/bin/echo #not a comment\" \n"
		"    weight \\\n"
		"      4\n"
		"  } }\n"), 0);
	cr_expect_str_eq(cfg.svc[0].rs[0].notify_up[1], "#not");
	cr_expect_str_eq(cfg.svc[0].rs[0].notify_up[3], "comment");
	cr_expect_eq(cfg.svc[0].rs[0].weight, 4);
}

Test(import, include_globs_relative_to_the_including_file)
{
	char sub[128];

	write_file("keepalived.conf", "");
	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	write_file("conf.d/rs.inc", "include more/*.rs\n");
	snprintf(sub, sizeof(sub), "%s/conf.d/more", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	write_file("conf.d/more/a.rs", "real_server 10.0.2.11 80 { weight 2 }\n");
	write_file("conf.d/more/b.rs", "real_server 10.0.2.12 80 {\n  bogus\n}\n");
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  include conf.d/*.inc\n"
		"  include nothing/*.conf\n"
		"}\n"), 1);
	char want[256];
	size_t i;
	bool found = false;

	snprintf(want, sizeof(want), "%s/conf.d/more/b.rs:2: unknown keyword \"bogus\" in real_server", dir);
	for (i = 0; i < d.n; i++)
		found |= !strcmp(d.msg[i], want);
	if (!found)
		dump();
	cr_expect(found, "no \"%s\"", want);
	expect_report(4, "warning: include nothing/*.conf: no file matches");
	teardown();
	write_file("keepalived.conf", "");
	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	write_file("conf.d/rs.inc", "real_server 10.0.2.11 80 { weight 2 }\n");
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  include conf.d/*.inc\n"
		"}\n"), 0);
	cr_expect_eq(cfg.svc[0].nrs, 1);
	cr_expect_eq(cfg.svc[0].rs[0].weight, 2);
}

Test(import, errors_with_file_and_line)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 80 {\n"
		"    weight 2\n"
		"}\n"), 1);
	expect_report(1, "virtual_server: block not closed");
	teardown();
	cr_assert_eq(convert(
		"virtual_server 10.0.1.300 80 { real_server 10.0.2.11 80 { } }\n"
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  lb_algo fastest\n"
		"  real_server 10.0.2.11 80 { weight 70000 }\n"	/* 5 */
		"  real_server 10.0.2.x 80 { }\n"
		"  frobnicate\n"
		"}\n"
		"}\n"
		"mystery_block { }\n"				/* 10 */
		"virtual_server 10.0.1.101 80 {\n"		/* 11 */
		"  real_server 10.0.2.12 80 { lvs_method DR }\n"
		"  real_server 10.0.2.11 80 { lvs_method NAT }\n"
		"}\n"
		"virtual_server 10.0.1.102 80 {\n"		/* 15 */
		"  persistence_granularity 255.0.255.0\n"
		"  real_server 10.0.2.11 80 { }\n"
		"}\n"
		"virtual_server 10.0.1.103 80 {\n"		/* 19 */
		"  real_server 10.0.2.11 80 { notify_up \"/bin/x\n"
		"}\n"), 10);
	expect_report(1, "virtual_server: invalid IP address \"10.0.1.300\"");
	expect_report(4, "lb_algo: unknown scheduler \"fastest\"");
	expect_report(5, "weight: invalid value \"70000\" (expected 0..65535)");
	expect_report(6, "real_server: invalid IP address \"10.0.2.x\"");
	expect_report(7, "unknown keyword \"frobnicate\" in virtual_server");
	expect_report(9, "unexpected '}'");
	expect_report(10, "unknown keyword \"mystery_block\"");
	expect_report(11, "real servers with NAT and with DR or TUN");
	expect_report(16, "netmask \"255.0.255.0\" is not one run of leading ones");
	expect_report(20, "missing closing quote");
	expect_report(19, "warning: virtual_server: no real servers");
}

Test(import, output_escapes_strings)
{
	cr_assert_eq(convert(
		"virtual_server 10.0.1.100 80 {\n"
		"  protocol TCP\n"
		"  real_server 10.0.2.11 80 { notify_up \"/bin/echo 'say \\\"hi\\\"' back\\\\slash\" }\n"
		"}\n"), 0);
	cr_expect_str_eq(cfg.svc[0].rs[0].notify_up[1], "say \"hi\"");
	cr_expect_str_eq(cfg.svc[0].rs[0].notify_up[2], "back\\slash");
}

/* ---- digest in nflvs's http check ------------------------------------------ */

Test(import, http_digest_eval)
{
	/* MD5("rs1\n"), as keepalived's genhash prints it */
	static const unsigned char md5[16] = {
		0x7a, 0x6c, 0x0d, 0x2e, 0xf5, 0xa9, 0xe6, 0xe1,
		0x77, 0x60, 0x90, 0x91, 0x6c, 0x66, 0xba, 0x3a };
	struct cfg_check c = { .type = CHECK_HTTP };
	struct probe_result r;

	c.digest = "7A6C0D2EF5A9E6E1776090916C66BA3A";
	probe_ok(&r, -1);
	check_http_digest_eval(&c, md5, &r);
	cr_expect(r.ok);
	c.digest = "00000000000000000000000000000000";
	check_http_digest_eval(&c, md5, &r);
	cr_expect(!r.ok);
	cr_expect_str_eq(r.error, "body MD5 7a6c0d2ef5a9e6e1776090916c66ba3a, not 00000000000000000000000000000000");
	probe_fail(&r, "HTTP 500");
	check_http_digest_eval(&c, md5, &r);
	cr_expect_str_eq(r.error, "HTTP 500");	/* the first failure stays */
}
