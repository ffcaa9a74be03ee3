// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The checker's loop running real checks on loopback: tcp connects to a
 * socket of the test, exec runs /bin/sh.  Results are read back from the
 * segment, as the director reads them.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hc_fixture.h"

static struct hc_fix f;
static struct checker c;
static char dir[64];
static pid_t child;		/* a server of the test, killed at the end */

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/nflvs-unit-hc-%d", (int)getpid());
	mkdir(dir, 0700);
}

static void teardown(void)
{
	char cmd[128];

	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = 0;
	}
	checker_free(&c);
	fix_fini(&f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(hc_checker, .init = setup, .fini = teardown, .timeout = 30);

static int listen_any(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 64), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void start(const char *services)
{
	struct nflvs_config cfg;

	fix_init(&f, services);
	fix_director(&f);
	fix_config(&f, &cfg);
	cr_assert_eq(checker_init(&c, &cfg), 0);
	checker_shm_tick(&c);
	cr_assert(c.attached);
}

static hc_record_t health(const char *addr, uint16_t port)
{
	int slot = fix_find_rs(&f, addr, port);
	hc_record_t h;

	cr_assert_geq(slot, 0);
	cr_assert_eq(hcstate_read(&f.m.rs[slot], &h), 0);
	return h;
}

#define STATE_IS(addr, port, st) (health(addr, port).state == (st))

Test(hc_checker, tcp_up_then_down)
{
	char conf[512];
	hc_record_t h;
	uint16_t port;
	uint64_t gen;
	int fd = listen_any(&port);

	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		 "  check = { type = \"tcp\"; interval = 0.05; timeout = 0.5; rise = 2; fall = 2; };\n"
		 "  real_servers = ( { address = \"127.0.0.1\"; port = %u; } ); } );\n",
		 port);
	start(conf);
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", port, NFLVS_RS_UP)));
	h = health("127.0.0.1", port);
	cr_expect_geq(h.checks_ok, 2);
	cr_expect_eq(h.transitions, 1);
	cr_expect_str_eq(h.last_error, "");
	cr_expect_neq(h.last_check, 0);
	gen = f.m.hdr->health_generation;
	cr_expect_geq(gen, 1, "the transition was announced");

	close(fd);
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", port, NFLVS_RS_DOWN)));
	h = health("127.0.0.1", port);
	cr_expect_str_eq(h.last_error, "connect: Connection refused");
	cr_expect_eq(h.checks_failed, 2);
	cr_expect_gt(f.m.hdr->health_generation, gen);
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const char *read_file(const char *name)
{
	static char buf[256];
	char path[128];
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf[0] = '\0';
	fp = fopen(path, "r");
	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
	}
	return buf;
}

Test(hc_checker, exec_exit_code_sets_weight)
{
	char conf[1024];
	hc_record_t h;

	write_file("code", "7");
	snprintf(conf, sizeof(conf),
		 "services = ( { name = \"dns\"; vip = \"10.0.1.100\"; port = 53; protocol = \"udp\";\n"
		 "  check = { type = \"exec\"; interval = 0.05; timeout = 2.0; rise = 1; fall = 1;\n"
		 "    argv = [ \"/bin/sh\", \"-c\", \"echo $NFLVS_RS_ADDR $NFLVS_RS_PORT $NFLVS_VIP $NFLVS_VPORT $NFLVS_SERVICE > %s/env; exit $(cat %s/code)\" ]; };\n"
		 "  real_servers = ( { address = \"127.0.0.2\"; port = 5353; } ); } );\n",
		 dir, dir);
	start(conf);
	cr_assert(fix_run_until(&c, 3000, health("127.0.0.2", 5353).weight == 5));
	h = health("127.0.0.2", 5353);
	cr_expect_eq(h.state, NFLVS_RS_UP);
	cr_expect_str_eq(read_file("env"), "127.0.0.2 5353 10.0.1.100 53 dns\n");

	write_file("code", "1");
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.2", 5353, NFLVS_RS_DOWN)));
	cr_expect_str_eq(health("127.0.0.2", 5353).last_error, "exit 1");
	write_file("code", "0");
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.2", 5353, NFLVS_RS_UP)));
	cr_expect_eq(health("127.0.0.2", 5353).weight, -1);
}

