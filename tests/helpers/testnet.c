// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nflvs-testnet: the real servers and clients of the end-to-end tests, the
 * demo and the benchmarks.  Run it inside a network namespace:
 *	ip netns exec NS nflvs-testnet COMMAND ...
 *
 * Conventions, for the scripts that parse it:
 *  - results go to stdout, one record per line, fields separated by one
 *    space; diagnostics go to stderr;
 *  - exit 0 = success, 1 = failure (the stdout record says which), 2 = bad
 *    arguments (a message and a `Usage:' line on stderr);
 *  - ADDR is a numeric IPv4 or IPv6 address, IPv6 bare or in brackets;
 *  - a NAME (server name) is 1 to 64 printable characters, no spaces;
 *  - every wait has a deadline, so nothing hangs; SIGTERM and SIGINT end
 *    every command cleanly; client sockets close with RST (SO_LINGER 0) so
 *    no TIME_WAIT builds up;
 *  - a REASON is one word: refused, timeout, reset, eof, stall, interrupted,
 *    bad-reply, reply-too-long, name-changed, mismatch, or the errno name
 *    (EHOSTUNREACH, ...); stderr says more.
 *
 * serve --name NAME [--tcp [ADDR:]PORT]... [--udp [ADDR:]PORT]...
 *       [--pidfile F] [--ready-file F]
 *	One process serves every port given (at least one).  Without ADDR a
 *	socket binds [::] dual-stack (0.0.0.0 if the kernel has no IPv6).  The
 *	ready file is removed at start and created, empty, once every socket
 *	listens; the pid file is written atomically.  Nothing on stdout.
 *	Exit 1 if a socket cannot be set up; SIGTERM/SIGINT: exit 0.
 *	TCP; the first bytes of a connection choose the protocol:
 *	  HTTP ("GET ", "HEAD ", "POST " or "PUT "): each request (headers up
 *	    to CRLF CRLF, at most 4 KiB; then Content-Length body bytes, read
 *	    and counted; no chunked bodies; anything else closes the
 *	    connection) is answered
 *		HTTP/1.1 200 OK
 *		Content-Type: text/plain
 *		Content-Length: LEN
 *		X-Received: BODYBYTES		(POST and PUT only)
 *		Connection: keep-alive|close
 *	    and the body "NAME\n" (no body for HEAD).  Keep-alive is the
 *	    default for HTTP/1.1; "Connection: close", or HTTP/1.0 without
 *	    "Connection: keep-alive", closes after the answer.
 *	  Lines otherwise: each line (up to "\n", or the last bytes before
 *	    EOF) is answered "NAME\n", except:
 *	    "sink"    no answer; all that follows is counted and discarded; at
 *		      EOF the answer is "NAME BYTES\n", then close;
 *	    "stream"  answer "NAME\n", then send data until the client leaves.
 *	UDP: each datagram is answered "NAME\n", sent from the address it was
 *	sent to (so answers stay right with a VIP on lo, in DR or tunnel mode).
 *
 * count (--tcp|--udp) ADDR PORT -n N [--seq] [--http] [--timeout-ms T]
 *       [--concurrency C] [--src ADDR] [--sport PORT] [--log]
 *     --log: one line per exchange, when it started (CLOCK_REALTIME in ms)
 *     and who answered: "1764131234567 rs2" or "1764131234567 -" (failed)
 *	N exchanges, each on a new socket (so from a new source port): send
 *	"hello\n" (--http, TCP only: "GET / HTTP/1.1", Connection: close),
 *	read the name answered, close.  At most C (default 1) at a time, so by
 *	default strictly sequential.  Each exchange must end within T ms
 *	(default 2000).  A UDP request is sent again every 500 ms until the
 *	answer comes (a datagram may be lost; the first answer counts).
 *	--src binds the sockets to a source address.
 *	stdout: with --seq, first one line per exchange in completion order
 *	(start order when C = 1): NAME, or "-" for a failed one; then one line
 *	"NAME COUNT" per server, sorted by name (strcmp); last "errors E".
 *	Exchanges cut short by SIGTERM/SIGINT count as errors (with no --seq
 *	line).  stderr ends with the errors by REASON.  Exit 0 iff E = 0.
 *
 * hold ADDR PORT [--interval-ms I] [--timeout-ms T] [--count K]
 *      [--ready-file F]
 *	One TCP connection: every I ms (default 50) send "ping\n" and read the
 *	answer within T ms (default 1000); the name must never change.  The
 *	ready file is created after the first round trip.  Ends on SIGTERM or
 *	SIGINT, or after K round trips: "ok ROUNDTRIPS NAME", exit 0.  At the
 *	first failure (also: stopped before any round trip, REASON
 *	interrupted): "fail ROUNDTRIPS REASON", exit 1.
 *
 * load ADDR PORT --duration S [--concurrency C] [--http] [--timeout-ms T]
 *      [--src ADDR]
 *	Benchmark of new connections: C (default 64) in flight; each sends
 *	"hello\n" (--http: "GET / HTTP/1.1", Connection: close), reads the whole
 *	answer, closes with RST, and the next one starts at once.  A failed
 *	connect or an answer not complete within T ms (default 1000) is an
 *	error.  After S seconds (decimals allowed; in-flight ones not counted):
 *		conns N errors E seconds S rate R
 *	S with 3 decimals, R = N/S with 1; stderr: the errors by REASON.
 *	Exit 0 iff N > 0 (a benchmark measures, it does not judge).
 *
 * upload ADDR PORT --bytes N [--timeout-ms T]
 *	Send "sink\n", then N bytes, shut down writing and read "NAME COUNT".
 *	"ok NAME COUNT", exit 0, iff COUNT = N; else "fail mismatch NAME COUNT"
 *	or "fail REASON", exit 1.  No progress for T ms (default 5000) fails.
 *
 * stream ADDR PORT --seconds S [--timeout-ms T]
 *	Send "stream\n", read the name line, then count data for S seconds
 *	(decimals allowed; SIGTERM/SIGINT end it early): "ok BYTES NAME", exit
 *	0.  A reset, an EOF, or no data for T ms (default 2000):
 *	"fail BYTES REASON", exit 1.  BYTES counts the data after the name line.
 *
 * stream ADDR PORT --conns N [--interval-ms I] [--seconds S] [--timeout-ms T]
 *        [--src ADDR] [--ready-file F] [--stats-file F]
 *	N long-lived connections (each from its own source port) streaming
 *	small messages: each sends "m\n" every I ms (default 20) once the
 *	answer to the last one came, and the answer must be the server's
 *	name, the same every time.  A connection's STALL is the longest it
 *	waited for an answer (the wait still going on included): a failover
 *	shows there, since the client retransmits until the path works again.
 *	A connection not set up within T ms (default 2000) fails; one that is
 *	set up never times out: it ends only with a reset, an EOF or a wrong
 *	answer.  Runs S seconds, or until SIGTERM/SIGINT.  The ready file is
 *	created once every connection has had an answer.  The stats file holds
 *	one line, rewritten whole every 100 ms and at the end:
 *		conns N open O reset R eof E failed F rounds_min M
 *		rounds_total T stall_max_ms S waiting_max_ms W
 *	(open: going on; rounds_min: the fewest answers any connection had;
 *	waiting_max_ms: the longest wait going on now).  stdout at the end, a
 *	line per connection, then the total:
 *		conn I SPORT NAME ROUNDS STALL_MS STATE
 *		total N ok K stall_max_ms S
 *	STATE is ok or a REASON (reset, eof, timeout, name-changed, ...).
 *	Exit 0 iff every connection is ok.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "tool.h"

#define PROG		"nflvs-testnet"
#define NAME_MAX_LEN	64
#define MAX_LISTENERS	64
#define WANT_NOFILE	262144
#define CONN_IN_SIZE	4096
#define CONN_OUT_SIZE	2048
#define REPLY_MAX	256	/* longest answer serve queues at once */
#define RESP_MAX	512	/* longest answer count and load accept */
#define EVENTS_MAX	256
#define UDP_RESEND_MS	500	/* count: a UDP request unanswered this long */

static int usage(const char *cmd);

static int64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 10k connections need more than the usual 1024 descriptors. */
static void nofile_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_max < WANT_NOFILE) {
		struct rlimit want = { WANT_NOFILE, WANT_NOFILE };

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* One word for stdout records; see REASON above. */
static const char *err_token(int err)
{
	const char *name;

	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case ECONNRESET:
	case EPIPE:
		return "reset";
	case ENODATA:
		return "eof";
	case EINTR:
		return "interrupted";
	case EPROTO:
		return "bad-reply";
	case EMSGSIZE:
		return "reply-too-long";
	}
	name = strerrorname_np(err);
	return name ? name : "error";
}

/* For stderr: what the pseudo-errnos of err_token() stand for. */
static const char *err_text(int err)
{
	switch (err) {
	case ENODATA:
		return "connection closed by the server";
	case EINTR:
		return "stopped by a signal";
	case EPROTO:
		return "unexpected answer";
	case EAGAIN:
		return "no data";
	}
	return strerror(err);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Written whole (file_replace()), so a reader never sees an empty pid
 * file. */
static int pidfile_write(const char *path)
{
	char line[24];

	snprintf(line, sizeof(line), "%d\n", (int)getpid());
	return file_replace(path, line);
}

/* Argument parsing ------------------------------------------------------ */

struct endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
};

static struct sockaddr *ep_sa(const struct endpoint *ep)
{
	return (struct sockaddr *)&ep->ss;
}

static void endpoint_set(struct endpoint *ep, const struct nflvs_addr *a,
			 uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = a->v6;
		ep->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr = a->v4;
		ep->len = sizeof(*s4);
	}
}

/* "2", "0.5": seconds, returned in ms. */
static int parse_seconds(const char *s, int64_t *ms)
{
	char *end;
	double d;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !(d > 0) || d > 7 * 86400)
		return -EINVAL;
	*ms = (int64_t)(d * 1000 + 0.5);
	return *ms > 0 ? 0 : -EINVAL;
}

static int opt_seconds(const char *cmd, const char *opt, const char *arg,
		       int64_t *ms)
{
	if (parse_seconds(arg, ms) == 0)
		return 0;
	fprintf(stderr, "%s: invalid %s: `%s'\n", cmd, opt, arg);
	return -1;
}

