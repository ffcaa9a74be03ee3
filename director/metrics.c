// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "director.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"

struct page {
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct page *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->err = 1;
			return;
		}
		if (p->len + n < p->cap)
			break;
		p->cap = (p->cap + n) * 2;
		p->buf = realloc(p->buf, p->cap);
		if (!p->buf) {
			p->err = 1;
			p->cap = p->len = 0;
			return;
		}
	}
	p->len += n;
}

/* service="web",vip="10.0.1.100",port="80",protocol="tcp",fwmark="0" */
static void svc_labels(const struct service *s, char *buf, size_t len)
{
	char a[ADDR_STRLEN] = "";
	const char *proto = s->fwmark ? "" :
		s->protocol == IPPROTO_TCP ? "tcp" :
		s->protocol == IPPROTO_UDP ? "udp" : "sctp";

	if (!s->fwmark)
		addr_str(&s->vip, a, sizeof(a));
	snprintf(buf, len, "service=\"%s\",vip=\"%s\",port=\"%u\",protocol=\"%s\",fwmark=\"%u\"",
		 s->name, a, s->port, proto, s->fwmark);
}

static void dest_labels(const struct service *s, const struct dest *dst,
			char *buf, size_t len)
{
	char sl[256], a[ADDR_STRLEN];

	svc_labels(s, sl, sizeof(sl));
	snprintf(buf, len, "%s,server=\"%s\",server_port=\"%u\"", sl,
		 addr_str(&dst->addr, a, sizeof(a)), dst->port);
}

struct family {
	const char *name, *type, *help;
};

static const struct family fam[] = {
	{ "nflvs_service_connections_total", "counter", "Connections scheduled to the virtual service." },
	{ "nflvs_service_packets_total", "counter", "Packets of the virtual service, by direction." },
	{ "nflvs_service_bytes_total", "counter", "Bytes of the virtual service, by direction." },
	{ "nflvs_real_server_connections_total", "counter", "Connections scheduled to the real server." },
	{ "nflvs_real_server_packets_total", "counter", "Packets to (in) and from (out) the real server." },
	{ "nflvs_real_server_bytes_total", "counter", "Bytes to (in) and from (out) the real server." },
	{ "nflvs_real_server_active_connections", "gauge", "TCP connections in ESTABLISHED, as IPVS ActiveConn." },
	{ "nflvs_real_server_inactive_connections", "gauge", "Other connections, as IPVS InActConn." },
	{ "nflvs_real_server_weight", "gauge", "Effective weight the scheduler uses (0: quiesced or down)." },
	{ "nflvs_real_server_up", "gauge", "1 unless the health checker reports the real server down." },
	{ "nflvs_real_server_check_latency_seconds", "gauge", "Duration of the last health check." },
};

static void header(struct page *p, int i)
{
	put(p, "# HELP %s %s\n# TYPE %s %s\n", fam[i].name, fam[i].help,
	    fam[i].name, fam[i].type);
}

static void render_service(struct director *d, struct page *p, int i,
			   const struct service *s)
{
	struct nflvs_ctl_stats st;
	char l[512];
	unsigned int j;

	if (i < 3) {
		stats_service(s, &st);
		svc_labels(s, l, sizeof(l));
		if (i == 0)
			put(p, "%s{%s} %llu\n", fam[i].name, l, (unsigned long long)st.conns);
		else
			put(p, "%s{%s,direction=\"in\"} %llu\n%s{%s,direction=\"out\"} %llu\n",
			    fam[i].name, l, (unsigned long long)(i == 1 ? st.inpkts : st.inbytes),
			    fam[i].name, l, (unsigned long long)(i == 1 ? st.outpkts : st.outbytes));
		return;
	}
	for (j = 0; j < s->ndests; j++) {
		const struct dest *dst = s->dests[j];
		struct nflvs_shm_rs h = { 0 };

		dest_labels(s, dst, l, sizeof(l));
		stats_dest(dst, &st);
		if (dst->shm_slot >= 0)
			nflvs_seq_read(&d->shm.rs[dst->shm_slot].hseq, &h.health,
				       &d->shm.rs[dst->shm_slot].health,
				       sizeof(h.health));
		switch (i) {
		case 3:
			put(p, "%s{%s} %llu\n", fam[i].name, l, (unsigned long long)st.conns);
			break;
		case 4:
		case 5:
			put(p, "%s{%s,direction=\"in\"} %llu\n%s{%s,direction=\"out\"} %llu\n",
			    fam[i].name, l, (unsigned long long)(i == 4 ? st.inpkts : st.inbytes),
			    fam[i].name, l, (unsigned long long)(i == 4 ? st.outpkts : st.outbytes));
			break;
		case 6:
			put(p, "%s{%s} %u\n", fam[i].name, l, dst->activeconns);
			break;
		case 7:
			put(p, "%s{%s} %u\n", fam[i].name, l, dst->inactconns);
			break;
		case 8:
			put(p, "%s{%s} %d\n", fam[i].name, l, dest_present(dst) ? dst->weight : 0);
			break;
		case 9:
			put(p, "%s{%s} %d\n", fam[i].name, l, h.health.state != NFLVS_RS_DOWN);
			break;
		case 10:
			put(p, "%s{%s} %.6f\n", fam[i].name, l, h.health.latency_us / 1e6);
			break;
		}
	}
}