static bool gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *fp;
	size_t n;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	if (!fp)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[2] == 'Z';
}

Test(hc_checker, exec_timeout_kills_the_process_group)
{
	char conf[1024];
	hc_record_t h;
	pid_t pid;

	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		 "  check = { type = \"exec\"; interval = 5.0; timeout = 0.3; rise = 1; fall = 1;\n"
		 "    argv = [ \"/bin/sh\", \"-c\", \"sleep 30 & echo $! > %s/pid; wait\" ]; };\n"
		 "  real_servers = ( { address = \"127.0.0.3\"; port = 80; } ); } );\n",
		 dir);
	start(conf);
	cr_assert(fix_run_until(&c, 8000, STATE_IS("127.0.0.3", 80, NFLVS_RS_DOWN)));
	h = health("127.0.0.3", 80);
	cr_expect_str_eq(h.last_error, "timeout after 300 ms");
	cr_expect_geq(h.latency_us, 300000);	/* no upper bound: a busy host */
	pid = atoi(read_file("pid"));
	cr_assert_gt(pid, 0);
	cr_expect(fix_run_until(&c, 2000, gone(pid)),
		  "the check's child was killed with its group");
}

/* A check that ends and leaves a child behind: the child goes too, or
 * they pile up, one a run. */
Test(hc_checker, exec_leftovers_are_killed_when_it_ends)
{
	char conf[1024];
	pid_t pid;

	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		 "  check = { type = \"exec\"; interval = 1.0; timeout = 5.0; rise = 1; fall = 1;\n"
		 "    argv = [ \"/bin/sh\", \"-c\", \"sleep 30 & echo $! > %s/pid; exit 0\" ]; };\n"
		 "  real_servers = ( { address = \"127.0.0.3\"; port = 80; } ); } );\n",
		 dir);
	start(conf);
	cr_assert(fix_run_until(&c, 8000, STATE_IS("127.0.0.3", 80, NFLVS_RS_UP)));
	pid = atoi(read_file("pid"));
	cr_assert_gt(pid, 0);
	cr_expect(fix_run_until(&c, 5000, gone(pid)),
		  "the check's leftover child still runs");
	if (!gone(pid))
		kill(pid, SIGKILL);
}

/* A check that writes a lot to stderr: the log gets its first bytes and
 * a count of the rest, once a run. */
Test(hc_checker, exec_stderr_is_capped_in_the_log)
{
	char conf[1024], logf[128], text[4096];
	int fd, saved;
	size_t n;
	FILE *fp;

	snprintf(logf, sizeof(logf), "%s/log", dir);
	fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	saved = dup(2);
	cr_assert_geq(saved, 0);
	cr_assert_eq(dup2(fd, 2), 2);
	close(fd);
	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		 "  check = { type = \"exec\"; interval = 1.0; timeout = 10.0; rise = 1; fall = 1;\n"
		 "    argv = [ \"/bin/sh\", \"-c\", \"head -c 300000 /dev/zero | tr '\\\\0' x >&2; echo done > %s/done\" ]; };\n"
		 "  real_servers = ( { address = \"127.0.0.3\"; port = 80; } ); } );\n",
		 dir);
	start(conf);
	log_set_level(LOG_WARNING);
	cr_assert(fix_run_until(&c, 15000, STATE_IS("127.0.0.3", 80, NFLVS_RS_UP)));
	log_set_level(LOG_ERR);
	dup2(saved, 2);
	close(saved);
	cr_expect_str_eq(read_file("done"), "done\n", "the check was not let "
			 "write all of its stderr");	/* the test waited for it */
	fp = fopen(logf, "r");
	cr_assert_not_null(fp);
	while (fgets(text, sizeof(text), fp))	/* a line a run, each short */
		cr_expect_lt(strlen(text), 1024, "%zu bytes: %.80s...",
			     strlen(text), text);
	rewind(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	cr_expect(strstr(text, "real server 127.0.0.3:80 of service TCP "
			 "10.0.1.100:80: check's stderr: xxxxxxxx"), "%s", text);
	cr_expect(strstr(text, "(and 299488 bytes more, not logged)"), "%s", text);
}

