// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keepalived.conf's virtual servers as nflvs services.  keepalived's
 * semantics come from its check/check_parser.c, check_data.c (defaults and
 * validation), check_api.c and the checkers; where nflvs cannot express a
 * setting, the setting is reported as a warning at its line and the rest is
 * converted.  Errors are what keepalived would refuse, or what nflvs would
 * refuse in a way that changes where traffic goes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

#define KA_DELAY_LOOP		60.0	/* KEEPALIVED_DEFAULT_DELAY */
#define KA_CONNECT_TIMEOUT	5.0
#define KA_PERSISTENCE		360	/* IPVS_SVC_PERSISTENT_TIMEOUT */
#define KA_MAX_CHECKS		16
#define KA_MAX_GROUP_SERVICES	4096
#define NFLVS_MARK_MASK		0x00ff0000u

enum { M_UNSET = -1, M_NAT, M_DR, M_TUN };
enum { T_IPIP, T_GUE, T_GRE };
enum { CS_NOCSUM, CS_CSUM, CS_REMCSUM };

struct fwd {
	int method;		/* M_* */
	int type;		/* T_* */
	int port;		/* gue */
	int csum;		/* CS_* */
	const struct ka_node *at;
};

/* Settings that a virtual server passes to its real servers, and a real
 * server to its checkers: -1 (or < 0) = not given here. */
struct timers {
	double delay_loop, connect_timeout, delay_before_retry, warmup;
	long retry;
	int alpha, inhibit;
	const char *virtualhost;
};

struct krs {
	const struct ka_node *n;
	char addr[INET6_ADDRSTRLEN];
	int family;
	int port;
	long weight;
	struct fwd fwd;
	long uthreshold, lthreshold;
	struct timers tm;
	const struct ka_node *notify_up, *notify_down;
	const struct ka_node *checks[KA_MAX_CHECKS];
	int nchecks;
};

enum vs_kind { VS_ADDR, VS_FWMARK, VS_GROUP };

struct kvs {
	const struct ka_node *n;
	enum vs_kind kind;
	char addr[INET6_ADDRSTRLEN];
	int family;
	int port;
	uint32_t fwmark;
	const char *group;
	char sched[16];
	const struct ka_node *flag_at[7];	/* see flag_names */
	bool ops;
	struct fwd fwd;
	long persistence;
	int granularity;		/* prefix length, -1 = none */
	int protocol;			/* 0 = not given, else "tcp" ... index */
	const struct ka_node *protocol_at;
	long quorum, hysteresis;
	long weight;
	int ip_family;
	const char *name;
	struct timers tm;
	bool has_sorry;
	char sorry_addr[INET6_ADDRSTRLEN];
	int sorry_family;
	int sorry_port;
	struct fwd sorry_fwd;
	const struct ka_node *sorry_at;
	struct krs *rs;
	size_t nrs;
};

struct conv {
	const struct ka_tree *t;
	struct diag *d;
	struct ogroup *top;
	struct ogroup *services;	/* the holder of the "services" list */
	uint32_t *marks;		/* the fwmarks of the services */
	size_t nmarks;
	size_t nservers;		/* real and sorry servers: mark values */
	struct ogroup *director;	/* made by the first setting in it */
	const char *script_user;	/* global_defs script_user */
};

static const char *const flag_names[] = {
	"sh-port", "sh-fallback", "mh-port", "mh-fallback",
	"flag-1", "flag-2", "flag-3", NULL,
};
#define NFLAGS	7

static const char *const schedulers[] = {
	"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf",
	"lblcr", "sed", "nq", "twos", NULL,
};

static const char *const protocols[] = { "", "tcp", "udp", "sctp" };

/* ---- small readers ----------------------------------------------------- */

#define ERR(c, n, ...)	diag_error((c)->d, (n)->file, (n)->line, __VA_ARGS__)
#define WARN(c, n, ...)	diag_warn((c)->d, (n)->file, (n)->line, __VA_ARGS__)

static bool args(struct conv *c, const struct ka_node *n, int lo, int hi)
{
	int got = n->nw - 1;

	if (got >= lo && got <= hi)
		return true;
	if (lo == hi)
		ERR(c, n, "%s: expected %d value%s, got %d", ka_key(n), lo,
		    lo == 1 ? "" : "s", got);
	else
		ERR(c, n, "%s: expected %d to %d values, got %d", ka_key(n),
		    lo, hi, got);
	return false;
}

static bool num(struct conv *c, const struct ka_node *n, int i,
		long long lo, long long hi, long *out)
{
	const char *s = n->w[i];
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		ERR(c, n, "%s: invalid value \"%s\" (expected %lld..%lld)",
		    ka_key(n), s, lo, hi);
		return false;
	}
	*out = (long)v;
	return true;
}

static bool num1(struct conv *c, const struct ka_node *n, long long lo,
		 long long hi, long *out)
{
	return args(c, n, 1, 1) && num(c, n, 1, lo, hi, out);
}

/* read_timer(): seconds, with up to 6 decimals. */
static bool timer(struct conv *c, const struct ka_node *n, double lo,
		  double *out)
{
	const char *s;
	char *end;
	double v;

	if (!args(c, n, 1, 1))
		return false;
	s = n->w[1];
	v = strtod(s, &end);
	if (!*s || *end || !isdigit((unsigned char)*s) || !isfinite(v) ||
	    v < lo || v > 4294.0 * 1000) {
		ERR(c, n, "%s: invalid time \"%s\" (expected seconds%s)",
		    ka_key(n), s, lo > 0 ? " above 0" : "");
		return false;
	}
	*out = v;
	return true;
}

/* check_true_false(), with no value meaning true. */
static int boolean(struct conv *c, const struct ka_node *n)
{
	const char *s;

	if (!args(c, n, 0, 1))
		return -1;
	if (n->nw == 1)
		return 1;
	s = n->w[1];
	if (!strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "yes"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "no"))
		return 0;
	ERR(c, n, "%s: invalid value \"%s\" (expected true, false, on, off, "
	    "yes or no)", ka_key(n), s);
	return -1;
}

/* An address (in canonical form) and its family, or 0. */
static int address(const char *s, char *out)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		inet_ntop(AF_INET, buf, out, INET6_ADDRSTRLEN);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		inet_ntop(AF_INET6, buf, out, INET6_ADDRSTRLEN);
		return AF_INET6;
	}
	return 0;
}

/* "IP [PORT]" of virtual_server, real_server, sorry_server. */
static bool addr_port(struct conv *c, const struct ka_node *n, char *addr,
		      int *family, int *port)
{
	long p = 0;

	if (!args(c, n, 1, 2))
		return false;
	*family = address(n->w[1], addr);
	if (!*family) {
		ERR(c, n, "%s: invalid IP address \"%s\"", ka_key(n), n->w[1]);
		return false;
	}
	if (n->nw == 3 && !num(c, n, 2, 0, 65535, &p))
		return false;
	*port = (int)p;
	return true;
}

static void timers_init(struct timers *t)
{
	t->delay_loop = t->connect_timeout = -1;
	t->delay_before_retry = t->warmup = -1;
	t->retry = -1;
	t->alpha = t->inhibit = -1;
	t->virtualhost = NULL;
}

/* The keys a virtual server, real server and checker share; true if @n
 * was one of them. */
static bool timers_key(struct conv *c, const struct ka_node *n,
		       struct timers *t, bool checker)
{
	const char *k = ka_key(n);
	long v;
	int b;

	if (!strcmp(k, "delay_loop"))
		timer(c, n, 0.000001, &t->delay_loop);
	else if (!strcmp(k, "connect_timeout"))
		timer(c, n, 0.000001, &t->connect_timeout);
	else if (!strcmp(k, "delay_before_retry"))
		timer(c, n, 0, &t->delay_before_retry);
	else if (!strcmp(k, "warmup"))
		timer(c, n, 0, &t->warmup);
	else if (!strcmp(k, "retry") || (checker && !strcmp(k, "nb_get_retry"))) {
		if (num1(c, n, checker ? 0 : 1, UINT32_MAX, &v))
			t->retry = v;
	} else if (!strcmp(k, "alpha")) {
		if ((b = boolean(c, n)) >= 0)
			t->alpha = b;
	} else if (!checker && !strcmp(k, "inhibit_on_failure")) {
		if ((b = boolean(c, n)) >= 0)
			t->inhibit = b;
	} else if (!checker && !strcmp(k, "virtualhost")) {
		if (args(c, n, 1, 1))
			t->virtualhost = n->w[1];
	} else {
		return false;
	}
	return true;
}

