// SPDX-License-Identifier: GPL-2.0-or-later
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "addr.h"
#include "shm_map.h"

#define TESTNET	"build/tests/nflvs-testnet"
#define DIRECTOR "build/nflvs-director"

static void vfmt(char *buf, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(buf, len, fmt, ap);
}

long lab_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void lab_init(struct lab *l)
{
	const char *run = getenv("NFLVS_TEST_RUN");

	if (geteuid() != 0)
		cr_skip_test("end-to-end tests need root (network namespaces)");
	memset(l, 0, sizeof(*l));
	snprintf(l->id, sizeof(l->id), "%s-%d", run ? run : "nx", (int)getpid());
	snprintf(l->dir, sizeof(l->dir), "/tmp/nflvs-test-%s", l->id);
	snprintf(l->shm, sizeof(l->shm), "/nflvs-%s", l->id);
	snprintf(l->conf, sizeof(l->conf), "%s/nflvs.conf", l->dir);
	/* readable by the checker once it runs as director.user */
	mkdir(l->dir, 0755);
}

const char *lab_ns(struct lab *l, const char *role)
{
	static __thread char name[LAB_MAX_NS][48];
	static __thread int next;
	char *n = name[next++ % LAB_MAX_NS];

	snprintf(n, 48, "%s-%s", l->id, role);
	return n;
}

