// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config_load(): every test writes its file from the string literal in the
 * test (one "..\n" per line, numbered in a comment where the line matters),
 * loads it and checks the values or the exact error messages.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char path[128];
static char dir[64];
static struct nflvs_config cfg;
static struct cfg_errors errs;

static void teardown(void)
{
	char p[128];

	config_free(&cfg);
	config_errors_free(&errs);
	if (path[0])
		unlink(path);
	if (dir[0]) {
		snprintf(p, sizeof(p), "%s/svc.conf", dir);
		unlink(p);
		rmdir(dir);
	}
	path[0] = dir[0] = '\0';
}

TestSuite(config, .fini = teardown);

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f, "cannot write %s", p);
	cr_assert_eq(fputs(text, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}

/* Write @text to a fresh file under /tmp and load it. */
static int load(const char *text)
{
	int fd;

	config_free(&cfg);
	config_errors_free(&errs);
	if (path[0])
		unlink(path);
	snprintf(path, sizeof(path), "/tmp/nflvs-config-test-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp");
	close(fd);
	write_file(path, text);
	return config_load(path, &cfg, &errs);
}

/* All errors, one a line, for assertion messages. */
static const char *all_errors(void)
{
	static char buf[8192];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < errs.n && o < sizeof(buf); i++)
		o += snprintf(buf + o, sizeof(buf) - o, "\n  %s", errs.msg[i]);
	return buf;
}

/* Error @i without its "PATH:" prefix, which must be there. */
static const char *err(size_t i)
{
	size_t n = strlen(path);

	cr_assert(i < errs.n, "no error %zu; errors:%s", i, all_errors());
	cr_assert(!strncmp(errs.msg[i], path, n) && errs.msg[i][n] == ':',
		  "error not about %s: %s", path, errs.msg[i]);
	return errs.msg[i] + n + 1;
}

static void assert_empty_cfg(void)
{
	cr_assert_null(cfg.svc);
	cr_assert_eq(cfg.nsvc, 0);
	cr_assert_null(cfg.path);
	cr_assert_str_empty(cfg.director.table);
}

/* @text has exactly one error, @want ("LINE: KEY: message"). */
static void expect_error(const char *text, const char *want)
{
	int rc = load(text);

	cr_assert_eq(rc, 1, "want 1 error, got %d:%s", rc, all_errors());
	cr_assert_eq(errs.n, 1);
	cr_assert_str_eq(err(0), want);
	assert_empty_cfg();
}

static void expect_ok(const char *text)
{
	int rc = load(text);

	cr_assert_eq(rc, 0, "want no error, got %d:%s", rc, all_errors());
	cr_assert_eq(errs.n, 0);
	cr_assert_str_eq(cfg.path, path);
}

static void assert_addr(const struct nflvs_addr *a, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	cr_assert_str_eq(addr_str(a, buf, sizeof(buf)), want);
}

/* A service around one real server, for the real-server tests. */
#define SVC_RS(svc_keys, rs_keys)					\
	"services = ( { vip = \"10.0.1.100\"; port = 80; " svc_keys	\
	" real_servers = ( { " rs_keys " } ); } );\n"

/* A service with one check group, for the check tests. */
#define SVC_CHECK(check_keys)						\
	"services = ( { vip = \"10.0.1.100\"; port = 80;\n"		\
	"  check = { " check_keys " }; } );\n"

/* The whole file ----------------------------------------------------- */

static const char full_conf[] =
/*  1 */ "director = {\n"
/*  2 */ "  table = \"lb_1\";\n"
/*  3 */ "  queue = 10;\n"
/*  4 */ "  queues = 4;\n"
/*  5 */ "  mark_mask = 0x0000ff00;\n"
/*  6 */ "  control = \"/run/test/d.sock\";\n"
/*  7 */ "  shm = \"/nflvs-test\";\n"
/*  8 */ "  syslog = true;\n"
/*  9 */ "  log_level = \"debug\";\n"
/* 10 */ "  user = \"nobody\";\n"
/* 11 */ "};\n"
/* 12 */ "services = (\n"
/* 13 */ "  {\n"
/* 14 */ "    name = \"web\";\n"
/* 15 */ "    vip = \"10.0.1.100\";\n"
/* 16 */ "    port = 80;\n"
/* 17 */ "    protocol = \"TCP\";\n"
/* 18 */ "    scheduler = \"sh\";\n"
/* 19 */ "    scheduler_flags = [ \"sh-port\", \"sh-fallback\" ];\n"
/* 20 */ "    forward = \"dr\";\n"
/* 21 */ "    persistence = 300;\n"
/* 22 */ "    persistence_netmask = 24;\n"
/* 23 */ "    one_packet = false;\n"
/* 24 */ "    sorry_server = \"10.0.2.99:8080\";\n"
/* 25 */ "    quorum = 2;\n"
/* 26 */ "    check = { type = \"http\"; interval = 2; timeout = 0.25;\n"
/* 27 */ "      rise = 3; fall = 4; connect_port = 8081; path = \"/health\";\n"
/* 28 */ "      host = \"www.example.com\"; status = ( \"200-204\", 301 );\n"
/* 29 */ "      expect = \"OK\"; on_failure = \"quiesce\";\n"
/* 30 */ "      expire_connections = true; };\n"
/* 31 */ "    real_servers = (\n"
/* 32 */ "      { address = \"10.0.2.11\"; port = 80; weight = 5;\n"
/* 33 */ "        upper_threshold = 1000; lower_threshold = 800;\n"
/* 34 */ "        notify_up = [ \"/usr/local/bin/up\", \"web\" ];\n"
/* 35 */ "        notify_down = ( \"/usr/local/bin/down\" ); },\n"
/* 36 */ "      { address = \"10.0.2.12\"; port = 0; forward = \"nat\";\n"
/* 37 */ "        weight = 0; check = { interval = 5.0; path = \"/o\"; }; },\n"
/* 38 */ "      { address = \"2001:db8::12\"; port = 80; forward = \"tun\";\n"
/* 39 */ "        tunnel = { type = \"gue\"; port = 6080; csum = true; };\n"
/* 40 */ "        check = { type = \"https\"; verify_tls = false; }; }\n"
/* 41 */ "    );\n"
/* 42 */ "  },\n"
/* 43 */ "  {\n"
/* 44 */ "    fwmark = 7;\n"
/* 45 */ "    scheduler = \"mh\";\n"
/* 46 */ "    scheduler_flags = [ \"mh-port\", \"mh-fallback\" ];\n"
/* 47 */ "    one_packet = true;\n"
/* 48 */ "    check = { type = \"exec\";\n"
/* 49 */ "      argv = [ \"/usr/lib/nflvs/check\", \"--fast\" ]; };\n"
/* 50 */ "    real_servers = ( { address = \"2001:db8::20\"; },\n"
/* 51 */ "      { address = \"2001:db8::21\"; port = 8080; } );\n"
/* 52 */ "  }\n"
/* 53 */ ");\n";

Test(config, full_director)
{
	const struct cfg_director *d = &cfg.director;

	expect_ok(full_conf);
	cr_assert_str_eq(d->table, "lb_1");
	cr_assert_eq(d->queue, 10);
	cr_assert_eq(d->queues, 4);
	cr_assert_eq(d->mark_mask, 0x0000ff00);
	cr_assert_str_eq(d->control, "/run/test/d.sock");
	cr_assert_str_eq(d->shm, "/nflvs-test");
	cr_assert(d->syslog);
	cr_assert_str_eq(d->log_level, "debug");
	cr_assert_str_eq(d->user, "nobody");
}

Test(config, users_and_metrics_on_loopback)
{
	const struct cfg_director *d = &cfg.director;

	expect_ok("director = { user = \"\"; script_user = \"nobody\";\n"
		  "  metrics = \"9100\"; };\n");
	cr_assert_str_empty(d->user, "\"\": the checker stays who it is");
	cr_assert(d->user_set);
	cr_assert_str_eq(d->script_user, "nobody");
	cr_assert_str_eq(d->metrics, "127.0.0.1:9100", "a port alone: loopback");
	config_free(&cfg);
	config_errors_free(&errs);
	expect_ok("director = { metrics = \"[::]:9100\"; };\n");
	cr_assert_str_eq(d->metrics, "[::]:9100", "elsewhere only when given");
	config_free(&cfg);
	config_errors_free(&errs);
	expect_error("director = { metrics = \"70000\"; };\n",
		     "1: metrics: invalid metrics address \"70000\" (expected PORT, ADDRESS:PORT, [IPv6]:PORT, or \"\" for off)");
}

Test(config, full_service)
{
	const struct cfg_service *s;
	const struct cfg_check *c;

	expect_ok(full_conf);
	cr_assert_eq(cfg.nsvc, 2);
	s = &cfg.svc[0];
	cr_assert_str_eq(s->name, "web");
	cr_assert_eq(s->fwmark, 0);
	assert_addr(&s->vip, "10.0.1.100");
	cr_assert_eq(s->vip.family, AF_INET);
	cr_assert_eq(s->port, 80);
	cr_assert_eq(s->protocol, IPPROTO_TCP);
	cr_assert_str_eq(s->scheduler, "sh");
	cr_assert_eq(s->sched_flags, SCHED_F_SH_PORT | SCHED_F_SH_FALLBACK);
	cr_assert_eq(s->fwd, FWD_DR);
	cr_assert_eq(s->persistence, 300);
	cr_assert_eq(s->persistence_netmask, 24);
	cr_assert_not(s->one_packet);
	cr_assert(s->has_sorry);
	assert_addr(&s->sorry_addr, "10.0.2.99");
	cr_assert_eq(s->sorry_port, 8080);
	cr_assert_eq(s->quorum, 2);
	cr_assert_eq(s->line, 13);
	c = &s->check;
	cr_assert_eq(c->type, CHECK_HTTP);
	cr_assert_float_eq(c->interval, 2.0, 1e-9);
	cr_assert_float_eq(c->timeout, 0.25, 1e-9);
	cr_assert_eq(c->rise, 3);
	cr_assert_eq(c->fall, 4);
	cr_assert_eq(c->connect_port, 8081);
	cr_assert_str_eq(c->path, "/health");
	cr_assert_str_eq(c->host, "www.example.com");
	cr_assert_eq(c->nstatus, 2);
	cr_assert_eq(c->status[0].lo, 200);
	cr_assert_eq(c->status[0].hi, 204);
	cr_assert_eq(c->status[1].lo, 301);
	cr_assert_eq(c->status[1].hi, 301);
	cr_assert_str_eq(c->expect, "OK");
	cr_assert_eq(c->on_failure, ON_FAILURE_QUIESCE);
	cr_assert(c->expire_connections);
	cr_assert_eq(c->line, 26);
}

Test(config, full_real_servers)
{
	const struct cfg_service *s;
	const struct cfg_rs *r;

	expect_ok(full_conf);
	s = &cfg.svc[0];
	cr_assert_eq(s->nrs, 3);
	r = &s->rs[0];
	assert_addr(&r->addr, "10.0.2.11");
	cr_assert_eq(r->port, 80);
	cr_assert_eq(r->weight, 5);
	cr_assert_eq(r->fwd, FWD_DR);		/* the service's */
	cr_assert_eq(r->upper_threshold, 1000);
	cr_assert_eq(r->lower_threshold, 800);
	cr_assert_str_eq(r->notify_up[0], "/usr/local/bin/up");
	cr_assert_str_eq(r->notify_up[1], "web");
	cr_assert_null(r->notify_up[2]);
	cr_assert_str_eq(r->notify_down[0], "/usr/local/bin/down");
	cr_assert_null(r->notify_down[1]);
	cr_assert_eq(r->line, 32);
	/* Inherited check: a deep copy, not the service's strings. */
	cr_assert_eq(r->check.type, CHECK_HTTP);
	cr_assert_str_eq(r->check.path, "/health");
	cr_assert_neq(r->check.path, s->check.path);
	cr_assert_eq(r->check.line, 26);

	r = &s->rs[1];
	cr_assert_eq(r->port, 80);		/* 0 = the service's */
	cr_assert_eq(r->fwd, FWD_NAT);
	cr_assert_eq(r->weight, 0);
	cr_assert_null(r->notify_up);
	cr_assert_eq(r->tunnel.type, TUN_IPIP);

	r = &s->rs[2];
	assert_addr(&r->addr, "2001:db8::12");	/* TUN may cross families */
	cr_assert_eq(r->fwd, FWD_TUN);
	cr_assert_eq(r->tunnel.type, TUN_GUE);
	cr_assert_eq(r->tunnel.port, 6080);
	cr_assert(r->tunnel.csum);
}

