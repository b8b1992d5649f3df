/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The LVM2 metadata text as a generic tree (docs/ondisk.md §5.1): sections
 * "name { ... }" and assignments "key = value" in their original order, so an
 * edit changes only what it means to change and keeps every key we do not
 * interpret. Parsing is stricter than lvm2's where lvm2 is surprising: a
 * leading zero (octal to lvm2), hex, bare words, nested arrays and duplicate
 * keys are refused rather than guessed at.
 */
#ifndef SB_LVM_CFG_H
#define SB_LVM_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfg_vtype { CFG_INT, CFG_FLOAT, CFG_STR, CFG_ARRAY };

struct cfg_value {
	enum cfg_vtype type;
	int64_t num;			/* CFG_INT */
	char *str;			/* CFG_STR: unescaped; CFG_FLOAT: the token as written */
	size_t n_items;			/* CFG_ARRAY: scalars only */
	struct cfg_value *items;
};

struct cfg_node {
	char *key;
	struct cfg_node *next;
	bool section;
	struct cfg_node *child;		/* section: first child */
	struct cfg_value v;		/* assignment */
};

#define CFG_MAX_DEPTH 16

/*
 * Parses len bytes of text into a tree whose root is an unnamed section.
 * Returns 0 or -EINVAL (message with the line number in err_msg()).
 */
int cfg_parse(const char *text, size_t len, struct cfg_node **root);
void cfg_free(struct cfg_node *n);

enum cfg_style {
	CFG_STYLE_RAW,		/* as lvm2 writes into metadata areas: no indentation */
	CFG_STYLE_FILE,		/* backup files: tab-indented */
};

/* Prints the tree; returns a malloc'd NUL-terminated string or NULL (ENOMEM). */
char *cfg_print(const struct cfg_node *root, enum cfg_style style, size_t *len);

bool cfg_equal(const struct cfg_node *a, const struct cfg_node *b);

/* Lookups in one section (not recursive). NULL / -ENOENT when absent. */
struct cfg_node *cfg_find(const struct cfg_node *sec, const char *key);
struct cfg_node *cfg_find_section(const struct cfg_node *sec, const char *key);
/* -ENOENT absent, -EINVAL wrong type or out of range. */
int cfg_get_u64(const struct cfg_node *sec, const char *key, uint64_t *out);
int cfg_get_str(const struct cfg_node *sec, const char *key, const char **out);

/* Editing helpers for the writer. */
int cfg_set_int(struct cfg_node *sec, const char *key, int64_t v);
int cfg_set_str(struct cfg_node *sec, const char *key, const char *s);
/* key = ["str", num], e.g. stripes = ["pv0", 120]. */
int cfg_set_pair(struct cfg_node *sec, const char *key, const char *str, int64_t num);
/*
 * key = ["a", "b"] as a set of strings: add s (a no-op when present; a new key
 * goes right after the assignment named after, else at the end) or remove it
 * (the key goes with its last string). -EINVAL when key is not an array.
 */
int cfg_strs_add(struct cfg_node *sec, const char *key, const char *after, const char *s);
int cfg_strs_del(struct cfg_node *sec, const char *key, const char *s);
/* A new empty section (not linked anywhere). */
struct cfg_node *cfg_new_section(const char *key);
/* Links child at the end of sec. */
void cfg_append(struct cfg_node *sec, struct cfg_node *child);
/* A deep copy of one node (its next is NULL); NULL on ENOMEM. */
struct cfg_node *cfg_clone(const struct cfg_node *n);
/* Links child right after prev (which is in sec). */
void cfg_insert_after(struct cfg_node *prev, struct cfg_node *child);
/* Unlinks child from sec and frees it. */
void cfg_remove(struct cfg_node *sec, struct cfg_node *child);

/* For cfg.c, cfgprint.c and cfgtree.c: a character of an unquoted key; a value's storage freed. */
bool cfg_ident_char(char c);
void cfg_value_clear(struct cfg_value *v);

#endif
