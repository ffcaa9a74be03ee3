// SPDX-License-Identifier: GPL-2.0-or-later
/* nflvsadm against a running director: ipvsadm's commands and listings. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlmsg.h"
#include "lab.h"
#include "shm_map.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 3), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 3, "--tcp 80"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(adm, .init = setup, .fini = teardown, .timeout = 120);

static char out[16384];

/* nflvsadm ARGS: its exit status, its stdout (and stderr) in out */
static int adm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int adm(const char *fmt, ...)
{
	char args[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	/* in a shell of its own: lab_cap sends the outer stderr to its log */
	return lab_cap(&lab, out, sizeof(out),
		       "sh -c 'build/nflvsadm --socket %s/director.sock %s 2>&1'",
		       lab.dir, args);
}

static const char header[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

Test(adm, build_a_service_and_list_it)
{
	struct lab_tally t;
	char want[1024];

	lab_write_conf(&lab, "");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(adm("-A -t " LAB_VIP4 ":80 -s wrr"), 0, "%s", out);
	cr_assert_eq(adm("-a -t " LAB_VIP4 ":80 -r 10.0.2.11:80 -m"), 0, "%s", out);
	cr_assert_eq(adm("-a -t " LAB_VIP4 ":80 -r 10.0.2.12:80 -m -w 1"), 0, "%s", out);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 2);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
	/* the counts are inactive: the connections closed */
	cr_assert_eq(lab_wait_counts(&lab, "10.0.2.11", 80, 0, 2, 3000), 0);
	cr_assert_eq(adm("-Ln"), 0);
	snprintf(want, sizeof(want), "%s"
		 "TCP  10.0.1.100:80 wrr\n"
		 "  -> 10.0.2.12:80                 Masq    1      0          2         \n"
		 "  -> 10.0.2.11:80                 Masq    1      0          2         \n",
		 header);
	cr_expect_str_eq(out, want);
	/* --stats: 4 connections, packets both ways (counters read each second) */
	cr_assert_eq(lab_wait_sh(&lab, 3000, "build/nflvsadm --socket %s/director.sock -Ln --stats | "
				 "grep -q '^TCP  10.0.1.100:80 *4 '", lab.dir), 0);
	cr_assert_eq(adm("-Ln --stats"), 0);
	cr_expect(strstr(out, "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"), "%s", out);
	cr_expect_eq(adm("-Lnc"), 0);
	cr_expect(strstr(out, "IPVS connection entries\n"), "%s", out);
	cr_expect(strstr(out, "10.0.1.100:80      10.0.2.11:80"), "%s", out);
}

Test(adm, edit_weight_and_delete)
{
	struct lab_tally t;

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"wrr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 80; },\n"
		"                   { address = \"10.0.2.12\"; port = 80; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(adm("-e -t " LAB_VIP4 ":80 -r 10.0.2.11:80 -m -w 3"), 0, "%s", out);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 8"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs1"), 6);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 2);
	cr_assert_eq(adm("-d -t " LAB_VIP4 ":80 -r 10.0.2.11:80"), 0, "%s", out);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 4"), 0);
	cr_expect_eq(lab_tally_of(&t, "rs2"), 4);
	/* ipvsadm's errors and exit codes */
	cr_expect_eq(adm("-d -t " LAB_VIP4 ":80 -r 10.0.2.11:80"), 255);
	cr_expect(strstr(out, "No such destination"), "%s", out);
	cr_expect_eq(adm("-a -t " LAB_VIP4 ":80 -r 10.0.2.12:80 -m"), 255);
	cr_expect(strstr(out, "Destination already exists"), "%s", out);
	cr_expect_eq(adm("-a -t 10.9.9.9:80 -r 10.0.2.12:80 -m"), 255);
	cr_expect(strstr(out, "Service not defined"), "%s", out);
	cr_expect_eq(adm("-A -t " LAB_VIP4 ":80 -s rr"), 255);
	cr_expect(strstr(out, "Service already exists"), "%s", out);
	cr_expect_eq(adm("-A -t " LAB_VIP4 ":81 -s nosuch"), 255);
	cr_expect(strstr(out, "Scheduler or persistence engine not found"), "%s", out);
}

Test(adm, save_clear_restore)
{
	static char saved[sizeof(out)], listed[sizeof(out)];
	struct lab_tally t;

	lab_write_conf(&lab,
		"services = ( { vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\"; persistence = 60;\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 80; weight = 2; },\n"
		"                   { address = \"10.0.2.12\"; port = 80; },\n"
		"                   { address = \"10.0.2.13\"; port = 80; weight = 0; } ); },\n"
		"  { vip = \"" LAB_VIP6 "\"; port = 53; protocol = \"udp\"; scheduler = \"sh\";\n"
		"    scheduler_flags = [ \"sh-port\" ];\n"
		"    real_servers = ( { address = \"fd00:2::11\"; port = 53; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(adm("-Ln"), 0);
	snprintf(listed, sizeof(listed), "%s", out);
	cr_assert_eq(adm("-S -n"), 0);
	snprintf(saved, sizeof(saved), "%s", out);
	cr_expect(strstr(saved, "-A -t 10.0.1.100:80 -s rr -p 60\n"), "%s", saved);
	cr_assert_eq(adm("-C"), 0);
	cr_assert_eq(adm("-Ln"), 0);
	cr_expect_str_eq(out, header, "cleared");
	lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 1 --timeout-ms 300");
	cr_expect_eq(t.errors, 1, "no service after -C");
	cr_assert_eq(lab_sh(&lab, "printf '%%s' '%s' | build/nflvsadm --socket %s/director.sock -R",
			    saved, lab.dir), 0);
	cr_assert_eq(adm("-Ln"), 0);
	cr_expect_str_eq(out, listed, "-S | -R gives back the same listing");
	cr_assert_eq(adm("-S -n"), 0);
	cr_expect_str_eq(out, saved);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 2"), 0);
}

/*
 * -R sends its edits as one BATCH; a line the director refuses stops it
 * there with the lines before applied, whether the refusal comes from the
 * edit itself (a service that exists) or from checking the whole result
 * (a firewall mark in the director's bits: the batch is then replayed
 * line by line to find it).
 */
Test(adm, restore_stops_at_a_refused_line)
{
	lab_write_conf(&lab, "");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_sh(&lab, "printf '%%s' '"
			    "-A -t " LAB_VIP4 ":80 -s rr\n"
			    "-a -t " LAB_VIP4 ":80 -r 10.0.2.11:80 -m\n"
			    "-A -t " LAB_VIP4 ":80 -s wrr\n"
			    "-A -t " LAB_VIP4 ":81\n' | build/nflvsadm --socket "
			    "%s/director.sock -R >%s/r1.out 2>&1", lab.dir, lab.dir), 255);
	lab_cap(&lab, out, sizeof(out), "cat %s/r1.out", lab.dir);
	cr_expect_str_eq(out, "Service already exists\nnflvsadm: -R: stopped at line 3\n");
	cr_assert_eq(adm("-S -n"), 0);
	cr_expect_str_eq(out, "-A -t 10.0.1.100:80 -s rr\n"
			 "-a -t 10.0.1.100:80 -r 10.0.2.11:80 -m -w 1\n");

	cr_assert_eq(lab_sh(&lab, "printf '%%s' '"
			    "-A -t " LAB_VIP4 ":82\n"
			    "-A -f 65536 -s rr\n"
			    "-A -t " LAB_VIP4 ":83\n' | build/nflvsadm --socket "
			    "%s/director.sock -R >%s/r2.out 2>&1", lab.dir, lab.dir), 255);
	lab_cap(&lab, out, sizeof(out), "cat %s/r2.out", lab.dir);
	cr_expect(strstr(out, "fwmark: 0x10000 uses bits of director.mark_mask") &&
		  strstr(out, "nflvsadm: -R: stopped at line 2\n"), "%s", out);
	cr_assert_eq(adm("-S -n"), 0);
	cr_expect_str_eq(out, "-A -t 10.0.1.100:80 -s rr\n"
			 "-a -t 10.0.1.100:80 -r 10.0.2.11:80 -m -w 1\n"
			 "-A -t 10.0.1.100:82 -s wlc\n");
}

/* A BATCH sent raw; its reply status, with *done from the reply. */
static int raw_batch(const void *req, uint32_t len, uint32_t *done)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct nflvs_ctl_batch_reply br = { 0 };
	struct nflvs_ctl_hdr h;
	char buf[1024];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(lab.dir) + sizeof("/director.sock"), sizeof(sun.sun_path));
	memcpy(sun.sun_path, lab.dir, strlen(lab.dir));
	strcat(sun.sun_path, "/director.sock");
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(ctl_send(fd, NFLVS_CTL_BATCH, 1, 0, req, len), 0);
	cr_assert_eq(ctl_recv(fd, &h, buf, sizeof(buf)), 1);
	close(fd);
	cr_assert_geq(h.len, sizeof(br));
	memcpy(&br, buf, sizeof(br));
	*done = br.done;
	return h.status;
}

