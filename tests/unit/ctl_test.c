// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control protocol framing over socketpairs: round trips, every malformed
 * frame the receiver must refuse (with its errno, without crashing), and
 * the request checks the director runs on nflvsadm's payloads.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "ctlmsg.h"

static int sv[2] = { -1, -1 };

static void setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void teardown(void)
{
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sv[0] = sv[1] = -1;
}

TestSuite(ctl, .init = setup, .fini = teardown);

static struct nflvs_ctl_hdr hdr_of(uint16_t type, uint32_t len)
{
	return (struct nflvs_ctl_hdr){
		.magic = NFLVS_CTL_MAGIC, .version = NFLVS_CTL_VERSION,
		.type = type, .seq = 7, .len = len,
	};
}

static void raw_write(const void *p, size_t len)
{
	cr_assert_eq(write(sv[0], p, len), (ssize_t)len);
}

static int recv_small(struct nflvs_ctl_hdr *h)
{
	char buf[256];

	return ctl_recv(sv[1], h, buf, sizeof(buf));
}

/* Framing: good messages ------------------------------------------------ */

Test(ctl, round_trip_with_payload)
{
	struct nflvs_ctl_hdr h;
	char buf[64];
	const char msg[] = "hello, director";

	cr_assert_eq(ctl_send(sv[0], NFLVS_CTL_RELOAD, 42, -EINVAL, msg,
			      sizeof(msg)), 0);
	cr_assert_eq(ctl_recv(sv[1], &h, buf, sizeof(buf)), 1);
	cr_expect_eq(h.magic, NFLVS_CTL_MAGIC);
	cr_expect_eq(h.version, NFLVS_CTL_VERSION);
	cr_expect_eq(h.type, NFLVS_CTL_RELOAD);
	cr_expect_eq(h.seq, 42);
	cr_expect_eq(h.status, -EINVAL);
	cr_expect_eq(h.len, sizeof(msg));
	cr_expect_eq(h.reserved, 0);
	cr_expect_str_eq(buf, msg);
}

Test(ctl, round_trip_empty_payload_null_buffer)
{
	struct nflvs_ctl_hdr h;

	cr_assert_eq(ctl_send(sv[0], NFLVS_CTL_INFO, 1, 0, NULL, 0), 0);
	cr_assert_eq(ctl_recv(sv[1], &h, NULL, 0), 1);
	cr_expect_eq(h.type, NFLVS_CTL_INFO);
	cr_expect_eq(h.len, 0);
}

Test(ctl, sendv_pieces_arrive_as_one_payload)
{
	struct nflvs_ctl_svc svc = { .family = AF_INET, .port = 80 };
	struct nflvs_ctl_dest dest = { .family = AF_INET, .weight = 3 };
	struct iovec iov[3] = {
		{ &svc, sizeof(svc) }, { NULL, 0 }, { &dest, sizeof(dest) },
	};
	struct nflvs_ctl_hdr h;
	char buf[sizeof(svc) + sizeof(dest)];
	struct nflvs_ctl_dest got;

	cr_assert_eq(ctl_sendv(sv[0], NFLVS_CTL_ADD_DEST, 5, 0, iov, 3), 0);
	cr_assert_eq(ctl_recv(sv[1], &h, buf, sizeof(buf)), 1);
	cr_assert_eq(h.len, sizeof(buf));
	cr_expect_eq(ctl_check_request_len(h.type, h.len), 0);
	memcpy(&got, buf + sizeof(svc), sizeof(got));
	cr_expect_eq(got.weight, 3);
	cr_expect_eq(memcmp(buf, &svc, sizeof(svc)), 0);
}

/* Bigger than a socket buffer: the writer must loop on short writes. */
Test(ctl, large_payload_from_another_process)
{
	const uint32_t len = 4U << 20;
	struct nflvs_ctl_hdr h;
	uint8_t *buf = malloc(len);
	uint32_t i;
	pid_t pid;
	int st;

	cr_assert_not_null(buf);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		for (i = 0; i < len; i++)
			buf[i] = i * 31;
		_exit(ctl_send(sv[0], NFLVS_CTL_LIST, 9, 0, buf, len) ? 1 : 0);
	}
	memset(buf, 0, len);
	cr_assert_eq(ctl_recv(sv[1], &h, buf, len), 1);
	cr_assert_eq(h.len, len);
	for (i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(i * 31))
			break;
	cr_expect_eq(i, len, "payload differs at byte %u", i);
	waitpid(pid, &st, 0);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(buf);
}