Test(config, full_check_override)
{
	const struct cfg_check *c;

	expect_ok(full_conf);
	/* rs 2: two keys changed, the rest from the service. */
	c = &cfg.svc[0].rs[1].check;
	cr_assert_eq(c->type, CHECK_HTTP);
	cr_assert_float_eq(c->interval, 5.0, 1e-9);
	cr_assert_str_eq(c->path, "/o");
	cr_assert_float_eq(c->timeout, 0.25, 1e-9);
	cr_assert_eq(c->rise, 3);
	cr_assert_str_eq(c->host, "www.example.com");
	cr_assert_eq(c->nstatus, 2);
	cr_assert_eq(c->on_failure, ON_FAILURE_QUIESCE);
	cr_assert_eq(c->line, 37);
	/* The service's own check is untouched. */
	cr_assert_str_eq(cfg.svc[0].check.path, "/health");
	cr_assert_float_eq(cfg.svc[0].check.interval, 2.0, 1e-9);
	/* rs 3: http to https keeps the http keys, adds verify_tls. */
	c = &cfg.svc[0].rs[2].check;
	cr_assert_eq(c->type, CHECK_HTTPS);
	cr_assert_not(c->verify_tls);
	cr_assert_str_eq(c->path, "/health");
	cr_assert_str_eq(c->expect, "OK");
	cr_assert_eq(cfg.svc[0].check.verify_tls, true);
}

Test(config, full_fwmark_service)
{
	const struct cfg_service *s;

	expect_ok(full_conf);
	s = &cfg.svc[1];
	cr_assert_str_empty(s->name);
	cr_assert_eq(s->fwmark, 7);
	cr_assert_eq(s->vip.family, AF_INET6);	/* its real servers' */
	assert_addr(&s->vip, "::");
	cr_assert_eq(s->port, 0);
	cr_assert_eq(s->protocol, 0);
	cr_assert_eq(s->sched_flags, SCHED_F_MH_PORT | SCHED_F_MH_FALLBACK);
	cr_assert(s->one_packet);
	cr_assert_eq(s->persistence_netmask, 128);
	cr_assert_eq(s->check.type, CHECK_EXEC);
	cr_assert_str_eq(s->check.argv[0], "/usr/lib/nflvs/check");
	cr_assert_str_eq(s->check.argv[1], "--fast");
	cr_assert_null(s->check.argv[2]);
	cr_assert_null(s->check.path);
	cr_assert_eq(s->nrs, 2);
	cr_assert_eq(s->rs[0].port, 0);		/* the packet's port */
	cr_assert_eq(s->rs[1].port, 8080);
	cr_assert_str_eq(s->rs[1].check.argv[1], "--fast");
	cr_assert_neq(s->rs[1].check.argv[0], s->check.argv[0]);
}

/* Defaults ---------------------------------------------------------- */

Test(config, empty_file)
{
	const struct cfg_director *d = &cfg.director;

	expect_ok("");
	cr_assert_eq(cfg.nsvc, 0);
	cr_assert_null(cfg.svc);
	cr_assert_str_eq(d->table, "nflvs");
	cr_assert_eq(d->queue, 0);
	cr_assert_eq(d->queues, 1);
	cr_assert_eq(d->mark_mask, 0x00ff0000);
	cr_assert_str_eq(d->control, "/run/nflvs/director.sock");
	cr_assert_str_eq(d->shm, "/nflvs");
	cr_assert_not(d->syslog);
	cr_assert_str_eq(d->log_level, "info");
	cr_assert_str_eq(d->user, "nflvs", "the dedicated user by default");
	cr_assert_not(d->user_set);
	cr_assert_str_empty(d->script_user, "exec checks run as the checker");
}

Test(config, empty_groups_and_lists)
{
	expect_ok("director = { };\nservices = ( );\n");
	cr_assert_eq(cfg.nsvc, 0);
	cr_assert_str_eq(cfg.director.table, "nflvs");
	expect_ok("services = [ ];\n");
	cr_assert_eq(cfg.nsvc, 0);
}

Test(config, minimal_service_defaults)
{
	const struct cfg_service *s;
	const struct cfg_rs *r;

	expect_ok("services = ( { vip = \"10.0.1.1\"; port = 443;\n"
		  "  real_servers = ( { address = \"10.0.2.1\"; port = 8443; } );"
		  " } );\n");
	cr_assert_eq(cfg.nsvc, 1);
	s = &cfg.svc[0];
	cr_assert_str_empty(s->name);
	cr_assert_eq(s->protocol, IPPROTO_TCP);
	cr_assert_str_eq(s->scheduler, "wlc");
	cr_assert_eq(s->sched_flags, 0);
	cr_assert_eq(s->fwd, FWD_NAT);
	cr_assert_eq(s->persistence, 0);
	cr_assert_eq(s->persistence_netmask, 32);
	cr_assert_not(s->one_packet);
	cr_assert_not(s->has_sorry);
	cr_assert_eq(s->quorum, 1);
	cr_assert_eq(s->check.type, CHECK_NONE);
	cr_assert_float_eq(s->check.interval, 1.0, 1e-9);
	cr_assert_float_eq(s->check.timeout, 0.5, 1e-9);
	cr_assert_eq(s->check.rise, 2);
	cr_assert_eq(s->check.fall, 2);
	cr_assert_eq(s->check.connect_port, 0);
	cr_assert_eq(s->check.on_failure, ON_FAILURE_REMOVE);
	cr_assert_not(s->check.expire_connections);
	cr_assert(s->check.verify_tls);
	cr_assert_eq(s->check.line, 0);
	r = &s->rs[0];
	cr_assert_eq(r->port, 8443);		/* NAT maps ports */
	cr_assert_eq(r->weight, 1);
	cr_assert_eq(r->fwd, FWD_NAT);
	cr_assert_eq(r->upper_threshold, 0);
	cr_assert_eq(r->lower_threshold, 0);
	cr_assert_null(r->notify_down);
	cr_assert_eq(r->check.type, CHECK_NONE);
}

Test(config, http_check_defaults)
{
	const struct cfg_check *c;

	expect_ok(SVC_CHECK("type = \"https\";"));
	c = &cfg.svc[0].check;
	cr_assert_eq(c->type, CHECK_HTTPS);
	cr_assert_str_eq(c->path, "/");
	cr_assert_eq(c->nstatus, 1);
	cr_assert_eq(c->status[0].lo, 200);
	cr_assert_eq(c->status[0].hi, 299);
	cr_assert(c->verify_tls);
	cr_assert_null(c->host);
	cr_assert_null(c->expect);
	cr_assert_eq(c->line, 2);
}

Test(config, service_without_real_servers)
{
	expect_ok("services = ( { vip = \"10.0.1.1\"; port = 80; } );\n");
	cr_assert_eq(cfg.svc[0].nrs, 0);
	cr_assert_null(cfg.svc[0].rs);
}

/* Reading ---------------------------------------------------------- */

Test(config, syntax_error_line)
{
	int rc = load(
	/* 1 */ "director = {\n"
	/* 2 */ "  table = \"x\";\n"
	/* 3 */ "  queue = ;\n"
	/* 4 */ "};\n");

	cr_assert_eq(rc, 1);
	cr_assert_str_eq(err(0), "3: syntax error: syntax error");
	assert_empty_cfg();
}

/* config_fuzz's find (tests/fuzz/corpus/config_fuzz/regress-empty-string):
 * "" where a name belongs.  libconfig's scanner leaks the empty string
 * (tests/lsan.supp); the error is still FILE:LINE, nothing else is lost. */
Test(config, an_empty_string_for_a_name)
{
	FILE *f = fopen("tests/fuzz/corpus/config_fuzz/regress-empty-string", "r");
	char text[64];
	size_t n;

	cr_assert_not_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cr_assert_eq(load(text), 1);
	cr_assert_str_eq(err(0), "2: syntax error: syntax error");
	assert_empty_cfg();
}

Test(config, duplicate_setting_is_a_syntax_error)
{
	int rc = load("director = {\n  queue = 1;\n  queue = 2;\n};\n");

	cr_assert_eq(rc, 1);
	cr_assert_str_eq(err(0), "3: syntax error: duplicate setting name");
}

Test(config, missing_file)
{
	int rc = config_load("/nonexistent/nflvs.conf", &cfg, &errs);

	cr_assert_eq(rc, 1);
	cr_assert_str_eq(errs.msg[0], "/nonexistent/nflvs.conf: cannot read: "
			 "No such file or directory");
	assert_empty_cfg();
}

Test(config, directory_is_not_a_config)
{
	int rc = config_load("/tmp", &cfg, &errs);

	cr_assert_eq(rc, 1);
	cr_assert_str_eq(errs.msg[0], "/tmp: cannot read: Is a directory");
}

Test(config, null_errs_still_counts)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/nflvs-config-test-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	write_file(path, "director = { queue = -1; queues = 0; };\n");
	cr_assert_eq(config_load(path, &cfg, NULL), 2);
	assert_empty_cfg();
}