static double pick(double a, double b, double c, double dflt)
{
	return a >= 0 ? a : b >= 0 ? b : c >= 0 ? c : dflt;
}

/* ---- forwarding methods ---------------------------------------------------- */

/* "lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]" */
static bool fwd_read(struct conv *c, const struct ka_node *n, struct fwd *f)
{
	struct fwd g = { .method = M_UNSET, .type = T_IPIP, .csum = CS_NOCSUM,
			 .at = n };
	const char *m;
	long p;
	int i;

	if (!args(c, n, 1, 7))
		return false;
	m = n->w[1];
	g.method = !strcmp(m, "NAT") ? M_NAT : !strcmp(m, "DR") ? M_DR
		 : !strcmp(m, "TUN") ? M_TUN : M_UNSET;
	if (g.method == M_UNSET) {
		ERR(c, n, "%s: unknown forwarding method \"%s\" (expected NAT, "
		    "DR or TUN)", ka_key(n), m);
		return false;
	}
	for (i = 2; i < n->nw; i++) {
		const char *o = n->w[i];

		if (!strcmp(o, "type") && i + 1 < n->nw) {
			o = n->w[++i];
			g.type = !strcmp(o, "ipip") ? T_IPIP : !strcmp(o, "gue")
			       ? T_GUE : !strcmp(o, "gre") ? T_GRE : -1;
			if (g.type < 0) {
				ERR(c, n, "%s: unknown tunnel type \"%s\" "
				    "(expected ipip, gue or gre)", ka_key(n), o);
				return false;
			}
		} else if (!strcmp(o, "port") && i + 1 < n->nw) {
			if (!num(c, n, ++i, 1, 65535, &p))
				return false;
			g.port = (int)p;
		} else if (!strcmp(o, "nocsum") || !strcmp(o, "csum") ||
			   !strcmp(o, "remcsum")) {
			g.csum = o[0] == 'n' ? CS_NOCSUM : o[0] == 'c' ? CS_CSUM
			       : CS_REMCSUM;
		} else {
			ERR(c, n, "%s: invalid tunnel option \"%s\"", ka_key(n), o);
			return false;
		}
	}
	if (g.method != M_TUN && n->nw > 2) {
		ERR(c, n, "%s: tunnel options without TUN", ka_key(n));
		return false;
	}
	if ((g.type == T_GUE) != (g.port != 0)) {
		ERR(c, n, "%s: gue tunnels need a port, the others cannot have "
		    "one", ka_key(n));
		return false;
	}
	if ((g.type == T_IPIP && g.csum != CS_NOCSUM) ||
	    (g.type == T_GRE && g.csum == CS_REMCSUM)) {
		ERR(c, n, "%s: %s tunnels do not support %s", ka_key(n),
		    g.type == T_IPIP ? "ipip" : "gre",
		    g.csum == CS_CSUM ? "csum" : "remcsum");
		return false;
	}
	*f = g;
	return true;
}

static const char *fwd_name(int m)
{
	return m == M_NAT ? "nat" : m == M_DR ? "dr" : "tun";
}

/* ---- checkers ------------------------------------------------------------ */

struct chk {
	const struct ka_node *n;
	const char *kind;		/* HTTP_GET ... */
	struct ogroup *g;		/* the nflvs check group */
	struct timers tm;
	double misc_timeout;		/* MISC_CHECK, -1 = delay_loop */
	long default_retry;
	double default_dbr;		/* -1: delay_loop */
	const char *host;		/* HTTP: the url's or checker's */
};

/* connect_ip and the other connection keys of every checker but
 * MISC_CHECK and FILE_CHECK; true if @n was one. */
static bool chk_conn_key(struct conv *c, const struct ka_node *n,
			 struct chk *k)
{
	const char *key = ka_key(n);
	long v;

	if (!strcmp(key, "connect_port")) {
		if (num1(c, n, 1, 65535, &v))
			og_int(k->g, "connect_port", v);
	} else if (!strcmp(key, "connect_ip")) {
		WARN(c, n, "%s: not converted: nflvs checks the real server's "
		     "own address", key);
	} else if (!strcmp(key, "bindto") || !strcmp(key, "bind_port") ||
		   !strcmp(key, "bind_if")) {
		WARN(c, n, "%s: not converted: nflvs's checks leave from the "
		     "address and port the kernel chooses", key);
	} else if (!strcmp(key, "fwmark")) {
		WARN(c, n, "fwmark: not converted: nflvs does not mark its "
		     "check packets");
	} else {
		return false;
	}
	return true;
}

/* Keys every checker has (check_api.c: retry onwards); true if @n was one. */
static bool chk_common_key(struct conv *c, const struct ka_node *n,
			   struct chk *k)
{
	if (timers_key(c, n, &k->tm, true))
		return true;
	if (!strcmp(ka_key(n), "log_all_failures")) {
		if (boolean(c, n) > 0)
			WARN(c, n, "log_all_failures: not converted: "
			     "nflvs-healthcheck logs changes of state only");
		return true;
	}
	return false;
}

static void unknown(struct conv *c, const struct ka_node *n, const char *in)
{
	ERR(c, n, "unknown keyword \"%s\" in %s", ka_key(n), in);
}

/* status_code's codes as at most 8 ranges "LOW-HIGH". */
static void http_status(struct conv *c, const struct ka_node *n,
			struct ogroup *g)
{
	bool code[600] = { false };
	char *list[9] = { NULL }, *end;
	int i, lo, hi, nr = 0;

	for (i = 1; i < n->nw; i++) {
		lo = hi = (int)strtol(n->w[i], &end, 10);
		if (*end == '-')
			hi = (int)strtol(end + 1, &end, 10);
		if (*end || !isdigit((unsigned char)n->w[i][0]) || lo < 100 ||
		    hi > 599 || lo > hi) {
			ERR(c, n, "status_code: invalid code \"%s\" (expected "
			    "CODE or LOW-HIGH, 100 to 599)", n->w[i]);
			return;
		}
		while (lo <= hi)
			code[lo++] = true;
	}
	if (!args(c, n, 1, 599))
		return;
	for (lo = 100; lo < 600; lo = hi + 1) {
		if (!code[lo]) {
			hi = lo;
			continue;
		}
		for (hi = lo; hi + 1 < 600 && code[hi + 1]; hi++)
			;
		if (nr == 8) {
			ERR(c, n, "status_code: more than 8 ranges of codes "
			    "(nflvs's status takes 8)");
			goto out;
		}
		if ((lo == hi ? asprintf(&list[nr], "%d", lo)
			      : asprintf(&list[nr], "%d-%d", lo, hi)) < 0)
			goto out;
		nr++;
	}
	if (nr == 1)
		og_str(g, "status", list[0]);
	else
		og_strs(g, "status", list);
out:
	for (i = 0; i < nr; i++)
		free(list[i]);
}

static void http_digest(struct conv *c, const struct ka_node *n,
			struct ogroup *g)
{
	char hex[33];
	int i;

	if (!args(c, n, 1, 1))
		return;
	for (i = 0; n->w[1][i] && i < 33; i++)
		hex[i] = (char)tolower((unsigned char)n->w[1][i]);
	if (i != 32 || strspn(n->w[1], "0123456789abcdefABCDEF") != 32) {
		ERR(c, n, "digest: invalid MD5 digest \"%s\" (expected 32 hex "
		    "digits)", n->w[1]);
		return;
	}
	hex[32] = '\0';
	og_str(g, "digest", hex);
}

static void http_url(struct conv *c, const struct ka_node *u, struct chk *k)
{
	size_t i;
	bool path = false;

	for (i = 0; i < u->nkids; i++) {
		const struct ka_node *n = &u->kids[i];
		const char *key = ka_key(n);

		if (!strcmp(key, "path")) {
			if (args(c, n, 1, 1))
				og_str(k->g, "path", n->w[1]);
			path = true;
		} else if (!strcmp(key, "digest")) {
			http_digest(c, n, k->g);
		} else if (!strcmp(key, "status_code")) {
			http_status(c, n, k->g);
		} else if (!strcmp(key, "virtualhost")) {
			if (args(c, n, 1, 1))
				k->host = n->w[1];
		} else if (!strncmp(key, "regex", 5)) {
			WARN(c, n, "%s: not converted: nflvs's http check "
			     "matches a plain substring (expect), not a "
			     "regular expression", key);
		} else if (!strcmp(key, "tls_compliant")) {
			WARN(c, n, "tls_compliant: not converted: nflvs's TLS "
			     "library ends the session its own way");
		} else {
			unknown(c, n, "url");
		}
	}
	if (!path)
		ERR(c, u, "url: no path (keepalived ignores such a url)");
}

