/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SHM_H
#define NFLVS_SHM_H

/*
 * nflvs shared-memory ABI (contract).
 *
 * One POSIX shm segment per director (name from director.shm, default
 * "/nflvs"), created by the director with mode 0660:
 *
 *   struct nflvs_shm_header
 *   struct nflvs_shm_service  [header.max_services]
 *   struct nflvs_shm_rs       [header.max_rs]
 *
 * A slot whose id is 0 is free.  Ids are stable for the life of the object
 * and never reused while the segment lives.
 *
 * Writers: one per field.  The director writes the header and the "dir"
 * half of each record (configuration and connection counts); the health
 * checker writes only the "health" half of a real-server record.  Each half
 * has its own sequence counter (a seqlock): a writer makes it odd, writes,
 * makes it even again; a reader retries until it saw the same even value
 * before and after its copy.  Readers use nflvs_seq_read_begin/retry and
 * copy with nflvs_seq_copy (word-sized relaxed atomics), never plain
 * pointers into the live record.
 *
 * header.generation is bumped after every change of any "dir" half (service
 * or real server added, removed or edited), so a reader can rescan only when
 * something changed.  header.health_generation is bumped by the checker
 * after it publishes a result, so the director notices within milliseconds.
 *
 * Compatibility: readers must check magic and abi_version and use the sizes
 * in the header; fields are only ever appended to a record (and the size
 * grows), never moved.
 */

#include <stdint.h>

#define NFLVS_SHM_MAGIC		0x53564c4eU	/* "NLVS" little-endian */
#define NFLVS_SHM_ABI		1
#define NFLVS_SHM_DEFAULT	"/nflvs"

#define NFLVS_SHM_NAME_MAX	64
#define NFLVS_SHM_ERR_MAX	96

/* header.flags */
#define NFLVS_SHM_F_CLOSED	0x01	/* the director left; re-attach */

/* forwarding methods, as in the config */
enum nflvs_shm_fwd {
	NFLVS_FWD_NAT = 0,
	NFLVS_FWD_DR = 1,
	NFLVS_FWD_TUN = 2,
};

/* health.state */
enum nflvs_shm_state {
	NFLVS_RS_UNKNOWN = 0,	/* never checked (treated as up) */
	NFLVS_RS_UP = 1,
	NFLVS_RS_DOWN = 2,
};

/* dir.flags of a real server */
#define NFLVS_RS_F_OVERLOAD	0x01	/* over upper_threshold */
#define NFLVS_RS_F_DRAINING	0x02	/* reserved: a real server removed
					   by config leaves the segment */
#define NFLVS_RS_F_DOWN		0x04	/* not scheduled: the checker says down */

/* dir.flags of a service */
#define NFLVS_SVC_F_PERSISTENT	0x01
#define NFLVS_SVC_F_ONEPACKET	0x02
#define NFLVS_SVC_F_FWMARK	0x04
#define NFLVS_SVC_F_DOWN	0x08	/* below quorum */
#define NFLVS_SVC_F_SORRY	0x10	/* sorry server in use */

struct nflvs_shm_header {
	uint32_t magic;
	uint32_t abi_version;
	uint32_t header_size;
	uint32_t service_size;		/* sizeof(struct nflvs_shm_service) */
	uint32_t rs_size;		/* sizeof(struct nflvs_shm_rs) */
	uint32_t max_services;
	uint32_t max_rs;
	uint32_t director_pid;
	uint64_t director_start;	/* CLOCK_REALTIME ns; changes on restart */
	uint64_t generation;		/* atomic; bumped on "dir" changes */
	uint64_t health_generation;	/* atomic; bumped by the checker */
	uint32_t checker_pid;		/* written by the checker */
	uint32_t flags;			/* NFLVS_SHM_F_* (atomic) */
	uint32_t next_id;		/* director's id allocator */
	uint32_t reserved0;
	char config_path[256];		/* file the director loaded */
	uint8_t reserved[120];
};

struct nflvs_shm_service {
	uint32_t seq;			/* seqlock of the dir half */
	uint32_t id;			/* stable id; 0 = free slot */
	struct {
		uint8_t family;		/* AF_INET/AF_INET6 (fwmark: its
					   real servers') */
		uint8_t protocol;	/* IPPROTO_*; 0 for fwmark */
		uint16_t port;		/* host order */
		uint32_t fwmark;
		uint8_t addr[16];	/* network order */
		char name[NFLVS_SHM_NAME_MAX];
		char scheduler[16];
		uint32_t flags;		/* NFLVS_SVC_F_* */
		uint32_t sched_flags;
		uint32_t persistence;	/* seconds */
		uint32_t netmask;	/* prefix length */
		uint32_t quorum;
		uint32_t config_index;	/* position in the config file, or ~0 */
		uint64_t conns;		/* connections scheduled */
		uint64_t pad[4];
	} dir;
};

struct nflvs_shm_rs {
	uint32_t seq;			/* seqlock of the dir half */
	uint32_t id;			/* stable id; 0 = free slot */
	struct {
		uint32_t service_id;
		uint8_t family;
		uint8_t fwd;		/* enum nflvs_shm_fwd */
		uint16_t port;		/* host order */
		uint8_t addr[16];	/* network order */
		int32_t weight;		/* configured weight */
		uint32_t mark;		/* value under director.mark_mask */
		uint32_t flags;		/* NFLVS_RS_F_* */
		uint32_t u_threshold;
		uint32_t l_threshold;
		uint32_t config_index;	/* position in its service, or ~0 */
		uint32_t activeconns;
		uint32_t inactconns;
		uint32_t persistconns;
		uint32_t pad0;
		uint64_t conns;		/* connections scheduled */
		int32_t eff_weight;	/* what the scheduler uses now */
		uint32_t pad1;
		uint64_t pad[3];
	} dir;

	uint32_t hseq;			/* seqlock of the health half */
	uint32_t hpad;
	struct {
		uint32_t state;		/* enum nflvs_shm_state */
		int32_t weight;		/* effective weight; -1 = configured */
		uint64_t last_check;	/* CLOCK_REALTIME ns of the last result */
		uint64_t last_change;	/* CLOCK_REALTIME ns of the last transition */
		uint32_t latency_us;	/* of the last check */
		uint32_t transitions;
		uint64_t checks_ok;
		uint64_t checks_failed;
		char last_error[NFLVS_SHM_ERR_MAX];
		uint64_t pad[4];
	} health;
};

#endif
