// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-memfill: many connections at once, for the memory benchmark
 * (tests/bench/memory.sh), made the way the director would learn them.
 *
 *   nflvs-memfill conntrack COUNT MARK CLIENT VIP:PORT RS:PORT
 *       COUNT established TCP conntrack entries of a NAT connection
 *       CLIENT.. -> VIP:PORT, answered by RS:PORT, with conntrack mark
 *       MARK: the director hears of them through its event socket (or its
 *       dump after an overrun), as of connections it scheduled.
 *   nflvs-memfill flows COUNT MARK CLIENT VIP:PORT [TABLE [inet]]
 *       COUNT elements of the DR TCP flow map (ruleset.c's layout, the
 *       director's table TABLE, "nflvs" unless given; in the inet family
 *       where the kernel has the native queue expression), the mark MARK:
 *       a director started after them adopts them, as it adopts flows a
 *       director before it left (a running one never reads the maps).
 *
 * Clients are CLIENT, CLIENT + 1, ..., each with source ports 1024-60999;
 * IPv4 only.  Entries go in batches of netlink messages, not one process
 * per entry.  Prints how many were made; exits non-zero on any error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "nft.h"
#include "ruleset.h"

#define PORTS		60000u		/* source ports per client address */
#define CT_BATCH	256u		/* conntrack messages per send (< wmem) */
#define FLOW_BATCH	20000u		/* flow elements per nftables batch */
#define CT_TIMEOUT	7200u		/* s: outlives any benchmark */
#define FLOW_TIMEOUT_MS	(7200u * 1000)

struct target {
	uint32_t count, mark;
	struct in_addr client, vip, rs;
	uint16_t vport, rport;
};

/* the i-th client: address and source port (host order) */
static void client_of(const struct target *t, uint32_t i, struct in_addr *a,
		      uint16_t *port)
{
	a->s_addr = htonl(ntohl(t->client.s_addr) + i / PORTS);
	*port = 1024 + i % PORTS;
}

static struct nlmsghdr *ct_put_new(char *buf, uint32_t seq,
				   struct nf_conntrack *ct)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	g->version = NFNETLINK_V0;
	nfct_nlmsg_build(nlh, ct);
	return nlh;
}

struct acks {
	unsigned int answered, failed;
	int first_err;
};

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct acks *a = data;

	a->answered++;
	if (e->error) {
		if (!a->failed)
			a->first_err = -e->error;
		a->failed++;
	}
	return MNL_CB_OK;
}

static int fill_conntrack(const struct target *t)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	size_t cap = CT_BATCH * 512;
	char *buf = malloc(cap);
	struct nf_conntrack *ct = nfct_new();
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ack_cb };
	uint32_t i = 0, seq = (uint32_t)time(NULL);
	unsigned int made = 0;
	int rcv = 8 << 20, ret = 0;

	if (!nl || !buf || !ct || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("conntrack socket");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		   sizeof(rcv));
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, t->vip.s_addr);
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(t->vport));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, t->rs.s_addr);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(t->rport));
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_SEEN_REPLY | IPS_ASSURED);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, CT_TIMEOUT);
	nfct_set_attr_u32(ct, ATTR_MARK, t->mark);
	while (i < t->count && !ret) {
		struct acks a = { 0 };
		uint32_t n = 0, seq0 = seq;
		size_t len = 0;

		for (; n < CT_BATCH && i < t->count; n++, i++) {
			struct in_addr c;
			uint16_t port;

			client_of(t, i, &c, &port);
			nfct_set_attr_u32(ct, ATTR_IPV4_SRC, c.s_addr);
			nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(port));
			nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, c.s_addr);
			nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(port));
			len += NLMSG_ALIGN(ct_put_new(buf + len, seq++, ct)->nlmsg_len);
		}
		if (mnl_socket_sendto(nl, buf, len) < 0) {
			perror("conntrack send");
			ret = 1;
			break;
		}
		while (a.answered < n) {
			int r = mnl_socket_recvfrom(nl, buf, cap);

			if (r <= 0) {
				perror("conntrack receive");
				ret = 1;
				break;
			}
			mnl_cb_run2(buf, r, 0, 0, NULL, &a, ctl, NLMSG_MIN_TYPE);
		}
		made += n - a.failed;
		if (a.failed) {
			fprintf(stderr, "conntrack: %u of %u entries (from seq %u) failed: %s\n",
				a.failed, n, seq0, strerror(a.first_err));
			ret = 1;
		}
	}
	printf("conntrack entries made: %u\n", made);
	nfct_destroy(ct);
	free(buf);
	mnl_socket_close(nl);
	return ret;
}

static int fill_flows(const struct target *t, const char *table, bool inet)
{
	struct ruleset rs = { .table = table, .native_queue = inet };
	struct rs_flow f = {
		.saddr.family = AF_INET, .daddr.family = AF_INET,
		.daddr.v4 = t->vip, .dport = t->vport, .mark = t->mark,
		.map = RS_FLOWS_TCP, .timeout_ms = FLOW_TIMEOUT_MS,
	};
	unsigned int made = 0;
	uint32_t i = 0, n;
	char err[256];

	while (i < t->count) {
		struct nft_batch b;

		if (nft_batch_init(&b) < 0) {
			fprintf(stderr, "flows: out of memory\n");
			return 1;
		}
		for (n = 0; n < FLOW_BATCH && i < t->count; n++, i++) {
			client_of(t, i, &f.saddr.v4, &f.sport);
			if (ruleset_build_flow(&b, &rs, &f, false) < 0) {
				fprintf(stderr, "flows: out of memory\n");
				nft_batch_free(&b);
				return 1;
			}
		}
		if (ruleset_commit(&b, err, sizeof(err)) < 0) {
			fprintf(stderr, "flows: %s\n", err);
			nft_batch_free(&b);
			printf("flow elements made: %u\n", made);
			return 1;
		}
		nft_batch_free(&b);
		made += n;
	}
	printf("flow elements made: %u\n", made);
	return 0;
}

static int addr_port(const char *s, struct in_addr *a, uint16_t *port)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : 0;
	char *end;
	unsigned long p;

	if (!colon || len >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end || !p || p > 65535 || inet_pton(AF_INET, host, a) != 1)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: nflvs-memfill conntrack COUNT MARK CLIENT VIP:PORT RS:PORT\n"
		"       nflvs-memfill flows COUNT MARK CLIENT VIP:PORT [TABLE [inet]]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct target t = { 0 };
	bool ct;
	char *end;

	if (argc < 6)
		return usage();
	ct = !strcmp(argv[1], "conntrack");
	if (!ct && strcmp(argv[1], "flows"))
		return usage();
	t.count = strtoul(argv[2], &end, 0);
	if (*end || !t.count)
		return usage();
	t.mark = strtoul(argv[3], &end, 0);
	if (*end || !t.mark || inet_pton(AF_INET, argv[4], &t.client) != 1 ||
	    addr_port(argv[5], &t.vip, &t.vport) < 0)
		return usage();
	if (ct)
		return argc == 7 && addr_port(argv[6], &t.rs, &t.rport) == 0 ?
		       fill_conntrack(&t) : usage();
	if (argc > 8 || (argc == 8 && strcmp(argv[7], "inet")))
		return usage();
	return fill_flows(&t, argc > 6 ? argv[6] : "nflvs", argc == 8);
}
