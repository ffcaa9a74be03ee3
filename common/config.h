/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CONFIG_H
#define NFLVS_CONFIG_H

/*
 * The configuration file (libconfig syntax, see nflvs.conf(5)), loaded and
 * validated as a whole into plain structs.  Both daemons use it.  Nothing
 * here touches the system: config_load() only reads the file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "names.h"

#define CFG_NAME_MAX		64
/* The health checker's user when director.user is not given (the
 * Debian package creates it); missing, the checker stays root. */
#define CFG_DEFAULT_USER	"nflvs"
#define CFG_PATH_MAX		108	/* sun_path */
#define CFG_SCHED_MAX		16
#define CFG_NOT_IN_FILE		UINT32_MAX
/* What a director can hold: records of its shared memory, marks (real
 * and sorry servers, one each) under director.mark_mask. */
#define CFG_MAX_SERVICES	1024
#define CFG_MAX_RS		16384
#define CFG_MARK_MAX_INDEX	((1u << 20) - 1)

enum check_type {
	CHECK_NONE,
	CHECK_TCP,
	CHECK_HTTP,
	CHECK_HTTPS,
	CHECK_EXEC,
	CHECK_SMTP,
	CHECK_DNS,
	CHECK_UDP,
	CHECK_PING,
	CHECK_FILE,
};

enum on_failure {
	ON_FAILURE_REMOVE,
	ON_FAILURE_QUIESCE,
};

struct cfg_status_range {
	uint16_t lo, hi;
};

#define CFG_STATUS_MAX	8
#define CFG_ARGV_MAX	32
#define CFG_HELO_MAX	255		/* smtp helo_name */
#define CFG_DNS_NAME_MAX	253	/* dns query_name, without the root dot */
#define CFG_UDP_MAX	65507		/* udp payload: an IPv4 datagram's */

/* Bytes given in hex (udp payload, require_reply); mask: bits ignored. */
struct cfg_bytes {
	uint8_t *data;			/* NULL = none */
	uint8_t *mask;			/* NULL = every bit counts */
	size_t len;
};

struct cfg_check {
	enum check_type type;
	double interval;		/* seconds, default 1.0 */
	double timeout;			/* seconds, default 0.5 */
	int rise, fall;			/* default 2, 2 */
	int connect_port;		/* 0 = the real server's port */
	char *path;			/* http(s), default "/"; else NULL */
	char *host;			/* http(s) Host header, NULL = address */
	char *expect;			/* http(s) body substring, NULL = none */
	char *digest;			/* http(s) body MD5, 32 lowercase hex
					   digits (keepalived's digest);
					   NULL = none */
	struct cfg_status_range status[CFG_STATUS_MAX];
	int nstatus;			/* http(s): >= 1, default 200-299;
					   0 (other types) = 200-299 */
	bool verify_tls;		/* https, default true */
	char *argv[CFG_ARGV_MAX + 1];	/* exec, NULL terminated; else empty */
	char *helo_name;		/* smtp, default smtpchecker.keepalived.org */
	uint16_t query_type;		/* dns: RR type, default 6 (SOA) */
	char *query_name;		/* dns, default "." */
	struct cfg_bytes payload;	/* udp, none = the default text */
	bool require_reply;		/* udp, default false */
	struct cfg_bytes reply;		/* udp: what a reply starts with */
	int min_reply_length;		/* udp, default 0 */
	int max_reply_length;		/* udp, default 255 */
	char *file;			/* file: absolute path */
	int file_weight;		/* file, default 1 */
	bool reverse;			/* file, default false */
	enum on_failure on_failure;	/* default remove */
	bool expire_connections;	/* default false */
	int line;			/* where it was given, 0 = default */
};

struct cfg_tunnel {
	enum tun_type type;
	uint16_t port;			/* gue: UDP port (required) */
	bool csum;			/* gue/gre: outer checksum */
};

struct cfg_rs {
	struct nflvs_addr addr;
	uint16_t port;			/* fwmark services: 0 = same port;
					   vip services: 0 in the file is
					   stored as the service's port */
	int weight;			/* default 1, 0..65535 */
	enum fwd_method fwd;		/* default: the service's */
	struct cfg_tunnel tunnel;
	uint32_t upper_threshold;	/* 0 = none */
	uint32_t lower_threshold;
	struct cfg_check check;		/* the service's unless overridden */
	char **notify_up;		/* argv, NULL = none */
	char **notify_down;
	int line;
	uint32_t file_index;		/* position in its service in the file,
					 * CFG_NOT_IN_FILE if added at runtime */
};

struct cfg_service {
	char name[CFG_NAME_MAX];	/* "" if not named */
	uint32_t fwmark;		/* != 0: a firewall-mark service */
	struct nflvs_addr vip;		/* fwmark services: only the family,
					   that of the real servers */
	uint16_t port;			/* 0 = any port (needs persistence) */
	uint8_t protocol;		/* IPPROTO_TCP/UDP/SCTP; 0 = fwmark */
	char scheduler[CFG_SCHED_MAX];	/* default "wlc" */
	uint32_t sched_flags;		/* SCHED_F_* */
	enum fwd_method fwd;		/* default nat */
	uint32_t persistence;		/* seconds, 0 = off */
	int persistence_netmask;	/* prefix length; default /32 or /128 */
	bool one_packet;
	bool has_sorry;
	struct nflvs_addr sorry_addr;
	uint16_t sorry_port;
	uint32_t quorum;		/* minimum live weight, default 1 */
	struct cfg_check check;		/* default for its real servers */
	struct cfg_rs *rs;
	size_t nrs;
	int line;
	uint32_t file_index;		/* position in the file, or
					 * CFG_NOT_IN_FILE */
};

