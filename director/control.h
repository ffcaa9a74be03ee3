/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CONTROL_H
#define NFLVS_CONTROL_H

/* The control socket nflvsadm talks to (include/nflvs/ctl.h). */

#include <poll.h>

#define CONTROL_CLIENTS	16

struct control {
	int lfd;
	int client[CONTROL_CLIENTS];
};

struct director;

int control_open(struct director *d);
void control_close(struct director *d);
/* The fds to poll (listener and clients), at most @max; and their work. */
int control_pollfds(struct director *d, struct pollfd *p, int max);
void control_handle(struct director *d, const struct pollfd *p, int n);

#endif
