// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp checks, keepalived's SMTP_CHECK: connect, read the greeting (220),
 * send HELO (250), send QUIT and read its answer, whatever it is.  The
 * whole conversation is bounded by the check's timeout.  keepalived looks
 * at the first line of a reply only and fails a greeting of several lines
 * (220-...); here a reply is read to its last line, as RFC 5321 says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "check_smtp.h"
#include "check_tcp.h"

#define SMTP_BUF	1024	/* two reply lines of RFC 5321's 512 */

enum smtp_state {
	SMTP_CONNECT,
	SMTP_GREETING,		/* the states that read name what they read */
	SMTP_HELO,
	SMTP_QUIT,
};

struct smtp_probe {
	struct target *t;
	struct watch w;
	enum smtp_state state;
	char out[CFG_HELO_MAX + 16];
	size_t out_len, out_off;
	char in[SMTP_BUF];
	size_t in_len;
};

static const char *const stage[] = {
	[SMTP_CONNECT] = "connect", [SMTP_GREETING] = "greeting",
	[SMTP_HELO] = "HELO", [SMTP_QUIT] = "QUIT",
};

/* ---- replies (pure) ----------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *rep)
{
	size_t pos = 0;
	const char *nl;
	char sep;

	rep->code = 0;
	for (;;) {
		rep->line = rep->end = pos;
		nl = memchr(buf + pos, '\n', len - pos);
		if (!nl)
			return 0;
		if (buf + pos + 3 > nl || !is_digit(buf[pos]) ||
		    !is_digit(buf[pos + 1]) || !is_digit(buf[pos + 2]))
			return -EPROTO;
		sep = buf[pos + 3];
		if (sep != ' ' && sep != '-' && sep != '\r' && sep != '\n')
			return -EPROTO;
		pos = nl - buf + 1;
		if (sep == '-')
			continue;
		rep->code = (buf[rep->line] - '0') * 100 +
			    (buf[rep->line + 1] - '0') * 10 +
			    (buf[rep->line + 2] - '0');
		rep->end = pos;
		return 1;
	}
}

/* ---- the conversation ---------------------------------------------------- */

static void smtp_finish(struct smtp_probe *p, const struct probe_result *r)
{
	check_tcp_close(&p->t->c->loop, &p->w);
	checker_done(p->t, r);
}

static void __attribute__((format(printf, 2, 3)))
smtp_fail(struct smtp_probe *p, const char *fmt, ...)
{
	struct probe_result r;
	va_list ap;

	va_start(ap, fmt);
	probe_vfail(&r, fmt, ap);
	va_end(ap);
	smtp_finish(p, &r);
}

/* The line at @at, as a log can show it: "554 5.7.1 go away". */
static void smtp_fail_line(struct smtp_probe *p, size_t at)
{
	char line[96];
	size_t i;

	for (i = 0; i < sizeof(line) - 1 && at + i < p->in_len; i++) {
		char ch = p->in[at + i];

		if (ch == '\r' || ch == '\n')
			break;
		line[i] = ch >= ' ' && ch < 0x7f ? ch : '?';
	}
	line[i] = '\0';
	smtp_fail(p, "%s: %s%s", stage[p->state], i ? "" : "(empty line)",
		  line);
}

static void smtp_send(struct smtp_probe *p)
{
	ssize_t n;
	int err;

	while (p->out_off < p->out_len) {
		n = send(p->w.fd, p->out + p->out_off, p->out_len - p->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			err = evloop_watch_mod(&p->t->c->loop, &p->w, EPOLLOUT);
			if (err)
				smtp_fail(p, "epoll: %s", strerror(-err));
			return;
		}
		if (n < 0) {
			smtp_fail(p, "%s: %s", stage[p->state], strerror(errno));
			return;
		}
		p->out_off += n;
	}
	p->in_len = 0;
	err = evloop_watch_mod(&p->t->c->loop, &p->w, EPOLLIN);
	if (err)
		smtp_fail(p, "epoll: %s", strerror(-err));
}

static void smtp_command(struct smtp_probe *p, enum smtp_state next,
			 const char *line)
{
	p->state = next;
	p->out_len = snprintf(p->out, sizeof(p->out), "%s\r\n", line);
	p->out_off = 0;
	smtp_send(p);
}

/* A whole reply was read: the next step. */
static void smtp_reply(struct smtp_probe *p, const struct smtp_reply *rep)
{
	char helo[sizeof(p->out)];
	struct probe_result r;

	switch (p->state) {
	case SMTP_GREETING:
		if (rep->code != 220)
			break;
		snprintf(helo, sizeof(helo), "HELO %s",
			 p->t->check->helo_name);
		smtp_command(p, SMTP_HELO, helo);
		return;
	case SMTP_HELO:
		if (rep->code != 250)
			break;
		smtp_command(p, SMTP_QUIT, "QUIT");
		return;
	default:	/* QUIT: any answer, as keepalived */
		probe_ok(&r, -1);
		smtp_finish(p, &r);
		return;
	}
	smtp_fail_line(p, rep->line);
}

static void smtp_read(struct smtp_probe *p)
{
	struct smtp_reply rep;
	ssize_t n;
	int rc;

	n = recv(p->w.fd, p->in + p->in_len, sizeof(p->in) - p->in_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		smtp_fail(p, "%s: %s", stage[p->state],
			  n ? strerror(errno) : "connection closed");
		return;
	}
	p->in_len += n;
	rc = smtp_reply_parse(p->in, p->in_len, &rep);
	if (rc > 0) {
		smtp_reply(p, &rep);
	} else if (rc < 0 && p->state == SMTP_QUIT) {
		smtp_reply(p, &rep);	/* any line answers QUIT */
	} else if (rc < 0) {
		smtp_fail_line(p, rep.line);
	} else {
		/* continuation lines read are done with */
		memmove(p->in, p->in + rep.end, p->in_len - rep.end);
		p->in_len -= rep.end;
		if (p->in_len == sizeof(p->in))
			smtp_fail(p, "%s: reply line too long", stage[p->state]);
	}
}

static void smtp_event(struct watch *w, uint32_t events)
{
	struct smtp_probe *p = container_of(w, struct smtp_probe, w);
	int err;

	if (p->state == SMTP_CONNECT) {
		err = check_tcp_result(w);
		if (err) {
			smtp_fail(p, "connect: %s", strerror(err));
			return;
		}
		p->state = SMTP_GREETING;
		p->out_off = p->out_len = 0;
		smtp_send(p);	/* nothing to send: wait for the greeting */
	} else if (events & EPOLLOUT) {
		smtp_send(p);
	} else {
		smtp_read(p);
	}
}

static void smtp_start(struct target *t)
{
	struct smtp_probe *p = t->probe;
	int err;

	p->state = SMTP_CONNECT;
	p->in_len = 0;
	err = check_tcp_connect(t, &p->w);
	if (err)
		smtp_fail(p, "connect: %s", strerror(-err));
}

static int smtp_init(struct target *t)
{
	struct smtp_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->t = t;
	p->w.fd = -1;
	p->w.fn = smtp_event;
	t->probe = p;
	return 0;
}

static void smtp_abort(struct target *t)
{
	struct smtp_probe *p = t->probe;

	check_tcp_close(&t->c->loop, &p->w);
}

static void smtp_fini(struct target *t)
{
	smtp_abort(t);
	evloop_defer_free(&t->c->loop, t->probe);
}

const struct check_ops check_smtp_ops = {
	.name = "smtp",
	.port = 25,
	.init = smtp_init,
	.start = smtp_start,
	.abort = smtp_abort,
	.fini = smtp_fini,
};