static void chk_http(struct conv *c, struct chk *k, bool ssl)
{
	const struct ka_node *url = NULL;
	size_t i;

	og_str(k->g, "type", ssl ? "https" : "http");
	k->default_dbr = 3;
	for (i = 0; i < k->n->nkids; i++) {
		const struct ka_node *n = &k->n->kids[i];
		const char *key = ka_key(n);

		if (chk_common_key(c, n, k) || chk_conn_key(c, n, k))
			continue;
		if (!strcmp(key, "url")) {
			if (!url) {
				url = n;
				continue;
			}
			WARN(c, n, "url: not converted: nflvs checks one URL "
			     "per real server (the url of line %d)", url->line);
		} else if (!strcmp(key, "virtualhost")) {
			if (args(c, n, 1, 1))
				k->tm.virtualhost = n->w[1];
		} else if (!strcmp(key, "http_protocol")) {
			WARN(c, n, "http_protocol: not converted: nflvs asks "
			     "with HTTP/1.1 and \"Connection: close\"");
		} else if (!strcmp(key, "fast_recovery")) {
			/* one URL: there is no wait between URLs to skip */
		} else if (ssl && (!strcmp(key, "enable_sni") ||
				   !strcmp(key, "sni_name"))) {
			WARN(c, n, "%s: nflvs sends the check's host (the "
			     "virtualhost) as the TLS server name, and none "
			     "without one", key);
		} else if (!strcmp(key, "tls_compliant")) {
			WARN(c, n, "tls_compliant: not converted: nflvs's TLS "
			     "library ends the session its own way");
		} else {
			unknown(c, n, k->kind);
		}
	}
	if (!url) {
		ERR(c, k->n, "%s: no url", k->kind);
		return;
	}
	http_url(c, url, k);
	if (ssl)	/* keepalived's SSL_GET does not verify the peer */
		og_bool(k->g, "verify_tls", 0);
}

static bool argv_ok(struct conv *c, const struct ka_node *n, char **argv)
{
	int i;

	for (i = 0; argv && argv[i]; i++)
		if (!argv[i][0]) {
			ERR(c, n, "%s: an empty argument", ka_key(n));
			return false;
		}
	if (!i) {
		ERR(c, n, "%s: no command", ka_key(n));
		return false;
	}
	if (argv[0][0] != '/') {
		ERR(c, n, "%s: \"%s\" is not an absolute path (nflvs runs "
		    "commands with no PATH search and no shell)", ka_key(n),
		    argv[0]);
		return false;
	}
	if (i > 32 - 4) {
		ERR(c, n, "%s: more than 28 arguments", ka_key(n));
		return false;
	}
	return true;
}

static void chk_misc(struct conv *c, struct chk *k)
{
	const struct ka_node *path = NULL;
	char **argv = NULL, **extra = NULL, *wrapped[40];
	bool dynamic = false;
	long v;
	size_t i;
	int j;

	og_str(k->g, "type", "exec");
	k->default_retry = 0;
	for (i = 0; i < k->n->nkids; i++) {
		const struct ka_node *n = &k->n->kids[i];
		const char *key = ka_key(n);

		if (chk_common_key(c, n, k))
			continue;
		if (!strcmp(key, "misc_path")) {
			path = n;
		} else if (!strcmp(key, "misc_timeout")) {
			if (num1(c, n, 1, 86400, &v))
				k->misc_timeout = (double)v;
		} else if (!strcmp(key, "misc_dynamic")) {
			dynamic = true;
		} else if (!strcmp(key, "user")) {
			WARN(c, n, "user: not converted: nflvs-healthcheck runs "
			     "every exec check as director.script_user");
		} else {
			unknown(c, n, k->kind);
		}
	}
	if (!path) {
		ERR(c, k->n, "MISC_CHECK: no misc_path");
		return;
	}
	if (ka_script_words(path, &argv, &extra) < 0) {
		ERR(c, path, "misc_path: missing closing quote");
		return;
	}
	if (extra && extra[0]) {
		ERR(c, path, "misc_path: quote the command and its arguments "
		    "as one string");
	} else if (!argv_ok(c, path, argv)) {
		/* reported */
	} else if (dynamic) {
		og_strs(k->g, "argv", argv);
	} else {
		/*
		 * nflvs's exec check reads 2..255 as "up, weight = code - 2"
		 * (misc_dynamic); without misc_dynamic keepalived counts any
		 * exit but 0 as a failure.  A shell keeps that meaning.
		 */
		wrapped[0] = "/bin/sh";
		wrapped[1] = "-c";
		wrapped[2] = "\"$0\" \"$@\" || exit 1";
		for (j = 0; argv[j]; j++)
			wrapped[3 + j] = argv[j];
		wrapped[3 + j] = NULL;
		og_strs(k->g, "argv", wrapped);
		og_comment(k->g, "MISC_CHECK without misc_dynamic: any exit "
			   "status but 0 is a failure");
	}
	ka_words_free(argv);
	ka_words_free(extra);
}

static void chk_tcp(struct conv *c, struct chk *k)
{
	size_t i;

	og_str(k->g, "type", "tcp");
	for (i = 0; i < k->n->nkids; i++) {
		const struct ka_node *n = &k->n->kids[i];

		if (!chk_common_key(c, n, k) && !chk_conn_key(c, n, k))
			unknown(c, n, k->kind);
	}
}

/* A track_file block of the top level, by name. */
static const struct ka_node *track_file_find(struct conv *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->t->root.nkids; i++) {
		const struct ka_node *n = &c->t->root.kids[i];

		if ((!strcmp(ka_key(n), "track_file") ||
		     !strcmp(ka_key(n), "vrrp_track_file")) &&
		    n->nw == 2 && !strcmp(n->w[1], name))
			return n;
	}
	return NULL;
}

/* "weight N [reverse|noreverse]" of FILE_CHECK and track_file. */
static void file_weight(struct conv *c, const struct ka_node *n,
			struct ogroup *g)
{
	long w;

	if (!args(c, n, 1, 2) || !num(c, n, 1, -65535, 65535, &w))
		return;
	if (n->nw == 3 && strcmp(n->w[2], "reverse") &&
	    strcmp(n->w[2], "noreverse")) {
		ERR(c, n, "weight: unknown option \"%s\" (expected reverse or "
		    "noreverse)", n->w[2]);
		return;
	}
	og_int(g, "file_weight", w);
	og_bool(g, "reverse", n->nw == 3 && !strcmp(n->w[2], "reverse"));
}

/* The global track_file block, inlined: its file and weight. */
static void file_track(struct conv *c, const struct ka_node *at,
		       const struct ka_node *tf, struct ogroup *g)
{
	bool file = false;
	size_t i;

	for (i = 0; i < tf->nkids; i++) {
		const struct ka_node *n = &tf->kids[i];

		if (!strcmp(ka_key(n), "file")) {
			if (args(c, n, 1, 1) && n->w[1][0] != '/')
				ERR(c, n, "file: \"%s\" is not an absolute path "
				    "(keepalived reads it from its working "
				    "directory)", n->w[1]);
			else if (n->nw == 2)
				og_str(g, "file", n->w[1]);
			file = true;
		} else if (!strcmp(ka_key(n), "weight")) {
			if (!og_get(g, "file_weight"))
				file_weight(c, n, g);
		} else if (!strcmp(ka_key(n), "init_file")) {
			WARN(c, n, "init_file: not converted: nflvs does not "
			     "create the tracked file");
		} else {
			unknown(c, n, "track_file");
		}
	}
	if (!file)
		ERR(c, at, "track_file %s: no file", tf->nw > 1 ? tf->w[1] : "");
}

