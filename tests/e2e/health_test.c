// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-healthcheck end to end: the director and the checker in the
 * director's namespace, real servers running nflvs-testnet serve (or
 * openssl s_server, or a slow server of this file).  Every assertion reads
 * the checker's results from the shared memory, as the director does;
 * every wait polls with a deadline.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "shm_map.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 8080"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(health, .init = setup, .fini = teardown, .timeout = 120);

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

#define SVC_HEAD(check) \
	"services = ( { name = \"web\"; vip = \"" LAB_VIP4 "\"; port = 80;\n" \
	"  scheduler = \"rr\";\n" \
	"  check = " check ";\n"

#define RS3 \
	"  real_servers = (\n" \
	"    { address = \"10.0.2.11\"; port = 8080; },\n" \
	"    { address = \"10.0.2.12\"; port = 8080; },\n" \
	"    { address = \"10.0.2.13\"; port = 8080; } ); } );\n"

#define FAST "interval = 0.2; timeout = 0.5; rise = 2; fall = 2;"
/* a TLS handshake (openssl s_server, RSA 2048) can take longer than 0.5 s
 * on a busy machine: the https test would see timeouts, not its states */
#define FAST_TLS "interval = 0.2; timeout = 3; rise = 2; fall = 2;"

static void start_both(const char *conf)
{
	lab_start_checked(&lab, conf);
}

static void expect_state(const char *addr, uint32_t state, int ms,
			 lab_health_t *h)
{
	lab_expect_health(&lab, addr, 8080, state, ms, h);
}

static void kill_rs(const char *role)
{
	pid_t pid = lab_pid(&lab, role);

	cr_assert_gt(pid, 0);
	lab_stop(&lab, pid, SIGKILL, 2000);
}

Test(health, http_detects_a_dead_server_within_fall_intervals)
{
	lab_health_t h;
	long t0, lat[5], worst = 0;
	uint64_t ok_before;
	int i;

	start_both(SVC_HEAD("{ type = \"http\"; path = \"/\"; expect = \"rs\"; " FAST " }") RS3);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
	expect_state("10.0.2.12", NFLVS_RS_UP, 5000, NULL);
	expect_state("10.0.2.13", NFLVS_RS_UP, 5000, NULL);

	for (i = 0; i < 5; i++) {
		t0 = now_ms();
		kill_rs("rs1");
		expect_state("10.0.2.11", NFLVS_RS_DOWN, 2000, &h);
		lat[i] = now_ms() - t0;
		if (lat[i] > worst)
			worst = lat[i];
		cr_expect_str_eq(h.last_error, "connect: Connection refused");
		/* interval 0.2 s x fall 2 + 100 ms */
		cr_expect_leq(lat[i], 500, "kill -> DOWN took %ld ms", lat[i]);

		ok_before = h.checks_ok;
		cr_assert_eq(lab_serve(&lab, "rs1", "--tcp 8080"), 0);
		expect_state("10.0.2.11", NFLVS_RS_UP, 3000, &h);
		cr_expect_geq(h.checks_ok - ok_before, 2, "up after rise successes");
		cr_expect_eq(h.transitions, 2 * i + 3);
		cr_expect_str_eq(h.last_error, "");
	}
	fprintf(stderr, "health: kill -> DOWN in shm (interval 0.2 s, fall 2): %ld %ld %ld %ld %ld ms, worst %ld ms\n",
		lat[0], lat[1], lat[2], lat[3], lat[4], worst);
	/* the others never flapped */
	cr_assert_eq(lab_health(&lab, "10.0.2.12", 8080, &h), 0);
	cr_expect_eq(h.transitions, 1);
	cr_expect_eq(h.checks_failed, 0);
}

Test(health, http_status_and_body)
{
	lab_health_t h;

	start_both(SVC_HEAD("{ type = \"http\"; " FAST " }")
		   "  real_servers = (\n"
		   "    { address = \"10.0.2.11\"; port = 8080; check = { expect = \"nope\"; }; },\n"
		   "    { address = \"10.0.2.12\"; port = 8080; check = { status = \"500-599\"; }; },\n"
		   "    { address = \"10.0.2.13\"; port = 8080; check = { expect = \"rs3\"; status = ( 200, \"204\" ); }; } ); } );\n");
	expect_state("10.0.2.11", NFLVS_RS_DOWN, 5000, &h);
	cr_expect_str_eq(h.last_error, "body does not contain \"nope\"");
	expect_state("10.0.2.12", NFLVS_RS_DOWN, 5000, &h);
	cr_expect_str_eq(h.last_error, "HTTP 200");
	expect_state("10.0.2.13", NFLVS_RS_UP, 5000, &h);
	cr_expect_lt(h.latency_us, 500000);
	cr_expect_gt(h.last_check, 0);
}

