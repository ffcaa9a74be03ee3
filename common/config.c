// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs.conf loader: libconfig does the syntax, this file everything else.
 *
 * Every group of the file has a table of its keys: name, parser, field.  A
 * walk over a group parses each key it finds into the struct and reports
 * the keys it does not know.  What depends on several keys (vip or fwmark,
 * port rules, address families, duplicates) is checked after the walk.
 * Errors are collected, never printed, so that one run reports all of them,
 * each as "FILE:LINE: KEY: message".
 */
#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include "config.h"
#include "log.h"
#include "readfile.h"

#define VAL_SHOW	72		/* bytes of a bad value shown */
#define SECS_MAX	86400.0		/* a day: beyond is a typo */

struct err_rec {
	char *msg;
	const char *file;	/* libconfig's: sorted before config_destroy */
	unsigned int line;
	size_t seq, rank;	/* order found, order of its file */
};

struct loader {
	const char *path;
	char *dir;			/* of path, for @include */
	char **incs;			/* included files named in errors */
	size_t nincs;
	struct cfg_errors *errs;
	size_t nerr;
	struct err_rec *rec;
	size_t nrec;
	char val[VAL_SHOW * 4 + 16];	/* the quoted value of a message */
	char names[192];		/* "rr wrr ...", "http and https" */
};

struct key;
typedef int key_fn(struct loader *ld, const config_setting_t *s,
		   const struct key *k, void *obj);

/* One key of a group: how to parse it and which field it fills. */
struct key {
	const char *name;
	key_fn *fn;			/* NULL: the group's code reads it */
	size_t off, size;		/* the field of the group's struct */
	long long lo, hi;		/* integers: the range */
	const char *const *names;	/* enumerations, index = value */
	const char *what;		/* enumerations, strings: in messages */
	bool (*ok)(const char *s);	/* strings: is the value valid */
	const char *hint;		/* strings: what ok() wants */
	unsigned int types;		/* typed groups: 1 << type, 0 = all */
};

#define KEY(n, f)	.name = (n), .fn = (f)
#define FIELD(t, f)	.off = offsetof(t, f), .size = sizeof(((t *)0)->f)

/* Groups whose keys depend on a "type" key (checks, tunnels). */
struct typed {
	const char *const *names;	/* type names, index = type */
	const char *noun;		/* "checks" */
	int type;			/* -1: unknown, every key goes */
};

static const char *const check_names[] = {
	[CHECK_NONE] = "none", [CHECK_TCP] = "tcp", [CHECK_HTTP] = "http",
	[CHECK_HTTPS] = "https", [CHECK_EXEC] = "exec", [CHECK_SMTP] = "smtp",
	[CHECK_DNS] = "dns", [CHECK_UDP] = "udp", [CHECK_PING] = "ping",
	[CHECK_FILE] = "file", NULL
};
/* keepalived's DNS_CHECK types (RFC 1035, 3596, 4034) */
static const struct {
	const char *name;
	uint16_t type;
} dns_types[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "MX", 15 },
	{ "TXT", 16 }, { "AAAA", 28 }, { "RRSIG", 46 }, { "DNSKEY", 48 },
};
#define DNS_TYPE_SOA	6
#define SMTP_HELO	"smtpchecker.keepalived.org"	/* keepalived's */
#define UDP_REPLY_MAX	255				/* keepalived's */
static const char *const on_failure_names[] = {
	[ON_FAILURE_REMOVE] = "remove", [ON_FAILURE_QUIESCE] = "quiesce", NULL
};
static const char *const proto_names[] = { "tcp", "udp", "sctp", NULL };

/* Errors -------------------------------------------------------------- */

static void err_push(struct loader *ld, const char *file, unsigned int line,
		     char *msg)
{
	struct err_rec *r;

	ld->nerr++;	/* counted even when memory runs out */
	if (!msg)
		return;
	if (!ld->errs || !(r = realloc(ld->rec, (ld->nrec + 1) * sizeof(*r)))) {
		free(msg);
		return;
	}
	ld->rec = r;
	r[ld->nrec] = (struct err_rec){ msg, file, line, ld->nrec, 0 };
	ld->nrec++;
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct err_rec *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * Hand the errors over in file order: checks across keys run after the
 * walk, so they are found late.  Files (@include) keep the order in which
 * they first had an error.
 */
static void err_finish(struct loader *ld)
{
	struct cfg_errors *e = ld->errs;
	size_t i, j;

	for (i = 0; i < ld->nrec; i++) {
		ld->rec[i].rank = i;
		for (j = 0; j < i; j++) {
			if (ld->rec[j].rank == j &&
			    !strcmp(ld->rec[j].file, ld->rec[i].file)) {
				ld->rec[i].rank = j;
				break;
			}
		}
	}
	if (ld->nrec > 1)
		qsort(ld->rec, ld->nrec, sizeof(*ld->rec), rec_cmp);
	if (e && ld->nrec && (e->msg = calloc(ld->nrec, sizeof(char *)))) {
		for (i = 0; i < ld->nrec; i++)
			e->msg[i] = ld->rec[i].msg;
		e->n = ld->nrec;
	} else {
		for (i = 0; i < ld->nrec; i++)
			free(ld->rec[i].msg);
	}
	free(ld->rec);
	ld->rec = NULL;
	ld->nrec = 0;
}

static void err_vkey(struct loader *ld, const config_setting_t *at,
		     const char *key, const char *fmt, va_list ap)
{
	const char *file = at ? config_setting_source_file(at) : NULL;
	unsigned int line = at ? config_setting_source_line(at) : 0;
	const char *dir = "";
	char msg[1024], *s;

	if (!file)
		file = ld->path;
	/* libconfig names an included file as @include wrote it. */
	if (*file != '/' && strcmp(file, ld->path) && ld->dir)
		dir = ld->dir;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (asprintf(&s, "%s%s%s:%u: %s: %s", dir, *dir ? "/" : "", file,
		     line, key, msg) < 0)
		s = NULL;
	err_push(ld, file, line, s);
}

/* An error about @key, missing from the group @at. */
static void __attribute__((format(printf, 4, 5)))
err_key(struct loader *ld, const config_setting_t *at, const char *key,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vkey(ld, at, key, fmt, ap);
	va_end(ap);
}

/* "services[1]", "argv[0]": list elements have no name of their own. */
static const char *setting_key(const config_setting_t *s, char *buf,
			       size_t len)
{
	const config_setting_t *p = config_setting_parent(s);
	char pbuf[128];

	if (config_setting_name(s))
		return config_setting_name(s);
	if (!p)
		return "(top level)";
	if (snprintf(buf, len, "%s[%d]", setting_key(p, pbuf, sizeof(pbuf)),
		     config_setting_index(s)) >= (int)len)
		buf[len - 2] = '~';	/* cut: show it */
	return buf;
}

/*
 * A setting already reported is marked by its libconfig hook (which
 * nothing else here uses): one look, however many errors there are.
 */
static char bad_mark;

static bool bad(const struct loader *ld, const config_setting_t *s)
{
	(void)ld;
	return s && config_setting_get_hook(s) == &bad_mark;
}

/* An error about the setting @s itself. */
static void __attribute__((format(printf, 3, 4)))
err_set(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char key[160];
	va_list ap;

	va_start(ap, fmt);
	err_vkey(ld, s, setting_key(s, key, sizeof(key)), fmt, ap);
	va_end(ap);
	if (s)
		config_setting_set_hook((config_setting_t *)s, &bad_mark);
}

/* Values in messages --------------------------------------------------- */

/* Quote @s on one line: messages go to logs and terminals. */
static void quote_str(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; s[i] && o + 8 < len; i++) {
		unsigned char c = s[i];

		if (i == VAL_SHOW) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = c;
		} else if (c < 0x20 || c == 0x7f) {
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		} else {
			buf[o++] = c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* The value of @s as the file would show it, quoted. */
static const char *qv(struct loader *ld, const config_setting_t *s)
{
	bool hex = config_setting_get_format(s) == CONFIG_FORMAT_HEX;
	char *b = ld->val;
	size_t n = sizeof(ld->val);

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		quote_str(config_setting_get_string(s), b, n);
		break;
	case CONFIG_TYPE_INT:
		if (hex)
			snprintf(b, n, "\"0x%x\"", config_setting_get_int(s));
		else
			snprintf(b, n, "\"%d\"", config_setting_get_int(s));
		break;
	case CONFIG_TYPE_INT64:
		snprintf(b, n, hex ? "\"0x%llx\"" : "\"%lld\"",
			 config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(b, n, "\"%g", config_setting_get_float(s));
		if (!strpbrk(b, ".en"))	/* 80.0 is not the integer 80 */
			strcat(b, ".0");
		strcat(b, "\"");
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(b, n, "\"%s\"",
			 config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_GROUP:
		snprintf(b, n, "(a group)");
		break;
	default:
		snprintf(b, n, "(a list)");
		break;
	}
	return b;
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	default:
		return "a list";
	}
}

static int err_type(struct loader *ld, const config_setting_t *s,
		    const char *want)
{
	if (config_setting_is_aggregate(s))
		err_set(ld, s, "expected %s, got %s", want, type_name(s));
	else
		err_set(ld, s, "expected %s, got %s %s", want, type_name(s),
			qv(ld, s));
	return -1;
}

/* "rr wrr lc" */
static const char *names_join(struct loader *ld, const char *const *names)
{
	size_t o = 0;

	ld->names[0] = '\0';
	for (; *names && o < sizeof(ld->names); names++)
		o += snprintf(ld->names + o, sizeof(ld->names) - o, "%s%s",
			      o ? " " : "", *names);
	return ld->names;
}

/* "http and https": the types of @mask. */
static const char *types_join(struct loader *ld, const char *const *names,
			      unsigned int mask)
{
	int i, n = 0, left = __builtin_popcount(mask);
	size_t o = 0;

	ld->names[0] = '\0';
	for (i = 0; names[i] && o < sizeof(ld->names); i++) {
		if (!(mask & 1u << i))
			continue;
		o += snprintf(ld->names + o, sizeof(ld->names) - o, "%s%s",
			      !n ? "" : n == left - 1 ? " and " : ", ",
			      names[i]);
		n++;
	}
	return ld->names;
}

/* Typed values ---------------------------------------------------------- */

static int get_int(struct loader *ld, const config_setting_t *s,
		   long long lo, long long hi, long long *v)
{
	*v = 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		*v = config_setting_get_int(s);
		/* libconfig 1.5 reads 0xffffffff into an int: -1. */
		if (config_setting_get_format(s) == CONFIG_FORMAT_HEX)
			*v = (uint32_t)*v;
		break;
	case CONFIG_TYPE_INT64:
		*v = config_setting_get_int64(s);
		break;
	default:
		return err_type(ld, s, "an integer");
	}
	if (*v >= lo && *v <= hi)
		return 0;
	/* libconfig 1.5 silently wraps decimals above INT_MAX. */
	err_set(ld, s, "out of range %s (expected %lld..%lld%s)", qv(ld, s),
		lo, hi, hi > INT_MAX ?
		"; above 2147483647 write hex or add an L suffix" : "");
	return -1;
}

static int get_str(struct loader *ld, const config_setting_t *s,
		   const char **v)
{
	*v = "";
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return err_type(ld, s, "a string");
	*v = config_setting_get_string(s);
	return 0;
}

/* The index of the string @s in @names, or -1 and an error. */
static int enum_get(struct loader *ld, const config_setting_t *s,
		    const char *const *names, const char *what)
{
	const char *v;
	int i;

	if (get_str(ld, s, &v))
		return -1;
	i = names_find(names, v);
	if (i < 0)
		err_set(ld, s, "unknown %s %s (expected one of %s)", what,
			qv(ld, s), names_join(ld, names));
	return i;
}

static const config_setting_t *member(const config_setting_t *g,
				      const char *name)
{
	if (!g || !config_setting_is_group(g))
		return NULL;
	return config_setting_get_member(g, name);
}

static bool is_list(const config_setting_t *s)
{
	return config_setting_is_list(s) || config_setting_is_array(s);
}

static char *xstrdup(struct loader *ld, const config_setting_t *s,
		     const char *v)
{
	char *p = strdup(v);

	if (!p)
		err_set(ld, s, "out of memory");
	return p;
}

/* Key parsers ------------------------------------------------------------ */

static void *field(void *obj, const struct key *k)
{
	return (char *)obj + k->off;
}

/* Fields are int, enum or uintN_t; every range is >= 0. */
static void store_uint(void *p, size_t size, unsigned long long v)
{
	uint8_t v8 = v;
	uint16_t v16 = v;
	uint32_t v32 = v;

	if (size == sizeof(v8))
		memcpy(p, &v8, size);
	else if (size == sizeof(v16))
		memcpy(p, &v16, size);
	else
		memcpy(p, &v32, sizeof(v32));
}

static int key_int(struct loader *ld, const config_setting_t *s,
		   const struct key *k, void *obj)
{
	long long v;

	if (get_int(ld, s, k->lo, k->hi, &v))
		return -1;
	store_uint(field(obj, k), k->size, v);
	return 0;
}

static int key_bool(struct loader *ld, const config_setting_t *s,
		    const struct key *k, void *obj)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return err_type(ld, s, "a boolean");
	*(bool *)field(obj, k) = config_setting_get_bool(s);
	return 0;
}