int lab_sh(struct lab *l, const char *fmt, ...)
{
	char cmd[4096], full[4400];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vfmt(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "{ %s ; } >>%s/sh.log 2>&1", cmd, l->dir);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int lab_cap(struct lab *l, char *out, size_t len, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vfmt(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>>", sizeof(cmd) - strlen(cmd) - 1);
	strncat(cmd, l->dir, sizeof(cmd) - strlen(cmd) - 1);
	strncat(cmd, "/sh.log", sizeof(cmd) - strlen(cmd) - 1);
	out[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len) {
		size_t r = fread(out + n, 1, len - n - 1, f);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A wait for what is to come true is never shorter than LAB_WAIT_MIN_MS,
 * whatever the caller guessed: on a busy host things come late, not
 * wrong, and a wait that ends at once costs nothing.  (lab_wait_exit()
 * is also used to see that nothing happens for a while: not that one.)
 */
static int lab_wait_ms(int ms)
{
	return ms < LAB_WAIT_MIN_MS ? LAB_WAIT_MIN_MS : ms;
}

int lab_wait_sh(struct lab *l, int ms, const char *fmt, ...)
{
	long deadline = lab_now_ms() + lab_wait_ms(ms);
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vfmt(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	do {
		if (lab_sh(l, "%s", cmd) == 0)
			return 0;
		usleep(20000);
	} while (lab_now_ms() < deadline);
	return -1;
}

int lab_ns_add(struct lab *l, const char *role)
{
	const char *ns = lab_ns(l, role);

	if (l->nns == LAB_MAX_NS)
		return -1;
	if (lab_sh(l, "ip netns add %s && ip -n %s link set lo up", ns, ns))
		return -1;
	snprintf(l->ns[l->nns++], sizeof(l->ns[0]), "%s", ns);
	return 0;
}

/*
 * The topologies are tests/lib/lab.sh's, shared with the demo and
 * benchmarks: @nfixed roles, then rs1 .. rs@nrs, registered first, so
 * that cleanup removes whatever was created.
 */
static int lab_topology(struct lab *l, const char *kind,
			const char *const *fixed, int nfixed, int nrs)
{
	char rs[8];
	int i;

	if (nrs > 8 || nfixed + nrs > LAB_MAX_NS - l->nns)
		return -1;
	for (i = 0; i < nfixed; i++)
		snprintf(l->ns[l->nns++], sizeof(l->ns[0]), "%s",
			 lab_ns(l, fixed[i]));
	for (i = 1; i <= nrs; i++) {
		snprintf(rs, sizeof(rs), "rs%d", i);
		snprintf(l->ns[l->nns++], sizeof(l->ns[0]), "%s", lab_ns(l, rs));
	}
	return lab_sh(l, "tests/lib/lab.sh %s %s %d", kind, l->id, nrs);
}

int lab_nat_topology(struct lab *l, int nrs)
{
	static const char *const roles[] = { "cl", "dir" };

	return lab_topology(l, "nat", roles, 2, nrs);
}

int lab_dr_topology(struct lab *l, int nrs)
{
	static const char *const roles[] = { "cl", "rt", "dir" };

	return lab_topology(l, "dr", roles, 3, nrs);
}

int lab_ecmp_topology(struct lab *l, int nrs)
{
	static const char *const roles[] = { "cl", "rt", "dir1", "dir2" };

	return lab_topology(l, "ecmp", roles, 4, nrs);
}

void lab_dirnode_init(struct lab *l, int d, struct lab_dirnode *n)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->role, sizeof(n->role), "dir%d", d);
	snprintf(n->addr, sizeof(n->addr), "10.0.3.%d", 1 + d);
	snprintf(n->shm, sizeof(n->shm), d == 1 ? "%s" : "%s-2", l->shm);
	snprintf(n->conf, sizeof(n->conf), "%s/nflvs%d.conf", l->dir, d);
	snprintf(n->ctl, sizeof(n->ctl), "%s/ctl%d.sock", l->dir, d);
}

int lab_hapair_topology(struct lab *l, int nrs)
{
	static const char *const roles[] = { "sw", "cl", "dir1", "dir2" };

	return lab_topology(l, "hapair", roles, 4, nrs);
}

pid_t lab_spawn(struct lab *l, const char *role, const char *name,
		const char *fmt, ...)
{
	char cmd[4096], log[256];
	va_list ap;
	pid_t pid;
	int fd;

	va_start(ap, fmt);
	vfmt(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(log, sizeof(log), "%s/%s.log", l->dir, name);
	if (l->nproc == LAB_MAX_PROCS)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0);
		execlp("ip", "ip", "netns", "exec", lab_ns(l, role), "sh", "-c",
		       cmd, (char *)NULL);
		_exit(127);
	}
	l->proc[l->nproc].pid = pid;
	snprintf(l->proc[l->nproc].name, sizeof(l->proc[0].name), "%s", name);
	l->nproc++;
	return pid;
}

static void lab_forget(struct lab *l, pid_t pid)
{
	int i;

	for (i = 0; i < l->nproc; i++)
		if (l->proc[i].pid == pid)
			l->proc[i].pid = 0;
}

int lab_wait_exit(struct lab *l, pid_t pid, int ms)
{
	long deadline = lab_now_ms() + ms;
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			lab_forget(l, pid);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(10000);
	} while (lab_now_ms() < deadline);
	return -1;
}

int lab_stop(struct lab *l, pid_t pid, int sig, int ms)
{
	int st;

	if (pid <= 0)
		return -1;
	kill(pid, sig);
	st = lab_wait_exit(l, pid, ms);
	if (st < 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		lab_forget(l, pid);
	}
	return st;
}

void lab_put(struct lab *l, const char *name, const char *text, int mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", l->dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

const char *lab_log(struct lab *l, const char *name)
{
	static char buf[65536];
	char path[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", l->dir, name);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

int lab_serve(struct lab *l, const char *role, const char *args)
{
	char ready[256];
	struct stat st;
	long deadline = lab_now_ms() + LAB_START_MS;

	snprintf(ready, sizeof(ready), "%s/%s.ready", l->dir, role);
	unlink(ready);
	if (lab_spawn(l, role, role, "exec " TESTNET " serve --name %s --ready-file %s %s",
		      role, ready, args) < 0)
		return -1;
	while (lab_now_ms() < deadline) {
		if (stat(ready, &st) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

int lab_serve_all(struct lab *l, int nrs, const char *args)
{
	char role[16];
	int i;

	for (i = 1; i <= nrs; i++) {
		snprintf(role, sizeof(role), "rs%d", i);
		if (lab_serve(l, role, args) < 0)
			return -1;
	}
	return 0;
}

void lab_write_conf(struct lab *l, const char *services)
{
	FILE *f = fopen(l->conf, "w");

	cr_assert_not_null(f, "cannot write %s", l->conf);
	fprintf(f, "director = {\n  table = \"nflvs\";\n  shm = \"%s\";\n"
		"  control = \"%s/director.sock\";\n};\n%s\n", l->shm, l->dir,
		services);
	fclose(f);
}

pid_t lab_director_spawn(struct lab *l, const char *role, const char *name,
			 const char *conf)
{
	long deadline = lab_now_ms() + LAB_START_MS;
	/* the log is appended to across restarts: look past what is there */
	size_t seen = strlen(lab_log(l, name));
	pid_t pid;

	pid = lab_spawn(l, role, name, "exec " DIRECTOR " -v %s -f %s",
			l->director_args, conf);
	if (pid < 0)
		return -1;
	while (lab_now_ms() < deadline) {
		const char *log = lab_log(l, name);

		if (strlen(log) > seen && strstr(log + seen, ": started"))
			return pid;
		if (lab_wait_exit(l, pid, 10) >= 0)
			break;
	}
	cr_log_error("%s did not start:\n%s", name, lab_log(l, name));
	return -1;
}

int lab_director_start(struct lab *l)
{
	l->director = lab_director_spawn(l, "dir", "director", l->conf);
	return l->director > 0 ? 0 : -1;
}

int lab_director_stop(struct lab *l, int sig)
{
	int st = lab_stop(l, l->director, sig, 5000);

	l->director = 0;
	return st;
}

void lab_cleanup(struct lab *l)
{
	int i;

	for (i = l->nproc - 1; i >= 0; i--)
		if (l->proc[i].pid > 0)
			lab_stop(l, l->proc[i].pid, SIGTERM, 2000);
	for (i = 0; i < l->nns; i++) {
		/* anything left inside (a test helper we lost track of) */
		lab_sh(l, "for p in $(ip netns pids %s); do kill -9 $p; done; "
		       "ip netns del %s", l->ns[i], l->ns[i]);
	}
	l->nproc = l->nns = 0;
	shm_unlink(l->shm);
	lab_sh(l, "rm -rf /tmp/%s-realserver", l->id);
	if (!getenv("NFLVS_TEST_KEEP")) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", l->dir);
		if (system(cmd) != 0)
			cr_log_warn("could not remove %s", l->dir);
	}
}

pid_t lab_stream(struct lab *l, const char *vip, int port, int conns)
{
	pid_t pid = lab_spawn(l, "cl", "stream",
			      "exec " TESTNET " stream %s %d --conns %d --interval-ms 20 "
			      "--stats-file %s/stream.stats --ready-file %s/stream.ready",
			      vip, port, conns, l->dir, l->dir);

	if (pid < 0 || lab_wait_sh(l, 15000, "test -e %s/stream.ready", l->dir)) {
		cr_log_error("stream: not every connection got an answer: %s",
			     lab_log(l, "stream"));
		return -1;
	}
	return pid;
}

void lab_stream_progress(struct lab *l, long long from, int more, int conns,
			 const char *when)
{
	cr_assert_geq(lab_wait_stat(l, "stream", "rounds_min", from + more, 30000),
		      from + more, "%s: a connection stalls: %s", when,
		      lab_log(l, "stream"));
	cr_expect_eq(lab_stat(l, "stream", "reset"), 0, "%s", when);
	cr_expect_eq(lab_stat(l, "stream", "open"), conns, "%s", when);
}

long long lab_stream_finish(struct lab *l, pid_t pid, int conns,
			    const char *what)
{
	char want[64];
	const char *out;
	long long stall = -1;
	int ok = -1;

	cr_expect_eq(lab_stop(l, pid, SIGTERM, 5000), 0, "%s", lab_log(l, "stream"));
	out = lab_log(l, "stream");
	snprintf(want, sizeof(want), "total %d ok %d ", conns, conns);
	cr_expect(strstr(out, want), "%s", out);
	if (strstr(out, "total "))
		sscanf(strstr(out, "total "), "total %*d ok %d stall_max_ms %lld",
		       &ok, &stall);
	cr_expect_eq(ok, conns);
	cr_log_info("%s: %d/%d connections kept, longest stall %lld ms", what,
		    ok, conns, stall);
	return stall;
}

static void tally_parse(struct lab_tally *t, char *out)
{
	char *line, *save = NULL, name[32];
	int n;

	memset(t, 0, sizeof(*t));
	t->errors = -1;
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "errors %d", &n) == 1) {
			t->errors = n;
		} else if (sscanf(line, "%31s %d", name, &n) == 2) {
			if (t->n < 8) {
				memcpy(t->name[t->n], name, sizeof(t->name[0]));
				t->count[t->n++] = n;
			}
		} else if (sscanf(line, "%15s", name) == 1 && t->nseq < 256) {
			memcpy(t->seq[t->nseq++], name, sizeof(t->seq[0]));
		}
	}
}

int lab_count(struct lab *l, const char *role, struct lab_tally *t,
	      const char *fmt, ...)
{
	char args[1024], out[16384];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vfmt(args, sizeof(args), fmt, ap);
	va_end(ap);
	st = lab_cap(l, out, sizeof(out), "ip netns exec %s " TESTNET " count %s",
		     lab_ns(l, role), args);
	tally_parse(t, out);
	return st;
}

int lab_tally_of(const struct lab_tally *t, const char *name)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->name[i], name))
			return t->count[i];
	return 0;
}

