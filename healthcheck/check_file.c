// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * file checks, keepalived's FILE_CHECK.  keepalived watches the file with
 * inotify; here it is read at every interval, which needs no watch per
 * directory and follows a file replaced by rename just the same.  The rules
 * are keepalived's (track_file.c): a missing, unreadable or empty file is
 * 0; with weight 0 a non-zero value is a fault (reverse: zero is); else
 * value x weight (x -1 with reverse) is added to the configured weight,
 * and a product at or below INT32_MIN is a fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_file.h"
#include "log.h"

struct file_probe {
	struct target *t;
	int64_t last;		/* the value in force */
	bool bad_logged;	/* an ignored number was logged */
};

int file_value_parse(const char *text, int64_t *v)
{
	long long n;

	errno = 0;
	n = strtoll(text, NULL, 0);
	if (errno == ERANGE || n < INT32_MIN || n > (long long)INT32_MAX + 1)
		return -ERANGE;
	*v = n;
	return 0;
}

void file_verdict(int64_t v, const struct cfg_check *c, int conf,
		  struct probe_result *r)
{
	int64_t s, w;

	if (!c->file_weight) {
		if ((v != 0) != c->reverse)
			probe_fail(r, "%s holds %lld%s", c->file, (long long)v,
				   c->reverse ? " (reverse)" : "");
		else
			probe_ok(r, -1);
		return;
	}
	s = v * c->file_weight * (c->reverse ? -1 : 1);
	if (s <= INT32_MIN) {
		probe_fail(r, "%s holds %lld: %lld x %d%s is at or below "
			   "-2147483648", c->file, (long long)v, (long long)v,
			   c->file_weight, c->reverse ? " x -1" : "");
		return;
	}
	if (s > INT32_MAX)
		s = INT32_MAX;
	if (!s) {
		probe_ok(r, -1);
		return;
	}
	w = (conf > 0 ? conf : 0) + s;
	probe_ok(r, w < 0 ? 0 : w > FILE_WEIGHT_MAX ? FILE_WEIGHT_MAX : w);
}

/* The file's value now; the last one if its number is ignored. */
static int64_t file_read(struct file_probe *p)
{
	const char *path = p->t->check->file;
	char buf[128];
	ssize_t n = -1;
	int64_t v;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (file_value_parse(buf, &v)) {
		if (!p->bad_logged)
			log_warn("%s: %s: number out of range, ignored (the "
				 "value stays %lld)", p->t->label, path,
				 (long long)p->last);
		p->bad_logged = true;
		return p->last;
	}
	p->bad_logged = false;
	return v;
}

static void file_start(struct target *t)
{
	struct file_probe *p = t->probe;
	struct probe_result r;

	p->last = file_read(p);
	file_verdict(p->last, t->check, checker_conf_weight(t), &r);
	checker_done(t, &r);
}

static int file_init(struct target *t)
{
	struct file_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->t = t;
	t->probe = p;
	return 0;
}

static void file_abort(struct target *t)
{
	(void)t;	/* a check ends as it starts */
}

static void file_fini(struct target *t)
{
	evloop_defer_free(&t->c->loop, t->probe);
}

const struct check_ops check_file_ops = {
	.name = "file",
	.init = file_init,
	.start = file_start,
	.abort = file_abort,
	.fini = file_fini,
};