/* Sub-requests that are not well formed: refused whole, nothing applied,
 * and the director goes on. */
Test(adm, a_malformed_batch_changes_nothing)
{
	struct {
		struct nflvs_ctl_hdr h1;
		struct nflvs_ctl_svc s1;
		struct nflvs_ctl_hdr h2;
		struct nflvs_ctl_svc s2;
	} b = {
		.h1 = { .magic = NFLVS_CTL_MAGIC, .version = NFLVS_CTL_VERSION,
			.type = NFLVS_CTL_ADD_SERVICE, .len = sizeof(b.s1) },
		.s1 = { .family = AF_INET, .protocol = IPPROTO_TCP, .port = 90,
			.sched = "rr", .netmask = 32 },
		.h2 = { .magic = NFLVS_CTL_MAGIC, .version = NFLVS_CTL_VERSION,
			.type = NFLVS_CTL_ADD_SERVICE, .len = sizeof(b.s2) },
	};
	uint32_t done = 99;

	inet_pton(AF_INET, LAB_VIP4, b.s1.addr);
	b.s2 = b.s1;
	b.s2.port = 91;
	lab_write_conf(&lab, "");
	cr_assert_eq(lab_director_start(&lab), 0);
	/* the second one cut short, then one that may not be batched */
	cr_expect_eq(raw_batch(&b, sizeof(b) - 4, &done), -EPROTO);
	cr_expect_eq(done, 0);
	b.h2.type = NFLVS_CTL_RELOAD;
	cr_expect_eq(raw_batch(&b, sizeof(b), &done), -EPROTO);
	cr_assert_eq(adm("-S -n"), 0);
	cr_expect_str_eq(out, "", "a malformed batch applied something");
	/* well formed, the second one a bad service: the first is applied */
	b.h2.type = NFLVS_CTL_ADD_SERVICE;
	b.s2.protocol = 99;
	cr_expect_eq(raw_batch(&b, sizeof(b), &done), -EINVAL);
	cr_expect_eq(done, 1);
	cr_assert_eq(adm("-S -n"), 0);
	cr_expect_str_eq(out, "-A -t 10.0.1.100:90 -s rr\n");
}

