/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_SEQLOCK_H
#define NFLVS_SEQLOCK_H

/*
 * Seqlock over shared memory, part of the shm ABI (see shm.h).
 *
 * The protected data is copied with 32-bit relaxed atomic loads and stores,
 * so a reader racing a writer never has undefined behaviour; it only sees a
 * changed sequence and retries.  A writer that died mid-write leaves the
 * sequence odd; the next writer rounds it up, and a reader gives up after a
 * bounded number of tries instead of spinning forever.
 *
 * Data must be 4-byte aligned and its size a multiple of 4.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define NFLVS_SEQ_TRIES	1000

static inline void nflvs_seq_copy_in(void *dst, const void *src, size_t n)
{
	uint32_t *d = dst;
	const uint32_t *s = src;
	size_t i;

	for (i = 0; i < n / 4; i++)
		__atomic_store_n(&d[i], s[i], __ATOMIC_RELAXED);
}

static inline void nflvs_seq_copy_out(void *dst, const void *src, size_t n)
{
	uint32_t *d = dst;
	const uint32_t *s = src;
	size_t i;

	for (i = 0; i < n / 4; i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

static inline void nflvs_seq_write_begin(uint32_t *seq)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);

	s += s & 1;		/* a previous writer died mid-write */
	__atomic_store_n(seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void nflvs_seq_write_end(uint32_t *seq)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);

	__atomic_store_n(seq, s + 1, __ATOMIC_RELEASE);
}

/* Write @n bytes of @src into the live record @dst under @seq. */
static inline void nflvs_seq_write(uint32_t *seq, void *dst, const void *src,
				   size_t n)
{
	nflvs_seq_write_begin(seq);
	nflvs_seq_copy_in(dst, src, n);
	nflvs_seq_write_end(seq);
}

/*
 * Copy a consistent snapshot of @n bytes at @src (guarded by @seq) to @dst.
 * Returns 0, or -EAGAIN if no consistent copy was seen in NFLVS_SEQ_TRIES.
 */
static inline int nflvs_seq_read(const uint32_t *seq, void *dst,
				 const void *src, size_t n)
{
	uint32_t s1, s2;
	int tries;

	for (tries = 0; tries < NFLVS_SEQ_TRIES; tries++) {
		s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		nflvs_seq_copy_out(dst, src, n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return 0;
	}
	return -EAGAIN;
}

#endif
