// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tunneling end to end, in lab.h's DR topology: the director encapsulates
 * each packet for its real server (ipip, gre, gue); the real servers
 * decapsulate in user space (build/tests/nflvs-decap: this kernel has no
 * tunnel devices) and answer from the VIP on lo, straight to the router.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	cr_assert_eq(lab_dr_topology(&lab, 3), 0, "topology");
	cr_assert_eq(lab_serve(&lab, "rs1", "--tcp 80 --udp 53"), 0);
	cr_assert_eq(lab_serve(&lab, "rs2", "--tcp 80 --udp 53"), 0);
	cr_assert_eq(lab_serve(&lab, "rs3", "--tcp 80 --udp 53"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(tun, .init = setup, .fini = teardown, .timeout = 120);

#define V4	LAB_DR_VIP4
#define V6	LAB_DR_VIP6
#define GUE_PORT "6080"

/* rs1 ipip, rs2 gre with checksums, rs3 gue: one decapsulator each. */
static void decap_all(void)
{
	cr_assert_gt(lab_decap(&lab, "rs1", "decap1", "--type ipip"), 0);
	cr_assert_gt(lab_decap(&lab, "rs2", "decap2", "--type gre"), 0);
	cr_assert_gt(lab_decap(&lab, "rs3", "decap3", "--type gue --port " GUE_PORT), 0);
}

#define TUN3(...)	TUN3_(__VA_ARGS__)	/* RS4, RS6 expand first */
#define TUN3_(vip, proto, port, sched, a1, a2, a3) \
	"{ vip = \"" vip "\"; port = " #port "; protocol = \"" proto "\";\n" \
	"  scheduler = \"" sched "\"; forward = \"tun\";\n" \
	"  real_servers = (\n" \
	"    { address = \"" a1 "\"; port = " #port "; tunnel = { type = \"ipip\"; }; },\n" \
	"    { address = \"" a2 "\"; port = " #port "; tunnel = { type = \"gre\"; csum = true; }; },\n" \
	"    { address = \"" a3 "\"; port = " #port "; tunnel = { type = \"gue\"; port = " GUE_PORT "; }; } ); }"
#define RS4	"10.0.3.11", "10.0.3.12", "10.0.3.13"
#define RS6	"fd00:3::11", "fd00:3::12", "fd00:3::13"

static int adm(char *out, size_t len, const char *args)
{
	return lab_cap(&lab, out, len, "build/nflvsadm --socket %s/director.sock %s 2>&1",
		       lab.dir, args);
}

static void expect_rr(const struct lab_tally *t, int n)
{
	static const char *const want[] = { "rs3", "rs2", "rs1" };
	int i;

	cr_assert_eq(t->nseq, n, "%d answers of %d, errors %d", t->nseq, n,
		     t->errors);
	for (i = 0; i < n; i++)
		cr_expect_str_eq(t->seq[i], want[i % 3], "connection %d", i);
}

static void expect_clean_decap(void)
{
	static const char *const name[] = { "decap1", "decap2", "decap3" };
	int i;

	for (i = 0; i < 3; i++) {
		cr_expect_gt(lab_wait_stat(&lab, name[i], "decapsulated", 1, 2000), 0,
			     "%s", name[i]);
		cr_expect_eq(lab_stat(&lab, name[i], "bad"), 0, "%s: %s", name[i],
			     lab_log(&lab, name[i]));
	}
}

static void every_type(const char *services, const char *vip)
{
	struct lab_tally t;
	char out[4096];

	decap_all();
	lab_write_conf(&lab, services);
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp %s 80 -n 30 --seq", vip), 0,
		     "errors %d", t.errors);
	expect_rr(&t, 30);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--udp %s 53 -n 30 --seq", vip), 0,
		     "errors %d", t.errors);
	expect_rr(&t, 30);
	expect_clean_decap();
	cr_assert_eq(adm(out, sizeof(out), "-Ln --stats"), 0, "%s", out);
	cr_assert_eq(adm(out, sizeof(out), "-Ln"), 0, "%s", out);
	cr_expect(strstr(out, "Tunnel  1      0          10"), "%s", out);
}

Test(tun, every_type_ipv4)
{
	every_type("services = ( " TUN3(V4, "tcp", 80, "rr", RS4) ",\n"
		   TUN3(V4, "udp", 53, "rr", RS4) " );\n", V4);
}

Test(tun, every_type_ipv6)
{
	every_type("services = ( " TUN3(V6, "tcp", 80, "rr", RS6) ",\n"
		   TUN3(V6, "udp", 53, "rr", RS6) " );\n", V6);
}

/* IPv4 in IPv6 and IPv6 in IPv4 (IPVS's ipip6 and sit cases). */
Test(tun, across_families)
{
	struct lab_tally t;

	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", RS6) ",\n"
		       TUN3(V6, "tcp", 80, "rr", RS4) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 9 --seq"), 0,
		     "errors %d", t.errors);
	expect_rr(&t, 9);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V6 " 80 -n 9 --seq"), 0,
		     "errors %d", t.errors);
	expect_rr(&t, 9);
	expect_clean_decap();
}

/*
 * A full-size packet does not fit in the tunnel: the client learns the
 * smaller MTU from the director's ICMP error, and a 10 MB upload goes
 * through, over each type (the largest overhead last) and both families.
 */
