// SPDX-License-Identifier: GPL-2.0-or-later
/* The output's settings in memory, and their libconfig text. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

struct ogroup *og_new(void)
{
	return calloc(1, sizeof(struct ogroup));
}

static void okv_clear(struct okv *kv)
{
	size_t i;

	free(kv->lit);
	og_free(kv->grp);
	for (i = 0; i < kv->nitems; i++)
		og_free(kv->items[i]);
	free(kv->items);
	kv->lit = NULL;
	kv->grp = NULL;
	kv->items = NULL;
	kv->nitems = 0;
}

void og_free(struct ogroup *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++) {
		okv_clear(&g->kv[i]);
		free(g->kv[i].key);
	}
	for (i = 0; i < g->ncomment; i++)
		free(g->comment[i]);
	free(g->comment);
	free(g->kv);
	free(g);
}

void og_comment(struct ogroup *g, const char *fmt, ...)
{
	char *line = NULL, **grown;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return;
	grown = realloc(g->comment, (g->ncomment + 1) * sizeof(*grown));
	if (!grown) {
		free(line);
		return;
	}
	g->comment = grown;
	grown[g->ncomment++] = line;
}

/* The slot of @key, made (at the end) if missing, emptied if there. */
static struct okv *slot(struct ogroup *g, const char *key)
{
	struct okv *grown;
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (!strcmp(g->kv[i].key, key)) {
			okv_clear(&g->kv[i]);
			return &g->kv[i];
		}
	}
	grown = realloc(g->kv, (g->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	g->kv = grown;
	memset(&grown[g->n], 0, sizeof(*grown));
	grown[g->n].key = strdup(key);
	if (!grown[g->n].key)
		return NULL;
	return &grown[g->n++];
}

const struct okv *og_get(const struct ogroup *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->kv[i].key, key))
			return &g->kv[i];
	return NULL;
}

void og_del(struct ogroup *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (strcmp(g->kv[i].key, key))
			continue;
		okv_clear(&g->kv[i]);
		free(g->kv[i].key);
		memmove(&g->kv[i], &g->kv[i + 1], (g->n - i - 1) * sizeof(*g->kv));
		g->n--;
		return;
	}
}

static void set_lit(struct ogroup *g, const char *key, char *lit)
{
	struct okv *kv = lit ? slot(g, key) : NULL;

	if (!kv) {
		free(lit);
		return;
	}
	kv->kind = O_LIT;
	kv->lit = lit;
}

void og_lit(struct ogroup *g, const char *key, const char *fmt, ...)
{
	char *lit = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&lit, fmt, ap);
	va_end(ap);
	set_lit(g, key, rc < 0 ? NULL : lit);
}

char *og_quote(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * n + 3), *p = out;

	if (!out)
		return NULL;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c == '\n' || c == '\t' || c == '\r' || c == '\f') {
			*p++ = '\\';
			*p++ = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : 'f';
		} else if (c < 0x20 || c == 0x7f) {
			p += sprintf(p, "\\x%02x", c);
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

void og_str(struct ogroup *g, const char *key, const char *s)
{
	set_lit(g, key, og_quote(s));
}

void og_int(struct ogroup *g, const char *key, long long v)
{
	/* libconfig reads a decimal above 2^31-1 as 64 bits only with L */
	og_lit(g, key, v > 2147483647LL || v < -2147483648LL ? "%lldL" : "%lld",
	       v);
}

void og_secs(struct ogroup *g, const char *key, double v)
{
	if (v == (double)(long long)v)
		og_lit(g, key, "%lld", (long long)v);
	else
		og_lit(g, key, "%.6g", v);
}

void og_bool(struct ogroup *g, const char *key, int v)
{
	og_lit(g, key, "%s", v ? "true" : "false");
}

void og_strs(struct ogroup *g, const char *key, char *const *v)
{
	size_t len = 3, i;
	char *lit, *q;

	for (i = 0; v[i]; i++)
		len += 4 * strlen(v[i]) + 5;
	lit = malloc(len);
	if (!lit)
		return;
	strcpy(lit, "[ ");
	for (i = 0; v[i]; i++) {
		q = og_quote(v[i]);
		if (!q) {
			free(lit);
			return;
		}
		strcat(lit, q);
		strcat(lit, v[i + 1] ? ", " : " ");
		free(q);
	}
	strcat(lit, "]");
	set_lit(g, key, lit);
}

struct ogroup *og_group(struct ogroup *g, const char *key)
{
	struct okv *kv = slot(g, key);

	if (!kv)
		return NULL;
	kv->kind = O_GROUP;
	kv->grp = og_new();
	return kv->grp;
}

struct ogroup *og_list_add(struct ogroup *g, const char *key)
{
	struct ogroup **grown, *item;
	struct okv *kv = NULL;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->kv[i].key, key) && g->kv[i].kind == O_LIST)
			kv = &g->kv[i];
	if (!kv) {
		kv = slot(g, key);
		if (!kv)
			return NULL;
		kv->kind = O_LIST;
	}
	item = og_new();
	grown = item ? realloc(kv->items, (kv->nitems + 1) * sizeof(*grown))
		     : NULL;
	if (!grown) {
		og_free(item);
		return NULL;
	}
	kv->items = grown;
	grown[kv->nitems++] = item;
	return item;
}

/* ---- text --------------------------------------------------------------- */

static void indent(FILE *f, int depth)
{
	fprintf(f, "%*s", 2 * depth, "");
}

static void group_write(FILE *f, const struct ogroup *g, int depth);

static void comments_write(FILE *f, const struct ogroup *g, int depth)
{
	size_t i;

	for (i = 0; i < g->ncomment; i++) {
		indent(f, depth);
		fprintf(f, "# %s\n", g->comment[i]);
	}
}

static void kv_write(FILE *f, const struct okv *kv, int depth)
{
	size_t i;

	if (kv->kind == O_GROUP)
		comments_write(f, kv->grp, depth);
	indent(f, depth);
	fprintf(f, "%s = ", kv->key);
	if (kv->kind == O_LIT) {
		fprintf(f, "%s;\n", kv->lit);
		return;
	}
	if (kv->kind == O_GROUP) {
		fputs("{\n", f);
		group_write(f, kv->grp, depth + 1);
		indent(f, depth);
		fputs("};\n", f);
		return;
	}
	fputs("(\n", f);
	for (i = 0; i < kv->nitems; i++) {
		comments_write(f, kv->items[i], depth + 1);
		indent(f, depth + 1);
		fputs("{\n", f);
		group_write(f, kv->items[i], depth + 2);
		indent(f, depth + 1);
		fputs(i + 1 < kv->nitems ? "},\n" : "}\n", f);
	}
	indent(f, depth);
	fputs(");\n", f);
}

static void group_write(FILE *f, const struct ogroup *g, int depth)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		kv_write(f, &g->kv[i], depth);
}

int emit_write(FILE *f, const struct ogroup *top, const char *header)
{
	size_t i;

	if (header)
		fprintf(f, "%s", header);
	for (i = 0; i < top->n; i++) {
		if (i || header)
			fputc('\n', f);
		kv_write(f, &top->kv[i], 0);
	}
	return ferror(f) ? -1 : 0;
}