Test(hc_checker, exec_missing_program)
{
	start("services = ( { vip = \"10.0.1.100\"; port = 80;\n"
	      "  check = { type = \"exec\"; interval = 0.05; rise = 1; fall = 1;\n"
	      "    argv = [ \"/nonexistent/check\" ]; };\n"
	      "  real_servers = ( { address = \"127.0.0.4\"; port = 80; } ); } );\n");
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.4", 80, NFLVS_RS_DOWN)));
	cr_expect_str_eq(health("127.0.0.4", 80).last_error,
			 "exec /nonexistent/check: No such file or directory");
}

Test(hc_checker, reload_keeps_state_and_applies_new_checks)
{
	struct nflvs_config cfg;
	char conf[512];
	uint16_t port;
	int fd = listen_any(&port);
	FILE *fp;

	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		 "  check = { type = \"tcp\"; interval = 0.05; rise = 1; fall = 1; };\n"
		 "  real_servers = ( { address = \"127.0.0.1\"; port = %u; } ); } );\n",
		 port);
	start(conf);
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", port, NFLVS_RS_UP)));

	/* the same file again: nothing changes */
	fix_config(&f, &cfg);
	checker_reload(&c, &cfg);
	cr_expect_eq(c.nt, 1);
	cr_expect_eq(health("127.0.0.1", port).transitions, 1);

	/* now with no check: the verdict goes back to unknown */
	fp = fopen(f.conf, "w");
	fprintf(fp, "director = { shm = \"%s\"; user = \"\"; };\n"
		"services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		"  real_servers = ( { address = \"127.0.0.1\"; port = %u; } ); } );\n",
		f.shm, port);
	fclose(fp);
	fix_config(&f, &cfg);
	checker_reload(&c, &cfg);
	cr_expect_eq(c.nt, 0);
	cr_expect_eq(health("127.0.0.1", port).state, NFLVS_RS_UNKNOWN);
	close(fd);
}

/* A child that answers every connection with one fixed HTTP response. */
static pid_t http_server(int fd, const char *status, const char *body)
{
	char resp[256];
	pid_t pid;
	int n;

	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     status, strlen(body), body);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid)
		return pid;
	for (;;) {
		char req[1024];
		int s = accept(fd, NULL, NULL);

		if (s < 0)
			continue;
		if (read(s, req, sizeof(req)) > 0 && write(s, resp, n) < 0)
			_exit(1);
		close(s);
	}
}

Test(hc_checker, http_through_the_loop_and_a_reload)
{
	struct nflvs_config cfg;
	char conf[512];
	hc_record_t h;
	uint16_t port;
	int fd = listen_any(&port);
	pid_t srv = http_server(fd, "200 OK", "all is ok\n");
	uint64_t before;

	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		 "  check = { type = \"http\"; path = \"/health\"; expect = \"is ok\";\n"
		 "            interval = 0.05; rise = 1; fall = 1; };\n"
		 "  real_servers = ( { address = \"127.0.0.1\"; port = %u; } ); } );\n",
		 port);
	start(conf);
	cr_assert(fix_run_until(&c, 5000, STATE_IS("127.0.0.1", port, NFLVS_RS_UP)),
		  "%s", health("127.0.0.1", port).last_error);

	/* the running probe outlives the config it was made from */
	fix_config(&f, &cfg);
	checker_reload(&c, &cfg);
	before = health("127.0.0.1", port).checks_ok;
	cr_assert(fix_run_until(&c, 5000,
				health("127.0.0.1", port).checks_ok >= before + 3));
	h = health("127.0.0.1", port);
	cr_expect_eq(h.state, NFLVS_RS_UP);
	cr_expect_eq(h.checks_failed, 0, "%s", h.last_error);

	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	srv = http_server(fd, "503 Service Unavailable", "");
	cr_assert(fix_run_until(&c, 5000, STATE_IS("127.0.0.1", port, NFLVS_RS_DOWN)));
	cr_expect_str_eq(health("127.0.0.1", port).last_error, "HTTP 503");
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	close(fd);
}

/* A bound UDP socket on loopback; with @echo, a child sends every
 * datagram back. */
static int udp_peer(uint16_t *port, bool echo, pid_t *pid)
{
	struct sockaddr_in sa = { .sin_family = AF_INET }, from;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint8_t buf[1500];
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin_port);
	*pid = echo ? fork() : 0;
	cr_assert_geq(*pid, 0);
	if (!echo || *pid)
		return fd;
	for (;;) {
		len = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &len);
		if (n >= 0)
			sendto(fd, buf, n, 0, (struct sockaddr *)&from, len);
	}
}