Test(adm, timeouts_zero_reload_and_markers)
{
	lab_write_conf(&lab,
		"services = ( { name = \"web\"; vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\";\n"
		"  real_servers = ( { address = \"10.0.2.11\"; port = 80; },\n"
		"                   { address = \"10.0.2.12\"; port = 80; } ); } );\n");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(adm("-L --timeout"), 0);
	cr_expect_str_eq(out, "Timeout (tcp tcpfin udp): 900 120 300\n");
	cr_assert_eq(adm("--set 600 0 200"), 0, "%s", out);
	cr_assert_eq(adm("-L --timeout"), 0);
	cr_expect_str_eq(out, "Timeout (tcp tcpfin udp): 600 120 200\n");
	/* new connections get it: conntrack counts down from 600 */
	lab_spawn(&lab, "cl", "hold", "exec build/tests/nflvs-testnet hold " LAB_VIP4 " 80");
	cr_expect_eq(lab_wait_sh(&lab, 5000, "ip netns exec %s conntrack -L -p tcp 2>/dev/null | "
				 "grep ESTABLISHED | grep -q ' 5[0-9][0-9] ESTABLISHED'",
				 lab_ns(&lab, "dir")), 0, "no ESTABLISHED entry with a 600 s timeout");
	/* a server the checker reports down is marked */
	cr_assert_eq(lab_set_health(&lab, "10.0.2.12", 80, NFLVS_RS_DOWN, -1, "HTTP 503"), 0);
	cr_expect_eq(lab_wait_sh(&lab, 3000, "build/nflvsadm --socket %s/director.sock -Ln | "
				 "grep '10.0.2.12:80' | grep -q 'down: HTTP 503'", lab.dir), 0);
	cr_assert_eq(adm("-Ln --json"), 0);
	cr_expect(strstr(out, "\"last_error\""), "%s", out);
	/* --reload of a bad file: FILE:LINE errors, exit 1, nothing changes */
	lab_write_conf(&lab, "services = ( { vip = \"10.0.1.999\"; port = 80; } );\n");
	cr_expect_eq(adm("--reload"), 1);
	cr_expect(strstr(out, "nflvs.conf:6: vip: invalid IP address \"10.0.1.999\""), "%s", out);
	cr_assert_eq(adm("-Ln"), 0);
	cr_expect(strstr(out, "TCP  10.0.1.100:80 rr"), "%s", out);
}

