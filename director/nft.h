/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_NFT_H
#define NFLVS_NFT_H

/*
 * A growable nf_tables batch and the netlink round trip that commits it.
 * Building never touches the kernel (the unit tests parse the buffer back);
 * nft_batch_commit() sends it and reads every reply, because the kernel
 * answers each message of a batch separately and one failure aborts all.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

struct nft_batch {
	char *buf;
	size_t len, cap;
	struct nlmsghdr *cur;		/* message being built */
	uint32_t seq_first;		/* seq of the first message after begin */
	uint32_t seq;			/* seq of the next message */
	int nomem;			/* an allocation failed on the way */
	int ended;
};

struct nft_result {
	int err;			/* 0 or -errno of the first failure */
	uint32_t err_seq;		/* seq of the message that failed */
	unsigned int acked;		/* replies read */
};

int nft_batch_init(struct nft_batch *b);
void nft_batch_free(struct nft_batch *b);
/* Start a message (NLM_F_ACK is added); NULL if out of memory. */
struct nlmsghdr *nft_batch_msg(struct nft_batch *b, uint16_t type,
			       uint16_t family, uint16_t flags);
/* The message built into the last nft_batch_msg() is complete. */
void nft_batch_next(struct nft_batch *b);
/* Close the batch (NFNL_MSG_BATCH_END). */
int nft_batch_end(struct nft_batch *b);
unsigned int nft_batch_count(const struct nft_batch *b);

/* Send and read every reply.  Returns 0 or the first error (-errno). */
int nft_batch_commit(struct nft_batch *b, struct nft_result *res);

/*
 * mnl_cb_run() on the whole netlink messages at the start of @buf (@len
 * bytes, 4-aligned as a recv() buffer is): what follows a message that
 * claims more bytes than there are is dropped.  libmnl alone would follow
 * an nlmsg_len above INT_MAX out of the buffer.  Every parser of netlink
 * replies (conntrack, nf_tables dumps) goes through it.
 */
int nl_cb_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
	      int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);
/* The same with mnl_cb_run2()'s callbacks for control messages (@ctl
 * indexed by type, @nctl of them; a type below @nctl with no callback is
 * skipped), for a reader that wants its error replies. */
int nl_cb_run2(const void *buf, size_t len, uint32_t seq, uint32_t portid,
	       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data,
	       mnl_cb_t *ctl, unsigned int nctl);

/*
 * What waits on netlink socket @fd, up to @n datagrams a system call
 * (recvmmsg): an event or log socket gets one datagram per message, and
 * a recv() each cost more than the message.  Each datagram lands in its
 * own @slice bytes of @buf (@n * @slice) and goes to @fn; one cut short
 * (larger than @slice) counts in *@cut instead.  Until nothing waits or
 * @max_calls calls.  Returns the datagrams read, or -ENOBUFS when the
 * socket overflowed (messages were lost; what was read went to @fn).
 */
int nl_recv_all(int fd, char *buf, size_t slice, unsigned int n,
		unsigned int max_calls,
		void (*fn)(void *ctx, const void *dgram, size_t len),
		void *ctx, unsigned int *cut);

/* The attributes of @nlh after its nfgenmsg (@nest NULL) or of @nest, by
 * type up to @max, others skipped; false if there is not even the
 * nfgenmsg or an attribute's header is broken. */
bool nl_attrs_parse(const struct nlmsghdr *nlh, const struct nlattr *nest,
		    const struct nlattr **tb, unsigned int max);

/* Iterate the messages between begin and end (for tests and debugging). */
struct nlmsghdr *nft_batch_first(const struct nft_batch *b);
struct nlmsghdr *nft_batch_following(const struct nft_batch *b,
				     const struct nlmsghdr *nlh);

#endif
