/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CTL_H
#define NFLVS_CTL_H

/*
 * nflvs control protocol (nflvsadm <-> nflvs-director), version 1.
 *
 * A unix stream socket (director.control, default /run/nflvs/director.sock,
 * mode 0600 owned by root unless director.control_group allows a group).
 * Each message is one struct nflvs_ctl_hdr followed by hdr.len bytes of
 * payload.  The client sends a request; the director answers with one
 * reply of the same type and seq, status 0 or a negative errno, then waits
 * for the next request on the same connection.
 *
 * Payloads are the fixed-size structs below, in host byte order (the
 * socket is local), except addresses, which are in network order as in
 * struct nflvs_addr.  Strings are NUL-terminated within their arrays.  The
 * director validates every field of every request as untrusted input:
 * wrong magic or version, a length over NFLVS_CTL_MAX_LEN or not matching
 * the type, an unterminated string or an unknown enum value gets
 * -EPROTO / -EINVAL and, for framing errors, the connection is closed.
 *
 *   type               request payload                 reply payload
 *   INFO               -                               nflvs_ctl_info
 *   LIST               - or nflvs_ctl_svc (one)        for each service:
 *                                                      nflvs_ctl_svc, then
 *                                                      svc.ndests x
 *                                                      nflvs_ctl_dest
 *   CONNS              -                               nflvs_ctl_conn[]
 *   ADD/EDIT/DEL_SERVICE  nflvs_ctl_svc                -
 *   ADD/EDIT/DEL_DEST  nflvs_ctl_svc + nflvs_ctl_dest  -
 *   FLUSH              -                               -
 *   ZERO               - or nflvs_ctl_svc              -
 *   GET_TIMEOUT        -                               nflvs_ctl_timeout
 *   SET_TIMEOUT        nflvs_ctl_timeout (0 = keep)    -
 *   RELOAD             -                               on failure: text,
 *                                                      one error a line
 *
 * A service is identified by (family, protocol, addr, port) or, when
 * fwmark != 0, by (family, fwmark); a destination within it by
 * (addr, port).  Errors the director returns, as ipvsadm's commands see
 * them from the kernel: -EEXIST (service/destination already exists),
 * -ESRCH (no such service), -ENOENT (no such destination), -EINVAL (bad
 * value), -ENOSPC (table full, or the mark space is exhausted), -EPERM.
 *
 * Additions, compatible with version 1 (a v1 peer that does not know them
 * loses nothing):
 *
 * - ADD/EDIT_SERVICE with a scheduler the director does not have: -ENOENT,
 *   as the kernel answers (ipvsadm: "Scheduler or persistence engine not
 *   found").  ctl_check_svc() (common/ctlmsg.c) returns it.
 * - Any reply with status < 0 may carry a payload: text saying why, at
 *   most NFLVS_CTL_TEXT_MAX bytes, not NUL-terminated, lines separated by
 *   '\n' (RELOAD's error lines are the same thing).  nflvsadm prints
 *   ipvsadm's message for the errno first, then this text.
 * - -EOPNOTSUPP: valid, but not something this director does (a tunnel
 *   flag, a scheduler it knows by name but does not implement); say which
 *   in the text.
 * - NFLVS_CTL_TUN_F_REMCSUM (ipvsadm --tun-remcsum, gue only) and
 *   NFLVS_CTL_MAX_TIMEOUT (ipvsadm's limit for -p and --set).
 * - Receivers ignore hdr.reserved (senders set 0), so that it can carry
 *   flags later without a new version.
 * - BATCH (nflvsadm -R): the payload is a sequence of sub-requests, each a
 *   struct nflvs_ctl_hdr (magic, version, type, len; seq and status 0)
 *   and its payload, at most NFLVS_CTL_BATCH_MAX bytes in all.  Only
 *   ADD/EDIT/DEL_SERVICE, ADD/EDIT/DEL_DEST and FLUSH may be in it.  The
 *   director applies them in order to one copy of its configuration and
 *   commits that once (one nft batch).  A sub-request that fails stops
 *   the batch: the ones before it are applied, as ipvsadm -R leaves the
 *   lines before a failing one, and it and the ones after are not.  The
 *   reply carries struct nflvs_ctl_batch_reply: how many were applied
 *   (all of them when status is 0); on failure, status is the failing
 *   one's, and its text follows the struct.  A framing error anywhere in
 *   the batch is -EPROTO and nothing is applied.  A director without
 *   BATCH answers -EOPNOTSUPP and the client sends them one by one.
 * - The state sync daemons (ipvsadm --start-daemon, --stop-daemon,
 *   -L --daemon):
 *
 *   START_DAEMON    nflvs_ctl_daemon                -
 *   STOP_DAEMON     nflvs_ctl_daemon (state only)   -
 *   GET_DAEMON      -                               0 to 2 x
 *                                                   nflvs_ctl_daemon,
 *                                                   master first
 *
 *   START_DAEMON answers -EEXIST when that daemon runs already, -ENODEV
 *   for an unknown interface; STOP_DAEMON -ESRCH when it does not run.
 *   In requests, 0 (and an unset group) means the default: group
 *   224.0.0.81, port 8848, ttl 1, maxlen from the interface's MTU.  A
 *   unicast group address is the peer's.  Replies give the values in
 *   use and the daemon's counters.  A director without them answers
 *   -EOPNOTSUPP.
 */

