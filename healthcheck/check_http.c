// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http and https checks on libcurl's multi interface: curl tells the loop
 * which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call it
 * back (CURLMOPT_TIMERFUNCTION); each target keeps its easy handle from one
 * check to the next.  Every check opens a new connection and asks the
 * server to close it: a kept-alive connection would tell nothing about a
 * listener that stopped accepting.  The address is the real server's (or
 * connect_port); with "host" set, the URL names the host (Host header, TLS
 * server name and certificate check) and CURLOPT_CONNECT_TO sends it to the
 * real server, so no name is ever resolved.  With "digest", the body's MD5
 * must be the one given, as keepalived's HTTP_GET digest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <openssl/evp.h>

#include "check_http.h"
#include "log.h"

#define USER_AGENT	"nflvs-healthcheck/1"

struct http_probe {
	struct target *t;
	CURL *easy;
	/*
	 * Each target's own DNS and TLS session cache: curl caches even
	 * numeric addresses, and walks its whole cache (a hash of 7 buckets)
	 * on every transfer; shared by thousands of targets, that walk was
	 * half of the checker's time.
	 */
	CURLSH *share;
	bool added;			/* in the multi handle */
	char *url;
	struct curl_slist *headers;
	struct curl_slist *connect_to;
	struct http_match match;
	EVP_MD_CTX *md5;		/* with a digest: the body's MD5 */
	char errbuf[CURL_ERROR_SIZE];
};

/* A socket curl asked us to watch. */
struct curl_watch {
	struct checker *c;
	struct watch w;
};

/* ---- pure parts ------------------------------------------------------- */

int check_http_match_init(struct http_match *m, const char *needle)
{
	memset(m, 0, sizeof(*m));
	if (!needle)
		return 0;
	/* a copy: a reload may free the config while this probe lives on */
	m->nlen = strlen(needle);
	m->needle = strdup(needle);
	m->buf = malloc(2 * m->nlen + 1);
	if (m->needle && m->buf)
		return 0;
	check_http_match_free(m);
	return -ENOMEM;
}

void check_http_match_reset(struct http_match *m)
{
	m->nbuf = 0;
	m->found = false;
}

void check_http_match_feed(struct http_match *m, const char *data, size_t n)
{
	size_t keep = m->nlen ? m->nlen - 1 : 0, k, total;

	if (!m->needle || m->found || !n)
		return;
	/* a match across the previous piece and this one */
	k = n < keep ? n : keep;
	memcpy(m->buf + m->nbuf, data, k);
	if ((m->nbuf && memmem(m->buf, m->nbuf + k, m->needle, m->nlen)) ||
	    memmem(data, n, m->needle, m->nlen)) {
		m->found = true;
		return;
	}
	if (n >= keep) {
		memcpy(m->buf, data + n - keep, keep);
		m->nbuf = keep;
	} else {
		total = m->nbuf + n;
		k = total < keep ? total : keep;
		memmove(m->buf, m->buf + total - k, k);
		m->nbuf = k;
	}
}

void check_http_match_free(struct http_match *m)
{
	free(m->needle);
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

static bool status_ok(const struct cfg_check *c, long status)
{
	int i;

	if (!c->nstatus)
		return status >= 200 && status <= 299;
	for (i = 0; i < c->nstatus; i++)
		if (status >= c->status[i].lo && status <= c->status[i].hi)
			return true;
	return false;
}

void check_http_eval(const struct cfg_check *c, long status, bool body_ok,
		     struct probe_result *r)
{
	if (!status_ok(c, status))
		probe_fail(r, "HTTP %ld", status);
	else if (c->expect && !body_ok)
		probe_fail(r, "body does not contain \"%s\"", c->expect);
	else
		probe_ok(r, -1);
}

static const char *skip_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) ? s : s + n;
}

static const char *why(const char *errbuf, CURLcode code)
{
	return *errbuf ? errbuf : curl_easy_strerror(code);
}

void check_http_error(CURLcode code, long os_errno, const char *errbuf,
		      unsigned int timeout_ms, struct probe_result *r)
{
	const char *e;

	switch (code) {
	case CURLE_COULDNT_CONNECT:
		probe_fail(r, "connect: %s", os_errno ? strerror(os_errno)
						      : why(errbuf, code));
		break;
	case CURLE_OPERATION_TIMEDOUT:
		probe_fail(r, "timeout after %u ms", timeout_ms);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		e = skip_prefix(skip_prefix(errbuf, "SSL certificate problem: "),
				"SSL: ");
		probe_fail(r, "TLS: certificate verify failed%s%s",
			   *e ? ": " : "", e);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		probe_fail(r, "TLS: %s", skip_prefix(why(errbuf, code), "SSL: "));
		break;
	case CURLE_GOT_NOTHING:
		probe_fail(r, "empty reply from server");
		break;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		probe_fail(r, "%s: %s", code == CURLE_RECV_ERROR ? "recv" : "send",
			   os_errno ? strerror(os_errno) : why(errbuf, code));
		break;
	case CURLE_PARTIAL_FILE:
		probe_fail(r, "connection closed before the end of the body");
		break;
	case CURLE_WEIRD_SERVER_REPLY:
		probe_fail(r, "bad HTTP reply%s%s", *errbuf ? ": " : "", errbuf);
		break;
	default:
		probe_fail(r, "%s%s%s", curl_easy_strerror(code),
			   *errbuf ? ": " : "", errbuf);
		break;
	}
}