/* Seconds: 1 and 1.0 are both fine. */
static int key_secs(struct loader *ld, const config_setting_t *s,
		    const struct key *k, void *obj)
{
	double v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return err_type(ld, s, "a number of seconds");
	}
	if (!(v > 0 && v <= SECS_MAX)) {
		err_set(ld, s, "out of range %s (expected seconds above 0, "
			"at most %.0f)", qv(ld, s), SECS_MAX);
		return -1;
	}
	*(double *)field(obj, k) = v;
	return 0;
}

static int key_enum(struct loader *ld, const config_setting_t *s,
		    const struct key *k, void *obj)
{
	int i = enum_get(ld, s, k->names, k->what);

	if (i < 0)
		return -1;
	store_uint(field(obj, k), k->size, i);
	return 0;
}

/* An enumeration kept as its name (scheduler, log level). */
static int key_enum_str(struct loader *ld, const config_setting_t *s,
			const struct key *k, void *obj)
{
	int i = enum_get(ld, s, k->names, k->what);

	if (i < 0)
		return -1;
	snprintf(field(obj, k), k->size, "%s", k->names[i]);
	return 0;
}

/* A string that k->ok() accepts and, if @max, shorter than @max. */
static int get_valid_str(struct loader *ld, const config_setting_t *s,
			 const struct key *k, size_t max, const char **v)
{
	if (get_str(ld, s, v))
		return -1;
	if ((max && strlen(*v) >= max) || !k->ok(*v)) {
		err_set(ld, s, "%s %s %s", k->what, qv(ld, s), k->hint);
		return -1;
	}
	return 0;
}

/* A string into a char[] field. */
static int key_strbuf(struct loader *ld, const config_setting_t *s,
		      const struct key *k, void *obj)
{
	const char *v;

	if (get_valid_str(ld, s, k, k->size, &v))
		return -1;
	memcpy(field(obj, k), v, strlen(v) + 1);
	return 0;
}

/* A string into a malloc'd char * field, replacing an inherited one. */
static int key_strdup(struct loader *ld, const config_setting_t *s,
		      const struct key *k, void *obj)
{
	char **p = field(obj, k);
	const char *v;

	if (get_valid_str(ld, s, k, 0, &v))
		return -1;
	free(*p);
	*p = xstrdup(ld, s, v);
	return *p ? 0 : -1;
}

static int key_addr(struct loader *ld, const config_setting_t *s,
		    const struct key *k, void *obj)
{
	const char *v;

	if (get_str(ld, s, &v))
		return -1;
	if (addr_parse(v, field(obj, k)) < 0) {
		err_set(ld, s, "invalid IP address %s", qv(ld, s));
		return -1;
	}
	return 0;
}

static int key_mark_mask(struct loader *ld, const config_setting_t *s,
			 const struct key *k, void *obj)
{
	long long v;
	uint32_t m, run;

	if (get_int(ld, s, 0, UINT32_MAX, &v))
		return -1;
	m = v;
	run = m ? m >> __builtin_ctz(m) : 0;
	/* Marks are packed into the mask's bits: they must be one run. */
	if (!m || (run & (run + 1)) || __builtin_popcount(m) < 2) {
		err_set(ld, s, "not one contiguous run of at least 2 bits %s",
			qv(ld, s));
		return -1;
	}
	*(uint32_t *)field(obj, k) = m;
	return 0;
}

static int key_proto(struct loader *ld, const config_setting_t *s,
		     const struct key *k, void *obj)
{
	const char *v;
	int p;

	if (get_str(ld, s, &v))
		return -1;
	p = proto_parse(v);	/* any case: "TCP" is common */
	if (p < 0) {
		err_set(ld, s, "unknown protocol %s (expected one of %s)",
			qv(ld, s), names_join(ld, proto_names));
		return -1;
	}
	store_uint(field(obj, k), k->size, p);
	return 0;
}

static int key_sched_flags(struct loader *ld, const config_setting_t *s,
			   const struct key *k, void *obj)
{
	uint32_t flags = 0;
	const char *v;
	int i, f, rc = 0;

	if (!is_list(s))
		return err_type(ld, s, "a list of strings");
	for (i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (get_str(ld, e, &v)) {
			rc = -1;
		} else if ((f = sched_flag_parse(v)) < 0) {
			err_set(ld, e, "unknown scheduler flag %s (expected "
				"one of %s)", qv(ld, e),
				names_join(ld, sched_flag_names));
			rc = -1;
		} else {
			flags |= f;
		}
	}
	*(uint32_t *)field(obj, k) = flags;
	return rc;
}

static int key_sorry(struct loader *ld, const config_setting_t *s,
		     const struct key *k, void *obj)
{
	struct cfg_service *svc = obj;
	const char *v;

	(void)k;
	if (get_str(ld, s, &v))
		return -1;
	if (addr_port_parse(v, &svc->sorry_addr, &svc->sorry_port) < 0) {
		err_set(ld, s, "invalid address and port %s (expected "
			"ADDR:PORT or [IPV6]:PORT)", qv(ld, s));
		return -1;
	}
	svc->has_sorry = true;
	return 0;
}

static void argv_clear(char **argv)
{
	size_t i;

	for (i = 0; i < CFG_ARGV_MAX + 1 && argv[i]; i++) {
		free(argv[i]);
		argv[i] = NULL;
	}
}

/*
 * A command line: a non-empty list of non-empty strings, argv[0] absolute
 * (no PATH search in a root daemon).  Fills @out (CFG_ARGV_MAX + 1 NULLs)
 * and returns argc, or -1 with @out left empty.
 */