Test(config, include_relative_to_the_file)
{
	char main_conf[128], inc[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/nflvs-config-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(main_conf, sizeof(main_conf), "%s/main.conf", dir);
	snprintf(inc, sizeof(inc), "%s/svc.conf", dir);
	snprintf(path, sizeof(path), "%s", main_conf);
	write_file(inc, "{ vip = \"10.0.1.1\"; port = 80; },\n"
			"{ vip = \"10.0.1.2\"; port = 99999; }\n");
	write_file(main_conf, "services = (\n@include \"svc.conf\"\n);\n");
	cr_assert_eq(chdir("/"), 0);
	rc = config_load(main_conf, &cfg, &errs);
	cr_assert_eq(rc, 1, "%s", all_errors());
	/* The error names the included file and its line. */
	cr_assert(!strncmp(errs.msg[0], inc, strlen(inc)), "%s", errs.msg[0]);
	cr_assert_str_eq(errs.msg[0] + strlen(inc),
			 ":2: port: out of range \"99999\" (expected 0..65535)");
}

/*
 * What is not a readable regular file is an error with the file's name,
 * never an exit (libconfig's scanner exits on a read error) nor a wait
 * (on a FIFO with no writer).
 */
static void expect_unreadable(const char *file, const char *why)
{
	char want[256];

	cr_assert_eq(config_load(file, &cfg, &errs), 1, "%s", all_errors());
	snprintf(want, sizeof(want), "%s: cannot read: %s", file, why);
	cr_expect_str_eq(errs.msg[0], want);
	assert_empty_cfg();
}

Test(config, a_read_error_is_an_error_not_an_exit, .timeout = 30)
{
	snprintf(path, sizeof(path), "/tmp/nflvs-config-test-mem-%d", getpid());
	cr_assert_eq(symlink("/proc/self/mem", path), 0);
	expect_unreadable(path, "Input/output error");
}

Test(config, a_fifo_is_not_waited_for, .timeout = 30)
{
	snprintf(path, sizeof(path), "/tmp/nflvs-config-test-fifo-%d", getpid());
	cr_assert_eq(mkfifo(path, 0600), 0);
	expect_unreadable(path, "not a regular file");
}

Test(config, a_device_is_not_read, .timeout = 30)
{
	expect_unreadable("/dev/zero", "not a regular file");
}

/* The same for an included file: an error at its @include. */
static void expect_bad_include(const char *why)
{
	char main_conf[128], want[256];

	snprintf(main_conf, sizeof(main_conf), "%s/main.conf", dir);
	snprintf(path, sizeof(path), "%s", main_conf);
	write_file(main_conf, "services = (\n  @include \"svc.conf\"\n);\n");
	cr_assert_eq(config_load(main_conf, &cfg, &errs), 1, "%s", all_errors());
	snprintf(want, sizeof(want), "%s:2: @include \"svc.conf\": cannot read: %s",
		 main_conf, why);
	cr_expect_str_eq(errs.msg[0], want);
	assert_empty_cfg();
}

static void make_dir(char *inc, size_t len)
{
	snprintf(dir, sizeof(dir), "/tmp/nflvs-config-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(inc, len, "%s/svc.conf", dir);
}

Test(config, an_included_fifo_is_not_waited_for, .timeout = 30)
{
	char inc[128];

	make_dir(inc, sizeof(inc));
	cr_assert_eq(mkfifo(inc, 0600), 0);
	expect_bad_include("not a regular file");
}

Test(config, an_include_that_fails_to_read, .timeout = 30)
{
	char inc[128];

	make_dir(inc, sizeof(inc));
	cr_assert_eq(symlink("/proc/self/mem", inc), 0);
	expect_bad_include("Input/output error");
}

Test(config, includes_nested_too_deep, .timeout = 30)
{
	char inc[128];

	make_dir(inc, sizeof(inc));
	write_file(inc, "@include \"svc.conf\"\n");	/* itself */
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	write_file(path, "@include \"svc.conf\"\n");
	cr_assert_eq(config_load(path, &cfg, &errs), 1, "%s", all_errors());
	cr_expect(strstr(errs.msg[0], ":1: @include \"svc.conf\": cannot read: "
			 "nested too deep"), "%s", errs.msg[0]);
}

/* Errors in general -------------------------------------------------- */

Test(config, many_errors_reported_together_in_line_order)
{
	int rc = load(
	/*  1 */ "director = {\n"
	/*  2 */ "  queue = 70000;\n"
	/*  3 */ "};\n"
	/*  4 */ "services = (\n"
	/*  5 */ "  { vip = \"10.0.1.100\"; port = 80;\n"
	/*  6 */ "    scheduler = \"foo\";\n"
	/*  7 */ "    real_servers = (\n"
	/*  8 */ "      { address = \"10.0.0.300\"; port = 80; },\n"
	/*  9 */ "      { address = \"10.0.0.2\"; port = 8080; forward = \"dr\"; }\n"
	/* 10 */ "    );\n"
	/* 11 */ "  },\n"
	/* 12 */ "  { vip = \"10.0.1.100\"; port = 80; bogus = 1; }\n"
	/* 13 */ ");\n");

	cr_assert_eq(rc, 6, "%s", all_errors());
	cr_assert_eq(errs.n, 6);
	cr_assert_str_eq(err(0), "2: queue: out of range \"70000\" "
			 "(expected 0..65535)");
	cr_assert_str_eq(err(1), "6: scheduler: unknown scheduler \"foo\" "
			 "(expected one of rr wrr lc wlc sed nq sh dh lblc "
			 "lblcr mh fo ovf twos)");
	cr_assert_str_eq(err(2), "8: address: invalid IP address "
			 "\"10.0.0.300\"");
	cr_assert_str_eq(err(3), "9: port: dr forwarding cannot map ports "
			 "(service port 80, real server 8080)");
	/* One line: in the order found, the walk before the checks. */
	cr_assert_str_eq(err(4), "12: bogus: unknown key \"bogus\" in a "
			 "service");
	cr_assert_str_eq(err(5), "12: vip: duplicate service 10.0.1.100:80/tcp "
			 "(first defined at line 5)");
	assert_empty_cfg();
}

Test(config, bad_value_is_escaped_and_cut)
{
	load("director = { table = \"a\\\"b\\nc\"; };\n");
	cr_assert_str_eq(err(0), "1: table: invalid table name \"a\\\"b\\x0ac\" "
			 "(expected 1 to 31 of A-Z a-z 0-9 _ -)");
	load("director = { table = \"0123456789012345678901234567890123456789"
	     "0123456789012345678901234567890123456789\"; };\n");
	cr_assert_str_eq(err(0), "1: table: invalid table name \"0123456789"
			 "012345678901234567890123456789012345678901234567890"
			 "12345678901...\" (expected 1 to 31 of A-Z a-z 0-9 _ -)");
}

/* Unknown keys ----------------------------------------------------- */

Test(config, unknown_keys_everywhere)
{
	int rc = load(
	/*  1 */ "tables = 1;\n"
	/*  2 */ "director = { tabel = \"x\"; };\n"
	/*  3 */ "services = ( { vip = \"10.0.1.1\"; port = 80;\n"
	/*  4 */ "  prot = \"tcp\";\n"
	/*  5 */ "  check = { type = \"tcp\"; intervall = 1; };\n"
	/*  6 */ "  real_servers = ( { address = \"10.0.0.1\"; port = 80;\n"
	/*  7 */ "    wieght = 1; forward = \"tun\";\n"
	/*  8 */ "    tunnel = { kind = \"gue\"; };\n"
	/*  9 */ "    check = { rise = 1;\n"
	/* 10 */ "      fal = 1; }; } ); } );\n");

	cr_assert_eq(rc, 7, "%s", all_errors());
	cr_assert_str_eq(err(0), "1: tables: unknown key \"tables\" at the "
			 "top level");
	cr_assert_str_eq(err(1), "2: tabel: unknown key \"tabel\" in director");
	cr_assert_str_eq(err(2), "4: prot: unknown key \"prot\" in a service");
	cr_assert_str_eq(err(3), "5: intervall: unknown key \"intervall\" in "
			 "a check");
	cr_assert_str_eq(err(4), "7: wieght: unknown key \"wieght\" in a real "
			 "server");
	cr_assert_str_eq(err(5), "8: kind: unknown key \"kind\" in a tunnel");
	cr_assert_str_eq(err(6), "10: fal: unknown key \"fal\" in a check");
}

/* Wrong types ----------------------------------------------------------- */

Test(config, wrong_types)
{
	int rc = load(
	/*  1 */ "director = { queue = \"1\"; syslog = 1; table = 5;\n"
	/*  2 */ "  queues = 2.0; };\n"
	/*  3 */ "services = ( { vip = 10; port = \"80\";\n"
	/*  4 */ "  check = { type = \"tcp\"; interval = \"1\"; rise = 1.5; };\n"
	/*  5 */ "  scheduler_flags = \"sh-port\";\n"
	/*  6 */ "  real_servers = ( 1, { address = \"10.0.0.1\"; port = 80;\n"
	/*  7 */ "    weight = true; notify_up = \"/bin/up\"; } ); } );\n");

	cr_assert_eq(rc, 12, "%s", all_errors());
	cr_assert_str_eq(err(0), "1: queue: expected an integer, got a string "
			 "\"1\"");
	cr_assert_str_eq(err(1), "1: syslog: expected a boolean, got an "
			 "integer \"1\"");
	cr_assert_str_eq(err(2), "1: table: expected a string, got an integer "
			 "\"5\"");
	cr_assert_str_eq(err(3), "2: queues: expected an integer, got a float "
			 "\"2.0\"");
	cr_assert_str_eq(err(4), "3: vip: expected a string, got an integer "
			 "\"10\"");
	cr_assert_str_eq(err(5), "3: port: expected an integer, got a string "
			 "\"80\"");
	cr_assert_str_eq(err(6), "4: interval: expected a number of seconds, "
			 "got a string \"1\"");
	cr_assert_str_eq(err(7), "4: rise: expected an integer, got a float "
			 "\"1.5\"");
	cr_assert_str_eq(err(8), "5: scheduler_flags: expected a list of "
			 "strings, got a string \"sh-port\"");
	cr_assert_str_eq(err(9), "6: real_servers[0]: expected a group, got "
			 "an integer \"1\"");
	cr_assert_str_eq(err(10), "7: weight: expected an integer, got a "
			 "boolean \"true\"");
	cr_assert_str_eq(err(11), "7: notify_up: expected a list of strings, "
			 "got a string \"/bin/up\"");
}

Test(config, wrong_group_types)
{
	int rc = load(
	/* 1 */ "director = 1;\n"
	/* 2 */ "services = ( 5, { vip = \"10.0.0.1\"; port = 80;\n"
	/* 3 */ "  check = \"http\";\n"
	/* 4 */ "  real_servers = { address = \"10.0.0.2\"; }; } );\n");

	cr_assert_eq(rc, 4, "%s", all_errors());
	cr_assert_str_eq(err(0), "1: director: expected a group, got an "
			 "integer \"1\"");
	cr_assert_str_eq(err(1), "2: services[0]: expected a group, got an "
			 "integer \"5\"");
	cr_assert_str_eq(err(2), "3: check: expected a group, got a string "
			 "\"http\"");
	cr_assert_str_eq(err(3), "4: real_servers: expected a list of groups, "
			 "got a group");
}

Test(config, services_must_be_a_list)
{
	expect_error("services = { vip = \"10.0.0.1\"; };\n",
		     "1: services: expected a list of groups, got a group");
}

/* Director ----------------------------------------------------------- */

Test(config, director_table)
{
	expect_error("director = { table = \"bad table\"; };\n",
		     "1: table: invalid table name \"bad table\" "
		     "(expected 1 to 31 of A-Z a-z 0-9 _ -)");
	expect_error("director = { table = \"\"; };\n",
		     "1: table: invalid table name \"\" "
		     "(expected 1 to 31 of A-Z a-z 0-9 _ -)");
	expect_error("director = {\n table = "
		     "\"abcdefghijklmnopqrstuvwxyz012345\"; };\n",
		     "2: table: invalid table name "
		     "\"abcdefghijklmnopqrstuvwxyz012345\" "
		     "(expected 1 to 31 of A-Z a-z 0-9 _ -)");
	expect_ok("director = { table = \"abcdefghijklmnopqrstuvwxyz-_012\"; };");
	cr_assert_str_eq(cfg.director.table, "abcdefghijklmnopqrstuvwxyz-_012");
}

Test(config, director_queues)
{
	expect_error("director = { queue = -1; };\n",
		     "1: queue: out of range \"-1\" (expected 0..65535)");
	expect_error("director = { queues = 65; };\n",
		     "1: queues: out of range \"65\" (expected 1..64)");
	expect_error("director = { queues = 0; };\n",
		     "1: queues: out of range \"0\" (expected 1..64)");
	expect_error("director = {\n queue = 65500;\n queues = 64;\n};\n",
		     "3: queues: too many queues \"64\" (queue 65500 + 64 - 1 "
		     "is above 65535)");
	expect_ok("director = { queue = 65472; queues = 64; };\n");
	cr_assert_eq(cfg.director.queue, 65472);
	expect_ok("director = { queue = 65535; };\n");
}

Test(config, director_mark_mask)
{
	expect_error("director = { mark_mask = 0x00ff00ff; };\n",
		     "1: mark_mask: not one contiguous run of at least 2 bits "
		     "\"0xff00ff\"");
	expect_error("director = { mark_mask = 0x00010000; };\n",
		     "1: mark_mask: not one contiguous run of at least 2 bits "
		     "\"0x10000\"");
	expect_error("director = { mark_mask = 0; };\n",
		     "1: mark_mask: not one contiguous run of at least 2 bits "
		     "\"0\"");
	/* Hex above INT_MAX: libconfig 1.5 hands it over as a negative int. */
	expect_ok("director = { mark_mask = 0xff000000; };\n");
	cr_assert_eq(cfg.director.mark_mask, 0xff000000);
	expect_ok("director = { mark_mask = 0xffffffff; };\n");
	cr_assert_eq(cfg.director.mark_mask, 0xffffffff);
	expect_ok("director = { mark_mask = 0x3; };\n");
	cr_assert_eq(cfg.director.mark_mask, 3);
}

Test(config, director_paths)
{
	char name[120], text[256];

	expect_error("director = { control = \"run/x.sock\"; };\n",
		     "1: control: invalid socket path \"run/x.sock\" (expected "
		     "an absolute path shorter than 108 bytes)");
	/* 108 bytes do not fit sun_path with its NUL; 107 do. */
	memset(name, 'a', sizeof(name));
	name[0] = '/';
	name[108] = '\0';
	snprintf(text, sizeof(text), "director = { control = \"%s\"; };", name);
	cr_assert_eq(load(text), 1, "%s", all_errors());
	cr_assert(!strncmp(err(0), "1: control: invalid socket path \"/aaa",
			   37), "%s", err(0));
	name[107] = '\0';
	snprintf(text, sizeof(text), "director = { control = \"%s\"; };", name);
	expect_ok(text);
	cr_assert_eq(strlen(cfg.director.control), 107);
}

Test(config, director_shm)
{
	char name[80], text[160];

	expect_error("director = { shm = \"nflvs\"; };\n",
		     "1: shm: invalid shared memory name \"nflvs\" (expected "
		     "/NAME with no other '/', shorter than 64 bytes)");
	expect_error("director = { shm = \"/a/b\"; };\n",
		     "1: shm: invalid shared memory name \"/a/b\" (expected "
		     "/NAME with no other '/', shorter than 64 bytes)");
	expect_error("director = { shm = \"/\"; };\n",
		     "1: shm: invalid shared memory name \"/\" (expected "
		     "/NAME with no other '/', shorter than 64 bytes)");
	/* 64 bytes with the NUL fit; 65 do not. */
	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[64] = '\0';
	snprintf(text, sizeof(text), "director = { shm = \"%s\"; };", name);
	cr_assert_eq(load(text), 1, "%s", all_errors());
	cr_assert(!strncmp(err(0), "1: shm: invalid shared memory name \"/nnn",
			   39), "%s", err(0));
	name[63] = '\0';
	snprintf(text, sizeof(text), "director = { shm = \"%s\"; };", name);
	expect_ok(text);
	cr_assert_eq(strlen(cfg.director.shm), 63);
}

Test(config, director_log_level_and_user)
{
	expect_error("director = { log_level = \"loud\"; };\n",
		     "1: log_level: unknown log level \"loud\" (expected one of "
		     "error warning notice info debug)");
	expect_error("director = { user = \"no body\"; };\n",
		     "1: user: invalid user name \"no body\" (expected no "
		     "spaces, shorter than 64 bytes)");
	expect_ok("director = { log_level = \"warning\"; user = \"\"; };\n");
	cr_assert_str_eq(cfg.director.log_level, "warning");
}

/* Services: what they match ------------------------------------------ */

Test(config, vip_or_fwmark)
{
	expect_error(
	/* 1 */ "services = (\n"
	/* 2 */ "  { port = 80; }\n"
	/* 3 */ ");\n",
		"2: vip: missing (a service needs vip or fwmark)");
	expect_error(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80;\n"
	/* 2 */ "  fwmark = 3; } );\n",
		"2: fwmark: not allowed together with vip \"3\"");
}

Test(config, vip_needs_port)
{
	expect_error("services = (\n  { vip = \"10.0.0.1\"; }\n);\n",
		     "2: port: missing (required with vip)");
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 65536; } );\n",
		     "1: port: out of range \"65536\" (expected 0..65535)");
	expect_error("services = ( { vip = \"10.0.0.256\"; port = 1; } );\n",
		     "1: vip: invalid IP address \"10.0.0.256\"");
}