Test(ctl, split_receive_sizes_the_buffer_from_the_header)
{
	struct nflvs_ctl_hdr h;
	char buf[8];

	cr_assert_eq(ctl_send(sv[0], NFLVS_CTL_CONNS, 3, 0, "abcdefg", 8), 0);
	cr_assert_eq(ctl_recv_hdr(sv[1], &h), 1);
	cr_assert_eq(h.len, 8);
	cr_assert_eq(ctl_recv_payload(sv[1], buf, h.len), 0);
	cr_expect_str_eq(buf, "abcdefg");
}

Test(ctl, reserved_is_ignored)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_FLUSH, 0), got;

	h.reserved = 0xdeadbeef;
	raw_write(&h, sizeof(h));
	cr_expect_eq(recv_small(&got), 1);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal in the middle of a read must not lose the frame. */
Test(ctl, eintr_is_retried)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 20000 },
				.it_interval = { 0, 20000 } };
	struct nflvs_ctl_hdr h;
	char buf[16];
	pid_t pid;

	sigaction(SIGALRM, &sa, NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct nflvs_ctl_hdr x = hdr_of(NFLVS_CTL_RELOAD, 5);

		usleep(100000);
		if (write(sv[0], &x, 10) != 10)
			_exit(1);
		usleep(100000);
		if (write(sv[0], (char *)&x + 10, sizeof(x) - 10) < 0)
			_exit(1);
		usleep(100000);
		_exit(write(sv[0], "oops", 5) == 5 ? 0 : 1);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	cr_expect_eq(ctl_recv(sv[1], &h, buf, sizeof(buf)), 1);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	cr_expect_str_eq(buf, "oops");
	waitpid(pid, NULL, 0);
}

/* Framing: bad messages ------------------------------------------------- */

Test(ctl, eof_before_a_message_is_zero)
{
	struct nflvs_ctl_hdr h;

	close(sv[0]);
	sv[0] = -1;
	cr_expect_eq(recv_small(&h), 0);
}

Test(ctl, bad_magic)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_INFO, 0), got;

	h.magic = 0x12345678;
	raw_write(&h, sizeof(h));
	cr_expect_eq(recv_small(&got), -EPROTO);
}

Test(ctl, bad_version)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_INFO, 0), got;

	h.version = 2;
	raw_write(&h, sizeof(h));
	cr_expect_eq(recv_small(&got), -EPROTONOSUPPORT);
}

/* An unknown type is refused but the stream stays in step. */
Test(ctl, unknown_type_keeps_the_stream_in_step)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_TYPE_MAX, 6), got;

	raw_write(&h, sizeof(h));
	raw_write("12345", 6);
	cr_expect_eq(recv_small(&got), -EOPNOTSUPP);
	cr_expect_eq(got.type, NFLVS_CTL_TYPE_MAX);
	cr_expect_eq(got.seq, 7);
	h = hdr_of(0, 0);
	raw_write(&h, sizeof(h));
	cr_expect_eq(recv_small(&got), -EOPNOTSUPP);
	cr_assert_eq(ctl_send(sv[0], NFLVS_CTL_INFO, 8, 0, NULL, 0), 0);
	cr_expect_eq(recv_small(&got), 1);
	cr_expect_eq(got.seq, 8);
}

Test(ctl, length_over_the_protocol_maximum)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_LIST, NFLVS_CTL_MAX_LEN + 1);
	struct nflvs_ctl_hdr got;

	raw_write(&h, sizeof(h));
	cr_expect_eq(recv_small(&got), -EMSGSIZE);
}

Test(ctl, length_over_the_callers_buffer)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_LIST, 1000), got;

	raw_write(&h, sizeof(h));
	cr_expect_eq(recv_small(&got), -EMSGSIZE);
}