static void tls_server(const char *role, int port)
{
	char name[16];

	snprintf(name, sizeof(name), "tls-%s", role);
	cr_assert_gt(lab_spawn(&lab, role, name,
			       "exec openssl s_server -quiet -www -accept %d -cert %s/cert.pem -key %s/key.pem",
			       port, lab.dir, lab.dir), 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "ip netns exec %s ss -ltn | grep -q ':%d '",
				 lab_ns(&lab, role), port), 0,
		     "s_server did not listen: %s", lab_log(&lab, name));
}

Test(health, https_verifies_certificates_unless_told_not_to)
{
	lab_health_t h;

	cr_assert_eq(lab_sh(&lab, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
			    "-subj /CN=nflvs-test -keyout %s/key.pem -out %s/cert.pem",
			    lab.dir, lab.dir), 0, "openssl req");
	tls_server("rs1", 8443);
	tls_server("rs2", 8443);
	start_both(SVC_HEAD("{ type = \"https\"; " FAST_TLS " }")
		   "  real_servers = (\n"
		   "    { address = \"10.0.2.11\"; port = 8443; },\n"
		   "    { address = \"10.0.2.12\"; port = 8443;\n"
		   "      check = { verify_tls = false; host = \"nflvs-test\"; }; },\n"
		   "    { address = \"10.0.2.13\"; port = 8080; check = { verify_tls = false; }; } ); } );\n");
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.11", 8443, NFLVS_RS_DOWN, 5000, &h), 0,
		     "%s\n%s", h.last_error, lab_log(&lab, "checker"));
	cr_expect(!strncmp(h.last_error, "TLS: certificate verify failed", 30),
		  "%s", h.last_error);
	cr_assert_eq(lab_wait_health(&lab, "10.0.2.12", 8443, NFLVS_RS_UP, 5000, &h), 0,
		     "%s\n%s", h.last_error, lab_log(&lab, "checker"));
	/* https to a plain HTTP port */
	expect_state("10.0.2.13", NFLVS_RS_DOWN, 5000, &h);
	cr_expect(!strncmp(h.last_error, "TLS: ", 5), "%s", h.last_error);
}

Test(health, ipv6_and_a_host_name)
{
	lab_health_t h;

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP6 "\"; port = 80; scheduler = \"rr\";\n"
		"  check = { type = \"http\"; " FAST " };\n"
		"  real_servers = (\n"
		"    { address = \"fd00:2::11\"; port = 8080; },\n"
		"    { address = \"fd00:2::12\"; port = 8080;\n"
		"      check = { host = \"www.example.org\"; expect = \"rs2\"; }; },\n"
		"    { address = \"fd00:2::13\"; port = 8080; check = { type = \"tcp\"; }; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_gt(lab_checker_start(&lab, NULL), 0);
	cr_assert_eq(lab_wait_health(&lab, "fd00:2::11", 8080, NFLVS_RS_UP, 5000, &h), 0,
		     "%s", h.last_error);
	cr_assert_eq(lab_wait_health(&lab, "fd00:2::12", 8080, NFLVS_RS_UP, 5000, &h), 0,
		     "%s", h.last_error);
	cr_assert_eq(lab_wait_health(&lab, "fd00:2::13", 8080, NFLVS_RS_UP, 5000, &h), 0,
		     "%s", h.last_error);
	kill_rs("rs1");
	cr_assert_eq(lab_wait_health(&lab, "fd00:2::11", 8080, NFLVS_RS_DOWN, 2000, &h), 0);
	cr_expect_str_eq(h.last_error, "connect: Connection refused");
}

