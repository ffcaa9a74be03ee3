// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Exec checks as another user, and the security check of scripts run as
 * root (see script.h).  posix_spawn cannot change ids, so the switch is a
 * fork whose child uses only raw system calls until execve(); an execve()
 * error comes back through a close-on-exec pipe, as posix_spawn reports
 * it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "script.h"

static int script_check_one(const char *path, bool dir, char *why,
			    size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_uid != 0) {
		snprintf(why, len, "%s belongs to uid %u", path,
			 (unsigned int)st.st_uid);
		return 1;
	}
	if (dir && (st.st_mode & S_ISVTX))
		return 0;
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "%s is writable by %s", path,
			 st.st_mode & S_IWOTH ? "others" : "its group");
		return 1;
	}
	return 0;
}

int script_insecure(const char *path, char *why, size_t len)
{
	char *real = realpath(path, NULL), *slash;
	int ret;

	if (!real)
		return -errno;
	ret = script_check_one(real, false, why, len);
	/* then /a/b, /a and / */
	while (!ret && (slash = strrchr(real, '/'))) {
		if (slash == real) {
			ret = script_check_one("/", true, why, len);
			break;
		}
		*slash = '\0';
		ret = script_check_one(real, true, why, len);
	}
	free(real);
	return ret;
}

/* The child, between fork() and execve(): raw system calls only. */
static void script_child(const struct privs_user *u, char *const argv[],
			 char *const envp[], int stderr_fd, int errfd)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM,
		SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	size_t i;
	int fd, err;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &dfl, NULL);
	sigemptyset(&none);
	if (setpgid(0, 0) < 0 ||
	    syscall(SYS_setgroups, (size_t)u->ngroups, u->groups) < 0 ||
	    syscall(SYS_setresgid, u->gid, u->gid, u->gid) < 0 ||
	    syscall(SYS_setresuid, u->uid, u->uid, u->uid) < 0)
		goto fail;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 ||
	    dup2(stderr_fd, 2) < 0)
		goto fail;
	if (dup2(errfd, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	errfd = 3;
	syscall(SYS_close_range, 4u, ~0u, 0u);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
	execve(argv[0], argv, envp);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		err = 0;
	_exit(127);
}

int script_spawn_as(const struct privs_user *u, char *const argv[],
		    char *const envp[], int stderr_fd, pid_t *pid)
{
	int p[2], err = 0;
	ssize_t n;
	pid_t child;

	if (pipe2(p, O_CLOEXEC) < 0)
		return errno;
	child = fork();
	if (child < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (child == 0)
		script_child(u, argv, envp, stderr_fd, p[1]);
	close(p[1]);
	do
		n = read(p[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(child, NULL, 0);
		return err ? err : EIO;
	}
	*pid = child;
	return 0;
}