static int argv_parse(struct loader *ld, const config_setting_t *s,
		      char **out)
{
	int i, n, rc = 0;
	const char *v;

	if (!is_list(s))
		return err_type(ld, s, "a list of strings");
	n = config_setting_length(s);
	if (n == 0 || n > CFG_ARGV_MAX) {
		err_set(ld, s, "expected 1 to %d arguments, got %d",
			CFG_ARGV_MAX, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (get_str(ld, e, &v)) {
			rc = -1;
		} else if (!*v) {
			err_set(ld, e, "empty argument");
			rc = -1;
		} else if (i == 0 && *v != '/') {
			err_set(ld, e, "not an absolute path %s", qv(ld, e));
			rc = -1;
		} else if (!rc && !(out[i] = xstrdup(ld, e, v))) {
			rc = -1;
		}
	}
	if (rc)
		argv_clear(out);
	return rc ? -1 : n;
}

static int key_notify(struct loader *ld, const config_setting_t *s,
		      const struct key *k, void *obj)
{
	char *tmp[CFG_ARGV_MAX + 1] = { NULL };
	char ***p = field(obj, k);
	int n = argv_parse(ld, s, tmp);

	if (n < 0)
		return -1;
	*p = calloc(n + 1, sizeof(char *));
	if (!*p) {
		argv_clear(tmp);
		err_set(ld, s, "out of memory");
		return -1;
	}
	memcpy(*p, tmp, n * sizeof(char *));
	return 0;
}

static int key_check_argv(struct loader *ld, const config_setting_t *s,
			  const struct key *k, void *obj)
{
	struct cfg_check *c = obj;

	(void)k;
	argv_clear(c->argv);	/* replaces the service's */
	return argv_parse(ld, s, c->argv) < 0 ? -1 : 0;
}

static int key_dns_type(struct loader *ld, const config_setting_t *s,
			const struct key *k, void *obj)
{
	struct cfg_check *c = obj;
	const char *v;
	int t;

	(void)k;
	if (get_str(ld, s, &v))
		return -1;
	t = dns_type_parse(v);
	if (t < 0) {
		err_set(ld, s, "unknown DNS query type %s (expected one of "
			"A NS CNAME SOA MX TXT AAAA RRSIG DNSKEY)", qv(ld, s));
		return -1;
	}
	c->query_type = t;
	return 0;
}

static void bytes_clear(struct cfg_bytes *b)
{
	free(b->data);
	free(b->mask);
	memset(b, 0, sizeof(*b));
}

/* Hex into @b; @wild: x digits allowed (a mask is kept if one is used). */
static int get_hex(struct loader *ld, const config_setting_t *s, bool wild,
		   struct cfg_bytes *b)
{
	const char *v = config_setting_get_string(s);
	size_t max = strlen(v) / 2 + 1, i;
	uint8_t *data = malloc(max), *mask = wild ? malloc(max) : NULL;
	int n = -ENOMEM;

	if (data && (mask || !wild))
		n = config_hex_parse(v, data, mask, max > CFG_UDP_MAX ?
				     CFG_UDP_MAX : max);
	if (n < 0) {
		free(data);
		free(mask);
		if (n == -ENOMEM)
			err_set(ld, s, "out of memory");
		else if (n == -E2BIG)
			err_set(ld, s, "more than %d bytes", CFG_UDP_MAX);
		else
			err_set(ld, s, "invalid hex string %s (expected hex "
				"digits%s, groups separated by spaces)",
				qv(ld, s), wild ? " or x" : "");
		return -1;
	}
	for (i = 0; mask && i < (size_t)n && !mask[i]; i++)
		;
	if (mask && i == (size_t)n) {	/* no wildcard: every bit counts */
		free(mask);
		mask = NULL;
	}
	bytes_clear(b);
	*b = (struct cfg_bytes){ data, mask, n };
	return 0;
}

static int key_payload(struct loader *ld, const config_setting_t *s,
		       const struct key *k, void *obj)
{
	struct cfg_check *c = obj;

	(void)k;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return err_type(ld, s, "a string of hex digits");
	return get_hex(ld, s, false, &c->payload);
}

/* keepalived's "require_reply [HEX]": true, false or the bytes. */
static int key_require_reply(struct loader *ld, const config_setting_t *s,
			     const struct key *k, void *obj)
{
	struct cfg_check *c = obj;

	(void)k;
	if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
		c->require_reply = config_setting_get_bool(s);
		bytes_clear(&c->reply);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return err_type(ld, s, "a boolean or a string of hex digits");
	if (get_hex(ld, s, true, &c->reply))
		return -1;
	c->require_reply = true;
	return 0;
}

/* "200", "200-299": codes 100..599, low <= high. */
static bool status_str(const char *v, struct cfg_status_range *r)
{
	unsigned long lo, hi;
	char *end;

	if (*v < '0' || *v > '9')
		return false;
	lo = hi = strtoul(v, &end, 10);
	if (*end == '-') {
		v = end + 1;
		if (*v < '0' || *v > '9')
			return false;
		hi = strtoul(v, &end, 10);
	}
	if (*end || lo < 100 || hi > 599 || lo > hi)
		return false;
	r->lo = lo;
	r->hi = hi;
	return true;
}

static int status_one(struct loader *ld, const config_setting_t *e,
		      struct cfg_status_range *r)
{
	long long v;

	switch (config_setting_type(e)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (get_int(ld, e, 100, 599, &v))
			return -1;
		r->lo = r->hi = v;
		return 0;
	case CONFIG_TYPE_STRING:
		if (status_str(config_setting_get_string(e), r))
			return 0;
		err_set(ld, e, "invalid status range %s (expected CODE or "
			"LOW-HIGH, codes 100 to 599)", qv(ld, e));
		return -1;
	default:
		return err_type(ld, e, "a string or an integer");
	}
}

static int key_status(struct loader *ld, const config_setting_t *s,
		      const struct key *k, void *obj)
{
	struct cfg_status_range r[CFG_STATUS_MAX];
	struct cfg_check *c = obj;
	int i, n = 1, rc = 0;

	(void)k;
	if (config_setting_is_group(s))
		return err_type(ld, s, "a string or a list of strings");
	if (!is_list(s)) {
		rc = status_one(ld, s, &r[0]);
	} else {
		n = config_setting_length(s);
		if (n == 0 || n > CFG_STATUS_MAX) {
			err_set(ld, s, "expected 1 to %d ranges, got %d",
				CFG_STATUS_MAX, n);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (status_one(ld, config_setting_get_elem(s, i),
				       &r[i]))
				rc = -1;
	}
	if (rc)
		return -1;
	memcpy(c->status, r, n * sizeof(r[0]));
	c->nstatus = n;
	return 0;
}

/* String validity --------------------------------------------------------- */

static bool chars_ok(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr(extra, *s))
			return false;
	return true;
}

/* nft accepts longer names, but 31 keeps "nft list" readable. */
static bool table_ok(const char *s)
{
	return *s && strlen(s) <= 31 && chars_ok(s, "_-");
}

static bool name_ok(const char *s)
{
	return *s && chars_ok(s, "_.-");
}

static bool sock_path_ok(const char *s)
{
	return *s == '/';	/* the length is sun_path's, checked by size */
}

/* shm_open(3): one leading slash and nothing else. */
static bool shm_ok(const char *s)
{
	return s[0] == '/' && s[1] && !strchr(s + 1, '/');
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static bool user_ok(const char *s)
{
	return printable(s);	/* "" = do not change user */
}

/* A port alone: the metrics endpoint on the loopback address. */
static bool port_only(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n && n <= 5 && !s[n] && atoi(s) >= 1 && atoi(s) <= 65535;
}

/* Where the Prometheus endpoint listens: "" (off), PORT (on 127.0.0.1)
 * or ADDRESS:PORT. */
static bool metrics_ok(const char *s)
{
	struct nflvs_addr a;
	uint16_t port;

	return !*s || port_only(s) ||
	       (addr_port_parse(s, &a, &port) == 0 && port);
}

/* Another director: "" (none) or address:port, no port-alone form. */
static bool peer_ok(const char *s)
{
	struct nflvs_addr a;
	uint16_t port;

	return !*s || (addr_port_parse(s, &a, &port) == 0 && port);
}

/* It goes into a request line: no spaces, no CR LF smuggling. */
static bool http_path_ok(const char *s)
{
	return *s == '/' && printable(s);
}

static bool http_host_ok(const char *s)
{
	return *s && printable(s);
}

/* An MD5 digest as keepalived's genhash prints it: 32 hex digits. */
static bool md5_hex_ok(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdefABCDEF") == 32;
}

static bool nonempty(const char *s)
{
	return *s;
}

static bool helo_ok(const char *s)
{
	return *s && strlen(s) <= CFG_HELO_MAX && printable(s);
}

/* A file to read: absolute, no control characters (it goes to logs). */
static bool file_path_ok(const char *s)
{
	if (*s != '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Tables of keys ------------------------------------------------------- */

#define T_HTTP	((1u << CHECK_HTTP) | (1u << CHECK_HTTPS))
/* every type that probes a port */
#define T_PORT	(((1u << (CHECK_FILE + 1)) - 1) & \
		 ~((1u << CHECK_PING) | (1u << CHECK_FILE)))
#define T_UDP	(1u << CHECK_UDP)
#define T_FILE	(1u << CHECK_FILE)

static const struct key top_keys[] = {
	{ KEY("director", NULL) },
	{ KEY("sync", NULL) },
	{ KEY("services", NULL) },
	{ NULL }
};

static const struct key director_keys[] = {
	{ KEY("table", key_strbuf), FIELD(struct cfg_director, table),
	  .ok = table_ok, .what = "invalid table name",
	  .hint = "(expected 1 to 31 of A-Z a-z 0-9 _ -)" },
	{ KEY("queue", key_int), FIELD(struct cfg_director, queue),
	  .lo = 0, .hi = 65535 },
	{ KEY("queues", key_int), FIELD(struct cfg_director, queues),
	  .lo = 1, .hi = 64 },
	{ KEY("mark_mask", key_mark_mask),
	  FIELD(struct cfg_director, mark_mask) },
	{ KEY("route_table", key_int), FIELD(struct cfg_director, route_table),
	  .lo = 1, .hi = 0x7fff0000 },
	{ KEY("route_pref", key_int), FIELD(struct cfg_director, route_pref),
	  .lo = 1, .hi = 32000 },
	{ KEY("control", key_strbuf), FIELD(struct cfg_director, control),
	  .ok = sock_path_ok, .what = "invalid socket path",
	  .hint = "(expected an absolute path shorter than 108 bytes)" },
	{ KEY("shm", key_strbuf), FIELD(struct cfg_director, shm),
	  .ok = shm_ok, .what = "invalid shared memory name",
	  .hint = "(expected /NAME with no other '/', shorter than 64 bytes)" },
	{ KEY("syslog", key_bool), FIELD(struct cfg_director, syslog) },
	{ KEY("kernel_schedule", key_bool),
	  FIELD(struct cfg_director, kernel_schedule) },
	{ KEY("log_level", key_enum_str), FIELD(struct cfg_director, log_level),
	  .names = log_level_names, .what = "log level" },
	{ KEY("user", key_strbuf), FIELD(struct cfg_director, user),
	  .ok = user_ok, .what = "invalid user name",
	  .hint = "(expected no spaces, shorter than 64 bytes)" },
	{ KEY("script_user", key_strbuf),
	  FIELD(struct cfg_director, script_user),
	  .ok = user_ok, .what = "invalid user name",
	  .hint = "(expected no spaces, shorter than 64 bytes)" },
	{ KEY("control_group", key_strbuf),
	  FIELD(struct cfg_director, control_group),
	  .ok = user_ok, .what = "invalid group name",
	  .hint = "(expected no spaces, shorter than 64 bytes)" },
	{ KEY("metrics", key_strbuf), FIELD(struct cfg_director, metrics),
	  .ok = metrics_ok, .what = "invalid metrics address",
	  .hint = "(expected PORT, ADDRESS:PORT, [IPv6]:PORT, or \"\" for off)" },
	{ KEY("peer", key_strbuf), FIELD(struct cfg_director, peer),
	  .ok = peer_ok, .what = "invalid peer address",
	  .hint = "(expected ADDRESS:PORT, [IPv6]:PORT, or \"\" for none)" },
	{ NULL }
};

static const char *const sync_state_names[] = {
	"none", "master", "backup", NULL
};

static bool ifname_ok(const char *s)
{
	return *s && chars_ok(s, "_-.@");
}

static const struct key sync_keys[] = {
	{ KEY("state", key_enum), FIELD(struct cfg_sync, state),
	  .names = sync_state_names, .what = "sync state" },
	{ KEY("interface", key_strbuf), FIELD(struct cfg_sync, interface),
	  .ok = ifname_ok, .what = "invalid interface name",
	  .hint = "(expected 1 to 15 of A-Z a-z 0-9 _ - . @)" },
	{ KEY("syncid", key_int), FIELD(struct cfg_sync, syncid),
	  .lo = 0, .hi = 255 },
	{ KEY("peer", key_addr), FIELD(struct cfg_sync, peer) },
	{ KEY("group", key_addr), FIELD(struct cfg_sync, group) },
	{ KEY("port", key_int), FIELD(struct cfg_sync, port),
	  .lo = 1, .hi = 65535 },
	{ KEY("ttl", key_int), FIELD(struct cfg_sync, ttl), .lo = 1, .hi = 255 },
	{ KEY("maxlen", key_int), FIELD(struct cfg_sync, maxlen),
	  .lo = 84, .hi = 65535 - 20 - 8 },
	{ KEY("refresh", key_secs), FIELD(struct cfg_sync, refresh) },
	{ NULL }
};

static const struct key svc_keys[] = {
	{ KEY("name", key_strbuf), FIELD(struct cfg_service, name),
	  .ok = name_ok, .what = "invalid service name",
	  .hint = "(expected 1 to 63 of A-Z a-z 0-9 _ . -)" },
	{ KEY("fwmark", key_int), FIELD(struct cfg_service, fwmark),
	  .lo = 1, .hi = UINT32_MAX },
	{ KEY("vip", key_addr), FIELD(struct cfg_service, vip) },
	{ KEY("port", key_int), FIELD(struct cfg_service, port),
	  .lo = 0, .hi = 65535 },
	{ KEY("protocol", key_proto), FIELD(struct cfg_service, protocol) },
	{ KEY("scheduler", key_enum_str), FIELD(struct cfg_service, scheduler),
	  .names = sched_names, .what = "scheduler" },
	{ KEY("scheduler_flags", key_sched_flags),
	  FIELD(struct cfg_service, sched_flags) },
	{ KEY("forward", key_enum), FIELD(struct cfg_service, fwd),
	  .names = fwd_names, .what = "forwarding method" },
	{ KEY("persistence", key_int), FIELD(struct cfg_service, persistence),
	  .lo = 0, .hi = INT_MAX },
	{ KEY("persistence_netmask", key_int),
	  FIELD(struct cfg_service, persistence_netmask), .lo = 1, .hi = 128 },
	{ KEY("one_packet", key_bool), FIELD(struct cfg_service, one_packet) },
	{ KEY("sorry_server", key_sorry) },
	{ KEY("quorum", key_int), FIELD(struct cfg_service, quorum),
	  .lo = 1, .hi = UINT32_MAX },
	{ KEY("check", NULL) },
	{ KEY("real_servers", NULL) },
	{ NULL }
};

static const struct key rs_keys[] = {
	{ KEY("address", key_addr), FIELD(struct cfg_rs, addr) },
	{ KEY("port", key_int), FIELD(struct cfg_rs, port),
	  .lo = 0, .hi = 65535 },
	{ KEY("weight", key_int), FIELD(struct cfg_rs, weight),
	  .lo = 0, .hi = 65535 },
	{ KEY("forward", key_enum), FIELD(struct cfg_rs, fwd),
	  .names = fwd_names, .what = "forwarding method" },
	{ KEY("tunnel", NULL) },
	{ KEY("upper_threshold", key_int),
	  FIELD(struct cfg_rs, upper_threshold), .lo = 0, .hi = UINT32_MAX },
	{ KEY("lower_threshold", key_int),
	  FIELD(struct cfg_rs, lower_threshold), .lo = 0, .hi = UINT32_MAX },
	{ KEY("check", NULL) },
	{ KEY("notify_up", key_notify), FIELD(struct cfg_rs, notify_up) },
	{ KEY("notify_down", key_notify), FIELD(struct cfg_rs, notify_down) },
	{ NULL }
};

static const struct key check_keys[] = {
	{ KEY("type", NULL) },
	{ KEY("interval", key_secs), FIELD(struct cfg_check, interval) },
	{ KEY("timeout", key_secs), FIELD(struct cfg_check, timeout) },
	{ KEY("rise", key_int), FIELD(struct cfg_check, rise),
	  .lo = 1, .hi = INT_MAX },
	{ KEY("fall", key_int), FIELD(struct cfg_check, fall),
	  .lo = 1, .hi = INT_MAX },
	{ KEY("connect_port", key_int), FIELD(struct cfg_check, connect_port),
	  .lo = 0, .hi = 65535, .types = T_PORT },
	{ KEY("path", key_strdup), FIELD(struct cfg_check, path),
	  .types = T_HTTP, .ok = http_path_ok, .what = "invalid HTTP path",
	  .hint = "(expected '/' first, no spaces or control characters)" },
	{ KEY("host", key_strdup), FIELD(struct cfg_check, host),
	  .types = T_HTTP, .ok = http_host_ok, .what = "invalid HTTP host",
	  .hint = "(expected no spaces or control characters)" },
	{ KEY("status", key_status), .types = T_HTTP },
	{ KEY("expect", key_strdup), FIELD(struct cfg_check, expect),
	  .types = T_HTTP, .ok = nonempty, .what = "invalid expect string",
	  .hint = "(expected a non-empty body substring)" },
	{ KEY("digest", key_strdup), FIELD(struct cfg_check, digest),
	  .types = T_HTTP, .ok = md5_hex_ok, .what = "invalid MD5 digest",
	  .hint = "(expected 32 hex digits)" },
	{ KEY("verify_tls", key_bool), FIELD(struct cfg_check, verify_tls),
	  .types = 1u << CHECK_HTTPS },
	{ KEY("argv", key_check_argv), .types = 1u << CHECK_EXEC },
	{ KEY("helo_name", key_strdup), FIELD(struct cfg_check, helo_name),
	  .types = 1u << CHECK_SMTP, .ok = helo_ok, .what = "invalid HELO name",
	  .hint = "(expected 1 to 255 characters, no spaces or control "
		  "characters)" },
	{ KEY("query_type", key_dns_type), .types = 1u << CHECK_DNS },
	{ KEY("query_name", key_strdup), FIELD(struct cfg_check, query_name),
	  .types = 1u << CHECK_DNS, .ok = config_dns_name_ok,
	  .what = "invalid DNS name",
	  .hint = "(expected labels of 1 to 63 bytes separated by dots, at "
		  "most 253 characters, or \".\")" },
	{ KEY("payload", key_payload), .types = T_UDP },
	{ KEY("require_reply", key_require_reply), .types = T_UDP },
	{ KEY("min_reply_length", key_int),
	  FIELD(struct cfg_check, min_reply_length), .lo = 0, .hi = 65535,
	  .types = T_UDP },
	{ KEY("max_reply_length", key_int),
	  FIELD(struct cfg_check, max_reply_length), .lo = 0, .hi = 65535,
	  .types = T_UDP },
	{ KEY("file", key_strdup), FIELD(struct cfg_check, file),
	  .types = T_FILE, .ok = file_path_ok, .what = "invalid file name",
	  .hint = "(expected an absolute path, no control characters)" },
	{ KEY("file_weight", key_int), FIELD(struct cfg_check, file_weight),
	  .lo = -2147483647, .hi = 2147483647, .types = T_FILE },
	{ KEY("reverse", key_bool), FIELD(struct cfg_check, reverse),
	  .types = T_FILE },
	{ KEY("on_failure", key_enum), FIELD(struct cfg_check, on_failure),
	  .names = on_failure_names, .what = "on_failure action" },
	{ KEY("expire_connections", key_bool),
	  FIELD(struct cfg_check, expire_connections) },
	{ NULL }
};

static const struct key tunnel_keys[] = {
	{ KEY("type", NULL) },
	{ KEY("port", key_int), FIELD(struct cfg_tunnel, port),
	  .lo = 1, .hi = 65535, .types = 1u << TUN_GUE },
	{ KEY("csum", key_bool), FIELD(struct cfg_tunnel, csum),
	  .types = (1u << TUN_GUE) | (1u << TUN_GRE) },
	{ NULL }
};

static const struct key *key_find(const struct key *keys, const char *name)
{
	for (; keys->name; keys++)
		if (!strcmp(keys->name, name))
			return keys;
	return NULL;
}

/*
 * Parse every key of the group @g into @obj.  @where tells users which
 * group an unknown key was found in; @ty, if not NULL, rejects the keys
 * that do not apply to the group's type.
 */
static void group_walk(struct loader *ld, const config_setting_t *g,
		       const struct key *keys, void *obj, const char *where,
		       const struct typed *ty)
{
	const struct key *k;
	int i;

	for (i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);

		k = key_find(keys, name);
		if (!k) {
			err_set(ld, s, "unknown key \"%s\" %s", name, where);
		} else if (ty && ty->type >= 0 && k->types &&
			   !(k->types & 1u << ty->type)) {
			err_set(ld, s, "only valid for %s %s %s",
				types_join(ld, ty->names, k->types), ty->noun,
				qv(ld, s));
		} else if (k->fn) {
			k->fn(ld, s, k, obj);
		}
	}
}

/* Checks ------------------------------------------------------------------ */

static void check_defaults(struct cfg_check *c)
{
	memset(c, 0, sizeof(*c));
	c->type = CHECK_NONE;
	c->interval = 1.0;
	c->timeout = 0.5;
	c->rise = 2;
	c->fall = 2;
	c->verify_tls = true;
	c->on_failure = ON_FAILURE_REMOVE;
	c->query_type = DNS_TYPE_SOA;
	c->max_reply_length = UDP_REPLY_MAX;
	c->file_weight = 1;
}

static void check_free(struct cfg_check *c)
{
	free(c->path);
	free(c->host);
	free(c->expect);
	free(c->digest);
	argv_clear(c->argv);
	free(c->helo_name);
	free(c->query_name);
	bytes_clear(&c->payload);
	bytes_clear(&c->reply);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *p = s ? strdup(s) : NULL;

	if (s && !p)
		*oom = true;
	return p;
}

static uint8_t *mem_dup(const uint8_t *p, size_t len, bool *oom)
{
	uint8_t *d = p ? malloc(len ? len : 1) : NULL;

	if (p && !d)
		*oom = true;
	else if (d)
		memcpy(d, p, len);
	return d;
}

static void bytes_dup(struct cfg_bytes *dst, const struct cfg_bytes *src,
		      bool *oom)
{
	dst->data = mem_dup(src->data, src->len, oom);
	dst->mask = mem_dup(src->mask, src->len, oom);
	dst->len = src->len;
}

static bool check_dup(struct cfg_check *dst, const struct cfg_check *src)
{
	bool oom = false;
	int i;

	*dst = *src;
	dst->path = dup_or_null(src->path, &oom);
	dst->host = dup_or_null(src->host, &oom);
	dst->expect = dup_or_null(src->expect, &oom);
	dst->digest = dup_or_null(src->digest, &oom);
	for (i = 0; src->argv[i]; i++)
		dst->argv[i] = dup_or_null(src->argv[i], &oom);
	dst->helo_name = dup_or_null(src->helo_name, &oom);
	dst->query_name = dup_or_null(src->query_name, &oom);
	bytes_dup(&dst->payload, &src->payload, &oom);
	bytes_dup(&dst->reply, &src->reply, &oom);
	dst->file = dup_or_null(src->file, &oom);
	return !oom;
}

/* A deep copy: every real server owns its check. */
static void check_copy(struct loader *ld, const config_setting_t *at,
		       struct cfg_check *dst, const struct cfg_check *src)
{
	if (!check_dup(dst, src))
		err_key(ld, at, "check", "out of memory");
}

/* Drop what a changed type does not use: a tcp check has no path. */
static void check_trim(struct cfg_check *c)
{
	if (c->type != CHECK_HTTP && c->type != CHECK_HTTPS) {
		free(c->path);
		free(c->host);
		free(c->expect);
		free(c->digest);
		c->path = c->host = c->expect = c->digest = NULL;
		c->nstatus = 0;
		memset(c->status, 0, sizeof(c->status));
	}
	if (c->type != CHECK_EXEC)
		argv_clear(c->argv);
	if (c->type != CHECK_SMTP) {
		free(c->helo_name);
		c->helo_name = NULL;
	}
	if (c->type != CHECK_DNS) {
		free(c->query_name);
		c->query_name = NULL;
		c->query_type = DNS_TYPE_SOA;
	}
	if (c->type != CHECK_UDP) {
		bytes_clear(&c->payload);
		bytes_clear(&c->reply);
		c->require_reply = false;
		c->min_reply_length = 0;
		c->max_reply_length = UDP_REPLY_MAX;
	}
	if (c->type != CHECK_FILE) {
		free(c->file);
		c->file = NULL;
		c->file_weight = 1;
		c->reverse = false;
	}
	/* a check that does not use a port has none */
	if (c->type == CHECK_PING || c->type == CHECK_FILE)
		c->connect_port = 0;
}

/* Only what this group says is reported: an inherited mistake was. */
static void check_finish_udp(struct loader *ld, const config_setting_t *g,
			     struct cfg_check *c)
{
	static const char *const lens[] = { "min_reply_length",
					    "max_reply_length" };
	const config_setting_t *s;
	size_t i;

	for (i = 0; i < 2; i++) {
		s = member(g, lens[i]);
		if (s && !bad(ld, s) && !c->require_reply)
			err_set(ld, s, "only valid with require_reply %s",
				qv(ld, s));
	}
	s = member(g, "max_reply_length");
	if (!s)
		s = member(g, "min_reply_length");
	if (!s)
		s = member(g, "require_reply");
	if (s && !bad(ld, s) && c->require_reply &&
	    c->min_reply_length > c->max_reply_length)
		err_key(ld, s, "min_reply_length",
			"%d is above max_reply_length %d (no reply could match)",
			c->min_reply_length, c->max_reply_length);
}

/* keepalived applies a tracked file at once: rise and fall default to 1. */
static void check_finish_file(struct loader *ld, const config_setting_t *g,
			      struct cfg_check *c, bool type_here)
{
	if (!c->file && type_here && !member(g, "file"))
		err_key(ld, g, "file", "missing (required for file checks)");
	if (!member(g, "type"))
		return;
	if (!member(g, "rise"))
		c->rise = 1;
	if (!member(g, "fall"))
		c->fall = 1;
}

static void check_finish(struct loader *ld, const config_setting_t *g,
			 struct cfg_check *c, bool type_here)
{
	if (c->type == CHECK_HTTP || c->type == CHECK_HTTPS) {
		if (!c->path)
			c->path = xstrdup(ld, g, "/");
		if (!c->nstatus) {
			c->status[0].lo = 200;
			c->status[0].hi = 299;
			c->nstatus = 1;
		}
	}
	/* Inherited: the service's own check already said it. */
	if (c->type == CHECK_EXEC && !c->argv[0] && type_here &&
	    !member(g, "argv"))
		err_key(ld, g, "argv", "missing (required for exec checks)");
	if (c->type == CHECK_SMTP && !c->helo_name)
		c->helo_name = xstrdup(ld, g, SMTP_HELO);
	if (c->type == CHECK_DNS && !c->query_name)
		c->query_name = xstrdup(ld, g, ".");
	if (c->type == CHECK_UDP)
		check_finish_udp(ld, g, c);
	if (c->type == CHECK_FILE)
		check_finish_file(ld, g, c, type_here);
}

/*
 * A check group.  A real server's (@base = the service's check) starts from
 * a copy of the service's and changes only the keys it gives.
 */
static void check_parse(struct loader *ld, const config_setting_t *g,
			const struct cfg_check *base, struct cfg_check *c)
{
	struct typed ty = { check_names, "checks", -1 };
	const config_setting_t *t = member(g, "type");

	if (base)
		check_copy(ld, g, c, base);
	else
		check_defaults(c);
	c->line = config_setting_source_line(g);
	if (!config_setting_is_group(g)) {
		err_type(ld, g, "a group");
		return;
	}
	if (t)
		ty.type = enum_get(ld, t, check_names, "check type");
	else if (base)
		ty.type = c->type;
	else
		err_key(ld, g, "type",
			"missing (required in a service's check)");
	if (ty.type >= 0) {
		c->type = ty.type;
		check_trim(c);
	}
	group_walk(ld, g, check_keys, c, "in a check", &ty);
	if (ty.type >= 0)
		check_finish(ld, g, c, t || !base);
}

/* Real servers -------------------------------------------------------- */

static void tunnel_parse(struct loader *ld, const config_setting_t *g,
			 struct cfg_tunnel *tun)
{
	struct typed ty = { tun_names, "tunnels", TUN_IPIP };
	const config_setting_t *t = member(g, "type");

	if (!config_setting_is_group(g)) {
		err_type(ld, g, "a group");
		return;
	}
	if (t)
		ty.type = enum_get(ld, t, tun_names, "tunnel type");
	if (ty.type >= 0)
		tun->type = ty.type;
	group_walk(ld, g, tunnel_keys, tun, "in a tunnel", &ty);
	if (ty.type == TUN_GUE && !member(g, "port"))
		err_key(ld, g, "port", "missing (required for gue tunnels)");
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static void rs_address(struct loader *ld, const config_setting_t *g,
		       const struct cfg_service *svc, const struct cfg_rs *rs)
{
	const config_setting_t *a = member(g, "address");
	static const char *const method[] = { "NAT", "DR", "TUN" };
	int want = svc->vip.family;

	if (!a) {
		err_key(ld, g, "address",
			"missing (required in a real server)");
		return;
	}
	if (bad(ld, a) || bad(ld, member(g, "forward")) || !want ||
	    rs->addr.family == want)
		return;
	/* A tunnel may cross families; the kernel's own routing may not. */
	if (svc->fwmark)
		err_set(ld, a, "%s real server in an %s fwmark service %s",
			family_name(rs->addr.family), family_name(want),
			qv(ld, a));
	else if (rs->fwd != FWD_TUN)
		err_set(ld, a, "%s real server in an %s %s service %s",
			family_name(rs->addr.family), family_name(want),
			method[rs->fwd], qv(ld, a));
}

static void rs_port(struct loader *ld, const config_setting_t *g,
		    const struct cfg_service *svc, bool svc_port_ok,
		    struct cfg_rs *rs)
{
	const config_setting_t *p = member(g, "port");

	if (!p) {
		if (!svc->fwmark)
			err_key(ld, g, "port",
				"missing (required in a vip service)");
		return;
	}
	if (bad(ld, p) || !svc_port_ok)
		return;
	if (!svc->fwmark && !svc->port) {
		if (rs->port)
			err_set(ld, p, "must be 0 when the service port is 0 "
				"%s", qv(ld, p));
		return;
	}
	if (!rs->port) {
		rs->port = svc->port;	/* fwmark: stays 0, the packet's */
		return;
	}
	if (rs->fwd == FWD_NAT || rs->port == svc->port ||
	    bad(ld, member(g, "forward")))
		return;
	/* DR and TUN send the packet unchanged: the port is the client's. */
	if (svc->fwmark)
		err_set(ld, p, "%s forwarding cannot map ports (fwmark "
			"service, real server %u)", fwd_name(rs->fwd),
			rs->port);
	else
		err_set(ld, p, "%s forwarding cannot map ports (service port "
			"%u, real server %u)", fwd_name(rs->fwd), svc->port,
			rs->port);
}

static void rs_rest(struct loader *ld, const config_setting_t *g,
		    struct cfg_rs *rs)
{
	const config_setting_t *t = member(g, "tunnel");
	const config_setting_t *lo = member(g, "lower_threshold");
	const config_setting_t *hi = member(g, "upper_threshold");

	if (rs->fwd == FWD_TUN && t)
		tunnel_parse(ld, t, &rs->tunnel);
	else if (t && !bad(ld, member(g, "forward")))
		err_set(ld, t, "only valid with forward tun (forward is %s)",
			fwd_name(rs->fwd));
	if (lo && hi && !bad(ld, lo) && !bad(ld, hi) &&
	    rs->upper_threshold && rs->lower_threshold > rs->upper_threshold)
		err_set(ld, lo, "above upper_threshold %u %s",
			rs->upper_threshold, qv(ld, lo));
}

static void rs_parse(struct loader *ld, const config_setting_t *g,
		     const struct cfg_service *svc, bool svc_port_ok,
		     struct cfg_rs *rs)
{
	const config_setting_t *c = member(g, "check");

	rs->weight = 1;
	rs->fwd = svc->fwd;
	rs->tunnel.type = TUN_IPIP;
	rs->line = config_setting_source_line(g);
	group_walk(ld, g, rs_keys, rs, "in a real server", NULL);
	rs_address(ld, g, svc, rs);
	rs_port(ld, g, svc, svc_port_ok, rs);
	rs_rest(ld, g, rs);
	if (c)
		check_parse(ld, c, &svc->check, &rs->check);
	else
		check_copy(ld, g, &rs->check, &svc->check);
}

/*
 * The entries of a list seen so far, by key, to find a duplicate in one
 * pass whatever the length of the list: open addressing, indices + 1.
 */
struct seen {
	size_t *slot;
	size_t mask;
};

typedef bool seen_eq_fn(const void *ctx, size_t a, size_t b);

static bool seen_init(struct seen *t, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	t->slot = calloc(cap, sizeof(*t->slot));
	t->mask = cap - 1;
	return t->slot != NULL;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;	/* FNV-1a */
	return h;
}

static uint64_t hash_addr(uint64_t h, const struct nflvs_addr *a)
{
	h = hash_bytes(h, &a->family, 1);
	return hash_bytes(h, a->b, a->family == AF_INET6 ? 16 : 4);
}

/* The first entry seen equal to entry @i (of hash @h), else -1 and @i is
 * seen from now on. */
static long seen_add(struct seen *t, uint64_t h, size_t i, seen_eq_fn *eq,
		     const void *ctx)
{
	size_t k;

	for (k = h & t->mask; t->slot[k]; k = (k + 1) & t->mask)
		if (eq(ctx, t->slot[k] - 1, i))
			return (long)(t->slot[k] - 1);
	t->slot[k] = i + 1;
	return -1;
}

/* Is the real server @g fully known, to compare it with the others? */
static bool rs_keyed(const struct loader *ld, const config_setting_t *g,
		     const struct cfg_rs *rs)
{
	return rs->addr.family && !bad(ld, member(g, "port"));
}

static bool rs_eq(const void *ctx, size_t i, size_t j)
{
	const struct cfg_rs *a = &((const struct cfg_rs *)ctx)[i];
	const struct cfg_rs *b = &((const struct cfg_rs *)ctx)[j];

	return addr_eq(&a->addr, &b->addr) && a->port == b->port;
}

/* Real server @i against those before it that are fully known. */
static void rs_dups(struct loader *ld, const config_setting_t *list,
		    const struct cfg_service *svc, size_t i, struct seen *t)
{
	const config_setting_t *gi = config_setting_get_elem(list, i), *gj;
	const struct cfg_rs *a = &svc->rs[i];
	char buf[ADDR_STRLEN];
	long j;

	if (!t->slot || !rs_keyed(ld, gi, a))
		return;
	j = seen_add(t, hash_bytes(hash_addr(0xcbf29ce484222325ull, &a->addr),
				   &a->port, sizeof(a->port)),
		     i, rs_eq, svc->rs);
	if (j < 0)
		return;
	gj = config_setting_get_elem(list, j);
	err_set(ld, member(gi, "address"), "duplicate real server %s "
		"(first defined at line %u)",
		addr_port_str(&a->addr, a->port, buf, sizeof(buf)),
		config_setting_source_line(member(gj, "address")));
}

/*
 * An array of @size zeroed structs, one per element of the list of groups
 * @list; NULL with *n = 0 for an empty list or an error.
 */
static void *groups_alloc(struct loader *ld, const config_setting_t *list,
			  size_t size, size_t *n)
{
	void *p;

	*n = 0;
	if (!is_list(list)) {
		err_type(ld, list, "a list of groups");
		return NULL;
	}
	if (!config_setting_length(list))
		return NULL;
	p = calloc(config_setting_length(list), size);
	if (!p)
		err_set(ld, list, "out of memory");
	else
		*n = config_setting_length(list);
	return p;
}

static void rs_list(struct loader *ld, const config_setting_t *list,
		    struct cfg_service *svc, bool svc_port_ok)
{
	struct seen t = { 0 };
	size_t i;

	svc->rs = groups_alloc(ld, list, sizeof(*svc->rs), &svc->nrs);
	if (svc->nrs && !seen_init(&t, svc->nrs))
		err_set(ld, list, "out of memory");
	for (i = 0; i < svc->nrs; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);

		if (!config_setting_is_group(g)) {
			err_type(ld, g, "a group");
			continue;
		}
		rs_parse(ld, g, svc, svc_port_ok, &svc->rs[i]);
		rs_dups(ld, list, svc, i, &t);
	}
	free(t.slot);
}

/* Services ------------------------------------------------------------ */

/* A fwmark service takes the family of its first real server. */
static int rs_family(const config_setting_t *g)
{
	const config_setting_t *list = member(g, "real_servers"), *a;
	struct nflvs_addr addr;
	int i;

	for (i = 0; list && is_list(list) &&
	     i < config_setting_length(list); i++) {
		a = member(config_setting_get_elem(list, i), "address");
		if (a && config_setting_type(a) == CONFIG_TYPE_STRING &&
		    !addr_parse(config_setting_get_string(a), &addr))
			return addr.family;
	}
	return AF_INET;
}

static void svc_fwmark(struct loader *ld, const config_setting_t *g,
		       struct cfg_service *svc)
{
	static const char *const not_with[] = { "port", "protocol", NULL };
	const config_setting_t *s;
	int i;

	for (i = 0; not_with[i]; i++) {
		s = member(g, not_with[i]);
		if (s)
			err_set(ld, s, "not allowed with fwmark %s", qv(ld, s));
	}
	/* A bad fwmark, already reported, still makes a fwmark service. */
	if (!svc->fwmark)
		svc->fwmark = 1;
	svc->port = 0;
	svc->protocol = 0;
	memset(&svc->vip, 0, sizeof(svc->vip));
	svc->vip.family = rs_family(g);
}

/* vip or fwmark; returns whether svc->port is what the file says. */
static bool svc_target(struct loader *ld, const config_setting_t *g,
		       struct cfg_service *svc)
{
	const config_setting_t *vip = member(g, "vip");
	const config_setting_t *fwm = member(g, "fwmark");
	const config_setting_t *port = member(g, "port");
	const config_setting_t *pers = member(g, "persistence");

	if (vip && fwm) {
		err_set(ld, fwm, "not allowed together with vip %s",
			qv(ld, fwm));
		svc->fwmark = 0;
	} else if (fwm) {
		svc_fwmark(ld, g, svc);
		return true;
	} else if (!vip) {
		err_key(ld, g, "vip",
			"missing (a service needs vip or fwmark)");
	}
	if (!port) {
		err_key(ld, g, "port", "missing (required with vip)");
		return false;
	}
	if (bad(ld, port))
		return false;
	if (!svc->port && !svc->persistence && !bad(ld, pers))
		err_key(ld, port, "port",
			"port 0 (any port) requires persistence");
	return true;
}

static void svc_flags(struct loader *ld, const config_setting_t *g,
		      const struct cfg_service *svc)
{
	const config_setting_t *fl = member(g, "scheduler_flags"), *e;
	const char *need;
	int i, f;

	if (!fl || bad(ld, fl) || bad(ld, member(g, "scheduler")))
		return;
	for (i = 0; i < config_setting_length(fl); i++) {
		e = config_setting_get_elem(fl, i);
		if (bad(ld, e))
			continue;
		f = sched_flag_parse(config_setting_get_string(e));
		need = f & (SCHED_F_SH_PORT | SCHED_F_SH_FALLBACK) ?
		       "sh" : "mh";
		if (strcmp(svc->scheduler, need))
			err_set(ld, e, "flag %s needs scheduler %s, not %s",
				qv(ld, e), need, svc->scheduler);
	}
}

static void svc_options(struct loader *ld, const config_setting_t *g,
			struct cfg_service *svc)
{
	const config_setting_t *pm = member(g, "persistence_netmask");
	const config_setting_t *one = member(g, "one_packet");
	const config_setting_t *sorry = member(g, "sorry_server");
	int bits = svc->vip.family == AF_INET6 ? 128 : 32;

	if (!pm)
		svc->persistence_netmask = bits;
	else if (!bad(ld, pm) && svc->vip.family &&
		 svc->persistence_netmask > bits)
		err_set(ld, pm, "out of range %s (expected 1..%d for %s)",
			qv(ld, pm), bits, family_name(svc->vip.family));
	svc_flags(ld, g, svc);
	/* A fwmark service applies it to the UDP packets it gets. */
	if (svc->one_packet && !svc->fwmark && svc->protocol != IPPROTO_UDP &&
	    !bad(ld, member(g, "protocol")))
		err_set(ld, one, "only valid with protocol udp %s",
			qv(ld, one));
	if (svc->has_sorry && svc->vip.family &&
	    svc->sorry_addr.family != svc->vip.family)
		err_set(ld, sorry, "%s sorry server in an %s service %s",
			family_name(svc->sorry_addr.family),
			family_name(svc->vip.family), qv(ld, sorry));
}

static void svc_defaults(struct cfg_service *svc, const config_setting_t *g)
{
	svc->protocol = IPPROTO_TCP;
	snprintf(svc->scheduler, sizeof(svc->scheduler), "wlc");
	svc->fwd = FWD_NAT;
	svc->quorum = 1;
	svc->line = config_setting_source_line(g);
	check_defaults(&svc->check);
}

static void svc_parse(struct loader *ld, const config_setting_t *g,
		      struct cfg_service *svc)
{
	const config_setting_t *c = member(g, "check");
	const config_setting_t *rs = member(g, "real_servers");
	bool port_ok;

	svc_defaults(svc, g);
	group_walk(ld, g, svc_keys, svc, "in a service", NULL);
	port_ok = svc_target(ld, g, svc);
	svc_options(ld, g, svc);
	if (c)
		check_parse(ld, c, NULL, &svc->check);
	if (rs)
		rs_list(ld, rs, svc, port_ok);
}

/* Is the service @g fully known, to compare it with the others? */
static bool svc_keyed(const struct loader *ld, const config_setting_t *g,
		      const struct cfg_service *svc)
{
	if (svc->fwmark)
		return !bad(ld, member(g, "fwmark"));
	return member(g, "vip") && svc->vip.family &&
	       member(g, "port") && !bad(ld, member(g, "port")) &&
	       !bad(ld, member(g, "protocol"));
}

static bool svc_same(const struct cfg_service *a, const struct cfg_service *b)
{
	if (a->fwmark || b->fwmark)
		return a->fwmark == b->fwmark;
	return addr_eq(&a->vip, &b->vip) && a->port == b->port &&
	       a->protocol == b->protocol;
}

static void svc_dup_err(struct loader *ld, const config_setting_t *g,
			const struct cfg_service *svc, unsigned int first)
{
	char buf[ADDR_STRLEN];

	if (svc->fwmark)
		err_set(ld, member(g, "fwmark"), "duplicate service fwmark %u "
			"(first defined at line %u)", svc->fwmark, first);
	else
		err_set(ld, member(g, "vip"), "duplicate service %s/%s "
			"(first defined at line %u)",
			addr_port_str(&svc->vip, svc->port, buf, sizeof(buf)),
			proto_names[svc->protocol == IPPROTO_UDP ? 1 :
				    svc->protocol == IPPROTO_SCTP ? 2 : 0],
			first);
}

static bool svc_name_eq(const void *ctx, size_t i, size_t j)
{
	const struct cfg_service *svc = ctx;

	return !strcmp(svc[i].name, svc[j].name);
}

static bool svc_key_eq(const void *ctx, size_t i, size_t j)
{
	const struct cfg_service *svc = ctx;

	return svc_same(&svc[i], &svc[j]);
}

static uint64_t svc_key_hash(const struct cfg_service *a)
{
	uint64_t h = 0xcbf29ce484222325ull;

	if (a->fwmark)
		return hash_bytes(h, &a->fwmark, sizeof(a->fwmark));
	h = hash_addr(h, &a->vip);
	h = hash_bytes(h, &a->port, sizeof(a->port));
	return hash_bytes(h, &a->protocol, sizeof(a->protocol));
}

/* Service @i against those before it: its name, its key. */
static void svc_dups(struct loader *ld, const config_setting_t *list,
		     const struct nflvs_config *cfg, size_t i,
		     struct seen *names, struct seen *keys)
{
	const config_setting_t *gi = config_setting_get_elem(list, i), *gj;
	const struct cfg_service *a = &cfg->svc[i];
	long j;

	if (!names->slot || !keys->slot)
		return;
	if (a->name[0] &&
	    (j = seen_add(names, hash_bytes(0xcbf29ce484222325ull, a->name,
					    strlen(a->name)),
			  i, svc_name_eq, cfg->svc)) >= 0) {
		gj = config_setting_get_elem(list, j);
		err_set(ld, member(gi, "name"), "duplicate service name "
			"\"%s\" (first defined at line %u)", a->name,
			config_setting_source_line(member(gj, "name")));
	}
	if (svc_keyed(ld, gi, a) &&
	    (j = seen_add(keys, svc_key_hash(a), i, svc_key_eq, cfg->svc)) >= 0) {
		gj = config_setting_get_elem(list, j);
		svc_dup_err(ld, gi, a, config_setting_source_line(
				member(gj, a->fwmark ? "fwmark" : "vip")));
	}
}

static void services_parse(struct loader *ld, const config_setting_t *list,
			   struct nflvs_config *cfg)
{
	struct seen names = { 0 }, keys = { 0 };
	size_t i;

	if (!list)
		return;
	cfg->svc = groups_alloc(ld, list, sizeof(*cfg->svc), &cfg->nsvc);
	if (cfg->nsvc && (!seen_init(&names, cfg->nsvc) ||
			  !seen_init(&keys, cfg->nsvc)))
		err_set(ld, list, "out of memory");
	for (i = 0; i < cfg->nsvc; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);

		if (!config_setting_is_group(g)) {
			err_type(ld, g, "a group");
			continue;
		}
		svc_parse(ld, g, &cfg->svc[i]);
		svc_dups(ld, list, cfg, i, &names, &keys);
	}
	free(names.slot);
	free(keys.slot);
}

/* The file ------------------------------------------------------------ */

static void director_parse(struct loader *ld, const config_setting_t *g,
			   struct cfg_director *d)
{
	const config_setting_t *qs = member(g, "queues");

	snprintf(d->table, sizeof(d->table), "nflvs");
	d->queue = 0;
	d->queues = 1;
	d->mark_mask = 0x00ff0000;
	d->route_table = 2000;
	d->route_pref = 10;
	snprintf(d->control, sizeof(d->control), "/run/nflvs/director.sock");
	snprintf(d->shm, sizeof(d->shm), "/nflvs");
	d->syslog = false;
	d->kernel_schedule = true;
	snprintf(d->log_level, sizeof(d->log_level), "info");
	snprintf(d->user, sizeof(d->user), "%s", CFG_DEFAULT_USER);
	d->user_set = false;
	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		err_type(ld, g, "a group");
		return;
	}
	group_walk(ld, g, director_keys, d, "in director", NULL);
	d->user_set = member(g, "user") != NULL;
	if (port_only(d->metrics)) {
		int port = atoi(d->metrics);

		snprintf(d->metrics, sizeof(d->metrics), "127.0.0.1:%d", port);
	}
	if (qs && !bad(ld, qs) && !bad(ld, member(g, "queue")) &&
	    d->queue + d->queues - 1 > 65535)
		err_set(ld, qs, "too many queues %s (queue %d + %d - 1 is "
			"above 65535)", qv(ld, qs), d->queue, d->queues);
}

