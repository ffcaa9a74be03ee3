/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_TEXTBUF_H
#define NFLVS_TEXTBUF_H

/* Text that grows as it is printed: the /metrics page, nflvsadm --status. */

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *buf;
	size_t len, cap;
	bool err;		/* out of memory: the text is gone */
};

void textbuf_printf(struct textbuf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The text (NUL-terminated, to free()) and its length; NULL if memory
 * ran out on the way.  @t is empty again. */
char *textbuf_take(struct textbuf *t, size_t *len);

#endif
