// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "publish.h"
#include "stats.h"
#include "textbuf.h"


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

static void header(struct textbuf *p, int i)
{
	textbuf_printf(p, "# HELP %s %s\n# TYPE %s %s\n", fam[i].name, fam[i].help,
	    fam[i].name, fam[i].type);
}

static void render_service(const struct metrics *m, struct textbuf *p, int i,
			   const struct service *s)
{
	struct nflvs_ctl_stats st;
	char l[512];
	unsigned int j;

	if (i < 3) {
		stats_service(s, &st);
		svc_labels(s, l, sizeof(l));
		if (i == 0)
			textbuf_printf(p, "%s{%s} %llu\n", fam[i].name, l, (unsigned long long)st.conns);
		else
			textbuf_printf(p, "%s{%s,direction=\"in\"} %llu\n%s{%s,direction=\"out\"} %llu\n",
			    fam[i].name, l, (unsigned long long)(i == 1 ? st.inpkts : st.inbytes),
			    fam[i].name, l, (unsigned long long)(i == 1 ? st.outpkts : st.outbytes));
		return;
	}
	for (j = 0; j < s->ndests; j++) {
		const struct dest *dst = s->dests[j];
		shm_rs_health_t h = { 0 };

		dest_labels(s, dst, l, sizeof(l));
		stats_dest(dst, &st);
		if (publish_health(m->shm, dst, &h) < 0)
			memset(&h, 0, sizeof(h));
		switch (i) {
		case 3:
			textbuf_printf(p, "%s{%s} %llu\n", fam[i].name, l, (unsigned long long)st.conns);
			break;
		case 4:
		case 5:
			textbuf_printf(p, "%s{%s,direction=\"in\"} %llu\n%s{%s,direction=\"out\"} %llu\n",
			    fam[i].name, l, (unsigned long long)(i == 4 ? st.inpkts : st.inbytes),
			    fam[i].name, l, (unsigned long long)(i == 4 ? st.outpkts : st.outbytes));
			break;
		case 6:
			textbuf_printf(p, "%s{%s} %u\n", fam[i].name, l, dst->activeconns);
			break;
		case 7:
			textbuf_printf(p, "%s{%s} %u\n", fam[i].name, l, dst->inactconns);
			break;
		case 8:
			textbuf_printf(p, "%s{%s} %d\n", fam[i].name, l, dest_present(dst) ? dst->weight : 0);
			break;
		case 9:
			textbuf_printf(p, "%s{%s} %d\n", fam[i].name, l, h.state != NFLVS_RS_DOWN);
			break;
		case 10:
			textbuf_printf(p, "%s{%s} %.6f\n", fam[i].name, l, h.latency_us / 1e6);
			break;
		}
	}
}

/* The director's own counters (counters.h). */
static const struct {
	const char *name, *help;
	size_t off;
} counters[] = {
	{ "nflvs_malformed_packets_total",
	  "Queued packets dropped: could not be parsed.",
	  offsetof(struct dir_counters, malformed) },
	{ "nflvs_no_destination_total",
	  "New connections dropped: no real server available.",
	  offsetof(struct dir_counters, noavail) },
	{ "nflvs_not_syn_total",
	  "TCP packets of no connection that were not a SYN, for a service whose scheduler is not consistent: dropped.",
	  offsetof(struct dir_counters, nosyn) },
	{ "nflvs_adopted_total",
	  "TCP packets of no connection that were not a SYN, for a consistent service: scheduled (the connection began on another director).",
	  offsetof(struct dir_counters, adopted) },
	{ "nflvs_standby_dropped_total",
	  "Queued packets dropped because this director is a backup (or in fault): it schedules nothing.",
	  offsetof(struct dir_counters, standby) },
	{ "nflvs_tun_errors_total",
	  "TUN packets that could not be encapsulated or sent.",
	  offsetof(struct dir_counters, tun_errors) },
	{ "nflvs_tun_too_big_total",
	  "TUN packets too big for the tunnel: ICMP errors sent to the client.",
	  offsetof(struct dir_counters, tun_toobig) },
};

