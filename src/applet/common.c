// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "../util/log.h"

static int verbose;

static const struct poptOption common_opts[] = {
	{ "verbose", 'v', POPT_ARG_NONE, &verbose, 0, "more messages (debug)", NULL },
	POPT_TABLEEND
};

int applet_parse(const char *name, int argc, char **argv, const struct poptOption *opts,
		 const char *usage_args, poptContext *ctx)
{
	/* popt keeps a pointer to the table for the context's lifetime: static, filled here. */
	static struct poptOption table[] = {
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, NULL, 0, "Options:", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, NULL, 0, "Common options:", NULL },
		POPT_AUTOHELP
		POPT_TABLEEND
	};
	int rc;

	table[0].arg = (void *)opts;
	table[1].arg = (void *)common_opts;

	*ctx = poptGetContext(name, argc, (const char **)argv, table, 0);
	if (!*ctx)
		return EXIT_USAGE;
	poptSetOtherOptionHelp(*ctx, usage_args);
	while ((rc = poptGetNextOpt(*ctx)) > 0)
		;
	if (rc < -1) {
		log_error("%s: %s (\"%s --help\" lists the options)",
			  poptBadOption(*ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc), name);
		poptFreeContext(*ctx);
		*ctx = NULL;
		return EXIT_USAGE;
	}
	if (verbose)
		log_setup(name, LOG_DEBUG);
	return 0;
}

int applet_args(poptContext ctx, const char *name, unsigned min, unsigned max,
		const char **args)
{
	unsigned n = 0;
	const char *a;

	while ((a = poptGetArg(ctx))) {
		if (n == max) {
			log_error("unexpected argument \"%s\" (\"%s --help\" shows the usage)", a,
				  name);
			return -1;
		}
		args[n++] = a;
	}
	if (n < min) {
		log_error("missing argument (\"%s --help\" shows the usage)", name);
		return -1;
	}
	return (int)n;
}
