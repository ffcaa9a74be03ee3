// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm's command line, parsed the way ipvsadm 1.31 parses its own:
 *
 * - popt's rules: short options cluster (-Ln), a value may be glued on
 *   (-p600, -t1.2.3.4:80) or follow; long options take --opt=value or the
 *   next word; -p's value is optional and never a word starting with '-';
 *   "--" ends the options; words that are not options are kept for --set.
 * - The first option is the command; a command later on is an "invalid
 *   option".  Values are checked as each option is met, so the first bad
 *   one is the one reported, with ipvsadm's message.
 * - Then ipvsadm's table of legal command/option pairs, the tunnel table
 *   and the checks of process_options(), in its order.
 *
 * Exit statuses are ipvsadm's: 2 for fail(), 255 for popt errors and
 * "Try ... -h".  Nothing here prints.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm_parse.h"
#include "names.h"

#define MAX_TIMEOUT	NFLVS_CTL_MAX_TIMEOUT

enum { ARG_NONE, ARG_REQ, ARG_OPT };

/* Long-only options get tags past ASCII, as in ipvsadm. */
enum {
	TAG_SET = 128,
	TAG_START_DAEMON,
	TAG_STOP_DAEMON,
	TAG_MCAST_INTERFACE,
	TAG_TIMEOUT,
	TAG_DAEMON,
	TAG_STATS,
	TAG_RATE,
	TAG_THRESHOLDS,
	TAG_PERSISTENTCONN,
	TAG_SORT,
	TAG_NO_SORT,
	TAG_PERSISTENCE_ENGINE,
	TAG_SCTP_SERVICE,
	TAG_MCAST_GROUP,
	TAG_MCAST_PORT,
	TAG_MCAST_TTL,
	TAG_SYNC_MAXLEN,
	TAG_TUN_INFO,
	TAG_TUN_TYPE,
	TAG_TUN_PORT,
	TAG_TUN_NOCSUM,
	TAG_TUN_CSUM,
	TAG_TUN_REMCSUM,
	TAG_JSON,
	TAG_RELOAD,
	TAG_SOCKET,
	TAG_ROLE,
	TAG_STATUS,
	TAG_CHECK,
};

struct optdef {
	const char *name;
	char letter;
	unsigned char arg;
	int tag;
};

/* ipvsadm's popt table, in its order, then nflvs's options. */
static const struct optdef optdefs[] = {
	{ "add-service", 'A', ARG_NONE, 'A' },
	{ "edit-service", 'E', ARG_NONE, 'E' },
	{ "delete-service", 'D', ARG_NONE, 'D' },
	{ "clear", 'C', ARG_NONE, 'C' },
	{ "list", 'L', ARG_NONE, 'L' },
	{ "list", 'l', ARG_NONE, 'l' },
	{ "zero", 'Z', ARG_NONE, 'Z' },
	{ "add-server", 'a', ARG_NONE, 'a' },
	{ "edit-server", 'e', ARG_NONE, 'e' },
	{ "delete-server", 'd', ARG_NONE, 'd' },
	{ "set", 0, ARG_NONE, TAG_SET },
	{ "help", 'h', ARG_NONE, 'h' },
	{ "version", 'v', ARG_NONE, 'v' },
	{ "restore", 'R', ARG_NONE, 'R' },
	{ "save", 'S', ARG_NONE, 'S' },
	{ "start-daemon", 0, ARG_REQ, TAG_START_DAEMON },
	{ "stop-daemon", 0, ARG_REQ, TAG_STOP_DAEMON },
	{ "tcp-service", 't', ARG_REQ, 't' },
	{ "udp-service", 'u', ARG_REQ, 'u' },
	{ "sctp-service", 0, ARG_REQ, TAG_SCTP_SERVICE },
	{ "fwmark-service", 'f', ARG_REQ, 'f' },
	{ "scheduler", 's', ARG_REQ, 's' },
	{ "persistent", 'p', ARG_OPT, 'p' },
	{ "netmask", 'M', ARG_REQ, 'M' },
	{ "real-server", 'r', ARG_REQ, 'r' },
	{ "masquerading", 'm', ARG_NONE, 'm' },
	{ "ipip", 'i', ARG_NONE, 'i' },
	{ "gatewaying", 'g', ARG_NONE, 'g' },
	{ "weight", 'w', ARG_REQ, 'w' },
	{ "u-threshold", 'x', ARG_REQ, 'x' },
	{ "l-threshold", 'y', ARG_REQ, 'y' },
	{ "numeric", 'n', ARG_NONE, 'n' },
	{ "connection", 'c', ARG_NONE, 'c' },
	{ "mcast-interface", 0, ARG_REQ, TAG_MCAST_INTERFACE },
	{ "syncid", 0, ARG_REQ, 'I' },
	{ "timeout", 0, ARG_NONE, TAG_TIMEOUT },
	{ "daemon", 0, ARG_NONE, TAG_DAEMON },
	{ "stats", 0, ARG_NONE, TAG_STATS },
	{ "rate", 0, ARG_NONE, TAG_RATE },
	{ "thresholds", 0, ARG_NONE, TAG_THRESHOLDS },
	{ "persistent-conn", 0, ARG_NONE, TAG_PERSISTENTCONN },
	{ "nosort", 0, ARG_NONE, TAG_NO_SORT },
	{ "sort", 0, ARG_NONE, TAG_SORT },
	{ "exact", 'X', ARG_NONE, 'X' },
	{ "ipv6", '6', ARG_NONE, '6' },
	{ "ops", 'o', ARG_NONE, 'o' },
	{ "pe", 0, ARG_REQ, TAG_PERSISTENCE_ENGINE },
	{ "sched-flags", 'b', ARG_REQ, 'b' },
	{ "mcast-group", 0, ARG_REQ, TAG_MCAST_GROUP },
	{ "mcast-port", 0, ARG_REQ, TAG_MCAST_PORT },
	{ "mcast-ttl", 0, ARG_REQ, TAG_MCAST_TTL },
	{ "sync-maxlen", 0, ARG_REQ, TAG_SYNC_MAXLEN },
	{ "tun-info", 0, ARG_NONE, TAG_TUN_INFO },
	{ "tun-type", 0, ARG_REQ, TAG_TUN_TYPE },
	{ "tun-port", 0, ARG_REQ, TAG_TUN_PORT },
	{ "tun-nocsum", 0, ARG_NONE, TAG_TUN_NOCSUM },
	{ "tun-csum", 0, ARG_NONE, TAG_TUN_CSUM },
	{ "tun-remcsum", 0, ARG_NONE, TAG_TUN_REMCSUM },
	{ "json", 0, ARG_NONE, TAG_JSON },
	{ "reload", 0, ARG_NONE, TAG_RELOAD },
	{ "socket", 0, ARG_REQ, TAG_SOCKET },
	{ "role", 0, ARG_REQ, TAG_ROLE },
	{ "status", 0, ARG_NONE, TAG_STATUS },
	{ "check", 0, ARG_NONE, TAG_CHECK },
};