char *metrics_render(const struct metrics *m, size_t *len)
{
	struct svcset *set = m->set;
	struct textbuf p = { 0 };
	unsigned int i, k;

	pthread_rwlock_rdlock(&set->lock);
	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		header(&p, i);
		for (k = 0; k < set->nsvc; k++) {
			pthread_mutex_lock(&set->svc[k]->lock);
			render_service(m, &p, i, set->svc[k]);
			pthread_mutex_unlock(&set->svc[k]->lock);
		}
	}
	pthread_rwlock_unlock(&set->lock);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		textbuf_printf(&p, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n",
		    counters[i].name, counters[i].help, counters[i].name,
		    counters[i].name, (unsigned long long)counter_get(
			    (const uint64_t *)((const char *)m->counters +
					       counters[i].off)));
	return textbuf_take(&p, len);
}

/* ---- a minimal HTTP server ------------------------------------------------- */

/* A request is its head: up to the empty line. */
static ssize_t metrics_frame(void *ctx, const void *in, size_t len)
{
	const char *p = in, *end;

	(void)ctx;
	end = memmem(p, len, "\r\n\r\n", 4);
	if (end)
		return end + 4 - p;
	end = memmem(p, len, "\n\n", 2);
	return end ? end + 2 - p : 0;
}

static bool respond(char **out, size_t *outlen, const char *status,
		    const char *type, const char *body, size_t len)
{
	int n = asprintf(out, "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%.*s",
			 status, type, len, (int)len, body);

	if (n < 0)
		*out = NULL;
	*outlen = n < 0 ? 0 : (size_t)n;
	return false;	/* Connection: close */
}

/* One request, then the connection is closed (Connection: close). */
static bool metrics_serve(void *ctx, const void *in, size_t len,
			  char **out, size_t *outlen)
{
	const struct metrics *m = ctx;
	size_t plen;
	char *page;
	bool r;

	if (len < 13 || (memcmp(in, "GET /metrics ", 13) &&
			 memcmp(in, "GET /metrics?", 13)))
		return respond(out, outlen, "404 Not Found", "text/plain",
			       "try /metrics\n", 13);
	page = metrics_render(m, &plen);
	if (!page)
		return respond(out, outlen, "500 Internal Server Error",
			       "text/plain", "", 0);
	r = respond(out, outlen, "200 OK", "text/plain; version=0.0.4", page,
		    plen);
	free(page);
	return r;
}

int metrics_open(struct metrics *m, const char *listen_on, struct svcset *set,
		 struct shm_map *shm, const struct dir_counters *cnt)
{
	struct sockaddr_storage ss;
	struct nflvs_addr a;
	uint16_t port;
	socklen_t sl;
	int one = 1, fd;

	sockset_init(&m->socks, METRICS_CLIENTS, METRICS_TIMEOUT_MS,
		     METRICS_REQ_MAX, metrics_frame, metrics_serve, m);
	m->set = set;
	m->shm = shm;
	m->counters = cnt;
	if (!listen_on[0])
		return 0;
	if (addr_port_parse(listen_on, &a, &port) < 0)
		return -EINVAL;
	addr_sockaddr(&a, port, &ss, &sl);
	fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	sockset_listen(&m->socks, fd);
	log_info("metrics: http://%s/metrics", listen_on);
	return 0;
}

void metrics_close(struct metrics *m)
{
	sockset_close(&m->socks);
}

int metrics_pollfds(struct metrics *m, struct pollfd *p, int max)
{
	return sockset_pollfds(&m->socks, p, max);
}

void metrics_handle(struct metrics *m, const struct pollfd *p, int n,
		    uint64_t now)
{
	sockset_handle(&m->socks, p, n, now);
}

void metrics_expire(struct metrics *m, uint64_t now)
{
	sockset_expire(&m->socks, now);
}