static void chk_file(struct conv *c, struct chk *k)
{
	const struct ka_node *track = NULL, *tf;
	size_t i;

	og_str(k->g, "type", "file");
	for (i = 0; i < k->n->nkids; i++) {
		const struct ka_node *n = &k->n->kids[i];

		if (!strcmp(ka_key(n), "track_file")) {
			if (args(c, n, 1, 1))
				track = n;
		} else if (!strcmp(ka_key(n), "weight")) {
			file_weight(c, n, k->g);
		} else {
			unknown(c, n, k->kind);
		}
	}
	if (!track) {
		ERR(c, k->n, "FILE_CHECK: no track_file");
		return;
	}
	tf = track_file_find(c, track->w[1]);
	if (!tf) {
		ERR(c, track, "track_file %s: no such track_file block",
		    track->w[1]);
		return;
	}
	file_track(c, track, tf, k->g);
	if (!og_get(k->g, "file_weight"))	/* track_file's default */
		og_int(k->g, "file_weight", 1);
}

/* SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK. */
static void chk_other(struct conv *c, struct chk *k)
{
	static const char *const map[][2] = {
		{ "SMTP_CHECK", "smtp" }, { "DNS_CHECK", "dns" },
		{ "UDP_CHECK", "udp" }, { "PING_CHECK", "ping" },
	};
	const char *type = NULL;
	size_t i;
	long v;

	if (!strcmp(k->kind, "FILE_CHECK")) {
		chk_file(c, k);
		return;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(k->kind, map[i][0]))
			type = map[i][1];
	og_str(k->g, "type", type);
	if (!strcmp(type, "dns")) {
		k->default_retry = 3;
		k->default_dbr = -1;
	}
	for (i = 0; i < k->n->nkids; i++) {
		const struct ka_node *n = &k->n->kids[i];
		const char *key = ka_key(n);

		if (chk_common_key(c, n, k) || chk_conn_key(c, n, k))
			continue;
		if (!strcmp(type, "smtp") && !strcmp(key, "helo_name")) {
			if (args(c, n, 1, 1))
				og_str(k->g, "helo_name", n->w[1]);
		} else if (!strcmp(type, "dns") && !strcmp(key, "type")) {
			if (args(c, n, 1, 1))
				og_str(k->g, "query_type", n->w[1]);
		} else if (!strcmp(type, "dns") && !strcmp(key, "name")) {
			if (args(c, n, 1, 1))
				og_str(k->g, "query_name", n->w[1]);
		} else if (!strcmp(type, "udp") && !strcmp(key, "payload")) {
			if (args(c, n, 1, 64))
				og_str(k->g, "payload", n->raw + strlen(key) +
				       strspn(n->raw + strlen(key), " \t"));
		} else if (!strcmp(type, "udp") && !strcmp(key, "require_reply")) {
			if (n->nw == 1)
				og_bool(k->g, "require_reply", 1);
			else
				og_str(k->g, "require_reply", n->raw + strlen(key) +
				       strspn(n->raw + strlen(key), " \t"));
		} else if (!strcmp(type, "udp") &&
			   (!strcmp(key, "min_reply_length") ||
			    !strcmp(key, "max_reply_length"))) {
			if (num1(c, n, 0, 65535, &v))
				og_int(k->g, key, v);
		} else {
			unknown(c, n, k->kind);
		}
	}
}

/* delay_loop, connect_timeout, retry, delay_before_retry, warmup and
 * alpha, from the checker, else its real server, else its virtual server,
 * else keepalived's default, as interval, timeout, rise and fall. */
static void chk_timing(struct conv *c, struct chk *k, const struct kvs *vs,
		       const struct krs *rs)
{
	const struct timers *a = &k->tm, *b = &rs->tm, *v = &vs->tm;
	double loop = pick(a->delay_loop, b->delay_loop, v->delay_loop,
			   KA_DELAY_LOOP);
	double ct = pick(a->connect_timeout, b->connect_timeout,
			 v->connect_timeout, KA_CONNECT_TIMEOUT);
	double dbr = pick(a->delay_before_retry, b->delay_before_retry,
			  v->delay_before_retry,
			  k->default_dbr < 0 ? loop : k->default_dbr);
	double warm = pick(a->warmup, b->warmup, v->warmup, loop);
	long retry = a->retry >= 0 ? a->retry : b->retry >= 0 ? b->retry
		   : v->retry >= 0 ? v->retry : k->default_retry;
	int alpha = a->alpha >= 0 ? a->alpha : b->alpha >= 0 ? b->alpha
		  : v->alpha;

	if (k->misc_timeout >= 0 || !strcmp(k->kind, "MISC_CHECK"))
		ct = k->misc_timeout > 0 ? k->misc_timeout : loop;
	if (loop > 86400 || ct > 86400) {
		ERR(c, k->n, "%s: delay_loop and timeouts above 86400 seconds "
		    "cannot be converted", k->kind);
		return;
	}
	og_secs(k->g, "interval", loop);
	og_secs(k->g, "timeout", ct);
	og_int(k->g, "rise", 1);
	og_int(k->g, "fall", retry + 1 > 2147483647L ? 2147483647L : retry + 1);
	if (retry > 0 && dbr != loop)
		WARN(c, k->n, "%s: keepalived retries a failed check after "
		     "delay_before_retry (%gs), nflvs at the next interval "
		     "(delay_loop, %gs): fall = %ld takes a failed server out "
		     "after about %gs instead of %gs", k->kind, dbr, loop,
		     retry + 1, loop * (double)(retry + 1),
		     loop + dbr * (double)retry);
	if (warm != loop)
		WARN(c, k->n, "%s: warmup %gs not converted: nflvs starts each "
		     "check at a random point of its first interval, as "
		     "keepalived's default warmup", k->kind, warm);
	if (alpha > 0)
		WARN(c, k->n, "%s: alpha not converted: nflvs counts a real "
		     "server that was never checked as up until its checks "
		     "fail", k->kind);
}

static void chk_emit(struct conv *c, struct ogroup *rsg, const struct kvs *vs,
		     const struct krs *rs)
{
	const char *kind;
	struct chk k;
	int i, inhibit;

	if (!rs->nchecks)
		return;
	for (i = 1; i < rs->nchecks; i++)
		WARN(c, rs->checks[i], "%s: not converted: nflvs runs one check "
		     "per real server (the %s of line %d)",
		     ka_key(rs->checks[i]), ka_key(rs->checks[0]),
		     rs->checks[0]->line);
	memset(&k, 0, sizeof(k));
	k.n = rs->checks[0];
	k.kind = kind = ka_key(k.n);
	k.misc_timeout = -1;
	k.default_retry = 1;
	k.default_dbr = 1;
	timers_init(&k.tm);
	if (!strcmp(kind, "BFD_CHECK")) {
		WARN(c, k.n, "BFD_CHECK: not converted: BFD stays with "
		     "keepalived (the real server is not checked)");
		return;
	}
	k.g = og_group(rsg, "check");
	if (!k.g)
		return;
	if (!strcmp(kind, "HTTP_GET") || !strcmp(kind, "SSL_GET"))
		chk_http(c, &k, kind[0] == 'S');
	else if (!strcmp(kind, "TCP_CHECK"))
		chk_tcp(c, &k);
	else if (!strcmp(kind, "MISC_CHECK"))
		chk_misc(c, &k);
	else
		chk_other(c, &k);
	if (k.host || k.tm.virtualhost || rs->tm.virtualhost ||
	    vs->tm.virtualhost) {
		const char *h = k.host ? k.host : k.tm.virtualhost
			      ? k.tm.virtualhost : rs->tm.virtualhost
			      ? rs->tm.virtualhost : vs->tm.virtualhost;

		if (!strcmp(kind, "HTTP_GET") || !strcmp(kind, "SSL_GET"))
			og_str(k.g, "host", h);
	}
	if (!strcmp(kind, "FILE_CHECK")) {
		/* keepalived watches the file (inotify): react at once */
		og_int(k.g, "rise", 1);
		og_int(k.g, "fall", 1);
	} else {
		chk_timing(c, &k, vs, rs);
	}
	inhibit = rs->tm.inhibit >= 0 ? rs->tm.inhibit : vs->tm.inhibit;
	if (inhibit > 0)
		og_str(k.g, "on_failure", "quiesce");
}

/* ---- real servers ---------------------------------------------------------- */

static const char *const checkers[] = {
	"HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "DNS_CHECK",
	"MISC_CHECK", "BFD_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK",
	NULL,
};

