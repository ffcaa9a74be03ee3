/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_LAB_H
#define NFLVS_LAB_H

/*
 * End-to-end test lab: network namespaces, processes and files of one
 * test, all named after the test run and the test's pid, all removed by
 * lab_cleanup() (and, should the test crash, by tests/run-tests.sh).
 *
 * The NAT topology (lab_nat_topology):
 *
 *   cl  eth0 10.0.1.2/24 fd00:1::2/64   default via the director
 *    |
 *   dir eth0 10.0.1.1/24 fd00:1::1/64 + VIPs 10.0.1.100, fd00:1::100
 *       br0  10.0.2.1/24 fd00:2::1/64  (a bridge to the real servers)
 *    |
 *   rsN eth0 10.0.2.(10+N)/24 fd00:2::(10+N)/64, default via the director
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LAB_MAX_NS	16
#define LAB_MAX_PROCS	32
#define LAB_VIP4	"10.0.1.100"
#define LAB_VIP6	"fd00:1::100"

struct lab_proc {
	pid_t pid;
	char name[48];
};

struct lab {
	char id[32];
	char dir[160];
	char shm[64];
	char conf[200];
	char ns[LAB_MAX_NS][48];
	int nns;
	struct lab_proc proc[LAB_MAX_PROCS];
	int nproc;
	pid_t director;
	char director_args[32];	/* more options of lab_director_start() */
};

/* Start a lab (skips the test unless root). */
void lab_init(struct lab *l);
void lab_cleanup(struct lab *l);	/* may run twice */
/*
 * cr_assert_eq() for a suite's .init: Criterion runs neither the .fini nor
 * atexit handlers after a setup that failed, so the lab is cleaned up
 * here first, and no namespace or process outlives a failed setup.
 */
#define lab_setup_assert_eq(l, a, b, ...) do {				\
	long long lab_got_ = (a);					\
									\
	if (lab_got_ != (long long)(b))					\
		lab_cleanup(l);						\
	cr_assert_eq(lab_got_, (long long)(b), ##__VA_ARGS__);		\
} while (0)

/* Skip the test, the lab cleaned up first: criterion runs no .fini for a
 * test that skips itself. */
#define lab_skip(l, ...) do { lab_cleanup(l); cr_skip_test(__VA_ARGS__); } while (0)

/*
 * The DR topology (lab_dr_topology; tests/lib/lab.sh dr): client, router,
 * and on one LAN behind the router (a bridge in rt) the director and the
 * real servers.  Answers go from a real server to the router, past the
 * director.
 *
 *   cl  eth0 10.0.1.2/24 fd00:1::2/64   default via rt
 *   rt  eth0 10.0.1.1/24 fd00:1::1/64, br0 10.0.3.1/24 fd00:3::1/64
 *   dir eth0 10.0.3.2/24 fd00:3::2/64 + VIPs 10.0.3.100, fd00:3::100
 *   rsN eth0 10.0.3.(10+N)/24 fd00:3::(10+N)/64, the VIPs on lo (ARP
 *       quiet), rp_filter 0, default via rt
 */
#define LAB_DR_VIP4	"10.0.3.100"
#define LAB_DR_VIP6	"fd00:3::100"
int lab_dr_topology(struct lab *l, int nrs);

/*
 * The ECMP topology (lab_ecmp_topology; tests/lib/lab.sh ecmp): as DR, but
 * two directors, each with the VIP on lo, which the router reaches
 * through BGP routes (the test runs bird), spreading flows by ports.
 *
 *   rt   as in DR; fib_multipath_hash_policy 1
 *   dirD eth0 10.0.3.(1+D)/24 (D = 1, 2), the VIP 10.0.9.100 on lo
 *   rsN  as in DR, with the VIP 10.0.9.100 on lo
 */
#define LAB_ECMP_VIP4	"10.0.9.100"
int lab_ecmp_topology(struct lab *l, int nrs);

/* Director D (1, 2) of the ECMP topology and its files in the lab
 * directory; dir1's segment is the lab's, so that lab_set_health() plays
 * its checker (the test unlinks dir2's). */
