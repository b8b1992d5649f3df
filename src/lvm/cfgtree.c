// SPDX-License-Identifier: GPL-2.0-or-later
/* The metadata tree: lookups, edits, copies, comparison. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static bool value_equal(const struct cfg_value *a, const struct cfg_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CFG_INT:
		return a->num == b->num;
	case CFG_FLOAT:
	case CFG_STR:
		return !strcmp(a->str, b->str);
	case CFG_ARRAY:
		if (a->n_items != b->n_items)
			return false;
		for (size_t i = 0; i < a->n_items; i++)
			if (!value_equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	}
	return false;
}

bool cfg_equal(const struct cfg_node *a, const struct cfg_node *b)
{
	for (; a && b; a = a->next, b = b->next) {
		if (a->section != b->section || strcmp(a->key ? a->key : "", b->key ? b->key : ""))
			return false;
		if (a->section ? !cfg_equal(a->child, b->child) : !value_equal(&a->v, &b->v))
			return false;
	}
	return !a && !b;
}

struct cfg_node *cfg_find(const struct cfg_node *sec, const char *key)
{
	for (struct cfg_node *n = sec ? sec->child : NULL; n; n = n->next)
		if (!strcmp(n->key, key))
			return n;
	return NULL;
}

struct cfg_node *cfg_find_section(const struct cfg_node *sec, const char *key)
{
	struct cfg_node *n = cfg_find(sec, key);

	return n && n->section ? n : NULL;
}

int cfg_get_u64(const struct cfg_node *sec, const char *key, uint64_t *out)
{
	struct cfg_node *n = cfg_find(sec, key);

	if (!n)
		return -ENOENT;
	if (n->section || n->v.type != CFG_INT || n->v.num < 0)
		return -EINVAL;
	*out = (uint64_t)n->v.num;
	return 0;
}

int cfg_get_str(const struct cfg_node *sec, const char *key, const char **out)
{
	struct cfg_node *n = cfg_find(sec, key);

	if (!n)
		return -ENOENT;
	if (n->section || n->v.type != CFG_STR)
		return -EINVAL;
	*out = n->v.str;
	return 0;
}

/* A new node named key, linked nowhere; NULL when out of memory. */
static struct cfg_node *node_new(const char *key)
{
	struct cfg_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->key = strdup(key);
	if (!n->key) {
		free(n);
		return NULL;
	}
	return n;
}

static struct cfg_node *find_or_append(struct cfg_node *sec, const char *key)
{
	struct cfg_node **tail = &sec->child;

	for (; *tail; tail = &(*tail)->next)
		if (!strcmp((*tail)->key, key))
			return (*tail)->section ? NULL : *tail;
	*tail = node_new(key);
	return *tail;
}

int cfg_set_int(struct cfg_node *sec, const char *key, int64_t v)
{
	struct cfg_node *n = find_or_append(sec, key);

	if (!n)
		return -ENOMEM;
	cfg_value_clear(&n->v);
	n->v.type = CFG_INT;
	n->v.num = v;
	return 0;
}

int cfg_set_str(struct cfg_node *sec, const char *key, const char *s)
{
	struct cfg_node *n = find_or_append(sec, key);
	char *d = strdup(s);

	if (!n || !d) {
		free(d);
		return -ENOMEM;
	}
	cfg_value_clear(&n->v);
	n->v.type = CFG_STR;
	n->v.str = d;
	return 0;
}

int cfg_set_pair(struct cfg_node *sec, const char *key, const char *str, int64_t num)
{
	struct cfg_node *n = find_or_append(sec, key);
	struct cfg_value *items = calloc(2, sizeof(*items));
	char *d = strdup(str);

	if (!n || !items || !d) {
		free(items);
		free(d);
		return -ENOMEM;
	}
	cfg_value_clear(&n->v);
	items[0].type = CFG_STR;
	items[0].str = d;
	items[1].type = CFG_INT;
	items[1].num = num;
	n->v.type = CFG_ARRAY;
	n->v.items = items;
	n->v.n_items = 2;
	return 0;
}

