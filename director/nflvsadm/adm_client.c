// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvsadm's dealings with the outside world: the director's control
 * socket (one connection per run, one request at a time, every reply
 * checked against the request and its length), and names of hosts and
 * services, looked up the way ipvsadm does but never for long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "adm_client.h"
#include "adm_format.h"
#include "adm_parse.h"
#include "clock.h"
#include "ctlmsg.h"

/* a director that does not answer: for one request and all of its reply */
#define IO_TIMEOUT_S	30

/* The socket ----------------------------------------------------------- */

const char *adm_socket_path(const char *opt)
{
	const char *env = getenv("NFLVS_SOCKET");

	if (opt && *opt)
		return opt;
	return env && *env ? env : NFLVS_CTL_SOCKET;
}

int adm_client_connect(struct adm_client *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		close(c->fd);
		c->fd = -1;
		return err;
	}
	return 0;
}

void adm_client_close(struct adm_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->text);
	c->text = NULL;
}

static int io_fail(struct adm_client *c, int err)
{
	if (err == -EAGAIN)
		err = -ETIMEDOUT;
	c->io_err = -err;
	return err;
}

/* Read the reply to request @type/@seq; the payload in *@buf (+1 byte
 * for a NUL). */
static int recv_reply(struct adm_client *c, uint16_t type,
		      struct nflvs_ctl_hdr *hdr, char **buf, uint64_t deadline)
{
	int r = ctl_recv_hdr_until(c->fd, hdr, deadline);

	*buf = NULL;
	if (r == 0)
		return -ECONNRESET;
	if (r < 0)
		return r;
	if (hdr->type != type || hdr->seq != c->seq || hdr->status > 0 ||
	    hdr->status < -4095)
		return -EPROTO;
	*buf = malloc(hdr->len + 1);
	if (!*buf)
		return -ENOMEM;
	r = ctl_recv_payload_until(c->fd, *buf, hdr->len, deadline);
	if (r) {
		free(*buf);
		*buf = NULL;
		return r;
	}
	(*buf)[hdr->len] = '\0';
	return 0;
}

int adm_client_call(struct adm_client *c, uint16_t type, const void *req,
		    uint32_t len, void **reply, uint32_t *rlen)
{
	struct nflvs_ctl_hdr hdr;
	uint64_t deadline;
	char *buf;
	int r;

	free(c->text);
	c->text = NULL;
	c->io_err = 0;
	if (reply)
		*reply = NULL;
	if (rlen)
		*rlen = 0;
	if (c->fd < 0)
		return io_fail(c, -ENOTCONN);
	deadline = clock_mono_ns() + IO_TIMEOUT_S * NS_PER_SEC;
	r = ctl_send_until(c->fd, type, ++c->seq, 0, req, len, deadline);
	if (!r)
		r = recv_reply(c, type, &hdr, &buf, deadline);
	if (r)
		return io_fail(c, r);
	if (hdr.status < 0) {
		if (hdr.len)
			c->text = buf;
		else
			free(buf);
		return hdr.status;
	}
	if (reply && hdr.len) {
		*reply = buf;
		*rlen = hdr.len;
	} else {
		free(buf);
	}
	return 0;
}

int adm_client_batch(struct adm_client *c, const void *req, uint32_t len,
		     uint32_t *done)
{
	struct nflvs_ctl_batch_reply br;
	struct nflvs_ctl_hdr hdr;
	uint64_t deadline;
	size_t tl;
	char *buf;
	int r;

	free(c->text);
	c->text = NULL;
	c->io_err = 0;
	*done = 0;
	if (c->fd < 0)
		return io_fail(c, -ENOTCONN);
	deadline = clock_mono_ns() + IO_TIMEOUT_S * NS_PER_SEC;
	r = ctl_send_until(c->fd, NFLVS_CTL_BATCH, ++c->seq, 0, req, len,
			   deadline);
	if (!r)
		r = recv_reply(c, NFLVS_CTL_BATCH, &hdr, &buf, deadline);
	if (r)
		return io_fail(c, r);
	if (hdr.len < sizeof(br)) {
		free(buf);
		/* a director before BATCH: the caller goes one by one */
		return hdr.status == -EOPNOTSUPP ? -ENOSYS : io_fail(c, -EPROTO);
	}
	memcpy(&br, buf, sizeof(br));
	*done = br.done;
	tl = hdr.len - sizeof(br);
	if (hdr.status < 0 && tl) {
		memmove(buf, buf + sizeof(br), tl + 1);	/* and its NUL */
		c->text = buf;
	} else {
		free(buf);
	}
	return hdr.status;
}

