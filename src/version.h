/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The version every applet's --version and "shrinkbox --version" print. The
 * build passes -DSHRINKBOX_VERSION from the Makefile's VERSION (a top-level
 * VERSION file when there is one, else the Makefile's default); this is the
 * fallback for a compile outside the Makefile.
 */
#ifndef SB_VERSION_H
#define SB_VERSION_H

#ifndef SHRINKBOX_VERSION
#define SHRINKBOX_VERSION "0.1"
#endif

#endif
