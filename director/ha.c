// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"
#include "ha.h"
#include "log.h"
#include "names.h"
#include "textbuf.h"

#define HA_MAGIC	0x4e464d4b	/* "NFMK" */
#define HA_VERSION	1

struct ha_wire {
	uint32_t magic;
	uint16_t version;
	uint8_t role;
	uint8_t pad;
	uint32_t nmarks;
	uint32_t mask;
	uint64_t digest;
} __attribute__((packed));

int ha_init(struct ha *h, const struct svcset *set, int *no_adopt,
	    const char *peer)
{
	struct sockaddr_storage local;
	struct nflvs_addr a, any;
	socklen_t llen;
	uint16_t port;
	int one = 1;

	memset(h, 0, sizeof(*h));
	h->set = set;
	h->no_adopt = no_adopt;
	h->fd = -1;
	h->state = HA_PEER_NONE;
	if (!peer || !*peer)
		return 0;
	if (addr_port_parse(peer, &a, &port) < 0 || !port)
		return -EINVAL;
	snprintf(h->peer_str, sizeof(h->peer_str), "%s", peer);
	addr_sockaddr(&a, port, &h->peer, &h->peerlen);
	memset(&any, 0, sizeof(any));
	any.family = a.family;
	addr_sockaddr(&any, port, &local, &llen);
	h->fd = socket(a.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		return -errno;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&local, llen) < 0) {
		int err = -errno;

		close(h->fd);
		h->fd = -1;
		return err;
	}
	h->state = HA_PEER_SILENT;
	return 0;
}

