// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keepalived's configuration syntax, read into a tree of statements.  The
 * rules follow keepalived's lib/parser.c: decomment() for comments and
 * continuation lines, alloc_strvec_r() for words, the split of a line at
 * its first '{' or '}' outside quotes, and check_include() for includes.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kaparse.h"

#define KA_INCLUDE_DEPTH	32

struct reader {
	struct ka_tree *t;
	struct diag *d;
	struct ka_node *stack[64];	/* open blocks; stack[0] = root */
	int depth;
	int incdepth;
};

/* ---- words ------------------------------------------------------------ */

static int words_push(char ***w, int *n, const char *s, size_t len)
{
	char **grown = realloc(*w, (*n + 2) * sizeof(**w));

	if (!grown)
		return -ENOMEM;
	*w = grown;
	grown[*n] = strndup(s, len);
	if (!grown[*n])
		return -ENOMEM;
	grown[++*n] = NULL;
	return 0;
}

void ka_words_free(char **w)
{
	char **p;

	for (p = w; p && *p; p++)
		free(*p);
	free(w);
}

/* alloc_strvec_r(): a "quoted" word is one word; otherwise words end at
 * white space or a quote.  -1: a quote is not closed. */
static int split_plain(const char *s, char ***w, int *n)
{
	const char *end;

	for (;;) {
		s += strspn(s, " \t\f\n\r\v");
		if (!*s)
			return 0;
		if (*s == '"') {
			end = strchr(s + 1, '"');
			if (!end)
				return -1;
			if (words_push(w, n, s + 1, (size_t)(end - s - 1)))
				return -ENOMEM;
			s = end + 1;
			continue;
		}
		end = s + strcspn(s, " \t\f\n\r\v\"");
		if (words_push(w, n, s, (size_t)(end - s)))
			return -ENOMEM;
		s = end;
	}
}

static char unescape(const char **pp)
{
	const char *p = *pp;
	char c = 0;
	int i;

	if (*p == 'x' && isxdigit((unsigned char)p[1])) {
		for (p++, i = 0; i < 2 && isxdigit((unsigned char)*p); i++, p++)
			c = (char)(c << 4 | (isdigit((unsigned char)*p) ? *p - '0'
					     : tolower((unsigned char)*p) - 'a' + 10));
	} else if (*p == 'c' && p[1]) {
		c = p[1] & 0x1f;
		p += 2;
	} else if (*p >= '0' && *p <= '7') {
		for (i = 0; i < 3 && *p >= '0' && *p <= '7'; i++, p++)
			c = (char)(c << 3 | (*p - '0'));
	} else {
		const char *from = "abEfnrtv", *to = "\a\b\x1b\f\n\r\t\v";
		const char *k = strchr(from, *p);

		c = k && *p ? to[k - from] : *p;
		p++;
	}
	*pp = p;
	return c;
}

/* alloc_strvec_quoted_escaped_common(): words with '…' and "…" parts,
 * backslash escapes kept (escapes false) or decoded (true). */
static int split_quoted(const char *s, bool escapes, char ***w, int *n)
{
	size_t cap = strlen(s) + 1, k;
	char *buf = malloc(cap), quote;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!err) {
		s += strspn(s, " \t\f\n\r\v");
		if (!*s)
			break;
		for (k = 0, quote = 0; *s; ) {
			if (*s == '\\') {
				if (!*++s) {
					err = -1;
					break;
				}
				if (escapes) {
					buf[k++] = unescape(&s);
				} else {
					buf[k++] = '\\';
					buf[k++] = *s++;
				}
			} else if (quote && *s == quote) {
				quote = 0;
				s++;
			} else if (!quote && (*s == '"' || *s == '\'')) {
				quote = *s++;
			} else if (!quote && strchr(" \t\f\n\r\v", *s)) {
				break;
			} else {
				buf[k++] = *s++;
			}
		}
		if (quote)
			err = -1;
		if (!err)
			err = words_push(w, n, buf, k);
	}
	free(buf);
	return err;
}

int ka_script_words(const struct ka_node *n, char ***script, char ***extra)
{
	char **outer = NULL;
	int nouter = 0, nscript = 0, nextra = 0, i, err;

	*script = *extra = NULL;
	err = split_quoted(n->raw, false, &outer, &nouter);
	if (!err && nouter >= 2)
		err = split_quoted(outer[1], true, script, &nscript);
	for (i = 2; !err && i < nouter; i++)
		err = words_push(extra, &nextra, outer[i], strlen(outer[i]));
	ka_words_free(outer);
	if (err) {
		ka_words_free(*script);
		ka_words_free(*extra);
		*script = *extra = NULL;
		return -1;
	}
	return 0;
}

