// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Least privilege, end to end: what the kernel says of the running
 * processes (/proc/PID/status: Uid, CapEff, NoNewPrivs, every thread),
 * exec checks as director.script_user, root scripts others could change
 * refused, the control socket's owner and mode, and that the director and
 * the checker still do their work after dropping: nflvsadm edits, a
 * reload, a real server marked down and up.
 */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "privs.h"

static struct lab lab;

static void setup(void)
{
	lab_init(&lab);
	lab_setup_assert_eq(&lab, lab_nat_topology(&lab, 2), 0, "topology");
	lab_setup_assert_eq(&lab, lab_serve_all(&lab, 2, "--tcp 8080"), 0);
}

static void teardown(void)
{
	lab_cleanup(&lab);
}

TestSuite(privilege, .init = setup, .fini = teardown, .timeout = 120);

#define SVC(check) \
	"services = ( { name = \"web\"; vip = \"" LAB_VIP4 "\"; port = 80;\n" \
	"  scheduler = \"rr\";\n" \
	"  check = " check ";\n" \
	"  real_servers = (\n" \
	"    { address = \"10.0.2.11\"; port = 8080; },\n" \
	"    { address = \"10.0.2.12\"; port = 8080; } ); } );\n"

#define FAST "interval = 0.2; timeout = 0.5; rise = 1; fall = 1;"
/* a shell and three commands: on a loaded machine more than 0.5 s */
#define EXEC_T "interval = 0.2; timeout = 5; rise = 1; fall = 1;"

#define DIRECTOR_CAPS	(PRIV_CAP(CAP_NET_ADMIN) | PRIV_CAP(CAP_NET_RAW) | \
			 PRIV_CAP(CAP_BPF))
#define SWITCH_CAPS	(PRIV_CAP(CAP_SETUID) | PRIV_CAP(CAP_SETGID) | \
			 PRIV_CAP(CAP_KILL))

static uid_t nflvs_uid(void)
{
	struct passwd *pw = getpwnam("nflvs");

	cr_assert_not_null(pw, "no user nflvs: contrib/install-deps.sh creates it, as the Debian package does");
	return pw->pw_uid;
}

/* lab_write_conf, with @keys added to the director group. */
static void write_conf(const char *services, const char *keys)
{
	lab_write_conf(&lab, services);
	if (keys)
		cr_assert_eq(lab_sh(&lab, "sed -i 's/^  table = \"nflvs\";/&\\n%s/' %s",
				    keys, lab.conf), 0);
}

static pid_t start_both(const char *services, const char *keys)
{
	pid_t pid;

	write_conf(services, keys);
	cr_assert_eq(lab_director_start(&lab), 0);
	pid = lab_checker_start(&lab, NULL);
	cr_assert_gt(pid, 0, "%s", lab_log(&lab, "checker"));
	return pid;
}

/* Every thread of @pid has CapEff @caps and NoNewPrivs @nnp. */
static void expect_threads(pid_t pid, uint64_t caps, int nnp)
{
	char out[256], want[64];

	cr_assert_eq(lab_cap(&lab, out, sizeof(out),
			     "cat /proc/%d/task/*/status | awk '/^(CapEff|NoNewPrivs):/ { print $1, $2 }' | sort -u",
			     (int)pid), 0);
	snprintf(want, sizeof(want), "CapEff: %016llx\nNoNewPrivs: %d\n",
		 (unsigned long long)caps, nnp);
	cr_expect_str_eq(out, want, "threads of %d", (int)pid);
}

static void expect_state(const char *addr, uint32_t state, int ms,
			 lab_health_t *h)
{
	lab_expect_health(&lab, addr, 8080, state, ms, h);
}

static void rs1_down_and_up(void)
{
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
	lab_stop(&lab, lab_pid(&lab, "rs1"), SIGKILL, 2000);
	expect_state("10.0.2.11", NFLVS_RS_DOWN, 5000, NULL);
	cr_assert_eq(lab_serve(&lab, "rs1", "--tcp 8080"), 0);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
}

static int adm(const char *args)
{
	return lab_sh(&lab, "build/nflvsadm --socket %s/director.sock %s >/dev/null 2>&1",
		      lab.dir, args);
}

