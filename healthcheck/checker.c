// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The checker: targets, their scheduling, the rise/fall results published
 * in the director's segment, and following that segment through director
 * restarts.  Check code never touches the data plane: each check ends in
 * checker_done(), which writes the real server's health half and nothing
 * else.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "check_dns.h"
#include "check_exec.h"
#include "check_file.h"
#include "check_http.h"
#include "check_ping.h"
#include "check_smtp.h"
#include "check_tcp.h"
#include "check_udp.h"
#include "checker.h"
#include "log.h"
#include "privs.h"

/* An unusable or forbidden segment is retried this long (a director
 * creating it, or not yet done giving it to the checker's group). */
#define BAD_SEGMENT_TICKS	5
/* Even with the director alive, look for a new segment this often. */
#define IDENTITY_TICKS		10

extern char **environ;

static const struct check_ops *checker_ops(enum check_type type)
{
	switch (type) {
	case CHECK_TCP:
		return &check_tcp_ops;
	case CHECK_HTTP:
	case CHECK_HTTPS:
		return &check_http_ops;
	case CHECK_EXEC:
		return &check_exec_ops;
	case CHECK_SMTP:
		return &check_smtp_ops;
	case CHECK_DNS:
		return &check_dns_ops;
	case CHECK_UDP:
		return &check_udp_ops;
	case CHECK_PING:
		return &check_ping_ops;
	case CHECK_FILE:
		return &check_file_ops;
	default:
		return NULL;
	}
}

static uint64_t checker_random(struct checker *c)
{
	/* xorshift64*: spreading start times needs no more */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ull;
}

/* ---- environment of exec checks --------------------------------------- */

static int checker_env_init(struct checker *c)
{
	size_t n = 0, i;

	for (i = 0; environ && environ[i]; i++)
		n++;
	c->env = calloc(n + 1, sizeof(*c->env));
	if (!c->env)
		return -ENOMEM;
	/* ours are set per target; a stale one from our parent must not leak */
	for (i = 0, n = 0; environ && environ[i]; i++)
		if (strncmp(environ[i], "NFLVS_", 6))
			c->env[n++] = environ[i];
	return 0;
}

/* ---- publishing -------------------------------------------------------- */

static struct nflvs_shm_rs *target_record(const struct target *t)
{
	struct checker *c = t->c;
	struct nflvs_shm_rs *r;

	if (!c->attached || t->slot >= c->shm.max_rs)
		return NULL;
	r = &c->shm.rs[t->slot];
	/* ids are never reused: a freed or retaken slot is not ours */
	if (__atomic_load_n(&r->id, __ATOMIC_ACQUIRE) != t->id)
		return NULL;
	return r;
}

static void target_publish(struct target *t, bool notify)
{
	struct nflvs_shm_rs *r = target_record(t);

	if (!r)
		return;
	hcstate_publish(r, &t->rec);
	if (notify)
		hcstate_notify(t->c->shm.hdr);
}

static void target_log_change(struct target *t, unsigned int changed,
			      const struct probe_result *r)
{
	if (changed & HC_CHANGED_STATE) {
		if (t->sm.state == NFLVS_RS_DOWN)
			log_warn("%s: DOWN (%s)", t->label, r->error);
		else
			log_info("%s: %s", t->label, hcstate_name(t->sm.state));
	}
	if (changed & HC_CHANGED_WEIGHT) {
		if (t->rec.weight < 0)
			log_info("%s: weight: the configured one", t->label);
		else
			log_info("%s: weight %d", t->label, t->rec.weight);
	}
}

/* ---- one target's checks ----------------------------------------------- */

static void target_schedule(struct target *t, uint64_t due)
{
	t->due = due;
	evloop_timer_set(&t->c->loop, &t->tick, due);
}

