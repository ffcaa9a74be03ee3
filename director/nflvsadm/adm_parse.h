/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_ADM_PARSE_H
#define NFLVS_ADM_PARSE_H

/*
 * nflvsadm's command line, parsed as ipvsadm 1.31 parses its own (popt
 * rules, the table of legal command/option pairs, the same defaults, the
 * same messages and exit codes) into one struct adm_cmd.  Pure: names of
 * hosts and services are looked up through the caller's struct adm_lookup.
 * Used for argv and, line by line, for -R.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "nflvs/ctl.h"

/* ipvsadm's commands in its order (cmdnames[]), then nflvs's. */
enum adm_cmd_type {
	ADM_CMD_NONE,
	ADM_CMD_ADD,
	ADM_CMD_EDIT,
	ADM_CMD_DEL,
	ADM_CMD_FLUSH,
	ADM_CMD_LIST,
	ADM_CMD_ADDDEST,
	ADM_CMD_DELDEST,
	ADM_CMD_EDITDEST,
	ADM_CMD_TIMEOUT,		/* --set */
	ADM_CMD_STARTDAEMON,
	ADM_CMD_STOPDAEMON,
	ADM_CMD_RESTORE,
	ADM_CMD_SAVE,
	ADM_CMD_ZERO,
	ADM_CMD_RELOAD,			/* nflvs: --reload */
	ADM_CMD_ROLE,			/* nflvs: --role ROLE */
	ADM_CMD_STATUS,			/* nflvs: --status */
	ADM_CMD_CHECK,			/* nflvs: --check */
	ADM_CMD_HELP,			/* -h: printed, nothing checked */
	ADM_CMD_VERSION,		/* -v */
	ADM_CMD_MAX,
};

/* Options, ipvsadm's in its order (optnames[]), then nflvs's. */
enum adm_opt {
	ADM_OPT_NUMERIC,
	ADM_OPT_CONNECTION,
	ADM_OPT_SERVICE,
	ADM_OPT_SCHEDULER,
	ADM_OPT_PERSISTENT,
	ADM_OPT_NETMASK,
	ADM_OPT_SERVER,
	ADM_OPT_FORWARD,
	ADM_OPT_WEIGHT,
	ADM_OPT_UTHRESHOLD,
	ADM_OPT_LTHRESHOLD,
	ADM_OPT_MCAST,
	ADM_OPT_TIMEOUT,
	ADM_OPT_DAEMON,
	ADM_OPT_STATS,
	ADM_OPT_RATE,
	ADM_OPT_THRESHOLDS,
	ADM_OPT_PERSISTENTCONN,
	ADM_OPT_NOSORT,
	ADM_OPT_SYNCID,
	ADM_OPT_EXACT,
	ADM_OPT_ONEPACKET,
	ADM_OPT_PE,
	ADM_OPT_SCHED_FLAGS,
	ADM_OPT_MCAST_GROUP,
	ADM_OPT_MCAST_PORT,
	ADM_OPT_MCAST_TTL,
	ADM_OPT_SYNC_MAXLEN,
	ADM_OPT_TUN_INFO,
	ADM_OPT_TUN_TYPE,
	ADM_OPT_TUN_PORT,
	ADM_OPT_TUN_NOCSUM,
	ADM_OPT_TUN_CSUM,
	ADM_OPT_TUN_REMCSUM,
	ADM_OPT_JSON,			/* nflvs */
	ADM_OPT_MAX,
};

#define ADM_OPT(o)	(1ULL << (o))

/* Output formats: ipvsadm's FMT_* values, then nflvs's. */
#define ADM_FMT_NUMERIC		0x0001
#define ADM_FMT_RULE		0x0002	/* -S */
#define ADM_FMT_STATS		0x0004
#define ADM_FMT_RATE		0x0008
#define ADM_FMT_THRESHOLDS	0x0010
#define ADM_FMT_PERSISTENTCONN	0x0020
#define ADM_FMT_NOSORT		0x0040
#define ADM_FMT_EXACT		0x0080
#define ADM_FMT_TUN_INFO	0x0100
#define ADM_FMT_SORT		0x0200	/* --sort: ipvsadm's order */
#define ADM_FMT_JSON		0x0400

#define ADM_DEF_SCHED		"wlc"
#define ADM_DEF_PERSISTENT	300	/* -p without a value */
#define ADM_SOCKET_MAX		108	/* sun_path */

struct adm_cmd {
	enum adm_cmd_type type;
	uint64_t opts;			/* ADM_OPT() of each option given */
	unsigned int fmt;		/* ADM_FMT_* */
	struct nflvs_ctl_svc svc;	/* -t/-u/--sctp-service/-f, -s, -p... */
	struct nflvs_ctl_dest dest;	/* -r, -m/-g/-i, -w, -x, -y, --tun-* */
	struct nflvs_ctl_timeout timeout;	/* --set */
	struct nflvs_ctl_daemon daemon;	/* --start/stop-daemon and options */
	char pe[16];			/* --pe (nflvs has none) */
	char socket[ADM_SOCKET_MAX];	/* --socket, "" = not given */
	uint32_t role;			/* --role: NFLVS_CTL_ROLE_* */
};

/*
 * Names the user may type instead of numbers, as ipvsadm accepts them
 * (gethostbyname(), getservbyname()).  A NULL function: numbers only.
 * host() returns 0 and the IPv4 address, or -errno; service() the port
 * (host order) or -1.
 */
struct adm_lookup {
	void *ctx;
	int (*host)(void *ctx, const char *name, struct in_addr *addr);
	int (*service)(void *ctx, const char *name, int protocol);
};

/*
 * A command line ipvsadm refuses: the message and ipvsadm's exit status
 * (2 for a bad value or combination; 255 for popt's errors and for usage,
 * where @tryhelp asks for "Try `PROG -h' or 'PROG --help' ..." instead).
 */
struct adm_error {
	int status;
	bool tryhelp;
	char msg[256];
};

/* adm_parse() flags */
#define ADM_PARSE_RESTORE	0x01	/* a line of -R: -R itself refused */

/*
 * Parse @argv (argv[0] is the program) into @cmd.  Returns 0, or -EINVAL
 * with @err filled.  With no arguments at all (or --socket alone) the
 * command is -L without -n, as ipvsadm lists the table when run bare.
 */
int adm_parse(int argc, char *const argv[], const struct adm_lookup *lk,
	      unsigned int flags, struct adm_cmd *cmd, struct adm_error *err);

/*
 * Split a line of -R input into an argv: argv[0] = @prog, then the words
 * of @line (blanks separate them; a leading "ipvsadm" or "nflvsadm" is
 * dropped; '#' at the start of a word comments out the rest of the line).
 * Returns argc (1 for a line with nothing to do) with *@argvp to free
 * with adm_argv_free(), or -ENOMEM.
 */
int adm_split_line(const char *line, const char *prog, char ***argvp);
void adm_argv_free(char **argv);

/* "add-service", "list", ...; "numeric", "service-address", ... */
const char *adm_cmd_name(enum adm_cmd_type type);
const char *adm_opt_name(enum adm_opt opt);

#endif