#define NOPTDEFS	(sizeof(optdefs) / sizeof(optdefs[0]))

static const char *const cmd_names[ADM_CMD_MAX] = {
	[ADM_CMD_NONE] = "none",
	[ADM_CMD_ADD] = "add-service",
	[ADM_CMD_EDIT] = "edit-service",
	[ADM_CMD_DEL] = "delete-service",
	[ADM_CMD_FLUSH] = "flush",
	[ADM_CMD_LIST] = "list",
	[ADM_CMD_ADDDEST] = "add-server",
	[ADM_CMD_DELDEST] = "delete-server",
	[ADM_CMD_EDITDEST] = "edit-server",
	[ADM_CMD_TIMEOUT] = "set",
	[ADM_CMD_STARTDAEMON] = "start-daemon",
	[ADM_CMD_STOPDAEMON] = "stop-daemon",
	[ADM_CMD_RESTORE] = "restore",
	[ADM_CMD_SAVE] = "save",
	[ADM_CMD_ZERO] = "zero",
	[ADM_CMD_RELOAD] = "reload",
	[ADM_CMD_ROLE] = "role",
	[ADM_CMD_STATUS] = "status",
	[ADM_CMD_CHECK] = "check",
	[ADM_CMD_HELP] = "help",
	[ADM_CMD_VERSION] = "version",
};

static const char *const opt_names[ADM_OPT_MAX] = {
	"numeric", "connection", "service-address", "scheduler",
	"persistent", "netmask", "real-server", "forwarding-method",
	"weight", "u-threshold", "l-threshold", "mcast-interface",
	"timeout", "daemon", "stats", "rate", "thresholds",
	"persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
	"sched-flags", "mcast-group", "mcast-port", "mcast-ttl",
	"sync-maxlen", "tun-info", "tun-type", "tun-port", "tun-nocsum",
	"tun-csum", "tun-remcsum", "json",
};

/*
 * ipvsadm's commands_v_options[][]: '+' compulsory, 'x' illegal, '1'
 * exclusive, ' ' optional; one column per enum adm_opt, the last (json)
 * being nflvs's, and a row for --reload.
 *
 *          nc+sp Mrfwxym tdsrtpsse opb gpts ittncr j
 */
static const char cmd_opts[ADM_CMD_CHECK + 1][ADM_OPT_MAX + 1] = {
	[ADM_CMD_ADD] =		"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx",
	[ADM_CMD_EDIT] =	"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx",
	[ADM_CMD_DEL] =		"xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_FLUSH] =	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_LIST] =	" 11xxxxxxxxx11       xxxxxxx xxxxx ",
	[ADM_CMD_ADDDEST] =	"xx+xxx+    xxxxxxxxxxxxxxxxxx     x",
	[ADM_CMD_DELDEST] =	"xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_EDITDEST] =	"xx+xxx+    xxxxxxxxxxxxxxxxxx     x",
	[ADM_CMD_TIMEOUT] =	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_STARTDAEMON] =	"xxxxxxxxxxx xxxxxxx xxxx    xxxxxxx",
	[ADM_CMD_STOPDAEMON] =	"xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxx",
	[ADM_CMD_RESTORE] =	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_SAVE] =	" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_ZERO] =	"xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_RELOAD] =	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_ROLE] =	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_STATUS] =	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	[ADM_CMD_CHECK] =	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
};

/* ipvsadm's tunnel_types_v_options[][]: tun-port nocsum csum remcsum */
static const enum adm_opt tun_opts[] = {
	ADM_OPT_TUN_PORT, ADM_OPT_TUN_NOCSUM, ADM_OPT_TUN_CSUM,
	ADM_OPT_TUN_REMCSUM,
};
static const char tun_table[TUN_TYPES][5] = { "xxxx", "+111", "x11x" };

#define SERVICE_NONE	0x0
#define SERVICE_ADDR	0x1
#define SERVICE_PORT	0x2

/* popt's error codes and texts */
#define POPT_ERROR_NOARG	-10
#define POPT_ERROR_BADOPT	-11
#define POPT_ERROR_UNWANTEDARG	-12