Test(privilege, director_keeps_net_admin_and_net_raw_in_every_thread)
{
	uint64_t eff;
	uid_t ruid, euid;

	start_both(SVC("{ type = \"tcp\"; " FAST " }"), NULL);
	cr_assert_eq(privs_of_pid(lab.director, &eff, &ruid, &euid), 0);
	cr_expect_eq(eff, DIRECTOR_CAPS, "CapEff %llx", (unsigned long long)eff);
	cr_expect_eq(euid, 0u);
	expect_threads(lab.director, DIRECTOR_CAPS, 1);
	cr_expect(strstr(lab_log(&lab, "director"),
			 "capabilities: keeping cap_net_admin,cap_net_raw,cap_bpf; no_new_privs set"),
		  "%s", lab_log(&lab, "director"));

	/* what it does after start-up still works: edits, a reload, health */
	cr_expect_eq(adm("-a -t " LAB_VIP4 ":80 -r 10.0.2.13:8080 -m -w 3"), 0);
	cr_expect_eq(lab_wait_sh(&lab, 3000, "build/nflvsadm --socket %s/director.sock -Ln | grep -q '10.0.2.13:8080 *Masq *3'",
				 lab.dir), 0, "nflvsadm -a applied");
	cr_assert_eq(lab_sh(&lab, "sed -i 's/port = 80;/port = 81;/' %s",
			    lab.conf), 0);
	cr_assert_eq(kill(lab.director, SIGHUP), 0);
	cr_expect_eq(lab_wait_sh(&lab, 5000, "build/nflvsadm --socket %s/director.sock -Ln | grep -q '" LAB_VIP4 ":81'",
				 lab.dir), 0, "reloaded: %s",
		     lab_log(&lab, "director"));
	expect_threads(lab.director, DIRECTOR_CAPS, 1);
	cr_expect_eq(lab_wait_exit(&lab, lab.director, 0), -1, "still running");
}

