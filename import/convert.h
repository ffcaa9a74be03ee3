/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_IMPORT_CONVERT_H
#define NFLVS_IMPORT_CONVERT_H

/*
 * keepalived's meaning, mapped onto nflvs.conf: a parsed keepalived.conf
 * (kaparse.h) in, the settings of an nflvs.conf (emit.h) out, and every
 * keyword either converted or reported (diag.h).  The mapping is in
 * nflvs-import-keepalived(8).
 */

#include "diag.h"
#include "emit.h"
#include "kaparse.h"

/* Convert @t.  Returns the output (NULL when out of memory); it is
 * complete only when @d holds no error.  Free with og_free(). */
struct ogroup *convert_tree(const struct ka_tree *t, struct diag *d);

/* The whole way: read @path, convert, and write nflvs.conf text to @out
 * (nothing when there is an error).  Returns the number of errors. */
size_t convert_file(const char *path, FILE *out, struct diag *d);

#endif