struct parser {
	int argc;
	char *const *argv;
	int next;			/* next word of argv */
	const char *cluster;		/* rest of -abc, or NULL */
	const char *cur;		/* word of the last option, for messages */
	bool ended;			/* "--" seen */
	const char **left;		/* words that are not options */
	int nleft, lefti;
	const struct adm_lookup *lk;
	struct adm_cmd *cmd;
	struct adm_error *err;
	char sched_flags[128];		/* -b, parsed once -s is known */
};

const char *adm_cmd_name(enum adm_cmd_type type)
{
	return (unsigned int)type < ADM_CMD_MAX ? cmd_names[type] : "?";
}

const char *adm_opt_name(enum adm_opt opt)
{
	return (unsigned int)opt < ADM_OPT_MAX ? opt_names[opt] : "?";
}

/* Errors ---------------------------------------------------------------- */

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->err->status = 2;
	p->err->tryhelp = false;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int tryhelp(struct parser *p)
{
	p->err->status = 255;
	p->err->tryhelp = true;
	p->err->msg[0] = '\0';
	return -EINVAL;
}

static int popt_fail(struct parser *p, int code)
{
	const char *what = code == POPT_ERROR_NOARG ? "missing argument" :
			   code == POPT_ERROR_UNWANTEDARG ?
			   "option does not take an argument" : "unknown option";

	p->err->status = 255;
	p->err->tryhelp = false;
	snprintf(p->err->msg, sizeof(p->err->msg), "%s: %s", p->cur, what);
	return -EINVAL;
}

/* The popt part: words to options --------------------------------------- */

static const struct optdef *find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPTDEFS; i++)
		if (strlen(optdefs[i].name) == len &&
		    !strncmp(optdefs[i].name, name, len))
			return &optdefs[i];
	return NULL;
}

static const struct optdef *find_short(char c)
{
	size_t i;

	for (i = 0; i < NOPTDEFS; i++)
		if (optdefs[i].letter && optdefs[i].letter == c)
			return &optdefs[i];
	return NULL;
}

/* The value of @o from the next word, as popt takes it. */
static int take_next(struct parser *p, const struct optdef *o,
		     const char **arg)
{
	*arg = NULL;
	if (p->next >= p->argc)
		return o->arg == ARG_OPT ? 0 : POPT_ERROR_NOARG;
	if (o->arg == ARG_OPT && p->argv[p->next][0] == '-')
		return 0;
	*arg = p->argv[p->next++];
	return 0;
}

static int next_short(struct parser *p, const char **arg)
{
	const struct optdef *o = find_short(*p->cluster++);

	if (!o) {
		p->cluster = NULL;
		return POPT_ERROR_BADOPT;
	}
	*arg = NULL;
	if (o->arg == ARG_NONE)
		return o->tag;
	if (*p->cluster) {
		*arg = p->cluster + (*p->cluster == '=');
		p->cluster = NULL;
		return o->tag;
	}
	p->cluster = NULL;
	return take_next(p, o, arg) ?: o->tag;
}

static int next_long(struct parser *p, const char *word, const char **arg)
{
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const struct optdef *o = find_long(word, len);

	*arg = NULL;
	if (!o)
		return POPT_ERROR_BADOPT;
	if (o->arg == ARG_NONE)
		return eq ? POPT_ERROR_UNWANTEDARG : o->tag;
	if (eq) {
		*arg = eq + 1;
		return o->tag;
	}
	return take_next(p, o, arg) ?: o->tag;
}

/* The next option's tag (its value in *@arg), 0 at the end, or a
 * POPT_ERROR_*.  Words that are not options are kept in p->left. */
static int next_opt(struct parser *p, const char **arg)
{
	const char *w;

	if (p->cluster && *p->cluster)
		return next_short(p, arg);
	while (p->next < p->argc) {
		w = p->argv[p->next++];
		if (p->ended || w[0] != '-' || !w[1]) {
			p->left[p->nleft++] = w;
			continue;
		}
		if (!strcmp(w, "--")) {
			p->ended = true;
			continue;
		}
		p->cur = w;
		if (w[1] == '-')
			return next_long(p, w + 2, arg);
		p->cluster = w + 1;
		return next_short(p, arg);
	}
	return 0;
}

/* next_opt(), --socket (legal anywhere, with any command) taken out. */
static int get_opt(struct parser *p, const char **arg)
{
	int c;

	while ((c = next_opt(p, arg)) == TAG_SOCKET) {
		if (strlen(*arg) >= sizeof(p->cmd->socket))
			return fail(p, "socket path too long `%s'", *arg);
		strcpy(p->cmd->socket, *arg);
	}
	return c;
}

/* Values ---------------------------------------------------------------- */

/* ipvsadm's string_to_number(): strtol, the whole word, in range; or -1 */
static long string_to_number(const char *s, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*end == '\0' && end != s && errno != ERANGE && min <= n && n <= max)
		return n;
	return -1;
}

static bool str_is_digit(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int parse_timeout(struct parser *p, const char *s, long min,
			 uint32_t *out)
{
	long v;

	if (!s) {
		*out = ADM_DEF_PERSISTENT;
		return 0;
	}
	v = string_to_number(s, min, MAX_TIMEOUT);
	if (v == -1)
		return fail(p, "invalid timeout value `%s' specified", s);
	*out = v;
	return 0;
}

static int parse_fwmark(struct parser *p, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || end == s || errno == ERANGE || v <= 0 || v > UINT_MAX)
		return fail(p, "invalid fwmark value `%s' specified", s);
	p->cmd->svc.fwmark = v;
	return 0;
}