/*
 * Attach the lab's segment (@rw: to write) and find the record of real
 * server @addr:@port: its slot in m->rs, its id and dir half in *@cur.
 * -1, nothing attached, if there is none.
 */
static int lab_rs_find(struct lab *l, const char *addr, int port, bool rw,
		       struct shm_map *m, struct nflvs_shm_rs *cur)
{
	struct nflvs_addr a;
	char err[128];
	uint32_t i;

	if (addr_parse(addr, &a) < 0 ||
	    shm_attach(m, l->shm, rw, err, sizeof(err)) < 0)
		return -1;
	for (i = 0; i < m->hdr->max_rs; i++) {
		struct nflvs_shm_rs *r = &m->rs[i];

		if (!__atomic_load_n(&r->id, __ATOMIC_RELAXED) ||
		    nflvs_seq_read(&r->seq, &cur->id, &r->id,
				   sizeof(cur->id) + sizeof(cur->dir)) < 0 ||
		    !cur->id)
			continue;
		if (cur->dir.family == a.family && cur->dir.port == port &&
		    !memcmp(cur->dir.addr, a.b, addr_len(&a)))
			return i;
	}
	shm_close(m);
	return -1;
}

int lab_rs_record(struct lab *l, const char *addr, int port,
		  struct nflvs_shm_rs *out)
{
	struct shm_map m;