/* The ADDR PORT positional arguments of the client commands. */
static int parse_target(const char *cmd, int argc, char *argv[],
			struct endpoint *dst)
{
	unsigned long long port;
	struct nflvs_addr a;

	if (argc != 2) {
		fprintf(stderr, "%s: expected ADDR PORT\n", cmd);
		return -1;
	}
	if (parse_host(argv[0], &a) < 0) {
		fprintf(stderr, "%s: Unable to parse IP address: `%s'\n", cmd,
			argv[0]);
		return -1;
	}
	if (opt_uint(cmd, "port", argv[1], 1, 65535, &port) < 0)
		return -1;
	endpoint_set(dst, &a, port);
	return 0;
}

/* serve ---------------------------------------------------------------- */

enum ev_kind { EV_LISTEN, EV_UDP, EV_CONN };

enum conn_mode { MODE_DETECT, MODE_LINE, MODE_HTTP, MODE_SINK, MODE_STREAM };

/* Every object registered with epoll starts with its kind. */
struct listener {
	enum ev_kind kind;
	int fd;
};

struct conn {
	enum ev_kind kind;
	int fd;
	enum conn_mode mode;
	uint32_t events;	/* what epoll watches now */
	bool eof;		/* the peer has stopped sending */
	bool closing;		/* close once out[] is sent */
	bool req_head, req_body, req_close;	/* the HTTP request being read */
	uint64_t body_left;	/* HTTP body bytes still to come */
	uint64_t count;		/* sink bytes, or this request's body bytes */
	size_t inlen, outoff, outlen;
	struct conn *prev, *next;	/* the server's open connections */
	char in[CONN_IN_SIZE];
	char out[CONN_OUT_SIZE];
};

struct server {
	const char *name;
	char name_nl[NAME_MAX_LEN + 2];	/* "NAME\n" */
	size_t namelen;
	int epfd;
	int spare_fd;		/* given up to accept-and-drop at EMFILE */
	struct listener ls[MAX_LISTENERS];
	size_t nls;
	struct conn *conns;	/* open connections, freed at exit */
	char scratch[65536];	/* where discarded input goes */
	char data[65536];	/* what stream mode sends */
};

static void conn_close(struct server *srv, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	free(c);
}

static bool conn_room(const struct conn *c)
{
	return c->outlen + REPLY_MAX <= sizeof(c->out);
}

static void conn_consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

static void conn_queue(struct conn *c, const char *s, size_t n)
{
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
}

static void http_reply(struct server *srv, struct conn *c)
{
	char received[48] = "";
	int n;

	if (c->req_body)
		snprintf(received, sizeof(received), "X-Received: %llu\r\n",
			 (unsigned long long)c->count);
	n = snprintf(c->out + c->outlen, sizeof(c->out) - c->outlen,
		     "HTTP/1.1 200 OK\r\n"
		     "Content-Type: text/plain\r\n"
		     "Content-Length: %zu\r\n"
		     "%sConnection: %s\r\n\r\n%s",
		     srv->namelen + 1, received,
		     c->req_close ? "close" : "keep-alive",
		     c->req_head ? "" : srv->name_nl);
	c->outlen += n;
	if (c->req_close)
		c->closing = true;
}

/* Which protocol: 1 decided, 0 need more bytes. */
static int conn_detect(struct conn *c)
{
	static const char *const methods[] = { "GET ", "HEAD ", "POST ", "PUT " };
	bool maybe_http = false;
	size_t i, n, k;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		n = strlen(methods[i]);
		k = c->inlen < n ? c->inlen : n;
		if (memcmp(c->in, methods[i], k))
			continue;
		if (k == n) {
			c->mode = MODE_HTTP;
			return 1;
		}
		maybe_http = true;
	}
	if (maybe_http)
		return 0;
	c->mode = MODE_LINE;
	return 1;
}

/* One line of the line protocol: 1 answered, 0 need more bytes. */
static int conn_line(struct server *srv, struct conn *c)
{
	char *nl = memchr(c->in, '\n', c->inlen);
	size_t len;

	if (!nl) {
		/* An overlong line gets its one answer when its end comes. */
		if (c->inlen == sizeof(c->in))
			c->inlen = 0;
		return 0;
	}
	len = nl - c->in;
	if (len && c->in[len - 1] == '\r')
		len--;
	if (len == 4 && !memcmp(c->in, "sink", 4)) {
		conn_consume(c, nl + 1 - c->in);
		c->mode = MODE_SINK;
		c->count = c->inlen;
		c->inlen = 0;
		return 0;
	}
	if (len == 6 && !memcmp(c->in, "stream", 6)) {
		c->mode = MODE_STREAM;
		c->inlen = 0;
		conn_queue(c, srv->name_nl, srv->namelen + 1);
		return 0;
	}
	conn_consume(c, nl + 1 - c->in);
	conn_queue(c, srv->name_nl, srv->namelen + 1);
	return 1;
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The request line and headers, in[0..hlen), end with CRLF CRLF. */
static int http_parse(struct conn *c, size_t hlen)
{
	char hdr[CONN_IN_SIZE + 1], *line, *save, *end;
	unsigned long long v;
	size_t n;

	memcpy(hdr, c->in, hlen);
	hdr[hlen] = '\0';
	line = strtok_r(hdr, "\r\n", &save);
	if (!line)
		return -1;
	n = strlen(line);
	if (n < 8 || strncmp(line + n - 8, "HTTP/1.", 7))
		return -1;
	c->req_head = !strncmp(line, "HEAD ", 5);
	c->req_body = !strncmp(line, "POST ", 5) || !strncmp(line, "PUT ", 4);
	c->req_close = line[n - 1] == '0';
	c->body_left = 0;
	c->count = 0;
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		for (end = line + strlen(line); end > line && end[-1] == ' '; )
			*--end = '\0';
		if (!strncasecmp(line, "Content-Length:", 15)) {
			if (parse_uint(skip_spaces(line + 15), 0, UINT64_MAX, &v))
				return -1;
			c->body_left = v;
		} else if (!strncasecmp(line, "Connection:", 11)) {
			if (strcasestr(line + 11, "close"))
				c->req_close = true;
			else if (strcasestr(line + 11, "keep-alive"))
				c->req_close = false;
		}
	}
	return 0;
}

/* One step of HTTP: 1 progress, 0 need more bytes, -1 bad request. */
static int conn_http(struct server *srv, struct conn *c)
{
	char *end;
	size_t n;

	if (c->body_left) {
		n = c->inlen < c->body_left ? c->inlen : c->body_left;
		if (!n)
			return 0;
		conn_consume(c, n);
		c->count += n;
		c->body_left -= n;
		if (c->body_left)
			return 0;
		http_reply(srv, c);
		return 1;
	}
	end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
	if (!end)
		return c->inlen == sizeof(c->in) ? -1 : 0;
	n = end + 4 - c->in;
	if (http_parse(c, n) < 0)
		return -1;
	conn_consume(c, n);
	if (!c->body_left)
		http_reply(srv, c);
	return 1;
}