static bool in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static void rs_key(struct conv *c, const struct ka_node *n, struct krs *rs)
{
	const char *k = ka_key(n);
	long v;

	if (timers_key(c, n, &rs->tm, false))
		return;
	if (!strcmp(k, "weight")) {
		if (num1(c, n, 0, 65535, &v))
			rs->weight = v;
	} else if (!strcmp(k, "lvs_method")) {
		fwd_read(c, n, &rs->fwd);
	} else if (!strcmp(k, "uthreshold")) {
		if (num1(c, n, 0, UINT32_MAX, &v))
			rs->uthreshold = v;
	} else if (!strcmp(k, "lthreshold")) {
		if (num1(c, n, 0, UINT32_MAX, &v))
			rs->lthreshold = v;
	} else if (!strcmp(k, "notify_up")) {
		rs->notify_up = n;
	} else if (!strcmp(k, "notify_down")) {
		rs->notify_down = n;
	} else if (!strcmp(k, "smtp_alert")) {
		if (boolean(c, n) > 0)
			WARN(c, n, "smtp_alert: not converted: nflvs sends no "
			     "mail (notify_up and notify_down can)");
	} else if (!strcmp(k, "snmp_name")) {
		WARN(c, n, "snmp_name: not converted: nflvs has no SNMP agent");
	} else if (in(checkers, k)) {
		if (rs->nchecks < KA_MAX_CHECKS)
			rs->checks[rs->nchecks++] = n;
		else
			ERR(c, n, "%s: too many checkers", k);
	} else {
		unknown(c, n, "real_server");
	}
}

static void rs_read(struct conv *c, const struct ka_node *n, struct krs *rs)
{
	size_t i;

	memset(rs, 0, sizeof(*rs));
	rs->n = n;
	rs->weight = -1;
	rs->fwd.method = M_UNSET;
	rs->uthreshold = rs->lthreshold = -1;
	timers_init(&rs->tm);
	addr_port(c, n, rs->addr, &rs->family, &rs->port);
	for (i = 0; i < n->nkids; i++)
		rs_key(c, &n->kids[i], rs);
}

static void notify_emit(struct conv *c, struct ogroup *g, const char *key,
			const struct ka_node *n)
{
	char **argv = NULL, **extra = NULL;

	if (!n)
		return;
	if (ka_script_words(n, &argv, &extra) < 0) {
		ERR(c, n, "%s: missing closing quote", key);
		return;
	}
	if (extra && extra[0])
		WARN(c, n, "%s: user %s not converted: the director runs "
		     "notify commands as itself", key, extra[0]);
	if (argv_ok(c, n, argv))
		og_strs(g, key, argv);
	ka_words_free(argv);
	ka_words_free(extra);
}

static void tunnel_emit(struct conv *c, struct ogroup *rsg,
			const struct fwd *f)
{
	struct ogroup *t;

	if (f->type == T_IPIP)
		return;		/* nflvs's default */
	t = og_group(rsg, "tunnel");
	if (!t)
		return;
	og_str(t, "type", f->type == T_GUE ? "gue" : "gre");
	if (f->type == T_GUE)
		og_int(t, "port", f->port);
	if (f->csum == CS_CSUM)
		og_bool(t, "csum", 1);
	if (f->csum == CS_REMCSUM)
		WARN(c, f->at, "remcsum not converted: nflvs has no remote "
		     "checksum offload (the tunnel goes without an outer "
		     "checksum)");
}

static void rs_emit(struct conv *c, struct ogroup *svc, const struct kvs *vs,
		    const struct krs *rs, int svc_fwd, int svc_port)
{
	struct ogroup *g = og_list_add(svc, "real_servers");
	int port = rs->port;

	if (!g)
		return;
	og_comment(g, "%s:%d: real_server %s%s%s", rs->n->file, rs->n->line,
		   rs->n->nw > 1 ? rs->n->w[1] : "", rs->n->nw > 2 ? " " : "",
		   rs->n->nw > 2 ? rs->n->w[2] : "");
	og_str(g, "address", rs->addr);
	if (rs->fwd.method != M_NAT && port && port != svc_port) {
		WARN(c, rs->n, "real_server port %d: %s forwarding sends the "
		     "packet to the virtual server's port (%d), as IPVS does",
		     port, rs->fwd.method == M_DR ? "DR" : "TUN", svc_port);
		port = 0;
	}
	og_int(g, "port", port);
	og_int(g, "weight", rs->weight >= 0 ? rs->weight : vs->weight);
	if (rs->fwd.method != svc_fwd)
		og_str(g, "forward", fwd_name(rs->fwd.method));
	if (rs->fwd.method == M_TUN)
		tunnel_emit(c, g, &rs->fwd);
	if (rs->uthreshold > 0)
		og_int(g, "upper_threshold", rs->uthreshold);
	if (rs->lthreshold > 0)
		og_int(g, "lower_threshold", rs->lthreshold);
	if (rs->uthreshold > 0 && rs->lthreshold > rs->uthreshold)
		ERR(c, rs->n, "lthreshold %ld is above uthreshold %ld",
		    rs->lthreshold, rs->uthreshold);
	notify_emit(c, g, "notify_up", rs->notify_up);
	notify_emit(c, g, "notify_down", rs->notify_down);
	chk_emit(c, g, vs, rs);
	c->nservers++;
}

/* ---- virtual servers ------------------------------------------------------ */

/* IPv4 netmask (or IPv6 prefix length) of persistence_granularity. */
static void vs_granularity(struct conv *c, const struct ka_node *n,
			   struct kvs *vs)
{
	struct in_addr m;
	uint32_t h;
	long v;
	int bits;

	if (!args(c, n, 1, 1))
		return;
	if (vs->family == AF_INET6 || (!vs->family && !strchr(n->w[1], '.'))) {
		if (num(c, n, 1, 1, 128, &v))
			vs->granularity = (int)v;
		return;
	}
	if (inet_pton(AF_INET, n->w[1], &m) != 1) {
		ERR(c, n, "persistence_granularity: invalid netmask \"%s\"",
		    n->w[1]);
		return;
	}
	h = ntohl(m.s_addr);
	bits = __builtin_popcount(h);
	if (!h || h != ~0u << (32 - bits)) {
		ERR(c, n, "persistence_granularity: netmask \"%s\" is not one "
		    "run of leading ones (nflvs takes a prefix length)",
		    n->w[1]);
		return;
	}
	vs->granularity = bits;
	if (vs->persistence < 0)	/* as pgr_handler() */
		vs->persistence = KA_PERSISTENCE;
}

static void vs_flag(struct conv *c, const struct ka_node *n, struct kvs *vs)
{
	size_t i;

	for (i = 0; i < NFLAGS; i++)
		if (!strcmp(ka_key(n), flag_names[i]))
			vs->flag_at[i] = n;
	args(c, n, 0, 0);
}

static void vs_sched(struct conv *c, const struct ka_node *n, struct kvs *vs)
{
	if (!args(c, n, 1, 1))
		return;
	if (!in(schedulers, n->w[1])) {
		ERR(c, n, "%s: unknown scheduler \"%s\"", ka_key(n), n->w[1]);
		return;
	}
	snprintf(vs->sched, sizeof(vs->sched), "%s", n->w[1]);
}

static void vs_protocol(struct conv *c, const struct ka_node *n,
			struct kvs *vs)
{
	int i;

	if (!args(c, n, 1, 1))
		return;
	for (i = 1; i < 4; i++)
		if (!strcasecmp(n->w[1], protocols[i]))
			vs->protocol = i;
	if (!vs->protocol)
		ERR(c, n, "protocol: unknown protocol \"%s\" (expected TCP, UDP "
		    "or SCTP)", n->w[1]);
	vs->protocol_at = n;
}

static void vs_sorry(struct conv *c, const struct ka_node *n, struct kvs *vs)
{
	if (addr_port(c, n, vs->sorry_addr, &vs->sorry_family,
		      &vs->sorry_port)) {
		vs->has_sorry = true;
		vs->sorry_at = n;
	}
}