void checker_done(struct target *t, const struct probe_result *r)
{
	struct checker *c = t->c;
	uint64_t now = evloop_clock(), lat;
	unsigned int changed;

	if (!t->running)
		return;
	t->running = false;
	evloop_timer_del(&c->loop, &t->deadline);
	lat = (now - t->started) / 1000;
	changed = hcstate_apply(&t->sm, &t->rec, r, t->check->rise,
				t->check->fall, evloop_realtime(),
				lat > UINT32_MAX ? UINT32_MAX : lat);
	target_publish(t, changed != 0);
	if (changed)
		target_log_change(t, changed, r);
	else if (!r->ok)
		log_debug("%s: check failed (%s)", t->label, r->error);
	/* fixed rate, but never a burst to catch up */
	t->due += checker_ns(t->check->interval);
	if (t->due < now)
		t->due = now;
	target_schedule(t, t->due);
}

static void target_tick(struct timer *tm)
{
	struct target *t = container_of(tm, struct target, tick);
	struct checker *c = t->c;

	t->started = evloop_clock();
	t->running = true;
	evloop_timer_set(&c->loop, &t->deadline,
			 t->started + checker_ns(t->check->timeout));
	t->ops->start(t);
}

void checker_timed_out(struct target *t)
{
	struct probe_result r;

	probe_fail(&r, "timeout after %u ms", checker_ms(t->check->timeout));
	checker_done(t, &r);
}

static void target_deadline(struct timer *tm)
{
	struct target *t = container_of(tm, struct target, deadline);

	if (!t->running)
		return;
	if (t->ops->expire) {
		t->ops->expire(t);
		return;
	}
	t->ops->abort(t);
	checker_timed_out(t);
}

static void target_address(struct target *t)
{
	const struct nflvs_addr *a = &t->key.addr;

	t->probe_port = t->check->connect_port ? t->check->connect_port
		      : t->key.port ? t->key.port : t->ops->port;
	addr_sockaddr(a, t->probe_port, &t->sa, &t->salen);
}

static void target_describe(struct target *t, const struct target_desc *d)
{
	t->id = d->id;
	t->slot = d->slot;
	t->svc_index = d->svc_index;
	t->rs_index = d->rs_index;
	t->key = d->key;
	memcpy(t->svc_name, d->svc_name, sizeof(t->svc_name));
	targets_label(&t->key, t->svc_name, t->label, sizeof(t->label));
}

/* (Re)start probing with t->check, from a random point of the interval. */
static int target_arm(struct target *t)
{
	struct checker *c = t->c;
	uint64_t iv = checker_ns(t->check->interval);
	int err;

	t->ops = checker_ops(t->check->type);
	target_address(t);
	err = t->ops->init(t);
	if (err) {
		log_err("%s: %s check: %s", t->label, t->ops->name,
			strerror(-err));
		t->ops = NULL;
		return err;
	}
	target_schedule(t, evloop_clock() + (iv ? checker_random(c) % iv : 0));
	return 0;
}

static void target_disarm(struct target *t)
{
	struct checker *c = t->c;

	evloop_timer_del(&c->loop, &t->tick);
	evloop_timer_del(&c->loop, &t->deadline);
	if (!t->ops)
		return;
	if (t->running)
		t->ops->abort(t);
	t->running = false;
	t->ops->fini(t);
	t->ops = NULL;
	t->probe = NULL;
}

static struct target *target_new(struct checker *c,
				 const struct target_desc *d)
{
	struct target *t = calloc(1, sizeof(*t));
	hc_record_t now;

	if (!t)
		return NULL;
	t->c = c;
	t->tick.fn = target_tick;
	t->deadline.fn = target_deadline;
	target_describe(t, d);
	t->check = d->check;
	hcstate_init(&t->sm);
	hcstate_record_init(&t->rec);
	/* a checker that restarted goes on from what its record says */
	if (target_record(t) && !hcstate_read(&c->shm.rs[t->slot], &now) &&
	    now.last_check && now.state <= NFLVS_RS_DOWN) {
		t->rec = now;
		t->sm.state = now.state;
	}
	if (target_arm(t)) {
		free(t);
		return NULL;
	}
	return t;
}

static void target_destroy(struct target *t)
{
	target_disarm(t);
	evloop_defer_free(&t->c->loop, t);
}

/* ---- reconciling the targets with a scan -------------------------------- */

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool bytes_same(const struct cfg_bytes *a, const struct cfg_bytes *b)
{
	return a->len == b->len && !a->data == !b->data &&
	       !a->mask == !b->mask &&
	       (!a->data || !memcmp(a->data, b->data, a->len)) &&
	       (!a->mask || !memcmp(a->mask, b->mask, a->len));
}