/* The peer has finished sending and all complete input is answered. */
static void conn_finish(struct server *srv, struct conn *c)
{
	char buf[NAME_MAX_LEN + 32];
	int n;

	if (c->mode == MODE_SINK) {
		n = snprintf(buf, sizeof(buf), "%s %llu\n", srv->name,
			     (unsigned long long)c->count);
		conn_queue(c, buf, n);
	} else if ((c->mode == MODE_LINE || c->mode == MODE_DETECT) && c->inlen) {
		conn_queue(c, srv->name_nl, srv->namelen + 1);
	} else if (c->mode == MODE_STREAM) {
		c->outlen = c->outoff = 0;
	}
	c->inlen = 0;
	c->closing = true;
}

/* Answer what is buffered while out[] has room; true if it ran out of room. */
static bool conn_process(struct server *srv, struct conn *c)
{
	int r = 1;

	while (r > 0 && !c->closing) {
		if (!conn_room(c))
			return true;
		switch (c->mode) {
		case MODE_DETECT:
			r = conn_detect(c);
			break;
		case MODE_LINE:
			r = conn_line(srv, c);
			break;
		case MODE_HTTP:
			r = conn_http(srv, c);
			break;
		default:
			r = 0;
		}
	}
	if (r < 0) {
		c->closing = true;
		c->outlen = c->outoff = 0;
	} else if (c->eof && !c->closing) {
		conn_finish(srv, c);
	}
	return false;
}

/* Send what is queued, then, in stream mode, one more chunk of data. */
static int conn_flush(struct server *srv, struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->outoff += n;
	}
	c->outoff = c->outlen = 0;
	if (c->mode == MODE_STREAM && !c->closing) {
		n = send(c->fd, srv->data, sizeof(srv->data),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return 0;
}

static int conn_update_events(struct server *srv, struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = 0;
	if (!c->eof && !c->closing && conn_room(c) &&
	    c->inlen < sizeof(c->in))
		ev.events |= EPOLLIN;
	if (c->outlen > c->outoff || (c->mode == MODE_STREAM && !c->closing))
		ev.events |= EPOLLOUT;
	if (ev.events == c->events)
		return 0;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -errno;
	c->events = ev.events;
	return 0;
}

/* Bytes that are only counted go to scratch, with no copying around. */
static bool conn_discarding(const struct conn *c)
{
	return c->mode == MODE_SINK || c->mode == MODE_STREAM ||
	       (c->mode == MODE_HTTP && c->body_left && !c->inlen);
}

static int conn_readable(struct server *srv, struct conn *c)
{
	size_t want = sizeof(srv->scratch);
	ssize_t n;

	if (!conn_discarding(c)) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
		if (n > 0)
			c->inlen += n;
	} else {
		if (c->mode == MODE_HTTP && c->body_left < want)
			want = c->body_left;
		n = recv(c->fd, srv->scratch, want, 0);
		if (n > 0 && c->mode != MODE_STREAM)
			c->count += n;
		if (n > 0 && c->mode == MODE_HTTP) {
			c->body_left -= n;
			if (!c->body_left)
				http_reply(srv, c);
		}
	}
	if (n == 0)
		c->eof = true;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

static void conn_event(struct server *srv, struct conn *c, uint32_t events)
{
	bool blocked;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->eof &&
	    c->inlen < sizeof(c->in) && conn_readable(srv, c) < 0)
		goto close;
	do {
		blocked = conn_process(srv, c);
		if (conn_flush(srv, c) < 0)
			goto close;
	} while (blocked && c->outlen == 0);
	if (c->closing && c->outlen == 0)
		goto close;
	if (conn_update_events(srv, c) == 0)
		return;
close:
	conn_close(srv, c);
}

static int conn_new(struct server *srv, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	memset(c, 0, offsetof(struct conn, in));
	c->kind = EV_CONN;
	c->fd = fd;
	c->mode = MODE_DETECT;
	c->events = ev.events;
	ev.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		return -errno;
	}
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	return 0;
}

/* Out of descriptors: accept and drop one, or the listener spins. */
static void listener_shed(struct server *srv, struct listener *l)
{
	if (srv->spare_fd < 0)
		return;
	close(srv->spare_fd);
	close(accept(l->fd, NULL, NULL));
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void listener_accept(struct server *srv, struct listener *l)
{
	int i, fd;

	for (i = 0; i < 64; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				fprintf(stderr, "serve: accept: %s\n",
					strerror(errno));
				listener_shed(srv, l);
			}
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return;
		}
		if (conn_new(srv, fd) < 0)
			close(fd);
	}
}

/*
 * Answer from the address the datagram came to: with a wildcard socket the
 * kernel would otherwise pick the source by route, which is wrong for a VIP.
 */