#include <stdint.h>

#define NFLVS_CTL_MAGIC		0x434c464eU	/* "NFLC" little-endian */
#define NFLVS_CTL_VERSION	1
#define NFLVS_CTL_MAX_LEN	(64U << 20)
#define NFLVS_CTL_SOCKET	"/run/nflvs/director.sock"
#define NFLVS_CTL_TEXT_MAX	65536U		/* error text of a reply */
#define NFLVS_CTL_MAX_TIMEOUT	(86400U * 31)	/* seconds, as ipvsadm */
#define NFLVS_CTL_BATCH_MAX	(16U << 20)	/* payload of a BATCH */

enum nflvs_ctl_type {
	NFLVS_CTL_INFO = 1,
	NFLVS_CTL_LIST,
	NFLVS_CTL_CONNS,
	NFLVS_CTL_ADD_SERVICE,
	NFLVS_CTL_EDIT_SERVICE,
	NFLVS_CTL_DEL_SERVICE,
	NFLVS_CTL_ADD_DEST,
	NFLVS_CTL_EDIT_DEST,
	NFLVS_CTL_DEL_DEST,
	NFLVS_CTL_FLUSH,
	NFLVS_CTL_ZERO,
	NFLVS_CTL_GET_TIMEOUT,
	NFLVS_CTL_SET_TIMEOUT,
	NFLVS_CTL_RELOAD,
	NFLVS_CTL_BATCH,
	NFLVS_CTL_START_DAEMON,
	NFLVS_CTL_STOP_DAEMON,
	NFLVS_CTL_GET_DAEMON,
	NFLVS_CTL_SET_ROLE,		/* struct nflvs_ctl_role; keepalived's hooks */
	NFLVS_CTL_STATUS,		/* reply: text (role, marks, peer) */
	NFLVS_CTL_CHECK,		/* reply status 0: running and applying */
	NFLVS_CTL_TYPE_MAX,
};

struct nflvs_ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;		/* enum nflvs_ctl_type */
	uint32_t seq;
	int32_t status;		/* replies: 0 or -errno */
	uint32_t len;		/* payload bytes that follow */
	uint32_t reserved;	/* 0 */
};

/* The reply of BATCH: sub-requests applied, from the first. */
struct nflvs_ctl_batch_reply {
	uint32_t done;
	uint32_t reserved;	/* 0 */
};

/* Counters and rates (rates per second, estimated as IPVS does). */
struct nflvs_ctl_stats {
	uint64_t conns;
	uint64_t inpkts;
	uint64_t outpkts;
	uint64_t inbytes;
	uint64_t outbytes;
	uint64_t cps;
	uint64_t inpps;
	uint64_t outpps;
	uint64_t inbps;
	uint64_t outbps;
};

/* service flags */
#define NFLVS_CTL_SVC_F_PERSISTENT	0x0001
#define NFLVS_CTL_SVC_F_ONEPACKET	0x0004
#define NFLVS_CTL_SVC_F_HASHED		0x0002	/* ipvsadm's value; unused */

/* forwarding methods */
enum nflvs_ctl_fwd {
	NFLVS_CTL_FWD_NAT = 0,		/* Masq */
	NFLVS_CTL_FWD_DR = 1,		/* Route */
	NFLVS_CTL_FWD_TUN = 2,		/* Tunnel */
	NFLVS_CTL_FWD_LOCAL = 3,	/* Local (listing only) */
};

enum nflvs_ctl_tun {
	NFLVS_CTL_TUN_IPIP = 0,
	NFLVS_CTL_TUN_GUE = 1,
	NFLVS_CTL_TUN_GRE = 2,
};
#define NFLVS_CTL_TUN_F_CSUM	0x01
#define NFLVS_CTL_TUN_F_REMCSUM	0x02		/* gue only */