/* A reply that must be exactly one @size struct. */
static int call_fixed(struct adm_client *c, uint16_t type, void *out,
		      size_t size)
{
	uint32_t len;
	void *buf;
	int r = adm_client_call(c, type, NULL, 0, &buf, &len);

	if (r)
		return r;
	if (len != size) {
		free(buf);
		return io_fail(c, -EPROTO);
	}
	memcpy(out, buf, size);
	free(buf);
	return 0;
}

int adm_client_info(struct adm_client *c, struct nflvs_ctl_info *info)
{
	int r = call_fixed(c, NFLVS_CTL_INFO, info, sizeof(*info));

	if (!r)
		info->name[sizeof(info->name) - 1] = '\0';
	return r;
}

int adm_client_timeout(struct adm_client *c, struct nflvs_ctl_timeout *t)
{
	return call_fixed(c, NFLVS_CTL_GET_TIMEOUT, t, sizeof(*t));
}

int adm_client_list(struct adm_client *c, const struct nflvs_ctl_svc *one,
		    struct adm_list *list)
{
	uint32_t len;
	void *buf;
	int r;

	memset(list, 0, sizeof(*list));
	r = adm_client_call(c, NFLVS_CTL_LIST, one, one ? sizeof(*one) : 0,
			    &buf, &len);
	if (r)
		return r;
	r = adm_list_parse(buf, len, list);
	free(buf);
	return r ? io_fail(c, r) : 0;
}

int adm_client_conns(struct adm_client *c, struct adm_conns *conns)
{
	uint32_t len;
	void *buf;
	int r;

	memset(conns, 0, sizeof(*conns));
	r = adm_client_call(c, NFLVS_CTL_CONNS, NULL, 0, &buf, &len);
	if (r)
		return r;
	r = adm_conns_parse(buf, len, conns);
	free(buf);
	return r ? io_fail(c, r) : 0;
}

/* Replies to structs ---------------------------------------------------- */

#define TERMINATE(a)	((a)[sizeof(a) - 1] = '\0')

void adm_list_free(struct adm_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->svc[i].dests);
	free(list->svc);
	memset(list, 0, sizeof(*list));
}