static void udp_reply(struct server *srv, int fd, struct msghdr *in)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { srv->name_nl, srv->namelen + 1 };
	struct msghdr mh = {
		.msg_name = in->msg_name, .msg_namelen = in->msg_namelen,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct cmsghdr *cm, *out = &ctl.align;

	memset(&ctl, 0, sizeof(ctl));
	for (cm = CMSG_FIRSTHDR(in); cm; cm = CMSG_NXTHDR(in, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			*out = (struct cmsghdr){ CMSG_LEN(sizeof(pi)), IPPROTO_IP,
						 IP_PKTINFO };
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			   cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			/* Not the incoming interface: in tunnel mode the
			 * answer leaves by another one. */
			if (!IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				pi.ipi6_ifindex = 0;
			*out = (struct cmsghdr){ CMSG_LEN(sizeof(pi)),
						 IPPROTO_IPV6, IPV6_PKTINFO };
			memcpy(CMSG_DATA(out), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		}
	}
	if (mh.msg_controllen)
		mh.msg_control = ctl.buf;
	sendmsg(fd, &mh, MSG_DONTWAIT);
}

static void udp_readable(struct server *srv, struct listener *l)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage peer;
	struct iovec iov = { srv->scratch, sizeof(srv->scratch) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int i;

	for (i = 0; i < 64; i++) {
		mh.msg_name = &peer;
		mh.msg_namelen = sizeof(peer);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		if (recvmsg(l->fd, &mh, MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN)
				return;
			continue;
		}
		udp_reply(srv, l->fd, &mh);
	}
}

static int sock_options(int fd, int family, int type, bool wildcard)
{
	int one = 1, zero = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (family == AF_INET6 && wildcard &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		return -errno;
	if (type != SOCK_DGRAM)
		return 0;
	/* On a dual-stack socket IPV6_PKTINFO also covers IPv4. */
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
		return -errno;
	if (family == AF_INET &&
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

/* A bound (and for TCP listening) socket, or -errno. */
static int sock_listen(int type, const struct nflvs_addr *a, uint16_t port)
{
	struct nflvs_addr any6 = { .family = AF_INET6 };
	struct nflvs_addr any4 = { .family = AF_INET };
	bool wildcard = !a->family;
	struct endpoint ep;
	int fd, err;

	if (wildcard)
		a = &any6;
	fd = socket(a->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && wildcard) {
		a = &any4;
		fd = socket(a->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -errno;
	endpoint_set(&ep, a, port);
	err = sock_options(fd, a->family, type, wildcard);
	if (!err && bind(fd, ep_sa(&ep), ep.len) < 0)
		err = -errno;
	if (!err && type == SOCK_STREAM && listen(fd, 65535) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* "[ADDR:]PORT" */
static int parse_listen(const char *s, struct nflvs_addr *a, uint16_t *port)
{
	unsigned long long v;

	if (strchr(s, ':'))
		return addr_port_parse(s, a, port) == 0 && *port ? 0 : -EINVAL;
	memset(a, 0, sizeof(*a));
	if (parse_uint(s, 1, 65535, &v) < 0)
		return -EINVAL;
	*port = v;
	return 0;
}

static int serve_add(struct server *srv, int type, const char *spec)
{
	const char *proto = type == SOCK_STREAM ? "tcp" : "udp";
	char buf[ADDR_STRLEN];
	struct nflvs_addr a;
	struct epoll_event ev;
	struct listener *l;
	uint16_t port;
	int fd;

	if (parse_listen(spec, &a, &port) < 0) {
		fprintf(stderr, "serve: Unable to parse --%s [ADDR:]PORT: `%s'\n",
			proto, spec);
		return EXIT_USAGE;
	}
	fd = sock_listen(type, &a, port);
	if (fd < 0) {
		if (!a.family)
			a.family = AF_INET6;
		fprintf(stderr, "serve: cannot listen on %s %s: %s\n", proto,
			addr_port_str(&a, port, buf, sizeof(buf)), strerror(-fd));
		return 1;
	}
	l = &srv->ls[srv->nls++];
	l->kind = type == SOCK_STREAM ? EV_LISTEN : EV_UDP;
	l->fd = fd;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = l };
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("serve: epoll_ctl");
		return 1;
	}
	return 0;
}

static int serve_loop(struct server *srv)
{
	struct epoll_event evs[EVENTS_MAX];
	int i, n;

	while (!stop_requested) {
		n = epoll_pwait(srv->epfd, evs, EVENTS_MAX, -1, &wait_mask);
		if (n < 0 && errno != EINTR) {
			perror("serve: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			switch (*(enum ev_kind *)p) {
			case EV_LISTEN:
				listener_accept(srv, p);
				break;
			case EV_UDP:
				udp_readable(srv, p);
				break;
			case EV_CONN:
				conn_event(srv, p, evs[i].events);
				break;
			}
		}
	}
	return 0;
}

struct serve_args {
	const char *pidfile, *ready;
	const char *spec[MAX_LISTENERS];	/* [ADDR:]PORT */
	int type[MAX_LISTENERS];		/* SOCK_STREAM or SOCK_DGRAM */
	size_t n;
};

static int serve_parse(struct server *srv, struct serve_args *a, int argc,
		       char *argv[])
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "tcp", required_argument, NULL, 'T' },
		{ "udp", required_argument, NULL, 'U' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'N') {
			srv->name = optarg;
		} else if ((c == 'T' || c == 'U') && a->n < MAX_LISTENERS) {
			a->type[a->n] = c == 'T' ? SOCK_STREAM : SOCK_DGRAM;
			a->spec[a->n++] = optarg;
		} else if (c == 'P') {
			a->pidfile = optarg;
		} else if (c == 'R') {
			a->ready = optarg;
		} else {
			if (c == 'T' || c == 'U')
				fprintf(stderr, "serve: more than %d ports\n",
					MAX_LISTENERS);
			return -1;
		}
	}
	if (optind != argc || !srv->name || !a->n) {
		fprintf(stderr, "serve: --name and a --tcp or --udp port are required\n");
		return -1;
	}
	if (!name_ok(srv->name)) {
		fprintf(stderr, "serve: invalid --name (1-%d printable characters, no spaces): `%s'\n",
			NAME_MAX_LEN, srv->name);
		return -1;
	}
	return 0;
}

static int serve_main(int argc, char *argv[])
{
	struct server *srv = calloc(1, sizeof(*srv));
	struct serve_args args = { 0 };
	size_t i;
	int err;

	if (!srv)
		return 1;
	if (serve_parse(srv, &args, argc, argv) < 0)
		return usage("serve");
	/* A ready file left from an earlier run must not fool the caller. */
	if (args.ready)
		unlink(args.ready);
	signals_setup();
	nofile_raise();
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0) {
		perror("serve: epoll_create1");
		return 1;
	}
	srv->namelen = strlen(srv->name);
	snprintf(srv->name_nl, sizeof(srv->name_nl), "%s\n", srv->name);
	for (i = 0; i < sizeof(srv->data); i++)
		srv->data[i] = "0123456789abcdef"[i % 16];
	for (i = 0; i < args.n; i++) {
		err = serve_add(srv, args.type[i], args.spec[i]);
		if (err)
			return err == EXIT_USAGE ? usage("serve") : err;
	}
	if (args.pidfile && (err = pidfile_write(args.pidfile)) < 0) {
		fprintf(stderr, "serve: %s: %s\n", args.pidfile, strerror(-err));
		return 1;
	}
	if (args.ready && (err = file_touch(args.ready)) < 0) {
		fprintf(stderr, "serve: %s: %s\n", args.ready, strerror(-err));
		return 1;
	}
	err = serve_loop(srv);
	while (srv->conns)
		conn_close(srv, srv->conns);
	free(srv);
	return err;
}

/* count and load: many short exchanges ------------------------------- */

struct slot {
	int fd;			/* -1: idle */
	bool connecting;
	int64_t deadline;
	int64_t resend;		/* UDP: when to send the request again */
	size_t got;
	char buf[RESP_MAX];
};

struct err_tally {
	int err[8];
	uint64_t n[8];
	unsigned used;
	uint64_t other;
};

struct client {
	const char *cmd;
	struct endpoint dst, src;	/* src.len 0: the kernel chooses */
	uint16_t sport;			/* 0: the kernel chooses */
	int type;			/* SOCK_STREAM or SOCK_DGRAM */
	bool http;
	const char *req;
	size_t reqlen;
	int timeout_ms;
	unsigned concurrency;
	uint64_t limit;			/* exchanges to start; 0: no limit */
	int64_t end_ms;			/* when to stop; 0: never */
	uint64_t started, ok, errors;
	struct err_tally tally;
	/* name NULL: failed; started: when it began (now_ms() clock) */
	void (*done)(void *ctx, const char *name, int64_t started);
	void *ctx;
	int epfd;
	struct slot *slots;
	struct slot **idle;
	unsigned nidle;
};

static const char line_req[] = "hello\n";
static const char http_req[] =
	"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

static void tally_add(struct err_tally *t, int err)
{
	unsigned i;

	for (i = 0; i < t->used; i++)
		if (t->err[i] == err)
			break;
	if (i == t->used && t->used == sizeof(t->err) / sizeof(t->err[0])) {
		t->other++;
		return;
	}
	t->err[i] = err;
	t->n[i]++;
	if (i == t->used)
		t->used++;
}

static void tally_print(const struct err_tally *t, const char *cmd)
{
	unsigned i;

	if (!t->used)
		return;
	fprintf(stderr, "%s: errors:", cmd);
	for (i = 0; i < t->used; i++)
		fprintf(stderr, "%s %s %llu", i ? "," : "", err_token(t->err[i]),
			(unsigned long long)t->n[i]);
	if (t->other)
		fprintf(stderr, ", other %llu", (unsigned long long)t->other);
	fputc('\n', stderr);
}

/* Content-Length of the NUL-terminated header block, or -1. */
static long long http_content_length(const char *hdr)
{
	static const char key[] = "\r\nContent-Length:";
	const char *p;
	char *end;
	long long v;

	for (p = strstr(hdr, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p, key, sizeof(key) - 1))
			continue;
		p = skip_spaces(p + sizeof(key) - 1);
		if (*p < '0' || *p > '9')
			return -1;
		v = strtoll(p, &end, 10);
		end = (char *)skip_spaces(end);
		return *end == '\r' || *end == '\0' ? v : -1;
	}
	return -1;
}

/* An answer in buf: 1 complete (*name set), 0 need more, -EPROTO bad. */
static int reply_parse(bool http, char *buf, size_t got, char **name)
{
	long long len;
	char *end, *nl;

	if (http) {
		end = memmem(buf, got, "\r\n\r\n", 4);
		if (!end)
			return 0;
		*end = '\0';
		len = http_content_length(buf);
		*end = '\r';
		if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 8, " 200 ", 5) ||
		    len < 0 || len >= RESP_MAX)
			return -EPROTO;
		if (got < (size_t)(end + 4 - buf) + len)
			return 0;
		buf = end + 4;
		got = len;
	}
	nl = memchr(buf, '\n', got);
	if (!nl)
		return http ? -EPROTO : 0;
	*nl = '\0';
	if (nl > buf && nl[-1] == '\r')
		nl[-1] = '\0';
	*name = buf;
	return name_ok(buf) ? 1 : -EPROTO;
}

static void client_finish(struct client *cl, struct slot *s, const char *name,
			  int err)
{
	if (name) {
		cl->ok++;
	} else {
		cl->errors++;
		tally_add(&cl->tally, err);
	}
	if (cl->done)
		cl->done(cl->ctx, name, s->deadline - cl->timeout_ms);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	cl->idle[cl->nidle++] = s;
}

