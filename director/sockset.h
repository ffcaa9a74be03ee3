/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SOCKSET_H
#define NFLVS_SOCKSET_H

/*
 * A listening stream socket and its clients, served from the main loop's
 * poll(): the control socket and the metrics endpoint.  A client past the
 * last free slot is closed at once (it sees EOF and may retry).
 */

#include <poll.h>

#define SOCKSET_MAX	16

struct sockset {
	int lfd;			/* -1: not listening */
	int client[SOCKSET_MAX];	/* -1: free */
	int max;			/* slots in use */
	int timeout_ms;			/* a client's send/receive timeout */
};

void sockset_init(struct sockset *s, int max, int timeout_ms);
/* Start serving the listening socket @fd (bound, listening). */
void sockset_listen(struct sockset *s, int fd);
/* Close the listener and every client. */
void sockset_close(struct sockset *s);
/* The fds to poll, at most @max: the listener, then the clients. */
int sockset_pollfds(const struct sockset *s, struct pollfd *p, int max);
/* The listener is readable: take a client, if there is room. */
void sockset_accept(struct sockset *s);
/* The slot of client @fd, or -1. */
int sockset_slot(const struct sockset *s, int fd);
/* Close the client in @slot. */
void sockset_drop(struct sockset *s, int slot);

#endif