int cfg_strs_add(struct cfg_node *sec, const char *key, const char *after, const char *s)
{
	struct cfg_node *n = cfg_find(sec, key), *prev = after ? cfg_find(sec, after) : NULL;
	struct cfg_value *items;
	char *d;

	if (n && (n->section || n->v.type != CFG_ARRAY))
		return -EINVAL;
	for (size_t i = 0; n && i < n->v.n_items; i++)
		if (n->v.items[i].type == CFG_STR && !strcmp(n->v.items[i].str, s))
			return 0;
	if (!n) {
		/* A new key: built whole before it is linked, so ENOMEM leaves the tree as it was. */
		n = calloc(1, sizeof(*n));
		items = calloc(1, sizeof(*items));
		d = strdup(s);
		if (!n || !items || !d || !(n->key = strdup(key))) {
			free(n);
			free(items);
			free(d);
			return -ENOMEM;
		}
		items[0] = (struct cfg_value){ .type = CFG_STR, .str = d };
		n->v = (struct cfg_value){ .type = CFG_ARRAY, .items = items, .n_items = 1 };
		if (prev && !prev->section)
			cfg_insert_after(prev, n);
		else
			cfg_append(sec, n);
		return 0;
	}
	d = strdup(s);
	items = d ? realloc(n->v.items, (n->v.n_items + 1) * sizeof(*items)) : NULL;
	if (!items) {
		free(d);
		return -ENOMEM;
	}
	n->v.items = items;
	items[n->v.n_items++] = (struct cfg_value){ .type = CFG_STR, .str = d };
	return 0;
}

int cfg_strs_del(struct cfg_node *sec, const char *key, const char *s)
{
	struct cfg_node *n = cfg_find(sec, key);
	size_t i;

	if (!n)
		return 0;
	if (n->section || n->v.type != CFG_ARRAY)
		return -EINVAL;
	for (i = 0; i < n->v.n_items; i++) {
		struct cfg_value *v = &n->v.items[i];

		if (v->type != CFG_STR || strcmp(v->str, s))
			continue;
		cfg_value_clear(v);
		memmove(v, v + 1, (n->v.n_items - i - 1) * sizeof(*v));
		if (!--n->v.n_items)
			cfg_remove(sec, n);
		return 0;
	}
	return 0;
}

struct cfg_node *cfg_new_section(const char *key)
{
	struct cfg_node *n = node_new(key);

	if (n)
		n->section = true;
	return n;
}

void cfg_append(struct cfg_node *sec, struct cfg_node *child)
{
	struct cfg_node **tail = &sec->child;

	while (*tail)
		tail = &(*tail)->next;
	child->next = NULL;
	*tail = child;
}

void cfg_remove(struct cfg_node *sec, struct cfg_node *child)
{
	for (struct cfg_node **p = &sec->child; *p; p = &(*p)->next) {
		if (*p == child) {
			*p = child->next;
			child->next = NULL;
			cfg_free(child);
			return;
		}
	}
}

static int value_copy(struct cfg_value *dst, const struct cfg_value *src)
{
	*dst = *src;
	dst->str = NULL;
	dst->items = NULL;
	if (src->str && !(dst->str = strdup(src->str)))
		return -ENOMEM;
	if (src->n_items) {
		dst->items = calloc(src->n_items, sizeof(*dst->items));
		if (!dst->items)
			return -ENOMEM;
		for (size_t i = 0; i < src->n_items; i++)
			if (value_copy(&dst->items[i], &src->items[i]) < 0)
				return -ENOMEM;
	}
	return 0;
}

struct cfg_node *cfg_clone(const struct cfg_node *n)
{
	struct cfg_node *c = calloc(1, sizeof(*c)), **tail;

	if (!c)
		return NULL;
	c->section = n->section;
	c->key = strdup(n->key ? n->key : "");
	if (!c->key || value_copy(&c->v, &n->v) < 0)
		goto fail;
	tail = &c->child;
	for (const struct cfg_node *k = n->child; k; k = k->next) {
		*tail = cfg_clone(k);
		if (!*tail)
			goto fail;
		tail = &(*tail)->next;
	}
	return c;
fail:
	cfg_free(c);
	return NULL;
}

void cfg_insert_after(struct cfg_node *prev, struct cfg_node *child)
{
	child->next = prev->next;
	prev->next = child;
}
