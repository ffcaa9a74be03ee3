// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm's requests as the director answers them (director/admin.c),
 * with the director played by hooks: the edits of cfgedit.c on a copy of
 * the running configuration, the checks of validate.c, and BATCH, whose
 * sub-requests are committed once, or one by one when the whole is
 * refused, so that the ones before a refused one stay applied.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "log.h"

static struct admin ad;
static struct svcset set;
static struct nflvs_config running;
static struct ruleset rs;
static int applies, refusals, timeout_calls;
static char refuse[64];		/* apply refuses a config with this RS */
static struct rs_timeouts last_timeouts;

static bool has_rs(const struct nflvs_config *cfg, const char *addr)
{
	char a[ADDR_STRLEN];
	size_t i, j;

	for (i = 0; i < cfg->nsvc; i++)
		for (j = 0; j < cfg->svc[i].nrs; j++)
			if (!strcmp(addr_str(&cfg->svc[i].rs[j].addr, a, sizeof(a)),
				    addr))
				return true;
	return false;
}

/* apply_config() as the director runs it: all or nothing. */
static int fake_apply(void *ctx, struct nflvs_config *cfg, char *err,
		      size_t len)
{
	(void)ctx;
	applies++;
	if (refuse[0] && has_rs(cfg, refuse)) {
		refusals++;
		snprintf(err, len, "real server %s: refused", refuse);
		return -EPERM;
	}
	config_free(&running);
	running = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	return 0;
}

static int fake_reload(void *ctx, struct cfg_errors *errs)
{
	(void)ctx;
	config_error_push(errs, "nflvs.conf:3: scheduler: unknown");
	return -EINVAL;
}

static int fake_timeouts(void *ctx, const struct rs_timeouts *t, char *err,
			 size_t len)
{
	(void)ctx;
	(void)err;
	(void)len;
	timeout_calls++;
	last_timeouts = *t;
	rs.timeouts = *t;
	return 0;
}

static void setup(void)
{
	log_set_level(LOG_ERR);
	memset(&running, 0, sizeof(running));
	running.path = strdup("nflvs.conf");
	running.director.mark_mask = 0x00ff0000;	/* as the file's default */
	cr_assert_eq(svcset_init(&set, 0x00ff0000), 0);
	rs = (struct ruleset){ .table = "unit", .mark_mask = 0x00ff0000,
			       .timeouts = { 900, 120, 300, { 0 } } };
	ad = (struct admin){ .set = &set, .rs = &rs, .running = &running,
			     .apply = fake_apply, .reload = fake_reload,
			     .set_timeouts = fake_timeouts };
	applies = refusals = timeout_calls = 0;
	refuse[0] = '\0';
}

static void teardown(void)
{
	svcset_fini(&set);
	config_free(&running);
}

TestSuite(admin, .init = setup, .fini = teardown);

/* ---- requests ------------------------------------------------------------ */

static struct nflvs_ctl_svc svc_req(int port)
{
	struct nflvs_ctl_svc s = { .family = AF_INET, .protocol = IPPROTO_TCP,
				   .port = port, .netmask = 32 };

	inet_pton(AF_INET, "10.0.1.100", s.addr);
	snprintf(s.sched, sizeof(s.sched), "wlc");
	return s;
}

struct dest_req {
	struct nflvs_ctl_svc svc;
	struct nflvs_ctl_dest dest;
};

static struct dest_req dest_req(int port, const char *addr, int weight)
{
	struct dest_req r = { .svc = svc_req(port) };

	r.dest.family = AF_INET;
	r.dest.fwd = NFLVS_CTL_FWD_NAT;
	r.dest.port = 8080;
	r.dest.weight = weight;
	inet_pton(AF_INET, addr, r.dest.addr);
	return r;
}

/* Serve one request; the reply's text (NUL-terminated) in @text. */
static int serve(uint16_t type, const void *req, uint32_t len, char *text,
		 size_t tlen)
{
	struct nflvs_ctl_hdr h = { .magic = NFLVS_CTL_MAGIC,
				   .version = NFLVS_CTL_VERSION, .type = type,
				   .len = len };
	struct ctl_reply r = { 0 };
	int status;

	admin_serve(&ad, &h, req, &r);
	if (text) {
		snprintf(text, tlen, "%.*s", (int)r.len, r.buf ? r.buf : "");
	}
	status = r.status;
	free(r.buf);
	return status;
}

static int edit(uint16_t type, const void *req, uint32_t len, char *text)
{
	return serve(type, req, len, text, 512);
}