Test(health, tcp_up_down_up)
{
	lab_health_t h;

	start_both(SVC_HEAD("{ type = \"tcp\"; " FAST " }") RS3);
	expect_state("10.0.2.13", NFLVS_RS_UP, 5000, NULL);
	kill_rs("rs3");
	expect_state("10.0.2.13", NFLVS_RS_DOWN, 2000, &h);
	cr_expect_str_eq(h.last_error, "connect: Connection refused");
	cr_assert_eq(lab_serve(&lab, "rs3", "--tcp 8080"), 0);
	expect_state("10.0.2.13", NFLVS_RS_UP, 3000, &h);
	cr_expect_eq(h.transitions, 3);
}

static void put(const char *name, const char *text, int mode)
{
	lab_put(&lab, name, text, mode);
}

static int wait_weight(const char *addr, int weight, int ms, lab_health_t *h)
{
	long end = now_ms() + ms;

	do {
		if (lab_health(&lab, addr, 8080, h) == 0 && h->weight == weight)
			return 0;
		usleep(5000);
	} while (now_ms() < end);
	return -1;
}

Test(health, exec_exit_code_sets_the_weight)
{
	char script[512], conf[1024], out[256];
	lab_health_t h;

	/* the script runs as the checker's user: a directory it may write */
	cr_assert_eq(lab_sh(&lab, "mkdir -m 1777 %s/out", lab.dir), 0);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "echo \"$NFLVS_RS_ADDR $NFLVS_RS_PORT $NFLVS_VIP $NFLVS_VPORT\" > %s/out/env.$NFLVS_RS_ADDR\n"
		 "exit $(cat %s/code)\n", lab.dir, lab.dir);
	put("check.sh", script, 0755);
	put("code", "7\n", 0644);
	snprintf(conf, sizeof(conf),
		 SVC_HEAD("{ type = \"exec\"; argv = [ \"%s/check.sh\" ]; interval = 0.1; rise = 1; fall = 1; }")
		 "  real_servers = ( { address = \"10.0.2.11\"; port = 8080; } ); } );\n",
		 lab.dir);
	start_both(conf);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, &h);
	cr_expect_eq(h.weight, 5, "exit 7 = weight 5");
	cr_assert_eq(lab_cap(&lab, out, sizeof(out), "cat %s/out/env.10.0.2.11", lab.dir), 0);
	cr_expect_str_eq(out, "10.0.2.11 8080 " LAB_VIP4 " 80\n");

	put("code", "12\n", 0644);
	cr_expect_eq(wait_weight("10.0.2.11", 10, 3000, &h), 0,
		     "exit 12 = weight 10, got %d", h.weight);
	cr_expect_eq(h.state, NFLVS_RS_UP);

	put("code", "1\n", 0644);
	expect_state("10.0.2.11", NFLVS_RS_DOWN, 3000, &h);
	cr_expect_str_eq(h.last_error, "exit 1");
	put("code", "0\n", 0644);
	expect_state("10.0.2.11", NFLVS_RS_UP, 3000, &h);
	cr_expect_eq(h.weight, -1, "exit 0 = the configured weight");
}

/*
 * An HTTP server that sends its headers and a little of the body, then
 * nothing: keepalived's #1822, the timeout must bound the whole check.
 */
static pid_t slow_server(const char *role, int port)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nrs";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char path[128];
	int fd, one = 1, nsfd;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid > 0) {
		lab.proc[lab.nproc].pid = pid;
		snprintf(lab.proc[lab.nproc].name, sizeof(lab.proc[0].name), "slow");
		lab.nproc++;
		return pid;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", lab_ns(&lab, role));
	nsfd = open(path, O_RDONLY);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		_exit(1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
		_exit(1);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		/* kept open and silent; the checker closes */
		if (c >= 0 && write(c, head, sizeof(head) - 1) < 0)
			close(c);
	}
}

Test(health, http_timeout_bounds_a_slow_body)
{
	lab_health_t h;

	slow_server("rs1", 8081);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "ip netns exec %s ss -ltn | grep -q ':8081 '",
				 lab_ns(&lab, "rs1")), 0);
	start_both(SVC_HEAD("{ type = \"http\"; interval = 0.5; timeout = 0.3; rise = 1; fall = 1; }")
		   "  real_servers = ( { address = \"10.0.2.11\"; port = 8080; check = { connect_port = 8081; }; } ); } );\n");
	expect_state("10.0.2.11", NFLVS_RS_DOWN, 5000, &h);
	cr_expect_str_eq(h.last_error, "timeout after 300 ms");
	cr_expect_geq(h.latency_us, 290000);
	cr_expect_lt(h.latency_us, 450000, "latency %u us", h.latency_us);
}