struct hostport {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

static int lookup_host(const struct adm_lookup *lk, const char *name,
		       struct in_addr *a)
{
	if (inet_aton(name, a))
		return 0;
	if (lk && lk->host && lk->host(lk->ctx, name, a) == 0)
		return 0;
	return -1;
}

/*
 * ipvsadm's parse_service(): "[v6]:port", a bare IPv6 address, or
 * "v4-or-host[:port]"; the port a number or a service name of @proto.
 * Returns SERVICE_ADDR | SERVICE_PORT, or SERVICE_NONE.
 */
static int parse_service(const struct adm_lookup *lk, const char *arg,
			 int proto, struct hostport *hp)
{
	char buf[256], *b = buf, *portp = NULL;
	bool bracketed = false;
	struct in_addr a4;
	long port;

	if (str_is_digit(arg) || strlen(arg) >= sizeof(buf))
		return SERVICE_NONE;
	strcpy(buf, arg);
	if (b[0] == '[') {
		b++;
		portp = strchr(b, ']');
		if (!portp || portp[1] != ':')
			return SERVICE_NONE;
		*portp++ = '\0';
		bracketed = true;
	}
	memset(hp->addr, 0, sizeof(hp->addr));
	if (inet_pton(AF_INET6, b, hp->addr) > 0) {
		hp->family = AF_INET6;
	} else {
		/* ipvsadm would take "[1.2.3.4]:80" as port 0; refuse it */
		if (bracketed)
			return SERVICE_NONE;
		portp = strrchr(b, ':');
		if (portp)
			*portp = '\0';
		if (lookup_host(lk, b, &a4))
			return SERVICE_NONE;
		hp->family = AF_INET;
		memcpy(hp->addr, &a4, sizeof(a4));
	}
	if (!portp)
		return SERVICE_ADDR;
	port = string_to_number(portp + 1, 0, 65535);
	if (port == -1 && lk && lk->service)
		port = lk->service(lk->ctx, portp + 1, proto);
	if (port < 0 || port > 65535)
		return SERVICE_NONE;
	hp->port = port;
	return SERVICE_ADDR | SERVICE_PORT;
}

/* -M: a dotted mask (IPv4, must be contiguous here) or a prefix (IPv6) */
static int parse_netmask(struct parser *p, const char *s)
{
	struct nflvs_ctl_svc *svc = &p->cmd->svc;
	struct in_addr a;
	uint32_t m;
	long v;

	if (svc->family == AF_INET6) {
		v = strtol(s, NULL, 10);	/* atoi(), as ipvsadm */
		if (v < 1 || v > 128)
			return fail(p, "illegal ipv6 netmask specified");
		svc->netmask = v;
		return 0;
	}
	if (lookup_host(p->lk, s, &a))
		goto bad;
	m = ntohl(a.s_addr);
	v = __builtin_popcount(m);
	if (m != (v ? ~0U << (32 - v) : 0))
		goto bad;
	svc->netmask = v;
	return 0;
bad:
	return fail(p, "illegal virtual server persistent mask specified");
}

/* flag-1 and flag-2 are the fallback and port flags of sh and mh. */
static int sched_flag(struct parser *p, const char *sched, const char *flag)
{
	static const struct {
		const char *name, *sched;
		uint32_t bit;
	} flags[] = {
		{ "sh-fallback", "sh", SCHED_F_SH_FALLBACK },
		{ "sh-port", "sh", SCHED_F_SH_PORT },
		{ "mh-fallback", "mh", SCHED_F_MH_FALLBACK },
		{ "mh-port", "mh", SCHED_F_MH_PORT },
		{ "flag-1", "sh", SCHED_F_SH_FALLBACK },
		{ "flag-1", "mh", SCHED_F_MH_FALLBACK },
		{ "flag-2", "sh", SCHED_F_SH_PORT },
		{ "flag-2", "mh", SCHED_F_MH_PORT },
		{ "flag-3", "", 0 },
	};
	bool known = false;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(flag, flags[i].name))
			continue;
		known = true;
		if (!strcmp(sched, flags[i].sched)) {
			p->cmd->svc.sched_flags |= flags[i].bit;
			return 0;
		}
	}
	if (known)
		return fail(p, "incompatible scheduler flag `%s'", flag);
	return fail(p, "invalid scheduler flag `%s'", flag);
}

static int parse_sched_flags(struct parser *p)
{
	const char *sched = p->cmd->svc.sched[0] ? p->cmd->svc.sched :
			    ADM_DEF_SCHED;
	char *save, *flag = strtok_r(p->sched_flags, ",", &save);
	int err;

	p->cmd->svc.sched_flags = 0;
	if (!flag)
		return fail(p, "invalid scheduler flag `%s'", p->sched_flags);
	for (; flag; flag = strtok_r(NULL, ",", &save)) {
		err = sched_flag(p, sched, flag);
		if (err)
			return err;
	}
	return 0;
}

/* Options ---------------------------------------------------------------- */

static int set_option(struct parser *p, enum adm_opt o)
{
	if (p->cmd->opts & ADM_OPT(o))
		return fail(p, "multiple '%s' options specified", opt_names[o]);
	p->cmd->opts |= ADM_OPT(o);
	return 0;
}

static int opt_service(struct parser *p, int c, const char *arg)
{
	struct nflvs_ctl_svc *svc = &p->cmd->svc;
	struct hostport hp = { .port = svc->port };

	svc->protocol = c == 't' ? IPPROTO_TCP : c == 'u' ? IPPROTO_UDP :
			IPPROTO_SCTP;
	if (!(parse_service(p->lk, arg, svc->protocol, &hp) & SERVICE_ADDR))
		return fail(p, "illegal virtual server address[:port] specified");
	svc->family = hp.family;
	memcpy(svc->addr, hp.addr, sizeof(svc->addr));
	svc->port = hp.port;
	if (hp.family == AF_INET6)
		svc->netmask = 128;
	return 0;
}