Test(ctl, truncated_header)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_INFO, 0), got;

	raw_write(&h, 10);
	close(sv[0]);
	sv[0] = -1;
	cr_expect_eq(recv_small(&got), -ECONNRESET);
}

Test(ctl, truncated_payload)
{
	struct nflvs_ctl_hdr h = hdr_of(NFLVS_CTL_LIST, 100), got;

	raw_write(&h, sizeof(h));
	raw_write("short", 5);
	close(sv[0]);
	sv[0] = -1;
	cr_expect_eq(recv_small(&got), -ECONNRESET);
}

Test(ctl, truncated_payload_of_an_unknown_type)
{
	struct nflvs_ctl_hdr h = hdr_of(99, 100), got;

	raw_write(&h, sizeof(h));
	close(sv[0]);
	sv[0] = -1;
	cr_expect_eq(recv_small(&got), -ECONNRESET);
}

Test(ctl, receive_timeout_is_eagain)
{
	struct timeval tv = { 0, 50000 };
	struct nflvs_ctl_hdr got;

	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_expect_eq(recv_small(&got), -EAGAIN);
}

Test(ctl, send_refuses_bad_type_and_size)
{
	cr_expect_eq(ctl_send(sv[0], 0, 1, 0, NULL, 0), -EINVAL);
	cr_expect_eq(ctl_send(sv[0], NFLVS_CTL_TYPE_MAX, 1, 0, NULL, 0),
		     -EINVAL);
	cr_expect_eq(ctl_send(sv[0], NFLVS_CTL_LIST, 1, 0, "x",
			      NFLVS_CTL_MAX_LEN + 1), -EMSGSIZE);
}

/* A closed peer is an error, not a SIGPIPE. */
Test(ctl, send_to_a_closed_peer_is_epipe)
{
	close(sv[1]);
	sv[1] = -1;
	cr_expect_eq(ctl_send(sv[0], NFLVS_CTL_INFO, 1, 0, NULL, 0), -EPIPE);
}

/* Random headers and payloads: only the documented answers, no crash. */
Test(ctl, random_frames)
{
	unsigned int seed = 12345;
	int i, r;

	for (i = 0; i < 2000; i++) {
		struct nflvs_ctl_hdr h = hdr_of(rand_r(&seed) % 20,
						rand_r(&seed) % 300);
		struct nflvs_ctl_hdr got;
		char junk[300] = { 0 };

		if (rand_r(&seed) % 4 == 0)
			h.magic ^= 1U << (rand_r(&seed) % 32);
		if (rand_r(&seed) % 8 == 0)
			h.version = rand_r(&seed);
		raw_write(&h, sizeof(h));
		raw_write(junk, h.len);
		r = recv_small(&got);
		cr_assert(r == 1 || r == -EOPNOTSUPP || r == -EPROTO ||
			  r == -EPROTONOSUPPORT || r == -EMSGSIZE,
			  "unexpected %d", r);
		if (r != 1 && r != -EOPNOTSUPP) {
			/* out of step: start over on a fresh pair */
			teardown();
			setup();
		}
	}
}

Test(ctl, request_lengths)
{
	const uint32_t s = sizeof(struct nflvs_ctl_svc);
	const uint32_t d = sizeof(struct nflvs_ctl_dest);

	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_INFO, 0), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_INFO, 1), -EINVAL);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_LIST, 0), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_LIST, s), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_LIST, s - 1), -EINVAL);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_ZERO, s), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_ADD_SERVICE, s), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_ADD_SERVICE, 0), -EINVAL);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_DEL_DEST, s + d), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_DEL_DEST, s), -EINVAL);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_SET_TIMEOUT, 12), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_RELOAD, 4), -EINVAL);
	cr_expect_eq(ctl_check_request_len(99, 0), -EOPNOTSUPP);
	cr_expect_str_eq(ctl_type_name(NFLVS_CTL_EDIT_DEST), "EDIT_DEST");
	cr_expect_str_eq(ctl_type_name(0), "?");
}