struct nflvs_ctl_svc {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t protocol;		/* IPPROTO_TCP/UDP/SCTP; 0 with fwmark */
	uint16_t port;
	uint32_t fwmark;
	uint8_t addr[16];
	char sched[16];			/* "" = keep (EDIT) or "wlc" (ADD) */
	uint32_t flags;			/* NFLVS_CTL_SVC_F_* */
	uint32_t sched_flags;		/* SCHED_F_* of common/names.h */
	uint32_t timeout;		/* persistence, seconds */
	uint32_t netmask;		/* persistence prefix length */
	char name[64];
	/* set in LIST replies, ignored in requests */
	uint32_t id;
	uint32_t ndests;
	uint32_t down;			/* below quorum / sorry server in use */
	uint32_t pad;
	struct nflvs_ctl_stats stats;
};

struct nflvs_ctl_dest {
	uint8_t family;
	uint8_t fwd;			/* enum nflvs_ctl_fwd */
	uint16_t port;
	uint8_t addr[16];
	int32_t weight;			/* configured weight */
	uint32_t u_threshold;
	uint32_t l_threshold;
	uint8_t tun_type;		/* enum nflvs_ctl_tun */
	uint8_t tun_flags;		/* NFLVS_CTL_TUN_F_* */
	uint16_t tun_port;
	/* set in LIST replies, ignored in requests */
	uint32_t id;
	int32_t eff_weight;		/* what the scheduler uses */
	uint32_t activeconns;
	uint32_t inactconns;
	uint32_t persistconns;
	uint32_t health;		/* enum nflvs_shm_state */
	uint32_t flags;			/* NFLVS_RS_F_* of shm.h */
	uint32_t latency_us;		/* of the last check */
	char last_error[96];
	uint32_t pad;			/* 0; was implicit padding */
	struct nflvs_ctl_stats stats;
};

/* One connection, as ipvsadm -Lc shows it. */
struct nflvs_ctl_conn {
	uint8_t family;
	uint8_t protocol;
	uint8_t fwd;
	uint8_t pad;
	char state[16];			/* "ESTABLISHED", "FIN_WAIT", "UDP", ... */
	uint32_t expires;		/* seconds left */
	uint8_t caddr[16];		/* client */
	uint8_t vaddr[16];		/* virtual */
	uint8_t daddr[16];		/* destination (real server) */
	uint16_t cport, vport, dport;
	uint16_t pad2;
};

struct nflvs_ctl_timeout {
	uint32_t tcp;			/* ESTABLISHED */
	uint32_t tcp_fin;		/* FIN_WAIT */
	uint32_t udp;
};

/* nflvs_ctl_daemon.state, as IPVS's IP_VS_STATE_* */
#define NFLVS_CTL_DAEMON_MASTER	1
#define NFLVS_CTL_DAEMON_BACKUP	2

struct nflvs_ctl_daemon {
	uint32_t state;			/* one NFLVS_CTL_DAEMON_* */
	char mcast_ifn[16];		/* --mcast-interface */
	uint32_t syncid;		/* 0-255 */
	uint32_t sync_maxlen;		/* 0 = the interface's MTU */
	uint8_t mcast_family;		/* AF_INET, AF_INET6; 0 = default */
	uint8_t mcast_ttl;		/* 0 = 1 */
	uint16_t mcast_port;		/* 0 = 8848 */
	uint8_t mcast_group[16];	/* multicast group or unicast peer */
	/* set in GET_DAEMON replies, ignored in requests */
	uint64_t sent_msgs;
	uint64_t sent_entries;
	uint64_t recv_msgs;
	uint64_t recv_entries;
	uint64_t dropped;		/* bad datagrams */
	uint64_t installed;		/* backup: entries taken */
	uint64_t unmatched;		/* backup: naming no real server here */
};

/*
 * A director's place in an active/backup pair (nflvsadm --role): a master
 * schedules, a backup or a director in fault keeps its state and
 * schedules nothing (IPVS's backup_only), and a director taking over
 * schedules new connections but does not adopt the packets of
 * connections it does not know until it is told it is master.  A director
 * never told is master.
 */
enum nflvs_ctl_role_value {
	NFLVS_CTL_ROLE_MASTER = 0,
	NFLVS_CTL_ROLE_BACKUP = 1,
	NFLVS_CTL_ROLE_TAKEOVER = 2,
	NFLVS_CTL_ROLE_FAULT = 3,
};

struct nflvs_ctl_role {
	uint32_t role;			/* enum nflvs_ctl_role_value */
};

struct nflvs_ctl_info {
	uint32_t version;		/* 0x010201 = "1.2.1", as IPVS reports */
	uint32_t conn_tab_size;		/* shown as (size=N) */
	uint32_t nservices;
	uint32_t pad;
	char name[32];			/* "nflvs 0.1" */
};

#endif
