// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "readfile.h"

static int read_fd(int fd, size_t max, uint64_t deadline, char **buf,
		   size_t *len)
{
	size_t cap = 0, got = 0;
	char *b = NULL, *nb;
	ssize_t r;

	for (;;) {
		if (got + 1 >= cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (size_t)max + 2)
				cap = (size_t)max + 2;	/* one past: too big */
			if (!(nb = realloc(b, cap))) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		if (clock_mono_ns() > deadline) {
			free(b);
			return -ETIMEDOUT;
		}
		r = read(fd, b + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno == EAGAIN ? -EINVAL : -errno;

			free(b);
			return err;
		}
		if (r == 0)
			break;
		got += r;
		if (got > max) {
			free(b);
			return -EFBIG;
		}
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

int readfile(const char *path, size_t max, unsigned int timeout_ms,
	     char **buf, size_t *len)
{
	uint64_t deadline = clock_mono_ns() + (uint64_t)timeout_ms * 1000000;
	struct stat st;
	int fd, err;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO with no writer must not wait for one */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (S_ISDIR(st.st_mode))
		err = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((uintmax_t)st.st_size > max)
		err = -EFBIG;
	else
		err = read_fd(fd, max, deadline, buf, len);
	close(fd);
	return err;
}