/* BATCH payloads: a walk over good sub-requests, and every bad one. */
static size_t put_sub(uint8_t *b, size_t off, uint16_t type, uint32_t len)
{
	struct nflvs_ctl_hdr h = hdr_of(type, len);

	h.seq = 0;
	memcpy(b + off, &h, sizeof(h));
	memset(b + off + sizeof(h), 0x5a, len);
	return off + sizeof(h) + len;
}

static int walk(const uint8_t *b, uint32_t len, uint32_t *n)
{
	struct nflvs_ctl_hdr sub;
	const void *p;
	uint32_t off = 0;
	int r;

	*n = 0;
	while ((r = ctl_batch_next(b, len, &off, &sub, &p)) > 0) {
		cr_assert(ctl_batchable(sub.type));
		cr_assert_eq((const uint8_t *)p, b + off - sub.len);
		(*n)++;
	}
	return r;
}

Test(ctl, batch_walk_and_malformed_batches)
{
	const uint32_t s = sizeof(struct nflvs_ctl_svc);
	const uint32_t d = sizeof(struct nflvs_ctl_dest);
	uint8_t b[4096];
	struct nflvs_ctl_hdr h;
	size_t len = 0;
	uint32_t n;

	len = put_sub(b, len, NFLVS_CTL_FLUSH, 0);
	len = put_sub(b, len, NFLVS_CTL_ADD_SERVICE, s);
	len = put_sub(b, len, NFLVS_CTL_ADD_DEST, s + d);
	len = put_sub(b, len, NFLVS_CTL_DEL_SERVICE, s);
	cr_expect_eq(walk(b, len, &n), 0);
	cr_expect_eq(n, 4);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_BATCH, len), 0);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_BATCH, 0), -EINVAL);
	cr_expect_eq(ctl_check_request_len(NFLVS_CTL_BATCH, NFLVS_CTL_BATCH_MAX + 1), -EINVAL);
	cr_expect_str_eq(ctl_type_name(NFLVS_CTL_BATCH), "BATCH");
	/* cut anywhere but between sub-requests: refused after the whole ones */
	cr_expect_eq(walk(b, len - 1, &n), -EPROTO);
	cr_expect_eq(n, 3);
	cr_expect_eq(walk(b, sizeof(h) - 1, &n), -EPROTO);
	cr_expect_eq(n, 0);
	/* a length that runs past the end */
	memcpy(&h, b + sizeof(h), sizeof(h));
	h.len = len;
	memcpy(b + sizeof(h), &h, sizeof(h));
	cr_expect_eq(walk(b, len, &n), -EPROTO);
	cr_expect_eq(n, 1);
	/* a length that does not fit the type, bad magic, bad version */
	len = put_sub(b, 0, NFLVS_CTL_ADD_SERVICE, s - 4);
	cr_expect_eq(walk(b, len, &n), -EPROTO);
	len = put_sub(b, 0, NFLVS_CTL_FLUSH, 0);
	b[0] ^= 1;
	cr_expect_eq(walk(b, len, &n), -EPROTO);
	len = put_sub(b, 0, NFLVS_CTL_FLUSH, 0);
	b[4] ^= 1;
	cr_expect_eq(walk(b, len, &n), -EPROTO);
	/* what may not be batched: listings, RELOAD, a BATCH in a BATCH */
	len = put_sub(b, 0, NFLVS_CTL_RELOAD, 0);
	cr_expect_eq(walk(b, len, &n), -EPROTO);
	len = put_sub(b, 0, NFLVS_CTL_ZERO, 0);
	cr_expect_eq(walk(b, len, &n), -EPROTO);
	len = put_sub(b, 0, NFLVS_CTL_BATCH, sizeof(h));
	cr_expect_eq(walk(b, len, &n), -EPROTO);
	len = put_sub(b, 0, 999, 0);
	cr_expect_eq(walk(b, len, &n), -EPROTO);
}

/* Payload checks: services ---------------------------------------------- */

static struct nflvs_ctl_svc svc4(void)
{
	struct nflvs_ctl_svc s = {
		.family = AF_INET, .protocol = IPPROTO_TCP, .port = 80,
		.sched = "wlc", .netmask = 32,
	};

