// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shrinkbox: one binary, many applets. "shrinkbox APPLET ARGS" or a link named
 * after the applet ("status ARGS"), as busybox does.
 */
#include <stdio.h>
#include <string.h>

#include "applets.h"
#include "version.h"
#include "applet/help.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: shrinkbox APPLET [OPTIONS...]\n"
		   "       APPLET [OPTIONS...]        (through a link named after the applet)\n"
		   "       shrinkbox --list | --version | --help\n\n"
		   "Reshapes partition -> LUKS -> LVM -> ext4/swap stacks offline.\n"
		   "Applets:\n");
	for (unsigned i = 0; i < n_applets; i++)
		fprintf(f, "  %-12s %s\n", applets[i].name, applets[i].summary);
	fprintf(f, "\n\"shrinkbox APPLET --help\" shows an applet's usage, options and examples;\n"
		   "\"man shrinkbox\" all of them, the boot parameters and the exit codes.\n"
		   "Exit codes: 0 done or nothing to do, 1 failed (nothing changed), 2 usage,\n"
		   "3 refused as unsafe or unsupported (nothing changed), 4 failed after a change,\n"
		   "5 changed, and an LV's active table is stale.\n");
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const struct applet *a;

	base = base ? base + 1 : argv[0];
	a = applet_find(base);
	if (a) {
		log_setup(a->name, LOG_INFO);
		return a->main(argc, argv);
	}
	log_setup("shrinkbox", LOG_INFO);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("shrinkbox %s\n", SHRINKBOX_VERSION);
		return EXIT_DONE;
	}
	/*
	 * Hidden (not in the usage): the manual page from the template, as "make
	 * man" runs it (applet/help.h).
	 */
	if (!strcmp(argv[1], "--man") && argc == 3) {
		int r = help_man(stdout, argv[2]);

		if (r < 0) {
			log_error("%s: %s", argv[2], strerror(-r));
			return EXIT_FAILED;
		}
		return fflush(stdout) ? EXIT_FAILED : EXIT_DONE;
	}
	if (!strcmp(argv[1], "--list")) {
		for (unsigned i = 0; i < n_applets; i++)
			printf("%s\n", applets[i].name);
		return EXIT_DONE;
	}
	a = applet_find(argv[1]);
	if (!a) {
		log_error("unknown applet \"%s\" (\"shrinkbox --list\" lists them)", argv[1]);
		return EXIT_USAGE;
	}
	log_setup(a->name, LOG_INFO);
	return a->main(argc - 1, argv + 1);
}