static int opt_server(struct parser *p, const char *arg)
{
	struct nflvs_ctl_svc *svc = &p->cmd->svc;
	struct nflvs_ctl_dest *d = &p->cmd->dest;
	int proto = svc->fwmark ? IPPROTO_TCP : svc->protocol;
	struct hostport hp = { .port = svc->port };
	int r = parse_service(p->lk, arg, proto, &hp);

	if (!(r & SERVICE_ADDR))
		return fail(p, "illegal real server address[:port] specified");
	d->family = hp.family;
	memcpy(d->addr, hp.addr, sizeof(d->addr));
	/* no port: the service's, as far as it is known yet (ipvsadm) */
	d->port = r & SERVICE_PORT ? hp.port : svc->port;
	return 0;
}

static int opt_number(struct parser *p, const char *arg, long min, long max,
		      const char *what, long *out)
{
	*out = string_to_number(arg, min, max);
	if (*out == -1)
		return fail(p, "illegal %s specified", what);
	return 0;
}

/*
 * ipvsadm takes a multicast group only; nflvs takes a unicast address
 * too, the peer's, for networks without multicast.
 */
static int opt_mcast_group(struct parser *p, const char *arg)
{
	struct nflvs_ctl_daemon *d = &p->cmd->daemon;
	struct in6_addr a6;
	struct in_addr a4;

	if (strchr(arg, ':')) {
		if (inet_pton(AF_INET6, arg, &a6) <= 0 ||
		    IN6_IS_ADDR_UNSPECIFIED(&a6))
			return fail(p, "invalid IPv6 mcast-group `%s'", arg);
		d->mcast_family = AF_INET6;
		memcpy(d->mcast_group, &a6, 16);
		return 0;
	}
	if (inet_pton(AF_INET, arg, &a4) <= 0 || !a4.s_addr ||
	    a4.s_addr == INADDR_BROADCAST)
		return fail(p, "invalid IPv4 mcast-group `%s'", arg);
	d->mcast_family = AF_INET;
	memcpy(d->mcast_group, &a4, 4);
	return 0;
}

static int opt_tunnel(struct parser *p, int c, const char *arg)
{
	struct nflvs_ctl_dest *d = &p->cmd->dest;
	long v;
	int i;

	switch (c) {
	case TAG_TUN_TYPE:
		if (set_option(p, ADM_OPT_TUN_TYPE))
			return -EINVAL;
		i = tun_parse(arg);
		if (i < 0)
			return fail(p, "illegal tunnel type specified");
		d->tun_type = i;
		return 0;
	case TAG_TUN_PORT:
		if (set_option(p, ADM_OPT_TUN_PORT) ||
		    opt_number(p, arg, 1, 65535, "tunnel port", &v))
			return -EINVAL;
		d->tun_port = v;
		return 0;
	case TAG_TUN_NOCSUM:
		return set_option(p, ADM_OPT_TUN_NOCSUM);
	case TAG_TUN_CSUM:
		d->tun_flags |= NFLVS_CTL_TUN_F_CSUM;
		return set_option(p, ADM_OPT_TUN_CSUM);
	default:
		d->tun_flags |= NFLVS_CTL_TUN_F_REMCSUM;
		return set_option(p, ADM_OPT_TUN_REMCSUM);
	}
}

/* Options that only set a bit (and a format). */
static const struct {
	int tag;
	enum adm_opt opt;
	unsigned int fmt;
} flag_opts[] = {
	{ 'c', ADM_OPT_CONNECTION, 0 },
	{ 'n', ADM_OPT_NUMERIC, ADM_FMT_NUMERIC },
	{ TAG_TIMEOUT, ADM_OPT_TIMEOUT, 0 },
	{ TAG_DAEMON, ADM_OPT_DAEMON, 0 },
	{ TAG_STATS, ADM_OPT_STATS, ADM_FMT_STATS },
	{ TAG_RATE, ADM_OPT_RATE, ADM_FMT_RATE },
	{ TAG_THRESHOLDS, ADM_OPT_THRESHOLDS, ADM_FMT_THRESHOLDS },
	{ TAG_PERSISTENTCONN, ADM_OPT_PERSISTENTCONN, ADM_FMT_PERSISTENTCONN },
	{ TAG_NO_SORT, ADM_OPT_NOSORT, ADM_FMT_NOSORT },
	{ 'X', ADM_OPT_EXACT, ADM_FMT_EXACT },
	{ TAG_TUN_INFO, ADM_OPT_TUN_INFO, ADM_FMT_TUN_INFO },
	{ TAG_JSON, ADM_OPT_JSON, ADM_FMT_JSON },
};