	inet_pton(AF_INET, "10.0.0.1", s.addr);
	return s;
}

#define EXPECT_SVC(s, err, text) do {					\
	const char *why_ = NULL;					\
	cr_expect_eq(ctl_check_svc(&(s), &why_), (err), "got %s",	\
		     why_ ? why_ : "no reason");			\
	if (err)							\
		cr_expect_str_eq(why_, (text));				\
} while (0)

Test(ctl, svc_valid)
{
	struct nflvs_ctl_svc s = svc4();

	EXPECT_SVC(s, 0, "");
	s.sched[0] = '\0';		/* keep / default */
	EXPECT_SVC(s, 0, "");
	s = svc4();
	s.family = AF_INET6;
	s.netmask = 128;
	inet_pton(AF_INET6, "2001:db8::1", s.addr);
	EXPECT_SVC(s, 0, "");
	s = svc4();
	s.stats.conns = 5;		/* reply-only fields are not looked at */
	s.ndests = 99;
	EXPECT_SVC(s, 0, "");
}

Test(ctl, svc_family_and_address)
{
	struct nflvs_ctl_svc s = svc4();

	s.family = AF_UNIX;
	EXPECT_SVC(s, -EINVAL, "address family is neither IPv4 nor IPv6");
	s = svc4();
	s.addr[7] = 1;
	EXPECT_SVC(s, -EINVAL, "IPv4 address with bytes set past the fourth");
	s = svc4();
	s.protocol = IPPROTO_ICMP;
	EXPECT_SVC(s, -EINVAL, "protocol is not TCP, UDP or SCTP");
}

Test(ctl, svc_fwmark)
{
	struct nflvs_ctl_svc s = svc4();

	memset(s.addr, 0, sizeof(s.addr));
	s.fwmark = 7;
	s.protocol = 0;
	s.port = 0;
	EXPECT_SVC(s, 0, "");
	s.port = 80;
	EXPECT_SVC(s, -EINVAL, "a fwmark service has no protocol, address or port");
	s.port = 0;
	s.addr[0] = 10;
	EXPECT_SVC(s, -EINVAL, "a fwmark service has no protocol, address or port");
	s.addr[0] = 0;
	s.family = 0;
	EXPECT_SVC(s, -EINVAL, "address family is neither IPv4 nor IPv6");
}

Test(ctl, svc_scheduler)
{
	struct nflvs_ctl_svc s = svc4();

	memset(s.sched, 'a', sizeof(s.sched));
	EXPECT_SVC(s, -EINVAL, "scheduler name is not a terminated string");
	strcpy(s.sched, "foo");
	EXPECT_SVC(s, -ENOENT, "unknown scheduler");
	strcpy(s.sched, "wlc");
	s.sched_flags = SCHED_F_SH_PORT;
	EXPECT_SVC(s, -EINVAL, "sh-port and sh-fallback need the sh scheduler");
	strcpy(s.sched, "sh");
	EXPECT_SVC(s, 0, "");
	s.sched_flags = SCHED_F_MH_FALLBACK;
	EXPECT_SVC(s, -EINVAL, "mh-port and mh-fallback need the mh scheduler");
	s.sched_flags = SCHED_F_MH_FALLBACK | SCHED_F_SH_PORT;
	EXPECT_SVC(s, -EINVAL, "sh-* and mh-* scheduler flags together");
	s.sched_flags = 0x100;
	EXPECT_SVC(s, -EINVAL, "unknown scheduler flags");
	s.sched[0] = '\0';		/* EDIT keeps the scheduler */
	s.sched_flags = SCHED_F_MH_PORT;
	EXPECT_SVC(s, 0, "");
}

