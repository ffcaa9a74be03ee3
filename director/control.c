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

#define CTL_TIMEOUT_MS	2000

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

	sockset_init(&ct->socks, CONTROL_CLIENTS, CTL_TIMEOUT_MS);
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

/* One request of client @fd; false when the connection is done. */
static bool control_serve(struct control *ct, int fd)
{
	struct nflvs_ctl_hdr h;
	struct ctl_reply r = { 0 };
	void *req;
	int n;

	n = ctl_recv_alloc(fd, &h, &req, CONTROL_REQ_MAX, NFLVS_CTL_BATCH_MAX);
	if (n == 0)
		return false;
	if (n < 0 && n != -EOPNOTSUPP) {
		log_warn("control: dropping a client: %s", strerror(-n));
		return false;
	}
	if (n == -EOPNOTSUPP)
		r.status = -EOPNOTSUPP;
	else if (ctl_check_request_len(h.type, h.len) < 0)
		ctl_reply_err(&r, -EPROTO, "%s: wrong payload length %u",
			      ctl_type_name(h.type), h.len);
	else
		ct->serve(ct->ctx, &h, req, &r);
	free(req);
	n = ctl_send(fd, h.type, h.seq, r.status, r.buf, r.len);
	free(r.buf);
	return n == 0;
}

void control_handle(struct control *ct, const struct pollfd *p, int n)
{
	int i, slot;

	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == ct->socks.lfd) {
			sockset_accept(&ct->socks);
			continue;
		}
		slot = sockset_slot(&ct->socks, p[i].fd);
		if (slot >= 0 && !control_serve(ct, p[i].fd))
			sockset_drop(&ct->socks, slot);
	}
}