static int client_open(struct client *cl, struct slot *s)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
	int one = 1;

	s->fd = socket(cl->dst.ss.ss_family,
		       cl->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	s->connecting = cl->type == SOCK_STREAM;
	if (s->connecting) {
		if (setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)))
			return -errno;
		/* Edge-triggered: no EPOLL_CTL_MOD between connect and read. */
		ev.events |= EPOLLOUT | EPOLLET;
		if (cl->src.len)
			setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
				   &one, sizeof(one));
	}
	if (cl->sport) {
		/* every exchange from one source port (one-packet tests) */
		struct endpoint src = cl->src;

		if (!src.len) {
			struct nflvs_addr any = { .family = cl->dst.ss.ss_family };

			endpoint_set(&src, &any, 0);
		}
		((struct sockaddr_in *)ep_sa(&src))->sin_port = htons(cl->sport);
		if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(s->fd, ep_sa(&src), src.len) < 0)
			return -errno;
	} else if (cl->src.len && bind(s->fd, ep_sa(&cl->src), cl->src.len) < 0) {
		return -errno;
	}
	if (connect(s->fd, ep_sa(&cl->dst), cl->dst.len) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	if (!s->connecting && send(s->fd, cl->req, cl->reqlen, 0) < 0)
		return -errno;
	if (epoll_ctl(cl->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return -errno;
	return 0;
}

static void client_start(struct client *cl, struct slot *s, int64_t now)
{
	int err;

	cl->started++;
	s->got = 0;
	s->deadline = now + cl->timeout_ms;
	s->resend = now + UDP_RESEND_MS;
	err = client_open(cl, s);
	if (err)
		client_finish(cl, s, NULL, -err);
}

static void client_read(struct client *cl, struct slot *s)
{
	char *name;
	ssize_t n;
	int r;

	for (;;) {
		n = recv(s->fd, s->buf + s->got, sizeof(s->buf) - 1 - s->got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_finish(cl, s, NULL, n ? errno : ENODATA);
			return;
		}
		s->got += n;
		r = reply_parse(cl->http, s->buf, s->got, &name);
		if (r == 0 && cl->type == SOCK_DGRAM)
			r = -EPROTO;
		if (r == 0 && s->got == sizeof(s->buf) - 1)
			r = -EMSGSIZE;
		if (r) {
			client_finish(cl, s, r > 0 ? name : NULL, -r);
			return;
		}
	}
}

static void client_event(struct client *cl, struct slot *s, uint32_t events)
{
	socklen_t len = sizeof(int);
	int err = 0;
	ssize_t n;

	if (s->fd < 0)
		return;
	if (s->connecting) {
		if (events & EPOLLERR) {
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			client_finish(cl, s, NULL, err ? err : ECONNRESET);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		n = send(s->fd, cl->req, cl->reqlen, MSG_NOSIGNAL);
		if (n != (ssize_t)cl->reqlen) {
			client_finish(cl, s, NULL, n < 0 ? errno : EIO);
			return;
		}
		s->connecting = false;
		if (!(events & (EPOLLIN | EPOLLHUP)))
			return;
	}
	client_read(cl, s);
}

static void client_expire(struct client *cl, int64_t now)
{
	struct slot *s;
	unsigned i;

	for (i = 0; i < cl->concurrency; i++) {
		s = &cl->slots[i];
		if (s->fd < 0)
			continue;
		if (now >= s->deadline) {
			client_finish(cl, s, NULL, ETIMEDOUT);
		} else if (cl->type == SOCK_DGRAM && !s->got && now >= s->resend) {
			/* lost, or not answered yet: ask again; an error of
			 * this send shows as the timeout */
			send(s->fd, cl->req, cl->reqlen, MSG_NOSIGNAL);
			s->resend = now + UDP_RESEND_MS;
		}
	}
}

static bool client_more(const struct client *cl, int64_t now)
{
	if (cl->limit && cl->started >= cl->limit)
		return false;
	return !cl->end_ms || now < cl->end_ms;
}

/* Bounded, so sockets that fail at once cannot starve the event loop. */
static void client_refill(struct client *cl, int64_t now)
{
	unsigned budget = cl->concurrency;

	while (cl->nidle && budget-- && client_more(cl, now))
		client_start(cl, cl->idle[--cl->nidle], now);
}

static int client_run(struct client *cl)
{
	struct epoll_event evs[EVENTS_MAX];
	int64_t now = now_ms(), next_scan = now + 10;
	unsigned i;
	int n;

	for (;;) {
		client_refill(cl, now);
		if (stop_requested || (cl->end_ms && now >= cl->end_ms))
			break;
		if (cl->nidle == cl->concurrency && !client_more(cl, now))
			break;
		n = epoll_pwait(cl->epfd, evs, EVENTS_MAX,
				cl->nidle == cl->concurrency ? 0 : 10,
				&wait_mask);
		if (n < 0 && errno != EINTR)
			return -errno;
		now = now_ms();
		for (i = 0; n > 0 && i < (unsigned)n; i++)
			client_event(cl, evs[i].data.ptr, evs[i].events);
		if (now >= next_scan) {
			client_expire(cl, now);
			next_scan = now + 10;
		}
	}
	/* What is still in flight is not counted either way. */
	for (i = 0; i < cl->concurrency; i++)
		if (cl->slots[i].fd >= 0)
			close(cl->slots[i].fd);
	return 0;
}

static int client_init(struct client *cl)
{
	unsigned i;

	if (cl->concurrency > 512)
		nofile_raise();
	cl->req = cl->http ? http_req : line_req;
	cl->reqlen = strlen(cl->req);
	cl->slots = calloc(cl->concurrency, sizeof(*cl->slots));
	cl->idle = calloc(cl->concurrency, sizeof(*cl->idle));
	cl->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!cl->slots || !cl->idle || cl->epfd < 0)
		return -1;
	for (i = 0; i < cl->concurrency; i++) {
		cl->slots[i].fd = -1;
		cl->idle[i] = &cl->slots[cl->concurrency - 1 - i];
	}
	cl->nidle = cl->concurrency;
	return 0;
}

static void client_free(struct client *cl)
{
	if (cl->epfd >= 0)
		close(cl->epfd);
	free(cl->slots);
	free(cl->idle);
}

enum { OPT_TCP = 256, OPT_UDP, OPT_SEQ, OPT_HTTP, OPT_TIMEOUT, OPT_CONC,
       OPT_SRC, OPT_DURATION, OPT_INTERVAL, OPT_COUNT, OPT_READY, OPT_BYTES,
       OPT_SECONDS, OPT_SPORT, OPT_LOG, OPT_CONNS, OPT_STATS };

/* The options count and load share: 1 taken, 0 not one of them, -1 bad. */
static int client_option(struct client *cl, int opt, const char *arg)
{
	unsigned long long v;
	struct nflvs_addr a;

	switch (opt) {
	case OPT_HTTP:
		cl->http = true;
		return 1;
	case OPT_TIMEOUT:
		if (opt_uint(cl->cmd, "--timeout-ms", arg, 1, 3600000, &v) < 0)
			return -1;
		cl->timeout_ms = v;
		return 1;
	case OPT_CONC:
		if (opt_uint(cl->cmd, "--concurrency", arg, 1, 100000, &v) < 0)
			return -1;
		cl->concurrency = v;
		return 1;
	case OPT_SRC:
		if (parse_host(arg, &a) < 0) {
			fprintf(stderr, "%s: Unable to parse IP address: `%s'\n",
				cl->cmd, arg);
			return -1;
		}
		endpoint_set(&cl->src, &a, 0);
		return 1;
	case OPT_SPORT:
		if (opt_uint(cl->cmd, "--sport", arg, 1, 65535, &v) < 0)
			return -1;
		cl->sport = v;
		return 1;
	}
	return 0;
}

static int client_check(struct client *cl, int argc, char *argv[])
{
	if (parse_target(cl->cmd, argc, argv, &cl->dst) < 0)
		return -1;
	if (cl->src.len && cl->src.ss.ss_family != cl->dst.ss.ss_family) {
		fprintf(stderr, "%s: --src and ADDR are not the same family\n",
			cl->cmd);
		return -1;
	}
	if (cl->http && cl->type == SOCK_DGRAM) {
		fprintf(stderr, "%s: --http is for TCP\n", cl->cmd);
		return -1;
	}
	if (client_init(cl) < 0) {
		perror(cl->cmd);
		exit(1);
	}
	return 0;
}

struct tally_entry {
	char name[NAME_MAX_LEN + 1];
	uint64_t n;
};

struct count_result {
	bool seq;
	bool log;		/* "REALTIME_MS NAME|-" per exchange */
	int64_t rt_offset;	/* CLOCK_REALTIME - now_ms() clock, ms */
	struct tally_entry *v;
	size_t n, cap;
};

static void count_done(void *ctx, const char *name, int64_t started)
{
	struct count_result *res = ctx;
	size_t i;

	if (res->seq)
		puts(name ? name : "-");
	if (res->log)
		printf("%lld %s\n", (long long)(started + res->rt_offset),
		       name ? name : "-");
	if (!name)
		return;
	for (i = 0; i < res->n; i++) {
		if (!strcmp(res->v[i].name, name)) {
			res->v[i].n++;
			return;
		}
	}
	if (res->n == res->cap) {
		res->cap = res->cap ? 2 * res->cap : 16;
		res->v = realloc(res->v, res->cap * sizeof(*res->v));
		if (!res->v) {
			perror("count");
			exit(1);
		}
	}
	strcpy(res->v[res->n].name, name);
	res->v[res->n++].n = 1;
}

static int tally_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tally_entry *)a)->name,
		      ((const struct tally_entry *)b)->name);
}

