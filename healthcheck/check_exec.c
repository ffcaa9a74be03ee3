// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exec checks: posix_spawn (vfork-like, cheap even for a large checker)
 * into a new process group with a clean signal mask, stdin and stdout on
 * /dev/null, stderr into a pipe of ours: its first EXEC_ERR_MAX bytes of
 * a run are logged, the rest is read and dropped.  The child is watched
 * through a pidfd in the event loop; at the timeout its whole group gets
 * SIGKILL and a reaper collects it later, so a check stuck in the kernel
 * never blocks the others.  When it ends, what it left behind in its
 * group is killed too: leftovers of a check must not pile up.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_exec.h"
#include "log.h"
#include "script.h"

#define EXEC_VARS	6
#define EXEC_ERR_MAX	512	/* bytes of a run's stderr that are logged */

/* Without pidfds (kernels before 5.3, valgrind): poll with waitpid. */
#define EXEC_POLL_NS	5000000ull

struct exec_probe {
	struct target *t;
	struct watch w;			/* the child's pidfd */
	struct timer poll;		/* or this, if there is none */
	struct watch ew;		/* the read end of its stderr */
	char err[EXEC_ERR_MAX];
	size_t errlen;
	unsigned long long errdrop;	/* bytes past err[] */
	pid_t pid;
	char var[EXEC_VARS][96];	/* NFLVS_* for the environment */
	char *vars[EXEC_VARS + 1];
};

struct reaper {
	struct checker *c;
	struct watch w;
	pid_t pid;
	struct reaper *next;
};

void check_exec_eval(int wstatus, struct probe_result *r)
{
	int code;

	if (WIFEXITED(wstatus)) {
		code = WEXITSTATUS(wstatus);
		if (code == 0)
			probe_ok(r, -1);
		else if (code == 1)
			probe_fail(r, "exit 1");
		else
			probe_ok(r, code - 2);
	} else if (WIFSIGNALED(wstatus)) {
		probe_fail(r, "killed by signal %d (%s)", WTERMSIG(wstatus),
			   strsignal(WTERMSIG(wstatus)));
	} else {
		probe_fail(r, "unexpected wait status 0x%x", wstatus);
	}
}

