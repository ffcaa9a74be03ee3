// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <sys/socket.h>

#include "finlog.h"
#include "nft.h"

#define FINLOG_COPY	128		/* IPv6 + TCP headers, with room */
/* each FIN at once: a SYN on its tuple may follow (flowpath_decide()) */
#define FINLOG_QTHRESH	1
#define FINLOG_TIMEOUT	1		/* 1/100 s */
#define FINLOG_RCVBUF	(4 << 20)
#define FINLOG_SLICE	1024		/* a packet's message, with room */

static struct nlmsghdr *cfg_msg(char *buf, uint16_t group, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	return nlh;
}

static int cfg_send(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid = mnl_socket_get_portid(nl);
	int n;

	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return mnl_cb_run(buf, n, 1, portid, NULL, NULL) < 0 ? -errno : 0;
}

static int finlog_config(struct mnl_socket *nl, uint16_t group)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfulnl_msg_config_cmd cmd = { NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(FINLOG_COPY),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	struct nlmsghdr *nlh;
	int ret;

	nlh = cfg_msg(buf, group, AF_UNSPEC);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	ret = cfg_send(nl, nlh);
	if (ret)
		return ret;
	nlh = cfg_msg(buf, group, AF_UNSPEC);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(FINLOG_QTHRESH));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(FINLOG_TIMEOUT));
	return cfg_send(nl, nlh);
}

int finlog_open(struct finlog *fl, uint16_t group)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER,
						 SOCK_CLOEXEC | SOCK_NONBLOCK);
	int rcv = FINLOG_RCVBUF, ret, fd;

	fl->fd = -1;
	fl->group = group;
	fl->lost = 0;
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	fd = mnl_socket_get_fd(nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* the config's acks are read blocking, then the socket is not */
	ret = finlog_config(nl, group);
	if (ret)
		goto fail;
	/* the fd is ours now: libmnl's wrapper goes, the socket stays */
	fl->fd = dup(fd);
	mnl_socket_close(nl);
	return fl->fd < 0 ? -errno : 0;
fail:
	mnl_socket_close(nl);
	return ret;
}

void finlog_close(struct finlog *fl)
{
	if (fl->fd >= 0)
		close(fl->fd);
	fl->fd = -1;
}

struct parse_ctx {
	finlog_fn fn;
	void *ctx;
};

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFULA_MAX + 1];
	struct parse_ctx *x = data;
	uint32_t mark = 0;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET) ||
	    !nl_attrs_parse(nlh, NULL, tb, NFULA_MAX) || !tb[NFULA_PAYLOAD])
		return MNL_CB_OK;
	if (tb[NFULA_MARK] && mnl_attr_get_payload_len(tb[NFULA_MARK]) == 4)
		mark = ntohl(mnl_attr_get_u32(tb[NFULA_MARK]));
	x->fn(x->ctx, mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
	      mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), mark);
	return MNL_CB_OK;
}

void finlog_parse(const void *buf, size_t len, finlog_fn fn, void *ctx)
{
	struct parse_ctx x = { fn, ctx };

	nl_cb_run(buf, len, 0, 0, packet_cb, &x);
}

struct fin_read {
	finlog_fn fn;
	void *ctx;
};

static void fin_read_one(void *ctx, const void *dgram, size_t len)
{
	struct fin_read *r = ctx;

	finlog_parse(dgram, len, r->fn, r->ctx);
}

void finlog_read(struct finlog *fl, finlog_fn fn, void *ctx)
{
	static char buf[32 * FINLOG_SLICE] __attribute__((aligned(4)));
	struct fin_read r = { fn, ctx };
	unsigned int cut = 0;

	if (fl->fd < 0)
		return;
	/* one packet a datagram (qthreshold 1): many to a call, and a
	 * bounded number of calls: the main loop has other work */
	if (nl_recv_all(fl->fd, buf, FINLOG_SLICE, 32, 64, fin_read_one, &r,
			&cut) == -ENOBUFS)
		fl->lost++;	/* the flows' looks will tell */
	fl->lost += cut;
}