static int count_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "tcp", no_argument, NULL, OPT_TCP },
		{ "udp", no_argument, NULL, OPT_UDP },
		{ "seq", no_argument, NULL, OPT_SEQ },
		{ "log", no_argument, NULL, OPT_LOG },
		{ "http", no_argument, NULL, OPT_HTTP },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "concurrency", required_argument, NULL, OPT_CONC },
		{ "src", required_argument, NULL, OPT_SRC },
		{ "sport", required_argument, NULL, OPT_SPORT },
		{ 0 }
	};
	struct client cl = { .cmd = "count", .timeout_ms = 2000,
			     .concurrency = 1 };
	struct count_result res = { 0 };
	unsigned long long n = 0;
	size_t i;
	int c, r;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		r = client_option(&cl, c, optarg);
		if (r < 0)
			return usage("count");
		if (r > 0)
			continue;
		if ((c == OPT_TCP || c == OPT_UDP) && cl.type) {
			fprintf(stderr, "count: only one of --tcp and --udp\n");
			return usage("count");
		}
		if (c == OPT_TCP || c == OPT_UDP)
			cl.type = c == OPT_TCP ? SOCK_STREAM : SOCK_DGRAM;
		else if (c == OPT_SEQ)
			res.seq = true;
		else if (c == OPT_LOG)
			res.log = true;
		else if (c != 'n' || opt_uint("count", "-n", optarg, 1,
						UINT32_MAX, &n) < 0)
			return usage("count");
	}
	if (!cl.type || !n) {
		fprintf(stderr, "count: one of --tcp and --udp, and -n, are required\n");
		return usage("count");
	}
	if (client_check(&cl, argc - optind, argv + optind) < 0)
		return usage("count");
	cl.limit = n;
	cl.done = count_done;
	cl.ctx = &res;
	res.rt_offset = realtime_ms() - now_ms();
	signals_setup();
	if (client_run(&cl) < 0) {
		perror("count");
		client_free(&cl);
		return 1;
	}
	cl.errors = n - cl.ok;	/* exchanges cut short by a signal, too */
	if (res.n)
		qsort(res.v, res.n, sizeof(*res.v), tally_cmp);
	for (i = 0; i < res.n; i++)
		printf("%s %llu\n", res.v[i].name, (unsigned long long)res.v[i].n);
	printf("errors %llu\n", (unsigned long long)cl.errors);
	tally_print(&cl.tally, "count");
	client_free(&cl);
	free(res.v);
	return cl.errors ? 1 : 0;
}

static int load_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "concurrency", required_argument, NULL, OPT_CONC },
		{ "http", no_argument, NULL, OPT_HTTP },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "src", required_argument, NULL, OPT_SRC },
		{ 0 }
	};
	struct client cl = { .cmd = "load", .type = SOCK_STREAM,
			     .timeout_ms = 1000, .concurrency = 64 };
	int64_t duration = 0, start, elapsed;
	double secs;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		r = client_option(&cl, c, optarg);
		if (r < 0 || (r == 0 && (c != OPT_DURATION ||
			      opt_seconds("load", "--duration", optarg,
					  &duration) < 0)))
			return usage("load");
	}
	if (!duration) {
		fprintf(stderr, "load: --duration is required\n");
		return usage("load");
	}
	if (client_check(&cl, argc - optind, argv + optind) < 0)
		return usage("load");
	signals_setup();
	start = now_ms();
	cl.end_ms = start + duration;
	if (client_run(&cl) < 0) {
		perror("load");
		client_free(&cl);
		return 1;
	}
	elapsed = now_ms() - start;
	secs = (elapsed > 0 ? elapsed : 1) / 1000.0;
	printf("conns %llu errors %llu seconds %.3f rate %.1f\n",
	       (unsigned long long)cl.ok, (unsigned long long)cl.errors, secs,
	       cl.ok / secs);
	tally_print(&cl.tally, "load");
	client_free(&cl);
	return cl.ok ? 0 : 1;
}

/* hold, upload, stream: one connection each ----------------------------- */

/* 0 ready, -ETIMEDOUT at @deadline, -EINTR once a stop signal came. */
static int fd_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	struct timespec ts;
	int64_t left;
	int n;

	for (;;) {
		if (stop_requested)
			return -EINTR;
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = left % 1000 * 1000000;
		n = ppoll(&p, 1, &ts, &wait_mask);
		if (n > 0)
			return 0;
		if (n == 0 && left == 0)
			return -ETIMEDOUT;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int tcp_connect(const struct endpoint *dst, int timeout_ms)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	socklen_t len = sizeof(int);
	int fd, err = 0, soerr = 0;

	fd = socket(dst->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	if (connect(fd, ep_sa(dst), dst->len) < 0) {
		if (errno != EINPROGRESS)
			err = -errno;
		else
			err = fd_wait(fd, POLLOUT, now_ms() + timeout_ms);
		if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
			err = -errno;
		if (!err && soerr)
			err = -soerr;
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* No progress for @timeout_ms is a timeout. */
static int send_all(int fd, const char *buf, size_t len, int timeout_ms)
{
	ssize_t n;
	int err;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = fd_wait(fd, POLLOUT, now_ms() + timeout_ms);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Read up to a "\n" and NUL-terminate the line there (dropping a "\r").
 * Returns the offset of whatever was read past it (*extra bytes), or -errno
 * (-ENODATA: EOF, -EMSGSIZE: no "\n" in @size bytes).
 */
static int read_line(int fd, char *buf, size_t size, int64_t deadline,
		     size_t *extra)
{
	size_t got = 0;
	ssize_t n;
	char *nl;
	int err;

	for (;;) {
		n = recv(fd, buf + got, size - 1 - got, 0);
		if (n == 0)
			return -ENODATA;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n < 0) {
			err = fd_wait(fd, POLLIN, deadline);
			if (err)
				return err;
			continue;
		}
		got += n;
		nl = memchr(buf, '\n', got);
		if (nl) {
			*nl = '\0';
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = '\0';
			*extra = got - (nl + 1 - buf);
			return nl + 1 - buf;
		}
		if (got == size - 1)
			return -EMSGSIZE;
	}
}

/* Between round trips nothing may arrive; a reset shows at once. */
static int hold_idle(int fd, int interval_ms)
{
	char c;
	int err = fd_wait(fd, POLLIN, now_ms() + interval_ms);
	ssize_t n;

	if (err)
		return err == -ETIMEDOUT ? 0 : err;
	n = recv(fd, &c, 1, 0);
	if (n == 0)
		return -ENODATA;
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return -EPROTO;
}

static int hold_fail(unsigned long long rounds, int err)
{
	printf("fail %llu %s\n", rounds, err_token(err));
	fprintf(stderr, "hold: after %llu round trips: %s\n", rounds,
		err_text(err));
	return 1;
}

/* One round trip; the name answered goes to @name. */
static int hold_ping(int fd, char *name, size_t size, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t extra;
	int err;

	err = send_all(fd, "ping\n", 5, timeout_ms);
	if (err)
		return err;
	err = read_line(fd, name, size, deadline, &extra);
	if (err < 0)
		return err;
	return extra || !name_ok(name) ? -EPROTO : 0;
}

struct hold_opts {
	unsigned long long interval, timeout, count;
	const char *ready;
};

/* Round trips on @fd until a failure, a signal or o->count of them. */
static int hold_run(int fd, const struct hold_opts *o)
{
	char first[RESP_MAX] = "", name[RESP_MAX];
	unsigned long long rounds = 0;
	int err;

	for (;;) {
		err = hold_ping(fd, name, sizeof(name), o->timeout);
		if (err == -EINTR && rounds)
			break;
		if (err)
			return hold_fail(rounds, -err);
		if (!rounds) {
			strcpy(first, name);
			if (o->ready && (err = file_touch(o->ready)) < 0)
				fprintf(stderr, "hold: %s: %s\n", o->ready,
					strerror(-err));
		} else if (strcmp(first, name)) {
			printf("fail %llu name-changed\n", rounds);
			fprintf(stderr, "hold: server changed from %s to %s after %llu round trips\n",
				first, name, rounds);
			return 1;
		}
		if (++rounds == o->count)
			break;
		err = hold_idle(fd, o->interval);
		if (err == -EINTR)
			break;
		if (err)
			return hold_fail(rounds, -err);
	}
	printf("ok %llu %s\n", rounds, first);
	return 0;
}

static int hold_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ 0 }
	};
	struct hold_opts o = { .interval = 50, .timeout = 1000 };
	struct endpoint dst;
	int c, fd, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_INTERVAL)
			err = opt_uint("hold", "--interval-ms", optarg, 0,
				       3600000, &o.interval);
		else if (c == OPT_TIMEOUT)
			err = opt_uint("hold", "--timeout-ms", optarg, 1,
				       3600000, &o.timeout);
		else if (c == OPT_COUNT)
			err = opt_uint("hold", "--count", optarg, 1, UINT64_MAX,
				       &o.count);
		else if (c == OPT_READY)
			o.ready = optarg;
		else
			err = -1;
		if (err)
			return usage("hold");
	}
	if (parse_target("hold", argc - optind, argv + optind, &dst) < 0)
		return usage("hold");
	signals_setup();
	if (o.ready)
		unlink(o.ready);
	fd = tcp_connect(&dst, o.timeout);
	if (fd < 0)
		return hold_fail(0, -fd);
	err = hold_run(fd, &o);
	close(fd);
	return err;
}

