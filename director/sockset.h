/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SOCKSET_H
#define NFLVS_SOCKSET_H

/*
 * A listening stream socket and its clients, served from the main loop's
 * poll(): the control socket and the metrics endpoint.  The main loop never
 * waits on one client: every socket is non-blocking, what a client sent is
 * kept until it makes a whole request, and what it is answered is written
 * as it can take it.  A request has an overall deadline, from its first
 * byte to the last byte of its answer; a client past it is closed.  When
 * every slot is taken, a new client takes the slot of the client idle the
 * longest, or is closed at once (it sees EOF and may retry).
 */

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOCKSET_MAX	16

/* The length of the first request in @in (@len bytes so far): 0 while it
 * is not all there, -1 if it never will be (the client is closed). */
typedef ssize_t sockset_frame_fn(void *ctx, const void *in, size_t len);
/* Answer the request @req of @len bytes: the answer in *@out (malloc'ed,
 * may be NULL) of *@outlen bytes.  False: close once it is written. */
typedef bool sockset_serve_fn(void *ctx, const void *req, size_t len,
			      char **out, size_t *outlen);

struct sockclient {
	int fd;			/* -1: free */
	uint64_t deadline;	/* CLOCK_MONOTONIC ns; 0: idle */
	uint64_t idle_since;
	char *in, *out;
	size_t inlen, incap, outlen, outoff;
	bool last;		/* close once out is written */
};

struct sockset {
	int lfd;			/* -1: not listening */
	struct sockclient client[SOCKSET_MAX];
	int max;			/* slots in use */
	uint64_t timeout_ns;		/* of a request, all of it */
	size_t in_max;			/* bytes of one request */
	sockset_frame_fn *frame;
	sockset_serve_fn *serve;
	void *ctx;
	unsigned long long expired;	/* clients closed at their deadline */
};

void sockset_init(struct sockset *s, int max, unsigned int timeout_ms,
		  size_t in_max, sockset_frame_fn *frame,
		  sockset_serve_fn *serve, void *ctx);
/* Start serving the listening socket @fd (bound, listening, non-blocking). */
void sockset_listen(struct sockset *s, int fd);
/* Close the listener and every client. */
void sockset_close(struct sockset *s);
/* The fds to poll, at most @max: the listener, then the clients. */
int sockset_pollfds(const struct sockset *s, struct pollfd *p, int max);
/* What poll() said about the fds of sockset_pollfds(), at @now. */
void sockset_handle(struct sockset *s, const struct pollfd *p, int n,
		    uint64_t now);
/* Close the clients whose request is past its deadline at @now. */
void sockset_expire(struct sockset *s, uint64_t now);

#endif