Test(adm, no_director)
{
	lab_write_conf(&lab, "");
	cr_expect_eq(adm("-Ln"), 2);
	cr_expect(strstr(out, "is nflvs-director running?"), "%s", out);
}

Test(adm, prometheus_metrics)
{
	struct lab_tally t;

	cr_assert_eq(lab_sh(&lab, "printf '%%s\\n' 'director = { table = \"nflvs\"; shm = \"%s\";' "
			    "'control = \"%s/director.sock\"; metrics = \"127.0.0.1:9100\"; };' "
			    "'services = ( { name = \"web\"; vip = \"" LAB_VIP4 "\"; port = 80; scheduler = \"rr\";' "
			    "'real_servers = ( { address = \"10.0.2.11\"; port = 80; } ); } );' > %s",
			    lab.shm, lab.dir, lab.conf), 0);
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(lab_count(&lab, "cl", &t, "--tcp " LAB_VIP4 " 80 -n 3"), 0);
	cr_assert_eq(lab_wait_sh(&lab, 3000,
		"ip netns exec %s bash -c 'exec 3<>/dev/tcp/127.0.0.1/9100; "
		"printf \"GET /metrics HTTP/1.0\\r\\n\\r\\n\" >&3; cat <&3' > %s/metrics && "
		"grep -q '^nflvs_real_server_connections_total{service=\"web\",vip=\"10.0.1.100\",port=\"80\",protocol=\"tcp\",fwmark=\"0\",server=\"10.0.2.11\",server_port=\"80\"} 3$' %s/metrics && "
		"grep -q '^nflvs_real_server_packets_total{.*direction=\"in\"} [1-9]' %s/metrics",
		lab_ns(&lab, "dir"), lab.dir, lab.dir, lab.dir), 0,
		"%s", lab_log(&lab, "director"));
	cr_expect_eq(lab_sh(&lab, "grep -q '^# TYPE nflvs_real_server_up gauge$' %s/metrics", lab.dir), 0);
	cr_expect_eq(lab_sh(&lab, "grep -q '^nflvs_malformed_packets_total 0$' %s/metrics && "
			    "grep -q '^nflvs_tun_too_big_total 0$' %s/metrics",
			    lab.dir, lab.dir), 0);
}

static int control_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(lab.dir) + sizeof("/director.sock"), sizeof(sun.sun_path));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/director.sock", lab.dir);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/*
 * A client that sends the start of a request, then a byte now and then
 * (for longer than nflvsadm waits), holds nothing: nflvsadm is answered
 * meanwhile, and the director closes the trickler once its request is
 * past its deadline.  Each client had been read to the end of its request
 * before the next was looked at.
 */
Test(adm, a_trickling_client_holds_nothing)
{
	struct nflvs_ctl_hdr h = {
		.magic = NFLVS_CTL_MAGIC, .version = NFLVS_CTL_VERSION,
		.type = NFLVS_CTL_BATCH, .seq = 1,
		.len = 4096,	/* at 10 bytes a second: longer than the test */
	};
	int ready[2], fd, status, i;
	char c = 0;
	pid_t pid;

	lab_write_conf(&lab, "");
	cr_assert_eq(lab_director_start(&lab), 0);
	cr_assert_eq(pipe(ready), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {	/* the trickler: exit 0 once the director closed it */
		fd = control_connect();
		if (write(fd, &h, sizeof(h)) != sizeof(h) || write(fd, &c, 1) != 1)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		for (i = 0; i < 600; i++) {	/* 60 s */
			usleep(100000);
			if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
				_exit(0);
		}
		_exit(2);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the trickler did not start");
	close(ready[0]);
	cr_expect_eq(adm("-Ln"), 0, "%s", out);
	cr_expect(strstr(out, "IP Virtual Server"), "%s", out);
	status = lab_wait_exit(&lab, pid, 40000);
	if (status < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	cr_expect_eq(status, 0, "the director did not close the trickler "
		     "(status %d)", status);
}
