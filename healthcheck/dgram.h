/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_HC_DGRAM_H
#define NFLVS_HC_DGRAM_H

/*
 * What the datagram checks (dns, udp, ping) share: a connected UDP socket
 * that hears ICMP errors, and when to send a lost datagram again.
 */

#include <stddef.h>
#include <stdint.h>

#include "checker.h"

/* Copies of a datagram a check sends: at 0, 1/3 and 2/3 of its timeout. */
#define DGRAM_SENDS	3

/* The part of a dns or udp check's probe that this file runs. */
struct dgram_probe {
	struct target *t;
	struct watch w;
	struct timer resend;
	int sent;
	/* Send the datagram (again): 0 or an errno. */
	int (*send)(struct dgram_probe *d);
	/* The socket is readable: read, and end the check or not. */
	void (*recv)(struct dgram_probe *d);
};

/* Set @d up for @t: fn pointers are the caller's. */
void dgram_init(struct dgram_probe *d, struct target *t);
/* Connect, watch and send the first copy; ends the check on an error. */
void dgram_start(struct dgram_probe *d);
/* Close the socket, stop the copies (nothing else). */
void dgram_close(struct dgram_probe *d);
/* End the check: up with the configured weight, or failed. */
void dgram_up(struct dgram_probe *d);
void dgram_fail(struct dgram_probe *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * An error on the socket (@err from a call, 0 for EPOLLERR): an ICMP
 * destination unreachable, or @err other than EAGAIN, ends the check as
 * failed and returns true.
 */
bool dgram_error(struct dgram_probe *d, int err);
/*
 * The timeout passed: read what the socket holds (recv()), and if the
 * check is still running end it: up with @silence_ok, else failed with
 * @why or the common timeout text when @why is NULL.
 */
void dgram_expire(struct dgram_probe *d, bool silence_ok, const char *why);

/*
 * A non-blocking UDP socket connected to t->sa, with IP_RECVERR (or
 * IPV6_RECVERR) on so that ICMP errors queue up with their type and code.
 * Returns the fd or -errno.
 */
int dgram_connect(const struct target *t);

/*
 * Drain the socket's error queue.  Returns 1 and says which in @why
 * ("ICMP port unreachable") when an ICMP destination unreachable came
 * back, 0 when there was none (or only other errors), -errno if the queue
 * could not be read.
 */
int dgram_icmp_error(int fd, char *why, size_t len);

/* The name of ICMP (@v6: ICMPv6) destination unreachable code @code. */
const char *dgram_unreach_name(int code, int v6);

/* When copy @n (1 .. DGRAM_SENDS - 1) of @t's running check is due. */
uint64_t dgram_resend_at(const struct target *t, int n);

#endif