void ha_fini(struct ha *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

int ha_set_role(struct ha *h, uint32_t role, uint64_t now)
{
	int old = ha_role(h);

	if (role >= HA_ROLES)
		return -EINVAL;
	/* adoption off first: a takeover never adopts, even for a moment */
	__atomic_store_n(h->no_adopt, role != HA_MASTER, __ATOMIC_RELAXED);
	__atomic_store_n(&h->role, (int)role, __ATOMIC_RELAXED);
	if ((int)role != old) {
		h->role_since = now;
		log_info("role: %s (was %s)", role_names[role], role_names[old]);
	}
	return 0;
}

/* FNV-1a, 64 bits, over @len bytes, from @h. */
static uint64_t fnv64(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

static const char *dest_key(const struct dest *d, char *buf, size_t len)
{
	return service_mark_key(d->svc, &d->addr, d->port, d == d->svc->sorry,
				buf, len);
}

struct ha_digest ha_digest_of(const struct svcset *set)
{
	struct ha_digest dg = { .digest = 0xcbf29ce484222325ull,
				.mask = set->marks.mask };
	char key[SERVICE_MARK_KEYLEN];
	uint32_t i, n = svcset_capacity(set);

	for (i = 1; i <= n; i++) {
		const struct dest *d = svcset_by_index(set, i);
		uint32_t be = htonl(i);

		if (!d || !d->svc)
			continue;
		dest_key(d, key, sizeof(key));
		dg.digest = fnv64(dg.digest, &be, sizeof(be));
		dg.digest = fnv64(dg.digest, key, strlen(key) + 1);
		dg.nmarks++;
	}
	return dg;
}

enum ha_peer_state ha_compare(struct ha *h, const struct ha_digest *theirs,
			      uint64_t now)
{
	enum ha_peer_state st = theirs->digest == h->ours.digest &&
				theirs->nmarks == h->ours.nmarks &&
				theirs->mask == h->ours.mask ?
				HA_PEER_SAME : HA_PEER_DIFFERENT;

	h->theirs = *theirs;
	h->heard = now;
	if (st == h->state)
		return st;
	if (st == HA_PEER_DIFFERENT) {
		h->mismatches++;
		log_err("marks: peer %s has another mark table (%u marks, digest %016llx; here %u, %016llx): connections it synchronises would be counted against other real servers here; compare nflvsadm --status on both",
			h->peer_str, theirs->nmarks,
			(unsigned long long)theirs->digest, h->ours.nmarks,
			(unsigned long long)h->ours.digest);
	} else {
		log_info("marks: peer %s has the same mark table (%u marks)",
			 h->peer_str, h->ours.nmarks);
	}
	h->state = st;
	return st;
}

void ha_input(struct ha *h, uint64_t now)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct ha_wire w;
	struct ha_digest dg;
	ssize_t n;

	while ((n = recvfrom(h->fd, &w, sizeof(w), 0, (struct sockaddr *)&from,
			     &flen)) >= 0) {
		flen = sizeof(from);
		if (n != sizeof(w) || ntohl(w.magic) != HA_MAGIC ||
		    ntohs(w.version) != HA_VERSION)
			continue;
		dg = (struct ha_digest){ .digest = be64toh(w.digest),
					 .nmarks = ntohl(w.nmarks),
					 .mask = ntohl(w.mask) };
		ha_compare(h, &dg, now);
	}
}

void ha_tick(struct ha *h, uint64_t now)
{
	struct ha_wire w;

	if (h->fd < 0 || now < h->next_send)
		return;
	h->next_send = now + HA_PEER_INTERVAL;
	h->ours = ha_digest_of(h->set);
	w = (struct ha_wire){ .magic = htonl(HA_MAGIC),
			      .version = htons(HA_VERSION),
			      .role = (uint8_t)ha_role(h),
			      .nmarks = htonl(h->ours.nmarks),
			      .mask = htonl(h->ours.mask),
			      .digest = htobe64(h->ours.digest) };
	sendto(h->fd, &w, sizeof(w), 0, (struct sockaddr *)&h->peer,
	       h->peerlen);
	if (h->state != HA_PEER_NONE && h->state != HA_PEER_SILENT &&
	    now - h->heard > HA_PEER_TIMEOUT) {
		log_warn("marks: nothing heard from peer %s for %llu s",
			 h->peer_str,
			 (unsigned long long)((now - h->heard) / 1000000000ull));
		h->state = HA_PEER_SILENT;
	}
}

/* ---- nflvsadm --status ------------------------------------------------- */

static const char *const peer_state_names[] = {
	[HA_PEER_NONE] = "none", [HA_PEER_SILENT] = "not heard",
	[HA_PEER_SAME] = "same marks", [HA_PEER_DIFFERENT] = "DIFFERENT MARKS",
};

char *ha_status(struct ha *h, uint64_t now, size_t *len)
{
	struct textbuf t = { 0 };
	char key[SERVICE_MARK_KEYLEN];
	uint32_t i, n = svcset_capacity(h->set);

	h->ours = ha_digest_of(h->set);
	textbuf_printf(&t, "Role: %s (for %.1f s)\n", role_names[ha_role(h)],
	    (double)(now - h->role_since) / 1e9);
	textbuf_printf(&t, "Marks: %u, mask %#010x, digest %016llx\n", h->ours.nmarks,
	    h->ours.mask, (unsigned long long)h->ours.digest);
	if (h->fd < 0)
		textbuf_printf(&t, "Peer: none\n");
	else if (h->state == HA_PEER_SILENT)
		textbuf_printf(&t, "Peer %s: %s\n", h->peer_str,
		    peer_state_names[h->state]);
	else
		textbuf_printf(&t, "Peer %s: %s (%u marks, digest %016llx, heard %.1f s ago)\n",
		    h->peer_str, peer_state_names[h->state], h->theirs.nmarks,
		    (unsigned long long)h->theirs.digest,
		    (double)(now - h->heard) / 1e9);
	textbuf_printf(&t, "Mark       RealServer\n");
	for (i = 1; i <= n; i++) {
		const struct dest *d = svcset_by_index(h->set, i);

		if (d && d->svc)
			textbuf_printf(&t, "%#010x %s\n", d->mark, dest_key(d, key, sizeof(key)));
	}
	return textbuf_take(&t, len);
}