static bool addr_mcast(const struct nflvs_addr *a)
{
	return a->family == AF_INET6 ? IN6_IS_ADDR_MULTICAST(&a->v6)
				     : IN_MULTICAST(ntohl(a->v4.s_addr));
}

static void sync_parse(struct loader *ld, const config_setting_t *g,
		       struct cfg_sync *y)
{
	const config_setting_t *peer = member(g, "peer"),
			       *group = member(g, "group");

	memset(y, 0, sizeof(*y));
	y->syncid = 255;
	y->port = 8848;
	y->ttl = 1;
	y->refresh = 5.0;
	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		err_type(ld, g, "a group");
		return;
	}
	group_walk(ld, g, sync_keys, y, "in sync", NULL);
	if (peer && group && !bad(ld, peer) && !bad(ld, group))
		err_set(ld, group, "group %s and peer are exclusive (multicast or unicast)",
			qv(ld, group));
	if (peer && !bad(ld, peer) && addr_mcast(&y->peer))
		err_set(ld, peer, "peer %s is a multicast address (use group)",
			qv(ld, peer));
	if (group && !bad(ld, group) && !addr_mcast(&y->group))
		err_set(ld, group, "group %s is not a multicast address (use peer)",
			qv(ld, group));
	if (y->state != CFG_SYNC_NONE && !member(g, "interface"))
		err_set(ld, member(g, "state") ?: g,
			"sync needs an interface (the one the peer is reached on)");
}