Test(config, port_zero_needs_persistence)
{
	expect_error("services = ( { vip = \"10.0.0.1\";\n  port = 0; } );\n",
		     "2: port: port 0 (any port) requires persistence");
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 0;\n"
		     "  persistence = 0; } );\n",
		     "1: port: port 0 (any port) requires persistence");
	expect_ok("services = ( { vip = \"10.0.0.1\"; port = 0;\n"
		  "  persistence = 360;\n"
		  "  real_servers = ( { address = \"10.0.0.2\"; port = 0; } );"
		  " } );\n");
	cr_assert_eq(cfg.svc[0].port, 0);
	cr_assert_eq(cfg.svc[0].rs[0].port, 0);
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 0;\n"
		     "  persistence = 360; real_servers = (\n"
		     "  { address = \"10.0.0.2\"; port = 80; } ); } );\n",
		     "3: port: must be 0 when the service port is 0 \"80\"");
}

Test(config, fwmark_rules)
{
	int rc = load(
	/* 1 */ "services = ( { fwmark = 7;\n"
	/* 2 */ "  port = 80;\n"
	/* 3 */ "  protocol = \"udp\"; } );\n");

	cr_assert_eq(rc, 2, "%s", all_errors());
	cr_assert_str_eq(err(0), "2: port: not allowed with fwmark \"80\"");
	cr_assert_str_eq(err(1), "3: protocol: not allowed with fwmark \"udp\"");
	/* Still a fwmark service: its real server needs no port. */
	expect_error("services = ( { fwmark = 0; real_servers = (\n"
		     "  { address = \"10.0.0.1\"; } ); } );\n",
		     "1: fwmark: out of range \"0\" (expected 1..4294967295; "
		     "above 2147483647 write hex or add an L suffix)");
	expect_ok("services = ( { fwmark = 0xffffffff; },\n"
		  "  { fwmark = 4294967294L; } );\n");
	cr_assert_eq(cfg.svc[0].fwmark, 0xffffffff);
	cr_assert_eq(cfg.svc[0].vip.family, AF_INET);	/* no real server */
	cr_assert_eq(cfg.svc[1].fwmark, 4294967294u);
}

Test(config, fwmark_family_from_real_servers)
{
	int rc = load(
	/* 1 */ "services = ( { fwmark = 7; real_servers = (\n"
	/* 2 */ "  { address = \"2001:db8::1\"; },\n"
	/* 3 */ "  { address = \"10.0.0.1\"; forward = \"tun\"; } ); } );\n");

	cr_assert_eq(rc, 1, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: address: IPv4 real server in an IPv6 "
			 "fwmark service \"10.0.0.1\"");
}

Test(config, protocol)
{
	expect_ok("services = ( { vip = \"10.0.0.1\"; port = 53;"
		  " protocol = \"UDP\"; }, { vip = \"10.0.0.1\"; port = 53;"
		  " protocol = \"sctp\"; }, { vip = \"10.0.0.1\"; port = 53; }"
		  " );\n");
	cr_assert_eq(cfg.svc[0].protocol, IPPROTO_UDP);
	cr_assert_eq(cfg.svc[1].protocol, IPPROTO_SCTP);
	cr_assert_eq(cfg.svc[2].protocol, IPPROTO_TCP);
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 53;\n"
		     "  protocol = \"icmp\"; } );\n",
		     "2: protocol: unknown protocol \"icmp\" (expected one of "
		     "tcp udp sctp)");
}

Test(config, service_name)
{
	expect_error("services = ( { name = \"web site\"; vip = \"10.0.0.1\";"
		     " port = 80; } );\n",
		     "1: name: invalid service name \"web site\" (expected 1 to "
		     "63 of A-Z a-z 0-9 _ . -)");
	expect_error("services = ( { name = \"\"; vip = \"10.0.0.1\";"
		     " port = 80; } );\n",
		     "1: name: invalid service name \"\" (expected 1 to "
		     "63 of A-Z a-z 0-9 _ . -)");
	expect_error(
	/* 1 */ "services = (\n"
	/* 2 */ "  { name = \"web\"; vip = \"10.0.0.1\"; port = 80; },\n"
	/* 3 */ "  { name = \"web.2\"; vip = \"10.0.0.2\"; port = 80; },\n"
	/* 4 */ "  { vip = \"10.0.0.3\"; port = 80;\n"
	/* 5 */ "    name = \"web\"; }\n"
	/* 6 */ ");\n",
		"5: name: duplicate service name \"web\" (first defined at "
		"line 2)");
}

Test(config, duplicate_services)
{
	int rc = load(
	/* 1 */ "services = (\n"
	/* 2 */ "  { vip = \"10.0.1.100\"; port = 80; },\n"
	/* 3 */ "  { vip = \"10.0.1.100\"; port = 80; protocol = \"udp\"; },\n"
	/* 4 */ "  { vip = \"10.0.1.100\"; port = 81; },\n"
	/* 5 */ "  { fwmark = 5; },\n"
	/* 6 */ "  { protocol = \"tcp\";\n"
	/* 7 */ "    vip = \"10.0.1.100\"; port = 80; },\n"
	/* 8 */ "  { fwmark = 5; },\n"
	/* 9 */ "  { vip = \"2001:db8::1\"; port = 80; },\n"
	/* 10 */ "  { vip = \"2001:DB8:0::1\"; port = 80; }\n"
	/* 11 */ ");\n");

	cr_assert_eq(rc, 3, "%s", all_errors());
	cr_assert_str_eq(err(0), "7: vip: duplicate service 10.0.1.100:80/tcp "
			 "(first defined at line 2)");
	cr_assert_str_eq(err(1), "8: fwmark: duplicate service fwmark 5 "
			 "(first defined at line 5)");
	cr_assert_str_eq(err(2), "10: vip: duplicate service "
			 "[2001:db8::1]:80/tcp (first defined at line 9)");
}

/* Services: options ---------------------------------------------------- */

Test(config, scheduler)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  scheduler = \"WLC\"; } );\n",
		     "2: scheduler: unknown scheduler \"WLC\" (expected one of "
		     "rr wrr lc wlc sed nq sh dh lblc lblcr mh fo ovf twos)");
	expect_ok("services = ( { vip = \"10.0.0.1\"; port = 80;"
		  " scheduler = \"lblcr\"; } );\n");
	cr_assert_str_eq(cfg.svc[0].scheduler, "lblcr");
}

Test(config, scheduler_flags)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80;\n"
	/* 2 */ "  scheduler = \"sh\";\n"
	/* 3 */ "  scheduler_flags = [ \"sh-port\",\n"
	/* 4 */ "    \"mh-port\", \"shport\" ]; },\n"
	/* 5 */ "  { vip = \"10.0.0.1\"; port = 81;\n"
	/* 6 */ "    scheduler_flags = ( \"mh-fallback\" ); }\n"
	/* 7 */ ");\n");

	cr_assert_eq(rc, 3, "%s", all_errors());
	cr_assert_str_eq(err(0), "4: scheduler_flags[2]: unknown scheduler "
			 "flag \"shport\" (expected one of sh-port sh-fallback "
			 "mh-port mh-fallback)");
	cr_assert_str_eq(err(1), "4: scheduler_flags[1]: flag \"mh-port\" "
			 "needs scheduler mh, not sh");
	cr_assert_str_eq(err(2), "6: scheduler_flags[0]: flag \"mh-fallback\" "
			 "needs scheduler mh, not wlc");
}

Test(config, forward)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  forward = \"masq\"; } );\n",
		     "2: forward: unknown forwarding method \"masq\" (expected "
		     "one of nat dr tun)");
}

Test(config, persistence)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  persistence = -1; } );\n",
		     "2: persistence: out of range \"-1\" (expected "
		     "0..2147483647)");
	expect_ok("services = ( { vip = \"10.0.0.1\"; port = 80;"
		  " persistence = 2147483647; } );\n");
	cr_assert_eq(cfg.svc[0].persistence, 2147483647u);
}

Test(config, persistence_netmask)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  persistence_netmask = 33; } );\n",
		     "2: persistence_netmask: out of range \"33\" (expected "
		     "1..32 for IPv4)");
	expect_error("services = ( { vip = \"::1\"; port = 80;\n"
		     "  persistence_netmask = 129; } );\n",
		     "2: persistence_netmask: out of range \"129\" (expected "
		     "1..128)");
	expect_error("services = ( { vip = \"::1\"; port = 80;\n"
		     "  persistence_netmask = 0; } );\n",
		     "2: persistence_netmask: out of range \"0\" (expected "
		     "1..128)");
	expect_ok("services = ( { vip = \"::1\"; port = 80;"
		  " persistence_netmask = 64; }, { vip = \"::1\"; port = 81; }"
		  " );\n");
	cr_assert_eq(cfg.svc[0].persistence_netmask, 64);
	cr_assert_eq(cfg.svc[1].persistence_netmask, 128);
}

Test(config, one_packet_udp_only)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  one_packet = true; } );\n",
		     "2: one_packet: only valid with protocol udp \"true\"");
	expect_ok("services = ( { vip = \"10.0.0.1\"; port = 53;"
		  " protocol = \"udp\"; one_packet = true; },"
		  " { vip = \"10.0.0.1\"; port = 80; one_packet = false; } );\n");
	cr_assert(cfg.svc[0].one_packet);
}

Test(config, sorry_server)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  sorry_server = \"10.0.0.9\"; } );\n",
		     "2: sorry_server: invalid address and port \"10.0.0.9\" "
		     "(expected ADDR:PORT or [IPV6]:PORT)");
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  sorry_server = \"[2001:db8::9]:80\"; } );\n",
		     "2: sorry_server: IPv6 sorry server in an IPv4 service "
		     "\"[2001:db8::9]:80\"");
	expect_ok("services = ( { vip = \"2001:db8::1\"; port = 80;"
		  " sorry_server = \"[2001:db8::9]:8080\"; } );\n");
	assert_addr(&cfg.svc[0].sorry_addr, "2001:db8::9");
	cr_assert_eq(cfg.svc[0].sorry_port, 8080);
}