Test(ctl, svc_persistence_port_and_flags)
{
	struct nflvs_ctl_svc s = svc4();

	s.port = 0;
	EXPECT_SVC(s, -EINVAL, "port 0 (any port) needs a persistent service");
	s.flags = NFLVS_CTL_SVC_F_PERSISTENT;
	s.timeout = 300;
	EXPECT_SVC(s, 0, "");
	s.timeout = 0;
	EXPECT_SVC(s, -EINVAL, "persistence timeout out of range (1..2678400)");
	s.timeout = NFLVS_CTL_MAX_TIMEOUT + 1;
	EXPECT_SVC(s, -EINVAL, "persistence timeout out of range (1..2678400)");
	s = svc4();
	s.flags = NFLVS_CTL_SVC_F_ONEPACKET;
	EXPECT_SVC(s, -EINVAL, "one-packet scheduling is only for UDP services");
	s.protocol = IPPROTO_UDP;
	EXPECT_SVC(s, 0, "");
	s.flags = 0x80;
	EXPECT_SVC(s, -EINVAL, "unknown service flags");
	s.flags = NFLVS_CTL_SVC_F_HASHED;
	EXPECT_SVC(s, -EINVAL, "unknown service flags");
}

Test(ctl, svc_netmask_by_family)
{
	struct nflvs_ctl_svc s = svc4();

	s.netmask = 0;
	EXPECT_SVC(s, -EINVAL, "persistence netmask out of range (1..32)");
	s.netmask = 33;
	EXPECT_SVC(s, -EINVAL, "persistence netmask out of range (1..32)");
	s.netmask = 24;
	EXPECT_SVC(s, 0, "");
	s.family = AF_INET6;
	s.netmask = 129;
	EXPECT_SVC(s, -EINVAL, "persistence netmask out of range (1..128)");
	s.netmask = 64;
	EXPECT_SVC(s, 0, "");
}

Test(ctl, svc_name)
{
	struct nflvs_ctl_svc s = svc4();

	memset(s.name, 'x', sizeof(s.name));
	EXPECT_SVC(s, -EINVAL,
		   "service name is not a terminated printable string");
	strcpy(s.name, "web\n");
	EXPECT_SVC(s, -EINVAL,
		   "service name is not a terminated printable string");
	strcpy(s.name, "web");
	EXPECT_SVC(s, 0, "");
}

Test(ctl, svc_id_only_for_lookups)
{
	struct nflvs_ctl_svc s = svc4();
	const char *why;

	s.port = 0;			/* -D -t 10.0.0.1 */
	s.netmask = 0;
	s.sched[0] = '\0';
	cr_expect_eq(ctl_check_svc_id(&s, &why), 0);
	s.family = 99;
	cr_expect_eq(ctl_check_svc_id(&s, &why), -EINVAL);
}

/* Payload checks: destinations ------------------------------------------ */

static struct nflvs_ctl_dest dest4(uint8_t fwd)
{
	struct nflvs_ctl_dest d = {
		.family = AF_INET, .fwd = fwd, .port = 80, .weight = 1,
	};

	inet_pton(AF_INET, "10.0.0.2", d.addr);
	return d;
}

#define EXPECT_DEST(t, s, d, err, text) do {				\
	const char *why_ = NULL;					\
	cr_expect_eq(ctl_check_dest((t), (s), &(d), &why_), (err),	\
		     "got %s", why_ ? why_ : "no reason");		\
	if (err)							\
		cr_expect_str_eq(why_, (text));				\
} while (0)

Test(ctl, dest_valid)
{
	struct nflvs_ctl_svc s = svc4();
	struct nflvs_ctl_dest d = dest4(NFLVS_CTL_FWD_NAT);

	EXPECT_DEST(NFLVS_CTL_ADD_DEST, &s, d, 0, "");
	d.port = 8080;			/* NAT may change the port */
	EXPECT_DEST(NFLVS_CTL_EDIT_DEST, &s, d, 0, "");
	d = dest4(NFLVS_CTL_FWD_DR);
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, &s, d, 0, "");
	d.last_error[0] = 'x';		/* reply-only, not looked at */
	d.health = 77;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, 0, "");
}