Test(admin, edits_of_services_and_real_servers)
{
	struct nflvs_ctl_svc s = svc_req(80);
	struct dest_req d = dest_req(80, "10.0.2.11", 1);
	char text[512];

	cr_assert_eq(edit(NFLVS_CTL_ADD_SERVICE, &s, sizeof(s), text), 0, "%s", text);
	cr_assert_eq(running.nsvc, 1);
	cr_expect_eq(running.svc[0].port, 80);
	cr_expect_str_eq(running.svc[0].scheduler, "wlc");
	cr_expect_eq(edit(NFLVS_CTL_ADD_SERVICE, &s, sizeof(s), text), -EEXIST);
	cr_assert_eq(edit(NFLVS_CTL_ADD_DEST, &d, sizeof(d), text), 0, "%s", text);
	cr_assert_eq(running.svc[0].nrs, 1);
	cr_expect_eq(running.svc[0].rs[0].weight, 1);
	cr_expect_eq(edit(NFLVS_CTL_ADD_DEST, &d, sizeof(d), text), -EEXIST);
	d.dest.weight = 4;
	cr_assert_eq(edit(NFLVS_CTL_EDIT_DEST, &d, sizeof(d), text), 0);
	cr_expect_eq(running.svc[0].rs[0].weight, 4);
	cr_assert_eq(edit(NFLVS_CTL_DEL_DEST, &d, sizeof(d), text), 0);
	cr_expect_eq(running.svc[0].nrs, 0);
	cr_expect_eq(edit(NFLVS_CTL_DEL_DEST, &d, sizeof(d), text), -ENOENT);
	snprintf(s.sched, sizeof(s.sched), "rr");
	cr_assert_eq(edit(NFLVS_CTL_EDIT_SERVICE, &s, sizeof(s), text), 0);
	cr_expect_str_eq(running.svc[0].scheduler, "rr");
	cr_assert_eq(edit(NFLVS_CTL_DEL_SERVICE, &s, sizeof(s), text), 0);
	cr_expect_eq(running.nsvc, 0);
	cr_expect_eq(edit(NFLVS_CTL_DEL_SERVICE, &s, sizeof(s), text), -ESRCH);
	cr_expect_eq(applies, 6, "one commit per change that was made");
}

/* nflvsadm -d sends the default forwarding method (DR): a NAT real server
 * on another port than the service's is found all the same (the soak's
 * edits found it was not) */
Test(admin, delete_finds_a_nat_real_server_on_another_port)
{
	struct nflvs_ctl_svc s = svc_req(90);
	struct dest_req d = dest_req(90, "10.0.2.11", 1);
	char text[512];

	cr_assert_eq(edit(NFLVS_CTL_ADD_SERVICE, &s, sizeof(s), text), 0);
	cr_assert_eq(edit(NFLVS_CTL_ADD_DEST, &d, sizeof(d), text), 0, "%s", text);
	d.dest.fwd = NFLVS_CTL_FWD_DR;
	cr_expect_eq(edit(NFLVS_CTL_DEL_DEST, &d, sizeof(d), text), 0, "%s", text);
	cr_expect_eq(running.svc[0].nrs, 0);
}

Test(admin, a_refused_edit_says_why_and_changes_nothing)
{
	struct nflvs_ctl_svc s = svc_req(80);
	struct dest_req d = dest_req(80, "10.0.2.11", 1);
	struct dest_req d6 = dest_req(80, "10.0.2.12", 1);
	struct dest_req d81 = dest_req(81, "10.0.2.11", 1);
	struct dest_req ok = dest_req(80, "10.0.2.11", 1);
	char text[512];

	cr_assert_eq(edit(NFLVS_CTL_ADD_SERVICE, &s, sizeof(s), text), 0);
	cr_expect_eq(edit(NFLVS_CTL_ADD_DEST, &d81, sizeof(d81), text), -ESRCH,
		     "no such service");
	d.dest.fwd = NFLVS_CTL_FWD_TUN;
	d.dest.port = 80;		/* TUN keeps the service's port */
	d.dest.tun_type = NFLVS_CTL_TUN_GUE;
	d.dest.tun_port = 6080;
	d.dest.tun_flags = NFLVS_CTL_TUN_F_REMCSUM;
	cr_expect_eq(edit(NFLVS_CTL_ADD_DEST, &d, sizeof(d), text), -EOPNOTSUPP);
	cr_expect_str_eq(text, "--tun-remcsum: remote checksum offload is not supported (--tun-csum or --tun-nocsum)");
	d6.dest.family = AF_INET6;
	inet_pton(AF_INET6, "fd00:2::12", d6.dest.addr);
	cr_expect_eq(edit(NFLVS_CTL_ADD_DEST, &d6, sizeof(d6), text), -EINVAL);
	cr_expect_str_eq(text, "different address family is allowed only for tunneling servers");
	snprintf(s.sched, sizeof(s.sched), "nope");
	cr_expect_eq(edit(NFLVS_CTL_EDIT_SERVICE, &s, sizeof(s), text), -ENOENT);
	cr_expect_eq(running.svc[0].nrs, 0);
	cr_expect_eq(applies, 1, "nothing refused reached the kernel");
	/* the director refuses the change (say, unreachable) */
	snprintf(refuse, sizeof(refuse), "10.0.2.11");
	cr_expect_eq(edit(NFLVS_CTL_ADD_DEST, &ok, sizeof(ok), text), -EPERM);
	cr_expect_str_eq(text, "real server 10.0.2.11: refused");
	cr_expect_eq(running.svc[0].nrs, 0);
}