static int list_add(struct adm_list *list, const uint8_t *p, size_t left,
		    size_t *used)
{
	const size_t ssz = sizeof(struct nflvs_ctl_svc);
	const size_t dsz = sizeof(struct nflvs_ctl_dest);
	struct adm_svc *s, *n;
	size_t i;

	if (left < ssz)
		return -EPROTO;
	n = realloc(list->svc, (list->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	list->svc = n;
	s = &n[list->n];
	memset(s, 0, sizeof(*s));
	memcpy(&s->svc, p, ssz);
	list->n++;
	if (s->svc.ndests > (left - ssz) / dsz)
		return -EPROTO;
	s->dests = calloc(s->svc.ndests ?: 1, dsz);
	if (!s->dests)
		return -ENOMEM;
	s->ndests = s->svc.ndests;
	memcpy(s->dests, p + ssz, s->ndests * dsz);
	TERMINATE(s->svc.sched);
	TERMINATE(s->svc.name);
	for (i = 0; i < s->ndests; i++)
		TERMINATE(s->dests[i].last_error);
	*used = ssz + s->ndests * dsz;
	return 0;
}

int adm_list_parse(const void *buf, size_t len, struct adm_list *list)
{
	const uint8_t *p = buf;
	size_t off = 0, used;
	int r;

	memset(list, 0, sizeof(*list));
	while (off < len) {
		r = list_add(list, p + off, len - off, &used);
		if (r) {
			adm_list_free(list);
			return r;
		}
		off += used;
	}
	return 0;
}

int adm_conns_parse(const void *buf, size_t len, struct adm_conns *conns)
{
	const size_t csz = sizeof(struct nflvs_ctl_conn);
	size_t i;

	memset(conns, 0, sizeof(*conns));
	if (len % csz)
		return -EPROTO;
	conns->n = len / csz;
	conns->conn = malloc(len ?: 1);
	if (!conns->conn)
		return -ENOMEM;
	if (len)	/* none: @buf may be NULL */
		memcpy(conns->conn, buf, len);
	for (i = 0; i < conns->n; i++)
		TERMINATE(conns->conn[i].state);
	return 0;
}

void adm_conns_free(struct adm_conns *conns)
{
	free(conns->conn);
	memset(conns, 0, sizeof(*conns));
}

/* Names ----------------------------------------------------------------- */

/*
 * A lookup on its own thread.  Whoever of the waiter and the thread lets go
 * of it last frees it, so a waiter that gives up just leaves.
 */
struct job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool done, reverse;
	struct sockaddr_storage sa;	/* reverse: the address */
	char name[NI_MAXHOST];		/* forward: the name; reverse: result */
	struct in_addr a4;		/* forward: result */
	int rc;
};

struct cached {
	uint8_t family;
	uint8_t addr[16];
	char *name;			/* NULL: has none */
};

struct adm_resolver {
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	bool expired;
	struct cached *cache;
	size_t ncache;
};

static void job_put(struct job *j)
{
	bool last;

	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (last) {
		pthread_mutex_destroy(&j->lock);
		pthread_cond_destroy(&j->cond);
		free(j);
	}
}

static void *job_run(void *arg)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *ai;
	struct job *j = arg;
	int rc;

	if (j->reverse) {
		rc = getnameinfo((struct sockaddr *)&j->sa,
				 j->sa.ss_family == AF_INET6 ?
				 sizeof(struct sockaddr_in6) :
				 sizeof(struct sockaddr_in),
				 j->name, sizeof(j->name), NULL, 0,
				 NI_NAMEREQD);
	} else {
		rc = getaddrinfo(j->name, NULL, &hints, &ai);
		if (!rc) {
			j->a4 = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
			freeaddrinfo(ai);
		}
	}
	pthread_mutex_lock(&j->lock);
	j->rc = rc;
	j->done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	job_put(j);
	return NULL;
}

static struct job *job_new(void)
{
	pthread_condattr_t ca;
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);
	j->refs = 2;
	return j;
}

static void ts_add_ms(struct timespec *t, unsigned int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Run @j within the budget: 0 when it finished, -ETIMEDOUT otherwise. */
static int job_wait(struct adm_resolver *r, struct job *j)
{
	struct timespec until;
	pthread_attr_t at;
	pthread_t t;
	bool done;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	ts_add_ms(&until, ADM_LOOKUP_MS);
	if (ts_before(&r->deadline, &until))
		until = r->deadline;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, job_run, j)) {
		pthread_attr_destroy(&at);
		j->refs = 1;
		job_put(j);
		return -EAGAIN;
	}
	pthread_attr_destroy(&at);
	pthread_mutex_lock(&j->lock);
	while (!j->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&j->cond, &j->lock, &until);
	done = j->done;
	pthread_mutex_unlock(&j->lock);
	if (!done)
		r->expired = true;
	return done ? 0 : -ETIMEDOUT;
}

static bool budget_left(struct adm_resolver *r)
{
	struct timespec now;

	if (r->expired)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!ts_before(&now, &r->deadline))
		r->expired = true;
	return !r->expired;
}

struct adm_resolver *adm_resolver_new(unsigned int budget_ms)
{
	struct adm_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &r->deadline);
	ts_add_ms(&r->deadline, budget_ms);
	return r;
}

void adm_resolver_free(struct adm_resolver *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->ncache; i++)
		free(r->cache[i].name);
	free(r->cache);
	free(r);
}