struct cfg_director {
	char table[CFG_NAME_MAX];	/* default "nflvs" */
	int queue;			/* default 0 */
	int queues;			/* default 1 */
	uint32_t mark_mask;		/* default 0x00ff0000, contiguous */
	uint32_t route_table;		/* DR: first routing table, default 2000 */
	uint32_t route_pref;		/* DR: rule preference, default 10 */
	char control[CFG_PATH_MAX];	/* default /run/nflvs/director.sock */
	char shm[CFG_NAME_MAX];		/* default "/nflvs" */
	bool syslog;			/* default false: log to stderr */
	bool kernel_schedule;		/* default true: nftables schedules
					 * services of rr and wrr */
	char log_level[16];		/* "error" .. "debug", default "info" */
	char user[CFG_NAME_MAX];	/* health checker's user, "" = stay */
	bool user_set;			/* user given, not the default */
	char script_user[CFG_NAME_MAX];	/* exec checks' user, "" = user */
	char control_group[CFG_NAME_MAX];/* may use the control socket too */
	char metrics[CFG_NAME_MAX];	/* Prometheus "addr:port", "" = off */
	char peer[CFG_NAME_MAX];	/* the other director of a pair,
					 * "addr:port": mark tables compared */
};

/* State sync (as ipvsadm --start-daemon): the group "sync". */
enum cfg_sync_state { CFG_SYNC_NONE, CFG_SYNC_MASTER, CFG_SYNC_BACKUP };

struct cfg_sync {
	int state;			/* enum cfg_sync_state, default none */
	char interface[16];		/* required with a state */
	uint8_t syncid;			/* default 255, as ipvsadm */
	struct nflvs_addr peer;		/* unicast: the other director, or */
	struct nflvs_addr group;	/* multicast group, default
					   224.0.0.81 (unset here) */
	uint16_t port;			/* default 8848 */
	uint8_t ttl;			/* default 1 */
	uint16_t maxlen;		/* 0: the interface's MTU */
	double refresh;			/* seconds, default 5 */
};

struct nflvs_config {
	char *path;
	struct cfg_director director;
	struct cfg_sync sync;
	struct cfg_service *svc;
	size_t nsvc;
};

/*
 * Errors are collected, never printed here: each is "FILE:LINE: KEY: message"
 * with the bad value quoted, "FILE:LINE: syntax error: ..." or, for a file
 * that cannot be read, "FILE: cannot read: ...".
 */
struct cfg_errors {
	char **msg;
	size_t n;
};

/*
 * Load and validate @path.  Returns 0 and fills @cfg when the file is valid;
 * otherwise returns the number of errors (> 0) collected in @errs (and @cfg
 * is left empty).  Every error of the file is reported, not just the first,
 * sorted by line.  Both @cfg and @errs are overwritten on entry (@errs may
 * be NULL); free them with config_free() and config_errors_free().
 */
/*
 * Whether the director has room for all of @cfg: services and real
 * servers in its shared memory, a mark under director.mark_mask for each
 * real and sorry server.  An error (FILE:LINE, at the first one that does
 * not fit) per limit appended to @errs: the number appended.  Start-up,
 * -t and reloads of both daemons refuse the same.
 */
int config_check_room(const struct nflvs_config *cfg, struct cfg_errors *errs);
/* The marks director.mark_mask @mask has room for. */
uint32_t config_mark_capacity(uint32_t mask);

int config_load(const char *path, struct nflvs_config *cfg,
		struct cfg_errors *errs);
void config_free(struct nflvs_config *cfg);
void config_errors_free(struct cfg_errors *errs);
/* Append @msg as it is to @errs. */
void config_error_push(struct cfg_errors *errs, const char *msg);
/* Append "FILE:LINE: message" to @errs (checks made after loading). */
void config_error_add(struct cfg_errors *errs, const char *file, int line,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Deep copies and frees of the parts (runtime changes edit a copy). */
int config_dup(struct nflvs_config *dst, const struct nflvs_config *src);
int config_service_dup(struct cfg_service *dst, const struct cfg_service *src);
int config_rs_dup(struct cfg_rs *dst, const struct cfg_rs *src);
void config_service_free(struct cfg_service *svc);
void config_rs_free(struct cfg_rs *rs);

/* Check type names (the other shared names are in names.h). */
int check_type_parse(const char *s);
const char *check_type_name(enum check_type t);
/* DNS query types by name, any case ("soa"): the RR type, or -EINVAL. */
int dns_type_parse(const char *s);
const char *dns_type_name(uint16_t type);

/*
 * Hex as keepalived's UDP_CHECK reads it: groups separated by spaces or
 * tabs, two digits to a byte, a last single digit of a group a byte of its
 * own; with @mask, a digit x or X matches any 4 bits (its mask bits are
 * set).  Fills up to @max bytes of @data (and @mask, which may be NULL when
 * wildcards are not allowed) and returns their number, or -EINVAL (a bad
 * character, nothing at all) or -E2BIG (more than @max).
 */
int config_hex_parse(const char *s, uint8_t *data, uint8_t *mask,
		     size_t max);
/* A DNS name: labels of 1..63 bytes, at most 253 characters without the
 * final dot, "." alone for the root. */
bool config_dns_name_ok(const char *s);

#endif
