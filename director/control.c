// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket: clients and framing (framing by common/ctlmsg.c),
 * one request at a time per client; admin.c answers them.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "ctlmsg.h"
#include "log.h"

/* a request, from its first byte to the last of its answer */
#define CTL_TIMEOUT_MS	5000

int ctl_reply_put(struct ctl_reply *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *nb;

		while (cap < r->len + n)
			cap *= 2;
		if (cap > NFLVS_CTL_MAX_LEN || !(nb = realloc(r->buf, cap)))
			return -ENOMEM;
		r->buf = nb;
		r->cap = cap;
	}
	if (n)		/* nothing: @p may be NULL, and so may r->buf */
		memcpy(r->buf + r->len, p, n);
	r->len += n;
	return 0;
}

int ctl_reply_err(struct ctl_reply *r, int err, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->len = 0;
	if (n > 0)
		ctl_reply_put(r, text, strlen(text));
	return r->status = err;
}

/* ---- requests ---------------------------------------------------------- */

ssize_t control_frame(void *ctx, const void *in, size_t len)
{
	struct nflvs_ctl_hdr h;
	int err;

	(void)ctx;
	if (len < sizeof(h))
		return 0;
	memcpy(&h, in, sizeof(h));
	err = ctl_check_hdr(&h);
	if (!err && h.len > (h.type == NFLVS_CTL_BATCH ? NFLVS_CTL_BATCH_MAX :
			     CONTROL_REQ_MAX))
		err = -EMSGSIZE;
	/* an unknown type is answered, unless it could not be held */
	if (err == -EOPNOTSUPP && h.len > NFLVS_CTL_BATCH_MAX)
		err = -EMSGSIZE;
	if (err && err != -EOPNOTSUPP) {
		log_warn("control: dropping a client: %s", strerror(-err));
		return -1;
	}
	return len - sizeof(h) >= h.len ? (ssize_t)(sizeof(h) + h.len) : 0;
}

bool control_serve(void *ctx, const void *in, size_t len,
			  char **out, size_t *outlen)
{
	struct control *ct = ctx;
	struct nflvs_ctl_hdr h, rh;
	struct ctl_reply r = { 0 };
	void *req;

	(void)len;
	memcpy(&h, in, sizeof(h));
	if (ctl_check_hdr(&h) == -EOPNOTSUPP) {
		r.status = -EOPNOTSUPP;
	} else if (ctl_check_request_len(h.type, h.len) < 0) {
		ctl_reply_err(&r, -EPROTO, "%s: wrong payload length %u",
			      ctl_type_name(h.type), h.len);
	} else {
		/* 8-aligned, and never empty, as the callback expects */
		if (!(req = malloc(h.len ? h.len : 1)))
			return false;
		memcpy(req, (const char *)in + sizeof(h), h.len);
		ct->serve(ct->ctx, &h, req, &r);
		free(req);
	}
	ctl_hdr_init(&rh, h.type, h.seq, r.status, r.len);
	*outlen = sizeof(rh) + r.len;
	if (r.len > NFLVS_CTL_MAX_LEN || !(*out = malloc(*outlen))) {
		free(r.buf);
		return false;
	}
	memcpy(*out, &rh, sizeof(rh));
	if (r.len)
		memcpy(*out + sizeof(rh), r.buf, r.len);
	free(r.buf);
	return true;
}

/* ---- the socket ---------------------------------------------------------- */

static int control_mkdir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int control_open(struct control *ct, const char *path, const char *group,
		 control_serve_fn *serve, void *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mode = 0600, old_mask;
	gid_t gid = 0;
	int fd, ret;

	sockset_init(&ct->socks, CONTROL_CLIENTS, CTL_TIMEOUT_MS,
		     sizeof(struct nflvs_ctl_hdr) + NFLVS_CTL_BATCH_MAX,
		     control_frame, control_serve, ct);
	snprintf(ct->path, sizeof(ct->path), "%s", path);
	ct->serve = serve;
	ct->ctx = ctx;
	if (group[0]) {
		struct group *g = getgrnam(group);

		if (!g) {
			log_err("control: no group %s", group);
			return -ENOENT;
		}
		gid = g->gr_gid;
		mode = 0660;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (control_mkdir(path) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);	/* a stale socket of a crashed director */
	/* born with @mode at most, owned by root, before its group widens
	 * it: no moment when others may connect (no other thread creates
	 * files while the umask is changed) */
	old_mask = umask(~mode & 0777);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (ret < 0 || chown(path, 0, gid) < 0 || chmod(path, mode) < 0 ||
	    listen(fd, 16) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	sockset_listen(&ct->socks, fd);
	log_info("control socket %s (mode %04o%s%s)", path, mode,
		 gid ? ", group " : "", gid ? group : "");
	return 0;
}

void control_close(struct control *ct)
{
	if (ct->socks.lfd < 0)
		return;
	sockset_close(&ct->socks);
	unlink(ct->path);
}

int control_pollfds(struct control *ct, struct pollfd *p, int max)
{
	return sockset_pollfds(&ct->socks, p, max);
}

void control_handle(struct control *ct, const struct pollfd *p, int n,
		    uint64_t now)
{
	sockset_handle(&ct->socks, p, n, now);
}

void control_expire(struct control *ct, uint64_t now)
{
	sockset_expire(&ct->socks, now);
}