/* Keys that nflvs has no use for, with the reason. */
static bool vs_unsupported(struct conv *c, const struct ka_node *n)
{
	static const char *const why[][2] = {
		{ "hysteresis", "nflvs's quorum has no hysteresis: the "
		  "service goes to the sorry server as soon as the live "
		  "weight is below quorum, and back as soon as it is not" },
		{ "quorum_up", "nflvs runs no command when the quorum is "
		  "gained (its log and nflvsadm say so)" },
		{ "quorum_down", "nflvs runs no command when the quorum is "
		  "lost (its log and nflvsadm say so)" },
		{ "omega", "nflvs runs no notify or quorum command when it "
		  "stops" },
		{ "persistence_engine", "nflvs has no persistence engines "
		  "(sip)" },
		{ "ha_suspend", "nflvs checks its real servers whether or not "
		  "the VIP is on this host" },
		{ "smtp_alert", "nflvs sends no mail" },
		{ "snmp_name", "nflvs has no SNMP agent" },
		{ "hashed", "IPVS ignores it too" },
		{ "sorry_server_inhibit", "nflvs does not check the sorry "
		  "server" },
	};
	size_t i;

	for (i = 0; i < sizeof(why) / sizeof(why[0]); i++) {
		if (strcmp(ka_key(n), why[i][0]))
			continue;
		if (!strcmp(ka_key(n), "hysteresis") && n->nw == 2 &&
		    !strcmp(n->w[1], "0"))
			return true;	/* the default: nothing lost */
		WARN(c, n, "%s: not converted: %s", why[i][0], why[i][1]);
		return true;
	}
	return false;
}

static void vs_key(struct conv *c, const struct ka_node *n, struct kvs *vs)
{
	const char *k = ka_key(n);
	struct krs *grown;
	long v;

	if (timers_key(c, n, &vs->tm, false) || vs_unsupported(c, n))
		return;
	if (!strcmp(k, "lb_algo") || !strcmp(k, "lvs_sched")) {
		vs_sched(c, n, vs);
	} else if (!strcmp(k, "lb_kind") || !strcmp(k, "lvs_method")) {
		fwd_read(c, n, &vs->fwd);
	} else if (!strcmp(k, "sorry_server_lvs_method")) {
		fwd_read(c, n, &vs->sorry_fwd);
	} else if (!strcmp(k, "persistence_timeout")) {
		if (n->nw == 1)
			vs->persistence = KA_PERSISTENCE;
		else if (num1(c, n, 1, 2678400, &v))
			vs->persistence = v;
	} else if (!strcmp(k, "persistence_granularity")) {
		vs_granularity(c, n, vs);
	} else if (!strcmp(k, "protocol")) {
		vs_protocol(c, n, vs);
	} else if (!strcmp(k, "ops")) {
		vs->ops = args(c, n, 0, 0);
	} else if (in(flag_names, k)) {
		vs_flag(c, n, vs);
	} else if (!strcmp(k, "quorum")) {
		if (num1(c, n, 1, UINT32_MAX, &v))
			vs->quorum = v;
	} else if (!strcmp(k, "weight")) {
		if (num1(c, n, 1, 65535, &v))
			vs->weight = v;
	} else if (!strcmp(k, "ip_family")) {
		if (args(c, n, 1, 1) && strcmp(n->w[1], "inet") &&
		    strcmp(n->w[1], "inet6"))
			ERR(c, n, "ip_family: unknown family \"%s\"", n->w[1]);
		else if (n->nw == 2)
			vs->ip_family = n->w[1][4] ? AF_INET6 : AF_INET;
	} else if (!strcmp(k, "sorry_server")) {
		vs_sorry(c, n, vs);
	} else if (!strcmp(k, "real_server")) {
		grown = realloc(vs->rs, (vs->nrs + 1) * sizeof(*grown));
		if (!grown)
			return;
		vs->rs = grown;
		rs_read(c, n, &vs->rs[vs->nrs++]);
	} else {
		unknown(c, n, "virtual_server");
	}
}

static bool vs_read(struct conv *c, const struct ka_node *n, struct kvs *vs)
{
	long v;
	size_t i;

	memset(vs, 0, sizeof(*vs));
	vs->n = n;
	vs->persistence = -1;
	vs->granularity = -1;
	vs->quorum = 1;
	vs->weight = 1;
	vs->fwd.method = vs->sorry_fwd.method = M_UNSET;
	timers_init(&vs->tm);
	if (!args(c, n, 1, 2))
		return false;
	if (!strcmp(n->w[1], "fwmark") || !strcmp(n->w[1], "group")) {
		if (!args(c, n, 2, 2))
			return false;
		if (n->w[1][0] == 'g') {
			vs->kind = VS_GROUP;
			vs->group = n->w[2];
		} else if (num(c, n, 2, 1, UINT32_MAX, &v)) {
			vs->kind = VS_FWMARK;
			vs->fwmark = (uint32_t)v;
		} else {
			return false;
		}
	} else if (!addr_port(c, n, vs->addr, &vs->family, &vs->port)) {
		return false;
	}
	for (i = 0; i < n->nkids; i++)
		vs_key(c, &n->kids[i], vs);
	return true;
}

/* One nflvs service: a virtual server, or one entry of its group. */
struct inst {
	int family;			/* 0 for a fwmark */
	char addr[INET6_ADDRSTRLEN];
	int port;
	uint32_t fwmark;
	const struct ka_node *at;	/* the group's entry, or NULL */
};

/* The service's forwarding method from its real servers' (keepalived
 * lets each differ; nflvs takes NAT alone, or DR with TUN, or TUN). */
static int svc_forward(struct conv *c, const struct kvs *vs)
{
	int have[3] = { 0 }, i;
	size_t r;

	for (r = 0; r < vs->nrs; r++)
		have[vs->rs[r].fwd.method]++;
	if (have[M_NAT] && (have[M_DR] || have[M_TUN])) {
		ERR(c, vs->n, "virtual_server: real servers with NAT and with "
		    "DR or TUN: nflvs forwards a service with NAT, or with DR "
		    "and TUN, not both (make two services)");
		return -1;
	}
	i = have[M_DR] ? M_DR : have[M_TUN] ? M_TUN : M_NAT;
	return i;
}

static void svc_sched(struct conv *c, struct ogroup *g, const struct kvs *vs)
{
	const char *sched = vs->sched[0] ? vs->sched : "wlc";
	bool hashed = !strcmp(sched, "sh") || !strcmp(sched, "mh");
	bool want[2] = { false, false };	/* port, fallback */
	char names[2][32], *flags[3] = { NULL };
	int nf = 0;
	size_t i;

	og_str(g, "scheduler", sched);
	for (i = 0; i < NFLAGS; i++) {
		const struct ka_node *n = vs->flag_at[i];

		if (!n)
			continue;
		/* flag-1 and flag-2 are IPVS's SCHED1 (fallback) and
		 * SCHED2 (port) of sh and mh; flag-3 has no use */
		if (!hashed || i == 6 ||
		    (i < 4 && strncmp(flag_names[i], sched, 2))) {
			WARN(c, n, "%s: not converted: no meaning with "
			     "scheduler %s", flag_names[i], sched);
			continue;
		}
		want[i == 0 || i == 2 || i == 5 ? 0 : 1] = true;
	}
	for (i = 0; i < 2; i++) {
		if (!want[i])
			continue;
		snprintf(names[i], sizeof(names[i]), "%s-%s", sched,
			 i ? "fallback" : "port");
		flags[nf++] = names[i];
	}
	if (nf)
		og_strs(g, "scheduler_flags", flags);
}

static void svc_sorry(struct conv *c, struct ogroup *g, const struct kvs *vs,
		      const struct inst *in_, int fwd)
{
	int port = vs->sorry_port ? vs->sorry_port : in_->port;
	int method = vs->sorry_fwd.method != M_UNSET ? vs->sorry_fwd.method
		   : vs->fwd.method != M_UNSET ? vs->fwd.method : M_NAT;

	if (!vs->has_sorry)
		return;
	if (in_->family && vs->sorry_family != in_->family) {
		WARN(c, vs->sorry_at, "sorry_server: not converted: not the "
		     "virtual server's address family (keepalived skips it "
		     "too)");
		return;
	}
	if (method != fwd)
		WARN(c, vs->sorry_fwd.at ? vs->sorry_fwd.at : vs->sorry_at,
		     "sorry_server: forwarded with the service's method (%s), "
		     "not %s", fwd_name(fwd), fwd_name(method));
	else if (method == M_TUN && vs->sorry_fwd.at &&
		 vs->sorry_fwd.type != T_IPIP)
		WARN(c, vs->sorry_fwd.at, "sorry_server: nflvs tunnels to a "
		     "sorry server with ipip");
	if (fwd != M_NAT && vs->sorry_port && vs->sorry_port != in_->port) {
		WARN(c, vs->sorry_at, "sorry_server port %d: %s sends the "
		     "packet to the virtual server's port", vs->sorry_port,
		     fwd == M_DR ? "DR" : "TUN");
		port = in_->port;
	}
	og_lit(g, "sorry_server", "\"%s%s%s:%d\"",
	       vs->sorry_family == AF_INET6 ? "[" : "", vs->sorry_addr,
	       vs->sorry_family == AF_INET6 ? "]" : "", port);
	c->nservers++;
}