/*
 * The file is read here, not by libconfig, whose scanner calls exit() when
 * a read fails (EIO) and blocks on a FIFO: only a regular file, at most
 * READFILE_MAX bytes, all of it within READFILE_TIMEOUT_MS.  libconfig
 * parses it from memory.  It still opens what @include names itself, so
 * those files are read here first, with the same rules and depth as
 * libconfig's, and one that cannot be read is an error at its @include.
 */
#define INCLUDE_DEPTH	10	/* libconfig's MAX_INCLUDE_DEPTH */

static char *read_why(int err, char *buf, size_t len)
{
	switch (err) {
	case -EINVAL:
		return "not a regular file";
	case -EFBIG:
		snprintf(buf, len, "larger than %u MiB", READFILE_MAX >> 20);
		return buf;
	case -ETIMEDOUT:
		snprintf(buf, len, "not read within %u s",
			 READFILE_TIMEOUT_MS / 1000);
		return buf;
	default:
		return strerror(-err);
	}
}

/* The next `@include "name"' line from *@pos on, as libconfig's scanner
 * matches it: its name in @name, its line in *@line. */
static bool include_next(const char **pos,
			 unsigned int *line, char *name, size_t size)
{
	const char *p = *pos, *q, *end;

	while (*p) {
		end = strchr(p, '\n');
		end = end ? end : p + strlen(p);
		(*line)++;
		q = p + strspn(p, " \t");
		*pos = *end ? end + 1 : end;
		if (!strncmp(q, "@include", 8) && (q[8] == ' ' || q[8] == '\t')) {
			q += 8 + strspn(q + 8, " \t");
			if (*q == '"' && (p = memchr(q + 1, '"', end - q - 1)) &&
			    (size_t)(p - q - 1) < size) {
				snprintf(name, p - q, "%s", q + 1);
				return true;
			}
		}
		p = *pos;
	}
	return false;
}

