// SPDX-License-Identifier: GPL-2.0-or-later
/* The converter's messages, kept in the order they were found. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static void diag_vadd(struct diag *d, bool err, const char *file, int line,
		      const char *fmt, va_list ap)
{
	char *text = NULL, *msg = NULL, **grown;
	size_t i;

	if (vasprintf(&text, fmt, ap) < 0) {
		d->nerr += err;		/* an error must not be lost */
		return;
	}
	if ((line > 0 ? asprintf(&msg, "%s:%d: %s%s", file, line,
				 err ? "" : "warning: ", text)
		      : asprintf(&msg, "%s: %s%s", file,
				 err ? "" : "warning: ", text)) < 0) {
		free(text);
		d->nerr += err;
		return;
	}
	free(text);
	for (i = 0; i < d->n; i++) {
		if (!strcmp(d->msg[i], msg)) {
			free(msg);
			return;
		}
	}
	grown = realloc(d->msg, (d->n + 1) * sizeof(*grown));
	if (!grown) {
		free(msg);
		d->nerr += err;
		return;
	}
	d->msg = grown;
	d->msg[d->n++] = msg;
	if (err)
		d->nerr++;
	else
		d->nwarn++;
}

void diag_error(struct diag *d, const char *file, int line,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, true, file, line, fmt, ap);
	va_end(ap);
}

void diag_warn(struct diag *d, const char *file, int line,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, false, file, line, fmt, ap);
	va_end(ap);
}

void diag_free(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	memset(d, 0, sizeof(*d));
}
