// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static const char *log_prog = "shrinkbox";
static int log_verbosity = LOG_INFO;
static FILE *log_file;

void log_setup(const char *prog, int verbosity)
{
	log_prog = prog;
	log_verbosity = verbosity;
}

void log_get(const char **prog, int *verbosity)
{
	*prog = log_prog;
	*verbosity = log_verbosity;
}

void log_set_file(const char *path)
{
	log_file = fopen(path, "ae");
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	if ((int)lvl > log_verbosity && !log_file)
		return;
	if ((int)lvl <= log_verbosity) {
		va_start(ap, fmt);
		fprintf(stderr, "%s: %s", log_prog, tag[lvl]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	if (log_file) {
		va_start(ap, fmt);
		fprintf(log_file, "%s: %s", log_prog, tag[lvl]);
		vfprintf(log_file, fmt, ap);
		fputc('\n', log_file);
		fflush(log_file);
		va_end(ap);
	}
}