/* @path, kept until the errors are handed over (they sort by file). */
static const char *include_keep(struct loader *ld, const char *path)
{
	char **n = realloc(ld->incs, (ld->nincs + 1) * sizeof(*n));

	if (!n)
		return ld->path;
	ld->incs = n;
	if (!(n[ld->nincs] = strdup(path)))
		return ld->path;
	return n[ld->nincs++];
}

static void includes_check(struct loader *ld, const char *file,
			   const char *text, int depth)
{
	char name[PATH_MAX], path[PATH_MAX * 2], why[64], *buf, *s;
	const char *pos = text;
	unsigned int line = 0;
	size_t len;
	int err;

	while (include_next(&pos, &line, name, sizeof(name))) {
		if (name[0] == '/' || !ld->dir)
			snprintf(path, sizeof(path), "%s", name);
		else
			snprintf(path, sizeof(path), "%s/%s", ld->dir, name);
		err = depth >= INCLUDE_DEPTH ? -ELOOP :
		      readfile(path, READFILE_MAX, READFILE_TIMEOUT_MS, &buf, &len);
		if (err) {
			err = asprintf(&s, "%s:%u: @include \"%s\": cannot read: %s",
				       file, line, name, err == -ELOOP ?
				       "nested too deep" :
				       read_why(err, why, sizeof(why)));
			err_push(ld, file, line, err < 0 ? NULL : s);
			continue;
		}
		includes_check(ld, include_keep(ld, path), buf, depth + 1);
		free(buf);
	}
}