Test(config, quorum)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  quorum = 0; } );\n",
		     "2: quorum: out of range \"0\" (expected 1..4294967295; "
		     "above 2147483647 write hex or add an L suffix)");
	/* libconfig 1.5 wraps this decimal: the hint tells how to write it. */
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  quorum = 3000000000; } );\n",
		     "2: quorum: out of range \"-1294967296\" (expected "
		     "1..4294967295; above 2147483647 write hex or add an L "
		     "suffix)");
	expect_ok("services = ( { vip = \"10.0.0.1\"; port = 80;"
		  " quorum = 3000000000L; } );\n");
	cr_assert_eq(cfg.svc[0].quorum, 3000000000u);
}

Test(config, ipv6_service)
{
	const struct cfg_service *s;

	expect_ok(
	/* 1 */ "services = ( { vip = \"2001:db8::100\"; port = 443;\n"
	/* 2 */ "  scheduler = \"rr\";\n"
	/* 3 */ "  real_servers = (\n"
	/* 4 */ "    { address = \"2001:db8::11\"; port = 8443; },\n"
	/* 5 */ "    { address = \"2001:db8::12\"; port = 443;"
		 " forward = \"dr\"; },\n"
	/* 6 */ "    { address = \"10.0.0.13\"; port = 0; forward = \"tun\";"
		 " tunnel = { type = \"gre\"; csum = true; }; }\n"
	/* 7 */ "  ); } );\n");
	s = &cfg.svc[0];
	cr_assert_eq(s->vip.family, AF_INET6);
	assert_addr(&s->vip, "2001:db8::100");
	cr_assert_eq(s->persistence_netmask, 128);
	cr_assert_eq(s->nrs, 3);
	cr_assert_eq(s->rs[0].addr.family, AF_INET6);
	cr_assert_eq(s->rs[0].port, 8443);
	cr_assert_eq(s->rs[1].fwd, FWD_DR);
	cr_assert_eq(s->rs[2].addr.family, AF_INET);
	cr_assert_eq(s->rs[2].port, 443);
	cr_assert_eq(s->rs[2].tunnel.type, TUN_GRE);
	cr_assert(s->rs[2].tunnel.csum);
}

/* Real servers --------------------------------------------------------- */

Test(config, rs_address_and_port_required)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; real_servers = (\n"
	/* 2 */ "  { port = 80; },\n"
	/* 3 */ "  { address = \"10.0.0.2\"; }\n"
	/* 4 */ "); } );\n");

	cr_assert_eq(rc, 2, "%s", all_errors());
	cr_assert_str_eq(err(0), "2: address: missing (required in a real "
			 "server)");
	cr_assert_str_eq(err(1), "3: port: missing (required in a vip "
			 "service)");
}

Test(config, rs_ranges)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; real_servers = (\n"
	/* 2 */ "  { address = \"10.0.0.2\"; port = -1; },\n"
	/* 3 */ "  { address = \"10.0.0.3\"; port = 80; weight = 65536; },\n"
	/* 4 */ "  { address = \"10.0.0.4\"; port = 80; upper_threshold = -5; },\n"
	/* 5 */ "  { address = \"10.0.0.5\"; port = 80; forward = \"fast\"; }\n"
	/* 6 */ "); } );\n");

	cr_assert_eq(rc, 4, "%s", all_errors());
	cr_assert_str_eq(err(0), "2: port: out of range \"-1\" (expected "
			 "0..65535)");
	cr_assert_str_eq(err(1), "3: weight: out of range \"65536\" (expected "
			 "0..65535)");
	cr_assert_str_eq(err(2), "4: upper_threshold: out of range \"-5\" "
			 "(expected 0..4294967295; above 2147483647 write hex "
			 "or add an L suffix)");
	cr_assert_str_eq(err(3), "5: forward: unknown forwarding method "
			 "\"fast\" (expected one of nat dr tun)");
}

Test(config, rs_family_mixing)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; real_servers = (\n"
	/* 2 */ "  { address = \"2001:db8::1\"; port = 80; },\n"
	/* 3 */ "  { address = \"2001:db8::2\"; port = 80; forward = \"dr\"; },\n"
	/* 4 */ "  { address = \"2001:db8::3\"; port = 80; forward = \"tun\"; }\n"
	/* 5 */ "); },\n"
	/* 6 */ "  { vip = \"2001:db8::100\"; port = 80; real_servers = (\n"
	/* 7 */ "  { address = \"10.0.0.7\"; port = 80; } ); } );\n");

	cr_assert_eq(rc, 3, "%s", all_errors());
	cr_assert_str_eq(err(0), "2: address: IPv6 real server in an IPv4 NAT "
			 "service \"2001:db8::1\"");
	cr_assert_str_eq(err(1), "3: address: IPv6 real server in an IPv4 DR "
			 "service \"2001:db8::2\"");
	cr_assert_str_eq(err(2), "7: address: IPv4 real server in an IPv6 NAT "
			 "service \"10.0.0.7\"");
}

Test(config, rs_dr_and_tun_cannot_map_ports)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; forward = \"dr\";\n"
	/* 2 */ "  real_servers = (\n"
	/* 3 */ "  { address = \"10.0.0.2\"; port = 8080; },\n"
	/* 4 */ "  { address = \"10.0.0.3\"; port = 0; },\n"
	/* 5 */ "  { address = \"10.0.0.4\"; port = 80; },\n"
	/* 6 */ "  { address = \"10.0.0.5\"; port = 81; forward = \"tun\"; },\n"
	/* 7 */ "  { address = \"10.0.0.6\"; port = 8080; forward = \"nat\"; }\n"
	/* 8 */ "); },\n"
	/* 9 */ "  { fwmark = 1; forward = \"dr\"; real_servers = (\n"
	/* 10 */ "  { address = \"10.0.0.2\"; port = 80; } ); } );\n");

	cr_assert_eq(rc, 3, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: port: dr forwarding cannot map ports "
			 "(service port 80, real server 8080)");
	cr_assert_str_eq(err(1), "6: port: tun forwarding cannot map ports "
			 "(service port 80, real server 81)");
	cr_assert_str_eq(err(2), "10: port: dr forwarding cannot map ports "
			 "(fwmark service, real server 80)");
}

Test(config, rs_dr_port_zero_is_the_service_port)
{
	expect_ok(SVC_RS("forward = \"dr\";", "address = \"10.0.0.2\"; port = 0;"));
	cr_assert_eq(cfg.svc[0].rs[0].port, 80);
	cr_assert_eq(cfg.svc[0].rs[0].fwd, FWD_DR);
}

Test(config, rs_duplicates)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; real_servers = (\n"
	/* 2 */ "  { address = \"10.0.0.2\"; port = 80; },\n"
	/* 3 */ "  { address = \"10.0.0.2\"; port = 81; },\n"
	/* 4 */ "  { port = 0;\n"
	/* 5 */ "    address = \"10.0.0.2\"; }\n"
	/* 6 */ "); },\n"
	/* 7 */ "  { vip = \"10.0.0.1\"; port = 81; real_servers = (\n"
	/* 8 */ "  { address = \"10.0.0.2\"; port = 80; } ); } );\n");

	/* Port 0 is the service's port 80: the same real server. */
	cr_assert_eq(rc, 1, "%s", all_errors());
	cr_assert_str_eq(err(0), "5: address: duplicate real server "
			 "10.0.0.2:80 (first defined at line 2)");
}

Test(config, rs_tunnel)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; real_servers = (\n"
	/* 2 */ "  { address = \"10.0.0.2\"; port = 80; forward = \"tun\";\n"
	/* 3 */ "    tunnel = { type = \"gue\"; }; },\n"
	/* 4 */ "  { address = \"10.0.0.3\"; port = 80; forward = \"tun\";\n"
	/* 5 */ "    tunnel = { port = 6080; csum = false; }; },\n"
	/* 6 */ "  { address = \"10.0.0.4\"; port = 80; forward = \"tun\";\n"
	/* 7 */ "    tunnel = { type = \"vxlan\"; }; },\n"
	/* 8 */ "  { address = \"10.0.0.5\"; port = 80;\n"
	/* 9 */ "    tunnel = { type = \"ipip\"; }; },\n"
	/* 10 */ "  { address = \"10.0.0.6\"; port = 80; forward = \"tun\";\n"
	/* 11 */ "    tunnel = { type = \"gue\"; port = 0; }; }\n"
	/* 12 */ "); } );\n");

	cr_assert_eq(rc, 6, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: port: missing (required for gue tunnels)");
	cr_assert_str_eq(err(1), "5: port: only valid for gue tunnels \"6080\"");
	cr_assert_str_eq(err(2), "5: csum: only valid for gue and gre tunnels "
			 "\"false\"");
	cr_assert_str_eq(err(3), "7: type: unknown tunnel type \"vxlan\" "
			 "(expected one of ipip gue gre)");
	cr_assert_str_eq(err(4), "9: tunnel: only valid with forward tun "
			 "(forward is nat)");
	cr_assert_str_eq(err(5), "11: port: out of range \"0\" (expected "
			 "1..65535)");
}

Test(config, rs_tun_default_tunnel)
{
	expect_ok(SVC_RS("", "address = \"10.0.0.2\"; port = 80;"
			 " forward = \"tun\";"));
	cr_assert_eq(cfg.svc[0].rs[0].tunnel.type, TUN_IPIP);
	cr_assert_eq(cfg.svc[0].rs[0].tunnel.port, 0);
	cr_assert_not(cfg.svc[0].rs[0].tunnel.csum);
}

Test(config, rs_thresholds)
{
	expect_error(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; real_servers = (\n"
	/* 2 */ "  { address = \"10.0.0.2\"; port = 80; upper_threshold = 100;\n"
	/* 3 */ "    lower_threshold = 200; } ); } );\n",
		"3: lower_threshold: above upper_threshold 100 \"200\"");
	/* Only a lower threshold: no upper to compare with. */
	expect_ok(SVC_RS("", "address = \"10.0.0.2\"; port = 80;"
			 " lower_threshold = 200;"));
	cr_assert_eq(cfg.svc[0].rs[0].lower_threshold, 200);
	expect_ok(SVC_RS("", "address = \"10.0.0.2\"; port = 80;"
			 " lower_threshold = 50; upper_threshold = 50;"));
}

Test(config, rs_notify)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; real_servers = (\n"
	/* 2 */ "  { address = \"10.0.0.2\"; port = 80;\n"
	/* 3 */ "    notify_up = [ \"up.sh\" ];\n"
	/* 4 */ "    notify_down = ( \"/bin/down\", \"\", 3 ); },\n"
	/* 5 */ "  { address = \"10.0.0.3\"; port = 80;\n"
	/* 6 */ "    notify_up = [ ]; }\n"
	/* 7 */ "); } );\n");

	cr_assert_eq(rc, 4, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: notify_up[0]: not an absolute path "
			 "\"up.sh\"");
	cr_assert_str_eq(err(1), "4: notify_down[1]: empty argument");
	cr_assert_str_eq(err(2), "4: notify_down[2]: expected a string, got an "
			 "integer \"3\"");
	cr_assert_str_eq(err(3), "6: notify_up: expected 1 to 32 arguments, "
			 "got 0");
}

/* Checks --------------------------------------------------------------- */

Test(config, check_type)
{
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  check = { interval = 1; }; } );\n",
		     "2: type: missing (required in a service's check)");
	expect_error("services = ( { vip = \"10.0.0.1\"; port = 80;\n"
		     "  check = { type = \"icmp\"; }; } );\n",
		     "2: type: unknown check type \"icmp\" (expected one of none "
		     "tcp http https exec smtp dns udp ping file)");
	expect_ok(SVC_CHECK("type = \"tcp\"; connect_port = 22;"));
	cr_assert_eq(cfg.svc[0].check.type, CHECK_TCP);
	cr_assert_eq(cfg.svc[0].check.connect_port, 22);
	cr_assert_null(cfg.svc[0].check.path);
	cr_assert_eq(cfg.svc[0].check.nstatus, 0);
}