Test(hc_checker, udp_unreachable_silence_and_replies)
{
	char conf[1024];
	uint16_t silent, echo, closed;
	pid_t none;
	int fs = udp_peer(&silent, false, &none);
	int fe = udp_peer(&echo, true, &child);
	int fc = udp_peer(&closed, false, &none);

	close(fc);	/* a port nobody holds: ICMP port unreachable */
	/* real servers 127.0.0.1:1..5, each checked at its connect_port */
	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 53; protocol = \"udp\";\n"
		 "  check = { type = \"udp\"; payload = \"70696e67\"; interval = 0.05;"
		 " timeout = 0.3; rise = 1; fall = 1; };\n"
		 "  real_servers = (\n"
		 "    { address = \"127.0.0.1\"; port = 1; check = { connect_port = %u; }; },\n"
		 "    { address = \"127.0.0.1\"; port = 2; check = { connect_port = %u; }; },\n"
		 "    { address = \"127.0.0.1\"; port = 3; check = { connect_port = %u;\n"
		 "      require_reply = \"70 69 6x\"; min_reply_length = 4; }; },\n"
		 "    { address = \"127.0.0.1\"; port = 4; check = { connect_port = %u;\n"
		 "      require_reply = \"ff\"; }; },\n"
		 "    { address = \"127.0.0.1\"; port = 5; check = { connect_port = %u;\n"
		 "      require_reply = true; }; } ); } );\n",
		 silent, closed, echo, echo, silent);
	start(conf);
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", 1, NFLVS_RS_UP)),
		  "silence is up: %s", health("127.0.0.1", 1).last_error);
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", 2, NFLVS_RS_DOWN)));
	cr_expect_str_eq(health("127.0.0.1", 2).last_error,
			 "ICMP port unreachable");
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", 3, NFLVS_RS_UP)),
		  "%s", health("127.0.0.1", 3).last_error);
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", 4, NFLVS_RS_DOWN)));
	cr_expect_str_eq(health("127.0.0.1", 4).last_error,
			 "reply byte 0 is 70, expected ff");
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", 5, NFLVS_RS_DOWN)));
	cr_expect_str_eq(health("127.0.0.1", 5).last_error,
			 "no reply within 300 ms");
	close(fs);
	close(fe);
}

Test(hc_checker, file_value_moves_the_weight)
{
	char conf[1024], path[128], want[160];

	snprintf(path, sizeof(path), "%s/w", dir);
	write_file("w", "3\n");
	snprintf(conf, sizeof(conf),
		 "services = ( { vip = \"10.0.1.100\"; port = 80;\n"
		 "  check = { type = \"file\"; file = \"%s\"; file_weight = 2; interval = 0.05; };\n"
		 "  real_servers = ( { address = \"127.0.0.1\"; port = 80; },\n"
		 "    { address = \"127.0.0.2\"; port = 80; check = { file_weight = 0; }; } ); } );\n",
		 path);
	start(conf);
	/* the record's configured weight is 1: 1 + 3 x 2 */
	cr_assert(fix_run_until(&c, 3000, health("127.0.0.1", 80).weight == 7));
	cr_expect_eq(health("127.0.0.1", 80).state, NFLVS_RS_UP);
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.2", 80, NFLVS_RS_DOWN)));
	snprintf(want, sizeof(want), "%s holds 3", path);
	cr_expect_str_eq(health("127.0.0.2", 80).last_error, want);
	write_file("w", "-1");
	cr_assert(fix_run_until(&c, 3000, health("127.0.0.1", 80).weight == 0));
	cr_expect_eq(health("127.0.0.1", 80).state, NFLVS_RS_UP);
	unlink(path);		/* a missing file is 0 */
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.2", 80, NFLVS_RS_UP)));
	cr_assert(fix_run_until(&c, 3000, health("127.0.0.1", 80).weight == -1));
	write_file("w", "-2147483648");
	cr_assert(fix_run_until(&c, 3000, STATE_IS("127.0.0.1", 80, NFLVS_RS_DOWN)));
}