/* ---- lines -------------------------------------------------------------- */

/* decomment(): cut '#' and '!' comments outside double quotes ('\#' is a
 * '#'); true if the line ends in '\' (it goes on on the next one). */
static bool decomment(char *s, bool *open_quote)
{
	bool quote = false;
	char *p = s;

	while ((p = strpbrk(p, "!#\"\\"))) {
		if (*p == '"') {
			quote = !quote;
			p++;
		} else if (*p == '\\') {
			if (!p[1]) {
				*p = '\0';
				*open_quote = quote;
				return true;
			}
			if (!quote && (p[1] == '#' || p[1] == '!'))
				memmove(p, p + 1, strlen(p));
			p += p[1] ? 2 : 1;
		} else if (!quote) {
			*p = '\0';
			break;
		} else {
			p++;
		}
	}
	*open_quote = quote;
	return false;
}

static char *trim(char *s)
{
	char *e;

	s += strspn(s, " \t\r\n\f\v");
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* ---- the tree ------------------------------------------------------------ */

static struct ka_node *node_add(struct reader *r, const char *file, int line)
{
	struct ka_node *top = r->stack[r->depth], *grown;

	grown = realloc(top->kids, (top->nkids + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	top->kids = grown;
	grown += top->nkids++;
	memset(grown, 0, sizeof(*grown));
	grown->file = file;
	grown->line = line;
	return grown;
}

/* One statement: the text between braces or line ends. */
static void statement(struct reader *r, const char *file, int line,
		      const char *text, size_t len)
{
	struct ka_node *n;
	char *raw = strndup(text, len), *t;

	if (!raw)
		return;
	t = trim(raw);
	if (!*t) {
		free(raw);
		return;
	}
	n = node_add(r, file, line);
	if (!n) {
		free(raw);
		return;
	}
	memmove(raw, t, strlen(t) + 1);
	n->raw = raw;
	if (split_plain(raw, &n->w, &n->nw) < 0)
		diag_error(r->d, file, line, "missing closing quote: %s", raw);
}

static void brace_open(struct reader *r, const char *file, int line)
{
	struct ka_node *top = r->stack[r->depth], *last;

	last = top->nkids ? &top->kids[top->nkids - 1] : NULL;
	if (!last || last->block) {
		diag_error(r->d, file, line, "unexpected '{' (no keyword before it)");
		last = node_add(r, file, line);	/* keep the nesting */
		if (!last)
			return;
	}
	if (r->depth + 1 >= (int)(sizeof(r->stack) / sizeof(r->stack[0]))) {
		diag_error(r->d, file, line, "blocks nested too deep");
		return;
	}
	last->block = true;
	r->stack[++r->depth] = last;
}

static void brace_close(struct reader *r, const char *file, int line)
{
	if (!r->depth) {
		diag_error(r->d, file, line, "unexpected '}' (no block is open)");
		return;
	}
	r->stack[r->depth--]->end_line = line;
}

/* A whole logical line: statements split at '{' and '}' outside quotes. */
static void line_parse(struct reader *r, const char *file, int line,
		       const char *s)
{
	const char *start = s;
	bool quote = false;

	for (; *s; s++) {
		if (*s == '"')
			quote = !quote;
		if (quote || (*s != '{' && *s != '}'))
			continue;
		statement(r, file, line, start, (size_t)(s - start));
		if (*s == '{')
			brace_open(r, file, line);
		else
			brace_close(r, file, line);
		start = s + 1;
	}
	statement(r, file, line, start, (size_t)(s - start));
}

static void file_read(struct reader *r, const char *path, const char *from,
		      int from_line);

/* "include GLOB" (and keepalived's includer, includem ... forms). */
static bool include_line(struct reader *r, const char *file, int line,
			 const char *s)
{
	char *pat, *dir, *tmp;
	const char *arg;
	glob_t g;
	size_t i;
	int rc;

	if (strncmp(s, "include", 7) ||
	    !(isblank((unsigned char)s[7]) ||
	      (s[7] && strchr("rmwba", s[7]) && isblank((unsigned char)s[8]))))
		return false;
	arg = s + (isblank((unsigned char)s[7]) ? 8 : 9);
	arg += strspn(arg, " \t");
	if (!*arg) {
		diag_error(r->d, file, line, "include: no file named");
		return true;
	}
	tmp = strdup(file);
	dir = tmp ? dirname(tmp) : NULL;
	if (!dir || (*arg == '/' ? asprintf(&pat, "%s", arg)
				 : asprintf(&pat, "%s/%s", dir, arg)) < 0) {
		free(tmp);
		return true;
	}
	free(tmp);
	rc = glob(pat, GLOB_BRACE, NULL, &g);
	if (rc == GLOB_NOMATCH)
		diag_warn(r->d, file, line, "include %s: no file matches", arg);
	else if (rc)
		diag_error(r->d, file, line, "include %s: cannot read", arg);
	for (i = 0; !rc && i < g.gl_pathc; i++)
		file_read(r, g.gl_pathv[i], file, line);
	if (!rc)
		globfree(&g);
	free(pat);
	return true;
}

static const char *file_keep(struct reader *r, const char *path)
{
	char **grown = realloc(r->t->files, (r->t->nfiles + 1) * sizeof(*grown));
	char *copy = strdup(path);

	if (!grown || !copy) {
		free(copy);
		if (grown)
			r->t->files = grown;
		return NULL;
	}
	r->t->files = grown;
	grown[r->t->nfiles++] = copy;
	return copy;
}

/* Append the next physical line to @buf (continuations), false at EOF. */
static bool line_get(FILE *f, char **buf, size_t *cap, int *lineno)
{
	ssize_t n = getline(buf, cap, f);

	if (n < 0)
		return false;
	(*lineno)++;
	return true;
}

static void lines_read(struct reader *r, FILE *f, const char *file)
{
	char *buf = NULL, *logical = NULL, *s;
	size_t cap = 0, len = 0;
	int lineno = 0, first = 0;
	bool more, quote;

	while (line_get(f, &buf, &cap, &lineno)) {
		buf[strcspn(buf, "\n")] = '\0';
		more = decomment(buf, &quote);
		s = realloc(logical, len + strlen(buf) + 2);
		if (!s)
			break;
		logical = s;
		if (!len)
			first = lineno;
		len += (size_t)sprintf(logical + len, "%s%s", len ? " " : "", buf);
		if (more)
			continue;
		s = trim(logical);
		if (quote)
			diag_error(r->d, file, first, "missing closing quote: %s",
				   s);
		else if (*s && !include_line(r, file, first, s)) {
			if (*s == '@' || (*s == '$' && strchr(s, '=')))
				diag_error(r->d, file, first, "%s: keepalived's "
					   "conditional lines and parameters are "
					   "not supported: expand them first "
					   "(keepalived -d -c writes the "
					   "result)", s);
			else
				line_parse(r, file, first, s);
		}
		len = 0;
	}
	free(buf);
	free(logical);
}

static void file_read(struct reader *r, const char *path, const char *from,
		      int from_line)
{
	const char *file;
	FILE *f;

	if (r->incdepth >= KA_INCLUDE_DEPTH) {
		diag_error(r->d, from, from_line,
			   "include %s: includes nested too deep (a loop?)",
			   path);
		return;
	}
	f = fopen(path, "re");
	if (!f) {
		if (from)
			diag_error(r->d, from, from_line, "include %s: %s",
				   path, strerror(errno));
		else
			diag_error(r->d, path, 0, "cannot read: %s",
				   strerror(errno));
		return;
	}
	file = file_keep(r, path);
	if (file) {
		r->incdepth++;
		lines_read(r, f, file);
		r->incdepth--;
	}
	fclose(f);
}

size_t ka_parse(const char *path, struct ka_tree *t, struct diag *d)
{
	struct reader r = { .t = t, .d = d };
	size_t before = d->nerr;

	memset(t, 0, sizeof(*t));
	r.stack[0] = &t->root;
	file_read(&r, path, NULL, 0);
	while (r.depth > 0) {
		struct ka_node *n = r.stack[r.depth--];

		diag_error(d, n->file, n->line, "%s: block not closed ('}' "
			   "missing)", ka_key(n));
	}
	return d->nerr - before;
}

static void node_free(struct ka_node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	ka_words_free(n->w);
	free(n->raw);
}

void ka_free(struct ka_tree *t)
{
	size_t i;

	node_free(&t->root);
	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	memset(t, 0, sizeof(*t));
}