	if (lab_rs_find(l, addr, port, false, &m, out) < 0)
		return -1;
	shm_close(&m);
	return 0;
}

int lab_wait_counts(struct lab *l, const char *addr, int port, int active,
		    int inactive, int ms)
{
	long deadline = lab_now_ms() + lab_wait_ms(ms);
	struct nflvs_shm_rs r;

	do {
		if (lab_rs_record(l, addr, port, &r) == 0 &&
		    (active < 0 || r.dir.activeconns == (uint32_t)active) &&
		    (inactive < 0 || r.dir.inactconns == (uint32_t)inactive))
			return 0;
		usleep(20000);
	} while (lab_now_ms() < deadline);
	if (lab_rs_record(l, addr, port, &r) == 0)
		cr_log_error("%s:%d has active %u inactive %u", addr, port,
			     r.dir.activeconns, r.dir.inactconns);
	return -1;
}

int lab_rs_persist(struct lab *l, const char *name)
{
	struct nflvs_shm_rs r;
	char addr[32];
	int n;

	if (sscanf(name, "rs%d", &n) != 1)
		return -1;
	snprintf(addr, sizeof(addr), "10.0.2.%d", 10 + n);
	if (lab_rs_record(l, addr, 80, &r) < 0)
		return -1;
	return r.dir.persistconns;
}

int lab_set_health(struct lab *l, const char *addr, int port, uint32_t state,
		   int weight, const char *error)
{
	struct nflvs_shm_rs want, cur, *r;
	struct shm_map m;
	int i = lab_rs_find(l, addr, port, true, &m, &cur);

	if (i < 0)
		return -1;
	r = &m.rs[i];
	memset(&want.health, 0, sizeof(want.health));
	want.health.state = state;
	want.health.weight = weight;
	snprintf(want.health.last_error, sizeof(want.health.last_error),
		 "%s", error ? error : "");
	nflvs_seq_write(&r->hseq, &r->health, &want.health,
			sizeof(want.health));
	__atomic_add_fetch(&m.hdr->health_generation, 1, __ATOMIC_RELEASE);
	shm_close(&m);
	return 0;
}

/* ---- the health checker --------------------------------------------------- */

#define CHECKER "build/nflvs-healthcheck"