Test(health, checker_waits_for_the_director)
{
	lab_write_conf(&lab, SVC_HEAD("{ type = \"http\"; " FAST " }") RS3);
	cr_assert_gt(lab_checker_start(&lab, NULL), 0);
	cr_assert_eq(lab_wait_sh(&lab, 5000, "grep -q 'waiting for the director' %s/checker.log",
				 lab.dir), 0, "%s", lab_log(&lab, "checker"));
	cr_assert_eq(lab_director_start(&lab), 0);
	expect_state("10.0.2.12", NFLVS_RS_UP, 5000, NULL);
}

static void expect_checking_on(const char *addr, uint64_t start)
{
	lab_health_t h;
	uint64_t before;
	long end = now_ms() + 5000;

	/* a new segment, with our results carried over and still growing */
	while (lab_shm_director_start(&lab) == start && now_ms() < end)
		usleep(5000);
	cr_assert_neq(lab_shm_director_start(&lab), start, "no new segment");
	expect_state(addr, NFLVS_RS_UP, 3000, &h);
	before = h.checks_ok;
	while (h.checks_ok < before + 3 && now_ms() < end) {
		usleep(20000);
		lab_health(&lab, addr, 8080, &h);
	}
	cr_expect_geq(h.checks_ok, before + 3, "checks go on in the new segment\n%s",
		      lab_log(&lab, "checker"));
}

Test(health, follows_director_restarts)
{
	lab_health_t h;
	uint64_t start;

	start_both(SVC_HEAD("{ type = \"http\"; " FAST " }") RS3);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
	kill_rs("rs2");
	expect_state("10.0.2.12", NFLVS_RS_DOWN, 3000, NULL);

	start = lab_shm_director_start(&lab);
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	cr_assert_eq(lab_director_start(&lab), 0);
	expect_checking_on("10.0.2.11", start);
	/* the dead server is DOWN in the new segment at once, no UNKNOWN */
	cr_assert_eq(lab_health(&lab, "10.0.2.12", 8080, &h), 0);
	cr_expect_eq(h.state, NFLVS_RS_DOWN);

	start = lab_shm_director_start(&lab);
	cr_assert_eq(lab_director_stop(&lab, SIGKILL), 128 + SIGKILL);
	cr_assert_eq(lab_director_start(&lab), 0);
	expect_checking_on("10.0.2.11", start);
	cr_expect(strstr(lab_log(&lab, "checker"), "re-attached"), "%s",
		  lab_log(&lab, "checker"));
}

Test(health, reload_on_sighup)
{
	lab_health_t h;
	pid_t pid;

	start_both(SVC_HEAD("{ type = \"http\"; " FAST " }") RS3);
	pid = lab_pid(&lab, "checker");
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);

	/* a broken file is refused whole, the checks go on */
	lab_write_conf(&lab, "services = ( { oops } );\n");
	kill(pid, SIGHUP);
	cr_assert_eq(lab_wait_sh(&lab, 3000, "grep -q 'keeping the running configuration' %s/checker.log",
				 lab.dir), 0, "%s", lab_log(&lab, "checker"));
	cr_expect(strstr(lab_log(&lab, "checker"), "nflvs.conf:"), "errors as FILE:LINE");

	lab_write_conf(&lab, SVC_HEAD("{ type = \"http\"; expect = \"nope\"; " FAST " }") RS3);
	kill(pid, SIGHUP);
	expect_state("10.0.2.11", NFLVS_RS_DOWN, 3000, &h);
	cr_expect_str_eq(h.last_error, "body does not contain \"nope\"");
	cr_expect_eq(lab_wait_exit(&lab, pid, 0), -1, "the checker still runs");
}

