// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capabilities and user switching (see privs.h).  The sets are read and
 * written with capget/capset, version 3 (two 32-bit words per set).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"

/* The kernel's last capability; CAP_LAST_CAP of the headers without it. */
static int privs_last_cap(void)
{
	char buf[16];
	int fd, last = CAP_LAST_CAP;
	ssize_t n;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return last;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		last = atoi(buf);
	}
	return last > 0 && last < 64 ? last : CAP_LAST_CAP;
}

int privs_get(struct privs_caps *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int privs_set(const struct privs_caps *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->eff, (uint32_t)c->prm, (uint32_t)c->inh },
		{ (uint32_t)(c->eff >> 32), (uint32_t)(c->prm >> 32),
		  (uint32_t)(c->inh >> 32) },
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int privs_limit(uint64_t keep, bool bound, uint64_t *kept)
{
	struct privs_caps c;
	int cap, last, ret;

	ret = privs_get(&c);
	if (ret)
		return ret;
	if (bound && (c.eff & PRIV_CAP(CAP_SETPCAP))) {
		last = privs_last_cap();
		for (cap = 0; cap <= last; cap++)
			if (!(keep & PRIV_CAP(cap)) &&
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
			    errno != EINVAL)
				return -errno;
	}
	/* EINVAL: a kernel before 4.3 has no ambient set to clear */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	c.prm &= keep;
	c.eff = c.prm;
	c.inh = 0;
	ret = privs_set(&c);
	if (!ret && kept)
		*kept = c.prm;
	return ret;
}

int privs_no_new(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

int privs_become(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		 uint64_t keep, uint64_t *kept)
{
	int ret;

	/* the permitted set survives the switch away from uid 0 */
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	if (setgroups((size_t)ngroups, groups) < 0 ||
	    setresgid(gid, gid, gid) < 0) {
		ret = -errno;
		goto out;
	}
	if (setresuid(uid, uid, uid) < 0) {
		ret = -errno;
		goto out;
	}
	ret = privs_limit(keep, false, kept);
out:
	if (keep)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return ret;
}

int privs_user_get(const char *name, struct privs_user *u)
{
	struct passwd *pw;

	/* errno after a miss says little (ENOENT, ESRCH, 0...) */
	pw = getpwnam(name);
	if (!pw)
		return -ENOENT;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->ngroups = PRIVS_GROUPS_MAX;
	if (getgrouplist(name, pw->pw_gid, u->groups, &u->ngroups) < 0) {
		/* more than we keep: the primary group only */
		u->groups[0] = pw->pw_gid;
		u->ngroups = 1;
	}
	return 0;
}

static const char *const cap_names[] = {
	[CAP_CHOWN] = "chown", [CAP_DAC_OVERRIDE] = "dac_override",
	[CAP_DAC_READ_SEARCH] = "dac_read_search", [CAP_FOWNER] = "fowner",
	[CAP_KILL] = "kill", [CAP_SETGID] = "setgid",
	[CAP_SETUID] = "setuid", [CAP_SETPCAP] = "setpcap",
	[CAP_NET_BIND_SERVICE] = "net_bind_service",
	[CAP_NET_ADMIN] = "net_admin", [CAP_NET_RAW] = "net_raw",
	[CAP_IPC_LOCK] = "ipc_lock", [CAP_IPC_OWNER] = "ipc_owner",
	[CAP_SYS_ADMIN] = "sys_admin", [CAP_SYS_RESOURCE] = "sys_resource",
	[CAP_BPF] = "bpf",
};

void privs_str(uint64_t caps, char *buf, size_t len)
{
	size_t off = 0;
	int cap, n;

	if (!len)
		return;
	buf[0] = '\0';
	if (!caps) {
		snprintf(buf, len, "none");
		return;
	}
	for (cap = 0; cap < 64 && off < len; cap++) {
		if (!(caps & PRIV_CAP(cap)))
			continue;
		if (cap < (int)(sizeof(cap_names) / sizeof(cap_names[0])) &&
		    cap_names[cap])
			n = snprintf(buf + off, len - off, "%scap_%s",
				     off ? "," : "", cap_names[cap]);
		else
			n = snprintf(buf + off, len - off, "%scap_%d",
				     off ? "," : "", cap);
		if (n < 0)
			return;
		off += (size_t)n;
	}
}

int privs_of_pid(pid_t pid, uint64_t *cap_eff, uid_t *ruid, uid_t *euid)
{
	char path[64], line[256];
	unsigned long r = 0, e = 0;
	unsigned long long eff = 0;
	int found = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			found |= 1;
		else if (sscanf(line, "CapEff: %llx", &eff) == 1)
			found |= 2;
	}
	fclose(f);
	if (found != 3)
		return -EPROTO;
	if (cap_eff)
		*cap_eff = eff;
	if (ruid)
		*ruid = (uid_t)r;
	if (euid)
		*euid = (uid_t)e;
	return 0;
}