/* The director's own counters (struct director_stats). */
static const struct {
	const char *name, *help;
	size_t off;
} counters[] = {
	{ "nflvs_malformed_packets_total",
	  "Queued packets dropped: could not be parsed.",
	  offsetof(struct director_stats, malformed) },
	{ "nflvs_no_destination_total",
	  "New connections dropped: no real server available.",
	  offsetof(struct director_stats, noavail) },
	{ "nflvs_not_syn_total",
	  "DR/TUN TCP packets of no connection that were not a SYN: dropped.",
	  offsetof(struct director_stats, nosyn) },
	{ "nflvs_tun_errors_total",
	  "TUN packets that could not be encapsulated or sent.",
	  offsetof(struct director_stats, tun_errors) },
	{ "nflvs_tun_too_big_total",
	  "TUN packets too big for the tunnel: ICMP errors sent to the client.",
	  offsetof(struct director_stats, tun_toobig) },
};

char *metrics_render(struct director *d, size_t *len)
{
	struct page p = { .cap = 8192 };
	unsigned int i, k;

	p.buf = malloc(p.cap);
	if (!p.buf)
		return NULL;
	pthread_rwlock_rdlock(&d->lock);
	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		header(&p, i);
		for (k = 0; k < d->nsvc; k++) {
			pthread_mutex_lock(&d->svc[k]->lock);
			render_service(d, &p, i, d->svc[k]);
			pthread_mutex_unlock(&d->svc[k]->lock);
		}
	}
	pthread_rwlock_unlock(&d->lock);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		put(&p, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    counters[i].name, counters[i].help, counters[i].name,
		    counters[i].name, (unsigned long long)__atomic_load_n(
			    (const uint64_t *)((const char *)&d->stats + counters[i].off),
			    __ATOMIC_RELAXED));
	if (p.err) {
		free(p.buf);
		return NULL;
	}
	*len = p.len;
	return p.buf;
}

/* ---- a minimal HTTP server ------------------------------------------------- */

int metrics_open(struct director *d)
{
	struct metrics *m = &d->metrics;
	struct sockaddr_storage ss = { 0 };
	struct nflvs_addr a;
	uint16_t port;
	socklen_t sl;
	int one = 1, fd, i;

	m->lfd = -1;
	for (i = 0; i < METRICS_CLIENTS; i++)
		m->client[i] = -1;
	if (!d->cfg.director.metrics[0])
		return 0;
	if (addr_port_parse(d->cfg.director.metrics, &a, &port) < 0)
		return -EINVAL;
	if (a.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr = a.v4;
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = a.v6;
		sl = sizeof(*s6);
	}
	fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	m->lfd = fd;
	log_info("metrics: http://%s/metrics", d->cfg.director.metrics);
	return 0;
}

void metrics_close(struct director *d)
{
	struct metrics *m = &d->metrics;
	int i;

	if (m->lfd < 0)
		return;		/* never opened: no clients either */
	close(m->lfd);
	m->lfd = -1;
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (m->client[i] >= 0) {
			close(m->client[i]);
			m->client[i] = -1;
		}
}

int metrics_pollfds(struct director *d, struct pollfd *p, int max)
{
	struct metrics *m = &d->metrics;
	int n = 0, i;

	if (m->lfd < 0 || max < 1)
		return 0;
	p[n++] = (struct pollfd){ .fd = m->lfd, .events = POLLIN };
	for (i = 0; i < METRICS_CLIENTS && n < max; i++)
		if (m->client[i] >= 0)
			p[n++] = (struct pollfd){ .fd = m->client[i], .events = POLLIN };
	return n;
}

static void respond(int fd, const char *status, const char *type,
		    const char *body, size_t len)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, type, len);

	if (send(fd, hdr, n, MSG_NOSIGNAL) == n && len)
		send(fd, body, len, MSG_NOSIGNAL);
}

/* One request, then the connection is closed (Connection: close). */
static void metrics_serve(struct director *d, int fd)
{
	char req[2048];
	ssize_t n = recv(fd, req, sizeof(req) - 1, 0);
	size_t len;
	char *page;

	if (n <= 0)
		return;
	req[n] = '\0';
	if (strncmp(req, "GET /metrics ", 13) && strncmp(req, "GET /metrics?", 13)) {
		respond(fd, "404 Not Found", "text/plain", "try /metrics\n", 13);
		return;
	}
	page = metrics_render(d, &len);
	if (!page) {
		respond(fd, "500 Internal Server Error", "text/plain", "", 0);
		return;
	}
	respond(fd, "200 OK", "text/plain; version=0.0.4", page, len);
	free(page);
}

void metrics_handle(struct director *d, const struct pollfd *p, int n)
{
	struct metrics *m = &d->metrics;
	struct timeval tv = { 1, 0 };
	int i, j, fd;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == m->lfd) {
			fd = accept4(m->lfd, NULL, NULL, SOCK_CLOEXEC);
			for (j = 0; fd >= 0 && j < METRICS_CLIENTS; j++)
				if (m->client[j] < 0)
					break;
			if (fd >= 0 && j == METRICS_CLIENTS) {
				close(fd);
			} else if (fd >= 0) {
				setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
				setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
				m->client[j] = fd;
			}
			continue;
		}
		for (j = 0; j < METRICS_CLIENTS; j++)
			if (m->client[j] == p[i].fd) {
				metrics_serve(d, p[i].fd);
				close(p[i].fd);
				m->client[j] = -1;
			}
	}
}