Test(config, check_timing)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; check = {\n"
	/* 2 */ "  type = \"tcp\";\n"
	/* 3 */ "  interval = 0;\n"
	/* 4 */ "  timeout = -0.5;\n"
	/* 5 */ "  rise = 0;\n"
	/* 6 */ "  fall = -1;\n"
	/* 7 */ "  connect_port = 65536; }; } );\n");

	cr_assert_eq(rc, 5, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: interval: out of range \"0\" (expected "
			 "seconds above 0, at most 86400)");
	cr_assert_str_eq(err(1), "4: timeout: out of range \"-0.5\" (expected "
			 "seconds above 0, at most 86400)");
	cr_assert_str_eq(err(2), "5: rise: out of range \"0\" (expected "
			 "1..2147483647)");
	cr_assert_str_eq(err(3), "6: fall: out of range \"-1\" (expected "
			 "1..2147483647)");
	cr_assert_str_eq(err(4), "7: connect_port: out of range \"65536\" "
			 "(expected 0..65535)");
	/* Integers and floats both mean seconds. */
	expect_ok(SVC_CHECK("type = \"tcp\"; interval = 3; timeout = 1.5;"));
	cr_assert_float_eq(cfg.svc[0].check.interval, 3.0, 1e-9);
	cr_assert_float_eq(cfg.svc[0].check.timeout, 1.5, 1e-9);
	expect_ok(SVC_CHECK("type = \"tcp\"; interval = 2L;"));
	cr_assert_float_eq(cfg.svc[0].check.interval, 2.0, 1e-9);
}

Test(config, check_keys_by_type)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; check = {\n"
	/* 2 */ "  type = \"tcp\";\n"
	/* 3 */ "  path = \"/x\";\n"
	/* 4 */ "  status = \"200\";\n"
	/* 5 */ "  verify_tls = true;\n"
	/* 6 */ "  argv = [ \"/bin/true\" ]; }; },\n"
	/* 7 */ "  { vip = \"10.0.0.1\"; port = 81; check = { type = \"http\";\n"
	/* 8 */ "  verify_tls = false; host = \"a\"; expect = \"b\"; }; } );\n");

	cr_assert_eq(rc, 5, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: path: only valid for http and https "
			 "checks \"/x\"");
	cr_assert_str_eq(err(1), "4: status: only valid for http and https "
			 "checks \"200\"");
	cr_assert_str_eq(err(2), "5: verify_tls: only valid for https checks "
			 "\"true\"");
	cr_assert_str_eq(err(3), "6: argv: only valid for exec checks "
			 "(a list)");
	cr_assert_str_eq(err(4), "8: verify_tls: only valid for https checks "
			 "\"false\"");
}

Test(config, check_http_values)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; check = {\n"
	/* 2 */ "  type = \"http\";\n"
	/* 3 */ "  path = \"health\";\n"
	/* 4 */ "  host = \"a b\";\n"
	/* 5 */ "  expect = \"\";\n"
	/* 6 */ "  on_failure = \"drop\"; }; } );\n");

	cr_assert_eq(rc, 4, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: path: invalid HTTP path \"health\" "
			 "(expected '/' first, no spaces or control characters)");
	cr_assert_str_eq(err(1), "4: host: invalid HTTP host \"a b\" (expected "
			 "no spaces or control characters)");
	cr_assert_str_eq(err(2), "5: expect: invalid expect string \"\" "
			 "(expected a non-empty body substring)");
	cr_assert_str_eq(err(3), "6: on_failure: unknown on_failure action "
			 "\"drop\" (expected one of remove quiesce)");
	expect_error(SVC_CHECK("type = \"http\"; path = \"/a\\r\\nX: y\";"),
		     "2: path: invalid HTTP path \"/a\\x0d\\x0aX: y\" (expected "
		     "'/' first, no spaces or control characters)");
}

Test(config, check_status)
{
	const struct cfg_check *c;
	int rc;

	expect_ok(SVC_CHECK("type = \"http\"; status = \"204\";"));
	c = &cfg.svc[0].check;
	cr_assert_eq(c->nstatus, 1);
	cr_assert_eq(c->status[0].lo, 204);
	cr_assert_eq(c->status[0].hi, 204);
	expect_ok(SVC_CHECK("type = \"http\"; status = 302;"));
	cr_assert_eq(cfg.svc[0].check.status[0].lo, 302);
	expect_ok(SVC_CHECK("type = \"http\"; status = [ \"200-299\", \"404\" ];"));
	c = &cfg.svc[0].check;
	cr_assert_eq(c->nstatus, 2);
	cr_assert_eq(c->status[1].lo, 404);
	cr_assert_eq(c->status[1].hi, 404);

	rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; check = {\n"
	/* 2 */ "  type = \"http\"; status = ( \"2xx\", \"300-200\",\n"
	/* 3 */ "    \"99\", 600, \"200-\", true ); }; } );\n");
	cr_assert_eq(rc, 6, "%s", all_errors());
	cr_assert_str_eq(err(0), "2: status[0]: invalid status range \"2xx\" "
			 "(expected CODE or LOW-HIGH, codes 100 to 599)");
	cr_assert_str_eq(err(1), "2: status[1]: invalid status range "
			 "\"300-200\" (expected CODE or LOW-HIGH, codes 100 to "
			 "599)");
	cr_assert_str_eq(err(2), "3: status[2]: invalid status range \"99\" "
			 "(expected CODE or LOW-HIGH, codes 100 to 599)");
	cr_assert_str_eq(err(3), "3: status[3]: out of range \"600\" "
			 "(expected 100..599)");
	cr_assert_str_eq(err(4), "3: status[4]: invalid status range \"200-\" "
			 "(expected CODE or LOW-HIGH, codes 100 to 599)");
	cr_assert_str_eq(err(5), "3: status[5]: expected a string or an "
			 "integer, got a boolean \"true\"");

	expect_error(SVC_CHECK("type = \"http\"; status = [ 200, 201, 202, "
			       "203, 204, 205, 206, 207, 208 ];"),
		     "2: status: expected 1 to 8 ranges, got 9");
	expect_error(SVC_CHECK("type = \"http\"; status = ( );"),
		     "2: status: expected 1 to 8 ranges, got 0");
}

Test(config, check_exec)
{
	char text[1024];
	int rc, i, o;

	expect_error(SVC_CHECK("type = \"exec\";"),
		     "2: argv: missing (required for exec checks)");
	rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80; check = {\n"
	/* 2 */ "  type = \"exec\";\n"
	/* 3 */ "  argv = [ \"check.sh\", \"a\" ]; }; } );\n");
	cr_assert_eq(rc, 1, "%s", all_errors());
	cr_assert_str_eq(err(0), "3: argv[0]: not an absolute path "
			 "\"check.sh\"");

	o = snprintf(text, sizeof(text), "services = ( { vip = \"10.0.0.1\";"
		     " port = 80;\n check = { type = \"exec\"; argv = [ \"/x\"");
	for (i = 1; i < CFG_ARGV_MAX + 1; i++)
		o += snprintf(text + o, sizeof(text) - o, ", \"%d\"", i);
	snprintf(text + o, sizeof(text) - o, " ]; }; } );\n");
	expect_error(text, "2: argv: expected 1 to 32 arguments, got 33");
}

Test(config, rs_check_override_and_type_change)
{
	const struct cfg_service *s;

	expect_ok(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80;\n"
	/* 2 */ "  check = { type = \"http\"; path = \"/h\"; status = \"200\";"
		 " fall = 5; };\n"
	/* 3 */ "  real_servers = (\n"
	/* 4 */ "    { address = \"10.0.0.2\"; port = 80;\n"
	/* 5 */ "      check = { type = \"tcp\"; connect_port = 9; }; },\n"
	/* 6 */ "    { address = \"10.0.0.3\"; port = 80;\n"
	/* 7 */ "      check = { type = \"exec\"; argv = [ \"/bin/c\" ]; }; },\n"
	/* 8 */ "    { address = \"10.0.0.4\"; port = 80;\n"
	/* 9 */ "      check = { status = [ \"500-599\" ]; }; },\n"
	/* 10 */ "    { address = \"10.0.0.5\"; port = 80;\n"
	/* 11 */ "      check = { type = \"none\"; }; }\n"
	/* 12 */ "  ); } );\n");
	s = &cfg.svc[0];
	/* tcp: the http keys are dropped, the common ones kept. */
	cr_assert_eq(s->rs[0].check.type, CHECK_TCP);
	cr_assert_null(s->rs[0].check.path);
	cr_assert_eq(s->rs[0].check.nstatus, 0);
	cr_assert_eq(s->rs[0].check.fall, 5);
	cr_assert_eq(s->rs[0].check.connect_port, 9);
	cr_assert_eq(s->rs[0].check.line, 5);
	cr_assert_eq(s->rs[1].check.type, CHECK_EXEC);
	cr_assert_str_eq(s->rs[1].check.argv[0], "/bin/c");
	cr_assert_null(s->rs[1].check.path);
	cr_assert_eq(s->rs[2].check.type, CHECK_HTTP);
	cr_assert_str_eq(s->rs[2].check.path, "/h");
	cr_assert_eq(s->rs[2].check.nstatus, 1);
	cr_assert_eq(s->rs[2].check.status[0].lo, 500);
	cr_assert_eq(s->rs[2].check.status[0].hi, 599);
	cr_assert_eq(s->rs[3].check.type, CHECK_NONE);
	/* The service's check is its own. */
	cr_assert_eq(s->check.status[0].lo, 200);
	cr_assert_eq(s->check.status[0].hi, 200);
}

Test(config, rs_check_errors)
{
	int rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80;\n"
	/* 2 */ "  check = { type = \"tcp\"; };\n"
	/* 3 */ "  real_servers = (\n"
	/* 4 */ "    { address = \"10.0.0.2\"; port = 80;\n"
	/* 5 */ "      check = { path = \"/x\"; }; },\n"
	/* 6 */ "    { address = \"10.0.0.3\"; port = 80;\n"
	/* 7 */ "      check = { type = \"exec\"; }; },\n"
	/* 8 */ "    { address = \"10.0.0.4\"; port = 80;\n"
	/* 9 */ "      check = 1; }\n"
	/* 10 */ "  ); } );\n");

	cr_assert_eq(rc, 3, "%s", all_errors());
	cr_assert_str_eq(err(0), "5: path: only valid for http and https "
			 "checks \"/x\"");
	cr_assert_str_eq(err(1), "7: argv: missing (required for exec checks)");
	cr_assert_str_eq(err(2), "9: check: expected a group, got an integer "
			 "\"1\"");
}

/* keepalived's other checkers: smtp, dns, udp, ping, file ---------------- */

Test(config, check_smtp_dns_values)
{
	const struct cfg_service *s;

	expect_ok(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 25;\n"
	/* 2 */ "  check = { type = \"smtp\"; };\n"
	/* 3 */ "  real_servers = (\n"
	/* 4 */ "    { address = \"10.0.0.2\"; port = 80;\n"
	/* 5 */ "      check = { helo_name = \"lb1.example.org\"; connect_port = 2525; }; },\n"
	/* 6 */ "    { address = \"10.0.0.3\"; port = 80;\n"
	/* 7 */ "      check = { type = \"dns\"; }; },\n"
	/* 8 */ "    { address = \"10.0.0.4\"; port = 80;\n"
	/* 9 */ "      check = { type = \"dns\"; query_type = \"aaaa\";"
		 " query_name = \"www.example.org.\"; }; }\n"
	/* 10 */ "  ); } );\n");
	s = &cfg.svc[0];
	cr_assert_eq(s->check.type, CHECK_SMTP);
	cr_assert_str_eq(s->check.helo_name, "smtpchecker.keepalived.org");
	cr_assert_str_eq(s->rs[0].check.helo_name, "lb1.example.org");
	cr_assert_eq(s->rs[0].check.connect_port, 2525);
	cr_assert_eq(s->rs[1].check.type, CHECK_DNS);
	cr_assert_null(s->rs[1].check.helo_name, "smtp's key dropped");
	cr_assert_eq(s->rs[1].check.query_type, 6, "SOA");
	cr_assert_str_eq(s->rs[1].check.query_name, ".");
	cr_assert_eq(s->rs[2].check.query_type, 28, "AAAA");
	cr_assert_str_eq(s->rs[2].check.query_name, "www.example.org.");
}