/* Options with a value, sorted by what they fill. */
static int opt_value(struct parser *p, int c, const char *arg)
{
	struct adm_cmd *cmd = p->cmd;
	long v;

	switch (c) {
	case 'w':
		if (set_option(p, ADM_OPT_WEIGHT) ||
		    opt_number(p, arg, 0, 65535, "weight", &v))
			return -EINVAL;
		cmd->dest.weight = v;
		return 0;
	case 'x':
		if (set_option(p, ADM_OPT_UTHRESHOLD) ||
		    opt_number(p, arg, 0, INT_MAX, "u_threshold", &v))
			return -EINVAL;
		cmd->dest.u_threshold = v;
		return 0;
	case 'y':
		if (set_option(p, ADM_OPT_LTHRESHOLD) ||
		    opt_number(p, arg, 0, INT_MAX, "l_threshold", &v))
			return -EINVAL;
		cmd->dest.l_threshold = v;
		return 0;
	case 'I':
		if (set_option(p, ADM_OPT_SYNCID) ||
		    opt_number(p, arg, 0, 255, "syncid", &v))
			return -EINVAL;
		cmd->daemon.syncid = v;
		return 0;
	case TAG_MCAST_PORT:
		if (set_option(p, ADM_OPT_MCAST_PORT) ||
		    opt_number(p, arg, 1, 65535, "mcast-port", &v))
			return -EINVAL;
		cmd->daemon.mcast_port = v;
		return 0;
	case TAG_MCAST_TTL:
		if (set_option(p, ADM_OPT_MCAST_TTL) ||
		    opt_number(p, arg, 1, 255, "mcast-ttl", &v))
			return -EINVAL;
		cmd->daemon.mcast_ttl = v;
		return 0;
	case TAG_SYNC_MAXLEN:
		if (set_option(p, ADM_OPT_SYNC_MAXLEN) ||
		    opt_number(p, arg, 1, 65535 - 20 - 8, "sync-maxlen", &v))
			return -EINVAL;
		cmd->daemon.sync_maxlen = v;
		return 0;
	case TAG_MCAST_GROUP:
		return set_option(p, ADM_OPT_MCAST_GROUP) ?:
		       opt_mcast_group(p, arg);
	case TAG_MCAST_INTERFACE:
		if (set_option(p, ADM_OPT_MCAST))
			return -EINVAL;
		if (!*arg || strlen(arg) >= sizeof(cmd->daemon.mcast_ifn))
			return fail(p, "illegal mcast-interface specified");
		snprintf(cmd->daemon.mcast_ifn, sizeof(cmd->daemon.mcast_ifn),
			 "%s", arg);
		return 0;
	default:
		return opt_tunnel(p, c, arg);
	}
}

/* Options that shape the service. */
static int opt_svc(struct parser *p, int c, const char *arg)
{
	struct nflvs_ctl_svc *svc = &p->cmd->svc;

	switch (c) {
	case 'f':
		if (set_option(p, ADM_OPT_SERVICE))
			return -EINVAL;
		svc->family = AF_INET;
		svc->protocol = 0;
		return parse_fwmark(p, arg);
	case 's':
		if (set_option(p, ADM_OPT_SCHEDULER))
			return -EINVAL;
		snprintf(svc->sched, sizeof(svc->sched), "%s", arg);
		return 0;
	case 'p':
		if (set_option(p, ADM_OPT_PERSISTENT))
			return -EINVAL;
		svc->flags |= NFLVS_CTL_SVC_F_PERSISTENT;
		return parse_timeout(p, arg, 1, &svc->timeout);
	case 'M':
		return set_option(p, ADM_OPT_NETMASK) ?: parse_netmask(p, arg);
	case '6':
		if (!svc->fwmark)
			return fail(p, "-6 used before -f\n");
		svc->family = AF_INET6;
		svc->netmask = 128;
		return 0;
	case 'o':
		svc->flags |= NFLVS_CTL_SVC_F_ONEPACKET;
		return set_option(p, ADM_OPT_ONEPACKET);
	case TAG_PERSISTENCE_ENGINE:
		snprintf(p->cmd->pe, sizeof(p->cmd->pe), "%s", arg);
		return set_option(p, ADM_OPT_PE);
	default:	/* 'b' */
		snprintf(p->sched_flags, sizeof(p->sched_flags), "%s", arg);
		return set_option(p, ADM_OPT_SCHED_FLAGS);
	}
}

static int apply_opt(struct parser *p, int c, const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++) {
		if (flag_opts[i].tag != c)
			continue;
		p->cmd->fmt |= flag_opts[i].fmt;
		return set_option(p, flag_opts[i].opt);
	}
	switch (c) {
	case 't':
	case 'u':
	case TAG_SCTP_SERVICE:
		return set_option(p, ADM_OPT_SERVICE) ?: opt_service(p, c, arg);
	case 'r':
		return set_option(p, ADM_OPT_SERVER) ?: opt_server(p, arg);
	case 'm':
	case 'g':
	case 'i':
		p->cmd->dest.fwd = c == 'm' ? NFLVS_CTL_FWD_NAT :
				   c == 'g' ? NFLVS_CTL_FWD_DR :
				   NFLVS_CTL_FWD_TUN;
		return set_option(p, ADM_OPT_FORWARD);
	case TAG_SORT:
		p->cmd->fmt |= ADM_FMT_SORT;
		return 0;
	case 'f': case 's': case 'p': case 'M': case '6': case 'o': case 'b':
	case TAG_PERSISTENCE_ENGINE:
		return opt_svc(p, c, arg);
	case 'w': case 'x': case 'y': case 'I': case TAG_MCAST_PORT:
	case TAG_MCAST_TTL: case TAG_SYNC_MAXLEN: case TAG_MCAST_GROUP:
	case TAG_MCAST_INTERFACE: case TAG_TUN_TYPE: case TAG_TUN_PORT:
	case TAG_TUN_NOCSUM: case TAG_TUN_CSUM: case TAG_TUN_REMCSUM:
		return opt_value(p, c, arg);
	default:
		return fail(p, "invalid option `%s'", p->cur);
	}
}

/* The command: the first option ----------------------------------------- */

