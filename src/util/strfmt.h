/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_STRFMT_H
#define SB_STRFMT_H

#include <stddef.h>

/*
 * snprintf that reports truncation (-ENAMETOOLONG) instead of silently cutting
 * a path or name short; buf holds the truncated text either way.
 */
int str_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
