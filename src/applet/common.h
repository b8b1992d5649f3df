/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_APPLET_COMMON_H
#define SB_APPLET_COMMON_H

#include <popt.h>

/*
 * Parses argv with popt: the applet's own table plus --verbose and --help.
 * Returns 0 with *ctx holding the leftover arguments, or EXIT_USAGE after
 * printing what was wrong. usage_args is e.g. "DEVICE".
 */
int applet_parse(const char *name, int argc, char **argv, const struct poptOption *opts,
		 const char *usage_args, poptContext *ctx);

/* Leftover arguments: exactly n of them, or a usage error (printed). */
int applet_args(poptContext ctx, const char *name, unsigned min, unsigned max,
		const char **args);

#endif