void check_http_digest_eval(const struct cfg_check *c,
			    const unsigned char md5[16], struct probe_result *r)
{
	char hex[33];
	int i;

	if (!c->digest || !r->ok)
		return;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md5[i]);
	if (strcasecmp(hex, c->digest))
		probe_fail(r, "body MD5 %s, not %s", hex, c->digest);
}

/* ---- the multi handle in the event loop ---------------------------------- */

static unsigned int timeout_ms(const struct target *t)
{
	return checker_ms(t->check->timeout);
}

static void http_finish(struct checker *c, CURLMsg *msg)
{
	struct http_probe *p = NULL;
	struct probe_result r;
	long status = 0, os_errno = 0;

	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
	if (!p)
		return;
	if (msg->data.result == CURLE_OK) {
		curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
		check_http_eval(p->t->check, status, p->match.found, &r);
		if (p->md5 && r.ok) {
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int len = 0;

			if (EVP_DigestFinal_ex(p->md5, md, &len) != 1 ||
			    len != 16)
				probe_fail(&r, "MD5 failed");
			check_http_digest_eval(p->t->check, md, &r);
		}
	} else {
		curl_easy_getinfo(p->easy, CURLINFO_OS_ERRNO, &os_errno);
		check_http_error(msg->data.result, os_errno, p->errbuf,
				 timeout_ms(p->t), &r);
	}
	curl_multi_remove_handle(c->multi, p->easy);
	p->added = false;
	checker_done(p->t, &r);
}

static void http_collect(struct checker *c)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			http_finish(c, msg);
}

static void http_socket_event(struct watch *w, uint32_t events)
{
	struct curl_watch *cw = container_of(w, struct curl_watch, w);
	struct checker *c = cw->c;
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	/* cw may be released inside: not used after this */
	curl_multi_socket_action(c->multi, w->fd, flags, &running);
	http_collect(c);
}

static int http_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
			  void *socketp)
{
	struct checker *c = userp;
	struct curl_watch *cw = socketp;
	uint32_t ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cw) {
			evloop_watch_del(&c->loop, &cw->w);
			evloop_defer_free(&c->loop, cw);
			curl_multi_assign(c->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (cw)
		return evloop_watch_mod(&c->loop, &cw->w, ev) ? -1 : 0;
	cw = calloc(1, sizeof(*cw));
	if (!cw)
		return -1;
	cw->c = c;
	cw->w.fn = http_socket_event;
	if (evloop_watch_add(&c->loop, &cw->w, s, ev)) {
		free(cw);
		return -1;
	}
	curl_multi_assign(c->multi, s, cw);
	return 0;
}

static void http_timer_fire(struct timer *tm)
{
	struct checker *c = container_of(tm, struct checker, curl_timer);
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_collect(c);
}

static int http_timer_cb(CURLM *multi, long ms, void *userp)
{
	struct checker *c = userp;

	(void)multi;
	if (ms < 0)
		evloop_timer_del(&c->loop, &c->curl_timer);
	else
		evloop_timer_set(&c->loop, &c->curl_timer,
				 evloop_clock() + (uint64_t)ms * 1000000ull);
	return 0;
}

int check_http_multi_init(struct checker *c)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	c->multi = curl_multi_init();
	if (!c->multi) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	c->curl_timer.fn = http_timer_fire;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return 0;
}

void check_http_multi_free(struct checker *c)
{
	if (!c->multi)
		return;
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	evloop_timer_del(&c->loop, &c->curl_timer);
	curl_global_cleanup();
}

/* ---- one target ------------------------------------------------------------ */

static size_t http_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct http_probe *p = ctx;

	check_http_match_feed(&p->match, data, size * nmemb);
	if (p->md5 && EVP_DigestUpdate(p->md5, data, size * nmemb) != 1)
		return 0;	/* curl ends the transfer: the check fails */
	return size * nmemb;
}

