/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_CTLMSG_H
#define NFLVS_CTLMSG_H

/*
 * Framing and payload checks of the control protocol (include/nflvs/ctl.h),
 * shared by nflvs-director and nflvsadm.  Every function returns 0 (or a
 * count) or -errno and never prints.  The fds are blocking stream sockets;
 * a timeout set with SO_RCVTIMEO/SO_SNDTIMEO comes back as -EAGAIN.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "nflvs/ctl.h"

/*
 * Send one message: the header, then @len bytes of @payload (or the @iovcnt
 * pieces of @iov).  Short writes and EINTR are retried; no SIGPIPE.
 * -EMSGSIZE if the payload is over NFLVS_CTL_MAX_LEN, -EINVAL for a bad
 * type, else the errno of the write.
 */
int ctl_send(int fd, uint16_t type, uint32_t seq, int32_t status,
	     const void *payload, uint32_t len);
int ctl_sendv(int fd, uint16_t type, uint32_t seq, int32_t status,
	      const struct iovec *iov, int iovcnt);
/* The same by @deadline (CLOCK_MONOTONIC ns, clock.h; 0: none), however
 * slowly the peer takes it: -ETIMEDOUT past it. */
int ctl_send_until(int fd, uint16_t type, uint32_t seq, int32_t status,
		   const void *payload, uint32_t len, uint64_t deadline);
int ctl_sendv_until(int fd, uint16_t type, uint32_t seq, int32_t status,
		    const struct iovec *iov, int iovcnt, uint64_t deadline);
/* The header of a message of @len payload bytes, for who frames it. */
void ctl_hdr_init(struct nflvs_ctl_hdr *hdr, uint16_t type, uint32_t seq,
		  int32_t status, uint32_t len);

/*
 * Receive one message into @hdr and @buf (@maxlen bytes).  Returns 1 with
 * hdr->len payload bytes in @buf, 0 on EOF before the first byte, or:
 *   -ECONNRESET       EOF in the middle of the header or the payload
 *   -EPROTO           bad magic
 *   -EPROTONOSUPPORT  another protocol version
 *   -EMSGSIZE         len over NFLVS_CTL_MAX_LEN or over @maxlen
 *   -EOPNOTSUPP       unknown type; its payload was read and dropped, so
 *                     the stream is still in step and @hdr is valid (the
 *                     director can answer it)
 *   -errno            of read(); -EAGAIN when SO_RCVTIMEO expired
 * After any other negative return the stream is out of step: close it.
 */
int ctl_recv(int fd, struct nflvs_ctl_hdr *hdr, void *buf, uint32_t maxlen);

/*
 * ctl_recv() into a buffer of its own (*@buf, malloc()ed, to free() after
 * a return of 1): at most @batch_maxlen payload bytes for a BATCH,
 * @maxlen for the other types (-EMSGSIZE past that); -ENOMEM.
 */
int ctl_recv_alloc(int fd, struct nflvs_ctl_hdr *hdr, void **buf,
		   uint32_t maxlen, uint32_t batch_maxlen);

/* The two halves of ctl_recv(), for a caller that sizes its buffer from
 * the header: ctl_recv_hdr() checks magic, version and len (not the type)
 * and returns 1, 0 or -errno as above; ctl_recv_payload() returns 0. */
int ctl_recv_hdr(int fd, struct nflvs_ctl_hdr *hdr);
int ctl_recv_payload(int fd, void *buf, uint32_t len);
/* The same by @deadline, as ctl_send_until(). */
int ctl_recv_hdr_until(int fd, struct nflvs_ctl_hdr *hdr, uint64_t deadline);
int ctl_recv_payload_until(int fd, void *buf, uint32_t len,
			   uint64_t deadline);

/* The header alone, as ctl_recv_hdr() checks it (and the type). */
int ctl_check_hdr(const struct nflvs_ctl_hdr *hdr);

/* -EINVAL when a request's payload length does not fit its type. */
int ctl_check_request_len(uint16_t type, uint32_t len);

/* Whether a request of @type may be part of a BATCH. */
bool ctl_batchable(uint16_t type);

/*
 * The next sub-request of a BATCH payload (@buf, @len) at *@off: its
 * header copied to @sub, its payload at *@payload (in @buf, unaligned),
 * *@off moved past it.  Returns 1, 0 at the end, or -EPROTO for a header
 * that is cut short or not valid, a type that may not be batched, a
 * length that does not fit the type or runs past the end.
 */
int ctl_batch_next(const void *buf, uint32_t len, uint32_t *off,
		   struct nflvs_ctl_hdr *sub, const void **payload);

/*
 * Payload checks for requests, as the kernel checks ipvsadm's: 0, or
 * -EINVAL with *@why set to a static sentence saying what is wrong.  An
 * unknown scheduler is -ENOENT (ipvsadm: "Scheduler or persistence engine
 * not found").  Fields that only replies fill (stats, counters, health) are
 * not looked at.
 */
/* The whole service of ADD_SERVICE and EDIT_SERVICE. */
int ctl_check_svc(const struct nflvs_ctl_svc *svc, const char **why);

/*
 * Only what identifies a service (family, protocol, address, port or
 * fwmark): for the service of DEL_SERVICE, LIST, ZERO and *_DEST, which
 * ipvsadm fills with its defaults (port 0 without -p is fine there).
 */
int ctl_check_svc_id(const struct nflvs_ctl_svc *svc, const char **why);

/*
 * @type is the request (ADD/EDIT/DEL_DEST): a DEL_DEST only needs the
 * destination's identity (family, address, port).  @svc, when not NULL, is
 * the service it goes to (family and port rules).
 */
int ctl_check_dest(uint16_t type, const struct nflvs_ctl_svc *svc,
		   const struct nflvs_ctl_dest *dest, const char **why);
/* START_DAEMON (@start) and STOP_DAEMON requests: 0, or -EINVAL with @why. */
int ctl_check_daemon(const struct nflvs_ctl_daemon *d, bool start,
		     const char **why);
int ctl_check_timeout(const struct nflvs_ctl_timeout *t, const char **why);

/* "LIST", "ADD_SERVICE", ...; "?" for anything else. */
const char *ctl_type_name(uint16_t type);

#endif