/* The answer "NAME COUNT" to an upload. */
static int upload_answer(int fd, int timeout_ms, unsigned long long bytes)
{
	char line[RESP_MAX], *sp;
	unsigned long long got;
	size_t extra;
	int err;

	err = read_line(fd, line, sizeof(line), now_ms() + timeout_ms, &extra);
	if (err < 0)
		return err;
	sp = strrchr(line, ' ');
	if (!sp)
		return -EPROTO;
	*sp = '\0';
	if (!name_ok(line) || parse_uint(sp + 1, 0, UINT64_MAX, &got) < 0)
		return -EPROTO;
	if (got != bytes) {
		printf("fail mismatch %s %llu\n", line, got);
		fprintf(stderr, "upload: sent %llu bytes, %s received %llu\n",
			bytes, line, got);
		return 1;
	}
	printf("ok %s %llu\n", line, got);
	return 0;
}

static int upload_send(int fd, unsigned long long bytes, int timeout_ms)
{
	static char chunk[65536];
	size_t n;
	int err;

	memset(chunk, 'u', sizeof(chunk));
	err = send_all(fd, "sink\n", 5, timeout_ms);
	while (!err && bytes) {
		n = bytes < sizeof(chunk) ? bytes : sizeof(chunk);
		err = send_all(fd, chunk, n, timeout_ms);
		bytes -= n;
	}
	if (!err && shutdown(fd, SHUT_WR) < 0)
		err = -errno;
	return err;
}

static int upload_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "bytes", required_argument, NULL, OPT_BYTES },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ 0 }
	};
	unsigned long long bytes = 0, timeout = 5000;
	bool have_bytes = false;
	struct endpoint dst;
	int c, fd, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_BYTES) {
			err = opt_uint("upload", "--bytes", optarg, 0,
				       UINT64_MAX >> 1, &bytes);
			have_bytes = true;
		} else if (c == OPT_TIMEOUT) {
			err = opt_uint("upload", "--timeout-ms", optarg, 1,
				       3600000, &timeout);
		} else {
			err = -1;
		}
		if (err)
			return usage("upload");
	}
	if (!have_bytes) {
		fprintf(stderr, "upload: --bytes is required\n");
		return usage("upload");
	}
	if (parse_target("upload", argc - optind, argv + optind, &dst) < 0)
		return usage("upload");
	signals_setup();
	fd = tcp_connect(&dst, timeout);
	err = fd < 0 ? fd : upload_send(fd, bytes, timeout);
	if (!err)
		err = upload_answer(fd, timeout, bytes);
	if (fd >= 0)
		close(fd);
	if (err < 0) {
		printf("fail %s\n", err_token(-err));
		fprintf(stderr, "upload: %s\n", err_text(-err));
		return 1;
	}
	return err;
}

/* Count data until @end; a gap of @stall_ms is a failure. */
static int stream_read(int fd, int64_t end, int stall_ms,
		       unsigned long long *bytes)
{
	static char buf[262144];
	int64_t now, last = now_ms();
	ssize_t n;
	int err;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		now = now_ms();
		if (n > 0) {
			*bytes += n;
			last = now;
		} else if (n == 0) {
			return -ENODATA;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -errno;
		}
		if (now >= end)
			return 0;
		if (n > 0)
			continue;
		err = fd_wait(fd, POLLIN, end < last + stall_ms ? end :
					  last + stall_ms);
		if (err == -EINTR)
			return 0;	/* stopped early: still a success */
		if (err == -ETIMEDOUT && now_ms() >= end)
			return 0;
		if (err)
			return err == -ETIMEDOUT ? -EAGAIN : err;
	}
}

/*
 * stream --conns: long-lived connections, each sending a small message
 * every interval and waiting for its answer, for failover tests: what
 * matters is how long each waited at worst (its stall) and whether any
 * was reset or closed.
 */
struct sconn {
	int fd;
	uint16_t sport;
	bool connecting;
	bool waiting;			/* a message sent, not answered yet */
	int err;			/* 0 while it goes on, else -errno */
	char name[NAME_MAX_LEN + 1];
	char buf[RESP_MAX];
	size_t got;
	unsigned long long rounds;
	int64_t sent_at, next, stall;
};

struct mstream {
	struct sconn *c;
	unsigned int n;
	struct endpoint dst, src;
	int64_t interval, timeout, end;
	const char *ready, *stats;
	bool readied;
	struct pollfd *pfd;
};

static void ms_fail(struct sconn *c, int err)
{
	if (!c->err)
		c->err = err;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void ms_open(struct mstream *m, struct sconn *c, int64_t now)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;

	c->fd = socket(m->dst.ss.ss_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->err = -errno;
		return;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	if (m->src.len) {
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		if (bind(c->fd, ep_sa(&m->src), m->src.len) < 0)
			return ms_fail(c, -errno);
	}
	if (connect(c->fd, ep_sa(&m->dst), m->dst.len) < 0 &&
	    errno != EINPROGRESS)
		return ms_fail(c, -errno);
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0)
		c->sport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	c->connecting = true;
	c->next = now + m->timeout;	/* the connect's deadline */
}

static void ms_send(struct mstream *m, struct sconn *c, int64_t now)
{
	if (send(c->fd, "m\n", 2, MSG_NOSIGNAL) == 2) {
		c->waiting = true;
		c->sent_at = now;
	} else if (errno != EAGAIN && errno != EINTR) {
		ms_fail(c, -errno);
	} else {
		c->next = now + m->interval;
	}
}

/* One answer: a round trip done, the next message due an interval later. */
static int ms_answer(struct mstream *m, struct sconn *c, const char *line,
		     int64_t now)
{
	if (!c->waiting || !name_ok(line))
		return -EPROTO;
	if (!c->name[0])
		strcpy(c->name, line);
	else if (strcmp(c->name, line))
		return -EXDEV;			/* name-changed */
	c->waiting = false;
	c->rounds++;
	if (now - c->sent_at > c->stall)
		c->stall = now - c->sent_at;
	c->next = c->sent_at + m->interval > now ? c->sent_at + m->interval
						 : now;
	return 0;
}

static void ms_read(struct mstream *m, struct sconn *c, int64_t now)
{
	ssize_t r = recv(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got, 0);
	char *nl;
	int err;

	if (r == 0)
		return ms_fail(c, -ENODATA);
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			ms_fail(c, -errno);
		return;
	}
	c->got += r;
	while ((nl = memchr(c->buf, '\n', c->got))) {
		*nl = '\0';
		err = ms_answer(m, c, c->buf, now);
		if (err)
			return ms_fail(c, err);
		c->got -= nl + 1 - c->buf;
		memmove(c->buf, nl + 1, c->got);
	}
	if (c->got == sizeof(c->buf) - 1)
		ms_fail(c, -EMSGSIZE);
}

static void ms_event(struct mstream *m, struct sconn *c, short revents,
		     int64_t now)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (c->connecting && (revents & (POLLOUT | POLLERR | POLLHUP))) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr)
			return ms_fail(c, soerr ? -soerr : -errno);
		c->connecting = false;
		c->next = now;
		return;
	}
	if (!c->connecting && (revents & (POLLIN | POLLERR | POLLHUP)))
		ms_read(m, c, now);
}

/* How long a connection has waited at worst, the current wait included. */
static int64_t ms_stall(const struct sconn *c, int64_t now)
{
	int64_t w = c->waiting && !c->err ? now - c->sent_at : 0;

	return w > c->stall ? w : c->stall;
}

static const char *ms_state(const struct sconn *c)
{
	if (!c->err)
		return "ok";
	return c->err == -EXDEV ? "name-changed" : err_token(-c->err);
}

/* The stats file: one line a reader polls (lab_stat() in the tests). */
static void ms_stats(struct mstream *m, int64_t now)
{
	unsigned long long min = ULLONG_MAX, total = 0;
	unsigned int i, open = 0, reset = 0, eof = 0, failed = 0;
	int64_t stall = 0, waiting = 0, w;
	char line[512];

	for (i = 0; i < m->n; i++) {
		const struct sconn *c = &m->c[i];

		open += !c->err && !c->connecting;
		reset += c->err == -ECONNRESET || c->err == -EPIPE;
		eof += c->err == -ENODATA;
		total += c->rounds;
		if (c->rounds < min)
			min = c->rounds;
		if (ms_stall(c, now) > stall)
			stall = ms_stall(c, now);
		w = c->waiting && !c->err ? now - c->sent_at : 0;
		if (w > waiting)
			waiting = w;
	}
	failed = m->n - open - reset - eof;
	snprintf(line, sizeof(line), "conns %u open %u reset %u eof %u failed %u "
		 "rounds_min %llu rounds_total %llu stall_max_ms %lld "
		 "waiting_max_ms %lld\n", m->n, open, reset, eof, failed,
		 m->n ? min : 0, total, (long long)stall, (long long)waiting);
	if (m->stats && file_replace(m->stats, line) < 0)
		fprintf(stderr, "stream: %s: %s\n", m->stats, strerror(errno));
	if (m->ready && !m->readied && min > 0 && m->n) {
		m->readied = true;
		if (file_touch(m->ready) < 0)
			fprintf(stderr, "stream: %s: cannot create it\n", m->ready);
	}
}

