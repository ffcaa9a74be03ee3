// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/tunbpf.h"
#include "clock.h"
#include "encap.h"
#include "log.h"
#include "tun.h"

/* ---- sending: per thread ------------------------------------------------- */

struct tx {
	int fd[2];		/* raw sockets, IPv4 and IPv6; -1 = not open */
	uint8_t *buf;
	size_t cap;
};

static pthread_key_t tx_key;
static pthread_once_t tx_once = PTHREAD_ONCE_INIT;

static void tx_free(void *p)
{
	struct tx *tx = p;

	if (tx->fd[0] >= 0)
		close(tx->fd[0]);
	if (tx->fd[1] >= 0)
		close(tx->fd[1]);
	free(tx->buf);
	free(tx);
}

static void tx_key_make(void)
{
	pthread_key_create(&tx_key, tx_free);
}

void tun_thread_done(void)
{
	struct tx *tx;

	pthread_once(&tx_once, tx_key_make);
	tx = pthread_getspecific(tx_key);
	if (!tx)
		return;
	pthread_setspecific(tx_key, NULL);
	tx_free(tx);
}

/* The calling thread's sockets and buffer, freed at its exit. */
static struct tx *tx_get(void)
{
	struct tx *tx;

	pthread_once(&tx_once, tx_key_make);
	tx = pthread_getspecific(tx_key);
	if (tx)
		return tx;
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	tx->fd[0] = tx->fd[1] = -1;
	if (pthread_setspecific(tx_key, tx)) {
		free(tx);
		return NULL;
	}
	return tx;
}

static int raw_socket(struct tx *tx, uint8_t family)
{
	int i = family == AF_INET6, one = 1, fd;

	if (tx->fd[i] >= 0)
		return tx->fd[i];
	/* IPPROTO_RAW: we write the IP header (IP_HDRINCL, IPV6_HDRINCL) */
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one));
	tx->fd[i] = fd;
	return fd;
}

static int raw_send(struct tx *tx, const struct nflvs_addr *to, const void *p,
		    size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = raw_socket(tx, to->family);

	if (fd < 0)
		return fd;
	addr_sockaddr(to, 0, &ss, &sl);
	return sendto(fd, p, len, 0, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
}

/* The flow's hash, for GUE's source port: the kernel path's (tunbpf.h). */
static uint32_t flow_hash(const struct flow_key *k)
{
	return tunbpf_flow_hash(k->proto, k->sport, k->dport, k->saddr.b,
				k->daddr.b, (unsigned int)addr_len(&k->saddr));
}

static bool tx_room(struct tx *tx, size_t need)
{
	uint8_t *nb;

	if (need <= tx->cap)
		return true;
	nb = realloc(tx->buf, need);
	if (!nb)
		return false;
	tx->buf = nb;
	tx->cap = need;
	return true;
}

void tun_send(struct dest *dst, const struct flow_key *k, const void *pkt,
	      uint32_t len, struct dir_counters *cnt)
{
	struct encap *e = __atomic_load_n(&dst->encap, __ATOMIC_ACQUIRE);
	struct tx *tx = tx_get();
	struct encap_result r;
	uint32_t i;
	int code, err = 0;

	if (!e || !tx || !tx_room(tx, ENCAP_HEADROOM + encap_space(e, len))) {
		counter_inc(&cnt->tun_errors);
		return;
	}
	memcpy(tx->buf + ENCAP_HEADROOM, pkt, len);
	code = encap_inplace(e, tx->buf, ENCAP_HEADROOM, len, tx->cap,
			     flow_hash(k), &r);
	if (code == ENCAP_SENT || code == ENCAP_TOOBIG)
		for (i = 0; i < r.n && !err; i++)
			err = raw_send(tx, &r.dst, tx->buf + encap_pkt_off(&r, i),
				       encap_pkt_len(&r, i));
	if (code == ENCAP_SENT && !err) {
		__atomic_add_fetch(&dst->tun_pkts, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&dst->tun_bytes, len, __ATOMIC_RELAXED);
	} else if (code == ENCAP_TOOBIG && !err) {
		counter_inc(&cnt->tun_toobig);
	} else if (code != ENCAP_DROP) {
		counter_inc(&cnt->tun_errors);
		log_debug("TUN: %s", err ? strerror(-err) : encap_code_str(code));
	}
}

/* ---- real servers ---------------------------------------------------------- */

static int tun_encap_init(struct encap *e, const struct cfg_tunnel *t,
			  const struct nflvs_addr *dst,
			  const struct route_info *ri)
{
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) < 0)
		seed = (uint32_t)clock_mono_ns();
	return encap_init(e, t, &ri->src, dst, ri->mtu, seed);
}

int tun_check(const struct cfg_rs *rc, const struct route_info *ri,
	      char *err, size_t errlen)
{
	char a[ADDR_STRLEN], src[ADDR_STRLEN];
	struct encap e;
	int ret = tun_encap_init(&e, &rc->tunnel, &rc->addr, ri);

	if (ret)
		snprintf(err, errlen, "real server %s: tunnel %s: cannot encapsulate toward it (path MTU %u, source %s)",
			 addr_str(&rc->addr, a, sizeof(a)),
			 tun_name(rc->tunnel.type), ri->mtu,
			 addr_str(&ri->src, src, sizeof(src)));
	return ret;
}

int tun_dest_up(struct dest *dst)
{
	struct route_info ri;
	struct encap *e;
	int ret;

	if (dst->encap)
		return 0;
	ret = route_lookup(&dst->addr, &ri);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	ret = tun_encap_init(e, &dst->cfg.tunnel, &dst->addr, &ri);
	if (ret)
		free(e);
	else
		__atomic_store_n(&dst->encap, e, __ATOMIC_RELEASE);
	return ret;
}

/* The workers are stopped, or the destination is being freed under the
 * service set's write lock: no packet is using it. */
void tun_dest_down(struct dest *dst)
{
	free(dst->encap);
	dst->encap = NULL;
}

void tun_refresh(struct svcset *set)
{
	struct route_info ri;
	unsigned int i, j;

	for (i = 0; i < set->nsvc; i++) {
		struct service *svc = set->svc[i];

		for (j = 0; j < svc->ndests; j++) {
			struct encap *e = svc->dests[j]->encap;

			if (e && route_lookup(&svc->dests[j]->addr, &ri) == 0 &&
			    ri.mtu != e->mtu)
				encap_set_mtu(e, ri.mtu);
		}
	}
}