struct lab_dirnode {
	char role[8];			/* dirD */
	char addr[24];			/* 10.0.3.(1+D) */
	char shm[80];
	char conf[256], ctl[256];	/* nflvsD.conf, ctlD.sock */
	pid_t director;
};
void lab_dirnode_init(struct lab *l, int d, struct lab_dirnode *n);

/*
 * A NAT director pair (lab_hapair_topology; tests/lib/lab.sh hapair): a
 * switch namespace with a front bridge (client, directors) and a back
 * bridge (directors, real servers), a link between the directors
 * (conntrackd's), and the VIPs left to the test's keepalived:
 *
 *   cl   eth0 10.0.1.2/24; the VIP 10.0.1.100 is on its link
 *   dirD eth0 10.0.1.(10+D)/24, eth1 10.0.2.(1+D)/24, eth2 10.0.5.D/24
 *   rsN  eth0 10.0.2.(10+N)/24, default via the gateway VIP 10.0.2.1
 */
#define LAB_HA_VIP4	"10.0.1.100"
#define LAB_HA_GW4	"10.0.2.1"
int lab_hapair_topology(struct lab *l, int nrs);

/* Namespace name of a role ("cl", "dir", "rs1"). */
const char *lab_ns(struct lab *l, const char *role);
int lab_ns_add(struct lab *l, const char *role);
int lab_nat_topology(struct lab *l, int nrs);

/* The monotonic clock in ms. */
long lab_now_ms(void);