Test(privilege, checker_runs_as_nflvs_with_no_capabilities)
{
	uid_t uid = nflvs_uid(), ruid, euid;
	uint64_t eff;
	pid_t pid;
	struct stat st;
	char sock[256];

	pid = start_both(SVC("{ type = \"tcp\"; " FAST " }"), NULL);
	expect_state("10.0.2.11", NFLVS_RS_UP, 5000, NULL);
	cr_assert_eq(privs_of_pid(pid, &eff, &ruid, &euid), 0);
	cr_expect_eq(ruid, uid);
	cr_expect_eq(euid, uid);
	cr_expect_eq(eff, 0, "CapEff %llx", (unsigned long long)eff);
	expect_threads(pid, 0, 0);
	cr_expect(strstr(lab_log(&lab, "checker"), "running as user nflvs"),
		  "%s", lab_log(&lab, "checker"));
	rs1_down_and_up();
	/* a reload reads the file as nflvs */
	cr_assert_eq(kill(pid, SIGHUP), 0);
	cr_expect_eq(lab_wait_sh(&lab, 5000, "grep -q ': reloaded ' %s/checker.log",
				 lab.dir), 0, "%s", lab_log(&lab, "checker"));
	cr_expect_eq(lab_wait_exit(&lab, pid, 0), -1, "still running");

	/* the control socket: root's alone unless control_group is set */
	snprintf(sock, sizeof(sock), "%s/director.sock", lab.dir);
	cr_assert_eq(stat(sock, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_expect_eq(st.st_uid, 0u);
	cr_expect_eq(st.st_gid, 0u);
}

Test(privilege, control_group_gets_the_socket_mode_0660)
{
	struct passwd *pw;
	struct stat st;
	char sock[256];

	nflvs_uid();
	pw = getpwnam("nflvs");
	start_both(SVC("{ type = \"tcp\"; " FAST " }"),
		   "  control_group = \"nflvs\";");
	snprintf(sock, sizeof(sock), "%s/director.sock", lab.dir);
	cr_assert_eq(stat(sock, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0660, "mode %o", st.st_mode & 07777);
	cr_expect_eq(st.st_uid, 0u);
	cr_expect_eq(st.st_gid, pw->pw_gid);
	/* a member of the group may use it */
	cr_expect_eq(lab_sh(&lab, "setpriv --reuid nflvs --regid nflvs --clear-groups build/nflvsadm --socket %s -Ln | grep -q 10.0.2.11",
			    sock), 0);
	cr_expect_neq(lab_sh(&lab, "setpriv --reuid nobody --regid nogroup --clear-groups build/nflvsadm --socket %s -Ln >/dev/null 2>&1",
			     sock), 0, "nobody else");
}

/* check.sh: writes its uid to out/uid, exits with the number in code. */
static void put_script(const char *dir)
{
	char script[1024];

	cr_assert_eq(lab_sh(&lab, "mkdir -p -m 0755 %s/%s && mkdir -m 1777 %s/out",
			    lab.dir, dir, lab.dir), 0);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\nid -u > %s/out/uid.$$\nmv %s/out/uid.$$ %s/out/uid\nexit $(cat %s/code)\n",
		 lab.dir, lab.dir, lab.dir, lab.dir);
	lab_put(&lab, "code", "0\n", 0644);
	cr_assert_eq(lab_sh(&lab, "printf '%%s' '%s' > %s/%s/check.sh && chmod 0755 %s/%s/check.sh",
			    script, lab.dir, dir, lab.dir, dir), 0);
}

Test(privilege, exec_check_runs_as_script_user)
{
	char conf[1024], out[64];
	uint64_t eff;
	pid_t pid;

	nflvs_uid();
	put_script("bin");
	snprintf(conf, sizeof(conf),
		 SVC("{ type = \"exec\"; argv = [ \"%s/bin/check.sh\" ]; " EXEC_T " }"),
		 lab.dir);
	pid = start_both(conf, "  script_user = \"nobody\";");
	expect_state("10.0.2.11", NFLVS_RS_UP, 20000, NULL);
	cr_assert_eq(lab_wait_sh(&lab, 20000, "test -s %s/out/uid", lab.dir), 0);
	cr_assert_eq(lab_cap(&lab, out, sizeof(out), "cat %s/out/uid", lab.dir), 0);
	cr_expect_str_eq(out, "65534\n", "the script ran as nobody");
	/* the checker is nflvs, and keeps what switching needs, no more */
	cr_assert_eq(privs_of_pid(pid, &eff, NULL, NULL), 0);
	cr_expect_eq(eff, SWITCH_CAPS, "CapEff %llx", (unsigned long long)eff);
	cr_expect(strstr(lab_log(&lab, "checker"),
			 "capabilities: cap_kill,cap_setgid,cap_setuid for exec checks as user nobody"),
		  "%s", lab_log(&lab, "checker"));
	lab_put(&lab, "code", "1\n", 0644);
	expect_state("10.0.2.11", NFLVS_RS_DOWN, 20000, NULL);
	lab_put(&lab, "code", "0\n", 0644);
	expect_state("10.0.2.11", NFLVS_RS_UP, 20000, NULL);
}

Test(privilege, root_does_not_run_a_script_others_may_change)
{
	char conf[1024];
	lab_health_t h;

	put_script("bin");
	cr_assert_eq(lab_sh(&lab, "chmod 0777 %s/bin", lab.dir), 0);
	snprintf(conf, sizeof(conf),
		 SVC("{ type = \"exec\"; argv = [ \"%s/bin/check.sh\" ]; " EXEC_T " }"),
		 lab.dir);
	/* user = "": the checker stays root, and so would the script */
	start_both(conf, "  user = \"\";");
	expect_state("10.0.2.11", NFLVS_RS_DOWN, 20000, &h);
	cr_expect(strstr(h.last_error, "not run as root"), "%s", h.last_error);
	cr_expect_eq(lab_sh(&lab, "test -e %s/out/uid", lab.dir), 1,
		     "never ran");
	cr_assert_eq(lab_sh(&lab, "chmod 0755 %s/bin", lab.dir), 0);
	expect_state("10.0.2.11", NFLVS_RS_UP, 20000, NULL);
	cr_expect_eq(lab_sh(&lab, "grep -qx 0 %s/out/uid", lab.dir), 0);
}