pid_t lab_checker_start(struct lab *l, const char *args)
{
	long deadline = lab_now_ms() + LAB_START_MS;
	size_t seen = strlen(lab_log(l, "checker"));
	pid_t pid;

	pid = lab_spawn(l, "dir", "checker", "exec " CHECKER " -v -f %s %s",
			l->conf, args ? args : "");
	if (pid < 0)
		return -1;
	while (lab_now_ms() < deadline) {
		const char *log = lab_log(l, "checker");

		if (strlen(log) > seen && strstr(log + seen, ": started"))
			return pid;
		if (lab_wait_exit(l, pid, 10) >= 0)
			break;
	}
	cr_log_error("checker did not start:\n%s", lab_log(l, "checker"));
	return -1;
}

int lab_health(struct lab *l, const char *addr, int port, lab_health_t *h)
{
	struct nflvs_shm_rs snap;
	struct shm_map m;
	int i = lab_rs_find(l, addr, port, false, &m, &snap), ret;

	if (i < 0)
		return -1;
	ret = nflvs_seq_read(&m.rs[i].hseq, h, &m.rs[i].health,
			     sizeof(*h)) == 0 ? 0 : -1;
	shm_close(&m);
	return ret;
}

int lab_wait_health(struct lab *l, const char *addr, int port,
		    uint32_t state, int ms, lab_health_t *h)
{
	long deadline = lab_now_ms() + lab_wait_ms(ms);
	lab_health_t tmp;

	if (!h)
		h = &tmp;
	memset(h, 0, sizeof(*h));
	do {
		if (lab_health(l, addr, port, h) == 0 && h->state == state)
			return 0;
		usleep(2000);
	} while (lab_now_ms() < deadline);
	return -1;
}

void lab_start_checked(struct lab *l, const char *services)
{
	lab_write_conf(l, services);
	cr_assert_eq(lab_director_start(l), 0);
	cr_assert_gt(lab_checker_start(l, NULL), 0);
}

void lab_expect_health(struct lab *l, const char *addr, int port,
		       uint32_t state, int ms, lab_health_t *h)
{
	lab_health_t tmp;

	if (!h)
		h = &tmp;
	cr_assert_eq(lab_wait_health(l, addr, port, state, ms, h), 0,
		     "%s port %d: state %u (%s), expected %u\nchecker:\n%s",
		     addr, port, h->state, h->last_error, state,
		     lab_log(l, "checker"));
}

uint64_t lab_shm_director_start(struct lab *l)
{
	struct shm_map m;
	char err[128];
	uint64_t t;

	if (shm_attach(&m, l->shm, false, err, sizeof(err)) < 0)
		return 0;
	t = m.hdr->director_start;
	shm_close(&m);
	return t;
}

pid_t lab_pid(struct lab *l, const char *name)
{
	int i;

	for (i = l->nproc - 1; i >= 0; i--)
		if (l->proc[i].pid > 0 && !strcmp(l->proc[i].name, name))
			return l->proc[i].pid;
	return -1;
}

pid_t lab_decap(struct lab *l, const char *role, const char *name,
		const char *fmt, ...)
{
	char args[2048], ready[256];
	long deadline = lab_now_ms() + LAB_START_MS;
	struct stat st;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vfmt(args, sizeof(args), fmt, ap);
	va_end(ap);
	/*
	 * The client's TCP/UDP checksums as a wire carries them: over veth a
	 * packet keeps "checksum to be done" all the way, a kernel tunnel end
	 * honours that, but this decapsulator only sees the bytes.
	 */
	if (lab_sh(l, "ip netns exec %s-cl ethtool -K eth0 tx off >/dev/null",
		   l->id) != 0)
		cr_log_warn("the client's checksum offload stays on (ethtool)");
	snprintf(ready, sizeof(ready), "%s/%s.ready", l->dir, name);
	unlink(ready);
	pid = lab_spawn(l, role, name, "exec build/tests/nflvs-decap %s "
			"--ready-file %s --stats-file %s/%s.stats", args, ready,
			l->dir, name);
	if (pid < 0)
		return -1;
	while (lab_now_ms() < deadline) {
		if (stat(ready, &st) == 0)
			return pid;
		if (lab_wait_exit(l, pid, 10) >= 0)
			break;
	}
	cr_log_error("nflvs-decap %s did not start:\n%s", args, lab_log(l, name));
	return -1;
}