/* Run a shell command; returns its exit status (output to sh.log). */
int lab_sh(struct lab *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Run and capture stdout into @out (NUL-terminated). */
int lab_cap(struct lab *l, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* How many times slower than a normal build every program of a sanitizer
 * build (make check SANITIZE=1: ASan and UBSan) runs, the busy host's
 * slowness multiplied.  The lab's waits below scale by it, and so do the
 * deadlines the tests hand to other programs (keepalived's check script,
 * nflvs-bird-watch's): this is the one place to tune them. */
#if defined(__SANITIZE_ADDRESS__)
#define LAB_SLOW	4
#else
#define LAB_SLOW	1
#endif
/* The lab_wait_* functions that wait for a condition to come true wait at
 * least this long, whatever @ms says (a busy host is slow, not wrong). */
#define LAB_WAIT_MIN_MS	(10000 * LAB_SLOW)
/* How long a program the lab starts (servers, the daemons, the decap
 * helper) has to say it is ready: on a loaded host the kernel may take
 * seconds to release each nft socket a start commits through. */
#define LAB_START_MS	(60000 * LAB_SLOW)

/* Poll a command until it exits 0 or @ms pass; returns 0 if it did. */
int lab_wait_sh(struct lab *l, int ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Run @cmd in namespace @role in the background, output to @name.log. */
pid_t lab_spawn(struct lab *l, const char *role, const char *name,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Signal and reap; returns the exit status or -1 (timeout: SIGKILL). */
int lab_stop(struct lab *l, pid_t pid, int sig, int ms);
/* Wait for @pid to exit by itself; -1 on timeout. */
int lab_wait_exit(struct lab *l, pid_t pid, int ms);
/* Write @text into the lab directory's file @name, with @mode. */
void lab_put(struct lab *l, const char *name, const char *text, int mode);
/* Contents of a log written by lab_spawn (static buffer). */
const char *lab_log(struct lab *l, const char *name);

/* A test real server in @role answering with @role as its name. */
int lab_serve(struct lab *l, const char *role, const char *args);
/* The same in rs1 .. rs@nrs, each with @args. */
int lab_serve_all(struct lab *l, int nrs, const char *args);

/* Write the director's config (the director section is added). */
void lab_write_conf(struct lab *l, const char *services);
/* Start the director on the config and wait until it runs. */
int lab_director_start(struct lab *l);
/* The same for another director: in @role, its log @name.log, config
 * @conf; its pid once it runs, or -1. */
pid_t lab_director_spawn(struct lab *l, const char *role, const char *name,
			 const char *conf);
int lab_director_stop(struct lab *l, int sig);

/*
 * `nflvs-testnet stream --conns @conns` in the client, as "stream" (its
 * log stream.log, its stats stream.stats: lab_stat(l, "stream", KEY)),
 * sending every 20 ms; returns its pid once every connection had an
 * answer, or -1 after 15 s.
 */
pid_t lab_stream(struct lab *l, const char *vip, int port, int conns);
/* The stream's every connection has had @more answers since its
 * rounds_min was @from, none reset, all @conns open; the test fails
 * (saying @when) otherwise. */
void lab_stream_progress(struct lab *l, long long from, int more, int conns,
			 const char *when);
/* Stop it: every one of @conns ok (the test fails otherwise); logs and
 * returns the longest stall in ms (-1 if unknown). */
long long lab_stream_finish(struct lab *l, pid_t pid, int conns,
			    const char *what);

/* Result of `nflvs-testnet count`. */
struct lab_tally {
	char name[8][32];
	int count[8];
	int n;
	int errors;
	char seq[256][16];
	int nseq;
};

int lab_count(struct lab *l, const char *role, struct lab_tally *t,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int lab_tally_of(const struct lab_tally *t, const char *name);


/* ---- the health checker (tests/e2e/health_test.c) ---------------------- */

#include <stdint.h>

#include <nflvs/shm.h>

/* The health half of a real-server record, as the checker published it. */
typedef __typeof__(((struct nflvs_shm_rs *)0)->health) lab_health_t;

/* Start build/nflvs-healthcheck in the director's namespace (log
 * "checker"), with extra @args, and wait until it runs; returns its pid. */
pid_t lab_checker_start(struct lab *l, const char *args);
/* Write the config (lab_write_conf), start the director and the checker;
 * the test fails if either does not start. */
void lab_start_checked(struct lab *l, const char *services);
/* lab_wait_health() that fails the test, with the checker's log, after
 * @ms. */
void lab_expect_health(struct lab *l, const char *addr, int port,
		       uint32_t state, int ms, lab_health_t *h);
/* Read the health of real server @addr:@port from the lab's segment:
 * 0, or -1 if there is no segment or no such real server. */
int lab_health(struct lab *l, const char *addr, int port, lab_health_t *h);
/* Poll (every 2 ms) until that real server's state is @state; 0 or -1
 * after @ms.  @h (may be NULL) gets the last health read. */
int lab_wait_health(struct lab *l, const char *addr, int port,
		    uint32_t state, int ms, lab_health_t *h);
/* header.director_start of the segment there now, 0 if none. */
uint64_t lab_shm_director_start(struct lab *l);
/* The pid of the newest process spawned as @name that still runs. */
pid_t lab_pid(struct lab *l, const char *name);


/* The director's record of real server @addr:@port (its dir half). */
struct nflvs_shm_rs;
int lab_rs_record(struct lab *l, const char *addr, int port,
		  struct nflvs_shm_rs *out);
/* Poll until real server @addr:@port shows @active/@inactive (-1 = any). */
int lab_wait_counts(struct lab *l, const char *addr, int port, int active,
		    int inactive, int ms);
/* Persistence templates pointing at real server @name ("rs1" = 10.0.2.11:80). */
int lab_rs_persist(struct lab *l, const char *name);
/*
 * Play the health checker: publish @state (NFLVS_RS_*) and @weight (-1 =
 * configured) for real server @addr:@port and bump health_generation.
 */
int lab_set_health(struct lab *l, const char *addr, int port, uint32_t state,
		   int weight, const char *error);

/*
 * build/tests/nflvs-decap in @role (see tests/helpers/decap.c): ARGS as
 * its command line ("--type gre", "encap --type ipip --to ..."), with
 * --ready-file and --stats-file @name.{ready,stats} in the lab directory
 * added; output to @name.log.  Returns the pid once it is ready, or -1.
 */
pid_t lab_decap(struct lab *l, const char *role, const char *name,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The value of @key ("decapsulated", "bad", "sent", ...) in @name.stats. */
long long lab_stat(struct lab *l, const char *name, const char *key);
/* Poll until @key in @name.stats is at least @min; its value, or -1. */
long long lab_wait_stat(struct lab *l, const char *name, const char *key,
			long long min, int ms);

/*
 * Two namespaces on one veth, for the real-server tests (no director):
 *
 *   cl eth0 10.0.3.1/24 fd00:3::1/64  ---  rs eth0 10.0.3.2/24 fd00:3::2/64
 *
 * rp_filter 0 (it is inherited from the host) and no DAD in both.  Returns
 * once both have their link-local addresses: a real server answering from
 * a VIP on lo takes eth0's as the source of its Neighbor Solicitations,
 * and without one (up to a second after the link comes up) its first IPv6
 * answers wait.
 */
#define LAB_PAIR_CL4	"10.0.3.1"
#define LAB_PAIR_CL6	"fd00:3::1"
#define LAB_PAIR_RS4	"10.0.3.2"
#define LAB_PAIR_RS6	"fd00:3::2"
int lab_pair_topology(struct lab *l);

/*
 * A director pair with keepalived (ha_test.c: NAT, sync_test.c: DR and
 * TUN), as contrib/ha/ deploys it: keepalived on contrib/ha/
 * keepalived.conf with the lab's addresses, the sync group's hook
 * contrib/ha/nflvs-ha-notify telling each director its role.  The test
 * fills in the addresses, starts each node's director (and conntrackd)
 * itself, and lab_ha_keepalived() starts its keepalived.
 */
enum lab_ha_loss {
	LAB_HA_KILL,		/* kill -9 of keepalived (both processes) and the director */
	LAB_HA_LINK_CUT,	/* its links dropped at the switch */
	LAB_HA_GRACEFUL,	/* keepalived stopped, then the director */
	LAB_HA_ZOMBIE,		/* kill -9 of the director alone */
};

struct lab_ha_node {
	char role[8];		/* "dir1", "dir2" */
	char ctl[256];		/* its director's control socket */
	char kconf[256], notify[256];
	char env[256];		/* more environment of its hook */
	pid_t director, keepalived, conntrackd;
};

struct lab_ha {
	const char *vip;	/* the client-side VIP, port 80 */
	int vip_len;		/* its prefix length */
	const char *gw;		/* NAT: the real servers' gateway VIP (/24);
				 * NULL: DR, TUN (no `back' instance) */
	const char *addr[3];	/* [D]: dir D's address on the VIP's link */
	const char *back[3];	/* NAT: the same on the real servers' link */
	const char *sw;		/* the role whose bridges carry the links */
	const char *ports[3];	/* [D]: dir D's ports there ("f1, b1") */
	int conns;		/* the stream's connections */
	struct lab_ha_node node[3];
};

/* The nodes' names and files (after the test set the fields above). */
void lab_ha_init(struct lab *l, struct lab_ha *h);
/* keepalived for dir@d (@unicast: VRRP to the peer's address). */
void lab_ha_keepalived(struct lab *l, struct lab_ha *h, int d, bool unicast);
/* dir@d holds the VIPs. */
bool lab_ha_has_vip(struct lab *l, struct lab_ha *h, int d);
/* Poll until director @d says it is @role; -1 after @ms. */
int lab_ha_wait_role(struct lab *l, struct lab_ha *h, int d, const char *role,
		     int ms);
/* dir@d becomes master: the VIPs, the hook's word, the role (asserted). */
void lab_ha_expect_master(struct lab *l, struct lab_ha *h, int d);
/* Lose dir@d @how. */
void lab_ha_lose(struct lab *l, struct lab_ha *h, int d, enum lab_ha_loss how);
/*
 * dir@from is master and the stream runs: lose it @how; dir@to takes
 * the VIPs, a new connection succeeds, dir@to is master and every
 * connection of the stream goes on, none reset (asserted with generous
 * deadlines; the time to the VIPs and to the new connection is logged,
 * tests/bench/ha.sh judges them).
 */
void lab_ha_failover(struct lab *l, struct lab_ha *h, int from, int to,
		     enum lab_ha_loss how, const char *what);

/* The real server a persistent client in "cl" gets at @vip:80: the one
 * all @n new connections reached ("" if they were spread or failed). */
void lab_one_server(struct lab *l, const char *vip, int n, char *name,
		    size_t len);

#endif
