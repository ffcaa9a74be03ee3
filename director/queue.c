// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NFQUEUE through libmnl and libnetfilter_queue's nlmsg helpers.
 *
 * Only the first bytes of each packet are copied to us (the headers the
 * scheduler needs).  NETLINK_NO_ENOBUFS: when the kernel drops packets on
 * a full queue we are not told, and must not stop because of it; a larger
 * receive buffer makes that rarer.  Verdicts are not acknowledged: the
 * kernel only answers with an error, which we count.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "queue.h"

#define QUEUE_RX_SIZE		(128 * 1024)	/* a whole 64 KiB packet (TUN) */
#define QUEUE_TX_SIZE		(256 * 1024)
#define QUEUE_SOCK_RCVBUF	(8 << 20)
#define QUEUE_MAXLEN		8192	/* packets waiting in the kernel */
#define QUEUE_DRAIN_MAX		64	/* datagrams per verdict send */
#define QUEUE_VERDICT_ROOM	(512 + 65535)

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* Send one config message and wait for its ack. */
static int queue_talk(struct queue_worker *w, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(w->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, n, 0, w->portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int queue_config(struct queue_worker *w, uint32_t copy_range)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	/* EBUSY here: another process holds the queue */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, w->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	err = queue_talk(w, nlh);
	if (err)
		return err;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, w->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, QUEUE_MAXLEN);
	return queue_talk(w, nlh);
}

int queue_open(struct queue_worker *w, uint16_t num, uint32_t copy_range,
	       queue_decide_fn decide, void *ctx)
{
	int one = 1, rcv = QUEUE_SOCK_RCVBUF, err;

	memset(w, 0, sizeof(*w));
	w->stop_fd = -1;
	w->num = num;
	w->decide = decide;
	w->ctx = ctx;
	w->rx = malloc(QUEUE_RX_SIZE);
	w->tx = malloc(QUEUE_TX_SIZE);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!w->rx || !w->tx || w->stop_fd < 0 || !w->nl) {
		err = errno ? -errno : -ENOMEM;
		goto fail;
	}
	if (mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	w->portid = mnl_socket_get_portid(w->nl);
	mnl_socket_setsockopt(w->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcv, sizeof(rcv));
	err = queue_config(w, copy_range);
	if (err)
		goto fail;
	return 0;
fail:
	queue_close(w);
	return err;
}

static int queue_flush(struct queue_worker *w)
{
	int ret = 0;

	if (!w->txlen)
		return 0;
	if (mnl_socket_sendto(w->nl, w->tx, w->txlen) < 0)
		ret = -errno;
	stat_add(&w->stats.sends, 1);
	w->txlen = 0;
	return ret;
}

static void queue_put_verdict(struct queue_worker *w, uint32_t id,
			      const struct verdict *v)
{
	struct nlmsghdr *nlh;

	if (w->txlen + QUEUE_VERDICT_ROOM > QUEUE_TX_SIZE)
		queue_flush(w);
	nlh = nfq_nlmsg_put(w->tx + w->txlen, NFQNL_MSG_VERDICT, w->num);
	nfq_nlmsg_verdict_put(nlh, id, v->verdict);
	if (v->set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, v->mark);
	if (v->payload)
		nfq_nlmsg_verdict_put_pkt(nlh, v->payload, v->payload_len);
	w->txlen += NLMSG_ALIGN(nlh->nlmsg_len);
	stat_add(&w->stats.verdicts, 1);
}

static int queue_packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct queue_worker *w = data;
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	struct verdict v = { .verdict = NF_ACCEPT };
	uint32_t id, mark = 0;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;	/* nothing we could answer */
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	if (attr[NFQA_MARK])
		mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	stat_add(&w->stats.packets, 1);
	if (attr[NFQA_PAYLOAD])
		w->decide(w->ctx, mnl_attr_get_payload(attr[NFQA_PAYLOAD]),
			  mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]), mark, &v);
	else
		w->decide(w->ctx, NULL, 0, mark, &v);
	queue_put_verdict(w, id, &v);
	return MNL_CB_OK;
}

static void queue_datagram(struct queue_worker *w, int len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)w->rx;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (e->error)
				stat_add(&w->stats.errors, 1);
			continue;
		}
		if (nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) |
					NFQNL_MSG_PACKET))
			queue_packet_cb(nlh, w);
	}
}

static void *queue_thread(void *arg)
{
	struct queue_worker *w = arg;
	struct pollfd p[2] = {
		{ .fd = mnl_socket_get_fd(w->nl), .events = POLLIN },
		{ .fd = w->stop_fd, .events = POLLIN },
	};
	int n, i;

	if (w->thread_init)
		w->thread_init();
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		for (i = 0; i < QUEUE_DRAIN_MAX; i++) {
			n = recv(p[0].fd, w->rx, QUEUE_RX_SIZE, MSG_DONTWAIT);
			if (n <= 0)
				break;
			queue_datagram(w, n);
		}
		if (queue_flush(w) < 0)
			stat_add(&w->stats.errors, 1);
	}
	return NULL;
}

int queue_start(struct queue_worker *w, void (*thread_init)(void))
{
	int err;

	w->thread_init = thread_init;
	err = pthread_create(&w->thread, NULL, queue_thread, w);

	if (err)
		return -err;
	w->running = 1;
	return 0;
}

void queue_close(struct queue_worker *w)
{
	uint64_t one = 1;

	if (w->running) {
		if (write(w->stop_fd, &one, sizeof(one)) < 0) {
			/* the eventfd cannot be full: one write per stop */
		}
		pthread_join(w->thread, NULL);
		w->running = 0;
	}
	if (w->nl)
		mnl_socket_close(w->nl);	/* unbinds the queue */
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	free(w->rx);
	free(w->tx);
	w->nl = NULL;
	w->stop_fd = -1;
	w->rx = w->tx = NULL;
}

void queue_get_stats(const struct queue_worker *w, struct queue_stats *s)
{
	s->packets = __atomic_load_n(&w->stats.packets, __ATOMIC_RELAXED);
	s->verdicts = __atomic_load_n(&w->stats.verdicts, __ATOMIC_RELAXED);
	s->sends = __atomic_load_n(&w->stats.sends, __ATOMIC_RELAXED);
	s->errors = __atomic_load_n(&w->stats.errors, __ATOMIC_RELAXED);
}

int queue_set_copy_range(struct queue_worker *w, uint32_t copy_range)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	/* no ack: the worker thread reads this socket */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, w->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, copy_range);
	return mnl_socket_sendto(w->nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}
