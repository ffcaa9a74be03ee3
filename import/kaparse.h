/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_IMPORT_KAPARSE_H
#define NFLVS_IMPORT_KAPARSE_H

/*
 * keepalived.conf read as keepalived reads it (lib/parser.c): lines of
 * words, '#' and '!' comments outside double quotes, a trailing '\' joining
 * the next line, "double-quoted strings" as one word, '{' and '}' opening
 * and closing the block of the statement before them, and "include GLOB"
 * lines (relative to the directory of the file that includes them, as
 * keepalived changes into it) spliced in where they stand.  The result is a
 * tree of statements; what they mean is convert.c's business.
 */

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct ka_node {
	char **w;		/* the words, keepalived's split */
	int nw;
	char *raw;		/* the statement's text, for script keywords */
	const char *file;	/* owned by the tree */
	int line;
	bool block;		/* had a { } block (maybe empty) */
	struct ka_node *kids;
	size_t nkids;
	int end_line;		/* line of its '}' */
};

struct ka_tree {
	struct ka_node root;
	char **files;
	size_t nfiles;
};

/* Read @path into @t; problems go to @d.  Returns the number of errors. */
size_t ka_parse(const char *path, struct ka_tree *t, struct diag *d);
void ka_free(struct ka_tree *t);

/* The words of a script keyword (notify_up, misc_path): keepalived reads
 * the line again with quotes and escapes.  @script gets the command's
 * argv (NULL-terminated), @extra the words after it (a user name); both
 * are freed with ka_words_free().  Returns -1 on a quoting error. */
int ka_script_words(const struct ka_node *n, char ***script, char ***extra);
void ka_words_free(char **w);

/* The statement's keyword, or "" for an empty one. */
static inline const char *ka_key(const struct ka_node *n)
{
	return n->nw ? n->w[0] : "";
}

#endif