Test(admin, what_the_director_cannot_run_is_refused_without_file_and_line)
{
	struct nflvs_ctl_svc a = svc_req(53), b = svc_req(54);
	struct dest_req da = dest_req(53, "10.0.2.11", 1);
	struct dest_req db = dest_req(54, "10.0.2.11", 1);
	char text[512];

	a.protocol = b.protocol = da.svc.protocol = db.svc.protocol = IPPROTO_UDP;
	a.flags = b.flags = NFLVS_CTL_SVC_F_ONEPACKET;
	da.svc.flags = db.svc.flags = NFLVS_CTL_SVC_F_ONEPACKET;
	cr_assert_eq(edit(NFLVS_CTL_ADD_SERVICE, &a, sizeof(a), text), 0, "%s", text);
	cr_assert_eq(edit(NFLVS_CTL_ADD_SERVICE, &b, sizeof(b), text), 0, "%s", text);
	cr_assert_eq(edit(NFLVS_CTL_ADD_DEST, &da, sizeof(da), text), 0, "%s", text);
	cr_assert_eq(edit(NFLVS_CTL_ADD_DEST, &db, sizeof(db), text), -EINVAL);
	cr_expect_str_eq(text, "address: 10.0.2.11:8080 also serves the one-packet service at line 0; its replies could not be told apart\n");
	cr_expect_eq(running.svc[1].nrs, 0);
}

/* ---- BATCH ------------------------------------------------------------------ */

struct batch {
	char buf[8192];
	uint32_t len;
	unsigned int n;
};

static void batch_add(struct batch *b, uint16_t type, const void *p,
		      uint32_t len)
{
	struct nflvs_ctl_hdr h = { .magic = NFLVS_CTL_MAGIC,
				   .version = NFLVS_CTL_VERSION, .type = type,
				   .len = len };

	cr_assert_leq(b->len + sizeof(h) + len, sizeof(b->buf));
	memcpy(b->buf + b->len, &h, sizeof(h));
	memcpy(b->buf + b->len + sizeof(h), p, len);
	b->len += sizeof(h) + len;
	b->n++;
}

/* Serve a BATCH: its status, how many were applied, the text after. */
static int batch_serve(const struct batch *b, uint32_t *done, char *text,
		       size_t tlen)
{
	struct nflvs_ctl_hdr h = { .magic = NFLVS_CTL_MAGIC,
				   .version = NFLVS_CTL_VERSION,
				   .type = NFLVS_CTL_BATCH, .len = b->len };
	struct nflvs_ctl_batch_reply br;
	struct ctl_reply r = { 0 };
	int status;

	admin_serve(&ad, &h, b->buf, &r);
	cr_assert_geq(r.len, sizeof(br), "every reply starts with the count");
	memcpy(&br, r.buf, sizeof(br));
	*done = br.done;
	snprintf(text, tlen, "%.*s", (int)(r.len - sizeof(br)),
		 r.buf + sizeof(br));
	status = r.status;
	free(r.buf);
	return status;
}

static void three_edits(struct batch *b)
{
	struct nflvs_ctl_svc s = svc_req(80);
	struct dest_req d1 = dest_req(80, "10.0.2.11", 1);
	struct dest_req d2 = dest_req(80, "10.0.2.12", 1);

	memset(b, 0, sizeof(*b));
	batch_add(b, NFLVS_CTL_ADD_SERVICE, &s, sizeof(s));
	batch_add(b, NFLVS_CTL_ADD_DEST, &d1, sizeof(d1));
	batch_add(b, NFLVS_CTL_ADD_DEST, &d2, sizeof(d2));
}

Test(admin, a_batch_is_one_commit)
{
	struct batch b;
	uint32_t done;
	char text[512];

	three_edits(&b);
	cr_assert_eq(batch_serve(&b, &done, text, sizeof(text)), 0, "%s", text);
	cr_expect_eq(done, 3);
	cr_expect_eq(applies, 1);
	cr_assert_eq(running.nsvc, 1);
	cr_expect_eq(running.svc[0].nrs, 2);
}