Test(tun, upload_10mb_path_mtu)
{
	static const char *const vip[] = { V4, V6 };
	char out[256];
	int i, j;

	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", RS4) ",\n"
		       TUN3(V6, "tcp", 80, "rr", RS6) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++) {
			lab_cap(&lab, out, sizeof(out), "ip netns exec %s "
				"build/tests/nflvs-testnet upload %s 80 --bytes 10000000",
				lab_ns(&lab, "cl"), vip[i]);
			cr_expect(strncmp(out, "ok rs", 5) == 0 && strstr(out, " 10000000"),
				  "upload to %s: %s", vip[i], out);
		}
	/* the client's route to the VIP carries the tunnel's MTU */
	lab_cap(&lab, out, sizeof(out), "ip -n %s route get " V4, lab_ns(&lab, "cl"));
	cr_expect(strstr(out, "mtu 14"), "%s", out);
	lab_cap(&lab, out, sizeof(out), "ip -n %s -6 route get " V6, lab_ns(&lab, "cl"));
	cr_expect(strstr(out, "mtu 14"), "%s", out);
	expect_clean_decap();
}

/* Counts from the client's side of TCP, as IPVS's for TUN; the director's
 * own clock times the flows out (2 s, ipvsadm --set). */
Test(tun, counts_and_expiry)
{
	char out[2048], ready[256];
	struct lab_tally t;
	pid_t h;

	decap_all();
	lab_write_conf(&lab, "services = ( " TUN3(V4, "tcp", 80, "rr", RS4) " );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(adm(out, sizeof(out), "--set 2 2 2"), 0, "%s", out);
	snprintf(ready, sizeof(ready), "%s/hold.ready", lab.dir);
	h = lab_spawn(&lab, "cl", "hold", "exec build/tests/nflvs-testnet hold " V4
		      " 80 --interval-ms 50 --timeout-ms 3000 --ready-file %s", ready);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "test -e %s", ready), 0, "%s",
		     lab_log(&lab, "hold"));
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 1, 0, 2000), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " V4 " 80 -n 2"), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.12", 80, 0, 1, 2000), 0);
	cr_assert_eq(adm(out, sizeof(out), "-Lnc"), 0);
	cr_expect(strstr(out, "ESTABLISHED") && strstr(out, "10.0.3.13:80"), "%s", out);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.12", 80, 0, 0, 6000), 0);
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.11", 80, 0, 0, 2000), 0);
	/* the held one is renewed by its packets */
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 1, 0, 100), 0);
	cr_assert_eq(lab_stop(&lab, h, SIGTERM, 5000), 0, "%s", lab_log(&lab, "hold"));
	cr_expect(strncmp(lab_log(&lab, "hold"), "ok ", 3) == 0, "%s",
		  lab_log(&lab, "hold"));
	cr_expect_eq(lab_wait_counts(&lab, "10.0.3.13", 80, 0, 0, 6000), 0);
}

/* ---- configs that are refused (no namespaces needed) ---------------------- */

TestSuite(tunconf, .timeout = 30);

static void refused(const char *services, const char *want)
{
	char path[] = "/tmp/nflvs-tunconf-XXXXXX", cmd[512], out[4096] = "";
	size_t n = 0;
	FILE *f;
	int fd = mkstemp(path), st;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fprintf(f, "director = { shm = \"/nflvs-tunconf\"; };\nservices = ( %s );\n",
		services);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "build/nflvs-director -t -f %s 2>&1", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (n + 1 < sizeof(out) && fgets(out + n, sizeof(out) - n, f))
		n = strlen(out);
	st = pclose(f);
	unlink(path);
	cr_expect_eq(WEXITSTATUS(st), 1, "accepted: %s", services);
	cr_expect(strstr(out, want), "want \"%s\" in:\n%s", want, out);
}

Test(tunconf, wrong_or_missing_tunnels_are_refused)
{
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"tun\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80;\n"
		"    tunnel = { type = \"gue\"; }; } ); }",
		":4: port: missing (required for gue tunnels)");
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"tun\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80;\n"
		"    tunnel = { type = \"vxlan\"; }; } ); }",
		":4: type: unknown tunnel type \"vxlan\"");
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"dr\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80;\n"
		"    tunnel = { type = \"ipip\"; }; } ); }",
		":4: tunnel: only valid with forward tun (forward is dr)");
	refused("{ vip = \"10.0.3.100\"; port = 80; forward = \"tun\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 8080; } ); }",
		":3: port: tun forwarding cannot map ports (service port 80, real server 8080)");
	refused("{ vip = \"10.0.3.100\"; port = 80;\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80; forward = \"tun\"; } ); }",
		":3: forward: \"tun\" real server in a \"nat\" service");
	refused("{ fwmark = 7; forward = \"dr\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; } ); }",
		":2: forward: \"dr\" is for vip services; firewall-mark services forward with nat");
	refused("{ vip = \"10.0.3.100\"; port = 80; protocol = \"sctp\"; forward = \"dr\";\n"
		"  real_servers = ( { address = \"10.0.3.11\"; port = 80; } ); }",
		":2: forward: \"dr\" supports tcp and udp services, not sctp");
}