long long lab_stat(struct lab *l, const char *name, const char *key)
{
	char path[256], line[256], word[64];
	long long v = -1, n;
	const char *p;
	int used;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.stats", l->dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		for (p = line; sscanf(p, "%63s %lld%n", word, &n, &used) == 2;
		     p += used)
			if (!strcmp(word, key))
				v = n;
	fclose(f);
	return v;
}

long long lab_wait_stat(struct lab *l, const char *name, const char *key,
			long long min, int ms)
{
	long deadline = lab_now_ms() + lab_wait_ms(ms);
	long long v;

	do {
		v = lab_stat(l, name, key);
		if (v >= min)
			return v;
		usleep(20000);
	} while (lab_now_ms() < deadline);
	return -1;
}

int lab_pair_topology(struct lab *l)
{
	const char *cl, *rs;

	if (lab_ns_add(l, "cl") || lab_ns_add(l, "rs"))
		return -1;
	cl = lab_ns(l, "cl");
	rs = lab_ns(l, "rs");
	if (lab_sh(l,
		   "for n in %s %s; do ip netns exec $n sysctl -qw "
		   "net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 "
		   "net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
		   "|| exit 1; done && "
		   "ip -n %s link add eth0 type veth peer name eth0 netns %s && "
		   "ip -n %s addr add " LAB_PAIR_CL4 "/24 dev eth0 && "
		   "ip -n %s addr add " LAB_PAIR_CL6 "/64 dev eth0 nodad && "
		   "ip -n %s link set eth0 up && "
		   "ip -n %s addr add " LAB_PAIR_RS4 "/24 dev eth0 && "
		   "ip -n %s addr add " LAB_PAIR_RS6 "/64 dev eth0 nodad && "
		   "ip -n %s link set eth0 up",
		   cl, rs, cl, rs, cl, cl, cl, rs, rs, rs))
		return -1;
	return lab_wait_sh(l, 5000,
			   "ip -n %s -6 addr show dev eth0 scope link | grep -q fe80 && "
			   "ip -n %s -6 addr show dev eth0 scope link | grep -q fe80",
			   cl, rs);
}

/* ---- a director pair with keepalived -------------------------------------- */

#define ADM	"build/nflvsadm"

void lab_ha_init(struct lab *l, struct lab_ha *h)
{
	int d;

	for (d = 1; d <= 2; d++) {
		struct lab_ha_node *n = &h->node[d];

		memset(n, 0, sizeof(*n));
		snprintf(n->role, sizeof(n->role), "dir%d", d);
		snprintf(n->ctl, sizeof(n->ctl), "%s/ctl%d.sock", l->dir, d);
		snprintf(n->kconf, sizeof(n->kconf), "%s/keepalived%d.conf", l->dir, d);
		snprintf(n->notify, sizeof(n->notify), "%s/notify%d.sh", l->dir, d);
	}
}

/* keepalived on contrib/ha/keepalived.conf, its hook through a wrapper
 * that gives it the lab's nflvsadm and the node's environment. */