/* The keys of the other checkers (smtp, dns, udp, file). */
static bool check_more_same(const struct cfg_check *a,
			    const struct cfg_check *b)
{
	return str_same(a->helo_name, b->helo_name) &&
	       a->query_type == b->query_type &&
	       str_same(a->query_name, b->query_name) &&
	       bytes_same(&a->payload, &b->payload) &&
	       a->require_reply == b->require_reply &&
	       bytes_same(&a->reply, &b->reply) &&
	       a->min_reply_length == b->min_reply_length &&
	       a->max_reply_length == b->max_reply_length &&
	       str_same(a->file, b->file) &&
	       a->file_weight == b->file_weight && a->reverse == b->reverse;
}

bool checker_check_same(const struct cfg_check *a, const struct cfg_check *b)
{
	int i;

	if (!check_more_same(a, b))
		return false;
	if (a->type != b->type || a->interval != b->interval ||
	    a->timeout != b->timeout || a->rise != b->rise ||
	    a->fall != b->fall || a->connect_port != b->connect_port ||
	    a->verify_tls != b->verify_tls || a->nstatus != b->nstatus ||
	    !str_same(a->path, b->path) || !str_same(a->host, b->host) ||
	    !str_same(a->expect, b->expect) ||
	    !str_same(a->digest, b->digest) ||
	    memcmp(a->status, b->status, sizeof(a->status)))
		return false;
	for (i = 0; i <= CFG_ARGV_MAX; i++) {
		if (!str_same(a->argv[i], b->argv[i]))
			return false;
		if (!a->argv[i])
			break;
	}
	return true;
}

/* An unchecked real server must not keep an old verdict. */
static void checker_clear_unchecked(struct checker *c,
				    const struct target_desc *d)
{
	struct nflvs_shm_rs *r;
	hc_record_t h;

	if (!c->attached || d->slot >= c->shm.max_rs)
		return;
	r = &c->shm.rs[d->slot];
	if (hcstate_read(r, &h) || (h.state == NFLVS_RS_UNKNOWN &&
				    h.weight == -1 && !h.last_check))
		return;
	if (__atomic_load_n(&r->id, __ATOMIC_ACQUIRE) != d->id)
		return;
	hcstate_record_init(&h);
	hcstate_publish(r, &h);
	hcstate_notify(c->shm.hdr);
}

/* Carry @t over to @d (same real server); false if it must be remade. */
static bool target_carry(struct target *t, const struct target_desc *d,
			 bool new_segment)
{
	/* what a probe was built from: the check, the addresses, the name */
	bool same = t->ops && checker_check_same(t->check, d->check) &&
		    targets_key_eq(&t->key, &d->key) &&
		    !strcmp(t->svc_name, d->svc_name);

	target_describe(t, d);
	if (!same) {
		target_disarm(t);
		t->check = d->check;
		if (target_arm(t))
			return false;
	}
	t->check = d->check;
	/* rise and fall may have changed; runs beyond them are capped */
	if (t->sm.ok_run > t->check->rise)
		t->sm.ok_run = t->check->rise;
	if (t->sm.fail_run > t->check->fall)
		t->sm.fail_run = t->check->fall;
	if (new_segment)
		target_publish(t, true);
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	const struct target *x = *(struct target *const *)a;
	const struct target *y = *(struct target *const *)b;

	return targets_key_cmp(&x->key, &y->key);
}

