// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm against a fake director: a child process that serves the
 * control protocol on a socket under a fresh temporary directory, from a
 * small table it keeps, checking requests with the same ctl_check_*() the
 * real director uses and logging what it was asked.  The first tests drive
 * adm_client.c in process; the others run build/nflvsadm itself (skipped
 * when it has not been built) and compare its stdout, stderr and exit
 * status with ipvsadm's.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "adm_client.h"
#include "adm_format.h"
#include "adm_parse.h"
#include "ctlmsg.h"
#include "nflvs/shm.h"

#define ADM_BIN		"build/nflvsadm"
#define MAX_SVC		8
#define MAX_DEST	8

/* The fake director ------------------------------------------------------- */

struct fsvc {
	struct nflvs_ctl_svc svc;
	struct nflvs_ctl_dest dest[MAX_DEST];
	int ndest;
};

static struct {
	char dir[64], sock[96], log[96];
	pid_t pid;
	struct fsvc svc[MAX_SVC];
	int nsvc;
} fk;

static void fk_log(const char *fmt, ...)
{
	FILE *f = fopen(fk.log, "a");
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static bool same_svc(const struct nflvs_ctl_svc *a,
		     const struct nflvs_ctl_svc *b)
{
	if (a->fwmark || b->fwmark)
		return a->fwmark == b->fwmark && a->family == b->family;
	return a->family == b->family && a->protocol == b->protocol &&
	       a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

static struct fsvc *find_svc(const struct nflvs_ctl_svc *s)
{
	int i;

	for (i = 0; i < fk.nsvc; i++)
		if (same_svc(&fk.svc[i].svc, s))
			return &fk.svc[i];
	return NULL;
}

static int find_dest(struct fsvc *s, const struct nflvs_ctl_dest *d)
{
	int i;

	for (i = 0; i < s->ndest; i++)
		if (s->dest[i].family == d->family &&
		    s->dest[i].port == d->port &&
		    !memcmp(s->dest[i].addr, d->addr, 16))
			return i;
	return -1;
}

static const char *addr_text(int family, const uint8_t *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int n;

	return inet_ntop(family, a, buf[n++ % 4], INET6_ADDRSTRLEN);
}

static void fk_table(void)
{
	struct nflvs_ctl_svc *s;
	struct nflvs_ctl_dest *d;

	memset(fk.svc, 0, sizeof(fk.svc));
	s = &fk.svc[0].svc;
	*s = (struct nflvs_ctl_svc){ .family = AF_INET,
		.protocol = IPPROTO_TCP, .port = 80, .sched = "wlc",
		.netmask = 32, .id = 1, .name = "web" };
	inet_pton(AF_INET, "10.0.2.15", s->addr);
	d = fk.svc[0].dest;
	d[0] = (struct nflvs_ctl_dest){ .family = AF_INET, .port = 80,
		.fwd = NFLVS_CTL_FWD_NAT, .weight = 1, .eff_weight = 1,
		.activeconns = 3, .inactconns = 1, .health = NFLVS_RS_UP };
	inet_pton(AF_INET, "10.0.2.16", d[0].addr);
	d[1] = d[0];
	d[1].activeconns = d[1].inactconns = 0;
	d[1].health = NFLVS_RS_DOWN;
	snprintf(d[1].last_error, sizeof(d[1].last_error), "HTTP 503");
	inet_pton(AF_INET, "10.0.2.17", d[1].addr);
	fk.svc[0].ndest = 2;
	s = &fk.svc[1].svc;
	*s = (struct nflvs_ctl_svc){ .family = AF_INET,
		.protocol = IPPROTO_UDP, .port = 53, .sched = "rr",
		.flags = NFLVS_CTL_SVC_F_PERSISTENT, .timeout = 300,
		.netmask = 32, .id = 2 };
	inet_pton(AF_INET, "10.0.2.15", s->addr);
	d = fk.svc[1].dest;
	d[0] = (struct nflvs_ctl_dest){ .family = AF_INET, .port = 53,
		.fwd = NFLVS_CTL_FWD_DR, .weight = 2, .eff_weight = 2 };
	inet_pton(AF_INET, "10.0.2.18", d[0].addr);
	fk.svc[1].ndest = 1;
	fk.nsvc = 2;
}

static void fk_list(int fd, const struct nflvs_ctl_hdr *h,
		    const struct nflvs_ctl_svc *one)
{
	static uint8_t out[MAX_SVC * (sizeof(struct nflvs_ctl_svc) +
				      MAX_DEST * sizeof(struct nflvs_ctl_dest))];
	size_t n = 0;
	int i;

	for (i = 0; i < fk.nsvc; i++) {
		struct fsvc *s = &fk.svc[i];

		if (one && !same_svc(&s->svc, one))
			continue;
		s->svc.ndests = s->ndest;
		memcpy(out + n, &s->svc, sizeof(s->svc));
		n += sizeof(s->svc);
		memcpy(out + n, s->dest, s->ndest * sizeof(s->dest[0]));
		n += s->ndest * sizeof(s->dest[0]);
	}
	if (one && !n)
		ctl_send(fd, h->type, h->seq, -ESRCH, NULL, 0);
	else
		ctl_send(fd, h->type, h->seq, 0, out, n);
}

static int fk_service(const struct nflvs_ctl_hdr *h,
		      const struct nflvs_ctl_svc *s, const char **why)
{
	struct fsvc *f = find_svc(s);
	int err;

	err = h->type == NFLVS_CTL_DEL_SERVICE ? ctl_check_svc_id(s, why) :
	      ctl_check_svc(s, why);
	if (err)
		return err;
	if (h->type == NFLVS_CTL_ADD_SERVICE) {
		if (f)
			return -EEXIST;
		if (fk.nsvc == MAX_SVC)
			return -ENOSPC;
		memset(&fk.svc[fk.nsvc], 0, sizeof(fk.svc[0]));
		fk.svc[fk.nsvc++].svc = *s;
	} else if (!f) {
		return -ESRCH;
	} else if (h->type == NFLVS_CTL_EDIT_SERVICE) {
		f->svc = *s;
	} else {
		*f = fk.svc[--fk.nsvc];
	}
	fk_log("%s %s %s:%u %s", ctl_type_name(h->type),
	       s->fwmark ? "fwmark" : s->protocol == IPPROTO_TCP ? "tcp" : "udp",
	       addr_text(s->family, s->addr), s->port, s->sched);
	return 0;
}

static int fk_dest(const struct nflvs_ctl_hdr *h, const uint8_t *buf,
		   const char **why)
{
	struct nflvs_ctl_svc s;
	struct nflvs_ctl_dest d;
	struct fsvc *f;
	int i, err;

	memcpy(&s, buf, sizeof(s));
	memcpy(&d, buf + sizeof(s), sizeof(d));
	err = ctl_check_svc_id(&s, why);
	if (!err)
		err = ctl_check_dest(h->type, &s, &d, why);
	if (err)
		return err;
	f = find_svc(&s);
	if (!f)
		return -ESRCH;
	i = find_dest(f, &d);
	if (h->type == NFLVS_CTL_ADD_DEST && i >= 0)
		return -EEXIST;
	if (h->type != NFLVS_CTL_ADD_DEST && i < 0)
		return -ENOENT;
	if (h->type == NFLVS_CTL_ADD_DEST) {
		/* at the head, as IPVS and the director add them */
		memmove(f->dest + 1, f->dest, f->ndest++ * sizeof(f->dest[0]));
		f->dest[0] = d;
	}
	else if (h->type == NFLVS_CTL_EDIT_DEST)
		f->dest[i] = d;
	else
		f->dest[i] = f->dest[--f->ndest];
	fk_log("%s %s:%u fwd %u weight %d", ctl_type_name(h->type),
	       addr_text(d.family, d.addr), d.port, d.fwd, d.weight);
	return 0;
}

/* An edit, as one request or one sub-request of a BATCH. */
static int fk_edit(const struct nflvs_ctl_hdr *h, const uint8_t *buf,
		   const char **why)
{
	switch (h->type) {
	case NFLVS_CTL_ADD_SERVICE:
	case NFLVS_CTL_EDIT_SERVICE:
	case NFLVS_CTL_DEL_SERVICE:
		return fk_service(h, (const void *)buf, why);
	case NFLVS_CTL_ADD_DEST:
	case NFLVS_CTL_EDIT_DEST:
	case NFLVS_CTL_DEL_DEST:
		return fk_dest(h, buf, why);
	case NFLVS_CTL_FLUSH:
		fk.nsvc = 0;
		fk_log("FLUSH");
		return 0;
	}
	return -EOPNOTSUPP;
}

/* BATCH as the director answers it; refused as a director before BATCH
 * would while the file no-batch exists. */
static void fk_batch(int fd, const struct nflvs_ctl_hdr *h, const uint8_t *buf)
{
	struct {
		struct nflvs_ctl_batch_reply br;
		char text[256];
	} rep = { 0 };
	uint64_t sub_buf[4096 / sizeof(uint64_t)];
	char path[128];
	struct nflvs_ctl_hdr sub;
	const char *why = NULL;
	const void *p;
	uint32_t off = 0;
	size_t len = sizeof(rep.br);
	int st = 0, r;

	snprintf(path, sizeof(path), "%s/no-batch", fk.dir);
	if (access(path, F_OK) == 0) {
		ctl_send(fd, h->type, h->seq, -EOPNOTSUPP, NULL, 0);
		return;
	}
	while ((r = ctl_batch_next(buf, h->len, &off, &sub, &p)) > 0) {
		memcpy(sub_buf, p, sub.len);
		st = fk_edit(&sub, (const uint8_t *)sub_buf, &why);
		if (st)
			break;
		rep.br.done++;
	}
	if (r < 0)
		st = -EPROTO;
	if (st && why)
		len += snprintf(rep.text, sizeof(rep.text), "%s", why);
	ctl_send(fd, h->type, h->seq, st, &rep, len);
}

static const struct nflvs_ctl_daemon fk_daemon = {
	.state = NFLVS_CTL_DAEMON_BACKUP, .mcast_ifn = "eth1", .syncid = 7,
	.sync_maxlen = 1472, .mcast_family = AF_INET,
	.mcast_group = { 10, 0, 0, 2 }, .mcast_port = 8848, .mcast_ttl = 1,
};

static void fk_request(int fd, const struct nflvs_ctl_hdr *h,
		       const uint8_t *buf)
{
	static const char reload_err[] =
		"/etc/nflvs/nflvs.conf:12: port: out of range 70000 "
		"(expected 0..65535)\n"
		"/etc/nflvs/nflvs.conf:20: scheduler: unknown \"foo\"\n";
	const struct nflvs_ctl_info info = { .version = 0x010201,
		.conn_tab_size = 4096, .name = "fake" };
	const struct nflvs_ctl_timeout to = { 900, 120, 300 };
	struct nflvs_ctl_conn c = { .family = AF_INET,
		.protocol = IPPROTO_TCP, .state = "ESTABLISHED",
		.expires = 899, .cport = 40000, .vport = 80, .dport = 80 };
	const char *why = NULL;
	int st = 0;

	if (ctl_check_request_len(h->type, h->len)) {
		ctl_send(fd, h->type, h->seq, -EINVAL, "bad length", 10);
		return;
	}
	if (ctl_batchable(h->type))
		st = fk_edit(h, buf, &why);
	switch (h->type) {
	case NFLVS_CTL_INFO:
		ctl_send(fd, h->type, h->seq, 0, &info, sizeof(info));
		return;
	case NFLVS_CTL_LIST:
		fk_list(fd, h, h->len ? (const void *)buf : NULL);
		return;
	case NFLVS_CTL_CONNS:
		inet_pton(AF_INET, "192.0.2.7", c.caddr);
		inet_pton(AF_INET, "10.0.2.15", c.vaddr);
		inet_pton(AF_INET, "10.0.2.16", c.daddr);
		ctl_send(fd, h->type, h->seq, 0, &c, sizeof(c));
		return;
	case NFLVS_CTL_GET_TIMEOUT:
		ctl_send(fd, h->type, h->seq, 0, &to, sizeof(to));
		return;
	case NFLVS_CTL_RELOAD:
		ctl_send(fd, h->type, h->seq, -EINVAL, reload_err,
			 sizeof(reload_err) - 1);
		return;
	case NFLVS_CTL_BATCH:
		fk_batch(fd, h, buf);
		return;
	case NFLVS_CTL_ZERO:
		fk_log("ZERO %s", h->len ? "one" : "all");
		break;
	case NFLVS_CTL_GET_DAEMON:
		ctl_send(fd, h->type, h->seq, 0, &fk_daemon, sizeof(fk_daemon));
		return;
	case NFLVS_CTL_START_DAEMON:
	case NFLVS_CTL_STOP_DAEMON: {
		const struct nflvs_ctl_daemon *d = (const void *)buf;

		st = ctl_check_daemon(d, h->type == NFLVS_CTL_START_DAEMON,
				      &why);
		if (!st)
			fk_log("%s %u %s %u %u %s %u %u", ctl_type_name(h->type),
			       d->state, d->mcast_ifn, d->syncid,
			       d->sync_maxlen, d->mcast_family ?
			       addr_text(d->mcast_family, d->mcast_group) : "-",
			       d->mcast_port, d->mcast_ttl);
		break;
	}
	case NFLVS_CTL_SET_TIMEOUT: {
		const struct nflvs_ctl_timeout *t = (const void *)buf;

		st = ctl_check_timeout(t, &why);
		if (!st)
			fk_log("SET_TIMEOUT %u %u %u", t->tcp, t->tcp_fin,
			       t->udp);
		break;
	}
	}
	ctl_send(fd, h->type, h->seq, st, why, st && why ? strlen(why) : 0);
}

static void fk_serve(int lfd)
{
	static uint64_t abuf[(2U << 20) / sizeof(uint64_t)];	/* a BATCH */
	uint8_t *buf = (uint8_t *)abuf;
	struct nflvs_ctl_hdr h;
	int fd, r;

	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		while ((r = ctl_recv(fd, &h, buf, sizeof(abuf))) > 0)
			fk_request(fd, &h, buf);
		close(fd);
	}
}

static void fk_start(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd;

	snprintf(fk.dir, sizeof(fk.dir), "/tmp/nflvsadm-test-XXXXXX");
	cr_assert_not_null(mkdtemp(fk.dir));
	snprintf(fk.sock, sizeof(fk.sock), "%s/director.sock", fk.dir);
	snprintf(fk.log, sizeof(fk.log), "%s/requests.log", fk.dir);
	fk_table();
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(lfd, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fk.sock);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(lfd, 8), 0);
	fk.pid = fork();
	cr_assert_neq(fk.pid, -1);
	if (fk.pid == 0) {
		/* a skipped or crashed test runs no .fini: go with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		fk_serve(lfd);
		_exit(0);
	}
	close(lfd);
}

static void rm_in_dir(const char *name)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/%s", fk.dir, name);
	unlink(p);
}

static void fk_stop(void)
{
	if (fk.pid > 0) {
		kill(fk.pid, SIGKILL);
		waitpid(fk.pid, NULL, 0);
	}
	fk.pid = 0;
	rm_in_dir("director.sock");
	rm_in_dir("requests.log");
	rm_in_dir("stdin");
	rm_in_dir("stdout");
	rm_in_dir("stderr");
	rmdir(fk.dir);
}

TestSuite(adm_client, .init = fk_start, .fini = fk_stop);

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&s, &len, '\0', f) < 0) {
		free(s);
		s = strdup("");
	}
	fclose(f);
	return s;
}

/* In process ----------------------------------------------------------------- */

Test(adm_client, socket_path_precedence)
{
	unsetenv("NFLVS_SOCKET");
	cr_expect_str_eq(adm_socket_path(NULL), NFLVS_CTL_SOCKET);
	cr_expect_str_eq(adm_socket_path(""), NFLVS_CTL_SOCKET);
	setenv("NFLVS_SOCKET", "", 1);
	cr_expect_str_eq(adm_socket_path(NULL), NFLVS_CTL_SOCKET);
	setenv("NFLVS_SOCKET", "/env.sock", 1);
	cr_expect_str_eq(adm_socket_path(NULL), "/env.sock");
	cr_expect_str_eq(adm_socket_path("/opt.sock"), "/opt.sock");
}

Test(adm_client, connect_errors)
{
	struct adm_client c;
	char path[200];

	snprintf(path, sizeof(path), "%s/none.sock", fk.dir);
	cr_expect_eq(adm_client_connect(&c, path), -ENOENT);
	cr_expect_eq(c.fd, -1);
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	cr_expect_eq(adm_client_connect(&c, path), -ENAMETOOLONG);
	adm_client_close(&c);
}

Test(adm_client, calls)
{
	struct nflvs_ctl_info info;
	struct nflvs_ctl_timeout t;
	struct nflvs_ctl_svc s;
	struct adm_client c;
	struct adm_list l;
	struct adm_conns cs;

	cr_assert_eq(adm_client_connect(&c, fk.sock), 0);
	cr_assert_eq(adm_client_info(&c, &info), 0);
	cr_expect_str_eq(info.name, "fake");
	cr_assert_eq(adm_client_list(&c, NULL, &l), 0);
	cr_expect_eq(l.n, 2);
	cr_expect_eq(l.svc[0].ndests, 2);
	cr_expect_str_eq(l.svc[0].dests[1].last_error, "HTTP 503");
	s = l.svc[1].svc;
	adm_list_free(&l);
	cr_assert_eq(adm_client_list(&c, &s, &l), 0);
	cr_expect_eq(l.n, 1);
	cr_expect_eq(l.svc[0].svc.port, 53);
	adm_list_free(&l);
	s.port = 54;
	cr_expect_eq(adm_client_list(&c, &s, &l), -ESRCH);
	cr_expect_eq(c.io_err, 0);
	cr_assert_eq(adm_client_conns(&c, &cs), 0);
	cr_expect_eq(cs.n, 1);
	adm_conns_free(&cs);
	cr_assert_eq(adm_client_timeout(&c, &t), 0);
	cr_expect_eq(t.tcp_fin, 120);
	s.port = 53;
	cr_expect_eq(adm_client_call(&c, NFLVS_CTL_ADD_SERVICE, &s, sizeof(s),
				     NULL, NULL), -EEXIST);
	cr_expect_null(c.text);
	cr_expect_eq(adm_client_call(&c, NFLVS_CTL_RELOAD, NULL, 0, NULL,
				     NULL), -EINVAL);
	cr_expect_eq(c.io_err, 0);
	cr_assert_not_null(c.text);
	cr_expect(!strncmp(c.text, "/etc/nflvs/nflvs.conf:12: port:", 31));
	adm_client_close(&c);
}

/* A director that answers wrongly: one request, then @reply as bytes. */
static int bad_director(const void *reply, size_t len, bool close_after,
			struct adm_client *c)
{
	int sv[2];
	pid_t pid;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct nflvs_ctl_hdr h;
		char buf[512];

		close(sv[0]);
		if (ctl_recv(sv[1], &h, buf, sizeof(buf)) == 1 &&
		    write(sv[1], reply, len) == (ssize_t)len && !close_after)
			pause();
		_exit(0);
	}
	close(sv[1]);
	memset(c, 0, sizeof(*c));
	c->fd = sv[0];
	snprintf(c->path, sizeof(c->path), "socketpair");
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

Test(adm_client, replies_that_do_not_match)
{
	struct nflvs_ctl_hdr h = { .magic = NFLVS_CTL_MAGIC,
		.version = NFLVS_CTL_VERSION, .type = NFLVS_CTL_INFO, .seq = 1 };
	struct nflvs_ctl_info info;
	struct adm_client c;
	pid_t pid;

	h.seq = 2;				/* another request's */
	pid = bad_director(&h, sizeof(h), false, &c);
	cr_expect_eq(adm_client_info(&c, &info), -EPROTO);
	cr_expect_eq(c.io_err, EPROTO);
	adm_client_close(&c);
	reap(pid);
	h.seq = 1;
	h.type = NFLVS_CTL_LIST;		/* another type */
	pid = bad_director(&h, sizeof(h), false, &c);
	cr_expect_eq(adm_client_info(&c, &info), -EPROTO);
	adm_client_close(&c);
	reap(pid);
	h.type = NFLVS_CTL_INFO;		/* the wrong size */
	pid = bad_director(&h, sizeof(h), false, &c);
	cr_expect_eq(adm_client_info(&c, &info), -EPROTO);
	adm_client_close(&c);
	reap(pid);
	h.status = 5;				/* a positive status */
	pid = bad_director(&h, sizeof(h), false, &c);
	cr_expect_eq(adm_client_info(&c, &info), -EPROTO);
	adm_client_close(&c);
	reap(pid);
	h.status = 0;
	h.len = 100;				/* a payload that never comes */
	pid = bad_director(&h, sizeof(h), true, &c);
	cr_expect_eq(adm_client_info(&c, &info), -ECONNRESET);
	cr_expect_eq(c.io_err, ECONNRESET);
	adm_client_close(&c);
	reap(pid);
	pid = bad_director(&h, 0, true, &c);	/* no answer at all */
	cr_expect_eq(adm_client_info(&c, &info), -ECONNRESET);
	adm_client_close(&c);
	reap(pid);
	h.magic = 0;
	pid = bad_director(&h, sizeof(h), false, &c);
	cr_expect_eq(adm_client_info(&c, &info), -EPROTO);
	adm_client_close(&c);
	reap(pid);
}

Test(adm_client, list_reply_that_lies_about_its_servers)
{
	struct {
		struct nflvs_ctl_hdr h;
		struct nflvs_ctl_svc s;
	} r = { { .magic = NFLVS_CTL_MAGIC, .version = NFLVS_CTL_VERSION,
		  .type = NFLVS_CTL_LIST, .seq = 1,
		  .len = sizeof(struct nflvs_ctl_svc) },
		{ .ndests = 3 } };
	struct adm_client c;
	struct adm_list l;
	pid_t pid = bad_director(&r, sizeof(r), false, &c);

	cr_expect_eq(adm_client_list(&c, NULL, &l), -EPROTO);
	cr_expect_eq(c.io_err, EPROTO);
	cr_expect_eq(l.n, 0);
	adm_client_close(&c);
	reap(pid);
}

/* Names: numbers once the budget is spent, and never a long wait. */
Test(adm_client, resolver_budget)
{
	struct adm_resolver *r = adm_resolver_new(0);
	struct adm_lookup lk;
	struct adm_names n;
	struct in_addr a;
	uint8_t addr[16] = { 127, 0, 0, 1 };
	char buf[64];

	cr_assert_not_null(r);
	adm_resolver_lookup(r, &lk);
	adm_resolver_names(r, &n);
	cr_expect_neq(n.host(n.ctx, AF_INET, addr, buf, sizeof(buf)), 0);
	cr_expect_neq(lk.host(lk.ctx, "localhost", &a), 0);
	cr_expect_eq(lk.service(lk.ctx, "http", IPPROTO_TCP), 80);
	cr_expect_eq(lk.service(lk.ctx, "nosuchservice", IPPROTO_TCP), -1);
	cr_expect_eq(n.service(n.ctx, 443, IPPROTO_TCP, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "https");
	cr_expect_neq(n.service(n.ctx, 443, 0, buf, sizeof(buf)), 0);
	adm_resolver_free(r);
}

/*
 * This test's own /etc/hosts, whatever the host's has (a minimal root may
 * have none, or no localhost in it): a mount namespace of this test's
 * process (criterion runs each test in its own) where a file is bound over
 * /etc/hosts, or a tmpfs holding only hosts covers /etc if there is none.
 * Root, or an unprivileged user namespace.  The host's files are not
 * touched, and the namespace ends with the test's process.
 */
static void write_map(const char *file, unsigned int id)
{
	char map[32];
	int fd = open(file, O_WRONLY);

	snprintf(map, sizeof(map), "%u %u 1", id, id);
	cr_assert(fd >= 0 && write(fd, map, strlen(map)) > 0, "%s", file);
	close(fd);
}

static void own_hosts_file(const char *text)
{
	char path[] = "/tmp/nflvs-hosts-XXXXXX";
	uid_t uid = getuid();
	gid_t gid = getgid();
	bool have = access("/etc/hosts", F_OK) == 0;
	int fd;

	if (unshare(uid ? CLONE_NEWUSER | CLONE_NEWNS : CLONE_NEWNS) < 0)
		cr_skip_test("no mount namespace for a private /etc/hosts: %s",
			     strerror(errno));
	if (uid) {	/* be ourselves in it, owning what we made */
		fd = open("/proc/self/setgroups", O_WRONLY);
		cr_assert(fd >= 0 && write(fd, "deny", 4) == 4);
		close(fd);
		write_map("/proc/self/uid_map", uid);
		write_map("/proc/self/gid_map", gid);
	}
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0,
		     "mount --make-rprivate /: %s", strerror(errno));
	if (have) {
		fd = mkstemp(path);
		cr_assert(fd >= 0);
		cr_assert_eq(mount(path, "/etc/hosts", NULL, MS_BIND, NULL), 0,
			     "bind %s /etc/hosts: %s", path, strerror(errno));
		unlink(path);	/* what is bound stays */
	} else {
		cr_assert_eq(mount("none", "/etc", "tmpfs", 0, "mode=0755"), 0,
			     "tmpfs /etc: %s", strerror(errno));
		fd = open("/etc/hosts", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert(fd >= 0);
	}
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

Test(adm_client, resolver_local_names_and_deadline)
{
	struct adm_resolver *r;
	struct timespec t0, t1;
	struct adm_lookup lk;
	struct adm_names n;
	struct in_addr a;
	uint8_t lo[16] = { 127, 0, 0, 1 }, far[16] = { 192, 0, 2, 55 };
	char buf[256];
	int i;

	own_hosts_file("127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
	r = adm_resolver_new(700);
	cr_assert_not_null(r);
	adm_resolver_lookup(r, &lk);
	adm_resolver_names(r, &n);
	cr_expect_eq(lk.host(lk.ctx, "localhost", &a), 0);
	cr_expect_eq(a.s_addr, htonl(INADDR_LOOPBACK));
	if (n.host(n.ctx, AF_INET, lo, buf, sizeof(buf)) == 0)
		cr_expect_str_eq(buf, "localhost");
	/* whatever DNS does with TEST-NET, the budget bounds the wait */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++) {
		far[3] = 55 + i;
		n.host(n.ctx, AF_INET, far, buf, sizeof(buf));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_expect_lt((t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000, 1500);
	adm_resolver_free(r);
}

/* The nflvsadm binary --------------------------------------------------------- */

struct result {
	int status;
	char *out, *err;
};

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

/* Run nflvsadm ARGS... with @in on stdin and $NFLVS_SOCKET at the fake. */
static struct result run_in(const char *in, const char *sock, ...)
{
	char pin[192], pout[192], perr[192];
	const char *argv[32] = { ADM_BIN };
	struct result r = { 0 };
	va_list ap;
	int i = 1, st;
	pid_t pid;
	FILE *f;

	if (access(ADM_BIN, X_OK)) {
		fk_stop();
		cr_skip_test("%s not built (make first)", ADM_BIN);
	}
	va_start(ap, sock);
	while (i < 31 && (argv[i] = va_arg(ap, const char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	snprintf(pin, sizeof(pin), "%s/stdin", fk.dir);
	snprintf(pout, sizeof(pout), "%s/stdout", fk.dir);
	snprintf(perr, sizeof(perr), "%s/stderr", fk.dir);
	f = fopen(pin, "w");
	cr_assert_not_null(f);
	fputs(in ? in : "", f);
	fclose(f);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fi = open(pin, O_RDONLY);
		int fo = open(pout, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(perr, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		setenv("NFLVS_SOCKET", sock, 1);
		execv(ADM_BIN, (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	r.status = WEXITSTATUS(st);
	r.out = slurp(pout);
	r.err = slurp(perr);
	return r;
}

#define RUN(...)	run_in(NULL, fk.sock, __VA_ARGS__, NULL)

#define EXPECT_RUN(r, st, out_, err_) do {				\
	cr_expect_eq((r).status, (st), "status %d, stderr: %s",	\
		     (r).status, (r).err);				\
	cr_expect_str_eq((r).out, (out_));				\
	cr_expect_str_eq((r).err, (err_));				\
} while (0)

static const char want_ln[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	"TCP  10.0.2.15:80 wlc\n"
	"  -> 10.0.2.16:80                 Masq    1      3          1         \n"
	"  -> 10.0.2.17:80                 Masq    1      0          0          down: HTTP 503\n"
	"UDP  10.0.2.15:53 rr persistent 300\n"
	"  -> 10.0.2.18:53                 Route   2      0          0         \n";

/* the fake's list is 16 then 17 (newest first): saved oldest first */
static const char want_save[] =
	"-A -t 10.0.2.15:80 -s wlc\n"
	"-a -t 10.0.2.15:80 -r 10.0.2.17:80 -m -w 1\n"
	"-a -t 10.0.2.15:80 -r 10.0.2.16:80 -m -w 1\n"
	"-A -u 10.0.2.15:53 -s rr -p 300\n"
	"-a -u 10.0.2.15:53 -r 10.0.2.18:53 -g -w 2\n";

Test(adm_client, cli_listings)
{
	struct result r = RUN("-Ln");

	EXPECT_RUN(r, 0, want_ln, "");
	result_free(&r);
	r = RUN("-L", "-n", "-u", "10.0.2.15:53");
	EXPECT_RUN(r, 0,
		   "Prot LocalAddress:Port Scheduler Flags\n"
		   "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
		   "UDP  10.0.2.15:53 rr persistent 300\n"
		   "  -> 10.0.2.18:53                 Route   2      0          0         \n",
		   "");
	result_free(&r);
	r = RUN("-Ln", "-t", "10.0.2.99:80");
	EXPECT_RUN(r, 1, "", "No such service\n");
	result_free(&r);
	r = RUN("-Lnc");
	EXPECT_RUN(r, 0,
		   "IPVS connection entries\n"
		   "pro expire state       source             virtual            destination\n"
		   "TCP 14:59  ESTABLISHED 192.0.2.7:40000    10.0.2.15:80       10.0.2.16:80\n",
		   "");
	result_free(&r);
	r = RUN("-L", "--timeout");
	EXPECT_RUN(r, 0, "Timeout (tcp tcpfin udp): 900 120 300\n", "");
	result_free(&r);
	r = RUN("-L", "--daemon");
	EXPECT_RUN(r, 0, "backup sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=10.0.0.2, port=8848, ttl=1)\n", "");
	result_free(&r);
	r = RUN("-S", "-n");
	EXPECT_RUN(r, 0, want_save, "");
	result_free(&r);
	r = RUN("-L", "--json");
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "\"health\": \"down\",\n"
			 "          \"last_error\": \"HTTP 503\""), "%s", r.out);
	result_free(&r);
}

Test(adm_client, cli_changes_and_ipvsadm_errors)
{
	struct result r = RUN("-A", "-t", "10.0.2.15:80");
	char *log;

	EXPECT_RUN(r, 255, "", "Service already exists\n");
	result_free(&r);
	r = RUN("-A", "-t", "10.0.2.99:80", "-s", "rr");
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	r = RUN("-A", "-t", "10.0.2.98:80", "-s", "nosuch");
	EXPECT_RUN(r, 255, "", "Scheduler or persistence engine not found\n");
	result_free(&r);
	r = RUN("-A", "-t", "10.0.2.98:80", "--pe", "sip");
	EXPECT_RUN(r, 255, "", "Scheduler or persistence engine not found\n");
	result_free(&r);
	r = RUN("-a", "-t", "10.9.9.9:80", "-r", "10.0.0.1");
	EXPECT_RUN(r, 255, "", "Service not defined\n");
	result_free(&r);
	r = RUN("-a", "-t", "10.0.2.15:80", "-r", "10.0.2.16", "-m");
	EXPECT_RUN(r, 255, "", "Destination already exists\n");
	result_free(&r);
	r = RUN("-d", "-t", "10.0.2.15:80", "-r", "10.0.2.99");
	EXPECT_RUN(r, 255, "", "No such destination\n");
	result_free(&r);
	r = RUN("-e", "-t", "10.0.2.15:80", "-r", "10.0.2.16", "-m", "-w", "7");
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	r = RUN("-D", "-t", "10.9.9.9:80");
	EXPECT_RUN(r, 255, "", "No such service\n");
	result_free(&r);
	/* the director's reason follows ipvsadm's vague EINVAL message */
	r = RUN("-A", "-t", "10.0.2.97:80", "-p", "-M", "0.0.0.0");
	EXPECT_RUN(r, 255, "", "Invalid operation.  Possibly wrong module "
		   "version, address not unicast, ...\n"
		   "persistence netmask out of range (1..32)\n");
	result_free(&r);
	r = RUN("--set", "0", "60", "0");
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	r = RUN("-Z");
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	r = RUN("--start-daemon", "master");
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	r = RUN("--start-daemon", "backup", "--mcast-interface", "eth1",
		"--syncid", "7", "--mcast-group", "10.0.0.1", "--mcast-port",
		"9000", "--mcast-ttl", "2", "--sync-maxlen", "1400");
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	r = RUN("--stop-daemon", "backup");
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	log = slurp(fk.log);
	cr_expect_str_eq(log,
		"ADD_SERVICE tcp 10.0.2.99:80 rr\n"
		"EDIT_DEST 10.0.2.16:80 fwd 0 weight 7\n"
		"SET_TIMEOUT 0 60 0\n"
		"ZERO all\n"
		"START_DAEMON 1 eth0 255 0 - 0 0\n"
		"START_DAEMON 2 eth1 7 1400 10.0.0.1 9000 2\n"
		"STOP_DAEMON 2 eth0 255 0 - 0 0\n");
	free(log);
}

Test(adm_client, cli_argument_errors_never_reach_the_director)
{
	struct result r = RUN("-e", "-t", "10.0.2.15:80", "-r", "10.0.2.16",
			      "-w", "70000");
	char *log;

	EXPECT_RUN(r, 2, "", "illegal weight specified\n");
	result_free(&r);
	r = RUN("-L", "-a");
	EXPECT_RUN(r, 2, "", "invalid option `-a'\n");
	result_free(&r);
	r = RUN("-n", "-L");
	EXPECT_RUN(r, 255, "", "Try `" ADM_BIN " -h' or '" ADM_BIN
		   " --help' for more information.\n");
	result_free(&r);
	r = RUN("-L", "--bogus");
	EXPECT_RUN(r, 255, "", "--bogus: unknown option\n");
	result_free(&r);
	r = RUN("-A", "-f", "1", "-6", "-6");
	cr_expect_eq(r.status, 0);		/* -6 is not an option bit */
	result_free(&r);
	r = RUN("-A", "-6", "-f", "2");
	EXPECT_RUN(r, 2, "", "-6 used before -f\n\n");
	result_free(&r);
	log = slurp(fk.log);
	cr_expect_str_eq(log, "ADD_SERVICE fwmark :::0 wlc\n");
	free(log);
}

Test(adm_client, cli_reload)
{
	struct result r = RUN("--reload");

	EXPECT_RUN(r, 1, "",
		   "/etc/nflvs/nflvs.conf:12: port: out of range 70000 "
		   "(expected 0..65535)\n"
		   "/etc/nflvs/nflvs.conf:20: scheduler: unknown \"foo\"\n");
	result_free(&r);
}

Test(adm_client, cli_no_director)
{
	char path[192];
	struct result r;

	snprintf(path, sizeof(path), "%s/gone.sock", fk.dir);
	r = run_in(NULL, path, "-Ln", NULL);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect(strstr(r.err, "nflvsadm: cannot connect to the director at ")
		  == r.err, "%s", r.err);
	cr_expect(strstr(r.err, "/gone.sock: No such file or directory (is "
			 "nflvs-director running?)\n"), "%s", r.err);
	result_free(&r);
	/* --socket wins over $NFLVS_SOCKET */
	r = run_in(NULL, path, "--socket", fk.sock, "-S", "-n", NULL);
	EXPECT_RUN(r, 0, want_save, "");
	result_free(&r);
}

Test(adm_client, cli_restore_stops_at_the_first_error)
{
	struct result r;
	char *log;

	r = run_in("ipvsadm -A -t 10.0.2.97:80 -s rr\n"
		   "# a comment\n"
		   "\n"
		   "-a -t 10.0.2.97:80 -r 10.0.3.3:8080 -m -w 4\n"
		   "-A -t 10.0.2.15:80\n"
		   "-C\n", fk.sock, "-R", NULL);
	EXPECT_RUN(r, 255, "", "Service already exists\n"
		   "nflvsadm: -R: stopped at line 5\n");
	result_free(&r);
	r = run_in("-A -t 10.0.2.96:80\n-a -t 10.0.2.96:80 -r 1.2.3.4 -w x\n"
		   "-C\n", fk.sock, "-R", NULL);
	EXPECT_RUN(r, 2, "", "illegal weight specified\n"
		   "nflvsadm: -R: stopped at line 2\n");
	result_free(&r);
	r = run_in("-R\n", fk.sock, "-R", NULL);
	EXPECT_RUN(r, 255, "", "Try `" ADM_BIN " -h' or '" ADM_BIN
		   " --help' for more information.\n"
		   "nflvsadm: -R: stopped at line 1\n");
	result_free(&r);
	log = slurp(fk.log);
	cr_expect_str_eq(log,
		"ADD_SERVICE tcp 10.0.2.97:80 rr\n"
		"ADD_DEST 10.0.3.3:8080 fwd 0 weight 4\n"
		"ADD_SERVICE tcp 10.0.2.96:80 wlc\n");
	free(log);
}

/* A director before BATCH: the same lines, one request each, the same
 * result and the same report. */
Test(adm_client, cli_restore_one_by_one_without_batch)
{
	char path[128], *log;
	struct result r;

	snprintf(path, sizeof(path), "%s/no-batch", fk.dir);
	cr_assert_eq(close(creat(path, 0600)), 0);
	r = run_in("-A -t 10.0.2.97:80 -s rr\n"
		   "-a -t 10.0.2.97:80 -r 10.0.3.3:8080 -m -w 4\n"
		   "-A -t 10.0.2.15:80\n"
		   "-C\n", fk.sock, "-R", NULL);
	unlink(path);
	EXPECT_RUN(r, 255, "", "Service already exists\n"
		   "nflvsadm: -R: stopped at line 3\n");
	result_free(&r);
	log = slurp(fk.log);
	cr_expect_str_eq(log,
		"ADD_SERVICE tcp 10.0.2.97:80 rr\n"
		"ADD_DEST 10.0.3.3:8080 fwd 0 weight 4\n");
	free(log);
}

/* Edits around a line that is not one: the edits before it are applied
 * (as a BATCH) before it runs, so it sees them. */
Test(adm_client, cli_restore_edits_then_other_commands_in_order)
{
	struct result r;
	char *log;

	r = run_in("-A -t 10.0.2.97:80 -s rr\n"
		   "-Z\n"
		   "-a -t 10.0.2.97:80 -r 10.0.3.3:8080 -m -w 4\n"
		   "--set 10 20 30\n"
		   "-D -t 10.0.2.97:80\n", fk.sock, "-R", NULL);
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	log = slurp(fk.log);
	cr_expect_str_eq(log,
		"ADD_SERVICE tcp 10.0.2.97:80 rr\n"
		"ZERO all\n"
		"ADD_DEST 10.0.3.3:8080 fwd 0 weight 4\n"
		"SET_TIMEOUT 10 20 30\n"
		"DEL_SERVICE tcp 10.0.2.97:80 \n");
	free(log);
}

/* -S | -R through the binary: flush, restore what was saved, same table. */
Test(adm_client, cli_save_restore_round_trip)
{
	struct result saved = RUN("-S", "-n"), r;
	char *in;

	cr_assert_eq(saved.status, 0);
	cr_assert(asprintf(&in, "-C\n%s", saved.out) > 0);
	r = run_in(in, fk.sock, "-R", NULL);
	EXPECT_RUN(r, 0, "", "");
	result_free(&r);
	r = RUN("-S", "-n");
	EXPECT_RUN(r, 0, saved.out, "");
	result_free(&r);
	r = RUN("-Ln");			/* health is the director's, gone */
	cr_expect(!strstr(r.out, "down"), "%s", r.out);
	result_free(&r);
	result_free(&saved);
	free(in);
}

/*
 * Without -n, names come from the system's resolver: whatever it does
 * (here perhaps a DNS server that never answers), the listing comes out,
 * with names or numbers, within the budget (3 s) and some slack.
 */
Test(adm_client, cli_names_never_block_long)
{
	struct timespec t0, t1;
	struct result r;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = RUN("-L");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "Prot LocalAddress:Port Scheduler Flags\n"));
	cr_expect(strstr(r.out, ":domain rr persistent 300\n") ||
		  strstr(r.out, ":53 rr persistent 300\n"), "%s", r.out);
	cr_expect_lt(ms, 8000, "took %ld ms", ms);
	cr_log_info("nflvsadm -L took %ld ms:\n%s", ms, r.out);
	result_free(&r);
}
