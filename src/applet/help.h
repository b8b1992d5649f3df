/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The help text of an applet, kept beside its popt table in the applet's own
 * file (as toybox keeps its help text beside the code): "APPLET --help" and
 * the manual page man/shrinkbox.8 are both printed from it, so they cannot
 * drift apart. "make man" runs "shrinkbox --man man/shrinkbox.8.in", which
 * copies the template and puts the applets and the shared option tables where
 * its marker lines are; a unit test and tests/loop/t-help.sh fail when the
 * committed page is not what the build generates.
 */
#ifndef SB_APPLET_HELP_H
#define SB_APPLET_HELP_H

#include <popt.h>
#include <stdio.h>

struct applet_help {
	/*
	 * What follows "shrinkbox APPLET", one form per line ('\n'): the
	 * arguments and the required options, optional ones in [ ].
	 */
	const char *synopsis;
	/* Plain text; "\n\n" starts a new paragraph. */
	const char *description;
	/* The applet's popt table, the one it gives applet_parse. */
	const struct poptOption *opts;
	/* Two command lines (without "shrinkbox ", starting with the applet's name). */
	struct {
		const char *cmd;
		const char *what;
	} examples[2];
};

struct applet;

/* "APPLET --help": synopsis, description, every option (the common ones too), examples. */
void help_print(FILE *f, const struct applet *a);

/*
 * The manual page: the template at path copied to f, with each marker line
 * replaced (".\" @APPLETS@": every applet; ".\" @TABLE common|mutate|key@":
 * that shared table's options). 0, or -errno when the template cannot be read.
 */
int help_man(FILE *f, const char *path);

/* The name of a shared table included in applet tables ("mutate", "key", "common"), else NULL. */
const char *help_shared_table(const struct poptOption *t);

#endif