static int http_urls(struct http_probe *p, const struct target *t)
{
	const struct cfg_check *ck = t->check;
	const char *scheme = ck->type == CHECK_HTTPS ? "https" : "http";
	char ip[ADDR_STRLEN], lit[ADDR_STRLEN + 2], *line = NULL;
	bool named = ck->host && ck->host[0] != '[' && !strchr(ck->host, ':');

	addr_str(&t->key.addr, ip, sizeof(ip));
	snprintf(lit, sizeof(lit), t->key.addr.family == AF_INET6 ? "[%s]" : "%s",
		 ip);
	if (asprintf(&p->url, "%s://%s:%u%s", scheme, named ? ck->host : lit,
		     t->probe_port, ck->path ? ck->path : "/") < 0) {
		p->url = NULL;
		return -ENOMEM;
	}
	p->headers = curl_slist_append(NULL, "Connection: close");
	if (!p->headers)
		return -ENOMEM;
	if (ck->host) {
		if (asprintf(&line, "Host: %s", ck->host) < 0)
			return -ENOMEM;
		p->headers = curl_slist_append(p->headers, line);
		free(line);
		line = NULL;
	}
	if (named) {
		if (asprintf(&line, "%s:%u:%s:%u", ck->host, t->probe_port, lit,
			     t->probe_port) < 0)
			return -ENOMEM;
		p->connect_to = curl_slist_append(NULL, line);
		free(line);
		if (!p->connect_to)
			return -ENOMEM;
	}
	return 0;
}

static int http_setup(struct http_probe *p, const struct target *t)
{
	const struct cfg_check *ck = t->check;
	long ms = timeout_ms(t), verify = ck->verify_tls ? 1 : 0;
	CURL *e = p->easy;

	if (http_urls(p, t) < 0)
		return -ENOMEM;
	if (curl_easy_setopt(e, CURLOPT_URL, p->url) ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, p) ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf) ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(e, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) ||
	    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) ||
	    curl_easy_setopt(e, CURLOPT_SHARE, p->share) ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms) ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms) ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT) ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers) ||
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			     (long)CURL_HTTP_VERSION_1_1) ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write) ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, p) ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify) ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L))
		return -EINVAL;
	if (p->connect_to &&
	    curl_easy_setopt(e, CURLOPT_CONNECT_TO, p->connect_to))
		return -EINVAL;
	return 0;
}

static void http_release(struct http_probe *p)
{
	if (p->easy)
		curl_easy_cleanup(p->easy);
	if (p->share)
		curl_share_cleanup(p->share);
	curl_slist_free_all(p->headers);
	curl_slist_free_all(p->connect_to);
	free(p->url);
	check_http_match_free(&p->match);
	EVP_MD_CTX_free(p->md5);
	free(p);
}

static int http_init(struct target *t)
{
	struct http_probe *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->t = t;
	p->easy = curl_easy_init();
	p->share = curl_share_init();
	err = p->easy && p->share ? check_http_match_init(&p->match,
							   t->check->expect)
				  : -ENOMEM;
	if (!err && (curl_share_setopt(p->share, CURLSHOPT_SHARE,
				       CURL_LOCK_DATA_DNS) ||
		     curl_share_setopt(p->share, CURLSHOPT_SHARE,
				       CURL_LOCK_DATA_SSL_SESSION) ||
		     curl_share_setopt(p->share, CURLSHOPT_SHARE,
				       CURL_LOCK_DATA_CONNECT)))
		err = -EINVAL;
	if (!err && t->check->digest && !(p->md5 = EVP_MD_CTX_new()))
		err = -ENOMEM;
	if (!err)
		err = http_setup(p, t);
	if (err) {
		http_release(p);
		return err;
	}
	t->probe = p;
	return 0;
}

static void http_start(struct target *t)
{
	struct http_probe *p = t->probe;
	struct probe_result r;
	CURLMcode mc;

	if (!t->probe_port) {
		probe_fail(&r, "no port to connect to (set connect_port)");
		checker_done(t, &r);
		return;
	}
	check_http_match_reset(&p->match);
	if (p->md5 && EVP_DigestInit_ex(p->md5, EVP_md5(), NULL) != 1) {
		probe_fail(&r, "MD5 failed");
		checker_done(t, &r);
		return;
	}
	p->errbuf[0] = '\0';
	mc = curl_multi_add_handle(t->c->multi, p->easy);
	if (mc != CURLM_OK) {
		probe_fail(&r, "curl: %s", curl_multi_strerror(mc));
		checker_done(t, &r);
		return;
	}
	p->added = true;
}

static void http_abort(struct target *t)
{
	struct http_probe *p = t->probe;

	if (!p->added)
		return;
	curl_multi_remove_handle(t->c->multi, p->easy);
	p->added = false;
}

static void http_fini(struct target *t)
{
	http_abort(t);
	/* no event refers to the probe itself: curl's sockets have their own */
	http_release(t->probe);
}

const struct check_ops check_http_ops = {
	.name = "http",
	.init = http_init,
	.start = http_start,
	.abort = http_abort,
	.fini = http_fini,
};