/* Due work (messages, connect deadlines); returns the next deadline. */
static int64_t ms_due(struct mstream *m, int64_t now)
{
	int64_t next = now + 100;	/* the stats file */
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		struct sconn *c = &m->c[i];

		if (c->err || c->waiting)
			continue;
		if (c->next <= now) {
			if (c->connecting) {
				ms_fail(c, -ETIMEDOUT);
				continue;
			}
			ms_send(m, c, now);
		}
		if (!c->err && !c->waiting && c->next < next)
			next = c->next;
	}
	return m->end && m->end < next ? m->end : next;
}

static void ms_loop(struct mstream *m)
{
	int64_t now = now_ms(), due, stats_at = now;
	struct timespec ts;
	unsigned int i;

	while (!stop_requested && (!m->end || now < m->end)) {
		due = ms_due(m, now);
		for (i = 0; i < m->n; i++) {
			m->pfd[i].fd = m->c[i].fd;
			m->pfd[i].events = m->c[i].connecting ? POLLOUT : POLLIN;
		}
		due = due > now ? due - now : 0;
		ts.tv_sec = due / 1000;
		ts.tv_nsec = due % 1000 * 1000000;
		if (ppoll(m->pfd, m->n, &ts, &wait_mask) < 0 && errno != EINTR)
			break;
		now = now_ms();
		for (i = 0; i < m->n; i++)
			if (m->c[i].fd >= 0 && m->pfd[i].revents)
				ms_event(m, &m->c[i], m->pfd[i].revents, now);
		if (now - stats_at >= 100) {
			ms_stats(m, now);
			stats_at = now;
		}
	}
	ms_stats(m, now);
}

/* stdout: a line per connection, then the total; 0 iff every one is ok. */
static int ms_report(struct mstream *m)
{
	int64_t now = now_ms(), stall = 0;
	unsigned int i, ok = 0;

	for (i = 0; i < m->n; i++) {
		const struct sconn *c = &m->c[i];

		printf("conn %u %u %s %llu %lld %s\n", i, c->sport,
		       c->name[0] ? c->name : "-", c->rounds,
		       (long long)ms_stall(c, now), ms_state(c));
		ok += !c->err;
		if (ms_stall(c, now) > stall)
			stall = ms_stall(c, now);
		if (c->err)
			fprintf(stderr, "stream: connection %u (port %u) after %llu "
				"messages: %s\n", i, c->sport, c->rounds,
				c->err == -EXDEV ? "the server's name changed"
						 : err_text(-c->err));
	}
	printf("total %u ok %u stall_max_ms %lld\n", m->n, ok, (long long)stall);
	return ok == m->n ? 0 : 1;
}

static int ms_run(struct mstream *m)
{
	int64_t now = now_ms();
	unsigned int i;
	int ret;

	m->c = calloc(m->n, sizeof(*m->c));
	m->pfd = calloc(m->n, sizeof(*m->pfd));
	if (!m->c || !m->pfd) {
		perror("stream");
		return 1;
	}
	if (m->ready)
		unlink(m->ready);
	for (i = 0; i < m->n; i++)
		ms_open(m, &m->c[i], now);
	ms_loop(m);
	ret = ms_report(m);
	for (i = 0; i < m->n; i++)
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
	free(m->c);
	free(m->pfd);
	return ret;
}

/* One connection, the server sending; the original stream command. */
static int stream_bulk(const struct endpoint *dst, int64_t secs,
		       unsigned long long timeout)
{
	unsigned long long bytes = 0;
	char line[4096];
	size_t extra = 0;
	int fd, err;

	fd = tcp_connect(dst, timeout);
	err = fd < 0 ? fd : send_all(fd, "stream\n", 7, timeout);
	if (!err) {
		err = read_line(fd, line, sizeof(line), now_ms() + timeout,
				&extra);
		if (err >= 0 && !name_ok(line))
			err = -EPROTO;
	}
	if (err >= 0) {
		bytes = extra;
		err = stream_read(fd, now_ms() + secs, timeout, &bytes);
	}
	if (fd >= 0)
		close(fd);
	if (err < 0) {
		printf("fail %llu %s\n", bytes,
		       err == -EAGAIN ? "stall" : err_token(-err));
		fprintf(stderr, "stream: after %llu bytes: %s\n", bytes,
			err_text(-err));
		return 1;
	}
	printf("ok %llu %s\n", bytes, line);
	return 0;
}

static int stream_option(struct mstream *m, int c, const char *arg,
			 unsigned long long *timeout, int64_t *secs)
{
	unsigned long long v;
	struct nflvs_addr a;

	switch (c) {
	case OPT_SECONDS:
		return opt_seconds("stream", "--seconds", arg, secs);
	case OPT_TIMEOUT:
		return opt_uint("stream", "--timeout-ms", arg, 1, 3600000, timeout);
	case OPT_CONNS:
		if (opt_uint("stream", "--conns", arg, 1, 10000, &v) < 0)
			return -1;
		m->n = v;
		return 0;
	case OPT_INTERVAL:
		if (opt_uint("stream", "--interval-ms", arg, 1, 3600000, &v) < 0)
			return -1;
		m->interval = v;
		return 0;
	case OPT_READY:
		m->ready = arg;
		return 0;
	case OPT_STATS:
		m->stats = arg;
		return 0;
	case OPT_SRC:
		if (parse_host(arg, &a) < 0) {
			fprintf(stderr, "stream: Unable to parse IP address: `%s'\n",
				arg);
			return -1;
		}
		endpoint_set(&m->src, &a, 0);
		return 0;
	}
	return -1;
}

static int stream_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "conns", required_argument, NULL, OPT_CONNS },
		{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "stats-file", required_argument, NULL, OPT_STATS },
		{ "src", required_argument, NULL, OPT_SRC },
		{ 0 }
	};
	struct mstream m = { .interval = 20 };
	unsigned long long timeout = 2000;
	int64_t secs = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (stream_option(&m, c, optarg, &timeout, &secs) < 0)
			return usage("stream");
	if (!m.n && (m.ready || m.stats || m.src.len)) {
		fprintf(stderr, "stream: --ready-file, --stats-file and --src go with --conns\n");
		return usage("stream");
	}
	if (!m.n && !secs) {
		fprintf(stderr, "stream: --seconds is required\n");
		return usage("stream");
	}
	if (parse_target("stream", argc - optind, argv + optind, &m.dst) < 0)
		return usage("stream");
	if (m.src.len && m.src.ss.ss_family != m.dst.ss.ss_family) {
		fprintf(stderr, "stream: --src and ADDR are not the same family\n");
		return usage("stream");
	}
	signals_setup();
	if (!m.n)
		return stream_bulk(&m.dst, secs, timeout);
	nofile_raise();
	m.timeout = timeout;
	m.end = secs ? now_ms() + secs : 0;
	return ms_run(&m);
}

/* Main ------------------------------------------------------------------ */

static const struct tool_command commands[] = {
	{ "serve", serve_main, "serve --name NAME [--tcp [ADDR:]PORT]... [--udp [ADDR:]PORT]... [--pidfile F] [--ready-file F]" },
	{ "count", count_main, "count (--tcp|--udp) ADDR PORT -n N [--seq] [--http] [--timeout-ms T] [--concurrency C] [--src ADDR] [--sport PORT] [--log]" },
	{ "hold", hold_main, "hold ADDR PORT [--interval-ms I] [--timeout-ms T] [--count K] [--ready-file F]" },
	{ "load", load_main, "load ADDR PORT --duration S [--concurrency C] [--http] [--timeout-ms T] [--src ADDR]" },
	{ "upload", upload_main, "upload ADDR PORT --bytes N [--timeout-ms T]" },
	{ "stream", stream_main, "stream ADDR PORT --seconds S [--timeout-ms T] | stream ADDR PORT --conns N [--interval-ms I] [--seconds S] [--timeout-ms T] [--src ADDR] [--ready-file F] [--stats-file F]" },
};

static const struct tool tool = {
	.prog = PROG, .cmd = commands,
	.ncmd = sizeof(commands) / sizeof(commands[0]),
	.epilog = "The comment at the top of tests/helpers/testnet.c documents the output.",
};

static int usage(const char *cmd)
{
	return tool_usage(&tool, cmd);
}

int main(int argc, char *argv[])
{
	return tool_main(&tool, argc, argv);
}