static int pidfd_open_(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/* ---- reapers ------------------------------------------------------------- */

static void reaper_remove(struct reaper *rp)
{
	struct reaper **pp = (struct reaper **)&rp->c->reapers;

	for (; *pp; pp = &(*pp)->next)
		if (*pp == rp) {
			*pp = rp->next;
			break;
		}
}

static void reaper_event(struct watch *w, uint32_t events)
{
	struct reaper *rp = container_of(w, struct reaper, w);
	int fd = w->fd;

	(void)events;
	if (waitpid(rp->pid, NULL, WNOHANG) == 0)
		return;
	evloop_watch_del(&rp->c->loop, w);
	close(fd);
	reaper_remove(rp);
	evloop_defer_free(&rp->c->loop, rp);
}

/* Hand a killed child over to a reaper (or wait for it, if out of memory). */
static void exec_bury(struct checker *c, pid_t pid, int pidfd)
{
	struct reaper *rp = calloc(1, sizeof(*rp));

	if (rp) {
		rp->c = c;
		rp->pid = pid;
		rp->w.fn = reaper_event;
		if (!evloop_watch_add(&c->loop, &rp->w, pidfd, EPOLLIN)) {
			rp->next = c->reapers;
			c->reapers = rp;
			return;
		}
		free(rp);
	}
	waitpid(pid, NULL, 0);
	close(pidfd);
}

void check_exec_reap_all(struct checker *c)
{
	struct reaper *rp = c->reapers, *next;

	for (; rp; rp = next) {
		next = rp->next;
		kill(-rp->pid, SIGKILL);
		waitpid(rp->pid, NULL, 0);
		if (rp->w.fd >= 0) {
			int fd = rp->w.fd;

			evloop_watch_del(&c->loop, &rp->w);
			close(fd);
		}
		free(rp);
	}
	c->reapers = NULL;
}

/* ---- its stderr ----------------------------------------------------------- */

/* Read what is there: false at EOF or on an error. */
static bool err_read(struct exec_probe *p)
{
	char junk[4096];
	ssize_t r;

	for (;;) {
		if (p->errlen < sizeof(p->err))
			r = read(p->ew.fd, p->err + p->errlen,
				 sizeof(p->err) - p->errlen);
		else
			r = read(p->ew.fd, junk, sizeof(junk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 && errno == EAGAIN;
		if (p->errlen < sizeof(p->err))
			p->errlen += r;
		else
			p->errdrop += r;
	}
}

static void err_close(struct exec_probe *p)
{
	int fd = p->ew.fd;

	if (fd < 0)
		return;
	evloop_watch_del(&p->t->c->loop, &p->ew);
	close(fd);
	p->ew.fd = -1;
}

static void err_event(struct watch *w, uint32_t events)
{
	struct exec_probe *p = container_of(w, struct exec_probe, ew);

	(void)events;
	if (!err_read(p))
		err_close(p);
}

/* Log what the run wrote to stderr, on one line, and forget it. */
static void err_log(struct exec_probe *p)
{
	char more[64];
	size_t i;

	if (p->ew.fd >= 0)
		err_read(p);
	err_close(p);
	while (p->errlen && (p->err[p->errlen - 1] == '\n' ||
			     p->err[p->errlen - 1] == '\r'))
		p->errlen--;
	for (i = 0; i < p->errlen; i++)
		if ((unsigned char)p->err[i] < ' ' || p->err[i] == 0x7f)
			p->err[i] = ' ';
	if (p->errdrop)
		snprintf(more, sizeof(more), " (and %llu bytes more, not logged)",
			 p->errdrop);
	if (p->errlen || p->errdrop)
		log_warn("%s: check's stderr: %.*s%s", p->t->label,
			 (int)p->errlen, p->err, p->errdrop ? more : "");
	p->errlen = 0;
	p->errdrop = 0;
}

/* ---- the probe ------------------------------------------------------------ */

static void exec_finish(struct exec_probe *p, int st)
{
	struct probe_result r;

	/* what the check left in its group (the group outlives its leader) */
	kill(-p->pid, SIGKILL);
	p->pid = 0;
	err_log(p);
	check_exec_eval(st, &r);
	checker_done(p->t, &r);
}

static void exec_event(struct watch *w, uint32_t events)
{
	struct exec_probe *p = container_of(w, struct exec_probe, w);
	int st, fd = w->fd;

	(void)events;
	if (waitpid(p->pid, &st, WNOHANG) <= 0)
		return;
	evloop_watch_del(&p->t->c->loop, w);
	close(fd);
	exec_finish(p, st);
}

static void exec_poll(struct timer *tm)
{
	struct exec_probe *p = container_of(tm, struct exec_probe, poll);
	struct checker *c = p->t->c;
	int st;

	if (waitpid(p->pid, &st, WNOHANG) > 0)
		exec_finish(p, st);
	else
		evloop_timer_set(&c->loop, tm, evloop_clock() + EXEC_POLL_NS);
}

static void exec_vars(struct exec_probe *p, const struct target *t)
{
	char a[ADDR_STRLEN];
	int n = 0;

#define VAR(...) do { \
		snprintf(p->var[n], sizeof(p->var[n]), __VA_ARGS__); \
		p->vars[n] = p->var[n]; \
		n++; \
	} while (0)
	addr_str(&t->key.addr, a, sizeof(a));
	VAR("NFLVS_RS_ADDR=%s", a);
	VAR("NFLVS_RS_PORT=%u", t->probe_port);
	if (t->key.fwmark)
		a[0] = '\0';
	else
		addr_str(&t->key.vip, a, sizeof(a));
	VAR("NFLVS_VIP=%s", a);
	VAR("NFLVS_VPORT=%u", t->key.svc_port);
	if (*t->svc_name)
		VAR("NFLVS_SERVICE=%s", t->svc_name);
	if (t->key.fwmark)
		VAR("NFLVS_FWMARK=%u", t->key.fwmark);
#undef VAR
	p->vars[n] = NULL;
}

static int exec_init(struct target *t)
{
	struct exec_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	exec_vars(p, t);
	p->t = t;
	p->w.fd = -1;
	p->w.fn = exec_event;
	p->ew.fd = -1;
	p->ew.fn = err_event;
	p->poll.fn = exec_poll;
	t->probe = p;
	return 0;
}

static char **exec_envp(const struct checker *c, const struct exec_probe *p)
{
	size_t n = 0, i, k;
	char **env;

	while (c->env[n])
		n++;
	env = calloc(n + EXEC_VARS + 1, sizeof(*env));
	if (!env)
		return NULL;
	memcpy(env, c->env, n * sizeof(*env));
	for (k = 0, i = n; p->vars[k]; k++)
		env[i++] = p->vars[k];
	return env;
}

static int exec_spawn(struct target *t, struct exec_probe *p, int errfd,
		      pid_t *pid)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM,
		SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char **envp = exec_envp(t->c, p);
	size_t i;
	int err;

	if (!envp)
		return ENOMEM;
	sigemptyset(&none);
	sigemptyset(&def);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&def, sigs[i]);
	if (t->c->script.other) {
		/* director.script_user: a fork that switches ids */
		err = script_spawn_as(&t->c->script.u, t->check->argv, envp,
				      errfd, pid);
		free(envp);
		return err;
	}
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = posix_spawn(pid, t->check->argv[0], &fa, &at, t->check->argv,
			  envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(envp);
	return err;
}

/*
 * No script_user, or one that cannot be run as root safely: keepalived's
 * enable_script_security, always on.
 */
static bool exec_refused(struct target *t, struct probe_result *r)
{
	const struct script_as *sa = &t->c->script;
	const char *path = t->check->argv[0];
	char why[256];
	int ret;

	if (*sa->err) {
		probe_fail(r, "%s", sa->err);
		return true;
	}
	if ((sa->other ? sa->u.uid : geteuid()) != 0)
		return false;
	ret = script_insecure(path, why, sizeof(why));
	if (ret < 0)
		probe_fail(r, "exec %s: %s", path, strerror(-ret));
	else if (ret)
		probe_fail(r, "exec %s: not run as root: %s", path, why);
	return ret != 0;
}

static void exec_start(struct target *t)
{
	struct exec_probe *p = t->probe;
	struct probe_result r;
	int err, fd, st, pfd[2];
	pid_t pid;

	if (exec_refused(t, &r)) {
		checker_done(t, &r);
		return;
	}
	/* blocking for the writer; only our end does not block */
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		probe_fail(&r, "pipe: %s", strerror(errno));
		checker_done(t, &r);
		return;
	}
	err = exec_spawn(t, p, pfd[1], &pid);
	close(pfd[1]);
	if (!err && (fcntl(pfd[0], F_SETFL, O_NONBLOCK) < 0 ||
		     evloop_watch_add(&t->c->loop, &p->ew, pfd[0], EPOLLIN) < 0))
		close(pfd[0]);	/* its writes fail: EPIPE */
	else if (err)
		close(pfd[0]);
	if (err) {
		probe_fail(&r, "exec %s: %s", t->check->argv[0], strerror(err));
		checker_done(t, &r);
		return;
	}
	p->pid = pid;
	fd = pidfd_open_(pid);
	if (fd < 0) {
		evloop_timer_set(&t->c->loop, &p->poll,
				 evloop_clock() + EXEC_POLL_NS);
		return;
	}
	err = evloop_watch_add(&t->c->loop, &p->w, fd, EPOLLIN);
	if (err) {
		/* cannot watch it: do not let it run unwatched */
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
		close(fd);
		p->pid = 0;
		probe_fail(&r, "epoll: %s", strerror(-err));
		checker_done(t, &r);
	}
}

static void exec_abort(struct target *t)
{
	struct exec_probe *p = t->probe;
	int fd = p->w.fd;

	err_close(p);
	p->errlen = 0;
	p->errdrop = 0;
	if (!p->pid)
		return;
	kill(-p->pid, SIGKILL);
	if (fd >= 0) {
		evloop_watch_del(&t->c->loop, &p->w);
		exec_bury(t->c, p->pid, fd);
	} else {
		/* no pidfd to wait on: SIGKILL is prompt */
		evloop_timer_del(&t->c->loop, &p->poll);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}

static void exec_fini(struct target *t)
{
	struct exec_probe *p = t->probe;

	exec_abort(t);
	evloop_defer_free(&t->c->loop, p);
}

const struct check_ops check_exec_ops = {
	.name = "exec",
	.init = exec_init,
	.start = exec_start,
	.abort = exec_abort,
	.fini = exec_fini,
};