Test(admin, a_failing_edit_stops_the_batch_after_the_ones_before)
{
	struct dest_req bad = dest_req(81, "10.0.2.13", 1);
	struct batch b;
	uint32_t done;
	char text[512];

	three_edits(&b);
	batch_add(&b, NFLVS_CTL_ADD_DEST, &bad, sizeof(bad));	/* no :81 */
	batch_add(&b, NFLVS_CTL_FLUSH, NULL, 0);
	cr_expect_eq(batch_serve(&b, &done, text, sizeof(text)), -ESRCH);
	cr_expect_eq(done, 3, "the three before it are applied");
	cr_expect_eq(applies, 1, "in one commit");
	cr_assert_eq(running.nsvc, 1, "and the flush after it is not");
	cr_expect_eq(running.svc[0].nrs, 2);
}

Test(admin, a_refused_batch_is_replayed_to_find_the_line_at_fault)
{
	struct batch b;
	uint32_t done;
	char text[512];

	snprintf(refuse, sizeof(refuse), "10.0.2.12");
	three_edits(&b);
	cr_expect_eq(batch_serve(&b, &done, text, sizeof(text)), -EPERM);
	cr_expect_str_eq(text, "real server 10.0.2.12: refused");
	cr_expect_eq(done, 2, "the ones before the refused one");
	/* the whole once, then the first, the second, the third (refused) */
	cr_expect_eq(applies, 4);
	cr_expect_eq(refusals, 2);
	cr_assert_eq(running.nsvc, 1);
	cr_expect_eq(running.svc[0].nrs, 1);
	cr_expect(has_rs(&running, "10.0.2.11"));
}

Test(admin, a_malformed_batch_changes_nothing)
{
	struct batch b;
	uint32_t done;
	char text[512];

	three_edits(&b);
	b.len -= 4;			/* the last one cut short */
	cr_expect_eq(batch_serve(&b, &done, text, sizeof(text)), -EPROTO);
	cr_expect_eq(done, 0);
	cr_expect_eq(applies, 0);
	cr_expect_eq(running.nsvc, 0);
}

/* ---- the rest ------------------------------------------------------------------ */

Test(admin, timeouts_are_kept_where_zero)
{
	struct nflvs_ctl_timeout t = { .tcp = 0, .tcp_fin = 30, .udp = 0 };
	struct nflvs_ctl_hdr h = { .magic = NFLVS_CTL_MAGIC,
				   .version = NFLVS_CTL_VERSION,
				   .type = NFLVS_CTL_GET_TIMEOUT };
	struct ctl_reply r = { 0 };

	cr_assert_eq(serve(NFLVS_CTL_SET_TIMEOUT, &t, sizeof(t), NULL, 0), 0);
	cr_expect_eq(timeout_calls, 1);
	cr_expect_eq(last_timeouts.tcp, 900);
	cr_expect_eq(last_timeouts.tcpfin, 30);
	cr_expect_eq(last_timeouts.udp, 300);
	admin_serve(&ad, &h, NULL, &r);
	cr_assert_eq(r.len, sizeof(t));
	memcpy(&t, r.buf, sizeof(t));
	cr_expect_eq(t.tcp_fin, 30);
	free(r.buf);
}

Test(admin, reload_errors_come_back_one_a_line)
{
	char text[512];

	cr_expect_eq(serve(NFLVS_CTL_RELOAD, NULL, 0, text, sizeof(text)), -EINVAL);
	cr_expect_str_eq(text, "nflvs.conf:3: scheduler: unknown\n");
}

Test(admin, listing_an_unknown_service)
{
	struct nflvs_ctl_svc s = svc_req(80);
	struct nflvs_ctl_hdr h = { .magic = NFLVS_CTL_MAGIC,
				   .version = NFLVS_CTL_VERSION,
				   .type = NFLVS_CTL_INFO };
	struct nflvs_ctl_info info;
	struct ctl_reply r = { 0 };

	cr_expect_eq(serve(NFLVS_CTL_LIST, &s, sizeof(s), NULL, 0), -ESRCH);
	cr_expect_eq(serve(NFLVS_CTL_LIST, NULL, 0, NULL, 0), 0);
	admin_serve(&ad, &h, NULL, &r);
	cr_assert_eq(r.len, sizeof(info));
	memcpy(&info, r.buf, sizeof(info));
	cr_expect_eq(info.nservices, 0);
	cr_expect_eq(info.version, 0x010201);
	free(r.buf);
}