static int set_command(struct parser *p, int c, const char *arg)
{
	static const struct {
		int tag;
		enum adm_cmd_type type;
	} cmds[] = {
		{ 'A', ADM_CMD_ADD }, { 'E', ADM_CMD_EDIT },
		{ 'D', ADM_CMD_DEL }, { 'a', ADM_CMD_ADDDEST },
		{ 'e', ADM_CMD_EDITDEST }, { 'd', ADM_CMD_DELDEST },
		{ 'C', ADM_CMD_FLUSH }, { 'L', ADM_CMD_LIST },
		{ 'l', ADM_CMD_LIST }, { 'Z', ADM_CMD_ZERO },
		{ TAG_SET, ADM_CMD_TIMEOUT }, { 'R', ADM_CMD_RESTORE },
		{ 'S', ADM_CMD_SAVE }, { 'h', ADM_CMD_HELP },
		{ 'v', ADM_CMD_VERSION }, { TAG_RELOAD, ADM_CMD_RELOAD },
		{ TAG_START_DAEMON, ADM_CMD_STARTDAEMON },
		{ TAG_STOP_DAEMON, ADM_CMD_STOPDAEMON },
		{ TAG_ROLE, ADM_CMD_ROLE }, { TAG_STATUS, ADM_CMD_STATUS },
		{ TAG_CHECK, ADM_CMD_CHECK },
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].tag == c)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return tryhelp(p);
	p->cmd->type = cmds[i].type;
	if (c == TAG_ROLE) {
		int r = names_find(role_names, arg);

		if (r < 0)
			return fail(p, "illegal role `%s' (master, backup, takeover or fault)",
				    arg);
		p->cmd->role = (uint32_t)r;
	}
	if (c == TAG_START_DAEMON || c == TAG_STOP_DAEMON) {
		if (strcmp(arg, "master") && strcmp(arg, "backup"))
			return fail(p, c == TAG_START_DAEMON ?
				    "illegal start-daemon parameter specified" :
				    "illegal start_daemon specified");
		p->cmd->daemon.state = strcmp(arg, "master") ?
				       NFLVS_CTL_DAEMON_BACKUP :
				       NFLVS_CTL_DAEMON_MASTER;
	}
	return 0;
}

/* Checks after the options ----------------------------------------------- */

static int generic_opt_check(struct parser *p)
{
	const char *row = cmd_opts[p->cmd->type];
	const char *cname = cmd_names[p->cmd->type];
	int j, last = 0, count = 0;

	for (j = 0; j < ADM_OPT_MAX; j++) {
		if (!(p->cmd->opts & ADM_OPT(j))) {
			if (row[j] == '+')
				return fail(p, "You need to supply the '%s' "
					    "option for the '%s' command",
					    opt_names[j], cname);
			continue;
		}
		if (row[j] == 'x')
			return fail(p, "Illegal '%s' option with the '%s' "
				    "command", opt_names[j], cname);
		if (row[j] == '1' && count++)
			return fail(p, "The option '%s' conflicts with the '%s' "
				    "option in the '%s' command", opt_names[j],
				    opt_names[last], cname);
		if (row[j] == '1')
			last = j;
	}
	return 0;
}

static int tunnel_opt_check(struct parser *p)
{
	int i = p->cmd->dest.tun_type, j, last = 0, count = 0;

	for (j = 0; j < 4; j++) {
		enum adm_opt k = tun_opts[j];
		char t = tun_table[i][j];

		if (!(p->cmd->opts & ADM_OPT(k))) {
			if (t == '+')
				return fail(p, "You need to supply the '%s' "
					    "option for the '%s' tunnel type",
					    opt_names[k], tun_names[i]);
			continue;
		}
		if (t == 'x')
			return fail(p, "Illegal '%s' option with the '%s' "
				    "tunnel type", opt_names[k], tun_names[i]);
		if (t == '1' && count++)
			return fail(p, "The option '%s' conflicts with the '%s' "
				    "option in the '%s' tunnel type",
				    opt_names[k], opt_names[last], tun_names[i]);
		if (t == '1')
			last = k;
	}
	return 0;
}

static int check_service_cmd(struct parser *p)
{
	struct nflvs_ctl_svc *svc = &p->cmd->svc;

	if (!svc->fwmark && !svc->port &&
	    !(svc->flags & NFLVS_CTL_SVC_F_PERSISTENT))
		return fail(p, "Zero port specified for non-persistent service");
	if (svc->flags & NFLVS_CTL_SVC_F_ONEPACKET && !svc->fwmark &&
	    svc->protocol != IPPROTO_UDP)
		return fail(p, "One-Packet Scheduling is only for UDP virtual "
			    "services");
	if (!svc->sched[0])
		strcpy(svc->sched, ADM_DEF_SCHED);
	return 0;
}

static int check_dest_cmd(struct parser *p)
{
	const uint64_t tun = ADM_OPT(ADM_OPT_TUN_TYPE) |
			     ADM_OPT(ADM_OPT_TUN_PORT) |
			     ADM_OPT(ADM_OPT_TUN_NOCSUM) |
			     ADM_OPT(ADM_OPT_TUN_CSUM) |
			     ADM_OPT(ADM_OPT_TUN_REMCSUM);
	struct nflvs_ctl_svc *svc = &p->cmd->svc;
	struct nflvs_ctl_dest *d = &p->cmd->dest;

	/* DR and TUN cannot change the port; fwmark services have none. */
	if (!svc->fwmark && (d->fwd == NFLVS_CTL_FWD_TUN ||
			     d->fwd == NFLVS_CTL_FWD_DR))
		d->port = svc->port;
	if (d->family != svc->family && d->fwd != NFLVS_CTL_FWD_TUN)
		return fail(p, "Different address family is allowed only for "
			    "tunneling servers");
	if ((p->cmd->opts & tun) && d->fwd != NFLVS_CTL_FWD_TUN)
		return fail(p, "Tunnel options conflict with forward method");
	return tunnel_opt_check(p);
}

