// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"

void textbuf_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	char *nb;
	int n;

	while (!t->err) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL,
			      t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->err = true;
			break;
		}
		if (t->buf && t->len + n < t->cap) {
			t->len += n;
			return;
		}
		nb = realloc(t->buf, (t->cap + n + 1) * 2);
		if (!nb) {
			t->err = true;
			break;
		}
		t->buf = nb;
		t->cap = (t->cap + n + 1) * 2;
	}
	free(t->buf);
	memset(t, 0, sizeof(*t));
	t->err = true;
}

char *textbuf_take(struct textbuf *t, size_t *len)
{
	char *s = t->err ? NULL : t->buf;

	if (s)
		*len = t->len;
	else
		free(t->buf);
	memset(t, 0, sizeof(*t));
	return s;
}