static void svc_quorum(struct conv *c, struct ogroup *g, const struct kvs *vs)
{
	long sum = 0, q = vs->quorum;
	size_t r;

	for (r = 0; r < vs->nrs; r++)
		sum += vs->rs[r].weight >= 0 ? vs->rs[r].weight : vs->weight;
	if (q > sum && sum > 0) {
		WARN(c, vs->n, "quorum %ld is above the real servers' total "
		     "weight %ld: %ld, as keepalived does", q, sum, sum);
		q = sum;
	}
	if (q != 1)
		og_int(g, "quorum", q);
}

/* Persistence, and what a port 0 service needs of it. */
static void svc_persist(struct conv *c, struct ogroup *g, const struct kvs *vs,
			const struct inst *in_)
{
	long p = vs->persistence;

	if (p < 0 && !in_->fwmark && !in_->port) {
		WARN(c, in_->at ? in_->at : vs->n, "port 0 (any port) needs "
		     "persistence: persistence_timeout %d, as keepalived does",
		     KA_PERSISTENCE);
		p = KA_PERSISTENCE;
	}
	if (p > 0)
		og_int(g, "persistence", p);
	if (vs->granularity > 0 && p > 0) {
		int fam = in_->family ? in_->family : vs->rs[0].family;

		if (fam == AF_INET && vs->granularity > 32)
			ERR(c, vs->n, "persistence_granularity /%d in an IPv4 "
			    "service", vs->granularity);
		else
			og_int(g, "persistence_netmask", vs->granularity);
	}
}

static void svc_emit(struct conv *c, const struct kvs *vs,
		     const struct inst *in_)
{
	struct ogroup *g = og_list_add(c->services, "services");
	int fwd = svc_forward(c, vs), proto;
	size_t r;

	if (!g || fwd < 0)
		return;
	og_comment(g, "%s:%d: %s", vs->n->file, vs->n->line, vs->n->raw);
	if (in_->at)
		og_comment(g, "%s:%d: %s", in_->at->file, in_->at->line,
			   in_->at->raw);
	if (in_->fwmark) {
		og_int(g, "fwmark", in_->fwmark);
		if (vs->protocol_at)
			WARN(c, vs->protocol_at, "protocol: a firewall-mark "
			     "service takes every protocol (keepalived ignores "
			     "it too)");
		if (fwd != M_NAT)
			ERR(c, in_->at ? in_->at : vs->n, "fwmark %u with %s: "
			    "nflvs forwards firewall-mark services with NAT "
			    "only", in_->fwmark, fwd == M_DR ? "DR" : "TUN");
	} else {
		proto = vs->protocol;
		if (!proto) {
			WARN(c, vs->n, "no protocol: UDP, as keepalived "
			     "defaults to (say protocol TCP if that was "
			     "meant)");
			proto = 2;
		}
		og_str(g, "vip", in_->addr);
		og_int(g, "port", in_->port);
		og_str(g, "protocol", protocols[proto]);
		if (fwd != M_NAT && !in_->port)
			ERR(c, in_->at ? in_->at : vs->n, "port 0 with %s: "
			    "nflvs forwards any-port services with NAT only",
			    fwd == M_DR ? "DR" : "TUN");
	}
	svc_sched(c, g, vs);
	og_str(g, "forward", fwd_name(fwd));
	svc_persist(c, g, vs, in_);
	proto = in_->fwmark ? 0 : vs->protocol ? vs->protocol : 2;
	if (vs->ops && in_->fwmark)
		WARN(c, vs->n, "ops: not converted: nflvs schedules each "
		     "datagram of UDP services with a VIP only");
	else if (vs->ops && proto != 2)
		WARN(c, vs->n, "ops: not converted: one-packet scheduling "
		     "needs UDP (keepalived drops it too)");
	else if (vs->ops)
		og_bool(g, "one_packet", 1);
	svc_sorry(c, g, vs, in_, fwd);
	svc_quorum(c, g, vs);
	for (r = 0; r < vs->nrs; r++)
		rs_emit(c, g, vs, &vs->rs[r], fwd, in_->port);
	if (in_->fwmark) {
		uint32_t *grown = realloc(c->marks, (c->nmarks + 1) *
					  sizeof(*grown));

		if (grown) {
			c->marks = grown;
			c->marks[c->nmarks++] = in_->fwmark;
		}
	}
}

/* ---- virtual server groups ---------------------------------------------- */

static const struct ka_node *group_find(struct conv *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->t->root.nkids; i++) {
		const struct ka_node *n = &c->t->root.kids[i];

		if (!strcmp(ka_key(n), "virtual_server_group") && n->nw >= 2 &&
		    !strcmp(n->w[1], name))
			return n;
	}
	return NULL;
}

/* The first and last address of "A", "A-B" (last part of A, or a whole
 * address), or "A/LEN", as 16-byte big-endian numbers. */
static bool range_parse(const char *s, int *family, unsigned char lo[16],
			unsigned char hi[16])
{
	char first[INET6_ADDRSTRLEN + 8], canon[INET6_ADDRSTRLEN];
	const char *sep = strpbrk(s, "-/");
	size_t len = sep ? (size_t)(sep - s) : strlen(s);
	int i, alen, bits;
	char *end;
	unsigned long v;

	if (len >= sizeof(first))
		return false;
	memcpy(first, s, len);
	first[len] = '\0';
	*family = address(first, canon);
	if (!*family)
		return false;
	alen = *family == AF_INET ? 4 : 16;
	memset(lo, 0, 16);
	inet_pton(*family, first, lo);
	memcpy(hi, lo, 16);
	if (!sep)
		return true;
	if (*sep == '/') {
		v = strtoul(sep + 1, &end, 10);
		if (*end || !sep[1] || v < 1 || v > (unsigned long)alen * 8)
			return false;
		for (i = 0; i < alen * 8; i++) {
			if (i < (int)v)
				continue;
			if (lo[i / 8] & (0x80 >> (i % 8)))
				return false;	/* host bits set */
			hi[i / 8] |= (unsigned char)(0x80 >> (i % 8));
		}
		return true;
	}
	if (strchr(sep + 1, *family == AF_INET ? '.' : ':'))
		return address(sep + 1, canon) == *family &&
		       inet_pton(*family, sep + 1, hi) == 1 &&
		       memcmp(lo, hi, (size_t)alen) < 0;
	v = strtoul(sep + 1, &end, *family == AF_INET ? 10 : 16);
	bits = *family == AF_INET ? 8 : 16;
	if (*end || !sep[1] || v >= 1ul << bits)
		return false;
	if (bits == 8) {
		if (lo[3] >= v)
			return false;
		hi[3] = (unsigned char)v;
	} else {
		if ((unsigned long)(lo[14] << 8 | lo[15]) >= v)
			return false;
		hi[14] = (unsigned char)(v >> 8);
		hi[15] = (unsigned char)v;
	}
	return true;
}

static void addr_inc(unsigned char a[16], int alen)
{
	int i;

	for (i = alen - 1; i >= 0 && !++a[i]; i--)
		;
}

static void group_entry(struct conv *c, const struct kvs *vs,
			const struct ka_node *e, size_t *count)
{
	unsigned char lo[16], hi[16];
	struct inst in_ = { .at = e };
	int alen;
	long v = 0;

	if (!strcmp(ka_key(e), "fwmark")) {
		if (!args(c, e, 1, 2) || !num(c, e, 1, 1, UINT32_MAX, &v))
			return;
		if (e->nw == 3 && strcmp(e->w[2], "inet") &&
		    strcmp(e->w[2], "inet6")) {
			ERR(c, e, "fwmark: unknown family \"%s\"", e->w[2]);
			return;
		}
		in_.fwmark = (uint32_t)v;
		(*count)++;
		svc_emit(c, vs, &in_);
		return;
	}
	if (e->nw > 2 || (e->nw == 2 && !num(c, e, 1, 0, 65535, &v)))
		return (void)(e->nw > 2 ? ERR(c, e, "virtual_server_group: "
					      "expected ADDRESS [PORT]") : 0);
	if (!range_parse(e->w[0], &in_.family, lo, hi)) {
		ERR(c, e, "virtual_server_group: invalid address or range "
		    "\"%s\"", e->w[0]);
		return;
	}
	in_.port = (int)v;
	alen = in_.family == AF_INET ? 4 : 16;
	for (;;) {
		if (++*count > KA_MAX_GROUP_SERVICES) {
			ERR(c, e, "virtual_server_group: more than %d services",
			    KA_MAX_GROUP_SERVICES);
			return;
		}
		inet_ntop(in_.family, lo, in_.addr, sizeof(in_.addr));
		svc_emit(c, vs, &in_);
		if (!memcmp(lo, hi, (size_t)alen))
			break;
		addr_inc(lo, alen);
	}
}