void lab_ha_keepalived(struct lab *l, struct lab_ha *h, int d, bool unicast)
{
	struct lab_ha_node *n = &h->node[d];
	char cwd[512], name[16], wrapper[2048], nat[512] = "";

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	snprintf(wrapper, sizeof(wrapper),
		 "#!/bin/sh\n"
		 "NFLVSADM='%s/" ADM " --socket %s' NFLVS_HA_LOCK=%s/ha%d.lock "
		 "NFLVS_HA_DEFAULTS=/dev/null %s \\\n"
		 "  exec %s/contrib/ha/nflvs-ha-notify \"$@\" >>%s/notify%d.log 2>&1\n",
		 cwd, n->ctl, l->dir, d, n->env, cwd, l->dir, d);
	snprintf(name, sizeof(name), "notify%d.sh", d);
	lab_put(l, name, wrapper, 0755);
	/* NAT: the gateway and the back addresses; DR, TUN: no back instance */
	if (h->gw)
		snprintf(nat, sizeof(nat), "-e 's|^\\$GATEWAY=.*|$GATEWAY=%s/24|' "
			 "-e 's|10.10.0.2$|%s|' -e 's|10.10.0.3$|%s|'",
			 h->gw, h->back[1], h->back[2]);
	else
		snprintf(nat, sizeof(nat), "-e '/# NAT only$/d' -e '/^# NAT only:/,/^}/d'");
	cr_assert_eq(lab_sh(l, "sed -e 's|^\\$VIP=.*|$VIP=%s/%d|' %s "
			    "-e 's|^\\$NFLVSADM=.*|$NFLVSADM=%s/" ADM " --socket %s|' "
			    "-e 's|^\\$NOTIFY=.*|$NOTIFY=%s|' "
			    "-e 's|192.0.2.1$|%s|' -e 's|192.0.2.2$|%s|' "
			    "-e '/enable_script_security/d' "
			    "-e '/^vrrp_script/,/^}/s/^\\t\\(interval\\|timeout\\) 1$/\\t\\1 %d/' "
			    "%s contrib/ha/keepalived.conf > %s",
			    h->vip, h->vip_len, nat, cwd, n->ctl, n->notify,
			    h->addr[1], h->addr[2], LAB_SLOW,
			    unicast ? "-e 's|^\\t#\\(unicast_\\)|\\t\\1|' -e 's|^\\t#\\t\\$PEER|\\t\\t$PEER|' "
				      "-e 's|^\\t#}|\\t}|'" : "",
			    n->kconf), 0);
	snprintf(name, sizeof(name), "keepalived%d", d);
	n->keepalived = lab_spawn(l, n->role, name,
				  "exec keepalived -n -l -D -P -i %s -f %s -p %s/ka%d.pid "
				  "-r %s/ka%d-vrrp.pid", n->role, n->kconf, l->dir, d,
				  l->dir, d);
	cr_assert_gt(n->keepalived, 0);
}

bool lab_ha_has_vip(struct lab *l, struct lab_ha *h, int d)
{
	char gw[64] = "";

	if (h->gw)
		snprintf(gw, sizeof(gw), " && printf '%%s' \"$a\" | grep -q ' %s/24 '", h->gw);
	return lab_sh(l, "a=$(ip -n %s -4 -o addr show) && printf '%%s' \"$a\" | "
		      "grep -q ' %s/%d '%s", lab_ns(l, h->node[d].role), h->vip,
		      h->vip_len, gw) == 0;
}

int lab_ha_wait_role(struct lab *l, struct lab_ha *h, int d, const char *role,
		     int ms)
{
	return lab_wait_sh(l, ms, ADM " --socket %s --status 2>/dev/null | grep -q '^Role: %s'",
			   h->node[d].ctl, role);
}

void lab_ha_expect_master(struct lab *l, struct lab_ha *h, int d)
{
	long deadline = lab_now_ms() + 15000 * LAB_SLOW;
	char name[16];

	snprintf(name, sizeof(name), "keepalived%d", d);
	while (!lab_ha_has_vip(l, h, d) && lab_now_ms() < deadline)
		usleep(20000);
	cr_assert(lab_ha_has_vip(l, h, d), "dir%d never master: %s", d, lab_log(l, name));
	/* a director never told is master: wait for the hook's word */
	cr_assert_eq(lab_wait_sh(l, 10000, "grep -q 'GROUP nflvs: MASTER' %s/notify%d.log",
				 l->dir, d), 0, "%s", lab_log(l, name));
	cr_assert_eq(lab_ha_wait_role(l, h, d, "master", 15000), 0);
}

void lab_ha_lose(struct lab *l, struct lab_ha *h, int d, enum lab_ha_loss how)
{
	struct lab_ha_node *n = &h->node[d];

	/* signals only: the processes are reaped once the VIPs moved
	 * (lab_ha_reap), so that a slow exit is not counted as takeover */
	switch (how) {
	case LAB_HA_KILL:
		/* keepalived and its VRRP process at once (its process
		 * group): the child alone would be respawned, and the parent
		 * alone makes the child stop cleanly (priority 0) */
		kill(-n->keepalived, SIGKILL);
		kill(n->director, SIGKILL);
		break;
	case LAB_HA_LINK_CUT:
		/* the switch drops every frame from or to dir@d */
		cr_assert_eq(lab_sh(l, "printf '%%s\\n' 'table bridge cut {' "
				    "'chain pre { type filter hook prerouting priority 0; iifname { %s } drop; }' "
				    "'chain post { type filter hook postrouting priority 0; oifname { %s } drop; }' "
				    "'}' > %s/cut.nft && ip netns exec %s nft -f %s/cut.nft",
				    h->ports[d], h->ports[d], l->dir, lab_ns(l, h->sw), l->dir), 0);
		break;
	case LAB_HA_GRACEFUL:
		/* keepalived first, the director once the VIPs have gone, as
		 * a shutdown stops them (lab_ha_reap) */
		kill(n->keepalived, SIGTERM);
		break;
	case LAB_HA_ZOMBIE:
		kill(n->director, SIGKILL);
		break;
	}
}