static int read_file(struct loader *ld, config_t *lc)
{
	char *copy = strdup(ld->path), *text, *s, why[64];
	size_t len, nerr = ld->nerr;
	int rc;

	/* @include "x.conf" is relative to this file, not to $PWD. */
	ld->dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	rc = readfile(ld->path, READFILE_MAX, READFILE_TIMEOUT_MS, &text, &len);
	if (rc < 0) {
		rc = asprintf(&s, "%s: cannot read: %s", ld->path,
			      read_why(rc, why, sizeof(why)));
		err_push(ld, ld->path, 0, rc < 0 ? NULL : s);
		return -1;
	}
	if (strlen(text) != len) {
		free(text);
		rc = asprintf(&s, "%s: not a text file (a NUL byte)", ld->path);
		err_push(ld, ld->path, 0, rc < 0 ? NULL : s);
		return -1;
	}
	includes_check(ld, ld->path, text, 1);
	if (ld->nerr != nerr) {
		free(text);
		return -1;
	}
	if (ld->dir)
		config_set_include_dir(lc, ld->dir);
	rc = config_read_string(lc, text);
	free(text);
	if (rc == CONFIG_TRUE)
		return 0;
	rc = asprintf(&s, "%s:%d: syntax error: %s",
		      config_error_file(lc) ?: ld->path,
		      config_error_line(lc), config_error_text(lc));
	err_push(ld, ld->path, config_error_line(lc), rc < 0 ? NULL : s);
	return -1;
}

