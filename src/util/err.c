// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "strfmt.h"

static _Thread_local char err_buf[512];

int err_set(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	return r;
}

int err_wrap(int r, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err_buf)];
	va_list ap;

	memcpy(old, err_buf[0] ? err_buf : strerror(r < 0 ? -r : r), sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* A message cut short at the end is still worth showing. */
	(void)str_fmt(err_buf, sizeof(err_buf), "%s%s", prefix, old);
	return r;
}

const char *err_msg(int r)
{
	if (err_buf[0])
		return err_buf;
	return strerror(r < 0 ? -r : r);
}

void err_clear(void)
{
	err_buf[0] = '\0';
}