static int host_forward(void *ctx, const char *name, struct in_addr *a)
{
	struct adm_resolver *r = ctx;
	struct job *j;
	int rc;

	if (!budget_left(r) || strlen(name) >= sizeof(j->name))
		return -EAGAIN;
	j = job_new();
	if (!j)
		return -ENOMEM;
	snprintf(j->name, sizeof(j->name), "%s", name);
	rc = job_wait(r, j);
	if (!rc && j->done && !j->rc)
		*a = j->a4;
	else if (!rc)
		rc = -ENOENT;
	if (rc != -EAGAIN)
		job_put(j);
	return rc;
}

static const char *proto_str(int protocol)
{
	return protocol == IPPROTO_TCP ? "tcp" :
	       protocol == IPPROTO_UDP ? "udp" :
	       protocol == IPPROTO_SCTP ? "sctp" : NULL;
}

static int service_forward(void *ctx, const char *name, int protocol)
{
	struct servent se, *res = NULL;
	const char *p = proto_str(protocol);
	char buf[1024];

	(void)ctx;
	if (!p || getservbyname_r(name, p, &se, buf, sizeof(buf), &res) ||
	    !res)
		return -1;
	return ntohs(res->s_port);
}

static struct cached *cache_find(struct adm_resolver *r, int family,
				 const uint8_t *addr)
{
	size_t i, n = family == AF_INET6 ? 16 : 4;

	for (i = 0; i < r->ncache; i++)
		if (r->cache[i].family == family &&
		    !memcmp(r->cache[i].addr, addr, n))
			return &r->cache[i];
	return NULL;
}

static void cache_add(struct adm_resolver *r, int family, const uint8_t *addr,
		      const char *name)
{
	struct cached *n = realloc(r->cache, (r->ncache + 1) * sizeof(*n));

	if (!n)
		return;
	r->cache = n;
	n += r->ncache++;
	memset(n, 0, sizeof(*n));
	n->family = family;
	memcpy(n->addr, addr, family == AF_INET6 ? 16 : 4);
	n->name = name ? strdup(name) : NULL;
}

static int host_reverse(void *ctx, int family, const uint8_t *addr,
			char *buf, size_t len)
{
	struct adm_resolver *r = ctx;
	struct cached *c = cache_find(r, family, addr);
	struct job *j;
	int rc;

	if (c)
		goto found;
	if ((family != AF_INET && family != AF_INET6) || !budget_left(r))
		return -1;
	j = job_new();
	if (!j)
		return -1;
	j->reverse = true;
	j->sa.ss_family = family;
	if (family == AF_INET)
		memcpy(&((struct sockaddr_in *)&j->sa)->sin_addr, addr, 4);
	else
		memcpy(&((struct sockaddr_in6 *)&j->sa)->sin6_addr, addr, 16);
	rc = job_wait(r, j);
	if (rc == -EAGAIN)
		return -1;
	if (rc) {
		job_put(j);
		return -1;
	}
	cache_add(r, family, addr, j->rc ? NULL : j->name);
	job_put(j);
	c = cache_find(r, family, addr);
found:
	if (!c || !c->name)
		return -1;
	snprintf(buf, len, "%s", c->name);
	return 0;
}

static int service_reverse(void *ctx, uint16_t port, int protocol,
			   char *buf, size_t len)
{
	struct servent se, *res = NULL;
	const char *p = proto_str(protocol);
	char tmp[1024];

	(void)ctx;
	if (!p ||
	    getservbyport_r(htons(port), p, &se, tmp, sizeof(tmp), &res) ||
	    !res)
		return -1;
	snprintf(buf, len, "%s", res->s_name);
	return 0;
}

void adm_resolver_lookup(struct adm_resolver *r, struct adm_lookup *lk)
{
	lk->ctx = r;
	lk->host = host_forward;
	lk->service = service_forward;
}

void adm_resolver_names(struct adm_resolver *r, struct adm_names *names)
{
	names->ctx = r;
	names->host = host_reverse;
	names->service = service_reverse;
}