Test(config, check_smtp_dns_errors)
{
	char text[1024], name[300];

	expect_error(SVC_CHECK("type = \"smtp\"; helo_name = \"a b\";"),
		     "2: helo_name: invalid HELO name \"a b\" (expected 1 to "
		     "255 characters, no spaces or control characters)");
	expect_error(SVC_CHECK("type = \"tcp\"; helo_name = \"a\";"),
		     "2: helo_name: only valid for smtp checks \"a\"");
	expect_error(SVC_CHECK("type = \"dns\"; query_type = \"PTR\";"),
		     "2: query_type: unknown DNS query type \"PTR\" (expected "
		     "one of A NS CNAME SOA MX TXT AAAA RRSIG DNSKEY)");
	expect_error(SVC_CHECK("type = \"dns\"; query_name = \"a..b\";"),
		     "2: query_name: invalid DNS name \"a..b\" (expected labels "
		     "of 1 to 63 bytes separated by dots, at most 253 "
		     "characters, or \".\")");
	expect_error(SVC_CHECK("type = \"dns\"; name = \"a\";"),
		     "2: name: unknown key \"name\" in a check");
	memset(name, 'a', 64);
	name[64] = '\0';
	snprintf(text, sizeof(text), SVC_CHECK("type = \"dns\"; query_name = \"%s.org\";"),
		 name);
	cr_assert_eq(load(text), 1, "a label of 64 bytes:%s", all_errors());
}

Test(config, dns_names)
{
	char name[300];
	int i;

	cr_assert(config_dns_name_ok("."));
	cr_assert(config_dns_name_ok("org"));
	cr_assert(config_dns_name_ok("example.org."));
	cr_assert(config_dns_name_ok("_sip._udp.example.org"));
	cr_assert_not(config_dns_name_ok(""));
	cr_assert_not(config_dns_name_ok(".org"));
	cr_assert_not(config_dns_name_ok("a..org"));
	cr_assert_not(config_dns_name_ok("a.org.."));
	cr_assert_not(config_dns_name_ok("a b.org"));
	/* 253 characters: 63 + 1 + 63 + 1 + 63 + 1 + 61 */
	for (i = 0; i < 253; i++)
		name[i] = (i + 1) % 64 ? 'a' : '.';
	name[253] = '\0';
	cr_assert(config_dns_name_ok(name), "%s", name);
	name[253] = '.';
	name[254] = '\0';
	cr_assert(config_dns_name_ok(name), "the root's dot is extra");
	name[253] = 'a';
	cr_assert_not(config_dns_name_ok(name), "254 characters");
	cr_assert_eq(dns_type_parse("soa"), 6);
	cr_assert_eq(dns_type_parse("DNSKEY"), 48);
	cr_assert_lt(dns_type_parse("ANY"), 0);
	cr_assert_str_eq(dns_type_name(15), "MX");
}

static void assert_hex(const char *s, bool wild, const char *want_data,
		       const char *want_mask)
{
	uint8_t data[64], mask[64];
	char got[200] = "", gotm[200] = "";
	int n, i, o = 0, om = 0;

	n = config_hex_parse(s, data, wild ? mask : NULL, sizeof(data));
	cr_assert_gt(n, 0, "\"%s\": %d", s, n);
	for (i = 0; i < n; i++) {
		o += snprintf(got + o, sizeof(got) - o, "%s%02X", i ? " " : "",
			      data[i]);
		if (wild)
			om += snprintf(gotm + om, sizeof(gotm) - om, "%s%02X",
				       i ? " " : "", mask[i]);
	}
	cr_assert_str_eq(got, want_data, "\"%s\"", s);
	if (wild)
		cr_assert_str_eq(gotm, want_mask, "\"%s\" mask", s);
}

Test(config, hex_as_keepalived_reads_it)
{
	uint8_t b[4];

	/* keepalived.conf(5)'s own example */
	assert_hex("Ab12f 3 456 546443123", false,
		   "AB 12 0F 03 45 06 54 64 43 12 03", NULL);
	assert_hex("  00\t0102 ", false, "00 01 02", NULL);
	assert_hex("1x x2 X", true, "10 02 00", "0F F0 0F");
	cr_assert_eq(config_hex_parse("1x", b, NULL, 4), -EINVAL,
		     "no wildcards in a payload");
	cr_assert_eq(config_hex_parse("0g", b, NULL, 4), -EINVAL);
	cr_assert_eq(config_hex_parse("", b, NULL, 4), -EINVAL);
	cr_assert_eq(config_hex_parse("   ", b, NULL, 4), -EINVAL);
	cr_assert_eq(config_hex_parse("0011223344", b, NULL, 4), -E2BIG);
	cr_assert_eq(config_hex_parse("00112233", b, NULL, 4), 4);
}

Test(config, check_udp_values)
{
	const struct cfg_service *s;

	expect_ok(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 53; protocol = \"udp\";\n"
	/* 2 */ "  check = { type = \"udp\"; payload = \"12 34 0100\"; };\n"
	/* 3 */ "  real_servers = (\n"
	/* 4 */ "    { address = \"10.0.0.2\"; port = 80;\n"
	/* 5 */ "      check = { require_reply = true; max_reply_length = 512; }; },\n"
	/* 6 */ "    { address = \"10.0.0.3\"; port = 80;\n"
	/* 7 */ "      check = { require_reply = \"1234 8x\"; min_reply_length = 12; }; },\n"
	/* 8 */ "    { address = \"10.0.0.4\"; port = 80;\n"
	/* 9 */ "      check = { type = \"tcp\"; }; }\n"
	/* 10 */ "  ); } );\n");
	s = &cfg.svc[0];
	cr_assert_eq(s->check.payload.len, 4);
	cr_assert_eq(memcmp(s->check.payload.data, "\x12\x34\x01\x00", 4), 0);
	cr_assert_null(s->check.payload.mask);
	cr_assert_not(s->check.require_reply);
	cr_assert_eq(s->check.min_reply_length, 0);
	cr_assert_eq(s->check.max_reply_length, 255, "keepalived's default");
	cr_assert(s->rs[0].check.require_reply);
	cr_assert_null(s->rs[0].check.reply.data, "any reply");
	cr_assert_eq(s->rs[0].check.max_reply_length, 512);
	cr_assert_eq(s->rs[0].check.payload.len, 4, "the service's payload");
	cr_assert(s->rs[1].check.require_reply);
	cr_assert_eq(s->rs[1].check.reply.len, 3);
	cr_assert_eq(memcmp(s->rs[1].check.reply.data, "\x12\x34\x80", 3), 0);
	cr_assert_eq(memcmp(s->rs[1].check.reply.mask, "\x00\x00\x0f", 3), 0);
	cr_assert_eq(s->rs[1].check.min_reply_length, 12);
	cr_assert_eq(s->rs[2].check.type, CHECK_TCP);
	cr_assert_null(s->rs[2].check.payload.data, "udp's keys dropped");
	cr_assert_not(s->rs[2].check.require_reply);
}

Test(config, check_udp_errors)
{
	int rc;

	expect_error(SVC_CHECK("type = \"udp\"; payload = \"12 3z\";"),
		     "2: payload: invalid hex string \"12 3z\" (expected hex "
		     "digits, groups separated by spaces)");
	expect_error(SVC_CHECK("type = \"udp\"; payload = \"1x\";"),
		     "2: payload: invalid hex string \"1x\" (expected hex "
		     "digits, groups separated by spaces)");
	expect_error(SVC_CHECK("type = \"udp\"; payload = 12;"),
		     "2: payload: expected a string of hex digits, got an "
		     "integer \"12\"");
	expect_error(SVC_CHECK("type = \"udp\"; require_reply = \"\";"),
		     "2: require_reply: invalid hex string \"\" (expected hex "
		     "digits or x, groups separated by spaces)");
	expect_error(SVC_CHECK("type = \"udp\"; require_reply = 1;"),
		     "2: require_reply: expected a boolean or a string of hex "
		     "digits, got an integer \"1\"");
	expect_error(SVC_CHECK("type = \"udp\"; min_reply_length = 4;"),
		     "2: min_reply_length: only valid with require_reply \"4\"");
	expect_error(SVC_CHECK("type = \"udp\"; require_reply = true; "
			       "max_reply_length = 65536;"),
		     "2: max_reply_length: out of range \"65536\" (expected "
		     "0..65535)");
	rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 53; check = {\n"
	/* 2 */ "  type = \"udp\"; require_reply = true;\n"
	/* 3 */ "  min_reply_length = 10;\n"
	/* 4 */ "  max_reply_length = 5; }; } );\n");
	cr_assert_eq(rc, 1, "%s", all_errors());
	cr_assert_str_eq(err(0), "4: min_reply_length: 10 is above "
			 "max_reply_length 5 (no reply could match)");
}

Test(config, check_ping_and_file_values)
{
	const struct cfg_service *s;

	expect_ok(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80;\n"
	/* 2 */ "  check = { type = \"http\"; rise = 3; fall = 4; connect_port = 81; };\n"
	/* 3 */ "  real_servers = (\n"
	/* 4 */ "    { address = \"10.0.0.2\"; port = 80; check = { type = \"ping\"; }; },\n"
	/* 5 */ "    { address = \"10.0.0.3\"; port = 80;\n"
	/* 6 */ "      check = { type = \"file\"; file = \"/run/w\"; }; },\n"
	/* 7 */ "    { address = \"10.0.0.4\"; port = 80;\n"
	/* 8 */ "      check = { type = \"file\"; file = \"/run/w\"; file_weight = -2147483647;\n"
	/* 9 */ "                reverse = true; fall = 2; }; }\n"
	/* 10 */ "  ); } );\n");
	s = &cfg.svc[0];
	cr_assert_eq(s->rs[0].check.type, CHECK_PING);
	cr_assert_eq(s->rs[0].check.connect_port, 0, "no port to ping");
	cr_assert_eq(s->rs[0].check.rise, 3, "inherited");
	cr_assert_eq(s->rs[1].check.type, CHECK_FILE);
	cr_assert_str_eq(s->rs[1].check.file, "/run/w");
	cr_assert_eq(s->rs[1].check.file_weight, 1);
	cr_assert_not(s->rs[1].check.reverse);
	cr_assert_eq(s->rs[1].check.rise, 1, "keepalived applies a file at once");
	cr_assert_eq(s->rs[1].check.fall, 1);
	cr_assert_eq(s->rs[1].check.connect_port, 0);
	cr_assert_eq(s->rs[2].check.file_weight, -2147483647);
	cr_assert(s->rs[2].check.reverse);
	cr_assert_eq(s->rs[2].check.rise, 1);
	cr_assert_eq(s->rs[2].check.fall, 2, "given");
}

Test(config, check_ping_and_file_errors)
{
	int rc;

	expect_error(SVC_CHECK("type = \"ping\"; connect_port = 80;"),
		     "2: connect_port: only valid for none, tcp, http, https, "
		     "exec, smtp, dns and udp checks \"80\"");
	expect_error(SVC_CHECK("type = \"file\";"),
		     "2: file: missing (required for file checks)");
	expect_error(SVC_CHECK("type = \"file\"; file = \"weight\";"),
		     "2: file: invalid file name \"weight\" (expected an "
		     "absolute path, no control characters)");
	expect_error(SVC_CHECK("type = \"file\"; file = \"/w\"; "
			       "file_weight = -2147483648L;"),
		     "2: file_weight: out of range \"-2147483648\" (expected "
		     "-2147483647..2147483647)");
	expect_error(SVC_CHECK("type = \"file\"; file = \"/w\"; weight = 2;"),
		     "2: weight: unknown key \"weight\" in a check");
	expect_error(SVC_CHECK("type = \"udp\"; reverse = true;"),
		     "2: reverse: only valid for file checks \"true\"");
	/* a real server's check inherits the service's file */
	rc = load(
	/* 1 */ "services = ( { vip = \"10.0.0.1\"; port = 80;\n"
	/* 2 */ "  check = { type = \"file\"; file = \"/w\"; };\n"
	/* 3 */ "  real_servers = ( { address = \"10.0.0.2\"; port = 80;\n"
	/* 4 */ "    check = { reverse = true; }; } ); } );\n");
	cr_assert_eq(rc, 0, "%s", all_errors());
	cr_assert_str_eq(cfg.svc[0].rs[0].check.file, "/w");
	cr_assert(cfg.svc[0].rs[0].check.reverse);
}