/* The processes lab_ha_lose() signalled, reaped. */
static void lab_ha_reap(struct lab *l, struct lab_ha *h, int d, enum lab_ha_loss how)
{
	struct lab_ha_node *n = &h->node[d];
	char name[16];

	snprintf(name, sizeof(name), "keepalived%d", d);
	switch (how) {
	case LAB_HA_KILL:
		lab_stop(l, n->keepalived, SIGKILL, 2000);
		lab_stop(l, n->director, SIGKILL, 2000);
		break;
	case LAB_HA_GRACEFUL:
		cr_expect_eq(lab_stop(l, n->keepalived, SIGTERM, 5000), 0, "%s",
			     lab_log(l, name));
		cr_expect_eq(lab_stop(l, n->director, SIGTERM, 5000), 0);
		break;
	case LAB_HA_ZOMBIE:
		lab_stop(l, n->director, SIGKILL, 2000);
		break;
	case LAB_HA_LINK_CUT:
		break;
	}
}

/* A new connection through the VIP succeeds: ms after @t0, or -1. */
static long new_connection_after(struct lab *l, struct lab_ha *h, long t0, int ms)
{
	struct lab_tally t;

	do {
		if (lab_count(l, "cl", &t, "--tcp %s 80 -n 1 --timeout-ms 150", h->vip) == 0 &&
		    t.errors == 0)
			return lab_now_ms() - t0;
	} while (lab_now_ms() - t0 < ms);
	return -1;
}

#define HA_NEW_CONN_MS	(5000 * LAB_SLOW)	/* deadline for a new connection */

void lab_ha_failover(struct lab *l, struct lab_ha *h, int from, int to,
		     enum lab_ha_loss how, const char *what)
{
	long long r0;
	long t0, tvip = -1, tnew;

	r0 = lab_stat(l, "stream", "rounds_min");
	/* a cut counts from when it is in place (its nft command done) */
	if (how == LAB_HA_LINK_CUT)
		lab_ha_lose(l, h, from, how);
	t0 = lab_now_ms();
	if (how != LAB_HA_LINK_CUT)
		lab_ha_lose(l, h, from, how);
	do {
		if (lab_ha_has_vip(l, h, to)) {
			tvip = lab_now_ms() - t0;
			break;
		}
		usleep(2000);
	} while (lab_now_ms() - t0 < 10000 * LAB_SLOW);
	lab_ha_reap(l, h, from, how);
	cr_assert_geq(tvip, 0, "%s: dir%d never took the VIPs: %s", what, to,
		      lab_log(l, to == 1 ? "keepalived1" : "keepalived2"));
	/* the bound is 1 s (the zombie's check runs every second);
	 * the figure is logged, and the deadline leaves room for a loaded
	 * machine (tests/bench/ha.sh measures) */
	tnew = new_connection_after(l, h, t0, HA_NEW_CONN_MS);
	cr_log_info("HA %s: VIPs on dir%d after %ld ms, a new connection after %ld ms",
		    what, to, tvip, tnew);
	cr_expect(tnew >= 0 && tnew <= HA_NEW_CONN_MS,
		  "%s: no new connection within %d ms of the loss", what, HA_NEW_CONN_MS);
	cr_expect_eq(lab_ha_wait_role(l, h, to, "master", 5000), 0,
		     "%s: dir%d is not master", what, to);
	lab_stream_progress(l, r0, 25, h->conns, what);
}

void lab_one_server(struct lab *l, const char *vip, int n, char *name, size_t len)
{
	struct lab_tally t;

	name[0] = '\0';
	cr_assert_eq(lab_count(l, "cl", &t, "--tcp %s 80 -n %d", vip, n), 0);
	cr_expect_eq(t.errors, 0);
	cr_expect_eq(t.n, 1, "persistence: %d servers answered", t.n);
	if (t.n == 1 && t.count[0] == n)
		snprintf(name, len, "%s", t.name[0]);
}