Test(health, refuses_a_segment_of_another_abi)
{
	struct shm_map m;
	pid_t pid;

	cr_assert_eq(shm_create(&m, lab.shm, 1, 1), 0);
	m.hdr->abi_version = NFLVS_SHM_ABI + 1;
	lab_write_conf(&lab, SVC_HEAD("{ type = \"tcp\"; }") RS3);
	pid = lab_checker_start(&lab, NULL);
	cr_assert_gt(pid, 0);
	cr_expect_eq(lab_wait_exit(&lab, pid, 5000), 1);
	cr_expect(strstr(lab_log(&lab, "checker"), "ABI version 2, this program speaks 1"),
		  "%s", lab_log(&lab, "checker"));
	shm_close(&m);
}

Test(health, config_test_option)
{
	char out[1024];

	lab_write_conf(&lab, SVC_HEAD("{ type = \"http\"; rise = 0; }") RS3);
	cr_expect_eq(lab_cap(&lab, out, sizeof(out),
			     "{ build/nflvs-healthcheck -t -f %s 2>&1; }", lab.conf), 1);
	cr_expect(strstr(out, "nflvs.conf:") && strstr(out, "rise"), "%s", out);
	lab_write_conf(&lab, SVC_HEAD("{ type = \"http\"; }") RS3);
	cr_expect_eq(lab_cap(&lab, out, sizeof(out),
			     "{ build/nflvs-healthcheck -t -f %s 2>&1; }", lab.conf), 0);
	cr_expect(strstr(out, "configuration OK"), "%s", out);
}

static unsigned int uid_of(pid_t pid)
{
	char out[64];

	if (lab_cap(&lab, out, sizeof(out), "awk '/^Uid:/ { print $2 }' /proc/%d/status",
		    (int)pid) != 0)
		return ~0u;
	return (unsigned int)strtoul(out, NULL, 10);
}

Test(health, drops_to_director_user_after_attaching)
{
	pid_t pid;

	lab_write_conf(&lab, SVC_HEAD("{ type = \"tcp\"; " FAST " }") RS3);
	/* lab_write_conf writes the director group: add the user to it */
	cr_assert_eq(lab_sh(&lab, "sed -i 's/^  table = \"nflvs\";/&\\n  user = \"nobody\";/' %s",
			    lab.conf), 0);
	cr_assert_eq(lab_director_start(&lab), 0);
	pid = lab_checker_start(&lab, NULL);
	cr_assert_gt(pid, 0);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
	cr_expect(strstr(lab_log(&lab, "checker"), "running as user nobody"), "%s",
		  lab_log(&lab, "checker"));
	cr_expect_eq(uid_of(pid), 65534u);
	/* the director gives its segments to the user's group: a new one
	 * after a restart is open to the checker too */
	cr_assert_eq(lab_director_stop(&lab, SIGTERM), 0);
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_expect_eq(lab_sh(&lab, "stat -c %%G /dev/shm%s | grep -qx nogroup", lab.shm), 0);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
	cr_expect_eq(lab_wait_exit(&lab, pid, 0), -1, "the checker left: %s",
		     lab_log(&lab, "checker"));
	cr_expect_eq(uid_of(pid), 65534u);
}

Test(health, sigterm_exits_zero_and_clears_checker_pid)
{
	struct shm_map m;
	char err[128];
	pid_t pid;

	start_both(SVC_HEAD("{ type = \"tcp\"; " FAST " }") RS3);
	pid = lab_pid(&lab, "checker");
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
	cr_assert_eq(shm_attach(&m, lab.shm, false, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(m.hdr->checker_pid, (uint32_t)pid);
	cr_expect_eq(lab_stop(&lab, pid, SIGTERM, 3000), 0);
	cr_expect_eq(m.hdr->checker_pid, 0);
	shm_close(&m);
}

Test(health, http_digest_is_the_body_md5)
{
	lab_health_t h;

	/* each server answers its name and a newline: MD5("rs1\n") */
	start_both(SVC_HEAD("{ type = \"http\"; digest = \"7A6C0D2EF5A9E6E1776090916C66BA3A\"; " FAST " }")
		   RS3);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, &h);
	expect_state("10.0.2.12", NFLVS_RS_DOWN, 5000, &h);
	cr_expect_str_eq(h.last_error, "body MD5 "
			 "f1743bfe5e2cd7630e74f90e32d8f651, not "
			 "7A6C0D2EF5A9E6E1776090916C66BA3A");
}