Test(ctl, dest_ranges)
{
	struct nflvs_ctl_dest d = dest4(NFLVS_CTL_FWD_NAT);

	d.fwd = NFLVS_CTL_FWD_LOCAL;	/* listing only */
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "forwarding method is not NAT, DR or TUN");
	d = dest4(NFLVS_CTL_FWD_NAT);
	d.weight = 65536;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "weight out of range (0..65535)");
	d.weight = -1;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "weight out of range (0..65535)");
	d.weight = 0;
	d.u_threshold = 0x80000000U;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "connection threshold out of range");
	d = dest4(NFLVS_CTL_FWD_NAT);
	d.family = AF_INET6 + 1;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "address family is neither IPv4 nor IPv6");
	EXPECT_DEST(NFLVS_CTL_ADD_SERVICE, NULL, d, -EINVAL,
		    "address family is neither IPv4 nor IPv6");
	d.family = AF_INET;
	EXPECT_DEST(NFLVS_CTL_LIST, NULL, d, -EINVAL,
		    "not a real-server request");
}

Test(ctl, dest_tunnels)
{
	struct nflvs_ctl_dest d = dest4(NFLVS_CTL_FWD_NAT);

	d.tun_type = NFLVS_CTL_TUN_GUE;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "tunnel options conflict with forward method");
	d = dest4(NFLVS_CTL_FWD_TUN);
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, 0, "");	/* ipip */
	d.tun_port = 6080;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "an ipip tunnel has no port or checksum options");
	d.tun_type = NFLVS_CTL_TUN_GUE;
	d.tun_flags = NFLVS_CTL_TUN_F_REMCSUM;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, 0, "");
	d.tun_flags |= NFLVS_CTL_TUN_F_CSUM;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "a gue tunnel takes one of csum and remcsum");
	d.tun_flags = 0;
	d.tun_port = 0;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "a gue tunnel needs a port");
	d.tun_type = NFLVS_CTL_TUN_GRE;
	d.tun_flags = NFLVS_CTL_TUN_F_CSUM;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, 0, "");
	d.tun_flags = NFLVS_CTL_TUN_F_REMCSUM;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "a gre tunnel takes only the csum flag");
	d.tun_flags = 0;
	d.tun_port = 1;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "a gre tunnel has no port");
	d.tun_type = 3;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, NULL, d, -EINVAL,
		    "tunnel type is not ipip, gue or gre");
}

Test(ctl, dest_against_its_service)
{
	struct nflvs_ctl_svc s = svc4();
	struct nflvs_ctl_dest d = dest4(NFLVS_CTL_FWD_DR);

	d.port = 8080;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, &s, d, -EINVAL,
		    "a DR or TUN real server has the service's port");
	EXPECT_DEST(NFLVS_CTL_DEL_DEST, &s, d, 0, "");	/* identity only */
	s.fwmark = 1;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, &s, d, 0, "");
	s = svc4();
	d = dest4(NFLVS_CTL_FWD_NAT);
	d.family = AF_INET6;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, &s, d, -EINVAL,
		    "different address family is allowed only for tunneling "
		    "servers");
	d.fwd = NFLVS_CTL_FWD_TUN;
	EXPECT_DEST(NFLVS_CTL_ADD_DEST, &s, d, 0, "");
}

Test(ctl, timeouts)
{
	struct nflvs_ctl_timeout t = { 900, 0, 300 };
	const char *why;

	cr_expect_eq(ctl_check_timeout(&t, &why), 0);
	t.udp = NFLVS_CTL_MAX_TIMEOUT + 1;
	cr_expect_eq(ctl_check_timeout(&t, &why), -EINVAL);
	cr_expect_str_eq(why, "timeout out of range (0..2678400)");
}

/* An empty piece of a reply that has no buffer yet: BATCH's empty reply
 * (UBSan saw a memcpy from NULL here). */
Test(ctl, reply_put_nothing_to_nothing)
{
	struct ctl_reply r = { 0 }, out = { 0 };

	cr_assert_eq(ctl_reply_put(&out, r.buf, r.len), 0);
	cr_expect_eq(out.len, 0);
	cr_assert_eq(ctl_reply_put(&out, "ab", 2), 0);
	cr_assert_eq(ctl_reply_put(&out, NULL, 0), 0);
	cr_expect_eq(out.len, 2);
	cr_expect_eq(memcmp(out.buf, "ab", 2), 0);
	free(out.buf);
}