static int check_list_cmd(struct parser *p)
{
	uint64_t o = p->cmd->opts;
	uint64_t what = ADM_OPT(ADM_OPT_CONNECTION) | ADM_OPT(ADM_OPT_TIMEOUT) |
			ADM_OPT(ADM_OPT_DAEMON);
	uint64_t how = ADM_OPT(ADM_OPT_STATS) | ADM_OPT(ADM_OPT_RATE) |
		       ADM_OPT(ADM_OPT_THRESHOLDS);
	uint64_t td = ADM_OPT(ADM_OPT_TIMEOUT) | ADM_OPT(ADM_OPT_DAEMON);

	if (((o & what) && (o & how)) ||
	    ((o & td) && (o & ADM_OPT(ADM_OPT_PERSISTENTCONN))))
		return fail(p, "options conflicts in the list command");
	return 0;
}

/* --set's three values, then no word may be left over. */
static int check_args(struct parser *p)
{
	struct nflvs_ctl_timeout *t = &p->cmd->timeout;

	if (p->cmd->type == ADM_CMD_TIMEOUT) {
		if (p->nleft < 3)
			return fail(p, "--set option requires 3 timeout values");
		if (parse_timeout(p, p->left[0], 0, &t->tcp) ||
		    parse_timeout(p, p->left[1], 0, &t->tcp_fin) ||
		    parse_timeout(p, p->left[2], 0, &t->udp))
			return -EINVAL;
		p->lefti = 3;
	}
	if (p->lefti < p->nleft)
		return fail(p, "unexpected argument %s", p->left[p->lefti]);
	return 0;
}

static int check_all(struct parser *p, unsigned int flags)
{
	enum adm_cmd_type t = p->cmd->type;
	int err;

	err = check_args(p);
	if (!err && p->sched_flags[0])
		err = parse_sched_flags(p);
	if (!err)
		err = generic_opt_check(p);
	if (err)
		return err;
	if (t == ADM_CMD_ADD || t == ADM_CMD_EDIT)
		return check_service_cmd(p);
	if (t == ADM_CMD_ADDDEST || t == ADM_CMD_EDITDEST)
		return check_dest_cmd(p);
	if (t == ADM_CMD_LIST)
		return check_list_cmd(p);
	if (t == ADM_CMD_SAVE)
		p->cmd->fmt |= ADM_FMT_RULE;
	if (t == ADM_CMD_RESTORE && (flags & ADM_PARSE_RESTORE))
		return tryhelp(p);
	return 0;
}

static void cmd_defaults(struct adm_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->dest.weight = 1;
	cmd->dest.fwd = NFLVS_CTL_FWD_DR;
	cmd->svc.netmask = 32;
	/* ipvsadm's DEF_MCAST_IFN and default sync id */
	snprintf(cmd->daemon.mcast_ifn, sizeof(cmd->daemon.mcast_ifn), "eth0");
	cmd->daemon.syncid = 255;
}

int adm_parse(int argc, char *const argv[], const struct adm_lookup *lk,
	      unsigned int flags, struct adm_cmd *cmd, struct adm_error *err)
{
	struct parser p = {
		.argc = argc, .argv = argv, .next = 1, .lk = lk, .cmd = cmd,
		.err = err, .cur = "",
	};
	const char *arg = NULL;
	int c, r;

	cmd_defaults(cmd);
	memset(err, 0, sizeof(*err));
	p.left = calloc(argc > 0 ? argc : 1, sizeof(*p.left));
	if (!p.left)
		return fail(&p, "Memory allocation problem");
	c = get_opt(&p, &arg);
	if (c == -EINVAL) {
		r = c;
	} else if (c == 0 && p.nleft == 0) {
		cmd->type = ADM_CMD_LIST;	/* bare: list, names resolved */
		r = 0;
	} else if (c <= 0) {
		r = tryhelp(&p);
	} else {
		r = set_command(&p, c, arg);
		if (!r && cmd->type != ADM_CMD_HELP &&
		    cmd->type != ADM_CMD_VERSION) {
			while ((c = get_opt(&p, &arg)) > 0 &&
			       !(r = apply_opt(&p, c, arg)))
				;
			if (!r && c < 0)
				r = c == -EINVAL ? c : popt_fail(&p, c);
			if (!r)
				r = check_all(&p, flags);
		}
	}
	free(p.left);
	return r;
}

/* -R lines ---------------------------------------------------------------- */

void adm_argv_free(char **argv)
{
	char **a;

	if (!argv)
		return;
	for (a = argv; *a; a++)
		free(*a);
	free(argv);
}

static int argv_push(char ***argv, int *argc, const char *s, size_t len)
{
	char **n = realloc(*argv, (*argc + 2) * sizeof(**argv));

	if (!n)
		return -ENOMEM;
	*argv = n;
	n[*argc] = strndup(s, len);
	if (!n[*argc])
		return -ENOMEM;
	n[++*argc] = NULL;
	return 0;
}

int adm_split_line(const char *line, const char *prog, char ***argvp)
{
	const char *blanks = " \t\r\n\v\f";
	char **argv = NULL;
	int argc = 0;
	size_t len;

	if (argv_push(&argv, &argc, prog, strlen(prog)))
		goto oom;
	for (;;) {
		line += strspn(line, blanks);
		if (!*line || *line == '#')
			break;
		len = strcspn(line, blanks);
		if (!(argc == 1 && ((len == 7 && !strncmp(line, "ipvsadm", 7)) ||
				    (len == 8 && !strncmp(line, "nflvsadm", 8)))) &&
		    argv_push(&argv, &argc, line, len))
			goto oom;
		line += len;
	}
	*argvp = argv;
	return argc;
oom:
	adm_argv_free(argv);
	return -ENOMEM;
}
