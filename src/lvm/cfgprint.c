// SPDX-License-Identifier: GPL-2.0-or-later
/* The metadata tree printed as text again, in lvm2's layout. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* A growing output buffer; on allocation failure it latches and returns NULL at the end. */
struct outbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void out_raw(struct outbuf *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (o->len + n + 1 > cap)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b) {
			o->failed = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_str(struct outbuf *o, const char *s)
{
	out_raw(o, s, strlen(s));
}

static void out_quoted(struct outbuf *o, const char *s)
{
	out_raw(o, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			out_raw(o, "\\", 1);
		out_raw(o, s, 1);
	}
	out_raw(o, "\"", 1);
}

static void out_scalar(struct outbuf *o, const struct cfg_value *v)
{
	char num[24];

	switch (v->type) {
	case CFG_INT:
		snprintf(num, sizeof(num), "%" PRId64, v->num);
		out_str(o, num);
		break;
	case CFG_FLOAT:
		out_str(o, v->str);
		break;
	case CFG_STR:
		out_quoted(o, v->str);
		break;
	case CFG_ARRAY:
		break;
	}
}

static void out_key(struct outbuf *o, const char *key)
{
	bool plain = *key != '\0';

	for (const char *k = key; *k && plain; k++)
		plain = cfg_ident_char(*k);
	if (plain)
		out_str(o, key);
	else
		out_quoted(o, key);
}

static void print_body(struct outbuf *o, const struct cfg_node *n, enum cfg_style style,
		       unsigned depth)
{
	for (; n; n = n->next) {
		if (style == CFG_STYLE_FILE)
			for (unsigned i = 0; i < depth; i++)
				out_raw(o, "\t", 1);
		out_key(o, n->key);
		if (n->section) {
			out_str(o, " {\n");
			print_body(o, n->child, style, depth + 1);
			if (style == CFG_STYLE_FILE)
				for (unsigned i = 0; i < depth; i++)
					out_raw(o, "\t", 1);
			out_str(o, "}\n");
			continue;
		}
		out_str(o, " = ");
		if (n->v.type == CFG_ARRAY) {
			out_raw(o, "[", 1);
			for (size_t i = 0; i < n->v.n_items; i++) {
				if (i)
					out_str(o, ", ");
				out_scalar(o, &n->v.items[i]);
			}
			out_raw(o, "]", 1);
		} else {
			out_scalar(o, &n->v);
		}
		out_raw(o, "\n", 1);
	}
}

char *cfg_print(const struct cfg_node *root, enum cfg_style style, size_t *len)
{
	struct outbuf o = { 0 };

	print_body(&o, root->child, style, 0);
	out_raw(&o, "", 0);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.buf;
}