static void group_emit(struct conv *c, const struct kvs *vs)
{
	const struct ka_node *g = group_find(c, vs->group);
	size_t i, count = 0;

	if (!g) {
		ERR(c, vs->n, "virtual_server group %s: no such "
		    "virtual_server_group", vs->group);
		return;
	}
	for (i = 0; i < g->nkids; i++)
		group_entry(c, vs, &g->kids[i], &count);
	if (!count)
		WARN(c, g, "virtual_server_group %s: no entries (keepalived "
		     "removes it)", vs->group);
}

/* ---- the file --------------------------------------------------------------- */

/* Real servers take their method from the virtual server, and that
 * defaults to NAT. */
static void vs_resolve(struct conv *c, struct kvs *vs)
{
	size_t r;

	if (vs->fwd.method == M_UNSET) {
		vs->fwd.method = M_NAT;
		vs->fwd.type = T_IPIP;
		for (r = 0; r < vs->nrs; r++)
			if (vs->rs[r].fwd.method == M_UNSET)
				break;
		if (r < vs->nrs)
			WARN(c, vs->n, "no lvs_method: NAT, as keepalived "
			     "defaults to");
	}
	for (r = 0; r < vs->nrs; r++)
		if (vs->rs[r].fwd.method == M_UNSET)
			vs->rs[r].fwd = vs->fwd;
}

static void vs_convert(struct conv *c, const struct ka_node *n)
{
	struct kvs vs;
	struct inst in_ = { 0 };

	if (!vs_read(c, n, &vs))
		goto out;
	if (!vs.nrs) {
		WARN(c, n, "virtual_server: no real servers: not converted "
		     "(keepalived ignores it too)");
		goto out;
	}
	vs_resolve(c, &vs);
	if (vs.kind == VS_GROUP) {
		group_emit(c, &vs);
		goto out;
	}
	in_.family = vs.family;
	in_.port = vs.port;
	in_.fwmark = vs.fwmark;
	snprintf(in_.addr, sizeof(in_.addr), "%s", vs.addr);
	svc_emit(c, &vs, &in_);
out:
	free(vs.rs);
}

static const char *const ignored_roots[] = {
	"net_namespace", "net_namespace_ipvs", "namespace_with_ipsets",
	"use_pid_dir", "instance", "child_wait_time", "static_ipaddress",
	"static_routes", "static_rules", "garp_group", "linkbeat_interfaces",
	"track_process", "bfd_instance", NULL,
};

static void global_defs(struct conv *c, const struct ka_node *g)
{
	size_t i;

	for (i = 0; i < g->nkids; i++) {
		const struct ka_node *n = &g->kids[i];
		const char *k = ka_key(n);

		if (!strcmp(k, "script_user") && n->nw >= 2) {
			c->script_user = n->w[1];
			if (n->nw > 2)
				WARN(c, n, "global_defs script_user: group %s "
				     "not converted: exec checks run with the "
				     "user's own groups", n->w[2]);
		} else if (!strcmp(k, "enable_script_security")) {
			/* always on in nflvs-healthcheck */
		} else if (!strcmp(k, "lvs_timeouts"))
			WARN(c, n, "global_defs lvs_timeouts: not converted: "
			     "set them with nflvsadm --set");
		else if (!strncmp(k, "lvs_sync_daemon", 15))
			WARN(c, n, "global_defs %s: not converted: set "
			     "nflvs.conf's sync group, or switch the daemon with "
			     "nflvsadm --start-daemon in the VRRP notify scripts "
			     "(NAT state: conntrackd; see the HA setup in "
			     "nflvs-import-keepalived(8))", k);
		else
			WARN(c, n, "global_defs %s: not converted: nflvs has "
			     "no such setting", k);
	}
}

static void root_convert(struct conv *c, const struct ka_node *n)
{
	const char *k = ka_key(n);

	if (!strcmp(k, "virtual_server"))
		vs_convert(c, n);
	else if (!strcmp(k, "global_defs"))
		global_defs(c, n);
	else if (!strncmp(k, "vrrp_", 5) && strcmp(k, "vrrp_track_file"))
		WARN(c, n, "%s%s%s: VRRP stays with keepalived; see the HA "
		     "setup in nflvs-import-keepalived(8)", k, n->nw > 1 ? " " : "",
		     n->nw > 1 ? n->w[1] : "");
	else if (in(ignored_roots, k))
		WARN(c, n, "%s: not converted: it stays with keepalived", k);
	else if (!strcmp(k, "SSL"))
		WARN(c, n, "SSL: not converted: nflvs's https check presents "
		     "no client certificate and, as keepalived's SSL_GET, does "
		     "not verify the server's");
	else if (strcmp(k, "virtual_server_group") && strcmp(k, "track_file") &&
		 strcmp(k, "vrrp_track_file"))
		ERR(c, n, "unknown keyword \"%s\"", k);
}

static struct ogroup *director_group(struct conv *c)
{
	if (!c->director)
		c->director = og_group(c->top, "director");
	return c->director;
}

/* The mark bits the director may use: the default unless a fwmark uses
 * them, wide enough for a value per real and sorry server. */
static void mark_mask(struct conv *c)
{
	uint32_t used = 0, m;
	int bits, shift;
	size_t i;

	for (i = 0; i < c->nmarks; i++)
		used |= c->marks[i];
	for (bits = 8; bits < 20 && (1ull << bits) - 1 < c->nservers; bits++)
		;
	if (!(used & NFLVS_MARK_MASK) && bits == 8)
		return;
	for (shift = 32 - bits; shift >= 0; shift--) {
		m = (uint32_t)(((1ull << bits) - 1) << shift);
		if (!(m & used))
			break;
	}
	if (shift < 0) {
		ERR(c, &c->t->root.kids[0], "the fwmarks leave no %d free bits "
		    "for director.mark_mask", bits);
		return;
	}
	og_lit(director_group(c), "mark_mask", "0x%08x", m);
}

struct ogroup *convert_tree(const struct ka_tree *t, struct diag *d)
{
	struct conv c = { .t = t, .d = d };
	struct ogroup *svc_holder;
	size_t i;

	c.top = og_new();
	svc_holder = og_new();
	if (!c.top || !svc_holder) {
		og_free(c.top);
		og_free(svc_holder);
		return NULL;
	}
	c.services = svc_holder;
	for (i = 0; i < t->root.nkids; i++)
		root_convert(&c, &t->root.kids[i]);
	if (c.nmarks || c.nservers > 255)
		mark_mask(&c);
	if (c.script_user)
		og_str(director_group(&c), "script_user", c.script_user);
	/* director first, then services */
	if (svc_holder->n) {
		struct okv *grown = realloc(c.top->kv, (c.top->n + 1) *
					    sizeof(*grown));

		if (grown) {
			c.top->kv = grown;
			grown[c.top->n++] = svc_holder->kv[0];
			svc_holder->n = 0;
		}
	}
	og_free(svc_holder);
	free(c.marks);
	return c.top;
}

size_t convert_file(const char *path, FILE *out, struct diag *d)
{
	struct ka_tree t;
	struct ogroup *g = NULL;
	char header[600];

	/* on, after syntax errors too: every error of the file at once */
	ka_parse(path, &t, d);
	g = convert_tree(&t, d);
	ka_free(&t);
	if (!g && !d->nerr)
		diag_error(d, path, 0, "out of memory");
	if (!d->nerr) {
		snprintf(header, sizeof(header), "# nflvs.conf converted from "
			 "%s by nflvs-import-keepalived.\n# Check it with "
			 "nflvs-director -t -f FILE.\n", path);
		if (emit_write(out, g, header) < 0)
			diag_error(d, path, 0, "cannot write the result");
	}
	og_free(g);
	return d->nerr;
}