/* Where each service and real server stands in the file. */
static void config_number(struct nflvs_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->nsvc; i++) {
		cfg->svc[i].file_index = i;
		for (j = 0; j < cfg->svc[i].nrs; j++)
			cfg->svc[i].rs[j].file_index = j;
	}
}

int config_load(const char *path, struct nflvs_config *cfg,
		struct cfg_errors *errs)
{
	struct loader ld = { .path = path, .errs = errs };
	const config_setting_t *root;
	config_t lc;

	memset(cfg, 0, sizeof(*cfg));
	if (errs)
		memset(errs, 0, sizeof(*errs));
	config_init(&lc);
	if (read_file(&ld, &lc) == 0) {
		root = config_root_setting(&lc);
		group_walk(&ld, root, top_keys, cfg, "at the top level", NULL);
		director_parse(&ld, member(root, "director"), &cfg->director);
		sync_parse(&ld, member(root, "sync"), &cfg->sync);
		services_parse(&ld, member(root, "services"), cfg);
		if (!ld.nerr && !(cfg->path = strdup(path)))
			err_key(&ld, NULL, "(file)", "out of memory");
	}
	err_finish(&ld);	/* before config_destroy: file names */
	config_destroy(&lc);
	while (ld.nincs)
		free(ld.incs[--ld.nincs]);
	free(ld.incs);
	free(ld.dir);
	if (ld.nerr)
		config_free(cfg);
	else
		config_number(cfg);
	return ld.nerr > INT_MAX ? INT_MAX : (int)ld.nerr;
}

uint32_t config_mark_capacity(uint32_t mask)
{
	uint32_t n = mask ? mask >> __builtin_ctz(mask) : 0;

	return n > CFG_MARK_MAX_INDEX ? CFG_MARK_MAX_INDEX : n;
}

int config_check_room(const struct nflvs_config *cfg, struct cfg_errors *errs)
{
	const char *file = cfg->path ? cfg->path : "(config)";
	uint32_t marks = config_mark_capacity(cfg->director.mark_mask);
	size_t before = errs->n, i, j, nrs = 0, nmarks = 0;
	bool rs_full = false, marks_full = false;

	if (cfg->nsvc > CFG_MAX_SERVICES)
		config_error_add(errs, file, cfg->svc[CFG_MAX_SERVICES].line,
			"no room: more than %u services (the director's shared memory holds %u)",
			CFG_MAX_SERVICES, CFG_MAX_SERVICES);
	for (i = 0; i < cfg->nsvc; i++) {
		const struct cfg_service *s = &cfg->svc[i];

		for (j = 0; j < s->nrs; j++) {
			if (++nrs > CFG_MAX_RS && !rs_full) {
				rs_full = true;
				config_error_add(errs, file, s->rs[j].line,
					"no room: more than %u real servers in all (the director's shared memory holds %u)",
					CFG_MAX_RS, CFG_MAX_RS);
			}
			if (++nmarks > marks && !marks_full) {
				marks_full = true;
				config_error_add(errs, file, s->rs[j].line,
					"no room: director.mark_mask 0x%08x has marks for %u real and sorry servers, this is number %zu",
					cfg->director.mark_mask, marks, nmarks);
			}
		}
		if (s->has_sorry && ++nmarks > marks && !marks_full) {
			marks_full = true;
			config_error_add(errs, file, s->line,
				"no room: director.mark_mask 0x%08x has marks for %u real and sorry servers, this sorry server is number %zu",
				cfg->director.mark_mask, marks, nmarks);
		}
	}
	return errs->n - before;
}

void config_rs_free(struct cfg_rs *rs)
{
	check_free(&rs->check);
	if (rs->notify_up)
		argv_clear(rs->notify_up);
	if (rs->notify_down)
		argv_clear(rs->notify_down);
	free(rs->notify_up);
	free(rs->notify_down);
	memset(rs, 0, sizeof(*rs));
}

void config_service_free(struct cfg_service *svc)
{
	size_t j;

	for (j = 0; j < svc->nrs; j++)
		config_rs_free(&svc->rs[j]);
	free(svc->rs);
	check_free(&svc->check);
	memset(svc, 0, sizeof(*svc));
}

void config_free(struct nflvs_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsvc; i++)
		config_service_free(&cfg->svc[i]);
	free(cfg->svc);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

static char **argv_dup(char *const *src, bool *oom)
{
	char **a;
	size_t i;

	if (!src)
		return NULL;
	a = calloc(CFG_ARGV_MAX + 1, sizeof(*a));
	if (!a) {
		*oom = true;
		return NULL;
	}
	for (i = 0; i < CFG_ARGV_MAX && src[i]; i++)
		a[i] = dup_or_null(src[i], oom);
	return a;
}

int config_rs_dup(struct cfg_rs *dst, const struct cfg_rs *src)
{
	bool oom = !check_dup(&dst->check, &src->check);
	struct cfg_check c = dst->check;

	*dst = *src;
	dst->check = c;
	dst->notify_up = argv_dup(src->notify_up, &oom);
	dst->notify_down = argv_dup(src->notify_down, &oom);
	if (oom) {
		config_rs_free(dst);
		return -ENOMEM;
	}
	return 0;
}

int config_service_dup(struct cfg_service *dst, const struct cfg_service *src)
{
	struct cfg_check c;
	size_t j;

	if (!check_dup(&c, &src->check))
		return -ENOMEM;
	*dst = *src;
	dst->check = c;
	dst->rs = calloc(src->nrs + 1, sizeof(*dst->rs));
	dst->nrs = 0;
	if (!dst->rs)
		goto fail;
	for (j = 0; j < src->nrs; j++, dst->nrs++)
		if (config_rs_dup(&dst->rs[j], &src->rs[j]) < 0)
			goto fail;
	return 0;
fail:
	config_service_free(dst);
	return -ENOMEM;
}

int config_dup(struct nflvs_config *dst, const struct nflvs_config *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->director = src->director;
	dst->sync = src->sync;
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->svc = calloc(src->nsvc + 1, sizeof(*dst->svc));
	if ((src->path && !dst->path) || !dst->svc)
		goto fail;
	for (i = 0; i < src->nsvc; i++, dst->nsvc++)
		if (config_service_dup(&dst->svc[i], &src->svc[i]) < 0)
			goto fail;
	return 0;
fail:
	config_free(dst);
	return -ENOMEM;
}

void config_errors_free(struct cfg_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	memset(errs, 0, sizeof(*errs));
}

void config_error_push(struct cfg_errors *errs, const char *msg)
{
	char **n = realloc(errs->msg, (errs->n + 1) * sizeof(*n));

	if (!n)
		return;
	errs->msg = n;
	errs->msg[errs->n] = strdup(msg);
	if (errs->msg[errs->n])
		errs->n++;
}

void config_error_add(struct cfg_errors *errs, const char *file, int line,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int len;

	len = snprintf(msg, sizeof(msg), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
	va_end(ap);
	config_error_push(errs, msg);
}

/* Names ---------------------------------------------------------------- */

int check_type_parse(const char *s)
{
	int i = names_find(check_names, s);

	return i < 0 ? -EINVAL : i;
}

const char *check_type_name(enum check_type t)
{
	return (unsigned int)t <= CHECK_FILE ? check_names[t] : "?";
}

int dns_type_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (!strcasecmp(s, dns_types[i].name))
			return dns_types[i].type;
	return -EINVAL;
}

const char *dns_type_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (dns_types[i].type == type)
			return dns_types[i].name;
	return "?";
}

/* Values and formats ------------------------------------------------------ */

static int hex_digit(char c, bool wild)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (wild && (c == 'x' || c == 'X'))
		return 16;	/* any 4 bits */
	return -1;
}

int config_hex_parse(const char *s, uint8_t *data, uint8_t *mask,
		     size_t max)
{
	size_t n = 0;
	int hi, lo;

	for (;;) {
		s += strspn(s, " \t");
		if (!*s)
			break;
		hi = hex_digit(*s++, mask);
		lo = *s && *s != ' ' && *s != '\t' ? hex_digit(*s++, mask) : -2;
		if (hi < 0 || lo == -1)
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		if (lo == -2) {		/* a digit alone is a byte */
			lo = hi;
			hi = 0;
		}
		data[n] = (hi & 15) << 4 | (lo & 15);
		if (mask)
			mask[n] = (hi == 16 ? 0xf0 : 0) | (lo == 16 ? 0x0f : 0);
		n++;
	}
	return n ? (int)n : -EINVAL;
}

bool config_dns_name_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (!strcmp(s, "."))
		return true;
	if (len && s[len - 1] == '.')
		len--;		/* the root's dot is optional */
	if (!len || len > CFG_DNS_NAME_MAX)
		return false;
	for (; len--; s++) {
		if (*s == '.') {
			if (!label)
				return false;
			label = 0;
		} else if ((unsigned char)*s <= ' ' || *s == 0x7f ||
			   ++label > 63) {
			return false;
		}
	}
	return label > 0;
}
