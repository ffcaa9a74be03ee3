// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mark.h"

int mark_init(struct markspace *m, uint32_t mask)
{
	memset(m, 0, sizeof(*m));
	if (!mask)
		return -EINVAL;
	m->mask = mask;
	m->shift = __builtin_ctz(mask);
	m->max = mask >> m->shift;
	if (m->max > MARK_MAX_INDEX)
		m->max = MARK_MAX_INDEX;
	m->hint = 1;
	m->used = calloc(m->max / 8 + 1, 1);
	return m->used ? 0 : -ENOMEM;
}

void mark_fini(struct markspace *m)
{
	free(m->used);
	m->used = NULL;
}

uint32_t mark_alloc(struct markspace *m)
{
	uint32_t i;

	for (i = m->hint; i <= m->max; i++) {
		if (m->used[i / 8] & (1u << (i % 8)))
			continue;
		m->used[i / 8] |= 1u << (i % 8);
		m->hint = i + 1;
		return i << m->shift;
	}
	return 0;
}

uint32_t mark_home(const struct markspace *m, const char *key)
{
	uint32_t h = 2166136261u;	/* FNV-1a, 32 bits */

	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return 1 + h % m->max;
}

static bool taken(const struct markspace *m, uint32_t i)
{
	return m->used[i / 8] & (1u << (i % 8));
}

uint32_t mark_take_index(struct markspace *m, uint32_t i)
{
	if (!i || i > m->max || taken(m, i))
		return 0;
	m->used[i / 8] |= 1u << (i % 8);
	return i << m->shift;
}

uint32_t mark_alloc_key(struct markspace *m, const char *key, uint32_t prefer)
{
	uint32_t i, home, n;

	if (prefer && (i = mark_take_index(m, prefer)))
		return i;
	home = mark_home(m, key);
	for (n = 0; n < m->max; n++) {
		i = 1 + (home - 1 + n) % m->max;
		if (!taken(m, i))
			return mark_take_index(m, i);
	}
	return 0;
}

void mark_free(struct markspace *m, uint32_t mark)
{
	uint32_t i = (mark & m->mask) >> m->shift;

	if (!i || i > m->max)
		return;
	m->used[i / 8] &= ~(1u << (i % 8));
	if (i < m->hint)
		m->hint = i;
}

uint32_t mark_capacity(const struct markspace *m)
{
	return m->max;
}
