// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft.h"

/* No single message we build is larger; element lists are chunked. */
#define NFT_MSG_ROOM	(64 * 1024)

static int nft_batch_reserve(struct nft_batch *b, size_t room)
{
	size_t cap = b->cap;
	char *n;

	if (b->len + room <= b->cap)
		return 0;
	while (cap < b->len + room)
		cap = cap ? cap * 2 : 2 * NFT_MSG_ROOM;
	n = realloc(b->buf, cap);
	if (!n) {
		b->nomem = 1;
		return -ENOMEM;
	}
	/* zeroed, so that attribute padding is deterministic */
	memset(n + b->cap, 0, cap - b->cap);
	b->buf = n;
	b->cap = cap;
	return 0;
}

int nft_batch_init(struct nft_batch *b)
{
	struct nlmsghdr *nlh;

	memset(b, 0, sizeof(*b));
	b->seq = (uint32_t)time(NULL) << 8;
	if (nft_batch_reserve(b, NFT_MSG_ROOM) < 0)
		return -ENOMEM;
	nlh = nftnl_batch_begin(b->buf, b->seq++);
	b->len = NLMSG_ALIGN(nlh->nlmsg_len);
	b->seq_first = b->seq;
	return 0;
}

void nft_batch_free(struct nft_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t type,
			       uint16_t family, uint16_t flags)
{
	if (b->ended || nft_batch_reserve(b, NFT_MSG_ROOM) < 0)
		return NULL;
	b->cur = nftnl_nlmsg_build_hdr(b->buf + b->len, type, family,
				       flags | NLM_F_ACK, b->seq++);
	return b->cur;
}

void nft_batch_next(struct nft_batch *b)
{
	if (!b->cur)
		return;
	b->len += NLMSG_ALIGN(b->cur->nlmsg_len);
	b->cur = NULL;
}

int nft_batch_end(struct nft_batch *b)
{
	struct nlmsghdr *nlh;

	if (b->nomem || nft_batch_reserve(b, NFT_MSG_ROOM) < 0)
		return -ENOMEM;
	nlh = nftnl_batch_end(b->buf + b->len, b->seq++);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->ended = 1;
	return 0;
}

unsigned int nft_batch_count(const struct nft_batch *b)
{
	return b->seq - b->seq_first - (b->ended ? 1 : 0);
}

struct nlmsghdr *nft_batch_first(const struct nft_batch *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf;

	return nft_batch_following(b, nlh);
}

struct nlmsghdr *nft_batch_following(const struct nft_batch *b,
				     const struct nlmsghdr *nlh)
{
	const char *next = (const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len);
	const struct nlmsghdr *n = (const struct nlmsghdr *)next;

	if (next + sizeof(*n) > b->buf + b->len ||
	    n->nlmsg_type == NFNL_MSG_BATCH_END)
		return NULL;
	return (struct nlmsghdr *)n;
}

/*
 * Every message asks for an ack, and the kernel queues them all while
 * sendmsg() runs the batch: the receive buffer must hold one ack per
 * message (an skb of about 700 bytes each: 1 KiB, as nft allows), or the
 * kernel drops acks and reports ENOBUFS for a batch it applied.
 */
#define NFT_ACK_TRUESIZE	1024

int nl_cb_run2(const void *buf, size_t len, uint32_t seq, uint32_t portid,
	       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data,
	       mnl_cb_t *ctl, unsigned int nctl)
{
	size_t off = 0;
	struct nlmsghdr h;

	while (len - off >= sizeof(h)) {
		memcpy(&h, (const char *)buf + off, sizeof(h));
		/* a message with its padding: libmnl walks attributes up
		 * to the aligned end (the kernel always sends it whole) */
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off ||
		    NLMSG_ALIGN(h.nlmsg_len) > len - off)
			break;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return mnl_cb_run2(buf, off, seq, portid, cb, data, ctl, nctl);
}

int nl_recv_all(int fd, char *buf, size_t slice, unsigned int n,
		unsigned int max_calls,
		void (*fn)(void *ctx, const void *dgram, size_t len),
		void *ctx, unsigned int *cut)
{
	struct mmsghdr mm[64];
	struct iovec iov[64];
	unsigned int i, calls;
	int got, total = 0, lost = 0;

	if (n > 64)
		n = 64;
	for (calls = 0; calls < max_calls; calls++) {
		for (i = 0; i < n; i++) {
			iov[i] = (struct iovec){ buf + i * slice, slice };
			mm[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		got = recvmmsg(fd, mm, n, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				lost = 1;
				continue;
			}
			break;
		}
		for (i = 0; i < (unsigned int)got; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				(*cut)++;
			else
				fn(ctx, buf + i * slice, mm[i].msg_len);
		}
		total += got;
		if ((unsigned int)got < n)
			break;
	}
	return lost ? -ENOBUFS : total;
}

int nl_cb_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
	      int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	return nl_cb_run2(buf, len, seq, portid, cb, data, NULL, 0);
}

struct attr_tb {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct attr_tb *t = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

bool nl_attrs_parse(const struct nlmsghdr *nlh, const struct nlattr *nest,
		    const struct nlattr **tb, unsigned int max)
{
	struct attr_tb t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nest)
		return mnl_attr_parse_nested(nest, attr_cb, &t) >= MNL_CB_STOP;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return false;
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &t) >=
	       MNL_CB_STOP;
}

static struct mnl_socket *nft_socket(size_t sndbuf, unsigned int msgs)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	size_t acks = (size_t)msgs * NFT_ACK_TRUESIZE;
	int one = 1, rcv = acks > (8 << 20) ? (int)acks : 8 << 20;
	int snd = sndbuf + 4096;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	/* acks carry only the header, and the error text when there is one */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		   sizeof(rcv));
	if (snd > 200000)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE,
			   &snd, sizeof(snd));
	return nl;
}

/* Count the replies in one datagram; remember the first error. */
static void nft_read_acks(const char *buf, int len, struct nft_result *res)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct nlmsgerr *e;

		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		res->acked++;
		if (e->error && !res->err) {
			res->err = e->error;
			res->err_seq = e->msg.nlmsg_seq;
		}
	}
}

int nft_batch_commit(struct nft_batch *b, struct nft_result *res)
{
	unsigned int want = nft_batch_count(b);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct pollfd pfd;
	int n;

	memset(res, 0, sizeof(*res));
	if (!b->ended && nft_batch_end(b) < 0)
		return res->err = -ENOMEM;
	nl = nft_socket(b->len, want);
	if (!nl)
		return res->err = -errno;
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
		res->err = -errno;
		goto out;
	}
	/*
	 * The kernel processes the batch inside sendmsg(), so every reply is
	 * queued by now; a failed batch may answer fewer messages than sent.
	 */
	pfd.fd = mnl_socket_get_fd(nl);
	pfd.events = POLLIN;
	while (res->acked < want && poll(&pfd, 1, res->err ? 0 : 1000) > 0) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (!res->err)
				res->err = -errno;
			break;
		}
		nft_read_acks(buf, n, res);
	}
	if (!res->err && res->acked < want)
		res->err = -ETIMEDOUT;
out:
	mnl_socket_close(nl);
	return res->err;
}