static int id_cmp(const void *a, const void *b)
{
	const struct target *x = *(struct target *const *)a;
	const struct target *y = *(struct target *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Make the targets those of @d (sorted by id): keep what matches (by record
 * id in the same segment, by key in a new one), forget the rest.
 */
static int checker_reconcile(struct checker *c, struct target_desc *d,
			     size_t n, bool new_segment)
{
	struct target **old = c->t, **nt, probe = { 0 }, *pp = &probe, **m;
	size_t nold = c->nt, i, k = 0;
	bool *taken;

	nt = calloc(n + 1, sizeof(*nt));
	taken = calloc(nold + 1, sizeof(*taken));
	if (!nt || !taken) {
		free(nt);
		free(taken);
		return -ENOMEM;
	}
	if (nold)	/* the first time, c->t is NULL */
		qsort(old, nold, sizeof(*old), new_segment ? key_cmp : id_cmp);
	for (i = 0; i < n; i++) {
		struct target *t = NULL;

		if (new_segment)
			probe.key = d[i].key;
		else
			probe.id = d[i].id;
		m = nold ? bsearch(&pp, old, nold, sizeof(*old),
				   new_segment ? key_cmp : id_cmp) : NULL;
		if (m && !taken[m - old]) {
			t = *m;
			taken[m - old] = true;
		}
		if (!d[i].check) {
			if (t)
				target_destroy(t);
			checker_clear_unchecked(c, &d[i]);
			continue;
		}
		if (t && !target_carry(t, &d[i], new_segment)) {
			target_destroy(t);
			t = NULL;
		} else if (!t) {
			t = target_new(c, &d[i]);
		}
		if (t)
			nt[k++] = t;
	}
	for (i = 0; i < nold; i++)
		if (!taken[i])
			target_destroy(old[i]);
	free(taken);
	free(old);
	c->t = nt;
	c->nt = k;
	qsort(c->t, c->nt, sizeof(*c->t), id_cmp);
	return 0;
}

int checker_conf_weight(const struct target *t)
{
	const struct nflvs_shm_rs *r = target_record(t);

	return r ? targets_conf_weight(r, t->id) : -1;
}

struct target *checker_target(const struct checker *c, uint32_t id)
{
	struct target probe = { .id = id }, *pp = &probe, **m;

	if (!c->nt)
		return NULL;
	m = bsearch(&pp, c->t, c->nt, sizeof(*c->t), id_cmp);
	return m ? *m : NULL;
}

/* ---- the director's segment ---------------------------------------------- */

static void checker_fatal(struct checker *c)
{
	c->stop = true;
	c->exit_code = 1;
}

/* A killed director its parent has not reaped yet is dead too. */
static bool director_alive(uint32_t pid)
{
	char path[32], buf[256], *p;
	ssize_t n;
	int fd;

	if (!pid || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;	/* another pid namespace: trust kill() */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

static int checker_try_attach(struct checker *c, struct shm_map *m)
{
	const char *name = c->cfg.director.shm;
	char err[160];
	int ret;

	ret = shm_attach(m, name, true, err, sizeof(err));
	if (!ret) {
		c->bad_ticks = 0;
		return 0;
	}
	if (ret == -ENOENT) {
		if (!c->waiting_logged)
			log_info("waiting for the director: shared memory %s does not exist%s",
				 name, c->attached ? " any more" : " yet");
		c->waiting_logged = true;
		c->bad_ticks = 0;
	} else if ((ret == -EACCES || ret == -EPERM) && c->dropped) {
		/* a new director gives the segment to our group just after
		 * creating it: refused for good only if that does not come */
		if (++c->bad_ticks >= BAD_SEGMENT_TICKS) {
			log_err("shared memory %s: %s (running as user %s); exiting so that the service manager restarts the checker as root",
				name, err, c->cfg.director.user);
			checker_fatal(c);
		}
	} else if (ret == -EPROTO || ret == -EINVAL) {
		/* a director may be half-way through creating it */
		if (++c->bad_ticks >= BAD_SEGMENT_TICKS) {
			log_err("shared memory %s: %s; refusing to use it",
				name, err);
			checker_fatal(c);
		}
	} else if (!c->waiting_logged) {
		log_warn("shared memory %s: %s; retrying", name, err);
		c->waiting_logged = true;
	}
	return ret;
}

/*
 * Whom exec checks run as: director.script_user, or the checker itself.
 * Looked up at start, after the switch and at each reload.
 */
static void checker_script_user(struct checker *c)
{
	const char *name = c->cfg.director.script_user;
	struct script_as *s = &c->script;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!*name) {
		s->u.uid = geteuid();
		s->u.gid = getegid();
		return;
	}
	ret = privs_user_get(name, &s->u);
	if (ret) {
		snprintf(s->err, sizeof(s->err),
			 "director.script_user: no such user \"%s\"", name);
		log_err("%s: exec checks fail until it exists", s->err);
		return;
	}
	s->other = s->u.uid != geteuid() || s->u.gid != getegid();
}

/*
 * Switch to director.user once attached (root needed no more).  What is
 * kept: raw ICMP sockets when ping_group_range does not admit the user
 * (opened before), and CAP_SETUID, CAP_SETGID and CAP_KILL only when exec
 * checks run as another user (director.script_user), to start and kill
 * them; nothing else.
 */
static int checker_drop_privileges(struct checker *c)
{
	const struct cfg_director *cd = &c->cfg.director;
	struct privs_user u, su;
	uint64_t keep = 0, kept;
	char caps[96];
	int ret;

	if (!*cd->user || c->dropped || c->root_kept || geteuid() != 0)
		return 0;
	ret = privs_user_get(cd->user, &u);
	if (ret == -ENOENT && !cd->user_set) {
		log_warn("no user %s: running as root (create it, e.g. adduser --system --group %s, or set director.user)",
			 cd->user, cd->user);
		c->root_kept = true;
		return 0;
	}
	if (ret) {
		log_err("director.user: no such user \"%s\"", cd->user);
		return -1;
	}
	if (*cd->script_user && !privs_user_get(cd->script_user, &su) &&
	    (su.uid != u.uid || su.gid != u.gid))
		keep = PRIV_CAP(CAP_SETUID) | PRIV_CAP(CAP_SETGID) |
		       PRIV_CAP(CAP_KILL);
	/* a raw socket for the ping checks, while it can be had */
	check_ping_prepare(c, cd->user, u.gid);
	ret = privs_become(u.uid, u.gid, u.groups, u.ngroups, keep, &kept);
	if (ret) {
		log_err("director.user: switching to \"%s\": %s", cd->user,
			strerror(-ret));
		return -1;
	}
	c->dropped = true;
	privs_str(kept, caps, sizeof(caps));
	log_info("running as user %s (uid %u, gid %u), capabilities: %s%s%s",
		 cd->user, (unsigned int)u.uid, (unsigned int)u.gid, caps,
		 kept ? " for exec checks as user " : "",
		 kept ? cd->script_user : "");
	checker_script_user(c);
	return 0;
}

static size_t checker_nchecked(const struct target_desc *d, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += d[i].check != NULL;
	return k;
}

static int checker_rescan(struct checker *c, bool new_segment)
{
	struct target_desc *d;
	int n;

	c->generation = shm_generation(&c->shm);
	n = targets_scan(&c->shm, &c->cfg, &d);
	if (n < 0) {
		log_err("shared memory %s: scanning: %s", c->shm.name,
			strerror(-n));
		return n;
	}
	if (checker_reconcile(c, d, n, new_segment) < 0)
		log_err("%s: out of memory", __func__);
	log_debug("shared memory %s generation %llu: %d real servers, %zu checked",
		  c->shm.name, (unsigned long long)c->generation, n,
		  checker_nchecked(d, n));
	free(d);
	return 0;
}

/* Take @m as the director's segment; targets are matched by key. */
static void checker_switch(struct checker *c, struct shm_map *m)
{
	bool again = c->attached || c->nt;

	if (c->attached)
		shm_close(&c->shm);
	c->shm = *m;
	c->attached = true;
	c->waiting_logged = false;
	c->ticks = 0;
	__atomic_store_n(&c->shm.hdr->checker_pid, (uint32_t)getpid(),
			 __ATOMIC_RELEASE);
	checker_rescan(c, true);
	log_info("%s shared memory %s (director pid %u): %zu real servers to check",
		 again ? "re-attached to" : "attached to", c->shm.name,
		 c->shm.hdr->director_pid, c->nt);
	if (checker_drop_privileges(c) < 0)
		checker_fatal(c);
}

void checker_shm_tick(struct checker *c)
{
	struct nflvs_shm_header *h;
	struct shm_map m;
	bool gone;

	if (!c->attached) {
		if (!checker_try_attach(c, &m))
			checker_switch(c, &m);
		return;
	}
	h = c->shm.hdr;
	c->ticks++;
	gone = (__atomic_load_n(&h->flags, __ATOMIC_ACQUIRE) &
		NFLVS_SHM_F_CLOSED) || !director_alive(h->director_pid);
	if (gone || c->ticks % IDENTITY_TICKS == 0) {
		/* a new director makes a new segment under the same name */
		if (!checker_try_attach(c, &m)) {
			if (m.hdr->director_start != h->director_start) {
				checker_switch(c, &m);
				return;
			}
			shm_close(&m);
		}
		if (c->stop)
			return;
		if (gone && !c->waiting_logged) {
			log_info("the director (pid %u) is gone; checking on until a new one starts",
				 h->director_pid);
			c->waiting_logged = true;
		}
	}
	if (shm_generation(&c->shm) != c->generation)
		checker_rescan(c, false);
}

static void checker_shm_timer(struct timer *tm)
{
	struct checker *c = container_of(tm, struct checker, shm_timer);

	checker_shm_tick(c);
	evloop_timer_set(&c->loop, tm,
			 evloop_clock() + CHECKER_SHM_TICK_MS * 1000000ull);
}

/* ---- life cycle ---------------------------------------------------------- */

int checker_init(struct checker *c, struct nflvs_config *cfg)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	err = evloop_init(&c->loop);
	if (err)
		return err;
	if (getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng))
		c->rng = evloop_clock() ^ ((uint64_t)getpid() << 32);
	c->rng |= 1;
	err = checker_env_init(c);
	if (!err)
		err = check_http_multi_init(c);
	if (err)
		return err;
	checker_script_user(c);
	c->shm_timer.fn = checker_shm_timer;
	evloop_timer_set(&c->loop, &c->shm_timer, evloop_clock());
	return 0;
}

void checker_free(struct checker *c)
{
	size_t i;

	for (i = 0; i < c->nt; i++)
		target_destroy(c->t[i]);
	free(c->t);
	c->t = NULL;
	c->nt = 0;
	check_exec_reap_all(c);
	check_http_multi_free(c);
	check_ping_free(c);
	if (c->attached) {
		uint32_t me = getpid();

		/* no checker runs any more; a successor writes its own */
		__atomic_compare_exchange_n(&c->shm.hdr->checker_pid, &me, 0,
					    false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
		shm_close(&c->shm);
		c->attached = false;
	}
	evloop_free(&c->loop);
	free(c->env);
	c->env = NULL;
	config_free(&c->cfg);
}

void checker_reload(struct checker *c, struct nflvs_config *cfg)
{
	struct nflvs_config old = c->cfg;
	struct target_desc *d;
	size_t i;

	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	if (strcmp(old.director.user, c->cfg.director.user) &&
	    (c->dropped || c->root_kept))
		log_warn("director.user changed: it applies at the next start");
	checker_script_user(c);
	if (c->attached && strcmp(old.director.shm, c->cfg.director.shm)) {
		/* targets stay, and find their servers in the new one */
		log_info("director.shm changed: %s -> %s", old.director.shm,
			 c->cfg.director.shm);
		shm_close(&c->shm);
		c->attached = false;
	}
	if (c->attached) {
		checker_rescan(c, false);
	} else {
		/* detached: the targets look their checks up in the new file */
		d = calloc(c->nt + 1, sizeof(*d));
		for (i = 0; d && i < c->nt; i++) {
			struct target *t = c->t[i];

			d[i].id = t->id;
			d[i].slot = t->slot;
			d[i].svc_index = t->svc_index;
			d[i].rs_index = t->rs_index;
			d[i].key = t->key;
			memcpy(d[i].svc_name, t->svc_name, sizeof(d[i].svc_name));
			d[i].check = targets_find_check(&c->cfg, &t->key,
							t->svc_index,
							t->rs_index);
		}
		if (!d || checker_reconcile(c, d, c->nt, false) < 0) {
			log_err("%s: out of memory; forgetting every target",
				__func__);
			checker_reconcile(c, NULL, 0, false);
		}
		free(d);
	}
	config_free(&old);
	log_info("configuration reloaded: %zu real servers to check", c->nt);
}

int checker_run(struct checker *c)
{
	int err;

	while (!c->stop) {
		err = evloop_run_once(&c->loop, -1);
		if (err) {
			log_err("event loop: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}