/* Robustness ----------------------------------------------------------- */

/*
 * Every key of every group, given every kind of value: the loader must
 * neither crash nor leak (run under valgrind), and every error must be
 * "PATH:LINE: ...".
 */
static const char *const templates[] = {
	"director = { %s = %s; };\n",
	"services = ( { vip = \"10.0.0.1\"; port = 80; persistence = 9;\n"
	"  %s = %s; } );\n",
	"services = ( { fwmark = 3; %s = %s; real_servers = (\n"
	"  { address = \"::1\"; } ); } );\n",
	"services = ( { vip = \"::1\"; port = 80; real_servers = (\n"
	"  { address = \"::2\"; port = 80; forward = \"tun\";\n  %s = %s; } );"
	" } );\n",
	"services = ( { vip = \"::1\"; port = 80; check = { type = \"https\";\n"
	"  %s = %s; }; } );\n",
	"services = ( { vip = \"::1\"; port = 80; check = { type = \"exec\";\n"
	"  argv = [ \"/bin/true\" ]; };\n"
	"  real_servers = ( { address = \"::2\"; port = 80;\n"
	"  check = { %s = %s; }; } ); } );\n",
	"services = ( { vip = \"::1\"; port = 80; real_servers = (\n"
	"  { address = \"::2\"; port = 80; forward = \"tun\";\n"
	"  tunnel = { type = \"gue\"; port = 1; %s = %s; }; } ); } );\n",
};

static const char *const keys[] = {
	"table", "queue", "queues", "mark_mask", "control", "shm", "syslog",
	"log_level", "user", "name", "fwmark", "vip", "port", "protocol",
	"scheduler", "scheduler_flags", "forward", "persistence",
	"persistence_netmask", "one_packet", "sorry_server", "quorum", "check",
	"real_servers", "address", "weight", "tunnel", "upper_threshold",
	"lower_threshold", "notify_up", "notify_down", "type", "interval",
	"timeout", "rise", "fall", "connect_port", "path", "host", "status",
	"expect", "verify_tls", "argv", "on_failure", "expire_connections",
	"csum", "zz",
};

static const char *const values[] = {
	"\"\"", "\"x\"", "\"/\"", "\"::\"", "0", "-1", "1", "65536", "1.5",
	"true", "0xffffffff", "9999999999L", "( )", "{ }", "[ ]", "[ 1 ]",
	"( \"/a\", 2 )", "{ type = \"tcp\"; }", "( { } )", "( ( ) )",
};

Test(config, never_crashes_on_odd_values, .timeout = 300)	/* a busy host */
{
	char text[512];
	size_t t, k, v, i, n = strlen("/tmp/nflvs-config-test-XXXXXX");
	int rc;

	for (t = 0; t < sizeof(templates) / sizeof(templates[0]); t++)
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
	for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		snprintf(text, sizeof(text), templates[t], keys[k], values[v]);
		rc = load(text);
		cr_assert_geq(rc, 0);
		cr_assert_eq((size_t)rc, errs.n, "%s", text);
		for (i = 0; i < errs.n; i++)
			cr_assert(strlen(errs.msg[i]) > n + 3 &&
				  errs.msg[i][n] == ':' &&
				  errs.msg[i][n + 1] >= '0' &&
				  errs.msg[i][n + 1] <= '9',
				  "%s\n=> %s", text, errs.msg[i]);
		if (rc)
			assert_empty_cfg();
	}
}

/* Names shared with nflvsadm ------------------------------------------ */

Test(config, name_helpers)
{
	cr_assert(sched_name_valid("wlc"));
	cr_assert(sched_name_valid("twos"));
	cr_assert_not(sched_name_valid("WLC"));
	cr_assert_not(sched_name_valid("lblcrr"));
	cr_assert_not(sched_name_valid(""));
	cr_assert_eq(fwd_parse("nat"), FWD_NAT);
	cr_assert_eq(fwd_parse("dr"), FWD_DR);
	cr_assert_eq(fwd_parse("tun"), FWD_TUN);
	cr_assert_lt(fwd_parse("route"), 0);
	cr_assert_str_eq(fwd_name(FWD_NAT), "nat");
	cr_assert_str_eq(fwd_name(FWD_DR), "dr");
	cr_assert_str_eq(fwd_name(FWD_TUN), "tun");
	cr_assert_str_eq(fwd_name((enum fwd_method)7), "?");
	cr_assert_eq(sched_flag_parse("sh-port"), SCHED_F_SH_PORT);
	cr_assert_eq(sched_flag_parse("sh-fallback"), SCHED_F_SH_FALLBACK);
	cr_assert_eq(sched_flag_parse("mh-port"), SCHED_F_MH_PORT);
	cr_assert_eq(sched_flag_parse("mh-fallback"), SCHED_F_MH_FALLBACK);
	cr_assert_lt(sched_flag_parse("port"), 0);
	cr_assert_eq(check_type_parse("none"), CHECK_NONE);
	cr_assert_eq(check_type_parse("https"), CHECK_HTTPS);
	cr_assert_eq(check_type_parse("exec"), CHECK_EXEC);
	cr_assert_eq(check_type_parse("smtp"), CHECK_SMTP);
	cr_assert_eq(check_type_parse("file"), CHECK_FILE);
	cr_assert_lt(check_type_parse("icmp"), 0);
	cr_assert_str_eq(check_type_name(CHECK_PING), "ping");
	cr_assert_str_eq(check_type_name(CHECK_DNS), "dns");
	cr_assert_str_eq(check_type_name(CHECK_TCP), "tcp");
	cr_assert_str_eq(check_type_name(CHECK_HTTP), "http");
	cr_assert_str_eq(check_type_name((enum check_type)99), "?");
}

/* Room: what the director cannot hold is refused with the line of the
 * first one that does not fit, by -t as by start-up. ------------------ */

/* A service of @n real servers (and a sorry server if @sorry) under
 * director.mark_mask @mask: the text, one real server a line from line 3. */
static char *room_conf(unsigned int n, bool sorry, const char *mask)
{
	size_t cap = 128 + n * 64, o;
	char *t = malloc(cap);
	unsigned int i;

	cr_assert_not_null(t);
	o = snprintf(t, cap, "director = { mark_mask = %s; };\n"
		     "services = ( { vip = \"10.0.1.1\"; port = 80;%s real_servers = (\n",
		     mask, sorry ? " sorry_server = \"10.9.9.9:80\";" : "");
	for (i = 0; i < n; i++)
		o += snprintf(t + o, cap - o, "{ address = \"10.2.%u.%u\"; port = 80; }%s\n",
			      i / 256, i % 256, i + 1 < n ? "," : "");
	snprintf(t + o, cap - o, "); } );\n");
	return t;
}

static int room_errors(unsigned int n, bool sorry, const char *mask)
{
	char *t = room_conf(n, sorry, mask);

	cr_assert_eq(load(t), 0, "%s", all_errors());
	free(t);
	return config_check_room(&cfg, &errs);
}

Test(config, room_for_marks)
{
	/* the default mask 0x00ff0000: 255 marks */
	cr_expect_eq(room_errors(255, false, "0x00ff0000"), 0, "%s", all_errors());
	cr_expect_eq(room_errors(256, false, "0x00ff0000"), 1);
	cr_assert_eq(errs.n, 1);
	/* real server 256 is on line 2 + 256 */
	cr_expect_str_eq(err(0), "258: no room: director.mark_mask 0x00ff0000 "
			 "has marks for 255 real and sorry servers, this is number 256");
	config_errors_free(&errs);
	cr_expect_eq(room_errors(255, true, "0x00ff0000"), 1);
	cr_expect(strstr(errs.msg[0], ":2: no room: director.mark_mask 0x00ff0000 "
			 "has marks for 255 real and sorry servers, this sorry "
			 "server is number 256"), "%s", all_errors());
	config_errors_free(&errs);
	cr_expect_eq(room_errors(256, true, "0x0fff0000"), 0, "%s", all_errors());
	cr_expect_eq(config_mark_capacity(0x00ff0000), 255);
	cr_expect_eq(config_mark_capacity(0xfff00000), 4095);
	cr_expect_eq(config_mark_capacity(0xffffff00), CFG_MARK_MAX_INDEX);
}

Test(config, room_for_real_servers_in_shared_memory)
{
	cr_expect_eq(room_errors(CFG_MAX_RS, false, "0x7fff0000"), 0, "%s", all_errors());
	cr_expect_eq(room_errors(CFG_MAX_RS + 1, false, "0x7fff0000"), 1);
	cr_expect(strstr(errs.msg[0], ":16387: no room: more than 16384 real "
			 "servers in all"), "%s", all_errors());
}

/* The state sync's group: defaults, a full one, and its mistakes. */
Test(config, sync_group)
{
	expect_ok("services = ();\n");
	cr_expect_eq(cfg.sync.state, CFG_SYNC_NONE);
	cr_expect_eq(cfg.sync.syncid, 255);
	cr_expect_eq(cfg.sync.port, 8848);
	cr_expect_eq(cfg.sync.ttl, 1);
	cr_expect_eq(cfg.sync.refresh, 5.0);
	config_free(&cfg);
	expect_ok("sync = { state = \"master\"; interface = \"eth1\"; syncid = 7;\n"
		  "  peer = \"10.0.0.2\"; port = 9000; ttl = 2; maxlen = 1400;\n"
		  "  refresh = 2.5; };\n");
	cr_expect_eq(cfg.sync.state, CFG_SYNC_MASTER);
	cr_expect_str_eq(cfg.sync.interface, "eth1");
	cr_expect_eq(cfg.sync.syncid, 7);
	assert_addr(&cfg.sync.peer, "10.0.0.2");
	cr_expect_eq(cfg.sync.group.family, 0);
	cr_expect_eq(cfg.sync.port, 9000);
	cr_expect_eq(cfg.sync.ttl, 2);
	cr_expect_eq(cfg.sync.maxlen, 1400);
	cr_expect_eq(cfg.sync.refresh, 2.5);
	config_free(&cfg);
	expect_ok("sync = { state = \"backup\"; interface = \"bond0.7\";\n"
		  "  group = \"ff02::8:81\"; };\n");
	cr_expect_eq(cfg.sync.state, CFG_SYNC_BACKUP);
	assert_addr(&cfg.sync.group, "ff02::8:81");
}

Test(config, sync_errors)
{
	expect_error("sync = { state = \"slave\"; interface = \"eth0\"; };\n",
		     "1: state: unknown sync state \"slave\" (expected one of none master backup)");
	expect_error("sync = { state = \"master\"; };\n",
		     "1: state: sync needs an interface (the one the peer is reached on)");
	expect_error("sync = { state = \"master\"; interface = \"eth0\";\n"
		     "  peer = \"10.0.0.2\"; group = \"224.0.0.81\"; };\n",
		     "2: group: group \"224.0.0.81\" and peer are exclusive (multicast or unicast)");
	expect_error("sync = { interface = \"eth0\"; peer = \"224.0.0.81\"; };\n",
		     "1: peer: peer \"224.0.0.81\" is a multicast address (use group)");
	expect_error("sync = { interface = \"eth0\"; group = \"10.0.0.2\"; };\n",
		     "1: group: group \"10.0.0.2\" is not a multicast address (use peer)");
	expect_error("sync = { interface = \"eth0\"; syncid = 256; };\n",
		     "1: syncid: out of range \"256\" (expected 0..255)");
	expect_error("sync = { interface = \"eth 0\"; };\n",
		     "1: interface: invalid interface name \"eth 0\" (expected 1 to 15 of A-Z a-z 0-9 _ - . @)");
	expect_error("sync = { interface = \"eth0\"; maxlen = 50; };\n",
		     "1: maxlen: out of range \"50\" (expected 84..65507)");
	expect_error("sync = { interface = \"eth0\"; ttl = 0; };\n",
		     "1: ttl: out of range \"0\" (expected 1..255)");
	expect_error("sync = { interface = \"eth0\"; mode = 1; };\n",
		     "1: mode: unknown key \"mode\" in sync");
	expect_error("sync = 3;\n", "1: sync: expected a group, got an integer \"3\"");
}
