/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef NFLVS_IMPORT_EMIT_H
#define NFLVS_IMPORT_EMIT_H

/*
 * The nflvs.conf being written: groups of settings in the order they were
 * set, each value a libconfig literal, a group, or a list of groups, and
 * comment lines before a group (where in keepalived.conf it came from).
 * emit_write() prints it in libconfig syntax.
 */

#include <stdint.h>
#include <stdio.h>

struct ogroup;

enum okind {
	O_LIT,
	O_GROUP,
	O_LIST,
};

struct okv {
	char *key;
	enum okind kind;
	char *lit;			/* O_LIT: the value as written */
	struct ogroup *grp;		/* O_GROUP */
	struct ogroup **items;		/* O_LIST */
	size_t nitems;
};

struct ogroup {
	struct okv *kv;
	size_t n;
	char **comment;			/* lines printed before the group */
	size_t ncomment;
};

struct ogroup *og_new(void);
void og_free(struct ogroup *g);
void og_comment(struct ogroup *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set @key (replacing an earlier value of it). */
void og_lit(struct ogroup *g, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void og_str(struct ogroup *g, const char *key, const char *s);
void og_int(struct ogroup *g, const char *key, long long v);
void og_secs(struct ogroup *g, const char *key, double v);
void og_bool(struct ogroup *g, const char *key, int v);
/* An array of strings ["a", "b"]. */
void og_strs(struct ogroup *g, const char *key, char *const *v);
struct ogroup *og_group(struct ogroup *g, const char *key);
/* Append a new group to the list @key. */
struct ogroup *og_list_add(struct ogroup *g, const char *key);
const struct okv *og_get(const struct ogroup *g, const char *key);
void og_del(struct ogroup *g, const char *key);

/* @s as a libconfig string literal, quotes included (malloc'd). */
char *og_quote(const char *s);

/* Print @top (a file's top-level settings). */
int emit_write(FILE *f, const struct ogroup *top, const char *header);

#endif
